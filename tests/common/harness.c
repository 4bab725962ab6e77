/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Integration test harness: see harness.h.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/harness.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define IO_TIMEOUT_MS     5000
#define START_TIMEOUT_MS  5000
#define STOP_TIMEOUT_MS   5000
#define MAX_MESSAGE       (1024 * 1024)


/* ------------------------------------------------------------------ */
/* small helpers                                                      */

static long long
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap_ms(int ms)
{
    struct timespec  ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
        /* again */
    }
}

int
harness_timeout_ms(int base_ms)
{
    const char  *w = getenv("ONEM2M_TEST_NGINX_WRAPPER");

    return (w != NULL && *w != '\0') ? base_ms * 20 : base_ms;
}

static const char *
env_or(const char *name, const char *dflt)
{
    const char  *v = getenv(name);

    return (v != NULL && *v != '\0') ? v : dflt;
}

const char *
harness_nginx_bin(void)
{
    return env_or("ONEM2M_TEST_NGINX", NGINX_BIN);
}

const char *
harness_module_so(void)
{
    return env_or("ONEM2M_TEST_MODULE", HARNESS_MODULE_SO);
}

const char *
harness_provider_dir(void)
{
    return env_or("ONEM2M_TEST_PROVIDER_DIR", HARNESS_PROVIDER_DIR);
}

static void *
xmalloc(size_t n)
{
    void  *p = malloc(n ? n : 1);

    if (p == NULL) {
        abort();
    }
    return p;
}

static char *
xstrndup(const char *s, size_t n)
{
    char  *p = xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
} buf_t;

static void
buf_add(buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (b->data == NULL) {
            abort();
        }
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
buf_str(buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void
buf_fmt(buf_t *b, const char *fmt, ...)
{
    va_list  ap;
    char    *s;
    int      n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        abort();
    }
    buf_add(b, s, (size_t) n);
    free(s);
}

static char *
read_file(const char *path, size_t *len)
{
    buf_t    b = { NULL, 0, 0 };
    char     tmp[8192];
    ssize_t  n;
    int      fd;

    buf_add(&b, "", 0);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
            buf_add(&b, tmp, (size_t) n);
        }
        close(fd);
    }
    if (len != NULL) {
        *len = b.len;
    }
    return b.data;
}

int
harness_unhex(const char *hex, unsigned char *out, size_t max)
{
    size_t  n = strlen(hex), i;

    if (n % 2 != 0 || n / 2 > max) {
        return -1;
    }
    for (i = 0; i < n / 2; i++) {
        unsigned int  v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (unsigned char) v;
    }
    return (int) (n / 2);
}

int
harness_free_port(void)
{
    struct sockaddr_in  sa;
    socklen_t           sl = sizeof(sa);
    int                 fd, port;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0
        || getsockname(fd, (struct sockaddr *) &sa, &sl) != 0)
    {
        close(fd);
        return -1;
    }
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static int
tcp_connect(int port, int timeout_ms)
{
    struct sockaddr_in  sa;
    struct pollfd       pfd;
    socklen_t           sl;
    int                 fd, err, one = 1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short) port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return -1;
        }
        pfd.fd = fd;
        pfd.events = POLLOUT;
        if (poll(&pfd, 1, timeout_ms) != 1) {
            close(fd);
            return -1;
        }
        err = 0;
        sl = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
        if (err != 0) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* waits for fd to be readable/writable; 1 ready, 0 timeout/error */
static int
wait_fd(int fd, short events, long long deadline)
{
    struct pollfd  pfd;
    long long      left;
    int            rc;

    for ( ;; ) {
        left = deadline - now_ms();
        if (left <= 0) {
            return 0;
        }
        pfd.fd = fd;
        pfd.events = events;
        rc = poll(&pfd, 1, (int) left);
        if (rc > 0) {
            return 1;
        }
        if (rc == 0 || errno != EINTR) {
            return 0;
        }
    }
}

static int
write_all(int fd, const char *p, size_t n, long long deadline)
{
    ssize_t  w;

    while (n > 0) {
        w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK) {
            w = write(fd, p, n);            /* a pipe */
        }
        if (w > 0) {
            p += w;
            n -= (size_t) w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLOUT, deadline)) {
                return -1;
            }
            continue;
        }
        return -1;
    }
    return 0;
}


/* ------------------------------------------------------------------ */
/* headers and HTTP messages                                          */

const char *
harness_header_get(const harness_header *h, size_t n, const char *name)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, name) == 0) {
            return h[i].value;
        }
    }
    return NULL;
}

size_t
harness_header_count(const harness_header *h, size_t n, const char *name)
{
    size_t  i, c = 0;

    for (i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, name) == 0) {
            c++;
        }
    }
    return c;
}

