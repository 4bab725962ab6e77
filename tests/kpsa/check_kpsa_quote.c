/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa quotes what it cannot accept from an input file or the
 * command line through the shared log sanitiser (common/onem2m_text.h):
 * a control byte in a key file or a --map file never reaches the
 * operator's terminal raw, and a long one is cut with its length.
 */

#include <stdio.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "kpsa/kpsa_util.h"

#define KEY16_HEX  "00112233445566778899aabbccddeeff"
#define TABLE      "Clock-AE1 1a2b3c4d5e6f7a8b1a2b3c4d5e6f7a8b " \
                   "AE1-Lock@in.provider.com\n"

static void
setup(void)
{
    ku_setup_table(TABLE);
}

/*
 * out says needle, and holds no terminal escape (ESC) or carriage return
 * from the input
 */
static void
assert_quoted(const char *out, const char *needle)
{
    ku_assert_has(out, needle);
    ck_assert_msg(strchr(out, '\033') == NULL && strchr(out, '\r') == NULL,
                  "raw control byte in:\n%s", out);
}

START_TEST(import_quotes_bad_identity)
{
    const char  *out;

    ku_write(ku_path("keys.psk"),
             "\033[2Jevil\"id:" KEY16_HEX "\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--entity", "Cx", NULL), 1);
    assert_quoted(out, "keys.psk:1: identity \"\\x1b[2Jevil\\x22id\" is not "
                  "a KpsaID");
}
END_TEST

START_TEST(import_quotes_bad_entity)
{
    const char  *out;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--entity", "C\033x\r",
                            NULL), 1);
    assert_quoted(out, "malformed entity id \"C\\x1bx\\x0d\" (expected");

    ku_write(ku_path("map"), "a@in.provider.com C\033]0;x\n", 0600);
    ku_write(ku_path("keys.psk"), "a@in.provider.com:" KEY16_HEX "\n",
             0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--map", ku_path("map"),
                            NULL), 1);
    assert_quoted(out, "map:1: malformed entity id \"C\\x1b]0;x\" "
                  "(expected");
}
END_TEST

/* an identity longer than any id: the first 255 bytes and the length */
START_TEST(import_cuts_long_identity)
{
    const char  *out;
    char         line[700], expect[300];

    memset(line, 'x', 600);
    snprintf(line + 600, sizeof(line) - 600, ":%s\n", KEY16_HEX);
    ku_write(ku_path("keys.psk"), line, 0600);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--entity", "Cx", NULL), 1);

    expect[0] = '"';
    memset(expect + 1, 'x', 255);
    snprintf(expect + 256, sizeof(expect) - 256, "\"... (600 bytes) is not");
    assert_quoted(out, expect);
}
END_TEST

Suite *kpsa_quote_suite(void)
{
    return CK_SUITE("kpsa_quote",
                    CK_TCASE("quote", setup, ku_teardown, 0),
                    CK_TEST(import_quotes_bad_identity),
                    CK_TEST(import_quotes_bad_entity),
                    CK_TEST(import_cuts_long_identity));
}
