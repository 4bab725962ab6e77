/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fleet's PostgreSQL source (-f postgresql:<conninfo>, the schema of
 * conf/postgresql/schema.sql, docs/fleet.md): add, rotate, revoke, list.
 *
 * Keys are sealed with the KEK (--kek FILE) before they leave this
 * process: PostgreSQL and the sync daemons only ever hold the envelope
 * (provider/store/kpsa_store.h), bound to the KpsaID and the entity.
 * Rows are never deleted: "revoke" (alias "del") writes a tombstone,
 * which every node's onem2m-sync copies within its poll interval, at once
 * when its LISTEN connection is up.  Identifiers are checked with the
 * table's own rules before anything is sent.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "kpsa.h"
#include "store/kpsa_store.h"

#define PG_SCHEME       "postgresql:"
#define PG_ID_TRIES     8
/* messages name the source so: its conninfo may hold a password */
#define PG_WHAT         "the PostgreSQL source"

int
kpsa_is_postgresql(const char *table)
{
    return strncmp(table, PG_SCHEME, sizeof(PG_SCHEME) - 1) == 0;
}

/* libpq's message, on one line */
static void
pg_err(const char *what, PGconn *c)
{
    char    m[512];
    size_t  i;

    snprintf(m, sizeof(m), "%s", PQerrorMessage(c));

    for (i = 0; m[i] != '\0'; i++) {
        if (m[i] == '\n' || m[i] == '\t') {
            m[i] = m[i + 1] == '\0' ? '\0' : ' ';
        }
    }

    kpsa_err("%s: %s", what, m);
}

static PGconn *
pg_connect(const kpsa_opts *o)
{
    PGconn  *c = PQconnectdb(o->table + sizeof(PG_SCHEME) - 1);

    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        pg_err("postgresql", c);
        PQfinish(c);
        return NULL;
    }

    return c;
}

/* one statement; the result, or NULL after saying why */
static PGresult *
pg_exec(PGconn *c, const char *sql, int n, const char *const *values,
    const int *lengths, const int *formats, ExecStatusType want)
{
    PGresult  *r = PQexecParams(c, sql, n, NULL, values, lengths, formats, 0);

    if (PQresultStatus(r) != want) {
        pg_err("postgresql", c);
        PQclear(r);
        return NULL;
    }

    return r;
}

/* the entity has a live credential: 1 yes, 0 no, -1 error */
static int
entity_live(PGconn *c, const char *entity)
{
    const char  *v[1] = { entity };
    PGresult    *r;
    int          n;

    r = pg_exec(c, "SELECT 1 FROM onem2m.credentials WHERE entity = $1 "
                "AND NOT revoked LIMIT 1", 1, v, NULL, NULL,
                PGRES_TUPLES_OK);

    if (r == NULL) {
        return -1;
    }

    n = PQntuples(r);
    PQclear(r);
    return n > 0;
}

/* --fqdn, else the domain of the entity's (else the source's) last id */
static int
pick_fqdn(PGconn *c, const kpsa_opts *o, const char *entity, char *out,
    size_t len)
{
    const char  *v[1] = { entity };
    const char  *at;
    PGresult    *r;

    if (o->fqdn != NULL) {
        snprintf(out, len, "%s", o->fqdn);
        return 0;
    }

    r = pg_exec(c, "SELECT kpsa_id FROM onem2m.credentials"
                " ORDER BY entity = $1 DESC, seq DESC LIMIT 1", 1, v, NULL,
                NULL, PGRES_TUPLES_OK);

    if (r == NULL) {
        return -1;
    }

    if (PQntuples(r) == 0
        || (at = strchr(PQgetvalue(r, 0, 0), '@')) == NULL)
    {
        kpsa_err("%s has no KpsaID to take the domain from: give --fqdn or "
                 "--kpsa-id", PG_WHAT);
        PQclear(r);
        return -1;
    }

    snprintf(out, len, "%s", at + 1);
    PQclear(r);
    return 0;
}

/*
 * Seals the key for (id, entity) and inserts it; a generated id that is
 * taken (also by a tombstone: ids are never reused) is drawn again.
 * 1 inserted, 0 id taken, -1 error.
 */
