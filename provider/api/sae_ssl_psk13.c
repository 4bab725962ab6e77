/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS 1.3 external PSK: psk_find_session_cb and the session it returns.
 */


#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include "sae_ssl_int.h"


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
int
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
        event = sae_miss_event(found, &lk);

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
