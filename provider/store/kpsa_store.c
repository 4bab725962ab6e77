/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LMDB store: opening, metadata and the writer (one write transaction
 * per batch).  Layout: kpsa_store_int.h and docs/lmdb-store.md.
 */

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "common/onem2m_id.h"
#include "kpsa_store_int.h"

/*
 * a writer maps at least 1 GiB (unless sized with kpsa_store_set_map_size)
 * and doubles the map when half of it is used
 */
#define STORE_MAP_MIN     ((size_t) 1 << 30)
#define STORE_MAX_DBS     4
/*
 * reader slots in lock.mdb (LMDB's default is 126): every worker of every
 * nginx generation, the tools and the sync daemon each hold one; sized
 * when the lock file is created or when its first opener finds it alone
 */
#define STORE_MAX_READERS 1024

void
kpsa_store_set_error(kpsa_store *s, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
}

const char *
kpsa_store_hint(int rc)
{
    if (rc == MDB_READERS_FULL) {
        /* the slots of dead processes were cleared at open: these live */
        return ": every slot of lock.mdb's reader table is held by a live "
               "process; find them with \"mdb_stat -r <store>\" and stop "
               "the ones that are not nginx workers or onem2m tools, then "
               "retry";
    }

    return "";
}

const char *
kpsa_store_error(const kpsa_store *s)
{
    return s != NULL ? s->err : "no store";
}

uint64_t
kpsa_be64(const unsigned char *p)
{
    uint64_t  v = 0;
    int       i;

    for (i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }

    return v;
}

void
kpsa_put_be64(unsigned char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char) v;
        v >>= 8;
    }
}

int
kpsa_rec_decode(const MDB_val *k, const MDB_val *v, kpsa_store_rec *rec)
{
    const unsigned char  *p = v->mv_data;
    size_t                elen, alen;

    if (k->mv_size == 0 || k->mv_size > KPSA_MAX_ID_LEN
        || v->mv_size < KPSA_REC_HEADER
        || (p[0] != KPSA_REC_VERSION && p[0] != KPSA_REC_VERSION_ATTR))
    {
        return 0;
    }

    elen = (size_t) p[10] << 8 | p[11];
    alen = p[0] == KPSA_REC_VERSION_ATTR ? KPSA_REC_ATTR_LEN : 0;

    if (elen > KPSA_MAX_ID_LEN || KPSA_REC_HEADER + elen + alen > v->mv_size
        || v->mv_size - KPSA_REC_HEADER - elen - alen > KPSA_SEALED_MAX)
    {
        return 0;
    }

    rec->state = p[1];
    rec->seq = kpsa_be64(p + 2);
    memcpy(rec->kpsa_id, k->mv_data, k->mv_size);
    rec->kpsa_id[k->mv_size] = '\0';
    rec->kpsa_id_len = k->mv_size;
    memcpy(rec->entity, p + KPSA_REC_HEADER, elen);
    rec->entity[elen] = '\0';
    rec->entity_len = elen;
    p += KPSA_REC_HEADER + elen;

    memset(&rec->attr, 0, sizeof(rec->attr));

    if (alen != 0) {
        rec->attr.flags = p[0];
        rec->attr.suid = p[1];
        rec->attr.expires = (int64_t) kpsa_be64(p + 2);
        p += alen;
    }

    rec->sealed_len = v->mv_size - KPSA_REC_HEADER - elen - alen;
    memcpy(rec->sealed, p, rec->sealed_len);

    return rec->state == KPSA_STATE_LIVE || rec->state == KPSA_STATE_REVOKED;
}

void
kpsa_store_rec_cleanse(kpsa_store_rec *rec)
{
    OPENSSL_cleanse(rec->sealed, sizeof(rec->sealed));
}

/*- opening ------------------------------------------------------------ */

