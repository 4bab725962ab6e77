/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: error responses in oneM2M form (TS-0009 HTTP
 * binding), shared by the SAE and the originator modules.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"


typedef struct {
    ngx_uint_t  rsc;
    ngx_uint_t  status;
} ngx_http_onem2m_status_map_t;


static ngx_uint_t ngx_http_onem2m_http_status(ngx_uint_t rsc);
static ngx_int_t ngx_http_onem2m_echo_header(ngx_http_request_t *r,
    ngx_str_t *name);


/* TS-0009 Table 6.3.2-1, the codes an edge answers with */
static ngx_http_onem2m_status_map_t  ngx_http_onem2m_status_map[] = {
    { 4000, NGX_HTTP_BAD_REQUEST },
    { 4004, NGX_HTTP_NOT_FOUND },
    { 4005, NGX_HTTP_NOT_ALLOWED },
    { 4008, NGX_HTTP_REQUEST_TIME_OUT },
    { 4015, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE },
    { 4103, NGX_HTTP_FORBIDDEN },
    { 4106, NGX_HTTP_FORBIDDEN },
    { 4107, NGX_HTTP_FORBIDDEN },
    { 4117, NGX_HTTP_FORBIDDEN },
    { 4126, NGX_HTTP_FORBIDDEN },
    { 5000, NGX_HTTP_INTERNAL_SERVER_ERROR },
    { 5001, NGX_HTTP_NOT_IMPLEMENTED },
    { 0, 0 }
};


static ngx_str_t  ngx_http_onem2m_rsc_name = ngx_string("X-M2M-RSC");
static ngx_str_t  ngx_http_onem2m_ri_name = ngx_string("X-M2M-RI");
static ngx_str_t  ngx_http_onem2m_rvi_name = ngx_string("X-M2M-RVI");
static ngx_str_t  ngx_http_onem2m_json_type = ngx_string("application/json");


/*
 * The response is sent and the request finalized here, so that a phase
 * handler simply returns what this returns: NGX_DONE once the answer is
 * on its way, or an error code nginx finalizes the request with when
 * nothing could be sent.
 */

ngx_int_t
ngx_http_onem2m_send_error(ngx_http_request_t *r, ngx_uint_t rsc,
    const char *dbg)
{
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_onem2m_error_headers(r, rsc) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = ngx_http_onem2m_http_status(rsc);

    if (dbg == NULL) {
        dbg = "";
    }

    /* {"m2m:dbg": "..."}, escaped by nginx's own JSON escaper */

    len = ngx_strlen(dbg);

    b = ngx_create_temp_buf(r->pool, sizeof("{\"m2m:dbg\": \"\"}") - 1 + len
                            + ngx_escape_json(NULL, (u_char *) dbg, len));
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, "{\"m2m:dbg\": \"",
                         sizeof("{\"m2m:dbg\": \"") - 1);
    b->last = (u_char *) ngx_escape_json(b->last, (u_char *) dbg, len);
    b->last = ngx_cpymem(b->last, "\"}", sizeof("\"}") - 1);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.content_type = ngx_http_onem2m_json_type;
    r->headers_out.content_type_len = ngx_http_onem2m_json_type.len;
    r->headers_out.content_length_n = b->last - b->pos;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc != NGX_ERROR && rc <= NGX_OK && !r->header_only) {
        rc = ngx_http_output_filter(r, &out);
    }

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


ngx_int_t
ngx_http_onem2m_error_headers(ngx_http_request_t *r, ngx_uint_t rsc)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    ngx_http_onem2m_status_count_rsc(r, rsc);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = ngx_http_onem2m_rsc_name;
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%ui", rsc) - p;

    if (ngx_http_onem2m_echo_header(r, &ngx_http_onem2m_ri_name) != NGX_OK
        || ngx_http_onem2m_echo_header(r, &ngx_http_onem2m_rvi_name)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_onem2m_http_status(ngx_uint_t rsc)
{
    ngx_http_onem2m_status_map_t  *m;

    for (m = ngx_http_onem2m_status_map; m->rsc; m++) {
        if (m->rsc == rsc) {
            return m->status;
        }
    }

    /* by class: 40xx bad request, 41xx forbidden, the rest server errors */

    if (rsc >= 4000 && rsc < 4100) {
        return NGX_HTTP_BAD_REQUEST;
    }

    if (rsc >= 4100 && rsc < 5000) {
        return NGX_HTTP_FORBIDDEN;
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* copies the request's first header "name" (any case) into the response */

static ngx_int_t
ngx_http_onem2m_echo_header(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *header, *h;

    part = &r->headers_in.headers.part;
    header = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NGX_OK;
            }

            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].key.len != name->len
            || ngx_strncasecmp(header[i].key.data, name->data, name->len)
               != 0)
        {
            continue;
        }

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        h->key = *name;
        h->value = header[i].value;

        return NGX_OK;
    }
}
