/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The process-wide cache of parsed tables through the fast face
 * (ONEM2M_SAE_table_*): one copy per file version, shared and reloaded; a
 * file changed in place, even with its size and mtime restored, is read
 * again, an unchanged one is not; warnings replayed to later openers;
 * concurrent opens of one file.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <pthread.h>
#include <check.h>
#include <onem2m_sae.h>
#include "check_cases.h"
#include "table_util.h"


START_TEST(test_shared_and_reloaded)
{
    ONEM2M_SAE_TABLE        *t1, *t2, *t3;
    const ONEM2M_SAE_ENTRY  *e1;
    struct timeval           tv[2];
    char                     alias[PATH_MAX];

    t1 = tu_open_text("C1 00112233445566778899aabbccddeeff a@b.c\n", 0600);
    ck_assert_ptr_nonnull(t1);
    e1 = tu_lookup(t1, "a@b.c");

    /* unchanged file, also through another name: the same table */
    t2 = tu_open_uri(tu_path);
    ck_assert_ptr_eq(t1, t2);
    ck_assert_ptr_eq(tu_lookup(t2, "a@b.c"), e1);

    snprintf(alias, sizeof(alias), "%s/./%s", tu_dir(),
             strrchr(tu_path, '/') + 1);
    t3 = tu_open_uri(alias);
    ck_assert_ptr_eq(t1, t3);
    ONEM2M_SAE_table_free(t3);

    /* changed file (nginx reload): parsed anew, old copy still valid */
    tu_write_file(tu_path, "C2 00112233445566778899aabbccddeeff a@b.c\n"
                  "C3 00112233445566778899aabbccddeeff c@b.c\n", 0600);
    gettimeofday(&tv[0], NULL);
    tv[1] = tv[0];
    tv[1].tv_usec = (tv[1].tv_usec + 1) % 1000000;
    ck_assert_int_eq(utimes(tu_path, tv), 0);

    t3 = tu_open_uri(tu_path);
    ck_assert_ptr_nonnull(t3);
    ck_assert_ptr_ne(t3, t1);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t3), 2);
    ck_assert_str_eq(tu_lookup(t3, "a@b.c")->entity, "C2");
    ck_assert_str_eq(tu_lookup(t1, "a@b.c")->entity, "C1");
    ck_assert_ptr_null(tu_lookup(t1, "c@b.c"));

    ONEM2M_SAE_table_free(t1);
    ck_assert_str_eq(tu_lookup(t2, "a@b.c")->entity, "C1");
    ONEM2M_SAE_table_free(t2);
    ONEM2M_SAE_table_free(t3);
}
END_TEST


START_TEST(test_warnings_replayed)
{
    ONEM2M_SAE_TABLE  *t1, *t2;
    char               first[2][PATH_MAX + 600];

    /* a second opener (nginx reload, another server) sees them too */
    t1 = tu_open_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);
    ck_assert_uint_eq(tu_nwarnings, 2);
    memcpy(first, tu_msg, sizeof(first));

    t2 = tu_open_uri(tu_path);
    ck_assert_ptr_eq(t1, t2);
    ck_assert_uint_eq(tu_nwarnings, 2);
    ck_assert_str_eq(tu_msg[0], first[0]);
    ck_assert_str_eq(tu_msg[1], first[1]);

    ONEM2M_SAE_table_free(t1);
    ONEM2M_SAE_table_free(t2);
}
END_TEST


START_TEST(test_replaced_file)
{
    ONEM2M_SAE_TABLE  *t1, *t2;
    char               tmp[PATH_MAX + 128];
    struct stat        st;
    struct timeval     tv[2];

    /* same size, same mtime, new inode (an editor's rename): reparsed */
    t1 = tu_open_text("C1 00112233445566778899aabbccddeeff a@b.c\n", 0600);
    ck_assert_ptr_nonnull(t1);
    ck_assert_int_eq(stat(tu_path, &st), 0);

    snprintf(tmp, sizeof(tmp), "%s.new", tu_path);
    tu_write_file(tmp, "C2 00112233445566778899aabbccddeeff a@b.c\n", 0600);
    tv[0].tv_sec = tv[1].tv_sec = st.st_mtim.tv_sec;
    tv[0].tv_usec = tv[1].tv_usec = st.st_mtim.tv_nsec / 1000;
    ck_assert_int_eq(utimes(tmp, tv), 0);
    ck_assert_int_eq(rename(tmp, tu_path), 0);

    t2 = tu_open_uri(tu_path);
    ck_assert_ptr_nonnull(t2);
    ck_assert_ptr_ne(t1, t2);
    ck_assert_str_eq(tu_lookup(t2, "a@b.c")->entity, "C2");
    ck_assert_str_eq(tu_lookup(t1, "a@b.c")->entity, "C1");

    ONEM2M_SAE_table_free(t1);
    ONEM2M_SAE_table_free(t2);
}
END_TEST


/*
 * One key changed in place (same inode, same size: "00" -> "ff" at offset
 * 3), then the atime and mtime of st set back.
 */
static void
edit_key_keep_times(const struct stat *st)
{
    struct timespec  ts[2];
    int              fd;

    fd = open(tu_path, O_WRONLY);
    ck_assert_int_ne(fd, -1);
    ck_assert_int_eq(pwrite(fd, "ff", 2, 3), 2);
    ck_assert_int_eq(close(fd), 0);
    ts[0] = st->st_atim;
    ts[1] = st->st_mtim;
    ck_assert_int_eq(utimensat(AT_FDCWD, tu_path, ts, 0), 0);
}


