/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cse-stand-in: what a CSE behind the gateway would receive, as JSON.
 *
 * A tiny HTTP/1.x server for the door-lock demo: it answers every request
 * with 200 and {"method": ..., "uri": ..., "headers": {"<Name>": "<value>",
 * ...}}, so that one can see what nginx forwarded (X-M2M-Origin, the
 * identity header) without running a real CSE.  Repeated headers are
 * joined with ", " under the first spelling of their name.  GET
 * /bench.txt (make bench-tls) gets a fixed "bench" instead.
 *
 *   cse-stand-in [address] [port]      (default 127.0.0.1 8081)
 *
 * One request per connection (nginx proxies with HTTP/1.0 by default),
 * one connection at a time: a demo tool, not a server.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_HEAD     65536
#define MAX_HEADERS  128

#define buf_add_literal(b, s)  buf_add(b, s, sizeof(s) - 1)

typedef struct {
    const char  *name;
    size_t       name_len;
    char        *value;      /* malloc'ed, joined values */
    size_t       value_len;
} header_t;

typedef struct {
    char   *data;
    size_t  len;
    size_t  size;
} buf_t;

static volatile sig_atomic_t  stop;

static void
on_signal(int sig)
{
    (void) sig;
    stop = 1;
}

static int
buf_add(buf_t *b, const char *s, size_t len)
{
    char    *p;
    size_t   size;

    if (b->len + len + 1 > b->size) {
        size = (b->size ? b->size * 2 : 1024) + len;
        p = realloc(b->data, size);
        if (p == NULL) {
            return -1;
        }
        b->data = p;
        b->size = size;
    }

    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';

    return 0;
}

/* a JSON string: quotes, backslash and control bytes escaped */
static int
buf_add_json(buf_t *b, const char *s, size_t len)
{
    size_t         i;
    char           esc[8];
    unsigned char  c;

    if (buf_add(b, "\"", 1) != 0) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char) c;
            if (buf_add(b, esc, 2) != 0) {
                return -1;
            }

        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            if (buf_add(b, esc, 6) != 0) {
                return -1;
            }

        } else if (buf_add(b, (const char *) &c, 1) != 0) {
            return -1;
        }
    }

    return buf_add(b, "\"", 1);
}

static void
send_all(int fd, const char *p, size_t len)
{
    ssize_t  n;

    while (len) {
        n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return;
        }
        p += n;
        len -= (size_t) n;
    }
}

static void
send_status(int fd, const char *status)
{
    char  out[256];
    int   n;

    n = snprintf(out, sizeof(out), "HTTP/1.1 %s\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n", status);
    send_all(fd, out, (size_t) n);
}

