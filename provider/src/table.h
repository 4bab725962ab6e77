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
#include "internal/onem2m_table.h"

/* longest accepted line, without its line break */
#define ONEM2M_TABLE_MAX_LINE        2048
/* errors (and warnings) reported one by one before a summary line */
#define ONEM2M_TABLE_MAX_REPORTS     20

/*
 * open, parse, free, lookups, enumeration, onem2m_table_uri_path() and
 * onem2m_entity_type(): internal/onem2m_table.h, which onem2m-kpsa uses
 * too
 */
int onem2m_table_up_ref(ONEM2M_SAE_TABLE *table);

#endif /* ONEM2M_TABLE_H */
