/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-maf-client, the phone's tool, against the MAF behind nginx: it
 * registers, registers keys (random Kc, and Kc from the TLS exporter over
 * libcurl), updates and de-registers, and prints the Key Identifier and
 * the Kc that the target then retrieves from the MAF.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <openssl/evp.h>

#include "check_cases.h"
#include "maf/maf_fixture.h"

static maf_env  env;

static void setup(void) { maf_env_start(&env, NULL); }
static void teardown(void) { maf_env_stop(&env); }

/* the tool as the phone; argv after the common options */
static int
tool(const char *kmid, char **out, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
    char   url[64];
    char  *argv[16];
    int    n = 0;

    snprintf(url, sizeof(url), "https://127.0.0.1:%d",
             harness_nginx_port(env.ng, 0));
    argv[n++] = MAF_CLIENT_BIN;
    argv[n++] = "--maf";
    argv[n++] = url;
    argv[n++] = "--maf-fqdn";
    argv[n++] = MAF_FQDN;
    argv[n++] = "--admin-fqdn";
    argv[n++] = MAF_ADMIN;
    argv[n++] = "--km-id";
    argv[n++] = (char *) kmid;
    argv[n++] = "--km";
    argv[n++] = MAF_KM_HEX;
    argv[n++] = (char *) a1;
    argv[n++] = (char *) a2;
    argv[n++] = (char *) a3;
    argv[n++] = (char *) a4;
    argv[n] = NULL;

    return harness_run(argv, NULL, harness_timeout_ms(20000), out);
}

/* the value after "name: " on its own line, copied into buf */
static const char *
line_value(const char *out, const char *name, char *buf, size_t len)
{
    const char  *p = strstr(out, name);
    size_t       n;

    ck_assert_msg(p != NULL, "no \"%s\" in:\n%s", name, out);
    p += strlen(name);
    n = strcspn(p, "\n");
    ck_assert_uint_lt(n, len);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* the IN-CSE retrieves rel: Kc in hex */
static void
target_kc(const char *rel, char *hex)
{
    maf_answer     a;
    unsigned char  kc[64];
    char           body[128];
    const char    *b64;
    int            n, i;

    snprintf(body, sizeof(body), "{\"relativeKeyID\": \"%s\"}", rel);
    maf_post(&env, MAF_INCSE_KMID, "POST", "/maf/v1/keyRetrieval", body,
             NULL, NULL, &a);
    ck_assert_int_eq(a.rsc, 2000);
    b64 = maf_str(&a, "keyValue");
    n = EVP_DecodeBlock(kc, (const unsigned char *) b64, (int) strlen(b64));
    n -= (b64[strlen(b64) - 1] == '=') + (b64[strlen(b64) - 2] == '=');
    for (i = 0; i < n; i++) {
        snprintf(hex + 2 * i, 3, "%02x", kc[i]);
    }
    maf_answer_free(&a);
}

static void
register_key_and_compare(const char *how)
{
    char        *out = NULL, kid[128], kc[80], want[256], rel[40];
    const char  *at;

    ck_assert_int_eq(tool(MAF_PHONE_KMID, &out, "register-key", "--target",
                          MAF_INCSE_ID, how), 0);
    line_value(out, "key identifier: ", kid, sizeof(kid));
    line_value(out, "kc: ", kc, sizeof(kc));
    at = strchr(kid, '@');
    ck_assert_ptr_nonnull(at);
    ck_assert_str_eq(at + 1, MAF_FQDN);
    ck_assert_uint_eq((size_t) (at - kid), 32);
    snprintf(rel, sizeof(rel), "%.*s", (int) (at - kid), kid);
    ck_assert_uint_eq(strlen(kc), 64);

    snprintf(want, sizeof(want), "openssl s_client -psk_identity %s -psk "
             "%s", kid, kc);
    ck_assert_ptr_nonnull(strstr(out, want));

    target_kc(rel, want);
    ck_assert_str_eq(want, kc);
    free(out);
}

START_TEST(phone_registers_and_registers_keys_both_ways)
{
    char  *out = NULL, reg[64];

    ck_assert_int_eq(tool(MAF_PHONE_KMID, &out, "register", NULL, NULL,
                          NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"mafClientID\": \"" MAF_PHONE_ID
                                 "\""));
    line_value(out, "\"mafClientRegID\": \"", reg, sizeof(reg));
    reg[32] = '\0';
    free(out);

    register_key_and_compare("--exporter");
    register_key_and_compare(NULL);

    ck_assert_int_eq(tool(MAF_PHONE_KMID, &out, "config", reg, NULL, NULL),
                     0);
    free(out);
    ck_assert_int_eq(tool(MAF_PHONE_KMID, &out, "update", reg, NULL, NULL),
                     0);
    free(out);
    ck_assert_int_eq(tool(MAF_PHONE_KMID, &out, "deregister", reg, NULL,
                          NULL), 0);
    free(out);

    /* de-registered: no more keys, with the MAF's reason */
    ck_assert_int_ne(tool(MAF_PHONE_KMID, &out, "register-key", "--target",
                          MAF_INCSE_ID, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "4103"));
    free(out);
}
END_TEST

START_TEST(wrong_km_gets_no_handshake)
{
    char  *out = NULL;
    char   url[64];
    char  *argv[] = { MAF_CLIENT_BIN, "--maf", url, "--maf-fqdn", MAF_FQDN,
                      "--km-id", MAF_PHONE_KMID, "--km", "00", "register",
                      NULL };

    snprintf(url, sizeof(url), "https://127.0.0.1:%d",
             harness_nginx_port(env.ng, 0));
    ck_assert_int_ne(harness_run(argv, NULL, harness_timeout_ms(20000),
                                 &out), 0);
    ck_assert_ptr_null(strstr(out, "mafClientRegID"));
    free(out);
}
END_TEST

Suite *maf_client_suite(void)
{
    return CK_SUITE("maf_client",
                    CK_TCASE_MS("phone", setup, teardown, 60000),
                    CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove),
                    CK_TEST(phone_registers_and_registers_keys_both_ways),
                    CK_TEST(wrong_km_gets_no_handshake));
}
