/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa on LMDB stores: compile a text table into a store, then add,
 * rotate, rekey, del, list and check on "-f kpsa-lmdb:DIR".  The real
 * binary on real files; results read back through the built provider
 * (ONEM2M_SAE_table_open_ex and table_get, as nginx does), never through
 * the tool.
 */

#define _GNU_SOURCE                     /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <onem2m_sae.h>

#include "check_cases.h"
#include "kpsa_util.h"
#include "store/store_util.h"

#define KEK_HEX   "000102030405060708090a0b0c0d0e0f" \
                  "101112131415161718191a1b1c1d1e1f\n"
#define KEK2_HEX  "ff0102030405060708090a0b0c0d0e0f" \
                  "101112131415161718191a1b1c1d1e1f\n"
#define TABLE     "CAE-lock-1  00112233445566778899aabbccddeeff  " \
                  "lock1@gw.example.net\n" \
                  "/mn-cse-2   ffeeddccbbaa99887766554433221100  " \
                  "cse2@gw.example.net\n"

static char  store[300], kek[300];

static void
setup(void)
{
    ku_setup();
    snprintf(store, sizeof(store), "kpsa-lmdb:%s", ku_path("store"));
    snprintf(kek, sizeof(kek), "%s", ku_path("kek"));
    ku_write(kek, KEK_HEX, 0600);
    ku_write(ku_table, TABLE, 0600);
}

static void
has(const char *out, const char *needle)
{
    ck_assert_msg(strstr(out, needle) != NULL, "\"%s\" not in: %s", needle,
                  out);
}

static ONEM2M_SAE_TABLE *
open_store(void)
{
    return ONEM2M_SAE_table_open_ex(NULL, BUILD_DIR "/provider", store, kek,
                                    NULL, NULL);
}

/* 1 and the key's bytes in hex, or 0 / -1 from table_get */
static int
get(ONEM2M_SAE_TABLE *t, const char *id, char *hex,
    unsigned long long *generation)
{
    ONEM2M_SAE_LOOKUP  l;
    int                rc;
    unsigned           i;

    rc = ONEM2M_SAE_table_get(t, id, strlen(id), &l);

    if (rc == 1) {
        for (i = 0; i < l.entry.key_len; i++) {
            sprintf(hex + 2 * i, "%02x", l.entry.key[i]);
        }
        *generation = l.generation;
    }

    ONEM2M_SAE_lookup_cleanse(&l);
    return rc;
}

static void
compile(void)
{
    const char  *out;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "compile", store,
                            "--kek", kek, NULL), 0);
    has(out, "2 credentials compiled from");
}

START_TEST(compile_seals_the_table)
{
    ONEM2M_SAE_TABLE    *t;
    const char          *out;
    char                 hex[1100], *data;
    unsigned long long   gen, gen1;
    size_t               len;

    compile();
    t = open_store();
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(get(t, "lock1@gw.example.net", hex, &gen), 1);
    ck_assert_str_eq(hex, "00112233445566778899aabbccddeeff");
    ck_assert_uint_ne(gen, 0);
    gen1 = gen;
    ck_assert_int_eq(get(t, "cse2@gw.example.net", hex, &gen), 1);
    ck_assert_str_eq(hex, "ffeeddccbbaa99887766554433221100");
    ck_assert_uint_ne(gen, gen1);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 2);
    ONEM2M_SAE_table_free(t);

    /* no key in the clear in the store's file */
    data = ku_read(ku_path("store/data.mdb"), &len);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_null(memmem(data, len, "\x00\x11\x22\x33\x44\x55\x66\x77"
                              "\x88\x99\xaa\xbb", 12));
    ck_assert_ptr_null(memmem(data, len, "00112233445566778899", 20));
    free(data);

    /* a second compile does not overwrite it */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "compile", store,
                            "--kek", kek, NULL), 1);
    has(out, "a store exists there (compile makes a new one)");
}
END_TEST

