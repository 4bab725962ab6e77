/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENCODER from ONEM2M-KPSA to text, what "openssl storeutl -text" and
 * "openssl pkey -text" print: the KpsaID, the entity, the Credential-ID
 * (TS-0003 10.4, type 12) and the key LENGTH.  Never the key.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "prov.h"

static OSSL_FUNC_encoder_newctx_fn          text_newctx;
static OSSL_FUNC_encoder_freectx_fn         text_freectx;
static OSSL_FUNC_encoder_does_selection_fn  text_does_selection;
static OSSL_FUNC_encoder_encode_fn          text_encode;

const OSSL_DISPATCH onem2m_encoder_text_functions[] = {
    { OSSL_FUNC_ENCODER_NEWCTX, (void (*)(void)) text_newctx },
    { OSSL_FUNC_ENCODER_FREECTX, (void (*)(void)) text_freectx },
    { OSSL_FUNC_ENCODER_DOES_SELECTION,
      (void (*)(void)) text_does_selection },
    { OSSL_FUNC_ENCODER_ENCODE, (void (*)(void)) text_encode },
    { 0, NULL }
};


/* the provider context is all an encoding needs (the BIO upcall) */
static void *
text_newctx(void *provctx)
{
    return provctx;
}

static void
text_freectx(void *ctx)
{
}

static int
text_does_selection(void *ctx, int selection)
{
    /* the same non-secret lines whatever part is asked for */
    return 1;
}

static int
text_encode(void *vctx, OSSL_CORE_BIO *out, const void *obj_raw,
    const OSSL_PARAM obj_abstract[], int selection,
    OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg)
{
    ONEM2M_PROV_CTX         *ctx = vctx;
    const ONEM2M_KPSA_KEY   *key = obj_raw;
    const ONEM2M_SAE_ENTRY  *e;
    char                     text[3 * ONEM2M_SAE_MAX_ID_LEN + 256];
    size_t                   written;
    int                      n;

    if (key == NULL || key->entry == NULL || ctx->bio_write_ex == NULL) {
        onem2m_raise(ctx, ONEM2M_R_BAD_PARAM, "no credential to print");
        return 0;
    }

    e = key->entry;

    n = snprintf(text, sizeof(text),
                 "oneM2M TLS-PSK credential (" ONEM2M_KPSA_NAME ")\n"
                 "KpsaID: %s\n"
                 "Entity: %s (%s)\n"
                 "Credential-ID: 12-%s\n"
                 "Key: %u bytes (not shown)\n",
                 e->kpsa_id, e->entity,
                 e->entity_type == ONEM2M_SAE_ENTITY_CSE ? "CSE-ID" : "AE-ID",
                 e->kpsa_id, (unsigned) e->key_len);

    if (n < 0 || (size_t) n >= sizeof(text)) {
        return 0;
    }

    return ctx->bio_write_ex(out, text, n, &written) && written == (size_t) n;
}
