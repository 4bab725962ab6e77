/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Table URIs (provider/common/onem2m_uri.c), table-driven: every form the
 * provider, the key tool and the nginx module take or refuse, one rule for
 * the text tables and the LMDB stores (a host part is refused by both).
 */

#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/onem2m_uri.h"
#include "onem2m_sae.h"

typedef struct {
    const char  *uri;
    int          scheme;
    const char  *path;          /* NULL: malformed */
} uri_case;

#define PLAIN  ONEM2M_URI_PATH
#define KPSA   ONEM2M_URI_KPSA
#define LMDB   ONEM2M_URI_LMDB

static const uri_case  uris[] = {
    /* plain paths: a text table */
    { "/etc/nginx/kpsa.table", PLAIN, "/etc/nginx/kpsa.table" },
    { "kpsa.table", PLAIN, "kpsa.table" },
    { "//srv/kpsa.table", PLAIN, "//srv/kpsa.table" },
    { "kpsa", PLAIN, "kpsa" },
    { "kpsa-lmdb", PLAIN, "kpsa-lmdb" },
    { "lmdb:/var/lib/x", PLAIN, "lmdb:/var/lib/x" },
    { "", PLAIN, NULL },

    /* kpsa: and kpsa-lmdb: alike, any case */
    { "kpsa:/etc/nginx/kpsa.table", KPSA, "/etc/nginx/kpsa.table" },
    { "KPSA:/etc/nginx/kpsa.table", KPSA, "/etc/nginx/kpsa.table" },
    { "kpsa:kpsa.table", KPSA, "kpsa.table" },
    { "kpsa:///etc/nginx/kpsa.table", KPSA, "/etc/nginx/kpsa.table" },
    { "kpsa-lmdb:/var/lib/onem2m", LMDB, "/var/lib/onem2m" },
    { "Kpsa-LMDB:/var/lib/onem2m", LMDB, "/var/lib/onem2m" },
    { "kpsa-lmdb:store", LMDB, "store" },
    { "kpsa-lmdb:///var/lib/onem2m", LMDB, "/var/lib/onem2m" },

    /* a host part, an empty authority without a path, no path at all */
    { "kpsa://host/etc/kpsa.table", KPSA, NULL },
    { "kpsa-lmdb://host/var/lib/onem2m", LMDB, NULL },
    { "kpsa://localhost/etc/kpsa.table", KPSA, NULL },
    { "kpsa-lmdb://localhost/var/lib/onem2m", LMDB, NULL },
    { "kpsa://", KPSA, NULL },
    { "kpsa-lmdb://", LMDB, NULL },
    { "kpsa:", KPSA, NULL },
    { "kpsa-lmdb:", LMDB, NULL },

    /* one slash more is a path: "kpsa:////x" is "//x" */
    { "kpsa:////etc/kpsa.table", KPSA, "//etc/kpsa.table" },
    { "kpsa-lmdb:////var/lib/onem2m", LMDB, "//var/lib/onem2m" },
    /* one less: a relative path, not an authority */
    { "kpsa:/", KPSA, "/" },
    { "kpsa-lmdb:/", LMDB, "/" },
};

START_TEST(test_uri_forms)
{
    const uri_case  *c = &uris[_i];
    const char      *path;
    size_t           prefix;
    int              scheme = -1;

    path = onem2m_uri_path(c->uri, &scheme);
    ck_assert_msg(scheme == c->scheme, "%s: scheme %d, expected %d", c->uri,
                  scheme, c->scheme);

    if (c->path == NULL) {
        ck_assert_msg(path == NULL, "%s: path \"%s\", expected malformed",
                      c->uri, path);
    } else {
        ck_assert_msg(path != NULL && strcmp(path, c->path) == 0,
                      "%s: path \"%s\", expected \"%s\"", c->uri,
                      path ? path : "(malformed)", c->path);
        /* a pointer into the URI */
        ck_assert(path >= c->uri && path < c->uri + strlen(c->uri));
    }

    /* the same scheme from the bytes alone (the nginx module's ngx_str_t) */
    ck_assert_int_eq(onem2m_uri_scheme(c->uri, strlen(c->uri), &prefix),
                     c->scheme);
    ck_assert_uint_eq(prefix, c->scheme == PLAIN ? 0
                              : c->scheme == KPSA ? sizeof("kpsa:") - 1
                              : sizeof("kpsa-lmdb:") - 1);
}
END_TEST

START_TEST(test_uri_edges)
{
    size_t  prefix = 99;
    int     scheme = -1;

    ck_assert_ptr_null(onem2m_uri_path(NULL, &scheme));
    ck_assert_int_eq(scheme, PLAIN);

    /* a scheme cut short is no scheme: "kpsa-lmdb" without its colon */
    ck_assert_int_eq(onem2m_uri_scheme("kpsa-lmdb:/x", 9, &prefix), PLAIN);
    ck_assert_uint_eq(prefix, 0);
    ck_assert_int_eq(onem2m_uri_scheme("kpsa:", 5, &prefix), KPSA);
    ck_assert_uint_eq(prefix, 5);

    /* the names are the public ones of onem2m_sae.h */
    ck_assert_str_eq(ONEM2M_URI_KPSA_SCHEME, ONEM2M_SAE_URI_SCHEME);
    ck_assert_str_eq(ONEM2M_URI_LMDB_SCHEME, ONEM2M_SAE_LMDB_URI_SCHEME);
}
END_TEST

Suite *onem2m_uri_suite(void)
{
    return CK_SUITE("onem2m_uri",
                    CK_TCASE("uri", NULL, NULL, 0),
                    CK_LOOP(test_uri_forms, CK_N(uris)),
                    CK_TEST(test_uri_edges));
}
