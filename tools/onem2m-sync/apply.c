/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rows into the store: one LMDB write transaction per batch read, which
 * also records last_seq, synced_at and the continuity mark (so a crash
 * between batches resumes exactly after the last committed one, and a
 * replayed row is ignored by the store's seq rule).
 *
 * Before every catch-up (every reconnection, notification and safety
 * poll) the source must prove that it continues the store: the same
 * source uuid, a sequence not behind last_seq, the same storage epoch
 * (source.c: a pg_restore, a re-created database or another cluster
 * cannot carry it over) and, while the source still holds the row the
 * store applied last at last_seq, the same content (a digest of every
 * column, changed_at included).  Otherwise (a point-in-time restore or a
 * failover that lost commits, once new writes carried the sequence past
 * the store's) a resync clears the store and copies the whole source in
 * ONE transaction, saying why: nginx keeps reading the old store until it
 * commits, and an interrupted resync leaves the old store.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/onem2m_id.h"
#include "sync.h"

/*
 * A new store's files, made before LMDB makes them: nginx's workers (the
 * group, under the systemd unit) read data.mdb and must write lock.mdb,
 * where an LMDB reader registers.  Modes are 0640 and 0660 less the
 * umask; existing files are left as they are.
 */
static int
prepare_files(const char *dir)
{
    static const struct { const char *name; mode_t mode; }  files[] = {
        { "data.mdb", 0640 }, { "lock.mdb", 0660 }
    };
    char                                                     path[PATH_MAX];
    size_t                                                   i;
    int                                                      fd;

    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        sync_err("%s: cannot create the store directory (%s)", dir,
                 strerror(errno));
        return -1;
    }

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  files[i].mode);

        if (fd >= 0) {
            close(fd);
        } else if (errno != EEXIST) {
            sync_err("%s: cannot create (%s)", path, strerror(errno));
            return -1;
        }
    }

    return 0;
}

/*- the continuity mark ------------------------------------------------ */

/* a row's digest: every column as read, in a fixed encoding */
static int
row_digest(const sync_row *row, unsigned char out[SYNC_DIGEST_LEN])
{
    static const char   label[] = "onem2m-sync row 1";
    unsigned char       fixed[8 + 1 + 8];
    uint64_t            v;
    unsigned int        len;
    EVP_MD_CTX         *ctx;
    int                 i, ok;

    for (i = 7, v = row->seq; i >= 0; i--, v >>= 8) {
        fixed[i] = (unsigned char) v;
    }
    fixed[8] = (unsigned char) (row->revoked != 0);
    for (i = 16, v = (uint64_t) row->changed_at; i >= 9; i--, v >>= 8) {
        fixed[i] = (unsigned char) v;
    }

    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL
         && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
         && EVP_DigestUpdate(ctx, label, sizeof(label))
         && EVP_DigestUpdate(ctx, fixed, sizeof(fixed))
         && EVP_DigestUpdate(ctx, row->kpsa_id, strlen(row->kpsa_id) + 1)
         && EVP_DigestUpdate(ctx, row->entity, strlen(row->entity) + 1)
         && (row->sealed == NULL
             || EVP_DigestUpdate(ctx, row->sealed, row->sealed_len))
         && EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);

    return ok;
}

/* the mark of a batch's source and its last row (none: no row yet) */
static int
mark_make(sync_mark *m, const char *epoch, const sync_row *last)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->epoch, sizeof(m->epoch), "%s", epoch);

    if (last == NULL) {
        return 1;
    }

    snprintf(m->id, sizeof(m->id), "%s", last->kpsa_id);

    if (!row_digest(last, m->digest)) {
        sync_err("cannot digest source row seq %" PRIu64, last->seq);
        return 0;
    }

    return 1;
}

