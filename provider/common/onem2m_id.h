/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oneM2M identifiers and host names: ONE grammar, shared by the provider
 * (table parser), the TLS hook library (certificate identities) and the
 * nginx module (X-M2M-Origin checks, directives).  Pure C: no nginx, no
 * OpenSSL, so that it is unit-tested and fuzzed on its own.
 *
 * Identifier forms (TS-0001 Table 7.2-1, TS-0004 6.2.3):
 *
 *   C<x>, S<x>                   AE-ID-Stem (CSE-relative AE-ID)
 *   /<CSE-ID>                    SP-relative CSE-ID
 *   /<CSE-ID>/C<x>               SP-relative AE-ID (C-stem)
 *   /S<x>                        SP-relative AE-ID (S-stem): written like
 *                                a CSE-ID starting with "S" (ambiguous)
 *   //<SP-ID>/<CSE-ID>           absolute CSE-ID
 *   //<SP-ID>/<CSE-ID>/C<x>      absolute AE-ID (C-stem)
 *   //<SP-ID>/S<x>               absolute AE-ID (S-stem), ambiguous alike
 *
 * CSE-IDs and stems are unreserved URI characters (RFC 3986: letters,
 * digits, "-", ".", "_", "~"); the SP-ID is a host name (below), with or
 * without its final dot.  Anything else ("in-cse-8", "/in-cse-8#",
 * "in-cse-8;x", a fourth segment, an empty one) is no identifier.
 */

#ifndef ONEM2M_ID_H
#define ONEM2M_ID_H

#include <stddef.h>

/* the longest identifier (= ONEM2M_SAE_MAX_ID_LEN) */
#define ONEM2M_ID_MAX_LEN          255

/*
 * What follows "malformed entity id ..." in every message about an entity
 * (table, key tool, LMDB store): the rule, with an example of each kind.
 */
#define ONEM2M_ID_ENTITY_EXPECTED \
    "(expected an AE-ID, whose stem starts with C or S as in Clock-AE1, or " \
    "a CSE-ID, which starts with / as in /in-cse-7)"

/* what an identifier is (= ONEM2M_SAE_ENTITY_AE, _CSE) */
#define ONEM2M_ID_AE               1
#define ONEM2M_ID_CSE              2

/* how it is written */
#define ONEM2M_ID_FORM_STEM        1        /* "C<x>", "S<x>" */
#define ONEM2M_ID_FORM_SP_RELATIVE 2        /* "/..." */
#define ONEM2M_ID_FORM_ABSOLUTE    3        /* "//<SP-ID>/..." */

typedef struct {
    int          type;          /* ONEM2M_ID_AE or ONEM2M_ID_CSE */
    int          form;          /* ONEM2M_ID_FORM_* */
    /*
     * "/S<x>" and "//<SP-ID>/S<x>": an S-stem AE-ID (type AE) that reads
     * as a CSE-ID starting with "S" as well
     */
    int          ambiguous;
    const char  *sp_id;         /* absolute form: without "//", as written */
    size_t       sp_id_len;     /* (a final dot included) */
    const char  *cse_id;        /* without "/"; NULL for S-stem forms */
    size_t       cse_id_len;
    const char  *stem;          /* AE-IDs: the AE-ID-Stem */
    size_t       stem_len;
} onem2m_id;

/*
 * Parses id (len bytes, no NUL needed) into *out (may be NULL): the type,
 * ONEM2M_ID_AE or ONEM2M_ID_CSE, or 0 when id is no identifier.
 */
int onem2m_id_parse(const char *id, size_t len, onem2m_id *out);

/* a CSE-ID or stem segment: 1 or more unreserved URI characters */
int onem2m_id_segment_valid(const char *s, size_t len);

/* an AE-ID-Stem: "C" or "S" followed by a segment */
int onem2m_id_stem_valid(const char *s, size_t len);

/*
 * A host name (RFC 1123 2.1, RFC 1035 2.3.4): 1 to 253 bytes of labels of
 * 1 to 63 letters, digits and inner "-", separated by single dots; the
 * last label not all digits (that would be an IPv4 address).  With
 * ONEM2M_HOST_FINAL_DOT, one final dot (a fully qualified name) is
 * allowed too, not counted in the 253 bytes.
 */
#define ONEM2M_HOST_FINAL_DOT      1
/*
 * With ONEM2M_HOST_NUMERIC_LAST, the last label may be all digits: the
 * FQDN of a KpsaID, which tables have always accepted so ("a@9").
 */
#define ONEM2M_HOST_NUMERIC_LAST   2

int onem2m_host_name_valid(const char *s, size_t len, int flags);

/*
 * A KpsaID (TS-0003 10.5): "<relative>@<FQDN>", the relative part
 * letters, digits, ".", "_" and "-", the FQDN a host name (its last label
 * may be all digits); at most ONEM2M_ID_MAX_LEN bytes.
 */
int onem2m_kpsa_id_valid(const char *id, size_t len);

#endif /* ONEM2M_ID_H */
