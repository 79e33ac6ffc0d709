/* SPDX-License-Identifier: MIT */
/*
 * test_mobility.c - the mobility core (assignment by largest remainder, leg queues, advance, the
 * leg invariants: contiguous, obstacle-free, reproducible) and the science of each model:
 * random_waypoint's time-averaged speed (Yoon, Liu & Noble 2003), stop_and_go's truncated-Pareto
 * stops and exponential walks, crowd_seeking's clustering, back_and_forth's shuttling and
 * random_direction's uniform stationary density.
 */
#include "popi/mobility.h"
#include "testutil.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) popi_time_from_s(x)

/* Every model with sensible parameters; fraction 1 on @p kind (or 0.2 each if kind < 0). */
static popi_mobility_config_t mob_cfg(int kind)
{
    popi_mobility_config_t c;
    memset(&c, 0, sizeof c);
    c.random_waypoint = (popi_mob_rwp_config_t){0, 0.5, 1.5, 0, 30};
    c.stop_and_go = (popi_mob_stopgo_config_t){0, 0.5, 1.5, 5.0, 2.0, 1.5, 300.0};
    c.crowd_seeking = (popi_mob_seek_config_t){0, 0.5, 1.5, 5, 30, 0.8, 1.0, 5.0, 10.0};
    c.back_and_forth = (popi_mob_shuttle_config_t){0, 0.5, 1.5, 5, 20, 10, 25};
    c.random_direction = (popi_mob_rdir_config_t){0, 0.5, 1.5, 20};
    double f = kind < 0 ? 0.2 : 0.0;
    c.random_waypoint.fraction = c.stop_and_go.fraction = c.crowd_seeking.fraction = f;
    c.back_and_forth.fraction = c.random_direction.fraction = f;
    switch (kind) {
    case POPI_MOB_RANDOM_WAYPOINT:
        c.random_waypoint.fraction = 1;
        break;
    case POPI_MOB_STOP_AND_GO:
        c.stop_and_go.fraction = 1;
        break;
    case POPI_MOB_CROWD_SEEKING:
        c.crowd_seeking.fraction = 1;
        break;
    case POPI_MOB_BACK_AND_FORTH:
        c.back_and_forth.fraction = 1;
        break;
    case POPI_MOB_RANDOM_DIRECTION:
        c.random_direction.fraction = 1;
        break;
    default:
        break;
    }
    return c;
}

static void empty_world(popi_world_t *w, double width, double height, double cell)
{
    popi_world_config_t c;
    memset(&c, 0, sizeof c);
    c.width_m = width;
    c.height_m = height;
    c.cell_m = cell;
    ck_assert_int_eq(popi_world_init(w, &c, NULL), POPI_OK);
}

static void plaza_world(popi_world_t *w)
{
    popi_world_config_t c;
    memset(&c, 0, sizeof c);
    c.cell_m = 1.0;
    c.map_file = (char *)popi_test_src("data/maps/plaza.txt");
    popi_err_t rc = popi_world_init(w, &c, NULL);
    ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
}

static void mob_init(popi_mobility_t *m, const popi_mobility_config_t *c, const popi_world_t *w,
                     uint32_t n, uint64_t seed)
{
    popi_err_t rc = popi_mobility_init(m, c, w, n, seed, 0);
    ck_assert_msg(rc == POPI_OK, "mobility_init: %s", popi_err_message());
}

static void mob_advance(popi_mobility_t *m, popi_time_t t0, popi_time_t t1)
{
    popi_err_t rc = popi_mobility_advance(m, t0, t1);
    ck_assert_msg(rc == POPI_OK, "advance: %s", popi_err_message());
}

static void leg_end(const popi_leg_t *l, double *x, double *y)
{
    double dt = (double)(l->t1 - l->t0) * 1e-6;
    *x = l->x0 + l->vx * dt;
    *y = l->y0 + l->vy * dt;
}

static bool is_pause(const popi_leg_t *l)
{
    return l->vx == 0.0 && l->vy == 0.0;
}

static double leg_len(const popi_leg_t *l)
{
    double x, y;
    leg_end(l, &x, &y);
    return hypot(x - l->x0, y - l->y0);
}

/* ---------------------------------------------------------------------------------------------- */

START_TEST(test_names_and_table)
{
    const char *names[POPI_MOB__COUNT] = {"random_waypoint", "stop_and_go", "crowd_seeking",
                                          "back_and_forth", "random_direction"};
    for (int k = 0; k < POPI_MOB__COUNT; k++) {
        ck_assert_str_eq(popi_mobility_kind_name((popi_mobility_kind_t)k), names[k]);
        const popi_mobility_model_t *mm = popi_mobility_model((popi_mobility_kind_t)k);
        ck_assert_ptr_nonnull(mm);
        ck_assert_str_eq(mm->name, names[k]);
        ck_assert_ptr_nonnull(mm->extend);
    }
    ck_assert_ptr_null(popi_mobility_model(POPI_MOB__COUNT));
    ck_assert_ptr_null(popi_mobility_model((popi_mobility_kind_t)-1));
    ck_assert_str_eq(popi_mobility_kind_name(POPI_MOB__COUNT), "unknown");
}
END_TEST

