/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The psk-lookup-table's text format (TS-0003 8.2.2.1 as a file, the
 * seed's Table 7.1.2-2): one credential per line,
 *
 *     <entity-id> <kpsa-hex> <kpsa-id>
 *
 * blank lines and "#" comments aside.  Each line becomes a record of the
 * arena (table_index.c); errors name the line, never a key.
 *
 * The prefetch pipeline: a line's record is indexed while the NEXT line is
 * parsed, its two index slots having been prefetched when its hashes were
 * computed.  At 1M entries the indexes (32 MB) are far beyond the caches
 * and a load otherwise waits for a DRAM miss per slot.  Measured on the
 * 2-core build machine (2026-12-01, docs/provider-internals.md):
 * onem2m_table_parse() of 1M lines, best of 5, 207 ms with the pipeline,
 * 330 ms indexing each record at once without prefetch (1.6x); "make
 * bench" load of 1M entries 610-800 ms with, 870-900 ms without.  It pays.
 */

#include <stdio.h>
#include <string.h>

#include "common/onem2m_text.h"
#include "pages.h"
#include "siphash.h"
#include "table_int.h"

/* the shared grammar's constants are the public ones */
_Static_assert(ONEM2M_ID_MAX_LEN == ONEM2M_SAE_MAX_ID_LEN, "id length");
_Static_assert(ONEM2M_ID_AE == ONEM2M_SAE_ENTITY_AE, "AE");
_Static_assert(ONEM2M_ID_CSE == ONEM2M_SAE_ENTITY_CSE, "CSE");

#define MSG_LEN  (ONEM2M_SAE_MAX_ID_LEN + 64)

/* the state of one parse */
typedef struct {
    ONEM2M_SAE_TABLE     *t;
    TABLE_REPORT         *r;
    uint32_t             *first_line;   /* line of each record, in order */
    size_t                first_line_len;
    TABLE_PENDING         pending;      /* the previous line's record */
    uint32_t             *order;        /* unit of each record, while
                                           parsing (duplicates' lines) */
} TABLE_PARSER;

/* the columns of a line, and what checking them found */
typedef struct {
    const unsigned char  *field[4];
    size_t                flen[4];
    size_t                n;
    const unsigned char  *hex;          /* the key's digits, no "0x" */
    size_t                key_len;
    int                   type;         /* of the entity id */
} TABLE_LINE;

/*
 * The entity type of a table's entity id.  "/S<x>" (an S-stem AE-ID, or
 * a CSE-ID starting with "S") is a CSE here: the table's operator writes
 * an AE as its stem.  The grammar is common/onem2m_id.c, the one shared
 * by the hook and the module.
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

/* reports an error of this line, after any of the line before */
static int
line_fail(TABLE_PARSER *P, unsigned long lineno, const char *reason)
{
    onem2m_table_index(P->t, P->r, P->first_line, P->order, &P->pending);
    onem2m_table_line_error(P->r, lineno, reason);

    return -1;
}

/* the bytes of a line: length, NUL and UTF-8; drops a CRLF's CR */
static const char *
check_bytes(const unsigned char *line, size_t *len, char *msg)
{
    if (*len > ONEM2M_TABLE_MAX_LINE) {
        snprintf(msg, MSG_LEN, "line longer than %d bytes",
                 ONEM2M_TABLE_MAX_LINE);
        return msg;
    }

    /* nearly every line is plain ASCII: then no byte-wise checks */
    if (!onem2m_text_plain_ascii(line, *len)) {
        if (memchr(line, '\0', *len) != NULL) {
            return "NUL byte in line";
        }

        if (onem2m_text_utf8_prefix(line, *len) != *len) {
            return "invalid UTF-8";
        }
    }

    if (*len > 0 && line[*len - 1] == '\r') {
        (*len)--;                       /* CRLF files */
    }

    return NULL;
}

/* up to four blank-separated columns before any "#" comment */
static void
split_fields(const unsigned char *line, size_t len, TABLE_LINE *l)
{
    const unsigned char  *p = line, *end = line + len;

    l->n = 0;

    while (l->n < 4) {
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == end || *p == '#') {
            break;
        }

        l->field[l->n] = p;

        while (p < end && *p != ' ' && *p != '\t') {
            p++;
        }

        l->flen[l->n] = p - l->field[l->n];
        l->n++;
    }
}

