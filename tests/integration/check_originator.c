/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Originator checks at the edge (a bound client may not claim another
 * entity in X-M2M-Origin): a real /usr/sbin/nginx with the
 * module, real TLS-PSK sessions of the seed's two locks and of a CSE, and
 * an in-test upstream that shows what reached the CSE and what did not.
 *
 * The gateway is the seed's MN-CSE "mn-cse-123456" of SP "in.provider.com";
 * its table holds the two locks and two CSEs with credentials of their own.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "integration/originator_fixture.h"


/* ------------------------------------------------------------------ */
/* a session bound to an AE                                           */

static const gw_step  ae_own_stem_passes_steps[] = {
    FORWARDED(LOCK1, "GET", "/cse/lock1",
              "X-M2M-Origin: Clock-AE1\r\n", NULL,
              "Clock-AE1", "Clock-AE1"),
    FORWARDED(LOCK2, "GET", "/cse/lock2",
              "X-M2M-Origin: Clock-AE2\r\n", NULL,
              "Clock-AE2", "Clock-AE2"),

    /* not a refusal: nothing logged by the originator module */
    NOTHING_LOGGED,
};

SCENARIO(ae_own_stem_passes)


static const gw_step  ae_lock1_claims_lock2_steps[] = {
    REFUSED(LOCK1, "GET", "/cse/lock2",
            "X-M2M-Origin: Clock-AE2\r\n", NULL,
            403, "4106", "expected Clock-AE1"),
    LOGGED("onem2m originator: entity \"Clock-AE1\" originator "
           "\"Clock-AE2\" refused with 4106: originator is not the "
           "authenticated AE"),
    LOGGED_TIMES(1, "onem2m originator:"),

    /* a write too: the body never reaches the CSE */
    REFUSED(LOCK1, "PUT", "/cse/lock2",
            "X-M2M-Origin: Clock-AE2\r\n"
            "Content-Type: application/json\r\n",
            "{\"m2m:cin\": {\"con\": \"open\"}}",
            403, "4106", "expected Clock-AE1"),

    /* the same lock, then, is still itself */
    FORWARDED(LOCK1, "GET", "/cse/lock1",
              "X-M2M-Origin: Clock-AE1\r\n", NULL,
              "Clock-AE1", "Clock-AE1"),
};

SCENARIO(ae_lock1_claims_lock2)


static const gw_step  ae_other_forms_steps[] = {
    /* the other lock, written SP-relative or absolute */
    NO(LOCK1, "/mn-cse-123456/Clock-AE2", 403, "4106", "expected Clock-AE1"),
    REFUSED(LOCK1, "GET", "/cse",
            "X-M2M-Origin: //in.provider.com/mn-cse-123456/Clock-AE2"
            "\r\n", NULL, 403, "4106", "expected Clock-AE1"),

    /* its own AE-ID, but not as the AE-ID-Stem a registree must use */
    REFUSED(LOCK1, "GET", "/cse",
            "X-M2M-Origin: /mn-cse-123456/Clock-AE1\r\n", NULL,
            400, "4000", "AE-ID-Stem, expected Clock-AE1"),
    REFUSED(LOCK1, "GET", "/cse",
            "X-M2M-Origin: //in.provider.com/mn-cse-123456/Clock-AE1"
            "\r\n", NULL, 400, "4000", "AE-ID-Stem"),
    LOGGED("originator \"/mn-cse-123456/Clock-AE1\" refused with 4000"),

    /* the same stem under another CSE or SP is another AE */
    NO(LOCK1, "/mn-cse-999/Clock-AE1", 403, "4106", "not the authenticated AE"),
    REFUSED(LOCK1, "GET", "/cse",
            "X-M2M-Origin: //other.sp/mn-cse-123456/Clock-AE1\r\n",
            NULL, 403, "4106", "not the authenticated AE"),

    /* CSE-IDs: a table CSE, this gateway, an unknown one */
    NO(LOCK1, "/in-cse-7", 403, "4106", "expected Clock-AE1"),
    NO(LOCK1, "/mn-cse-123456", 403, "4106", "expected Clock-AE1"),
    NO(LOCK1, "//in.provider.com/some-cse", 403, "4106", "expected Clock-AE1"),

    /* case matters in oneM2M identifiers */
    NO(LOCK1, "clock-ae1", 403, "4106", "expected Clock-AE1"),

    /* "C" outside a registration is not the AE either */
    NO(LOCK1, "C", 403, "4106", "expected Clock-AE1"),
};

