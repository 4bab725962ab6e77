/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Certificate-based SAE with a real nginx (the gateway's own connection
 * to the IN-CSE: check_sae_cert_upstream.c; what both share:
 * sae_cert_fixture.c).
 *
 * Certificate clients of the SAE module: a mixed server (PSK table and
 * "ssl_verify_client") serves a PSK lock and certificate CSEs and AEs at
 * once; the identity header, $onem2m_sae_* and the originator checks work
 * the same for both methods.  The in-test client presents certificates
 * from conf/onem2m-cert.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>

#include <onem2m_sae.h>

#include "check_cases.h"
#include "common/harness.h"
#include "integration/sae_cert_fixture.h"


/* proxies to the in-test upstream with what the module bound */
#define PROXY_LOCATION \
    "    location / {\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "        proxy_set_header X-Method $onem2m_sae_method;\n" \
    "        proxy_set_header X-Credential $onem2m_sae_credential_id;\n" \
    "    }\n"

/* the mixed server: locks by PSK, CSEs and AEs by certificate */
#define MIXED_SERVER \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers PSK-AES128-CBC-SHA256:PSK-AES128-CCM8:" \
    "ECDHE-ECDSA-AES128-SHA256;\n" \
    "    ssl_verify_client optional;\n" \
    "    ssl_client_certificate {{PREFIX}}/pki/ca.pem;\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    onem2m_sae required;\n" \
    "    onem2m_sae_sp_domain " SP_DOMAIN ";\n" \
    "    onem2m_sae_cse_id " GATEWAY_ID ";\n" \
    "    onem2m_sae_sp_id " SP_DOMAIN ";\n" \
    "    onem2m_sae_originator check;\n" \
    "    location / {\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "        proxy_set_header X-Method $onem2m_sae_method;\n" \
    "        proxy_set_header X-Credential $onem2m_sae_credential_id;\n" \
    "    }\n" \
    "}\n"


/* an upstream wired to ng, for the tests that proxy */
static harness_upstream *
cert_upstream(void)
{
    harness_upstream  *up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);

    ck_assert_ptr_nonnull(up);
    harness_nginx_set_upstream(ng, up);
    return up;
}


/* nginx stops cleanly, then the upstream (teardown frees the prefix) */
static void
cert_stop(harness_upstream *up)
{
    ck_assert_int_eq(harness_nginx_stop(ng), 0);
    harness_upstream_stop(up);
}


/* what a certificate client got */
typedef struct {
    int    handshake_ok;
    int    resumed;            /* the session offered was resumed */
    int    status;
    char   rsc[16];            /* X-M2M-RSC */
} cert_result;


/*
 * A client presenting the certificate "name" of the PKI (NULL: none, "-":
 * a self-signed one nobody trusts) over TLS 1.2 (ECDHE-ECDSA) or 1.3; one
 * request claiming origin (NULL: no X-M2M-Origin).
 */
static void
cert_request_to(int port, const char *name, int version, const char *origin,
    const char *sni, const char *host, SSL_SESSION **session,
    cert_result *res);


static void
cert_request(int port, const char *name, int version, const char *origin,
    cert_result *res)
{
    cert_request_to(port, name, version, origin, NULL, "localhost", NULL,
                    res);
}


/*
 * The same with SNI sni (NULL: none) and Host host; *session (if not NULL)
 * is offered for resumption and replaced by the new one.
 */
