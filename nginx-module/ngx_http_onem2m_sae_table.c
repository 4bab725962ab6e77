/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: opening a server's key table.
 *
 * Once per configuration cycle, in postconfiguration, through the TLS
 * hook library: the provider reads the file (or reuses the copy the
 * process has), its diagnostics become nginx's, naming the directive's
 * file:line, and the table is freed with the cycle's pool.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae_module.h"
#include "ngx_http_onem2m_sae_live.h"


typedef struct {
    ngx_conf_t                      *cf;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;
    ngx_uint_t                       errors;
    ngx_str_t                        path;      /* prefix of messages */
    u_char                           how[200];  /* read or reused */
} ngx_http_onem2m_sae_diag_ctx_t;


static u_char *ngx_http_onem2m_sae_table_uri(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_str_t *path, ngx_str_t *scheme);
static void ngx_http_onem2m_sae_diag(void *arg, int severity,
    const char *msg);
static void ngx_http_onem2m_sae_free_table(void *data);


ngx_int_t
ngx_http_onem2m_sae_open_table(ngx_conf_t *cf, void **srv_conf,
    ngx_http_onem2m_sae_main_conf_t *smcf,
    ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    u_char                          *uri, *dir;
    ngx_str_t                        path, scheme;
    ngx_pool_cleanup_t              *cln;
    ngx_http_onem2m_sae_diag_ctx_t   diag;

    uri = ngx_http_onem2m_sae_table_uri(cf, sscf, &path, &scheme);
    if (uri == NULL) {
        return NGX_ERROR;
    }

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

    /* a live store opens with the server's KEK (ngx_http_onem2m_sae_live.c) */
    sscf->table = ngx_http_onem2m_sae_live_open(cf, srv_conf, (char *) dir,
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

    } else if (ngx_http_onem2m_sae_check_store_access(cf, &sscf->table_uri,
                                                 uri + scheme.len,
                                                 (u_char *) sscf->table_file,
                                                 sscf->table_line)
               != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the count says whether the file was read now or a copy reused */

    ngx_log_error(NGX_LOG_INFO, cf->log, 0,
                  "onem2m_sae_psk_table \"%V\": %uz entries, %s",
                  &sscf->table_uri, ONEM2M_SAE_table_count(sscf->table),
                  diag.how);

    return NGX_OK;
}


/*
 * "<scheme><absolute path>" of the server's table ("kpsa:" or
 * "kpsa-lmdb:"), NUL-terminated, the path alone in *path and the scheme
 * with its colon in *scheme: relative paths are relative to the
 * configuration's directory.
 */

static u_char *
ngx_http_onem2m_sae_table_uri(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_str_t *path, ngx_str_t *scheme)
{
    u_char  *uri;

    *path = sscf->table_uri;
    ngx_http_onem2m_sae_live_scheme(path, scheme);

    if (path->data[0] != '/') {
        if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
            return NULL;
        }
    }

    uri = ngx_pnalloc(cf->pool, scheme->len + path->len + 1);
    if (uri == NULL) {
        return NULL;
    }

    *ngx_cpymem(ngx_cpymem(uri, scheme->data, scheme->len), path->data,
                path->len) = '\0';

    return uri;
}


static void
ngx_http_onem2m_sae_diag(void *arg, int severity, const char *msg)
{
    ngx_http_onem2m_sae_diag_ctx_t *diag = arg;

    size_t       len;
    ngx_uint_t   level;
    const char  *hint;

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

    /* the library does not know the directive that names the directory */
    hint = ngx_strstr(msg, "cannot load the OpenSSL provider") != NULL
           ? "; install the package openssl-provider-onem2m, or name the "
             "directory of onem2m.so in the http block with "
             "\"onem2m_sae_provider_path DIR;\""
           : "";

    ngx_log_error(level, diag->cf->log, 0,
                  "onem2m_sae_psk_table \"%V\": %s in %s:%ui%s",
                  &diag->sscf->table_uri, msg, diag->sscf->table_file,
                  diag->sscf->table_line, hint);
}


static void
ngx_http_onem2m_sae_free_table(void *data)
{
    ONEM2M_SAE_table_free(data);
}
