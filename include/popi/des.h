/* SPDX-License-Identifier: MIT */
/*
 * des.h - the discrete-event engine: a simulated clock and a queue of timed callbacks.
 *
 * Events are ordered by (time, seq): integer microseconds, then the order in which they were
 * scheduled, so ties resolve the same way on every run. The queue is a binary heap of indices
 * into an event pool with a free list; cancellation marks a tombstone that the heap skips.
 * A callback's return value reschedules it (as in Redis' ae.c): return a delay > 0 for a
 * periodic event, or POPI_DES_DONE to let it go.
 */
#ifndef POPI_DES_H
#define POPI_DES_H

#include "popi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct popi_des popi_des_t;

/** Handle of a scheduled event: pool slot and its generation, so stale handles are harmless. */
typedef struct {
    uint32_t slot;
    uint32_t gen;
} popi_des_event_id_t;

/** Returned by a callback that does not want to be called again. */
#define POPI_DES_DONE ((popi_time_t)-1)

/**
 * Event callback. @p now is the event's time (µs). Return POPI_DES_DONE, or a delay in µs (> 0)
 * after which the same callback runs again with the same ctx and arg. A callback may schedule
 * and cancel other events, and may call popi_des_stop().
 * A callback that fails stores its error with popi_des_fail() and returns POPI_DES_DONE.
 */
typedef popi_time_t (*popi_des_fn)(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg);

struct popi_des_event {
    popi_time_t time;
    uint64_t seq;
    popi_des_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t gen;
    int32_t heap_pos; /**< 0 while pending in the heap, -1 when free, -2 when cancelled
                           (a tombstone, released when it reaches the top) */
};

/** The engine. Lives in caller storage: popi_des_init / popi_des_destroy. */
/** A heap entry: the ordering key kept inline, so that sifting touches only the heap array. */
struct popi_des_hent {
    popi_time_t time;
    uint64_t seq;
    uint32_t slot;
};

struct popi_des {
    popi_time_t now;
    uint64_t next_seq;
    struct popi_des_event *pool;
    uint32_t pool_cap;
    uint32_t *free_list;
    uint32_t n_free;
    struct popi_des_hent *heap; /**< 4-ary min-heap of (time, seq, slot) */
    uint32_t heap_len;
    uint32_t n_tombstones; /**< cancelled events still in the heap */
    uint64_t n_executed;
    bool stopped;
    popi_err_t failure; /**< first error reported by a callback through popi_des_fail */
};

/** Initialise an empty engine at time 0. Cannot fail. */
void popi_des_init(popi_des_t *des);
/** Release the pool and heap. Accepts a zeroed or destroyed engine. */
void popi_des_destroy(popi_des_t *des);

/**
 * Schedule @p fn(ctx, arg) at absolute time @p t (µs, >= now).
 * @return POPI_EINVAL if t < now (the event is not scheduled); POPI_OK otherwise.
 * @p id (may be NULL) receives the handle for popi_des_cancel. O(log n).
 */
popi_err_t popi_des_schedule(popi_des_t *des, popi_time_t t, popi_des_fn fn, void *ctx, uint64_t arg,
                             popi_des_event_id_t *id);

/** Cancel a pending event. Returns true if it was pending; false for stale or fired handles. O(1). */
bool popi_des_cancel(popi_des_t *des, popi_des_event_id_t id);

/**
 * Run events in (time, seq) order while their time is <= @p t_end, then set now = t_end (unless
 * stopped earlier). Returns the first error a callback reported with popi_des_fail, else POPI_OK.
 */
popi_err_t popi_des_run_until(popi_des_t *des, popi_time_t t_end);

/** Make popi_des_run_until return after the current callback. */
void popi_des_stop(popi_des_t *des);

/** Record a callback failure (the first one wins) and stop the run. Returns @p code. */
popi_err_t popi_des_fail(popi_des_t *des, popi_err_t code);

/** Number of pending (not cancelled) events. O(1). */
size_t popi_des_pending(const popi_des_t *des);

#ifdef __cplusplus
}
#endif
#endif
