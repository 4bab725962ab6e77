/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loading the key-encryption key: a root-only file of 32 raw bytes or 64
 * hex digits (and an optional newline).  The file is checked on the open
 * descriptor (no race between the check and the read) and everything read
 * is cleansed.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "kpsa_store.h"

/* the longest accepted file: 64 hex digits and a CRLF */
#define KEK_FILE_MAX  (2 * KPSA_KEK_LEN + 2)

static int
kek_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
kek_decode(const unsigned char *buf, size_t n, unsigned char *kek)
{
    size_t  i;
    int     hi, lo;

    if (n == KPSA_KEK_LEN) {
        memcpy(kek, buf, KPSA_KEK_LEN);
        return 1;
    }

    if (n > 2 * KPSA_KEK_LEN && buf[n - 1] == '\n') {
        n--;
        if (n > 2 * KPSA_KEK_LEN && buf[n - 1] == '\r') {
            n--;
        }
    }

    if (n != 2 * KPSA_KEK_LEN) {
        return 0;
    }

    for (i = 0; i < KPSA_KEK_LEN; i++) {
        hi = kek_hex(buf[2 * i]);
        lo = kek_hex(buf[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(kek, KPSA_KEK_LEN);
            return 0;
        }

        kek[i] = (unsigned char) (hi << 4 | lo);
    }

    return 1;
}

static int
kek_check_file(int fd, char *err, size_t errlen, const char *path)
{
    struct stat  st;

    if (fstat(fd, &st) == -1) {
        snprintf(err, errlen, "%s: cannot stat the KEK file (%s)", path,
                 strerror(errno));
        return 0;
    }

    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: the KEK file is not a regular file", path);
        return 0;
    }

    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s: the KEK file is owned by uid %u, not by "
                 "root", path, (unsigned) st.st_uid);
        return 0;
    }

    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "%s: the KEK file is accessible by group or "
                 "others (mode %04o, use 0600 or 0400)", path,
                 (unsigned) (st.st_mode & 07777));
        return 0;
    }

    return 1;
}

int
kpsa_kek_load(const char *path, unsigned char kek[KPSA_KEK_LEN], char *err,
    size_t errlen)
{
    unsigned char  buf[KEK_FILE_MAX + 1];
    ssize_t        r = 0;
    size_t         n = 0;
    int            fd, ok = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd == -1) {
        snprintf(err, errlen, "%s: cannot open the KEK file (%s)", path,
                 strerror(errno));
        return 0;
    }

    if (!kek_check_file(fd, err, errlen, path)) {
        close(fd);
        return 0;
    }

    while (n < sizeof(buf)) {
        r = read(fd, buf + n, sizeof(buf) - n);

        if (r == -1 && errno == EINTR) {
            continue;
        }

        if (r <= 0) {
            break;
        }

        n += (size_t) r;
    }

    close(fd);

    if (r < 0) {
        snprintf(err, errlen, "%s: cannot read the KEK file (%s)", path,
                 strerror(errno));

    } else if (n > KEK_FILE_MAX || !kek_decode(buf, n, kek)) {
        snprintf(err, errlen, "%s: the KEK file holds neither 32 raw bytes "
                 "nor 64 hex digits", path);

    } else {
        ok = 1;
    }

    OPENSSL_cleanse(buf, sizeof(buf));

    return ok;
}
