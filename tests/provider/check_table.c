/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The psk-lookup-table through the fast face (ONEM2M_SAE_table_*), which
 * loads the built provider from BUILD_DIR/provider: the parser with every
 * error class and its exact message, lookups, the provider's loading.
 * Sharing and reloading (the cache): check_table_cache.c.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <onem2m_sae.h>
#include <openssl/core_dispatch.h>
#include "check_cases.h"
#include "internal/sae_dispatch.h"

#include "table_util.h"

START_TEST(test_example_table)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;
    static const unsigned char  key1[] = {
        0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x7a, 0x8b
    };
    static const unsigned char  key2[] = {
        0x12, 0x34, 0x56, 0x78, 0xab, 0xcd, 0xef, 0xab
    };

    t = tu_open_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 2);
    ck_assert_uint_eq(tu_nerrors, 0);
    ck_assert_uint_eq(tu_nwarnings, 2);
    ck_assert_str_eq(tu_msg[0], tu_fmt("W %s:22: key of KpsaID "
        "AE123456789012-Lock@in.provider.com is only 8 bytes "
        "(16 or more recommended)", tu_path));
    ck_assert_str_eq(tu_msg[1], tu_fmt("W %s:25: key of KpsaID "
        "AE123456789015-Lock@in.provider.com is only 8 bytes "
        "(16 or more recommended)", tu_path));

    e = tu_lookup(t, "AE123456789012-Lock@in.provider.com");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->entity, "Clock-AE1");
    ck_assert_uint_eq(e->entity_len, 9);
    ck_assert_str_eq(e->kpsa_id, "AE123456789012-Lock@in.provider.com");
    ck_assert_uint_eq(e->kpsa_id_len, 35);
    ck_assert_uint_eq(e->entity_type, ONEM2M_SAE_ENTITY_AE);
    ck_assert_uint_eq(e->key_len, sizeof(key1));
    ck_assert(memcmp(e->key, key1, sizeof(key1)) == 0);

    e = tu_lookup(t, "AE123456789015-Lock@in.provider.com");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->entity, "Clock-AE2");
    ck_assert_uint_eq(e->key_len, sizeof(key2));
    ck_assert(memcmp(e->key, key2, sizeof(key2)) == 0);

    e = ONEM2M_SAE_table_find_entity(t, "Clock-AE2", 9);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->kpsa_id, "AE123456789015-Lock@in.provider.com");
    ck_assert_ptr_null(ONEM2M_SAE_table_find_entity(t, "Cllock-AE2", 10));

    ONEM2M_SAE_table_free(t);
}
END_TEST

/* the example table readable by group and others: its 2 warnings + 1 */
START_TEST(test_group_readable_warning)
{
    ONEM2M_SAE_TABLE  *t;

    t = tu_open_copy(TOP_SRCDIR "/conf/kpsa.table", 0644);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(tu_nwarnings, 3);
    ck_assert_str_eq(tu_msg[0], tu_fmt("W %s: keys readable by group or "
        "others (mode 0644, use 0600)", tu_path));
    ONEM2M_SAE_table_free(t);
}
END_TEST

/*
 * A one-line table by file mode: the warnings after "W <path>: ".  0666 is
 * both, not only "readable"; owner-only modes are quiet.
 */
static const struct {
    int          mode;
    unsigned     nmsg;
    const char  *msg[2];
} mode_cases[] = {
    { 0640, 1, { "keys readable by group or others (mode 0640, use 0600)" } },
    { 0602, 1, { "keys writable by group or others, who could replace them "
                 "(mode 0602, use 0600)" } },
    { 0666, 2, { "keys readable by group or others (mode 0666, use 0600)",
                 "keys writable by group or others, who could replace them "
                 "(mode 0666, use 0600)" } },
    { 0400, 0, { NULL } },
};

START_TEST(test_mode_warnings)
{
    ONEM2M_SAE_TABLE  *t;
    unsigned           i;

    t = tu_open_text("C1 00112233445566778899aabbccddeeff a@b.c\n",
                     mode_cases[_i].mode);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(tu_nmsg, mode_cases[_i].nmsg);
    for (i = 0; i < mode_cases[_i].nmsg; i++) {
        ck_assert_str_eq(tu_msg[i], tu_fmt("W %s: %s", tu_path,
                                           mode_cases[_i].msg[i]));
    }
    ONEM2M_SAE_table_free(t);
}
END_TEST

