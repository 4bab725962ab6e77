/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Debian example site, conf/debian/onem2m-door-lock, as shipped: only
 * its port, paths and CSE are replaced (each exactly once, so a changed
 * site fails here rather than going untested).  On every nginx and
 * OpenSSL of the matrix a lock offering any one of its TLS 1.2 suites
 * alone binds, CCM8 included (OpenSSL >= 3.2 needs the site's
 * "@SECLEVEL=0" for it), through our client and through gnutls-cli, and
 * nginx does not warn that CCM8 will not be negotiated.
 * conf/nginx-door-lock.conf ("make run") is the run_demo suite's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define SITE  TOP_SRCDIR "/conf/debian/onem2m-door-lock"

#define REQUEST_HEADERS  "X-M2M-Origin: Clock-AE1\r\nX-M2M-RI: door-1\r\n"

static harness_upstream  *up;
static harness_nginx     *ng;

/* what the test replaces in the site, and with what */
static const struct {
    const char  *from;
    const char  *to;
} site_edits[] = {
    { "    listen 8443 ssl;", "    listen 127.0.0.1:{{PORT}} ssl;" },
    { "/var/log/nginx/onem2m-access.log", "{{PREFIX}}/access.log" },
    { "ssl_certificate /etc/nginx/onem2m/cert.pem;",
      "ssl_certificate {{PREFIX}}/cert.pem;" },
    { "ssl_certificate_key /etc/nginx/onem2m/key.pem;",
      "ssl_certificate_key {{PREFIX}}/cert.key;" },
    { "kpsa:/etc/nginx/onem2m/kpsa.table", "kpsa:{{PREFIX}}/kpsa.table" },
    { "proxy_pass http://127.0.0.1:8080;",
      "proxy_pass http://127.0.0.1:{{UPSTREAM}};" },
};

/* the site as an http-level template; the caller frees it */
static char *
site_template(void)
{
    FILE    *f;
    char    *text, *out, *p;
    size_t   len, i, n;

    f = fopen(SITE, "r");
    ck_assert_msg(f != NULL, "cannot open %s", SITE);
    text = calloc(1, 65536);
    out = calloc(1, 65536 + 1024);
    ck_assert(text != NULL && out != NULL);
    len = fread(text, 1, 65535, f);
    fclose(f);
    ck_assert_uint_gt(len, 0);

    for (i = 0; i < sizeof(site_edits) / sizeof(site_edits[0]); i++) {
        p = strstr(text, site_edits[i].from);
        ck_assert_msg(p != NULL && strstr(p + 1, site_edits[i].from) == NULL,
                      "%s: \"%s\" not there exactly once", SITE,
                      site_edits[i].from);
        n = (size_t) (p - text);
        snprintf(out, 65536 + 1024, "%.*s%s%s", (int) n, text,
                 site_edits[i].to, p + strlen(site_edits[i].from));
        ck_assert_uint_lt(strlen(out), 65535);
        strcpy(text, out);
    }

    free(out);
    return text;
}

static void
setup(void)
{
    char  *site = site_template();

    up = sae_upstream_start(HARNESS_UPSTREAM_HTTP);
    ng = sae_start(up, site);
    free(site);
}

static void
teardown(void)
{
    sae_fixture_stop(&up, NULL, &ng);
}

/* the upstream saw one request, of lock 1 */
static void
assert_lock1_upstream(void)
{
    ck_assert_uint_eq(harness_upstream_count(up), 1);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
}

START_TEST(each_suite_alone_binds)
{
    const char          *suite = sae_door_lock_suites[_i];
    harness_tls_opts     o = sae_lock1(TLS1_2_VERSION);
    harness_tls_result   r;
    harness_response     resp;

    o.ciphers = suite;
    sae_request(ng, &o, "GET", "/~/mn-cse-123456", REQUEST_HEADERS, NULL,
                &r, &resp);
    ck_assert_msg(strcmp(r.cipher, suite) == 0, "%s: negotiated %s", suite,
                  r.cipher);
    ck_assert_msg(resp.status == 200, "%s: status %d", suite, resp.status);
    assert_lock1_upstream();
    ck_assert_msg(harness_log_count(ng, SAE_CCM8_WARNING) == 0,
                  "nginx warns about CCM8:\n%s", harness_log(ng));
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST

/* GnuTLS's PSK client with the CCM suites alone */
static const struct {
    const char  *priority;
    const char  *says;
} gnutls_ccm[] = {
    { "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:"
      "+AES-128-CCM:-MAC-ALL:+AEAD", "(PSK)-(AES-128-CCM)" },
    { "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:"
      "+AES-128-CCM-8:-MAC-ALL:+AEAD", "(PSK)-(AES-128-CCM-8)" },
};

START_TEST(gnutls_ccm_binds)
{
    char  port[16], prio[128], *out = NULL;
    char *argv[] = {
        "gnutls-cli", "--port", port, "--priority", prio,
        "--pskusername", HARNESS_LOCK1_KPSA_ID,
        "--pskkey", HARNESS_LOCK1_KEY_HEX, "--insecure", "127.0.0.1", NULL
    };

    snprintf(port, sizeof(port), "%d", harness_nginx_port(ng, 0));
    snprintf(prio, sizeof(prio), "%s", gnutls_ccm[_i].priority);
    harness_run(argv,
                "GET /~/mn-cse-123456 HTTP/1.1\r\nHost: mn-cse-123456\r\n"
                REQUEST_HEADERS "Connection: close\r\n\r\n",
                harness_timeout_ms(10000), &out);
    ck_assert_msg(strstr(out, gnutls_ccm[_i].says) != NULL,
                  "no \"%s\":\n%s", gnutls_ccm[_i].says, out);
    ck_assert_msg(strstr(out, "HTTP/1.1 200") != NULL, "output:\n%s", out);
    assert_lock1_upstream();
    free(out);
}
END_TEST

Suite *sae_door_lock_suite(void)
{
    return CK_SUITE("sae_door_lock",
                    CK_TCASE_MS("debian_site", setup, teardown, 30000),
                    CK_LOOP(each_suite_alone_binds, SAE_DOOR_LOCK_NSUITES),
                    CK_LOOP(gnutls_ccm_binds, CK_N(gnutls_ccm)));
}