static void
headers_free(harness_header *h, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

static void
headers_add(harness_header **h, size_t *n, const char *name, size_t nl,
    const char *value, size_t vl)
{
    *h = realloc(*h, (*n + 1) * sizeof(**h));
    if (*h == NULL) {
        abort();
    }
    (*h)[*n].name = xstrndup(name, nl);
    (*h)[*n].value = xstrndup(value, vl);
    (*n)++;
}

/*
 * Parses the header block "line\r\n(Name: value\r\n)*\r\n" of len bytes:
 * the first line goes to *first, headers are appended.  0 or -1.
 */
static int
parse_head(const char *p, size_t len, char **first, harness_header **h,
    size_t *n)
{
    const char  *end = p + len, *eol, *colon, *v, *ve;

    eol = memmem(p, (size_t) (end - p), "\r\n", 2);
    if (eol == NULL) {
        return -1;
    }
    *first = xstrndup(p, (size_t) (eol - p));
    p = eol + 2;
    while (p < end) {
        eol = memmem(p, (size_t) (end - p), "\r\n", 2);
        if (eol == NULL || eol == p) {
            break;
        }
        colon = memchr(p, ':', (size_t) (eol - p));
        if (colon == NULL) {
            return -1;
        }
        v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t')) {
            v++;
        }
        ve = eol;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
            ve--;
        }
        headers_add(h, n, p, (size_t) (colon - p), v, (size_t) (ve - v));
        p = eol + 2;
    }
    return 0;
}

void
harness_response_free(harness_response *resp)
{
    if (resp == NULL) {
        return;
    }
    headers_free(resp->headers, resp->nheaders);
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}


/* ------------------------------------------------------------------ */
/* the upstream                                                       */

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
read_more(int fd, buf_t *b, size_t need, long long deadline)
{
    char     tmp[16384];
    ssize_t  n;

    while (b->len < need) {
        if (!wait_fd(fd, POLLIN, deadline)) {
            return -1;
        }
        n = recv(fd, tmp, sizeof(tmp), 0);
        if (n > 0) {
            buf_add(b, tmp, (size_t) n);
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
    buf_t             b = { NULL, 0, 0 };
    harness_request  *req;
    char             *first = NULL, *sp1, *sp2, *hend;
    const char       *cl;
    size_t            head_len, body_len = 0;
    char              resp[512];

    buf_add(&b, "", 0);
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
    if (req == NULL || parse_head(b.data, head_len, &first, &req->headers,
                                  &req->nheaders) != 0)
    {
        abort();
    }
    sp1 = strchr(first, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 && sp2) {
        snprintf(req->method, sizeof(req->method), "%.*s",
                 (int) (sp1 - first), first);
        req->uri = xstrndup(sp1 + 1, (size_t) (sp2 - sp1 - 1));
    } else {
        req->uri = xstrndup("", 0);
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
    req->body = xstrndup(b.data + head_len, body_len);
    req->body_len = body_len;
    free(b.data);

    upstream_record(up, req);

    snprintf(resp, sizeof(resp),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(UPSTREAM_BODY), UPSTREAM_BODY);
    write_all(fd, resp, strlen(resp), deadline);
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
    write_all(fd, (const char *) h, 8, deadline);
    if (len > 0) {
        write_all(fd, data, len, deadline);
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
    buf_t             b = { NULL, 0, 0 }, params = { NULL, 0, 0 };
    buf_t             in = { NULL, 0, 0 };
    harness_request  *req;
    const unsigned char *p, *end;
    size_t            off = 0, clen, plen, nl, vl;
    int               type, id = 1, stdin_done = 0;
    const char       *v;
    char              out[512];
    unsigned char     endrec[8] = { 0 };

    buf_add(&b, "", 0);
    buf_add(&params, "", 0);
    buf_add(&in, "", 0);
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
            buf_add(&params, b.data + off + 8, clen);
        } else if (type == FCGI_STDIN) {
            if (clen == 0) {
                stdin_done = 1;
            }
            buf_add(&in, b.data + off + 8, clen);
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
        headers_add(&req->headers, &req->nheaders, (const char *) p, nl,
                    (const char *) p + nl, vl);
        p += nl + vl;
    }
    v = harness_req_header(req, "REQUEST_METHOD");
    snprintf(req->method, sizeof(req->method), "%s", v ? v : "");
    v = harness_req_header(req, "REQUEST_URI");
    req->uri = xstrndup(v ? v : "", v ? strlen(v) : 0);
    req->body = xstrndup(in.data, in.len);
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
    long long  deadline = now_ms() + 1000;
    char       tmp[4096];
    ssize_t    n;

    shutdown(fd, SHUT_WR);
    while (wait_fd(fd, POLLIN, deadline)) {
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
        if (up->kind == HARNESS_UPSTREAM_FASTCGI) {
            upstream_fastcgi(up, fd,
                             now_ms() + harness_timeout_ms(IO_TIMEOUT_MS));
        } else {
            upstream_http(up, fd,
                          now_ms() + harness_timeout_ms(IO_TIMEOUT_MS));
        }
        linger_close(fd);
    }
    return NULL;
}

harness_upstream *
harness_upstream_start(int kind)
{
    harness_upstream    *up;
    struct sockaddr_in   sa;
    socklen_t            sl = sizeof(sa);
    int                  one = 1;

    up = calloc(1, sizeof(*up));
    if (up == NULL) {
        return NULL;
    }
    up->kind = kind;
    pthread_mutex_init(&up->lock, NULL);
    up->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(up->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (up->listen_fd < 0
        || bind(up->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) != 0
        || listen(up->listen_fd, 64) != 0
        || getsockname(up->listen_fd, (struct sockaddr *) &sa, &sl) != 0
        || pipe2(up->stop_pipe, O_CLOEXEC) != 0)
    {
        if (up->listen_fd >= 0) {
            close(up->listen_fd);
        }
        free(up);
        return NULL;
    }
    up->port = ntohs(sa.sin_port);
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
        headers_free(up->reqs[i]->headers, up->reqs[i]->nheaders);
        free(up->reqs[i]->uri);
        free(up->reqs[i]->body);
        free(up->reqs[i]);
    }
    free(up->reqs);
    pthread_mutex_destroy(&up->lock);
    free(up);
}


/* ------------------------------------------------------------------ */
/* the throwaway certificate                                          */

static pthread_once_t  cert_once = PTHREAD_ONCE_INIT;
static char           *cert_pem;
static char           *key_pem;

static char *
bio_string(BIO *bio)
{
    char  *data;
    long   n = BIO_get_mem_data(bio, &data);

    return xstrndup(data, (size_t) n);
}

static void
make_cert(void)
{
    EVP_PKEY   *pkey;
    X509       *x;
    X509_NAME  *name;
    BIO        *cb, *kb;

    pkey = EVP_EC_gen("P-256");
    x = X509_new();
    if (pkey == NULL || x == NULL) {
        abort();
    }
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_set_pubkey(x, pkey);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) "mn-cse-123456", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    if (X509_sign(x, pkey, EVP_sha256()) == 0) {
        abort();
    }
    cb = BIO_new(BIO_s_mem());
    kb = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cb, x);
    PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL);
    cert_pem = bio_string(cb);
    key_pem = bio_string(kb);
    BIO_free(cb);
    BIO_free_all(kb);
    X509_free(x);
    EVP_PKEY_free(pkey);
}


