/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What onem2m-sync writes to the journal: under systemd (stderr is the
 * stream $JOURNAL_STREAM names) every line starts with its syslog
 * priority and the daemon's name, PostgreSQL's own messages included: a
 * fast shutdown of the source sends "terminating connection due to
 * administrator command" to the idle daemon, which libpq would print as
 * it is.  And a daemon run as a uid without a passwd entry, which libpq
 * needs, says so and how to make one.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "fleet.h"

#define WAIT_MS   5000

START_TEST(every_line_has_priority_and_prefix)
{
    fleet_pg     pg;
    fleet_sync   s;
    struct stat  st;
    FILE        *f;
    char         dir[PATH_MAX], store[PATH_MAX + 16], log[PATH_MAX + 32];
    char         js[64], *line = NULL;
    size_t       len = 0;
    int          lines = 0, shutdown = 0;

    ck_assert_int_eq(fleet_mkdtemp(dir, sizeof(dir), "fleet"), 0);
    snprintf(store, sizeof(store), "%s/store", dir);
    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");

    /* the file the daemon's stderr appends to is "the journal" */
    snprintf(log, sizeof(log), "%s.log", store);
    f = fopen(log, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(stat(log, &st), 0);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long) st.st_dev,
             (unsigned long long) st.st_ino);
    ck_assert_int_eq(setenv("JOURNAL_STREAM", js, 1), 0);

    /* idle (no poll for a minute): the shutdown finds no query running */
    ck_assert_int_eq(fleet_sync_start(&s, &pg, store, "--poll=60"), 0);
    ck_assert_int_eq(fleet_sync_log_wait(&s, "full resync done", WAIT_MS),
                     0);
    ck_assert_int_eq(fleet_pg_stop(&pg), 0);
    ck_assert_int_eq(fleet_sync_log_wait(&s, "keeping the last good store",
                                         WAIT_MS), 0);
    ck_assert_int_eq(fleet_sync_stop(&s, SIGTERM), 0);

    f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    while (getline(&line, &len, f) >= 0) {
        lines++;
        ck_assert_msg(line[0] == '<' && line[1] >= '0' && line[1] <= '7'
                      && strncmp(line + 2, ">onem2m-sync: ", 14) == 0,
                      "a line without priority and prefix: %s", line);
        if (strstr(line, "terminating connection due to administrator "
                   "command") != NULL)
        {
            shutdown++;
            ck_assert_msg(strncmp(line, "<3>onem2m-sync: source: ", 24)
                          == 0, "%s", line);
        }
    }
    free(line);
    fclose(f);
    ck_assert_int_gt(lines, 3);
    ck_assert_int_eq(shutdown, 1);

    fleet_pg_free(&pg);
    if (getenv("ONEM2M_TEST_KEEP") == NULL) {
        fleet_rmtree(dir);
    }
}
END_TEST

START_TEST(uid_without_passwd_entry_is_named)
{
    char   dir[PATH_MAX], store[PATH_MAX + 16], *out = NULL;
    char  *argv[] = { "setpriv", "--reuid=54321", "--regid=54321",
                      "--clear-groups", FLEET_SYNC_BIN, "--store", store,
                      "--source", "host=/nonexistent dbname=onem2m",
                      "--once", NULL };
    int    rc;

    if (geteuid() != 0 || getpwuid(54321) != NULL) {
        return;
    }

    ck_assert_int_eq(fleet_mkdtemp(dir, sizeof(dir), "fleet"), 0);
    ck_assert_int_eq(chmod(dir, 0777), 0);
    snprintf(store, sizeof(store), "%s/store", dir);

    rc = harness_run(argv, NULL, harness_timeout_ms(WAIT_MS), &out);
    ck_assert_msg(rc == 1, "%d: %s", rc, out);
    ck_assert_msg(strstr(out, "onem2m-sync: uid 54321 has no passwd entry, "
                         "which libpq needs") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "useradd --system --home-dir /var/lib/onem2m "
                         "--shell /usr/sbin/nologin onem2m-sync") != NULL,
                  "%s", out);
    free(out);
    fleet_rmtree(dir);
}
END_TEST

Suite *fleet_log_suite(void)
{
    return CK_SUITE("fleet_log",
                    CK_TCASE_MS("log", NULL, NULL, 60000),
                    CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove),
                    CK_TEST(every_line_has_priority_and_prefix),
                    CK_TEST(uid_without_passwd_entry_is_named));
}
