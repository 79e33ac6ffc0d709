/* SPDX-License-Identifier: MIT */
/*
 * test_contact.c - the exact proximity engine: closed-form cases, agreement with brute-force
 * stepping, independence from threads and bucket length, and the kinetic-theory contact rate.
 */
#include "popi/contact.h"
#include "popi/mobility.h"
#include "popi/radio.h"
#include "popi/world.h"
#include "testutil.h"

#include <math.h>
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* Closed-form pair cases                                                                          */

START_TEST(test_solve_cases)
{
    double a, b, d;
    /* head-on: distance 10 - t crosses 2 at t = 8 and -2 at t = 12 */
    ck_assert(popi_contact_solve(10, 0, -1, 0, 2, 20, &a, &b, &d));
    ck_assert_double_eq_tol(a, 8.0, 1e-12);
    ck_assert_double_eq_tol(b, 12.0, 1e-12);
    ck_assert_double_eq_tol(d, 0.0, 1e-12);
    /* window cut: only [8, 9] is inside span 9, and the end is exactly the span */
    ck_assert(popi_contact_solve(10, 0, -1, 0, 2, 9, &a, &b, &d));
    ck_assert(b == 9.0);
    /* offset pass: y = 1.2, crossing where x^2 = 4 - 1.44 */
    ck_assert(popi_contact_solve(-5, 1.2, 1, 0, 2, 20, &a, &b, &d));
    ck_assert_double_eq_tol(a, 5.0 - 1.6, 1e-12);
    ck_assert_double_eq_tol(b, 5.0 + 1.6, 1e-12);
    ck_assert_double_eq_tol(d, 1.2, 1e-12);
    /* inside at the start, leaving: [0, 1] with a exactly 0 */
    ck_assert(popi_contact_solve(1, 0, 1, 0, 2, 10, &a, &b, &d));
    ck_assert(a == 0.0);
    ck_assert_double_eq_tol(b, 1.0, 1e-12);
    /* both still: inside -> whole span, outside -> nothing */
    ck_assert(popi_contact_solve(1, 1, 0, 0, 2, 5, &a, &b, &d));
    ck_assert(a == 0.0 && b == 5.0);
    ck_assert(!popi_contact_solve(3, 0, 0, 0, 2, 5, &a, &b, &d));
    /* moving away, never in range; approaching but not reaching within the span */
    ck_assert(!popi_contact_solve(5, 0, 1, 0, 2, 100, &a, &b, &d));
    ck_assert(!popi_contact_solve(10, 0, -1, 0, 2, 7.9, &a, &b, &d));
    /* passing at distance 2.5: never */
    ck_assert(!popi_contact_solve(-5, 2.5, 1, 0, 2, 20, &a, &b, &d));
    /* passing at distance 1.999: in range, closest approach reported */
    ck_assert(popi_contact_solve(-5, 1.999, 1, 0, 2, 20, &a, &b, &d));
    ck_assert_double_eq_tol(d, 1.999, 1e-12);
    /* tangent: a touch of zero length */
    ck_assert(popi_contact_solve(-5, 2, 1, 0, 2, 20, &a, &b, &d));
    ck_assert_double_eq_tol(a, 5.0, 1e-6);
    ck_assert_double_eq_tol(b, 5.0, 1e-6);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* Harness: a crowd with the real mobility, collecting proximities                                 */

typedef struct {
    popi_world_t world;
    popi_mobility_t mob;
    popi_radio_t radio;
    popi_contact_engine_t *eng;
    popi_contact_vec_t prox, cont;
} crowd_t;

static void on_prox(void *ctx, const popi_contact_t *c) { popi_contact_vec_push(&((crowd_t *)ctx)->prox, c); }
static void on_cont(void *ctx, const popi_contact_t *c) { popi_contact_vec_push(&((crowd_t *)ctx)->cont, c); }

static popi_mobility_config_t mob_cfg(popi_mobility_kind_t kind, double vmin, double vmax)
{
    popi_mobility_config_t m;
    memset(&m, 0, sizeof m);
    m.random_waypoint = (popi_mob_rwp_config_t){kind == POPI_MOB_RANDOM_WAYPOINT, vmin, vmax, 0, 30};
    m.stop_and_go = (popi_mob_stopgo_config_t){0, 0.8, 1.4, 10, 10, 1.5, 3600};
    m.crowd_seeking = (popi_mob_seek_config_t){0, 0.8, 1.4, 30, 300, 0.8, 1, 5, 10};
    m.back_and_forth = (popi_mob_shuttle_config_t){0, 0.8, 1.4, 10, 60, 10, 40};
    m.random_direction = (popi_mob_rdir_config_t){kind == POPI_MOB_RANDOM_DIRECTION, vmin, vmax, 30};
    return m;
}

static popi_radio_config_t unit_disc(void)
{
    popi_radio_config_t r = {POPI_RADIO_UNIT_DISC, -59, 2, 4, 5, -65, 4.096, 1.024, 0.25, 10};
    return r;
}

static void crowd_init(crowd_t *c, double L, uint32_t n, popi_mobility_kind_t kind, double vmin,
                       double vmax, double range, double bucket, int threads, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    popi_world_config_t wc = {L, L, 1.0, NULL, 0, NULL, 0.0};
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, POPI_STREAM_WORLD);
    ck_assert_int_eq(popi_world_init(&c->world, &wc, &r), POPI_OK);
    popi_rng_destroy(&r);
    popi_mobility_config_t mc = mob_cfg(kind, vmin, vmax);
    ck_assert_int_eq(popi_mobility_init(&c->mob, &mc, &c->world, n, seed, 0), POPI_OK);
    popi_radio_config_t rc = unit_disc();
    ck_assert_int_eq(popi_radio_init(&c->radio, &rc, 0.0, &c->world, n, seed, 0), POPI_OK);
    popi_contact_config_t cc = {range, 0.0, bucket, POPI_CONTACT_SWEEP};
    popi_contact_sink_t sink = {c, on_prox, on_cont};
    ck_assert_int_eq(popi_contact_create(&c->eng, &cc, &c->mob, &c->radio, sink, threads), POPI_OK);
}

