/* SPDX-License-Identifier: MIT */
/*
 * test_energy.c - the device energy model against hand-computed joules: defaults from FACTS.md,
 * LTE / Wi-Fi transfers with and without tails, finish, BLE duty points, battery share, names.
 */
#include "popi/energy.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* x equals the hand-computed y to floating rounding (relative 1e-12). */
#define ck_assert_rel(x, y) ck_assert_double_eq_tol((x), (y), 1e-12 * fabs(y) + DBL_MIN)

#define S(sec) ((popi_time_t)(sec) * POPI_US_PER_S)

START_TEST(test_defaults)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    ck_assert_rel(m.hash_j, 1.0e-7);
    ck_assert_rel(m.sign_j, 55e-6);
    ck_assert_rel(m.verify_j, 100e-6);
    ck_assert_rel(m.ble_scan_w, 0.25 * 5.8e-3 * 3.85); /* 5.5825 mW */
    ck_assert_rel(m.ble_adv_w, 0.368e-3);
    ck_assert_rel(m.base_w, 1.288);
    ck_assert_rel(m.up_w_per_mbps, 0.438);
    ck_assert_rel(m.down_w_per_mbps, 0.052);
    ck_assert_rel(m.tail_s, 11.6);
    ck_assert_rel(m.tail_w, 1.06);
    ck_assert_rel(m.battery_j, 61122.6);

    popi_energy_model_t w;
    popi_energy_model_default(&w, POPI_ENERGY_RADIO_WIFI);
    ck_assert_rel(w.base_w, 0.133);
    ck_assert_rel(w.up_w_per_mbps, 0.283);
    ck_assert_rel(w.down_w_per_mbps, 0.137);
    ck_assert_double_eq(w.tail_s, 0.0);
    ck_assert_double_eq(w.tail_w, 0.0);
    /* the device constants do not depend on the radio */
    ck_assert_rel(w.hash_j, m.hash_j);
    ck_assert_rel(w.ble_scan_w, m.ble_scan_w);
    ck_assert_rel(w.battery_j, m.battery_j);
}
END_TEST

START_TEST(test_ble_points_match_facts)
{
    /* FACTS.md: scanning 2.2 / 5.6 / 22 mW at 10 / 25 / 100 % duty, printed to 0.1 / 0.1 / 1 mW */
    ck_assert_double_eq_tol(popi_energy_ble_scan_w(0.10) * 1e3, 2.2, 0.05);
    ck_assert_double_eq_tol(popi_energy_ble_scan_w(0.25) * 1e3, 5.6, 0.05);
    ck_assert_double_eq_tol(popi_energy_ble_scan_w(1.00) * 1e3, 22.0, 0.5);
    ck_assert_rel(popi_energy_ble_scan_w(1.0), 0.02233);
    ck_assert_rel(popi_energy_ble_scan_w(0.10), 0.002233);
    /* outside (0, 1]: nothing below, full duty above */
    ck_assert_double_eq(popi_energy_ble_scan_w(0.0), 0.0);
    ck_assert_double_eq(popi_energy_ble_scan_w(-0.5), 0.0);
    ck_assert_double_eq(popi_energy_ble_scan_w(NAN), 0.0);
    ck_assert_rel(popi_energy_ble_scan_w(3.0), 0.02233);

    /* FACTS.md: advertising 0.09 / 0.37 / 0.92 mW at 1000 / 250 / 100 ms, printed to 0.01 mW */
    ck_assert_double_eq_tol(popi_energy_ble_adv_w(1.0) * 1e3, 0.09, 0.005);
    ck_assert_double_eq_tol(popi_energy_ble_adv_w(0.25) * 1e3, 0.37, 0.005);
    ck_assert_double_eq_tol(popi_energy_ble_adv_w(0.1) * 1e3, 0.92, 0.005);
    /* constant energy per advertising event: 0.092 mJ */
    ck_assert_rel(popi_energy_ble_adv_w(0.2) * 0.2, 0.092e-3);
    ck_assert_rel(popi_energy_ble_adv_w(0.1), 0.92e-3);
    ck_assert_double_eq(popi_energy_ble_adv_w(0.0), 0.0);
    ck_assert_double_eq(popi_energy_ble_adv_w(-1.0), 0.0);
    ck_assert_double_eq(popi_energy_ble_adv_w(NAN), 0.0);
}
END_TEST

