/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.3 HelloRetryRequest with early data enabled: a server that takes
 * only X25519 ("ssl_ecdh_curve X25519; ssl_early_data on;") and a client
 * whose first key share is P-521, so the server asks again.  With early
 * data on, OpenSSL reports the handshake done as soon as the
 * HelloRetryRequest is out; the second ClientHello's PSK must still bind.
 * The seed's command line with the HRR options word for word, and the
 * in-test client with and without the retry.
 */

#include <stdio.h>
#include <stdlib.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define HRR_SERVER \
    "server {\n" \
    SAE_TLS \
    "    ssl_ecdh_curve X25519;\n" \
    "    ssl_early_data on;\n" \
    "    add_header X-Sae-Entity $onem2m_sae_entity always;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

#define BOUND_LINE \
    "psk identity \"" HARNESS_LOCK1_KPSA_ID "\" bound to \"" \
    HARNESS_LOCK1_ENTITY "\""

SAE_FIXTURE(HRR_SERVER)

/* the "bound" line of the hook, logged exactly once */
static void
assert_bound_once(void)
{
    ck_assert_msg(harness_log_wait(ng, BOUND_LINE, 5000),
                  "no \"%s\"; error log:\n%s", BOUND_LINE, harness_log(ng));
    ck_assert_uint_eq(harness_log_count(ng, BOUND_LINE), 1);
}

START_TEST(s_client_after_hello_retry_binds)
{
    char  target[32], *out = NULL;
    char *argv[] = {
        "openssl", "s_client", "-connect", target, "-tls1_3",
        "-groups", "P-521:X25519",
        "-psk_identity", "AE123456789012-Lock@in.provider.com",
        "-psk", "1a2b3c4d5e6f7a8b", NULL
    };

    snprintf(target, sizeof(target), "127.0.0.1:%d",
             harness_nginx_port(ng, 0));
    harness_run(argv,
                "GET /base/lock HTTP/1.1\r\nHost: mn-cse\r\n"
                "Connection: close\r\n\r\n",
                harness_timeout_ms(10000), &out);

    /* the client's key share was P-521: X25519 needed a retry */
    ck_assert_msg(strstr(out, "Server Temp Key: X25519") != NULL,
                  "no X25519 key exchange (no HelloRetryRequest):\n%s",
                  harness_log(ng));
    ck_assert_msg(strstr(out, "HTTP/1.1 200") != NULL,
                  "not served; error log:\n%s", harness_log(ng));
    ck_assert_msg(strstr(out, "X-Sae-Entity: " HARNESS_LOCK1_ENTITY) != NULL,
                  "not bound; error log:\n%s", harness_log(ng));
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    assert_bound_once();
    free(out);
}
END_TEST

/* the in-test client: its first key share P-521 (a retry), or X25519 */
static const struct {
    const char  *groups;
} clients[] = {
    { "P-521:X25519" },
    { "X25519:P-521" },
};

START_TEST(in_test_client_binds)
{
    harness_tls_opts  o = sae_lock1(TLS1_3_VERSION);

    o.groups = clients[_i].groups;
    sae_assert_bound(ng, up, &o, HARNESS_LOCK1_ENTITY, NULL);
    assert_bound_once();
}
END_TEST

Suite *sae_hello_retry_suite(void)
{
    return CK_SUITE("sae_hello_retry",
                    CK_TCASE_MS("hello_retry", setup, teardown, 30000),
                    CK_TEST(s_client_after_hello_retry_binds),
                    CK_LOOP(in_test_client_binds, CK_N(clients)));
}
