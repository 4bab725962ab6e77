/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A MAF Key Identifier, "<hexBinary(KcID)>@<MAF-FQDN>" (TS-0003 10.3.5),
 * the psk_identity an Entity A sends to the Target MAF Client (8.2.2.3).
 * Shared by the nginx module (is it a configured MAF's key, is it well
 * formed), the key tool (add --maf) and the fuzz target.  Pure C.
 */

#ifndef ONEM2M_KEYID_H
#define ONEM2M_KEYID_H

#include <stddef.h>

/* KcID: the 16 most significant bytes of the exporter output (10.3.5) */
#define ONEM2M_KEYID_KCID_LEN      16
#define ONEM2M_KEYID_HEX_LEN       (2 * ONEM2M_KEYID_KCID_LEN)

#define ONEM2M_KEYID_OK            0
#define ONEM2M_KEYID_NO_AT         1   /* no "@": not a Key Identifier */
#define ONEM2M_KEYID_BAD_FQDN      2
#define ONEM2M_KEYID_BAD_HEX       3   /* a byte that is no hex digit */
#define ONEM2M_KEYID_ODD           4   /* an odd number of hex digits */
#define ONEM2M_KEYID_LENGTH        5   /* not 32 hex digits */

typedef struct {
    const char  *hex;                  /* into the input */
    size_t       hex_len;
    const char  *fqdn;                 /* into the input */
    size_t       fqdn_len;
} onem2m_keyid;

/*
 * Splits s at its last "@" (an FQDN has none): out is set whenever there
 * is one (the caller compares the FQDN with its MAFs before it cares why
 * the hex part is wrong).  ONEM2M_KEYID_*.
 */
int onem2m_keyid_parse(const char *s, size_t len, onem2m_keyid *out);

/* the reason of a ONEM2M_KEYID_* code, for logs and messages */
const char *onem2m_keyid_reason(int rc);

/*
 * The Credential-ID of a well-formed Key Identifier (TS-0003 10.4, type
 * 12, symmetric key): "12-" the hex in lower case "@" the FQDN in lower
 * case, NUL-terminated.  Its length, or 0 when out is too small.
 */
#define ONEM2M_KEYID_CRED_MAX      (3 + ONEM2M_KEYID_HEX_LEN + 1 + 255 + 1)
size_t onem2m_keyid_credential_id(const onem2m_keyid *k, char *out,
    size_t size);

#endif /* ONEM2M_KEYID_H */
