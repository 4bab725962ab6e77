/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target of the front end's MAF Key Identifier parsing
 * (provider/common/onem2m_keyid.c; build and run: "make fuzz"): the file
 * the nginx module compiles to tell a configured MAF's key from a KpsaID
 * and a well-formed KcID from a malformed one.  Pure C.
 *
 * Besides the sanitizers, each answer is checked against what the parser
 * promises: the parts are inside the input and put back together (with
 * the "@") give it again, the FQDN holds no "@", a well-formed KcID is 32
 * hex digits, every code has a reason, and the Credential-ID of a
 * well-formed one is "12-" and the input in lower case.
 */

#include <stdint.h>
#include <string.h>

#include "common/onem2m_keyid.h"
#include "common/onem2m_text.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char    *s = (const char *) data;
    onem2m_keyid   k;
    char           cred[ONEM2M_KEYID_CRED_MAX];
    size_t         n, i;
    int            rc;

    rc = onem2m_keyid_parse(s, size, &k);

    check(rc >= ONEM2M_KEYID_OK && rc <= ONEM2M_KEYID_LENGTH);
    check(onem2m_keyid_reason(rc) != NULL);

    if (rc == ONEM2M_KEYID_NO_AT) {
        check(memchr(s, '@', size) == NULL);
        check(k.hex == NULL && k.fqdn == NULL);
        return 0;
    }

    check(k.hex == s);
    check(k.hex_len + 1 + k.fqdn_len == size);
    check(k.fqdn == s + k.hex_len + 1 && s[k.hex_len] == '@');
    check(memchr(k.fqdn, '@', k.fqdn_len) == NULL);

    if (rc == ONEM2M_KEYID_BAD_FQDN) {
        return 0;
    }

    check(k.fqdn_len > 0);

    if (rc != ONEM2M_KEYID_BAD_HEX) {
        check(onem2m_text_all_hex(k.hex, k.hex_len));
    }

    if (rc == ONEM2M_KEYID_ODD) {
        check(k.hex_len % 2 == 1);
    }

    if (rc != ONEM2M_KEYID_OK) {
        return 0;
    }

    check(k.hex_len == ONEM2M_KEYID_HEX_LEN);

    n = onem2m_keyid_credential_id(&k, cred, sizeof(cred));
    check(n == 3 + size && cred[n] == '\0');
    check(memcmp(cred, "12-", 3) == 0);

    for (i = 0; i < size; i++) {
        check((unsigned char) cred[3 + i]
              == onem2m_text_lower((unsigned char) s[i]));
    }

    /* too small a buffer: nothing, never a cut Credential-ID */
    check(onem2m_keyid_credential_id(&k, cred, n) == 0);

    return 0;
}
