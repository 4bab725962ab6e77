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

#include <pthread.h>
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

/*
 * Opens sealed with c: keyed already (cipher and kek NULL: only the nonce
 * is set), or keyed here.
 */
static int
envelope_open_ctx(EVP_CIPHER_CTX *c, const EVP_CIPHER *cipher,
    const unsigned char *kek, const char *kpsa_id, const char *entity,
    const unsigned char *sealed, size_t sealed_len, unsigned char *key,
    size_t *key_len)
{
    const unsigned char  *nonce, *ct, *tag;
    size_t                ct_len;
    int                   n, fin;

    if (sealed_len <= KPSA_ENVELOPE_OVERHEAD || sealed_len > KPSA_SEALED_MAX
        || sealed[0] != KPSA_ENVELOPE_VERSION)
    {
        return 0;
    }

    nonce = sealed + 1;
    ct = nonce + KPSA_ENVELOPE_NONCE_LEN;
    ct_len = sealed_len - KPSA_ENVELOPE_OVERHEAD;
    tag = ct + ct_len;

    if (EVP_DecryptInit_ex(c, cipher, NULL, kek, nonce)
        && envelope_aad(c, kpsa_id, entity)
        && EVP_DecryptUpdate(c, key, &n, ct, (int) ct_len)
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KPSA_ENVELOPE_TAG_LEN,
                               (void *) tag)
        && EVP_DecryptFinal_ex(c, key + n, &fin) > 0)
    {
        *key_len = ct_len;
        return 1;
    }

    /* a forged or foreign envelope: nothing of it stays */
    OPENSSL_cleanse(key, ct_len);

    return 0;
}

int
kpsa_envelope_open(const unsigned char kek[KPSA_KEK_LEN],
    const char *kpsa_id, const char *entity, const unsigned char *sealed,
    size_t sealed_len, unsigned char *key, size_t *key_len)
{
    EVP_CIPHER_CTX  *c;
    int              ok;

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return 0;
    }

    ok = envelope_open_ctx(c, EVP_aes_256_gcm(), kek, kpsa_id, entity,
                           sealed, sealed_len, key, key_len);

    EVP_CIPHER_CTX_free(c);

    return ok;
}

struct kpsa_opener {
    pthread_mutex_t   lock;             /* ctx */
    EVP_CIPHER_CTX   *ctx;              /* AES-256-GCM under kek */
    unsigned char     kek[KPSA_KEK_LEN];
};

kpsa_opener *
kpsa_opener_new(const unsigned char kek[KPSA_KEK_LEN])
{
    kpsa_opener  *o;
    EVP_CIPHER   *cipher;
    int           ok;

    /* the KEK copy: out of core dumps (the key schedule is libcrypto's) */
    o = kpsa_keymem_alloc(sizeof(*o));
    if (o == NULL) {
        return NULL;
    }

    cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    o->ctx = EVP_CIPHER_CTX_new();

    ok = cipher != NULL && o->ctx != NULL
         && EVP_DecryptInit_ex(o->ctx, cipher, NULL, kek, NULL);

    EVP_CIPHER_free(cipher);            /* the context holds its own */

    if (!ok) {
        EVP_CIPHER_CTX_free(o->ctx);
        kpsa_keymem_free(o, sizeof(*o));
        return NULL;
    }

    memcpy(o->kek, kek, KPSA_KEK_LEN);
    pthread_mutex_init(&o->lock, NULL);

    return o;
}

int
kpsa_opener_open(kpsa_opener *o, const char *kpsa_id, const char *entity,
    const unsigned char *sealed, size_t sealed_len, unsigned char *key,
    size_t *key_len)
{
    int  ok;

    if (pthread_mutex_trylock(&o->lock) != 0) {
        /* another thread is opening: no waiting behind it */
        return kpsa_envelope_open(o->kek, kpsa_id, entity, sealed,
                                  sealed_len, key, key_len);
    }

    ok = envelope_open_ctx(o->ctx, NULL, NULL, kpsa_id, entity, sealed,
                           sealed_len, key, key_len);

    pthread_mutex_unlock(&o->lock);

    return ok;
}

void
kpsa_opener_free(kpsa_opener *o)
{
    if (o == NULL) {
        return;
    }

    EVP_CIPHER_CTX_free(o->ctx);        /* cleanses the key schedule */
    pthread_mutex_destroy(&o->lock);
    kpsa_keymem_free(o, sizeof(*o));
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