static int
store_meta_put(kpsa_store *s, const char *name, const void *data, size_t len)
{
    MDB_val  k, v;
    int      rc;

    k.mv_data = (void *) name;
    k.mv_size = strlen(name);
    v.mv_data = (void *) data;
    v.mv_size = len;

    rc = mdb_put(s->wtxn, s->meta, &k, &v, 0);
    if (rc != 0) {
        kpsa_store_set_error(s, "cannot write meta %s (%s)", name,
                             mdb_strerror(rc));
        return 0;
    }

    return 1;
}

/* the DBIs, created by a writer; the format checked by everyone */
static int
store_open_dbis(kpsa_store *s, const char *dir)
{
    MDB_txn       *txn;
    MDB_val        k, v;
    unsigned int   flags = s->writable ? MDB_CREATE : 0;
    unsigned char  fmt[4] = { 0, 0, 0, KPSA_STORE_FORMAT };
    int            rc;

    rc = mdb_txn_begin(s->env, NULL, s->writable ? 0 : MDB_RDONLY, &txn);
    if (rc != 0) {
        kpsa_store_set_error(s, "%s: cannot begin a transaction (%s)", dir,
                             mdb_strerror(rc));
        return 0;
    }

    rc = mdb_dbi_open(txn, "cred", flags, &s->cred);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "entity", flags | MDB_DUPSORT, &s->entity);
    }
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "meta", flags, &s->meta);
    }

    if (rc != 0) {
        mdb_txn_abort(txn);
        kpsa_store_set_error(s, "%s: not a " KPSA_STORE_SCHEME " store (%s)",
                             dir, rc == MDB_NOTFOUND ? "no credential database"
                                                     : mdb_strerror(rc));
        return 0;
    }

    k.mv_data = "format";
    k.mv_size = 6;
    rc = mdb_get(txn, s->meta, &k, &v);

    if (rc == MDB_NOTFOUND && s->writable) {
        s->wtxn = txn;
        rc = store_meta_put(s, "format", fmt, sizeof(fmt)) ? 0 : -1;
        s->wtxn = NULL;
        v.mv_data = fmt;
        v.mv_size = sizeof(fmt);
    }

    if (rc == 0 && (v.mv_size != 4 || memcmp(v.mv_data, fmt, 4) != 0)) {
        kpsa_store_set_error(s, "%s: store format %s, this build reads %d",
                             dir, v.mv_size == 4 ? "of another version"
                                                 : "unreadable",
                             KPSA_STORE_FORMAT);
        rc = -1;

    } else if (rc != 0 && rc != -1) {
        kpsa_store_set_error(s, "%s: not a " KPSA_STORE_SCHEME " store (no "
                             "format record: %s)", dir, mdb_strerror(rc));
        rc = -1;
    }

    if (rc != 0) {
        mdb_txn_abort(txn);
        return 0;
    }

    /* a read-only commit keeps the DBI handles for later transactions */
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        kpsa_store_set_error(s, "%s: cannot commit (%s)", dir,
                             mdb_strerror(rc));
        return 0;
    }

    return 1;
}

/* mdb_env_open() may touch the fresh map: a fault is a damaged store */
static int
store_env_open_guarded(kpsa_store *s, const char *dir, unsigned flags)
{
    sigjmp_buf  jb;
    int         rc;

    if (sigsetjmp(jb, 0) != 0) {
        kpsa_store_fault(s);
        return -1;
    }

    kpsa_guard_enter(&jb);
    rc = mdb_env_open(s->env, dir, flags, 0644);
    kpsa_guard_leave();

    return rc;
}

