/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The originator module's configuration, through "nginx -t" of the real
 * /usr/sbin/nginx with the module: each refusal names its directive's
 * file:line; the accepted forms are accepted.  And which locations
 * "onem2m_sae_originator" puts checks on, so which must meet its needs:
 * every kind nginx has (nested, named, regex, exact, "if" blocks), noted
 * before nginx builds its location trees, the first in the order nginx
 * merges them named in the error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "integration/originator_fixture.h"

/* ------------------------------------------------------------------ */
/* nginx -t                                                           */

/*
 * nginx -t on one server block; checks the exit status and that stderr
 * has the message and "<nginx.conf>:<line of the needle>".
 */
/*
 * A prefix with the gateway's table and "server" as its http{} block,
 * and "nginx -t" on it: its status; its output in *out.
 */
static harness_nginx *
conf_tested(const char *server, int *rc, const char **out)
{
    harness_nginx  *ng;

    ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table", GW_TABLE,
                                              0600), 0);
    ck_assert_int_eq(harness_nginx_config(ng, server), 0);

    *out = NULL;
    *rc = harness_nginx_test(ng, out);
    return ng;
}


/* "nginx -t" accepts "server", saying "[warn]" only if "warn" */
static void
expect_conf_ok(const char *server, int warn)
{
    harness_nginx  *ng;
    const char     *out;
    int             rc;

    ng = conf_tested(server, &rc, &out);
    ck_assert_msg(rc == 0, "nginx -t said: %s", out ? out : "");
    if (!warn) {
        ck_assert_msg(strstr(out, "[warn]") == NULL, "nginx -t said: %s",
                      out);
    }
    harness_nginx_free(ng);
}


static void
expect_conf_error(const char *server, const char *message,
    const char *line_needle)
{
    harness_nginx  *ng;
    const char     *out;
    char            where[1024];
    int             line, rc;

    ng = conf_tested(server, &rc, &out);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(strstr(out, message) != NULL, "nginx -t said: %s", out);

    if (line_needle != NULL) {
        line = harness_nginx_conf_line(ng, line_needle);
        ck_assert_int_gt(line, 0);
        snprintf(where, sizeof(where), "%s:%d", harness_nginx_conf_path(ng),
                 line);
        ck_assert_msg(strstr(out, where) != NULL,
                      "nginx -t said: %s, not at %s", out, where);
    }

    harness_nginx_free(ng);
}


#define CONF_HEAD                                                             \
    "server {\n"                                                              \
    "    listen 127.0.0.1:{{PORT}} ssl;\n"                                    \
    "    {{CERT}}\n"                                                          \
    "    ssl_ciphers PSK-AES128-CBC-SHA256;\n"                                \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"

/* a server with certificates, before its identifiers */
#define CERT_HEAD                                                             \
    "server {\n"                                                              \
    "    listen 127.0.0.1:{{PORT}} ssl;\n"                                    \
    "    {{CERT}}\n"                                                          \
    "    ssl_verify_client optional;\n"                                       \
    "    ssl_client_certificate {{PREFIX}}/cert.pem;\n"                       \
    "    onem2m_sae optional;\n"

START_TEST(conf_needs_sae)
{
    /* a server without a table, next to one with a table */
    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_originator check;\n"
        "}\n"
        "server {\n"
        "    listen 127.0.0.1:{{PORT1}};\n"
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    location / {\n"
        "        onem2m_sae_originator assign;   # plain\n"
        "    }\n"
        "}\n",
        "[emerg] \"onem2m_sae_originator\" needs a security association on "
        "its server (\"onem2m_sae_psk_table\", or \"ssl_verify_client\" "
        "with \"onem2m_sae\")",
        "# plain");

}
END_TEST


START_TEST(conf_needs_cse_id)
{
    expect_conf_error(
        CONF_HEAD
        "    location / {\n"
        "        onem2m_sae_originator check;\n"
        "    }\n"
        "}\n",
        "[emerg] \"onem2m_sae_originator\" needs \"onem2m_sae_cse_id\" in "
        "its server",
        "onem2m_sae_originator check;");

}
END_TEST