/* a table in a world-writable directory, sticky (/tmp) or not */
START_TEST(test_world_writable_directory_warning)
{
    ONEM2M_SAE_TABLE  *t;
    struct stat        st;
    char               dir[PATH_MAX];
    mode_t             modes[] = { 0777, 01777 };

    ck_assert_int_eq(stat(tu_dir(), &st), 0);
    ck_assert_ptr_nonnull(realpath(tu_dir(), dir));
    ck_assert_int_eq(chmod(tu_dir(), modes[_i]), 0);

    t = tu_open_text("C1 00112233445566778899aabbccddeeff a@b.c\n", 0600);
    ck_assert_int_eq(chmod(tu_dir(), st.st_mode & 07777), 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(tu_nmsg, 1);
    ck_assert_str_eq(tu_msg[0], tu_fmt("W %s: in the world-writable "
        "directory %s (mode %04o): anyone could replace the keys, move the "
        "table to a directory only root can write", tu_path, dir,
        (unsigned) modes[_i]));
    ONEM2M_SAE_table_free(t);

    /* its own directory again: quiet */
    t = tu_open_text("C1 00112233445566778899aabbccddeeff a@b.c\n", 0600);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(tu_nmsg, 0);
    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(test_misses)
{
    ONEM2M_SAE_TABLE  *t;
    const char        *id = "AE123456789012-Lock@in.provider.com";

    t = tu_open_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);
    ck_assert_ptr_nonnull(t);

    ck_assert_ptr_null(tu_lookup(t, "AE123456789013-Lock@in.provider.com"));
    ck_assert_ptr_null(tu_lookup(t, ""));
    ck_assert_ptr_null(tu_lookup(t, "Clock-AE1"));
    /* prefixes and extensions of a known identity */
    ck_assert_ptr_null(ONEM2M_SAE_table_lookup(t, id, strlen(id) - 1));
    ck_assert_ptr_null(ONEM2M_SAE_table_lookup(t, "AE123456789012-Lock@in"
                                               ".provider.com.", 36));
    ck_assert_ptr_nonnull(ONEM2M_SAE_table_lookup(t, id, strlen(id)));
    /* identities are case-sensitive */
    ck_assert_ptr_null(tu_lookup(t, "ae123456789012-lock@in.provider.com"));
    /* binary junk and a NULL table */
    ck_assert_ptr_null(ONEM2M_SAE_table_lookup(t, "\0\1\2", 3));
    ck_assert_ptr_null(ONEM2M_SAE_table_lookup(NULL, id, strlen(id)));
    ck_assert_ptr_null(ONEM2M_SAE_table_find_entity(NULL, "C1", 2));
    ck_assert_uint_eq(ONEM2M_SAE_table_count(NULL), 0);

    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(test_max_identity)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;
    char                     id[300], text[700];

    /* 251 + "@b.c" = 255 bytes, the TLS identity limit */
    memset(id, 'a', 251);
    strcpy(id + 251, "@b.c");
    ck_assert_uint_eq(strlen(id), 255);

    snprintf(text, sizeof(text),
             "C1 00112233445566778899aabbccddeeff %s\n", id);
    t = tu_open_text(text, 0600);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(tu_nmsg, 0);

    e = tu_lookup(t, id);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->kpsa_id_len, 255);
    ck_assert_ptr_null(ONEM2M_SAE_table_lookup(t, id, 254));
    ONEM2M_SAE_table_free(t);

    /* one more byte does not load */
    memset(id, 'a', 252);
    strcpy(id + 252, "@b.c");
    snprintf(text, sizeof(text),
             "C1 00112233445566778899aabbccddeeff %s\n", id);
    ck_assert_ptr_null(tu_open_text(text, 0600));
    ck_assert_uint_eq(tu_nmsg, 1);
    ck_assert_str_eq(tu_msg[0],
                     tu_fmt("E %s:1: KpsaID longer than 255 bytes", tu_path));
}
END_TEST