static int
store_open_env(kpsa_store *s, const char *dir)
{
    unsigned     flags = MDB_NOTLS | (s->writable ? 0 : MDB_RDONLY);
    int          rc;
    mdb_filehandle_t  fd;

    if (s->writable && mkdir(dir, 0755) == -1 && errno != EEXIST) {
        kpsa_store_set_error(s, "%s: cannot create the store directory (%s)",
                             dir, strerror(errno));
        return 0;
    }

    /* a short or foreign data.mdb is refused before LMDB maps it */
    if (!kpsa_store_precheck(s, dir)) {
        return 0;
    }

    rc = mdb_env_create(&s->env);
    if (rc == 0) {
        /* ENOSYS in a build without assertions: nothing to catch then */
        (void) mdb_env_set_assert(s->env, kpsa_guard_assert);
        rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS);
    }
    if (rc == 0) {
        rc = mdb_env_set_maxreaders(s->env, STORE_MAX_READERS);
    }
    if (rc == 0 && !s->writable) {
        /* a reader maps what the writer last sized, not LMDB's 1 MiB */
        rc = mdb_env_set_mapsize(s->env, 0);
    }
    if (rc == 0) {
        /* data.mdb is readable by the worker user; the KEK is not */
        rc = store_env_open_guarded(s, dir, flags);
    }

    if (rc == -1) {
        return 0;                       /* s->err says why */
    }

    if (rc != 0) {
        kpsa_store_set_error(s, "%s: cannot open the store (%s)", dir,
                             mdb_strerror(rc));
        return 0;
    }

    /*
     * slots of dead processes first: a full reader table would refuse
     * the transactions below (every opener, reader or writer, clears them)
     */
    rc = mdb_reader_check(s->env, &s->stale_cleared);
    if (rc != 0) {
        kpsa_store_set_error(s, "%s: cannot check the reader table of "
                             "lock.mdb (%s)", dir, mdb_strerror(rc));
        return 0;
    }

    /* the file as mapped, against its meta pages, before any page is read */
    if (mdb_env_get_fd(s->env, &fd) != 0
        || !kpsa_store_file_check(s, dir, fd))
    {
        return 0;
    }

    return 1;
}

/* the DBIs read pages: a fault there is a damaged store, not a crash */
static int
store_open_guarded(kpsa_store *s, const char *dir)
{
    sigjmp_buf  jb;
    int         ok;

    if (sigsetjmp(jb, 0) != 0) {
        kpsa_store_fault(s);
        return 0;
    }

    kpsa_guard_enter(&jb);
    ok = store_open_dbis(s, dir);
    kpsa_guard_leave();

    return ok;
}

kpsa_store *
kpsa_store_open(const char *dir, int writable, char *err, size_t errlen)
{
    kpsa_store  *s;

    s = OPENSSL_zalloc(sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "%s: out of memory", dir);
        return NULL;
    }

    s->writable = writable;
    pthread_mutex_init(&s->lock, NULL);
    kpsa_guard_init();

    if (!store_open_env(s, dir) || !store_open_guarded(s, dir)) {
        snprintf(err, errlen, "%s", s->err);
        kpsa_store_close(s);
        return NULL;
    }

    return s;
}

void
kpsa_store_close(kpsa_store *s)
{
    if (s == NULL) {
        return;
    }

    if (s->wtxn != NULL) {
        mdb_txn_abort(s->wtxn);
    }

    if (s->icur != NULL) {
        mdb_cursor_close(s->icur);
    }

    if (s->rtxn != NULL) {
        mdb_txn_abort(s->rtxn);
    }

    if (s->env != NULL) {
        mdb_env_close(s->env);
    }

    pthread_mutex_destroy(&s->lock);
    OPENSSL_free(s);
}

/*- writing ------------------------------------------------------------ */

/* grows the map before a batch when half of it is used (no txn open) */
static int
store_grow(kpsa_store *s)
{
    MDB_envinfo  info;
    MDB_stat     st;
    size_t       used;
    int          rc;

    size_t       size;

    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0) {
        return 1;
    }

    used = (info.me_last_pgno + 1) * (size_t) st.ms_psize;
    size = info.me_mapsize;

    /* LMDB starts with 1 MiB: a store gets STORE_MAP_MIN unless sized */
    if (!s->map_sized && size < STORE_MAP_MIN) {
        size = STORE_MAP_MIN;
    }

    while (used >= size / 2) {
        size *= 2;
    }

    if (size == info.me_mapsize) {
        return 1;
    }

    rc = mdb_env_set_mapsize(s->env, size);
    if (rc != 0) {
        kpsa_store_set_error(s, "cannot grow the map to %zu bytes (%s)",
                             size, mdb_strerror(rc));
        return 0;
    }

    return 1;
}

