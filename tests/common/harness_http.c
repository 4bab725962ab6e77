/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Headers and HTTP messages: lookups, the header block parser shared by
 * the upstream and the TLS client, freeing responses.
 */

#define _GNU_SOURCE

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/harness_internal.h"

const char *
harness_header_get(const harness_header *h, size_t n, const char *name)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, name) == 0) {
            return h[i].value;
        }
    }
    return NULL;
}

size_t
harness_header_count(const harness_header *h, size_t n, const char *name)
{
    size_t  i, c = 0;

    for (i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, name) == 0) {
            c++;
        }
    }
    return c;
}

void
harness_headers_free(harness_header *h, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

void
harness_headers_add(harness_header **h, size_t *n, const char *name, size_t nl,
    const char *value, size_t vl)
{
    *h = realloc(*h, (*n + 1) * sizeof(**h));
    if (*h == NULL) {
        abort();
    }
    (*h)[*n].name = harness_xstrndup(name, nl);
    (*h)[*n].value = harness_xstrndup(value, vl);
    (*n)++;
}

/*
 * Parses the header block "line\r\n(Name: value\r\n)*\r\n" of len bytes:
 * the first line goes to *first, headers are appended.  0 or -1.
 */
int
harness_parse_head(const char *p, size_t len, char **first, harness_header **h,
    size_t *n)
{
    const char  *end = p + len, *eol, *colon, *v, *ve;

    eol = memmem(p, (size_t) (end - p), "\r\n", 2);
    if (eol == NULL) {
        return -1;
    }
    *first = harness_xstrndup(p, (size_t) (eol - p));
    p = eol + 2;
    while (p < end) {
        eol = memmem(p, (size_t) (end - p), "\r\n", 2);
        if (eol == NULL || eol == p) {
            break;
        }
        colon = memchr(p, ':', (size_t) (eol - p));
        if (colon == NULL) {
            return -1;
        }
        v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t')) {
            v++;
        }
        ve = eol;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
            ve--;
        }
        harness_headers_add(h, n, p, (size_t) (colon - p), v,
                            (size_t) (ve - v));
        p = eol + 2;
    }
    return 0;
}

void
harness_response_free(harness_response *resp)
{
    if (resp == NULL) {
        return;
    }
    harness_headers_free(resp->headers, resp->nheaders);
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}
