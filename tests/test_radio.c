/* SPDX-License-Identifier: MIT */
/*
 * test_radio.c - BLE path loss, sighting rate of the scan/advertise duty cycle, the run rule,
 * shadowing statistics, wall attenuation, piece invariance and configuration errors.
 */
#include "popi/radio.h"
#include "popi/world.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

typedef struct {
    double x[4], y[4];
} still_t;

static void still_pos(const void *ctx, uint32_t a, popi_time_t t, double *x, double *y)
{
    (void)t;
    const still_t *s = ctx;
    *x = s->x[a];
    *y = s->y[a];
}

typedef struct {
    int n;
    popi_time_t t0[4096], t1[4096];
    double rssi[4096];
} got_t;

static void emit(void *ctx, uint32_t i, uint32_t j, popi_time_t t0, popi_time_t t1, double rssi)
{
    (void)i;
    (void)j;
    got_t *g = ctx;
    g->t0[g->n] = t0;
    g->t1[g->n] = t1;
    g->rssi[g->n++] = rssi;
}

static popi_radio_config_t ble(double sigma, double thr, double gap)
{
    popi_radio_config_t c = {POPI_RADIO_BLE, -59, 2.0, sigma, 5, thr, 4.096, 1.024, 0.25, gap};
    return c;
}

START_TEST(test_path_loss)
{
    popi_radio_t r;
    popi_radio_config_t c = ble(0, -65, 10);
    ck_assert_int_eq(popi_radio_init(&r, &c, 0, NULL, 2, 1, 0), POPI_OK);
    ck_assert_double_eq_tol(popi_radio_mean_rssi(&r, 1.0, 0), -59.0, 1e-12);
    ck_assert_double_eq_tol(popi_radio_mean_rssi(&r, 2.0, 0), -59.0 - 20.0 * log10(2.0), 1e-12);
    ck_assert_double_eq_tol(popi_radio_mean_rssi(&r, 10.0, 3), -59.0 - 20.0 - 15.0, 1e-12);
    /* below 10 cm the model is clamped */
    ck_assert_double_eq_tol(popi_radio_mean_rssi(&r, 0.0, 0), -59.0 + 20.0, 1e-12);
    popi_radio_destroy(&r);
    popi_radio_destroy(&r);
}
END_TEST

START_TEST(test_sighting_rate_and_single_contact)
{
    /* two still phones 1 m apart, no shadowing: each direction sees W/I of the 1/A adverts, i.e.
     * 1.024/4.096 * 4 = 1 sighting per second; one contact from first to last sighting */
    uint64_t seed = popi_test_seed(2);
    popi_radio_t r;
    popi_radio_config_t c = ble(0, -65, 10);
    ck_assert_int_eq(popi_radio_init(&r, &c, 60.0, NULL, 2, seed, 0), POPI_OK);
    still_t s = {{0, 1}, {0, 0}};
    popi_radio_pair_t st;
    popi_radio_pair_reset(&st);
    got_t g = {0};
    const popi_time_t T = 4096 * POPI_US_PER_S; /* a whole number of scan periods */
    popi_radio_observe(&r, &st, 0, 1, 0, T, still_pos, &s, emit, &g);
    popi_radio_close(&r, &st, 0, 1, emit, &g);
    double expect = 2.0 * 4096.0;
    ck_assert_msg(fabs((double)r.n_sightings - expect) <= 4 * sqrt(expect) + 8,
                  "seed %llu: %llu sightings, expected about %.0f", (unsigned long long)seed,
                  (unsigned long long)r.n_sightings, expect);
    ck_assert_int_eq(g.n, 1);
    ck_assert_int_lt(g.t0[0], 5 * POPI_US_PER_S);
    ck_assert_int_gt(g.t1[0], T - 5 * POPI_US_PER_S);
    ck_assert_double_eq_tol(g.rssi[0], -59.0, 1e-9);
    popi_radio_destroy(&r);
}
END_TEST

