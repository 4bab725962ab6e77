/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where a source file, a script, a manual page or a packaging file names a
 * document ("docs/fleet.md", "fleet.md"), the document exists: in the tree,
 * under docs/, or beside the file.  Tracked files only (git ls-files), the
 * documents themselves not (their links are relative), URLs skipped, and
 * a name built at run time ("$top/bench/RESULTS.md", a manual page's
 * "lmdb\-store.md") not a name.
 */

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "check_cases.h"

#define LIST  "git -C " TOP_SRCDIR " ls-files conf tools provider " \
              "nginx-module debian tests bench Makefile"

static int
exists(const char *file, const char *ref)
{
    char         path[8192];
    const char  *slash = strrchr(file, '/');

    snprintf(path, sizeof(path), TOP_SRCDIR "/%s", ref);
    if (access(path, F_OK) == 0) {
        return 1;
    }
    snprintf(path, sizeof(path), TOP_SRCDIR "/docs/%s", ref);
    if (access(path, F_OK) == 0) {
        return 1;
    }
    snprintf(path, sizeof(path), TOP_SRCDIR "/%.*s/%s",
             slash ? (int) (slash - file) : 0, file, ref);
    return access(path, F_OK) == 0;
}

/* the names in file that name no document, appended to bad */
static void
check_file(const char *file, regex_t *re, char *bad, size_t size)
{
    char        path[8192], *line = NULL, ref[512];
    const char *p;
    size_t      len = 0;
    regmatch_t  m;
    FILE       *f;
    int         n = 0;

    snprintf(path, sizeof(path), TOP_SRCDIR "/%s", file);
    f = fopen(path, "r");
    if (f == NULL) {
        return;                         /* deleted in the work tree */
    }

    while (getline(&line, &len, f) >= 0) {
        n++;
        if (strstr(line, "://") != NULL) {
            continue;
        }
        for (p = line; regexec(re, p, 1, &m, p == line ? 0 : REG_NOTBOL)
                       == 0; p += m.rm_eo)
        {
            if ((m.rm_so > 0 && strchr("$\\", p[m.rm_so - 1]) != NULL)
                || m.rm_eo - m.rm_so >= (regoff_t) sizeof(ref))
            {
                continue;
            }
            snprintf(ref, sizeof(ref), "%.*s", (int) (m.rm_eo - m.rm_so),
                     p + m.rm_so);
            if (!exists(file, ref)) {
                snprintf(bad + strlen(bad), size - strlen(bad),
                         "%s:%d: %s\n", file, n, ref);
            }
        }
    }
    free(line);
    fclose(f);
}

START_TEST(named_documents_exist)
{
    static char  bad[16384];
    char         file[4096];
    regex_t      re;
    FILE        *p;

    ck_assert_int_eq(regcomp(&re, "[A-Za-z0-9_./-]*[A-Za-z0-9_]\\.md\\b",
                             REG_EXTENDED), 0);
    p = popen(LIST, "r");
    ck_assert_ptr_nonnull(p);
    bad[0] = '\0';

    while (fgets(file, sizeof(file), p) != NULL) {
        file[strcspn(file, "\n")] = '\0';
        check_file(file, &re, bad, sizeof(bad));
    }

    ck_assert_int_eq(pclose(p), 0);
    regfree(&re);
    ck_assert_msg(bad[0] == '\0', "documents named but not in the tree:\n%s",
                  bad);
}
END_TEST

Suite *doc_refs_suite(void)
{
    return CK_SUITE("doc_refs", CK_TCASE("tree", NULL, NULL, 30),
                    CK_TEST(named_documents_exist));
}
