/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LMDB backend through the public table API (libcrypto, the built
 * provider): "kpsa-lmdb:<directory>" opened with a KEK file, lookups that
 * see commits at once, revocation, rekeying, wrong KEKs and KEK files,
 * child_init after fork, the text table's ABI 2 functions, and
 * "openssl storeutl" listing a store.
 */

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <check.h>
#include <openssl/crypto.h>
#include <onem2m_sae.h>

#include "check_cases.h"
#include "provider/table_util.h"
#include "store_util.h"

#define ID1   "lock1@gw.example.net"
#define ID2   "lock2@gw.example.net"
#define AE1   "CAE-lock-1"
#define AE2   "/mn-cse-1/CAE-lock-2"
#define KEY1  "00112233445566778899aabbccddeeff"
#define KEY2  "ffeeddccbbaa99887766554433221100"
#define KEY1_BYTES "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc" \
                   "\xdd\xee\xff"
#define KEY2_BYTES "\xff\xee\xdd\xcc\xbb\xaa\x99\x88\x77\x66\x55\x44\x33" \
                   "\x22\x11\x00"

static kpsa_store  *writer;
static char         uri[600];
static const char  *kek_file;

/*
 * The generation a lookup must report for id (docs/lmdb-store.md): the
 * record's seq mixed with the first 8 bytes of its envelope's nonce.
 */
static unsigned long long
gen_of(const char *id, uint64_t seq)
{
    kpsa_store_rec       rec;
    unsigned long long   nonce = 0;
    int                  i;

    ck_assert_int_eq(kpsa_store_get_any(writer, id, strlen(id), &rec), 1);
    ck_assert_uint_eq(rec.seq, seq);

    for (i = 1; i <= 8; i++) {
        nonce = nonce << 8 | rec.sealed[i];
    }

    kpsa_store_rec_cleanse(&rec);
    return seq ^ nonce;
}


static void
setup(void)
{
    tu_libctx_setup();
    su_setup();
    writer = su_store_new(su_path("store"), su_kek);
    su_put(writer, su_kek, ID1, AE1, KEY1, 10);
    snprintf(uri, sizeof(uri), "kpsa-lmdb:%s", su_path("store"));
    kek_file = su_write_kek("kek", su_kek, 1, 0600);
}

static void
teardown(void)
{
    kpsa_store_close(writer);
    writer = NULL;
    su_teardown();
    tu_libctx_teardown();
}

static ONEM2M_SAE_TABLE *
open_live(const char *kek)
{
    tu_reset_messages();

    return ONEM2M_SAE_table_open_ex(tu_libctx, TU_PROVIDER_DIR, uri, kek,
                                    tu_diag, NULL);
}

