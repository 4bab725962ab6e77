/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target of the psk-lookup-table parser and of the "kpsa:" URIs
 * of the store (build and run: "make fuzz").
 *
 * An input is a table, parsed through onem2m_table_parse(), the entry
 * point onem2m_table_open() gives every file's contents to.  An input
 * starting with byte 0x01 is a URI instead (the rest, up to a NUL): it is
 * opened through OSSL_STORE with the provider built in, as is, and as the
 * tail of "kpsa:<fixture directory>/", so that fragments, relative paths
 * and "#<KpsaID>" searches reach existing tables.
 *
 * Besides the sanitizers, every loaded table is checked against what its
 * lookups promise; a broken promise aborts (a crash for libFuzzer).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#include "internal/onem2m_table.h"
#include "fuzz_check.h"

#define URI_MARK         0x01
#define URI_MAX          4096

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
    const OSSL_DISPATCH *in, const OSSL_DISPATCH **out, void **provctx);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static OSSL_LIB_CTX  *libctx;
static char           fixture_dir[] = "/tmp/fuzz-kpsa-XXXXXX";
static char           fixture_uri[sizeof(fixture_dir) + 16];

static const char     fixture_table[] =
    "Clock-AE1   1a2b3c4d5e6f7a8b   AE123456789012-Lock@in.provider.com\n"
    "/mn-cse     000102030405060708090a0b0c0d0e0f   cse@mn.example\n"
    "//sp/cse/C1 0xffeeddccbbaa99887766554433221100 c1@sp.example\n";


static void
write_fixture(const char *name, const char *text)
{
    char   path[sizeof(fixture_dir) + 32];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
    f = fopen(path, "w");

    if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
        perror(path);
        exit(1);
    }

    chmod(path, 0600);
}

