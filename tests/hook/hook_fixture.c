/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hook suites' server, client and event log (hook_fixture.h).
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


static char       tmpdir[64];
ONEM2M_SAE_TABLE  *table_a;
ONEM2M_SAE_TABLE  *table_b;
ONEM2M_SAE_TABLE  *table_a2;   /* table_a after a "reload" */
ONEM2M_SAE_TABLE  *table_same; /* table_a's lock 1, another file */
ONEM2M_SAE_TABLE  *table_rekey;   /* lock 1 with another key */
event_log          events;
int                nginx_info_calls;
int                nginx_handshake_done;
int                client_psk_index = -1;
char               long_id[256];


ONEM2M_SAE_TABLE *
open_table(const char *name, const char *text)
{
    return tls_pair_table(tmpdir, name, text);
}


void
hook_setup(void)
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


void
hook_teardown(void)
{
    ONEM2M_SAE_table_free(table_a);
    ONEM2M_SAE_table_free(table_b);
    ONEM2M_SAE_table_free(table_a2);
    ONEM2M_SAE_table_free(table_same);
    ONEM2M_SAE_table_free(table_rekey);
    tls_pair_rmdir(tmpdir);
}


void
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
void
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


void
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
SSL_CTX *
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


unsigned int
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


int
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


void
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


void
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
SSL *
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


void
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


void
assert_unbound(SSL *server)
{
    ck_assert_ptr_null(ONEM2M_SAE_get_binding(server));
    ck_assert_ptr_null(ONEM2M_SAE_get_binding_table(server));
}


void
assert_only_event(int event, const char *identity, size_t identity_len)
{
    ck_assert_int_eq(events.n, 1);
    ck_assert_int_eq(events.event[0], event);
    ck_assert_uint_eq(events.identity_len[0], identity_len);
    ck_assert_int_eq(memcmp(events.identity[0], identity, identity_len), 0);
}


/* _i: 0 TLS 1.2, 1 TLS 1.3 */
int
version_of(int i)
{
    return i == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
}


SSL *
client_for(int version, client_psk *cp)
{
    return client_ssl(version, "PSK-AES128-CBC-SHA256", SHA384_SUITES, cp);
}
