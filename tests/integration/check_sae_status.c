/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Live counters (onem2m_sae_status): a scripted sequence of handshakes and
 * requests against nginx with 2 workers gives exact counts per server in
 * the Prometheus text format, whichever worker serves the status request;
 * a reload keeps counting (a new label starts at zero, a label that goes
 * is no longer served); and the configuration errors.
 *
 * "listen ... reuseport" spreads the connections over both workers (the
 * kernel hashes each connection's addresses): the test checks that both
 * served bound handshakes, so counts kept per worker could not pass.
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define LOCK1        HARNESS_LOCK1_KPSA_ID
#define LOCK2        HARNESS_LOCK2_KPSA_ID
#define SP_DOMAIN    "m2m.sp.com"
#define GATEWAY_ID   "mn-cse-123456"
#define DOOR_AE_ID   "//" SP_DOMAIN "/" GATEWAY_ID "/Cdoor-AE1"

#define CIPHERS      SAE_PSK_CIPHERS ":ECDHE-ECDSA-AES128-SHA256"

/* the gateway: PSK and certificates, originator checks under /cse */
#define SERVER_A \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl reuseport;\n" \
    "    server_name gw.example.com gw2.example.com;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " CIPHERS ";\n" \
    "    ssl_session_cache shared:SAE:1m;\n" \
    "    ssl_session_tickets off;\n" \
    "    ssl_verify_client optional;\n" \
    "    ssl_client_certificate {{PREFIX}}/pki/ca.pem;\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    onem2m_sae_sp_domain " SP_DOMAIN ";\n" \
    "    onem2m_sae_cse_id " GATEWAY_ID ";\n" \
    "    onem2m_sae_sp_id " SP_DOMAIN ";\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "    location /cse {\n" \
    "        onem2m_sae_originator check;\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "    }\n" \
    "}\n"

/* a labelled SAE server that serves the counters */
#define SERVER_B(label) \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT1}} ssl reuseport;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " CIPHERS ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    onem2m_sae_status_label " label ";\n" \
    "    location = /metrics { onem2m_sae off; onem2m_sae_status; }\n" \
    "    location / { return 204; }\n" \
    "}\n"

/* added by the reload: a name-based server on B's port (B's options) */
#define SERVER_C \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT1}} ssl;\n" \
    "    server_name c.example.com;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " CIPHERS ";\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    location / { return 204; }\n" \
    "}\n"

/* "door \"locks\"\\1" in nginx.conf is the label door "locks"\1 */
#define B_LABEL_CONF     "\"door \\\"locks\\\"\\\\1\""
#define B_LABEL_METRICS  "door \\\"locks\\\"\\\\1"

static harness_upstream  *up;
static harness_nginx     *ng;
static char               pki[512];

/* counters of one server in the order of the output */
typedef struct {
    unsigned  psk, cert, resumed, unknown, wrong_key, malformed, refused;
    unsigned  a4000, a4106, a4107;
} counts;

/* the families of the output, in order, over the fields of counts */
static const struct {
    const char  *name;
    const char  *help;
    const char  *key;
    const char  *values[7];
    size_t       first;          /* index of the first field in counts */
} families[] = {
    { "onem2m_sae_handshakes_total",
      "TLS handshakes and bindings of SAE servers, by result.", "result",
      { "psk", "cert", "resumed", "unknown_identity", "wrong_key",
        "malformed_identity", "resumption_refused" }, 0 },
    { "onem2m_sae_answers_total",
      "oneM2M error answers of the gateway itself, by response status "
      "code.", "rsc", { "4000", "4106", "4107" }, 7 },
};

/* the whole body the handler must serve for these servers */
static char *
expected(const char **labels, const counts *c, size_t n)
{
    static char  out[16384];
    size_t       used = 0, f, s, i;

    for (f = 0; f < 2; f++) {
        used += snprintf(out + used, sizeof(out) - used,
                         "# HELP %s %s\n# TYPE %s counter\n",
                         families[f].name, families[f].help,
                         families[f].name);
        for (i = 0; i < 7 && families[f].values[i] != NULL; i++) {
            for (s = 0; s < n; s++) {
                used += snprintf(out + used, sizeof(out) - used,
                                 "%s{server=\"%s\",%s=\"%s\"} %u\n",
                                 families[f].name, labels[s],
                                 families[f].key, families[f].values[i],
                                 (&c[s].psk)[families[f].first + i]);
            }
        }
    }
    return out;
}

/* GET /metrics from server B; a handshake without PSK counts nothing */
static void
assert_metrics(const char *want)
{
    harness_tls_opts    o = sae_cert_only(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    const char         *ct;
    int                 i;

    /* several times: any worker may answer */
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 1), &o,
                                             "GET", "/metrics", NULL, NULL,
                                             &r, &resp), 0);
        ck_assert_int_eq(resp.status, 200);
        ct = harness_resp_header(&resp, "Content-Type");
        ck_assert_ptr_nonnull(ct);
        ck_assert_str_eq(ct, "text/plain; version=0.0.4; charset=utf-8");
        ck_assert_msg(strcmp(resp.body, want) == 0,
                      "metrics:\n%.1800s\nexpected:\n%.1800s", resp.body,
                      want);
        harness_response_free(&resp);
        harness_tls_result_free(&r);
    }
}

