/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The standard face through libcrypto: OSSL_STORE_open_ex() on "kpsa:"
 * URIs, enumeration, search by alias, errors on the error queue, sharing
 * with the fast face; and the real "openssl storeutl" command line.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>
#include <onem2m_sae.h>

#include "check_cases.h"
#include "table_util.h"

#define ID1  "AE123456789012-Lock@in.provider.com"
#define ID2  "AE123456789015-Lock@in.provider.com"

/* the key hex of the example table, in the spellings a leak could take */
static const char *example_key_texts[] = {
    "1a2b3c4d5e6f7a8b", "1A2B3C4D5E6F7A8B", "1a:2b:3c", "1A:2B:3C",
    "12345678abcdefab", "12345678ABCDEFAB", "12:34:56", "Gis8TV5veos",
    "EjRWeKvN76s",
};

static void
assert_no_example_key(const char *out)
{
    size_t  i;

    for (i = 0; i < sizeof(example_key_texts) / sizeof(char *); i++) {
        ck_assert_msg(strstr(out, example_key_texts[i]) == NULL,
                      "output shows key material (form %zu)", i);
    }
}

/* loads everything left; returns the count, infos in *infos (may be NULL) */
static int
load_all(OSSL_STORE_CTX *ctx, OSSL_STORE_INFO **infos, int max)
{
    OSSL_STORE_INFO  *info;
    int               n = 0;

    while (!OSSL_STORE_eof(ctx)) {
        info = OSSL_STORE_load(ctx);

        if (info == NULL) {
            ck_assert_int_eq(OSSL_STORE_error(ctx), 0);
            continue;
        }

        if (infos != NULL && n < max) {
            infos[n] = info;
        } else {
            OSSL_STORE_INFO_free(info);
        }

        n++;
    }

    return n;
}

/* the whole table of tu_path, all its credentials */
static OSSL_STORE_CTX *
open_table_store(void)
{
    OSSL_STORE_CTX  *ctx;

    ctx = tu_store_open(tu_fmt("kpsa:%s", tu_path));
    ck_assert_ptr_nonnull(ctx);

    return ctx;
}

START_TEST(test_enumeration_as_names)
{
    OSSL_STORE_CTX   *ctx;
    OSSL_STORE_INFO  *infos[4];
    char              canonical[PATH_MAX];

    tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);
    ck_assert_ptr_nonnull(realpath(tu_path, canonical));

    ctx = open_table_store();
    ck_assert_int_eq(load_all(ctx, infos, 4), 2);

    ck_assert_int_eq(OSSL_STORE_INFO_get_type(infos[0]), OSSL_STORE_INFO_NAME);
    ck_assert_str_eq(OSSL_STORE_INFO_get0_NAME(infos[0]),
                     tu_fmt("kpsa:%s#" ID1, canonical));
    ck_assert_str_eq(OSSL_STORE_INFO_get0_NAME_description(infos[0]),
                     "oneM2M TLS-PSK credential of Clock-AE1 (AE), "
                     "8-byte key");
    ck_assert_str_eq(OSSL_STORE_INFO_get0_NAME(infos[1]),
                     tu_fmt("kpsa:%s#" ID2, canonical));
    ck_assert_str_eq(OSSL_STORE_INFO_get0_NAME_description(infos[1]),
                     "oneM2M TLS-PSK credential of Clock-AE2 (AE), "
                     "8-byte key");

    /* each name opens as that one credential */
    OSSL_STORE_close(ctx);
    ctx = tu_store_open(OSSL_STORE_INFO_get0_NAME(infos[1]));
    ck_assert_ptr_nonnull(ctx);
    OSSL_STORE_INFO_free(infos[0]);
    OSSL_STORE_INFO_free(infos[1]);

    ck_assert_int_eq(load_all(ctx, infos, 4), 1);
    ck_assert_int_eq(OSSL_STORE_INFO_get_type(infos[0]), OSSL_STORE_INFO_PKEY);
    ck_assert_str_eq(tu_pkey_utf8(OSSL_STORE_INFO_get0_PKEY(infos[0]),
                                  "kpsa-id"), ID2);
    OSSL_STORE_INFO_free(infos[0]);
    OSSL_STORE_close(ctx);
}
END_TEST