static void crowd_run(crowd_t *c, popi_time_t t_end, popi_time_t step)
{
    for (popi_time_t t = step; t <= t_end; t += step) ck_assert_int_eq(popi_contact_advance(c->eng, t), POPI_OK);
    popi_contact_finish(c->eng);
    popi_contact_vec_sort(&c->prox);
    popi_contact_vec_sort(&c->cont);
}

static void crowd_destroy(crowd_t *c)
{
    popi_contact_free(c->eng);
    popi_radio_destroy(&c->radio);
    popi_mobility_destroy(&c->mob);
    popi_world_destroy(&c->world);
    popi_contact_vec_destroy(&c->prox);
    popi_contact_vec_destroy(&c->cont);
}

/* ---------------------------------------------------------------------------------------------- */

START_TEST(test_brute_force_stepping)
{
    uint64_t seed = popi_test_seed(3);
    const uint32_t n = 16;
    const double L = 20, r = 2.0;
    const popi_time_t T = 300 * POPI_US_PER_S, dt = 2000; /* 2 ms step */
    crowd_t c;
    crowd_init(&c, L, n, POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5, r, 1.0, 1, seed);
    crowd_run(&c, T, 10 * POPI_US_PER_S);
    /* the same crowd again, sampled by brute force */
    popi_world_t w;
    popi_world_config_t wc = {L, L, 1.0, NULL, 0, NULL, 0.0};
    popi_rng_t wr;
    popi_rng_init(&wr, seed, 0, POPI_STREAM_WORLD);
    ck_assert_int_eq(popi_world_init(&w, &wc, &wr), POPI_OK);
    popi_rng_destroy(&wr);
    popi_mobility_t m;
    popi_mobility_config_t mc = mob_cfg(POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5);
    ck_assert_int_eq(popi_mobility_init(&m, &mc, &w, n, seed, 0), POPI_OK);
    popi_contact_vec_t bf = {0};
    popi_time_t *open = malloc(n * n * sizeof *open);
    for (size_t k = 0; k < n * n; k++) open[k] = -1;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (popi_time_t t = 0; t <= T; t += dt) {
        ck_assert_int_eq(popi_mobility_advance(&m, t, t + dt), POPI_OK);
        for (uint32_t a = 0; a < n; a++) popi_mobility_position(&m, a, t, &x[a], &y[a]);
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = i + 1; j < n; j++) {
                bool in = hypot(x[i] - x[j], y[i] - y[j]) <= r;
                popi_time_t *o = &open[i * n + j];
                if (in && *o < 0) *o = t;
                if ((!in || t == T) && *o >= 0) {
                    popi_contact_t cc = {*o, in ? t : t - dt, i, j, 0, 0};
                    popi_contact_vec_push(&bf, &cc);
                    *o = -1;
                }
            }
    }
    popi_contact_vec_sort(&bf);
    /* every stepped interval matches an exact one within one step at both ends */
    size_t matched = 0;
    for (size_t k = 0; k < bf.n; k++) {
        const popi_contact_t *s = &bf.v[k];
        bool ok = false;
        for (size_t q = 0; q < c.prox.n && !ok; q++) {
            const popi_contact_t *e = &c.prox.v[q];
            if (e->i != s->i || e->j != s->j) continue;
            ok = llabs(e->t_start - s->t_start) <= dt && llabs(e->t_end - s->t_end) <= dt;
        }
        ck_assert_msg(ok, "seed %llu: stepped interval (%u,%u) [%lld, %lld] us has no exact match",
                      (unsigned long long)seed, s->i, s->j, (long long)s->t_start, (long long)s->t_end);
        matched++;
    }
    /* exact intervals the stepping could not see are shorter than a step */
    size_t short_only = 0;
    for (size_t q = 0; q < c.prox.n; q++)
        if (c.prox.v[q].t_end - c.prox.v[q].t_start < 2 * dt) short_only++;
    ck_assert_msg(c.prox.n <= bf.n + short_only, "seed %llu: %zu exact vs %zu stepped",
                  (unsigned long long)seed, c.prox.n, bf.n);
    ck_assert_msg(bf.n >= 20, "seed %llu: too few contacts (%zu) for a meaningful check",
                  (unsigned long long)seed, bf.n);
    /* the exact start lies in (previous sample, first in-range sample] */
    for (size_t k = 0; k < bf.n; k++)
        if (bf.v[k].t_start > 0) ck_assert_int_ge(bf.v[k].t_start, 0);
    (void)matched;
    free(open);
    free(x);
    free(y);
    popi_contact_vec_destroy(&bf);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
    crowd_destroy(&c);
}
END_TEST

