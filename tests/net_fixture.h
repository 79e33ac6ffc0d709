/* SPDX-License-Identifier: MIT */
/*
 * net_fixture.h - helpers shared by test_pow.c and test_p2p.c: a validated network scenario from
 * assignments, and a kept network run. Header-only (static functions), like ledger_fixture.h.
 */
#ifndef POPI_NET_FIXTURE_H
#define POPI_NET_FIXTURE_H

#include "popi/netrun.h"
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NFX_UNUSED __attribute__((unused))

/* Apply assignments (NULL-terminated list) on top of @p s. */
static NFX_UNUSED void vset(popi_scenario_t *s, va_list ap)
{
    for (const char *a; (a = va_arg(ap, const char *));)
        ck_assert_msg(popi_scenario_set(s, a) == POPI_OK, "%s: %s", a, popi_err_message());
}

/* A validated network scenario: defaults, run.seed = @p seed, then the assignments. */
static NFX_UNUSED void scen(popi_scenario_t *s, uint64_t seed, ...)
{
    popi_scenario_defaults(s);
    char a[64];
    snprintf(a, sizeof a, "run.seed=%llu", (unsigned long long)seed);
    ck_assert_int_eq(popi_scenario_set(s, a), POPI_OK);
    va_list ap;
    va_start(ap, seed);
    vset(s, ap);
    va_end(ap);
    ck_assert_msg(popi_scenario_validate(s) == POPI_OK, "%s", popi_err_message());
}

/* Execute @p s (output to @p out, may be NULL), asserting success; the run is kept. */
static NFX_UNUSED popi_netrun_keep_t *run_keep(const popi_scenario_t *s, const char *out,
                                               popi_netrun_summary_t *sum)
{
    popi_run_opts_t o = {out, 1, 0, NULL, NULL};
    popi_run_fail_t fail;
    popi_netrun_keep_t *k = NULL;
    popi_err_t rc = popi_netrun_execute(s, &o, sum, &fail, &k);
    ck_assert_msg(rc == POPI_OK, "popi_netrun_execute: %s", popi_err_message());
    ck_assert_int_eq(fail, POPI_RUN_FAIL_NONE);
    ck_assert_ptr_nonnull(k);
    return k;
}

/* Executing @p s is an input error (POPI_EINVAL, nothing kept) whose message names @p word and,
 * if not NULL, @p word2. */
static NFX_UNUSED void run_input_error(const popi_scenario_t *s, const char *word, const char *word2)
{
    popi_run_opts_t o = {NULL, 1, 0, NULL, NULL};
    popi_run_fail_t fail;
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = NULL;
    ck_assert_int_eq(popi_netrun_execute(s, &o, &sum, &fail, &k), POPI_EINVAL);
    ck_assert_int_eq(fail, POPI_RUN_FAIL_INPUT);
    ck_assert_ptr_null(k);
    ck_assert_msg(strstr(popi_err_message(), word) && (!word2 || strstr(popi_err_message(), word2)),
                  "expected '%s'%s%s: %s", word, word2 ? " and " : "", word2 ? word2 : "",
                  popi_err_message());
}

/* Per-test wall time on stderr when POPI_TEST_TIMES is set (a checked fixture: runs in the child). */
static struct timespec nfx_t_start;
static NFX_UNUSED void time_setup(void)
{
    clock_gettime(CLOCK_MONOTONIC, &nfx_t_start);
}
static NFX_UNUSED void time_teardown(void)
{
    if (!getenv("POPI_TEST_TIMES")) return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    fprintf(stderr, "  %.3f s\n",
            (double)(t.tv_sec - nfx_t_start.tv_sec) + 1e-9 * (double)(t.tv_nsec - nfx_t_start.tv_nsec));
}

#endif