START_TEST(test_enumeration_as_keys)
{
    OSSL_STORE_CTX   *ctx;
    OSSL_STORE_INFO  *infos[4];
    EVP_PKEY         *pkey;

    tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);
    ctx = open_table_store();
    ck_assert_int_eq(OSSL_STORE_expect(ctx, OSSL_STORE_INFO_PKEY), 1);
    ck_assert_int_eq(load_all(ctx, infos, 4), 2);

    ck_assert_int_eq(OSSL_STORE_INFO_get_type(infos[0]), OSSL_STORE_INFO_PKEY);
    pkey = OSSL_STORE_INFO_get0_PKEY(infos[0]);
    ck_assert_int_eq(EVP_PKEY_is_a(pkey, "ONEM2M-KPSA"), 1);
    ck_assert_str_eq(tu_pkey_utf8(pkey, "kpsa-id"), ID1);
    ck_assert_str_eq(tu_pkey_utf8(pkey, "entity-id"), "Clock-AE1");

    pkey = OSSL_STORE_INFO_get0_PKEY(infos[1]);
    ck_assert_str_eq(tu_pkey_utf8(pkey, "kpsa-id"), ID2);
    ck_assert_str_eq(tu_pkey_utf8(pkey, "entity-id"), "Clock-AE2");

    OSSL_STORE_INFO_free(infos[0]);
    OSSL_STORE_INFO_free(infos[1]);
    OSSL_STORE_close(ctx);

    /* nothing else is in a table */
    ctx = open_table_store();
    ck_assert_int_eq(OSSL_STORE_expect(ctx, OSSL_STORE_INFO_CERT), 1);
    ck_assert_int_eq(load_all(ctx, NULL, 0), 0);
    OSSL_STORE_close(ctx);
}
END_TEST

START_TEST(test_search_by_alias)
{
    OSSL_STORE_CTX     *ctx;
    OSSL_STORE_INFO    *infos[4];
    OSSL_STORE_SEARCH  *search;

    tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);

    ctx = open_table_store();
    ck_assert_int_eq(OSSL_STORE_supports_search(ctx,
                                                OSSL_STORE_SEARCH_BY_ALIAS), 1);
    ck_assert_int_eq(OSSL_STORE_supports_search(ctx,
                                                OSSL_STORE_SEARCH_BY_NAME), 0);
    search = OSSL_STORE_SEARCH_by_alias(ID2);
    ck_assert_int_eq(OSSL_STORE_expect(ctx, OSSL_STORE_INFO_PKEY), 1);
    ck_assert_int_eq(OSSL_STORE_find(ctx, search), 1);
    ck_assert_int_eq(load_all(ctx, infos, 4), 1);
    ck_assert_str_eq(tu_pkey_utf8(OSSL_STORE_INFO_get0_PKEY(infos[0]),
                                  "entity-id"), "Clock-AE2");
    OSSL_STORE_INFO_free(infos[0]);
    OSSL_STORE_SEARCH_free(search);
    OSSL_STORE_close(ctx);

    /* as a listing: one name */
    ctx = open_table_store();
    search = OSSL_STORE_SEARCH_by_alias(ID1);
    ck_assert_int_eq(OSSL_STORE_find(ctx, search), 1);
    ck_assert_int_eq(load_all(ctx, infos, 4), 1);
    ck_assert_int_eq(OSSL_STORE_INFO_get_type(infos[0]), OSSL_STORE_INFO_NAME);
    ck_assert_ptr_nonnull(strstr(OSSL_STORE_INFO_get0_NAME(infos[0]),
                                 "#" ID1));
    OSSL_STORE_INFO_free(infos[0]);
    OSSL_STORE_SEARCH_free(search);
    OSSL_STORE_close(ctx);

    /* an unknown alias finds nothing, without an error */
    ctx = open_table_store();
    search = OSSL_STORE_SEARCH_by_alias("nobody@in.provider.com");
    ck_assert_int_eq(OSSL_STORE_find(ctx, search), 1);
    ck_assert_int_eq(load_all(ctx, NULL, 0), 0);
    ck_assert_int_eq(OSSL_STORE_eof(ctx), 1);
    ck_assert_int_eq(OSSL_STORE_error(ctx), 0);
    OSSL_STORE_SEARCH_free(search);
    OSSL_STORE_close(ctx);

    /* an entry URI searched for another alias: nothing */
    ctx = tu_store_open(tu_fmt("kpsa:%s#" ID1, tu_path));
    search = OSSL_STORE_SEARCH_by_alias(ID2);
    ck_assert_int_eq(OSSL_STORE_find(ctx, search), 1);
    ck_assert_int_eq(load_all(ctx, NULL, 0), 0);
    OSSL_STORE_SEARCH_free(search);
    OSSL_STORE_close(ctx);
}
END_TEST

