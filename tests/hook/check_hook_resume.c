/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Resumption through the TLS-PSK hook, in memory: TLS 1.2 sessions from
 * a shared cache like nginx's (i2d bytes) and tickets, TLS 1.3 tickets;
 * a session is refused once its KpsaID is gone, re-keyed or provisioned
 * for another entity, and a certificate session resumed binds nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <onem2m_sae.h>
#include "check_cases.h"
#include "hook/tls_pair.h"
#include "hook/hook_fixture.h"


/* nginx's shared session cache: sessions stored as i2d bytes, by id */
#define CACHE_SLOTS  8


static struct {
    unsigned char  id[SSL_MAX_SSL_SESSION_ID_LENGTH];
    unsigned int   id_len;
    unsigned char  der[4096];
    int            der_len;
} cache[CACHE_SLOTS];
static int  cache_used;


static int
cache_new_cb(SSL *ssl, SSL_SESSION *sess)
{
    const unsigned char  *id;
    unsigned char        *p;
    unsigned int          id_len;
    int                   i;

    ck_assert_int_lt(cache_used, CACHE_SLOTS);
    ck_assert_int_le(i2d_SSL_SESSION(sess, NULL), (int) sizeof(cache[0].der));
    i = cache_used++;
    id = SSL_SESSION_get_id(sess, &id_len);
    memcpy(cache[i].id, id, id_len);
    cache[i].id_len = id_len;
    p = cache[i].der;
    cache[i].der_len = i2d_SSL_SESSION(sess, &p);

    return 0;
}


static SSL_SESSION *
cache_get_cb(SSL *ssl, const unsigned char *id, int len, int *copy)
{
    const unsigned char  *p;
    int                   i;

    *copy = 0;
    for (i = 0; i < cache_used; i++) {
        if (cache[i].id_len == (unsigned int) len
            && memcmp(cache[i].id, id, len) == 0)
        {
            p = cache[i].der;
            return d2i_SSL_SESSION(NULL, &p, cache[i].der_len);
        }
    }

    return NULL;
}


/*
 * Resumption modes: 0 TLS 1.2 session id (internal cache), 1 TLS 1.2
 * ticket, 2 TLS 1.3 ticket, 3 TLS 1.2 external cache (i2d/d2i),
 * 4 TLS 1.3 stateful with the external cache (new session objects, i2d).
 */
static SSL_CTX *
resumption_ctx(int mode)
{
    SSL_CTX  *sctx;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    cache_used = 0;

    switch (mode) {
    case 0:
        SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
        break;
    case 1:
    case 2:
        SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
        break;
    default:
        SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER
                                       | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(sctx, cache_new_cb);
        SSL_CTX_sess_set_get_cb(sctx, cache_get_cb);
        break;
    }

    return sctx;
}


static int
resumption_version(int mode)
{
    return mode == 2 || mode == 4 ? TLS1_3_VERSION : TLS1_2_VERSION;
}


/*
 * A resumed connection: the client keeps its PSK (OpenSSL clients offer
 * TLS 1.2 PSK suites only with a PSK callback; in TLS 1.3 they offer the
 * ticket first, then the external PSK).
 */
static int
resume(SSL_CTX *sctx, SSL_SESSION *sess, int version, client_psk *cp,
    SSL **server)
{
    SSL  *c;
    int   ok;

    c = client_ssl(version, "PSK-AES128-CBC-SHA256", SHA384_SUITES, cp);
    ck_assert_int_eq(SSL_set_session(c, sess), 1);
    *server = SSL_new(sctx);
    ok = tls_pair_run(c, *server);
    ck_assert_int_eq(ok, 1);
    ok = SSL_session_reused(c);
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(*server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c);

    return ok;
}


/*
 * The first, full handshake of cp's client: bound to cp's identity and
 * entity in table_a; returns the client's session.
 */
static SSL_SESSION *
first_session(SSL_CTX *sctx, int version, client_psk *cp, const char *entity)
{
    SSL          *c, *s;
    SSL_SESSION  *sess;

    c = client_for(version, cp);
    s = SSL_new(sctx);
    ck_assert_int_eq(tls_pair_run(c, s), 1);
    assert_bound(s, cp->identity, entity, table_a);
    sess = SSL_get1_session(c);
    ck_assert_ptr_nonnull(sess);
    tls_pair_free(c, s);

    return sess;
}


