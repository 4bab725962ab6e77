/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Two servers on one address through the TLS-PSK hook, in memory: each
 * SNI name finds its own table, whether the server switches contexts in
 * its servername callback (nginx before 1.29.2) or in its own ClientHello
 * callback, which the hook chains.
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
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <onem2m_sae.h>
#include "check_cases.h"
#include "hook/tls_pair.h"
#include "hook/hook_fixture.h"


/* SNI like nginx's ngx_http_ssl_servername: switch SSL_CTX by name */
static SSL_CTX  *sni_b;


static int
servername_cb(SSL *ssl, int *ad, void *arg)
{
    const char  *name;

    name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name != NULL && strcmp(name, "b.example") == 0) {
        SSL_set_SSL_CTX(ssl, sni_b);
    }

    return SSL_TLSEXT_ERR_OK;
}


/* server A (returned, switching in its servername callback) and sni_b */
static SSL_CTX *
sni_servers(void)
{
    SSL_CTX  *sctx;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    SSL_CTX_set_tlsext_servername_callback(sctx, servername_cb);
    sni_b = server_ctx(table_b, ONEM2M_SAE_UNKNOWN_HIDE, 1);

    return sctx;
}


/* one PSK handshake of lock B1 (b1) or lock 1 naming a server */
static int
sni_handshake(SSL_CTX *sctx, int version, client_psk *cp, int b1,
    const char *name, SSL **c, SSL **s)
{
    memset(&events, 0, sizeof(events));
    if (b1) {
        set_psk(cp, B1_ID, strlen(B1_ID), b1_key, sizeof(b1_key), 0);
    } else {
        set_psk(cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key,
                sizeof(lock1_key), 0);
    }
    *c = client_for(version, cp);
    SSL_set_tlsext_host_name(*c, name);
    *s = SSL_new(sctx);

    return tls_pair_run(*c, *s);
}


/*
 * Two servers on one listener.  _i: 0 TLS 1.2, 1 TLS 1.3.
 * TLS 1.2 looks the identity up after the switch (server B's table);
 * TLS 1.3 before it (server A's, the default), and such a binding is
 * refused once the connection belongs to B.
 */
START_TEST(test_sni_two_tables)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;
    int          version, ok;

    version = version_of(_i);
    sctx = sni_servers();

    /* B's lock naming server B */
    ok = sni_handshake(sctx, version, &cp, 1, "b.example", &c, &s);
    if (version == TLS1_2_VERSION) {
        ck_assert_int_eq(ok, 1);
        ck_assert_ptr_eq(SSL_get_SSL_CTX(s), sni_b);
        assert_bound(s, B1_ID, B1_ENTITY, table_b);
        assert_only_event(ONEM2M_SAE_EV_BOUND, B1_ID, strlen(B1_ID));
    } else {
        /* looked up in A's table: unknown there */
        ck_assert_int_eq(ok, 0);
        assert_unbound(s);
        assert_only_event(ONEM2M_SAE_EV_UNKNOWN, B1_ID, strlen(B1_ID));
    }
    tls_pair_free(c, s);

    /* A's lock naming server B */
    ok = sni_handshake(sctx, version, &cp, 0, "b.example", &c, &s);
    if (version == TLS1_2_VERSION) {
        ck_assert_int_eq(ok, 0);
        assert_only_event(ONEM2M_SAE_EV_UNKNOWN, LOCK1_ID, strlen(LOCK1_ID));
    } else {
        ck_assert_int_eq(ok, 1);
        ck_assert_ptr_eq(SSL_get_SSL_CTX(s), sni_b);
        assert_only_event(ONEM2M_SAE_EV_OTHER_TABLE, LOCK1_ID,
                          strlen(LOCK1_ID));
    }
    assert_unbound(s);
    tls_pair_free(c, s);

    /* A's lock naming server A */
    ck_assert_int_eq(sni_handshake(sctx, version, &cp, 0, "a.example", &c,
                                   &s), 1);
    assert_bound(s, LOCK1_ID, LOCK1_ENTITY, table_a);
    tls_pair_free(c, s);

    SSL_CTX_free(sni_b);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * B's lock naming B binds with B's table; A's lock naming B is unknown
 * there, and never looked up in A's table.
 */
static void
assert_sni_selects_b(SSL_CTX *sctx, int version)
{
    SSL         *c, *s;
    client_psk   cp;

    ck_assert_int_eq(sni_handshake(sctx, version, &cp, 1, "b.example", &c,
                                   &s), 1);
    ck_assert_ptr_eq(SSL_get_SSL_CTX(s), sni_b);
    assert_bound(s, B1_ID, B1_ENTITY, table_b);
    assert_only_event(ONEM2M_SAE_EV_BOUND, B1_ID, strlen(B1_ID));
    tls_pair_free(c, s);

    ck_assert_int_eq(sni_handshake(sctx, version, &cp, 0, "b.example", &c,
                                   &s), 0);
    assert_unbound(s);
    assert_only_event(ONEM2M_SAE_EV_UNKNOWN, LOCK1_ID, strlen(LOCK1_ID));
    tls_pair_free(c, s);
}