START_TEST(test_open_errors)
{
    unsigned long  code;
    const char    *data;
    char           missing[PATH_MAX];

    /* a missing file: the table's own message on the error queue */
    snprintf(missing, sizeof(missing), "%s/missing.table", tu_dir());
    ck_assert_ptr_null(tu_store_open(tu_fmt("kpsa:%s", missing)));
    data = tu_last_error_data(&code);
    ck_assert_str_eq(data, tu_fmt("%s: cannot open (No such file or "
                                  "directory)", missing));
    ck_assert_str_eq(ERR_reason_error_string(code), "psk-lookup-table error");

    /* an authority is not a path */
    ck_assert_ptr_null(tu_store_open("kpsa://host/etc/kpsa.table"));
    data = tu_last_error_data(&code);
    ck_assert_str_eq(data, "kpsa://host/etc/kpsa.table: not a "
                     "\"kpsa:<path>\" URI");
    ck_assert_str_eq(ERR_reason_error_string(code), "bad kpsa URI");

    /* an entry URI whose KpsaID is not in the table: opens, finds nothing */
    tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);
    {
        OSSL_STORE_CTX  *ctx;

        ctx = tu_store_open(tu_fmt("kpsa:%s#nobody@x.y", tu_path));
        ck_assert_ptr_nonnull(ctx);
        ck_assert_int_eq(load_all(ctx, NULL, 0), 0);
        OSSL_STORE_close(ctx);
    }
}
END_TEST

START_TEST(test_table_errors_on_queue)
{
    unsigned long  err;
    const char    *data;
    int            flags, n = 0;
    char           first[PATH_MAX + 100] = "";

    tu_write_file(tu_fmt("%s/bad.table", tu_dir()),
                  "C1 zz a@b.c\nC2 00 a@b.c\nX3 00 c@b.c\n", 0600);
    ck_assert_ptr_null(tu_store_open(tu_fmt("kpsa:%s/bad.table", tu_dir())));

    while ((err = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        if (data != NULL && strstr(data, "bad.table:") != NULL) {
            if (n++ == 0) {
                snprintf(first, sizeof(first), "%s", data);
            }
            ck_assert_ptr_null(strstr(data, "zz"));
        }
    }

    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(first, tu_fmt("%s/bad.table:1: key is not hexadecimal",
                                   tu_dir()));
}
END_TEST

START_TEST(test_shared_with_fast_face)
{
    ONEM2M_SAE_TABLE        *t1, *t2;
    const ONEM2M_SAE_ENTRY  *e;
    OSSL_STORE_CTX          *ctx1, *ctx2;
    OSSL_STORE_INFO         *i1[2], *i2[2];
    OSSL_PARAM               params[2];
    void                    *key1 = NULL, *key2 = NULL;
    size_t                   len = 0;

    tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);

    /* the fast face in the same library context: one table */
    t1 = ONEM2M_SAE_table_open(tu_libctx, TU_PROVIDER_DIR, tu_path, NULL,
                               NULL);
    t2 = ONEM2M_SAE_table_open(tu_libctx, NULL, tu_fmt("kpsa:%s", tu_path),
                               NULL, NULL);
    ck_assert_ptr_nonnull(t1);
    ck_assert_ptr_eq(t1, t2);
    e = tu_lookup(t1, ID1);
    ck_assert_ptr_nonnull(e);

    /* two stores on the same file hand out keys pointing into that table */
    ctx1 = tu_store_open(tu_fmt("kpsa:%s#" ID1, tu_path));
    ctx2 = open_table_store();
    ck_assert_int_eq(OSSL_STORE_expect(ctx2, OSSL_STORE_INFO_PKEY), 1);
    ck_assert_int_eq(load_all(ctx1, i1, 2), 1);
    ck_assert_int_eq(load_all(ctx2, i2, 2), 2);
    OSSL_STORE_close(ctx1);
    OSSL_STORE_close(ctx2);

    params[0] = OSSL_PARAM_construct_octet_ptr("key", &key1, 0);
    params[1] = OSSL_PARAM_construct_end();
    ck_assert_int_eq(EVP_PKEY_get_params(OSSL_STORE_INFO_get0_PKEY(i1[0]),
                                         params), 1);
    ck_assert_ptr_eq(key1, e->key);
    params[0] = OSSL_PARAM_construct_octet_ptr("key", &key2, 0);
    ck_assert_int_eq(EVP_PKEY_get_params(OSSL_STORE_INFO_get0_PKEY(i2[0]),
                                         params), 1);
    ck_assert_ptr_eq(key2, e->key);
    (void) len;

    /* keys keep the table alive after the fast face let go */
    ONEM2M_SAE_table_free(t1);
    ONEM2M_SAE_table_free(t2);
    ck_assert_str_eq(tu_pkey_utf8(OSSL_STORE_INFO_get0_PKEY(i1[0]), "kpsa-id"),
                     ID1);

    OSSL_STORE_INFO_free(i1[0]);
    OSSL_STORE_INFO_free(i2[0]);
    OSSL_STORE_INFO_free(i2[1]);
}
END_TEST

