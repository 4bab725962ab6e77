/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory for long-lived key material (a KEK and what is keyed with it):
 * whole pages of their own, excluded from core dumps (MADV_DONTDUMP, where
 * the system has it), wiped before they go back to the kernel.
 */

#include <unistd.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "kpsa_store.h"

static size_t
keymem_len(size_t len)
{
    size_t  page = (size_t) sysconf(_SC_PAGESIZE);

    return (len + page - 1) & ~(page - 1);
}

void *
kpsa_keymem_alloc(size_t len)
{
    void  *p;

    p = mmap(NULL, keymem_len(len), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }

#ifdef MADV_DONTDUMP
    (void) madvise(p, keymem_len(len), MADV_DONTDUMP);
#endif

    return p;                           /* zeroed by the kernel */
}

void
kpsa_keymem_free(void *p, size_t len)
{
    if (p == NULL) {
        return;
    }

    OPENSSL_cleanse(p, len);
    munmap(p, keymem_len(len));
}
