/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SipHash-1-3: the hash of the table's indexes (table_index.c), keyed per
 * table: table contents come from the operator, identities from anybody.
 */

#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "siphash.h"

#define ROTL64(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIP_ROUND                                                           \
    do {                                                                    \
        v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);       \
        v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                            \
        v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                            \
        v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);       \
    } while (0)

uint64_t
onem2m_siphash13(const uint64_t key[2], const void *data, size_t len)
{
    const unsigned char  *p = data;
    const unsigned char  *end = p + (len & ~(size_t) 7);
    uint64_t              v0 = 0x736f6d6570736575ULL ^ key[0];
    uint64_t              v1 = 0x646f72616e646f6dULL ^ key[1];
    uint64_t              v2 = 0x6c7967656e657261ULL ^ key[0];
    uint64_t              v3 = 0x7465646279746573ULL ^ key[1];
    uint64_t              m, b;
    size_t                i;

    for (; p != end; p += 8) {
        memcpy(&m, p, 8);
        v3 ^= m;
        SIP_ROUND;
        v0 ^= m;
    }

    b = (uint64_t) len << 56;
    for (i = 0; i < (len & 7); i++) {
        b |= (uint64_t) p[i] << (8 * i);
    }

    v3 ^= b;
    SIP_ROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIP_ROUND;
    SIP_ROUND;
    SIP_ROUND;

    return v0 ^ v1 ^ v2 ^ v3;
}

void
onem2m_siphash_key(uint64_t key[2])
{
    struct timespec  ts;

    if (getrandom(key, 2 * sizeof(uint64_t), GRND_NONBLOCK)
        == (ssize_t) (2 * sizeof(uint64_t)))
    {
        return;
    }

    /* no entropy yet (early boot): still better than a fixed key */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    key[0] = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL
             ^ (uint64_t) (uintptr_t) key;
    key[1] = (uint64_t) ts.tv_sec * 0xc2b2ae3d27d4eb4fULL ^ getpid();
}
