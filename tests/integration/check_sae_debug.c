/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Debug tracing with a real nginx: ONEM2M_SAE_DEBUG=file:PATH in nginx's
 * environment makes the provider (the table's open) and the TLS-PSK hook
 * (each decision: bound, unknown identity, wrong key) trace into PATH;
 * never a key, in any spelling.  Without the variable nothing is traced.
 * And the module's binding decisions at "error_log ... debug".
 */

#define _GNU_SOURCE                     /* memmem */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "integration/sae_fixture.h"

SAE_UPSTREAM_FIXTURE()

/* a whole small file, NUL-terminated, in buf; "" when there is none */
static const char *
read_small(const char *path, char *buf, size_t size)
{
    FILE    *f;
    size_t   n;

    buf[0] = '\0';
    f = fopen(path, "r");
    if (f != NULL) {
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

/* the lines of text that contain needle, cut to fit a failure message */
static const char *
lines_with(const char *text, const char *needle)
{
    static char  out[4096];
    const char  *bol, *eol;
    size_t       len, n;

    len = 0;
    out[0] = '\0';

    for (bol = text; *bol != '\0'; bol = *eol ? eol + 1 : eol) {
        eol = strchr(bol, '\n');
        if (eol == NULL) {
            eol = bol + strlen(bol);
        }
        n = (size_t) (eol - bol);
        if (memmem(bol, n, needle, strlen(needle)) != NULL
            && len + n + 2 < sizeof(out))
        {
            memcpy(out + len, bol, n);
            len += n;
            out[len++] = '\n';
            out[len] = '\0';
        }
    }
    return out;
}

/* nginx with the seed table serving http, ONEM2M_SAE_DEBUG set to debug */
static harness_nginx *
start_traced(const char *http, const char *debug)
{
    harness_nginx  *ng;
    char            value[1024];
    int             rc;

    ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    harness_nginx_set_upstream(ng, up);
    ck_assert_int_eq(harness_nginx_config(ng, http), 0);

    if (debug != NULL) {
        snprintf(value, sizeof(value), debug, harness_nginx_prefix(ng));
        ck_assert_int_eq(setenv("ONEM2M_SAE_DEBUG", value, 1), 0);
    } else {
        ck_assert_int_eq(unsetenv("ONEM2M_SAE_DEBUG"), 0);
    }

    rc = harness_nginx_start(ng);
    unsetenv("ONEM2M_SAE_DEBUG");
    ck_assert_msg(rc == 0, "nginx did not start; error log:\n%s",
                  harness_log(ng));
    return ng;
}

static void
connect_once(harness_nginx *ng, const harness_tls_opts *o)
{
    harness_tls_result  r;
    harness_response    resp;

    harness_tls_request(harness_nginx_port(ng, 0), o, "GET", "/", NULL,
                        NULL, &r, &resp);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}

/* lock 1 binds, lock 2 with a wrong key, an unknown identity */
static void
three_handshakes(harness_nginx *ng, int version)
{
    harness_tls_opts  o;

    o = sae_lock1(version);
    connect_once(ng, &o);
    o = sae_psk(version, HARNESS_LOCK2_KPSA_ID, SAE_WRONG_KEY);
    if (version == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
    }
    connect_once(ng, &o);
    o = sae_psk(version, "nobody@in.provider.com", SAE_LOCK1_KEY);
    connect_once(ng, &o);
}

static const char *const  traced[] = {
    /* the provider, in the master, opening the table */
    "onem2m_table_open_any: open kpsa:",
    ", text table, 2 entries",
    /* the hook: installed in the master, deciding in the worker */
    ": hook installed",
    "sae_report: ssl 0x",
    ": bound: identity \"" HARNESS_LOCK1_KPSA_ID "\", entity \""
        HARNESS_LOCK1_ENTITY "\"",
    ": wrong key: identity \"" HARNESS_LOCK2_KPSA_ID "\", entity \""
        HARNESS_LOCK2_ENTITY "\"",
    ": unknown identity: identity \"nobody@in.provider.com\"",
};

START_TEST(trace_names_decisions_never_keys)
{
    static char     trace[65536];
    char            path[1024];
    harness_nginx  *ng;
    size_t          i;

    ng = start_traced(SAE_SERVER, "file:%s/trace.log");
    three_handshakes(ng, sae_versions[_i]);
    ck_assert(harness_log_wait(ng, "unknown psk identity", 2000));

    snprintf(path, sizeof(path), "%s/trace.log", harness_nginx_prefix(ng));
    read_small(path, trace, sizeof(trace));

    for (i = 0; i < CK_N(traced); i++) {
        ck_assert_msg(strstr(trace, traced[i]) != NULL,
                      "no \"%s\" in the trace:\n%s", traced[i],
                      lines_with(trace, "onem2m-sae["));
    }

    sae_assert_no_key(trace, SAE_LOCK1_KEY, sizeof(SAE_LOCK1_KEY));
    sae_assert_no_key(trace, SAE_LOCK2_KEY, sizeof(SAE_LOCK2_KEY));
    sae_assert_no_key(trace, SAE_WRONG_KEY, sizeof(SAE_WRONG_KEY));

    sae_stop(ng);
}
END_TEST

/* no variable: no trace anywhere, stderr included */
START_TEST(no_trace_without_variable)
{
    static char     text[65536];
    char            path[1024];
    harness_nginx  *ng;

    ng = start_traced(SAE_SERVER, NULL);
    three_handshakes(ng, sae_versions[_i]);
    ck_assert(harness_log_wait(ng, "unknown psk identity", 2000));

    snprintf(path, sizeof(path), "%s/stderr.log", harness_nginx_prefix(ng));
    read_small(path, text, sizeof(text));
    ck_assert_msg(strstr(text, "onem2m-sae[") == NULL, "traced:\n%s",
                  lines_with(text, "onem2m-sae["));
    ck_assert_msg(strstr(harness_log(ng), "onem2m-sae[") == NULL,
                  "traced:\n%s", lines_with(harness_log(ng), "onem2m-sae["));

    sae_stop(ng);
}
END_TEST

/* the module's binding decisions at "error_log ... debug" */
START_TEST(binding_decisions_at_debug)
{
    static char        text[262144];
    char               path[1024];
    harness_nginx     *ng;
    harness_tls_opts   o;

    ng = start_traced("    error_log {{PREFIX}}/debug.log debug;\n"
                      SAE_SERVER, NULL);
    o = sae_lock1(sae_versions[_i]);
    connect_once(ng, &o);

    snprintf(path, sizeof(path), "%s/debug.log", harness_nginx_prefix(ng));
    read_small(path, text, sizeof(text));
    ck_assert_msg(strstr(text, "onem2m sae: bound to \"" HARNESS_LOCK1_ENTITY
                               "\" by psk identity \""
                               HARNESS_LOCK1_KPSA_ID "\"") != NULL,
                  "no binding decision in:\n%s",
                  lines_with(text, "onem2m"));
    ck_assert_msg(strstr(text, "onem2m sae: identity header \""
                               SAE_ENTITY_HEADER ": " HARNESS_LOCK1_ENTITY
                               "\"") != NULL,
                  "no identity header in:\n%s",
                  lines_with(text, "onem2m"));

    sae_stop(ng);
}
END_TEST

Suite *sae_debug_suite(void)
{
    return CK_SUITE("sae_debug",
                    CK_TCASE_MS("trace", setup, teardown, 30000),
                    CK_LOOP(trace_names_decisions_never_keys, SAE_NVERSIONS),
                    CK_LOOP(no_trace_without_variable, SAE_NVERSIONS),
                    CK_LOOP(binding_decisions_at_debug, SAE_NVERSIONS));
}
