/* SPDX-License-Identifier: MIT */
/*
 * energy.h - a per-device energy meter by category, with the smartphone-class model that turns
 * work (hashes, signatures, BLE duty cycles, bytes on the radio) into joules.
 *
 * Central structures: popi_energy_model_t (the constants, one per scenario; defaults and sources
 * in FACTS.md and the parameter table) and popi_energy_meter_t (one per device: joules by
 * category plus the radio's tail state). Radio model (Huang et al., MobiSys 2012): a transfer of
 * B bytes at throughput T Mbit/s lasts d = 8 B / (T × 10^6) s and draws
 *   P = base_w + up_w_per_mbps × T (uplink) or base_w + down_w_per_mbps × T (downlink)
 * during d; after the radio's last activity it stays in the tail state at tail_w for tail_s
 * seconds, cut short when a new transfer starts. Charges are accepted in any order of calls but
 * the tail is exact only when a device's transfers are charged in order of start time (the
 * gossip layer does so); an overlapping transfer adds its own active energy and no tail.
 */
#ifndef POPI_ENERGY_H
#define POPI_ENERGY_H

#include "popi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Energy categories. */
typedef enum {
    POPI_ENERGY_HASH = 0,       /**< SHA-256 hashing (mining, PoW/PoEWAL/PoS kernels) */
    POPI_ENERGY_SIGNATURE = 1,  /**< Ed25519 signing and verification */
    POPI_ENERGY_BLE_SCAN = 2,   /**< BLE scanning (controller, duty cycle) */
    POPI_ENERGY_BLE_ADV = 3,    /**< BLE advertising */
    POPI_ENERGY_RADIO_TX = 4,   /**< cellular / Wi-Fi transmit (active part) */
    POPI_ENERGY_RADIO_RX = 5,   /**< cellular / Wi-Fi receive (active part) */
    POPI_ENERGY_RADIO_TAIL = 6, /**< radio tail / idle-high state after transfers */
    POPI_ENERGY__COUNT
} popi_energy_cat_t;

/** "hash", "signature", "ble_scan", "ble_advertise", "radio_tx", "radio_rx", "radio_tail". */
const char *popi_energy_cat_name(popi_energy_cat_t c);

/** Radio technologies with Huang et al.'s constants. */
typedef enum {
    POPI_ENERGY_RADIO_LTE = 0,  /**< 1288 mW base, 438 mW/Mbps up, 52 mW/Mbps down, tail 11.6 s
                                     at 1.06 W */
    POPI_ENERGY_RADIO_WIFI = 1, /**< 133 mW base, 283 mW/Mbps up, 137 mW/Mbps down, no tail */
    POPI_ENERGY_RADIO__COUNT
} popi_energy_radio_t;

/** "lte", "wifi". */
const char *popi_energy_radio_name(popi_energy_radio_t r);
/** Parse a radio name; POPI_ENOTFOUND naming @p name if unknown. */
popi_err_t popi_energy_radio_parse(const char *name, popi_energy_radio_t *r);

/** Model constants (scenario keys energy.*). All >= 0. */
typedef struct {
    double hash_j;          /**< J per SHA-256 header hash (1.0e-7) */
    double sign_j;          /**< J per Ed25519 signature (55e-6) */
    double verify_j;        /**< J per Ed25519 verification (100e-6) */
    double ble_scan_w;      /**< W while the BLE scanner runs at its duty cycle (5.5825e-3, 25 %) */
    double ble_adv_w;       /**< W while advertising (0.368e-3, 250 ms interval) */
    double base_w;          /**< radio active base power, W */
    double up_w_per_mbps;   /**< W per Mbit/s of uplink throughput */
    double down_w_per_mbps; /**< W per Mbit/s of downlink throughput */
    double tail_s;          /**< tail duration, s */
    double tail_w;          /**< tail power, W */
    double battery_j;       /**< battery capacity, J (4410 mAh × 3.85 V = 61,122.6 J) */
} popi_energy_model_t;

/** Scenario keys energy.* (the parameter table gives units, defaults and sources). */
typedef struct {
    double hash_j, sign_j, verify_j, battery_j;
    int radio; /**< popi_energy_radio_t */
    double lte_base_w, lte_up_w_per_mbps, lte_down_w_per_mbps, lte_tail_s, lte_tail_w;
    double wifi_base_w, wifi_up_w_per_mbps, wifi_down_w_per_mbps;
} popi_energy_config_t;

