/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The process-wide cache of parsed tables: one copy per file version,
 * refcounted.  With the debug switch (common/onem2m_debug.c) the
 * provider's only global state, on purpose: a file version is parsed and
 * held once per process, whatever the number of library contexts and
 * provider instances (internal/sae_dispatch.h says why lookups still see
 * none of it).  The version is the canonical path and the SHA-256 of the
 * bytes read, so no edit can keep a stale copy alive, not even one that
 * restores the size and the mtime (metadata an owner can set at will).  A
 * changed file (nginx reload after an edit) is parsed anew.
 *
 * Reading and hashing a 1M-entry file costs about as much as a tenth of
 * parsing it; OSSL_STORE opens the table on every OSSL_STORE_open().  So,
 * as git does with its "racily clean" index entries, a file is not read
 * again when its inode, size, mtime and ctime are those seen when it was
 * last read, and that ctime was well before the read started: any write
 * since would have set ctime to a later time, and ctime, unlike mtime,
 * cannot be set back from user space.
 */

#include <string.h>

#include <openssl/crypto.h>

#include "table_int.h"

/* ctime granularity margin: older than this at read time, it is stable */
#define TABLE_CTIME_MARGIN    2

static CRYPTO_ONCE         cache_once = CRYPTO_ONCE_STATIC_INIT;
static CRYPTO_RWLOCK      *cache_lock;
static ONEM2M_SAE_TABLE   *cache;

static void
cache_init(void)
{
    cache_lock = CRYPTO_THREAD_lock_new();
}

/* the lock lives as long as the shared object: freed when it unloads */
static void __attribute__((destructor))
cache_fini(void)
{
    CRYPTO_THREAD_lock_free(cache_lock);
    cache_lock = NULL;
}

/* 1 once the lock exists (every table's refcount is under it) */
int
onem2m_table_cache_ready(void)
{
    return CRYPTO_THREAD_run_once(&cache_once, cache_init)
           && cache_lock != NULL;
}

static int
same_file(const ONEM2M_SAE_TABLE *t, const char *canonical,
    const unsigned char *digest)
{
    return t->cacheable
           && CRYPTO_memcmp(t->digest, digest, TABLE_DIGEST_LEN) == 0
           && strcmp(t->canonical_path, canonical) == 0;
}

static int
same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* see the comment at the top: unchanged without reading it again */
static int
same_stable_file(const ONEM2M_SAE_TABLE *t, const char *canonical,
    const struct stat *st)
{
    return t->cacheable
           && t->dev == st->st_dev && t->ino == st->st_ino
           && t->size == st->st_size
           && same_time(&t->mtime, &st->st_mtim)
           && same_time(&t->ctime, &st->st_ctim)
           && st->st_ctim.tv_sec + TABLE_CTIME_MARGIN < t->read_at.tv_sec
           && strcmp(t->canonical_path, canonical) == 0;
}

static void
note_file(ONEM2M_SAE_TABLE *t, const struct stat *st,
    const struct timespec *read_at)
{
    t->dev = st->st_dev;
    t->ino = st->st_ino;
    t->size = st->st_size;
    t->mtime = st->st_mtim;
    t->ctime = st->st_ctim;
    t->read_at = *read_at;
}

/*
 * The cached copy of canonical, with a reference: with digest (not NULL)
 * the one of the same content, which then takes st and read_at as its
 * last reading; without, one whose file st shows unchanged since a
 * reading.
 */
ONEM2M_SAE_TABLE *
onem2m_table_cache_get(const char *canonical, const unsigned char *digest,
    const struct stat *st, const struct timespec *read_at)
{
    ONEM2M_SAE_TABLE  *t;

    if (!CRYPTO_THREAD_write_lock(cache_lock)) {
        return NULL;
    }

    for (t = cache; t != NULL; t = t->next) {
        if (digest != NULL ? same_file(t, canonical, digest)
                           : same_stable_file(t, canonical, st))
        {
            if (digest != NULL) {
                note_file(t, st, read_at);
            }

            t->refs++;
            break;
        }
    }

    CRYPTO_THREAD_unlock(cache_lock);

    return t;
}

/*
 * Caches t (its canonical_path and digest set) as read at read_at with
 * st.  Returns t, or the copy of the same file another thread cached
 * meanwhile (t is then freed), or NULL (t freed) when the lock fails.
 */
ONEM2M_SAE_TABLE *
onem2m_table_cache_add(ONEM2M_SAE_TABLE *t, const struct stat *st,
    const struct timespec *read_at)
{
    ONEM2M_SAE_TABLE  *other;

    t->cacheable = 1;
    note_file(t, st, read_at);

    if (!CRYPTO_THREAD_write_lock(cache_lock)) {
        onem2m_table_destroy(t);
        return NULL;
    }

    for (other = cache; other != NULL; other = other->next) {
        if (same_file(other, t->canonical_path, t->digest)) {
            other->refs++;
            break;
        }
    }

    if (other == NULL) {
        t->next = cache;
        cache = t;
    }

    CRYPTO_THREAD_unlock(cache_lock);

    if (other != NULL) {
        onem2m_table_destroy(t);
        return other;
    }

    return t;
}

int
onem2m_table_up_ref(ONEM2M_SAE_TABLE *t)
{
    if (t == NULL || !CRYPTO_THREAD_write_lock(cache_lock)) {
        return 0;
    }

    t->refs++;
    CRYPTO_THREAD_unlock(cache_lock);

    return 1;
}

void
onem2m_table_free(ONEM2M_SAE_TABLE *t)
{
    ONEM2M_SAE_TABLE  **pp;
    int                 last;

    if (t == NULL || !CRYPTO_THREAD_write_lock(cache_lock)) {
        return;
    }

    last = (--t->refs == 0);

    if (last) {
        for (pp = &cache; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == t) {
                *pp = t->next;
                break;
            }
        }
    }

    CRYPTO_THREAD_unlock(cache_lock);

    if (last) {
        onem2m_table_destroy(t);
    }
}
