
/*
 * oneM2M SAE for nginx: originator checks at the edge.
 *
 * TS-0003 7.2.1 and TS-0004 7.3.2.1 ask the receiving CSE to check that
 * the From parameter (X-M2M-Origin) of a request matches the entity its
 * security association authenticated.  The CSEs people run take
 * X-M2M-Origin as it comes, so this module does the check in nginx, in
 * front of them, using the binding the SAE module made at handshake time:
 *
 *   session bound to an AE:  From must be its AE-ID-Stem (4106, 4000);
 *                            an AE registration may ask for an ID ("C",
 *                            "S" or no From): refused ("check") or given
 *                            the provisioned AE-ID ("assign");
 *   session bound to a CSE:  it forwards for others, but cannot claim
 *                            another CSE with credentials or this gateway;
 *   no binding:              a credential's entity must come through its
 *                            own association (4106), a CSE-ID needs one
 *                            (4107).
 *
 * The entities with credentials are those of the server's PSK table and
 * those "onem2m_sae_cert_entity" names: a certificate says who its holder
 * is, but only the operator knows which others hold one.
 *
 * Identifiers compare with their case, but where a claim could stand for
 * someone protected (this gateway's CSE-ID, an entity of the list) case
 * variants count as that entity too: DNS names and certificates ignore
 * case, and a CSE behind may as well.
 *
 * The handler runs in the PREACCESS phase after the SAE module's handler
 * (which answers 4107 where SAE is required): nginx runs the handlers of
 * a phase in the reverse order of their registration, so this one takes
 * the first place of the phase's array, whatever the order of the modules.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"
#include "common/onem2m_id.h"
#include "ngx_http_onem2m_header.h"


#define NGX_HTTP_ONEM2M_ORIGINATOR_OFF      0
#define NGX_HTTP_ONEM2M_ORIGINATOR_CHECK    1
#define NGX_HTTP_ONEM2M_ORIGINATOR_ASSIGN   2

/*
 * The longest X-M2M-Origin accepted: the longest entity a table can hold
 * (ONEM2M_SAE_MAX_ID_LEN), so every form of a provisioned stem fits.
 */
#define NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN  ONEM2M_SAE_MAX_ID_LEN

/* the longest form "//<SP-ID>/<CSE-ID>/<stem>" of a stem (4 forms at most) */
#define NGX_HTTP_ONEM2M_FORM_LEN                                              \
    (3 * NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN + 8)

/* no X-M2M-Origin, or an empty one */
#define ngx_http_onem2m_origin_absent(h)  ((h) == NULL || (h)->value.len == 0)

/* what an identifier is, once the gateway's CSE-ID and SP-ID are known */
#define NGX_HTTP_ONEM2M_ID_OTHER            0
#define NGX_HTTP_ONEM2M_ID_AE               1
#define NGX_HTTP_ONEM2M_ID_CSE              2


typedef struct {
    ngx_str_t                  cse_id;    /* without the leading "/" */
    ngx_str_t                  sp_id;     /* without the leading "//" */
    /* entities with certificates: ngx_http_onem2m_originator_entity_t */
    ngx_array_t               *cert_entities;
    /* the same, read with this server's CSE-ID and SP-ID */
    ngx_array_t               *cert_ids;  /* ngx_http_onem2m_id_t */
} ngx_http_onem2m_originator_srv_conf_t;


/* an "onem2m_sae_cert_entity" identifier and where it was written */
typedef struct {
    ngx_str_t                  id;
    u_char                    *file;
    ngx_uint_t                 line;
} ngx_http_onem2m_originator_entity_t;


typedef struct {
    ngx_uint_t                 mode;
    u_char                    *file;      /* where "mode" was set */
    ngx_uint_t                 line;
} ngx_http_onem2m_originator_loc_conf_t;


/* a location to verify once every module has merged its configuration */
typedef struct {
    void                                  **srv_conf;
    ngx_http_onem2m_originator_loc_conf_t  *olcf;
} ngx_http_onem2m_originator_site_t;


typedef struct {
    ngx_array_t                sites;  /* ngx_http_onem2m_originator_site_t */
} ngx_http_onem2m_originator_main_conf_t;


/*
 * An identifier reduced to one canonical string per entity, so that the
 * forms of TS-0001 Table 7.2-1 compare equal:
 *
 *   AE of this CSE or SP ("local"):  its AE-ID-Stem   "Clock-AE1"
 *   AE of another CSE of this SP:    SP-relative      "/cse-2/C123"
 *   CSE of this SP:                  SP-relative      "/in-cse-7"
 *   anything of another SP:          as written       "//sp.example/..."
 *
 * canonical always points into the identifier itself.
 */
typedef struct {
    ngx_uint_t                 kind;      /* NGX_HTTP_ONEM2M_ID_* */
    ngx_str_t                  canonical;
    /*
     * The identifier read as a CSE-ID, or empty: a CSE's canonical, and
     * for "/S..." and "//<SP-ID>/S..." the CSE reading of what is kept as
     * an S-stem AE-ID (TS-0004 6.2.3 writes both alike).
     */
    ngx_str_t                  cse;
    unsigned                   local:1;
    unsigned                   stem_form:1;  /* written as the bare stem */
    unsigned                   s_stem:1;
} ngx_http_onem2m_id_t;


static ngx_int_t ngx_http_onem2m_originator_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_onem2m_originator_ae(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_uint_t mode,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t *origin,
    ngx_uint_t registration);
static ngx_int_t ngx_http_onem2m_originator_cse(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t *origin,
    ngx_uint_t registration);
static ngx_int_t ngx_http_onem2m_originator_unbound(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_table_elt_t *origin,
    ngx_uint_t registration);
static ngx_int_t ngx_http_onem2m_originator_assign(ngx_http_request_t *r,
    ngx_table_elt_t *origin, ngx_str_t *entity, ngx_str_t *id);
static ngx_int_t ngx_http_onem2m_originator_refuse(ngx_http_request_t *r,
    ngx_uint_t rsc, ngx_str_t *entity, ngx_table_elt_t *origin,
    const char *reason, ngx_str_t *expected);
static ngx_uint_t ngx_http_onem2m_originator_is_registration(
    ngx_http_request_t *r);
static ngx_uint_t ngx_http_onem2m_originator_credential(
    ngx_http_request_t *r, ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_str_t *claim, ngx_http_onem2m_id_t *id, ngx_str_t *entity);
