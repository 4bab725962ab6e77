/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Misconfiguration is refused by "nginx -t" with the directive, the file
 * and the line; table diagnostics carry the provider's file:line reason;
 * warnings do not fail the test.
 */

#include <pwd.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <check.h>

#include "integration/sae_fixture.h"

static harness_nginx  *ng;

static void
setup(void)
{
    ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
}

static void
teardown(void)
{
    harness_nginx_free(ng);
}

/* nginx -t of the template must fail; returns its output */
static const char *
refused(const char *http)
{
    const char  *out;
    int          rc;

    ck_assert_int_eq(harness_nginx_config(ng, http), 0);
    rc = harness_nginx_test(ng, &out);
    ck_assert_msg(rc == 1, "nginx -t exit %d, output:\n%s", rc, out);
    ck_assert_msg(strstr(out, "[emerg]") != NULL, "no [emerg]:\n%s", out);
    ck_assert_msg(strstr(out, "test failed") != NULL, "%s", out);
    return out;
}

/* nginx -t of the template must pass; returns its output */
static const char *
accepted(const char *http)
{
    const char  *out;

    ck_assert_int_eq(harness_nginx_config(ng, http), 0);
    ck_assert_msg(harness_nginx_test(ng, &out) == 0, "%s", out);
    return out;
}

/* the output names the nginx.conf line that holds needle */
static void
assert_at_line_of(const char *out, const char *needle)
{
    char  where[256];
    int   line = harness_nginx_conf_line(ng, needle);

    ck_assert_int_gt(line, 0);
    snprintf(where, sizeof(where), " in %s:%d", harness_nginx_conf_path(ng),
             line);
    ck_assert_msg(strstr(out, where) != NULL, "expected \"%s\" in:\n%s",
                  where, out);
}

static void
assert_has(const char *out, const char *needle)
{
    ck_assert_msg(strstr(out, needle) != NULL, "expected \"%s\" in:\n%s",
                  needle, out);
}

START_TEST(valid_configuration_passes)
{
    const char  *out;

    out = accepted(SAE_SERVER);
    assert_has(out, "test is successful");
    /* the seed's 8-byte keys load with a warning, one per key */
    assert_has(out, "[warn]");
    assert_has(out, "kpsa.table:1:");
    assert_has(out, "kpsa.table:2:");
}
END_TEST

START_TEST(missing_table_file)
{
    const char  *out;
    char         want[512];

    out = refused(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/nowhere.table;\n"
        "}\n");
    snprintf(want, sizeof(want),
             "[emerg] onem2m_sae_psk_table \"kpsa:%s/nowhere.table\": ",
             harness_nginx_prefix(ng));
    assert_has(out, want);
    assert_at_line_of(out, "nowhere.table");
}
END_TEST

START_TEST(malformed_table_line)
{
    const char  *out;
    char         want[512];

    harness_nginx_write_file(ng, "bad.table",
        "# a comment\n"
        HARNESS_LOCK1_ENTITY " " HARNESS_LOCK1_KEY_HEX " "
        HARNESS_LOCK1_KPSA_ID "\n"
        "Clock-AE3 12zz AE3@in.provider.com\n", 0600);
    out = refused(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/bad.table;\n"
        "}\n");
    /* "<uri>": <file>:<line>: reason in nginx.conf:<line> */
    snprintf(want, sizeof(want),
             "[emerg] onem2m_sae_psk_table \"kpsa:%s/bad.table\": "
             "%s/bad.table:3: ", harness_nginx_prefix(ng),
             harness_nginx_prefix(ng));
    assert_has(out, want);
    assert_at_line_of(out, "bad.table");
}
END_TEST

START_TEST(plain_path_table_works)
{
    accepted(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    onem2m_sae_psk_table {{PREFIX}}/kpsa.table;\n"
        "}\n");
}
END_TEST

START_TEST(table_without_ssl_listen)
{
    const char  *out;

    out = refused(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}};\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
        "}\n");
    assert_has(out, "onem2m_sae_psk_table");
    assert_has(out, "ssl");
    assert_at_line_of(out, "onem2m_sae_psk_table");
}
END_TEST

START_TEST(sae_mode_without_table)
{
    static const char *const modes[] = { "required", "optional" };
    const char  *out;
    char         conf[1024], want[64];

    snprintf(conf, sizeof(conf),
             "server {\n"
             "    listen 127.0.0.1:{{PORT}} ssl;\n"
             "    {{CERT}}\n"
             "    onem2m_sae %s;\n"
             "}\n", modes[_i]);
    out = refused(conf);
    snprintf(want, sizeof(want), "onem2m_sae %s", modes[_i]);
    assert_has(out, want);
    assert_has(out, "onem2m_sae_psk_table");
}
END_TEST

