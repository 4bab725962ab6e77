/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The gateway's own connection to the IN-CSE, with a real nginx:
 * conf/nginx-in-cse-upstream.conf as shipped (placeholders filled in),
 * certificates issued by conf/onem2m-cert, and an in-test IN-CSE, an
 * OpenSSL TLS server that requires a client certificate and asks the hook
 * (sae_cert.c) which CSE-ID the gateway's certificate stands for.
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


/* the in-test IN-CSE */
typedef struct {
    SSL_CTX          *ctx;
    int               fd;
    int               port;
    int               stop;
    pthread_t         thread;
    pthread_mutex_t   lock;
    int               requests;        /* answered */
    int               failed;          /* handshakes that failed */
    char              entity[300];     /* of the last request */
    char              credential_id[300];
    char              origin[300];     /* its X-M2M-Origin */
    int               version;
} in_cse;


/* reads one request head; returns its length or -1 */
static int
read_head(SSL *ssl, char *buf, size_t size)
{
    size_t  used;
    int     n;

    used = 0;
    while (used + 1 < size) {
        n = SSL_read(ssl, buf + used, (int) (size - used - 1));
        if (n <= 0) {
            return -1;
        }
        used += n;
        buf[used] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL) {
            return (int) used;
        }
    }

    return -1;
}


static void *
in_cse_main(void *arg)
{
    static const char  answer[] =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "X-M2M-RSC: 2000\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        "{}";
    const ONEM2M_SAE_CERT_IDENTITY  *id;
    struct pollfd                    pfd;
    in_cse                          *cse;
    SSL                             *ssl;
    char                             head[4096];
    int                              fd, reason;

    cse = arg;

    while (!cse->stop) {
        pfd.fd = cse->fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        fd = accept(cse->fd, NULL, NULL);
        if (fd < 0) {
            continue;
        }

        ssl = SSL_new(cse->ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1 || read_head(ssl, head, sizeof(head)) < 0)
        {
            pthread_mutex_lock(&cse->lock);
            cse->failed++;
            pthread_mutex_unlock(&cse->lock);
            ERR_clear_error();
            SSL_free(ssl);
            close(fd);
            continue;
        }

        id = ONEM2M_SAE_get_cert_identity(ssl, SP_DOMAIN, strlen(SP_DOMAIN),
                                          &reason);
        pthread_mutex_lock(&cse->lock);
        snprintf(cse->entity, sizeof(cse->entity), "%s",
                 id != NULL ? id->entity : "");
        snprintf(cse->credential_id, sizeof(cse->credential_id), "%s",
                 id != NULL ? id->credential_id : "");
        header_value(head, "X-M2M-Origin", cse->origin, sizeof(cse->origin));
        cse->version = SSL_version(ssl);
        cse->requests++;
        pthread_mutex_unlock(&cse->lock);

        SSL_write(ssl, answer, sizeof(answer) - 1);
        SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
    }

    return NULL;
}


/* an IN-CSE holding the CSE-ID certificate of cse_id */
static in_cse *
in_cse_start(const char *cse_id)
{
    in_cse              *cse;
    char                 path[600];

    cse = calloc(1, sizeof(*cse));
    ck_assert_ptr_nonnull(cse);
    pthread_mutex_init(&cse->lock, NULL);

    cse->ctx = SSL_CTX_new(TLS_server_method());
    ck_assert_ptr_nonnull(cse->ctx);
    snprintf(path, sizeof(path), "%s/%s.pem", pki, cse_id);
    ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(cse->ctx, path), 1);
    snprintf(path, sizeof(path), "%s/%s.key", pki, cse_id);
    ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(cse->ctx, path,
                                                 SSL_FILETYPE_PEM), 1);
    snprintf(path, sizeof(path), "%s/ca.pem", pki);
    ck_assert_int_eq(SSL_CTX_load_verify_locations(cse->ctx, path, NULL), 1);
    SSL_CTX_set_verify(cse->ctx,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);

    cse->fd = harness_listen(16, &cse->port);
    ck_assert_int_ge(cse->fd, 0);

    ck_assert_int_eq(pthread_create(&cse->thread, NULL, in_cse_main, cse),
                     0);

    return cse;
}


static void
in_cse_stop(in_cse *cse)
{
    cse->stop = 1;
    pthread_join(cse->thread, NULL);
    close(cse->fd);
    SSL_CTX_free(cse->ctx);
    pthread_mutex_destroy(&cse->lock);
    free(cse);
}


