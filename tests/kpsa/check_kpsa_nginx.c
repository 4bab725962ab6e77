/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa against the real nginx with the module: what "check"
 * accepts nginx loads, what it refuses "nginx -t" refuses on the same
 * lines for the same reasons, and "add --reload" makes a new lock bind on
 * the running server without a restart.
 */

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "integration/sae_fixture.h"
#include "kpsa/kpsa_util.h"

static harness_upstream  *up;

static void
setup(void)
{
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
}

static void
teardown(void)
{
    harness_upstream_stop(up);
}

static const char *
table_of(harness_nginx *ng)
{
    static char  path[512];

    snprintf(path, sizeof(path), "%s/kpsa.table", harness_nginx_prefix(ng));
    return path;
}

/* the tool's output kept past the next ku_run() */
static char *
run_tool_copy(int *rc, ...)
{
    const char  *out;
    char        *argv[16];
    int          n = 0;
    va_list      ap;

    va_start(ap, rc);
    while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL) {
        n++;
    }
    va_end(ap);
    argv[n] = NULL;

    *rc = ku_run(NULL, &out, argv[0], argv[1], argv[2], argv[3], argv[4],
                 argv[5], argv[6], argv[7], argv[8], argv[9], argv[10],
                 argv[11], argv[12], argv[13], argv[14], NULL);
    return strdup(out);
}

/* the lock's TLS-PSK request reached the upstream bound to entity */
static int
bound(harness_nginx *ng, int version, const char *id,
    const unsigned char *key, size_t key_len, const char *entity)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_response    resp;
    int                 ok = 0;

    memset(&o, 0, sizeof(o));
    o.version = version;
    o.identity = id;
    o.key = key;
    o.key_len = key_len;

    if (harness_tls_request(harness_nginx_port(ng, 0), &o, "GET", "/", NULL,
                            NULL, &r, &resp) == 0 && resp.status == 200)
    {
        sae_assert_upstream_entity(harness_upstream_last(up), entity);
        ok = 1;
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
    return ok;
}

/*- check agrees with nginx -t ---------------------------------------- */

static const char *const  tables[] = {
    /* accepted (warnings only) */
    HARNESS_SEED_TABLE,
    "# one good lock\n"
    "Cdoor-1  00112233445566778899aabbccddeeff  door1@m2m.example\n",
    "",
    /* refused */
    "Clock-AE1 1a2b3c4d5e6f7a8b\n",
    "# c\n\nClock-AE1 1a2b3c4d5e6f7a8b a@b.example\n"
    "Clock-AE2 zz a2@b.example\n"
    "Clock-AE3 1a2 a3@b.example\n"
    "/x/y/z 1a2b a4@b.example\n"
    "Clock-AE4 1a2b not-an-id\n"
    "Clock-AE5 1a2b a@b.example\n",
    "Clock-AE1 1a2b3c4d5e6f7a8b a@b.example extra\r\n",
    "Clock-AE1 1a2b a@b.example\n\xc3\x28\n",
};

