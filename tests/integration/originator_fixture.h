/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the originator suites share (check_originator.c,
 * check_originator_conf.c): the gateway's table (the seed's two locks, two
 * CSEs with credentials of their own, two more locks in the table's other
 * forms), and the gateway of the request scenarios (originator_fixture.c):
 * a real nginx with the module in front of an in-test HTTP and FastCGI
 * upstream, its TLS-PSK clients, and scenarios as tables of steps.
 */

#ifndef ONEM2M_TEST_ORIGINATOR_FIXTURE_H
#define ONEM2M_TEST_ORIGINATOR_FIXTURE_H

#include <stddef.h>
#include <check.h>

#include "check_cases.h"
#include "common/harness.h"

#define CSE7_ENTITY   "/in-cse-7"
#define CSE7_KPSA_ID  "in-cse-7@in.provider.com"
#define CSE7_KEY_HEX  "00112233445566778899aabbccddeeff"
#define CSE8_ENTITY   "/in-cse-8"
#define CSE8_KPSA_ID  "in-cse-8@in.provider.com"
#define CSE8_KEY_HEX  "ffeeddccbbaa99887766554433221100"

/* two more locks, provisioned in the table's other forms */
#define LOCK3_ENTITY  "/mn-cse-123456/Clock-AE3"
#define LOCK3_KPSA_ID "AE123456789013-Lock@in.provider.com"
#define LOCK3_KEY_HEX "0123456789abcdef0123456789abcdef"
#define LOCK4_ENTITY  "//in.provider.com/Slock-AE4"
#define LOCK4_KPSA_ID "AE123456789014-Lock@in.provider.com"
#define LOCK4_KEY_HEX "fedcba9876543210fedcba9876543210"

#define GW_TABLE                                                              \
    HARNESS_SEED_TABLE                                                        \
    CSE7_ENTITY " " CSE7_KEY_HEX " " CSE7_KPSA_ID "\n"                        \
    CSE8_ENTITY " " CSE8_KEY_HEX " " CSE8_KPSA_ID "\n"                        \
    LOCK3_ENTITY " " LOCK3_KEY_HEX " " LOCK3_KPSA_ID "\n"                     \
    LOCK4_ENTITY " " LOCK4_KEY_HEX " " LOCK4_KPSA_ID "\n"

/* entities with certificates, listed with "onem2m_sae_cert_entity" */
#define CERT_AE_ID    "//in.provider.com/mn-cse-123456/Cdoor-AE1"

#define GW_RI         "req-4106"
#define GW_RVI        "3"
#define GW_RI_RVI     "X-M2M-RI: " GW_RI "\r\nX-M2M-RVI: " GW_RVI "\r\n"
#define GW_ENTITY_HDR "X-Onem2m-Sae-Entity"

#define REG_CT        "Content-Type: application/json;ty=2\r\n"
#define AE_BODY       "{\"m2m:ae\": {\"api\": \"Nlock\", \"rr\": true}}"

typedef struct {
    harness_upstream  *up;
    harness_upstream  *fcgi;
    harness_nginx     *ng;
    int                port;
} gateway;

extern gateway  gw;

typedef enum { UNBOUND, LOCK1, LOCK2, LOCK3, LOCK4, CSE7, CSE8 } who;

void gw_setup(void);
void gw_teardown(void);
void gw_stop(void);
void gw_request(who as, const char *method, const char *uri,
    const char *headers, const char *body, harness_response *resp);
void assert_refused(harness_response *resp, int status, const char *rsc,
    const char *dbg);
void expect_refused(who as, const char *method, const char *uri,
    const char *headers, const char *body, int status, const char *rsc,
    const char *dbg);
void expect_forwarded(who as, const char *method, const char *uri,
    const char *headers, const char *body, const char *origin,
    const char *entity);
void assert_log(const char *needle);

#define NEITHER  "neither an AE-ID nor a CSE-ID"
#define OWN_SA   "its own security association"

