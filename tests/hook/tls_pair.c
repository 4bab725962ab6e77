/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory TLS for the hook suites: a client and a server SSL joined by a
 * BIO pair, handshake, then one message each way (which delivers TLS 1.3
 * tickets to the client).  HOOK_DEBUG=1 prints how each side ended.
 * The text tables the handshakes use live in a private directory.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <check.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "hook/tls_pair.h"


/* one handshake step of one side, unless it has ended */
static void
step(SSL *ssl, int *done, int *fail)
{
    int  r, e;

    if (*done || *fail) {
        return;
    }
    r = SSL_do_handshake(ssl);
    if (r == 1) {
        *done = 1;
    } else {
        e = SSL_get_error(ssl, r);
        *fail = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
    }
}


/*
 * A server step as nginx takes it with "ssl_early_data on": through
 * SSL_read_early_data() until it reports the end of early data, then
 * SSL_do_handshake().  OpenSSL's state machine differs in that mode.
 */
static void
step_early(SSL *ssl, int *done, int *fail, int *early_over)
{
    unsigned char  buf[64];
    size_t         n;
    int            r, e;

    if (*done || *fail) {
        return;
    }
    if (!*early_over) {
        r = SSL_read_early_data(ssl, buf, sizeof(buf), &n);
        if (r == SSL_READ_EARLY_DATA_ERROR) {
            e = SSL_get_error(ssl, 0);
            *fail = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
            return;
        }
        if (r == SSL_READ_EARLY_DATA_SUCCESS) {
            return;
        }
        *early_over = 1;
    }
    step(ssl, done, fail);
}


static int
run(SSL *client, SSL *server, int early)
{
    BIO            *cb, *sb;
    int             i, cdone, sdone, cfail, sfail, early_over;
    char            buf[8];

    ck_assert_int_eq(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
    SSL_set_bio(client, cb, cb);
    SSL_set_bio(server, sb, sb);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);

    cdone = sdone = cfail = sfail = early_over = 0;

    for (i = 0; i < 100 && !((cdone || cfail) && (sdone || sfail)); i++) {
        step(client, &cdone, &cfail);
        if (early) {
            step_early(server, &sdone, &sfail, &early_over);
        } else {
            step(server, &sdone, &sfail);
        }
    }
    if (getenv("HOOK_DEBUG") != NULL) {
        fprintf(stderr, "tls_pair_run: client %s, server %s\n",
                cdone ? "done" : "failed", sdone ? "done" : "failed");
        ERR_print_errors_fp(stderr);
    }
    ERR_clear_error();

    if (!(cdone && sdone)) {
        return 0;
    }

    ck_assert_int_eq(SSL_write(server, "ping", 4), 4);
    ck_assert_int_eq(SSL_read(client, buf, sizeof(buf)), 4);
    ck_assert_int_eq(SSL_write(client, "pong", 4), 4);
    ck_assert_int_eq(SSL_read(server, buf, sizeof(buf)), 4);

    return 1;
}


int
tls_pair_run(SSL *client, SSL *server)
{
    return run(client, server, 0);
}


int
tls_pair_run_early(SSL *client, SSL *server)
{
    return run(client, server, 1);
}


/* as after a clean SSL_shutdown(): SSL_free() keeps the session resumable */
void
tls_pair_free(SSL *client, SSL *server)
{
    SSL_set_shutdown(client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(client);
    SSL_free(server);
}


unsigned int
tls_pair_psk_copy(const char *identity, size_t identity_len,
    const unsigned char *key, size_t key_len, char *id_buf,
    unsigned int max_identity_len, unsigned char *key_buf,
    unsigned int max_key_len)
{
    /* the buffer holds max_identity_len bytes plus the NUL */
    if (identity_len > max_identity_len || key_len > max_key_len) {
        return 0;
    }
    memcpy(id_buf, identity, identity_len);
    id_buf[identity_len] = '\0';
    memcpy(key_buf, key, key_len);

    return key_len;
}


SSL_SESSION *
tls_pair_psk_session(const SSL_CIPHER *cipher, const unsigned char *key,
    size_t key_len)
{
    SSL_SESSION  *s;

    s = SSL_SESSION_new();
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(SSL_SESSION_set1_master_key(s, key, key_len), 1);
    ck_assert_int_eq(SSL_SESSION_set_cipher(s, cipher), 1);
    ck_assert_int_eq(SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION), 1);

    return s;
}


static int  psk_index = -1;


static unsigned int
psk_client_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *key,
    unsigned int max_key_len)
{
    tls_pair_psk  *psk;

    psk = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), psk_index);
    psk->calls++;

    return tls_pair_psk_copy(psk->identity, strlen(psk->identity), psk->key,
                             psk->key_len, identity, max_identity_len, key,
                             max_key_len);
}


static int
psk_use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
    size_t *idlen, SSL_SESSION **sess)
{
    static const unsigned char   sha256[] = { 0x13, 0x01 };
    tls_pair_psk                *psk;

    psk = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), psk_index);
    psk->calls++;
    *sess = tls_pair_psk_session(SSL_CIPHER_find(ssl, sha256), psk->key,
                                 psk->key_len);
    *id = (const unsigned char *) psk->identity;
    *idlen = strlen(psk->identity);

    return 1;
}


void
tls_pair_psk_client(SSL_CTX *cctx, tls_pair_psk *psk, int tls12, int tls13)
{
    if (psk_index < 0) {
        psk_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        ck_assert_int_ge(psk_index, 0);
    }
    ck_assert_int_eq(SSL_CTX_set_ex_data(cctx, psk_index, psk), 1);

    if (tls12) {
        SSL_CTX_set_psk_client_callback(cctx, psk_client_cb);
    }
    if (tls13) {
        SSL_CTX_set_psk_use_session_callback(cctx, psk_use_session_cb);
    }
}


void
tls_pair_mkdir(char *dir, size_t size, const char *tmpl)
{
    snprintf(dir, size, "%s", tmpl);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}


static void
table_diag(void *arg, int severity, const char *msg)
{
    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        fprintf(stderr, "table: %s\n", msg);
    }
}


ONEM2M_SAE_TABLE *
tls_pair_table(const char *dir, const char *name, const char *text)
{
    char  path[128];
    int   fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);

    return ONEM2M_SAE_table_open(NULL, BUILD_DIR "/provider", path,
                                 table_diag, NULL);
}


void
tls_pair_rmdir(const char *dir)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
