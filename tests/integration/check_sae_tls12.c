/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.2 PSK through a real nginx: every TS-0003 suite binds the lock's
 * entity and proxies it upstream; wrong keys, foreign suites and a
 * certificate-only client never reach the upstream as authenticated.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

static harness_upstream  *up;
static harness_nginx     *ng;

static void
setup(void)
{
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    /*
     * a certificate suite too, so a client without a key can connect;
     * OpenSSL 3.2 and later offer PSK-AES128-CCM8 only at security level 0
     */
    ng = sae_start(up,
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_ciphers " SAE_PSK_CIPHERS ":ECDHE-ECDSA-AES128-GCM-SHA256"
        ":" SAE_CCM8_SECLEVEL ";\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
        "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
        "}\n");
}

static void
teardown(void)
{
    sae_stop(ng);
    harness_upstream_stop(up);
}

static const char *const suites[] = {
    "PSK-AES128-CBC-SHA256",        /* mandatory (TS-0003 10.2.2) */
    "PSK-AES128-CCM8",
    "PSK-AES128-GCM-SHA256",
    "PSK-AES256-GCM-SHA384",
};

START_TEST(each_ts0003_suite_binds_the_lock)
{
    harness_tls_opts    o = sae_lock1(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    size_t              before = harness_upstream_count(up);

    o.ciphers = suites[_i];
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/base/lock", NULL, NULL,
                                         &r, &resp), 0);
    ck_assert_int_eq(r.handshake_ok, 1);
    ck_assert_int_eq(r.version, TLS1_2_VERSION);
    ck_assert_str_eq(r.cipher, suites[_i]);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(harness_upstream_count(up), before + 1);
    ck_assert_str_eq(harness_upstream_last(up)->uri, "/base/lock");
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(second_lock_binds_its_own_entity)
{
    harness_tls_opts    o = sae_lock2(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    o.ciphers = "PSK-AES128-CBC-SHA256";
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK2_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(wrong_key_fails_the_handshake)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;

    o = sae_psk(TLS1_2_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY);
    o.ciphers = "PSK-AES128-CBC-SHA256";
    ck_assert_int_ne(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(r.handshake_ok, 0);
    /* RFC 5246: a bad Finished (wrong PSK) is decrypt_error */
    ck_assert_msg(r.alert == SSL_AD_DECRYPT_ERROR
                  || r.alert == SSL_AD_BAD_RECORD_MAC,
                  "alert %d", r.alert);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_response_free(&resp);
}
END_TEST

START_TEST(dhe_psk_and_rsa_psk_are_not_offered)
{
    static const char *const foreign[] = {
        "DHE-PSK-AES128-GCM-SHA256", "ECDHE-PSK-AES128-CBC-SHA256",
        "RSA-PSK-AES128-GCM-SHA256", "PSK-AES128-CBC-SHA",
    };
    harness_tls_opts    o = sae_lock1(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    size_t              i;

    for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        o.ciphers = foreign[i];
        ck_assert_int_ne(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                             "GET", "/", NULL, NULL, &r,
                                             &resp), 0);
        ck_assert_msg(r.handshake_ok == 0, "%s negotiated", foreign[i]);
        ck_assert_int_eq(r.alert, SSL_AD_HANDSHAKE_FAILURE);
        harness_response_free(&resp);
    }
    ck_assert_uint_eq(harness_upstream_count(up), 0);
}
END_TEST

START_TEST(certificate_only_client_is_refused_4107)
{
    harness_tls_opts    o = sae_cert_only(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/", SAE_ENTITY_HEADER
                                         ": Clock-AE1\r\n", NULL, &r, &resp),
                     0);
    ck_assert_str_eq(r.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
    sae_assert_4107(&resp);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(keepalive_requests_stay_bound)
{
    harness_tls_opts    o = sae_lock1(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;
    int                 i;

    c = harness_tls_connect(harness_nginx_port(ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(harness_http(c, "GET", "/k", NULL, NULL, 1, &resp),
                         0);
        ck_assert_int_eq(resp.status, 200);
        sae_assert_upstream_entity(harness_upstream_last(up),
                                   HARNESS_LOCK1_ENTITY);
        harness_response_free(&resp);
    }
    ck_assert_uint_eq(harness_upstream_count(up), 3);
    harness_conn_close(c);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(single_process_mode_binds)
{
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n = harness_nginx_new();
    harness_tls_opts    o = sae_lock1(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    /* master_process off: the table is opened by the serving process */
    harness_nginx_set_master(n, 0);
    harness_nginx_write_file(n, "kpsa.table", HARNESS_SEED_TABLE, 0600);
    harness_nginx_set_upstream(n, u);
    harness_nginx_config(n, SAE_SERVER);
    ck_assert_msg(harness_nginx_start(n) == 0, "%s", harness_log(n));
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(n, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(u),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

/*
 * nginx -t warns about PSK-AES128-CCM8 exactly when the OpenSSL nginx runs
 * with will not negotiate it (3.2 and later, security level above 0), and
 * ":@SECLEVEL=0" both silences the warning and makes CCM8 work.
 */
START_TEST(ccm8_warning_says_what_openssl_does)
{
    static const char *const levels[] = { "", ":" SAE_CCM8_SECLEVEL };
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n = harness_nginx_new();
    harness_tls_opts    o = sae_lock1(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    const char         *out;
    char                conf[1024];
    int                 warned, ok;

    snprintf(conf, sizeof(conf),
             "server {\n"
             "    listen 127.0.0.1:{{PORT}} ssl;\n"
             "    {{CERT}}\n"
             "    ssl_protocols TLSv1.2 TLSv1.3;\n"
             "    ssl_ciphers " SAE_PSK_CIPHERS "%s;\n"
             "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
             "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
             "}\n", levels[_i]);
    harness_nginx_write_file(n, "kpsa.table", HARNESS_SEED_TABLE, 0600);
    harness_nginx_set_upstream(n, u);
    ck_assert_int_eq(harness_nginx_config(n, conf), 0);
    ck_assert_int_eq(harness_nginx_test(n, &out), 0);
    warned = strstr(out, "lists PSK-AES128-CCM8, which OpenSSL ") != NULL
             && strstr(out, "append \":@SECLEVEL=0\" to offer it") != NULL;
    ck_assert_msg(harness_nginx_start(n) == 0, "%s", harness_log(n));

    o.ciphers = "PSK-AES128-CCM8";
    ok = harness_tls_request(harness_nginx_port(n, 0), &o, "GET", "/", NULL,
                             NULL, &r, &resp) == 0
         && resp.status == 200;
    ck_assert_msg(warned == !ok, "warned %d, CCM8 handshake %s", warned,
                  ok ? "worked" : "failed");
    if (_i == 1) {
        ck_assert_int_eq(ok, 1);
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

Suite *sae_tls12_suite(void)
{
    Suite  *s = suite_create("sae_tls12");

    SAE_TCASE(s, "tls12",
              tcase_add_checked_fixture(tc_, setup, teardown);
              tcase_add_loop_test(tc_, each_ts0003_suite_binds_the_lock, 0,
                                  4);
              SAE_TEST(second_lock_binds_its_own_entity);
              SAE_TEST(wrong_key_fails_the_handshake);
              SAE_TEST(dhe_psk_and_rsa_psk_are_not_offered);
              SAE_TEST(certificate_only_client_is_refused_4107);
              SAE_TEST(keepalive_requests_stay_bound));
    SAE_TCASE(s, "single_process",
              SAE_TEST(single_process_mode_binds));
    SAE_TCASE(s, "ccm8",
              tcase_add_loop_test(tc_, ccm8_warning_says_what_openssl_does,
                                  0, 2));
    return s;
}
