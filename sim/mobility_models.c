/* SPDX-License-Identifier: MIT */
/*
 * mobility_models.c - the five mobility models as static const tables (popi_mobility_model_t).
 *
 * Each model's extend() appends one "action" (a trip and the pause after it, a walk and a stop,
 * or one straight run of random_direction) from the end of the agent's queue, drawing only from
 * m->rng (POPI_STREAM_MOBILITY, re-keyed per agent and call by the core, see mobility.c) and
 * reading m->occ_* for crowd_seeking; legs come from popi_mobility_push_path/push_pause, so
 * they start at stored waypoints and never touch an obstacle cell (paths and straight moves are
 * checked with popi_world_segment_clear / first_hit, which treat cells as closed squares).
 *  - random_waypoint: Yoon, Liu & Noble, INFOCOM 2003, DOI 10.1109/INFCOM.2003.1208967 (the ONE
 *    semantics: trip first, pause after arrival).
 *  - random_direction: Nain, Towsley, Liu & Liu, INFOCOM 2005, DOI 10.1109/INFCOM.2005.1498507
 *    (specular reflection at the boundary keeps the uniform density).
 *  - stop_and_go (truncated-Pareto stops), crowd_seeking (occupancy^gamma), back_and_forth.
 */
#include "popi/mobility.h"

#include <math.h>

/* Distance kept between a stop in front of an obstacle and the obstacle, m. */
#define BACKOFF_M 1e-6
/* Reflection points sit this fraction of the world's size inside its boundary. */
#define BOUNDARY_MARGIN 1e-9
#define TWO_PI 6.283185307179586476925286766559

static double draw_exp(popi_rng_t *r, double mean)
{
    return -mean * log1p(-popi_rng_uniform(r));
}

static popi_time_t draw_pause(popi_mobility_t *m, double lo, double hi)
{
    return popi_time_from_s(popi_rng_range(&m->rng, lo, hi));
}

/* Walk along the shortest path from (x, y) to (x1, y1) at speed; *t becomes the arrival time. */
static popi_err_t walk_to(popi_mobility_t *m, uint32_t a, popi_time_t *t, double x, double y,
                          double x1, double y1, double speed)
{
    popi_err_t rc = popi_world_path(m->world, x, y, x1, y1, &m->path);
    if (rc) return rc;
    *t = popi_mobility_push_path(m, a, &m->path, speed, *t);
    return POPI_OK;
}

/* Straight move from (x, y) to (x1, y1) (no leg if they coincide); returns the arrival time. */
static popi_time_t move_straight(popi_mobility_t *m, uint32_t a, popi_time_t t, double x, double y,
                                 double x1, double y1, double speed)
{
    m->path.n = 0;
    popi_path_push(&m->path, x, y);
    popi_path_push(&m->path, x1, y1);
    return popi_mobility_push_path(m, a, &m->path, speed, t);
}

/*
 * Longest distance d <= len along (c, s) from (x, y) whose segment is clear: len if nothing is
 * hit, else the hit distance minus a small back-off so that the end lies strictly inside free
 * cells (0 if there is no room).
 */
static double clear_distance(const popi_world_t *w, double x, double y, double c, double s,
                             double len)
{
    double hit = popi_world_segment_first_hit(w, x, y, x + len * c, y + len * s);
    if (hit > 1.0) return len;
    double back = BACKOFF_M;
    for (int k = 0; k < 60; k++, back *= 2.0) {
        double d = hit * len - back;
        if (d <= 0.0) return 0.0;
        if (popi_world_segment_clear(w, x, y, x + d * c, y + d * s)) return d;
    }
    return 0.0;
}

/* ---------------------------------------------------------------------------------------------- */
/* random_waypoint                                                                                */

