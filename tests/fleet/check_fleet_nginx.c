/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Three front ends on one machine (docs/fleet.md): each nginx reads its
 * own LMDB store live, each store is fed by its own onem2m-sync from one
 * throwaway PostgreSQL source.  A revocation in the source is refused by
 * all three, an insert is served by all three, without a reload.  The
 * latency figures are "make bench-fleet"'s; here the waits are
 * condition-based.
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

#define NODES     3
#define WAIT_MS   5000

#define ID_A      "lock-a@in.example.com"
#define ID_B      "lock-b@in.example.com"
#define ID_C      "lock-c@in.example.com"
#define KEY_A     "00112233445566778899aabbccddeeff"
#define KEY_B     "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define KEY_C     "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define ID_D      "lock-d@in.example.com"
#define ID_E      "lock-e@in.example.com"
#define ID_F      "lock-f@in.example.com"
#define KEY_D     "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
#define KEY_E     "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
#define KEY_F     "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

/* polls until every node answers the handshake as want (1 done, 0 no) */
static int
all_nodes(fleet_node *n, int nodes, const char *id, const char *key,
    int want)
{
    long long  deadline = harness_now_ms() + harness_timeout_ms(WAIT_MS);
    int        k, ok;

    do {
        for (k = 0, ok = 0; k < nodes; k++) {
            ok += fleet_node_handshake(&n[k], id, key) == want;
        }
        if (ok == nodes) {
            return 0;
        }
        usleep(10000);
    } while (harness_now_ms() < deadline);

    return -1;
}

START_TEST(three_front_ends_follow_the_source)
{
    harness_upstream  *up;
    fleet_node         n[NODES];
    fleet_pg           pg;
    int                k;

    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");
    ck_assert_int_eq(fleet_insert(&pg, ID_A, "Clock-A", KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, "Clock-B", KEY_B), 0);

    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);

    for (k = 0; k < NODES; k++) {
        ck_assert_msg(fleet_node_start(&n[k], &pg, up, NULL, NULL) == 0,
                      "front end %d starts", k + 1);
    }

    for (k = 0; k < NODES; k++) {
        ck_assert_int_eq(fleet_node_handshake(&n[k], ID_A, KEY_A), 1);
        ck_assert_int_eq(fleet_node_handshake(&n[k], ID_B, KEY_B), 1);
        ck_assert_int_eq(fleet_node_handshake(&n[k], ID_C, KEY_C), 0);
    }

    /* revoked at the source: refused everywhere, the others unchanged */
    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);
    ck_assert_msg(all_nodes(n, NODES, ID_A, KEY_A, 0) == 0,
                  "the revocation is refused by all three");
    ck_assert_int_eq(all_nodes(n, NODES, ID_B, KEY_B, 1), 0);

    /* onboarded at the source: served everywhere, no reload */
    ck_assert_int_eq(fleet_insert(&pg, ID_C, "Clock-C", KEY_C), 0);
    ck_assert_msg(all_nodes(n, NODES, ID_C, KEY_C, 1) == 0,
                  "the new credential is served by all three");

    for (k = 0; k < NODES; k++) {
        ck_assert_int_eq(fleet_sync_stop(&n[k].sync, SIGTERM), 0);
        ck_assert_int_eq(harness_log_contains(n[k].ng, "reconfiguring"), 0);
        fleet_node_stop(&n[k]);
    }

    harness_upstream_stop(up);
    fleet_pg_free(&pg);
}
END_TEST

/* PostgreSQL stopped: nginx serves its last good store and says it is
   stale; restarted: fresh again, and new credentials arrive */
START_TEST(source_down_node_serves_and_reports)
{
    harness_upstream  *up;
    fleet_node         n;
    fleet_pg           pg;

    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");
    ck_assert_int_eq(fleet_insert(&pg, ID_A, "Clock-A", KEY_A), 0);
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    ck_assert_int_eq(fleet_node_start(&n, &pg, up, NULL,
                                      "onem2m_sae_store_max_age 1s;"), 0);
    ck_assert_int_eq(fleet_node_handshake(&n, ID_A, KEY_A), 1);

    ck_assert_int_eq(fleet_pg_stop(&pg), 0);
    ck_assert_msg(harness_log_wait(n.ng, "is stale", 8000),
                  "nginx says its store is stale");
    ck_assert_int_eq(fleet_node_handshake(&n, ID_A, KEY_A), 1);
    ck_assert(fleet_sync_log_contains(&n.sync,
                                      "keeping the last good store"));

    ck_assert_int_eq(fleet_pg_start(&pg), 0);
    ck_assert_msg(harness_log_wait(n.ng, "is fresh again", 8000),
                  "nginx says its store is fresh again");
    ck_assert_int_eq(fleet_insert(&pg, ID_B, "Clock-B", KEY_B), 0);
    ck_assert_int_eq(all_nodes(&n, 1, ID_B, KEY_B, 1), 0);

    fleet_node_stop(&n);
    harness_upstream_stop(up);
    fleet_pg_free(&pg);
}
END_TEST

/*
 * The source re-created: it numbers from 1 again, and lock B comes back
 * at its old seq with another entity and another key.  A keep-alive
 * connection bound to the old lock B is refused at its next request: a
 * binding is current only when entity, key and generation all match.
 */
