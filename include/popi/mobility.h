/* SPDX-License-Identifier: MIT */
/*
 * mobility.h - people moving through the world as piecewise-linear motion.
 *
 * Each agent's trajectory is a queue of legs: straight segments at constant velocity (a pause is a
 * leg with zero velocity). Legs are contiguous in time (leg k+1 starts at the integer microsecond
 * where leg k ends, at the exact point where it ends) and never pass through an obstacle cell.
 * Legs are generated lazily by the agent's model when its queue runs dry; a model is a static
 * const table of function pointers (popi_mobility_model_t) looked up by name.
 *
 * Models:
 *  - random_waypoint: uniform destination in the free area, speed U[vmin, vmax] per trip, pause
 *    U[pmin, pmax] after arrival; no pause before the first trip (the ONE simulator's semantics).
 *    Its time-averaged speed is (vmax - vmin) / ln(vmax / vmin), not the mean of the draw
 *    (Yoon, Liu & Noble, INFOCOM 2003, DOI 10.1109/INFCOM.2003.1208967).
 *  - stop_and_go: short walks (exponential length, uniform direction, cut just before the first
 *    obstacle or the boundary) alternating with heavy-tailed stops (Pareto truncated at
 *    pause_max_s by its inverse CDF, no atom at the cap), the seed's "走走停停"; walk first.
 *  - crowd_seeking: the next destination is drawn from a coarse occupancy map with probability
 *    proportional to (occupancy)^gamma (with prob seek_prob; uniform otherwise), the seed's
 *    "趋向人群"; the map is a snapshot taken at the start of the advance window. Every agent counts
 *    in the map cell holding its world cell's centre; map cells without free ground get weight 0;
 *    the destination is a uniform point of a uniform free world cell of the chosen map cell.
 *  - back_and_forth: shuttles between two anchor points along a shortest path, pausing at each
 *    end, the seed's "来回往复". A = the start; B = a reachable free point at straight-line
 *    distance U[dmin, dmax] (1000 tries, then any reachable free point); speed drawn per trip.
 *  - random_direction: constant speed, direction uniform, redrawn after exponential times;
 *    specular reflection at the world boundary (the run goes on); at an obstacle the agent stops
 *    just before it and draws a new heading; used to check kinetic theory.
 * Destinations are drawn in the free area reachable from the agent (its connected component).
 */
#ifndef POPI_MOBILITY_H
#define POPI_MOBILITY_H

#include "popi/common.h"
#include "popi/rng.h"
#include "popi/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One straight leg: position at time t in [t0, t1] is (x0 + vx*(t-t0)/1e6, y0 + vy*(t-t0)/1e6). */
typedef struct {
    popi_time_t t0, t1; /**< µs, t1 > t0 */
    double x0, y0;      /**< m */
    double vx, vy;      /**< m/s; both 0 for a pause */
} popi_leg_t;

typedef enum {
    POPI_MOB_RANDOM_WAYPOINT = 0,
    POPI_MOB_STOP_AND_GO,
    POPI_MOB_CROWD_SEEKING,
    POPI_MOB_BACK_AND_FORTH,
    POPI_MOB_RANDOM_DIRECTION,
    POPI_MOB__COUNT
} popi_mobility_kind_t;

/** Scenario keys mobility.random_waypoint.*. */
typedef struct {
    double fraction;                     /**< share of agents, [0, 1] */
    double speed_min_mps, speed_max_mps; /**< trip speed U[min, max], m/s, 0 < min <= max */
    double pause_min_s, pause_max_s;     /**< pause U[min, max], s, 0 <= min <= max */
} popi_mob_rwp_config_t;

/** Scenario keys mobility.stop_and_go.*. */
typedef struct {
    double fraction;
    double speed_min_mps, speed_max_mps;
    double walk_mean_m;  /**< mean walk length (exponential), m, > 0 */
    double pause_xmin_s; /**< Pareto scale of stops, s, > 0 */
    double pause_alpha;  /**< Pareto tail exponent of stops, > 0 (P(T > t) = (t/xmin)^-alpha) */
    double pause_max_s;  /**< truncation of stops, s, >= pause_xmin_s */
} popi_mob_stopgo_config_t;