static bool same_intervals(const popi_contact_vec_t *a, const popi_contact_vec_t *b, popi_time_t tol)
{
    if (a->n != b->n) return false;
    for (size_t k = 0; k < a->n; k++) {
        const popi_contact_t *x = &a->v[k], *y = &b->v[k];
        if (x->i != y->i || x->j != y->j) return false;
        if (llabs(x->t_start - y->t_start) > tol || llabs(x->t_end - y->t_end) > tol) return false;
        if (tol == 0 && memcmp(x, y, sizeof *x) != 0) return false;
    }
    return true;
}

START_TEST(test_threads_and_buckets_invariant)
{
    uint64_t seed = popi_test_seed(5);
    crowd_t a, b, c;
    const popi_time_t T = 600 * POPI_US_PER_S;
    crowd_init(&a, 40, 300, POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5, 2.0, 1.0, 1, seed);
    crowd_init(&b, 40, 300, POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5, 2.0, 1.0, 2, seed);
    crowd_init(&c, 40, 300, POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5, 2.0, 0.37, 2, seed);
    crowd_run(&a, T, 60 * POPI_US_PER_S);
    crowd_run(&b, T, 60 * POPI_US_PER_S);
    crowd_run(&c, T, 60 * POPI_US_PER_S);
    ck_assert_msg(a.prox.n > 1000, "seed %llu: only %zu intervals", (unsigned long long)seed, a.prox.n);
    ck_assert_msg(same_intervals(&a.prox, &b.prox, 0), "seed %llu: 1 vs 2 threads differ",
                  (unsigned long long)seed);
    /* another bucket length: the same intervals up to rounding at the microsecond */
    ck_assert_msg(same_intervals(&a.prox, &c.prox, 1), "seed %llu: bucket 1 s vs 0.37 s differ (%zu vs %zu)",
                  (unsigned long long)seed, a.prox.n, c.prox.n);
    crowd_destroy(&a);
    crowd_destroy(&b);
    crowd_destroy(&c);
}
END_TEST

