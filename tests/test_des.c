/* SPDX-License-Identifier: MIT */
/* test_des.c - event ordering, ties, cancellation, periodic events, failures; RNG streams. */
#include "popi/des.h"
#include "popi/rng.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    popi_time_t t[64];
    uint64_t arg[64];
    int n;
} log_t;

static popi_time_t record(popi_des_t *d, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)d;
    log_t *l = ctx;
    l->t[l->n] = now;
    l->arg[l->n++] = arg;
    return POPI_DES_DONE;
}

START_TEST(test_order_and_ties)
{
    popi_des_t d;
    popi_des_init(&d);
    log_t l = {0};
    /* scheduled out of order, with ties at t = 5: ties run in scheduling order */
    ck_assert_int_eq(popi_des_schedule(&d, 9, record, &l, 1, NULL), POPI_OK);
    ck_assert_int_eq(popi_des_schedule(&d, 5, record, &l, 2, NULL), POPI_OK);
    ck_assert_int_eq(popi_des_schedule(&d, 5, record, &l, 3, NULL), POPI_OK);
    ck_assert_int_eq(popi_des_schedule(&d, 1, record, &l, 4, NULL), POPI_OK);
    ck_assert_int_eq(popi_des_schedule(&d, 5, record, &l, 5, NULL), POPI_OK);
    ck_assert_uint_eq(popi_des_pending(&d), 5);
    ck_assert_int_eq(popi_des_run_until(&d, 100), POPI_OK);
    ck_assert_int_eq(l.n, 5);
    const uint64_t want[] = {4, 2, 3, 5, 1};
    const popi_time_t wt[] = {1, 5, 5, 5, 9};
    for (int k = 0; k < 5; k++) {
        ck_assert_uint_eq(l.arg[k], want[k]);
        ck_assert_int_eq(l.t[k], wt[k]);
    }
    ck_assert_int_eq(d.now, 100);
    ck_assert_uint_eq(d.n_executed, 5);
    popi_des_destroy(&d);
}
END_TEST

START_TEST(test_many_random_events_sorted)
{
    uint64_t seed = popi_test_seed(11);
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, 99);
    popi_des_t d;
    popi_des_init(&d);
    static log_t big;
    enum { N = 5000 };
    popi_time_t *t = malloc(N * sizeof *t), *got = malloc(N * sizeof *got);
    uint64_t *seq = malloc(N * sizeof *seq);
    int n = 0;
    for (int k = 0; k < N; k++) {
        t[k] = (popi_time_t)popi_rng_below(&r, 1000);
        popi_des_schedule(&d, t[k], record, &big, (uint64_t)k, NULL);
    }
    /* drain one at a time through run_until to check monotone order */
    popi_time_t last = -1;
    uint64_t last_arg = 0;
    for (popi_time_t now = 0; now < 1000; now++) {
        big.n = 0;
        popi_des_run_until(&d, now);
        for (int k = 0; k < big.n; k++) {
            ck_assert_msg(big.t[k] >= last, "seed %llu: time went back", (unsigned long long)seed);
            if (big.t[k] == last)
                ck_assert_msg(big.arg[k] > last_arg, "seed %llu: tie order", (unsigned long long)seed);
            last = big.t[k];
            last_arg = big.arg[k];
            got[n] = big.t[k];
            seq[n++] = big.arg[k];
        }
        ck_assert_int_lt(big.n, 64);
    }
    ck_assert_int_eq(n, N);
    for (int k = 0; k < N; k++) ck_assert_int_eq(got[k], t[seq[k]]);
    free(t);
    free(got);
    free(seq);
    popi_rng_destroy(&r);
    popi_des_destroy(&d);
}
END_TEST

START_TEST(test_cancel)
{
    popi_des_t d;
    popi_des_init(&d);
    log_t l = {0};
    popi_des_event_id_t a, b, c;
    popi_des_schedule(&d, 10, record, &l, 1, &a);
    popi_des_schedule(&d, 20, record, &l, 2, &b);
    popi_des_schedule(&d, 30, record, &l, 3, &c);
    ck_assert(popi_des_cancel(&d, b));
    ck_assert(!popi_des_cancel(&d, b)); /* twice: no-op */
    ck_assert_uint_eq(popi_des_pending(&d), 2);
    popi_des_run_until(&d, 15);
    ck_assert(!popi_des_cancel(&d, a)); /* already fired */
    popi_des_run_until(&d, 100);
    ck_assert_int_eq(l.n, 2);
    ck_assert_uint_eq(l.arg[0], 1);
    ck_assert_uint_eq(l.arg[1], 3);
    /* a stale handle whose slot was reused must not cancel the new event */
    popi_des_event_id_t e;
    popi_des_schedule(&d, 200, record, &l, 4, &e);
    ck_assert(!popi_des_cancel(&d, c));
    popi_des_run_until(&d, 300);
    ck_assert_int_eq(l.n, 3);
    popi_des_event_id_t bogus = {999999, 0};
    ck_assert(!popi_des_cancel(&d, bogus));
    popi_des_destroy(&d);
}
END_TEST

