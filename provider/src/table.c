/*
 * The psk-lookup-table (TS-0003 8.2.2.1 as a file, the seed's Table
 * 7.1.2-2): one credential per line,
 *
 *     <entity-id> <kpsa-hex> <kpsa-id>
 *
 * Memory layout, chosen for 1M entries and a cache miss or two per lookup:
 * one arena of records, each an ONEM2M_SAE_ENTRY directly followed by its
 * KpsaID, entity id and key (so a hit reads one place), an array of record
 * offsets in file order (enumeration), and two open-addressing indexes
 * (KpsaID, entity id) of 64-bit slots, each the upper hash bits and the
 * record offset, so that a miss rarely touches a record.  Large areas are
 * mapped with transparent huge pages (fewer TLB misses) and the arena is
 * kept out of core dumps.  The hash is SipHash-1-3 with a random key per
 * table: table contents come from the operator, identities from anybody.
 *
 * Tables are immutable once loaded, so lookups take no lock.  A process-
 * wide list caches one parsed copy per file version, refcounted.  The
 * version is the canonical path and the SHA-256 of the bytes read, so no
 * edit can keep a stale copy alive, not even one that restores the size
 * and the mtime (metadata an owner can set at will).  A changed file
 * (nginx reload after an edit) is parsed anew.
 *
 * Reading and hashing a 1M-entry file costs about as much as a tenth of
 * parsing it; OSSL_STORE opens the table on every OSSL_STORE_open().  So,
 * as git does with its "racily clean" index entries, a file is not read
 * again when its inode, size, mtime and ctime are those seen when it was
 * last read, and that ctime was well before the read started: any write
 * since would have set ctime to a later time, and ctime, unlike mtime,
 * cannot be set back from user space.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "table_any.h"

/* the shared grammar's constants are the public ones */
_Static_assert(ONEM2M_ID_MAX_LEN == ONEM2M_SAE_MAX_ID_LEN, "id length");
_Static_assert(ONEM2M_ID_AE == ONEM2M_SAE_ENTITY_AE, "AE");
_Static_assert(ONEM2M_ID_CSE == ONEM2M_SAE_ENTITY_CSE, "CSE");

#define TABLE_MAX_FILE_SIZE   ((off_t) 1 << 31)
#define DIAG_LEN              (PATH_MAX + 512)
#define TABLE_DIGEST_LEN      32
/* ctime granularity margin: older than this at read time, it is stable */
#define TABLE_CTIME_MARGIN    2

/* records are 8-byte aligned; slots and order[] count in those units */
#define RECORD_ALIGN          8
#define RECORD(t, unit)       ((ONEM2M_SAE_ENTRY *) \
                               ((t)->arena + (size_t) (unit) * RECORD_ALIGN))
#define HUGE_PAGE_SIZE        ((size_t) 2 << 20)

typedef struct {
    unsigned long   line;
    char           *reason;
} TABLE_WARNING;

struct onem2m_sae_table_st {
    ONEM2M_SAE_TABLE_HEAD  head;            /* first: see sae_dispatch.h */

    unsigned char         *arena;           /* records: entry, strings, key */
    size_t                 arena_len;       /* mapped */
    uint32_t              *order;           /* record offsets, file order */
    size_t                 order_len;       /* mapped */
    size_t                 count;

    uint64_t              *by_kpsa_id;      /* slots: hash hi32 | offset */
    uint64_t              *by_entity;
    size_t                 mask;            /* slots - 1 */
    uint64_t               seed[2];

    /* line warnings, replayed when a cached copy is opened again */
    TABLE_WARNING          warnings[ONEM2M_TABLE_MAX_REPORTS];
    size_t                 nwarnings;
    size_t                 more_short_keys;

    /* cache key and list; refs and next are guarded by cache_lock */
    char                  *canonical_path;
    unsigned char          digest[TABLE_DIGEST_LEN];  /* SHA-256 */
    int                    cacheable;       /* digest computed */
    /* the file when last read (or found unchanged), under cache_lock */
    dev_t                  dev;
    ino_t                  ino;
    off_t                  size;
    struct timespec        mtime;
    struct timespec        ctime;
    struct timespec        read_at;         /* CLOCK_REALTIME, before */
    int                    refs;
    ONEM2M_SAE_TABLE      *next;
};

typedef struct {
    const char            *path;            /* as given, for messages */
    ONEM2M_SAE_DIAG_CB     diag;
    void                  *diag_arg;
    size_t                 errors;
    size_t                 warnings;
} TABLE_REPORT;

static CRYPTO_ONCE         cache_once = CRYPTO_ONCE_STATIC_INIT;
static CRYPTO_RWLOCK      *cache_lock;
static ONEM2M_SAE_TABLE   *cache;

