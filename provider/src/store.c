/*
 * OSSL_STORE loader for "kpsa:" URIs: the standard face of the table.
 *
 *   kpsa:<path>             the table: one object per credential
 *   kpsa:<path>#<KpsaID>    one credential
 *
 * What a credential is loaded as depends on what the caller expects:
 *
 *   - nothing expected (a plain listing, "openssl storeutl"): a NAME
 *     object, the URI of the credential, described by its entity id and
 *     key length.  storeutl prints names and descriptions, never keys;
 *   - OSSL_STORE_INFO_PKEY expected, or a single-credential URI: an
 *     EVP_PKEY of type ONEM2M-KPSA, by reference to the shared table (see
 *     keymgmt.c), whose text encoder prints no key either.
 *
 * Search by alias (OSSL_STORE_SEARCH_by_alias, alias = KpsaID) narrows
 * either listing to at most one credential, with one hash lookup.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/store.h>

#include "prov.h"
#include "table_any.h"

typedef struct {
    ONEM2M_PROV_CTX        *provctx;
    ONEM2M_SAE_TABLE       *table;
    char                   *path;           /* canonical, for NAME URIs */
    const char             *scheme;         /* of NAME URIs */
    ONEM2M_SAE_LOOKUP       found;          /* the last credential */
    char                   *alias;          /* KpsaID searched, or NULL */
    int                     single;         /* the URI named one entry */
    int                     expect;         /* OSSL_STORE_INFO_*, 0: any */
    size_t                  next;
    int                     eof;
} ONEM2M_STORE_CTX;

static OSSL_FUNC_store_open_fn                 store_open;
static OSSL_FUNC_store_settable_ctx_params_fn  store_settable_ctx_params;
static OSSL_FUNC_store_set_ctx_params_fn       store_set_ctx_params;
static OSSL_FUNC_store_load_fn                 store_load;
static OSSL_FUNC_store_eof_fn                  store_eof;
static OSSL_FUNC_store_close_fn                store_close;

const OSSL_DISPATCH onem2m_store_functions[] = {
    { OSSL_FUNC_STORE_OPEN, (void (*)(void)) store_open },
    { OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS,
      (void (*)(void)) store_settable_ctx_params },
    { OSSL_FUNC_STORE_SET_CTX_PARAMS, (void (*)(void)) store_set_ctx_params },
    { OSSL_FUNC_STORE_LOAD, (void (*)(void)) store_load },
    { OSSL_FUNC_STORE_EOF, (void (*)(void)) store_eof },
    { OSSL_FUNC_STORE_CLOSE, (void (*)(void)) store_close },
    { 0, NULL }
};


static void
store_free(ONEM2M_STORE_CTX *ctx)
{
    if (ctx == NULL) {
        return;
    }

    onem2m_any_free(ctx->table);
    OPENSSL_cleanse(&ctx->found, sizeof(ctx->found));
    OPENSSL_free(ctx->path);
    OPENSSL_free(ctx->alias);
    OPENSSL_free(ctx);
}

/*
 * "kpsa:<path>#<KpsaID>": the fragment is taken only when it is a valid
 * KpsaID (which cannot contain '#') and the path before it exists.
 */
static char *
store_split_fragment(const char *uri, char **alias)
{
    const char  *hash, *path;
    char        *table_uri;

    *alias = NULL;
    hash = strrchr(uri, '#');

    if (hash == NULL
        || !onem2m_kpsa_id_valid(hash + 1, strlen(hash + 1)))
    {
        return OPENSSL_strdup(uri);
    }

    table_uri = OPENSSL_strndup(uri, hash - uri);
    if (table_uri == NULL) {
        return NULL;
    }

    path = onem2m_any_uri_path(table_uri);

    if (path == NULL || access(path, F_OK) != 0) {
        OPENSSL_free(table_uri);
        return OPENSSL_strdup(uri);
    }

    *alias = OPENSSL_strdup(hash + 1);
    if (*alias == NULL) {
        OPENSSL_free(table_uri);
        return NULL;
    }

    return table_uri;
}

