/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Messages: one line each on stderr, "onem2m-sync: ...".  Under systemd
 * (stderr is the journal stream named by $JOURNAL_STREAM) each line starts
 * with its syslog priority ("<4>"), which journald turns into the entry's
 * priority.  PostgreSQL's messages outside a query come through here too
 * (source.c's notice receiver).  No message ever holds key material;
 * identifiers are logged only after they passed the table's grammar
 * (apply.c), so they are plain printable text.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sync.h"

static int  journal;
static int  verbose;

void
sync_log_init(int v)
{
    const char          *js = getenv("JOURNAL_STREAM");
    unsigned long long   dev, ino;
    struct stat          st;

    verbose = v;

    if (js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2
        && fstat(fileno(stderr), &st) == 0
        && (unsigned long long) st.st_dev == dev
        && (unsigned long long) st.st_ino == ino)
    {
        journal = 1;
    }

    setvbuf(stderr, NULL, _IOLBF, 0);
}

static void
emit(int priority, const char *fmt, va_list ap)
{
    if (journal) {
        fprintf(stderr, "<%d>", priority);
    }

    fputs(SYNC_PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

#define SYNC_LOG_FN(name, priority, cond)                                    \
void                                                                         \
name(const char *fmt, ...)                                                   \
{                                                                            \
    va_list  ap;                                                             \
                                                                             \
    if (cond) {                                                              \
        va_start(ap, fmt);                                                   \
        emit(priority, fmt, ap);                                             \
        va_end(ap);                                                          \
    }                                                                        \
}

SYNC_LOG_FN(sync_err, 3, 1)
SYNC_LOG_FN(sync_warn, 4, 1)
SYNC_LOG_FN(sync_info, 6, 1)
SYNC_LOG_FN(sync_debug, 7, verbose)
