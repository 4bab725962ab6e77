/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa: add, rotate, delete, list, check, import and export the
 * TLS-PSK credentials of the psk-lookup-table (see kpsa.h for the files,
 * onem2m-kpsa.1 for the manual).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <openssl/crypto.h>

#include "kpsa.h"

#define RELATIVE_LEN   16

/*- shared steps ------------------------------------------------------ */

static int
entity_ok(const char *entity)
{
    if (onem2m_entity_type(entity, strlen(entity)) != 0) {
        return 1;
    }

    kpsa_err("malformed entity id \"%.*s\" "
             ONEM2M_ID_ENTITY_EXPECTED, ONEM2M_SAE_MAX_ID_LEN, entity);
    return 0;
}

static void
note_mode(const kpsa_opts *o, const kpsa_doc *d)
{
    if (d->exists && (d->st.st_mode & 07777) != 0600) {
        kpsa_note(o, "%s: mode was %04o, is 0600 now", d->path,
                  (unsigned) (d->st.st_mode & 07777));
    }
}

/* --reload after a write; on failure the previous table is put back */
static int
reload_or_restore(const kpsa_opts *o, kpsa_doc *d)
{
    if (!o->reload) {
        return 0;
    }

    switch (kpsa_reload(o)) {

    case 0:
        kpsa_note(o, "nginx reloaded");
        return 0;

    case KPSA_RELOAD_NOT_RUNNING:
        /* nginx -t passed: the table is what nginx will load at start */
        kpsa_err("%s: the new table stays, nginx loads it when it starts "
                 "(systemctl start nginx, or nginx)", d->path);
        return 0;
    }

    if (kpsa_doc_restore(d) == 0) {
        kpsa_err("%s: the previous table is back, nothing changed",
                 d->path);
    } else {
        kpsa_err("%s: the previous table could NOT be put back", d->path);
    }

    return -1;
}

/* the given KpsaID, or a random relative id at the domain to use */
static int
choose_kpsa_id(const kpsa_opts *o, const kpsa_doc *d, const char *entity,
    char *id, size_t idlen)
{
    char         rel[RELATIVE_LEN + 1];
    const char  *fqdn;
    size_t       fqdn_len = 0;
    long         at;
    int          tries;

    if (o->kpsa_id != NULL) {
        if (!onem2m_kpsa_id_valid(o->kpsa_id, strlen(o->kpsa_id))) {
            kpsa_err("malformed KpsaID \"%.*s\" (expected "
                     "<relative-id>@<fqdn>)", ONEM2M_SAE_MAX_ID_LEN,
                     o->kpsa_id);
            return -1;
        }

        at = kpsa_doc_find_id(d, o->kpsa_id, strlen(o->kpsa_id));

        if (at >= 0) {
            kpsa_err("KpsaID %s is already in %s:%ld", o->kpsa_id, d->path,
                     at + 1);
            return -1;
        }

        snprintf(id, idlen, "%s", o->kpsa_id);
        return 0;
    }

    if (o->fqdn != NULL) {
        fqdn = o->fqdn;
        fqdn_len = strlen(fqdn);

    } else {
        fqdn = kpsa_doc_fqdn_of_last(d, entity, &fqdn_len);

        if (fqdn == NULL) {
            kpsa_err("%s has no KpsaID to take the domain from: give "
                     "--fqdn or --kpsa-id", d->path);
            return -1;
        }
    }

    for (tries = 0; tries < 8; tries++) {
        if (kpsa_random_relative(rel, sizeof(rel)) != 0) {
            return -1;
        }

        if ((size_t) snprintf(id, idlen, "%s@%.*s", rel, (int) fqdn_len,
                              fqdn) >= idlen
            || !onem2m_kpsa_id_valid(id, strlen(id)))
        {
            kpsa_err("--fqdn \"%.*s\" is not a host name (letters, digits, "
                     "'-' and dots, at most %d bytes in all)",
                     ONEM2M_SAE_MAX_ID_LEN, fqdn,
                     ONEM2M_SAE_MAX_ID_LEN - RELATIVE_LEN - 1);
            return -1;
        }

        if (kpsa_doc_find_id(d, id, strlen(id)) < 0) {
            return 0;
        }
    }

    kpsa_err("no unused KpsaID found");
    return -1;
}

/*- commands ---------------------------------------------------------- */

/* the key of add/rotate: read from --key-file, or its length to draw */
static int
add_key(const kpsa_opts *o, unsigned char *key, size_t *key_len)
{
    if (o->key_file != NULL) {
        if (kpsa_key_read(o->key_file, key, key_len) != 0) {
            return -1;
        }
    } else {
        *key_len = o->bytes ? (size_t) o->bytes : KPSA_DEFAULT_KEY_BYTES;
    }

    return kpsa_key_length_ok(*key_len, o->force, "the key");
}