START_TEST(test_binary_safe_keys)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;
    unsigned char            big[512];
    char                     text[1200], *p;
    size_t                   i;
    static const unsigned char  zeros[] = {
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00
    };

    for (i = 0; i < sizeof(big); i++) {
        big[i] = (unsigned char) (i * 7);
    }

    p = text + sprintf(text, "Cbig\t");
    for (i = 0; i < sizeof(big); i++) {
        p += sprintf(p, "%02X", big[i]);        /* upper case hex too */
    }
    sprintf(p, "\tbig@x.y\n"
            "Czero 0000010000000000000000000000ff00 zero@x.y\n"
            "Cone  00 one@x.y\n"
            "Cpre  0x00ff00ff00ff00ff00ff00ff00ff00ff pre@x.y\n");

    t = tu_open_text(text, 0600);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 4);

    e = tu_lookup(t, "big@x.y");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->key_len, 512);
    ck_assert(memcmp(e->key, big, sizeof(big)) == 0);

    e = tu_lookup(t, "zero@x.y");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->key_len, 16);
    ck_assert(memcmp(e->key, zeros, sizeof(zeros)) == 0);

    e = tu_lookup(t, "one@x.y");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->key_len, 1);
    ck_assert_uint_eq(e->key[0], 0);
    ck_assert_uint_eq(tu_nwarnings, 1);
    ck_assert_str_eq(tu_msg[0], tu_fmt("W %s:3: key of KpsaID one@x.y is "
        "only 1 bytes (16 or more recommended)", tu_path));

    e = tu_lookup(t, "pre@x.y");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->key_len, 16);
    ck_assert_uint_eq(e->key[0], 0);
    ck_assert_uint_eq(e->key[1], 0xff);

    ONEM2M_SAE_table_free(t);
}
END_TEST

/* one bad line, its exact message; no message may show the key */
typedef struct {
    const char  *text;
    const char  *reason;            /* after "file:line: " */
    unsigned     line;
} BAD_LINE;

static const BAD_LINE bad_lines[] = {
    { "C1 00112233445566778899aabbccddeeXY a@b.c\n",
      "key is not hexadecimal", 1 },
    { "C1 001122334455667788-9aabbccddeeff a@b.c\n",
      "key is not hexadecimal", 1 },
    { "# ok\nC1 0011223344556677889aabbccddeeff a@b.c\n",
      "key has an odd number of hex digits", 2 },
    { "C1 0x a@b.c\n", "empty key", 1 },
    { "C1 00112233445566778899aabbccddeeff noat.b.c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff @b.c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a@\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a@-b.c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a@b-.c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a@b..c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a@b.c.\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a@b@c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a/b@c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "C1 00112233445566778899aabbccddeeff a@b_c\n",
      "malformed KpsaID (expected <relative-id>@<fqdn>)", 1 },
    { "X1 00112233445566778899aabbccddeeff a@b.c\n",
      "malformed entity id (expected an AE-ID, whose stem starts with C or S "
      "as in Clock-AE1, or a CSE-ID, which starts with / as in /in-cse-7)",
      1 },
    { "C1 00112233445566778899aabbccddeeff\n",
      "missing KpsaID column", 1 },
    { "\n\n  C1   # the rest is a comment\n",
      "missing key and KpsaID columns", 3 },
    { "C1 00112233445566778899aabbccddeeff a@b.c extra\n",
      "extra column after the KpsaID", 1 },
    { "C1 00112233445566778899aabbccddeeff a@b.c\0\n",
      "NUL byte in line", 1 },
    { "# caf\xc3\n", "invalid UTF-8", 1 },
    { "# \xff\xfe\n", "invalid UTF-8", 1 },
    { "# \xc0\xaf overlong\n", "invalid UTF-8", 1 },
    { "# \xed\xa0\x80 surrogate\n", "invalid UTF-8", 1 },
    { "C1 00112233445566778899aabbccddeeff a@b.c\n"
      "C2 00112233445566778899aabbccddeeff b@b.c\n"
      "C3 00112233445566778899aabbccddeeff a@b.c\n",
      "duplicate KpsaID a@b.c (first defined on line 1)", 3 },
};

