/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SipHash-1-3 (Aumasson, Bernstein): a keyed hash, so that identities that
 * collide in the table's index cannot be computed without the key.
 */

#ifndef ONEM2M_SIPHASH_H
#define ONEM2M_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t onem2m_siphash13(const uint64_t key[2], const void *data,
    size_t len);
/* a random key (getrandom(); early in boot without entropy, the clock) */
void onem2m_siphash_key(uint64_t key[2]);

#endif /* ONEM2M_SIPHASH_H */