START_TEST(check_agrees_with_nginx_t)
{
    harness_nginx  *ng = harness_nginx_new();
    const char     *path, *nginx_out;
    char           *tool_out, *line, *save, *msg;
    int             tool_rc, nginx_rc, emerg_tool = 0;
    size_t          emerg_nginx = 0;
    const char     *p;

    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table", tables[_i],
                                              0600), 0);
    ck_assert_int_eq(harness_nginx_config(ng, SAE_SERVER), 0);
    path = table_of(ng);

    tool_out = run_tool_copy(&tool_rc, "-f", path, "check", NULL);
    nginx_rc = harness_nginx_test(ng, &nginx_out);

    ck_assert_msg((tool_rc == 0) == (nginx_rc == 0),
                  "table %d: check exit %d, nginx -t exit %d\n%s\n---\n%s",
                  _i, tool_rc, nginx_rc, tool_out, nginx_out);

    /* each error of the tool is one of nginx, word for word */
    for (line = strtok_r(tool_out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
    {
        msg = strstr(line, "[emerg] ");
        if (msg == NULL) {
            continue;
        }
        msg += strlen("[emerg] ");
        emerg_tool++;
        ck_assert_msg(strstr(nginx_out, msg) != NULL,
                      "nginx -t does not say \"%s\":\n%s", msg, nginx_out);
    }

    for (p = nginx_out; (p = strstr(p, "[emerg]")) != NULL; p++) {
        emerg_nginx++;
    }
    ck_assert_int_eq(emerg_tool, (int) emerg_nginx);
    if (tool_rc != 0) {
        ck_assert_int_gt(emerg_tool, 0);
    }

    free(tool_out);
    harness_nginx_free(ng);
}
END_TEST

/*- what add writes, nginx binds -------------------------------------- */

static void
added(const char *out, char *id, size_t idlen, unsigned char *key,
    size_t *key_len)
{
    const char  *v = ku_added_id(out), *hex;
    int          n;

    ck_assert_msg(v != NULL, "%s", out);
    snprintf(id, idlen, "%s", v);
    hex = ku_added_key(out);
    ck_assert_ptr_nonnull(hex);
    n = harness_unhex(hex, key, 64);
    ck_assert_int_gt(n, 0);
    *key_len = (size_t) n;
}

START_TEST(added_lock_binds)
{
    harness_nginx  *ng = harness_nginx_new();
    const char     *out;
    char            id[300];
    unsigned char   key[64];
    size_t          key_len;
    int             rc;

    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", table_of(ng), "add",
                            "Clock-AE3", NULL), 0);
    added(out, id, sizeof(id), key, &key_len);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", table_of(ng), "check", NULL),
                     0);

    harness_nginx_set_upstream(ng, up);
    ck_assert_int_eq(harness_nginx_config(ng, SAE_SERVER), 0);
    rc = harness_nginx_start(ng);
    ck_assert_msg(rc == 0, "%s", harness_log(ng));
    ck_assert(bound(ng, TLS1_2_VERSION, id, key, key_len, "Clock-AE3"));
    ck_assert(bound(ng, TLS1_3_VERSION, id, key, key_len, "Clock-AE3"));
    ck_assert(bound(ng, TLS1_2_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_LOCK1_KEY,
                    8, HARNESS_LOCK1_ENTITY));
    sae_stop(ng);
}
END_TEST

/*- --reload ---------------------------------------------------------- */

/*
 * "worker process N exited" of the current worker: a reload is complete
 * for new connections once the old worker is gone (it accepts until then).
 */
static const char *
old_worker_exit(harness_nginx *ng)
{
    static char  needle[64];
    const char  *log = harness_log(ng), *p, *last = NULL;

    for (p = log; (p = strstr(p, "start worker process ")) != NULL; p++) {
        last = p;
    }
    ck_assert_ptr_nonnull(last);
    snprintf(needle, sizeof(needle), "worker process %ld exited",
             strtol(last + strlen("start worker process "), NULL, 10));
    return needle;
}

static void
wait_reloaded(harness_nginx *ng, const char *old_exit)
{
    ck_assert_msg(harness_log_wait(ng, old_exit, 10000),
                  "no \"%s\" after the reload", old_exit);
}

