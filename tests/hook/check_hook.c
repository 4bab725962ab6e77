/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS-PSK hook (provider/api/sae_ssl.c) through real OpenSSL
 * handshakes in memory: an OpenSSL server SSL_CTX with the hook installed
 * and tables opened through the provider, an OpenSSL client with
 * SSL_set_psk_client_callback (TLS 1.2) or SSL_set_psk_use_session_callback
 * (TLS 1.3), connected by a BIO pair.
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


#define LOCK1_ID      "AE123456789012-Lock@in.provider.com"
#define LOCK1_ENTITY  "Clock-AE1"
#define LOCK2_ID      "AE123456789015-Lock@in.provider.com"
#define ZERO_ID       "zero-key@in.provider.com"
#define B1_ID         "B1-Lock@b.provider.com"
#define B1_ENTITY     "Cdoor-B1"
#define UNKNOWN_ID    "AE999999999999-Lock@in.provider.com"

#define SHA256_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
#define SHA384_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

#define MAX_EVENTS    16


/* what the server's event callback saw */
typedef struct {
    int                       n;
    int                       event[MAX_EVENTS];
    char                      identity[MAX_EVENTS][300];
    size_t                    identity_len[MAX_EVENTS];
    const ONEM2M_SAE_ENTRY   *entry[MAX_EVENTS];
} event_log;

/* the client's credential */
typedef struct {
    char            identity[400];
    size_t          identity_len;
    unsigned char   key[64];
    size_t          key_len;
    int             sha384;           /* hash of the TLS 1.3 PSK */
    int             alert;            /* last alert received, -1 none */
} client_psk;


static char               tmpdir[64];
static ONEM2M_SAE_TABLE  *table_a;
static ONEM2M_SAE_TABLE  *table_b;
static ONEM2M_SAE_TABLE  *table_a2;   /* table_a after a "reload" */
static ONEM2M_SAE_TABLE  *table_same; /* table_a's lock 1, another file */
static ONEM2M_SAE_TABLE  *table_rekey;   /* lock 1 with another key */
static event_log          events;
static int                nginx_info_calls;
static int                nginx_handshake_done;
static int                client_psk_index = -1;
static char               long_id[256];

static const unsigned char  lock1_key[] = {
    0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x7a, 0x8b,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
};
static const unsigned char  zero_key[] = {
    0x00, 0x00, 0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16
};
static const unsigned char  long_key[] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01
};
static const unsigned char  b1_key[] = {
    0xb1, 0xb1, 0xb1, 0xb1, 0x01, 0x02, 0x03, 0x04,
    0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c
};


static ONEM2M_SAE_TABLE *
open_table(const char *name, const char *text)
{
    return tls_pair_table(tmpdir, name, text);
}


