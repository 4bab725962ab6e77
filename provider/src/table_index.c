/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A parsed table's memory (the arena of records in file order, two hash
 * indexes; the layout is described in table_int.h) and the lookups
 * through it, which build an ONEM2M_SAE_ENTRY view of the record found.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "pages.h"
#include "siphash.h"
#include "table_any.h"
#include "table_int.h"

/* tells tables apart for the enumeration cursor (addresses are reused) */
static uint64_t  table_serial;

/*
 * A table sized for at most records credentials read from len bytes (the
 * parser's upper bounds), with its head filled in; NULL when out of
 * memory.  The areas are pages: trimmed by onem2m_table_trim().
 */
ONEM2M_SAE_TABLE *
onem2m_table_alloc(size_t len, size_t records)
{
    ONEM2M_SAE_TABLE  *t;
    size_t             slots;

    t = OPENSSL_zalloc(sizeof(*t));
    if (t == NULL) {
        return NULL;
    }

    t->head.magic = ONEM2M_SAE_TABLE_MAGIC;
    t->head.lookup = onem2m_table_lookup;
    t->head.find_entity = onem2m_table_find_entity;
    t->head.count = onem2m_table_count;
    t->head.free = onem2m_table_free;
    onem2m_text_head_init(&t->head);     /* get, get_entity, info, ... */
    onem2m_siphash_key(t->seed);

    /*
     * At most 3/4 full, whatever the count: linear probes stay within a
     * cache line or two (a miss reads about 8 slots, and only a slot
     * whose upper hash bits match touches its record), where rounding up
     * to a power of two at half full cost 33 bytes per entry at 1M.
     */
    slots = records + records / 3 + 16;

    t->slots = slots;
    t->arena_len = onem2m_pages_round(len + 1 + records
                                      * (REC_HEAD + RECORD_ALIGN));
    t->serial = __atomic_add_fetch(&table_serial, 1, __ATOMIC_RELAXED);

    t->arena = onem2m_pages_alloc(t->arena_len);
    t->by_kpsa_id = onem2m_pages_alloc(slots * sizeof(uint64_t));
    t->by_entity = onem2m_pages_alloc(slots * sizeof(uint64_t));

    if (t->arena == NULL || t->by_kpsa_id == NULL
        || t->by_entity == NULL)
    {
        onem2m_table_destroy(t);
        return NULL;
    }

    /* keys stay out of core dumps */
    onem2m_pages_no_dump(t->arena, t->arena_len);

    return t;
}

/* gives back what the upper bounds over-reserved; nothing moves */
void
onem2m_table_trim(ONEM2M_SAE_TABLE *t)
{
    t->arena_len = onem2m_pages_trim(t->arena, t->arena_len, t->arena_used);
}

void
onem2m_table_destroy(ONEM2M_SAE_TABLE *t)
{
    size_t  i;

    if (t == NULL) {
        return;
    }

    onem2m_pages_free(t->arena, t->arena_len, 1);
    onem2m_pages_free(t->by_kpsa_id, t->slots * sizeof(uint64_t), 0);
    onem2m_pages_free(t->by_entity, t->slots * sizeof(uint64_t), 0);

    OPENSSL_free(t->canonical_path);

    for (i = 0; i < t->nwarnings; i++) {
        OPENSSL_free(t->warnings[i].reason);
    }

    OPENSSL_free(t);
}

/* the first slot of a hash: its lower 32 bits scaled to the slots */
static size_t
table_slot(const ONEM2M_SAE_TABLE *t, uint64_t h)
{
    return (size_t) (((h & 0xffffffffULL) * (uint64_t) t->slots) >> 32);
}

/* starts fetching both index slots of a record indexed later */
void
onem2m_table_prefetch(const ONEM2M_SAE_TABLE *t, uint64_t h_id,
    uint64_t h_entity)
{
    __builtin_prefetch(&t->by_kpsa_id[table_slot(t, h_id)]);
    __builtin_prefetch(&t->by_entity[table_slot(t, h_entity)]);
}

/*
 * The slot of the record whose string (which: 0 KpsaID, 1 entity id)
 * equals name, or the empty slot where it would go.
 */
static uint64_t *
table_probe(const ONEM2M_SAE_TABLE *t, uint64_t *index, int which,
    uint64_t h, const char *name, size_t len)
{
    const unsigned char  *rec;
    uint64_t              slot;
    uint32_t              tag = (uint32_t) (h >> 32);
    size_t                i;

    for (i = table_slot(t, h); ; i = i + 1 < t->slots ? i + 1 : 0) {
        slot = index[i];

        if (slot == 0) {
            return &index[i];
        }

        if ((uint32_t) (slot >> 32) != tag) {
            continue;
        }

        rec = RECORD(t, (uint32_t) slot - 1);

        if (which == 0) {
            if (rec[REC_ID_LEN] == len
                && memcmp(REC_ID(rec), name, len) == 0)
            {
                return &index[i];
            }

        } else if (rec[REC_ENTITY_LEN] == len
                   && memcmp(REC_ENTITY(rec), name, len) == 0)
        {
            return &index[i];
        }
    }
}

/* the unit of the record after the one at unit (file order) */
static uint32_t
record_next(const ONEM2M_SAE_TABLE *t, uint32_t unit)
{
    const unsigned char  *rec = RECORD(t, unit);
    size_t                len;

    len = REC_HEAD + rec[REC_ID_LEN] + 1 + rec[REC_ENTITY_LEN] + 1
          + REC_KEY_BYTES(rec);

    return unit + (uint32_t) ((len + RECORD_ALIGN - 1) / RECORD_ALIGN);
}

