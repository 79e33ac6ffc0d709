/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - small helpers shared by the Check suites: the seed of statistical tests (printed on
 * failure), temporary folders, and paths into the source tree.
 */
#ifndef POPI_TESTUTIL_H
#define POPI_TESTUTIL_H

#include <check.h>
#include <stdint.h>

/** Seed for statistical tests: $POPI_TEST_SEED if set, else @p dflt. */
uint64_t popi_test_seed(uint64_t dflt);

/** A fresh temporary folder (caller frees the string; removed by popi_test_rmdir). */
char *popi_test_tmpdir(void);
void popi_test_rmdir(const char *dir);

/** Path of a file in the source tree (static buffer, valid until the next call). */
const char *popi_test_src(const char *rel);

/** Write @p text to @p path; returns 0 on success. */
int popi_test_write(const char *path, const char *text);

/** Run a Check suite and return the process exit status (0 if all passed). */
int popi_test_run(Suite *s);

#endif
