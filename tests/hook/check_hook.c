/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS-PSK hook (provider/api/sae_ssl.c) through real OpenSSL
 * handshakes in memory: an OpenSSL server SSL_CTX with the hook installed
 * and tables opened through the provider, an OpenSSL client with
 * SSL_set_psk_client_callback (TLS 1.2) or SSL_set_psk_use_session_callback
 * (TLS 1.3), connected by a BIO pair.  Resumption: check_hook_resume.c;
 * SNI: check_hook_sni.c; what the three share: hook_fixture.c.
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


/* a full handshake bound lock 1 of table_a, its one event */
static void
assert_lock1_bound(SSL *server)
{
    assert_bound(server, LOCK1_ID, LOCK1_ENTITY, table_a);
    assert_only_event(ONEM2M_SAE_EV_BOUND, LOCK1_ID, strlen(LOCK1_ID));
}


/* TLS 1.2 with each TS-0003 PSK suite */
static const char  *tls12_suites[] = {
    "PSK-AES128-CBC-SHA256", "PSK-AES128-CCM8", "PSK-AES128-GCM-SHA256",
    "PSK-AES256-GCM-SHA384"
};

START_TEST(test_tls12_suites)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 0);
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key), 0);
    c = client_ssl(TLS1_2_VERSION, tls12_suites[_i], NULL, &cp);
    s = SSL_new(sctx);

    ck_assert_int_eq(tls_pair_run(c, s), 1);
    ck_assert_str_eq(SSL_get_cipher_name(s), tls12_suites[_i]);
    assert_lock1_bound(s);
    ck_assert_ptr_eq(events.entry[0], ONEM2M_SAE_get_binding(s));
    /* the server's own info callback still runs */
    ck_assert_int_gt(nginx_info_calls, 0);
    ck_assert_int_eq(nginx_handshake_done, 1);

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * TLS 1.3 psk_dhe_ke: {client suite preference, PSK hash}; the last one is
 * what OpenSSL clients do by default (s_client -psk): SHA-384 suite first,
 * SHA-256 PSK.
 */
static const struct {
    const char  *suites;
    int          sha384;
    const char  *expect;
} tls13_cases[] = {
    { SHA256_SUITES, 0, "TLS_AES_128_GCM_SHA256" },
    { SHA384_SUITES, 1, "TLS_AES_256_GCM_SHA384" },
    { SHA384_SUITES, 0, "TLS_AES_128_GCM_SHA256" },
    { SHA256_SUITES, 1, "TLS_AES_256_GCM_SHA384" },
};

START_TEST(test_tls13_psk_dhe_ke)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;

    /* with a certificate, as nginx always has: no SHA-256 preference */
    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key),
            tls13_cases[_i].sha384);
    c = client_ssl(TLS1_3_VERSION, NULL, tls13_cases[_i].suites, &cp);
    s = SSL_new(sctx);

    ck_assert_int_eq(tls_pair_run(c, s), 1);
    ck_assert_str_eq(SSL_get_cipher_name(s), tls13_cases[_i].expect);
    ck_assert_int_eq(SSL_version(s), TLS1_3_VERSION);
    /* a key exchange took place: psk_dhe_ke */
    ck_assert_int_ne(SSL_get_negotiated_group(s), 0);
    assert_lock1_bound(s);
    ck_assert_int_eq(nginx_handshake_done, 1);

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * psk_ke: an OpenSSL 3.0 client offers psk_ke only alongside psk_dhe_ke
 * and the server prefers DHE, so the client's groups are made disjoint
 * from the server's: only psk_ke remains.  _i: 0 without, 1 with
 * AllowNoDHEKEX on the server; _i / 2 picks the suite preference.
 */
