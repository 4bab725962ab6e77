/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a connection holds of a lookup: the credential's strings, generation
 * and key tag, never the key.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "sae_ssl_int.h"


/*
 * A KpsaID is "relative@fqdn" in visible ASCII (TS-0003 10.5); anything
 * with bytes outside visible ASCII and space cannot be one.
 *
 * TLS 1.3 identities are also session tickets (binary, from us or from
 * another server): those are declined without an event.  Text identities
 * (onem2m_text_all_printable()) are external PSK identities.
 */
int
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


/* the event of a lookup that did not find a credential */
int
sae_miss_event(int found, const ONEM2M_SAE_LOOKUP *lk)
{
    if (found < 0) {
        return ONEM2M_SAE_EV_STORE_ERROR;
    }

    return lk->expires != 0 ? ONEM2M_SAE_EV_EXPIRED : ONEM2M_SAE_EV_UNKNOWN;
}


/*
 * SHA-256, fetched once for the process: HMAC() fetches HMAC and SHA-256
 * anew on every call, which cost as much as the SHA-256 work itself and
 * half of all the hook adds to a TLS 1.3 psk_ke handshake.  Kept until
 * exit (OpenSSL's own fetched methods live as long).
 */
static EVP_MD       *sae_sha256;
static CRYPTO_ONCE   sae_sha256_once = CRYPTO_ONCE_STATIC_INIT;

static void
sae_sha256_fetch(void)
{
    sae_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}


#define SAE_SHA256_BLOCK   64
#define SAE_SHA256_LEN     32


/* HMAC-SHA256 (RFC 2104) with the digest fetched once; 0: not done */
static int
sae_hmac_sha256(const unsigned char *key, size_t key_len,
    const unsigned char *data, size_t data_len, unsigned char *mac)
{
    EVP_MD_CTX     *md;
    unsigned char   pad[SAE_SHA256_BLOCK];
    size_t          i;
    int             ok;

    if (key_len > SAE_SHA256_BLOCK
        || !CRYPTO_THREAD_run_once(&sae_sha256_once, sae_sha256_fetch)
        || sae_sha256 == NULL)
    {
        return 0;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return 0;
    }

    memset(pad, 0x36, sizeof(pad));
    for (i = 0; i < key_len; i++) {
        pad[i] ^= key[i];
    }

    ok = EVP_DigestInit_ex2(md, sae_sha256, NULL)
         && EVP_DigestUpdate(md, pad, sizeof(pad))
         && EVP_DigestUpdate(md, data, data_len)
         && EVP_DigestFinal_ex(md, mac, NULL);

    /* 0x36 ^ 0x5c turns the inner pad into the outer one */
    for (i = 0; i < sizeof(pad); i++) {
        pad[i] ^= 0x36 ^ 0x5c;
    }

    ok = ok
         && EVP_DigestInit_ex2(md, sae_sha256, NULL)
         && EVP_DigestUpdate(md, pad, sizeof(pad))
         && EVP_DigestUpdate(md, mac, SAE_SHA256_LEN)
         && EVP_DigestFinal_ex(md, mac, NULL);

    OPENSSL_cleanse(pad, sizeof(pad));
    EVP_MD_CTX_free(md);

    return ok;
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
    size_t             data_len;

    if (entry->kpsa_id_len > ONEM2M_SAE_MAX_ID_LEN) {
        return 0;
    }

    memcpy(data, label, sizeof(label) - 1);
    memcpy(data + sizeof(label) - 1, entry->kpsa_id, entry->kpsa_id_len);
    data_len = sizeof(label) - 1 + entry->kpsa_id_len;

    /* keys longer than a block (none in a table today): the long way */
    if (!sae_hmac_sha256(entry->key, entry->key_len, data, data_len, mac)
        && HMAC(EVP_sha256(), entry->key, entry->key_len, data, data_len,
                mac, &mac_len)
           == NULL)
    {
        OPENSSL_cleanse(mac, sizeof(mac));
        return 0;
    }

    memcpy(tag, mac, SAE_KEY_TAG_LEN);
    OPENSSL_cleanse(mac, sizeof(mac));

    return 1;
}


/* what a connection keeps of a lookup */
int
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
    cred->expires = lk->expires;

    return 1;
}


/* the connection's credential, never rewritten once it is bound */
int
sae_hold(sae_conn *conn, const ONEM2M_SAE_LOOKUP *lk)
{
    if (conn->binding != NULL || !sae_cred_copy(&conn->cred, lk)) {
        return 0;
    }

    conn->entry = &conn->cred.entry;

    return 1;
}


/* the expiration of the connection's credential, bound or dropped */
long long
ONEM2M_SAE_binding_expires(SSL *ssl)
{
    sae_conn  *conn;

    conn = ssl != NULL ? sae_get_conn(ssl) : NULL;

    return conn != NULL && conn->entry != NULL ? conn->cred.expires : 0;
}
