/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * See check_cases.h.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_cases.h"

/* the tests run in forked children: skips go through a file descriptor */
#define CK_SKIP_LOG_ENV  "ONEM2M_CK_SKIP_LOG"


static TCase *
ck_tcase(Suite *s, const ck_case *row)
{
    TCase  *tc;

    tc = tcase_create(row->tcase);

    if (row->setup != NULL || row->teardown != NULL) {
        tcase_add_checked_fixture(tc, row->setup, row->teardown);
    }

    if (row->timeout > 0) {
        tcase_set_timeout(tc, row->timeout);
    }

    suite_add_tcase(s, tc);

    return tc;
}


Suite *
ck_suite(const char *name, const ck_case *rows, size_t n)
{
    Suite  *s;
    TCase  *tc;
    size_t  i;

    s = suite_create(name);
    tc = NULL;

    for (i = 0; i < n; i++) {
        if (rows[i].test == NULL && rows[i].tcase != NULL) {
            tc = ck_tcase(s, &rows[i]);

        } else if (tc == NULL) {
            /* a table without its CK_TCASE() row: a bug in the suite */
            abort();

        } else if (rows[i].test == NULL) {
            tcase_add_unchecked_fixture(tc, rows[i].setup, rows[i].teardown);

        } else if (rows[i].loops > 0) {
            tcase_add_loop_test(tc, rows[i].test, 0, rows[i].loops);

        } else {
            tcase_add_test(tc, rows[i].test);
        }
    }

    return s;
}


int
ck_ci(void)
{
    const char  *ci = getenv("CI");

    return ci != NULL && ci[0] != '\0' && strcmp(ci, "0") != 0
           && strcmp(ci, "false") != 0 && strcmp(ci, "no") != 0;
}


void
ck_skip(const char *file, int line, const char *test, const char *why)
{
    const char  *fd = getenv(CK_SKIP_LOG_ENV);
    size_t       len = strlen(test);
    char         buf[1024];
    int          n;

    /* START_TEST(name) defines name_fn */
    if (len > 3 && strcmp(test + len - 3, "_fn") == 0) {
        len -= 3;
    }

    if (ck_ci()) {
        /* at the test's own line, as a failed assertion would be */
        _ck_assert_failed(file, line, "Skipped under CI",
                          "skipped under CI, which must run it: %s", why);
    }

    n = snprintf(buf, sizeof(buf), "%s:%d: %.*s: %s\n", file, line,
                 (int) len, test, why);
    if (n > (int) sizeof(buf) - 1) {
        n = (int) sizeof(buf) - 1;
    }

    /* one write to an O_APPEND file: lines of concurrent tests stay whole */
    if (fd == NULL || write(atoi(fd), buf, (size_t) n) != n) {
        fputs(buf, stderr);
    }
}


void
ck_skip_log_open(void)
{
    char  path[] = "/tmp/onem2m-ck-skips-XXXXXX", fdstr[16];
    int   fd;

    /*
     * Unlinked at once: the forked tests inherit it (Check forks without
     * exec), what they exec (nginx, gnutls-cli) does not, nothing is left.
     */
    fd = mkstemp(path);
    if (fd < 0) {
        return;             /* skips go to stderr */
    }
    unlink(path);
    fcntl(fd, F_SETFL, O_APPEND);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    snprintf(fdstr, sizeof(fdstr), "%d", fd);
    setenv(CK_SKIP_LOG_ENV, fdstr, 1);
}


int
ck_skip_log_report(void)
{
    const char  *fd = getenv(CK_SKIP_LOG_ENV);
    char         line[1024];
    FILE        *f;
    int          n = 0;

    f = fd != NULL ? fdopen(atoi(fd), "r") : NULL;
    if (f == NULL) {
        return 0;
    }

    rewind(f);

    while (fgets(line, sizeof(line), f) != NULL) {
        if (n++ == 0) {
            printf("Skipped here (they pass without testing; CI=1 fails "
                   "them):\n");
        }
        printf("  %s", line);
    }
    fclose(f);

    if (n > 0) {
        printf("Skipped: %d\n", n);
    }

    return n;
}
