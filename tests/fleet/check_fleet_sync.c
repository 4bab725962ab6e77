/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fleet's source and sync daemon on one machine (docs/fleet.md): a
 * throwaway PostgreSQL cluster per test with conf/postgresql/schema.sql,
 * the real onem2m-sync, and the LMDB store read back through the store
 * library as nginx's reader does (keys opened with the KEK).  Waits are
 * condition-based; the long measurements are "make bench-fleet".
 */

#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "fleet.h"

#define WAIT_MS       5000

#define ID_A          "lock-a@in.example.com"
#define ID_B          "lock-b@in.example.com"
#define ID_C          "lock-c@in.example.com"
#define ENTITY_A      "Clock-A"
#define ENTITY_B      "Clock-B"
#define ENTITY_C      "/in-cse-c"
#define KEY_A         "00112233445566778899aabbccddeeff"
#define KEY_B         "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define KEY_C         "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf00"
#define ID_D          "lock-d@in.example.com"
#define ID_E          "lock-e@in.example.com"
#define ID_F          "lock-f@in.example.com"
#define ENTITY_D      "Clock-D"
#define ENTITY_E      "Clock-E"
#define ENTITY_F      "Clock-F"
#define KEY_D         "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
#define KEY_E         "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
#define KEY_F         "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

static fleet_pg  pg;
static char      dir[PATH_MAX], store[PATH_MAX + 16];

static void
setup(void)
{
    ck_assert_int_eq(fleet_mkdtemp(dir, sizeof(dir), "fleet"), 0);
    snprintf(store, sizeof(store), "%s/store", dir);
    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");
}

static void
teardown(void)
{
    fleet_pg_free(&pg);

    if (getenv("ONEM2M_TEST_KEEP") == NULL) {
        fleet_rmtree(dir);
    }
}

static void
start_synced(fleet_sync *s, const char *extra)
{
    ck_assert_int_eq(fleet_sync_start(s, &pg, store, extra), 0);
    ck_assert_msg(fleet_sync_log_wait(s, "listening on onem2m_kpsa", WAIT_MS)
                  == 0, "onem2m-sync connects and listens");
    ck_assert_msg(fleet_sync_log_wait(s, "full resync done", WAIT_MS) == 0,
                  "the first sync completes");
}

static void
assert_key(const char *id, const char *want_hex)
{
    char  hex[2 * KPSA_MAX_KEY_LEN + 1];

    ck_assert_int_eq(fleet_store_state(store, id, hex, sizeof(hex)), 1);
    ck_assert_str_eq(hex, want_hex);
}

/* the notification, not the poll (60 s here), brings the row in */
START_TEST(insert_seen_after_notify)
{
    fleet_sync  s;
    long long   t0;

    start_synced(&s, "--poll=60");

    t0 = harness_now_ms();
    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    ck_assert_int_eq(fleet_store_wait(store, ID_A, 1, WAIT_MS), 0);
    ck_assert_msg(harness_now_ms() - t0 < harness_timeout_ms(3000),
                  "seen within 3 s with a 60 s poll: woken by NOTIFY");
    assert_key(ID_A, KEY_A);

    ck_assert_int_eq(fleet_sync_stop(&s, SIGTERM), 0);
    ck_assert(fleet_sync_log_contains(&s, "stopping (store at seq 1)"));
}
END_TEST

START_TEST(revocation_seen)
{
    fleet_sync       s;
    kpsa_store      *st;
    kpsa_store_rec   rec;
    char             err[256];
    uint64_t         last = 0;

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, ENTITY_B, KEY_B), 0);
    start_synced(&s, "--poll=60");
    assert_key(ID_A, KEY_A);

    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);
    ck_assert_int_eq(fleet_store_wait(store, ID_A, 0, WAIT_MS), 0);
    assert_key(ID_B, KEY_B);

    /* a tombstone with the revocation's seq, no key */
    st = kpsa_store_open(store, 0, err, sizeof(err));
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(kpsa_store_get_any(st, ID_A, strlen(ID_A), &rec), 1);
    ck_assert_int_eq(rec.state, KPSA_STATE_REVOKED);
    ck_assert_int_eq(kpsa_store_get_meta(st, &last, NULL, NULL, 0), 1);
    kpsa_store_close(st);
    ck_assert_uint_eq(rec.seq, 3);
    ck_assert_uint_eq(last, 3);

    ck_assert_int_eq(fleet_sync_stop(&s, SIGTERM), 0);
}
END_TEST

