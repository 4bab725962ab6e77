/* SPDX-License-Identifier: BSD-2-Clause */

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
 * This file holds the directives and the configuration checks; the check
 * of each request is ngx_http_onem2m_originator_handler.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_originator.h"
#include "common/onem2m_id.h"


/* an "onem2m_sae_cert_entity" identifier and where it was written */
typedef struct {
    ngx_str_t                  id;
    u_char                    *file;
    ngx_uint_t                 line;
} ngx_http_onem2m_originator_entity_t;


/* a location to verify once every module has merged its configuration */
typedef struct {
    void                                  **srv_conf;
    ngx_http_onem2m_originator_loc_conf_t  *olcf;
} ngx_http_onem2m_originator_site_t;


typedef struct {
    ngx_array_t                sites;  /* ngx_http_onem2m_originator_site_t */
} ngx_http_onem2m_originator_main_conf_t;


static char *ngx_http_onem2m_originator(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_onem2m_originator_cse_id(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_originator_sp_id(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_originator_id_arg(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *set, const char *what, const char *prefix,
    size_t max, ngx_str_t *id);
static char *ngx_http_onem2m_originator_cert_entity(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_onem2m_originator_check_site(ngx_conf_t *cf,
    ngx_http_onem2m_originator_site_t *site);
static ngx_int_t ngx_http_onem2m_originator_read_entities(ngx_conf_t *cf,
    ngx_http_onem2m_originator_srv_conf_t *oscf);
static void *ngx_http_onem2m_originator_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_originator_init_main_conf(ngx_conf_t *cf,
    void *conf);
static ngx_int_t ngx_http_onem2m_originator_note_sites(
    ngx_http_onem2m_originator_main_conf_t *omcf, void **srv_conf,
    void **loc_conf, ngx_uint_t mode);
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
    ngx_http_onem2m_originator_init_main_conf,   /* init main conf */

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

    char       *rv;
    u_char     *p;
    size_t      i;
    ngx_str_t  *value, id;

    rv = ngx_http_onem2m_originator_id_arg(cf, cmd, &oscf->cse_id, "CSE-ID",
             "/", NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN - 2, &id);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    value = cf->args->elts;

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

    char       *rv;
    ngx_str_t  *value, id;

    rv = ngx_http_onem2m_originator_id_arg(cf, cmd, &oscf->sp_id, "SP-ID",
                                           "//", 253, &id);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    value = cf->args->elts;

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
 * What "onem2m_sae_cse_id" and "onem2m_sae_sp_id" share: given once, its
 * prefix ("/", "//") taken off, not empty and at most max bytes.  The
 * identifier in *id; the directive's own characters are its caller's.
 */

static char *
ngx_http_onem2m_originator_id_arg(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *set, const char *what, const char *prefix, size_t max,
    ngx_str_t *id)
{
    size_t      n;
    ngx_str_t  *value;

    if (set->data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *id = value[1];

    n = ngx_strlen(prefix);

    if (id->len >= n && ngx_strncmp(id->data, prefix, n) == 0) {
        id->data += n;
        id->len -= n;
    }

    if (id->len == 0 || id->len > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid %s \"%V\" in \"%V\": empty or too long",
                           what, &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

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
            || !onem2m_text_all_visible(value[i].data, value[i].len))
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


/*
 * Whether a server has SAE is known once the SAE module has opened its
 * tables, in its postconfiguration: the locations with checks are noted
 * here and verified in this module's postconfiguration, which runs after
 * it.  Here, not there: nginx calls this once every location is parsed,
 * before the merges of this module (so a merge only merges), and before
 * ngx_http_init_locations() drops "if" and "limit_except" blocks from
 * the location queues and sorts them; the order is the merges' order.
 */

static char *
ngx_http_onem2m_originator_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_onem2m_originator_main_conf_t *omcf = conf;

    ngx_uint_t                              s, mode;
    ngx_http_conf_ctx_t                    *ctx;
    ngx_http_core_srv_conf_t              **cscfp;
    ngx_http_core_main_conf_t              *cmcf;
    ngx_http_onem2m_originator_loc_conf_t  *olcf;

    ctx = cf->ctx;
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* http{}'s, what a server inherits as its merge does */

    olcf = ctx->loc_conf[ngx_http_onem2m_originator_module.ctx_index];
    mode = (olcf->mode == NGX_CONF_UNSET_UINT)
           ? NGX_HTTP_ONEM2M_ORIGINATOR_OFF : olcf->mode;

    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        if (ngx_http_onem2m_originator_note_sites(omcf,
                                                  cscfp[s]->ctx->srv_conf,
                                                  cscfp[s]->ctx->loc_conf,
                                                  mode)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * A location whose mode, its own or inherited, is not "off" is a site;
 * then the locations inside it, in the order nginx merges them.
 */

static ngx_int_t
ngx_http_onem2m_originator_note_sites(
    ngx_http_onem2m_originator_main_conf_t *omcf, void **srv_conf,
    void **loc_conf, ngx_uint_t mode)
{
    ngx_queue_t                            *q, *locations;
    ngx_http_core_loc_conf_t               *clcf;
    ngx_http_location_queue_t              *lq;
    ngx_http_onem2m_originator_site_t      *site;
    ngx_http_onem2m_originator_loc_conf_t  *olcf;

    olcf = loc_conf[ngx_http_onem2m_originator_module.ctx_index];

    if (olcf->mode != NGX_CONF_UNSET_UINT) {
        mode = olcf->mode;
    }

    if (mode != NGX_HTTP_ONEM2M_ORIGINATOR_OFF) {
        site = ngx_array_push(&omcf->sites);
        if (site == NULL) {
            return NGX_ERROR;
        }

        site->srv_conf = srv_conf;
        site->olcf = olcf;
    }

    clcf = loc_conf[ngx_http_core_module.ctx_index];
    locations = clcf->locations;

    if (locations == NULL) {
        return NGX_OK;
    }

    for (q = ngx_queue_head(locations);
         q != ngx_queue_sentinel(locations);
         q = ngx_queue_next(q))
    {
        lq = (ngx_http_location_queue_t *) q;
        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (ngx_http_onem2m_originator_note_sites(omcf, srv_conf,
                                                  clcf->loc_conf, mode)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
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

    conf->gateway.cse_id = (const char *) conf->cse_id.data;
    conf->gateway.cse_id_len = conf->cse_id.len;
    conf->gateway.sp_id = (const char *) conf->sp_id.data;
    conf->gateway.sp_id_len = conf->sp_id.len;

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

    if (conf->mode == NGX_CONF_UNSET_UINT) {
        conf->file = prev->file;
        conf->line = prev->line;
    }

    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_ONEM2M_ORIGINATOR_OFF);

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
    onem2m_canon                         *id;
    ngx_http_onem2m_originator_entity_t  *e;

    if (oscf->cert_entities == NULL || oscf->cert_ids != NULL) {
        return NGX_OK;
    }

    oscf->cert_ids = ngx_array_create(cf->pool, oscf->cert_entities->nelts,
                                      sizeof(onem2m_canon));
    if (oscf->cert_ids == NULL) {
        return NGX_ERROR;
    }

    e = oscf->cert_entities->elts;

    for (i = 0; i < oscf->cert_entities->nelts; i++) {

        id = ngx_array_push(oscf->cert_ids);
        if (id == NULL) {
            return NGX_ERROR;
        }

        onem2m_canon_parse((const char *) e[i].id.data, e[i].id.len,
                           &oscf->gateway, id);

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

        if (id->kind == ONEM2M_CANON_OTHER) {
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
