/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The command line: options anywhere (GNU getopt permutes them), the first
 * operand is the command.  Messages go to stderr as "onem2m-kpsa: ...".
 */

#define _GNU_SOURCE             /* strptime, timegm */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpsa.h"

enum {
    OPT_KPSA_ID = 256,
    OPT_FQDN,
    OPT_ENTITY,
    OPT_KEY_FILE,
    OPT_MAP,
    OPT_FORMAT,
    OPT_NGINX,
    OPT_NGINX_CONF,
    OPT_NGINX_PREFIX,
    OPT_PID_FILE,
    OPT_BYTES,
    OPT_FORCE,
    OPT_YES,
    OPT_RELOAD,
    OPT_KEK,
    OPT_EXPIRES,
    OPT_MAF
};

static const struct option  long_options[] = {
    { "table",        required_argument, NULL, 'f' },
    { "output",       required_argument, NULL, 'o' },
    { "quiet",        no_argument,       NULL, 'q' },
    { "help",         no_argument,       NULL, 'h' },
    { "kpsa-id",      required_argument, NULL, OPT_KPSA_ID },
    { "fqdn",         required_argument, NULL, OPT_FQDN },
    { "entity",       required_argument, NULL, OPT_ENTITY },
    { "key-file",     required_argument, NULL, OPT_KEY_FILE },
    { "map",          required_argument, NULL, OPT_MAP },
    { "format",       required_argument, NULL, OPT_FORMAT },
    { "nginx",        required_argument, NULL, OPT_NGINX },
    { "nginx-conf",   required_argument, NULL, OPT_NGINX_CONF },
    { "nginx-prefix", required_argument, NULL, OPT_NGINX_PREFIX },
    { "pid-file",     required_argument, NULL, OPT_PID_FILE },
    { "bytes",        required_argument, NULL, OPT_BYTES },
    { "force",        no_argument,       NULL, OPT_FORCE },
    { "yes",          no_argument,       NULL, OPT_YES },
    { "reload",       no_argument,       NULL, OPT_RELOAD },
    { "kek",          required_argument, NULL, OPT_KEK },
    { "expires",      required_argument, NULL, OPT_EXPIRES },
    { "maf",          no_argument,       NULL, OPT_MAF },
    { NULL, 0, NULL, 0 }
};