START_TEST(sae_off_without_table_passes)
{
    accepted(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    onem2m_sae off;\n"
        "}\n");
}
END_TEST

START_TEST(ciphers_without_psk_while_tls12)
{
    const char  *out;

    out = refused(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
        "}\n");
    assert_has(out, "onem2m_sae_psk_table");
    assert_has(out, "ECDHE-ECDSA-AES128-GCM-SHA256");
}
END_TEST

START_TEST(ciphers_without_psk_tls13_only_passes)
{
    accepted(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.3;\n"
        "    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
        "}\n");
}
END_TEST

/*
 * A PSK table next to "ssl_verify_client": "on" would answer every lock
 * "no required SSL certificate"; RSA-PSK suites would send locks a
 * CertificateRequest.  "optional" with PSK-only suites is the mixed server.
 */
START_TEST(mixed_server_checked)
{
    static const struct {
        const char  *lines;
        const char  *expect;     /* NULL: accepted */
    } cases[] = {
        { "    ssl_verify_client on;\n"
          "    ssl_ciphers PSK-AES128-CBC-SHA256;\n",
          "\"ssl_verify_client on\" refuses every PSK client of "
          "\"onem2m_sae_psk_table\"" },
        { "    ssl_verify_client optional;\n"
          "    ssl_ciphers PSK-AES128-CBC-SHA256:RSA-PSK-AES128-CBC-SHA256;\n",
          "\"ssl_ciphers PSK-AES128-CBC-SHA256:RSA-PSK-AES128-CBC-SHA256\" "
          "enables RSA-PSK suites, with which PSK clients would be asked for "
          "a client certificate" },
        { "    ssl_verify_client optional_no_ca;\n"
          "    ssl_ciphers HIGH:!aNULL;\n",
          "exclude them with \"!kRSAPSK\"" },
        { "    ssl_verify_client optional;\n"
          "    ssl_ciphers HIGH:!aNULL:!kRSAPSK;\n",
          NULL },
        /* TLS 1.3 only: no RSA-PSK, no CertificateRequest after a PSK */
        { "    ssl_verify_client optional;\n"
          "    ssl_protocols TLSv1.3;\n"
          "    ssl_ciphers HIGH:!aNULL;\n",
          NULL },
        /* no client certificates: RSA-PSK asks for none */
        { "    ssl_ciphers PSK-AES128-CBC-SHA256:RSA-PSK-AES128-CBC-SHA256;\n",
          NULL },
    };
    const char  *out;
    char         conf[2048];
    int          rc;

    snprintf(conf, sizeof(conf),
             "server {\n"
             "    listen 127.0.0.1:{{PORT}} ssl;\n"
             "    {{CERT}}\n"
             "%s"
             "    ssl_client_certificate {{PREFIX}}/cert.pem;\n"
             "    onem2m_sae_sp_domain m2m.sp.com;\n"
             "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;   # t\n"
             "}\n", cases[_i].lines);

    if (cases[_i].expect == NULL) {
        ck_assert_int_eq(harness_nginx_config(ng, conf), 0);
        rc = harness_nginx_test(ng, &out);
        ck_assert_msg(rc == 0, "nginx -t %d:\n%s", rc, out);
        return;
    }

    out = refused(conf);
    assert_has(out, cases[_i].expect);
    assert_at_line_of(out, "# t");
}
END_TEST

/* the SP domain is a host name: labels of 1-63, no "-" at either end */
START_TEST(sp_domain_checked)
{
    static const char  *bad[] = {
        "-m2m.sp.com",
        "m2m-.sp.com",
        "m2m.sp.com-",
        "m2m.-sp.com",
        "m2m.sp_x.com",
        "0123456789012345678901234567890123456789012345678901234567890123"
            ".sp.com",
        "m2m.sp.com.",
        ".m2m.sp.com",
        "m2m..sp.com",
        "10.0.0.1",
        "m2m.sp.123",
        /* 254 bytes in labels of 63 */
        "012345678901234567890123456789012345678901234567890123456789012."
        "012345678901234567890123456789012345678901234567890123456789012."
        "012345678901234567890123456789012345678901234567890123456789012."
        "0123456789012345678901234567890123456789012345678901234567890a",
    };
    const char  *out;
    char         conf[1024];
    int          rc;

    ck_assert_uint_eq(strlen(bad[CK_N(bad) - 1]), 254);

    if (_i == (int) (CK_N(bad))) {
        /* 63 bytes, digits first and inner "-": accepted */
        ck_assert_int_eq(harness_nginx_config(ng,
            "onem2m_sae_sp_domain "
            "012345678901234567890123456789012345678901234567890123456789012"
            ".m-2.SP.com;\n"), 0);
        rc = harness_nginx_test(ng, &out);
        ck_assert_msg(rc == 0, "nginx -t %d:\n%s", rc, out);
        return;
    }

    snprintf(conf, sizeof(conf), "onem2m_sae_sp_domain %s;   # d\n", bad[_i]);
    out = refused(conf);
    assert_has(out, "invalid SP domain \"");
    assert_has(out, bad[_i]);
    assert_has(out, "in \"onem2m_sae_sp_domain\": not a host name");
    assert_at_line_of(out, "# d");
}
END_TEST