static const char *
check_entity(TABLE_LINE *l, char *msg)
{
    if (l->flen[0] > ONEM2M_SAE_MAX_ID_LEN) {
        snprintf(msg, MSG_LEN, "entity id longer than %d bytes",
                 ONEM2M_SAE_MAX_ID_LEN);
        return msg;
    }

    l->type = onem2m_entity_type((const char *) l->field[0], l->flen[0]);

    return l->type == 0
           ? "malformed entity id " ONEM2M_ID_ENTITY_EXPECTED : NULL;
}

/* the key: never echoed, not even in part */
static const char *
check_key(TABLE_LINE *l, char *msg)
{
    size_t  hexlen = l->flen[1];

    l->hex = l->field[1];

    if (hexlen >= 2 && l->hex[0] == '0' && (l->hex[1] | 0x20) == 'x') {
        l->hex += 2;
        hexlen -= 2;
    }

    if (hexlen == 0) {
        return "empty key";
    }

    if (!onem2m_text_all_hex(l->hex, hexlen)) {
        return "key is not hexadecimal";
    }

    if (hexlen % 2) {
        return "key has an odd number of hex digits";
    }

    l->key_len = hexlen / 2;

    if (l->key_len > ONEM2M_SAE_MAX_KEY_LEN) {
        snprintf(msg, MSG_LEN, "key longer than %d bytes",
                 ONEM2M_SAE_MAX_KEY_LEN);
        return msg;
    }

    return NULL;
}

static const char *
check_kpsa_id(const TABLE_LINE *l, char *msg)
{
    if (l->flen[2] > ONEM2M_SAE_MAX_ID_LEN) {
        snprintf(msg, MSG_LEN, "KpsaID longer than %d bytes",
                 ONEM2M_SAE_MAX_ID_LEN);
        return msg;
    }

    if (!onem2m_kpsa_id_valid((const char *) l->field[2], l->flen[2])) {
        return "malformed KpsaID (expected <relative-id>@<fqdn>)";
    }

    return NULL;
}

/*
 * The record of a valid line (the arena was sized for every line); e
 * gets its view.
 */
static void
write_record(TABLE_PARSER *P, const TABLE_LINE *l, unsigned long lineno,
    ONEM2M_SAE_ENTRY *e)
{
    ONEM2M_SAE_TABLE  *t = P->t;
    unsigned char     *rec, *dst;
    size_t             unit, i;

    unit = t->arena_used / RECORD_ALIGN;
    rec = RECORD(t, unit);

    rec[REC_ID_LEN] = (unsigned char) l->flen[2];
    rec[REC_ENTITY_LEN] = (unsigned char) l->flen[0];
    rec[REC_KEY_LEN] = (unsigned char) (l->key_len & 0xff);
    rec[REC_KEY_LEN + 1] = (unsigned char) (l->key_len >> 8);
    rec[REC_TYPE] = (unsigned char) l->type;
    dst = rec + REC_HEAD;

    memcpy(dst, l->field[2], l->flen[2]);
    dst[l->flen[2]] = '\0';
    dst += l->flen[2] + 1;

    memcpy(dst, l->field[0], l->flen[0]);
    dst[l->flen[0]] = '\0';
    dst += l->flen[0] + 1;

    for (i = 0; i < l->key_len; i++) {
        dst[i] = (unsigned char) (onem2m_text_hex_value(l->hex[2 * i]) << 4
                                  | onem2m_text_hex_value(l->hex[2 * i + 1]));
    }

    dst += l->key_len;

    t->arena_used = ((dst - t->arena) + RECORD_ALIGN - 1)
                    & ~(size_t) (RECORD_ALIGN - 1);

    P->first_line[t->count] = (uint32_t) lineno;
    P->order[t->count++] = (uint32_t) unit;

    onem2m_table_view(t, (uint32_t) unit, e);
}

/*
 * Parses one line (without its line break) into a record, indexes the
 * pending record of the previous line and leaves this one pending.
 * Returns 1 when the line added a credential, 0 for blank and comment
 * lines, -1 after reporting an error.
 */