static void cache_init(void);


/* ---------------------------------------------------------------------
 * hashing
 */

#define ROTL64(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIP_ROUND                                                           \
    do {                                                                    \
        v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);       \
        v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                            \
        v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                            \
        v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);       \
    } while (0)

/* SipHash-1-3: keyed, so colliding identities cannot be precomputed */
static uint64_t
table_hash(const uint64_t seed[2], const void *data, size_t len)
{
    const unsigned char  *p = data;
    const unsigned char  *end = p + (len & ~(size_t) 7);
    uint64_t              v0 = 0x736f6d6570736575ULL ^ seed[0];
    uint64_t              v1 = 0x646f72616e646f6dULL ^ seed[1];
    uint64_t              v2 = 0x6c7967656e657261ULL ^ seed[0];
    uint64_t              v3 = 0x7465646279746573ULL ^ seed[1];
    uint64_t              m, b;
    size_t                i;

    for (; p != end; p += 8) {
        memcpy(&m, p, 8);
        v3 ^= m;
        SIP_ROUND;
        v0 ^= m;
    }

    b = (uint64_t) len << 56;
    for (i = 0; i < (len & 7); i++) {
        b |= (uint64_t) p[i] << (8 * i);
    }

    v3 ^= b;
    SIP_ROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIP_ROUND;
    SIP_ROUND;
    SIP_ROUND;

    return v0 ^ v1 ^ v2 ^ v3;
}

static void
table_seed(uint64_t seed[2])
{
    struct timespec  ts;

    if (getrandom(seed, 2 * sizeof(uint64_t), GRND_NONBLOCK)
        == (ssize_t) (2 * sizeof(uint64_t)))
    {
        return;
    }

    /* no entropy yet (early boot): still better than a fixed key */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    seed[0] = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL
              ^ (uint64_t) (uintptr_t) seed;
    seed[1] = (uint64_t) ts.tv_sec * 0xc2b2ae3d27d4eb4fULL ^ getpid();
}

/*
 * The slot of the record whose string (which: 0 KpsaID, 1 entity id)
 * equals name, or the empty slot where it would go.
 */
static uint64_t *
table_probe(const ONEM2M_SAE_TABLE *t, uint64_t *index, int which,
    uint64_t h, const char *name, size_t len)
{
    const ONEM2M_SAE_ENTRY  *e;
    uint64_t                 slot;
    uint32_t                 tag = (uint32_t) (h >> 32);
    size_t                   i;

    for (i = (size_t) h & t->mask; ; i = (i + 1) & t->mask) {
        slot = index[i];

        if (slot == 0) {
            return &index[i];
        }

        if ((uint32_t) (slot >> 32) != tag) {
            continue;
        }

        e = RECORD(t, (uint32_t) slot - 1);

        if (which == 0) {
            if (e->kpsa_id_len == len && memcmp(e->kpsa_id, name, len) == 0) {
                return &index[i];
            }

        } else if (e->entity_len == len && memcmp(e->entity, name, len) == 0) {
            return &index[i];
        }
    }
}

static const ONEM2M_SAE_ENTRY *
table_find(const ONEM2M_SAE_TABLE *t, uint64_t *index, int which,
    const char *name, size_t len)
{
    uint64_t  *slot;

    if (t == NULL || name == NULL || len > ONEM2M_SAE_MAX_ID_LEN
        || t->count == 0)
    {
        return NULL;
    }

    slot = table_probe(t, index, which, table_hash(t->seed, name, len), name,
                       len);

    return *slot ? RECORD(t, (uint32_t) *slot - 1) : NULL;
}

/* whole pages from the kernel: huge pages for big areas, trimmable */
static void *
map_alloc(size_t len)
{
    void  *p;

    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }

#ifdef MADV_HUGEPAGE
    if (len >= HUGE_PAGE_SIZE) {
        (void) madvise(p, len, MADV_HUGEPAGE);
    }
#endif

    return p;
}

static size_t
page_round(size_t len)
{
    size_t  page = (size_t) sysconf(_SC_PAGESIZE);

    return (len + page - 1) & ~(page - 1);
}

/* gives back the pages beyond used; returns the length still mapped */
static size_t
map_trim(void *p, size_t len, size_t used)
{
    size_t  keep = page_round(used > 0 ? used : 1);

    if (keep < len) {
        munmap((char *) p + keep, len - keep);
        return keep;
    }

    return len;
}


/* ---------------------------------------------------------------------
 * grammar: common/onem2m_id.c, the one shared by the hook and the module
 */

