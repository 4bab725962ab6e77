/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LMDB store library (provider/store): the envelope, KEK files, the
 * writer and the reader, on real LMDB files in a temporary directory.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <check.h>
#include <openssl/crypto.h>

#include <lmdb.h>

#include "check_cases.h"
#include "store_util.h"

#define ID1   "lock1@gw.example.net"
#define ID2   "lock2@gw.example.net"
#define AE1   "CAE-lock-1"
#define AE2   "/mn-cse-1/CAE-lock-2"
#define KEY1  "00112233445566778899aabbccddeeff"
#define KEY2  "ffeeddccbbaa99887766554433221100"

/*- envelope ----------------------------------------------------------- */

static void
seal(const unsigned char *kek, const char *id, const char *entity,
    unsigned char *out, size_t *out_len)
{
    static const unsigned char  key[16] = "0123456789abcdef";

    ck_assert(kpsa_envelope_seal(kek, id, entity, key, sizeof(key), out,
                                 out_len));
}

START_TEST(test_envelope_round_trip)
{
    unsigned char  sealed[KPSA_SEALED_MAX], again[KPSA_SEALED_MAX];
    unsigned char  key[KPSA_MAX_KEY_LEN];
    size_t         len, len2, key_len = 0;

    seal(su_kek, ID1, AE1, sealed, &len);
    ck_assert_uint_eq(len, 16 + KPSA_ENVELOPE_OVERHEAD);
    ck_assert_uint_eq(sealed[0], KPSA_ENVELOPE_VERSION);
    /* the plain key is nowhere in the sealed bytes */
    ck_assert_ptr_null(memmem(sealed, len, "0123456789abcdef", 16));

    ck_assert(kpsa_envelope_open(su_kek, ID1, AE1, sealed, len, key,
                                 &key_len));
    ck_assert_uint_eq(key_len, 16);
    ck_assert_mem_eq(key, "0123456789abcdef", 16);

    /* a fresh nonce each time */
    seal(su_kek, ID1, AE1, again, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(sealed, again, len) != 0);
}
END_TEST

START_TEST(test_envelope_refuses)
{
    unsigned char  sealed[KPSA_SEALED_MAX], key[KPSA_MAX_KEY_LEN];
    size_t         len, key_len;

    seal(su_kek, ID1, AE1, sealed, &len);

    /* another KEK, KpsaID or entity (the AAD), a flipped bit, a cut */
    ck_assert(!kpsa_envelope_open(su_kek_other, ID1, AE1, sealed, len, key,
                                  &key_len));
    ck_assert(!kpsa_envelope_open(su_kek, ID2, AE1, sealed, len, key,
                                  &key_len));
    ck_assert(!kpsa_envelope_open(su_kek, ID1, AE2, sealed, len, key,
                                  &key_len));
    /* the separator: "a" + "bc" is not "ab" + "c" */
    ck_assert(!kpsa_envelope_open(su_kek, ID1 "C", AE1 + 1, sealed, len, key,
                                  &key_len));
    sealed[20] ^= 1;
    ck_assert(!kpsa_envelope_open(su_kek, ID1, AE1, sealed, len, key,
                                  &key_len));
    sealed[20] ^= 1;
    ck_assert(!kpsa_envelope_open(su_kek, ID1, AE1, sealed, len - 1, key,
                                  &key_len));
    sealed[0] = 2;
    ck_assert(!kpsa_envelope_open(su_kek, ID1, AE1, sealed, len, key,
                                  &key_len));
    ck_assert(!kpsa_envelope_seal(su_kek, ID1, AE1, key, 0, sealed, &len));
    ck_assert(!kpsa_envelope_seal(su_kek, ID1, AE1, key, KPSA_MAX_KEY_LEN + 1,
                                  sealed, &len));
}
END_TEST

