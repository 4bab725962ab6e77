/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IN-CSE front end as Target MAF Client (TS-0003 8.2.2.3), against a
 * real nginx reading a "kpsa-lmdb:" store that holds MAF keys (Kc under
 * its Key Identifier "<hex KcID>@<MAF-FQDN>", the Source MAF Client ID as
 * entity, an expirationTime), written while nginx runs:
 *
 *   - a MAF key binds its Source MAF Client ID until its expiration;
 *   - after the expiration new handshakes fail (logged as expired), the
 *     open keep-alive connection gets 403/4107 on its next request, and
 *     no session (cache, TLS 1.2 or 1.3 ticket) of the key resumes bound;
 *   - with "onem2m_sae_maf", the identity names a trusted MAF: the method
 *     is "maf", the Credential-ID that of the Key Identifier, the upstream
 *     sees the Source MAF Client ID, X-M2M-Origin naming anyone else gets
 *     403/4106; a malformed Key Identifier is refused with its reason; a
 *     MAF key under an FQDN the server does not trust is a KpsaID;
 *   - nginx -t refuses a malformed MAF-FQDN, naming file and line.
 */

#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#include "integration/live_fixture.h"

#define MAF_FQDN      "maf.example.net"
#define MAF_KCID      "00112233445566778899aabbccddeeff"
#define MAF_KEY_ID    MAF_KCID "@" MAF_FQDN
#define MAF_PHONE     "CAE-phone-1"

#define MAF_TICKET_KEY \
    "0123456789abcdef0123456789abcdef0123456789abcdef" \
    "0123456789abcdef0123456789abcdef"

#define MAF_RESUMING \
    "    ssl_session_cache shared:SAE:1m;\n" \
    "    ssl_session_tickets on;\n" \
    "    ssl_session_ticket_key {{PREFIX}}/ticket.key;\n"

/* Kc: 32 bytes, the exporter's least significant ones in the real flow */
static const unsigned char MAF_KC[32] = {
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
    0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
    0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf
};


static int
version_of(int i)
{
    return i == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

/* the phone with its Kc: TLS 1.2 with one PSK suite, or TLS 1.3 */
static harness_tls_opts
phone_with(int version, const char *identity)
{
    harness_tls_opts  o = sae_psk(version, identity, MAF_KC);

    o.key_len = sizeof(MAF_KC);
    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
    }
    return o;
}

/* a MAF key as the front end's store holds it (SUID 32, the MAF flag) */
static void
maf_put(live_store *ls, const char *id, const char *entity, long long exp)
{
    kpsa_store_attr  a = { exp, KPSA_SUID_MAF_SAEF, KPSA_FLAG_MAF };
    unsigned char    sealed[KPSA_SEALED_MAX];
    size_t           sealed_len;

    ck_assert(kpsa_envelope_seal(ls->kek, id, entity, MAF_KC, sizeof(MAF_KC),
                                 sealed, &sealed_len));
    ck_assert(kpsa_store_begin(ls->store));
    ck_assert_msg(kpsa_store_put_attr(ls->store, id, entity, sealed,
                                      sealed_len, ++ls->seq, &a),
                  "%s", kpsa_store_error(ls->store));
    live_commit(ls, (int64_t) time(NULL));
}

/* until the clock has passed exp */
static void
wait_past(long long exp)
{
    while ((long long) time(NULL) < exp) {
        usleep(50 * 1000);
    }
}

START_TEST(maf_key_binds_until_expiration)
{
    harness_tls_opts  o = phone_with(version_of(_i), MAF_KEY_ID);
    harness_response  resp;
    long long         exp;
    size_t            before;

    live_start(&ls, up, LIVE_SERVER);
    exp = (long long) time(NULL) + 2;
    maf_put(&ls, MAF_KEY_ID, MAF_PHONE, exp);

    ck_assert_int_eq(live_request(&ls, &o, "/before", &resp), 200);
    sae_assert_upstream_entity(harness_upstream_last(up), MAF_PHONE);
    harness_response_free(&resp);

    wait_past(exp);
    before = harness_upstream_count(up);
    ck_assert_int_eq(live_status_of(&ls, &o, "/after"), 0);
    ck_assert_uint_eq(harness_upstream_count(up), before);
    ck_assert_msg(harness_log_wait(ls.ng, "expired psk identity \""
                                   MAF_KEY_ID "\" (its expiration has "
                                   "passed), refused as unknown",
                                   2000),
                  "%s", harness_log(ls.ng));
    live_free(&ls, 1);
}
END_TEST

