/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table API over both backends: URI routing, references, and what
 * ABI version 2 added to the text table's head (get / get_entity /
 * child_init / info), over its existing entries with zero copies.
 */

#define _GNU_SOURCE                     /* secure_getenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "table_any.h"
#include "table_int.h"
#include "common/onem2m_debug.h"

static ONEM2M_SAE_table_get_fn         text_get;
static ONEM2M_SAE_table_get_fn         text_get_entity;
static ONEM2M_SAE_table_child_init_fn  text_child_init;
static ONEM2M_SAE_table_info_fn        text_info;


static void
any_error(ONEM2M_SAE_DIAG_CB diag, void *arg, const char *uri,
    const char *reason)
{
    char  msg[1024];

    ONEM2M_DEBUG("error %s: %s", uri, reason);

    if (diag != NULL) {
        snprintf(msg, sizeof(msg), "%s: %s", uri, reason);
        diag(arg, ONEM2M_SAE_DIAG_ERROR, msg);
    }
}

static ONEM2M_SAE_TABLE *
any_open(const char *uri, const char *kek_file, int keyless_ok,
    ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    const char  *dir = onem2m_lmdb_uri_path(uri);

    if (dir != NULL) {
        if (dir[0] == '\0') {
            /* a host part or no directory (common/onem2m_uri.h) */
            any_error(diag, diag_arg, uri, "not a \""
                      ONEM2M_SAE_LMDB_URI_SCHEME ":<directory>\" URI");
            return NULL;
        }

        if (kek_file == NULL && !keyless_ok) {
            any_error(diag, diag_arg, dir, "a " ONEM2M_SAE_LMDB_URI_SCHEME
                      ": store needs a KEK file");
            return NULL;
        }

        return onem2m_lmdb_open(dir, kek_file, diag, diag_arg);
    }

    if (kek_file != NULL) {
        any_error(diag, diag_arg, uri != NULL ? uri : "(null)",
                  "a text table takes no KEK file (its keys are not sealed)");
        return NULL;
    }

    return onem2m_table_open(uri, diag, diag_arg);
}

/* what every open (fast face, OSSL_STORE, the key tool) comes through */
ONEM2M_SAE_TABLE *
onem2m_table_open_any(const char *uri, const char *kek_file, int keyless_ok,
    ONEM2M_SAE_DIAG_CB diag, void *diag_arg)
{
    ONEM2M_SAE_TABLE  *t;

    ONEM2M_DEBUG("open %s%s%s", uri != NULL ? uri : "(null)",
                 kek_file != NULL ? " with the KEK file " : "",
                 kek_file != NULL ? kek_file : "");

    t = any_open(uri, kek_file, keyless_ok, diag, diag_arg);

    if (t == NULL) {
        ONEM2M_DEBUG("open %s: failed", uri != NULL ? uri : "(null)");
    } else {
        ONEM2M_DEBUG("open %s: table %p, %s, %zu entries",
                     uri, (void *) t,
                     onem2m_table_is_lmdb(t) ? "LMDB store" : "text table",
                     ((ONEM2M_SAE_TABLE_HEAD *) t)->count(t));
    }

    return t;
}

const char *
onem2m_any_uri_path(const char *uri)
{
    const char  *dir = onem2m_lmdb_uri_path(uri);

    return dir != NULL ? dir : onem2m_table_uri_path(uri);
}

const char *
onem2m_env_kek_file(void)
{
    const char  *path = secure_getenv("ONEM2M_KEK_FILE");

    return path != NULL && path[0] != '\0' ? path : NULL;
}

int
onem2m_table_is_lmdb(const ONEM2M_SAE_TABLE *t)
{
    return ((const ONEM2M_SAE_TABLE_HEAD *) t)->free == onem2m_lmdb_free;
}

int
onem2m_any_up_ref(ONEM2M_SAE_TABLE *t)
{
    if (t == NULL) {
        return 0;
    }

    return onem2m_table_is_lmdb(t) ? onem2m_lmdb_up_ref(t)
                                   : onem2m_table_up_ref(t);
}

void
onem2m_any_free(ONEM2M_SAE_TABLE *t)
{
    if (t != NULL) {
        ONEM2M_DEBUG("free table %p (a reference)", (void *) t);
        ((ONEM2M_SAE_TABLE_HEAD *) t)->free(t);
    }
}

ONEM2M_SAE_LOOKUP *
onem2m_lookup_dup(const ONEM2M_SAE_ENTRY *e)
{
    ONEM2M_SAE_LOOKUP  *l;

    if (e->kpsa_id_len > ONEM2M_SAE_MAX_ID_LEN
        || e->entity_len > ONEM2M_SAE_MAX_ID_LEN
        || e->key_len > ONEM2M_SAE_MAX_KEY_LEN)
    {
        return NULL;
    }

    l = OPENSSL_zalloc(sizeof(*l));
    if (l == NULL) {
        return NULL;
    }

    l->entry = *e;
    memcpy(l->kpsa_id_buf, e->kpsa_id, e->kpsa_id_len);
    memcpy(l->entity_buf, e->entity, e->entity_len);
    l->entry.kpsa_id = l->kpsa_id_buf;
    l->entry.entity = l->entity_buf;

    if (e->key != NULL) {
        memcpy(l->key_buf, e->key, e->key_len);
        l->entry.key = l->key_buf;
    }

    return l;
}

void
onem2m_lookup_free(ONEM2M_SAE_LOOKUP *l)
{
    OPENSSL_clear_free(l, sizeof(*l));
}

/*- the text table's ABI 2 functions ----------------------------------- */

void
onem2m_text_head_init(ONEM2M_SAE_TABLE_HEAD *head)
{
    head->get = text_get;
    head->get_entity = text_get_entity;
    head->child_init = text_child_init;
    head->info = text_info;
}

static int
text_found(int found, ONEM2M_SAE_LOOKUP *out)
{
    out->generation = 0;                /* out->entry: into the table */
    out->expires = 0;
    out->suid = 0;
    out->maf = 0;

    return found;
}

static int
text_get(const ONEM2M_SAE_TABLE *t, const char *name, size_t len,
    ONEM2M_SAE_LOOKUP *out)
{
    return text_found(onem2m_table_get_view(t, 0, name, len, &out->entry),
                      out);
}

static int
text_get_entity(const ONEM2M_SAE_TABLE *t, const char *name, size_t len,
    ONEM2M_SAE_LOOKUP *out)
{
    return text_found(onem2m_table_get_view(t, 1, name, len, &out->entry),
                      out);
}

static int
text_child_init(ONEM2M_SAE_TABLE *t)
{
    return 1;                           /* shared pages, nothing to open */
}

static int
text_info(const ONEM2M_SAE_TABLE *t, ONEM2M_SAE_TABLE_INFO *info)
{
    memset(info, 0, sizeof(*info));
    info->count = onem2m_table_count(t);

    return 1;
}