/* one plain HTTP request (the local CSE's view); returns the status */
static int
plain_request(int port, const char *origin)
{
    struct pollfd        pfd;
    char                 req[512], resp[4096];
    size_t               used;
    ssize_t              n;
    int                  fd, status;

    fd = harness_connect(port);
    ck_assert_int_ge(fd, 0);

    snprintf(req, sizeof(req),
             "GET /~/in-cse-1/in-name HTTP/1.1\r\nHost: in-cse-1\r\n"
             "X-M2M-Origin: %s\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
             "Connection: close\r\n\r\n", origin);
    ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t) strlen(req));

    used = 0;
    for ( ;; ) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        ck_assert_int_eq(poll(&pfd, 1, harness_timeout_ms(10000)), 1);
        n = read(fd, resp + used, sizeof(resp) - used - 1);
        if (n <= 0) {
            break;
        }
        used += n;
    }
    close(fd);
    resp[used] = '\0';

    status = 0;
    ck_assert_int_eq(sscanf(resp, "HTTP/1.1 %d", &status), 1);

    return status;
}


/* conf/nginx-in-cse-upstream.conf with the test's PKI, ports, IN-CSE */
static void
upstream_config(int in_cse_port)
{
    char   path[600], addr[64], listen[64];
    char  *conf;

    snprintf(path, sizeof(path), "%s/tmp", harness_nginx_prefix(ng));
    ck_assert_int_eq(mkdir(path, 0755), 0);

    conf = read_text(TOP_SRCDIR "/conf/nginx-in-cse-upstream.conf");
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", in_cse_port);
    snprintf(listen, sizeof(listen), "listen 127.0.0.1:%d;",
             harness_nginx_port(ng, 0));
    replace_all(&conf, "@PKI@", pki);
    replace_all(&conf, "@IN_CSE@", addr);
    replace_all(&conf, "@SP_DOMAIN@", SP_DOMAIN);
    replace_all(&conf, "listen 127.0.0.1:8082;", listen);
    /* where the harness looks for nginx's messages */
    replace_all(&conf, "error_log stderr info;",
                "error_log {{PREFIX}}/error.log info;");
    ck_assert_ptr_null(strchr(conf, '@'));
    ck_assert_int_eq(harness_nginx_config_raw(ng, conf), 0);
    free(conf);
}


/*
 * The IN-CSE binds the gateway's connection to its CSE-ID; nginx speaks
 * the TS-0003 certificate suites; keepalive keeps one binding for many
 * requests.
 */
START_TEST(upstream_binds_gateway_cse_id)
{
    in_cse  *cse;

    cse = in_cse_start("in-cse-1");
    upstream_config(cse->port);
    ck_assert_int_eq(harness_nginx_start(ng), 0);

    ck_assert_int_eq(plain_request(harness_nginx_port(ng, 0),
                                   "/" GATEWAY_ID), 200);

    pthread_mutex_lock(&cse->lock);
    ck_assert_int_eq(cse->requests, 1);
    ck_assert_int_eq(cse->failed, 0);
    ck_assert_str_eq(cse->entity, "/" GATEWAY_ID);
    ck_assert_str_eq(cse->credential_id, "32-" GATEWAY_ID "." SP_DOMAIN);
    ck_assert_str_eq(cse->origin, "/" GATEWAY_ID);
    ck_assert_int_eq(cse->version, TLS1_3_VERSION);
    pthread_mutex_unlock(&cse->lock);

    ck_assert_int_eq(harness_nginx_stop(ng), 0);
    in_cse_stop(cse);
}
END_TEST


/*
 * An upstream with another CSE-ID certificate of the same CA is not the
 * IN-CSE: nginx refuses it (proxy_ssl_name), the request fails with 502.
 */
START_TEST(upstream_refuses_other_cse)
{
    in_cse  *cse;

    cse = in_cse_start("in-cse-2");
    upstream_config(cse->port);
    ck_assert_int_eq(harness_nginx_start(ng), 0);

    ck_assert_int_eq(plain_request(harness_nginx_port(ng, 0),
                                   "/" GATEWAY_ID), 502);
    ck_assert(harness_log_wait(ng,
        "upstream SSL certificate does not match \"in-cse-1." SP_DOMAIN "\"",
        5000));

    pthread_mutex_lock(&cse->lock);
    ck_assert_int_eq(cse->requests, 0);
    pthread_mutex_unlock(&cse->lock);

    ck_assert_int_eq(harness_nginx_stop(ng), 0);
    in_cse_stop(cse);
}
END_TEST