/* the keyed context: reused across opens, after refusals, from threads */
static void *
opener_loop(void *arg)
{
    kpsa_opener    *o = arg;
    unsigned char   sealed[KPSA_SEALED_MAX], key[KPSA_MAX_KEY_LEN];
    size_t          len, key_len;
    int             i;

    for (i = 0; i < 200; i++) {
        seal(su_kek, i % 2 ? ID1 : ID2, AE1, sealed, &len);
        if (!kpsa_opener_open(o, i % 2 ? ID1 : ID2, AE1, sealed, len, key,
                              &key_len)
            || key_len != 16 || memcmp(key, "0123456789abcdef", 16) != 0)
        {
            return (void *) 1;
        }
    }

    return NULL;
}

START_TEST(test_opener_reuses_keyed_context)
{
    unsigned char  sealed[KPSA_SEALED_MAX], other[KPSA_SEALED_MAX];
    unsigned char  key[KPSA_MAX_KEY_LEN];
    size_t         len, other_len, key_len = 0;
    kpsa_opener   *o;
    pthread_t      th[2];
    void          *rc[2];
    int            i, j;

    o = kpsa_opener_new(su_kek);
    ck_assert_ptr_nonnull(o);

    seal(su_kek, ID1, AE1, sealed, &len);
    seal(su_kek_other, ID1, AE1, other, &other_len);

    for (i = 0; i < 3; i++) {
        memset(key, 0, sizeof(key));
        ck_assert(kpsa_opener_open(o, ID1, AE1, sealed, len, key, &key_len));
        ck_assert_uint_eq(key_len, 16);
        ck_assert_mem_eq(key, "0123456789abcdef", 16);

        /* refusals leave the context usable, and nothing in key: another
         * KEK, KpsaID or entity, a flipped bit, a cut */
        for (j = 0; j < 5; j++) {
            sealed[20] ^= (j == 3);
            ck_assert(!kpsa_opener_open(o, j == 1 ? ID2 : ID1,
                                        j == 2 ? AE2 : AE1,
                                        j == 0 ? other : sealed,
                                        j == 0 ? other_len
                                               : len - (j == 4),
                                        key, &key_len));
            sealed[20] ^= (j == 3);
            ck_assert_ptr_null(memmem(key, sizeof(key), "0123456789abcdef",
                                      16));
        }
    }

    /* two threads at once: one may find the context busy */
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, opener_loop, o), 0);
    }
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(th[i], &rc[i]), 0);
        ck_assert_ptr_null(rc[i]);
    }

    kpsa_opener_free(o);

    /* an opener under another KEK opens nothing of ours */
    o = kpsa_opener_new(su_kek_other);
    ck_assert_ptr_nonnull(o);
    ck_assert(!kpsa_opener_open(o, ID1, AE1, sealed, len, key, &key_len));
    ck_assert(kpsa_opener_open(o, ID1, AE1, other, other_len, key,
                               &key_len));
    kpsa_opener_free(o);
}
END_TEST

START_TEST(test_kek_check_value)
{
    unsigned char  check[KPSA_KEK_CHECK_LEN];

    ck_assert(kpsa_kek_check_make(su_kek, check));
    ck_assert(kpsa_kek_check_verify(su_kek, check, sizeof(check)));
    ck_assert(!kpsa_kek_check_verify(su_kek_other, check, sizeof(check)));
    ck_assert(!kpsa_kek_check_verify(su_kek, check, sizeof(check) - 1));
}
END_TEST

/*- KEK files ---------------------------------------------------------- */

START_TEST(test_kek_load_raw_and_hex)
{
    unsigned char  kek[KPSA_KEK_LEN];
    char           err[512] = "";

    ck_assert_msg(kpsa_kek_load(su_write_kek("raw", su_kek, 0, 0600), kek,
                                err, sizeof(err)), "%s", err);
    ck_assert_mem_eq(kek, su_kek, KPSA_KEK_LEN);

    memset(kek, 0, sizeof(kek));
    ck_assert_msg(kpsa_kek_load(su_write_kek("hex", su_kek_other, 1, 0400),
                                kek, err, sizeof(err)), "%s", err);
    ck_assert_mem_eq(kek, su_kek_other, KPSA_KEK_LEN);
}
END_TEST

