/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rows into the store: one LMDB write transaction per batch read, which
 * also records last_seq and synced_at (so a crash between batches resumes
 * exactly after the last committed one, and a replayed row is ignored by
 * the store's seq rule).  A resync (another source, or a source whose
 * sequence is behind the store: restored from an older backup) clears the
 * store and copies the whole source in ONE transaction: nginx keeps
 * reading the old store until it commits, and an interrupted resync
 * leaves the old store.
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
commit(sync_state *st, uint64_t last, const char *source_id)
{
    int64_t  now = (int64_t) time(NULL);

    if (!kpsa_store_set_meta(st->store, last, now, source_id)
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

    return 0;
}

/* the whole source, first batch b already read, in one transaction */
static int
resync(sync_state *st, PGconn *c, unsigned batch, sync_batch *b)
{
    uint64_t  last = 0;
    size_t    total = 0;
    char      source_id[KPSA_SOURCE_ID_MAX + 1];
    int       rc;

    if (st->source_id[0] == '\0') {
        sync_info("first sync from source %s", b->source_id);
    } else if (strcmp(st->source_id, b->source_id) != 0) {
        sync_warn("the source is %s, the store came from %s: full resync",
                  b->source_id, st->source_id);
    } else {
        sync_warn("the source's sequence (%" PRIu64 ") is behind the "
                  "store's (%" PRIu64 "): restored from a backup? full "
                  "resync", b->source_seq, st->last_seq);
    }

    snprintf(source_id, sizeof(source_id), "%s", b->source_id);

    if (!kpsa_store_begin(st->store) || !kpsa_store_clear(st->store)) {
        sync_err("store: %s", kpsa_store_error(st->store));
        kpsa_store_abort(st->store);
        return -2;
    }

    for ( ;; ) {
        if (apply_rows(st, b, &last) != 0) {
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

        if (strcmp(b->source_id, source_id) != 0) {
            sync_warn("the source changed during the resync: again");
            kpsa_store_abort(st->store);
            return -1;
        }
    }

    rc = commit(st, last, source_id);

    if (rc == 0) {
        sync_info("full resync done: %zu rows, last seq %" PRIu64, total,
                  last);
    }

    return rc;
}

int
sync_catch_up(sync_state *st, PGconn *c, unsigned batch)
{
    sync_batch  b;
    uint64_t    last;
    int         rc;

    if (sync_source_read(c, st->last_seq, batch, &b) != 0) {
        return -1;
    }

    if (strcmp(b.source_id, st->source_id) != 0
        || b.source_seq < st->last_seq)
    {
        if (st->last_seq != 0 || st->source_id[0] != '\0') {
            /* read again from the start: the rows above are the old
               source's numbering */
            sync_batch_free(&b);
            if (sync_source_read(c, 0, batch, &b) != 0) {
                return -1;
            }
        }

        rc = resync(st, c, batch, &b);
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

        rc = commit(st, last, NULL);

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
