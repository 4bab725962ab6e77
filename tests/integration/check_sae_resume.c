/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Resumption bypasses the PSK callbacks: the binding must survive it (TLS
 * 1.2 session cache, TLS 1.2 tickets, TLS 1.3 tickets), and a resumed
 * session whose identity was removed from the table (reload) must not be
 * bound.  The resuming TLS 1.3 client offers no external PSK at all, so a
 * binding can only come from the resumed session; the TLS 1.2 client must
 * keep its PSK callback (OpenSSL), so "resumed" is checked as well.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

/* 80 bytes: an AES-256 ticket key that survives reloads */
#define TICKET_KEY \
    "0123456789abcdef0123456789abcdef0123456789abcdef" \
    "0123456789abcdef0123456789abcdef"

#define RESUME_SERVER(session) \
    "server {\n" \
    SAE_TLS \
    session \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

#define CACHE_ONLY \
    "    ssl_session_cache shared:SAE:1m;\n" \
    "    ssl_session_tickets off;\n"
#define TICKETS_ONLY \
    "    ssl_session_tickets on;\n" \
    "    ssl_session_ticket_key {{PREFIX}}/ticket.key;\n"
#define BOTH \
    "    ssl_session_cache shared:SAE:1m;\n" \
    "    ssl_session_tickets on;\n" \
    "    ssl_session_ticket_key {{PREFIX}}/ticket.key;\n"

SAE_UPSTREAM_FIXTURE()

static harness_nginx *
start(const char *http, const char *table)
{
    harness_nginx  *ng = harness_nginx_new();
    int             rc;

    ck_assert_ptr_nonnull(ng);
    harness_nginx_write_file(ng, "kpsa.table", table, 0600);
    harness_nginx_write_file(ng, "ticket.key", TICKET_KEY, 0600);
    harness_nginx_set_upstream(ng, up);
    harness_nginx_config(ng, http);
    rc = harness_nginx_start(ng);
    ck_assert_msg(rc == 0, "%s", harness_log(ng));
    return ng;
}

/* a full handshake of lock 1; returns its session */
static SSL_SESSION *
first(harness_nginx *ng, int version, int no_ticket)
{
    harness_tls_opts    o = sae_lock1(version);
    harness_tls_result  r;
    harness_response    resp;
    SSL_SESSION        *sess;

    o.no_ticket = no_ticket;
    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
    }
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                         "GET", "/first", NULL, NULL, &r,
                                         &resp), 0);
    /* TLS 1.3 reports an external PSK handshake as a reuse */
    ck_assert_int_eq(r.resumed, version == TLS1_3_VERSION);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    sess = r.session;
    ck_assert_ptr_nonnull(sess);
    ck_assert(SSL_SESSION_is_resumable(sess));
    return sess;
}

/* a client with no PSK of its own, only the session */
static void
resume(harness_nginx *ng, int version, SSL_SESSION *sess, int no_ticket,
    harness_tls_result *r, harness_response *resp)
{
    harness_tls_opts  o;

    if (version == TLS1_2_VERSION) {
        /*
         * An OpenSSL client offers no PSK suite without a PSK callback, so
         * the TLS 1.2 client keeps its key; r->resumed tells the cases.
         */
        o = sae_lock1(version);
        o.ciphers = "PSK-AES128-GCM-SHA256";
    } else {
        memset(&o, 0, sizeof(o));
        o.version = version;
    }
    o.resume = sess;
    o.no_ticket = no_ticket;
    harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/again",
                        NULL, NULL, r, resp);
}

static void
assert_resumed_and_bound(harness_nginx *ng, int version, SSL_SESSION *sess,
    int no_ticket)
{
    harness_tls_result  r;
    harness_response    resp;

    resume(ng, version, sess, no_ticket, &r, &resp);
    ck_assert_int_eq(r.handshake_ok, 1);
    ck_assert_int_eq(r.resumed, 1);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(harness_upstream_last(up)->uri, "/again");
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}

/* each way to resume, each version: the resumed session is bound */
static const struct {
    const char  *server;
    int          version;
    int          no_ticket;
    int          ticket;        /* the first session must hold a ticket */
    int          resumptions;
} resumption[] = {
    { RESUME_SERVER(CACHE_ONLY), TLS1_2_VERSION, 1, 0, 2 },
    { RESUME_SERVER(TICKETS_ONLY), TLS1_2_VERSION, 0, 1, 1 },
    { RESUME_SERVER(TICKETS_ONLY), TLS1_3_VERSION, 0, 0, 1 },
};

/* a test's end: the exchange (if any) and the session freed, nginx stopped */
static void
finish(harness_nginx *ng, SSL_SESSION *sess, harness_tls_result *r,
    harness_response *resp)
{
    if (resp != NULL) {
        harness_response_free(resp);
    }
    if (r != NULL) {
        harness_tls_result_free(r);
    }
    SSL_SESSION_free(sess);
    sae_stop(ng);
}

