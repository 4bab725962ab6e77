/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: request header names, one rule for all.
 *
 * Two header names are the same header when they are equal with case,
 * "-", "_" and "." folded: nginx compares names without case, and
 * CGI-style upstreams (FastCGI, uwsgi, SCGI, and PHP for the dots that
 * "ignore_invalid_headers off" lets through) turn "-", "_" and "." into
 * the same "_".  Stripping, the originator check and the configuration
 * checks all compare names through this file.
 */


#ifndef _NGX_HTTP_ONEM2M_HEADER_H_INCLUDED_
#define _NGX_HTTP_ONEM2M_HEADER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* ngx_http_onem2m_header_match() */
#define NGX_HTTP_ONEM2M_HEADER_OTHER   0   /* another header */
#define NGX_HTTP_ONEM2M_HEADER_SAME    1   /* the name, in any case */
#define NGX_HTTP_ONEM2M_HEADER_ALIAS   2   /* spelt with "_" or "." */


/* how key compares with name (folded; see above) */
ngx_uint_t ngx_http_onem2m_header_match(ngx_str_t *key, ngx_str_t *name);

/*
 * Why name cannot carry an identity, or NULL when it can: an X-M2M-*
 * spelling, or a header HTTP or nginx gives a meaning to (hop-by-hop,
 * framing, routing, credentials, client address, conditionals, and every
 * header nginx itself reads).
 */
const char *ngx_http_onem2m_header_reserved(ngx_str_t *name);

/*
 * Removes, in place, every header of the list that matches one of the
 * names (an array of ngx_str_t): the other elements keep their addresses,
 * so r->headers_in.host, .cookie and their "next" chains stay valid.
 * Counts the headers removed in *removed, and sets *first to the name
 * that matched first.  NGX_OK, or NGX_ERROR when memory ran out.
 */
ngx_int_t ngx_http_onem2m_header_remove(ngx_list_t *list,
    ngx_array_t *names, ngx_uint_t *removed, ngx_str_t **first);


#endif /* _NGX_HTTP_ONEM2M_HEADER_H_INCLUDED_ */
