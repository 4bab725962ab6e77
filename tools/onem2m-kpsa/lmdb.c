/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa on a "kpsa-lmdb:<directory>" store (-f kpsa-lmdb:DIR):
 * add (gen), rotate, rekey, del (revoke), list and check.  Keys are sealed
 * under the KEK (--kek FILE) before they reach the store; a revocation is
 * a tombstone, seen by every nginx worker at its next lookup.  Each change
 * is one write transaction with the next sequence number of the store
 * (meta last_seq), which is the credential's generation.
 *
 * A store is managed either by this tool or by onem2m-sync from
 * PostgreSQL, never by both: their sequence numbers would mix.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/onem2m_keyid.h"
#include "common/onem2m_text.h"
#include "kpsa.h"
#include "internal/sae_dispatch.h"
#include "store/kpsa_store.h"

typedef struct {
    const char    *dir;
    kpsa_store    *s;
    unsigned char  kek[KPSA_KEK_LEN];
    int            has_kek;
    uint64_t       seq;            /* the last one used */
} kpsa_lmdb;

const char *
kpsa_lmdb_dir(const char *table)
{
    return onem2m_lmdb_uri_path(table);
}

int
kpsa_lmdb_kek(const kpsa_opts *o, unsigned char *kek)
{
    char  err[512];

    if (o->kek == NULL) {
        kpsa_err("%s needs the KEK: --kek FILE", o->command);
        return -1;
    }

    if (!kpsa_kek_load(o->kek, kek, err, sizeof(err))) {
        kpsa_err("%s", err);
        return -1;
    }

    return 0;
}

static void
lmdb_close(kpsa_lmdb *l)
{
    kpsa_store_close(l->s);
    OPENSSL_cleanse(l->kek, sizeof(l->kek));
}

/* the store (writable), and the KEK if need_kek, checked against it */
static int
lmdb_open(const kpsa_opts *o, kpsa_lmdb *l, int writable, int need_kek)
{
    unsigned char  check[KPSA_KEK_CHECK_LEN + 1];
    size_t         len = sizeof(check);
    char           err[512];

    memset(l, 0, sizeof(*l));
    l->dir = kpsa_lmdb_dir(o->table);

    if ((need_kek || o->kek != NULL) && kpsa_lmdb_kek(o, l->kek) != 0) {
        return -1;
    }

    l->has_kek = need_kek || o->kek != NULL;
    l->s = kpsa_store_open(l->dir, writable, err, sizeof(err));

    if (l->s == NULL) {
        kpsa_err("%s", err);
        return -1;
    }

    if (kpsa_store_stale_readers(l->s) > 0) {
        kpsa_err("%s: %d stale reader slot%s of dead processes cleared",
                 l->dir, kpsa_store_stale_readers(l->s),
                 kpsa_store_stale_readers(l->s) == 1 ? "" : "s");
    }

    if (!kpsa_store_get_meta(l->s, &l->seq, NULL, NULL, 0)) {
        kpsa_err("%s: %s", l->dir, kpsa_store_error(l->s));
        return -1;
    }

    if (l->has_kek && kpsa_store_get_kek_check(l->s, check, &len) == 1
        && !kpsa_kek_check_verify(l->kek, check, len))
    {
        kpsa_err("%s: the KEK %s does not open this store's keys", l->dir,
                 o->kek);
        return -1;
    }

    return 0;
}

/* one change: begin; the caller's puts; last_seq; commit */
static int
lmdb_begin(kpsa_lmdb *l)
{
    if (!kpsa_store_begin(l->s)) {
        kpsa_err("%s: %s", l->dir, kpsa_store_error(l->s));
        return -1;
    }

    return 0;
}

static int
lmdb_commit(kpsa_lmdb *l)
{
    int64_t  synced_at = 0;

    kpsa_store_get_meta(l->s, NULL, &synced_at, NULL, 0);

    if (!kpsa_store_set_meta(l->s, l->seq, synced_at, NULL)
        || !kpsa_store_commit(l->s))
    {
        kpsa_err("%s: %s; nothing changed", l->dir, kpsa_store_error(l->s));
        kpsa_store_abort(l->s);
        return -1;
    }

    return 0;
}

