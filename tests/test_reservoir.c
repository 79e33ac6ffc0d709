/* SPDX-License-Identifier: MIT */
/* test_reservoir.c - algorithm L: every item kept below k, uniform inclusion above it. */
#include "popi/reservoir.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

START_TEST(test_small_stream_kept_whole)
{
    popi_rng_t g;
    popi_rng_init(&g, 1, 0, POPI_STREAM_SAMPLING);
    popi_reservoir_t r;
    popi_reservoir_init(&r, 10);
    for (int k = 0; k < 7; k++) popi_reservoir_add(&r, k, &g);
    ck_assert_uint_eq(r.n, 7);
    for (int k = 0; k < 7; k++) ck_assert(r.v[k] == k);
    popi_reservoir_destroy(&r);
    popi_reservoir_destroy(&r);
    popi_reservoir_init(&r, 0); /* k = 0 keeps nothing */
    for (int k = 0; k < 100; k++) popi_reservoir_add(&r, k, &g);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_uint_eq(r.seen, 100);
    popi_reservoir_destroy(&r);
    popi_rng_destroy(&g);
}
END_TEST

START_TEST(test_inclusion_is_uniform)
{
    /* offer 0..N-1 to reservoirs of size k, many times: each item is kept with probability k/N;
     * count inclusions in 10 equal blocks of the stream (first, middle and last items alike) */
    uint64_t seed = popi_test_seed(8);
    const int N = 5000, k = 50, reps = 2000, B = 10;
    double count[10] = {0};
    popi_rng_t g;
    popi_rng_init(&g, seed, 0, POPI_STREAM_SAMPLING);
    for (int rep = 0; rep < reps; rep++) {
        popi_reservoir_t r;
        popi_reservoir_init(&r, (size_t)k);
        for (int x = 0; x < N; x++) popi_reservoir_add(&r, x, &g);
        ck_assert_uint_eq(r.n, (size_t)k);
        for (size_t q = 0; q < r.n; q++) count[(int)r.v[q] * B / N] += 1;
        popi_reservoir_destroy(&r);
    }
    /* each block holds k/B items per rep on average; the per-rep count is hypergeometric,
     * variance k (1/B)(1 - 1/B)(N - k)/(N - 1) */
    double mean = (double)reps * k / B;
    double var = (double)reps * k * (1.0 / B) * (1 - 1.0 / B) * (N - k) / (N - 1.0);
    for (int b = 0; b < B; b++)
        ck_assert_msg(fabs(count[b] - mean) <= 4 * sqrt(var), "seed %llu: block %d kept %g times, expected %g +- %g",
                      (unsigned long long)seed, b, count[b], mean, sqrt(var));
    popi_rng_destroy(&g);
}
END_TEST

START_TEST(test_determinism_and_late_items)
{
    popi_rng_t g1, g2;
    popi_rng_init(&g1, 3, 0, POPI_STREAM_SAMPLING);
    popi_rng_init(&g2, 3, 0, POPI_STREAM_SAMPLING);
    popi_reservoir_t a, b;
    popi_reservoir_init(&a, 100);
    popi_reservoir_init(&b, 100);
    for (int x = 0; x < 1000000; x++) {
        popi_reservoir_add(&a, x, &g1);
        popi_reservoir_add(&b, x, &g2);
    }
    size_t late = 0;
    for (size_t q = 0; q < 100; q++) {
        ck_assert(a.v[q] == b.v[q]);
        late += a.v[q] >= 500000;
    }
    /* half the stream is in its second half: 50 of 100 expected, sd 5 */
    ck_assert_msg(late >= 30 && late <= 70, "%zu of 100 kept items from the second half", late);
    popi_reservoir_destroy(&a);
    popi_reservoir_destroy(&b);
    popi_rng_destroy(&g1);
    popi_rng_destroy(&g2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reservoir");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_small_stream_kept_whole);
    tcase_add_test(tc, test_inclusion_is_uniform);
    tcase_add_test(tc, test_determinism_and_late_items);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
