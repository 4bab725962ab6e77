/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interoperability with TLS stacks that are not our test client:
 * gnutls-cli (GnuTLS, Debian gnutls-bin) with TLS 1.2 PSK and TLS 1.3 PSK,
 * and the seed's exact openssl s_client command line as a regression test.
 * Each sends an HTTP request on stdin; the upstream must see the identity.
 */

#include <stdio.h>
#include <stdlib.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define REQUEST \
    "GET /base/lock HTTP/1.1\r\nHost: mn-cse\r\n" \
    "X-M2M-Origin: Clock-AE1\r\nX-M2M-RI: interop-1\r\n" \
    SAE_ENTITY_HEADER ": forged\r\nConnection: close\r\n\r\n"

/* OpenSSL 3.2 and later offer PSK-AES128-CCM8 at security level 0 */
#define INTEROP_SERVER \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ":" SAE_CCM8_SECLEVEL ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    add_header X-Sae-Entity $onem2m_sae_entity always;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

SAE_FIXTURE(INTEROP_SERVER)

/* s_client prints session secrets: blank them before any message */
static void
redact(char *out)
{
    static const char *const secrets[] = {
        "Master-Key:", "Resumption PSK:", "PSK:", "TLS session ticket:"
    };
    size_t  i;
    char   *p, *eol;

    for (i = 0; i < CK_N(secrets); i++) {
        for (p = strstr(out, secrets[i]); p != NULL;
             p = strstr(p, secrets[i]))
        {
            p += strlen(secrets[i]);
            eol = strchr(p, '\n');
            if (eol == NULL) {
                eol = p + strlen(p);
            }
            memset(p, '*', (size_t) (eol - p));
        }
    }
    /* hex dumps ("    0000 - 3b 6f ...", the ticket) */
    for (p = out; *p != '\0'; p = eol + (*eol != '\0')) {
        char  *q = p;

        eol = strchr(p, '\n');
        if (eol == NULL) {
            eol = p + strlen(p);
        }
        while (q < eol && *q == ' ') {
            q++;
        }
        if (eol - q > 7 && strncmp(q + 4, " - ", 3) == 0) {
            memset(q + 7, '*', (size_t) (eol - q - 7));
        }
    }
}

static int
run(char *const argv[], char **out)
{
    int  rc = harness_run(argv, REQUEST, harness_timeout_ms(10000), out);

    redact(*out);
    return rc;
}

static void
assert_served(const char *out, const char *entity)
{
    char  want[128];

    snprintf(want, sizeof(want), "X-Sae-Entity: %s", entity);
    ck_assert_msg(strstr(out, "HTTP/1.1 200") != NULL, "output:\n%s", out);
    ck_assert_msg(strstr(out, want) != NULL, "output:\n%s", out);
    ck_assert_uint_eq(harness_upstream_count(up), 1);
    ck_assert_str_eq(harness_upstream_last(up)->uri, "/base/lock");
    sae_assert_upstream_entity(harness_upstream_last(up), entity);
}

/* GnuTLS's PSK client, each version and suite, a lock of the seed each */
static const struct {
    const char  *priority;
    const char  *identity;
    const char  *key_hex;
    const char  *entity;
    const char  *says;          /* gnutls-cli's description of it */
} gnutls[] = {
    /* TLS 1.2: PSK-AES128-CBC-SHA256, the TS-0003 mandatory suite */
    { "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CBC:"
      "-MAC-ALL:+SHA256",
      HARNESS_LOCK2_KPSA_ID, HARNESS_LOCK2_KEY_HEX, HARNESS_LOCK2_ENTITY,
      "(TLS1.2-X.509)-(PSK)-" },
    /* PSK-AES128-GCM-SHA256 */
    { "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-GCM",
      HARNESS_LOCK2_KPSA_ID, HARNESS_LOCK2_KEY_HEX, HARNESS_LOCK2_ENTITY,
      "(TLS1.2-X.509)-(PSK)-" },
    /* PSK-AES128-CCM8 */
    { "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CCM-8:"
      "-MAC-ALL:+AEAD",
      HARNESS_LOCK2_KPSA_ID, HARNESS_LOCK2_KEY_HEX, HARNESS_LOCK2_ENTITY,
      "(TLS1.2-X.509)-(PSK)-" },
    /*
     * TLS 1.3, psk_dhe_ke.  GnuTLS 3.7 describes it as
     * (TLS1.3-X.509)--(...): the response and the upstream tell whether
     * the PSK was used.
     */
    { "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+DHE-PSK",
      HARNESS_LOCK1_KPSA_ID, HARNESS_LOCK1_KEY_HEX, HARNESS_LOCK1_ENTITY,
      "(TLS1.3-" },
    /* AES-128-GCM (GnuTLS's external PSKs are SHA-256 ones) */
    { "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:-CIPHER-ALL:"
      "+AES-128-GCM",
      HARNESS_LOCK1_KPSA_ID, HARNESS_LOCK1_KEY_HEX, HARNESS_LOCK1_ENTITY,
      "(TLS1.3-" },
};

