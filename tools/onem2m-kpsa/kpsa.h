/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-kpsa: the command-line tool that owns the psk-lookup-table file.
 *
 * The table's rules live in one place, the provider's parser
 * (provider/src/table_*.c), linked into this tool as libonem2m_table.a
 * through provider/internal/onem2m_table.h (and sae_dispatch.h for a
 * table's head), never provider/src: every result
 * is parsed in memory by onem2m_table_parse() before it is written, and
 * "check" opens the file with onem2m_table_open(), the call nginx -t makes
 * through the provider.  The tool itself only knows where lines start and
 * which of them hold credentials (kpsa_doc), and checks that view against
 * the parser's on every open.
 *
 * Files: main.c (commands), args.c (command line), doc.c (the table as
 * lines: read, edit, validate), atomic.c (lock, atomic write), keys.c (keys
 * and hex), io.c (psktool/stunnel import and export), reload.c (nginx -t
 * and reload), pg.c (the fleet's PostgreSQL source).
 */

#ifndef ONEM2M_KPSA_H
#define ONEM2M_KPSA_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/onem2m_text.h"
#include "internal/onem2m_table.h"

#define KPSA_PROG                "onem2m-kpsa"
#define KPSA_DEFAULT_TABLE       "/etc/nginx/onem2m/kpsa.table"
#define KPSA_TABLE_ENV           "ONEM2M_KPSA_TABLE"
#define KPSA_DEFAULT_KEY_BYTES   16
#define KPSA_TEST_PAUSE_ENV      "ONEM2M_KPSA_TEST_PAUSE"

/* exit statuses */
#define KPSA_OK                  0
#define KPSA_FAIL                1     /* bad input, refused, I/O error */
#define KPSA_USAGE               2     /* bad command line */

typedef struct {
    const char    *table;          /* -f, --table */
    const char    *command;
    char         **args;           /* operands after the command */
    int            nargs;

    const char    *kpsa_id;        /* --kpsa-id */
    const char    *fqdn;           /* --fqdn */
    const char    *entity;         /* --entity */
    const char    *key_file;       /* --key-file ("-": stdin) */
    const char    *map;            /* --map (import) */
    const char    *format;         /* --format psktool|stunnel */
    const char    *output;         /* -o, --output (export) */
    const char    *nginx;          /* --nginx */
    const char    *nginx_conf;     /* --nginx-conf (nginx -c) */
    const char    *nginx_prefix;   /* --nginx-prefix (nginx -p) */
    const char    *pid_file;       /* --pid-file */
    const char    *kek;            /* --kek (LMDB stores) */
    long long      expires;        /* --expires, unix seconds; 0: none */
    int            maf;            /* --maf: a MAF key (Kc, SUID 32) */
    int            bytes;          /* --bytes, 0: default */
    int            force;
    int            yes;
    int            reload;
    int            quiet;
} kpsa_opts;

/* args.c */
int kpsa_args_parse(kpsa_opts *o, int argc, char **argv);
void kpsa_usage(int full);

/* messages: "onem2m-kpsa: ..." on stderr */
void kpsa_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kpsa_note(const kpsa_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*- the table as lines ------------------------------------------------ */

typedef struct {
    size_t          off;           /* in buf */
    size_t          len;           /* without the line break */
    int             cred;          /* holds a credential */
    size_t          ent_off, ent_len;
    size_t          id_off, id_len;
    int             drop;          /* deleted by this run */
} kpsa_line;

typedef struct {
    const char         *path;          /* as given, for messages */
    char               *target;        /* written: a symlink's target */
    int                 fd;            /* locked (writers), -1 */
    int                 new_fd;        /* the written file, locked, -1 */
    struct stat         st;            /* of the file as read */
    int                 exists;
    int                 created;       /* created empty by this run */

    unsigned char      *buf;           /* contents (keys in hex) */
    size_t              len;
    kpsa_line          *lines;
    size_t              nlines;
    ONEM2M_SAE_TABLE   *table;         /* the parsed contents */

    unsigned char      *add;           /* lines appended by this run */
    size_t              add_len, add_cap;
    size_t              nadded;
    size_t              first_added;   /* line number of the first one */
} kpsa_doc;

#define KPSA_DOC_LOCK      1           /* writers: flock, re-checked */
#define KPSA_DOC_CREATE    2           /* a missing table is created */

int kpsa_doc_open(kpsa_doc *d, const char *path, int flags);
/* the whole file (NUL-terminated; cleanse it: it may hold keys) */
int kpsa_read_fd(int fd, const char *path, unsigned char **buf, size_t *len);
/*
 * size bytes of fd into buf, fewer only at the end of the file; *len what
 * was read, even on an error (-1, said with path)
 */
int kpsa_read_full(int fd, const char *path, void *buf, size_t size,
    size_t *len);
void kpsa_doc_close(kpsa_doc *d);
/* the line holding KpsaID id, or -1 */
long kpsa_doc_find_id(const kpsa_doc *d, const char *id, size_t len);
const char *kpsa_doc_fqdn_of_last(const kpsa_doc *d, const char *entity,
    size_t *len);
/* appends "<entity> <hex> <id>"; the caller has validated the fields */
int kpsa_doc_append(kpsa_doc *d, const char *entity,
    const unsigned char *key, size_t key_len, const char *id);
/* validates the edited table in memory, writes it atomically */
int kpsa_doc_commit(kpsa_doc *d);
/* puts the contents read back (after a failed reload) */
int kpsa_doc_restore(kpsa_doc *d);

/*- atomic.c ---------------------------------------------------------- */

int kpsa_lock_open(const char *path, int create, int *fd, struct stat *st,
    int *created);
/*
 * Writes buf to path through a temporary file in the same directory:
 * fsync, rename, directory fsync; mode 0600, owner and group of old (if
 * not NULL).  The new file stays open and locked in *locked_fd (when not
 * NULL) so that no other writer takes it before this run ends.
 */
int kpsa_write_atomic(const char *path, const unsigned char *buf,
    size_t len, const struct stat *old, int *locked_fd);
/* removes temporary files a killed run left (call with the lock held) */
void kpsa_remove_stale_temps(const char *path);
/* test hook: pauses at the named point when KPSA_TEST_PAUSE_ENV says so */
void kpsa_test_pause(const char *point);

/*- keys.c ------------------------------------------------------------ */

int kpsa_key_generate(unsigned char *key, size_t len);
/* hex (optional 0x, either case) to bytes; -1 when not even hex */
/* a quoted string in a message: onem2m_text_log_quote() of an id */
#define KPSA_QUOTE_SIZE  ONEM2M_TEXT_LOG_SIZE(ONEM2M_SAE_MAX_ID_LEN)
int kpsa_hex_decode(const char *hex, size_t hexlen, unsigned char *out,
    size_t max, size_t *out_len);
/* reads a hex key from a file ("-": stdin), refuses anything else */
int kpsa_key_read(const char *file, unsigned char *key, size_t *key_len);
/* 0 when len is acceptable (16+ bytes, or fewer with force) */
int kpsa_key_length_ok(size_t len, int force, const char *what);
int kpsa_random_relative(char *out, size_t outlen);
/* --key-file or a generated key (--bytes), length checked; -1 said why */
int kpsa_key_obtain(const kpsa_opts *o, unsigned char *key,
    size_t *key_len);

/*- io.c -------------------------------------------------------------- */

int kpsa_import(const kpsa_opts *o, kpsa_doc *d, const char *file);
int kpsa_export(const kpsa_opts *o, const kpsa_doc *d);

/*- lmdb.c, compile.c: kpsa-lmdb: stores ----------------------------- */

/* the directory of a "kpsa-lmdb:" table, else NULL */
const char *kpsa_lmdb_dir(const char *table);
/* the commands on a store, and compile (from a text table) */
int kpsa_lmdb_command(kpsa_opts *o);
int kpsa_compile(const kpsa_opts *o);
/* loads --kek into kek; -1 after printing why */
int kpsa_lmdb_kek(const kpsa_opts *o, unsigned char *kek);
/* "KpsaID: ...\nKpsa: ...\n" on stdout with write(2) */
int kpsa_print_credential(const char *id, const unsigned char *key,
    size_t key_len);

/*- reload.c ---------------------------------------------------------- */

/*
 * nginx -t, then a reload; 0, KPSA_RELOAD_NOT_RUNNING when nginx -t passed
 * but no master runs (said), or -1 after printing why
 */
#define KPSA_RELOAD_NOT_RUNNING  1
int kpsa_reload(const kpsa_opts *o);

/*- pg.c: the fleet's PostgreSQL source (-f postgresql:<conninfo>) --- */

int kpsa_is_postgresql(const char *table);
int kpsa_pg_command(kpsa_opts *o);

#endif /* ONEM2M_KPSA_H */
