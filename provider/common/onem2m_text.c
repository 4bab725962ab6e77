/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small text rules, one copy each (see onem2m_text.h).  Pure C: the
 * provider, the hook library, onem2m-kpsa, the nginx module and the unit
 * tests (tests/id/check_onem2m_text.c) compile this very file.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "onem2m_text.h"

const unsigned char  onem2m_text_hex_table[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
    ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

static const char  hex_digits[] = "0123456789abcdef";


/* inlined with each constant class below: no call per byte */
static inline int
all_of(const void *s, size_t len, int (*is)(unsigned char))
{
    const unsigned char  *p = s;
    size_t                i;

    for (i = 0; i < len; i++) {
        if (!is(p[i])) {
            return 0;
        }
    }

    return 1;
}


static int
is_hex(unsigned char c)
{
    return onem2m_text_hex_table[c] != 0;
}


/*
 * Whether every byte of s is in lo..0x7e, eight bytes a step (identities
 * are checked several times per handshake): a word has a byte below lo
 * (lo <= 128) or above 0x7e exactly when these classic tests say so.
 */
static inline int
all_in(const void *s, size_t len, unsigned lo, int (*is)(unsigned char))
{
    const unsigned char  *p = s;
    const uint64_t        ones = 0x0101010101010101ULL;
    const uint64_t        high = 0x8080808080808080ULL;
    uint64_t              w;
    size_t                i = 0;

    for (; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        if (((w - ones * lo) & ~w & high)
            || ((w + ones * (0x7f - 0x7e)) | w) & high)
        {
            return 0;
        }
    }

    return all_of(p + i, len - i, is);
}


int
onem2m_text_all_visible(const void *s, size_t len)
{
    return all_in(s, len, 0x21, onem2m_text_is_visible);
}


int
onem2m_text_all_printable(const void *s, size_t len)
{
    return all_in(s, len, 0x20, onem2m_text_is_printable);
}


int
onem2m_text_all_hex(const void *s, size_t len)
{
    return all_of(s, len, is_hex);
}


int
onem2m_text_plain_ascii(const void *s, size_t len)
{
    const unsigned char  *p = s;
    const uint64_t        high = 0x8080808080808080ULL;
    const uint64_t        ones = 0x0101010101010101ULL;
    uint64_t              w;
    size_t                i = 0;

    /* a word with a byte >= 0x80, or a zero byte (the classic test) */
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);

        if ((w & high) || ((w - ones) & ~w & high)) {
            return 0;
        }
    }

    for (; i < len; i++) {
        if (p[i] == 0 || p[i] >= 0x80) {
            return 0;
        }
    }

    return 1;
}


size_t
onem2m_text_utf8_prefix(const void *s, size_t len)
{
    const unsigned char  *p = s;
    size_t                i = 0, n, k;
    uint32_t              cp;

    while (i < len) {
        unsigned char  c = p[i];

        if (c < 0x80) {
            i++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1; cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2; cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3; cp = c & 0x07;
        } else {
            return i;
        }

        if (i + n >= len) {
            return i;               /* truncated sequence */
        }

        for (k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
            || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        {
            return i;
        }

        i += n + 1;
    }

    return i;
}


int
onem2m_text_equal_nocase(const void *a, const void *b, size_t len)
{
    const unsigned char  *pa = a, *pb = b;
    size_t                i;

    for (i = 0; i < len; i++) {
        if (onem2m_text_lower(pa[i]) != onem2m_text_lower(pb[i])) {
            return 0;
        }
    }

    return 1;
}


void
onem2m_text_hex_encode(const void *in, size_t len, char *out)
{
    const unsigned char  *p = in;
    size_t                i;

    for (i = 0; i < len; i++) {
        out[2 * i] = hex_digits[p[i] >> 4];
        out[2 * i + 1] = hex_digits[p[i] & 0x0f];
    }

    out[2 * len] = '\0';
}


size_t
onem2m_text_log_quote(char *dst, size_t dst_size, const void *src,
    size_t len, size_t max)
{
    const unsigned char  *p = src;
    char                  buf[ONEM2M_TEXT_LOG_SIZE(0)];
    size_t                i, n, o = 0;
    int                   tail;

    if (dst_size == 0) {
        return 0;
    }

#define PUT(ch)  do { if (o + 1 < dst_size) { dst[o++] = (ch); } } while (0)

    n = len < max ? len : max;

    PUT('"');

    for (i = 0; i < n; i++) {
        if (!onem2m_text_is_printable(p[i]) || p[i] == '"' || p[i] == '\\') {
            PUT('\\');
            PUT('x');
            PUT(hex_digits[p[i] >> 4]);
            PUT(hex_digits[p[i] & 0xf]);

        } else {
            PUT((char) p[i]);
        }
    }

    PUT('"');

    if (len > n) {
        tail = snprintf(buf, sizeof(buf), "... (%zu bytes)", len);

        for (i = 0; tail > 0 && i < (size_t) tail; i++) {
            PUT(buf[i]);
        }
    }

#undef PUT

    dst[o] = '\0';

    return o;
}