/* the unit + 1 of the record whose string (which) is name, 0: none */
static inline uint32_t
table_find(const ONEM2M_SAE_TABLE *t, int which, const char *name,
    size_t len)
{
    if (t == NULL || name == NULL || len > ONEM2M_SAE_MAX_ID_LEN
        || t->count == 0)
    {
        return 0;
    }

    return (uint32_t) *table_probe(t, which == 0 ? t->by_kpsa_id
                                                 : t->by_entity,
                                   which, onem2m_siphash13(t->seed, name,
                                                           len),
                                   name, len);
}

/*
 * Fills e with the view of the record whose string (which: 0 KpsaID, 1
 * entity id) is name: 1, or 0 when there is none.
 */
int
onem2m_table_get_view(const ONEM2M_SAE_TABLE *t, int which,
    const char *name, size_t len, ONEM2M_SAE_ENTRY *e)
{
    uint32_t  found = table_find(t, which, name, len);

    if (found == 0) {
        return 0;
    }

    onem2m_table_view(t, found - 1, e);

    return 1;
}

/* the file-order number of the record at unit (order[] is ascending) */
static size_t
record_number(const ONEM2M_SAE_TABLE *t, const uint32_t *order,
    uint32_t unit)
{
    size_t  lo = 0, hi = t->count, mid;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (order[mid] <= unit) {
            lo = mid;
        } else {
            hi = mid;
        }
    }

    return lo;
}

/*
 * Indexes the pending record, if any: a duplicate KpsaID is an error of
 * its line (first_line[] gives the line of the one it repeats).
 */
void
onem2m_table_index(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r,
    const uint32_t *first_line, const uint32_t *order,
    TABLE_PENDING *pending)
{
    ONEM2M_SAE_ENTRY   e[1];
    uint64_t          *id_slot, *entity_slot;
    char               msg[ONEM2M_SAE_MAX_ID_LEN + 64];

    if (!pending->set) {
        return;
    }

    pending->set = 0;
    onem2m_table_view(t, pending->unit, e);

    id_slot = table_probe(t, t->by_kpsa_id, 0, pending->h_id, e->kpsa_id,
                          e->kpsa_id_len);

    if (*id_slot != 0) {
        /* the table will not load: the record is simply left unindexed */
        snprintf(msg, sizeof(msg),
                 "duplicate KpsaID %s (first defined on line %lu)",
                 e->kpsa_id,
                 (unsigned long) first_line[record_number(t, order,
                                                 (uint32_t) *id_slot - 1)]);
        onem2m_table_line_error(r, pending->line, msg);
        return;
    }

    *id_slot = (pending->h_id & 0xffffffff00000000ULL)
               | (uint64_t) (pending->unit + 1);

    /* several KpsaIDs may name one entity: index its first credential */
    entity_slot = table_probe(t, t->by_entity, 1, pending->h_entity,
                              e->entity, e->entity_len);

    if (*entity_slot == 0) {
        *entity_slot = (pending->h_entity & 0xffffffff00000000ULL)
                       | (uint64_t) (pending->unit + 1);
    }
}

/*
 * The pointer-returning lookups (the public ONEM2M_SAE_table_lookup() and
 * _find_entity(), the tools' enumeration) fill a view of the calling
 * thread's, one per function: valid until that thread's next call of the
 * same function.  Handshakes use get (table_any.c), which fills the
 * caller's.  The views hold pointers only, no key bytes.
 */
static __thread ONEM2M_SAE_ENTRY  view_lookup, view_entity, view_entry;

/* where the last onem2m_table_entry() of this thread was, to go on from */
static __thread struct {
    uint64_t  serial;
    size_t    i;
    uint32_t  unit;
} cursor;

/* the thread's view of the record at found - 1, or NULL (found 0) */
static const ONEM2M_SAE_ENTRY *
table_thread_view(const ONEM2M_SAE_TABLE *t, uint32_t found,
    ONEM2M_SAE_ENTRY *view)
{
    if (found == 0) {
        return NULL;
    }

    onem2m_table_view(t, found - 1, view);

    return view;
}

const ONEM2M_SAE_ENTRY *
onem2m_table_lookup(const ONEM2M_SAE_TABLE *t, const char *kpsa_id,
    size_t len)
{
    return table_thread_view(t, table_find(t, 0, kpsa_id, len),
                             &view_lookup);
}

const ONEM2M_SAE_ENTRY *
onem2m_table_find_entity(const ONEM2M_SAE_TABLE *t, const char *entity,
    size_t len)
{
    return table_thread_view(t, table_find(t, 1, entity, len),
                             &view_entity);
}

size_t
onem2m_table_count(const ONEM2M_SAE_TABLE *t)
{
    return t != NULL ? t->count : 0;
}

/*
 * Records are variable-sized and the file order is the arena's own, so
 * entry i is found by walking from the thread's last one (an enumeration
 * costs one step per entry) or from the first.
 */
const ONEM2M_SAE_ENTRY *
onem2m_table_entry(const ONEM2M_SAE_TABLE *t, size_t i)
{
    size_t    n = 0;
    uint32_t  unit = 0;

    if (t == NULL || i >= t->count) {
        return NULL;
    }

    if (cursor.serial == t->serial && cursor.i <= i) {
        n = cursor.i;
        unit = cursor.unit;
    }

    for ( /* void */ ; n < i; n++) {
        unit = record_next(t, unit);
    }

    cursor.serial = t->serial;
    cursor.i = i;
    cursor.unit = unit;

    onem2m_table_view(t, unit, &view_entry);

    return &view_entry;
}
