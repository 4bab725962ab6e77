/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The credentials of "make bench-tls": the tables psk_load writes load
 * through the provider as they are (no error, no warning), and the one
 * credential the ceiling module hard-codes is identity 0 of the same
 * generator.  The benchmark itself is not a test; this keeps its inputs
 * from rotting when the table grammar or the generator changes.
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <onem2m_sae.h>

#include "check_cases.h"
#include "../provider/table_util.h"

#define PSK_LOAD  BUILD_DIR "/bench/psk_load"
#define CEILING   TOP_SRCDIR "/bench/ceiling/ngx_http_bench_psk_ceiling_module.c"

/* the string of '#define NAME  "..."' in the ceiling module's source */
static const char *
ceiling_define(const char *name, char *buf, size_t size)
{
    FILE    *f;
    char     line[256], *p, *q;
    size_t   n = strlen(name);

    buf[0] = '\0';
    f = fopen(CEILING, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "#define ", 8) == 0
            && strncmp(line + 8, name, n) == 0 && line[8 + n] == ' '
            && (p = strchr(line, '"')) != NULL
            && (q = strchr(p + 1, '"')) != NULL && (size_t) (q - p) <= size)
        {
            memcpy(buf, p + 1, (size_t) (q - p - 1));
            buf[q - p - 1] = '\0';
            break;
        }
    }
    fclose(f);
    ck_assert_msg(buf[0] != '\0', "no #define %s in %s", name, CEILING);
    return buf;
}

START_TEST(test_kpsa_table_loads)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;
    char                     out[4096];

    ck_assert_int_eq(tu_run(tu_fmt("%s table 3 kpsa %s/bench.table", PSK_LOAD,
                                   tu_dir()), out, sizeof(out)), 0);
    t = tu_open_uri(tu_fmt("kpsa:%s/bench.table", tu_dir()));
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ONEM2M_SAE_table_count(t), 3);
    ck_assert_uint_eq(tu_nerrors, 0);
    ck_assert_uint_eq(tu_nwarnings, 0);

    e = tu_lookup(t, "bench0000002@bench.example");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->entity, "Cbench0000002");
    ck_assert_uint_eq(e->entity_type, ONEM2M_SAE_ENTITY_AE);
    ck_assert_uint_eq(e->key_len, 16);
    ck_assert_ptr_null(tu_lookup(t, "bench0000003@bench.example"));

    ONEM2M_SAE_table_free(t);
}
END_TEST

START_TEST(test_ceiling_is_identity_0)
{
    ONEM2M_SAE_TABLE        *t;
    const ONEM2M_SAE_ENTRY  *e;
    char                     out[4096], id[128], key[128], hex[64];
    size_t                   i;

    ceiling_define("BENCH_IDENTITY", id, sizeof(id));
    ceiling_define("BENCH_KEY", key, sizeof(key));
    ck_assert_uint_eq(strlen(key), 16);

    ck_assert_int_eq(tu_run(tu_fmt("%s table 2 kpsa %s/bench.table", PSK_LOAD,
                                   tu_dir()), out, sizeof(out)), 0);
    t = tu_open_uri(tu_fmt("kpsa:%s/bench.table", tu_dir()));
    ck_assert_ptr_nonnull(t);
    e = tu_lookup(t, id);
    ck_assert_msg(e != NULL, "the ceiling's identity %s is not identity 0",
                  id);
    ck_assert_uint_eq(e->key_len, 16);
    ck_assert_msg(memcmp(e->key, key, 16) == 0,
                  "the ceiling's key is not the key of identity 0");
    ONEM2M_SAE_table_free(t);

    /* what s_server is given: "psk_load identity 0", "psk_load key 0" */
    for (i = 0; i < 16; i++) {
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char) key[i]);
    }
    ck_assert_int_eq(tu_run(PSK_LOAD " key 0", out, sizeof(out)), 0);
    ck_assert_str_eq(out, tu_fmt("%s\n", hex));
    ck_assert_int_eq(tu_run(PSK_LOAD " identity 0", out, sizeof(out)), 0);
    ck_assert_str_eq(out, tu_fmt("%s\n", id));

    /* stunnel decodes hex keys: the same 16 bytes */
    ck_assert_int_eq(tu_run(tu_fmt("%s table 1 stunnel /dev/stdout",
                                   PSK_LOAD), out, sizeof(out)), 0);
    ck_assert_str_eq(out, tu_fmt("%s:%s\n", id, hex));
}
END_TEST

Suite *bench_tables_suite(void)
{
    return CK_SUITE("bench_tables",
                    CK_TCASE("credentials", tu_setup, tu_teardown, 0),
                    CK_TEST(test_kpsa_table_loads),
                    CK_TEST(test_ceiling_is_identity_0));
}
