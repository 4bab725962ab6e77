/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf/fail2ban/filter.d/onem2m-sae.conf against the error log that a
 * real nginx with the module wrote during the test: every failed
 * handshake (unknown identity, wrong key, malformed identity, resumption
 * refused; TLS 1.2 and 1.3) matches once with the client's address, bound
 * and resumed handshakes never match, and an identity that spells
 * ", client: <other address>" cannot move the ban to another address.
 * Runs Debian's fail2ban-regex.
 */

#include <stdio.h>
#include <stdlib.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define FILTER  TOP_SRCDIR "/conf/fail2ban/filter.d/onem2m-sae.conf"
#define JAIL    TOP_SRCDIR "/conf/fail2ban/jail.d/onem2m-sae.conf"

#define LOCK1  HARNESS_LOCK1_KPSA_ID
#define LOCK2  HARNESS_LOCK2_KPSA_ID

/* TLS 1.2 resumption from nginx's session cache */
#define F2B_SERVER \
    "server {\n" \
    SAE_TLS \
    "    ssl_session_cache shared:SAE:1m;\n" \
    "    ssl_session_tickets off;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

static harness_upstream  *up;
static harness_nginx     *ng;

/* one connection; returns its session (TLS 1.2 bound ones), or NULL */
static SSL_SESSION *
handshake(int version, const char *identity, const unsigned char *key,
    SSL_SESSION *resume)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;

    o = sae_psk(version, identity, key);
    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
        o.no_ticket = 1;
    }
    o.resume = resume;
    harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/", NULL,
                        NULL, &r, &resp);
    harness_response_free(&resp);
    if (!r.handshake_ok && r.session != NULL) {
        SSL_SESSION_free(r.session);
        r.session = NULL;
    }
    return r.session;
}

/* fail2ban-regex with -o <out> on nginx's error log; output malloc'd */
static char *
f2b_regex(const char *out)
{
    char   log[512], *res = NULL;
    char  *argv[] = { "fail2ban-regex", "-r", "-o", (char *) out, log,
                      FILTER, NULL };
    int    rc;

    snprintf(log, sizeof(log), "%s/error.log", harness_nginx_prefix(ng));
    rc = harness_run(argv, NULL, harness_timeout_ms(60000), &res);
    ck_assert_msg(rc == 0, "fail2ban-regex exited %d: %.2000s", rc,
                  res ? res : "");
    return res;
}

static size_t
count_lines(const char *text, const char *line)
{
    size_t       n = 0, len = strlen(line);
    const char  *p = text;

    while (*p) {
        const char  *eol = strchr(p, '\n');
        size_t       l = eol ? (size_t) (eol - p) : strlen(p);

        if (l == len && strncmp(p, line, len) == 0) {
            n++;
        }
        p += l + (eol != NULL);
    }
    return n;
}

static size_t
count_all_lines(const char *text)
{
    size_t  n = 0;

    for (; *text; text++) {
        n += (*text == '\n');
    }
    return n;
}

