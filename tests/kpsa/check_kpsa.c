/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa, the table tool, as an operator runs it: the real binary on
 * real files.  What it wrote is read back through the built provider.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>

#include "check_cases.h"
#include "common/harness.h"
#include "kpsa/kpsa_util.h"

/* the seed's table with comments, as conf/kpsa.table has them */
#define SEED \
    "# door locks\n" \
    "\n" \
    "Clock-AE1   1a2b3c4d5e6f7a8b   AE123456789012-Lock@in.provider.com\n" \
    "# the seed spells it Cllock-AE2\n" \
    "Clock-AE2\t12345678abcdefab\tAE123456789015-Lock@in.provider.com\n"

#define KU_MAN     TOP_SRCDIR "/tools/onem2m-kpsa/onem2m-kpsa.1"
#define KEY16_HEX  "00112233445566778899aabbccddeeff"
#define SECRET_HEX "5ec2e75ec2e75ec2e75ec2e75ec2e75e"

static void
setup(void)
{
    ku_setup_table(SEED);
}

static int
is_hex(const char *s, size_t len)
{
    size_t  i;

    if (strlen(s) != len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!strchr("0123456789abcdef", s[i])) {
            return 0;
        }
    }
    return 1;
}

/* the table is exactly SEED and the same inode: nothing was written */
static void
assert_untouched(ino_t ino)
{
    struct stat  st;

    ku_assert_file_is(ku_table, SEED);
    ck_assert_int_eq(stat(ku_table, &st), 0);
    ck_assert_msg(st.st_ino == ino, "the table was rewritten");
    ck_assert_int_eq(ku_temp_files(), 0);
}

static ino_t
table_ino(void)
{
    struct stat  st;

    ck_assert_int_eq(stat(ku_table, &st), 0);
    return st.st_ino;
}

/*- help -------------------------------------------------------------- */

START_TEST(help_names_every_command)
{
    const char  *out;
    const char  *cmds[] = { "add", "rotate", "del", "list", "check",
                            "import", "export", "--reload" };
    size_t       i;

    ck_assert_int_eq(ku_run(NULL, &out, "--help", NULL), 0);
    for (i = 0; i < CK_N(cmds); i++) {
        ku_assert_has(out, cmds[i]);
    }
    /* the packages' and the install guide's table */
    ku_assert_has(out, "(alias: revoke)");
    ku_assert_has(out, "else\n                    /etc/nginx/onem2m/kpsa.table)");
    ck_assert_int_eq(ku_run(NULL, &out, NULL), 2);
    ku_assert_has(out, "no command");
    ck_assert_int_eq(ku_run(NULL, &out, "frobnicate", NULL), 2);
    ku_assert_has(out, "unknown command \"frobnicate\"");
    ck_assert_int_eq(ku_run(NULL, &out, "list", "--bogus", NULL), 2);
    ku_assert_has(out, "unknown option --bogus");
}
END_TEST

/* the manual formats without a groff warning and covers every command */
START_TEST(man_page_is_clean)
{
    /* groff's warnings, and the man(1) run lintian makes */
    char        *argv[] = { "sh", "-c",
                            "groff -man -Tutf8 -ww -z " KU_MAN " && "
                            "LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 "
                            "man --warnings -E UTF-8 -l -Tutf8 -Z " KU_MAN
                            " >/dev/null", NULL };
    char        *out = NULL, *text;
    const char  *cmds[] = { ".SS add", ".SS rotate", ".SS del", ".SS list",
                            ".SS check", ".SS import", ".SS export",
                            "\\-\\-reload", ".SH EXIT STATUS", ".SH FILES" };
    size_t       i;

    ck_assert_int_eq(harness_run(argv, NULL, 20000, &out), 0);
    ck_assert_msg(out != NULL && out[0] == '\0', "groff: %s", out);
    free(out);
    text = ku_read(KU_MAN, NULL);
    ck_assert_ptr_nonnull(text);
    for (i = 0; i < CK_N(cmds); i++) {
        ck_assert_msg(strstr(text, cmds[i]) != NULL, "no %s", cmds[i]);
    }
    free(text);
}
END_TEST

/*- add, gen, rotate -------------------------------------------------- */