/* ------------------------------------------------------------------ */
/* nginx                                                              */

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

harness_nginx *
harness_nginx_new(void)
{
    harness_nginx  *ng;

    pthread_once(&cert_once, make_cert);
    ng = calloc(1, sizeof(*ng));
    if (ng == NULL) {
        return NULL;
    }
    strcpy(ng->prefix, "/tmp/onem2m-it-XXXXXX");
    if (mkdtemp(ng->prefix) == NULL || chmod(ng->prefix, 0755) != 0) {
        free(ng);
        return NULL;
    }
    snprintf(ng->conf, sizeof(ng->conf), "%s/nginx.conf", ng->prefix);
    snprintf(ng->errlog, sizeof(ng->errlog), "%s/error.log", ng->prefix);
    snprintf(ng->stderr_log, sizeof(ng->stderr_log), "%s/stderr.log",
             ng->prefix);
    ng->port[0] = harness_free_port();
    do {
        ng->port[1] = harness_free_port();
    } while (ng->port[1] == ng->port[0]);
    ng->master = 1;
    ng->workers = 1;
    ng->pid = -1;
    if (harness_nginx_write_file(ng, "cert.pem", cert_pem, 0644) != 0
        || harness_nginx_write_file(ng, "cert.key", key_pem, 0600) != 0)
    {
        harness_nginx_free(ng);
        return NULL;
    }
    return ng;
}

const char *
harness_nginx_prefix(const harness_nginx *ng)
{
    return ng->prefix;
}

int
harness_nginx_port(const harness_nginx *ng, int i)
{
    return ng->port[i != 0];
}

void
harness_nginx_set_upstream(harness_nginx *ng, harness_upstream *up)
{
    ng->upstream_port = up ? up->port : 0;
}

void
harness_nginx_set_master(harness_nginx *ng, int on)
{
    ng->master = on;
}

void
harness_nginx_set_workers(harness_nginx *ng, int n)
{
    ng->workers = n;
}

pid_t
harness_nginx_pid(const harness_nginx *ng)
{
    return ng->pid;
}

const char *
harness_nginx_conf_path(const harness_nginx *ng)
{
    return ng->conf;
}