START_TEST(test_kek_load_refuses)
{
    unsigned char  kek[KPSA_KEK_LEN];
    char           err[512];
    const char    *path;
    FILE          *f;

    path = su_write_kek("group", su_kek, 1, 0640);
    ck_assert(!kpsa_kek_load(path, kek, err, sizeof(err)));
    ck_assert_str_eq(err, strcat(strcpy((char [600]) { 0 }, path),
                                 ": the KEK file is accessible by group or "
                                 "others (mode 0640, use 0600 or 0400)"));

    path = su_write_kek("other", su_kek, 0, 0604);
    ck_assert(!kpsa_kek_load(path, kek, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "accessible by group or others"));

    path = su_path("short");
    f = fopen(path, "w");
    fputs("0011223344", f);
    fclose(f);
    chmod(path, 0600);
    ck_assert(!kpsa_kek_load(path, kek, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "neither 32 raw bytes nor 64 hex"));

    path = su_path("nothex");
    f = fopen(path, "w");
    fprintf(f, "%064d\n", 0);
    fclose(f);
    f = fopen(path, "r+");
    fputs("zz", f);
    fclose(f);
    chmod(path, 0600);
    ck_assert(!kpsa_kek_load(path, kek, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "neither 32 raw bytes nor 64 hex"));

    ck_assert(!kpsa_kek_load(su_dir(), kek, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));

    ck_assert(!kpsa_kek_load(su_path("none"), kek, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "cannot open the KEK file (No such"));
}
END_TEST

/*- store -------------------------------------------------------------- */

START_TEST(test_store_put_get)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;
    unsigned char    key[KPSA_MAX_KEY_LEN];
    size_t           key_len;

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, ID1, AE1, KEY1, 5);
    su_put(w, su_kek, ID2, AE2, KEY2, 6);

    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), 1);
    ck_assert_str_eq(rec.kpsa_id, ID1);
    ck_assert_str_eq(rec.entity, AE1);
    ck_assert_uint_eq(rec.seq, 5);
    ck_assert(kpsa_envelope_open(su_kek, rec.kpsa_id, rec.entity, rec.sealed,
                                 rec.sealed_len, key, &key_len));
    ck_assert_uint_eq(key_len, 16);
    ck_assert_mem_eq(key, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb"
                     "\xcc\xdd\xee\xff", 16);

    ck_assert_int_eq(kpsa_store_get_entity(w, AE2, strlen(AE2), &rec), 1);
    ck_assert_str_eq(rec.kpsa_id, ID2);
    ck_assert_int_eq(kpsa_store_get(w, "x@y", 3, &rec), 0);
    ck_assert_int_eq(kpsa_store_get_entity(w, "Cnone", 5, &rec), 0);
    /* a prefix of a stored KpsaID is another KpsaID */
    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1) - 1, &rec), 0);
    ck_assert_int_eq(kpsa_store_count(w), 2);

    kpsa_store_close(w);
}
END_TEST

START_TEST(test_store_revoke_and_replay)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, ID1, AE1, KEY1, 5);
    su_revoke(w, ID1, 7);

    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), 0);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 0);
    ck_assert_int_eq(kpsa_store_get_any(w, ID1, strlen(ID1), &rec), 1);
    ck_assert_int_eq(rec.state, KPSA_STATE_REVOKED);
    ck_assert_uint_eq(rec.seq, 7);
    ck_assert_int_eq(kpsa_store_count(w), 0);

    /* a replayed older put does not resurrect it */
    su_put(w, su_kek, ID1, AE1, KEY1, 6);
    su_put(w, su_kek, ID1, AE1, KEY1, 7);
    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), 0);

    /* a newer one does, with its own entity; the old one is not indexed */
    su_put(w, su_kek, ID1, AE2, KEY2, 8);
    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), 1);
    ck_assert_uint_eq(rec.seq, 8);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 0);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE2, strlen(AE2), &rec), 1);

    /* a rekey moves the entity index too */
    su_put(w, su_kek, ID1, AE1, KEY1, 9);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE2, strlen(AE2), &rec), 0);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 1);
    ck_assert_uint_eq(rec.seq, 9);
    ck_assert_int_eq(kpsa_store_count(w), 1);

    kpsa_store_close(w);
}
END_TEST

