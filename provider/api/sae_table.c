/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client side of the fast face: servers link this (the nginx module
 * compiles it in), the "onem2m" provider owns the tables.
 *
 * Opening a table loads the provider into the library context (once per
 * context, a reference per open table) and calls its private TABLE_OPEN
 * function, found with OSSL_PROVIDER_get0_dispatch().  Each open table
 * holds one provider reference, released by ONEM2M_SAE_table_free(), so
 * the provider's code stays mapped while any table of it is in use.
 *
 * Lookups call through the table's own head (sae_dispatch.h): one
 * indirect call; in a text table no lock, no allocation and no copy, in
 * a kpsa-lmdb: store one read transaction and the key unsealed into the
 * caller's ONEM2M_SAE_LOOKUP.
 */

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include "internal/sae_dispatch.h"

#define SAE_PROVIDER_FILE  ONEM2M_SAE_PROVIDER_NAME ".so"

/* which provider reference each open table holds */
typedef struct sae_table_ref_st  SAE_TABLE_REF;

struct sae_table_ref_st {
    ONEM2M_SAE_TABLE   *table;
    OSSL_PROVIDER      *provider;
    SAE_TABLE_REF      *next;
};

static pthread_mutex_t   sae_refs_lock = PTHREAD_MUTEX_INITIALIZER;
static SAE_TABLE_REF    *sae_refs;


static void
sae_diag(ONEM2M_SAE_DIAG_CB diag, void *arg, const char *uri,
    const char *reason)
{
    char  msg[PATH_MAX + 256];

    if (diag != NULL) {
        snprintf(msg, sizeof(msg), "%s: %s", uri, reason);
        diag(arg, ONEM2M_SAE_DIAG_ERROR, msg);
    }
}

/*
 * A provider already loaded under its name (openssl.cnf, an earlier call)
 * is reused.  Otherwise provider_dir is tried by absolute file name, which
 * OSSL_PROVIDER_try_load() accepts as a module path without touching the
 * process-wide default search path, then the name in OpenSSL's modules
 * directory.  Fallback providers (default) stay enabled.
 */
static OSSL_PROVIDER *
sae_provider_load(OSSL_LIB_CTX *libctx, const char *provider_dir)
{
    OSSL_PROVIDER  *provider;
    char            path[PATH_MAX];
    char           *dir;
    int             n;

    if (OSSL_PROVIDER_available(libctx, ONEM2M_SAE_PROVIDER_NAME)) {
        provider = OSSL_PROVIDER_try_load(libctx, ONEM2M_SAE_PROVIDER_NAME, 1);
        if (provider != NULL) {
            return provider;
        }
    }

    if (provider_dir != NULL) {
        dir = realpath(provider_dir, NULL);

        if (dir != NULL) {
            n = snprintf(path, sizeof(path), "%s/" SAE_PROVIDER_FILE, dir);
            free(dir);

            if (n > 0 && (size_t) n < sizeof(path) && access(path, R_OK) == 0) {
                ERR_set_mark();
                provider = OSSL_PROVIDER_try_load(libctx, path, 1);

                if (provider != NULL) {
                    ERR_pop_to_mark();
                    return provider;
                }

                ERR_clear_last_mark();
            }
        }
    }

    return OSSL_PROVIDER_try_load(libctx, ONEM2M_SAE_PROVIDER_NAME, 1);
}

/*
 * Names where the provider was looked for: the server's directory, then
 * OpenSSL's modules directory (OPENSSL_MODULES, else the compiled-in one).
 */
static void
sae_no_provider(ONEM2M_SAE_DIAG_CB diag, void *arg, const char *uri,
    const char *provider_dir)
{
    char         reason[1200];
    const char  *modules = getenv("OPENSSL_MODULES");

    if (modules == NULL || modules[0] == '\0') {
        modules = OPENSSL_info(OPENSSL_INFO_MODULES_DIR);
    }

    if (modules == NULL) {
        modules = "?";
    }

    snprintf(reason, sizeof(reason),
             "cannot load the OpenSSL provider \"" ONEM2M_SAE_PROVIDER_NAME
             "\": no usable " SAE_PROVIDER_FILE " in %.400s%s"
             "OpenSSL's modules directory %.400s",
             provider_dir != NULL ? provider_dir : "",
             provider_dir != NULL ? " nor in " : "", modules);
    sae_diag(diag, arg, uri, reason);
}

/*
 * A text table through TABLE_OPEN (kek_file NULL), anything with a KEK
 * file through TABLE_OPEN_EX (ABI version 2), which the provider routes by
 * URI scheme.
 */
