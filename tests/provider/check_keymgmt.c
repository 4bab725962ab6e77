/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ONEM2M-KPSA credential object through EVP_PKEY: params, equality,
 * text output without the key.
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/store.h>

#include "check_cases.h"
#include "table_util.h"

#define KEY_HEX  "0000ff0102030405060708090a0b0c0d0e0f"

static const unsigned char key_bytes[] = {
    0x00, 0x00, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
};

static const char table_text[] =
    "Cdoor  " KEY_HEX "  door@in.provider.com\n"
    "/mn-cse-123456  00112233445566778899aabbccddeeff  gw@in.provider.com\n"
    "Cdoor  00112233445566778899aabbccddeeff  door2@in.provider.com\n";

/* the credential of alias from a fresh table copy */
static EVP_PKEY *
load_key(const char *alias)
{
    OSSL_STORE_CTX   *ctx;
    OSSL_STORE_INFO  *info;
    EVP_PKEY         *pkey;

    ctx = tu_store_open(tu_fmt("kpsa:%s#%s", tu_path, alias));
    ck_assert_ptr_nonnull(ctx);
    info = OSSL_STORE_load(ctx);
    ck_assert_ptr_nonnull(info);
    pkey = OSSL_STORE_INFO_get1_PKEY(info);
    ck_assert_ptr_nonnull(pkey);
    OSSL_STORE_INFO_free(info);
    OSSL_STORE_close(ctx);

    return pkey;
}

static void
write_table(void)
{
    tu_write_file(tu_fmt("%s/keys.table", tu_dir()), table_text, 0600);
    snprintf(tu_path, sizeof(tu_path), "%s/keys.table", tu_dir());
}

START_TEST(test_params)
{
    EVP_PKEY       *pkey;
    char            buf[300];
    unsigned char   key[600];
    size_t          len;
    int             n;

    write_table();
    pkey = load_key("door@in.provider.com");

    ck_assert_int_eq(EVP_PKEY_is_a(pkey, "ONEM2M-KPSA"), 1);
    ck_assert_str_eq(EVP_PKEY_get0_type_name(pkey), "ONEM2M-KPSA");

    ck_assert_int_eq(EVP_PKEY_get_utf8_string_param(pkey, "kpsa-id", buf,
                                                    sizeof(buf), &len), 1);
    ck_assert_str_eq(buf, "door@in.provider.com");
    ck_assert_uint_eq(len, 20);

    ck_assert_str_eq(tu_pkey_utf8(pkey, "entity-id"), "Cdoor");

    ck_assert_str_eq(tu_pkey_utf8(pkey, "entity-type"), "AE");

    /* binary-safe: leading zero bytes survive */
    ck_assert_int_eq(EVP_PKEY_get_octet_string_param(pkey, "key", key,
                                                     sizeof(key), &len), 1);
    ck_assert_uint_eq(len, sizeof(key_bytes));
    ck_assert(memcmp(key, key_bytes, sizeof(key_bytes)) == 0);

    ck_assert_int_eq(EVP_PKEY_get_int_param(pkey, "key-length", &n), 1);
    ck_assert_int_eq(n, 18);
    ck_assert_int_eq(EVP_PKEY_get_bits(pkey), 144);
    ck_assert_int_eq(EVP_PKEY_get_security_bits(pkey), 144);

    /* a buffer too small is refused, not truncated */
    ck_assert_int_eq(EVP_PKEY_get_utf8_string_param(pkey, "kpsa-id", buf,
                                                    10, &len), 0);
    ck_assert_int_eq(EVP_PKEY_get_octet_string_param(pkey, "key", key, 4,
                                                     &len), 0);
    /* an unknown param is simply not there */
    ck_assert_int_eq(EVP_PKEY_get_utf8_string_param(pkey, "nonsense", buf,
                                                    sizeof(buf), &len), 0);

    ck_assert_ptr_nonnull(EVP_PKEY_gettable_params(pkey));
    ck_assert_ptr_nonnull(OSSL_PARAM_locate_const(
        EVP_PKEY_gettable_params(pkey), "key"));

    EVP_PKEY_free(pkey);
}
END_TEST