/*
 * A revoked record written back with plain liblmdb (no KEK: its saved
 * bytes, envelope included): the record is not in the entity index any
 * more, so the store refuses it instead of handing its key out.
 */
START_TEST(test_store_refuses_written_back_record)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;
    unsigned char    saved[1024];
    size_t           len = sizeof(saved);

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, ID1, AE1, KEY1, 1);
    su_put(w, su_kek, ID2, AE2, KEY2, 2);
    ck_assert_int_eq(su_raw_get(su_path("s"), "cred", ID1, saved, &len), 1);
    su_revoke(w, ID1, 3);

    su_raw_put(su_path("s"), "cred", ID1, saved, len);
    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), -1);
    ck_assert_str_eq(kpsa_store_error(w), ID1 ": the record is not in the "
                     "entity index: the store was edited (rebuild it: "
                     "onem2m-kpsa compile, or the sync daemon's full "
                     "resync)");
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 0);
    ck_assert_int_eq(kpsa_store_get(w, ID2, strlen(ID2), &rec), 1);

    kpsa_store_close(w);
}
END_TEST

/*
 * An entity index item pointed at another entity's record with plain
 * liblmdb: the originator check would take lock 2's record for entity 1.
 * Refused as a store error.
 */
START_TEST(test_store_refuses_edited_entity_index)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, ID1, AE1, KEY1, 1);
    su_put(w, su_kek, ID2, AE2, KEY2, 2);

    su_raw_del(su_path("s"), "entity", AE1, ID1);
    su_raw_put(su_path("s"), "entity", AE1, ID2, strlen(ID2));
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), -1);
    ck_assert_str_eq(kpsa_store_error(w), "the entity index names " ID2
                     " for " AE1 ", whose record names another entity: "
                     "the store was edited (rebuild it: onem2m-kpsa "
                     "compile, or the sync daemon's full resync)");
    ck_assert_int_eq(kpsa_store_get_entity(w, AE2, strlen(AE2), &rec), 1);
    ck_assert_str_eq(rec.kpsa_id, ID2);

    kpsa_store_close(w);
}
END_TEST

/*
 * Lock 1's seq raised in its record with plain liblmdb, so that the
 * writer would ignore a later revocation as a replay: the record is above
 * the store's last_seq, no writer wrote it.  A reader refuses it, and the
 * next revocation replaces it.
 */
START_TEST(test_store_refuses_raised_seq)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;
    unsigned char    raw[1024];
    size_t           len = sizeof(raw);
    uint64_t         last = 0;

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, ID1, AE1, KEY1, 1);
    su_put(w, su_kek, ID2, AE2, KEY2, 2);
    ck_assert_int_eq(kpsa_store_get_meta(w, &last, NULL, NULL, 0), 1);
    ck_assert_uint_eq(last, 2);

    ck_assert_int_eq(su_raw_get(su_path("s"), "cred", ID1, raw, &len), 1);
    memset(raw + 2, 0, 8);
    raw[2] = 0x7f;                      /* seq 2^62 and more */
    su_raw_put(su_path("s"), "cred", ID1, raw, len);

    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), -1);
    ck_assert_ptr_nonnull(strstr(kpsa_store_error(w), "is above the store's "
                                 "last_seq 2: the store was edited"));
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), -1);
    ck_assert_int_eq(kpsa_store_get(w, ID2, strlen(ID2), &rec), 1);

    su_revoke(w, ID1, 3);
    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), 0);
    ck_assert_int_eq(kpsa_store_get_any(w, ID1, strlen(ID1), &rec), 1);
    ck_assert_uint_eq(rec.seq, 3);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 0);

    kpsa_store_close(w);
}
END_TEST

