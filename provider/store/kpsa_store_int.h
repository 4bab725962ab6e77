/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to provider/store: the store handle and the record codec shared
 * by the writer (kpsa_store.c) and the reader (kpsa_store_read.c).
 *
 * DBI "cred":   KpsaID -> u8 version (1), u8 state (KPSA_STATE_*),
 *               u64 seq (big-endian), u16 entity_len (big-endian), entity,
 *               sealed key (none in a tombstone, whose entity is empty);
 *               version 2 has u8 flags, u8 suid, i64 expires (big-endian)
 *               between the entity and the sealed key
 * DBI "entity": entity -> KpsaID, MDB_DUPSORT (several KpsaIDs may name
 *               one entity, as in the text table); tombstones have none
 * DBI "meta":   "format" u32 BE, "last_seq" u64 BE, "synced_at" i64 BE,
 *               "source_id" text, "kek_check" sealed check value,
 *               "sync_mark" the sync daemon's (opaque here)
 */

#ifndef KPSA_STORE_INT_H
#define KPSA_STORE_INT_H

#include <pthread.h>
#include <setjmp.h>
#include <sys/types.h>
#include <lmdb.h>

#include "kpsa_store.h"

#define KPSA_REC_VERSION     1
#define KPSA_REC_VERSION_ATTR 2
#define KPSA_REC_HEADER      (1 + 1 + 8 + 2)
#define KPSA_REC_ATTR_LEN    (1 + 1 + 8)

struct kpsa_store {
    MDB_env          *env;
    MDB_dbi           cred, entity, meta;
    MDB_txn          *wtxn;             /* the open write txn, or NULL */
    MDB_txn          *rtxn;             /* the reset read txn, reused */
    MDB_cursor       *icur;             /* on entity, renewed with rtxn */
    pthread_mutex_t   lock;             /* rtxn */
    int               writable;
    int               map_sized;        /* kpsa_store_set_map_size() */
    int               damaged;          /* a fault or a short file: closed */
    int               stale_cleared;    /* reader slots cleared at open */
    unsigned          psize;            /* LMDB's page size, from the meta */
    dev_t             dev;              /* data.mdb as mapped */
    ino_t             ino;
    char              err[512];
};

void kpsa_store_set_error(kpsa_store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* what to do about an LMDB error the operator can fix ("" if nothing) */
const char *kpsa_store_hint(int rc);

uint64_t kpsa_be64(const unsigned char *p);
void kpsa_put_be64(unsigned char *p, uint64_t v);

/*
 * meta last_seq in txn into *seq (0 when there is none): 1, -1 error.
 * Writers keep it at least every record's seq (put and revoke raise it),
 * so a record above it was written by no writer.
 */
int kpsa_meta_last_seq(kpsa_store *s, MDB_txn *txn, uint64_t *seq);

/*
 * The read guard (kpsa_store_check.c): between kpsa_guard_enter() and
 * kpsa_guard_leave() a SIGBUS, SIGSEGV or SIGFPE of this thread (or a
 * failed LMDB assertion: kpsa_guard_assert()) returns from its
 * sigsetjmp(jb, 0) with the signal number; kpsa_store_fault() then marks
 * the store damaged, naming it.  kpsa_guard_init() installs the handler
 * (once).
 */
void kpsa_guard_init(void);
void kpsa_guard_assert(MDB_env *env, const char *msg);
void kpsa_guard_enter(sigjmp_buf *jb);
void kpsa_guard_leave(void);
void kpsa_store_fault(kpsa_store *s);

/*
 * data.mdb against its meta pages (fd: the mapped file, or one opened for
 * the pre-check when s->env is NULL): 1 whole, 0 damaged (s->err says)
 */
int kpsa_store_file_check(kpsa_store *s, const char *dir, int fd);
int kpsa_store_precheck(kpsa_store *s, const char *dir);

/* the record in v into rec (kpsa_id from k): 1 ok, 0 malformed */
int kpsa_rec_decode(const MDB_val *k, const MDB_val *v, kpsa_store_rec *rec);

#endif /* KPSA_STORE_INT_H */
