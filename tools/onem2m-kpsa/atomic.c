/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Locking and atomic replacement of the table file.
 *
 * Lock: flock(LOCK_EX) on the table itself.  A writer replaces the file
 * by rename(), so a waiting writer may wake up holding the lock of an
 * inode that is no longer the table: it compares the path with its open
 * file and starts over when they differ.  The new file is locked before
 * it is renamed into place, so the lock passes from the old inode to the
 * new one without a gap.
 *
 * Write: a temporary file ".<name>.kpsa-XXXXXX" in the table's directory
 * (rename() is atomic within one file system only), mode 0600, the old
 * file's owner and group, fsync, rename, fsync of the directory (the
 * rename itself is durable only then).  A reader sees the old file or the
 * new one, never a mix; a run killed before the rename leaves the old
 * table and a temporary file, which the next writer removes.
 */

#define _GNU_SOURCE             /* mkostemp */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "kpsa.h"

#define TEMP_INFIX    ".kpsa-"

static int
split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
    const char  *slash = strrchr(path, '/');
    size_t       n;

    if (slash == NULL) {
        snprintf(dir, dirlen, ".");
        *base = path;
        return 0;
    }

    n = slash == path ? 1 : (size_t) (slash - path);

    if (n >= dirlen) {
        return -1;
    }

    memcpy(dir, path, n);
    dir[n] = '\0';
    *base = slash + 1;

    return **base != '\0' ? 0 : -1;
}

int
kpsa_lock_open(const char *path, int create, int *fdp, struct stat *st,
    int *created)
{
    struct stat  now;
    int          fd, flags;

    *created = 0;

    for ( ;; ) {
        flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
        fd = open(path, flags);

        if (fd == -1 && errno == ENOENT && create) {
            /* O_EXCL: of two creators, one creates, the other opens */
            fd = open(path, flags | O_CREAT | O_EXCL, 0600);

            if (fd == -1 && errno == EEXIST) {
                continue;
            }

            if (fd != -1) {
                *created = 1;
            }
        }

        if (fd == -1) {
            kpsa_err("%s: cannot open (%s)", path, strerror(errno));
            return -1;
        }

        if (flock(fd, LOCK_EX) == -1) {
            kpsa_err("%s: cannot lock (%s)", path, strerror(errno));
            close(fd);
            return -1;
        }

        if (fstat(fd, st) == -1) {
            kpsa_err("%s: cannot stat (%s)", path, strerror(errno));
            close(fd);
            return -1;
        }

        /* still the table, or replaced while we waited? */
        if (stat(path, &now) == 0 && now.st_dev == st->st_dev
            && now.st_ino == st->st_ino)
        {
            break;
        }

        close(fd);

        if (*created) {
            /* ours was replaced before we even read it: nothing to undo */
            *created = 0;
        }
    }

    if (!S_ISREG(st->st_mode)) {
        kpsa_err("%s: not a regular file", path);
        close(fd);
        return -1;
    }

    *fdp = fd;
    return 0;
}

void
kpsa_test_pause(const char *point)
{
    const char  *want = getenv(KPSA_TEST_PAUSE_ENV);

    if (want == NULL || strcmp(want, point) != 0) {
        return;
    }

    /* the test waits for this line, then kills us */
    fprintf(stderr, KPSA_PROG ": test pause at %s\n", point);
    fflush(stderr);
    sleep(60);
}

static int
write_all(int fd, const unsigned char *buf, size_t len)
{
    size_t   done = 0, half = len / 2;
    ssize_t  n;
    int      paused = 0;

    while (done < len) {
        /* the test hook splits the write: half of it is on disk */
        size_t  chunk = (!paused && done < half) ? half - done : len - done;

        n = write(fd, buf + done, chunk);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return -1;
        }

        done += n;

        if (!paused && done >= half) {
            paused = 1;
            if (getenv(KPSA_TEST_PAUSE_ENV) != NULL) {
                (void) fsync(fd);
                kpsa_test_pause("write");
            }
        }
    }

    return 0;
}

/*
 * A temporary file next to path (dir gets path's directory, tmp the
 * temporary's name, both PATH_MAX bytes): its descriptor, or -1.
 */
