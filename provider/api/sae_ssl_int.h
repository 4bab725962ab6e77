/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the files of the TLS-PSK hook share, and nothing else includes:
 * the per-context and per-connection state and the functions one file
 * calls in another.  The OpenSSL facts the hook is built on are in the
 * comment at the top of sae_ssl.c, the public API.
 */

#ifndef SAE_SSL_INT_H
#define SAE_SSL_INT_H

#include <stddef.h>

#include <openssl/ssl.h>

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
    long long                 expires;        /* unix seconds; 0: never */
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


/* the ex_data indexes exist (sae_ssl_conn.c) */
extern int sae_once_ok;


/* sae_ssl_conn.c: per-context and per-connection state, events */
sae_ctx_conf *sae_get_conf(const SSL_CTX *ctx);
sae_ctx_conf *sae_get_or_create_conf(SSL_CTX *ctx);
sae_conn *sae_get_conn(const SSL *ssl);
sae_conn *sae_get_or_create_conn(SSL *ssl);
sae_ctx_conf *sae_lookup_conf(SSL *ssl, sae_conn *conn);
void sae_report(SSL *ssl, sae_conn *conn, int event, const char *identity,
    size_t identity_len, const ONEM2M_SAE_ENTRY *entry);

/* sae_ssl_cred.c: what a connection keeps of a lookup */
int sae_identity_well_formed(const unsigned char *id, size_t len);
int sae_cred_copy(sae_cred *cred, const ONEM2M_SAE_LOOKUP *lk);
/* STORE_ERROR (found < 0), EXPIRED (lk->expires set) or UNKNOWN */
int sae_miss_event(int found, const ONEM2M_SAE_LOOKUP *lk);
int sae_hold(sae_conn *conn, const ONEM2M_SAE_LOOKUP *lk);

/* sae_ssl_hello.c: the ClientHello and its callback */
size_t sae_offered_binder_len(sae_conn *conn, size_t identity_len);
int sae_client_hello_cb(SSL *ssl, int *alert, void *arg);

/* sae_ssl_suites.c: TLS 1.3 suite narrowing */
size_t sae_cipher_hash_len(const SSL_CIPHER *cipher);
int sae_narrow_suites(SSL *ssl, size_t binder_len);

/* sae_ssl_sni.c: the context a server name selects */
SSL_CTX *sae_servername_ctx(SSL *ssl, sae_ctx_conf *conf);

/* sae_ssl_session.c: session app data, tickets */
int sae_set_appdata(SSL_SESSION *sess, const sae_cred *cred);
int sae_get_appdata(SSL_SESSION *sess, const unsigned char **kpsa_id,
    size_t *kpsa_id_len, const unsigned char **entity, size_t *entity_len,
    const unsigned char **tag);
int sae_appdata_matches(SSL_SESSION *sess, const sae_cred *cred);
SSL_TICKET_RETURN sae_ticket_decrypted_cb(SSL *ssl, SSL_SESSION *sess,
    const unsigned char *keyname, size_t keyname_len,
    SSL_TICKET_STATUS status, void *arg);

/* sae_ssl_psk13.c: TLS 1.3 psk_find_session_cb */
int sae_find_session_cb(SSL *ssl, const unsigned char *identity,
    size_t identity_len, SSL_SESSION **sess);

/* sae_ssl_psk12.c: TLS 1.2 psk_server_callback */
unsigned int sae_psk_server_cb(SSL *ssl, const char *identity,
    unsigned char *psk, unsigned int max_psk_len);

/* sae_ssl_settle.c: bound or not, once the handshake is complete */
void sae_settle(SSL *ssl, sae_conn *conn);
void sae_info_cb(const SSL *cssl, int where, int ret);

#endif /* SAE_SSL_INT_H */
