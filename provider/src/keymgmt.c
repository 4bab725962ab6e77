/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * KEYMGMT for the credential object "ONEM2M-KPSA": a KpsaID, the entity
 * (AE-ID or CSE-ID) it is provisioned for, and the key Kpsa.  Keys come
 * from the "kpsa:" store by reference and point into the shared table.
 *
 * Params (all gettable, none settable):
 *   kpsa-id      UTF8 string     the KpsaID, the TLS psk_identity
 *   entity-id    UTF8 string     the AE-ID or CSE-ID
 *   entity-type  UTF8 string     "AE" or "CSE"
 *   key          octet string    the key bytes (secret: never print it)
 *   key-length   integer         the key length in bytes
 *   bits, security-bits          8 x key length (security capped at 256)
 */

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "prov.h"
#include "table_any.h"

static OSSL_FUNC_keymgmt_new_fn              kpsa_new;
static OSSL_FUNC_keymgmt_free_fn             kpsa_free;
static OSSL_FUNC_keymgmt_load_fn             kpsa_load;
static OSSL_FUNC_keymgmt_has_fn              kpsa_has;
static OSSL_FUNC_keymgmt_match_fn            kpsa_match;
static OSSL_FUNC_keymgmt_get_params_fn       kpsa_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn  kpsa_gettable_params;
static OSSL_FUNC_keymgmt_dup_fn              kpsa_dup;

const OSSL_DISPATCH onem2m_keymgmt_functions[] = {
    { OSSL_FUNC_KEYMGMT_NEW, (void (*)(void)) kpsa_new },
    { OSSL_FUNC_KEYMGMT_FREE, (void (*)(void)) kpsa_free },
    { OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void)) kpsa_load },
    { OSSL_FUNC_KEYMGMT_HAS, (void (*)(void)) kpsa_has },
    { OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void)) kpsa_match },
    { OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void)) kpsa_get_params },
    { OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS,
      (void (*)(void)) kpsa_gettable_params },
    { OSSL_FUNC_KEYMGMT_DUP, (void (*)(void)) kpsa_dup },
    { 0, NULL }
};


static void *
kpsa_new(void *provctx)
{
    return OPENSSL_zalloc(sizeof(ONEM2M_KPSA_KEY));
}

static void
kpsa_free(void *keydata)
{
    ONEM2M_KPSA_KEY  *key = keydata;

    if (key == NULL) {
        return;
    }

    onem2m_any_free(key->table);
    onem2m_lookup_free(key->own);
    OPENSSL_free(key);
}

/*
 * A key object holding entry e of table: a reference to the table, and
 * for a live (LMDB) table, whose entries are not stable, its own copy.
 */
static ONEM2M_KPSA_KEY *
kpsa_hold(ONEM2M_SAE_TABLE *table, const ONEM2M_SAE_ENTRY *e)
{
    ONEM2M_KPSA_KEY  *key;

    key = OPENSSL_zalloc(sizeof(*key));
    if (key == NULL) {
        return NULL;
    }

    if (table != NULL && !onem2m_any_up_ref(table)) {
        OPENSSL_free(key);
        return NULL;
    }

    key->table = table;

    /* a text table's lookups return views valid until the next one */
    if (e != NULL) {
        key->view = *e;
        key->entry = &key->view;
    }

    if (table != NULL && e != NULL && onem2m_table_is_lmdb(table)) {
        key->own = onem2m_lookup_dup(e);

        if (key->own == NULL) {
            kpsa_free(key);
            return NULL;
        }

        key->entry = &key->own->entry;
    }

    return key;
}

static void *
kpsa_load(const void *reference, size_t reference_sz)
{
    const ONEM2M_KPSA_REF  *ref = reference;

    if (ref == NULL || reference_sz != sizeof(*ref) || ref->entry == NULL
        || ref->table == NULL)
    {
        return NULL;
    }

    return kpsa_hold(ref->table, ref->entry);
}

/* a copy is one more reference to the same credential (a text table's
 * entry is not copied) */
static void *
kpsa_dup(const void *keydata, int selection)
{
    const ONEM2M_KPSA_KEY  *key = keydata;

    return key != NULL ? kpsa_hold(key->table, key->entry) : NULL;
}

