/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LMDB backend of the table API: "kpsa-lmdb:<directory>", a live
 * store written by onem2m-kpsa or the sync daemon (provider/store).
 *
 * Opening loads the KEK, opens the store read-only to check it (format,
 * the KEK against the check value or the first sealed key) and closes it
 * again: an LMDB environment must never be used across fork.  Each process
 * reopens it in child_init (nginx: every worker), clearing the reader
 * slots of dead processes; a lookup in a process that did not (tests, a
 * single-process server) opens it on first use.  Every lookup is one
 * renewed read transaction (provider/store/kpsa_store_read.c), so commits
 * are seen at once; the key is unsealed into the caller's buffer and the
 * sealed copy wiped.  Revoked credentials (tombstones) are not found.
 *
 * There are no stable entries: the head's lookup and find_entity return
 * NULL; get and get_entity fill an ONEM2M_SAE_LOOKUP.
 *
 * A store is checked again at most once a second by the lookups and at
 * every info() (kpsa_store_verify(): data.mdb whole, and still the file
 * the directory names).  One found damaged (or a read that faulted under
 * the map) is closed and its lookups fail closed (-1) without touching
 * it, and reopening is tried once a second; one replaced on disk (another
 * directory renamed into place) is closed and the new one opened.  These
 * closes assume one thread per table at a time, as nginx's workers are.
 */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include <openssl/crypto.h>

#include "common/onem2m_uri.h"
#include "store/kpsa_store.h"
#include "table_any.h"

_Static_assert(KPSA_MAX_KEY_LEN == ONEM2M_SAE_MAX_KEY_LEN, "key length");
_Static_assert(KPSA_MAX_ID_LEN == ONEM2M_SAE_MAX_ID_LEN, "id length");

typedef struct {
    ONEM2M_SAE_TABLE_HEAD  head;            /* first: see sae_dispatch.h */
    char                  *dir;             /* canonical */
    char                  *path;            /* as configured: reopened */
    unsigned char          kek[KPSA_KEK_LEN];
    int                    has_kek;
    kpsa_opener           *opener;          /* under kek, keyed once */
    pthread_mutex_t        lock;            /* store, pid, refs */
    kpsa_store            *store;           /* this process's, or NULL */
    kpsa_store            *inherited;       /* the parent's, abandoned */
    pid_t                  pid;             /* the process that opened it */
    int                    refs;
    time_t                 verify_at;       /* next kpsa_store_verify() */
    time_t                 retry_at;        /* next open after a failure */
    unsigned long long     dev, ino;        /* data.mdb of store */
    int                    stale_readers;   /* cleared when it was opened */
    unsigned               replaced;        /* reopened: another store */
    char                   error[512];      /* why store is NULL */
} LMDB_TABLE;

static ONEM2M_SAE_table_lookup_fn      lmdb_no_entry;
static ONEM2M_SAE_table_count_fn       lmdb_count;
static ONEM2M_SAE_table_get_fn         lmdb_get;
static ONEM2M_SAE_table_get_fn         lmdb_get_entity;
static ONEM2M_SAE_table_child_init_fn  lmdb_child_init;
static ONEM2M_SAE_table_info_fn        lmdb_info;


