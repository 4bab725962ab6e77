
/*
 * oneM2M Security Association Establishment (TS-0003) for nginx.
 *
 * TLS-PSK on stock nginx: the psk-lookup-table is opened through the
 * "onem2m" provider at configuration time, the provider's TLS hook is
 * installed on the SSL_CTX of every ssl server, and the entity the
 * handshake authenticated is bound to the connection.  Requests then carry
 * that entity upstream in a header no client can forge, and requests
 * without a security association are refused where one is required.
 *
 * Certificate-based SAE on the same servers: with "ssl_verify_client", a
 * client certificate nginx verified binds the AE-ID or CSE-ID it names
 * (TS-0003 8.2.2.2); a server may serve PSK and certificate clients at
 * once.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"
#include "common/onem2m_id.h"
#include "ngx_http_onem2m_compat.h"
#include "ngx_http_onem2m_header.h"
#include "ngx_http_onem2m_sae_live.h"


#define NGX_HTTP_ONEM2M_SAE_DEFAULT_HEADER  "X-Onem2m-Sae-Entity"


typedef struct {
    ngx_str_t                  provider_path;
    /* servers with a way of association, PSK or certificates */
    ngx_uint_t                 sae_servers;
    /* every identity header name of the http block (ngx_str_t) */
    ngx_array_t               *strip;
} ngx_http_onem2m_sae_main_conf_t;


typedef struct {
    ngx_str_t                  table_uri;
    u_char                    *table_file;
    ngx_uint_t                 table_line;
    ONEM2M_SAE_TABLE          *table;

    ngx_uint_t                 unknown_identity;

    /* of failed handshakes: "onem2m_sae_log_level" */
    ngx_uint_t                 log_level;

    ngx_str_t                  header;
    u_char                    *header_lowcase;
    ngx_uint_t                 header_hash;

    /* "<CSE-ID>.<sp_domain>": the dNSName of CSE-ID certificates */
    ngx_str_t                  sp_domain;

    /* the first "onem2m_sae optional|required" of the server */
    ngx_str_t                  mode_name;
    u_char                    *mode_file;
    ngx_uint_t                 mode_line;

    /*
     * the server's own SSL_CTX: only a certificate its CA list verified
     * binds (without SNI, the default server's SSL_CTX verifies)
     */
    SSL_CTX                   *ssl_ctx;

    unsigned                   enabled:1;
    /* "ssl_verify_client": verified certificates bind */
    unsigned                   certificates:1;
    /* a location hands requests to a content handler (proxy_pass, ...) */
    unsigned                   passes:1;
} ngx_http_onem2m_sae_srv_conf_t;


typedef struct {
    ngx_uint_t                 mode;
} ngx_http_onem2m_sae_loc_conf_t;


/* the binding of a TLS connection, cached for its keepalive requests */
typedef struct {
    const ONEM2M_SAE_ENTRY          *entry;
    const ONEM2M_SAE_TABLE          *table;
    ngx_http_onem2m_sae_binding_t    binding;
    /* the server the certificate binding was made for */
    ngx_http_onem2m_sae_srv_conf_t  *cert_sscf;
    unsigned                         cert_logged:1;
} ngx_http_onem2m_sae_conn_t;


typedef struct {
    ngx_conf_t                      *cf;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;
    ngx_uint_t                       errors;
    ngx_str_t                        path;      /* prefix of messages */
    u_char                           how[80];   /* read or reused */
} ngx_http_onem2m_sae_diag_ctx_t;


static ngx_int_t ngx_http_onem2m_sae_post_read_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_onem2m_sae_preaccess_handler(ngx_http_request_t *r);
static ngx_http_onem2m_sae_conn_t *ngx_http_onem2m_sae_get_conn(
    ngx_http_request_t *r);
static ngx_http_onem2m_sae_binding_t *ngx_http_onem2m_sae_cert_binding(
    ngx_http_request_t *r, ngx_http_onem2m_sae_conn_t *sc,
    ngx_http_onem2m_sae_srv_conf_t *sscf);
static ngx_int_t ngx_http_onem2m_sae_printable(const char *s, size_t len);
static void ngx_http_onem2m_sae_event(SSL *ssl, void *arg, int event,
    const char *identity, size_t identity_len,
    const ONEM2M_SAE_ENTRY *entry);

static ngx_int_t ngx_http_onem2m_sae_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_onem2m_sae_add_variables(ngx_conf_t *cf);
static void *ngx_http_onem2m_sae_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_onem2m_sae_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_sae_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static void *ngx_http_onem2m_sae_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_sae_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_onem2m_sae_init(ngx_conf_t *cf);