static void
setup(void)
{
    char  text[2048];

    tls_pair_mkdir(tmpdir, sizeof(tmpdir), "/tmp/check_hook.XXXXXX");

    /* 191 + "@" + 63 = the longest identity, 255 bytes */
    memset(long_id, 'a', 191);
    long_id[191] = '@';
    memset(long_id + 192, 'b', 63);
    long_id[255] = '\0';

    snprintf(text, sizeof(text),
             "# entity key KpsaID\n"
             LOCK1_ENTITY " 1a2b3c4d5e6f7a8b0102030405060708 " LOCK1_ID "\n"
             "Clock-AE2 12345678abcdefab0102030405060708 " LOCK2_ID "\n"
             "Czero 0000000a0b0c0d0e0f10111213141516 " ZERO_ID "\n"
             "Clong 112233445566778899aabbccddeeff00"
             "112233445566778899aabbccddeeff01 %s\n", long_id);
    table_a = open_table("a.table", text);
    ck_assert_ptr_nonnull(table_a);

    table_b = open_table("b.table",
             B1_ENTITY " b1b1b1b10102030405060708090a0b0c " B1_ID "\n");
    ck_assert_ptr_nonnull(table_b);

    /* after a reload: lock 1 removed, lock 2 now another entity */
    table_a2 = open_table("a2.table",
             "Cother 12345678abcdefab0102030405060708 " LOCK2_ID "\n");
    ck_assert_ptr_nonnull(table_a2);

    table_same = open_table("same.table",
             LOCK1_ENTITY " 1a2b3c4d5e6f7a8b0102030405060708 " LOCK1_ID "\n");
    ck_assert_ptr_nonnull(table_same);
    ck_assert_ptr_ne(table_same, table_a);
    table_rekey = open_table("rekey.table",
             LOCK1_ENTITY " 1a2b3c4d5e6f7a8b0102030405060709 " LOCK1_ID "\n");
    ck_assert_ptr_nonnull(table_rekey);

    memset(&events, 0, sizeof(events));
    nginx_info_calls = 0;
    nginx_handshake_done = 0;

    if (client_psk_index < 0) {
        client_psk_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
}


static void
teardown(void)
{
    ONEM2M_SAE_table_free(table_a);
    ONEM2M_SAE_table_free(table_b);
    ONEM2M_SAE_table_free(table_a2);
    ONEM2M_SAE_table_free(table_same);
    ONEM2M_SAE_table_free(table_rekey);
    tls_pair_rmdir(tmpdir);
}


static void
record_event(SSL *ssl, void *arg, int event, const char *identity,
    size_t identity_len, const ONEM2M_SAE_ENTRY *entry)
{
    int  i;

    ck_assert_ptr_eq(arg, &events);
    ck_assert_int_lt(events.n, MAX_EVENTS);
    ck_assert_uint_le(identity_len, sizeof(events.identity[0]));

    if (getenv("HOOK_DEBUG") != NULL) {
        fprintf(stderr, "event %d\n", event);
    }
    i = events.n++;
    events.event[i] = event;
    memcpy(events.identity[i], identity, identity_len);
    events.identity_len[i] = identity_len;
    events.entry[i] = entry;
}


/* stands for nginx's ngx_ssl_info_callback, which must keep running */
static void
nginx_info_cb(const SSL *ssl, int where, int ret)
{
    nginx_info_calls++;
    if ((where & SSL_CB_ALERT) && getenv("HOOK_DEBUG") != NULL) {
        fprintf(stderr, "server %s alert %s\n",
                (where & SSL_CB_READ) ? "read" : "wrote",
                SSL_alert_desc_string_long(ret));
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        nginx_handshake_done++;
    }
}


static void
make_cert(SSL_CTX *ctx)
{
    EVP_PKEY   *pkey;
    X509       *x;
    X509_NAME  *name;

    pkey = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(pkey);
    x = X509_new();
    ck_assert_ptr_nonnull(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) "mn-cse", -1, -1, 0);
    X509_set_issuer_name(x, name);
    ck_assert_int_gt(X509_sign(x, pkey, EVP_sha256()), 0);
    ck_assert_int_eq(SSL_CTX_use_certificate(ctx, x), 1);
    ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, pkey), 1);
    X509_free(x);
    EVP_PKEY_free(pkey);
}


/* a server context as nginx builds one, then the hook */
static SSL_CTX *
server_ctx(ONEM2M_SAE_TABLE *table, int unknown, int cert)
{
    SSL_CTX  *ctx;

    ctx = SSL_CTX_new(TLS_server_method());
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx,
        "PSK-AES128-CBC-SHA256:PSK-AES128-CCM8:PSK-AES128-GCM-SHA256:"
        "PSK-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"), 1);
    SSL_CTX_set_info_callback(ctx, nginx_info_cb);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *) "t", 1);
    if (cert) {
        make_cert(ctx);
    }

    ck_assert_int_eq(ONEM2M_SAE_CTX_install(ctx, record_event, &events), 1);
    if (table != NULL) {
        ck_assert_int_eq(ONEM2M_SAE_CTX_set_table(ctx, table, unknown), 1);
    }

    return ctx;
}


static unsigned int
client_psk_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *psk,
    unsigned int max_psk_len)
{
    client_psk  *cp;

    cp = SSL_get_ex_data(ssl, client_psk_index);

    return tls_pair_psk_copy(cp->identity, cp->identity_len, cp->key,
                             cp->key_len, identity, max_identity_len, psk,
                             max_psk_len);
}


static int
client_use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
    size_t *idlen, SSL_SESSION **sess)
{
    static const unsigned char  sha256[] = { 0x13, 0x01 };
    static const unsigned char  sha384[] = { 0x13, 0x02 };
    const SSL_CIPHER           *cipher;
    client_psk                 *cp;

    cp = SSL_get_ex_data(ssl, client_psk_index);
    cipher = SSL_CIPHER_find(ssl, cp->sha384 ? sha384 : sha256);
    /* after a HelloRetryRequest: the suite's hash (compare by type, the
     * EVP_MD objects differ) */
    if (md != NULL && EVP_MD_get_type(SSL_CIPHER_get_handshake_digest(cipher))
                      != EVP_MD_get_type(md))
    {
        *id = NULL;
        *idlen = 0;
        *sess = NULL;
        return 1;
    }

    *id = (const unsigned char *) cp->identity;
    *idlen = cp->identity_len;
    *sess = tls_pair_psk_session(cipher, cp->key, cp->key_len);

    return 1;
}