START_TEST(add_generates_a_credential)
{
    const char        *out, *id, *hex;
    char              *now, expect[4096], saved_id[300], saved_hex[100];
    unsigned char      want[64];
    ONEM2M_SAE_TABLE  *t;
    struct stat        st;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            NULL), 0);
    id = ku_added_id(out);
    hex = ku_added_key(out);
    ck_assert_ptr_nonnull(id);
    ck_assert_ptr_nonnull(hex);
    snprintf(saved_id, sizeof(saved_id), "%s", id);
    snprintf(saved_hex, sizeof(saved_hex), "%s", hex);

    /* 16 random bytes, a random relative id at the table's domain */
    ck_assert_msg(is_hex(saved_hex, 32), "key \"%s\"", saved_hex);
    ck_assert_int_eq(strlen(saved_id), 16 + strlen("@in.provider.com"));
    ck_assert_msg(strstr(saved_id, "@in.provider.com") != NULL, "%s",
                  saved_id);
    ku_assert_has(out, "kpsa.table:6: new credential of Clock-AE3");

    /* the provider reads it back: entity and key as printed */
    t = ku_open(ku_table);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 3);
    ck_assert_int_eq(harness_unhex(saved_hex, want, sizeof(want)), 16);
    ku_assert_credential(t, saved_id, "Clock-AE3", want, 16);
    ONEM2M_SAE_table_free(t);

    /* comments, blank lines, tabs and order kept; one line appended */
    now = ku_read(ku_table, NULL);
    snprintf(expect, sizeof(expect), "%sClock-AE3  %s  %s\n", SEED,
             saved_hex, saved_id);
    ck_assert_str_eq(now, expect);
    free(now);

    ck_assert_int_eq(stat(ku_table, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);

    /* a second add: another key, another KpsaID ("gen" is the alias) */
    ck_assert_int_eq(ku_run(NULL, &out, "gen", "-f", ku_table, "Clock-AE3",
                            NULL), 0);
    ck_assert_str_ne(ku_added_id(out), saved_id);
    ck_assert_str_ne(ku_added_key(out), saved_hex);
    ck_assert_uint_eq(ku_count(ku_table), 4);
}
END_TEST

START_TEST(add_with_given_id_length_and_key)
{
    const char        *out;
    unsigned char      key[600], want[64];
    size_t             key_len;
    ONEM2M_SAE_TABLE  *t;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "/mn-cse/C9",
                            "--bytes", "32", "--fqdn", "m2m.example.org",
                            NULL), 0);
    ck_assert_msg(is_hex(ku_added_key(out), 64), "%s", out);
    ku_assert_has(ku_added_id(out), "@m2m.example.org");

    ku_write(ku_path("key"), "  0x" KEY16_HEX "\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "//sp/cse2",
                            "--kpsa-id", "cse2@sp.example",
                            "--key-file", ku_path("key"), NULL), 0);
    ck_assert_str_eq(ku_added_id(out), "cse2@sp.example");
    ck_assert_str_eq(ku_added_key(out), KEY16_HEX);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Cbig",
                            "--bytes", "512", "--kpsa-id", "big@sp.example",
                            NULL), 0);

    t = ku_open(ku_table);
    ck_assert_ptr_nonnull(t);
    harness_unhex(KEY16_HEX, want, sizeof(want));
    ku_assert_credential(t, "cse2@sp.example", "//sp/cse2", want, 16);
    ck_assert_str_eq(ku_entity_of(t, "big@sp.example", key, &key_len),
                     "Cbig");
    ck_assert_uint_eq(key_len, 512);
    ONEM2M_SAE_table_free(t);

    /* --bytes and --key-file together make no sense */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Cx",
                            "--bytes", "16", "--key-file", ku_path("key"),
                            NULL), 2);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Cx",
                            "--bytes", "513", NULL), 2);
    ku_assert_has(out, "--bytes: \"513\" is not a key length (1 to 512)");
}
END_TEST

START_TEST(short_keys_need_force)
{
    const char  *out;
    ino_t        ino = table_ino();

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--bytes", "8", NULL), 1);
    ku_assert_has(out, "the key is only 8 bytes: 16 or more are recommended");
    assert_untouched(ino);

    ku_write(ku_path("key"), "1a2b3c4d5e6f7a8b\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--key-file", ku_path("key"), NULL), 1);
    assert_untouched(ino);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--bytes", "8", "--force", NULL), 0);
    ck_assert_msg(is_hex(ku_added_key(out), 16), "%s", out);
    ck_assert_uint_eq(ku_count(ku_table), 3);
}
END_TEST