/*
 * After rotate: the command that deletes each credential the entity had
 * before, with the table named when it is not the default one.
 */
static void
rotate_hint(const kpsa_opts *o, const kpsa_doc *d, const char *entity)
{
    const kpsa_line  *l;
    size_t            i, elen = strlen(entity);
    int               dflt = strcmp(o->table, KPSA_DEFAULT_TABLE) == 0;

    for (i = 0; i < d->nlines; i++) {
        l = &d->lines[i];

        if (!l->cred || l->drop || l->ent_len != elen
            || memcmp(d->buf + l->ent_off, entity, elen) != 0)
        {
            continue;
        }

        kpsa_note(o, "once the device uses the new one: %s%s%s del %.*s",
                  KPSA_PROG, dflt ? "" : " -f ", dflt ? "" : o->table,
                  (int) l->id_len, (const char *) d->buf + l->id_off);
    }
}

/*
 * Says what add/rotate did and shows the credential, the only time its
 * key is shown: what a device is provisioned with (openssl s_client
 * -psk_identity -psk, gnutls-cli --pskusername --pskkey).
 */
static int
add_show(const kpsa_opts *o, const kpsa_doc *d, const char *entity,
    const char *id, const unsigned char *key, size_t key_len, int rotate)
{
    char  hex[2 * ONEM2M_SAE_MAX_KEY_LEN + 1];
    char  line[sizeof(hex) + ONEM2M_SAE_MAX_ID_LEN + 1 + 32];
    int   n, rc = 0;

    note_mode(o, d);

    if (d->created) {
        kpsa_note(o, "%s: created", d->path);
    }

    kpsa_note(o, "%s:%zu: %s credential of %s; the key is shown once, "
              "here:", d->path, d->first_added,
              rotate ? "a further" : "new", entity);

    onem2m_text_hex_encode(key, key_len, hex);
    n = snprintf(line, sizeof(line), "KpsaID: %s\nKpsa:   %s\n", id, hex);

    /* write(2), not stdio: no copy of the key left in a stdio buffer */
    if (n < 0 || (size_t) n >= sizeof(line)
        || write(STDOUT_FILENO, line, n) != n)
    {
        kpsa_err("cannot print the credential; it is in the table: "
                 "%s del %s", KPSA_PROG, id);
        rc = -1;

    } else if (rotate) {
        rotate_hint(o, d, entity);
    }

    OPENSSL_cleanse(hex, sizeof(hex));
    OPENSSL_cleanse(line, sizeof(line));

    return rc;
}

static int
cmd_add(kpsa_opts *o, int rotate)
{
    const char     *entity;
    unsigned char   key[ONEM2M_SAE_MAX_KEY_LEN];
    char            id[ONEM2M_SAE_MAX_ID_LEN + 1];
    size_t          key_len = 0;
    kpsa_doc        d;
    int             rc = KPSA_FAIL, opened = 0;

    if (o->nargs != 1) {
        kpsa_err("%s needs one ENTITY (an AE-ID or a CSE-ID)", o->command);
        return KPSA_USAGE;
    }

    if (o->key_file != NULL && o->bytes != 0) {
        kpsa_err("--bytes and --key-file exclude each other");
        return KPSA_USAGE;
    }

    entity = o->args[0];

    if (!entity_ok(entity)) {
        return KPSA_FAIL;
    }

    if (add_key(o, key, &key_len) != 0) {
        goto done;
    }

    opened = 1;

    if (kpsa_doc_open(&d, o->table,
                      KPSA_DOC_LOCK | (rotate ? 0 : KPSA_DOC_CREATE)) != 0)
    {
        goto done;
    }

    if (rotate
        && onem2m_table_find_entity(d.table, entity, strlen(entity)) == NULL)
    {
        kpsa_err("%s: %s has no credential to rotate (add makes a first "
                 "one)", d.path, entity);
        goto done;
    }

    if (choose_kpsa_id(o, &d, entity, id, sizeof(id)) == 0
        && (o->key_file != NULL || kpsa_key_generate(key, key_len) == 0)
        && kpsa_doc_append(&d, entity, key, key_len, id) == 0
        && kpsa_doc_commit(&d) == 0
        && reload_or_restore(o, &d) == 0
        && add_show(o, &d, entity, id, key, key_len, rotate) == 0)
    {
        rc = KPSA_OK;
    }

done:

    OPENSSL_cleanse(key, sizeof(key));

    if (opened) {
        kpsa_doc_close(&d);
    }

    return rc;
}

