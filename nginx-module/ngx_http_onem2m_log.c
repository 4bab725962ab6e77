/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: strings from the network in the error log.
 *
 * PSK identities, X-M2M-Origin claims and the entities they name are
 * written into the error log through one helper, so that every line says
 * them the same way and no line grows with what a client sends: at most
 * NGX_HTTP_ONEM2M_LOG_ID_MAX bytes, escaped, and the real length when cut.
 * Whether such a string may go into a header at all is the one rule of
 * ngx_http_onem2m_visible(), beside it: the bytes it lets through are the
 * ones the log writes as they are (and the space).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"


/*
 * Writes src quoted: visible ASCII as it is, anything else and the quote
 * and backslash as \xHH (so that a quoted string in a log line always ends
 * at the first bare quote, whatever a client sent), cut at
 * NGX_HTTP_ONEM2M_LOG_ID_MAX bytes before escaping with "... (N bytes)"
 * after the closing quote.  At most NGX_HTTP_ONEM2M_LOG_ID_SIZE bytes;
 * returns the end.
 */

u_char *
ngx_http_onem2m_log_id(u_char *dst, const u_char *src, size_t len)
{
    u_char         *p;
    size_t          i, n;
    static u_char   hex[] = "0123456789abcdef";

    n = ngx_min(len, NGX_HTTP_ONEM2M_LOG_ID_MAX);

    p = dst;
    *p++ = '"';

    for (i = 0; i < n; i++) {
        if (src[i] < 0x20 || src[i] > 0x7e || src[i] == '"'
            || src[i] == '\\')
        {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[src[i] >> 4];
            *p++ = hex[src[i] & 0xf];

        } else {
            *p++ = src[i];
        }
    }

    *p++ = '"';

    if (len > n) {
        p = ngx_sprintf(p, "... (%uz bytes)", len);
    }

    return p;
}


/* visible ASCII only: no space, no control character, no 8-bit byte */

ngx_uint_t
ngx_http_onem2m_visible(const u_char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}
