/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-sync: keeps one node's LMDB credential store (kpsa-lmdb:) a copy
 * of the fleet's PostgreSQL source (conf/postgresql/schema.sql).
 *
 *   LISTEN onem2m_kpsa; then, on every notification and at least every
 *   poll interval: read the rows with seq > the store's last_seq in seq
 *   order, a batch at a time, and write each batch in ONE LMDB write
 *   transaction that also records last_seq and synced_at.  A poll that
 *   finds nothing still writes synced_at: the heartbeat nginx reads as the
 *   store's age.  When the source is not the continuation of the store
 *   (another identity, a sequence behind the store's, another storage
 *   epoch, or another row at the store's last_seq: apply.c), the store is
 *   rebuilt in one transaction: readers see the old store until it
 *   commits.
 *   PostgreSQL down: the store stays as it is, the daemon reconnects with
 *   a growing delay and says how stale the store is.
 *
 * The daemon copies sealed keys; it never holds a KEK.
 *
 * Files: main.c (the loop, signals), args.c (command line), source.c
 * (PostgreSQL), apply.c (rows into the store), log.c (messages).
 */

#ifndef ONEM2M_SYNC_H
#define ONEM2M_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>

#include <libpq-fe.h>

#include "store/kpsa_store.h"

#define SYNC_PROG                "onem2m-sync"
#define SYNC_SOURCE_ENV          "ONEM2M_SYNC_SOURCE"
#define SYNC_SOURCE_SCHEME       "postgresql:"
#define SYNC_CHANNEL             "onem2m_kpsa"
#define SYNC_DEFAULT_BATCH       1000
#define SYNC_DEFAULT_POLL_MS     5000
#define SYNC_DEFAULT_BACKOFF_MS  30000
/*
 * the first interval between two messages about an unreachable source;
 * it doubles up to --max-backoff
 */
#define SYNC_FIRST_BACKOFF_MS    250
/* the default interval between two connection attempts (--retry) */
#define SYNC_DEFAULT_RETRY_MS    500

/* exit statuses */
#define SYNC_OK                  0
#define SYNC_FAIL                1
#define SYNC_USAGE               2

typedef struct {
    const char    *store_dir;       /* --store */
    const char    *conninfo;        /* --source / ONEM2M_SYNC_SOURCE */
    unsigned       batch;           /* --batch */
    unsigned       poll_ms;         /* --poll */
    unsigned       backoff_max_ms;  /* --max-backoff */
    unsigned       retry_ms;        /* --retry */
    int            once;            /* --once */
    int            verbose;         /* -v */
} sync_opts;

/* one row of onem2m.credentials as read */
typedef struct {
    uint64_t              seq;
    int                   revoked;
    const char           *kpsa_id;       /* PGresult storage */
    const char           *entity;
    unsigned char        *sealed;        /* PGresult storage, or NULL */
    size_t                sealed_len;
    int64_t               changed_at;    /* PostgreSQL's microseconds */
} sync_row;

/* "<system identifier>/<database OID>/<table OID>" (source.c) */
#define SYNC_DIGEST_LEN          32
#define SYNC_EPOCH_MAX           63

/* one read of the source: its identity and the next rows */
typedef struct {
    char                  source_id[KPSA_SOURCE_ID_MAX + 1];
    uint64_t              source_seq;    /* the sequence's last value */
    char                  epoch[SYNC_EPOCH_MAX + 1];
    PGresult             *res;
    sync_row             *rows;
    size_t                nrows;
} sync_batch;

/* args.c */
int  sync_args_parse(sync_opts *o, int argc, char **argv);
void sync_usage(int full);

/* log.c: "onem2m-sync: ..." on stderr, with a journal priority prefix
   when stderr is the journal */
void sync_log_init(int verbose);
void sync_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sync_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sync_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sync_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * source.c: a connection listening on the channel, or NULL (the failure
 * logged as a warning when report, else as a debug message)
 */
PGconn *sync_source_connect(const char *conninfo, int report);
int  sync_source_read(PGconn *c, uint64_t after, unsigned limit,
         sync_batch *b);
/* the row of one KpsaID (none: b->nrows 0), with the same identity */
int  sync_source_read_id(PGconn *c, const char *kpsa_id, sync_batch *b);
void sync_batch_free(sync_batch *b);
/*
 * Waits up to timeout_ms for a notification or for a signal on wake_fd:
 * 1 notified, 0 timed out or woken, -1 connection lost (logged).
 */
int  sync_source_wait(PGconn *c, int wake_fd, unsigned timeout_ms);

/* apply.c */

/*
 * The continuity mark, kept in the store with every commit: the source's
 * storage epoch, and the KpsaID and digest of the row at last_seq.  A
 * source continues the store only with the same epoch and, when it still
 * has that row at last_seq, the same row.
 */
typedef struct {
    char                  epoch[SYNC_EPOCH_MAX + 1];
    char                  id[KPSA_MAX_ID_LEN + 1];  /* "": no row yet */
    unsigned char         digest[SYNC_DIGEST_LEN];
} sync_mark;

typedef struct {
    kpsa_store           *store;
    uint64_t              last_seq;
    int64_t               synced_at;
    char                  source_id[KPSA_SOURCE_ID_MAX + 1];
    int                   stale_warned;
    int                   has_mark;
    sync_mark             mark;
} sync_state;

int  sync_state_load(sync_state *st, const char *dir);
/*
 * Brings the store up to the source: a resync when the source is another
 * one, else batches until one is short.  0 ok, -1 source failure (the
 * store keeps its last good state), -2 store failure.
 */
int  sync_catch_up(sync_state *st, PGconn *c, unsigned batch);

#endif /* ONEM2M_SYNC_H */
