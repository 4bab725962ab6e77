/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Upgrading the module and the provider under a running nginx, as a
 * package upgrade or "make install" does: the files are replaced (a new
 * inode renamed over the old path, as dpkg does), nginx keeps running.
 *
 *   - "nginx -s reload" keeps the old code: the module is linked NODELETE
 *     and dlopen() of a path already loaded returns the loaded object, so
 *     the master still maps the replaced, now deleted, files.
 *   - nginx's binary upgrade (SIGUSR2 to the master, then SIGQUIT to the
 *     old master: Debian's "service nginx upgrade") starts a new master
 *     that loads the new files, while a probe doing TLS-PSK requests all
 *     along sees no failure, and the requests after it are served by the
 *     new code alone.
 *
 * "Which code" is read from /proc/<pid>/maps: the inode of the mapped
 * module and provider against the inode of the file now at their path.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define MODULE_NAME    "ngx_http_onem2m_sae_module.so"
#define PROVIDER_NAME  "onem2m.so"

/* requests the probe must complete after the old master is gone */
#define REQUESTS_ON_NEW_CODE  20

/* the module and the provider from the prefix, as an installed system has */
#define UPGRADE_CONF(daemon) \
    "load_module {{PREFIX}}/modules/" MODULE_NAME ";\n" \
    "env LD_LIBRARY_PATH;\n" \
    "daemon " daemon ";\n" \
    "master_process on;\n" \
    "worker_processes 1;\n" \
    "pid {{PREFIX}}/nginx.pid;\n" \
    "error_log {{PREFIX}}/error.log info;\n" \
    "events { worker_connections 128; }\n" \
    "http {\n" \
    "    onem2m_sae_provider_path {{PREFIX}}/ossl-modules;\n" \
    "    access_log off;\n" \
    "    client_body_temp_path {{PREFIX}}/body;\n" \
    "    proxy_temp_path {{PREFIX}}/proxy;\n" \
    "    fastcgi_temp_path {{PREFIX}}/fastcgi;\n" \
    "    uwsgi_temp_path {{PREFIX}}/uwsgi;\n" \
    "    scgi_temp_path {{PREFIX}}/scgi;\n" \
    "    server {\n" \
    SAE_TLS \
    "        onem2m_sae required;\n" \
    "        location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "    }\n" \
    "}\n"

typedef struct {
    int               port;
    volatile int      stop;
    pthread_mutex_t   lock;
    unsigned long     ok;
    unsigned long     failed;
    char              first_failure[256];
} probe;


/* lock 1 over TLS 1.2 and 1.3 in turn, until told to stop */
static void *
probe_run(void *arg)
{
    probe               *p = arg;
    harness_tls_opts     o;
    harness_tls_result   r;
    harness_response     resp;
    unsigned long        n;
    int                  rc, bound;

    for (n = 0; !p->stop; n++) {
        o = sae_lock1(sae_versions[n % SAE_NVERSIONS]);
        rc = harness_tls_request(p->port, &o, "GET", "/", NULL, NULL, &r,
                                 &resp);
        bound = rc == 0 && resp.status == 200;

        pthread_mutex_lock(&p->lock);
        if (bound) {
            p->ok++;
        } else if (p->failed++ == 0) {
            snprintf(p->first_failure, sizeof(p->first_failure),
                     "request %lu: rc %d, status %d, handshake %d, alert %d",
                     n, rc, rc == 0 ? resp.status : 0, r.handshake_ok,
                     r.alert);
        }
        pthread_mutex_unlock(&p->lock);

        if (rc == 0) {
            harness_response_free(&resp);
        }
        harness_tls_result_free(&r);
    }
    return NULL;
}