START_TEST(test_tls13_psk_ke)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;
    int          allow, sha384;

    allow = _i % 2;
    sha384 = _i / 2;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    ck_assert_int_eq(SSL_CTX_set1_groups_list(sctx, "P-256"), 1);
    if (allow) {
        SSL_CTX_set_options(sctx, SSL_OP_ALLOW_NO_DHE_KEX);
    }
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key),
            sha384);
    c = client_ssl(TLS1_3_VERSION, NULL,
                   sha384 ? SHA384_SUITES : SHA256_SUITES, &cp);
    ck_assert_int_eq(SSL_set1_groups_list(c, "P-384"), 1);
    SSL_set_options(c, SSL_OP_ALLOW_NO_DHE_KEX);
    s = SSL_new(sctx);

    if (allow) {
        ck_assert_int_eq(tls_pair_run(c, s), 1);
        ck_assert_int_eq(SSL_get_negotiated_group(s), 0);
        ck_assert_str_eq(SSL_get_cipher_name(s), sha384
                         ? "TLS_AES_256_GCM_SHA384" : "TLS_AES_128_GCM_SHA256");
        assert_lock1_bound(s);

    } else {
        /* no common group and no psk_ke: handshake_failure */
        ck_assert_int_eq(tls_pair_run(c, s), 0);
        ck_assert_int_eq(cp.alert, SSL_AD_HANDSHAKE_FAILURE);
        assert_unbound(s);
        /* the identity was known, the handshake failed */
        assert_only_event(ONEM2M_SAE_EV_BAD_KEY, LOCK1_ID, strlen(LOCK1_ID));
    }

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * HelloRetryRequest: the identities come twice, events once.  _i: 1 with
 * early data enabled (nginx "ssl_early_data on"), where OpenSSL reports
 * the handshake done as soon as the HelloRetryRequest is out.
 */
START_TEST(test_tls13_hello_retry)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    ck_assert_int_eq(SSL_CTX_set1_groups_list(sctx, "P-384"), 1);
    if (_i) {
        ck_assert_int_eq(SSL_CTX_set_max_early_data(sctx, 16384), 1);
    }
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key), 0);
    c = client_ssl(TLS1_3_VERSION, NULL, SHA384_SUITES, &cp);
    /* key share for P-256 only: the server asks again for P-384 */
    ck_assert_int_eq(SSL_set1_groups_list(c, "P-256:P-384"), 1);
    s = SSL_new(sctx);

    ck_assert_int_eq(_i ? tls_pair_run_early(c, s) : tls_pair_run(c, s), 1);
    ck_assert_int_eq(SSL_get_negotiated_group(s), NID_secp384r1);
    assert_lock1_bound(s);

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * The alert a wrong key gets, per version: TLS 1.2 fails to decrypt the
 * client's Finished, TLS 1.3 fails the binder ("binder does not verify").
 */
static int
wrong_key_alert(int version)
{
    return version == TLS1_2_VERSION ? SSL_AD_BAD_RECORD_MAC
                                     : SSL_AD_ILLEGAL_PARAMETER;
}


/* one in-memory PSK handshake: a server of table, a client_for() */
typedef struct {
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;
} psk_pair;


/* returns tls_pair_run()'s result */
static int
psk_pair_run(psk_pair *p, ONEM2M_SAE_TABLE *table, int unknown, int version,
    const char *identity, size_t identity_len, const unsigned char *key,
    size_t key_len)
{
    p->sctx = server_ctx(table, unknown, 1);
    set_psk(&p->cp, identity, identity_len, key, key_len, 0);
    p->c = client_for(version, &p->cp);
    p->s = SSL_new(p->sctx);

    return tls_pair_run(p->c, p->s);
}


static void
psk_pair_free(psk_pair *p)
{
    tls_pair_free(p->c, p->s);
    SSL_CTX_free(p->sctx);
}


/*
 * Refused handshakes, each in TLS 1.2 and 1.3 (_i % 2, version_of()):
 * alert 0 is wrong_key_alert(); entry: whether the event names the table's
 * entry.
 */