/* the source's rules: no DELETE, no TRUNCATE, a revocation is final */
START_TEST(source_refuses_loss)
{
    char  *out = NULL;

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);

    ck_assert_int_ne(fleet_pg_sql(&pg, FLEET_ADMIN, "DELETE FROM "
                                  "onem2m.credentials", &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "credentials are never deleted"));
    free(out);

    ck_assert_int_ne(fleet_pg_sql(&pg, FLEET_ADMIN, "TRUNCATE "
                                  "onem2m.credentials", &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "credentials are never deleted"));
    free(out);

    /* the writer role has no DELETE at all */
    ck_assert_int_ne(fleet_pg_sql(&pg, FLEET_WRITER, "DELETE FROM "
                                  "onem2m.credentials", &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "permission denied"));
    free(out);

    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);
    ck_assert_int_ne(fleet_pg_sql(&pg, FLEET_WRITER, "UPDATE "
                                  "onem2m.credentials SET revoked = false",
                                  &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "is revoked: a revoked KpsaID is "
                                 "never used again"));
    free(out);

    /* a tombstone keeps no key; the seq is the trigger's, not the
       writer's */
    ck_assert_int_eq(fleet_pg_sql(&pg, FLEET_READER, "SELECT sealed IS NULL,"
                                  " seq FROM onem2m.credentials", &out), 0);
    ck_assert_str_eq(out, "t|2\n");
    free(out);

    ck_assert_int_ne(fleet_pg_sql(&pg, FLEET_WRITER, "INSERT INTO "
                                  "onem2m.credentials (kpsa_id, entity, "
                                  "sealed, seq) VALUES ('x@y', 'Cx', "
                                  "'\\x01', 99)", &out), 0);
    free(out);

    /* what SQL can check of the table's identifier rules */
    ck_assert_int_ne(fleet_insert(&pg, "lock a@in.example.com", ENTITY_A,
                                  KEY_A), 0);
    ck_assert_int_ne(fleet_insert(&pg, "lock-d@in.example.com", "Clock D",
                                  KEY_A), 0);
    ck_assert_int_ne(fleet_insert(&pg, "no-at-sign", ENTITY_A, KEY_A), 0);

    /* the reader reads only */
    ck_assert_int_ne(fleet_pg_sql(&pg, FLEET_READER, "UPDATE "
                                  "onem2m.credentials SET revoked = true",
                                  &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "permission denied"));
    free(out);
}
END_TEST

/* PostgreSQL down: the store stays, staleness is said, then catch-up */
START_TEST(source_down_then_back)
{
    fleet_sync  s;
    int64_t     at0 = 0, at1 = 0;
    uint64_t    last;
    long long   deadline;

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    start_synced(&s, NULL);

    /* the poll is a heartbeat: synced_at moves with nothing to copy */
    ck_assert_int_eq(fleet_store_meta(store, &last, &at0, NULL, 0), 0);
    deadline = harness_now_ms() + harness_timeout_ms(WAIT_MS);
    do {
        usleep(50000);
        ck_assert_int_eq(fleet_store_meta(store, &last, &at1, NULL, 0), 0);
    } while (at1 == at0 && harness_now_ms() < deadline);
    ck_assert_int_gt(at1, at0);

    ck_assert_int_eq(fleet_pg_stop(&pg), 0);
    ck_assert_msg(fleet_sync_log_wait(&s, "keeping the last good store "
                                      "(seq 1)", WAIT_MS) == 0,
                  "the daemon says the store is stale");
    assert_key(ID_A, KEY_A);
    ck_assert_int_eq(kill(s.pid, 0), 0);

    ck_assert_int_eq(fleet_pg_start(&pg), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, ENTITY_B, KEY_B), 0);
    ck_assert_int_eq(fleet_store_wait(store, ID_B, 1, WAIT_MS), 0);
    assert_key(ID_A, KEY_A);
    ck_assert_int_eq(fleet_store_meta(store, &last, &at1, NULL, 0), 0);
    ck_assert_uint_eq(last, 2);
    ck_assert_int_ge(at1, (int64_t) time(NULL) - 2);

    ck_assert_int_eq(fleet_sync_stop(&s, SIGTERM), 0);
    ck_assert(!fleet_sync_log_contains(&s, "the source is "));
}
END_TEST

