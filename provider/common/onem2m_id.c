/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oneM2M identifiers and host names: the one grammar (see onem2m_id.h).
 * Pure C on purpose: the provider, the hook library and the nginx module
 * compile this very file, and tests/id and tools/fuzz/fuzz_id.c exercise
 * it without any of them.
 */

#include <string.h>

#include "onem2m_id.h"
#include "onem2m_text.h"

#define HOST_MAX_LEN    253
#define LABEL_MAX_LEN   63


/* unreserved URI characters (RFC 3986 2.3), the alphabet of oneM2M ids */
int
onem2m_id_segment_valid(const char *s, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        unsigned char  c = s[i];

        if (!onem2m_text_is_alnum(c) && c != '-' && c != '.' && c != '_' && c != '~') {
            return 0;
        }
    }

    return 1;
}


int
onem2m_id_stem_valid(const char *s, size_t len)
{
    return len >= 2 && (s[0] == 'C' || s[0] == 'S')
           && onem2m_id_segment_valid(s + 1, len - 1);
}


int
onem2m_host_name_valid(const char *s, size_t len, int flags)
{
    size_t  i, label, digits;

    if ((flags & ONEM2M_HOST_FINAL_DOT) && len > 1 && s[len - 1] == '.') {
        len--;
    }

    if (len == 0 || len > HOST_MAX_LEN) {
        return 0;
    }

    label = 0;
    digits = 0;

    for (i = 0; i <= len; i++) {
        unsigned char  c = (i < len) ? (unsigned char) s[i] : '.';

        if (c == '.') {
            /* no empty label, none over 63 bytes, none ending in "-" */
            if (label == 0 || label > LABEL_MAX_LEN || s[i - 1] == '-') {
                return 0;
            }

            if (i == len && digits == label
                && !(flags & ONEM2M_HOST_NUMERIC_LAST))
            {
                return 0;               /* an IPv4 address */
            }

            label = 0;
            digits = 0;
            continue;
        }

        if (c >= '0' && c <= '9') {
            digits++;

        } else if (!(onem2m_text_is_alnum(c) || (c == '-' && label > 0))) {
            return 0;
        }

        label++;
    }

    return 1;
}


/* the "/"-separated segments from p to end: how many, 0 for over 3 */
static size_t
id_segments(const char *p, const char *end, const char *seg[3],
    size_t seglen[3])
{
    const char  *slash;
    size_t       n;

    for (n = 0; n < 3; n++) {
        slash = memchr(p, '/', end - p);
        seg[n] = p;
        seglen[n] = (slash != NULL ? slash : end) - p;

        if (slash == NULL) {
            return n + 1;
        }

        p = slash + 1;
    }

    return 0;
}


/*
 * The SP-relative part, n segments: "<CSE-ID>", "S<x>" or
 * "<CSE-ID>/C<x>".  The type, or 0.
 */
static int
id_parse_relative(const char *const *seg, const size_t *seglen, size_t n,
    onem2m_id *out)
{
    if (n > 2 || !onem2m_id_segment_valid(seg[0], seglen[0])) {
        return 0;
    }

    if (n == 1) {
        /* "<CSE-ID>", or "S<x>": an S-stem AE-ID written the same way */

        if (onem2m_id_stem_valid(seg[0], seglen[0]) && seg[0][0] == 'S') {
            out->type = ONEM2M_ID_AE;
            out->ambiguous = 1;
            out->stem = seg[0];
            out->stem_len = seglen[0];
            return out->type;
        }

        out->type = ONEM2M_ID_CSE;
        out->cse_id = seg[0];
        out->cse_id_len = seglen[0];
        return out->type;
    }

    /* "<CSE-ID>/C<x>": the registrar CSE and a C-stem */

    if (seglen[1] < 2 || seg[1][0] != 'C'
        || !onem2m_id_stem_valid(seg[1], seglen[1]))
    {
        return 0;
    }

    out->type = ONEM2M_ID_AE;
    out->cse_id = seg[0];
    out->cse_id_len = seglen[0];
    out->stem = seg[1];
    out->stem_len = seglen[1];
    return out->type;
}


int
onem2m_id_parse(const char *id, size_t len, onem2m_id *out)
{
    onem2m_id    tmp;
    const char  *seg[3];
    size_t       seglen[3], n, first;
    int          absolute;

    if (out == NULL) {
        out = &tmp;
    }

    memset(out, 0, sizeof(*out));

    if (id == NULL || len == 0 || len > ONEM2M_ID_MAX_LEN) {
        return 0;
    }

    /* "C<x>", "S<x>": the AE-ID-Stem */

    if (id[0] != '/') {
        if (!onem2m_id_stem_valid(id, len)) {
            return 0;
        }

        out->form = ONEM2M_ID_FORM_STEM;
        out->stem = id;
        out->stem_len = len;
        out->type = ONEM2M_ID_AE;
        return out->type;
    }

    /* "/" or "//<SP-ID>/" then one or two segments */

    absolute = (len >= 2 && id[1] == '/');
    n = id_segments(id + (absolute ? 2 : 1), id + len, seg, seglen);
    first = 0;

    if (n == 0) {
        return 0;                       /* too many segments */
    }

    if (absolute) {
        if (n < 2 || !onem2m_host_name_valid(seg[0], seglen[0],
                                             ONEM2M_HOST_FINAL_DOT))
        {
            return 0;
        }

        out->form = ONEM2M_ID_FORM_ABSOLUTE;
        out->sp_id = seg[0];
        out->sp_id_len = seglen[0];

        /* the rest is read like the SP-relative form */
        first = 1;
        n--;

    } else {
        out->form = ONEM2M_ID_FORM_SP_RELATIVE;
    }

    if (id_parse_relative(seg + first, seglen + first, n, out) == 0) {
        memset(out, 0, sizeof(*out));
        return 0;
    }

    return out->type;
}


/* <relative>@<FQDN>, TS-0003 10.5 */
int
onem2m_kpsa_id_valid(const char *id, size_t len)
{
    const char  *at;
    size_t       i;

    if (id == NULL || len == 0 || len > ONEM2M_ID_MAX_LEN) {
        return 0;
    }

    at = memchr(id, '@', len);

    if (at == NULL || at == id) {
        return 0;
    }

    for (i = 0; id + i < at; i++) {
        unsigned char  c = id[i];

        if (!onem2m_text_is_alnum(c) && c != '.' && c != '_' && c != '-') {
            return 0;
        }
    }

    return onem2m_host_name_valid(at + 1, len - (at + 1 - id),
                                  ONEM2M_HOST_NUMERIC_LAST);
}
