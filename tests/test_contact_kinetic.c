/* SPDX-License-Identifier: MIT */
/*
 * test_contact_kinetic.c - the kinetic proximity engine against the bucketed sweep: the same
 * intervals and detected contacts, in the same sink order, for random waypoint, random direction,
 * a mixed crowd among obstacles and the BLE radio; independence from threads, bucket length and
 * advance steps; finish and resume; the kinetic-theory contact rate; error paths.
 */
#include "popi/contact.h"
#include "popi/contact_kinetic.h"
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
/* Scenarios and a harness that runs either engine on its own copy of the crowd                   */

typedef struct {
    double w, h;
    const popi_rect_t *obst;
    size_t n_obst;
    uint32_t n;
    popi_mobility_config_t mob;
    popi_radio_config_t radio;
    popi_contact_config_t contact;
    popi_time_t t_end, step;
    popi_time_t t_finish; /* > 0: finish there once, then go on to t_end */
    uint64_t seed;
    bool set_isa; /* test candidates on path `isa` (popi_contact_kinetic_set_isa), not the best */
    int isa;
    int isa_used;  /* out: the path the engine took */
} scen_t;

typedef struct {
    popi_contact_vec_t prox, cont; /* in sink order */
    popi_contact_stats_t mid;      /* stats after the first advance past t_end / 2 */
    popi_contact_stats_t end;
} out_t;

static void on_prox(void *ctx, const popi_contact_t *c) { popi_contact_vec_push(&((out_t *)ctx)->prox, c); }
static void on_cont(void *ctx, const popi_contact_t *c) { popi_contact_vec_push(&((out_t *)ctx)->cont, c); }

static popi_mobility_config_t mob_only(popi_mobility_kind_t kind, double vmin, double vmax)
{
    popi_mobility_config_t m;
    memset(&m, 0, sizeof m);
    m.random_waypoint = (popi_mob_rwp_config_t){kind == POPI_MOB_RANDOM_WAYPOINT, vmin, vmax, 0, 60};
    m.stop_and_go = (popi_mob_stopgo_config_t){kind == POPI_MOB_STOP_AND_GO, 0.8, 1.4, 10, 10, 1.5, 600};
    m.crowd_seeking = (popi_mob_seek_config_t){kind == POPI_MOB_CROWD_SEEKING, 0.8, 1.4, 30, 300, 0.8, 1, 5, 10};
    m.back_and_forth = (popi_mob_shuttle_config_t){kind == POPI_MOB_BACK_AND_FORTH, 0.8, 1.4, 10, 60, 10, 30};
    m.random_direction = (popi_mob_rdir_config_t){kind == POPI_MOB_RANDOM_DIRECTION, vmin, vmax, 30};
    return m;
}

static popi_radio_config_t unit_disc(void)
{
    return (popi_radio_config_t){POPI_RADIO_UNIT_DISC, -59, 2, 4, 5, -65, 4.096, 1.024, 0.25, 10};
}

static scen_t rwp_scen(uint64_t seed)
{
    scen_t s;
    memset(&s, 0, sizeof s);
    s.w = s.h = 40;
    s.n = 300;
    s.mob = mob_only(POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5);
    s.radio = unit_disc();
    s.contact = (popi_contact_config_t){.range_m = 2.0, .min_duration_s = 0.0, .bucket_s = 1.0};
    s.t_end = 600 * POPI_US_PER_S;
    s.step = 60 * POPI_US_PER_S;
    s.seed = seed;
    return s;
}

static const popi_rect_t obstacles[] = {{10, 10, 20, 14}, {35, 5, 38, 30}, {45, 25, 55, 27}};

