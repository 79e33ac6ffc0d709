/* SPDX-License-Identifier: MIT */
/*
 * radio.h - Bluetooth-LE sightings between phones and the close-contact rule.
 *
 * Every phone scans in windows of scan_window every scan_interval (random phase) and advertises
 * every adv_interval plus a pseudo-random advDelay of 0-10 ms (Bluetooth Core spec, Vol 6 Part B
 * 4.4.2.2.1). A sighting happens when an advertisement of one phone falls in a scan window of the
 * other, while the two are within contact.range_m. Its RSSI follows log-distance path loss with
 * log-normal shadowing and a loss per obstacle cell crossed:
 *     RSSI = rssi_1m - 10 n log10(max(d, 0.1 m)) - walls * wall_loss + N(0, sigma^2)  [dBm].
 * A detected close contact is a run of sightings at or above rssi_threshold whose gaps are at
 * most max_gap and which lasts at least contact.min_duration.
 * The shadowing sample of each sighting is a counter-based draw keyed by (run key, observer,
 * advertiser, advertising event), so the outcome depends on nothing but the scenario and seed.
 * The unit-disc model skips all of this: a proximity interval lasting at least min_duration is a
 * contact, with the path-loss RSSI (no shadowing) at its closest approach.
 */
#ifndef POPI_RADIO_H
#define POPI_RADIO_H

#include "popi/common.h"
#include "popi/world.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { POPI_RADIO_UNIT_DISC = 0, POPI_RADIO_BLE = 1 } popi_radio_model_t;

/** Scenario keys radio.*. */
typedef struct {
    int model;                   /**< popi_radio_model_t */
    double rssi_1m_dbm;          /**< RSSI at 1 m, dBm */
    double path_loss_exponent;   /**< n, dimensionless, > 0 */
    double shadowing_sigma_db;   /**< sigma of log-normal shadowing, dB, >= 0 */
    double wall_loss_db;         /**< loss per obstacle cell crossed, dB, >= 0 */
    double rssi_threshold_dbm;   /**< close-contact threshold, dBm */
    double scan_interval_s;      /**< s, > 0 */
    double scan_window_s;        /**< s, (0, scan_interval] */
    double adv_interval_s;       /**< s, >= 0.02 */
    double max_gap_s;            /**< largest gap between qualifying sightings inside one contact, s */
} popi_radio_config_t;

/** Per-pair detection state while a proximity interval is open. */
typedef struct {
    popi_time_t run_start; /**< first qualifying sighting of the current run, -1 if none */
    popi_time_t last_hit;  /**< last qualifying sighting */
    double rssi_sum;       /**< sum of qualifying RSSI in the run, dBm */
    uint32_t n_hits;
} popi_radio_pair_t;

/** A detected contact found by the radio (times in µs). */
typedef void (*popi_radio_emit_fn)(void *ctx, uint32_t i, uint32_t j, popi_time_t t0, popi_time_t t1,
                                   double rssi_mean_dbm);

typedef struct {
    popi_radio_config_t cfg;
    const popi_world_t *world;
    uint64_t key;            /**< run key for counter-based draws */
    uint32_t n;
    popi_time_t *scan_phase; /**< per phone, µs in [0, scan_interval) */
    popi_time_t *adv_phase;  /**< per phone, µs in [0, adv_interval) */
    popi_time_t scan_interval, scan_window, adv_interval, max_gap, min_duration;
    uint64_t n_sightings;    /**< sightings evaluated */
    void *scratch;           /**< sighting buffer reused across calls (not thread-safe) */
    size_t scratch_cap;
} popi_radio_t;

/**
 * Set up @p n phones with random phases from (seed, run_index, POPI_STREAM_RADIO).
 * @p min_duration_s is contact.min_duration. Errors: POPI_EINVAL with the offending key
 * (radio.scan_window_s > radio.scan_interval_s, non-positive intervals, unknown model).
 */
popi_err_t popi_radio_init(popi_radio_t *r, const popi_radio_config_t *cfg, double min_duration_s,
                           const popi_world_t *world, uint32_t n, uint64_t seed, uint64_t run_index);

/** Release the phases and scratch. Accepts a zeroed or destroyed radio. */
void popi_radio_destroy(popi_radio_t *r);

/** Expected RSSI without shadowing at distance d (m) through @p walls obstacle cells. */
double popi_radio_mean_rssi(const popi_radio_t *r, double d_m, int walls);

/** Reset a pair's state at the start of a proximity interval. */
void popi_radio_pair_reset(popi_radio_pair_t *st);

/** Position callback: where agent a is at time t (µs). */
typedef void (*popi_radio_pos_fn)(const void *ctx, uint32_t a, popi_time_t t, double *x, double *y);

/**
 * Evaluate all sightings between i and j (both directions) in [t0, t1] µs, in time order,
 * updating @p st and emitting each contact that a gap closes. Positions come from @p pos.
 */
void popi_radio_observe(popi_radio_t *r, popi_radio_pair_t *st, uint32_t i, uint32_t j, popi_time_t t0,
                        popi_time_t t1, popi_radio_pos_fn pos, const void *pos_ctx,
                        popi_radio_emit_fn emit, void *emit_ctx);

/** The proximity interval ended: emit the open run if it qualifies, and reset. */
void popi_radio_close(popi_radio_t *r, popi_radio_pair_t *st, uint32_t i, uint32_t j,
                      popi_radio_emit_fn emit, void *emit_ctx);

#ifdef __cplusplus
}
#endif
#endif