START_TEST(test_cse_entity)
{
    EVP_PKEY  *pkey;

    write_table();
    pkey = load_key("gw@in.provider.com");
    ck_assert_str_eq(tu_pkey_utf8(pkey, "entity-id"), "/mn-cse-123456");
    ck_assert_str_eq(tu_pkey_utf8(pkey, "entity-type"), "CSE");
    EVP_PKEY_free(pkey);
}
END_TEST

START_TEST(test_equality)
{
    EVP_PKEY  *a, *a2, *b, *c;

    write_table();
    a = load_key("door@in.provider.com");
    a2 = load_key("door@in.provider.com");
    b = load_key("door2@in.provider.com");     /* same entity, other key */
    c = load_key("gw@in.provider.com");

    ck_assert_int_eq(EVP_PKEY_eq(a, a2), 1);
    ck_assert_int_ne(EVP_PKEY_eq(a, b), 1);
    ck_assert_int_ne(EVP_PKEY_eq(a, c), 1);

    EVP_PKEY_free(a);
    EVP_PKEY_free(a2);
    EVP_PKEY_free(b);
    EVP_PKEY_free(c);
}
END_TEST

START_TEST(test_dup)
{
    EVP_PKEY  *a, *copy;

    write_table();
    a = load_key("door@in.provider.com");
    copy = EVP_PKEY_dup(a);
    ck_assert_ptr_nonnull(copy);
    EVP_PKEY_free(a);

    ck_assert_str_eq(tu_pkey_utf8(copy, "kpsa-id"), "door@in.provider.com");
    EVP_PKEY_free(copy);
}
END_TEST

START_TEST(test_print_without_key)
{
    EVP_PKEY  *pkey;
    BIO       *bio;
    char      *text;
    long       len;
    char       out[1000];

    write_table();
    pkey = load_key("door@in.provider.com");

    bio = BIO_new(BIO_s_mem());
    ck_assert_int_eq(EVP_PKEY_print_private(bio, pkey, 0, NULL), 1);
    ck_assert_int_eq(EVP_PKEY_print_public(bio, pkey, 0, NULL), 1);
    len = BIO_get_mem_data(bio, &text);
    ck_assert_int_lt(len, (long) sizeof(out));
    memcpy(out, text, len);
    out[len] = '\0';

    ck_assert_str_eq(out,
        "oneM2M TLS-PSK credential (ONEM2M-KPSA)\n"
        "KpsaID: door@in.provider.com\n"
        "Entity: Cdoor (AE-ID)\n"
        "Credential-ID: 12-door@in.provider.com\n"
        "Key: 18 bytes (not shown)\n"
        "oneM2M TLS-PSK credential (ONEM2M-KPSA)\n"
        "KpsaID: door@in.provider.com\n"
        "Entity: Cdoor (AE-ID)\n"
        "Credential-ID: 12-door@in.provider.com\n"
        "Key: 18 bytes (not shown)\n");

    BIO_free(bio);
    EVP_PKEY_free(pkey);
}
END_TEST

START_TEST(test_key_outlives_store_and_file)
{
    EVP_PKEY       *pkey;
    unsigned char   key[64];
    size_t          len;

    write_table();
    pkey = load_key("door@in.provider.com");

    /* the table file goes away: the key still holds its parsed copy */
    ck_assert_int_eq(unlink(tu_path), 0);
    ck_assert_int_eq(EVP_PKEY_get_octet_string_param(pkey, "key", key,
                                                     sizeof(key), &len), 1);
    ck_assert(memcmp(key, key_bytes, sizeof(key_bytes)) == 0);
    EVP_PKEY_free(pkey);
}
END_TEST

Suite *keymgmt_suite(void)
{
    return CK_SUITE("keymgmt",
                    CK_TCASE("evp_pkey", tu_libctx_setup, tu_libctx_teardown,
                             0),
                    CK_TEST(test_params), CK_TEST(test_cse_entity),
                    CK_TEST(test_equality), CK_TEST(test_dup),
                    CK_TEST(test_print_without_key),
                    CK_TEST(test_key_outlives_store_and_file));
}