/* all five models among obstacles, on a world whose size is no multiple of the range */
static scen_t mixed_scen(uint64_t seed)
{
    scen_t s;
    memset(&s, 0, sizeof s);
    s.w = 61;
    s.h = 41;
    s.obst = obstacles;
    s.n_obst = 3;
    s.n = 400;
    s.mob = mob_only(POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5);
    s.mob.random_waypoint.fraction = 0.2;
    s.mob.stop_and_go.fraction = 0.2;
    s.mob.crowd_seeking.fraction = 0.2;
    s.mob.back_and_forth.fraction = 0.2;
    s.mob.random_direction.fraction = 0.2;
    s.radio = unit_disc();
    s.contact = (popi_contact_config_t){.range_m = 2.0, .min_duration_s = 5.0, .bucket_s = 1.0};
    s.t_end = 600 * POPI_US_PER_S;
    s.step = 37 * POPI_US_PER_S;
    s.seed = seed;
    return s;
}

static void run(scen_t *sc, bool kinetic, int threads, out_t *out)
{
    memset(out, 0, sizeof *out);
    popi_world_t w;
    popi_world_config_t wc = {sc->w, sc->h, 1.0, (popi_rect_t *)sc->obst, sc->n_obst, NULL, 0.0};
    ck_assert_msg(popi_world_init(&w, &wc, NULL) == POPI_OK, "world: %s", popi_err_message());
    popi_mobility_t m;
    ck_assert_msg(popi_mobility_init(&m, &sc->mob, &w, sc->n, sc->seed, 0) == POPI_OK, "mobility: %s",
                  popi_err_message());
    popi_radio_t r;
    ck_assert_int_eq(popi_radio_init(&r, &sc->radio, sc->contact.min_duration_s, &w, sc->n, sc->seed, 0), POPI_OK);
    popi_contact_sink_t sink = {out, on_prox, on_cont};
    popi_contact_engine_t *es = NULL;
    popi_contact_kinetic_t *ek = NULL;
    if (kinetic) {
        ck_assert_int_eq(popi_contact_kinetic_create(&ek, &sc->contact, &m, &r, sink, threads), POPI_OK);
        popi_contact_kinetic_set_grain(ek, 0, 0); /* every phase on every thread, however small */
        sc->isa_used = popi_contact_kinetic_set_isa(ek, sc->set_isa ? sc->isa : 99);
    }
    else ck_assert_int_eq(popi_contact_create(&es, &sc->contact, &m, &r, sink, threads), POPI_OK);
    bool mid_done = false, finished = false;
    for (popi_time_t t = sc->step;; t += sc->step) {
        if (t > sc->t_end) t = sc->t_end;
        ck_assert_int_eq(kinetic ? popi_contact_kinetic_advance(ek, t) : popi_contact_advance(es, t), POPI_OK);
        if (!mid_done && t >= sc->t_end / 2) {
            out->mid = kinetic ? popi_contact_kinetic_stats(ek) : popi_contact_stats(es);
            mid_done = true;
        }
        if (sc->t_finish > 0 && !finished && t >= sc->t_finish) {
            if (kinetic) popi_contact_kinetic_finish(ek);
            else popi_contact_finish(es);
            finished = true;
        }
        if (t == sc->t_end) break;
    }
    if (kinetic) {
        popi_contact_kinetic_finish(ek);
        out->end = popi_contact_kinetic_stats(ek);
        popi_contact_kinetic_free(ek);
    } else {
        popi_contact_finish(es);
        out->end = popi_contact_stats(es);
        popi_contact_free(es);
    }
    popi_radio_destroy(&r);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
}

static void out_destroy(out_t *o)
{
    popi_contact_vec_destroy(&o->prox);
    popi_contact_vec_destroy(&o->cont);
}

/* The same records in the same order: pairs equal, times within tol_us, d_min and RSSI (floats)
 * within a few float roundings. Returns the index of the first difference, or -1. */