static ngx_uint_t ngx_http_onem2m_originator_other_sp(
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *ae_id);
static int ngx_http_onem2m_originator_find(
    ngx_http_request_t *r, ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_str_t *claim, ngx_http_onem2m_id_t *id, ONEM2M_SAE_LOOKUP *lk);

static void ngx_http_onem2m_id_parse(ngx_str_t *in, ngx_str_t *cse_id,
    ngx_str_t *sp_id, ngx_http_onem2m_id_t *id);
static ngx_uint_t ngx_http_onem2m_id_equal(ngx_http_onem2m_id_t *a,
    ngx_http_onem2m_id_t *b);
static ngx_uint_t ngx_http_onem2m_id_equal_nocase(ngx_http_onem2m_id_t *a,
    ngx_http_onem2m_id_t *b);
static ngx_uint_t ngx_http_onem2m_id_same(ngx_str_t *a, ngx_str_t *b,
    ngx_uint_t nocase);
static ngx_uint_t ngx_http_onem2m_id_is_gateway(ngx_http_onem2m_id_t *id,
    ngx_str_t *cse_id);
static ngx_uint_t ngx_http_onem2m_id_printable(ngx_str_t *id);
static ngx_uint_t ngx_http_onem2m_id_is_request_for_id(ngx_str_t *id);

static char *ngx_http_onem2m_originator(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_onem2m_originator_cse_id(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_originator_sp_id(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_originator_cert_entity(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_onem2m_originator_check_site(ngx_conf_t *cf,
    ngx_http_onem2m_originator_site_t *site);
static ngx_int_t ngx_http_onem2m_originator_read_entities(ngx_conf_t *cf,
    ngx_http_onem2m_originator_srv_conf_t *oscf);
static void *ngx_http_onem2m_originator_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_onem2m_originator_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_originator_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static void *ngx_http_onem2m_originator_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_originator_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_onem2m_originator_init(ngx_conf_t *cf);


static ngx_conf_enum_t  ngx_http_onem2m_originator_modes[] = {
    { ngx_string("off"), NGX_HTTP_ONEM2M_ORIGINATOR_OFF },
    { ngx_string("check"), NGX_HTTP_ONEM2M_ORIGINATOR_CHECK },
    { ngx_string("assign"), NGX_HTTP_ONEM2M_ORIGINATOR_ASSIGN },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_onem2m_originator_commands[] = {

    { ngx_string("onem2m_sae_originator"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_originator,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_onem2m_originator_loc_conf_t, mode),
      &ngx_http_onem2m_originator_modes },

    { ngx_string("onem2m_sae_cse_id"),
      NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_originator_cse_id,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("onem2m_sae_sp_id"),
      NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_originator_sp_id,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("onem2m_sae_cert_entity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_onem2m_originator_cert_entity,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_onem2m_originator_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_onem2m_originator_init,       /* postconfiguration */

    ngx_http_onem2m_originator_create_main_conf, /* create main conf */
    NULL,                                  /* init main configuration */

    ngx_http_onem2m_originator_create_srv_conf,  /* create server conf */
    ngx_http_onem2m_originator_merge_srv_conf,   /* merge server conf */

    ngx_http_onem2m_originator_create_loc_conf,  /* create location conf */
    ngx_http_onem2m_originator_merge_loc_conf    /* merge location conf */
};


ngx_module_t  ngx_http_onem2m_originator_module = {
    NGX_MODULE_V1,
    &ngx_http_onem2m_originator_module_ctx, /* module context */
    ngx_http_onem2m_originator_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


extern ngx_module_t  ngx_http_onem2m_sae_module;


static ngx_str_t  ngx_http_onem2m_origin_key = ngx_string("X-M2M-Origin");
static ngx_str_t  ngx_http_onem2m_origin_lowcase = ngx_string("x-m2m-origin");
static ngx_str_t  ngx_http_onem2m_unbound = ngx_string("-");


static ngx_int_t
ngx_http_onem2m_originator_handler(ngx_http_request_t *r)
{
    ngx_uint_t                              i, n, registration;
    ngx_list_part_t                        *part;
    ngx_table_elt_t                        *h, *origin, *alias;
    ngx_http_onem2m_sae_binding_t          *binding;
    ngx_http_onem2m_originator_srv_conf_t  *oscf;
    ngx_http_onem2m_originator_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_onem2m_originator_module);

    /*
     * Subrequests too (SSI, auth_request): they carry the main request's
     * headers to a location whose mode may differ from the main one's.
     */

    if (olcf->mode == NGX_HTTP_ONEM2M_ORIGINATOR_OFF) {
        return NGX_DECLINED;
    }

    oscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_originator_module);

    if (ngx_http_onem2m_sae_srv_methods(r->srv_conf) == 0) {
        /* "nginx -t" refuses this; never let a request through unchecked */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "onem2m originator: no security association on "
                      "this server");
        return ngx_http_onem2m_send_error(r,
                                   NGX_HTTP_ONEM2M_INTERNAL_SERVER_ERROR,
                                   "originator check without security "
                                   "association");
    }

    binding = ngx_http_onem2m_sae_binding(r);

    /*
     * Every copy of the header, whatever the case of its name.  Spelt with
     * "_" or "." it is an alias that FastCGI, uwsgi, SCGI or PHP merge with
     * the real one: refused, since the CSE may read either.
     */

    origin = NULL;
    alias = NULL;
    n = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        switch (ngx_http_onem2m_header_match(&h[i].key,
                                             &ngx_http_onem2m_origin_key))
        {
        case NGX_HTTP_ONEM2M_HEADER_SAME:
            origin = &h[i];
            n++;
            break;

        case NGX_HTTP_ONEM2M_HEADER_ALIAS:
            alias = &h[i];
            break;

        default: /* NGX_HTTP_ONEM2M_HEADER_OTHER */
            break;
        }
    }

    if (alias != NULL) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST,
                   binding ? &binding->entity : NULL, alias,
                   "X-M2M-Origin spelt with \"_\" or \".\"", NULL);
    }

    if (n > 1) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST,
                   binding ? &binding->entity : NULL, origin,
                   "more than one X-M2M-Origin header", NULL);
    }

    if (origin != NULL) {

        if (origin->value.len > NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN) {
            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_BAD_REQUEST,
                       binding ? &binding->entity : NULL, origin,
                       "X-M2M-Origin longer than 255 bytes", NULL);
        }

        if (!ngx_http_onem2m_id_printable(&origin->value)) {
            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_BAD_REQUEST,
                       binding ? &binding->entity : NULL, origin,
                       "X-M2M-Origin with a character that is not "
                       "printable ASCII", NULL);
        }
    }

    registration = ngx_http_onem2m_originator_is_registration(r);

    if (binding == NULL) {
        return ngx_http_onem2m_originator_unbound(r, oscf, origin,
                                                  registration);
    }

    if (binding->entity_type == ONEM2M_SAE_ENTITY_CSE) {
        return ngx_http_onem2m_originator_cse(r, oscf, binding, origin,
                                              registration);
    }

    return ngx_http_onem2m_originator_ae(r, oscf, olcf->mode, binding, origin,
                                         registration);
}


