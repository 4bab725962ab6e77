/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: request header names (ngx_http_onem2m_header.h).
 *
 * Headers are removed the way headers-more-nginx-module removes them:
 * in place, by shortening or splitting the parts of the list, never by
 * moving or copying elements.  r->headers_in.host, .cookie, ... and the
 * "next" chains of nginx >= 1.23 point at elements of the list; a copy
 * of the list would leave them pointing at elements nobody forwards.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_header.h"


static u_char ngx_http_onem2m_header_fold(u_char c);
static ngx_uint_t ngx_http_onem2m_header_like(ngx_str_t *name,
    ngx_str_t *rule);
static ngx_str_t *ngx_http_onem2m_header_find(ngx_str_t *key,
    ngx_array_t *names);
static ngx_int_t ngx_http_onem2m_header_cut(ngx_list_t *list,
    ngx_list_part_t **part, ngx_uint_t *i);
static void ngx_http_onem2m_header_unlink(ngx_list_t *list,
    ngx_list_part_t **part);


/*
 * Names an identity header cannot take.  "*" ends a prefix.  The headers
 * nginx reads itself (ngx_http_headers_in[]) are refused as well, so
 * that no header removed here is ever one r->headers_in points at.
 */
static ngx_str_t  ngx_http_onem2m_header_m2m = ngx_string("X-M2M-*");

static ngx_str_t  ngx_http_onem2m_header_http[] = {
    /* hop-by-hop and framing (RFC 9110 7.6.1, RFC 9112 6) */
    ngx_string("Connection"),
    ngx_string("Keep-Alive"),
    ngx_string("Proxy-*"),
    ngx_string("TE"),
    ngx_string("Trailer"),
    ngx_string("Transfer-Encoding"),
    ngx_string("Upgrade"),
    ngx_string("HTTP2-Settings"),
    ngx_string("Content-*"),
    ngx_string("Expect"),
    /* routing and the client's address */
    ngx_string("Host"),
    ngx_string("Via"),
    ngx_string("Forwarded"),
    ngx_string("X-Forwarded-*"),
    ngx_string("X-Real-IP"),
    ngx_string("Max-Forwards"),
    ngx_string("Origin"),
    ngx_string("Early-Data"),
    /* credentials */
    ngx_string("Authorization"),
    ngx_string("Cookie"),
    ngx_string("Cookie2"),
    /* what the answer depends on */
    ngx_string("Accept"),
    ngx_string("Accept-*"),
    ngx_string("If-*"),
    ngx_string("Range"),
    ngx_string("Sec-*"),
    ngx_null_string
};


ngx_uint_t
ngx_http_onem2m_header_match(ngx_str_t *key, ngx_str_t *name)
{
    u_char      a, b;
    ngx_uint_t  i, alias;

    if (key->len != name->len) {
        return NGX_HTTP_ONEM2M_HEADER_OTHER;
    }

    alias = 0;

    for (i = 0; i < name->len; i++) {
        a = ngx_tolower(key->data[i]);
        b = ngx_tolower(name->data[i]);

        if (a == b) {
            continue;
        }

        if (ngx_http_onem2m_header_fold(a) != ngx_http_onem2m_header_fold(b))
        {
            return NGX_HTTP_ONEM2M_HEADER_OTHER;
        }

        alias = 1;
    }

    return alias ? NGX_HTTP_ONEM2M_HEADER_ALIAS : NGX_HTTP_ONEM2M_HEADER_SAME;
}


