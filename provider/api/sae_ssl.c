/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS-PSK hook: TS-0003 SAE on any OpenSSL 3 server's SSL_CTX.
 *
 * Per context (SSL_CTX ex_data): the psk-lookup-table, the unknown-identity
 * policy, the server's event callback and the info callback we wrap.
 * Per connection (SSL ex_data): what the handshake offered and whether it
 * really completed with that key.
 *
 * OpenSSL 3.0 facts this file is built on (ssl/statem/statem_srvr.c,
 * extensions_srvr.c, ssl_sess.c):
 *
 *   - TLS 1.3: the cipher suite is chosen, then the pre_shared_key
 *     extension is parsed (psk_find_session_cb) inside
 *     ssl_get_prev_session(), both BEFORE the servername callback: the
 *     lookup uses the table of the SSL_CTX the connection was created
 *     with.  The binding remembers that table.
 *   - TLS 1.3: a PSK session whose hash differs from the chosen suite's is
 *     silently skipped (full handshake).  The client's binder length tells
 *     its hash, so the client_hello callback (run before the suite is
 *     chosen) narrows the TLS 1.3 suites to that hash.
 *   - TLS 1.3: the raw pre_shared_key extension is consumed while OpenSSL
 *     parses it; the binders are read in the client_hello callback, which
 *     is also the only place that can send unknown_psk_identity
 *     (psk_find_session_cb can only abort with internal_error).
 *   - TLS 1.3: a wrong binder is illegal_parameter ("binder does not
 *     verify"); a hidden unknown identity gets a random key and fails the
 *     same way.  TLS 1.2: a wrong key fails the client's Finished,
 *     bad_record_mac; a hidden unknown identity gets a random key.
 *   - TLS 1.3: when psk_find_session_cb declines, the legacy
 *     psk_server_callback is tried too (for identities <= 256 bytes); ours
 *     declines in TLS 1.3.
 *   - TLS 1.2: psk_server_callback runs at ClientKeyExchange, after the SNI
 *     switch; the identity is cut at its first NUL by OpenSSL; identities
 *     over 256 bytes are refused by OpenSSL (decode_error) before us.
 *   - Both callbacks are copied into the SSL by SSL_new() only; the info
 *     callback and the client_hello callback are read from the current
 *     context at the time they fire.
 *   - One client_hello callback per context, and no getter: the server's
 *     own (nginx >= 1.29.2 switches to the SNI-named server's context in
 *     it) is handed to us and called first.  Where the server switches
 *     only in its servername callback, its servername_cb tells us the
 *     context a name selects, and TLS 1.3 looks up in that one's table.
 *   - Resumption bypasses both callbacks; ticket app data travels inside
 *     the ticket and in i2d_SSL_SESSION (shared caches), ex_data does not.
 *   - A session from SSL_SESSION_new() has verify_result 1, not X509_V_OK,
 *     and a TLS 1.3 PSK handshake (or a resumption of its tickets) hands
 *     it to SSL_get_verify_result(): a server that verifies client
 *     certificates (nginx "ssl_verify_client") would take the PSK client
 *     for one whose certificate failed.  No certificate: X509_V_OK.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

#include "onem2m_sae.h"
#include "common/onem2m_text.h"


typedef void (*sae_info_cb_fn)(const SSL *ssl, int where, int ret);

typedef struct {
    ONEM2M_SAE_TABLE     *table;
    int                   unknown_identity;   /* ONEM2M_SAE_UNKNOWN_* */
    int                   installed;
    ONEM2M_SAE_EVENT_CB   event;
    void                 *event_arg;
    sae_info_cb_fn        next_info_cb;       /* the server's own, or NULL */
    SSL_client_hello_cb_fn  next_client_hello; /* likewise */
    void                 *next_client_hello_arg;
    ONEM2M_SAE_SERVERNAME_CB  servername;     /* SNI name -> context */
    void                 *servername_arg;
} sae_ctx_conf;

/* psk_key_exchange_modes, RFC 8446 4.2.9 */
#define SAE_PSK_KE            0
#define SAE_PSK_DHE_KE        1

/* identities of one ClientHello whose binder length we keep */
#define SAE_MAX_OFFERED       8

/* where a connection's handshake stands */
#define SAE_NONE        0   /* no external PSK taken by us (yet) */
#define SAE_TENTATIVE   1   /* we gave OpenSSL the key of entry */
#define SAE_REJECTED    2   /* identity refused or handshake failed */

/* ticket app data: magic, version, KpsaID and entity length-prefixed,
 * key tag */
#define SAE_APPDATA_MAGIC     0x6d
#define SAE_APPDATA_VERSION   1
#define SAE_KEY_TAG_LEN       16

/*
 * The credential a connection holds, tentative or bound: copies of the
 * lookup's strings, so that a binding stays valid however the table (a
 * live store) changes, and the generation it was found with.  The key is
 * never kept, only its tag (sae_key_tag()).  Written only before the
 * connection is bound: a binding's strings do not change for the life of
 * the SSL object.
 */
typedef struct {
    ONEM2M_SAE_ENTRY          entry;          /* into the buffers, no key */
    unsigned long long        generation;     /* 0 in a text table */
    int                       live;           /* from a live store */
    unsigned char             tag[SAE_KEY_TAG_LEN];
    char                      kpsa_id[ONEM2M_SAE_MAX_ID_LEN + 1];
    char                      entity[ONEM2M_SAE_MAX_ID_LEN + 1];
} sae_cred;

typedef struct {
    int                       state;
    int                       settled;        /* bound/unbound decided */
    const ONEM2M_SAE_ENTRY   *entry;          /* &cred.entry or NULL */
    ONEM2M_SAE_TABLE         *table;          /* the table entry is from */
    const ONEM2M_SAE_ENTRY   *binding;        /* set once settled bound */
    sae_cred                  cred;           /* what entry points to */
    SSL_CTX                  *lookup_ctx;     /* the SNI-named server's,
                                                 before the switch */
    unsigned int              reported;       /* bit per event sent */
    ONEM2M_SAE_EVENT_CB       event;          /* of the lookup context */
    void                     *event_arg;

    /* the pre_shared_key extension of the last ClientHello */
    unsigned int              offered;        /* identities recorded */
    unsigned int              next_offered;   /* psk_find_session calls */
    unsigned short            offered_len[SAE_MAX_OFFERED];
    unsigned char             binder_len[SAE_MAX_OFFERED];
} sae_conn;

/* a key of plausible length for identities we hide */
#define SAE_DUMMY_KEY_LEN     32


static int sae_ctx_index = -1;
static int sae_conn_index = -1;
static CRYPTO_ONCE sae_once = CRYPTO_ONCE_STATIC_INIT;
static int sae_once_ok;


static void
sae_ctx_conf_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
    OPENSSL_free(ptr);
}