/*
 * One parsed copy per file version per process, whatever the library
 * context (internal/sae_dispatch.h): a second context gets the very
 * table, which outlives that context's provider.
 */
START_TEST(test_shared_across_library_contexts)
{
    ONEM2M_SAE_TABLE  *t1, *t2;
    OSSL_LIB_CTX      *other;

    tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);

    other = OSSL_LIB_CTX_new();
    ck_assert_ptr_nonnull(other);

    t1 = ONEM2M_SAE_table_open(tu_libctx, TU_PROVIDER_DIR, tu_path, NULL,
                               NULL);
    t2 = ONEM2M_SAE_table_open(other, TU_PROVIDER_DIR, tu_path, NULL, NULL);
    ck_assert_ptr_nonnull(t1);
    ck_assert_ptr_eq(t1, t2);

    ONEM2M_SAE_table_free(t2);
    OSSL_LIB_CTX_free(other);

    ck_assert_ptr_nonnull(tu_lookup(t1, ID1));
    ONEM2M_SAE_table_free(t1);
}
END_TEST

/* the exact command line of docs/provider.md, from the source tree */
#define STOREUTL  "cd " TOP_SRCDIR " && openssl storeutl -provider-path " \
                  BUILD_DIR "/provider -provider onem2m -provider default "

START_TEST(test_storeutl_lists)
{
    char  out[8192];

    ck_assert_int_eq(tu_run(STOREUTL "kpsa:conf/kpsa.table", out,
                            sizeof(out)), 0);
    ck_assert_str_eq(out,
        "0: Name: kpsa:" TOP_SRCDIR "/conf/kpsa.table#" ID1 "\n"
        "oneM2M TLS-PSK credential of Clock-AE1 (AE), 8-byte key\n"
        "1: Name: kpsa:" TOP_SRCDIR "/conf/kpsa.table#" ID2 "\n"
        "oneM2M TLS-PSK credential of Clock-AE2 (AE), 8-byte key\n"
        "Total found: 2\n");
    assert_no_example_key(out);
}
END_TEST

