/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: strings from the network in the error log.
 *
 * PSK identities, X-M2M-Origin claims and the entities they name are
 * written into the error log through one helper, so that every line says
 * them the same way and no line grows with what a client sends: at most
 * NGX_HTTP_ONEM2M_LOG_ID_MAX bytes, escaped, and the real length when cut.
 * The escaping is the provider's and the key tool's own log sanitiser,
 * onem2m_text_log_quote() (provider/common/onem2m_text.c): one rule for
 * every log line the product writes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"


/*
 * Writes src quoted: printable ASCII as it is, anything else and the quote
 * and backslash as \xHH (so that a quoted string in a log line always ends
 * at the first bare quote, whatever a client sent), cut at
 * NGX_HTTP_ONEM2M_LOG_ID_MAX bytes before escaping with "... (N bytes)"
 * after the closing quote.  dst holds NGX_HTTP_ONEM2M_LOG_ID_SIZE bytes;
 * returns the end (the NUL written there is not part of the string).
 */

u_char *
ngx_http_onem2m_log_id(u_char *dst, const u_char *src, size_t len)
{
    return dst + onem2m_text_log_quote((char *) dst,
                                       NGX_HTTP_ONEM2M_LOG_ID_SIZE, src, len,
                                       NGX_HTTP_ONEM2M_LOG_ID_MAX);
}
