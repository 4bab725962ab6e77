/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A live store damaged under a running nginx, with three servers: one
 * reading the store (kpsa-lmdb:), one with a text table, one plain HTTP
 * server with the status page.  data.mdb truncated (meta pages kept),
 * overwritten with random bytes, emptied: the store's server refuses psk
 * handshakes, logged once a second at most, the other two keep serving,
 * no worker dies, the status page says the store is down, and a restored
 * file is read again without a reload.  Also: "nginx -t" and a reload
 * with a damaged store, reader slots of dead processes (a revocation and
 * a reload still go through), and a store replaced on disk.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <check.h>

#include <lmdb.h>

#include "check_cases.h"
#include "integration/live_fixture.h"

#define KPSA_TOOL  BUILD_DIR "/tools/onem2m-kpsa"

/* the live store on {{PORT}}, the text table on {{PORT1}}, plain on %d */
#define DAMAGE_SERVERS \
    LIVE_SERVER \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT1}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n" \
    "server {\n" \
    "    listen 127.0.0.1:%d;\n" \
    "    location = /metrics { onem2m_sae_status; }\n" \
    "    location / { return 200 \"plain\\n\"; }\n" \
    "}\n"

static int   plain_port;
static char  conf[8192];

/*
 * The last 3000 bytes of s: a Check failure message longer than its pipe
 * buffer makes Check exit(2) instead of reporting the failure.
 */
static const char *
tail_of(const char *s)
{
    size_t  len = strlen(s);

    return len > 3000 ? s + len - 3000 : s;
}

/* the end of the error log: Check's messages are limited in size */
static const char *
log_tail(void)
{
    return tail_of(harness_log(ls.ng));
}

/* a plain HTTP GET: the whole response, "" when none came */
static const char *
plain_get(const char *uri)
{
    static char     buf[16384];
    struct timeval  tv;
    size_t          len = 0;
    ssize_t         n;
    char            req[256];
    int             fd, ms = harness_timeout_ms(5000);

    buf[0] = '\0';
    fd = harness_connect(plain_port);
    if (fd < 0) {
        return buf;
    }

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n",
                 uri);
    if (write(fd, req, (size_t) n) == n) {
        while (len < sizeof(buf) - 1
               && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        {
            len += (size_t) n;
        }
    }

    buf[len] = '\0';
    close(fd);

    return buf;
}

/* lock 1 through the text-table server: bound and forwarded */
static int
text_server_serves(void)
{
    harness_tls_opts    o = sae_lock1(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    int                 rc;

    memset(&resp, 0, sizeof(resp));
    rc = harness_tls_request(harness_nginx_port(ls.ng, 1), &o, "GET", "/",
                             NULL, NULL, &r, &resp);
    rc = rc == 0 && r.handshake_ok ? resp.status : 0;
    harness_tls_result_free(&r);
    harness_response_free(&resp);

    return rc == 200;
}

/* a store directory of the test to the workers' user, as the fixture's */
static void
live_give_dir(const char *dir)
{
    live_store  *tmp = malloc(sizeof(live_store));

    ck_assert_ptr_nonnull(tmp);
    *tmp = ls;
    ck_assert_uint_lt(strlen(dir), sizeof(tmp->dir));
    memcpy(tmp->dir, dir, strlen(dir) + 1);
    live_give_to_workers(tmp);
    free(tmp);
}

/*
 * Under valgrind, tests/integration/valgrind-live-damage.supp for this
 * nginx only: a worker whose read faulted abandoned its LMDB read
 * transaction by design.  The wrapper is put back once nginx runs.
 */
static char *
damage_wrapper(void)
{
    static char  w[2048];
    const char  *old = getenv("ONEM2M_TEST_NGINX_WRAPPER");
    char        *saved;

    if (old == NULL || strncmp(old, "valgrind", 8) != 0) {
        return NULL;
    }

    saved = strdup(old);
    ck_assert_ptr_nonnull(saved);
    snprintf(w, sizeof(w), "%s --suppressions=%s", old,
             TOP_SRCDIR "/tests/integration/valgrind-live-damage.supp");
    ck_assert_int_eq(setenv("ONEM2M_TEST_NGINX_WRAPPER", w, 1), 0);

    return saved;
}

/* whether process pid maps path (its reader of the store is open) */
static int
maps_file(long pid, const char *path)
{
    char   maps[64], line[1024];
    FILE  *f;
    int    found = 0;

    snprintf(maps, sizeof(maps), "/proc/%ld/maps", pid);
    f = fopen(maps, "r");
    if (f == NULL) {
        return 0;
    }

    while (!found && fgets(line, sizeof(line), f) != NULL) {
        found = strstr(line, path) != NULL;
    }

    fclose(f);

    return found;
}

/*
 * harness_nginx_start() returns once the master has forked its first
 * worker, not once each worker has run init_process.  On a loaded machine
 * a worker can open its reader after the test damaged the store: it then
 * says so at its start ("cannot open the live store ... in this worker")
 * and starts down, so worker 0's tick has no change of state to log and
 * the "cannot be read" line never comes.  The tests damage a store that
 * every worker has open: both workers map data.mdb first.
 */
static void
damage_wait_workers_opened(void)
{
    const char  *log, *p;
    char         path[600], *real;
    long         pids[2];
    long long    deadline;
    int          n, i, open;

    real = realpath(ls.dir, NULL);
    ck_assert_ptr_nonnull(real);
    snprintf(path, sizeof(path), "%s/data.mdb", real);
    free(real);

    deadline = harness_deadline_ms(10000);

    for ( ;; ) {
        log = harness_log(ls.ng);
        n = 0;
        for (p = log; n < 2 && (p = strstr(p, "start worker process "))
                                != NULL; p++)
        {
            pids[n++] = strtol(p + sizeof("start worker process ") - 1,
                               NULL, 10);
        }

        for (open = 0, i = 0; i < n; i++) {
            open += maps_file(pids[i], path);
        }

        if (open == 2) {
            return;
        }

        ck_assert_msg(harness_now_ms() < deadline, "%d of 2 workers opened "
                      "%s:\n%s", open, path, log_tail());
        usleep(20 * 1000);
    }
}

/* nginx with the three servers and two workers, started, store open */
static void
damage_start(void)
{
    char  *saved;
    int    rc;

    plain_port = harness_free_port();
    ck_assert_int_gt(plain_port, 0);
    snprintf(conf, sizeof(conf), DAMAGE_SERVERS, plain_port);

    live_new(&ls, up, conf);
    ck_assert_int_eq(harness_nginx_write_file(ls.ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    harness_nginx_set_workers(ls.ng, 2);
    ck_assert_int_eq(harness_nginx_config(ls.ng, conf), 0);

    saved = damage_wrapper();
    rc = harness_nginx_start(ls.ng);

    if (saved != NULL) {
        ck_assert_int_eq(setenv("ONEM2M_TEST_NGINX_WRAPPER", saved, 1), 0);
        free(saved);
    }

    ck_assert_msg(rc == 0, "nginx did not start; error log:\n%s",
                  log_tail());
    damage_wait_workers_opened();
}

static const char *
data_mdb(void)
{
    static char  path[600];

    snprintf(path, sizeof(path), "%s/data.mdb", ls.dir);
    return path;
}

static off_t
data_size(void)
{
    struct stat  st;

    ck_assert_int_eq(stat(data_mdb(), &st), 0);
    return st.st_size;
}

/* the whole file, to write back in place (same inode) */
static char *
save_store(size_t *len)
{
    char   *copy;
    int     fd;

    *len = (size_t) data_size();
    copy = malloc(*len);
    ck_assert_ptr_nonnull(copy);
    fd = open(data_mdb(), O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, copy, *len, 0), (ssize_t) *len);
    close(fd);

    return copy;
}

static void
restore_store(const char *copy, size_t len)
{
    int  fd;

    fd = open(data_mdb(), O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, copy, len, 0), (ssize_t) len);
    close(fd);
}

static void
scribble(off_t from, off_t to)
{
    unsigned char  buf[4096];
    unsigned       seed = 12345;
    off_t          off;
    size_t         i, n;
    int            fd;

    fd = open(data_mdb(), O_WRONLY);
    ck_assert_int_ge(fd, 0);

    for (off = from; off < to; off += (off_t) n) {
        n = (size_t) (to - off) < sizeof(buf) ? (size_t) (to - off)
                                              : sizeof(buf);
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (unsigned char) (seed >> 16);
        }
        ck_assert_int_eq(pwrite(fd, buf, n, off), (ssize_t) n);
    }

    close(fd);
}

/* the three ways an operator's cp or a partial restore leaves the file */
static const char  *damages[] = { "truncated to 8192 bytes",
                                  "random bytes over its pages",
                                  "emptied" };

static void
damage(int how)
{
    switch (how) {
    case 0:
        ck_assert_int_eq(truncate(data_mdb(), 8192), 0);
        break;
    case 1:
        scribble(8192, data_size());
        break;
    default:
        ck_assert_int_eq(truncate(data_mdb(), 0), 0);
    }
}

static void
assert_no_worker_died(void)
{
    ck_assert_msg(harness_log_count(ls.ng, "exited on signal") == 0
                  && harness_log_count(ls.ng, "exited with fatal code") == 0,
                  "a worker died:\n%s", log_tail());
}

START_TEST(damaged_store_fails_closed_others_serve)
{
    harness_tls_opts  o = sae_lock1(sae_versions[_i % SAE_NVERSIONS]);
    char              want[1400], *copy;
    size_t            len, refused_lines;
    int               i, how = _i / SAE_NVERSIONS, status = 0;
    struct timespec   t0, t1;

    damage_start();
    ck_assert_int_eq(live_status_of(&ls, &o, "/before"), 200);
    copy = save_store(&len);

    damage(how);

    /* 30 handshakes over about 2 seconds: each refused, no worker dies */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < 30; i++) {
        ck_assert_msg(live_status_of(&ls, &o, "/damaged") == 0,
                      "%s: handshake %d bound", damages[how], i);
        usleep(70 * 1000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    ck_assert_msg(text_server_serves(), "%s: the text-table server "
                  "stopped serving:\n%s", damages[how], log_tail());
    ck_assert_msg(strstr(plain_get("/"), "200 OK") != NULL, "%s: the plain "
                  "server stopped serving", damages[how]);

    snprintf(want, sizeof(want), "onem2m_sae_store_up{store=\"kpsa-lmdb:%s\"}"
             " 0\n", ls.dir);
    ck_assert_msg(strstr(plain_get("/metrics"), want) != NULL,
                  "%s: no \"%s\" in:\n%s", damages[how], want,
                  tail_of(plain_get("/metrics")));

    snprintf(want, sizeof(want), "onem2m sae: live store \"kpsa-lmdb:%s\" "
             "cannot be read: ", ls.dir);
    ck_assert_msg(harness_log_wait(ls.ng, want, 3000),
                  "%s: no \"%s\":\n%s", damages[how], want,
                  log_tail());
    ck_assert_uint_eq(harness_log_count(ls.ng, want), 1);

    /* at most one line a second per worker, not one per handshake */
    refused_lines = harness_log_count(ls.ng, "the psk table failed the "
                                             "lookup of psk identity");
    ck_assert_msg(refused_lines <= 2 * (size_t) (t1.tv_sec - t0.tv_sec + 2),
                  "%s: %zu lines for 30 refused handshakes", damages[how],
                  refused_lines);
    assert_no_worker_died();

    /* the file whole again: read again without a reload */
    restore_store(copy, len);
    free(copy);

    for (i = 0; i < 50 && status != 200; i++) {
        usleep(100 * 1000);
        status = live_status_of(&ls, &o, "/restored");
    }

    ck_assert_msg(status == 200, "%s: not read again:\n%s", damages[how],
                  log_tail());
    snprintf(want, sizeof(want), "onem2m sae: live store \"kpsa-lmdb:%s\" "
             "can be read again", ls.dir);
    ck_assert_msg(harness_log_wait(ls.ng, want, 3000),
                  "%s", log_tail());
    assert_no_worker_died();
    live_free(&ls, 1);
}
END_TEST

/*
 * Workers started while the store is empty (the master replaces two
 * killed ones): they do not exit, they serve the text-table and plain
 * servers, and say why the store's server refuses.
 */
START_TEST(workers_started_on_an_empty_store_serve)
{
    harness_tls_opts   o = sae_lock1(TLS1_3_VERSION);
    const char        *log, *p;
    char               want[1400];
    long               pids[8];
    int                n = 0, i;

    damage_start();
    ck_assert_int_eq(live_status_of(&ls, &o, "/"), 200);
    ck_assert_int_eq(truncate(data_mdb(), 0), 0);

    for (i = 0; i < 50 && harness_log_count(ls.ng, "start worker process ")
                          < 2; i++)
    {
        usleep(100 * 1000);
    }

    log = harness_log(ls.ng);
    for (p = log; n < 8 && (p = strstr(p, "start worker process ")) != NULL;
         p++)
    {
        pids[n++] = strtol(p + sizeof("start worker process ") - 1, NULL,
                           10);
    }
    ck_assert_int_eq(n, 2);

    for (i = 0; i < n; i++) {
        ck_assert_int_eq(kill((pid_t) pids[i], SIGKILL), 0);
    }

    snprintf(want, sizeof(want), "onem2m sae: cannot open the live store "
             "\"kpsa-lmdb:%s\" in this worker: %s/data.mdb: 0 bytes, "
             "shorter than LMDB's meta pages: damaged store", ls.dir, ls.dir);

    for (i = 0; i < 50 && harness_log_count(ls.ng, want) < 2; i++) {
        usleep(100 * 1000);
    }

    ck_assert_msg(harness_log_count(ls.ng, want) == 2, "expected \"%s\" "
                  "twice:\n%s", want, log_tail());
    ck_assert(text_server_serves());
    ck_assert_ptr_nonnull(strstr(plain_get("/"), "200 OK"));
    ck_assert_int_eq(live_status_of(&ls, &o, "/"), 0);
    ck_assert_msg(harness_log_count(ls.ng, "exited with fatal code") == 0
                  && harness_log_count(ls.ng, "exited on signal")
                     == harness_log_count(ls.ng, "exited on signal 9"),
                  "%s", log_tail());
    live_free(&ls, 0);
}
END_TEST

/*
 * nginx -t names the damaged store ([emerg], no Bus error); a reload
 * keeps the running configuration: the master lives, the old workers
 * serve the text-table and plain servers.
 */
START_TEST(test_and_reload_with_a_damaged_store)
{
    const char  *out;
    char         want[700];
    pid_t        master;

    damage_start();
    master = harness_nginx_pid(ls.ng);
    ck_assert_int_eq(truncate(data_mdb(), 8192), 0);

    ck_assert_int_ne(harness_nginx_test(ls.ng, &out), 0);
    snprintf(want, sizeof(want), "%s/data.mdb: 8192 bytes, shorter than the ",
             ls.dir);
    ck_assert_msg(strstr(out, "[emerg]") != NULL
                  && strstr(out, want) != NULL
                  && strstr(out, "damaged store") != NULL
                  && strstr(out, "Bus error") == NULL,
                  "nginx -t said: %s", out);

    ck_assert_int_eq(harness_nginx_reload(ls.ng), -1);
    ck_assert_int_eq(kill(master, 0), 0);
    ck_assert_msg(strstr(harness_log(ls.ng), want) != NULL, "%s",
                  log_tail());
    ck_assert(text_server_serves());
    ck_assert_ptr_nonnull(strstr(plain_get("/"), "200 OK"));
    assert_no_worker_died();
    live_free(&ls, 1);
}
END_TEST

/* reader slots of exited processes, until lock.mdb's table is full */
static int
leave_dead_readers(const char *dir)
{
    MDB_env  *env;
    MDB_txn  *txn;
    int       n, rc, status;
    pid_t     pid;

    for (n = 0; n < 4096; n++) {
        pid = fork();
        ck_assert_int_ge(pid, 0);

        if (pid == 0) {
            rc = mdb_env_create(&env);
            if (rc == 0) {
                rc = mdb_env_set_maxdbs(env, 4);
            }
            if (rc == 0) {
                rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0644);
            }
            if (rc == 0) {
                rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
            }
            _exit(rc == MDB_READERS_FULL ? 3 : rc == 0 ? 0 : 4);
        }

        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));

        if (WEXITSTATUS(status) == 3) {
            return n;
        }

        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }

    ck_abort_msg("the reader table never filled");
    return -1;
}