static void
remove_fixtures(void)
{
    char  path[sizeof(fixture_dir) + 32];

    snprintf(path, sizeof(path), "%s/t", fixture_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/bad", fixture_dir);
    unlink(path);
    rmdir(fixture_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (mkdtemp(fixture_dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }

    write_fixture("t", fixture_table);
    write_fixture("bad", "C1 0 a@b\n");
    atexit(remove_fixtures);
    snprintf(fixture_uri, sizeof(fixture_uri), "kpsa:%s/", fixture_dir);

    libctx = OSSL_LIB_CTX_new();

    if (libctx == NULL
        || !OSSL_PROVIDER_add_builtin(libctx, "onem2m", OSSL_provider_init)
        || OSSL_PROVIDER_load(libctx, "onem2m") == NULL)
    {
        fprintf(stderr, "cannot load the onem2m provider\n");
        exit(1);
    }

    return 0;
}

static void
diag_check(void *arg, int severity, const char *msg)
{
    int  *errors = arg;

    check(severity == ONEM2M_SAE_DIAG_ERROR
          || severity == ONEM2M_SAE_DIAG_WARNING
          || severity == ONEM2M_SAE_DIAG_NOTICE);
    check(strlen(msg) < 8192);

    if (severity == ONEM2M_SAE_DIAG_ERROR) {
        (*errors)++;
    }
}

static void
check_entry(const ONEM2M_SAE_TABLE *t, const ONEM2M_SAE_ENTRY *e)
{
    const ONEM2M_SAE_ENTRY  *found;

    check(e != NULL);
    check(strlen(e->kpsa_id) == e->kpsa_id_len);
    check(strlen(e->entity) == e->entity_len);
    check(onem2m_kpsa_id_valid(e->kpsa_id, e->kpsa_id_len));
    check(onem2m_entity_type(e->entity, e->entity_len) == e->entity_type);
    check(e->key_len >= 1 && e->key_len <= ONEM2M_SAE_MAX_KEY_LEN);

    /* KpsaIDs are unique (a duplicate fails the table): the same record */
    found = onem2m_table_lookup(t, e->kpsa_id, e->kpsa_id_len);
    check(found != NULL && found->kpsa_id == e->kpsa_id
          && found->key == e->key && found->key_len == e->key_len
          && found->entity_type == e->entity_type);

    found = onem2m_table_find_entity(t, e->entity, e->entity_len);
    check(found != NULL && found->entity_len == e->entity_len
          && memcmp(found->entity, e->entity, e->entity_len) == 0);
}

/* whatever a lookup of untrusted bytes finds is exactly those bytes */
static void
check_probe(const ONEM2M_SAE_TABLE *t, const uint8_t *data, size_t size)
{
    const ONEM2M_SAE_ENTRY  *e;

    e = onem2m_table_lookup(t, (const char *) data, size);
    check(e == NULL
          || (e->kpsa_id_len == size && memcmp(e->kpsa_id, data, size) == 0));

    e = onem2m_table_find_entity(t, (const char *) data, size);
    check(e == NULL
          || (e->entity_len == size && memcmp(e->entity, data, size) == 0));
}

static void
fuzz_table(const uint8_t *data, size_t size)
{
    ONEM2M_SAE_TABLE  *t;
    size_t             i, n, cut;
    int                errors = 0;

    t = onem2m_table_parse("fuzz", data, size, diag_check, &errors);

    if (t == NULL) {
        check(errors > 0);
        return;
    }

    check(errors == 0);

    n = onem2m_table_count(t);
    check(n <= size / 9 + 1);

    for (i = 0; i < n; i++) {
        check_entry(t, onem2m_table_entry(t, i));
    }

    check(onem2m_table_entry(t, n) == NULL);

    /* the input's first field, and its whole first line, as identities */
    for (cut = 0; cut < size && data[cut] != ' ' && data[cut] != '\n'; cut++) {
        /* void */
    }

    check_probe(t, data, cut);

    for (; cut < size && data[cut] != '\n'; cut++) {
        /* void */
    }

    check_probe(t, data, cut);

    onem2m_table_free(t);
}

static void
load_store(const char *uri)
{
    OSSL_STORE_CTX   *store;
    OSSL_STORE_INFO  *info;
    int               expect;

    /* a listing (names), then credentials (keys) */
    for (expect = 0; expect <= OSSL_STORE_INFO_PKEY; expect += 4) {
        store = OSSL_STORE_open_ex(uri, libctx, "provider=onem2m", NULL, NULL,
                                   NULL, NULL, NULL);
        if (store == NULL) {
            break;
        }

        if (expect != 0) {
            OSSL_STORE_expect(store, expect);
        }

        while (!OSSL_STORE_eof(store)) {
            info = OSSL_STORE_load(store);

            if (info == NULL) {
                if (OSSL_STORE_error(store)) {
                    break;
                }

                continue;
            }

            OSSL_STORE_INFO_free(info);
        }

        OSSL_STORE_close(store);
    }

    ERR_clear_error();
}

static void
fuzz_uri(const uint8_t *data, size_t size)
{
    char        uri[sizeof(fixture_uri) + URI_MAX];
    size_t      len, prefix;
    const char *path;

    len = strnlen((const char *) data, size < URI_MAX ? size : URI_MAX - 1);
    memcpy(uri, data, len);
    uri[len] = '\0';

    path = onem2m_table_uri_path(uri);
    check(path == NULL || (path >= uri && path < uri + len));

    load_store(uri);

    prefix = strlen(fixture_uri);
    memcpy(uri, fixture_uri, prefix);
    memcpy(uri + prefix, data, len);
    uri[prefix + len] = '\0';

    path = onem2m_table_uri_path(uri);
    check(path != NULL && strncmp(path, fixture_dir, strlen(fixture_dir)) == 0);

    load_store(uri);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == URI_MARK) {
        fuzz_uri(data + 1, size - 1);

    } else {
        fuzz_table(data, size);
    }

    return 0;
}
