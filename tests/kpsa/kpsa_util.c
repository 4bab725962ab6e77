/* SPDX-License-Identifier: BSD-2-Clause */
/* helpers of the onem2m-kpsa suites (kpsa_util.h) */

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <check.h>

#include "common/harness.h"
#include "kpsa/kpsa_util.h"

char         ku_dir[64];
char         ku_table[128];
static char *ku_out;

void
ku_setup(void)
{
    snprintf(ku_dir, sizeof(ku_dir), "/tmp/kpsa-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(ku_dir));
    snprintf(ku_table, sizeof(ku_table), "%s/kpsa.table", ku_dir);
}

void
ku_setup_table(const char *text)
{
    ku_setup();
    ku_write(ku_table, text, 0600);
}

void
ku_teardown(void)
{
    char  *argv[] = { "rm", "-rf", ku_dir, NULL };

    harness_run(argv, NULL, 10000, NULL);
    free(ku_out);
    ku_out = NULL;
}

const char *
ku_path(const char *name)
{
    static char  path[4][256];
    static int   i;

    i = (i + 1) % 4;
    snprintf(path[i], sizeof(path[i]), "%s/%s", ku_dir, name);
    return path[i];
}

int
ku_run(const char *in, const char **out, ...)
{
    char     *argv[32];
    int       n = 0, rc;
    va_list   ap;

    argv[n++] = KU_TOOL;
    va_start(ap, out);
    while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL) {
        n++;
    }
    va_end(ap);
    argv[n] = NULL;

    free(ku_out);
    ku_out = NULL;
    rc = harness_run(argv, in, harness_timeout_ms(20000), &ku_out);
    if (out != NULL) {
        *out = ku_out != NULL ? ku_out : "";
    }
    return rc;
}

void
ku_write(const char *path, const char *text, mode_t mode)
{
    FILE  *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

char *
ku_read(const char *path, size_t *lenp)
{
    FILE    *f = fopen(path, "r");
    char    *buf;
    size_t   len = 0, cap = 65536, n;

    if (f == NULL) {
        return NULL;
    }
    buf = malloc(cap + 1);
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[len] = '\0';
    if (lenp != NULL) {
        *lenp = len;
    }
    return buf;
}

void
ku_assert_file_is(const char *path, const char *text)
{
    char  *now = ku_read(path, NULL);

    ck_assert_ptr_nonnull(now);
    ck_assert_msg(strcmp(now, text) == 0, "%s changed:\n%s", path, now);
    free(now);
}

static void
ku_diag(void *arg, int severity, const char *msg)
{
    (void) arg;
    (void) severity;
    (void) msg;
}

ONEM2M_SAE_TABLE *
ku_open(const char *path)
{
    return ONEM2M_SAE_table_open(NULL, BUILD_DIR "/provider", path, ku_diag,
                                 NULL);
}

size_t
ku_count(const char *path)
{
    ONEM2M_SAE_TABLE  *t = ku_open(path);
    size_t             n;

    if (t == NULL) {
        return (size_t) -1;
    }
    n = ONEM2M_SAE_table_count(t);
    ONEM2M_SAE_table_free(t);
    return n;
}

const char *
ku_entity_of(ONEM2M_SAE_TABLE *t, const char *id, unsigned char *key,
    size_t *key_len)
{
    const ONEM2M_SAE_ENTRY  *e;

    e = ONEM2M_SAE_table_lookup(t, id, strlen(id));
    if (e == NULL) {
        return NULL;
    }
    if (key != NULL) {
        memcpy(key, e->key, e->key_len);
        *key_len = e->key_len;
    }
    return e->entity;
}

void
ku_assert_credential(ONEM2M_SAE_TABLE *t, const char *id, const char *entity,
    const unsigned char *key, size_t key_len)
{
    unsigned char  got[600];
    size_t         got_len;

    ck_assert_str_eq(ku_entity_of(t, id, got, &got_len), entity);
    ck_assert_uint_eq(got_len, key_len);
    ck_assert_mem_eq(got, key, key_len);
}

static const char *
field_after(const char *out, const char *label)
{
    static char  buf[2][600];
    static int   i;
    const char  *p = strstr(out, label);
    size_t       n;

    if (p == NULL) {
        return NULL;
    }
    p += strlen(label);
    p += strspn(p, " ");
    n = strcspn(p, "\n");
    i = !i;
    if (n >= sizeof(buf[i])) {
        n = sizeof(buf[i]) - 1;
    }
    memcpy(buf[i], p, n);
    buf[i][n] = '\0';
    return buf[i];
}

const char *
ku_added_id(const char *out)
{
    return field_after(out, "KpsaID:");
}

const char *
ku_added_key(const char *out)
{
    return field_after(out, "\nKpsa:");
}

void
ku_assert_has(const char *out, const char *needle)
{
    ck_assert_msg(strstr(out, needle) != NULL, "expected \"%s\" in:\n%s",
                  needle, out);
}

void
ku_assert_no_hex(const char *text, const char *hex)
{
    char    up[1100];
    size_t  i;

    for (i = 0; hex[i] != '\0' && i < sizeof(up) - 1; i++) {
        up[i] = (char) toupper((unsigned char) hex[i]);
    }
    up[i] = '\0';
    ck_assert_msg(strstr(text, hex) == NULL && strstr(text, up) == NULL,
                  "key material in the output");
}

int
ku_temp_files(void)
{
    DIR            *d = opendir(ku_dir);
    struct dirent  *de;
    int             n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, ".kpsa.table.kpsa-", 17) == 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}