/* seals key for (id, entity) and puts it with the next seq */
static int
lmdb_put(kpsa_lmdb *l, const char *id, const char *entity,
    const unsigned char *key, size_t key_len, const kpsa_store_attr *attr)
{
    unsigned char  sealed[KPSA_SEALED_MAX];
    size_t         sealed_len;
    int            ok;

    if (!kpsa_envelope_seal(l->kek, id, entity, key, key_len, sealed,
                            &sealed_len))
    {
        kpsa_err("%s: cannot seal the key", id);
        return -1;
    }

    ok = kpsa_store_put_attr(l->s, id, entity, sealed, sealed_len, ++l->seq,
                             attr);
    OPENSSL_cleanse(sealed, sizeof(sealed));

    if (!ok) {
        kpsa_err("%s: %s", l->dir, kpsa_store_error(l->s));
        return -1;
    }

    return 0;
}

int
kpsa_print_credential(const char *id, const unsigned char *key,
    size_t key_len)
{
    char  hex[2 * ONEM2M_SAE_MAX_KEY_LEN + 1];
    char  line[sizeof(hex) + ONEM2M_SAE_MAX_ID_LEN + 32];
    int   n, rc = 0;

    onem2m_text_hex_encode(key, key_len, hex);
    n = snprintf(line, sizeof(line), "KpsaID: %s\nKpsa:   %s\n", id, hex);

    /* write(2), not stdio: no copy of the key left in a stdio buffer */
    if (n < 0 || (size_t) n >= sizeof(line)
        || write(STDOUT_FILENO, line, n) != n)
    {
        rc = -1;
    }

    OPENSSL_cleanse(hex, sizeof(hex));
    OPENSSL_cleanse(line, sizeof(line));

    return rc;
}

/* --kpsa-id, or a random relative id at --fqdn or the entity's domain */
static int
lmdb_choose_id(const kpsa_opts *o, kpsa_lmdb *l, const char *entity,
    char *id, size_t idlen)
{
    kpsa_store_rec  rec;
    char            rel[17];
    const char     *fqdn = o->fqdn;

    if (o->kpsa_id != NULL) {
        snprintf(id, idlen, "%s", o->kpsa_id);

        if (kpsa_store_get(l->s, id, strlen(id), &rec) == 1) {
            kpsa_err("%s: KpsaID %s is already in the store (rekey gives it "
                     "a new key)", l->dir, id);
            return -1;
        }

        return 0;
    }

    if (fqdn == NULL
        && kpsa_store_get_entity(l->s, entity, strlen(entity), &rec) == 1)
    {
        fqdn = strchr(rec.kpsa_id, '@') + 1;
    }

    if (fqdn == NULL) {
        kpsa_err("%s: %s has no KpsaID to take the domain from: give "
                 "--fqdn or --kpsa-id", l->dir, entity);
        return -1;
    }

    if (kpsa_random_relative(rel, sizeof(rel)) != 0) {
        return -1;
    }

    snprintf(id, idlen, "%s@%s", rel, fqdn);
    return 0;
}

/*
 * add's --expires and --maf into attr (rotate writes a plain record, a
 * rekey keeps the record's own).  A MAF key's KpsaID is its Key
 * Identifier, hex in lower case: the form the MAF hands out and the
 * psk_identity looked up as sent.
 */
