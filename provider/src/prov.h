/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the operations of the "onem2m" provider share: the provider
 * context, error raising, the algorithm tables of each operation.
 */

#ifndef ONEM2M_PROV_H
#define ONEM2M_PROV_H

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>

#include "table.h"

/* the credential object of the store and the keymgmt */
#define ONEM2M_KPSA_NAME          "ONEM2M-KPSA"
#define ONEM2M_KPSA_DESC          "oneM2M TLS-PSK credential (KpsaID, " \
                                  "entity id, Kpsa)"
#define ONEM2M_PROPS              "provider=onem2m"

/* params of the credential object */
#define ONEM2M_PARAM_KPSA_ID      "kpsa-id"
#define ONEM2M_PARAM_ENTITY_ID    "entity-id"
#define ONEM2M_PARAM_ENTITY_TYPE  "entity-type"     /* "AE" or "CSE" */
#define ONEM2M_PARAM_KEY          "key"
#define ONEM2M_PARAM_KEY_LEN      "key-length"      /* bytes */

/* reason codes of our errors on the OpenSSL error queue */
#define ONEM2M_R_BAD_URI          100
#define ONEM2M_R_TABLE_ERROR      101
#define ONEM2M_R_MALLOC_FAILURE   102
#define ONEM2M_R_BAD_PARAM        103

typedef struct {
    const OSSL_CORE_HANDLE          *handle;
    OSSL_FUNC_core_new_error_fn     *new_error;
    OSSL_FUNC_core_set_error_debug_fn *set_error_debug;
    OSSL_FUNC_core_vset_error_fn    *vset_error;
    OSSL_FUNC_BIO_write_ex_fn       *bio_write_ex;
} ONEM2M_PROV_CTX;

/* puts an error on the OpenSSL error queue, located at the caller */
#define onem2m_raise(ctx, reason, ...)                                      \
    onem2m_raise_at(ctx, OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC, reason,  \
                    __VA_ARGS__)

void onem2m_raise_at(ONEM2M_PROV_CTX *ctx, const char *file, int line,
    const char *func, int reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* a diag callback that raises every table error on the error queue */
void onem2m_diag_to_error(void *arg, int severity, const char *msg);

/*
 * What the store passes to the keymgmt's load() as an object reference:
 * valid during the store's object callback only (no ownership moves).
 */
typedef struct {
    ONEM2M_SAE_TABLE          *table;
    const ONEM2M_SAE_ENTRY    *entry;
} ONEM2M_KPSA_REF;

/*
 * The key object of the keymgmt: one credential, its own view pointing
 * into the shared table it holds a reference to (zero copies of the
 * strings and key; the table cleanses keys), or for an LMDB store into
 * its own copy (cleansed when freed).
 */
typedef struct {
    ONEM2M_SAE_TABLE          *table;
    const ONEM2M_SAE_ENTRY    *entry;        /* NULL: an empty key */
    ONEM2M_SAE_ENTRY           view;         /* a text table's */
    ONEM2M_SAE_LOOKUP         *own;          /* a live table's: a copy */
} ONEM2M_KPSA_KEY;

extern const OSSL_DISPATCH onem2m_store_functions[];
extern const OSSL_DISPATCH onem2m_keymgmt_functions[];
extern const OSSL_DISPATCH onem2m_encoder_text_functions[];

#endif /* ONEM2M_PROV_H */
