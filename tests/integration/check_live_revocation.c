/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Revocation means now (an operator revokes a stolen lock's key), against
 * a real nginx reading a
 * "kpsa-lmdb:" store that the test changes while nginx runs, as the sync
 * daemon would, without any reload:
 *
 *   - an added credential is seen by the next handshake;
 *   - after a revoke, new handshakes fail (TLS 1.2 and TLS 1.3);
 *   - resumption after a revoke (shared session cache, TLS 1.2 ticket,
 *     TLS 1.3 ticket) does not bind;
 *   - the next request on an open keep-alive connection is refused (4107)
 *     and the connection is closed;
 *   - after a rekey, the old key fails and the new one works, and a
 *     connection made with the old key is refused at its next request.
 */

#include <stdio.h>
#include <check.h>

#include "integration/live_fixture.h"
#include "store/store_util.h"

#define TICKET_KEY \
    "0123456789abcdef0123456789abcdef0123456789abcdef" \
    "0123456789abcdef0123456789abcdef"

#define RESUMING \
    "    ssl_session_cache shared:SAE:1m;\n" \
    "    ssl_session_tickets on;\n" \
    "    ssl_session_ticket_key {{PREFIX}}/ticket.key;\n"


static int
version_of(int i)
{
    return i == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

/* lock 1 with key, TLS 1.2 with one PSK suite or TLS 1.3 */
static harness_tls_opts
lock1_with(int version, const unsigned char *key)
{
    harness_tls_opts  o = sae_psk(version, HARNESS_LOCK1_KPSA_ID, key);

    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
    }
    return o;
}

static void
assert_bound_request(const harness_tls_opts *o, const char *uri)
{
    harness_response  resp;

    ck_assert_int_eq(live_request(&ls, o, uri, &resp), 200);
    ck_assert_str_eq(harness_upstream_last(up)->uri, uri);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
}

START_TEST(added_credential_is_seen_without_reload)
{
    static const unsigned char  key[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    harness_tls_opts            o;
    harness_response            resp;
    pid_t                       master;
    int                         version = version_of(_i);

    live_start(&ls, up, LIVE_SERVER);
    master = harness_nginx_pid(ls.ng);
    o = sae_psk(version, "AE777-Lock@in.provider.com", key);
    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
    }

    ck_assert_int_eq(live_status_of(&ls, &o, "/before"), 0);
    live_put(&ls, "AE777-Lock@in.provider.com", "Clock-AE7", key,
             sizeof(key));
    ck_assert_int_eq(live_request(&ls, &o, "/after", &resp), 200);
    sae_assert_upstream_entity(harness_upstream_last(up), "Clock-AE7");
    harness_response_free(&resp);

    /* no reload: same master, no new configuration read */
    ck_assert_int_eq(harness_nginx_pid(ls.ng), master);
    ck_assert(!harness_log_contains(ls.ng, "reconfiguring"));
    live_free(&ls, 1);
}
END_TEST

START_TEST(revoked_credential_fails_new_handshakes)
{
    harness_tls_opts  o = lock1_with(version_of(_i), SAE_LOCK1_KEY);
    harness_tls_opts  o2 = sae_lock2(version_of(_i));
    size_t            before;

    live_start(&ls, up, LIVE_SERVER);
    assert_bound_request(&o, "/before");

    live_revoke(&ls, HARNESS_LOCK1_KPSA_ID);
    before = harness_upstream_count(up);
    ck_assert_int_eq(live_status_of(&ls, &o, "/after"), 0);
    ck_assert_uint_eq(harness_upstream_count(up), before);
    ck_assert_msg(harness_log_wait(ls.ng, "unknown psk identity \""
                                   HARNESS_LOCK1_KPSA_ID "\"",
                                   2000),
                  "%s", harness_log(ls.ng));

    /* the other lock is untouched */
    if (o2.version == TLS1_2_VERSION) {
        o2.ciphers = "PSK-AES128-GCM-SHA256";
    }
    ck_assert_int_eq(live_status_of(&ls, &o2, "/lock2"), 200);
    live_free(&ls, 1);
}
END_TEST

static const struct {
    int   version;
    int   no_ticket;
} resumption[] = {
    { TLS1_2_VERSION, 1 },      /* shared session cache */
    { TLS1_2_VERSION, 0 },      /* TLS 1.2 ticket */
    { TLS1_3_VERSION, 0 },      /* TLS 1.3 ticket */
};

START_TEST(resumption_after_revoke_does_not_bind)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;
    SSL_SESSION        *sess;
    size_t              before;
    int                 version = resumption[_i].version;

    live_new(&ls, up, LIVE_SERVER_WITH("", RESUMING));
    ck_assert_int_eq(harness_nginx_write_file(ls.ng, "ticket.key",
                                              TICKET_KEY, 0600), 0);
    ck_assert_msg(harness_nginx_start(ls.ng) == 0, "%s",
                  harness_log(ls.ng));

    o = lock1_with(version, SAE_LOCK1_KEY);
    o.no_ticket = resumption[_i].no_ticket;
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ls.ng, 0), &o,
                                         "GET", "/first", NULL, NULL, &r,
                                         &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);
    sess = r.session;
    ck_assert_ptr_nonnull(sess);
    ck_assert(SSL_SESSION_is_resumable(sess));

    /* control: the session resumes bound while the credential stands */
    if (version == TLS1_3_VERSION) {
        memset(&o, 0, sizeof(o));
        o.version = version;
    }
    o.resume = sess;
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ls.ng, 0), &o,
                                         "GET", "/again", NULL, NULL, &r,
                                         &resp), 0);
    ck_assert_int_eq(r.resumed, 1);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_tls_result_free(&r);

    live_revoke(&ls, HARNESS_LOCK1_KPSA_ID);
    before = harness_upstream_count(up);
    harness_tls_request(harness_nginx_port(ls.ng, 0), &o, "GET", "/revoked",
                        NULL, NULL, &r, &resp);

    /* resumed, unbound, refused; or no handshake at all */
    if (r.handshake_ok) {
        ck_assert_int_eq(r.resumed, 1);
        sae_assert_4107(&resp);
        ck_assert_msg(harness_log_wait(ls.ng, "resumed session of psk "
                                       "identity \"" HARNESS_LOCK1_KPSA_ID
                                       "\" not bound",
                                       2000),
                      "%s", harness_log(ls.ng));
    }
    ck_assert_uint_eq(harness_upstream_count(up), before);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    SSL_SESSION_free(sess);
    live_free(&ls, 1);
}
END_TEST