static ngx_int_t
ngx_http_onem2m_originator_ae(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_uint_t mode,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t *origin,
    ngx_uint_t registration)
{
    ngx_str_t             *expected;
    ngx_http_onem2m_id_t   claim, bound;

    /*
     * An AE-ID certificate names its SP, and a CA this server trusts may
     * sign for several: an AE of another SP does not act here.
     */

    if (binding->method == NGX_HTTP_ONEM2M_SAE_CERT
        && ngx_http_onem2m_originator_other_sp(oscf, &binding->entity))
    {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                   &binding->entity, origin,
                   "AE-ID certificate of another SP", NULL);
    }

    ngx_http_onem2m_id_parse(&binding->entity, &oscf->cse_id, &oscf->sp_id,
                             &bound);

    /* a registree AE of this CSE must use its AE-ID-Stem */
    expected = bound.local ? &bound.canonical : &binding->entity;

    if (ngx_http_onem2m_origin_absent(origin)
        || ngx_http_onem2m_id_is_request_for_id(&origin->value))
    {
        if (!registration) {
            if (ngx_http_onem2m_origin_absent(origin)) {
                return ngx_http_onem2m_originator_refuse(r,
                           NGX_HTTP_ONEM2M_BAD_REQUEST, &binding->entity,
                           NULL, "X-M2M-Origin missing", NULL);
            }

            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                       &binding->entity, origin,
                       "originator is not the authenticated AE", expected);
        }

        if (mode == NGX_HTTP_ONEM2M_ORIGINATOR_CHECK) {
            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                       &binding->entity, origin,
                       "AE registration must use the provisioned AE-ID",
                       expected);
        }

        return ngx_http_onem2m_originator_assign(r, origin, &binding->entity,
                                                 expected);
    }

    ngx_http_onem2m_id_parse(&origin->value, &oscf->cse_id, &oscf->sp_id,
                             &claim);

    if (!ngx_http_onem2m_id_equal(&claim, &bound)) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                   &binding->entity, origin,
                   "originator is not the authenticated AE", expected);
    }

    if (bound.local && !claim.stem_form) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, &binding->entity, origin,
                   "a registree AE must use its AE-ID-Stem", expected);
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_originator_cse(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t *origin,
    ngx_uint_t registration)
{
    ngx_str_t                 entity;
    ngx_uint_t                type;
    ngx_http_onem2m_id_t      claim, bound, other;

    if (ngx_http_onem2m_origin_absent(origin)) {
        if (registration) {
            return NGX_DECLINED;
        }

        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, &binding->entity, NULL,
                   "X-M2M-Origin missing", NULL);
    }

    ngx_http_onem2m_id_parse(&origin->value, &oscf->cse_id, &oscf->sp_id,
                             &claim);

    /* what cannot be read cannot be checked: never forwarded */

    if (claim.kind == NGX_HTTP_ONEM2M_ID_OTHER) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, &binding->entity, origin,
                   "X-M2M-Origin is neither an AE-ID nor a CSE-ID", NULL);
    }

    ngx_http_onem2m_id_parse(&binding->entity, &oscf->cse_id, &oscf->sp_id,
                             &bound);

    if (ngx_http_onem2m_id_equal(&claim, &bound)) {
        return NGX_DECLINED;
    }

    /*
     * A CSE forwards for others, but is neither this gateway ... in any
     * case: DNS names and certificates ignore it, a CSE behind may too.
     */

    if (ngx_http_onem2m_id_is_gateway(&claim, &oscf->cse_id)) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                   &binding->entity, origin,
                   "originator is the CSE-ID of this gateway", NULL);
    }

    /* ... nor another CSE that has credentials of its own */

    type = ngx_http_onem2m_originator_credential(r, oscf, &origin->value,
                                                 &claim, &entity);

    if (type == ONEM2M_SAE_ENTITY_CSE) {

        ngx_http_onem2m_id_parse(&entity, &oscf->cse_id, &oscf->sp_id,
                                 &other);

        if (!ngx_http_onem2m_id_equal(&other, &bound)) {
            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                       &binding->entity, origin,
                       "originator is another CSE with its own "
                       "security association", NULL);
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_originator_unbound(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_table_elt_t *origin,
    ngx_uint_t registration)
{
    ngx_str_t                 entity;
    ngx_uint_t                type;
    ngx_http_onem2m_id_t      claim;

    if (ngx_http_onem2m_origin_absent(origin)) {
        if (registration) {
            return NGX_DECLINED;
        }

        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, NULL, NULL,
                   "X-M2M-Origin missing", NULL);
    }

    ngx_http_onem2m_id_parse(&origin->value, &oscf->cse_id, &oscf->sp_id,
                             &claim);

    if (claim.kind == NGX_HTTP_ONEM2M_ID_OTHER) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, NULL, origin,
                   "X-M2M-Origin is neither an AE-ID nor a CSE-ID", NULL);
    }

    type = ngx_http_onem2m_originator_credential(r, oscf, &origin->value,
                                                 &claim, &entity);

    if (claim.kind == NGX_HTTP_ONEM2M_ID_CSE
        || type == ONEM2M_SAE_ENTITY_CSE
        || ngx_http_onem2m_id_is_gateway(&claim, &oscf->cse_id))
    {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_SECURITY_ASSOCIATION_REQUIRED, NULL,
                   origin, "a CSE-ID needs a security association", NULL);
    }

    if (type != 0) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED, NULL,
                   origin, "originator has credentials and must use "
                   "its own security association", NULL);
    }

    return NGX_DECLINED;
}


