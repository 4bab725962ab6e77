/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: what the files of the SAE module share, and no
 * other module reads (that is ngx_http_onem2m_sae.h):
 *
 *   ngx_http_onem2m_sae_module.c    directives, module, postconfiguration
 *   ngx_http_onem2m_sae_check.c     whole-configuration checks, per server
 *   ngx_http_onem2m_sae_table.c     opening a server's key table
 *   ngx_http_onem2m_sae_request.c   request time: the view of the binding
 *   ngx_http_onem2m_sae_event.c     handshake events into the error log
 *   ngx_http_onem2m_sae_maf.c       trusted MAFs: MAF keys (Key Identifiers)
 */


#ifndef _NGX_HTTP_ONEM2M_SAE_MODULE_H_INCLUDED_
#define _NGX_HTTP_ONEM2M_SAE_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"
#include "common/onem2m_keyid.h"


typedef struct {
    ngx_str_t                  provider_path;
    /* servers with a way of association, PSK or certificates */
    ngx_uint_t                 sae_servers;
    /* every identity header name of the http block (ngx_str_t) */
    ngx_array_t               *strip;
    /* servers that pass requests on (void **: their srv_conf) */
    ngx_array_t                passing;
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

    /* "onem2m_sae_maf": the MAF-FQDNs the server trusts (ngx_str_t) */
    ngx_array_t               *mafs;
    u_char                    *maf_file;
    ngx_uint_t                 maf_line;

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
} ngx_http_onem2m_sae_srv_conf_t;


typedef struct {
    ngx_uint_t                 mode;
} ngx_http_onem2m_sae_loc_conf_t;


extern ngx_module_t  ngx_http_onem2m_sae_module;


/* ngx_http_onem2m_sae_check.c: refuse what cannot work, enable servers */
ngx_int_t ngx_http_onem2m_sae_enable_servers(ngx_conf_t *cf);
ngx_int_t ngx_http_onem2m_sae_note_passing(ngx_conf_t *cf,
    ngx_http_onem2m_sae_main_conf_t *smcf);
void ngx_http_onem2m_sae_check_siblings(ngx_conf_t *cf);

/* ngx_http_onem2m_sae_table.c */
ngx_int_t ngx_http_onem2m_sae_open_table(ngx_conf_t *cf, void **srv_conf,
    ngx_http_onem2m_sae_main_conf_t *smcf,
    ngx_http_onem2m_sae_srv_conf_t *sscf);

/* ngx_http_onem2m_sae_request.c */
ngx_int_t ngx_http_onem2m_sae_request_init(ngx_conf_t *cf);
ngx_int_t ngx_http_onem2m_sae_post_read_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_onem2m_sae_preaccess_handler(ngx_http_request_t *r);
ngx_http_onem2m_sae_binding_t *ngx_http_onem2m_sae_sent_binding(
    ngx_http_request_t *r, const ONEM2M_SAE_TABLE **table);
ngx_int_t ngx_http_onem2m_sae_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* ngx_http_onem2m_sae_maf.c: the front end as Target MAF Client */
char *ngx_http_onem2m_sae_maf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_onem2m_sae_maf_key(ngx_http_onem2m_sae_srv_conf_t *sscf,
    const u_char *id, size_t len, onem2m_keyid *k);
ngx_int_t ngx_http_onem2m_sae_maf_check(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf);

/* ngx_http_onem2m_sae_event.c: the TLS hook's event callback */
void ngx_http_onem2m_sae_event(SSL *ssl, void *arg, int event,
    const char *identity, size_t identity_len,
    const ONEM2M_SAE_ENTRY *entry);


#define NGX_HTTP_ONEM2M_SAE_VAR_ENTITY         0
#define NGX_HTTP_ONEM2M_SAE_VAR_KPSA_ID        1
#define NGX_HTTP_ONEM2M_SAE_VAR_CREDENTIAL_ID  2
#define NGX_HTTP_ONEM2M_SAE_VAR_METHOD         3


#endif /* _NGX_HTTP_ONEM2M_SAE_MODULE_H_INCLUDED_ */