static int
lmdb_attr(const kpsa_opts *o, int what, kpsa_store_attr *attr)
{
    onem2m_keyid  k;
    int           rc;

    memset(attr, 0, sizeof(*attr));

    if ((o->expires != 0 || o->maf) && what != 0) {
        kpsa_err("--expires and --maf are for add only");
        return -1;
    }

    attr->expires = o->expires;

    if (!o->maf) {
        return 0;
    }

    if (o->kpsa_id == NULL) {
        kpsa_err("add --maf needs --kpsa-id <32 hex digits>@<MAF-FQDN> (the "
                 "Key Identifier)");
        return -1;
    }

    rc = onem2m_keyid_parse(o->kpsa_id, strlen(o->kpsa_id), &k);
    if (rc != ONEM2M_KEYID_OK) {
        kpsa_err("--kpsa-id %.*s: not a MAF Key Identifier: %s",
                 ONEM2M_SAE_MAX_ID_LEN, o->kpsa_id, onem2m_keyid_reason(rc));
        return -1;
    }

    if (strspn(k.hex, "0123456789abcdef") < k.hex_len) {
        kpsa_err("--kpsa-id %.*s: write the KcID in lower-case hex (the "
                 "form the MAF hands out)", ONEM2M_SAE_MAX_ID_LEN,
                 o->kpsa_id);
        return -1;
    }

    attr->flags = KPSA_FLAG_MAF;
    attr->suid = KPSA_SUID_MAF_SAEF;

    return 0;
}

/* add, gen, rotate ENTITY; rekey KPSA-ID */
static int
lmdb_add(const kpsa_opts *o, int what)
{
    kpsa_lmdb        l;
    kpsa_store_rec   rec;
    kpsa_store_attr  attr;
    unsigned char    key[ONEM2M_SAE_MAX_KEY_LEN];
    char             id[ONEM2M_SAE_MAX_ID_LEN + 1], entity[256];
    size_t           key_len;
    int              rc = KPSA_FAIL;

    if (o->nargs != 1) {
        kpsa_err(what == 2 ? "rekey needs one KPSA-ID"
                           : "%s needs one ENTITY (an AE-ID or a CSE-ID)",
                 o->command);
        return KPSA_USAGE;
    }

    if (lmdb_attr(o, what, &attr) != 0) {
        return KPSA_USAGE;
    }

    if (lmdb_open(o, &l, 1, 1) != 0 || lmdb_begin(&l) != 0) {
        goto done;
    }

    if (what == 2) {
        /* rekey: the same KpsaID and entity, a new key and generation */
        if (kpsa_store_get(l.s, o->args[0], strlen(o->args[0]), &rec) != 1) {
            kpsa_err("%s: no KpsaID %.*s; nothing changed", l.dir,
                     ONEM2M_SAE_MAX_ID_LEN, o->args[0]);
            goto done;
        }
        snprintf(id, sizeof(id), "%s", rec.kpsa_id);
        snprintf(entity, sizeof(entity), "%s", rec.entity);

    } else {
        snprintf(entity, sizeof(entity), "%s", o->args[0]);

        if (what == 1 && kpsa_store_get_entity(l.s, entity, strlen(entity),
                                               &rec) != 1)
        {
            kpsa_err("%s: %s has no credential to rotate (add makes a first "
                     "one)", l.dir, entity);
            goto done;
        }

        if (lmdb_choose_id(o, &l, entity, id, sizeof(id)) != 0) {
            goto done;
        }
    }

    if (kpsa_key_obtain(o, key, &key_len) != 0
        || lmdb_put(&l, id, entity, key, key_len,
                    what == 2 ? &rec.attr : &attr) != 0
        || lmdb_commit(&l) != 0)
    {
        goto done;
    }

    kpsa_note(o, "%s: %s credential of %s (generation %llu); the key is "
              "shown once, here:", l.dir,
              what == 2 ? "rekeyed" : what == 1 ? "a further" : "new",
              entity, (unsigned long long) l.seq);

    if (attr.expires != 0 && what == 0) {
        kpsa_note(o, "%s: %s%s expires at %lld (unix seconds)", l.dir, id,
                  attr.flags & KPSA_FLAG_MAF ? " (a MAF key, SUID 32)" : "",
                  (long long) attr.expires);
    }

    if (kpsa_print_credential(id, key, key_len) != 0) {
        kpsa_err("cannot print the credential; it is in the store: %s -f "
                 "%s del %s", KPSA_PROG, o->table, id);
        goto done;
    }

    rc = KPSA_OK;

done:

    OPENSSL_cleanse(key, sizeof(key));
    kpsa_store_abort(l.s);
    lmdb_close(&l);
    return rc;
}

