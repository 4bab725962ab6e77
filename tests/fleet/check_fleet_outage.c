/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Catching up after an outage of the source: PostgreSQL is stopped long
 * enough that a reconnection delay doubling from 0.25 s would be waiting
 * several seconds when it comes back; it is started, a credential is
 * revoked at once, and every front end (nginx reading its store, fed by
 * its own onem2m-sync with the default --max-backoff of 30 s) must refuse
 * it within 2 s of the source's return (scaled under a wrapper such as
 * valgrind).  The seconds measured are printed.  What backs off is the
 * log: during the outage the daemon tried about twice a second (its -v
 * debug lines) but said so only a few times.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "fleet.h"

#define NODES       2
#define OUTAGE_S    8
#define LIMIT_MS    2000

#define ID_A        "lock-a@in.example.com"
#define KEY_A       "00112233445566778899aabbccddeeff"

/* lines of the daemon's log that contain needle */
static int
log_lines(const fleet_sync *s, const char *needle)
{
    FILE    *f = fopen(s->log, "r");
    char    *line = NULL;
    size_t   len = 0;
    int      n = 0;

    ck_assert_ptr_nonnull(f);
    while (getline(&line, &len, f) >= 0) {
        n += strstr(line, needle) != NULL;
    }
    free(line);
    fclose(f);
    return n;
}

START_TEST(revocation_after_outage_reaches_every_node_in_2s)
{
    harness_upstream  *up;
    fleet_node         n[NODES];
    fleet_pg           pg;
    long long          back, deadline, took[NODES];
    int                k, left;

    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");
    ck_assert_int_eq(fleet_insert(&pg, ID_A, "Clock-A", KEY_A), 0);
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);

    for (k = 0; k < NODES; k++) {
        ck_assert_msg(fleet_node_start(&n[k], &pg, up, "--max-backoff=30",
                                       NULL) == 0,
                      "front end %d starts", k + 1);
        ck_assert_int_eq(fleet_node_handshake(&n[k], ID_A, KEY_A), 1);
    }

    /* the outage itself is the scenario: its length is what matters */
    ck_assert_int_eq(fleet_pg_stop(&pg), 0);
    sleep(OUTAGE_S);
    ck_assert_int_eq(fleet_pg_start(&pg), 0);
    back = harness_now_ms();
    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);

    deadline = back + harness_timeout_ms(30000);
    for (k = 0; k < NODES; k++) {
        took[k] = -1;
    }

    for (left = NODES; left > 0 && harness_now_ms() < deadline; ) {
        for (k = 0; k < NODES; k++) {
            if (took[k] < 0 && fleet_node_handshake(&n[k], ID_A, KEY_A) == 0)
            {
                took[k] = harness_now_ms() - back;
                left--;
            }
        }
        usleep(10000);
    }

    for (k = 0; k < NODES; k++) {
        fprintf(stderr, "fleet_outage: node %d refuses the revoked "
                "credential %.3f s after the source is back\n", k + 1,
                took[k] / 1000.0);
    }

    for (k = 0; k < NODES; k++) {
        ck_assert_msg(took[k] >= 0 && took[k] < harness_timeout_ms(LIMIT_MS),
                      "node %d: %lld ms after the source's return (limit "
                      "%d ms)", k + 1, took[k], harness_timeout_ms(LIMIT_MS));
    }

    /* attempts at 0.5 s intervals, messages at 0.25, 0.5, 1, 2, 4 s */
    for (k = 0; k < NODES; k++) {
        ck_assert_int_ge(log_lines(&n[k].sync, "source: "), 2 * OUTAGE_S - 4);
        ck_assert_int_le(log_lines(&n[k].sync, "keeping the last good store"),
                         6);
        fleet_node_stop(&n[k]);
    }
    harness_upstream_stop(up);
    fleet_pg_free(&pg);
}
END_TEST

/*
 * A source that takes the connection but refuses the daemon's query (its
 * role lost SELECT): the daemon reconnects, not faster than --retry,
 * rather than in a loop as fast as PostgreSQL answers.
 */
START_TEST(refused_query_does_not_spin)
{
    fleet_node  n;
    fleet_pg    pg;
    int         before, after;

    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");
    ck_assert_int_eq(fleet_node_start(&n, &pg, NULL, NULL, NULL), 0);
    ck_assert_int_eq(fleet_pg_sql(&pg, FLEET_ADMIN, "REVOKE SELECT ON "
                                  "onem2m.credentials FROM "
                                  "onem2m_sync_reader", NULL), 0);
    ck_assert_int_eq(fleet_sync_log_wait(&n.sync, "permission denied",
                                         5000), 0);

    /* 2 s at one attempt per 0.5 s: 4, give or take one */
    before = log_lines(&n.sync, "connected to the source");
    sleep(2);
    after = log_lines(&n.sync, "connected to the source");
    ck_assert_msg(after - before <= 6, "%d connections in 2 s",
                  after - before);

    fleet_node_stop(&n);
    fleet_pg_free(&pg);
}
END_TEST

Suite *fleet_outage_suite(void)
{
    return CK_SUITE("fleet_outage",
                    CK_TCASE_MS("outage", NULL, NULL, 120000),
                    CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove),
                    CK_TEST(revocation_after_outage_reaches_every_node_in_2s),
                    CK_TEST(refused_query_does_not_spin));
}