static int
kpsa_has(const void *keydata, int selection)
{
    const ONEM2M_KPSA_KEY  *key = keydata;

    if (key == NULL) {
        return 0;
    }

    /* a credential is one piece: loaded, it has everything */
    return key->entry != NULL || (selection & OSSL_KEYMGMT_SELECT_ALL) == 0;
}

static int
kpsa_match(const void *keydata1, const void *keydata2, int selection)
{
    const ONEM2M_SAE_ENTRY  *a, *b;

    a = ((const ONEM2M_KPSA_KEY *) keydata1)->entry;
    b = ((const ONEM2M_KPSA_KEY *) keydata2)->entry;

    if (a == NULL || b == NULL) {
        return a == b;
    }

    return a->kpsa_id_len == b->kpsa_id_len
           && memcmp(a->kpsa_id, b->kpsa_id, a->kpsa_id_len) == 0
           && a->entity_len == b->entity_len
           && memcmp(a->entity, b->entity, a->entity_len) == 0
           && a->key_len == b->key_len
           && CRYPTO_memcmp(a->key, b->key, a->key_len) == 0;
}

/* answers both UTF8_STRING (copy) and UTF8_PTR requests */
static int
set_utf8(OSSL_PARAM *p, const char *s)
{
    if (p->data_type == OSSL_PARAM_UTF8_PTR) {
        return OSSL_PARAM_set_utf8_ptr(p, s);
    }

    return OSSL_PARAM_set_utf8_string(p, s);
}

static int
kpsa_get_params(void *keydata, OSSL_PARAM params[])
{
    const ONEM2M_KPSA_KEY   *key = keydata;
    const ONEM2M_SAE_ENTRY  *e;
    OSSL_PARAM              *p;
    int                      bits;

    if (key == NULL || key->entry == NULL) {
        return 0;
    }

    e = key->entry;
    bits = 8 * e->key_len;

    p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS);
    if (p != NULL && !OSSL_PARAM_set_int(p, bits)) {
        return 0;
    }

    p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS);
    if (p != NULL && !OSSL_PARAM_set_int(p, bits > 256 ? 256 : bits)) {
        return 0;
    }

    p = OSSL_PARAM_locate(params, ONEM2M_PARAM_KPSA_ID);
    if (p != NULL && !set_utf8(p, e->kpsa_id)) {
        return 0;
    }

    p = OSSL_PARAM_locate(params, ONEM2M_PARAM_ENTITY_ID);
    if (p != NULL && !set_utf8(p, e->entity)) {
        return 0;
    }

    p = OSSL_PARAM_locate(params, ONEM2M_PARAM_ENTITY_TYPE);
    if (p != NULL
        && !set_utf8(p, e->entity_type == ONEM2M_SAE_ENTITY_CSE ? "CSE"
                                                                : "AE"))
    {
        return 0;
    }

    p = OSSL_PARAM_locate(params, ONEM2M_PARAM_KEY_LEN);
    if (p != NULL && !OSSL_PARAM_set_int(p, e->key_len)) {
        return 0;
    }

    p = OSSL_PARAM_locate(params, ONEM2M_PARAM_KEY);
    if (p != NULL) {
        if (p->data_type == OSSL_PARAM_OCTET_PTR) {
            return OSSL_PARAM_set_octet_ptr(p, e->key, e->key_len);
        }

        if (!OSSL_PARAM_set_octet_string(p, e->key, e->key_len)) {
            return 0;
        }
    }

    return 1;
}

static const OSSL_PARAM *
kpsa_gettable_params(void *provctx)
{
    static const OSSL_PARAM  gettable[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
        OSSL_PARAM_utf8_string(ONEM2M_PARAM_KPSA_ID, NULL, 0),
        OSSL_PARAM_utf8_string(ONEM2M_PARAM_ENTITY_ID, NULL, 0),
        OSSL_PARAM_utf8_string(ONEM2M_PARAM_ENTITY_TYPE, NULL, 0),
        OSSL_PARAM_int(ONEM2M_PARAM_KEY_LEN, NULL),
        OSSL_PARAM_octet_string(ONEM2M_PARAM_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    return gettable;
}
