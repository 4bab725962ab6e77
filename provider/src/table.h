/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The psk-lookup-table: parser, hash indexes and the process-wide cache of
 * parsed tables.  Internal to the provider; the files behind it are listed
 * in table_int.h and docs/provider-internals.md.
 */

#ifndef ONEM2M_TABLE_H
#define ONEM2M_TABLE_H

#include <stddef.h>
#include "internal/sae_dispatch.h"
#include "common/onem2m_id.h"

/* longest accepted line, without its line break */
#define ONEM2M_TABLE_MAX_LINE        2048
/* errors (and warnings) reported one by one before a summary line */
#define ONEM2M_TABLE_MAX_REPORTS     20

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
int onem2m_table_up_ref(ONEM2M_SAE_TABLE *table);
void onem2m_table_free(ONEM2M_SAE_TABLE *table);

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

#endif /* ONEM2M_TABLE_H */
