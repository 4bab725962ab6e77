/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table's page allocator (see pages.h): mmap, huge pages, trimming.
 */

#include <unistd.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "pages.h"

#define HUGE_PAGE_SIZE  ((size_t) 2 << 20)

size_t
onem2m_pages_round(size_t len)
{
    size_t  page = (size_t) sysconf(_SC_PAGESIZE);

    return (len + page - 1) & ~(page - 1);
}

void *
onem2m_pages_alloc(size_t len)
{
    void  *p;

    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }

#ifdef MADV_HUGEPAGE
    if (len >= HUGE_PAGE_SIZE) {
        (void) madvise(p, len, MADV_HUGEPAGE);
    }
#endif

    return p;
}

size_t
onem2m_pages_trim(void *p, size_t len, size_t used)
{
    size_t  keep = onem2m_pages_round(used > 0 ? used : 1);

    if (keep < len) {
        munmap((char *) p + keep, len - keep);
        return keep;
    }

    return len;
}

void
onem2m_pages_free(void *p, size_t len, int cleanse)
{
    if (p == NULL) {
        return;
    }

    if (cleanse) {
        OPENSSL_cleanse(p, len);
    }

    munmap(p, len);
}

void
onem2m_pages_no_dump(void *p, size_t len)
{
#ifdef MADV_DONTDUMP
    (void) madvise(p, len, MADV_DONTDUMP);
#endif
}
