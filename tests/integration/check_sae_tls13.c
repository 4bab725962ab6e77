/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.3 external PSK through a real nginx: SHA-256 and SHA-384 suites,
 * psk_dhe_ke and (with AllowNoDHEKEX) psk_ke; a wrong key, or no key, is
 * never bound.
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
    ng = sae_start(up, SAE_SERVER);
}

static void
teardown(void)
{
    sae_stop(ng);
    harness_upstream_stop(up);
}

static const char *const suites13[] = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",       /* the legacy callback path skips it */
    "TLS_CHACHA20_POLY1305_SHA256",
};

START_TEST(each_suite_binds_the_lock)
{
    harness_tls_opts    o = sae_lock1(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    o.ciphersuites = suites13[_i];
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/t13", NULL, NULL, &r,
                                         &resp), 0);
    ck_assert_int_eq(r.version, TLS1_3_VERSION);
    ck_assert_str_eq(r.cipher, suites13[_i]);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(harness_upstream_count(up), 1);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(sha384_preferred_client_binds)
{
    harness_tls_opts    o = sae_lock2(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    /* prefers SHA-384 but accepts SHA-256: the PSK is offered for the first */
    o.ciphersuites = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256";
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_str_eq(r.cipher, "TLS_AES_256_GCM_SHA384");
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK2_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(client_offering_both_versions_gets_tls13_bound)
{
    harness_tls_opts    o = sae_lock1(0);
    harness_tls_result  r;
    harness_response    resp;

    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(r.version, TLS1_3_VERSION);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(wrong_key_is_never_bound)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;

    o = sae_psk(TLS1_3_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY);
    if (harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/",
                            NULL, NULL, &r, &resp) == 0)
    {
        /* a server may fall back to its certificate: then unbound */
        sae_assert_4107(&resp);
    } else {
        ck_assert_int_eq(r.handshake_ok, 0);
        /*
         * RFC 8446 6.2 says decrypt_error for a binder that does not
         * verify; OpenSSL 3.0 sends illegal_parameter.
         */
        ck_assert_msg(r.alert == SSL_AD_DECRYPT_ERROR
                      || r.alert == SSL_AD_ILLEGAL_PARAMETER,
                      "alert %d", r.alert);
    }
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(certificate_only_client_is_refused_4107)
{
    harness_tls_opts    o = sae_cert_only(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "POST", "/base",
                                         "X-M2M-RI: rq-13\r\n"
                                         SAE_ENTITY_HEADER ": Clock-AE1\r\n",
                                         "{\"m2m:ae\": {}}", &r, &resp), 0);
    ck_assert_int_eq(r.version, TLS1_3_VERSION);
    sae_assert_4107(&resp);
    ck_assert_str_eq(harness_resp_header(&resp, "X-M2M-RI"), "rq-13");
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(tls13_keepalive_requests_stay_bound)
{
    harness_tls_opts    o = sae_lock1(TLS1_3_VERSION);
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
    harness_conn_close(c);
    harness_tls_result_free(&r);
}
END_TEST


/* psk_ke: the client's only group is one the server does not have */

#define PSK_KE_SERVER(options) \
    "server {\n" \
    SAE_TLS \
    "    ssl_ecdh_curve prime256v1;\n" \
    options \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

START_TEST(psk_ke_with_allow_no_dhe_kex)
{
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n;
    harness_tls_opts    o = sae_lock1(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    n = sae_start(u, PSK_KE_SERVER(
                  "    ssl_conf_command Options AllowNoDHEKEX;\n"));
    o.allow_no_dhe = 1;
    o.groups = "X25519";
    o.ciphersuites = _i ? "TLS_AES_256_GCM_SHA384" : "TLS_AES_128_GCM_SHA256";
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(n, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(r.version, TLS1_3_VERSION);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(u),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

START_TEST(psk_ke_refused_without_allow_no_dhe_kex)
{
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n;
    harness_tls_opts    o = sae_lock1(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;

    /* proves the test above really negotiated psk_ke */
    n = sae_start(u, PSK_KE_SERVER(""));
    o.allow_no_dhe = 1;
    o.groups = "X25519";
    ck_assert_int_ne(harness_tls_request(harness_nginx_port(n, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(r.handshake_ok, 0);
    ck_assert_uint_eq(harness_upstream_count(u), 0);
    harness_response_free(&resp);
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

Suite *sae_tls13_suite(void)
{
    Suite  *s = suite_create("sae_tls13");

    SAE_TCASE(s, "tls13",
              tcase_add_checked_fixture(tc_, setup, teardown);
              tcase_add_loop_test(tc_, each_suite_binds_the_lock, 0, 3);
              SAE_TEST(sha384_preferred_client_binds);
              SAE_TEST(client_offering_both_versions_gets_tls13_bound);
              SAE_TEST(wrong_key_is_never_bound);
              SAE_TEST(certificate_only_client_is_refused_4107);
              SAE_TEST(tls13_keepalive_requests_stay_bound));
    SAE_TCASE(s, "psk_ke",
              tcase_add_loop_test(tc_, psk_ke_with_allow_no_dhe_kex, 0, 2);
              SAE_TEST(psk_ke_refused_without_allow_no_dhe_kex));
    return s;
}