START_TEST(gnutls_psk)
{
    char  port[16], prio[256], id[128], key[64], *out = NULL;
    char *argv[] = {
        "gnutls-cli", "--port", port, "--priority", prio,
        "--pskusername", id, "--pskkey", key, "--insecure", "127.0.0.1",
        NULL
    };

    snprintf(port, sizeof(port), "%d", harness_nginx_port(ng, 0));
    snprintf(prio, sizeof(prio), "%s", gnutls[_i].priority);
    snprintf(id, sizeof(id), "%s", gnutls[_i].identity);
    snprintf(key, sizeof(key), "%s", gnutls[_i].key_hex);
    run(argv, &out);
    ck_assert_msg(strstr(out, gnutls[_i].says) != NULL, "output:\n%s", out);
    assert_served(out, gnutls[_i].entity);
    free(out);
}
END_TEST

START_TEST(gnutls_tls13_psk_ke)
{
    harness_upstream  *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx     *n;
    char               port[16], *out = NULL;
    char *argv[] = {
        "gnutls-cli", "--port", port, "--priority",
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+PSK",
        "--pskusername", HARNESS_LOCK1_KPSA_ID,
        "--pskkey", HARNESS_LOCK1_KEY_HEX, "--insecure", "127.0.0.1", NULL
    };

    /* psk_ke only: no (EC)DHE at all, with AllowNoDHEKEX */
    n = sae_start(u,
        "server {\n"
        SAE_TLS
        "    ssl_conf_command Options AllowNoDHEKEX;\n"
        "    add_header X-Sae-Entity $onem2m_sae_entity always;\n"
        "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
        "}\n");
    snprintf(port, sizeof(port), "%d", harness_nginx_port(n, 0));
    run(argv, &out);
    ck_assert_msg(strstr(out, "HTTP/1.1 200") != NULL, "output:\n%s", out);
    ck_assert_msg(strstr(out, "X-Sae-Entity: Clock-AE1") != NULL,
                  "output:\n%s", out);
    sae_assert_upstream_entity(harness_upstream_last(u),
                               HARNESS_LOCK1_ENTITY);
    free(out);
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

START_TEST(gnutls_wrong_key_is_refused)
{
    char  port[16], *out = NULL;
    char *argv[] = {
        "gnutls-cli", "--port", port, "--priority",
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK",
        "--pskusername", HARNESS_LOCK1_KPSA_ID,
        "--pskkey", "1a2b3c4d5e6f7a8a", "--insecure", "127.0.0.1", NULL
    };

    snprintf(port, sizeof(port), "%d", harness_nginx_port(ng, 0));
    ck_assert_int_ne(run(argv, &out), 0);
    ck_assert_msg(strstr(out, "HTTP/1.1") == NULL, "output:\n%s", out);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    free(out);
}
END_TEST

/* the seed's command word for word (only the port differs), then in 1.2 */
static const struct {
    const char  *option;        /* appended to the command, or NULL */
    const char  *says;          /* s_client must say it, or NULL */
} seed_command[] = {
    { NULL, NULL },
    { "-tls1_2", "Cipher is PSK-AES128-CBC-SHA256" },
};

START_TEST(seed_openssl_s_client_command)
{
    char  target[32], option[16], *out = NULL;
    char *argv[] = {
        "openssl", "s_client", "-connect", target,
        "-psk_identity", "AE123456789012-Lock@in.provider.com",
        "-psk", "1a2b3c4d5e6f7a8b", "-cipher", "PSK-AES128-CBC-SHA256",
        seed_command[_i].option != NULL ? option : NULL, NULL
    };

    snprintf(target, sizeof(target), "127.0.0.1:%d",
             harness_nginx_port(ng, 0));
    if (seed_command[_i].option != NULL) {
        snprintf(option, sizeof(option), "%s", seed_command[_i].option);
    }
    run(argv, &out);
    if (seed_command[_i].says != NULL) {
        ck_assert_msg(strstr(out, seed_command[_i].says) != NULL,
                      "output:\n%s", out);
    }
    assert_served(out, "Clock-AE1");
    free(out);
}
END_TEST

Suite *interop_suite(void)
{
    return CK_SUITE("interop",
                    CK_TCASE_MS("interop", setup, teardown, 30000),
                    CK_LOOP(gnutls_psk, CK_N(gnutls)),
                    CK_TEST(gnutls_tls13_psk_ke),
                    CK_TEST(gnutls_wrong_key_is_refused),
                    CK_LOOP(seed_openssl_s_client_command,
                            CK_N(seed_command)));
}
