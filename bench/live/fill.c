/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live_fill TABLE DIR KEK_FILE: writes every credential of a text table
 * (psk_load table N kpsa FILE) into the LMDB store DIR, sealed under the
 * KEK, as onem2m-sync would (100000 per write transaction), and records
 * the last sequence and "synced now".  For bench/live-bench only: no
 * validation beyond the store's own.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/kpsa_store.h"

#define BATCH  100000

static int
unhex(const char *hex, unsigned char *out, size_t max)
{
    size_t        n = strlen(hex) / 2, i;
    unsigned int  b;

    if (n > max || strlen(hex) % 2) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
            return -1;
        }
        out[i] = (unsigned char) b;
    }
    return (int) n;
}

int
main(int argc, char **argv)
{
    FILE           *f;
    kpsa_store     *s;
    char            line[1024], entity[300], hex[1100], id[300], err[256];
    unsigned char   kek[KPSA_KEK_LEN], key[KPSA_MAX_KEY_LEN];
    unsigned char   sealed[KPSA_SEALED_MAX], check[KPSA_KEK_CHECK_LEN];
    size_t          sealed_len;
    uint64_t        seq = 0;
    int             key_len, open_txn = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: live_fill TABLE DIR KEK_FILE\n");
        return 2;
    }
    if (!kpsa_kek_load(argv[3], kek, err, sizeof(err))) {
        fprintf(stderr, "live_fill: %s\n", err);
        return 1;
    }
    f = fopen(argv[1], "r");
    s = kpsa_store_open(argv[2], 1, err, sizeof(err));
    if (f == NULL || s == NULL) {
        fprintf(stderr, "live_fill: %s\n", s == NULL ? err : argv[1]);
        return 1;
    }
    if (!kpsa_kek_check_make(kek, check) || !kpsa_store_begin(s)
        || !kpsa_store_set_kek_check(s, check, sizeof(check)))
    {
        goto failed;
    }
    open_txn = 1;

    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#'
            || sscanf(line, "%299s %1099s %299s", entity, hex, id) != 3)
        {
            continue;
        }
        key_len = unhex(hex, key, sizeof(key));
        if (key_len <= 0
            || !kpsa_envelope_seal(kek, id, entity, key, (size_t) key_len,
                                   sealed, &sealed_len)
            || !kpsa_store_put(s, id, entity, sealed, sealed_len, ++seq))
        {
            goto failed;
        }
        if (seq % BATCH == 0) {
            if (!kpsa_store_set_meta(s, seq, (int64_t) time(NULL), "bench")
                || !kpsa_store_commit(s) || !kpsa_store_begin(s))
            {
                open_txn = 0;
                goto failed;
            }
        }
    }

    if (!kpsa_store_set_meta(s, seq, (int64_t) time(NULL), "bench")
        || !kpsa_store_commit(s))
    {
        open_txn = 0;
        goto failed;
    }
    printf("%llu\n", (unsigned long long) seq);
    kpsa_store_close(s);
    fclose(f);
    return 0;

failed:
    fprintf(stderr, "live_fill: %s\n", kpsa_store_error(s));
    if (open_txn) {
        kpsa_store_abort(s);
    }
    kpsa_store_close(s);
    fclose(f);
    return 1;
}
