/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the LMDB store suites, see store_util.h.
 */

#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <lmdb.h>
#include <openssl/crypto.h>

#include "store_util.h"

const unsigned char  su_kek[KPSA_KEK_LEN] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
};
const unsigned char  su_kek_other[KPSA_KEK_LEN] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
};

static char  su_tmpdir[64];

void
su_setup(void)
{
    strcpy(su_tmpdir, "/tmp/onem2m-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(su_tmpdir));
}

static int
su_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void
su_teardown(void)
{
    if (su_tmpdir[0] != '\0') {
        nftw(su_tmpdir, su_rm, 16, FTW_DEPTH | FTW_PHYS);
        su_tmpdir[0] = '\0';
    }
}

const char *
su_dir(void)
{
    return su_tmpdir;
}

const char *
su_path(const char *name)
{
    static char      buf[8][PATH_MAX];
    static unsigned  next;
    char            *p = buf[next++ % 8];

    snprintf(p, PATH_MAX, "%s/%s", su_tmpdir, name);

    return p;
}

const char *
su_write_kek(const char *name, const unsigned char *kek, int hex, int mode)
{
    const char  *path = su_path(name);
    char         text[2 * KPSA_KEK_LEN + 2];
    size_t       i, len;
    FILE        *f;

    if (hex) {
        for (i = 0; i < KPSA_KEK_LEN; i++) {
            snprintf(text + 2 * i, 3, "%02x", kek[i]);
        }
        text[2 * KPSA_KEK_LEN] = '\n';
        len = 2 * KPSA_KEK_LEN + 1;

    } else {
        memcpy(text, kek, KPSA_KEK_LEN);
        len = KPSA_KEK_LEN;
    }

    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);

    return path;
}

kpsa_store *
su_store_writer(const char *dir)
{
    kpsa_store  *w;
    char         err[512];

    w = kpsa_store_open(dir, 1, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);

    return w;
}

void
su_put(kpsa_store *w, const unsigned char *kek, const char *kpsa_id,
    const char *entity, const char *hex_key, uint64_t seq)
{
    unsigned char  key[KPSA_MAX_KEY_LEN], sealed[KPSA_SEALED_MAX];
    size_t         key_len, sealed_len;
    long           n;
    unsigned char *raw;

    raw = OPENSSL_hexstr2buf(hex_key, &n);
    ck_assert_ptr_nonnull(raw);
    key_len = (size_t) n;
    memcpy(key, raw, key_len);
    OPENSSL_clear_free(raw, key_len);

    ck_assert(kpsa_envelope_seal(kek, kpsa_id, entity, key, key_len, sealed,
                                 &sealed_len));
    OPENSSL_cleanse(key, sizeof(key));

    ck_assert_msg(kpsa_store_begin(w), "%s", kpsa_store_error(w));
    ck_assert_msg(kpsa_store_put(w, kpsa_id, entity, sealed, sealed_len, seq),
                  "%s", kpsa_store_error(w));
    ck_assert_msg(kpsa_store_commit(w), "%s", kpsa_store_error(w));
}

void
su_revoke(kpsa_store *w, const char *kpsa_id, uint64_t seq)
{
    ck_assert_msg(kpsa_store_begin(w), "%s", kpsa_store_error(w));
    ck_assert_msg(kpsa_store_revoke(w, kpsa_id, seq), "%s",
                  kpsa_store_error(w));
    ck_assert_msg(kpsa_store_commit(w), "%s", kpsa_store_error(w));
}

kpsa_store *
su_store_new(const char *dir, const unsigned char *kek)
{
    kpsa_store     *w = su_store_writer(dir);
    unsigned char   check[KPSA_KEK_CHECK_LEN];

    ck_assert(kpsa_kek_check_make(kek, check));
    ck_assert(kpsa_store_begin(w));
    ck_assert(kpsa_store_set_kek_check(w, check, sizeof(check)));
    ck_assert(kpsa_store_commit(w));

    return w;
}

/*
 * One plain liblmdb operation on dir's named DBI (DUPSORT for "entity"),
 * in a child process: an environment opened twice in one process breaks
 * the other's reader slots when it closes (LMDB frees every slot of the
 * pid).  op 'g' (the value into out, through a pipe), 'p' put, 'd' del.
 * The child's status: 0 done, 1 not found, 2 an LMDB error.
 */
static int
su_raw(const char *dir, const char *name, int op, const char *key,
    const void *data, size_t len, void *out, size_t *out_len)
{
    MDB_env  *env;
    MDB_txn  *txn;
    MDB_dbi   d;
    MDB_val   k, v;
    pid_t     pid;
    ssize_t   n;
    int       fds[2], rc, status;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ne(pid, -1);

    if (pid == 0) {
        close(fds[0]);
        k.mv_data = (void *) key;
        k.mv_size = strlen(key);
        v.mv_data = (void *) data;
        v.mv_size = len;

        rc = mdb_env_create(&env) || mdb_env_set_maxdbs(env, 8)
             || mdb_env_set_mapsize(env, 0)
             || mdb_env_open(env, dir, MDB_NOTLS, 0644)
             || mdb_txn_begin(env, NULL, 0, &txn)
             || mdb_dbi_open(txn, name, strcmp(name, "entity") == 0
                                        ? MDB_DUPSORT : 0, &d);
        if (rc != 0) {
            _exit(2);
        }

        if (op == 'g') {
            rc = mdb_get(txn, d, &k, &v);
            if (rc == 0 && write(fds[1], v.mv_data, v.mv_size)
                           != (ssize_t) v.mv_size)
            {
                _exit(2);
            }
        } else if (op == 'p') {
            rc = mdb_put(txn, d, &k, &v, 0);
        } else {
            rc = mdb_del(txn, d, &k, data != NULL ? &v : NULL);
        }

        if (rc == 0 && op != 'g') {
            rc = mdb_txn_commit(txn);
        } else {
            mdb_txn_abort(txn);
        }

        mdb_env_close(env);
        _exit(rc == 0 ? 0 : rc == MDB_NOTFOUND ? 1 : 2);
    }

    close(fds[1]);

    if (op == 'g') {
        n = read(fds[0], out, *out_len);
        ck_assert_int_ge(n, 0);
        *out_len = (size_t) n;
    }

    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) < 2);

    return WEXITSTATUS(status);
}

int
su_raw_get(const char *dir, const char *dbi, const char *key, void *buf,
    size_t *len)
{
    return su_raw(dir, dbi, 'g', key, NULL, 0, buf, len) == 0;
}

void
su_raw_put(const char *dir, const char *dbi, const char *key,
    const void *data, size_t len)
{
    ck_assert_int_eq(su_raw(dir, dbi, 'p', key, data, len, NULL, NULL), 0);
}

void
su_raw_del(const char *dir, const char *dbi, const char *key,
    const char *data)
{
    ck_assert_int_eq(su_raw(dir, dbi, 'd', key, data,
                            data != NULL ? strlen(data) : 0, NULL, NULL),
                     0);
}
