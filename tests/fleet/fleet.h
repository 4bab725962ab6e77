/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fleet tests' machinery: a throwaway PostgreSQL cluster (initdb in a
 * temporary directory, Unix socket only, run as an unprivileged user when
 * the tests run as root: initdb refuses root) with the schema of
 * conf/postgresql/schema.sql, and onem2m-sync processes.  Every process
 * started here gets PR_SET_PDEATHSIG and is stopped by its PID.
 */

#ifndef ONEM2M_TEST_FLEET_H
#define ONEM2M_TEST_FLEET_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <check.h>

#include "common/harness.h"
#include "store/kpsa_store.h"

#define FLEET_PG_BIN      "/usr/lib/postgresql/15/bin"
#define FLEET_SYNC_BIN    BUILD_DIR "/tools/onem2m-sync"
#define FLEET_KPSA_BIN    BUILD_DIR "/tools/onem2m-kpsa"
#define FLEET_SCHEMA      TOP_SRCDIR "/conf/postgresql/schema.sql"

/* the login roles the tests make: writer, reader (and the superuser) */
#define FLEET_ADMIN       "fleet_admin"
#define FLEET_WRITER      "fleet_kpsa"
#define FLEET_READER      "fleet_sync"

typedef struct {
    char    dir[256];               /* owned by the cluster's user */
    char    data[272];
    pid_t   pid;                    /* postgres, 0 when stopped */
} fleet_pg;

/*
 * A cluster made once per suite (unchecked fixture) and copied for each
 * test, so that a test may stop, restart or replace its own.
 */
int  fleet_pg_template(void);
void fleet_pg_template_remove(void);
/*
 * The suites' unchecked fixture: the template, or a message; each fleet
 * TCase row is followed by
 * CK_UNCHECKED(fleet_suite_setup, fleet_pg_template_remove).
 */
void fleet_suite_setup(void);
int  fleet_pg_new(fleet_pg *pg);          /* copy of the template, started */
int  fleet_pg_start(fleet_pg *pg);
int  fleet_pg_stop(fleet_pg *pg);         /* fast shutdown, waits */
void fleet_pg_free(fleet_pg *pg);         /* stops and removes */
/* DROP SCHEMA onem2m, then the schema again: a re-created source */
int  fleet_pg_new_schema(const fleet_pg *pg);
/*
 * pg_dump -Fc of the database into file; restore: the database dropped,
 * created again and pg_restore'd from file (a restore from a backup)
 */
int  fleet_pg_dump(const fleet_pg *pg, const char *file);
int  fleet_pg_restore(const fleet_pg *pg, const char *file);
/* "host=<dir> user=<role> dbname=postgres" into buf */
const char *fleet_pg_conninfo(const fleet_pg *pg, const char *role,
    char *buf, size_t len);
/*
 * psql -c sql as role: the exit status (0 ok); the output (-A -t, errors
 * included) in *out when out is not NULL (malloc'd)
 */
int  fleet_pg_sql(const fleet_pg *pg, const char *role, const char *sql,
    char **out);

/* the tests' KEK and sealed keys */
extern const unsigned char  fleet_kek[KPSA_KEK_LEN];
/* "\\x01..." for SQL: key_hex sealed for (kpsa_id, entity) */
int  fleet_sealed_sql(const char *kpsa_id, const char *entity,
    const char *key_hex, char *out, size_t len);
/* INSERT of a live credential as the writer role: 0 ok */
int  fleet_insert(const fleet_pg *pg, const char *kpsa_id,
    const char *entity, const char *key_hex);
int  fleet_revoke(const fleet_pg *pg, const char *kpsa_id);

/* onem2m-sync: started with its stderr in <dir>/sync.log */
typedef struct {
    char    store[PATH_MAX];
    char    log[PATH_MAX];
    pid_t   pid;
} fleet_sync;

int  fleet_sync_start(fleet_sync *s, const fleet_pg *pg, const char *store,
    const char *extra_arg);
/* SIGTERM (or sig), waits: the exit status, -1 when killed by a signal */
int  fleet_sync_stop(fleet_sync *s, int sig);
/* --once: the exit status */
int  fleet_sync_once(const fleet_pg *pg, const char *store, char **out);
int  fleet_sync_log_wait(const fleet_sync *s, const char *needle,
    int timeout_ms);
int  fleet_sync_log_contains(const fleet_sync *s, const char *needle);

/*
 * The store as a reader sees it: 1 live (key_hex, when not NULL, gets the
 * key opened with fleet_kek), 0 not found or revoked, -1 error.
 */
int  fleet_store_state(const char *store, const char *kpsa_id,
    char *key_hex, size_t len);
int  fleet_store_meta(const char *store, uint64_t *last_seq,
    int64_t *synced_at, char *source_id, size_t source_id_len);
/* polls fleet_store_state() until it returns want: 0, or -1 on timeout */
int  fleet_store_wait(const char *store, const char *kpsa_id, int want,
    int timeout_ms);

/*
 * One front end of the fleet: nginx (the module reading the store live,
 * kpsa-lmdb:<prefix>/store with the tests' KEK in <prefix>/kek) and the
 * node's own onem2m-sync feeding the store from pg.  The store is made
 * the workers' (nobody) before the daemon fills it.  conf: further
 * directives of the server block, or NULL.  With up NULL, nginx is not
 * started (port 0): the store and its daemon only.
 */
typedef struct {
    harness_nginx  *ng;
    fleet_sync      sync;
    char            store[PATH_MAX];
    int             port;
} fleet_node;

int  fleet_node_start(fleet_node *n, const fleet_pg *pg,
    harness_upstream *up, const char *sync_arg, const char *conf);
void fleet_node_stop(fleet_node *n);
/* a TLS 1.2 PSK handshake as (kpsa_id, key): 1 done, 0 refused */
int  fleet_node_handshake(const fleet_node *n, const char *kpsa_id,
    const char *key_hex);

/* kill(pid, sig), waits timeout_ms, then last_sig: 0 exited in time */
int  fleet_kill_wait(pid_t pid, int sig, int last_sig, int timeout_ms,
    int *status);
/* a temporary directory under /tmp; removes a tree */
int  fleet_mkdtemp(char *buf, size_t len, const char *tag);
void fleet_rmtree(const char *dir);

#endif /* ONEM2M_TEST_FLEET_H */