static char *ngx_http_onem2m_sae_psk_table(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_sae_mode_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_sae_identity_header(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_sae_sp_domain(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

static ngx_int_t ngx_http_onem2m_sae_strip_names(ngx_conf_t *cf,
    ngx_http_onem2m_sae_main_conf_t *smcf);
static void ngx_http_onem2m_sae_check_siblings(ngx_conf_t *cf);
static ngx_int_t ngx_http_onem2m_sae_enable(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf);
static ngx_uint_t ngx_http_onem2m_sae_ssl_listen(ngx_conf_t *cf);
static ngx_int_t ngx_http_onem2m_sae_open_table(ngx_conf_t *cf,
    ngx_http_onem2m_sae_main_conf_t *smcf,
    ngx_http_onem2m_sae_srv_conf_t *sscf);
static void ngx_http_onem2m_sae_diag(void *arg, int severity,
    const char *msg);
static void ngx_http_onem2m_sae_free_table(void *data);
static ngx_int_t ngx_http_onem2m_sae_check_ciphers(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl);
static void ngx_http_onem2m_sae_check_ccm8(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl);
static ngx_int_t ngx_http_onem2m_sae_check_mixed(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl);
static ngx_uint_t ngx_http_onem2m_sae_tls12(ngx_http_ssl_srv_conf_t *ssl);
static ngx_uint_t ngx_http_onem2m_sae_has_kx(ngx_http_ssl_srv_conf_t *ssl,
    int kx);
static ngx_int_t ngx_http_onem2m_sae_enable_certificates(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl);


static ngx_conf_enum_t  ngx_http_onem2m_sae_modes[] = {
    { ngx_string("off"), NGX_HTTP_ONEM2M_SAE_OFF },
    { ngx_string("optional"), NGX_HTTP_ONEM2M_SAE_OPTIONAL },
    { ngx_string("required"), NGX_HTTP_ONEM2M_SAE_REQUIRED },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_onem2m_sae_unknown_identities[] = {
    { ngx_string("hide"), ONEM2M_SAE_UNKNOWN_HIDE },
    { ngx_string("alert"), ONEM2M_SAE_UNKNOWN_ALERT },
    { ngx_null_string, 0 }
};


/* after limit_req_log_level */
static ngx_conf_enum_t  ngx_http_onem2m_sae_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_onem2m_sae_commands[] = {

    { ngx_string("onem2m_sae_provider_path"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_onem2m_sae_main_conf_t, provider_path),
      NULL },

    { ngx_string("onem2m_sae_psk_table"),
      NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_sae_psk_table,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("onem2m_sae"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_sae_mode_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_onem2m_sae_loc_conf_t, mode),
      &ngx_http_onem2m_sae_modes },

    { ngx_string("onem2m_sae_identity_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_sae_identity_header,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("onem2m_sae_sp_domain"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_sae_sp_domain,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_onem2m_sae_srv_conf_t, sp_domain),
      NULL },

    { ngx_string("onem2m_sae_unknown_identity"),
      NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_onem2m_sae_srv_conf_t, unknown_identity),
      &ngx_http_onem2m_sae_unknown_identities },

    { ngx_string("onem2m_sae_log_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_onem2m_sae_srv_conf_t, log_level),
      &ngx_http_onem2m_sae_log_levels },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_onem2m_sae_module_ctx = {
    ngx_http_onem2m_sae_add_variables,     /* preconfiguration */
    ngx_http_onem2m_sae_init,              /* postconfiguration */

    ngx_http_onem2m_sae_create_main_conf,  /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_http_onem2m_sae_create_srv_conf,   /* create server configuration */
    ngx_http_onem2m_sae_merge_srv_conf,    /* merge server configuration */

    ngx_http_onem2m_sae_create_loc_conf,   /* create location configuration */
    ngx_http_onem2m_sae_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_onem2m_sae_module = {
    NGX_MODULE_V1,
    &ngx_http_onem2m_sae_module_ctx,       /* module context */
    ngx_http_onem2m_sae_commands,          /* module directives */
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


#define NGX_HTTP_ONEM2M_SAE_VAR_ENTITY         0
#define NGX_HTTP_ONEM2M_SAE_VAR_KPSA_ID        1
#define NGX_HTTP_ONEM2M_SAE_VAR_CREDENTIAL_ID  2
#define NGX_HTTP_ONEM2M_SAE_VAR_METHOD         3


static ngx_http_variable_t  ngx_http_onem2m_sae_vars[] = {

    { ngx_string("onem2m_sae_entity"), NULL, ngx_http_onem2m_sae_variable,
      NGX_HTTP_ONEM2M_SAE_VAR_ENTITY, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("onem2m_sae_kpsa_id"), NULL, ngx_http_onem2m_sae_variable,
      NGX_HTTP_ONEM2M_SAE_VAR_KPSA_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("onem2m_sae_credential_id"), NULL,
      ngx_http_onem2m_sae_variable,
      NGX_HTTP_ONEM2M_SAE_VAR_CREDENTIAL_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("onem2m_sae_method"), NULL, ngx_http_onem2m_sae_variable,
      NGX_HTTP_ONEM2M_SAE_VAR_METHOD, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_onem2m_sae_methods[] = {
    ngx_string(""),
    ngx_string("psk"),
    ngx_string("cert")
};

/* the live counter of each event of the TLS hook (ONEM2M_SAE_EV_*) */
static ngx_uint_t  ngx_http_onem2m_sae_counters[] = {
    NGX_CONF_UNSET_UINT,
    NGX_HTTP_ONEM2M_STATUS_PSK,             /* ONEM2M_SAE_EV_BOUND */
    NGX_HTTP_ONEM2M_STATUS_UNKNOWN,         /* ONEM2M_SAE_EV_UNKNOWN */
    NGX_HTTP_ONEM2M_STATUS_BAD_KEY,         /* ONEM2M_SAE_EV_BAD_KEY */
    NGX_CONF_UNSET_UINT,                    /* ONEM2M_SAE_EV_NO_TABLE */
    NGX_HTTP_ONEM2M_STATUS_RESUMED,         /* ONEM2M_SAE_EV_RESUMED */
    NGX_HTTP_ONEM2M_STATUS_RESUME_REFUSED,  /* ONEM2M_SAE_EV_RESUME_REFUSED */
    NGX_HTTP_ONEM2M_STATUS_BAD_IDENTITY,    /* ONEM2M_SAE_EV_BAD_IDENTITY */
    NGX_CONF_UNSET_UINT                     /* ONEM2M_SAE_EV_OTHER_TABLE */
};

/* SSL ex_data slot of the per-connection binding cache */
static int  ngx_http_onem2m_sae_conn_index = -1;


/* the exported API (ngx_http_onem2m_sae.h) */

ngx_http_onem2m_sae_binding_t *
ngx_http_onem2m_sae_binding(ngx_http_request_t *r)
{
    ngx_http_onem2m_sae_conn_t      *sc;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module);

    if (!sscf->enabled) {
        return NULL;
    }

    sc = ngx_http_onem2m_sae_get_conn(r);

    if (sc == NULL) {
        return NULL;
    }

    if (sc->entry == NULL) {
        return sscf->certificates
               ? ngx_http_onem2m_sae_cert_binding(r, sc, sscf) : NULL;
    }

    /*
     * The handshake may have used another server's table (SNI chose
     * another server than Host does): the binding counts only for a
     * server with the very table it was made with.
     */

    if (sc->table != sscf->table) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m sae: binding made with another table");
        return NULL;
    }

    if (ngx_http_onem2m_sae_live_current(r, sscf->table, &sc->binding)
        != NGX_OK)
    {
        return NULL;
    }

    return &sc->binding;
}


ONEM2M_SAE_TABLE *
ngx_http_onem2m_sae_table(ngx_http_request_t *r)
{
    return ngx_http_onem2m_sae_srv_table(r->srv_conf);
}


ONEM2M_SAE_TABLE *
ngx_http_onem2m_sae_srv_table(void **srv_conf)
{
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    sscf = srv_conf[ngx_http_onem2m_sae_module.ctx_index];

    return sscf->table;
}


ngx_uint_t
ngx_http_onem2m_sae_srv_methods(void **srv_conf)
{
    ngx_uint_t                       methods;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    sscf = srv_conf[ngx_http_onem2m_sae_module.ctx_index];

    methods = 0;

    if (sscf->table != NULL) {
        methods |= NGX_HTTP_ONEM2M_SAE_BY_PSK;
    }

    if (sscf->certificates) {
        methods |= NGX_HTTP_ONEM2M_SAE_BY_CERT;
    }

    return methods;
}


ngx_str_t *
ngx_http_onem2m_sae_srv_sp_domain(void **srv_conf)
{
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    sscf = srv_conf[ngx_http_onem2m_sae_module.ctx_index];

    return &sscf->sp_domain;
}


ngx_uint_t
ngx_http_onem2m_sae_mode(ngx_http_request_t *r)
{
    ngx_http_onem2m_sae_loc_conf_t  *slcf;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_onem2m_sae_module);

    if (slcf->mode != NGX_CONF_UNSET_UINT) {
        return slcf->mode;
    }

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module);

    return sscf->table ? NGX_HTTP_ONEM2M_SAE_REQUIRED
                       : NGX_HTTP_ONEM2M_SAE_OFF;
}


/* request phases */

static ngx_int_t
ngx_http_onem2m_sae_post_read_handler(ngx_http_request_t *r)
{
    ngx_str_t                        *name;
    ngx_uint_t                        removed;
    ngx_table_elt_t                  *h;
    ngx_http_onem2m_sae_binding_t    *binding;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_onem2m_sae_module);

    if (smcf->sae_servers == 0 || r != r->main) {
        return NGX_DECLINED;
    }

    /*
     * Every identity header name of the http block, stripped on every
     * server, not only on SAE ones: a client naming a sibling server (Host
     * or SNI), or a plain HTTP one, must not reach its upstream, often the
     * same CSE, with a forged identity under any server's header name.
     */

    removed = 0;
    name = NULL;

    if (ngx_http_onem2m_header_remove(&r->headers_in.headers, smcf->strip,
                                      &removed, &name)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (removed) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "onem2m sae: %ui client identity header(s) removed, "
                      "the first a spelling of \"%V\"", removed, name);
    }

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module);

    if (!sscf->enabled) {
        return NGX_DECLINED;
    }

    binding = ngx_http_onem2m_sae_binding(r);

    if (binding == NULL) {
        return NGX_DECLINED;
    }

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = sscf->header_hash;
    h->key = sscf->header;
    h->lowcase_key = sscf->header_lowcase;
    h->value = binding->entity;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_sae_preaccess_handler(ngx_http_request_t *r)
{
    if (ngx_http_onem2m_sae_mode(r) != NGX_HTTP_ONEM2M_SAE_REQUIRED) {
        return NGX_DECLINED;
    }

    if (ngx_http_onem2m_sae_binding(r) != NULL) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "onem2m sae: request without security association "
                  "refused (4107)");

    return ngx_http_onem2m_send_error(r,
                           NGX_HTTP_ONEM2M_SECURITY_ASSOCIATION_REQUIRED,
                           "security association required");
}


/*
 * The binding of the TLS connection under the request, looked up once per
 * connection and kept in the SSL object's ex_data, in memory of the client
 * connection's pool (for HTTP/2 the real connection, not the stream's).
 */

static ngx_http_onem2m_sae_conn_t *
ngx_http_onem2m_sae_get_conn(ngx_http_request_t *r)
{
    u_char                      *p;
    SSL                         *ssl;
    ngx_connection_t            *c;
    const ONEM2M_SAE_ENTRY      *entry;
    ngx_http_onem2m_sae_conn_t  *sc;

    c = r->connection;

    if (c->ssl == NULL || ngx_http_onem2m_sae_conn_index == -1) {
        return NULL;
    }

    ssl = c->ssl->connection;

    sc = SSL_get_ex_data(ssl, ngx_http_onem2m_sae_conn_index);
    if (sc) {
        return sc;
    }

    /* early data is processed before the handshake proved the key */

    if (!SSL_is_init_finished(ssl)) {
        return NULL;
    }

#if (NGX_HTTP_V2)
    if (r->main->stream) {
        c = r->main->stream->connection->connection;
    }
#endif

    sc = ngx_pcalloc(c->pool, sizeof(ngx_http_onem2m_sae_conn_t));
    if (sc == NULL) {
        return NULL;
    }

    entry = ONEM2M_SAE_get_binding(ssl);

    if (entry
        && (!ngx_http_onem2m_sae_printable(entry->entity, entry->entity_len)
            || entry->entity_len == 0))
    {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "onem2m sae: entity of psk identity is not printable, "
                      "connection left unbound");
        entry = NULL;
    }

    if (entry) {
        p = ngx_pnalloc(c->pool, sizeof("12-") - 1 + entry->kpsa_id_len);
        if (p == NULL) {
            return NULL;
        }

        sc->entry = entry;
        sc->table = ONEM2M_SAE_get_binding_table(ssl);
        sc->binding.method = NGX_HTTP_ONEM2M_SAE_PSK;
        sc->binding.entity_type = entry->entity_type;
        sc->binding.entity.data = (u_char *) entry->entity;
        sc->binding.entity.len = entry->entity_len;
        sc->binding.kpsa_id.data = (u_char *) entry->kpsa_id;
        sc->binding.kpsa_id.len = entry->kpsa_id_len;
        sc->binding.credential_id.data = p;
        sc->binding.credential_id.len =
            ngx_cpymem(ngx_cpymem(p, "12-", 3), entry->kpsa_id,
                       entry->kpsa_id_len)
            - p;
    }

    if (SSL_set_ex_data(ssl, ngx_http_onem2m_sae_conn_index, sc) == 0) {
        return NULL;
    }

    return sc;
}


/*
 * The identity of the client certificate nginx verified, for the SP
 * domain of the request's server.  It binds only if the server's own
 * SSL_CTX (its CA list) verified it: without SNI, or with SNI naming
 * another server, the handshake ran on another server's SSL_CTX, whose
 * CAs the request's server does not trust (nginx answers 421 only when
 * SNI was sent).  A resumed session carries the verification of the
 * SSL_CTX it was made on: nginx's session id context differs between
 * servers with other certificates or CAs, and a resumption without SNI
 * stays on the default server's SSL_CTX.  So one server at most binds a
 * connection's certificate; the identity is copied into the connection's
 * pool once, and earlier requests keep valid pointers.  A certificate
 * that binds nothing is logged once per connection, with the reason.
 */

static ngx_http_onem2m_sae_binding_t *
ngx_http_onem2m_sae_cert_binding(ngx_http_request_t *r,
    ngx_http_onem2m_sae_conn_t *sc, ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    int                               reason;
    u_char                           *entity, *credential_id, *last;
    const char                       *why;
    ngx_connection_t                 *c;
    const ONEM2M_SAE_CERT_IDENTITY   *id;
    u_char                            log_entity[
                                         NGX_HTTP_ONEM2M_LOG_ID_SIZE];

    if (sc->cert_sscf == sscf) {
        return &sc->binding;
    }

    c = r->connection;

    id = ONEM2M_SAE_get_cert_identity(c->ssl->connection,
                                      (const char *) sscf->sp_domain.data,
                                      sscf->sp_domain.len, &reason);

    if (id != NULL && (sscf->ssl_ctx == NULL
                       || SSL_get_SSL_CTX(c->ssl->connection)
                          != sscf->ssl_ctx))
    {
        if (sc->cert_logged) {
            return NULL;
        }

        sc->cert_logged = 1;

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "onem2m sae: client certificate binds nothing: "
                      "verified by the CA list of another server");
        return NULL;
    }

    if (id == NULL) {
        if (reason == ONEM2M_SAE_CERT_NO_CERT || sc->cert_logged) {
            return NULL;
        }

        sc->cert_logged = 1;

        switch (reason) {
        case ONEM2M_SAE_CERT_UNVERIFIED:
            why = "not verified";
            break;
        case ONEM2M_SAE_CERT_NO_IDENTITY:
            why = "no AE-ID URI and no CSE-ID dNSName of "
                  "\"onem2m_sae_sp_domain\"";
            break;
        case ONEM2M_SAE_CERT_AMBIGUOUS:
            why = "several URIs or identities";
            break;
        case ONEM2M_SAE_CERT_WILDCARD:
            why = "a wildcard name";
            break;
        case ONEM2M_SAE_CERT_STALE:
            /* the session's, verified again under the current CAs, CRLs */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "onem2m sae: client certificate binds nothing: "
                          "the resumed session's certificate no longer "
                          "verifies (%s)",
                          X509_verify_cert_error_string(
                              ONEM2M_SAE_get_cert_reverify_result(
                                  c->ssl->connection)));
            return NULL;
        default:
            why = "internal error";
            break;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "onem2m sae: client certificate binds nothing: %s",
                      why);
        return NULL;
    }

    if (!ngx_http_onem2m_sae_printable(id->entity, id->entity_len)) {
        return NULL;
    }

    /* sae_cert.c rewrites its buffers for another SP domain */

    entity = ngx_pnalloc(c->pool, id->entity_len + 1);
    credential_id = ngx_pnalloc(c->pool, id->credential_id_len + 1);

    if (entity == NULL || credential_id == NULL) {
        return NULL;
    }

    ngx_memcpy(entity, id->entity, id->entity_len);
    entity[id->entity_len] = '\0';
    ngx_memcpy(credential_id, id->credential_id, id->credential_id_len);
    credential_id[id->credential_id_len] = '\0';

    sc->binding.method = NGX_HTTP_ONEM2M_SAE_CERT;
    sc->binding.entity_type = id->entity_type;
    sc->binding.entity.data = entity;
    sc->binding.entity.len = id->entity_len;
    ngx_str_null(&sc->binding.kpsa_id);
    sc->binding.credential_id.data = credential_id;
    sc->binding.credential_id.len = id->credential_id_len;
    sc->cert_sscf = sscf;

    ngx_http_onem2m_status_count(r->srv_conf,
                                 SSL_session_reused(c->ssl->connection)
                                 ? NGX_HTTP_ONEM2M_STATUS_RESUMED
                                 : NGX_HTTP_ONEM2M_STATUS_CERT);

    last = ngx_http_onem2m_log_id(log_entity, entity, id->entity_len);

    ngx_log_error(NGX_LOG_INFO, c->log, 0,
                  "onem2m sae: client certificate bound to %*s",
                  last - log_entity, log_entity);

    return &sc->binding;
}


