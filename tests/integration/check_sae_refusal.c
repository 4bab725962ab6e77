/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "onem2m_sae required": a request without a binding is answered 403 /
 * X-M2M-RSC 4107 by the module itself and never reaches the upstream,
 * whatever the access phase says; the variables show the binding.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define VARS "e=[$onem2m_sae_entity] k=[$onem2m_sae_kpsa_id] " \
             "c=[$onem2m_sae_credential_id] m=[$onem2m_sae_method]"

#define REFUSAL_SERVER \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ":ECDHE-ECDSA-AES128-GCM-SHA256;\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    SAE_PROXY_LOCATION("/any", "        satisfy any;\n" \
                               "        allow all;\n") \
    SAE_PROXY_LOCATION("/opt", "        onem2m_sae optional;\n") \
    SAE_PROXY_LOCATION("/req", "        onem2m_sae required;\n") \
    SAE_PROXY_LOCATION("/hdr", "        onem2m_sae optional;\n" \
                        "        add_header X-Vars \"" VARS "\" always;\n") \
    "    location /vars { return 200 \"" VARS "\"; }\n" \
    "}\n"

SAE_FIXTURE(REFUSAL_SERVER)

/* one request without a security association (certificate only) */
static void
unbound_request(const char *method, const char *uri, const char *extra,
    const char *body, int version, harness_response *resp)
{
    harness_tls_opts  o = sae_cert_only(version);

    sae_request(ng, &o, method, uri, extra, body, NULL, resp);
}

static void
refused(const char *method, const char *uri, const char *extra,
    const char *body, int version)
{
    harness_response  resp;

    unbound_request(method, uri, extra, body, version, &resp);
    sae_assert_4107(&resp);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_response_free(&resp);
}

START_TEST(refused_with_ri_and_rvi_echoed)
{
    harness_response  resp;

    unbound_request("GET", "/base/lock",
                    "X-M2M-Origin: Clock-AE1\r\n"
                    "X-M2M-RI: req-42/\"x\"\r\n"
                    "X-M2M-RVI: 3\r\n", NULL, sae_versions[_i], &resp);
    sae_assert_4107(&resp);
    sae_assert_resp_header(&resp, "X-M2M-RI", "req-42/\"x\"");
    sae_assert_resp_header(&resp, "X-M2M-RVI", "3");
    ck_assert_str_eq(harness_resp_header(&resp, "Content-Length"), "44");
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    ck_assert(harness_log_wait(ng, "onem2m sae: request without security "
                               "association refused", 2000));
    harness_response_free(&resp);
}
END_TEST

START_TEST(refused_without_ri_has_no_ri)
{
    harness_response  resp;

    unbound_request("GET", "/", NULL, NULL, TLS1_3_VERSION, &resp);
    sae_assert_4107(&resp);
    ck_assert_ptr_null(harness_resp_header(&resp, "X-M2M-RI"));
    harness_response_free(&resp);
}
END_TEST

START_TEST(refused_post_with_body)
{
    refused("POST", "/base", "Content-Type: application/json;ty=2\r\n"
            "X-M2M-Origin: C-forged\r\nX-M2M-RI: c1\r\n",
            "{\"m2m:ae\": {\"api\": \"Nlock\", \"rr\": true}}",
            sae_versions[_i]);
}
END_TEST

START_TEST(refused_despite_satisfy_any)
{
    refused("GET", "/any", NULL, NULL, TLS1_3_VERSION);
}
END_TEST

START_TEST(refused_where_required_explicitly)
{
    refused("DELETE", "/req/x", NULL, NULL, TLS1_3_VERSION);
}
END_TEST

START_TEST(refused_on_every_keepalive_request)
{
    harness_tls_opts    o = sae_cert_only(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;
    int                 i;

    c = harness_tls_connect(harness_nginx_port(ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(harness_http(c, "GET", "/", "X-M2M-RI: k\r\n",
                                      NULL, 1, &resp), 0);
        sae_assert_4107(&resp);
        harness_response_free(&resp);
    }
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_conn_close(c);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(optional_lets_unbound_through)
{
    harness_response  resp;

    unbound_request("GET", "/opt/x", NULL, NULL, TLS1_3_VERSION, &resp);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(harness_upstream_count(up), 1);
    sae_assert_upstream_no_entity(harness_upstream_last(up));
    harness_response_free(&resp);
}
END_TEST

/* what the variables say: in the body (/vars) or in X-Vars (/hdr) */
#define BOUND_VARS(n) \
    "e=[" HARNESS_LOCK##n##_ENTITY "] k=[" HARNESS_LOCK##n##_KPSA_ID "] " \
    "c=[12-" HARNESS_LOCK##n##_KPSA_ID "] m=[psk]"
#define EMPTY_VARS  "e=[] k=[] c=[] m=[]"

static const struct {
    int          lock;          /* 1, 2; 0: certificate only */
    int          version;
    const char  *uri;
    const char  *expect;
} vars[] = {
    { 1, TLS1_2_VERSION, "/vars", BOUND_VARS(1) },
    { 1, TLS1_3_VERSION, "/vars", BOUND_VARS(1) },
    { 2, TLS1_3_VERSION, "/hdr", BOUND_VARS(2) },
    { 0, TLS1_2_VERSION, "/hdr", EMPTY_VARS },
    { 0, TLS1_3_VERSION, "/hdr", EMPTY_VARS },
};

START_TEST(variables_say_the_binding)
{
    int                 v = vars[_i].version;
    harness_tls_opts    o;
    harness_response    resp;
    const char         *said;

    o = vars[_i].lock == 1 ? sae_lock1(v)
        : vars[_i].lock == 2 ? sae_lock2(v) : sae_cert_only(v);
    sae_request(ng, &o, "GET", vars[_i].uri, NULL, NULL, NULL, &resp);
    ck_assert_int_eq(resp.status, 200);
    said = strcmp(vars[_i].uri, "/vars") == 0
           ? resp.body : harness_resp_header(&resp, "X-Vars");
    ck_assert_ptr_nonnull(said);
    ck_assert_str_eq(said, vars[_i].expect);
    harness_response_free(&resp);
}
END_TEST

START_TEST(variables_on_a_server_without_sae_are_empty)
{
    harness_nginx      *n;
    harness_tls_opts    o = sae_cert_only(TLS1_3_VERSION);
    harness_response    resp;

    n = sae_start(NULL,
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    location / { return 200 \"" VARS "\"; }\n"
        "}\n");
    sae_request(n, &o, "GET", "/", NULL, NULL, NULL, &resp);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(resp.body, "e=[] k=[] c=[] m=[]");
    harness_response_free(&resp);
    sae_stop(n);
}
END_TEST

Suite *sae_refusal_suite(void)
{
    return CK_SUITE("sae_refusal",
                    CK_TCASE_MS("refusal", setup, teardown, 30000),
                    CK_LOOP(refused_with_ri_and_rvi_echoed, 2),
                    CK_TEST(refused_without_ri_has_no_ri),
                    CK_LOOP(refused_post_with_body, 2),
                    CK_TEST(refused_despite_satisfy_any),
                    CK_TEST(refused_where_required_explicitly),
                    CK_TEST(refused_on_every_keepalive_request),
                    CK_TEST(optional_lets_unbound_through),
                    CK_TCASE_MS("variables", setup, teardown, 30000),
                    CK_LOOP(variables_say_the_binding, CK_N(vars)),
                    CK_TCASE_MS("no_sae", NULL, NULL, 30000),
                    CK_TEST(variables_on_a_server_without_sae_are_empty));
}