static void
sae_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
    OPENSSL_free(ptr);
}


/* SSL_dup() must not share our per-connection state */
static int
sae_conn_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d,
    int idx, long argl, void *argp)
{
    *from_d = NULL;
    return 1;
}


static void
sae_init_indexes(void)
{
    sae_ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
                                             sae_ctx_conf_free);
    sae_conn_index = SSL_get_ex_new_index(0, NULL, NULL, sae_conn_dup,
                                          sae_conn_free);
    sae_once_ok = sae_ctx_index >= 0 && sae_conn_index >= 0;
}


static int
sae_init(void)
{
    return CRYPTO_THREAD_run_once(&sae_once, sae_init_indexes) && sae_once_ok;
}


static sae_ctx_conf *
sae_get_conf(const SSL_CTX *ctx)
{
    if (ctx == NULL || !sae_once_ok) {
        return NULL;
    }

    return SSL_CTX_get_ex_data(ctx, sae_ctx_index);
}


static sae_ctx_conf *
sae_get_or_create_conf(SSL_CTX *ctx)
{
    sae_ctx_conf  *conf;

    if (!sae_init()) {
        return NULL;
    }

    conf = SSL_CTX_get_ex_data(ctx, sae_ctx_index);
    if (conf != NULL) {
        return conf;
    }

    conf = OPENSSL_zalloc(sizeof(*conf));
    if (conf == NULL) {
        return NULL;
    }

    if (!SSL_CTX_set_ex_data(ctx, sae_ctx_index, conf)) {
        OPENSSL_free(conf);
        return NULL;
    }

    return conf;
}


static sae_conn *
sae_get_conn(const SSL *ssl)
{
    if (!sae_once_ok) {
        return NULL;
    }

    return SSL_get_ex_data(ssl, sae_conn_index);
}


static sae_conn *
sae_get_or_create_conn(SSL *ssl)
{
    sae_conn      *conn;
    sae_ctx_conf  *conf;

    conn = sae_get_conn(ssl);
    if (conn != NULL || !sae_once_ok) {
        return conn;
    }

    conn = OPENSSL_zalloc(sizeof(*conn));
    if (conn == NULL) {
        return NULL;
    }

    if (!SSL_set_ex_data(ssl, sae_conn_index, conn)) {
        OPENSSL_free(conn);
        return NULL;
    }

    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf != NULL) {
        conn->event = conf->event;
        conn->event_arg = conf->event_arg;
    }

    return conn;
}


/*
 * The context whose table TLS 1.3 looks identities and tickets up in: the
 * one the ClientHello's server name selects, when the server told us
 * before it switched, else the connection's current one.
 */
static sae_ctx_conf *
sae_lookup_conf(SSL *ssl, sae_conn *conn)
{
    if (conn != NULL && conn->lookup_ctx != NULL) {
        return sae_get_conf(conn->lookup_ctx);
    }

    return sae_get_conf(SSL_get_SSL_CTX(ssl));
}


/* each event at most once per connection */
static void
sae_report(SSL *ssl, sae_conn *conn, int event, const char *identity,
    size_t identity_len, const ONEM2M_SAE_ENTRY *entry)
{
    sae_ctx_conf         *conf;
    ONEM2M_SAE_EVENT_CB   cb;
    void                 *arg;

    if (conn->reported & (1u << event)) {
        return;
    }
    conn->reported |= 1u << event;

    /* the server of the connection now, else the one that looked it up */
    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf != NULL && conf->installed && conf->event != NULL) {
        cb = conf->event;
        arg = conf->event_arg;
    } else {
        cb = conn->event;
        arg = conn->event_arg;
    }

    if (cb != NULL) {
        cb(ssl, arg, event, identity, identity_len, entry);
    }
}


/*
 * A KpsaID is "relative@fqdn" in visible ASCII (TS-0003 10.5); anything
 * with bytes outside visible ASCII and space cannot be one.
 *
 * TLS 1.3 identities are also session tickets (binary, from us or from
 * another server): those are declined without an event.  Text identities
 * (onem2m_text_all_printable()) are external PSK identities.
 */
static int
sae_identity_well_formed(const unsigned char *id, size_t len)
{
    return len > 0 && len <= ONEM2M_SAE_MAX_ID_LEN
           && onem2m_text_all_visible(id, len);
}


/*-
 * Lookups
 * -------
 * Every lookup of the hook is an ONEM2M_SAE_table_get() into storage on
 * the caller's stack (a live store has no stable entries): 1 found, 0 not
 * found (or revoked), -1 store error, which fails closed.  The caller
 * copies what it keeps (sae_cred_copy(): strings, generation and key tag,
 * never the key) and cleanses the lookup (ONEM2M_SAE_lookup_cleanse()).
 */



static int sae_key_tag(const ONEM2M_SAE_ENTRY *entry, unsigned char *tag);