/** Scenario keys mobility.crowd_seeking.*. */
typedef struct {
    double fraction;
    double speed_min_mps, speed_max_mps;
    double pause_min_s, pause_max_s;
    double seek_prob;  /**< probability that a destination is drawn from the occupancy map, [0, 1] */
    double gamma;      /**< attraction exponent on occupancy, >= 0 */
    double map_cell_m; /**< side of the occupancy map's cells, m, > 0 */
    double refresh_s;  /**< the map is a snapshot at the last multiple of refresh_s, s, > 0 */
} popi_mob_seek_config_t;

/** Scenario keys mobility.back_and_forth.*. */
typedef struct {
    double fraction;
    double speed_min_mps, speed_max_mps;
    double pause_min_s, pause_max_s;
    double distance_min_m, distance_max_m; /**< straight-line anchor separation U[min, max], m */
} popi_mob_shuttle_config_t;

/** Scenario keys mobility.random_direction.*. */
typedef struct {
    double fraction;
    double speed_min_mps, speed_max_mps; /**< speed per agent U[min, max], fixed for the run */
    double turn_mean_s;                  /**< mean time between direction changes, s, > 0 */
} popi_mob_rdir_config_t;

typedef struct {
    popi_mob_rwp_config_t random_waypoint;
    popi_mob_stopgo_config_t stop_and_go;
    popi_mob_seek_config_t crowd_seeking;
    popi_mob_shuttle_config_t back_and_forth;
    popi_mob_rdir_config_t random_direction;
} popi_mobility_config_t;

/** Leg queue of one agent (a ring buffer). */
typedef struct {
    popi_leg_t *legs;
    uint32_t head, len, cap;
    popi_time_t end_t;   /**< µs, end of the last leg (0 before the first leg) */
    double end_x, end_y; /**< m, exact end point of the last leg (the start position before it) */
} popi_legq_t;

typedef struct popi_mobility popi_mobility_t;

/** Model vtable: one static const instance per model. */
typedef struct {
    const char *name;
    /** Set up per-agent model state (anchors, speed) after the start position is known. */
    popi_err_t (*init_agent)(popi_mobility_t *m, uint32_t a);
    /** Append at least one leg starting at the end of agent a's queue (time t, position x, y). */
    popi_err_t (*extend)(popi_mobility_t *m, uint32_t a, popi_time_t t, double x, double y);
} popi_mobility_model_t;

/** Per-agent model state, interpreted by the agent's model. */
typedef struct {
    double ax, ay, bx, by; /**< anchors (back_and_forth) */
    double speed;          /**< fixed speed (random_direction), m/s */
    double dir;            /**< heading, rad (random_direction) */
    double run_left_s;     /**< time left before the next turn (random_direction) */
    uint8_t phase;         /**< model-specific: next anchor, walking/stopped, first trip */
} popi_agent_state_t;

/** The crowd's motion. Caller storage; popi_mobility_init / popi_mobility_destroy. */
struct popi_mobility {
    const popi_world_t *world;
    popi_mobility_config_t cfg;
    uint32_t n;                 /**< agents */
    uint8_t *kind;              /**< popi_mobility_kind_t per agent */
    popi_agent_state_t *state;  /**< per agent */
    popi_legq_t *q;             /**< per agent */
    popi_rng_t rng;             /**< POPI_STREAM_MOBILITY, counter-based: re-keyed per agent and
                                     extension, so trajectories do not depend on advance windows */
    popi_path_t path;           /**< scratch */
    /* occupancy map for crowd_seeking (coarse grid) */
    int32_t omx, omy;
    double *occ_weight;         /**< per map cell: (count)^gamma summed weights, cumulative */
    int32_t *occ_free_cell;     /**< free world cells grouped by map cell (cell centre decides) */
    int32_t *occ_start;         /**< omx*omy+1 offsets into occ_free_cell, one run per map cell */
    popi_time_t occ_time;       /**< time of the current snapshot (a multiple of occ_period), -1 if none */
    popi_time_t occ_period;     /**< snapshot period, µs (crowd_seeking.refresh_s) */
    popi_time_t last_from;      /**< t_from of the last advance, -1 before the first */
    uint32_t *heap;             /**< scratch: agents ordered by (end of queue, index) */
    uint64_t n_legs_generated;
};

