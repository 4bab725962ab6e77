/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The key envelope: AES-256-GCM under the KEK.
 *
 *   sealed = 0x01 || nonce (12 random bytes) || ciphertext || tag (16)
 *   AAD    = "onem2m-kpsa-v1" 0x00 KpsaID 0x00 entity
 *
 * The AAD binds a sealed key to its KpsaID and entity: copied to another
 * credential it no longer opens.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kpsa_store.h"

#define ENVELOPE_LABEL   "onem2m-kpsa-v1"
/* the check value: 16 zero bytes sealed for this pseudo credential */
#define KEK_CHECK_ID     ""
#define KEK_CHECK_ENTITY "onem2m-kek-check"

static int
envelope_aad(EVP_CIPHER_CTX *c, const char *kpsa_id, const char *entity)
{
    int  n;

    /* the label's NUL and the KpsaID's NUL are the separators */
    return EVP_CipherUpdate(c, NULL, &n, (const unsigned char *) ENVELOPE_LABEL,
                            sizeof(ENVELOPE_LABEL))
           && EVP_CipherUpdate(c, NULL, &n, (const unsigned char *) kpsa_id,
                               (int) strlen(kpsa_id) + 1)
           && EVP_CipherUpdate(c, NULL, &n, (const unsigned char *) entity,
                               (int) strlen(entity));
}

int
kpsa_envelope_seal(const unsigned char kek[KPSA_KEK_LEN],
    const char *kpsa_id, const char *entity, const unsigned char *key,
    size_t key_len, unsigned char *out, size_t *out_len)
{
    EVP_CIPHER_CTX  *c;
    unsigned char   *nonce, *ct;
    int              n, fin, ok = 0;

    if (key_len == 0 || key_len > KPSA_MAX_KEY_LEN) {
        return 0;
    }

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return 0;
    }

    out[0] = KPSA_ENVELOPE_VERSION;
    nonce = out + 1;
    ct = nonce + KPSA_ENVELOPE_NONCE_LEN;

    if (RAND_bytes(nonce, KPSA_ENVELOPE_NONCE_LEN) == 1
        && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, kek, nonce)
        && envelope_aad(c, kpsa_id, entity)
        && EVP_EncryptUpdate(c, ct, &n, key, (int) key_len)
        && EVP_EncryptFinal_ex(c, ct + n, &fin)
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KPSA_ENVELOPE_TAG_LEN,
                               ct + n + fin))
    {
        *out_len = key_len + KPSA_ENVELOPE_OVERHEAD;
        ok = 1;
    }

    EVP_CIPHER_CTX_free(c);

    return ok;
}

int
kpsa_envelope_open(const unsigned char kek[KPSA_KEK_LEN],
    const char *kpsa_id, const char *entity, const unsigned char *sealed,
    size_t sealed_len, unsigned char *key, size_t *key_len)
{
    EVP_CIPHER_CTX       *c;
    const unsigned char  *nonce, *ct, *tag;
    size_t                ct_len;
    int                   n, fin, ok = 0;

    if (sealed_len <= KPSA_ENVELOPE_OVERHEAD || sealed_len > KPSA_SEALED_MAX
        || sealed[0] != KPSA_ENVELOPE_VERSION)
    {
        return 0;
    }

    nonce = sealed + 1;
    ct = nonce + KPSA_ENVELOPE_NONCE_LEN;
    ct_len = sealed_len - KPSA_ENVELOPE_OVERHEAD;
    tag = ct + ct_len;

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return 0;
    }

    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, kek, nonce)
        && envelope_aad(c, kpsa_id, entity)
        && EVP_DecryptUpdate(c, key, &n, ct, (int) ct_len)
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KPSA_ENVELOPE_TAG_LEN,
                               (void *) tag)
        && EVP_DecryptFinal_ex(c, key + n, &fin) > 0)
    {
        *key_len = ct_len;
        ok = 1;

    } else {
        /* a forged or foreign envelope: nothing of it stays */
        OPENSSL_cleanse(key, ct_len);
    }

    EVP_CIPHER_CTX_free(c);

    return ok;
}

int
kpsa_kek_check_make(const unsigned char kek[KPSA_KEK_LEN],
    unsigned char out[KPSA_KEK_CHECK_LEN])
{
    static const unsigned char  zero[16];
    size_t                      len;

    return kpsa_envelope_seal(kek, KEK_CHECK_ID, KEK_CHECK_ENTITY, zero,
                              sizeof(zero), out, &len);
}

int
kpsa_kek_check_verify(const unsigned char kek[KPSA_KEK_LEN],
    const unsigned char *check, size_t len)
{
    static const unsigned char  zero[16];
    unsigned char               plain[KPSA_SEALED_MAX];
    size_t                      plain_len;
    int                         ok;

    if (len != KPSA_KEK_CHECK_LEN) {
        return 0;
    }

    ok = kpsa_envelope_open(kek, KEK_CHECK_ID, KEK_CHECK_ENTITY, check, len,
                            plain, &plain_len)
         && plain_len == sizeof(zero)
         && CRYPTO_memcmp(plain, zero, sizeof(zero)) == 0;

    OPENSSL_cleanse(plain, sizeof(plain));

    return ok;
}