static int
confirm(const kpsa_opts *o, const char *entity, size_t n)
{
    char  answer[16];

    if (o->yes) {
        return 1;
    }

    if (!isatty(STDIN_FILENO)) {
        kpsa_err("del --entity %s would delete %zu credential%s: add --yes "
                 "to confirm; nothing changed", entity, n,
                 n == 1 ? "" : "s");
        return 0;
    }

    fprintf(stderr, "delete the %zu credential%s of %s? [y/N] ", n,
            n == 1 ? "" : "s", entity);

    if (fgets(answer, sizeof(answer), stdin) == NULL
        || (strcmp(answer, "y\n") != 0 && strcmp(answer, "yes\n") != 0))
    {
        kpsa_err("nothing changed");
        return 0;
    }

    return 1;
}

static int
cmd_del(kpsa_opts *o)
{
    kpsa_doc    d;
    size_t      i, n = 0, elen;
    kpsa_line  *l;
    long        at;
    int         rc = KPSA_FAIL;

    if ((o->entity == NULL) != (o->nargs == 1) || o->nargs > 1) {
        kpsa_err("del needs one KPSA-ID, or --entity ENTITY");
        return KPSA_USAGE;
    }

    if (kpsa_doc_open(&d, o->table, KPSA_DOC_LOCK) != 0) {
        goto done;
    }

    if (o->entity == NULL) {
        at = kpsa_doc_find_id(&d, o->args[0], strlen(o->args[0]));

        if (at < 0) {
            kpsa_err("%s: no KpsaID %.*s; nothing changed", d.path,
                     ONEM2M_SAE_MAX_ID_LEN, o->args[0]);
            goto done;
        }

        d.lines[at].drop = 1;
        n = 1;

    } else {
        elen = strlen(o->entity);

        for (i = 0; i < d.nlines; i++) {
            l = &d.lines[i];
            if (l->cred && l->ent_len == elen
                && memcmp(d.buf + l->ent_off, o->entity, elen) == 0)
            {
                l->drop = 1;
                n++;
            }
        }

        if (n == 0) {
            kpsa_err("%s: no credential of %.*s; nothing changed", d.path,
                     ONEM2M_SAE_MAX_ID_LEN, o->entity);
            goto done;
        }

        if (!confirm(o, o->entity, n)) {
            goto done;
        }
    }

    if (kpsa_doc_commit(&d) != 0 || reload_or_restore(o, &d) != 0) {
        goto done;
    }

    note_mode(o, &d);

    for (i = 0; i < d.nlines; i++) {
        l = &d.lines[i];
        if (l->drop) {
            kpsa_note(o, "%s:%zu: deleted KpsaID %.*s of %.*s", d.path,
                      i + 1, (int) l->id_len, d.buf + l->id_off,
                      (int) l->ent_len, d.buf + l->ent_off);
        }
    }

    rc = KPSA_OK;

done:

    kpsa_doc_close(&d);
    return rc;
}

static int
cmd_list(kpsa_opts *o)
{
    const ONEM2M_SAE_ENTRY  *e;
    const kpsa_line         *l;
    const char              *entity = o->entity;
    kpsa_doc                 d;
    size_t                   i, ew = 6, iw = 7, elen = 0, n = 0;
    int                      rc = KPSA_FAIL;

    if (o->nargs > 1 || (o->nargs == 1 && entity != NULL)) {
        kpsa_err("list takes at most one ENTITY");
        return KPSA_USAGE;
    }

    if (o->nargs == 1) {
        entity = o->args[0];
    }

    if (entity != NULL) {
        elen = strlen(entity);
    }

    if (kpsa_doc_open(&d, o->table, 0) != 0) {
        goto done;
    }

    for (i = 0; i < d.nlines; i++) {
        l = &d.lines[i];
        if (l->cred) {
            ew = l->ent_len > ew ? l->ent_len : ew;
            iw = l->id_len > iw ? l->id_len : iw;
        }
    }

    printf("%-*s  %-*s  %5s  %s\n", (int) ew, "ENTITY", (int) iw, "KPSA-ID",
           "BYTES", "LINE");

    /* the key's length only: the key itself is never shown */
    for (i = 0; i < d.nlines; i++) {
        l = &d.lines[i];

        if (!l->cred || (entity != NULL
                         && (l->ent_len != elen
                             || memcmp(d.buf + l->ent_off, entity, elen)
                                != 0)))
        {
            continue;
        }

        e = onem2m_table_lookup(d.table, (const char *) d.buf + l->id_off,
                                l->id_len);

        printf("%-*.*s  %-*.*s  %5u  %zu\n", (int) ew, (int) l->ent_len,
               d.buf + l->ent_off, (int) iw, (int) l->id_len,
               d.buf + l->id_off, (unsigned) e->key_len, i + 1);
        n++;
    }

    if (entity != NULL && n == 0) {
        kpsa_err("%s: no credential of %.*s", d.path, ONEM2M_SAE_MAX_ID_LEN,
                 entity);
        goto done;
    }

    rc = KPSA_OK;

done:

    kpsa_doc_close(&d);
    return rc;
}