static void
cert_request_to(int port, const char *name, int version, const char *origin,
    const char *sni, const char *host, SSL_SESSION **session,
    cert_result *res)
{
    SSL_CTX             *ctx;
    SSL                 *ssl;
    EVP_PKEY            *pkey;
    X509                *x;
    X509_NAME           *xn;
    char                 path[600], req[1024], resp[8192];
    size_t               used;
    int                  fd, n;

    memset(res, 0, sizeof(*res));

    ctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(SSL_CTX_set_min_proto_version(ctx, version), 1);
    ck_assert_int_eq(SSL_CTX_set_max_proto_version(ctx, version), 1);
    if (version == TLS1_2_VERSION) {
        ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx,
                             "ECDHE-ECDSA-AES128-SHA256"), 1);
    }

    if (name != NULL && strcmp(name, "-") == 0) {
        pkey = EVP_EC_gen("P-256");
        x = X509_new();
        ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
        X509_gmtime_adj(X509_getm_notBefore(x), -60);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, pkey);
        xn = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(xn, "CN", MBSTRING_ASC,
                                   (const unsigned char *) "forger", -1, -1,
                                   0);
        X509_set_issuer_name(x, xn);
        X509_sign(x, pkey, EVP_sha256());
        ck_assert_int_eq(SSL_CTX_use_certificate(ctx, x), 1);
        ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, pkey), 1);
        X509_free(x);
        EVP_PKEY_free(pkey);

    } else if (name != NULL) {
        snprintf(path, sizeof(path), "%s/%s.pem", pki, name);
        ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(ctx, path), 1);
        snprintf(path, sizeof(path), "%s/%s.key", pki, name);
        ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(ctx, path,
                                                     SSL_FILETYPE_PEM), 1);
    }

    fd = harness_connect(port);
    ck_assert_int_ge(fd, 0);

    ssl = SSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    SSL_set_fd(ssl, fd);
    if (sni != NULL) {
        ck_assert_int_eq(SSL_set_tlsext_host_name(ssl, sni), 1);
    }
    if (session != NULL && *session != NULL) {
        ck_assert_int_eq(SSL_set_session(ssl, *session), 1);
    }

    if (SSL_connect(ssl) == 1) {
        res->handshake_ok = 1;
        res->resumed = SSL_session_reused(ssl);

        snprintf(req, sizeof(req),
                 "GET /~/" GATEWAY_ID "/door HTTP/1.1\r\nHost: %s\r\n"
                 "%s%s%sX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
                 ENTITY_HDR ": //forged/by/client\r\n"
                 "Connection: close\r\n\r\n", host,
                 origin != NULL ? "X-M2M-Origin: " : "",
                 origin != NULL ? origin : "", origin != NULL ? "\r\n" : "");
        ck_assert_int_eq(SSL_write(ssl, req, (int) strlen(req)),
                         (int) strlen(req));

        used = 0;
        while (used + 1 < sizeof(resp)
               && (n = SSL_read(ssl, resp + used,
                                (int) (sizeof(resp) - used - 1))) > 0)
        {
            used += n;
        }
        resp[used] = '\0';

        if (sscanf(resp, "HTTP/1.1 %d", &res->status) != 1) {
            res->status = 0;
        }
        header_value(resp, "X-M2M-RSC", res->rsc, sizeof(res->rsc));

        if (session != NULL) {
            SSL_SESSION_free(*session);
            /* a copy: SSL_free() without shutdown spoils its own */
            *session = SSL_SESSION_dup(SSL_get0_session(ssl));
        }
    }

    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
}


static void
assert_upstream(harness_upstream *up, size_t count, const char *entity,
    const char *method, const char *credential_id)
{
    const harness_request  *req;

    ck_assert_uint_eq(harness_upstream_count(up), count);
    req = harness_upstream_last(up);
    ck_assert_ptr_nonnull(req);
    ck_assert_uint_eq(harness_header_count(req->headers, req->nheaders,
                                           ENTITY_HDR), 1);
    ck_assert_str_eq(harness_req_header(req, ENTITY_HDR), entity);
    ck_assert_str_eq(harness_req_header(req, "X-Method"), method);
    ck_assert_str_eq(harness_req_header(req, "X-Credential"),
                     credential_id);
}


/*
 * One listen, both methods: a lock by PSK, CSEs and AEs by certificate,
 * TLS 1.2 and 1.3; the client's copy of the identity header never passes.
 */
