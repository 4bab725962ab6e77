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
 */

#include <stdio.h>
#include <string.h>

#include "kpsa_store_int.h"

static MDB_txn *
store_read_begin(kpsa_store *s)
{
    int  rc, tries;

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

    kpsa_store_set_error(s, "cannot begin a read transaction (%s)",
                         mdb_strerror(rc));
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

    /* a reader's cursor is renewed with its txn: no malloc per lookup */
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

/*
 * The record of a KpsaID in one read transaction; live: a tombstone is
 * "not found", and a live record must be in the entity index
 */
static int
store_get(kpsa_store *s, const char *kpsa_id, size_t len,
    kpsa_store_rec *rec, int live)
{
    MDB_txn  *txn;
    int       rc;

    txn = store_read_begin(s);
    if (txn == NULL) {
        return -1;
    }

    rc = store_read_rec(s, txn, kpsa_id, len, rec);

    if (live && rc == 1 && rec->state != KPSA_STATE_LIVE) {
        rc = 0;                         /* a tombstone */
    } else if (live && rc == 1) {
        rc = store_rec_current(s, txn, rec);
    }

    store_read_end(s, txn);

    if (live && rc != 1) {
        kpsa_store_rec_cleanse(rec);
    }

    return rc;
}

int
kpsa_store_get_any(kpsa_store *s, const char *kpsa_id, size_t len,
    kpsa_store_rec *rec)
{
    return store_get(s, kpsa_id, len, rec, 0);
}

int
kpsa_store_get(kpsa_store *s, const char *kpsa_id, size_t len,
    kpsa_store_rec *rec)
{
    return store_get(s, kpsa_id, len, rec, 1);
}

int
kpsa_store_get_entity(kpsa_store *s, const char *entity, size_t len,
    kpsa_store_rec *rec)
{
    MDB_txn  *txn;
    MDB_val   k, v;
    int       rc;

    if (len == 0 || len > KPSA_MAX_ID_LEN) {
        return 0;
    }

    txn = store_read_begin(s);
    if (txn == NULL) {
        return -1;
    }

    k.mv_data = (void *) entity;
    k.mv_size = len;

    /* the first KpsaID of the entity (dups are sorted) */
    rc = mdb_get(txn, s->entity, &k, &v);

    if (rc == 0) {
        rc = store_read_rec(s, txn, v.mv_data, v.mv_size, rec);
        if (rc == 1 && rec->state != KPSA_STATE_LIVE) {
            kpsa_store_set_error(s, "%.*s: indexed but revoked",
                                 (int) v.mv_size, (char *) v.mv_data);
            rc = -1;

        } else if (rc == 1 && (rec->entity_len != len
                               || memcmp(rec->entity, entity, len) != 0))
        {
            kpsa_store_set_error(s, "the entity index names %s for %.*s, "
                                 "whose record names another entity: "
                                 STORE_EDITED, rec->kpsa_id, (int) len,
                                 entity);
            rc = -1;

        } else if (rc == 1) {
            rc = store_rec_current(s, txn, rec);
        }

    } else if (rc == MDB_NOTFOUND) {
        rc = 0;

    } else {
        kpsa_store_set_error(s, "cannot read (%s)", mdb_strerror(rc));
        rc = -1;
    }

    store_read_end(s, txn);

    if (rc != 1) {
        kpsa_store_rec_cleanse(rec);
    }

    return rc;
}

int
kpsa_store_next(kpsa_store *s, const char *after, kpsa_store_rec *rec)
{
    MDB_txn     *txn;
    MDB_cursor  *c;
    MDB_val      k, v;
    MDB_cursor_op op;
    int          rc, found = 0;

    txn = store_read_begin(s);
    if (txn == NULL) {
        return -1;
    }

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

            if (!kpsa_rec_decode(&k, &v, rec)) {
                kpsa_store_set_error(s, "%.*s: malformed record",
                                     (int) k.mv_size, (char *) k.mv_data);
                rc = -1;
                break;
            }

            if (rec->state == KPSA_STATE_LIVE) {
                found = 1;
                break;
            }
        }

        mdb_cursor_close(c);
    }

    store_read_end(s, txn);

    if (found) {
        return 1;
    }

    kpsa_store_rec_cleanse(rec);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc > 0 || rc < -1) {
        kpsa_store_set_error(s, "cannot list (%s)", mdb_strerror(rc));
    }

    return -1;
}

long long
kpsa_store_count(kpsa_store *s)
{
    MDB_txn   *txn;
    MDB_stat   st;
    int        rc;

    txn = store_read_begin(s);
    if (txn == NULL) {
        return -1;
    }

    /* one entity index item per live credential (DUPSORT counts each) */
    rc = mdb_stat(txn, s->entity, &st);
    store_read_end(s, txn);

    if (rc != 0) {
        kpsa_store_set_error(s, "cannot count (%s)", mdb_strerror(rc));
        return -1;
    }

    return (long long) st.ms_entries;
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

int
kpsa_store_get_meta(kpsa_store *s, uint64_t *last_seq, int64_t *synced_at,
    char *source_id, size_t source_id_len)
{
    MDB_txn        *txn;
    unsigned char   seq[8], at[8];
    char            src[KPSA_SOURCE_ID_MAX + 1];
    long            n_seq, n_at, n_src;

    txn = store_read_begin(s);
    if (txn == NULL) {
        return 0;
    }

    n_seq = store_meta_get(s, txn, "last_seq", seq, sizeof(seq));
    n_at = store_meta_get(s, txn, "synced_at", at, sizeof(at));
    n_src = store_meta_get(s, txn, "source_id", src, KPSA_SOURCE_ID_MAX);

    store_read_end(s, txn);

    if (n_seq < 0 || n_at < 0 || n_src < 0) {
        return 0;
    }

    if (last_seq != NULL) {
        *last_seq = n_seq == 8 ? kpsa_be64(seq) : 0;
    }

    if (synced_at != NULL) {
        *synced_at = n_at == 8 ? (int64_t) kpsa_be64(at) : 0;
    }

    if (source_id != NULL && source_id_len > 0) {
        src[n_src] = '\0';
        snprintf(source_id, source_id_len, "%s", src);
    }

    return 1;
}

/* one meta value into out: 1 copied (*len set), 0 none, -1 error */
static int
store_meta_copy(kpsa_store *s, const char *name, void *out, size_t *len)
{
    MDB_txn  *txn;
    long      n;

    txn = store_read_begin(s);
    if (txn == NULL) {
        return -1;
    }

    n = store_meta_get(s, txn, name, out, *len);
    store_read_end(s, txn);

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

    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0) {
        return 0;
    }

    return (info.me_last_pgno + 1) * (size_t) st.ms_psize;
}

size_t
kpsa_store_tree_bytes(kpsa_store *s)
{
    MDB_txn   *txn;
    MDB_stat   st;
    MDB_dbi    dbi[3];
    size_t     bytes = 0;
    int        i;

    txn = store_read_begin(s);
    if (txn == NULL) {
        return 0;
    }

    dbi[0] = s->cred;
    dbi[1] = s->entity;
    dbi[2] = s->meta;

    for (i = 0; i < 3; i++) {
        if (mdb_stat(txn, dbi[i], &st) == 0) {
            bytes += (st.ms_branch_pages + st.ms_leaf_pages
                      + st.ms_overflow_pages) * (size_t) st.ms_psize;
        }
    }

    store_read_end(s, txn);

    return bytes;
}