static const struct {
    const char  *identity;
    int          wrong_key;
    int          unknown;
    int          alert;
    const char  *alert_text;
    int          event;
    int          entry;
} refusals[] = {
    /* a known identity with a wrong key */
    { LOCK1_ID, 1, ONEM2M_SAE_UNKNOWN_HIDE, 0, NULL,
      ONEM2M_SAE_EV_BAD_KEY, 1 },
    /* hide: exactly the wrong-key failure */
    { UNKNOWN_ID, 0, ONEM2M_SAE_UNKNOWN_HIDE, 0, NULL,
      ONEM2M_SAE_EV_UNKNOWN, 0 },
    /*
     * alert: unknown_psk_identity (RFC 4279 2, RFC 8446 4.2.11); in TLS 1.3
     * sent from the client_hello callback.
     */
    { UNKNOWN_ID, 0, ONEM2M_SAE_UNKNOWN_ALERT, SSL_AD_UNKNOWN_PSK_IDENTITY,
      "unknown PSK identity", ONEM2M_SAE_EV_UNKNOWN, 0 },
};

START_TEST(test_refused)
{
    psk_pair         p;
    unsigned char    key[sizeof(lock1_key)];
    const char      *id;
    int              version, alert;

    memcpy(key, lock1_key, sizeof(key));
    if (refusals[_i / 2].wrong_key) {
        key[sizeof(key) - 1] ^= 1;
    }
    id = refusals[_i / 2].identity;
    version = version_of(_i % 2);
    alert = refusals[_i / 2].alert;

    ck_assert_int_eq(psk_pair_run(&p, table_a, refusals[_i / 2].unknown,
                                  version, id, strlen(id), key, sizeof(key)),
                     0);
    ck_assert_int_eq(p.cp.alert, alert ? alert : wrong_key_alert(version));
    if (refusals[_i / 2].alert_text != NULL) {
        ck_assert_str_eq(SSL_alert_desc_string_long(p.cp.alert),
                         refusals[_i / 2].alert_text);
    }
    assert_unbound(p.s);
    assert_only_event(refusals[_i / 2].event, id, strlen(id));
    if (refusals[_i / 2].entry) {
        ck_assert_ptr_nonnull(events.entry[0]);
    } else {
        ck_assert_ptr_null(events.entry[0]);
    }

    psk_pair_free(&p);
}
END_TEST


/*
 * A TLS 1.2-only server with "alert" and a client offering TLS 1.3 too:
 * its pre_shared_key extension will be ignored, so it must not be refused
 * at ClientHello time.  _i: 0 known identity, 1 unknown.
 */
START_TEST(test_alert_tls12_server)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_ALERT, 1);
    ck_assert_int_eq(SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION), 1);
    set_psk(&cp, _i ? UNKNOWN_ID : LOCK1_ID,
            strlen(_i ? UNKNOWN_ID : LOCK1_ID), lock1_key, sizeof(lock1_key),
            0);
    c = client_ssl(0, "PSK-AES128-CBC-SHA256", SHA384_SUITES, &cp);
    s = SSL_new(sctx);

    if (_i == 0) {
        ck_assert_int_eq(tls_pair_run(c, s), 1);
        ck_assert_int_eq(SSL_version(s), TLS1_2_VERSION);
        assert_lock1_bound(s);
    } else {
        ck_assert_int_eq(tls_pair_run(c, s), 0);
        ck_assert_int_eq(cp.alert, SSL_AD_UNKNOWN_PSK_IDENTITY);
        assert_unbound(s);
        assert_only_event(ONEM2M_SAE_EV_UNKNOWN, UNKNOWN_ID,
                          strlen(UNKNOWN_ID));
    }

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}
END_TEST


START_TEST(test_identity_255)
{
    psk_pair  p;

    ck_assert_int_eq(psk_pair_run(&p, table_a, ONEM2M_SAE_UNKNOWN_HIDE,
                                  version_of(_i), long_id, 255, long_key,
                                  sizeof(long_key)), 1);
    assert_bound(p.s, long_id, "Clong", table_a);
    assert_only_event(ONEM2M_SAE_EV_BOUND, long_id, 255);

    psk_pair_free(&p);
}
END_TEST