START_TEST(filter_matches_each_failure_once_per_client)
{
    SSL_SESSION  *s1, *s2, *s;
    char          quotes[256], *ips, *msgs, *line, *save;
    int           v;

    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    ng = sae_start(up, F2B_SERVER);

    /* bound: never a match */
    s1 = handshake(TLS1_2_VERSION, LOCK1, SAE_LOCK1_KEY, NULL);
    s2 = handshake(TLS1_2_VERSION, LOCK2, SAE_LOCK2_KEY, NULL);
    ck_assert_ptr_nonnull(s1);
    ck_assert_ptr_nonnull(s2);
    s = handshake(TLS1_3_VERSION, LOCK1, SAE_LOCK1_KEY, NULL);
    SSL_SESSION_free(s);

    for (v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
        /* unknown identity, wrong key, malformed identity */
        handshake(v, "nobody@in.provider.com", SAE_LOCK1_KEY, NULL);
        handshake(v, LOCK2, SAE_WRONG_KEY, NULL);
        handshake(v, "bad id@in.provider.com", SAE_LOCK1_KEY, NULL);
    }
    handshake(TLS1_3_VERSION, "nobody2@in.provider.com", SAE_LOCK2_KEY,
              NULL);

    /* identities that spell another client address */
    handshake(TLS1_2_VERSION, "x\" while SSL handshaking, client: "
              "10.9.8.7, server: y", SAE_LOCK1_KEY, NULL);
    handshake(TLS1_3_VERSION, "a, client: 10.9.8.6, server: b",
              SAE_LOCK1_KEY, NULL);
    memset(quotes, '"', 255);
    quotes[255] = '\0';
    handshake(TLS1_2_VERSION, quotes, SAE_LOCK1_KEY, NULL);

    /* lock 1 leaves the table: its session resumes unbound */
    harness_nginx_write_file(ng, "kpsa.table",
                             HARNESS_LOCK2_ENTITY " " HARNESS_LOCK2_KEY_HEX
                             " " LOCK2 "\n", 0600);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);
    s = handshake(TLS1_2_VERSION, LOCK1, SAE_LOCK1_KEY, s1);
    SSL_SESSION_free(s);
    s = handshake(TLS1_2_VERSION, LOCK2, SAE_LOCK2_KEY, s2);
    SSL_SESSION_free(s);

    /* the last line; the single worker wrote every earlier one before */
    ck_assert_msg(harness_log_wait(ng, "onem2m sae: resumed session of psk "
                                   "identity \"" LOCK2 "\" bound to",
                                   3000),
                  "%.2000s", harness_log(ng));

    /* what the module wrote: 4 unknown, 2 wrong keys, 4 malformed, 1 */
    ck_assert_uint_eq(harness_log_count(ng, "onem2m sae: unknown psk "), 4);
    ck_assert_uint_eq(harness_log_count(ng, "onem2m sae: wrong key "), 2);
    ck_assert_uint_eq(harness_log_count(ng, "onem2m sae: malformed psk "),
                      4);
    ck_assert_uint_eq(harness_log_count(ng, "not bound: identity no longer "
                                        "in the table"), 1);
    ck_assert_uint_eq(harness_log_count(ng, "\" bound to \""), 4);

    /* fail2ban: the 11 failures, each once, all from 127.0.0.1 */
    ips = f2b_regex("ip");
    ck_assert_msg(count_all_lines(ips) == 11
                  && count_lines(ips, "127.0.0.1") == 11,
                  "fail2ban-regex -o ip:\n%.2000s", ips);
    free(ips);

    /* and exactly the failure lines */
    msgs = f2b_regex("msg");
    ck_assert_uint_eq(count_all_lines(msgs), 11);
    for (line = strtok_r(msgs, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
    {
        ck_assert_msg(strstr(line, "onem2m sae: ") != NULL
                      && (strstr(line, "\" bound to") == NULL),
                      "matched: %s", line);
        ck_assert_msg(strstr(line, "client: 127.0.0.1, server: 127.0.0.1:")
                      != NULL, "matched: %s", line);
    }
    free(msgs);

    SSL_SESSION_free(s1);
    SSL_SESSION_free(s2);
    sae_stop(ng);
    harness_upstream_stop(up);
}
END_TEST

/* the jail example names the filter and a log; fail2ban reads it */
START_TEST(jail_example_is_readable)
{
    char  *res = NULL, *argv[] = { "fail2ban-client", "-c", NULL, "-d",
                                   NULL };
    char   dir[] = "/tmp/onem2m-f2b-XXXXXX", cmd[1024];
    int    rc;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* Debian's configuration with our filter and jail added */
    snprintf(cmd, sizeof(cmd),
             "cp -a /etc/fail2ban/. %s/ && cp %s %s/filter.d/ && "
             "cp %s %s/jail.d/ && : > %s/error.log && "
             "sed -i 's|^logpath .*|logpath  = %s/error.log|' "
             "%s/jail.d/onem2m-sae.conf",
             dir, FILTER, dir, JAIL, dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);

    argv[2] = dir;
    rc = harness_run(argv, NULL, harness_timeout_ms(60000), &res);
    ck_assert_msg(rc == 0, "fail2ban-client -d exited %d: %.2000s", rc,
                  res ? res : "");
    ck_assert_msg(strstr(res, "['add', 'onem2m-sae', ") != NULL,
                  "no onem2m-sae jail: %.2000s", res);
    ck_assert_msg(strstr(res, "'onem2m-sae', 'addfailregex'") != NULL,
                  "no failregex: %.2000s", res);
    ck_assert_msg(strstr(res, "'onem2m-sae', 'maxretry', 10]") != NULL,
                  "maxretry: %.2000s", res);
    free(res);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *sae_fail2ban_suite(void)
{
    return CK_SUITE("sae_fail2ban",
                    CK_TCASE_MS("fail2ban", NULL, NULL, 30000),
                    CK_TEST(filter_matches_each_failure_once_per_client),
                    CK_TEST(jail_example_is_readable));
}
