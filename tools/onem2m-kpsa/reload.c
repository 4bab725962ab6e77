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

/* runs argv with stdout on stderr; the exit status, -1 when it did not */
static int
run(char *const argv[])
{
    pid_t  pid;
    int    status;

    fflush(NULL);
    pid = fork();

    if (pid == -1) {
        kpsa_err("cannot fork (%s)", strerror(errno));
        return -1;
    }

    if (pid == 0) {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execv(argv[0], argv);
        kpsa_err("cannot run %s (%s)", argv[0], strerror(errno));
        _exit(127);
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
run_nginx(const kpsa_opts *o, const char *a, const char *b)
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

    rc = run(argv);

done:

    free(prefix);
    free(conf);
    return rc;
}

static int
signal_pid_file(const char *file)
{
    char   buf[32], *end;
    FILE  *f;
    long   pid;
    size_t n;

    f = fopen(file, "re");
    if (f == NULL) {
        kpsa_err("%s: cannot open (%s): is nginx running?", file,
                 strerror(errno));
        return -1;
    }

    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';

    errno = 0;
    pid = strtol(buf, &end, 10);

    if (errno != 0 || end == buf || (*end != '\n' && *end != '\0')
        || pid <= 1)
    {
        kpsa_err("%s: no process id in it", file);
        return -1;
    }

    if (kill((pid_t) pid, SIGHUP) == -1) {
        kpsa_err("%s: cannot signal process %ld (%s)", file, pid,
                 strerror(errno));
        return -1;
    }

    return 0;
}

int
kpsa_reload(const kpsa_opts *o)
{
    int  rc;

    /* -q: errors only (the seed's short keys would warn every time) */
    rc = run_nginx(o, "-t", "-q");

    if (rc != 0) {
        kpsa_err("nginx -t failed (exit status %d)", rc);
        return -1;
    }

    if (o->pid_file != NULL) {
        return signal_pid_file(o->pid_file);
    }

    rc = run_nginx(o, "-s", "reload");

    if (rc != 0) {
        kpsa_err("nginx -s reload failed (exit status %d)", rc);
        return -1;
    }

    return 0;
}