static char *
trim(char *s, char *end, char **out_end)
{
    while (s < end && (*s == ' ' || *s == '\t')) {
        s++;
    }
    while (end > s && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    *out_end = end;
    return s;
}

/*
 * The request head into head (NUL-terminated, *len bytes read); *end: its
 * blank line.  Returns 1, 0 when it does not fit, -1 when the connection
 * ended or failed first.
 */
static int
read_head(int fd, char *head, size_t *len, char **end)
{
    ssize_t  got;

    *len = 0;
    *end = NULL;

    while (*len < MAX_HEAD) {
        got = recv(fd, head + *len, MAX_HEAD - *len, 0);
        if (got <= 0) {
            if (got < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        *len += (size_t) got;
        head[*len] = '\0';

        *end = strstr(head, "\r\n\r\n");
        if (*end) {
            return 1;
        }
    }

    return 0;
}

/* value under name, joined to an earlier one; -1: out of memory */
static int
header_add(header_t *headers, int *count, const char *name, size_t name_len,
    const char *value, size_t n)
{
    char    *p;
    size_t   i;

    for (i = 0; i < (size_t) *count; i++) {
        if (headers[i].name_len == name_len
            && strncasecmp(headers[i].name, name, name_len) == 0)
        {
            break;
        }
    }

    if (i == (size_t) *count) {
        if (*count == MAX_HEADERS) {
            return 0;
        }
        headers[i].name = name;
        headers[i].name_len = name_len;
        headers[i].value = malloc(n + 1);
        if (headers[i].value == NULL) {
            return -1;
        }
        memcpy(headers[i].value, value, n);
        headers[i].value_len = n;
        (*count)++;
        return 0;
    }

    p = realloc(headers[i].value, headers[i].value_len + 2 + n + 1);
    if (p == NULL) {
        return -1;
    }
    memcpy(p + headers[i].value_len, ", ", 2);
    memcpy(p + headers[i].value_len + 2, value, n);
    headers[i].value = p;
    headers[i].value_len += 2 + n;

    return 0;
}

/*
 * The header lines from line up to end into headers (*count of them) and
 * the Content-Length into *body_left; -1: out of memory.
 */
static int
parse_headers(char *line, char *end, header_t *headers, int *count,
    size_t *body_left)
{
    char    *eol, *colon, *name, *name_end, *value, *value_end, lenbuf[64];
    size_t   n;

    for ( /* void */ ; line < end; line = eol + 2) {
        eol = strstr(line, "\r\n");
        colon = memchr(line, ':', (size_t) (eol - line));

        if (colon == NULL) {
            continue;
        }

        name = trim(line, colon, &name_end);
        value = trim(colon + 1, eol, &value_end);
        n = (size_t) (value_end - value);

        if ((size_t) (name_end - name) == sizeof("Content-Length") - 1
            && strncasecmp(name, "Content-Length", (size_t) (name_end - name))
               == 0
            && n < sizeof(lenbuf))
        {
            memcpy(lenbuf, value, n);
            lenbuf[n] = '\0';
            *body_left = strtoul(lenbuf, NULL, 10);
        }

        if (header_add(headers, count, name, (size_t) (name_end - name),
                       value, n) != 0)
        {
            return -1;
        }
    }

    return 0;
}

/* {"method": ..., "uri": ..., "headers": {...}} and a newline */
static int
build_json(buf_t *out, const char *method, size_t method_len,
    const char *uri, size_t uri_len, const header_t *headers, int count)
{
    size_t  i;

    if (buf_add_literal(out, "{\"method\": ") != 0
        || buf_add_json(out, method, method_len) != 0
        || buf_add_literal(out, ", \"uri\": ") != 0
        || buf_add_json(out, uri, uri_len) != 0
        || buf_add_literal(out, ", \"headers\": {") != 0)
    {
        return -1;
    }

    for (i = 0; i < (size_t) count; i++) {
        if ((i && buf_add_literal(out, ", ") != 0)
            || buf_add_json(out, headers[i].name, headers[i].name_len) != 0
            || buf_add_literal(out, ": ") != 0
            || buf_add_json(out, headers[i].value, headers[i].value_len)
               != 0)
        {
            return -1;
        }
    }

    return buf_add_literal(out, "}}\n");
}

/* reads and drops body_left bytes of request body, buf as scratch */
static void
drain_body(int fd, char *buf, size_t body_left)
{
    ssize_t  got;

    while (body_left) {
        got = recv(fd, buf, body_left < MAX_HEAD ? body_left : MAX_HEAD, 0);
        if (got <= 0) {
            if (got < 0 && errno == EINTR) {
                continue;
            }
            break;
        }
        body_left -= (size_t) got;
    }
}

/* a 200 response carrying the JSON in out */
static void
send_json(int fd, const buf_t *out)
{
    buf_t   resp = { NULL, 0, 0 };
    char    lenbuf[64];
    size_t  n;

    n = (size_t) snprintf(lenbuf, sizeof(lenbuf), "%zu", out->len);

    if (buf_add_literal(&resp, "HTTP/1.1 200 OK\r\n"
                        "Content-Type: application/json\r\n"
                        "Connection: close\r\nContent-Length: ") == 0
        && buf_add(&resp, lenbuf, n) == 0
        && buf_add_literal(&resp, "\r\n\r\n") == 0
        && buf_add(&resp, out->data, out->len) == 0)
    {
        send_all(fd, resp.data, resp.len);
    }

    free(resp.data);
}

static const char  bench_answer[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
    "Connection: close\r\nContent-Length: 6\r\n\r\nbench\n";

static void
serve(int fd)
{
    char        head[MAX_HEAD + 1], *end, *eol, *sp1, *sp2;
    size_t      len, i, n, body_left;
    buf_t       out = { NULL, 0, 0 };
    header_t    headers[MAX_HEADERS];
    int         count, rc;

    rc = read_head(fd, head, &len, &end);
    if (rc < 0) {
        return;
    }
    if (rc == 0) {
        send_status(fd, "431 Request Header Fields Too Large");
        return;
    }

    /* request line */

    eol = strstr(head, "\r\n");
    sp1 = memchr(head, ' ', (size_t) (eol - head));
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t) (eol - sp1 - 1)) : NULL;

    if (sp1 == NULL || sp2 == NULL) {
        send_status(fd, "400 Bad Request");
        return;
    }

    /*
     * make bench-tls asks for /bench.txt: the same answer whatever the
     * request's headers, so that a proxy that adds one (the identity
     * header) is not charged for a longer echo (docs/benchmarks.md)
     */
    if ((size_t) (sp2 - sp1 - 1) == sizeof("/bench.txt") - 1
        && memcmp(sp1 + 1, "/bench.txt", sizeof("/bench.txt") - 1) == 0)
    {
        send_all(fd, bench_answer, sizeof(bench_answer) - 1);
        return;
    }

    count = 0;
    body_left = 0;

    /* the answer, built before the body is drained into the same buffer */

    if (parse_headers(eol + 2, end, headers, &count, &body_left) == 0
        && build_json(&out, head, (size_t) (sp1 - head), sp1 + 1,
                      (size_t) (sp2 - sp1 - 1), headers, count) == 0)
    {
        n = len - (size_t) (end + 4 - head);
        drain_body(fd, head, body_left > n ? body_left - n : 0);
        send_json(fd, &out);
    }

    for (i = 0; i < (size_t) count; i++) {
        free(headers[i].value);
    }
    free(out.data);
}


int
main(int argc, char **argv)
{
    int                 lfd, fd, one;
    const char         *addr;
    struct timeval      tv;
    struct sigaction    sa;
    struct sockaddr_in  sin;

    addr = argc > 1 ? argv[1] : "127.0.0.1";

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short) atoi(argc > 2 ? argv[2] : "8081"));

    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 || sin.sin_port == 0) {
        fprintf(stderr, "usage: %s [IPv4 address] [port]\n", argv[0]);
        return 2;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    one = 1;

    if (lfd < 0
        || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) != 0
        || listen(lfd, 64) != 0)
    {
        fprintf(stderr, "cse-stand-in: %s:%s: %s\n", addr,
                argc > 2 ? argv[2] : "8081", strerror(errno));
        return 1;
    }

    fprintf(stderr, "cse-stand-in: listening on %s:%u\n", addr,
            (unsigned) ntohs(sin.sin_port));

    /* a client that stalls must not block the demo for long */

    tv.tv_sec = 5;
    tv.tv_usec = 0;

    while (!stop) {
        fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            continue;
        }

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

        serve(fd);
        close(fd);
    }

    close(lfd);

    return 0;
}
