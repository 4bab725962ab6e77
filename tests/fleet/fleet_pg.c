/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A throwaway PostgreSQL 15 cluster per test: initdb once per suite into a
 * template (schema and login roles loaded), copied for each test.  Unix
 * socket only (listen_addresses empty, the socket in the cluster's own
 * directory), trust authentication, fsync off.  As root the cluster runs
 * as "nobody": initdb and postgres refuse root.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/harness.h"
#include "fleet.h"

#define PG_START_TIMEOUT_MS  20000
#define PG_STOP_TIMEOUT_MS   20000
#define PSQL_TIMEOUT_MS      20000

static char  template_dir[PATH_MAX];

int
fleet_mkdtemp(char *buf, size_t len, const char *tag)
{
    if ((size_t) snprintf(buf, len, "/tmp/onem2m-%s-XXXXXX", tag) >= len
        || mkdtemp(buf) == NULL)
    {
        return -1;
    }

    return chmod(buf, 0755);
}

void
fleet_rmtree(const char *dir)
{
    char  *argv[] = { "rm", "-rf", (char *) dir, NULL };

    if (dir[0] == '/' && strncmp(dir, "/tmp/onem2m-", 12) == 0) {
        harness_run(argv, NULL, PSQL_TIMEOUT_MS, NULL);
    }
}

/* the cluster's user: nobody when we are root, else ourselves */
static int
pg_user(uid_t *uid, gid_t *gid)
{
    struct passwd  *pw;

    if (geteuid() != 0) {
        *uid = geteuid();
        *gid = getegid();
        return 0;
    }

    pw = getpwnam("nobody");

    if (pw == NULL) {
        return -1;
    }

    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

/* runs argv as the cluster's user, output to log; waits unless bg */
static pid_t
spawn_pg(char *const argv[], const char *log, int bg, int *status)
{
    uid_t  uid;
    gid_t  gid;
    pid_t  pid;
    int    fd;

    if (pg_user(&uid, &gid) != 0) {
        return -1;
    }

    pid = fork();

    if (pid == 0) {
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
            _exit(126);
        }
        if (geteuid() == 0
            && (setgroups(0, NULL) != 0 || setgid(gid) != 0
                || setuid(uid) != 0))
        {
            _exit(126);
        }
        /* after setuid: a change of credentials clears it */
        prctl(PR_SET_PDEATHSIG, SIGQUIT);
        execv(argv[0], argv);
        _exit(127);
    }

    if (pid > 0 && !bg) {
        if (waitpid(pid, status, 0) != pid) {
            return -1;
        }
    }

    return pid;
}

static int
own_dir(const char *dir)
{
    uid_t  uid;
    gid_t  gid;

    return pg_user(&uid, &gid) == 0 && chown(dir, uid, gid) == 0 ? 0 : -1;
}

const char *
fleet_pg_conninfo(const fleet_pg *pg, const char *role, char *buf,
    size_t len)
{
    snprintf(buf, len, "host=%s user=%s dbname=postgres", pg->dir, role);
    return buf;
}

int
fleet_pg_sql(const fleet_pg *pg, const char *role, const char *sql,
    char **out)
{
    char  *argv[] = { "psql", "-X", "-q", "-A", "-t", "-v",
                      "ON_ERROR_STOP=1", "-h", (char *) pg->dir, "-U",
                      (char *) role, "-d", "postgres", "-c", (char *) sql,
                      NULL };

    return harness_run(argv, NULL, harness_timeout_ms(PSQL_TIMEOUT_MS), out);
}

int
fleet_pg_new_schema(const fleet_pg *pg)
{
    char  *out = NULL;
    char  *schema[] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-h", (char *) pg->dir, "-U", FLEET_ADMIN, "-d",
                        "postgres", "-f", FLEET_SCHEMA, NULL };
    int    rc;

    rc = fleet_pg_sql(pg, FLEET_ADMIN, "DROP SCHEMA onem2m CASCADE", NULL);

    if (rc == 0) {
        rc = harness_run(schema, NULL, harness_timeout_ms(PSQL_TIMEOUT_MS),
                         &out);
    }

    free(out);
    return rc;
}

int
fleet_pg_dump(const fleet_pg *pg, const char *file)
{
    char  *argv[] = { FLEET_PG_BIN "/pg_dump", "-Fc", "-h", (char *) pg->dir,
                      "-U", FLEET_ADMIN, "-d", "postgres", "-f",
                      (char *) file, NULL };

    return harness_run(argv, NULL, harness_timeout_ms(PSQL_TIMEOUT_MS),
                       NULL);
}

int
fleet_pg_restore(const fleet_pg *pg, const char *file)
{
    char  *out = NULL;
    char  *recreate[] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                          "-h", (char *) pg->dir, "-U", FLEET_ADMIN, "-d",
                          "template1", "-c",
                          "DROP DATABASE postgres WITH (FORCE)", "-c",
                          "CREATE DATABASE postgres", NULL };
    char  *restore[] = { FLEET_PG_BIN "/pg_restore", "--exit-on-error",
                         "-h", (char *) pg->dir, "-U", FLEET_ADMIN, "-d",
                         "postgres", (char *) file, NULL };
    int    rc;

    rc = harness_run(recreate, NULL, harness_timeout_ms(PSQL_TIMEOUT_MS),
                     &out);

    if (rc == 0) {
        free(out);
        out = NULL;
        rc = harness_run(restore, NULL,
                         harness_timeout_ms(PSQL_TIMEOUT_MS), &out);
    }

    if (rc != 0) {
        fprintf(stderr, "fleet: the restore failed: %s\n",
                out != NULL ? out : "");
    }

    free(out);
    return rc;
}

