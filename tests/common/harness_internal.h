/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the harness's files share among themselves; not for the suites,
 * which include harness.h only.  One file a concern:
 *
 *     harness_util.c      clocks, timeouts, the environment, memory,
 *                         buffers, whole files, hex
 *     harness_net.c       loopback sockets with deadlines
 *     harness_http.c      headers, the header block parser, responses
 *     harness_upstream.c  the in-test upstream (HTTP/1.x and FastCGI)
 *     harness_cert.c      the throwaway certificate
 *     harness_run.c       child processes (spawn, wait, harness_run)
 *     harness_conf.c      nginx.conf from templates
 *     harness_nginx.c     nginx: prefix, start, reload, stop, error log
 *     harness_tls.c       the TLS client and HTTP/1.1 over it
 */

#ifndef ONEM2M_TEST_HARNESS_INTERNAL_H
#define ONEM2M_TEST_HARNESS_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "common/harness.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define IO_TIMEOUT_MS     5000
#define START_TIMEOUT_MS  5000
#define STOP_TIMEOUT_MS   5000
#define MAX_MESSAGE       (1024 * 1024)

/* harness_util.c */
void harness_nap_ms(int ms);
/* the variable's value, or dflt when it is unset or empty */
const char *harness_env_or(const char *name, const char *dflt);
/* abort() when out of memory: a test cannot go on without */
void *harness_xmalloc(size_t n);
char *harness_xstrndup(const char *s, size_t n);

typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
} harness_buf;

/* the buffer stays NUL-terminated */
void harness_buf_add(harness_buf *b, const char *s, size_t n);
void harness_buf_str(harness_buf *b, const char *s);
void harness_buf_fmt(harness_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* the whole file, NUL-terminated, "" when it cannot be read */
char *harness_read_file(const char *path, size_t *len);

/* harness_net.c */
int harness_tcp_connect(int port, int timeout_ms);
/* waits for fd to be readable/writable; 1 ready, 0 timeout/error */
int harness_wait_fd(int fd, short events, long long deadline);
int harness_write_all(int fd, const char *p, size_t n, long long deadline);

/* harness_http.c */
void harness_headers_free(harness_header *h, size_t n);
void harness_headers_add(harness_header **h, size_t *n, const char *name,
    size_t nl, const char *value, size_t vl);
/*
 * Parses the header block "line\r\n(Name: value\r\n)*\r\n" of len bytes:
 * the first line goes to *first, headers are appended.  0 or -1.
 */
int harness_parse_head(const char *p, size_t len, char **first,
    harness_header **h, size_t *n);

/* harness_cert.c: PEM text, made once per process */
void harness_cert(const char **cert, const char **key);

/* harness_run.c */
/* fork + exec, stdout and stderr appended to out_path; the pid or -1 */
pid_t harness_spawn(char *const argv[], const char *out_path, int in_fd);
/* waitpid with a deadline; 0, or -1 on timeout */
int harness_wait_child(pid_t pid, int timeout_ms, int *status);

/* harness_nginx.c and harness_conf.c */
struct harness_nginx {
    char                prefix[128];
    char                conf[160];
    char                errlog[160];
    char                stderr_log[160];
    int                 port[2];
    int                 upstream_port;
    int                 master;
    int                 workers;
    pid_t               pid;
    pid_t               old[16];     /* workers before a reload */
    size_t              nold;
    char               *log;
    char               *test_out;
};

#endif /* ONEM2M_TEST_HARNESS_INTERNAL_H */
