/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Table URIs (see onem2m_uri.h); tests/id/check_onem2m_uri.c holds the
 * table of every form.
 */

#include <string.h>

#include "onem2m_text.h"
#include "onem2m_uri.h"

static const struct {
    const char  *prefix;
    size_t       len;
    int          scheme;
} uri_schemes[] = {
    { ONEM2M_URI_KPSA_SCHEME ":", sizeof(ONEM2M_URI_KPSA_SCHEME),
      ONEM2M_URI_KPSA },
    { ONEM2M_URI_LMDB_SCHEME ":", sizeof(ONEM2M_URI_LMDB_SCHEME),
      ONEM2M_URI_LMDB }
};

int
onem2m_uri_scheme(const char *s, size_t len, size_t *prefix)
{
    size_t  i;

    for (i = 0; i < sizeof(uri_schemes) / sizeof(uri_schemes[0]); i++) {
        if (len >= uri_schemes[i].len
            && onem2m_text_equal_nocase(s, uri_schemes[i].prefix,
                                        uri_schemes[i].len))
        {
            *prefix = uri_schemes[i].len;
            return uri_schemes[i].scheme;
        }
    }

    *prefix = 0;
    return ONEM2M_URI_PATH;
}

const char *
onem2m_uri_path(const char *uri, int *scheme)
{
    size_t  prefix;

    *scheme = ONEM2M_URI_PATH;

    if (uri == NULL) {
        return NULL;
    }

    *scheme = onem2m_uri_scheme(uri, strlen(uri), &prefix);
    uri += prefix;

    if (prefix > 0 && uri[0] == '/' && uri[1] == '/') {
        /* an authority: the empty one only ("kpsa:///abs/path") */
        if (uri[2] != '/') {
            return NULL;
        }
        uri += 2;
    }

    return uri[0] != '\0' ? uri : NULL;
}