static void *
store_open(void *provctx, const char *uri)
{
    ONEM2M_STORE_CTX  *ctx;
    char              *table_uri, *canonical;
    const char        *path;

    ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx == NULL) {
        onem2m_raise(provctx, ONEM2M_R_MALLOC_FAILURE, "store context");
        return NULL;
    }

    ctx->provctx = provctx;

    table_uri = store_split_fragment(uri, &ctx->alias);
    if (table_uri == NULL) {
        onem2m_raise(provctx, ONEM2M_R_MALLOC_FAILURE, "store URI");
        store_free(ctx);
        return NULL;
    }

    ctx->single = (ctx->alias != NULL);

    path = onem2m_any_uri_path(table_uri);

    if (path == NULL) {
        onem2m_raise(provctx, ONEM2M_R_BAD_URI,
                     "%s: not a \"" ONEM2M_SAE_URI_SCHEME ":<path>\" URI",
                     uri);
        OPENSSL_free(table_uri);
        store_free(ctx);
        return NULL;
    }

    /* table errors go to the error queue, warnings are the server's job */
    ctx->table = onem2m_table_open_any(table_uri, onem2m_env_kek_file(), 1,
                                       onem2m_diag_to_error, provctx);
    ctx->scheme = onem2m_lmdb_uri_path(table_uri) != NULL
                  ? ONEM2M_SAE_LMDB_URI_SCHEME : ONEM2M_SAE_URI_SCHEME;

    if (ctx->table != NULL) {
        canonical = realpath(path, NULL);
        ctx->path = OPENSSL_strdup(canonical != NULL ? canonical : path);
        free(canonical);
    }

    OPENSSL_free(table_uri);

    if (ctx->table == NULL || ctx->path == NULL) {
        store_free(ctx);
        return NULL;
    }

    return ctx;
}

static const OSSL_PARAM *
store_settable_ctx_params(void *provctx)
{
    static const OSSL_PARAM  settable[] = {
        OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, NULL),
        OSSL_PARAM_utf8_string(OSSL_STORE_PARAM_ALIAS, NULL, 0),
        OSSL_PARAM_END
    };

    return settable;
}

static int
store_set_ctx_params(void *loaderctx, const OSSL_PARAM params[])
{
    ONEM2M_STORE_CTX  *ctx = loaderctx;
    const OSSL_PARAM  *p;
    char              *alias = NULL;

    p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_EXPECT);
    if (p != NULL && !OSSL_PARAM_get_int(p, &ctx->expect)) {
        return 0;
    }

    p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_ALIAS);
    if (p != NULL) {
        if (!OSSL_PARAM_get_utf8_string(p, &alias, 0)) {
            return 0;
        }

        if (ctx->single && strcmp(alias, ctx->alias) != 0) {
            /* "table#A" searched for B: nothing */
            ctx->eof = 1;
        }

        OPENSSL_free(ctx->alias);
        ctx->alias = alias;
    }

    return 1;
}

static int
store_emit_name(ONEM2M_STORE_CTX *ctx, const ONEM2M_SAE_ENTRY *e,
    OSSL_CALLBACK *object_cb, void *object_cbarg)
{
    OSSL_PARAM   params[4];
    int          type = OSSL_OBJECT_NAME;
    char        *name;
    char         desc[ONEM2M_SAE_MAX_ID_LEN + 128];
    size_t       len;
    int          ok;

    len = strlen(ctx->scheme) + sizeof(":#") + strlen(ctx->path)
          + e->kpsa_id_len;
    name = OPENSSL_malloc(len);
    if (name == NULL) {
        onem2m_raise(ctx->provctx, ONEM2M_R_MALLOC_FAILURE, "store name");
        return 0;
    }

    snprintf(name, len, "%s:%s#%s", ctx->scheme, ctx->path, e->kpsa_id);
    snprintf(desc, sizeof(desc), "oneM2M TLS-PSK credential of %s (%s), "
             "%u-byte key", e->entity,
             e->entity_type == ONEM2M_SAE_ENTITY_CSE ? "CSE" : "AE",
             (unsigned) e->key_len);

    params[0] = OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA,
                                                 name, 0);
    params[2] = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DESC,
                                                 desc, 0);
    params[3] = OSSL_PARAM_construct_end();

    ok = object_cb(params, object_cbarg);
    OPENSSL_free(name);

    return ok;
}