static void
lmdb_diag(ONEM2M_SAE_DIAG_CB diag, void *arg, int severity, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
lmdb_diag(ONEM2M_SAE_DIAG_CB diag, void *arg, int severity, const char *fmt,
    ...)
{
    char     msg[1024];
    va_list  ap;

    if (diag == NULL) {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    diag(arg, severity, msg);
}

/*
 * The rule is common/onem2m_uri.c's; a malformed kpsa-lmdb: URI is still
 * one ("", which onem2m_lmdb_open() refuses), not a text table's path.
 */
const char *
onem2m_lmdb_uri_path(const char *uri)
{
    const char  *path;
    int          scheme;

    path = onem2m_uri_path(uri, &scheme);

    if (scheme != ONEM2M_URI_LMDB) {
        return NULL;
    }

    return path != NULL ? path : "";
}

/* this process's store is closed (error says why); t->lock held */
static void
lmdb_drop(LMDB_TABLE *t, time_t now)
{
    snprintf(t->error, sizeof(t->error), "%s", kpsa_store_error(t->store));
    kpsa_store_close(t->store);
    t->store = NULL;
    t->dev = 0;
    t->ino = 0;
    t->retry_at = now + 1;
}

/* opens the store of this process: NULL with t->error; t->lock held */
static kpsa_store *
lmdb_reopen(LMDB_TABLE *t, time_t now)
{
    char  err[512];

    t->store = kpsa_store_open(t->path, 0, err, sizeof(err));
    t->pid = getpid();
    t->verify_at = now + 1;

    if (t->store == NULL) {
        snprintf(t->error, sizeof(t->error), "%s", err);
        t->retry_at = now + 1;
        return NULL;
    }

    kpsa_store_file_id(t->store, &t->dev, &t->ino);
    t->stale_readers = kpsa_store_stale_readers(t->store);
    t->error[0] = '\0';

    return t->store;
}

/*
 * The store of this process, opened if need be, verified about once a
 * second (force: now).  A store inherited over fork is abandoned, never
 * closed: closing would release the parent's reader slots and locks.
 * A failed open is retried once a second.  Called with t->lock held.
 */
static kpsa_store *
lmdb_store(LMDB_TABLE *t, int force)
{
    time_t  now = time(NULL);
    int     rc;

    if (t->store != NULL && t->pid != getpid()) {
        t->inherited = t->store;
        t->store = NULL;
        t->retry_at = 0;
    }

    if (t->store != NULL && (force || now >= t->verify_at)) {
        t->verify_at = now + 1;
        rc = kpsa_store_verify(t->store, t->path);

        if (rc == KPSA_STORE_REPLACED) {
            t->replaced++;
            kpsa_store_close(t->store);
            t->store = NULL;
            t->retry_at = 0;

        } else if (rc != KPSA_STORE_OK) {
            lmdb_drop(t, now);
        }
    }

    if (t->store != NULL) {
        return t->store;
    }

    if (!force && now < t->retry_at) {
        return NULL;                    /* failed closed: t->error */
    }

    return lmdb_reopen(t, now);
}

/* the KEK against the check value, else against the first key */
static int
lmdb_check_kek(LMDB_TABLE *t, kpsa_store *s, char *why, size_t whylen)
{
    unsigned char   check[KPSA_KEK_CHECK_LEN + 1], key[KPSA_MAX_KEY_LEN];
    size_t          len = sizeof(check), key_len;
    kpsa_store_rec  rec;
    int             rc, ok;

    rc = kpsa_store_get_kek_check(s, check, &len);

    if (rc == 1) {
        ok = kpsa_kek_check_verify(t->kek, check, len);

    } else if (rc == 0 && (rc = kpsa_store_next(s, NULL, &rec)) == 1) {
        ok = kpsa_envelope_open(t->kek, rec.kpsa_id, rec.entity, rec.sealed,
                                rec.sealed_len, key, &key_len);
        OPENSSL_cleanse(key, sizeof(key));
        kpsa_store_rec_cleanse(&rec);

    } else if (rc == 0) {
        return 1;                       /* empty, nothing to check against */

    } else {
        snprintf(why, whylen, "%s", kpsa_store_error(s));
        return 0;
    }

    if (!ok) {
        snprintf(why, whylen, "the KEK does not open this store's keys "
                 "(another KEK file?)");
    }

    return ok;
}

static LMDB_TABLE *
lmdb_new(const char *dir)
{
    LMDB_TABLE  *t;
    char        *canonical;

    /* the KEK lives here: pages of their own, out of core dumps */
    t = kpsa_keymem_alloc(sizeof(*t));
    if (t == NULL) {
        return NULL;
    }

    canonical = realpath(dir, NULL);
    t->dir = OPENSSL_strdup(canonical != NULL ? canonical : dir);
    t->path = OPENSSL_strdup(dir);
    free(canonical);

    if (t->dir == NULL || t->path == NULL) {
        OPENSSL_free(t->dir);
        OPENSSL_free(t->path);
        kpsa_keymem_free(t, sizeof(*t));
        return NULL;
    }

    pthread_mutex_init(&t->lock, NULL);
    t->refs = 1;
    t->head.magic = ONEM2M_SAE_TABLE_MAGIC;
    t->head.lookup = lmdb_no_entry;
    t->head.find_entity = lmdb_no_entry;
    t->head.count = lmdb_count;
    t->head.free = onem2m_lmdb_free;
    t->head.get = lmdb_get;
    t->head.get_entity = lmdb_get_entity;
    t->head.child_init = lmdb_child_init;
    t->head.info = lmdb_info;

    return t;
}

ONEM2M_SAE_TABLE *
onem2m_lmdb_open(const char *dir, const char *kek_file,
    ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    LMDB_TABLE  *t;
    kpsa_store  *s;
    char         err[512];
    long long    count;
    int          stale;

    if (dir[0] == '\0') {
        lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_ERROR, "%s: not a \""
                  ONEM2M_SAE_LMDB_URI_SCHEME ":<directory>\" URI", dir);
        return NULL;
    }

    t = lmdb_new(dir);
    if (t == NULL) {
        lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_ERROR, "%s: out of memory",
                  dir);
        return NULL;
    }

    if (kek_file != NULL) {
        if (!kpsa_kek_load(kek_file, t->kek, err, sizeof(err))) {
            lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_ERROR, "%s", err);
            onem2m_lmdb_free((ONEM2M_SAE_TABLE *) t);
            return NULL;
        }

        t->opener = kpsa_opener_new(t->kek);
        if (t->opener == NULL) {
            lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_ERROR, "%s: cannot "
                      "set up AES-256-GCM for the KEK", dir);
            onem2m_lmdb_free((ONEM2M_SAE_TABLE *) t);
            return NULL;
        }

        t->has_kek = 1;
    }

    /* checked here, closed again: each process opens its own */
    s = kpsa_store_open(dir, 0, err, sizeof(err));

    if (s == NULL) {
        lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_ERROR, "%s", err);
        onem2m_lmdb_free((ONEM2M_SAE_TABLE *) t);
        return NULL;
    }

    if (t->has_kek && !lmdb_check_kek(t, s, err, sizeof(err))) {
        lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_ERROR, "%s: %s", dir, err);
        kpsa_store_close(s);
        onem2m_lmdb_free((ONEM2M_SAE_TABLE *) t);
        return NULL;
    }

    count = kpsa_store_count(s);
    stale = kpsa_store_stale_readers(s);
    snprintf(err, sizeof(err), "%s", kpsa_store_error(s));
    kpsa_store_close(s);

    if (count < 0) {
        lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_ERROR, "%s: %s", dir, err);
        onem2m_lmdb_free((ONEM2M_SAE_TABLE *) t);
        return NULL;
    }

    snprintf(err, sizeof(err), ", %d stale reader slot%s of dead processes "
             "cleared", stale, stale == 1 ? "" : "s");

    lmdb_diag(diag, diag_arg, ONEM2M_SAE_DIAG_NOTICE, "%s: LMDB store, %lld "
              "credentials when opened, %s%s", dir, count,
              t->has_kek ? "KEK checked" : "no KEK (keys not readable)",
              stale > 0 ? err : "");

    return (ONEM2M_SAE_TABLE *) t;
}

