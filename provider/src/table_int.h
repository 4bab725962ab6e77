/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table's insides, shared by the table_*.c files (table.h is the
 * API the rest of the provider uses; docs/provider-internals.md maps the
 * files):
 *
 *   table_parse.c   the text format: lines to records
 *   table_index.c   the memory of a parsed table and its hash indexes
 *   table_report.c  errors and warnings through the caller's diag callback
 *   table_cache.c   the process-wide cache of parsed tables, refcounts
 *   table_open.c    URIs, the file checks and reading (table_any.c routes
 *                   a URI to this backend or to lmdb_table.c)
 *
 * Memory layout, chosen for 1M entries and a cache miss or two per lookup:
 * one arena of records in file order, each a 5-byte header (KpsaID and
 * entity id lengths, key length, entity type) directly followed by its
 * KpsaID, entity id (both NUL-terminated) and key, so a hit reads one
 * place; and two open-addressing indexes (KpsaID, entity id) of 64-bit
 * slots, each the upper hash bits and the record offset, so that a miss
 * rarely touches a record; at most 3/4 full, any number of slots (the
 * position is the hash's lower 32 bits scaled to it).  A record holds no
 * pointers: an ONEM2M_SAE_ENTRY view of it is built on lookup (32 bytes
 * per entry less, and 4 less for the file order, which is the arena's
 * own).  Large areas are mapped with transparent huge pages (pages.c) and
 * the arena is kept out of core dumps.  The hash is SipHash-1-3
 * (siphash.c) with a random key per table: table contents come from the
 * operator, identities from
 * anybody.  Tables are immutable once loaded, so lookups take no lock.
 */

#ifndef ONEM2M_TABLE_INT_H
#define ONEM2M_TABLE_INT_H

#include <stdint.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "table.h"

#define TABLE_DIGEST_LEN      32

/*
 * Records are 4-byte aligned and slots count in those units (an arena of
 * up to 16 GB).  A record: KpsaID length, entity id length, key length
 * (2 bytes, little-endian), entity type, then the strings and the key.
 */
#define RECORD_ALIGN          4
#define RECORD(t, unit)       ((t)->arena + (size_t) (unit) * RECORD_ALIGN)
#define REC_ID_LEN            0
#define REC_ENTITY_LEN        1
#define REC_KEY_LEN           2
#define REC_TYPE              4
#define REC_HEAD              5
#define REC_ID(r)             ((const char *) (r) + REC_HEAD)
#define REC_ENTITY(r)         (REC_ID(r) + (r)[REC_ID_LEN] + 1)
#define REC_KEY_BYTES(r)      ((size_t) (r)[REC_KEY_LEN] \
                               | (size_t) (r)[REC_KEY_LEN + 1] << 8)

typedef struct {
    unsigned long   line;
    char           *reason;
} TABLE_WARNING;

struct onem2m_sae_table_st {
    ONEM2M_SAE_TABLE_HEAD  head;            /* first: see sae_dispatch.h */

    unsigned char         *arena;           /* records: entry, strings, key */
    size_t                 arena_len;       /* mapped */
    size_t                 arena_used;      /* the records end here */
    size_t                 count;

    uint64_t              *by_kpsa_id;      /* slots: hash hi32 | offset */
    uint64_t              *by_entity;
    size_t                 slots;           /* of each index */
    uint64_t               serial;          /* unique in the process */
    uint64_t               seed[2];

    /* line warnings, replayed when a cached copy is opened again */
    TABLE_WARNING          warnings[ONEM2M_TABLE_MAX_REPORTS];
    size_t                 nwarnings;
    size_t                 more_short_keys;

    /* cache key and list; refs and next are guarded by the cache lock */
    char                  *canonical_path;
    unsigned char          digest[TABLE_DIGEST_LEN];  /* SHA-256 */
    int                    cacheable;       /* digest computed */
    /* the file when last read (or found unchanged), under the cache lock */
    dev_t                  dev;
    ino_t                  ino;
    off_t                  size;
    struct timespec        mtime;
    struct timespec        ctime;
    struct timespec        read_at;         /* CLOCK_REALTIME, before */
    int                    refs;
    ONEM2M_SAE_TABLE      *next;
};

/* where the messages of one open or parse go */
typedef struct {
    const char            *path;            /* as given, for messages */
    ONEM2M_SAE_DIAG_CB     diag;
    void                  *diag_arg;
    size_t                 errors;
    size_t                 warnings;
} TABLE_REPORT;

/*
 * A record written but not indexed yet: its index slots are being
 * prefetched while the next line is parsed (random index accesses are
 * what a large load waits for; table_parse.c says by how much).
 */
typedef struct {
    uint64_t        h_id;
    uint64_t        h_entity;
    uint32_t        unit;
    unsigned long   line;
    int             set;
} TABLE_PENDING;

/* the entry view of the record at unit: pointers into the arena */
static inline void
onem2m_table_view(const ONEM2M_SAE_TABLE *t, uint32_t unit,
    ONEM2M_SAE_ENTRY *e)
{
    const unsigned char  *rec = RECORD(t, unit);

    e->kpsa_id = REC_ID(rec);
    e->kpsa_id_len = rec[REC_ID_LEN];
    e->entity = REC_ENTITY(rec);
    e->entity_len = rec[REC_ENTITY_LEN];
    e->key = (const unsigned char *) e->entity + e->entity_len + 1;
    e->key_len = (unsigned short) REC_KEY_BYTES(rec);
    e->entity_type = rec[REC_TYPE];
}

/* table_report.c */
void onem2m_table_report(TABLE_REPORT *r, int severity, unsigned long line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void onem2m_table_line_error(TABLE_REPORT *r, unsigned long line,
    const char *reason);
void onem2m_table_short_key(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r,
    unsigned long line, const ONEM2M_SAE_ENTRY *e);
void onem2m_table_more_short_keys(const ONEM2M_SAE_TABLE *t,
    TABLE_REPORT *r);
void onem2m_table_replay_warnings(const ONEM2M_SAE_TABLE *t,
    TABLE_REPORT *r);

/* table_index.c */
ONEM2M_SAE_TABLE *onem2m_table_alloc(size_t len, size_t records);
void onem2m_table_trim(ONEM2M_SAE_TABLE *t);
int onem2m_table_get_view(const ONEM2M_SAE_TABLE *t, int which,
    const char *name, size_t len, ONEM2M_SAE_ENTRY *e);
void onem2m_table_destroy(ONEM2M_SAE_TABLE *t);
void onem2m_table_prefetch(const ONEM2M_SAE_TABLE *t, uint64_t h_id,
    uint64_t h_entity);
void onem2m_table_index(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r,
    const uint32_t *first_line, const uint32_t *order,
    TABLE_PENDING *pending);

/* table_cache.c */
int onem2m_table_cache_ready(void);
ONEM2M_SAE_TABLE *onem2m_table_cache_get(const char *canonical,
    const unsigned char *digest, const struct stat *st,
    const struct timespec *read_at);
ONEM2M_SAE_TABLE *onem2m_table_cache_add(ONEM2M_SAE_TABLE *t,
    const struct stat *st, const struct timespec *read_at);

#endif /* ONEM2M_TABLE_INT_H */