START_TEST(test_store_two_ids_one_entity)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, ID2, AE1, KEY1, 1);
    su_put(w, su_kek, ID1, AE1, KEY2, 2);
    ck_assert_int_eq(kpsa_store_count(w), 2);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 1);
    ck_assert_str_eq(rec.kpsa_id, ID1);
    su_revoke(w, ID1, 3);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 1);
    ck_assert_str_eq(rec.kpsa_id, ID2);
    ck_assert_int_eq(kpsa_store_count(w), 1);
    kpsa_store_close(w);
}
END_TEST

START_TEST(test_store_validates)
{
    kpsa_store     *w;
    unsigned char   sealed[KPSA_SEALED_MAX];
    size_t          len;
    char            longid[300];

    w = su_store_writer(su_path("s"));
    seal(su_kek, ID1, AE1, sealed, &len);
    ck_assert(kpsa_store_begin(w));

    ck_assert(!kpsa_store_put(w, "no-at-sign", AE1, sealed, len, 1));
    ck_assert_str_eq(kpsa_store_error(w), "malformed KpsaID no-at-sign "
                     "(expected <relative-id>@<fqdn>)");
    ck_assert(!kpsa_store_put(w, ID1, "in-cse-8", sealed, len, 1));
    ck_assert_str_eq(kpsa_store_error(w), ID1 ": malformed entity id "
                     "in-cse-8 (expected an AE-ID, whose stem starts with C "
                     "or S as in Clock-AE1, or a CSE-ID, which starts with "
                     "/ as in /in-cse-7)");
    memset(longid, 'a', 290);
    strcpy(longid + 290, "@b.c");
    ck_assert(!kpsa_store_put(w, longid, AE1, sealed, len, 1));
    ck_assert_str_eq(kpsa_store_error(w), "KpsaID longer than 255 bytes");
    ck_assert(!kpsa_store_put(w, ID1, AE1, sealed, KPSA_ENVELOPE_OVERHEAD, 1));
    ck_assert_ptr_nonnull(strstr(kpsa_store_error(w), "not a sealed key"));
    ck_assert(!kpsa_store_revoke(w, "bad id", 1));
    ck_assert(kpsa_store_put(w, ID1, AE1, sealed, len, 1));
    ck_assert(kpsa_store_commit(w));

    /* no write outside a transaction */
    ck_assert(!kpsa_store_put(w, ID1, AE1, sealed, len, 2));
    ck_assert_str_eq(kpsa_store_error(w),
                     "no write transaction (kpsa_store_begin)");
    kpsa_store_close(w);
}
END_TEST

START_TEST(test_store_abort_and_clear)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;
    unsigned char    sealed[KPSA_SEALED_MAX];
    size_t           len;

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, ID1, AE1, KEY1, 1);

    seal(su_kek, ID2, AE2, sealed, &len);
    ck_assert(kpsa_store_begin(w));
    ck_assert(kpsa_store_put(w, ID2, AE2, sealed, len, 2));
    kpsa_store_abort(w);
    ck_assert_int_eq(kpsa_store_get(w, ID2, strlen(ID2), &rec), 0);

    ck_assert(kpsa_store_begin(w));
    ck_assert(kpsa_store_clear(w));
    ck_assert(kpsa_store_put(w, ID2, AE2, sealed, len, 2));
    ck_assert(kpsa_store_commit(w));
    ck_assert_int_eq(kpsa_store_get(w, ID1, strlen(ID1), &rec), 0);
    ck_assert_int_eq(kpsa_store_get_entity(w, AE1, strlen(AE1), &rec), 0);
    ck_assert_int_eq(kpsa_store_get(w, ID2, strlen(ID2), &rec), 1);
    ck_assert_int_eq(kpsa_store_count(w), 1);
    kpsa_store_close(w);
}
END_TEST

