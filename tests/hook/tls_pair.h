/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory TLS handshakes and the text tables they run against, shared by
 * the hook suites (check_hook.c, check_cert.c, check_hook_binding.c).
 */

#ifndef ONEM2M_TEST_TLS_PAIR_H
#define ONEM2M_TEST_TLS_PAIR_H

#include <stddef.h>
#include <openssl/ssl.h>

#include <onem2m_sae.h>

/*
 * Joins client and server with a BIO pair (the SSLs own it), runs the
 * handshake, then sends one message each way.  Returns 1 when both sides
 * completed, 0 when either failed (the error queue is cleared).
 */
int tls_pair_run(SSL *client, SSL *server);

/* The same, the server driven as nginx drives it with early data enabled
 * (SSL_read_early_data(), then SSL_do_handshake()). */
int tls_pair_run_early(SSL *client, SSL *server);

/* Frees both as after a clean SSL_shutdown(), so the session stays
 * resumable. */
void tls_pair_free(SSL *client, SSL *server);

/*
 * The body of a TLS 1.2 PSK client callback: copies identity (with its
 * NUL) and key into OpenSSL's buffers; 0 when they do not fit.
 */
unsigned int tls_pair_psk_copy(const char *identity, size_t identity_len,
    const unsigned char *key, size_t key_len, char *id_buf,
    unsigned int max_identity_len, unsigned char *key_buf,
    unsigned int max_key_len);

/* A TLS 1.3 external-PSK session of cipher with key (fails the test when
 * OpenSSL cannot make one). */
SSL_SESSION *tls_pair_psk_session(const SSL_CIPHER *cipher,
    const unsigned char *key, size_t key_len);

/*
 * One external PSK a client context offers: identity and key, SHA-256 in
 * TLS 1.3.  calls counts the client's PSK callbacks.
 */
typedef struct {
    const char           *identity;
    const unsigned char  *key;
    size_t                key_len;
    int                   calls;
} tls_pair_psk;

/*
 * Makes cctx offer psk (which must outlive cctx) through the TLS 1.2 PSK
 * client callback (tls12) and the TLS 1.3 use-session callback (tls13).
 */
void tls_pair_psk_client(SSL_CTX *cctx, tls_pair_psk *psk, int tls12,
    int tls13);

/* Creates a private directory from tmpl ("/tmp/NAME.XXXXXX") into dir. */
void tls_pair_mkdir(char *dir, size_t size, const char *tmpl);

/*
 * Writes text to dir/name (mode 0600) and opens it with the build's
 * provider; table errors go to stderr.  NULL when the table is refused.
 */
ONEM2M_SAE_TABLE *tls_pair_table(const char *dir, const char *name,
    const char *text);

/* Removes dir and everything in it. */
void tls_pair_rmdir(const char *dir);

#endif /* ONEM2M_TEST_TLS_PAIR_H */
