/* SPDX-License-Identifier: MIT */
/*
 * contact.c - exact proximity intervals by a bucketed kinetic sweep.
 *
 * Per bucket [T0, T1): (1) mobility covers the bucket; (2) each agent's motion in the bucket is cut
 * into pieces (one per leg overlapping it) in bucket-relative seconds, with its position at T0 and
 * its reach (largest displacement from it); (3) agents are counting-sorted into a grid of cell
 * >= range + 2 * max reach, so a pair that can meet lies in the 3x3 block; (4) OpenMP threads scan
 * half-stencils, filter by |p_i - p_j| <= range + reach_i + reach_j and solve the pair exactly on
 * the merged piece boundaries; (5) hits are radix-sorted by pair key and merged with the sorted set
 * of intervals open at T0. Invariant: `active` holds exactly the pairs within range at T0, sorted
 * by key, each with its start time. Output order and values depend only on the scenario.
 */
#include "popi/contact.h"

#include "contact_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define JOIN_EPS CONTACT_JOIN_EPS_S

typedef struct {
    double t0, t1; /* bucket-relative s */
    double x, y;   /* position at t0 */
    double vx, vy;
} piece_t;

typedef struct {
    uint64_t key; /* i << 32 | j, i < j */
    double a, b;  /* in-range interval, bucket-relative s */
    double dmin;  /* minimum distance over [a, b] */
} hit_t;

typedef struct {
    uint64_t key;
    popi_time_t t_start;
    double dmin;
    popi_radio_pair_t radio;
} active_t;

typedef struct {
    hit_t *v;
    size_t n, cap;
    uint64_t tested, solved;
    char pad[64];
} hitbuf_t;

struct popi_contact_engine {
    popi_contact_config_t cfg;
    popi_mobility_t *mob;
    popi_radio_t *radio;
    popi_contact_sink_t sink;
    int threads;
    uint32_t n;
    popi_time_t now;    /* everything before now has been swept */
    popi_time_t bucket; /* µs */
    double r, r2;
    popi_time_t min_duration;
    /* per-bucket agent data */
    double *px, *py, *reach;
    uint32_t *piece_off;
    piece_t *pieces;
    size_t n_pieces, pieces_cap;
    /* grid */
    double cell;
    int32_t gnx, gny;
    uint32_t *cell_start;
    size_t cell_cap;
    uint32_t *cell_agents;
    uint32_t *agent_cell;
    /* agents in cell order (structure of arrays, so the candidate scan reads memory in order) */
    double *sx, *sy, *sr, *svx, *svy;
    uint8_t *single; /* 1 if the agent moves on one piece over the whole bucket */
    /* hits */
    hitbuf_t *tbuf;
    hit_t *hits, *hits_tmp;
    size_t n_hits, hits_cap;
    /* open intervals */
    active_t *active, *active_next;
    size_t n_active, active_cap, active_next_cap;
    popi_contact_stats_t stats;
    size_t radix_cnt[2048 + 1];
};

/* ---------------------------------------------------------------------------------------------- */
/* The exact pair solver                                                                           */

bool popi_contact_solve(double px, double py, double vx, double vy, double r, double span, double *a,
                        double *b, double *dmin)
{
    return contact_solve(px, py, vx, vy, r, span, a, b, dmin);
}