/* texts with embedded NUL bytes need their exact length */
static size_t
bad_line_len(const BAD_LINE *b)
{
    return strstr(b->reason, "NUL") ? strlen(b->text) + 2 : strlen(b->text);
}

START_TEST(test_bad_line)
{
    const BAD_LINE  *b = &bad_lines[_i];

    ck_assert_ptr_null(tu_open_bytes(b->text, bad_line_len(b), 0600));
    ck_assert_uint_eq(tu_nerrors, 1);
    ck_assert_str_eq(tu_msg[tu_nmsg - 1],
                     tu_fmt("E %s:%u: %s", tu_path, b->line, b->reason));
    tu_assert_no_key_in_messages("00112233445566778899aabbccddee");
    tu_assert_no_key_in_messages("0011223344556677889aabbccddeeff");
}
END_TEST

START_TEST(test_key_too_long)
{
    char    text[1200], *p;
    size_t  i;

    /* 512 bytes load, 513 do not */
    for (i = 0; i < 2; i++) {
        p = text + sprintf(text, "C1 ");
        memset(p, 'a', 1024 + 2 * i);
        p += 1024 + 2 * i;
        strcpy(p, " a@b.c\n");

        if (i == 0) {
            ONEM2M_SAE_TABLE  *t = tu_open_text(text, 0600);

            ck_assert_ptr_nonnull(t);
            ck_assert_uint_eq(tu_lookup(t, "a@b.c")->key_len, 512);
            ONEM2M_SAE_table_free(t);

        } else {
            ck_assert_ptr_null(tu_open_text(text, 0600));
            ck_assert_uint_eq(tu_nmsg, 1);
            ck_assert_str_eq(tu_msg[0], tu_fmt("E %s:1: key longer than 512 "
                                               "bytes", tu_path));
        }
    }
}
END_TEST

START_TEST(test_line_too_long)
{
    char  text[2200];

    /* 2048 bytes of comment load, 2049 do not */
    memset(text, '#', 2048);
    strcpy(text + 2048, "\n");
    ONEM2M_SAE_table_free(tu_open_text(text, 0600));
    ck_assert_uint_eq(tu_nerrors, 0);

    memset(text, '#', 2049);
    strcpy(text + 2049, "\nC1 00112233445566778899aabbccddeeff a@b.c\n");
    ck_assert_ptr_null(tu_open_text(text, 0600));
    ck_assert_uint_eq(tu_nmsg, 1);
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s:1: line longer than 2048 bytes",
                                       tu_path));
}
END_TEST

START_TEST(test_every_error_reported)
{
    char      text[8000], *p;
    unsigned  i;

    /* three bad lines among good ones: three messages, in order */
    ck_assert_ptr_null(tu_open_text(
        "C1 00112233445566778899aabbccddeeff a@b.c\n"
        "C2 zz b@b.c\n"
        "C3 00112233445566778899aabbccddeeff c@b.c\n"
        "C4 000 d@b.c\n"
        "# comment\n"
        "C5 00112233445566778899aabbccddeeff\n", 0600));
    ck_assert_uint_eq(tu_nerrors, 3);
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s:2: key is not hexadecimal",
                                       tu_path));
    ck_assert_str_eq(tu_msg[1], tu_fmt("E %s:4: key has an odd number of "
                                       "hex digits", tu_path));
    ck_assert_str_eq(tu_msg[2], tu_fmt("E %s:6: missing KpsaID column",
                                       tu_path));

    /* a duplicate followed by a bad line: still reported in line order */
    ck_assert_ptr_null(tu_open_text(
        "C1 00112233445566778899aabbccddeeff a@b.c\n"
        "C2 00112233445566778899aabbccddeeff a@b.c\n"
        "C3 zz c@b.c\n"
        "C4 00112233445566778899aabbccddeeff c@b.c\n"
        "C5 00112233445566778899aabbccddeeff c@b.c\n", 0600));
    ck_assert_uint_eq(tu_nerrors, 3);
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s:2: duplicate KpsaID a@b.c "
                                       "(first defined on line 1)", tu_path));
    ck_assert_str_eq(tu_msg[1], tu_fmt("E %s:3: key is not hexadecimal",
                                       tu_path));
    ck_assert_str_eq(tu_msg[2], tu_fmt("E %s:5: duplicate KpsaID c@b.c "
                                       "(first defined on line 4)", tu_path));

    /* 25 bad lines: 20 messages and a count of the rest */
    p = text;
    for (i = 0; i < 25; i++) {
        p += sprintf(p, "C%u 0 id%u@b.c\n", i, i);
    }

    ck_assert_ptr_null(tu_open_text(text, 0600));
    ck_assert_uint_eq(tu_nerrors, 21);
    ck_assert_str_eq(tu_msg[19], tu_fmt("E %s:20: key has an odd number of "
                                        "hex digits", tu_path));
    ck_assert_str_eq(tu_msg[20], tu_fmt("E %s: 5 more errors", tu_path));
}
END_TEST

