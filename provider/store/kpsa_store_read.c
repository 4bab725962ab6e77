/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LMDB store's readers: one read transaction per call, renewed from
 * the store's reset one (no allocation, no reader slot search), reset
 * again before returning, so that a reader never pins an old snapshot and
 * sees every commit made before the call.  A writer that grew the map
 * makes the renewal fail with MDB_MAP_RESIZED: the reader adopts the new
 * size (mdb_env_set_mapsize(env, 0)) and begins anew.
 *
 * Inside a writer's open write transaction, reads use that transaction.
 *
 * Every read runs under the guard of kpsa_store_check.c (store_read()):
 * a SIGBUS, SIGSEGV or SIGFPE inside liblmdb (a data.mdb cut or
 * overwritten under the map) marks the store damaged and the read fails
 * (-1): the process lives, and every later read fails until the owner
 * closes the store.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "kpsa_store_int.h"

static MDB_txn *
store_read_begin(kpsa_store *s)
{
    int  rc, tries;

    if (s->damaged) {
        return NULL;                    /* s->err says why */
    }

    if (s->wtxn != NULL) {
        return s->wtxn;
    }

    pthread_mutex_lock(&s->lock);

    for (tries = 0; tries < 2; tries++) {
        if (s->rtxn != NULL) {
            rc = mdb_txn_renew(s->rtxn);
            if (rc == 0) {
                return s->rtxn;
            }

            mdb_txn_abort(s->rtxn);
            s->rtxn = NULL;

        } else {
            rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn);
            if (rc == 0) {
                return s->rtxn;
            }

            s->rtxn = NULL;
        }

        if (rc == MDB_MAP_RESIZED) {
            /* a writer grew the map: adopt its size, then retry */
            rc = mdb_env_set_mapsize(s->env, 0);
        }

        if (rc != 0) {
            break;
        }
    }

    kpsa_store_set_error(s, "cannot begin a read transaction (%s)%s",
                         mdb_strerror(rc), kpsa_store_hint(rc));
    pthread_mutex_unlock(&s->lock);

    return NULL;
}

static void
store_read_end(kpsa_store *s, MDB_txn *txn)
{
    if (txn == s->wtxn) {
        return;
    }

    mdb_txn_reset(txn);
    pthread_mutex_unlock(&s->lock);
}

typedef long long (*store_read_fn)(kpsa_store *s, MDB_txn *txn, void *arg);

/*
 * fn in a read transaction, under the guard: its result, or fail when the
 * transaction cannot begin or the read faulted.  After a fault the read
 * transaction is abandoned (liblmdb is not entered again for it; closing
 * the environment frees its reader slot).
 */
static long long
store_read(kpsa_store *s, store_read_fn fn, void *arg, long long fail)
{
    MDB_txn    *txn;
    long long   rc;
    sigjmp_buf  jb;

    if (s->damaged) {
        return fail;
    }

    /* the renewal reads the meta pages: guarded too (an emptied file) */
    if (sigsetjmp(jb, 0) != 0) {
        kpsa_store_fault(s);

        if (s->wtxn == NULL) {
            s->rtxn = NULL;             /* the lock is held: begin took it */
            pthread_mutex_unlock(&s->lock);
        }

        return fail;
    }

    kpsa_guard_enter(&jb);

    txn = store_read_begin(s);
    if (txn == NULL) {
        kpsa_guard_leave();
        return fail;
    }

    rc = fn(s, txn, arg);
    kpsa_guard_leave();

    store_read_end(s, txn);

    return rc;
}

/* the record of one KpsaID in txn: 1, 0 none, -1 error */
static int
store_read_rec(kpsa_store *s, MDB_txn *txn, const char *kpsa_id, size_t len,
    kpsa_store_rec *rec)
{
    MDB_val  k, v;
    int      rc;

    if (len == 0 || len > KPSA_MAX_ID_LEN) {
        return 0;
    }

    k.mv_data = (void *) kpsa_id;
    k.mv_size = len;

    rc = mdb_get(txn, s->cred, &k, &v);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc != 0) {
        kpsa_store_set_error(s, "cannot read (%s)", mdb_strerror(rc));
        return -1;
    }

    if (!kpsa_rec_decode(&k, &v, rec)) {
        kpsa_store_set_error(s, "%.*s: malformed record", (int) len, kpsa_id);
        return -1;
    }

    return 1;
}

#define STORE_EDITED  "the store was edited (rebuild it: onem2m-kpsa " \
                      "compile, or the sync daemon's full resync)"