/* stored as epoch NUL KpsaID NUL digest */
static int
mark_save(kpsa_store *store, const sync_mark *m)
{
    unsigned char  buf[sizeof(m->epoch) + sizeof(m->id) + SYNC_DIGEST_LEN];
    size_t         e = strlen(m->epoch) + 1, i = strlen(m->id) + 1;

    memcpy(buf, m->epoch, e);
    memcpy(buf + e, m->id, i);
    memcpy(buf + e + i, m->digest, SYNC_DIGEST_LEN);

    return kpsa_store_set_sync_mark(store, buf, e + i + SYNC_DIGEST_LEN);
}

/* the store's mark: 1, 0 none (or unreadable: the same, a resync) */
static int
mark_load(kpsa_store *store, sync_mark *m)
{
    unsigned char  buf[KPSA_SYNC_MARK_MAX];
    size_t         len = sizeof(buf), e, i;
    unsigned char *nul;

    memset(m, 0, sizeof(*m));

    if (kpsa_store_get_sync_mark(store, buf, &len) != 1) {
        return 0;
    }

    nul = memchr(buf, '\0', len);
    e = nul != NULL ? (size_t) (nul - buf) + 1 : 0;
    nul = e > 0 ? memchr(buf + e, '\0', len - e) : NULL;
    i = nul != NULL ? (size_t) (nul - (buf + e)) + 1 : 0;

    if (e == 0 || i == 0 || e > sizeof(m->epoch) || i > sizeof(m->id)
        || len != e + i + SYNC_DIGEST_LEN)
    {
        return 0;
    }

    memcpy(m->epoch, buf, e);
    memcpy(m->id, buf + e, i);
    memcpy(m->digest, buf + e + i, SYNC_DIGEST_LEN);

    return 1;
}

/*
 * Whether the source of batch b continues the store: 1 yes; 0 no, with
 * the reason in why; -1 the source failed.
 */
static int
source_continues(sync_state *st, PGconn *c, const sync_batch *b, char *why,
    size_t len)
{
    sync_batch      r;
    unsigned char   d[SYNC_DIGEST_LEN];
    int             rc = 1;

    if (strcmp(b->source_id, st->source_id) != 0) {
        snprintf(why, len, "the source is %s, the store came from %s",
                 b->source_id, st->source_id);
        return 0;
    }

    if (b->source_seq < st->last_seq) {
        snprintf(why, len, "the source's sequence (%" PRIu64 ") is behind "
                 "the store's (%" PRIu64 "): restored from a backup?",
                 b->source_seq, st->last_seq);
        return 0;
    }

    if (!st->has_mark) {
        snprintf(why, len, "the store has no continuity mark (written by "
                 "an older onem2m-sync)");
        return 0;
    }

    if (strcmp(b->epoch, st->mark.epoch) != 0) {
        snprintf(why, len, "the source's storage epoch is %s, the store's "
                 "%s: the database was restored (pg_restore) or re-created, "
                 "or is another cluster", b->epoch, st->mark.epoch);
        return 0;
    }

    if (st->mark.id[0] == '\0') {
        return 1;                       /* the store holds no row yet */
    }

    if (sync_source_read_id(c, st->mark.id, &r) != 0) {
        return -1;
    }

    if (r.nrows == 0 || r.rows[0].seq < st->last_seq) {
        snprintf(why, len, "the row the store applied last (seq %" PRIu64
                 ") is %s: restored from a backup?", st->last_seq,
                 r.nrows == 0 ? "gone" : "at an older seq");
        rc = 0;

    } else if (r.rows[0].seq == st->last_seq
               && (!row_digest(&r.rows[0], d)
                   || CRYPTO_memcmp(d, st->mark.digest, sizeof(d)) != 0))
    {
        snprintf(why, len, "the row at seq %" PRIu64 " is not the one the "
                 "store applied: restored from a backup?", st->last_seq);
        rc = 0;
    }

    /* a seq above last_seq: changed since, the catch-up reads it */

    sync_batch_free(&r);
    return rc;
}

/*- the store ---------------------------------------------------------- */