START_TEST(test_threshold_min_duration_and_gap)
{
    popi_radio_t r;
    still_t far = {{0, 3}, {0, 0}}; /* -68.5 dBm < -65 */
    popi_radio_pair_t st;
    got_t g = {0};
    popi_radio_config_t c = ble(0, -65, 10);
    ck_assert_int_eq(popi_radio_init(&r, &c, 0.0, NULL, 2, 3, 0), POPI_OK);
    popi_radio_pair_reset(&st);
    popi_radio_observe(&r, &st, 0, 1, 0, 600 * POPI_US_PER_S, still_pos, &far, emit, &g);
    popi_radio_close(&r, &st, 0, 1, emit, &g);
    ck_assert_int_eq(g.n, 0);
    ck_assert_uint_gt(r.n_sightings, 0);
    popi_radio_destroy(&r);
    /* close enough but shorter than min_duration: nothing */
    still_t near = {{0, 1}, {0, 0}};
    ck_assert_int_eq(popi_radio_init(&r, &c, 120.0, NULL, 2, 3, 0), POPI_OK);
    popi_radio_pair_reset(&st);
    popi_radio_observe(&r, &st, 0, 1, 0, 100 * POPI_US_PER_S, still_pos, &near, emit, &g);
    popi_radio_close(&r, &st, 0, 1, emit, &g);
    ck_assert_int_eq(g.n, 0);
    popi_radio_destroy(&r);
    /* max_gap = 0.5 s is shorter than the scan period: every scan window starts a new run */
    popi_radio_config_t c2 = ble(0, -65, 0.5);
    ck_assert_int_eq(popi_radio_init(&r, &c2, 0.0, NULL, 2, 3, 0), POPI_OK);
    popi_radio_pair_reset(&st);
    popi_radio_observe(&r, &st, 0, 1, 0, 40960 * 1000, still_pos, &near, emit, &g);
    popi_radio_close(&r, &st, 0, 1, emit, &g);
    /* 10 scan periods, two phones with independent phases: between 10 and 22 runs */
    ck_assert_int_ge(g.n, 10);
    ck_assert_int_le(g.n, 22);
    popi_radio_destroy(&r);
}
END_TEST

START_TEST(test_shadowing_fraction)
{
    /* at the distance where the mean RSSI equals the threshold, half the sightings qualify */
    uint64_t seed = popi_test_seed(9);
    popi_radio_t r;
    popi_radio_config_t c = ble(4.0, -65, 1e6);
    ck_assert_int_eq(popi_radio_init(&r, &c, 0.0, NULL, 2, seed, 0), POPI_OK);
    double d = pow(10.0, (-59.0 + 65.0) / 20.0);
    still_t s = {{0, d}, {0, 0}};
    popi_radio_pair_t st;
    popi_radio_pair_reset(&st);
    got_t g = {0};
    popi_radio_observe(&r, &st, 0, 1, 0, 20000 * POPI_US_PER_S, still_pos, &s, emit, &g);
    double n = (double)r.n_sightings, k = st.n_hits;
    double se = sqrt(0.25 / n);
    ck_assert_msg(fabs(k / n - 0.5) <= 4 * se, "seed %llu: %.4f of %g sightings qualified",
                  (unsigned long long)seed, k / n, n);
    popi_radio_destroy(&r);
}
END_TEST