/* a PSK connection to port i with one request; returns the status */
static int
psk(int i, int version, const char *identity, const unsigned char *key,
    const char *uri, const char *headers, SSL_SESSION **session)
{
    harness_tls_opts    o = sae_psk(version, identity, key);
    harness_tls_result  r;
    harness_response    resp;
    int                 status;

    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
        o.no_ticket = 1;
    }
    if (session != NULL) {
        o.resume = *session;
    }
    harness_tls_request(harness_nginx_port(ng, i), &o, "GET", uri, headers,
                        NULL, &r, &resp);
    status = resp.status;
    if (session != NULL && r.session != NULL) {
        SSL_SESSION_free(*session);
        *session = r.session;
        r.session = NULL;
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    return status;
}

/* a TLS 1.2 client with the AE certificate of the PKI; the status */
static int
cert_get(int port)
{
    harness_tls_opts    o = sae_cert_only(TLS1_2_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    char                cert[600], key[600];
    int                 status;

    snprintf(cert, sizeof(cert), "%s/door.pem", pki);
    snprintf(key, sizeof(key), "%s/door.key", pki);
    o.ciphers = "ECDHE-ECDSA-AES128-SHA256";
    o.cert_file = cert;
    o.key_file = key;
    ck_assert_int_eq(harness_tls_request(port, &o, "GET", "/", NULL, NULL,
                                         &r, &resp), 0);
    status = resp.status;
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    return status;
}


/* the pids of the workers that logged a PSK binding */
static size_t
binding_workers(void)
{
    const char  *log = harness_log(ng), *p = log, *bol;
    int          pids[2] = { 0, 0 }, pid;
    size_t       n = 0;

    while ((p = strstr(p, "\" bound to \"")) != NULL) {
        for (bol = p; bol > log && bol[-1] != '\n'; bol--) {
            /* start of the line */
        }
        if (sscanf(bol, "%*s %*s [info] %d#", &pid) == 1
            && pid != pids[0] && pid != pids[1] && n < 2)
        {
            pids[n++] = pid;
        }
        p++;
    }
    return n;
}

static void
start_with(const char *http)
{
    char  *argv[6], *out = NULL;
    int    rc;

    ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ng);
    snprintf(pki, sizeof(pki), "%s/pki", harness_nginx_prefix(ng));
    argv[0] = TOP_SRCDIR "/conf/onem2m-cert";
    argv[1] = "ca";
    argv[2] = pki;
    argv[3] = SP_DOMAIN;
    argv[4] = NULL;
    rc = harness_run(argv, NULL, harness_timeout_ms(20000), &out);
    ck_assert_msg(rc == 0, "onem2m-cert ca: %s", out ? out : "");
    free(out);
    out = NULL;
    argv[1] = "ae";
    argv[3] = "door";
    argv[4] = DOOR_AE_ID;
    argv[5] = NULL;
    rc = harness_run(argv, NULL, harness_timeout_ms(20000), &out);
    ck_assert_msg(rc == 0, "onem2m-cert ae: %s", out ? out : "");
    free(out);

    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    harness_nginx_set_upstream(ng, up);
    harness_nginx_set_workers(ng, 2);
    ck_assert_int_eq(harness_nginx_config(ng, http), 0);
    rc = harness_nginx_start(ng);
    ck_assert_msg(rc == 0, "nginx did not start:\n%.3000s", harness_log(ng));
}

