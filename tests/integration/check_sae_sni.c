/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Two SAE servers on one listen address, each with its own table, chosen
 * by SNI: each lock is bound only by its own server's table, and a binding
 * made with one server's table is never used by the other server (no
 * silent use of the wrong table).  TLS 1.2 and TLS 1.3 alike: the TLS 1.3
 * PSK is looked up in the table of the server SNI names.  A non-SAE default
 * server does not keep the SAE server behind it from working.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

static harness_upstream  *up;
static harness_nginx     *ng;

#define TABLE_A \
    HARNESS_LOCK1_ENTITY " " HARNESS_LOCK1_KEY_HEX " " \
    HARNESS_LOCK1_KPSA_ID "\n"
#define TABLE_B \
    HARNESS_LOCK2_ENTITY " " HARNESS_LOCK2_KEY_HEX " " \
    HARNESS_LOCK2_KPSA_ID "\n"

#define SNI_SERVER(name, table) \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    server_name " name ";\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/" table ";\n" \
    "    add_header X-Server " name " always;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

static void
setup(void)
{
    up = sae_upstream_start(HARNESS_UPSTREAM_HTTP);
    ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ng);
    harness_nginx_write_file(ng, "a.table", TABLE_A, 0600);
    harness_nginx_write_file(ng, "b.table", TABLE_B, 0600);
    /* one ticket key for both servers: a's tickets decrypt on b */
    harness_nginx_write_file(ng, "ticket.key",
                             "0123456789abcdef0123456789abcdef"
                             "0123456789abcdef0123456789abcdef"
                             "0123456789abcdef", 0600);
    harness_nginx_set_upstream(ng, up);
    harness_nginx_config(ng,
                         "ssl_session_ticket_key {{PREFIX}}/ticket.key;\n"
                         SNI_SERVER("a.example", "a.table")
                         SNI_SERVER("b.example", "b.table"));
    ck_assert_msg(harness_nginx_start(ng) == 0, "%s", harness_log(ng));
}

static void
teardown(void)
{
    sae_fixture_stop(&up, NULL, &ng);
}

/* status of one request; the server that answered in *server */
static int
ask(harness_nginx *n, harness_tls_opts *o, const char *sni,
    const char *host, char *server, size_t len)
{
    harness_tls_result  r;
    harness_response    resp;
    char                extra[128];
    int                 status = 0;

    /* nginx picks the server of a request by its Host: SNI by default */
    o->sni = sni;
    if (host == NULL) {
        host = sni;
    }
    snprintf(extra, sizeof(extra), "Host: %s\r\n", host ? host : "");
    if (harness_tls_request(harness_nginx_port(n, 0), o, "GET", "/",
                            host ? extra : NULL, NULL, &r, &resp) == 0)
    {
        status = resp.status;
        if (server != NULL) {
            const char  *v = harness_resp_header(&resp, "X-Server");

            snprintf(server, len, "%s", v ? v : "");
        }
        if (status == 403) {
            sae_assert_4107(&resp);
        }
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    return status;
}

/* a request answered 200 by the server "expect", reaching u bound to entity */
static void
assert_served(harness_nginx *n, harness_upstream *u, harness_tls_opts *o,
    const char *sni, const char *host, const char *expect, const char *entity)
{
    char  server[64];

    ck_assert_int_eq(ask(n, o, sni, host, server, sizeof(server)), 200);
    ck_assert_str_eq(server, expect);
    sae_assert_upstream_entity(harness_upstream_last(u), entity);
}

START_TEST(each_server_binds_its_own_lock)
{
    harness_tls_opts  o1 = sae_lock1(sae_versions[_i]);
    harness_tls_opts  o2 = sae_lock2(sae_versions[_i]);
    char              server[64];
    int               st;

    assert_served(ng, up, &o1, "a.example", NULL, "a.example",
                  HARNESS_LOCK1_ENTITY);
    /*
     * TLS 1.3 too: OpenSSL resolves the pre_shared_key extension before the
     * servername callback, but in the named server's table (nginx >= 1.29.2
     * switches servers in its ClientHello callback, which the hook calls
     * first; before, the module names the server to the hook).
     */
    st = ask(ng, &o2, "b.example", NULL, server, sizeof(server));
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(server, "b.example");
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK2_ENTITY);
    ck_assert_uint_eq(harness_upstream_count(up), 2);
}
END_TEST

