/* SPDX-License-Identifier: MIT */
/*
 * radio.c - BLE sightings inside proximity intervals and the close-contact run rule.
 *
 * Scan windows of phone o: [phase_o + k*I, phase_o + k*I + W). Advertising events of phone a:
 * phase_a + m*A + advDelay(a, m), advDelay in [0, 10 ms] (Bluetooth Core spec 5.x, Vol 6, Part B,
 * 4.4.2.2.1). A sighting is an advertising event of one phone inside a scan window of the other,
 * within the half-open piece [t0, t1) handed in by the contact engine. Every random quantity is a
 * counter-based draw (popi_rng_hash_*), so the result does not depend on the order pairs are
 * processed in. Path loss: log-distance model with log-normal shadowing (Rappaport, Wireless
 * Communications, 2nd ed., ch. 4.9-4.10).
 */
#include "popi/radio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ADV_DELAY_MAX_US 10000

popi_err_t popi_radio_init(popi_radio_t *r, const popi_radio_config_t *cfg, double min_duration_s,
                           const popi_world_t *world, uint32_t n, uint64_t seed, uint64_t run_index)
{
    memset(r, 0, sizeof *r);
    if (cfg->model != POPI_RADIO_UNIT_DISC && cfg->model != POPI_RADIO_BLE)
        return popi_err_set(POPI_EINVAL, "radio: radio.model must be unit_disc or ble, got %d", cfg->model);
    if (!(cfg->path_loss_exponent > 0.0))
        return popi_err_set(POPI_EINVAL, "radio: radio.path_loss_exponent must be > 0, got %g",
                            cfg->path_loss_exponent);
    if (!(cfg->shadowing_sigma_db >= 0.0))
        return popi_err_set(POPI_EINVAL, "radio: radio.shadowing_sigma_db must be >= 0 dB, got %g",
                            cfg->shadowing_sigma_db);
    if (!(cfg->wall_loss_db >= 0.0))
        return popi_err_set(POPI_EINVAL, "radio: radio.wall_loss_db must be >= 0 dB, got %g",
                            cfg->wall_loss_db);
    if (!(cfg->scan_interval_s > 0.0))
        return popi_err_set(POPI_EINVAL, "radio: radio.scan_interval_s must be > 0 s, got %g",
                            cfg->scan_interval_s);
    if (!(cfg->scan_window_s > 0.0 && cfg->scan_window_s <= cfg->scan_interval_s))
        return popi_err_set(POPI_EINVAL,
                            "radio: radio.scan_window_s must be in (0, radio.scan_interval_s = %g] s, got %g",
                            cfg->scan_interval_s, cfg->scan_window_s);
    if (!(cfg->adv_interval_s >= 0.02))
        return popi_err_set(POPI_EINVAL, "radio: radio.adv_interval_s must be >= 0.02 s, got %g",
                            cfg->adv_interval_s);
    if (!(cfg->max_gap_s >= 0.0))
        return popi_err_set(POPI_EINVAL, "radio: radio.max_gap_s must be >= 0 s, got %g", cfg->max_gap_s);
    if (!(min_duration_s >= 0.0))
        return popi_err_set(POPI_EINVAL, "radio: contact.min_duration_s must be >= 0 s, got %g",
                            min_duration_s);
    r->cfg = *cfg;
    r->world = world;
    r->n = n;
    r->scan_interval = popi_time_from_s(cfg->scan_interval_s);
    r->scan_window = popi_time_from_s(cfg->scan_window_s);
    r->adv_interval = popi_time_from_s(cfg->adv_interval_s);
    r->max_gap = popi_time_from_s(cfg->max_gap_s);
    r->min_duration = popi_time_from_s(min_duration_s);
    r->key = popi_rng_key3(seed, run_index, POPI_STREAM_RADIO);
    r->scan_phase = popi_xmalloc((n ? n : 1) * sizeof *r->scan_phase);
    r->adv_phase = popi_xmalloc((n ? n : 1) * sizeof *r->adv_phase);
    popi_rng_t rng;
    popi_rng_init(&rng, seed, run_index, POPI_STREAM_RADIO);
    for (uint32_t d = 0; d < n; d++) {
        r->scan_phase[d] = (popi_time_t)popi_rng_below(&rng, (uint64_t)r->scan_interval);
        r->adv_phase[d] = (popi_time_t)popi_rng_below(&rng, (uint64_t)r->adv_interval);
    }
    popi_rng_destroy(&rng);
    return POPI_OK;
}

void popi_radio_destroy(popi_radio_t *r)
{
    if (!r) return;
    free(r->scan_phase);
    free(r->adv_phase);
    free(r->scratch);
    r->scan_phase = r->adv_phase = NULL;
    r->scratch = NULL;
    r->scratch_cap = 0;
}

double popi_radio_mean_rssi(const popi_radio_t *r, double d_m, int walls)
{
    double d = d_m > 0.1 ? d_m : 0.1;
    return r->cfg.rssi_1m_dbm - 10.0 * r->cfg.path_loss_exponent * log10(d) -
           (double)walls * r->cfg.wall_loss_db;
}