START_TEST(add_reload_binds_without_restart)
{
    harness_nginx  *ng = sae_start(up, SAE_SERVER);
    char            pid_file[512], id[300], *out, old_exit[64];
    char            cmd[1024];
    char           *argv[] = { "sh", "-c", cmd, NULL };
    const char     *base;
    unsigned char   key[64];
    size_t          key_len;
    pid_t           master = harness_nginx_pid(ng);
    int             rc;

    snprintf(pid_file, sizeof(pid_file), "%s/nginx.pid",
             harness_nginx_prefix(ng));
    snprintf(old_exit, sizeof(old_exit), "%s", old_worker_exit(ng));

    /*
     * nginx -s reload: nginx finds its master through nginx.conf's pid.
     * Paths relative to the operator's directory (nginx would read a
     * relative -c inside the prefix).
     */
    base = strrchr(harness_nginx_prefix(ng), '/') + 1;
    snprintf(cmd, sizeof(cmd),
             "cd %.*s && " KU_TOOL " -f %s/kpsa.table add Clock-AE3 "
             "--reload --nginx %s --nginx-conf %s/nginx.conf "
             "--nginx-prefix %s",
             (int) (base - 1 - harness_nginx_prefix(ng)),
             harness_nginx_prefix(ng), base, harness_nginx_bin(), base, base);
    rc = harness_run(argv, NULL, harness_timeout_ms(20000), &out);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_msg(strstr(out, "nginx reloaded") != NULL, "%s", out);
    added(out, id, sizeof(id), key, &key_len);
    free(out);

    wait_reloaded(ng, old_exit);
    ck_assert(bound(ng, TLS1_2_VERSION, id, key, key_len, "Clock-AE3"));
    ck_assert(bound(ng, TLS1_3_VERSION, id, key, key_len, "Clock-AE3"));
    ck_assert(bound(ng, TLS1_2_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_LOCK1_KEY,
                    8, HARNESS_LOCK1_ENTITY));
    ck_assert_int_eq(harness_nginx_pid(ng), master);
    ck_assert_int_eq(kill(master, 0), 0);

    /* deleted with --pid-file: gone, still no restart */
    snprintf(old_exit, sizeof(old_exit), "%s", old_worker_exit(ng));
    out = run_tool_copy(&rc, "-f", table_of(ng), "del", id, "--reload",
                        "--nginx", harness_nginx_bin(), "--pid-file", pid_file,
                        "--nginx-conf", harness_nginx_conf_path(ng),
                        "--nginx-prefix", harness_nginx_prefix(ng), NULL);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    wait_reloaded(ng, old_exit);
    ck_assert(!bound(ng, TLS1_2_VERSION, id, key, key_len, "Clock-AE3"));
    ck_assert(!bound(ng, TLS1_3_VERSION, id, key, key_len, "Clock-AE3"));
    ck_assert(bound(ng, TLS1_2_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_LOCK1_KEY,
                    8, HARNESS_LOCK1_ENTITY));
    ck_assert_int_eq(harness_nginx_pid(ng), master);
    sae_stop(ng);
}
END_TEST

START_TEST(failed_reload_puts_the_old_table_back)
{
    harness_nginx  *ng = sae_start(up, SAE_SERVER);
    char            bad_conf[512], *conf, *text, *out, *before;
    int             rc;

    before = ku_read(table_of(ng), NULL);

    /* a configuration nginx -t refuses */
    conf = ku_read(harness_nginx_conf_path(ng), NULL);
    snprintf(bad_conf, sizeof(bad_conf), "%s/bad.conf",
             harness_nginx_prefix(ng));
    text = malloc(strlen(conf) + 64);
    sprintf(text, "no_such_directive on;\n%s", conf);
    ku_write(bad_conf, text, 0644);
    free(text);
    free(conf);

    out = run_tool_copy(&rc, "-f", table_of(ng), "add", "Clock-AE3",
                        "--reload", "--nginx", harness_nginx_bin(),
                        "--nginx-conf", bad_conf,
                        "--nginx-prefix", harness_nginx_prefix(ng), NULL);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, "unknown directive \"no_such_directive\"")
                  != NULL, "%s", out);
    ck_assert_msg(strstr(out, "nginx -t failed") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "the previous table is back, nothing changed")
                  != NULL, "%s", out);
    ck_assert_msg(strstr(out, "Kpsa:") == NULL, "a key was printed");
    free(out);
    ku_assert_file_is(table_of(ng), before);

    free(before);

    /* the running server never noticed */
    ck_assert(bound(ng, TLS1_2_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_LOCK1_KEY,
                    8, HARNESS_LOCK1_ENTITY));
    sae_stop(ng);
}
END_TEST

/*
 * nginx -t passes but no nginx runs (a new machine, where nginx -t as root
 * leaves an empty pid file): nothing to reload, the credential stays in
 * the table, where nginx finds it when it starts, and is printed.
 */
static void
assert_kept(harness_nginx *ng, const char *entity, int rc, char *out,
    const char *reason)
{
    ONEM2M_SAE_TABLE  *t;
    char               id[300];

    ck_assert_msg(rc == 0, "exit status %d: %s", rc, out);
    ck_assert_msg(strstr(out, reason) != NULL, "no \"%s\" in:\n%s", reason,
                  out);
    ck_assert_msg(strstr(out, "kpsa.table: the new table stays, nginx loads "
                          "it when it starts (systemctl start nginx, or "
                          "nginx)\n") != NULL, "%s", out);
    snprintf(id, sizeof(id), "%s", ku_added_id(out));
    t = ku_open(table_of(ng));
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(ku_entity_of(t, id, NULL, NULL), entity);
    ONEM2M_SAE_table_free(t);
    free(out);
}