int
sync_state_load(sync_state *st, const char *dir)
{
    char  err[256];

    memset(st, 0, sizeof(*st));

    if (prepare_files(dir) != 0) {
        return -1;
    }

    st->store = kpsa_store_open(dir, 1, err, sizeof(err));

    if (st->store == NULL) {
        sync_err("%s", err);
        return -1;
    }

    if (kpsa_store_stale_readers(st->store) > 0) {
        sync_warn("%s: %d stale reader slot%s of dead processes cleared", dir,
                 kpsa_store_stale_readers(st->store),
                 kpsa_store_stale_readers(st->store) == 1 ? "" : "s");
    }

    if (kpsa_store_get_meta(st->store, &st->last_seq, &st->synced_at,
                            st->source_id, sizeof(st->source_id)) != 1)
    {
        /* a new store: nothing synced yet */
        st->last_seq = 0;
        st->synced_at = 0;
        st->source_id[0] = '\0';
    }

    st->has_mark = mark_load(st->store, &st->mark);

    return 0;
}

/*
 * One row.  Identifiers that fail the table's grammar are never stored
 * (and never logged: only the row's seq is): the schema's CHECKs make
 * them rare, a hand-edited source could still hold one.  1 applied or
 * skipped, 0 store failure.
 */
static int
apply_row(sync_state *st, const sync_row *row)
{
    if (!onem2m_kpsa_id_valid(row->kpsa_id, strlen(row->kpsa_id))
        || onem2m_id_parse(row->entity, strlen(row->entity), NULL) == 0)
    {
        sync_err("source row seq %" PRIu64 ": malformed KpsaID or entity, "
                 "skipped", row->seq);
        return 1;
    }

    if (row->revoked) {
        sync_debug("seq %" PRIu64 ": %s revoked", row->seq, row->kpsa_id);
        return kpsa_store_revoke(st->store, row->kpsa_id, row->seq);
    }

    if (row->sealed == NULL || row->sealed_len <= KPSA_ENVELOPE_OVERHEAD
        || row->sealed_len > KPSA_SEALED_MAX
        || row->sealed[0] != KPSA_ENVELOPE_VERSION)
    {
        sync_err("source row seq %" PRIu64 ": %s: the sealed key is not an "
                 "envelope, skipped", row->seq, row->kpsa_id);
        return 1;
    }

    sync_debug("seq %" PRIu64 ": %s of %s", row->seq, row->kpsa_id,
               row->entity);
    return kpsa_store_put(st->store, row->kpsa_id, row->entity, row->sealed,
                          row->sealed_len, row->seq);
}

static int
apply_rows(sync_state *st, const sync_batch *b, uint64_t *last)
{
    size_t  i;

    for (i = 0; i < b->nrows; i++) {
        if (!apply_row(st, &b->rows[i])) {
            sync_err("store: %s", kpsa_store_error(st->store));
            return -1;
        }
        *last = b->rows[i].seq;
    }

    return 0;
}

/* the batch's meta, commit; the state follows only a committed txn */
static int
commit(sync_state *st, uint64_t last, const char *source_id,
    const sync_mark *mark)
{
    int64_t  now = (int64_t) time(NULL);

    if (!kpsa_store_set_meta(st->store, last, now, source_id)
        || (mark != NULL && !mark_save(st->store, mark))
        || !kpsa_store_commit(st->store))
    {
        sync_err("store: %s", kpsa_store_error(st->store));
        kpsa_store_abort(st->store);
        return -2;
    }

    st->last_seq = last;
    st->synced_at = now;

    if (source_id != NULL) {
        snprintf(st->source_id, sizeof(st->source_id), "%s", source_id);
    }

    if (mark != NULL) {
        st->mark = *mark;
        st->has_mark = 1;
    }

    return 0;
}

/* the mark after batch b (NULL when b has no row: unchanged) */
static const sync_mark *
batch_mark(sync_mark *m, const sync_batch *b)
{
    if (b->nrows == 0) {
        return NULL;
    }

    return mark_make(m, b->epoch, &b->rows[b->nrows - 1]) ? m : NULL;
}