/* one line each, nothing written, no temporary file left */
START_TEST(bad_input_leaves_the_table_alone)
{
    const char  *out;
    ino_t        ino = table_ino();

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Xlock",
                            NULL), 1);
    ck_assert_str_eq(out, "onem2m-kpsa: malformed entity id \"Xlock\" "
                     "(expected an AE-ID, whose stem starts with C or S as "
                     "in Clock-AE1, or a CSE-ID, which starts with / as in "
                     "/in-cse-7)\n");
    assert_untouched(ino);

    /* "AE-" is how many name their AEs; the stem rule says what to change */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "AE-Lock4",
                            NULL), 1);
    ck_assert_str_eq(out, "onem2m-kpsa: malformed entity id \"AE-Lock4\" "
                     "(expected an AE-ID, whose stem starts with C or S as "
                     "in Clock-AE1, or a CSE-ID, which starts with / as in "
                     "/in-cse-7)\n");
    assert_untouched(ino);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--kpsa-id", "no-domain", NULL), 1);
    ck_assert_str_eq(out, "onem2m-kpsa: malformed KpsaID \"no-domain\" "
                     "(expected <relative-id>@<fqdn>)\n");
    assert_untouched(ino);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--kpsa-id",
                            "AE123456789015-Lock@in.provider.com", NULL), 1);
    ku_assert_has(out, "AE123456789015-Lock@in.provider.com is already in ");
    ku_assert_has(out, "kpsa.table:5\n");
    assert_untouched(ino);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--fqdn", "bad..domain", NULL), 1);
    ku_assert_has(out, "--fqdn \"bad..domain\" is not a host name");
    assert_untouched(ino);

    ku_write(ku_path("key"), "not hex at all " SECRET_HEX "\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--key-file", ku_path("key"), NULL), 1);
    ku_assert_has(out, "not one key of 1 to 512 bytes in hex");
    ku_assert_no_hex(out, SECRET_HEX);
    assert_untouched(ino);

    /* rotate needs an existing credential; del needs an existing one */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "rotate",
                            "Clock-AE9", NULL), 1);
    ku_assert_has(out, "Clock-AE9 has no credential to rotate");
    assert_untouched(ino);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "del",
                            "nobody@in.provider.com", NULL), 1);
    ku_assert_has(out, "no KpsaID nobody@in.provider.com; nothing changed");
    assert_untouched(ino);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", NULL), 2);
    assert_untouched(ino);
}
END_TEST

START_TEST(rotate_adds_a_second_kpsa_id)
{
    const char        *out;
    char               id[300], hint[400];
    ONEM2M_SAE_TABLE  *t;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "rotate",
                            "Clock-AE1", NULL), 0);
    snprintf(id, sizeof(id), "%s", ku_added_id(out));
    ku_assert_has(id, "@in.provider.com");
    /* the hint names the table and the actual old KpsaID */
    snprintf(hint, sizeof(hint), "once the device uses the new one: "
             "onem2m-kpsa -f %s del AE123456789012-Lock@in.provider.com\n",
             ku_table);
    ku_assert_has(out, hint);

    t = ku_open(ku_table);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(ku_entity_of(t, id, NULL, NULL), "Clock-AE1");
    ck_assert_str_eq(ku_entity_of(t, "AE123456789012-Lock@in.provider.com",
                                  NULL, NULL), "Clock-AE1");
    ONEM2M_SAE_table_free(t);

    /* the device switched: the old KpsaID goes, the new one stays */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "del",
                            "AE123456789012-Lock@in.provider.com", NULL), 0);
    ku_assert_has(out, "kpsa.table:3: deleted KpsaID "
                  "AE123456789012-Lock@in.provider.com of Clock-AE1");
    t = ku_open(ku_table);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_null(ku_entity_of(t, "AE123456789012-Lock@in.provider.com",
                                    NULL, NULL));
    ck_assert_str_eq(ku_entity_of(t, id, NULL, NULL), "Clock-AE1");
    ONEM2M_SAE_table_free(t);
}
END_TEST

/*- del --------------------------------------------------------------- */

START_TEST(del_keeps_comments_and_order)
{
    const char  *out;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "del",
                            "AE123456789012-Lock@in.provider.com", NULL), 0);
    ku_assert_file_is(ku_table,
        "# door locks\n"
        "\n"
        "# the seed spells it Cllock-AE2\n"
        "Clock-AE2\t12345678abcdefab\tAE123456789015-Lock@in.provider.com\n");
}
END_TEST

/* revoke is del on a text table too, as on the fleet's stores */
START_TEST(revoke_is_del)
{
    const char  *out;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "revoke",
                            "AE123456789012-Lock@in.provider.com", NULL), 0);
    ku_assert_has(out, "deleted KpsaID AE123456789012-Lock@in.provider.com "
                  "of Clock-AE1");
    ck_assert_uint_eq(ku_count(ku_table), 1);
}
END_TEST

