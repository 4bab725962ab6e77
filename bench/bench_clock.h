/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The one clock reading of the benchmark programs (table_bench, lmdb_bench,
 * psk_load): each is a single .c file, so this is a header of its own.
 */

#ifndef ONEM2M_BENCH_CLOCK_H
#define ONEM2M_BENCH_CLOCK_H

#include <time.h>

/* seconds of clock id: CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ... */
static inline double
clock_seconds(clockid_t id)
{
    struct timespec  ts;

    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* ONEM2M_BENCH_CLOCK_H */
