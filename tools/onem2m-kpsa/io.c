/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Key files of other TLS-PSK tools, one "identity:key" per line:
 *
 *   psktool (GnuTLS)   identity:hexkey
 *   stunnel PSKsecrets identity:key, where a key of hex digits is
 *                      converted to binary and any other key is its text;
 *                      stunnel refuses keys under 16 bytes
 *
 * An import needs the entity of every identity (--map, or --entity for
 * all of them): an identity says nothing reliable about its AE-ID, and a
 * wrong AE-ID would let one device speak as another.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kpsa.h"

typedef struct {
    char    *id;
    char    *entity;
    size_t   line;
} name_line;

static int
by_id(const void *a, const void *b)
{
    const name_line  *x = a, *y = b;
    int               c = strcmp(x->id, y->id);

    if (c != 0) {
        return c;
    }

    return x->line < y->line ? -1 : x->line > y->line;
}

static int
read_file(const char *file, char **bufp, size_t *lenp)
{
    int  fd, rc;

    if (strcmp(file, "-") == 0) {
        return kpsa_read_fd(STDIN_FILENO, "(stdin)", (unsigned char **) bufp,
                            lenp);
    }

    fd = open(file, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        kpsa_err("%s: cannot open (%s)", file, strerror(errno));
        return -1;
    }

    rc = kpsa_read_fd(fd, file, (unsigned char **) bufp, lenp);
    close(fd);
    return rc;
}

/* next line of buf (NUL-terminated in place, CR and blanks at the end cut) */
static char *
next_line(char **cursor, char *end)
{
    char  *line = *cursor, *nl, *e;

    if (line >= end) {
        return NULL;
    }

    nl = memchr(line, '\n', end - line);
    e = nl ? nl : end;
    *cursor = nl ? nl + 1 : end;

    while (e > line && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    *e = '\0';

    return line;
}

static int
skip_line(const char *line)
{
    line += strspn(line, " \t");
    return *line == '\0' || *line == '#';
}

static void
free_names(name_line *v, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].entity);
    }
    free(v);
}

/*
 * Sorts v by identity and reports each identity that repeats an earlier
 * line ("<file>:<line>: identity <id> <how> line <n>"): their number.
 */
static size_t
sort_repeats(name_line *v, size_t n, const char *file, const char *how)
{
    size_t  i, repeats = 0;

    qsort(v, n, sizeof(*v), by_id);

    for (i = 1; i < n; i++) {
        if (strcmp(v[i].id, v[i - 1].id) == 0) {
            kpsa_err("%s:%zu: identity %s %s line %zu", file, v[i].line,
                     v[i].id, how, v[i - 1].line);
            repeats++;
        }
    }

    return repeats;
}

/* s quoted and escaped for a message (common/onem2m_text.h) */
static const char *
quote(char buf[KPSA_QUOTE_SIZE], const char *s)
{
    onem2m_text_log_quote(buf, KPSA_QUOTE_SIZE, s, strlen(s),
                          ONEM2M_SAE_MAX_ID_LEN);
    return buf;
}

/* --map: "<identity> <entity>" per line, sorted by identity */
static name_line *
load_map(const char *file, size_t *count)
{
    char       *buf, *cur, *line, *id, *ent, *extra, *save;
    char        q[KPSA_QUOTE_SIZE];
    size_t      len, n = 0, cap = 0, lineno = 0, errors = 0;
    name_line  *v = NULL, *nv;

    if (read_file(file, &buf, &len) != 0) {
        return NULL;
    }

    cur = buf;

    while ((line = next_line(&cur, buf + len)) != NULL) {
        lineno++;

        if (skip_line(line)) {
            continue;
        }

        id = strtok_r(line, " \t", &save);
        ent = strtok_r(NULL, " \t", &save);
        extra = strtok_r(NULL, " \t", &save);

        if (ent == NULL || (extra != NULL && extra[0] != '#')) {
            kpsa_err("%s:%zu: expected \"<identity> <entity>\"", file,
                     lineno);
            errors++;
            continue;
        }

        if (onem2m_entity_type(ent, strlen(ent)) == 0) {
            kpsa_err("%s:%zu: malformed entity id %s "
                     ONEM2M_ID_ENTITY_EXPECTED, file, lineno, quote(q, ent));
            errors++;
            continue;
        }

        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            nv = realloc(v, cap * sizeof(*v));
            if (nv == NULL) {
                kpsa_err("out of memory");
                errors++;
                break;
            }
            v = nv;
        }

        v[n].id = strdup(id);
        v[n].entity = strdup(ent);
        v[n].line = lineno;
        n++;
    }

    OPENSSL_clear_free(buf, len);

    if (errors == 0 && n > 0) {
        errors = sort_repeats(v, n, file, "already mapped on");
    }

    if (errors > 0) {
        free_names(v, n);
        return NULL;
    }

    *count = n;
    return v != NULL ? v : calloc(1, sizeof(*v));
}