START_TEST(test_get_unseals)
{
    ONEM2M_SAE_TABLE       *t;
    ONEM2M_SAE_LOOKUP       l;
    ONEM2M_SAE_TABLE_INFO   info;

    t = open_live(kek_file);
    ck_assert_msg(t != NULL, "%s", tu_nmsg ? tu_msg[0] : "");
    ck_assert_uint_eq(tu_nerrors + tu_nwarnings, 0);
    ck_assert_str_eq(tu_notice, tu_fmt("%s: LMDB store, 1 credentials when "
                                       "opened, KEK checked",
                                       su_path("store")));

    ck_assert_int_eq(ONEM2M_SAE_table_is_live(t), 1);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 1);
    ck_assert_str_eq(l.entry.kpsa_id, ID1);
    ck_assert_str_eq(l.entry.entity, AE1);
    ck_assert_uint_eq(l.entry.kpsa_id_len, strlen(ID1));
    ck_assert_uint_eq(l.entry.entity_len, strlen(AE1));
    ck_assert_int_eq(l.entry.entity_type, ONEM2M_SAE_ENTITY_AE);
    ck_assert_uint_eq(l.entry.key_len, 16);
    ck_assert_mem_eq(l.entry.key, KEY1_BYTES, 16);
    ck_assert_ptr_eq(l.entry.key, l.key_buf);
    ck_assert_uint_eq(l.generation, gen_of(ID1, 10));

    ONEM2M_SAE_lookup_cleanse(&l);
    ck_assert_ptr_null(l.entry.key);
    ck_assert_mem_eq(l.key_buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);

    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, AE1, strlen(AE1), &l),
                     1);
    ck_assert_str_eq(l.entry.kpsa_id, ID1);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l), 0);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, AE2, strlen(AE2), &l),
                     0);

    /* no stable entries: the old lookups find nothing, documented */
    ck_assert_ptr_null(ONEM2M_SAE_table_lookup(t, ID1, strlen(ID1)));
    ck_assert_ptr_null(ONEM2M_SAE_table_find_entity(t, AE1, strlen(AE1)));
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 1);

    ck_assert_int_eq(ONEM2M_SAE_table_info(t, &info), 1);
    ck_assert_int_eq(info.live, 1);
    ck_assert_uint_eq(info.count, 1);

    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(test_sees_commits_revoke_rekey)
{
    ONEM2M_SAE_TABLE       *t;
    ONEM2M_SAE_LOOKUP       l;
    ONEM2M_SAE_TABLE_INFO   info;

    t = open_live(kek_file);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l), 0);

    /* added after open: found without reopening */
    su_put(writer, su_kek, ID2, AE2, KEY2, 11);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l), 1);
    ck_assert_mem_eq(l.entry.key, KEY2_BYTES, 16);
    ck_assert_int_eq(l.entry.entity_type, ONEM2M_SAE_ENTITY_AE);

    /* rekeyed: a new generation and key */
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 1);
    ck_assert_uint_eq(l.generation, gen_of(ID1, 10));
    su_put(writer, su_kek, ID1, AE1, KEY2, 12);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 1);
    ck_assert_uint_eq(l.generation, gen_of(ID1, 12));
    ck_assert_mem_eq(l.entry.key, KEY2_BYTES, 16);

    /* revoked: not found, by KpsaID or entity */
    su_revoke(writer, ID1, 13);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 0);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, AE1, strlen(AE1), &l),
                     0);

    ck_assert(kpsa_store_begin(writer));
    ck_assert(kpsa_store_set_meta(writer, 13, 1764558000, "src-1"));
    ck_assert(kpsa_store_commit(writer));
    ck_assert_int_eq(ONEM2M_SAE_table_info(t, &info), 1);
    ck_assert_uint_eq(info.count, 1);
    ck_assert_uint_eq(info.last_seq, 13);
    ck_assert_int_eq(info.synced_at, 1764558000);
    ck_assert_str_eq(info.source_id, "src-1");

    ONEM2M_SAE_lookup_cleanse(&l);
    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(test_wrong_kek_refused)
{
    const char  *other = su_write_kek("other", su_kek_other, 0, 0600);

    /* the store's check value */
    ck_assert_ptr_null(open_live(other));
    ck_assert_uint_eq(tu_nerrors, 1);
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: the KEK does not open this "
                                       "store's keys (another KEK file?)",
                                       su_path("store")));
}
END_TEST

/* a store written without a check value (the sync daemon's): its first key */
START_TEST(test_wrong_kek_first_key)
{
    kpsa_store        *w;
    ONEM2M_SAE_TABLE  *t;
    const char        *other = su_write_kek("other", su_kek_other, 0, 0600);

    w = su_store_writer(su_path("plain"));
    su_put(w, su_kek, ID2, AE2, KEY2, 1);
    kpsa_store_close(w);
    snprintf(uri, sizeof(uri), "kpsa-lmdb:%s", su_path("plain"));

    ck_assert_ptr_null(open_live(other));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: the KEK does not open this "
                                       "store's keys (another KEK file?)",
                                       su_path("plain")));

    t = open_live(kek_file);
    ck_assert_ptr_nonnull(t);
    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(test_kek_file_refused)
{
    const char  *loose = su_write_kek("loose", su_kek, 1, 0640);

    ck_assert_ptr_null(open_live(loose));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: the KEK file is accessible by "
                                       "group or others (mode 0640, use 0600 "
                                       "or 0400)", loose));

    ck_assert_ptr_null(open_live(su_path("missing")));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: cannot open the KEK file (No "
                                       "such file or directory)",
                                       su_path("missing")));

    /* a store needs one, a text table takes none */
    ck_assert_ptr_null(open_live(NULL));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: a kpsa-lmdb: store needs a KEK "
                                       "file", su_path("store")));

    snprintf(uri, sizeof(uri), "kpsa:%s/conf/kpsa.table", TOP_SRCDIR);
    ck_assert_ptr_null(open_live(kek_file));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: a text table takes no KEK file "
                                       "(its keys are not sealed)", uri));

    snprintf(uri, sizeof(uri), "kpsa-lmdb:%s", su_path("nostore"));
    ck_assert_ptr_null(open_live(kek_file));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: cannot open the store (No such "
                                       "file or directory)",
                                       su_path("nostore")));
}
END_TEST

