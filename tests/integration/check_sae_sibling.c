/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A server without a table that shares nginx with an SAE server: the
 * identity header is stripped there too.  Otherwise a client, bound or not,
 * names the sibling (Host or SNI) and forges the header to its upstream,
 * which is often the same CSE.  Every identity header name of the http
 * block counts, on every server.
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

/*
 * The SAE server (with sae_directives), a sibling "other" on its address
 * without a table (mode off), a plain HTTP server on another address; all
 * proxy to the in-test upstream.
 */
#define THREE_SERVERS(http_directives, sae_directives) \
    http_directives \
    "server {\n" \
    SAE_TLS \
    "    server_name mn-cse-123456;\n" \
    sae_directives \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n" \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    server_name other;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n" \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT1}};\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

SAE_FIXTURE(THREE_SERVERS("", ""))

/* one request to {{PORT}}: answered 200, forwarded once; what arrived */
static const harness_request *
forward(harness_tls_opts *o, const char *extra)
{
    harness_tls_result  r;
    harness_response    resp;
    size_t              before = harness_upstream_count(up);

    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), o, "GET",
                                         "/", extra, NULL, &r, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(harness_upstream_count(up), before + 1);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    return harness_upstream_last(up);
}

static void
forge(harness_tls_opts *o, const char *extra)
{
    sae_assert_upstream_no_entity(forward(o, extra));
}

START_TEST(bound_lock_cannot_forge_to_the_sibling_by_host)
{
    harness_tls_opts  o = sae_lock1(sae_versions[_i]);

    forge(&o, "Host: other\r\n" FORGED);
}
END_TEST

START_TEST(keyless_client_cannot_forge_to_the_sibling_by_sni)
{
    harness_tls_opts  o = sae_cert_only(sae_versions[_i]);

    o.sni = "other";
    forge(&o, "Host: other\r\n" FORGED);
}
END_TEST

/* one plain HTTP/1.0 request over TCP (no TLS client needed): its headers */
static void
plain_request(int port, const char *extra)
{
    char                raw[1024];
    int                 fd, n;

    fd = harness_connect(port);
    ck_assert_int_ge(fd, 0);
    n = snprintf(raw, sizeof(raw), "GET / HTTP/1.0\r\n%s\r\n", extra);
    ck_assert_int_lt(n, (int) sizeof(raw));
    ck_assert_int_eq(write(fd, raw, (size_t) n), n);
    while (read(fd, raw, sizeof(raw)) > 0) {
        /* drain until nginx closes */
    }
    close(fd);
}

START_TEST(plain_http_server_strips_the_header_too)
{
    size_t  before = harness_upstream_count(up);

    plain_request(harness_nginx_port(ng, 1), "Host: x\r\n" FORGED);
    ck_assert_uint_eq(harness_upstream_count(up), before + 1);
    sae_assert_upstream_no_entity(harness_upstream_last(up));
}
END_TEST

START_TEST(the_only_header_of_a_request_stripped)
{
    size_t  before = harness_upstream_count(up);

    /* HTTP/1.0 needs no Host: the list holds nothing else */
    plain_request(harness_nginx_port(ng, 1),
                  SAE_ENTITY_HEADER ": " FORGED_VALUE "\r\n");
    ck_assert_uint_eq(harness_upstream_count(up), before + 1);
    sae_assert_upstream_no_entity(harness_upstream_last(up));
}
END_TEST

/*-
 * A header name set in one server (or at http level and overridden by a
 * server) is stripped on every server of the http block, since any of them
 * may proxy to the CSE that trusts the header:
 * on a sibling without SAE on the same address (SNI or Host), on a plain
 * HTTP server, and on the SAE server itself.
 */

#define SERVER_HEADER  "X-Entity"
#define HTTP_HEADER    "X-Http-Level"
#define FORGED_NAMED \
    SERVER_HEADER ": " FORGED_VALUE "\r\n" \
    HTTP_HEADER ": " FORGED_VALUE "\r\n"

static void
named_setup(void)
{
    sae_fixture_start(&up, NULL, &ng, THREE_SERVERS(
        "onem2m_sae_identity_header " HTTP_HEADER ";\n",
        "    onem2m_sae_identity_header " SERVER_HEADER ";\n"));
}

/* req carries no client copy of either name (bound: the server's own) */
static void
assert_named_stripped(const harness_request *req, const char *bound)
{
    ck_assert_ptr_nonnull(req);
    ck_assert_msg(harness_header_count(req->headers, req->nheaders,
                                       HTTP_HEADER) == 0,
                  "upstream saw: %s", sae_dump_headers(req));
    if (bound == NULL) {
        ck_assert_msg(harness_header_count(req->headers, req->nheaders,
                                           SERVER_HEADER) == 0,
                      "upstream saw: %s", sae_dump_headers(req));
        return;
    }
    ck_assert_msg(harness_header_count(req->headers, req->nheaders,
                                       SERVER_HEADER) == 1
                  && strcmp(harness_req_header(req, SERVER_HEADER),
                            bound) == 0,
                  "expected %s: %s, upstream saw: %s", SERVER_HEADER, bound,
                  sae_dump_headers(req));
}

static void
named_forge(harness_tls_opts *o, const char *extra, const char *bound)
{
    assert_named_stripped(forward(o, extra), bound);
}

START_TEST(server_header_stripped_on_the_sibling_by_sni)
{
    harness_tls_opts  o = sae_cert_only(sae_versions[_i]);

    /* curl -sk --resolve other:PORT:127.0.0.1 -H 'X-Entity: ...' */
    o.sni = "other";
    named_forge(&o, "Host: other\r\n" FORGED_NAMED, NULL);
}
END_TEST

START_TEST(server_header_stripped_for_a_lock_naming_the_sibling)
{
    harness_tls_opts  o = sae_lock1(sae_versions[_i]);

    named_forge(&o, "Host: other\r\n" FORGED_NAMED, NULL);
}
END_TEST

START_TEST(server_header_stripped_on_plain_http)
{
    size_t  before = harness_upstream_count(up);

    plain_request(harness_nginx_port(ng, 1), "Host: x\r\n" FORGED_NAMED);
    ck_assert_uint_eq(harness_upstream_count(up), before + 1);
    assert_named_stripped(harness_upstream_last(up), NULL);
}
END_TEST

START_TEST(http_level_header_stripped_on_the_overriding_server)
{
    harness_tls_opts  o = sae_lock1(sae_versions[_i]);

    named_forge(&o, "Host: mn-cse-123456\r\n" FORGED_NAMED,
                HARNESS_LOCK1_ENTITY);
}
END_TEST

Suite *sae_sibling_suite(void)
{
    return CK_SUITE("sae_sibling",
                    CK_TCASE_MS("sibling", setup, teardown, 30000),
                    CK_LOOP(bound_lock_cannot_forge_to_the_sibling_by_host, 2),
                    CK_LOOP(keyless_client_cannot_forge_to_the_sibling_by_sni,
                            2),
                    CK_TEST(plain_http_server_strips_the_header_too),
                    CK_TEST(the_only_header_of_a_request_stripped),
                    CK_TCASE_MS("named", named_setup, teardown, 30000),
                    CK_LOOP(server_header_stripped_on_the_sibling_by_sni, 2),
                    CK_LOOP(server_header_stripped_for_a_lock_naming_the_sibling,
                            2),
                    CK_TEST(server_header_stripped_on_plain_http),
                    CK_LOOP(http_level_header_stripped_on_the_overriding_server,
                            2));
}