START_TEST(del_by_entity_needs_yes)
{
    const char  *out;
    ino_t        ino;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "rotate",
                            "Clock-AE2", NULL), 0);
    ck_assert_uint_eq(ku_count(ku_table), 3);
    ino = table_ino();

    /* stdin is not a terminal: no question, no deletion */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "del", "--entity",
                            "Clock-AE2", NULL), 1);
    ku_assert_has(out, "del --entity Clock-AE2 would delete 2 credentials: "
                  "add --yes to confirm; nothing changed");
    ck_assert_int_eq(table_ino(), ino);
    ck_assert_uint_eq(ku_count(ku_table), 3);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "del", "--entity",
                            "Clock-AE9", "--yes", NULL), 1);
    ku_assert_has(out, "no credential of Clock-AE9; nothing changed");

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "del", "--entity",
                            "Clock-AE2", "--yes", NULL), 0);
    ck_assert_uint_eq(ku_count(ku_table), 1);
    ku_assert_file_is(ku_table,
        "# door locks\n"
        "\n"
        "Clock-AE1   1a2b3c4d5e6f7a8b   AE123456789012-Lock@in.provider.com\n"
        "# the seed spells it Cllock-AE2\n");
}
END_TEST

/*- list and check: never a key --------------------------------------- */

START_TEST(list_shows_no_key_material)
{
    const char  *out;

    ku_write(ku_table,
             "Cdoor-1  " KEY16_HEX "  door1@m2m.example\n"
             "# Cdoor-2  " SECRET_HEX "  commented@m2m.example\n"
             "/mn-cse  0x" SECRET_HEX SECRET_HEX "  mn@m2m.example\n",
             0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "list", NULL), 0);
    ck_assert_str_eq(out,
        "ENTITY   KPSA-ID            BYTES  LINE\n"
        "Cdoor-1  door1@m2m.example     16  1\n"
        "/mn-cse  mn@m2m.example        32  3\n");
    ku_assert_no_hex(out, KEY16_HEX);
    ku_assert_no_hex(out, SECRET_HEX);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "list", "/mn-cse",
                            NULL), 0);
    ck_assert_str_eq(out,
        "ENTITY   KPSA-ID            BYTES  LINE\n"
        "/mn-cse  mn@m2m.example        32  3\n");
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "list", "Cnone",
                            NULL), 1);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_path("missing"), "list",
                            NULL), 1);
    ku_assert_has(out, "missing: cannot open (No such file or directory)");
}
END_TEST

START_TEST(check_reports_like_nginx)
{
    const char  *out;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "check", NULL), 0);
    ku_assert_has(out, "[warn] ");
    ku_assert_has(out, "kpsa.table:3: key of KpsaID "
                  "AE123456789012-Lock@in.provider.com is only 8 bytes");
    ku_assert_has(out, "kpsa.table:5: key of KpsaID");
    ku_assert_has(out, "2 credentials, 2 warnings: the table loads");

    /* every error, each with its line; no key, not even a bad one */
    ku_write(ku_table,
             "# broken\n"
             "Cok    " KEY16_HEX "  ok@m2m.example\n"
             "Cbad   " SECRET_HEX "  not-a-kpsa-id\n"
             "Cbad2  " SECRET_HEX "zz  bad2@m2m.example\n"
             "Cdup   " SECRET_HEX "  ok@m2m.example\n"
             "Xnot   " SECRET_HEX "  x@m2m.example\n",
             0644);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "check", NULL), 1);
    ku_assert_has(out, "[warn] ");
    ku_assert_has(out, "kpsa.table: keys readable by group or others "
                  "(mode 0644, use 0600)");
    ku_assert_has(out, "[emerg] ");
    ku_assert_has(out, "kpsa.table:3: malformed KpsaID (expected "
                  "<relative-id>@<fqdn>)");
    ku_assert_has(out, "kpsa.table:4: key is not hexadecimal");
    ku_assert_has(out, "kpsa.table:5: duplicate KpsaID ok@m2m.example (first "
                  "defined on line 2)");
    ku_assert_has(out, "kpsa.table:6: malformed entity id");
    ku_assert_has(out, "the table does not load: nginx -t would fail");
    ku_assert_no_hex(out, SECRET_HEX);
    ku_assert_no_hex(out, KEY16_HEX);
}
END_TEST