static const name_line *
map_find(const name_line *map, size_t n, const char *id)
{
    size_t  lo = 0, hi = n, mid;
    int     c;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(id, map[mid].id);

        if (c == 0) {
            return &map[mid];
        }

        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}

/* one import */
typedef struct {
    const kpsa_opts  *o;
    kpsa_doc         *d;
    const char       *file;
    name_line        *map;              /* --map, sorted */
    size_t            nmap;
    name_line        *seen;             /* identities imported, by line */
    size_t            nseen;
    int               stunnel;
    unsigned char     key[ONEM2M_SAE_MAX_KEY_LEN];
    size_t            key_len;
} import_run;

/* --map or --entity, one of them, and a well-formed entity */
static int
import_check_opts(const kpsa_opts *o)
{
    char  q[KPSA_QUOTE_SIZE];

    if ((o->map == NULL) == (o->entity == NULL)) {
        kpsa_err("import needs --map FILE (\"<identity> <entity>\" lines) "
                 "or --entity ENTITY, one of them: an entity is never "
                 "guessed");
        return -1;
    }

    if (o->entity != NULL
        && onem2m_entity_type(o->entity, strlen(o->entity)) == 0)
    {
        kpsa_err("malformed entity id %s "
                 ONEM2M_ID_ENTITY_EXPECTED, quote(q, o->entity));
        return -1;
    }

    return 0;
}

/*
 * The key of id at lineno into r->key: hex, or for stunnel a key that is
 * not all hex digits is its text.  Never echoed, not even in part.
 */
static int
import_key(import_run *r, size_t lineno, const char *id, const char *text)
{
    size_t  len = strlen(text);
    char    what[ONEM2M_SAE_MAX_ID_LEN + 64];

    if (!r->stunnel || onem2m_text_all_hex(text, len)) {
        if (kpsa_hex_decode(text, len, r->key, sizeof(r->key), &r->key_len)
            != 0)
        {
            kpsa_err("%s:%zu: key of %s is not 1 to %d bytes in hex",
                     r->file, lineno, id, ONEM2M_SAE_MAX_KEY_LEN);
            return -1;
        }

    } else {
        if (len > sizeof(r->key)) {
            kpsa_err("%s:%zu: key of %s is longer than %d bytes", r->file,
                     lineno, id, ONEM2M_SAE_MAX_KEY_LEN);
            return -1;
        }
        memcpy(r->key, text, len);
        r->key_len = len;
    }

    snprintf(what, sizeof(what), "%s:%zu: the key of %s", r->file, lineno,
             id);

    return kpsa_key_length_ok(r->key_len, r->o->force, what);
}

/*
 * One "identity:key" line: appended to the table.  0, -1 for an error of
 * the line, -2 when nothing more can be imported.
 */
static int
import_line(import_run *r, char *line, size_t lineno)
{
    char              *colon, q[KPSA_QUOTE_SIZE];
    const char        *entity = r->o->entity;
    const name_line   *hit;
    long               at;

    colon = strchr(line, ':');

    if (colon == NULL) {
        kpsa_err("%s:%zu: expected \"<identity>:<key>\"", r->file, lineno);
        return -1;
    }

    *colon = '\0';

    if (!onem2m_kpsa_id_valid(line, strlen(line))) {
        kpsa_err("%s:%zu: identity %s is not a KpsaID "
                 "(<relative-id>@<fqdn>)", r->file, lineno, quote(q, line));
        return -1;
    }

    if (entity == NULL) {
        hit = map_find(r->map, r->nmap, line);

        if (hit == NULL) {
            kpsa_err("%s:%zu: identity %s has no entity in %s (import "
                     "never guesses one)", r->file, lineno, line, r->o->map);
            return -1;
        }

        entity = hit->entity;
    }

    if (import_key(r, lineno, line, colon + 1) != 0) {
        return -1;
    }

    at = kpsa_doc_find_id(r->d, line, strlen(line));

    if (at >= 0) {
        kpsa_err("%s:%zu: KpsaID %s is already in %s:%ld", r->file, lineno,
                 line, r->d->path, at + 1);
        return -1;
    }

    r->seen[r->nseen].id = line;
    r->seen[r->nseen].line = lineno;
    r->nseen++;

    return kpsa_doc_append(r->d, entity, r->key, r->key_len, line) != 0
           ? -2 : 0;
}

