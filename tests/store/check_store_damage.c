/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A store on disk as an adversary or a broken operator leaves it: data.mdb
 * truncated with its meta pages intact, emptied, overwritten with random
 * bytes, cut under a live map (the SIGBUS a reader must survive), replaced
 * by another directory renamed into place; reader slots left by processes
 * that exited; and key pages kept out of core dumps.  Through the store
 * library and the public table API, on real LMDB files.  The damaged
 * files these tests make are also the seeds of tools/fuzz/fuzz_store.c
 * (STORE_DAMAGE_SEEDS=<dir> writes them there).
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <onem2m_sae.h>

#include "check_cases.h"
#include "provider/table_util.h"
#include "store_util.h"

#define ID1   "lock1@gw.example.net"
#define ID2   "lock2@gw.example.net"
#define AE1   "CAE-lock-1"
#define AE2   "CAE-lock-2"
#define KEY1  "00112233445566778899aabbccddeeff"
#define KEY2  "ffeeddccbbaa99887766554433221100"

static kpsa_store  *writer;
static pid_t        live;                /* a reader that stays, as nginx's */

static void
setup(void)
{
    su_setup();
    writer = su_store_new(su_path("s"), su_kek);
    su_put(writer, su_kek, ID1, AE1, KEY1, 1);
    su_put(writer, su_kek, ID2, AE2, KEY2, 2);
    kpsa_store_close(writer);
    writer = NULL;
}

static void
teardown(void)
{
    kpsa_store_close(writer);
    writer = NULL;
    if (live > 0) {
        kill(live, SIGKILL);
        waitpid(live, NULL, 0);
        live = 0;
    }
    su_teardown();
}

static const char *
data_mdb(const char *store)
{
    return su_path(store[0] == 's' && store[1] == '\0' ? "s/data.mdb"
                                                       : store);
}

static off_t
file_size(const char *path)
{
    struct stat  st;

    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* bytes from a fixed generator over [from, to) of the file, size kept */
static void
scribble(const char *path, off_t from, off_t to, unsigned seed)
{
    unsigned char  buf[4096];
    off_t          off;
    size_t         i, n;
    int            fd;

    fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);

    for (off = from; off < to; off += (off_t) n) {
        n = (size_t) (to - off) < sizeof(buf) ? (size_t) (to - off)
                                              : sizeof(buf);
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (unsigned char) (seed >> 16);
        }
        ck_assert_int_eq(pwrite(fd, buf, n, off), (ssize_t) n);
    }

    close(fd);
}

/* with STORE_DAMAGE_SEEDS set, the damaged data.mdb is kept as a seed */
static void
keep_seed(const char *name)
{
    const char  *dir = getenv("STORE_DAMAGE_SEEDS");
    char         cmd[2048];

    if (dir != NULL) {
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%s'", data_mdb("s"), dir,
                 name);
        ck_assert_int_eq(system(cmd), 0);
    }
}

static void
assert_refused_by(const char *needle, int writer_too)
{
    char  err[512] = "";

    ck_assert_ptr_null(kpsa_store_open(su_path("s"), 0, err, sizeof(err)));
    ck_assert_msg(strstr(err, needle) != NULL, "expected \"%s\" in \"%s\"",
                  needle, err);

    if (!writer_too) {
        return;
    }

    /* a writer too: it would otherwise write over the pieces */
    ck_assert_ptr_null(kpsa_store_open(su_path("s"), 1, err, sizeof(err)));
    ck_assert_msg(strstr(err, needle) != NULL, "writer: \"%s\"", err);
}

#define assert_refused(needle)  assert_refused_by((needle), 1)

/* the meta pages remain, the rest is cut: refused before any page is read */
START_TEST(test_truncated_store_refused)
{
    off_t  size = file_size(data_mdb("s"));
    char   want[200];

    ck_assert_int_gt(size, 8192);
    keep_seed("whole-store");
    ck_assert_int_eq(truncate(data_mdb("s"), 8192), 0);
    keep_seed("truncated-8192");
    snprintf(want, sizeof(want), "data.mdb: 8192 bytes, shorter than the "
             "%lld bytes its meta pages name: damaged store", (long long) size);
    assert_refused(want);
}
END_TEST

