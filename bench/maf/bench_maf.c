/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * make bench-maf: Key Registration and Key Retrieval per second through
 * nginx with the module (one worker) in front of onem2m-maf (one thread,
 * one PostgreSQL connection), on loopback, with tests/maf's fixture.
 *
 *   1. Key Registration with a Key Value on keep-alive TLS-PSK
 *      connections (the phone, BENCH_MAF_CLIENTS connections);
 *   2. Key Retrieval of those keys by the target, the same way;
 *   3. Key Registration from the exporter: one TLS 1.3 PSK handshake per
 *      key (a session gives one key).
 *
 * Each phase runs BENCH_MAF_SECONDS (10); it prints requests/s, p50 and
 * p99 latency (a new connection every 500 requests: nginx's
 * keepalive_requests), and the CPU seconds of onem2m-maf, the nginx worker and
 * PostgreSQL's backends over the phase (what limits it).  Run inside a
 * Check runner (no fork) because the fixture asserts with Check.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "maf/maf_fixture.h"

#define MAX_CLIENTS  8
#define MAX_SAMPLES  400000

static maf_env      env;
static int          seconds, clients;
static char        *rels[MAX_SAMPLES];
static size_t       nrels;
static pthread_mutex_t  lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    int         phase;
    long long   until;
    size_t      n, errors;
    double     *lat;
} worker;

static double
now_s(void)
{
    return fleet_now_us() / 1e6;
}

/* CPU seconds (user + system) of pid, or of the children of ppid */
static double
cpu_of(pid_t pid, pid_t ppid)
{
    DIR            *d = opendir("/proc");
    struct dirent  *e;
    char            path[64], buf[1024], *p;
    double          total = 0;
    long            tck = sysconf(_SC_CLK_TCK);
    FILE           *f;

    while (d != NULL && (e = readdir(d)) != NULL) {
        unsigned long  ut, st;
        int            pp;
        pid_t          id = (pid_t) atoi(e->d_name);

        if (id <= 0 || (ppid == 0 && id != pid)) {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%d/stat", id);
        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        if (fgets(buf, sizeof(buf), f) != NULL
            && (p = strrchr(buf, ')')) != NULL
            && sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                      "%lu %lu", &pp, &ut, &st) == 3
            && (ppid == 0 || pp == ppid))
        {
            total += (double) (ut + st) / tck;
        }
        fclose(f);
    }

    if (d != NULL) {
        closedir(d);
    }
    return total;
}

static pid_t
nginx_worker(void)
{
    DIR            *d = opendir("/proc");
    struct dirent  *e;
    char            path[300], buf[512], *p;
    pid_t           w = 0;
    FILE           *f;
    int             pp;

    while (d != NULL && (e = readdir(d)) != NULL && w == 0) {
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        if (fgets(buf, sizeof(buf), f) != NULL
            && (p = strrchr(buf, ')')) != NULL
            && sscanf(p + 2, "%*c %d", &pp) == 1
            && pp == harness_nginx_pid(env.ng))
        {
            w = (pid_t) atoi(e->d_name);
        }
        fclose(f);
    }
    if (d != NULL) {
        closedir(d);
    }
    return w;
}