/** Name of a model ("random_waypoint", ...). */
const char *popi_mobility_kind_name(popi_mobility_kind_t k);

/** The model table entry for a kind. */
const popi_mobility_model_t *popi_mobility_model(popi_mobility_kind_t k);

/**
 * Place @p n_agents agents uniformly in the free area, assign models by fraction (exact counts by
 * largest remainder, then a random permutation), and initialise model state. Randomness comes
 * from (seed, run_index, POPI_STREAM_PLACEMENT) and (…, POPI_STREAM_MOBILITY).
 * Errors: POPI_EINVAL if fractions are negative or do not sum to 1 within 1e-9 (message names
 * "mobility.<model>.fraction"), or a model's parameters are inconsistent (min > max); POPI_EUNREACH
 * if an agent cannot find a valid destination. The world must outlive the mobility.
 */
popi_err_t popi_mobility_init(popi_mobility_t *m, const popi_mobility_config_t *cfg,
                              const popi_world_t *w, uint32_t n_agents, uint64_t seed,
                              uint64_t run_index);

/** Release all memory. Accepts a zeroed or half-initialised value. */
void popi_mobility_destroy(popi_mobility_t *m);

/**
 * Make every agent's legs cover [t_from, t_to]: first drop legs that end at or before t_from
 * (keeping the one that contains t_from), then extend each agent, in index order, until its last
 * leg ends at or after t_to. Crowd-seeking destinations use an occupancy snapshot at t_from.
 * Every draw of agent a comes from a key of (seed, run, a, the time its queue ends), so the legs
 * of all models but crowd_seeking do not depend on how the calls' windows are cut.
 * Requires t_from >= the previous call's t_from. Errors from models are passed on
 * (POPI_ESTATE if a model appends nothing 1000 times in a row); EINVAL if t_from < 0 or
 * t_to < t_from. O(agents + legs generated).
 */
popi_err_t popi_mobility_advance(popi_mobility_t *m, popi_time_t t_from, popi_time_t t_to);

/** Number of legs currently queued for agent a. */
static inline uint32_t popi_mobility_n_legs(const popi_mobility_t *m, uint32_t a) { return m->q[a].len; }

/** The k-th queued leg of agent a (k = 0 is the oldest). */
static inline const popi_leg_t *popi_mobility_leg(const popi_mobility_t *m, uint32_t a, uint32_t k)
{
    const popi_legq_t *q = &m->q[a];
    return &q->legs[(q->head + k) % q->cap];
}

/** Append a leg to agent a's queue (used by models). The leg must start where the last one ends. */
void popi_mobility_push_leg(popi_mobility_t *m, uint32_t a, const popi_leg_t *leg);

/**
 * Append legs that walk agent a along @p path (from its first point, which must be the agent's
 * current end point) at @p speed m/s (> 0) starting at time t (= the end of its queue); returns
 * the arrival time. Each leg lasts max(1, round(len/speed)) µs and its velocity is set so that it
 * ends exactly at its waypoint; the next leg starts at the stored waypoint. Zero-length steps give
 * no leg.
 */
popi_time_t popi_mobility_push_path(popi_mobility_t *m, uint32_t a, const popi_path_t *path,
                                    double speed, popi_time_t t);

/** Append a pause of @p dur µs at the agent's end point (x, y) from time t = the end of its queue
 * (skipped if dur <= 0); returns the end time. */
popi_time_t popi_mobility_push_pause(popi_mobility_t *m, uint32_t a, double x, double y, popi_time_t t,
                                     popi_time_t dur);

/**
 * Make the crowd-seeking occupancy map the snapshot for a decision at time t: the positions of
 * all agents at the last multiple of crowd_seeking.refresh_s at or before t. Valid inside
 * popi_mobility_advance, which extends agents in order of their queue ends, so that every agent's
 * legs cover that time when it is asked for; so destinations do not depend on how the caller
 * cuts time into advance windows.
 */
void popi_mobility_occupancy_at(popi_mobility_t *m, popi_time_t t);

/** Position of agent a at time t, which must lie within its queued legs (before the first
 * advance: its start position). O(log legs). */
void popi_mobility_position(const popi_mobility_t *m, uint32_t a, popi_time_t t, double *x, double *y);

#ifdef __cplusplus
}
#endif
#endif
