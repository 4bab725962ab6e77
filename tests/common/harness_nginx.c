/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nginx itself: the prefix, its files, start, reload, stop and the
 * error log.
 */

#define _GNU_SOURCE

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/harness_internal.h"

harness_nginx *
harness_nginx_new(void)
{
    harness_nginx  *ng;
    const char     *cert_pem, *key_pem;

    harness_cert(&cert_pem, &key_pem);
    ng = calloc(1, sizeof(*ng));
    if (ng == NULL) {
        return NULL;
    }
    strcpy(ng->prefix, "/tmp/onem2m-it-XXXXXX");
    if (mkdtemp(ng->prefix) == NULL || chmod(ng->prefix, 0755) != 0) {
        free(ng);
        return NULL;
    }
    snprintf(ng->conf, sizeof(ng->conf), "%s/nginx.conf", ng->prefix);
    snprintf(ng->errlog, sizeof(ng->errlog), "%s/error.log", ng->prefix);
    snprintf(ng->stderr_log, sizeof(ng->stderr_log), "%s/stderr.log",
             ng->prefix);
    ng->port[0] = harness_free_port();
    do {
        ng->port[1] = harness_free_port();
    } while (ng->port[1] == ng->port[0]);
    ng->master = 1;
    ng->workers = 1;
    ng->pid = -1;
    if (harness_nginx_write_file(ng, "cert.pem", cert_pem, 0644) != 0
        || harness_nginx_write_file(ng, "cert.key", key_pem, 0600) != 0)
    {
        harness_nginx_free(ng);
        return NULL;
    }
    return ng;
}

const char *
harness_nginx_prefix(const harness_nginx *ng)
{
    return ng->prefix;
}

int
harness_nginx_port(const harness_nginx *ng, int i)
{
    return ng->port[i != 0];
}

void
harness_nginx_set_upstream(harness_nginx *ng, harness_upstream *up)
{
    ng->upstream_port = up ? harness_upstream_port(up) : 0;
}

void
harness_nginx_set_master(harness_nginx *ng, int on)
{
    ng->master = on;
}

void
harness_nginx_set_workers(harness_nginx *ng, int n)
{
    ng->workers = n;
}

pid_t
harness_nginx_pid(const harness_nginx *ng)
{
    return ng->pid;
}

const char *
harness_nginx_conf_path(const harness_nginx *ng)
{
    return ng->conf;
}

