/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Opening a table by URI: onem2m_table_open() picks the backend by the
 * URI's scheme; the text file (below) reads "kpsa:<path>", "kpsa://<abs
 * path>" or a plain path after checking what kind of file it is and who
 * may change it, and shares a parsed copy through table_cache.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/onem2m_text.h"
#include "common/onem2m_uri.h"
#include "table_int.h"

#define TABLE_MAX_FILE_SIZE   ((off_t) 1 << 31)
/* the digest's first bytes, in hex, in the messages */
#define DIGEST_SHOWN          8

/* one open of a text file */
typedef struct {
    const char            *path;
    char                  *canonical;       /* realpath(), free() */
    int                    fd;
    struct stat            st;
    struct timespec        read_at;         /* CLOCK_REALTIME, before */
    unsigned char         *buf;             /* the bytes: keys in hex */
    unsigned char          digest[TABLE_DIGEST_LEN];
    int                    cacheable;       /* digest computed */
    char                   hex[2 * DIGEST_SHOWN + 1];
} TABLE_FILE;

/* the rule is common/onem2m_uri.c's; a kpsa-lmdb: URI is no text table */
const char *
onem2m_table_uri_path(const char *uri)
{
    const char  *path;
    int          scheme;

    path = onem2m_uri_path(uri, &scheme);

    return scheme != ONEM2M_URI_LMDB ? path : NULL;
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
        onem2m_table_report(r, ONEM2M_SAE_DIAG_WARNING, 0,
               "in the world-writable directory %s (mode %04o): anyone could "
               "replace the keys, move the table to a directory only root "
               "can write", dir, (unsigned) (st.st_mode & 07777));
    }
}

/* each its own warning: a 0666 table is both */
static void
file_mode_warnings(TABLE_REPORT *r, const struct stat *st)
{
    if (st->st_mode & (S_IRGRP | S_IROTH)) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_WARNING, 0,
               "keys readable by group or others (mode %04o, use 0600)",
               (unsigned) (st->st_mode & 07777));
    }

    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_WARNING, 0,
               "keys writable by group or others, who could replace them "
               "(mode %04o, use 0600)", (unsigned) (st->st_mode & 07777));
    }
}

/* opens f->path, checks what it is and who may change it: 0 or -1 */
static int
file_check(TABLE_FILE *f, TABLE_REPORT *r)
{
    /* O_NONBLOCK: a FIFO put there must not hang the server */
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (f->fd == -1) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot open (%s)",
                            strerror(errno));
        return -1;
    }

    if (fstat(f->fd, &f->st) == -1) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot stat (%s)",
                            strerror(errno));
        return -1;
    }

    if (!S_ISREG(f->st.st_mode)) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0,
                            "not a regular file");
        return -1;
    }

    if (f->st.st_size > TABLE_MAX_FILE_SIZE) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "larger than 2 GiB");
        return -1;
    }

    file_mode_warnings(r, &f->st);

    f->canonical = realpath(f->path, NULL);

    if (f->canonical == NULL) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0,
                            "cannot resolve path (%s)", strerror(errno));
        return -1;
    }

    world_writable_dir(r, f->canonical);

    return 0;
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

/*
 * Reads the file whole and takes its SHA-256, the cache key.  Without a
 * SHA-256 (a library context without the default provider) the table is
 * parsed anew on every open and never shared, which is safe.
 */
static int
file_read(TABLE_FILE *f, TABLE_REPORT *r)
{
    ssize_t  n;
    size_t   dlen = 0;

    /* before reading: a write after this sets a later ctime */
    if (clock_gettime(CLOCK_REALTIME, &f->read_at) != 0) {
        f->read_at.tv_sec = 0;
        f->read_at.tv_nsec = 0;
    }

    f->buf = OPENSSL_malloc(f->st.st_size + 1);

    if (f->buf == NULL) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "out of memory");
        return -1;
    }

    n = read_all(f->fd, f->buf, f->st.st_size);

    if (n != f->st.st_size) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "cannot read (%s)",
                            n < 0 ? strerror(errno)
                                  : "file changed while reading");
        return -1;
    }

    close(f->fd);
    f->fd = -1;

    f->cacheable = EVP_Q_digest(NULL, "SHA256", NULL, f->buf, f->st.st_size,
                                f->digest, &dlen)
                   && dlen == TABLE_DIGEST_LEN;
    onem2m_text_hex_encode(f->digest, f->cacheable ? DIGEST_SHOWN : 0,
                           f->hex);

    return 0;
}

