/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The provider's table code for programs other than the provider:
 * onem2m-kpsa links it as libonem2m_table.a, the fuzz target compiles the
 * same sources.  One set of rules: the tool checks every table it writes
 * with the provider's own parser, and "check" opens a file as nginx -t
 * does.  What is declared here is all a program may call; the rest of
 * provider/src stays internal to the provider (table.h, table_any.h).
 */

#ifndef ONEM2M_INTERNAL_TABLE_H
#define ONEM2M_INTERNAL_TABLE_H

#include <stddef.h>

#include "onem2m_sae.h"
#include "common/onem2m_id.h"

/*
 * Opens uri ("kpsa:<path>", "kpsa://<absolute path>" or a plain path),
 * sharing the parsed copy of an unchanged file.  NULL on any error; every
 * error and warning goes to diag (may be NULL).
 */
ONEM2M_SAE_TABLE *onem2m_table_open(const char *uri, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg);
/*
 * Parses a table held in memory: what onem2m_table_open() does with the
 * contents of a file.  name labels the messages.  The table is not cached
 * (nothing identifies its version); free it with onem2m_table_free().
 */
ONEM2M_SAE_TABLE *onem2m_table_parse(const char *name,
    const unsigned char *buf, size_t len, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg);
void onem2m_table_free(ONEM2M_SAE_TABLE *table);

/*
 * The entries returned are views of the calling thread's, one per
 * function, valid until its next call of the same function (the strings
 * and key they point to: until the table is freed).  Enumerating with
 * onem2m_table_entry() in order costs one step per entry.
 */
const ONEM2M_SAE_ENTRY *onem2m_table_lookup(const ONEM2M_SAE_TABLE *table,
    const char *kpsa_id, size_t len);
const ONEM2M_SAE_ENTRY *onem2m_table_find_entity(
    const ONEM2M_SAE_TABLE *table, const char *entity, size_t len);
size_t onem2m_table_count(const ONEM2M_SAE_TABLE *table);
/* entries in file order, for enumeration; NULL past the end */
const ONEM2M_SAE_ENTRY *onem2m_table_entry(const ONEM2M_SAE_TABLE *table,
    size_t i);

/* the path part of a "kpsa:" URI (or the plain path), NULL if malformed */
const char *onem2m_table_uri_path(const char *uri);

/* ONEM2M_SAE_ENTITY_AE or _CSE for a well-formed entity id, else 0 */
int onem2m_entity_type(const char *id, size_t len);
/* onem2m_kpsa_id_valid(): common/onem2m_id.h */

/*- a kpsa-lmdb: store, read through the provider's backend ----------- */

/* the directory of a "kpsa-lmdb:" URI; NULL if uri is not one */
const char *onem2m_lmdb_uri_path(const char *uri);
/* kek_file NULL: keyless (entries carry a key length, key NULL) */
ONEM2M_SAE_TABLE *onem2m_lmdb_open(const char *dir, const char *kek_file,
    ONEM2M_SAE_DIAG_CB diag, void *diag_arg);
void onem2m_lmdb_free(ONEM2M_SAE_TABLE *t);
/* the live credential after KpsaID after (NULL: first): 1, 0 end, -1 */
int onem2m_lmdb_next(const ONEM2M_SAE_TABLE *t, const char *after,
    ONEM2M_SAE_LOOKUP *out);

#endif /* ONEM2M_INTERNAL_TABLE_H */
