/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the SAE integration suites share: the seed's credentials, the
 * server block of a TLS-PSK SAE server and helpers that start nginx with
 * it.  Header-only (static functions): each suite file includes it.
 */

#ifndef ONEM2M_TEST_SAE_FIXTURE_H
#define ONEM2M_TEST_SAE_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/harness.h"

/*
 * The TLS 1.2 suites of TS-0003 (CBC-SHA256 for TLS, CCM8 for DTLS) and
 * the two GCM ones, plain PSK only: nothing RSA-PSK/DHE-PSK
 */
#define SAE_PSK_CIPHERS \
    "PSK-AES128-CBC-SHA256:PSK-AES128-CCM8:PSK-AES128-GCM-SHA256:" \
    "PSK-AES256-GCM-SHA384"

/* the main part of a configuration without the module, up to "http {" */
#define SAE_PLAIN_HEAD \
    "daemon off;\n" \
    "master_process on;\n" \
    "worker_processes 1;\n" \
    "pid {{PREFIX}}/nginx.pid;\n" \
    "error_log {{PREFIX}}/error.log info;\n" \
    "events { worker_connections 128; }\n" \
    "http {\n" \
    "    access_log off;\n" \
    "    client_body_temp_path {{PREFIX}}/body;\n" \
    "    proxy_temp_path {{PREFIX}}/proxy;\n" \
    "    fastcgi_temp_path {{PREFIX}}/fastcgi;\n" \
    "    uwsgi_temp_path {{PREFIX}}/uwsgi;\n" \
    "    scgi_temp_path {{PREFIX}}/scgi;\n"

/*
 * OpenSSL 3.2 moved the CCM8 suites to security level 0 (their 8-byte
 * tag): a server that offers PSK-AES128-CCM8 there appends this to its
 * ssl_ciphers (docs/supported-versions.md); OpenSSL 3.0 needs nothing.
 */
#define SAE_CCM8_SECLEVEL  "@SECLEVEL=0"

/*
 * The TLS 1.2 suites the shipped door-lock configurations offer
 * (conf/nginx-door-lock.conf, conf/debian/onem2m-door-lock): a lock with
 * any one of them alone binds, on every OpenSSL of the matrix.
 */
static const char *const sae_door_lock_suites[] __attribute__((unused)) = {
    "PSK-AES128-CBC-SHA256", "PSK-AES128-CCM", "PSK-AES128-CCM8",
    "PSK-AES128-GCM-SHA256", "PSK-AES256-GCM-SHA384"
};
#define SAE_DOOR_LOCK_NSUITES  5

/* what nginx -t says of a CCM8 suite it will not negotiate */
#define SAE_CCM8_WARNING  "negotiates only at security level 0"

#define SAE_ENTITY_HEADER  "X-Onem2m-Sae-Entity"

/* the TLS part of an SAE server listening on {{PORT}} */
#define SAE_TLS \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"

/* a location proxying to the in-test upstream, with its own directives */
#define SAE_PROXY_LOCATION(path, directives) \
    "    location " path " {\n" \
    directives \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "    }\n"

/* an SAE server proxying everything to the in-test upstream */
#define SAE_SERVER \
    "server {\n" \
    SAE_TLS \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

static const unsigned char SAE_LOCK1_KEY[8] __attribute__((unused)) = {
    0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x7a, 0x8b
};
static const unsigned char SAE_LOCK2_KEY[8] __attribute__((unused)) = {
    0x12, 0x34, 0x56, 0x78, 0xab, 0xcd, 0xef, 0xab
};
/* lock 1's key with the last bit flipped */
static const unsigned char SAE_WRONG_KEY[8] __attribute__((unused)) = {
    0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x7a, 0x8a
};


static inline harness_tls_opts
sae_psk(int version, const char *identity, const unsigned char *key)
{
    harness_tls_opts  o;

    memset(&o, 0, sizeof(o));
    o.version = version;
    o.identity = identity;
    o.key = key;
    o.key_len = key != NULL ? 8 : 0;
    return o;
}

