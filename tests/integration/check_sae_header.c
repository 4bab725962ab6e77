/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The identity header: every client copy is removed (any case, any count)
 * on SAE servers, bound or not, and the bound entity is added as a real
 * request header, so proxy_pass and fastcgi_pass forward it without any
 * proxy_set_header / fastcgi_param in the configuration.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define FORGED \
    SAE_ENTITY_HEADER ": forged-1\r\n" \
    "x-onem2m-sae-entity: forged-2\r\n" \
    "X-ONEM2M-SAE-ENTITY: forged-3\r\n" \
    "X-Onem2m-Sae-Entity:forged-4\r\n"

#define HEADER_SERVERS \
    "server {\n" \
    SAE_TLS \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    SAE_PROXY_LOCATION("/open", "        onem2m_sae off;\n") \
    SAE_PROXY_LOCATION("/opt", "        onem2m_sae optional;\n") \
    "    location /fcgi {\n" \
    "        fastcgi_pass 127.0.0.1:%d;\n" \
    "        fastcgi_param REQUEST_METHOD $request_method;\n" \
    "        fastcgi_param REQUEST_URI $request_uri;\n" \
    "    }\n" \
    "}\n" \
    /* the same on a second server that lets underscores through */ \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT1}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    underscores_in_headers on;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "    location /fcgi {\n" \
    "        fastcgi_pass 127.0.0.1:%d;\n" \
    "        fastcgi_param REQUEST_URI $request_uri;\n" \
    "    }\n" \
    "}\n"

SAE_FIXTURE_FCGI(HEADER_SERVERS)

static void
request(int port, harness_tls_opts *o, const char *uri, const char *extra,
    int status)
{
    harness_tls_result  r;
    harness_response    resp;

    ck_assert_int_eq(harness_tls_request(port, o, "GET", uri, extra, NULL,
                                         &r, &resp), 0);
    ck_assert_int_eq(resp.status, status);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}

