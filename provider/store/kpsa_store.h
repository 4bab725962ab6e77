/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LMDB credential store ("kpsa-lmdb:<directory>") and the key envelope:
 * pure C over liblmdb and libcrypto, shared by the provider (reader), the
 * key tool and the sync daemon (writers).  docs/lmdb-store.md describes the
 * format, docs/fleet.md the fleet that writes it.
 *
 * Keys never appear in the clear in the store: each is sealed with
 * AES-256-GCM under a 32-byte key-encryption key (KEK), with the KpsaID and
 * the entity as additional data, so a sealed key moved to another KpsaID or
 * entity no longer opens.  The writer library only moves sealed bytes: the
 * sync daemon never needs the KEK.
 *
 * Every function that fails writes a one-line reason into the store's
 * error buffer (kpsa_store_error()); reasons never contain key material.
 */

#ifndef KPSA_STORE_H
#define KPSA_STORE_H

#include <stddef.h>
#include <stdint.h>

#define KPSA_STORE_SCHEME        "kpsa-lmdb"

#define KPSA_KEK_LEN             32
/* version byte, nonce, tag */
#define KPSA_ENVELOPE_VERSION    0x01
#define KPSA_ENVELOPE_NONCE_LEN  12
#define KPSA_ENVELOPE_TAG_LEN    16
#define KPSA_ENVELOPE_OVERHEAD   (1 + KPSA_ENVELOPE_NONCE_LEN \
                                  + KPSA_ENVELOPE_TAG_LEN)
/* = ONEM2M_SAE_MAX_KEY_LEN, ONEM2M_SAE_MAX_ID_LEN */
#define KPSA_MAX_KEY_LEN         512
#define KPSA_MAX_ID_LEN          255
#define KPSA_SEALED_MAX          (KPSA_MAX_KEY_LEN + KPSA_ENVELOPE_OVERHEAD)

/* the record's state byte */
#define KPSA_STATE_LIVE          1
#define KPSA_STATE_REVOKED       2      /* a tombstone: "not found" */

/*
 * A record's attributes (record version 2; a version 1 record has none:
 * flags 0, suid 0, expires 0).  A MAF key (TS-0003 8.8) is a Kc under its
 * Key Identifier "<hex KcID>@<MAF-FQDN>", whose entity is the Source MAF
 * Client ID, with the SUID and expirationTime the MAF gave it.
 */
#define KPSA_FLAG_MAF            0x01
#define KPSA_SUID_MAF_SAEF       32     /* TS-0003 Table 8.8.2.3-1 */

typedef struct {
    int64_t         expires;            /* unix seconds; 0: never */
    unsigned char   suid;               /* 0: none */
    unsigned char   flags;              /* KPSA_FLAG_* */
} kpsa_store_attr;

/* meta "format" */
#define KPSA_STORE_FORMAT        1
#define KPSA_SOURCE_ID_MAX       63

/*- KEK and envelope --------------------------------------------------- */

/*
 * Reads a KEK file: 32 raw bytes, or 64 hex digits and an optional
 * newline.  Refused unless a regular file owned by root (or the euid)
 * without group/other access.  1 ok; 0 with a reason in err.
 */
int  kpsa_kek_load(const char *path, unsigned char kek[KPSA_KEK_LEN],
         char *err, size_t errlen);

/* out must hold key_len + KPSA_ENVELOPE_OVERHEAD bytes; 1 ok, 0 error */
int  kpsa_envelope_seal(const unsigned char kek[KPSA_KEK_LEN],
         const char *kpsa_id, const char *entity, const unsigned char *key,
         size_t key_len, unsigned char *out, size_t *out_len);
/* key must hold sealed_len - KPSA_ENVELOPE_OVERHEAD bytes: 1 ok, 0 bad */
int  kpsa_envelope_open(const unsigned char kek[KPSA_KEK_LEN],
         const char *kpsa_id, const char *entity,
         const unsigned char *sealed, size_t sealed_len, unsigned char *key,
         size_t *key_len);