/* del (revoke) KPSA-ID, or every credential of --entity (--yes) */
static int
lmdb_del(const kpsa_opts *o)
{
    kpsa_lmdb        l;
    kpsa_store_rec   rec;
    int              rc = KPSA_FAIL, n = 0;

    if ((o->entity == NULL) != (o->nargs == 1) || o->nargs > 1) {
        kpsa_err("del needs one KPSA-ID, or --entity ENTITY");
        return KPSA_USAGE;
    }

    if (o->entity != NULL && !o->yes) {
        kpsa_err("del --entity %s: add --yes to revoke every credential of "
                 "it; nothing changed", o->entity);
        return KPSA_FAIL;
    }

    if (lmdb_open(o, &l, 1, 0) != 0 || lmdb_begin(&l) != 0) {
        goto done;
    }

    for ( ;; ) {
        if (o->entity != NULL) {
            if (kpsa_store_get_entity(l.s, o->entity, strlen(o->entity),
                                      &rec) != 1)
            {
                break;
            }
        } else if (n > 0 || kpsa_store_get(l.s, o->args[0],
                                           strlen(o->args[0]), &rec) != 1)
        {
            break;
        }

        if (!kpsa_store_revoke(l.s, rec.kpsa_id, ++l.seq)) {
            kpsa_err("%s: %s", l.dir, kpsa_store_error(l.s));
            goto done;
        }

        kpsa_note(o, "%s: revoked KpsaID %s of %s", l.dir, rec.kpsa_id,
                  rec.entity);
        n++;
    }

    if (n == 0) {
        kpsa_err("%s: no %s %.*s; nothing changed", l.dir,
                 o->entity != NULL ? "credential of" : "KpsaID",
                 ONEM2M_SAE_MAX_ID_LEN,
                 o->entity != NULL ? o->entity : o->args[0]);
        goto done;
    }

    if (lmdb_commit(&l) == 0) {
        rc = KPSA_OK;
    }

done:

    kpsa_store_abort(l.s);
    lmdb_close(&l);
    return rc;
}

/* a record's attributes after its list line: only those it has */
static void
lmdb_print_attr(const kpsa_store_attr *a)
{
    struct tm  tm;
    time_t     t = (time_t) a->expires;
    char       when[32];

    if (a->expires != 0 && gmtime_r(&t, &tm) != NULL
        && strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
    {
        printf("  expires %s%s", when,
               (long long) time(NULL) >= a->expires ? " (expired)" : "");
    }

    if (a->flags & KPSA_FLAG_MAF) {
        printf("  maf");
    }

    if (a->suid != 0) {
        printf("  suid %u", a->suid);
    }

    printf("\n");
}

/* list [ENTITY]: no KEK needed, never a key */
static int
lmdb_list(const kpsa_opts *o)
{
    kpsa_lmdb        l;
    kpsa_store_rec   rec;
    const char      *entity = o->nargs == 1 ? o->args[0] : o->entity;
    char             after[ONEM2M_SAE_MAX_ID_LEN + 1];
    int              rc, n = 0;

    if (o->nargs > 1 || (o->nargs == 1 && o->entity != NULL)) {
        kpsa_err("list takes at most one ENTITY");
        return KPSA_USAGE;
    }

    if (lmdb_open(o, &l, 0, 0) != 0) {
        lmdb_close(&l);
        return KPSA_FAIL;
    }

    printf("%-30s  %-40s  %5s  %s\n", "ENTITY", "KPSA-ID", "BYTES",
           "GENERATION");

    for (rc = kpsa_store_next(l.s, NULL, &rec); rc == 1;
         rc = kpsa_store_next(l.s, after, &rec))
    {
        memcpy(after, rec.kpsa_id, rec.kpsa_id_len + 1);

        if (entity != NULL && strcmp(entity, rec.entity) != 0) {
            continue;
        }

        printf("%-30s  %-40s  %5zu  %llu", rec.entity, rec.kpsa_id,
               rec.sealed_len - KPSA_ENVELOPE_OVERHEAD,
               (unsigned long long) rec.seq);
        lmdb_print_attr(&rec.attr);
        n++;
    }

    kpsa_store_rec_cleanse(&rec);

    if (rc < 0) {
        kpsa_err("%s: %s", l.dir, kpsa_store_error(l.s));
    } else if (entity != NULL && n == 0) {
        kpsa_err("%s: no credential of %.*s", l.dir, ONEM2M_SAE_MAX_ID_LEN,
                 entity);
        rc = -1;
    }

    lmdb_close(&l);
    return rc < 0 ? KPSA_FAIL : KPSA_OK;
}

static void
lmdb_check_diag(void *arg, int severity, const char *msg)
{
    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        kpsa_err("[emerg] %s", msg);
    }
}