/* kill -9 between batches: the next run starts after the stored seq */
START_TEST(kill9_resumes)
{
    fleet_sync  s;
    char        msg[64];

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, ENTITY_B, KEY_B), 0);
    start_synced(&s, NULL);
    ck_assert_int_eq(fleet_store_wait(store, ID_B, 1, WAIT_MS), 0);
    ck_assert_int_eq(fleet_sync_stop(&s, SIGKILL), -1);

    ck_assert_int_eq(fleet_insert(&pg, ID_C, ENTITY_C, KEY_C), 0);
    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);

    ck_assert_int_eq(fleet_sync_start(&s, &pg, store, NULL), 0);
    snprintf(msg, sizeof(msg), "(store at seq %d)", 2);
    ck_assert_int_eq(fleet_sync_log_wait(&s, msg, WAIT_MS), 0);
    ck_assert_int_eq(fleet_store_wait(store, ID_C, 1, WAIT_MS), 0);
    ck_assert_int_eq(fleet_store_wait(store, ID_A, 0, WAIT_MS), 0);
    assert_key(ID_B, KEY_B);
    assert_key(ID_C, KEY_C);
    ck_assert_int_eq(fleet_sync_stop(&s, SIGTERM), 0);

    /* one full resync: the first run's */
    ck_assert_int_eq(fleet_sync_log_contains(&s, "the source is "), 0);
}
END_TEST

/* a new source (the schema made again): the store is rebuilt from it */
START_TEST(source_change_resyncs)
{
    fleet_sync   s;
    char         src0[KPSA_SOURCE_ID_MAX + 1], src1[KPSA_SOURCE_ID_MAX + 1];
    uint64_t     last;

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, ENTITY_B, KEY_B), 0);
    start_synced(&s, NULL);
    ck_assert_int_eq(fleet_store_meta(store, &last, NULL, src0,
                                      sizeof(src0)), 0);
    ck_assert_uint_eq(last, 2);

    ck_assert_int_eq(fleet_pg_new_schema(&pg), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_C, ENTITY_C, KEY_C), 0);

    ck_assert_int_eq(fleet_store_wait(store, ID_C, 1, WAIT_MS), 0);
    ck_assert_int_eq(fleet_store_state(store, ID_A, NULL, 0), 0);
    ck_assert_int_eq(fleet_store_state(store, ID_B, NULL, 0), 0);
    assert_key(ID_C, KEY_C);
    ck_assert_int_eq(fleet_store_meta(store, &last, NULL, src1,
                                      sizeof(src1)), 0);
    ck_assert_uint_eq(last, 1);
    ck_assert_str_ne(src0, src1);
    ck_assert(fleet_sync_log_contains(&s, "full resync"));

    ck_assert_int_eq(fleet_sync_stop(&s, SIGTERM), 0);
}
END_TEST

/*
 * A restore from an older backup, then normal writes that carry the
 * sequence past the store's: A (seq 1), B (2), synced, pg_dump; C, D
 * synced (store at 4); the database dropped, created and pg_restore'd;
 * A revoked (3), E (4), F (5).  The store is not a past state of this
 * source: a full resync, said why; A refused, C and D gone, E and F in.
 */
START_TEST(restore_from_older_backup_resyncs)
{
    char      dump[PATH_MAX + 16], *out = NULL;
    uint64_t  last;

    snprintf(dump, sizeof(dump), "%s/backup.dump", dir);

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, ENTITY_B, KEY_B), 0);
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    free(out);
    ck_assert_int_eq(fleet_pg_dump(&pg, dump), 0);

    ck_assert_int_eq(fleet_insert(&pg, ID_C, ENTITY_C, KEY_C), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_D, ENTITY_D, KEY_D), 0);
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    ck_assert_msg(strstr(out, "in sync: last seq 4") != NULL, "%s", out);
    free(out);

    ck_assert_int_eq(fleet_pg_restore(&pg, dump), 0);
    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_E, ENTITY_E, KEY_E), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_F, ENTITY_F, KEY_F), 0);

    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    ck_assert_msg(strstr(out, "is not the continuation of the store")
                  != NULL && strstr(out, "full resync done: 4 rows, last "
                                    "seq 5") != NULL, "%s", out);
    free(out);

    ck_assert_int_eq(fleet_store_state(store, ID_A, NULL, 0), 0);
    ck_assert_int_eq(fleet_store_state(store, ID_C, NULL, 0), 0);
    ck_assert_int_eq(fleet_store_state(store, ID_D, NULL, 0), 0);
    assert_key(ID_B, KEY_B);
    assert_key(ID_E, KEY_E);
    assert_key(ID_F, KEY_F);
    ck_assert_int_eq(fleet_store_meta(store, &last, NULL, NULL, 0), 0);
    ck_assert_uint_eq(last, 5);

    /* and from then on it continues as usual */
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    ck_assert_msg(strstr(out, "full resync") == NULL
                  && strstr(out, "in sync: last seq 5") != NULL, "%s", out);
    free(out);
}
END_TEST

