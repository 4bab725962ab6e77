/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The live-store suites' HTTP/2 client (header-only, static functions).
 */

#ifndef ONEM2M_TEST_LIVE_H2_H
#define ONEM2M_TEST_LIVE_H2_H

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <check.h>

#include <openssl/err.h>

#include "integration/live_fixture.h"

/*-
 * HTTP/2
 * ------
 * A client of our own: TLS 1.2 PSK with ALPN "h2", the connection preface,
 * HEADERS frames with literal (unindexed, raw) HPACK fields, and a reader
 * of the server's frames that knows nginx's ":status" encodings.
 */

typedef struct {
    SSL      *ssl;
    int       fd;
    int       goaway;
    int       eof;
    int       timedout;
} h2_conn;

static inline unsigned int
h2_psk_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *psk,
    unsigned int max_psk_len)
{
    snprintf(identity, max_identity_len, "%s", HARNESS_LOCK1_KPSA_ID);
    memcpy(psk, SAE_LOCK1_KEY, sizeof(SAE_LOCK1_KEY));
    return sizeof(SAE_LOCK1_KEY);
}

static inline void
h2_frame(h2_conn *h, int type, int flags, unsigned int stream,
    const unsigned char *payload, size_t len)
{
    unsigned char  buf[9 + 256];

    ck_assert_uint_le(len, 256);
    buf[0] = (unsigned char) (len >> 16);
    buf[1] = (unsigned char) (len >> 8);
    buf[2] = (unsigned char) len;
    buf[3] = (unsigned char) type;
    buf[4] = (unsigned char) flags;
    buf[5] = (unsigned char) (stream >> 24);
    buf[6] = (unsigned char) (stream >> 16);
    buf[7] = (unsigned char) (stream >> 8);
    buf[8] = (unsigned char) stream;
    memcpy(buf + 9, payload, len);
    ck_assert_int_eq(SSL_write(h->ssl, buf, (int) (9 + len)),
                     (int) (9 + len));
}

/* the pseudo-headers of a request (method: 0x82 GET, 0x83 POST); length */
static inline size_t
h2_request_block(unsigned char *block, unsigned char method,
    const char *path)
{
    size_t  n = 0, len = strlen(path);

    block[n++] = method;                    /* :method, indexed */
    block[n++] = 0x87;                      /* :scheme https */
    block[n++] = 0x04;                      /* :path, literal value */
    block[n++] = (unsigned char) len;
    memcpy(block + n, path, len);
    n += len;
    block[n++] = 0x01;                      /* :authority */
    block[n++] = 9;
    memcpy(block + n, "localhost", 9);
    return n + 9;
}

/* GET path on stream, END_STREAM */
static inline void
h2_get(h2_conn *h, unsigned int stream, const char *path)
{
    unsigned char  block[256];

    h2_frame(h, 1, 0x05, stream, block, h2_request_block(block, 0x82, path));
}

static inline int
h2_read_full(h2_conn *h, unsigned char *buf, size_t len)
{
    struct pollfd  pfd;
    size_t         got = 0;
    int            n;

    while (got < len) {
        if (SSL_pending(h->ssl) == 0) {
            pfd.fd = h->fd;
            pfd.events = POLLIN;
            if (poll(&pfd, 1, harness_timeout_ms(5000)) <= 0) {
                h->timedout = 1;
                return -1;
            }
        }
        n = SSL_read(h->ssl, buf + got, (int) (len - got));
        if (n <= 0) {
            h->eof = 1;
            ERR_clear_error();
            return -1;
        }
        got += (size_t) n;
    }
    return 0;
}

/* the next frame of the server into hdr, payload; 0, or -1 (eof, timeout) */
static inline int
h2_next(h2_conn *h, unsigned char *hdr, unsigned char *payload, size_t max,
    size_t *len, unsigned int *sid)
{
    if (h2_read_full(h, hdr, 9) != 0) {
        return -1;
    }
    *len = ((size_t) hdr[0] << 16) | ((size_t) hdr[1] << 8) | hdr[2];
    *sid = ((unsigned int) (hdr[5] & 0x7f) << 24) | (hdr[6] << 16)
           | (hdr[7] << 8) | hdr[8];
    if (*len > max || h2_read_full(h, payload, *len) != 0) {
        return -1;
    }
    if (hdr[3] == 7) {
        h->goaway = 1;
    }
    if (hdr[3] == 4 && !(hdr[4] & 1)) {
        h2_frame(h, 4, 1, 0, NULL, 0);      /* SETTINGS ack */
    }
    return 0;
}

