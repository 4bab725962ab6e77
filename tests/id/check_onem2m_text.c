/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shared text rules (provider/common/onem2m_text.c), without nginx or
 * OpenSSL: every byte value against each class's documented range, the
 * UTF-8 and plain-ASCII checks, hex, case folding and the log sanitiser.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/onem2m_text.h"


/* each class by its definition, written out independently of the helper */
START_TEST(test_classes_every_byte)
{
    unsigned char  c = (unsigned char) _i;
    int            alnum, hex;

    alnum = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789", c) != NULL && c != 0;
    hex = strchr("0123456789abcdefABCDEF", c) != NULL && c != 0;

    ck_assert_int_eq(!!onem2m_text_is_alnum(c), alnum);
    ck_assert_int_eq(!!onem2m_text_is_visible(c), c >= '!' && c <= '~');
    ck_assert_int_eq(!!onem2m_text_is_printable(c), c >= ' ' && c <= '~');
    ck_assert_int_eq(onem2m_text_all_hex(&c, 1), hex);
    ck_assert_int_eq(onem2m_text_all_visible(&c, 1), c >= '!' && c <= '~');
    ck_assert_int_eq(onem2m_text_all_printable(&c, 1),
                     c >= ' ' && c <= '~');

    if (hex) {
        char  digit[2] = { 0, 0 };

        digit[0] = (char) c;
        ck_assert_int_eq(onem2m_text_hex_value(c),
                         (int) strtol(digit, NULL, 16));
    } else {
        ck_assert_int_eq(onem2m_text_hex_value(c), -1);
    }

    ck_assert_int_eq(onem2m_text_lower(c),
                     c >= 'A' && c <= 'Z' ? c + 32 : c);
    ck_assert_int_eq(onem2m_text_plain_ascii(&c, 1), c >= 1 && c <= 0x7f);
}
END_TEST

/*
 * Byte _i at every place of a 19-byte string of visible bytes: the checks
 * that take eight bytes a step see it in each lane of a word and in the
 * tail alike.
 */
START_TEST(test_bytes_in_words)
{
    unsigned char  c = (unsigned char) _i;
    unsigned char  s[19];
    size_t         k;

    for (k = 0; k < sizeof(s); k++) {
        memset(s, 'a', sizeof(s));
        s[k] = c;
        ck_assert_int_eq(onem2m_text_all_visible(s, sizeof(s)),
                         c >= '!' && c <= '~');
        ck_assert_int_eq(onem2m_text_all_printable(s, sizeof(s)),
                         c >= ' ' && c <= '~');
        /* neighbours at the extremes of the range: no borrow or carry */
        memset(s, '~', sizeof(s));
        s[k] = c;
        ck_assert_int_eq(onem2m_text_all_printable(s, sizeof(s)),
                         c >= ' ' && c <= '~');
        memset(s, ' ', sizeof(s));
        s[k] = c;
        ck_assert_int_eq(onem2m_text_all_printable(s, sizeof(s)),
                         c >= ' ' && c <= '~');
        memset(s, '!', sizeof(s));
        s[k] = c;
        ck_assert_int_eq(onem2m_text_all_visible(s, sizeof(s)),
                         c >= '!' && c <= '~');
    }
}
END_TEST

START_TEST(test_strings)
{
    static const unsigned char  id[] = "lock1@m2m.example.com";

    ck_assert(onem2m_text_all_visible(id, sizeof(id) - 1));
    ck_assert(!onem2m_text_all_visible("a b", 3));
    ck_assert(onem2m_text_all_printable("a b", 3));
    ck_assert(!onem2m_text_all_printable("a\tb", 3));
    ck_assert(!onem2m_text_all_printable("ab\x7f", 3));
    ck_assert(!onem2m_text_all_visible("ab\0", 3));
    ck_assert(onem2m_text_all_visible("", 0));
    ck_assert(onem2m_text_all_hex("00fFaA99", 8));
    ck_assert(!onem2m_text_all_hex("00fg", 4));
    ck_assert(onem2m_text_equal_nocase("M2M.Example.COM", "m2m.example.com",
                                       15));
    ck_assert(!onem2m_text_equal_nocase("m2m-x", "m2m_x", 5));
    /* only ASCII letters fold: '@' (0x40) is not '`' (0x60) */
    ck_assert(!onem2m_text_equal_nocase("@", "`", 1));
}
END_TEST

/* plain_ascii works eight bytes a step: a bad byte at every position */
START_TEST(test_plain_ascii_positions)
{
    unsigned char  buf[40];
    size_t         len = (size_t) _i / 2 + 1, bad;

    for (bad = 0; bad < len; bad++) {
        memset(buf, 'a', sizeof(buf));
        ck_assert(onem2m_text_plain_ascii(buf, len));
        buf[bad] = (_i & 1) ? 0x80 : 0x00;
        ck_assert_msg(!onem2m_text_plain_ascii(buf, len), "len %zu at %zu",
                      len, bad);
        ck_assert(onem2m_text_plain_ascii(buf, bad));
    }
}
END_TEST

typedef struct {
    const char  *s;
    size_t       len;
    size_t       prefix;
} utf8_case;

