/* SPDX-License-Identifier: MIT */
/*
 * energy.c - per-device energy meter: joules by category, and the smartphone-class model that
 * turns hashes, signatures, BLE duty cycles and radio transfers into joules.
 *
 * popi_energy_meter_t holds joules per category and the radio's tail state: radio_busy_until is
 * the latest end of a transfer charged (or the finish time), from which the next tail runs; it
 * only moves forward. No mutable globals: the tables below are const. Sources (defaults in FACTS.md, "Device energy"):
 *   - LTE / Wi-Fi power model and LTE tail: Huang et al., "A close examination of performance and
 *     power characteristics of 4G LTE networks", MobiSys 2012, DOI 10.1145/2307636.2307658;
 *   - BLE scan power: Pixel 6a power_profile.xml (BT RX 5.8 mA) at 3.85 V [derived], Android scan
 *     duty cycles from AOSP ScanManager.java; BLE advertising: ~1.2 ms of radio per event [derived],
 *     intervals from AOSP AdvertiseManager.java;
 *   - SHA-256 per hash: OpenSSL ARMv8 cycles/byte × Pixel 6a power profile [derived];
 *   - Ed25519 sign/verify: Bernstein & Schwabe, "NEON crypto", CHES 2012, cycle counts on
 *     Cortex-A8, at A55 power [derived]; battery: Pixel 6a, 4410 mAh × 3.85 V = 61,122.6 J.
 */
#include "popi/energy.h"

#include <math.h>
#include <string.h>

/* Device constants (FACTS.md). */
#define HASH_J 1.0e-7    /* J per SHA-256 header hash [derived] */
#define SIGN_J 55e-6     /* J per Ed25519 signature [derived] */
#define VERIFY_J 100e-6  /* J per Ed25519 verification [derived] */
#define BATTERY_AH 4.410 /* Pixel 6a, 4410 mAh */
#define BATTERY_V 3.85   /* nominal cell voltage */
/* BLE scanning at 100 % duty: Pixel 6a BT RX 5.8 mA at 3.85 V = 22.33 mW. FACTS.md's rounded
 * 2.2 / 5.6 / 22 mW at 10 / 25 / 100 % are this × duty (a flat 22 mW would give 5.5 at 25 %). */
#define BLE_SCAN_FULL_W (5.8e-3 * BATTERY_V)
/* BLE advertising: J per advertising event, ~1.2 ms of radio at ~77 mW (~20 mA at 3.85 V).
 * Derived from FACTS.md's 0.09 / 0.37 / 0.92 mW at 1000 / 250 / 100 ms, which it reproduces to
 * their rounding (any E in [0.09125, 0.0925] mJ does); the mean 5 ms advDelay is ignored, as in
 * those figures. */
#define BLE_ADV_EVENT_J 0.092e-3
/* Defaults of the model: AOSP's balanced modes, advertising every 250 ms
 * (ADVERTISE_MODE_BALANCED) and scanning 1024 of every 4096 ms (SCAN_MODE_BALANCED, 25 %). */
#define BLE_ADV_DEFAULT_S 0.25
#define BLE_SCAN_DEFAULT_DUTY 0.25

/* Huang et al., MobiSys 2012: power = base + per-Mbps × throughput, plus the LTE tail. FACTS.md
 * gives no Wi-Fi tail, so Wi-Fi has tail_s = tail_w = 0 (a scenario may set one). */
typedef struct {
    double base_w, up_w_per_mbps, down_w_per_mbps, tail_s, tail_w;
} radio_consts_t;

static const radio_consts_t RADIO_CONSTS[POPI_ENERGY_RADIO__COUNT] = {
    [POPI_ENERGY_RADIO_LTE] = {1.288, 0.438, 0.052, 11.6, 1.06},
    [POPI_ENERGY_RADIO_WIFI] = {0.133, 0.283, 0.137, 0.0, 0.0},
};