START_TEST(test_store_meta)
{
    kpsa_store  *w, *r;
    uint64_t     seq = 99;
    int64_t      at = 99;
    char         src[64] = "x", err[512];

    w = su_store_writer(su_path("s"));
    ck_assert(kpsa_store_get_meta(w, &seq, &at, src, sizeof(src)));
    ck_assert_uint_eq(seq, 0);
    ck_assert_int_eq(at, 0);
    ck_assert_str_eq(src, "");

    ck_assert(kpsa_store_begin(w));
    ck_assert(kpsa_store_set_meta(w, 1234567890123ULL, 1764558000,
                                  "3f1e2d3c-aaaa-bbbb-cccc-0123456789ab"));
    ck_assert(kpsa_store_commit(w));
    ck_assert(kpsa_store_begin(w));
    ck_assert(kpsa_store_set_meta(w, 1234567890124ULL, 1764558001, NULL));
    ck_assert(kpsa_store_commit(w));

    r = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert(kpsa_store_get_meta(r, &seq, &at, src, sizeof(src)));
    ck_assert_uint_eq(seq, 1234567890124ULL);
    ck_assert_int_eq(at, 1764558001);
    ck_assert_str_eq(src, "3f1e2d3c-aaaa-bbbb-cccc-0123456789ab");
    kpsa_store_close(r);
    kpsa_store_close(w);
}
END_TEST

START_TEST(test_store_next_lists_live)
{
    kpsa_store      *w;
    kpsa_store_rec   rec;
    char             after[KPSA_MAX_ID_LEN + 1];
    char             seen[256] = "";

    w = su_store_writer(su_path("s"));
    su_put(w, su_kek, "c@x.y", "Cc", KEY1, 1);
    su_put(w, su_kek, "a@x.y", "Ca", KEY1, 2);
    su_put(w, su_kek, "b@x.y", "Cb", KEY1, 3);
    su_put(w, su_kek, "d@x.y", "Cd", KEY1, 4);
    su_revoke(w, "b@x.y", 5);

    ck_assert_int_eq(kpsa_store_next(w, NULL, &rec), 1);
    do {
        strcat(seen, rec.kpsa_id);
        strcat(seen, " ");
        strcpy(after, rec.kpsa_id);
    } while (kpsa_store_next(w, after, &rec) == 1);

    ck_assert_str_eq(seen, "a@x.y c@x.y d@x.y ");
    ck_assert_int_eq(kpsa_store_next(w, "d@x.y", &rec), 0);
    kpsa_store_close(w);
}
END_TEST

START_TEST(test_reader_sees_commits)
{
    kpsa_store      *w, *r;
    kpsa_store_rec   rec;
    char             err[512];

    w = su_store_writer(su_path("s"));
    r = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);

    ck_assert_int_eq(kpsa_store_get(r, ID1, strlen(ID1), &rec), 0);
    su_put(w, su_kek, ID1, AE1, KEY1, 1);
    ck_assert_int_eq(kpsa_store_get(r, ID1, strlen(ID1), &rec), 1);
    su_revoke(w, ID1, 2);
    ck_assert_int_eq(kpsa_store_get(r, ID1, strlen(ID1), &rec), 0);
    ck_assert_int_ge(kpsa_store_reader_check(r), 0);

    /* a reader does not write */
    ck_assert(!kpsa_store_begin(r));
    ck_assert_str_eq(kpsa_store_error(r), "store opened read-only");

    kpsa_store_close(r);
    kpsa_store_close(w);
}
END_TEST