typedef struct {
    size_t  errors;
    size_t  warnings;
} check_count;

/*
 * as nginx -t prints them: [emerg] for errors, [warn] for warnings; the
 * notice that says whether the file was read is nginx's info line, which
 * nginx -t does not show either
 */
static void
check_diag(void *arg, int severity, const char *msg)
{
    check_count  *c = arg;

    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        c->errors++;
        kpsa_err("[emerg] %s", msg);
    } else if (severity == ONEM2M_SAE_DIAG_WARNING) {
        c->warnings++;
        kpsa_err("[warn] %s", msg);
    }
}

static int
cmd_check(kpsa_opts *o)
{
    ONEM2M_SAE_TABLE  *t;
    check_count        c = { 0, 0 };

    if (o->nargs != 0) {
        kpsa_err("check takes no operands (the table is -f TABLE)");
        return KPSA_USAGE;
    }

    /* the provider's own open: what nginx -t runs, mode warnings too */
    t = onem2m_table_open(o->table, check_diag, &c);

    if (t == NULL) {
        kpsa_err("%s: the table does not load: nginx -t would fail",
                 o->table);
        return KPSA_FAIL;
    }

    kpsa_note(o, "%s: %zu credential%s, %zu warning%s: the table loads",
              o->table, onem2m_table_count(t),
              onem2m_table_count(t) == 1 ? "" : "s", c.warnings,
              c.warnings == 1 ? "" : "s");

    onem2m_table_free(t);
    return KPSA_OK;
}

static int
cmd_import(kpsa_opts *o)
{
    kpsa_doc  d;
    int       rc = KPSA_FAIL;

    if (o->nargs != 1) {
        kpsa_err("import needs one FILE ('-': stdin)");
        return KPSA_USAGE;
    }

    if (kpsa_doc_open(&d, o->table, KPSA_DOC_LOCK | KPSA_DOC_CREATE) != 0
        || kpsa_import(o, &d, o->args[0]) != 0
        || kpsa_doc_commit(&d) != 0
        || reload_or_restore(o, &d) != 0)
    {
        goto done;
    }

    note_mode(o, &d);
    kpsa_note(o, "%s:%zu: imported %zu credential%s from %s", d.path,
              d.first_added, d.nadded, d.nadded == 1 ? "" : "s",
              o->args[0]);
    rc = KPSA_OK;

done:

    kpsa_doc_close(&d);
    return rc;
}

static int
cmd_export(kpsa_opts *o)
{
    kpsa_doc  d;
    int       rc = KPSA_FAIL;

    if (o->nargs != 0) {
        kpsa_err("export takes no operands (-o FILE for a file)");
        return KPSA_USAGE;
    }

    if (kpsa_doc_open(&d, o->table, 0) == 0 && kpsa_export(o, &d) == 0) {
        rc = KPSA_OK;
    }

    kpsa_doc_close(&d);
    return rc;
}

int
main(int argc, char **argv)
{
    kpsa_opts  o;

    /*
     * The tool holds keys and the KEK in ordinary memory for its short
     * life: no core dump of it (and no ptrace by other users).
     */
    (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (kpsa_args_parse(&o, argc, argv) != 0) {
        kpsa_usage(0);
        return KPSA_USAGE;
    }

    if (kpsa_is_postgresql(o.table)) {
        return kpsa_pg_command(&o);
    }

    /* kpsa-lmdb: stores, and compiling a table into one: lmdb.c */
    if (kpsa_lmdb_dir(o.table) != NULL || strcmp(o.command, "compile") == 0) {
        return kpsa_lmdb_command(&o);
    }

    if (strcmp(o.command, "add") == 0 || strcmp(o.command, "gen") == 0) {
        return cmd_add(&o, 0);
    }
    if (strcmp(o.command, "rotate") == 0) {
        return cmd_add(&o, 1);
    }
    if (strcmp(o.command, "del") == 0 || strcmp(o.command, "revoke") == 0) {
        return cmd_del(&o);
    }
    if (strcmp(o.command, "list") == 0) {
        return cmd_list(&o);
    }
    if (strcmp(o.command, "check") == 0) {
        return cmd_check(&o);
    }
    if (strcmp(o.command, "import") == 0) {
        return cmd_import(&o);
    }
    if (strcmp(o.command, "export") == 0) {
        return cmd_export(&o);
    }
    if (strcmp(o.command, "help") == 0) {
        kpsa_usage(1);
        return KPSA_OK;
    }

    kpsa_err("unknown command \"%s\"", o.command);
    kpsa_usage(0);
    return KPSA_USAGE;
}
