/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nginx -s reload (SIGHUP) with a changed table: added identities work,
 * removed ones fail, a request in flight completes; a broken table makes
 * the reload fail with the table error logged and the old configuration
 * keeps serving.
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define LOCK1_LINE \
    HARNESS_LOCK1_ENTITY " " HARNESS_LOCK1_KEY_HEX " " \
    HARNESS_LOCK1_KPSA_ID "\n"
#define LOCK2_LINE \
    HARNESS_LOCK2_ENTITY " " HARNESS_LOCK2_KEY_HEX " " \
    HARNESS_LOCK2_KPSA_ID "\n"
/* lock 1 with SAE_WRONG_KEY (its key, last bit flipped) as its new key */
#define LOCK1_REKEYED_LINE \
    HARNESS_LOCK1_ENTITY " 1a2b3c4d5e6f7a8a " HARNESS_LOCK1_KPSA_ID "\n"

SAE_UPSTREAM_FIXTURE()

/* 1 when the lock's request reached the upstream bound to entity */
static int
bound(harness_nginx *ng, harness_tls_opts o, const char *entity)
{
    harness_tls_result  r;
    harness_response    resp;
    size_t              before = harness_upstream_count(up);
    int                 ok = 0;

    if (harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/", NULL,
                            NULL, &r, &resp) == 0)
    {
        if (resp.status == 200) {
            sae_assert_upstream_entity(harness_upstream_last(up), entity);
            ok = 1;
        } else {
            sae_assert_4107(&resp);
        }
    }
    if (!ok) {
        ck_assert_uint_eq(harness_upstream_count(up), before);
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    return ok;
}

/* whether lock 1 (lock 2) of version v is bound to its entity */
#define LOCK1_BOUND(ng, v)  bound(ng, sae_lock1(v), HARNESS_LOCK1_ENTITY)
#define LOCK2_BOUND(ng, v)  bound(ng, sae_lock2(v), HARNESS_LOCK2_ENTITY)

/* the table replaced by "lines", then a reload that must return rc */
static void
reload_table(harness_nginx *ng, const char *lines, int rc)
{
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table", lines, 0600),
                     0);
    ck_assert_int_eq(harness_nginx_reload(ng), rc);
}

/* lock 1 binds with its new key only */
static void
assert_rekeyed(harness_nginx *ng, int v)
{
    ck_assert(!LOCK1_BOUND(ng, v));
    ck_assert(bound(ng, sae_psk(v, HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY),
                    HARNESS_LOCK1_ENTITY));
}

START_TEST(added_identity_works_after_reload)
{
    harness_nginx  *ng = sae_start_with(LOCK1_LINE, up, SAE_SERVER);
    int             v = sae_versions[_i];

    ck_assert(LOCK1_BOUND(ng, v));
    ck_assert(!LOCK2_BOUND(ng, v));
    reload_table(ng, LOCK1_LINE LOCK2_LINE, 0);
    ck_assert(LOCK2_BOUND(ng, v));
    ck_assert(LOCK1_BOUND(ng, v));
    sae_stop(ng);
}
END_TEST

START_TEST(removed_identity_fails_after_reload)
{
    harness_nginx  *ng = sae_start(up, SAE_SERVER);
    int             v = sae_versions[_i];

    ck_assert(LOCK1_BOUND(ng, v));
    reload_table(ng, LOCK2_LINE, 0);
    ck_assert(!LOCK1_BOUND(ng, v));
    ck_assert(LOCK2_BOUND(ng, v));
    sae_stop(ng);
}
END_TEST

START_TEST(changed_key_takes_effect)
{
    harness_nginx  *ng = sae_start(up, SAE_SERVER);
    int             v = sae_versions[_i];

    reload_table(ng, LOCK1_REKEYED_LINE LOCK2_LINE, 0);
    assert_rekeyed(ng, v);
    sae_stop(ng);
}
END_TEST

/*
 * One key edited in place, same size, mtime and atime set back (touch -d):
 * the reload reads the file anyway and binds the new key only; the log's
 * entry count says the file was read.
 */
