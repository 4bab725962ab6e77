/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Check registration as data, the one way every suite registers: a suite
 * is one list of rows, a CK_TCASE() (or CK_TCASE_MS()) row opening each
 * TCase and a CK_TEST() or CK_LOOP() row per test, added by one loop
 * instead of a run of tcase_add_test() lines in every suite:
 *
 *     return CK_SUITE("name", CK_TCASE("tcase", setup, teardown, 30),
 *                     CK_TEST(test_a), CK_LOOP(test_b, CK_N(rows)));
 *
 * START_TEST names are pointers to Check's TTest (Check >= 0.13), not
 * constant expressions, so the rows are a compound literal built when the
 * NAME_suite() function runs.
 */

#ifndef ONEM2M_TEST_CHECK_CASES_H
#define ONEM2M_TEST_CHECK_CASES_H

#include <stddef.h>
#include <check.h>

#define CK_N(a)  (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const TTest  *test;         /* NULL: a TCase or a fixture row */
    int           loops;        /* 0: tcase_add_test; N: loop over 0..N-1 */
    const char   *tcase;        /* TCase row; NULL with test NULL: fixture */
    SFun          setup;        /* checked fixture (unchecked: CK_UNCHECKED) */
    SFun          teardown;
    double        timeout;      /* seconds; 0: Check's default */
} ck_case;

#define CK_TCASE(name, setup, teardown, timeout)                              \
    { NULL, 0, (name), (setup), (teardown), (timeout) }
#define CK_TEST(test)        { (test), 0, NULL, NULL, NULL, 0 }
#define CK_LOOP(test, n)     { (test), (int) (n), NULL, NULL, NULL, 0 }
/* an unchecked fixture (once per TCase, in the runner) of the last TCase */
#define CK_UNCHECKED(setup, teardown)                                         \
    { NULL, 0, NULL, (setup), (teardown), 0 }

/*
 * A TCase whose timeout, ms, scales like every wait of the harness
 * (harness_timeout_ms(), tests/common/harness.h: x20 under valgrind): the
 * suites that start nginx, PostgreSQL or the demos.
 */
int harness_timeout_ms(int base_ms);
#define CK_TCASE_MS(name, setup, teardown, ms)                                \
    CK_TCASE((name), (setup), (teardown), harness_timeout_ms(ms) / 1000.0)

/*
 * Creates the suite and its TCases from rows[0..n-1], in order; the first
 * row must be a CK_TCASE().
 */
Suite *ck_suite(const char *name, const ck_case *rows, size_t n);

/* CK_SUITE("name", CK_TCASE(...), CK_TEST(...), CK_LOOP(...), ...) */
#define CK_SUITE(name, ...)                                                   \
    ck_suite((name), (const ck_case []) { __VA_ARGS__ },                      \
             sizeof((const ck_case []) { __VA_ARGS__ }) / sizeof(ck_case))

/*
 * A test that cannot run here says so instead of passing as if it had:
 * CK_SKIP("why") records the skip and returns from the test; the runner
 * lists every skip after Check's summary line.  Under CI (the variable CI
 * set, and not "", "0", "false" or "no") a skip fails the test instead:
 * CI runs as root with every tool, so nothing there may be skipped.
 * CK_SKIP_PART("why") records a skipped part and goes on (a test that
 * checks less here, e.g. what only root can check).
 */
#define CK_SKIP(why)                                                          \
    do {                                                                      \
        ck_skip(__FILE__, __LINE__, __func__, (why));                         \
        return;                                                               \
    } while (0)
#define CK_SKIP_PART(why)  ck_skip(__FILE__, __LINE__, __func__, (why))

void ck_skip(const char *file, int line, const char *test, const char *why);

/* 1 under CI (see CK_SKIP) */
int ck_ci(void);

/* for the runner: where the children record skips, and the list */
void ck_skip_log_open(void);
/* prints the skips after Check's summary, removes the log; their number */
int ck_skip_log_report(void);

#endif /* ONEM2M_TEST_CHECK_CASES_H */
