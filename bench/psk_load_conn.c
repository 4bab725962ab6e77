/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * psk_load's load process (psk_load.h): the PSK callbacks of the client,
 * one connection (TCP, handshake, the requests) and the loop of child(),
 * counting into the shared statistics.
 */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench_clock.h"
#include "bench_mix.h"
#include "psk_load.h"


/* the current connection's credential, for the PSK callbacks */
static char           cur_identity[64];
static unsigned char  cur_key[16];


/* PSK callbacks of the client */


static unsigned int
psk12_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_id,
    unsigned char *psk, unsigned int max_psk)
{
    if (strlen(cur_identity) + 1 > max_id || sizeof(cur_key) > max_psk) {
        return 0;
    }
    strcpy(identity, cur_identity);
    memcpy(psk, cur_key, sizeof(cur_key));
    return sizeof(cur_key);
}


static int
psk13_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
    SSL_SESSION **sess)
{
    static const unsigned char  aes128gcmsha256[] = { 0x13, 0x01 };
    const SSL_CIPHER           *cipher;
    SSL_SESSION                *s;

    cipher = SSL_CIPHER_find(ssl, aes128gcmsha256);
    if (md != NULL && md != SSL_CIPHER_get_handshake_digest(cipher)) {
        *sess = NULL;
        return 1;
    }

    s = SSL_SESSION_new();
    if (s == NULL
        || !SSL_SESSION_set1_master_key(s, cur_key, sizeof(cur_key))
        || !SSL_SESSION_set_cipher(s, cipher)
        || !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION))
    {
        SSL_SESSION_free(s);
        return 0;
    }

    *sess = s;
    *id = (const unsigned char *) cur_identity;
    *idlen = strlen(cur_identity);
    return 1;
}


static SSL_CTX *
client_ctx(void)
{
    SSL_CTX  *ctx;
    int       v13, ok;

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        return NULL;
    }

    v13 = opt.mode == MODE_TLS13 || opt.mode == MODE_TLS13_KE
          || opt.mode == MODE_CERT13;
    SSL_CTX_set_min_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);

    switch (opt.mode) {
    case MODE_TLS12:
        ok = SSL_CTX_set_cipher_list(ctx, "PSK-AES128-CBC-SHA256");
        SSL_CTX_set_psk_client_callback(ctx, psk12_cb);
        break;
    case MODE_TLS13:
        ok = SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256")
             && SSL_CTX_set1_groups_list(ctx, "P-256");
        SSL_CTX_set_psk_use_session_callback(ctx, psk13_cb);
        break;
    case MODE_TLS13_KE:
        /* the servers have P-256 only: no common group, so psk_ke */
        ok = SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256")
             && SSL_CTX_set1_groups_list(ctx, "X25519");
        SSL_CTX_set_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
        SSL_CTX_set_psk_use_session_callback(ctx, psk13_cb);
        break;
    case MODE_CERT12:
        ok = SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256")
             && SSL_CTX_set1_groups_list(ctx, "P-256");
        break;
    default: /* MODE_CERT13 */
        ok = SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256")
             && SSL_CTX_set1_groups_list(ctx, "P-256");
        break;
    }

    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}


/* one connection */


static void
hist_add(uint32_t *hist, double seconds)
{
    long  us = (long) (seconds * 1e6 + 0.5);

    hist[us < 0 ? 0 : us >= HIST_US ? HIST_US - 1 : us]++;
}


/* an operation started at t_start and done now counts if in the window */
static void
record(uint64_t *count, uint32_t *hist, double t_start)
{
    double  t_done = now();

    if (t_done >= shm->t0 && (shm->t1 == 0 || t_done < shm->t1)) {
        (*count)++;
        hist_add(hist, t_done - t_start);
    }
}


static int
tcp_connect(void)
{
    struct sockaddr_in  sin;
    struct timeval      tv = { 5, 0 };
    int                 fd, one = 1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short) opt.port);
    if (inet_pton(AF_INET, opt.host, &sin.sin_addr) != 1) {
        return -1;
    }

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    /* a stalled server fails the connection instead of hanging the run */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}


/*
 * One response: status line, headers, then Content-Length bytes, or up to
 * the end of the connection without one.  Returns the status, -1 on error.
 */
static int
read_response(SSL *ssl, int *closed)
{
    char    buf[16384], *end, *cl;
    size_t  have = 0, head, want = 0;
    int     n, status, has_len = 0;

    *closed = 0;

    for ( ;; ) {
        n = SSL_read(ssl, buf + have, (int) (sizeof(buf) - 1 - have));
        if (n <= 0) {
            return -1;
        }
        have += (size_t) n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            break;
        }
        if (have == sizeof(buf) - 1) {
            return -1;
        }
    }

    head = (size_t) (end + 4 - buf);
    *end = '\0';

    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
        return -1;
    }

    for (cl = strstr(buf, "\r\n"); cl != NULL; cl = strstr(cl + 2, "\r\n")) {
        if (strncasecmp(cl + 2, "Content-Length:", 15) == 0) {
            want = strtoul(cl + 17, NULL, 10);
            has_len = 1;
        }
    }

    if (has_len) {
        have -= head;
        while (have < want) {
            n = SSL_read(ssl, buf, (int) sizeof(buf));
            if (n <= 0) {
                return -1;
            }
            have += (size_t) n;
        }
        return have == want ? status : -1;
    }

    /* no length: the body ends with the connection */
    while ((n = SSL_read(ssl, buf, (int) sizeof(buf))) > 0) {
        /* void */
    }
    *closed = 1;

    return status;
}