/*
 * An opener: kpsa_envelope_open() with the cipher fetched and keyed once
 * (a reader's per-lookup cost; the expanded KEK lives as long as the KEK
 * copy the opener keeps, and both are cleansed by kpsa_opener_free()).
 * Safe from several threads: one that finds the keyed context busy opens
 * with a context of its own.  new: NULL when out of memory.
 */
typedef struct kpsa_opener kpsa_opener;
kpsa_opener *kpsa_opener_new(const unsigned char kek[KPSA_KEK_LEN]);
int  kpsa_opener_open(kpsa_opener *o, const char *kpsa_id,
         const char *entity, const unsigned char *sealed, size_t sealed_len,
         unsigned char *key, size_t *key_len);
void kpsa_opener_free(kpsa_opener *o);

/*
 * The KEK check value kept in meta "kek_check" by writers that hold the
 * KEK (onem2m-kpsa): a readers's wrong KEK is refused at open even in a
 * store whose first record it could not know about.  make: 1 ok;
 * verify: 1 matches, 0 does not.
 */
#define KPSA_KEK_CHECK_LEN       (16 + KPSA_ENVELOPE_OVERHEAD)
int  kpsa_kek_check_make(const unsigned char kek[KPSA_KEK_LEN],
         unsigned char out[KPSA_KEK_CHECK_LEN]);
int  kpsa_kek_check_verify(const unsigned char kek[KPSA_KEK_LEN],
         const unsigned char *check, size_t len);

/*
 * Zeroed pages for long-lived key material, kept out of core dumps
 * (MADV_DONTDUMP) and cleansed by free; NULL when the kernel says no.
 */
void *kpsa_keymem_alloc(size_t len);
void kpsa_keymem_free(void *p, size_t len);

/*- the store ---------------------------------------------------------- */

typedef struct kpsa_store kpsa_store;

/*
 * Opens (writable: creates) the LMDB environment in dir.  A reader opens
 * it MDB_RDONLY (the lock file must be writable by it).  NULL with a
 * reason in err.  Never use a store across fork(): open it in the child.
 */
kpsa_store *kpsa_store_open(const char *dir, int writable, char *err,
         size_t errlen);
void kpsa_store_close(kpsa_store *s);
/* the last error, "" if none */
const char *kpsa_store_error(const kpsa_store *s);

/*
 * writers: one write transaction per batch; 1 ok, 0 error.  begin doubles
 * the map first when half of it is used (readers follow, see below);
 * set_map_size sets it outside a transaction (not below what is used).
 */
int  kpsa_store_set_map_size(kpsa_store *s, size_t bytes);
int  kpsa_store_begin(kpsa_store *s);
/*
 * put/revoke validate the KpsaID and the entity as the text table does;
 * a put or revoke with seq <= the stored seq of that KpsaID is ignored
 * (idempotent replay) and returns 1.
 */
int  kpsa_store_put(kpsa_store *s, const char *kpsa_id, const char *entity,
         const unsigned char *sealed, size_t sealed_len, uint64_t seq);
/*
 * put with attributes: a version 2 record (attr NULL or all zero: the
 * version 1 record of kpsa_store_put(), which older readers still read)
 */
int  kpsa_store_put_attr(kpsa_store *s, const char *kpsa_id,
         const char *entity, const unsigned char *sealed, size_t sealed_len,
         uint64_t seq, const kpsa_store_attr *attr);
int  kpsa_store_revoke(kpsa_store *s, const char *kpsa_id, uint64_t seq);
/* full resync, inside the txn: every credential and tombstone goes */
int  kpsa_store_clear(kpsa_store *s);
/* source_id NULL: unchanged */
int  kpsa_store_set_meta(kpsa_store *s, uint64_t last_seq, int64_t synced_at,
         const char *source_id);
int  kpsa_store_set_kek_check(kpsa_store *s, const unsigned char *check,
         size_t len);
