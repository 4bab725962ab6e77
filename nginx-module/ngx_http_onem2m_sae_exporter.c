/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: the TLS exporter for the upstream.
 *
 *     onem2m_sae_exporter_header <name> <label> <length> [hex|base64];
 *
 * hands the upstream the RFC 5705 exporter output of the client's TLS
 * session (SSL_export_keying_material(), no context) for that label and
 * length, in a request header.  The MAF derives Kc and KcID from
 * "EXPORTER-oneM2M-Connection", 48 bytes (TS-0003 8.8.2.7, 10.3.5): the
 * header carries key material.  So it must reach the location's upstream
 * and nothing else:
 *
 *   - client copies of every exporter header name of the http block are
 *     removed on every server (POST_READ), as the identity header's are;
 *   - it is added in PREACCESS, once the location is known, to main
 *     requests of locations with the directive only, and removed from
 *     requests an internal redirect moved to other locations;
 *   - nginx -t refuses a "$http_<name>" variable anywhere in the http
 *     block (a log line, a response, another header would carry the key)
 *     and "mirror" where the directive applies (the mirror's subrequest
 *     would carry it to another upstream), and names that alias a header
 *     with a meaning.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_header.h"


#define NGX_HTTP_ONEM2M_EXPORTER_MAX  255


typedef struct {
    /* every exporter header name of the http block (ngx_str_t) */
    ngx_array_t               *names;
} ngx_http_onem2m_exporter_main_conf_t;


typedef struct {
    ngx_str_t                  name;
    u_char                    *lowcase;
    ngx_uint_t                 hash;
    ngx_str_t                  label;
    size_t                     length;
    ngx_uint_t                 base64;
    u_char                    *file;
    ngx_uint_t                 line;
    ngx_uint_t                 set;
} ngx_http_onem2m_exporter_loc_conf_t;


static void *ngx_http_onem2m_exporter_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_onem2m_exporter_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_exporter_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_onem2m_exporter_init(ngx_conf_t *cf);
static char *ngx_http_onem2m_exporter_header(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_onem2m_exporter_check_variables(ngx_conf_t *cf,
    ngx_http_onem2m_exporter_main_conf_t *emcf);
static ngx_int_t ngx_http_onem2m_exporter_post_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_onem2m_exporter_preaccess(ngx_http_request_t *r);
static ngx_int_t ngx_http_onem2m_exporter_add(ngx_http_request_t *r,
    ngx_http_onem2m_exporter_loc_conf_t *elcf);
static void ngx_http_onem2m_exporter_cleanse(void *data);


static ngx_command_t  ngx_http_onem2m_exporter_commands[] = {

    { ngx_string("onem2m_sae_exporter_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
                        |NGX_CONF_TAKE3|NGX_CONF_TAKE4,
      ngx_http_onem2m_exporter_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_onem2m_sae_exporter_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_onem2m_exporter_init,         /* postconfiguration */

    ngx_http_onem2m_exporter_create_main_conf, /* create main config */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_onem2m_exporter_create_loc_conf,  /* create location config */
    ngx_http_onem2m_exporter_merge_loc_conf    /* merge location config */
};


ngx_module_t  ngx_http_onem2m_sae_exporter_module = {
    NGX_MODULE_V1,
    &ngx_http_onem2m_sae_exporter_module_ctx, /* module context */
    ngx_http_onem2m_exporter_commands,     /* module directives */
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


static void *
ngx_http_onem2m_exporter_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_exporter_main_conf_t  *emcf;

    emcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_onem2m_exporter_main_conf_t));
    if (emcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     emcf->names = NULL;
     */

    return emcf;
}


static void *
ngx_http_onem2m_exporter_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_exporter_loc_conf_t  *elcf;

    elcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_onem2m_exporter_loc_conf_t));
    if (elcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     elcf->name = { 0, NULL };
     *     elcf->label = { 0, NULL };
     *     elcf->length = 0;
     *     elcf->base64 = 0;
     *     elcf->set = 0;
     */

    return elcf;
}


/*
 * A mirror where the header applies would copy the request, the key
 * included, to the mirror's upstream.  ngx_http_mirror_module keeps its
 * list of URIs first in its location configuration (since nginx 1.13.4;
 * NGX_CONF_UNSET_PTR or NULL when off), and it merges before us.
 */