static long first_difference(const popi_contact_vec_t *a, const popi_contact_vec_t *b, popi_time_t tol_us)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t k = 0; k < n; k++) {
        const popi_contact_t *x = &a->v[k], *y = &b->v[k];
        if (x->i != y->i || x->j != y->j) return (long)k;
        if (llabs(x->t_start - y->t_start) > tol_us || llabs(x->t_end - y->t_end) > tol_us) return (long)k;
        if (fabsf(x->d_min_m - y->d_min_m) > 1e-6f * fmaxf(fabsf(x->d_min_m), 1e-3f)) return (long)k;
        if (fabsf(x->rssi_dbm - y->rssi_dbm) > 1e-4f) return (long)k;
    }
    return a->n == b->n ? -1 : (long)n;
}

static void assert_same(const char *what, uint64_t seed, const popi_contact_vec_t *sweep,
                        const popi_contact_vec_t *kin, popi_time_t tol_us)
{
    long k = first_difference(sweep, kin, tol_us);
    if (k < 0) return;
    const popi_contact_t *x = (size_t)k < sweep->n ? &sweep->v[k] : NULL;
    const popi_contact_t *y = (size_t)k < kin->n ? &kin->v[k] : NULL;
    ck_abort_msg("seed %llu: %s differ at record %ld of %zu/%zu: sweep (%d,%d) [%lld, %lld] d %.9g, kinetic "
                 "(%d,%d) [%lld, %lld] d %.9g",
                 (unsigned long long)seed, what, k, sweep->n, kin->n, x ? (int)x->i : -1, x ? (int)x->j : -1,
                 x ? (long long)x->t_start : -1LL, x ? (long long)x->t_end : -1LL, x ? (double)x->d_min_m : -1.0,
                 y ? (int)y->i : -1, y ? (int)y->j : -1, y ? (long long)y->t_start : -1LL,
                 y ? (long long)y->t_end : -1LL, y ? (double)y->d_min_m : -1.0);
}

/* Kinetic and sweep agree on everything the sink sees, and on the counters they share. */
static void check_against_sweep(scen_t *sc, const char *name, size_t min_prox)
{
    out_t s, k;
    run(sc, false, 1, &s);
    run(sc, true, 1, &k);
    ck_assert_msg(s.prox.n >= min_prox, "seed %llu: %s: only %zu intervals, the check would be weak",
                  (unsigned long long)sc->seed, name, s.prox.n);
    assert_same("proximity intervals", sc->seed, &s.prox, &k.prox, 1);
    assert_same("detected contacts", sc->seed, &s.cont, &k.cont, 1);
    ck_assert_uint_eq(k.end.proximities, s.end.proximities);
    ck_assert_uint_eq(k.end.contacts, s.end.contacts);
    ck_assert_uint_eq(k.end.buckets, s.end.buckets);
    ck_assert_uint_eq(k.end.open_now, 0);
    ck_assert_msg(k.mid.open_now == s.mid.open_now, "seed %llu: %s: %zu vs %zu intervals open mid-run",
                  (unsigned long long)sc->seed, name, k.mid.open_now, s.mid.open_now);
    ck_assert_uint_eq(k.mid.proximities, s.mid.proximities);
    /* the kinetic engine solves far fewer pairs */
    ck_assert_uint_lt(k.end.pairs_solved, s.end.pairs_tested);
    out_destroy(&s);
    out_destroy(&k);
}

/* ---------------------------------------------------------------------------------------------- */

START_TEST(test_random_waypoint_matches_sweep)
{
    uint64_t seed = popi_test_seed(1);
    for (uint64_t k = 0; k < 3; k++) {
        scen_t sc = rwp_scen(seed + k);
        check_against_sweep(&sc, "random waypoint", 5000);
    }
}
END_TEST

START_TEST(test_random_direction_matches_sweep)
{
    /* reflections at the walls of a world of 45 m, no multiple of the 2 m range */
    uint64_t seed = popi_test_seed(7);
    scen_t sc = rwp_scen(seed);
    sc.w = sc.h = 45;
    sc.n = 350;
    sc.mob = mob_only(POPI_MOB_RANDOM_DIRECTION, 0.3, 1.8);
    sc.mob.random_direction.turn_mean_s = 20;
    check_against_sweep(&sc, "random direction", 5000);
}
END_TEST