START_TEST(mixed_server_binds_both_methods)
{
    harness_tls_opts     opts;
    harness_tls_result   result;
    harness_response     resp;
    harness_upstream    *up;
    cert_result          res;
    unsigned char        key[64];
    int                  version, port, key_len;

    version = _i == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;

    up = cert_upstream();
    ck_assert_int_eq(harness_nginx_config(ng, MIXED_SERVER), 0);
    ck_assert_int_eq(harness_nginx_start(ng), 0);
    port = harness_nginx_port(ng, 0);

    /* the lock, by PSK */
    key_len = harness_unhex(HARNESS_LOCK1_KEY_HEX, key, sizeof(key));
    memset(&opts, 0, sizeof(opts));
    opts.version = version;
    opts.ciphers = "PSK-AES128-CBC-SHA256";
    opts.identity = HARNESS_LOCK1_KPSA_ID;
    opts.key = key;
    opts.key_len = key_len;
    ck_assert_int_eq(harness_tls_request(port, &opts, "GET", "/~/lock",
                         "X-M2M-Origin: " HARNESS_LOCK1_ENTITY "\r\n"
                         "X-M2M-RI: r0\r\n", NULL, &result, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    assert_upstream(up, 1, HARNESS_LOCK1_ENTITY, "psk",
                    "12-" HARNESS_LOCK1_KPSA_ID);
    harness_response_free(&resp);
    harness_tls_result_free(&result);

    /* the IN-CSE, by its CSE-ID certificate */
    cert_request(port, "in-cse-1", version, "/in-cse-1", &res);
    ck_assert_int_eq(res.handshake_ok, 1);
    ck_assert_int_eq(res.status, 200);
    assert_upstream(up, 2, "/in-cse-1", "cert", "32-in-cse-1." SP_DOMAIN);

    /* an AE, by its AE-ID certificate */
    cert_request(port, "door", version, "Cdoor-AE1", &res);
    ck_assert_int_eq(res.status, 200);
    assert_upstream(up, 3, DOOR_AE_ID, "cert", "33-" DOOR_AE_ID);

    cert_stop(up);
}
END_TEST


/*
 * The originator checks hold for certificate sessions: an AE claiming
 * another AE (4106), a CSE-ID from an AE (4106); its own AE-ID-Stem
 * passes, its absolute AE-ID is not the form an AE uses (4000), as for
 * PSK sessions.
 */
START_TEST(originator_checks_cert_sessions)
{
    static const struct {
        const char  *cert;
        const char  *origin;
        int          status;
        const char  *rsc;
    } cases[] = {
        { "door", "Cother-AE", 403, "4106" },
        { "door", "/" GATEWAY_ID "/Cother-AE", 403, "4106" },
        { "door", "/in-cse-1", 403, "4106" },
        { "door", "Cdoor-AE1", 200, "" },
        /* an AE's From is its AE-ID-Stem (TS-0004 7.3.2.1) */
        { "door", DOOR_AE_ID, 400, "4000" },
    };
    harness_upstream  *up;
    cert_result        res;
    size_t             before;

    up = cert_upstream();
    ck_assert_int_eq(harness_nginx_config(ng, MIXED_SERVER), 0);
    ck_assert_int_eq(harness_nginx_start(ng), 0);

    before = harness_upstream_count(up);
    cert_request(harness_nginx_port(ng, 0), cases[_i].cert, TLS1_3_VERSION,
                 cases[_i].origin, &res);
    ck_assert_int_eq(res.handshake_ok, 1);
    ck_assert_msg(res.status == cases[_i].status, "origin %s: status %d",
                  cases[_i].origin, res.status);
    ck_assert_str_eq(res.rsc, cases[_i].rsc);
    ck_assert_uint_eq(harness_upstream_count(up),
                      before + (cases[_i].status == 200));

    cert_stop(up);
}
END_TEST


/*
 * Why a certificate binds nothing is logged once per connection: three
 * keep-alive requests with a certificate nginx cannot verify, each 4107,
 * one more line.
 */
static void
assert_unverified_logged_once(int port)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;
    char                cert[600], key[600];
    const char         *line = "client certificate binds nothing: "
                               "not verified";
    size_t              before;
    int                 i;

    /* the prefix's own self-signed certificate: no CA of pki/ issued it */
    snprintf(cert, sizeof(cert), "%s/cert.pem", harness_nginx_prefix(ng));
    snprintf(key, sizeof(key), "%s/cert.key", harness_nginx_prefix(ng));
    memset(&o, 0, sizeof(o));
    o.version = TLS1_3_VERSION;
    o.cert_file = cert;
    o.key_file = key;

    before = harness_log_count(ng, line);
    c = harness_tls_connect(port, &o, &r);
    ck_assert_ptr_nonnull(c);

    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(harness_http(c, "GET", "/~/" GATEWAY_ID "/door",
                                      "X-M2M-Origin: /in-cse-1\r\n", NULL,
                                      1, &resp), 0);
        ck_assert_int_eq(resp.status, 403);
        ck_assert_str_eq(harness_resp_header(&resp, "X-M2M-RSC"), "4107");
        harness_response_free(&resp);
    }

    harness_conn_close(c);
    harness_tls_result_free(&r);
    ck_assert_msg(harness_log_count(ng, line) == before + 1, "%s",
                  harness_log(ng));
}


/*
 * No security association: no certificate and no PSK (4107); a
 * certificate nginx could not verify ("optional": nginx's own 400;
 * "optional_no_ca": unbound, 4107, logged once per connection).
 */