int
kpsa_store_set_map_size(kpsa_store *s, size_t bytes)
{
    int  rc;

    if (!s->writable || s->wtxn != NULL) {
        kpsa_store_set_error(s, "the map is sized by a writer outside a "
                             "transaction");
        return 0;
    }

    rc = mdb_env_set_mapsize(s->env, bytes);
    if (rc != 0) {
        kpsa_store_set_error(s, "cannot size the map to %zu bytes (%s)",
                             bytes, mdb_strerror(rc));
        return 0;
    }

    s->map_sized = 1;

    return 1;
}

int
kpsa_store_begin(kpsa_store *s)
{
    int  rc;

    if (!s->writable || s->wtxn != NULL) {
        kpsa_store_set_error(s, s->writable ? "a write transaction is open"
                                            : "store opened read-only");
        return 0;
    }

    if (!store_grow(s)) {
        return 0;
    }

    rc = mdb_txn_begin(s->env, NULL, 0, &s->wtxn);
    if (rc != 0) {
        s->wtxn = NULL;
        kpsa_store_set_error(s, "cannot begin a write transaction (%s)%s",
                             mdb_strerror(rc), kpsa_store_hint(rc));
        return 0;
    }

    return 1;
}

static int
store_in_txn(kpsa_store *s)
{
    if (s->wtxn == NULL) {
        kpsa_store_set_error(s, "no write transaction (kpsa_store_begin)");
        return 0;
    }

    return 1;
}

/* the KpsaID and entity rules of the text table (provider/src/table_parse.c) */
static int
store_valid_ids(kpsa_store *s, const char *kpsa_id, const char *entity)
{
    size_t  len = strlen(kpsa_id);

    if (len > KPSA_MAX_ID_LEN) {
        kpsa_store_set_error(s, "KpsaID longer than %d bytes",
                             KPSA_MAX_ID_LEN);
        return 0;
    }

    if (!onem2m_kpsa_id_valid(kpsa_id, len)) {
        kpsa_store_set_error(s, "malformed KpsaID %.*s (expected "
                             "<relative-id>@<fqdn>)", (int) len, kpsa_id);
        return 0;
    }

    if (entity == NULL) {
        return 1;
    }

    len = strlen(entity);

    if (len > KPSA_MAX_ID_LEN) {
        kpsa_store_set_error(s, "%s: entity id longer than %d bytes", kpsa_id,
                             KPSA_MAX_ID_LEN);
        return 0;
    }

    if (onem2m_id_parse(entity, len, NULL) == 0) {
        kpsa_store_set_error(s, "%s: malformed entity id %.*s "
                             ONEM2M_ID_ENTITY_EXPECTED, kpsa_id, (int) len, entity);
        return 0;
    }

    return 1;
}

/*
 * Before a put or revoke of kpsa_id at seq: *stale when the stored record
 * is as new (a replay), else the stored record's entity index entry goes.
 * 1 ok, 0 error.
 */
static int
store_replace(kpsa_store *s, const char *kpsa_id, uint64_t seq, int *stale)
{
    kpsa_store_rec  old;
    MDB_val         k, v, d;
    uint64_t        last;
    int             rc;

    *stale = 0;
    k.mv_data = (void *) kpsa_id;
    k.mv_size = strlen(kpsa_id);

    rc = mdb_get(s->wtxn, s->cred, &k, &v);

    if (rc == MDB_NOTFOUND) {
        return 1;
    }

    if (rc != 0 || !kpsa_rec_decode(&k, &v, &old)) {
        kpsa_store_set_error(s, "%s: cannot read the stored record (%s)",
                             kpsa_id, rc ? mdb_strerror(rc) : "malformed");
        return 0;
    }

    kpsa_store_rec_cleanse(&old);

    if (kpsa_meta_last_seq(s, s->wtxn, &last) < 0) {
        return 0;
    }

    /* above last_seq, no writer wrote it (an edit): replaced, not kept */
    if (seq <= old.seq && old.seq <= last) {
        *stale = 1;                     /* a replay: already applied */
        return 1;
    }

    if (old.state == KPSA_STATE_LIVE) {
        k.mv_data = old.entity;
        k.mv_size = old.entity_len;
        d.mv_data = (void *) kpsa_id;
        d.mv_size = strlen(kpsa_id);
        rc = mdb_del(s->wtxn, s->entity, &k, &d);

        if (rc != 0 && rc != MDB_NOTFOUND) {
            kpsa_store_set_error(s, "%s: cannot update the entity index (%s)",
                                 kpsa_id, mdb_strerror(rc));
            return 0;
        }
    }

    return 1;
}