static ngx_int_t
ngx_http_onem2m_sae_printable(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((u_char) s[i] < 0x20 || (u_char) s[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/*
 * Handshake events of the TLS hook, into the connection's error log (its
 * context adds the client address): arg is the module server
 * configurations of the server whose SSL_CTX the connection has.
 * Failures at the server's "onem2m_sae_log_level", the rest at info.
 */

static void
ngx_http_onem2m_sae_event(SSL *ssl, void *arg, int event,
    const char *identity, size_t identity_len, const ONEM2M_SAE_ENTRY *entry)
{
    void                           **srv_conf = arg;

    size_t                           id_len, entity_len;
    ngx_uint_t                       failed;
    ngx_log_t                       *log;
    ngx_connection_t                *c;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;
    u_char                           id[NGX_HTTP_ONEM2M_LOG_ID_SIZE];
    u_char                           entity[NGX_HTTP_ONEM2M_LOG_ID_SIZE];

    sscf = srv_conf[ngx_http_onem2m_sae_module.ctx_index];

    if (event > 0 && event < (int) (sizeof(ngx_http_onem2m_sae_counters)
                                    / sizeof(ngx_uint_t))
        && ngx_http_onem2m_sae_counters[event] != NGX_CONF_UNSET_UINT)
    {
        ngx_http_onem2m_status_count(srv_conf,
                                     ngx_http_onem2m_sae_counters[event]);
    }

    c = ngx_ssl_get_connection(ssl);
    log = c ? c->log : ngx_cycle->log;

    failed = sscf->log_level;

    /* nginx keeps the most verbose log first, as ngx_log_error() knows */

    if (log->log_level < NGX_LOG_INFO && log->log_level < failed) {
        return;
    }

    id_len = ngx_http_onem2m_log_id(id, (const u_char *) identity,
                                    identity ? identity_len : 0)
             - id;
    entity_len = 0;

    if (entry) {
        entity_len = ngx_http_onem2m_log_id(entity,
                                            (const u_char *) entry->entity,
                                            entry->entity_len)
                     - entity;
    }

    switch (event) {

    case ONEM2M_SAE_EV_BOUND:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: psk identity %*s bound to %*s",
                      id_len, id, entity_len, entity);
        break;

    case ONEM2M_SAE_EV_RESUMED:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: resumed session of psk identity %*s "
                      "bound to %*s", id_len, id, entity_len, entity);
        break;

    case ONEM2M_SAE_EV_UNKNOWN:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: unknown psk identity %*s", id_len, id);
        break;

    case ONEM2M_SAE_EV_BAD_KEY:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: wrong key for psk identity %*s",
                      id_len, id);
        break;

    case ONEM2M_SAE_EV_RESUME_REFUSED:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: resumed session of psk identity %*s "
                      "not bound: identity no longer in the table",
                      id_len, id);
        break;

    case ONEM2M_SAE_EV_BAD_IDENTITY:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: malformed psk identity %*s", id_len, id);
        break;

    case ONEM2M_SAE_EV_NO_TABLE:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: psk identity %*s offered to a server "
                      "without psk table", id_len, id);
        break;

    case ONEM2M_SAE_EV_STORE_ERROR:
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "onem2m sae: the psk table failed the lookup of psk "
                      "identity %*s, refused", id_len, id);
        break;

    case ONEM2M_SAE_EV_OTHER_TABLE:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: psk identity %*s found in the table "
                      "of another server than the one SNI selected, "
                      "not bound", id_len, id);
        break;

    default:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: event %d for psk identity %*s",
                      event, id_len, id);
        break;
    }
}


