/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS-PSK hook: TS-0003 SAE on any OpenSSL 3 server's SSL_CTX.
 *
 * Per context (SSL_CTX ex_data): the psk-lookup-table, the unknown-identity
 * policy, the server's event callback and the info callback we wrap.
 * Per connection (SSL ex_data): what the handshake offered and whether it
 * really completed with that key.
 *
 * This file is the public API; the hook's other files share
 * sae_ssl_int.h:
 *
 *   sae_ssl_conn.c      ex_data: the context's and connection's state, events
 *   sae_ssl_cred.c      what a connection keeps of a lookup (no key)
 *   sae_ssl_hello.c     the ClientHello: pre_shared_key parsing, its callback
 *   sae_ssl_suites.c    TLS 1.3 suites narrowed to the PSK's hash
 *   sae_ssl_sni.c       the context the ClientHello's server name selects
 *   sae_ssl_session.c   session app data (tickets, shared caches)
 *   sae_ssl_psk13.c     TLS 1.3: psk_find_session_cb
 *   sae_ssl_psk12.c     TLS 1.2: psk_server_callback
 *   sae_ssl_settle.c    bound or not, once the handshake is complete
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
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "sae_ssl_int.h"
#include "common/onem2m_debug.h"


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

    ONEM2M_DEBUG("SSL_CTX %p: hook installed", (void *) ctx);

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

    ONEM2M_DEBUG("SSL_CTX %p: table %p, unknown identities %s", (void *) ctx,
                 (void *) table, unknown_identity == ONEM2M_SAE_UNKNOWN_HIDE
                                 ? "hidden" : "alerted");

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

    /* past the binding's expiration: gone without a lookup */
    if (conn->cred.expires != 0
        && (long long) time(NULL) >= conn->cred.expires)
    {
        found = 0;
        current = 0;

    } else {
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
    }

    if (current) {
        return 1;
    }

    /* for good: the strings stay, for the server's earlier requests */
    conn->binding = NULL;

    if (onem2m_debug_enabled()) {
        char  id[ONEM2M_DEBUG_ID_SIZE];

        onem2m_debug_print(__func__, "ssl %p: binding of %s dropped: %s",
                           (void *) ssl,
                           onem2m_debug_id(id, conn->cred.kpsa_id,
                                           conn->cred.entry.kpsa_id_len),
                           found < 0 ? "store error"
                           : conn->cred.expires != 0
                             && (long long) time(NULL) >= conn->cred.expires
                           ? "expired"
                           : found == 0 ? "revoked"
                           : "entity or key changed");
    }

    return found < 0 ? -1 : 0;
}

