/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: what the two files of the originator module share
 * (ngx_http_onem2m_originator_module.c: directives and configuration;
 * ngx_http_onem2m_originator_handler.c: the check of each request).  The
 * identifiers themselves are compared by provider/common/onem2m_id_canon.c.
 */


#ifndef _NGX_HTTP_ONEM2M_ORIGINATOR_H_INCLUDED_
#define _NGX_HTTP_ONEM2M_ORIGINATOR_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"
#include "common/onem2m_id_canon.h"


#define NGX_HTTP_ONEM2M_ORIGINATOR_OFF      0
#define NGX_HTTP_ONEM2M_ORIGINATOR_CHECK    1
#define NGX_HTTP_ONEM2M_ORIGINATOR_ASSIGN   2

/*
 * The longest X-M2M-Origin accepted: the longest entity a table can hold
 * (ONEM2M_SAE_MAX_ID_LEN), so every form of a provisioned stem fits.
 */
#define NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN  ONEM2M_SAE_MAX_ID_LEN


typedef struct {
    ngx_str_t                  cse_id;    /* without the leading "/" */
    ngx_str_t                  sp_id;     /* without the leading "//" */
    /* the two, as the identifier code reads them */
    onem2m_gateway             gateway;
    /* entities with certificates: ngx_http_onem2m_originator_entity_t */
    ngx_array_t               *cert_entities;
    /* the same, read with this server's CSE-ID and SP-ID */
    ngx_array_t               *cert_ids;  /* onem2m_canon */
} ngx_http_onem2m_originator_srv_conf_t;


typedef struct {
    ngx_uint_t                 mode;
    u_char                    *file;      /* where "mode" was set */
    ngx_uint_t                 line;
} ngx_http_onem2m_originator_loc_conf_t;


extern ngx_module_t  ngx_http_onem2m_originator_module;


/* the PREACCESS handler (ngx_http_onem2m_originator_handler.c) */
ngx_int_t ngx_http_onem2m_originator_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_ONEM2M_ORIGINATOR_H_INCLUDED_ */
