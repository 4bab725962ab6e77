/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: whole-configuration checks.
 *
 * Once every server is merged, each server with "onem2m_sae_psk_table"
 * or "onem2m_sae" is checked against what SAE needs of it (an ssl
 * address, a certificate, PSK suites for TLS 1.2, "ssl_verify_client"
 * that lets PSK clients in) before its table is opened; and servers that
 * share an address with an SAE server without SAE are warned about.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae_module.h"
#include "ngx_http_onem2m_compat.h"


static ngx_int_t ngx_http_onem2m_sae_enable(ngx_conf_t *cf,
    ngx_http_core_srv_conf_t *cscf);
static ngx_int_t ngx_http_onem2m_sae_enable_certificates(ngx_conf_t *cf,
    ngx_http_core_srv_conf_t *cscf, ngx_http_onem2m_sae_srv_conf_t *sscf,
    ngx_http_ssl_srv_conf_t *ssl);
static ngx_uint_t ngx_http_onem2m_sae_ssl_listen(ngx_conf_t *cf,
    ngx_http_core_srv_conf_t *cscf);
static ngx_int_t ngx_http_onem2m_sae_check_ciphers(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl);
static void ngx_http_onem2m_sae_check_ccm8(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl);
static ngx_int_t ngx_http_onem2m_sae_check_mixed(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf, ngx_http_ssl_srv_conf_t *ssl);
static ngx_uint_t ngx_http_onem2m_sae_tls12(ngx_http_ssl_srv_conf_t *ssl);
static ngx_uint_t ngx_http_onem2m_sae_has_kx(ngx_http_ssl_srv_conf_t *ssl,
    int kx);
static ngx_uint_t ngx_http_onem2m_sae_loc_passes(
    ngx_http_core_loc_conf_t *clcf);
static ngx_uint_t ngx_http_onem2m_sae_passes(
    ngx_http_onem2m_sae_main_conf_t *smcf, void **srv_conf);


/*
 * In postconfiguration, once every server is merged (the ssl module made
 * the SSL_CTXs): each server with a table or "onem2m_sae" checked and
 * enabled, its table opened.  Errors name the directive's file:line.
 */

