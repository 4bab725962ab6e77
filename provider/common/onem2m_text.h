/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small text rules, ONE copy each, shared by the provider, the TLS hook
 * library, the table tool and (pure C: no nginx, no OpenSSL types) the
 * nginx module.  Every class is a documented byte range of ASCII; no
 * locale is consulted (ctype.h would depend on setlocale()).
 *
 *   alnum      'A'-'Z', 'a'-'z', '0'-'9'
 *   visible    0x21 '!' to 0x7e '~': ASCII with a glyph, no space
 *   printable  0x20 ' ' to 0x7e '~': visible and the space
 *   hex digit  '0'-'9', 'a'-'f', 'A'-'F'
 *
 * and the log sanitiser: a string from a file or the network, quoted and
 * escaped, cut at a maximum, so that one log line stays one line of
 * bounded length whatever it quotes.
 */

#ifndef ONEM2M_TEXT_H
#define ONEM2M_TEXT_H

#include <stddef.h>

static inline int
onem2m_text_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
}

static inline int
onem2m_text_is_visible(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e;
}

static inline int
onem2m_text_is_printable(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e;
}

/* 'A'-'Z' to 'a'-'z', every other byte as it is */
static inline unsigned char
onem2m_text_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char) (c - 'A' + 'a') : c;
}

/* hex digit values plus one, 0 for any other byte (onem2m_text.c) */
extern const unsigned char  onem2m_text_hex_table[256];

/* the value of a hex digit, -1 for any other byte */
static inline int
onem2m_text_hex_value(unsigned char c)
{
    return (int) onem2m_text_hex_table[c] - 1;
}

/* 1 when every one of the len bytes is of the class (also for len 0) */
int onem2m_text_all_visible(const void *s, size_t len);
int onem2m_text_all_printable(const void *s, size_t len);
int onem2m_text_all_hex(const void *s, size_t len);

/*
 * 1 when the bytes are ASCII without a NUL (0x01-0x7f): then no UTF-8 or
 * NUL check is needed.  Eight bytes a step: the table parser's fast path.
 */
int onem2m_text_plain_ascii(const void *s, size_t len);

/*
 * The length of the longest prefix of s that is well-formed UTF-8 (RFC
 * 3629: no overlong forms, no surrogates, nothing beyond U+10FFFF, no
 * sequence cut at the end); == len when all of it is.
 */
size_t onem2m_text_utf8_prefix(const void *s, size_t len);

/* ASCII case-insensitive equality of len bytes, NULs included */
int onem2m_text_equal_nocase(const void *a, const void *b, size_t len);

/* out gets 2 * len lower-case hex digits and a NUL */
void onem2m_text_hex_encode(const void *in, size_t len, char *out);

/*
 * The log sanitiser.  Writes src quoted: printable bytes as they are but
 * for the quote and the backslash, those two and every other byte as
 * \xHH, so that a quoted string always ends at its first bare quote; only
 * the first max bytes of src, and when it was longer "... (N bytes)"
 * after the closing quote.  dst gets at most ONEM2M_TEXT_LOG_SIZE(max)
 * bytes with the NUL; a smaller dst_size cuts the result short (still NUL
 * terminated).  Returns the length written, without the NUL.
 */
#define ONEM2M_TEXT_LOG_SIZE(max)                                            \
    ((max) * 4 + sizeof("\"\"... ( bytes)") + 20)

size_t onem2m_text_log_quote(char *dst, size_t dst_size, const void *src,
    size_t len, size_t max);

#endif /* ONEM2M_TEXT_H */