/* a writer grows the map past what a reader mapped: the reader follows */
START_TEST(test_reader_follows_map_resize)
{
    kpsa_store      *w, *r;
    kpsa_store_rec   rec;
    unsigned char    sealed[KPSA_SEALED_MAX];
    char             id[64], err[512];
    size_t           len;
    int              batch, i;

    w = su_store_writer(su_path("s"));
    /* LMDB's smallest map: a new store's meta never says less */
    ck_assert(kpsa_store_set_map_size(w, 1 << 20));
    su_put(w, su_kek, ID1, AE1, KEY1, 1);

    r = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_int_eq(kpsa_store_get(r, ID1, strlen(ID1), &rec), 1);

    seal(su_kek, ID2, AE2, sealed, &len);

    for (batch = 0; batch < 60; batch++) {
        ck_assert_msg(kpsa_store_begin(w), "%s", kpsa_store_error(w));
        for (i = 0; i < 100; i++) {
            snprintf(id, sizeof(id), "device-%04d-%03d@gw.example.net",
                     batch, i);
            ck_assert_msg(kpsa_store_put(w, id, AE2, sealed, len, 1), "%s",
                          kpsa_store_error(w));
        }
        ck_assert_msg(kpsa_store_commit(w), "%s", kpsa_store_error(w));
    }

    /* past the 1 MiB the reader mapped */
    ck_assert_uint_gt(kpsa_store_used_bytes(w), 1 << 20);
    ck_assert_int_eq(kpsa_store_get(r, "device-0059-099@gw.example.net", 30,
                                    &rec), 1);
    ck_assert_int_eq(kpsa_store_get(r, ID1, strlen(ID1), &rec), 1);
    ck_assert_int_eq(kpsa_store_count(r), 6001);

    kpsa_store_close(r);
    kpsa_store_close(w);
}
END_TEST

START_TEST(test_open_refuses)
{
    kpsa_store  *w;
    char         err[512];
    MDB_env     *env;
    MDB_txn     *txn;
    MDB_dbi      dbi;

    ck_assert_ptr_null(kpsa_store_open(su_path("none"), 0, err, sizeof(err)));
    ck_assert_str_eq(err, strcat(strcpy((char [600]) { 0 }, su_path("none")),
                     ": cannot open the store (No such file or directory)"));

    /* an LMDB environment of something else */
    mkdir(su_path("other"), 0700);
    ck_assert_int_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 2);
    ck_assert_int_eq(mdb_env_open(env, su_path("other"), 0, 0600), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, "x", MDB_CREATE, &dbi), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    ck_assert_ptr_null(kpsa_store_open(su_path("other"), 0, err,
                                       sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, ": not a kpsa-lmdb store (no "
                                 "credential database)"));

    /* a store is one */
    w = su_store_writer(su_path("s"));
    kpsa_store_close(w);
    w = kpsa_store_open(su_path("s"), 0, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    kpsa_store_close(w);
}
END_TEST

Suite *store_lmdb_suite(void)
{
    return CK_SUITE("store_lmdb",
                    CK_TCASE("envelope", su_setup, su_teardown, 0),
                    CK_TEST(test_envelope_round_trip),
                    CK_TEST(test_envelope_refuses),
                    CK_TEST(test_opener_reuses_keyed_context),
                    CK_TEST(test_kek_check_value),
                    CK_TEST(test_kek_load_raw_and_hex),
                    CK_TEST(test_kek_load_refuses),
                    CK_TCASE("store", su_setup, su_teardown, 0),
                    CK_TEST(test_store_put_get),
                    CK_TEST(test_store_revoke_and_replay),
                    CK_TEST(test_store_refuses_written_back_record),
                    CK_TEST(test_store_refuses_edited_entity_index),
                    CK_TEST(test_store_refuses_raised_seq),
                    CK_TEST(test_store_two_ids_one_entity),
                    CK_TEST(test_store_validates),
                    CK_TEST(test_store_abort_and_clear),
                    CK_TEST(test_store_meta),
                    CK_TEST(test_store_next_lists_live),
                    CK_TEST(test_reader_sees_commits),
                    CK_TEST(test_reader_follows_map_resize),
                    CK_TEST(test_open_refuses));
}
