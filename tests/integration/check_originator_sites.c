/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Which locations "onem2m_sae_originator" puts checks on, and so which
 * must meet its needs: every kind nginx has (nested, named, regex, exact,
 * "if" blocks), noted before nginx builds its location trees, and the
 * first in the order nginx merges them named in the error.  A server
 * without SAE under checks is refused by "nginx -t" at the directive.
 */

#include <stdio.h>
#include <string.h>
#include <check.h>

#include "common/harness.h"
#include "check_cases.h"

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

Suite *originator_sites_suite(void)
{
    return CK_SUITE("originator_sites",
                    CK_TCASE("conf", setup, teardown, 30),
                    CK_LOOP(site_without_sae_refused, CK_N(sites)),
                    CK_TEST(off_everywhere_accepted));
}