int
harness_nginx_write_file(harness_nginx *ng, const char *name,
    const char *content, mode_t mode)
{
    char     path[512];
    size_t   len = strlen(content);
    int      fd;

    snprintf(path, sizeof(path), "%s/%s", ng->prefix, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return -1;
    }
    if (write(fd, content, len) != (ssize_t) len || fchmod(fd, mode) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

static void
expand(harness_nginx *ng, buf_t *b, const char *t)
{
    const char  *p;

    while ((p = strstr(t, "{{")) != NULL) {
        buf_add(b, t, (size_t) (p - t));
        if (strncmp(p, "{{PREFIX}}", 10) == 0) {
            buf_str(b, ng->prefix);
        } else if (strncmp(p, "{{PORT}}", 8) == 0
                   || strncmp(p, "{{PORT0}}", 9) == 0)
        {
            buf_fmt(b, "%d", ng->port[0]);
        } else if (strncmp(p, "{{PORT1}}", 9) == 0) {
            buf_fmt(b, "%d", ng->port[1]);
        } else if (strncmp(p, "{{UPSTREAM}}", 12) == 0) {
            /* no upstream given: the discard port keeps the config valid */
            buf_fmt(b, "%d", ng->upstream_port ? ng->upstream_port : 9);
        } else if (strncmp(p, "{{MODULE}}", 10) == 0) {
            buf_str(b, harness_module_so());
        } else if (strncmp(p, "{{PROVIDER_DIR}}", 16) == 0) {
            buf_str(b, harness_provider_dir());
        } else if (strncmp(p, "{{CERT}}", 8) == 0) {
            buf_fmt(b, "ssl_certificate %s/cert.pem; "
                    "ssl_certificate_key %s/cert.key;",
                    ng->prefix, ng->prefix);
        } else {
            buf_add(b, p, 2);
            t = p + 2;
            continue;
        }
        t = strstr(p, "}}") + 2;
    }
    buf_str(b, t);
}

int
harness_nginx_config_raw(harness_nginx *ng, const char *template)
{
    buf_t  b = { NULL, 0, 0 };
    int    rc;

    buf_add(&b, "", 0);
    expand(ng, &b, template);
    rc = harness_nginx_write_file(ng, "nginx.conf", b.data, 0644);
    free(b.data);
    return rc;
}

int
harness_nginx_config(harness_nginx *ng, const char *http_template)
{
    buf_t  b = { NULL, 0, 0 };
    int    rc;

    buf_add(&b, "", 0);
    buf_fmt(&b,
        "load_module %s;\n"
        "daemon off;\n"
        "master_process %s;\n"
        "worker_processes %d;\n"
        "pid {{PREFIX}}/nginx.pid;\n"
        "error_log {{PREFIX}}/error.log info;\n"
        "events { worker_connections 128; }\n"
        "http {\n"
        "    onem2m_sae_provider_path %s;\n"
        "    access_log off;\n"
        "    client_body_temp_path {{PREFIX}}/body;\n"
        "    proxy_temp_path {{PREFIX}}/proxy;\n"
        "    fastcgi_temp_path {{PREFIX}}/fastcgi;\n"
        "    uwsgi_temp_path {{PREFIX}}/uwsgi;\n"
        "    scgi_temp_path {{PREFIX}}/scgi;\n",
        harness_module_so(), ng->master ? "on" : "off", ng->workers,
        harness_provider_dir());
    buf_str(&b, http_template);
    buf_str(&b, "}\n");
    rc = harness_nginx_config_raw(ng, b.data);
    free(b.data);
    return rc;
}

int
harness_nginx_conf_line(harness_nginx *ng, const char *needle)
{
    char  *text = read_file(ng->conf, NULL), *p, *hit;
    int    line = 1;

    hit = strstr(text, needle);
    if (hit == NULL) {
        free(text);
        return -1;
    }
    for (p = text; p < hit; p++) {
        if (*p == '\n') {
            line++;
        }
    }
    free(text);
    return line;
}

/* argv for nginx with the wrapper in front; strings are malloc'd */
static char **
nginx_argv(harness_nginx *ng, const char *extra)
{
    const char  *w = getenv("ONEM2M_TEST_NGINX_WRAPPER");
    const char  *lib = env_or("ONEM2M_TEST_LIBRARY_PATH", NULL);
    char       **argv, *copy, *tok, *save;
    size_t       n = 0;

    argv = xmalloc(64 * sizeof(char *));
    if (lib != NULL) {
        /* nginx's OpenSSL, not the tests' */
        argv[n++] = strdup("env");
        argv[n] = xmalloc(strlen(lib) + sizeof("LD_LIBRARY_PATH="));
        sprintf(argv[n++], "LD_LIBRARY_PATH=%s", lib);
    }
    if (w != NULL && *w != '\0') {
        size_t  first = n;

        copy = strdup(w);
        for (tok = strtok_r(copy, " \t", &save); tok != NULL && n < 50;
             tok = strtok_r(NULL, " \t", &save))
        {
            argv[n++] = strdup(tok);
            if (n == first + 1 && strcmp(tok, "valgrind") == 0) {
                /* nginx core's own by-design leaks */
                argv[n++] = strdup("--suppressions=" TOP_SRCDIR
                                   "/tests/integration/valgrind-nginx.supp");
            }
        }
        free(copy);
    }
    argv[n++] = strdup(harness_nginx_bin());
    argv[n++] = strdup("-p");
    argv[n++] = strdup(ng->prefix);
    argv[n++] = strdup("-e");
    argv[n++] = strdup(ng->errlog);
    argv[n++] = strdup("-c");
    argv[n++] = strdup(ng->conf);
    if (extra != NULL) {
        argv[n++] = strdup(extra);
    }
    argv[n] = NULL;
    return argv;
}

static void
argv_free(char **argv)
{
    size_t  i;

    for (i = 0; argv[i] != NULL; i++) {
        free(argv[i]);
    }
    free(argv);
}

static pid_t
spawn(char *const argv[], const char *out_path, int in_fd)
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
static int
wait_child(pid_t pid, int timeout_ms, int *status)
{
    long long  deadline = now_ms() + timeout_ms;
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
        if (now_ms() >= deadline) {
            return -1;
        }
        nap_ms(delay);
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
    pid = spawn(argv, path, in_pipe[0]);
    if (in != NULL) {
        signal(SIGPIPE, SIG_IGN);       /* a child that exits early */
        close(in_pipe[0]);
        write_all(in_pipe[1], in, strlen(in),
                  now_ms() + harness_timeout_ms(IO_TIMEOUT_MS));
        /* stdin stays open until the child exits: some tools stop at EOF */
    }
    if (pid > 0) {
        if (wait_child(pid, timeout_ms, &status) == 0) {
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
        *out = read_file(path, NULL);
    }
    unlink(path);
    return rc;
}

int
harness_nginx_test(harness_nginx *ng, const char **out)
{
    char  **argv = nginx_argv(ng, "-t");
    char   *text = NULL;
    int     rc;

    rc = harness_run(argv, NULL, harness_timeout_ms(START_TIMEOUT_MS),
                     &text);
    argv_free(argv);
    free(ng->test_out);
    ng->test_out = text;
    if (out != NULL) {
        *out = ng->test_out;
    }
    return rc;
}

static int
port_used(harness_nginx *ng, int i)
{
    char  *text = read_file(ng->conf, NULL), pat[32];
    int    used;

    snprintf(pat, sizeof(pat), ":%d", ng->port[i]);
    used = strstr(text, pat) != NULL;
    free(text);
    return used;
}

int
harness_nginx_start(harness_nginx *ng)
{
    char      **argv;
    long long   deadline;
    int         i, fd, status;

    argv = nginx_argv(ng, NULL);
    ng->pid = spawn(argv, ng->stderr_log, -1);
    argv_free(argv);
    if (ng->pid < 0) {
        return -1;
    }
    deadline = now_ms() + harness_timeout_ms(START_TIMEOUT_MS);
    for (i = 0; i < 2; i++) {
        if (!port_used(ng, i)) {
            continue;
        }
        for ( ;; ) {
            fd = tcp_connect(ng->port[i], 200);
            if (fd >= 0) {
                close(fd);
                break;
            }
            if (waitpid(ng->pid, &status, WNOHANG) == ng->pid) {
                ng->pid = -1;
                return -1;
            }
            if (now_ms() > deadline) {
                return -1;
            }
            nap_ms(5);
        }
    }
    /*
     * The master listens before it installs its signal handlers and forks:
     * a SIGHUP or SIGQUIT sent now would kill it, a client would wait for a
     * worker.  Ready means a worker has started ("start worker process
     * <pid>", not the "start worker processes" logged before the fork).
     */
    while (ng->master && !harness_log_contains(ng, "start worker process ")) {
        if (waitpid(ng->pid, &status, WNOHANG) == ng->pid) {
            ng->pid = -1;
            return -1;
        }
        if (now_ms() > deadline) {
            return -1;
        }
        nap_ms(5);
    }
    return 0;
}

/* pids whose parent is ppid */
static size_t
children_of(pid_t ppid, pid_t *out, size_t max)
{
    DIR            *d = opendir("/proc");
    struct dirent  *e;
    size_t          n = 0;
    char            path[300], *text, *rp;
    int             pp;

    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        text = read_file(path, NULL);
        rp = strrchr(text, ')');
        if (rp != NULL && sscanf(rp + 2, "%*c %d", &pp) == 1
            && pp == ppid)
        {
            out[n++] = (pid_t) atoi(e->d_name);
        }
        free(text);
    }
    closedir(d);
    return n;
}

static int
pid_alive(pid_t pid)
{
    char   path[64], *text, *rp;
    int    alive;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    text = read_file(path, NULL);
    rp = strrchr(text, ')');
    alive = rp != NULL && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
    free(text);
    return alive;
}

int
harness_nginx_reload_start(harness_nginx *ng)
{
    size_t      off;
    long long   deadline;
    const char *log, *tail;

    if (ng->pid <= 0) {
        return -2;
    }
    ng->nold = children_of(ng->pid, ng->old, 16);
    off = strlen(harness_log(ng));
    kill(ng->pid, SIGHUP);
    deadline = now_ms() + harness_timeout_ms(START_TIMEOUT_MS);
    for ( ;; ) {
        log = harness_log(ng);
        tail = strlen(log) >= off ? log + off : log;
        if (strstr(tail, "[emerg]") != NULL) {
            ng->nold = 0;
            return -1;
        }
        if (strstr(tail, "start worker process ") != NULL) {
            return 0;
        }
        if (now_ms() > deadline) {
            return -2;
        }
        nap_ms(5);
    }
}

int
harness_nginx_reload_wait_old(harness_nginx *ng)
{
    long long  deadline = now_ms() + harness_timeout_ms(STOP_TIMEOUT_MS);
    size_t     i;

    /* the old workers stop accepting only when they exit */
    for (i = 0; i < ng->nold; i++) {
        while (pid_alive(ng->old[i])) {
            if (now_ms() > deadline) {
                return -2;
            }
            nap_ms(5);
        }
    }
    ng->nold = 0;
    return 0;
}

int
harness_nginx_reload(harness_nginx *ng)
{
    int  rc = harness_nginx_reload_start(ng);

    return rc != 0 ? rc : harness_nginx_reload_wait_old(ng);
}

int
harness_nginx_stop(harness_nginx *ng)
{
    int  status = 0, rc = 0;

    if (ng->pid <= 0) {
        return -1;
    }
    kill(ng->pid, SIGQUIT);
    if (wait_child(ng->pid, harness_timeout_ms(STOP_TIMEOUT_MS), &status)
        != 0)
    {
        kill(ng->pid, SIGKILL);
        waitpid(ng->pid, &status, 0);
        rc = -1;
    }
    ng->pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = -1;
    }
    harness_log(ng);
    if (strstr(ng->log, "exited on signal") != NULL) {
        rc = -1;
    }
    {
        const char  *p = ng->log;

        while ((p = strstr(p, "exited with code ")) != NULL) {
            p += strlen("exited with code ");
            if (*p != '0') {
                rc = -1;
            }
        }
    }
    return rc;
}

void
harness_nginx_free(harness_nginx *ng)
{
    const char  *keep = getenv("ONEM2M_TEST_KEEP");
    char        *argv[] = { "rm", "-rf", NULL, NULL };

    if (ng == NULL) {
        return;
    }
    if (ng->pid > 0) {
        harness_nginx_stop(ng);
    }
    if (keep != NULL && strcmp(keep, "1") == 0) {
        fprintf(stderr, "harness: kept %s\n", ng->prefix);
    } else {
        argv[2] = ng->prefix;
        harness_run(argv, NULL, 10000, NULL);
    }
    free(ng->log);
    free(ng->test_out);
    free(ng);
}

const char *
harness_log(harness_nginx *ng)
{
    free(ng->log);
    ng->log = read_file(ng->errlog, NULL);
    return ng->log;
}

int
harness_log_contains(harness_nginx *ng, const char *needle)
{
    return strstr(harness_log(ng), needle) != NULL;
}

size_t
harness_log_count(harness_nginx *ng, const char *needle)
{
    const char  *p = harness_log(ng);
    size_t       n = 0;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

int
harness_log_wait(harness_nginx *ng, const char *needle, int timeout_ms)
{
    long long  deadline = now_ms() + harness_timeout_ms(timeout_ms);

    for ( ;; ) {
        if (harness_log_contains(ng, needle)) {
            return 1;
        }
        if (now_ms() > deadline) {
            return 0;
        }
        nap_ms(5);
    }
}


/* ------------------------------------------------------------------ */
/* the TLS client                                                     */

struct harness_conn {
    int                  fd;
    SSL                 *ssl;
    SSL_CTX             *ctx;
    long long            deadline;
    const harness_tls_opts *opts;
};

static int  conn_ex_index = -1;
static pthread_once_t  ex_once = PTHREAD_ONCE_INIT;

static void
ex_init(void)
{
    conn_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

typedef struct {
    const harness_tls_opts  *opts;
    harness_tls_result      *result;
} client_state;

static void
info_cb(const SSL *ssl, int where, int ret)
{
    client_state  *st = SSL_get_ex_data(ssl, conn_ex_index);

    if ((where & SSL_CB_READ_ALERT) && st != NULL && st->result->alert < 0
        && (ret >> 8) == SSL3_AL_FATAL)
    {
        st->result->alert = ret & 0xff;
    }
}

static unsigned int
psk12_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *psk,
    unsigned int max_psk_len)
{
    client_state  *st = SSL_get_ex_data(ssl, conn_ex_index);
    size_t         il = strlen(st->opts->identity);

    if (il + 1 > max_identity_len || st->opts->key_len > max_psk_len) {
        return 0;
    }
    memcpy(identity, st->opts->identity, il + 1);
    memcpy(psk, st->opts->key, st->opts->key_len);
    return (unsigned int) st->opts->key_len;
}

/* TLS 1.3 external PSK: a session holding the key, for each suite hash */
static int
psk13_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
    size_t *idlen, SSL_SESSION **sess)
{
    client_state      *st = SSL_get_ex_data(ssl, conn_ex_index);
    const SSL_CIPHER  *cipher = NULL;
    STACK_OF(SSL_CIPHER) *ciphers;
    SSL_SESSION       *s;
    int                i;

    *sess = NULL;
    ciphers = SSL_get1_supported_ciphers(ssl);
    for (i = 0; ciphers != NULL && i < sk_SSL_CIPHER_num(ciphers); i++) {
        const SSL_CIPHER  *c = sk_SSL_CIPHER_value(ciphers, i);

        if ((SSL_CIPHER_get_protocol_id(c) >> 8) != 0x13) {
            continue;
        }
        if (md == NULL || SSL_CIPHER_get_handshake_digest(c) == md) {
            cipher = c;
            break;
        }
    }
    sk_SSL_CIPHER_free(ciphers);
    if (cipher == NULL) {
        return 1;           /* no PSK for this hash: continue without */
    }
    s = SSL_SESSION_new();
    if (s == NULL
        || !SSL_SESSION_set1_master_key(s, st->opts->key, st->opts->key_len)
        || !SSL_SESSION_set_cipher(s, cipher)
        || !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION))
    {
        SSL_SESSION_free(s);
        return 0;
    }
    *id = (const unsigned char *) st->opts->identity;
    *idlen = strlen(st->opts->identity);
    *sess = s;
    return 1;
}

