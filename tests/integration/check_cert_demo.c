/*
 * The certificate-based SAE demo as an operator runs it: conf/run-cert-demo
 * ("make run-cert") with the build under test, on free ports.  It issues
 * its throwaway PKI, starts the CSE stand-in, the IN-CSE (Debian's nginx
 * with the module, conf/nginx-in-cse.conf) and the gateway (stock nginx,
 * conf/nginx-in-cse-upstream.conf) and prints "ready: ..." on stdout.
 *
 * Then what the demo promises, through the gateway's plain HTTP port:
 * the IN-CSE binds the gateway's CSE-ID certificate ("/mn-cse-123456",
 * credential 32-mn-cse-123456.m2m.sp.com, a forged identity header from
 * the local CSE is replaced), refuses the gateway claiming a listed CSE
 * (4106), and refuses a TLS client without a certificate.  SIGINT to the
 * demo's process group (Ctrl-C), or SIGTERM to the script alone, stops
 * everything: the script exits 0, no process of its group is left, the
 * ports are free, its temporary directory is gone.
 */

#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <openssl/ssl.h>

#include "common/harness.h"


#define SP_DOMAIN    "m2m.sp.com"
#define GATEWAY_ID   "mn-cse-123456"
#define ENTITY_HDR   "X-Onem2m-Sae-Entity"
#define CRED_HDR     "X-Onem2m-Sae-Credential"

#define DEMO_SCRIPT  TOP_SRCDIR "/conf/run-cert-demo"


typedef struct {
    pid_t    pid;           /* the script, until it exited */
    pid_t    pgid;          /* its process group: its pid */
    int      out_fd;        /* its stdout (a pipe) */
    char     out[16384];    /* what it printed on stdout so far */
    size_t   out_len;
    int      port[3];       /* gateway, IN-CSE, stand-in */
} demo_t;

#define GATEWAY   0
#define IN_CSE    1
#define STAND_IN  2

static char    dir[256];     /* TMPDIR of the demo, holds stderr.log */
static demo_t  demo;


static long long
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/*
 * The end of the demo's stderr (nginx's logs, make, the script's
 * messages): where a failure shows, short enough for Check's messages
 * (BUFSIZ).
 */
static char *
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
static int  guard_fd = -1;

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
        deadline = now_ms() + harness_timeout_ms(15000);
        while (kill(-pgid, 0) == 0 && now_ms() < deadline) {
            usleep(20000);
        }
        kill(-pgid, SIGKILL);
    }
    fprintf(stderr, "cert_demo: failed, kept %s\n", dir);
    _exit(0);
}


static void
guard(pid_t v)
{
    if (guard_fd >= 0) {
        ck_assert_int_eq(write(guard_fd, &v, sizeof(v)), sizeof(v));
    }
}


static void
demo_spawn(void)
{
    char   path[300], port[3][16];
    int    fds[2], fd, i;
    pid_t  parent = getpid();

    for (i = 0; i < 3; i++) {
        do {
            demo.port[i] = harness_free_port();
            ck_assert_int_gt(demo.port[i], 0);
        } while ((i > 0 && demo.port[i] == demo.port[0])
                 || (i > 1 && demo.port[i] == demo.port[1]));
        snprintf(port[i], sizeof(port[i]), "%d", demo.port[i]);
    }

    snprintf(path, sizeof(path), "%s/stderr.log", dir);
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);

    demo.pid = fork();
    ck_assert_int_ge(demo.pid, 0);

    if (demo.pid == 0) {
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
        if (fd < 0 || dup2(fds[1], 1) < 0 || dup2(fd, 2) < 0) {
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
        setenv("GATEWAY_PORT", port[GATEWAY], 1);
        setenv("IN_CSE_PORT", port[IN_CSE], 1);
        setenv("STAND_IN_PORT", port[STAND_IN], 1);

        execl(DEMO_SCRIPT, DEMO_SCRIPT, (char *) NULL);
        _exit(127);
    }

    /* both sides, so that a signal to the group cannot miss the script */
    setpgid(demo.pid, demo.pid);
    demo.pgid = demo.pid;
    guard(demo.pgid);
    close(fds[1]);
    demo.out_fd = fds[0];
    demo.out_len = 0;
    demo.out[0] = '\0';
}