START_TEST(test_file_errors)
{
    char  path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/missing.table", tu_dir());
    ck_assert_ptr_null(tu_open_uri(path));
    ck_assert_uint_eq(tu_nmsg, 1);
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: cannot open (No such file or "
                                       "directory)", path));

    ck_assert_ptr_null(tu_open_uri(tu_fmt("kpsa:%s", path)));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: cannot open (No such file or "
                                       "directory)", path));

    ck_assert_ptr_null(tu_open_uri(tu_dir()));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: not a regular file", tu_dir()));

    /* a FIFO is refused at once, not waited on */
    ck_assert_int_eq(mkfifo(tu_fmt("%s/fifo.table", tu_dir()), 0600), 0);
    ck_assert_ptr_null(tu_open_uri(tu_fmt("%s/fifo.table", tu_dir())));
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s/fifo.table: not a regular file",
                                       tu_dir()));

    ck_assert_ptr_null(tu_open_uri("kpsa:"));
    ck_assert_str_eq(tu_msg[0], "E kpsa:: not a \"kpsa:<path>\" URI or a path");

    ck_assert_ptr_null(tu_open_uri("kpsa://host/etc/kpsa.table"));
    ck_assert_str_eq(tu_msg[0], "E kpsa://host/etc/kpsa.table: not a "
                     "\"kpsa:<path>\" URI or a path");
}
END_TEST

START_TEST(test_uri_forms)
{
    ONEM2M_SAE_TABLE  *t1, *t2, *t3;

    t1 = tu_open_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);
    ck_assert_ptr_nonnull(t1);
    t2 = tu_open_uri(tu_fmt("kpsa:%s", tu_path));
    t3 = tu_open_uri(tu_fmt("KPSA://%s", tu_path));
    ck_assert_ptr_eq(t1, t2);
    ck_assert_ptr_eq(t1, t3);
    ONEM2M_SAE_table_free(t1);
    ONEM2M_SAE_table_free(t2);
    ONEM2M_SAE_table_free(t3);
}
END_TEST


START_TEST(test_text_format)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;

    t = tu_open_text(
        "# comment line\n"
        "   # indented comment\n"
        "\n"
        "\t\n"
        "C1\t00112233445566778899aabbccddeeff\ta@b.c\t# trailing\r\n"
        "  C2  00112233445566778899AABBCCDDEEFF   b@b.c   \r\n"
        "C1 00112233445566778899aabbccddeeff second@b.c", 0600);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(tu_nmsg, 0);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 3);
    ck_assert_str_eq(tu_lookup(t, "a@b.c")->entity, "C1");
    ck_assert_str_eq(tu_lookup(t, "b@b.c")->entity, "C2");
    ck_assert_str_eq(tu_lookup(t, "second@b.c")->entity, "C1");

    /* several KpsaIDs of one entity: find_entity gives one of them */
    e = ONEM2M_SAE_table_find_entity(t, "C1", 2);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->entity, "C1");
    ck_assert_ptr_null(ONEM2M_SAE_table_find_entity(t, "C", 1));
    ONEM2M_SAE_table_free(t);

    /* an empty table loads, with a warning */
    t = tu_open_text("# nothing yet\n", 0600);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 0);
    ck_assert_ptr_null(tu_lookup(t, "a@b.c"));
    ck_assert_str_eq(tu_msg[0], tu_fmt("W %s: no credentials", tu_path));
    ONEM2M_SAE_table_free(t);
}
END_TEST


