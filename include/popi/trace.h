/* SPDX-License-Identifier: MIT */
/*
 * trace.h - contact traces recorded elsewhere, replayed instead of simulated motion.
 *
 * Formats:
 *  - "sociopatterns": whitespace-separated `t i j` lines, one per active pair per window of
 *    window_s seconds; the contact was active during [t - window_s, t]. Lines of one pair whose
 *    windows touch (t' - t <= window_s) are merged into one interval.
 *  - "one": the ONE simulator's connectivity events `t CONN a b up|down`; an interval runs from
 *    `up` to the next `down` of the same pair (still-open intervals end at the last time seen).
 * Files may be gzip-compressed (read through zlib). Agent ids are remapped to 0..n-1 in ascending
 * order of the original id; times are shifted so the first record's window starts at 0.
 */
#ifndef POPI_TRACE_H
#define POPI_TRACE_H

#include "popi/common.h"
#include "popi/contact.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { POPI_TRACE_SOCIOPATTERNS = 0, POPI_TRACE_ONE = 1 } popi_trace_format_t;

/** Scenario keys trace.*. An empty file means: simulate motion instead. */
typedef struct {
    char *file;      /**< path (relative paths are resolved against the scenario's folder) */
    int format;      /**< popi_trace_format_t */
    double window_s; /**< SocioPatterns window, s, > 0 (20 s for SocioPatterns data) */
} popi_trace_config_t;

/** An imported trace. Caller storage; zero-initialise, popi_trace_load, popi_trace_destroy. */
typedef struct {
    uint32_t n_agents;
    int64_t *ids;                /**< original id of each agent index, ascending */
    size_t n_records;            /**< data lines read (records), before merging */
    popi_contact_vec_t contacts; /**< merged intervals, i < j, sorted by (t_start, i, j) */
    popi_time_t t_offset;        /**< µs subtracted from the file's times */
    popi_time_t t_end;           /**< end of the last interval after the shift, µs */
} popi_trace_t;

/**
 * Read a trace. Errors: POPI_EIO (cannot open/read: message names the path), POPI_EPARSE
 * (message names the path, line number and the offending text: missing fields, non-numeric
 * values, negative or decreasing... times, self-contact i == j, unknown ONE keyword, `down`
 * without `up`), POPI_EINVAL (window_s <= 0, empty trace). On failure @p t is left destroyable
 * and empty. O(records log records).
 */
popi_err_t popi_trace_load(popi_trace_t *t, const char *path, popi_trace_format_t format,
                           double window_s);

/** Release ids and contacts. Accepts a zeroed or destroyed trace. */
void popi_trace_destroy(popi_trace_t *t);

/** Format name ("sociopatterns", "one"). */
const char *popi_trace_format_name(popi_trace_format_t f);

#ifdef __cplusplus
}
#endif
#endif