/* a record without attributes is written as version 1 */
static int
store_write(kpsa_store *s, const char *kpsa_id, const char *entity,
    const unsigned char *sealed, size_t sealed_len, uint64_t seq, int state,
    const kpsa_store_attr *attr)
{
    unsigned char   buf[KPSA_REC_HEADER + KPSA_MAX_ID_LEN + KPSA_REC_ATTR_LEN
                        + KPSA_SEALED_MAX];
    unsigned char   be[8], *p;
    size_t          elen = strlen(entity);
    uint64_t        last;
    MDB_val         k, v, d;
    int             rc;

    if (attr != NULL && attr->expires == 0 && attr->suid == 0
        && attr->flags == 0)
    {
        attr = NULL;
    }

    buf[0] = attr != NULL ? KPSA_REC_VERSION_ATTR : KPSA_REC_VERSION;
    buf[1] = (unsigned char) state;
    kpsa_put_be64(buf + 2, seq);
    buf[10] = (unsigned char) (elen >> 8);
    buf[11] = (unsigned char) elen;
    memcpy(buf + KPSA_REC_HEADER, entity, elen);
    p = buf + KPSA_REC_HEADER + elen;

    if (attr != NULL) {
        p[0] = attr->flags;
        p[1] = attr->suid;
        kpsa_put_be64(p + 2, (uint64_t) attr->expires);
        p += KPSA_REC_ATTR_LEN;
    }

    if (sealed_len > 0) {
        memcpy(p, sealed, sealed_len);
    }

    k.mv_data = (void *) kpsa_id;
    k.mv_size = strlen(kpsa_id);
    v.mv_data = buf;
    v.mv_size = (size_t) (p - buf) + sealed_len;

    rc = mdb_put(s->wtxn, s->cred, &k, &v, 0);

    if (rc == 0 && state == KPSA_STATE_LIVE) {
        d = k;
        k.mv_data = (void *) entity;
        k.mv_size = elen;
        rc = mdb_put(s->wtxn, s->entity, &k, &d, MDB_NODUPDATA);
        if (rc == MDB_KEYEXIST) {
            rc = 0;
        }
    }

    OPENSSL_cleanse(buf, sizeof(buf));

    if (rc != 0) {
        kpsa_store_set_error(s, "%s: cannot write (%s)", kpsa_id,
                             mdb_strerror(rc));
        return 0;
    }

    /* last_seq is at least every record's seq: readers check it */
    if (kpsa_meta_last_seq(s, s->wtxn, &last) < 0) {
        return 0;
    }

    if (seq > last) {
        kpsa_put_be64(be, seq);
        return store_meta_put(s, "last_seq", be, sizeof(be));
    }

    return 1;
}

int
kpsa_store_put(kpsa_store *s, const char *kpsa_id, const char *entity,
    const unsigned char *sealed, size_t sealed_len, uint64_t seq)
{
    return kpsa_store_put_attr(s, kpsa_id, entity, sealed, sealed_len, seq,
                               NULL);
}