/*
 * "assign": the AE registration carries the provisioned AE-ID to the CSE,
 * in the header list that proxy_pass, fastcgi_pass, ... forward.
 */

static ngx_int_t
ngx_http_onem2m_originator_assign(ngx_http_request_t *r,
    ngx_table_elt_t *origin, ngx_str_t *entity, ngx_str_t *id)
{
    u_char  *value;

    value = ngx_pnalloc(r->pool, id->len + 1);
    if (value == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(value, id->data, id->len);
    value[id->len] = '\0';

    if (origin == NULL) {
        origin = ngx_list_push(&r->headers_in.headers);
        if (origin == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* the name too: the client may have written it in another case */

    origin->key = ngx_http_onem2m_origin_key;
    origin->lowcase_key = ngx_http_onem2m_origin_lowcase.data;
    origin->hash = ngx_hash_key(ngx_http_onem2m_origin_lowcase.data,
                                ngx_http_onem2m_origin_lowcase.len);
    origin->value.data = value;
    origin->value.len = id->len;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "onem2m originator: AE registration of \"%V\" "
                  "assigned X-M2M-Origin \"%V\"", entity, id);

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_originator_refuse(ngx_http_request_t *r, ngx_uint_t rsc,
    ngx_str_t *entity, ngx_table_elt_t *origin, const char *reason,
    ngx_str_t *expected)
{
    u_char  *dbg, *p, *last, claim[NGX_HTTP_ONEM2M_LOG_ID_SIZE];
    size_t   len, size;

    len = (origin != NULL)
          ? ngx_http_onem2m_log_id(claim, origin->value.data,
                                   origin->value.len) - claim
          : ngx_http_onem2m_log_id(claim, NULL, 0) - claim;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "onem2m originator: entity \"%V\" originator %*s "
                  "refused with %ui: %s",
                  entity ? entity : &ngx_http_onem2m_unbound,
                  len, claim, rsc, reason);

    /*
     * The debug text names the expected originator (the client's own,
     * authenticated identity), never the claim: nothing the client sent
     * is reflected.
     */

    if (expected == NULL) {
        return ngx_http_onem2m_send_error(r, rsc, reason);
    }

    size = ngx_strlen(reason) + sizeof(", expected ") - 1
           + expected->len + 1;

    dbg = ngx_pnalloc(r->pool, size);
    if (dbg == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = dbg + size;
    p = ngx_slprintf(dbg, last - 1, "%s, expected %V", reason, expected);
    *p = '\0';

    return ngx_http_onem2m_send_error(r, rsc, (const char *) dbg);
}


/* CREATE <AE>: POST with "ty=2" among the parameters of Content-Type */

static ngx_uint_t
ngx_http_onem2m_originator_is_registration(ngx_http_request_t *r)
{
    u_char  *p, *last;

    if (r->method != NGX_HTTP_POST || r->headers_in.content_type == NULL) {
        return 0;
    }

    p = r->headers_in.content_type->value.data;
    last = p + r->headers_in.content_type->value.len;

    for ( ;; ) {

        while (p < last && *p != ';') {
            p++;
        }

        if (p == last) {
            return 0;
        }

        p++;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (last - p < 2 || ngx_strncasecmp(p, (u_char *) "ty", 2) != 0) {
            continue;
        }

        p += 2;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p != '=') {
            continue;
        }

        p++;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p != '2') {
            continue;
        }

        p++;

        if (p == last || *p == ';' || *p == ' ' || *p == '\t') {
            return 1;
        }
    }
}


/*
 * Whether the claimed originator holds credentials of its own: an entity
 * of the server's PSK table, or one "onem2m_sae_cert_entity" names (the
 * list is short: CSEs and the odd AE with certificates).  Returns its
 * ONEM2M_SAE_ENTITY_* type and its identifier as provisioned, or 0.
 */

static ngx_uint_t
ngx_http_onem2m_originator_credential(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *claim,
    ngx_http_onem2m_id_t *id, ngx_str_t *entity)
{
    int                     rc;
    ngx_uint_t              i, type;
    ngx_http_onem2m_id_t   *listed;
    ONEM2M_SAE_LOOKUP       lk;

    rc = ngx_http_onem2m_originator_find(r, oscf, claim, id, &lk);

    if (rc == 1) {
        /* a live store's lookup is on this stack: a copy */
        type = lk.entry.entity_type;
        entity->len = lk.entry.entity_len;
        entity->data = ngx_pnalloc(r->pool, entity->len);

        if (entity->data == NULL) {
            entity->len = 0;
        } else {
            ngx_memcpy(entity->data, lk.entry.entity, entity->len);
        }

        ONEM2M_SAE_lookup_cleanse(&lk);
        return type;
    }

    ONEM2M_SAE_lookup_cleanse(&lk);

    if (rc < 0) {
        /* the store failed: fail closed, as if a CSE held the claim */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "onem2m originator: the psk table failed a lookup");
        *entity = *claim;
        return ONEM2M_SAE_ENTITY_CSE;
    }

    if (oscf->cert_ids == NULL) {
        return 0;
    }

    /* in any case, like the gateway's own CSE-ID */

    /*
     * The CSE reading first: "/Sx" listed and "//<SP-ID>/Sx" claimed may
     * both be the CSE "Sx", which no one else may claim.
     */

    listed = oscf->cert_ids->elts;

    for (i = 0; i < oscf->cert_ids->nelts; i++) {
        if (listed[i].cse.len != 0 && id->cse.len != 0
            && ngx_http_onem2m_id_same(&listed[i].cse, &id->cse, 1))
        {
            *entity = listed[i].cse;
            return ONEM2M_SAE_ENTITY_CSE;
        }
    }

    for (i = 0; i < oscf->cert_ids->nelts; i++) {
        if (listed[i].kind == NGX_HTTP_ONEM2M_ID_AE
            && ngx_http_onem2m_id_equal_nocase(&listed[i], id))
        {
            *entity = listed[i].canonical;
            return ONEM2M_SAE_ENTITY_AE;
        }
    }

    return 0;
}


/* whether an absolute AE-ID "//<SP-ID>/..." names another SP than ours */

