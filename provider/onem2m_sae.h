/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oneM2M Security Association Establishment (TS-0003) for OpenSSL 3 servers.
 *
 * The public API of the "onem2m" provider.  A server (nginx through our
 * module, or any other OpenSSL 3 server) uses it to:
 *
 *   1. open a psk-lookup-table (KpsaID -> entity id, Kpsa) by URI, once,
 *      at configuration time; the provider keeps one parsed, hash-indexed
 *      copy per file per process and shares it between openers;
 *   2. install the TLS-PSK hook on its SSL_CTXs, which looks identities up
 *      during handshakes (TLS 1.2 and TLS 1.3) without OSSL_STORE on the
 *      hot path, and binds the authenticated entity to the connection;
 *   3. read the binding of a connection, resumed sessions included.
 *
 * The provider itself is reached through OSSL_PROVIDER_get0_dispatch():
 * the private function ids below live in its dispatch table.  The same
 * table is also readable by any OpenSSL 3 tool through the standard face,
 * an OSSL_STORE loader for "kpsa:" URIs.
 *
 * Key material returned by this API points into the provider's table:
 * never copy it into logs, never free it; it is cleansed when the last
 * reference to the table goes.  A connection's binding carries no key.
 */

#ifndef ONEM2M_SAE_H
#define ONEM2M_SAE_H

#include <stddef.h>
#include <openssl/ssl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ONEM2M_SAE_PROVIDER_NAME     "onem2m"
#define ONEM2M_SAE_URI_SCHEME        "kpsa"

/* limits of the table format (PSK_MAX_PSK_LEN, TLS identity limit) */
#define ONEM2M_SAE_MAX_KEY_LEN       512
#define ONEM2M_SAE_MAX_ID_LEN        255
#define ONEM2M_SAE_SHORT_KEY_LEN     16

/* the kind of entity a credential is provisioned for */
#define ONEM2M_SAE_ENTITY_AE         1
#define ONEM2M_SAE_ENTITY_CSE        2

typedef struct onem2m_sae_table_st  ONEM2M_SAE_TABLE;

/*
 * One credential: a view of a table's record (zero copies of its strings
 * and key, which stay in the table).  Strings are NUL-terminated; lengths
 * exclude the NUL.
 */
typedef struct {
    const char           *kpsa_id;
    const char           *entity;
    const unsigned char  *key;
    unsigned short        kpsa_id_len;
    unsigned short        entity_len;
    unsigned short        key_len;
    unsigned char         entity_type;     /* ONEM2M_SAE_ENTITY_* */
} ONEM2M_SAE_ENTRY;

/*
 * diagnostics while opening a table: errors and warnings, one per call;
 * one notice per successful open says whether the file was read and parsed
 * or found unchanged (same SHA-256) and a parsed copy reused
 */
#define ONEM2M_SAE_DIAG_ERROR        1
#define ONEM2M_SAE_DIAG_WARNING      2
#define ONEM2M_SAE_DIAG_NOTICE       3

typedef void (*ONEM2M_SAE_DIAG_CB)(void *arg, int severity, const char *msg);

/*
 * Table access (the fast face).
 *
 * ONEM2M_SAE_table_open() loads the "onem2m" provider into libctx (NULL:
 * the default library context) if it is not loaded yet, searching
 * provider_dir first when it is not NULL, then OpenSSL's module directory.
 * uri is "kpsa:<path>" or a plain path.  Every error and warning is passed
 * to diag as one line "file:line: reason" (or "file: reason"); a table with
 * any error does not open (NULL).  Messages never contain key material.
 * Opening an unchanged file again returns the same shared table.
 */
ONEM2M_SAE_TABLE *ONEM2M_SAE_table_open(OSSL_LIB_CTX *libctx,
    const char *provider_dir, const char *uri, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg);
void ONEM2M_SAE_table_free(ONEM2M_SAE_TABLE *table);
const ONEM2M_SAE_ENTRY *ONEM2M_SAE_table_lookup(const ONEM2M_SAE_TABLE *table,
    const char *kpsa_id, size_t len);
