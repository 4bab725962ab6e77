/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table API over both backends, internal to the provider: routing a
 * URI to the text table ("kpsa:<path>", table_open.c) or to an LMDB store
 * ("kpsa-lmdb:<directory>", lmdb_table.c), references through the head,
 * and the text table's get / get_entity / child_init / info.
 */

#ifndef ONEM2M_TABLE_ANY_H
#define ONEM2M_TABLE_ANY_H

#include "table.h"

/*
 * Opens uri: an LMDB store with kek_file (NULL: refused, unless
 * keyless_ok, for listings that show no key), else a text table, which
 * takes no kek_file.  Errors go to diag as onem2m_table_open()'s do.
 */
ONEM2M_SAE_TABLE *onem2m_table_open_any(const char *uri, const char *kek_file,
    int keyless_ok, ONEM2M_SAE_DIAG_CB diag, void *diag_arg);
/* the path of either kind of URI (or a plain path), NULL if malformed */
const char *onem2m_any_uri_path(const char *uri);
int onem2m_any_up_ref(ONEM2M_SAE_TABLE *t);
void onem2m_any_free(ONEM2M_SAE_TABLE *t);
int onem2m_table_is_lmdb(const ONEM2M_SAE_TABLE *t);
/*
 * The KEK file of OSSL_STORE listings ("openssl storeutl"): the
 * environment's ONEM2M_KEK_FILE (not for setuid programs), or NULL:
 * listed without keys
 */
const char *onem2m_env_kek_file(void);

/* sets the text table's head (table_index.c calls it once per table) */
void onem2m_text_head_init(ONEM2M_SAE_TABLE_HEAD *head);

/* a copy of an entry with its own storage; freed (cleansed) below */
ONEM2M_SAE_LOOKUP *onem2m_lookup_dup(const ONEM2M_SAE_ENTRY *e);
void onem2m_lookup_free(ONEM2M_SAE_LOOKUP *l);

/*- the LMDB backend (lmdb_table.c) ------------------------------------ */

/* uri_path, open, free, next: internal/onem2m_table.h */

int onem2m_lmdb_up_ref(ONEM2M_SAE_TABLE *t);
int onem2m_lmdb_has_kek(const ONEM2M_SAE_TABLE *t);
/* the canonical directory */
const char *onem2m_lmdb_dir(const ONEM2M_SAE_TABLE *t);

#endif /* ONEM2M_TABLE_ANY_H */
