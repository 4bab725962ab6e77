/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MAF Key Identifiers (onem2m_keyid.h).
 */

#include <string.h>

#include "onem2m_id.h"
#include "onem2m_keyid.h"
#include "onem2m_text.h"


int
onem2m_keyid_parse(const char *s, size_t len, onem2m_keyid *out)
{
    size_t  at, i;

    memset(out, 0, sizeof(*out));

    for (at = len; at > 0 && s[at - 1] != '@'; at--) {
        /* void */
    }

    if (at == 0) {
        return ONEM2M_KEYID_NO_AT;
    }

    out->hex = s;
    out->hex_len = at - 1;
    out->fqdn = s + at;
    out->fqdn_len = len - at;

    if (!onem2m_host_name_valid(out->fqdn, out->fqdn_len, 0)) {
        return ONEM2M_KEYID_BAD_FQDN;
    }

    for (i = 0; i < out->hex_len; i++) {
        if (onem2m_text_hex_value((unsigned char) s[i]) < 0) {
            return ONEM2M_KEYID_BAD_HEX;
        }
    }

    if (out->hex_len % 2 != 0) {
        return ONEM2M_KEYID_ODD;
    }

    return out->hex_len == ONEM2M_KEYID_HEX_LEN ? ONEM2M_KEYID_OK
                                                : ONEM2M_KEYID_LENGTH;
}


const char *
onem2m_keyid_reason(int rc)
{
    switch (rc) {
    case ONEM2M_KEYID_OK:
        return "well formed";
    case ONEM2M_KEYID_NO_AT:
        return "no \"@\" before a MAF-FQDN";
    case ONEM2M_KEYID_BAD_FQDN:
        return "the part after \"@\" is not a host name";
    case ONEM2M_KEYID_BAD_HEX:
        return "the KcID part has a byte that is no hex digit";
    case ONEM2M_KEYID_ODD:
        return "the KcID part has an odd number of hex digits";
    case ONEM2M_KEYID_LENGTH:
        return "the KcID part is not 32 hex digits (16 bytes)";
    }

    return "malformed";
}


size_t
onem2m_keyid_credential_id(const onem2m_keyid *k, char *out, size_t size)
{
    size_t  n, i;

    n = 3 + k->hex_len + 1 + k->fqdn_len;

    if (n + 1 > size) {
        return 0;
    }

    memcpy(out, "12-", 3);

    for (i = 0; i < k->hex_len; i++) {
        out[3 + i] = (char) onem2m_text_lower((unsigned char) k->hex[i]);
    }

    out[3 + k->hex_len] = '@';

    for (i = 0; i < k->fqdn_len; i++) {
        out[4 + k->hex_len + i] =
            (char) onem2m_text_lower((unsigned char) k->fqdn[i]);
    }

    out[n] = '\0';

    return n;
}