START_TEST(exact_counts_across_workers_and_reloads)
{
    SSL_SESSION  *s1 = NULL;
    counts        c[3];
    const char   *labels[3];
    long long     deadline;
    int           i;

    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    start_with(SERVER_A SERVER_B(B_LABEL_CONF));
    /* both workers up, so that either can take a connection */
    deadline = harness_deadline_ms(4000);
    while (harness_log_count(ng, "start worker process ") < 2
           && harness_now_ms() < deadline)
    {
        usleep(10000);
    }
    ck_assert_uint_eq(harness_log_count(ng, "start worker process "), 2);

    labels[0] = "gw.example.com";
    labels[1] = B_LABEL_METRICS;
    memset(c, 0, sizeof(c));
    assert_metrics(expected(labels, c, 2));

    /* bound by PSK, then refused by the originator checks */
    ck_assert_int_eq(psk(0, TLS1_2_VERSION, LOCK1, SAE_LOCK1_KEY, "/",
                         NULL, &s1), 200);
    ck_assert_int_eq(psk(0, TLS1_3_VERSION, LOCK2, SAE_LOCK2_KEY, "/",
                         NULL, NULL), 200);
    ck_assert_int_eq(psk(0, TLS1_3_VERSION, LOCK1, SAE_LOCK1_KEY, "/cse",
                         "X-M2M-Origin: Clock-AE2\r\n", NULL), 403);
    ck_assert_int_eq(psk(0, TLS1_2_VERSION, LOCK1, SAE_LOCK1_KEY, "/cse",
                         "X-M2M-Origin: Clock\x01-AE1\r\n", NULL), 400);
    c[0].psk = 4;
    c[0].a4106 = 1;
    c[0].a4000 = 1;

    /* failed handshakes */
    psk(0, TLS1_2_VERSION, "nobody@in.provider.com", SAE_LOCK1_KEY, "/",
        NULL, NULL);
    psk(0, TLS1_3_VERSION, "nobody@in.provider.com", SAE_LOCK1_KEY, "/",
        NULL, NULL);
    psk(0, TLS1_2_VERSION, LOCK2, SAE_WRONG_KEY, "/", NULL, NULL);
    psk(0, TLS1_3_VERSION, LOCK2, SAE_WRONG_KEY, "/", NULL, NULL);
    psk(0, TLS1_3_VERSION, "bad id@in.provider.com", SAE_LOCK1_KEY, "/",
        NULL, NULL);
    c[0].unknown = 2;
    c[0].wrong_key = 2;
    c[0].malformed = 1;

    /* no association at all: 4107; a certificate binds */
    {
        harness_tls_opts    o = sae_cert_only(TLS1_3_VERSION);
        harness_tls_result  r;
        harness_response    resp;

        ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o,
                                             "GET", "/", NULL, NULL, &r,
                                             &resp), 0);
        sae_assert_4107(&resp);
        harness_response_free(&resp);
        harness_tls_result_free(&r);
    }
    ck_assert_int_eq(cert_get(harness_nginx_port(ng, 0)), 200);
    c[0].a4107 = 1;
    c[0].cert = 1;

    /* lock 1 resumes its TLS 1.2 session */
    ck_assert_int_eq(psk(0, TLS1_2_VERSION, LOCK1, SAE_LOCK1_KEY, "/",
                         NULL, &s1), 200);
    c[0].resumed = 1;

    /* server B: 16 locks, so that both workers see some */
    for (i = 0; i < 16; i++) {
        ck_assert_int_eq(psk(1, i % 2 ? TLS1_3_VERSION : TLS1_2_VERSION,
                             LOCK2, SAE_LOCK2_KEY, "/", NULL, NULL), 204);
    }
    c[1].psk = 16;

    assert_metrics(expected(labels, c, 2));
    ck_assert_uint_eq(binding_workers(), 2);

    /*
     * Reload: lock 1 leaves the table, B gets another label, C is added.
     * A keeps counting; "door-2" and C start at zero; B's old label is
     * no longer served.
     */
    harness_nginx_write_file(ng, "kpsa.table",
                             HARNESS_LOCK2_ENTITY " " HARNESS_LOCK2_KEY_HEX
                             " " LOCK2 "\n", 0600);
    ck_assert_int_eq(harness_nginx_config(ng, SERVER_A SERVER_B("door-2")
                                              SERVER_C), 0);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);

    ck_assert_int_eq(psk(0, TLS1_2_VERSION, LOCK1, SAE_LOCK1_KEY, "/",
                         NULL, &s1), 403);
    ck_assert_int_eq(psk(0, TLS1_3_VERSION, LOCK2, SAE_LOCK2_KEY, "/",
                         NULL, NULL), 200);
    c[0].refused = 1;
    c[0].a4107 = 2;
    c[0].psk = 5;

    labels[1] = "door-2";
    labels[2] = "c.example.com";
    memset(&c[1], 0, sizeof(c[1]));
    memset(&c[2], 0, sizeof(c[2]));
    assert_metrics(expected(labels, c, 3));

    /* the old label comes back: its counts were kept */
    ck_assert_int_eq(harness_nginx_config(ng, SERVER_A
                                              SERVER_B(B_LABEL_CONF)), 0);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);
    labels[1] = B_LABEL_METRICS;
    c[1].psk = 16;
    assert_metrics(expected(labels, c, 2));

    SSL_SESSION_free(s1);
    sae_stop(ng);
    harness_upstream_stop(up);
}
END_TEST