void popi_radio_pair_reset(popi_radio_pair_t *st)
{
    st->run_start = -1;
    st->last_hit = -1;
    st->rssi_sum = 0.0;
    st->n_hits = 0;
}

static inline popi_time_t floor_div(popi_time_t a, popi_time_t b)
{
    popi_time_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline popi_time_t adv_time(const popi_radio_t *r, uint32_t a, popi_time_t m)
{
    uint64_t k = popi_rng_key3(r->key ^ UINT64_C(0xad), a, (uint64_t)m);
    popi_time_t delay = (popi_time_t)(popi_rng_mix64(k) % (ADV_DELAY_MAX_US + 1));
    return r->adv_phase[a] + m * r->adv_interval + delay;
}

typedef struct {
    popi_time_t t;
    uint32_t obs, adv;
    popi_time_t m; /* advertising event number */
} sighting_t;

/* Sightings of advertiser adv by observer obs in [t0, t1), appended in time order. */
static size_t collect(const popi_radio_t *r, uint32_t obs, uint32_t adv, popi_time_t t0, popi_time_t t1,
                      sighting_t **buf, size_t *cap, size_t n)
{
    popi_time_t I = r->scan_interval, W = r->scan_window, A = r->adv_interval;
    for (popi_time_t k = floor_div(t0 - r->scan_phase[obs] - W, I);; k++) {
        popi_time_t ws = r->scan_phase[obs] + k * I, we = ws + W;
        if (ws >= t1) break;
        popi_time_t lo = ws > t0 ? ws : t0, hi = we < t1 ? we : t1;
        if (lo >= hi) continue;
        for (popi_time_t m = floor_div(lo - r->adv_phase[adv] - ADV_DELAY_MAX_US, A);; m++) {
            popi_time_t base = r->adv_phase[adv] + m * A;
            if (base >= hi) break;
            popi_time_t ta = adv_time(r, adv, m);
            if (ta < lo || ta >= hi) continue;
            POPI_GROW(*buf, *cap, n + 1);
            (*buf)[n++] = (sighting_t){ta, obs, adv, m};
        }
    }
    return n;
}

static void emit_run(const popi_radio_t *r, popi_radio_pair_t *st, uint32_t i, uint32_t j,
                     popi_radio_emit_fn emit, void *emit_ctx)
{
    if (st->run_start >= 0 && st->last_hit - st->run_start >= r->min_duration && emit)
        emit(emit_ctx, i, j, st->run_start, st->last_hit, st->rssi_sum / (double)st->n_hits);
    st->run_start = -1;
    st->n_hits = 0;
    st->rssi_sum = 0.0;
}

void popi_radio_observe(popi_radio_t *r, popi_radio_pair_t *st, uint32_t i, uint32_t j, popi_time_t t0,
                        popi_time_t t1, popi_radio_pos_fn pos, const void *pos_ctx,
                        popi_radio_emit_fn emit, void *emit_ctx)
{
    if (t1 <= t0) return;
    sighting_t *s = r->scratch;
    size_t cap = r->scratch_cap, n = 0, n1;
    n = collect(r, i, j, t0, t1, &s, &cap, n);
    n1 = n;
    n = collect(r, j, i, t0, t1, &s, &cap, n);
    r->scratch = s;
    r->scratch_cap = cap;
    /* merge the two time-ordered runs [0, n1) and [n1, n) */
    size_t a = 0, b = n1;
    while (a < n1 || b < n) {
        const sighting_t *x;
        if (b >= n || (a < n1 && s[a].t <= s[b].t)) x = &s[a++];
        else x = &s[b++];
        double xi, yi, xj, yj;
        pos(pos_ctx, i, x->t, &xi, &yi);
        pos(pos_ctx, j, x->t, &xj, &yj);
        double d = hypot(xj - xi, yj - yi);
        int walls = (r->world && r->cfg.wall_loss_db > 0.0)
                        ? popi_world_walls_crossed(r->world, xi, yi, xj, yj)
                        : 0;
        double rssi = popi_radio_mean_rssi(r, d, walls);
        if (r->cfg.shadowing_sigma_db > 0.0)
            rssi += r->cfg.shadowing_sigma_db *
                    popi_rng_hash_gaussian(popi_rng_key3(r->key, ((uint64_t)x->obs << 32) | x->adv,
                                                         (uint64_t)x->m));
        r->n_sightings++;
        if (rssi < r->cfg.rssi_threshold_dbm) continue;
        if (st->run_start >= 0 && x->t - st->last_hit > r->max_gap) emit_run(r, st, i, j, emit, emit_ctx);
        if (st->run_start < 0) st->run_start = x->t;
        st->last_hit = x->t;
        st->rssi_sum += rssi;
        st->n_hits++;
    }
}

void popi_radio_close(popi_radio_t *r, popi_radio_pair_t *st, uint32_t i, uint32_t j,
                      popi_radio_emit_fn emit, void *emit_ctx)
{
    emit_run(r, st, i, j, emit, emit_ctx);
    popi_radio_pair_reset(st);
}
