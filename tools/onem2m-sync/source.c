/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PostgreSQL side: connect (asynchronously, so that SIGTERM and a
 * timeout end a hanging attempt), LISTEN, read a batch, wait for a
 * notification.  Every read returns the source's identity with the rows,
 * from one snapshot, so a source replaced under a live connection is seen
 * at the next read.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync.h"

#define CONNECT_TIMEOUT_MS  10000

/*
 * The source's identity, its sequence's last value (0 before the first
 * change) and its storage epoch, beside credential rows (one row with
 * NULL credential columns when there are none).  The epoch names where
 * the rows are stored: the cluster's system identifier, the database's
 * and the credential table's OIDs.  pg_dump/pg_restore carries the source
 * uuid, the rows and the sequence over, never these: a restored or
 * re-created database, or another cluster, has another epoch.  A physical
 * replica (a failover) has the same one.  Binary results: integers in
 * network order, bytea as bytes.
 */
#define SELECT_SOURCE \
    "SELECT s.source_id::text," \
    " (SELECT CASE WHEN is_called THEN last_value ELSE 0 END" \
    "    FROM onem2m.credential_seq)," \
    " (SELECT system_identifier FROM pg_control_system())::text || '/'" \
    " || (SELECT oid FROM pg_database" \
    "      WHERE datname = current_database())::text || '/'" \
    " || 'onem2m.credentials'::regclass::oid::text," \
    " c.seq, c.kpsa_id, c.entity, c.sealed, c.revoked, c.changed_at" \
    " FROM onem2m.source s LEFT JOIN LATERAL" \
    " (SELECT seq, kpsa_id, entity, sealed, revoked, changed_at" \
    "    FROM onem2m.credentials"

/* the rows after $1, at most $2, in seq order */
static const char  *read_sql =
    SELECT_SOURCE " WHERE seq > $1::bigint ORDER BY seq LIMIT $2::integer)"
    " c ON true ORDER BY c.seq";

/* the row of KpsaID $1, wherever its seq is now */
static const char  *row_sql =
    SELECT_SOURCE " WHERE kpsa_id = $1::text) c ON true";

enum { COL_SOURCE, COL_SOURCE_SEQ, COL_EPOCH, COL_SEQ, COL_ID, COL_ENTITY,
       COL_SEALED, COL_REVOKED, COL_CHANGED, NCOLS };

static long long
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libpq's messages end with a newline, sometimes several lines */
static const char *
pq_msg(const char *m, char *buf, size_t len)
{
    size_t  i;

    snprintf(buf, len, "%s", m != NULL && *m != '\0' ? m : "unknown error");

    for (i = 0; buf[i] != '\0'; i++) {
        if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t') {
            buf[i] = buf[i + 1] == '\0' ? '\0' : ' ';
        }
    }

    return buf;
}

/*
 * What PostgreSQL says outside of a query (a NOTICE, or the FATAL of a
 * shutdown sent to an idle connection): libpq would print it to stderr as
 * it is; here it gets the daemon's prefix and a priority from its
 * severity, as every other line.
 */
static void
notice_receiver(void *arg, const PGresult *r)
{
    const char  *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    char         m[512];

    pq_msg(PQresultErrorMessage(r), m, sizeof(m));

    if (sev == NULL || strcmp(sev, "WARNING") == 0) {
        sync_warn("source: %s", m);
    } else if (strcmp(sev, "ERROR") == 0 || strcmp(sev, "FATAL") == 0
               || strcmp(sev, "PANIC") == 0)
    {
        sync_err("source: %s", m);
    } else {
        sync_info("source: %s", m);
    }
}

static int
drive_connect(PGconn *c)
{
    PostgresPollingStatusType  st = PGRES_POLLING_WRITING;
    struct pollfd              pfd;
    long long                  deadline = now_ms() + CONNECT_TIMEOUT_MS;
    int                        left;

    for ( ;; ) {
        if (st == PGRES_POLLING_OK) {
            return 0;
        }

        if (st == PGRES_POLLING_FAILED) {
            return -1;
        }

        left = (int) (deadline - now_ms());

        if (left <= 0) {
            return -2;
        }

        pfd.fd = PQsocket(c);
        pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;

        if (pfd.fd < 0) {
            return -1;
        }

        if (poll(&pfd, 1, left) < 0 && errno == EINTR) {
            return -3;          /* a signal: the caller checks its flag */
        }

        st = PQconnectPoll(c);
    }
}