START_TEST(unbound_certificate_sessions_refused)
{
    harness_upstream  *up;
    cert_result        res;
    char               conf[4096];
    const char        *from, *to;
    int                port;

    up = cert_upstream();

    from = "ssl_verify_client optional;";
    to = _i == 0 ? from : "ssl_verify_client optional_no_ca;";
    ck_assert_ptr_nonnull(strstr(MIXED_SERVER, from));
    snprintf(conf, sizeof(conf), "%.*s%s%s",
             (int) (strstr(MIXED_SERVER, from) - MIXED_SERVER), MIXED_SERVER,
             to, strstr(MIXED_SERVER, from) + strlen(from));
    ck_assert_int_eq(harness_nginx_config(ng, conf), 0);
    ck_assert_int_eq(harness_nginx_start(ng), 0);
    port = harness_nginx_port(ng, 0);

    cert_request(port, NULL, TLS1_3_VERSION, "Cdoor-AE1", &res);
    ck_assert_int_eq(res.status, 403);
    ck_assert_str_eq(res.rsc, "4107");

    cert_request(port, "-", TLS1_3_VERSION, "Cdoor-AE1", &res);
    ck_assert_int_eq(res.handshake_ok, 1);
    if (_i == 0) {
        ck_assert_int_eq(res.status, 400);
    } else {
        ck_assert_int_eq(res.status, 403);
        ck_assert_str_eq(res.rsc, "4107");
        ck_assert(harness_log_wait(ng, "client certificate binds nothing: "
                                   "not verified",
                                   5000));
        assert_unverified_logged_once(port);
    }
    ck_assert_uint_eq(harness_upstream_count(up), 0);

    cert_stop(up);
}
END_TEST


/* a server for certificates only: "ssl_verify_client", no table */
START_TEST(certificate_only_server)
{
    harness_upstream  *up;
    cert_result        res;

    up = cert_upstream();
    ck_assert_int_eq(harness_nginx_config(ng,
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    ssl_verify_client on;\n"
        "    ssl_client_certificate {{PREFIX}}/pki/ca.pem;\n"
        "    onem2m_sae required;\n"
        "    onem2m_sae_sp_domain " SP_DOMAIN ";\n"
        PROXY_LOCATION
        "}\n"), 0);
    ck_assert_int_eq(harness_nginx_start(ng), 0);

    cert_request(harness_nginx_port(ng, 0), GATEWAY_ID, TLS1_2_VERSION,
                 "/" GATEWAY_ID, &res);
    ck_assert_int_eq(res.status, 200);
    assert_upstream(up, 1, "/" GATEWAY_ID, "cert",
                    "32-" GATEWAY_ID "." SP_DOMAIN);

    cert_stop(up);
}
END_TEST


/*
 * Originator checks on a server with certificates only: the CSEs and AEs
 * with certificates are those onem2m_sae_cert_entity lists.  A CSE is
 * itself and forwards for AEs and unlisted CSEs, but claims neither a
 * listed CSE nor this gateway; an AE uses its stem; an AE-ID certificate
 * of another SP acts for nobody here; unbound clients cannot claim a
 * listed entity.
 */
#define CERT_ONLY_SERVER \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_verify_client optional;\n" \
    "    ssl_client_certificate {{PREFIX}}/pki/ca.pem;\n" \
    "    onem2m_sae optional;\n" \
    "    onem2m_sae_sp_domain " SP_DOMAIN ";\n" \
    "    onem2m_sae_cse_id " GATEWAY_ID ";\n" \
    "    onem2m_sae_sp_id " SP_DOMAIN ";\n" \
    "    onem2m_sae_cert_entity /in-cse-1 /in-cse-2 " DOOR_AE_ID ";\n" \
    "    onem2m_sae_originator check;\n" \
    "    location / {\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "        proxy_set_header X-Method $onem2m_sae_method;\n" \
    "        proxy_set_header X-Credential $onem2m_sae_credential_id;\n" \
    "    }\n" \
    "}\n"

#define FOREIGN_AE_ID  "//other.sp.com/" GATEWAY_ID "/Cdoor-AE1"
/* our SP-ID in another case: not foreign */
#define UPPER_AE_ID    "//M2M.SP.COM/" GATEWAY_ID "/Cdoor-AE2"

