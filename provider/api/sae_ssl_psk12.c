/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS 1.2 PSK: psk_server_callback (declined in TLS 1.3).
 */

#include <string.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include "sae_ssl_int.h"


/*
 * TLS 1.2 (and the legacy TLS 1.3 fallback, which we decline): returns the
 * key length, 0 for an unknown_psk_identity alert.
 */
unsigned int
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
        event = sae_miss_event(found, &lk);

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