PGconn *
sync_source_connect(const char *conninfo, int report)
{
    /* keepalives first: the operator's conninfo (dbname) overrides them */
    static const char *const  keys[] = {
        "fallback_application_name", "keepalives", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "dbname", NULL
    };
    const char               *values[] = {
        SYNC_PROG, "1", "10", "5", "3", conninfo, NULL
    };
    PGconn                   *c;
    PGresult                 *r;
    char                      m[512];
    int                       rc = -1;
    void                    (*say)(const char *, ...);

    say = report ? sync_warn : sync_debug;
    c = PQconnectStartParams(keys, values, 1);

    if (c == NULL) {
        sync_err("source: out of memory");
        return NULL;
    }

    PQsetNoticeReceiver(c, notice_receiver, NULL);

    if (PQstatus(c) == CONNECTION_BAD
        || (rc = drive_connect(c)) != 0)
    {
        if (PQstatus(c) != CONNECTION_BAD && rc == -2) {
            say("source: no connection within %d s",
                CONNECT_TIMEOUT_MS / 1000);
        } else if (rc != -3) {
            say("source: %s", pq_msg(PQerrorMessage(c), m, sizeof(m)));
        }

        PQfinish(c);
        return NULL;
    }

    r = PQexec(c, "LISTEN " SYNC_CHANNEL);

    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        sync_warn("source: LISTEN " SYNC_CHANNEL ": %s",
                  pq_msg(PQerrorMessage(c), m, sizeof(m)));
        PQclear(r);
        PQfinish(c);
        return NULL;
    }

    PQclear(r);
    return c;
}

static uint64_t
get_u64(const PGresult *r, int row, int col)
{
    const unsigned char  *p = (const unsigned char *) PQgetvalue(r, row, col);
    uint64_t              v = 0;
    int                   i;

    for (i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }

    return v;
}

/* the result's shape, checked once: a changed schema is an error */
static int
check_shape(const PGresult *r)
{
    static const struct { int col; int len; }  fixed[] = {
        { COL_SOURCE_SEQ, 8 }, { COL_SEQ, 8 }, { COL_REVOKED, 1 },
        { COL_CHANGED, 8 }
    };
    int                                         i, row;

    if (PQnfields(r) != NCOLS || PQntuples(r) < 1) {
        return -1;
    }

    for (row = 0; row < PQntuples(r); row++) {
        for (i = 0; i < (int) (sizeof(fixed) / sizeof(fixed[0])); i++) {
            if (!PQgetisnull(r, row, fixed[i].col)
                && PQgetlength(r, row, fixed[i].col) != fixed[i].len)
            {
                return -1;
            }
        }
    }

    return 0;
}

/* the rows of r as sync_rows (a single row of NULLs: none) */
static int
take_rows(sync_batch *b)
{
    PGresult  *r = b->res;
    sync_row  *row;
    int        n = PQntuples(r), i;

    if (n == 1 && PQgetisnull(r, 0, COL_SEQ)) {
        return 0;
    }

    b->rows = calloc(n, sizeof(sync_row));

    if (b->rows == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        row = &b->rows[i];
        row->seq = get_u64(r, i, COL_SEQ);
        row->kpsa_id = PQgetvalue(r, i, COL_ID);
        row->entity = PQgetvalue(r, i, COL_ENTITY);
        row->revoked = PQgetvalue(r, i, COL_REVOKED)[0] != 0;
        row->changed_at = (int64_t) get_u64(r, i, COL_CHANGED);

        /* text never holds a NUL in PostgreSQL; a mismatch is no id */
        if (strlen(row->kpsa_id) != (size_t) PQgetlength(r, i, COL_ID)) {
            row->kpsa_id = "";
        }
        if (strlen(row->entity) != (size_t) PQgetlength(r, i, COL_ENTITY)) {
            row->entity = "";
        }

        if (!PQgetisnull(r, i, COL_SEALED)) {
            row->sealed = (unsigned char *) PQgetvalue(r, i, COL_SEALED);
            row->sealed_len = PQgetlength(r, i, COL_SEALED);
        }
    }

    b->nrows = n;
    return 0;
}