START_TEST(conf_bad_values)
{
    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse/123456;\n"
        "}\n",
        "[emerg] invalid CSE-ID \"mn-cse/123456\" in "
        "\"onem2m_sae_cse_id\": character '/' is not allowed",
        "onem2m_sae_cse_id");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id /;\n"
        "}\n",
        "[emerg] invalid CSE-ID \"/\" in \"onem2m_sae_cse_id\": empty",
        "onem2m_sae_cse_id");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_sp_id in..provider.com;\n"
        "}\n",
        "[emerg] invalid SP-ID \"in..provider.com\" in \"onem2m_sae_sp_id\": "
        "not a domain name",
        "onem2m_sae_sp_id");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_sp_id //in.provider.com/x;\n"
        "}\n",
        "not a domain name", "onem2m_sae_sp_id");

    /* a 64-byte label: refused like "onem2m_sae_sp_domain" refuses it */
    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_sp_id "
        "a123456789012345678901234567890123456789012345678901234567890123"
        ".example;\n"
        "}\n",
        "not a domain name", "onem2m_sae_sp_id");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_originator strict;\n"
        "}\n",
        "[emerg] invalid value \"strict\"",
        "strict");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_cse_id mn-cse-7;\n"
        "}\n",
        "[emerg] \"onem2m_sae_cse_id\" directive is duplicate",
        "mn-cse-7");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    location / {\n"
        "        onem2m_sae_originator check;\n"
        "        onem2m_sae_originator off;\n"
        "    }\n"
        "}\n",
        "[emerg] \"onem2m_sae_originator\" directive is duplicate",
        "onem2m_sae_originator off");

    expect_conf_error(
        CONF_HEAD
        "    location / {\n"
        "        onem2m_sae_cse_id mn-cse-123456;\n"
        "    }\n"
        "}\n",
        "[emerg] \"onem2m_sae_cse_id\" directive is not allowed here",
        "onem2m_sae_cse_id");
}
END_TEST


START_TEST(conf_bad_cert_entities)
{
    /* decided with the server's CSE-ID and SP-ID: named where written */
    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_originator check;\n"
        "    onem2m_sae_cert_entity /in-cse-9;\n"
        "    onem2m_sae_cert_entity /in-cse-1/C1/x;   # three\n"
        "}\n",
        "[emerg] \"/in-cse-1/C1/x\" in \"onem2m_sae_cert_entity\" is neither "
        "a CSE-ID (\"/<CSE-ID>\") nor an AE-ID",
        "# three");

    /* inherited from http: reported at the http line */
    expect_conf_error(
        "onem2m_sae_cert_entity //in.provider.com;   # sp only\n"
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_originator check;\n"
        "}\n",
        "\"//in.provider.com\" in \"onem2m_sae_cert_entity\" is neither",
        "# sp only");

    /* a CSE-ID without its "/" would read as an AE stem */
    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_originator check;\n"
        "    onem2m_sae_cert_entity in-cse-3;   # no slash\n"
        "}\n",
        "[emerg] \"in-cse-3\" in \"onem2m_sae_cert_entity\" has no \"/\": "
        "write a CSE-ID as \"/<CSE-ID>\" and an AE-ID SP-relative or "
        "absolute",
        "# no slash");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cert_entity /in-cse-3 CSE02;   # like a C-stem\n"
        "}\n",
        "[emerg] \"CSE02\" in \"onem2m_sae_cert_entity\" has no \"/\"",
        "# like a C-stem");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_cert_entity /mn-cse-123456/door;   # stem\n"
        "}\n",
        "[emerg] \"/mn-cse-123456/door\" in \"onem2m_sae_cert_entity\" is "
        "neither a CSE-ID (\"/<CSE-ID>\") nor an AE-ID (a stem starting "
        "with \"C\" or \"S\")",
        "# stem");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cert_entity //in.provider.com/in-cse-1/door;\n"
        "}\n",
        "\"//in.provider.com/in-cse-1/door\" in \"onem2m_sae_cert_entity\" "
        "is neither", "/door;");

    /* checked on a server without originator checks too */
    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cert_entity /in-cse-1/C1/x;   # unused\n"
        "}\n",
        "\"/in-cse-1/C1/x\" in \"onem2m_sae_cert_entity\" is neither",
        "# unused");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cert_entity \"/in cse\";\n"
        "}\n",
        "[emerg] invalid identifier \"/in cse\" in "
        "\"onem2m_sae_cert_entity\": empty, longer than 255 bytes or not "
        "printable ASCII",
        "onem2m_sae_cert_entity");

    expect_conf_error(
        CONF_HEAD
        "    onem2m_sae_cert_entity;\n"
        "}\n",
        "[emerg] invalid number of arguments in \"onem2m_sae_cert_entity\"",
        "onem2m_sae_cert_entity");
}
END_TEST