START_TEST(keepalive_request_after_expiration_is_refused)
{
    harness_tls_opts    o = phone_with(version_of(_i), MAF_KEY_ID);
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;
    long long           exp;
    size_t              before;

    live_start(&ls, up, LIVE_SERVER);
    exp = (long long) time(NULL) + 2;
    maf_put(&ls, MAF_KEY_ID, MAF_PHONE, exp);

    c = harness_tls_connect(harness_nginx_port(ls.ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);
    sae_assert_conn_bound(c, up, "/one", MAF_PHONE);

    wait_past(exp);
    before = harness_upstream_count(up);
    ck_assert_int_eq(harness_http(c, "GET", "/two", NULL, NULL, 1, &resp),
                     0);
    sae_assert_4107(&resp);
    sae_assert_resp_header(&resp, "Connection", "close");
    harness_response_free(&resp);
    harness_conn_close(c);
    harness_tls_result_free(&r);

    ck_assert_uint_eq(harness_upstream_count(up), before);
    ck_assert_msg(harness_log_wait(ls.ng, "onem2m sae: binding of psk "
                                   "identity \"" MAF_KEY_ID "\" to \""
                                   MAF_PHONE "\" dropped: credential "
                                   "expired, connection closed",
                                   2000),
                  "%s", harness_log(ls.ng));
    live_free(&ls, 1);
}
END_TEST

static const struct {
    int   version;
    int   no_ticket;
} resumption[] = {
    { TLS1_2_VERSION, 1 },      /* shared session cache */
    { TLS1_2_VERSION, 0 },      /* TLS 1.2 ticket */
    { TLS1_3_VERSION, 0 },      /* TLS 1.3 ticket */
};

/* a session or ticket of a MAF key: bound before, never bound after */
START_TEST(ticket_after_expiration_does_not_bind)
{
    harness_tls_opts    o = phone_with(resumption[_i].version, MAF_KEY_ID);
    harness_tls_result  r;
    harness_response    resp;
    SSL_SESSION        *sess;
    long long           exp;
    size_t              before;

    o.no_ticket = resumption[_i].no_ticket;

    live_new(&ls, up, LIVE_SERVER_WITH("", MAF_RESUMING));
    ck_assert_int_eq(harness_nginx_write_file(ls.ng, "ticket.key",
                                              MAF_TICKET_KEY, 0600), 0);
    ck_assert_msg(harness_nginx_start(ls.ng) == 0, "%s",
                  harness_log(ls.ng));
    exp = (long long) time(NULL) + 2;
    maf_put(&ls, MAF_KEY_ID, MAF_PHONE, exp);

    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ls.ng, 0), &o,
                                         "GET", "/first", NULL, NULL, &r,
                                         &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);
    sess = r.session;
    ck_assert_ptr_nonnull(sess);

    /* control: the session resumes bound while the key stands */
    if (resumption[_i].version == TLS1_3_VERSION) {
        memset(&o, 0, sizeof(o));
        o.version = TLS1_3_VERSION;
    }
    o.resume = sess;
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ls.ng, 0), &o,
                                         "GET", "/again", NULL, NULL, &r,
                                         &resp), 0);
    ck_assert_int_eq(r.resumed, 1);
    ck_assert_int_eq(resp.status, 200);
    sae_assert_upstream_entity(harness_upstream_last(up), MAF_PHONE);
    harness_response_free(&resp);
    harness_tls_result_free(&r);

    wait_past(exp);
    before = harness_upstream_count(up);
    harness_tls_request(harness_nginx_port(ls.ng, 0), &o, "GET", "/expired",
                        NULL, NULL, &r, &resp);

    /* resumed, unbound, refused; or no handshake at all */
    if (r.handshake_ok) {
        ck_assert_int_eq(r.resumed, 1);
        sae_assert_4107(&resp);
    }
    ck_assert_uint_eq(harness_upstream_count(up), before);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    SSL_SESSION_free(sess);
    live_free(&ls, 1);
}
END_TEST