static popi_err_t rwp_extend(popi_mobility_t *m, uint32_t a, popi_time_t t, double x, double y)
{
    const popi_mob_rwp_config_t *p = &m->cfg.random_waypoint;
    double dx, dy;
    popi_world_random_reachable_point(m->world, &m->rng, x, y, &dx, &dy);
    double speed = popi_rng_range(&m->rng, p->speed_min_mps, p->speed_max_mps);
    popi_err_t rc = walk_to(m, a, &t, x, y, dx, dy, speed);
    if (rc) return rc;
    popi_mobility_push_pause(m, a, dx, dy, t, draw_pause(m, p->pause_min_s, p->pause_max_s));
    return POPI_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* stop_and_go                                                                                    */

/* Inverse CDF of the Pareto(xmin, alpha) law truncated to [xmin, xmax]. */
static double truncated_pareto(double u, double xmin, double alpha, double xmax)
{
    double r = pow(xmin / xmax, alpha);
    return xmin * pow(1.0 - u * (1.0 - r), -1.0 / alpha);
}

static popi_err_t stopgo_extend(popi_mobility_t *m, uint32_t a, popi_time_t t, double x, double y)
{
    const popi_mob_stopgo_config_t *p = &m->cfg.stop_and_go;
    double len = draw_exp(&m->rng, p->walk_mean_m);
    double th = TWO_PI * popi_rng_uniform(&m->rng);
    double speed = popi_rng_range(&m->rng, p->speed_min_mps, p->speed_max_mps);
    double c = cos(th), s = sin(th);
    double d = clear_distance(m->world, x, y, c, s, len);
    double x1 = x, y1 = y;
    if (d > 0.0) {
        x1 = x + d * c;
        y1 = y + d * s;
        t = move_straight(m, a, t, x, y, x1, y1, speed);
    }
    double stop = truncated_pareto(popi_rng_uniform(&m->rng), p->pause_xmin_s, p->pause_alpha,
                                   p->pause_max_s);
    popi_mobility_push_pause(m, a, x1, y1, t, popi_time_from_s(stop));
    return POPI_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* crowd_seeking                                                                                  */

/* A destination drawn from the occupancy snapshot, reachable from (x, y); false if none found. */
static bool seek_destination(popi_mobility_t *m, popi_time_t t, double x, double y, double *dx,
                             double *dy)
{
    popi_mobility_occupancy_at(m, t);
    size_t nm = (size_t)m->omx * (size_t)m->omy;
    if (nm == 0) return false;
    double total = m->occ_weight[nm - 1];
    if (!(total > 0.0)) return false;
    const popi_world_t *w = m->world;
    int32_t comp = w->component[popi_world_cell_of(w, x, y)];
    for (int tries = 0; tries < 16; tries++) {
        double r = popi_rng_uniform(&m->rng) * total;
        size_t lo = 0, hi = nm - 1; /* first map cell with cumulative weight > r */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (m->occ_weight[mid] > r)
                hi = mid;
            else
                lo = mid + 1;
        }
        int32_t b = m->occ_start[lo], e = m->occ_start[lo + 1];
        POPI_ASSERT(e > b);
        int32_t c = m->occ_free_cell[b + (int32_t)popi_rng_below(&m->rng, (uint64_t)(e - b))];
        popi_world_random_point_in_cell(w, c, &m->rng, dx, dy);
        if (w->component[c] == comp) return true;
    }
    return false;
}

static popi_err_t seek_extend(popi_mobility_t *m, uint32_t a, popi_time_t t, double x, double y)
{
    const popi_mob_seek_config_t *p = &m->cfg.crowd_seeking;
    double dx, dy;
    bool seek = popi_rng_uniform(&m->rng) < p->seek_prob;
    if (!seek || !seek_destination(m, t, x, y, &dx, &dy))
        popi_world_random_reachable_point(m->world, &m->rng, x, y, &dx, &dy);
    double speed = popi_rng_range(&m->rng, p->speed_min_mps, p->speed_max_mps);
    popi_err_t rc = walk_to(m, a, &t, x, y, dx, dy, speed);
    if (rc) return rc;
    popi_mobility_push_pause(m, a, dx, dy, t, draw_pause(m, p->pause_min_s, p->pause_max_s));
    return POPI_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* back_and_forth                                                                                 */

static popi_err_t shuttle_init(popi_mobility_t *m, uint32_t a)
{
    const popi_mob_shuttle_config_t *p = &m->cfg.back_and_forth;
    const popi_world_t *w = m->world;
    popi_agent_state_t *st = &m->state[a];
    st->ax = m->q[a].end_x;
    st->ay = m->q[a].end_y;
    int32_t comp = w->component[popi_world_cell_of(w, st->ax, st->ay)];
    for (int tries = 0; tries < 1000; tries++) {
        double d = popi_rng_range(&m->rng, p->distance_min_m, p->distance_max_m);
        double th = TWO_PI * popi_rng_uniform(&m->rng);
        double bx = st->ax + d * cos(th), by = st->ay + d * sin(th);
        int32_t c = popi_world_cell_of(w, bx, by);
        if (c >= 0 && !w->blocked[c] && w->component[c] == comp) {
            st->bx = bx;
            st->by = by;
            st->phase = 0;
            return POPI_OK;
        }
    }
    popi_world_random_reachable_point(w, &m->rng, st->ax, st->ay, &st->bx, &st->by);
    st->phase = 0;
    return POPI_OK;
}

static popi_err_t shuttle_extend(popi_mobility_t *m, uint32_t a, popi_time_t t, double x, double y)
{
    const popi_mob_shuttle_config_t *p = &m->cfg.back_and_forth;
    popi_agent_state_t *st = &m->state[a];
    double gx = st->phase ? st->ax : st->bx, gy = st->phase ? st->ay : st->by;
    double speed = popi_rng_range(&m->rng, p->speed_min_mps, p->speed_max_mps);
    popi_err_t rc = walk_to(m, a, &t, x, y, gx, gy, speed);
    if (rc) return rc;
    popi_mobility_push_pause(m, a, gx, gy, t, draw_pause(m, p->pause_min_s, p->pause_max_s));
    st->phase ^= 1;
    return POPI_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* random_direction                                                                               */

static popi_err_t rdir_init(popi_mobility_t *m, uint32_t a)
{
    const popi_mob_rdir_config_t *p = &m->cfg.random_direction;
    popi_agent_state_t *st = &m->state[a];
    st->speed = popi_rng_range(&m->rng, p->speed_min_mps, p->speed_max_mps);
    st->dir = TWO_PI * popi_rng_uniform(&m->rng);
    st->run_left_s = draw_exp(&m->rng, p->turn_mean_s);
    return POPI_OK;
}

static popi_err_t rdir_extend(popi_mobility_t *m, uint32_t a, popi_time_t t, double x, double y)
{
    const popi_mob_rdir_config_t *p = &m->cfg.random_direction;
    const popi_world_t *w = m->world;
    popi_agent_state_t *st = &m->state[a];
    if (st->run_left_s <= 0.0) {
        st->dir = TWO_PI * popi_rng_uniform(&m->rng);
        st->run_left_s = draw_exp(&m->rng, p->turn_mean_s);
    }
    double c = cos(st->dir), s = sin(st->dir);
    double len = st->speed * st->run_left_s;
    /* Where the run would leave the world. The reflection point is put a hair inside the boundary
     * so that x0 + v*dt, rounded, still lies in the world. */
    const double mg = BOUNDARY_MARGIN * fmax(1.0, fmax(w->width_m, w->height_m));
    const double xlo = mg, xhi = w->width_m - mg, ylo = mg, yhi = w->height_m - mg;
    double fx = c > 0 ? (xhi - x) / (len * c) : c < 0 ? (xlo - x) / (len * c) : INFINITY;
    double fy = s > 0 ? (yhi - y) / (len * s) : s < 0 ? (ylo - y) / (len * s) : INFINITY;
    bool hit_x = fx < 1.0 && fx <= fy, hit_y = fy < 1.0 && fy <= fx;
    double x1 = x + len * c, y1 = y + len * s;
    if (hit_x || hit_y) {
        double f = fmax(0.0, fmin(fx, fy));
        x1 = hit_x ? (c > 0 ? xhi : xlo) : fmin(fmax(x + f * len * c, xlo), xhi);
        y1 = hit_y ? (s > 0 ? yhi : ylo) : fmin(fmax(y + f * len * s, ylo), yhi);
    }
    double hit = popi_world_segment_first_hit(w, x, y, x1, y1);
    if (hit <= 1.0) { /* an obstacle: stop just before it, then a new uniform heading */
        double d = clear_distance(w, x, y, c, s, hypot(x1 - x, y1 - y));
        popi_time_t t1 = t;
        if (d > 0.0) t1 = move_straight(m, a, t, x, y, x + d * c, y + d * s, st->speed);
        st->run_left_s -= (double)(t1 - t) * 1e-6;
        if (st->run_left_s < 1e-6) st->run_left_s = 0.0;
        st->dir = TWO_PI * popi_rng_uniform(&m->rng);
        return POPI_OK;
    }
    popi_time_t t1 = move_straight(m, a, t, x, y, x1, y1, st->speed);
    if (hit_x || hit_y) { /* specular reflection at the boundary; the run goes on */
        if (hit_x) st->dir = 0.5 * TWO_PI - st->dir;
        if (hit_y) st->dir = -st->dir;
        st->run_left_s -= (double)(t1 - t) * 1e-6;
        if (st->run_left_s < 1e-6) st->run_left_s = 0.0;
    } else {
        st->run_left_s = 0.0;
    }
    return POPI_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* the table                                                                                      */

static const popi_mobility_model_t model_rwp = {"random_waypoint", NULL, rwp_extend};
static const popi_mobility_model_t model_stopgo = {"stop_and_go", NULL, stopgo_extend};
static const popi_mobility_model_t model_seek = {"crowd_seeking", NULL, seek_extend};
static const popi_mobility_model_t model_shuttle = {"back_and_forth", shuttle_init, shuttle_extend};
static const popi_mobility_model_t model_rdir = {"random_direction", rdir_init, rdir_extend};

static const popi_mobility_model_t *const models[POPI_MOB__COUNT] = {
    [POPI_MOB_RANDOM_WAYPOINT] = &model_rwp,   [POPI_MOB_STOP_AND_GO] = &model_stopgo,
    [POPI_MOB_CROWD_SEEKING] = &model_seek,    [POPI_MOB_BACK_AND_FORTH] = &model_shuttle,
    [POPI_MOB_RANDOM_DIRECTION] = &model_rdir,
};

const popi_mobility_model_t *popi_mobility_model(popi_mobility_kind_t k)
{
    if ((int)k < 0 || k >= POPI_MOB__COUNT) return NULL;
    return models[k];
}