static ngx_int_t
ngx_http_onem2m_sae_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                      *s;
    ngx_http_onem2m_sae_binding_t  *binding;

    binding = ngx_http_onem2m_sae_binding(r);

    /* unbound: empty strings, as documented */

    if (binding == NULL) {
        s = &ngx_http_onem2m_sae_methods[NGX_HTTP_ONEM2M_SAE_UNBOUND];

    } else {
        switch (data) {

        case NGX_HTTP_ONEM2M_SAE_VAR_ENTITY:
            s = &binding->entity;
            break;

        case NGX_HTTP_ONEM2M_SAE_VAR_KPSA_ID:
            s = &binding->kpsa_id;
            break;

        case NGX_HTTP_ONEM2M_SAE_VAR_CREDENTIAL_ID:
            s = &binding->credential_id;
            break;

        default: /* NGX_HTTP_ONEM2M_SAE_VAR_METHOD */
            s = &ngx_http_onem2m_sae_methods[binding->method];
            break;
        }
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/* configuration */

static ngx_int_t
ngx_http_onem2m_sae_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_onem2m_sae_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_onem2m_sae_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_onem2m_sae_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->provider_path = { 0, NULL };
     *     smcf->sae_servers = 0;
     *     smcf->strip = NULL;
     */

    return smcf;
}


