/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Child processes: spawning with PR_SET_PDEATHSIG, waiting with a
 * deadline, running a command and collecting its output.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "common/harness_internal.h"

pid_t
harness_spawn(char *const argv[], const char *out_path, int in_fd)
{
    pid_t  pid, parent = getpid();
    int    fd;

    pid = fork();
    if (pid != 0) {
        return pid;
    }
    /* child: a crashed or timed-out test must not leave nginx running */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        _exit(127);
    }
    signal(SIGPIPE, SIG_DFL);
    fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (in_fd >= 0) {
        dup2(in_fd, 0);
    } else {
        fd = open("/dev/null", O_RDONLY);
        dup2(fd, 0);
    }
    execvp(argv[0], argv);
    _exit(127);
}

/* waitpid with a deadline; the status or -1 on timeout */
int
harness_wait_child(pid_t pid, int timeout_ms, int *status)
{
    long long  deadline = harness_now_ms() + timeout_ms;
    int        delay = 1;
    pid_t      r;

    for ( ;; ) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        if (harness_now_ms() >= deadline) {
            return -1;
        }
        harness_nap_ms(delay);
        if (delay < 20) {
            delay *= 2;
        }
    }
}

int
harness_run(char *const argv[], const char *in, int timeout_ms, char **out)
{
    char   path[] = "/tmp/onem2m-run-XXXXXX";
    int    fd, in_pipe[2] = { -1, -1 }, status, rc = -1;
    pid_t  pid;

    fd = mkstemp(path);
    if (fd < 0) {
        return -1;
    }
    close(fd);
    if (in != NULL && pipe2(in_pipe, O_CLOEXEC) != 0) {
        unlink(path);
        return -1;
    }
    pid = harness_spawn(argv, path, in_pipe[0]);
    if (in != NULL) {
        signal(SIGPIPE, SIG_IGN);       /* a child that exits early */
        close(in_pipe[0]);
        harness_write_all(in_pipe[1], in, strlen(in),
                  harness_now_ms() + harness_timeout_ms(IO_TIMEOUT_MS));
        /* stdin stays open until the child exits: some tools stop at EOF */
    }
    if (pid > 0) {
        if (harness_wait_child(pid, timeout_ms, &status) == 0) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        } else {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    if (in != NULL) {
        close(in_pipe[1]);
    }
    if (out != NULL) {
        *out = harness_read_file(path, NULL);
    }
    unlink(path);
    return rc;
}
