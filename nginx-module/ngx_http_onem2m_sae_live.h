/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: live key stores ("kpsa-lmdb:"), what the other
 * files of the module call (ngx_http_onem2m_sae_live.c).
 */


#ifndef _NGX_HTTP_ONEM2M_SAE_LIVE_H_INCLUDED_
#define _NGX_HTTP_ONEM2M_SAE_LIVE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"


#define NGX_HTTP_ONEM2M_SAE_LIVE_SCHEME  ONEM2M_SAE_LMDB_URI_SCHEME ":"


/*
 * Cuts the scheme off a table URI (onem2m_uri_scheme()): path is left with
 * what follows "kpsa:" or "kpsa-lmdb:", scheme gets that scheme with its
 * colon ("kpsa:" when the URI has none: a plain path is a text table).
 */
void ngx_http_onem2m_sae_live_scheme(ngx_str_t *path, ngx_str_t *scheme);

/*
 * Opens the table of a server at configuration time (postconfiguration;
 * srv_conf: the server's configurations): a live store with the server's
 * "onem2m_sae_kek_file", which the
 * provider reads now, in the master; a text table without.  A live store
 * without KEK, or a KEK for a text table, is an error passed to diag.
 * uri is the full URI, NUL-terminated; file and line name the table's
 * directive.  Live tables are remembered for the workers' child_init.
 */
ONEM2M_SAE_TABLE *ngx_http_onem2m_sae_live_open(ngx_conf_t *cf,
    void **srv_conf, const char *provider_dir, const char *uri, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg);

/*
 * The request-time check of a PSK binding made with table: NGX_OK while
 * current (always, for a text table).  When the credential was revoked,
 * rekeyed or moved since the handshake (or the store failed), the
 * binding is dropped for good, the event logged, the connection closed
 * after this request (HTTP/1.x: no keep-alive; HTTP/2: GOAWAY, closed
 * after the streams in progress), and NGX_DECLINED returned: the caller
 * treats the request as unbound.  Once per request.
 */
ngx_int_t ngx_http_onem2m_sae_live_current(ngx_http_request_t *r,
    ONEM2M_SAE_TABLE *table, ngx_http_onem2m_sae_binding_t *binding);

/*
 * The gauges of the live stores in Prometheus text format (age since the
 * last sync, last sequence, entries), for "onem2m_sae_status"; NULL when
 * there is no live store, or out of memory.
 */
ngx_buf_t *ngx_http_onem2m_sae_live_metrics(ngx_http_request_t *r);


#endif /* _NGX_HTTP_ONEM2M_SAE_LIVE_H_INCLUDED_ */