/* the text tables' URI rule (common/onem2m_uri.h): no host, no emptiness */
START_TEST(test_malformed_uri_refused)
{
    static const char  *bad[] = {
        "kpsa-lmdb://host/var/lib/onem2m", "kpsa-lmdb://", "kpsa-lmdb:"
    };
    size_t              i;
    ONEM2M_SAE_TABLE   *t;

    for (i = 0; i < CK_N(bad); i++) {
        snprintf(uri, sizeof(uri), "%s", bad[i]);
        ck_assert_ptr_null(open_live(kek_file));
        ck_assert_uint_eq(tu_nmsg, 1);
        ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: not a \"kpsa-lmdb:"
                                           "<directory>\" URI", bad[i]));
    }

    /* with an empty authority, the store of the test */
    snprintf(uri, sizeof(uri), "kpsa-lmdb://%s", su_path("store"));
    t = open_live(kek_file);
    ck_assert_msg(t != NULL, "%s", tu_nmsg ? tu_msg[0] : "");
    ONEM2M_SAE_table_free(t);
}
END_TEST

/* a worker after fork: child_init reopens; a lookup alone does too */
START_TEST(test_child_init_after_fork)
{
    ONEM2M_SAE_TABLE   *t;
    ONEM2M_SAE_LOOKUP   l;
    pid_t               pid;
    int                 status, round;

    t = open_live(kek_file);
    ck_assert_ptr_nonnull(t);

    for (round = 0; round < 2; round++) {
        /* round 1: the parent has the store open when it forks */
        if (round == 1) {
            ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l),
                             1);
        }

        pid = fork();
        ck_assert_int_ne(pid, -1);

        if (pid == 0) {
            if (round == 0 && ONEM2M_SAE_table_child_init(t) != 1) {
                _exit(3);
            }
            if (ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l) != 1
                || memcmp(l.entry.key, KEY1_BYTES, 16) != 0)
            {
                _exit(4);
            }
            su_put(writer, su_kek, ID2, AE2, KEY2, 20 + round);
            _exit(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l) == 1 ? 0 : 5);
        }

        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);

        /* the parent's own store still works, and sees the child's write */
        ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l), 1);
        ck_assert_uint_eq(l.generation, gen_of(ID2, 20 + round));
    }

    ck_assert_int_eq(ONEM2M_SAE_table_child_init(t), 1);
    ONEM2M_SAE_lookup_cleanse(&l);
    ONEM2M_SAE_table_free(t);
}
END_TEST

/* this process's descriptors open on the store's lock.mdb */
static int
lock_fds(void)
{
    DIR            *d;
    struct dirent  *e;
    char            fd[300], to[PATH_MAX], want[PATH_MAX];
    ssize_t         n;
    int             count = 0;

    ck_assert_ptr_nonnull(realpath(su_path("store"), want));
    strncat(want, "/lock.mdb", sizeof(want) - strlen(want) - 1);

    d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);

    while ((e = readdir(d)) != NULL) {
        snprintf(fd, sizeof(fd), "/proc/self/fd/%s", e->d_name);
        n = readlink(fd, to, sizeof(to) - 1);
        if (n > 0) {
            to[n] = '\0';
            count += strcmp(to, want) == 0;
        }
    }

    closedir(d);
    return count;
}

/*
 * A count (nginx logs one while it reads its configuration, in the
 * master) leaves no store open to be carried over fork into the workers;
 * a store a lookup opened stays open.
 */
START_TEST(test_count_leaves_no_store_open)
{
    ONEM2M_SAE_TABLE   *t;
    ONEM2M_SAE_LOOKUP   l;
    int                 before;

    t = open_live(kek_file);
    ck_assert_ptr_nonnull(t);
    before = lock_fds();

    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 1);
    ck_assert_int_eq(lock_fds(), before);

    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 1);
    ck_assert_int_eq(lock_fds(), before + 1);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 1);
    ck_assert_int_eq(lock_fds(), before + 1);

    ONEM2M_SAE_lookup_cleanse(&l);
    ONEM2M_SAE_table_free(t);
    ck_assert_int_eq(lock_fds(), before);
}
END_TEST