static char *
ngx_http_onem2m_exporter_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_onem2m_exporter_loc_conf_t *prev = parent;
    ngx_http_onem2m_exporter_loc_conf_t *conf = child;

    ngx_uint_t     i;
    ngx_array_t  **mirror;
    ngx_module_t **modules;

    if (!conf->set) {
        *conf = *prev;
    }

    if (!conf->set) {
        return NGX_CONF_OK;
    }

    modules = cf->cycle->modules;

    for (i = 0; modules[i]; i++) {
        if (ngx_strcmp(modules[i]->name, "ngx_http_mirror_module") != 0
            || modules[i]->type != NGX_HTTP_MODULE)
        {
            continue;
        }

        mirror = ((ngx_http_conf_ctx_t *) cf->ctx)->loc_conf[
                     modules[i]->ctx_index];

        if (mirror != NULL && *mirror != NULL
            && *mirror != NGX_CONF_UNSET_PTR)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"onem2m_sae_exporter_header\" of %s:%ui "
                               "applies to a location with \"mirror\": "
                               "the mirror's upstream would receive the "
                               "exporter output too; move \"mirror\" or "
                               "the directive to another location",
                               conf->file, conf->line);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_onem2m_exporter_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt                   *h;
    ngx_http_core_main_conf_t             *cmcf;
    ngx_http_onem2m_exporter_main_conf_t  *emcf;

    emcf = ngx_http_conf_get_module_main_conf(cf,
                                        ngx_http_onem2m_sae_exporter_module);

    if (emcf->names == NULL) {
        return NGX_OK;
    }

    if (ngx_http_onem2m_exporter_check_variables(cf, emcf) != NGX_OK) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_onem2m_exporter_post_read;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_onem2m_exporter_preaccess;

    return NGX_OK;
}


/*
 * "$http_<name>" anywhere in the http block (variables are indexed as the
 * configuration is read, so all are known here) would put the exporter
 * output into a log, a response or another header.
 */

