/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "onem2m_sae_exporter_header": the upstream receives the RFC 5705
 * exporter output of the client's TLS session (the bytes the client
 * computes with SSL_export_keying_material), in hex or base64, only in
 * the locations that configure it (not after an internal redirect made
 * once the header was added: try_files runs after PREACCESS); client
 * copies are removed everywhere;
 * nginx -t refuses what would let the key reach anything else.
 */

#include <stdio.h>
#include <string.h>
#include <check.h>
#include <openssl/evp.h>

#include "check_cases.h"
#include "integration/sae_fixture.h"

#define EXP_HEADER  "X-Onem2m-Sae-Exporter"
#define EXP_LABEL   "EXPORTER-oneM2M-Connection"

#define EXPORTER_SERVERS \
    "server {\n" \
    SAE_TLS \
    "    onem2m_sae optional;\n" \
    "    location / {\n" \
    "        onem2m_sae_exporter_header " EXP_HEADER " " EXP_LABEL " 48;\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "    }\n" \
    "    location /b64 {\n" \
    "        onem2m_sae_exporter_header " EXP_HEADER " " EXP_LABEL \
    " 32 base64;\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "    }\n" \
    "    location /none { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "    location /redirect {\n" \
    "        onem2m_sae_exporter_header " EXP_HEADER " " EXP_LABEL " 48;\n" \
    "        try_files /nonexistent /none;\n" \
    "    }\n" \
    "}\n"

SAE_FIXTURE(EXPORTER_SERVERS)