static ngx_uint_t
ngx_http_onem2m_originator_other_sp(
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *ae_id)
{
    u_char  *p, *last, *slash;
    size_t   len;

    p = ae_id->data;
    last = p + ae_id->len;

    if (ae_id->len < 3 || p[0] != '/' || p[1] != '/') {
        return 0;
    }

    slash = ngx_strlchr(p + 2, last, '/');

    if (slash == NULL) {
        return 1;
    }

    /* SP-IDs are domain names: compared without case or final dot */

    len = slash - p - 2;

    if (len > 0 && p[2 + len - 1] == '.') {
        len--;
    }

    return len != oscf->sp_id.len
           || ngx_strncasecmp(p + 2, oscf->sp_id.data, oscf->sp_id.len) != 0;
}


/*
 * The table entry whose entity is the claimed originator, in whichever
 * form the table stores it: the claim as written, and the stem,
 * SP-relative and absolute forms of the same entity.
 */

static int
ngx_http_onem2m_originator_find(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *claim,
    ngx_http_onem2m_id_t *id, ONEM2M_SAE_LOOKUP *lk)
{
    int                       rc;
    u_char                   *p, *last;
    u_char                    buf[4 * NGX_HTTP_ONEM2M_FORM_LEN];
    ngx_str_t                *cse, *sp, *c;
    ngx_uint_t                i, n;
    ONEM2M_SAE_TABLE         *table;
    ngx_str_t                 form[4];

    ngx_memzero(lk, sizeof(ONEM2M_SAE_LOOKUP));

    table = ngx_http_onem2m_sae_table(r);
    if (table == NULL) {
        return 0;
    }

    rc = ONEM2M_SAE_table_get_entity(table, (const char *) claim->data,
                                     claim->len, lk);

    c = &id->canonical;

    if (rc != 0 || id->kind == NGX_HTTP_ONEM2M_ID_OTHER
        || (c->len > 1 && c->data[0] == '/' && c->data[1] == '/'))
    {
        /* another SP's identifier means it only as written */
        return rc;
    }

    cse = &oscf->cse_id;
    sp = &oscf->sp_id;

    p = buf;
    last = buf + sizeof(buf);
    n = 0;

    form[n].data = p;
    p = ngx_slprintf(p, last, "%V", c);
    form[n].len = p - form[n].data;
    n++;

    if (id->local && id->s_stem) {
        form[n].data = p;
        p = ngx_slprintf(p, last, "/%V", c);
        form[n].len = p - form[n].data;
        n++;

        if (sp->len) {
            form[n].data = p;
            p = ngx_slprintf(p, last, "//%V/%V", sp, c);
            form[n].len = p - form[n].data;
            n++;
        }

    } else if (id->local) {
        form[n].data = p;
        p = ngx_slprintf(p, last, "/%V/%V", cse, c);
        form[n].len = p - form[n].data;
        n++;

        if (sp->len) {
            form[n].data = p;
            p = ngx_slprintf(p, last, "//%V/%V/%V", sp, cse, c);
            form[n].len = p - form[n].data;
            n++;
        }

    } else if (sp->len) {

        /* SP-relative: an AE of another CSE, or a CSE */

        form[n].data = p;
        p = ngx_slprintf(p, last, "//%V%V", sp, c);
        form[n].len = p - form[n].data;
        n++;
    }

    for (i = 0; i < n; i++) {
        rc = ONEM2M_SAE_table_get_entity(table, (const char *) form[i].data,
                                         form[i].len, lk);
        if (rc != 0) {
            return rc;
        }
    }

    return 0;
}


/*
 * Identifier forms (TS-0001 Table 7.2-1, TS-0004 6.2.3), pure functions
 * of the strings:
 *
 *   "<stem>"                     AE-ID-Stem: C-stem registered here, or
 *                                S-stem of this SP
 *   "/<CSE-ID>/<stem>"           SP-relative AE-ID (C-stem)
 *   "//<SP-ID>/<CSE-ID>/<stem>"  absolute AE-ID (C-stem)
 *   "/<S-stem>"                  SP-relative AE-ID (S-stem)
 *   "//<SP-ID>/<S-stem>"         absolute AE-ID (S-stem)
 *   "/<CSE-ID>"                  SP-relative CSE-ID
 *   "//<SP-ID>/<CSE-ID>"         absolute CSE-ID
 *
 * An empty sp_id (no "onem2m_sae_sp_id") takes every SP-ID as this one,
 * which makes more claims match a credential, never fewer.  "/S..." and
 * "//<SP-ID>/S..." cannot be told apart from a CSE-ID starting with "S":
 * they are kept as the S-stem AE-ID, with the CSE reading in id->cse.
 */