START_TEST(compile_refuses)
{
    const char  *out;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "compile", store,
                            NULL), 1);
    has(out, "compile needs the KEK: --kek FILE");

    ku_write(ku_path("loose"), KEK_HEX, 0644);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "compile", store,
                            "--kek", ku_path("loose"), NULL), 1);
    has(out, "the KEK file is accessible by group or others (mode 0644");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "compile",
                            ku_path("plain"), "--kek", kek, NULL), 2);
    has(out, "compile needs one target, kpsa-lmdb:DIR");

    ku_write(ku_table, "CAE-1 0011 bad-id\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "compile", store,
                            "--kek", kek, NULL), 1);
    has(out, "malformed KpsaID");
    has(out, "the table does not load; nothing compiled");
}
END_TEST

START_TEST(add_rekey_del_are_live)
{
    ONEM2M_SAE_TABLE    *t;
    const char          *out;
    char                 id[300], key[1100], hex[1100];
    unsigned long long   gen, gen2;

    compile();
    t = open_store();
    ck_assert_ptr_nonnull(t);

    /* add: seen by the open table at once */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-new",
                            "--kek", kek, "--fqdn", "gw.example.net", NULL),
                     0);
    snprintf(id, sizeof(id), "%s", ku_added_id(out));
    snprintf(key, sizeof(key), "%s", ku_added_key(out));
    ck_assert_uint_eq(strlen(key), 32);
    ck_assert_ptr_nonnull(strstr(id, "@gw.example.net"));
    ck_assert_int_eq(get(t, id, hex, &gen), 1);
    ck_assert_str_eq(hex, key);
    ck_assert_uint_ne(gen, 0);

    /* rekey: a new key and generation for the same KpsaID */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "rekey", id, "--kek",
                            kek, NULL), 0);
    ck_assert_str_eq(ku_added_id(out), id);
    ck_assert_str_ne(ku_added_key(out), key);
    ck_assert_int_eq(get(t, id, hex, &gen2), 1);
    ck_assert_str_eq(hex, ku_added_key(out));
    ck_assert_uint_ne(gen2, gen);

    /* rotate: a further credential of the entity */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "rotate", "CAE-new",
                            "--kek", kek, "--kpsa-id", "r2@gw.example.net",
                            NULL), 0);
    ck_assert_int_eq(get(t, "r2@gw.example.net", hex, &gen), 1);

    /* del: a tombstone, not found any more */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "del", id, NULL), 0);
    has(out, "revoked KpsaID");
    ck_assert_int_eq(get(t, id, hex, &gen), 0);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "del", id, NULL), 1);
    has(out, "nothing changed");

    /* del --entity needs --yes */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "del", "--entity",
                            "CAE-new", NULL), 1);
    has(out, "add --yes");
    ck_assert_int_eq(get(t, "r2@gw.example.net", hex, &gen), 1);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "revoke", "--entity",
                            "CAE-new", "--yes", NULL), 0);
    ck_assert_int_eq(get(t, "r2@gw.example.net", hex, &gen), 0);

    ONEM2M_SAE_table_free(t);
}
END_TEST

/*
 * Lock 1's raw record saved, "onem2m-kpsa del", the saved bytes written
 * back with plain liblmdb (no KEK): the lookup fails closed (-1), no key.
 * An entity index item pointed at another entity's record: the lookup by
 * entity (the originator check's) fails closed instead of naming it.
 */