START_TEST(forged_copies_replaced_by_the_bound_entity_proxy)
{
    harness_tls_opts  o = sae_lock1(sae_versions[_i]);

    request(harness_nginx_port(ng, 0), &o, "/", FORGED, 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
}
END_TEST

START_TEST(forged_copies_replaced_by_the_bound_entity_fastcgi)
{
    harness_tls_opts        o = sae_lock2(sae_versions[_i]);
    const harness_request  *req;

    request(harness_nginx_port(ng, 0), &o, "/fcgi/x", FORGED, 200);
    ck_assert_uint_eq(harness_upstream_count(up), 0);
    req = harness_upstream_last(fcgi);
    ck_assert_ptr_nonnull(req);
    ck_assert_str_eq(req->uri, "/fcgi/x");
    sae_assert_fastcgi_entity(req, HARNESS_LOCK2_ENTITY);
}
END_TEST

START_TEST(underscore_spelling_cannot_forge_the_cgi_param)
{
    harness_tls_opts  o = sae_lock1(TLS1_3_VERSION);

    /*
     * With underscores_in_headers on, X_Onem2m_Sae_Entity becomes the same
     * CGI/WSGI name HTTP_X_ONEM2M_SAE_ENTITY as the real header.
     */
    request(harness_nginx_port(ng, 1), &o, "/fcgi/u",
            "X_Onem2m_Sae_Entity: forged-underscore\r\n"
            "x_onem2m_sae_entity: forged-underscore-2\r\n", 200);
    sae_assert_fastcgi_entity(harness_upstream_last(fcgi),
                              HARNESS_LOCK1_ENTITY);
}
END_TEST

START_TEST(underscore_spelling_stripped_for_proxy_too)
{
    harness_tls_opts        o = sae_lock1(TLS1_2_VERSION);
    const harness_request  *req;

    /* a WSGI CSE behind proxy_pass would merge it with the real header */
    request(harness_nginx_port(ng, 1), &o, "/",
            "X_Onem2m_Sae_Entity: forged-underscore\r\n", 200);
    req = harness_upstream_last(up);
    sae_assert_upstream_entity(req, HARNESS_LOCK1_ENTITY);
    ck_assert_msg(harness_req_header(req, "X_Onem2m_Sae_Entity") == NULL,
                  "upstream saw: %s", sae_dump_headers(req));
}
END_TEST

START_TEST(unbound_request_carries_no_identity_optional)
{
    harness_tls_opts  o = sae_cert_only(TLS1_3_VERSION);

    request(harness_nginx_port(ng, 0), &o, "/opt", FORGED, 200);
    sae_assert_upstream_no_entity(harness_upstream_last(up));
}
END_TEST

START_TEST(stripped_where_sae_is_off_in_the_location)
{
    harness_tls_opts  o = sae_cert_only(TLS1_3_VERSION);

    request(harness_nginx_port(ng, 0), &o, "/open", FORGED, 200);
    sae_assert_upstream_no_entity(harness_upstream_last(up));
}
END_TEST

START_TEST(bound_request_where_sae_is_off_in_the_location)
{
    harness_tls_opts  o = sae_lock1(TLS1_3_VERSION);

    request(harness_nginx_port(ng, 0), &o, "/open", FORGED, 200);
    ck_assert_uint_le(harness_header_count(
                          harness_upstream_last(up)->headers,
                          harness_upstream_last(up)->nheaders,
                          SAE_ENTITY_HEADER), 1);
    if (harness_req_header(harness_upstream_last(up), SAE_ENTITY_HEADER)) {
        ck_assert_str_eq(harness_req_header(harness_upstream_last(up),
                                            SAE_ENTITY_HEADER),
                         HARNESS_LOCK1_ENTITY);
    }
}
END_TEST

START_TEST(many_copies_and_other_headers_kept_in_order)
{
    harness_tls_opts        o = sae_lock1(TLS1_2_VERSION);
    const harness_request  *req;
    char                    extra[8192];
    size_t                  n = 0, i;

    n += (size_t) snprintf(extra + n, sizeof(extra) - n,
                           "X-M2M-Origin: Clock-AE1\r\n");
    for (i = 0; i < 50; i++) {
        n += (size_t) snprintf(extra + n, sizeof(extra) - n,
                               "%s: forged-%zu\r\nX-Keep-%zu: v%zu\r\n",
                               (i % 2) ? "x-oNeM2m-sAe-eNtItY"
                                       : SAE_ENTITY_HEADER, i, i, i);
    }
    request(harness_nginx_port(ng, 0), &o, "/", extra, 200);
    req = harness_upstream_last(up);
    sae_assert_upstream_entity(req, HARNESS_LOCK1_ENTITY);
    ck_assert_str_eq(harness_req_header(req, "X-M2M-Origin"), "Clock-AE1");
    for (i = 0; i < 50; i++) {
        char  name[32], value[32];

        snprintf(name, sizeof(name), "X-Keep-%zu", i);
        snprintf(value, sizeof(value), "v%zu", i);
        ck_assert_ptr_nonnull(harness_req_header(req, name));
        ck_assert_str_eq(harness_req_header(req, name), value);
    }
}
END_TEST

START_TEST(custom_header_name)
{
    harness_upstream       *u = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx          *n;
    harness_tls_opts        o = sae_lock1(TLS1_3_VERSION);
    const harness_request  *req;

    n = sae_start(u,
        "onem2m_sae_identity_header X-Gateway-Entity;\n"
        SAE_SERVER);
    request(harness_nginx_port(n, 0), &o, "/",
            "x-gateway-entity: forged\r\nX-GATEWAY-ENTITY: forged\r\n"
            SAE_ENTITY_HEADER ": not-ours\r\n", 200);
    req = harness_upstream_last(u);
    ck_assert_ptr_nonnull(req);
    ck_assert_uint_eq(harness_header_count(req->headers, req->nheaders,
                                           "X-Gateway-Entity"), 1);
    ck_assert_str_eq(harness_req_header(req, "X-Gateway-Entity"),
                     HARNESS_LOCK1_ENTITY);
    /* another name is none of the module's business */
    ck_assert_str_eq(harness_req_header(req, SAE_ENTITY_HEADER),
                     "not-ours");
    sae_stop(n);
    harness_upstream_stop(u);
}
END_TEST

Suite *sae_header_suite(void)
{
    return CK_SUITE("sae_header",
                    CK_TCASE_MS("header", setup, teardown, 30000),
                    CK_LOOP(forged_copies_replaced_by_the_bound_entity_proxy,
                            2),
                    CK_LOOP(forged_copies_replaced_by_the_bound_entity_fastcgi,
                            2),
                    CK_TEST(underscore_spelling_cannot_forge_the_cgi_param),
                    CK_TEST(underscore_spelling_stripped_for_proxy_too),
                    CK_TEST(unbound_request_carries_no_identity_optional),
                    CK_TEST(stripped_where_sae_is_off_in_the_location),
                    CK_TEST(bound_request_where_sae_is_off_in_the_location),
                    CK_TEST(many_copies_and_other_headers_kept_in_order),
                    CK_TCASE_MS("custom", NULL, NULL, 30000),
                    CK_TEST(custom_header_name));
}