START_TEST(test_storeutl_alias)
{
    char  out[8192];

    ck_assert_int_eq(tu_run(STOREUTL "-alias " ID1 " kpsa:conf/kpsa.table",
                            out, sizeof(out)), 0);
    ck_assert_str_eq(out,
        "0: Name: kpsa:" TOP_SRCDIR "/conf/kpsa.table#" ID1 "\n"
        "oneM2M TLS-PSK credential of Clock-AE1 (AE), 8-byte key\n"
        "Total found: 1\n");

    ck_assert_int_eq(tu_run(STOREUTL "-alias nobody@in.provider.com "
                            "kpsa:conf/kpsa.table", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "Total found: 0\n");
}
END_TEST

START_TEST(test_storeutl_keys_text)
{
    char  out[8192];

    ck_assert_int_eq(tu_run(STOREUTL "-keys -text kpsa:conf/kpsa.table",
                            out, sizeof(out)), 0);
    ck_assert_str_eq(out,
        "0: Pkey\n"
        "oneM2M TLS-PSK credential (ONEM2M-KPSA)\n"
        "KpsaID: " ID1 "\n"
        "Entity: Clock-AE1 (AE-ID)\n"
        "Credential-ID: 12-" ID1 "\n"
        "Key: 8 bytes (not shown)\n"
        "1: Pkey\n"
        "oneM2M TLS-PSK credential (ONEM2M-KPSA)\n"
        "KpsaID: " ID2 "\n"
        "Entity: Clock-AE2 (AE-ID)\n"
        "Credential-ID: 12-" ID2 "\n"
        "Key: 8 bytes (not shown)\n"
        "Total found: 2\n");
    assert_no_example_key(out);

    /* pkey -text on one credential */
    ck_assert_int_eq(tu_run("cd " TOP_SRCDIR " && openssl pkey -provider-path "
                            BUILD_DIR "/provider -provider onem2m -provider "
                            "default -in 'kpsa:conf/kpsa.table#" ID2 "' "
                            "-text -noout", out, sizeof(out)), 0);
    ck_assert_str_eq(out,
        "oneM2M TLS-PSK credential (ONEM2M-KPSA)\n"
        "KpsaID: " ID2 "\n"
        "Entity: Clock-AE2 (AE-ID)\n"
        "Credential-ID: 12-" ID2 "\n"
        "Key: 8 bytes (not shown)\n");
    assert_no_example_key(out);
}
END_TEST

START_TEST(test_storeutl_missing_table)
{
    char  out[8192];

    ck_assert_int_ne(tu_run(STOREUTL "kpsa:conf/missing.table", out,
                            sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "conf/missing.table: cannot open (No "
                                 "such file or directory)"));
}
END_TEST

START_TEST(test_openssl_cnf)
{
    char  out[8192];

    /* conf/openssl.cnf loads onem2m and default; modules from the build */
    ck_assert_int_eq(tu_run("cd " TOP_SRCDIR " && OPENSSL_CONF=conf/openssl"
                            ".cnf OPENSSL_MODULES=" BUILD_DIR "/provider "
                            "openssl storeutl kpsa:conf/kpsa.table", out,
                            sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "Total found: 2\n"));
    assert_no_example_key(out);

    ck_assert_int_eq(tu_run("OPENSSL_CONF=" TOP_SRCDIR "/conf/openssl.cnf "
                            "OPENSSL_MODULES=" BUILD_DIR "/provider "
                            "openssl list -providers", out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "  default\n"));
    ck_assert_ptr_nonnull(strstr(out, "  onem2m\n"
                                 "    name: oneM2M SAE provider (TS-0003)\n"));
}
END_TEST

Suite *store_suite(void)
{
    return CK_SUITE("store",
                    CK_TCASE("libcrypto", tu_libctx_setup, tu_libctx_teardown,
                             0),
                    CK_TEST(test_enumeration_as_names),
                    CK_TEST(test_enumeration_as_keys),
                    CK_TEST(test_search_by_alias), CK_TEST(test_open_errors),
                    CK_TEST(test_table_errors_on_queue),
                    CK_TEST(test_shared_with_fast_face),
                    CK_TEST(test_shared_across_library_contexts),
                    CK_TCASE("command line", NULL, NULL, 30),
                    CK_TEST(test_storeutl_lists), CK_TEST(test_storeutl_alias),
                    CK_TEST(test_storeutl_keys_text),
                    CK_TEST(test_storeutl_missing_table),
                    CK_TEST(test_openssl_cnf));
}