ngx_int_t
ngx_http_onem2m_sae_enable_servers(ngx_conf_t *cf)
{
    ngx_uint_t                   s;
    ngx_http_core_srv_conf_t   **cscfp;
    ngx_http_core_main_conf_t   *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        if (ngx_http_onem2m_sae_enable(cf, cscfp[s]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* one server: refuse what cannot work, open its table */

static ngx_int_t
ngx_http_onem2m_sae_enable(ngx_conf_t *cf, ngx_http_core_srv_conf_t *cscf)
{
    ngx_http_ssl_srv_conf_t          *ssl;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    sscf = ngx_http_conf_get_module_srv_conf(cscf, ngx_http_onem2m_sae_module);
    ssl = ngx_http_conf_get_module_srv_conf(cscf, ngx_http_ssl_module);

    if (ngx_http_onem2m_sae_maf_check(cf, sscf) != NGX_OK) {
        return NGX_ERROR;
    }

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

        return ngx_http_onem2m_sae_enable_certificates(cf, cscf, sscf, ssl);
    }

    if (!ngx_http_onem2m_ssl_directive(ssl)
        && !ngx_http_onem2m_sae_ssl_listen(cf, cscf))
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

    if (ngx_http_onem2m_sae_open_table(cf, cscf->ctx->srv_conf, smcf, sscf)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the table is open now: is it one that keeps expirations */

    if (ngx_http_onem2m_sae_maf_check(cf, sscf) != NGX_OK) {
        return NGX_ERROR;
    }

    sscf->enabled = 1;
    smcf->sae_servers++;

    if (ssl->verify) {
        if (ngx_http_onem2m_sae_check_mixed(cf, sscf, ssl) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_onem2m_sae_enable_certificates(cf, cscf, sscf, ssl);
    }

    return NGX_OK;
}


/*
 * "ssl_verify_client" on an SAE server: verified client certificates bind
 * (with "optional_no_ca" too: only certificates OpenSSL verified count).
 */

static ngx_int_t
ngx_http_onem2m_sae_enable_certificates(ngx_conf_t *cf,
    ngx_http_core_srv_conf_t *cscf, ngx_http_onem2m_sae_srv_conf_t *sscf,
    ngx_http_ssl_srv_conf_t *ssl)
{
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    if (!ngx_http_onem2m_ssl_directive(ssl)
        && !ngx_http_onem2m_sae_ssl_listen(cf, cscf))
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


/* whether the server has a "listen ... ssl" address */

static ngx_uint_t
ngx_http_onem2m_sae_ssl_listen(ngx_conf_t *cf, ngx_http_core_srv_conf_t *cscf)
{
    ngx_uint_t                   p, a, s;
    ngx_http_conf_addr_t        *addr;
    ngx_http_conf_port_t        *port;
    ngx_http_core_srv_conf_t   **cscfp;
    ngx_http_core_main_conf_t   *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

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


/*
 * Notes the servers with a location that hands requests to a content
 * handler (proxy_pass, fastcgi_pass, ...), for
 * ngx_http_onem2m_sae_check_siblings().  Called from the module's
 * init_main_conf, where every location is still in the queues: the
 * merges of the modules before this one are done (proxy's sets the
 * handler of "limit_except" blocks), and ngx_http_init_locations(), which
 * drops "if" and "limit_except" blocks from them, has not run yet.
 * Postconfiguration comes after it, too late.
 */

ngx_int_t
ngx_http_onem2m_sae_note_passing(ngx_conf_t *cf,
    ngx_http_onem2m_sae_main_conf_t *smcf)
{
    void                        ***passing;
    ngx_uint_t                     s;
    ngx_http_core_srv_conf_t     **cscfp;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_core_main_conf_t     *cmcf;

    if (ngx_array_init(&smcf->passing, cf->pool, 4, sizeof(void **))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        clcf = cscfp[s]->ctx->loc_conf[ngx_http_core_module.ctx_index];

        if (!ngx_http_onem2m_sae_loc_passes(clcf)) {
            continue;
        }

        passing = ngx_array_push(&smcf->passing);
        if (passing == NULL) {
            return NGX_ERROR;
        }

        *passing = cscfp[s]->ctx->srv_conf;
    }

    return NGX_OK;
}


/* the location, or one inside it, has a content handler */

static ngx_uint_t
ngx_http_onem2m_sae_loc_passes(ngx_http_core_loc_conf_t *clcf)
{
    ngx_queue_t                *q;
    ngx_http_location_queue_t  *lq;

    if (clcf->handler != NULL) {
        return 1;
    }

    if (clcf->locations == NULL) {
        return 0;
    }

    for (q = ngx_queue_head(clcf->locations);
         q != ngx_queue_sentinel(clcf->locations);
         q = ngx_queue_next(q))
    {
        lq = (ngx_http_location_queue_t *) q;

        if (ngx_http_onem2m_sae_loc_passes(lq->exact ? lq->exact
                                                     : lq->inclusive))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_uint_t
ngx_http_onem2m_sae_passes(ngx_http_onem2m_sae_main_conf_t *smcf,
    void **srv_conf)
{
    void        ***passing;
    ngx_uint_t     i;

    passing = smcf->passing.elts;

    for (i = 0; i < smcf->passing.nelts; i++) {
        if (passing[i] == srv_conf) {
            return 1;
        }
    }

    return 0;
}


/*
 * A server without SAE that shares an address with an SAE server and
 * passes requests on: a client of the SAE server, a bound lock included,
 * names it by SNI or Host and sends any X-M2M-Origin through it, unchecked.
 * Legitimate (a web site next to the gateway), so a warning.
 */

void
ngx_http_onem2m_sae_check_siblings(ngx_conf_t *cf)
{
    ngx_uint_t                        p, a, s, t;
    ngx_http_conf_addr_t             *addr;
    ngx_http_conf_port_t             *port;
    ngx_http_core_srv_conf_t        **cscfp, *sae;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_onem2m_sae_module);

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

                if (sscf->enabled
                    || !ngx_http_onem2m_sae_passes(smcf,
                                                   cscfp[t]->ctx->srv_conf))
                {
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
