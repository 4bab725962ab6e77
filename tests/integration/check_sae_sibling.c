/*
 * A server without a table that shares nginx with an SAE server: the
 * identity header is stripped there too.  Otherwise a client, bound or not,
 * names the sibling (Host or SNI) and forges the header to its upstream,
 * which is often the same CSE.  And the identity header cannot be an
 * X-M2M- header: that would overwrite X-M2M-Origin and void the
 * originator check.
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define FORGED_VALUE  "Clock-AE2"
#define FORGED \
    SAE_ENTITY_HEADER ": " FORGED_VALUE "\r\n" \
    "x-onem2m-sae-entity: " FORGED_VALUE "\r\n"

static harness_upstream  *up;
static harness_nginx     *ng;

static void
setup(void)
{
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    ng = sae_start(up,
        "server {\n"
        SAE_TLS
        "    server_name mn-cse-123456;\n"
        "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
        "}\n"
        /* same address, no table: mode off */
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    server_name other;\n"
        "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
        "}\n"
        /* another address, plain http, no TLS at all */
        "server {\n"
        "    listen 127.0.0.1:{{PORT1}};\n"
        "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
        "}\n");
}

static void
teardown(void)
{
    sae_stop(ng);
    harness_upstream_stop(up);
}

static void
forge(harness_tls_opts *o, const char *extra)
{
    harness_tls_result  r;
    harness_response    resp;
    size_t              before = harness_upstream_count(up);

    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), o, "GET",
                                         "/", extra, NULL, &r, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(harness_upstream_count(up), before + 1);
    sae_assert_upstream_no_entity(harness_upstream_last(up));
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}

static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

START_TEST(bound_lock_cannot_forge_to_the_sibling_by_host)
{
    harness_tls_opts  o = sae_lock1(versions[_i]);

    forge(&o, "Host: other\r\n" FORGED);
}
END_TEST

START_TEST(keyless_client_cannot_forge_to_the_sibling_by_sni)
{
    harness_tls_opts  o = sae_cert_only(versions[_i]);

    o.sni = "other";
    forge(&o, "Host: other\r\n" FORGED);
}
END_TEST

START_TEST(plain_http_server_strips_the_header_too)
{
    char              raw[512];
    int               fd, n;
    size_t            before = harness_upstream_count(up);
    struct sockaddr_in  sa;

    /* plain HTTP/1.0 over TCP: no TLS client needed */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short) harness_nginx_port(ng, 1));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
    n = snprintf(raw, sizeof(raw), "GET / HTTP/1.0\r\nHost: x\r\n"
                 FORGED "\r\n");
    ck_assert_int_eq(write(fd, raw, (size_t) n), n);
    while (read(fd, raw, sizeof(raw)) > 0) {
        /* drain until nginx closes */
    }
    close(fd);

    ck_assert_uint_eq(harness_upstream_count(up), before + 1);
    sae_assert_upstream_no_entity(harness_upstream_last(up));
}
END_TEST

START_TEST(x_m2m_header_cannot_be_the_identity_header)
{
    static const char *const  names[] = {
        "X-M2M-Origin", "x-m2m-origin", "X-M2M-RI", "X-M2M-Anything"
    };
    harness_nginx  *t;
    const char     *out;
    char            conf[1024];
    char            want[128];

    t = harness_nginx_new();
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(harness_nginx_write_file(t, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    snprintf(conf, sizeof(conf),
             "server {\n" SAE_TLS
             "    onem2m_sae_identity_header %s;\n"
             "    location / { return 200; }\n"
             "}\n", names[_i]);
    ck_assert_int_eq(harness_nginx_config(t, conf), 0);
    ck_assert_int_ne(harness_nginx_test(t, &out), 0);
    snprintf(want, sizeof(want), "\"%s\" cannot be the identity header",
             names[_i]);
    ck_assert_msg(strstr(out, want) != NULL, "nginx -t said: %s", out);
    ck_assert_msg(strstr(out, "X-M2M- headers belong to oneM2M") != NULL,
                  "nginx -t said: %s", out);
    harness_nginx_free(t);
}
END_TEST

Suite *sae_sibling_suite(void)
{
    Suite  *s = suite_create("sae_sibling");

    SAE_TCASE(s, "sibling",
              tcase_add_checked_fixture(tc_, setup, teardown);
              tcase_add_loop_test(tc_,
                                  bound_lock_cannot_forge_to_the_sibling_by_host,
                                  0, 2);
              tcase_add_loop_test(tc_,
                                  keyless_client_cannot_forge_to_the_sibling_by_sni,
                                  0, 2);
              SAE_TEST(plain_http_server_strips_the_header_too));
    SAE_TCASE(s, "reserved",
              tcase_add_loop_test(tc_,
                                  x_m2m_header_cannot_be_the_identity_header,
                                  0, 4));
    return s;
}