int
kpsa_store_put_attr(kpsa_store *s, const char *kpsa_id, const char *entity,
    const unsigned char *sealed, size_t sealed_len, uint64_t seq,
    const kpsa_store_attr *attr)
{
    int  stale;

    if (!store_in_txn(s) || !store_valid_ids(s, kpsa_id, entity)) {
        return 0;
    }

    if (attr != NULL && attr->expires < 0) {
        kpsa_store_set_error(s, "%s: expiration before 1970", kpsa_id);
        return 0;
    }

    if (sealed_len <= KPSA_ENVELOPE_OVERHEAD || sealed_len > KPSA_SEALED_MAX
        || sealed[0] != KPSA_ENVELOPE_VERSION)
    {
        kpsa_store_set_error(s, "%s: not a sealed key (%zu bytes, version %u)",
                             kpsa_id, sealed_len,
                             sealed_len > 0 ? sealed[0] : 0);
        return 0;
    }

    if (!store_replace(s, kpsa_id, seq, &stale)) {
        return 0;
    }

    return stale || store_write(s, kpsa_id, entity, sealed, sealed_len, seq,
                                KPSA_STATE_LIVE, attr);
}

int
kpsa_store_revoke(kpsa_store *s, const char *kpsa_id, uint64_t seq)
{
    int  stale;

    if (!store_in_txn(s) || !store_valid_ids(s, kpsa_id, NULL)
        || !store_replace(s, kpsa_id, seq, &stale))
    {
        return 0;
    }

    return stale || store_write(s, kpsa_id, "", NULL, 0, seq,
                                KPSA_STATE_REVOKED, NULL);
}

int
kpsa_store_clear(kpsa_store *s)
{
    int  rc;

    if (!store_in_txn(s)) {
        return 0;
    }

    rc = mdb_drop(s->wtxn, s->cred, 0);
    if (rc == 0) {
        rc = mdb_drop(s->wtxn, s->entity, 0);
    }

    if (rc != 0) {
        kpsa_store_set_error(s, "cannot clear the store (%s)",
                             mdb_strerror(rc));
        return 0;
    }

    return 1;
}

int
kpsa_store_set_meta(kpsa_store *s, uint64_t last_seq, int64_t synced_at,
    const char *source_id)
{
    unsigned char  seq[8], at[8];

    if (!store_in_txn(s)) {
        return 0;
    }

    if (source_id != NULL && strlen(source_id) > KPSA_SOURCE_ID_MAX) {
        kpsa_store_set_error(s, "source id longer than %d bytes",
                             KPSA_SOURCE_ID_MAX);
        return 0;
    }

    kpsa_put_be64(seq, last_seq);
    kpsa_put_be64(at, (uint64_t) synced_at);

    return store_meta_put(s, "last_seq", seq, 8)
           && store_meta_put(s, "synced_at", at, 8)
           && (source_id == NULL
               || store_meta_put(s, "source_id", source_id,
                                 strlen(source_id)));
}

int
kpsa_store_set_kek_check(kpsa_store *s, const unsigned char *check,
    size_t len)
{
    return store_in_txn(s) && store_meta_put(s, "kek_check", check, len);
}

int
kpsa_store_set_sync_mark(kpsa_store *s, const void *mark, size_t len)
{
    if (len > KPSA_SYNC_MARK_MAX) {
        kpsa_store_set_error(s, "sync mark longer than %d bytes",
                             KPSA_SYNC_MARK_MAX);
        return 0;
    }

    return store_in_txn(s) && store_meta_put(s, "sync_mark", mark, len);
}

int
kpsa_store_commit(kpsa_store *s)
{
    int  rc;

    if (!store_in_txn(s)) {
        return 0;
    }

    rc = mdb_txn_commit(s->wtxn);
    s->wtxn = NULL;

    if (rc != 0) {
        kpsa_store_set_error(s, "cannot commit (%s)", mdb_strerror(rc));
        return 0;
    }

    return 1;
}

void
kpsa_store_abort(kpsa_store *s)
{
    if (s != NULL && s->wtxn != NULL) {
        mdb_txn_abort(s->wtxn);
        s->wtxn = NULL;
    }
}