/* a table that does not load is not edited: fix it first */
START_TEST(malformed_tables_are_not_edited)
{
    static const char  *bad[] = {
        "Clock-AE1 1a2b3c4d5e6f7a8b\n",                     /* 2 columns */
        "Clock-AE1 1a2b3c4d5e6f7a8 a@b.c\n",                /* odd hex */
        "Clock-AE1 1a2b a@b.c extra\n",                     /* 4 columns */
        "Clock-AE1 1a2b a@b.c\nClock-AE2 1a2b a@b.c\n",     /* duplicate */
        "Clock-AE1 1a2b a@b.c\n\xff\n",                     /* not UTF-8 */
    };
    const char  *out;
    char        *before;
    size_t       i;

    for (i = 0; i < CK_N(bad); i++) {
        ku_write(ku_table, bad[i], 0600);
        before = ku_read(ku_table, NULL);
        ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add",
                                "Clock-AE3", "--fqdn", "x.example", NULL),
                         1);
        ku_assert_has(out, "the table does not load; fix these lines first");
        ku_assert_has(out, "kpsa.table:");
        ku_assert_file_is(ku_table, before);
        ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "list", NULL),
                         1);
        ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "check", NULL),
                         1);
        free(before);
    }
}
END_TEST

/*- files: mode, owner, creation -------------------------------------- */

START_TEST(mode_0600_owner_and_group_kept)
{
    const char   *out;
    struct stat   st;

    ck_assert_int_eq(chmod(ku_table, 0644), 0);
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(ku_table, 1234, 5678), 0);
    } else {
        CK_SKIP_PART("not root: the owner and group kept");
    }
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            NULL), 0);
    ku_assert_has(out, "kpsa.table: mode was 0644, is 0600 now");
    ck_assert_int_eq(stat(ku_table, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    if (geteuid() == 0) {
        ck_assert_int_eq(st.st_uid, 1234);
        ck_assert_int_eq(st.st_gid, 5678);
    }
}
END_TEST

START_TEST(add_creates_a_missing_table)
{
    const char   *out;
    struct stat   st;

    ck_assert_int_eq(unlink(ku_table), 0);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            NULL), 1);
    ku_assert_has(out, "kpsa.table has no KpsaID to take the domain from");
    ck_assert_int_eq(access(ku_table, F_OK), -1);       /* not left empty */

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--fqdn", "in.provider.com", NULL), 0);
    ku_assert_has(out, "kpsa.table: created");
    ck_assert_int_eq(stat(ku_table, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_uint_eq(ku_count(ku_table), 1);

    /* rotate and del do not create */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_path("other"), "rotate",
                            "Clock-AE3", NULL), 1);
    ck_assert_int_eq(access(ku_path("other"), F_OK), -1);
}
END_TEST

/* a symlinked table stays a symlink: the file it points to is written */
START_TEST(symlinked_table_stays_a_link)
{
    const char   *out;
    char          link[160];
    struct stat   st;

    snprintf(link, sizeof(link), "%s/link.table", ku_dir);
    ck_assert_int_eq(symlink("kpsa.table", link), 0);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", link, "add", "Clock-AE3",
                            NULL), 0);
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert_msg(S_ISLNK(st.st_mode), "the link was replaced");
    ck_assert_uint_eq(ku_count(ku_table), 3);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", link, "del", "--entity",
                            "Clock-AE3", "--yes", NULL), 0);
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ku_assert_file_is(ku_table, SEED);
}
END_TEST

/*- import and export ------------------------------------------------- */

START_TEST(import_needs_a_mapping)
{
    const char  *out;
    ino_t        ino = table_ino();

    ku_write(ku_path("keys.psk"), "door3@in.provider.com:" KEY16_HEX "\n",
             0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), NULL), 1);
    ku_assert_has(out, "import needs --map FILE");
    ku_assert_has(out, "an entity is never guessed");
    assert_untouched(ino);

    ku_write(ku_path("map"), "# identity entity\n"
                             "other@in.provider.com  Clock-AE9\n", 0644);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--map", ku_path("map"),
                            NULL), 1);
    ku_assert_has(out, "keys.psk:1: identity door3@in.provider.com has no "
                  "entity in ");
    ku_assert_has(out, "import never guesses one");
    ku_assert_no_hex(out, KEY16_HEX);
    assert_untouched(ino);
}
END_TEST