static void
message(const char *fmt, va_list ap)
{
    fputs(KPSA_PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void
kpsa_err(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    message(fmt, ap);
    va_end(ap);
}

void
kpsa_note(const kpsa_opts *o, const char *fmt, ...)
{
    va_list  ap;

    if (!o->quiet) {
        va_start(ap, fmt);
        message(fmt, ap);
        va_end(ap);
    }
}

void
kpsa_usage(int full)
{
    FILE  *f = full ? stdout : stderr;

    fputs(
"usage: " KPSA_PROG " [-f TABLE] COMMAND [ARGS] [OPTIONS]\n", f);

    if (!full) {
        fputs("Try '" KPSA_PROG " --help'.\n", f);
        return;
    }

    fputs(
"\n"
"Manages the psk-lookup-table of the onem2m provider (TLS-PSK keys of\n"
"oneM2M AEs and CSEs).  Every change is checked with the provider's own\n"
"parser before it is written, atomically, under a lock.\n"
"\n"
"commands:\n"
"  add ENTITY        new credential (KpsaID, Kpsa) for an AE-ID or CSE-ID;\n"
"                    prints the KpsaID and the key, once  (alias: gen)\n"
"  rotate ENTITY     a further credential for an entity that has one, so\n"
"                    the old KpsaID can be deleted once the device switched\n"
"  del KPSA-ID       deletes one credential  (alias: revoke)\n"
"  del --entity ENTITY --yes\n"
"                    deletes every credential of an entity\n"
"  list [ENTITY]     entities, KpsaIDs, key lengths and lines; never keys\n"
"  check             every error and warning nginx -t would report;\n"
"                    exit status 1 on errors\n"
"  import FILE       identity:key lines (psktool, stunnel), FILE '-' is\n"
"                    stdin; needs --map or --entity\n"
"  export            identity:hexkey lines (to stdout or -o FILE)\n"
"  compile kpsa-lmdb:DIR --kek FILE\n"
"                    the table into a new LMDB store, keys sealed\n"
"\n"
"  With -f kpsa-lmdb:DIR (an LMDB store): add, gen, rotate, rekey\n"
"  KPSA-ID (a new key, a new generation), del (alias revoke), list, check.\n"
"  add, rotate and rekey need --kek FILE (the key-encryption key).\n"
"\n"
"options:\n"
"  -f, --table FILE  the table (default $" KPSA_TABLE_ENV ", else\n"
"                    " KPSA_DEFAULT_TABLE ")\n"
"  --kpsa-id ID      the KpsaID <relative-id>@<fqdn> (add, rotate);\n"
"                    default: a random relative id at --fqdn\n"
"  --fqdn FQDN       the KpsaID's domain (default: that of the entity's\n"
"                    last credential, else of the table's last one)\n"
"  --bytes N         key length (default 16; under 16 needs --force)\n"
"  --key-file FILE   take the key (hex) from FILE ('-': stdin) instead of\n"
"                    generating it\n"
"  --force           accept keys shorter than 16 bytes\n"
"  --entity ENTITY   del: all credentials of ENTITY; import: the entity of\n"
"                    every identity; list, export: only this entity\n"
"  --yes             del --entity without asking\n"
"  --map FILE        import: lines '<identity> <entity>'\n"
"  --format F        import, export: psktool (default) or stunnel\n"
"  -o, --output FILE export: write FILE (mode 0600) instead of stdout\n"
"  --reload          after the write: nginx -t, then reload nginx; on\n"
"                    failure the previous table is put back\n"
"  --nginx BIN       nginx binary (default /usr/sbin/nginx)\n"
"  --nginx-conf FILE, --nginx-prefix DIR\n"
"                    passed to nginx as -c and -p\n"
"  --pid-file FILE   signal the master in FILE (default: nginx -s reload,\n"
"                    which reads the pid file nginx.conf names)\n"
"  --kek FILE        the KEK of a kpsa-lmdb: store (root-only file)\n"
"  --expires T       add (kpsa-lmdb:): the key expires at T, RFC 3339\n"
"                    (2026-12-31T23:59:59Z, +01:00) or unix seconds\n"
"  --maf             add (kpsa-lmdb:): a MAF key, --kpsa-id <32 hex\n"
"                    digits>@<MAF-FQDN>, ENTITY its Source MAF Client ID\n"
"  -q, --quiet       no notes on stderr (errors still)\n"
"  -h, --help        this text\n"
"\n"
"exit status: 0 success, 1 refused or failed (table unchanged), 2 usage.\n"
"See onem2m-kpsa(1).\n"
"\n"
"-f postgresql:CONNINFO (the fleet's source, docs/fleet.md) takes add,\n"
"rotate, list and revoke KPSA-ID | --entity ENTITY --yes (alias del):\n"
"keys are sealed with --kek FILE before they are sent, a revocation is\n"
"a tombstone that every node's onem2m-sync copies.\n", f);
}

/* RFC 3339 ("T" or space, "Z" or an offset, fractions dropped) or digits */
static int
parse_expires(const char *s, long long *out)
{
    struct tm    tm;
    const char  *p;
    char        *end;
    long long    v;
    int          sign, oh, om, n;

    if (*s >= '0' && *s <= '9' && strspn(s, "0123456789") == strlen(s)) {
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == 0 && v > 0) {
            *out = v;
            return 0;
        }

    } else {
        memset(&tm, 0, sizeof(tm));
        p = strptime(s, "%Y-%m-%d", &tm);

        if (p != NULL && (*p == 'T' || *p == 't' || *p == ' ')) {
            p = strptime(p + 1, "%H:%M:%S", &tm);
        } else {
            p = NULL;
        }

        if (p != NULL && *p == '.') {
            for (p++; *p >= '0' && *p <= '9'; p++) {
                /* void */
            }
        }

        if (p != NULL) {
            v = (long long) timegm(&tm);
            sign = 0;
            n = 0;

            if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
                sign = 1;
                oh = om = 0;

            } else if ((*p == '+' || *p == '-')
                       && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2
                       && n == 5 && p[1 + n] == '\0' && oh < 24 && om < 60)
            {
                sign = *p == '+' ? 1 : -1;
            }

            if (sign != 0 && v > 0) {
                *out = v - sign * (oh * 3600LL + om * 60LL);
                if (*out > 0) {
                    return 0;
                }
            }
        }
    }

    kpsa_err("--expires: \"%s\" is not a time (RFC 3339 as "
             "2026-12-31T23:59:59Z, or unix seconds)", s);
    return -1;
}