/* 256 bytes: the TLS 1.2 maximum OpenSSL accepts, one over ours */
START_TEST(test_identity_256)
{
    psk_pair  p;
    char      id[257];

    memcpy(id, long_id, 255);
    id[255] = 'b';
    id[256] = '\0';

    ck_assert_int_eq(psk_pair_run(&p, table_a, ONEM2M_SAE_UNKNOWN_HIDE,
                                  version_of(_i), id, 256, long_key,
                                  sizeof(long_key)), 0);
    ck_assert_int_eq(p.cp.alert, wrong_key_alert(version_of(_i)));
    assert_unbound(p.s);
    assert_only_event(ONEM2M_SAE_EV_BAD_IDENTITY, id, 256);

    psk_pair_free(&p);
}
END_TEST


/*
 * Non-printable identities: TLS 1.2 reports them; in TLS 1.3 binary
 * identities are what session tickets look like: declined quietly, the
 * handshake goes on with the certificate and stays unbound.
 */
START_TEST(test_identity_binary)
{
    static const char  id[] = "AE123\x01\xff-Lock@in.provider.com";
    psk_pair           p;
    int                ok;

    ok = psk_pair_run(&p, table_a, ONEM2M_SAE_UNKNOWN_HIDE, version_of(_i),
                      id, sizeof(id) - 1, lock1_key, sizeof(lock1_key));
    if (_i == 0) {
        ck_assert_int_eq(ok, 0);
        ck_assert_int_eq(p.cp.alert, SSL_AD_BAD_RECORD_MAC);
        assert_only_event(ONEM2M_SAE_EV_BAD_IDENTITY, id, sizeof(id) - 1);
    } else {
        ck_assert_int_eq(ok, 1);
        ck_assert_int_eq(events.n, 0);
    }
    assert_unbound(p.s);

    psk_pair_free(&p);
}
END_TEST


START_TEST(test_key_leading_zeros)
{
    psk_pair  p;

    ck_assert_int_eq(psk_pair_run(&p, table_a, ONEM2M_SAE_UNKNOWN_HIDE,
                                  version_of(_i), ZERO_ID, strlen(ZERO_ID),
                                  zero_key, sizeof(zero_key)), 1);
    assert_bound(p.s, ZERO_ID, "Czero", table_a);

    psk_pair_free(&p);
}
END_TEST


/* certificate-only TLS 1.3 (and 1.2) handshakes on an SAE context */
START_TEST(test_certificate_unbound)
{
    SSL_CTX  *sctx;
    SSL      *c, *s;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    c = client_ssl(version_of(_i), "ECDHE-ECDSA-AES128-GCM-SHA256", NULL,
                   NULL);
    s = SSL_new(sctx);

    ck_assert_int_eq(tls_pair_run(c, s), 1);
    assert_unbound(s);
    ck_assert_int_eq(events.n, 0);

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * A known identity offered, the PSK not usable (the server allows only
 * SHA-256 suites, the client's PSK is SHA-384): OpenSSL falls back to the
 * certificate; the connection must stay unbound.
 */
START_TEST(test_psk_offered_cert_used)
{
    SSL_CTX     *sctx;
    SSL         *c, *s;
    client_psk   cp;

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    ck_assert_int_eq(SSL_CTX_set_ciphersuites(sctx, "TLS_AES_128_GCM_SHA256"),
                     1);
    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key), 1);
    c = client_ssl(TLS1_3_VERSION, NULL, SHA384_SUITES, &cp);
    s = SSL_new(sctx);

    ck_assert_int_eq(tls_pair_run(c, s), 1);
    ck_assert_ptr_nonnull(SSL_get0_peer_certificate(c));
    assert_unbound(s);
    ck_assert_int_eq(events.n, 0);

    tls_pair_free(c, s);
    SSL_CTX_free(sctx);
}
END_TEST


