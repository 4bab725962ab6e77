/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Servers without SAE behave exactly as without the module, although
 * the hook goes on every ssl server of an http block that does SAE, and
 * sets the context's ClientHello callback, where nginx 1.29.2 and later
 * select the virtual server.  The same non-SAE servers ("ssl_reject_
 * handshake", an SNI-selected RSA certificate, "ssl_protocols TLSv1.2"
 * only) are probed behind a plain default server in an nginx without the
 * module, and behind an SAE default server with the module: every probe
 * must come out the same, whatever the nginx version does.
 */

#include <stdio.h>
#include <stdlib.h>
#include <check.h>

#include "integration/sae_fixture.h"

/* the servers without SAE */
#define NEIGHBOURS \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    server_name reject.example;\n" \
    "    ssl_reject_handshake on;\n" \
    "}\n" \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    server_name rsa.example;\n" \
    "    ssl_certificate {{PREFIX}}/rsa.pem;\n" \
    "    ssl_certificate_key {{PREFIX}}/rsa.key;\n" \
    "    location / { return 200 rsa; }\n" \
    "}\n" \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    server_name old.example;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2;\n" \
    "    location / { return 200 old; }\n" \
    "}\n"

/* TLS 1.2 suites come from the default server's list */
#define DEFAULT_TLS \
    "    listen 127.0.0.1:{{PORT}} ssl default_server;\n" \
    "    server_name a.example;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ":ECDHE-ECDSA-AES128-GCM-SHA256:" \
    "ECDHE-RSA-AES128-GCM-SHA256;\n"

/* no module, no onem2m directive */
#define PLAIN_CONF \
    SAE_PLAIN_HEAD \
    "server {\n" \
    DEFAULT_TLS \
    "    location / { return 200 a; }\n" \
    "}\n" \
    NEIGHBOURS \
    "}\n"

/* the same, plus the module and an SAE default server */
#define SAE_CONF \
    "load_module {{MODULE}};\n" \
    SAE_PLAIN_HEAD \
    "    onem2m_sae_provider_path {{PROVIDER_DIR}};\n" \
    "server {\n" \
    DEFAULT_TLS \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n" \
    NEIGHBOURS \
    "}\n"

typedef struct {
    const char  *sni;
    int          version;       /* 0: TLS 1.2 or 1.3 */
    const char  *ciphers;       /* TLS 1.2 list */
} probe;

static const probe  probes[] = {
    { "reject.example", 0, NULL },
    { "reject.example", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256" },
    /* only the RSA certificate of rsa.example can do this one */
    { "rsa.example", TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256" },
    { "rsa.example", TLS1_3_VERSION, NULL },
    /* nginx >= 1.29.2 applies its ssl_protocols before negotiating */
    { "old.example", 0, "ECDHE-ECDSA-AES128-GCM-SHA256" },
    { "a.example", 0, "ECDHE-ECDSA-AES128-GCM-SHA256" },
};

#define NPROBES  (CK_N(probes))

typedef struct {
    int   handshake_ok;
    int   version;
    int   alert;
    int   status;
    char  body[16];
} outcome;

static void
run_probes(harness_nginx *ng, outcome *out)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;
    char                host[64];
    size_t              i;

    for (i = 0; i < NPROBES; i++) {
        snprintf(host, sizeof(host), "Host: %s\r\n", probes[i].sni);
        memset(&o, 0, sizeof(o));
        memset(&out[i], 0, sizeof(out[i]));
        o.sni = probes[i].sni;
        o.version = probes[i].version;
        o.ciphers = probes[i].ciphers ? probes[i].ciphers
                                      : "ECDHE-ECDSA-AES128-GCM-SHA256";
        if (harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/",
                                host, NULL, &r, &resp) == 0)
        {
            out[i].status = resp.status;
            snprintf(out[i].body, sizeof(out[i].body), "%s",
                     resp.body ? resp.body : "");
        }
        out[i].handshake_ok = r.handshake_ok;
        out[i].version = r.version;
        out[i].alert = r.alert;
        harness_response_free(&resp);
        harness_tls_result_free(&r);
    }
}

static void
write_rsa_cert(harness_nginx *ng)
{
    char  cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
             "-subj /CN=rsa.example -keyout %s/rsa.key -out %s/rsa.pem "
             ">/dev/null 2>&1",
             harness_nginx_prefix(ng), harness_nginx_prefix(ng));
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(non_sae_servers_behave_as_without_the_module)
{
    harness_upstream  *up;
    harness_nginx     *plain, *sae;
    outcome            without[NPROBES], with[NPROBES];
    size_t             i;

    plain = harness_nginx_new();
    ck_assert_ptr_nonnull(plain);
    write_rsa_cert(plain);
    ck_assert_int_eq(harness_nginx_config_raw(plain, PLAIN_CONF), 0);
    ck_assert_msg(harness_nginx_start(plain) == 0, "%s", harness_log(plain));
    run_probes(plain, without);
    sae_stop(plain);

    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    sae = harness_nginx_new();
    ck_assert_ptr_nonnull(sae);
    write_rsa_cert(sae);
    ck_assert_int_eq(harness_nginx_write_file(sae, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    harness_nginx_set_upstream(sae, up);
    ck_assert_int_eq(harness_nginx_config_raw(sae, SAE_CONF), 0);
    ck_assert_msg(harness_nginx_start(sae) == 0, "%s", harness_log(sae));
    run_probes(sae, with);
    sae_stop(sae);
    harness_upstream_stop(up);

    /* what any nginx does, module or not */
    ck_assert_int_eq(without[0].handshake_ok, 0);
    ck_assert_int_eq(without[2].handshake_ok, 1);
    ck_assert_str_eq(without[2].body, "rsa");

    for (i = 0; i < NPROBES; i++) {
        ck_assert_msg(with[i].handshake_ok == without[i].handshake_ok
                      && with[i].version == without[i].version
                      && with[i].alert == without[i].alert,
                      "probe %zu (SNI %s): handshake %d version %#x alert %d "
                      "with the module, %d %#x %d without",
                      i, probes[i].sni, with[i].handshake_ok,
                      with[i].version, with[i].alert,
                      without[i].handshake_ok, without[i].version,
                      without[i].alert);
        /* the SAE default server itself answers 4107 to certificates */
        if (i != NPROBES - 1) {
            ck_assert_int_eq(with[i].status, without[i].status);
            ck_assert_str_eq(with[i].body, without[i].body);
        }
    }
}
END_TEST

Suite *sae_neighbours_suite(void)
{
    return CK_SUITE("sae_neighbours",
                    CK_TCASE_MS("neighbours", NULL, NULL, 30000),
                    CK_TEST(non_sae_servers_behave_as_without_the_module));
}
