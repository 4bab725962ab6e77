/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The one hash the benchmark programs (lmdb_bench, psk_load) derive their
 * credentials and random orders from: each is a single .c file, so this
 * is a header of its own.
 */

#ifndef ONEM2M_BENCH_MIX_H
#define ONEM2M_BENCH_MIX_H

#include <stdint.h>

/* SplitMix64's finaliser: a well-spread 64-bit value for each x */
static inline uint64_t
splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

#endif /* ONEM2M_BENCH_MIX_H */