/* nginx started, and a keep-alive connection of o bound by one request */
static harness_conn *
bound_connection(const harness_tls_opts *o, harness_tls_result *r)
{
    harness_conn     *c;

    live_start(&ls, up, LIVE_SERVER);
    c = harness_tls_connect(harness_nginx_port(ls.ng, 0), o, r);
    ck_assert_ptr_nonnull(c);
    sae_assert_conn_bound(c, up, "/one", HARNESS_LOCK1_ENTITY);
    return c;
}

/*
 * A keep-alive connection bound before the change: its next request is
 * refused as unbound and the connection closed; nothing reaches the
 * upstream.  rekey: the credential stays, with another key.
 */
static void
open_connection_after_change(int version, int rekey)
{
    harness_tls_opts    o = lock1_with(version, SAE_LOCK1_KEY);
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;
    size_t              before;

    c = bound_connection(&o, &r);

    if (rekey) {
        live_put(&ls, HARNESS_LOCK1_KPSA_ID, HARNESS_LOCK1_ENTITY,
                 LIVE_LOCK1_NEW_KEY, sizeof(LIVE_LOCK1_NEW_KEY));
    } else {
        live_revoke(&ls, HARNESS_LOCK1_KPSA_ID);
    }

    before = harness_upstream_count(up);
    ck_assert_int_eq(harness_http(c, "GET", "/two", NULL, NULL, 1, &resp),
                     0);
    sae_assert_4107(&resp);
    sae_assert_resp_header(&resp, "Connection", "close");
    harness_response_free(&resp);

    /* closed: a third request gets no answer */
    ck_assert_int_ne(harness_http(c, "GET", "/three", NULL, NULL, 1, &resp),
                     0);
    harness_response_free(&resp);
    harness_conn_close(c);
    harness_tls_result_free(&r);

    ck_assert_uint_eq(harness_upstream_count(up), before);
    ck_assert_msg(harness_log_wait(ls.ng, "onem2m sae: binding of psk "
                                   "identity \"" HARNESS_LOCK1_KPSA_ID
                                   "\" to \"" HARNESS_LOCK1_ENTITY "\" "
                                   "dropped: credential revoked, rekeyed "
                                   "or moved, connection closed",
                                   2000),
                  "%s", harness_log(ls.ng));
}

START_TEST(keepalive_request_after_revoke_is_refused)
{
    open_connection_after_change(version_of(_i), 0);
    live_free(&ls, 1);
}
END_TEST

START_TEST(rekey_old_key_fails_new_key_works)
{
    harness_tls_opts  old_key, new_key;
    int               version = version_of(_i);

    /* the open connection of the old key: refused, closed */
    open_connection_after_change(version, 1);

    old_key = lock1_with(version, SAE_LOCK1_KEY);
    new_key = lock1_with(version, LIVE_LOCK1_NEW_KEY);
    ck_assert_int_eq(live_status_of(&ls, &old_key, "/old"), 0);
    assert_bound_request(&new_key, "/new");
    live_free(&ls, 1);
}
END_TEST

