/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the provider suites, see table_util.h.
 */

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <sys/wait.h>

#include "table_util.h"

char             tu_msg[TU_MAX_MSG][PATH_MAX + 600];
unsigned         tu_nmsg, tu_nerrors, tu_nwarnings;
char             tu_notice[PATH_MAX + 600];
char             tu_path[PATH_MAX + 64];

static char      tu_tmpdir[64];
static unsigned  tu_files;

void
tu_setup(void)
{
    strcpy(tu_tmpdir, "/tmp/onem2m-provider-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tu_tmpdir));
    tu_files = 0;
    tu_reset_messages();
}

void
tu_teardown(void)
{
    DIR            *dir;
    struct dirent  *de;
    char            path[PATH_MAX + 300];

    dir = opendir(tu_tmpdir);
    if (dir == NULL) {
        return;
    }

    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(path, sizeof(path), "%s/%s", tu_tmpdir, de->d_name);
            unlink(path);
        }
    }

    closedir(dir);
    rmdir(tu_tmpdir);
}

const char *
tu_dir(void)
{
    return tu_tmpdir;
}

const char *
tu_fmt(const char *fmt, ...)
{
    static char      buf[8][PATH_MAX + 600];
    static unsigned  next;
    char            *p = buf[next++ % 8];
    va_list          ap;

    va_start(ap, fmt);
    vsnprintf(p, sizeof(buf[0]), fmt, ap);
    va_end(ap);

    return p;
}

void
tu_reset_messages(void)
{
    tu_nmsg = tu_nerrors = tu_nwarnings = 0;
    tu_notice[0] = '\0';
}

void
tu_diag(void *arg, int severity, const char *msg)
{
    if (severity == ONEM2M_SAE_DIAG_NOTICE) {
        /* one per open: read or reused */
        snprintf(tu_notice, sizeof(tu_notice), "%s", msg);
        return;
    }

    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        tu_nerrors++;
    } else {
        tu_nwarnings++;
    }

    if (tu_nmsg < TU_MAX_MSG) {
        snprintf(tu_msg[tu_nmsg++], sizeof(tu_msg[0]), "%c %s",
                 severity == ONEM2M_SAE_DIAG_ERROR ? 'E' : 'W', msg);
    }
}

static void
tu_write_bytes(const char *path, const char *bytes, size_t len, int mode)
{
    FILE  *f;

    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

void
tu_write_file(const char *path, const char *text, int mode)
{
    tu_write_bytes(path, text, strlen(text), mode);
}

ONEM2M_SAE_TABLE *
tu_open_bytes(const char *bytes, size_t len, int mode)
{
    snprintf(tu_path, sizeof(tu_path), "%s/t%u.table", tu_tmpdir,
             tu_files++);
    tu_write_bytes(tu_path, bytes, len, mode);

    return tu_open_uri(tu_path);
}

ONEM2M_SAE_TABLE *
tu_open_text(const char *text, int mode)
{
    return tu_open_bytes(text, strlen(text), mode);
}

const char *
tu_copy(const char *src, int mode)
{
    FILE    *f;
    char     buf[65536];
    size_t   n;

    f = fopen(src, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    snprintf(tu_path, sizeof(tu_path), "%s/t%u.table", tu_tmpdir,
             tu_files++);
    tu_write_bytes(tu_path, buf, n, mode);

    return tu_path;
}

ONEM2M_SAE_TABLE *
tu_open_copy(const char *src, int mode)
{
    return tu_open_uri(tu_copy(src, mode));
}

ONEM2M_SAE_TABLE *
tu_open_uri(const char *uri)
{
    tu_reset_messages();

    return ONEM2M_SAE_table_open(NULL, TU_PROVIDER_DIR, uri, tu_diag, NULL);
}

const ONEM2M_SAE_ENTRY *
tu_lookup(const ONEM2M_SAE_TABLE *t, const char *id)
{
    return ONEM2M_SAE_table_lookup(t, id, strlen(id));
}

void
tu_assert_no_key_in_messages(const char *hex)
{
    unsigned  i;

    for (i = 0; i < tu_nmsg; i++) {
        ck_assert_msg(strstr(tu_msg[i], hex) == NULL,
                      "message %u shows key material", i);
    }
}

OSSL_LIB_CTX            *tu_libctx;
static OSSL_PROVIDER    *tu_onem2m, *tu_default;

void
tu_libctx_setup(void)
{
    tu_setup();

    tu_libctx = OSSL_LIB_CTX_new();
    ck_assert_ptr_nonnull(tu_libctx);
    ck_assert_int_eq(OSSL_PROVIDER_set_default_search_path(tu_libctx,
                                                           TU_PROVIDER_DIR),
                     1);
    tu_onem2m = OSSL_PROVIDER_load(tu_libctx, ONEM2M_SAE_PROVIDER_NAME);
    ck_assert_ptr_nonnull(tu_onem2m);
    tu_default = OSSL_PROVIDER_load(tu_libctx, "default");
    ck_assert_ptr_nonnull(tu_default);
    ERR_clear_error();
}

void
tu_libctx_teardown(void)
{
    OSSL_PROVIDER_unload(tu_onem2m);
    OSSL_PROVIDER_unload(tu_default);
    OSSL_LIB_CTX_free(tu_libctx);
    tu_libctx = NULL;
    ERR_clear_error();
    tu_teardown();
}

OSSL_STORE_CTX *
tu_store_open(const char *uri)
{
    return OSSL_STORE_open_ex(uri, tu_libctx, NULL, NULL, NULL, NULL, NULL,
                              NULL);
}

const char *
tu_last_error_data(unsigned long *code)
{
    static char    last[PATH_MAX + 600];
    const char    *data;
    unsigned long  err;
    int            flags;

    last[0] = '\0';
    *code = 0;

    while ((err = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        *code = err;
        snprintf(last, sizeof(last), "%s",
                 (flags & ERR_TXT_STRING) && data != NULL ? data : "");
    }

    return last;
}

int
tu_run(const char *cmd, char *out, size_t outlen)
{
    FILE    *p;
    size_t   n = 0, r;
    int      status;
    char     full[PATH_MAX * 2];

    snprintf(full, sizeof(full), "%s 2>&1", cmd);
    p = popen(full, "r");
    ck_assert_ptr_nonnull(p);

    while (n + 1 < outlen && (r = fread(out + n, 1, outlen - n - 1, p)) > 0) {
        n += r;
    }

    out[n] = '\0';
    status = pclose(p);

    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}


const char *
tu_pkey_utf8(EVP_PKEY *pkey, const char *name)
{
    static char  buf[4][300];
    static int   next;
    char        *p = buf[next++ % 4];
    size_t       len;

    ck_assert_int_eq(EVP_PKEY_get_utf8_string_param(pkey, name, p, 300,
                                                    &len), 1);
    return p;
}