void
harness_tls_result_free(harness_tls_result *result)
{
    if (result != NULL && result->session != NULL) {
        SSL_SESSION_free(result->session);
        result->session = NULL;
    }
}

void
harness_conn_close(harness_conn *c)
{
    if (c == NULL) {
        return;
    }
    if (c->ssl != NULL) {
        client_state  *st = SSL_get_ex_data(c->ssl, conn_ex_index);

        SSL_free(c->ssl);
        free(st);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c);
}

/* drives an SSL call to completion with the connection's deadline */
static int
ssl_io(harness_conn *c, int (*op)(SSL *, void *, int), void *p, int n)
{
    int  rc, err;

    for ( ;; ) {
        ERR_clear_error();
        rc = op(c->ssl, p, n);
        if (rc > 0) {
            return rc;
        }
        err = SSL_get_error(c->ssl, rc);
        if (err == SSL_ERROR_WANT_READ) {
            if (!wait_fd(c->fd, POLLIN, c->deadline)) {
                return -1;
            }
        } else if (err == SSL_ERROR_WANT_WRITE) {
            if (!wait_fd(c->fd, POLLOUT, c->deadline)) {
                return -1;
            }
        } else if (err == SSL_ERROR_ZERO_RETURN) {
            return 0;
        } else {
            return -1;
        }
    }
}