/* a default-provider algorithm is still there in libctx */
static void
assert_sha256_fetchable(OSSL_LIB_CTX *libctx)
{
    EVP_MD  *md;

    md = EVP_MD_fetch(libctx, "SHA256", NULL);
    ck_assert_ptr_nonnull(md);
    EVP_MD_free(md);
}

START_TEST(test_provider_loading)
{
    ONEM2M_SAE_TABLE  *t;
    OSSL_LIB_CTX      *libctx;
    const char        *path;

    path = tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);

    /* in the default context the implicit default provider stays */
    t = tu_open_uri(path);
    ck_assert_ptr_nonnull(t);
    assert_sha256_fetchable(NULL);
    ONEM2M_SAE_table_free(t);

    /* provider_dir is used by file name, not as a process-wide setting */
    libctx = OSSL_LIB_CTX_new();
    ck_assert_ptr_nonnull(libctx);
    ck_assert_int_eq(OSSL_PROVIDER_set_default_search_path(libctx,
                                                           tu_dir()), 1);
    tu_reset_messages();
    t = ONEM2M_SAE_table_open(libctx, TU_PROVIDER_DIR, path, tu_diag, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(tu_nerrors, 0);
    assert_sha256_fetchable(libctx);
    ONEM2M_SAE_table_free(t);

    /*
     * no provider in provider_dir nor in the search path: a clear error,
     * naming both directories (OPENSSL_MODULES: what the message names)
     */
    setenv("OPENSSL_MODULES", tu_dir(), 1);
    tu_reset_messages();
    t = ONEM2M_SAE_table_open(libctx, tu_dir(), path, tu_diag, NULL);
    unsetenv("OPENSSL_MODULES");
    ck_assert_ptr_null(t);
    ck_assert_uint_eq(tu_nmsg, 1);
    ck_assert_str_eq(tu_msg[0], tu_fmt("E %s: cannot load the OpenSSL "
                                       "provider \"onem2m\": no usable "
                                       "onem2m.so in %s nor in OpenSSL's "
                                       "modules directory %s", path,
                                       tu_dir(), tu_dir()));
    OSSL_LIB_CTX_free(libctx);
}
END_TEST

/* a stand-in for an onem2m.so of the unversioned first release */
static struct {
    unsigned int   magic;
    void          *functions[4];
} stale_table = { 0x6d326d54u, { NULL, NULL, NULL, NULL } };

static unsigned  stale_frees;

static ONEM2M_SAE_TABLE *
stale_open(void *provctx, const char *uri, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg)
{
    return (ONEM2M_SAE_TABLE *) &stale_table;
}

static void
stale_free(ONEM2M_SAE_TABLE *table)
{
    ck_assert_ptr_eq(table, &stale_table);
    stale_frees++;
}

static const OSSL_DISPATCH  stale_dispatch[] = {
    { ONEM2M_SAE_FUNC_TABLE_OPEN, (void (*)(void)) stale_open },
    { ONEM2M_SAE_FUNC_TABLE_FREE, (void (*)(void)) stale_free },
    { 0, NULL }
};

static int
stale_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
    *out = stale_dispatch;
    *provctx = NULL;
    return 1;
}

START_TEST(test_stale_provider)
{
    ONEM2M_SAE_TABLE  *t;
    OSSL_LIB_CTX      *libctx;
    OSSL_PROVIDER     *stale;
    const char        *path;

    path = tu_copy(TOP_SRCDIR "/conf/kpsa.table", 0600);

    /* an older onem2m already loaded (openssl.cnf) is refused, not called */
    libctx = OSSL_LIB_CTX_new();
    ck_assert_ptr_nonnull(libctx);
    ck_assert_int_eq(OSSL_PROVIDER_add_builtin(libctx, "onem2m",
                                               stale_init), 1);
    stale = OSSL_PROVIDER_load(libctx, "onem2m");
    ck_assert_ptr_nonnull(stale);

    tu_reset_messages();
    stale_frees = 0;
    t = ONEM2M_SAE_table_open(libctx, TU_PROVIDER_DIR, path, tu_diag, NULL);
    ck_assert_ptr_null(t);
    ck_assert_uint_eq(stale_frees, 1);
    ck_assert_uint_eq(tu_nmsg, 1);
    ck_assert_str_eq(tu_msg[0],
                     tu_fmt("E %s: the provider \"onem2m\" is of another "
                            "build (table magic 6d326d54, expected %08x)",
                            path, ONEM2M_SAE_TABLE_MAGIC));

    /* the reference the refused open took is given back */
    ck_assert_int_eq(OSSL_PROVIDER_unload(stale), 1);
    ck_assert_int_eq(OSSL_PROVIDER_available(libctx, "onem2m"), 0);
    OSSL_LIB_CTX_free(libctx);
}
END_TEST