/* the front end: trusts maf.example.net, checks X-M2M-Origin */
#define MAF_SERVER(mafs) \
    "server {\n" \
    LIVE_TLS("") \
    "    onem2m_sae_maf " mafs ";\n" \
    "    onem2m_sae_cse_id in-cse;\n" \
    "    onem2m_sae_sp_id in.provider.com;\n" \
    "    onem2m_sae_originator check;\n" \
    "    location / {\n" \
    "        proxy_set_header X-Method $onem2m_sae_method;\n" \
    "        proxy_set_header X-Credential $onem2m_sae_credential_id;\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "    }\n" \
    "}\n"

#define MAF_FRONT  MAF_SERVER("other-maf.example.org MAF.example.net")

/* GET / as o, X-M2M-Origin: origin; the status (0: no handshake) */
static int
as_origin(const harness_tls_opts *o, const char *origin,
    harness_response *resp)
{
    harness_tls_result  r;
    char                hdr[300];
    int                 rc;

    snprintf(hdr, sizeof(hdr), "X-M2M-Origin: %s\r\n", origin);
    memset(resp, 0, sizeof(*resp));
    rc = harness_tls_request(harness_nginx_port(ls.ng, 0), o, "GET", "/",
                             hdr, NULL, &r, resp);
    rc = rc == 0 && r.handshake_ok ? resp->status : 0;
    harness_tls_result_free(&r);

    return rc;
}

static void
assert_upstream_saw(const char *entity, const char *method,
    const char *credential_id)
{
    const harness_request  *req = harness_upstream_last(up);

    sae_assert_upstream_entity(req, entity);
    sae_assert_req_header(req, "X-Method", method);
    sae_assert_req_header(req, "X-Credential", credential_id);
}

START_TEST(maf_key_binds_source_client_id)
{
    harness_tls_opts  o = phone_with(version_of(_i), MAF_KEY_ID);
    harness_response  resp;
    size_t            before;

    live_start(&ls, up, MAF_FRONT);
    maf_put(&ls, MAF_KEY_ID, MAF_PHONE, (long long) time(NULL) + 3600);

    ck_assert_int_eq(as_origin(&o, MAF_PHONE, &resp), 200);
    assert_upstream_saw(MAF_PHONE, "maf", "12-" MAF_KEY_ID);
    harness_response_free(&resp);

    /* anyone else: 4106, nothing reaches the CSE */
    before = harness_upstream_count(up);
    ck_assert_int_eq(as_origin(&o, "CAE-someone-else", &resp), 403);
    sae_assert_resp_header(&resp, "X-M2M-RSC", "4106");
    harness_response_free(&resp);
    ck_assert_uint_eq(harness_upstream_count(up), before);

    /* the seed's locks are KpsaIDs as before */
    o = sae_lock1(version_of(_i));
    if (o.version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
    }
    ck_assert_int_eq(as_origin(&o, HARNESS_LOCK1_ENTITY, &resp), 200);
    assert_upstream_saw(HARNESS_LOCK1_ENTITY, "psk",
                        "12-" HARNESS_LOCK1_KPSA_ID);
    harness_response_free(&resp);
    live_free(&ls, 1);
}
END_TEST