START_TEST(test_empty_store_refused)
{
    ck_assert_int_eq(truncate(data_mdb("s"), 100), 0);
    assert_refused("data.mdb: 100 bytes, shorter than its two meta pages "
                   "(8192 bytes)");
    ck_assert_int_eq(truncate(data_mdb("s"), 0), 0);
    keep_seed("empty");
    /* a writer makes a new store of an empty file, as LMDB always did */
    assert_refused_by("data.mdb: 0 bytes, shorter than LMDB's meta pages: "
                      "damaged store", 0);
}
END_TEST

START_TEST(test_foreign_file_refused)
{
    scribble(data_mdb("s"), 0, 64, 7);
    assert_refused("data.mdb: not an LMDB data file");
}
END_TEST

/*
 * Random bytes over every page but the meta pages, seeds 0..N: opening
 * and reading either work or fail, never crash (the test process would).
 */
START_TEST(test_random_pages_never_crash)
{
    kpsa_store      *r;
    kpsa_store_rec   rec;
    off_t            size = file_size(data_mdb("s"));
    char             err[512], name[64];
    unsigned         from = 8192 + (unsigned) _i * 512;

    scribble(data_mdb("s"), from < size ? from : 8192, size,
             (unsigned) _i * 7919u + 1);
    snprintf(name, sizeof(name), "random-pages-%d", _i);
    keep_seed(name);

    r = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    if (r == NULL) {
        ck_assert_str_ne(err, "");
        return;
    }

    (void) kpsa_store_get(r, ID1, strlen(ID1), &rec);
    (void) kpsa_store_get_entity(r, AE2, strlen(AE2), &rec);
    (void) kpsa_store_next(r, NULL, &rec);
    (void) kpsa_store_count(r);
    (void) kpsa_store_get_meta(r, NULL, NULL, NULL, 0);
    kpsa_store_rec_cleanse(&rec);
    kpsa_store_close(r);
}
END_TEST

/*
 * The hard case: data.mdb cut while a reader has it mapped.  The next
 * read touches a page that no longer exists (SIGBUS): it fails closed,
 * the process lives, the store stays damaged until closed.
 */
START_TEST(test_cut_under_live_map_fails_closed)
{
    kpsa_store      *r;
    kpsa_store_rec   rec;
    char             err[512];

    r = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_int_eq(kpsa_store_get(r, ID1, strlen(ID1), &rec), 1);
    ck_assert_int_eq(kpsa_store_verify(r, su_path("s")), KPSA_STORE_OK);

    ck_assert_int_eq(truncate(data_mdb("s"), 8192), 0);

    ck_assert_int_eq(kpsa_store_get(r, ID2, strlen(ID2), &rec), -1);
    ck_assert_msg(strstr(kpsa_store_error(r), "data.mdb: SIGBUS while "
                         "reading the store: the file changed under the "
                         "map") != NULL, "%s", kpsa_store_error(r));
    /* damaged for good: not read again */
    ck_assert_int_eq(kpsa_store_get(r, ID1, strlen(ID1), &rec), -1);
    ck_assert_int_eq(kpsa_store_count(r), -1);
    ck_assert_int_eq(kpsa_store_verify(r, su_path("s")), KPSA_STORE_DAMAGED);
    kpsa_store_close(r);
}
END_TEST

/* the size check alone, before a read faults: the per-second verify */
START_TEST(test_verify_sees_a_cut_file)
{
    kpsa_store  *r;
    char         err[512];

    r = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_int_eq(truncate(data_mdb("s"), 8192), 0);
    ck_assert_int_eq(kpsa_store_verify(r, su_path("s")), KPSA_STORE_DAMAGED);
    ck_assert_ptr_nonnull(strstr(kpsa_store_error(r), "8192 bytes, shorter "
                                 "than the"));
    kpsa_store_close(r);
}
END_TEST