static void
client_info_cb(const SSL *ssl, int where, int ret)
{
    client_psk  *cp;

    if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ)) {
        cp = SSL_get_ex_data(ssl, client_psk_index);
        if (cp != NULL) {
            cp->alert = ret & 0xff;
        }
    }
}


static void
set_psk(client_psk *cp, const char *identity, size_t identity_len,
    const unsigned char *key, size_t key_len, int sha384)
{
    memset(cp, 0, sizeof(*cp));
    memcpy(cp->identity, identity, identity_len);
    cp->identity_len = identity_len;
    memcpy(cp->key, key, key_len);
    cp->key_len = key_len;
    cp->sha384 = sha384;
    cp->alert = -1;
}


/*
 * A client for one protocol version, 0 for TLS 1.2 and 1.3; cp NULL: no
 * PSK at all.  cipher12 / suites13 select what it offers.
 */
static SSL *
client_ssl(int version, const char *cipher12, const char *suites13,
    client_psk *cp)
{
    SSL_CTX  *ctx;
    SSL      *ssl;

    ctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(SSL_CTX_set_min_proto_version(ctx,
                     version != 0 ? version : TLS1_2_VERSION), 1);
    ck_assert_int_eq(SSL_CTX_set_max_proto_version(ctx,
                     version != 0 ? version : TLS1_3_VERSION), 1);
    if (cipher12 != NULL) {
        ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx, cipher12), 1);
    }
    if (suites13 != NULL) {
        ck_assert_int_eq(SSL_CTX_set_ciphersuites(ctx, suites13), 1);
    }
    SSL_CTX_set_info_callback(ctx, client_info_cb);

    ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    ck_assert_ptr_nonnull(ssl);

    if (cp != NULL) {
        SSL_set_ex_data(ssl, client_psk_index, cp);
        if (version != TLS1_2_VERSION) {
            SSL_set_psk_use_session_callback(ssl, client_use_session_cb);
        }
        if (version != TLS1_3_VERSION) {
            SSL_set_psk_client_callback(ssl, client_psk_cb);
        }
    }

    return ssl;
}




static void
assert_bound(SSL *server, const char *kpsa_id, const char *entity,
    ONEM2M_SAE_TABLE *table)
{
    const ONEM2M_SAE_ENTRY  *e;

    e = ONEM2M_SAE_get_binding(server);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->kpsa_id_len, strlen(kpsa_id));
    ck_assert_int_eq(memcmp(e->kpsa_id, kpsa_id, e->kpsa_id_len), 0);
    ck_assert_uint_eq(e->entity_len, strlen(entity));
    ck_assert_int_eq(memcmp(e->entity, entity, e->entity_len), 0);
    ck_assert_ptr_eq(ONEM2M_SAE_get_binding_table(server), table);
    /* stable */
    ck_assert_ptr_eq(ONEM2M_SAE_get_binding(server), e);
}


static void
assert_unbound(SSL *server)
{
    ck_assert_ptr_null(ONEM2M_SAE_get_binding(server));
    ck_assert_ptr_null(ONEM2M_SAE_get_binding_table(server));
}


static void
assert_only_event(int event, const char *identity, size_t identity_len)
{
    ck_assert_int_eq(events.n, 1);
    ck_assert_int_eq(events.event[0], event);
    ck_assert_uint_eq(events.identity_len[0], identity_len);
    ck_assert_int_eq(memcmp(events.identity[0], identity, identity_len), 0);
}


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


/* _i: 0 TLS 1.2, 1 TLS 1.3 */
static int
version_of(int i)
{
    return i == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
}


static SSL *
client_for(int version, client_psk *cp)
{
    return client_ssl(version, "PSK-AES128-CBC-SHA256", SHA384_SUITES, cp);
}


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
END_TEST


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

    /* our own callback cannot be chained to itself */
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
                    CK_TCASE("handshakes", setup, teardown, 60),
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
                    CK_LOOP(test_resumption, 5),
                    CK_LOOP(test_key_tag_format, 2),
                    CK_LOOP(test_resumption_rekeyed, 5),
                    CK_LOOP(test_resumption_entity_changed, 2),
                    CK_TEST(test_resumption_cert),
                    CK_LOOP(test_sni_two_tables, 2),
                    CK_LOOP(test_sni_chained_client_hello, 2),
                    CK_LOOP(test_sni_servername_cb, 2),
                    CK_LOOP(test_certificate_unbound, 2),
                    CK_TEST(test_psk_offered_cert_used),
                    CK_LOOP(test_no_table, 2), CK_LOOP(test_gnutls_interop, 4),
                    CK_TEST(test_api_errors));
}
