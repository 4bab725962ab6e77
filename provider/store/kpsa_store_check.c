/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A damaged or replaced data.mdb, before and while it is mapped.
 *
 * LMDB maps data.mdb and trusts it: a file shorter than its meta pages
 * say (a truncated copy, a partial restore) makes the first touch of a
 * missing page raise SIGBUS, and random bytes over pages can send a
 * B-tree descent anywhere.  So:
 *
 *   - before a store is used, its meta pages are read with pread() and
 *     the file must hold every page up to the last one they name
 *     (kpsa_store_file_check(), at open and at every kpsa_store_verify());
 *   - every read runs under a guard: a SIGBUS, SIGSEGV or SIGFPE (liblmdb
 *     divides by sizes it read from the file) raised while this
 *     thread is inside a store read jumps back to the reader, which marks
 *     the store damaged and fails closed (-1) instead of killing the
 *     process.  A fault outside a guarded read goes to the handler that
 *     was installed before ours (by default: the process dies as always).
 *
 * kpsa_store_verify() also tells whether the directory now holds another
 * data.mdb (dev/inode) than the one mapped: a store replaced on disk.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kpsa_store_int.h"

/* LMDB's meta page: page header (16), magic, version, address, map size,
 * then the free DB whose md_pad is the page size */
#define LMDB_MAGIC           0xBEEFC0DEu
#define LMDB_META_MAGIC_OFF  16
#define LMDB_META_PSIZE_OFF  40

static __thread sigjmp_buf  *guard_jmp;
static __thread int          guard_sig;
static struct sigaction      guard_old_bus, guard_old_segv, guard_old_fpe;
static pthread_once_t        guard_once = PTHREAD_ONCE_INIT;

static void
guard_handler(int sig, siginfo_t *si, void *uc)
{
    sigjmp_buf  *jb = guard_jmp;

    /* a fault of this thread (si_code > 0: the kernel's), not a kill() */
    if (jb != NULL && si->si_code > 0) {
        guard_jmp = NULL;
        guard_sig = sig;
        siglongjmp(*jb, sig);
    }

    /* not a store read: the previous disposition, and the fault again */
    sigaction(sig, sig == SIGBUS ? &guard_old_bus
                   : sig == SIGFPE ? &guard_old_fpe : &guard_old_segv, NULL);
}

static void
guard_install(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = guard_handler;
    /* no mask to restore after the jump: sigsetjmp(jb, 0) stays cheap */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);

    sigaction(SIGBUS, &sa, &guard_old_bus);
    sigaction(SIGSEGV, &sa, &guard_old_segv);
    /* liblmdb divides by sizes it read from the file */
    sigaction(SIGFPE, &sa, &guard_old_fpe);
}

/*
 * liblmdb checks some of what it reads with assertions that abort(): one
 * failing inside a guarded read is a damaged store too (mdb_env_set_assert)
 */
void
kpsa_guard_assert(MDB_env *env, const char *msg)
{
    sigjmp_buf  *jb = guard_jmp;

    if (jb != NULL) {
        guard_jmp = NULL;
        guard_sig = SIGABRT;
        siglongjmp(*jb, SIGABRT);
    }
}

void
kpsa_guard_init(void)
{
    pthread_once(&guard_once, guard_install);
}

void
kpsa_guard_enter(sigjmp_buf *jb)
{
    guard_jmp = jb;
}

void
kpsa_guard_leave(void)
{
    guard_jmp = NULL;
}

void
kpsa_store_fault(kpsa_store *s)
{
    int  sig = guard_sig;

    s->damaged = 1;
    kpsa_store_set_error(s, "data.mdb: %s while reading the store: the file "
                         "changed under the map (truncated or overwritten?), "
                         "damaged store", sig == SIGBUS ? "SIGBUS"
                                          : sig == SIGFPE ? "SIGFPE"
                                          : sig == SIGABRT ? "an LMDB assertion"
                                          : "SIGSEGV");
}

/* "<dir>/data.mdb: <why>: damaged store ..." into s->err; always 0 */
static int
check_fail(kpsa_store *s, const char *dir, const char *why)
{
    s->damaged = 1;
    kpsa_store_set_error(s, "%s/data.mdb: %s: damaged store (an interrupted "
                         "copy or restore?), restore it or rebuild it", dir,
                         why);

    return 0;
}