START_TEST(test_densest_table)
{
    static const char  alnum[] = "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    ONEM2M_SAE_TABLE  *t;
    char              *text, *p;
    size_t             i, j, n = 0;

    /* the shortest lines there are ("C1 00 a@b"): the memory bounds hold */
    text = malloc(62 * 62 * 10 + 1);
    ck_assert_ptr_nonnull(text);
    p = text;

    for (i = 0; i < 62; i++) {
        for (j = 0; j < 62; j++) {
            p += sprintf(p, "%sC1 00 %c@%c", n++ ? "\n" : "", alnum[i],
                         alnum[j]);
        }
    }

    t = tu_open_bytes(text, p - text, 0600);
    free(text);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 62 * 62);
    ck_assert_str_eq(tu_lookup(t, "9@9")->entity, "C1");
    ck_assert_uint_eq(tu_lookup(t, "a@Z")->key_len, 1);
    ONEM2M_SAE_table_free(t);
}
END_TEST

/* resident bytes of the process, /proc/self/statm */
static long
resident_bytes(void)
{
    FILE  *f;
    long   size = 0, resident = 0;

    f = fopen("/proc/self/statm", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);

    return resident * sysconf(_SC_PAGESIZE);
}

/*
 * A 1M-entry table of typical lines (55 bytes of strings and key) holds
 * at most 90 bytes per entry: records without pointers, the file order
 * the arena's own (docs/limits.md).  Enumeration and lookups still see
 * every record.
 */
START_TEST(test_memory_per_entry)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *a, *b;
    const char              *preload;
    char                    *text, *p, id[64];
    long                     rss0, rss1;
    size_t                   i, N = 1000000;
    int                      valgrind;

    /* under valgrind (make valgrind) resident memory means nothing */
    preload = getenv("LD_PRELOAD");
    valgrind = preload != NULL && strstr(preload, "vgpreload") != NULL;

    text = malloc((size_t) N * 80 + 1);
    ck_assert_ptr_nonnull(text);
    p = text;

    for (i = 0; i < N; i++) {
        p += sprintf(p, "Cbench%07zu %032zx bench%07zu@bench.example\n", i,
                     i * 2654435761u, i);
    }

    snprintf(tu_path, sizeof(tu_path), "%s/mem.table", tu_dir());
    tu_write_file(tu_path, text, 0600);
    free(text);

    /* the provider loaded and its first table gone before measuring */
    t = tu_open_text("C1 00112233445566778899aabbccddeeff a@b.c\n", 0600);
    ck_assert_ptr_nonnull(t);
    ONEM2M_SAE_table_free(t);

    rss0 = resident_bytes();
    t = tu_open_uri(tu_fmt("%s/mem.table", tu_dir()));
    rss1 = resident_bytes();

    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), N);
    ck_assert_msg(valgrind || (rss1 - rss0) / (long) N <= 90,
                  "%ld bytes per entry", (rss1 - rss0) / (long) N);

    /* two views held at once, each its own record */
    a = ONEM2M_SAE_table_lookup(t, "bench0000007@bench.example", 26);
    b = ONEM2M_SAE_table_find_entity(t, "Cbench0999999", 13);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(a->entity, "Cbench0000007");
    ck_assert_str_eq(b->kpsa_id, "bench0999999@bench.example");
    ck_assert_uint_eq(b->key_len, 16);
    ck_assert_uint_eq(b->key[15], (999999u * 2654435761u) & 0xff);
    ck_assert_ptr_null(ONEM2M_SAE_table_lookup(t, "bench1000000@bench.example",
                                               26));

    for (i = 0; i < N; i += 99991) {
        snprintf(id, sizeof(id), "bench%07zu@bench.example", i);
        a = tu_lookup(t, id);
        ck_assert_ptr_nonnull(a);
        ck_assert_uint_eq(a->key[14], ((i * 2654435761u) >> 8) & 0xff);
    }

    ONEM2M_SAE_table_free(t);
}
END_TEST

