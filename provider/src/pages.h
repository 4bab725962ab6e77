/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Whole pages from the kernel for the table's large areas: transparent
 * huge pages for big ones (fewer TLB misses at 1M entries), trimmable
 * once the real size is known (the parser reserves upper bounds).
 */

#ifndef ONEM2M_PAGES_H
#define ONEM2M_PAGES_H

#include <stddef.h>

/* len rounded up to whole pages */
size_t onem2m_pages_round(size_t len);
/* len bytes of zeroed pages, NULL when the kernel says no */
void *onem2m_pages_alloc(size_t len);
/* gives back the pages beyond used; returns the length still mapped */
size_t onem2m_pages_trim(void *p, size_t len, size_t used);
/* unmaps; with cleanse, the bytes are wiped first (keys) */
void onem2m_pages_free(void *p, size_t len, int cleanse);
/* keeps the pages out of core dumps, where the system allows */
void onem2m_pages_no_dump(void *p, size_t len);

#endif /* ONEM2M_PAGES_H */
