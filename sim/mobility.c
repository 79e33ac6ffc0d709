/* SPDX-License-Identifier: MIT */
/*
 * mobility.c - the crowd's motion core: model assignment, placement, leg queues and advance().
 *
 * Central structure: popi_mobility_t with one ring buffer of legs per agent (popi_legq_t).
 * Invariant: the queued legs of an agent are contiguous in time (leg k+1 starts at the µs where
 * leg k ends) and in space (leg k+1 starts at the stored waypoint where leg k ends), and
 * q->end_t / end_x / end_y hold the exact end of the last leg (the start position before the
 * first one). Models (sim/mobility_models.c) only append through popi_mobility_push_*; the core
 * drops legs that lie wholly before the current window and asks the agent's model for more.
 * Model shares are exact counts by largest remainder, shuffled with the placement stream.
 */
#include "popi/mobility.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A model that appends nothing this many times in a row for one agent is a bug or a trap. */
#define MAX_STALLS 1000

/*
 * The mobility stream is counter-based (SplitMix64 behind GSL's generator interface), re-keyed
 * before every model call from (stream key, agent, time of the queue's end, stall count). So an
 * agent's trajectory depends on its own history only, never on how advance() windows are cut or
 * on the order in which agents are extended (crowd_seeking still sees its snapshot times).
 */
typedef struct {
    uint64_t key, ctr;
} keyed_state_t;

static uint64_t keyed_next(keyed_state_t *st)
{
    return popi_rng_mix64(st->key + UINT64_C(0x9e3779b97f4a7c15) * st->ctr++);
}

static void keyed_set(void *vs, unsigned long seed)
{
    keyed_state_t *st = vs;
    st->key = popi_rng_mix64((uint64_t)seed);
    st->ctr = 0;
}

static unsigned long keyed_get(void *vs)
{
    return (unsigned long)(keyed_next(vs) >> 32);
}

static double keyed_get_double(void *vs)
{
    return (double)(keyed_next(vs) >> 11) * (1.0 / 9007199254740992.0);
}

static const gsl_rng_type keyed_type = {"popi_keyed_splitmix64", 0xffffffffUL, 0,
                                        sizeof(keyed_state_t),   keyed_set,    keyed_get,
                                        keyed_get_double};

static void rekey(popi_mobility_t *m, uint64_t a, uint64_t word, uint64_t stalls)
{
    keyed_state_t *st = m->rng.g->state;
    st->key = popi_rng_key3(popi_rng_key3(m->rng.key, a, word), stalls, 0);
    st->ctr = 0;
}

const char *popi_mobility_kind_name(popi_mobility_kind_t k)
{
    const popi_mobility_model_t *mm = popi_mobility_model(k);
    return mm ? mm->name : "unknown";
}

/* ---------------------------------------------------------------------------------------------- */
/* parameter checks                                                                               */

static double fraction_of(const popi_mobility_config_t *c, int k)
{
    switch (k) {
    case POPI_MOB_RANDOM_WAYPOINT:
        return c->random_waypoint.fraction;
    case POPI_MOB_STOP_AND_GO:
        return c->stop_and_go.fraction;
    case POPI_MOB_CROWD_SEEKING:
        return c->crowd_seeking.fraction;
    case POPI_MOB_BACK_AND_FORTH:
        return c->back_and_forth.fraction;
    default:
        return c->random_direction.fraction;
    }
}

static popi_err_t need_pos(const char *model, const char *key, double v)
{
    if (isfinite(v) && v > 0.0) return POPI_OK;
    return popi_err_set(POPI_EINVAL, "mobility: mobility.%s.%s must be > 0, got %g", model, key, v);
}

static popi_err_t need_nonneg(const char *model, const char *key, double v)
{
    if (isfinite(v) && v >= 0.0) return POPI_OK;
    return popi_err_set(POPI_EINVAL, "mobility: mobility.%s.%s must be >= 0, got %g", model, key,
                        v);
}

static popi_err_t need_le(const char *model, const char *key_lo, double lo, const char *key_hi,
                          double hi)
{
    if (lo <= hi) return POPI_OK;
    return popi_err_set(POPI_EINVAL, "mobility: mobility.%s.%s = %g must be <= mobility.%s.%s = %g",
                        model, key_lo, lo, model, key_hi, hi);
}

