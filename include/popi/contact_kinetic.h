/* SPDX-License-Identifier: MIT */
/*
 * contact_kinetic.h - the kinetic proximity engine: the same exact intervals as the bucketed sweep
 * of contact.h, found by a kinetic grid instead of re-testing every pair in every bucket.
 *
 * On each "window" where both agents of a pair keep their legs (from the later leg start to the
 * earlier leg end) their relative motion is linear, so the pair is in range on at most one interval
 * of the window, found by popi_contact_solve. A pair can only come within range while both agents
 * are in adjacent cells of a grid whose cell exceeds the range, so a window is solved only when it
 * starts (a leg change: the agent against its 3x3 block) or when the pair becomes adjacent (a cell
 * crossing: the agent against the strip of newly adjacent cells). The engine has the sweep's
 * public semantics, configuration, sink order and radio hand-off; it is chosen per run.
 */
#ifndef POPI_CONTACT_KINETIC_H
#define POPI_CONTACT_KINETIC_H

#include "popi/contact.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct popi_contact_kinetic popi_contact_kinetic_t;

/**
 * Create a kinetic engine for mob->n agents moving by @p mob, detecting through @p radio (both
 * must outlive the engine), starting at time 0. @p cfg is read as by popi_contact_create:
 * bucket_s only sets the order in which intervals reach the sink (per bucket, then (i, j,
 * t_start)), never their values. @p threads >= 1 OpenMP threads list cell crossings and solve
 * candidate pairs; results do not depend on it.
 * Errors: POPI_EINVAL for range_m <= 0, bucket_s <= 0, min_duration_s < 0 (message names the key)
 * or threads outside [1, 4096]; *out is NULL then. O(agents + cells), cells <= ~4 per agent.
 */
popi_err_t popi_contact_kinetic_create(popi_contact_kinetic_t **out, const popi_contact_config_t *cfg,
                                       popi_mobility_t *mob, popi_radio_t *radio,
                                       popi_contact_sink_t sink, int threads);

/**
 * Set the least work for which a slice's phases run on the engine's threads: @p agents (crowd
 * size) for listing crossings, @p triggers (crossings and leg changes in the slice) for solving
 * candidates, which from there on are also answered in cell order (for cache locality in large
 * crowds); below, a phase runs on one thread, as its parallel region would cost more than it
 * saves. Defaults 65536 and 16384; 0 and 0 use every thread always (tests). Results never depend
 * on it. O(1).
 */
void popi_contact_kinetic_set_grain(popi_contact_kinetic_t *e, size_t agents, size_t triggers);

/**
 * Say whether the sink reads rssi_dbm of the intervals it is given (the default: yes). When it
 * does not, proximity intervals (and the unit disc's contacts, which are the same records) carry
 * NaN there, which spares a logarithm per interval; nothing else changes (contacts detected by
 * the BLE radio always carry their measured RSSI). O(1).
 */
void popi_contact_kinetic_set_rssi(popi_contact_kinetic_t *e, bool needed);

/**
 * Choose the path that tests and solves candidate pairs: 0 scalar, 1 AVX2 (four pairs at a time),
 * 2 AVX-512 (tested four, solved eight at a time). By default the engine takes the best the
 * processor has; a level above that falls back to it. Every path computes the same values in the
 * same order, so results never depend on it (tests compare them). Returns the level now used.
 * O(1).
 */
int popi_contact_kinetic_set_isa(popi_contact_kinetic_t *e, int level);

/** Free the engine. Accepts NULL. */
void popi_contact_kinetic_free(popi_contact_kinetic_t *e);

/**
 * Advance contact detection to time @p t_to (µs): runs the mobility forward and emits every
 * interval that closes before t_to, exactly as popi_contact_advance. The mobility is advanced
 * about 30 s ahead of the engine (legs do not depend on how its windows are cut), so that its
 * O(agents) pass runs rarely. Errors from mobility are passed on. Cost per slice O(agents + cell
 * crossings + leg changes + pairs they make adjacent + intervals closing), independent of the
 * number of pairs that merely stay near each other.
 */
popi_err_t popi_contact_kinetic_advance(popi_contact_kinetic_t *e, popi_time_t t_to);

/** Close every open interval at the current time (end of run) and emit it, in (i, j) order. A
 * later advance starts afresh: pairs in range then open new intervals at that time. */
void popi_contact_kinetic_finish(popi_contact_kinetic_t *e);

/**
 * Counters: buckets swept, pairs_tested = index entries examined in the cells next to a crossing
 * or leg change, pairs_solved = windows (pair, leg pair) put to the solver, proximities, contacts,
 * and intervals open now. O(intervals waiting for their end) (it counts those that have started).
 */
popi_contact_stats_t popi_contact_kinetic_stats(const popi_contact_kinetic_t *e);

#ifdef __cplusplus
}
#endif
#endif