static int
store_emit_key(ONEM2M_STORE_CTX *ctx, const ONEM2M_SAE_ENTRY *e,
    OSSL_CALLBACK *object_cb, void *object_cbarg)
{
    OSSL_PARAM        params[4];
    int               type = OSSL_OBJECT_PKEY;
    ONEM2M_KPSA_REF   ref;

    if (e->key == NULL) {
        onem2m_raise(ctx->provctx, ONEM2M_R_TABLE_ERROR, "%s:%s: the keys "
                     "are sealed: set ONEM2M_KEK_FILE to the KEK file to "
                     "load them", ctx->scheme, ctx->path);
        return 0;
    }

    /* valid during the call: the keymgmt's load() takes its own ref */
    ref.table = ctx->table;
    ref.entry = e;

    params[0] = OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE,
                                                 (char *) ONEM2M_KPSA_NAME, 0);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE,
                                                  &ref, sizeof(ref));
    params[3] = OSSL_PARAM_construct_end();

    return object_cb(params, object_cbarg);
}

/*
 * An LMDB store has no stable entries: the credential by alias, or the
 * next in KpsaID order after the one loaded last, into ctx->found.
 */
static int
store_lmdb_next(ONEM2M_STORE_CTX *ctx, const ONEM2M_SAE_ENTRY **e)
{
    const ONEM2M_SAE_TABLE_HEAD  *head = (void *) ctx->table;
    int                           rc;

    if (ctx->alias != NULL) {
        ctx->eof = 1;
        rc = head->get(ctx->table, ctx->alias, strlen(ctx->alias),
                       &ctx->found);

    } else {
        rc = onem2m_lmdb_next(ctx->table, ctx->next++ ? ctx->found.kpsa_id_buf
                                                      : NULL, &ctx->found);
    }

    *e = (rc == 1) ? &ctx->found.entry : NULL;

    if (rc < 0) {
        ctx->eof = 1;
        onem2m_raise(ctx->provctx, ONEM2M_R_TABLE_ERROR, "%s:%s: cannot read "
                     "the store", ctx->scheme, ctx->path);
        return 0;
    }

    return 1;
}

static int
store_load(void *loaderctx, OSSL_CALLBACK *object_cb, void *object_cbarg,
    OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    ONEM2M_STORE_CTX        *ctx = loaderctx;
    const ONEM2M_SAE_ENTRY  *e;

    if (ctx->eof) {
        return 1;
    }

    if (onem2m_table_is_lmdb(ctx->table)) {
        if (!store_lmdb_next(ctx, &e)) {
            return 0;
        }

    } else if (ctx->alias != NULL) {
        e = onem2m_table_lookup(ctx->table, ctx->alias, strlen(ctx->alias));
        ctx->eof = 1;

    } else {
        e = onem2m_table_entry(ctx->table, ctx->next++);
        ctx->eof = (ctx->next >= onem2m_table_count(ctx->table));
    }

    if (e == NULL) {
        ctx->eof = 1;
        return 1;                       /* nothing (more), not an error */
    }

    if (ctx->expect == 0 && !ctx->single) {
        return store_emit_name(ctx, e, object_cb, object_cbarg);
    }

    if (ctx->expect == 0 || ctx->expect == OSSL_STORE_INFO_PKEY) {
        return store_emit_key(ctx, e, object_cb, object_cbarg);
    }

    if (ctx->expect == OSSL_STORE_INFO_NAME) {
        return store_emit_name(ctx, e, object_cb, object_cbarg);
    }

    ctx->eof = 1;                       /* no certificates, CRLs, params */
    return 1;
}

static int
store_eof(void *loaderctx)
{
    ONEM2M_STORE_CTX  *ctx = loaderctx;

    return ctx->eof;
}

static int
store_close(void *loaderctx)
{
    store_free(loaderctx);
    return 1;
}
