/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The gateway of the originator scenarios (originator_fixture.h): its
 * nginx configuration, start and stop, requests as each entity, the
 * assertions on a refusal or a forwarded request, and the step runner.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "integration/originator_fixture.h"


/*
 * "/" checks, "/assign/" assigns, "/required/" needs SAE (the SAE module's
 * 4107 comes first), "/off/" does not check, "/fcgi/" assigns for FastCGI.
 */
static const char *gw_server =
    "onem2m_sae_cert_entity /in-cse-11;   # adds to each server's list\n"
    "server {\n"
    "    listen 127.0.0.1:{{PORT}} ssl;\n"
    "    {{CERT}}\n"
    "    ssl_ciphers PSK-AES128-CBC-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256;\n"
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
    "    onem2m_sae optional;\n"
    "    onem2m_sae_cse_id mn-cse-123456;\n"
    "    onem2m_sae_sp_id in.provider.com;\n"
    "    onem2m_sae_originator check;\n"
    "    onem2m_sae_cert_entity /in-cse-9\n"
    "                           " CERT_AE_ID ";\n"
    "    onem2m_sae_cert_entity //in.provider.com/Scam-AE5;\n"
    "    onem2m_sae_cert_entity /Sin-cse-20 /Scam-AE6 //other.sp/in-cse-30\n"
    "                           //other.sp/Sx-AE7;\n"
    "    underscores_in_headers on;\n"
    "    location / {\n"
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n"
    "    }\n"
    "    location /assign/ {\n"
    "        onem2m_sae_originator assign;\n"
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n"
    "    }\n"
    "    location /required/ {\n"
    "        onem2m_sae required;\n"
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n"
    "    }\n"
    "    location /off/ {\n"
    "        onem2m_sae_originator off;\n"
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n"
    "    }\n"
    "    location = /page.html {\n"
    "        onem2m_sae_originator off;\n"
    "        root {{PREFIX}};\n"
    "        ssi on;\n"
    "    }\n"
    "    location /fcgi/ {\n"
    "        onem2m_sae_originator assign;\n"
    "        fastcgi_param REQUEST_METHOD $request_method;\n"
    "        fastcgi_param REQUEST_URI $request_uri;\n"
    "        fastcgi_pass 127.0.0.1:%d;\n"
    "    }\n"
    "}\n";


gateway  gw;


void
gw_setup(void)
{
    char  conf[4096];

    gw.up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(gw.up);
    gw.fcgi = harness_upstream_start(HARNESS_UPSTREAM_FASTCGI);
    ck_assert_ptr_nonnull(gw.fcgi);

    gw.ng = harness_nginx_new();
    ck_assert_ptr_nonnull(gw.ng);
    ck_assert_int_eq(harness_nginx_write_file(gw.ng, "page.html",
                                              "<p><!--# include virtual="
                                              "\"/cse/ssi\" --></p>\n",
                                              0644), 0);
    ck_assert_int_eq(harness_nginx_write_file(gw.ng, "kpsa.table", GW_TABLE,
                                              0600), 0);
    harness_nginx_set_upstream(gw.ng, gw.up);

    snprintf(conf, sizeof(conf), gw_server, harness_upstream_port(gw.fcgi));
    ck_assert_int_eq(harness_nginx_config(gw.ng, conf), 0);
    ck_assert_int_eq(harness_nginx_start(gw.ng), 0);

    gw.port = harness_nginx_port(gw.ng, 0);
}


void
gw_teardown(void)
{
    harness_nginx_free(gw.ng);
    harness_upstream_stop(gw.fcgi);
    harness_upstream_stop(gw.up);
    memset(&gw, 0, sizeof(gw));
}


/* nginx stops cleanly: no worker died on the way */
void
gw_stop(void)
{
    ck_assert_int_eq(harness_nginx_stop(gw.ng), 0);
}


/*
 * One request on a fresh TLS session of `as' (UNBOUND: certificate-only
 * handshake, no PSK), with X-M2M-RI and X-M2M-RVI to be echoed.
 */
void
gw_request(who as, const char *method, const char *uri,
    const char *headers, const char *body, harness_response *resp)
{
    harness_tls_opts     opts;
    harness_tls_result   result;
    unsigned char        key[64];
    const char          *id, *hex;
    char                 all[4096];
    int                  len;

    memset(&opts, 0, sizeof(opts));
    id = NULL;
    hex = NULL;

    switch (as) {
    case LOCK1: id = HARNESS_LOCK1_KPSA_ID; hex = HARNESS_LOCK1_KEY_HEX; break;
    case LOCK2: id = HARNESS_LOCK2_KPSA_ID; hex = HARNESS_LOCK2_KEY_HEX; break;
    case LOCK3: id = LOCK3_KPSA_ID; hex = LOCK3_KEY_HEX; break;
    case LOCK4: id = LOCK4_KPSA_ID; hex = LOCK4_KEY_HEX; break;
    case CSE7:  id = CSE7_KPSA_ID; hex = CSE7_KEY_HEX; break;
    case CSE8:  id = CSE8_KPSA_ID; hex = CSE8_KEY_HEX; break;
    case UNBOUND: break;
    }

    if (id != NULL) {
        len = harness_unhex(hex, key, sizeof(key));
        ck_assert_int_gt(len, 0);
        opts.identity = id;
        opts.key = key;
        opts.key_len = (size_t) len;
    }

    snprintf(all, sizeof(all), GW_RI_RVI "%s", headers ? headers : "");

    memset(&result, 0, sizeof(result));
    ck_assert_msg(harness_tls_request(gw.port, &opts, method, uri, all, body,
                                      &result, resp) == 0,
                  "no response to %s %s", method, uri);
    ck_assert_int_eq(result.handshake_ok, 1);
    harness_tls_result_free(&result);
}