/* the text table implements the ABI 2 functions with zero copies */
START_TEST(test_text_table_get)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;
    ONEM2M_SAE_LOOKUP        l;
    ONEM2M_SAE_TABLE_INFO    info;

    snprintf(uri, sizeof(uri), "kpsa:%s/conf/kpsa.table", TOP_SRCDIR);
    t = open_live(NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ONEM2M_SAE_table_is_live(t), 0);
    ck_assert_int_eq(ONEM2M_SAE_table_child_init(t), 1);

    e = ONEM2M_SAE_table_find_entity(t, "Clock-AE1", 9);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, e->kpsa_id, e->kpsa_id_len, &l),
                     1);
    ck_assert_ptr_eq(l.entry.key, e->key);
    ck_assert_ptr_eq(l.entry.kpsa_id, e->kpsa_id);
    ck_assert_uint_eq(l.generation, 0);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, "Clock-AE1", 9, &l), 1);
    ck_assert_ptr_eq(l.entry.entity, e->entity);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, "x@y", 3, &l), 0);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, "Cnone", 5, &l), 0);

    ck_assert_int_eq(ONEM2M_SAE_table_info(t, &info), 1);
    ck_assert_int_eq(info.live, 0);
    ck_assert_uint_eq(info.count, 2);
    ck_assert_uint_eq(info.last_seq, 0);

    ONEM2M_SAE_table_free(t);
    ck_assert_int_eq(ONEM2M_SAE_table_get(NULL, "x@y", 3, &l), -1);
}
END_TEST

/* a store the reader cannot read any more: -1, callers fail closed */
START_TEST(test_store_gone_fails_closed)
{
    ONEM2M_SAE_TABLE   *t;
    ONEM2M_SAE_LOOKUP   l;
    char                cmd[700];

    t = open_live(kek_file);
    ck_assert_ptr_nonnull(t);
    kpsa_store_close(writer);
    writer = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", su_path("store"));
    ck_assert_int_eq(system(cmd), 0);

    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), -1);
    ck_assert_int_eq(ONEM2M_SAE_table_child_init(t), 0);
    ONEM2M_SAE_table_free(t);
}
END_TEST

#define STOREUTL  "openssl storeutl -provider-path " BUILD_DIR "/provider " \
                  "-provider onem2m -provider default "

START_TEST(test_storeutl_lists_store)
{
    char  out[8192], cmd[2048];

    su_put(writer, su_kek, ID2, "/cse-2", KEY2, 11);

    snprintf(cmd, sizeof(cmd), STOREUTL "%s", uri);
    ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 0);
    ck_assert_str_eq(out, tu_fmt(
        "0: Name: %s#" ID1 "\n"
        "oneM2M TLS-PSK credential of " AE1 " (AE), 16-byte key\n"
        "1: Name: %s#" ID2 "\n"
        "oneM2M TLS-PSK credential of /cse-2 (CSE), 16-byte key\n"
        "Total found: 2\n", uri, uri));

    snprintf(cmd, sizeof(cmd), STOREUTL "-alias " ID2 " %s", uri);
    ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "Total found: 1\n"));

    /* keys: only with the KEK, and never printed */
    snprintf(cmd, sizeof(cmd), STOREUTL "-keys -text %s", uri);
    ck_assert_int_ne(tu_run(cmd, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "the keys are sealed: set "
                                      "ONEM2M_KEK_FILE"));

    snprintf(cmd, sizeof(cmd), "ONEM2M_KEK_FILE=%s " STOREUTL
             "-keys -text %s", kek_file, uri);
    ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "0: Pkey\noneM2M TLS-PSK credential "
                                      "(ONEM2M-KPSA)\nKpsaID: " ID1 "\n"));
    ck_assert_ptr_nonnull(strstr(out, "Key: 16 bytes (not shown)\n"));
    ck_assert_ptr_nonnull(strstr(out, "Total found: 2\n"));
    ck_assert_ptr_null(strstr(out, KEY1));
    ck_assert_ptr_null(strstr(out, KEY2));
    ck_assert_ptr_null(strstr(out, "00:11:22"));

    /* one credential by URI fragment: loaded as a key */
    snprintf(cmd, sizeof(cmd), "ONEM2M_KEK_FILE=%s " STOREUTL "-text %s#"
             ID2, kek_file, uri);
    ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "0: Pkey\n"));
    ck_assert_ptr_nonnull(strstr(out, "KpsaID: " ID2 "\nEntity: /cse-2 "
                                      "(CSE-ID)\n"));
    ck_assert_ptr_nonnull(strstr(out, "Total found: 1\n"));
    ck_assert_ptr_null(strstr(out, KEY2));
}
END_TEST