/* resume() after a reload to table (NULL: none), with a fresh event log */
static int
resume_after(SSL_CTX *sctx, ONEM2M_SAE_TABLE *table, SSL_SESSION *sess,
    int version, client_psk *cp, SSL **server)
{
    if (table != NULL) {
        ck_assert_int_eq(ONEM2M_SAE_CTX_set_table(sctx, table,
                                                  ONEM2M_SAE_UNKNOWN_HIDE), 1);
    }
    memset(&events, 0, sizeof(events));

    return resume(sctx, sess, version, cp, server);
}


/* the one event of a session the hook would not resume as bound */
static void
assert_resume_refused(SSL *server, const char *identity)
{
    assert_unbound(server);
    assert_only_event(ONEM2M_SAE_EV_RESUME_REFUSED, identity,
                      strlen(identity));
}


/* a ticket ignored, a full handshake with the external PSK instead */
static void
assert_ticket_ignored(void)
{
    ck_assert_int_eq(events.n, 2);
    ck_assert_int_eq(events.event[0], ONEM2M_SAE_EV_RESUME_REFUSED);
    ck_assert_int_eq(events.event[1], ONEM2M_SAE_EV_BOUND);
}


START_TEST(test_resumption)
{
    SSL_CTX      *sctx;
    SSL          *s;
    SSL_SESSION  *sess;
    client_psk    cp;
    int           version;

    version = resumption_version(_i);
    sctx = resumption_ctx(_i);
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key), 0);
    sess = first_session(sctx, version, &cp, LOCK1_ENTITY);
    if (_i >= 3) {
        ck_assert_int_gt(cache_used, 0);
    }

    /* resumed: bound again without the PSK callbacks */
    ck_assert_int_eq(resume_after(sctx, NULL, sess, version, &cp, &s), 1);
    assert_bound(s, LOCK1_ID, LOCK1_ENTITY, table_a);
    assert_only_event(ONEM2M_SAE_EV_RESUMED, LOCK1_ID, strlen(LOCK1_ID));
    SSL_free(s);

    /* reload: lock 1 gone from the table, the session is not bound */
    ck_assert_int_eq(resume_after(sctx, table_a2, sess, version, &cp, &s), 1);
    assert_resume_refused(s, LOCK1_ID);
    SSL_free(s);

    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
}
END_TEST



/*
 * The key tag in a session is HMAC-SHA256(PSK, "onem2m-sae resumption" ||
 * KpsaID), first 16 bytes, whatever computes it: sessions and tickets of
 * an older build (nginx's shared cache, a ticket key kept across an
 * upgrade) must still match.  TLS 1.2 (_i 0) and TLS 1.3 (_i 1) tickets.
 */
START_TEST(test_key_tag_format)
{
    static const char     label[] = "onem2m-sae resumption";
    SSL_CTX              *sctx;
    SSL                  *c, *s;
    client_psk            cp;
    const unsigned char  *appdata;
    unsigned char         data[sizeof(label) - 1 + sizeof(LOCK1_ID) - 1];
    unsigned char         mac[EVP_MAX_MD_SIZE];
    unsigned int          mac_len;
    void                 *p;
    size_t                len;

    sctx = resumption_ctx(_i + 1);
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key), 0);
    c = client_for(_i ? TLS1_3_VERSION : TLS1_2_VERSION, &cp);
    s = SSL_new(sctx);
    ck_assert_int_eq(tls_pair_run(c, s), 1);
    assert_bound(s, LOCK1_ID, LOCK1_ENTITY, table_a);

    ck_assert_int_eq(SSL_SESSION_get0_ticket_appdata(SSL_get_session(s), &p,
                                                     &len), 1);
    ck_assert_uint_gt(len, 16);
    appdata = p;

    memcpy(data, label, sizeof(label) - 1);
    memcpy(data + sizeof(label) - 1, LOCK1_ID, sizeof(LOCK1_ID) - 1);
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), lock1_key, sizeof(lock1_key),
                               data, sizeof(data), mac, &mac_len));
    ck_assert_mem_eq(appdata + len - 16, mac, 16);

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}


