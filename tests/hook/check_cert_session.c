/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Certificate identities over whole sessions, in memory: no client
 * certificate binds nothing; a server with a PSK table and client
 * certificates binds both kinds of client (TLS 1.2 and 1.3), a PSK
 * session resumed stays a PSK binding; a resumed certificate session is
 * checked again (a CRL that revokes it since).
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


/* TLS versions of the mixed-server tests */
#define TLS12         0
#define TLS13         1


/* no client certificate: nothing */
START_TEST(test_no_client_cert)
{
    client_view   view;
    SSL_CTX      *sctx;
    SSL          *client, *server;
    int           reason;

    sctx = cert_server_ctx(0);
    server = cert_handshake(sctx, NULL, _i, &client, &view);
    ck_assert_int_eq(view.certificate_requests, 1);
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                           strlen(SP_DOMAIN), &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_NO_CERT);
    tls_pair_free(client, server);
    SSL_CTX_free(sctx);
}
END_TEST


/*
 * A mixed server (PSK table + client certificates verified): a lock's PSK
 * handshake is never asked for a certificate, even though the lock has
 * one to give, and binds by PSK; a CSE's certificate handshake on the same
 * context binds by certificate.
 */
START_TEST(test_mixed_server)
{
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    const ONEM2M_SAE_ENTRY          *entry;
    client_view                      view;
    credential                       lock_cred, cse_cred;
    SSL_CTX                         *sctx, *cctx;
    SSL                             *client, *server;
    int                              reason;

    sctx = cert_server_ctx(1);
    leaf(&lock_cred, "URI:" AE_C_ID);
    leaf(&cse_cred, "DNS:" CSE_NAME);

    /* the lock: PSK, with a certificate it would send if asked */
    cctx = client_ctx(_i == TLS12, "PSK-AES128-CBC-SHA256");
    tls_pair_psk_client(cctx, &lock1_psk, _i == TLS12, _i != TLS12);
    server = client_handshake(sctx, cctx, &lock_cred, NULL, &client, &view);
    SSL_CTX_free(cctx);

    ck_assert_int_ge(lock1_psk.calls, 1);
    ck_assert_int_eq(view.certificate_requests, 0);
    ck_assert_ptr_null(SSL_get0_peer_certificate(server));
    /* no certificate, nothing failed (nginx would answer 400 otherwise) */
    ck_assert_int_eq(SSL_get_verify_result(server), X509_V_OK);
    entry = ONEM2M_SAE_get_binding(server);
    ck_assert_ptr_nonnull(entry);
    ck_assert_str_eq(entry->entity, LOCK1_ENTITY);
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                           strlen(SP_DOMAIN), &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_NO_CERT);
    tls_pair_free(client, server);

    /* the CSE: certificate, same server context */
    server = cert_handshake(sctx, &cse_cred, _i == TLS13, &client, &view);
    ck_assert_int_eq(view.certificate_requests, 1);
    ck_assert_ptr_null(ONEM2M_SAE_get_binding(server));
    id = ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN, strlen(SP_DOMAIN),
                                      &reason);
    assert_identity(id, ONEM2M_SAE_ENTITY_CSE, "/in-cse-1",
                    "32-" CSE_NAME);
    tls_pair_free(client, server);

    SSL_CTX_free(sctx);
    credential_free(&lock_cred);
    credential_free(&cse_cred);
}
END_TEST


/*
 * A lock resuming its TLS 1.3 PSK session with the ticket alone (an
 * OpenSSL client prefers SHA-384 suites; the ticket's session is SHA-256)
 * on the mixed server: resumed, no CertificateRequest, X509_V_OK, bound
 * by PSK.
 */
START_TEST(test_mixed_server_psk_resumed)
{
    client_view    view;
    credential     lock_cred;
    SSL_SESSION   *sess;
    SSL_CTX       *sctx, *cctx;
    SSL           *client, *server;
    int            reason;

    sctx = cert_server_ctx(1);
    leaf(&lock_cred, "URI:" AE_C_ID);

    cctx = client_ctx(0, NULL);
    tls_pair_psk_client(cctx, &lock1_psk, 0, 1);
    server = client_handshake(sctx, cctx, &lock_cred, NULL, &client, &view);
    ck_assert_ptr_nonnull(ONEM2M_SAE_get_binding(server));
    sess = SSL_get1_session(client);
    ck_assert_ptr_nonnull(sess);
    tls_pair_free(client, server);

    /* the ticket only, no external PSK this time */
    SSL_CTX_set_psk_use_session_callback(cctx, NULL);
    server = client_handshake(sctx, cctx, &lock_cred, sess, &client, &view);
    ck_assert_int_eq(view.certificate_requests, 0);
    ck_assert_int_eq(SSL_get_verify_result(server), X509_V_OK);
    ck_assert_ptr_nonnull(ONEM2M_SAE_get_binding(server));
    ck_assert_str_eq(ONEM2M_SAE_get_binding(server)->entity, LOCK1_ENTITY);
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                           strlen(SP_DOMAIN), &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_NO_CERT);
    tls_pair_free(client, server);

    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    credential_free(&lock_cred);
}
END_TEST