START_TEST(import_psktool_and_stunnel)
{
    const char        *out;
    unsigned char      want[64];
    ONEM2M_SAE_TABLE  *t;

    ku_write(ku_path("keys.psk"),
             "# psktool -u door3@in.provider.com -p keys.psk\n"
             "door3@in.provider.com:" KEY16_HEX "\n"
             "door4@in.provider.com:" SECRET_HEX "\r\n",
             0600);
    ku_write(ku_path("map"), "door3@in.provider.com Clock-AE3\n"
                             "door4@in.provider.com  /mn-cse/Clock-AE4\n",
             0644);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--map", ku_path("map"),
                            NULL), 0);
    ku_assert_has(out, "kpsa.table:6: imported 2 credentials from ");
    ku_assert_no_hex(out, KEY16_HEX);
    ku_assert_no_hex(out, SECRET_HEX);

    /* stunnel: a hex key is binary, any other key is its text */
    ku_write(ku_path("psk.txt"),
             "lock5@in.provider.com:oaP4EishaeSaishei6rio6xeeph3az\n"
             "lock6@in.provider.com:" KEY16_HEX "\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("psk.txt"), "--format", "stunnel",
                            "--entity", "Clock-AE5", NULL), 0);

    t = ku_open(ku_table);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 6);
    harness_unhex(KEY16_HEX, want, sizeof(want));
    ku_assert_credential(t, "door3@in.provider.com", "Clock-AE3", want, 16);
    ck_assert_str_eq(ku_entity_of(t, "door4@in.provider.com", NULL, NULL),
                     "/mn-cse/Clock-AE4");
    ku_assert_credential(t, "lock5@in.provider.com", "Clock-AE5",
                         (const unsigned char *)
                         "oaP4EishaeSaishei6rio6xeeph3az", 30);
    ku_assert_credential(t, "lock6@in.provider.com", "Clock-AE5", want, 16);
    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(import_refuses_bad_lines)
{
    const char  *out;
    ino_t        ino = table_ino();

    ku_write(ku_path("keys.psk"),
             "good@in.provider.com:" KEY16_HEX "\n"
             "no colon here\n"
             "bad id:" KEY16_HEX "\n"
             "short@in.provider.com:1a2b3c4d5e6f7a8b\n"
             "nothex@in.provider.com:" SECRET_HEX "zz\n"
             "AE123456789012-Lock@in.provider.com:" KEY16_HEX "\n"
             "good@in.provider.com:" SECRET_HEX "\n",
             0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--entity", "Cx", NULL), 1);
    ku_assert_has(out, "keys.psk:2: expected \"<identity>:<key>\"");
    ku_assert_has(out, "keys.psk:3: identity \"bad id\" is not a KpsaID");
    ku_assert_has(out, "keys.psk:4: the key of short@in.provider.com is only "
                  "8 bytes");
    ku_assert_has(out, "keys.psk:5: key of nothex@in.provider.com is not 1 to "
                  "512 bytes in hex");
    ku_assert_has(out, "keys.psk:6: KpsaID AE123456789012-Lock@in.provider.com "
                  "is already in ");
    ku_assert_has(out, "5 errors; nothing imported");
    ku_assert_no_hex(out, KEY16_HEX);
    ku_assert_no_hex(out, SECRET_HEX);
    assert_untouched(ino);

    /* the same identity twice in one file */
    ku_write(ku_path("keys.psk"),
             "good@in.provider.com:" KEY16_HEX "\n"
             "\n"
             "good@in.provider.com:" SECRET_HEX "\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--entity", "Cx", NULL), 1);
    ku_assert_has(out, "keys.psk:3: identity good@in.provider.com repeats "
                  "line 1");
    assert_untouched(ino);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "import",
                            ku_path("keys.psk"), "--entity", "Xbad", NULL),
                     1);
    ku_assert_has(out, "malformed entity id \"Xbad\"");
    assert_untouched(ino);
}
END_TEST

START_TEST(export_round_trip)
{
    const char   *out;
    char         *text;
    struct stat   st;

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "export", NULL), 0);
    ck_assert_str_eq(out,
                     "AE123456789012-Lock@in.provider.com:1a2b3c4d5e6f7a8b\n"
                     "AE123456789015-Lock@in.provider.com:12345678abcdefab\n");

    /* stunnel refuses keys under 16 bytes: so does its export */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "export",
                            "--format", "stunnel", "-o", ku_path("psk.txt"),
                            NULL), 1);
    ku_assert_has(out, "kpsa.table:3: the key of "
                  "AE123456789012-Lock@in.provider.com is only 8 bytes, "
                  "stunnel refuses keys under 16; nothing exported");
    ck_assert_int_eq(access(ku_path("psk.txt"), F_OK), -1);

    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE3",
                            "--kpsa-id", "door3@in.provider.com", NULL), 0);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "export",
                            "--format", "stunnel", "--entity", "Clock-AE3",
                            "-o", ku_path("psk.txt"), NULL), 0);
    ck_assert_int_eq(stat(ku_path("psk.txt"), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    text = ku_read(ku_path("psk.txt"), NULL);
    ck_assert_int_eq(strncmp(text, "door3@in.provider.com:", 22), 0);
    ck_assert_uint_eq(strlen(text), 22 + 32 + 1);

    /* and back into another table, mapped to its entity */
    ku_write(ku_path("map"), "door3@in.provider.com Clock-AE3\n", 0600);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_path("t2"), "import",
                            ku_path("psk.txt"), "--map", ku_path("map"),
                            NULL), 0);
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_path("t2"), "export", NULL),
                     0);
    ck_assert_str_eq(out, text);
    free(text);
}
END_TEST