/* another directory renamed into place: verify says so */
START_TEST(test_replaced_store_is_seen)
{
    kpsa_store  *r, *n;
    char         err[512];

    r = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);

    n = su_store_new(su_path("new"), su_kek);
    su_put(n, su_kek, ID2, AE2, KEY2, 1);
    kpsa_store_close(n);

    ck_assert_int_eq(rename(su_path("s"), su_path("old")), 0);
    ck_assert_int_eq(rename(su_path("new"), su_path("s")), 0);

    ck_assert_int_eq(kpsa_store_verify(r, su_path("s")), KPSA_STORE_REPLACED);
    ck_assert_ptr_nonnull(strstr(kpsa_store_error(r), "another store was "
                                 "put in place"));
    kpsa_store_close(r);

    ck_assert_int_eq(rename(su_path("s"), su_path("gone")), 0);
    r = kpsa_store_open(su_path("gone"), 0, err, sizeof(err));
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(kpsa_store_verify(r, su_path("s")), KPSA_STORE_GONE);
    kpsa_store_close(r);
}
END_TEST

/*
 * Reader slots of processes that exited inside a read transaction, until
 * the table is full: returns how many.  Raw liblmdb: the store library
 * would clear the slots of the previous children at every open.  A live
 * reader in another process keeps the lock file from being reset by an
 * opener that finds itself alone, as nginx's workers do.
 */
static MDB_env *
raw_reader(const char *dir)
{
    MDB_env  *env;

    if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0
        || mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0644) != 0)
    {
        _exit(4);
    }

    return env;
}

static int
leave_dead_readers(const char *dir)
{
    int    n, status, ready[2];
    pid_t  pid;
    char   c;

    if (live == 0) {
        ck_assert_int_eq(pipe(ready), 0);
        live = fork();
        ck_assert_int_ge(live, 0);

        if (live == 0) {
            (void) raw_reader(dir);
            (void) write(ready[1], "r", 1);
            pause();
            _exit(0);
        }

        ck_assert_int_eq(read(ready[0], &c, 1), 1);
        close(ready[0]);
        close(ready[1]);
    }

    for (n = 0; n < 4096; n++) {
        pid = fork();
        ck_assert_int_ge(pid, 0);

        if (pid == 0) {
            MDB_txn  *txn;
            int       rc;

            rc = mdb_txn_begin(raw_reader(dir), NULL, MDB_RDONLY, &txn);
            _exit(rc == MDB_READERS_FULL ? 3 : rc == 0 ? 0 : 4);
        }

        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));

        if (WEXITSTATUS(status) == 3) {
            return n;
        }

        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }

    ck_abort_msg("the reader table never filled");
    return -1;
}

START_TEST(test_dead_readers_never_block_a_write)
{
    kpsa_store  *w;
    char         err[512];
    int          dead;

    dead = leave_dead_readers(su_path("s"));
    ck_assert_int_ge(dead, 125);

    w = kpsa_store_open(su_path("s"), 1, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    ck_assert_int_eq(kpsa_store_stale_readers(w), dead);
    ck_assert_msg(kpsa_store_begin(w), "%s", kpsa_store_error(w));
    ck_assert(kpsa_store_revoke(w, ID1, 3));
    ck_assert(kpsa_store_commit(w));
    kpsa_store_close(w);
}
END_TEST

/*
 * Every slot held by a live process: nothing to clear, and a read (the
 * tools read the store's meta before they write) fails saying what to do.
 * lock.mdb made with 4 slots, held by 4 children in read transactions.
 */
START_TEST(test_full_reader_table_says_what_to_do)
{
    kpsa_store  *w;
    MDB_env     *env;
    MDB_txn     *txn;
    pid_t        kids[4];
    char         err[512], c;
    int          i, ready[2];

    ck_assert_int_eq(unlink(su_path("s/lock.mdb")), 0);
    ck_assert_int_eq(pipe(ready), 0);

    for (i = 0; i < 4; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);

        if (kids[i] == 0) {
            if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0
                || mdb_env_set_maxreaders(env, 4) != 0
                || mdb_env_open(env, su_path("s"), MDB_RDONLY | MDB_NOTLS,
                                0644) != 0
                || mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
            {
                _exit(4);
            }
            (void) !write(ready[1], "r", 1);
            pause();
            _exit(0);
        }

        ck_assert_int_eq(read(ready[0], &c, 1), 1);
    }

    w = kpsa_store_open(su_path("s"), 1, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    ck_assert_int_eq(kpsa_store_stale_readers(w), 0);
    ck_assert_int_eq(kpsa_store_get_meta(w, NULL, NULL, NULL, 0), 0);
    ck_assert_msg(strstr(kpsa_store_error(w), "MDB_READERS_FULL") != NULL
                  && strstr(kpsa_store_error(w), "every slot of lock.mdb's "
                            "reader table is held by a live process; find "
                            "them with \"mdb_stat -r <store>\"") != NULL,
                  "%s", kpsa_store_error(w));
    kpsa_store_close(w);

    for (i = 0; i < 4; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    close(ready[0]);
    close(ready[1]);
}
END_TEST

/* the room: more than LMDB's default 126 slots */
START_TEST(test_reader_table_has_room)
{
    kpsa_store  *w;
    char         err[512];

    w = kpsa_store_open(su_path("s"), 1, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    kpsa_store_close(w);
    ck_assert_int_ge(leave_dead_readers(su_path("s")), 1000);
}
END_TEST

/*- core dumps --------------------------------------------------------- */

/* whether the mapping holding p has VmFlags "dd" (not dumped) */
static int
not_dumped(const void *p)
{
    FILE           *f;
    char            line[512];
    unsigned long   lo, hi, at = (unsigned long) p;
    int             in = 0, dd = -1;

    f = fopen("/proc/self/smaps", "r");
    ck_assert_ptr_nonnull(f);

    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2
            && strchr(line, '-') < strchr(line, ' '))
        {
            in = at >= lo && at < hi;
            continue;
        }

        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            dd = strstr(line, " dd") != NULL;
            break;
        }
    }

    fclose(f);
    ck_assert_msg(dd >= 0, "no mapping holds %p", p);

    return dd;
}