START_TEST(test_mixed_crowd_with_obstacles_matches_sweep)
{
    uint64_t seed = popi_test_seed(11);
    scen_t sc = mixed_scen(seed);
    check_against_sweep(&sc, "mixed crowd", 3000);
    /* a larger range than cell and density suggest, and 0.25 s buckets (slices of several) */
    sc.contact.range_m = 3.5;
    sc.contact.bucket_s = 0.25;
    sc.t_end = 300 * POPI_US_PER_S;
    check_against_sweep(&sc, "mixed crowd, r = 3.5 m, 0.25 s buckets", 3000);
}
END_TEST

START_TEST(test_ble_radio_matches_sweep)
{
    /* the radio sees the same pieces in the same order: the same sightings, runs and contacts */
    uint64_t seed = popi_test_seed(13);
    scen_t sc = mixed_scen(seed);
    sc.w = 30;
    sc.h = 30;
    sc.obst = NULL;
    sc.n_obst = 0;
    sc.n = 160;
    sc.radio.model = POPI_RADIO_BLE;
    sc.contact = (popi_contact_config_t){.range_m = 2.5, .min_duration_s = 10.0, .bucket_s = 1.0};
    sc.t_end = 600 * POPI_US_PER_S;
    out_t s, k;
    run(&sc, false, 1, &s);
    run(&sc, true, 1, &k);
    ck_assert_msg(s.cont.n >= 100 && s.cont.n < s.prox.n, "seed %llu: %zu BLE contacts of %zu intervals",
                  (unsigned long long)seed, s.cont.n, s.prox.n);
    assert_same("BLE proximity intervals", seed, &s.prox, &k.prox, 1);
    assert_same("BLE contacts", seed, &s.cont, &k.cont, 0);
    ck_assert_uint_eq(k.end.contacts, s.end.contacts);
    out_destroy(&s);
    out_destroy(&k);
}
END_TEST

START_TEST(test_threads_byte_identical)
{
    uint64_t seed = popi_test_seed(17);
    scen_t sc = mixed_scen(seed);
    sc.n = 600;
    sc.t_end = 400 * POPI_US_PER_S;
    out_t a, b;
    run(&sc, true, 1, &a);
    run(&sc, true, 2, &b);
    ck_assert_msg(a.prox.n > 3000, "seed %llu: only %zu intervals", (unsigned long long)seed, a.prox.n);
    ck_assert_uint_eq(a.prox.n, b.prox.n);
    ck_assert_uint_eq(a.cont.n, b.cont.n);
    ck_assert_msg(memcmp(a.prox.v, b.prox.v, a.prox.n * sizeof *a.prox.v) == 0, "seed %llu: 1 vs 2 threads differ",
                  (unsigned long long)seed);
    ck_assert_msg(memcmp(a.cont.v, b.cont.v, a.cont.n * sizeof *a.cont.v) == 0, "seed %llu: 1 vs 2 threads differ",
                  (unsigned long long)seed);
    ck_assert_uint_eq(a.end.pairs_solved, b.end.pairs_solved);
    out_destroy(&a);
    out_destroy(&b);
}
END_TEST

/* The scalar, AVX2 and AVX-512 paths give the same records bit for bit (those the processor has;
 * the best one is what every other test here runs). A dense crowd makes rows of more than four
 * index entries and chunks of many windows to solve, a sparse mixed one among obstacles few. */
