/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark of the LMDB store (not a test: it asserts nothing).
 *
 * For each size (default 1,000,000; "lmdb_bench 1000000 10000000" for
 * the figures of docs/lmdb-store.md) it builds a store in a temporary
 * directory with the writer library (keys sealed under a KEK, batches of
 * 100,000 per transaction, KpsaIDs in random order) and reports:
 *
 *   - build time and store bytes per entry (pages in use, and the file);
 * Times are CPU time of this process (the machine is shared), except the
 * cold lookups, which wait for the disk: wall time.
 *
 *   - warm lookups: ns per ONEM2M_SAE_table_get() through the built
 *     provider (read txn + B-tree + unseal), hits and misses, random
 *     identities, and the read alone (kpsa_store_get, no unseal);
 *   - cold lookups: the store's pages evicted from the page cache with
 *     posix_fadvise(POSIX_FADV_DONTNEED) after the table is closed (only
 *     this file, not the whole machine's cache), then the first random
 *     lookups of a fresh open, microseconds each;
 *   - for sizes up to 1M, get() on the in-memory text table of the same
 *     credentials, for comparison.
 *
 * Usage: lmdb_bench [entries ...]
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <onem2m_sae.h>

#include "store/kpsa_store.h"

#include "bench_clock.h"
#include "bench_mix.h"

#define PROVIDER_DIR   BUILD_DIR "/provider"
#define BATCH          100000
#define LOOKUPS        1000000
#define COLD_LOOKUPS   2000
#define TEXT_MAX       1000000

static char                 tmpdir[64];
static char               (*ids)[40];       /* LOOKUPS hits, then misses */
static double               wall(void);
static double               now(void);
static double             (*clock_fn)(void) = now;  /* of lookups() */
static const unsigned char  kek[KPSA_KEK_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* wall time for I/O (cold), CPU time for the rest: the machine is shared */
static double
wall(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

static double
now(void)
{
    return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

/* credential i: a random-looking KpsaID, an AE-ID, a 16-byte key */
static void
cred(uint64_t i, char *id, char *entity, unsigned char *key)
{
    uint64_t  h = splitmix64(i);

    sprintf(id, "%016llx@gw.example.net", (unsigned long long) h);
    sprintf(entity, "CAE-device-%010llu", (unsigned long long) i);
    memcpy(key, &h, 8);
    h = splitmix64(h);
    memcpy(key + 8, &h, 8);
}

static double
build(const char *dir, size_t n)
{
    kpsa_store     *s;
    unsigned char   key[16], sealed[KPSA_SEALED_MAX], check[KPSA_KEK_CHECK_LEN];
    char            id[64], entity[64], err[512];
    size_t          i, len;
    double          t0 = now(), w0 = wall();

    s = kpsa_store_open(dir, 1, err, sizeof(err));
    if (s == NULL || !kpsa_kek_check_make(kek, check) || !kpsa_store_begin(s)
        || !kpsa_store_set_kek_check(s, check, sizeof(check)))
    {
        fprintf(stderr, "lmdb_bench: %s\n", s ? kpsa_store_error(s) : err);
        exit(1);
    }

    for (i = 0; i < n; i++) {
        cred(i, id, entity, key);

        if (!kpsa_envelope_seal(kek, id, entity, key, 16, sealed, &len)
            || !kpsa_store_put(s, id, entity, sealed, len, i + 1)
            || ((i + 1) % BATCH == 0
                && (!kpsa_store_commit(s) || !kpsa_store_begin(s))))
        {
            fprintf(stderr, "lmdb_bench: %s\n", kpsa_store_error(s));
            exit(1);
        }
    }

    if (!kpsa_store_set_meta(s, n, 0, NULL) || !kpsa_store_commit(s)) {
        fprintf(stderr, "lmdb_bench: %s\n", kpsa_store_error(s));
        exit(1);
    }

    t0 = now() - t0;
    printf("  build: %.1f s CPU, %.1f s wall (%.2f us CPU per credential, "
           "sealing included)\n", t0, wall() - w0, t0 * 1e6 / n);
    printf("  store: %.0f bytes per entry in the B-trees, %.0f up to the "
           "last page used (free pages included)\n",
           (double) kpsa_store_tree_bytes(s) / n,
           (double) kpsa_store_used_bytes(s) / n);
    kpsa_store_close(s);

    return t0;
}

static void
file_size(const char *dir, size_t n)
{
    char         path[160];
    struct stat  st;

    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    if (stat(path, &st) == 0) {
        printf("  data.mdb: %lld bytes, %.0f per entry (allocated %lld "
               "blocks of 512)\n", (long long) st.st_size,
               (double) st.st_size / n, (long long) st.st_blocks);
    }
}

/* the identities looked up, made before the clock starts */
static void
make_ids(size_t n)
{
    unsigned char  key[16];
    char           entity[64];
    size_t         i;

    for (i = 0; i < 2 * LOOKUPS; i++) {
        cred(i < LOOKUPS ? splitmix64(i ^ 0x5555) % n
                         : n + splitmix64(i) % n,
             ids[i], entity, key);
    }
}

/* ns per get() of count random credentials (miss: never stored) */
static double
lookups(ONEM2M_SAE_TABLE *t, int miss, size_t count)
{
    ONEM2M_SAE_LOOKUP   l;
    char              (*id)[40] = ids + (miss ? LOOKUPS : 0);
    size_t              i, found = 0;
    double              t0;

    t0 = clock_fn();
    for (i = 0; i < count; i++) {
        found += ONEM2M_SAE_table_get(t, id[i], strlen(id[i]), &l) == 1;
    }
    t0 = clock_fn() - t0;

    ONEM2M_SAE_lookup_cleanse(&l);
    if (found != (miss ? 0 : count)) {
        fprintf(stderr, "lmdb_bench: %zu of %zu found\n", found, count);
        exit(1);
    }

    return t0 * 1e9 / count;
}

/* ns per kpsa_store_get(): the read transaction and B-tree, no unseal */
static double
raw_reads(const char *dir)
{
    kpsa_store      *s;
    kpsa_store_rec   rec;
    char             err[512];
    size_t           i;
    double           t0;

    s = kpsa_store_open(dir, 0, err, sizeof(err));
    if (s == NULL) {
        return 0;
    }

    t0 = now();
    for (i = 0; i < LOOKUPS; i++) {
        kpsa_store_get(s, ids[i], strlen(ids[i]), &rec);
    }
    t0 = now() - t0;
    kpsa_store_close(s);

    return t0 * 1e9 / LOOKUPS;
}

static ONEM2M_SAE_TABLE *
open_store(const char *uri, const char *kek_file)
{
    ONEM2M_SAE_TABLE  *t;

    t = ONEM2M_SAE_table_open_ex(NULL, PROVIDER_DIR, uri, kek_file, NULL,
                                 NULL);
    if (t == NULL) {
        fprintf(stderr, "lmdb_bench: cannot open %s\n", uri);
        exit(1);
    }

    return t;
}

/* the store's pages out of the page cache, then a fresh open's lookups */
static void
cold(const char *dir, const char *uri, const char *kek_file)
{
    ONEM2M_SAE_TABLE  *t;
    char               path[160];
    double             first, rest;
    int                fd;

    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    fd = open(path, O_RDONLY);
    if (fd == -1 || fdatasync(fd) != 0
        || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
    {
        printf("  cold: cannot evict the store's pages\n");
        if (fd != -1) {
            close(fd);
        }
        return;
    }
    close(fd);

    t = open_store(uri, kek_file);
    clock_fn = wall;
    first = lookups(t, 0, 1);
    rest = lookups(t, 0, COLD_LOOKUPS);
    clock_fn = now;
    printf("  cold (pages evicted): first get %.0f us (opens the store), "
           "next %d random gets %.1f us each\n", first / 1e3, COLD_LOOKUPS,
           rest / 1e3);
    ONEM2M_SAE_table_free(t);
}

static void
text_table(size_t n)
{
    ONEM2M_SAE_TABLE  *t;
    unsigned char      key[16];
    char               id[64], entity[64], path[128], uri[160];
    size_t             i, j;
    FILE              *f;

    snprintf(path, sizeof(path), "%s/kpsa.table", tmpdir);
    f = fopen(path, "w");
    for (i = 0; f != NULL && i < n; i++) {
        cred(i, id, entity, key);
        fprintf(f, "%s ", entity);
        for (j = 0; j < 16; j++) {
            fprintf(f, "%02x", key[j]);
        }
        fprintf(f, " %s\n", id);
    }
    if (f == NULL || fclose(f) != 0) {
        return;
    }
    chmod(path, 0600);

    snprintf(uri, sizeof(uri), "kpsa:%s", path);
    t = ONEM2M_SAE_table_open(NULL, PROVIDER_DIR, uri, NULL, NULL);
    if (t == NULL) {
        return;
    }

    printf("  text table, same credentials: get() hit %.0f ns, miss %.0f ns"
           "\n", lookups(t, 0, LOOKUPS), lookups(t, 1, LOOKUPS));
    ONEM2M_SAE_table_free(t);
    unlink(path);
}

static void
bench(size_t n)
{
    char               dir[96], uri[160], kek_file[96], cmd[300];
    ONEM2M_SAE_TABLE  *t;
    FILE              *f;

    snprintf(dir, sizeof(dir), "%s/store", tmpdir);
    snprintf(uri, sizeof(uri), "kpsa-lmdb:%s", dir);
    snprintf(kek_file, sizeof(kek_file), "%s/kek", tmpdir);

    f = fopen(kek_file, "w");
    if (f == NULL || fwrite(kek, 1, sizeof(kek), f) != sizeof(kek)) {
        exit(1);
    }
    fclose(f);
    chmod(kek_file, 0600);

    printf("%zu credentials\n", n);
    build(dir, n);
    make_ids(n);
    file_size(dir, n);

    t = open_store(uri, kek_file);
    printf("  warm: get() hit %.0f ns, miss %.0f ns; the read alone %.0f ns"
           "\n", lookups(t, 0, LOOKUPS), lookups(t, 1, LOOKUPS),
           raw_reads(dir));
    ONEM2M_SAE_table_free(t);

    cold(dir, uri, kek_file);

    if (n <= TEXT_MAX) {
        text_table(n);
    }

    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, kek_file);
    if (system(cmd) != 0) {
        fprintf(stderr, "lmdb_bench: cannot remove %s\n", dir);
    }
}

int
main(int argc, char **argv)
{
    size_t  n;
    int     i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    strcpy(tmpdir, "/tmp/onem2m-lmdb-bench-XXXXXX");
    ids = malloc(2 * LOOKUPS * sizeof(*ids));
    if (mkdtemp(tmpdir) == NULL || ids == NULL) {
        perror("lmdb_bench");
        return 1;
    }

    if (argc < 2) {
        bench(1000000);
    }

    for (i = 1; i < argc; i++) {
        n = strtoull(argv[i], NULL, 10);
        if (n > 0) {
            bench(n);
        }
    }

    rmdir(tmpdir);
    free(ids);
    return 0;
}