static inline harness_tls_opts
sae_lock1(int version)
{
    return sae_psk(version, HARNESS_LOCK1_KPSA_ID, SAE_LOCK1_KEY);
}

static inline harness_tls_opts
sae_lock2(int version)
{
    return sae_psk(version, HARNESS_LOCK2_KPSA_ID, SAE_LOCK2_KEY);
}

/* a client with no PSK at all: certificate handshake only */
static inline harness_tls_opts
sae_cert_only(int version)
{
    harness_tls_opts  o;

    memset(&o, 0, sizeof(o));
    o.version = version;
    if (version != TLS1_3_VERSION) {
        o.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
    }
    return o;
}

/*
 * nginx with the seed table (mode 0600) and the given http-level template,
 * started; the upstream (may be NULL) is wired to {{UPSTREAM}}.
 */
static inline harness_nginx *
sae_start_with(const char *table, harness_upstream *up, const char *http)
{
    harness_nginx  *ng = harness_nginx_new();
    int             rc;

    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table", table, 0600),
                     0);
    harness_nginx_set_upstream(ng, up);
    ck_assert_int_eq(harness_nginx_config(ng, http), 0);
    rc = harness_nginx_start(ng);
    ck_assert_msg(rc == 0, "nginx did not start; error log:\n%s",
                  harness_log(ng));
    return ng;
}

static inline harness_nginx *
sae_start(harness_upstream *up, const char *http)
{
    return sae_start_with(HARNESS_SEED_TABLE, up, http);
}

static inline void
sae_stop(harness_nginx *ng)
{
    int  rc = harness_nginx_stop(ng);

    ck_assert_msg(rc == 0, "nginx did not stop cleanly; error log:\n%s",
                  harness_log(ng));
    harness_nginx_free(ng);
}

/* both versions, for loop tests over them: _i indexes this */
static const int sae_versions[] __attribute__((unused)) = {
    TLS1_2_VERSION, TLS1_3_VERSION
};
#define SAE_NVERSIONS  2

static inline harness_upstream *
sae_upstream_start(int kind)
{
    harness_upstream  *u = harness_upstream_start(kind);

    ck_assert_ptr_nonnull(u);
    return u;
}

/*
 * The fixture most suites share.  sae_fixture_start: an HTTP upstream in
 * *up, a FastCGI one in *fcgi when fcgi is not NULL (its port fills the
 * "%d"s of the template), and nginx in *ng with the seed table serving
 * the http-level template, started.  sae_fixture_stop: nginx stopped
 * cleanly (or the test fails), then the upstreams; NULLs are skipped.
 */
static inline void
sae_fixture_start(harness_upstream **up, harness_upstream **fcgi,
    harness_nginx **ng, const char *http)
{
    char  conf[8192];
    int   port;

    *up = sae_upstream_start(HARNESS_UPSTREAM_HTTP);
    if (fcgi != NULL) {
        *fcgi = sae_upstream_start(HARNESS_UPSTREAM_FASTCGI);
        port = harness_upstream_port(*fcgi);
        ck_assert_int_lt(snprintf(conf, sizeof(conf), http, port, port),
                         (int) sizeof(conf));
        http = conf;
    }
    *ng = sae_start(*up, http);
}

static inline void
sae_fixture_stop(harness_upstream **up, harness_upstream **fcgi,
    harness_nginx **ng)
{
    if (ng != NULL && *ng != NULL) {
        sae_stop(*ng);
        *ng = NULL;
    }
    harness_upstream_stop(*up);
    *up = NULL;
    if (fcgi != NULL) {
        harness_upstream_stop(*fcgi);
        *fcgi = NULL;
    }
}

