/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The command line (onem2m-sync.8).  The source is a libpq connection
 * string, optionally written "postgresql:<conninfo>" as onem2m-kpsa takes
 * it; it may come from $ONEM2M_SYNC_SOURCE so that a password in it is not
 * in the process list (better still: a passfile, see the manual).
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"

enum {
    OPT_STORE = 256,
    OPT_SOURCE,
    OPT_BATCH,
    OPT_POLL,
    OPT_MAX_BACKOFF,
    OPT_RETRY,
    OPT_ONCE
};

static const struct option  long_options[] = {
    { "store",        required_argument, NULL, OPT_STORE },
    { "source",       required_argument, NULL, OPT_SOURCE },
    { "batch",        required_argument, NULL, OPT_BATCH },
    { "poll",         required_argument, NULL, OPT_POLL },
    { "max-backoff",  required_argument, NULL, OPT_MAX_BACKOFF },
    { "retry",        required_argument, NULL, OPT_RETRY },
    { "once",         no_argument,       NULL, OPT_ONCE },
    { "verbose",      no_argument,       NULL, 'v' },
    { "help",         no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void
sync_usage(int full)
{
    fputs("usage: " SYNC_PROG " --store DIR [--source CONNINFO] "
          "[--batch N]\n"
          "           [--poll SECONDS] [--retry SECONDS] "
          "[--max-backoff SECONDS]\n"
          "           [--once] [-v]\n", stderr);

    if (!full) {
        return;
    }

    fputs("\n"
          "Keeps the LMDB credential store DIR (nginx: kpsa-lmdb:DIR) a "
          "copy of the\nPostgreSQL source (conf/postgresql/schema.sql).\n\n"
          "  --store DIR          the store (created when missing)\n"
          "  --source CONNINFO    libpq connection string, also "
          "\"postgresql:CONNINFO\";\n"
          "                       default $" SYNC_SOURCE_ENV "\n"
          "  --batch N            rows per LMDB transaction (1000)\n"
          "  --poll SECONDS       safety poll and heartbeat (5; "
          "fractions allowed)\n"
          "  --retry SECONDS      interval between two connection "
          "attempts while the\n"
          "                       source cannot be reached (0.5)\n"
          "  --max-backoff SECONDS  longest interval between two messages "
          "about it (30)\n"
          "  --once               catch up once and exit (0 in sync, 1 "
          "not)\n"
          "  -v, --verbose        log every batch\n", stderr);
}

/* seconds, fractions allowed, to milliseconds in [min_ms, 1 day] */
static int
parse_seconds(const char *opt, const char *s, unsigned min_ms,
    unsigned *out)
{
    char    *end;
    double   v;

    errno = 0;
    v = strtod(s, &end);

    if (errno != 0 || end == s || *end != '\0' || !(v * 1000 >= min_ms)
        || v > 86400)
    {
        fprintf(stderr, SYNC_PROG ": %s: \"%s\" is not a number of seconds "
                "(%.3f to 86400)\n", opt, s, min_ms / 1000.0);
        return -1;
    }

    *out = (unsigned) (v * 1000);
    return 0;
}

static int
parse_batch(const char *s, unsigned *out)
{
    char           *end;
    unsigned long   v;

    errno = 0;
    v = strtoul(s, &end, 10);

    if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < 1
        || v > 100000)
    {
        fprintf(stderr, SYNC_PROG ": --batch: \"%s\" is not a row count "
                "(1 to 100000)\n", s);
        return -1;
    }

    *out = (unsigned) v;
    return 0;
}

static int
finish(sync_opts *o)
{
    if (o->store_dir == NULL) {
        fprintf(stderr, SYNC_PROG ": --store DIR is required\n");
        return -1;
    }

    if (o->conninfo == NULL) {
        o->conninfo = getenv(SYNC_SOURCE_ENV);
    }

    if (o->conninfo == NULL || o->conninfo[0] == '\0') {
        fprintf(stderr, SYNC_PROG ": no source: give --source CONNINFO or "
                "set " SYNC_SOURCE_ENV "\n");
        return -1;
    }

    if (strncmp(o->conninfo, SYNC_SOURCE_SCHEME,
                sizeof(SYNC_SOURCE_SCHEME) - 1) == 0)
    {
        o->conninfo += sizeof(SYNC_SOURCE_SCHEME) - 1;
    }

    return 0;
}

int
sync_args_parse(sync_opts *o, int argc, char **argv)
{
    int  c;

    memset(o, 0, sizeof(*o));
    o->batch = SYNC_DEFAULT_BATCH;
    o->poll_ms = SYNC_DEFAULT_POLL_MS;
    o->backoff_max_ms = SYNC_DEFAULT_BACKOFF_MS;
    o->retry_ms = SYNC_DEFAULT_RETRY_MS;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":vh", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_STORE:       o->store_dir = optarg; break;
        case OPT_SOURCE:      o->conninfo = optarg; break;
        case OPT_ONCE:        o->once = 1; break;
        case 'v':             o->verbose = 1; break;
        case 'h':             sync_usage(1); exit(SYNC_OK);

        case OPT_BATCH:
            if (parse_batch(optarg, &o->batch) != 0) {
                return -1;
            }
            break;

        case OPT_POLL:
            if (parse_seconds("--poll", optarg, 10, &o->poll_ms) != 0) {
                return -1;
            }
            break;

        case OPT_MAX_BACKOFF:
            if (parse_seconds("--max-backoff", optarg, SYNC_FIRST_BACKOFF_MS,
                              &o->backoff_max_ms) != 0)
            {
                return -1;
            }
            break;

        case OPT_RETRY:
            if (parse_seconds("--retry", optarg, 10, &o->retry_ms) != 0) {
                return -1;
            }
            break;

        case ':':
            fprintf(stderr, SYNC_PROG ": %s needs a value\n",
                    argv[optind - 1]);
            return -1;

        default:
            fprintf(stderr, SYNC_PROG ": unknown option \"%s\"\n",
                    argv[optind - 1]);
            return -1;
        }
    }

    if (optind != argc) {
        fprintf(stderr, SYNC_PROG ": unexpected operand \"%s\"\n",
                argv[optind]);
        return -1;
    }

    return finish(o);
}