/*
 * What proxy_ssl_name really checks: OpenSSL's X509_check_host() without
 * flags.  From the SP's CA, a wildcard dNSName "*.<SP domain>" and a
 * certificate with no dNSName whose subject CN is the IN-CSE's name (here
 * an AE-ID certificate good for TLS servers) both pass as "in-cse-1":
 * hence the advice in conf/nginx-in-cse-upstream.conf to trust a CA that
 * issues CSE-ID certificates only.  The AE-ID certificates of
 * conf/onem2m-cert are for TLS clients only and do not pass.
 */
START_TEST(upstream_name_check_limits)
{
    in_cse       *cse;
    const char   *name;
    char          line[128];
    int           status;

    switch (_i) {
    case 0:
        name = "wildcard";
        issue_by_ca(name, "wildcard",
                    "basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=clientAuth,serverAuth\n"
                    "subjectAltName=DNS:*." SP_DOMAIN "\n");
        break;
    case 1:
        name = "cn-only";
        issue_by_ca(name, "in-cse-1." SP_DOMAIN,
                    "basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=clientAuth,serverAuth\n"
                    "subjectAltName=URI://" SP_DOMAIN "/Sin-cse-1\n");
        break;
    default:
        /* CN "in-cse-1.<SP domain>" as well, extendedKeyUsage clientAuth */
        name = "in-cse-1." SP_DOMAIN;
        onem2m_cert("ae", name, "//" SP_DOMAIN "/Sin-cse-1");
        break;
    }

    cse = in_cse_start(name);
    upstream_config(cse->port);
    ck_assert_int_eq(harness_nginx_start(ng), 0);

    status = plain_request(harness_nginx_port(ng, 0), "/" GATEWAY_ID);

    pthread_mutex_lock(&cse->lock);
    if (_i < 2) {
        ck_assert_int_eq(status, 200);
        ck_assert_int_eq(cse->requests, 1);
        ck_assert_str_eq(cse->entity, "/" GATEWAY_ID);
    } else {
        ck_assert_int_eq(status, 502);
        ck_assert_int_eq(cse->requests, 0);
    }
    pthread_mutex_unlock(&cse->lock);

    if (_i == 2) {
        /* the code only: the text differs between OpenSSL versions */
        snprintf(line, sizeof(line),
                 "upstream SSL certificate verify error: (%d:",
                 X509_V_ERR_INVALID_PURPOSE);
        ck_assert_msg(harness_log_wait(ng, line, 5000),
                      "no \"%s\" in:\n%s", line, harness_log(ng));
    }

    ck_assert_int_eq(harness_nginx_stop(ng), 0);
    in_cse_stop(cse);
}
END_TEST


/*
 * The IN-CSE's own name from another CA: nginx's verification refuses it
 * before proxy_ssl_name is looked at; 502, nothing reaches the upstream.
 */
START_TEST(upstream_refuses_other_ca)
{
    in_cse  *cse;
    char     sp_pki[sizeof(pki)], line[128];

    memcpy(sp_pki, pki, sizeof(pki));
    snprintf(pki, sizeof(pki), "%s/other", harness_nginx_prefix(ng));
    onem2m_cert("ca", SP_DOMAIN, NULL);
    onem2m_cert("cse", "in-cse-1", SP_DOMAIN);
    memcpy(pki, sp_pki, sizeof(pki));

    /* its certificate from "other", the gateway's CA to verify the client */
    cse = in_cse_start("../other/in-cse-1");
    upstream_config(cse->port);
    ck_assert_int_eq(harness_nginx_start(ng), 0);

    ck_assert_int_eq(plain_request(harness_nginx_port(ng, 0),
                                   "/" GATEWAY_ID), 502);
    /* the issuer of the only certificate sent is unknown */
    snprintf(line, sizeof(line),
             "upstream SSL certificate verify error: (%d:",
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
    ck_assert_msg(harness_log_wait(ng, line, 5000),
                  "no \"%s\" in:\n%s", line, harness_log(ng));

    pthread_mutex_lock(&cse->lock);
    ck_assert_int_eq(cse->requests, 0);
    pthread_mutex_unlock(&cse->lock);

    ck_assert_int_eq(harness_nginx_stop(ng), 0);
    in_cse_stop(cse);
}
END_TEST


Suite *sae_cert_upstream_suite(void)
{
    return CK_SUITE("sae_cert_upstream",
                    CK_TCASE_MS("upstream", sae_cert_setup, sae_cert_teardown,
                                120000),
                    CK_TEST(upstream_binds_gateway_cse_id),
                    CK_TEST(upstream_refuses_other_cse),
                    CK_LOOP(upstream_name_check_limits, 3),
                    CK_TEST(upstream_refuses_other_ca));
}