/* what a connection keeps of a lookup */
static int
sae_cred_copy(sae_cred *cred, const ONEM2M_SAE_LOOKUP *lk)
{
    const ONEM2M_SAE_ENTRY  *e;

    e = &lk->entry;

    if (e->kpsa_id_len > ONEM2M_SAE_MAX_ID_LEN
        || e->entity_len > ONEM2M_SAE_MAX_ID_LEN
        || !sae_key_tag(e, cred->tag))
    {
        return 0;
    }

    memcpy(cred->kpsa_id, e->kpsa_id, e->kpsa_id_len);
    cred->kpsa_id[e->kpsa_id_len] = '\0';
    memcpy(cred->entity, e->entity, e->entity_len);
    cred->entity[e->entity_len] = '\0';

    /* a text table's lookup points into the table, a live one's into lk */
    cred->live = e->kpsa_id == lk->kpsa_id_buf;
    cred->entry = *e;
    cred->entry.kpsa_id = cred->kpsa_id;
    cred->entry.entity = cred->entity;
    cred->entry.key = NULL;
    cred->entry.key_len = 0;
    cred->generation = lk->generation;

    return 1;
}


/* the connection's credential, never rewritten once it is bound */
static int
sae_hold(sae_conn *conn, const ONEM2M_SAE_LOOKUP *lk)
{
    if (conn->binding != NULL || !sae_cred_copy(&conn->cred, lk)) {
        return 0;
    }

    conn->entry = &conn->cred.entry;

    return 1;
}


/*
 * Records the length of each identity of the ClientHello's TLS 1.3
 * pre_shared_key extension and of its binder (the PSK's hash size).
 * Returns the binder length of the first text identity, else of the first
 * identity (a ticket: OpenSSL skips it when the chosen suite's hash is not
 * its session's), or 0.  The raw extension must be read here: OpenSSL
 * consumes it while parsing, before psk_find_session_cb runs.
 */
static size_t
sae_record_offered(SSL *ssl, sae_conn *conn, const unsigned char **first,
    size_t *first_len)
{
    const unsigned char  *ext, *ids, *binders, *id;
    size_t                ext_len, ids_len, binders_len, id_len, pos, n;
    size_t                first_text;
    unsigned int          index;

    conn->offered = 0;
    conn->next_offered = 0;
    *first = NULL;
    *first_len = 0;

    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, &ext, &ext_len)
        || ext_len < 2)
    {
        return 0;
    }

    ids_len = ((size_t) ext[0] << 8) | ext[1];
    if (2 + ids_len + 2 > ext_len) {
        return 0;
    }
    ids = ext + 2;
    first_text = SAE_MAX_OFFERED;

    for (pos = 0, index = 0; pos + 2 <= ids_len; index++) {
        id_len = ((size_t) ids[pos] << 8) | ids[pos + 1];
        if (pos + 2 + id_len + 4 > ids_len) {
            return 0;
        }
        id = ids + pos + 2;
        pos += 2 + id_len + 4;

        if (index == 0) {
            *first = id;
            *first_len = id_len;
        }

        if (index < SAE_MAX_OFFERED) {
            conn->offered_len[index] = (unsigned short) id_len;
            if (first_text == SAE_MAX_OFFERED
                && onem2m_text_all_printable(id, id_len))
            {
                first_text = index;
            }
        }
    }

    binders = ext + 2 + ids_len;
    binders_len = ((size_t) binders[0] << 8) | binders[1];
    if (2 + ids_len + 2 + binders_len > ext_len) {
        return 0;
    }
    binders += 2;

    for (pos = 0, index = 0; pos < binders_len; index++) {
        n = binders[pos];
        if (pos + 1 + n > binders_len) {
            conn->offered = 0;
            return 0;
        }
        if (index < SAE_MAX_OFFERED) {
            conn->binder_len[index] = (unsigned char) n;
            conn->offered = index + 1;
        }
        pos += 1 + n;
    }

    if (first_text < conn->offered) {
        return conn->binder_len[first_text];
    }

    return conn->offered > 0 ? conn->binder_len[0] : 0;
}


/*
 * The binder length of the identity psk_find_session_cb is called for:
 * OpenSSL calls it for the offered identities in order.
 */
static size_t
sae_offered_binder_len(sae_conn *conn, size_t identity_len)
{
    unsigned int  index;

    index = conn->next_offered++;

    if (index < conn->offered && conn->offered_len[index] == identity_len) {
        return conn->binder_len[index];
    }

    return 0;
}


static size_t
sae_cipher_hash_len(const SSL_CIPHER *cipher)
{
    const EVP_MD  *md;

    md = SSL_CIPHER_get_handshake_digest(cipher);

    return md != NULL ? (size_t) EVP_MD_get_size(md) : 0;
}


/*
 * Before the TLS 1.3 suite is chosen: when the client offers an external
 * PSK, keep only the suites of its hash, else OpenSSL would pick a suite
 * the PSK cannot be used with (OpenSSL clients default to SHA-256 PSKs and
 * prefer TLS_AES_256_GCM_SHA384) and fall back to a certificate handshake.
 * Unknown identities are treated alike so that "hide" stays hidden.
 */
static int
sae_narrow_suites(SSL *ssl, size_t binder_len)
{
    STACK_OF(SSL_CIPHER)  *ciphers;
    const SSL_CIPHER      *cipher;
    size_t                 len, used;
    char                   list[256];
    const char            *name;
    int                    i, keep, drop;

    ciphers = SSL_get_ciphers(ssl);
    used = 0;
    keep = 0;
    drop = 0;
    list[0] = '\0';

    for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
        cipher = sk_SSL_CIPHER_value(ciphers, i);
        if (SSL_CIPHER_get_protocol_id(cipher) >> 8 != 0x13) {
            continue;
        }
        if (sae_cipher_hash_len(cipher) != binder_len) {
            drop++;
            continue;
        }
        name = SSL_CIPHER_get_name(cipher);
        len = strlen(name);
        if (used + len + 2 > sizeof(list)) {
            return 1;
        }
        if (used > 0) {
            list[used++] = ':';
        }
        memcpy(list + used, name, len + 1);
        used += len;
        keep++;
    }

    /* nothing to narrow, or nothing left: let OpenSSL decide */
    if (drop == 0 || keep == 0) {
        return 1;
    }

    return SSL_set_ciphersuites(ssl, list);
}


