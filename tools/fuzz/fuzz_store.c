/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target of what a worker reads from a live store's data.mdb:
 * the LMDB file itself, the credential records, the entity index, the
 * meta records and the key envelopes (build and run: "make fuzz").
 *
 * An input is a data.mdb image: it is written into a scratch store
 * directory and read as a reader does (provider/store): open (the size
 * and meta page checks), count, list every record, each record again by
 * KpsaID and by entity, the meta records, the KEK check value, the
 * envelope of every key (under the fixture KEK) and the once-a-second
 * verify.  The record codec also gets the input's head directly, as a
 * record of the KpsaID "fuzz@example.net".  A fault inside liblmdb is
 * the store guard's to catch (the read fails, the store is damaged);
 * anything else is a crash, and so is a broken promise (fuzz_check.h).
 * Seeds (tools/fuzz/seeds-store): a whole store and the damaged files of
 * the store_damage suite.
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "store/kpsa_store_int.h"
#include "fuzz_check.h"

#define LIST_MAX   64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char          dir[64];
static char          data_path[sizeof(dir) + 16];
static kpsa_opener  *opener;

static const unsigned char  kek[KPSA_KEK_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* tmpfs when there is one: a file is written per input */
    snprintf(dir, sizeof(dir), "%s/fuzz-store-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    check(mkdtemp(dir) != NULL);
    snprintf(data_path, sizeof(data_path), "%s/data.mdb", dir);
    opener = kpsa_opener_new(kek);
    check(opener != NULL);

    return 0;
}

/* what a record promises once decoded */
static void
check_rec(const kpsa_store_rec *rec)
{
    unsigned char  key[KPSA_MAX_KEY_LEN];
    size_t         key_len = 0;

    check(rec->kpsa_id_len <= KPSA_MAX_ID_LEN);
    check(rec->entity_len <= KPSA_MAX_ID_LEN);
    check(rec->sealed_len <= KPSA_SEALED_MAX);
    check(rec->kpsa_id[rec->kpsa_id_len] == '\0');
    check(rec->entity[rec->entity_len] == '\0');
    check(rec->state == KPSA_STATE_LIVE || rec->state == KPSA_STATE_REVOKED);

    if (kpsa_opener_open(opener, rec->kpsa_id, rec->entity, rec->sealed,
                         rec->sealed_len, key, &key_len))
    {
        check(key_len + KPSA_ENVELOPE_OVERHEAD == rec->sealed_len);
    }

    OPENSSL_cleanse(key, sizeof(key));
}

/* the record codec alone, on the input's head */
static void
fuzz_decode(const uint8_t *data, size_t size)
{
    static char     id[] = "fuzz@example.net";
    kpsa_store_rec  rec;
    MDB_val         k, v;

    k.mv_data = id;
    k.mv_size = sizeof(id) - 1;
    v.mv_data = (void *) data;
    v.mv_size = size < KPSA_REC_HEADER + KPSA_MAX_ID_LEN + KPSA_SEALED_MAX
                ? size : KPSA_REC_HEADER + KPSA_MAX_ID_LEN + KPSA_SEALED_MAX;

    if (kpsa_rec_decode(&k, &v, &rec)) {
        check_rec(&rec);
    }

    kpsa_store_rec_cleanse(&rec);
}

static void
fuzz_read(kpsa_store *s)
{
    kpsa_store_rec  rec, again;
    unsigned char   check_value[KPSA_KEK_CHECK_LEN + 1];
    size_t          len = sizeof(check_value);
    uint64_t        seq;
    int64_t         at;
    char            src[KPSA_SOURCE_ID_MAX + 1], after[KPSA_MAX_ID_LEN + 1];
    int             i, rc;

    (void) kpsa_store_count(s);
    (void) kpsa_store_get_meta(s, &seq, &at, src, sizeof(src));

    if (kpsa_store_get_kek_check(s, check_value, &len) == 1) {
        (void) kpsa_kek_check_verify(kek, check_value, len);
    }

    rc = kpsa_store_next(s, NULL, &rec);

    for (i = 0; rc == 1 && i < LIST_MAX; i++) {
        check_rec(&rec);

        if (kpsa_store_get(s, rec.kpsa_id, rec.kpsa_id_len, &again) == 1) {
            check_rec(&again);
        }

        if (rec.entity_len > 0
            && kpsa_store_get_entity(s, rec.entity, rec.entity_len, &again)
               == 1)
        {
            check_rec(&again);
        }

        memcpy(after, rec.kpsa_id, rec.kpsa_id_len + 1);
        rc = kpsa_store_next(s, after, &rec);
    }

    kpsa_store_rec_cleanse(&rec);
    kpsa_store_rec_cleanse(&again);
    (void) kpsa_store_verify(s, dir);
    (void) kpsa_store_used_bytes(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kpsa_store  *s;
    char         err[512];
    int          fd;

    fuzz_decode(data, size);

    fd = open(data_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    check(fd >= 0);
    check(size == 0 || write(fd, data, size) == (ssize_t) size);
    close(fd);

    s = kpsa_store_open(dir, 0, err, sizeof(err));

    if (s == NULL) {
        check(err[0] != '\0');
        return 0;
    }

    fuzz_read(s);
    kpsa_store_close(s);

    return 0;
}