START_TEST(add_reload_without_nginx_keeps_the_credential)
{
    harness_nginx  *ng = harness_nginx_new();
    char            pid_file[512], other_pid_file[512];
    char           *out;
    int             rc;

    ck_assert_ptr_nonnull(ng);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    harness_nginx_set_upstream(ng, up);
    ck_assert_int_eq(harness_nginx_config(ng, SAE_SERVER), 0);
    snprintf(pid_file, sizeof(pid_file), "%s/nginx.pid",
             harness_nginx_prefix(ng));

    /* nginx -s reload, no pid file */
    out = run_tool_copy(&rc, "-f", table_of(ng), "add", "Clock-AE3",
                        "--reload", "--nginx", harness_nginx_bin(),
                        "--nginx-conf", harness_nginx_conf_path(ng),
                        "--nginx-prefix", harness_nginx_prefix(ng), NULL);
    assert_kept(ng, "Clock-AE3", rc, out, "onem2m-kpsa: nginx is not "
                "running (nginx -s reload found no master)\n");

    /* nginx -s reload, the empty pid file nginx -t leaves */
    ku_write(pid_file, "", 0644);
    out = run_tool_copy(&rc, "-f", table_of(ng), "add", "Clock-AE4",
                        "--reload", "--nginx", harness_nginx_bin(),
                        "--nginx-conf", harness_nginx_conf_path(ng),
                        "--nginx-prefix", harness_nginx_prefix(ng), NULL);
    assert_kept(ng, "Clock-AE4", rc, out, "onem2m-kpsa: nginx is not "
                "running (nginx -s reload found no master)\n");

    /* --pid-file: empty, missing, a process that is gone */
    out = run_tool_copy(&rc, "-f", table_of(ng), "add", "Clock-AE5",
                        "--reload", "--nginx", harness_nginx_bin(),
                        "--pid-file", pid_file,
                        "--nginx-conf", harness_nginx_conf_path(ng),
                        "--nginx-prefix", harness_nginx_prefix(ng), NULL);
    assert_kept(ng, "Clock-AE5", rc, out, "is empty)\n");

    /* (nginx -t itself leaves the configuration's pid file, empty) */
    snprintf(other_pid_file, sizeof(other_pid_file), "%s/other.pid",
             harness_nginx_prefix(ng));
    out = run_tool_copy(&rc, "-f", table_of(ng), "add", "Clock-AE6",
                        "--reload", "--nginx", harness_nginx_bin(),
                        "--pid-file", other_pid_file,
                        "--nginx-conf", harness_nginx_conf_path(ng),
                        "--nginx-prefix", harness_nginx_prefix(ng), NULL);
    assert_kept(ng, "Clock-AE6", rc, out, "nginx is not running (no pid "
                "file ");

    ku_write(pid_file, "999999999\n", 0644);
    out = run_tool_copy(&rc, "-f", table_of(ng), "add", "Clock-AE7",
                        "--reload", "--nginx", harness_nginx_bin(),
                        "--pid-file", pid_file,
                        "--nginx-conf", harness_nginx_conf_path(ng),
                        "--nginx-prefix", harness_nginx_prefix(ng), NULL);
    assert_kept(ng, "Clock-AE7", rc, out, "nginx is not running (no "
                "process 999999999, the pid in ");

    /* and nginx, started now, serves what the table holds */
    ck_assert_int_eq(harness_nginx_start(ng), 0);
    ck_assert(bound(ng, TLS1_2_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_LOCK1_KEY,
                    8, HARNESS_LOCK1_ENTITY));
    sae_stop(ng);
}
END_TEST

Suite *kpsa_nginx_suite(void)
{
    return CK_SUITE("kpsa_nginx",
                    CK_TCASE_MS("check", NULL, NULL, 30000),
                    CK_LOOP(check_agrees_with_nginx_t, CK_N(tables)),
                    CK_TCASE_MS("nginx", setup, teardown, 30000),
                    CK_TEST(added_lock_binds),
                    CK_TEST(add_reload_binds_without_restart),
                    CK_TEST(failed_reload_puts_the_old_table_back),
                    CK_TEST(add_reload_without_nginx_keeps_the_credential));
}
