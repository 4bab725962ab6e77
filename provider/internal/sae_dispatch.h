/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PRIVATE: the contract between the "onem2m" provider and its client
 * library (provider/api/sae_table.c).  Not for servers: they use
 * onem2m_sae.h only.  It lives in provider/internal/, which both sides
 * include and neither owns, so that the provider never reaches into the
 * library's folder nor the library into the provider's.
 *
 * The provider's dispatch table (OSSL_PROVIDER_get0_dispatch()) carries
 * the private function ids ONEM2M_SAE_FUNC_TABLE_* below.  The client
 * calls TABLE_OPEN through it, and TABLE_FREE for a table it refuses.
 *
 * Every table starts with an ONEM2M_SAE_TABLE_HEAD holding its lookup
 * functions, so that a lookup during a handshake is one indirect call on
 * the table itself: it reads no global state, and in a text table takes
 * no lock and allocates nothing (a live store's get fills the caller's
 * ONEM2M_SAE_LOOKUP).  A table is used only through its own head, never
 * through the functions of the provider instance a caller happens to
 * hold.
 *
 * Opening is different, on purpose: text tables are shared through one
 * process-wide cache (provider/src/table_cache.c), so that a file version
 * is parsed and held once per process however many library contexts load
 * the provider (nginx loads it through the library, "openssl.cnf" may load
 * it again: a 1M-entry table twice would double its memory).  A parsed
 * table never changes and is freed by reference count, so instances that
 * share it cannot see each other's state; the cache's lock is taken when
 * a table is opened or freed, never during a lookup.
 */

#ifndef ONEM2M_SAE_DISPATCH_H
#define ONEM2M_SAE_DISPATCH_H

#include <stddef.h>
#include <openssl/core.h>
#include "onem2m_sae.h"

/* private function ids in the provider's dispatch table */
#define ONEM2M_SAE_FUNC_TABLE_OPEN  0x6d32d001
#define ONEM2M_SAE_FUNC_TABLE_FREE  0x6d32d002
#define ONEM2M_SAE_FUNC_TABLE_OPEN_EX 0x6d32d003

/* ONEM2M_SAE_FUNC_TABLE_OPEN: uri is "kpsa:<path>" or a plain path */
typedef ONEM2M_SAE_TABLE *(ONEM2M_SAE_table_open_fn)(void *provctx,
    const char *uri, ONEM2M_SAE_DIAG_CB diag, void *diag_arg);

/*
 * ONEM2M_SAE_FUNC_TABLE_OPEN_EX: uri is also "kpsa-lmdb:<directory>",
 * which needs kek_file; a text table takes none (NULL)
 */
typedef ONEM2M_SAE_TABLE *(ONEM2M_SAE_table_open_ex_fn)(void *provctx,
    const char *uri, const char *kek_file, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg);

/* ONEM2M_SAE_FUNC_TABLE_FREE: drops one reference */
typedef void (ONEM2M_SAE_table_free_fn)(ONEM2M_SAE_TABLE *table);

/* the head's lookup (by KpsaID) and find_entity (by AE-ID / CSE-ID) */
typedef const ONEM2M_SAE_ENTRY *(ONEM2M_SAE_table_lookup_fn)(
    const ONEM2M_SAE_TABLE *table, const char *name, size_t len);

/* the head's count */
typedef size_t (ONEM2M_SAE_table_count_fn)(const ONEM2M_SAE_TABLE *table);

/* the head's get (by KpsaID) and get_entity: 1 found, 0 not, -1 error */
typedef int (ONEM2M_SAE_table_get_fn)(const ONEM2M_SAE_TABLE *table,
    const char *name, size_t len, ONEM2M_SAE_LOOKUP *out);

/* the head's child_init (after fork) and info */
typedef int (ONEM2M_SAE_table_child_init_fn)(ONEM2M_SAE_TABLE *table);
typedef int (ONEM2M_SAE_table_info_fn)(const ONEM2M_SAE_TABLE *table,
    ONEM2M_SAE_TABLE_INFO *info);

/*
 * Bump on any change to the head or to the signatures above: a client
 * rejects a table whose magic is not the one it was compiled with, so a
 * stale onem2m.so (an openssl.cnf pointing at an older install) fails
 * loudly instead of being called blindly.  The unversioned first
 * release wrote "m2mT" (0x6d326d54).  Version 2 added get, get_entity,
 * child_init and info (live LMDB stores); version 3 grew the info
 * structure (the store in use, why it cannot be used); version 4 grew
 * ONEM2M_SAE_LOOKUP (expiration, SUID, MAF key), which get fills.
 */
#define ONEM2M_SAE_TABLE_ABI_VERSION 4
#define ONEM2M_SAE_TABLE_MAGIC (0x6d326d00u | ONEM2M_SAE_TABLE_ABI_VERSION)

typedef struct {
    unsigned int                  magic;        /* "m2m", ABI version */
    ONEM2M_SAE_table_lookup_fn   *lookup;       /* by KpsaID */
    ONEM2M_SAE_table_lookup_fn   *find_entity;  /* by AE-ID / CSE-ID */
    ONEM2M_SAE_table_count_fn    *count;
    ONEM2M_SAE_table_free_fn     *free;
    ONEM2M_SAE_table_get_fn      *get;          /* by KpsaID */
    ONEM2M_SAE_table_get_fn      *get_entity;   /* by AE-ID / CSE-ID */
    ONEM2M_SAE_table_child_init_fn *child_init;
    ONEM2M_SAE_table_info_fn     *info;
} ONEM2M_SAE_TABLE_HEAD;

#endif /* ONEM2M_SAE_DISPATCH_H */