int
fleet_pg_start(fleet_pg *pg)
{
    char       log[PATH_MAX + 16], sock[PATH_MAX + 32];
    char      *argv[] = { FLEET_PG_BIN "/postgres", "-D", pg->data,
                          "-c", "listen_addresses=", "-k", pg->dir,
                          "-c", "fsync=off", "-c", "full_page_writes=off",
                          "-c", "shared_buffers=16MB",
                          "-c", "max_connections=40", NULL };
    long long  deadline;
    int        status;

    snprintf(log, sizeof(log), "%s/postgres.log", pg->dir);
    pg->pid = spawn_pg(argv, log, 1, NULL);

    if (pg->pid <= 0) {
        pg->pid = 0;
        return -1;
    }

    snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", pg->dir);
    deadline = harness_now_ms() + harness_timeout_ms(PG_START_TIMEOUT_MS);

    while (harness_now_ms() < deadline) {
        if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
            pg->pid = 0;
            return -1;
        }
        if (access(sock, F_OK) == 0
            && fleet_pg_sql(pg, FLEET_ADMIN, "SELECT 1", NULL) == 0)
        {
            return 0;
        }
        usleep(30000);
    }

    fleet_pg_stop(pg);
    return -1;
}

int
fleet_pg_stop(fleet_pg *pg)
{
    int  status, rc;

    if (pg->pid <= 0) {
        return 0;
    }

    rc = fleet_kill_wait(pg->pid, SIGINT, SIGQUIT,      /* fast shutdown */
                         PG_STOP_TIMEOUT_MS, &status);
    pg->pid = 0;
    return rc;
}

int
fleet_kill_wait(pid_t pid, int sig, int last_sig, int timeout_ms,
    int *status)
{
    long long  deadline = harness_now_ms() + harness_timeout_ms(timeout_ms);

    kill(pid, sig);

    while (harness_now_ms() < deadline) {
        if (waitpid(pid, status, WNOHANG) == pid) {
            return 0;
        }
        usleep(5000);
    }

    kill(pid, last_sig);
    waitpid(pid, status, 0);
    return -1;
}

/* initdb, the schema and the login roles, into template_dir */
int
fleet_pg_template(void)
{
    fleet_pg   pg;
    char       log[PATH_MAX + 16], *out = NULL;
    char      *initdb[] = { FLEET_PG_BIN "/initdb", "-D", pg.data, "-U",
                            FLEET_ADMIN, "--auth=trust", "-E", "UTF8",
                            "--no-sync", "--no-instructions", NULL };
    char      *schema[] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                            "-h", pg.dir, "-U", FLEET_ADMIN, "-d",
                            "postgres", "-f", FLEET_SCHEMA, NULL };
    int        status = -1, rc = -1;

    memset(&pg, 0, sizeof(pg));

    if (fleet_mkdtemp(pg.dir, sizeof(pg.dir), "fleet-pg") != 0
        || own_dir(pg.dir) != 0)
    {
        return -1;
    }

    snprintf(pg.data, sizeof(pg.data), "%s/data", pg.dir);
    snprintf(log, sizeof(log), "%s/initdb.log", pg.dir);

    if (spawn_pg(initdb, log, 0, &status) <= 0 || status != 0
        || fleet_pg_start(&pg) != 0)
    {
        fprintf(stderr, "fleet: initdb or postgres failed, see %s\n", log);
        goto done;
    }

    if (harness_run(schema, NULL, harness_timeout_ms(PSQL_TIMEOUT_MS), &out)
        != 0
        || fleet_pg_sql(&pg, FLEET_ADMIN,
                        "CREATE ROLE " FLEET_WRITER " LOGIN IN ROLE "
                        "onem2m_kpsa_writer; CREATE ROLE " FLEET_READER
                        " LOGIN IN ROLE onem2m_sync_reader", NULL) != 0)
    {
        fprintf(stderr, "fleet: the schema does not load: %s\n",
                out != NULL ? out : "");
        goto done;
    }

    rc = 0;

done:

    free(out);

    if (fleet_pg_stop(&pg) != 0) {
        rc = -1;
    }

    if (rc == 0) {
        snprintf(template_dir, sizeof(template_dir), "%s", pg.dir);
    } else {
        fleet_rmtree(pg.dir);
    }

    return rc;
}

void
fleet_suite_setup(void)
{
    if (fleet_pg_template() != 0) {
        fprintf(stderr, "fleet: no PostgreSQL cluster: the fleet tests "
                "fail\n");
    }
}

void
fleet_pg_template_remove(void)
{
    if (template_dir[0] != '\0') {
        fleet_rmtree(template_dir);
        template_dir[0] = '\0';
    }
}

int
fleet_pg_new(fleet_pg *pg)
{
    char  from[PATH_MAX + 8];
    char *argv[] = { "cp", "-a", from, pg->data, NULL };

    memset(pg, 0, sizeof(*pg));

    if (template_dir[0] == '\0'
        || fleet_mkdtemp(pg->dir, sizeof(pg->dir), "fleet-pg") != 0
        || own_dir(pg->dir) != 0)
    {
        return -1;
    }

    snprintf(from, sizeof(from), "%s/data", template_dir);
    snprintf(pg->data, sizeof(pg->data), "%s/data", pg->dir);

    if (harness_run(argv, NULL, harness_timeout_ms(PSQL_TIMEOUT_MS), NULL)
        != 0)
    {
        return -1;
    }

    return fleet_pg_start(pg);
}

void
fleet_pg_free(fleet_pg *pg)
{
    fleet_pg_stop(pg);

    if (pg->dir[0] != '\0' && getenv("ONEM2M_TEST_KEEP") == NULL) {
        fleet_rmtree(pg->dir);
    } else if (pg->dir[0] != '\0') {
        fprintf(stderr, "fleet: kept %s\n", pg->dir);
    }
}
