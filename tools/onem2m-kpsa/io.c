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

/* --map: "<identity> <entity>" per line, sorted by identity */
static name_line *
load_map(const char *file, size_t *count)
{
    char       *buf, *cur, *line, *id, *ent, *extra, *save;
    size_t      len, n = 0, cap = 0, lineno = 0, errors = 0, i;
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
            kpsa_err("%s:%zu: malformed entity id \"%s\" (expected an "
                     "AE-ID or a CSE-ID)", file, lineno, ent);
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
        qsort(v, n, sizeof(*v), by_id);

        for (i = 1; i < n; i++) {
            if (strcmp(v[i].id, v[i - 1].id) == 0) {
                kpsa_err("%s:%zu: identity %s already mapped on line %zu",
                         file, v[i].line, v[i].id, v[i - 1].line);
                errors++;
            }
        }
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

int
kpsa_import(const kpsa_opts *o, kpsa_doc *d, const char *file)
{
    char           *buf = NULL, *cur, *line, *colon, *keytext;
    size_t          len, lineno = 0, errors = 0, nmap = 0, nseen = 0, i;
    size_t          key_len, keytext_len;
    unsigned char   key[ONEM2M_SAE_MAX_KEY_LEN];
    name_line      *map = NULL, *seen = NULL;
    const name_line *hit;
    const char     *entity;
    int             stunnel = o->format && strcmp(o->format, "stunnel") == 0;
    long            at;
    char            what[ONEM2M_SAE_MAX_ID_LEN + 64];

    if ((o->map == NULL) == (o->entity == NULL)) {
        kpsa_err("import needs --map FILE (\"<identity> <entity>\" lines) "
                 "or --entity ENTITY, one of them: an entity is never "
                 "guessed");
        return -1;
    }

    if (o->entity != NULL
        && onem2m_entity_type(o->entity, strlen(o->entity)) == 0)
    {
        kpsa_err("malformed entity id \"%s\" (expected an AE-ID or a "
                 "CSE-ID)", o->entity);
        return -1;
    }

    if (o->map != NULL && (map = load_map(o->map, &nmap)) == NULL) {
        kpsa_err("nothing imported");
        return -1;
    }

    if (read_file(file, &buf, &len) != 0) {
        free_names(map, nmap);
        return -1;
    }

    seen = calloc(len / 4 + 1, sizeof(*seen));   /* "a@b:" is the least */
    if (seen == NULL) {
        kpsa_err("out of memory");
        errors++;
        goto done;
    }

    cur = buf;

    while ((line = next_line(&cur, buf + len)) != NULL) {
        lineno++;

        if (skip_line(line)) {
            continue;
        }

        colon = strchr(line, ':');

        if (colon == NULL) {
            kpsa_err("%s:%zu: expected \"<identity>:<key>\"", file, lineno);
            errors++;
            continue;
        }

        *colon = '\0';
        keytext = colon + 1;
        keytext_len = strlen(keytext);

        if (!onem2m_kpsa_id_valid(line, strlen(line))) {
            kpsa_err("%s:%zu: identity \"%.*s\" is not a KpsaID "
                     "(<relative-id>@<fqdn>)", file, lineno,
                     ONEM2M_SAE_MAX_ID_LEN, line);
            errors++;
            continue;
        }

        if (o->entity != NULL) {
            entity = o->entity;
        } else {
            hit = map_find(map, nmap, line);

            if (hit == NULL) {
                kpsa_err("%s:%zu: identity %s has no entity in %s (import "
                         "never guesses one)", file, lineno, line, o->map);
                errors++;
                continue;
            }

            entity = hit->entity;
        }

        /* the key: never echoed, not even in part */
        if (!stunnel || onem2m_text_all_hex(keytext, keytext_len)) {
            if (kpsa_hex_decode(keytext, keytext_len, key, sizeof(key),
                                &key_len) != 0)
            {
                kpsa_err("%s:%zu: key of %s is not 1 to %d bytes in hex",
                         file, lineno, line, ONEM2M_SAE_MAX_KEY_LEN);
                errors++;
                continue;
            }

        } else {
            if (keytext_len > sizeof(key)) {
                kpsa_err("%s:%zu: key of %s is longer than %d bytes", file,
                         lineno, line, ONEM2M_SAE_MAX_KEY_LEN);
                errors++;
                continue;
            }
            memcpy(key, keytext, keytext_len);
            key_len = keytext_len;
        }

        snprintf(what, sizeof(what), "%s:%zu: the key of %s", file, lineno,
                 line);

        if (kpsa_key_length_ok(key_len, o->force, what) != 0) {
            errors++;
            continue;
        }

        at = kpsa_doc_find_id(d, line, strlen(line));

        if (at >= 0) {
            kpsa_err("%s:%zu: KpsaID %s is already in %s:%ld", file, lineno,
                     line, d->path, at + 1);
            errors++;
            continue;
        }

        seen[nseen].id = line;
        seen[nseen].line = lineno;
        nseen++;

        if (kpsa_doc_append(d, entity, key, key_len, line) != 0) {
            errors++;
            break;
        }
    }

    OPENSSL_cleanse(key, sizeof(key));

    if (errors == 0) {
        qsort(seen, nseen, sizeof(*seen), by_id);

        for (i = 1; i < nseen; i++) {
            if (strcmp(seen[i].id, seen[i - 1].id) == 0) {
                kpsa_err("%s:%zu: identity %s repeats line %zu", file,
                         seen[i].line, seen[i].id, seen[i - 1].line);
                errors++;
            }
        }
    }

    if (errors == 0 && nseen == 0) {
        kpsa_err("%s: no identities", file);
        errors++;
    }

done:

    free(seen);                 /* pointers into buf only */
    OPENSSL_clear_free(buf, len);
    free_names(map, nmap);

    if (errors > 0) {
        kpsa_err("%zu error%s; nothing imported", errors,
                 errors == 1 ? "" : "s");
        return -1;
    }

    return 0;
}

int
kpsa_export(const kpsa_opts *o, const kpsa_doc *d)
{
    const ONEM2M_SAE_ENTRY  *e;
    const kpsa_line         *l;
    char                    *out;
    size_t                   i, len = 0, cap, n = 0, elen = 0;
    int                      stunnel = o->format
                                       && strcmp(o->format, "stunnel") == 0;
    int                      rc = -1, fd;
    struct stat              st;

    cap = 2 * d->len + 1;          /* hex keys and ids: at most the table */
    out = OPENSSL_malloc(cap);
    if (out == NULL) {
        kpsa_err("out of memory");
        return -1;
    }

    if (o->entity != NULL) {
        elen = strlen(o->entity);
    }

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
            goto done;
        }

        memcpy(out + len, e->kpsa_id, e->kpsa_id_len);
        len += e->kpsa_id_len;
        out[len++] = ':';
        onem2m_text_hex_encode(e->key, e->key_len, out + len);
        len += 2 * e->key_len;
        out[len++] = '\n';
        n++;
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
        fd = -1;
        if (kpsa_write_atomic(o->output, (unsigned char *) out, len,
                              stat(o->output, &st) == 0 ? &st : NULL, &fd)
            != 0)
        {
            goto done;
        }
        close(fd);
        kpsa_note(o, "exported %zu credential%s to %s (mode 0600)", n,
                  n == 1 ? "" : "s", o->output);
    }

    rc = 0;

done:

    OPENSSL_clear_free(out, cap);
    return rc;
}