static void
report_failure(proc_stats_t *st, const char *what)
{
    unsigned long  e = ERR_peek_last_error();
    char           reason[256];

    if (st->hs_failures + st->req_failures <= MAX_REPORTED) {
        ERR_error_string_n(e, reason, sizeof(reason));
        fprintf(stderr, "psk_load: %s:%d %s (identity %s): %s%s%s\n",
                opt.host, opt.port, what, cur_identity,
                errno ? strerror(errno) : "", e ? " " : "", e ? reason : "");
    }
    ERR_clear_error();
}


/* a TCP connection with an SSL on it; NULL: failed (counted, reported) */
static SSL *
connection_open(SSL_CTX *ctx, proc_stats_t *st)
{
    SSL  *ssl;
    int   fd;

    fd = tcp_connect();
    if (fd < 0) {
        st->hs_failures++;
        report_failure(st, "connect");
        return NULL;
    }

    ssl = SSL_new(ctx);
    if (ssl == NULL) {
        close(fd);
        st->hs_failures++;
        report_failure(st, "SSL_new");
        return NULL;
    }
    SSL_set_fd(ssl, fd);
    if (opt.sni != NULL) {
        SSL_set_tlsext_host_name(ssl, opt.sni);
    }

    return ssl;
}


/* the handshake, counted from t_start with what it negotiated; 0: failed */
static int
handshake(SSL *ssl, proc_stats_t *st, double t_start)
{
    if (SSL_connect(ssl) != 1) {
        st->hs_failures++;
        report_failure(st, "handshake");
        return 0;
    }

    record(&st->handshakes, st->hs_hist, t_start);
    /* a TLS 1.3 external PSK handshake counts as "reused" in OpenSSL */
    if (SSL_session_reused(ssl) && opt.mode != MODE_TLS13
        && opt.mode != MODE_TLS13_KE)
    {
        st->resumed++;
    }
    st->kex_group = SSL_get_negotiated_group(ssl);
    snprintf(st->cipher, sizeof(st->cipher), "%s", SSL_get_cipher_name(ssl));

    return 1;
}


/*
 * Request r of the connection and its response; *closed: the server ended
 * the connection with it.  Returns 1 for a 200, 0 for a failure (counted,
 * reported).
 */
static int
one_request(SSL *ssl, proc_stats_t *st, const char *entity, int r,
    unsigned *serial, int *closed)
{
    char    req[512];
    double  t_start;
    int     len, status;

    len = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\n"
                   "Host: bench\r\n"
                   "%s%s%s"
                   "X-M2M-RI: r%u\r\n"
                   "%s"
                   "\r\n",
                   opt.path,
                   opt.origin ? "X-M2M-Origin: " : "",
                   opt.origin ? entity : "",
                   opt.origin ? "\r\n" : "",
                   (*serial)++,
                   r == opt.requests - 1 ? "Connection: close\r\n" : "");

    t_start = now();
    errno = 0;
    if (SSL_write(ssl, req, len) != len) {
        st->req_failures++;
        report_failure(st, "request");
        return 0;
    }
    status = read_response(ssl, closed);
    if (status != 200) {
        st->req_failures++;
        if (status > 0) {
            errno = 0;
            ERR_clear_error();
            snprintf(req, sizeof(req), "HTTP status %d", status);
            report_failure(st, req);
        } else {
            report_failure(st, "response");
        }
        return 0;
    }
    record(&st->requests, st->req_hist, t_start);

    return 1;
}


static void
one_connection(SSL_CTX *ctx, proc_stats_t *st, unsigned identity,
    unsigned *serial)
{
    SSL     *ssl;
    char     entity[64], drain[4096];
    double   t_start;
    int      fd, r, closed = 0;

    cred_identity(identity, cur_identity, sizeof(cur_identity));
    cred_entity(identity, entity, sizeof(entity));
    cred_key(identity, cur_key);

    errno = 0;
    t_start = now();
    ssl = connection_open(ctx, st);
    if (ssl == NULL) {
        return;
    }

    if (!handshake(ssl, st, t_start)) {
        goto done;
    }

    for (r = 0; r < opt.requests && !closed; r++) {
        if (!one_request(ssl, st, entity, r, serial, &closed)) {
            goto done;
        }
    }

    if (opt.requests > 0 && !closed) {
        /* "Connection: close": the server closes first (no TIME_WAIT here) */
        while (SSL_read(ssl, drain, sizeof(drain)) > 0) {
            /* void */
        }
    } else if (opt.requests == 0) {
        SSL_shutdown(ssl);
    }

done:

    /* SSL_set_fd's socket BIO does not close the descriptor */
    fd = SSL_get_fd(ssl);
    SSL_free(ssl);
    close(fd);
    ERR_clear_error();
}


void
child(int index)
{
    proc_stats_t  *st = &shm->procs[index];
    SSL_CTX       *ctx;
    uint64_t       rnd;
    unsigned       serial = 0;
    sigset_t       set;

    /* the parent decides when to stop: no signal interrupts a connection */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);

    ctx = client_ctx();
    if (ctx == NULL) {
        fprintf(stderr, "psk_load: cannot set up the client context\n");
        ERR_print_errors_fp(stderr);
        _exit(1);
    }

    rnd = splitmix64((uint64_t) getpid() * 1000003u + (uint64_t) index);

    while (!shm->stop) {
        rnd = splitmix64(rnd);
        one_connection(ctx, st,
                       opt.first + (unsigned) (rnd % opt.entries), &serial);
    }

    SSL_CTX_free(ctx);
    _exit(0);
}