static int
temp_create(const char *path, char *dir, char *tmp)
{
    const char  *base;
    int          fd, n;

    if (split_path(path, dir, PATH_MAX, &base) != 0) {
        kpsa_err("%s: not a file name", path);
        return -1;
    }

    n = snprintf(tmp, PATH_MAX, "%s/.%s" TEMP_INFIX "XXXXXX", dir, base);

    if (n < 0 || n >= PATH_MAX) {
        kpsa_err("%s: path too long", path);
        return -1;
    }

    fd = mkostemp(tmp, O_CLOEXEC);

    if (fd == -1) {
        kpsa_err("%s: cannot create a temporary file in %s (%s)", path, dir,
                 strerror(errno));
    }

    return fd;
}

/* mode 0600, the old owner and group, the lock if asked, the bytes */
static int
temp_fill(int fd, const char *tmp, const char *path, const unsigned char *buf,
    size_t len, const struct stat *old, int lock)
{
    if (fchmod(fd, 0600) == -1) {
        kpsa_err("%s: cannot set mode 0600 (%s)", tmp, strerror(errno));
        return -1;
    }

    if (old != NULL && (old->st_uid != geteuid() || old->st_gid != getegid())
        && fchown(fd, old->st_uid, old->st_gid) == -1)
    {
        kpsa_err("%s: cannot keep owner %u and group %u (%s); not changed",
                 path, (unsigned) old->st_uid, (unsigned) old->st_gid,
                 strerror(errno));
        return -1;
    }

    if (lock && flock(fd, LOCK_EX) == -1) {
        kpsa_err("%s: cannot lock (%s)", tmp, strerror(errno));
        return -1;
    }

    if (write_all(fd, buf, len) != 0 || fsync(fd) == -1) {
        kpsa_err("%s: cannot write (%s); not changed", path,
                 strerror(errno));
        return -1;
    }

    return 0;
}

/* the rename made durable: the directory synced */
static void
sync_dir(const char *path, const char *dir)
{
    int  dfd;

    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dfd == -1 || fsync(dfd) == -1) {
        /* the new table is in place; only its durability is in doubt */
        kpsa_err("%s: written, but cannot sync directory %s (%s)", path, dir,
                 strerror(errno));
    }

    if (dfd != -1) {
        close(dfd);
    }
}

int
kpsa_write_atomic(const char *path, const unsigned char *buf, size_t len,
    const struct stat *old, int *locked_fd)
{
    char  dir[PATH_MAX], tmp[PATH_MAX];
    int   fd;

    fd = temp_create(path, dir, tmp);

    if (fd == -1) {
        return -1;
    }

    if (temp_fill(fd, tmp, path, buf, len, old, locked_fd != NULL) != 0) {
        goto failed;
    }

    kpsa_test_pause("rename");

    if (rename(tmp, path) == -1) {
        kpsa_err("%s: cannot rename %s over it (%s); not changed", path, tmp,
                 strerror(errno));
        goto failed;
    }

    sync_dir(path, dir);

    kpsa_test_pause("renamed");

    if (locked_fd != NULL) {
        *locked_fd = fd;
    } else {
        close(fd);
    }

    return 0;

failed:

    close(fd);
    unlink(tmp);
    return -1;
}

void
kpsa_remove_stale_temps(const char *path)
{
    char            dir[PATH_MAX], prefix[NAME_MAX + 16];
    char            file[PATH_MAX + NAME_MAX + 2];
    const char     *base;
    size_t          plen;
    DIR            *dp;
    struct dirent  *de;

    if (split_path(path, dir, sizeof(dir), &base) != 0) {
        return;
    }

    snprintf(prefix, sizeof(prefix), ".%s" TEMP_INFIX, base);
    plen = strlen(prefix);

    dp = opendir(dir);
    if (dp == NULL) {
        return;
    }

    while ((de = readdir(dp)) != NULL) {
        if (strncmp(de->d_name, prefix, plen) == 0
            && strlen(de->d_name) == plen + 6)
        {
            snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);

            if (unlink(file) == 0) {
                kpsa_err("%s: removed %s, left by an interrupted run", path,
                         file);
            }
        }
    }

    closedir(dp);
}