static const char *const CAT_NAMES[POPI_ENERGY__COUNT] = {
    [POPI_ENERGY_HASH] = "hash",
    [POPI_ENERGY_SIGNATURE] = "signature",
    [POPI_ENERGY_BLE_SCAN] = "ble_scan",
    [POPI_ENERGY_BLE_ADV] = "ble_advertise",
    [POPI_ENERGY_RADIO_TX] = "radio_tx",
    [POPI_ENERGY_RADIO_RX] = "radio_rx",
    [POPI_ENERGY_RADIO_TAIL] = "radio_tail",
};

static const char *const RADIO_NAMES[POPI_ENERGY_RADIO__COUNT] = {
    [POPI_ENERGY_RADIO_LTE] = "lte",
    [POPI_ENERGY_RADIO_WIFI] = "wifi",
};

const char *popi_energy_cat_name(popi_energy_cat_t c)
{
    return (unsigned)c < POPI_ENERGY__COUNT ? CAT_NAMES[c] : "?";
}

const char *popi_energy_radio_name(popi_energy_radio_t r)
{
    return (unsigned)r < POPI_ENERGY_RADIO__COUNT ? RADIO_NAMES[r] : "?";
}

popi_err_t popi_energy_radio_parse(const char *name, popi_energy_radio_t *r)
{
    for (int k = 0; k < POPI_ENERGY_RADIO__COUNT; k++)
        if (name && strcmp(name, RADIO_NAMES[k]) == 0) {
            *r = (popi_energy_radio_t)k;
            return POPI_OK;
        }
    return popi_err_set(POPI_ENOTFOUND, "energy: unknown radio '%s' (lte, wifi)",
                        name ? name : "(null)");
}

double popi_energy_ble_scan_w(double duty)
{
    if (!(duty > 0.0)) return 0.0; /* also NaN */
    if (duty > 1.0) duty = 1.0;
    return BLE_SCAN_FULL_W * duty;
}

double popi_energy_ble_adv_w(double interval_s)
{
    if (!(interval_s > 0.0)) return 0.0; /* also NaN */
    return BLE_ADV_EVENT_J / interval_s;
}

void popi_energy_model_default(popi_energy_model_t *m, popi_energy_radio_t radio)
{
    POPI_ASSERT((unsigned)radio < POPI_ENERGY_RADIO__COUNT);
    const radio_consts_t *rc = &RADIO_CONSTS[radio];
    memset(m, 0, sizeof *m);
    m->hash_j = HASH_J;
    m->sign_j = SIGN_J;
    m->verify_j = VERIFY_J;
    m->ble_scan_w = popi_energy_ble_scan_w(BLE_SCAN_DEFAULT_DUTY);
    m->ble_adv_w = popi_energy_ble_adv_w(BLE_ADV_DEFAULT_S);
    m->base_w = rc->base_w;
    m->up_w_per_mbps = rc->up_w_per_mbps;
    m->down_w_per_mbps = rc->down_w_per_mbps;
    m->tail_s = rc->tail_s;
    m->tail_w = rc->tail_w;
    m->battery_j = BATTERY_AH * 3600.0 * BATTERY_V;
}

void popi_energy_meter_init(popi_energy_meter_t *e) { memset(e, 0, sizeof *e); }

void popi_energy_hashes(popi_energy_meter_t *e, const popi_energy_model_t *m, double n)
{
    e->joules[POPI_ENERGY_HASH] += n * m->hash_j;
}

void popi_energy_signatures(popi_energy_meter_t *e, const popi_energy_model_t *m, double n_sign,
                            double n_verify)
{
    e->joules[POPI_ENERGY_SIGNATURE] += n_sign * m->sign_j + n_verify * m->verify_j;
}

void popi_energy_ble(popi_energy_meter_t *e, const popi_energy_model_t *m, double scan_seconds,
                     double adv_seconds)
{
    e->joules[POPI_ENERGY_BLE_SCAN] += scan_seconds * m->ble_scan_w;
    e->joules[POPI_ENERGY_BLE_ADV] += adv_seconds * m->ble_adv_w;
}