START_TEST(originator_on_certificate_only_server)
{
    static const struct {
        const char  *cert;       /* NULL: no certificate, unbound */
        const char  *origin;
        int          status;
        const char  *rsc;
        const char  *entity;     /* bound, for forwarded requests */
        const char  *credential_id;
    } cases[] = {
#define CSE1  "/in-cse-1", "32-in-cse-1." SP_DOMAIN
#define CSE2  "/in-cse-2", "32-in-cse-2." SP_DOMAIN
        { "in-cse-1", "/in-cse-1", 200, "", CSE1 },
        { "in-cse-1", "//" SP_DOMAIN "/in-cse-1", 200, "", CSE1 },
        { "in-cse-1", "/in-cse-3", 200, "", CSE1 },
        { "in-cse-1", "Cdoor-AE1", 200, "", CSE1 },
        { "in-cse-1", "/in-cse-2", 403, "4106", NULL, NULL },
        { "in-cse-1", "//" SP_DOMAIN "/in-cse-2", 403, "4106", NULL, NULL },
        { "in-cse-1", "/" GATEWAY_ID, 403, "4106", NULL, NULL },
        { "in-cse-2", "/in-cse-2", 200, "", CSE2 },
        { "door", "Cdoor-AE1", 200, "", DOOR_AE_ID, "33-" DOOR_AE_ID },
        { "door", "/in-cse-1", 403, "4106", NULL, NULL },
        { "door", "Cdoor-AE2", 403, "4106", NULL, NULL },
        { "door", "Cother-AE", 403, "4106", NULL, NULL },
        { "upper", "Cdoor-AE2", 200, "", UPPER_AE_ID,
          "33-//" SP_DOMAIN "/" GATEWAY_ID "/Cdoor-AE2" },
        { "upper", "Cdoor-AE1", 403, "4106", NULL, NULL },
        { "foreign", "Cdoor-AE1", 403, "4106", NULL, NULL },
        { "foreign", FOREIGN_AE_ID, 403, "4106", NULL, NULL },
        { NULL, "Cdoor-AE1", 403, "4106", NULL, NULL },
        { NULL, DOOR_AE_ID, 403, "4106", NULL, NULL },
        { NULL, "/in-cse-2", 403, "4107", NULL, NULL },
        { NULL, "Cvisitor", 200, "", NULL, NULL },
#undef CSE1
#undef CSE2
    };
    harness_upstream       *up;
    const harness_request  *req;
    cert_result             res;
    size_t                  i, forwarded;
    int                     port;

    onem2m_cert("ae", "foreign", FOREIGN_AE_ID);
    onem2m_cert("ae", "upper", UPPER_AE_ID);

    up = cert_upstream();
    ck_assert_int_eq(harness_nginx_config(ng, CERT_ONLY_SERVER), 0);
    ck_assert_int_eq(harness_nginx_start(ng), 0);
    port = harness_nginx_port(ng, 0);

    forwarded = 0;

    for (i = 0; i < CK_N(cases); i++) {
        cert_request(port, cases[i].cert, i % 2 ? TLS1_2_VERSION
                                                : TLS1_3_VERSION,
                     cases[i].origin, &res);
        ck_assert_msg(res.handshake_ok == 1, "case %zu: no handshake", i);
        ck_assert_msg(res.status == cases[i].status,
                      "%s claiming %s: status %d",
                      cases[i].cert ? cases[i].cert : "unbound",
                      cases[i].origin, res.status);
        ck_assert_str_eq(res.rsc, cases[i].rsc);

        if (cases[i].status != 200) {
            ck_assert_uint_eq(harness_upstream_count(up), forwarded);
            continue;
        }

        forwarded++;
        ck_assert_uint_eq(harness_upstream_count(up), forwarded);
        req = harness_upstream_last(up);
        ck_assert_ptr_nonnull(req);
        ck_assert_str_eq(harness_req_header(req, "X-M2M-Origin"),
                         cases[i].origin);

        if (cases[i].entity == NULL) {
            ck_assert_uint_eq(harness_header_count(req->headers,
                                                   req->nheaders,
                                                   ENTITY_HDR), 0);
        } else {
            ck_assert_str_eq(harness_req_header(req, ENTITY_HDR),
                             cases[i].entity);
            ck_assert_str_eq(harness_req_header(req, "X-Method"), "cert");
            ck_assert_str_eq(harness_req_header(req, "X-Credential"),
                             cases[i].credential_id);
        }
    }

    ck_assert(harness_log_wait(ng, "originator \"Cdoor-AE1\" refused with "
                               "4106: AE-ID certificate of another SP",
                               5000));

    cert_stop(up);
}
END_TEST


/*
 * A certificate binds only on the server whose CA list verified it.  The
 * default server trusts another CA; without SNI its SSL_CTX verifies the
 * handshake, and a Host naming the certificate server must not bind that
 * CA's certificate (nginx checks Host against SNI only when SNI was sent).
 * A TLS 1.2 session made on the default server, offered again with SNI of
 * the certificate server, carries no verification across either.
 */