/* waitpid with a deadline; 0 and *status, or -1 on timeout */
static int
demo_wait_exit(int timeout_ms, int *status)
{
    long long  deadline;
    pid_t      rc;

    deadline = now_ms() + timeout_ms;

    for ( ;; ) {
        rc = waitpid(demo.pid, status, WNOHANG);
        if (rc == demo.pid) {
            demo.pid = -1;
            return 0;
        }
        ck_assert_int_eq(rc, 0);
        if (now_ms() >= deadline) {
            return -1;
        }
        usleep(10000);
    }
}


/*
 * Reads the demo's stdout until a line starts with "ready:" (1), the
 * script exits before (0, *status set) or the deadline passes (-1).
 */
static int
demo_wait_ready(int timeout_ms, int *status)
{
    struct pollfd   pfd;
    long long       deadline;
    ssize_t         n;
    int             left;

    deadline = now_ms() + timeout_ms;

    for ( ;; ) {
        if (strncmp(demo.out, "ready:", 6) == 0
            || strstr(demo.out, "\nready:") != NULL)
        {
            return 1;
        }

        left = (int) (deadline - now_ms());
        if (left <= 0) {
            return -1;
        }

        pfd.fd = demo.out_fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, left) <= 0) {
            continue;
        }

        n = read(demo.out_fd, demo.out + demo.out_len,
                 sizeof(demo.out) - demo.out_len - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* EOF: the script and its children closed stdout */
            ck_assert_msg(demo_wait_exit(harness_timeout_ms(15000), status)
                          == 0, "stdout closed, the script still runs");
            return 0;
        }
        demo.out_len += n;
        demo.out[demo.out_len] = '\0';
        ck_assert_uint_lt(demo.out_len, sizeof(demo.out) - 1);
    }
}


/*
 * Starts the demo and waits for "ready".  Ports are picked free but other
 * tests may take one meanwhile: the demo then refuses to start, and is
 * started again on new ports (three times at most).
 */
static void
demo_start(void)
{
    int  attempt, rc, status;

    for (attempt = 0; ; attempt++) {
        demo_spawn();

        /* the script runs make when the stand-in is not built yet */
        rc = demo_wait_ready(harness_timeout_ms(120000), &status);
        if (rc == 1) {
            return;
        }
        ck_assert_msg(rc == 0, "no \"ready\" from %s; stdout:\n%s\n"
                      "stderr:\n%s", DEMO_SCRIPT, demo.out, demo_stderr());

        close(demo.out_fd);
        demo.out_fd = -1;

        ck_assert_msg(attempt < 2
                      && (strstr(demo_stderr(), "is in use;") != NULL
                          || strstr(demo_stderr(), "Address already in use")
                             != NULL),
                      "%s exited with status %d before \"ready\"; "
                      "stderr:\n%s", DEMO_SCRIPT, status, demo_stderr());
    }
}


/* the temporary directory the demo names on stdout: dir/onem2m-cert-demo.* */
static void
demo_tmp_dir(char *path, size_t size)
{
    const char  *p, *end;
    size_t       len;

    len = strlen(dir);
    p = strstr(demo.out, dir);
    while (p != NULL && strncmp(p + len, "/onem2m-cert-demo.", 18) != 0) {
        p = strstr(p + 1, dir);
    }
    ck_assert_msg(p != NULL, "no temporary directory in:\n%s", demo.out);

    end = p + len + 18;
    while (*end != '\0' && *end != '\n' && *end != ' ' && *end != '/') {
        end++;
    }
    ck_assert_uint_lt((size_t) (end - p), size);
    memcpy(path, p, end - p);
    path[end - p] = '\0';
}


/* a plain HTTP response */
typedef struct {
    int    status;
    char   head[4096];     /* status line and headers */
    char   body[8192];
} plain_resp;