START_TEST(edited_store_fails_closed)
{
    ONEM2M_SAE_TABLE    *t;
    ONEM2M_SAE_LOOKUP    l;
    const char          *out;
    char                 hex[1100];
    unsigned char        saved[1024];
    size_t               len = sizeof(saved);
    unsigned long long   gen;

    compile();
    t = open_store();
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(get(t, "lock1@gw.example.net", hex, &gen), 1);
    ck_assert_int_eq(su_raw_get(ku_path("store"), "cred",
                                "lock1@gw.example.net", saved, &len), 1);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "del",
                            "lock1@gw.example.net", NULL), 0);
    ck_assert_int_eq(get(t, "lock1@gw.example.net", hex, &gen), 0);

    su_raw_put(ku_path("store"), "cred", "lock1@gw.example.net", saved, len);
    memset(&l, 0, sizeof(l));
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, "lock1@gw.example.net", 20,
                                          &l), -1);
    ck_assert_ptr_null(l.entry.key);
    ONEM2M_SAE_lookup_cleanse(&l);
    ck_assert_int_eq(get(t, "cse2@gw.example.net", hex, &gen), 1);

    /* CAE-lock-1 now "names" the CSE's credential */
    su_raw_put(ku_path("store"), "entity", "CAE-lock-1",
               "cse2@gw.example.net", 19);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, "CAE-lock-1", 10, &l),
                     -1);
    ONEM2M_SAE_lookup_cleanse(&l);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, "/mn-cse-2", 9, &l), 1);
    ck_assert_str_eq(l.entry.kpsa_id, "cse2@gw.example.net");
    ONEM2M_SAE_lookup_cleanse(&l);

    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(add_refuses)
{
    const char  *out;

    compile();
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-x", NULL),
                     1);
    has(out, "add needs the KEK: --kek FILE");

    ku_write(ku_path("kek2"), KEK2_HEX, 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-x", "--kek",
                            ku_path("kek2"), "--fqdn", "a.b", NULL), 1);
    has(out, "does not open this store's keys");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "in-cse-8",
                            "--kek", kek, "--fqdn", "a.b", NULL), 1);
    has(out, "malformed entity id in-cse-8");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-x",
                            "--kek", kek, "--kpsa-id",
                            "lock1@gw.example.net", NULL), 1);
    has(out, "KpsaID lock1@gw.example.net is already in the store");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-x",
                            "--kek", kek, NULL), 1);
    has(out, "CAE-x has no KpsaID to take the domain from");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "rotate", "CAE-x",
                            "--kek", kek, NULL), 1);
    has(out, "CAE-x has no credential to rotate");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "import", "x", NULL),
                     2);
    has(out, "import: not a command for a kpsa-lmdb: store");
}
END_TEST

/* add --maf --expires: a MAF key, its attributes read back by the API */
START_TEST(add_maf_key_with_expiration)
{
    ONEM2M_SAE_TABLE   *t;
    ONEM2M_SAE_LOOKUP   l;
    const char         *out;
    const char         *id = "000102030405060708090a0b0c0d0e0f@maf.example.net";

    compile();
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-phone-1",
                            "--kek", kek, "--maf", "--kpsa-id", id,
                            "--expires", "2999-01-02T03:04:05+01:00",
                            "--bytes", "32", NULL), 0);
    has(out, "(a MAF key, SUID 32) expires at 32472237845");
    has(out, "KpsaID: 000102030405060708090a0b0c0d0e0f@maf.example.net\n");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-x",
                            "--kek", kek, "--kpsa-id", "x@a.b", "--expires",
                            "32472237845", NULL), 0);

    t = open_store();
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, id, strlen(id), &l), 1);
    ck_assert_str_eq(l.entry.entity, "CAE-phone-1");
    ck_assert_uint_eq(l.entry.key_len, 32);
    ck_assert_int_eq(l.expires, 32472237845LL);
    ck_assert_uint_eq(l.suid, 32);
    ck_assert_uint_eq(l.maf, 1);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, "x@a.b", 5, &l), 1);
    ck_assert_int_eq(l.expires, 32472237845LL);
    ck_assert_uint_eq(l.maf, 0);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, "lock1@gw.example.net", 20,
                                          &l), 1);
    ck_assert_int_eq(l.expires, 0);
    ONEM2M_SAE_lookup_cleanse(&l);
    ONEM2M_SAE_table_free(t);

    /* list shows the attributes a record has, and no more */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "list", NULL), 0);
    has(out, "000102030405060708090a0b0c0d0e0f@maf.example.net     32  3  "
             "expires 2999-01-02T02:04:05Z  maf  suid 32\n");
    has(out, "x@a.b                                        16  4  "
             "expires 2999-01-02T02:04:05Z\n");
    has(out, "lock1@gw.example.net                         16  1\n");

    /* what is refused, and why */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-y",
                            "--kek", kek, "--maf", "--kpsa-id",
                            "0001@maf.example.net", NULL), 2);
    has(out, "not a MAF Key Identifier: the KcID part is not 32 hex digits");
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-y",
                            "--kek", kek, "--maf", "--kpsa-id",
                            "000102030405060708090a0b0c0d0e0g@maf.example.net",
                            NULL), 2);
    has(out, "has a byte that is no hex digit");
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-y",
                            "--kek", kek, "--maf", "--kpsa-id",
                            "000102030405060708090A0B0C0D0E0F@maf.example.net",
                            NULL), 2);
    has(out, "write the KcID in lower-case hex");
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-y",
                            "--kek", kek, "--maf", NULL), 2);
    has(out, "add --maf needs --kpsa-id");
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "add", "CAE-y",
                            "--kek", kek, "--expires", "tomorrow", NULL), 2);
    has(out, "--expires: \"tomorrow\" is not a time");
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "rotate", "CAE-x",
                            "--kek", kek, "--expires", "100", NULL), 2);
    has(out, "--expires and --maf are for add only");
}
END_TEST