/*
 * Whether OpenSSL will negotiate TLS 1.3 and use the pre_shared_key
 * extension: both sides allow TLS 1.3, and one of the client's
 * psk_key_exchange_modes is acceptable (psk_ke needs AllowNoDHEKEX).
 */
static int
sae_tls13_psk_possible(SSL *ssl)
{
    const unsigned char  *p;
    size_t                len, i;
    long                  max;
    int                   tls13;

    max = SSL_get_max_proto_version(ssl);
    if ((max != 0 && max < TLS1_3_VERSION)
        || (SSL_get_options(ssl) & SSL_OP_NO_TLSv1_3))
    {
        return 0;
    }

    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p,
                                   &len)
        || len < 1 || (size_t) p[0] + 1 > len)
    {
        return 0;
    }

    tls13 = 0;
    for (i = 1; i + 1 < (size_t) p[0] + 1; i += 2) {
        if (p[i] == 0x03 && p[i + 1] == 0x04) {
            tls13 = 1;
        }
    }

    if (!tls13
        || !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk_kex_modes, &p,
                                      &len)
        || len < 1 || (size_t) p[0] + 1 > len)
    {
        return 0;
    }

    for (i = 1; i < (size_t) p[0] + 1; i++) {
        if (p[i] == SAE_PSK_DHE_KE
            || (p[i] == SAE_PSK_KE
                && (SSL_get_options(ssl) & SSL_OP_ALLOW_NO_DHE_KEX)))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The context the ClientHello's server_name extension (RFC 6066 3: one
 * host_name) selects, asked from the server's servername_cb; NULL for the
 * current one.  A malformed extension selects nothing here: OpenSSL and
 * the server's servername callback refuse it later.
 */
static SSL_CTX *
sae_servername_ctx(SSL *ssl, sae_ctx_conf *conf)
{
    const unsigned char  *p;
    size_t                len;

    if (conf == NULL || conf->servername == NULL
        || !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len))
    {
        return NULL;
    }

    if (len < 5
        || (((size_t) p[0] << 8) | p[1]) + 2 != len
        || p[2] != TLSEXT_NAMETYPE_host_name
        || (((size_t) p[3] << 8) | p[4]) + 5 != len
        || len - 5 > TLSEXT_MAXLEN_host_name
        || memchr(p + 5, '\0', len - 5) != NULL)
    {
        return NULL;
    }

    return conf->servername(ssl, (const char *) p + 5, len - 5,
                            conf->servername_arg);
}


/*
 * Runs before OpenSSL parses the ClientHello's extensions (and, but for
 * the server's own client_hello callback, before the SNI switch, like the
 * TLS 1.3 PSK lookup): calls the server's callback first, records the
 * offered identities and the context of the server the client names,
 * narrows the TLS 1.3 suites, and with "alert" refuses an unknown first
 * identity with unknown_psk_identity, which OpenSSL 3.0 offers no other
 * way to send in TLS 1.3.
 */
static int
sae_client_hello_cb(SSL *ssl, int *alert, void *arg)
{
    const unsigned char     *first;
    sae_ctx_conf            *conf;
    sae_conn                *conn;
    ONEM2M_SAE_LOOKUP        lk;
    size_t                   binder_len, first_len;
    int                      event, rc, found;

    /* the context whose callback OpenSSL called: the first one */
    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));

    if (conf != NULL && conf->next_client_hello != NULL) {
        rc = conf->next_client_hello(ssl, alert, conf->next_client_hello_arg);
        if (rc != SSL_CLIENT_HELLO_SUCCESS) {
            return rc;
        }
    }

    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, NULL, NULL)) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }

    conn = sae_get_or_create_conn(ssl);
    if (conn == NULL) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }

    /* the server's callback may have switched: ask the current context */
    conn->lookup_ctx = sae_servername_ctx(ssl,
                                          sae_get_conf(SSL_get_SSL_CTX(ssl)));

    binder_len = sae_record_offered(ssl, conn, &first, &first_len);

    conf = sae_lookup_conf(ssl, conn);
    if (conf == NULL || conf->table == NULL) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }

    if (conf->unknown_identity == ONEM2M_SAE_UNKNOWN_ALERT && first != NULL
        && onem2m_text_all_printable(first, first_len)
        && sae_tls13_psk_possible(ssl))
    {
        found = 0;
        event = ONEM2M_SAE_EV_BAD_IDENTITY;
        if (sae_identity_well_formed(first, first_len)) {
            found = ONEM2M_SAE_table_get(conf->table, (const char *) first,
                                         first_len, &lk);
            ONEM2M_SAE_lookup_cleanse(&lk);
            event = found < 0 ? ONEM2M_SAE_EV_STORE_ERROR
                              : ONEM2M_SAE_EV_UNKNOWN;
        }

        if (found != 1) {
            conn->state = SAE_REJECTED;
            sae_report(ssl, conn, event, (const char *) first, first_len,
                       NULL);
            *alert = found < 0 ? SSL_AD_INTERNAL_ERROR
                               : SSL_AD_UNKNOWN_PSK_IDENTITY;
            return SSL_CLIENT_HELLO_ERROR;
        }
    }

    if (binder_len != 0 && !sae_narrow_suites(ssl, binder_len)) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }

    return SSL_CLIENT_HELLO_SUCCESS;
}


/*
 * A tag of the key a session was authenticated with, so that a session
 * made with a key since replaced is not resumed as bound.  A MAC keyed
 * with the PSK itself: it tells no more about the key than the Finished
 * messages of the handshake do, and needs no secret of our own.
 */
static int
sae_key_tag(const ONEM2M_SAE_ENTRY *entry, unsigned char *tag)
{
    static const char  label[] = "onem2m-sae resumption";
    unsigned char      data[sizeof(label) - 1 + ONEM2M_SAE_MAX_ID_LEN];
    unsigned char      mac[EVP_MAX_MD_SIZE];
    unsigned int       mac_len;

    if (entry->kpsa_id_len > ONEM2M_SAE_MAX_ID_LEN) {
        return 0;
    }

    memcpy(data, label, sizeof(label) - 1);
    memcpy(data + sizeof(label) - 1, entry->kpsa_id, entry->kpsa_id_len);

    if (HMAC(EVP_sha256(), entry->key, entry->key_len, data,
             sizeof(label) - 1 + entry->kpsa_id_len, mac, &mac_len)
        == NULL)
    {
        return 0;
    }

    memcpy(tag, mac, SAE_KEY_TAG_LEN);
    OPENSSL_cleanse(mac, sizeof(mac));

    return 1;
}


