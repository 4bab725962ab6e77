/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The demo scripts (conf/run-demo, conf/run-cert-demo) as an operator runs
 * them, for the suites that test them: started in a process group of their
 * own on free ports, their stdout read until the "ready:" line, stopped
 * like Ctrl-C.  A guardian process stops the demo's group when a failed
 * assertion _exit()s the test (Check runs no teardown then).
 *
 *     static demo_t  demo = { .script = TOP_SRCDIR "/conf/run-demo",
 *                             .nports = 2,
 *                             .port_env = { "PORT", "CSE_PORT" } };
 *
 *     setup:     demo_setup(&demo, "run-demo");   (the test's TMPDIR)
 *     test:      demo_start(&demo); ... demo.port[0] ...
 *     teardown:  demo_teardown(&demo);
 *
 * The script's stderr goes to <demo_dir()>/stderr.log, its TMPDIR is
 * demo_dir(), BUILD and NGX_BIN are the build under test.
 */

#ifndef ONEM2M_TEST_DEMO_H
#define ONEM2M_TEST_DEMO_H

#include <sys/types.h>

#define DEMO_MAX_PORTS  4

typedef struct {
    const char  *script;                 /* absolute path */
    int          nports;
    const char  *port_env[DEMO_MAX_PORTS];  /* variable of each port */
    const char  *env[4];                 /* more "NAME=value", or NULL */

    pid_t        pid;           /* the script, until it exited */
    pid_t        pgid;          /* its process group: its pid */
    int          out_fd;        /* its stdout (a pipe) */
    char         out[16384];    /* what it printed on stdout so far */
    size_t       out_len;
    int          port[DEMO_MAX_PORTS];
} demo_t;

/* the test's temporary directory (mode 0755) and the guardian */
void demo_setup(demo_t *demo, const char *name);
/* stops the demo if it runs, removes the directory (ONEM2M_TEST_KEEP) */
void demo_teardown(demo_t *demo);
const char *demo_dir(void);

/* the end of the script's stderr, short enough for Check's messages */
char *demo_stderr(void);

/* starts the script with the given ports (0: a free one), no wait */
void demo_spawn(demo_t *demo);
/*
 * Starts the script on free ports and waits for "ready:"; when another
 * test took a port meanwhile (the script says "is in use"), starts it again
 * on new ports, three times at most.
 */
void demo_start(demo_t *demo);
/* reads stdout until "ready:" (1), the script exits first (0, *status)
 * or timeout (-1) */
int demo_wait_ready(demo_t *demo, int timeout_ms, int *status);
/* waitpid with a deadline: 0 and *status, or -1 on timeout */
int demo_wait_exit(demo_t *demo, int timeout_ms, int *status);

/* nothing accepts on 127.0.0.1:port, and a server could listen there */
void demo_assert_port_free(int port);

/*
 * A header as the CSE stand-in echoed it: "Name": "value" in its JSON
 * ("headers": {...}); NULL when absent.  In a static buffer.
 */
const char *demo_echoed_header(const char *json, const char *name);

#endif /* ONEM2M_TEST_DEMO_H */