/* tu_path opened again, its notice containing notice */
static ONEM2M_SAE_TABLE *
reopen_noticed(const char *notice)
{
    ONEM2M_SAE_TABLE  *t;

    tu_reset_messages();
    t = tu_open_uri(tu_path);
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(strstr(tu_notice, notice) != NULL, "%s", tu_notice);

    return t;
}


START_TEST(test_same_size_edit_restored_mtime)
{
    ONEM2M_SAE_TABLE  *t1, *t2, *t3;
    struct stat        st;

    /*
     * One key changed in place (same inode, same size), mtime set back:
     * nothing of the metadata an owner controls tells the versions apart,
     * the content does.
     */
    t1 = tu_open_text("C1 00112233445566778899aabbccddeeff a@b.c\n", 0600);
    ck_assert_ptr_nonnull(t1);
    ck_assert_msg(strstr(tu_notice, ": read (SHA-256 ") != NULL, "%s",
                  tu_notice);
    ck_assert_int_eq(stat(tu_path, &st), 0);

    edit_key_keep_times(&st);

    t2 = reopen_noticed(": read (SHA-256 ");
    ck_assert_ptr_ne(t2, t1);
    ck_assert_uint_eq(tu_lookup(t2, "a@b.c")->key[0], 0xff);
    ck_assert_uint_eq(tu_lookup(t1, "a@b.c")->key[0], 0x00);

    /* unchanged since: the new copy is shared, and the notice says so */
    t3 = reopen_noticed(": unchanged (SHA-256 ");
    ck_assert_ptr_eq(t3, t2);
    ck_assert_msg(strstr(tu_notice, "parsed copy reused") != NULL, "%s",
                  tu_notice);

    ONEM2M_SAE_table_free(t1);
    ONEM2M_SAE_table_free(t2);
    ONEM2M_SAE_table_free(t3);
}
END_TEST


/*
 * A file whose ctime was well before it was read is not read again while
 * inode, size, mtime and ctime stay (OSSL_STORE opens the table for every
 * lookup); the same-size edit with its mtime set back changes the ctime,
 * and is read.
 */
START_TEST(test_stable_file_not_read_again)
{
    ONEM2M_SAE_TABLE  *t1, *t2, *t3;
    struct stat        st;

    snprintf(tu_path, sizeof(tu_path), "%s/stable.table", tu_dir());
    tu_write_file(tu_path, "C1 00112233445566778899aabbccddeeff a@b.c\n",
                  0600);
    ck_assert_int_eq(stat(tu_path, &st), 0);

    /* until the ctime is older than the margin: seconds, whole ones */
    while (time(NULL) <= st.st_ctim.tv_sec + 2) {
        usleep(100000);
    }

    t1 = reopen_noticed(": read (SHA-256 ");

    t2 = reopen_noticed("inode, size, mtime and ctime the same since), "
                        "parsed copy reused");
    ck_assert_ptr_eq(t2, t1);

    edit_key_keep_times(&st);

    t3 = reopen_noticed(": read (SHA-256 ");
    ck_assert_ptr_ne(t3, t1);
    ck_assert_uint_eq(tu_lookup(t3, "a@b.c")->key[0], 0xff);

    ONEM2M_SAE_table_free(t1);
    ONEM2M_SAE_table_free(t2);
    ONEM2M_SAE_table_free(t3);
}
END_TEST


#define OPENERS  8


static void *
open_in_thread(void *arg)
{
    return ONEM2M_SAE_table_open(NULL, TU_PROVIDER_DIR, arg, NULL, NULL);
}


START_TEST(test_concurrent_opens)
{
    pthread_t          tid[OPENERS];
    void              *t[OPENERS];
    char               text[200 * 80], *p = text;
    char               path[PATH_MAX + 64];
    unsigned           i;

    for (i = 0; i < 200; i++) {
        p += sprintf(p, "C%u 00112233445566778899aabbccddeeff id%u@b.c\n",
                     i, i);
    }

    tu_write_file(tu_fmt("%s/shared.table", tu_dir()), text, 0600);
    snprintf(path, sizeof(path), "%s/shared.table", tu_dir());

    for (i = 0; i < OPENERS; i++) {
        ck_assert_int_eq(pthread_create(&tid[i], NULL, open_in_thread, path),
                         0);
    }

    for (i = 0; i < OPENERS; i++) {
        ck_assert_int_eq(pthread_join(tid[i], &t[i]), 0);
        ck_assert_ptr_nonnull(t[i]);
        ck_assert_ptr_eq(t[i], t[0]);
    }

    ck_assert_uint_eq(ONEM2M_SAE_table_count(t[0]), 200);

    for (i = 0; i < OPENERS; i++) {
        ONEM2M_SAE_table_free(t[i]);
    }
}
END_TEST


Suite *table_cache_suite(void)
{
    return CK_SUITE("table_cache",
                    CK_TCASE("cache", tu_setup, tu_teardown, 0),
                    CK_TEST(test_shared_and_reloaded),
                    CK_TEST(test_warnings_replayed),
                    CK_TEST(test_same_size_edit_restored_mtime),
                    CK_TEST(test_stable_file_not_read_again),
                    CK_TEST(test_replaced_file),
                    CK_TEST(test_concurrent_opens));
}
