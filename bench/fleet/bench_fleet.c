/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * make bench-fleet: the fleet on one machine, measured (docs/fleet.md).
 * A throwaway PostgreSQL source, three front ends (nginx reading its own
 * LMDB store live, fed by its own onem2m-sync with the default 5 s poll:
 * the wake-ups are NOTIFY's), then:
 *
 *   1. revocation latency: R revocations one after the other; each is
 *      timed from just before its UPDATE until all three nginx refuse a
 *      handshake with the revoked identity (and, for comparison, until
 *      all three stores show the tombstone); p50, p99, max;
 *   2. onboarding under load: 100 inserts/s for S seconds through the
 *      source while psk_load (bench/psk_load.c) runs TLS 1.2 PSK
 *      handshakes against all three nginx with identities that do not
 *      change: their failed handshakes must be 0; every insert must be in
 *      every store at the end.
 *
 * Environment: BENCH_FLEET_REVOCATIONS (100), BENCH_FLEET_SECONDS (60),
 * BENCH_FLEET_RATE (100 inserts/s), BENCH_FLEET_PROCS (1 psk_load
 * process per node), BENCH_FLEET_NGINX=0 (stores and daemons only: the
 * load is then lookups in the three stores).  Not a test: it prints
 * figures.
 */

#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "fleet/fleet.h"

#define NODES          3
#define STABLE         64        /* identities psk_load uses */
#define POLL_US        500
#define WAIT_MS        10000
#define PSK_LOAD       BUILD_DIR "/bench/psk_load"

static fleet_node  nodes[NODES];
static kpsa_store *stores[NODES];
static int         with_nginx;

static int
env_int(const char *name, int def)
{
    const char  *v = getenv(name);

    return v != NULL && atoi(v) > 0 ? atoi(v) : def;
}

static void
die(const char *what)
{
    fprintf(stderr, "bench-fleet: %s\n", what);
    exit(1);
}

/* psk_load's generator, so that its identities are ours: hex of key */
static void
bench_cred(unsigned i, char *id, size_t idlen, char *entity, size_t elen,
    char *key_hex)
{
    uint64_t  x = i;
    char      text[17];
    int       k;

    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;

    snprintf(id, idlen, "bench%07u@bench.example", i);
    snprintf(entity, elen, "Cbench%07u", i);
    snprintf(text, sizeof(text), "%016" PRIx64, x);

    for (k = 0; k < 16; k++) {
        snprintf(key_hex + 2 * k, 3, "%02x", (unsigned char) text[k]);
    }
}

/* one INSERT of credentials [first, first + n) in one transaction */
static void
insert_range(PGconn *c, unsigned first, unsigned n)
{
    char         id[64], entity[64], key_hex[33];
    char         sealed[2 * KPSA_SEALED_MAX + 3];
    char        *sql;
    size_t       cap = (size_t) n * (sizeof(sealed) + 160) + 128, len;
    PGresult    *r;
    unsigned     i;

    sql = malloc(cap);
    if (sql == NULL) {
        die("out of memory");
    }

    len = snprintf(sql, cap, "INSERT INTO onem2m.credentials (kpsa_id, "
                   "entity, sealed) VALUES ");

    for (i = 0; i < n; i++) {
        bench_cred(first + i, id, sizeof(id), entity, sizeof(entity),
                   key_hex);
        if (fleet_sealed_sql(id, entity, key_hex, sealed, sizeof(sealed))
            != 0)
        {
            die("cannot seal");
        }
        len += snprintf(sql + len, cap - len, "%s('%s', '%s', '%s')",
                        i ? ", " : "", id, entity, sealed);
    }

    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "%s", PQerrorMessage(c));
        die("INSERT failed");
    }

    PQclear(r);
    free(sql);
}

static void
source_revoke(PGconn *c, const char *id)
{
    const char  *v[1] = { id };
    PGresult    *r;

    r = PQexecParams(c, "UPDATE onem2m.credentials SET revoked = true "
                     "WHERE kpsa_id = $1", 1, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "%s", PQerrorMessage(c));
        die("UPDATE failed");
    }
    PQclear(r);
}

/* every store shows id as want (1 live, 0 gone) */
static int
stores_are(const char *id, int want)
{
    kpsa_store_rec  rec;
    int             i;

    for (i = 0; i < NODES; i++) {
        if (kpsa_store_get(stores[i], id, strlen(id), &rec) != want) {
            return 0;
        }
    }

    return 1;
}