/* a CRL of the CA revoking cert, and the checks nginx's "ssl_crl" sets */
static void
revoke_in(SSL_CTX *ctx, X509 *cert)
{
    X509_CRL      *crl;
    X509_REVOKED  *rev;
    ASN1_TIME     *t;
    X509_STORE    *store;

    crl = X509_CRL_new();
    rev = X509_REVOKED_new();
    ck_assert(crl != NULL && rev != NULL);
    ck_assert_int_eq(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
    ck_assert_int_eq(X509_CRL_set_issuer_name(crl,
                         X509_get_subject_name(ca.cert)), 1);
    t = X509_gmtime_adj(NULL, -60);
    ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
    ck_assert_int_eq(X509_REVOKED_set_revocationDate(rev, t), 1);
    ASN1_TIME_free(t);
    t = X509_gmtime_adj(NULL, DAY);
    ck_assert_int_eq(X509_CRL_set1_nextUpdate(crl, t), 1);
    ASN1_TIME_free(t);
    ck_assert_int_eq(X509_REVOKED_set_serialNumber(rev,
                         X509_get_serialNumber(cert)), 1);
    ck_assert_int_eq(X509_CRL_add0_revoked(crl, rev), 1);
    ck_assert_int_gt(X509_CRL_sign(crl, ca.key, EVP_sha256()), 0);

    store = SSL_CTX_get_cert_store(ctx);
    ck_assert_int_eq(X509_STORE_add_crl(store, crl), 1);
    ck_assert_int_eq(X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK
                                          | X509_V_FLAG_CRL_CHECK_ALL), 1);
    X509_CRL_free(crl);
}


/*
 * A resumed certificate session keeps its identity (no new certificate)
 * while the certificate still verifies under the server's current store;
 * revoked since, the resumption names nothing.
 */
START_TEST(test_resumed)
{
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    client_view                      view;
    credential                       cred;
    SSL_SESSION                     *sess;
    SSL_CTX                         *sctx, *cctx;
    SSL                             *client, *server;
    int                              reason;

    sctx = cert_server_ctx(0);
    leaf(&cred, "URI:" AE_S_ID);
    cctx = client_ctx(_i == TLS12, NULL);

    server = client_handshake(sctx, cctx, &cred, NULL, &client, &view);
    ck_assert_ptr_nonnull(ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                              strlen(SP_DOMAIN), &reason));
    sess = SSL_get1_session(client);
    ck_assert_ptr_nonnull(sess);
    tls_pair_free(client, server);

    server = client_handshake(sctx, cctx, &cred, sess, &client, &view);
    ck_assert_int_eq(view.certificate_requests, 0);

    id = ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN, strlen(SP_DOMAIN),
                                      &reason);
    assert_identity(id, ONEM2M_SAE_ENTITY_AE, AE_S_ID, "33-" AE_S_ID);
    ck_assert_int_eq(ONEM2M_SAE_get_cert_reverify_result(server), X509_V_OK);
    tls_pair_free(client, server);

    /* revoked: the session still resumes, its certificate names nobody */
    revoke_in(sctx, cred.cert);
    server = client_handshake(sctx, cctx, &cred, sess, &client, &view);
    ck_assert_int_eq(SSL_get_verify_result(server), X509_V_OK);
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                           strlen(SP_DOMAIN), &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_STALE);
    ck_assert_int_eq(ONEM2M_SAE_get_cert_reverify_result(server),
                     X509_V_ERR_CERT_REVOKED);
    /* cached: the same answer again */
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                           strlen(SP_DOMAIN), &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_STALE);
    tls_pair_free(client, server);

    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    credential_free(&cred);
}
END_TEST


Suite *cert_session_suite(void)
{
    return CK_SUITE("cert_session",
                    CK_TCASE("sessions", cert_setup, cert_teardown, 60),
                    CK_LOOP(test_no_client_cert, 2),
                    CK_LOOP(test_mixed_server, 2),
                    CK_TEST(test_mixed_server_psk_resumed),
                    CK_LOOP(test_resumed, 2));
}
