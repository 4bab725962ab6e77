/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Table URIs, one rule for the provider, the key tool and the nginx
 * module (pure C, like the rest of provider/common/):
 *
 *   <path>                   a text table (no scheme)
 *   kpsa:<path>              a text table
 *   kpsa-lmdb:<directory>    an LMDB store
 *
 * Schemes are case-insensitive.  After a scheme, "//" starts an authority
 * as in file: URIs (RFC 8089): only an empty one is taken, so
 * "kpsa:///etc/kpsa.table" is "/etc/kpsa.table", and a host part
 * ("kpsa://host/etc/kpsa.table", "kpsa-lmdb://host/dir") is malformed for
 * both schemes: a table is always a local file.  An empty path is
 * malformed too.
 */

#ifndef ONEM2M_URI_H
#define ONEM2M_URI_H

#include <stddef.h>

/* the public names of onem2m_sae.h (tests/id checks that they agree) */
#define ONEM2M_URI_KPSA_SCHEME   "kpsa"
#define ONEM2M_URI_LMDB_SCHEME   "kpsa-lmdb"

#define ONEM2M_URI_PATH   0         /* no scheme: a plain path */
#define ONEM2M_URI_KPSA   1         /* "kpsa:" */
#define ONEM2M_URI_LMDB   2         /* "kpsa-lmdb:" */

/*
 * The scheme of the len bytes at s (no NUL needed); *prefix gets the
 * length of "<scheme>:", 0 for a plain path.
 */
int onem2m_uri_scheme(const char *s, size_t len, size_t *prefix);

/*
 * The path of a NUL-terminated uri (a pointer into it), NULL when uri is
 * NULL or malformed; *scheme gets its scheme either way.
 */
const char *onem2m_uri_path(const char *uri, int *scheme);

#endif /* ONEM2M_URI_H */