ONEM2M_SAE_TABLE *
ONEM2M_SAE_table_open_ex(OSSL_LIB_CTX *libctx, const char *provider_dir,
    const char *uri, const char *kek_file, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg)
{
    OSSL_PROVIDER             *provider;
    const OSSL_DISPATCH       *fn;
    ONEM2M_SAE_table_open_fn  *table_open = NULL;
    ONEM2M_SAE_table_open_ex_fn *table_open_ex = NULL;
    ONEM2M_SAE_table_free_fn  *table_free = NULL;
    ONEM2M_SAE_TABLE          *table;
    unsigned int               magic;
    char                       reason[160];
    SAE_TABLE_REF             *ref;

    if (uri == NULL) {
        sae_diag(diag, diag_arg, "(null)", "no table URI");
        return NULL;
    }

    provider = sae_provider_load(libctx, provider_dir);

    if (provider == NULL) {
        sae_no_provider(diag, diag_arg, uri, provider_dir);
        return NULL;
    }

    for (fn = OSSL_PROVIDER_get0_dispatch(provider);
         fn != NULL && fn->function_id != 0;
         fn++)
    {
        if (fn->function_id == ONEM2M_SAE_FUNC_TABLE_OPEN) {
            table_open = (ONEM2M_SAE_table_open_fn *) fn->function;

        } else if (fn->function_id == ONEM2M_SAE_FUNC_TABLE_OPEN_EX) {
            table_open_ex = (ONEM2M_SAE_table_open_ex_fn *) fn->function;

        } else if (fn->function_id == ONEM2M_SAE_FUNC_TABLE_FREE) {
            table_free = (ONEM2M_SAE_table_free_fn *) fn->function;
        }
    }

    if (table_open == NULL || table_free == NULL
        || (kek_file != NULL && table_open_ex == NULL))
    {
        sae_diag(diag, diag_arg, uri,
                 "the provider named \"" ONEM2M_SAE_PROVIDER_NAME
                 "\" has no psk-lookup-table functions");
        OSSL_PROVIDER_unload(provider);
        return NULL;
    }

    ref = OPENSSL_malloc(sizeof(*ref));
    if (ref == NULL) {
        sae_diag(diag, diag_arg, uri, "out of memory");
        OSSL_PROVIDER_unload(provider);
        return NULL;
    }

    table = kek_file != NULL
            ? table_open_ex(OSSL_PROVIDER_get0_provider_ctx(provider), uri,
                            kek_file, diag, diag_arg)
            : table_open(OSSL_PROVIDER_get0_provider_ctx(provider), uri,
                         diag, diag_arg);

    if (table == NULL) {
        OPENSSL_free(ref);
        OSSL_PROVIDER_unload(provider);
        return NULL;
    }

    /*
     * Only the magic is read: past it a head of another build may differ,
     * so the table is freed through the dispatch table, not its head.
     */
    magic = ((ONEM2M_SAE_TABLE_HEAD *) table)->magic;

    if (magic != ONEM2M_SAE_TABLE_MAGIC) {
        snprintf(reason, sizeof(reason),
                 "the provider \"" ONEM2M_SAE_PROVIDER_NAME "\" is of "
                 "another build (table magic %08x, expected %08x)",
                 magic, ONEM2M_SAE_TABLE_MAGIC);
        sae_diag(diag, diag_arg, uri, reason);
        table_free(table);
        OPENSSL_free(ref);
        OSSL_PROVIDER_unload(provider);
        return NULL;
    }

    ref->table = table;
    ref->provider = provider;

    pthread_mutex_lock(&sae_refs_lock);
    ref->next = sae_refs;
    sae_refs = ref;
    pthread_mutex_unlock(&sae_refs_lock);

    return table;
}

ONEM2M_SAE_TABLE *
ONEM2M_SAE_table_open(OSSL_LIB_CTX *libctx, const char *provider_dir,
    const char *uri, ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    return ONEM2M_SAE_table_open_ex(libctx, provider_dir, uri, NULL, diag,
                                    diag_arg);
}

void
ONEM2M_SAE_table_free(ONEM2M_SAE_TABLE *table)
{
    SAE_TABLE_REF   **pp, *ref = NULL;

    if (table == NULL) {
        return;
    }

    pthread_mutex_lock(&sae_refs_lock);

    for (pp = &sae_refs; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->table == table) {
            ref = *pp;
            *pp = ref->next;
            break;
        }
    }

    pthread_mutex_unlock(&sae_refs_lock);

    if (ref == NULL) {
        return;                         /* not opened here, or freed twice */
    }

    ((ONEM2M_SAE_TABLE_HEAD *) table)->free(table);
    OSSL_PROVIDER_unload(ref->provider);
    OPENSSL_free(ref);
}

