/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The certificate suites' PKI, server and clients (cert_fixture.h).
 */

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
#include "hook/cert_fixture.h"


credential          ca;          /* the trust anchor */
credential          other_ca;    /* nobody trusts it */
credential          server_cred; /* the MN-CSE's own */
char                cert_tmpdir[64];
ONEM2M_SAE_TABLE   *table;
int                 view_index = -1;


/* lock 1 as a PSK client */
tls_pair_psk  lock1_psk = { LOCK1_ID, lock1_key, sizeof(lock1_key), 0 };


void
add_ext(X509 *subject, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX        ctx;
    X509_EXTENSION   *ext;

    X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ck_assert_ptr_nonnull(ext);
    ck_assert_int_eq(X509_add_ext(subject, ext, -1), 1);
    X509_EXTENSION_free(ext);
}


/*
 * A certificate of the TS-0003 profile.  issuer NULL: a self-signed CA
 * (constraints: its nameConstraints, or NULL).  san NULL: no
 * subjectAltName; otherwise in openssl.cnf syntax ("URI:...,DNS:...").
 */
void
issue(credential *out, const credential *issuer, const char *cn,
    const char *san, const char *constraints, long not_before,
    long not_after)
{
    static long   serial = 1;
    X509_NAME    *name;
    X509         *x;

    out->key = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(out->key);

    x = X509_new();
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x),
                                          not_before));
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), not_after));
    ck_assert_int_eq(X509_set_pubkey(x, out->key), 1);

    name = X509_get_subject_name(x);
    ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                         (const unsigned char *) cn, -1, -1, 0), 1);
    ck_assert_int_eq(X509_set_issuer_name(x, issuer != NULL
                         ? X509_get_subject_name(issuer->cert) : name), 1);

    if (issuer == NULL) {
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, x, NID_key_usage,
                "critical,digitalSignature,keyCertSign,cRLSign");
        add_ext(x, x, NID_subject_key_identifier, "hash");
        if (constraints != NULL) {
            add_ext(x, x, NID_name_constraints, constraints);
        }

    } else {
        add_ext(x, issuer->cert, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, issuer->cert, NID_key_usage, "critical,digitalSignature");
        add_ext(x, issuer->cert, NID_ext_key_usage, "clientAuth,serverAuth");
        add_ext(x, issuer->cert, NID_authority_key_identifier, "keyid");
        if (san != NULL) {
            add_ext(x, issuer->cert, NID_subject_alt_name, san);
        }
    }

    ck_assert_int_gt(X509_sign(x, issuer != NULL ? issuer->key : out->key,
                               EVP_sha256()), 0);
    out->cert = x;
}


void
leaf(credential *out, const char *san)
{
    issue(out, &ca, "leaf", san, NULL, -60, DAY);
}


void
credential_free(credential *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    memset(c, 0, sizeof(*c));
}


void
cert_setup(void)
{
    issue(&ca, NULL, "oneM2M test CA", NULL, NULL, -60, DAY);
    issue(&other_ca, NULL, "oneM2M test CA", NULL, NULL, -60, DAY);
    issue(&server_cred, &ca, "mn-cse-123456", "DNS:mn-cse-123456." SP_DOMAIN,
          NULL, -60, DAY);

    tls_pair_mkdir(cert_tmpdir, sizeof(cert_tmpdir), "/tmp/check_cert.XXXXXX");
    table = tls_pair_table(cert_tmpdir, "kpsa.table", LOCK1_ENTITY
                           " 1a2b3c4d5e6f7a8b0102030405060708 " LOCK1_ID "\n");
    ck_assert_ptr_nonnull(table);

    if (view_index < 0) {
        view_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    lock1_psk.calls = 0;
}


void
cert_teardown(void)
{
    ONEM2M_SAE_table_free(table);
    tls_pair_rmdir(cert_tmpdir);
    credential_free(&ca);
    credential_free(&other_ca);
    credential_free(&server_cred);
}


/* nginx's "ssl_verify_client optional": the request phase decides */
int
verify_optional_cb(int ok, X509_STORE_CTX *ctx)
{
    return 1;
}


/*
 * A server context as nginx builds one for "ssl_verify_client optional"
 * with "ssl_client_certificate" = the CA; with_psk: the SAE hook and the
 * table as well (a mixed server).
 */
SSL_CTX *
cert_server_ctx(int with_psk)
{
    SSL_CTX     *ctx;
    X509_STORE  *store;

    ctx = SSL_CTX_new(TLS_server_method());
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx,
        "PSK-AES128-CBC-SHA256:PSK-AES128-CCM8:"
        "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"), 1);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *) "t", 1);
    ck_assert_int_eq(SSL_CTX_use_certificate(ctx, server_cred.cert), 1);
    ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, server_cred.key), 1);

    store = SSL_CTX_get_cert_store(ctx);
    ck_assert_int_eq(X509_STORE_add_cert(store, ca.cert), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_optional_cb);
    SSL_CTX_set_verify_depth(ctx, 2);

    if (with_psk) {
        ck_assert_int_eq(ONEM2M_SAE_CTX_install(ctx, NULL, NULL), 1);
        ck_assert_int_eq(ONEM2M_SAE_CTX_set_table(ctx, table,
                             ONEM2M_SAE_UNKNOWN_HIDE), 1);
    }

    return ctx;
}