/*
 * The entity type of a table's entity id.  "/S<x>" (an S-stem AE-ID, or
 * a CSE-ID starting with "S") is a CSE here: the table's operator writes
 * an AE as its stem.
 */
int
onem2m_entity_type(const char *id, size_t len)
{
    onem2m_id  p;

    if (onem2m_id_parse(id, len, &p) == 0) {
        return 0;
    }

    if (p.ambiguous && p.form == ONEM2M_ID_FORM_SP_RELATIVE) {
        return ONEM2M_SAE_ENTITY_CSE;
    }

    return p.type == ONEM2M_ID_AE ? ONEM2M_SAE_ENTITY_AE
                                  : ONEM2M_SAE_ENTITY_CSE;
}

/* length of the valid UTF-8 prefix of s; == len when all of it is valid */
static size_t
utf8_valid_prefix(const unsigned char *s, size_t len)
{
    size_t    i = 0, n, k;
    uint32_t  cp;

    while (i < len) {
        unsigned char  c = s[i];

        if (c < 0x80) {
            i++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1; cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2; cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3; cp = c & 0x07;
        } else {
            return i;
        }

        if (i + n >= len) {
            return i;               /* truncated sequence */
        }

        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }

        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
            || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        {
            return i;
        }

        i += n + 1;
    }

    return i;
}

/* hex digit values plus one; 0 marks a non-digit */
static const unsigned char  hex_table[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
    ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

static int
hex_value(unsigned char c)
{
    return (int) hex_table[c] - 1;
}

/*
 * 1 when the line is ASCII without NUL bytes (nearly every line): then
 * the byte-wise NUL and UTF-8 checks can be skipped.  Eight bytes a step.
 */
static int
plain_ascii(const unsigned char *s, size_t len)
{
    const uint64_t  high = 0x8080808080808080ULL;
    const uint64_t  ones = 0x0101010101010101ULL;
    uint64_t        w;
    size_t          i = 0;

    for (; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);

        if ((w & high) || ((w - ones) & ~w & high)) {
            return 0;
        }
    }

    for (; i < len; i++) {
        if (s[i] == 0 || s[i] >= 0x80) {
            return 0;
        }
    }

    return 1;
}


/* ---------------------------------------------------------------------
 * diagnostics
 */

static void
report(TABLE_REPORT *r, int severity, unsigned long line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
report(TABLE_REPORT *r, int severity, unsigned long line, const char *fmt,
    ...)
{
    char     msg[DIAG_LEN];
    int      n;
    va_list  ap;

    if (r->diag == NULL) {
        return;
    }

    if (line) {
        n = snprintf(msg, sizeof(msg), "%s:%lu: ", r->path, line);
    } else {
        n = snprintf(msg, sizeof(msg), "%s: ", r->path);
    }

    if (n < 0 || (size_t) n >= sizeof(msg)) {
        n = 0;
    }

    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
    va_end(ap);

    r->diag(r->diag_arg, severity, msg);
}

static void
line_error(TABLE_REPORT *r, unsigned long line, const char *reason)
{
    if (r->errors++ < ONEM2M_TABLE_MAX_REPORTS) {
        report(r, ONEM2M_SAE_DIAG_ERROR, line, "%s", reason);
    }
}


/* ---------------------------------------------------------------------
 * parsing
 */

/* short keys: reported, and kept as (line, reason) for later openers */
static void
short_key_warning(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r, unsigned long line,
    const ONEM2M_SAE_ENTRY *e)
{
    char  reason[ONEM2M_SAE_MAX_ID_LEN + 128];

    if (t->nwarnings == ONEM2M_TABLE_MAX_REPORTS) {
        t->more_short_keys++;
        return;
    }

    snprintf(reason, sizeof(reason),
             "key of KpsaID %s is only %u bytes (%d or more recommended)",
             e->kpsa_id, (unsigned) e->key_len, ONEM2M_SAE_SHORT_KEY_LEN);

    report(r, ONEM2M_SAE_DIAG_WARNING, line, "%s", reason);

    t->warnings[t->nwarnings].line = line;
    t->warnings[t->nwarnings].reason = OPENSSL_strdup(reason);

    if (t->warnings[t->nwarnings].reason != NULL) {
        t->nwarnings++;
    }
}

static void
replay_warnings(const ONEM2M_SAE_TABLE *t, TABLE_REPORT *r)
{
    size_t  i;

    for (i = 0; i < t->nwarnings; i++) {
        report(r, ONEM2M_SAE_DIAG_WARNING, t->warnings[i].line, "%s",
               t->warnings[i].reason);
    }

    if (t->more_short_keys) {
        report(r, ONEM2M_SAE_DIAG_WARNING, 0,
               "%zu more keys shorter than %d bytes", t->more_short_keys,
               ONEM2M_SAE_SHORT_KEY_LEN);
    }
}

/* the file-order number of the record at unit (order[] is ascending) */
static size_t
record_number(const ONEM2M_SAE_TABLE *t, uint32_t unit)
{
    size_t  lo = 0, hi = t->count, mid;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (t->order[mid] <= unit) {
            lo = mid;
        } else {
            hi = mid;
        }
    }

    return lo;
}

