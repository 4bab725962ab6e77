/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loopback sockets with deadlines: a free port, a non-blocking connect,
 * waiting for readiness, writing everything.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/harness_internal.h"

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

int
harness_tcp_connect(int port, int timeout_ms)
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
int
harness_wait_fd(int fd, short events, long long deadline)
{
    struct pollfd  pfd;
    long long      left;
    int            rc;

    for ( ;; ) {
        left = deadline - harness_now_ms();
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

int
harness_write_all(int fd, const char *p, size_t n, long long deadline)
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
            if (!harness_wait_fd(fd, POLLOUT, deadline)) {
                return -1;
            }
            continue;
        }
        return -1;
    }
    return 0;
}

int
harness_connect(int port)
{
    int  fd = harness_tcp_connect(port, harness_timeout_ms(IO_TIMEOUT_MS));

    if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
harness_listen(int backlog, int *port)
{
    struct sockaddr_in  sa;
    socklen_t           sl = sizeof(sa);
    int                 fd, one = 1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0
        || listen(fd, backlog) != 0
        || getsockname(fd, (struct sockaddr *) &sa, &sl) != 0)
    {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}