/*
 * A scenario on the gateway is a table of steps run in order: a request
 * that must be refused (expect_refused), one that must be forwarded
 * (expect_forwarded), or a line the error log must have by then.
 */
typedef enum {
    STEP_REFUSED, STEP_FORWARDED, STEP_LOGGED, STEP_NOT_IDS, STEP_LOG_COUNT
} step_kind;

typedef struct {
    step_kind    kind;
    who          as;
    const char  *method;
    const char  *uri;
    const char  *headers;
    const char  *body;
    int          status;        /* refused: the status, */
    const char  *rsc;           /* X-M2M-RSC */
    const char  *dbg;           /* and part of the debug text */
    const char  *origin;        /* forwarded: X-M2M-Origin upstream, */
    const char  *entity;        /* the identity header (NULL: none) */
    const char  *log;           /* logged: the line */
} gw_step;

#define REFUSED(as, method, uri, headers, body, status, rsc, dbg) \
    { STEP_REFUSED, as, method, uri, headers, body, status, rsc, dbg, \
      NULL, NULL, NULL }
#define FORWARDED(as, method, uri, headers, body, origin, entity) \
    { STEP_FORWARDED, as, method, uri, headers, body, 200, NULL, NULL, \
      origin, entity, NULL }
#define LOGGED(line) \
    { STEP_LOGGED, UNBOUND, NULL, NULL, NULL, NULL, 0, NULL, NULL, \
      NULL, NULL, line }

/* the error log has "line" exactly n times by then */
#define LOGGED_TIMES(n, line) \
    { STEP_LOG_COUNT, UNBOUND, NULL, NULL, NULL, NULL, n, NULL, NULL, \
      NULL, NULL, line }

/* the originator module has logged nothing: no refusal so far */
#define NOTHING_LOGGED  LOGGED_TIMES(0, "onem2m originator")

/* an AE registration (REG_CT, AE_BODY) after these headers */
#define ORIGIN(id)  "X-M2M-Origin: " id "\r\n"
#define REG_NO(as, uri, headers, status, rsc, dbg) \
    REFUSED(as, "POST", uri, headers REG_CT, AE_BODY, status, rsc, dbg)
#define REG_OK(as, uri, headers, origin, entity) \
    FORWARDED(as, "POST", uri, headers REG_CT, AE_BODY, origin, entity)

/* GET /cse with these headers */
#define NO_H(as, headers, status, rsc, dbg) \
    REFUSED(as, "GET", "/cse", headers, NULL, status, rsc, dbg)
#define OK_H(as, headers, origin, entity) \
    FORWARDED(as, "GET", "/cse", headers, NULL, origin, entity)

/* the usual request, one row a line: GET /cse claiming "origin" */
#define NO(as, origin, status, rsc, dbg) \
    NO_H(as, "X-M2M-Origin: " origin "\r\n", status, rsc, dbg)
#define OK(as, origin, entity) \
    OK_H(as, "X-M2M-Origin: " origin "\r\n", origin, entity)

/* GET /cse with no X-M2M-Origin: refused, 4000 */
#define NO_ORIGIN(as) \
    NO_H(as, NULL, 400, "4000", "X-M2M-Origin missing")

/* GET /cse claiming each of not_ids[]: refused, 4000 */
#define NOT_IDS(as) \
    { STEP_NOT_IDS, as, NULL, NULL, NULL, NULL, 0, NULL, NULL, \
      NULL, NULL, NULL }

void run_steps(const gw_step *step, size_t n);

#define RUN_STEPS(steps)  run_steps(steps, CK_N(steps))

void run_scenario(const gw_step *step, size_t n);

#define SCENARIO(name) \
    START_TEST(name) \
    { \
        run_scenario(name##_steps, \
                     CK_N(name##_steps)); \
    } \
    END_TEST

#endif /* ONEM2M_TEST_ORIGINATOR_FIXTURE_H */
