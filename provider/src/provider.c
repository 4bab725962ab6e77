/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "onem2m" OpenSSL 3 provider: entry point, operation tables, and the
 * private table functions (the fast face, see internal/sae_dispatch.h).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "prov.h"
#include "table_any.h"
#include "common/onem2m_debug.h"

#define ONEM2M_PROV_VERSION   "0.1.0"

static OSSL_FUNC_provider_teardown_fn       onem2m_teardown;
static OSSL_FUNC_provider_gettable_params_fn onem2m_gettable_params;
static OSSL_FUNC_provider_get_params_fn     onem2m_get_params;
static OSSL_FUNC_provider_query_operation_fn onem2m_query;
static OSSL_FUNC_provider_get_reason_strings_fn onem2m_reason_strings;

static ONEM2M_SAE_table_open_fn             onem2m_fast_open;
static ONEM2M_SAE_table_open_ex_fn          onem2m_fast_open_ex;

static const OSSL_ALGORITHM onem2m_stores[] = {
    { ONEM2M_SAE_URI_SCHEME, ONEM2M_PROPS, onem2m_store_functions,
      "psk-lookup-table of oneM2M TLS-PSK credentials (kpsa:<path>)" },
    { ONEM2M_SAE_LMDB_URI_SCHEME, ONEM2M_PROPS, onem2m_store_functions,
      "LMDB store of oneM2M TLS-PSK credentials (kpsa-lmdb:<directory>)" },
    { NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM onem2m_keymgmts[] = {
    { ONEM2M_KPSA_NAME, ONEM2M_PROPS, onem2m_keymgmt_functions,
      ONEM2M_KPSA_DESC },
    { NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM onem2m_encoders[] = {
    { ONEM2M_KPSA_NAME, ONEM2M_PROPS ",output=text",
      onem2m_encoder_text_functions, "ONEM2M-KPSA to text, without the key" },
    { NULL, NULL, NULL, NULL }
};

static const OSSL_ITEM onem2m_reasons[] = {
    { ONEM2M_R_BAD_URI, "bad kpsa URI" },
    { ONEM2M_R_TABLE_ERROR, "psk-lookup-table error" },
    { ONEM2M_R_MALLOC_FAILURE, "out of memory" },
    { ONEM2M_R_BAD_PARAM, "bad parameter" },
    { 0, NULL }
};

static const OSSL_DISPATCH onem2m_dispatch[] = {
    { OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void)) onem2m_teardown },
    { OSSL_FUNC_PROVIDER_GETTABLE_PARAMS,
      (void (*)(void)) onem2m_gettable_params },
    { OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void)) onem2m_get_params },
    { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void)) onem2m_query },
    { OSSL_FUNC_PROVIDER_GET_REASON_STRINGS,
      (void (*)(void)) onem2m_reason_strings },

    /* private ids: the core ignores them, the client library finds them */
    { ONEM2M_SAE_FUNC_TABLE_OPEN, (void (*)(void)) onem2m_fast_open },
    { ONEM2M_SAE_FUNC_TABLE_FREE, (void (*)(void)) onem2m_any_free },
    { ONEM2M_SAE_FUNC_TABLE_OPEN_EX, (void (*)(void)) onem2m_fast_open_ex },
    { 0, NULL }
};


static ONEM2M_SAE_TABLE *
onem2m_fast_open(void *provctx, const char *uri, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg)
{
    return onem2m_table_open_any(uri, NULL, 0, diag, diag_arg);
}

static ONEM2M_SAE_TABLE *
onem2m_fast_open_ex(void *provctx, const char *uri, const char *kek_file,
    ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    return onem2m_table_open_any(uri, kek_file, 0, diag, diag_arg);
}

static const OSSL_PARAM *
onem2m_gettable_params(void *provctx)
{
    static const OSSL_PARAM  gettable[] = {
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR,
                        NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR,
                        NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
        OSSL_PARAM_END
    };

    return gettable;
}

static int
onem2m_get_params(void *provctx, OSSL_PARAM params[])
{
    OSSL_PARAM  *p;

    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
    if (p != NULL
        && !OSSL_PARAM_set_utf8_ptr(p, "oneM2M SAE provider (TS-0003)"))
    {
        return 0;
    }

    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, ONEM2M_PROV_VERSION)) {
        return 0;
    }

    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, ONEM2M_PROV_VERSION)) {
        return 0;
    }

    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
    if (p != NULL && !OSSL_PARAM_set_int(p, 1)) {
        return 0;
    }

    return 1;
}

static const OSSL_ALGORITHM *
onem2m_query(void *provctx, int operation_id, int *no_cache)
{
    *no_cache = 0;

    switch (operation_id) {
    case OSSL_OP_STORE:
        return onem2m_stores;
    case OSSL_OP_KEYMGMT:
        return onem2m_keymgmts;
    case OSSL_OP_ENCODER:
        return onem2m_encoders;
    }

    return NULL;
}

static const OSSL_ITEM *
onem2m_reason_strings(void *provctx)
{
    return onem2m_reasons;
}

static void
onem2m_teardown(void *provctx)
{
    ONEM2M_PROV_CTX  *ctx = provctx;

    if (ctx == NULL) {
        return;
    }

    ONEM2M_DEBUG("provider context %p", (void *) ctx);

    OPENSSL_free(ctx);
}

void
onem2m_raise_at(ONEM2M_PROV_CTX *ctx, const char *file, int line,
    const char *func, int reason, const char *fmt, ...)
{
    char     msg[512];
    va_list  ap;

    /* as pkcs11-provider's P11PROV_raise: every error is traced too */
    if (onem2m_debug_enabled()) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        onem2m_debug_print(func, "raise %d at %s:%d: %s", reason, file, line,
                           msg);
    }

    if (ctx == NULL || ctx->new_error == NULL || ctx->vset_error == NULL) {
        return;
    }

    ctx->new_error(ctx->handle);

    if (ctx->set_error_debug != NULL) {
        ctx->set_error_debug(ctx->handle, file, line, func);
    }

    va_start(ap, fmt);
    /* a bare reason: the core files it under this provider */
    ctx->vset_error(ctx->handle, (uint32_t) reason, fmt, ap);
    va_end(ap);
}

void
onem2m_diag_to_error(void *arg, int severity, const char *msg)
{
    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        onem2m_raise(arg, ONEM2M_R_TABLE_ERROR, "%s", msg);
    }
}

__attribute__((visibility("default"))) int
OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
    ONEM2M_PROV_CTX  *ctx;

    ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx == NULL) {
        return 0;
    }

    ctx->handle = handle;

    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_NEW_ERROR:
            ctx->new_error = OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            ctx->set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            ctx->vset_error = OSSL_FUNC_core_vset_error(in);
            break;
        case OSSL_FUNC_BIO_WRITE_EX:
            ctx->bio_write_ex = OSSL_FUNC_BIO_write_ex(in);
            break;
        }
    }

    *out = onem2m_dispatch;
    *provctx = ctx;

    ONEM2M_DEBUG("provider context %p", (void *) ctx);

    return 1;
}
