/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The demo scripts under test: spawn, "ready:", stop (see demo.h).
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>

#include "common/demo.h"
#include "common/harness.h"


static char  dir[256];       /* TMPDIR of the demo, holds stderr.log */
static int   guard_fd = -1;


const char *
demo_dir(void)
{
    return dir;
}


/*
 * The end of the demo's stderr (nginx's logs, make, the script's
 * messages): where a failure shows, short enough for Check's messages
 * (BUFSIZ).
 */
char *
demo_stderr(void)
{
    static char  buf[4096];
    char         path[300];
    ssize_t      n;
    off_t        size;
    int          fd;

    snprintf(path, sizeof(path), "%s/stderr.log", dir);
    buf[0] = '\0';
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        return buf;
    }
    size = lseek(fd, 0, SEEK_END);
    lseek(fd, size > (off_t) sizeof(buf) - 1
              ? size - (off_t) sizeof(buf) + 1 : 0, SEEK_SET);
    n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);

    return buf;
}


/*
 * The guardian: Check's forked test process _exit()s on a failed
 * assertion, without teardown.  A child of setup() reads the demo's
 * process group ids from a pipe; at EOF without the final 0 (the test
 * died) it stops what is left of the group (the script's TERM trap first,
 * then SIGKILL) and names the kept directory.  PR_SET_PDEATHSIG of the
 * script covers a guardian killed along with the test (Check's timeout).
 */
static void
guardian(int fd)
{
    pid_t      pgid, v;
    long long  deadline;

    pgid = 0;
    v = 1;
    while (read(fd, &v, sizeof(v)) == (ssize_t) sizeof(v)) {
        if (v != 0) {
            pgid = v;
        }
    }
    if (v == 0) {
        _exit(0);
    }

    if (pgid > 0 && kill(-pgid, SIGTERM) == 0) {
        deadline = harness_now_ms() + harness_timeout_ms(15000);
        while (kill(-pgid, 0) == 0 && harness_now_ms() < deadline) {
            usleep(20000);
        }
        kill(-pgid, SIGKILL);
    }
    fprintf(stderr, "demo: failed, kept %s\n", dir);
    _exit(0);
}


static void
guard(pid_t v)
{
    if (guard_fd >= 0) {
        ck_assert_int_eq(write(guard_fd, &v, sizeof(v)), sizeof(v));
    }
}


void
demo_setup(demo_t *demo, const char *name)
{
    pid_t  pid;
    int    fds[2];

    signal(SIGPIPE, SIG_IGN);

    demo->pid = -1;
    demo->pgid = -1;
    demo->out_fd = -1;

    snprintf(dir, sizeof(dir), "/tmp/onem2m-test-%s.XXXXXX", name);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* nginx's workers (www-data under root) pass through to the prefixes */
    ck_assert_int_eq(chmod(dir, 0755), 0);

    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[1]);
        guardian(fds[0]);
    }
    close(fds[0]);
    guard_fd = fds[1];
}


void
demo_teardown(demo_t *demo)
{
    char  *argv[] = { "rm", "-rf", dir, NULL };
    char  *out = NULL;
    int    status;

    if (demo->pid > 0) {
        /* the script's TERM trap stops its servers */
        kill(-demo->pid, SIGTERM);
        if (demo_wait_exit(demo, harness_timeout_ms(15000), &status) != 0) {
            kill(-demo->pid, SIGKILL);
            waitpid(demo->pid, &status, 0);
            demo->pid = -1;
        }
    }
    if (demo->out_fd >= 0) {
        close(demo->out_fd);
        demo->out_fd = -1;
    }

    /* the test passed: the guardian has nothing to do */
    guard(0);
    close(guard_fd);
    guard_fd = -1;

    if (getenv("ONEM2M_TEST_KEEP") != NULL) {
        fprintf(stderr, "kept %s\n", dir);
        return;
    }
    harness_run(argv, NULL, harness_timeout_ms(10000), &out);
    free(out);
}


/* a free port for each of the demo's, all different; as text in port */
static void
demo_pick_ports(demo_t *demo, char port[][16])
{
    int  i, j, again;

    ck_assert_int_le(demo->nports, DEMO_MAX_PORTS);
    for (i = 0; i < demo->nports; i++) {
        while (demo->port[i] <= 0) {
            demo->port[i] = harness_free_port();
            ck_assert_int_gt(demo->port[i], 0);
            for (again = 0, j = 0; j < i; j++) {
                again |= demo->port[j] == demo->port[i];
            }
            if (again) {
                demo->port[i] = 0;
            }
        }
        snprintf(port[i], 16, "%d", demo->port[i]);
    }
}

/* the child: stdout to the pipe, stderr to path, the environment, exec */
static void
demo_exec(demo_t *demo, int out_fd, const char *path, char port[][16],
    pid_t parent)
{
    char         name[64];
    const char  *eq;
    size_t       len;
    int          fd, i;

    /* a crashed or timed-out test stops the demo (its TERM trap) */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        _exit(127);
    }
    setpgid(0, 0);
    /* an ignored SIGINT could not be trapped by the script */
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(out_fd, 1) < 0 || dup2(fd, 2) < 0) {
        _exit(127);
    }
    fd = open("/dev/null", O_RDONLY);
    if (fd < 0 || dup2(fd, 0) < 0) {
        _exit(127);
    }

    setenv("BUILD", BUILD_DIR, 1);
    setenv("NGX_BIN", harness_nginx_bin(), 1);
    setenv("NGX_MODULE", harness_module_so(), 1);
    setenv("ONEM2M_PROVIDER_DIR", harness_provider_dir(), 1);
    setenv("TMPDIR", dir, 1);
    for (i = 0; i < demo->nports; i++) {
        setenv(demo->port_env[i], port[i], 1);
    }
    for (i = 0; i < 4 && demo->env[i] != NULL; i++) {
        eq = strchr(demo->env[i], '=');
        len = eq != NULL ? (size_t) (eq - demo->env[i]) : sizeof(name);
        if (len >= sizeof(name)) {
            _exit(127);
        }
        memcpy(name, demo->env[i], len);
        name[len] = '\0';
        setenv(name, eq + 1, 1);
    }

    execl(demo->script, demo->script, (char *) NULL);
    _exit(127);
}

