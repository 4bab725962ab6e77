/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa -f TABLE compile kpsa-lmdb:DIR --kek FILE: a text table,
 * parsed by the provider's own parser, into a new LMDB store with every
 * key sealed under the KEK.  Generations (seq) are 1..n in file order;
 * batches of COMPILE_BATCH credentials per write transaction keep a
 * 10M-entry build within memory, and the map grows between batches.
 */

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "kpsa.h"
#include "store/kpsa_store.h"

#define COMPILE_BATCH  100000

static void
compile_diag(void *arg, int severity, const char *msg)
{
    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        kpsa_err("[emerg] %s", msg);
    }
}

/* entries [from, to) of t, sealed, in one transaction */
static int
compile_batch(kpsa_store *s, const unsigned char *kek,
    const ONEM2M_SAE_TABLE *t, size_t from, size_t to)
{
    const ONEM2M_SAE_ENTRY  *e;
    unsigned char            sealed[KPSA_SEALED_MAX];
    size_t                   i, len;
    int                      ok = 1;

    if (!kpsa_store_begin(s)) {
        return 0;
    }

    for (i = from; ok && i < to; i++) {
        e = onem2m_table_entry(t, i);
        ok = kpsa_envelope_seal(kek, e->kpsa_id, e->entity, e->key,
                                e->key_len, sealed, &len)
             && kpsa_store_put(s, e->kpsa_id, e->entity, sealed, len,
                               (uint64_t) i + 1);
    }

    OPENSSL_cleanse(sealed, sizeof(sealed));

    if (ok && to == onem2m_table_count(t)) {
        ok = kpsa_store_set_meta(s, (uint64_t) to, 0, NULL);
    }

    if (!ok || !kpsa_store_commit(s)) {
        kpsa_store_abort(s);
        return 0;
    }

    return 1;
}

static int
compile_store(const kpsa_opts *o, const char *dir, const unsigned char *kek,
    const ONEM2M_SAE_TABLE *t)
{
    kpsa_store     *s;
    unsigned char   check[KPSA_KEK_CHECK_LEN];
    char            err[512];
    size_t          i, n = onem2m_table_count(t);
    int             ok;

    s = kpsa_store_open(dir, 1, err, sizeof(err));
    if (s == NULL) {
        kpsa_err("%s", err);
        return -1;
    }

    ok = kpsa_kek_check_make(kek, check)
         && kpsa_store_begin(s)
         && kpsa_store_set_kek_check(s, check, sizeof(check))
         && kpsa_store_commit(s);

    for (i = 0; ok && i < n; i += COMPILE_BATCH) {
        ok = compile_batch(s, kek, t, i,
                           n - i > COMPILE_BATCH ? i + COMPILE_BATCH : n);
    }

    if (!ok) {
        kpsa_err("%s: %s (the store is incomplete: remove it)", dir,
                 kpsa_store_error(s));
        kpsa_store_close(s);
        return -1;
    }

    kpsa_note(o, "%s: %zu credential%s compiled from %s, %zu bytes in use",
              dir, n, n == 1 ? "" : "s", o->table, kpsa_store_used_bytes(s));
    kpsa_store_close(s);

    return 0;
}

int
kpsa_compile(const kpsa_opts *o)
{
    ONEM2M_SAE_TABLE  *t;
    unsigned char      kek[KPSA_KEK_LEN];
    const char        *dir;
    char               data[4096];
    struct stat        st;
    int                rc = KPSA_FAIL;

    dir = o->nargs == 1 ? kpsa_lmdb_dir(o->args[0]) : NULL;

    if (dir == NULL || dir[0] == '\0') {
        kpsa_err("compile needs one target, " KPSA_STORE_SCHEME ":DIR (the "
                 "text table is -f TABLE)");
        return KPSA_USAGE;
    }

    snprintf(data, sizeof(data), "%s/data.mdb", dir);

    if (stat(data, &st) == 0) {
        kpsa_err("%s: a store exists there (compile makes a new one); "
                 "nothing changed", dir);
        return KPSA_FAIL;
    }

    if (kpsa_lmdb_kek(o, kek) != 0) {
        return KPSA_FAIL;
    }

    t = onem2m_table_open(o->table, compile_diag, NULL);

    if (t == NULL) {
        kpsa_err("%s: the table does not load; nothing compiled", o->table);

    } else {
        if (compile_store(o, dir, kek, t) == 0) {
            rc = KPSA_OK;
        }

        onem2m_table_free(t);
    }

    OPENSSL_cleanse(kek, sizeof(kek));
    return rc;
}
