/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS client: TLS 1.2 and 1.3 PSK (external PSK sessions for 1.3),
 * certificate-only and client-certificate handshakes, and HTTP/1.1 over
 * the connection.
 */

#define _GNU_SOURCE

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "common/harness_internal.h"


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
        /*
         * after a HelloRetryRequest: the suite's hash, compared by type
         * (OpenSSL passes a fetched EVP_MD, the cipher gives a legacy one)
         */
        if (md == NULL
            || EVP_MD_get_type(SSL_CIPHER_get_handshake_digest(c))
               == EVP_MD_get_type(md))
        {
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
            if (!harness_wait_fd(c->fd, POLLIN, c->deadline)) {
                return -1;
            }
        } else if (err == SSL_ERROR_WANT_WRITE) {
            if (!harness_wait_fd(c->fd, POLLOUT, c->deadline)) {
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

/* the context of one connection as opts say; 0 or -1 */
static int
client_ctx_setup(SSL_CTX *ctx, const harness_tls_opts *opts)
{
    SSL_CTX_set_min_proto_version(ctx, opts->version ? opts->version
                                                     : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, opts->version ? opts->version
                                                     : TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_security_level(ctx, 0);
    if (opts->allow_no_dhe) {
        SSL_CTX_set_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
    }
    if (opts->no_ticket) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    if (opts->ciphers != NULL
        ? !SSL_CTX_set_cipher_list(ctx, opts->ciphers)
        : (opts->identity != NULL
           && !SSL_CTX_set_cipher_list(ctx, "PSK")))
    {
        return -1;
    }
    if ((opts->ciphersuites != NULL
         && !SSL_CTX_set_ciphersuites(ctx, opts->ciphersuites))
        || (opts->groups != NULL
            && !SSL_CTX_set1_groups_list(ctx, opts->groups)))
    {
        return -1;
    }
    if (opts->cert_file != NULL
        && (SSL_CTX_use_certificate_chain_file(ctx, opts->cert_file) != 1
            || SSL_CTX_use_PrivateKey_file(ctx, opts->key_file,
                                           SSL_FILETYPE_PEM) != 1))
    {
        return -1;
    }
    if (opts->identity != NULL) {
        SSL_CTX_set_psk_client_callback(ctx, psk12_cb);
        SSL_CTX_set_psk_use_session_callback(ctx, psk13_cb);
    }
    SSL_CTX_set_info_callback(ctx, info_cb);
    /* the client keeps no cache: tickets are taken with SSL_get1_session */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT
                                        | SSL_SESS_CACHE_NO_INTERNAL);
    return 0;
}

/* the SSL object of the connection, owning st; 0 or -1 (st freed) */
static int
client_ssl_setup(harness_conn *c, client_state *st)
{
    const harness_tls_opts  *opts = c->opts;

    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL) {
        free(st);
        return -1;
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
    return 0;
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
    c->deadline = harness_now_ms() + harness_timeout_ms(IO_TIMEOUT_MS);
    c->fd = harness_tcp_connect(port, harness_timeout_ms(IO_TIMEOUT_MS));
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->fd < 0 || c->ctx == NULL || client_ctx_setup(c->ctx, opts) != 0) {
        free(st);
        harness_conn_close(c);
        return NULL;
    }
    if (client_ssl_setup(c, st) != 0) {
        harness_conn_close(c);
        return NULL;
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

/* the body of a complete chunked message starting at p */
static void
decode_chunked(const char *p, harness_response *resp)
{
    harness_buf  d = { NULL, 0, 0 };
    size_t       sz;

    harness_buf_add(&d, "", 0);
    while ((sz = strtoul(p, NULL, 16)) > 0) {
        p = strstr(p, "\r\n") + 2;
        harness_buf_add(&d, p, sz);
        p += sz + 2;
    }
    resp->body = d.data;
    resp->body_len = d.len;
}

static int
read_response(harness_conn *c, harness_response *resp)
{
    harness_buf   b = { NULL, 0, 0 };
    char          tmp[16384], *hend, *first = NULL;
    const char   *cl, *te;
    size_t        head_len, want = 0;
    int           n, have_len = 0, chunked = 0;

    memset(resp, 0, sizeof(*resp));
    harness_buf_add(&b, "", 0);
    for ( ;; ) {
        hend = memmem(b.data, b.len, "\r\n\r\n", 4);
        if (hend != NULL) {
            head_len = (size_t) (hend - b.data) + 4;
            if (resp->headers == NULL && first == NULL) {
                if (harness_parse_head(b.data, head_len, &first,
                                       &resp->headers, &resp->nheaders) != 0
                    || sscanf(first, "HTTP/1.%*d %d", &resp->status) != 1)
                {
                    break;
                }
                cl = harness_resp_header(resp, "Content-Length");
                te = harness_resp_header(resp, "Transfer-Encoding");
                if (resp->status >= 100 && resp->status < 200) {
                    have_len = 1;       /* interim: a head, no body */
                } else if (cl != NULL) {
                    have_len = 1;
                    want = strtoul(cl, NULL, 10);
                } else if (te != NULL && strcasecmp(te, "chunked") == 0) {
                    chunked = 1;
                }
            }
            if (have_len && b.len >= head_len + want) {
                resp->body = harness_xstrndup(b.data + head_len, want);
                resp->body_len = want;
                break;
            }
            if (chunked && memmem(b.data + head_len, b.len - head_len,
                                  "\r\n0\r\n\r\n", 7) != NULL)
            {
                decode_chunked(b.data + head_len, resp);
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
                resp->body = harness_xstrndup(b.data + head_len,
                                              b.len - head_len);
                resp->body_len = b.len - head_len;
            }
            break;
        }
        harness_buf_add(&b, tmp, (size_t) n);
    }
    free(first);
    free(b.data);
    if (resp->status == 0 || resp->body == NULL) {
        harness_response_free(resp);
        resp->body = harness_xstrndup("", 0);
        return -1;
    }
    return 0;
}

int
harness_conn_write(harness_conn *c, const char *data, size_t len)
{
    c->deadline = harness_now_ms() + harness_timeout_ms(IO_TIMEOUT_MS);
    return ssl_io(c, op_write, (void *) data, (int) len) == (int) len
           ? 0 : -1;
}

int
harness_http_raw(harness_conn *c, const char *raw, size_t len,
    harness_response *resp)
{
    c->deadline = harness_now_ms() + harness_timeout_ms(IO_TIMEOUT_MS);
    if (ssl_io(c, op_write, (void *) raw, (int) len) != (int) len) {
        memset(resp, 0, sizeof(*resp));
        resp->body = harness_xstrndup("", 0);
        return -1;
    }
    return read_response(c, resp);
}

int
harness_http(harness_conn *c, const char *method, const char *uri,
    const char *extra_headers, const char *body, int keep_alive,
    harness_response *resp)
{
    harness_buf  b = { NULL, 0, 0 };
    int          rc;

    harness_buf_add(&b, "", 0);
    harness_buf_fmt(&b, "%s %s HTTP/1.1\r\n", method, uri);
    if (extra_headers == NULL
        || (strncasecmp(extra_headers, "Host:", 5) != 0
            && strcasestr(extra_headers, "\nHost:") == NULL))
    {
        harness_buf_str(&b, "Host: localhost\r\n");
    }
    if (extra_headers != NULL) {
        harness_buf_str(&b, extra_headers);
    }
    if (body != NULL) {
        harness_buf_fmt(&b, "Content-Length: %zu\r\n", strlen(body));
    }
    if (!keep_alive) {
        harness_buf_str(&b, "Connection: close\r\n");
    }
    harness_buf_str(&b, "\r\n");
    if (body != NULL) {
        harness_buf_str(&b, body);
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
        resp->body = harness_xstrndup("", 0);
        return -1;
    }
    rc = harness_http(c, method, uri, extra_headers, body, 0, resp);
    /* TLS 1.3 tickets arrive after the handshake: take the session now */
    harness_conn_session(c, result);
    harness_conn_close(c);
    return rc;
}

SSL *
harness_conn_ssl(harness_conn *c)
{
    return c->ssl;
}
