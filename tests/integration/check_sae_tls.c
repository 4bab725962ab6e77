/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS-PSK through a real nginx, TLS 1.2 and TLS 1.3.  What both versions
 * must do is one test looped over the table of versions below: every
 * TLS 1.2 suite of SAE_PSK_CIPHERS and every TLS 1.3 suite binds the lock's entity and
 * proxies it upstream; the second lock binds its own; a wrong key is
 * never bound; a certificate-only client gets 4107; keep-alive requests
 * stay bound.  What only one version has stays a test of its own: foreign
 * PSK suites, master_process off and the CCM8 warning (1.2); a client
 * offering both versions, psk_ke with and without AllowNoDHEKEX (1.3).
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

/*
 * The TLS 1.2 server also has a certificate suite, so a client without a
 * key can connect; OpenSSL 3.2 and later offer PSK-AES128-CCM8 only at
 * security level 0.
 */
#define TLS12_SERVER \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ":ECDHE-ECDSA-AES128-GCM-SHA256" \
    ":" SAE_CCM8_SECLEVEL ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

typedef struct {
    const char  *name;
    int          version;
    const char  *server;          /* the http-level template */
    /* the second lock: what it offers, what it must get */
    const char  *lock2_ciphers;
    const char  *lock2_suites;
    const char  *lock2_cipher;
    /* a wrong key: what the client offers, the alerts it may get */
    const char  *wrong_ciphers;
    int          wrong_alert[2];
    /* a server may fall back to its certificate (then: 4107) */
    int          wrong_may_fall_back;
    /* the certificate-only client's cipher, NULL: not checked */
    const char  *cert_cipher;
} tls_version;

enum { V12, V13 };

static const tls_version  versions[] = {
    [V12] = {
        "TLSv1.2", TLS1_2_VERSION, TLS12_SERVER,
        "PSK-AES128-CBC-SHA256", NULL, "PSK-AES128-CBC-SHA256",
        "PSK-AES128-CBC-SHA256",
        /* RFC 5246: a bad Finished (wrong PSK) is decrypt_error */
        { SSL_AD_DECRYPT_ERROR, SSL_AD_BAD_RECORD_MAC }, 0,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    },
    [V13] = {
        "TLSv1.3", TLS1_3_VERSION, SAE_SERVER,
        /* prefers SHA-384 but accepts SHA-256: the PSK is offered for it */
        NULL, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        NULL,
        /*
         * RFC 8446 6.2 says decrypt_error for a binder that does not
         * verify; OpenSSL 3.0 sends illegal_parameter.
         */
        { SSL_AD_DECRYPT_ERROR, SSL_AD_ILLEGAL_PARAMETER }, 1,
        NULL,
    },
};

#define NVERSIONS  (int) (CK_N(versions))

/* every suite of every version, one loop iteration each */
static const struct {
    int          v;
    const char  *suite;
} each_suite[] = {
    { V12, "PSK-AES128-CBC-SHA256" },   /* mandatory (TS-0003 10.2.2) */
    { V12, "PSK-AES128-CCM8" },
    { V12, "PSK-AES128-GCM-SHA256" },
    { V12, "PSK-AES256-GCM-SHA384" },
    { V13, "TLS_AES_128_GCM_SHA256" },
    { V13, "TLS_AES_256_GCM_SHA384" },  /* the legacy callback path skips it */
    { V13, "TLS_CHACHA20_POLY1305_SHA256" },
};

#define NSUITES  (int) (CK_N(each_suite))

static harness_upstream  *up;
static harness_nginx     *ng;

/* the upstream and nginx serving the version's server block */
static const tls_version *
start(int v)
{
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    ng = sae_start(up, versions[v].server);
    return &versions[v];
}

static void
setup12(void)
{
    start(V12);
}

static void
setup13(void)
{
    start(V13);
}

static void
teardown(void)
{
    if (ng != NULL) {
        sae_stop(ng);
        ng = NULL;
    }
    harness_upstream_stop(up);
    up = NULL;
}

/* a lock's options restricted to one suite (or list) of the version */
static void
offer(harness_tls_opts *o, const tls_version *ver, const char *ciphers,
    const char *suites)
{
    if (ver->version == TLS1_2_VERSION) {
        o->ciphers = ciphers;
    } else {
        o->ciphersuites = suites;
    }
}


/* both versions */