/*- concurrency and crashes ------------------------------------------- */

#define WRITERS   2
#define ADDS      50

/* two processes, 50 adds each, at once: not one add may be lost */
START_TEST(concurrent_writers_lose_nothing)
{
    pid_t              pid[WRITERS];
    int                w, i, status;
    char               entity[32], id[64];
    ONEM2M_SAE_TABLE  *t;

    for (w = 0; w < WRITERS; w++) {
        pid[w] = fork();
        ck_assert_int_ge(pid[w], 0);
        if (pid[w] == 0) {
            for (i = 0; i < ADDS; i++) {
                char  *argv[] = { KU_TOOL, "-q", "-f", ku_table, "add",
                                  entity, "--kpsa-id", id, NULL };

                snprintf(entity, sizeof(entity), "Cw%d-%d", w, i);
                snprintf(id, sizeof(id), "w%d-%d@in.provider.com", w, i);
                if (harness_run(argv, NULL, 20000, NULL) != 0) {
                    _exit(1);
                }
            }
            _exit(0);
        }
    }

    for (w = 0; w < WRITERS; w++) {
        ck_assert_int_eq(waitpid(pid[w], &status, 0), pid[w]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "writer %d failed", w);
    }

    t = ku_open(ku_table);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 2 + WRITERS * ADDS);
    for (w = 0; w < WRITERS; w++) {
        for (i = 0; i < ADDS; i++) {
            snprintf(entity, sizeof(entity), "Cw%d-%d", w, i);
            snprintf(id, sizeof(id), "w%d-%d@in.provider.com", w, i);
            ck_assert_str_eq(ku_entity_of(t, id, NULL, NULL), entity);
        }
    }
    ONEM2M_SAE_table_free(t);
    ck_assert_int_eq(ku_temp_files(), 0);
}
END_TEST

/*
 * Starts "add" with the test hook ONEM2M_KPSA_TEST_PAUSE=point, waits
 * until it says it paused there, and kills it with SIGKILL.
 */
static void
kill_add_at(const char *point)
{
    int            p[2], status;
    pid_t          pid;
    char           buf[512];
    size_t         len = 0;
    ssize_t        n;
    struct pollfd  pfd;

    ck_assert_int_eq(pipe(p), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("ONEM2M_KPSA_TEST_PAUSE", point, 1);
        dup2(p[1], 2);
        close(p[0]);
        execl(KU_TOOL, KU_TOOL, "-f", ku_table, "add", "Clock-AE3", NULL);
        _exit(127);
    }
    close(p[1]);

    pfd.fd = p[0];
    pfd.events = POLLIN;
    buf[0] = '\0';
    while (strstr(buf, "test pause at") == NULL) {
        ck_assert_msg(poll(&pfd, 1, harness_timeout_ms(10000)) == 1,
                      "no pause at %s: %s", point, buf);
        n = read(p[0], buf + len, sizeof(buf) - 1 - len);
        ck_assert_msg(n > 0, "exited before the pause at %s: %s", point, buf);
        len += n;
        buf[len] = '\0';
    }
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(p[0]);
}