static int
insert_sealed(PGconn *c, const unsigned char *kek, const char *id,
    const char *entity, const unsigned char *key, size_t key_len)
{
    unsigned char  sealed[KPSA_SEALED_MAX];
    size_t         sealed_len = 0;
    const char    *v[3] = { id, entity, (const char *) sealed };
    int            lens[3] = { 0, 0, 0 }, fmts[3] = { 0, 0, 1 };
    PGresult      *r;
    int            rc;

    if (!kpsa_envelope_seal(kek, id, entity, key, key_len, sealed,
                            &sealed_len))
    {
        kpsa_err("cannot seal the key; nothing written");
        return -1;
    }

    lens[2] = (int) sealed_len;
    r = pg_exec(c, "INSERT INTO onem2m.credentials (kpsa_id, entity, sealed)"
                " VALUES ($1, $2, $3) ON CONFLICT (kpsa_id) DO NOTHING", 3,
                v, lens, fmts, PGRES_COMMAND_OK);
    OPENSSL_cleanse(sealed, sizeof(sealed));

    if (r == NULL) {
        return -1;
    }

    rc = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return rc;
}

static int
insert_new(PGconn *c, const kpsa_opts *o, const unsigned char *kek,
    const char *entity, const unsigned char *key, size_t key_len, char *id,
    size_t idlen)
{
    char  fqdn[ONEM2M_SAE_MAX_ID_LEN + 1], rel[17];
    int   tries, rc;

    if (o->kpsa_id != NULL) {
        snprintf(id, idlen, "%s", o->kpsa_id);
        rc = insert_sealed(c, kek, id, entity, key, key_len);
        if (rc == 0) {
            kpsa_err("KpsaID %s is already in %s (revoked ones are never "
                     "reused)", id, PG_WHAT);
        }
        return rc == 1 ? 0 : -1;
    }

    if (pick_fqdn(c, o, entity, fqdn, sizeof(fqdn)) != 0) {
        return -1;
    }

    for (tries = 0; tries < PG_ID_TRIES; tries++) {
        if (kpsa_random_relative(rel, sizeof(rel)) != 0) {
            return -1;
        }

        if ((size_t) snprintf(id, idlen, "%s@%s", rel, fqdn) >= idlen
            || !onem2m_kpsa_id_valid(id, strlen(id)))
        {
            kpsa_err("--fqdn \"%.*s\" is not a host name", 200, fqdn);
            return -1;
        }

        rc = insert_sealed(c, kek, id, entity, key, key_len);
        if (rc != 0) {
            return rc == 1 ? 0 : -1;
        }
    }

    kpsa_err("no unused KpsaID found");
    return -1;
}