/*
 * Certificates name SPs: a server that binds them needs its SP-ID; one
 * with certificates only is enough for the checks.
 */
START_TEST(conf_cert_servers)
{
    harness_nginx  *ng;
    const char     *out, *p;
    char            where[1024];
    int             rc;

    expect_conf_error(
        CERT_HEAD
        "    onem2m_sae_sp_domain in.provider.com;\n"
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    location / {\n"
        "        onem2m_sae_originator check;   # no sp\n"
        "    }\n"
        "}\n",
        "[emerg] \"onem2m_sae_originator\" on a server with certificates "
        "(\"ssl_verify_client\") needs \"onem2m_sae_sp_id\"",
        "# no sp");

    expect_conf_ok(
        CERT_HEAD
        "    onem2m_sae_sp_domain in.provider.com;\n"
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_sp_id in.provider.com;\n"
        "    onem2m_sae_cert_entity /in-cse-1 /in-cse-2;\n"
        "    onem2m_sae_originator check;\n"
        "}\n", 0);

    /* an SP domain that is not the SP-ID: refused, once per server */
    ng = conf_tested(
        CERT_HEAD
        "    onem2m_sae_sp_domain m2m.other.com;\n"
        "    onem2m_sae_cse_id mn-cse-123456;\n"
        "    onem2m_sae_sp_id in.provider.com;\n"
        "    onem2m_sae_originator check;   # here\n"
        "    location /a/ { }\n"
        "    location /b/ { }\n"
        "}\n", &rc, &out);
    ck_assert_msg(rc != 0, "nginx -t said: %s", out ? out : "");
    snprintf(where, sizeof(where),
             "[emerg] \"onem2m_sae_sp_domain m2m.other.com\" is not "
             "\"onem2m_sae_sp_id in.provider.com\": the CSE-ID certificates "
             "of m2m.other.com would be checked as CSEs of in.provider.com, "
             "in %s:%d", harness_nginx_conf_path(ng),
             harness_nginx_conf_line(ng, "# here"));
    p = strstr(out, where);
    ck_assert_msg(p != NULL, "nginx -t said: %s", out);
    ck_assert_msg(strstr(p + 1, "[emerg]") == NULL, "twice: %s", out);
    harness_nginx_free(ng);
}
END_TEST


/* the accepted forms of the two identifiers, and "off" anywhere */
START_TEST(conf_accepted)
{
    expect_conf_ok(
        CONF_HEAD
        "    onem2m_sae_cse_id /mn-cse-123456;\n"
        "    onem2m_sae_sp_id //in.provider.com;\n"
        "    onem2m_sae_originator assign;\n"
        "}\n"
        "server {\n"
        "    listen 127.0.0.1:{{PORT1}};\n"
        "    onem2m_sae_originator off;\n"
        "}\n", 1);
}
END_TEST



/* ------------------------------------------------------------------ */
/* where checks apply                                                 */

static harness_nginx  *t;

static void
setup(void)
{
    t = harness_nginx_new();
    ck_assert_ptr_nonnull(t);
}

static void
teardown(void)
{
    harness_nginx_free(t);
}

/* a server without SAE; "# site" marks the directive the error names */
#define PLAIN_HEAD                                                            \
    "server {\n"                                                              \
    "    listen 127.0.0.1:{{PORT}};\n"                                        \
    "    onem2m_sae_cse_id mn-cse-123456;\n"

static const char *const  sites[] = {
    /* nested */
    PLAIN_HEAD
    "    location / {\n"
    "        location /a {\n"
    "            onem2m_sae_originator check;   # site\n"
    "        }\n"
    "    }\n"
    "}\n",
    /* named */
    PLAIN_HEAD
    "    location / { return 204; }\n"
    "    location @n {\n"
    "        onem2m_sae_originator check;   # site\n"
    "    }\n"
    "}\n",
    /* regex, inside an inclusive one */
    PLAIN_HEAD
    "    location / {\n"
    "        location ~ ^/r {\n"
    "            onem2m_sae_originator assign;   # site\n"
    "        }\n"
    "    }\n"
    "}\n",
    /* exact */
    PLAIN_HEAD
    "    location = /e {\n"
    "        onem2m_sae_originator check;   # site\n"
    "    }\n"
    "}\n",
    /* inherited by an "if" block only: the location itself is the site */
    PLAIN_HEAD
    "    location /i {\n"
    "        onem2m_sae_originator check;   # site\n"
    "        if ($arg_x) { return 204; }\n"
    "    }\n"
    "}\n",
    /*
     * the first in the merges' order (the order of the file, depth
     * first), not in the sorted location tree (/a before /b)
     */
    PLAIN_HEAD
    "    location /b {\n"
    "        location /b/c {\n"
    "            onem2m_sae_originator check;   # site\n"
    "        }\n"
    "    }\n"
    "    location /a {\n"
    "        onem2m_sae_originator check;\n"
    "    }\n"
    "}\n",
};

START_TEST(site_without_sae_refused)
{
    const char  *out;
    char         where[1024];
    int          line, rc;

    ck_assert_int_eq(harness_nginx_config(t, sites[_i]), 0);
    rc = harness_nginx_test(t, &out);
    ck_assert_msg(rc != 0, "nginx -t accepted:\n%s", sites[_i]);
    ck_assert_msg(strstr(out, "[emerg] \"onem2m_sae_originator\" needs a "
                              "security association on its server")
                  != NULL, "nginx -t said: %s", out);

    line = harness_nginx_conf_line(t, "# site");
    ck_assert_int_gt(line, 0);
    snprintf(where, sizeof(where), "in %s:%d\n",
             harness_nginx_conf_path(t), line);
    ck_assert_msg(strstr(out, where) != NULL, "nginx -t said: %s, not %s",
                  out, where);
}
END_TEST

/* "off" at the server: no site, however the locations nest */
START_TEST(off_everywhere_accepted)
{
    const char  *out;
    int          rc;

    ck_assert_int_eq(harness_nginx_config(t,
        PLAIN_HEAD
        "    onem2m_sae_originator off;\n"
        "    location / {\n"
        "        location /a { return 204; }\n"
        "        if ($arg_x) { return 204; }\n"
        "    }\n"
        "    location @n { return 204; }\n"
        "}\n"), 0);
    rc = harness_nginx_test(t, &out);
    ck_assert_msg(rc == 0, "nginx -t %d: %s", rc, out);
}
END_TEST

Suite *originator_conf_suite(void)
{
    return CK_SUITE("originator_conf",
                    CK_TCASE("conf", NULL, NULL, 60),
                    CK_TEST(conf_needs_sae), CK_TEST(conf_needs_cse_id),
                    CK_TEST(conf_bad_values), CK_TEST(conf_bad_cert_entities),
                    CK_TEST(conf_cert_servers), CK_TEST(conf_accepted),
                    CK_TCASE("sites", setup, teardown, 30),
                    CK_LOOP(site_without_sae_refused, CK_N(sites)),
                    CK_TEST(off_everywhere_accepted));
}