static const utf8_case  utf8[] = {
    { "plain", 5, 5 },
    { "caf\xc3\xa9", 5, 5 },                        /* U+00E9 */
    { "\xe2\x82\xac!", 4, 4 },                      /* U+20AC */
    { "\xf0\x9f\x94\x92", 4, 4 },                   /* U+1F512 */
    { "\xf4\x8f\xbf\xbf", 4, 4 },                   /* U+10FFFF */
    { "a\xc0\xaf", 3, 1 },                          /* overlong '/' */
    { "a\xc1\xbf", 3, 1 },
    { "a\xe0\x80\xaf", 4, 1 },                      /* overlong, 3 bytes */
    { "a\xf0\x80\x80\xaf", 5, 1 },                  /* overlong, 4 bytes */
    { "a\xed\xa0\x80", 4, 1 },                      /* surrogate D800 */
    { "a\xf4\x90\x80\x80", 5, 1 },                  /* beyond U+10FFFF */
    { "a\xf5\x80\x80\x80", 5, 1 },
    { "ab\xc3", 3, 2 },                             /* cut at the end */
    { "ab\xe2\x82", 4, 2 },
    { "ab\xc3" "A", 4, 2 },                         /* no continuation */
    { "\x80", 1, 0 },                               /* lone continuation */
    { "\xff", 1, 0 },
};

START_TEST(test_utf8)
{
    const utf8_case  *c = &utf8[_i];

    ck_assert_msg(onem2m_text_utf8_prefix(c->s, c->len) == c->prefix,
                  "case %d: %zu, expected %zu", _i,
                  onem2m_text_utf8_prefix(c->s, c->len), c->prefix);
}
END_TEST

START_TEST(test_hex_encode)
{
    static const unsigned char  in[] = { 0x00, 0x0f, 0xa5, 0xff };
    char                        out[2 * sizeof(in) + 1];

    memset(out, 'x', sizeof(out));
    onem2m_text_hex_encode(in, sizeof(in), out);
    ck_assert_str_eq(out, "000fa5ff");

    onem2m_text_hex_encode(in, 0, out);
    ck_assert_str_eq(out, "");
}
END_TEST

typedef struct {
    const char  *src;
    size_t       len;
    size_t       max;
    const char  *quoted;
} log_case;

static const log_case  logs[] = {
    { "lock1@m2m.example.com", 21, 64, "\"lock1@m2m.example.com\"" },
    { "a b~", 4, 64, "\"a b~\"" },
    /* the quote and the backslash: a quoted string ends at a bare quote */
    { "a\"b\\c", 5, 64, "\"a\\x22b\\x5cc\"" },
    /* controls, DEL, high bytes, NUL */
    { "\r\n\t\x7f\x80\xff", 6, 64, "\"\\x0d\\x0a\\x09\\x7f\\x80\\xff\"" },
    { "a\0b", 3, 64, "\"a\\x00b\"" },
    { "", 0, 64, "\"\"" },
    /* cut at max bytes of the source, the real length said */
    { "abcdefgh", 8, 4, "\"abcd\"... (8 bytes)" },
    { "\x01\x02\x03", 3, 2, "\"\\x01\\x02\"... (3 bytes)" },
    { "abcd", 4, 4, "\"abcd\"" },
};

START_TEST(test_log_quote)
{
    const log_case  *c = &logs[_i];
    char             out[ONEM2M_TEXT_LOG_SIZE(64)];
    size_t           n;

    n = onem2m_text_log_quote(out, sizeof(out), c->src, c->len, c->max);

    ck_assert_str_eq(out, c->quoted);
    ck_assert_uint_eq(n, strlen(c->quoted));
}
END_TEST

/* the worst case fits ONEM2M_TEXT_LOG_SIZE; a small buffer cuts safely */
START_TEST(test_log_quote_bounds)
{
    unsigned char  src[300];
    char           out[ONEM2M_TEXT_LOG_SIZE(64)], small[8];
    size_t         n;

    memset(src, 0xff, sizeof(src));
    n = onem2m_text_log_quote(out, sizeof(out), src, sizeof(src), 64);
    ck_assert_uint_eq(n, 2 + 64 * 4 + strlen("... (300 bytes)"));
    ck_assert_uint_lt(n, sizeof(out));
    ck_assert_str_eq(out + n - strlen("\"... (300 bytes)"),
                     "\"... (300 bytes)");

    memset(small, 'x', sizeof(small));
    n = onem2m_text_log_quote(small, sizeof(small), "abcdefghij", 10, 64);
    ck_assert_uint_eq(n, sizeof(small) - 1);
    ck_assert_str_eq(small, "\"abcdef");

    ck_assert_uint_eq(onem2m_text_log_quote(small, 0, "a", 1, 64), 0);
}
END_TEST

Suite *onem2m_text_suite(void)
{
    return CK_SUITE("onem2m_text",
                    CK_TCASE("text", NULL, NULL, 0),
                    CK_LOOP(test_classes_every_byte, 256),
                    CK_LOOP(test_bytes_in_words, 256),
                    CK_TEST(test_strings),
                    CK_LOOP(test_plain_ascii_positions, 2 * 20),
                    CK_LOOP(test_utf8, CK_N(utf8)), CK_TEST(test_hex_encode),
                    CK_LOOP(test_log_quote, CK_N(logs)),
                    CK_TEST(test_log_quote_bounds));
}