START_TEST(same_size_edit_with_old_mtime_takes_effect)
{
    harness_nginx    *ng = sae_start(up, SAE_SERVER);
    int               v = sae_versions[_i];
    const char       *table = LOCK1_REKEYED_LINE LOCK2_LINE;
    char              path[256];
    struct stat       before, after;
    struct timespec   ts[2];
    size_t            reads;
    int               fd;

    snprintf(path, sizeof(path), "%s/kpsa.table", harness_nginx_prefix(ng));
    ck_assert_int_eq(stat(path, &before), 0);
    ck_assert(LOCK1_BOUND(ng, v));
    /* (info lines of the first start precede the error_log directive) */
    reads = harness_log_count(ng, "entries, read (SHA-256 ");

    /* in place: same inode, same size */
    fd = open(path, O_WRONLY);
    ck_assert_int_ne(fd, -1);
    ck_assert_uint_eq(strlen(table), (size_t) before.st_size);
    ck_assert_int_eq(pwrite(fd, table, strlen(table), 0),
                     (ssize_t) strlen(table));
    ck_assert_int_eq(close(fd), 0);
    ts[0] = before.st_atim;
    ts[1] = before.st_mtim;
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert_int_eq(after.st_ino, before.st_ino);
    ck_assert_int_eq(after.st_size, before.st_size);
    ck_assert_int_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    ck_assert_int_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

    ck_assert_int_eq(harness_nginx_reload(ng), 0);
    assert_rekeyed(ng, v);
    ck_assert_uint_eq(harness_log_count(ng, "entries, read (SHA-256 "),
                      reads + 1);

    /* unchanged, the next reload shares the parsed copy and says so */
    ck_assert_int_eq(harness_nginx_reload(ng), 0);
    ck_assert(harness_log_contains(ng, "2 entries, unchanged (SHA-256 "));
    ck_assert(bound(ng, sae_psk(v, HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY),
                    HARNESS_LOCK1_ENTITY));
    sae_stop(ng);
}
END_TEST

START_TEST(broken_table_keeps_the_old_configuration)
{
    harness_nginx  *ng = sae_start(up, SAE_SERVER);
    int             v = sae_versions[_i];

    reload_table(ng, LOCK2_LINE "Clock-AE3 zz AE3@in.provider.com\n", -1);
    ck_assert(harness_log_contains(ng, "onem2m_sae_psk_table \"kpsa:"));
    ck_assert(harness_log_contains(ng, "kpsa.table:2: "));
    /* the old table still serves: lock 1 is bound, the master alive */
    ck_assert(LOCK1_BOUND(ng, v));
    ck_assert(LOCK2_BOUND(ng, v));
    /* fixed, the next reload goes through */
    reload_table(ng, LOCK2_LINE, 0);
    ck_assert(!LOCK1_BOUND(ng, v));
    sae_stop(ng);
}
END_TEST

START_TEST(missing_table_keeps_the_old_configuration)
{
    harness_nginx  *ng = sae_start(up, SAE_SERVER);
    char            path[256];

    snprintf(path, sizeof(path), "%s/kpsa.table", harness_nginx_prefix(ng));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(harness_nginx_reload(ng), -1);
    ck_assert(LOCK1_BOUND(ng, TLS1_3_VERSION));
    sae_stop(ng);
}
END_TEST

START_TEST(request_in_flight_completes)
{
    harness_nginx      *ng = sae_start(up, SAE_SERVER);
    harness_tls_opts    o = sae_lock1(sae_versions[_i]);
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;
    static const char   head[] = "GET /inflight HTTP/1.1\r\nHost: x\r\n";

    c = harness_tls_connect(harness_nginx_port(ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(harness_conn_write(c, head, sizeof(head) - 1), 0);
    /* lock 1 leaves the table while its request is half sent */
    harness_nginx_write_file(ng, "kpsa.table", LOCK2_LINE, 0600);
    ck_assert_int_eq(harness_nginx_reload_start(ng), 0);
    ck_assert_int_eq(harness_http_raw(c, "Connection: close\r\n\r\n", 21,
                                      &resp), 0);
    /* authenticated under the old table: served as such */
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(harness_upstream_last(up)->uri, "/inflight");
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
    harness_response_free(&resp);
    harness_conn_close(c);
    harness_tls_result_free(&r);
    ck_assert_int_eq(harness_nginx_reload_wait_old(ng), 0);
    ck_assert(!bound(ng, sae_lock1(sae_versions[_i]), HARNESS_LOCK1_ENTITY));
    sae_stop(ng);
}
END_TEST

START_TEST(many_reloads_stay_clean)
{
    harness_nginx  *ng = sae_start(up, SAE_SERVER);
    int             i;

    for (i = 0; i < 5; i++) {
        reload_table(ng, (i % 2) ? LOCK2_LINE : LOCK1_LINE, 0);
        ck_assert_int_eq(bound(ng, sae_lock1(TLS1_3_VERSION),
                               HARNESS_LOCK1_ENTITY), !(i % 2));
        ck_assert_int_eq(bound(ng, sae_lock2(TLS1_2_VERSION),
                               HARNESS_LOCK2_ENTITY), i % 2);
    }
    sae_stop(ng);
}
END_TEST

Suite *sae_reload_suite(void)
{
    return CK_SUITE("sae_reload",
                    CK_TCASE_MS("reload", setup, teardown, 30000),
                    CK_LOOP(added_identity_works_after_reload, 2),
                    CK_LOOP(removed_identity_fails_after_reload, 2),
                    CK_LOOP(changed_key_takes_effect, 2),
                    CK_LOOP(same_size_edit_with_old_mtime_takes_effect, 2),
                    CK_LOOP(broken_table_keeps_the_old_configuration, 2),
                    CK_TEST(missing_table_keeps_the_old_configuration),
                    CK_LOOP(request_in_flight_completes, 2),
                    CK_TEST(many_reloads_stay_clean));
}