/**
 * The model of a phone's P2P traffic from @p c: the defaults of @p c->radio with every constant
 * of @p c (the chosen radio's base, per-Mbps and tail values; Wi-Fi has no tail) and no BLE
 * (a network run without a crowd keeps the BLE radio off).
 */
void popi_energy_model_from_config(popi_energy_model_t *m, const popi_energy_config_t *c);

/** Defaults (FACTS.md) with the radio constants of @p radio. */
void popi_energy_model_default(popi_energy_model_t *m, popi_energy_radio_t radio);

/**
 * BLE scanning power (W) for an Android scan duty cycle @p duty in (0, 1]: BT RX 5.8 mA × 3.85 V
 * = 22.33 mW × duty, which gives FACTS.md's rounded 2.2 / 5.6 / 22 mW at 10 / 25 / 100 %
 * (a flat 22 mW × duty would give 5.5 at 25 %). duty <= 0 or NaN gives 0; duty > 1 counts as 1.
 */
double popi_energy_ble_scan_w(double duty);

/**
 * BLE advertising power (W) for an advertising interval @p interval_s > 0: 0.092 mJ per
 * advertising event (≈ 1.2 ms of radio) over the nominal interval, i.e. 0.092e-3 / interval_s
 * (FACTS.md: 0.09 / 0.37 / 0.92 mW at 1000 / 250 / 100 ms). interval_s <= 0 or NaN gives 0.
 */
double popi_energy_ble_adv_w(double interval_s);

/** One device's meter. Zero-initialise (or popi_energy_meter_init). */
typedef struct {
    double joules[POPI_ENERGY__COUNT];
    popi_time_t radio_busy_until; /**< end of the last transfer, µs (tail starts here) */
    bool radio_used;              /**< a transfer was ever charged */
} popi_energy_meter_t;

void popi_energy_meter_init(popi_energy_meter_t *e);

/** Charge @p n hashes. */
void popi_energy_hashes(popi_energy_meter_t *e, const popi_energy_model_t *m, double n);
/** Charge @p n_sign signatures and @p n_verify verifications. */
void popi_energy_signatures(popi_energy_meter_t *e, const popi_energy_model_t *m, double n_sign,
                            double n_verify);
/** Charge @p seconds of BLE scanning and @p adv_seconds of advertising. */
void popi_energy_ble(popi_energy_meter_t *e, const popi_energy_model_t *m, double scan_seconds,
                     double adv_seconds);

/**
 * Charge a transfer of @p bytes over [@p start, start + duration) at throughput @p bps (bit/s,
 * > 0 and finite, else POPI_ASSERT aborts; duration = 8 bytes / bps), uplink if @p up: the active
 * energy (base_w + per-Mbps × bps / 10^6) × duration goes to RADIO_TX (up) or RADIO_RX (down).
 * The tail of the previous activity, tail_w × min(start − radio_busy_until, tail_s), goes to
 * RADIO_TAIL when the radio was used before and start is later than radio_busy_until. Then
 * radio_busy_until = max(radio_busy_until, start + duration rounded up to a µs).
 */
void popi_energy_transfer(popi_energy_meter_t *e, const popi_energy_model_t *m, popi_time_t start,
                          uint64_t bytes, double bps, bool up);

/**
 * Close the meter at @p t_end: charge the pending tail, tail_w × min(t_end − radio_busy_until,
 * tail_s), if the radio was used and t_end is later, and move radio_busy_until to t_end, so a
 * second call with the same (or an earlier) t_end adds nothing.
 */
void popi_energy_finish(popi_energy_meter_t *e, const popi_energy_model_t *m, popi_time_t t_end);

/** Sum over categories, J. */
double popi_energy_total(const popi_energy_meter_t *e);

/**
 * Share of the battery per day, %: 100 × joules / battery_j / (duration_s / 86400).
 * 0 when duration_s <= 0 or battery_j <= 0 (no rate is defined).
 */
double popi_energy_battery_pct_per_day(const popi_energy_model_t *m, double joules,
                                       double duration_s);

#ifdef __cplusplus
}
#endif
#endif