static int
op_connect(SSL *ssl, void *p, int n)
{
    return SSL_connect(ssl);
}

static int
op_read(SSL *ssl, void *p, int n)
{
    return SSL_read(ssl, p, n);
}

static int
op_write(SSL *ssl, void *p, int n)
{
    return SSL_write(ssl, p, n);
}

harness_conn *
harness_tls_connect(int port, const harness_tls_opts *opts,
    harness_tls_result *result)
{
    harness_conn  *c;
    client_state  *st;
    int            rc;

    pthread_once(&ex_once, ex_init);
    memset(result, 0, sizeof(*result));
    result->alert = -1;

    c = calloc(1, sizeof(*c));
    st = calloc(1, sizeof(*st));
    if (c == NULL || st == NULL) {
        abort();
    }
    c->opts = opts;
    st->opts = opts;
    st->result = result;
    c->deadline = now_ms() + harness_timeout_ms(IO_TIMEOUT_MS);
    c->fd = tcp_connect(port, harness_timeout_ms(IO_TIMEOUT_MS));
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->fd < 0 || c->ctx == NULL) {
        free(st);
        harness_conn_close(c);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c->ctx,
                                  opts->version ? opts->version
                                                : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(c->ctx,
                                  opts->version ? opts->version
                                                : TLS1_3_VERSION);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_security_level(c->ctx, 0);
    if (opts->allow_no_dhe) {
        SSL_CTX_set_options(c->ctx, SSL_OP_ALLOW_NO_DHE_KEX);
    }
    if (opts->no_ticket) {
        SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET);
    }
    if (opts->ciphers != NULL
        ? !SSL_CTX_set_cipher_list(c->ctx, opts->ciphers)
        : (opts->identity != NULL
           && !SSL_CTX_set_cipher_list(c->ctx, "PSK")))
    {
        free(st);
        harness_conn_close(c);
        return NULL;
    }
    if ((opts->ciphersuites != NULL
         && !SSL_CTX_set_ciphersuites(c->ctx, opts->ciphersuites))
        || (opts->groups != NULL
            && !SSL_CTX_set1_groups_list(c->ctx, opts->groups)))
    {
        free(st);
        harness_conn_close(c);
        return NULL;
    }
    if (opts->cert_file != NULL
        && (SSL_CTX_use_certificate_chain_file(c->ctx, opts->cert_file) != 1
            || SSL_CTX_use_PrivateKey_file(c->ctx, opts->key_file,
                                           SSL_FILETYPE_PEM) != 1))
    {
        free(st);
        harness_conn_close(c);
        return NULL;
    }
    if (opts->identity != NULL) {
        SSL_CTX_set_psk_client_callback(c->ctx, psk12_cb);
        SSL_CTX_set_psk_use_session_callback(c->ctx, psk13_cb);
    }
    SSL_CTX_set_info_callback(c->ctx, info_cb);
    /* the client keeps no cache: tickets are taken with SSL_get1_session */
    SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_CLIENT
                                           | SSL_SESS_CACHE_NO_INTERNAL);

    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL) {
        free(st);
        harness_conn_close(c);
        return NULL;
    }
    SSL_set_ex_data(c->ssl, conn_ex_index, st);
    SSL_set_fd(c->ssl, c->fd);
    if (opts->sni != NULL) {
        SSL_set_tlsext_host_name(c->ssl, opts->sni);
    }
    if (opts->resume != NULL) {
        /* a copy: SSL_free() without shutdown spoils the session it holds */
        SSL_SESSION  *copy = SSL_SESSION_dup(opts->resume);

        SSL_set_session(c->ssl, copy);
        SSL_SESSION_free(copy);
    }

    rc = ssl_io(c, op_connect, NULL, 0);
    if (rc <= 0) {
        harness_conn_close(c);
        return NULL;
    }
    result->handshake_ok = 1;
    result->version = SSL_version(c->ssl);
    snprintf(result->cipher, sizeof(result->cipher), "%s",
             SSL_get_cipher_name(c->ssl));
    result->resumed = SSL_session_reused(c->ssl);
    harness_conn_session(c, result);
    return c;
}

