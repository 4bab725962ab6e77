/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The nginx side of a live store, with a real nginx: the KEK directive and
 * its errors, each worker's own reader (a worker killed with SIGKILL is
 * replaced by one that serves), staleness (one warning per crossing, the
 * age and last sequence in the status output), and an HTTP/2 connection
 * whose credential is revoked (refused, GOAWAY, closed).
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <check.h>

#include <openssl/err.h>

#include "integration/live_fixture.h"
#include "integration/live_h2.h"


/* "nginx -t" fails with message and "in <nginx.conf>:<line of needle>" */
static void
assert_refused_at(const char *http, const char *message, const char *needle)
{
    harness_nginx  *ng = harness_nginx_new();
    const char     *out;
    char            where[600];

    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kek", "00", 0600), 0);
    ck_assert_int_eq(harness_nginx_config(ng, http), 0);
    ck_assert_int_ne(harness_nginx_test(ng, &out), 0);
    snprintf(where, sizeof(where), "%s:%d", harness_nginx_conf_path(ng),
             harness_nginx_conf_line(ng, needle));
    ck_assert_msg(strstr(out, message) != NULL && strstr(out, where) != NULL,
                  "expected \"%s\" and \"%s\", nginx -t said: %s", message,
                  where, out);
    harness_nginx_free(ng);
}

START_TEST(live_store_without_kek_is_refused)
{
    static const char  server[] =
        "server {\n"
        "    listen 127.0.0.1:{{PORT}} ssl;\n"
        "    {{CERT}}\n"
        "    onem2m_sae_psk_table kpsa-lmdb:{{PREFIX}}/store;\n"
        "    location / { return 200; }\n"
        "}\n";

    assert_refused_at(server, "onem2m_sae_psk_table \"kpsa-lmdb:",
                      "onem2m_sae_psk_table");
    assert_refused_at(server, "a live store needs an \"onem2m_sae_kek_file\"",
                      "onem2m_sae_psk_table");
}
END_TEST

START_TEST(kek_for_a_text_table_is_refused)
{
    /* at the http level too: the text table's server inherits it */
    assert_refused_at("onem2m_sae_kek_file {{PREFIX}}/kek;\n"
                      "server {\n"
                      "    listen 127.0.0.1:{{PORT}} ssl;\n"
                      "    {{CERT}}\n"
                      "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
                      "    location / { return 200; }\n"
                      "}\n",
                      "is for a live store (\"kpsa-lmdb:\"), not for a text "
                      "table", "onem2m_sae_psk_table");
    assert_refused_at("server {\n"
                      "    listen 127.0.0.1:{{PORT}} ssl;\n"
                      "    {{CERT}}\n"
                      "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
                      "    onem2m_sae_kek_file {{PREFIX}}/kek;\n"
                      "    location / { return 200; }\n"
                      "}\n",
                      "\"onem2m_sae_kek_file\" of ", "onem2m_sae_kek_file");
}
END_TEST

/* the pid of the last worker the master started, from the error log */
static long
last_worker(harness_nginx *ng)
{
    const char  *log, *p, *last = NULL;

    log = harness_log(ng);
    for (p = log; (p = strstr(p, "start worker process ")) != NULL; p++) {
        last = p;
    }
    return last ? strtol(last + sizeof("start worker process ") - 1, NULL,
                         10)
                : -1;
}