/*
 * A live record and its entity index item, in txn: each must name the
 * other.  A writer keeps them together in one transaction; anyone who
 * can write data.mdb with plain liblmdb could write back a revoked
 * record's saved bytes (its envelope still opens) or point an entity at
 * another entity's record.  1 agree; -1 they do not (or a read error).
 */
static int
store_rec_indexed(kpsa_store *s, MDB_txn *txn, const kpsa_store_rec *rec)
{
    MDB_cursor  *c = NULL;
    MDB_val      k, d;
    int          rc;

    /*
     * a reader's cursor is renewed with its txn: no malloc per lookup (a
     * cursor of a read-only txn outlives it; kpsa_store_close() frees it)
     */
    if (txn != s->rtxn) {
        rc = mdb_cursor_open(txn, s->entity, &c);
    } else if (s->icur == NULL) {
        rc = mdb_cursor_open(txn, s->entity, &s->icur);
        c = s->icur;
    } else {
        rc = mdb_cursor_renew(txn, s->icur);
        c = s->icur;
    }

    if (rc == 0) {
        k.mv_data = (void *) rec->entity;
        k.mv_size = rec->entity_len;
        d.mv_data = (void *) rec->kpsa_id;
        d.mv_size = rec->kpsa_id_len;
        rc = mdb_cursor_get(c, &k, &d, MDB_GET_BOTH);
    }

    if (c != NULL && c != s->icur) {
        mdb_cursor_close(c);
    }

    if (rc == 0) {
        return 1;
    }

    if (rc == MDB_NOTFOUND) {
        kpsa_store_set_error(s, "%s: the record is not in the entity index: "
                             STORE_EDITED, rec->kpsa_id);
    } else {
        kpsa_store_set_error(s, "cannot read (%s)", mdb_strerror(rc));
    }

    return -1;
}

/*
 * A live record as writers leave it: in the entity index, and not above
 * the store's last_seq (every put raises it: a record above it had its
 * seq edited, e.g. so that the writer would ignore a later revocation as
 * a replay).  1 current; -1 not (the reason in the store's error).
 */
static int
store_rec_current(kpsa_store *s, MDB_txn *txn, const kpsa_store_rec *rec)
{
    uint64_t  last;

    if (kpsa_meta_last_seq(s, txn, &last) < 0) {
        return -1;
    }

    if (rec->seq > last) {
        kpsa_store_set_error(s, "%s: seq %llu is above the store's last_seq "
                             "%llu: " STORE_EDITED, rec->kpsa_id,
                             (unsigned long long) rec->seq,
                             (unsigned long long) last);
        return -1;
    }

    return store_rec_indexed(s, txn, rec);
}

typedef struct {
    const char      *name;
    size_t           len;
    kpsa_store_rec  *rec;
} store_find_arg;

static long long
store_read_any(kpsa_store *s, MDB_txn *txn, void *arg)
{
    store_find_arg  *a = arg;

    return store_read_rec(s, txn, a->name, a->len, a->rec);
}

/* a live record: a tombstone is "not found", the record must be current */
static long long
store_read_live(kpsa_store *s, MDB_txn *txn, void *arg)
{
    store_find_arg  *a = arg;
    int              rc;

    rc = store_read_rec(s, txn, a->name, a->len, a->rec);

    if (rc == 1 && a->rec->state != KPSA_STATE_LIVE) {
        return 0;                       /* a tombstone */
    }

    return rc == 1 ? store_rec_current(s, txn, a->rec) : rc;
}

int
kpsa_store_get_any(kpsa_store *s, const char *kpsa_id, size_t len,
    kpsa_store_rec *rec)
{
    store_find_arg  a = { kpsa_id, len, rec };

    return (int) store_read(s, store_read_any, &a, -1);
}

int
kpsa_store_get(kpsa_store *s, const char *kpsa_id, size_t len,
    kpsa_store_rec *rec)
{
    store_find_arg  a = { kpsa_id, len, rec };
    int             rc;

    rc = (int) store_read(s, store_read_live, &a, -1);

    if (rc != 1) {
        kpsa_store_rec_cleanse(rec);
    }

    return rc;
}