START_TEST(recreated_source_same_seq_drops_binding)
{
    harness_upstream    *up;
    harness_tls_opts     o;
    harness_tls_result   r;
    harness_response     resp;
    harness_conn        *c;
    fleet_node           n;
    fleet_pg             pg;
    unsigned char        key[16];
    size_t               before;

    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");
    ck_assert_int_eq(fleet_insert(&pg, ID_A, "Clock-A", KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, "Clock-B", KEY_B), 0);
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    ck_assert_int_eq(fleet_node_start(&n, &pg, up, NULL, NULL), 0);

    memset(&o, 0, sizeof(o));
    ck_assert_int_eq(harness_unhex(KEY_B, key, sizeof(key)), 16);
    o.version = TLS1_2_VERSION;
    o.ciphers = "PSK-AES128-CBC-SHA256";
    o.identity = ID_B;
    o.key = key;
    o.key_len = sizeof(key);
    c = harness_tls_connect(n.port, &o, &r);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(harness_http(c, "GET", "/one", NULL, NULL, 1, &resp),
                     0);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(harness_req_header(harness_upstream_last(up),
                                        "X-Onem2m-Sae-Entity"), "Clock-B");
    harness_response_free(&resp);

    /* lock B at seq 2 again, of another entity, with another key */
    ck_assert_int_eq(fleet_pg_new_schema(&pg), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_C, "Clock-C", KEY_C), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, "Clock-B2", KEY_C), 0);
    ck_assert_int_eq(fleet_store_wait(n.store, ID_C, 1, WAIT_MS), 0);
    ck_assert(fleet_sync_log_contains(&n.sync, "full resync"));

    before = harness_upstream_count(up);
    ck_assert_int_eq(harness_http(c, "GET", "/two", NULL, NULL, 1, &resp),
                     0);
    ck_assert_int_eq(resp.status, 403);
    ck_assert_str_eq(harness_resp_header(&resp, "X-M2M-RSC"), "4107");
    harness_response_free(&resp);
    ck_assert_uint_eq(harness_upstream_count(up), before);
    ck_assert_msg(harness_log_wait(n.ng, "binding of psk identity \""
                                   ID_B "\" to \"Clock-B\" dropped",
                                   2000),
                  "%s", harness_log(n.ng));

    harness_conn_close(c);
    harness_tls_result_free(&r);
    fleet_node_stop(&n);
    harness_upstream_stop(up);
    fleet_pg_free(&pg);
}
END_TEST

/*
 * A front end whose source is restored from an older backup while its
 * daemon is away, then written past the store's seq: when the daemon
 * connects again it resyncs in full, and nginx refuses A (revoked after
 * the restore), C and D (added after the backup), and serves E.
 */
START_TEST(restored_source_front_end_follows_it)
{
    harness_upstream  *up;
    fleet_node         n;
    fleet_pg           pg;
    char               dump[PATH_MAX + 16];

    ck_assert_msg(fleet_pg_new(&pg) == 0, "the throwaway cluster starts");
    snprintf(dump, sizeof(dump), "%s/backup.dump", pg.dir);
    ck_assert_int_eq(fleet_insert(&pg, ID_A, "Clock-A", KEY_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_B, "Clock-B", KEY_B), 0);
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    ck_assert_int_eq(fleet_node_start(&n, &pg, up, NULL, NULL), 0);
    ck_assert_int_eq(fleet_pg_dump(&pg, dump), 0);

    ck_assert_int_eq(fleet_insert(&pg, ID_C, "Clock-C", KEY_C), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_D, "Clock-D", KEY_D), 0);
    ck_assert_int_eq(all_nodes(&n, 1, ID_D, KEY_D, 1), 0);

    ck_assert_int_eq(fleet_sync_stop(&n.sync, SIGTERM), 0);
    ck_assert_int_eq(fleet_pg_restore(&pg, dump), 0);
    ck_assert_int_eq(fleet_revoke(&pg, ID_A), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_E, "Clock-E", KEY_E), 0);
    ck_assert_int_eq(fleet_insert(&pg, ID_F, "Clock-F", KEY_F), 0);
    ck_assert_int_eq(fleet_sync_start(&n.sync, &pg, n.store, NULL), 0);

    ck_assert_msg(all_nodes(&n, 1, ID_E, KEY_E, 1) == 0, "E is served");
    ck_assert_int_eq(fleet_node_handshake(&n, ID_A, KEY_A), 0);
    ck_assert_int_eq(fleet_node_handshake(&n, ID_C, KEY_C), 0);
    ck_assert_int_eq(fleet_node_handshake(&n, ID_D, KEY_D), 0);
    ck_assert_int_eq(fleet_node_handshake(&n, ID_B, KEY_B), 1);
    ck_assert(fleet_sync_log_contains(&n.sync, "is not the continuation "
                                      "of the store (seq 4): the source's "
                                      "storage epoch is "));

    fleet_node_stop(&n);
    harness_upstream_stop(up);
    fleet_pg_free(&pg);
}
END_TEST

Suite *fleet_nginx_suite(void)
{
    return CK_SUITE("fleet_nginx",
                    CK_TCASE_MS("nginx", NULL, NULL, 90000),
                    CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove),
                    CK_TEST(three_front_ends_follow_the_source),
                    CK_TEST(source_down_node_serves_and_reports),
                    CK_TEST(recreated_source_same_seq_drops_binding),
                    CK_TEST(restored_source_front_end_follows_it));
}