/* one request with Connection: close to 127.0.0.1:port (the local CSE) */
static void
plain_request(int port, const char *origin, const char *extra,
    plain_resp *resp)
{
    struct sockaddr_in   sin;
    struct pollfd        pfd;
    static char          buf[16384];
    char                 req[1024], *sep;
    size_t               used;
    ssize_t              n;
    int                  fd;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);

    snprintf(req, sizeof(req),
             "GET /~/in-cse-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "X-M2M-Origin: %s\r\nX-M2M-RI: demo-1\r\nX-M2M-RVI: 3\r\n"
             "%sConnection: close\r\n\r\n", origin, extra);
    ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t) strlen(req));

    used = 0;
    for ( ;; ) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        ck_assert_msg(poll(&pfd, 1, harness_timeout_ms(10000)) == 1,
                      "no response from port %d", port);
        n = read(fd, buf + used, sizeof(buf) - used - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        used += n;
        ck_assert_uint_lt(used, sizeof(buf) - 1);
    }
    close(fd);
    buf[used] = '\0';

    resp->status = 0;
    ck_assert_msg(sscanf(buf, "HTTP/1.1 %d", &resp->status) == 1,
                  "no HTTP response: %s", buf);

    sep = strstr(buf, "\r\n\r\n");
    ck_assert_ptr_nonnull(sep);
    ck_assert_uint_lt((size_t) (sep - buf), sizeof(resp->head));
    memcpy(resp->head, buf, sep - buf + 2);
    resp->head[sep - buf + 2] = '\0';
    ck_assert_uint_lt(strlen(sep + 4), sizeof(resp->body));
    strcpy(resp->body, sep + 4);
}


/* a response header's value (the first one), or NULL; in a static buffer */
static const char *
resp_header(const plain_resp *resp, const char *name)
{
    static char   value[512];
    const char   *line, *end;
    size_t        len, vlen;

    len = strlen(name);

    for (line = strstr(resp->head, "\r\n"); line != NULL; line = end) {
        line += 2;
        end = strstr(line, "\r\n");
        if (end == NULL) {
            break;
        }
        if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
            line += len + 1;
            while (*line == ' ') {
                line++;
            }
            vlen = end - line;
            ck_assert_uint_lt(vlen, sizeof(value));
            memcpy(value, line, vlen);
            value[vlen] = '\0';
            return value;
        }
    }

    return NULL;
}


/*
 * A header as the stand-in echoed it: "Name": "value" in its JSON
 * ("headers": {...}, repeated headers joined with ", "); NULL when absent.
 * The values here have no escapes.
 */
static const char *
echoed_header(const char *json, const char *name)
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


/* nothing accepts on 127.0.0.1:port, and a server could listen there */
static void
assert_port_free(int port)
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