static int
parse_bytes(const char *s, int *out)
{
    char  *end;
    long   v;

    errno = 0;
    v = strtol(s, &end, 10);

    if (errno != 0 || end == s || *end != '\0' || v < 1
        || v > ONEM2M_SAE_MAX_KEY_LEN)
    {
        kpsa_err("--bytes: \"%s\" is not a key length (1 to %d)", s,
                 ONEM2M_SAE_MAX_KEY_LEN);
        return -1;
    }

    *out = (int) v;
    return 0;
}

int
kpsa_args_parse(kpsa_opts *o, int argc, char **argv)
{
    int  c;

    memset(o, 0, sizeof(*o));
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":f:o:qh", long_options, NULL))
           != -1)
    {
        switch (c) {
        case 'f':              o->table = optarg; break;
        case 'o':              o->output = optarg; break;
        case 'q':              o->quiet = 1; break;
        case 'h':              kpsa_usage(1); exit(KPSA_OK);
        case OPT_KPSA_ID:      o->kpsa_id = optarg; break;
        case OPT_FQDN:         o->fqdn = optarg; break;
        case OPT_ENTITY:       o->entity = optarg; break;
        case OPT_KEY_FILE:     o->key_file = optarg; break;
        case OPT_MAP:          o->map = optarg; break;
        case OPT_FORMAT:       o->format = optarg; break;
        case OPT_NGINX:        o->nginx = optarg; break;
        case OPT_NGINX_CONF:   o->nginx_conf = optarg; break;
        case OPT_NGINX_PREFIX: o->nginx_prefix = optarg; break;
        case OPT_PID_FILE:     o->pid_file = optarg; break;
        case OPT_FORCE:        o->force = 1; break;
        case OPT_YES:          o->yes = 1; break;
        case OPT_RELOAD:       o->reload = 1; break;
        case OPT_KEK:          o->kek = optarg; break;
        case OPT_MAF:          o->maf = 1; break;

        case OPT_EXPIRES:
            if (parse_expires(optarg, &o->expires) != 0) {
                return -1;
            }
            break;

        case OPT_BYTES:
            if (parse_bytes(optarg, &o->bytes) != 0) {
                return -1;
            }
            break;

        case ':':
            kpsa_err("option %s needs an argument", argv[optind - 1]);
            return -1;

        default:
            if (optopt != 0 && optopt < 256) {
                kpsa_err("unknown option -%c", optopt);
            } else {
                kpsa_err("unknown option %s", argv[optind - 1]);
            }
            return -1;
        }
    }

    if (optind >= argc) {
        kpsa_err("no command");
        return -1;
    }

    o->command = argv[optind];
    o->args = argv + optind + 1;
    o->nargs = argc - optind - 1;

    if (o->table == NULL) {
        o->table = getenv(KPSA_TABLE_ENV);
    }

    if (o->table == NULL || o->table[0] == '\0') {
        o->table = KPSA_DEFAULT_TABLE;
    }

    if (o->format != NULL && strcmp(o->format, "psktool") != 0
        && strcmp(o->format, "stunnel") != 0)
    {
        kpsa_err("--format: \"%s\" is neither psktool nor stunnel",
                 o->format);
        return -1;
    }

    return 0;
}