int
harness_nginx_write_file(harness_nginx *ng, const char *name,
    const char *content, mode_t mode)
{
    char     path[512];
    size_t   len = strlen(content);
    int      fd;

    snprintf(path, sizeof(path), "%s/%s", ng->prefix, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return -1;
    }
    if (write(fd, content, len) != (ssize_t) len || fchmod(fd, mode) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}


static char **
nginx_argv(harness_nginx *ng, const char *extra)
{
    const char  *w = getenv("ONEM2M_TEST_NGINX_WRAPPER");
    const char  *lib = harness_env_or("ONEM2M_TEST_LIBRARY_PATH", NULL);
    char       **argv, *copy, *tok, *save;
    size_t       n = 0;

    argv = harness_xmalloc(64 * sizeof(char *));
    if (lib != NULL) {
        /* nginx's OpenSSL, not the tests' */
        argv[n++] = strdup("env");
        argv[n] = harness_xmalloc(strlen(lib) + sizeof("LD_LIBRARY_PATH="));
        sprintf(argv[n++], "LD_LIBRARY_PATH=%s", lib);
    }
    if (w != NULL && *w != '\0') {
        size_t  first = n;

        copy = strdup(w);
        for (tok = strtok_r(copy, " \t", &save); tok != NULL && n < 50;
             tok = strtok_r(NULL, " \t", &save))
        {
            argv[n++] = strdup(tok);
            if (n == first + 1 && strcmp(tok, "valgrind") == 0) {
                /* nginx core's own by-design leaks */
                argv[n++] = strdup("--suppressions=" TOP_SRCDIR
                                   "/tests/integration/valgrind-nginx.supp");
            }
        }
        free(copy);
    }
    argv[n++] = strdup(harness_nginx_bin());
    argv[n++] = strdup("-p");
    argv[n++] = strdup(ng->prefix);
    argv[n++] = strdup("-e");
    argv[n++] = strdup(ng->errlog);
    argv[n++] = strdup("-c");
    argv[n++] = strdup(ng->conf);
    if (extra != NULL) {
        argv[n++] = strdup(extra);
    }
    argv[n] = NULL;
    return argv;
}

static void
argv_free(char **argv)
{
    size_t  i;

    for (i = 0; argv[i] != NULL; i++) {
        free(argv[i]);
    }
    free(argv);
}


int
harness_nginx_test(harness_nginx *ng, const char **out)
{
    char  **argv = nginx_argv(ng, "-t");
    char   *text = NULL;
    int     rc;

    rc = harness_run(argv, NULL, harness_timeout_ms(START_TIMEOUT_MS),
                     &text);
    argv_free(argv);
    free(ng->test_out);
    ng->test_out = text;
    if (out != NULL) {
        *out = ng->test_out;
    }
    return rc;
}

static int
port_used(harness_nginx *ng, int i)
{
    char  *text = harness_read_file(ng->conf, NULL), pat[32];
    int    used;

    snprintf(pat, sizeof(pat), ":%d", ng->port[i]);
    used = strstr(text, pat) != NULL;
    free(text);
    return used;
}

/*
 * One round of waiting for nginx to come up: 0 to poll again (after a
 * nap), -1 when nginx exited (then it is no longer running) or the
 * deadline passed.
 */
static int
start_wait(harness_nginx *ng, long long deadline)
{
    int  status;

    if (waitpid(ng->pid, &status, WNOHANG) == ng->pid) {
        ng->pid = -1;
        return -1;
    }
    if (harness_now_ms() > deadline) {
        return -1;
    }
    harness_nap_ms(5);
    return 0;
}

int
harness_nginx_start(harness_nginx *ng)
{
    char      **argv;
    long long   deadline;
    int         i, fd;

    argv = nginx_argv(ng, NULL);
    ng->pid = harness_spawn(argv, ng->stderr_log, -1);
    argv_free(argv);
    if (ng->pid < 0) {
        return -1;
    }
    deadline = harness_now_ms() + harness_timeout_ms(START_TIMEOUT_MS);
    for (i = 0; i < 2; i++) {
        if (!port_used(ng, i)) {
            continue;
        }
        for ( ;; ) {
            fd = harness_tcp_connect(ng->port[i], 200);
            if (fd >= 0) {
                close(fd);
                break;
            }
            if (start_wait(ng, deadline) != 0) {
                return -1;
            }
        }
    }
    /*
     * The master listens before it installs its signal handlers and forks:
     * a SIGHUP or SIGQUIT sent now would kill it, a client would wait for a
     * worker.  Ready means a worker has started ("start worker process
     * <pid>", not the "start worker processes" logged before the fork).
     */
    while (ng->master && !harness_log_contains(ng, "start worker process ")) {
        if (start_wait(ng, deadline) != 0) {
            return -1;
        }
    }
    return 0;
}

/* pids whose parent is ppid */
static size_t
children_of(pid_t ppid, pid_t *out, size_t max)
{
    DIR            *d = opendir("/proc");
    struct dirent  *e;
    size_t          n = 0;
    char            path[300], *text, *rp;
    int             pp;

    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        text = harness_read_file(path, NULL);
        rp = strrchr(text, ')');
        if (rp != NULL && sscanf(rp + 2, "%*c %d", &pp) == 1
            && pp == ppid)
        {
            out[n++] = (pid_t) atoi(e->d_name);
        }
        free(text);
    }
    closedir(d);
    return n;
}

static int
pid_alive(pid_t pid)
{
    char   path[64], *text, *rp;
    int    alive;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    text = harness_read_file(path, NULL);
    rp = strrchr(text, ')');
    alive = rp != NULL && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
    free(text);
    return alive;
}