static void
setup(void)
{
    pid_t  pid;
    int    fds[2];

    signal(SIGPIPE, SIG_IGN);

    demo.pid = -1;
    demo.pgid = -1;
    demo.out_fd = -1;

    snprintf(dir, sizeof(dir), "/tmp/onem2m-test-cert-demo.XXXXXX");
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


static void
teardown(void)
{
    char  *argv[] = { "rm", "-rf", dir, NULL };
    char  *out = NULL;
    int    status;

    if (demo.pid > 0) {
        /* the script's TERM trap stops its servers */
        kill(-demo.pid, SIGTERM);
        if (demo_wait_exit(harness_timeout_ms(15000), &status) != 0) {
            kill(-demo.pid, SIGKILL);
            waitpid(demo.pid, &status, 0);
            demo.pid = -1;
        }
    }
    if (demo.out_fd >= 0) {
        close(demo.out_fd);
        demo.out_fd = -1;
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


START_TEST(demo_runs_and_stops)
{
    harness_tls_opts    opts;
    harness_tls_result  tres;
    harness_response    tresp;
    plain_resp          resp;
    const char         *v;
    char                tmp[512];
    struct stat         st;
    DIR                *d;
    struct dirent      *e;
    pid_t               pgid;
    int                 status, i;

    demo_start();
    demo_tmp_dir(tmp, sizeof(tmp));
    ck_assert_int_eq(stat(tmp, &st), 0);

    /*
     * (a) the gateway's own CSE-ID: bound from its certificate by the
     * IN-CSE, which replaces the identity header the local CSE sent
     */
    plain_request(demo.port[GATEWAY], "/" GATEWAY_ID,
                  ENTITY_HDR ": /in-cse-2\r\n", &resp);
    ck_assert_msg(resp.status == 200, "status %d: %s%s", resp.status,
                  resp.head, resp.body);
    v = echoed_header(resp.body, ENTITY_HDR);
    ck_assert_msg(v != NULL, "no %s in %s", ENTITY_HDR, resp.body);
    ck_assert_str_eq(v, "/" GATEWAY_ID);
    v = echoed_header(resp.body, CRED_HDR);
    ck_assert_msg(v != NULL, "no %s in %s", CRED_HDR, resp.body);
    ck_assert_str_eq(v, "32-" GATEWAY_ID "." SP_DOMAIN);
    v = echoed_header(resp.body, "X-M2M-Origin");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "/" GATEWAY_ID);

    /* (b) the gateway claiming in-cse-2, a CSE with its own certificate */
    plain_request(demo.port[GATEWAY], "/in-cse-2", "", &resp);
    ck_assert_msg(resp.status == 403, "status %d: %s%s", resp.status,
                  resp.head, resp.body);
    v = resp_header(&resp, "X-M2M-RSC");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "4106");
    v = resp_header(&resp, "X-M2M-RI");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "demo-1");
    ck_assert_ptr_null(strstr(resp.body, "\"headers\""));

    /* (c) straight to the IN-CSE, TLS without a certificate */
    memset(&opts, 0, sizeof(opts));
    opts.ciphers = "ECDHE-ECDSA-AES128-SHA256";
    opts.sni = "in-cse-1." SP_DOMAIN;

    for (i = 0; i < 2; i++) {
        opts.version = i == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
        memset(&tres, 0, sizeof(tres));
        memset(&tresp, 0, sizeof(tresp));
        harness_tls_request(demo.port[IN_CSE], &opts, "GET", "/~/in-cse-1",
                            "X-M2M-Origin: /" GATEWAY_ID "\r\n"
                            "X-M2M-RI: demo-2\r\n", NULL, &tres, &tresp);
        ck_assert_msg(tres.handshake_ok, "TLS %x: no handshake",
                      opts.version);
        ck_assert_int_eq(tres.version, opts.version);
        ck_assert_int_eq(tresp.status, 400);
        ck_assert_ptr_nonnull(tresp.body);
        ck_assert_msg(strstr(tresp.body, "No required SSL certificate")
                      != NULL, "body: %s", tresp.body);
        harness_response_free(&tresp);
        harness_tls_result_free(&tres);
    }

    /*
     * Ctrl-C: SIGINT to the process group; or SIGTERM to the script
     * alone ("kill PID"), which must stop its servers itself
     */
    pgid = demo.pgid;
    if (_i == 0) {
        ck_assert_int_eq(kill(-pgid, SIGINT), 0);
    } else {
        ck_assert_int_eq(kill(pgid, SIGTERM), 0);
    }
    ck_assert_msg(demo_wait_exit(harness_timeout_ms(20000), &status) == 0,
                  "the demo still runs 20 s after %s; stderr:\n%s",
                  _i == 0 ? "SIGINT" : "SIGTERM", demo_stderr());
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the demo ended with status %#x; stderr:\n%s", status,
                  demo_stderr());

    /* nothing of the group is left, the ports are free, the files gone */
    ck_assert_msg(kill(-pgid, 0) != 0 && errno == ESRCH,
                  "processes of the demo's group still run");
    for (i = 0; i < 3; i++) {
        assert_port_free(demo.port[i]);
    }
    ck_assert_msg(stat(tmp, &st) != 0 && errno == ENOENT,
                  "%s still there", tmp);

    d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        ck_assert_msg(strcmp(e->d_name, ".") == 0
                      || strcmp(e->d_name, "..") == 0
                      || strcmp(e->d_name, "stderr.log") == 0,
                      "left in TMPDIR: %s", e->d_name);
    }
    closedir(d);
}
END_TEST


Suite *cert_demo_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("cert_demo");

    tc = tcase_create("run-cert-demo");
    tcase_add_checked_fixture(tc, setup, teardown);
    /* the waits inside scale with the valgrind wrapper: so does this */
    tcase_set_timeout(tc, harness_timeout_ms(300000) / 1000);
    tcase_add_loop_test(tc, demo_runs_and_stops, 0, 2);
    suite_add_tcase(s, tc);

    return s;
}