/*
 * A record written but not indexed yet: its index slots are being
 * prefetched while the next line is parsed (random index accesses are
 * what a large load waits for).
 */
typedef struct {
    uint64_t        h_id;
    uint64_t        h_entity;
    uint32_t        unit;
    unsigned long   line;
    int             set;
} TABLE_PENDING;

static void
table_insert(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r, const uint32_t *first_line,
    TABLE_PENDING *pending)
{
    ONEM2M_SAE_ENTRY  *e;
    uint64_t          *id_slot, *entity_slot;
    char               msg[ONEM2M_SAE_MAX_ID_LEN + 64];

    if (!pending->set) {
        return;
    }

    pending->set = 0;
    e = RECORD(t, pending->unit);

    id_slot = table_probe(t, t->by_kpsa_id, 0, pending->h_id, e->kpsa_id,
                          e->kpsa_id_len);

    if (*id_slot != 0) {
        /* the table will not load: the record is simply left unindexed */
        snprintf(msg, sizeof(msg),
                 "duplicate KpsaID %s (first defined on line %lu)",
                 e->kpsa_id,
                 (unsigned long) first_line[record_number(t,
                                                 (uint32_t) *id_slot - 1)]);
        line_error(r, pending->line, msg);
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

/* reports an error of this line, after any of the line before */
static void
line_fail(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r, const uint32_t *first_line,
    TABLE_PENDING *pending, unsigned long lineno, const char *reason)
{
    table_insert(t, r, first_line, pending);
    line_error(r, lineno, reason);
}

/*
 * Parses one line (without its line break) into a record at *arena_used,
 * indexes the pending record of the previous line and leaves this one
 * pending.  Returns 1 when the line added a credential, 0 for blank and
 * comment lines, -1 after reporting an error.
 */
static int
parse_line(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r, uint32_t *first_line,
    TABLE_PENDING *pending, unsigned long lineno, const unsigned char *line,
    size_t len, size_t *arena_used)
{
    const unsigned char  *field[4];
    size_t                flen[4];
    size_t                nfields, i, hexlen, key_len, unit;
    const unsigned char  *p, *end, *hex;
    ONEM2M_SAE_ENTRY     *e;
    unsigned char        *dst;
    uint64_t              h_id, h_entity;
    int                   type;
    char                  msg[ONEM2M_SAE_MAX_ID_LEN + 64];

    if (len > ONEM2M_TABLE_MAX_LINE) {
        snprintf(msg, sizeof(msg), "line longer than %d bytes",
                 ONEM2M_TABLE_MAX_LINE);
        line_fail(t, r, first_line, pending, lineno, msg);
        return -1;
    }

    if (!plain_ascii(line, len)) {
        if (memchr(line, '\0', len) != NULL) {
            line_fail(t, r, first_line, pending, lineno, "NUL byte in line");
            return -1;
        }

        if (utf8_valid_prefix(line, len) != len) {
            line_fail(t, r, first_line, pending, lineno, "invalid UTF-8");
            return -1;
        }
    }

    if (len > 0 && line[len - 1] == '\r') {
        len--;                          /* CRLF files */
    }

    p = line;
    end = line + len;
    nfields = 0;

    while (nfields < 4) {
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == end || *p == '#') {
            break;
        }

        field[nfields] = p;

        while (p < end && *p != ' ' && *p != '\t') {
            p++;
        }

        flen[nfields] = p - field[nfields];
        nfields++;
    }

    switch (nfields) {
    case 0:
        return 0;
    case 1:
        line_fail(t, r, first_line, pending, lineno,
                  "missing key and KpsaID columns");
        return -1;
    case 2:
        line_fail(t, r, first_line, pending, lineno,
                  "missing KpsaID column");
        return -1;
    case 4:
        line_fail(t, r, first_line, pending, lineno,
                  "extra column after the KpsaID");
        return -1;
    }

    /* start fetching both index slots: they are probed a line later */
    if (flen[0] <= ONEM2M_SAE_MAX_ID_LEN && flen[2] <= ONEM2M_SAE_MAX_ID_LEN) {
        h_id = table_hash(t->seed, field[2], flen[2]);
        h_entity = table_hash(t->seed, field[0], flen[0]);
        __builtin_prefetch(&t->by_kpsa_id[h_id & t->mask]);
        __builtin_prefetch(&t->by_entity[h_entity & t->mask]);

    } else {
        h_id = h_entity = 0;
    }

    /* entity id */

    if (flen[0] > ONEM2M_SAE_MAX_ID_LEN) {
        snprintf(msg, sizeof(msg), "entity id longer than %d bytes",
                 ONEM2M_SAE_MAX_ID_LEN);
        line_fail(t, r, first_line, pending, lineno, msg);
        return -1;
    }

    type = onem2m_entity_type((const char *) field[0], flen[0]);

    if (type == 0) {
        line_fail(t, r, first_line, pending, lineno,
                  "malformed entity id (expected an AE-ID or a CSE-ID)");
        return -1;
    }

    /* key: never echoed, not even in part */

    hex = field[1];
    hexlen = flen[1];

    if (hexlen >= 2 && hex[0] == '0' && (hex[1] | 0x20) == 'x') {
        hex += 2;
        hexlen -= 2;
    }

    if (hexlen == 0) {
        line_fail(t, r, first_line, pending, lineno, "empty key");
        return -1;
    }

    for (i = 0; i < hexlen; i++) {
        if (hex_table[hex[i]] == 0) {
            line_fail(t, r, first_line, pending, lineno,
                      "key is not hexadecimal");
            return -1;
        }
    }

    if (hexlen % 2) {
        line_fail(t, r, first_line, pending, lineno,
                  "key has an odd number of hex digits");
        return -1;
    }

    key_len = hexlen / 2;

    if (key_len > ONEM2M_SAE_MAX_KEY_LEN) {
        snprintf(msg, sizeof(msg), "key longer than %d bytes",
                 ONEM2M_SAE_MAX_KEY_LEN);
        line_fail(t, r, first_line, pending, lineno, msg);
        return -1;
    }

    /* KpsaID */

    if (flen[2] > ONEM2M_SAE_MAX_ID_LEN) {
        snprintf(msg, sizeof(msg), "KpsaID longer than %d bytes",
                 ONEM2M_SAE_MAX_ID_LEN);
        line_fail(t, r, first_line, pending, lineno, msg);
        return -1;
    }

    if (!onem2m_kpsa_id_valid((const char *) field[2], flen[2])) {
        line_fail(t, r, first_line, pending, lineno,
                  "malformed KpsaID (expected <relative-id>@<fqdn>)");
        return -1;
    }

    /* a valid line: its record (the arena was sized for every line) */

    unit = *arena_used / RECORD_ALIGN;
    e = RECORD(t, unit);
    dst = (unsigned char *) (e + 1);

    memcpy(dst, field[2], flen[2]);
    dst[flen[2]] = '\0';
    e->kpsa_id = (const char *) dst;
    e->kpsa_id_len = (unsigned short) flen[2];
    dst += flen[2] + 1;

    memcpy(dst, field[0], flen[0]);
    dst[flen[0]] = '\0';
    e->entity = (const char *) dst;
    e->entity_len = (unsigned short) flen[0];
    dst += flen[0] + 1;

    for (i = 0; i < key_len; i++) {
        dst[i] = (unsigned char) (hex_value(hex[2 * i]) << 4
                                  | hex_value(hex[2 * i + 1]));
    }

    e->key = dst;
    e->key_len = (unsigned short) key_len;
    e->entity_type = (unsigned char) type;
    dst += key_len;

    *arena_used = ((dst - t->arena) + RECORD_ALIGN - 1)
                  & ~(size_t) (RECORD_ALIGN - 1);

    first_line[t->count] = (uint32_t) lineno;
    t->order[t->count++] = (uint32_t) unit;

    table_insert(t, r, first_line, pending);

    pending->h_id = h_id;
    pending->h_entity = h_entity;
    pending->unit = (uint32_t) unit;
    pending->line = lineno;
    pending->set = 1;

    if (key_len < ONEM2M_SAE_SHORT_KEY_LEN) {
        short_key_warning(t, r, lineno, e);
    }

    return 1;
}

static void
table_destroy(ONEM2M_SAE_TABLE *t)
{
    size_t  i;

    if (t == NULL) {
        return;
    }

    if (t->arena != NULL) {
        OPENSSL_cleanse(t->arena, t->arena_len);
        munmap(t->arena, t->arena_len);
    }

    if (t->order != NULL) {
        munmap(t->order, t->order_len);
    }

    if (t->by_kpsa_id != NULL) {
        munmap(t->by_kpsa_id, (t->mask + 1) * sizeof(uint64_t));
    }

    if (t->by_entity != NULL) {
        munmap(t->by_entity, (t->mask + 1) * sizeof(uint64_t));
    }

    OPENSSL_free(t->canonical_path);

    for (i = 0; i < t->nwarnings; i++) {
        OPENSSL_free(t->warnings[i].reason);
    }

    OPENSSL_free(t);
}

static ONEM2M_SAE_TABLE *
table_parse(TABLE_REPORT *r, const unsigned char *buf, size_t len)
{
    ONEM2M_SAE_TABLE     *t;
    uint32_t             *first_line = NULL;
    size_t                nlines, records, slots, arena_used;
    size_t                first_line_len = 0;
    TABLE_PENDING         pending = { 0, 0, 0, 0, 0 };
    const unsigned char  *p, *end, *nl;
    unsigned long         lineno;

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
    table_seed(t->seed);

    /*
     * Upper bounds: at most one credential per line, and per 9 bytes (the
     * shortest line, "C1 00 a@b"); a record holds less than its line (hex
     * halves) plus the entry and alignment.
     */
    nlines = 1;
    end = buf + len;

    for (p = buf; (nl = memchr(p, '\n', end - p)) != NULL; p = nl + 1) {
        nlines++;
    }

    records = len / 9 + 1;
    if (records > nlines) {
        records = nlines;
    }

    for (slots = 16; slots < 2 * records; slots <<= 1) {
        /* void */
    }

    t->mask = slots - 1;
    t->arena_len = page_round(len + 1 + records * (sizeof(ONEM2M_SAE_ENTRY)
                                                   + RECORD_ALIGN));
    t->order_len = page_round(records * sizeof(uint32_t));
    first_line_len = page_round(records * sizeof(uint32_t));

    t->arena = map_alloc(t->arena_len);
    t->order = map_alloc(t->order_len);
    t->by_kpsa_id = map_alloc(slots * sizeof(uint64_t));
    t->by_entity = map_alloc(slots * sizeof(uint64_t));
    first_line = map_alloc(first_line_len);

    if (t->arena == NULL || t->order == NULL || t->by_kpsa_id == NULL
        || t->by_entity == NULL || first_line == NULL)
    {
        if (t->arena == NULL) {
            t->arena_len = 0;
        }
        if (t->order == NULL) {
            t->order_len = 0;
        }
        report(r, ONEM2M_SAE_DIAG_ERROR, 0, "out of memory");
        r->errors++;
        goto failed;
    }

#ifdef MADV_DONTDUMP
    /* keys stay out of core dumps */
    (void) madvise(t->arena, t->arena_len, MADV_DONTDUMP);
#endif

    arena_used = 0;
    lineno = 0;

    for (p = buf, end = buf + len; p < end; p = nl + 1) {
        lineno++;
        nl = memchr(p, '\n', end - p);
        if (nl == NULL) {
            nl = end;
        }

        parse_line(t, r, first_line, &pending, lineno, p, nl - p,
                   &arena_used);
    }

    table_insert(t, r, first_line, &pending);

    munmap(first_line, first_line_len);
    first_line = NULL;

    if (r->errors > 0) {
        goto failed;
    }

    /* give back what the upper bounds over-reserved; nothing moves */
    t->arena_len = map_trim(t->arena, t->arena_len, arena_used);
    t->order_len = map_trim(t->order, t->order_len,
                            t->count * sizeof(uint32_t));

    return t;

failed:

    if (first_line != NULL) {
        munmap(first_line, first_line_len);
    }

    table_destroy(t);
    return NULL;
}

ONEM2M_SAE_TABLE *
onem2m_table_parse(const char *name, const unsigned char *buf, size_t len,
    ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    TABLE_REPORT       r;
    ONEM2M_SAE_TABLE  *t;

    memset(&r, 0, sizeof(r));
    r.path = name != NULL ? name : "(table)";
    r.diag = diag;
    r.diag_arg = diag_arg;

    /* onem2m_table_free() takes the cache lock, cached table or not */
    if (!CRYPTO_THREAD_run_once(&cache_once, cache_init)
        || cache_lock == NULL)
    {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot create a lock");
        return NULL;
    }

    t = table_parse(&r, buf, len);

    if (r.errors > ONEM2M_TABLE_MAX_REPORTS) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "%zu more errors",
               r.errors - ONEM2M_TABLE_MAX_REPORTS);
    }

    if (t == NULL) {
        return NULL;
    }

    if (t->more_short_keys) {
        report(&r, ONEM2M_SAE_DIAG_WARNING, 0,
               "%zu more keys shorter than %d bytes", t->more_short_keys,
               ONEM2M_SAE_SHORT_KEY_LEN);
    }

    if (t->count == 0) {
        report(&r, ONEM2M_SAE_DIAG_WARNING, 0, "no credentials");
    }

    t->refs = 1;

    return t;
}