static int
pg_add(kpsa_opts *o, PGconn *c, int rotate)
{
    unsigned char  kek[KPSA_KEK_LEN], key[ONEM2M_SAE_MAX_KEY_LEN];
    char           id[ONEM2M_SAE_MAX_ID_LEN + 1];
    const char    *entity;
    size_t         key_len = 0;
    int            rc = KPSA_FAIL, live;

    if (o->nargs != 1) {
        kpsa_err("%s needs one ENTITY (an AE-ID or a CSE-ID)", o->command);
        return KPSA_USAGE;
    }

    entity = o->args[0];

    if (onem2m_entity_type(entity, strlen(entity)) == 0) {
        kpsa_err("malformed entity id \"%.*s\" "
                 ONEM2M_ID_ENTITY_EXPECTED, ONEM2M_SAE_MAX_ID_LEN, entity);
        return KPSA_FAIL;
    }

    if (o->kpsa_id != NULL
        && !onem2m_kpsa_id_valid(o->kpsa_id, strlen(o->kpsa_id)))
    {
        kpsa_err("malformed KpsaID \"%.*s\" (expected "
                 "<relative-id>@<fqdn>)", ONEM2M_SAE_MAX_ID_LEN, o->kpsa_id);
        return KPSA_FAIL;
    }

    /* keys are sealed before they are sent */
    if (kpsa_lmdb_kek(o, kek) != 0) {
        return o->kek == NULL ? KPSA_USAGE : KPSA_FAIL;
    }

    if (kpsa_key_obtain(o, key, &key_len) != 0) {
        goto done;
    }

    live = entity_live(c, entity);

    if (live < 0) {
        goto done;
    }

    if (rotate && !live) {
        kpsa_err("%s: %s has no credential to rotate (add makes a first "
                 "one)", PG_WHAT, entity);
        goto done;
    }

    if (insert_new(c, o, kek, entity, key, key_len, id, sizeof(id)) != 0) {
        goto done;
    }

    kpsa_note(o, "%s credential of %s in the source; the key is shown once,"
              " here:", rotate ? "a further" : "new", entity);

    if (kpsa_print_credential(id, key, key_len) != 0) {
        kpsa_err("cannot print the credential; it is in the source: %s "
                 "revoke %s", KPSA_PROG, id);
        goto done;
    }

    if (rotate) {
        kpsa_note(o, "once the device uses it: %s revoke <old KpsaID>",
                  KPSA_PROG);
    }

    rc = KPSA_OK;

done:

    OPENSSL_cleanse(kek, sizeof(kek));
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* revoke KPSA-ID | --entity ENTITY --yes: tombstones, never DELETE */
static int
pg_revoke(kpsa_opts *o, PGconn *c)
{
    const char  *v[1];
    PGresult    *r;
    int          i, n;

    if ((o->entity == NULL) != (o->nargs == 1) || o->nargs > 1) {
        kpsa_err("%s needs one KPSA-ID, or --entity ENTITY --yes",
                 o->command);
        return KPSA_USAGE;
    }

    if (o->entity != NULL && !o->yes) {
        kpsa_err("%s --entity %.*s revokes every credential of it: add "
                 "--yes to confirm; nothing changed", o->command,
                 ONEM2M_SAE_MAX_ID_LEN, o->entity);
        return KPSA_FAIL;
    }

    v[0] = o->entity != NULL ? o->entity : o->args[0];
    r = pg_exec(c, o->entity != NULL
                ? "UPDATE onem2m.credentials SET revoked = true"
                  " WHERE entity = $1 AND NOT revoked RETURNING kpsa_id, seq"
                : "UPDATE onem2m.credentials SET revoked = true"
                  " WHERE kpsa_id = $1 AND NOT revoked RETURNING kpsa_id, seq",
                1, v, NULL, NULL, PGRES_TUPLES_OK);

    if (r == NULL) {
        return KPSA_FAIL;
    }

    n = PQntuples(r);

    for (i = 0; i < n; i++) {
        kpsa_note(o, "revoked KpsaID %s (seq %s)", PQgetvalue(r, i, 0),
                  PQgetvalue(r, i, 1));
    }

    PQclear(r);

    if (n == 0) {
        kpsa_err("%s: no live credential %s %.*s; nothing changed",
                 PG_WHAT, o->entity != NULL ? "of" : "with KpsaID",
                 ONEM2M_SAE_MAX_ID_LEN, v[0]);
        return KPSA_FAIL;
    }

    return KPSA_OK;
}

/* entities, KpsaIDs, key lengths, seq and state: never keys */
static int
pg_list(kpsa_opts *o, PGconn *c)
{
    const char  *v[1] = { o->nargs == 1 ? o->args[0] : o->entity };
    PGresult    *r;
    int          i;

    if (o->nargs > 1) {
        kpsa_err("list takes at most one ENTITY");
        return KPSA_USAGE;
    }

    r = pg_exec(c, "SELECT entity, kpsa_id, coalesce((octet_length(sealed) - "
                "29)::text, '-'), seq, CASE WHEN revoked THEN 'revoked' "
                "ELSE 'live' END FROM onem2m.credentials"
                " WHERE $1::text IS NULL OR entity = $1 ORDER BY seq", 1, v,
                NULL, NULL, PGRES_TUPLES_OK);

    if (r == NULL) {
        return KPSA_FAIL;
    }

    printf("%-24s  %-40s  %5s  %10s  %s\n", "ENTITY", "KPSA-ID", "BYTES",
           "SEQ", "STATE");

    for (i = 0; i < PQntuples(r); i++) {
        printf("%-24s  %-40s  %5s  %10s  %s\n", PQgetvalue(r, i, 0),
               PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
               PQgetvalue(r, i, 4));
    }

    i = PQntuples(r);
    PQclear(r);

    if (v[0] != NULL && i == 0) {
        kpsa_err("%s: no credential of %.*s", PG_WHAT,
                 ONEM2M_SAE_MAX_ID_LEN, v[0]);
        return KPSA_FAIL;
    }

    return KPSA_OK;
}

int
kpsa_pg_command(kpsa_opts *o)
{
    PGconn  *c;
    int      rc;

    if (strcmp(o->command, "add") != 0 && strcmp(o->command, "gen") != 0
        && strcmp(o->command, "rotate") != 0
        && strcmp(o->command, "revoke") != 0
        && strcmp(o->command, "del") != 0 && strcmp(o->command, "list") != 0)
    {
        kpsa_err("%s takes add, rotate, revoke (del) and list, not \"%s\"",
                 PG_WHAT, o->command);
        return KPSA_USAGE;
    }

    if (o->reload) {
        kpsa_err("--reload: nginx reads a fleet store live, there is "
                 "nothing to reload");
        return KPSA_USAGE;
    }

    c = pg_connect(o);

    if (c == NULL) {
        return KPSA_FAIL;
    }

    if (strcmp(o->command, "list") == 0) {
        rc = pg_list(o, c);
    } else if (strcmp(o->command, "revoke") == 0
               || strcmp(o->command, "del") == 0)
    {
        rc = pg_revoke(o, c);
    } else {
        rc = pg_add(o, c, strcmp(o->command, "rotate") == 0);
    }

    PQfinish(c);
    return rc;
}