void
harness_conn_session(harness_conn *c, harness_tls_result *result)
{
    SSL_SESSION_free(result->session);
    /*
     * A copy: freeing an SSL object whose connection was not shut down
     * marks its session not resumable.
     */
    result->session = SSL_get0_session(c->ssl) != NULL
                      ? SSL_SESSION_dup(SSL_get0_session(c->ssl)) : NULL;
}

static int
read_response(harness_conn *c, harness_response *resp)
{
    buf_t        b = { NULL, 0, 0 };
    char         tmp[16384], *hend, *first = NULL;
    const char  *cl, *te;
    size_t       head_len, want = 0;
    int          n, have_len = 0, chunked = 0;

    memset(resp, 0, sizeof(*resp));
    buf_add(&b, "", 0);
    for ( ;; ) {
        hend = memmem(b.data, b.len, "\r\n\r\n", 4);
        if (hend != NULL) {
            head_len = (size_t) (hend - b.data) + 4;
            if (resp->headers == NULL && first == NULL) {
                if (parse_head(b.data, head_len, &first, &resp->headers,
                               &resp->nheaders) != 0
                    || sscanf(first, "HTTP/1.%*d %d", &resp->status) != 1)
                {
                    break;
                }
                cl = harness_resp_header(resp, "Content-Length");
                te = harness_resp_header(resp, "Transfer-Encoding");
                if (cl != NULL) {
                    have_len = 1;
                    want = strtoul(cl, NULL, 10);
                } else if (te != NULL && strcasecmp(te, "chunked") == 0) {
                    chunked = 1;
                }
            }
            if (have_len && b.len >= head_len + want) {
                resp->body = xstrndup(b.data + head_len, want);
                resp->body_len = want;
                break;
            }
            if (chunked && memmem(b.data + head_len, b.len - head_len,
                                  "\r\n0\r\n\r\n", 7) != NULL)
            {
                /* decode chunks */
                buf_t        d = { NULL, 0, 0 };
                const char  *p = b.data + head_len;
                size_t       sz;

                buf_add(&d, "", 0);
                while ((sz = strtoul(p, NULL, 16)) > 0) {
                    p = strstr(p, "\r\n") + 2;
                    buf_add(&d, p, sz);
                    p += sz + 2;
                }
                resp->body = d.data;
                resp->body_len = d.len;
                break;
            }
        }
        if (b.len > MAX_MESSAGE) {
            break;
        }
        n = ssl_io(c, op_read, tmp, sizeof(tmp));
        if (n <= 0) {
            if (resp->status != 0 && !have_len && !chunked) {
                hend = memmem(b.data, b.len, "\r\n\r\n", 4);
                head_len = (size_t) (hend - b.data) + 4;
                resp->body = xstrndup(b.data + head_len, b.len - head_len);
                resp->body_len = b.len - head_len;
            }
            break;
        }
        buf_add(&b, tmp, (size_t) n);
    }
    free(first);
    free(b.data);
    if (resp->status == 0 || resp->body == NULL) {
        harness_response_free(resp);
        resp->body = xstrndup("", 0);
        return -1;
    }
    return 0;
}