START_TEST(test_walls_attenuate)
{
    /* a wall cell between two phones 3 m apart; 10 dB per wall, threshold between the two */
    popi_rect_t wall = {1.0, 0.0, 2.0, 3.0};
    popi_world_config_t wc = {10, 3, 1.0, &wall, 1, NULL, 0.0};
    popi_world_t w;
    popi_rng_t rng;
    popi_rng_init(&rng, 1, 0, POPI_STREAM_WORLD);
    ck_assert_int_eq(popi_world_init(&w, &wc, &rng), POPI_OK);
    popi_rng_destroy(&rng);
    popi_radio_t r;
    popi_radio_config_t c = ble(0, -75, 10);
    c.wall_loss_db = 10;
    still_t s = {{0.5, 3.5}, {1.5, 1.5}}; /* -68.5 dBm in the open, -78.5 through the wall */
    got_t g = {0};
    popi_radio_pair_t st;
    ck_assert_int_eq(popi_radio_init(&r, &c, 0.0, NULL, 2, 1, 0), POPI_OK);
    popi_radio_pair_reset(&st);
    popi_radio_observe(&r, &st, 0, 1, 0, 100 * POPI_US_PER_S, still_pos, &s, emit, &g);
    popi_radio_close(&r, &st, 0, 1, emit, &g);
    ck_assert_int_eq(g.n, 1); /* no world: no walls */
    popi_radio_destroy(&r);
    ck_assert_int_eq(popi_radio_init(&r, &c, 0.0, &w, 2, 1, 0), POPI_OK);
    popi_radio_pair_reset(&st);
    popi_radio_observe(&r, &st, 0, 1, 0, 100 * POPI_US_PER_S, still_pos, &s, emit, &g);
    popi_radio_close(&r, &st, 0, 1, emit, &g);
    ck_assert_int_eq(g.n, 1); /* blocked */
    popi_radio_destroy(&r);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_pieces_equal_whole)
{
    uint64_t seed = popi_test_seed(4);
    popi_radio_config_t c = ble(6.0, -60.5, 5.0); /* ~37% qualify: whole scan periods without one split runs */
    popi_radio_t r1, r2;
    ck_assert_int_eq(popi_radio_init(&r1, &c, 2.0, NULL, 2, seed, 0), POPI_OK);
    ck_assert_int_eq(popi_radio_init(&r2, &c, 2.0, NULL, 2, seed, 0), POPI_OK);
    still_t s = {{0, 1.5}, {0, 0}};
    got_t a = {0}, b = {0};
    popi_radio_pair_t s1, s2;
    popi_radio_pair_reset(&s1);
    popi_radio_pair_reset(&s2);
    popi_radio_observe(&r1, &s1, 0, 1, 0, 3000 * POPI_US_PER_S, still_pos, &s, emit, &a);
    popi_radio_close(&r1, &s1, 0, 1, emit, &a);
    for (popi_time_t t = 0; t < 3000 * POPI_US_PER_S; t += 777777)
        popi_radio_observe(&r2, &s2, 0, 1, t, t + 777777 < 3000 * POPI_US_PER_S ? t + 777777 : 3000 * POPI_US_PER_S,
                           still_pos, &s, emit, &b);
    popi_radio_close(&r2, &s2, 0, 1, emit, &b);
    ck_assert_uint_eq(r1.n_sightings, r2.n_sightings);
    ck_assert_int_eq(a.n, b.n);
    ck_assert_int_gt(a.n, 1);
    for (int k = 0; k < a.n; k++) {
        ck_assert_int_eq(a.t0[k], b.t0[k]);
        ck_assert_int_eq(a.t1[k], b.t1[k]);
        ck_assert(a.rssi[k] == b.rssi[k]);
    }
    popi_radio_destroy(&r1);
    popi_radio_destroy(&r2);
}
END_TEST

START_TEST(test_config_errors)
{
    popi_radio_t r;
    struct {
        popi_radio_config_t c;
        double min_dur;
        const char *key;
    } cases[] = {
        {{7, -59, 2, 4, 5, -65, 4.096, 1.024, 0.25, 10}, 0, "radio.model"},
        {{1, -59, 0, 4, 5, -65, 4.096, 1.024, 0.25, 10}, 0, "radio.path_loss_exponent"},
        {{1, -59, 2, -1, 5, -65, 4.096, 1.024, 0.25, 10}, 0, "radio.shadowing_sigma_db"},
        {{1, -59, 2, 4, -5, -65, 4.096, 1.024, 0.25, 10}, 0, "radio.wall_loss_db"},
        {{1, -59, 2, 4, 5, -65, 0, 1.024, 0.25, 10}, 0, "radio.scan_interval_s"},
        {{1, -59, 2, 4, 5, -65, 4.096, 5.0, 0.25, 10}, 0, "radio.scan_window_s"},
        {{1, -59, 2, 4, 5, -65, 4.096, 1.024, 0.001, 10}, 0, "radio.adv_interval_s"},
        {{1, -59, 2, 4, 5, -65, 4.096, 1.024, 0.25, -1}, 0, "radio.max_gap_s"},
        {{1, -59, 2, 4, 5, -65, 4.096, 1.024, 0.25, 10}, -1, "contact.min_duration_s"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ck_assert_int_eq(popi_radio_init(&r, &cases[k].c, cases[k].min_dur, NULL, 2, 1, 0), POPI_EINVAL);
        ck_assert_msg(strstr(popi_err_message(), cases[k].key), "case %zu: '%s' lacks %s", k,
                      popi_err_message(), cases[k].key);
        popi_radio_destroy(&r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("radio");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_path_loss);
    tcase_add_test(tc, test_sighting_rate_and_single_contact);
    tcase_add_test(tc, test_threshold_min_duration_and_gap);
    tcase_add_test(tc, test_shadowing_fraction);
    tcase_add_test(tc, test_walls_attenuate);
    tcase_add_test(tc, test_pieces_equal_whole);
    tcase_add_test(tc, test_config_errors);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