START_TEST(test_vector_paths_bit_identical)
{
    uint64_t seed = popi_test_seed(19);
    scen_t dense = rwp_scen(seed);
    dense.w = dense.h = 24;
    dense.n = 500;
    dense.t_end = 200 * POPI_US_PER_S;
    scen_t mixed = mixed_scen(seed + 1);
    mixed.t_end = 300 * POPI_US_PER_S;
    scen_t *scs[] = {&dense, &mixed};
    for (size_t q = 0; q < 2; q++)
        for (int threads = 1; threads <= 2; threads++) {
            scen_t *sc = scs[q];
            sc->set_isa = true;
            sc->isa = 0;
            out_t ref;
            run(sc, true, threads, &ref);
            ck_assert_int_eq(sc->isa_used, 0);
            ck_assert_msg(ref.prox.n > 2000, "seed %llu: only %zu intervals", (unsigned long long)sc->seed,
                          ref.prox.n);
            for (int isa = 1; isa <= 2; isa++) {
                sc->isa = isa;
                out_t v;
                run(sc, true, threads, &v);
                if (sc->isa_used < isa) { /* the processor lacks it: nothing to compare */
                    fprintf(stderr, "vector path %d not on this processor: not compared\n", isa);
                    out_destroy(&v);
                    continue;
                }
                ck_assert_msg(v.prox.n == ref.prox.n && v.cont.n == ref.cont.n &&
                                  memcmp(v.prox.v, ref.prox.v, ref.prox.n * sizeof *ref.prox.v) == 0 &&
                                  memcmp(v.cont.v, ref.cont.v, ref.cont.n * sizeof *ref.cont.v) == 0,
                              "seed %llu: scenario %zu, %d threads: path %d differs from the scalar one",
                              (unsigned long long)sc->seed, q, threads, isa);
                ck_assert_uint_eq(v.end.pairs_tested, ref.end.pairs_tested);
                ck_assert_uint_eq(v.end.pairs_solved, ref.end.pairs_solved);
                out_destroy(&v);
            }
            out_destroy(&ref);
        }
}
END_TEST

START_TEST(test_buckets_and_steps_do_not_change_intervals)
{
    /* 0.37 s buckets and 7 s advance steps: each in the sweep's order for the same bucket, and the
     * same set of intervals as 1 s buckets and 60 s steps */
    uint64_t seed = popi_test_seed(19);
    scen_t sc = rwp_scen(seed);
    out_t a, s, k;
    run(&sc, true, 1, &a);
    sc.contact.bucket_s = 0.37;
    sc.step = 7 * POPI_US_PER_S;
    run(&sc, false, 1, &s);
    run(&sc, true, 1, &k);
    assert_same("0.37 s buckets", seed, &s.prox, &k.prox, 1);
    popi_contact_vec_sort(&a.prox);
    popi_contact_vec_sort(&k.prox);
    assert_same("1 s vs 0.37 s buckets", seed, &a.prox, &k.prox, 1);
    out_destroy(&a);
    out_destroy(&s);
    out_destroy(&k);
}
END_TEST

START_TEST(test_finish_then_resume)
{
    /* finish closes what is open; the next advance starts afresh, as in the sweep */
    uint64_t seed = popi_test_seed(23);
    scen_t sc = rwp_scen(seed);
    sc.t_finish = 240 * POPI_US_PER_S;
    check_against_sweep(&sc, "finish at 240 s, then on to 600 s", 5000);
}
END_TEST