START_TEST(test_fraction_errors)
{
    popi_world_t w;
    empty_world(&w, 20, 20, 1);
    popi_mobility_t m;
    popi_mobility_config_t c = mob_cfg(POPI_MOB_RANDOM_WAYPOINT);
    c.random_waypoint.fraction = 0.9;
    ck_assert_int_eq(popi_mobility_init(&m, &c, &w, 10, 1, 0), POPI_EINVAL);
    ck_assert_msg(strstr(popi_err_message(), "mobility.random_waypoint.fraction") != NULL, "%s",
                  popi_err_message());
    ck_assert_msg(strstr(popi_err_message(), "sum to 1") != NULL, "%s", popi_err_message());
    popi_mobility_destroy(&m);

    c = mob_cfg(-1);
    c.crowd_seeking.fraction = -0.2;
    c.back_and_forth.fraction = 0.6;
    ck_assert_int_eq(popi_mobility_init(&m, &c, &w, 10, 1, 0), POPI_EINVAL);
    ck_assert_msg(strstr(popi_err_message(), "mobility.crowd_seeking.fraction") != NULL, "%s",
                  popi_err_message());

    c = mob_cfg(-1);
    c.random_direction.fraction = NAN;
    ck_assert_int_eq(popi_mobility_init(&m, &c, &w, 10, 1, 0), POPI_EINVAL);
    ck_assert_msg(strstr(popi_err_message(), "mobility.random_direction.fraction") != NULL, "%s",
                  popi_err_message());

    c = mob_cfg(-1);
    c.stop_and_go.fraction = 1.5;
    ck_assert_int_eq(popi_mobility_init(&m, &c, &w, 10, 1, 0), POPI_EINVAL);
    ck_assert_msg(strstr(popi_err_message(), "mobility.stop_and_go.fraction") != NULL, "%s",
                  popi_err_message());

    /* within 1e-9 of 1 is accepted, beyond is not */
    c = mob_cfg(-1);
    c.random_waypoint.fraction += 5e-10;
    ck_assert_int_eq(popi_mobility_init(&m, &c, &w, 10, 1, 0), POPI_OK);
    popi_mobility_destroy(&m);
    c.random_waypoint.fraction += 2e-9;
    ck_assert_int_eq(popi_mobility_init(&m, &c, &w, 10, 1, 0), POPI_EINVAL);
    popi_mobility_destroy(&m);
    popi_mobility_destroy(NULL);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_parameter_errors)
{
    popi_world_t w;
    empty_world(&w, 20, 20, 1);
    struct {
        int kind;
        size_t offset;
        double value;
        const char *key;
    } cases[] = {
        {POPI_MOB_STOP_AND_GO, offsetof(popi_mobility_config_t, stop_and_go.speed_min_mps), 2.0,
         "mobility.stop_and_go.speed_min_mps"},
        {POPI_MOB_RANDOM_WAYPOINT, offsetof(popi_mobility_config_t, random_waypoint.speed_min_mps),
         0.0, "mobility.random_waypoint.speed_min_mps"},
        {POPI_MOB_RANDOM_WAYPOINT, offsetof(popi_mobility_config_t, random_waypoint.pause_min_s),
         31.0, "mobility.random_waypoint.pause_min_s"},
        {POPI_MOB_RANDOM_WAYPOINT, offsetof(popi_mobility_config_t, random_waypoint.pause_min_s),
         -1.0, "mobility.random_waypoint.pause_min_s"},
        {POPI_MOB_STOP_AND_GO, offsetof(popi_mobility_config_t, stop_and_go.walk_mean_m), 0.0,
         "mobility.stop_and_go.walk_mean_m"},
        {POPI_MOB_STOP_AND_GO, offsetof(popi_mobility_config_t, stop_and_go.pause_alpha), -1.0,
         "mobility.stop_and_go.pause_alpha"},
        {POPI_MOB_STOP_AND_GO, offsetof(popi_mobility_config_t, stop_and_go.pause_xmin_s), 0.0,
         "mobility.stop_and_go.pause_xmin_s"},
        {POPI_MOB_STOP_AND_GO, offsetof(popi_mobility_config_t, stop_and_go.pause_xmin_s), 400.0,
         "mobility.stop_and_go.pause_xmin_s"},
        {POPI_MOB_CROWD_SEEKING, offsetof(popi_mobility_config_t, crowd_seeking.speed_max_mps), NAN,
         "mobility.crowd_seeking.speed_max_mps"},
        {POPI_MOB_CROWD_SEEKING, offsetof(popi_mobility_config_t, crowd_seeking.pause_max_s), 1.0,
         "mobility.crowd_seeking.pause_min_s"},
        {POPI_MOB_CROWD_SEEKING, offsetof(popi_mobility_config_t, crowd_seeking.seek_prob), 1.5,
         "mobility.crowd_seeking.seek_prob"},
        {POPI_MOB_CROWD_SEEKING, offsetof(popi_mobility_config_t, crowd_seeking.gamma), -0.5,
         "mobility.crowd_seeking.gamma"},
        {POPI_MOB_CROWD_SEEKING, offsetof(popi_mobility_config_t, crowd_seeking.map_cell_m), 0.0,
         "mobility.crowd_seeking.map_cell_m"},
        {POPI_MOB_BACK_AND_FORTH, offsetof(popi_mobility_config_t, back_and_forth.distance_min_m),
         30.0, "mobility.back_and_forth.distance_min_m"},
        {POPI_MOB_BACK_AND_FORTH, offsetof(popi_mobility_config_t, back_and_forth.distance_max_m),
         0.0, "mobility.back_and_forth.distance_max_m"},
        {POPI_MOB_BACK_AND_FORTH, offsetof(popi_mobility_config_t, back_and_forth.speed_max_mps),
         0.1, "mobility.back_and_forth.speed_min_mps"},
        {POPI_MOB_RANDOM_DIRECTION, offsetof(popi_mobility_config_t, random_direction.turn_mean_s),
         0.0, "mobility.random_direction.turn_mean_s"},
        {POPI_MOB_RANDOM_DIRECTION,
         offsetof(popi_mobility_config_t, random_direction.speed_min_mps), INFINITY,
         "mobility.random_direction.speed_min_mps"},
    };
    popi_mobility_t m;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        popi_mobility_config_t c = mob_cfg(cases[i].kind);
        *(double *)((char *)&c + cases[i].offset) = cases[i].value;
        popi_err_clear();
        popi_err_t rc = popi_mobility_init(&m, &c, &w, 5, 1, 0);
        ck_assert_msg(rc == POPI_EINVAL, "case %zu: %s", i, popi_err_name(rc));
        ck_assert_msg(strstr(popi_err_message(), cases[i].key) != NULL, "case %zu: %s", i,
                      popi_err_message());
        popi_mobility_destroy(&m);
        /* the same bad value in a model without agents is never consulted */
        c = mob_cfg(cases[i].kind == POPI_MOB_RANDOM_WAYPOINT ? POPI_MOB_STOP_AND_GO
                                                              : POPI_MOB_RANDOM_WAYPOINT);
        *(double *)((char *)&c + cases[i].offset) = cases[i].value;
        rc = popi_mobility_init(&m, &c, &w, 5, 1, 0);
        ck_assert_msg(rc == POPI_OK, "case %zu unused: %s", i, popi_err_message());
        popi_mobility_destroy(&m);
    }
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_counts_largest_remainder)
{
    popi_world_t w;
    empty_world(&w, 20, 20, 1);
    popi_mobility_t m;
    popi_mobility_config_t c = mob_cfg(-1);
    c.random_waypoint.fraction = c.stop_and_go.fraction = c.crowd_seeking.fraction = 0.25;
    c.back_and_forth.fraction = 0.25;
    c.random_direction.fraction = 0.0;
    struct {
        uint32_t n;
        double f[5];
        uint32_t expect[5];
    } cases[] = {
        {10, {0.25, 0.25, 0.25, 0.25, 0}, {3, 3, 2, 2, 0}},
        {7, {1.0 / 3, 1.0 / 3, 0, 0, 1.0 / 3}, {3, 2, 0, 0, 2}},
        {10, {0.14, 0.16, 0.7, 0, 0}, {1, 2, 7, 0, 0}},
        {3, {0.1, 0.1, 0.1, 0.1, 0.6}, {1, 0, 0, 0, 2}},
        {0, {0.5, 0.5, 0, 0, 0}, {0, 0, 0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        c.random_waypoint.fraction = cases[i].f[0];
        c.stop_and_go.fraction = cases[i].f[1];
        c.crowd_seeking.fraction = cases[i].f[2];
        c.back_and_forth.fraction = cases[i].f[3];
        c.random_direction.fraction = cases[i].f[4];
        mob_init(&m, &c, &w, cases[i].n, 42);
        uint32_t got[5] = {0};
        for (uint32_t a = 0; a < m.n; a++)
            got[m.kind[a]]++;
        for (int k = 0; k < 5; k++)
            ck_assert_msg(got[k] == cases[i].expect[k], "case %zu kind %d: %u != %u", i, k, got[k],
                          cases[i].expect[k]);
        mob_advance(&m, 0, S(10));
        popi_mobility_destroy(&m);
    }
    /* the kinds are shuffled: not in blocks, different for another seed */
    c = mob_cfg(-1);
    popi_mobility_t m2;
    mob_init(&m, &c, &w, 100, 1);
    mob_init(&m2, &c, &w, 100, 2);
    int changes = 0;
    for (uint32_t a = 1; a < 100; a++)
        changes += m.kind[a] != m.kind[a - 1];
    ck_assert_int_gt(changes, 20);
    ck_assert(memcmp(m.kind, m2.kind, 100) != 0);
    popi_mobility_destroy(&m);
    popi_mobility_destroy(&m2);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_push_and_position)
{
    popi_world_t w;
    empty_world(&w, 10, 10, 1);
    popi_mobility_t m;
    popi_mobility_config_t c = mob_cfg(POPI_MOB_RANDOM_WAYPOINT);
    mob_init(&m, &c, &w, 1, 3);
    ck_assert_uint_eq(popi_mobility_n_legs(&m, 0), 0);
    double x, y;
    popi_mobility_position(&m, 0, 0, &x, &y); /* before any leg: the start position */
    ck_assert(x == m.q[0].end_x && y == m.q[0].end_y);
    ck_assert(!popi_world_blocked_at(&w, x, y));
    m.q[0].end_x = 2.0;
    m.q[0].end_y = 2.0;
    popi_path_t p = {0};
    popi_path_push(&p, 2, 2);
    popi_path_push(&p, 2, 2); /* zero length: no leg */
    popi_path_push(&p, 3, 2);
    popi_path_push(&p, 3, 2.5);
    popi_time_t t = popi_mobility_push_path(&m, 0, &p, 3.0, 0);
    ck_assert_int_eq(t, 333333 + 166667);
    ck_assert_uint_eq(popi_mobility_n_legs(&m, 0), 2);
    const popi_leg_t *l0 = popi_mobility_leg(&m, 0, 0), *l1 = popi_mobility_leg(&m, 0, 1);
    ck_assert_int_eq(l0->t0, 0);
    ck_assert_int_eq(l0->t1, 333333);
    ck_assert_double_eq_tol(l0->vx, 1.0 / 0.333333, 1e-9);
    ck_assert_double_eq(l0->vy, 0.0);
    leg_end(l0, &x, &y);
    ck_assert_double_eq_tol(x, 3.0, 1e-12);    /* the velocity makes the leg end at the waypoint */
    ck_assert(l1->x0 == 3.0 && l1->y0 == 2.0); /* the next leg starts at the stored waypoint */
    ck_assert_int_eq(l1->t0, 333333);
    ck_assert(m.q[0].end_x == 3.0 && m.q[0].end_y == 2.5 && m.q[0].end_t == t);
    /* pauses: zero or negative give no leg */
    ck_assert_int_eq(popi_mobility_push_pause(&m, 0, 3, 2.5, t, 0), t);
    ck_assert_int_eq(popi_mobility_push_pause(&m, 0, 3, 2.5, t, -5), t);
    ck_assert_uint_eq(popi_mobility_n_legs(&m, 0), 2);
    popi_time_t t2 = popi_mobility_push_pause(&m, 0, 3, 2.5, t, S(10));
    ck_assert_int_eq(t2, t + S(10));
    ck_assert_uint_eq(popi_mobility_n_legs(&m, 0), 3);
    /* a very short move still lasts 1 µs */
    p.n = 0;
    popi_path_push(&p, 3, 2.5);
    popi_path_push(&p, 3, 2.5 + 1e-9);
    popi_time_t t3 = popi_mobility_push_path(&m, 0, &p, 1.0, t2);
    ck_assert_int_eq(t3, t2 + 1);
    /* a raw leg */
    popi_leg_t raw = {.t0 = t3, .t1 = t3 + S(2), .x0 = 3, .y0 = 2.5 + 1e-9, .vx = -0.5, .vy = 0};
    popi_mobility_push_leg(&m, 0, &raw);
    ck_assert_double_eq_tol(m.q[0].end_x, 2.0, 1e-12);
    ck_assert_uint_eq(m.n_legs_generated, 5);
    /* positions */
    popi_mobility_position(&m, 0, 0, &x, &y);
    ck_assert(x == 2.0 && y == 2.0);
    popi_mobility_position(&m, 0, 166666, &x, &y);
    ck_assert_double_eq_tol(x, 2.5, 1e-5);
    popi_mobility_position(&m, 0, 333333, &x, &y);
    ck_assert(x == 3.0 && y == 2.0);
    popi_mobility_position(&m, 0, t + S(5), &x, &y);
    ck_assert(x == 3.0 && y == 2.5);
    popi_mobility_position(&m, 0, t3 + S(1), &x, &y);
    ck_assert_double_eq_tol(x, 2.5, 1e-12);
    popi_mobility_position(&m, 0, t3 + S(2), &x, &y);
    ck_assert_double_eq_tol(x, 2.0, 1e-12);
    /* advance keeps the leg that contains t_from and extends past t_to */
    mob_advance(&m, t + S(1), t3 + S(60));
    ck_assert_int_le(popi_mobility_leg(&m, 0, 0)->t0, t + S(1));
    ck_assert_int_gt(popi_mobility_leg(&m, 0, 0)->t1, t + S(1));
    ck_assert_int_ge(m.q[0].end_t, t3 + S(60));
    /* errors */
    ck_assert_int_eq(popi_mobility_advance(&m, S(5), S(4)), POPI_EINVAL);
    ck_assert_int_eq(popi_mobility_advance(&m, -1, S(4)), POPI_EINVAL);
    ck_assert_int_eq(popi_mobility_advance(&m, t, S(100)), POPI_ESTATE);
    ck_assert(strstr(popi_err_message(), "t_from") != NULL);
    popi_path_destroy(&p);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
}
END_TEST

/*
 * Advance in windows over [0, t_end] and check at every window: legs contiguous in time and
 * space, each leg's segment obstacle-free, and every agent's position outside obstacles at each
 * sample time. Returns the number of legs seen.
 */
static uint64_t check_invariants(popi_mobility_t *m, popi_time_t window, popi_time_t t_end,
                                 popi_time_t sample)
{
    const popi_world_t *w = m->world;
    for (popi_time_t t0 = 0; t0 < t_end; t0 += window) {
        popi_time_t t1 = t0 + window;
        mob_advance(m, t0, t1);
        for (uint32_t a = 0; a < m->n; a++) {
            uint32_t n = popi_mobility_n_legs(m, a);
            ck_assert_uint_ge(n, 1);
            const popi_leg_t *first = popi_mobility_leg(m, a, 0);
            ck_assert_int_le(first->t0, t0);
            ck_assert_int_ge(m->q[a].end_t, t1);
            for (uint32_t k = 0; k < n; k++) {
                const popi_leg_t *l = popi_mobility_leg(m, a, k);
                double ex, ey;
                leg_end(l, &ex, &ey);
                ck_assert_int_gt(l->t1, l->t0);
                ck_assert_msg(popi_world_segment_clear(w, l->x0, l->y0, ex, ey),
                              "agent %u (%s) leg %u (%g,%g)-(%g,%g) touches an obstacle", a,
                              popi_mobility_kind_name(m->kind[a]), k, l->x0, l->y0, ex, ey);
                if (k + 1 < n) {
                    const popi_leg_t *nx = popi_mobility_leg(m, a, k + 1);
                    ck_assert_int_eq(nx->t0, l->t1);
                    ck_assert_msg(
                        fabs(nx->x0 - ex) < 1e-9 && fabs(nx->y0 - ey) < 1e-9,
                        "agent %u: leg %u ends at (%.12g,%.12g), next starts at (%.12g,%.12g)", a,
                        k, ex, ey, nx->x0, nx->y0);
                } else {
                    ck_assert(fabs(m->q[a].end_x - ex) < 1e-9 && fabs(m->q[a].end_y - ey) < 1e-9);
                }
            }
            for (popi_time_t t = t0; t <= t1; t += sample) {
                double x, y;
                popi_mobility_position(m, a, t, &x, &y);
                ck_assert_msg(!popi_world_blocked_at(w, x, y),
                              "agent %u (%s) at t=%lld us is at (%g,%g), blocked", a,
                              popi_mobility_kind_name(m->kind[a]), (long long)t, x, y);
            }
        }
    }
    return m->n_legs_generated;
}

START_TEST(test_agents_avoid_obstacles)
{
    uint64_t seed = popi_test_seed(17);
    popi_world_t w;
    plaza_world(&w);
    popi_mobility_t m;
    popi_mobility_config_t c = mob_cfg(-1);
    mob_init(&m, &c, &w, 100, seed);
    uint64_t legs = check_invariants(&m, S(60), S(3600), S(2));
    ck_assert_uint_gt(legs, 100 * 20);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);

    /* random obstacles, possibly a disconnected free area; cells of 0.5 m */
    popi_world_config_t wc;
    memset(&wc, 0, sizeof wc);
    wc.width_m = 30;
    wc.height_m = 20;
    wc.cell_m = 0.5;
    wc.obstacle_density = 0.25;
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, POPI_STREAM_WORLD);
    ck_assert_int_eq(popi_world_init(&w, &wc, &r), POPI_OK);
    ck_assert_int_gt(w.n_components, 1);
    c.crowd_seeking.map_cell_m = 3.0;
    mob_init(&m, &c, &w, 60, seed);
    check_invariants(&m, S(100), S(1800), S(1));
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
    popi_rng_destroy(&r);
}
END_TEST

