/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAF end to end: real nginx with the module in front of the real
 * onem2m-maf, real PostgreSQL, real TLS-PSK with KmIDs.  The procedures of
 * TS-0003 8.8.2, who may do what, expirations, RelativeKeyIDs never
 * reused, Kc from a Key Value or from the TLS exporter, and bad input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include <openssl/evp.h>

#include "check_cases.h"
#include "maf/maf_fixture.h"

#define KEY_B64  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define P(proc)  "/maf/v1/" proc

static maf_env  env;

static void
setup(void)
{
    maf_tls_version = TLS1_3_VERSION;
    maf_env_start(&env, NULL);
}
static void teardown(void) { maf_env_stop(&env); }

static void
hexof(const unsigned char *p, size_t n, char *out)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    }
}

static void
post(const char *kmid, const char *path, const char *body, maf_answer *a)
{
    maf_post(&env, kmid, "POST", path, body, NULL, NULL, a);
}

/* Key Registration by the phone for the IN-CSE: the relativeKeyID */
static char *
register_key(const char *key_b64, long seconds, unsigned char *ekm)
{
    maf_answer   a;
    char        *body = maf_key_body(MAF_INCSE_ID, key_b64, seconds, 32);
    char        *id;

    maf_post(&env, MAF_PHONE_KMID, "POST", P("keyRegistration"), body, NULL,
             ekm, &a);
    free(body);
    ck_assert_msg(a.rsc == 2001, "rsc %d", a.rsc);
    ck_assert_int_eq(a.status, 201);
    ck_assert_str_eq(maf_str(&a, "sourceMafClientID"), MAF_PHONE_ID);
    ck_assert_int_eq(json_integer_value(json_object_get(a.body, "SUID")), 32);
    ck_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(a.body, "targetIDs"), 0)),
                     MAF_INCSE_ID);
    ck_assert_str_eq(maf_str(&a, "adminFQDN"), MAF_ADMIN);
    id = strdup(maf_str(&a, "relativeKeyID"));
    maf_answer_free(&a);
    return id;
}

static void
retrieve(const char *kmid, const char *rel, maf_answer *a)
{
    char  body[128];

    snprintf(body, sizeof(body), "{\"relativeKeyID\": \"%s\"}", rel);
    post(kmid, P("keyRetrieval"), body, a);
}

START_TEST(client_registration_update_config_deregistration)
{
    maf_answer   a;
    const char  *reg;
    char         body[512], t[32];

    reg = maf_register(&env, MAF_PHONE_KMID, 3600);
    ck_assert_uint_eq(strlen(reg), 32);

    /* a second registration of the same client */
    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"expirationTime\": \"%s\", \"adminFQDN\": \"" MAF_ADMIN
             "\", \"labels\": [\"phone\"]}", maf_time_in(60, t));
    post(MAF_PHONE_KMID, P("clientRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 4105);
    maf_answer_free(&a);

    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"mafClientRegID\": \"%s\"}", reg);
    post(MAF_PHONE_KMID, P("clientConfigRetrieval"), body, &a);
    ck_assert_int_eq(a.rsc, 2000);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(a.body, "configurations"),
                         "mafClientID")), MAF_PHONE_ID);
    maf_answer_free(&a);

    /* another client does not see it */
    post(MAF_OTHER_KMID, P("clientConfigRetrieval"), body, &a);
    ck_assert_int_eq(a.rsc, 4004);
    maf_answer_free(&a);

    /* update: the MAF shortens a lifetime over its 30 days */
    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"mafClientRegID\": \"%s\", \"expirationTime\": \"%s\", "
             "\"labels\": [\"a\", \"b\"]}", reg,
             maf_time_in(90L * 86400, t));
    post(MAF_PHONE_KMID, P("clientRegistrationUpdate"), body, &a);
    ck_assert_int_eq(a.rsc, 2004);
    ck_assert_str_lt(maf_str(&a, "expirationTime"),
                     maf_time_in(31L * 86400, t));
    ck_assert_int_eq(json_array_size(json_object_get(a.body, "labels")), 2);
    maf_answer_free(&a);

    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"mafClientRegID\": \"%s\"}", reg);
    post(MAF_OTHER_KMID, P("clientDeRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 4004);
    maf_answer_free(&a);
    post(MAF_PHONE_KMID, P("clientDeRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 2002);
    maf_answer_free(&a);
    post(MAF_PHONE_KMID, P("clientConfigRetrieval"), body, &a);
    ck_assert_int_eq(a.rsc, 4004);
    maf_answer_free(&a);
}
END_TEST

START_TEST(unbound_requests_refused)
{
    maf_answer  a;
    char        body[512], t[32];

    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"expirationTime\": \"%s\", \"adminFQDN\": \"" MAF_ADMIN
             "\"}", maf_time_in(60, t));

    /* a certificate handshake binds nothing; a forged header is stripped */
    maf_post(&env, NULL, "POST", P("clientRegistration"), body,
             "X-Onem2m-Sae-Entity: " MAF_PHONE_ID "\r\n", NULL, &a);
    ck_assert_int_eq(a.rsc, 4106);
    ck_assert_int_eq(a.status, 403);
    maf_answer_free(&a);
}
END_TEST

START_TEST(key_value_registered_and_retrieved_by_the_target)
{
    maf_answer   a;
    char        *rel;

    maf_register(&env, MAF_PHONE_KMID, 3600);
    rel = register_key(KEY_B64, 600, NULL);
    ck_assert_uint_eq(strlen(rel), 32);

    retrieve(MAF_INCSE_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 2000);
    ck_assert_str_eq(maf_str(&a, "keyValue"), KEY_B64);
    ck_assert_str_eq(maf_str(&a, "sourceMafClientID"), MAF_PHONE_ID);
    ck_assert_int_eq(json_integer_value(json_object_get(a.body, "SUID")), 32);
    ck_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(a.body, "labels"), 0)), "door");
    maf_answer_free(&a);

    /* Kc is sealed in the database, never in the clear */
    {
        char  *out = NULL;

        ck_assert_int_eq(fleet_pg_sql(&env.pg, FLEET_ADMIN,
                             "SELECT encode(sealed, 'base64') FROM maf_key",
                             &out), 0);
        ck_assert_ptr_null(strstr(out, "AAECAwQFBgcICQoL"));
        free(out);
    }
    free(rel);
}
END_TEST