/*
 * The sync daemon's continuity mark (meta "sync_mark"): what it needs to
 * tell that its source still continues this store (tools/onem2m-sync/
 * apply.c).  Opaque to the store, at most KPSA_SYNC_MARK_MAX bytes; set
 * inside the write transaction.  get: 1 copied (*len set), 0 none, -1.
 */
#define KPSA_SYNC_MARK_MAX       512
int  kpsa_store_set_sync_mark(kpsa_store *s, const void *mark, size_t len);
int  kpsa_store_get_sync_mark(kpsa_store *s, void *out, size_t *len);
int  kpsa_store_commit(kpsa_store *s);
void kpsa_store_abort(kpsa_store *s);

/* readers and writers (outside a write txn) */
int  kpsa_store_get_meta(kpsa_store *s, uint64_t *last_seq,
         int64_t *synced_at, char *source_id, size_t source_id_len);

/* one credential as read, with its own storage */
typedef struct {
    uint64_t        seq;
    int             state;                  /* KPSA_STATE_* */
    kpsa_store_attr attr;                   /* all zero in a version 1 */
    size_t          kpsa_id_len, entity_len, sealed_len;
    char            kpsa_id[KPSA_MAX_ID_LEN + 1];
    char            entity[KPSA_MAX_ID_LEN + 1];
    unsigned char   sealed[KPSA_SEALED_MAX];
} kpsa_store_rec;

/*
 * Lookups, each in one read transaction (renewed, then reset: a reader
 * sees every commit made before the call).  1 found and live, 0 not found
 * or revoked, -1 store error (fail closed).  A map grown by a writer
 * (MDB_MAP_RESIZED) is followed.
 */
int  kpsa_store_get(kpsa_store *s, const char *kpsa_id, size_t len,
         kpsa_store_rec *rec);
int  kpsa_store_get_entity(kpsa_store *s, const char *entity, size_t len,
         kpsa_store_rec *rec);
/* the live credential after KpsaID "after" (NULL: the first), by KpsaID */
int  kpsa_store_next(kpsa_store *s, const char *after, kpsa_store_rec *rec);
/* raw record of a KpsaID, tombstones included: 1 found, 0 none, -1 error */
int  kpsa_store_get_any(kpsa_store *s, const char *kpsa_id, size_t len,
         kpsa_store_rec *rec);
/* live credentials; -1 on error */
long long kpsa_store_count(kpsa_store *s);
/* KEK check value from meta: 1 copied, 0 none, -1 error */
int  kpsa_store_get_kek_check(kpsa_store *s, unsigned char *out, size_t *len);
/* clears stale reader slots (dead processes); number cleared or -1 */
int  kpsa_store_reader_check(kpsa_store *s);
/* the slots of dead processes kpsa_store_open() cleared (every opener) */
int  kpsa_store_stale_readers(const kpsa_store *s);

/*
 * Whether the store is still the one in dir and whole (readers call it
 * about once a second): data.mdb's dev/inode against the mapped file's,
 * its size against its meta pages.  KPSA_STORE_OK, else a code with a
 * reason in kpsa_store_error(); a store that is not OK is to be closed
 * (and reopened: a replaced store) by its owner.  A read that faulted
 * (SIGBUS/SIGSEGV/SIGFPE under the map) leaves the store DAMAGED: every
 * later read fails (-1) until it is closed.
 */
#define KPSA_STORE_OK        0
#define KPSA_STORE_DAMAGED   1
#define KPSA_STORE_REPLACED  2
#define KPSA_STORE_GONE      3
int  kpsa_store_verify(kpsa_store *s, const char *dir);
/* the mapped data.mdb's device and inode */
void kpsa_store_file_id(const kpsa_store *s, unsigned long long *dev,
         unsigned long long *ino);
/*
 * bytes of the data file up to its last page in use (free pages
 * included: copy-on-write leaves some), and of the B-trees' pages alone
 */
size_t kpsa_store_used_bytes(kpsa_store *s);
size_t kpsa_store_tree_bytes(kpsa_store *s);

/* wipes a record's sealed bytes */
void kpsa_store_rec_cleanse(kpsa_store_rec *rec);

#endif /* KPSA_STORE_H */