START_TEST(list_and_check)
{
    const char  *out;

    compile();
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "list", NULL), 0);
    has(out, "CAE-lock-1                      lock1@gw.example.net"
             "                         16  1\n");
    has(out, "/mn-cse-2");
    ku_assert_no_hex(out, "00112233445566778899aabbccddeeff");
    ku_assert_no_hex(out, "ffeeddccbbaa99887766554433221100");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "list", "/mn-cse-2",
                            NULL), 0);
    ck_assert_ptr_null(strstr(out, "CAE-lock-1"));
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "list", "Cnone", NULL),
                     1);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "check", "--kek", kek,
                            NULL), 0);
    has(out, "2 credentials (every key opens with the KEK), last seq 2");
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "check", NULL), 0);
    has(out, "2 credentials, last seq 2");

    ku_write(ku_path("kek2"), KEK2_HEX, 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", store, "check", "--kek",
                            ku_path("kek2"), NULL), 1);
    has(out, "the KEK does not open this store's keys");
    has(out, "the store does not open: nginx -t would fail");
}
END_TEST

/* --help and the manual name the store commands */
START_TEST(help_and_manual)
{
    const char  *out;
    char        *man;

    ck_assert_int_eq(ku_run(NULL, &out, "--help", NULL), 0);
    has(out, "compile kpsa-lmdb:DIR --kek FILE");
    has(out, "rekey");
    has(out, "--kek FILE");

    man = ku_read(TOP_SRCDIR "/tools/onem2m-kpsa/onem2m-kpsa.1", NULL);
    ck_assert_ptr_nonnull(man);
    has(man, ".SH LMDB STORES");
    has(man, ".SS \"compile kpsa\\-lmdb:");
    has(man, ".SS \"rekey ");
    free(man);
}
END_TEST

Suite *kpsa_lmdb_suite(void)
{
    return CK_SUITE("kpsa_lmdb",
                    CK_TCASE("store", setup, ku_teardown, 60),
                    CK_TEST(compile_seals_the_table), CK_TEST(compile_refuses),
                    CK_TEST(add_rekey_del_are_live), CK_TEST(add_refuses),
                    CK_TEST(add_maf_key_with_expiration),
                    CK_TEST(edited_store_fails_closed),
                    CK_TEST(list_and_check), CK_TEST(help_and_manual));
}