/* frames until the response HEADERS of stream; its :status, 0 if none */
static inline int
h2_status(h2_conn *h, unsigned int stream)
{
    unsigned char  hdr[9], payload[16384];
    size_t         len;
    unsigned int   sid;

    for ( ;; ) {
        if (h2_next(h, hdr, payload, sizeof(payload), &len, &sid) != 0) {
            return 0;
        }
        if (hdr[3] != 1 || sid != stream || len == 0) {
            continue;
        }
        if (payload[0] == 0x88) {
            return 200;
        }
        /* nginx: ":status" literal, incremental indexing, raw 3 digits */
        if (len >= 5 && payload[0] == 0x48 && payload[1] == 3) {
            return atoi((char *) payload + 2) % 1000;
        }
        return -1;
    }
}

/*
 * Frames until a WINDOW_UPDATE of stream: nginx sends one when a handler
 * starts reading the request body, after the request's header phases.
 * 0, or -1 when none came.
 */
static inline int
h2_wait_window_update(h2_conn *h, unsigned int stream)
{
    unsigned char  hdr[9], payload[16384];
    size_t         len;
    unsigned int   sid;

    for ( ;; ) {
        if (h2_next(h, hdr, payload, sizeof(payload), &len, &sid) != 0) {
            return -1;
        }
        if (hdr[3] == 8 && sid == stream) {
            return 0;
        }
    }
}

/* POST path on stream with a Content-Length, the body to follow */
static inline void
h2_post(h2_conn *h, unsigned int stream, const char *path, size_t body_len)
{
    unsigned char  block[256];
    char           cl[24];
    size_t         n, cl_len;

    cl_len = (size_t) snprintf(cl, sizeof(cl), "%zu", body_len);
    n = h2_request_block(block, 0x83, path);
    block[n++] = 0x0f;                      /* content-length (28) */
    block[n++] = 0x0d;
    block[n++] = (unsigned char) cl_len;
    memcpy(block + n, cl, cl_len);
    n += cl_len;
    h2_frame(h, 1, 0x04, stream, block, n); /* END_HEADERS */
}

/* DATA on stream, END_STREAM when end */
static inline void
h2_data(h2_conn *h, unsigned int stream, const char *data, int end)
{
    h2_frame(h, 0, end ? 0x01 : 0, stream, (const unsigned char *) data,
             strlen(data));
}

static inline void
h2_open(h2_conn *h, int port)
{
    static const unsigned char  alpn[] = { 2, 'h', '2' };
    static const char           preface[] =
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    struct sockaddr_in          sin;
    SSL_CTX                    *ctx;

    memset(h, 0, sizeof(*h));
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(h->fd, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short) port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(h->fd, (struct sockaddr *) &sin, sizeof(sin)),
                     0);

    ctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(ctx);
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx, "PSK-AES128-GCM-SHA256"),
                     1);
    SSL_CTX_set_psk_client_callback(ctx, h2_psk_cb);
    ck_assert_int_eq(SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn)), 0);
    h->ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    SSL_set_fd(h->ssl, h->fd);
    ck_assert_int_eq(SSL_connect(h->ssl), 1);

    ck_assert_int_eq(SSL_write(h->ssl, preface, sizeof(preface) - 1),
                     (int) sizeof(preface) - 1);
    h2_frame(h, 4, 0, 0, NULL, 0);          /* SETTINGS */
}

/* whether the nginx under test has HTTP/2 */
static inline int
h2_nginx_has_http2(void)
{
    char  *out = NULL;
    char  *argv[] = { (char *) harness_nginx_bin(), "-V", NULL };
    int    has;

    has = harness_run(argv, NULL, harness_timeout_ms(5000), &out) == 0
          && strstr(out, "--with-http_v2_module") != NULL;
    free(out);
    return has;
}

static inline void
h2_close(h2_conn *h)
{
    SSL_free(h->ssl);
    close(h->fd);
}

#endif /* ONEM2M_TEST_LIVE_H2_H */