START_TEST(exporter_key_registered_and_retrieved_by_the_target)
{
    unsigned char  ekm[48], kc[64];
    char           hex[33];
    maf_answer     a;
    char          *rel;
    int            n;

    /* the phone's session in TLS 1.2, then 1.3: both export the same way */
    maf_tls_version = _i == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
    maf_register(&env, MAF_PHONE_KMID, 3600);
    rel = register_key(NULL, 600, ekm);

    /* RelativeKeyID = hex(KcID), the 16 most significant bytes */
    hexof(ekm, 16, hex);
    ck_assert_str_eq(rel, hex);

    retrieve(MAF_INCSE_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 2000);
    n = EVP_DecodeBlock(kc, (const unsigned char *) maf_str(&a, "keyValue"),
                        (int) strlen(maf_str(&a, "keyValue")));
    ck_assert_int_eq(n, 33);            /* 32 and the padding's 0 */
    /* Kc = the 32 least significant bytes */
    ck_assert_mem_eq(kc, ekm + 16, 32);
    maf_answer_free(&a);
    free(rel);
}
END_TEST

START_TEST(retrieval_refused_to_everyone_but_the_target)
{
    maf_answer   a, unknown;
    char        *rel;

    maf_register(&env, MAF_PHONE_KMID, 3600);
    maf_register(&env, MAF_OTHER_KMID, 3600);
    rel = register_key(KEY_B64, 600, NULL);

    retrieve(MAF_INCSE_KMID, "0123456789abcdef0123456789abcdef", &unknown);
    ck_assert_int_eq(unknown.rsc, 4004);

    /* the non-target and the registrant: the same answer as no key */
    retrieve(MAF_OTHER_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 4004);
    ck_assert_int_eq(a.status, 404);
    ck_assert(json_equal(a.body, unknown.body));
    ck_assert_ptr_null(maf_str(&a, "keyValue"));
    maf_answer_free(&a);
    retrieve(MAF_PHONE_KMID, rel, &a);
    ck_assert(json_equal(a.body, unknown.body));
    maf_answer_free(&a);
    maf_answer_free(&unknown);
    free(rel);
}
END_TEST

START_TEST(suid_and_targets_checked)
{
    maf_answer   a;
    char        *body;

    maf_register(&env, MAF_PHONE_KMID, 3600);

    body = maf_key_body(MAF_INCSE_ID, KEY_B64, 600, 31);
    post(MAF_PHONE_KMID, P("keyRegistration"), body, &a);
    free(body);
    ck_assert_int_eq(a.rsc, 4102);
    ck_assert_ptr_nonnull(strstr(maf_str(&a, "dbg"), "SUID 32"));
    maf_answer_free(&a);

    body = maf_key_body("not an id", KEY_B64, 600, 32);
    post(MAF_PHONE_KMID, P("keyRegistration"), body, &a);
    free(body);
    ck_assert_int_eq(a.rsc, 4000);
    maf_answer_free(&a);
}
END_TEST