START_TEST(test_plain_charges)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    popi_energy_meter_t e;
    popi_energy_meter_init(&e);
    for (int c = 0; c < POPI_ENERGY__COUNT; c++) ck_assert_double_eq(e.joules[c], 0.0);
    ck_assert(!e.radio_used);
    ck_assert_double_eq(popi_energy_total(&e), 0.0);

    popi_energy_hashes(&e, &m, 2e6);           /* 2e6 × 1e-7 = 0.2 J */
    popi_energy_signatures(&e, &m, 3.0, 5.0);  /* 3 × 55 µJ + 5 × 100 µJ = 665 µJ */
    popi_energy_ble(&e, &m, 3600.0, 1800.0);   /* 3600 s × 5.5825 mW; 1800 s × 0.368 mW */
    ck_assert_rel(e.joules[POPI_ENERGY_HASH], 0.2);
    ck_assert_rel(e.joules[POPI_ENERGY_SIGNATURE], 665e-6);
    ck_assert_rel(e.joules[POPI_ENERGY_BLE_SCAN], 20.097);
    ck_assert_rel(e.joules[POPI_ENERGY_BLE_ADV], 0.6624);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TX], 0.0);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TAIL], 0.0);
    ck_assert(!e.radio_used); /* no transfer yet */

    /* charges accumulate */
    popi_energy_hashes(&e, &m, 1e6);
    popi_energy_signatures(&e, &m, 0.0, 1.0);
    ck_assert_rel(e.joules[POPI_ENERGY_HASH], 0.3);
    ck_assert_rel(e.joules[POPI_ENERGY_SIGNATURE], 765e-6);
    ck_assert_rel(popi_energy_total(&e), 0.3 + 765e-6 + 20.097 + 0.6624);
}
END_TEST

START_TEST(test_pow_energy_is_power_times_interval)
{
    /* FACTS.md: PoW energy per block = total mining power × block interval. Miners at 1, 2 and
     * 5 MH/s hash for a 600 s block interval: power = Σ rate × hash_j = 8e6 × 1e-7 = 0.8 W, so the
     * block costs 0.8 W × 600 s = 480 J, whatever the difficulty. */
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    const double rate[3] = {1e6, 2e6, 5e6}, interval_s = 600.0;
    double total = 0.0;
    for (int k = 0; k < 3; k++) {
        popi_energy_meter_t e;
        popi_energy_meter_init(&e);
        popi_energy_hashes(&e, &m, rate[k] * interval_s);
        ck_assert_rel(e.joules[POPI_ENERGY_HASH], rate[k] * 1e-7 * interval_s);
        total += popi_energy_total(&e);
    }
    ck_assert_rel(total, 480.0);
}
END_TEST

START_TEST(test_lte_transfers_and_tails)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    popi_energy_meter_t e;
    popi_energy_meter_init(&e);

    /* 1,000,000 B up at 8 Mbit/s from t = 0: 1 s at 1.288 + 0.438 × 8 = 4.792 W; no tail before
     * the first transfer */
    popi_energy_transfer(&e, &m, 0, 1000000, 8e6, true);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TX], 4.792);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_RX], 0.0);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TAIL], 0.0);
    ck_assert(e.radio_used);
    ck_assert_int_eq(e.radio_busy_until, S(1));

    /* 5 s after it ended, 500,000 B down at 4 Mbit/s: tail 5 s × 1.06 W = 5.3 J; active 1 s at
     * 1.288 + 0.052 × 4 = 1.496 W */
    popi_energy_transfer(&e, &m, S(6), 500000, 4e6, false);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 5.3);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_RX], 1.496);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TX], 4.792);
    ck_assert_int_eq(e.radio_busy_until, S(7));

    /* 20 s after that: the tail is capped at 11.6 s × 1.06 W = 12.296 J. 250,000 B up at
     * 2 Mbit/s: 1 s at 1.288 + 0.876 = 2.164 W */
    popi_energy_transfer(&e, &m, S(27), 250000, 2e6, true);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 5.3 + 12.296);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TX], 4.792 + 2.164);
    ck_assert_int_eq(e.radio_busy_until, S(28));

    /* back-to-back (start == end of the last): no tail */
    popi_energy_transfer(&e, &m, S(28), 250000, 2e6, false);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 5.3 + 12.296);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_RX], 1.496 + (1.288 + 0.104));
    ck_assert_rel(popi_energy_total(&e), 4.792 + 2.164 + 1.496 + 1.392 + 5.3 + 12.296);
}
END_TEST

