/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Certificate-based SAE (provider/api/sae_cert.c) through real OpenSSL
 * handshakes in memory.  A throwaway PKI made here with libcrypto in the
 * TS-0003 10.1.1 profile (ECDSA P-256, SHA-256, keyUsage digitalSignature):
 * a CA, AE-ID and CSE-ID certificates good and bad.  The server verifies
 * client certificates as nginx does with "ssl_verify_client optional"
 * (SSL_VERIFY_PEER, a verify callback that lets the handshake go on) and
 * asks the hook which identity the certificate stands for.  Sessions
 * (no certificate, PSK and certificates on one server, resumption):
 * check_cert_session.c; what both share: cert_fixture.c.
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


/* the identity the server derives for a client presenting cred */
static const ONEM2M_SAE_CERT_IDENTITY *
identity_of(const credential *cred, const char *domain, int *reason,
    SSL **server_out, SSL **client_out)
{
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    client_view                      view;
    SSL_CTX                         *sctx;
    SSL                             *client, *server;

    sctx = cert_server_ctx(0);
    server = cert_handshake(sctx, cred, 1, &client, &view);
    SSL_CTX_free(sctx);
    ck_assert_int_eq(view.certificate_requests, 1);

    id = ONEM2M_SAE_get_cert_identity(server, domain,
                                      domain != NULL ? strlen(domain) : 0,
                                      reason);
    if (server_out != NULL) {
        *server_out = server;
        *client_out = client;
    } else {
        tls_pair_free(client, server);
        id = NULL;
    }

    return id;
}


/*
 * A client presenting cred gets no identity for domain, for reason; the
 * certificate is freed.
 */
static void
assert_no_identity(credential *cred, const char *domain, int expect)
{
    SSL  *client, *server;
    int   reason;

    reason = -1;
    ck_assert_ptr_null(identity_of(cred, domain, &reason, &server, &client));
    ck_assert_int_eq(reason, expect);
    tls_pair_free(client, server);
    credential_free(cred);
}


/* the reason a certificate with this subjectAltName binds nothing */
static int
reason_for(const char *san)
{
    credential  cred;
    int         reason;

    leaf(&cred, san);
    reason = -1;
    ck_assert_ptr_null(identity_of(&cred, SP_DOMAIN, &reason, NULL, NULL));
    credential_free(&cred);

    return reason;
}


/* the AE-ID certificate binds its absolute AE-ID, TLS 1.2 and 1.3 */
START_TEST(test_ae_id_cert)
{
    static const char  *ids[] = { AE_C_ID, AE_S_ID };
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    client_view                      view;
    credential                       cred;
    SSL_CTX                         *sctx;
    SSL                             *client, *server;
    char                             san[300], cred_id[300];
    int                              reason;

    snprintf(san, sizeof(san), "URI:%s", ids[_i / 2]);
    snprintf(cred_id, sizeof(cred_id), "33-%s", ids[_i / 2]);
    leaf(&cred, san);

    sctx = cert_server_ctx(0);
    server = cert_handshake(sctx, &cred, _i % 2, &client, &view);
    ck_assert_int_eq(SSL_version(server),
                     _i % 2 ? TLS1_3_VERSION : TLS1_2_VERSION);
    ck_assert_int_eq(view.certificate_requests, 1);

    reason = -1;
    id = ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN, strlen(SP_DOMAIN),
                                      &reason);
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_OK);
    assert_identity(id, ONEM2M_SAE_ENTITY_AE, ids[_i / 2], cred_id);

    /* the SP domain is for CSE-ID certificates only */
    ck_assert_ptr_nonnull(ONEM2M_SAE_get_cert_identity(server, NULL, 0,
                                                       &reason));
    /* a certificate session has no PSK binding */
    ck_assert_ptr_null(ONEM2M_SAE_get_binding(server));

    tls_pair_free(client, server);
    SSL_CTX_free(sctx);
    credential_free(&cred);
}
END_TEST


/*
 * Certificates that bind, through TLS 1.3:
 * - a CSE-ID certificate binds "/<CSE-ID>"; the host names a CSE's
 *   certificate may also carry are ignored; the SP domain has no case, and
 *   the credential names the configured one in lower case;
 * - case: the CSE-ID is case-sensitive and kept as the certificate writes
 *   it, in the entity and the credential; the SP domain is compared without
 *   case and the credential has the configured one in lower case, whatever
 *   the certificate's or the configuration's spelling;
 * - an AE-ID's SP-ID is a domain name: the credential has it in lower case,
 *   the rest as written; the entity is the URI as written.
 */