SCENARIO(ae_other_forms)


static const gw_step  ae_missing_origin_steps[] = {
    NO_ORIGIN(LOCK1),
    LOGGED("onem2m originator: entity \"Clock-AE1\" originator \"\" "
           "refused with 4000: X-M2M-Origin missing"),
    NO(LOCK1, "", 400, "4000", "X-M2M-Origin missing"),

    /* "assign" assigns on AE registrations only */
    REFUSED(LOCK1, "GET", "/assign/cse", NULL, NULL,
            400, "4000", "X-M2M-Origin missing"),
};

SCENARIO(ae_missing_origin)


/* every request of a TLS session is checked, not only its first */
START_TEST(ae_keepalive_each_request)
{
    harness_tls_opts     opts;
    harness_tls_result   result;
    harness_response     resp;
    harness_conn        *c;
    unsigned char        key[16];
    int                  len;

    gw_setup();

    memset(&opts, 0, sizeof(opts));
    len = harness_unhex(HARNESS_LOCK1_KEY_HEX, key, sizeof(key));
    ck_assert_int_gt(len, 0);
    opts.identity = HARNESS_LOCK1_KPSA_ID;
    opts.key = key;
    opts.key_len = (size_t) len;

    memset(&result, 0, sizeof(result));
    c = harness_tls_connect(gw.port, &opts, &result);
    ck_assert_ptr_nonnull(c);

    ck_assert_int_eq(harness_http(c, "GET", "/cse",
                                  GW_RI_RVI "X-M2M-Origin: Clock-AE1\r\n",
                                  NULL, 1, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);

    ck_assert_int_eq(harness_http(c, "PUT", "/cse",
                                  GW_RI_RVI "X-M2M-Origin: Clock-AE2\r\n",
                                  "{\"m2m:cin\": {\"con\": \"open\"}}", 1,
                                  &resp), 0);
    assert_refused(&resp, 403, "4106", "expected Clock-AE1");
    harness_response_free(&resp);

    /* the refusal read the body: the connection goes on */
    ck_assert_int_eq(harness_http(c, "GET", "/cse",
                                  GW_RI_RVI "X-M2M-Origin: Clock-AE1\r\n",
                                  NULL, 0, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);

    harness_conn_close(c);
    harness_tls_result_free(&result);

    ck_assert_uint_eq(harness_upstream_count(gw.up), 2);
    ck_assert_str_eq(harness_upstream_request(gw.up, 0)->method, "GET");
    ck_assert_str_eq(harness_upstream_request(gw.up, 1)->method, "GET");

    gw_stop();
    gw_teardown();
}
END_TEST


/*
 * Two servers of one port, CSEs of one SP: a keep-alive connection's
 * requests may go to either (Host).  The bound entity, read once per
 * connection, is read again for the other server's CSE-ID: there
 * "/mn-cse-123456/Clock-AE3" is another CSE's AE, which it may name so.
 */
static const char *two_gateways =
    "server {\n"
    "    listen 127.0.0.1:{{PORT}} ssl default_server;\n"
    "    {{CERT}}\n"
    "    ssl_ciphers PSK-AES128-CBC-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256;\n"
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
    "    onem2m_sae optional;\n"
    "    onem2m_sae_cse_id mn-cse-123456;\n"
    "    onem2m_sae_sp_id in.provider.com;\n"
    "    onem2m_sae_originator check;\n"
    "    location / {\n"
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n"
    "    }\n"
    "}\n"
    "server {\n"
    "    listen 127.0.0.1:{{PORT}} ssl;\n"
    "    server_name other.example;\n"
    "    {{CERT}}\n"
    "    ssl_ciphers PSK-AES128-CBC-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256;\n"
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
    "    onem2m_sae optional;\n"
    "    onem2m_sae_cse_id mn-cse-999;\n"
    "    onem2m_sae_sp_id in.provider.com;\n"
    "    onem2m_sae_originator check;\n"
    "    location / {\n"
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n"
    "    }\n"
    "}\n";

START_TEST(ae_keepalive_two_gateways)
{
    harness_tls_opts     opts;
    harness_tls_result   result;
    harness_response     resp;
    harness_conn        *c;
    unsigned char        key[16];
    int                  len;

    gw.up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(gw.up);
    gw.ng = harness_nginx_new();
    ck_assert_ptr_nonnull(gw.ng);
    ck_assert_int_eq(harness_nginx_write_file(gw.ng, "kpsa.table", GW_TABLE,
                                              0600), 0);
    harness_nginx_set_upstream(gw.ng, gw.up);
    ck_assert_int_eq(harness_nginx_config(gw.ng, two_gateways), 0);
    ck_assert_int_eq(harness_nginx_start(gw.ng), 0);

    memset(&opts, 0, sizeof(opts));
    len = harness_unhex(LOCK3_KEY_HEX, key, sizeof(key));
    ck_assert_int_gt(len, 0);
    opts.identity = LOCK3_KPSA_ID;
    opts.key = key;
    opts.key_len = (size_t) len;

    memset(&result, 0, sizeof(result));
    c = harness_tls_connect(harness_nginx_port(gw.ng, 0), &opts, &result);
    ck_assert_ptr_nonnull(c);

    /* this gateway's registree: its stem */
    ck_assert_int_eq(harness_http(c, "GET", "/cse",
                                  GW_RI_RVI "X-M2M-Origin: Clock-AE3\r\n",
                                  NULL, 1, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);

    /* the other gateway: an AE of mn-cse-123456, named SP-relative */
    ck_assert_int_eq(harness_http(c, "GET", "/cse",
                                  "Host: other.example\r\n" GW_RI_RVI
                                  "X-M2M-Origin: " LOCK3_ENTITY "\r\n",
                                  NULL, 1, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);

    /* and back: here it must use its stem */
    ck_assert_int_eq(harness_http(c, "GET", "/cse",
                                  GW_RI_RVI "X-M2M-Origin: " LOCK3_ENTITY
                                  "\r\n", NULL, 0, &resp), 0);
    assert_refused(&resp, 400, "4000", "AE-ID-Stem, expected Clock-AE3");
    harness_response_free(&resp);

    harness_conn_close(c);
    harness_tls_result_free(&result);

    ck_assert_uint_eq(harness_upstream_count(gw.up), 2);

    ck_assert_int_eq(harness_nginx_stop(gw.ng), 0);
    harness_nginx_free(gw.ng);
    harness_upstream_stop(gw.up);
    memset(&gw, 0, sizeof(gw));
}
END_TEST


/*
 * Entities the table holds SP-relative or absolute: the stem is what the
 * AE must send, what "assign" puts in, and what an unbound claim matches.
 */
static const gw_step  ae_table_forms_steps[] = {
    OK(LOCK3, "Clock-AE3", LOCK3_ENTITY),
    NO(LOCK3, LOCK3_ENTITY, 400, "4000", "AE-ID-Stem, expected Clock-AE3"),
    NO(LOCK3, "Clock-AE1", 403, "4106", "expected Clock-AE3"),
    REG_OK(LOCK3, "/assign/cse", ORIGIN("C"), "Clock-AE3", LOCK3_ENTITY),

    /* an S-stem is unique in the SP: its SP-relative form is "/" + stem */
    OK(LOCK4, "Slock-AE4", LOCK4_ENTITY),
    NO(LOCK4, LOCK4_ENTITY, 400, "4000", "AE-ID-Stem, expected Slock-AE4"),
    NO(LOCK4, "/Slock-AE4", 400, "4000", "AE-ID-Stem, expected Slock-AE4"),
    REG_OK(LOCK4, "/assign/cse", ORIGIN("S"), "Slock-AE4", LOCK4_ENTITY),

    /* unbound claims find them in whichever form they are written */
    NO(UNBOUND, "Clock-AE3", 403, "4106", OWN_SA),
    REFUSED(UNBOUND, "GET", "/cse",
            "X-M2M-Origin: //in.provider.com/mn-cse-123456/Clock-AE3"
            "\r\n", NULL, 403, "4106", OWN_SA),
    NO(UNBOUND, "Slock-AE4", 403, "4106", OWN_SA),
    NO(UNBOUND, "//in.provider.com/Slock-AE4", 403, "4106", OWN_SA),
    NO(UNBOUND, "/Slock-AE4", 403, "4106", OWN_SA),

    /* another SP's S-stem of the same name is someone else */
    OK(UNBOUND, "//other.sp/Slock-AE4", NULL),
};

SCENARIO(ae_table_forms)


/* ------------------------------------------------------------------ */
/* AE registration                                                    */

static const gw_step  registration_check_mode_steps[] = {
    REFUSED(LOCK2, "POST", "/cse",
            "X-M2M-Origin: C\r\n" REG_CT, AE_BODY,
            403, "4106", "AE registration must use the provisioned "
            "AE-ID, expected Clock-AE2"),
    LOGGED("onem2m originator: entity \"Clock-AE2\" originator \"C\" "
           "refused with 4106"),
    REG_NO(LOCK2, "/cse", ORIGIN("S"), 403, "4106", "expected Clock-AE2"),
    REG_NO(LOCK2, "/cse", "", 403, "4106", "expected Clock-AE2"),

    /* a pre-provisioned registration with its own stem goes through */
    REG_OK(LOCK2, "/cse", ORIGIN("Clock-AE2"), "Clock-AE2", "Clock-AE2"),

    /* registering as the other lock does not */
    REFUSED(LOCK2, "POST", "/cse",
            "X-M2M-Origin: Clock-AE1\r\n" REG_CT, AE_BODY,
            403, "4106", "expected Clock-AE2"),
};

SCENARIO(registration_check_mode)


START_TEST(registration_assign_mode)
{
    static const gw_step  steps[] = {
        LOGGED("onem2m originator: AE registration of \"Clock-AE2\" "
               "assigned X-M2M-Origin \"Clock-AE2\""),
        REG_OK(LOCK2, "/assign/cse", ORIGIN("S"), "Clock-AE2", "Clock-AE2"),

        /* no From at all, or an empty one: one X-M2M-Origin upstream */
        REG_OK(LOCK2, "/assign/cse", "", "Clock-AE2", "Clock-AE2"),
        REG_OK(LOCK2, "/assign/cse", ORIGIN(""), "Clock-AE2", "Clock-AE2"),

        /* other spellings of the resource type parameter */
        FORWARDED(LOCK1, "POST", "/assign/cse",
                  "X-M2M-Origin: C\r\n"
                  "Content-Type: application/vnd.onem2m-res+json; "
                  "TY = 2 ; charset=utf-8\r\n", AE_BODY,
                  "Clock-AE1", "Clock-AE1"),

        /* assign never rewrites a different originator */
        REFUSED(LOCK2, "POST", "/assign/cse",
                "X-M2M-Origin: Clock-AE1\r\n" REG_CT, AE_BODY,
                403, "4106", "expected Clock-AE2"),

        /* ty=23 (subscription), ty=2 on GET: not a registration */
        REFUSED(LOCK2, "POST", "/assign/cse",
                "X-M2M-Origin: C\r\n"
                "Content-Type: application/json;ty=23\r\n", "{}",
                403, "4106", "not the authenticated AE"),
        REFUSED(LOCK2, "GET", "/assign/cse",
                "X-M2M-Origin: C\r\n" REG_CT, NULL,
                403, "4106", "not the authenticated AE"),
    };

    const harness_request  *req;

    gw_setup();

    /* "C" becomes the provisioned AE-ID, and the body is forwarded */
    expect_forwarded(LOCK2, "POST", "/assign/cse",
                     "X-M2M-Origin: C\r\n" REG_CT, AE_BODY,
                     "Clock-AE2", "Clock-AE2");
    req = harness_upstream_last(gw.up);
    ck_assert_str_eq(req->body, AE_BODY);
    RUN_STEPS(steps);

    gw_stop();
    gw_teardown();
}
END_TEST


START_TEST(registration_assign_fastcgi)
{
    harness_response        resp;
    const harness_request  *req;

    gw_setup();

    gw_request(LOCK2, "POST", "/fcgi/cse", "X-M2M-Origin: C\r\n" REG_CT,
               AE_BODY, &resp);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);

    ck_assert_uint_eq(harness_upstream_count(gw.fcgi), 1);
    req = harness_upstream_last(gw.fcgi);
    ck_assert_uint_eq(harness_header_count(req->headers, req->nheaders,
                                           "HTTP_X_M2M_ORIGIN"), 1);
    ck_assert_str_eq(harness_req_header(req, "HTTP_X_M2M_ORIGIN"),
                     "Clock-AE2");

    gw_stop();
    gw_teardown();
}
END_TEST


/* ------------------------------------------------------------------ */
/* a session bound to a CSE                                           */

static const gw_step  cse_forwards_for_others_steps[] = {
    /* itself, in every form */
    OK(CSE7, "/in-cse-7", CSE7_ENTITY),
    OK(CSE7, "//in.provider.com/in-cse-7", CSE7_ENTITY),

    /* an AE it forwards for, even one of the table, and a foreign one */
    OK(CSE7, "Clock-AE1", CSE7_ENTITY),
    OK(CSE7, "/in-cse-7/Csmartphone", CSE7_ENTITY),
    OK(CSE7, "//m2m.other.com/S98821", CSE7_ENTITY),

    /* a CSE without credentials here */
    OK(CSE7, "/asn-cse-1", CSE7_ENTITY),

    /* AE registrations it forwards keep their "C" */
    REG_OK(CSE7, "/assign/cse", ORIGIN("C"), "C", CSE7_ENTITY),
    NOTHING_LOGGED,
};

SCENARIO(cse_forwards_for_others)


static const gw_step  cse_claims_other_cse_steps[] = {
    NO(CSE7, "/in-cse-8", 403, "4106", "another CSE"),
    NO(CSE7, "//In.Provider.COM./in-cse-8", 403, "4106", "another CSE"),
    LOGGED("onem2m originator: entity \"/in-cse-7\" originator "
           "\"/in-cse-8\" refused with 4106: originator is another CSE "
           "with its own security association"),
    NO(CSE7, "//in.provider.com/in-cse-8", 403, "4106", "another CSE"),

    /* nothing that is not an identifier: it could hide one */
    NO(CSE7, "/in-cse-8/", 400, "4000", NEITHER),
    NO(CSE7, "///in.provider.com/in-cse-8", 400, "4000", NEITHER),
    NO(CSE7, "//in.provider.com//in-cse-8", 400, "4000", NEITHER),

    /*
     * neither an AE-ID-Stem (no "C"/"S") nor a CSE-ID (no "/"), nor any
     * form with a character outside the grammar (TS-0001 Table 7.2-1)
     */
    NOT_IDS(CSE7),

    /* nor this gateway */
    NO(CSE7, "/mn-cse-123456", 403, "4106", "CSE-ID of this gateway"),

    /* and the other CSE can be itself */
    OK(CSE8, "/in-cse-8", CSE8_ENTITY),
    NO_ORIGIN(CSE7),
};

SCENARIO(cse_claims_other_cse)


/*
 * Entities with certificates are known from "onem2m_sae_cert_entity":
 * a CSE cannot claim a listed CSE, an unbound client cannot claim a listed
 * AE, whatever form either is written in.
 */
static const gw_step  cert_entities_claimed_steps[] = {
    NO(CSE7, "/in-cse-9", 403, "4106", "another CSE"),
    LOGGED("onem2m originator: entity \"/in-cse-7\" originator "
           "\"/in-cse-9\" refused with 4106: originator is another CSE "
           "with its own security association"),
    NO(CSE7, "//in.provider.com/in-cse-9", 403, "4106", "another CSE"),

    /* a CSE still forwards for listed AEs, and for unlisted CSEs */
    OK(CSE7, "Cdoor-AE1", CSE7_ENTITY),
    OK(CSE7, "/in-cse-10", CSE7_ENTITY),

    /* listed AEs must come through their own association */
    NO(UNBOUND, "Cdoor-AE1", 403, "4106", OWN_SA),
    NO(UNBOUND, "/mn-cse-123456/Cdoor-AE1", 403, "4106", OWN_SA),
    NO(UNBOUND, "Scam-AE5", 403, "4106", OWN_SA),
    NO(UNBOUND, "/in-cse-9", 403, "4107", "a CSE-ID needs"),

    /*
     * "/Sx" and "//<SP-ID>/Sx" read as an S-stem AE-ID or as the CSE "Sx":
     * listed so, no one else claims the CSE; the bare stem is an AE.
     */
    NO(CSE7, "/Sin-cse-20", 403, "4106", "another CSE"),
    NO(CSE7, "//in.provider.com/Sin-cse-20", 403, "4106", "another CSE"),
    NO(UNBOUND, "/Sin-cse-20", 403, "4107", "a CSE-ID needs"),
    NO(UNBOUND, "Scam-AE6", 403, "4106", OWN_SA),
    NO(UNBOUND, "//in.provider.com/Scam-AE6", 403, "4107", "a CSE-ID needs"),
    OK(UNBOUND, "/Svisitor", NULL),

    /* another SP's identifiers: its SP-ID in any case, with a final dot */
    NO(CSE7, "//other.sp./in-cse-30", 403, "4106", "another CSE"),
    NO(CSE7, "//OTHER.sp/in-cse-30", 403, "4106", "another CSE"),
    OK(CSE7, "//other.sp/in-cse-31", CSE7_ENTITY),
    NO(UNBOUND, "//Other.Sp./Sx-AE7", 403, "4107", "a CSE-ID needs"),

    /* the http{} list adds to the server's */
    NO(CSE7, "/in-cse-11", 403, "4106", "another CSE"),

    /* case variants are refused alike, of this gateway's CSE-ID too */
    NO(CSE7, "/IN-CSE-9", 403, "4106", "another CSE"),
    NO(CSE7, "/MN-CSE-123456", 403, "4106", "CSE-ID of this gateway"),
    NO(UNBOUND, "Cdoor-ae1", 403, "4106", OWN_SA),
    NO(UNBOUND, "/MN-CSE-123456/Cdoor-AE1", 403, "4106", OWN_SA),

    /* a near miss is someone else */
    OK(UNBOUND, "Cdoor-AE12", NULL),
    OK(CSE7, "/in-cse-91", CSE7_ENTITY),
};

SCENARIO(cert_entities_claimed)


/* ------------------------------------------------------------------ */
/* no binding, where SAE is optional                                  */

static const gw_step  unbound_claims_steps[] = {
    /* an entity with credentials must come through them */
    NO(UNBOUND, "Clock-AE1", 403, "4106", OWN_SA),
    LOGGED("onem2m originator: entity \"-\" originator \"Clock-AE1\" "
           "refused with 4106"),
    NO(UNBOUND, "/mn-cse-123456/Clock-AE1", 403, "4106", OWN_SA),
    REFUSED(UNBOUND, "GET", "/cse",
            "X-M2M-Origin: //in.provider.com/mn-cse-123456/Clock-AE2"
            "\r\n", NULL, 403, "4106", OWN_SA),

    /* a CSE-ID needs a security association */
    REFUSED(UNBOUND, "GET", "/cse", "X-M2M-Origin: /in-cse-7\r\n",
            NULL, 403, "4107", "a CSE-ID needs a security association"),
    NO(UNBOUND, "/mn-cse-123456", 403, "4107", "a CSE-ID needs"),
    NO(UNBOUND, "//other.sp/cse-x", 403, "4107", "a CSE-ID needs"),

    /* what is not an identifier is not forwarded */
    NOT_IDS(UNBOUND),

    NO(UNBOUND, "/in-cse-7/", 400, "4000", NEITHER),
    NO(UNBOUND, "Clock/AE1", 400, "4000", NEITHER),

    /* anyone else passes, unbound: no identity header upstream */
    OK(UNBOUND, "Cvisitor", NULL),
    REG_OK(UNBOUND, "/cse", ORIGIN("C"), "C", NULL),
    REG_OK(UNBOUND, "/assign/cse", "", NULL, NULL),
    NO_ORIGIN(UNBOUND),
};

SCENARIO(unbound_claims)


/*
 * Where SAE is required, the SAE module's 4107 comes first: proves the
 * order of the two PREACCESS handlers (the other order would say 4106).
 */
static const gw_step  required_answers_before_originator_steps[] = {
    REFUSED(UNBOUND, "GET", "/required/cse",
            "X-M2M-Origin: Clock-AE1\r\n", NULL,
            403, "4107", "security association required"),
    NOTHING_LOGGED,

    /* bound: the originator module still checks there */
    REFUSED(LOCK1, "GET", "/required/cse",
            "X-M2M-Origin: Clock-AE2\r\n", NULL,
            403, "4106", "expected Clock-AE1"),
    FORWARDED(LOCK1, "GET", "/required/cse",
              "X-M2M-Origin: Clock-AE1\r\n", NULL,
              "Clock-AE1", "Clock-AE1"),
};

SCENARIO(required_answers_before_originator)


/*
 * A subrequest to a checking location is checked, even when the main
 * request's location does not check: SSI includes "/cse/ssi" here.
 */
/* GET /page.html claiming "origin": 200, with "part" in the page */
static void
expect_page(const char *origin, const char *part)
{
    harness_response  resp;
    char              hdr[128];

    snprintf(hdr, sizeof(hdr), "X-M2M-Origin: %s\r\n", origin);
    gw_request(LOCK1, "GET", "/page.html", hdr, NULL, &resp);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_msg(strstr(resp.body, part) != NULL, "body: %s", resp.body);
    harness_response_free(&resp);
}

START_TEST(subrequest_checked)
{
    gw_setup();

    expect_page("Clock-AE2", "expected Clock-AE1");
    ck_assert_uint_eq(harness_upstream_count(gw.up), 0);
    assert_log("originator \"Clock-AE2\" refused with 4106");

    expect_page("Clock-AE1", "<p>{\"upstream\"");
    ck_assert_uint_eq(harness_upstream_count(gw.up), 1);
    ck_assert_str_eq(harness_upstream_last(gw.up)->uri, "/cse/ssi");

    gw_stop();
    gw_teardown();
}
END_TEST


static const gw_step  off_location_not_checked_steps[] = {
    FORWARDED(LOCK1, "GET", "/off/cse",
              "X-M2M-Origin: Clock-AE2\r\n", NULL,
              "Clock-AE2", "Clock-AE1"),
};

SCENARIO(off_location_not_checked)


/* ------------------------------------------------------------------ */
/* the header itself                                                  */

static const gw_step  header_name_any_case_steps[] = {
    REFUSED(LOCK1, "GET", "/cse", "x-m2m-origin: Clock-AE2\r\n",
            NULL, 403, "4106", "expected Clock-AE1"),
    REFUSED(LOCK1, "GET", "/cse", "X-m2M-oRiGiN: Clock-AE2\r\n",
            NULL, 403, "4106", "expected Clock-AE1"),
    OK_H(LOCK1, "X-M2M-ORIGIN: Clock-AE1\r\n", "Clock-AE1", "Clock-AE1"),

    /* assign replaces the client's header, whatever its case */
    FORWARDED(LOCK2, "POST", "/assign/cse",
              "x-m2m-origin: C\r\n" REG_CT, AE_BODY,
              "Clock-AE2", "Clock-AE2"),
};

SCENARIO(header_name_any_case)


#define TWO      "more than one"
#define TWO_HDR  TWO " X-M2M-Origin header"
#define SPELT    "X-M2M-Origin spelt with"

static const gw_step  header_duplicates_steps[] = {
    NO_H(LOCK1, ORIGIN("Clock-AE1") ORIGIN("Clock-AE2"), 400, "4000", TWO_HDR),
    NO_H(LOCK1, ORIGIN("Clock-AE2") "x-m2m-origin: Clock-AE1\r\n",
         400, "4000", TWO_HDR),

    /* even two equal copies: the CSE might read either */
    NO_H(LOCK1, ORIGIN("Clock-AE1") ORIGIN("Clock-AE1"), 400, "4000", TWO),

    /* and an empty one next to the real one */
    REG_NO(LOCK2, "/assign/cse", ORIGIN("") ORIGIN("C"), 400, "4000", TWO),
    NO_H(UNBOUND, ORIGIN("Cvisitor") ORIGIN("Cvisitor"), 400, "4000", TWO),

    /*
     * With underscores_in_headers on, "X_M2M_Origin" reaches FastCGI as
     * the same HTTP_X_M2M_ORIGIN: any spelling but the real one is
     * refused, next to the real one, alone, and on a registration.
     */
    NO_H(LOCK1, ORIGIN("Clock-AE1") "X_M2M_Origin: Clock-AE2\r\n",
         400, "4000", SPELT),
    REFUSED(LOCK1, "GET", "/fcgi/cse", "x_m2m_origin: Clock-AE1\r\n",
            NULL, 400, "4000", SPELT),
    REG_NO(LOCK2, "/assign/cse", "X_M2M_Origin: C\r\n", 400, "4000", SPELT),
};

SCENARIO(header_duplicates)


START_TEST(header_overlong)
{
    char  hdr[600], id[300];

    gw_setup();

    /* 255 bytes is the limit (the longest entity a table can hold) */
    memset(id, 'a', sizeof(id));
    id[0] = 'C';
    id[255] = '\0';
    snprintf(hdr, sizeof(hdr), "X-M2M-Origin: %s\r\n", id);
    expect_refused(LOCK1, "GET", "/cse", hdr, NULL,
                   403, "4106", "expected Clock-AE1");
    expect_forwarded(UNBOUND, "GET", "/cse", hdr, NULL, id, NULL);

    id[255] = 'a';
    id[256] = '\0';
    snprintf(hdr, sizeof(hdr), "X-M2M-Origin: %s\r\n", id);
    expect_refused(LOCK1, "GET", "/cse", hdr, NULL,
                   400, "4000", "X-M2M-Origin longer than 255 bytes");
    expect_refused(UNBOUND, "GET", "/cse", hdr, NULL,
                   400, "4000", "longer than 255 bytes");

    /* the log line is cut at 64 bytes and says how long the claim was */
    id[64] = '\0';
    snprintf(hdr, sizeof(hdr),
             "originator \"%s\"... (256 bytes) refused with 4000", id);
    assert_log(hdr);

    gw_stop();
    gw_teardown();
}
END_TEST


static const gw_step  header_not_printable_steps[] = {
    NO_H(LOCK1, ORIGIN("Clock\x01-AE1"), 400, "4000", "not printable ASCII"),
    LOGGED("onem2m originator: entity \"Clock-AE1\" originator "
           "\"Clock\\x01-AE1\" refused with 4000"),
    NO_H(LOCK1, ORIGIN("Clock-AE1\x7f"), 400, "4000", "not printable ASCII"),
    NO_H(LOCK1, ORIGIN("Clock-\xc3\xa9"), 400, "4000", "not printable ASCII"),
    LOGGED("originator \"Clock-\\xc3\\xa9\" refused with 4000"),
    NO(LOCK1, "Clock AE1", 400, "4000", "not printable ASCII"),
    NO_H(UNBOUND, "X-M2M-Origin: C\tx\r\n", 400, "4000", "not printable ASCII"),

    /* quotes do not break the log line */
    NO_H(LOCK1, ORIGIN("Clock\"-AE2"), 403, "4106", "expected Clock-AE1"),
    LOGGED("originator \"Clock\\x22-AE2\" refused with 4106"),
};

SCENARIO(header_not_printable)


Suite *originator_suite(void)
{
    return CK_SUITE("originator",
                    CK_TCASE_MS("ae", NULL, NULL, 60000),
                    CK_TEST(ae_own_stem_passes),
                    CK_TEST(ae_lock1_claims_lock2),
                    CK_TEST(ae_other_forms),
                    CK_TEST(ae_missing_origin),
                    CK_TEST(ae_table_forms),
                    CK_TEST(ae_keepalive_each_request),
                    CK_TEST(ae_keepalive_two_gateways),
                    CK_TCASE_MS("registration", NULL, NULL, 60000),
                    CK_TEST(registration_check_mode),
                    CK_TEST(registration_assign_mode),
                    CK_TEST(registration_assign_fastcgi),
                    CK_TCASE_MS("cse", NULL, NULL, 60000),
                    CK_TEST(cse_forwards_for_others),
                    CK_TEST(cse_claims_other_cse),
                    CK_TEST(cert_entities_claimed),
                    CK_TCASE_MS("unbound", NULL, NULL, 60000),
                    CK_TEST(unbound_claims),
                    CK_TEST(required_answers_before_originator),
                    CK_TEST(off_location_not_checked),
                    CK_TEST(subrequest_checked),
                    CK_TCASE_MS("header", NULL, NULL, 60000),
                    CK_TEST(header_name_any_case),
                    CK_TEST(header_duplicates),
                    CK_TEST(header_overlong),
                    CK_TEST(header_not_printable));
}