START_TEST(unregistered_or_expired_clients_register_no_keys)
{
    maf_answer   a;
    char        *body = maf_key_body(MAF_INCSE_ID, KEY_B64, 600, 32);

    post(MAF_PHONE_KMID, P("keyRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 4103);
    maf_answer_free(&a);

    /* a registration of 2 s, then expired */
    maf_register(&env, MAF_PHONE_KMID, 2);
    sleep(3);
    post(MAF_PHONE_KMID, P("keyRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 4103);
    maf_answer_free(&a);

    /* and registering anew works */
    maf_register(&env, MAF_PHONE_KMID, 3600);
    post(MAF_PHONE_KMID, P("keyRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 2001);
    maf_answer_free(&a);
    free(body);
}
END_TEST

START_TEST(expired_key_not_retrievable)
{
    maf_answer   a;
    char        *rel;

    maf_register(&env, MAF_PHONE_KMID, 3600);
    rel = register_key(KEY_B64, 2, NULL);
    retrieve(MAF_INCSE_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 2000);
    maf_answer_free(&a);
    sleep(3);
    retrieve(MAF_INCSE_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 4004);
    maf_answer_free(&a);
    free(rel);
}
END_TEST

START_TEST(deregistered_keys_not_retrievable)
{
    maf_answer   a;
    char        *rel, *rel2, body[256];
    const char  *reg;

    reg = maf_register(&env, MAF_PHONE_KMID, 3600);
    rel = register_key(KEY_B64, 600, NULL);

    /* update by the registrant only, then de-registration */
    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"relativeKeyID\": \"%s\", \"labels\": [\"x\"]}", rel);
    post(MAF_INCSE_KMID, P("keyRegistrationUpdate"), body, &a);
    ck_assert_int_eq(a.rsc, 4103);         /* the IN-CSE is no client */
    maf_answer_free(&a);
    post(MAF_PHONE_KMID, P("keyRegistrationUpdate"), body, &a);
    ck_assert_int_eq(a.rsc, 2004);
    maf_answer_free(&a);

    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"relativeKeyID\": \"%s\"}", rel);
    post(MAF_INCSE_KMID, P("keyDeRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 4004);
    maf_answer_free(&a);
    post(MAF_PHONE_KMID, P("keyDeRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 2002);
    maf_answer_free(&a);
    retrieve(MAF_INCSE_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 4004);
    maf_answer_free(&a);

    /* a client's de-registration takes its keys along */
    rel2 = register_key(KEY_B64, 600, NULL);
    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"mafClientRegID\": \"%s\"}", reg);
    post(MAF_PHONE_KMID, P("clientDeRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 2002);
    maf_answer_free(&a);
    retrieve(MAF_INCSE_KMID, rel2, &a);
    ck_assert_int_eq(a.rsc, 4004);
    maf_answer_free(&a);
    free(rel);
    free(rel2);
}
END_TEST

START_TEST(relative_key_ids_never_reused)
{
    maf_answer     a;
    harness_conn  *c;
    char          *body = maf_key_body(MAF_INCSE_ID, NULL, 600, 32);
    char           del[256], *out = NULL;
    const char    *rel;

    maf_register(&env, MAF_PHONE_KMID, 3600);

    /* one TLS session, one exporter: the second registration conflicts */
    c = maf_connect(&env, MAF_PHONE_KMID);
    maf_post_on(c, P("keyRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 2001);
    rel = maf_str(&a, "relativeKeyID");
    snprintf(del, sizeof(del), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"relativeKeyID\": \"%s\"}", rel);
    maf_answer_free(&a);

    maf_post_on(c, P("keyRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 4105);
    maf_answer_free(&a);

    /* nor after the key's de-registration */
    maf_post_on(c, P("keyDeRegistration"), del, &a);
    ck_assert_int_eq(a.rsc, 2002);
    maf_answer_free(&a);
    maf_post_on(c, P("keyRegistration"), body, &a);
    ck_assert_int_eq(a.rsc, 4105);
    maf_answer_free(&a);
    harness_conn_close(c);

    ck_assert_int_eq(fleet_pg_sql(&env.pg, FLEET_ADMIN,
                         "SELECT count(*) FROM maf_used_key_id", &out), 0);
    ck_assert_int_eq(atoi(out), 1);
    free(out);
    free(body);
}
END_TEST

START_TEST(database_down_then_back)
{
    maf_answer   a;
    char        *rel;

    maf_register(&env, MAF_PHONE_KMID, 3600);
    rel = register_key(KEY_B64, 600, NULL);

    ck_assert_int_eq(fleet_pg_stop(&env.pg), 0);
    retrieve(MAF_INCSE_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 5000);
    ck_assert_int_eq(a.status, 500);
    ck_assert_ptr_null(maf_str(&a, "keyValue"));
    maf_answer_free(&a);

    /* the connection is reset on the next request */
    ck_assert_int_eq(fleet_pg_start(&env.pg), 0);
    retrieve(MAF_INCSE_KMID, rel, &a);
    ck_assert_int_eq(a.rsc, 2000);
    ck_assert_str_eq(maf_str(&a, "keyValue"), KEY_B64);
    maf_answer_free(&a);
    free(rel);
}
END_TEST

/* bad input: the answer's status code, nothing stored */
static const struct {
    const char  *method;
    const char  *path;
    const char  *body;
    int          rsc;
} bad[] = {
    { "POST", P("clientRegistration"), "{", 4000 },
    { "POST", P("clientRegistration"), "", 4000 },
    { "POST", P("clientRegistration"), "[]", 4000 },
    { "POST", P("clientRegistration"), "\x01\xff\xfe garbage", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\"}",
      4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"mafFQDN\": \"" MAF_FQDN "\"}", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\", \"bogus\": 1}", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"other.example\", "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\"}", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": "
      "\"other.example\"}", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20000101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\"}", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20990231T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\"}", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": 5, "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\"}", 4000 },
    { "POST", P("clientRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\", \"labels\": [1]}", 4000 },
    { "POST", P("clientConfigRetrieval"), "{\"mafFQDN\": \"" MAF_FQDN
      "\", \"mafClientRegID\": \"zz\"}", 4000 },
    { "POST", P("clientRegistrationUpdate"), "{\"mafFQDN\": \"" MAF_FQDN
      "\", \"mafClientRegID\": \"0123456789abcdef0123456789abcdef\"}",
      4000 },
    { "POST", P("keyRetrieval"), "{\"relativeKeyID\": \"0123\"}", 4000 },
    { "POST", P("keyRetrieval"), "{\"relativeKeyID\": "
      "\"0123456789abcdef0123456789abcdeg\"}", 4000 },
    { "POST", P("keyRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\", \"SUID\": 32, \"targetIDs\": [\"/in-cse\"], "
      "\"keyValue\": \"not base64!\"}", 4000 },
    { "POST", P("keyRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\", \"SUID\": \"32\", \"targetIDs\": [\"/in-cse\"]}",
      4000 },
    { "POST", P("keyRegistration"), "{\"mafFQDN\": \"" MAF_FQDN "\", "
      "\"expirationTime\": \"20990101T000000\", \"adminFQDN\": \""
      MAF_ADMIN "\", \"SUID\": 32, \"targetIDs\": [\"/a\", \"/b\"]}",
      4000 },
    { "POST", "/maf/v1/nothing", "{}", 4004 },
    { "GET", P("keyRetrieval"), NULL, 4005 },
};

START_TEST(bad_input_refused)
{
    maf_answer   a;
    char        *out = NULL;

    maf_post(&env, MAF_PHONE_KMID, bad[_i].method, bad[_i].path,
             bad[_i].body, NULL, NULL, &a);
    ck_assert_msg(a.rsc == bad[_i].rsc, "%s %s: rsc %d, wanted %d",
                  bad[_i].path, bad[_i].body ? bad[_i].body : "", a.rsc,
                  bad[_i].rsc);
    ck_assert_ptr_nonnull(maf_str(&a, "dbg"));
    ck_assert_int_eq(json_integer_value(json_object_get(a.body, "rsc")),
                     bad[_i].rsc);
    maf_answer_free(&a);

    ck_assert_int_eq(fleet_pg_sql(&env.pg, FLEET_ADMIN,
                         "SELECT (SELECT count(*) FROM maf_registration)"
                         " + (SELECT count(*) FROM maf_key)", &out), 0);
    ck_assert_int_eq(atoi(out), 0);
    free(out);
}
END_TEST

Suite *maf_suite(void)
{
    return CK_SUITE("maf",
                    CK_TCASE_MS("procedures", setup, teardown, 60000),
                    CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove),
                    CK_TEST(client_registration_update_config_deregistration),
                    CK_TEST(unbound_requests_refused),
                    CK_TEST(key_value_registered_and_retrieved_by_the_target),
                    CK_LOOP(exporter_key_registered_and_retrieved_by_the_target,
                            2),
                    CK_TEST(retrieval_refused_to_everyone_but_the_target),
                    CK_TEST(suid_and_targets_checked),
                    CK_TEST(unregistered_or_expired_clients_register_no_keys),
                    CK_TEST(expired_key_not_retrievable),
                    CK_TEST(deregistered_keys_not_retrievable),
                    CK_TEST(relative_key_ids_never_reused),
                    CK_TEST(database_down_then_back),
                    CK_TCASE_MS("bad_input", setup, teardown, 60000),
                    CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove),
                    CK_LOOP(bad_input_refused, CK_N(bad)));
}