const char *
onem2m_table_uri_path(const char *uri)
{
    if (uri == NULL) {
        return NULL;
    }

    if (strncasecmp(uri, ONEM2M_SAE_URI_SCHEME ":",
                    sizeof(ONEM2M_SAE_URI_SCHEME)) != 0)
    {
        return uri[0] != '\0' ? uri : NULL;
    }

    uri += sizeof(ONEM2M_SAE_URI_SCHEME);

    if (uri[0] == '/' && uri[1] == '/') {
        /* "kpsa:///abs/path": an empty authority only */
        return uri[2] == '/' ? uri + 2 : NULL;
    }

    return uri[0] != '\0' ? uri : NULL;
}


/* ---------------------------------------------------------------------
 * the cache and the public functions
 */

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
 * The cached copy of canonical: with digest (not NULL) the one of the same
 * content, which then takes st and read_at as its last reading; without,
 * one whose file st shows unchanged since a reading.
 */
static ONEM2M_SAE_TABLE *
cache_get(const char *canonical, const unsigned char *digest,
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
 * SHA-256 of the file's bytes, the cache key.  0 when no SHA-256 can be
 * fetched (a library context without the default provider): the table is
 * then parsed anew on every open and never shared, which is safe.
 */
static int
table_digest(const unsigned char *buf, size_t len, unsigned char *digest)
{
    size_t  dlen = 0;

    return EVP_Q_digest(NULL, "SHA256", NULL, buf, len, digest, &dlen)
           && dlen == TABLE_DIGEST_LEN;
}

static void
digest_hex(const unsigned char *digest, char *out, size_t n)
{
    static const char  hex[] = "0123456789abcdef";
    size_t             i;

    for (i = 0; i < n && i < TABLE_DIGEST_LEN; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }

    out[2 * i] = '\0';
}

/*
 * Whoever may write the directory may replace the table (rename, unlink
 * and create anew), the sticky bit only narrows who: /tmp and its like
 * are no place for keys.
 */
static void
world_writable_dir(TABLE_REPORT *r, const char *canonical)
{
    struct stat   st;
    const char   *slash;
    char          dir[PATH_MAX];
    size_t        len;

    slash = strrchr(canonical, '/');
    if (slash == NULL) {
        return;
    }

    len = slash == canonical ? 1 : (size_t) (slash - canonical);
    if (len >= sizeof(dir)) {
        return;
    }

    memcpy(dir, canonical, len);
    dir[len] = '\0';

    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH)) {
        report(r, ONEM2M_SAE_DIAG_WARNING, 0,
               "in the world-writable directory %s (mode %04o): anyone could "
               "replace the keys, move the table to a directory only root "
               "can write", dir, (unsigned) (st.st_mode & 07777));
    }
}