static int
cmp_ll(const void *a, const void *b)
{
    long long  x = *(const long long *) a, y = *(const long long *) b;

    return x < y ? -1 : x > y;
}

static long long
pct(long long *v, int n, double p)
{
    int  i = (int) (p * n + 0.999999) - 1;

    return v[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

static void
report(const char *what, long long *us, int n)
{
    qsort(us, n, sizeof(*us), cmp_ll);
    printf("%-44s n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms\n", what, n,
           pct(us, n, 0.50) / 1000.0, pct(us, n, 0.99) / 1000.0,
           us[n - 1] / 1000.0);
}

/* 1. revocation latency, R revocations of credentials [base, base+R) */
static void
bench_revocations(PGconn *c, unsigned base, int r)
{
    long long  *all = calloc(r, sizeof(long long));
    long long  *st = calloc(r, sizeof(long long));
    char        id[64], entity[64], key_hex[33];
    long long   t0, deadline;
    int         i, k, done;

    if (all == NULL || st == NULL) {
        die("out of memory");
    }

    for (i = 0; i < r; i++) {
        bench_cred(base + i, id, sizeof(id), entity, sizeof(entity),
                   key_hex);

        for (k = 0; k < NODES && with_nginx; k++) {
            if (!fleet_node_handshake(&nodes[k], id, key_hex)) {
                die("a credential to revoke does not work before");
            }
        }

        t0 = harness_now_us();
        deadline = t0 + 10LL * 1000000;
        source_revoke(c, id);

        while (!stores_are(id, 0)) {
            if (harness_now_us() > deadline) {
                die("a revocation did not reach every store in 10 s");
            }
            usleep(POLL_US);
        }
        st[i] = harness_now_us() - t0;

        /* every nginx refuses it; a refused node is not asked again */
        for (done = with_nginx ? 0 : (1 << NODES) - 1;
             done != (1 << NODES) - 1; )
        {
            for (k = 0; k < NODES; k++) {
                if (!(done & (1 << k))
                    && !fleet_node_handshake(&nodes[k], id, key_hex))
                {
                    done |= 1 << k;
                }
            }
            if (harness_now_us() > deadline) {
                die("a revoked credential still works after 10 s");
            }
        }
        all[i] = harness_now_us() - t0;
    }

    report("revocation -> all 3 stores", st, r);
    if (with_nginx) {
        report("revocation -> refused by all 3 nginx", all, r);
    }
    free(all);
    free(st);
}

/* without nginx: lookups of the stable identities in the three stores */
static volatile int  lookups_stop;
static uint64_t      lookups, lookup_failures;

static void *
lookup_load(void *arg)
{
    kpsa_store_rec  rec;
    char            id[64], entity[64], key[33];
    unsigned        i = 0;
    int             k;

    while (!lookups_stop) {
        bench_cred(i++ % STABLE, id, sizeof(id), entity, sizeof(entity),
                   key);
        for (k = 0; k < NODES; k++) {
            lookups++;
            if (kpsa_store_get(stores[k], id, strlen(id), &rec) != 1) {
                lookup_failures++;
            }
        }
    }

    return NULL;
}

/* psk_load against one node, in the background, its output in a file */
static pid_t
start_load(const fleet_node *n, int seconds, int procs, const char *out)
{
    char   port[16], secs[16], np[16], ents[16];
    char  *argv[] = { PSK_LOAD, "run", "-p", port, "-m", "tls12", "-k", "0",
                      "-t", secs, "-n", np, "-e", ents, NULL };
    pid_t  pid;
    FILE  *f;

    snprintf(port, sizeof(port), "%d", n->port);
    snprintf(secs, sizeof(secs), "%d", seconds);
    snprintf(np, sizeof(np), "%d", procs);
    snprintf(ents, sizeof(ents), "%d", STABLE);

    fflush(NULL);               /* the child's freopen() would repeat it */
    pid = fork();
    if (pid == 0) {
        f = freopen(out, "w", stdout);
        if (f == NULL) {
            _exit(126);
        }
        execv(argv[0], argv);
        _exit(127);
    }

    return pid;
}

/* 2. inserts at rate/s for seconds under handshake load */
static void
bench_onboarding(PGconn *c, unsigned base, int seconds, int rate, int procs)
{
    char        out[NODES][64], line[2048], id[64], entity[64], key[33];
    pid_t       load[NODES];
    long long   t0, next;
    unsigned    n = 0, i;
    int         k, status, missing = 0;
    FILE       *f;

    pthread_t   lt;

    for (k = 0; k < NODES && with_nginx; k++) {
        snprintf(out[k], sizeof(out[k]), "/tmp/onem2m-bench-fleet-%d.%d",
                 (int) getpid(), k);
        load[k] = start_load(&nodes[k], seconds, procs, out[k]);
    }

    if (!with_nginx && pthread_create(&lt, NULL, lookup_load, NULL) != 0) {
        die("no thread");
    }

    t0 = harness_now_us();
    next = t0;

    while (harness_now_us() - t0 < (long long) seconds * 1000000) {
        insert_range(c, base + n, 1);
        n++;
        next += 1000000 / rate;
        if (next > harness_now_us()) {
            usleep((useconds_t) (next - harness_now_us()));
        }
    }

    printf("inserted %u credentials in %.1f s (%.1f/s) under %s load\n", n,
           (harness_now_us() - t0) / 1e6, n / ((harness_now_us() - t0) / 1e6),
           with_nginx ? "handshake" : "lookup");

    if (!with_nginx) {
        lookups_stop = 1;
        pthread_join(lt, NULL);
        printf("store lookups of unchanged identities: %" PRIu64 ", failed: "
               "%" PRIu64 "\n", lookups, lookup_failures);
    }

    for (k = 0; k < NODES && with_nginx; k++) {
        waitpid(load[k], &status, 0);
        f = fopen(out[k], "r");
        if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            printf("node %d psk_load: %s", k + 1, line);
        } else {
            printf("node %d psk_load: no output\n", k + 1);
        }
        if (f != NULL) {
            fclose(f);
        }
        unlink(out[k]);
    }

    /* every insert reached every store (give the last ones a moment) */
    usleep(200000);
    for (i = 0; i < n; i++) {
        bench_cred(base + i, id, sizeof(id), entity, sizeof(entity), key);
        if (!stores_are(id, 1)) {
            missing++;
        }
    }
    printf("inserts missing from a store at the end: %d of %u\n", missing,
           n);
}

int
main(void)
{
    harness_upstream  *up;
    fleet_pg           pg;
    PGconn            *c;
    char               conninfo[512], err[256];
    int                r, seconds, rate, procs, k;

    r = env_int("BENCH_FLEET_REVOCATIONS", 100);
    seconds = env_int("BENCH_FLEET_SECONDS", 60);
    rate = env_int("BENCH_FLEET_RATE", 100);
    procs = env_int("BENCH_FLEET_PROCS", 1);
    with_nginx = getenv("BENCH_FLEET_NGINX") == NULL
                 || strcmp(getenv("BENCH_FLEET_NGINX"), "0") != 0;

    if (fleet_pg_template() != 0 || fleet_pg_new(&pg) != 0) {
        die("no PostgreSQL cluster");
    }

    c = PQconnectdb(fleet_pg_conninfo(&pg, FLEET_WRITER, conninfo,
                                      sizeof(conninfo)));
    if (PQstatus(c) != CONNECTION_OK) {
        die("cannot connect as the writer");
    }

    /* the stable identities and those to revoke, before the nodes */
    insert_range(c, 0, STABLE + r);

    up = with_nginx ? harness_upstream_start(HARNESS_UPSTREAM_HTTP) : NULL;

    for (k = 0; k < NODES; k++) {
        if (fleet_node_start(&nodes[k], &pg, up, NULL, NULL) != 0) {
            die("a node does not start");
        }
        stores[k] = kpsa_store_open(nodes[k].store, 0, err, sizeof(err));
        if (stores[k] == NULL) {
            die(err);
        }
    }

    printf("fleet: %s3 onem2m-sync (poll 5 s), one PostgreSQL 15, %ld "
           "cores\n", with_nginx ? "3 nginx + " : "",
           sysconf(_SC_NPROCESSORS_ONLN));

    bench_revocations(c, STABLE, r);
    bench_onboarding(c, 1000000, seconds, rate, procs);

    for (k = 0; k < NODES; k++) {
        kpsa_store_close(stores[k]);
        fleet_node_stop(&nodes[k]);
    }

    if (up != NULL) {
        harness_upstream_stop(up);
    }
    PQfinish(c);
    fleet_pg_free(&pg);
    fleet_pg_template_remove();
    return 0;
}