/*
 * check: what nginx -t does (the provider's open, the KEK against the
 * store), and with --kek every key unsealed once
 */
static int
lmdb_check(const kpsa_opts *o)
{
    ONEM2M_SAE_TABLE       *t;
    ONEM2M_SAE_LOOKUP       lk;
    ONEM2M_SAE_TABLE_INFO   info;
    const ONEM2M_SAE_TABLE_HEAD *head;
    char                    after[ONEM2M_SAE_MAX_ID_LEN + 1];
    unsigned long long      n = 0;
    int                     rc;

    if (o->nargs != 0) {
        kpsa_err("check takes no operands (the store is -f kpsa-lmdb:DIR)");
        return KPSA_USAGE;
    }

    t = onem2m_lmdb_open(kpsa_lmdb_dir(o->table), o->kek, lmdb_check_diag,
                         NULL);

    if (t == NULL) {
        kpsa_err("%s: the store does not open: nginx -t would fail",
                 o->table);
        return KPSA_FAIL;
    }

    head = (const ONEM2M_SAE_TABLE_HEAD *) t;

    for (rc = onem2m_lmdb_next(t, NULL, &lk); rc == 1;
         rc = onem2m_lmdb_next(t, after, &lk))
    {
        memcpy(after, lk.kpsa_id_buf, lk.entry.kpsa_id_len + 1);
        n++;
    }

    OPENSSL_cleanse(&lk, sizeof(lk));

    if (rc < 0) {
        kpsa_err("%s: %s after %s", o->table, o->kek != NULL
                 ? "a key does not open with the KEK, or a record is "
                   "malformed" : "a record is malformed",
                 n ? after : "the start");
        onem2m_lmdb_free(t);
        return KPSA_FAIL;
    }

    head->info(t, &info);
    kpsa_note(o, "%s: %llu credential%s%s, last seq %llu, synced at %lld",
              o->table, n, n == 1 ? "" : "s",
              o->kek != NULL ? " (every key opens with the KEK)" : "",
              info.last_seq, info.synced_at);

    onem2m_lmdb_free(t);
    return KPSA_OK;
}

int
kpsa_lmdb_command(kpsa_opts *o)
{
    const char  *c = o->command;

    if (strcmp(c, "compile") == 0) {
        return kpsa_compile(o);
    }

    if (strcmp(c, "add") == 0 || strcmp(c, "gen") == 0) {
        return lmdb_add(o, 0);
    }
    if (strcmp(c, "rotate") == 0) {
        return lmdb_add(o, 1);
    }
    if (strcmp(c, "rekey") == 0) {
        return lmdb_add(o, 2);
    }
    if (strcmp(c, "del") == 0 || strcmp(c, "revoke") == 0) {
        return lmdb_del(o);
    }
    if (strcmp(c, "list") == 0) {
        return lmdb_list(o);
    }
    if (strcmp(c, "check") == 0) {
        return lmdb_check(o);
    }

    kpsa_err("%s: not a command for a " KPSA_STORE_SCHEME ": store (add, "
             "rotate, rekey, del, list, check)", c);
    return KPSA_USAGE;
}