/*
 * The tables' long-lived keys, found through the public API: a text
 * table's key bytes (an entry points into its arena), and an LMDB table
 * (the handle holds the KEK).
 */
START_TEST(test_key_pages_not_dumped)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;
    char                     uri[600];
    const char              *kek;

    tu_libctx_setup();

    t = tu_open_text(AE1 " " KEY1 " " ID1 "\n", 0600);
    ck_assert_ptr_nonnull(t);
    e = tu_lookup(t, ID1);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(not_dumped(e->key), "the text table's keys are dumped");
    ONEM2M_SAE_table_free(t);

    kek = su_write_kek("kek", su_kek, 1, 0600);
    snprintf(uri, sizeof(uri), "kpsa-lmdb:%s", su_path("s"));
    t = ONEM2M_SAE_table_open_ex(tu_libctx, TU_PROVIDER_DIR, uri, kek,
                                 tu_diag, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(not_dumped(t), "the LMDB table's KEK is dumped");
    ONEM2M_SAE_table_free(t);

    tu_libctx_teardown();
}
END_TEST

/*
 * The key tool holds keys and the KEK in ordinary memory: it makes itself
 * not dumpable before anything else (seen with strace, as the kernel
 * does).
 */
START_TEST(test_key_tool_not_dumpable)
{
    FILE    *p;
    char     cmd[1400], out[8192];
    size_t   n;

    snprintf(cmd, sizeof(cmd), "strace -e trace=prctl " BUILD_DIR
             "/tools/onem2m-kpsa -f kpsa-lmdb:%s list 2>&1", su_path("s"));
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    pclose(p);

    if (strstr(out, "strace: ") != NULL && strstr(out, "prctl") == NULL) {
        ck_abort_msg("strace cannot run here: %s", out);
    }

    ck_assert_msg(strstr(out, "prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE)")
                  != NULL, "%s", out);
}
END_TEST

/*- the table API ------------------------------------------------------ */

/*
 * Through the provider: a table whose store is cut under it fails closed
 * (-1), says why in info, and is read again once the file is whole (the
 * provider retries once a second).
 */