const char *
ngx_http_onem2m_header_reserved(ngx_str_t *name)
{
    ngx_str_t          *rule;
    ngx_http_header_t  *hh;

    if (ngx_http_onem2m_header_like(name, &ngx_http_onem2m_header_m2m)) {
        return "X-M2M- headers belong to oneM2M (X-M2M-Origin would be "
               "overwritten)";
    }

    for (rule = ngx_http_onem2m_header_http; rule->len; rule++) {
        if (ngx_http_onem2m_header_like(name, rule)) {
            return "HTTP gives that header a meaning";
        }
    }

    for (hh = ngx_http_headers_in; hh->name.len; hh++) {
        if (ngx_http_onem2m_header_like(name, &hh->name)) {
            return "nginx reads that header itself";
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_onem2m_header_remove(ngx_list_t *list, ngx_array_t *names,
    ngx_uint_t *removed, ngx_str_t **first)
{
    ngx_str_t        *name;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &list->part;
    i = 0;

    while (part != NULL) {

        if (i >= part->nelts) {
            part = part->next;
            i = 0;
            continue;
        }

        h = part->elts;

        name = ngx_http_onem2m_header_find(&h[i].key, names);

        if (name == NULL) {
            i++;
            continue;
        }

        if (*removed == 0) {
            *first = name;
        }

        (*removed)++;

        if (ngx_http_onem2m_header_cut(list, &part, &i) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* case, "-", "_" and "." folded */

static u_char
ngx_http_onem2m_header_fold(u_char c)
{
    c = ngx_tolower(c);

    return (c == '_' || c == '.') ? '-' : c;
}


/* name is rule, or starts with it when rule ends with "*" */

static ngx_uint_t
ngx_http_onem2m_header_like(ngx_str_t *name, ngx_str_t *rule)
{
    size_t      len;
    ngx_str_t   head, stem;

    len = rule->len;

    if (len && rule->data[len - 1] == '*') {
        len--;

        if (name->len < len) {
            return 0;
        }

    } else if (name->len != len) {
        return 0;
    }

    head.len = len;
    head.data = name->data;

    stem.len = len;
    stem.data = rule->data;

    return ngx_http_onem2m_header_match(&head, &stem)
           != NGX_HTTP_ONEM2M_HEADER_OTHER;
}


static ngx_str_t *
ngx_http_onem2m_header_find(ngx_str_t *key, ngx_array_t *names)
{
    ngx_str_t   *name;
    ngx_uint_t   n;

    name = names->elts;

    for (n = 0; n < names->nelts; n++) {
        if (ngx_http_onem2m_header_match(key, &name[n])) {
            return &name[n];
        }
    }

    return NULL;
}


/*
 * Removes element i of part.  The elements stay where they are: the part
 * is shortened at either end, or split in two, and a part left empty is
 * unlinked (nginx's list walks do not expect empty parts).  The last
 * part never gets the room of a removed element back.  On return, *part
 * and *i say where the walk goes on.
 */

static ngx_int_t
ngx_http_onem2m_header_cut(ngx_list_t *list, ngx_list_part_t **part,
    ngx_uint_t *i)
{
    ngx_list_part_t  *p, *next;
    ngx_table_elt_t  *h;

    p = *part;
    h = p->elts;

    if (*i > 0 && *i < p->nelts - 1) {

        /* in the middle: what follows becomes a part of its own */

        next = ngx_palloc(list->pool, sizeof(ngx_list_part_t));
        if (next == NULL) {
            return NGX_ERROR;
        }

        next->elts = &h[*i + 1];
        next->nelts = p->nelts - *i - 1;
        next->next = p->next;

        p->nelts = *i;
        p->next = next;

        if (list->last == p) {
            list->last = next;
            list->nalloc = next->nelts;
        }

        *part = next;
        *i = 0;

        return NGX_OK;
    }

    if (*i > 0) {

        /* the last one of its part */

        p->nelts--;

        if (list->last == p) {
            list->nalloc = p->nelts;
        }

        return NGX_OK;
    }

    if (p->nelts > 1) {

        /* the first one of its part */

        p->elts = &h[1];
        p->nelts--;

        if (list->last == p) {
            list->nalloc--;
        }

        return NGX_OK;
    }

    /* the only one of its part */

    ngx_http_onem2m_header_unlink(list, part);

    return NGX_OK;
}


/*
 * Unlinks *part, whose one element is removed; the part of the list
 * itself takes the next one's place.  *part is where the walk goes on.
 */

static void
ngx_http_onem2m_header_unlink(ngx_list_t *list, ngx_list_part_t **part)
{
    ngx_list_part_t  *p, *next, *prev;

    p = *part;

    if (p == &list->part) {

        if (p->next == NULL) {
            /* the only header of the list */
            p->nelts = 0;
            return;
        }

        /* the first part is part of the list itself: the next moves in */

        next = p->next;
        *p = *next;

        if (list->last == next) {
            list->last = p;
        }

        return;
    }

    for (prev = &list->part; prev->next != p; prev = prev->next) {
        /* void */
    }

    prev->next = p->next;

    if (list->last == p) {
        list->last = prev;
        list->nalloc = prev->nelts;
    }

    *part = prev->next;
}
