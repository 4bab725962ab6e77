/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-test upstream: a thread that records every request it gets
 * (HTTP/1.x or FastCGI) and answers 200 {"upstream": "ok"}.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/harness_internal.h"


struct harness_upstream {
    int                 kind;
    int                 listen_fd;
    int                 port;
    int                 stop_pipe[2];
    pthread_t           thread;
    pthread_mutex_t     lock;
    harness_request   **reqs;
    size_t              nreqs;
};

static void
upstream_record(harness_upstream *up, harness_request *req)
{
    pthread_mutex_lock(&up->lock);
    up->reqs = realloc(up->reqs, (up->nreqs + 1) * sizeof(*up->reqs));
    if (up->reqs == NULL) {
        abort();
    }
    up->reqs[up->nreqs++] = req;
    pthread_mutex_unlock(&up->lock);
}

/* reads until the buffer holds need bytes; 0 ok, -1 eof/timeout */
static int
read_more(int fd, harness_buf *b, size_t need, long long deadline)
{
    char     tmp[16384];
    ssize_t  n;

    while (b->len < need) {
        if (!harness_wait_fd(fd, POLLIN, deadline)) {
            return -1;
        }
        n = recv(fd, tmp, sizeof(tmp), 0);
        if (n > 0) {
            harness_buf_add(b, tmp, (size_t) n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        return -1;
    }
    return 0;
}

static const char UPSTREAM_BODY[] = "{\"upstream\": \"ok\"}";

static void
upstream_http(harness_upstream *up, int fd, long long deadline)
{
    harness_buf       b = { NULL, 0, 0 };
    harness_request  *req;
    char             *first = NULL, *sp1, *sp2, *hend;
    const char       *cl;
    size_t            head_len, body_len = 0;
    char              resp[512];

    harness_buf_add(&b, "", 0);
    for ( ;; ) {
        hend = memmem(b.data, b.len, "\r\n\r\n", 4);
        if (hend != NULL) {
            break;
        }
        if (b.len > MAX_MESSAGE || read_more(fd, &b, b.len + 1, deadline)) {
            free(b.data);
            return;
        }
    }
    head_len = (size_t) (hend - b.data) + 4;

    req = calloc(1, sizeof(*req));
    if (req == NULL
        || harness_parse_head(b.data, head_len, &first, &req->headers,
                              &req->nheaders) != 0)
    {
        abort();
    }
    sp1 = strchr(first, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 && sp2) {
        snprintf(req->method, sizeof(req->method), "%.*s",
                 (int) (sp1 - first), first);
        req->uri = harness_xstrndup(sp1 + 1, (size_t) (sp2 - sp1 - 1));
    } else {
        req->uri = harness_xstrndup("", 0);
    }
    free(first);

    cl = harness_req_header(req, "Content-Length");
    if (cl != NULL) {
        body_len = strtoul(cl, NULL, 10);
    }
    if (body_len > MAX_MESSAGE) {
        body_len = 0;
    }
    if (read_more(fd, &b, head_len + body_len, deadline) != 0) {
        body_len = b.len - head_len;
    }
    req->body = harness_xstrndup(b.data + head_len, body_len);
    req->body_len = body_len;
    free(b.data);

    upstream_record(up, req);

    snprintf(resp, sizeof(resp),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(UPSTREAM_BODY), UPSTREAM_BODY);
    harness_write_all(fd, resp, strlen(resp), deadline);
}

/* FastCGI (version 1) records */
#define FCGI_BEGIN_REQUEST  1
#define FCGI_END_REQUEST    3
#define FCGI_PARAMS         4
#define FCGI_STDIN          5
#define FCGI_STDOUT         6

static void
fcgi_send(int fd, int type, int id, const char *data, size_t len,
    long long deadline)
{
    unsigned char  h[8];

    h[0] = 1;
    h[1] = (unsigned char) type;
    h[2] = (unsigned char) (id >> 8);
    h[3] = (unsigned char) id;
    h[4] = (unsigned char) (len >> 8);
    h[5] = (unsigned char) len;
    h[6] = 0;
    h[7] = 0;
    harness_write_all(fd, (const char *) h, 8, deadline);
    if (len > 0) {
        harness_write_all(fd, data, len, deadline);
    }
}

static size_t
fcgi_len(const unsigned char **p, const unsigned char *end)
{
    size_t  n;

    if (*p >= end) {
        return 0;
    }
    if ((**p & 0x80) == 0) {
        return *(*p)++;
    }
    if (end - *p < 4) {
        *p = end;
        return 0;
    }
    n = ((size_t) ((*p)[0] & 0x7f) << 24) | ((size_t) (*p)[1] << 16)
        | ((size_t) (*p)[2] << 8) | (*p)[3];
    *p += 4;
    return n;
}

static void
upstream_fastcgi(harness_upstream *up, int fd, long long deadline)
{
    harness_buf       b = { NULL, 0, 0 }, params = { NULL, 0, 0 };
    harness_buf       in = { NULL, 0, 0 };
    harness_request  *req;
    const unsigned char *p, *end;
    size_t            off = 0, clen, plen, nl, vl;
    int               type, id = 1, stdin_done = 0;
    const char       *v;
    char              out[512];
    unsigned char     endrec[8] = { 0 };

    harness_buf_add(&b, "", 0);
    harness_buf_add(&params, "", 0);
    harness_buf_add(&in, "", 0);
    while (!stdin_done) {
        if (read_more(fd, &b, off + 8, deadline) != 0) {
            goto done;
        }
        p = (const unsigned char *) b.data + off;
        type = p[1];
        id = (p[2] << 8) | p[3];
        clen = ((size_t) p[4] << 8) | p[5];
        plen = p[6];
        if (read_more(fd, &b, off + 8 + clen + plen, deadline) != 0) {
            goto done;
        }
        if (type == FCGI_PARAMS) {
            harness_buf_add(&params, b.data + off + 8, clen);
        } else if (type == FCGI_STDIN) {
            if (clen == 0) {
                stdin_done = 1;
            }
            harness_buf_add(&in, b.data + off + 8, clen);
        }
        off += 8 + clen + plen;
    }

    req = calloc(1, sizeof(*req));
    if (req == NULL) {
        abort();
    }
    p = (const unsigned char *) params.data;
    end = p + params.len;
    while (p < end) {
        nl = fcgi_len(&p, end);
        vl = fcgi_len(&p, end);
        if ((size_t) (end - p) < nl + vl) {
            break;
        }
        harness_headers_add(&req->headers, &req->nheaders,
                            (const char *) p, nl, (const char *) p + nl, vl);
        p += nl + vl;
    }
    v = harness_req_header(req, "REQUEST_METHOD");
    snprintf(req->method, sizeof(req->method), "%s", v ? v : "");
    v = harness_req_header(req, "REQUEST_URI");
    req->uri = harness_xstrndup(v ? v : "", v ? strlen(v) : 0);
    req->body = harness_xstrndup(in.data, in.len);
    req->body_len = in.len;
    upstream_record(up, req);

    snprintf(out, sizeof(out),
             "Status: 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(UPSTREAM_BODY), UPSTREAM_BODY);
    fcgi_send(fd, FCGI_STDOUT, id, out, strlen(out), deadline);
    fcgi_send(fd, FCGI_STDOUT, id, NULL, 0, deadline);
    fcgi_send(fd, FCGI_END_REQUEST, id, (const char *) endrec, 8, deadline);

done:
    free(b.data);
    free(params.data);
    free(in.data);
}

/* FIN first and wait for the peer's: close() with unread data sends RST */
static void
linger_close(int fd)
{
    long long  deadline = harness_now_ms() + 1000;
    char       tmp[4096];
    ssize_t    n;

    shutdown(fd, SHUT_WR);
    while (harness_wait_fd(fd, POLLIN, deadline)) {
        n = recv(fd, tmp, sizeof(tmp), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            break;
        }
    }
    close(fd);
}

static void *
upstream_main(void *arg)
{
    harness_upstream  *up = arg;
    struct pollfd      pfd[2];
    long long          deadline;
    int                fd;

    for ( ;; ) {
        pfd[0].fd = up->listen_fd;
        pfd[0].events = POLLIN;
        pfd[1].fd = up->stop_pipe[0];
        pfd[1].events = POLLIN;
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (pfd[1].revents) {
            break;
        }
        fd = accept4(up->listen_fd, NULL, NULL,
                     SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            continue;
        }
        deadline = harness_now_ms() + harness_timeout_ms(IO_TIMEOUT_MS);
        if (up->kind == HARNESS_UPSTREAM_FASTCGI) {
            upstream_fastcgi(up, fd, deadline);
        } else {
            upstream_http(up, fd, deadline);
        }
        linger_close(fd);
    }
    return NULL;
}

harness_upstream *
harness_upstream_start(int kind)
{
    harness_upstream  *up;

    up = calloc(1, sizeof(*up));
    if (up == NULL) {
        return NULL;
    }
    up->kind = kind;
    pthread_mutex_init(&up->lock, NULL);
    up->listen_fd = harness_listen(64, &up->port);
    if (up->listen_fd < 0 || pipe2(up->stop_pipe, O_CLOEXEC) != 0) {
        if (up->listen_fd >= 0) {
            close(up->listen_fd);
        }
        free(up);
        return NULL;
    }
    if (pthread_create(&up->thread, NULL, upstream_main, up) != 0) {
        close(up->listen_fd);
        close(up->stop_pipe[0]);
        close(up->stop_pipe[1]);
        free(up);
        return NULL;
    }
    return up;
}

int
harness_upstream_port(const harness_upstream *up)
{
    return up->port;
}

size_t
harness_upstream_count(harness_upstream *up)
{
    size_t  n;

    pthread_mutex_lock(&up->lock);
    n = up->nreqs;
    pthread_mutex_unlock(&up->lock);
    return n;
}

const harness_request *
harness_upstream_request(harness_upstream *up, size_t i)
{
    const harness_request  *r = NULL;

    pthread_mutex_lock(&up->lock);
    if (i < up->nreqs) {
        r = up->reqs[i];
    }
    pthread_mutex_unlock(&up->lock);
    return r;
}

const harness_request *
harness_upstream_last(harness_upstream *up)
{
    const harness_request  *r = NULL;

    pthread_mutex_lock(&up->lock);
    if (up->nreqs > 0) {
        r = up->reqs[up->nreqs - 1];
    }
    pthread_mutex_unlock(&up->lock);
    return r;
}

void
harness_upstream_stop(harness_upstream *up)
{
    size_t  i;

    if (up == NULL) {
        return;
    }
    if (write(up->stop_pipe[1], "x", 1) != 1) {
        /* the thread then blocks in poll: nothing better to do */
    }
    pthread_join(up->thread, NULL);
    close(up->listen_fd);
    close(up->stop_pipe[0]);
    close(up->stop_pipe[1]);
    for (i = 0; i < up->nreqs; i++) {
        harness_headers_free(up->reqs[i]->headers, up->reqs[i]->nheaders);
        free(up->reqs[i]->uri);
        free(up->reqs[i]->body);
        free(up->reqs[i]);
    }
    free(up->reqs);
    pthread_mutex_destroy(&up->lock);
    free(up);
}