void
demo_spawn(demo_t *demo)
{
    char   path[300], port[DEMO_MAX_PORTS][16];
    int    fds[2];
    pid_t  parent = getpid();

    demo_pick_ports(demo, port);

    snprintf(path, sizeof(path), "%s/stderr.log", dir);
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);

    demo->pid = fork();
    ck_assert_int_ge(demo->pid, 0);

    if (demo->pid == 0) {
        demo_exec(demo, fds[1], path, port, parent);
    }

    /* both sides, so that a signal to the group cannot miss the script */
    setpgid(demo->pid, demo->pid);
    demo->pgid = demo->pid;
    guard(demo->pgid);
    close(fds[1]);
    demo->out_fd = fds[0];
    demo->out_len = 0;
    demo->out[0] = '\0';
}


int
demo_wait_exit(demo_t *demo, int timeout_ms, int *status)
{
    long long  deadline;
    pid_t      rc;

    deadline = harness_now_ms() + timeout_ms;

    for ( ;; ) {
        rc = waitpid(demo->pid, status, WNOHANG);
        if (rc == demo->pid) {
            demo->pid = -1;
            return 0;
        }
        ck_assert_int_eq(rc, 0);
        if (harness_now_ms() >= deadline) {
            return -1;
        }
        usleep(10000);
    }
}


int
demo_wait_ready(demo_t *demo, int timeout_ms, int *status)
{
    struct pollfd   pfd;
    long long       deadline;
    ssize_t         n;
    int             left;

    deadline = harness_now_ms() + timeout_ms;

    for ( ;; ) {
        if (strncmp(demo->out, "ready:", 6) == 0
            || strstr(demo->out, "\nready:") != NULL)
        {
            return 1;
        }

        left = (int) (deadline - harness_now_ms());
        if (left <= 0) {
            return -1;
        }

        pfd.fd = demo->out_fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, left) <= 0) {
            continue;
        }

        n = read(demo->out_fd, demo->out + demo->out_len,
                 sizeof(demo->out) - demo->out_len - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* EOF: the script and its children closed stdout */
            ck_assert_msg(demo_wait_exit(demo, harness_timeout_ms(15000),
                                         status) == 0,
                          "stdout closed, the script still runs");
            return 0;
        }
        demo->out_len += n;
        demo->out[demo->out_len] = '\0';
        ck_assert_uint_lt(demo->out_len, sizeof(demo->out) - 1);
    }
}


void
demo_start(demo_t *demo)
{
    int  attempt, rc, status, i;

    for (attempt = 0; ; attempt++) {
        for (i = 0; i < demo->nports; i++) {
            demo->port[i] = 0;
        }
        demo_spawn(demo);

        /* the script runs make when something is not built yet */
        rc = demo_wait_ready(demo, harness_timeout_ms(120000), &status);
        if (rc == 1) {
            return;
        }
        ck_assert_msg(rc == 0, "no \"ready\" from %s; stdout:\n%s\n"
                      "stderr:\n%s", demo->script, demo->out,
                      demo_stderr());

        close(demo->out_fd);
        demo->out_fd = -1;

        ck_assert_msg(attempt < 2
                      && (strstr(demo_stderr(), "is in use;") != NULL
                          || strstr(demo_stderr(), "Address already in use")
                             != NULL),
                      "%s exited with status %d before \"ready\"; "
                      "stderr:\n%s", demo->script, status, demo_stderr());
    }
}


void
demo_assert_port_free(int port)
{
    struct sockaddr_in  sin;
    int                 fd, one = 1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0
                  && errno == ECONNREFUSED,
                  "port %d still accepts", port);
    close(fd);

    /* like nginx: SO_REUSEADDR, TIME_WAIT of old connections is fine */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
                                sizeof(one)), 0);
    ck_assert_msg(bind(fd, (struct sockaddr *) &sin, sizeof(sin)) == 0
                  && listen(fd, 1) == 0,
                  "port %d not free: %s", port, strerror(errno));
    close(fd);
}


const char *
demo_echoed_header(const char *json, const char *name)
{
    static char   value[512];
    char          key[128];
    const char   *p, *end;

    snprintf(key, sizeof(key), "\"%s\": \"", name);
    p = strstr(json, "\"headers\": {");
    ck_assert_msg(p != NULL, "not the stand-in's JSON: %s", json);
    p = strstr(p, key);
    if (p == NULL) {
        return NULL;
    }
    p += strlen(key);
    end = strchr(p, '"');
    ck_assert_ptr_nonnull(end);
    ck_assert_uint_lt((size_t) (end - p), sizeof(value));
    memcpy(value, p, end - p);
    value[end - p] = '\0';

    return value;
}