int
onem2m_lmdb_up_ref(ONEM2M_SAE_TABLE *table)
{
    LMDB_TABLE  *t = (LMDB_TABLE *) table;

    pthread_mutex_lock(&t->lock);
    t->refs++;
    pthread_mutex_unlock(&t->lock);

    return 1;
}

void
onem2m_lmdb_free(ONEM2M_SAE_TABLE *table)
{
    LMDB_TABLE  *t = (LMDB_TABLE *) table;
    int          last;

    if (t == NULL) {
        return;
    }

    pthread_mutex_lock(&t->lock);
    last = (--t->refs == 0);
    pthread_mutex_unlock(&t->lock);

    if (!last) {
        return;
    }

    if (t->store != NULL && t->pid == getpid()) {
        kpsa_store_close(t->store);
    }

    kpsa_opener_free(t->opener);
    pthread_mutex_destroy(&t->lock);
    OPENSSL_free(t->dir);
    OPENSSL_free(t->path);
    kpsa_keymem_free(t, sizeof(*t));     /* the KEK cleansed */
}

int
onem2m_lmdb_has_kek(const ONEM2M_SAE_TABLE *t)
{
    return ((const LMDB_TABLE *) t)->has_kek;
}

const char *
onem2m_lmdb_dir(const ONEM2M_SAE_TABLE *t)
{
    return ((const LMDB_TABLE *) t)->dir;
}