START_TEST(unchanged_credential_stays_bound_on_keepalive)
{
    harness_tls_opts    o = lock1_with(version_of(_i), SAE_LOCK1_KEY);
    harness_tls_result  r;
    harness_conn       *c;
    int                 i;

    /* the control case: changes to others do not touch this connection */
    live_start(&ls, up, LIVE_SERVER);
    c = harness_tls_connect(harness_nginx_port(ls.ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);

    for (i = 0; i < 3; i++) {
        sae_assert_conn_bound(c, up, "/ka", HARNESS_LOCK1_ENTITY);
        live_revoke(&ls, HARNESS_LOCK2_KPSA_ID);
        live_put(&ls, HARNESS_LOCK2_KPSA_ID, HARNESS_LOCK2_ENTITY,
                 SAE_LOCK2_KEY, sizeof(SAE_LOCK2_KEY));
    }

    harness_conn_close(c);
    harness_tls_result_free(&r);
    ck_assert(!harness_log_contains(ls.ng, "dropped"));
    live_free(&ls, 1);
}
END_TEST

/*
 * A record the store cannot open (sealed under another KEK): every lookup
 * of it fails, and fails closed: the open connection's next request is
 * refused and the connection closed, new handshakes fail.
 */
START_TEST(store_error_fails_closed)
{
    static const unsigned char  other_kek[KPSA_KEK_LEN] = { 0x42 };
    harness_tls_opts            o = lock1_with(version_of(_i),
                                               SAE_LOCK1_KEY);
    harness_tls_result          r;
    harness_response            resp;
    harness_conn               *c;
    size_t                      before;

    c = bound_connection(&o, &r);

    live_put_sealed(&ls, other_kek, HARNESS_LOCK1_KPSA_ID,
                    HARNESS_LOCK1_ENTITY, SAE_LOCK1_KEY,
                    sizeof(SAE_LOCK1_KEY));
    before = harness_upstream_count(up);
    ck_assert_int_eq(harness_http(c, "GET", "/two", NULL, NULL, 1, &resp),
                     0);
    sae_assert_4107(&resp);
    harness_response_free(&resp);
    harness_conn_close(c);
    harness_tls_result_free(&r);
    ck_assert_msg(harness_log_wait(ls.ng, "dropped: the live store failed, "
                                   "connection closed",
                                   2000),
                  "%s", harness_log(ls.ng));

    ck_assert_int_eq(live_status_of(&ls, &o, "/three"), 0);
    ck_assert_msg(harness_log_wait(ls.ng, "the psk table failed the lookup "
                                   "of psk identity \""
                                   HARNESS_LOCK1_KPSA_ID "\", refused",
                                   2000),
                  "%s", harness_log(ls.ng));
    ck_assert_uint_eq(harness_upstream_count(up), before);
    live_free(&ls, 1);
}
END_TEST

/*
 * Lock 1's raw record saved, lock 1 revoked, the saved bytes written back
 * with plain liblmdb (no KEK): the record is not in the entity index any
 * more, so the lookup fails closed and lock 1 does not bind.
 */
START_TEST(written_back_record_does_not_bind)
{
    harness_tls_opts  o = lock1_with(version_of(_i), SAE_LOCK1_KEY);
    unsigned char     saved[1024];
    size_t            len = sizeof(saved), before;

    live_start(&ls, up, LIVE_SERVER);
    ck_assert_int_eq(live_status_of(&ls, &o, "/one"), 200);
    ck_assert_int_eq(su_raw_get(ls.dir, "cred", HARNESS_LOCK1_KPSA_ID, saved,
                                &len), 1);
    live_revoke(&ls, HARNESS_LOCK1_KPSA_ID);
    ck_assert_int_eq(live_status_of(&ls, &o, "/two"), 0);

    su_raw_put(ls.dir, "cred", HARNESS_LOCK1_KPSA_ID, saved, len);
    before = harness_upstream_count(up);
    ck_assert_int_eq(live_status_of(&ls, &o, "/three"), 0);
    ck_assert_uint_eq(harness_upstream_count(up), before);
    ck_assert_msg(harness_log_wait(ls.ng, "the psk table failed the lookup "
                                   "of psk identity \""
                                   HARNESS_LOCK1_KPSA_ID "\", refused",
                                   2000),
                  "%s", harness_log(ls.ng));
    live_free(&ls, 1);
}
END_TEST

Suite *live_revocation_suite(void)
{
    return CK_SUITE("live_revocation",
                    CK_TCASE_MS("live", live_setup, live_teardown, 30000),
                    CK_LOOP(added_credential_is_seen_without_reload, 2),
                    CK_LOOP(revoked_credential_fails_new_handshakes, 2),
                    CK_LOOP(resumption_after_revoke_does_not_bind, 3),
                    CK_LOOP(keepalive_request_after_revoke_is_refused, 2),
                    CK_LOOP(rekey_old_key_fails_new_key_works, 2),
                    CK_LOOP(unchanged_credential_stays_bound_on_keepalive, 2),
                    CK_LOOP(store_error_fails_closed, 2),
                    CK_LOOP(written_back_record_does_not_bind, 2));
}