static void
ngx_http_onem2m_id_parse(ngx_str_t *in, ngx_str_t *cse_id, ngx_str_t *sp_id,
    ngx_http_onem2m_id_t *id)
{
    u_char  *p, *last, *slash, *rest;
    size_t   len;

    ngx_memzero(id, sizeof(ngx_http_onem2m_id_t));

    id->kind = NGX_HTTP_ONEM2M_ID_OTHER;
    id->canonical = *in;

    p = in->data;
    last = p + in->len;
    rest = p;

    if (in->len == 0) {
        return;
    }

    /*
     * The one grammar (common/onem2m_id.c): what it refuses ("in-cse-8",
     * "/in-cse-8#", "in-cse-8;x") stays OTHER.  "C" and "S" alone ask the
     * registrar for an AE-ID and read as a stem, as before.
     */

    if (!ngx_http_onem2m_id_is_request_for_id(in)
        && onem2m_id_parse((const char *) in->data, in->len, NULL) == 0)
    {
        return;
    }

    if (in->len > 2 && p[0] == '/' && p[1] == '/') {

        slash = ngx_strlchr(p + 2, last, '/');

        if (slash == NULL || slash == p + 2 || slash + 1 == last) {
            return;
        }

        rest = slash;

        /* a domain name, in any case, with or without its final dot */

        len = slash - p - 2;

        if (p[2 + len - 1] == '.') {
            len--;
        }

        if (sp_id->len != 0
            && (len != sp_id->len
                || ngx_strncasecmp(p + 2, sp_id->data, sp_id->len) != 0))
        {
            /* another SP: canonical as written, kind by its shape */

            slash = ngx_strlchr(rest + 1, last, '/');

            if (slash == NULL) {
                id->kind = (rest[1] == 'S') ? NGX_HTTP_ONEM2M_ID_AE
                                            : NGX_HTTP_ONEM2M_ID_CSE;
                id->cse = *in;

            } else if (slash + 1 < last && slash > rest + 1
                       && ngx_strlchr(slash + 1, last, '/') == NULL)
            {
                id->kind = NGX_HTTP_ONEM2M_ID_AE;
            }

            return;
        }

    }

    /* "/S...": an S-stem AE-ID, or a CSE-ID starting with "S" */

    if (rest[0] == '/' && rest + 1 < last && rest[1] == 'S'
        && ngx_strlchr(rest + 1, last, '/') == NULL)
    {
        id->kind = NGX_HTTP_ONEM2M_ID_AE;
        id->canonical.data = rest + 1;
        id->canonical.len = last - rest - 1;
        id->cse.data = rest;
        id->cse.len = last - rest;
        id->local = 1;
        id->s_stem = 1;
        return;
    }

    if (rest[0] == '/') {

        /* SP-relative: "/<CSE-ID>" or "/<CSE-ID>/<stem>" */

        if (rest + 1 == last || rest[1] == '/') {
            return;
        }

        slash = ngx_strlchr(rest + 1, last, '/');

        if (slash == NULL) {
            id->kind = NGX_HTTP_ONEM2M_ID_CSE;
            id->canonical.data = rest;
            id->canonical.len = last - rest;
            id->cse = id->canonical;
            return;
        }

        if (slash + 1 == last || ngx_strlchr(slash + 1, last, '/') != NULL) {
            return;
        }

        id->kind = NGX_HTTP_ONEM2M_ID_AE;

        /* this gateway's CSE-ID in any case: its AEs are refused alike */

        if ((size_t) (slash - rest - 1) == cse_id->len
            && ngx_strncasecmp(rest + 1, cse_id->data, cse_id->len) == 0)
        {
            id->canonical.data = slash + 1;
            id->canonical.len = last - slash - 1;
            id->local = 1;
            id->s_stem = (slash[1] == 'S');
            return;
        }

        id->canonical.data = rest;
        id->canonical.len = last - rest;
        return;
    }

    if (ngx_strlchr(p, last, '/') != NULL) {
        return;
    }

    id->kind = NGX_HTTP_ONEM2M_ID_AE;
    id->local = 1;
    id->stem_form = 1;
    id->s_stem = (p[0] == 'S');
}


static ngx_uint_t
ngx_http_onem2m_id_equal(ngx_http_onem2m_id_t *a, ngx_http_onem2m_id_t *b)
{
    return a->kind == b->kind
           && a->kind != NGX_HTTP_ONEM2M_ID_OTHER
           && ngx_http_onem2m_id_same(&a->canonical, &b->canonical, 0);
}


static ngx_uint_t
ngx_http_onem2m_id_equal_nocase(ngx_http_onem2m_id_t *a,
    ngx_http_onem2m_id_t *b)
{
    return a->kind == b->kind
           && a->kind != NGX_HTTP_ONEM2M_ID_OTHER
           && ngx_http_onem2m_id_same(&a->canonical, &b->canonical, 1);
}


/*
 * Two canonical forms of one identifier.  Another SP's identifiers stay
 * as written: their SP-ID compares without case and final dot too.
 */

static ngx_uint_t
ngx_http_onem2m_id_same(ngx_str_t *a, ngx_str_t *b, ngx_uint_t nocase)
{
    u_char  *sa, *sb;
    size_t   la, lb;

    if (a->len > 2 && a->data[0] == '/' && a->data[1] == '/'
        && b->len > 2 && b->data[0] == '/' && b->data[1] == '/')
    {
        sa = ngx_strlchr(a->data + 2, a->data + a->len, '/');
        sb = ngx_strlchr(b->data + 2, b->data + b->len, '/');

        if (sa != NULL && sb != NULL) {
            la = sa - a->data - 2;
            lb = sb - b->data - 2;

            la -= (la > 0 && a->data[2 + la - 1] == '.');
            lb -= (lb > 0 && b->data[2 + lb - 1] == '.');

            if (la != lb || ngx_strncasecmp(a->data + 2, b->data + 2, la) != 0
                || (size_t) (a->data + a->len - sa)
                   != (size_t) (b->data + b->len - sb))
            {
                return 0;
            }

            la = a->data + a->len - sa;

            return nocase ? ngx_strncasecmp(sa, sb, la) == 0
                          : ngx_strncmp(sa, sb, la) == 0;
        }
    }

    if (a->len != b->len) {
        return 0;
    }

    return nocase ? ngx_strncasecmp(a->data, b->data, a->len) == 0
                  : ngx_strncmp(a->data, b->data, a->len) == 0;
}


/* whether an identifier can be this gateway's CSE-ID, in any case */

static ngx_uint_t
ngx_http_onem2m_id_is_gateway(ngx_http_onem2m_id_t *id, ngx_str_t *cse_id)
{
    return id->cse.len == cse_id->len + 1
           && id->cse.data[0] == '/'
           && ngx_strncasecmp(id->cse.data + 1, cse_id->data, cse_id->len)
              == 0;
}


/* visible ASCII only: no space, no control character, no 8-bit byte */