START_TEST(certificate_of_other_server_ca_refused)
{
    harness_upstream  *up;
    cert_result        res;
    SSL_SESSION       *session, *again;
    char               sp_pki[sizeof(pki)];
    int                port, version;

    version = _i == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;

    /* "other/in-cse-1": the same names, issued by a CA only A trusts */
    memcpy(sp_pki, pki, sizeof(pki));
    snprintf(pki, sizeof(pki), "%s/other", harness_nginx_prefix(ng));
    onem2m_cert("ca", SP_DOMAIN, NULL);
    onem2m_cert("cse", "in-cse-1", SP_DOMAIN);
    memcpy(pki, sp_pki, sizeof(pki));

    up = cert_upstream();
    ck_assert_int_eq(harness_nginx_config(ng,
        "ssl_session_cache shared:SSL:1m;\n"
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl default_server;\n"
        "    server_name a;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_verify_client optional;\n"
        "    ssl_client_certificate {{PREFIX}}/other/ca.pem;\n"
        "    location / { return 204; }\n"
        "}\n"
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    server_name b;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_verify_client optional;\n"
        "    ssl_client_certificate {{PREFIX}}/pki/ca.pem;\n"
        "    onem2m_sae required;\n"
        "    onem2m_sae_sp_domain " SP_DOMAIN ";\n"
        PROXY_LOCATION
        "}\n"), 0);
    ck_assert_int_eq(harness_nginx_start(ng), 0);
    port = harness_nginx_port(ng, 0);

    /* the foreign certificate, no SNI, Host b */
    session = NULL;
    cert_request_to(port, "../other/in-cse-1", version, "/in-cse-1", NULL,
                    "b", &session, &res);
    ck_assert_int_eq(res.handshake_ok, 1);
    ck_assert_int_eq(res.status, 403);
    ck_assert_str_eq(res.rsc, "4107");
    ck_assert(harness_log_wait(ng, "client certificate binds nothing: "
                               "verified by the CA list of another server",
                               5000));
    ck_assert_uint_eq(harness_upstream_count(up), 0);

    if (version == TLS1_2_VERSION) {
        /* its session again, with SNI b now: not bound either way */
        ck_assert_ptr_nonnull(session);
        /* a copy: SSL_free() without shutdown spoils the session */
        again = SSL_SESSION_dup(session);
        ck_assert_ptr_nonnull(again);
        cert_request_to(port, "../other/in-cse-1", version, "/in-cse-1",
                        "b", "b", &again, &res);
        SSL_SESSION_free(again);
        ck_assert_int_eq(res.handshake_ok, 1);
        ck_assert_int_ne(res.status, 200);
        ck_assert_uint_eq(harness_upstream_count(up), 0);

        /* and without SNI: resumed on A's SSL_CTX, still not bound */
        cert_request_to(port, "../other/in-cse-1", version, "/in-cse-1",
                        NULL, "b", &session, &res);
        ck_assert_int_eq(res.handshake_ok, 1);
        ck_assert_int_eq(res.resumed, 1);
        ck_assert_int_eq(res.status, 403);
        ck_assert_str_eq(res.rsc, "4107");
        ck_assert_uint_eq(harness_upstream_count(up), 0);
    }
    SSL_SESSION_free(session);

    /* the server's own CA's certificate with SNI b binds */
    cert_request_to(port, "in-cse-1", version, "/in-cse-1", "b", "b", NULL,
                    &res);
    ck_assert_int_eq(res.status, 200);
    assert_upstream(up, 1, "/in-cse-1", "cert", "32-in-cse-1." SP_DOMAIN);
    ck_assert(harness_log_wait(ng, "client certificate bound to "
                               "\"/in-cse-1\"", 5000));

    cert_stop(up);
}
END_TEST


/*
 * pki/crl.pem, signed by the PKI's CA, revoking the certificate "name"
 * (NULL: nothing revoked).
 */
