/* SPDX-License-Identifier: MIT */
/*
 * contact.h - contact records and the exact proximity engine.
 *
 * A proximity interval of agents i < j is a maximal time interval in which their distance is at
 * most contact.range_m. Between two leg changes the relative motion is linear, so the distance
 * crosses the range at the roots of a quadratic: start and end are exact (rounded to the µs),
 * never sampled. The engine sweeps time in buckets of contact.bucket_s: in each bucket, agents are
 * binned by their position at the bucket start into a uniform grid whose cell is at least
 * range + 2 * (largest displacement in the bucket), so every pair that can meet is in the 3x3
 * neighbourhood; each such pair is solved exactly on the bucket's leg pieces. Pieces found by all
 * threads are sorted by (pair, time) and merged with the set of intervals open at the bucket
 * start, so the result does not depend on the number of threads or the bucket length.
 * Closed intervals go to the radio (sim/radio), which turns them into detected contacts.
 */
#ifndef POPI_CONTACT_H
#define POPI_CONTACT_H

#include "popi/common.h"
#include "popi/mobility.h"
#include "popi/radio.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A contact (detected) or proximity (geometric) interval between agents i < j. */
typedef struct {
    popi_time_t t_start, t_end; /**< µs */
    uint32_t i, j;              /**< agent indices, i < j */
    float rssi_dbm;             /**< mean RSSI of qualifying sightings; path loss at closest approach
                                     for the unit-disc radio; NaN when unknown (imported traces) */
    float d_min_m;              /**< closest approach, m; NaN when unknown */
} popi_contact_t;

/** A growable array of contacts. Zero-initialise; popi_contact_vec_destroy to free. */
typedef struct {
    popi_contact_t *v;
    size_t n, cap;
} popi_contact_vec_t;

/** Append a copy of *c (amortised O(1)); destroy frees the array and accepts a zeroed vector. */
void popi_contact_vec_push(popi_contact_vec_t *vec, const popi_contact_t *c);
void popi_contact_vec_destroy(popi_contact_vec_t *vec);
/** Sort by (t_start, i, j, t_end). O(n log n). */
void popi_contact_vec_sort(popi_contact_vec_t *vec);

/** Proximity engines: both give the same intervals (checked by tests/test_contact_kinetic.c). */
typedef enum { POPI_CONTACT_KINETIC = 0, POPI_CONTACT_SWEEP = 1 } popi_contact_engine_kind_t;

/** Scenario keys contact.*. */
typedef struct {
    double range_m;        /**< proximity range, m, > 0 */
    double min_duration_s; /**< minimum duration of a detected contact, s, >= 0 */
    double bucket_s;       /**< sweep bucket, s, > 0 (performance only: results do not depend on it) */
    int engine;            /**< popi_contact_engine_kind_t (performance only) */
} popi_contact_config_t;

/** Receives intervals as they close, in order of closing bucket, then (i, j, t_start). */
typedef struct {
    void *ctx;
    /** A geometric proximity interval closed (may be NULL). */
    void (*on_proximity)(void *ctx, const popi_contact_t *c);
    /** A detected contact (passed the radio and min_duration) closed (may be NULL). */
    void (*on_contact)(void *ctx, const popi_contact_t *c);
} popi_contact_sink_t;

typedef struct popi_contact_engine popi_contact_engine_t;

/**
 * Create an engine for @p n agents moving by @p mob, detecting through @p radio (both must
 * outlive the engine). @p threads >= 1 threads search candidate pairs (OpenMP).
 * Errors: POPI_EINVAL for range_m <= 0 or bucket_s <= 0 (message names the key).
 */
popi_err_t popi_contact_create(popi_contact_engine_t **out, const popi_contact_config_t *cfg,
                               popi_mobility_t *mob, popi_radio_t *radio, popi_contact_sink_t sink,
                               int threads);

/** Free the engine. Accepts NULL. */
void popi_contact_free(popi_contact_engine_t *e);

/**
 * Advance contact detection to time @p t_to (µs): runs the mobility forward and emits every
 * interval that closes before t_to. Intervals open at t_to stay open. Errors from mobility are
 * passed on. Cost per bucket O(n + cells + candidate pairs).
 */
popi_err_t popi_contact_advance(popi_contact_engine_t *e, popi_time_t t_to);

/** Close every open interval at the current time (end of run) and emit it. */
void popi_contact_finish(popi_contact_engine_t *e);

/** Counters for the summary and benchmarks. */
typedef struct {
    uint64_t buckets;
    uint64_t pairs_tested;   /**< candidate pairs distance-tested */
    uint64_t pairs_solved;   /**< candidate pairs solved exactly */
    uint64_t proximities;    /**< closed proximity intervals */
    uint64_t contacts;       /**< detected contacts */
    size_t open_now;         /**< proximity intervals open at the current time */
} popi_contact_stats_t;

/** The sweep's counters so far (open_now = intervals open at the current time). O(1). */
popi_contact_stats_t popi_contact_stats(const popi_contact_engine_t *e);

/**
 * Exact in-range intervals of two linear motions on [0, span] (s): relative position p + v*t,
 * range r. Writes at most one interval [*a, *b] and returns true if |p + v t| <= r somewhere in
 * [0, span], and then the minimum distance over [0, span] in *dmin (untouched on false: most
 * candidate pairs miss, and a miss costs no square root). Exposed for tests.
 */
bool popi_contact_solve(double px, double py, double vx, double vy, double r, double span, double *a,
                        double *b, double *dmin);

#ifdef __cplusplus
}
#endif
#endif
