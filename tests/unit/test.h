/* SPDX-License-Identifier: MIT */
/* test: the smallest unit-test helper that does the job.
 *
 * test_cond(name, cond) records one named case; test_report() prints every
 * failure as it happens, then one "N passed, N failed" line, and returns the
 * exit status for main. A unit test may #include the module's .c file to reach
 * its static functions. */
#ifndef GH_TEST_H
#define GH_TEST_H

#include <stdio.h>

static int test_passed, test_failed;

#define test_cond(name, cond)                                                \
    do {                                                                     \
        if (cond) {                                                          \
            test_passed++;                                                   \
        } else {                                                             \
            test_failed++;                                                   \
            printf("FAIL %s (%s:%d)\n", (name), __FILE__, __LINE__);       \
        }                                                                    \
    } while (0)

#define test_report()                                                        \
    (printf("%d passed, %d failed\n", test_passed, test_failed),             \
     test_failed ? 1 : 0)

#endif
