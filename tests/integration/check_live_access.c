/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A live store the workers' user cannot open (its lock file not writable
 * by it, or its data file not readable) is refused by "nginx -t", naming
 * the file, the user and the fix, rather than every worker exiting after
 * nginx started.  Root only (the master then runs its workers as
 * "nobody", nginx's default): as another user the workers are the
 * master's user, which opened the store itself.
 */

#include <stdio.h>
#include <sys/stat.h>
#include <check.h>

#include "check_cases.h"
#include "integration/live_fixture.h"

static const struct {
    const char  *file;
    mode_t       mode;
    const char  *what;
} rows[] = {
    { "lock.mdb", 0644, "for reading and writing" },
    { "data.mdb", 0600, "for reading" },
};

START_TEST(store_workers_cannot_open_is_refused_at_test)
{
    harness_tls_opts  o = sae_lock1(TLS1_3_VERSION);
    const char       *out;
    char              path[700], expect[900], where[600];

    if (geteuid() != 0) {
        return;
    }

    live_new(&ls, up, LIVE_SERVER);

    /* the control: the store is the workers' */
    ck_assert_msg(harness_nginx_test(ls.ng, &out) == 0, "%s", out);

    /* as if the master (root) or an operator had made the file */
    snprintf(path, sizeof(path), "%s/%s", ls.dir, rows[_i].file);
    ck_assert_int_eq(chown(path, 0, 0), 0);
    ck_assert_int_eq(chmod(path, rows[_i].mode), 0);

    ck_assert_int_ne(harness_nginx_test(ls.ng, &out), 0);
    snprintf(expect, sizeof(expect), "the workers' user \"nobody\" (uid %d, "
             "group \"", (int) getpwnam("nobody")->pw_uid);
    ck_assert_msg(strstr(out, expect) != NULL, "%s", out);
    snprintf(expect, sizeof(expect), "cannot open %s %s, so every worker "
             "would exit", path, rows[_i].what);
    ck_assert_msg(strstr(out, expect) != NULL, "%s", out);
    snprintf(expect, sizeof(expect), "chmod g+rw %s/lock.mdb", ls.dir);
    ck_assert_msg(strstr(out, expect) != NULL, "%s", out);
    ck_assert_msg(strstr(out, "Permission denied") != NULL, "%s", out);
    snprintf(where, sizeof(where), "in %s:%d", harness_nginx_conf_path(ls.ng),
             harness_nginx_conf_line(ls.ng, "onem2m_sae_psk_table"));
    ck_assert_msg(strstr(out, where) != NULL, "%s", out);

    /* given back to the workers: accepted again, and nginx serves */
    live_give_to_workers(&ls);
    ck_assert_msg(harness_nginx_test(ls.ng, &out) == 0, "%s", out);
    ck_assert_msg(harness_nginx_start(ls.ng) == 0, "%s", harness_log(ls.ng));
    ck_assert_int_eq(live_status_of(&ls, &o, "/after"), 200);
    live_free(&ls, 1);
}
END_TEST

Suite *live_access_suite(void)
{
    return CK_SUITE("live_access",
                    CK_TCASE_MS("access", live_setup, live_teardown, 30000),
                    CK_LOOP(store_workers_cannot_open_is_refused_at_test,
                            CK_N(rows)));
}