int
kpsa_import(const kpsa_opts *o, kpsa_doc *d, const char *file)
{
    import_run   r;
    char        *buf = NULL, *cur, *line;
    size_t       len, lineno = 0, errors = 0;
    int          rc = 0;

    if (import_check_opts(o) != 0) {
        return -1;
    }

    memset(&r, 0, sizeof(r));
    r.o = o;
    r.d = d;
    r.file = file;
    r.stunnel = o->format && strcmp(o->format, "stunnel") == 0;

    if (o->map != NULL && (r.map = load_map(o->map, &r.nmap)) == NULL) {
        kpsa_err("nothing imported");
        return -1;
    }

    if (read_file(file, &buf, &len) != 0) {
        free_names(r.map, r.nmap);
        return -1;
    }

    r.seen = calloc(len / 4 + 1, sizeof(*r.seen));  /* "a@b:" the least */
    if (r.seen == NULL) {
        kpsa_err("out of memory");
        errors++;
    }

    cur = buf;

    while (r.seen != NULL && rc != -2
           && (line = next_line(&cur, buf + len)) != NULL)
    {
        lineno++;

        if (!skip_line(line) && (rc = import_line(&r, line, lineno)) != 0) {
            errors++;
        }
    }

    OPENSSL_cleanse(r.key, sizeof(r.key));

    if (errors == 0) {
        errors = sort_repeats(r.seen, r.nseen, file, "repeats");
    }

    if (errors == 0 && r.nseen == 0) {
        kpsa_err("%s: no identities", file);
        errors++;
    }

    free(r.seen);               /* pointers into buf only */
    OPENSSL_clear_free(buf, len);
    free_names(r.map, r.nmap);

    if (errors > 0) {
        kpsa_err("%zu error%s; nothing imported", errors,
                 errors == 1 ? "" : "s");
        return -1;
    }

    return 0;
}

/*
 * The credentials to export as "identity:hexkey" lines into out (room
 * for the whole table): how many, or -1 when stunnel would refuse one.
 */
static long
export_lines(const kpsa_opts *o, const kpsa_doc *d, int stunnel, char *out,
    size_t *len)
{
    const ONEM2M_SAE_ENTRY  *e;
    const kpsa_line         *l;
    size_t                   i, n = 0, elen;

    elen = o->entity != NULL ? strlen(o->entity) : 0;

    for (i = 0; i < d->nlines; i++) {
        l = &d->lines[i];

        if (!l->cred || (o->entity != NULL
                         && (l->ent_len != elen
                             || memcmp(d->buf + l->ent_off, o->entity, elen)
                                != 0)))
        {
            continue;
        }

        e = onem2m_table_lookup(d->table,
                                (const char *) d->buf + l->id_off,
                                l->id_len);

        if (stunnel && e->key_len < ONEM2M_SAE_SHORT_KEY_LEN) {
            kpsa_err("%s:%zu: the key of %s is only %u bytes, stunnel "
                     "refuses keys under %d; nothing exported", d->path,
                     i + 1, e->kpsa_id, (unsigned) e->key_len,
                     ONEM2M_SAE_SHORT_KEY_LEN);
            return -1;
        }

        memcpy(out + *len, e->kpsa_id, e->kpsa_id_len);
        *len += e->kpsa_id_len;
        out[(*len)++] = ':';
        onem2m_text_hex_encode(e->key, e->key_len, out + *len);
        *len += 2 * e->key_len;
        out[(*len)++] = '\n';
        n++;
    }

    return (long) n;
}

int
kpsa_export(const kpsa_opts *o, const kpsa_doc *d)
{
    char         *out;
    size_t        len = 0, cap;
    long          n;
    int           stunnel = o->format && strcmp(o->format, "stunnel") == 0;
    int           rc = -1, fd = -1;
    struct stat   st;

    cap = 2 * d->len + 1;          /* hex keys and ids: at most the table */
    out = OPENSSL_malloc(cap);
    if (out == NULL) {
        kpsa_err("out of memory");
        return -1;
    }

    n = export_lines(o, d, stunnel, out, &len);

    if (n < 0) {
        goto done;
    }

    if (o->entity != NULL && n == 0) {
        kpsa_err("%s: no credential of %s", d->path, o->entity);
        goto done;
    }

    if (o->output == NULL) {
        if (fwrite(out, 1, len, stdout) != len || fflush(stdout) != 0) {
            kpsa_err("cannot write to stdout");
            goto done;
        }

    } else {
        if (kpsa_write_atomic(o->output, (unsigned char *) out, len,
                              stat(o->output, &st) == 0 ? &st : NULL, &fd)
            != 0)
        {
            goto done;
        }
        close(fd);
        kpsa_note(o, "exported %ld credential%s to %s (mode 0600)", n,
                  n == 1 ? "" : "s", o->output);
    }

    rc = 0;

done:

    OPENSSL_clear_free(out, cap);
    return rc;
}
