/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the in-memory certificate suites share (check_cert.c,
 * check_cert_session.c; cert_fixture.c): a throwaway PKI in the TS-0003
 * 10.1.1 profile made with libcrypto, a server verifying client
 * certificates as nginx does with "ssl_verify_client optional", clients,
 * and the identity assertions.
 */

#ifndef ONEM2M_TEST_CERT_FIXTURE_H
#define ONEM2M_TEST_CERT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <onem2m_sae.h>
#include "check_cases.h"
#include "hook/tls_pair.h"

#define SP_DOMAIN     "m2m.sp.com"
#define AE_C_ID       "//m2m.sp.com/mn-cse-123456/Cdoor-AE1"
#define AE_S_ID       "//m2m.sp.com/Sdoor-AE2"
#define CSE_NAME      "in-cse-1." SP_DOMAIN
#define LOCK1_ID      "AE123456789012-Lock@in.provider.com"
#define LOCK1_ENTITY  "Clock-AE1"

#define DAY           (24 * 3600L)

/* a certificate with its key */
typedef struct {
    X509      *cert;
    EVP_PKEY  *key;
} credential;

/* what the client saw of the server's handshake */
typedef struct {
    int        certificate_requests;
} client_view;

extern credential          ca;
extern credential          other_ca;
extern credential          server_cred;
extern char                cert_tmpdir[64];
extern ONEM2M_SAE_TABLE   *table;
extern int                 view_index;

static const unsigned char  lock1_key[] = {
    0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x7a, 0x8b,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
};

extern tls_pair_psk  lock1_psk;

void add_ext(X509 *subject, X509 *issuer, int nid, const char *value);
void issue(credential *out, const credential *issuer, const char *cn,
    const char *san, const char *constraints, long not_before,
    long not_after);
void leaf(credential *out, const char *san);
void credential_free(credential *c);
void cert_setup(void);
void cert_teardown(void);
int verify_optional_cb(int ok, X509_STORE_CTX *ctx);
SSL_CTX *cert_server_ctx(int with_psk);
void client_msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg);
SSL *client_new(SSL_CTX *cctx, const credential *cred, client_view *view);
SSL_CTX *client_ctx(int tls12, const char *cipher12);
SSL *client_handshake(SSL_CTX *sctx, SSL_CTX *cctx, const credential *cred,
    SSL_SESSION *sess, SSL **client, client_view *view);
SSL *cert_handshake(SSL_CTX *sctx, const credential *cred, int tls13,
    SSL **client, client_view *view);
void assert_identity(const ONEM2M_SAE_CERT_IDENTITY *id, int type,
    const char *entity, const char *credential_id);

#endif /* ONEM2M_TEST_CERT_FIXTURE_H */