/*
 * A full reader table of dead processes never blocks a revocation or a
 * reload: each clears the slots first and says so.
 */
START_TEST(dead_readers_never_block_revocation_or_reload)
{
    harness_tls_opts  o = sae_lock1(TLS1_3_VERSION);
    char             *argv[8], store[600], *out = NULL, want[700];
    int               dead, rc;

    live_start(&ls, up, LIVE_SERVER);
    ck_assert_int_eq(live_status_of(&ls, &o, "/"), 200);

    dead = leave_dead_readers(ls.dir);
    ck_assert_int_ge(dead, 125);
    ck_assert_msg(harness_nginx_reload(ls.ng) == 0, "reload refused:\n%s",
                  log_tail());
    snprintf(want, sizeof(want), "stale reader slots of dead processes "
             "cleared");
    ck_assert_msg(strstr(harness_log(ls.ng), want) != NULL, "%s",
                  log_tail());

    dead = leave_dead_readers(ls.dir);
    ck_assert_int_ge(dead, 125);
    snprintf(store, sizeof(store), "kpsa-lmdb:%s", ls.dir);
    argv[0] = KPSA_TOOL;
    argv[1] = "-f";
    argv[2] = store;
    argv[3] = "del";
    argv[4] = HARNESS_LOCK1_KPSA_ID;
    argv[5] = NULL;
    rc = harness_run(argv, NULL, harness_timeout_ms(20000), &out);
    ck_assert_msg(rc == 0, "del failed: %s", out);
    snprintf(want, sizeof(want), "%s: %d stale reader slots of dead "
             "processes cleared", ls.dir, dead);
    ck_assert_msg(strstr(out, want) != NULL, "expected \"%s\" in: %s", want,
                  out);
    free(out);

    ck_assert_int_eq(live_status_of(&ls, &o, "/"), 0);
    live_free(&ls, 1);
}
END_TEST