static void
write_crl(const char *name)
{
    FILE          *f;
    X509          *ca, *x;
    X509_CRL      *crl;
    X509_REVOKED  *rev;
    EVP_PKEY      *key;
    ASN1_TIME     *t;
    char           path[600], tmp[600];

    snprintf(path, sizeof(path), "%s/ca.pem", pki);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ca = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    snprintf(path, sizeof(path), "%s/ca.key", pki);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert(ca != NULL && key != NULL);

    crl = X509_CRL_new();
    ck_assert_ptr_nonnull(crl);
    ck_assert_int_eq(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
    ck_assert_int_eq(X509_CRL_set_issuer_name(crl,
                                              X509_get_subject_name(ca)), 1);
    t = X509_gmtime_adj(NULL, -60);
    ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
    ASN1_TIME_free(t);
    t = X509_gmtime_adj(NULL, 86400);
    ck_assert_int_eq(X509_CRL_set1_nextUpdate(crl, t), 1);
    ASN1_TIME_free(t);

    if (name != NULL) {
        snprintf(path, sizeof(path), "%s/%s.pem", pki, name);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        ck_assert_ptr_nonnull(x);

        rev = X509_REVOKED_new();
        ck_assert_int_eq(X509_REVOKED_set_serialNumber(rev,
                             X509_get_serialNumber(x)), 1);
        t = X509_gmtime_adj(NULL, -30);
        ck_assert_int_eq(X509_REVOKED_set_revocationDate(rev, t), 1);
        ASN1_TIME_free(t);
        ck_assert_int_eq(X509_CRL_add0_revoked(crl, rev), 1);
        X509_free(x);
    }

    ck_assert_int_eq(X509_CRL_sort(crl), 1);
    ck_assert_int_gt(X509_CRL_sign(crl, key, EVP_sha256()), 0);

    /*
     * A new file renamed over the old one: nginx >= 1.27.4 keeps a CRL
     * whose inode and mtime did not change across a reload.
     */
    snprintf(path, sizeof(path), "%s/crl.pem.new", pki);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_X509_CRL(f, crl), 1);
    ck_assert_int_eq(fclose(f), 0);
    snprintf(tmp, sizeof(tmp), "%s/crl.pem", pki);
    ck_assert_int_eq(rename(path, tmp), 0);

    X509_CRL_free(crl);
    X509_free(ca);
    EVP_PKEY_free(key);
}


/*
 * A resumed session carries a certificate identity only while that
 * certificate still verifies under the server's current CA list and CRLs
 * (a revoked certificate must not live on in a session): the AE's
 * certificate revoked, the CRL regenerated,
 * nginx reloaded, the old session resumes but binds nothing (4107, logged)
 * while a full handshake gets nginx's own 400.  Session cache and
 * tickets (with "ssl_session_ticket_key"), TLS 1.2 and 1.3.
 */
START_TEST(revoked_certificate_not_bound_on_resumption)
{
    static const struct {
        int          version;
        const char  *resumption;
    } variants[] = {
        { TLS1_2_VERSION, "ssl_session_cache shared:SSL:1m;\n"
                          "ssl_session_tickets off;\n" },
        { TLS1_2_VERSION, "ssl_session_ticket_key {{PREFIX}}/ticket.key;\n" },
        { TLS1_3_VERSION, "ssl_session_ticket_key {{PREFIX}}/ticket.key;\n" },
        { TLS1_3_VERSION, "ssl_session_cache shared:SSL:1m;\n"
                          "ssl_session_tickets off;\n" },
    };
    harness_upstream  *up;
    cert_result        res;
    SSL_SESSION       *session;
    char               conf[2048];
    int                port, version;

    version = variants[_i].version;

    /* 80 bytes: AES-256 ticket keys */
    ck_assert_int_eq(harness_nginx_write_file(ng, "ticket.key",
        "0123456789abcdef0123456789abcdef0123456789abcdef"
        "0123456789abcdef0123456789abcdef", 0600), 0);
    write_crl(NULL);

    up = cert_upstream();
    snprintf(conf, sizeof(conf),
        "%s"
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_verify_client on;\n"
        "    ssl_client_certificate {{PREFIX}}/pki/ca.pem;\n"
        "    ssl_crl {{PREFIX}}/pki/crl.pem;\n"
        "    onem2m_sae required;\n"
        "    onem2m_sae_sp_domain " SP_DOMAIN ";\n"
        PROXY_LOCATION
        "}\n", variants[_i].resumption);
    ck_assert_int_eq(harness_nginx_config(ng, conf), 0);
    ck_assert_int_eq(harness_nginx_start(ng), 0);
    port = harness_nginx_port(ng, 0);

    /* a full handshake, then a resumption: both bound */
    session = NULL;
    cert_request_to(port, "door", version, "Cdoor-AE1", NULL, "localhost",
                    &session, &res);
    ck_assert_int_eq(res.status, 200);
    assert_upstream(up, 1, DOOR_AE_ID, "cert", "33-" DOOR_AE_ID);
    ck_assert_ptr_nonnull(session);

    cert_request_to(port, "door", version, "Cdoor-AE1", NULL, "localhost",
                    &session, &res);
    ck_assert_int_eq(res.resumed, 1);
    ck_assert_int_eq(res.status, 200);
    assert_upstream(up, 2, DOOR_AE_ID, "cert", "33-" DOOR_AE_ID);

    /* revoked, the CRL regenerated, reloaded */
    write_crl("door");
    ck_assert_int_eq(harness_nginx_reload(ng), 0);

    /* the old session resumes, but binds nothing */
    cert_request_to(port, "door", version, "Cdoor-AE1", NULL, "localhost",
                    &session, &res);
    ck_assert_int_eq(res.handshake_ok, 1);
    ck_assert_int_eq(res.resumed, 1);
    ck_assert_int_eq(res.status, 403);
    ck_assert_str_eq(res.rsc, "4107");
    ck_assert_uint_eq(harness_upstream_count(up), 2);
    ck_assert(harness_log_wait(ng, "client certificate binds nothing: the "
                               "resumed session's certificate no longer "
                               "verifies (certificate revoked)",
                               5000));
    SSL_SESSION_free(session);

    /* a full handshake: nginx's own answer */
    cert_request(port, "door", version, "Cdoor-AE1", &res);
    ck_assert_int_eq(res.status, 400);
    ck_assert_uint_eq(harness_upstream_count(up), 2);

    /* another, unrevoked certificate still resumes bound */
    session = NULL;
    cert_request_to(port, "in-cse-1", version, "/in-cse-1", NULL,
                    "localhost", &session, &res);
    ck_assert_int_eq(res.status, 200);
    cert_request_to(port, "in-cse-1", version, "/in-cse-1", NULL,
                    "localhost", &session, &res);
    ck_assert_int_eq(res.resumed, 1);
    ck_assert_int_eq(res.status, 200);
    assert_upstream(up, 4, "/in-cse-1", "cert", "32-in-cse-1." SP_DOMAIN);
    SSL_SESSION_free(session);

    cert_stop(up);
}
END_TEST


