/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "onem2m_sae_log_level": failed handshakes (unknown identity, wrong key,
 * malformed identity, resumption refused) at the configured level, with
 * the identity and the client address; successful bindings at info.  The
 * default, error, shows a wrong key at the default level of "error_log"
 * (Debian's nginx.conf sets none).
 *
 * A line that must not appear is checked after a sentinel: a failure on a
 * second server of the same single worker, logged at error, made after
 * the connection under test was closed.  The worker writes the line under
 * test before it handles the sentinel's connection.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define LOCK1  HARNESS_LOCK1_KPSA_ID
#define LOCK2  HARNESS_LOCK2_KPSA_ID

SAE_UPSTREAM_FIXTURE()

/* server on {{PORT}} at "level" (NULL: the default), sentinel on {{PORT1}} */
static harness_nginx *
start(harness_upstream *up, const char *error_log, const char *level,
    const char *session)
{
    char  conf[4096];

    snprintf(conf, sizeof(conf),
             "error_log {{PREFIX}}/error.log %s;\n"
             "server {\n"
             SAE_TLS
             "%s%s%s"
             "%s"
             "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
             "}\n"
             "server {\n"
             "    listen 127.0.0.1:{{PORT1}} ssl;\n"
             "    {{CERT}}\n"
             "    ssl_ciphers " SAE_PSK_CIPHERS ";\n"
             "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
             "    onem2m_sae_log_level error;\n"
             "    location / { return 204; }\n"
             "}\n",
             error_log,
             level ? "    onem2m_sae_log_level " : "", level ? level : "",
             level ? ";\n" : "", session ? session : "");
    return sae_start(up, conf);
}

static void
handshake(harness_nginx *ng, int port, harness_tls_opts *o)
{
    harness_tls_result  r;
    harness_response    resp;

    if (o->version == TLS1_2_VERSION && o->ciphers == NULL) {
        o->ciphers = "PSK-AES128-GCM-SHA256";
    }
    harness_tls_request(harness_nginx_port(ng, port), o, "GET", "/", NULL,
                        NULL, &r, &resp);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}

/* a failure on the sentinel server, logged at error; waits for it */
static void
sentinel(harness_nginx *ng, int n)
{
    harness_tls_opts  o;
    char              id[64], line[128];

    snprintf(id, sizeof(id), "sentinel-%d@in.provider.com", n);
    o = sae_psk(TLS1_2_VERSION, id, SAE_LOCK1_KEY);
    handshake(ng, 1, &o);
    snprintf(line, sizeof(line), "unknown psk identity \"%s\"", id);
    ck_assert_msg(harness_log_wait(ng, line, 3000),
                  "no sentinel line; log:\n%s", harness_log(ng));
}

/* "[<level>] ... <msg> while SSL handshaking, client: 127.0.0.1, server: " */
static void
assert_line(harness_nginx *ng, const char *level, const char *msg)
{
    char         want[512];
    const char  *log, *hit, *bol;

    snprintf(want, sizeof(want),
             "%s while SSL handshaking, client: 127.0.0.1, server: "
             "127.0.0.1:%d", msg, harness_nginx_port(ng, 0));
    ck_assert_msg(harness_log_wait(ng, want, 3000),
                  "log lacks \"%s\":\n%s", want, harness_log(ng));
    ck_assert_uint_eq(harness_log_count(ng, msg), 1);

    log = harness_log(ng);
    hit = strstr(log, want);
    for (bol = hit; bol > log && bol[-1] != '\n'; bol--) {
        /* start of the line */
    }
    snprintf(want, sizeof(want), " [%s] ", level);
    ck_assert_msg(strstr(bol, want) != NULL && strstr(bol, want) < hit,
                  "not at %s: %.*s", level, (int) (strchr(hit, '\n') - bol),
                  bol);
}

/* the three failures of a full handshake, each on its own connection */
static void
fail_three_ways(harness_nginx *ng, int version)
{
    harness_tls_opts  o;

    o = sae_psk(version, "nobody@in.provider.com", SAE_LOCK1_KEY);
    handshake(ng, 0, &o);
    o = sae_psk(version, LOCK2, SAE_WRONG_KEY);
    handshake(ng, 0, &o);
    o = sae_psk(version, "bad id@in.provider.com", SAE_LOCK1_KEY);
    handshake(ng, 0, &o);
}

#define UNKNOWN_MSG  "onem2m sae: unknown psk identity " \
                     "\"nobody@in.provider.com\""
#define WRONG_MSG    "onem2m sae: wrong key for psk identity \"" LOCK2 "\""
#define BAD_MSG      "onem2m sae: malformed psk identity " \
                     "\"bad id@in.provider.com\""
#define BOUND_MSG    "onem2m sae: psk identity \"" LOCK1 "\" bound to \"" \
                     HARNESS_LOCK1_ENTITY "\""

static const char *levels[] = { "info", "notice", "warn", "error" };
/* error is left out: the sentinel is at error */
static const char *above[] = { "notice", "warn", "error" };
static const int   versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };


