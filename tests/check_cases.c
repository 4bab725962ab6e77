/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * See check_cases.h.
 */

#include <stdlib.h>

#include "check_cases.h"


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
        if (rows[i].test == NULL) {
            tc = ck_tcase(s, &rows[i]);

        } else if (tc == NULL) {
            /* a table without its CK_TCASE() row: a bug in the suite */
            abort();

        } else if (rows[i].loops > 0) {
            tcase_add_loop_test(tc, rows[i].test, 0, rows[i].loops);

        } else {
            tcase_add_test(tc, rows[i].test);
        }
    }

    return s;
}