/*
 * The whole source, first batch b already read, in one transaction.
 * why: the reason, NULL for a first sync.
 */
static int
resync(sync_state *st, PGconn *c, unsigned batch, sync_batch *b,
    const char *why)
{
    sync_mark  mark;
    uint64_t   last = 0;
    size_t     total = 0;
    char       source_id[KPSA_SOURCE_ID_MAX + 1];
    char       epoch[SYNC_EPOCH_MAX + 1];
    int        rc;

    if (why == NULL) {
        sync_info("first sync from source %s", b->source_id);
    } else {
        sync_warn("the source is not the continuation of the store (seq %"
                  PRIu64 "): %s: full resync", st->last_seq, why);
    }

    snprintf(source_id, sizeof(source_id), "%s", b->source_id);
    snprintf(epoch, sizeof(epoch), "%s", b->epoch);

    if (!mark_make(&mark, epoch, NULL)
        || !kpsa_store_begin(st->store) || !kpsa_store_clear(st->store))
    {
        sync_err("store: %s", kpsa_store_error(st->store));
        kpsa_store_abort(st->store);
        return -2;
    }

    for ( ;; ) {
        if (apply_rows(st, b, &last) != 0
            || (b->nrows > 0 && batch_mark(&mark, b) == NULL))
        {
            kpsa_store_abort(st->store);
            return -2;
        }

        total += b->nrows;

        if (b->nrows < batch) {
            break;
        }

        sync_batch_free(b);

        if (sync_source_read(c, last, batch, b) != 0) {
            kpsa_store_abort(st->store);
            return -1;
        }

        if (strcmp(b->source_id, source_id) != 0
            || strcmp(b->epoch, epoch) != 0)
        {
            sync_warn("the source changed during the resync: again");
            kpsa_store_abort(st->store);
            return -1;
        }
    }

    rc = commit(st, last, source_id, &mark);

    if (rc == 0) {
        sync_info("full resync done: %zu rows, last seq %" PRIu64, total,
                  last);
    }

    return rc;
}

int
sync_catch_up(sync_state *st, PGconn *c, unsigned batch)
{
    sync_batch   b;
    sync_mark    mark;
    uint64_t     last;
    char         why[512];
    int          rc, first;

    if (sync_source_read(c, st->last_seq, batch, &b) != 0) {
        return -1;
    }

    first = st->last_seq == 0 && st->source_id[0] == '\0';
    rc = first ? 0 : source_continues(st, c, &b, why, sizeof(why));

    if (rc < 0) {
        sync_batch_free(&b);
        return -1;
    }

    if (rc == 0) {
        if (!first) {
            /* read again from the start: the rows above are the old
               source's numbering */
            sync_batch_free(&b);
            if (sync_source_read(c, 0, batch, &b) != 0) {
                return -1;
            }
        }

        rc = resync(st, c, batch, &b, first ? NULL : why);
        sync_batch_free(&b);
        return rc;
    }

    /* one transaction per batch; an empty one is the heartbeat */
    for ( ;; ) {
        last = st->last_seq;

        if (!kpsa_store_begin(st->store)) {
            sync_err("store: %s", kpsa_store_error(st->store));
            sync_batch_free(&b);
            return -2;
        }

        if (apply_rows(st, &b, &last) != 0) {
            kpsa_store_abort(st->store);
            sync_batch_free(&b);
            return -2;
        }

        rc = commit(st, last, NULL, batch_mark(&mark, &b));

        if (rc != 0 || b.nrows < batch) {
            if (rc == 0 && b.nrows > 0) {
                sync_debug("synced to seq %" PRIu64, last);
            }
            sync_batch_free(&b);
            return rc;
        }

        sync_batch_free(&b);

        if (sync_source_read(c, st->last_seq, batch, &b) != 0) {
            return -1;
        }
    }
}