static long long
store_read_entity(kpsa_store *s, MDB_txn *txn, void *arg)
{
    store_find_arg  *a = arg;
    MDB_val          k, v;
    int              rc;

    k.mv_data = (void *) a->name;
    k.mv_size = a->len;

    /* the first KpsaID of the entity (dups are sorted) */
    rc = mdb_get(txn, s->entity, &k, &v);

    if (rc == 0) {
        rc = store_read_rec(s, txn, v.mv_data, v.mv_size, a->rec);
        if (rc == 1 && a->rec->state != KPSA_STATE_LIVE) {
            kpsa_store_set_error(s, "%.*s: indexed but revoked",
                                 (int) v.mv_size, (char *) v.mv_data);
            rc = -1;

        } else if (rc == 1 && (a->rec->entity_len != a->len
                               || memcmp(a->rec->entity, a->name, a->len)
                                  != 0))
        {
            kpsa_store_set_error(s, "the entity index names %s for %.*s, "
                                 "whose record names another entity: "
                                 STORE_EDITED, a->rec->kpsa_id,
                                 (int) a->len, a->name);
            rc = -1;

        } else if (rc == 1) {
            rc = store_rec_current(s, txn, a->rec);
        }

    } else if (rc == MDB_NOTFOUND) {
        rc = 0;

    } else {
        kpsa_store_set_error(s, "cannot read (%s)", mdb_strerror(rc));
        rc = -1;
    }

    return rc;
}

int
kpsa_store_get_entity(kpsa_store *s, const char *entity, size_t len,
    kpsa_store_rec *rec)
{
    store_find_arg  a = { entity, len, rec };
    int             rc;

    if (len == 0 || len > KPSA_MAX_ID_LEN) {
        return 0;
    }

    rc = (int) store_read(s, store_read_entity, &a, -1);

    if (rc != 1) {
        kpsa_store_rec_cleanse(rec);
    }

    return rc;
}

static long long
store_read_next(kpsa_store *s, MDB_txn *txn, void *arg)
{
    store_find_arg  *a = arg;
    const char      *after = a->name;
    MDB_cursor      *c;
    MDB_val          k, v;
    MDB_cursor_op    op;
    int              rc, found = 0;

    rc = mdb_cursor_open(txn, s->cred, &c);

    if (rc == 0) {
        if (after != NULL) {
            k.mv_data = (void *) after;
            k.mv_size = strlen(after);
            op = MDB_SET_RANGE;
        } else {
            op = MDB_FIRST;
        }

        for (rc = mdb_cursor_get(c, &k, &v, op);
             rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        {
            if (after != NULL && k.mv_size == strlen(after)
                && memcmp(k.mv_data, after, k.mv_size) == 0)
            {
                continue;
            }

            if (!kpsa_rec_decode(&k, &v, a->rec)) {
                kpsa_store_set_error(s, "%.*s: malformed record",
                                     (int) k.mv_size, (char *) k.mv_data);
                rc = -1;
                break;
            }

            if (a->rec->state == KPSA_STATE_LIVE) {
                found = 1;
                break;
            }
        }

        mdb_cursor_close(c);
    }

    if (found) {
        return 1;
    }

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc > 0 || rc < -1) {
        kpsa_store_set_error(s, "cannot list (%s)", mdb_strerror(rc));
    }

    return -1;
}

int
kpsa_store_next(kpsa_store *s, const char *after, kpsa_store_rec *rec)
{
    store_find_arg  a = { after, 0, rec };
    int             rc;

    rc = (int) store_read(s, store_read_next, &a, -1);

    if (rc != 1) {
        kpsa_store_rec_cleanse(rec);
    }

    return rc;
}

static long long
store_read_count(kpsa_store *s, MDB_txn *txn, void *arg)
{
    MDB_stat  st;
    int       rc;

    /* one entity index item per live credential (DUPSORT counts each) */
    rc = mdb_stat(txn, s->entity, &st);

    if (rc != 0) {
        kpsa_store_set_error(s, "cannot count (%s)", mdb_strerror(rc));
        return -1;
    }

    return (long long) st.ms_entries;
}

long long
kpsa_store_count(kpsa_store *s)
{
    return store_read(s, store_read_count, NULL, -1);
}

/* meta value name into buf (at most len bytes): its size, 0 none, -1 */
static long
store_meta_get(kpsa_store *s, MDB_txn *txn, const char *name, void *buf,
    size_t len)
{
    MDB_val  k, v;
    int      rc;

    k.mv_data = (void *) name;
    k.mv_size = strlen(name);

    rc = mdb_get(txn, s->meta, &k, &v);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc != 0 || v.mv_size > len) {
        kpsa_store_set_error(s, "cannot read meta %s (%s)", name,
                             rc ? mdb_strerror(rc) : "too long");
        return -1;
    }

    memcpy(buf, v.mv_data, v.mv_size);

    return (long) v.mv_size;
}