/*
 * One line for a suite file's fixture: the statics "up" (and "fcgi"),
 * "ng", and the checked fixture "setup"/"teardown" around each test.
 *   SAE_FIXTURE(template)        upstream + nginx serving template
 *   SAE_FIXTURE_FCGI(template)   the same with a FastCGI upstream, whose
 *                                port fills the template's "%d"s
 *   SAE_UPSTREAM_FIXTURE()       the upstream only: tests start nginx
 */
#define SAE_FIXTURE(template) \
    static harness_upstream  *up; \
    static harness_nginx     *ng; \
    static void setup(void) { sae_fixture_start(&up, NULL, &ng, template); } \
    static void teardown(void) { sae_fixture_stop(&up, NULL, &ng); }

#define SAE_FIXTURE_FCGI(template) \
    static harness_upstream  *up; \
    static harness_upstream  *fcgi; \
    static harness_nginx     *ng; \
    static void setup(void) { sae_fixture_start(&up, &fcgi, &ng, template); } \
    static void teardown(void) { sae_fixture_stop(&up, &fcgi, &ng); }

#define SAE_UPSTREAM_FIXTURE() \
    static harness_upstream  *up; \
    static void setup(void) \
        { up = sae_upstream_start(HARNESS_UPSTREAM_HTTP); } \
    static void teardown(void) { sae_fixture_stop(&up, NULL, NULL); }

/*
 * One request to {{PORT}} of ng as o, with Connection: close: the
 * handshake and a response must come.  *resp is the caller's to free; so
 * is *r when r is not NULL (the version and cipher are there), otherwise
 * the TLS result is freed here.
 */
static inline void
sae_request(harness_nginx *ng, const harness_tls_opts *o, const char *method,
    const char *uri, const char *extra, const char *body,
    harness_tls_result *r, harness_response *resp)
{
    harness_tls_result   own;
    harness_tls_result  *res = r != NULL ? r : &own;
    int                  rc;

    rc = harness_tls_request(harness_nginx_port(ng, 0), o, method, uri,
                             extra, body, res, resp);
    ck_assert_msg(rc == 0, "%s %s: no response (handshake %d, alert %d)",
                  method, uri, res->handshake_ok, res->alert);
    if (r == NULL) {
        harness_tls_result_free(&own);
    }
}

/* "nginx -t" of the http-level template must fail, saying message */
static inline void
sae_assert_refused(harness_nginx *ng, const char *http, const char *message)
{
    const char  *out;

    ck_assert_int_eq(harness_nginx_config(ng, http), 0);
    ck_assert_int_ne(harness_nginx_test(ng, &out), 0);
    ck_assert_msg(strstr(out, message) != NULL, "expected \"%s\" for:\n%s\n"
                  "nginx -t said: %s", message, http, out);
}

/* the key in hex (both cases) and raw must not be in the text */
static inline void
sae_assert_no_key(const char *text, const unsigned char *key, size_t len)
{
    char    lower[2 * 64 + 1], upper[2 * 64 + 1], raw[65];
    size_t  i;

    for (i = 0; i < len; i++) {
        snprintf(lower + 2 * i, 3, "%02x", key[i]);
        snprintf(upper + 2 * i, 3, "%02X", key[i]);
    }
    memcpy(raw, key, len);
    raw[len] = '\0';
    /* never print the key itself: only say which test found it */
    ck_assert_msg(strstr(text, lower) == NULL, "key (hex) found in the log");
    ck_assert_msg(strstr(text, upper) == NULL, "key (HEX) found in the log");
    ck_assert_msg(strstr(text, raw) == NULL, "key (raw) found in the log");
}

/* the 4107 answer of the SAE module, checked to the byte */
#define SAE_4107_BODY  "{\"m2m:dbg\": \"security association required\"}"

/* a header of the response, or of the request the upstream saw: this */
static inline void
sae_assert_header_is(const char *name, const char *v, const char *value)
{
    ck_assert_msg(v != NULL, "no %s, expected \"%s\"", name, value);
    ck_assert_msg(strcmp(v, value) == 0, "%s: \"%s\", expected \"%s\"",
                  name, v, value);
}