/* counts the CertificateRequests the client receives */
void
client_msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
    client_view  *view;

    view = SSL_get_ex_data(ssl, view_index);
    if (!write_p && content_type == SSL3_RT_HANDSHAKE && len > 0
        && ((const unsigned char *) buf)[0] == SSL3_MT_CERTIFICATE_REQUEST
        && view != NULL)
    {
        view->certificate_requests++;
    }
}


SSL *
client_new(SSL_CTX *cctx, const credential *cred, client_view *view)
{
    SSL  *ssl;

    ssl = SSL_new(cctx);
    ck_assert_ptr_nonnull(ssl);
    if (cred != NULL) {
        ck_assert_int_eq(SSL_use_certificate(ssl, cred->cert), 1);
        ck_assert_int_eq(SSL_use_PrivateKey(ssl, cred->key), 1);
    }
    memset(view, 0, sizeof(*view));
    ck_assert_int_eq(SSL_set_ex_data(ssl, view_index, view), 1);
    SSL_set_msg_callback(ssl, client_msg_cb);

    return ssl;
}


/*
 * A client context: TLS 1.2 only with cipher12 (NULL: OpenSSL's list) when
 * tls12, else any version.
 */
SSL_CTX *
client_ctx(int tls12, const char *cipher12)
{
    SSL_CTX  *cctx;

    cctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(cctx);
    if (tls12) {
        ck_assert_int_eq(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION),
                         1);
        if (cipher12 != NULL) {
            ck_assert_int_eq(SSL_CTX_set_cipher_list(cctx, cipher12), 1);
        }
    }

    return cctx;
}


/*
 * A completed handshake of a client of cctx presenting cred, resuming sess
 * unless NULL (and then it must resume); returns the server's SSL, the
 * client's SSL in *client.
 */
SSL *
client_handshake(SSL_CTX *sctx, SSL_CTX *cctx, const credential *cred,
    SSL_SESSION *sess, SSL **client, client_view *view)
{
    SSL  *server;

    *client = client_new(cctx, cred, view);
    if (sess != NULL) {
        ck_assert_int_eq(SSL_set_session(*client, sess), 1);
    }
    server = SSL_new(sctx);
    ck_assert_ptr_nonnull(server);
    ck_assert_int_eq(tls_pair_run(*client, server), 1);
    if (sess != NULL) {
        ck_assert_int_eq(SSL_session_reused(server), 1);
    }

    return server;
}


/*
 * One certificate handshake (TLS 1.3 when tls13, else TLS 1.2 with
 * ECDHE-ECDSA) of a client presenting cred; returns the server's SSL, the
 * client's SSL in *client.
 */
SSL *
cert_handshake(SSL_CTX *sctx, const credential *cred, int tls13,
    SSL **client, client_view *view)
{
    SSL_CTX  *cctx;
    SSL      *server;

    cctx = client_ctx(!tls13, "ECDHE-ECDSA-AES128-SHA256");
    server = client_handshake(sctx, cctx, cred, NULL, client, view);
    SSL_CTX_free(cctx);

    return server;
}


void
assert_identity(const ONEM2M_SAE_CERT_IDENTITY *id, int type,
    const char *entity, const char *credential_id)
{
    ck_assert_ptr_nonnull(id);
    ck_assert_int_eq(id->entity_type, type);
    ck_assert_int_eq(id->credential_type,
                     type == ONEM2M_SAE_ENTITY_AE
                     ? ONEM2M_SAE_CRED_AE_ID_CERT
                     : ONEM2M_SAE_CRED_CSE_ID_CERT);
    ck_assert_str_eq(id->entity, entity);
    ck_assert_uint_eq(id->entity_len, strlen(entity));
    ck_assert_str_eq(id->credential_id, credential_id);
    ck_assert_uint_eq(id->credential_id_len, strlen(credential_id));
}