/*- lookups ------------------------------------------------------------ */

static const ONEM2M_SAE_ENTRY *
lmdb_no_entry(const ONEM2M_SAE_TABLE *t, const char *name, size_t len)
{
    return NULL;                        /* no stable entries: use get */
}

/*
 * A live record's generation: its seq mixed with the first 8 bytes of its
 * envelope's nonce.  A seq alone repeats when a source is re-created (it
 * counts from 1 again), so another key or entity could come back under a
 * binding's old generation; a nonce is drawn for every seal, so it cannot,
 * while a resync that copies the same sealed bytes keeps the generation.
 */
static unsigned long long
lmdb_generation(const kpsa_store_rec *rec)
{
    unsigned long long  nonce = 0;
    int                 i;

    for (i = 1; i <= 8; i++) {
        nonce = nonce << 8 | rec->sealed[i];
    }

    return rec->seq ^ nonce;
}

/* rec into out, the key unsealed (or its length only, keyless): 1, -1 */
static int
lmdb_fill(const LMDB_TABLE *t, kpsa_store_rec *rec, ONEM2M_SAE_LOOKUP *out)
{
    size_t  key_len;
    int     type;

    type = onem2m_entity_type(rec->entity, rec->entity_len);

    if (type == 0 || rec->sealed_len <= KPSA_ENVELOPE_OVERHEAD) {
        return -1;                      /* the writers validate: corrupt */
    }

    if (t->has_kek) {
        if (!kpsa_opener_open(t->opener, rec->kpsa_id, rec->entity,
                              rec->sealed, rec->sealed_len, out->key_buf,
                              &key_len))
        {
            return -1;                  /* forged, moved, or another KEK */
        }

        out->entry.key = out->key_buf;

    } else {
        key_len = rec->sealed_len - KPSA_ENVELOPE_OVERHEAD;
        out->entry.key = NULL;
    }

    memcpy(out->kpsa_id_buf, rec->kpsa_id, rec->kpsa_id_len + 1);
    memcpy(out->entity_buf, rec->entity, rec->entity_len + 1);
    out->entry.kpsa_id = out->kpsa_id_buf;
    out->entry.entity = out->entity_buf;
    out->entry.kpsa_id_len = (unsigned short) rec->kpsa_id_len;
    out->entry.entity_len = (unsigned short) rec->entity_len;
    out->entry.key_len = (unsigned short) key_len;
    out->entry.entity_type = (unsigned char) type;
    out->generation = lmdb_generation(rec);
    out->expires = rec->attr.expires;
    out->suid = rec->attr.suid;
    out->maf = (rec->attr.flags & KPSA_FLAG_MAF) != 0;

    return 1;
}

/* which: 0 by KpsaID, 1 by entity, 2 the one after name (listing) */
static int
lmdb_find(const ONEM2M_SAE_TABLE *table, int which, const char *name,
    size_t len, ONEM2M_SAE_LOOKUP *out)
{
    LMDB_TABLE      *t = (LMDB_TABLE *) table;
    kpsa_store      *s;
    kpsa_store_rec   rec;
    int              rc;

    if (t == NULL || out == NULL || (which != 2 && name == NULL)) {
        return -1;
    }

    pthread_mutex_lock(&t->lock);
    s = lmdb_store(t, 0);
    pthread_mutex_unlock(&t->lock);

    if (s == NULL) {
        return -1;                      /* damaged or gone: fail closed */
    }

    switch (which) {
    case 0:
        rc = kpsa_store_get(s, name, len, &rec);
        break;
    case 1:
        rc = kpsa_store_get_entity(s, name, len, &rec);
        break;
    default:
        rc = kpsa_store_next(s, name, &rec);
    }

    if (rc == 1) {
        rc = lmdb_fill(t, &rec, out);

    } else if (rc < 0 && kpsa_store_verify(s, t->path) == KPSA_STORE_DAMAGED) {
        /* a read faulted: closed now, not read again */
        pthread_mutex_lock(&t->lock);
        if (t->store == s) {
            lmdb_drop(t, time(NULL));
        }
        pthread_mutex_unlock(&t->lock);
    }

    kpsa_store_rec_cleanse(&rec);

    return rc;
}