static void *
ngx_http_onem2m_sae_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    sscf = ngx_pcalloc(cf->pool, sizeof(ngx_http_onem2m_sae_srv_conf_t));
    if (sscf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     sscf->table_uri = { 0, NULL };
     *     sscf->table = NULL;
     *     sscf->header = { 0, NULL };
     *     sscf->mode_file = NULL;
     *     sscf->sp_domain = { 0, NULL };
     *     sscf->enabled = 0;
     *     sscf->ssl_ctx = NULL;
     *     sscf->certificates = 0;
     *     sscf->passes = 0;
     */

    sscf->unknown_identity = NGX_CONF_UNSET_UINT;
    sscf->log_level = NGX_CONF_UNSET_UINT;

    return sscf;
}


static char *
ngx_http_onem2m_sae_merge_srv_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_onem2m_sae_srv_conf_t *prev = parent;
    ngx_http_onem2m_sae_srv_conf_t *conf = child;

    ngx_conf_merge_uint_value(conf->unknown_identity, prev->unknown_identity,
                              ONEM2M_SAE_UNKNOWN_HIDE);

    /*
     * "error": the default level of "error_log" (Debian's nginx.conf sets
     * none), so that a lock with a wrong key shows without configuration.
     */

    ngx_conf_merge_uint_value(conf->log_level, prev->log_level, NGX_LOG_ERR);

    ngx_conf_merge_str_value(conf->header, prev->header,
                             NGX_HTTP_ONEM2M_SAE_DEFAULT_HEADER);

    ngx_conf_merge_str_value(conf->sp_domain, prev->sp_domain, "");

    conf->header_lowcase = ngx_pnalloc(cf->pool, conf->header.len);
    if (conf->header_lowcase == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->header_hash = ngx_hash_strlow(conf->header_lowcase,
                                        conf->header.data, conf->header.len);

    /* tables, and modes asking for one, belong to a server: no inheritance */

    if (ngx_http_onem2m_sae_enable(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_onem2m_sae_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_sae_loc_conf_t  *slcf;

    slcf = ngx_palloc(cf->pool, sizeof(ngx_http_onem2m_sae_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    slcf->mode = NGX_CONF_UNSET_UINT;

    return slcf;
}


static char *
ngx_http_onem2m_sae_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_onem2m_sae_loc_conf_t *prev = parent;
    ngx_http_onem2m_sae_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    /* still unset: the server's default, decided by its table */

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_CONF_UNSET_UINT);

    /*
     * Noted for ngx_http_onem2m_sae_check_siblings(): only merges see
     * every location of a server ("if" and "limit_except" blocks are not
     * in the location trees nginx builds afterwards).
     */

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        sscf = ngx_http_conf_get_module_srv_conf(cf,
                                                 ngx_http_onem2m_sae_module);
        sscf->passes = 1;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_onem2m_sae_psk_table(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_onem2m_sae_srv_conf_t *sscf = conf;

    ngx_str_t  *value;

    if (sscf->table_uri.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0
        || (value[1].len == sizeof(ONEM2M_SAE_URI_SCHEME ":") - 1
            && ngx_strncasecmp(value[1].data,
                               (u_char *) ONEM2M_SAE_URI_SCHEME ":",
                               value[1].len) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty table in \"%V\"", &cmd->name);
        return NGX_CONF_ERROR;
    }

    sscf->table_uri = value[1];
    sscf->table_file = cf->conf_file->file.name.data;
    sscf->table_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


static char *
ngx_http_onem2m_sae_mode_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_onem2m_sae_loc_conf_t *slcf = conf;

    char                            *rv;
    ngx_str_t                       *value;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    rv = ngx_conf_set_enum_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (slcf->mode == NGX_HTTP_ONEM2M_SAE_OFF) {
        return NGX_CONF_OK;
    }

    /* remembered to refuse it later on a server without a table */

    sscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_onem2m_sae_module);

    if (sscf->mode_file == NULL) {
        value = cf->args->elts;

        sscf->mode_name = value[1];
        sscf->mode_file = cf->conf_file->file.name.data;
        sscf->mode_line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_onem2m_sae_identity_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_onem2m_sae_srv_conf_t *sscf = conf;

    u_char       c;
    ngx_str_t   *value;
    ngx_uint_t   i;
    const char  *reason;

    if (sscf->header.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty header name in \"%V\"", &cmd->name);
        return NGX_CONF_ERROR;
    }

    /* an RFC 9110 token */

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || ngx_strchr("!#$%&'*+-.^_`|~", c) != NULL)
        {
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid header name \"%V\" in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    /*
     * "off" would only rename the header (and so stop stripping the real
     * one): the header cannot be disabled.
     */

    if (value[1].len == 3
        && ngx_strncasecmp(value[1].data, (u_char *) "off", 3) == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" cannot be the identity header in "
                           "\"%V\": the identity header cannot be "
                           "disabled", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    /*
     * Nor can it alias a header with a meaning: stripping client copies
     * would remove that header, and the bound entity would reach the
     * upstream as that header.  Names compare as the upstream reads them
     * (case, "-", "_" and "." folded).
     */

    reason = ngx_http_onem2m_header_reserved(&value[1]);

    if (reason != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" cannot be the identity header in "
                           "\"%V\": %s (header names compare without "
                           "case, \"-\", \"_\" and \".\")",
                           &value[1], &cmd->name, reason);
        return NGX_CONF_ERROR;
    }

    sscf->header = value[1];

    return NGX_CONF_OK;
}


/*
 * After every server is merged (the SSL_CTXs exist): open the tables,
 * refuse what cannot work, install the hook on every ssl server's SSL_CTX,
 * and register the phase handlers.
 */

static ngx_int_t
ngx_http_onem2m_sae_init(ngx_conf_t *cf)
{
    ngx_uint_t                        s;
    ngx_http_handler_pt              *h;
    ngx_http_ssl_srv_conf_t          *ssl;
    ngx_http_core_srv_conf_t        **cscfp;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_onem2m_sae_module);
    cscfp = cmcf->servers.elts;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_onem2m_sae_post_read_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_onem2m_sae_preaccess_handler;

    if (smcf->sae_servers == 0) {
        return NGX_OK;
    }

    if (ngx_http_onem2m_sae_strip_names(cf, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_onem2m_sae_check_siblings(cf);

    if (ngx_http_onem2m_sae_conn_index == -1) {
        ngx_http_onem2m_sae_conn_index = SSL_get_ex_new_index(0, NULL, NULL,
                                                              NULL, NULL);
        if (ngx_http_onem2m_sae_conn_index == -1) {
            ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                          "onem2m sae: SSL_get_ex_new_index() failed");
            return NGX_ERROR;
        }
    }

    /*
     * The hook goes on every ssl server: nginx creates the SSL object from
     * the default server's context, and a server without a table there
     * declines PSK instead of leaving PSK to chance.
     */

    for (s = 0; s < cmcf->servers.nelts; s++) {

        sscf = ngx_http_conf_get_module_srv_conf(cscfp[s],
                                                 ngx_http_onem2m_sae_module);
        ssl = ngx_http_conf_get_module_srv_conf(cscfp[s], ngx_http_ssl_module);

        if (ssl->ssl.ctx == NULL) {
            continue;
        }

        /*
         * nginx's ClientHello callback is chained (nginx >= 1.29.2), or
         * the hook is told which server an SNI name selects (before)
         */

        if (ONEM2M_SAE_CTX_install(ssl->ssl.ctx, ngx_http_onem2m_sae_event,
                                   cscfp[s]->ctx->srv_conf)
            != 1
            || ONEM2M_SAE_CTX_chain_client_hello(ssl->ssl.ctx,
                   NGX_HTTP_ONEM2M_CLIENT_HELLO_CB, NULL)
               != 1
            || ONEM2M_SAE_CTX_set_servername_cb(ssl->ssl.ctx,
                                                NGX_HTTP_ONEM2M_SERVERNAME_CB,
                                                NULL)
               != 1)
        {
            ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                          "onem2m sae: cannot install the TLS-PSK hook "
                          "for the server in %s:%ui",
                          cscfp[s]->file_name, cscfp[s]->line);
            return NGX_ERROR;
        }

        if (sscf->table == NULL) {
            continue;
        }

        if (ONEM2M_SAE_CTX_set_table(ssl->ssl.ctx, sscf->table,
                                     (int) sscf->unknown_identity)
            != 1)
        {
            ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                          "onem2m sae: cannot attach the table of "
                          "\"onem2m_sae_psk_table\" in %s:%ui",
                          sscf->table_file, sscf->table_line);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The identity header names of the http block, each once: the http
 * level's and every server's (the default one of servers without one).
 */

static ngx_int_t
ngx_http_onem2m_sae_strip_names(ngx_conf_t *cf,
    ngx_http_onem2m_sae_main_conf_t *smcf)
{
    ngx_str_t                        *name, *header;
    ngx_uint_t                        s, n;
    ngx_http_core_srv_conf_t        **cscfp;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    smcf->strip = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
    if (smcf->strip == NULL) {
        return NGX_ERROR;
    }

    /* s == cmcf->servers.nelts: the http level */

    for (s = 0; s <= cmcf->servers.nelts; s++) {

        sscf = (s < cmcf->servers.nelts)
               ? ngx_http_conf_get_module_srv_conf(cscfp[s],
                                                   ngx_http_onem2m_sae_module)
               : ngx_http_conf_get_module_srv_conf(cf,
                                                   ngx_http_onem2m_sae_module);

        header = &sscf->header;

        if (header->len == 0) {
            continue;
        }

        name = smcf->strip->elts;

        for (n = 0; n < smcf->strip->nelts; n++) {
            if (ngx_http_onem2m_header_match(header, &name[n])) {
                break;
            }
        }

        if (n < smcf->strip->nelts) {
            continue;
        }

        name = ngx_array_push(smcf->strip);
        if (name == NULL) {
            return NGX_ERROR;
        }

        *name = *header;
    }

    return NGX_OK;
}


/*
 * A server without SAE that shares an address with an SAE server and
 * passes requests on: a client of the SAE server, a bound lock included,
 * names it by SNI or Host and sends any X-M2M-Origin through it, unchecked.
 * Legitimate (a web site next to the gateway), so a warning.
 */

static void
ngx_http_onem2m_sae_check_siblings(ngx_conf_t *cf)
{
    ngx_uint_t                        p, a, s, t;
    ngx_http_conf_addr_t             *addr;
    ngx_http_conf_port_t             *port;
    ngx_http_core_srv_conf_t        **cscfp, *sae;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    if (cmcf->ports == NULL) {
        return;
    }

    port = cmcf->ports->elts;

    for (p = 0; p < cmcf->ports->nelts; p++) {

        addr = port[p].addrs.elts;

        for (a = 0; a < port[p].addrs.nelts; a++) {

            cscfp = addr[a].servers.elts;
            sae = NULL;

            for (s = 0; s < addr[a].servers.nelts; s++) {
                sscf = ngx_http_conf_get_module_srv_conf(cscfp[s],
                                                  ngx_http_onem2m_sae_module);
                if (sscf->enabled) {
                    sae = cscfp[s];
                    break;
                }
            }

            if (sae == NULL) {
                continue;
            }

            for (t = 0; t < addr[a].servers.nelts; t++) {
                sscf = ngx_http_conf_get_module_srv_conf(cscfp[t],
                                                  ngx_http_onem2m_sae_module);

                if (sscf->enabled || !sscf->passes) {
                    continue;
                }

                ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                              "the server in %s:%ui has no SAE but shares "
                              "\"listen %V\" with the SAE server in "
                              "%s:%ui and passes requests on: a client of "
                              "the SAE server can name it (SNI or Host) "
                              "and send it any X-M2M-Origin unchecked; "
                              "give it its own address, or SAE and "
                              "\"onem2m_sae_originator check\"",
                              cscfp[t]->file_name, cscfp[t]->line,
                              &addr[a].opt.addr_text,
                              sae->file_name, sae->line);
            }
        }
    }
}


/*
 * At the merge of a server (its SSL_CTX exists by then, the ssl module
 * merges first): refuse what cannot work and open its table, so that the
 * originator module finds it in its own postconfiguration.
 */

static ngx_int_t
ngx_http_onem2m_sae_enable(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    ngx_http_ssl_srv_conf_t          *ssl;
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    ssl = ngx_http_conf_get_module_srv_conf(cf, ngx_http_ssl_module);

    if (sscf->table_uri.len == 0) {
        if (sscf->mode_file == NULL) {
            return NGX_OK;
        }

        if (!ssl->verify) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"onem2m_sae %V\" needs an "
                          "\"onem2m_sae_psk_table\" or "
                          "\"ssl_verify_client\" in its server "
                          "in %s:%ui",
                          &sscf->mode_name, sscf->mode_file,
                          sscf->mode_line);
            return NGX_ERROR;
        }

        /* certificates only */

        return ngx_http_onem2m_sae_enable_certificates(cf, sscf, ssl);
    }

    if (!ngx_http_onem2m_ssl_directive(ssl)
        && !ngx_http_onem2m_sae_ssl_listen(cf))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae_psk_table\" needs a "
                      "\"listen ... ssl\" in its server in %s:%ui",
                      sscf->table_file, sscf->table_line);
        return NGX_ERROR;
    }

    if (ssl->ssl.ctx == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae_psk_table\" needs an "
                      "\"ssl_certificate\" in its server in %s:%ui",
                      sscf->table_file, sscf->table_line);
        return NGX_ERROR;
    }

    if (ngx_http_onem2m_sae_check_ciphers(cf, sscf, ssl) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_onem2m_sae_check_ccm8(cf, sscf, ssl);

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_onem2m_sae_module);

    if (ngx_http_onem2m_sae_open_table(cf, smcf, sscf) != NGX_OK) {
        return NGX_ERROR;
    }

    sscf->enabled = 1;
    smcf->sae_servers++;

    if (ssl->verify) {
        if (ngx_http_onem2m_sae_check_mixed(cf, sscf, ssl) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_onem2m_sae_enable_certificates(cf, sscf, ssl);
    }

    return NGX_OK;
}