START_TEST(test_kinetic_theory_rate)
{
    /* random direction at constant speed v in an L x L box with reflecting walls: positions stay
     * uniform and headings isotropic, so a pair starts contacts at rate
     *   (dP/dr) * vrel / pi, dP/dr = 2 pi r / L^2 - 8 r^2 / L^3 + 2 r^3 / L^4,
     * with vrel = (4/pi) v the mean relative speed (as in test_contact.c) */
    uint64_t seed = popi_test_seed(29);
    const double L = 100, r = 2.0, v = 1.0;
    const uint32_t n = 200;
    const int runs = 6;
    double vrel = 4.0 / M_PI * v;
    double dP = 2 * M_PI * r / (L * L) - 8 * r * r / (L * L * L) + 2 * r * r * r / (L * L * L * L);
    scen_t sc;
    memset(&sc, 0, sizeof sc);
    sc.w = sc.h = L;
    sc.n = n;
    sc.mob = mob_only(POPI_MOB_RANDOM_DIRECTION, v, v);
    sc.radio = unit_disc();
    sc.contact = (popi_contact_config_t){.range_m = r, .min_duration_s = 0.0, .bucket_s = 1.0};
    sc.t_end = 1200 * POPI_US_PER_S;
    sc.step = 100 * POPI_US_PER_S;
    double expect = (double)n * (n - 1) / 2.0 * dP * vrel / M_PI * popi_time_to_s(sc.t_end);
    double s = 0, s2 = 0;
    for (int k = 0; k < runs; k++) {
        sc.seed = seed + (uint64_t)k;
        out_t o;
        run(&sc, true, 1, &o);
        double starts = 0;
        for (size_t q = 0; q < o.prox.n; q++) starts += o.prox.v[q].t_start > 0;
        s += starts;
        s2 += starts * starts;
        out_destroy(&o);
    }
    double mean = s / runs, sd = sqrt((s2 - runs * mean * mean) / (runs - 1));
    double se = sd / sqrt(runs);
    if (se < sqrt(mean / runs)) se = sqrt(mean / runs); /* never tighter than Poisson */
    ck_assert_msg(fabs(mean - expect) <= 4 * se,
                  "seed %llu: %.1f contact starts per run, kinetic theory %.1f, 4 SE = %.1f",
                  (unsigned long long)seed, mean, expect, 4 * se);
}
END_TEST

START_TEST(test_unit_disc_min_duration)
{
    /* detected contacts are exactly the proximity intervals lasting >= min_duration */
    uint64_t seed = popi_test_seed(31);
    scen_t sc = rwp_scen(seed);
    sc.contact.min_duration_s = 5.0;
    out_t o;
    run(&sc, true, 1, &o);
    size_t want = 0;
    for (size_t q = 0; q < o.prox.n; q++) want += o.prox.v[q].t_end - o.prox.v[q].t_start >= 5 * POPI_US_PER_S;
    ck_assert_uint_eq(o.cont.n, want);
    ck_assert_uint_gt(want, 0);
    ck_assert_uint_lt(want, o.prox.n);
    ck_assert_uint_eq(o.end.proximities, o.prox.n);
    ck_assert_uint_eq(o.end.contacts, o.cont.n);
    for (size_t q = 0; q < o.prox.n; q++) {
        const popi_contact_t *c = &o.prox.v[q];
        ck_assert(c->i < c->j && c->t_start <= c->t_end && c->d_min_m <= 2.0f);
    }
    out_destroy(&o);
}
END_TEST

