/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unknown PSK identities (RFC 4279 section 2): "hide" (the default) must
 * look to the client exactly like a wrong key for a known identity;
 * "alert" sends unknown_psk_identity.  Neither is ever bound.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define UNKNOWN_ID  "AE999999999999-Lock@in.provider.com"

SAE_UPSTREAM_FIXTURE()

static harness_nginx *
start_mode(const char *mode)
{
    char  conf[2048];

    snprintf(conf, sizeof(conf),
             "server {\n"
             SAE_TLS
             "%s"
             "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
             "}\n", mode);
    return sae_start(up, conf);
}

typedef struct {
    int   handshake_ok;
    int   alert;
    int   status;
} outcome;

static outcome
attempt(harness_nginx *ng, int version, const char *identity,
    const unsigned char *key)
{
    harness_tls_opts    o = sae_psk(version, identity, key);
    harness_tls_result  r;
    harness_response    resp;
    outcome             out;

    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-CBC-SHA256";
    }
    harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/", NULL,
                        NULL, &r, &resp);
    out.handshake_ok = r.handshake_ok;
    out.alert = r.alert;
    out.status = resp.status;
    if (r.handshake_ok) {
        /* whatever the handshake did, it must not be bound */
        sae_assert_4107(&resp);
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    return out;
}

START_TEST(hide_looks_like_a_wrong_key)
{
    harness_nginx  *ng = start_mode("");     /* hide is the default */
    outcome         unknown, wrong;

    unknown = attempt(ng, sae_versions[_i], UNKNOWN_ID, SAE_LOCK1_KEY);
    wrong = attempt(ng, sae_versions[_i], HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY);
    ck_assert_int_eq(unknown.handshake_ok, wrong.handshake_ok);
    ck_assert_int_eq(unknown.alert, wrong.alert);
    ck_assert_int_ne(unknown.alert, SSL_AD_UNKNOWN_PSK_IDENTITY);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    ck_assert(harness_log_wait(ng, "onem2m sae: unknown psk identity \""
                               UNKNOWN_ID "\"", 2000));
    ck_assert(harness_log_wait(ng, "onem2m sae: wrong key for psk identity \""
                               HARNESS_LOCK1_KPSA_ID "\"", 2000));
    sae_stop(ng);
}
END_TEST

START_TEST(explicit_hide_is_the_default)
{
    harness_nginx  *ng = start_mode("    onem2m_sae_unknown_identity hide;\n");
    outcome         unknown, wrong;

    unknown = attempt(ng, sae_versions[_i], UNKNOWN_ID, SAE_LOCK1_KEY);
    wrong = attempt(ng, sae_versions[_i], HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY);
    ck_assert_int_eq(unknown.handshake_ok, wrong.handshake_ok);
    ck_assert_int_eq(unknown.alert, wrong.alert);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    sae_stop(ng);
}
END_TEST

START_TEST(alert_sends_unknown_psk_identity)
{
    harness_nginx  *ng;
    outcome         unknown, known;

    ng = start_mode("    onem2m_sae_unknown_identity alert;\n");
    unknown = attempt(ng, sae_versions[_i], UNKNOWN_ID, SAE_LOCK1_KEY);
    ck_assert_int_eq(unknown.handshake_ok, 0);
    ck_assert_int_eq(unknown.alert, SSL_AD_UNKNOWN_PSK_IDENTITY);
    /* a known identity with a wrong key is not reported as unknown */
    known = attempt(ng, sae_versions[_i], HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY);
    ck_assert_int_ne(known.alert, SSL_AD_UNKNOWN_PSK_IDENTITY);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    ck_assert(harness_log_wait(ng, "onem2m sae: unknown psk identity \""
                               UNKNOWN_ID "\"", 2000));
    sae_stop(ng);
}
END_TEST

START_TEST(alert_mode_still_binds_known_locks)
{
    harness_nginx      *ng;
    harness_tls_opts    o = sae_lock2(sae_versions[_i]);

    ng = start_mode("    onem2m_sae_unknown_identity alert;\n");
    sae_assert_bound(ng, up, &o, HARNESS_LOCK2_ENTITY, NULL);
    sae_stop(ng);
}
END_TEST

START_TEST(identities_are_sanitised_in_the_log)
{
    harness_nginx  *ng = start_mode("");

    /*
     * TLS 1.2 only: in TLS 1.3 a binary identity cannot be told from a
     * session ticket, which the hook declines quietly.
     */
    attempt(ng, TLS1_2_VERSION, "evil\x01\x7f" "id\xff@x.com",
            SAE_LOCK1_KEY);
    ck_assert_msg(harness_log_wait(ng, "psk identity \"evil\\x01\\x", 2000)
                  && (harness_log_contains(ng, "psk identity "
                                           "\"evil\\x01\\x7Fid\\xFF@x.com\"")
                      || harness_log_contains(ng, "psk identity "
                                           "\"evil\\x01\\x7fid\\xff@x.com\"")),
                  "no sanitised identity in the log:\n%s", harness_log(ng));
    ck_assert(!harness_log_contains(ng, "evil\x01"));
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    sae_stop(ng);
}
END_TEST

START_TEST(oversized_identity_is_cut_in_the_log)
{
    harness_nginx  *ng = start_mode("");
    char            id[301], run[257];

    /* TLS 1.3 carries identities up to 65535 bytes; 1.2 clients stop at 128 */
    memset(id, 'a', 300);
    id[300] = '\0';
    memset(run, 'a', 256);
    run[256] = '\0';
    attempt(ng, TLS1_3_VERSION, id, SAE_LOCK1_KEY);
    ck_assert(harness_log_wait(ng, "psk identity \"aaaa", 2000));
    ck_assert_msg(!harness_log_contains(ng, run),
                  "more than 255 bytes of the identity logged");
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    sae_stop(ng);
}
END_TEST

Suite *sae_unknown_suite(void)
{
    return CK_SUITE("sae_unknown",
                    CK_TCASE_MS("unknown", setup, teardown, 30000),
                    CK_LOOP(hide_looks_like_a_wrong_key, 2),
                    CK_LOOP(explicit_hide_is_the_default, 2),
                    CK_LOOP(alert_sends_unknown_psk_identity, 2),
                    CK_LOOP(alert_mode_still_binds_known_locks, 2),
                    CK_TEST(identities_are_sanitised_in_the_log),
                    CK_TEST(oversized_identity_is_cut_in_the_log));
}