START_TEST(killed_worker_is_replaced_by_one_that_serves)
{
    static const unsigned char  key[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
    harness_tls_opts            o = sae_lock1(TLS1_3_VERSION);
    harness_tls_opts            added;
    long                        worker, again;
    long long                   deadline;
    char                        gone[64];

    live_start(&ls, up, LIVE_SERVER);
    ck_assert_int_eq(live_status_of(&ls, &o, "/before"), 200);

    worker = last_worker(ls.ng);
    ck_assert_int_gt(worker, 0);
    ck_assert_int_eq(kill((pid_t) worker, SIGKILL), 0);
    snprintf(gone, sizeof(gone), "%ld exited on signal 9", worker);
    ck_assert_msg(harness_log_wait(ls.ng, gone, 5000),
                  "%s", harness_log(ls.ng));

    deadline = harness_deadline_ms(5000);
    while ((again = last_worker(ls.ng)) == worker
           && harness_now_ms() < deadline)
    {
        usleep(50000);
    }
    ck_assert_int_ne(again, worker);

    /* the new worker reads the store, and sees changes made after it */
    ck_assert_int_eq(live_status_of(&ls, &o, "/after"), 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    added = sae_psk(TLS1_3_VERSION, "AE888-Lock@in.provider.com", key);
    live_put(&ls, "AE888-Lock@in.provider.com", "Clock-AE8", key,
             sizeof(key));
    ck_assert_int_eq(live_status_of(&ls, &added, "/added"), 200);
    live_revoke(&ls, HARNESS_LOCK1_KPSA_ID);
    ck_assert_int_eq(live_status_of(&ls, &o, "/revoked"), 0);
    ck_assert(!harness_log_contains(ls.ng, "[emerg]"));

    /* the master logged the killed worker: not a clean stop */
    live_free(&ls, 0);
}
END_TEST

/* the value of a metric line "<name>{store=...} <value>" of /metrics */
static long long
metric(const char *body, const char *name)
{
    const char  *p;

    p = strstr(body, name);
    ck_assert_msg(p != NULL, "no %s in:\n%s", name, body);
    p = strstr(p, "} ");
    ck_assert_ptr_nonnull(p);
    return strtoll(p + 2, NULL, 10);
}

static void
get_metrics(harness_response *resp)
{
    harness_tls_opts  o = sae_lock1(TLS1_3_VERSION);

    ck_assert_int_eq(live_request(&ls, &o, "/metrics", resp), 200);
}

/*
 * The staleness check runs once a second in worker 0 and logs nothing when
 * nothing changes: so over several ticks the log must keep exactly n lines
 * of needle.  A tick is wall-clock time, not work, so the wait is not
 * scaled for valgrind (a slower worker only makes it fewer ticks).
 */
#define LIVE_TICKS_MS  3500

static void
assert_count_over_ticks(harness_nginx *ng, const char *needle, size_t n)
{
    long long  deadline = harness_now_ms() + LIVE_TICKS_MS;
    size_t     count;

    do {
        count = harness_log_count(ng, needle);
        ck_assert_msg(count == n, "%zu lines of \"%s\", expected %zu:\n%s",
                      count, needle, n, harness_log(ng));
        usleep(100000);
    } while (harness_now_ms() < deadline);
}

START_TEST(stale_store_warns_once_and_reports_its_age)
{
    harness_response  resp;
    char              label[700];
    long long         age;

    live_start(&ls, up, LIVE_SERVER_WITH("", "    onem2m_sae_store_max_age "
                                         "30s;\n"));

    /* fresh: age about 0, the last sequence of the writer */
    get_metrics(&resp);
    snprintf(label, sizeof(label), "onem2m_sae_store_age_seconds{store=\""
             "kpsa-lmdb:%s\"} ", ls.dir);
    ck_assert_msg(strstr(resp.body, label) != NULL, "%s", resp.body);
    ck_assert_int_le(metric(resp.body, "onem2m_sae_store_age_seconds{"), 5);
    ck_assert_int_eq(metric(resp.body, "onem2m_sae_store_last_seq{"),
                     (long long) ls.seq);
    ck_assert_int_eq(metric(resp.body, "onem2m_sae_store_entries{"), 2);
    harness_response_free(&resp);

    /* the sync daemon last heard from its source 100 s ago */
    live_synced_at(&ls, (int64_t) time(NULL) - 100);
    ck_assert_msg(harness_log_wait(ls.ng, "is stale: last synced",
                                   5000),
                  "%s", harness_log(ls.ng));
    get_metrics(&resp);
    age = metric(resp.body, "onem2m_sae_store_age_seconds{");
    ck_assert_int_ge(age, 100);
    ck_assert_int_le(age, 130);
    harness_response_free(&resp);

    /* stale for several ticks: the warning was logged once */
    assert_count_over_ticks(ls.ng, "is stale: last synced", 1);

    /* a crossing back, logged once over several fresh ticks (< 30 s) */
    live_synced_at(&ls, (int64_t) time(NULL));
    ck_assert_msg(harness_log_wait(ls.ng, "is fresh again",
                                   5000),
                  "%s", harness_log(ls.ng));
    assert_count_over_ticks(ls.ng, "is fresh again", 1);
    ck_assert_uint_eq(harness_log_count(ls.ng, "is stale: last synced"), 1);

    /* one warning per crossing: stale again is warned again */
    live_synced_at(&ls, (int64_t) time(NULL) - 100);
    ck_assert_msg(harness_log_wait_count(ls.ng, "is stale: last synced", 2,
                                         5000),
                  "%s", harness_log(ls.ng));

    live_free(&ls, 1);
}
END_TEST

START_TEST(text_table_status_has_no_store_gauges)
{
    harness_nginx     *ng;
    harness_tls_opts   o = sae_lock1(TLS1_3_VERSION);
    harness_tls_result r;
    harness_response   resp;

    ng = sae_start(up, "server {\n" SAE_TLS
                   "    location = /metrics { onem2m_sae off; "
                   "onem2m_sae_status; }\n}\n");
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), &o, "GET",
                                         "/metrics", NULL, NULL, &r, &resp),
                     0);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_ptr_null(strstr(resp.body, "onem2m_sae_store_"));
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    sae_stop(ng);
}
END_TEST