/*
 * KpsaID, entity and key tag go into the session: they travel in TLS 1.2
 * and 1.3 tickets and in serialised sessions (nginx's shared cache).
 */
static int
sae_set_appdata(SSL_SESSION *sess, const sae_cred *cred)
{
    const ONEM2M_SAE_ENTRY  *entry;
    unsigned char           *buf, *p;
    int                      ok;

    entry = &cred->entry;

    buf = OPENSSL_malloc(5 + entry->kpsa_id_len + entry->entity_len
                         + SAE_KEY_TAG_LEN);
    if (buf == NULL) {
        return 0;
    }

    p = buf;
    *p++ = SAE_APPDATA_MAGIC;
    *p++ = SAE_APPDATA_VERSION;
    *p++ = (unsigned char) entry->kpsa_id_len;
    memcpy(p, entry->kpsa_id, entry->kpsa_id_len);
    p += entry->kpsa_id_len;
    *p++ = (unsigned char) (entry->entity_len >> 8);
    *p++ = (unsigned char) entry->entity_len;
    memcpy(p, entry->entity, entry->entity_len);
    p += entry->entity_len;

    memcpy(p, cred->tag, SAE_KEY_TAG_LEN);
    ok = SSL_SESSION_set1_ticket_appdata(sess, buf, p + SAE_KEY_TAG_LEN - buf);
    OPENSSL_free(buf);

    return ok;
}


static int
sae_get_appdata(SSL_SESSION *sess, const unsigned char **kpsa_id,
    size_t *kpsa_id_len, const unsigned char **entity, size_t *entity_len,
    const unsigned char **tag)
{
    unsigned char  *p;
    void           *data;
    size_t          len, n;

    if (sess == NULL || !SSL_SESSION_get0_ticket_appdata(sess, &data, &len)
        || data == NULL || len < 3)
    {
        return 0;
    }

    p = data;
    if (p[0] != SAE_APPDATA_MAGIC || p[1] != SAE_APPDATA_VERSION) {
        return 0;
    }

    n = p[2];
    if (3 + n + 2 > len) {
        return 0;
    }
    *kpsa_id = p + 3;
    *kpsa_id_len = n;

    p += 3 + n;
    len -= 3 + n;
    n = ((size_t) p[0] << 8) | p[1];
    if (2 + n + SAE_KEY_TAG_LEN != len) {
        return 0;
    }
    *entity = p + 2;
    *entity_len = n;
    *tag = p + 2 + n;

    return 1;
}


/* the session was made with this credential: same KpsaID, entity, key */
static int
sae_appdata_matches(SSL_SESSION *sess, const sae_cred *cred)
{
    const ONEM2M_SAE_ENTRY  *entry;
    const unsigned char     *kpsa_id, *entity, *tag;
    size_t                   kpsa_id_len, entity_len;

    entry = &cred->entry;

    return sae_get_appdata(sess, &kpsa_id, &kpsa_id_len, &entity,
                           &entity_len, &tag)
           && kpsa_id_len == entry->kpsa_id_len
           && memcmp(kpsa_id, entry->kpsa_id, kpsa_id_len) == 0
           && entity_len == entry->entity_len
           && memcmp(entity, entry->entity, entity_len) == 0
           && CRYPTO_memcmp(tag, cred->tag, SAE_KEY_TAG_LEN) == 0;
}


/*
 * A ticket (TLS 1.2, TLS 1.3 stateless) decrypted before the SNI switch:
 * when the table of the context (of the named server, if the server told
 * us which it is) holds its KpsaID with another entity or
 * another key, ignore it, so that the client's current key gets a full
 * handshake instead of a resumption that could only be refused.  An
 * identity absent from this table is left to the check after the switch
 * (it may belong to another server's table).
 */
static SSL_TICKET_RETURN
sae_ticket_decrypted_cb(SSL *ssl, SSL_SESSION *sess,
    const unsigned char *keyname, size_t keyname_len,
    SSL_TICKET_STATUS status, void *arg)
{
    const unsigned char     *kpsa_id, *entity, *tag;
    sae_ctx_conf            *conf;
    sae_conn                *conn;
    ONEM2M_SAE_LOOKUP        lk;
    sae_cred                 cred;
    size_t                   kpsa_id_len, entity_len;
    int                      found, stale;

    if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW) {
        return SSL_TICKET_RETURN_IGNORE_RENEW;
    }

    conf = sae_lookup_conf(ssl, sae_get_conn(ssl));

    if (conf != NULL && conf->table != NULL
        && sae_get_appdata(sess, &kpsa_id, &kpsa_id_len, &entity,
                           &entity_len, &tag))
    {
        found = ONEM2M_SAE_table_get(conf->table, (const char *) kpsa_id,
                                     kpsa_id_len, &lk);
        /* a store error: no resumption; the full handshake fails closed */
        stale = found < 0
                || (found == 1
                    && !(sae_cred_copy(&cred, &lk)
                         && sae_appdata_matches(sess, &cred)));
        ONEM2M_SAE_lookup_cleanse(&lk);

        if (stale) {
            conn = sae_get_or_create_conn(ssl);
            if (conn != NULL) {
                sae_report(ssl, conn, ONEM2M_SAE_EV_RESUME_REFUSED,
                           (const char *) kpsa_id, kpsa_id_len, NULL);
            }
            return SSL_TICKET_RETURN_IGNORE_RENEW;
        }
    }

    return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE
                                        : SSL_TICKET_RETURN_USE_RENEW;
}


