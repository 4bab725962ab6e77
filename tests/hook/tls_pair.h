/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory TLS handshakes shared by the hook suites (check_hook.c,
 * check_cert.c).
 */

#ifndef ONEM2M_TEST_TLS_PAIR_H
#define ONEM2M_TEST_TLS_PAIR_H

#include <openssl/ssl.h>

/*
 * Joins client and server with a BIO pair (the SSLs own it), runs the
 * handshake, then sends one message each way.  Returns 1 when both sides
 * completed, 0 when either failed (the error queue is cleared).
 */
int tls_pair_run(SSL *client, SSL *server);

/* Frees both as after a clean SSL_shutdown(), so the session stays
 * resumable. */
void tls_pair_free(SSL *client, SSL *server);

#endif /* ONEM2M_TEST_TLS_PAIR_H */