const ONEM2M_SAE_ENTRY *ONEM2M_SAE_table_find_entity(
    const ONEM2M_SAE_TABLE *table, const char *entity, size_t len);
size_t ONEM2M_SAE_table_count(const ONEM2M_SAE_TABLE *table);

/*
 * Live stores and lookups with their own storage (ABI version 2).
 *
 * A table URI is either a text table ("kpsa:<path>", the default) or an
 * LMDB store ("kpsa-lmdb:<directory>", docs/lmdb-store.md) whose keys are
 * sealed under a key-encryption key (KEK).  ONEM2M_SAE_table_open_ex()
 * opens either; an LMDB store needs kek_file (a root-only file read at
 * open, then kept in memory and cleansed on free), a text table none
 * (kek_file NULL).  An LMDB store is checked at open (format, the KEK
 * against the store's check value or its first key) and then closed:
 * every process that looks keys up reopens it itself, after fork, with
 * ONEM2M_SAE_table_child_init() (a lookup in a process that did not
 * reopens it on first use).
 *
 * ONEM2M_SAE_table_lookup() and ONEM2M_SAE_table_find_entity() keep
 * working for text tables and return NULL for a live table; the entry a
 * text table returns is a view of the calling thread's, valid until that
 * thread calls the same function again (its strings and key until the
 * table is freed): copy it to keep it.  Servers use
 * ONEM2M_SAE_table_get() and _get_entity(), which work for both.  They
 * return 1 found, 0 not found (or revoked), -1 store error: callers fail
 * closed.  For a text table out->entry points into the table (zero
 * copies) and key_buf is unused; for a live table it points into out's
 * buffers, and generation is the credential's sequence number mixed with
 * its envelope's random nonce (changed by every rekey, never repeated by
 * another source at the same sequence number).  Wipe out with
 * ONEM2M_SAE_lookup_cleanse() when done.
 */
/*
 * ABI version 4: a live store's credential may expire (a MAF key, TS-0003
 * 8.8: expires is its expirationTime, suid its SUID, maf set).  From
 * expires on (unix seconds; 0: never) ONEM2M_SAE_table_get() and
 * _get_entity() return 0, as for a revoked credential, with out->entry
 * cleared and out->expires still set, so that a caller can tell
 * "expired" from "unknown".
 */
typedef struct {
    ONEM2M_SAE_ENTRY    entry;        /* points into the table or below */
    unsigned long long  generation;   /* seq ^ nonce (lmdb); 0: text */
    long long           expires;      /* unix seconds; 0: never */
    unsigned char       suid;         /* 0: none */
    unsigned char       maf;          /* 1: a MAF key (Kc) */
    char                kpsa_id_buf[ONEM2M_SAE_MAX_ID_LEN + 1];
    char                entity_buf[ONEM2M_SAE_MAX_ID_LEN + 1];
    unsigned char       key_buf[ONEM2M_SAE_MAX_KEY_LEN];
} ONEM2M_SAE_LOOKUP;

int ONEM2M_SAE_table_get(const ONEM2M_SAE_TABLE *table, const char *kpsa_id,
    size_t len, ONEM2M_SAE_LOOKUP *out);
int ONEM2M_SAE_table_get_entity(const ONEM2M_SAE_TABLE *table,
    const char *entity, size_t len, ONEM2M_SAE_LOOKUP *out);
void ONEM2M_SAE_lookup_cleanse(ONEM2M_SAE_LOOKUP *out);

#define ONEM2M_SAE_LMDB_URI_SCHEME   "kpsa-lmdb"

ONEM2M_SAE_TABLE *ONEM2M_SAE_table_open_ex(OSSL_LIB_CTX *libctx,
    const char *provider_dir, const char *uri, const char *kek_file,
    ONEM2M_SAE_DIAG_CB diag, void *diag_arg);