START_TEST(test_kinetic_theory_rate)
{
    /* random direction at constant speed v in an L x L box with reflecting walls: positions stay
     * uniform and headings isotropic, so a pair starts contacts at rate
     *   (dP/dr) * vrel / pi, dP/dr = 2 pi r / L^2 - 8 r^2 / L^3 + 2 r^3 / L^4,
     * with vrel = (4/pi) v the mean relative speed; the leading term is the kinetic-theory rate
     * 2 r vrel / L^2 per pair (2 r vrel n per agent), the others correct for the walls. */
    uint64_t seed = popi_test_seed(17);
    const double L = 100, r = 2.0, v = 1.0;
    const uint32_t n = 200;
    const int runs = 6;
    const popi_time_t T = 1200 * POPI_US_PER_S;
    double vrel = 4.0 / M_PI * v;
    double dP = 2 * M_PI * r / (L * L) - 8 * r * r / (L * L * L) + 2 * r * r * r / (L * L * L * L);
    double expect = (double)n * (n - 1) / 2.0 * dP * vrel / M_PI * popi_time_to_s(T);
    double s = 0, s2 = 0;
    for (int k = 0; k < runs; k++) {
        crowd_t c;
        crowd_init(&c, L, n, POPI_MOB_RANDOM_DIRECTION, v, v, r, 1.0, 2, seed + (uint64_t)k);
        crowd_run(&c, T, 100 * POPI_US_PER_S);
        double starts = 0;
        for (size_t q = 0; q < c.prox.n; q++) starts += c.prox.v[q].t_start > 0;
        s += starts;
        s2 += starts * starts;
        crowd_destroy(&c);
    }
    double mean = s / runs, sd = sqrt((s2 - runs * mean * mean) / (runs - 1));
    double se = sd / sqrt(runs);
    /* guard against a degenerate spread: never tighter than Poisson */
    if (se < sqrt(mean / runs)) se = sqrt(mean / runs);
    ck_assert_msg(fabs(mean - expect) <= 4 * se,
                  "seed %llu: %.1f contact starts per run, kinetic theory %.1f, 4 SE = %.1f",
                  (unsigned long long)seed, mean, expect, 4 * se);
}
END_TEST

START_TEST(test_degenerate_and_errors)
{
    crowd_t c;
    /* a tiny range: two agents essentially never meet */
    crowd_init(&c, 50, 2, POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5, 1e-9, 1.0, 1, 1);
    crowd_run(&c, 600 * POPI_US_PER_S, 60 * POPI_US_PER_S);
    ck_assert_uint_eq(c.prox.n, 0);
    popi_contact_engine_t *e = NULL;
    popi_contact_sink_t sink = {NULL, NULL, NULL};
    popi_contact_config_t bad = {0.0, 0.0, 1.0, POPI_CONTACT_SWEEP};
    ck_assert_int_eq(popi_contact_create(&e, &bad, &c.mob, &c.radio, sink, 1), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "contact.range_m"));
    bad = (popi_contact_config_t){2.0, 0.0, 0.0, POPI_CONTACT_SWEEP};
    ck_assert_int_eq(popi_contact_create(&e, &bad, &c.mob, &c.radio, sink, 1), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "contact.bucket_s"));
    bad = (popi_contact_config_t){2.0, -1.0, 1.0, POPI_CONTACT_SWEEP};
    ck_assert_int_eq(popi_contact_create(&e, &bad, &c.mob, &c.radio, sink, 1), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "contact.min_duration_s"));
    bad = (popi_contact_config_t){2.0, 0.0, 1.0, POPI_CONTACT_SWEEP};
    ck_assert_int_eq(popi_contact_create(&e, &bad, &c.mob, &c.radio, sink, 0), POPI_EINVAL);
    ck_assert_ptr_null(e);
    popi_contact_free(NULL);
    crowd_destroy(&c);
}
END_TEST

START_TEST(test_unit_disc_min_duration)
{
    /* detected contacts are exactly the proximity intervals lasting >= min_duration */
    uint64_t seed = popi_test_seed(23);
    crowd_t c;
    crowd_init(&c, 30, 60, POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5, 2.0, 1.0, 1, seed);
    popi_contact_free(c.eng);
    popi_contact_config_t cc = {2.0, 5.0, 1.0, POPI_CONTACT_SWEEP};
    popi_contact_sink_t sink = {&c, on_prox, on_cont};
    ck_assert_int_eq(popi_contact_create(&c.eng, &cc, &c.mob, &c.radio, sink, 1), POPI_OK);
    crowd_run(&c, 600 * POPI_US_PER_S, 60 * POPI_US_PER_S);
    size_t want = 0;
    for (size_t q = 0; q < c.prox.n; q++) want += c.prox.v[q].t_end - c.prox.v[q].t_start >= 5 * POPI_US_PER_S;
    ck_assert_uint_eq(c.cont.n, want);
    ck_assert_uint_gt(want, 0);
    ck_assert_uint_lt(want, c.prox.n);
    popi_contact_stats_t st = popi_contact_stats(c.eng);
    ck_assert_uint_eq(st.proximities, c.prox.n);
    ck_assert_uint_eq(st.contacts, c.cont.n);
    crowd_destroy(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("contact");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_solve_cases);
    tcase_add_test(tc, test_brute_force_stepping);
    tcase_add_test(tc, test_threads_and_buckets_invariant);
    tcase_add_test(tc, test_kinetic_theory_rate);
    tcase_add_test(tc, test_degenerate_and_errors);
    tcase_add_test(tc, test_unit_disc_min_duration);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