static ssize_t
read_all(int fd, unsigned char *buf, size_t len)
{
    size_t   done = 0;
    ssize_t  n;

    while (done < len) {
        n = read(fd, buf + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return n < 0 ? -1 : (ssize_t) done;
        }

        done += n;
    }

    return done;
}

ONEM2M_SAE_TABLE *
onem2m_table_open(const char *uri, ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    TABLE_REPORT       r;
    ONEM2M_SAE_TABLE  *t, *other;
    const char        *path;
    char              *canonical = NULL;
    unsigned char     *buf = NULL;
    unsigned char      digest[TABLE_DIGEST_LEN];
    char               hex[2 * TABLE_DIGEST_LEN + 1];
    struct stat        st;
    struct timespec    read_at;
    ssize_t            n;
    int                fd, cacheable;

    memset(&r, 0, sizeof(r));
    r.diag = diag;
    r.diag_arg = diag_arg;

    path = onem2m_table_uri_path(uri);

    if (path == NULL) {
        r.path = uri != NULL ? uri : "(null)";
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0,
               "not a \"" ONEM2M_SAE_URI_SCHEME ":<path>\" URI or a path");
        return NULL;
    }

    r.path = path;

    if (!CRYPTO_THREAD_run_once(&cache_once, cache_init)
        || cache_lock == NULL)
    {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot create a lock");
        return NULL;
    }

    /* O_NONBLOCK: a FIFO put there must not hang the server */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd == -1) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot open (%s)",
               strerror(errno));
        return NULL;
    }

    if (fstat(fd, &st) == -1) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot stat (%s)",
               strerror(errno));
        goto failed;
    }

    if (!S_ISREG(st.st_mode)) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "not a regular file");
        goto failed;
    }

    if (st.st_size > TABLE_MAX_FILE_SIZE) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "larger than 2 GiB");
        goto failed;
    }

    /* each its own warning: a 0666 table is both */

    if (st.st_mode & (S_IRGRP | S_IROTH)) {
        report(&r, ONEM2M_SAE_DIAG_WARNING, 0,
               "keys readable by group or others (mode %04o, use 0600)",
               (unsigned) (st.st_mode & 07777));
    }

    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        report(&r, ONEM2M_SAE_DIAG_WARNING, 0,
               "keys writable by group or others, who could replace them "
               "(mode %04o, use 0600)", (unsigned) (st.st_mode & 07777));
    }

    canonical = realpath(path, NULL);

    if (canonical == NULL) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot resolve path (%s)",
               strerror(errno));
        goto failed;
    }

    world_writable_dir(&r, canonical);

    t = cache_get(canonical, NULL, &st, NULL);

    if (t != NULL) {
        close(fd);
        free(canonical);
        digest_hex(t->digest, hex, 8);
        report(&r, ONEM2M_SAE_DIAG_NOTICE, 0,
               "unchanged (SHA-256 %s... when read, inode, size, mtime and "
               "ctime the same since), parsed copy reused", hex);
        replay_warnings(t, &r);
        return t;
    }

    /* before reading: a write after this sets a later ctime */
    if (clock_gettime(CLOCK_REALTIME, &read_at) != 0) {
        read_at.tv_sec = 0;
        read_at.tv_nsec = 0;
    }

    buf = OPENSSL_malloc(st.st_size + 1);

    if (buf == NULL) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "out of memory");
        goto failed;
    }

    n = read_all(fd, buf, st.st_size);

    if (n != st.st_size) {
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot read (%s)",
               n < 0 ? strerror(errno) : "file changed while reading");
        goto failed;
    }

    close(fd);
    fd = -1;

    cacheable = table_digest(buf, st.st_size, digest);
    digest_hex(digest, hex, cacheable ? 8 : 0);

    t = cacheable ? cache_get(canonical, digest, &st, &read_at) : NULL;

    if (t != NULL) {
        OPENSSL_clear_free(buf, st.st_size);
        free(canonical);
        report(&r, ONEM2M_SAE_DIAG_NOTICE, 0,
               "unchanged (SHA-256 %s...), parsed copy reused", hex);
        replay_warnings(t, &r);
        return t;
    }

    t = onem2m_table_parse(path, buf, st.st_size, diag, diag_arg);

    /* the buffer held every key in hex */
    OPENSSL_clear_free(buf, st.st_size);
    buf = NULL;

    if (t == NULL) {
        goto failed;
    }

    t->canonical_path = OPENSSL_strdup(canonical);
    free(canonical);
    canonical = NULL;

    if (t->canonical_path == NULL) {
        table_destroy(t);
        report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "out of memory");
        return NULL;
    }

    report(&r, ONEM2M_SAE_DIAG_NOTICE, 0, "read (SHA-256 %s...)",
           cacheable ? hex : "unavailable, not shared");

    if (!cacheable) {
        return t;
    }

    memcpy(t->digest, digest, TABLE_DIGEST_LEN);
    t->cacheable = 1;
    note_file(t, &st, &read_at);

    if (!CRYPTO_THREAD_write_lock(cache_lock)) {
        table_destroy(t);
        return NULL;
    }

    /* another thread may have parsed the same file meanwhile */
    for (other = cache; other != NULL; other = other->next) {
        if (same_file(other, t->canonical_path, digest)) {
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
        table_destroy(t);
        return other;
    }

    return t;

failed:

    if (fd != -1) {
        close(fd);
    }

    free(canonical);

    /* a short read may still have brought part of the keys in */
    if (buf != NULL) {
        OPENSSL_clear_free(buf, st.st_size);
    }

    return NULL;
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
        table_destroy(t);
    }
}

const ONEM2M_SAE_ENTRY *
onem2m_table_lookup(const ONEM2M_SAE_TABLE *t, const char *kpsa_id,
    size_t len)
{
    return t != NULL ? table_find(t, t->by_kpsa_id, 0, kpsa_id, len) : NULL;
}

const ONEM2M_SAE_ENTRY *
onem2m_table_find_entity(const ONEM2M_SAE_TABLE *t, const char *entity,
    size_t len)
{
    return t != NULL ? table_find(t, t->by_entity, 1, entity, len) : NULL;
}

size_t
onem2m_table_count(const ONEM2M_SAE_TABLE *t)
{
    return t != NULL ? t->count : 0;
}

const ONEM2M_SAE_ENTRY *
onem2m_table_entry(const ONEM2M_SAE_TABLE *t, size_t i)
{
    return t != NULL && i < t->count ? RECORD(t, t->order[i]) : NULL;
}
