/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target of the one oneM2M identifier grammar and host-name rule
 * (provider/common/onem2m_id.c; build and run: "make fuzz").  Pure C: no
 * OpenSSL, no nginx, the very file the provider, the hook library and the
 * module compile.
 *
 * The first byte picks host-name flags, the rest is the input.  Besides
 * the sanitizers, each answer is checked against what the grammar
 * promises: the parts of an identifier are inside it and put back
 * together give it again, a host name has only host-name bytes, a KpsaID
 * has a valid FQDN after its one "@"; a broken promise aborts.
 *
 * The same input goes through the shared text rules the grammar uses
 * (provider/common/onem2m_text.c): the log sanitiser's output is one
 * printable quoted string that decodes back to the input (or its first
 * bytes and the real length), and the UTF-8 and plain-ASCII checks agree.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/onem2m_id.h"
#include "common/onem2m_text.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int
inside(const char *part, size_t len, const char *s, size_t n)
{
    return part >= s && len <= n && part + len <= s + n;
}


static void
check_id(const char *s, size_t n)
{
    onem2m_id  id;
    char       back[3 * ONEM2M_ID_MAX_LEN + 8];
    int        type, k;

    type = onem2m_id_parse(s, n, &id);

    check(type == id.type);
    check(type == 0 || type == ONEM2M_ID_AE || type == ONEM2M_ID_CSE);

    if (type == 0) {
        check(id.form == 0 && id.stem == NULL && id.cse_id == NULL
              && id.sp_id == NULL);
        return;
    }

    check(n <= ONEM2M_ID_MAX_LEN);
    check(id.stem == NULL || inside(id.stem, id.stem_len, s, n));
    check(id.cse_id == NULL || inside(id.cse_id, id.cse_id_len, s, n));
    check(id.sp_id == NULL || inside(id.sp_id, id.sp_id_len, s, n));

    /* an AE has a stem, a CSE a CSE-ID and no stem */
    check(type != ONEM2M_ID_AE
          || onem2m_id_stem_valid(id.stem, id.stem_len));
    check(type != ONEM2M_ID_CSE
          || (id.stem == NULL
              && onem2m_id_segment_valid(id.cse_id, id.cse_id_len)));
    check(!id.ambiguous || (type == ONEM2M_ID_AE && id.cse_id == NULL
                            && id.stem[0] == 'S'));
    check((id.form == ONEM2M_ID_FORM_ABSOLUTE) == (id.sp_id != NULL));
    check(id.sp_id == NULL
          || onem2m_host_name_valid(id.sp_id, id.sp_id_len,
                                    ONEM2M_HOST_FINAL_DOT));

    /* the parts put back together are the identifier */
    switch (id.form) {

    case ONEM2M_ID_FORM_STEM:
        k = snprintf(back, sizeof(back), "%.*s", (int) id.stem_len, id.stem);
        break;

    case ONEM2M_ID_FORM_SP_RELATIVE:
    case ONEM2M_ID_FORM_ABSOLUTE:
        k = snprintf(back, sizeof(back), "%s%.*s%s%.*s%s%.*s",
                     id.sp_id ? "//" : "",
                     (int) id.sp_id_len, id.sp_id ? id.sp_id : "",
                     id.sp_id ? "/" : "/",
                     (int) id.cse_id_len, id.cse_id ? id.cse_id : "",
                     (id.cse_id && id.stem) ? "/" : "",
                     (int) id.stem_len, id.stem ? id.stem : "");
        break;

    default:
        k = -1;
        check(0);
    }

    check(k >= 0 && (size_t) k == n && memcmp(back, s, n) == 0);
}


static void
check_host(const char *s, size_t n, int flags)
{
    size_t  i;

    if (!onem2m_host_name_valid(s, n, flags)) {
        return;
    }

    check(n > 0 && n <= 254);
    check(s[0] != '.' && s[0] != '-');

    for (i = 0; i < n; i++) {
        unsigned char  c = s[i];

        check(onem2m_text_is_alnum(c) || c == '-' || c == '.');
        check(c != '.' || i + 1 == n || s[i + 1] != '.');
    }

    check(s[n - 1] != '.' || (flags & ONEM2M_HOST_FINAL_DOT));
}


static void
check_kpsa_id(const char *s, size_t n)
{
    const char  *at;

    if (!onem2m_kpsa_id_valid(s, n)) {
        return;
    }

    at = memchr(s, '@', n);
    check(at != NULL && at > s);
    check(memchr(at + 1, '@', n - (at + 1 - s)) == NULL);
    check(onem2m_host_name_valid(at + 1, n - (at + 1 - s),
                                 ONEM2M_HOST_NUMERIC_LAST));
}


/* the bytes of a quoted string decode back to src: their count */
static size_t
decode_quoted(const char *q, const unsigned char *src, size_t n)
{
    size_t  i = 0;

    for (; *q != '"'; i++) {
        check(i < n);

        if (*q == '\\') {
            check(q[1] == 'x' && onem2m_text_hex_value(q[2]) >= 0
                  && onem2m_text_hex_value(q[3]) >= 0);
            check((onem2m_text_hex_value(q[2]) << 4
                   | onem2m_text_hex_value(q[3])) == src[i]);
            q += 4;

        } else {
            check((unsigned char) *q == src[i]);
            q++;
        }
    }

    check(strcmp(q, "\"") == 0 || strncmp(q, "\"... (", 6) == 0);

    return i;
}


static void
check_text(const char *s, size_t n, size_t max)
{
    char    out[ONEM2M_TEXT_LOG_SIZE(64)];
    size_t  len, i, p;

    len = onem2m_text_log_quote(out, sizeof(out), s, n, max);

    check(len < sizeof(out) && strlen(out) == len && out[0] == '"');

    for (i = 0; i < len; i++) {
        check(onem2m_text_is_printable((unsigned char) out[i]));
    }

    check(decode_quoted(out + 1, (const unsigned char *) s, n)
          == (n < max ? n : max));

    p = onem2m_text_utf8_prefix(s, n);
    check(p <= n && onem2m_text_utf8_prefix(s, p) == p);
    check(!onem2m_text_plain_ascii(s, n)
          || (p == n && memchr(s, 0, n) == NULL));
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char  *s;
    size_t       n;
    int          flags;

    if (size == 0) {
        return 0;
    }

    flags = data[0] & (ONEM2M_HOST_FINAL_DOT | ONEM2M_HOST_NUMERIC_LAST);
    s = (const char *) data + 1;
    n = size - 1;

    check_id(s, n);
    check_host(s, n, flags);
    check_kpsa_id(s, n);
    check_text(s, n, data[0] % 65);

    return 0;
}