/* 1 for an LMDB store, 0 for a text table */
int ONEM2M_SAE_table_is_live(const ONEM2M_SAE_TABLE *table);
/*
 * In each process that looks keys up, after fork (nginx: every worker's
 * init_process): reopens a live store read-only and clears reader slots
 * of dead processes (mdb_reader_check).  1 ok (a text table: nothing to
 * do), 0 error.
 */
int ONEM2M_SAE_table_child_init(ONEM2M_SAE_TABLE *table);

typedef struct {
    int                 live;
    unsigned long long  count, last_seq;
    long long           synced_at;     /* unix seconds, 0 unknown */
    char                source_id[64];
    /* a live store (ABI 3): data.mdb in use in this process (0 0: none) */
    unsigned long long  dev, ino;
    /* why it cannot be used (info returned 0), else "" */
    char                error[512];
    /* reader slots of dead processes cleared when this process opened it */
    int                 stale_readers;
    /* times this process found another store put in its place and reopened */
    unsigned            replaced;
} ONEM2M_SAE_TABLE_INFO;

/*
 * 1 ok, 0 error (a live store unreadable, damaged, replaced by one that
 * cannot be opened, or gone: error says why; its lookups fail closed).
 * A live store is checked here and, about once a second, by lookups:
 * data.mdb against its meta pages, and whether the directory holds
 * another data.mdb than the one open (then it is reopened).
 */
int ONEM2M_SAE_table_info(const ONEM2M_SAE_TABLE *table,
    ONEM2M_SAE_TABLE_INFO *info);

/*
 * The TLS hook.
 *
 * ONEM2M_SAE_CTX_install() sets the TLS 1.2 psk_server_callback and the
 * TLS 1.3 psk_find_session_callback on ctx.  At handshake time the hook
 * uses the table attached to the SSL_CTX the connection currently has
 * (SSL_get_SSL_CTX(), i.e. after an SNI switch), so a server can install
 * the hook on every context and attach tables per virtual server with
 * ONEM2M_SAE_CTX_set_table().  A context without a table declines PSK.
 * The context takes no reference: the table must stay open as long as the
 * context and its connections.  Install after the server's own info
 * callback is set (it is wrapped and still called); install also sets the
 * context's client_hello callback (give it the server's own, below) and
 * its session ticket (decrypt) callback (nginx sets none).
 */
#define ONEM2M_SAE_UNKNOWN_HIDE      0   /* fail as with a wrong key */
#define ONEM2M_SAE_UNKNOWN_ALERT     1   /* unknown_psk_identity alert */

/* events reported to the server, for its log */
#define ONEM2M_SAE_EV_BOUND          1   /* handshake done, entity bound */
#define ONEM2M_SAE_EV_UNKNOWN        2   /* identity not in the table */
#define ONEM2M_SAE_EV_BAD_KEY        3   /* identity known, handshake failed */
#define ONEM2M_SAE_EV_NO_TABLE       4   /* PSK offered where no table is */
#define ONEM2M_SAE_EV_RESUMED        5   /* resumed session re-bound */
#define ONEM2M_SAE_EV_RESUME_REFUSED 6   /* resumed identity gone: unbound */
#define ONEM2M_SAE_EV_BAD_IDENTITY   7   /* malformed/oversized identity */
#define ONEM2M_SAE_EV_OTHER_TABLE    8   /* TLS 1.3 PSK found in the table of
                                            the context before the SNI
                                            switch: unbound */
#define ONEM2M_SAE_EV_STORE_ERROR    9   /* the table (a live store) failed
                                            a lookup: refused, fail
                                            closed */