typedef struct {
    int calls;
    popi_time_t last;
    popi_des_event_id_t other;
    bool cancel_other;
} periodic_t;

static popi_time_t tick(popi_des_t *d, void *ctx, popi_time_t now, uint64_t arg)
{
    periodic_t *p = ctx;
    p->calls++;
    p->last = now;
    if (p->cancel_other && p->calls == 2) popi_des_cancel(d, p->other);
    return p->calls < (int)arg ? 7 : POPI_DES_DONE;
}

START_TEST(test_periodic)
{
    popi_des_t d;
    popi_des_init(&d);
    periodic_t p = {0};
    log_t l = {0};
    popi_des_schedule(&d, 3, tick, &p, 5, NULL);
    popi_des_schedule(&d, 12, record, &l, 1, &p.other);
    p.cancel_other = true; /* cancelled by the periodic event at t = 10 */
    popi_des_run_until(&d, 1000);
    ck_assert_int_eq(p.calls, 5);
    ck_assert_int_eq(p.last, 3 + 4 * 7);
    ck_assert_int_eq(l.n, 0);
    ck_assert_uint_eq(popi_des_pending(&d), 0);
    popi_des_destroy(&d);
}
END_TEST

static popi_time_t failing(popi_des_t *d, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)ctx;
    (void)now;
    (void)arg;
    popi_des_fail(d, POPI_EIO);
    return POPI_DES_DONE;
}

START_TEST(test_fail_and_stop_and_past)
{
    popi_des_t d;
    popi_des_init(&d);
    log_t l = {0};
    popi_des_schedule(&d, 5, failing, NULL, 0, NULL);
    popi_des_schedule(&d, 6, record, &l, 1, NULL);
    ck_assert_int_eq(popi_des_run_until(&d, 100), POPI_EIO);
    ck_assert_int_eq(l.n, 0);
    ck_assert_int_eq(d.now, 5);
    /* scheduling in the past is an error that names the times */
    ck_assert_int_eq(popi_des_schedule(&d, 4, record, &l, 2, NULL), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "before now"));
    popi_des_destroy(&d);
    popi_des_destroy(&d); /* destroy twice is safe */
}
END_TEST

START_TEST(test_rng_streams)
{
    popi_rng_t a, b, c;
    popi_rng_init(&a, 42, 0, POPI_STREAM_MOBILITY);
    popi_rng_init(&b, 42, 0, POPI_STREAM_MOBILITY);
    popi_rng_init(&c, 42, 1, POPI_STREAM_MOBILITY);
    int same_ac = 0;
    for (int k = 0; k < 100; k++) {
        double x = popi_rng_uniform(&a), y = popi_rng_uniform(&b), z = popi_rng_uniform(&c);
        ck_assert(x == y);
        same_ac += x == z;
    }
    ck_assert_int_lt(same_ac, 2);
    ck_assert(popi_rng_key3(1, 2, 3) != popi_rng_key3(1, 3, 2));
    /* counter-based normals: mean 0, variance 1 within 4 standard errors */
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int k = 0; k < n; k++) {
        double g = popi_rng_hash_gaussian(popi_rng_key3(7, 0, (uint64_t)k));
        s += g;
        s2 += g * g;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    ck_assert_msg(fabs(mean) < 4.0 / sqrt(n), "mean %g", mean);
    ck_assert_msg(fabs(var - 1.0) < 4.0 * sqrt(2.0 / n), "var %g", var);
    popi_rng_destroy(&a);
    popi_rng_destroy(&b);
    popi_rng_destroy(&c);
    popi_rng_destroy(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("des");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_order_and_ties);
    tcase_add_test(tc, test_many_random_events_sorted);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_periodic);
    tcase_add_test(tc, test_fail_and_stop_and_past);
    tcase_add_test(tc, test_rng_streams);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