/* a oneM2M refusal: status, X-M2M-RSC, RI/RVI echoed, JSON debug text */
void
assert_refused(harness_response *resp, int status, const char *rsc,
    const char *dbg)
{
    const char  *v;

    ck_assert_int_eq(resp->status, status);

    v = harness_resp_header(resp, "X-M2M-RSC");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, rsc);

    v = harness_resp_header(resp, "X-M2M-RI");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, GW_RI);

    v = harness_resp_header(resp, "X-M2M-RVI");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, GW_RVI);

    v = harness_resp_header(resp, "Content-Type");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "application/json");

    ck_assert_msg(strncmp(resp->body, "{\"m2m:dbg\": \"", 13) == 0,
                  "body: %s", resp->body);
    ck_assert_msg(strstr(resp->body, dbg) != NULL,
                  "body \"%s\" lacks \"%s\"", resp->body, dbg);
}


/*
 * Sends the request and checks it was refused and never reached the CSE.
 */
void
expect_refused(who as, const char *method, const char *uri,
    const char *headers, const char *body, int status, const char *rsc,
    const char *dbg)
{
    harness_response  resp;
    size_t            before;

    before = harness_upstream_count(gw.up);

    gw_request(as, method, uri, headers, body, &resp);
    assert_refused(&resp, status, rsc, dbg);
    harness_response_free(&resp);

    ck_assert_msg(harness_upstream_count(gw.up) == before,
                  "%s %s with %s reached the upstream", method, uri,
                  headers ? headers : "(no header)");
}


/*
 * Sends the request and checks the CSE got it with exactly one
 * X-M2M-Origin, of value origin (NULL: none), and the bound entity.
 */
void
expect_forwarded(who as, const char *method, const char *uri,
    const char *headers, const char *body, const char *origin,
    const char *entity)
{
    harness_response        resp;
    const harness_request  *req;
    size_t                  before;
    const char             *v;

    before = harness_upstream_count(gw.up);

    gw_request(as, method, uri, headers, body, &resp);
    ck_assert_msg(resp.status == 200, "%s %s with %s: %d %s", method, uri,
                  headers ? headers : "(no header)", resp.status, resp.body);
    ck_assert_ptr_nonnull(strstr(resp.body, "\"upstream\""));
    harness_response_free(&resp);

    ck_assert_uint_eq(harness_upstream_count(gw.up), before + 1);
    req = harness_upstream_last(gw.up);
    ck_assert_ptr_nonnull(req);
    ck_assert_str_eq(req->method, method);

    ck_assert_uint_eq(harness_header_count(req->headers, req->nheaders,
                                           "X-M2M-Origin"),
                      origin ? 1 : 0);
    if (origin != NULL) {
        v = harness_req_header(req, "X-M2M-Origin");
        ck_assert_str_eq(v, origin);
    }

    v = harness_req_header(req, GW_ENTITY_HDR);
    if (entity == NULL) {
        ck_assert_ptr_null(v);
    } else {
        ck_assert_ptr_nonnull(v);
        ck_assert_str_eq(v, entity);
    }
}


void
assert_log(const char *needle)
{
    ck_assert_msg(harness_log_wait(gw.ng, needle, 2000),
                  "error log lacks: %s", needle);
}


/* claims that are neither an AE-ID nor a CSE-ID: none may pass as one */
static const char  *not_ids[] = {
    "in-cse-8", "mn-cse-123456", "/in-cse-8#", "/in-cse-8?x", "in-cse-8;x",
    "Clock-AE1#", "//in.provider.com/in-cse-8?x", "/in-cse-8/Sstem",
    "//sp_x.example/in-cse-8", "/in-cse-8/C@1"
};


static void
expect_not_ids(who as)
{
    char    hdr[128];
    size_t  i;

    for (i = 0; i < CK_N(not_ids); i++) {
        snprintf(hdr, sizeof(hdr), "X-M2M-Origin: %s\r\n", not_ids[i]);
        expect_refused(as, "GET", "/cse", hdr, NULL, 400, "4000", NEITHER);
    }
}


void
run_steps(const gw_step *step, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++, step++) {
        switch (step->kind) {
        case STEP_REFUSED:
            expect_refused(step->as, step->method, step->uri, step->headers,
                           step->body, step->status, step->rsc, step->dbg);
            break;
        case STEP_FORWARDED:
            expect_forwarded(step->as, step->method, step->uri,
                             step->headers, step->body, step->origin,
                             step->entity);
            break;
        case STEP_LOGGED:
            assert_log(step->log);
            break;
        case STEP_NOT_IDS:
            expect_not_ids(step->as);
            break;
        case STEP_LOG_COUNT:
            ck_assert_uint_eq(harness_log_count(gw.ng, step->log),
                              (unsigned) step->status);
            break;
        }
    }
}


/* a test that is a scenario only: the gateway up, the steps, down */
void
run_scenario(const gw_step *step, size_t n)
{
    gw_setup();

    run_steps(step, n);

    gw_stop();
    gw_teardown();
}