static ngx_int_t
ngx_http_onem2m_exporter_check_variables(ngx_conf_t *cf,
    ngx_http_onem2m_exporter_main_conf_t *emcf)
{
    ngx_str_t                  *name, suffix;
    ngx_uint_t                  i, n;
    ngx_http_variable_t        *v;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    v = cmcf->variables.elts;
    name = emcf->names->elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {

        if (v[i].name.len <= sizeof("http_") - 1
            || ngx_strncasecmp(v[i].name.data, (u_char *) "http_",
                               sizeof("http_") - 1) != 0)
        {
            continue;
        }

        suffix.data = v[i].name.data + sizeof("http_") - 1;
        suffix.len = v[i].name.len - (sizeof("http_") - 1);

        for (n = 0; n < emcf->names->nelts; n++) {
            if (ngx_http_onem2m_header_match(&suffix, &name[n])
                == NGX_HTTP_ONEM2M_HEADER_OTHER)
            {
                continue;
            }

            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"$%V\" reads the exporter header \"%V\" of "
                          "\"onem2m_sae_exporter_header\": the exporter "
                          "output is key material for the upstream only, "
                          "remove the variable", &v[i].name, &name[n]);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The directive: long because each argument is checked here, at its
 * file:line, with its own message (name, label, length, encoding).
 */

static char *
ngx_http_onem2m_exporter_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_onem2m_exporter_loc_conf_t *elcf = conf;

    size_t                                 i;
    ngx_int_t                              n;
    ngx_str_t                             *value, *name;
    const char                            *reason;
    ngx_http_onem2m_exporter_main_conf_t  *emcf;

    if (elcf->set) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < value[1].len; i++) {
        if (ngx_strchr("!#$%&'*+-.^_`|~", value[1].data[i]) == NULL
            && !isalnum(value[1].data[i]))
        {
            break;
        }
    }

    if (value[1].len == 0 || i < value[1].len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid header name \"%V\" in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    reason = ngx_http_onem2m_header_reserved(&value[1]);

    if (reason != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" cannot be the exporter header in "
                           "\"%V\": %s (header names compare without "
                           "case, \"-\", \"_\" and \".\")",
                           &value[1], &cmd->name, reason);
        return NGX_CONF_ERROR;
    }

    /*
     * Only labels of the "EXPORTER" space: the PRF labels TLS uses itself
     * ("master secret", "key expansion", "client finished", ...) must not
     * be derivable into a header.
     */

    if (value[2].len < sizeof("EXPORTER") - 1 || value[2].len > 255
        || ngx_strncmp(value[2].data, "EXPORTER", sizeof("EXPORTER") - 1)
           != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "exporter label \"%V\" in \"%V\" does not begin "
                           "with \"EXPORTER\" (RFC 5705 4), as "
                           "\"EXPORTER-oneM2M-Connection\" does",
                           &value[2], &cmd->name);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < value[2].len; i++) {
        if (value[2].data[i] <= 0x20 || value[2].data[i] >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "exporter label \"%V\" in \"%V\" is not "
                               "visible ASCII", &value[2], &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    n = ngx_atoi(value[3].data, value[3].len);

    if (n < 1 || n > NGX_HTTP_ONEM2M_EXPORTER_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "exporter length \"%V\" in \"%V\" is not 1 to %d "
                           "bytes", &value[3], &cmd->name,
                           NGX_HTTP_ONEM2M_EXPORTER_MAX);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 5) {
        if (ngx_strcmp(value[4].data, "base64") == 0) {
            elcf->base64 = 1;

        } else if (ngx_strcmp(value[4].data, "hex") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid encoding \"%V\" in \"%V\", "
                               "it must be \"hex\" or \"base64\"",
                               &value[4], &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    elcf->name = value[1];
    elcf->label = value[2];
    elcf->length = (size_t) n;
    elcf->file = cf->conf_file->file.name.data;
    elcf->line = cf->conf_file->line;
    elcf->lowcase = ngx_pnalloc(cf->pool, value[1].len);
    if (elcf->lowcase == NULL) {
        return NGX_CONF_ERROR;
    }

    elcf->hash = ngx_hash_strlow(elcf->lowcase, value[1].data, value[1].len);
    elcf->set = 1;

    emcf = ngx_http_conf_get_module_main_conf(cf,
                                        ngx_http_onem2m_sae_exporter_module);

    if (emcf->names == NULL) {
        emcf->names = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (emcf->names == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    name = emcf->names->elts;

    for (i = 0; i < emcf->names->nelts; i++) {
        if (ngx_http_onem2m_header_match(&value[1], &name[i])
            != NGX_HTTP_ONEM2M_HEADER_OTHER)
        {
            return NGX_CONF_OK;
        }
    }

    name = ngx_array_push(emcf->names);
    if (name == NULL) {
        return NGX_CONF_ERROR;
    }

    *name = value[1];

    return NGX_CONF_OK;
}


/* client copies of every exporter header name, on every server */

static ngx_int_t
ngx_http_onem2m_exporter_post_read(ngx_http_request_t *r)
{
    ngx_str_t                             *first;
    ngx_uint_t                             removed;
    ngx_http_onem2m_exporter_main_conf_t  *emcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    emcf = ngx_http_get_module_main_conf(r,
                                        ngx_http_onem2m_sae_exporter_module);

    removed = 0;
    first = NULL;

    if (ngx_http_onem2m_header_remove(&r->headers_in.headers, emcf->names,
                                      &removed, &first)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (removed) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "onem2m sae: %ui client exporter header(s) removed, "
                      "the first a spelling of \"%V\"", removed, first);
    }

    return NGX_DECLINED;
}


/*
 * Once the location is known: the header of an earlier location (an
 * internal redirect runs the phases again) goes, this location's comes.
 */

static ngx_int_t
ngx_http_onem2m_exporter_preaccess(ngx_http_request_t *r)
{
    ngx_str_t                             *first;
    ngx_uint_t                             removed;
    ngx_http_onem2m_exporter_loc_conf_t   *elcf;
    ngx_http_onem2m_exporter_main_conf_t  *emcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    emcf = ngx_http_get_module_main_conf(r,
                                        ngx_http_onem2m_sae_exporter_module);

    removed = 0;

    if (ngx_http_onem2m_header_remove(&r->headers_in.headers, emcf->names,
                                      &removed, &first)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    elcf = ngx_http_get_module_loc_conf(r,
                                        ngx_http_onem2m_sae_exporter_module);

    if (!elcf->set || r->connection->ssl == NULL
        || !SSL_is_init_finished(r->connection->ssl->connection))
    {
        return NGX_DECLINED;
    }

    return ngx_http_onem2m_exporter_add(r, elcf);
}


static ngx_int_t
ngx_http_onem2m_exporter_add(ngx_http_request_t *r,
    ngx_http_onem2m_exporter_loc_conf_t *elcf)
{
    u_char              ekm[NGX_HTTP_ONEM2M_EXPORTER_MAX];
    ngx_str_t           src;
    ngx_table_elt_t    *h;
    ngx_pool_cleanup_t *cln;

    if (SSL_export_keying_material(r->connection->ssl->connection, ekm,
                                   elcf->length,
                                   (const char *) elcf->label.data,
                                   elcf->label.len, NULL, 0, 0)
        != 1)
    {
        ngx_ssl_error(NGX_LOG_ERR, r->connection->log, 0,
                      "onem2m sae: SSL_export_keying_material() failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        ngx_explicit_memzero(ekm, sizeof(ekm));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    src.data = ekm;
    src.len = elcf->length;

    h->value.len = elcf->base64 ? ngx_base64_encoded_length(src.len)
                                : 2 * src.len;
    h->value.data = ngx_pnalloc(r->pool, h->value.len);

    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (h->value.data == NULL || cln == NULL) {
        ngx_explicit_memzero(ekm, sizeof(ekm));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the encoded key is wiped with the request */
    cln->handler = ngx_http_onem2m_exporter_cleanse;
    cln->data = &h->value;

    if (elcf->base64) {
        ngx_encode_base64(&h->value, &src);

    } else {
        ngx_hex_dump(h->value.data, ekm, src.len);
    }

    ngx_explicit_memzero(ekm, sizeof(ekm));

    h->hash = elcf->hash;
    h->key = elcf->name;
    h->lowcase_key = elcf->lowcase;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_DECLINED;
}


static void
ngx_http_onem2m_exporter_cleanse(void *data)
{
    ngx_str_t  *value = data;

    ngx_explicit_memzero(value->data, value->len);
}