/* nginx -t: "required" needs a way to associate; the SP domain's syntax */
START_TEST(configuration_checked)
{
    static const struct {
        const char  *server;
        const char  *expect;
    } cases[] = {
        { "    onem2m_sae required;\n",
          "\"onem2m_sae required\" needs an \"onem2m_sae_psk_table\" or "
          "\"ssl_verify_client\" in its server" },
        { "    ssl_verify_client optional_no_ca;\n"
          "    onem2m_sae optional;\n",
          "no \"onem2m_sae_sp_domain\" for a server with "
          "\"ssl_verify_client\"" },
        { "    ssl_verify_client on;\n"
          "    ssl_client_certificate {{PREFIX}}/pki/ca.pem;\n"
          "    onem2m_sae required;\n"
          "    onem2m_sae_sp_domain .m2m.sp.com;\n",
          "invalid SP domain \".m2m.sp.com\" in \"onem2m_sae_sp_domain\"" },
        { "    onem2m_sae_sp_domain m2m..sp.com;\n",
          "invalid SP domain \"m2m..sp.com\"" },
        { "    onem2m_sae_sp_domain *.sp.com;\n",
          "invalid SP domain \"*.sp.com\"" },
    };
    const char  *out;
    char         conf[2048];
    int          rc;

    snprintf(conf, sizeof(conf),
             "server {\n"
             "    listen 127.0.0.1:{{PORT}} ssl;\n"
             "    {{CERT}}\n"
             "%s"
             "    location / { return 204; }\n"
             "}\n", cases[_i].server);
    ck_assert_int_eq(harness_nginx_config(ng, conf), 0);
    rc = harness_nginx_test(ng, &out);
    ck_assert_msg(rc == (_i == 1 ? 0 : 1), "nginx -t %d:\n%s", rc, out);
    ck_assert_msg(strstr(out, cases[_i].expect) != NULL,
                  "expected \"%s\" in:\n%s", cases[_i].expect, out);
}
END_TEST


Suite *sae_cert_suite(void)
{
    return CK_SUITE("sae_cert",
                    CK_TCASE_MS("module", sae_cert_setup, sae_cert_teardown,
                                120000),
                    CK_LOOP(mixed_server_binds_both_methods, 2),
                    CK_LOOP(originator_checks_cert_sessions, 5),
                    CK_LOOP(unbound_certificate_sessions_refused, 2),
                    CK_TEST(certificate_only_server),
                    CK_TEST(originator_on_certificate_only_server),
                    CK_LOOP(certificate_of_other_server_ca_refused, 2),
                    CK_LOOP(revoked_certificate_not_bound_on_resumption, 4),
                    CK_LOOP(configuration_checked, 5));
}