START_TEST(invalid_header_names)
{
    static const char *const bad[] = {
        "\"X Entity\"", "X-Entity:", "\"\"", "X(Entity)", "\"X-Ent\\x01\""
    };
    const char  *out;
    char         conf[1024];

    snprintf(conf, sizeof(conf),
             "onem2m_sae_identity_header %s;\n" SAE_SERVER, bad[_i]);
    out = refused(conf);
    assert_has(out, "onem2m_sae_identity_header");
    assert_at_line_of(out, "onem2m_sae_identity_header");
}
END_TEST

START_TEST(identity_header_cannot_be_turned_off)
{
    const char  *out;

    /* "off" would leave the default header unstripped: fail closed */
    out = refused("onem2m_sae_identity_header off;\n" SAE_SERVER);
    assert_has(out, "onem2m_sae_identity_header");
    assert_at_line_of(out, "onem2m_sae_identity_header off");
}
END_TEST

START_TEST(duplicate_directives)
{
    static const char *const dup[] = {
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n",
        "    onem2m_sae_unknown_identity hide;\n"
        "    onem2m_sae_unknown_identity alert;\n",
        "    onem2m_sae_identity_header X-A;\n"
        "    onem2m_sae_identity_header X-B;\n",
        "    location / { onem2m_sae off; onem2m_sae required; }\n",
    };
    const char  *out;
    char         conf[2048];

    snprintf(conf, sizeof(conf),
             "server {\n" SAE_TLS "%s}\n", dup[_i]);
    out = refused(conf);
    assert_has(out, "is duplicate");
}
END_TEST

/* a scheme alone names no table, for either scheme (common/onem2m_uri.h) */
static const char *const bad_values_rows[] = {
    "    onem2m_sae maybe;\n",
    "    onem2m_sae_unknown_identity shout;\n",
    "    onem2m_sae_psk_table;\n",
    "    onem2m_sae_psk_table \"\";\n",
    "    onem2m_sae_psk_table kpsa:;\n",
    "    onem2m_sae_psk_table KPSA-LMDB:;\n",
};

START_TEST(bad_values)
{
    const char *const *bad = bad_values_rows;
    const char        *out;
    char         conf[2048];

    snprintf(conf, sizeof(conf),
             "server {\n"
             "    listen 127.0.0.1:{{PORT}} ssl;\n"
             "    {{CERT}}\n"
             "%s}\n", bad[_i]);
    out = refused(conf);
    /* stock nginx names the line only for an enum's invalid value */
    assert_at_line_of(out, bad[_i] + 4);
    if (_i >= 3) {
        assert_has(out, "empty table in \"onem2m_sae_psk_table\"");
    }
}
END_TEST