/* a TLS 1.3 PSK session, its hash matching the client's binder */
static SSL_SESSION *
sae_tls13_session(SSL *ssl, const unsigned char *key, size_t key_len,
    size_t binder_len, const sae_cred *cred)
{
    static const unsigned char  aes128gcm_sha256[] = { 0x13, 0x01 };
    static const unsigned char  aes256gcm_sha384[] = { 0x13, 0x02 };
    const SSL_CIPHER           *cipher;
    SSL_SESSION                *sess;

    cipher = SSL_get_pending_cipher(ssl);
    if (cipher == NULL
        || (binder_len != 0 && sae_cipher_hash_len(cipher) != binder_len))
    {
        /* OpenSSL will skip it and fall back to a full handshake */
        cipher = SSL_CIPHER_find(ssl, binder_len == 48 ? aes256gcm_sha384
                                                       : aes128gcm_sha256);
    }

    if (cipher == NULL) {
        return NULL;
    }

    sess = SSL_SESSION_new();
    if (sess == NULL) {
        return NULL;
    }

    if (!SSL_SESSION_set1_master_key(sess, key, key_len)
        || !SSL_SESSION_set_cipher(sess, cipher)
        || !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)
        || (cred != NULL && !sae_set_appdata(sess, cred)))
    {
        SSL_SESSION_free(sess);
        return NULL;
    }

    return sess;
}


/*
 * TLS 1.3: called for every identity the client offers, until one yields
 * a session; returning 0 aborts the handshake (internal_error alert).
 */
static int
sae_find_session_cb(SSL *ssl, const unsigned char *identity,
    size_t identity_len, SSL_SESSION **sess)
{
    sae_ctx_conf            *conf;
    sae_conn                *conn;
    ONEM2M_SAE_LOOKUP        lk;
    unsigned char            dummy[SAE_DUMMY_KEY_LEN];
    size_t                   binder_len;
    int                      event, found;

    *sess = NULL;

    conn = sae_get_or_create_conn(ssl);
    if (conn == NULL) {
        return 0;
    }

    binder_len = sae_offered_binder_len(conn, identity_len);

    /* session tickets come here too: not ours to judge */
    if (!onem2m_text_all_printable(identity, identity_len)) {
        return 1;
    }

    /* a HelloRetryRequest brings the identities again */
    conn->state = SAE_NONE;
    conn->entry = NULL;
    conn->table = NULL;

    conf = sae_lookup_conf(ssl, conn);
    if (conf == NULL || conf->table == NULL) {
        sae_report(ssl, conn, ONEM2M_SAE_EV_NO_TABLE, (const char *) identity,
                   identity_len, NULL);
        return 1;
    }

    found = 0;
    event = ONEM2M_SAE_EV_BAD_IDENTITY;
    if (sae_identity_well_formed(identity, identity_len)) {
        found = ONEM2M_SAE_table_get(conf->table, (const char *) identity,
                                     identity_len, &lk);
        event = found < 0 ? ONEM2M_SAE_EV_STORE_ERROR : ONEM2M_SAE_EV_UNKNOWN;

        if (found == 1) {
            *sess = sae_hold(conn, &lk)
                    ? sae_tls13_session(ssl, lk.entry.key, lk.entry.key_len,
                                        binder_len, &conn->cred)
                    : NULL;
            ONEM2M_SAE_lookup_cleanse(&lk);
            if (*sess == NULL) {
                return 0;
            }
            conn->state = SAE_TENTATIVE;
            conn->table = conf->table;
            return 1;
        }

        ONEM2M_SAE_lookup_cleanse(&lk);
    }

    conn->state = SAE_REJECTED;
    sae_report(ssl, conn, event, (const char *) identity, identity_len, NULL);

    /* the store failed: abort (internal_error), never hide as unknown */
    if (found < 0 || conf->unknown_identity == ONEM2M_SAE_UNKNOWN_ALERT) {
        /*
         * Not the first identity (the client_hello callback refuses that
         * one with unknown_psk_identity): OpenSSL 3.0 can only abort here,
         * with internal_error.
         */
        return 0;
    }

    /* hide: a key nobody has, so the binder fails as with a wrong key */
    if (RAND_bytes(dummy, sizeof(dummy)) != 1) {
        return 0;
    }
    *sess = sae_tls13_session(ssl, dummy, sizeof(dummy), binder_len, NULL);
    OPENSSL_cleanse(dummy, sizeof(dummy));

    return *sess != NULL;
}


/*
 * TLS 1.2 (and the legacy TLS 1.3 fallback, which we decline): returns the
 * key length, 0 for an unknown_psk_identity alert.
 */
static unsigned int
sae_psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
    unsigned int max_psk_len)
{
    sae_ctx_conf            *conf;
    sae_conn                *conn;
    SSL_SESSION             *sess;
    ONEM2M_SAE_LOOKUP        lk;
    size_t                   identity_len;
    unsigned int             len;
    int                      event, found;

    if (SSL_version(ssl) >= TLS1_3_VERSION || identity == NULL) {
        return 0;
    }

    conn = sae_get_or_create_conn(ssl);
    if (conn == NULL) {
        return 0;
    }

    conn->state = SAE_REJECTED;
    conn->entry = NULL;
    conn->table = NULL;

    identity_len = strlen(identity);

    /* after the SNI switch: the table of the server the client named */
    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf == NULL || conf->table == NULL) {
        sae_report(ssl, conn, ONEM2M_SAE_EV_NO_TABLE, identity, identity_len,
                   NULL);
        return 0;
    }

    found = 0;
    event = ONEM2M_SAE_EV_BAD_IDENTITY;
    if (sae_identity_well_formed((const unsigned char *) identity,
                                 identity_len))
    {
        found = ONEM2M_SAE_table_get(conf->table, identity, identity_len, &lk);
        event = found < 0 ? ONEM2M_SAE_EV_STORE_ERROR : ONEM2M_SAE_EV_UNKNOWN;

        if (found == 1 && lk.entry.key_len <= max_psk_len) {
            sess = SSL_get_session(ssl);
            if (sess == NULL || !sae_hold(conn, &lk)
                || !sae_set_appdata(sess, &conn->cred))
            {
                conn->entry = NULL;
                ONEM2M_SAE_lookup_cleanse(&lk);
                return 0;
            }
            len = lk.entry.key_len;
            memcpy(psk, lk.entry.key, len);
            ONEM2M_SAE_lookup_cleanse(&lk);
            conn->state = SAE_TENTATIVE;
            conn->table = conf->table;
            return len;
        }

        ONEM2M_SAE_lookup_cleanse(&lk);
    }

    sae_report(ssl, conn, event, identity, identity_len, NULL);

    /* the store failed: unknown_psk_identity, never hide as unknown */
    if (found < 0 || conf->unknown_identity == ONEM2M_SAE_UNKNOWN_ALERT) {
        return 0;
    }

    /* hide: the Finished check fails as with a wrong key */
    len = SAE_DUMMY_KEY_LEN < max_psk_len ? SAE_DUMMY_KEY_LEN : max_psk_len;
    if (RAND_bytes(psk, (int) len) != 1) {
        return 0;
    }

    return len;
}