START_TEST(test_overlapping_transfers_charge_no_tail)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    popi_energy_meter_t e;
    popi_energy_meter_init(&e);
    /* [0, 1 s) up, then [0.5, 1.5 s) up: each charges its own active energy, no tail */
    popi_energy_transfer(&e, &m, 0, 1000000, 8e6, true);
    popi_energy_transfer(&e, &m, 500000, 1000000, 8e6, true);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TX], 2 * 4.792);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TAIL], 0.0);
    ck_assert_int_eq(e.radio_busy_until, 1500000);
    /* a short transfer inside, [0.2, 0.3 s) down at 1 Mbit/s (12,500 B): 0.1 s × 1.340 W;
     * the busy horizon stays at 1.5 s */
    popi_energy_transfer(&e, &m, 200000, 12500, 1e6, false);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_RX], 0.134);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TAIL], 0.0);
    ck_assert_int_eq(e.radio_busy_until, 1500000);
    /* so the tail runs from 1.5 s: finish at 3.5 s charges 2 s × 1.06 W */
    popi_energy_finish(&e, &m, 3500000);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 2.12);
}
END_TEST

START_TEST(test_finish_charges_pending_tail_once)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    popi_energy_meter_t e;

    /* never used: finish adds nothing */
    popi_energy_meter_init(&e);
    popi_energy_finish(&e, &m, S(100));
    ck_assert_double_eq(popi_energy_total(&e), 0.0);
    ck_assert(!e.radio_used);

    /* transfer ends at 1 s; finish at 4 s charges 3 s × 1.06 W = 3.18 J */
    popi_energy_transfer(&e, &m, 0, 1000000, 8e6, true);
    popi_energy_finish(&e, &m, S(4));
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 3.18);
    ck_assert_int_eq(e.radio_busy_until, S(4));
    /* idempotent: again at 4 s, or earlier, adds nothing */
    popi_energy_finish(&e, &m, S(4));
    popi_energy_finish(&e, &m, S(2));
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 3.18);
    ck_assert_int_eq(e.radio_busy_until, S(4)); /* never moves back */
    ck_assert_rel(popi_energy_total(&e), 4.792 + 3.18);

    /* a long idle period: the tail is capped at 11.6 s */
    popi_energy_meter_init(&e);
    popi_energy_transfer(&e, &m, S(10), 1000000, 8e6, true);
    popi_energy_finish(&e, &m, S(3600));
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 12.296);
    popi_energy_finish(&e, &m, S(3600));
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 12.296);

    /* finish during the transfer: no tail */
    popi_energy_meter_init(&e);
    popi_energy_transfer(&e, &m, 0, 1000000, 8e6, false);
    popi_energy_finish(&e, &m, 500000);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TAIL], 0.0);
}
END_TEST

START_TEST(test_end_rounds_up_to_microseconds)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    popi_energy_meter_t e;
    popi_energy_meter_init(&e);
    /* 1000 B at 3 Mbit/s last 2666.67 µs: busy until 2667 µs */
    popi_energy_transfer(&e, &m, 0, 1000, 3e6, true);
    ck_assert_int_eq(e.radio_busy_until, 2667);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TX], (1.288 + 0.438 * 3) * 8000.0 / 3e6);
    popi_energy_finish(&e, &m, 2667);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TAIL], 0.0);
    popi_energy_finish(&e, &m, 2668); /* 1 µs of tail */
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 1.06e-6);

    /* a whole number of µs is not pushed one µs late: 125 B at 1 Mbit/s = 1000 µs, 123 B at
     * 1 Mbit/s = 984 µs (984 × 1e-6 s in binary times 1e6 rounds above 984) and 3 B at 24 Mbit/s
     * = 1 µs, all exactly */
    popi_energy_meter_init(&e);
    popi_energy_transfer(&e, &m, 0, 123, 1e6, false);
    ck_assert_int_eq(e.radio_busy_until, 984);
    popi_energy_transfer(&e, &m, 7, 125, 1e6, false);
    ck_assert_int_eq(e.radio_busy_until, 1007);
    popi_energy_transfer(&e, &m, 2000, 3, 24e6, false);
    ck_assert_int_eq(e.radio_busy_until, 2001);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TAIL], 993e-6 * 1.06);

    /* zero bytes: no active energy, but the radio counts as used at that instant */
    popi_energy_meter_init(&e);
    popi_energy_transfer(&e, &m, S(5), 0, 1e6, true);
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TX], 0.0);
    ck_assert(e.radio_used);
    ck_assert_int_eq(e.radio_busy_until, S(5));
}
END_TEST

START_TEST(test_wifi_has_no_tail)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_WIFI);
    popi_energy_meter_t e;
    popi_energy_meter_init(&e);
    /* 1,000,000 B up at 8 Mbit/s: 1 s at 0.133 + 0.283 × 8 = 2.397 W */
    popi_energy_transfer(&e, &m, 0, 1000000, 8e6, true);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_TX], 2.397);
    /* 5 s later, 250,000 B down at 2 Mbit/s: 1 s at 0.133 + 0.137 × 2 = 0.407 W; no tail */
    popi_energy_transfer(&e, &m, S(6), 250000, 2e6, false);
    ck_assert_rel(e.joules[POPI_ENERGY_RADIO_RX], 0.407);
    popi_energy_finish(&e, &m, S(100));
    ck_assert_double_eq(e.joules[POPI_ENERGY_RADIO_TAIL], 0.0);
    ck_assert_rel(popi_energy_total(&e), 2.397 + 0.407);
}
END_TEST

