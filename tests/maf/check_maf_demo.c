/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "make run-maf" (conf/run-maf-demo) as an operator runs it: it starts,
 * the Key Identifier and Kc it prints open a TLS-PSK connection to the
 * IN-CSE front end that binds the phone's AE-ID (the stand-in echoes it),
 * another X-M2M-Origin gets 403/4106, and Ctrl-C stops it all, its
 * temporary directory gone.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <check.h>

#include "check_cases.h"
#include "common/demo.h"
#include "common/harness.h"

#define IN_CSE  1

static demo_t  demo = {
    .script = TOP_SRCDIR "/conf/run-maf-demo",
    .nports = 3,
    .port_env = { "MAF_PORT", "IN_CSE_PORT", "STAND_IN_PORT" },
};

static void setup(void) { demo_setup(&demo, "maf-demo"); }
static void teardown(void) { demo_teardown(&demo); }

static void
printed(const char *name, char *buf, size_t len)
{
    const char  *p = strstr(demo.out, name);
    size_t       n;

    ck_assert_msg(p != NULL, "no \"%s\" in:\n%s", name, demo.out);
    p += strlen(name);
    p += strspn(p, " ");
    n = strcspn(p, "\n");
    ck_assert_uint_lt(n, len);
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static void
in_cse(const char *kid, const unsigned char *kc, const char *origin,
    harness_response *resp)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    char                hdr[128];

    memset(&o, 0, sizeof(o));
    o.version = TLS1_2_VERSION;
    o.identity = kid;
    o.key = kc;
    o.key_len = 32;
    snprintf(hdr, sizeof(hdr), "X-M2M-Origin: %s\r\nX-M2M-RI: 1\r\n",
             origin);
    ck_assert_int_eq(harness_tls_request(demo.port[IN_CSE], &o, "GET",
                                         "/~/in-cse", hdr, NULL, &r, resp),
                     0);
    harness_tls_result_free(&r);
}

START_TEST(phone_key_binds_at_the_in_cse)
{
    char              kid[128], kc_hex[80];
    unsigned char     kc[32];
    harness_response  resp;
    int               status;

    demo_start(&demo);
    printed("Key Identifier:", kid, sizeof(kid));
    printed("Kc:", kc_hex, sizeof(kc_hex));
    ck_assert_int_eq(harness_unhex(kc_hex, kc, sizeof(kc)), 32);
    ck_assert_ptr_nonnull(strstr(kid, "@maf.example.net"));

    in_cse(kid, kc, "Cphone-AE1", &resp);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(demo_echoed_header(resp.body, "X-Onem2m-Sae-Entity"),
                     "Cphone-AE1");
    harness_response_free(&resp);

    in_cse(kid, kc, "Cother-AE", &resp);
    ck_assert_int_eq(resp.status, 403);
    ck_assert_str_eq(harness_resp_header(&resp, "X-M2M-RSC"), "4106");
    harness_response_free(&resp);

    /* Ctrl-C: everything stops */
    kill(-demo.pgid, SIGINT);
    ck_assert_int_eq(demo_wait_exit(&demo, harness_timeout_ms(30000),
                                    &status), 0);
    ck_assert_int_eq(status, 0);
    demo_assert_port_free(demo.port[0]);
    demo_assert_port_free(demo.port[IN_CSE]);
}
END_TEST

Suite *maf_demo_suite(void)
{
    return CK_SUITE("maf_demo",
                    CK_TCASE_MS("run-maf-demo", setup, teardown, 120000),
                    CK_TEST(phone_key_binds_at_the_in_cse));
}