static void *
run(void *arg)
{
    worker        *w = arg;
    harness_conn  *c = NULL;
    maf_answer     a;
    char          *body, rb[128];
    double         t0;
    size_t         i = 0;

    body = maf_key_body(MAF_INCSE_ID,
                        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 3600,
                        32);

    while (fleet_now_ms() < w->until && w->n < MAX_SAMPLES / MAX_CLIENTS) {
        /* nginx closes after keepalive_requests (1000) */
        if (c != NULL && w->n % 500 == 499) {
            harness_conn_close(c);
            c = NULL;
        }

        t0 = now_s();

        if (w->phase == 1) {
            if (c == NULL) {
                c = maf_connect(&env, MAF_PHONE_KMID);
            }
            maf_post_on(c, "/maf/v1/keyRegistration", body, &a);
            if (a.rsc == 2001) {
                pthread_mutex_lock(&lock);
                if (nrels < MAX_SAMPLES) {
                    rels[nrels++] = strdup(maf_str(&a, "relativeKeyID"));
                }
                pthread_mutex_unlock(&lock);
            }
        } else if (w->phase == 2) {
            if (c == NULL) {
                c = maf_connect(&env, MAF_INCSE_KMID);
            }
            pthread_mutex_lock(&lock);
            snprintf(rb, sizeof(rb), "{\"relativeKeyID\": \"%s\"}",
                     rels[i++ % nrels]);
            pthread_mutex_unlock(&lock);
            maf_post_on(c, "/maf/v1/keyRetrieval", rb, &a);
        } else {
            char  *eb = maf_key_body(MAF_INCSE_ID, NULL, 3600, 32);

            maf_post(&env, MAF_PHONE_KMID, "POST", "/maf/v1/keyRegistration",
                     eb, NULL, NULL, &a);
            free(eb);
        }

        if (a.rsc != (w->phase == 2 ? 2000 : 2001)) {
            w->errors++;
        }
        maf_answer_free(&a);
        w->lat[w->n++] = now_s() - t0;
    }

    if (c != NULL) {
        harness_conn_close(c);
    }
    free(body);
    return NULL;
}

static int
cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

static void
phase(int which, const char *name, int n)
{
    pthread_t   t[MAX_CLIENTS];
    worker      w[MAX_CLIENTS];
    double     *all, c0[3], c1[3], t0, t1;
    size_t      total = 0, errors = 0, k;
    pid_t       wk = nginx_worker();
    int         i;

    c0[0] = cpu_of(env.maf, 0);
    c0[1] = cpu_of(wk, 0);
    c0[2] = cpu_of(0, env.pg.pid);
    t0 = now_s();

    for (i = 0; i < n; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].phase = which;
        w[i].until = fleet_now_ms() + seconds * 1000LL;
        w[i].lat = calloc(MAX_SAMPLES / MAX_CLIENTS, sizeof(double));
        pthread_create(&t[i], NULL, run, &w[i]);
    }

    for (i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += w[i].n;
        errors += w[i].errors;
    }

    t1 = now_s();
    c1[0] = cpu_of(env.maf, 0);
    c1[1] = cpu_of(wk, 0);
    c1[2] = cpu_of(0, env.pg.pid);

    all = calloc(total + 1, sizeof(double));
    for (i = 0, k = 0; i < n; i++) {
        memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
        k += w[i].n;
        free(w[i].lat);
    }
    qsort(all, total, sizeof(double), cmp);

    printf("%-44s %2d conn %7.0f/s  p50 %6.2f ms  p99 %6.2f ms  errors %zu"
           "  cpu s: maf %.1f nginx %.1f postgres %.1f (of %.1f)\n",
           name, n, total / (t1 - t0), 1e3 * all[total / 2],
           1e3 * all[total * 99 / 100], errors, c1[0] - c0[0],
           c1[1] - c0[1], c1[2] - c0[2], t1 - t0);
    fflush(stdout);
    free(all);
}

START_TEST(bench)
{
    const char  *v;

    seconds = (v = getenv("BENCH_MAF_SECONDS")) ? atoi(v) : 10;
    clients = (v = getenv("BENCH_MAF_CLIENTS")) ? atoi(v) : 4;
    if (clients < 1 || clients > MAX_CLIENTS) {
        clients = 4;
    }

    maf_env_start(&env, NULL);
    maf_register(&env, MAF_PHONE_KMID, 3600);

    printf("onem2m-maf behind nginx (1 worker), PostgreSQL 15 (fsync off), "
           "loopback, %d s a phase\n", seconds);
    phase(1, "Key Registration (keyValue, keep-alive)", clients);
    phase(2, "Key Retrieval (keep-alive)", clients);
    phase(3, "Key Registration (exporter, handshake each)", clients);
    maf_env_stop(&env);
}
END_TEST

int
main(void)
{
    Suite    *s = suite_create("bench_maf");
    TCase    *tc = maf_tcase(s, "bench", 600);
    SRunner  *sr;
    int       failed;

    tcase_add_test(tc, bench);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_print(sr, failed ? CK_NORMAL : CK_SILENT);
    srunner_free(sr);
    return failed ? 1 : 0;
}