START_TEST(test_battery_share_per_day)
{
    popi_energy_model_t m;
    popi_energy_model_default(&m, POPI_ENERGY_RADIO_LTE);
    /* a full battery's worth in one day: 100 %/day; a tenth of it in half a day: 20 %/day */
    ck_assert_rel(popi_energy_battery_pct_per_day(&m, 61122.6, 86400.0), 100.0);
    ck_assert_rel(popi_energy_battery_pct_per_day(&m, 6112.26, 43200.0), 20.0);
    /* 1 W for an hour = 3600 J: 3600 / 61122.6 × 100 × 24 = 141.356... %/day */
    ck_assert_rel(popi_energy_battery_pct_per_day(&m, 3600.0, 3600.0), 8640000.0 / 61122.6);
    ck_assert_double_eq(popi_energy_battery_pct_per_day(&m, 3600.0, 0.0), 0.0);
    ck_assert_double_eq(popi_energy_battery_pct_per_day(&m, 3600.0, -5.0), 0.0);
    m.battery_j = 0.0;
    ck_assert_double_eq(popi_energy_battery_pct_per_day(&m, 3600.0, 3600.0), 0.0);
}
END_TEST

START_TEST(test_names_and_parse)
{
    const char *cats[] = {"hash",     "signature", "ble_scan",  "ble_advertise",
                          "radio_tx", "radio_rx",  "radio_tail"};
    ck_assert_int_eq(POPI_ENERGY__COUNT, 7);
    for (int c = 0; c < POPI_ENERGY__COUNT; c++)
        ck_assert_str_eq(popi_energy_cat_name((popi_energy_cat_t)c), cats[c]);
    ck_assert_str_eq(popi_energy_cat_name(POPI_ENERGY__COUNT), "?");
    ck_assert_str_eq(popi_energy_cat_name((popi_energy_cat_t)99), "?");

    ck_assert_str_eq(popi_energy_radio_name(POPI_ENERGY_RADIO_LTE), "lte");
    ck_assert_str_eq(popi_energy_radio_name(POPI_ENERGY_RADIO_WIFI), "wifi");
    ck_assert_str_eq(popi_energy_radio_name(POPI_ENERGY_RADIO__COUNT), "?");

    popi_energy_radio_t r = POPI_ENERGY_RADIO_WIFI;
    ck_assert_int_eq(popi_energy_radio_parse("lte", &r), POPI_OK);
    ck_assert_int_eq(r, POPI_ENERGY_RADIO_LTE);
    ck_assert_int_eq(popi_energy_radio_parse("wifi", &r), POPI_OK);
    ck_assert_int_eq(r, POPI_ENERGY_RADIO_WIFI);

    popi_err_clear();
    ck_assert_int_eq(popi_energy_radio_parse("5g", &r), POPI_ENOTFOUND);
    ck_assert_int_eq(r, POPI_ENERGY_RADIO_WIFI); /* untouched on failure */
    ck_assert_msg(strstr(popi_err_message(), "'5g'") != NULL, "message: %s", popi_err_message());
    ck_assert_msg(strstr(popi_err_message(), "energy") != NULL, "message: %s", popi_err_message());
    ck_assert_int_eq(popi_energy_radio_parse("LTE", &r), POPI_ENOTFOUND); /* names are exact */
    ck_assert_int_eq(popi_energy_radio_parse("", &r), POPI_ENOTFOUND);
    ck_assert_int_eq(popi_energy_radio_parse(NULL, &r), POPI_ENOTFOUND);
    ck_assert_msg(strstr(popi_err_message(), "(null)") != NULL, "message: %s", popi_err_message());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("energy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_ble_points_match_facts);
    tcase_add_test(tc, test_plain_charges);
    tcase_add_test(tc, test_pow_energy_is_power_times_interval);
    tcase_add_test(tc, test_lte_transfers_and_tails);
    tcase_add_test(tc, test_overlapping_transfers_charge_no_tail);
    tcase_add_test(tc, test_finish_charges_pending_tail_once);
    tcase_add_test(tc, test_end_rounds_up_to_microseconds);
    tcase_add_test(tc, test_wifi_has_no_tail);
    tcase_add_test(tc, test_battery_share_per_day);
    tcase_add_test(tc, test_names_and_parse);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