/* one request on a fresh connection; the client's own exporter output */
static const harness_request *
exported(int version, const char *uri, const char *extra, size_t len,
    unsigned char *ekm)
{
    harness_tls_opts    o = sae_lock1(version);
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;

    c = harness_tls_connect(harness_nginx_port(ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(SSL_export_keying_material(harness_conn_ssl(c), ekm,
                         len, EXP_LABEL, sizeof(EXP_LABEL) - 1, NULL, 0, 0),
                     1);
    ck_assert_int_eq(harness_http(c, "GET", uri, extra, NULL, 0, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);
    harness_conn_close(c);
    harness_tls_result_free(&r);
    return harness_upstream_last(up);
}

START_TEST(upstream_sees_the_clients_exporter_hex)
{
    unsigned char           ekm[48];
    char                    hex[97];
    const harness_request  *req;
    size_t                  i;

    req = exported(sae_versions[_i], "/", NULL, sizeof(ekm), ekm);

    for (i = 0; i < sizeof(ekm); i++) {
        snprintf(hex + 2 * i, 3, "%02x", ekm[i]);
    }

    ck_assert_ptr_nonnull(harness_req_header(req, EXP_HEADER));
    ck_assert_str_eq(harness_req_header(req, EXP_HEADER), hex);
    ck_assert_uint_eq(harness_header_count(req->headers, req->nheaders,
                                           EXP_HEADER), 1);
}
END_TEST

START_TEST(upstream_sees_the_clients_exporter_base64)
{
    unsigned char           ekm[32];
    char                    b64[64];
    const harness_request  *req;

    req = exported(sae_versions[_i], "/b64", NULL, sizeof(ekm), ekm);
    EVP_EncodeBlock((unsigned char *) b64, ekm, sizeof(ekm));
    ck_assert_str_eq(harness_req_header(req, EXP_HEADER), b64);
}
END_TEST

START_TEST(client_copies_are_stripped)
{
    unsigned char           ekm[48];
    const harness_request  *req;
    const char             *v;

    req = exported(TLS1_3_VERSION, "/",
                   EXP_HEADER ": forged\r\n"
                   "x_onem2m_sae_exporter: forged-2\r\n", sizeof(ekm), ekm);
    ck_assert_uint_eq(harness_header_count(req->headers, req->nheaders,
                                           EXP_HEADER), 1);
    ck_assert_ptr_null(harness_req_header(req, "x_onem2m_sae_exporter"));
    v = harness_req_header(req, EXP_HEADER);
    ck_assert_uint_eq(strlen(v), 96);

    req = exported(TLS1_3_VERSION, "/none", EXP_HEADER ": forged\r\n",
                   sizeof(ekm), ekm);
    ck_assert_ptr_null(harness_req_header(req, EXP_HEADER));
    ck_assert(harness_log_contains(ng, "client exporter header(s) "
                                   "removed"));
}
END_TEST

START_TEST(not_where_unconfigured_nor_after_a_redirect)
{
    unsigned char           ekm[48];
    const harness_request  *req;

    req = exported(TLS1_2_VERSION, "/none", NULL, sizeof(ekm), ekm);
    ck_assert_ptr_null(harness_req_header(req, EXP_HEADER));
    req = exported(TLS1_2_VERSION, "/redirect", NULL, sizeof(ekm), ekm);
    ck_assert_str_eq(req->uri, "/none");
    ck_assert_ptr_null(harness_req_header(req, EXP_HEADER));
}
END_TEST

/* nginx -t: what it refuses, with the directive and the reason */
static const struct {
    const char  *conf;
    const char  *message;
} refused[] = {
    { "    onem2m_sae_exporter_header X-E " EXP_LABEL " 48;\n"
      "    location / { return 200 $http_x_e; }\n",
      "\"$http_x_e\" reads the exporter header \"X-E\"" },
    { "    onem2m_sae_exporter_header X-E " EXP_LABEL " 48;\n"
      "    location / { proxy_pass http://127.0.0.1:9; "
      "proxy_set_header X-Copy $http_X_E; }\n",
      "reads the exporter header" },
    { "    location / {\n"
      "        onem2m_sae_exporter_header X-E " EXP_LABEL " 48;\n"
      "        mirror /m; proxy_pass http://127.0.0.1:9; }\n"
      "    location /m { internal; proxy_pass http://127.0.0.1:9; }\n",
      "applies to a location with \"mirror\"" },
    { "    onem2m_sae_exporter_header X-E master-secret 48;\n",
      "does not begin with \"EXPORTER\"" },
    { "    onem2m_sae_exporter_header X-E " EXP_LABEL " 0;\n",
      "is not 1 to 255 bytes" },
    { "    onem2m_sae_exporter_header X-E " EXP_LABEL " 256;\n",
      "is not 1 to 255 bytes" },
    { "    onem2m_sae_exporter_header X-E " EXP_LABEL " 48 raw;\n",
      "invalid encoding \"raw\"" },
    { "    onem2m_sae_exporter_header X_M2M_Origin " EXP_LABEL " 48;\n",
      "cannot be the exporter header" },
    { "    onem2m_sae_exporter_header Authorization " EXP_LABEL " 48;\n",
      "cannot be the exporter header" },
    { "    onem2m_sae_exporter_header X:E " EXP_LABEL " 48;\n",
      "invalid header name" },
};

START_TEST(nginx_t_refuses)
{
    harness_nginx  *t = harness_nginx_new();
    char            conf[2048];
    const char     *out;

    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(harness_nginx_write_file(t, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    snprintf(conf, sizeof(conf), "server {\n" SAE_TLS "%s}\n",
             refused[_i].conf);
    ck_assert_int_eq(harness_nginx_config(t, conf), 0);
    ck_assert_int_ne(harness_nginx_test(t, &out), 0);
    ck_assert_msg(strstr(out, refused[_i].message) != NULL,
                  "wanted \"%s\" in:\n%s", refused[_i].message, out);
    ck_assert_msg(strstr(out, "onem2m_sae_exporter_header") != NULL
                  || strstr(out, "exporter header") != NULL, "%s", out);
    harness_nginx_free(t);
}
END_TEST

START_TEST(nginx_t_accepts_the_mafs_configuration)
{
    harness_nginx  *t = harness_nginx_new();
    const char     *out;

    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(harness_nginx_write_file(t, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    ck_assert_int_eq(harness_nginx_config(t, EXPORTER_SERVERS), 0);
    ck_assert_msg(harness_nginx_test(t, &out) == 0, "%s", out);
    harness_nginx_free(t);
}
END_TEST

Suite *sae_exporter_suite(void)
{
    return CK_SUITE("sae_exporter",
                    CK_TCASE_MS("exporter", setup, teardown, 30000),
                    CK_LOOP(upstream_sees_the_clients_exporter_hex,
                            SAE_NVERSIONS),
                    CK_LOOP(upstream_sees_the_clients_exporter_base64,
                            SAE_NVERSIONS),
                    CK_TEST(client_copies_are_stripped),
                    CK_TEST(not_where_unconfigured_nor_after_a_redirect),
                    CK_TCASE_MS("nginx_t", NULL, NULL, 30000),
                    CK_LOOP(nginx_t_refuses, CK_N(refused)),
                    CK_TEST(nginx_t_accepts_the_mafs_configuration));
}