/*
 * Without the directive, on a log at "error" (Debian's default): a wrong
 * key shows at error with the identity and the client address, TLS 1.2
 * and 1.3 (where nginx core's own [crit] line names neither).
 */
START_TEST(default_is_error_and_shows_a_wrong_key)
{
    harness_nginx     *ng;
    harness_tls_opts   o;

    ng = start(up, "error", NULL, NULL);

    o = sae_psk(versions[_i], LOCK2, SAE_WRONG_KEY);
    handshake(ng, 0, &o);
    assert_line(ng, "error", WRONG_MSG);

    /* a bound lock writes nothing at error */
    o = sae_lock1(versions[_i]);
    handshake(ng, 0, &o);
    sentinel(ng, 1);
    ck_assert(!harness_log_contains(ng, "bound to"));
    ck_assert(!harness_log_contains(ng, "[info]"));

    sae_stop(ng);
}
END_TEST

/* each level: the failures at it, the binding at info only */
START_TEST(failures_at_each_level)
{
    harness_nginx     *ng;
    harness_tls_opts   o;
    const char        *level = levels[_i / 2];
    int                version = versions[_i % 2];

    ng = start(up, level, level, NULL);

    fail_three_ways(ng, version);
    assert_line(ng, level, UNKNOWN_MSG);
    assert_line(ng, level, WRONG_MSG);
    assert_line(ng, level, BAD_MSG);

    o = sae_lock1(version);
    handshake(ng, 0, &o);
    if (strcmp(level, "info") == 0) {
        assert_line(ng, "info", BOUND_MSG);
    } else {
        sentinel(ng, 1);
        ck_assert(!harness_log_contains(ng, "bound to"));
    }

    sae_stop(ng);
}
END_TEST

/* info, notice, warn: nothing on a log one level above */
START_TEST(failures_hidden_above_the_level)
{
    harness_nginx     *ng;

    ng = start(up, above[_i], levels[_i], NULL);

    fail_three_ways(ng, TLS1_2_VERSION);
    sentinel(ng, 1);
    ck_assert_msg(!harness_log_contains(ng, "onem2m sae: unknown psk "
                                        "identity \"nobody")
                  && !harness_log_contains(ng, "onem2m sae: wrong key")
                  && !harness_log_contains(ng, "onem2m sae: malformed"),
                  "a failure at %s shows on a log at %s:\n%s",
                  levels[_i], above[_i], harness_log(ng));

    sae_stop(ng);
}
END_TEST

/* a resumed session of an identity removed since: at the level too */
START_TEST(resumption_refused_at_the_level)
{
    harness_nginx     *ng;
    harness_tls_opts   o;
    harness_tls_result r;
    harness_response   resp;

    ng = start(up, "warn", "warn",
               "    ssl_session_cache shared:SAE:1m;\n"
               "    ssl_session_tickets off;\n");

    o = sae_lock1(TLS1_2_VERSION);
    o.ciphers = "PSK-AES128-GCM-SHA256";
    o.no_ticket = 1;
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);
    ck_assert_ptr_nonnull(r.session);

    /* lock 1 leaves the table */
    harness_nginx_write_file(ng, "kpsa.table",
                             HARNESS_LOCK2_ENTITY " " HARNESS_LOCK2_KEY_HEX
                             " " LOCK2 "\n", 0600);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);

    o.resume = r.session;
    handshake(ng, 0, &o);
    assert_line(ng, "warn", "onem2m sae: resumed session of psk identity \""
                LOCK1 "\" not bound: identity no longer in the table");

    SSL_SESSION_free(r.session);
    sae_stop(ng);
}
END_TEST

START_TEST(bad_values_refused)
{
    harness_nginx  *ng = harness_nginx_new();
    const char     *out;

    harness_nginx_write_file(ng, "kpsa.table", HARNESS_SEED_TABLE, 0600);

    sae_assert_refused(ng, "onem2m_sae_log_level debug;\n" SAE_SERVER,
                       "invalid value \"debug\"");
    sae_assert_refused(ng, "server {\n" SAE_TLS
                       "    location / { onem2m_sae_log_level warn; }\n"
                       "}\n",
                       "\"onem2m_sae_log_level\" directive is not allowed "
                       "here");

    harness_nginx_config(ng, "onem2m_sae_log_level notice;\n" SAE_SERVER);
    ck_assert_msg(harness_nginx_test(ng, &out) == 0, "%s", out);

    harness_nginx_free(ng);
}
END_TEST

Suite *sae_log_level_suite(void)
{
    return CK_SUITE("sae_log_level",
                    CK_TCASE_MS("levels", setup, teardown, 30000),
                    CK_LOOP(default_is_error_and_shows_a_wrong_key, 2),
                    CK_LOOP(failures_at_each_level, 8),
                    CK_LOOP(failures_hidden_above_the_level, 3),
                    CK_TEST(resumption_refused_at_the_level),
                    CK_TEST(bad_values_refused));
}