static ngx_uint_t
ngx_http_onem2m_id_printable(ngx_str_t *id)
{
    size_t  i;

    for (i = 0; i < id->len; i++) {
        if (id->data[i] < 0x21 || id->data[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}


/* "C" or "S": an AE registration asking the registrar for an AE-ID */

static ngx_uint_t
ngx_http_onem2m_id_is_request_for_id(ngx_str_t *id)
{
    return id->len == 1 && (id->data[0] == 'C' || id->data[0] == 'S');
}


static char *
ngx_http_onem2m_originator(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_onem2m_originator_loc_conf_t *olcf = conf;

    char  *rv;

    rv = ngx_conf_set_enum_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    olcf->file = cf->conf_file->file.name.data;
    olcf->line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/*
 * CSE-ID: the characters of an unreserved URI segment (RFC 3986), as
 * "mn-cse-123456" or "/mn-cse-123456".
 */

static char *
ngx_http_onem2m_originator_cse_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_onem2m_originator_srv_conf_t *oscf = conf;

    u_char     *p;
    size_t      i;
    ngx_str_t  *value, id;

    if (oscf->cse_id.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    id = value[1];

    if (id.len > 0 && id.data[0] == '/') {
        id.data++;
        id.len--;
    }

    if (id.len == 0 || id.len > NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN - 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid CSE-ID \"%V\" in \"%V\": empty or "
                           "too long", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < id.len; i++) {
        p = &id.data[i];

        /* one character at a time, to name it */
        if (!onem2m_id_segment_valid((const char *) p, 1)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid CSE-ID \"%V\" in \"%V\": "
                               "character '%c' is not allowed",
                               &value[1], &cmd->name, *p);
            return NGX_CONF_ERROR;
        }
    }

    oscf->cse_id = id;

    return NGX_CONF_OK;
}


/* SP-ID: a domain name, as "in.provider.com" or "//in.provider.com" */

static char *
ngx_http_onem2m_originator_sp_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_onem2m_originator_srv_conf_t *oscf = conf;

    ngx_str_t  *value, id;

    if (oscf->sp_id.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    id = value[1];

    if (id.len > 1 && id.data[0] == '/' && id.data[1] == '/') {
        id.data += 2;
        id.len -= 2;
    }

    if (id.len == 0 || id.len > 253) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid SP-ID \"%V\" in \"%V\": empty or "
                           "too long", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    /* the host name rule of "onem2m_sae_sp_domain" (common/onem2m_id.c) */

    if (!onem2m_host_name_valid((const char *) id.data, id.len, 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid SP-ID \"%V\" in \"%V\": not a domain name",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    oscf->sp_id = id;

    return NGX_CONF_OK;
}


/*
 * "onem2m_sae_cert_entity <ID> ...": entities that authenticate with
 * certificates, as CSE-IDs ("/in-cse-1") or AE-IDs in any form; what each
 * one is gets decided once the server's CSE-ID and SP-ID are known.
 */

static char *
ngx_http_onem2m_originator_cert_entity(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_onem2m_originator_srv_conf_t *oscf = conf;

    ngx_str_t                            *value;
    ngx_uint_t                            i;
    ngx_http_onem2m_originator_entity_t  *e;

    if (oscf->cert_entities == NGX_CONF_UNSET_PTR) {
        oscf->cert_entities = ngx_array_create(cf->pool, 4,
                                  sizeof(ngx_http_onem2m_originator_entity_t));
        if (oscf->cert_entities == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0
            || value[i].len > NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN
            || !ngx_http_onem2m_id_printable(&value[i]))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid identifier \"%V\" in \"%V\": "
                               "empty, longer than %d bytes or not "
                               "printable ASCII", &value[i], &cmd->name,
                               NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN);
            return NGX_CONF_ERROR;
        }

        e = ngx_array_push(oscf->cert_entities);
        if (e == NULL) {
            return NGX_CONF_ERROR;
        }

        e->id = value[i];
        e->file = cf->conf_file->file.name.data;
        e->line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_onem2m_originator_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_originator_main_conf_t  *omcf;

    omcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_onem2m_originator_main_conf_t));
    if (omcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&omcf->sites, cf->pool, 4,
                       sizeof(ngx_http_onem2m_originator_site_t))
        != NGX_OK)
    {
        return NULL;
    }

    return omcf;
}


static void *
ngx_http_onem2m_originator_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_originator_srv_conf_t  *oscf;

    oscf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_onem2m_originator_srv_conf_t));
    if (oscf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     oscf->cse_id = { 0, NULL };
     *     oscf->sp_id = { 0, NULL };
     *     oscf->cert_ids = NULL;
     */

    oscf->cert_entities = NGX_CONF_UNSET_PTR;

    return oscf;
}


static char *
ngx_http_onem2m_originator_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_onem2m_originator_srv_conf_t *prev = parent;
    ngx_http_onem2m_originator_srv_conf_t *conf = child;

    ngx_http_onem2m_originator_entity_t  *e;

    ngx_conf_merge_str_value(conf->cse_id, prev->cse_id, "");
    ngx_conf_merge_str_value(conf->sp_id, prev->sp_id, "");

    /*
     * A list of who must not be impersonated only grows: a server's own
     * entries add to those of http{}.
     */

    if (conf->cert_entities == NGX_CONF_UNSET_PTR) {
        conf->cert_entities = (prev->cert_entities == NGX_CONF_UNSET_PTR)
                              ? NULL : prev->cert_entities;

    } else if (prev->cert_entities != NGX_CONF_UNSET_PTR
               && prev->cert_entities != NULL)
    {
        e = ngx_array_push_n(conf->cert_entities,
                             prev->cert_entities->nelts);
        if (e == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(e, prev->cert_entities->elts,
                   prev->cert_entities->nelts
                   * sizeof(ngx_http_onem2m_originator_entity_t));
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_onem2m_originator_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_originator_loc_conf_t  *olcf;

    olcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_onem2m_originator_loc_conf_t));
    if (olcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     olcf->file = NULL;
     *     olcf->line = 0;
     */

    olcf->mode = NGX_CONF_UNSET_UINT;

    return olcf;
}