static unsigned long
probe_ok(probe *p)
{
    unsigned long  ok;

    pthread_mutex_lock(&p->lock);
    ok = p->ok;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

/* waits until the probe has completed n more requests; 0 or -1 */
static int
probe_wait(probe *p, unsigned long n)
{
    unsigned long  until = probe_ok(p) + n;
    int            ms;

    for (ms = 0; probe_ok(p) < until; ms += 10) {
        if (ms > harness_timeout_ms(10000)) {
            return -1;
        }
        usleep(10000);
    }
    return 0;
}

/* copies src to <prefix>/<dir>/<name> through a new inode, as dpkg does */
static void
install_copy(harness_nginx *ng, const char *dir, const char *src,
    const char *name)
{
    char   d[512], tmp[600], dst[600];
    char  *cp[] = { "cp", (char *) src, tmp, NULL };

    snprintf(d, sizeof(d), "%s/%s", harness_nginx_prefix(ng), dir);
    snprintf(tmp, sizeof(tmp), "%s/%s.dpkg-new", d, name);
    snprintf(dst, sizeof(dst), "%s/%s", d, name);
    ck_assert(mkdir(d, 0755) == 0 || errno == EEXIST);
    ck_assert_int_eq(harness_run(cp, NULL, 10000, NULL), 0);
    ck_assert_int_eq(chmod(tmp, 0644), 0);
    ck_assert_int_eq(rename(tmp, dst), 0);
}

static void
install_both(harness_nginx *ng)
{
    char  provider[512];

    snprintf(provider, sizeof(provider), "%s/" PROVIDER_NAME,
             harness_provider_dir());
    install_copy(ng, "modules", harness_module_so(), MODULE_NAME);
    install_copy(ng, "ossl-modules", provider, PROVIDER_NAME);
}

/*
 * What pid maps of <prefix>/<dir>/<name>: 1 the file now at that path,
 * 0 a replaced one (an older inode, "(deleted)"), -1 nothing.
 */
static int
maps_current(harness_nginx *ng, pid_t pid, const char *dir, const char *name)
{
    char                path[600], maps[64], line[1024];
    struct stat         st;
    FILE               *f;
    unsigned long long  ino;
    int                 at, found = -1;

    snprintf(path, sizeof(path), "%s/%s/%s", harness_nginx_prefix(ng), dir,
             name);
    ck_assert_int_eq(stat(path, &st), 0);
    snprintf(maps, sizeof(maps), "/proc/%d/maps", (int) pid);
    f = fopen(maps, "r");
    ck_assert_msg(f != NULL, "%s: %s", maps, strerror(errno));
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, path) == NULL
            || sscanf(line, "%*s %*s %*s %*s %llu %n", &ino, &at) != 1)
        {
            continue;
        }
        if (ino != (unsigned long long) st.st_ino
            || strstr(line + at, "(deleted)") != NULL)
        {
            found = 0;
            break;
        }
        found = 1;
    }
    fclose(f);
    return found;
}

/* the end of the error log: Check's messages are limited in length */
static const char *
log_tail(harness_nginx *ng)
{
    const char  *log = harness_log(ng);
    size_t       len = strlen(log);

    return len > 2000 ? log + len - 2000 : log;
}

static pid_t
read_pid(harness_nginx *ng, const char *file)
{
    char   path[512];
    FILE  *f;
    int    pid = -1;

    snprintf(path, sizeof(path), "%s/%s", harness_nginx_prefix(ng), file);
    f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%d", &pid) != 1) {
            pid = -1;
        }
        fclose(f);
    }
    return (pid_t) pid;
}

/* a prefix with the seed table, the module and the provider installed */
static harness_nginx *
upgrade_prefix(harness_upstream *up, const char *conf)
{
    harness_nginx  *ng = harness_nginx_new();

    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    install_both(ng);
    harness_nginx_set_upstream(ng, up);
    ck_assert_int_eq(harness_nginx_config_raw(ng, conf), 0);
    return ng;
}

/*
 * The masters of the binary upgrade test, stopped on every way out: a
 * daemon has no parent-death signal.
 */
static pid_t  masters[2] = { -1, -1 };

static void
masters_stop(void)
{
    int  i, ms, status;

    for (i = 0; i < 2; i++) {
        if (masters[i] <= 0) {
            continue;
        }
        kill(masters[i], SIGQUIT);
        for (ms = 0; ms < harness_timeout_ms(10000); ms += 10) {
            if (waitpid(masters[i], &status, WNOHANG) == masters[i]
                || kill(masters[i], 0) != 0)
            {
                break;
            }
            usleep(10000);
        }
        kill(masters[i], SIGKILL);
        waitpid(masters[i], &status, WNOHANG);
        masters[i] = -1;
    }
}

#define upgrade_assert(cond, ...) \
    do { \
        if (!(cond)) { \
            masters_stop(); \
            ck_assert_msg(0, __VA_ARGS__); \
        } \
    } while (0)

/* waits until pid has exited (this process reaps it); 0 or -1 */
static int
master_wait(pid_t pid)
{
    int  ms, status;

    for (ms = 0; ms < harness_timeout_ms(10000); ms += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
        }
        usleep(10000);
    }
    return -1;
}


START_TEST(reload_keeps_the_replaced_code)
{
    harness_upstream  *up = sae_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx     *ng = upgrade_prefix(up, UPGRADE_CONF("off"));
    pid_t              master;

    ck_assert_msg(harness_nginx_start(ng) == 0,
                  "nginx did not start; error log:\n%s", harness_log(ng));
    master = harness_nginx_pid(ng);

    ck_assert_int_eq(maps_current(ng, master, "modules", MODULE_NAME), 1);
    ck_assert_int_eq(maps_current(ng, master, "ossl-modules", PROVIDER_NAME),
                     1);

    install_both(ng);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);

    /* what an operator who only reloads still runs */
    ck_assert_int_eq(maps_current(ng, master, "modules", MODULE_NAME), 0);
    ck_assert_int_eq(maps_current(ng, master, "ossl-modules", PROVIDER_NAME),
                     0);

    sae_stop(ng);
    harness_upstream_stop(up);
}
END_TEST