int
kpsa_store_file_check(kpsa_store *s, const char *dir, int fd)
{
    unsigned char  meta[LMDB_META_PSIZE_OFF + 4];
    char           why[160];
    int            rc;
    uint32_t       magic, psize;
    sigjmp_buf     jb;
    struct stat    st;
    MDB_envinfo    info;
    ssize_t        n;
    long long      need;

    if (fstat(fd, &st) == -1) {
        kpsa_store_set_error(s, "%s/data.mdb: cannot stat (%s)", dir,
                             strerror(errno));
        return 0;
    }

    n = pread(fd, meta, sizeof(meta), 0);

    if (n != (ssize_t) sizeof(meta)) {
        snprintf(why, sizeof(why), "%lld bytes, shorter than LMDB's meta "
                 "pages", (long long) st.st_size);
        return check_fail(s, dir, why);
    }

    memcpy(&magic, meta + LMDB_META_MAGIC_OFF, 4);
    memcpy(&psize, meta + LMDB_META_PSIZE_OFF, 4);

    if (magic != LMDB_MAGIC || psize < 512 || psize > 65536
        || (psize & (psize - 1)) != 0)
    {
        snprintf(why, sizeof(why), "not an LMDB data file (magic %08x, "
                 "page size %u)", magic, psize);
        return check_fail(s, dir, why);
    }

    if (st.st_size < 2 * (long long) psize) {
        snprintf(why, sizeof(why), "%lld bytes, shorter than its two meta "
                 "pages (%lld bytes)", (long long) st.st_size,
                 2 * (long long) psize);
        return check_fail(s, dir, why);
    }

    s->psize = psize;

    if (s->env == NULL) {
        return 1;                       /* not mapped yet: the header only */
    }

    /* the mapped meta pages exist (unless cut since fstat: guarded) */
    if (sigsetjmp(jb, 0) != 0) {
        kpsa_store_fault(s);
        return 0;
    }

    kpsa_guard_enter(&jb);
    rc = mdb_env_info(s->env, &info);
    kpsa_guard_leave();

    if (rc != 0) {
        return check_fail(s, dir, "unreadable meta pages");
    }

    /* a forged last page number must not overflow the product */
    if ((unsigned long long) info.me_last_pgno
        >= (unsigned long long) st.st_size / psize)
    {
        if ((unsigned long long) info.me_last_pgno < (1ULL << 40)) {
            need = ((long long) info.me_last_pgno + 1) * psize;
            snprintf(why, sizeof(why), "%lld bytes, shorter than the %lld "
                     "bytes its meta pages name", (long long) st.st_size,
                     need);
        } else {
            snprintf(why, sizeof(why), "%lld bytes, its meta pages name "
                     "page %llu", (long long) st.st_size,
                     (unsigned long long) info.me_last_pgno);
        }

        return check_fail(s, dir, why);
    }

    s->dev = st.st_dev;
    s->ino = st.st_ino;

    return 1;
}

int
kpsa_store_verify(kpsa_store *s, const char *dir)
{
    char         path[4096];
    struct stat  st;
    int          fd;

    if (s->damaged) {
        return KPSA_STORE_DAMAGED;
    }

    snprintf(path, sizeof(path), "%s/data.mdb", dir);

    if (stat(path, &st) == -1) {
        kpsa_store_set_error(s, "%s: %s", path, strerror(errno));
        return KPSA_STORE_GONE;
    }

    if (st.st_dev != s->dev || st.st_ino != s->ino) {
        kpsa_store_set_error(s, "%s: another store was put in place (data.mdb "
                             "inode %llu, was %llu)", dir,
                             (unsigned long long) st.st_ino,
                             (unsigned long long) s->ino);
        return KPSA_STORE_REPLACED;
    }

    if (mdb_env_get_fd(s->env, &fd) != 0
        || !kpsa_store_file_check(s, dir, fd))
    {
        return KPSA_STORE_DAMAGED;
    }

    return KPSA_STORE_OK;
}

void
kpsa_store_file_id(const kpsa_store *s, unsigned long long *dev,
    unsigned long long *ino)
{
    *dev = (unsigned long long) s->dev;
    *ino = (unsigned long long) s->ino;
}

int
kpsa_store_stale_readers(const kpsa_store *s)
{
    return s->stale_cleared;
}

/* a pre-check of data.mdb before LMDB maps it: 1 ok or absent, 0 damaged */
int
kpsa_store_precheck(kpsa_store *s, const char *dir)
{
    char         path[4096];
    struct stat  st;
    int          fd, ok;

    snprintf(path, sizeof(path), "%s/data.mdb", dir);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return 1;                       /* LMDB says why, or creates it */
    }

    /* a writer makes a store of an empty file (onem2m-sync creates it) */
    if (s->writable && fstat(fd, &st) == 0 && st.st_size == 0) {
        close(fd);
        return 1;
    }

    ok = kpsa_store_file_check(s, dir, fd);
    close(fd);

    return ok;
}
