/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the fuzz targets share: check(cond) aborts (a crash for libFuzzer)
 * when a promise of the code under test is broken.
 */

#ifndef ONEM2M_FUZZ_CHECK_H
#define ONEM2M_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define check(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__,        \
                    __LINE__, #cond);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)

#endif /* ONEM2M_FUZZ_CHECK_H */