/*
 * The same database rolled back in place (what a point-in-time restore or
 * a failover that lost commits leaves: the storage epoch unchanged), then
 * D added again at the store's last seq with another key: the row at
 * last_seq is not the one the store applied.  A full resync.
 */
START_TEST(rollback_in_place_resyncs)
{
    char  *out = NULL, key[2 * KPSA_MAX_KEY_LEN + 1];

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, ENTITY_B, KEY_B), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_C, ENTITY_C, KEY_C), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_D, ENTITY_D, KEY_D), 0);
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    free(out);

    ck_assert_int_eq(fleet_pg_sql(&pg, FLEET_ADMIN,
                                  "ALTER TABLE onem2m.credentials DISABLE "
                                  "TRIGGER USER; DELETE FROM "
                                  "onem2m.credentials WHERE seq > 2; "
                                  "ALTER TABLE onem2m.credentials ENABLE "
                                  "TRIGGER USER; SELECT setval("
                                  "'onem2m.credential_seq', 2)", NULL), 0);
    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_D, ENTITY_D, KEY_E), 0);

    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    ck_assert_msg(strstr(out, "the row at seq 4 is not the one the store "
                         "applied") != NULL
                  && strstr(out, "full resync done: 3 rows") != NULL,
                  "%s", out);
    free(out);

    ck_assert_int_eq(fleet_store_state(store, ID_A, NULL, 0), 0);
    ck_assert_int_eq(fleet_store_state(store, ID_C, NULL, 0), 0);
    ck_assert_int_eq(fleet_store_state(store, ID_D, key, sizeof(key)), 1);
    ck_assert_str_eq(key, KEY_E);
}
END_TEST

/* --once: 0 in sync, 1 without a source; the store is left as it was */
START_TEST(once_mode)
{
    char  *out = NULL;
    char  *bad[] = { FLEET_SYNC_BIN, "--store", store, "--source", "x",
                     "--poll", "0", NULL };

    ck_assert_int_eq(fleet_insert(&pg, ID_A, ENTITY_A, KEY_A), 0);
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "in sync: last seq 1"));
    free(out);
    assert_key(ID_A, KEY_A);

    ck_assert_int_eq(fleet_pg_stop(&pg), 0);
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "keeping the last good store (seq "
                                 "1)"));
    free(out);
    assert_key(ID_A, KEY_A);

    ck_assert_int_eq(harness_run(bad, NULL, 5000, &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "--poll: \"0\" is not a number of "
                                 "seconds"));
    free(out);
}
END_TEST

/* onem2m-kpsa -f postgresql:...: sealed adds, rotate, revoke, list */
static int
kpsa(const char *kek, char **out, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
    char   conninfo[512], source[600];
    char  *argv[12];
    int    n = 0;

    snprintf(source, sizeof(source), "postgresql:%s",
             fleet_pg_conninfo(&pg, FLEET_WRITER, conninfo,
                               sizeof(conninfo)));
    argv[n++] = FLEET_KPSA_BIN;
    argv[n++] = "-f";
    argv[n++] = source;
    if (kek != NULL) {
        argv[n++] = "--kek";
        argv[n++] = (char *) kek;
    }
    argv[n++] = (char *) a1;
    argv[n++] = (char *) a2;
    argv[n++] = (char *) a3;
    argv[n++] = (char *) a4;
    argv[n] = NULL;
    return harness_run(argv, NULL, harness_timeout_ms(20000), out);
}

/* "KpsaID: <id>\nKpsa:   <hex>\n" of an add */
static void
parse_credential(const char *out, char *id, size_t idlen, char *hex,
    size_t hexlen)
{
    const char  *p = strstr(out, "KpsaID: "), *q = strstr(out, "Kpsa:   ");

    ck_assert_msg(p != NULL && q != NULL, "no credential in: %s", out);
    ck_assert_int_eq(sscanf(p + 8, "%255s", id), 1);
    ck_assert_int_eq(sscanf(q + 8, "%1024s", hex), 1);
    ck_assert_uint_lt(strlen(id), idlen);
    ck_assert_uint_lt(strlen(hex), hexlen);
}