/* X-M2M-Origin of an entity of the live store: it has credentials */
START_TEST(originator_check_finds_entities_of_the_live_store)
{
    harness_tls_opts    o = sae_cert_only(TLS1_3_VERSION);
    harness_tls_result  r;
    harness_response    resp;
    size_t              before;

    live_start(&ls, up, LIVE_SERVER_WITH("",
                                         "    onem2m_sae optional;\n"
                                         "    onem2m_sae_cse_id mn-cse-1;\n"
                                         "    onem2m_sae_originator check;\n"));
    before = harness_upstream_count(up);
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ls.ng, 0), &o,
                                         "GET", "/cse",
                                         "X-M2M-Origin: Clock-AE2\r\n", NULL,
                                         &r, &resp), 0);
    ck_assert_int_eq(resp.status, 403);
    ck_assert_str_eq(harness_resp_header(&resp, "X-M2M-RSC"), "4106");
    ck_assert_ptr_nonnull(strstr(resp.body, "has credentials"));
    ck_assert_uint_eq(harness_upstream_count(up), before);
    harness_response_free(&resp);
    harness_tls_result_free(&r);

    /* revoked: no credentials any more, the claim passes (unbound) */
    live_revoke(&ls, HARNESS_LOCK2_KPSA_ID);
    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ls.ng, 0), &o,
                                         "GET", "/cse",
                                         "X-M2M-Origin: Clock-AE2\r\n", NULL,
                                         &r, &resp), 0);
    ck_assert_int_eq(resp.status, 200);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    live_free(&ls, 1);
}
END_TEST



START_TEST(http2_request_after_revoke_is_refused_and_closed)
{
    h2_conn           h;
    size_t            before;

    /* only where the nginx under test has HTTP/2 */
    if (!h2_nginx_has_http2()) {
        return;
    }

    live_start(&ls, up, LIVE_SERVER_WITH(" http2", ""));
    h2_open(&h, harness_nginx_port(ls.ng, 0));

    h2_get(&h, 1, "/h2-one");
    ck_assert_int_eq(h2_status(&h, 1), 200);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    ck_assert_int_eq(h.goaway, 0);

    live_revoke(&ls, HARNESS_LOCK1_KPSA_ID);
    before = harness_upstream_count(up);
    h2_get(&h, 3, "/h2-two");
    ck_assert_int_eq(h2_status(&h, 3), 403);

    /* GOAWAY, then the end of the connection */
    while (!h.eof && !h.timedout) {
        h2_status(&h, 5);
    }
    ck_assert_int_eq(h.goaway, 1);
    ck_assert_int_eq(h.eof, 1);
    ck_assert_uint_eq(harness_upstream_count(up), before);
    ck_assert_msg(harness_log_wait(ls.ng, "dropped: credential revoked, "
                                   "rekeyed or moved, connection closed",
                                   2000),
                  "%s", harness_log(ls.ng));
    h2_close(&h);
    live_free(&ls, 1);
}
END_TEST

Suite *live_store_suite(void)
{
    return CK_SUITE("live_store",
                    CK_TCASE_MS("config", live_setup, live_teardown, 30000),
                    CK_TEST(live_store_without_kek_is_refused),
                    CK_TEST(kek_for_a_text_table_is_refused),
                    CK_TCASE_MS("workers", live_setup, live_teardown, 30000),
                    CK_TEST(killed_worker_is_replaced_by_one_that_serves),
                    CK_TCASE_MS("staleness", live_setup, live_teardown, 30000),
                    CK_TEST(stale_store_warns_once_and_reports_its_age),
                    CK_TEST(text_table_status_has_no_store_gauges),
                    CK_TCASE_MS("originator", live_setup, live_teardown,
                                30000),
                    CK_TEST(originator_check_finds_entities_of_the_live_store),
                    CK_TCASE_MS("http2", live_setup, live_teardown, 30000),
                    CK_TEST(http2_request_after_revoke_is_refused_and_closed));
}
