/* SPDX-License-Identifier: BSD-2-Clause */
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

#include "common/demo.h"
#include "common/harness.h"
#include "integration/sae_fixture.h"


#define SP_DOMAIN    "m2m.sp.com"
#define GATEWAY_ID   "mn-cse-123456"
#define ENTITY_HDR   "X-Onem2m-Sae-Entity"
#define CRED_HDR     "X-Onem2m-Sae-Credential"

#define DEMO_SCRIPT  TOP_SRCDIR "/conf/run-cert-demo"


#define GATEWAY   0
#define IN_CSE    1
#define STAND_IN  2

static demo_t  demo = {
    .script = DEMO_SCRIPT,
    .nports = 3,
    .port_env = { "GATEWAY_PORT", "IN_CSE_PORT", "STAND_IN_PORT" },
};


/* the temporary directory the demo names on stdout: dir/onem2m-cert-demo.* */
static void
demo_tmp_dir(char *path, size_t size)
{
    const char  *dir, *p, *end;
    size_t       len;

    dir = demo_dir();
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
    struct pollfd        pfd;
    static char          buf[16384];
    char                 req[1024], *sep;
    size_t               used;
    ssize_t              n;
    int                  fd;

    fd = harness_connect(port);
    ck_assert_int_ge(fd, 0);

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


static void
setup(void)
{
    demo_setup(&demo, "cert-demo");
}


static void
teardown(void)
{
    demo_teardown(&demo);
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

    demo_start(&demo);
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
    v = demo_echoed_header(resp.body, ENTITY_HDR);
    ck_assert_msg(v != NULL, "no %s in %s", ENTITY_HDR, resp.body);
    ck_assert_str_eq(v, "/" GATEWAY_ID);
    v = demo_echoed_header(resp.body, CRED_HDR);
    ck_assert_msg(v != NULL, "no %s in %s", CRED_HDR, resp.body);
    ck_assert_str_eq(v, "32-" GATEWAY_ID "." SP_DOMAIN);
    v = demo_echoed_header(resp.body, "X-M2M-Origin");
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
    ck_assert_msg(demo_wait_exit(&demo, harness_timeout_ms(20000), &status) == 0,
                  "the demo still runs 20 s after %s; stderr:\n%s",
                  _i == 0 ? "SIGINT" : "SIGTERM", demo_stderr());
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the demo ended with status %#x; stderr:\n%s", status,
                  demo_stderr());

    /* nothing of the group is left, the ports are free, the files gone */
    ck_assert_msg(kill(-pgid, 0) != 0 && errno == ESRCH,
                  "processes of the demo's group still run");
    for (i = 0; i < 3; i++) {
        demo_assert_port_free(demo.port[i]);
    }
    ck_assert_msg(stat(tmp, &st) != 0 && errno == ENOENT,
                  "%s still there", tmp);

    d = opendir(demo_dir());
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
    /* the waits inside scale with the valgrind wrapper: so does this */
    return CK_SUITE("cert_demo",
                    CK_TCASE_MS("run-cert-demo", setup, teardown, 300000),
                    CK_LOOP(demo_runs_and_stops, 2));
}