START_TEST(kpsa_tool_manages_the_source)
{
    char   kek[PATH_MAX + 8], hex[2 * KPSA_KEK_LEN + 2], *out = NULL;
    char   id1[256], key1[1100], id2[256], key2[1100];
    char  *bad[] = { FLEET_KPSA_BIN, "-f", "postgresql:host=/nonexistent "
                     "password=hunter2", "list", NULL };
    FILE  *f;
    int    i;

    snprintf(kek, sizeof(kek), "%s/kek", dir);
    for (i = 0; i < KPSA_KEK_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", fleet_kek[i]);
    }
    f = fopen(kek, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", hex);
    fclose(f);
    ck_assert_int_eq(chmod(kek, 0600), 0);

    ck_assert_int_eq(kpsa(kek, &out, "add", "Clock-K", "--fqdn",
                          "in.example.com"), 0);
    parse_credential(out, id1, sizeof(id1), key1, sizeof(key1));
    free(out);
    ck_assert_ptr_nonnull(strstr(id1, "@in.example.com"));
    ck_assert_uint_eq(strlen(key1), 32);

    ck_assert_int_eq(kpsa(kek, &out, "rotate", "Clock-K", "--bytes", "24"),
                     0);
    parse_credential(out, id2, sizeof(id2), key2, sizeof(key2));
    free(out);
    ck_assert_str_ne(id1, id2);
    ck_assert_uint_eq(strlen(key2), 48);

    /* the daemon copies sealed keys; the KEK opens them in the store */
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    free(out);
    assert_key(id1, key1);
    assert_key(id2, key2);

    /* the source holds envelopes, never the key */
    ck_assert_int_eq(fleet_pg_sql(&pg, FLEET_READER, "SELECT "
                                  "encode(sealed, 'hex') FROM "
                                  "onem2m.credentials", &out), 0);
    ck_assert_ptr_null(strstr(out, key1));
    ck_assert_ptr_null(strstr(out, key2));
    free(out);

    ck_assert_int_eq(kpsa(NULL, &out, "revoke", id1, NULL, NULL), 0);
    free(out);
    ck_assert_int_eq(kpsa(NULL, &out, "revoke", id1, NULL, NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "no live credential with KpsaID"));
    free(out);
    ck_assert_int_eq(fleet_sync_once(&pg, store, &out), 0);
    free(out);
    ck_assert_int_eq(fleet_store_state(store, id1, NULL, 0), 0);
    assert_key(id2, key2);

    ck_assert_int_eq(kpsa(NULL, &out, "list", "Clock-K", NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "revoked"));
    ck_assert_ptr_nonnull(strstr(out, "live"));
    ck_assert_ptr_null(strstr(out, key2));
    free(out);

    /* refused: a revoked id again, a bad entity, no KEK, an open KEK */
    ck_assert_int_eq(kpsa(kek, &out, "add", "Clock-K", "--kpsa-id", id1),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "revoked ones are never reused"));
    free(out);
    ck_assert_int_eq(kpsa(kek, &out, "add", "Clock-K", "--bytes=16",
                          "--key-file=/dev/null"), 1);
    ck_assert_ptr_nonnull(strstr(out, "--bytes and --key-file exclude each "
                                 "other"));
    free(out);
    ck_assert_int_eq(kpsa(kek, &out, "add", "Clock K", NULL, NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "malformed entity id"));
    free(out);
    ck_assert_int_eq(kpsa(NULL, &out, "add", "Clock-K", NULL, NULL), 2);
    ck_assert_ptr_nonnull(strstr(out, "add needs the KEK: --kek FILE"));
    free(out);
    ck_assert_int_eq(chmod(kek, 0644), 0);
    ck_assert_int_eq(kpsa(kek, &out, "add", "Clock-K", NULL, NULL), 1);
    free(out);

    /* a conninfo's password is never repeated */
    ck_assert_int_eq(harness_run(bad, NULL, 10000, &out), 1);
    ck_assert_ptr_null(strstr(out, "hunter2"));
    free(out);
}
END_TEST

Suite *fleet_sync_suite(void)
{
    return CK_SUITE("fleet_sync",
                    CK_TCASE_MS("sync", setup, teardown, 60000),
                    CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove),
                    CK_TEST(insert_seen_after_notify),
                    CK_TEST(revocation_seen),
                    CK_TEST(source_refuses_loss),
                    CK_TEST(source_down_then_back),
                    CK_TEST(kill9_resumes),
                    CK_TEST(source_change_resyncs),
                    CK_TEST(restore_from_older_backup_resyncs),
                    CK_TEST(rollback_in_place_resyncs),
                    CK_TEST(once_mode),
                    CK_TEST(kpsa_tool_manages_the_source));
}