START_TEST(test_same_seed_same_legs)
{
    popi_world_t w;
    plaza_world(&w);
    popi_mobility_config_t c = mob_cfg(-1);
    popi_mobility_t a, b, d;
    mob_init(&a, &c, &w, 40, 99);
    mob_init(&b, &c, &w, 40, 99);
    mob_init(&d, &c, &w, 40, 100);
    for (popi_time_t t = 0; t < S(600); t += S(30)) {
        mob_advance(&a, t, t + S(30));
        mob_advance(&b, t, t + S(30));
        mob_advance(&d, t, t + S(30));
    }
    int differ = 0;
    for (uint32_t i = 0; i < 40; i++) {
        ck_assert_uint_eq(popi_mobility_n_legs(&a, i), popi_mobility_n_legs(&b, i));
        for (uint32_t k = 0; k < popi_mobility_n_legs(&a, i); k++)
            ck_assert(memcmp(popi_mobility_leg(&a, i, k), popi_mobility_leg(&b, i, k),
                             sizeof(popi_leg_t)) == 0);
        differ += popi_mobility_n_legs(&a, i) != popi_mobility_n_legs(&d, i) ||
                  memcmp(popi_mobility_leg(&a, i, 0), popi_mobility_leg(&d, i, 0),
                         sizeof(popi_leg_t)) != 0;
    }
    ck_assert_uint_eq(a.n_legs_generated, b.n_legs_generated);
    ck_assert_int_gt(differ, 30);
    /* another run index is another stream too */
    popi_mobility_t e;
    ck_assert_int_eq(popi_mobility_init(&e, &c, &w, 40, 99, 1), POPI_OK);
    ck_assert(memcmp(e.kind, a.kind, 40) != 0 || e.q[0].end_x != a.q[0].end_x);
    popi_mobility_destroy(&e);
    popi_mobility_destroy(&a);
    popi_mobility_destroy(&b);
    popi_mobility_destroy(&d);
    popi_world_destroy(&w);
}
END_TEST

