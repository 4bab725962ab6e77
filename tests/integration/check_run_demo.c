/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The door-lock demo as an operator runs it: conf/run-demo ("make run
 * PORT=... CSE_PORT=...") with the build under test, on free ports, its
 * files in a directory of the test (RUN_DIR).
 *
 * The banner comes only once nginx has bound: the first request right
 * after "ready:" binds lock 1 (TS-0003 suite, TLS 1.2) and reaches the
 * stand-in; the banner names the port of the generated nginx.conf and
 * shows -tls1_2.  Each TLS 1.2 suite of the door-lock configuration
 * binds alone.  A busy PORT or CSE_PORT is the one and only message,
 * before anything starts.  Ctrl-C stops everything, the ports are free.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <openssl/ssl.h>

#include "common/demo.h"
#include "common/harness.h"
#include "integration/sae_fixture.h"


#define GATEWAY   0
#define CSE       1

static char    run_dir[320];     /* RUN_DIR=<the test's directory>/run */
static demo_t  demo = {
    .script = TOP_SRCDIR "/conf/run-demo",
    .nports = 2,
    .port_env = { "PORT", "CSE_PORT" },
    .env = { run_dir, NULL },
};


static void
setup(void)
{
    demo_setup(&demo, "run-demo");
    snprintf(run_dir, sizeof(run_dir), "RUN_DIR=%s/run", demo_dir());
}


static void
teardown(void)
{
    demo_teardown(&demo);
}


/* what the demo printed contains s (formatted), after position *at */
static void
assert_out(const char **at, const char *fmt, int a, int b)
{
    char         want[512];
    const char  *p;

    snprintf(want, sizeof(want), fmt, a, b);
    p = strstr(*at, want);
    ck_assert_msg(p != NULL, "no \"%s\" (in this order) in:\n%s", want,
                  demo.out);
    *at = p + strlen(want);
}


START_TEST(banner_after_bind_on_the_given_ports)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;
    const char         *at, *v;
    char                path[400], *conf, want[128];
    size_t              len;
    pid_t               pgid;
    int                 status, fd, rc;

    demo_start(&demo);

    /* the first request after the banner: nginx listens and binds lock 1 */
    o = sae_lock1(TLS1_2_VERSION);
    o.ciphers = "PSK-AES128-CBC-SHA256";
    memset(&resp, 0, sizeof(resp));
    rc = harness_tls_request(demo.port[GATEWAY], &o, "GET",
                             "/~/mn-cse-123456",
                             "X-M2M-Origin: Clock-AE1\r\n"
                             "X-M2M-RI: req-0001\r\nX-M2M-RVI: 3\r\n",
                             NULL, &r, &resp);
    ck_assert_msg(rc == 0 && r.handshake_ok,
                  "no answer right after \"ready\"; stderr:\n%s",
                  demo_stderr());
    ck_assert_str_eq(r.cipher, "PSK-AES128-CBC-SHA256");
    ck_assert_int_eq(resp.status, 200);
    v = demo_echoed_header(resp.body, "X-Onem2m-Sae-Entity");
    ck_assert_msg(v != NULL, "no identity header in %s", resp.body);
    ck_assert_str_eq(v, "Clock-AE1");
    harness_response_free(&resp);
    harness_tls_result_free(&r);

    /* the banner, then "ready:", with the ports it was given */
    at = demo.out;
    assert_out(&at, "oneM2M door-lock gateway: https://127.0.0.1:%d "
               "(TLS-PSK) -> http://127.0.0.1:%d\n", demo.port[GATEWAY],
               demo.port[CSE]);
    assert_out(&at, "-tls1_2", 0, 0);
    assert_out(&at, "openssl s_client -connect 127.0.0.1:%d -psk_identity "
               "AE123456789012-Lock@in.provider.com -psk 1a2b3c4d5e6f7a8b "
               "-cipher PSK-AES128-CBC-SHA256\n", demo.port[GATEWAY], 0);
    assert_out(&at, "\nready: https://127.0.0.1:%d -> "
               "http://127.0.0.1:%d;", demo.port[GATEWAY], demo.port[CSE]);

    /* ... which are the ones of the configuration nginx runs */
    snprintf(path, sizeof(path), "%s/run/nginx.conf", demo_dir());
    fd = open(path, O_RDONLY);
    ck_assert_msg(fd >= 0, "no %s", path);
    conf = calloc(1, 65536);
    ck_assert_ptr_nonnull(conf);
    len = read(fd, conf, 65535);
    close(fd);
    ck_assert_uint_gt(len, 0);
    snprintf(want, sizeof(want), "\n        listen 127.0.0.1:%d ssl;\n",
             demo.port[GATEWAY]);
    ck_assert_msg(strstr(conf, want) != NULL, "no \"%s\" in %s", want, path);
    snprintf(want, sizeof(want), "proxy_pass http://127.0.0.1:%d;",
             demo.port[CSE]);
    ck_assert_msg(strstr(conf, want) != NULL, "no \"%s\" in %s", want, path);
    free(conf);

    /* Ctrl-C: SIGINT to the process group */
    pgid = demo.pgid;
    ck_assert_int_eq(kill(-pgid, SIGINT), 0);
    ck_assert_msg(demo_wait_exit(&demo, harness_timeout_ms(20000), &status)
                  == 0, "the demo still runs 20 s after SIGINT; stderr:\n%s",
                  demo_stderr());
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the demo ended with status %#x; stderr:\n%s", status,
                  demo_stderr());
    ck_assert_msg(kill(-pgid, 0) != 0 && errno == ESRCH,
                  "processes of the demo's group still run");
    demo_assert_port_free(demo.port[GATEWAY]);
    demo_assert_port_free(demo.port[CSE]);
}
END_TEST