START_TEST(binary_upgrade_loads_the_new_code_without_a_failure)
{
    harness_upstream  *up = sae_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx     *ng;
    probe              p;
    pthread_t          thread;
    pid_t              old = -1, new = -1;
    size_t             workers;
    char              *out = NULL, elog[512];
    char              *argv[] = { (char *) harness_nginx_bin(), "-p", NULL,
                                  "-c", NULL, "-e", elog, NULL };
    int                ms, rc, mod_new, prov_new, waited, stopped;

    /*
     * nginx ignores SIGUSR2 while the process that started it is alive
     * (the old binary's own child would take it), so the master runs as
     * a daemon, as under an init system; as the subreaper this process
     * reaps both masters.
     */
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);

    ng = upgrade_prefix(up, UPGRADE_CONF("on"));
    argv[2] = (char *) harness_nginx_prefix(ng);
    argv[4] = (char *) harness_nginx_conf_path(ng);
    /*
     * the new binary logs before it reads nginx.conf: to -e's file, not the
     * compiled-in default (Debian's exists, a self-built nginx's
     * <prefix>/logs/error.log does not and would be an [alert])
     */
    snprintf(elog, sizeof(elog), "%s/error.log", harness_nginx_prefix(ng));
    rc = harness_run(argv, NULL, harness_timeout_ms(10000), &out);
    free(out);

    /* the daemon writes its pid file after the starting process exits */
    for (ms = 0; rc == 0 && ms < harness_timeout_ms(10000); ms += 10) {
        old = read_pid(ng, "nginx.pid");
        masters[0] = old;
        if (old > 0 && harness_log_contains(ng, "start worker process ")) {
            break;
        }
        usleep(10000);
    }
    upgrade_assert(rc == 0 && old > 0
                   && harness_log_contains(ng, "start worker process "),
                   "nginx did not start; error log:\n%s", log_tail(ng));

    memset(&p, 0, sizeof(p));
    p.port = harness_nginx_port(ng, 0);
    pthread_mutex_init(&p.lock, NULL);
    upgrade_assert(pthread_create(&thread, NULL, probe_run, &p) == 0,
                   "pthread_create");
    waited = probe_wait(&p, 5);

    /* the packages are upgraded: new files at the same paths */
    install_both(ng);
    upgrade_assert(maps_current(ng, old, "modules", MODULE_NAME) == 0,
                   "the old master does not map the replaced module");

    /* step 1: USR2, a new master with the new code next to the old one */
    workers = harness_log_count(ng, "start worker process ");
    kill(old, SIGUSR2);
    for (ms = 0; ms < harness_timeout_ms(10000); ms += 10) {
        new = read_pid(ng, "nginx.pid");
        if (new > 0 && new != old && read_pid(ng, "nginx.pid.oldbin") == old
            && harness_log_count(ng, "start worker process ") > workers)
        {
            break;
        }
        usleep(10000);
    }
    masters[1] = new;
    upgrade_assert(new > 0 && new != old,
                   "no new master after SIGUSR2; error log:\n%s",
                   log_tail(ng));
    mod_new = maps_current(ng, new, "modules", MODULE_NAME);
    prov_new = maps_current(ng, new, "ossl-modules", PROVIDER_NAME);
    waited |= probe_wait(&p, 5);

    /* step 2: QUIT to the old master; its workers finish and exit */
    kill(old, SIGQUIT);
    stopped = master_wait(old);
    masters[0] = -1;

    /* only the new master's workers are left to serve */
    waited |= probe_wait(&p, REQUESTS_ON_NEW_CODE);
    p.stop = 1;
    pthread_join(thread, NULL);
    pthread_mutex_destroy(&p.lock);
    masters_stop();

    ck_assert_msg(p.failed == 0, "%lu of %lu requests failed, the first: %s;"
                  " error log:\n%s", p.failed, p.failed + p.ok,
                  p.first_failure, log_tail(ng));
    ck_assert_msg(mod_new == 1 && prov_new == 1,
                  "the new master maps module %d provider %d, not the new "
                  "files", mod_new, prov_new);
    ck_assert_msg(stopped == 0, "the old master did not exit cleanly:\n%s",
                  log_tail(ng));
    ck_assert_int_eq(waited, 0);
    ck_assert_msg(!harness_log_contains(ng, "[emerg]")
                  && !harness_log_contains(ng, "[alert]")
                  && !harness_log_contains(ng, "[crit]"),
                  "error log:\n%s", log_tail(ng));

    harness_nginx_free(ng);
    harness_upstream_stop(up);
}
END_TEST


Suite *sae_upgrade_suite(void)
{
    return CK_SUITE("sae_upgrade",
                    CK_TCASE_MS("reload", NULL, NULL, 30000),
                    CK_TEST(reload_keeps_the_replaced_code),
                    CK_TCASE_MS("binary upgrade", NULL, NULL, 60000),
                    CK_TEST(binary_upgrade_loads_the_new_code_without_a_failure));
}