static void
file_close(TABLE_FILE *f)
{
    if (f->fd != -1) {
        close(f->fd);
    }

    free(f->canonical);

    /* the buffer held every key in hex (a short read, part of them) */
    if (f->buf != NULL) {
        OPENSSL_clear_free(f->buf, f->st.st_size);
    }
}

/* a parsed copy from the cache: says so and repeats its line warnings */
static ONEM2M_SAE_TABLE *
file_reused(TABLE_FILE *f, TABLE_REPORT *r, ONEM2M_SAE_TABLE *t,
    const char *how)
{
    onem2m_table_report(r, ONEM2M_SAE_DIAG_NOTICE, 0,
                        "unchanged (SHA-256 %s...%s), parsed copy reused",
                        f->hex, how);
    onem2m_table_replay_warnings(t, r);

    return t;
}

/* parses the bytes read and caches the result when it can */
static ONEM2M_SAE_TABLE *
file_parse(TABLE_FILE *f, TABLE_REPORT *r)
{
    ONEM2M_SAE_TABLE  *t;

    t = onem2m_table_parse(f->path, f->buf, f->st.st_size, r->diag,
                           r->diag_arg);

    /* the buffer held every key in hex: gone as soon as it is parsed */
    OPENSSL_clear_free(f->buf, f->st.st_size);
    f->buf = NULL;

    if (t == NULL) {
        return NULL;
    }

    t->canonical_path = OPENSSL_strdup(f->canonical);

    if (t->canonical_path == NULL) {
        onem2m_table_destroy(t);
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "out of memory");
        return NULL;
    }

    onem2m_table_report(r, ONEM2M_SAE_DIAG_NOTICE, 0, "read (SHA-256 %s...)",
                        f->cacheable ? f->hex : "unavailable, not shared");

    if (!f->cacheable) {
        return t;
    }

    memcpy(t->digest, f->digest, TABLE_DIGEST_LEN);

    return onem2m_table_cache_add(t, &f->st, &f->read_at);
}

/* the text file backend: a path, "kpsa:<path>" or "kpsa://<abs path>" */
static ONEM2M_SAE_TABLE *
table_open_file(const char *uri, TABLE_REPORT *r)
{
    TABLE_FILE         f;
    ONEM2M_SAE_TABLE  *t;

    memset(&f, 0, sizeof(f));
    f.fd = -1;
    f.path = onem2m_table_uri_path(uri);

    if (f.path == NULL) {
        r->path = uri != NULL ? uri : "(null)";
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0, "not a \""
                            ONEM2M_SAE_URI_SCHEME ":<path>\" URI or a path");
        return NULL;
    }

    r->path = f.path;

    if (!onem2m_table_cache_ready()) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, 0,
                            "cannot create a lock");
        return NULL;
    }

    t = NULL;

    if (file_check(&f, r) == 0) {
        t = onem2m_table_cache_get(f.canonical, NULL, &f.st, NULL);

        if (t != NULL) {
            onem2m_text_hex_encode(t->digest, DIGEST_SHOWN, f.hex);
            t = file_reused(&f, r, t, " when read, inode, size, mtime and "
                                      "ctime the same since");

        } else if (file_read(&f, r) == 0) {
            t = f.cacheable ? onem2m_table_cache_get(f.canonical, f.digest,
                                                     &f.st, &f.read_at)
                            : NULL;
            t = t != NULL ? file_reused(&f, r, t, "") : file_parse(&f, r);
        }
    }

    file_close(&f);
    return t;
}

/*
 * Opens the text table at uri, sharing the parsed copy of an unchanged
 * file.  onem2m_table_open_any() (table_any.c) routes kpsa-lmdb: URIs to
 * the LMDB backend before they reach here.
 */
ONEM2M_SAE_TABLE *
onem2m_table_open(const char *uri, ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    TABLE_REPORT  r;

    memset(&r, 0, sizeof(r));
    r.diag = diag;
    r.diag_arg = diag_arg;

    return table_open_file(uri, &r);
}