/* Tail energy for the radio idling from radio_busy_until to @p t (nothing if t is not later). */
static double tail_until(const popi_energy_meter_t *e, const popi_energy_model_t *m, popi_time_t t)
{
    if (!e->radio_used || t <= e->radio_busy_until) return 0.0;
    double gap_s = popi_time_to_s(t - e->radio_busy_until);
    return m->tail_w * (gap_s < m->tail_s ? gap_s : m->tail_s);
}

void popi_energy_transfer(popi_energy_meter_t *e, const popi_energy_model_t *m, popi_time_t start,
                          uint64_t bytes, double bps, bool up)
{
    POPI_ASSERT(bps > 0.0 && isfinite(bps)); /* link bandwidths are validated by the net layer */
    double bits = 8.0 * (double)bytes;
    double duration_s = bits / bps;
    double p_w = m->base_w + (up ? m->up_w_per_mbps : m->down_w_per_mbps) * (bps / 1e6);
    e->joules[up ? POPI_ENERGY_RADIO_TX : POPI_ENERGY_RADIO_RX] += p_w * duration_s;
    e->joules[POPI_ENERGY_RADIO_TAIL] += tail_until(e, m, start);

    /* end in µs, rounded up (saturating at POPI_TIME_NEVER). 1e6 * bits is exact below 2^53 and
     * the division is correctly rounded, so a transfer lasting a whole number of µs is not pushed
     * one µs late by rounding noise, as ceil(duration_s * 1e6) could be. */
    double dur_us = ceil(1e6 * bits / bps);
    popi_time_t end = (dur_us >= (double)(POPI_TIME_NEVER - start)) ? POPI_TIME_NEVER
                                                                     : start + (popi_time_t)dur_us;
    if (!e->radio_used || end > e->radio_busy_until) e->radio_busy_until = end;
    e->radio_used = true;
}

void popi_energy_finish(popi_energy_meter_t *e, const popi_energy_model_t *m, popi_time_t t_end)
{
    if (!e->radio_used || t_end <= e->radio_busy_until) return;
    e->joules[POPI_ENERGY_RADIO_TAIL] += tail_until(e, m, t_end);
    e->radio_busy_until = t_end;
}

double popi_energy_total(const popi_energy_meter_t *e)
{
    double s = 0.0;
    for (int c = 0; c < POPI_ENERGY__COUNT; c++) s += e->joules[c];
    return s;
}

double popi_energy_battery_pct_per_day(const popi_energy_model_t *m, double joules,
                                       double duration_s)
{
    if (!(duration_s > 0.0) || !(m->battery_j > 0.0)) return 0.0;
    return 100.0 * joules / m->battery_j / (duration_s / 86400.0);
}

void popi_energy_model_from_config(popi_energy_model_t *m, const popi_energy_config_t *c)
{
    bool wifi = c->radio == POPI_ENERGY_RADIO_WIFI;
    popi_energy_model_default(m, wifi ? POPI_ENERGY_RADIO_WIFI : POPI_ENERGY_RADIO_LTE);
    m->hash_j = c->hash_j;
    m->sign_j = c->sign_j;
    m->verify_j = c->verify_j;
    m->battery_j = c->battery_j;
    m->ble_scan_w = 0;
    m->ble_adv_w = 0;
    if (wifi) {
        m->base_w = c->wifi_base_w;
        m->up_w_per_mbps = c->wifi_up_w_per_mbps;
        m->down_w_per_mbps = c->wifi_down_w_per_mbps;
        m->tail_s = 0;
        m->tail_w = 0;
    } else {
        m->base_w = c->lte_base_w;
        m->up_w_per_mbps = c->lte_up_w_per_mbps;
        m->down_w_per_mbps = c->lte_down_w_per_mbps;
        m->tail_s = c->lte_tail_s;
        m->tail_w = c->lte_tail_w;
    }
}