/* entity id forms, TS-0001 Table 7.2-1 */
typedef struct {
    const char  *id;
    int          type;              /* 0: malformed */
} ENTITY_FORM;

static const ENTITY_FORM entity_forms[] = {
    { "C9886", ONEM2M_SAE_ENTITY_AE },
    { "Clock-AE1", ONEM2M_SAE_ENTITY_AE },
    { "S98821", ONEM2M_SAE_ENTITY_AE },
    { "Ca.b_c~d-e", ONEM2M_SAE_ENTITY_AE },
    { "/mn-cse-123456", ONEM2M_SAE_ENTITY_CSE },
    { "/CSE3219/C9886", ONEM2M_SAE_ENTITY_AE },
    { "//m2m.prov.com/CSE3219/C9886", ONEM2M_SAE_ENTITY_AE },
    { "//m2m.things.com/S98821", ONEM2M_SAE_ENTITY_AE },
    { "//m2m.prov.com/CSE3219", ONEM2M_SAE_ENTITY_CSE },
    { "C", 0 },
    { "S", 0 },
    { "c1", 0 },
    { "X1", 0 },
    { "C1/x", 0 },
    { "C#1", 0 },
    { "Cé", 0 },
    { "/", 0 },
    { "//", 0 },
    { "/cse/", 0 },
    { "/cse/S1", 0 },
    { "/cse/C", 0 },
    { "/a/C1/C2", 0 },
    { "//sp", 0 },
    { "//sp/", 0 },
    { "//sp/cse/S1", 0 },
    { "//sp/cse/C1/x", 0 },
    { "///cse", 0 },
};

START_TEST(test_entity_form)
{
    const ENTITY_FORM       *f = &entity_forms[_i];
    ONEM2M_SAE_TABLE        *t;
    char                     text[300];

    snprintf(text, sizeof(text), "%s 00112233445566778899aabbccddeeff "
             "a@b.c\n", f->id);
    t = tu_open_text(text, 0600);

    if (f->type == 0) {
        ck_assert_msg(t == NULL, "%s accepted", f->id);
        ck_assert_str_eq(tu_msg[0], tu_fmt("E %s:1: malformed entity id "
            "(expected an AE-ID, whose stem starts with C or S as in "
            "Clock-AE1, or a CSE-ID, which starts with / as in /in-cse-7)",
            tu_path));
        return;
    }

    ck_assert_msg(t != NULL, "%s refused", f->id);
    ck_assert_uint_eq(tu_lookup(t, "a@b.c")->entity_type, f->type);
    ck_assert_ptr_nonnull(ONEM2M_SAE_table_find_entity(t, f->id,
                                                       strlen(f->id)));
    ONEM2M_SAE_table_free(t);
}
END_TEST

Suite *table_suite(void)
{
    return CK_SUITE("table",
                    CK_TCASE("load", tu_setup, tu_teardown, 0),
                    CK_TEST(test_example_table), CK_TEST(test_stale_provider),
                    CK_TEST(test_group_readable_warning),
                    CK_LOOP(test_mode_warnings, CK_N(mode_cases)),
                    CK_TEST(test_misses), CK_TEST(test_max_identity),
                    CK_TEST(test_binary_safe_keys), CK_TEST(test_text_format),
                    CK_TEST(test_uri_forms),
                    CK_LOOP(test_world_writable_directory_warning, 2),
                    CK_TEST(test_provider_loading),
                    CK_TEST(test_densest_table),
                    CK_TEST(test_memory_per_entry),
                    CK_TCASE("errors", tu_setup, tu_teardown, 0),
                    CK_LOOP(test_bad_line, CK_N(bad_lines)),
                    CK_TEST(test_key_too_long), CK_TEST(test_line_too_long),
                    CK_TEST(test_every_error_reported),
                    CK_TEST(test_file_errors),
                    CK_LOOP(test_entity_form, CK_N(entity_forms)));
}