/* a context without a table declines PSK; TLS 1.3 falls back to the cert */
START_TEST(test_no_table)
{
    psk_pair  p;
    int       ok;

    ok = psk_pair_run(&p, NULL, ONEM2M_SAE_UNKNOWN_HIDE, version_of(_i),
                      LOCK1_ID, strlen(LOCK1_ID), lock1_key,
                      sizeof(lock1_key));
    if (_i == 0) {
        ck_assert_int_eq(ok, 0);
        ck_assert_int_eq(p.cp.alert, SSL_AD_UNKNOWN_PSK_IDENTITY);
    } else {
        ck_assert_int_eq(ok, 1);
    }
    assert_unbound(p.s);
    assert_only_event(ONEM2M_SAE_EV_NO_TABLE, LOCK1_ID, strlen(LOCK1_ID));

    psk_pair_free(&p);
}
END_TEST


/*
 * An independent TLS stack: gnutls-cli connects over loopback TCP to a
 * server SSL made from sctx.  Returns the server SSL after the handshake
 * attempt (NULL if gnutls-cli never connected) and the client's exit
 * status.
 */
static SSL *
gnutls_connect(SSL_CTX *sctx, const char *priority, const char *identity,
    const char *hex_key, int *status)
{
    struct sockaddr_in   sin;
    struct pollfd        pfd;
    socklen_t            len;
    char                 port[16], buf[64];
    pid_t                pid;
    SSL                 *s;
    int                  lfd, fd, null;

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(lfd, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    len = sizeof(sin);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *) &sin, &len), 0);
    snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("gnutls-cli", "gnutls-cli", "--pskusername", identity,
               "--pskkey", hex_key, "--priority", priority, "-p", port,
               "127.0.0.1", (char *) NULL);
        _exit(127);
    }

    s = NULL;
    pfd.fd = lfd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 20000) == 1) {
        fd = accept(lfd, NULL, NULL);
        ck_assert_int_ge(fd, 0);
        s = SSL_new(sctx);
        SSL_set_fd(s, fd);
        if (SSL_accept(s) == 1) {
            /* until gnutls-cli, reading an empty stdin, says goodbye */
            while (SSL_read(s, buf, sizeof(buf)) > 0) {
                /* void */
            }
        }
        ERR_clear_error();
        close(fd);
    }
    close(lfd);

    ck_assert_int_eq(waitpid(pid, status, 0), pid);

    return s;
}


