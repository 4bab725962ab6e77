/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the built shared objects export, read with nm -D: the nginx module
 * only the three symbols ngx_load_module() looks up (its version script),
 * the provider only OSSL_provider_init (provider.map).  Everything else is
 * compiled-in library code, which in nginx's global namespace
 * (dlopen(RTLD_GLOBAL)) could clash with another module's symbols.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <check.h>

#include "check_cases.h"

#define MODULE_SO    BUILD_DIR "/nginx/objs/ngx_http_onem2m_sae_module.so"
#define PROVIDER_SO  BUILD_DIR "/provider/onem2m.so"

/*
 * Fails naming every defined dynamic symbol of so that is not in allowed,
 * and every allowed one that is missing.
 */
static void
assert_exports(const char *so, const char *const *allowed, size_t nallowed)
{
    FILE    *p;
    char     cmd[512], line[512], name[256], extra[4096], type;
    size_t   i, len;
    int      seen[8], status, n;

    ck_assert(nallowed <= CK_N(seen));
    memset(seen, 0, sizeof(seen));
    extra[0] = '\0';
    len = 0;
    n = 0;

    snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", so);
    p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s", cmd);

    while (fgets(line, sizeof(line), p) != NULL) {
        /* "<address> <type> <name>" */
        if (sscanf(line, "%*s %c %255s", &type, name) != 2) {
            continue;
        }
        n++;

        for (i = 0; i < nallowed; i++) {
            if (strcmp(name, allowed[i]) == 0) {
                seen[i] = 1;
                break;
            }
        }

        if (i == nallowed && len + strlen(name) + 4 < sizeof(extra)) {
            len += (size_t) snprintf(extra + len, sizeof(extra) - len,
                                     " %c %s\n", type, name);
        }
    }

    status = pclose(p);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s failed", cmd);
    ck_assert_msg(n > 0, "%s listed nothing", cmd);

    ck_assert_msg(len == 0, "%s exports more than it should:\n%s", so,
                  extra);

    for (i = 0; i < nallowed; i++) {
        ck_assert_msg(seen[i], "%s does not export %s", so, allowed[i]);
    }
}

START_TEST(test_module_exports)
{
    static const char *const  allowed[] = {
        "ngx_modules", "ngx_module_names", "ngx_module_order",
    };

    assert_exports(MODULE_SO, allowed, CK_N(allowed));
}
END_TEST

START_TEST(test_provider_exports)
{
    static const char *const  allowed[] = { "OSSL_provider_init" };

    assert_exports(PROVIDER_SO, allowed, CK_N(allowed));
}
END_TEST

Suite *exports_suite(void)
{
    return CK_SUITE("exports",
                    CK_TCASE("nm -D", NULL, NULL, 30),
                    CK_TEST(test_module_exports),
                    CK_TEST(test_provider_exports));
}