#define ONEM2M_SAE_EV_EXPIRED       10   /* the credential's expiration
                                            (a MAF key's expirationTime)
                                            has passed: as unknown */

/*
 * identity is the raw identity the client sent (not sanitised, not NUL
 * terminated); entry is NULL when there is none.  Never log entry->key.
 */
typedef void (*ONEM2M_SAE_EVENT_CB)(SSL *ssl, void *arg, int event,
    const char *identity, size_t identity_len, const ONEM2M_SAE_ENTRY *entry);

int ONEM2M_SAE_CTX_install(SSL_CTX *ctx, ONEM2M_SAE_EVENT_CB event,
    void *event_arg);
int ONEM2M_SAE_CTX_set_table(SSL_CTX *ctx, ONEM2M_SAE_TABLE *table,
    int unknown_identity);

/*
 * Chain, never replace.  OpenSSL keeps one ClientHello callback per
 * SSL_CTX and has no getter for it: a server that sets its own (nginx
 * 1.29.2 and later select the virtual server there) hands it to
 * ONEM2M_SAE_CTX_chain_client_hello(), before or after install.  The
 * hook's callback calls it first, with arg, and returns its result unless
 * it is SSL_CLIENT_HELLO_SUCCESS; a context switch it made (SNI) holds for
 * the hook's own work and the TLS 1.3 PSK lookup.  cb NULL: none.
 *
 * A server that switches SSL_CTX by SNI only in its servername callback
 * (after OpenSSL resolved TLS 1.3 PSKs with the first context) sets
 * ONEM2M_SAE_CTX_set_servername_cb(): cb gets the ClientHello's host name
 * (not NUL-terminated, as sent) and returns the context that name will
 * select, or NULL for the current one.  TLS 1.3 identities and tickets
 * are then looked up in that context's table.  Either way a binding holds
 * only if the handshake ends on a context with the table it was made
 * with.  The hook sets no servername callback of its own.
 */
typedef SSL_CTX *(*ONEM2M_SAE_SERVERNAME_CB)(SSL *ssl, const char *name,
    size_t name_len, void *arg);

int ONEM2M_SAE_CTX_chain_client_hello(SSL_CTX *ctx,
    SSL_client_hello_cb_fn cb, void *arg);
int ONEM2M_SAE_CTX_set_servername_cb(SSL_CTX *ctx,
    ONEM2M_SAE_SERVERNAME_CB cb, void *arg);

/*
 * The binding of a connection: the credential its PSK handshake (or the
 * resumed session's original handshake) authenticated, or NULL.  For a
 * resumed session the identity is looked up again in the table of the
 * connection's SSL_CTX: an identity removed since, or now bound to another
 * entity, gives NULL.  Valid for the life of the SSL object.
 */
const ONEM2M_SAE_ENTRY *ONEM2M_SAE_get_binding(SSL *ssl);

/*
 * The table the binding returned by ONEM2M_SAE_get_binding() was made with
 * (NULL when unbound).  OpenSSL 3.0 resolves TLS 1.3 PSKs before the SNI
 * callback switches SSL_CTX, with the table of the context the connection
 * was created with; such a binding is only returned while it matches the
 * table of the connection's current SSL_CTX.  A server that picks its
 * virtual server by other means (HTTP Host) compares this table with the
 * one of the server that handles the request.
 */
ONEM2M_SAE_TABLE *ONEM2M_SAE_get_binding_table(SSL *ssl);

/*
 * A binding is a copy: its KpsaID and entity strings belong to the
 * connection and stay valid for the life of the SSL object, whatever
 * happens to the table (a live store changes under open connections).
 * Its key is NULL (key_len 0): the key is only used inside the handshake.
 *
 * ONEM2M_SAE_binding_current() revalidates the binding against its table
 * now; a server calls it before each request it serves on the
 * connection.  A text table never changes under its connections: 1 for a
 * bound connection, without a lookup.  A live store is looked up: when
 * the credential has been revoked, rekeyed or moved to another entity
 * since the handshake, the binding is dropped for good
 * (ONEM2M_SAE_get_binding() returns NULL from then on).
 *
 *   1   bound, and the binding is current;
 *   0   unbound, or the binding was dropped (now or before);
 *  -1   the store failed: the binding is dropped too (fail closed).
 */
int ONEM2M_SAE_binding_current(SSL *ssl);

/*
 * The expiration (unix seconds) of the credential the connection's
 * handshake found, 0 when it has none (or there is none), also after
 * ONEM2M_SAE_binding_current() dropped the binding: a MAF key's
 * expirationTime.  From then on the binding is not current.
 */
long long ONEM2M_SAE_binding_expires(SSL *ssl);

/*
 * Certificate-based SAE (TS-0003 8.2.2.2): the identity a verified peer
 * certificate stands for.
 *
 *   AE-ID certificate:  exactly one subjectAltName URI, an absolute AE-ID
 *                       ("//<SP-ID>/<CSE-ID>/C..." or "//<SP-ID>/S...");
 *                       entity = that URI, credential "33-<URI>".
 *   CSE-ID certificate: a subjectAltName dNSName "<CSE-ID>.<sp_domain>"
 *                       (sp_domain: the server's SP domain, compared
 *                       without case); entity = the SP-relative CSE-ID
 *                       "/<CSE-ID>" as written (CSE-IDs are case-
 *                       sensitive), credential "32-<CSE-ID>.<sp_domain in
 *                       lower case>".
 *
 * Nothing (NULL, *reason says why) unless the handshake is complete and
 * OpenSSL verified the certificate (SSL_get_verify_result() == X509_V_OK);
 * nor when a subjectAltName holds a wildcard, the certificate has several
 * URIs, names several CSE-IDs, or both an AE-ID and a CSE-ID.  A PSK
 * handshake has no peer certificate.  The result is computed once per
 * connection and sp_domain and stays valid for the life of the SSL object
 * (until a call with another sp_domain).
 *
 * A resumed session's certificate is verified again against the current
 * store of the SSL_CTX in use (CA list, CRLs, validity): one that no
 * longer verifies names nothing (ONEM2M_SAE_CERT_STALE), and
 * ONEM2M_SAE_get_cert_reverify_result() gives the X509_V_ERR_* why.
 */
#define ONEM2M_SAE_CRED_SYMMETRIC    12  /* Credential-ID types, TS-0003 */
#define ONEM2M_SAE_CRED_CSE_ID_CERT  32  /* Table 12.3.2.1-1 */
#define ONEM2M_SAE_CRED_AE_ID_CERT   33

#define ONEM2M_SAE_CERT_OK           0
#define ONEM2M_SAE_CERT_NO_CERT      1   /* no peer certificate (yet) */
#define ONEM2M_SAE_CERT_UNVERIFIED   2   /* verification failed */
#define ONEM2M_SAE_CERT_NO_IDENTITY  3   /* no AE-ID URI, no CSE-ID dNSName */
#define ONEM2M_SAE_CERT_AMBIGUOUS    4   /* several URIs or identities */
#define ONEM2M_SAE_CERT_WILDCARD     5   /* a wildcard subjectAltName */
#define ONEM2M_SAE_CERT_ERROR        6   /* out of memory, bad arguments */
#define ONEM2M_SAE_CERT_STALE        7   /* resumed, no longer verifies */

typedef struct {
    const char      *entity;           /* NUL-terminated */
    const char      *credential_id;    /* NUL-terminated */
    unsigned short   entity_len;
    unsigned short   credential_id_len;
    unsigned char    entity_type;      /* ONEM2M_SAE_ENTITY_* */
    unsigned char    credential_type;  /* ONEM2M_SAE_CRED_*_CERT */
} ONEM2M_SAE_CERT_IDENTITY;

const ONEM2M_SAE_CERT_IDENTITY *ONEM2M_SAE_get_cert_identity(SSL *ssl,
    const char *sp_domain, size_t sp_domain_len, int *reason);
/* X509_V_OK, or why a resumed session's certificate no longer verifies */
long ONEM2M_SAE_get_cert_reverify_result(SSL *ssl);

#ifdef __cplusplus
}
#endif

#endif /* ONEM2M_SAE_H */