START_TEST(each_suite_binds_the_lock)
{
    const tls_version  *ver = start(each_suite[_i].v);
    const char         *suite = each_suite[_i].suite;
    harness_tls_opts    o = sae_lock1(ver->version);
    harness_tls_result  r;
    harness_response    resp;

    offer(&o, ver, suite, suite);
    sae_request(ng, &o, "GET", "/base/lock", NULL, NULL, &r, &resp);
    ck_assert_int_eq(r.handshake_ok, 1);
    ck_assert_int_eq(r.version, ver->version);
    ck_assert_str_eq(r.cipher, suite);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(harness_upstream_count(up), 1);
    ck_assert_str_eq(harness_upstream_last(up)->uri, "/base/lock");
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(second_lock_binds_its_own_entity)
{
    const tls_version  *ver = start(_i);
    harness_tls_opts    o = sae_lock2(ver->version);
    harness_tls_result  r;

    offer(&o, ver, ver->lock2_ciphers, ver->lock2_suites);
    sae_assert_bound(ng, up, &o, HARNESS_LOCK2_ENTITY, &r);
    ck_assert_int_eq(r.version, ver->version);
    ck_assert_str_eq(r.cipher, ver->lock2_cipher);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(wrong_key_is_never_bound)
{
    const tls_version  *ver = start(_i);
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;
    int                 rc;

    o = sae_psk(ver->version, HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY);
    o.ciphers = ver->wrong_ciphers;
    rc = harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/",
                             NULL, NULL, &r, &resp);
    if (rc == 0 && ver->wrong_may_fall_back) {
        /* the server fell back to its certificate: then unbound */
        sae_assert_4107(&resp);
    } else {
        ck_assert_msg(rc != 0, "%s: a wrong key got a response",
                      ver->name);
        ck_assert_int_eq(r.handshake_ok, 0);
        ck_assert_msg(r.alert == ver->wrong_alert[0]
                      || r.alert == ver->wrong_alert[1],
                      "%s: alert %d", ver->name, r.alert);
    }
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(certificate_only_client_is_refused_4107)
{
    const tls_version  *ver = start(_i);
    harness_tls_opts    o = sae_cert_only(ver->version);
    harness_tls_result  r;
    harness_response    resp;

    sae_request(ng, &o, "POST", "/base",
                "X-M2M-RI: rq-13\r\n" SAE_ENTITY_HEADER ": Clock-AE1\r\n",
                "{\"m2m:ae\": {}}", &r, &resp);
    ck_assert_int_eq(r.version, ver->version);
    if (ver->cert_cipher != NULL) {
        ck_assert_str_eq(r.cipher, ver->cert_cipher);
    }
    sae_assert_4107(&resp);
    sae_assert_resp_header(&resp, "X-M2M-RI", "rq-13");
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

START_TEST(keepalive_requests_stay_bound)
{
    const tls_version  *ver = start(_i);
    harness_tls_opts    o = sae_lock1(ver->version);
    harness_tls_result  r;
    harness_conn       *c;
    int                 i;

    c = harness_tls_connect(harness_nginx_port(ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(r.version, ver->version);
    for (i = 0; i < 3; i++) {
        sae_assert_conn_bound(c, up, "/k", HARNESS_LOCK1_ENTITY);
    }
    ck_assert_uint_eq(harness_upstream_count(up), 3);
    harness_conn_close(c);
    harness_tls_result_free(&r);
}
END_TEST


/* TLS 1.2 only */

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

    for (i = 0; i < CK_N(foreign); i++) {
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

START_TEST(single_process_mode_binds)
{
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n = harness_nginx_new();
    harness_tls_opts    o = sae_lock1(TLS1_2_VERSION);

    /* master_process off: the table is opened by the serving process */
    harness_nginx_set_master(n, 0);
    harness_nginx_write_file(n, "kpsa.table", HARNESS_SEED_TABLE, 0600);
    harness_nginx_set_upstream(n, u);
    harness_nginx_config(n, SAE_SERVER);
    ck_assert_msg(harness_nginx_start(n) == 0, "%s", harness_log(n));
    sae_assert_bound(n, u, &o, HARNESS_LOCK1_ENTITY, NULL);
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


/* TLS 1.3 only */

START_TEST(client_offering_both_versions_gets_tls13_bound)
{
    harness_tls_opts    o = sae_lock1(0);
    harness_tls_result  r;

    sae_assert_bound(ng, up, &o, HARNESS_LOCK1_ENTITY, &r);
    ck_assert_int_eq(r.version, TLS1_3_VERSION);
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

    n = sae_start(u, PSK_KE_SERVER(
                  "    ssl_conf_command Options AllowNoDHEKEX;\n"));
    o.allow_no_dhe = 1;
    o.groups = "X25519";
    o.ciphersuites = _i ? "TLS_AES_256_GCM_SHA384" : "TLS_AES_128_GCM_SHA256";
    sae_assert_bound(n, u, &o, HARNESS_LOCK1_ENTITY, &r);
    ck_assert_int_eq(r.version, TLS1_3_VERSION);
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

Suite *sae_tls_suite(void)
{
    /* _i: the row of each_suite[], or of versions[] */
    return CK_SUITE("sae_tls",
                    CK_TCASE_MS("both_versions", NULL, teardown, 30000),
                    CK_LOOP(each_suite_binds_the_lock, NSUITES),
                    CK_LOOP(second_lock_binds_its_own_entity, NVERSIONS),
                    CK_LOOP(wrong_key_is_never_bound, NVERSIONS),
                    CK_LOOP(certificate_only_client_is_refused_4107,
                            NVERSIONS),
                    CK_LOOP(keepalive_requests_stay_bound, NVERSIONS),
                    CK_TCASE_MS("tls12", setup12, teardown, 30000),
                    CK_TEST(dhe_psk_and_rsa_psk_are_not_offered),
                    CK_TCASE_MS("tls12_single_process", NULL, NULL, 30000),
                    CK_TEST(single_process_mode_binds),
                    CK_TCASE_MS("tls12_ccm8", NULL, NULL, 30000),
                    CK_LOOP(ccm8_warning_says_what_openssl_does, 2),
                    CK_TCASE_MS("tls13", setup13, teardown, 30000),
                    CK_TEST(client_offering_both_versions_gets_tls13_bound),
                    CK_TCASE_MS("tls13_psk_ke", NULL, NULL, 30000),
                    CK_LOOP(psk_ke_with_allow_no_dhe_kex, 2),
                    CK_TEST(psk_ke_refused_without_allow_no_dhe_kex));
}
