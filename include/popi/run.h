/* SPDX-License-Identifier: MIT */
/*
 * run.h - one crowd run as a value: world, crowd, radio, contact engine, event queue, recorder.
 *
 * popi_run_t owns everything a run touches; nothing is global, so runs of a sweep can execute on
 * separate threads. The run reads as named phases: build (world, crowd, radio, engine or trace),
 * simulate (the event queue drives the contact sweep and progress), analyse (per-agent counts,
 * fits, flags), record (HDF5, committed atomically).
 */
#ifndef POPI_RUN_H
#define POPI_RUN_H

#include "popi/common.h"
#include "popi/contact.h"
#include "popi/des.h"
#include "popi/fit.h"
#include "popi/h5out.h"
#include "popi/mobility.h"
#include "popi/radio.h"
#include "popi/scenario.h"
#include "popi/trace.h"
#include "popi/world.h"

#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Options that are not part of the scenario (they do not change any dataset). */
typedef struct {
    const char *out_path;   /**< HDF5 output, NULL for none */
    int threads;            /**< >= 1 */
    uint64_t run_index;     /**< index in a sweep (0 for a single run) */
    /** Called with the fraction done in [0, 1] about every 1% of simulated time (may be NULL). */
    void (*progress)(void *ctx, double frac);
    void *progress_ctx;
} popi_run_opts_t;

/** Per-agent results (row of /contacts/per_agent). */
typedef struct {
    uint32_t agent;
    int64_t id;             /**< original id for traces, else the agent index */
    uint32_t events;        /**< detected contacts */
    uint32_t partners;      /**< distinct partners in detected contacts */
    double contact_time_s;  /**< total duration of detected contacts */
    uint8_t mobility;       /**< popi_mobility_kind_t, or POPI_RUN_TRACE_CLASS */
    uint8_t outlier;        /**< 1 if flagged by the outlier rule */
} popi_agent_row_t;

#define POPI_RUN_TRACE_CLASS 255

/** What a run produced, for the summary table. */
typedef struct {
    uint32_t agents;
    uint64_t contacts, proximities;
    double sim_s;
    double median_events, max_events;
    popi_powerlaw_fit_t fit_events, fit_durations;
    popi_robust_t robust_events;
    popi_contact_stats_t engine;
    uint64_t des_events;
    uint64_t sightings;
    double wall_s, cpu_s;
    long peak_rss_kb;
    bool from_trace;
} popi_run_summary_t;

/** Classes of failure, so the CLI can choose its exit code. */
typedef enum { POPI_RUN_FAIL_NONE = 0, POPI_RUN_FAIL_INPUT, POPI_RUN_FAIL_OUTPUT, POPI_RUN_FAIL_INTERNAL } popi_run_fail_t;

/**
 * Execute the scenario (already validated) and write the output. On error nothing is left at
 * out_path (the temporary file is removed), *fail tells whether inputs (scenario, map, trace),
 * output (disk) or the simulation failed, and the message names the cause.
 */
popi_err_t popi_run_execute(const popi_scenario_t *s, const popi_run_opts_t *opts, popi_run_summary_t *sum,
                            popi_run_fail_t *fail);

/** Peak resident set size of this process, kB (from /proc/self/status; 0 if unknown). */
long popi_run_peak_rss_kb(void);

/** Seconds on clock @p c (CLOCK_MONOTONIC for wall time, CLOCK_PROCESS_CPUTIME_ID for CPU). */
double popi_run_clock_s(clockid_t c);

/**
 * The root attributes every output file carries: the effective scenario (JSON), seed, run index,
 * program version, thread count and @p generator. Errors: POPI_EHDF5.
 */
popi_err_t popi_run_write_root_attrs(popi_h5_t *h, const popi_scenario_t *s,
                                     const popi_run_opts_t *opts, const char *generator);

#ifdef __cplusplus
}
#endif
#endif