/* psk_ke from a client that offers nothing else; gnutls' TLS 1.2 PSK */
START_TEST(test_gnutls_interop)
{
    SSL_CTX     *sctx;
    SSL         *s;
    int          status;
    static const char  *priority[] = {
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+PSK",
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+PSK",
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK",
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK",
    };

    sctx = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 1);
    if (_i != 1) {
        SSL_CTX_set_options(sctx, SSL_OP_ALLOW_NO_DHE_KEX);
    }

    s = gnutls_connect(sctx, priority[_i], ZERO_ID,
                       "0000000a0b0c0d0e0f10111213141516", &status);
    ck_assert_ptr_nonnull(s);

    if (_i == 1) {
        /* psk_ke refused: OpenSSL ignores the PSK, nothing is reported */
        ck_assert_int_ne(WEXITSTATUS(status), 0);
        assert_unbound(s);
        ck_assert_int_eq(events.n, 0);

    } else {
        ck_assert_int_eq(WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
        ck_assert_int_eq(SSL_version(s), _i == 3 ? TLS1_2_VERSION
                                                 : TLS1_3_VERSION);
        if (_i == 0) {
            ck_assert_int_eq(SSL_get_negotiated_group(s), 0);
        }
        if (_i == 2) {
            ck_assert_int_ne(SSL_get_negotiated_group(s), 0);
        }
        assert_bound(s, ZERO_ID, "Czero", table_a);
        assert_only_event(ONEM2M_SAE_EV_BOUND, ZERO_ID, strlen(ZERO_ID));
    }

    SSL_free(s);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * One handshake of lock 1 against ctx; returns how often the server's own
 * info callback ran.  The events and the counters start from zero.
 */
static int
lock1_handshake(SSL_CTX *sctx, int version)
{
    SSL         *c, *s;
    client_psk   cp;

    memset(&events, 0, sizeof(events));
    nginx_info_calls = 0;
    nginx_handshake_done = 0;

    set_psk(&cp, LOCK1_ID, strlen(LOCK1_ID), lock1_key, sizeof(lock1_key), 0);
    c = client_ssl(version, NULL, NULL, &cp);
    s = SSL_new(sctx);
    ck_assert_int_eq(tls_pair_run(c, s), 1);
    assert_lock1_bound(s);
    ck_assert_int_eq(nginx_handshake_done, 1);
    tls_pair_free(c, s);

    return nginx_info_calls;
}

/*
 * Installing the hook twice on one context (nginx installs on every
 * server of a shared context) wraps the server's info callback once: a
 * handshake afterwards reports one event and runs the server's callback
 * as often as with one installation.
 */
START_TEST(test_install_twice)
{
    static const int  versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    SSL_CTX          *once, *twice;
    int               calls;

    once = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 0);
    calls = lock1_handshake(once, versions[_i]);
    ck_assert_int_gt(calls, 0);

    twice = server_ctx(table_a, ONEM2M_SAE_UNKNOWN_HIDE, 0);
    ck_assert_int_eq(ONEM2M_SAE_CTX_install(twice, record_event, &events), 1);
    ck_assert_int_eq(lock1_handshake(twice, versions[_i]), calls);

    SSL_CTX_free(once);
    SSL_CTX_free(twice);
}
END_TEST


START_TEST(test_api_errors)
{
    SSL_CTX  *ctx;

    ck_assert_int_eq(ONEM2M_SAE_CTX_install(NULL, NULL, NULL), 0);
    ck_assert_int_eq(ONEM2M_SAE_CTX_set_table(NULL, table_a,
                                              ONEM2M_SAE_UNKNOWN_HIDE), 0);
    ctx = SSL_CTX_new(TLS_server_method());
    ck_assert_int_eq(ONEM2M_SAE_CTX_set_table(ctx, table_a, 2), 0);
    ck_assert_int_eq(ONEM2M_SAE_CTX_set_table(ctx, table_a, -1), 0);
    /* installing twice does not wrap our own info callback */
    ck_assert_int_eq(ONEM2M_SAE_CTX_install(ctx, NULL, NULL), 1);
    ck_assert_int_eq(ONEM2M_SAE_CTX_install(ctx, record_event, &events), 1);
    ck_assert_ptr_null(ONEM2M_SAE_get_binding(NULL));
    ck_assert_ptr_null(ONEM2M_SAE_get_binding_table(NULL));
    SSL_CTX_free(ctx);
}
END_TEST


Suite *hook_suite(void)
{
    return CK_SUITE("hook",
                    CK_TCASE("handshakes", hook_setup, hook_teardown, 60),
                    CK_LOOP(test_tls12_suites, 4),
                    CK_LOOP(test_tls13_psk_dhe_ke, 4),
                    CK_LOOP(test_tls13_psk_ke, 4),
                    CK_LOOP(test_tls13_hello_retry, 2),
                    CK_LOOP(test_refused, 2 * CK_N(refusals)),
                    CK_LOOP(test_alert_tls12_server, 2),
                    CK_LOOP(test_identity_255, 2),
                    CK_LOOP(test_identity_256, 2),
                    CK_LOOP(test_identity_binary, 2),
                    CK_LOOP(test_key_leading_zeros, 2),
                    CK_LOOP(test_certificate_unbound, 2),
                    CK_TEST(test_psk_offered_cert_used),
                    CK_LOOP(test_no_table, 2), CK_LOOP(test_gnutls_interop, 4),
                    CK_LOOP(test_install_twice, 2),
                    CK_TEST(test_api_errors));
}
