/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The layout tables: tools/check-layout on this tree (every tracked source
 * file is in HACKING.md's layout block or its internals table, every file
 * those tables name exists, and HACKING's suite table puts each suite
 * under its folder), and on a throwaway git repository with undocumented
 * files, stale entries and a misfiled suite, that it names exactly those.
 * A file another branch adds, moves or deletes without its table row
 * fails this suite at merge.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <check.h>

#include "check_cases.h"

#define CHECK_LAYOUT  TOP_SRCDIR "/tools/check-layout"

/* runs cmd through sh, its stdout + stderr into out; returns the exit code */
static int
run(const char *cmd, char *out, size_t size)
{
    FILE    *p;
    size_t   n, len = 0;
    int      status;

    p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s", cmd);

    while (len + 1 < size
           && (n = fread(out + len, 1, size - 1 - len, p)) > 0)
    {
        len += n;
    }
    out[len] = '\0';

    status = pclose(p);
    ck_assert_msg(WIFEXITED(status), "%s did not exit", cmd);

    return WEXITSTATUS(status);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
    char   path[512];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_tree_matches_tables)
{
    static char  out[65536];
    int          rc;

    rc = run(CHECK_LAYOUT " " TOP_SRCDIR " 2>&1", out, sizeof(out));

    /* a tree from a tarball: nothing is tracked, nothing to check */
    if (rc == 2 && strstr(out, "is not a git checkout") != NULL) {
        CK_SKIP("the tree is not a git checkout");
    }

    ck_assert_msg(rc == 0, "the layout tables and the tree disagree "
                  "(exit %d):\n%s", rc, out);
    ck_assert_msg(strstr(out, "every file they name exists") != NULL,
                  "unexpected output: %s", out);
}
END_TEST

/* a tree whose tables name every file but provider/src/new.c and
 * tools/new-tool, and name gone.c and tools/old/, which it lacks; whose
 * suite table misses the suite extra and names gone_suite, not defined */
static const char  *hacking =
    "# Hacking\n\n## Layout\n\n```\n"
    "provider/src/\n"
    "  ok.c gone.c                   two files\n"
    "nginx-module/                 the module\n"
    "tools/                        check-spdx, old/\n"
    "tests/                        id/ (docs/testing.md)\n"
    "```\n\n## Tests\n\n| folder | through what | suites |\n|---|---|---|\n"
    "| `tests/id` | the rules (`docs/testing.md`) | `id`, `gone_suite` |\n"
    "\n## Build\n\n```\nnew.c new-tool\n```\n";

static const char  *provider_doc =
    "# Provider\n\n| file | what |\n| --- | --- |\n"
    "| `pair.{c,h}` | a brace pair |\n"
    "| `two.c`, `.h` | a comma pair |\n\n"
    "| before | after |\n| --- | --- |\n| `history.c` | `ok.c` |\n";

static const char  *module_doc =
    "# Module\n\n| file | concern |\n| --- | --- |\n"
    "| `ngx_m.c` | the module |\n";

static const char  *named[] = {
    "check-layout: provider/src/new.c: in neither HACKING.md's layout "
        "block nor a table of docs/provider-internals.md",
    "check-layout: tools/new-tool: not in HACKING.md's layout block",
    "check-layout: HACKING.md: names gone.c, which the tree does not hold",
    "check-layout: HACKING.md: names old/, which the tree does not hold",
    "check-layout: HACKING.md: suite extra (tests/id) is not in the row "
        "of tests/id of the suite table",
    "check-layout: HACKING.md: the suite table gives gone_suite under "
        "tests/id, which defines no such suite",
    "check-layout: 6 findings",
};

static const char  *not_named[] = {
    "ok.c:", "pair.c", "pair.h", "two.c", "two.h", "ngx_m.c", "history.c",
    "check-spdx", "id/", "testing.md", "untracked.c", "suite id ",
};

START_TEST(test_missing_and_stale_named)
{
    static char  out[8192];
    char         dir[] = "/tmp/onem2m-layout-XXXXXX";
    char         cmd[1024];
    size_t       i;
    int          rc;

    ck_assert_ptr_nonnull(mkdtemp(dir));

    snprintf(cmd, sizeof(cmd), "mkdir -p %s/docs %s/provider/src "
             "%s/nginx-module %s/tools %s/tests/id", dir, dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);

    write_file(dir, "HACKING.md", hacking);
    write_file(dir, "docs/provider-internals.md", provider_doc);
    write_file(dir, "docs/module-internals.md", module_doc);
    write_file(dir, "docs/testing.md", "# Testing\n");
    write_file(dir, "provider/src/ok.c", "int ok;\n");
    write_file(dir, "provider/src/pair.c", "int pc;\n");
    write_file(dir, "provider/src/pair.h", "int ph;\n");
    write_file(dir, "provider/src/two.c", "int tc;\n");
    write_file(dir, "provider/src/two.h", "int th;\n");
    write_file(dir, "provider/src/new.c", "int n;\n");
    write_file(dir, "nginx-module/ngx_m.c", "int m;\n");
    write_file(dir, "tools/check-spdx", "#!/bin/sh\n");
    write_file(dir, "tools/new-tool", "#!/bin/sh\n");
    write_file(dir, "tests/id/check_id.c",
               "Suite *id_suite(void)\n{\n    return 0;\n}\n");
    write_file(dir, "tests/id/check_extra.c",
               "Suite *extra_suite(void)\n{\n    return 0;\n}\n");

    snprintf(cmd, sizeof(cmd), "git -C %s init -q && git -C %s add . "
             "&& printf 'int z;\\n' > %s/provider/src/untracked.c",
             dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);

    snprintf(cmd, sizeof(cmd), CHECK_LAYOUT " %s 2>&1", dir);
    rc = run(cmd, out, sizeof(out));

    ck_assert_msg(rc == 1, "exit %d, expected 1:\n%s", rc, out);

    for (i = 0; i < CK_N(named); i++) {
        ck_assert_msg(strstr(out, named[i]) != NULL,
                      "\"%s\" missing from:\n%s", named[i], out);
    }

    for (i = 0; i < CK_N(not_named); i++) {
        ck_assert_msg(strstr(out, not_named[i]) == NULL,
                      "\"%s\" named in:\n%s", not_named[i], out);
    }

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_not_a_checkout)
{
    char  out[1024];
    char  dir[] = "/tmp/onem2m-layout-XXXXXX";
    char  cmd[256];
    int   rc;

    ck_assert_ptr_nonnull(mkdtemp(dir));

    snprintf(cmd, sizeof(cmd), "GIT_CEILING_DIRECTORIES=/tmp "
             CHECK_LAYOUT " %s 2>&1", dir);
    rc = run(cmd, out, sizeof(out));

    ck_assert_msg(rc == 2, "exit %d, expected 2: %s", rc, out);
    ck_assert_msg(strstr(out, "is not a git checkout") != NULL, "%s", out);

    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *layout_suite(void)
{
    return CK_SUITE("layout",
                    CK_TCASE("layout tables", NULL, NULL, 30),
                    CK_TEST(test_tree_matches_tables),
                    CK_TEST(test_missing_and_stale_named),
                    CK_TEST(test_not_a_checkout));
}
