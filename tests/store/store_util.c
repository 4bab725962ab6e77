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

#include <check.h>
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
