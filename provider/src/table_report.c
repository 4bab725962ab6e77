/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table's messages: every error and warning of a parse or an open
 * goes to the caller's diag callback as "<path>[:<line>]: <text>".  Keys
 * are never part of a message, not even in part.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <openssl/crypto.h>

#include "table_int.h"
#include "common/onem2m_debug.h"

#define DIAG_LEN  (PATH_MAX + 512)

void
onem2m_table_report(TABLE_REPORT *r, int severity, unsigned long line,
    const char *fmt, ...)
{
    char     msg[DIAG_LEN];
    int      n;
    va_list  ap;

    if (r->diag == NULL && !onem2m_debug_enabled()) {
        return;
    }

    if (line) {
        n = snprintf(msg, sizeof(msg), "%s:%lu: ", r->path, line);
    } else {
        n = snprintf(msg, sizeof(msg), "%s: ", r->path);
    }

    if (n < 0 || (size_t) n >= sizeof(msg)) {
        n = 0;
    }

    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
    va_end(ap);

    ONEM2M_DEBUG("%s %s", severity == ONEM2M_SAE_DIAG_ERROR ? "error"
                          : severity == ONEM2M_SAE_DIAG_WARNING ? "warning"
                          : "notice", msg);

    if (r->diag != NULL) {
        r->diag(r->diag_arg, severity, msg);
    }
}

/* the first ONEM2M_TABLE_MAX_REPORTS errors one by one, then a count */
void
onem2m_table_line_error(TABLE_REPORT *r, unsigned long line,
    const char *reason)
{
    if (r->errors++ < ONEM2M_TABLE_MAX_REPORTS) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_ERROR, line, "%s", reason);
    }
}

/* short keys: reported, and kept as (line, reason) for later openers */
void
onem2m_table_short_key(ONEM2M_SAE_TABLE *t, TABLE_REPORT *r,
    unsigned long line, const ONEM2M_SAE_ENTRY *e)
{
    char  reason[ONEM2M_SAE_MAX_ID_LEN + 128];

    if (t->nwarnings == ONEM2M_TABLE_MAX_REPORTS) {
        t->more_short_keys++;
        return;
    }

    snprintf(reason, sizeof(reason),
             "key of KpsaID %s is only %u bytes (%d or more recommended)",
             e->kpsa_id, (unsigned) e->key_len, ONEM2M_SAE_SHORT_KEY_LEN);

    onem2m_table_report(r, ONEM2M_SAE_DIAG_WARNING, line, "%s", reason);

    t->warnings[t->nwarnings].line = line;
    t->warnings[t->nwarnings].reason = OPENSSL_strdup(reason);

    if (t->warnings[t->nwarnings].reason != NULL) {
        t->nwarnings++;
    }
}

/* the count of the short keys past ONEM2M_TABLE_MAX_REPORTS, if any */
void
onem2m_table_more_short_keys(const ONEM2M_SAE_TABLE *t, TABLE_REPORT *r)
{
    if (t->more_short_keys) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_WARNING, 0,
                            "%zu more keys shorter than %d bytes",
                            t->more_short_keys, ONEM2M_SAE_SHORT_KEY_LEN);
    }
}

void
onem2m_table_replay_warnings(const ONEM2M_SAE_TABLE *t, TABLE_REPORT *r)
{
    size_t  i;

    for (i = 0; i < t->nwarnings; i++) {
        onem2m_table_report(r, ONEM2M_SAE_DIAG_WARNING, t->warnings[i].line,
                            "%s", t->warnings[i].reason);
    }

    onem2m_table_more_short_keys(t, r);
}
