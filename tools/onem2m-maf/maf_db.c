/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAF's PostgreSQL: registrations, keys (Kc sealed under the KEK with
 * provider/store's envelope) and the RelativeKeyIDs ever handed out,
 * which are never deleted, so that no Key Identifier is ever reused.  One
 * connection (the HTTP side runs one thread), reset when it broke.
 * Times are Unix seconds, as the MAF compares them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "common/onem2m_text.h"
#include "maf.h"

struct maf_db {
    PGconn  *conn;
};

static const char  maf_schema[] =
    "CREATE TABLE IF NOT EXISTS maf_registration ("
    " reg_id text PRIMARY KEY,"
    " client_id text NOT NULL UNIQUE,"
    " admin_fqdn text NOT NULL,"
    " labels text,"
    " expires bigint NOT NULL);"
    "CREATE TABLE IF NOT EXISTS maf_used_key_id ("
    " rel_key_id text PRIMARY KEY,"
    " used_at bigint NOT NULL);"
    "CREATE TABLE IF NOT EXISTS maf_key ("
    " rel_key_id text PRIMARY KEY REFERENCES maf_used_key_id,"
    " source_id text NOT NULL,"
    " reg_id text NOT NULL,"
    " admin_fqdn text NOT NULL,"
    " target_id text NOT NULL,"
    " labels text,"
    " suid integer NOT NULL,"
    " expires bigint NOT NULL,"
    " sealed bytea NOT NULL);"
    "CREATE INDEX IF NOT EXISTS maf_key_reg ON maf_key (reg_id);";

maf_db *
maf_db_open(const char *conninfo, char *err, size_t errlen)
{
    maf_db    *db;
    PGresult  *res;

    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    db->conn = PQconnectdb(conninfo);

    if (PQstatus(db->conn) != CONNECTION_OK) {
        snprintf(err, errlen, "PostgreSQL: %s",
                 PQerrorMessage(db->conn));
        maf_db_close(db);
        return NULL;
    }

    res = PQexec(db->conn, "SET client_min_messages = warning");
    PQclear(res);
    res = PQexec(db->conn, maf_schema);

    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "PostgreSQL: the MAF's tables: %s",
                 PQerrorMessage(db->conn));
        PQclear(res);
        maf_db_close(db);
        return NULL;
    }

    PQclear(res);
    return db;
}

void
maf_db_close(maf_db *db)
{
    if (db != NULL) {
        PQfinish(db->conn);
        free(db);
    }
}

/* one statement; a broken connection is reset and the statement retried */
static PGresult *
db_exec(maf_db *db, const char *sql, int n, const char *const *values,
    const int *lengths, const int *formats)
{
    PGresult  *res;
    int        attempt;

    for (attempt = 0; attempt < 2; attempt++) {
        if (PQstatus(db->conn) != CONNECTION_OK) {
            PQreset(db->conn);
        }

        res = PQexecParams(db->conn, sql, n, NULL, values, lengths, formats,
                           0);

        if (PQresultStatus(res) == PGRES_COMMAND_OK
            || PQresultStatus(res) == PGRES_TUPLES_OK)
        {
            return res;
        }

        fprintf(stderr, "onem2m-maf: PostgreSQL: %s",
                PQerrorMessage(db->conn));
        PQclear(res);

        if (PQstatus(db->conn) == CONNECTION_OK) {
            break;
        }
    }

    return NULL;
}

static int
db_changed(PGresult *res)
{
    int  n;

    if (res == NULL) {
        return -1;
    }

    n = atoi(PQcmdTuples(res));
    PQclear(res);
    return n > 0 ? 1 : 0;
}

static char *
dup_or_null(PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

static void
copy_col(PGresult *res, int col, char *out, size_t max)
{
    snprintf(out, max, "%s", PQgetvalue(res, 0, col));
}

int
maf_db_reg_insert(maf_db *db, const maf_registration *r)
{
    char         exp[24];
    const char  *v[5] = { r->reg_id, r->client_id, r->admin_fqdn,
                          r->labels, exp };

    snprintf(exp, sizeof(exp), "%lld", (long long) r->expiration);

    return db_changed(db_exec(db,
        "INSERT INTO maf_registration VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT DO NOTHING", 5, v, NULL, NULL));
}

static int
reg_get(maf_db *db, const char *sql, const char *arg, maf_registration *r)
{
    PGresult  *res;

    res = db_exec(db, sql, 1, &arg, NULL, NULL);

    if (res == NULL) {
        return -1;
    }

    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }

    copy_col(res, 0, r->reg_id, sizeof(r->reg_id));
    copy_col(res, 1, r->client_id, sizeof(r->client_id));
    copy_col(res, 2, r->admin_fqdn, sizeof(r->admin_fqdn));
    r->labels = dup_or_null(res, 3);
    r->expiration = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    PQclear(res);
    return 1;
}

int
maf_db_reg_get(maf_db *db, const char *reg_id, maf_registration *r)
{
    return reg_get(db, "SELECT reg_id, client_id, admin_fqdn, labels,"
                   " expires FROM maf_registration WHERE reg_id = $1",
                   reg_id, r);
}