/* did the handshake really use the key we handed out for conn->entry? */
static int
sae_psk_used(SSL *ssl, sae_conn *conn)
{
    const SSL_CIPHER  *cipher;
    const char        *identity;
    int                kx;

    if (SSL_version(ssl) >= TLS1_3_VERSION) {
        /* an external PSK handshake is a "resumption" in TLS 1.3 */
        return SSL_session_reused(ssl)
               && sae_appdata_matches(SSL_get_session(ssl), &conn->cred);
    }

    if (SSL_session_reused(ssl)) {
        return 0;
    }

    cipher = SSL_get_current_cipher(ssl);
    kx = cipher != NULL ? SSL_CIPHER_get_kx_nid(cipher) : NID_undef;
    if (kx != NID_kx_psk && kx != NID_kx_ecdhe_psk && kx != NID_kx_dhe_psk
        && kx != NID_kx_rsa_psk)
    {
        return 0;
    }

    identity = SSL_get_psk_identity(ssl);

    return identity != NULL
           && strlen(identity) == conn->entry->kpsa_id_len
           && memcmp(identity, conn->entry->kpsa_id,
                     conn->entry->kpsa_id_len) == 0;
}


/* a handshake authenticated by our PSK presented no certificate */
static void
sae_no_certificate(SSL *ssl)
{
    if (SSL_get0_peer_certificate(ssl) == NULL) {
        SSL_set_verify_result(ssl, X509_V_OK);
    }
}


/* a resumed session: the KpsaID must still be in the table, same entity */
static void
sae_settle_resumed(SSL *ssl, sae_conn *conn)
{
    const unsigned char     *kpsa_id, *entity, *tag;
    sae_ctx_conf            *conf;
    ONEM2M_SAE_LOOKUP        lk;
    size_t                   kpsa_id_len, entity_len;
    int                      found, ok;

    if (!sae_get_appdata(SSL_get_session(ssl), &kpsa_id, &kpsa_id_len,
                         &entity, &entity_len, &tag))
    {
        return;
    }

    sae_no_certificate(ssl);

    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    found = 0;
    ok = 0;
    if (conf != NULL && conf->table != NULL) {
        found = ONEM2M_SAE_table_get(conf->table, (const char *) kpsa_id,
                                     kpsa_id_len, &lk);
        ok = found == 1 && sae_hold(conn, &lk)
             && sae_appdata_matches(SSL_get_session(ssl), &conn->cred);
        ONEM2M_SAE_lookup_cleanse(&lk);
    }

    /* removed, provisioned for another entity, or re-keyed since */
    if (!ok) {
        conn->entry = NULL;
        sae_report(ssl, conn, found < 0 ? ONEM2M_SAE_EV_STORE_ERROR
                                        : ONEM2M_SAE_EV_RESUME_REFUSED,
                   (const char *) kpsa_id, kpsa_id_len, NULL);
        return;
    }

    conn->binding = conn->entry;
    conn->table = conf->table;
    sae_report(ssl, conn, ONEM2M_SAE_EV_RESUMED, conn->entry->kpsa_id,
               conn->entry->kpsa_id_len, conn->entry);
}


/* once the handshake is complete: bound or not, for good */
static void
sae_settle(SSL *ssl, sae_conn *conn)
{
    const ONEM2M_SAE_ENTRY  *entry;
    sae_ctx_conf            *conf;

    if (conn->settled) {
        return;
    }
    conn->settled = 1;

    if (conn->state == SAE_TENTATIVE) {
        entry = conn->entry;
        if (!sae_psk_used(ssl, conn)) {
            conn->state = SAE_REJECTED;
            return;
        }

        sae_no_certificate(ssl);

        conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
        if (conf == NULL || conf->table != conn->table) {
            /* TLS 1.3 before the SNI switch: another server's table */
            sae_report(ssl, conn, ONEM2M_SAE_EV_OTHER_TABLE, entry->kpsa_id,
                       entry->kpsa_id_len, entry);
            return;
        }

        conn->binding = entry;
        sae_report(ssl, conn, ONEM2M_SAE_EV_BOUND, entry->kpsa_id,
                   entry->kpsa_id_len, entry);
        return;
    }

    if (SSL_session_reused(ssl)) {
        sae_settle_resumed(ssl, conn);
    }
}


/*
 * Wraps the server's info callback (nginx: ngx_ssl_info_callback, always
 * called first) to see the end of the handshake and fatal alerts.
 */
static void
sae_info_cb(const SSL *cssl, int where, int ret)
{
    sae_ctx_conf  *conf;
    sae_conn      *conn;
    SSL           *ssl;

    ssl = (SSL *) cssl;

    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf != NULL && conf->next_info_cb != NULL) {
        conf->next_info_cb(cssl, where, ret);
    }

    if (where & SSL_CB_HANDSHAKE_DONE) {
        conn = sae_get_conn(ssl);
        if (conn == NULL && SSL_session_reused(ssl)) {
            conn = sae_get_or_create_conn(ssl);
        }
        if (conn != NULL) {
            sae_settle(ssl, conn);
        }
        return;
    }

    if ((where & SSL_CB_ALERT) && (ret >> 8) == SSL3_AL_FATAL) {
        conn = sae_get_conn(ssl);
        if (conn != NULL && conn->state == SAE_TENTATIVE && !conn->settled) {
            conn->state = SAE_REJECTED;
            conn->settled = 1;
            sae_report(ssl, conn, ONEM2M_SAE_EV_BAD_KEY,
                       conn->entry->kpsa_id, conn->entry->kpsa_id_len,
                       conn->entry);
        }
    }
}