/*
 * "ssl_verify_client" on an SAE server: verified client certificates bind
 * (with "optional_no_ca" too: only certificates OpenSSL verified count).
 */

static ngx_int_t
ngx_http_onem2m_sae_enable_certificates(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl)
{
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    if (!ngx_http_onem2m_ssl_directive(ssl)
        && !ngx_http_onem2m_sae_ssl_listen(cf))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae %V\" with \"ssl_verify_client\" "
                      "needs a \"listen ... ssl\" in its server in %s:%ui",
                      &sscf->mode_name, sscf->mode_file, sscf->mode_line);
        return NGX_ERROR;
    }

    if (ssl->ssl.ctx == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae %V\" with \"ssl_verify_client\" "
                      "needs an \"ssl_certificate\" in its server "
                      "in %s:%ui",
                      &sscf->mode_name, sscf->mode_file, sscf->mode_line);
        return NGX_ERROR;
    }

    if (sscf->sp_domain.len == 0) {
        /* a table without "onem2m_sae" enables the server too */
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "no \"onem2m_sae_sp_domain\" for a server with "
                      "\"ssl_verify_client\" in %s:%ui: CSE-ID "
                      "certificates will bind nothing, AE-ID certificates "
                      "still bind",
                      sscf->mode_file ? sscf->mode_file : sscf->table_file,
                      sscf->mode_file ? sscf->mode_line : sscf->table_line);
    }

    sscf->ssl_ctx = ssl->ssl.ctx;

    if (!sscf->enabled) {
        smcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_onem2m_sae_module);
        sscf->enabled = 1;
        smcf->sae_servers++;
    }

    sscf->certificates = 1;

    return NGX_OK;
}