START_TEST(test_degenerate_and_errors)
{
    /* a tiny range: agents essentially never meet */
    scen_t sc = rwp_scen(1);
    sc.n = 50;
    sc.contact.range_m = 1e-9;
    out_t o;
    run(&sc, true, 1, &o);
    ck_assert_uint_eq(o.prox.n, 0);
    out_destroy(&o);
    /* two agents only, one a still partner for most of the time: still exact */
    sc = rwp_scen(3);
    sc.w = sc.h = 6;
    sc.n = 2;
    sc.mob.random_waypoint.pause_min_s = 50;
    sc.mob.random_waypoint.pause_max_s = 100;
    check_against_sweep(&sc, "two agents in 6 m", 1);

    popi_world_t w;
    popi_world_config_t wc = {20, 20, 1.0, NULL, 0, NULL, 0.0};
    ck_assert_int_eq(popi_world_init(&w, &wc, NULL), POPI_OK);
    popi_mobility_config_t mc = mob_only(POPI_MOB_RANDOM_WAYPOINT, 0.5, 1.5);
    popi_mobility_t m;
    ck_assert_int_eq(popi_mobility_init(&m, &mc, &w, 10, 1, 0), POPI_OK);
    popi_radio_config_t rc = unit_disc();
    popi_radio_t r;
    ck_assert_int_eq(popi_radio_init(&r, &rc, 0.0, &w, 10, 1, 0), POPI_OK);
    popi_contact_kinetic_t *e = (popi_contact_kinetic_t *)&w; /* must be reset to NULL on failure */
    popi_contact_sink_t sink = {NULL, NULL, NULL};
    popi_contact_config_t bad = {.range_m = 0.0, .min_duration_s = 0.0, .bucket_s = 1.0};
    ck_assert_int_eq(popi_contact_kinetic_create(&e, &bad, &m, &r, sink, 1), POPI_EINVAL);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "contact.range_m"));
    bad = (popi_contact_config_t){.range_m = NAN, .min_duration_s = 0.0, .bucket_s = 1.0};
    ck_assert_int_eq(popi_contact_kinetic_create(&e, &bad, &m, &r, sink, 1), POPI_EINVAL);
    bad = (popi_contact_config_t){.range_m = 2.0, .min_duration_s = 0.0, .bucket_s = 0.0};
    ck_assert_int_eq(popi_contact_kinetic_create(&e, &bad, &m, &r, sink, 1), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "contact.bucket_s"));
    bad = (popi_contact_config_t){.range_m = 2.0, .min_duration_s = -1.0, .bucket_s = 1.0};
    ck_assert_int_eq(popi_contact_kinetic_create(&e, &bad, &m, &r, sink, 1), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "contact.min_duration_s"));
    bad = (popi_contact_config_t){.range_m = 2.0, .min_duration_s = 0.0, .bucket_s = 1.0};
    ck_assert_int_eq(popi_contact_kinetic_create(&e, &bad, &m, &r, sink, 0), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "threads"));
    ck_assert_ptr_null(e);
    /* a NULL sink is allowed; counters still count; mobility errors are passed on */
    ck_assert_int_eq(popi_contact_kinetic_create(&e, &bad, &m, &r, sink, 1), POPI_OK);
    ck_assert_int_eq(popi_contact_kinetic_advance(e, 120 * POPI_US_PER_S), POPI_OK);
    ck_assert_int_eq(popi_contact_kinetic_advance(e, 60 * POPI_US_PER_S), POPI_OK); /* no-op backwards */
    popi_contact_kinetic_finish(e);
    popi_contact_stats_t st = popi_contact_kinetic_stats(e);
    ck_assert_uint_eq(st.buckets, 120);
    ck_assert_uint_eq(st.open_now, 0);
    popi_contact_kinetic_free(e);
    /* mobility's errors reach the caller: a mobility already advanced past the engine's start */
    popi_mobility_destroy(&m);
    ck_assert_int_eq(popi_mobility_init(&m, &mc, &w, 10, 1, 0), POPI_OK);
    ck_assert_int_eq(popi_mobility_advance(&m, 100 * POPI_US_PER_S, 110 * POPI_US_PER_S), POPI_OK);
    ck_assert_int_eq(popi_contact_kinetic_create(&e, &bad, &m, &r, sink, 1), POPI_OK);
    ck_assert_int_eq(popi_contact_kinetic_advance(e, 10 * POPI_US_PER_S), POPI_ESTATE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "mobility_advance"));
    popi_contact_kinetic_free(e);
    popi_mobility_destroy(&m);
    popi_contact_kinetic_free(NULL);
    popi_radio_destroy(&r);
    popi_world_destroy(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("contact_kinetic");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_random_waypoint_matches_sweep);
    tcase_add_test(tc, test_random_direction_matches_sweep);
    tcase_add_test(tc, test_mixed_crowd_with_obstacles_matches_sweep);
    tcase_add_test(tc, test_ble_radio_matches_sweep);
    tcase_add_test(tc, test_threads_byte_identical);
    tcase_add_test(tc, test_vector_paths_bit_identical);
    tcase_add_test(tc, test_buckets_and_steps_do_not_change_intervals);
    tcase_add_test(tc, test_finish_then_resume);
    tcase_add_test(tc, test_kinetic_theory_rate);
    tcase_add_test(tc, test_unit_disc_min_duration);
    tcase_add_test(tc, test_degenerate_and_errors);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