static int
parse_line(TABLE_PARSER *P, unsigned long lineno, const unsigned char *line,
    size_t len)
{
    static const char   *columns[] = { NULL, "missing key and KpsaID columns",
                                       "missing KpsaID column", NULL,
                                       "extra column after the KpsaID" };
    TABLE_LINE           l;
    ONEM2M_SAE_ENTRY     e[1];
    const char          *reason;
    uint64_t             h_id = 0, h_entity = 0;
    char                 msg[MSG_LEN];

    if ((reason = check_bytes(line, &len, msg)) != NULL) {
        return line_fail(P, lineno, reason);
    }

    split_fields(line, len, &l);

    if (l.n == 0) {
        return 0;
    }

    if (l.n != 3) {
        return line_fail(P, lineno, columns[l.n]);
    }

    /* start fetching both index slots: they are probed a line later */
    if (l.flen[0] <= ONEM2M_SAE_MAX_ID_LEN
        && l.flen[2] <= ONEM2M_SAE_MAX_ID_LEN)
    {
        h_id = onem2m_siphash13(P->t->seed, l.field[2], l.flen[2]);
        h_entity = onem2m_siphash13(P->t->seed, l.field[0], l.flen[0]);
        onem2m_table_prefetch(P->t, h_id, h_entity);
    }

    if ((reason = check_entity(&l, msg)) != NULL
        || (reason = check_key(&l, msg)) != NULL
        || (reason = check_kpsa_id(&l, msg)) != NULL)
    {
        return line_fail(P, lineno, reason);
    }

    write_record(P, &l, lineno, e);

    onem2m_table_index(P->t, P->r, P->first_line, P->order, &P->pending);

    P->pending.h_id = h_id;
    P->pending.h_entity = h_entity;
    P->pending.unit = P->order[P->t->count - 1];
    P->pending.line = lineno;
    P->pending.set = 1;

    if (l.key_len < ONEM2M_SAE_SHORT_KEY_LEN) {
        onem2m_table_short_key(P->t, P->r, lineno, e);
    }

    return 1;
}

/*
 * Upper bounds: at most one credential per line, and per 9 bytes (the
 * shortest line, "C1 00 a@b"); a record holds less than its line (hex
 * halves) plus the entry and alignment (onem2m_table_alloc()).
 */
static size_t
max_records(const unsigned char *buf, size_t len)
{
    const unsigned char  *p, *nl, *end = buf + len;
    size_t                nlines = 1, records;

    for (p = buf; (nl = memchr(p, '\n', end - p)) != NULL; p = nl + 1) {
        nlines++;
    }

    records = len / 9 + 1;

    return records < nlines ? records : nlines;
}

static ONEM2M_SAE_TABLE *
table_parse(TABLE_REPORT *r, const unsigned char *buf, size_t len)
{
    TABLE_PARSER          P;
    const unsigned char  *p, *nl, *end = buf + len;
    size_t                records = max_records(buf, len);
    unsigned long         lineno = 0;

    memset(&P, 0, sizeof(P));
    P.r = r;
    P.t = onem2m_table_alloc(len, records);
    P.first_line_len = onem2m_pages_round(records * sizeof(uint32_t));
    P.first_line = P.t != NULL ? onem2m_pages_alloc(P.first_line_len) : NULL;
    P.order = P.t != NULL ? onem2m_pages_alloc(P.first_line_len) : NULL;

    if (P.first_line == NULL || P.order == NULL) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "out of memory");
        r->errors++;
        onem2m_pages_free(P.first_line, P.first_line_len, 0);
        onem2m_pages_free(P.order, P.first_line_len, 0);
        onem2m_table_destroy(P.t);
        return NULL;
    }

    for (p = buf; p < end; p = nl + 1) {
        lineno++;
        nl = memchr(p, '\n', end - p);
        if (nl == NULL) {
            nl = end;
        }

        parse_line(&P, lineno, p, nl - p);
    }

    onem2m_table_index(P.t, r, P.first_line, P.order, &P.pending);
    onem2m_pages_free(P.first_line, P.first_line_len, 0);
    onem2m_pages_free(P.order, P.first_line_len, 0);

    if (r->errors > 0) {
        onem2m_table_destroy(P.t);
        return NULL;
    }

    onem2m_table_trim(P.t);

    return P.t;
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
    if (!onem2m_table_cache_ready()) {
        onem2m_table_report(&r, ONEM2M_SAE_DIAG_ERROR, 0,
                            "cannot create a lock");
        return NULL;
    }

    t = table_parse(&r, buf, len);

    if (r.errors > ONEM2M_TABLE_MAX_REPORTS) {
        onem2m_table_report(&r, ONEM2M_SAE_DIAG_ERROR, 0, "%zu more errors",
                            r.errors - ONEM2M_TABLE_MAX_REPORTS);
    }

    if (t == NULL) {
        return NULL;
    }

    onem2m_table_more_short_keys(t, &r);

    if (t->count == 0) {
        onem2m_table_report(&r, ONEM2M_SAE_DIAG_WARNING, 0, "no credentials");
    }

    t->refs = 1;

    return t;
}