/* Legs do not depend on how advance() windows are cut (every model, crowd_seeking included:
 * its snapshots are taken at fixed multiples of refresh_s and agents extend in time order). */
START_TEST(test_windows_do_not_matter)
{
    uint64_t seed = popi_test_seed(61);
    popi_world_t w;
    plaza_world(&w);
    popi_mobility_config_t c = mob_cfg(-1);
    ck_assert(c.crowd_seeking.fraction > 0);
    const uint32_t n = 40;
    const popi_time_t T = S(900);
    popi_mobility_t one, many, drop;
    mob_init(&one, &c, &w, n, seed);
    mob_init(&many, &c, &w, n, seed);
    mob_init(&drop, &c, &w, n, seed);
    mob_advance(&one, 0, T);
    for (popi_time_t t = S(1); t <= T; t += S(7.3))
        mob_advance(&many, 0, t); /* keeps every leg */
    mob_advance(&many, 0, T);
    for (uint32_t a = 0; a < n; a++) {
        ck_assert_uint_eq(popi_mobility_n_legs(&one, a), popi_mobility_n_legs(&many, a));
        for (uint32_t k = 0; k < popi_mobility_n_legs(&one, a); k++)
            ck_assert(memcmp(popi_mobility_leg(&one, a, k), popi_mobility_leg(&many, a, k),
                             sizeof(popi_leg_t)) == 0);
    }
    /* contact-style windows that drop old legs: the same positions at every sample */
    for (popi_time_t t = 0; t < T; t += S(0.37)) {
        popi_time_t t1 = t + S(0.37) < T ? t + S(0.37) : T;
        mob_advance(&drop, t, t1);
        for (uint32_t a = 0; a < n; a++) {
            double x1, y1, x2, y2;
            popi_mobility_position(&drop, a, t, &x1, &y1);
            popi_mobility_position(&one, a, t, &x2, &y2);
            ck_assert_msg(x1 == x2 && y1 == y2, "agent %u at t=%lld: (%g,%g) vs (%g,%g)", a,
                          (long long)t, x1, y1, x2, y2);
        }
    }
    popi_mobility_destroy(&one);
    popi_mobility_destroy(&many);
    popi_mobility_destroy(&drop);
    popi_world_destroy(&w);
}
END_TEST