/* one query of SELECT_SOURCE's shape into b: 0, -1 (logged) */
static int
source_query(PGconn *c, const char *sql, int nparams,
    const char *const *params, sync_batch *b)
{
    char         m[512];
    const char  *src;
    int          len;

    memset(b, 0, sizeof(*b));

    b->res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 1);

    if (PQresultStatus(b->res) != PGRES_TUPLES_OK) {
        sync_warn("source: reading onem2m.credentials: %s",
                  pq_msg(PQerrorMessage(c), m, sizeof(m)));
        sync_batch_free(b);
        return -1;
    }

    if (check_shape(b->res) != 0) {
        sync_err("source: onem2m.source or onem2m.credentials is not the "
                 "schema of conf/postgresql/schema.sql");
        sync_batch_free(b);
        return -1;
    }

    src = PQgetvalue(b->res, 0, COL_SOURCE);

    if (PQgetlength(b->res, 0, COL_SOURCE) > KPSA_SOURCE_ID_MAX) {
        sync_err("source: onem2m.source holds no source identity");
        sync_batch_free(b);
        return -1;
    }

    memcpy(b->source_id, src, PQgetlength(b->res, 0, COL_SOURCE));
    b->source_seq = get_u64(b->res, 0, COL_SOURCE_SEQ);

    len = PQgetlength(b->res, 0, COL_EPOCH);

    if (PQgetisnull(b->res, 0, COL_EPOCH) || len > SYNC_EPOCH_MAX) {
        sync_err("source: no storage epoch (the system identifier and the "
                 "OIDs of the database and of onem2m.credentials)");
        sync_batch_free(b);
        return -1;
    }

    memcpy(b->epoch, PQgetvalue(b->res, 0, COL_EPOCH), len);

    if (take_rows(b) != 0) {
        sync_err("source: out of memory");
        sync_batch_free(b);
        return -1;
    }

    return 0;
}

int
sync_source_read(PGconn *c, uint64_t after, unsigned limit, sync_batch *b)
{
    char         a[24], l[16];
    const char  *params[2] = { a, l };

    snprintf(a, sizeof(a), "%llu", (unsigned long long) after);
    snprintf(l, sizeof(l), "%u", limit);

    return source_query(c, read_sql, 2, params, b);
}

int
sync_source_read_id(PGconn *c, const char *kpsa_id, sync_batch *b)
{
    const char  *params[1] = { kpsa_id };

    return source_query(c, row_sql, 1, params, b);
}

void
sync_batch_free(sync_batch *b)
{
    free(b->rows);
    PQclear(b->res);
    memset(b, 0, sizeof(*b));
}

/* drains the notifications received: 1 when there were some */
static int
drain(PGconn *c)
{
    PGnotify  *n;
    int        got = 0;

    while ((n = PQnotifies(c)) != NULL) {
        got = 1;
        PQfreemem(n);
    }

    return got;
}

int
sync_source_wait(PGconn *c, int wake_fd, unsigned timeout_ms)
{
    struct pollfd  pfd[2];
    long long      deadline = now_ms() + timeout_ms;
    long long      left;
    char           m[512];

    for ( ;; ) {
        if (drain(c)) {
            return 1;
        }

        left = deadline - now_ms();

        if (left <= 0) {
            return 0;
        }

        pfd[0].fd = PQsocket(c);
        pfd[0].events = POLLIN;
        pfd[1].fd = wake_fd;
        pfd[1].events = POLLIN;

        if (pfd[0].fd < 0) {
            sync_warn("source: connection lost");
            return -1;
        }

        if (poll(pfd, 2, (int) left) < 0) {
            if (errno == EINTR) {
                return 0;
            }
            sync_err("poll: %s", strerror(errno));
            return -1;
        }

        if (pfd[1].revents != 0) {
            return 0;
        }

        if (pfd[0].revents != 0 && PQconsumeInput(c) == 0) {
            sync_warn("source: connection lost: %s",
                      pq_msg(PQerrorMessage(c), m, sizeof(m)));
            return -1;
        }
    }
}
