/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: the differences between the nginx and OpenSSL
 * versions the module supports, in one place (docs/supported-versions.md).
 *
 * Tested: nginx 1.22.1 (Debian 12) with OpenSSL 3.0, nginx 1.26.3 with
 * OpenSSL 3.5 (Debian 13), nginx 1.30 (stable) and 1.31 (mainline).  Each
 * difference is one macro below, with the version that changed it; the
 * module's sources use the macros and carry no version test of their own.
 */


#ifndef _NGX_HTTP_ONEM2M_COMPAT_H_INCLUDED_
#define _NGX_HTTP_ONEM2M_COMPAT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/opensslv.h>


#if (OPENSSL_VERSION_NUMBER < 0x30000000L)
#error "the onem2m SAE module needs OpenSSL 3.0 or newer"
#endif


/*
 * nginx 1.25.1 removed the "ssl" directive and with it
 * ngx_http_ssl_srv_conf_t.enable: a server does TLS only through
 * "listen ... ssl".  Before, "ssl on" was the other way.
 */

#if (nginx_version < 1025001)
#define ngx_http_onem2m_ssl_directive(sscf)  ((sscf)->enable)
#else
#define ngx_http_onem2m_ssl_directive(sscf)  0
#endif


/*
 * nginx 1.29.2 selects the virtual server of an SNI name in its own
 * ClientHello callback (ngx_ssl_client_hello_callback(), installed by
 * ngx_ssl_set_client_hello_callback() on every server's SSL_CTX), before
 * OpenSSL negotiates the version and looks at TLS 1.3 PSKs; it sets the
 * servername callback as well.  OpenSSL keeps one ClientHello callback per
 * SSL_CTX and has no getter for it: the hook, which sets its own, is given
 * nginx's to call first (ONEM2M_SAE_CTX_chain_client_hello()).
 *
 * Before 1.29.2 nginx switches servers only in the servername callback,
 * after OpenSSL resolved TLS 1.3 PSKs with the default server's SSL_CTX:
 * the hook then asks ngx_http_onem2m_sae_sni_ctx() which server's SSL_CTX
 * the name selects (ONEM2M_SAE_CTX_set_servername_cb()), so that TLS 1.3
 * looks the identity up in the named server's table too.
 *
 * NGX_HTTP_ONEM2M_CLIENT_HELLO_CB: nginx's ClientHello callback, or NULL;
 * NGX_HTTP_ONEM2M_SERVERNAME_CB: ours where nginx has none, or NULL.
 */

#if (nginx_version >= 1029002 && defined SSL_CLIENT_HELLO_SUCCESS)
#define NGX_HTTP_ONEM2M_CLIENT_HELLO_CB  ngx_ssl_client_hello_callback
#define NGX_HTTP_ONEM2M_SERVERNAME_CB    NULL
#else
#define NGX_HTTP_ONEM2M_CLIENT_HELLO_CB  NULL
#define NGX_HTTP_ONEM2M_SERVERNAME_CB    ngx_http_onem2m_sae_sni_ctx
#endif

SSL_CTX *ngx_http_onem2m_sae_sni_ctx(SSL *ssl, const char *name, size_t len,
    void *arg);


/*
 * OpenSSL 3.2 moved the CCM8 cipher suites (8-byte tags) to security level
 * 0: at nginx's default level 1 "PSK-AES128-CCM8" stays in the cipher list
 * but is never negotiated.  A runtime test: what counts is the libssl
 * nginx runs with, not the headers it was built with.
 */

#define ngx_http_onem2m_ccm8_needs_seclevel0()                               \
    (OpenSSL_version_num() >= 0x30200000L)


#endif /* _NGX_HTTP_ONEM2M_COMPAT_H_INCLUDED_ */