int
ONEM2M_SAE_CTX_install(SSL_CTX *ctx, ONEM2M_SAE_EVENT_CB event,
    void *event_arg)
{
    sae_ctx_conf    *conf;
    sae_info_cb_fn   info_cb;

    if (ctx == NULL) {
        return 0;
    }

    conf = sae_get_or_create_conf(ctx);
    if (conf == NULL) {
        return 0;
    }

    conf->event = event;
    conf->event_arg = event_arg;

    info_cb = SSL_CTX_get_info_callback(ctx);
    if (info_cb != sae_info_cb) {
        conf->next_info_cb = info_cb;
        SSL_CTX_set_info_callback(ctx, sae_info_cb);
    }

    /* TLS 1.2 PSK suites are only offered with a psk_server_callback */
    SSL_CTX_set_psk_server_callback(ctx, sae_psk_server_cb);
    SSL_CTX_set_psk_find_session_callback(ctx, sae_find_session_cb);
    SSL_CTX_set_client_hello_cb(ctx, sae_client_hello_cb, NULL);
    if (!SSL_CTX_set_session_ticket_cb(ctx, NULL, sae_ticket_decrypted_cb,
                                       NULL))
    {
        return 0;
    }

    conf->installed = 1;

    return 1;
}


int
ONEM2M_SAE_CTX_chain_client_hello(SSL_CTX *ctx, SSL_client_hello_cb_fn cb,
    void *arg)
{
    sae_ctx_conf  *conf;

    if (ctx == NULL || cb == sae_client_hello_cb) {
        return 0;
    }

    conf = sae_get_or_create_conf(ctx);
    if (conf == NULL) {
        return 0;
    }

    conf->next_client_hello = cb;
    conf->next_client_hello_arg = arg;

    return 1;
}


int
ONEM2M_SAE_CTX_set_servername_cb(SSL_CTX *ctx, ONEM2M_SAE_SERVERNAME_CB cb,
    void *arg)
{
    sae_ctx_conf  *conf;

    if (ctx == NULL) {
        return 0;
    }

    conf = sae_get_or_create_conf(ctx);
    if (conf == NULL) {
        return 0;
    }

    conf->servername = cb;
    conf->servername_arg = arg;

    return 1;
}


int
ONEM2M_SAE_CTX_set_table(SSL_CTX *ctx, ONEM2M_SAE_TABLE *table,
    int unknown_identity)
{
    sae_ctx_conf  *conf;

    if (ctx == NULL
        || (unknown_identity != ONEM2M_SAE_UNKNOWN_HIDE
            && unknown_identity != ONEM2M_SAE_UNKNOWN_ALERT))
    {
        return 0;
    }

    conf = sae_get_or_create_conf(ctx);
    if (conf == NULL) {
        return 0;
    }

    conf->table = table;
    conf->unknown_identity = unknown_identity;

    return 1;
}


const ONEM2M_SAE_ENTRY *
ONEM2M_SAE_get_binding(SSL *ssl)
{
    sae_ctx_conf  *conf;
    sae_conn      *conn;

    if (ssl == NULL || !sae_once_ok || !SSL_is_init_finished(ssl)) {
        return NULL;
    }

    /* the info callback may not have run (not installed on this ctx) */
    conn = sae_get_conn(ssl);
    if (conn == NULL && SSL_session_reused(ssl)) {
        conn = sae_get_or_create_conn(ssl);
    }
    if (conn == NULL) {
        return NULL;
    }
    sae_settle(ssl, conn);

    if (conn->binding == NULL) {
        return NULL;
    }

    /* only against the table the connection's context has now */
    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf == NULL || conf->table != conn->table) {
        return NULL;
    }

    return conn->binding;
}


ONEM2M_SAE_TABLE *
ONEM2M_SAE_get_binding_table(SSL *ssl)
{
    sae_conn  *conn;

    if (ONEM2M_SAE_get_binding(ssl) == NULL) {
        return NULL;
    }

    conn = sae_get_conn(ssl);

    return conn->table;
}


/*
 * A binding is current while its table still has the credential: the same
 * KpsaID, entity, key (its tag) and generation, all four.  A generation
 * alone proves nothing: a re-created source numbers from 1 again, and its
 * seq can come back with another entity and key.  A text table never
 * changes under an open connection: no lookup.
 */
int
ONEM2M_SAE_binding_current(SSL *ssl)
{
    sae_conn           *conn;
    ONEM2M_SAE_LOOKUP   lk;
    sae_cred            now;
    int                 found, current;

    if (ONEM2M_SAE_get_binding(ssl) == NULL) {
        return 0;
    }

    conn = sae_get_conn(ssl);

    if (!conn->cred.live) {
        return 1;
    }

    found = ONEM2M_SAE_table_get(conn->table, conn->cred.kpsa_id,
                                 conn->cred.entry.kpsa_id_len, &lk);

    current = found == 1
              && lk.generation == conn->cred.generation
              && sae_cred_copy(&now, &lk)
              && now.entry.entity_len == conn->cred.entry.entity_len
              && memcmp(now.entity, conn->cred.entity,
                        now.entry.entity_len) == 0
              && CRYPTO_memcmp(now.tag, conn->cred.tag, SAE_KEY_TAG_LEN)
                 == 0;

    ONEM2M_SAE_lookup_cleanse(&lk);

    if (current) {
        return 1;
    }

    /* for good: the strings stay, for the server's earlier requests */
    conn->binding = NULL;

    return found < 0 ? -1 : 0;
}