/* the Credential-ID is the Key Identifier in lower case */
START_TEST(maf_fqdn_compares_without_case)
{
    static const char  id[] = MAF_KCID "@Maf.Example.NET";
    harness_tls_opts   o = phone_with(version_of(_i), id);
    harness_response   resp;

    live_start(&ls, up, MAF_FRONT);
    maf_put(&ls, id, MAF_PHONE, (long long) time(NULL) + 3600);

    ck_assert_int_eq(as_origin(&o, MAF_PHONE, &resp), 200);
    assert_upstream_saw(MAF_PHONE, "maf", "12-" MAF_KEY_ID);
    harness_response_free(&resp);
    live_free(&ls, 1);
}
END_TEST

/* an FQDN the server does not trust: the identity is a KpsaID */
START_TEST(unconfigured_maf_is_a_kpsa_id)
{
    static const char  id[] = MAF_KCID "@maf.elsewhere.net";
    harness_tls_opts   o = phone_with(version_of(_i), id);
    harness_response   resp;

    live_start(&ls, up, MAF_FRONT);
    maf_put(&ls, id, MAF_PHONE, (long long) time(NULL) + 3600);

    ck_assert_int_eq(as_origin(&o, MAF_PHONE, &resp), 200);
    assert_upstream_saw(MAF_PHONE, "psk", "12-" MAF_KCID
                        "@maf.elsewhere.net");
    harness_response_free(&resp);
    live_free(&ls, 1);
}
END_TEST

/*
 * Malformed Key Identifiers of a trusted MAF: refused as unknown with the
 * reason; one the store holds anyway (a KpsaID written before the MAF was
 * trusted) binds no request.
 */
START_TEST(malformed_key_identifier_is_refused)
{
    static const struct {
        const char  *id;
        const char  *reason;
    } bad[] = {
        { "0011@maf.example.net",
          "the KcID part is not 32 hex digits (16 bytes)" },
        { "00112233445566778899aabbccddeeff0@maf.example.net",
          "the KcID part has an odd number of hex digits" },
        { "zz112233445566778899aabbccddeeff@maf.example.net",
          "the KcID part has a byte that is no hex digit" },
    };
    harness_tls_opts  o;
    harness_response  resp;
    char              line[300];
    size_t            i;

    live_start(&ls, up, MAF_FRONT);

    for (i = 0; i < CK_N(bad); i++) {
        o = phone_with(version_of(_i), bad[i].id);
        ck_assert_int_eq(as_origin(&o, MAF_PHONE, &resp), 0);
        harness_response_free(&resp);
        snprintf(line, sizeof(line), "malformed MAF Key Identifier \"%s\": "
                 "%s, refused as unknown", bad[i].id, bad[i].reason);
        ck_assert_msg(harness_log_wait(ls.ng, line, 2000), "%s\n%s", line,
                      harness_log(ls.ng));
    }

    maf_put(&ls, "phone-1@maf.example.net", MAF_PHONE, 0);
    o = phone_with(version_of(_i), "phone-1@maf.example.net");
    ck_assert_int_eq(as_origin(&o, MAF_PHONE, &resp), 403);
    sae_assert_resp_header(&resp, "X-M2M-RSC", "4107");
    harness_response_free(&resp);
    ck_assert_msg(harness_log_wait(ls.ng, "psk identity \"phone-1@maf."
                                   "example.net\" names a trusted MAF but "
                                   "the KcID part has a byte that is no hex "
                                   "digit, connection left unbound",
                                   2000),
                  "%s", harness_log(ls.ng));
    live_free(&ls, 1);
}
END_TEST

