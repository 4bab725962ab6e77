/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table as the operator wrote it: its bytes, split into lines, with
 * the two columns the tool needs to find (entity id, KpsaID) located in
 * each credential line.  Everything else (comments, blank lines, order,
 * spacing, CRLF) is copied through untouched.
 *
 * Validity is never decided here: the contents are parsed by the
 * provider's onem2m_table_parse() when read and again, edited, before
 * they are written.  The line view is checked against the parser's
 * entries on every open, so the two cannot drift apart silently.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kpsa.h"

#define READ_MAX   ((size_t) 1 << 31)         /* the provider's limit */

typedef struct {
    const char  *what;          /* prefix of each printed error */
    size_t       errors;
} doc_diag;

/* errors only: warnings of the current table are check's business */
static void
doc_diag_cb(void *arg, int severity, const char *msg)
{
    doc_diag  *dd = arg;

    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        if (dd->errors++ == 0 && dd->what != NULL) {
            kpsa_err("%s", dd->what);
        }
        kpsa_err("[emerg] %s", msg);
    }
}

int
kpsa_read_full(int fd, const char *path, void *buf, size_t size,
    size_t *lenp)
{
    unsigned char  *p = buf;
    size_t          len = 0;
    ssize_t         n;
    int             rc = 0;

    while (len < size) {
        n = read(fd, p + len, size - len);

        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }

        if (n < 0) {
            kpsa_err("%s: cannot read (%s)", path, strerror(errno));
            rc = -1;
            break;
        }

        if (n == 0) {
            break;
        }

        len += n;
    }

    *lenp = len;
    return rc;
}

int
kpsa_read_fd(int fd, const char *path, unsigned char **bufp, size_t *lenp)
{
    int             rc;
    unsigned char  *buf = NULL, *nbuf;
    size_t          len = 0, cap = 0, got;

    for ( ;; ) {
        if (len == cap) {
            if (cap >= READ_MAX) {
                kpsa_err("%s: larger than 2 GiB", path);
                goto failed;
            }

            cap = cap ? 2 * cap : 65536;
            nbuf = OPENSSL_malloc(cap + 1);
            if (nbuf == NULL) {
                kpsa_err("%s: out of memory", path);
                goto failed;
            }
            if (buf != NULL) {
                memcpy(nbuf, buf, len);
                OPENSSL_clear_free(buf, len);
            }
            buf = nbuf;
        }

        rc = kpsa_read_full(fd, path, buf + len, cap - len, &got);
        len += got;

        if (rc != 0) {
            goto failed;
        }

        if (len < cap) {
            break;                      /* end of file */
        }
    }

    buf[len] = '\0';
    *bufp = buf;
    *lenp = len;
    return 0;

failed:

    OPENSSL_clear_free(buf, len);
    return -1;
}

/* the first three blank-separated columns of each line, up to a '#' */
static int
index_lines(kpsa_doc *d)
{
    const unsigned char  *p, *end, *nl, *s, *e;
    size_t                cap = 0, nf, fo[3], fl[3];
    kpsa_line            *l;

    for (p = d->buf, end = d->buf + d->len; p < end; p = nl + 1) {
        nl = memchr(p, '\n', end - p);
        if (nl == NULL) {
            nl = end;
        }

        if (d->nlines == cap) {
            cap = cap ? 2 * cap : 256;
            l = realloc(d->lines, cap * sizeof(*l));
            if (l == NULL) {
                kpsa_err("%s: out of memory", d->path);
                return -1;
            }
            d->lines = l;
        }

        l = &d->lines[d->nlines++];
        memset(l, 0, sizeof(*l));
        l->off = p - d->buf;
        l->len = nl - p;

        e = nl;
        if (e > p && e[-1] == '\r') {
            e--;
        }

        for (s = p, nf = 0; nf < 3; nf++) {
            while (s < e && (*s == ' ' || *s == '\t')) {
                s++;
            }
            if (s == e || *s == '#') {
                break;
            }
            fo[nf] = s - d->buf;
            while (s < e && *s != ' ' && *s != '\t') {
                s++;
            }
            fl[nf] = (s - d->buf) - fo[nf];
        }

        if (nf == 3) {
            l->cred = 1;
            l->ent_off = fo[0];
            l->ent_len = fl[0];
            l->id_off = fo[2];
            l->id_len = fl[2];
        }

    }

    return 0;
}