START_TEST(killed_writer_leaves_old_or_new)
{
    const char  *out;
    char        *now;

    /* killed with half of the new table in the temporary file */
    kill_add_at("write");
    ku_assert_file_is(ku_table, SEED);
    ck_assert_uint_eq(ku_count(ku_table), 2);
    ck_assert_int_eq(ku_temp_files(), 1);

    /* killed between fsync and rename: still the old table (this writer
       removed the first one's temporary file, under the lock) */
    kill_add_at("rename");
    ku_assert_file_is(ku_table, SEED);
    ck_assert_int_eq(ku_temp_files(), 1);

    /* the next writer removes what the killed ones left */
    ck_assert_int_eq(ku_run(NULL, &out, "-f", ku_table, "add", "Clock-AE4",
                            NULL), 0);
    ku_assert_has(out, "left by an interrupted run");
    ck_assert_int_eq(ku_temp_files(), 0);
    ck_assert_uint_eq(ku_count(ku_table), 3);

    /* killed after the rename: the whole new table */
    now = ku_read(ku_table, NULL);
    kill_add_at("renamed");
    ck_assert_uint_eq(ku_count(ku_table), 4);
    {
        char  *after = ku_read(ku_table, NULL);

        ck_assert_int_eq(strncmp(after, now, strlen(now)), 0);
        ck_assert_ptr_nonnull(strstr(after + strlen(now), "Clock-AE3  "));
        free(after);
    }
    free(now);
    ck_assert_int_eq(ku_temp_files(), 0);
}
END_TEST

/*
 * No hook: a table large enough for writing to take a while, and writers
 * killed at spread-out moments.  Each time the table loads, with the old
 * or the new count of credentials.
 */
START_TEST(killed_writer_large_table)
{
    FILE             *f;
    int               i, status, rounds = 12;
    size_t            count, before;
    pid_t             pid;
    struct timespec   ts;
    long long         t0, took_ns, wait_ns;

    f = fopen(ku_table, "w");
    ck_assert_ptr_nonnull(f);
    for (i = 0; i < 100000; i++) {
        fprintf(f, "# credential %d\nCbig-%d  %032x  big-%d@in.provider.com\n",
                i, i, i + 1, i);
    }
    ck_assert_int_eq(fclose(f), 0);
    chmod(ku_table, 0600);
    before = ku_count(ku_table);
    ck_assert_uint_eq(before, 100000);

    /* one undisturbed run: how long a write of this table takes here */
    t0 = harness_now_us();
    ck_assert_int_eq(ku_run(NULL, NULL, "-q", "-f", ku_table, "add",
                            "Clock-AE2", NULL), 0);
    took_ns = (harness_now_us() - t0) * 1000;
    before = ku_count(ku_table);
    ck_assert_uint_eq(before, 100001);

    for (i = 0; i < rounds; i++) {
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            int  null = open("/dev/null", O_WRONLY);

            dup2(null, 1);
            dup2(null, 2);
            execl(KU_TOOL, KU_TOOL, "-f", ku_table, "add", "Clock-AE3",
                  NULL);
            _exit(127);
        }
        /* spread over the run: reading, parsing, writing, renaming */
        wait_ns = took_ns * (2 * i + 1) / (2 * rounds);
        ts.tv_sec = wait_ns / 1000000000LL;
        ts.tv_nsec = wait_ns % 1000000000LL;
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);

        count = ku_count(ku_table);
        ck_assert_msg(count == before || count == before + 1,
                      "round %d: %zu credentials, %zu before", i, count,
                      before);
        before = count;
    }
}
END_TEST

Suite *kpsa_suite(void)
{
    return CK_SUITE("kpsa",
                    CK_TCASE("commands", setup, ku_teardown,
                             harness_timeout_ms(30000) / 1000.0),
                    CK_TEST(help_names_every_command),
                    CK_TEST(man_page_is_clean),
                    CK_TEST(add_generates_a_credential),
                    CK_TEST(add_with_given_id_length_and_key),
                    CK_TEST(short_keys_need_force),
                    CK_TEST(bad_input_leaves_the_table_alone),
                    CK_TEST(rotate_adds_a_second_kpsa_id),
                    CK_TEST(del_keeps_comments_and_order),
                    CK_TEST(revoke_is_del),
                    CK_TEST(del_by_entity_needs_yes),
                    CK_TEST(list_shows_no_key_material),
                    CK_TEST(check_reports_like_nginx),
                    CK_TEST(malformed_tables_are_not_edited),
                    CK_TEST(mode_0600_owner_and_group_kept),
                    CK_TEST(add_creates_a_missing_table),
                    CK_TEST(symlinked_table_stays_a_link),
                    CK_TEST(import_needs_a_mapping),
                    CK_TEST(import_psktool_and_stunnel),
                    CK_TEST(import_refuses_bad_lines),
                    CK_TEST(export_round_trip),
                    CK_TCASE("atomicity", setup, ku_teardown,
                             harness_timeout_ms(120000) / 1000.0),
                    CK_TEST(concurrent_writers_lose_nothing),
                    CK_TEST(killed_writer_leaves_old_or_new),
                    CK_TEST(killed_writer_large_table));
}