/* the SNI name of a ClientHello, read raw as nginx >= 1.29.2 does */
static int
client_hello_names(SSL *ssl, const char *name)
{
    const unsigned char  *p;
    size_t                len;

    return SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len)
           && len == 5 + strlen(name)
           && memcmp(p + 5, name, strlen(name)) == 0;
}


/* the server's own ClientHello callback: switches like nginx >= 1.29.2 */
static int  own_calls;
static int  own_refuses;


static int
own_client_hello_cb(SSL *ssl, int *ad, void *arg)
{
    ck_assert_ptr_eq(arg, &own_calls);
    own_calls++;

    if (own_refuses) {
        *ad = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_CLIENT_HELLO_ERROR;
    }

    if (client_hello_names(ssl, "b.example")) {
        SSL_set_SSL_CTX(ssl, sni_b);
    }

    return SSL_CLIENT_HELLO_SUCCESS;
}


/*
 * Chain, never replace: the server's ClientHello callback, set before the
 * hook, is called first, its switch holds for the TLS 1.3 lookup (B's
 * lock naming B binds with B's table), and its refusal ends the handshake
 * before the hook looks at anything.  _i: 0 TLS 1.2, 1 TLS 1.3.
 */
START_TEST(test_sni_chained_client_hello)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;
    int          version;

    version = version_of(_i);
    own_calls = 0;
    own_refuses = 0;
    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    sni_b = server_ctx(table_b, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    ck_assert_int_eq(ONEM2M_SAE_CTX_chain_client_hello(sctx,
                         own_client_hello_cb, &own_calls), 1);

    assert_sni_selects_b(sctx, version);
    ck_assert_int_eq(own_calls, 2);

    /* the server's refusal is kept: no handshake, the hook saw nothing */
    own_refuses = 1;
    ck_assert_int_eq(sni_handshake(sctx, version, &cp, 0, "a.example", &c,
                                   &s), 0);
    ck_assert_int_eq(own_calls, 3);
    assert_unbound(s);
    ck_assert_int_eq(events.n, 0);
    tls_pair_free(c, s);

    /*
     * No context, nothing chained.  (That the hook's own callback is never
     * chained to itself is a guard the public API cannot reach: OpenSSL
     * has no getter for a context's ClientHello callback.)
     */
    ck_assert_int_eq(ONEM2M_SAE_CTX_chain_client_hello(NULL,
                         own_client_hello_cb, NULL), 0);

    SSL_CTX_free(sni_b);
    SSL_CTX_free(sctx);
}
END_TEST


/* what the server says a name selects, before its servername callback */
static SSL_CTX  *sni_said_b;


static SSL_CTX *
select_cb(SSL *ssl, const char *name, size_t len, void *arg)
{
    ck_assert_ptr_eq(arg, &sni_said_b);

    if (len == sizeof("b.example") - 1
        && memcmp(name, "b.example", len) == 0)
    {
        return sni_said_b;
    }

    return NULL;
}


/*
 * A server that switches only in its servername callback (nginx before
 * 1.29.2) names the context to the hook: TLS 1.3 looks up in B's table.
 * When what it names is not where the handshake ends (here: it says A,
 * the switch goes to B), the lock is left unbound: never another
 * server's table.  _i: 0 TLS 1.2, 1 TLS 1.3.
 */
START_TEST(test_sni_servername_cb)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;
    int          version, rc;

    version = version_of(_i);
    sctx = sni_servers();
    sni_said_b = sni_b;
    ck_assert_int_eq(ONEM2M_SAE_CTX_set_servername_cb(sctx, select_cb,
                                                      &sni_said_b), 1);

    assert_sni_selects_b(sctx, version);

    /* the server names A for b.example, then switches to B */
    sni_said_b = sctx;
    rc = sni_handshake(sctx, version, &cp, 0, "b.example", &c, &s);
    if (version == TLS1_2_VERSION) {
        /* TLS 1.2 looks up after the switch, in B's table */
        ck_assert_int_eq(rc, 0);
        assert_only_event(ONEM2M_SAE_EV_UNKNOWN, LOCK1_ID,
                          strlen(LOCK1_ID));
    } else {
        ck_assert_int_eq(rc, 1);
        ck_assert_ptr_eq(SSL_get_SSL_CTX(s), sni_b);
        assert_only_event(ONEM2M_SAE_EV_OTHER_TABLE, LOCK1_ID,
                          strlen(LOCK1_ID));
    }
    assert_unbound(s);
    tls_pair_free(c, s);

    SSL_CTX_free(sni_b);
    SSL_CTX_free(sctx);
}
END_TEST


Suite *hook_sni_suite(void)
{
    return CK_SUITE("hook_sni",
                    CK_TCASE("sni", hook_setup, hook_teardown, 60),
                    CK_LOOP(test_sni_two_tables, 2),
                    CK_LOOP(test_sni_chained_client_hello, 2),
                    CK_LOOP(test_sni_servername_cb, 2));
}