static char *
ngx_http_onem2m_sae_sp_domain(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_onem2m_sae_srv_conf_t *sscf = conf;

    ngx_str_t  *value;

    if (sscf->sp_domain.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* a host name, the rule of "onem2m_sae_sp_id" (common/onem2m_id.c) */

    if (!onem2m_host_name_valid((const char *) value[1].data, value[1].len,
                                0))
    {
        goto invalid;
    }

    sscf->sp_domain = value[1];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid SP domain \"%V\" in \"%V\": not a host "
                       "name", &value[1], &cmd->name);
    return NGX_CONF_ERROR;
}


/* whether the server being merged has a "listen ... ssl" address */

static ngx_uint_t
ngx_http_onem2m_sae_ssl_listen(ngx_conf_t *cf)
{
    ngx_uint_t                   p, a, s;
    ngx_http_conf_addr_t        *addr;
    ngx_http_conf_port_t        *port;
    ngx_http_core_srv_conf_t    *cscf, **cscfp;
    ngx_http_core_main_conf_t   *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    if (cmcf->ports == NULL) {
        return 0;
    }

    port = cmcf->ports->elts;

    for (p = 0; p < cmcf->ports->nelts; p++) {

        addr = port[p].addrs.elts;

        for (a = 0; a < port[p].addrs.nelts; a++) {

            if (!addr[a].opt.ssl) {
                continue;
            }

            cscfp = addr[a].servers.elts;

            for (s = 0; s < addr[a].servers.nelts; s++) {
                if (cscfp[s] == cscf) {
                    return 1;
                }
            }
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_onem2m_sae_open_table(ngx_conf_t *cf,
    ngx_http_onem2m_sae_main_conf_t *smcf,
    ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    u_char                          *uri, *dir;
    ngx_str_t                        path, scheme;
    ngx_pool_cleanup_t              *cln;
    ngx_http_onem2m_sae_diag_ctx_t   diag;

    /* relative paths are relative to the configuration's directory */

    path = sscf->table_uri;
    ngx_http_onem2m_sae_live_scheme(&path, &scheme);

    if (path.data[0] != '/') {
        if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    uri = ngx_pnalloc(cf->pool, scheme.len + path.len + 1);
    if (uri == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(ngx_cpymem(uri, scheme.data, scheme.len), path.data,
                path.len) = '\0';

    dir = NULL;

    if (smcf->provider_path.len) {
        dir = ngx_pnalloc(cf->pool, smcf->provider_path.len + 1);
        if (dir == NULL) {
            return NGX_ERROR;
        }

        *ngx_cpymem(dir, smcf->provider_path.data,
                    smcf->provider_path.len) = '\0';
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    diag.cf = cf;
    diag.sscf = sscf;
    diag.errors = 0;
    diag.path = path;
    ngx_cpystrn(diag.how, (u_char *) "opened", sizeof(diag.how));

    sscf->table = ngx_http_onem2m_sae_live_open(cf, (char *) dir,
                                                (char *) uri,
                                                ngx_http_onem2m_sae_diag,
                                                &diag);

    if (sscf->table == NULL) {
        if (diag.errors == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "onem2m_sae_psk_table \"%V\": cannot open "
                          "in %s:%ui",
                          &sscf->table_uri, sscf->table_file,
                          sscf->table_line);
        }

        return NGX_ERROR;
    }

    cln->handler = ngx_http_onem2m_sae_free_table;
    cln->data = sscf->table;

    /* uri is "<scheme><absolute path>"; a live store's keys are sealed */
    if (scheme.len == sizeof(ONEM2M_SAE_URI_SCHEME ":") - 1) {
        ngx_http_onem2m_sae_check_table_owner(cf, &sscf->table_uri,
                                              uri + scheme.len,
                                              (u_char *) sscf->table_file,
                                              sscf->table_line);
    }

    /* the count says whether the file was read now or a copy reused */

    ngx_log_error(NGX_LOG_INFO, cf->log, 0,
                  "onem2m_sae_psk_table \"%V\": %uz entries, %s",
                  &sscf->table_uri, ONEM2M_SAE_table_count(sscf->table),
                  diag.how);

    return NGX_OK;
}


static void
ngx_http_onem2m_sae_diag(void *arg, int severity, const char *msg)
{
    ngx_http_onem2m_sae_diag_ctx_t *diag = arg;

    size_t      len;
    ngx_uint_t  level;

    if (severity == ONEM2M_SAE_DIAG_NOTICE) {
        /* "<path>: read (...)": kept for the line that gives the count */
        len = ngx_strlen(msg);

        if (len > diag->path.len + 2
            && ngx_strncmp(msg, diag->path.data, diag->path.len) == 0
            && msg[diag->path.len] == ':')
        {
            msg += diag->path.len + 2;
        }

        ngx_cpystrn(diag->how, (u_char *) msg, sizeof(diag->how));
        return;
    }

    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        level = NGX_LOG_EMERG;
        diag->errors++;

    } else {
        level = NGX_LOG_WARN;
    }

    ngx_log_error(level, diag->cf->log, 0,
                  "onem2m_sae_psk_table \"%V\": %s in %s:%ui",
                  &diag->sscf->table_uri, msg, diag->sscf->table_file,
                  diag->sscf->table_line);
}


static void
ngx_http_onem2m_sae_free_table(void *data)
{
    ONEM2M_SAE_table_free(data);
}


/*
 * TLS 1.2 offers PSK suites only from the cipher list: an SAE server whose
 * "ssl_ciphers" has none could never authenticate a TLS 1.2 client.
 */

static ngx_int_t
ngx_http_onem2m_sae_check_ciphers(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl)
{
    if (!ngx_http_onem2m_sae_tls12(ssl)
        || ngx_http_onem2m_sae_has_kx(ssl, NID_kx_psk)
        || ngx_http_onem2m_sae_has_kx(ssl, NID_kx_ecdhe_psk)
        || ngx_http_onem2m_sae_has_kx(ssl, NID_kx_dhe_psk)
        || ngx_http_onem2m_sae_has_kx(ssl, NID_kx_rsa_psk))
    {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"onem2m_sae_psk_table\" needs a PSK cipher suite, "
                  "but \"ssl_ciphers %V\" enables none while TLS 1.2 is "
                  "enabled in %s:%ui",
                  &ssl->ciphers, sscf->table_file, sscf->table_line);

    return NGX_ERROR;
}


/*
 * TS-0003's PSK-AES128-CCM8 listed where the OpenSSL that runs will never
 * negotiate it (ngx_http_onem2m_compat.h): say so, and how to enable it.
 */

static void
ngx_http_onem2m_sae_check_ccm8(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl)
{
    int                    i, level;
    const char            *name;
    STACK_OF(SSL_CIPHER)  *ciphers;

    level = SSL_CTX_get_security_level(ssl->ssl.ctx);

    if (level == 0 || !ngx_http_onem2m_ccm8_needs_seclevel0()
        || !ngx_http_onem2m_sae_tls12(ssl))
    {
        return;
    }

    ciphers = SSL_CTX_get_ciphers(ssl->ssl.ctx);

    for (i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers); i++) {
        name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i));

        if (ngx_strstr(name, "CCM8") == NULL) {
            continue;
        }

        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"ssl_ciphers\" lists %s, which OpenSSL %s "
                      "negotiates only at security level 0 (this server "
                      "has %d): append "
                      "\":@SECLEVEL=0\" to offer it, for "
                      "\"onem2m_sae_psk_table\" in %s:%ui",
                      name, OpenSSL_version(OPENSSL_VERSION_STRING), level,
                      sscf->table_file, sscf->table_line);
        return;
    }
}