START_TEST(tls13_sni_with_one_shared_table)
{
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n = harness_nginx_new();
    harness_tls_opts    o = sae_lock2(TLS1_3_VERSION);

    /* the same file on both servers: one shared table, TLS 1.3 works */
    harness_nginx_write_file(n, "a.table", HARNESS_SEED_TABLE, 0600);
    harness_nginx_set_upstream(n, u);
    harness_nginx_config(n,
                         SNI_SERVER("a.example", "a.table")
                         SNI_SERVER("b.example", "a.table"));
    ck_assert_msg(harness_nginx_start(n) == 0, "%s", harness_log(n));
    assert_served(n, u, &o, "b.example", NULL, "b.example",
                  HARNESS_LOCK2_ENTITY);
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

START_TEST(lock_of_the_other_server_is_not_bound)
{
    harness_tls_opts  o1 = sae_lock1(sae_versions[_i]);
    harness_tls_opts  o2 = sae_lock2(sae_versions[_i]);
    int               st;

    /* lock 1 is only in a.table: via SNI b it must not be bound */
    st = ask(ng, &o1, "b.example", NULL, NULL, 0);
    ck_assert_msg(st == 0 || st == 403, "status %d", st);
    /* lock 2 without SNI lands on the default server a */
    st = ask(ng, &o2, NULL, NULL, NULL, 0);
    ck_assert_msg(st == 0 || st == 403, "status %d", st);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
}
END_TEST

START_TEST(host_of_the_other_server_does_not_reuse_the_binding)
{
    harness_tls_opts  o1 = sae_lock1(sae_versions[_i]);
    char              server[64];
    int               st;

    /*
     * Bound by a.table through SNI a, request routed to server b by its
     * Host: the binding was made with another table, so it is unbound.
     */
    o1.ciphers = sae_versions[_i] == TLS1_2_VERSION ? "PSK-AES128-CBC-SHA256"
                                                : NULL;
    st = ask(ng, &o1, "a.example", "b.example", server, sizeof(server));
    ck_assert_str_eq(server, "b.example");
    ck_assert_int_eq(st, 403);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
}
END_TEST

START_TEST(session_of_one_server_is_not_bound_on_the_other)
{
    harness_tls_opts    o = sae_lock1(sae_versions[_i]);
    harness_tls_result  r;
    harness_response    resp;
    SSL_SESSION        *sess;
    int                 st;

    o.sni = "a.example";
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/", "Host: a.example\r\n",
                                         NULL, &r, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);
    sess = r.session;
    ck_assert_ptr_nonnull(sess);
    /* the same session offered to server b, whose table lacks lock 1 */
    o.resume = sess;
    st = ask(ng, &o, "b.example", NULL, NULL, 0);
    ck_assert_msg(st == 0 || st == 403, "status %d", st);
    ck_assert_uint_eq(harness_upstream_count(up), 1);
    SSL_SESSION_free(sess);
}
END_TEST

