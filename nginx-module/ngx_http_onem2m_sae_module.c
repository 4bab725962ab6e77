/* SPDX-License-Identifier: BSD-2-Clause */

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
 *
 * This file holds the directives, the module and its configuration; the
 * other files of the module are named in ngx_http_onem2m_sae_module.h.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae_module.h"
#include "common/onem2m_id.h"
#include "common/onem2m_uri.h"
#include "ngx_http_onem2m_compat.h"
#include "ngx_http_onem2m_header.h"


#define NGX_HTTP_ONEM2M_SAE_DEFAULT_HEADER  "X-Onem2m-Sae-Entity"


static ngx_int_t ngx_http_onem2m_sae_add_variables(ngx_conf_t *cf);
static void *ngx_http_onem2m_sae_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_sae_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_onem2m_sae_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_sae_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static void *ngx_http_onem2m_sae_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_sae_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_onem2m_sae_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_onem2m_sae_install(ngx_conf_t *cf);

static char *ngx_http_onem2m_sae_psk_table(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_sae_mode_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_onem2m_sae_identity_header(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_uint_t ngx_http_onem2m_sae_token(ngx_str_t *name);
static char *ngx_http_onem2m_sae_sp_domain(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

static ngx_int_t ngx_http_onem2m_sae_strip_names(ngx_conf_t *cf,
    ngx_http_onem2m_sae_main_conf_t *smcf);


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

    { ngx_string("onem2m_sae_maf"),
      NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_onem2m_sae_maf,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

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
    ngx_http_onem2m_sae_init_main_conf,    /* init main configuration */

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


/* the exported API (ngx_http_onem2m_sae.h) */

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


/* configuration */

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
     *     smcf->passing = { 0 }: ngx_http_onem2m_sae_init_main_conf()
     */

    return smcf;
}


/*
 * nginx calls it once every server and location is parsed, and before
 * the merges of this module: the servers that pass requests on are noted
 * here, where the location queues are still whole (see
 * ngx_http_onem2m_sae_note_passing()), so that a merge only merges.
 */

static char *
ngx_http_onem2m_sae_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_onem2m_sae_main_conf_t *smcf = conf;

    if (ngx_http_onem2m_sae_note_passing(cf, smcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
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

    /*
     * Tables, and modes asking for one, belong to a server: no
     * inheritance.  They are checked and opened in postconfiguration
     * (ngx_http_onem2m_sae_enable_servers()): a merge only merges.
     */

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

    /* still unset: the server's default, decided by its table */

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_CONF_UNSET_UINT);

    return NGX_CONF_OK;
}


static char *
ngx_http_onem2m_sae_psk_table(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_onem2m_sae_srv_conf_t *sscf = conf;

    size_t      prefix;
    ngx_str_t  *value;

    if (sscf->table_uri.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* a scheme alone ("kpsa:", "kpsa-lmdb:") names no table either */
    (void) onem2m_uri_scheme((char *) value[1].data, value[1].len, &prefix);

    if (value[1].len == prefix) {
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

    ngx_str_t   *value;
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

    if (!ngx_http_onem2m_sae_token(&value[1])) {
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


/* an RFC 9110 token */

static ngx_uint_t
ngx_http_onem2m_sae_token(ngx_str_t *name)
{
    u_char      c;
    ngx_uint_t  i;

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || ngx_strchr("!#$%&'*+-.^_`|~", c) != NULL)
        {
            continue;
        }

        return 0;
    }

    return 1;
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


/*
 * After every server is merged (the SSL_CTXs exist): refuse what cannot
 * work and open the tables (ngx_http_onem2m_sae_check.c), install the
 * hook on every ssl server's SSL_CTX, and register the phase handlers.
 * The module comes first in the object's module order, so that the
 * originator and status modules find the tables in their own
 * postconfiguration.
 */

static ngx_int_t
ngx_http_onem2m_sae_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt              *h;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_onem2m_sae_module);

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

    if (ngx_http_onem2m_sae_enable_servers(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (smcf->sae_servers == 0) {
        return NGX_OK;
    }

    if (ngx_http_onem2m_sae_strip_names(cf, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_onem2m_sae_check_siblings(cf);

    if (ngx_http_onem2m_sae_request_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_onem2m_sae_install(cf);
}


/*
 * The hook goes on every ssl server: nginx creates the SSL object from
 * the default server's context, and a server without a table there
 * declines PSK instead of leaving PSK to chance.
 */

static ngx_int_t
ngx_http_onem2m_sae_install(ngx_conf_t *cf)
{
    ngx_uint_t                        s;
    ngx_http_ssl_srv_conf_t          *ssl;
    ngx_http_core_srv_conf_t        **cscfp;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

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