/*
 * Reloads that keep lock 1 (another table object, same line): resumed and
 * bound; that re-key lock 1: the old session no longer authenticates.  A
 * ticket is then ignored (full handshake with the lock's new key), a
 * session from the cache is resumed unbound.
 */
START_TEST(test_resumption_rekeyed)
{
    SSL_CTX      *sctx;
    SSL          *s;
    SSL_SESSION  *sess;
    client_psk    cp;
    int           version, reused;

    version = resumption_version(_i);
    sctx = resumption_ctx(_i);
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key), 0);
    sess = first_session(sctx, version, &cp, LOCK1_ENTITY);

    ck_assert_int_eq(resume_after(sctx, table_same, sess, version, &cp, &s),
                     1);
    assert_bound(s, LOCK1_ID, LOCK1_ENTITY, table_same);
    assert_only_event(ONEM2M_SAE_EV_RESUMED, LOCK1_ID, strlen(LOCK1_ID));
    SSL_free(s);

    /* the lock got its new key too */
    cp.key[cp.key_len - 1] = 0x09;
    reused = resume_after(sctx, table_rekey, sess, version, &cp, &s);

    if (_i == 1 || _i == 2) {
        /* a ticket: ignored, a full handshake with the new key instead */
        if (version == TLS1_2_VERSION) {
            ck_assert_int_eq(reused, 0);
        }
        assert_bound(s, LOCK1_ID, LOCK1_ENTITY, table_rekey);
        assert_ticket_ignored();

    } else {
        /* the session cache: resumed, and refused */
        ck_assert_int_eq(reused, 1);
        assert_resume_refused(s, LOCK1_ID);
    }
    SSL_free(s);

    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * Same KpsaID and key, now provisioned for another entity: the old
 * session is not resumed as the old entity.  _i 0: TLS 1.3 ticket
 * (resumption mode 2: ignored, the external PSK binds the new entity);
 * _i 1: TLS 1.3 session cache (mode 4: resumed unbound).
 */
START_TEST(test_resumption_entity_changed)
{
    SSL_CTX      *sctx;
    SSL          *s;
    SSL_SESSION  *sess;
    client_psk    cp;
    static const unsigned char  lock2_key[] = {
        0x12, 0x34, 0x56, 0x78, 0xab, 0xcd, 0xef, 0xab,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
    };

    sctx = resumption_ctx(_i == 0 ? 2 : 4);
    set_psk(&cp, LOCK2_ID, strlen(LOCK2_ID), lock2_key, sizeof(lock2_key), 0);
    sess = first_session(sctx, TLS1_3_VERSION, &cp, "Clock-AE2");

    ck_assert_int_eq(resume_after(sctx, table_a2, sess, TLS1_3_VERSION, &cp,
                                  &s), 1);
    if (_i == 0) {
        assert_bound(s, LOCK2_ID, "Cother", table_a2);
        assert_ticket_ignored();
    } else {
        assert_resume_refused(s, LOCK2_ID);
    }
    SSL_free(s);

    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
}
END_TEST


/* a certificate session resumed is no PSK binding */
START_TEST(test_resumption_cert)
{
    SSL_CTX      *sctx;
    SSL          *c, *s;
    SSL_SESSION  *sess;

    sctx = resumption_ctx(2);
    c = client_ssl(TLS1_3_VERSION, NULL, NULL, NULL);
    s = SSL_new(sctx);
    ck_assert_int_eq(tls_pair_run(c, s), 1);
    assert_unbound(s);
    sess = SSL_get1_session(c);
    tls_pair_free(c, s);

    ck_assert_int_eq(resume(sctx, sess, TLS1_3_VERSION, NULL, &s), 1);
    assert_unbound(s);
    ck_assert_int_eq(events.n, 0);
    SSL_free(s);

    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
}
END_TEST


Suite *hook_resume_suite(void)
{
    return CK_SUITE("hook_resume",
                    CK_TCASE("resumption", hook_setup, hook_teardown, 60),
                    CK_LOOP(test_resumption, 5),
                    CK_LOOP(test_key_tag_format, 2),
                    CK_LOOP(test_resumption_rekeyed, 5),
                    CK_LOOP(test_resumption_entity_changed, 2),
                    CK_TEST(test_resumption_cert));
}
