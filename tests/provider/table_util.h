/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the provider suites: tables written to a private temporary
 * directory, opened through the fast face with the built provider, and
 * every diagnostic captured as "E <msg>" or "W <msg>".
 */

#ifndef TESTS_PROVIDER_TABLE_UTIL_H
#define TESTS_PROVIDER_TABLE_UTIL_H

#include <limits.h>
#include <stddef.h>
#include <onem2m_sae.h>

#define TU_PROVIDER_DIR  BUILD_DIR "/provider"
#define TU_MAX_MSG       64

extern char      tu_msg[TU_MAX_MSG][PATH_MAX + 600];
extern unsigned  tu_nmsg, tu_nerrors, tu_nwarnings;
/* the last open's notice: "<path>: read (...)" or "...: unchanged (...)" */
extern char      tu_notice[PATH_MAX + 600];
extern char      tu_path[PATH_MAX + 64];  /* the last table written */

void tu_setup(void);
void tu_teardown(void);
const char *tu_dir(void);
const char *tu_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

void tu_reset_messages(void);
void tu_diag(void *arg, int severity, const char *msg);
void tu_write_file(const char *path, const char *text, int mode);
/* writes a new table file (tu_path) with the given mode and opens it */
ONEM2M_SAE_TABLE *tu_open_bytes(const char *bytes, size_t len, int mode);
ONEM2M_SAE_TABLE *tu_open_text(const char *text, int mode);
ONEM2M_SAE_TABLE *tu_open_copy(const char *src, int mode);
/* writes a copy of src into the temporary directory; returns its path */
const char *tu_copy(const char *src, int mode);
ONEM2M_SAE_TABLE *tu_open_uri(const char *uri);
const ONEM2M_SAE_ENTRY *tu_lookup(const ONEM2M_SAE_TABLE *t, const char *id);
/* fails (without printing it) if any captured message contains hex */
void tu_assert_no_key_in_messages(const char *hex);

/*
 * A private library context with the built "onem2m" provider and the
 * default provider loaded, as a server would set it up.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/store.h>

extern OSSL_LIB_CTX  *tu_libctx;

void tu_libctx_setup(void);             /* tu_setup() + the library context */
void tu_libctx_teardown(void);
OSSL_STORE_CTX *tu_store_open(const char *uri);
/* the data string of the last error on the queue, "" if none; clears it */
const char *tu_last_error_data(unsigned long *code);
/*
 * The UTF-8 string param name of pkey, asserted to be there; one of 4
 * static buffers in turn, so a few can be compared at once.
 */
const char *tu_pkey_utf8(EVP_PKEY *pkey, const char *name);
/* runs a shell command, captures stdout+stderr; returns the exit status */
int tu_run(const char *cmd, char *out, size_t outlen);

#endif /* TESTS_PROVIDER_TABLE_UTIL_H */