START_TEST(test_table_fails_closed_and_recovers)
{
    ONEM2M_SAE_TABLE       *t;
    ONEM2M_SAE_LOOKUP       l;
    ONEM2M_SAE_TABLE_INFO   info;
    char                    uri[600], cmd[1400];
    const char             *kek;
    int                     i, rc = -1;

    tu_libctx_setup();
    kek = su_write_kek("kek", su_kek, 1, 0600);
    snprintf(uri, sizeof(uri), "kpsa-lmdb:%s", su_path("s"));
    t = ONEM2M_SAE_table_open_ex(tu_libctx, TU_PROVIDER_DIR, uri, kek,
                                 tu_diag, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 1);

    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", data_mdb("s"),
             su_path("good.mdb"));
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(truncate(data_mdb("s"), 8192), 0);

    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), -1);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l), -1);
    ck_assert_int_eq(ONEM2M_SAE_table_info(t, &info), 0);
    ck_assert_int_eq(info.live, 1);
    ck_assert_msg(strstr(info.error, "damaged store") != NULL
                  || strstr(info.error, "SIGBUS") != NULL, "%s", info.error);

    /* the same inode, whole again (cp over the file) */
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", su_path("good.mdb"),
             data_mdb("s"));
    ck_assert_int_eq(system(cmd), 0);

    for (i = 0; i < 30 && rc != 1; i++) {
        usleep(100 * 1000);
        rc = ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l);
    }

    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(ONEM2M_SAE_table_info(t, &info), 1);
    ck_assert_str_eq(info.error, "");
    ONEM2M_SAE_lookup_cleanse(&l);
    ONEM2M_SAE_table_free(t);
    tu_libctx_teardown();
}
END_TEST

/* a store replaced on disk: reopened, a credential absent from it gone */
START_TEST(test_table_follows_a_replaced_store)
{
    ONEM2M_SAE_TABLE       *t;
    ONEM2M_SAE_LOOKUP       l;
    ONEM2M_SAE_TABLE_INFO   info, before;
    kpsa_store             *n;
    char                    uri[600];
    const char             *kek;
    int                     i, rc = 1;

    tu_libctx_setup();
    kek = su_write_kek("kek", su_kek, 1, 0600);
    snprintf(uri, sizeof(uri), "kpsa-lmdb:%s", su_path("s"));
    t = ONEM2M_SAE_table_open_ex(tu_libctx, TU_PROVIDER_DIR, uri, kek,
                                 tu_diag, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 1);
    ck_assert_int_eq(ONEM2M_SAE_table_info(t, &before), 1);

    n = su_store_new(su_path("new"), su_kek);
    su_put(n, su_kek, ID2, AE2, KEY2, 1);
    kpsa_store_close(n);
    ck_assert_int_eq(rename(su_path("s"), su_path("old")), 0);
    ck_assert_int_eq(rename(su_path("new"), su_path("s")), 0);

    /* at least once a second */
    for (i = 0; i < 30 && rc == 1; i++) {
        usleep(100 * 1000);
        rc = ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l);
    }

    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l), 1);
    ck_assert_int_eq(ONEM2M_SAE_table_info(t, &info), 1);
    ck_assert_uint_eq(info.replaced, 1);
    ck_assert_uint_ne(info.ino, before.ino);
    ck_assert_uint_eq(info.count, 1);
    ONEM2M_SAE_lookup_cleanse(&l);
    ONEM2M_SAE_table_free(t);
    tu_libctx_teardown();
}
END_TEST

Suite *store_damage_suite(void)
{
    return CK_SUITE("store_damage",
                    CK_TCASE("files", setup, teardown, 60),
                    CK_TEST(test_truncated_store_refused),
                    CK_TEST(test_empty_store_refused),
                    CK_TEST(test_foreign_file_refused),
                    CK_LOOP(test_random_pages_never_crash, 40),
                    CK_TEST(test_cut_under_live_map_fails_closed),
                    CK_TEST(test_verify_sees_a_cut_file),
                    CK_TEST(test_replaced_store_is_seen),
                    CK_TCASE("readers", setup, teardown, 120),
                    CK_TEST(test_dead_readers_never_block_a_write),
                    CK_TEST(test_full_reader_table_says_what_to_do),
                    CK_TEST(test_reader_table_has_room),
                    CK_TCASE("table", setup, teardown, 60),
                    CK_TEST(test_key_pages_not_dumped),
                    CK_TEST(test_key_tool_not_dumpable),
                    CK_TEST(test_table_fails_closed_and_recovers),
                    CK_TEST(test_table_follows_a_replaced_store));
}