START_TEST(table_not_allowed_in_http_or_location)
{
    const char  *out;

    out = refused("onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
                  SAE_SERVER);
    assert_has(out, "\"onem2m_sae_psk_table\" directive is not allowed here");
    out = refused(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    location / {\n"
        "        onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
        "    }\n"
        "}\n");
    assert_has(out, "\"onem2m_sae_psk_table\" directive is not allowed here");
}
END_TEST

START_TEST(world_readable_table_warns)
{
    const char  *out;

    harness_nginx_write_file(ng, "kpsa.table", HARNESS_SEED_TABLE, 0644);
    out = accepted(SAE_SERVER);
    assert_has(out, "[warn] onem2m_sae_psk_table");
    assert_has(out, "readable by group or others");
}

START_TEST(private_table_does_not_warn_about_mode)
{
    const char  *out;

    out = accepted(SAE_SERVER);
    ck_assert_msg(strstr(out, "readable by group or others") == NULL, "%s",
                  out);
}
END_TEST

/*
 * Table ownership (a worker that can write the table can change the keys
 * of the next reload): "nginx -t" warns, naming the file and
 * what to change, about a table the worker user owns, a group- or
 * other-writable one, and one in a world-writable directory.
 */

#define USER_CONF(user) \
    user \
    "load_module {{MODULE}};\n" \
    "daemon off;\n" \
    "worker_processes 1;\n" \
    "pid {{PREFIX}}/nginx.pid;\n" \
    "error_log {{PREFIX}}/error.log info;\n" \
    "events { worker_connections 128; }\n" \
    "http {\n" \
    "    onem2m_sae_provider_path {{PROVIDER_DIR}};\n" \
    "    access_log off;\n" \
    "    client_body_temp_path {{PREFIX}}/body;\n" \
    "    proxy_temp_path {{PREFIX}}/proxy;\n" \
    "    fastcgi_temp_path {{PREFIX}}/fastcgi;\n" \
    "    uwsgi_temp_path {{PREFIX}}/uwsgi;\n" \
    "    scgi_temp_path {{PREFIX}}/scgi;\n" \
    SAE_SERVER \
    "}\n"

START_TEST(table_owned_by_worker_user_warns)
{
    const char     *out;
    char            path[512], expect[1400];
    struct passwd  *pw;

    if (geteuid() != 0) {
        CK_SKIP("not root: nginx cannot switch users, the test cannot "
                "chown");
    }

    pw = getpwnam("www-data");
    ck_assert_ptr_nonnull(pw);
    snprintf(path, sizeof(path), "%s/kpsa.table", harness_nginx_prefix(ng));

    /* root's 0600 table: quiet */
    ck_assert_int_eq(harness_nginx_config_raw(ng,
                         USER_CONF("user www-data;\n")), 0);
    ck_assert_msg(harness_nginx_test(ng, &out) == 0, "%s", out);
    ck_assert_msg(strstr(out, "owned by the worker user") == NULL, "%s",
                  out);

    /* the workers' own: a compromised worker could rewrite it */
    ck_assert_int_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
    ck_assert_msg(harness_nginx_test(ng, &out) == 0, "%s", out);
    snprintf(expect, sizeof(expect),
             "[warn] onem2m_sae_psk_table \"kpsa:%s\": %s is owned by the "
             "worker user (uid %d), so a compromised worker could rewrite "
             "the keys; make root its owner (chown root:root)", path, path,
             (int) pw->pw_uid);
    assert_has(out, expect);
    assert_at_line_of(out, "onem2m_sae_psk_table");

    /* workers as root: no boundary to warn about */
    ck_assert_int_eq(harness_nginx_config_raw(ng,
                         USER_CONF("user root;\n")), 0);
    ck_assert_int_eq(chown(path, 0, 0), 0);
    ck_assert_msg(harness_nginx_test(ng, &out) == 0, "%s", out);
    ck_assert_msg(strstr(out, "owned by the worker user") == NULL, "%s",
                  out);
}
END_TEST

START_TEST(writable_table_warns)
{
    static const mode_t  modes[] = { 0666, 0620, 0602 };
    const char          *out;
    char                 expect[128];

    harness_nginx_write_file(ng, "kpsa.table", HARNESS_SEED_TABLE,
                             modes[_i]);
    out = accepted(SAE_SERVER);
    snprintf(expect, sizeof(expect), "kpsa.table: keys writable by group or "
             "others, who could replace them (mode %04o, use 0600)",
             (unsigned) modes[_i]);
    assert_has(out, expect);
    assert_at_line_of(out, "onem2m_sae_psk_table");

    /* 0666 is readable too: both warnings */
    if (modes[_i] & 044) {
        assert_has(out, "readable by group or others");
    }
}
END_TEST

START_TEST(table_in_world_writable_directory_warns)
{
    static const mode_t  modes[] = { 0777, 01777 };
    const char          *out;
    char                 dir[512], expect[700];

    snprintf(dir, sizeof(dir), "%s/shared", harness_nginx_prefix(ng));
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(chmod(dir, modes[_i]), 0);
    ck_assert_int_eq(harness_nginx_write_file(ng, "shared/kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    out = accepted(
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_ciphers " SAE_PSK_CIPHERS ";\n"
        "    onem2m_sae_psk_table kpsa:{{PREFIX}}/shared/kpsa.table;\n"
        "    location / { return 204; }\n"
        "}\n");
    snprintf(expect, sizeof(expect),
             "shared/kpsa.table: in the world-writable directory %s "
             "(mode %04o): anyone could replace the keys, move the table to "
             "a directory only root can write", dir, (unsigned) modes[_i]);
    assert_has(out, "[warn] onem2m_sae_psk_table");
    assert_has(out, expect);
    assert_at_line_of(out, "onem2m_sae_psk_table");

    /* the prefix itself is no such directory: the usual table is quiet */
    out = accepted(SAE_SERVER);
    ck_assert_msg(strstr(out, "world-writable") == NULL, "%s", out);
}
END_TEST

/*
 * No provider where it was looked for (an installation under /usr/local
 * without onem2m_sae_provider_path): the message names both directories
 * and the directive.
 */
#define NO_PROVIDER_CONF \
    "load_module {{MODULE}};\n" \
    "daemon off;\n" \
    "pid {{PREFIX}}/nginx.pid;\n" \
    "error_log {{PREFIX}}/error.log info;\n" \
    "events { worker_connections 128; }\n" \
    "http {\n" \
    "    onem2m_sae_provider_path {{PREFIX}}/empty;\n" \
    "    access_log off;\n" \
    SAE_SERVER \
    "}\n"

START_TEST(missing_provider_names_where_and_the_directive)
{
    const char  *out, *prefix = harness_nginx_prefix(ng);
    char         empty[400], expect[2048];
    int          line;

    snprintf(empty, sizeof(empty), "%s/empty", prefix);
    ck_assert_int_eq(mkdir(empty, 0755), 0);
    /* OpenSSL's modules directory, as the library names it */
    setenv("OPENSSL_MODULES", empty, 1);
    ck_assert_int_eq(harness_nginx_config_raw(ng, NO_PROVIDER_CONF), 0);
    ck_assert_int_ne(harness_nginx_test(ng, &out), 0);
    line = harness_nginx_conf_line(ng, "onem2m_sae_psk_table");
    snprintf(expect, sizeof(expect),
             "[emerg] onem2m_sae_psk_table \"kpsa:%s/kpsa.table\": "
             "kpsa:%s/kpsa.table: cannot load the OpenSSL provider "
             "\"onem2m\": no usable onem2m.so in %s nor in OpenSSL's "
             "modules directory %s in %s:%d; install the package "
             "openssl-provider-onem2m, or name the directory of onem2m.so "
             "in the http block with \"onem2m_sae_provider_path DIR;\"\n",
             prefix, prefix, empty, empty, harness_nginx_conf_path(ng),
             line);
    ck_assert_msg(strstr(out, expect) != NULL, "expected:\n%s\nnginx -t:\n%s",
                  expect, out);
}
END_TEST

START_TEST(broken_table_never_starts)
{
    harness_nginx_write_file(ng, "kpsa.table", "garbage\n", 0600);
    ck_assert_int_eq(harness_nginx_config(ng, SAE_SERVER), 0);
    ck_assert_int_ne(harness_nginx_start(ng), 0);
    ck_assert(harness_log_contains(ng, "[emerg] "));
    ck_assert(harness_log_contains(ng, "onem2m_sae_psk_table \"kpsa:"));
    ck_assert(harness_log_contains(ng, "kpsa.table:1: "));
}
END_TEST

Suite *sae_config_suite(void)
{
    return CK_SUITE("sae_config",
                    CK_TCASE_MS("nginx_t", setup, teardown, 30000),
                    CK_TEST(valid_configuration_passes),
                    CK_TEST(missing_table_file),
                    CK_TEST(malformed_table_line),
                    CK_TEST(plain_path_table_works),
                    CK_TEST(table_without_ssl_listen),
                    CK_LOOP(sae_mode_without_table, 2),
                    CK_TEST(sae_off_without_table_passes),
                    CK_TEST(ciphers_without_psk_while_tls12),
                    CK_TEST(ciphers_without_psk_tls13_only_passes),
                    CK_LOOP(mixed_server_checked, 6),
                    CK_LOOP(sp_domain_checked, 13),
                    CK_LOOP(invalid_header_names, 5),
                    CK_TEST(identity_header_cannot_be_turned_off),
                    CK_LOOP(duplicate_directives, 4),
                    CK_LOOP(bad_values, CK_N(bad_values_rows)),
                    CK_TEST(table_not_allowed_in_http_or_location),
                    CK_TEST(world_readable_table_warns),
                    CK_TEST(private_table_does_not_warn_about_mode),
                    CK_TEST(table_owned_by_worker_user_warns),
                    CK_LOOP(writable_table_warns, 3),
                    CK_LOOP(table_in_world_writable_directory_warns, 2),
                    CK_TEST(missing_provider_names_where_and_the_directive),
                    CK_TEST(broken_table_never_starts));
}
