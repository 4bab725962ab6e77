/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: the server an SNI name selects, before nginx
 * switches to it.
 *
 * OpenSSL resolves TLS 1.3 PSKs before the servername callback.  nginx
 * 1.29.2 and later switch to the named server in their ClientHello
 * callback, which the hook calls first; older nginx switches only in the
 * servername callback, so the hook asks this function which server's
 * SSL_CTX (and table) the name will select (ngx_http_onem2m_compat.h).
 *
 * It follows ngx_http_ssl_servername(): ngx_http_validate_host() and
 * ngx_http_find_virtual_server() (static in nginx before 1.26) on the
 * address's virtual names.  Should it ever pick another server than nginx
 * does, the handshake ends on a context with another table and the hook
 * leaves the connection unbound: a lock never binds with another server's
 * table.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"
#include "ngx_http_onem2m_compat.h"


static ngx_int_t ngx_http_onem2m_sae_sni_host(u_char *dst,
    const u_char *name, size_t *len);


SSL_CTX *
ngx_http_onem2m_sae_sni_ctx(SSL *ssl, const char *name, size_t len,
    void *arg)
{
    u_char                     host[TLSEXT_MAXLEN_host_name];
    ngx_str_t                  h;
    ngx_connection_t          *c;
    ngx_http_connection_t     *hc;
    ngx_http_ssl_srv_conf_t   *sscf;
    ngx_http_core_srv_conf_t  *cscf;
    ngx_http_virtual_names_t  *vn;

    c = ngx_ssl_get_connection(ssl);

    if (c == NULL || c->data == NULL || len > sizeof(host)) {
        return NULL;
    }

    hc = c->data;

    /* NULL: one server on the address, nothing to select */

    vn = hc->addr_conf ? hc->addr_conf->virtual_names : NULL;

    if (vn == NULL) {
        return NULL;
    }

    h.len = len;
    h.data = host;

    if (ngx_http_onem2m_sae_sni_host(host, (const u_char *) name, &h.len)
        != NGX_OK)
    {
        return NULL;
    }

    cscf = ngx_hash_find_combined(&vn->names, ngx_hash_key(h.data, h.len),
                                  h.data, h.len);

#if (NGX_PCRE)
    {
    ngx_int_t                n;
    ngx_uint_t               i;
    ngx_http_server_name_t  *sn;

    sn = vn->regex;

    for (i = 0; cscf == NULL && i < vn->nregex; i++) {

        n = ngx_regex_exec(sn[i].regex->regex, &h, NULL, 0);

        if (n >= 0) {
            cscf = sn[i].server;

        } else if (n != NGX_REGEX_NO_MATCHED) {
            return NULL;
        }
    }
    }
#endif

    if (cscf == NULL) {
        return NULL;
    }

    sscf = ngx_http_get_module_srv_conf(cscf->ctx, ngx_http_ssl_module);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "onem2m sae: tls 1.3 psk lookup for \"%V\"", &h);

    return sscf->ssl.ctx;
}


/*
 * ngx_http_validate_host() for SNI: no "..", no path separator, no
 * control or space, the port and one final dot cut, in lower case.
 */

static ngx_int_t
ngx_http_onem2m_sae_sni_host(u_char *dst, const u_char *name, size_t *len)
{
    u_char      ch;
    size_t      i, dot_pos, host_len;
    ngx_uint_t  literal, rest;

    dot_pos = *len;
    host_len = *len;
    literal = 0;
    rest = 0;

    for (i = 0; i < *len; i++) {
        ch = name[i];

        switch (ch) {

        case '.':
            if (dot_pos == i - 1) {
                return NGX_DECLINED;
            }
            dot_pos = i;
            break;

        case ':':
            if (!literal && !rest) {
                host_len = i;
                rest = 1;
            }
            break;

        case '[':
            if (i == 0) {
                literal = 1;
            }
            break;

        case ']':
            if (literal && !rest) {
                host_len = i + 1;
                rest = 1;
            }
            break;

        default:

            if (ngx_path_separator(ch) || ch <= 0x20 || ch == 0x7f) {
                return NGX_DECLINED;
            }

            break;
        }
    }

    if (dot_pos == host_len - 1) {
        host_len--;
    }

    if (host_len == 0) {
        return NGX_DECLINED;
    }

    ngx_strlow(dst, (u_char *) name, host_len);
    *len = host_len;

    return NGX_OK;
}