/*
 * A MAF key: a version 2 record (expiration, SUID, MAF flag) next to the
 * version 1 records written before; the lookup returns the attributes, and
 * from the expiration on finds nothing, saying "expired" (expires set).
 */
#define KCID  "000102030405060708090a0b0c0d0e0f@maf.example.net"
#define PHONE "CAE-phone-1"

static void
put_maf(kpsa_store *w, const char *id, const char *entity, int64_t expires,
    uint64_t seq)
{
    kpsa_store_attr  a = { expires, KPSA_SUID_MAF_SAEF, KPSA_FLAG_MAF };
    unsigned char    sealed[KPSA_SEALED_MAX];
    size_t           len;

    ck_assert(kpsa_envelope_seal(su_kek, id, entity,
                                 (const unsigned char *) KEY2_BYTES, 16,
                                 sealed, &len));
    ck_assert(kpsa_store_begin(w));
    ck_assert_msg(kpsa_store_put_attr(w, id, entity, sealed, len, seq, &a),
                  "%s", kpsa_store_error(w));
    ck_assert(kpsa_store_set_meta(w, seq, 0, NULL));
    ck_assert(kpsa_store_commit(w));
}

START_TEST(test_maf_key_expires)
{
    ONEM2M_SAE_TABLE   *t;
    ONEM2M_SAE_LOOKUP   l;
    unsigned char       raw[1024];
    size_t              len;
    long long           exp;

    exp = (long long) time(NULL) + 3600;
    put_maf(writer, KCID, PHONE, exp, 11);

    len = sizeof(raw);
    ck_assert_int_eq(su_raw_get(su_path("store"), "cred", KCID, raw, &len),
                     1);
    ck_assert_uint_eq(raw[0], 2);
    len = sizeof(raw);
    ck_assert_int_eq(su_raw_get(su_path("store"), "cred", ID1, raw, &len),
                     1);
    ck_assert_uint_eq(raw[0], 1);

    t = open_live(kek_file);
    ck_assert_ptr_nonnull(t);

    ck_assert_int_eq(ONEM2M_SAE_table_get(t, KCID, strlen(KCID), &l), 1);
    ck_assert_str_eq(l.entry.entity, PHONE);
    ck_assert_mem_eq(l.entry.key, KEY2_BYTES, 16);
    ck_assert_int_eq(l.expires, exp);
    ck_assert_uint_eq(l.suid, 32);
    ck_assert_uint_eq(l.maf, 1);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, PHONE, strlen(PHONE),
                                                 &l), 1);
    ck_assert_int_eq(l.expires, exp);
    ONEM2M_SAE_lookup_cleanse(&l);

    /* the version 1 record reads as before: no expiration, no MAF */
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID1, strlen(ID1), &l), 1);
    ck_assert_int_eq(l.expires, 0);
    ck_assert_uint_eq(l.suid, 0);
    ck_assert_uint_eq(l.maf, 0);
    ONEM2M_SAE_lookup_cleanse(&l);

    /* expired: not found, and said so */
    put_maf(writer, KCID, PHONE, (long long) time(NULL) - 1, 12);
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, KCID, strlen(KCID), &l), 0);
    ck_assert_int_ne(l.expires, 0);
    ck_assert_ptr_null(l.entry.key);
    ck_assert_mem_eq(l.key_buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    ck_assert_int_eq(ONEM2M_SAE_table_get_entity(t, PHONE, strlen(PHONE),
                                                 &l), 0);

    /* an unknown one: expires 0 */
    ck_assert_int_eq(ONEM2M_SAE_table_get(t, ID2, strlen(ID2), &l), 0);
    ck_assert_int_eq(l.expires, 0);

    ONEM2M_SAE_table_free(t);
}
END_TEST

Suite *lmdb_table_suite(void)
{
    return CK_SUITE("lmdb_table",
                    CK_TCASE("api", setup, teardown, 30),
                    CK_TEST(test_get_unseals),
                    CK_TEST(test_sees_commits_revoke_rekey),
                    CK_TEST(test_wrong_kek_refused),
                    CK_TEST(test_wrong_kek_first_key),
                    CK_TEST(test_kek_file_refused),
                    CK_TEST(test_malformed_uri_refused),
                    CK_TEST(test_child_init_after_fork),
                    CK_TEST(test_count_leaves_no_store_open),
                    CK_TEST(test_text_table_get),
                    CK_TEST(test_store_gone_fails_closed),
                    CK_TEST(test_storeutl_lists_store),
                    CK_TEST(test_maf_key_expires));
}