START_TEST(sae_server_behind_a_plain_default_server)
{
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n = harness_nginx_new();
    harness_tls_opts    o = sae_lock1(sae_versions[_i]);

    harness_nginx_write_file(n, "a.table", TABLE_A, 0600);
    harness_nginx_set_upstream(n, u);
    harness_nginx_config(n,
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl default_server;\n"
        "    server_name plain.example;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        /*
         * TLS 1.2 negotiates with the cipher list of the default server's
         * SSL_CTX (an SNI switch does not change it): it must list the PSK
         * suites for the SAE server behind it.
         */
        "    ssl_ciphers " SAE_PSK_CIPHERS ":ECDHE-ECDSA-AES128-GCM-SHA256;\n"
        "    return 200 plain;\n"
        "}\n"
        SNI_SERVER("a.example", "a.table"));
    ck_assert_msg(harness_nginx_start(n) == 0, "%s", harness_log(n));
    /* TLS 1.3 looks the PSK up in the named server's table too */
    assert_served(n, u, &o, "a.example", NULL, "a.example",
                  HARNESS_LOCK1_ENTITY);
    /* without SNI the lock lands on the plain server: nothing bound */
    {
        harness_tls_result  r;
        harness_response    resp;

        o.sni = NULL;
        if (harness_tls_request(harness_nginx_port(n, 0), &o, "GET",
                                "/x", NULL, NULL, &r, &resp) == 0)
        {
            ck_assert_str_eq(resp.body, "plain");
        }
        ck_assert_uint_eq(harness_upstream_count(u), 1);
        harness_response_free(&resp);
        harness_tls_result_free(&r);
    }
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

/*
 * The server a TLS 1.3 lock names by wildcard, regex, or in another case
 * with a final dot: nginx's own name rules pick the table (nginx before
 * 1.29.2: ngx_http_onem2m_sae_sni.c follows them).
 */
static const char *const names[] = {
    "lock.b.example", "c42.example", "B.EXAMPLE.", "b.example:443",
};

START_TEST(tls13_lock_of_a_named_server_by_any_name_form)
{
    harness_upstream   *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *n = harness_nginx_new();
    harness_tls_opts    o2 = sae_lock2(TLS1_3_VERSION);
    harness_tls_opts    o1 = sae_lock1(TLS1_3_VERSION);
    int                 st;

    harness_nginx_write_file(n, "a.table", TABLE_A, 0600);
    harness_nginx_write_file(n, "b.table", TABLE_B, 0600);
    harness_nginx_set_upstream(n, u);
    harness_nginx_config(n,
        SNI_SERVER("a.example", "a.table")
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    server_name b.example *.b.example \"~^c[0-9]+\\.example$\";\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_ciphers " SAE_PSK_CIPHERS ";\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/b.table;\n"
        "    add_header X-Server b.example always;\n"
        "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
        "}\n");
    ck_assert_msg(harness_nginx_start(n) == 0, "%s", harness_log(n));

    assert_served(n, u, &o2, names[_i], "b.example", "b.example",
                  HARNESS_LOCK2_ENTITY);

    /* lock 1 naming server b that way: not in b's table, never a's */
    st = ask(n, &o1, names[_i], "b.example", NULL, 0);
    ck_assert_msg(st == 0 || st == 403, "status %d", st);
    ck_assert_uint_eq(harness_upstream_count(u), 1);

    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

Suite *sae_sni_suite(void)
{
    return CK_SUITE("sae_sni",
                    CK_TCASE_MS("sni", setup, teardown, 30000),
                    CK_LOOP(each_server_binds_its_own_lock, 2),
                    CK_LOOP(lock_of_the_other_server_is_not_bound, 2),
                    CK_LOOP(host_of_the_other_server_does_not_reuse_the_binding,
                            2),
                    CK_LOOP(session_of_one_server_is_not_bound_on_the_other,
                            2),
                    CK_TCASE_MS("shared", NULL, NULL, 30000),
                    CK_TEST(tls13_sni_with_one_shared_table),
                    CK_TCASE_MS("names", NULL, NULL, 30000),
                    CK_LOOP(tls13_lock_of_a_named_server_by_any_name_form, 4),
                    CK_TCASE_MS("default", NULL, NULL, 30000),
                    CK_LOOP(sae_server_behind_a_plain_default_server, 2));
}