int
kpsa_meta_last_seq(kpsa_store *s, MDB_txn *txn, uint64_t *seq)
{
    unsigned char  v[8];
    long           n;

    n = store_meta_get(s, txn, "last_seq", v, sizeof(v));

    if (n < 0) {
        return -1;
    }

    *seq = n == 8 ? kpsa_be64(v) : 0;
    return 1;
}

typedef struct {
    unsigned char   seq[8], at[8];
    char            src[KPSA_SOURCE_ID_MAX + 1];
    long            n_seq, n_at, n_src;
} store_meta_arg;

static long long
store_read_meta(kpsa_store *s, MDB_txn *txn, void *arg)
{
    store_meta_arg  *m = arg;

    m->n_seq = store_meta_get(s, txn, "last_seq", m->seq, sizeof(m->seq));
    m->n_at = store_meta_get(s, txn, "synced_at", m->at, sizeof(m->at));
    m->n_src = store_meta_get(s, txn, "source_id", m->src,
                              KPSA_SOURCE_ID_MAX);

    return m->n_seq >= 0 && m->n_at >= 0 && m->n_src >= 0;
}

int
kpsa_store_get_meta(kpsa_store *s, uint64_t *last_seq, int64_t *synced_at,
    char *source_id, size_t source_id_len)
{
    store_meta_arg  m;

    if (store_read(s, store_read_meta, &m, 0) != 1) {
        return 0;
    }

    if (last_seq != NULL) {
        *last_seq = m.n_seq == 8 ? kpsa_be64(m.seq) : 0;
    }

    if (synced_at != NULL) {
        *synced_at = m.n_at == 8 ? (int64_t) kpsa_be64(m.at) : 0;
    }

    if (source_id != NULL && source_id_len > 0) {
        m.src[m.n_src] = '\0';
        snprintf(source_id, source_id_len, "%s", m.src);
    }

    return 1;
}

typedef struct {
    const char     *name;
    unsigned char  *out;
    size_t          len;
} store_copy_arg;

static long long
store_read_meta_copy(kpsa_store *s, MDB_txn *txn, void *arg)
{
    store_copy_arg  *c = arg;

    return store_meta_get(s, txn, c->name, c->out, c->len);
}

/* one meta value into out: 1 copied (*len set), 0 none, -1 error */
static int
store_meta_copy(kpsa_store *s, const char *name, void *out, size_t *len)
{
    store_copy_arg  c = { name, out, *len };
    long long       n;

    n = store_read(s, store_read_meta_copy, &c, -1);

    if (n > 0) {
        *len = (size_t) n;
        return 1;
    }

    return n == 0 ? 0 : -1;
}

int
kpsa_store_get_kek_check(kpsa_store *s, unsigned char *out, size_t *len)
{
    return store_meta_copy(s, "kek_check", out, len);
}

int
kpsa_store_get_sync_mark(kpsa_store *s, void *out, size_t *len)
{
    return store_meta_copy(s, "sync_mark", out, len);
}

int
kpsa_store_reader_check(kpsa_store *s)
{
    int  dead = 0, rc;

    rc = mdb_reader_check(s->env, &dead);
    if (rc != 0) {
        kpsa_store_set_error(s, "reader check failed (%s)", mdb_strerror(rc));
        return -1;
    }

    return dead;
}

size_t
kpsa_store_used_bytes(kpsa_store *s)
{
    MDB_envinfo  info;
    MDB_stat     st;
    sigjmp_buf   jb;
    int          rc;

    if (s->damaged) {
        return 0;
    }

    if (sigsetjmp(jb, 0) != 0) {
        kpsa_store_fault(s);
        return 0;
    }

    /* both read the meta pages */
    kpsa_guard_enter(&jb);
    rc = mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0;
    kpsa_guard_leave();

    if (rc) {
        return 0;
    }

    return (info.me_last_pgno + 1) * (size_t) st.ms_psize;
}

static long long
store_read_tree_bytes(kpsa_store *s, MDB_txn *txn, void *arg)
{
    MDB_stat   st;
    MDB_dbi    dbi[3];
    size_t     bytes = 0;
    int        i;

    dbi[0] = s->cred;
    dbi[1] = s->entity;
    dbi[2] = s->meta;

    for (i = 0; i < 3; i++) {
        if (mdb_stat(txn, dbi[i], &st) == 0) {
            bytes += (st.ms_branch_pages + st.ms_leaf_pages
                      + st.ms_overflow_pages) * (size_t) st.ms_psize;
        }
    }

    return (long long) bytes;
}

size_t
kpsa_store_tree_bytes(kpsa_store *s)
{
    return (size_t) store_read(s, store_read_tree_bytes, NULL, 0);
}
