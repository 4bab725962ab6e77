
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


#endif /* _NGX_HTTP_ONEM2M_COMPAT_H_INCLUDED_ */
