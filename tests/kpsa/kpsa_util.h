/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the onem2m-kpsa suites: the real binary run on real files in
 * a private temporary directory, and tables read back through the built
 * provider (the fast face nginx uses), never through the tool.
 */

#ifndef TESTS_KPSA_UTIL_H
#define TESTS_KPSA_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <onem2m_sae.h>

#define KU_TOOL   BUILD_DIR "/tools/onem2m-kpsa"

extern char  ku_dir[64];        /* the temporary directory */
extern char  ku_table[128];     /* <dir>/kpsa.table */

void ku_setup(void);
/* ku_setup(), then the table <dir>/kpsa.table holds text (mode 0600) */
void ku_setup_table(const char *text);
void ku_teardown(void);
const char *ku_path(const char *name);          /* <dir>/<name>, static */

/*
 * Runs the tool with the arguments (NULL-terminated), stdin from in (may
 * be NULL); *out (may be NULL) gets stdout+stderr, freed by the next call.
 * Returns the exit status.
 */
int ku_run(const char *in, const char **out, ...);

void ku_write(const char *path, const char *text, mode_t mode);
/* the file's contents (malloc'd), NULL if it cannot be read */
char *ku_read(const char *path, size_t *len);
/* fails unless path holds exactly text */
void ku_assert_file_is(const char *path, const char *text);

/* opens the table through the provider; NULL when it does not load */
ONEM2M_SAE_TABLE *ku_open(const char *path);
size_t ku_count(const char *path);              /* (size_t) -1: no load */
/* the entity of KpsaID id, or NULL; *key (may be NULL) gets its key */
const char *ku_entity_of(ONEM2M_SAE_TABLE *t, const char *id,
    unsigned char *key, size_t *key_len);
/* fails unless id is entity's credential with exactly this key */
void ku_assert_credential(ONEM2M_SAE_TABLE *t, const char *id,
    const char *entity, const unsigned char *key, size_t key_len);

/* "KpsaID: ..." and "Kpsa: ..." of an add's output (static buffers) */
const char *ku_added_id(const char *out);
const char *ku_added_key(const char *out);

/* fails unless out contains needle */
void ku_assert_has(const char *out, const char *needle);
/* fails when text contains hex in either case */
void ku_assert_no_hex(const char *text, const char *hex);
/* number of temporary files a writer left next to the table */
int ku_temp_files(void);

#endif /* TESTS_KPSA_UTIL_H */
