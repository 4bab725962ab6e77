/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the two files of psk_load share: psk_load.c (commands, options,
 * the run, the credential generator) and psk_load_conn.c (a load process).
 */

#ifndef ONEM2M_BENCH_PSK_LOAD_H
#define ONEM2M_BENCH_PSK_LOAD_H

#include <stdint.h>
#include <sys/types.h>

#define MAX_PROCS     64
#define MAX_PIDS      16
#define HIST_US       200000            /* latencies above 200 ms: last bin */
#define MAX_REPORTED  3                 /* failure reasons printed per proc */

typedef enum {
    MODE_TLS12,          /* TLS 1.2 PSK-AES128-CBC-SHA256 (TS-0003) */
    MODE_TLS13,          /* TLS 1.3 external PSK, psk_dhe_ke (P-256) */
    MODE_TLS13_KE,       /* TLS 1.3 external PSK, psk_ke (no ECDHE) */
    MODE_CERT12,         /* TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 */
    MODE_CERT13          /* TLS 1.3 certificate, ECDHE P-256 */
} mode_t_;

/* what every process counts, in shared memory */
typedef struct {
    uint64_t  handshakes;       /* completed in the measured window */
    uint64_t  requests;         /* answered 200 in the window */
    uint64_t  hs_failures;      /* whole run */
    uint64_t  req_failures;     /* whole run */
    uint64_t  resumed;          /* must stay 0 */
    int       kex_group;        /* of the last handshake (0: none, psk_ke) */
    char      cipher[64];
    uint32_t  hs_hist[HIST_US];
    uint32_t  req_hist[HIST_US];
} proc_stats_t;

typedef struct {
    volatile int     stop;
    volatile double  t0, t1;    /* the measured window, CLOCK_MONOTONIC */
    proc_stats_t     procs[];
} shared_t;

typedef struct {
    const char  *host;
    int          port;
    mode_t_      mode;
    int          procs;
    double       seconds;
    double       warmup;
    int          requests;      /* per connection (0: handshake only) */
    unsigned     entries;       /* identities 0 .. entries-1 */
    unsigned     first;         /* or one identity only: first, entries 1 */
    int          origin;        /* send X-M2M-Origin: <entity> */
    const char  *path;
    const char  *sni;
    pid_t        front[MAX_PIDS];
    int          nfront;
    pid_t        back[MAX_PIDS];
    int          nback;
} options_t;

/* psk_load.c */
extern options_t              opt;
extern shared_t              *shm;

void cred_identity(unsigned i, char *buf, size_t size);
void cred_entity(unsigned i, char *buf, size_t size);
void cred_key(unsigned i, unsigned char key[16]);
double now(void);

/* psk_load_conn.c: one load process */
void child(int index);

#endif /* ONEM2M_BENCH_PSK_LOAD_H */