int
harness_nginx_reload_start(harness_nginx *ng)
{
    size_t      off;
    long long   deadline;
    const char *log, *tail;

    if (ng->pid <= 0) {
        return -2;
    }
    ng->nold = children_of(ng->pid, ng->old, 16);
    off = strlen(harness_log(ng));
    kill(ng->pid, SIGHUP);
    deadline = harness_now_ms() + harness_timeout_ms(START_TIMEOUT_MS);
    for ( ;; ) {
        log = harness_log(ng);
        tail = strlen(log) >= off ? log + off : log;
        if (strstr(tail, "[emerg]") != NULL) {
            ng->nold = 0;
            return -1;
        }
        if (strstr(tail, "start worker process ") != NULL) {
            return 0;
        }
        if (harness_now_ms() > deadline) {
            return -2;
        }
        harness_nap_ms(5);
    }
}

int
harness_nginx_reload_wait_old(harness_nginx *ng)
{
    long long  deadline;
    size_t     i;

    deadline = harness_now_ms() + harness_timeout_ms(STOP_TIMEOUT_MS);

    /* the old workers stop accepting only when they exit */
    for (i = 0; i < ng->nold; i++) {
        while (pid_alive(ng->old[i])) {
            if (harness_now_ms() > deadline) {
                return -2;
            }
            harness_nap_ms(5);
        }
    }
    ng->nold = 0;
    return 0;
}

int
harness_nginx_reload(harness_nginx *ng)
{
    int  rc = harness_nginx_reload_start(ng);

    return rc != 0 ? rc : harness_nginx_reload_wait_old(ng);
}

int
harness_nginx_stop(harness_nginx *ng)
{
    int  status = 0, rc = 0;

    if (ng->pid <= 0) {
        return -1;
    }
    kill(ng->pid, SIGQUIT);
    if (harness_wait_child(ng->pid, harness_timeout_ms(STOP_TIMEOUT_MS),
                           &status) != 0)
    {
        kill(ng->pid, SIGKILL);
        waitpid(ng->pid, &status, 0);
        rc = -1;
    }
    ng->pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = -1;
    }
    harness_log(ng);
    if (strstr(ng->log, "exited on signal") != NULL) {
        rc = -1;
    }
    {
        const char  *p = ng->log;

        while ((p = strstr(p, "exited with code ")) != NULL) {
            p += strlen("exited with code ");
            if (*p != '0') {
                rc = -1;
            }
        }
    }
    return rc;
}

void
harness_nginx_free(harness_nginx *ng)
{
    const char  *keep = getenv("ONEM2M_TEST_KEEP");
    char        *argv[] = { "rm", "-rf", NULL, NULL };

    if (ng == NULL) {
        return;
    }
    if (ng->pid > 0) {
        harness_nginx_stop(ng);
    }
    if (keep != NULL && strcmp(keep, "1") == 0) {
        fprintf(stderr, "harness: kept %s\n", ng->prefix);
    } else {
        argv[2] = ng->prefix;
        harness_run(argv, NULL, 10000, NULL);
    }
    free(ng->log);
    free(ng->test_out);
    free(ng);
}

const char *
harness_log(harness_nginx *ng)
{
    free(ng->log);
    ng->log = harness_read_file(ng->errlog, NULL);
    return ng->log;
}

int
harness_log_contains(harness_nginx *ng, const char *needle)
{
    return strstr(harness_log(ng), needle) != NULL;
}

size_t
harness_log_count(harness_nginx *ng, const char *needle)
{
    const char  *p = harness_log(ng);
    size_t       n = 0;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

int
harness_log_wait(harness_nginx *ng, const char *needle, int timeout_ms)
{
    return harness_log_wait_count(ng, needle, 1, timeout_ms);
}

int
harness_log_wait_count(harness_nginx *ng, const char *needle, size_t n,
    int timeout_ms)
{
    long long  deadline = harness_deadline_ms(timeout_ms);

    for ( ;; ) {
        if (harness_log_count(ng, needle) >= n) {
            return 1;
        }
        if (harness_now_ms() > deadline) {
            return 0;
        }
        harness_nap_ms(5);
    }
}