static const struct {
    const char  *san;
    const char  *domain;
    int          type;
    const char  *entity;
    const char  *credential_id;
} bound_cases[] = {
    /* CSE-ID certificates */
    { "DNS:" CSE_NAME, SP_DOMAIN,
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-" CSE_NAME },
    { "DNS:gateway.example.net,DNS:" CSE_NAME ",IP:127.0.0.1", SP_DOMAIN,
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-" CSE_NAME },
    { "DNS:" CSE_NAME ",DNS:" CSE_NAME, SP_DOMAIN,
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-" CSE_NAME },
    { "DNS:in-cse-1.M2M.Sp.COM", SP_DOMAIN,
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-" CSE_NAME },
    { "DNS:" CSE_NAME ",DNS:in-cse-1.M2M.SP.COM", SP_DOMAIN,
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-" CSE_NAME },

    /* CSE-ID case */
    { "DNS:in-cse-1.M2M.Sp.COM", SP_DOMAIN,
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-in-cse-1.m2m.sp.com" },
    { "DNS:" CSE_NAME, "M2M.SP.COM",
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-in-cse-1.m2m.sp.com" },
    { "DNS:in-cse-1.m2M.sP.com", "M2m.Sp.cOM",
      ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-in-cse-1.m2m.sp.com" },
    { "DNS:IN-CSE-1." SP_DOMAIN, SP_DOMAIN,
      ONEM2M_SAE_ENTITY_CSE, "/IN-CSE-1", "32-IN-CSE-1.m2m.sp.com" },
    { "DNS:In-Cse-1.M2M.SP.COM", "M2M.Sp.Com",
      ONEM2M_SAE_ENTITY_CSE, "/In-Cse-1", "32-In-Cse-1.m2m.sp.com" },

    /* AE-ID SP-ID case */
    { "URI://M2M.Sp.COM/mn-cse-123456/Cdoor-AE1", SP_DOMAIN,
      ONEM2M_SAE_ENTITY_AE, "//M2M.Sp.COM/mn-cse-123456/Cdoor-AE1",
      "33-" AE_C_ID },
    { "URI://M2M.SP.COM/Sdoor-AE2", SP_DOMAIN,
      ONEM2M_SAE_ENTITY_AE, "//M2M.SP.COM/Sdoor-AE2", "33-" AE_S_ID },
    { "URI://m2m.sp.com/MN-CSE-123456/CDoor-AE1", SP_DOMAIN,
      ONEM2M_SAE_ENTITY_AE, "//m2m.sp.com/MN-CSE-123456/CDoor-AE1",
      "33-//m2m.sp.com/MN-CSE-123456/CDoor-AE1" },
};

START_TEST(test_identity_bound)
{
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    credential                       cred;
    SSL                             *client, *server;
    int                              reason;

    leaf(&cred, bound_cases[_i].san);
    reason = -1;
    id = identity_of(&cred, bound_cases[_i].domain, &reason, &server,
                     &client);
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_OK);
    assert_identity(id, bound_cases[_i].type, bound_cases[_i].entity,
                    bound_cases[_i].credential_id);
    tls_pair_free(client, server);
    credential_free(&cred);
}
END_TEST


/* a CSE-ID certificate of another SP domain, or none configured */
START_TEST(test_cse_other_domain)
{
    static const char  *domains[] = {
        "other.sp.com", "sp.com", "in-cse-1." SP_DOMAIN, "", "x" SP_DOMAIN
    };
    credential          cred;

    leaf(&cred, "DNS:" CSE_NAME);
    assert_no_identity(&cred, domains[_i], ONEM2M_SAE_CERT_NO_IDENTITY);
}
END_TEST


/* a certificate the server could not verify binds nothing */
START_TEST(test_unverified)
{
    credential   cred;
    SSL         *client, *server;
    int          reason;

    switch (_i) {
    case 0:     /* another CA, same name as the trusted one */
        issue(&cred, &other_ca, "leaf", "URI:" AE_C_ID, NULL, -60, DAY);
        break;
    case 1:     /* expired */
        issue(&cred, &ca, "leaf", "URI:" AE_C_ID, NULL, -2 * DAY, -DAY);
        break;
    case 2:     /* not yet valid */
        issue(&cred, &ca, "leaf", "DNS:" CSE_NAME, NULL, DAY, 2 * DAY);
        break;
    default:    /* self-signed ("ssl_verify_client optional_no_ca") */
        issue(&cred, NULL, "leaf", NULL, NULL, -60, DAY);
        break;
    }

    reason = -1;
    ck_assert_ptr_null(identity_of(&cred, SP_DOMAIN, &reason, &server,
                                   &client));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_UNVERIFIED);
    ck_assert_int_eq(SSL_get_verify_result(server),
                     _i == 0 ? X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
                     : _i == 1 ? X509_V_ERR_CERT_HAS_EXPIRED
                     : _i == 2 ? X509_V_ERR_CERT_NOT_YET_VALID
                     : X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    tls_pair_free(client, server);
    credential_free(&cred);
}
END_TEST


/* no subjectAltName: the subject's CN is never read */
START_TEST(test_no_san)
{
    credential   cred;

    issue(&cred, &ca, _i == 0 ? AE_C_ID : CSE_NAME, NULL, NULL, -60, DAY);
    assert_no_identity(&cred, SP_DOMAIN, ONEM2M_SAE_CERT_NO_IDENTITY);
}
END_TEST


/* the right name in the wrong subjectAltName type, or not an identity */
START_TEST(test_no_identity)
{
    static const char  *sans[] = {
        "DNS:" AE_S_ID,                       /* AE-ID as dNSName */
        "URI:" CSE_NAME,                      /* CSE-ID name as URI */
        "URI://" CSE_NAME,
        "URI://m2m.sp.com/in-cse-1",          /* absolute CSE-ID */
        "email:Sdoor-AE2@m2m.sp.com",
        "otherName:1.2.3.4;UTF8:" AE_C_ID,
        "IP:127.0.0.1",
        "URI:https://m2m.sp.com/mn-cse-123456/Cdoor-AE1",
        "URI://m2m.sp.com/mn-cse-123456/Xdoor",   /* not a C-stem */
        "URI://m2m.sp.com/mn-cse-123456/Sdoor",   /* S-stems are SP-wide */
        "URI://m2m.sp.com/Cdoor",                 /* a CSE-ID */
        "URI://m2m.sp.com/mn-cse-123456/Cdoor/",
        "URI://m2m.sp.com/a/b/Cdoor",
        "URI:///mn-cse-123456/Cdoor",
        "URI:/mn-cse-123456/Cdoor",               /* SP-relative */
        "URI:Cdoor",                              /* a stem */
        "URI://m2m.sp.com/mn-cse-123456/C",
        "URI://m2m.sp.com/mn%2Dcse/Cdoor",
        "DNS:in-cse-1.sub." SP_DOMAIN,            /* two labels */
        "DNS:in_cse~1." SP_DOMAIN,
        "DNS:" SP_DOMAIN,
        "DNS:." SP_DOMAIN,
        "DNS:" CSE_NAME ".",
        "DNS:in-cse-1.m2m.sp.co",
    };

    ck_assert_int_eq(reason_for(sans[_i]), ONEM2M_SAE_CERT_NO_IDENTITY);
}
END_TEST


/* exactly one URI, one identity */
START_TEST(test_ambiguous)
{
    static const char  *sans[] = {
        "URI:" AE_C_ID ",URI:" AE_S_ID,
        "URI:" AE_C_ID ",URI:" AE_C_ID,
        "URI:" AE_C_ID ",URI:https://door.example.net/",
        "URI:https://door.example.net/,URI:" AE_S_ID,
        "URI:" AE_C_ID ",DNS:" CSE_NAME,
        "DNS:" CSE_NAME ",DNS:in-cse-2." SP_DOMAIN,
        /* CSE-IDs have case: two CSEs */
        "DNS:" CSE_NAME ",DNS:IN-CSE-1." SP_DOMAIN,
    };

    ck_assert_int_eq(reason_for(sans[_i]), ONEM2M_SAE_CERT_AMBIGUOUS);
}
END_TEST


/* no wildcards in AE-ID and CSE-ID certificates (10.1.1.5, 10.1.1.7) */
START_TEST(test_wildcard)
{
    static const char  *sans[] = {
        "DNS:*." SP_DOMAIN,
        "DNS:in-cse-*." SP_DOMAIN,
        "DNS:" CSE_NAME ",DNS:*.example.net",
        "URI:" AE_C_ID ",DNS:*.example.net",
        "URI://m2m.sp.com/mn-cse-123456/C*",
    };

    ck_assert_int_eq(reason_for(sans[_i]), ONEM2M_SAE_CERT_WILDCARD);
}
END_TEST


/* a URI that is not an AE-ID does not stop a CSE-ID certificate */
START_TEST(test_cse_with_other_uri)
{
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    credential                       cred;
    SSL                             *client, *server;
    int                              reason;

    leaf(&cred, "URI:https://in-cse-1.m2m.sp.com/,DNS:" CSE_NAME);
    id = identity_of(&cred, SP_DOMAIN, &reason, &server, &client);
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_OK);
    assert_identity(id, ONEM2M_SAE_ENTITY_CSE, "/in-cse-1",
                    "32-" CSE_NAME);
    tls_pair_free(client, server);
    credential_free(&cred);
}
END_TEST


/* the longest accepted AE-ID is 255 bytes; one more binds nothing */
START_TEST(test_long_ae_id)
{
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    credential                       cred;
    SSL                             *client, *server;
    char                             ae_id[300], san[310];
    size_t                           len;
    int                              reason;

    len = 255 + _i;
    /* "//m2m.sp.com/S" + stem */
    snprintf(ae_id, sizeof(ae_id), "//" SP_DOMAIN "/S");
    memset(ae_id + strlen(ae_id), 'a', len - strlen(ae_id));
    ae_id[len] = '\0';
    snprintf(san, sizeof(san), "URI:%s", ae_id);
    leaf(&cred, san);

    id = identity_of(&cred, SP_DOMAIN, &reason, &server, &client);
    if (_i == 0) {
        ck_assert_int_eq(reason, ONEM2M_SAE_CERT_OK);
        ck_assert_uint_eq(id->entity_len, 255);
        ck_assert_str_eq(id->entity, ae_id);
        ck_assert_uint_eq(id->credential_id_len, 258);
    } else {
        ck_assert_ptr_null(id);
        ck_assert_int_eq(reason, ONEM2M_SAE_CERT_NO_IDENTITY);
    }
    tls_pair_free(client, server);
    credential_free(&cred);
}
END_TEST


/* a NUL inside a subjectAltName cannot cut it to an identity */
START_TEST(test_embedded_nul)
{
    static const char        domain[] = SP_DOMAIN;
    GENERAL_NAMES           *names;
    GENERAL_NAME            *name;
    ASN1_IA5STRING          *ia5;
    credential               cred;
    X509                    *x;
    unsigned char            value[64];
    size_t                   len;

    /* "in-cse-1\0x.m2m.sp.com" as dNSName, or the AE-ID + "\0x" as URI */
    if (_i == 0) {
        memcpy(value, "in-cse-1\0x.", 11);
        memcpy(value + 11, domain, sizeof(domain) - 1);
        len = 11 + sizeof(domain) - 1;
    } else {
        len = strlen(AE_S_ID);
        memcpy(value, AE_S_ID "\0x", len + 2);
        len += 2;
    }

    leaf(&cred, NULL);
    x = cred.cert;
    ia5 = ASN1_IA5STRING_new();
    ck_assert_ptr_nonnull(ia5);
    ck_assert_int_eq(ASN1_STRING_set(ia5, value, (int) len), 1);
    name = GENERAL_NAME_new();
    ck_assert_ptr_nonnull(name);
    GENERAL_NAME_set0_value(name, _i == 0 ? GEN_DNS : GEN_URI, ia5);
    names = GENERAL_NAMES_new();
    ck_assert_ptr_nonnull(names);
    ck_assert_int_gt(sk_GENERAL_NAME_push(names, name), 0);
    ck_assert_int_eq(X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0,
                                       X509V3_ADD_DEFAULT), 1);
    GENERAL_NAMES_free(names);
    ck_assert_int_gt(X509_sign(x, ca.key, EVP_sha256()), 0);

    assert_no_identity(&cred, SP_DOMAIN, ONEM2M_SAE_CERT_NO_IDENTITY);
}
END_TEST


/*
 * Computed once per connection; another SP domain recomputes; the
 * identity stays valid for the life of the SSL.
 */
START_TEST(test_cache)
{
    const ONEM2M_SAE_CERT_IDENTITY  *id, *again;
    credential                       cred;
    SSL                             *client, *server;
    int                              reason;

    leaf(&cred, "DNS:" CSE_NAME);
    id = identity_of(&cred, SP_DOMAIN, &reason, &server, &client);
    ck_assert_ptr_nonnull(id);

    again = ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                                         strlen(SP_DOMAIN), &reason);
    ck_assert_ptr_eq(again, id);

    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(server, "other.com", 9,
                                                    &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_NO_IDENTITY);

    /* a length, not a C string: "m2m.sp.com" of "m2m.sp.comX" */
    again = ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN "X",
                                         strlen(SP_DOMAIN), &reason);
    ck_assert_ptr_eq(again, id);
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_OK);
    ck_assert_str_eq(again->entity, "/in-cse-1");

    /*
     * the same domain in another case: computed again (the cache keeps
     * the bytes), the same identity, the credential in lower case
     */
    again = ONEM2M_SAE_get_cert_identity(server, "M2M.SP.COM", 10, &reason);
    ck_assert_ptr_eq(again, id);
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_OK);
    assert_identity(again, ONEM2M_SAE_ENTITY_CSE, "/in-cse-1",
                    "32-" CSE_NAME);

    /* reason may be NULL */
    ck_assert_ptr_eq(ONEM2M_SAE_get_cert_identity(server, SP_DOMAIN,
                         strlen(SP_DOMAIN), NULL), id);

    tls_pair_free(client, server);
    credential_free(&cred);
}
END_TEST


START_TEST(test_api_errors)
{
    credential   cred;
    SSL_CTX     *ctx;
    SSL         *ssl, *client, *server;
    char         domain[300];
    int          reason;

    reason = -1;
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(NULL, SP_DOMAIN, 10,
                                                    &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_ERROR);

    /* before any handshake */
    ctx = SSL_CTX_new(TLS_server_method());
    ssl = SSL_new(ctx);
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(ssl, SP_DOMAIN, 10,
                                                    &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_NO_CERT);
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(ssl, NULL, 3, &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_ERROR);
    SSL_free(ssl);
    SSL_CTX_free(ctx);

    /* a domain longer than any DNS name */
    leaf(&cred, "DNS:" CSE_NAME);
    ck_assert_ptr_nonnull(identity_of(&cred, SP_DOMAIN, &reason, &server,
                                      &client));
    memset(domain, 'a', sizeof(domain));
    ck_assert_ptr_null(ONEM2M_SAE_get_cert_identity(server, domain, 254,
                                                    &reason));
    ck_assert_int_eq(reason, ONEM2M_SAE_CERT_ERROR);
    tls_pair_free(client, server);
    credential_free(&cred);
}
END_TEST


/*
 * The CA's nameConstraints (TS-0003 8.1.2.2, 10.1.1.5, 10.1.1.7): a DNS
 * subtree constrains CSE-ID certificates as intended.  A URI subtree
 * cannot be used with absolute AE-IDs: OpenSSL (like RFC 5280 4.2.1.10)
 * needs "scheme://host" to find the host of a URI, and "//SP-ID/..." has
 * no scheme, so verification fails and the AE-ID binds nothing.
 */
START_TEST(test_name_constraints)
{
    static const char  *sans[] = {
        "DNS:" CSE_NAME,
        "DNS:in-cse-1.other.com",
        "URI:" AE_C_ID,
    };
    static const long   verify[] = {
        X509_V_OK,
        X509_V_ERR_PERMITTED_VIOLATION,
        X509_V_ERR_UNSUPPORTED_NAME_SYNTAX,
    };
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    credential                       constrained, cred;
    SSL                             *client, *server;
    int                              reason;

    /* the constrained CA replaces the test CA as trust anchor */
    issue(&constrained, NULL, "oneM2M constrained CA", NULL,
          "critical,permitted;DNS:" SP_DOMAIN ",permitted;URI:" SP_DOMAIN,
          -60, DAY);
    credential_free(&ca);
    ca = constrained;
    credential_free(&server_cred);
    issue(&server_cred, &ca, "mn-cse-123456", "DNS:mn-cse-123456." SP_DOMAIN,
          NULL, -60, DAY);

    leaf(&cred, sans[_i]);
    id = identity_of(&cred, SP_DOMAIN, &reason, &server, &client);
    ck_assert_int_eq(SSL_get_verify_result(server), verify[_i]);
    if (_i == 0) {
        assert_identity(id, ONEM2M_SAE_ENTITY_CSE, "/in-cse-1",
                        "32-" CSE_NAME);
    } else {
        ck_assert_ptr_null(id);
        ck_assert_int_eq(reason, ONEM2M_SAE_CERT_UNVERIFIED);
    }
    tls_pair_free(client, server);
    credential_free(&cred);
}
END_TEST


/*
 * The certificates conf/onem2m-cert issues (the commands of docs/certificates.md) bind
 * as they should under the CA it makes, whose nameConstraints hold.
 */
START_TEST(test_onem2m_cert_script)
{
    static const struct {
        const char  *name;
        int          type;
        const char  *entity;
        const char  *credential_id;
    } issued[] = {
        { "in-cse-1", ONEM2M_SAE_ENTITY_CSE, "/in-cse-1", "32-" CSE_NAME },
        { "door", ONEM2M_SAE_ENTITY_AE, AE_C_ID, "33-" AE_C_ID },
    };
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    credential                       cred;
    FILE                            *f;
    SSL                             *client, *server;
    char                             cmd[1024], path[256];
    int                              reason, i;

    snprintf(cmd, sizeof(cmd),
             "set -e; s=%s/conf/onem2m-cert; d=%s/pki;"
             " $s ca $d " SP_DOMAIN "; $s cse $d in-cse-1 " SP_DOMAIN ";"
             " $s ae $d door " AE_C_ID,
             TOP_SRCDIR, cert_tmpdir);
    ck_assert_int_eq(system(cmd), 0);

    /* the script's CA replaces the test CA as trust anchor */
    credential_free(&ca);
    snprintf(path, sizeof(path), "%s/pki/ca.pem", cert_tmpdir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ca.cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(ca.cert);
    ck_assert_int_ge(X509_get_ext_by_NID(ca.cert, NID_name_constraints, -1),
                     0);

    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/pki/%s.pem", cert_tmpdir,
                 issued[i].name);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        cred.cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        snprintf(path, sizeof(path), "%s/pki/%s.key", cert_tmpdir,
                 issued[i].name);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        cred.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        ck_assert_ptr_nonnull(cred.cert);
        ck_assert_ptr_nonnull(cred.key);
        ck_assert_int_eq(EVP_PKEY_get_bits(cred.key), 256);
        ck_assert_int_eq(X509_get_signature_nid(cred.cert),
                         NID_ecdsa_with_SHA256);

        id = identity_of(&cred, SP_DOMAIN, &reason, &server, &client);
        ck_assert_int_eq(SSL_get_verify_result(server), X509_V_OK);
        assert_identity(id, issued[i].type, issued[i].entity,
                        issued[i].credential_id);
        tls_pair_free(client, server);
        credential_free(&cred);
    }
}
END_TEST


Suite *cert_suite(void)
{
    return CK_SUITE("cert",
                    CK_TCASE("handshakes", cert_setup, cert_teardown, 60),
                    CK_LOOP(test_ae_id_cert, 4),
                    CK_LOOP(test_identity_bound, CK_N(bound_cases)),
                    CK_LOOP(test_cse_other_domain, 5),
                    CK_LOOP(test_unverified, 4), CK_LOOP(test_no_san, 2),
                    CK_LOOP(test_no_identity, 24), CK_LOOP(test_ambiguous, 7),
                    CK_LOOP(test_wildcard, 5),
                    CK_TEST(test_cse_with_other_uri),
                    CK_LOOP(test_long_ae_id, 2), CK_LOOP(test_embedded_nul, 2),
                    CK_TEST(test_cache), CK_TEST(test_api_errors),
                    CK_LOOP(test_name_constraints, 3),
                    CK_TEST(test_onem2m_cert_script));
}