/* the line view must name the parser's entries, in the parser's order */
static int
cross_check(kpsa_doc *d)
{
    const ONEM2M_SAE_ENTRY  *e;
    size_t                   i, k = 0;
    kpsa_line               *l;

    for (i = 0; i < d->nlines; i++) {
        l = &d->lines[i];
        if (!l->cred) {
            continue;
        }

        e = onem2m_table_entry(d->table, k++);

        if (e == NULL || e->kpsa_id_len != l->id_len
            || memcmp(e->kpsa_id, d->buf + l->id_off, l->id_len) != 0
            || e->entity_len != l->ent_len
            || memcmp(e->entity, d->buf + l->ent_off, l->ent_len) != 0)
        {
            kpsa_err("%s:%zu: the tool's reading of this line differs "
                     "from the provider's; nothing changed", d->path, i + 1);
            return -1;
        }
    }

    if (k != onem2m_table_count(d->table)) {
        kpsa_err("%s: the tool sees %zu credentials, the provider %zu; "
                 "nothing changed", d->path, k,
                 onem2m_table_count(d->table));
        return -1;
    }

    return 0;
}

/* for a change: the table where a symlink points, locked; its fd */
static int
doc_open_locked(kpsa_doc *d, const char *path, int flags)
{
    /*
     * A symlinked table (/etc/nginx/onem2m/kpsa.table -> ...) is written where
     * it points: a rename over the link would replace it.
     */
    d->target = realpath(path, NULL);
    if (d->target == NULL && errno != ENOENT) {
        kpsa_err("%s: cannot resolve (%s)", path, strerror(errno));
        return -1;
    }
    if (d->target == NULL && (d->target = strdup(path)) == NULL) {
        kpsa_err("out of memory");
        return -1;
    }

    if (kpsa_lock_open(d->target, flags & KPSA_DOC_CREATE, &d->fd, &d->st,
                       &d->created) != 0)
    {
        return -1;
    }

    kpsa_remove_stale_temps(d->target);

    return d->fd;
}

/* for reading only: a regular file; its fd, the caller closes it */
static int
doc_open_read(kpsa_doc *d, const char *path)
{
    int  fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd == -1 || fstat(fd, &d->st) == -1) {
        kpsa_err("%s: cannot open (%s)", path, strerror(errno));
        if (fd != -1) {
            close(fd);
        }
        return -1;
    }

    if (!S_ISREG(d->st.st_mode)) {
        kpsa_err("%s: not a regular file", path);
        close(fd);
        return -1;
    }

    return fd;
}

int
kpsa_doc_open(kpsa_doc *d, const char *path, int flags)
{
    doc_diag  dd;
    int       fd, rc;

    memset(d, 0, sizeof(*d));
    d->path = path;
    d->fd = -1;
    d->new_fd = -1;

    fd = (flags & KPSA_DOC_LOCK) ? doc_open_locked(d, path, flags)
                                 : doc_open_read(d, path);

    if (fd == -1) {
        return -1;
    }

    d->exists = !d->created;

    rc = kpsa_read_fd(fd, path, &d->buf, &d->len);

    /* a locked table's fd stays open (d->fd) until kpsa_doc_close() */
    if (!(flags & KPSA_DOC_LOCK)) {
        close(fd);
    }

    if (rc != 0) {
        return -1;
    }

    dd.what = "the table does not load; fix these lines first (see "
              KPSA_PROG " check), nothing changed:";
    dd.errors = 0;

    d->table = onem2m_table_parse(path, d->buf, d->len, doc_diag_cb, &dd);

    if (d->table == NULL) {
        if (dd.errors == 0) {
            kpsa_err("%s: cannot parse (out of memory)", path);
        }
        return -1;
    }

    if (index_lines(d) != 0 || cross_check(d) != 0) {
        return -1;
    }

    return 0;
}

void
kpsa_doc_close(kpsa_doc *d)
{
    /* a table created by a run that wrote nothing goes again */
    if (d->created && d->new_fd == -1 && d->fd != -1) {
        unlink(d->target);
    }

    onem2m_table_free(d->table);
    OPENSSL_clear_free(d->buf, d->len);
    OPENSSL_clear_free(d->add, d->add_cap);
    free(d->lines);
    free(d->target);

    if (d->new_fd != -1) {
        close(d->new_fd);
    }

    if (d->fd != -1) {
        close(d->fd);                   /* and its lock */
    }

    memset(d, 0, sizeof(*d));
    d->fd = d->new_fd = -1;
}

long
kpsa_doc_find_id(const kpsa_doc *d, const char *id, size_t len)
{
    size_t  i;

    if (onem2m_table_lookup(d->table, id, len) == NULL) {
        return -1;
    }

    for (i = 0; i < d->nlines; i++) {
        const kpsa_line  *l = &d->lines[i];

        if (l->cred && l->id_len == len
            && memcmp(d->buf + l->id_off, id, len) == 0)
        {
            return (long) i;
        }
    }

    return -1;
}