/*
 * A PSK table next to "ssl_verify_client": PSK handshakes carry no client
 * certificate, so "on" would refuse every lock after its handshake; and
 * RSA-PSK suites authenticate the server by certificate, which makes
 * OpenSSL send PSK clients a CertificateRequest.
 */

static ngx_int_t
ngx_http_onem2m_sae_check_mixed(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl)
{
    if (ssl->verify == 1) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"ssl_verify_client on\" refuses every PSK client "
                      "of \"onem2m_sae_psk_table\" in %s:%ui: PSK "
                      "handshakes carry no client certificate, use "
                      "\"ssl_verify_client optional\"",
                      sscf->table_file, sscf->table_line);
        return NGX_ERROR;
    }

    if (ngx_http_onem2m_sae_tls12(ssl)
        && ngx_http_onem2m_sae_has_kx(ssl, NID_kx_rsa_psk))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"ssl_ciphers %V\" enables RSA-PSK suites, with "
                      "which PSK clients would be asked for a client "
                      "certificate (\"ssl_verify_client\"), for "
                      "\"onem2m_sae_psk_table\" in %s:%ui: exclude them "
                      "with \"!kRSAPSK\"",
                      &ssl->ciphers, sscf->table_file, sscf->table_line);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* whether the server's SSL_CTX allows TLS 1.2 */

static ngx_uint_t
ngx_http_onem2m_sae_tls12(ngx_http_ssl_srv_conf_t *ssl)
{
    int  min, max;

    min = SSL_CTX_get_min_proto_version(ssl->ssl.ctx);
    max = SSL_CTX_get_max_proto_version(ssl->ssl.ctx);

    return !(SSL_CTX_get_options(ssl->ssl.ctx) & SSL_OP_NO_TLSv1_2)
           && (min == 0 || min <= TLS1_2_VERSION)
           && (max == 0 || max >= TLS1_2_VERSION);
}


/* whether the TLS 1.2 cipher list has a suite of key exchange kx */

static ngx_uint_t
ngx_http_onem2m_sae_has_kx(ngx_http_ssl_srv_conf_t *ssl, int kx)
{
    int                    i;
    STACK_OF(SSL_CIPHER)  *ciphers;

    ciphers = SSL_CTX_get_ciphers(ssl->ssl.ctx);

    for (i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers); i++) {
        if (SSL_CIPHER_get_kx_nid(sk_SSL_CIPHER_value(ciphers, i)) == kx) {
            return 1;
        }
    }

    return 0;
}
