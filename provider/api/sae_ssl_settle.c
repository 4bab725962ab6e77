/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Settling a connection once its handshake is complete: bound or not, for
 * good, through the wrapped info callback (also for fatal alerts).
 */

#include <string.h>

#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

#include "sae_ssl_int.h"
#include "common/onem2m_debug.h"


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
void
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
            ONEM2M_DEBUG("ssl %p: not bound: the handshake did not use the "
                         "key handed out (a certificate or another PSK)",
                         (void *) ssl);
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
void
sae_info_cb(const SSL *cssl, int where, int ret)
{
    sae_ctx_conf  *conf;
    sae_conn      *conn;
    SSL           *ssl;
    unsigned char  none;

    ssl = (SSL *) cssl;

    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf != NULL && conf->next_info_cb != NULL) {
        conf->next_info_cb(cssl, where, ret);
    }

    if (where & SSL_CB_HANDSHAKE_DONE) {
        /*
         * With early data enabled (SSL_read_early_data(), nginx
         * "ssl_early_data on"), OpenSSL 3 also reports the handshake done
         * right after a HelloRetryRequest (statem_srvr.c: TLS_ST_EARLY_DATA
         * ends the handshake there to let the server read early data).
         * Nothing is agreed yet and the second ClientHello brings the PSK
         * again: a handshake without our Finished has not ended (its
         * length only, nothing copied).
         */
        if (SSL_get_finished(ssl, &none, 0) == 0) {
            return;
        }

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