/*
 * Each TLS 1.2 suite of the door-lock configuration alone binds lock 1,
 * CCM8 included on OpenSSL >= 3.2 (its "@SECLEVEL=0"), and nginx does not
 * warn that CCM8 will not be negotiated.
 */
START_TEST(each_door_lock_suite_binds)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;
    const char         *suite, *v;
    int                 i, rc;

    demo_start(&demo);

    for (i = 0; i < SAE_DOOR_LOCK_NSUITES; i++) {
        suite = sae_door_lock_suites[i];
        o = sae_lock1(TLS1_2_VERSION);
        o.ciphers = suite;
        memset(&resp, 0, sizeof(resp));
        rc = harness_tls_request(demo.port[GATEWAY], &o, "GET",
                                 "/~/mn-cse-123456",
                                 "X-M2M-Origin: Clock-AE1\r\n"
                                 "X-M2M-RI: req-0001\r\n", NULL, &r, &resp);
        ck_assert_msg(rc == 0 && r.handshake_ok, "%s: no answer (alert %d); "
                      "stderr:\n%s", suite, r.alert, demo_stderr());
        ck_assert_str_eq(r.cipher, suite);
        ck_assert_int_eq(resp.status, 200);
        v = demo_echoed_header(resp.body, "X-Onem2m-Sae-Entity");
        ck_assert_msg(v != NULL && strcmp(v, "Clock-AE1") == 0,
                      "%s: not bound: %s", suite, resp.body);
        harness_response_free(&resp);
        harness_tls_result_free(&r);
    }

    ck_assert_msg(strstr(demo_stderr(), SAE_CCM8_WARNING) == NULL,
                  "nginx warns about CCM8:\n%s", demo_stderr());
}
END_TEST


/* a socket of the test listening on 127.0.0.1:*port (a free one) */
static int
listen_loopback(int *port)
{
    int  fd = harness_listen(1, port);

    ck_assert_int_ge(fd, 0);
    return fd;
}


/* _i = 0: PORT is busy, 1: CSE_PORT is busy */
START_TEST(busy_port_is_the_one_message)
{
    char  want[200];
    int   fd, port, status, rc;

    fd = listen_loopback(&port);
    demo.port[GATEWAY] = 0;
    demo.port[CSE] = 0;
    demo.port[_i] = port;
    demo_spawn(&demo);

    rc = demo_wait_ready(&demo, harness_timeout_ms(60000), &status);
    close(fd);
    ck_assert_msg(rc == 0, "the demo did not stop; stdout:\n%s", demo.out);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
                  "status %#x", status);

    /* no banner, and nothing but the one line on stderr */
    ck_assert_str_eq(demo.out, "");
    snprintf(want, sizeof(want), "run-demo: port %d is in use; %s=... picks "
             "another\n", demo.port[_i], _i == GATEWAY ? "PORT" : "CSE_PORT");
    ck_assert_str_eq(demo_stderr(), want);

    /* nothing was started on the other port */
    demo_assert_port_free(demo.port[1 - _i]);
}
END_TEST


/*
 * conf/demo-lib.sh's demo_listens, which the banner waits for, names the
 * process that listens, not just a busy port: a port taken by another
 * process is not the demo's server up (where ss can tell, i.e. shows
 * pids: ss -p).
 */
START_TEST(listens_is_the_process_not_the_port)
{
    char   script[512], *out = NULL;
    char  *argv[] = { "bash", "-c", script, NULL };
    int    fd, port, rc;

    fd = listen_loopback(&port);

    /* the listener: this test; another process: bash itself ($$) */
    snprintf(script, sizeof(script),
             "me=test; . '%s/conf/demo-lib.sh'; "
             "demo_listens %d %d || exit 1; "
             "ss -Hltnp 'sport = :%d' 2>/dev/null | grep -q pid= || exit 3; "
             "demo_listens $$ %d && exit 2; exit 0",
             TOP_SRCDIR, (int) getpid(), port, port, port);
    rc = harness_run(argv, NULL, harness_timeout_ms(10000), &out);
    close(fd);
    if (rc == 3) {
        free(out);
        CK_SKIP("ss -p shows no pids here: the other process is not told "
                "from the listener");
    }
    ck_assert_msg(rc == 0, "%s: %s", rc == 1 ? "the listener is not seen"
                  : "another process is taken for the listener", out);
    free(out);
}
END_TEST


Suite *run_demo_suite(void)
{
    /* the waits inside scale with the valgrind wrapper: so does this */
    return CK_SUITE("run_demo",
                    CK_TCASE_MS("run-demo", setup, teardown, 300000),
                    CK_TEST(banner_after_bind_on_the_given_ports),
                    CK_TEST(each_door_lock_suite_binds),
                    CK_LOOP(busy_port_is_the_one_message, 2),
                    CK_TEST(listens_is_the_process_not_the_port));
}