static popi_err_t check_speeds(const char *model, double lo, double hi)
{
    popi_err_t rc;
    if ((rc = need_pos(model, "speed_min_mps", lo))) return rc;
    if ((rc = need_pos(model, "speed_max_mps", hi))) return rc;
    return need_le(model, "speed_min_mps", lo, "speed_max_mps", hi);
}

static popi_err_t check_pauses(const char *model, double lo, double hi)
{
    popi_err_t rc;
    if ((rc = need_nonneg(model, "pause_min_s", lo))) return rc;
    if ((rc = need_nonneg(model, "pause_max_s", hi))) return rc;
    return need_le(model, "pause_min_s", lo, "pause_max_s", hi);
}

/* Parameters of the models that have agents (a model with fraction 0 is never consulted). */
static popi_err_t check_config(const popi_mobility_config_t *c)
{
    double sum = 0.0;
    for (int k = 0; k < POPI_MOB__COUNT; k++) {
        double f = fraction_of(c, k);
        if (!(f >= 0.0 && f <= 1.0))
            return popi_err_set(POPI_EINVAL,
                                "mobility: mobility.%s.fraction must be in [0, 1], got %g",
                                popi_mobility_kind_name((popi_mobility_kind_t)k), f);
        sum += f;
    }
    if (fabs(sum - 1.0) > 1e-9)
        return popi_err_set(
            POPI_EINVAL,
            "mobility: mobility.random_waypoint.fraction + mobility.stop_and_go.fraction "
            "+ mobility.crowd_seeking.fraction + mobility.back_and_forth.fraction + "
            "mobility.random_direction.fraction must sum to 1, got %.12g",
            sum);
    popi_err_t rc;
    if (c->random_waypoint.fraction > 0) {
        const popi_mob_rwp_config_t *p = &c->random_waypoint;
        if ((rc = check_speeds("random_waypoint", p->speed_min_mps, p->speed_max_mps))) return rc;
        if ((rc = check_pauses("random_waypoint", p->pause_min_s, p->pause_max_s))) return rc;
    }
    if (c->stop_and_go.fraction > 0) {
        const popi_mob_stopgo_config_t *p = &c->stop_and_go;
        const char *md = "stop_and_go";
        if ((rc = check_speeds(md, p->speed_min_mps, p->speed_max_mps))) return rc;
        if ((rc = need_pos(md, "walk_mean_m", p->walk_mean_m))) return rc;
        if ((rc = need_pos(md, "pause_xmin_s", p->pause_xmin_s))) return rc;
        if ((rc = need_pos(md, "pause_alpha", p->pause_alpha))) return rc;
        if ((rc = need_pos(md, "pause_max_s", p->pause_max_s))) return rc;
        if ((rc = need_le(md, "pause_xmin_s", p->pause_xmin_s, "pause_max_s", p->pause_max_s)))
            return rc;
    }
    if (c->crowd_seeking.fraction > 0) {
        const popi_mob_seek_config_t *p = &c->crowd_seeking;
        const char *md = "crowd_seeking";
        if ((rc = check_speeds(md, p->speed_min_mps, p->speed_max_mps))) return rc;
        if ((rc = check_pauses(md, p->pause_min_s, p->pause_max_s))) return rc;
        if (!(p->seek_prob >= 0.0 && p->seek_prob <= 1.0))
            return popi_err_set(
                POPI_EINVAL, "mobility: mobility.crowd_seeking.seek_prob must be in [0, 1], got %g",
                p->seek_prob);
        if ((rc = need_nonneg(md, "gamma", p->gamma))) return rc;
        if ((rc = need_pos(md, "map_cell_m", p->map_cell_m))) return rc;
        if ((rc = need_pos(md, "refresh_s", p->refresh_s))) return rc;
    }
    if (c->back_and_forth.fraction > 0) {
        const popi_mob_shuttle_config_t *p = &c->back_and_forth;
        const char *md = "back_and_forth";
        if ((rc = check_speeds(md, p->speed_min_mps, p->speed_max_mps))) return rc;
        if ((rc = check_pauses(md, p->pause_min_s, p->pause_max_s))) return rc;
        if ((rc = need_nonneg(md, "distance_min_m", p->distance_min_m))) return rc;
        if ((rc = need_pos(md, "distance_max_m", p->distance_max_m))) return rc;
        if ((rc = need_le(md, "distance_min_m", p->distance_min_m, "distance_max_m",
                          p->distance_max_m)))
            return rc;
    }
    if (c->random_direction.fraction > 0) {
        const popi_mob_rdir_config_t *p = &c->random_direction;
        if ((rc = check_speeds("random_direction", p->speed_min_mps, p->speed_max_mps))) return rc;
        if ((rc = need_pos("random_direction", "turn_mean_s", p->turn_mean_s))) return rc;
    }
    return POPI_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* set-up                                                                                         */

/* Exact counts per model: floors of f*n, the remainder to the largest fractional parts. */
static void largest_remainder(const popi_mobility_config_t *c, uint32_t n,
                              uint32_t count[POPI_MOB__COUNT])
{
    double f[POPI_MOB__COUNT], rem[POPI_MOB__COUNT], sum = 0.0;
    for (int k = 0; k < POPI_MOB__COUNT; k++)
        sum += f[k] = fraction_of(c, k);
    int64_t left = n;
    for (int k = 0; k < POPI_MOB__COUNT; k++) {
        double exact = f[k] / sum * (double)n;
        double fl = floor(exact);
        count[k] = (uint32_t)fl;
        rem[k] = exact - fl;
        left -= count[k];
    }
    POPI_ASSERT(left >= 0 && left <= POPI_MOB__COUNT);
    while (left-- > 0) { /* largest remainder first; ties go to the lower kind */
        int best = -1;
        for (int k = 0; k < POPI_MOB__COUNT; k++)
            if (f[k] > 0 && (best < 0 || rem[k] > rem[best])) best = k;
        POPI_ASSERT(best >= 0);
        count[best]++;
        rem[best] = -1.0;
    }
}

/* Map cell (of the crowd_seeking occupancy grid) that holds the centre of world cell c. */
static int32_t map_cell_of(const popi_mobility_t *m, int32_t c)
{
    const popi_world_t *w = m->world;
    double mc = m->cfg.crowd_seeking.map_cell_m;
    double xc = w->cell_m * ((double)(c % w->nx) + 0.5),
           yc = w->cell_m * ((double)(c / w->nx) + 0.5);
    int32_t mx = (int32_t)floor(xc / mc), my = (int32_t)floor(yc / mc);
    if (mx >= m->omx) mx = m->omx - 1;
    if (my >= m->omy) my = m->omy - 1;
    return my * m->omx + mx;
}

static popi_err_t build_occupancy_map(popi_mobility_t *m)
{
    const popi_world_t *w = m->world;
    double mc = m->cfg.crowd_seeking.map_cell_m;
    double omx = ceil(w->width_m / mc - 1e-9), omy = ceil(w->height_m / mc - 1e-9);
    if (omx < 1) omx = 1;
    if (omy < 1) omy = 1;
    if (omx * omy > 5e7)
        return popi_err_set(
            POPI_EINVAL,
            "mobility: mobility.crowd_seeking.map_cell_m = %g m gives %g map cells; "
            "make it larger",
            mc, omx * omy);
    m->omx = (int32_t)omx;
    m->omy = (int32_t)omy;
    size_t nm = (size_t)m->omx * (size_t)m->omy;
    m->occ_weight = popi_xcalloc(nm, sizeof *m->occ_weight);
    m->occ_start = popi_xcalloc(nm + 1, sizeof *m->occ_start);
    m->occ_free_cell = popi_xmalloc((size_t)w->n_free * sizeof *m->occ_free_cell);
    /* counting sort of the free cells by map cell */
    for (int32_t k = 0; k < w->n_free; k++)
        m->occ_start[map_cell_of(m, w->free_cells[k]) + 1]++;
    for (size_t i = 0; i < nm; i++)
        m->occ_start[i + 1] += m->occ_start[i];
    int32_t *fill = popi_xmalloc(nm * sizeof *fill);
    memcpy(fill, m->occ_start, nm * sizeof *fill);
    for (int32_t k = 0; k < w->n_free; k++) {
        int32_t c = w->free_cells[k];
        m->occ_free_cell[fill[map_cell_of(m, c)]++] = c;
    }
    free(fill);
    return POPI_OK;
}

popi_err_t popi_mobility_init(popi_mobility_t *m, const popi_mobility_config_t *cfg,
                              const popi_world_t *w, uint32_t n_agents, uint64_t seed,
                              uint64_t run_index)
{
    memset(m, 0, sizeof *m);
    m->occ_time = -1;
    m->last_from = -1;
    m->occ_period = popi_time_from_s(cfg->crowd_seeking.refresh_s);
    if (m->occ_period < 1) m->occ_period = 1;
    popi_err_t rc = check_config(cfg);
    if (rc) return rc;
    if (!w || w->n_free <= 0)
        return popi_err_set(POPI_EINVAL, "mobility: the world has no free cell to place agents in");
    m->world = w;
    m->cfg = *cfg;
    uint32_t count[POPI_MOB__COUNT];
    largest_remainder(cfg, n_agents, count);

    m->kind = popi_xcalloc(n_agents, sizeof *m->kind);
    m->state = popi_xcalloc(n_agents, sizeof *m->state);
    m->q = popi_xcalloc(n_agents, sizeof *m->q);
    m->heap = popi_xcalloc(n_agents, sizeof *m->heap);
    m->n = n_agents;
    for (uint32_t k = 0, a = 0; k < POPI_MOB__COUNT; k++)
        for (uint32_t i = 0; i < count[k]; i++)
            m->kind[a++] = (uint8_t)k;

    /* placement stream: a random permutation of the kinds, then uniform start positions */
    popi_rng_t place;
    popi_rng_init(&place, seed, run_index, POPI_STREAM_PLACEMENT);
    for (uint32_t i = n_agents; i > 1; i--) {
        uint32_t j = (uint32_t)popi_rng_below(&place, i);
        uint8_t t = m->kind[i - 1];
        m->kind[i - 1] = m->kind[j];
        m->kind[j] = t;
    }
    for (uint32_t a = 0; a < n_agents; a++) {
        popi_world_random_free_point(w, &place, &m->q[a].end_x, &m->q[a].end_y);
        m->q[a].end_t = 0;
    }
    popi_rng_destroy(&place);

    m->rng.key = popi_rng_key3(seed, run_index, POPI_STREAM_MOBILITY);
    m->rng.g = gsl_rng_alloc(&keyed_type);
    if (!m->rng.g) popi_xmalloc(SIZE_MAX); /* GSL returns NULL only when out of memory */
    if (count[POPI_MOB_CROWD_SEEKING] > 0 && (rc = build_occupancy_map(m))) goto fail;
    for (uint32_t a = 0; a < n_agents; a++) {
        const popi_mobility_model_t *mm = popi_mobility_model((popi_mobility_kind_t)m->kind[a]);
        rekey(m, a, UINT64_MAX, 0);
        if (mm->init_agent && (rc = mm->init_agent(m, a))) {
            popi_err_wrap(rc, "mobility: agent %u (%s)", a, mm->name);
            goto fail;
        }
    }
    return POPI_OK;
fail:
    popi_mobility_destroy(m);
    return rc;
}

void popi_mobility_destroy(popi_mobility_t *m)
{
    if (!m) return;
    if (m->q)
        for (uint32_t a = 0; a < m->n; a++)
            free(m->q[a].legs);
    free(m->q);
    free(m->kind);
    free(m->state);
    popi_rng_destroy(&m->rng);
    popi_path_destroy(&m->path);
    free(m->occ_weight);
    free(m->occ_free_cell);
    free(m->occ_start);
    free(m->heap);
    memset(m, 0, sizeof *m);
    m->occ_time = -1;
    m->last_from = -1;
}

/* ---------------------------------------------------------------------------------------------- */
/* leg queues                                                                                     */

static void ring_push(popi_mobility_t *m, uint32_t a, const popi_leg_t *leg, double end_x,
                      double end_y)
{
    popi_legq_t *q = &m->q[a];
    POPI_ASSERT(leg->t1 > leg->t0 && leg->t0 == q->end_t);
    if (q->len == q->cap) {
        uint32_t nc = q->cap ? 2 * q->cap : 8;
        popi_leg_t *nl = popi_xmalloc((size_t)nc * sizeof *nl);
        for (uint32_t k = 0; k < q->len; k++)
            nl[k] = q->legs[(q->head + k) % q->cap];
        free(q->legs);
        q->legs = nl;
        q->head = 0;
        q->cap = nc;
    }
    q->legs[(q->head + q->len) % q->cap] = *leg;
    q->len++;
    q->end_t = leg->t1;
    q->end_x = end_x;
    q->end_y = end_y;
    m->n_legs_generated++;
}

void popi_mobility_push_leg(popi_mobility_t *m, uint32_t a, const popi_leg_t *leg)
{
    const popi_legq_t *q = &m->q[a];
    POPI_ASSERT(fabs(leg->x0 - q->end_x) <= 1e-6 && fabs(leg->y0 - q->end_y) <= 1e-6);
    double dt = (double)(leg->t1 - leg->t0) * 1e-6;
    ring_push(m, a, leg, leg->x0 + leg->vx * dt, leg->y0 + leg->vy * dt);
}

popi_time_t popi_mobility_push_path(popi_mobility_t *m, uint32_t a, const popi_path_t *path,
                                    double speed, popi_time_t t)
{
    POPI_ASSERT(speed > 0.0 && t == m->q[a].end_t);
    for (size_t k = 1; k < path->n; k++) {
        /* each leg starts at the stored waypoint where the previous one ended */
        double x0 = m->q[a].end_x, y0 = m->q[a].end_y;
        double dx = path->x[k] - x0, dy = path->y[k] - y0;
        double len = hypot(dx, dy);
        if (len == 0.0) continue;
        long long dur = llround(len / speed * 1e6);
        if (dur < 1) dur = 1;
        double secs = (double)dur * 1e-6;
        popi_leg_t leg = {
            .t0 = t, .t1 = t + dur, .x0 = x0, .y0 = y0, .vx = dx / secs, .vy = dy / secs};
        ring_push(m, a, &leg, path->x[k], path->y[k]);
        t += dur;
    }
    return t;
}

popi_time_t popi_mobility_push_pause(popi_mobility_t *m, uint32_t a, double x, double y,
                                     popi_time_t t, popi_time_t dur)
{
    if (dur <= 0) return t;
    const popi_legq_t *q = &m->q[a];
    POPI_ASSERT(t == q->end_t && fabs(x - q->end_x) <= 1e-6 && fabs(y - q->end_y) <= 1e-6);
    popi_leg_t leg = {.t0 = t, .t1 = t + dur, .x0 = q->end_x, .y0 = q->end_y, .vx = 0.0, .vy = 0.0};
    ring_push(m, a, &leg, q->end_x, q->end_y);
    return t + dur;
}

void popi_mobility_position(const popi_mobility_t *m, uint32_t a, popi_time_t t, double *x,
                            double *y)
{
    const popi_legq_t *q = &m->q[a];
    if (q->len == 0 || t == q->end_t) {
        *x = q->end_x;
        *y = q->end_y;
        return;
    }
    POPI_ASSERT(t >= popi_mobility_leg(m, a, 0)->t0 && t <= q->end_t);
    uint32_t lo = 0, hi = q->len - 1; /* last leg with t0 <= t */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (popi_mobility_leg(m, a, mid)->t0 <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    const popi_leg_t *leg = popi_mobility_leg(m, a, lo);
    double dt = (double)(t - leg->t0) * 1e-6;
    *x = leg->x0 + leg->vx * dt;
    *y = leg->y0 + leg->vy * dt;
}

/* Drop legs that end at or before t, keeping at least the last one. */
static void drop_before(popi_legq_t *q, popi_time_t t)
{
    while (q->len > 1 && q->legs[q->head].t1 <= t) {
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
}

/*
 * Occupancy snapshot at t for crowd_seeking: every agent (of any model, the chooser included) is
 * counted in the map cell that holds the centre of its world cell; occ_weight becomes the running
 * sum of count^gamma over the map cells that contain a free world cell.
 */
static void occupancy_snapshot(popi_mobility_t *m, popi_time_t t)
{
    size_t nm = (size_t)m->omx * (size_t)m->omy;
    double *wgt = m->occ_weight;
    memset(wgt, 0, nm * sizeof *wgt);
    for (uint32_t a = 0; a < m->n; a++) {
        double x, y;
        if (t >= m->q[a].end_t) { /* queue ran dry before t (windows with gaps): last known point */
            x = m->q[a].end_x;
            y = m->q[a].end_y;
        } else if (m->q[a].len > 0 && t < popi_mobility_leg(m, a, 0)->t0) { /* before what is kept */
            x = popi_mobility_leg(m, a, 0)->x0;
            y = popi_mobility_leg(m, a, 0)->y0;
        } else {
            popi_mobility_position(m, a, t, &x, &y);
        }
        int32_t c = popi_world_cell_of(m->world, x, y);
        POPI_ASSERT(c >= 0);
        wgt[map_cell_of(m, c)] += 1.0;
    }
    double gamma = m->cfg.crowd_seeking.gamma, acc = 0.0;
    for (size_t i = 0; i < nm; i++) {
        bool eligible = m->occ_start[i + 1] > m->occ_start[i];
        acc += eligible ? pow(wgt[i], gamma)
                        : 0.0; /* pow(0, 0) = 1: gamma 0 is uniform over map cells */
        wgt[i] = acc;
    }
}

void popi_mobility_occupancy_at(popi_mobility_t *m, popi_time_t t)
{
    popi_time_t s = t / m->occ_period * m->occ_period;
    if (s == m->occ_time) return;
    occupancy_snapshot(m, s);
    m->occ_time = s;
}

/* Min-heap of agents keyed by (end of queue, index): extension in time order. */
static bool heap_less(const popi_mobility_t *m, uint32_t a, uint32_t b)
{
    popi_time_t ta = m->q[a].end_t, tb = m->q[b].end_t;
    return ta < tb || (ta == tb && a < b);
}

static void heap_down(popi_mobility_t *m, uint32_t *h, uint32_t n, uint32_t pos)
{
    uint32_t x = h[pos];
    for (;;) {
        uint32_t l = 2 * pos + 1, best;
        if (l >= n) break;
        best = (l + 1 < n && heap_less(m, h[l + 1], h[l])) ? l + 1 : l;
        if (!heap_less(m, h[best], x)) break;
        h[pos] = h[best];
        pos = best;
    }
    h[pos] = x;
}

popi_err_t popi_mobility_advance(popi_mobility_t *m, popi_time_t t_from, popi_time_t t_to)
{
    if (t_from < 0 || t_to < t_from)
        return popi_err_set(POPI_EINVAL,
                            "mobility_advance: need 0 <= t_from <= t_to, got [%lld, %lld] us",
                            (long long)t_from, (long long)t_to);
    if (m->last_from >= 0 && t_from < m->last_from)
        return popi_err_set(
            POPI_ESTATE,
            "mobility_advance: t_from = %lld us is before the previous t_from = %lld us",
            (long long)t_from, (long long)m->last_from);
    m->last_from = t_from;
    /* crowd_seeking may look back one snapshot period: keep the legs that cover it */
    popi_time_t keep = m->omx > 0 ? t_from - m->occ_period : t_from;
    if (keep < 0) keep = 0;
    for (uint32_t a = 0; a < m->n; a++)
        drop_before(&m->q[a], keep);
    /* extend agents in order of their queue ends, one model step at a time */
    uint32_t *h = m->heap, n = 0;
    for (uint32_t a = 0; a < m->n; a++)
        if (m->q[a].len == 0 || m->q[a].end_t < t_to) h[n++] = a;
    for (uint32_t k = n / 2; k-- > 0;)
        heap_down(m, h, n, k);
    int stalls = 0;
    while (n > 0) {
        uint32_t a = h[0];
        popi_legq_t *q = &m->q[a];
        const popi_mobility_model_t *mm = popi_mobility_model((popi_mobility_kind_t)m->kind[a]);
        popi_time_t before = q->end_t;
        uint32_t len_before = q->len;
        rekey(m, a, (uint64_t)q->end_t, (uint64_t)stalls);
        popi_err_t rc = mm->extend(m, a, q->end_t, q->end_x, q->end_y);
        if (rc) return popi_err_wrap(rc, "mobility_advance: agent %u (%s)", a, mm->name);
        if (q->end_t == before && q->len == len_before) {
            if (++stalls >= MAX_STALLS)
                return popi_err_set(POPI_ESTATE,
                                    "mobility_advance: agent %u (%s) at (%g, %g) made no move in %d "
                                    "tries (zero pauses and no room to move?)",
                                    a, mm->name, q->end_x, q->end_y, MAX_STALLS);
        } else {
            stalls = 0;
        }
        if (q->len > 0 && q->end_t >= t_to) h[0] = h[--n];
        if (n > 0) heap_down(m, h, n, 0);
    }
    return POPI_OK;
}