/* without a status location nothing is counted, and no zone is made */
START_TEST(no_status_location_no_zone)
{
    harness_nginx  *n = harness_nginx_new();
    const char     *out;

    harness_nginx_write_file(n, "kpsa.table", HARNESS_SEED_TABLE, 0600);
    /* the zone's name is free for others when no location counts */
    harness_nginx_config(n, "limit_req_zone $binary_remote_addr "
                         "zone=onem2m_sae_status:1m rate=1r/s;\n"
                         SAE_SERVER);
    ck_assert_msg(harness_nginx_test(n, &out) == 0, "%s", out);

    /* and taken when one does */
    sae_assert_refused(n, "limit_req_zone $binary_remote_addr "
                       "zone=onem2m_sae_status:1m rate=1r/s;\n"
                       "server {\n" SAE_TLS
                       "    location / { onem2m_sae off; "
                       "onem2m_sae_status; }\n"
                       "}\n",
                       "the shared memory zone \"onem2m_sae_status\" is "
                       "already declared for a different use");
    harness_nginx_free(n);
}
END_TEST

/* "nginx -t" of an SAE server with inner lines must fail with message */
static void
assert_refused(harness_nginx *n, const char *inner, const char *message)
{
    char  conf[2048];

    snprintf(conf, sizeof(conf), "server {\n" SAE_TLS "%s}\n", inner);
    sae_assert_refused(n, conf, message);
}

START_TEST(bad_configurations_refused)
{
    static const struct {
        const char  *inner;
        const char  *message;
    } bad[] = {
        { "    location / { onem2m_sae_status on; }\n",
          "invalid number of arguments in \"onem2m_sae_status\"" },
        { "    onem2m_sae_status;\n",
          "\"onem2m_sae_status\" directive is not allowed here" },
        { "    location / { onem2m_sae_status_label x; }\n",
          "\"onem2m_sae_status_label\" directive is not allowed here" },
        { "    onem2m_sae_status_label x;\n    onem2m_sae_status_label y;\n",
          "\"onem2m_sae_status_label\" directive is duplicate" },
        { "    onem2m_sae_status_label \"\";\n",
          "\"onem2m_sae_status_label\" needs a label of 1 to 255 bytes" },
        { "    onem2m_sae_status_label \"a\tb\";\n",
          "control character in the label of \"onem2m_sae_status_label\"" },
    };
    harness_nginx  *n = harness_nginx_new();
    char            inner[600], name[300];
    size_t          i;

    harness_nginx_write_file(n, "kpsa.table", HARNESS_SEED_TABLE, 0600);

    for (i = 0; i < CK_N(bad); i++) {
        assert_refused(n, bad[i].inner, bad[i].message);
    }

    /* a server name too long for a label */
    memset(name, 'a', 256);
    name[256] = '\0';
    snprintf(inner, sizeof(inner),
             "    server_name %s;\n"
             "    location / { onem2m_sae off; onem2m_sae_status; }\n",
             name);
    assert_refused(n, inner, "is longer than 255 bytes for "
                   "\"onem2m_sae_status\": set \"onem2m_sae_status_label\"");

    harness_nginx_free(n);
}
END_TEST

Suite *sae_status_suite(void)
{
    return CK_SUITE("sae_status",
                    CK_TCASE_MS("status", NULL, NULL, 30000),
                    CK_TEST(exact_counts_across_workers_and_reloads),
                    CK_TEST(no_status_location_no_zone),
                    CK_TEST(bad_configurations_refused));
}