/*
 * A store rebuilt into a new directory and renamed into place: the
 * workers reopen it within about a second, a credential absent from it
 * stops binding without a reload, the log and the status page say so.
 */
START_TEST(replaced_store_is_reopened)
{
    harness_tls_opts  o1 = sae_lock1(TLS1_3_VERSION);
    harness_tls_opts  o2 = sae_lock2(TLS1_2_VERSION);
    kpsa_store       *n;
    harness_response  resp;
    unsigned char     check[KPSA_KEK_CHECK_LEN], sealed[KPSA_SEALED_MAX];
    char              err[256], next[600], old[600], want[700];
    size_t            sealed_len;
    struct stat       st;
    int               i, status = 200;

    live_start(&ls, up, LIVE_SERVER);
    ck_assert_int_eq(live_status_of(&ls, &o1, "/"), 200);

    /* the new store: lock 2 only */
    snprintf(next, sizeof(next), "%s.new", ls.dir);
    snprintf(old, sizeof(old), "%s.old", ls.dir);
    ck_assert_int_eq(mkdir(next, 0755), 0);
    n = kpsa_store_open(next, 1, err, sizeof(err));
    ck_assert_msg(n != NULL, "%s", err);
    ck_assert(kpsa_kek_check_make(ls.kek, check));
    ck_assert(kpsa_envelope_seal(ls.kek, HARNESS_LOCK2_KPSA_ID,
                                 HARNESS_LOCK2_ENTITY, SAE_LOCK2_KEY,
                                 sizeof(SAE_LOCK2_KEY), sealed, &sealed_len));
    ck_assert(kpsa_store_begin(n));
    ck_assert(kpsa_store_set_kek_check(n, check, sizeof(check)));
    ck_assert(kpsa_store_put(n, HARNESS_LOCK2_KPSA_ID, HARNESS_LOCK2_ENTITY,
                             sealed, sealed_len, 1));
    ck_assert(kpsa_store_set_meta(n, 1, (int64_t) time(NULL), "rebuilt"));
    ck_assert(kpsa_store_commit(n));
    kpsa_store_close(n);
    live_give_dir(next);
    ck_assert_int_eq(stat(next, &st), 0);

    ck_assert_int_eq(rename(ls.dir, old), 0);
    ck_assert_int_eq(rename(next, ls.dir), 0);
    snprintf(want, sizeof(want), "%s/data.mdb", ls.dir);
    ck_assert_int_eq(stat(want, &st), 0);

    for (i = 0; i < 40 && status == 200; i++) {
        usleep(100 * 1000);
        status = live_status_of(&ls, &o1, "/after");
    }

    ck_assert_msg(status == 0, "lock 1 still binds from the old store:\n%s",
                  log_tail());
    ck_assert_int_eq(live_status_of(&ls, &o2, "/after"), 200);

    /* the status page names the data.mdb in use: the new one */
    memset(&resp, 0, sizeof(resp));
    ck_assert_int_eq(live_request(&ls, &o2, "/metrics", &resp), 200);
    snprintf(want, sizeof(want), "onem2m_sae_store_inode{store=\"kpsa-lmdb:"
             "%s\",dev=\"%llu\"} %llu\n", ls.dir,
             (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
    ck_assert_msg(strstr(resp.body, want) != NULL, "no \"%s\" in:\n%s",
                  want, resp.body);
    harness_response_free(&resp);

    snprintf(want, sizeof(want), "onem2m sae: live store \"kpsa-lmdb:%s\" "
             "was replaced on disk (data.mdb inode ", ls.dir);
    ck_assert_msg(harness_log_wait(ls.ng, want, 3000),
                  "%s", log_tail());
    snprintf(want, sizeof(want), ", now %llu): reopened",
             (unsigned long long) st.st_ino);
    ck_assert_msg(strstr(harness_log(ls.ng), want) != NULL, "%s",
                  log_tail());
    live_free(&ls, 1);
}
END_TEST

Suite *live_damage_suite(void)
{
    return CK_SUITE("live_damage",
                    CK_TCASE_MS("damage", live_setup, live_teardown, 30000),
                    CK_LOOP(damaged_store_fails_closed_others_serve,
                            3 * SAE_NVERSIONS),
                    CK_TEST(workers_started_on_an_empty_store_serve),
                    CK_TEST(test_and_reload_with_a_damaged_store),
                    CK_TCASE_MS("readers", live_setup, live_teardown, 30000),
                    CK_TEST(dead_readers_never_block_revocation_or_reload),
                    CK_TCASE_MS("replaced", live_setup, live_teardown, 30000),
                    CK_TEST(replaced_store_is_reopened));
}