const ONEM2M_SAE_ENTRY *
ONEM2M_SAE_table_lookup(const ONEM2M_SAE_TABLE *table, const char *kpsa_id,
    size_t len)
{
    if (table == NULL) {
        return NULL;
    }

    return ((const ONEM2M_SAE_TABLE_HEAD *) table)->lookup(table, kpsa_id,
                                                           len);
}

const ONEM2M_SAE_ENTRY *
ONEM2M_SAE_table_find_entity(const ONEM2M_SAE_TABLE *table,
    const char *entity, size_t len)
{
    if (table == NULL) {
        return NULL;
    }

    return ((const ONEM2M_SAE_TABLE_HEAD *) table)->find_entity(table, entity,
                                                                len);
}

size_t
ONEM2M_SAE_table_count(const ONEM2M_SAE_TABLE *table)
{
    if (table == NULL) {
        return 0;
    }

    return ((const ONEM2M_SAE_TABLE_HEAD *) table)->count(table);
}

/*- ABI version 2: lookups with their own storage, live stores ---------- */

/*
 * A credential past its expiration is not found (TS-0003 8.2.2.3: after
 * expirationTime the handshake fails): every lookup of the hook, and the
 * revalidation of open connections, comes through here.
 */
static int
sae_table_unexpired(int found, ONEM2M_SAE_LOOKUP *out)
{
    if (found == 1 && out->expires != 0
        && (long long) time(NULL) >= out->expires)
    {
        ONEM2M_SAE_lookup_cleanse(out);
        memset(&out->entry, 0, sizeof(out->entry));
        return 0;
    }

    return found;
}

int
ONEM2M_SAE_table_get(const ONEM2M_SAE_TABLE *table, const char *kpsa_id,
    size_t len, ONEM2M_SAE_LOOKUP *out)
{
    if (table == NULL || out == NULL) {
        return -1;
    }

    out->expires = 0;

    return sae_table_unexpired(
        ((const ONEM2M_SAE_TABLE_HEAD *) table)->get(table, kpsa_id, len,
                                                     out),
        out);
}

int
ONEM2M_SAE_table_get_entity(const ONEM2M_SAE_TABLE *table,
    const char *entity, size_t len, ONEM2M_SAE_LOOKUP *out)
{
    if (table == NULL || out == NULL) {
        return -1;
    }

    out->expires = 0;

    return sae_table_unexpired(
        ((const ONEM2M_SAE_TABLE_HEAD *) table)->get_entity(table, entity,
                                                            len, out),
        out);
}

void
ONEM2M_SAE_lookup_cleanse(ONEM2M_SAE_LOOKUP *out)
{
    const unsigned char  *key;

    if (out == NULL) {
        return;
    }

    /*
     * A text table's lookup (generation 0, the key in the table) never
     * wrote key_buf: the 512 bytes are not wiped on every handshake.
     */
    key = out->entry.key;

    if (out->generation != 0 || key == NULL
        || (key >= out->key_buf && key < out->key_buf + sizeof(out->key_buf)))
    {
        OPENSSL_cleanse(out->key_buf, sizeof(out->key_buf));
    }

    out->entry.key = NULL;
    out->entry.key_len = 0;
}

int
ONEM2M_SAE_table_is_live(const ONEM2M_SAE_TABLE *table)
{
    ONEM2M_SAE_TABLE_INFO  info;

    if (table == NULL) {
        return 0;
    }

    /* info says live even when the store cannot be read just now */
    memset(&info, 0, sizeof(info));
    (void) ((const ONEM2M_SAE_TABLE_HEAD *) table)->info(table, &info);

    return info.live;
}

int
ONEM2M_SAE_table_child_init(ONEM2M_SAE_TABLE *table)
{
    if (table == NULL) {
        return 0;
    }

    return ((ONEM2M_SAE_TABLE_HEAD *) table)->child_init(table);
}

int
ONEM2M_SAE_table_info(const ONEM2M_SAE_TABLE *table,
    ONEM2M_SAE_TABLE_INFO *info)
{
    if (table == NULL || info == NULL) {
        return 0;
    }

    return ((const ONEM2M_SAE_TABLE_HEAD *) table)->info(table, info);
}
