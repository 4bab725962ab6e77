/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sessions: the app data codec (KpsaID, entity, key tag) that travels in
 * tickets and serialised sessions, and the ticket decryption callback.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "sae_ssl_int.h"


/*
 * KpsaID, entity and key tag go into the session: they travel in TLS 1.2
 * and 1.3 tickets and in serialised sessions (nginx's shared cache).
 */
int
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


int
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
int
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
SSL_TICKET_RETURN
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