/* Time-averaged speed of random waypoint: 1 / E[1/v] = (vmax - vmin) / ln(vmax / vmin). */
START_TEST(test_rwp_time_averaged_speed)
{
    uint64_t seed = popi_test_seed(2024);
    popi_world_t w;
    empty_world(&w, 200, 200, 10);
    popi_mobility_config_t c = mob_cfg(POPI_MOB_RANDOM_WAYPOINT);
    const double vmin = 0.5, vmax = 2.0;
    c.random_waypoint.speed_min_mps = vmin;
    c.random_waypoint.speed_max_mps = vmax;
    c.random_waypoint.pause_min_s = c.random_waypoint.pause_max_s = 0.0;
    popi_mobility_t m;
    const uint32_t n = 300,
                   K = 20; /* the first K trips of each agent: a fixed number, no stopping bias */
    mob_init(&m, &c, &w, n, seed);
    mob_advance(&m, 0, S(4 * 3600));
    double sl = 0, st = 0;
    double *L = malloc(sizeof(double) * n * K), *T = malloc(sizeof(double) * n * K);
    size_t N = 0;
    for (uint32_t a = 0; a < n; a++) {
        ck_assert_uint_ge(popi_mobility_n_legs(&m, a), K);
        for (uint32_t k = 0; k < K; k++) { /* empty world, no pauses: one leg per trip */
            const popi_leg_t *l = popi_mobility_leg(&m, a, k);
            ck_assert(!is_pause(l));
            L[N] = leg_len(l);
            T[N] = (double)(l->t1 - l->t0) * 1e-6;
            sl += L[N];
            st += T[N];
            N++;
        }
    }
    double R = sl / st, tbar = st / (double)N, ss = 0;
    for (size_t i = 0; i < N; i++)
        ss += (L[i] - R * T[i]) * (L[i] - R * T[i]);
    double se = sqrt(ss / ((double)N * (double)(N - 1))) / tbar;
    double expect = (vmax - vmin) / log(vmax / vmin);
    ck_assert_msg(fabs(R - expect) < 4 * se,
                  "seed %llu: time-averaged speed %g, expected %g (SE %g)",
                  (unsigned long long)seed, R, expect, se);
    /* and it is clearly not the mean of the draw */
    ck_assert_msg(fabs(R - 0.5 * (vmin + vmax)) > 8 * se, "seed %llu: %g", (unsigned long long)seed,
                  R);
    free(L);
    free(T);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_rwp_trip_speed_and_pauses)
{
    uint64_t seed = popi_test_seed(77);
    popi_world_t w;
    empty_world(&w, 100, 100, 5);
    popi_mobility_config_t c = mob_cfg(POPI_MOB_RANDOM_WAYPOINT);
    const double vmin = 0.4, vmax = 1.6;
    c.random_waypoint.speed_min_mps = vmin;
    c.random_waypoint.speed_max_mps = vmax;
    c.random_waypoint.pause_min_s = c.random_waypoint.pause_max_s = 1.0;
    popi_mobility_t m;
    mob_init(&m, &c, &w, 200, seed);
    mob_advance(&m, 0, S(3600));
    double sum = 0;
    size_t n_trips = 0;
    for (uint32_t a = 0; a < m.n; a++) {
        const popi_leg_t *l0 = popi_mobility_leg(&m, a, 0);
        ck_assert_int_eq(l0->t0, 0);
        ck_assert(!is_pause(l0)); /* the first action is a trip */
        for (uint32_t k = 0; k < popi_mobility_n_legs(&m, a); k++) {
            const popi_leg_t *l = popi_mobility_leg(&m, a, k);
            if (is_pause(l)) {
                ck_assert_int_eq(l->t1 - l->t0, S(1));
                ck_assert(k > 0 && !is_pause(popi_mobility_leg(&m, a, k - 1)));
                continue;
            }
            double v = hypot(l->vx, l->vy);
            ck_assert(v >= vmin * (1 - 1e-6) && v <= vmax * (1 + 1e-6));
            sum += v;
            n_trips++;
        }
    }
    double mean = sum / (double)n_trips, se = (vmax - vmin) / sqrt(12.0 * (double)n_trips);
    ck_assert_msg(fabs(mean - 0.5 * (vmin + vmax)) < 4 * se,
                  "seed %llu: trip speed mean %g, expected %g (SE %g)", (unsigned long long)seed,
                  mean, 0.5 * (vmin + vmax), se);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_back_and_forth)
{
    uint64_t seed = popi_test_seed(31);
    popi_world_t w;
    plaza_world(&w);
    popi_mobility_config_t c = mob_cfg(POPI_MOB_BACK_AND_FORTH);
    popi_mobility_t m;
    mob_init(&m, &c, &w, 30, seed);
    int visits_a[30] = {0}, visits_b[30] = {0}, in_range = 0;
    for (uint32_t a = 0; a < 30; a++) {
        const popi_agent_state_t *st = &m.state[a];
        ck_assert(st->ax == m.q[a].end_x && st->ay == m.q[a].end_y); /* A = start */
        ck_assert(!popi_world_blocked_at(&w, st->bx, st->by));
        double d = hypot(st->bx - st->ax, st->by - st->ay);
        in_range += d >= c.back_and_forth.distance_min_m && d <= c.back_and_forth.distance_max_m;
    }
    ck_assert_int_ge(in_range, 28);
    int expect_b[30];
    for (int a = 0; a < 30; a++)
        expect_b[a] = 1;
    for (popi_time_t t = 0; t < S(3600); t += S(300)) {
        mob_advance(&m, t, t + S(300));
        for (uint32_t a = 0; a < 30; a++) {
            const popi_agent_state_t *st = &m.state[a];
            for (uint32_t k = 0; k < popi_mobility_n_legs(&m, a); k++) {
                const popi_leg_t *l = popi_mobility_leg(&m, a, k);
                if (!is_pause(l) || l->t0 < t || l->t0 >= t + S(300))
                    continue; /* each pause once */
                if (l->x0 == st->bx && l->y0 == st->by) {
                    ck_assert_msg(expect_b[a], "agent %u paused at B twice in a row", a);
                    visits_b[a]++;
                    expect_b[a] = 0;
                } else if (l->x0 == st->ax && l->y0 == st->ay) {
                    ck_assert_msg(!expect_b[a], "agent %u paused at A twice in a row", a);
                    visits_a[a]++;
                    expect_b[a] = 1;
                } else {
                    ck_abort_msg("agent %u paused at (%g,%g), not at an anchor", a, l->x0, l->y0);
                }
            }
        }
    }
    for (int a = 0; a < 30; a++) {
        ck_assert_msg(visits_a[a] >= 5 && visits_b[a] >= 5, "agent %d: %d visits of A, %d of B", a,
                      visits_a[a], visits_b[a]);
        ck_assert_int_le(abs(visits_a[a] - visits_b[a]), 1);
    }
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
}
END_TEST