/* Solve a pair over its pieces, appending merged in-range intervals to buf. */
static void solve_pair(const popi_contact_engine_t *e, uint32_t i, uint32_t j, double span,
                       hitbuf_t *buf)
{
    const piece_t *pi = e->pieces + e->piece_off[i], *pi_end = e->pieces + e->piece_off[i + 1];
    const piece_t *pj = e->pieces + e->piece_off[j], *pj_end = e->pieces + e->piece_off[j + 1];
    uint64_t key = ((uint64_t)i << 32) | j;
    double u = 0.0;
    bool open = false;
    hit_t cur = {key, 0, 0, INFINITY};
    buf->solved++;
    while (pi < pi_end && pj < pj_end) {
        double w = pi->t1 < pj->t1 ? pi->t1 : pj->t1;
        if (w > u) {
            double xi = pi->x + pi->vx * (u - pi->t0), yi = pi->y + pi->vy * (u - pi->t0);
            double xj = pj->x + pj->vx * (u - pj->t0), yj = pj->y + pj->vy * (u - pj->t0);
            double a, b, dmin;
            bool last = w >= span;
            double sub_span = last ? span - u : w - u;
            if (contact_solve(xj - xi, yj - yi, pj->vx - pi->vx, pj->vy - pi->vy, e->r, sub_span,
                                   &a, &b, &dmin)) {
                a += u;
                b = (b >= sub_span) ? (last ? span : w) : b + u;
                if (open && a - cur.b <= JOIN_EPS) {
                    cur.b = b;
                    if (dmin < cur.dmin) cur.dmin = dmin;
                } else {
                    if (open) {
                        POPI_GROW(buf->v, buf->cap, buf->n + 1);
                        buf->v[buf->n++] = cur;
                    }
                    cur.a = a < JOIN_EPS ? 0.0 : a;
                    cur.b = b;
                    cur.dmin = dmin;
                    open = true;
                }
            }
            u = w;
        }
        if (pi->t1 <= w) pi++;
        if (pj->t1 <= w) pj++;
    }
    if (open) {
        if (span - cur.b <= JOIN_EPS) cur.b = span;
        POPI_GROW(buf->v, buf->cap, buf->n + 1);
        buf->v[buf->n++] = cur;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Engine                                                                                          */

popi_err_t popi_contact_create(popi_contact_engine_t **out, const popi_contact_config_t *cfg,
                               popi_mobility_t *mob, popi_radio_t *radio, popi_contact_sink_t sink,
                               int threads)
{
    *out = NULL;
    if (!(cfg->range_m > 0.0))
        return popi_err_set(POPI_EINVAL, "contact: contact.range_m must be > 0 m, got %g", cfg->range_m);
    if (!(cfg->bucket_s > 0.0))
        return popi_err_set(POPI_EINVAL, "contact: contact.bucket_s must be > 0 s, got %g", cfg->bucket_s);
    if (!(cfg->min_duration_s >= 0.0))
        return popi_err_set(POPI_EINVAL, "contact: contact.min_duration_s must be >= 0 s, got %g",
                            cfg->min_duration_s);
    if (threads < 1)
        return popi_err_set(POPI_EINVAL, "contact: threads must be >= 1, got %d", threads);
    popi_contact_engine_t *e = popi_xcalloc(1, sizeof *e);
    e->cfg = *cfg;
    e->mob = mob;
    e->radio = radio;
    e->sink = sink;
    e->threads = threads;
    e->n = mob->n;
    e->r = cfg->range_m;
    e->r2 = cfg->range_m * cfg->range_m;
    e->bucket = popi_time_from_s(cfg->bucket_s);
    if (e->bucket < 1) e->bucket = 1;
    e->min_duration = popi_time_from_s(cfg->min_duration_s);
    size_t n = e->n;
    e->px = popi_xmalloc((n + 1) * sizeof *e->px);
    e->py = popi_xmalloc((n + 1) * sizeof *e->py);
    e->reach = popi_xmalloc((n + 1) * sizeof *e->reach);
    e->piece_off = popi_xmalloc((n + 1) * sizeof *e->piece_off);
    e->cell_agents = popi_xmalloc((n + 1) * sizeof *e->cell_agents);
    e->agent_cell = popi_xmalloc((n + 1) * sizeof *e->agent_cell);
    e->sx = popi_xmalloc((n + 1) * sizeof *e->sx);
    e->sy = popi_xmalloc((n + 1) * sizeof *e->sy);
    e->sr = popi_xmalloc((n + 1) * sizeof *e->sr);
    e->svx = popi_xmalloc((n + 1) * sizeof *e->svx);
    e->svy = popi_xmalloc((n + 1) * sizeof *e->svy);
    e->single = popi_xmalloc((n + 1) * sizeof *e->single);
    e->tbuf = popi_xcalloc((size_t)threads, sizeof *e->tbuf);
    *out = e;
    return POPI_OK;
}

void popi_contact_free(popi_contact_engine_t *e)
{
    if (!e) return;
    free(e->px);
    free(e->py);
    free(e->reach);
    free(e->piece_off);
    free(e->pieces);
    free(e->cell_start);
    free(e->cell_agents);
    free(e->agent_cell);
    free(e->sx);
    free(e->sy);
    free(e->sr);
    free(e->svx);
    free(e->svy);
    free(e->single);
    if (e->tbuf)
        for (int t = 0; t < e->threads; t++) free(e->tbuf[t].v);
    free(e->tbuf);
    free(e->hits);
    free(e->hits_tmp);
    free(e->active);
    free(e->active_next);
    free(e);
}

popi_contact_stats_t popi_contact_stats(const popi_contact_engine_t *e)
{
    popi_contact_stats_t s = e->stats;
    s.open_now = e->n_active;
    return s;
}

/* Cut every agent's legs into bucket pieces; compute positions at T0 and reaches. */
static double build_pieces(popi_contact_engine_t *e, popi_time_t T0, popi_time_t T1)
{
    const popi_mobility_t *m = e->mob;
    double max_reach = 0.0;
    e->n_pieces = 0;
    for (uint32_t a = 0; a < e->n; a++) {
        e->piece_off[a] = (uint32_t)e->n_pieces;
        uint32_t nl = popi_mobility_n_legs(m, a);
        double reach = 0.0;
        bool first = true;
        for (uint32_t k = 0; k < nl; k++) {
            const popi_leg_t *L = popi_mobility_leg(m, a, k);
            if (L->t1 <= T0) continue;
            if (L->t0 >= T1) break;
            popi_time_t s0 = L->t0 > T0 ? L->t0 : T0, s1 = L->t1 < T1 ? L->t1 : T1;
            double dt0 = (double)(s0 - L->t0) * 1e-6;
            POPI_GROW(e->pieces, e->pieces_cap, e->n_pieces + 1);
            piece_t *p = &e->pieces[e->n_pieces++];
            p->t0 = (double)(s0 - T0) * 1e-6;
            p->t1 = (double)(s1 - T0) * 1e-6;
            p->x = L->x0 + L->vx * dt0;
            p->y = L->y0 + L->vy * dt0;
            p->vx = L->vx;
            p->vy = L->vy;
            if (first) {
                e->px[a] = p->x;
                e->py[a] = p->y;
                first = false;
            }
            double ex = p->x + p->vx * (p->t1 - p->t0) - e->px[a];
            double ey = p->y + p->vy * (p->t1 - p->t0) - e->py[a];
            double d = sqrt(ex * ex + ey * ey);
            if (d > reach) reach = d;
        }
        POPI_ASSERT(!first); /* mobility guarantees coverage of [T0, T1] */
        e->reach[a] = reach;
        if (reach > max_reach) max_reach = reach;
    }
    e->piece_off[e->n] = (uint32_t)e->n_pieces;
    return max_reach;
}

static void build_grid(popi_contact_engine_t *e, double max_reach)
{
    const popi_world_t *w = e->mob->world;
    double cell = e->r + 2.0 * max_reach;
    /* keep the grid no larger than ~4 cells per agent: a coarser grid only adds candidates */
    double min_cell = sqrt(w->width_m * w->height_m / (4.0 * (double)(e->n ? e->n : 1)));
    if (cell < min_cell) cell = min_cell;
    e->cell = cell;
    e->gnx = (int32_t)ceil(w->width_m / cell);
    e->gny = (int32_t)ceil(w->height_m / cell);
    if (e->gnx < 1) e->gnx = 1;
    if (e->gny < 1) e->gny = 1;
    size_t nc = (size_t)e->gnx * (size_t)e->gny;
    POPI_GROW(e->cell_start, e->cell_cap, nc + 1);
    memset(e->cell_start, 0, (nc + 1) * sizeof *e->cell_start);
    for (uint32_t a = 0; a < e->n; a++) {
        int32_t cx = (int32_t)(e->px[a] / cell), cy = (int32_t)(e->py[a] / cell);
        if (cx < 0) cx = 0;
        if (cy < 0) cy = 0;
        if (cx >= e->gnx) cx = e->gnx - 1;
        if (cy >= e->gny) cy = e->gny - 1;
        uint32_t c = (uint32_t)cy * (uint32_t)e->gnx + (uint32_t)cx;
        e->agent_cell[a] = c;
        e->cell_start[c + 1]++;
    }
    for (size_t c = 0; c < nc; c++) e->cell_start[c + 1] += e->cell_start[c];
    /* stable fill: agents of a cell in ascending index order */
    for (uint32_t a = 0; a < e->n; a++) e->cell_agents[e->cell_start[e->agent_cell[a]]++] = a;
    for (size_t c = nc; c > 0; c--) e->cell_start[c] = e->cell_start[c - 1];
    e->cell_start[0] = 0;
    for (uint32_t k = 0; k < e->n; k++) {
        uint32_t a = e->cell_agents[k];
        const piece_t *p = &e->pieces[e->piece_off[a]];
        e->sx[k] = e->px[a];
        e->sy[k] = e->py[a];
        e->sr[k] = e->reach[a];
        e->single[k] = e->piece_off[a + 1] - e->piece_off[a] == 1;
        e->svx[k] = p->vx;
        e->svy[k] = p->vy;
    }
}

static void push_hit(hitbuf_t *buf, uint64_t key, double a, double b, double dmin)
{
    POPI_GROW(buf->v, buf->cap, buf->n + 1);
    buf->v[buf->n++] = (hit_t){key, a, b, dmin};
}

/* Candidate (p, q), positions in cell order, already within range + reach_p + reach_q. */
static void candidate(const popi_contact_engine_t *e, uint32_t p, uint32_t q, double d2, double span,
                      hitbuf_t *buf)
{
    uint32_t a = e->cell_agents[p], b = e->cell_agents[q];
    uint32_t i = a < b ? a : b, j = a < b ? b : a;
    uint64_t key = ((uint64_t)i << 32) | j;
    if (e->sr[p] == 0.0 && e->sr[q] == 0.0) { /* both still: the distance is constant */
        if (d2 <= e->r2) push_hit(buf, key, 0.0, span, sqrt(d2));
        return;
    }
    if (e->single[p] && e->single[q]) { /* one piece each: one quadratic */
        uint32_t pi = a == i ? p : q, pj = a == i ? q : p;
        double lo, hi, dmin;
        buf->solved++;
        if (contact_solve(e->sx[pj] - e->sx[pi], e->sy[pj] - e->sy[pi], e->svx[pj] - e->svx[pi],
                               e->svy[pj] - e->svy[pi], e->r, span, &lo, &hi, &dmin))
            push_hit(buf, key, lo < JOIN_EPS ? 0.0 : lo, span - hi <= JOIN_EPS ? span : hi, dmin);
        return;
    }
    solve_pair(e, i, j, span, buf);
}

/* All candidates between agents [p0, p1) and [q0, q1) (cell order); same cell when q0 == p0. */
static void scan_cells(const popi_contact_engine_t *e, uint32_t p0, uint32_t p1, uint32_t q0, uint32_t q1,
                       double span, hitbuf_t *buf)
{
    const double *sx = e->sx, *sy = e->sy, *sr = e->sr;
    bool same = q0 == p0;
    for (uint32_t p = p0; p < p1; p++) {
        double xa = sx[p], ya = sy[p], ra = e->r + sr[p];
        uint32_t start = same ? p + 1 : q0;
        buf->tested += q1 - start;
        for (uint32_t q = start; q < q1; q++) {
            double dx = sx[q] - xa, dy = sy[q] - ya, lim = ra + sr[q];
            double d2 = dx * dx + dy * dy;
            if (d2 <= lim * lim) candidate(e, p, q, d2, span, buf);
        }
    }
}

static void search_candidates(popi_contact_engine_t *e, double span)
{
    const int32_t gnx = e->gnx, gny = e->gny;
    for (int t = 0; t < e->threads; t++) {
        e->tbuf[t].n = 0;
        e->tbuf[t].tested = e->tbuf[t].solved = 0;
    }
#pragma omp parallel num_threads(e->threads)
    {
        hitbuf_t *buf = &e->tbuf[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 4)
        for (int32_t cy = 0; cy < gny; cy++) {
            for (int32_t cx = 0; cx < gnx; cx++) {
                uint32_t c = (uint32_t)cy * (uint32_t)gnx + (uint32_t)cx;
                uint32_t s0 = e->cell_start[c], s1 = e->cell_start[c + 1];
                if (s0 == s1) continue;
                scan_cells(e, s0, s1, s0, s1, span, buf); /* within the cell */
                /* half stencil: E, NW, N, NE */
                static const int32_t off[4][2] = {{1, 0}, {-1, 1}, {0, 1}, {1, 1}};
                for (int k = 0; k < 4; k++) {
                    int32_t nx = cx + off[k][0], ny = cy + off[k][1];
                    if (nx < 0 || nx >= gnx || ny >= gny) continue;
                    uint32_t d = (uint32_t)ny * (uint32_t)gnx + (uint32_t)nx;
                    if (e->cell_start[d] < e->cell_start[d + 1])
                        scan_cells(e, s0, s1, e->cell_start[d], e->cell_start[d + 1], span, buf);
                }
            }
        }
    }
}

/* Gather thread buffers and sort hits by key (stable LSD radix on 16-bit digits). */
static void gather_hits(popi_contact_engine_t *e)
{
    size_t n = 0;
    for (int t = 0; t < e->threads; t++) {
        n += e->tbuf[t].n;
        e->stats.pairs_tested += e->tbuf[t].tested;
        e->stats.pairs_solved += e->tbuf[t].solved;
    }
    if (n > e->hits_cap) {
        size_t cap = e->hits_cap ? e->hits_cap : 1024;
        while (cap < n) cap *= 2;
        e->hits = popi_xrealloc(e->hits, cap * sizeof *e->hits);
        e->hits_tmp = popi_xrealloc(e->hits_tmp, cap * sizeof *e->hits_tmp);
        e->hits_cap = cap;
    }
    size_t k = 0;
    for (int t = 0; t < e->threads; t++) {
        if (e->tbuf[t].n) memcpy(e->hits + k, e->tbuf[t].v, e->tbuf[t].n * sizeof *e->hits);
        k += e->tbuf[t].n;
    }
    e->n_hits = n;
    if (n < 2) return;
    /* digits of 11 bits over the used bits of j (low word) then of i (high word) */
    int bits = 1;
    while (bits < 32 && (UINT64_C(1) << bits) < (uint64_t)e->n) bits++;
    hit_t *src = e->hits, *dst = e->hits_tmp;
    size_t *cnt = e->radix_cnt;
    for (int word = 0; word < 2; word++) {
        for (int lo = 0; lo < bits; lo += 11) {
            int shift = word * 32 + lo;
            memset(cnt, 0, (2048 + 1) * sizeof *cnt);
            for (size_t i = 0; i < n; i++) cnt[((src[i].key >> shift) & 0x7ff) + 1]++;
            for (size_t d = 0; d < 2048; d++) cnt[d + 1] += cnt[d];
            for (size_t i = 0; i < n; i++) dst[cnt[(src[i].key >> shift) & 0x7ff]++] = src[i];
            hit_t *tmp = src;
            src = dst;
            dst = tmp;
        }
    }
    if (src != e->hits) memcpy(e->hits, src, n * sizeof *e->hits);
}

/* ---------------------------------------------------------------------------------------------- */
/* Merging hits with the open intervals                                                            */

static void close_interval(popi_contact_engine_t *e, active_t *act, popi_time_t t_end)
{
    uint32_t i = (uint32_t)(act->key >> 32), j = (uint32_t)(act->key & 0xffffffffu);
    float rssi = (float)popi_radio_mean_rssi(e->radio, act->dmin, 0);
    popi_contact_t c = {act->t_start, t_end, i, j, rssi, (float)act->dmin};
    e->stats.proximities++;
    if (e->sink.on_proximity) e->sink.on_proximity(e->sink.ctx, &c);
    if (e->radio->cfg.model == POPI_RADIO_UNIT_DISC) {
        if (t_end - act->t_start >= e->min_duration) {
            e->stats.contacts++;
            if (e->sink.on_contact) e->sink.on_contact(e->sink.ctx, &c);
        }
    } else {
        contact_emit_t ec = {&e->sink, &e->stats, act->dmin};
        popi_radio_close(e->radio, &act->radio, i, j, contact_radio_emit, &ec);
    }
}

static void observe(popi_contact_engine_t *e, active_t *act, popi_time_t t0, popi_time_t t1)
{
    if (e->radio->cfg.model == POPI_RADIO_UNIT_DISC || t1 <= t0) return;
    uint32_t i = (uint32_t)(act->key >> 32), j = (uint32_t)(act->key & 0xffffffffu);
    contact_emit_t ec = {&e->sink, &e->stats, act->dmin};
    popi_radio_observe(e->radio, &act->radio, i, j, t0, t1, contact_pos_cb, e->mob, contact_radio_emit, &ec);
}

static void merge_bucket(popi_contact_engine_t *e, popi_time_t T0, double span)
{
    size_t ia = 0, ih = 0, nn = 0;
    size_t need = e->n_active + e->n_hits;
    POPI_GROW(e->active_next, e->active_next_cap, need + 1);
    while (ia < e->n_active || ih < e->n_hits) {
        uint64_t ka = ia < e->n_active ? e->active[ia].key : UINT64_MAX;
        uint64_t kh = ih < e->n_hits ? e->hits[ih].key : UINT64_MAX;
        uint64_t key = ka < kh ? ka : kh;
        size_t h = ih;
        while (ih < e->n_hits && e->hits[ih].key == key) ih++;
        if (ka == key) {
            active_t cur = e->active[ia++];
            if (h < ih && e->hits[h].a <= JOIN_EPS) {
                const hit_t *H = &e->hits[h++];
                popi_time_t end = T0 + popi_time_from_s(H->b);
                if (H->dmin < cur.dmin) cur.dmin = H->dmin;
                observe(e, &cur, T0, end);
                if (H->b >= span) {
                    e->active_next[nn++] = cur;
                    continue; /* an interval open at T1 is the pair's last hit */
                }
                close_interval(e, &cur, end);
            } else {
                close_interval(e, &cur, T0);
            }
        }
        for (; h < ih; h++) {
            const hit_t *H = &e->hits[h];
            active_t cur = {key, T0 + popi_time_from_s(H->a), H->dmin, {0}};
            popi_time_t end = T0 + popi_time_from_s(H->b);
            popi_radio_pair_reset(&cur.radio);
            observe(e, &cur, cur.t_start, end);
            if (H->b >= span) e->active_next[nn++] = cur;
            else close_interval(e, &cur, end);
        }
    }
    active_t *tmp = e->active;
    size_t tcap = e->active_cap;
    e->active = e->active_next;
    e->active_cap = e->active_next_cap;
    e->active_next = tmp;
    e->active_next_cap = tcap;
    e->n_active = nn;
}

popi_err_t popi_contact_advance(popi_contact_engine_t *e, popi_time_t t_to)
{
    while (e->now < t_to) {
        popi_time_t T0 = e->now;
        popi_time_t T1 = (T0 / e->bucket + 1) * e->bucket;
        if (T1 > t_to) T1 = t_to;
        popi_err_t rc = popi_mobility_advance(e->mob, T0, T1);
        if (rc) return rc;
        double span = (double)(T1 - T0) * 1e-6;
        double max_reach = build_pieces(e, T0, T1);
        build_grid(e, max_reach);
        search_candidates(e, span);
        gather_hits(e);
        merge_bucket(e, T0, span);
        e->stats.buckets++;
        e->now = T1;
    }
    return POPI_OK;
}

void popi_contact_finish(popi_contact_engine_t *e)
{
    for (size_t k = 0; k < e->n_active; k++) close_interval(e, &e->active[k], e->now);
    e->n_active = 0;
}