int
maf_db_reg_of_client(maf_db *db, const char *client_id,
    maf_registration *r)
{
    return reg_get(db, "SELECT reg_id, client_id, admin_fqdn, labels,"
                   " expires FROM maf_registration WHERE client_id = $1",
                   client_id, r);
}

int
maf_db_reg_update(maf_db *db, const maf_registration *r)
{
    char         exp[24];
    const char  *v[3] = { r->reg_id, r->labels, exp };

    snprintf(exp, sizeof(exp), "%lld", (long long) r->expiration);

    return db_changed(db_exec(db,
        "UPDATE maf_registration SET labels = $2, expires = $3"
        " WHERE reg_id = $1", 3, v, NULL, NULL));
}

/* a registration goes with the keys registered under it */
int
maf_db_reg_delete(maf_db *db, const char *reg_id)
{
    return db_changed(db_exec(db,
        "WITH k AS (DELETE FROM maf_key WHERE reg_id = $1)"
        " DELETE FROM maf_registration WHERE reg_id = $1",
        1, &reg_id, NULL, NULL));
}

int
maf_db_key_insert(maf_db *db, const maf_key *k)
{
    char         exp[24], suid[24];
    const char  *v[9] = { k->rel_key_id, exp, k->source_id, k->reg_id,
                          k->admin_fqdn, k->target_id, k->labels, suid,
                          (const char *) k->sealed };
    int          len[9] = { 0 }, fmt[9] = { 0 };

    snprintf(exp, sizeof(exp), "%lld", (long long) k->expiration);
    snprintf(suid, sizeof(suid), "%lld", k->suid);
    len[8] = (int) k->sealed_len;
    fmt[8] = 1;

    /* the id is claimed for good in the same statement */
    return db_changed(db_exec(db,
        "WITH u AS (INSERT INTO maf_used_key_id"
        "  SELECT $1, extract(epoch FROM now())::bigint"
        "  ON CONFLICT DO NOTHING RETURNING rel_key_id)"
        " INSERT INTO maf_key SELECT u.rel_key_id, $3, $4, $5, $6, $7,"
        "  $8::integer, $2::bigint, $9 FROM u",
        9, v, len, fmt));
}

int
maf_db_key_get(maf_db *db, const char *rel_key_id, maf_key *k)
{
    PGresult    *res;
    const char  *hex;
    size_t       i, n;

    res = db_exec(db, "SELECT rel_key_id, source_id, reg_id, admin_fqdn,"
                  " target_id, labels, suid, expires, sealed FROM maf_key"
                  " WHERE rel_key_id = $1", 1, &rel_key_id, NULL, NULL);

    if (res == NULL) {
        return -1;
    }

    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }

    copy_col(res, 0, k->rel_key_id, sizeof(k->rel_key_id));
    copy_col(res, 1, k->source_id, sizeof(k->source_id));
    copy_col(res, 2, k->reg_id, sizeof(k->reg_id));
    copy_col(res, 3, k->admin_fqdn, sizeof(k->admin_fqdn));
    copy_col(res, 4, k->target_id, sizeof(k->target_id));
    k->labels = dup_or_null(res, 5);
    k->suid = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
    k->expiration = strtoll(PQgetvalue(res, 0, 7), NULL, 10);

    /* bytea in text form: "\x" and hex */
    hex = PQgetvalue(res, 0, 8);
    n = strlen(hex);
    k->sealed_len = 0;

    if (n >= 2 && hex[0] == '\\' && hex[1] == 'x' && (n - 2) % 2 == 0
        && (n - 2) / 2 <= sizeof(k->sealed))
    {
        for (i = 2; i < n; i += 2) {
            k->sealed[k->sealed_len++] = (unsigned char)
                (onem2m_text_hex_value(hex[i]) << 4
                 | onem2m_text_hex_value(hex[i + 1]));
        }
    }

    PQclear(res);
    return 1;
}

int
maf_db_key_update(maf_db *db, const maf_key *k)
{
    char         exp[24];
    const char  *v[4] = { k->rel_key_id, exp, k->labels, k->target_id };

    snprintf(exp, sizeof(exp), "%lld", (long long) k->expiration);

    return db_changed(db_exec(db,
        "UPDATE maf_key SET expires = $2, labels = $3, target_id = $4"
        " WHERE rel_key_id = $1", 4, v, NULL, NULL));
}

int
maf_db_key_delete(maf_db *db, const char *rel_key_id)
{
    return db_changed(db_exec(db,
        "DELETE FROM maf_key WHERE rel_key_id = $1", 1, &rel_key_id,
        NULL, NULL));
}

void
maf_registration_free(maf_registration *r)
{
    free(r->labels);
    r->labels = NULL;
}

void
maf_key_free(maf_key *k)
{
    free(k->labels);
    k->labels = NULL;
    OPENSSL_cleanse(k->sealed, sizeof(k->sealed));
}