int
harness_conn_write(harness_conn *c, const char *data, size_t len)
{
    c->deadline = now_ms() + harness_timeout_ms(IO_TIMEOUT_MS);
    return ssl_io(c, op_write, (void *) data, (int) len) == (int) len
           ? 0 : -1;
}

int
harness_http_raw(harness_conn *c, const char *raw, size_t len,
    harness_response *resp)
{
    c->deadline = now_ms() + harness_timeout_ms(IO_TIMEOUT_MS);
    if (ssl_io(c, op_write, (void *) raw, (int) len) != (int) len) {
        memset(resp, 0, sizeof(*resp));
        resp->body = xstrndup("", 0);
        return -1;
    }
    return read_response(c, resp);
}

int
harness_http(harness_conn *c, const char *method, const char *uri,
    const char *extra_headers, const char *body, int keep_alive,
    harness_response *resp)
{
    buf_t  b = { NULL, 0, 0 };
    int    rc;

    buf_add(&b, "", 0);
    buf_fmt(&b, "%s %s HTTP/1.1\r\n", method, uri);
    if (extra_headers == NULL
        || (strncasecmp(extra_headers, "Host:", 5) != 0
            && strcasestr(extra_headers, "\nHost:") == NULL))
    {
        buf_str(&b, "Host: localhost\r\n");
    }
    if (extra_headers != NULL) {
        buf_str(&b, extra_headers);
    }
    if (body != NULL) {
        buf_fmt(&b, "Content-Length: %zu\r\n", strlen(body));
    }
    if (!keep_alive) {
        buf_str(&b, "Connection: close\r\n");
    }
    buf_str(&b, "\r\n");
    if (body != NULL) {
        buf_str(&b, body);
    }
    rc = harness_http_raw(c, b.data, b.len, resp);
    free(b.data);
    return rc;
}

int
harness_tls_request(int port, const harness_tls_opts *opts,
    const char *method, const char *uri, const char *extra_headers,
    const char *body, harness_tls_result *result, harness_response *resp)
{
    harness_conn  *c;
    int            rc;

    memset(resp, 0, sizeof(*resp));
    c = harness_tls_connect(port, opts, result);
    if (c == NULL) {
        resp->body = xstrndup("", 0);
        return -1;
    }
    rc = harness_http(c, method, uri, extra_headers, body, 0, resp);
    /* TLS 1.3 tickets arrive after the handshake: take the session now */
    harness_conn_session(c, result);
    harness_conn_close(c);
    return rc;
}