const char *
kpsa_doc_fqdn_of_last(const kpsa_doc *d, const char *entity, size_t *len)
{
    const kpsa_line  *l, *any = NULL;
    const char       *id, *at;
    size_t            i, elen = entity ? strlen(entity) : 0;

    for (i = d->nlines; i-- > 0; ) {
        l = &d->lines[i];
        if (!l->cred || l->drop) {
            continue;
        }
        if (any == NULL) {
            any = l;
        }
        if (entity == NULL || (l->ent_len == elen
                               && memcmp(d->buf + l->ent_off, entity, elen)
                                  == 0))
        {
            any = l;
            break;
        }
    }

    if (any == NULL) {
        return NULL;
    }

    id = (const char *) d->buf + any->id_off;
    at = memchr(id, '@', any->id_len);

    if (at == NULL) {
        return NULL;
    }

    *len = any->id_len - (at + 1 - id);
    return at + 1;
}

int
kpsa_doc_append(kpsa_doc *d, const char *entity, const unsigned char *key,
    size_t key_len, const char *id)
{
    size_t          need, elen = strlen(entity), ilen = strlen(id);
    unsigned char  *n;

    need = elen + 2 + 2 * key_len + 2 + ilen + 1;

    if (d->add_len + need + 1 > d->add_cap) {
        size_t  cap = d->add_cap ? 2 * d->add_cap : 4096;

        while (cap < d->add_len + need + 1) {
            cap *= 2;
        }

        n = OPENSSL_malloc(cap);
        if (n == NULL) {
            kpsa_err("out of memory");
            return -1;
        }

        if (d->add != NULL) {
            memcpy(n, d->add, d->add_len);
            OPENSSL_clear_free(d->add, d->add_cap);
        }

        d->add = n;
        d->add_cap = cap;
    }

    n = d->add + d->add_len;
    memcpy(n, entity, elen);
    memcpy(n + elen, "  ", 2);
    onem2m_text_hex_encode(key, key_len, (char *) n + elen + 2);
    n += elen + 2 + 2 * key_len;
    memcpy(n, "  ", 2);
    memcpy(n + 2, id, ilen);
    n[2 + ilen] = '\n';

    d->add_len += need;
    d->nadded++;

    return 0;
}

/* the table as it will be: kept lines, then the added ones */
static unsigned char *
render(kpsa_doc *d, size_t *lenp)
{
    unsigned char  *out, *p;
    size_t          i, kept = 0;
    kpsa_line      *l;

    out = OPENSSL_malloc(d->len + d->add_len + 2);
    if (out == NULL) {
        kpsa_err("out of memory");
        return NULL;
    }

    p = out;

    for (i = 0; i < d->nlines; i++) {
        l = &d->lines[i];
        if (l->drop) {
            continue;
        }

        memcpy(p, d->buf + l->off, l->len);
        p += l->len;
        kept++;

        /* every line but an unterminated last one had its '\n' */
        if (l->off + l->len < d->len) {
            *p++ = '\n';
        } else if (d->add_len > 0) {
            *p++ = '\n';
        }
    }

    d->first_added = kept + 1;

    if (d->add_len > 0) {
        memcpy(p, d->add, d->add_len);
        p += d->add_len;
    }

    *lenp = p - out;
    return out;
}

int
kpsa_doc_commit(kpsa_doc *d)
{
    ONEM2M_SAE_TABLE  *t;
    unsigned char     *out;
    size_t             len;
    doc_diag           dd;
    int                rc;

    out = render(d, &len);
    if (out == NULL) {
        return -1;
    }

    /* the result must load, exactly as the provider will parse it */
    dd.what = "the result would not load; nothing written:";
    dd.errors = 0;

    t = onem2m_table_parse(d->path, out, len, doc_diag_cb, &dd);

    if (t == NULL) {
        if (dd.errors == 0) {
            kpsa_err("%s: cannot parse the result (out of memory); nothing "
                     "written", d->path);
        }
        OPENSSL_clear_free(out, len);
        return -1;
    }

    onem2m_table_free(t);

    rc = kpsa_write_atomic(d->target, out, len, &d->st, &d->new_fd);

    OPENSSL_clear_free(out, len);
    return rc;
}

int
kpsa_doc_restore(kpsa_doc *d)
{
    int  fd = -1;

    if (d->created) {
        if (unlink(d->target) != 0) {
            kpsa_err("%s: cannot remove (%s)", d->path, strerror(errno));
            return -1;
        }
        return 0;
    }

    if (kpsa_write_atomic(d->target, d->buf, d->len, &d->st, &fd) != 0) {
        return -1;
    }

    /* the restored file stays locked until the run ends */
    if (d->new_fd != -1) {
        close(d->new_fd);
    }
    d->new_fd = fd;
    return 0;
}