static int
lmdb_get(const ONEM2M_SAE_TABLE *t, const char *name, size_t len,
    ONEM2M_SAE_LOOKUP *out)
{
    return lmdb_find(t, 0, name, len, out);
}

static int
lmdb_get_entity(const ONEM2M_SAE_TABLE *t, const char *name, size_t len,
    ONEM2M_SAE_LOOKUP *out)
{
    return lmdb_find(t, 1, name, len, out);
}

int
onem2m_lmdb_next(const ONEM2M_SAE_TABLE *t, const char *after,
    ONEM2M_SAE_LOOKUP *out)
{
    return lmdb_find(t, 2, after, 0, out);
}

static int
lmdb_child_init(ONEM2M_SAE_TABLE *table)
{
    LMDB_TABLE  *t = (LMDB_TABLE *) table;
    kpsa_store  *s;

    pthread_mutex_lock(&t->lock);

    if (t->store != NULL && t->pid == getpid()) {
        kpsa_store_close(t->store);     /* ours: reopened below */
        t->store = NULL;
    }

    /* the open clears reader slots of dead processes (a killed worker) */
    s = lmdb_store(t, 1);

    pthread_mutex_unlock(&t->lock);

    return s != NULL;
}

static int
lmdb_info(const ONEM2M_SAE_TABLE *table, ONEM2M_SAE_TABLE_INFO *info)
{
    LMDB_TABLE  *t = (LMDB_TABLE *) table;
    kpsa_store  *s;
    uint64_t     seq;
    int64_t      at;
    long long    count;

    memset(info, 0, sizeof(*info));
    info->live = 1;

    pthread_mutex_lock(&t->lock);
    s = lmdb_store(t, 1);               /* verified now: every tick */
    info->dev = t->dev;
    info->ino = t->ino;
    info->stale_readers = t->stale_readers;
    info->replaced = t->replaced;
    snprintf(info->error, sizeof(info->error), "%s", t->error);
    pthread_mutex_unlock(&t->lock);

    if (s == NULL) {
        return 0;
    }

    if (!kpsa_store_get_meta(s, &seq, &at, info->source_id,
                             sizeof(info->source_id))
        || (count = kpsa_store_count(s)) < 0)
    {
        snprintf(info->error, sizeof(info->error), "%s",
                 kpsa_store_error(s));
        return 0;
    }

    info->count = (unsigned long long) count;
    info->last_seq = seq;
    info->synced_at = at;

    return 1;
}

/*
 * nginx counts while it reads its configuration, in the master: a store
 * opened for the count is closed again, so that no LMDB environment is
 * carried over fork (a worker abandons an inherited one, never freed).
 */
static size_t
lmdb_count(const ONEM2M_SAE_TABLE *table)
{
    LMDB_TABLE             *t = (LMDB_TABLE *) table;
    ONEM2M_SAE_TABLE_INFO   info;
    size_t                  n;
    int                     was_open;

    pthread_mutex_lock(&t->lock);
    was_open = (t->store != NULL && t->pid == getpid());
    pthread_mutex_unlock(&t->lock);

    n = lmdb_info(table, &info) ? (size_t) info.count : 0;

    if (!was_open) {
        pthread_mutex_lock(&t->lock);

        if (t->store != NULL && t->pid == getpid()) {
            kpsa_store_close(t->store);
            t->store = NULL;
            t->retry_at = 0;
        }

        pthread_mutex_unlock(&t->lock);
    }

    return n;
}
