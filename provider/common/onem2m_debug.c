/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Debug tracing (onem2m_debug.h).  Each copy of provider/common (the
 * provider, the library linked into a server) reads the environment once;
 * a file is opened for appending, so the two copies' lines interleave
 * whole.  nginx workers inherit the master's choice and its descriptor:
 * they never see the environment (nginx clears it).
 */

#define _GNU_SOURCE                     /* secure_getenv */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onem2m_debug.h"
#include "onem2m_text.h"

static pthread_once_t  debug_once = PTHREAD_ONCE_INIT;
static FILE           *debug_out;

static void
debug_init(void)
{
    const char  *v;

    v = secure_getenv(ONEM2M_DEBUG_ENV);
    if (v == NULL || v[0] == '\0' || strcmp(v, "0") == 0) {
        return;
    }

    if (strncmp(v, "file:", 5) == 0) {
        /* "e": not inherited by what the server executes */
        debug_out = fopen(v + 5, "ae");
        if (debug_out != NULL) {
            setvbuf(debug_out, NULL, _IOLBF, 0);
        }
        return;
    }

    debug_out = stderr;
}

int
onem2m_debug_enabled(void)
{
    return pthread_once(&debug_once, debug_init) == 0 && debug_out != NULL;
}

void
onem2m_debug_print(const char *func, const char *fmt, ...)
{
    va_list  ap;

    flockfile(debug_out);
    fprintf(debug_out, "onem2m-sae[%ld] %s: ", (long) getpid(), func);
    va_start(ap, fmt);
    vfprintf(debug_out, fmt, ap);
    va_end(ap);
    fputc('\n', debug_out);
    fflush(debug_out);
    funlockfile(debug_out);
}

const char *
onem2m_debug_id(char *buf, const void *id, size_t len)
{
    onem2m_text_log_quote(buf, ONEM2M_DEBUG_ID_SIZE, id, len,
                          ONEM2M_DEBUG_ID_MAX);
    return buf;
}
