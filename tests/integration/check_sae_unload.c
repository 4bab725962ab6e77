/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A reload to a configuration without load_module: nginx dlclose()s the
 * module, whose TLS hook left ex_data free/dup callbacks in OpenSSL's
 * process-wide tables.  Unless the module stays mapped (linked NODELETE),
 * every later SSL_free jumps into unmapped code and the worker dies of
 * SIGSEGV.  Regression test for that crash.
 */

#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define TLS_REQUESTS_AFTER_UNLOAD  6

/* the same ssl listen, no module, no onem2m directive: a plain server */
#define PLAIN_CONF \
    SAE_PLAIN_HEAD \
    "    server {\n" \
    "        listen 127.0.0.1:{{PORT}} ssl;\n" \
    "        {{CERT}}\n" \
    "        ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "        location / { return 200 \"plain\\n\"; }\n" \
    "    }\n" \
    "}\n"

START_TEST(reload_without_the_module_keeps_tls_workers_alive)
{
    harness_upstream   *up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    harness_nginx      *ng;
    harness_tls_opts    o = sae_lock1(sae_versions[_i]);
    harness_tls_result  r;
    harness_response    resp;
    int                 i, rc;

    ck_assert_ptr_nonnull(up);
    ng = sae_start(up, SAE_SERVER);

    /* the hook runs (and registers its ex_data) on a bound request */
    sae_assert_bound(ng, up, &o, HARNESS_LOCK1_ENTITY, &r);
    harness_tls_result_free(&r);

    ck_assert_int_eq(harness_nginx_config_raw(ng, PLAIN_CONF), 0);
    ck_assert_int_eq(harness_nginx_reload(ng), 0);

    for (i = 0; i < TLS_REQUESTS_AFTER_UNLOAD; i++) {
        o = sae_cert_only(sae_versions[(_i + i) % 2]);
        rc = harness_tls_request(harness_nginx_port(ng, 0), &o, "GET",
                                 "/", NULL, NULL, &r, &resp);
        ck_assert_msg(rc == 0 && resp.status == 200,
                      "request %d after the unload failed; error log:\n%s",
                      i, harness_log(ng));
        ck_assert_str_eq(resp.body, "plain\n");
        harness_response_free(&resp);
        harness_tls_result_free(&r);
    }

    /*
     * The response is written before SSL_free, so the client alone cannot
     * see the crash: the master's log of its reaped workers does.  Stopping
     * makes the master reap every worker before it exits.
     */
    rc = harness_nginx_stop(ng);
    ck_assert_msg(!harness_log_contains(ng, "exited on signal"),
                  "a worker died after the module was unloaded:\n%s",
                  harness_log(ng));
    ck_assert_msg(rc == 0, "nginx did not stop cleanly; error log:\n%s",
                  harness_log(ng));
    /* the reload really dropped the module */
    ck_assert_int_eq(harness_nginx_conf_line(ng, "load_module"), -1);
    harness_nginx_free(ng);
    harness_upstream_stop(up);
}
END_TEST

Suite *sae_unload_suite(void)
{
    return CK_SUITE("sae_unload",
                    CK_TCASE_MS("unload", NULL, NULL, 30000),
                    CK_LOOP(reload_without_the_module_keeps_tls_workers_alive,
                            2));
}