static double tp_cdf(double t, double xmin, double alpha, double xmax)
{
    if (t <= xmin) return 0;
    if (t >= xmax) return 1;
    return (1 - pow(xmin / t, alpha)) / (1 - pow(xmin / xmax, alpha));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(test_stop_and_go_laws)
{
    uint64_t seed = popi_test_seed(123);
    popi_world_t w;
    empty_world(&w, 10000, 10000, 100);
    popi_mobility_config_t c = mob_cfg(POPI_MOB_STOP_AND_GO);
    const double xmin = 2.0, alpha = 1.2, xmax = 120.0, walk_mean = 5.0;
    c.stop_and_go.pause_xmin_s = xmin;
    c.stop_and_go.pause_alpha = alpha;
    c.stop_and_go.pause_max_s = xmax;
    c.stop_and_go.walk_mean_m = walk_mean;
    popi_mobility_t m;
    mob_init(&m, &c, &w, 150, seed);
    mob_advance(&m, 0, S(1800));
    size_t cap = 200000, ns = 0, nw = 0;
    double *stops = malloc(cap * sizeof *stops), walk_sum = 0;
    for (uint32_t a = 0; a < m.n; a++) {
        ck_assert(!is_pause(popi_mobility_leg(&m, a, 0))); /* starts with a walk */
        for (uint32_t k = 0; k < popi_mobility_n_legs(&m, a); k++) {
            const popi_leg_t *l = popi_mobility_leg(&m, a, k);
            if (is_pause(l)) {
                ck_assert(ns < cap);
                stops[ns++] = (double)(l->t1 - l->t0) * 1e-6;
            } else {
                walk_sum += leg_len(l);
                nw++;
            }
        }
    }
    ck_assert_uint_gt(ns, 5000);
    /* Kolmogorov-Smirnov against the truncated Pareto CDF */
    qsort(stops, ns, sizeof *stops, cmp_double);
    double dmax = 0;
    for (size_t i = 0; i < ns; i++) {
        double f = tp_cdf(stops[i], xmin, alpha, xmax);
        dmax = fmax(dmax,
                    fmax(fabs(f - (double)i / (double)ns), fabs((double)(i + 1) / (double)ns - f)));
    }
    double lambda = sqrt((double)ns) * dmax;
    ck_assert_msg(lambda < 1.95,
                  "seed %llu: KS statistic sqrt(n) D = %g over %zu stops (p < 0.001)",
                  (unsigned long long)seed, lambda, ns);
    ck_assert(stops[0] >= xmin - 1e-6 && stops[ns - 1] <= xmax + 1e-6);
    /* the law is truncated, not clipped: no atom at xmax */
    size_t at_max = 0;
    for (size_t i = 0; i < ns; i++)
        at_max += stops[i] > xmax - 1e-3;
    ck_assert_uint_lt(at_max, 5);
    /* walks: exponential lengths with the configured mean (SE = mean / sqrt(n)) */
    double mean = walk_sum / (double)nw, se = walk_mean / sqrt((double)nw);
    ck_assert_msg(fabs(mean - walk_mean) < 4 * se, "seed %llu: mean walk %g m, expected %g (SE %g)",
                  (unsigned long long)seed, mean, walk_mean, se);
    free(stops);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
}
END_TEST

/* Mean over sample times of the variance-to-mean ratio of agent counts over 5 m map cells. */
static double dispersion_run(int kind, uint64_t seed, uint64_t run)
{
    popi_world_t w;
    empty_world(&w, 40, 40, 1);
    popi_mobility_config_t c = mob_cfg(kind);
    c.random_waypoint.pause_min_s = c.crowd_seeking.pause_min_s = 20;
    c.random_waypoint.pause_max_s = c.crowd_seeking.pause_max_s = 60;
    c.crowd_seeking.seek_prob = 0.9;
    c.crowd_seeking.gamma = 2.0;
    c.crowd_seeking.map_cell_m = 5.0;
    popi_mobility_t m;
    ck_assert_int_eq(popi_mobility_init(&m, &c, &w, 200, seed, run), POPI_OK);
    double vmr_sum = 0;
    int n_samples = 0;
    for (popi_time_t t = 0; t < S(1800); t += S(10)) {
        mob_advance(&m, t, t + S(10));
        if (t < S(900) || (t / S(10)) % 10 != 0) continue;
        double cnt[64] = {0};
        for (uint32_t a = 0; a < m.n; a++) {
            double x, y;
            popi_mobility_position(&m, a, t, &x, &y);
            int mx = (int)(x / 5.0), my = (int)(y / 5.0);
            cnt[(my > 7 ? 7 : my) * 8 + (mx > 7 ? 7 : mx)] += 1;
        }
        double mean = 200.0 / 64.0, var = 0;
        for (int i = 0; i < 64; i++)
            var += (cnt[i] - mean) * (cnt[i] - mean);
        vmr_sum += var / 63.0 / mean;
        n_samples++;
    }
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
    return vmr_sum / n_samples;
}

START_TEST(test_crowd_seeking_clusters)
{
    uint64_t seed = popi_test_seed(8);
    enum { R = 6 };
    double seek[R], rwp[R], ms = 0, mr = 0, vs = 0, vr = 0;
    for (int r = 0; r < R; r++) { /* independent replications (run index r) */
        seek[r] = dispersion_run(POPI_MOB_CROWD_SEEKING, seed, (uint64_t)r);
        rwp[r] = dispersion_run(POPI_MOB_RANDOM_WAYPOINT, seed, (uint64_t)r);
        ms += seek[r] / R;
        mr += rwp[r] / R;
    }
    for (int r = 0; r < R; r++) {
        vs += (seek[r] - ms) * (seek[r] - ms) / (R - 1);
        vr += (rwp[r] - mr) * (rwp[r] - mr) / (R - 1);
    }
    double se = sqrt(vs / R + vr / R);
    ck_assert_msg(ms - mr > 4 * se,
                  "seed %llu: crowd_seeking dispersion %g vs random_waypoint %g (SE %g)",
                  (unsigned long long)seed, ms, mr, se);
    /* random waypoint is close to Poisson (index ~1, a little more from its centre bias); crowd
     * seeking with gamma 2 forms crowds */
    ck_assert_msg(mr < 2.0 && ms > 3.0, "seed %llu: dispersion indices %g (rwp), %g (seek)",
                  (unsigned long long)seed, mr, ms);
}
END_TEST

/* The occupancy snapshot and the seek draw: destinations fall in map cells with probability
 * proportional to count^gamma; map cells without free ground are never weighted. */
START_TEST(test_crowd_seeking_snapshot)
{
    uint64_t seed = popi_test_seed(19);
    popi_world_t w;
    popi_world_config_t wc;
    memset(&wc, 0, sizeof wc);
    wc.width_m = 20;
    wc.height_m = 10;
    wc.cell_m = 1;
    popi_rect_t blk = {0, 0, 5, 5}; /* map cell 0 (5 m cells) is all wall */
    wc.obstacles = &blk;
    wc.n_obstacles = 1;
    ck_assert_int_eq(popi_world_init(&w, &wc, NULL), POPI_OK);
    for (int gi = 0; gi < 2; gi++) {
        double gamma = gi == 0 ? 0.0 : 1.5;
        popi_mobility_config_t c = mob_cfg(POPI_MOB_CROWD_SEEKING);
        c.crowd_seeking.map_cell_m = 5.0;
        c.crowd_seeking.gamma = gamma;
        c.crowd_seeking.seek_prob = 1.0;
        c.crowd_seeking.pause_min_s = c.crowd_seeking.pause_max_s = 1.0;
        c.crowd_seeking.refresh_s = 1e6; /* every draw below uses the snapshot at t = 0 */
        popi_mobility_t m;
        mob_init(&m, &c, &w, 40, seed);
        ck_assert_int_eq(m.omx, 4);
        ck_assert_int_eq(m.omy, 2);
        double cnt[8] = {0};
        for (uint32_t a = 0; a < m.n; a++) {
            int mx = (int)(m.q[a].end_x / 5.0), my = (int)(m.q[a].end_y / 5.0);
            cnt[my * 4 + mx] += 1;
        }
        ck_assert_double_eq(cnt[0], 0.0);
        mob_advance(&m, 0, 1); /* snapshot at t = 0 (the start positions) */
        ck_assert_int_eq(m.occ_time, 0);
        double wgt[8], total = 0;
        for (int i = 0; i < 8; i++) {
            wgt[i] = i == 0 ? 0.0 : pow(cnt[i], gamma);
            total += wgt[i];
            ck_assert_double_eq_tol(m.occ_weight[i], total, 1e-9);
        }
        /* many seek draws from the same snapshot: agent 0 keeps extending */
        const popi_mobility_model_t *mm = popi_mobility_model(POPI_MOB_CROWD_SEEKING);
        double hits[8] = {0};
        const int n_draws = 4000;
        for (int i = 0; i < n_draws; i++) {
            popi_legq_t *q = &m.q[0];
            ck_assert_int_eq(mm->extend(&m, 0, q->end_t, q->end_x, q->end_y), POPI_OK);
            int mx = (int)(q->end_x / 5.0), my = (int)(q->end_y / 5.0);
            hits[my * 4 + mx] += 1;
        }
        ck_assert_double_eq(hits[0], 0.0);
        double chi2 = 0;
        int df = -1;
        for (int i = 0; i < 8; i++) {
            if (wgt[i] == 0) {
                ck_assert_double_eq(hits[i], 0.0);
                continue;
            }
            double e = n_draws * wgt[i] / total;
            chi2 += (hits[i] - e) * (hits[i] - e) / e;
            df++;
        }
        double p = gsl_cdf_chisq_Q(chi2, df);
        ck_assert_msg(
            p > 1e-4,
            "seed %llu gamma %g: seek destinations do not follow count^gamma: chi2 %g (%d df)",
            (unsigned long long)seed, gamma, chi2, df);
        popi_mobility_destroy(&m);
    }
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_random_direction_uniform)
{
    uint64_t seed = popi_test_seed(4242);
    popi_world_t w;
    empty_world(&w, 50, 50, 1);
    popi_mobility_config_t c = mob_cfg(POPI_MOB_RANDOM_DIRECTION);
    c.random_direction.speed_min_mps = 0.5;
    c.random_direction.speed_max_mps = 1.5;
    c.random_direction.turn_mean_s = 60;
    popi_mobility_t m;
    const uint32_t n = 2000;
    mob_init(&m, &c, &w, n, seed);
    double *x0 = malloc(n * sizeof *x0), *y0 = malloc(n * sizeof *y0);
    for (uint32_t a = 0; a < n; a++) {
        x0[a] = m.q[a].end_x;
        y0[a] = m.q[a].end_y;
        ck_assert(m.state[a].speed >= 0.5 && m.state[a].speed < 1.5);
    }
    double hist[100] = {0};
    int n_reflect = 0;
    double moved = 0;
    for (popi_time_t t = 0; t < S(1800); t += S(120)) {
        popi_time_t ts = t + S(120);
        mob_advance(&m, t, ts);
        for (uint32_t a = 0; a < n; a++) {
            for (uint32_t k = 0; k < popi_mobility_n_legs(&m, a); k++) {
                const popi_leg_t *l = popi_mobility_leg(&m, a, k);
                ck_assert(!is_pause(l));
                /* constant speed up to the rounding of the duration to 1 us */
                ck_assert(fabs(leg_len(l) - m.state[a].speed * (double)(l->t1 - l->t0) * 1e-6) <=
                          0.5e-6 * m.state[a].speed + 1e-9);
                if (l->t0 >= t && l->t0 < ts &&
                    (fmin(fmin(l->x0, 50 - l->x0), fmin(l->y0, 50 - l->y0)) < 1e-6))
                    n_reflect++;
            }
            if (ts % S(600) != 0) continue;
            double x, y;
            popi_mobility_position(&m, a, ts, &x, &y);
            int bx = (int)(x / 5.0), by = (int)(y / 5.0);
            hist[(by > 9 ? 9 : by) * 10 + (bx > 9 ? 9 : bx)] += 1;
            moved += hypot(x - x0[a], y - y0[a]);
        }
    }
    double total = 0, chi2 = 0;
    for (int i = 0; i < 100; i++)
        total += hist[i];
    ck_assert_double_eq(total, 3.0 * n);
    double e = total / 100.0;
    for (int i = 0; i < 100; i++)
        chi2 += (hist[i] - e) * (hist[i] - e) / e;
    double p = gsl_cdf_chisq_Q(chi2, 99);
    ck_assert_msg(p > 1e-4, "seed %llu: density not uniform, chi2 = %g (99 df), p = %g",
                  (unsigned long long)seed, chi2, p);
    ck_assert_int_gt(n_reflect, (int)n); /* agents do reach the walls and bounce */
    ck_assert_double_gt(moved / (3.0 * n), 10.0);
    free(x0);
    free(y0);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
}
END_TEST

static Suite *mobility_suite(void)
{
    Suite *s = suite_create("mobility");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_names_and_table);
    tcase_add_test(tc, test_fraction_errors);
    tcase_add_test(tc, test_parameter_errors);
    tcase_add_test(tc, test_counts_largest_remainder);
    tcase_add_test(tc, test_push_and_position);
    tcase_add_test(tc, test_agents_avoid_obstacles);
    tcase_add_test(tc, test_same_seed_same_legs);
    tcase_add_test(tc, test_windows_do_not_matter);
    suite_add_tcase(s, tc);
    TCase *sc = tcase_create("science");
    tcase_set_timeout(sc, 120);
    tcase_add_test(sc, test_rwp_time_averaged_speed);
    tcase_add_test(sc, test_rwp_trip_speed_and_pauses);
    tcase_add_test(sc, test_back_and_forth);
    tcase_add_test(sc, test_stop_and_go_laws);
    tcase_add_test(sc, test_crowd_seeking_snapshot);
    tcase_add_test(sc, test_crowd_seeking_clusters);
    tcase_add_test(sc, test_random_direction_uniform);
    suite_add_tcase(s, sc);
    return s;
}

int main(void)
{
    return popi_test_run(mobility_suite());
}
