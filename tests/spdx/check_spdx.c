/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The licence line: tools/check-spdx on this tree (every tracked source
 * file carries "SPDX-License-Identifier: BSD-2-Clause"), and on a
 * throwaway git repository, that it names exactly the files without one.
 * A file another branch adds without the line fails this suite at merge.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <check.h>

#include "check_cases.h"

#define CHECK_SPDX  TOP_SRCDIR "/tools/check-spdx"

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
write_file(const char *dir, const char *name, const char *text, int mode)
{
    char   path[512];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_tree_carries_spdx)
{
    static char  out[65536];
    int          rc;

    rc = run(CHECK_SPDX " " TOP_SRCDIR " 2>&1", out, sizeof(out));

    /* a tree from a tarball: nothing is tracked, nothing to check */
    if (rc == 2 && strstr(out, "is not a git checkout") != NULL) {
        CK_SKIP("the tree is not a git checkout");
    }

    ck_assert_msg(rc == 0, "tracked source files without the SPDX line "
                  "(exit %d):\n%s", rc, out);
    ck_assert_msg(strstr(out, "tracked source files carry") != NULL,
                  "unexpected output: %s", out);
}
END_TEST

/* what check-spdx must say about the repository test_missing_lines_named
 * builds, and the files it must not name */
static const char  *named[] = {
    "check-spdx: bad.h: line 1 is not "
        "\"/* SPDX-License-Identifier: BSD-2-Clause */\"",
    "check-spdx: bad.py: line 1 is not "
        "\"# SPDX-License-Identifier: BSD-2-Clause\"",
    "check-spdx: Makefile: line 1 ",
    "check-spdx: config: line 1 ",
    "check-spdx: late-run: line 2 ",
    "check-spdx: other.c: line 1 ",
    "check-spdx: 6 of 10 tracked source files lack",
};

static const char  *not_named[] = {
    "ok.c", "ok-run", "ok.sql", "ok.1", "data", "untracked.c",
};

START_TEST(test_missing_lines_named)
{
    static char  out[8192];
    char         dir[] = "/tmp/onem2m-spdx-XXXXXX";
    char         cmd[1024];
    size_t       i;
    int          rc;

    ck_assert_ptr_nonnull(mkdtemp(dir));

    write_file(dir, "ok.c",
               "/* SPDX-License-Identifier: BSD-2-Clause */\nint x;\n", 0644);
    write_file(dir, "ok-run", "#!/bin/sh\n"
               "# SPDX-License-Identifier: BSD-2-Clause\ntrue\n", 0755);
    write_file(dir, "ok.sql",
               "-- SPDX-License-Identifier: BSD-2-Clause\nSELECT 1;\n", 0644);
    write_file(dir, "ok.1",
               ".\\\" SPDX-License-Identifier: BSD-2-Clause\n.TH X 1\n", 0644);
    write_file(dir, "data", "no licence line, not a source file\n", 0644);
    write_file(dir, "bad.h", "/* no licence */\n", 0644);
    write_file(dir, "bad.py", "print(1)\n", 0644);
    write_file(dir, "Makefile", "all:\n", 0644);
    write_file(dir, "config", "ngx_addon_name=x\n", 0644);
    write_file(dir, "late-run",
               "#!/bin/sh\ntrue\n# SPDX-License-Identifier: BSD-2-Clause\n",
               0755);
    write_file(dir, "other.c",
               "/* SPDX-License-Identifier: MIT */\nint y;\n", 0644);

    snprintf(cmd, sizeof(cmd), "git -C %s init -q && git -C %s add . "
             "&& printf 'int z;\\n' > %s/untracked.c", dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);

    snprintf(cmd, sizeof(cmd), CHECK_SPDX " %s 2>&1", dir);
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
    char  dir[] = "/tmp/onem2m-spdx-XXXXXX";
    char  cmd[256];
    int   rc;

    ck_assert_ptr_nonnull(mkdtemp(dir));

    snprintf(cmd, sizeof(cmd), "GIT_CEILING_DIRECTORIES=/tmp "
             CHECK_SPDX " %s 2>&1", dir);
    rc = run(cmd, out, sizeof(out));

    ck_assert_msg(rc == 2, "exit %d, expected 2: %s", rc, out);
    ck_assert_msg(strstr(out, "is not a git checkout") != NULL, "%s", out);

    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *spdx_suite(void)
{
    return CK_SUITE("spdx",
                    CK_TCASE("licence line", NULL, NULL, 30),
                    CK_TEST(test_tree_carries_spdx),
                    CK_TEST(test_missing_lines_named),
                    CK_TEST(test_not_a_checkout));
}