START_TEST(resumed_session_is_bound)
{
    harness_nginx  *ng = start(resumption[_i].server, HARNESS_SEED_TABLE);
    int             v = resumption[_i].version, i;
    SSL_SESSION    *sess = first(ng, v, resumption[_i].no_ticket);

    if (resumption[_i].ticket) {
        ck_assert(SSL_SESSION_has_ticket(sess));
    }
    for (i = 0; i < resumption[_i].resumptions; i++) {
        assert_resumed_and_bound(ng, v, sess, resumption[_i].no_ticket);
    }
    finish(ng, sess, NULL, NULL);
}
END_TEST

static const struct {
    int   version;
    int   no_ticket;
} removal[] = {
    { TLS1_2_VERSION, 1 },      /* shared session cache */
    { TLS1_2_VERSION, 0 },      /* TLS 1.2 ticket */
    { TLS1_3_VERSION, 0 },      /* TLS 1.3 ticket */
};

START_TEST(session_survives_an_unchanged_reload)
{
    harness_nginx  *ng = start(RESUME_SERVER(BOTH), HARNESS_SEED_TABLE);
    SSL_SESSION    *sess = first(ng, removal[_i].version,
                                 removal[_i].no_ticket);

    /* the control case of the removal test: resumption across a reload */
    ck_assert_int_eq(harness_nginx_reload(ng), 0);
    assert_resumed_and_bound(ng, removal[_i].version, sess,
                             removal[_i].no_ticket);
    finish(ng, sess, NULL, NULL);
}
END_TEST

START_TEST(removed_identity_is_not_bound_on_resumption)
{
    harness_nginx      *ng = start(RESUME_SERVER(BOTH), HARNESS_SEED_TABLE);
    SSL_SESSION        *sess;
    harness_tls_result  r;
    harness_response    resp;
    size_t              before;

    sess = first(ng, removal[_i].version, removal[_i].no_ticket);
    before = harness_upstream_count(up);
    /* lock 1 leaves the table */
    harness_nginx_write_file(ng, "kpsa.table",
                             HARNESS_LOCK2_ENTITY " " HARNESS_LOCK2_KEY_HEX
                             " " HARNESS_LOCK2_KPSA_ID "\n", 0600);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);
    resume(ng, removal[_i].version, sess, removal[_i].no_ticket, &r, &resp);
    /*
     * Not ignored, not refused in the handshake: the session (cache entry,
     * TLS 1.2 or TLS 1.3 ticket) resumes, unbound, and requests get 4107
     * (what docs/limits.md says).
     */
    ck_assert_int_eq(r.handshake_ok, 1);
    ck_assert_int_eq(r.resumed, 1);
    sae_assert_4107(&resp);
    ck_assert_msg(harness_log_wait(ng, "onem2m sae: resumed session of psk "
                                   "identity \"" HARNESS_LOCK1_KPSA_ID "\" "
                                   "not bound: identity no longer in the "
                                   "table", 2000),
                  "%s", harness_log(ng));
    ck_assert_uint_eq(harness_upstream_count(up), before);
    finish(ng, sess, &r, &resp);
}
END_TEST

START_TEST(rebound_identity_is_not_resumed_as_the_old_entity)
{
    harness_nginx      *ng = start(RESUME_SERVER(BOTH), HARNESS_SEED_TABLE);
    SSL_SESSION        *sess;
    harness_tls_result  r;
    harness_response    resp;
    size_t              before;

    sess = first(ng, TLS1_3_VERSION, 0);
    before = harness_upstream_count(up);
    /* the same KpsaID now belongs to another entity */
    harness_nginx_write_file(ng, "kpsa.table",
                             "Clock-AE9 " HARNESS_LOCK1_KEY_HEX " "
                             HARNESS_LOCK1_KPSA_ID "\n", 0600);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);
    resume(ng, TLS1_3_VERSION, sess, 0, &r, &resp);
    if (r.handshake_ok && resp.status == 200) {
        sae_assert_upstream_entity(harness_upstream_last(up), "Clock-AE9");
    } else {
        ck_assert_uint_eq(harness_upstream_count(up), before);
    }
    finish(ng, sess, &r, &resp);
}
END_TEST

Suite *sae_resume_suite(void)
{
    return CK_SUITE("sae_resume",
                    CK_TCASE_MS("resume", setup, teardown, 30000),
                    CK_LOOP(resumed_session_is_bound, CK_N(resumption)),
                    CK_LOOP(session_survives_an_unchanged_reload, 3),
                    CK_LOOP(removed_identity_is_not_bound_on_resumption, 3),
                    CK_TEST(
                        rebound_identity_is_not_resumed_as_the_old_entity));
}
