/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the LMDB store suites: a private temporary directory, KEK
 * files, and stores written through the writer library with keys sealed
 * under a known KEK.
 */

#ifndef TESTS_STORE_STORE_UTIL_H
#define TESTS_STORE_STORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "store/kpsa_store.h"

/* the test KEK: bytes 0x00..0x1f; su_kek_other: 0x01..0x20 */
extern const unsigned char  su_kek[KPSA_KEK_LEN];
extern const unsigned char  su_kek_other[KPSA_KEK_LEN];

void su_setup(void);                    /* a fresh temporary directory */
void su_teardown(void);                 /* removed with all it holds */
const char *su_dir(void);
/* "<dir>/<name>" (rotating static buffers) */
const char *su_path(const char *name);

/* writes kek (hex with a newline when hex) with mode; returns its path */
const char *su_write_kek(const char *name, const unsigned char *kek,
    int hex, int mode);

/* opens a writable store, fails the test with its error otherwise */
kpsa_store *su_store_writer(const char *dir);
/* one committed put of key (hex) sealed under kek; seq */
void su_put(kpsa_store *w, const unsigned char *kek, const char *kpsa_id,
    const char *entity, const char *hex_key, uint64_t seq);
void su_revoke(kpsa_store *w, const char *kpsa_id, uint64_t seq);
/* a new store in dir with the KEK check value of kek */
kpsa_store *su_store_new(const char *dir, const unsigned char *kek);

/*
 * Plain liblmdb on a store directory, as anyone who can write its files
 * can, without the KEK or the writer library: the value of key in the
 * named DBI into buf (*len: its size; 1 found, 0 none), written over
 * (put), or one item of a DUPSORT key removed (del; data NULL: all).
 * Fail the test on an LMDB error.
 */
int  su_raw_get(const char *dir, const char *dbi, const char *key,
    void *buf, size_t *len);
void su_raw_put(const char *dir, const char *dbi, const char *key,
    const void *data, size_t len);
void su_raw_del(const char *dir, const char *dbi, const char *key,
    const char *data);

#endif /* TESTS_STORE_STORE_UTIL_H */
