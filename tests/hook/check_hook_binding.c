/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A connection's binding belongs to the connection (a live store may drop
 * the entry under it): copies of
 * the KpsaID and entity, no key, valid for the life of the SSL object
 * whatever happens to the table; ONEM2M_SAE_binding_current() on a text
 * table.  In-memory handshakes (tls_pair), TLS 1.2 and TLS 1.3.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <check.h>
#include <openssl/ssl.h>

#include <onem2m_sae.h>

#include "check_cases.h"
#include "hook/tls_pair.h"

#define B_ID      "AE123456789012-Lock@in.provider.com"
#define B_ENTITY  "Clock-AE1"

static const unsigned char  b_key[16] = {
    0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x7a, 0x8b,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
};

static tls_pair_psk       b_psk = { B_ID, b_key, sizeof(b_key), 0 };
static char               b_dir[64];
static ONEM2M_SAE_TABLE  *b_table;

static void
b_setup(void)
{
    tls_pair_mkdir(b_dir, sizeof(b_dir), "/tmp/check_binding.XXXXXX");
    b_table = tls_pair_table(b_dir, "t.table", B_ENTITY
                             " 1a2b3c4d5e6f7a8b0102030405060708 " B_ID "\n");
    ck_assert_ptr_nonnull(b_table);
}

static void
b_teardown(void)
{
    ONEM2M_SAE_table_free(b_table);
    tls_pair_rmdir(b_dir);
}

/* a handshake of lock 1 (psk 1) or of a client without PSK (psk 0) */
static SSL *
b_handshake(int tls13, int psk, SSL **client)
{
    SSL_CTX  *sctx, *cctx;
    SSL      *server;
    int       version = tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;

    sctx = SSL_CTX_new(TLS_server_method());
    ck_assert_int_eq(SSL_CTX_set_cipher_list(sctx, "PSK-AES128-GCM-SHA256"),
                     1);
    ck_assert_int_eq(ONEM2M_SAE_CTX_install(sctx, NULL, NULL), 1);
    ck_assert_int_eq(ONEM2M_SAE_CTX_set_table(sctx, b_table,
                                              ONEM2M_SAE_UNKNOWN_HIDE), 1);
    cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(cctx, version);
    SSL_CTX_set_max_proto_version(cctx, version);
    ck_assert_int_eq(SSL_CTX_set_cipher_list(cctx, "PSK-AES128-GCM-SHA256"),
                     1);
    if (psk) {
        tls_pair_psk_client(cctx, &b_psk, 1, 1);
    }

    server = SSL_new(sctx);
    *client = SSL_new(cctx);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);

    /* no certificate: only a PSK handshake completes */
    ck_assert_int_eq(tls_pair_run(*client, server), psk);
    return server;
}

START_TEST(binding_is_a_copy_without_key)
{
    const ONEM2M_SAE_ENTRY  *e, *in_table;
    SSL                     *client, *server;

    server = b_handshake(_i, 1, &client);
    e = ONEM2M_SAE_get_binding(server);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->kpsa_id, B_ID);
    ck_assert_str_eq(e->entity, B_ENTITY);
    ck_assert_uint_eq(e->entity_type, ONEM2M_SAE_ENTITY_AE);

    /* not the table's strings, and no key */
    in_table = ONEM2M_SAE_table_lookup(b_table, B_ID, strlen(B_ID));
    ck_assert_ptr_nonnull(in_table);
    ck_assert_ptr_ne(e->kpsa_id, in_table->kpsa_id);
    ck_assert_ptr_ne(e->entity, in_table->entity);
    ck_assert_ptr_null(e->key);
    ck_assert_uint_eq(e->key_len, 0);

    /* current, for good: a text table is not looked up again */
    ck_assert_int_eq(ONEM2M_SAE_binding_current(server), 1);
    ck_assert_int_eq(ONEM2M_SAE_binding_current(server), 1);
    ck_assert_ptr_eq(ONEM2M_SAE_get_binding(server), e);
    tls_pair_free(client, server);
}
END_TEST

START_TEST(binding_outlives_its_table)
{
    const ONEM2M_SAE_ENTRY  *e;
    SSL                     *client, *server;

    server = b_handshake(_i, 1, &client);
    e = ONEM2M_SAE_get_binding(server);
    ck_assert_ptr_nonnull(e);

    /* the last reference goes: the entries are freed (valgrind: no read) */
    ONEM2M_SAE_table_free(b_table);
    b_table = NULL;
    ck_assert_str_eq(e->kpsa_id, B_ID);
    ck_assert_str_eq(e->entity, B_ENTITY);
    tls_pair_free(client, server);
}
END_TEST

START_TEST(binding_current_unbound)
{
    SSL  *client, *server;

    ck_assert_int_eq(ONEM2M_SAE_binding_current(NULL), 0);
    server = b_handshake(_i, 0, &client);
    ck_assert_ptr_null(ONEM2M_SAE_get_binding(server));
    ck_assert_int_eq(ONEM2M_SAE_binding_current(server), 0);
    tls_pair_free(client, server);
}
END_TEST

Suite *hook_binding_suite(void)
{
    return CK_SUITE("hook_binding",
                    CK_TCASE("binding", b_setup, b_teardown, 0),
                    CK_LOOP(binding_is_a_copy_without_key, 2),
                    CK_LOOP(binding_outlives_its_table, 2),
                    CK_LOOP(binding_current_unbound, 2));
}