static inline void
sae_assert_resp_header(const harness_response *resp, const char *name,
    const char *value)
{
    sae_assert_header_is(name, harness_resp_header(resp, name), value);
}

static inline void
sae_assert_req_header(const harness_request *req, const char *name,
    const char *value)
{
    ck_assert_ptr_nonnull(req);
    sae_assert_header_is(name, harness_req_header(req, name), value);
}

static inline void
sae_assert_4107(const harness_response *resp)
{
    ck_assert_int_eq(resp->status, 403);
    sae_assert_resp_header(resp, "X-M2M-RSC", "4107");
    sae_assert_resp_header(resp, "Content-Type", "application/json");
    ck_assert_str_eq(resp->body, SAE_4107_BODY);
}

/* the identity header the upstream saw: exactly one copy, this value */
/* "Name: value | ..." of a recorded request, for failure messages */
static inline const char *
sae_dump_headers(const harness_request *req)
{
    static char  out[4096];
    size_t       i, n = 0;

    out[0] = '\0';
    for (i = 0; req != NULL && i < req->nheaders && n < sizeof(out); i++) {
        n += (size_t) snprintf(out + n, sizeof(out) - n, "%s: %s | ",
                               req->headers[i].name, req->headers[i].value);
    }
    return out;
}

static inline void
sae_assert_upstream_entity(const harness_request *req, const char *entity)
{
    const char  *v;

    ck_assert_ptr_nonnull(req);
    ck_assert_msg(harness_header_count(req->headers, req->nheaders,
                                       SAE_ENTITY_HEADER) == 1,
                  "expected one %s: %s, upstream saw: %s",
                  SAE_ENTITY_HEADER, entity, sae_dump_headers(req));
    v = harness_req_header(req, SAE_ENTITY_HEADER);
    ck_assert_msg(strcmp(v, entity) == 0, "expected %s: %s, saw %s",
                  SAE_ENTITY_HEADER, entity, v);
}

static inline void
sae_assert_upstream_no_entity(const harness_request *req)
{
    ck_assert_ptr_nonnull(req);
    ck_assert_msg(harness_header_count(req->headers, req->nheaders,
                                       SAE_ENTITY_HEADER) == 0,
                  "expected no %s, upstream saw: %s", SAE_ENTITY_HEADER,
                  sae_dump_headers(req));
}

/* the FastCGI params the upstream saw: exactly one entity param, this */
#define SAE_ENTITY_PARAM  "HTTP_X_ONEM2M_SAE_ENTITY"

static inline void
sae_assert_fastcgi_entity(const harness_request *req, const char *entity)
{
    ck_assert_ptr_nonnull(req);
    ck_assert_msg(harness_header_count(req->headers, req->nheaders,
                                       SAE_ENTITY_PARAM) == 1,
                  "params: %s", sae_dump_headers(req));
    ck_assert_str_eq(harness_req_header(req, SAE_ENTITY_PARAM), entity);
}

/*
 * GET / as o is answered 200 and reaches the upstream up bound to entity
 * (exactly one identity header).  The TLS result goes to *r when r is not
 * NULL (the caller's to free).
 */
static inline void
sae_assert_bound(harness_nginx *ng, harness_upstream *up,
    const harness_tls_opts *o, const char *entity, harness_tls_result *r)
{
    harness_response  resp;

    sae_request(ng, o, "GET", "/", NULL, NULL, r, &resp);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up), entity);
    harness_response_free(&resp);
}

/* GET uri on the keep-alive connection c: 200, reaching up bound to entity */
static inline void
sae_assert_conn_bound(harness_conn *c, harness_upstream *up, const char *uri,
    const char *entity)
{
    harness_response  resp;

    ck_assert_int_eq(harness_http(c, "GET", uri, NULL, NULL, 1, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up), entity);
    harness_response_free(&resp);
}

#endif /* ONEM2M_TEST_SAE_FIXTURE_H */