START_TEST(malformed_maf_fqdn_refused_at_test)
{
    static const char  *bad[] = {
        "maf.example.net:8443", "https://maf.example.net", "maf..example",
        "maf.example.net.", "-maf.example.net"
    };
    const char          *out;
    char                 conf[2048], want[600];
    int                  line;

    live_new(&ls, up, MAF_FRONT);
    ck_assert_msg(harness_nginx_test(ls.ng, &out) == 0, "%s", out);

    snprintf(conf, sizeof(conf), MAF_SERVER("maf.example.net %s"), bad[_i]);
    ck_assert_int_eq(harness_nginx_config(ls.ng, conf), 0);
    ck_assert_int_ne(harness_nginx_test(ls.ng, &out), 0);
    line = harness_nginx_conf_line(ls.ng, "onem2m_sae_maf");
    snprintf(want, sizeof(want), "\"onem2m_sae_maf\": \"%s\" is not a "
             "MAF-FQDN (a host name such as maf.example.net, without port, "
             "scheme or final dot) in %s:%d", bad[_i],
             harness_nginx_conf_path(ls.ng), line);
    ck_assert_msg(strstr(out, want) != NULL, "want %s\ngot %s", want, out);

    ck_assert_int_eq(harness_nginx_config(ls.ng, MAF_SERVER(
                         "maf.example.net MAF.example.net")), 0);
    ck_assert_int_ne(harness_nginx_test(ls.ng, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "MAF-FQDN \"MAF.example.net\" is "
                                      "given twice in this server"));
    live_free(&ls, 0);
}
END_TEST

/* a MAF's keys are looked up in the server's table: one that expires them */
START_TEST(maf_needs_a_table)
{
    const char  *out;
    char         want[600];

    live_new(&ls, up, MAF_FRONT);
    ck_assert_int_eq(harness_nginx_write_file(ls.ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);

    ck_assert_int_eq(harness_nginx_config(ls.ng,
                         "server {\n"
                         "    listen 127.0.0.1:{{PORT}};\n"
                         "    onem2m_sae_maf maf.example.net;\n"
                         "}\n"), 0);
    ck_assert_int_ne(harness_nginx_test(ls.ng, &out), 0);
    snprintf(want, sizeof(want), "\"onem2m_sae_maf\" needs an "
             "\"onem2m_sae_psk_table\" in its server (MAF keys are looked "
             "up there) in %s:%d", harness_nginx_conf_path(ls.ng),
             harness_nginx_conf_line(ls.ng, "onem2m_sae_maf"));
    ck_assert_msg(strstr(out, want) != NULL, "want %s\ngot %s", want, out);

    /* a text table works, and nginx -t says its keys never expire */
    ck_assert_int_eq(harness_nginx_config(ls.ng,
                         "server {\n"
                         "    listen 127.0.0.1:{{PORT}} ssl;\n"
                         "    {{CERT}}\n"
                         "    ssl_ciphers " SAE_PSK_CIPHERS ";\n"
                         "    onem2m_sae_psk_table "
                         "kpsa:{{PREFIX}}/kpsa.table;\n"
                         "    onem2m_sae_maf maf.example.net;\n"
                         "}\n"), 0);
    ck_assert_msg(harness_nginx_test(ls.ng, &out) == 0, "%s", out);
    ck_assert_msg(strstr(out, "[warn]") != NULL
                  && strstr(out, "its entries carry no expirationTime, so "
                                 "MAF keys there never expire") != NULL,
                  "%s", out);

    /* the live store: no warning */
    ck_assert_int_eq(harness_nginx_config(ls.ng, MAF_FRONT), 0);
    ck_assert_msg(harness_nginx_test(ls.ng, &out) == 0, "%s", out);
    ck_assert_msg(strstr(out, "expirationTime") == NULL, "%s", out);
    live_free(&ls, 0);
}
END_TEST

Suite *maf_front_suite(void)
{
    return CK_SUITE("maf_front",
                    CK_TCASE_MS("front", live_setup, live_teardown, 30000),
                    CK_LOOP(maf_key_binds_until_expiration, 2),
                    CK_LOOP(keepalive_request_after_expiration_is_refused, 2),
                    CK_LOOP(ticket_after_expiration_does_not_bind, 3),
                    CK_LOOP(maf_key_binds_source_client_id, 2),
                    CK_LOOP(maf_fqdn_compares_without_case, 2),
                    CK_LOOP(unconfigured_maf_is_a_kpsa_id, 2),
                    CK_LOOP(malformed_key_identifier_is_refused, 2),
                    CK_LOOP(malformed_maf_fqdn_refused_at_test, 5),
                    CK_TEST(maf_needs_a_table));
}