static char *
ngx_http_onem2m_originator_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_onem2m_originator_loc_conf_t *prev = parent;
    ngx_http_onem2m_originator_loc_conf_t *conf = child;

    ngx_http_conf_ctx_t                     *ctx;
    ngx_http_onem2m_originator_site_t       *site;
    ngx_http_onem2m_originator_main_conf_t  *omcf;

    if (conf->mode == NGX_CONF_UNSET_UINT) {
        conf->file = prev->file;
        conf->line = prev->line;
    }

    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_ONEM2M_ORIGINATOR_OFF);

    if (conf->mode == NGX_HTTP_ONEM2M_ORIGINATOR_OFF) {
        return NGX_CONF_OK;
    }

    /*
     * Whether the server has SAE is known once every module has merged its
     * server configurations (the SAE module opens its tables then), which
     * is not yet the case for a module placed before it: remember the
     * location and look in postconfiguration.
     */

    ctx = cf->ctx;
    omcf = ngx_http_conf_get_module_main_conf(cf,
                                         ngx_http_onem2m_originator_module);

    site = ngx_array_push(&omcf->sites);
    if (site == NULL) {
        return NGX_CONF_ERROR;
    }

    site->srv_conf = ctx->srv_conf;
    site->olcf = conf;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_onem2m_originator_init(ngx_conf_t *cf)
{
    ngx_uint_t                               i;
    ngx_array_t                             *handlers;
    ngx_http_handler_pt                     *h;
    ngx_http_core_srv_conf_t               **cscfp;
    ngx_http_core_main_conf_t               *cmcf;
    ngx_http_onem2m_originator_site_t       *site;
    ngx_http_onem2m_originator_srv_conf_t   *oscf;
    ngx_http_onem2m_originator_main_conf_t  *omcf;

    omcf = ngx_http_conf_get_module_main_conf(cf,
                                         ngx_http_onem2m_originator_module);
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* every server's list is checked, used or not */

    cscfp = cmcf->servers.elts;

    for (i = 0; i < cmcf->servers.nelts; i++) {
        oscf = cscfp[i]->ctx->srv_conf[
                                ngx_http_onem2m_originator_module.ctx_index];

        if (ngx_http_onem2m_originator_read_entities(cf, oscf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    site = omcf->sites.elts;

    for (i = 0; i < omcf->sites.nelts; i++) {

        /* what is checked belongs to the server: once per server */

        if (i > 0 && site[i].srv_conf == site[i - 1].srv_conf) {
            continue;
        }

        if (ngx_http_onem2m_originator_check_site(cf, &site[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (omcf->sites.nelts == 0) {
        return NGX_OK;
    }

    /*
     * nginx runs the handlers of a phase from the last registered to the
     * first: the first place of the array makes this handler run after
     * every other PREACCESS handler (the SAE module's 4107, limit_req,
     * limit_conn), whatever the order of the modules.
     */

    handlers = &cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers;

    h = ngx_array_push(handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h = handlers->elts;
    ngx_memmove(&h[1], &h[0],
                (handlers->nelts - 1) * sizeof(ngx_http_handler_pt));
    h[0] = ngx_http_onem2m_originator_handler;

    return NGX_OK;
}


/*
 * A location with originator checks: its server must associate, know its
 * CSE-ID, and know its SP-ID when certificates name SPs, the SP of its
 * CSE-ID certificates.
 */

static ngx_int_t
ngx_http_onem2m_originator_check_site(ngx_conf_t *cf,
    ngx_http_onem2m_originator_site_t *site)
{
    ngx_str_t                              *domain;
    ngx_uint_t                              methods;
    ngx_http_onem2m_originator_srv_conf_t  *oscf;

    oscf = site->srv_conf[ngx_http_onem2m_originator_module.ctx_index];
    methods = ngx_http_onem2m_sae_srv_methods(site->srv_conf);

    if (methods == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae_originator\" needs a security "
                      "association on its server "
                      "(\"onem2m_sae_psk_table\", or \"ssl_verify_client\" "
                      "with \"onem2m_sae\") in %s:%ui",
                      site->olcf->file, site->olcf->line);
        return NGX_ERROR;
    }

    if (oscf->cse_id.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae_originator\" needs "
                      "\"onem2m_sae_cse_id\" in its server in %s:%ui",
                      site->olcf->file, site->olcf->line);
        return NGX_ERROR;
    }

    if ((methods & NGX_HTTP_ONEM2M_SAE_BY_CERT) && oscf->sp_id.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae_originator\" on a server with "
                      "certificates (\"ssl_verify_client\") needs "
                      "\"onem2m_sae_sp_id\": AE-ID certificates name "
                      "their SP, in %s:%ui",
                      site->olcf->file, site->olcf->line);
        return NGX_ERROR;
    }

    /*
     * CSE-ID certificates name CSEs of the SP domain, which the checks
     * take as CSEs of this SP-ID: the two are one SP's name.
     */

    domain = ngx_http_onem2m_sae_srv_sp_domain(site->srv_conf);

    if ((methods & NGX_HTTP_ONEM2M_SAE_BY_CERT) && domain->len != 0
        && (domain->len != oscf->sp_id.len
            || ngx_strncasecmp(domain->data, oscf->sp_id.data, domain->len)
               != 0))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae_sp_domain %V\" is not "
                      "\"onem2m_sae_sp_id %V\": the CSE-ID certificates of "
                      "%V would be checked as CSEs of %V, in %s:%ui",
                      domain, &oscf->sp_id, domain, &oscf->sp_id,
                      site->olcf->file, site->olcf->line);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * "onem2m_sae_cert_entity" read once with the server's CSE-ID and SP-ID:
 * each must be a CSE-ID "/<CSE-ID>" or an SP-relative or absolute AE-ID
 * whose stem starts with "C" or "S" (TS-0001 Table 7.2-1).
 */

static ngx_int_t
ngx_http_onem2m_originator_read_entities(ngx_conf_t *cf,
    ngx_http_onem2m_originator_srv_conf_t *oscf)
{
    ngx_uint_t                            i;
    ngx_http_onem2m_id_t                 *id;
    ngx_http_onem2m_originator_entity_t  *e;

    if (oscf->cert_entities == NULL || oscf->cert_ids != NULL) {
        return NGX_OK;
    }

    oscf->cert_ids = ngx_array_create(cf->pool, oscf->cert_entities->nelts,
                                      sizeof(ngx_http_onem2m_id_t));
    if (oscf->cert_ids == NULL) {
        return NGX_ERROR;
    }

    e = oscf->cert_entities->elts;

    for (i = 0; i < oscf->cert_entities->nelts; i++) {

        id = ngx_array_push(oscf->cert_ids);
        if (id == NULL) {
            return NGX_ERROR;
        }

        ngx_http_onem2m_id_parse(&e[i].id, &oscf->cse_id, &oscf->sp_id, id);

        /*
         * Written with a "/": a bare "CSE01" could be a CSE-ID that lost
         * it as well as an AE-ID-Stem.
         */

        if (ngx_strlchr(e[i].id.data, e[i].id.data + e[i].id.len, '/')
            == NULL)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"%V\" in \"onem2m_sae_cert_entity\" has no "
                          "\"/\": write a CSE-ID as \"/<CSE-ID>\" and an "
                          "AE-ID SP-relative or absolute in %s:%ui",
                          &e[i].id, e[i].file, e[i].line);
            return NGX_ERROR;
        }

        if (id->kind == NGX_HTTP_ONEM2M_ID_OTHER) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"%V\" in \"onem2m_sae_cert_entity\" is neither "
                          "a CSE-ID (\"/<CSE-ID>\") nor an AE-ID (a stem "
                          "starting with \"C\" or \"S\") in %s:%ui",
                          &e[i].id, e[i].file, e[i].line);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
