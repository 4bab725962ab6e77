/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --reload: "nginx -t" on the configuration that reads the table just
 * written, then a reload of the running master: SIGHUP to the pid in
 * --pid-file, or "nginx -s reload", which finds the master through the
 * pid file nginx.conf names (nginx's compiled-in default otherwise).
 * nginx's own output goes to stderr; stdout is kept for the credential.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kpsa.h"

#define NGINX_DEFAULT   "/usr/sbin/nginx"

/*
 * Runs argv with its stdout and stderr on stderr, and a copy of them in
 * out (NUL-terminated, cut at outlen - 1) when out is not NULL; the exit
 * status, -1 when it did not run.
 */
static int
run(char *const argv[], char *out, size_t outlen)
{
    char     buf[512];
    pid_t    pid;
    ssize_t  n;
    size_t   len = 0, take;
    int      status, fd[2] = { -1, -1 };

    fflush(NULL);

    if (out != NULL && pipe(fd) == -1) {
        kpsa_err("cannot create a pipe (%s)", strerror(errno));
        return -1;
    }

    pid = fork();

    if (pid == -1) {
        kpsa_err("cannot fork (%s)", strerror(errno));
        if (out != NULL) {
            close(fd[0]);
            close(fd[1]);
        }
        return -1;
    }

    if (pid == 0) {
        if (out != NULL) {
            dup2(fd[1], STDERR_FILENO);
            close(fd[0]);
            close(fd[1]);
        }
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execv(argv[0], argv);
        kpsa_err("cannot run %s (%s)", argv[0], strerror(errno));
        _exit(127);
    }

    if (out != NULL) {
        close(fd[1]);
        while ((n = read(fd[0], buf, sizeof(buf))) != 0) {
            if (n == -1 && errno == EINTR) {
                continue;
            }
            if (n == -1) {
                break;
            }
            /* nginx's own words still reach the operator */
            (void) !write(STDERR_FILENO, buf, n);
            take = (size_t) n < outlen - 1 - len ? (size_t) n
                                                 : outlen - 1 - len;
            memcpy(out + len, buf, take);
            len += take;
        }
        close(fd[0]);
        out[len] = '\0';
    }

    while (waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR) {
            return -1;
        }
    }

    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }

    kpsa_err("%s died of signal %d", argv[0], WTERMSIG(status));
    return -1;
}

/*
 * nginx [-p prefix] [-c conf] <a> [<b>].  Paths are made absolute: nginx
 * reads a relative -c inside the prefix, the operator meant the current
 * directory.
 */
static int
run_nginx(const kpsa_opts *o, const char *a, const char *b, char *out,
    size_t outlen)
{
    char  *argv[10], *prefix = NULL, *conf = NULL;
    int    n = 0, rc = -1;

    argv[n++] = (char *) (o->nginx ? o->nginx : NGINX_DEFAULT);

    if (o->nginx_prefix != NULL) {
        prefix = realpath(o->nginx_prefix, NULL);
        if (prefix == NULL) {
            kpsa_err("--nginx-prefix %s: %s", o->nginx_prefix,
                     strerror(errno));
            goto done;
        }
        argv[n++] = "-p";
        argv[n++] = prefix;
    }

    if (o->nginx_conf != NULL) {
        conf = realpath(o->nginx_conf, NULL);
        if (conf == NULL) {
            kpsa_err("--nginx-conf %s: %s", o->nginx_conf, strerror(errno));
            goto done;
        }
        argv[n++] = "-c";
        argv[n++] = conf;
    }

    argv[n++] = (char *) a;
    if (b != NULL) {
        argv[n++] = (char *) b;
    }
    argv[n] = NULL;

    rc = run(argv, out, outlen);

done:

    free(prefix);
    free(conf);
    return rc;
}

/* SIGHUP to the pid in file; KPSA_RELOAD_NOT_RUNNING when none runs */
static int
signal_pid_file(const char *file)
{
    char   buf[32], *end;
    FILE  *f;
    long   pid;
    size_t n;

    f = fopen(file, "re");
    if (f == NULL) {
        if (errno == ENOENT) {
            kpsa_err("nginx is not running (no pid file %s)", file);
            return KPSA_RELOAD_NOT_RUNNING;
        }
        kpsa_err("%s: cannot open (%s)", file, strerror(errno));
        return -1;
    }

    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';

    if (n == 0) {
        kpsa_err("nginx is not running (the pid file %s is empty)", file);
        return KPSA_RELOAD_NOT_RUNNING;
    }

    errno = 0;
    pid = strtol(buf, &end, 10);

    if (errno != 0 || end == buf || (*end != '\n' && *end != '\0')
        || pid <= 1)
    {
        kpsa_err("%s: no process id in it", file);
        return -1;
    }

    if (kill((pid_t) pid, SIGHUP) == -1) {
        if (errno == ESRCH) {
            kpsa_err("nginx is not running (no process %ld, the pid in %s)",
                     pid, file);
            return KPSA_RELOAD_NOT_RUNNING;
        }
        kpsa_err("%s: cannot signal process %ld (%s)", file, pid,
                 strerror(errno));
        return -1;
    }

    return 0;
}

/*
 * What "nginx -s reload" says when no master runs: the pid file its
 * configuration names is missing or empty (nginx -t as root leaves an
 * empty one behind), or names a process that is gone.
 */
static int
not_running(const char *out)
{
    return strstr(out, "invalid PID number \"\"") != NULL
           || (strstr(out, "open() \"") != NULL
               && strstr(out, "failed (2: No such file or directory)")
                  != NULL)
           || strstr(out, "failed (3: No such process)") != NULL;
}

int
kpsa_reload(const kpsa_opts *o)
{
    char  out[2048];
    int   rc;

    /* -q: errors only (the seed's short keys would warn every time) */
    rc = run_nginx(o, "-t", "-q", NULL, 0);

    if (rc != 0) {
        kpsa_err("nginx -t failed (exit status %d)", rc);
        return -1;
    }

    if (o->pid_file != NULL) {
        return signal_pid_file(o->pid_file);
    }

    rc = run_nginx(o, "-s", "reload", out, sizeof(out));

    if (rc != 0 && not_running(out)) {
        kpsa_err("nginx is not running (nginx -s reload found no master)");
        return KPSA_RELOAD_NOT_RUNNING;
    }

    if (rc != 0) {
        kpsa_err("nginx -s reload failed (exit status %d)", rc);
        return -1;
    }

    return 0;
}
