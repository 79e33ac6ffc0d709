/* SPDX-License-Identifier: MIT */
/*
 * contact_kinetic.c - exact proximity intervals by a kinetic grid (the same output as contact.c).
 *
 * A pair's "window" (both keep their legs) holds at most one in-range "piece" (the sweep's solver).
 * Cell >= range, so a pair in range is in adjacent cells: a window is solved when it starts (leg
 * change: the agent against its 3x3 block) and when the pair becomes adjacent (crossing: the agent
 * against the new strip, unless their gap along the crossing axis grows). Same window, same piece
 * bit for bit: repeats are dropped. Per slice of whole buckets: agents with an event list visits
 * and triggers (OpenMP), all go into a cell-sorted visit index, triggers are answered from it
 * (OpenMP; with AVX2 where the processor has it, four candidates at a time, with the scalar
 * arithmetic lane by lane); a piece that neither starts at its window start nor reaches its window
 * end is a whole interval waiting in its thread's ring for the slice of its end, the others are
 * chained by (pair, window) through a hash map; intervals ending in the slice are emitted by
 * (bucket, i, j, t_start), as by the sweep.
 * Invariant: a window in which a pair comes within range is solved at or before its piece starts.
 * Kinetic data structures: Basch, Guibas & Hershberger, J. Algorithms 31 (1999) 1-28,
 * DOI 10.1006/jagm.1998.0988.
 */
#include "popi/contact_kinetic.h"

#include "contact_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GNUC__) && defined(__x86_64__) && !defined(POPI_NO_AVX2)
#define KIN_AVX2 1 /* a vector path for processors with AVX2, chosen at run time */
#include <immintrin.h>
#endif

/* Pieces of a pair closer than this (µs) are one interval: the engines' shared join tolerance. */
#define JOIN_EPS_US CONTACT_JOIN_EPS_US
/* Slots of the calendar rings (slices); later entries wait for the next turn of the ring. */
#define RING 8
#define NONE UINT32_MAX
/* Slice length, µs, rounded down to whole buckets (the BLE radio follows buckets one by one):
 * each slice costs O(agents); longer ones gained nothing on B1. */
#define SLICE_US 1000000
/* Mobility is asked for legs this far ahead (µs), so that its O(agents) pass runs rarely. */
#define LOOKAHEAD_US 30000000
/* Threads are numbered in 16 bits in the trigger list. */
#define MAX_THREADS 4096
/* Default grain: below this much work a slice's phases run on one thread, since their parallel
 * regions would cost more in synchronisation than they save (agents; triggers per slice); from
 * the triggers' grain on, triggers are also answered in cell order. */
#define GRAIN_AGENTS 65536
#define GRAIN_TRIGGERS 16384
/* Cells per range: a finer grid makes fewer pairs adjacent but more crossings (2 was slower). */
#define REACH 1

/* The paths that test and solve candidates (popi_contact_kinetic_set_isa): the same pieces bit
 * for bit. */
enum { ISA_SCALAR = 0, ISA_AVX2 = 1, ISA_AVX512 = 2 };

static int best_isa(void)
{
#ifdef KIN_AVX2
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return ISA_AVX2;
#endif
    return ISA_SCALAR;
}

/* Kinetic state of one agent: the leg it follows, its cell and its next crossing times. */
typedef struct {
    popi_time_t leg_t0; /* start of the followed leg, -1 before the first */
    int32_t cx, cy;
    double tx, ty; /* next crossing of a vertical / horizontal cell edge, µs, INFINITY if none */
} agent_t;

/* A leg overlapping the slice, copied so that candidate solving reads compact memory. */
typedef struct {
    popi_time_t t0, t1;
    double x0, y0, vx, vy;
} leg_t;

/* Windows that passed the vector test, packed as a structure of arrays (relative motion (j - i)
 * from ts over span; ij = i << 32 | j), each array with 8 entries of room past cap. */
typedef struct {
    double *px, *py, *vx, *vy, *span, *ts;
    uint64_t *ij;
    size_t cap;
} wsoa_t;

/* An agent's stay in one cell on one leg during the slice: [t_in, t_out) µs. */
typedef struct {
    double t_in, t_out;
    uint32_t agent, cell;
    uint32_t lt, li; /* its leg: e->legbase[lt][li] */
} visit_t;

/* The visit index holds one entry per visit of the slice and per agent without an event (in its
 * cell all slice long, t_in = -inf, t_out = +inf), counting-sorted by cell: the entries of cell c
 * are k in [cell_start[c], cell_start[c + 1]), and the cells of a grid row are contiguous. An entry
 * is one cache line: the visit and a copy of its leg (times as doubles: whole µs below 2^53, so
 * every difference of two of them is exact, as in int64), so that no pointer is followed and a
 * row of a few entries costs a few lines; the agents are a parallel array. The arrays have room
 * for 4 entries past the last (read, and masked, by the vector path). */
typedef struct {
    double t_in, t_out; /* the visit, µs */
    double t0, t1;      /* its leg's span, µs */
    double x0, y0;      /* its leg's start, m */
    double vx, vy;      /* its leg's velocity, m/s */
} ient_t;

typedef struct {
    ient_t *ent; /* 64-byte aligned, in raw */
    void *raw;
    uint32_t *agent;
    size_t cap; /* entries, padding excluded */
} vindex_t;

enum { TRIG_BLOCK = 0, TRIG_STRIP = 1 };

/* A leg start (solve against the block) or a crossing (against the new strip) at time t. */
typedef struct {
    double t; /* µs */
    uint32_t agent, li;
    int32_t cx, cy; /* cell from t on */
    uint16_t lt;
    int8_t kind, dx, dy;
} trig_t;

/* In-range piece of a pair on one window. */
typedef struct {
    uint64_t key;   /* i << 32 | j, i < j */
    popi_time_t ts; /* window start, µs */
    double a, b;    /* in range on [ts + a, ts + b], s */
    double dmo;     /* closest approach over the piece (m), negated (sign bit set, so -0.0 for 0)
                     * if the piece reaches the window end (within JOIN_EPS_US) and the next may
                     * continue it: 40 bytes rather than 48 with a flag of its own */
} piece_t;

static inline double piece_dmin(const piece_t *p) { return fabs(p->dmo); }
static inline bool piece_open(const piece_t *p) { return signbit(p->dmo) != 0; }

/* The last piece of an interval and the closest approach before it. */
typedef struct {
    popi_time_t ts;
    double a, b, dmin;
    double dmin_prev;
} tail_t;

/* An interval waiting to be emitted (complete) or followed by the radio (BLE). */
typedef struct {
    uint64_t key;
    popi_time_t t_start, t_end;
    int64_t due; /* floor(end + JOIN_EPS_US): emitted in the slice holding this µs */
    tail_t tl;
    uint32_t rec;     /* its record, NONE for a complete interval without one */
    uint32_t closing; /* 1: emit now; 0: BLE interval still open at the slice end */
} fin_t;

/* An interval that may still grow: in the map if a later window may continue it (and, for the
 * BLE radio, every open interval, so that the radio can follow it). */
typedef struct {
    uint64_t key;
    popi_time_t t_start;
    double eb;     /* end of the last piece, µs */
    int64_t due;   /* floor(eb + JOIN_EPS_US) */
    int64_t cal_g; /* slice-grid index of its entry in the end ring, -1 if none */
    tail_t tl;
    uint32_t gen, live_pos;
    uint8_t in_map, closing;
} rec_t;

typedef struct {
    piece_t *v;
    size_t n, cap;
} pslot_t;

typedef struct {
    leg_t *legs;
    size_t n_legs, cap_legs;
    visit_t *vis;
    size_t n_vis, cap_vis;
    trig_t *trig;
    size_t n_trig, cap_trig;
    piece_t *pc;
    size_t n_pc, cap_pc;
    uint32_t *act; /* agents with an event in the slice */
    size_t n_act, cap_act;
    uint32_t *ends; /* agents whose leg ends in the slice (their queues are fetched first) */
    size_t n_ends, cap_ends;
    uint32_t *still; /* agents without an event: in their cell all slice long */
    size_t n_still, cap_still;
    wsoa_t ws;
    /* unit disc: the one-piece intervals this thread found, by the slice of their end (they wait
     * there; a slot is swapped with `spare` once emitted) */
    pslot_t dring[RING];
    pslot_t spare;
    uint64_t tested, solved;
    uint32_t id;
    char pad[64];
} tbuf_t;

typedef struct {
    fin_t *v;
    size_t n, cap;
} fslot_t;

typedef struct {
    uint32_t rec, gen;
    int64_t g;
} endref_t;

typedef struct {
    endref_t *v;
    size_t n, cap;
} eslot_t;

/* A slot of the hash map of continuable intervals. */
typedef struct {
    uint64_t key;
    uint32_t rec, pad;
} mslot_t;

/* A sort entry: order by (k, tie). */
typedef struct {
    uint64_t k;
    int64_t tie;
    uint32_t idx, pad;
} kv_t;

struct popi_contact_kinetic {
    popi_contact_config_t cfg;
    popi_mobility_t *mob;
    popi_radio_t *radio;
    popi_contact_sink_t sink;
    int threads;
    size_t grain_agents, grain_triggers;
    uint32_t n;
    double r;
    popi_time_t bucket, slice, min_duration;
    popi_time_t now, origin, T0, T1;
    bool full; /* the next slice solves every pair within reach at its start (run start, after finish) */
    bool ble;
    int isa;        /* candidate tests: ISA_SCALAR, ISA_AVX2 or ISA_AVX512 (the best the processor has) */
    bool skip_rssi; /* the sink does not read rssi_dbm (popi_contact_kinetic_set_rssi) */
    int key_bits;
    /* grid: a pair in range is at most `reach` cells apart along each axis */
    double cell;
    int32_t gnx, gny, reach;
    agent_t *ag;
    /* an agent without an event in the slice keeps its cell and leg all slice long */
    uint32_t *pcell; /* per agent: its cell at the end of the last slice */
    leg_t *aleg;     /* per agent: its leg at the end of the last slice */
    double *next_ev; /* per agent: its next crossing or leg end, µs */
    popi_time_t mob_until; /* mobility's legs cover up to here */
    tbuf_t *tb;
    const leg_t **legbase; /* [t < threads]: the slice's legs of thread t; [threads]: aleg */
    uint32_t *cell_start;
    vindex_t ix; /* the visit index, by cell */
    trig_t *trigs;
    const trig_t *tq; /* the triggers to answer: e->trigs, or a thread's own list if only it has any */
    size_t n_trigs, trigs_cap;
    /* pieces */
    pslot_t ring[RING];
    piece_t *cur;
    size_t n_cur, cur_cap;
    kv_t *kv, *kv_tmp;
    size_t kv_cap, n_kv;
    uint32_t *cnt; /* counting-sort buckets (entries per slice < 2^32: kv_t.idx is 32-bit) */
    size_t cnt_cap;
    /* intervals */
    piece_t *epc; /* one-piece intervals to emit at finish */
    size_t n_epc, epc_cap;
    fslot_t done[RING]; /* complete intervals by the slice of their end */
    rec_t *rec;
    popi_radio_pair_t *rradio; /* BLE: radio state per record */
    size_t rec_cap, rec_used;
    uint32_t *free_rec;
    size_t n_free, free_cap;
    mslot_t *map; /* pair -> record of an interval that a later window may continue */
    size_t map_cap, map_n;
    int map_bits;
    uint32_t *live; /* BLE: every open interval's record */
    size_t n_live, live_cap, n_open;
    eslot_t ends[RING];
    fin_t *touched; /* to emit (or observe) at the end of the slice */
    size_t n_touched, touched_cap;
    popi_contact_stats_t stats;
};

static void map_clear(mslot_t *m, size_t cap)
{
    for (size_t s = 0; s < cap; s++) m[s] = (mslot_t){0, NONE, 0};
}

/* ---------------------------------------------------------------------------------------------- */
/* Create / free                                                                                   */

static void vindex_free(vindex_t *ix);
static void wsoa_free(wsoa_t *w);

popi_err_t popi_contact_kinetic_create(popi_contact_kinetic_t **out, const popi_contact_config_t *cfg,
                                       popi_mobility_t *mob, popi_radio_t *radio,
                                       popi_contact_sink_t sink, int threads)
{
    *out = NULL;
    if (!(cfg->range_m > 0.0))
        return popi_err_set(POPI_EINVAL, "contact_kinetic: contact.range_m must be > 0 m, got %g",
                            cfg->range_m);
    if (!(cfg->bucket_s > 0.0))
        return popi_err_set(POPI_EINVAL, "contact_kinetic: contact.bucket_s must be > 0 s, got %g",
                            cfg->bucket_s);
    if (!(cfg->min_duration_s >= 0.0))
        return popi_err_set(POPI_EINVAL, "contact_kinetic: contact.min_duration_s must be >= 0 s, got %g",
                            cfg->min_duration_s);
    if (threads < 1 || threads > MAX_THREADS)
        return popi_err_set(POPI_EINVAL, "contact_kinetic: threads must be in [1, %d], got %d", MAX_THREADS,
                            threads);
    popi_contact_kinetic_t *e = popi_xcalloc(1, sizeof *e);
    e->cfg = *cfg;
    e->mob = mob;
    e->radio = radio;
    e->sink = sink;
    e->threads = threads;
    e->grain_agents = GRAIN_AGENTS;
    e->grain_triggers = GRAIN_TRIGGERS;
    e->n = mob->n;
    e->r = cfg->range_m;
    e->bucket = popi_time_from_s(cfg->bucket_s);
    if (e->bucket < 1) e->bucket = 1;
    e->slice = e->bucket;
    e->min_duration = popi_time_from_s(cfg->min_duration_s);
    e->ble = radio->cfg.model != POPI_RADIO_UNIT_DISC;
    e->isa = best_isa();
    e->full = true;
    uint64_t nn = (uint64_t)(e->n ? e->n : 1) * (uint64_t)(e->n ? e->n : 1);
    e->key_bits = 1;
    while (e->key_bits < 64 && (UINT64_C(1) << e->key_bits) < nn) e->key_bits++;
    if (!e->ble && SLICE_US > e->bucket) { /* whole buckets; their index must fit beside the pair */
        int64_t m = SLICE_US / e->bucket;
        while (m > 1 && e->key_bits + (int)ceil(log2((double)m)) > 63) m /= 2;
        e->slice = m * e->bucket;
    }
    /* grid: REACH cells span just over the range (a pair in range is then at most `reach` cells
     * apart per axis, with a margin far above rounding), but no finer than ~4 cells per agent */
    const popi_world_t *w = mob->world;
    double span = e->r * (1.0 + 1e-6);
    double cell = span / REACH;
    double min_cell = sqrt(w->width_m * w->height_m / (4.0 * (double)(e->n ? e->n : 1)));
    if (cell < min_cell) cell = min_cell;
    e->cell = cell;
    e->reach = (int32_t)ceil(span / cell - 1e-9);
    if (e->reach < 1) e->reach = 1;
    if ((double)e->reach * cell <= e->r) e->reach++;
    e->gnx = (int32_t)ceil(w->width_m / cell);
    e->gny = (int32_t)ceil(w->height_m / cell);
    if (e->gnx < 1) e->gnx = 1;
    if (e->gny < 1) e->gny = 1;
    size_t n1 = (size_t)e->n + 1;
    e->ag = popi_xmalloc(n1 * sizeof *e->ag);
    for (uint32_t a = 0; a < e->n; a++) e->ag[a].leg_t0 = -1;
    e->aleg = popi_xcalloc(n1, sizeof *e->aleg);
    e->next_ev = popi_xcalloc(n1, sizeof *e->next_ev);
    e->pcell = popi_xmalloc(n1 * sizeof *e->pcell);
    memset(e->pcell, 0xff, n1 * sizeof *e->pcell);
    e->mob_until = -1;
    e->tb = popi_xcalloc((size_t)threads, sizeof *e->tb);
    for (int t = 0; t < threads; t++) e->tb[t].id = (uint32_t)t;
    e->legbase = popi_xcalloc((size_t)threads + 1, sizeof *e->legbase);
    e->legbase[threads] = e->aleg;
    e->cell_start = popi_xmalloc(((size_t)e->gnx * (size_t)e->gny + 1) * sizeof *e->cell_start);
    e->map_bits = 8;
    e->map_cap = (size_t)1 << e->map_bits;
    e->map = popi_xmalloc(e->map_cap * sizeof *e->map);
    map_clear(e->map, e->map_cap);
    *out = e;
    return POPI_OK;
}

void popi_contact_kinetic_free(popi_contact_kinetic_t *e)
{
    if (!e) return;
    free(e->ag);
    free(e->aleg);
    free(e->next_ev);
    free(e->pcell);
    if (e->tb)
        for (int t = 0; t < e->threads; t++) {
            free(e->tb[t].legs);
            free(e->tb[t].vis);
            free(e->tb[t].trig);
            free(e->tb[t].pc);
            free(e->tb[t].act);
            free(e->tb[t].ends);
            free(e->tb[t].still);
            wsoa_free(&e->tb[t].ws);
            for (int k = 0; k < RING; k++)
                free(e->tb[t].dring[k].v);
            free(e->tb[t].spare.v);
        }
    free(e->tb);
    free(e->legbase);
    free(e->cell_start);
    vindex_free(&e->ix);
    free(e->trigs);
    for (int k = 0; k < RING; k++) {
        free(e->ring[k].v);
        free(e->done[k].v);
        free(e->ends[k].v);
    }
    free(e->cur);
    free(e->kv);
    free(e->kv_tmp);
    free(e->cnt);
    free(e->rec);
    free(e->rradio);
    free(e->free_rec);
    free(e->map);
    free(e->live);
    free(e->touched);
    free(e->epc);
    free(e);
}

static int cmp_u64pair(const void *pa, const void *pb)
{
    const uint64_t *a = pa, *b = pb;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

void popi_contact_kinetic_set_grain(popi_contact_kinetic_t *e, size_t agents, size_t triggers)
{
    e->grain_agents = agents;
    e->grain_triggers = triggers;
}

int popi_contact_kinetic_set_isa(popi_contact_kinetic_t *e, int level)
{
    int best = best_isa();
    e->isa = level < ISA_SCALAR ? ISA_SCALAR : level > best ? best : level;
    return e->isa;
}

void popi_contact_kinetic_set_rssi(popi_contact_kinetic_t *e, bool needed)
{
    e->skip_rssi = !needed;
}

popi_contact_stats_t popi_contact_kinetic_stats(const popi_contact_kinetic_t *e)
{
    popi_contact_stats_t s = e->stats;
    /* open now: intervals with a record or waiting complete, and one-piece intervals that have
     * started (a window may be queued twice: count distinct ones) */
    size_t n = 0, u = 0;
    for (int t = 0; t < e->threads; t++)
        for (int k = 0; k < RING; k++)
            n += e->tb[t].dring[k].n;
    uint64_t *v = popi_xmalloc((2 * n + 2) * sizeof *v);
    for (int t = 0; t < e->threads; t++)
        for (int k = 0; k < RING; k++)
            for (size_t q = 0; q < e->tb[t].dring[k].n; q++) {
                const piece_t *p = &e->tb[t].dring[k].v[q];
                if ((double)p->ts + p->a * 1e6 >= (double)e->now) continue;
                v[2 * u] = p->key;
                v[2 * u + 1] = (uint64_t)p->ts;
                u++;
            }
    qsort(v, u, 2 * sizeof *v, cmp_u64pair);
    size_t distinct = 0;
    for (size_t q = 0; q < u; q++)
        if (q == 0 || cmp_u64pair(&v[2 * q], &v[2 * q - 2]) != 0) distinct++;
    free(v);
    s.open_now = e->n_open + distinct;
    return s;
}

/* ---------------------------------------------------------------------------------------------- */
/* Step 1: cell visits, crossings and leg changes of each agent in the slice                       */

static inline int32_t cell_of(double x, double cell, int32_t nc)
{
    double f = floor(x / cell);
    if (!(f >= 0.0)) return 0;
    if (f >= (double)nc) return nc - 1;
    return (int32_t)f;
}

/* Time (µs) at which a leg from x0 at t0 with speed v (m/s) leaves cell c along one axis. */
static inline double cross_time(popi_time_t t0, double x0, double v, int32_t c, int32_t nc, double cell)
{
    if (v > 0.0) return c + 1 < nc ? (double)t0 + ((double)(c + 1) * cell - x0) / v * 1e6 : INFINITY;
    if (v < 0.0) return c > 0 ? (double)t0 + ((double)c * cell - x0) / v * 1e6 : INFINITY;
    return INFINITY;
}

static inline void push_visit(const popi_contact_kinetic_t *e, tbuf_t *tb, double t_in, double t_out,
                              uint32_t lt, uint32_t li, uint32_t a, const agent_t *st)
{
    POPI_GROW(tb->vis, tb->cap_vis, tb->n_vis + 1);
    tb->vis[tb->n_vis++] = (visit_t){
        t_in, t_out, a, (uint32_t)st->cy * (uint32_t)e->gnx + (uint32_t)st->cx, lt, li};
}

static inline void push_trig(tbuf_t *tb, int kind, double t, uint32_t a, const agent_t *st, int dx, int dy,
                             uint32_t lt, uint32_t li)
{
    POPI_GROW(tb->trig, tb->cap_trig, tb->n_trig + 1);
    tb->trig[tb->n_trig++] =
        (trig_t){t, a, li, st->cx, st->cy, (uint16_t)lt, (int8_t)kind, (int8_t)dx, (int8_t)dy};
}

/* Walk leg L (e->legbase[lt][li]) over [s0, s1): cell visits and crossings. */
static inline void walk_leg(const popi_contact_kinetic_t *e, agent_t *st, uint32_t a, const leg_t *L,
                            uint32_t lt, uint32_t li, popi_time_t s0, popi_time_t s1, tbuf_t *tb)
{
    double vs = (double)s0, ve = (double)s1;
    for (;;) {
        bool isx = st->tx <= st->ty;
        double tn = isx ? st->tx : st->ty;
        if (!(tn < ve)) break;
        if (tn < vs) tn = vs;
        if (tn > vs) push_visit(e, tb, vs, tn, lt, li, a, st);
        int dx = 0, dy = 0;
        if (isx) {
            dx = L->vx > 0.0 ? 1 : -1;
            st->cx += dx;
            st->tx = cross_time(L->t0, L->x0, L->vx, st->cx, e->gnx, e->cell);
        } else {
            dy = L->vy > 0.0 ? 1 : -1;
            st->cy += dy;
            st->ty = cross_time(L->t0, L->y0, L->vy, st->cy, e->gny, e->cell);
        }
        push_trig(tb, TRIG_STRIP, tn, a, st, dx, dy, lt, li);
        vs = tn;
    }
    if (ve > vs) push_visit(e, tb, vs, ve, lt, li, a, st);
}

/* Sort the agents of this thread's share of [0, n) into those with an event in the slice (and,
 * among them, those whose leg ends in it) and those without, with no branch on either (a third
 * of the agents have an event: a branch per agent was mispredicted every few agents). The lists
 * have room for the whole share (list_share). */
static inline void list_agent(const popi_contact_kinetic_t *e, uint32_t a, popi_time_t T1, tbuf_t *tb)
{
    bool ev = e->full | (e->next_ev[a] < (double)T1), ends = e->full | (e->aleg[a].t1 < T1);
    tb->act[tb->n_act] = a;
    tb->n_act += ev;
    tb->ends[tb->n_ends] = a;
    tb->n_ends += ev & ends;
    tb->still[tb->n_still] = a;
    tb->n_still += !ev;
}

/* List the agents of share [a0, a1). */
static void list_share(const popi_contact_kinetic_t *e, uint32_t a0, uint32_t a1, popi_time_t T1, tbuf_t *tb)
{
    size_t m = (size_t)(a1 - a0);
    POPI_GROW(tb->act, tb->cap_act, m);
    POPI_GROW(tb->ends, tb->cap_ends, m);
    POPI_GROW(tb->still, tb->cap_still, m);
    for (uint32_t a = a0; a < a1; a++) list_agent(e, a, T1, tb);
}

/* Ask for the mobility queues of the listed agents whose leg ends in the slice: the agent pass
 * reads their queue and legs, which nothing else keeps in the caches. All the header loads are
 * issued before the first is used, then all the leg loads, so that the ~100 misses of a slice
 * overlap rather than stall the pass one after another. */
static void fetch_queues(const popi_contact_kinetic_t *e, const tbuf_t *tb)
{
    for (size_t k = 0; k < tb->n_ends; k++) __builtin_prefetch(&e->mob->q[tb->ends[k]]);
    for (size_t k = 0; k < tb->n_ends; k++) {
        const popi_legq_t *q = &e->mob->q[tb->ends[k]];
        const char *p = (const char *)(q->legs + q->head); /* the followed leg and the next ones */
        __builtin_prefetch(p);
        __builtin_prefetch(p + 64);
        __builtin_prefetch(p + 128);
    }
}

/* An agent with an event in the slice (listed by list_agent; the others stay in their cell all
 * slice long). */
static void agent_pass(popi_contact_kinetic_t *e, uint32_t a, popi_time_t T0, popi_time_t T1, tbuf_t *tb)
{
    agent_t *st = &e->ag[a];
    const uint32_t lt = tb->id;
    if (!e->full && e->aleg[a].t1 >= T1) { /* crossings only, on the leg it follows */
        walk_leg(e, st, a, &e->aleg[a], (uint32_t)e->threads, a, T0, T1, tb);
    } else {
        const popi_legq_t *q = &e->mob->q[a];
        const popi_leg_t *last = NULL;
        bool first = true;
        for (uint32_t k = 0, idx = q->head; k < q->len; k++, idx = idx + 1 == q->cap ? 0 : idx + 1) {
            const popi_leg_t *P = &q->legs[idx]; /* popi_mobility_leg(m, a, k) without the division */
            if (P->t1 <= T0) continue;
            if (P->t0 >= T1) break;
            popi_time_t s0 = P->t0 > T0 ? P->t0 : T0, s1 = P->t1 < T1 ? P->t1 : T1;
            POPI_GROW(tb->legs, tb->cap_legs, tb->n_legs + 1);
            uint32_t li = (uint32_t)tb->n_legs;
            tb->legs[tb->n_legs++] = (leg_t){P->t0, P->t1, P->x0, P->y0, P->vx, P->vy};
            const leg_t *L = &tb->legs[li];
            bool fresh = st->leg_t0 != L->t0;
            if (fresh) { /* a new leg: its cell and crossings, from the position at s0 */
                double dt = (double)(s0 - L->t0) * 1e-6;
                st->leg_t0 = L->t0;
                st->cx = cell_of(L->x0 + L->vx * dt, e->cell, e->gnx);
                st->cy = cell_of(L->y0 + L->vy * dt, e->cell, e->gny);
                st->tx = cross_time(L->t0, L->x0, L->vx, st->cx, e->gnx, e->cell);
                st->ty = cross_time(L->t0, L->y0, L->vy, st->cy, e->gny, e->cell);
            }
            if (first) POPI_ASSERT(s0 == T0); /* mobility covers the slice */
            if ((first && e->full) || (fresh && L->t0 >= T0))
                push_trig(tb, TRIG_BLOCK, (double)s0, a, st, 0, 0, lt, li);
            first = false;
            walk_leg(e, st, a, L, lt, li, s0, s1, tb);
            last = P;
        }
        POPI_ASSERT(!first);
        /* its leg from the end of the slice on (queries read aleg only of agents without an event) */
        e->aleg[a] = (leg_t){last->t0, last->t1, last->x0, last->y0, last->vx, last->vy};
    }
    double ne = (double)e->aleg[a].t1;
    if (st->tx < ne) ne = st->tx;
    if (st->ty < ne) ne = st->ty;
    e->next_ev[a] = ne;
    e->pcell[a] = (uint32_t)st->cy * (uint32_t)e->gnx + (uint32_t)st->cx;
}

/* ---------------------------------------------------------------------------------------------- */
/* Steps 2-3: the visit index and the answers to triggers                                          */

static void sort_kv(popi_contact_kinetic_t *e, size_t n, int bits);
static void kv_reserve(popi_contact_kinetic_t *e, size_t n);

static void vindex_free(vindex_t *ix)
{
    free(ix->raw);
    free(ix->agent);
    memset(ix, 0, sizeof *ix);
}

/* Room for n entries, and the padding (zeroed: the vector test reads only defined values). */
static void vindex_reserve(vindex_t *ix, size_t n)
{
    if (n <= ix->cap) return;
    vindex_free(ix);
    size_t cap = 2 * n + 64, m = cap + 4;
    ix->raw = popi_xcalloc(m * sizeof *ix->ent + 64, 1);
    ix->ent = (ient_t *)(void *)(((uintptr_t)ix->raw + 63) & ~(uintptr_t)63);
    ix->agent = popi_xcalloc(m, sizeof *ix->agent);
    ix->cap = cap;
}

static inline void vindex_set(vindex_t *ix, size_t k, double t_in, double t_out, const leg_t *L,
                              uint32_t a)
{
    ix->ent[k] = (ient_t){t_in, t_out, (double)L->t0, (double)L->t1, L->x0, L->y0, L->vx, L->vy};
    ix->agent[k] = a;
}

static void wsoa_free(wsoa_t *w)
{
    double **d[] = {&w->px, &w->py, &w->vx, &w->vy, &w->span, &w->ts};
    for (size_t q = 0; q < sizeof d / sizeof *d; q++)
        free(*d[q]);
    free(w->ij);
    memset(w, 0, sizeof *w);
}

/* The visit index: every agent without an event, in its cell all slice long, and the visits of
 * the others, counting-sorted by cell. */
static void build_index(popi_contact_kinetic_t *e)
{
    size_t nc = (size_t)e->gnx * (size_t)e->gny, nv = 0;
    uint32_t *cs = e->cell_start;
    memset(cs, 0, (nc + 1) * sizeof *cs);
    for (int t = 0; t < e->threads; t++) { /* the agents without an event, in agent order */
        const tbuf_t *tb = &e->tb[t];
        nv += tb->n_still;
        for (size_t k = 0; k < tb->n_still; k++) cs[e->pcell[tb->still[k]] + 1]++;
    }
    for (int t = 0; t < e->threads; t++) {
        const tbuf_t *tb = &e->tb[t];
        e->legbase[t] = tb->legs;
        nv += tb->n_vis;
        for (size_t k = 0; k < tb->n_vis; k++) cs[tb->vis[k].cell + 1]++;
    }
    for (size_t c = 0; c < nc; c++) cs[c + 1] += cs[c];
    vindex_reserve(&e->ix, nv);
    vindex_t *ix = &e->ix;
    for (int t = 0; t < e->threads; t++) {
        const tbuf_t *tb = &e->tb[t];
        for (size_t k = 0; k < tb->n_still; k++) {
            uint32_t a = tb->still[k];
            vindex_set(ix, cs[e->pcell[a]]++, -INFINITY, INFINITY, &e->aleg[a], a);
        }
    }
    for (int t = 0; t < e->threads; t++) {
        const tbuf_t *tb = &e->tb[t];
        for (size_t q = 0; q < tb->n_vis; q++) {
            const visit_t *v = &tb->vis[q];
            vindex_set(ix, cs[v->cell]++, v->t_in, v->t_out, &e->legbase[v->lt][v->li], v->agent);
        }
    }
    for (size_t c = nc; c > 0; c--) cs[c] = cs[c - 1];
    cs[0] = 0;
    /* triggers: in agent order, or by cell from the triggers' grain on, so that answering them
     * walks the index of a large crowd (larger than the caches) in order */
    size_t nt = 0;
    for (int t = 0; t < e->threads; t++) nt += e->tb[t].n_trig;
    e->n_trigs = 0;
    const bool by_cell = nt >= e->grain_triggers && nt >= 2;
    if (!by_cell)
        for (int t = 0; t < e->threads; t++)
            if (e->tb[t].n_trig == nt) { /* all in one list (one thread): answered in place */
                e->tq = e->tb[t].trig;
                e->n_trigs = nt;
                return;
            }
    POPI_GROW(e->trigs, e->trigs_cap, nt + 1);
    e->tq = e->trigs;
    if (!by_cell) {
        for (int t = 0; t < e->threads; t++) {
            if (e->tb[t].n_trig)
                memcpy(e->trigs + e->n_trigs, e->tb[t].trig, e->tb[t].n_trig * sizeof *e->trigs);
            e->n_trigs += e->tb[t].n_trig;
        }
        return;
    }
    kv_reserve(e, nt + 1);
    size_t k = 0;
    for (int t = 0; t < e->threads; t++)
        for (size_t q = 0; q < e->tb[t].n_trig; q++, k++) {
            const trig_t *T = &e->tb[t].trig[q];
            e->kv[k] = (kv_t){(uint64_t)T->cy * (uint64_t)e->gnx + (uint64_t)T->cx, (int64_t)k, (uint32_t)t,
                              (uint32_t)q};
        }
    int bits = 1;
    while (bits < 63 && (UINT64_C(1) << bits) < (uint64_t)nc) bits++;
    sort_kv(e, nt, bits);
    for (k = 0; k < nt; k++) e->trigs[k] = e->tb[e->kv[k].idx].trig[e->kv[k].pad];
    e->n_trigs = nt;
}

/* Relative position (j - i) at ts and velocity of legs Li (agent i) and Lj (agent j). */
static inline void relative(const leg_t *Li, const leg_t *Lj, popi_time_t ts, double *px, double *py,
                            double *vx, double *vy)
{
    double di = (double)(ts - Li->t0) * 1e-6, dj = (double)(ts - Lj->t0) * 1e-6;
    *px = (Lj->x0 + Lj->vx * dj) - (Li->x0 + Li->vx * di);
    *py = (Lj->y0 + Lj->vy * dj) - (Li->y0 + Li->vy * di);
    *vx = Lj->vx - Li->vx;
    *vy = Lj->vy - Li->vy;
}

static inline bool is_simple(const popi_contact_kinetic_t *e, const piece_t *p);
static inline int64_t due_of(double eb);
static inline void push_piece(pslot_t *s, const piece_t *p);

/* File piece p of this slice: a whole interval by itself (simple, ending in microsecond `due`)
 * waits in the thread's ring for the slice of its end, any other is chained in this slice
 * (tb->pc). */
static inline void file_piece(const popi_contact_kinetic_t *e, tbuf_t *tb, const piece_t *p,
                              bool simple, int64_t due)
{
    if (simple) {
        push_piece(&tb->dring[(due / e->slice) % RING], p);
    } else {
        POPI_GROW(tb->pc, tb->cap_pc, tb->n_pc + 1);
        tb->pc[tb->n_pc++] = *p;
    }
}

/* File the piece [a, b] of a window (from ts over span, agents i and j) unless it is a repeat. */
static inline void push_win_piece(const popi_contact_kinetic_t *e, tbuf_t *tb, popi_time_t ts,
                                  double span, uint32_t i, uint32_t j, double a, double b,
                                  double dmin)
{
    /* a piece that started before the slice was found and chained then: this is a repeat */
    if ((double)ts + a * 1e6 < (double)e->T0) return;
    uint32_t lo = i < j ? i : j, hi = i < j ? j : i;
    piece_t p = {((uint64_t)lo << 32) | hi, ts, a, b, (span - b) * 1e6 <= JOIN_EPS_US ? -dmin : dmin};
    file_piece(e, tb, &p, is_simple(e, &p), due_of((double)ts + b * 1e6));
}

/* The cells that trigger T makes adjacent to its agent: columns [x0, x1] of rows [y0, y1] (false if
 * none: a strip beyond the world's edge). A leg start: the 3x3 block; a crossing: the strip of
 * newly adjacent cells, `reach` cells ahead. */
static inline bool stencil(const popi_contact_kinetic_t *e, const trig_t *T, int32_t *x0,
                           int32_t *x1, int32_t *y0, int32_t *y1)
{
    int32_t k = e->reach;
    if (T->kind == TRIG_BLOCK) {
        *x0 = T->cx - k, *x1 = T->cx + k, *y0 = T->cy - k, *y1 = T->cy + k;
    } else if (T->dx) { /* the column that came within reach */
        *x0 = *x1 = T->cx + T->dx * k;
        *y0 = T->cy - k, *y1 = T->cy + k;
    } else {
        *y0 = *y1 = T->cy + T->dy * k;
        *x0 = T->cx - k, *x1 = T->cx + k;
    }
    if (*x0 < 0) *x0 = 0;
    if (*y0 < 0) *y0 = 0;
    if (*x1 >= e->gnx) *x1 = e->gnx - 1;
    if (*y1 >= e->gny) *y1 = e->gny - 1;
    return *x0 <= *x1 && *y0 <= *y1;
}

/* Which index entries a trigger tests. A partner in a strip is at least reach cells (> range)
 * ahead along the crossing axis u, and before t they were never in range on this window without an
 * earlier solve: unless the gap along u shrinks (u.v < u.v_a), the window holds no new piece. A
 * leg start has no such filter (u = 0 and the bound is +inf). Besides, the entry's visit must hold
 * t, and the agent itself is skipped. */
typedef struct {
    double t, ux, uy, ua;
} tfilter_t;

static inline tfilter_t trig_filter(const trig_t *T, const leg_t *La)
{
    double ux = T->dx, uy = T->dy;
    return (tfilter_t){T->t, ux, uy, T->kind == TRIG_STRIP ? ux * La->vx + uy * La->vy : INFINITY};
}

/* Answer trigger T, one entry at a time: every window of its agent (leg Li) with a partner that
 * passes the filter is put to the solver. The window of Li and entry k (agent j): the relative
 * motion (j - i) from ts = max(leg starts, origin) over span = min(leg ends) - ts. It does not
 * depend on which agent of a pair is i up to the sign of p and v, and negating them is exact and
 * leaves every rounding of the solver unchanged, so a window found from either side gives the same
 * piece. (The vector path below computes the very same values.) */
static void answer_scalar(const popi_contact_kinetic_t *e, const trig_t *T, tbuf_t *tb)
{
    int32_t x0, x1, y0, y1;
    if (!stencil(e, T, &x0, &x1, &y0, &y1)) return;
    const vindex_t *ix = &e->ix;
    const leg_t *Li = &e->legbase[T->lt][T->li];
    const tfilter_t f = trig_filter(T, Li);
    const uint32_t self = T->agent;
    for (int32_t y = y0; y <= y1; y++) {
        uint32_t row = (uint32_t)y * (uint32_t)e->gnx;
        size_t k0 = e->cell_start[row + (uint32_t)x0], k1 = e->cell_start[row + (uint32_t)x1 + 1];
        tb->tested += (uint64_t)(k1 - k0);
        for (size_t k = k0; k < k1; k++) {
            const ient_t *E = &ix->ent[k];
            if (!(E->t_in <= f.t && f.t < E->t_out && ix->agent[k] != self &&
                  f.ux * E->vx + f.uy * E->vy < f.ua))
                continue;
            tb->solved++;
            popi_time_t jt0 = (popi_time_t)E->t0, jt1 = (popi_time_t)E->t1;
            popi_time_t ts = Li->t0 > jt0 ? Li->t0 : jt0;
            ts = ts > e->origin ? ts : e->origin;
            popi_time_t te = Li->t1 < jt1 ? Li->t1 : jt1;
            double span = (double)(te - ts) * 1e-6;
            double di = (double)(ts - Li->t0) * 1e-6, dj = (double)(ts - jt0) * 1e-6;
            double px = (E->x0 + E->vx * dj) - (Li->x0 + Li->vx * di);
            double py = (E->y0 + E->vy * dj) - (Li->y0 + Li->vy * di);
            double a, b, dmin;
            if (contact_solve(px, py, E->vx - Li->vx, E->vy - Li->vy, e->r, span, &a, &b, &dmin))
                push_win_piece(e, tb, ts, span, self, ix->agent[k], a, b, dmin);
        }
    }
}

#ifdef KIN_AVX2
/* The vector path (AVX2, 4 doubles per register), for processors that have it (checked once at
 * create). In two passes over a chunk of triggers: (1) every index entry next to a trigger is
 * tested, four at a time without branches, with the solver's own first test (outside range at the
 * window start and never closer than the range: no piece), and the windows that pass are packed
 * into tb->ws; (2) those are solved four at a time. Each lane computes exactly what the scalar code
 * computes (same operations in the same order; -x as a flip of the sign bit; a ? b : c as a blend
 * on the same comparison, or as min/max where those are defined as that very ternary: so that
 * even the sign of a zero is kept), so the pieces are the same bit for bit. */

/* Room for n packed windows, and 8 past them: a pack writes up to 4 there, the eight-lane solve
 * reads up to 7. */
static void wsoa_reserve(wsoa_t *w, size_t n)
{
    if (n <= w->cap) return;
    size_t cap = 2 * n + 64;
    double **d[] = {&w->px, &w->py, &w->vx, &w->vy, &w->span, &w->ts};
    for (size_t q = 0; q < sizeof d / sizeof *d; q++)
        *d[q] = popi_xrealloc(*d[q], (cap + 8) * sizeof(double));
    w->ij = popi_xrealloc(w->ij, (cap + 8) * sizeof *w->ij);
    w->cap = cap;
}

/* perm[m]: the 32-bit lane indices that move the 64-bit lanes set in mask m to the front. */
static const int32_t avx2_perm[16][8] = {
    {0, 1, 0, 1, 0, 1, 0, 1}, {0, 1, 0, 1, 0, 1, 0, 1}, {2, 3, 0, 1, 0, 1, 0, 1},
    {0, 1, 2, 3, 0, 1, 0, 1}, {4, 5, 0, 1, 0, 1, 0, 1}, {0, 1, 4, 5, 0, 1, 0, 1},
    {2, 3, 4, 5, 0, 1, 0, 1}, {0, 1, 2, 3, 4, 5, 0, 1}, {6, 7, 0, 1, 0, 1, 0, 1},
    {0, 1, 6, 7, 0, 1, 0, 1}, {2, 3, 6, 7, 0, 1, 0, 1}, {0, 1, 2, 3, 6, 7, 0, 1},
    {4, 5, 6, 7, 0, 1, 0, 1}, {0, 1, 4, 5, 6, 7, 0, 1}, {2, 3, 4, 5, 6, 7, 0, 1},
    {0, 1, 2, 3, 4, 5, 6, 7}};

/* Store the lanes of v selected by perm at dst (4 doubles written; those past the selected ones
 * are overwritten by the next pack). */
#define AVX2_PACK(dst, v, perm)                                                                    \
    _mm256_storeu_pd(                                                                              \
        (dst), _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(v), (perm))))

/* Pass 1 for trigger T: append its windows that may hold a piece to tb->ws from n on; returns n. */
__attribute__((target("avx2"))) static size_t avx2_test(const popi_contact_kinetic_t *e,
                                                        const trig_t *T, tbuf_t *tb, size_t n)
{
    int32_t x0, x1, y0, y1;
    if (!stencil(e, T, &x0, &x1, &y0, &y1)) return n;
    const vindex_t *ix = &e->ix;
    const leg_t *Li = &e->legbase[T->lt][T->li];
    const tfilter_t f = trig_filter(T, Li);
    const __m256d t = _mm256_set1_pd(f.t), ux = _mm256_set1_pd(f.ux), uy = _mm256_set1_pd(f.uy),
                  ua = _mm256_set1_pd(f.ua);
    const __m256d it0 = _mm256_set1_pd((double)Li->t0), it1 = _mm256_set1_pd((double)Li->t1),
                  origin = _mm256_set1_pd((double)e->origin), ix0 = _mm256_set1_pd(Li->x0),
                  iy0 = _mm256_set1_pd(Li->y0), ivx = _mm256_set1_pd(Li->vx),
                  ivy = _mm256_set1_pd(Li->vy);
    const __m256d r = _mm256_set1_pd(e->r), zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0),
                  two = _mm256_set1_pd(2.0), us = _mm256_set1_pd(1e-6), neg = _mm256_set1_pd(-0.0);
    const __m256d rr = _mm256_mul_pd(r, r);
    const __m256i self = _mm256_set1_epi64x((long long)T->agent);
    const __m256i ihi = _mm256_set1_epi64x((long long)((uint64_t)T->agent << 32));
    wsoa_t *w = &tb->ws;
    for (int32_t y = y0; y <= y1; y++) {
        uint32_t row = (uint32_t)y * (uint32_t)e->gnx;
        size_t k0 = e->cell_start[row + (uint32_t)x0], k1 = e->cell_start[row + (uint32_t)x1 + 1];
        tb->tested += (uint64_t)(k1 - k0);
        wsoa_reserve(w, n + (k1 - k0));
        for (size_t q = k0; q < k1; q += 4) { /* the cells of a row are contiguous */
            /* four entries, transposed: (t_in, t_out, t0, t1), then (x0, y0, vx, vy) */
            const double *E = &ix->ent[q].t_in;
            __m256d a0 = _mm256_load_pd(E), a1 = _mm256_load_pd(E + 8), a2 = _mm256_load_pd(E + 16),
                    a3 = _mm256_load_pd(E + 24);
            __m256d u0 = _mm256_unpacklo_pd(a0, a1), u1 = _mm256_unpackhi_pd(a0, a1);
            __m256d u2 = _mm256_unpacklo_pd(a2, a3), u3 = _mm256_unpackhi_pd(a2, a3);
            __m256d t_in = _mm256_permute2f128_pd(u0, u2, 0x20),
                    t_out = _mm256_permute2f128_pd(u1, u3, 0x20);
            __m256d jt0 = _mm256_permute2f128_pd(u0, u2, 0x31),
                    jt1 = _mm256_permute2f128_pd(u1, u3, 0x31);
            a0 = _mm256_load_pd(E + 4), a1 = _mm256_load_pd(E + 12), a2 = _mm256_load_pd(E + 20),
            a3 = _mm256_load_pd(E + 28);
            u0 = _mm256_unpacklo_pd(a0, a1), u1 = _mm256_unpackhi_pd(a0, a1);
            u2 = _mm256_unpacklo_pd(a2, a3), u3 = _mm256_unpackhi_pd(a2, a3);
            __m256d jx = _mm256_permute2f128_pd(u0, u2, 0x20),
                    jy = _mm256_permute2f128_pd(u1, u3, 0x20);
            __m256d vx = _mm256_permute2f128_pd(u0, u2, 0x31),
                    vy = _mm256_permute2f128_pd(u1, u3, 0x31);
            __m256i ag = _mm256_cvtepu32_epi64(
                _mm_loadu_si128((const __m128i *)(const void *)(ix->agent + q)));
            /* the filter */
            __m256d m = _mm256_and_pd(_mm256_cmp_pd(t_in, t, _CMP_LE_OQ),
                                      _mm256_cmp_pd(t, t_out, _CMP_LT_OQ));
            m = _mm256_and_pd(
                m, _mm256_cmp_pd(_mm256_add_pd(_mm256_mul_pd(ux, vx), _mm256_mul_pd(uy, vy)), ua,
                                 _CMP_LT_OQ));
            m = _mm256_andnot_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(ag, self)), m);
            /* the window */
            __m256d ts = _mm256_blendv_pd(jt0, it0, _mm256_cmp_pd(it0, jt0, _CMP_GT_OQ));
            ts = _mm256_blendv_pd(origin, ts, _mm256_cmp_pd(ts, origin, _CMP_GT_OQ));
            __m256d te = _mm256_blendv_pd(jt1, it1, _mm256_cmp_pd(it1, jt1, _CMP_LT_OQ));
            __m256d span = _mm256_mul_pd(_mm256_sub_pd(te, ts), us);
            __m256d di = _mm256_mul_pd(_mm256_sub_pd(ts, it0), us),
                    dj = _mm256_mul_pd(_mm256_sub_pd(ts, jt0), us);
            __m256d px = _mm256_sub_pd(_mm256_add_pd(jx, _mm256_mul_pd(vx, dj)),
                                       _mm256_add_pd(ix0, _mm256_mul_pd(ivx, di)));
            __m256d py = _mm256_sub_pd(_mm256_add_pd(jy, _mm256_mul_pd(vy, dj)),
                                       _mm256_add_pd(iy0, _mm256_mul_pd(ivy, di)));
            __m256d rvx = _mm256_sub_pd(vx, ivx), rvy = _mm256_sub_pd(vy, ivy);
            /* the solver's first test: in range at the start, or nearing and closest within r */
            __m256d A = _mm256_add_pd(_mm256_mul_pd(rvx, rvx), _mm256_mul_pd(rvy, rvy));
            __m256d B =
                _mm256_mul_pd(two, _mm256_add_pd(_mm256_mul_pd(px, rvx), _mm256_mul_pd(py, rvy)));
            __m256d C =
                _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(px, px), _mm256_mul_pd(py, py)), rr);
            __m256d moving = _mm256_cmp_pd(A, zero, _CMP_GT_OQ);
            __m256d tv = _mm256_div_pd(_mm256_xor_pd(B, neg),
                                       _mm256_mul_pd(two, _mm256_blendv_pd(one, A, moving)));
            __m256d tc = _mm256_min_pd(tv, span); /* tv < span ? tv : span */
            __m256d cx = _mm256_add_pd(px, _mm256_mul_pd(rvx, tc)),
                    cy = _mm256_add_pd(py, _mm256_mul_pd(rvy, tc));
            __m256d near = _mm256_cmp_pd(
                _mm256_add_pd(_mm256_mul_pd(cx, cx), _mm256_mul_pd(cy, cy)), rr, _CMP_LE_OQ);
            __m256d hit = _mm256_or_pd(
                _mm256_cmp_pd(C, zero, _CMP_LE_OQ),
                _mm256_and_pd(_mm256_and_pd(moving, _mm256_cmp_pd(B, zero, _CMP_LT_OQ)), near));
            size_t rem = k1 - q;
            int lanes = 15 >> (4 - (rem < 4 ? rem : 4)); /* not the lanes past the row */
            /* put to the solver (the scalar path's count): those that pass the filter */
            tb->solved += (uint64_t)__builtin_popcount((unsigned)(_mm256_movemask_pd(m) & lanes));
            int mm = _mm256_movemask_pd(_mm256_and_pd(m, hit)) & lanes;
            /* (packed even if no lane passed: cheaper than a branch that half the lanes take) */
            __m256i perm = _mm256_loadu_si256((const __m256i *)(const void *)avx2_perm[mm]);
            AVX2_PACK(w->px + n, px, perm);
            AVX2_PACK(w->py + n, py, perm);
            AVX2_PACK(w->vx + n, rvx, perm);
            AVX2_PACK(w->vy + n, rvy, perm);
            AVX2_PACK(w->span + n, span, perm);
            AVX2_PACK(w->ts + n, ts, perm);
            AVX2_PACK((double *)(void *)(w->ij + n), _mm256_castsi256_pd(_mm256_or_si256(ihi, ag)),
                      perm);
            n += (size_t)__builtin_popcount((unsigned)mm);
        }
    }
    return n;
}

/* Pass 2: solve the n packed windows (each holds a piece) as contact_solve does, and file the
 * pieces. */
__attribute__((target("avx2"))) static void avx2_solve(const popi_contact_kinetic_t *e, tbuf_t *tb,
                                                       size_t n)
{
    const wsoa_t *w = &tb->ws;
    const __m256d r = _mm256_set1_pd(e->r), zero = _mm256_setzero_pd(), two = _mm256_set1_pd(2.0),
                  four = _mm256_set1_pd(4.0), mhalf = _mm256_set1_pd(-0.5),
                  neg = _mm256_set1_pd(-0.0);
    const __m256d rr = _mm256_mul_pd(r, r);
    for (size_t q = 0; q < n; q += 4) {
        __m256d px = _mm256_loadu_pd(w->px + q), py = _mm256_loadu_pd(w->py + q);
        __m256d vx = _mm256_loadu_pd(w->vx + q), vy = _mm256_loadu_pd(w->vy + q);
        __m256d span = _mm256_loadu_pd(w->span + q);
        __m256d A = _mm256_add_pd(_mm256_mul_pd(vx, vx), _mm256_mul_pd(vy, vy));
        __m256d B = _mm256_mul_pd(two, _mm256_add_pd(_mm256_mul_pd(px, vx), _mm256_mul_pd(py, vy)));
        __m256d C = _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(px, px), _mm256_mul_pd(py, py)), rr);
        __m256d in0 = _mm256_cmp_pd(C, zero, _CMP_LE_OQ);
        __m256d moving = _mm256_cmp_pd(A, zero, _CMP_GT_OQ);
        /* closest approach: ts = A > 0 ? -B / (2A) : 0, clamped to [0, span] */
        __m256d ts =
            _mm256_and_pd(moving, _mm256_div_pd(_mm256_xor_pd(B, neg), _mm256_mul_pd(two, A)));
        ts = _mm256_max_pd(zero, ts); /* ts < 0 ? 0 : ts */
        ts = _mm256_min_pd(span, ts); /* ts > span ? span : ts */
        __m256d cx = _mm256_add_pd(px, _mm256_mul_pd(vx, ts)),
                cy = _mm256_add_pd(py, _mm256_mul_pd(vy, ts));
        __m256d dmin = _mm256_sqrt_pd(_mm256_add_pd(_mm256_mul_pd(cx, cx), _mm256_mul_pd(cy, cy)));
        __m256d ex = _mm256_add_pd(px, _mm256_mul_pd(vx, span)),
                ey = _mm256_add_pd(py, _mm256_mul_pd(vy, span));
        __m256d in1 = _mm256_cmp_pd(
            _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(ex, ex), _mm256_mul_pd(ey, ey)), rr), zero,
            _CMP_LE_OQ);
        /* the crossings: roots of A t^2 + B t + C, in the stable form */
        __m256d disc = _mm256_sub_pd(_mm256_mul_pd(B, B), _mm256_mul_pd(_mm256_mul_pd(four, A), C));
        __m256d sq = _mm256_sqrt_pd(disc);
        __m256d sgn =
            _mm256_blendv_pd(_mm256_xor_pd(sq, neg), sq, _mm256_cmp_pd(B, zero, _CMP_GE_OQ));
        __m256d qq = _mm256_mul_pd(mhalf, _mm256_add_pd(B, sgn));
        __m256d r1 = _mm256_div_pd(qq, A);
        __m256d r2 =
            _mm256_blendv_pd(r1, _mm256_div_pd(C, qq), _mm256_cmp_pd(qq, zero, _CMP_NEQ_UQ));
        __m256d lt = _mm256_cmp_pd(r1, r2, _CMP_LT_OQ);
        __m256d t1 = _mm256_blendv_pd(r2, r1, lt), t2 = _mm256_blendv_pd(r1, r2, lt);
        __m256d tangent = _mm256_cmp_pd(disc, zero, _CMP_LT_OQ); /* within rounding */
        t1 = _mm256_blendv_pd(t1, ts, tangent);
        t2 = _mm256_blendv_pd(t2, ts, tangent);
        __m256d lo =
            _mm256_blendv_pd(_mm256_max_pd(zero, t1), zero, in0); /* in0 ? 0 : (t1 < 0 ? 0 : t1) */
        __m256d hi =
            _mm256_blendv_pd(_mm256_min_pd(span, t2), span, in1); /* in1 ? span : min(t2, span) */
        hi = _mm256_blendv_pd(hi, lo, _mm256_cmp_pd(hi, lo, _CMP_LT_OQ)); /* a touch */
        /* no relative motion: in range all window long */
        lo = _mm256_blendv_pd(zero, lo, moving);
        hi = _mm256_blendv_pd(span, hi, moving);
        double a[4], b[4], d[4];
        _mm256_storeu_pd(a, lo);
        _mm256_storeu_pd(b, hi);
        _mm256_storeu_pd(d, dmin);
        size_t m = n - q < 4 ? n - q : 4;
        for (size_t l = 0; l < m; l++) {
            uint64_t ij = w->ij[q + l];
            push_win_piece(e, tb, (popi_time_t)w->ts[q + l], w->span[q + l], (uint32_t)(ij >> 32),
                           (uint32_t)ij, a[l], b[l], d[l]);
        }
    }
}

__attribute__((target("avx2"))) static void answer_chunk_avx2(const popi_contact_kinetic_t *e,
                                                              size_t k0, size_t k1, tbuf_t *tb)
{
    size_t n = 0;
    for (size_t q = k0; q < k1; q++)
        n = avx2_test(e, &e->tq[q], tb, n);
    avx2_solve(e, tb, n);
}

/* On processors with AVX-512 (F and DQ), pass 1 stays avx2_test: a trigger's rows hold a few
 * entries each (about two for a crossing along x, six along y in B1), so steps of eight lanes
 * waste more than they save (in-run A/B on B1-5000, same chunks: the test at eight lanes took
 * 0.55 s against 0.50 s at four; eight lanes for crossings along y only, 0.49 s, was not worth
 * a second copy of the test). Pass 2 solves eight windows a step, and makes their pieces in the
 * vector registers too, so that only a store per piece is left to the scalar loop. */
#define KIN_AVX512_TARGET __attribute__((target("avx512f,avx512dq")))

/* Pass 2 (as avx2_solve), with the pieces made eight at a time as push_win_piece makes them one
 * at a time (the same operations, so the same bits). */
KIN_AVX512_TARGET static void avx512_solve(const popi_contact_kinetic_t *e, tbuf_t *tb, size_t n)
{
    const wsoa_t *w = &tb->ws;
    const __m512d r = _mm512_set1_pd(e->r), zero = _mm512_setzero_pd(), two = _mm512_set1_pd(2.0),
                  four = _mm512_set1_pd(4.0), mhalf = _mm512_set1_pd(-0.5),
                  neg = _mm512_set1_pd(-0.0);
    const __m512d rr = _mm512_mul_pd(r, r);
    const __m512d mega = _mm512_set1_pd(1e6), eps = _mm512_set1_pd(JOIN_EPS_US),
                  t0 = _mm512_set1_pd((double)e->T0);
    const __m512i low = _mm512_set1_epi64(0xffffffffLL);
    for (size_t q = 0; q < n; q += 8) {
        __m512d px = _mm512_loadu_pd(w->px + q), py = _mm512_loadu_pd(w->py + q);
        __m512d vx = _mm512_loadu_pd(w->vx + q), vy = _mm512_loadu_pd(w->vy + q);
        __m512d span = _mm512_loadu_pd(w->span + q);
        __m512d A = _mm512_add_pd(_mm512_mul_pd(vx, vx), _mm512_mul_pd(vy, vy));
        __m512d B = _mm512_mul_pd(two, _mm512_add_pd(_mm512_mul_pd(px, vx), _mm512_mul_pd(py, vy)));
        __m512d C = _mm512_sub_pd(_mm512_add_pd(_mm512_mul_pd(px, px), _mm512_mul_pd(py, py)), rr);
        __mmask8 in0 = _mm512_cmp_pd_mask(C, zero, _CMP_LE_OQ);
        __mmask8 moving = _mm512_cmp_pd_mask(A, zero, _CMP_GT_OQ);
        /* closest approach: ts = A > 0 ? -B / (2A) : 0, clamped to [0, span] */
        __m512d ts = _mm512_maskz_div_pd(moving, _mm512_xor_pd(B, neg), _mm512_mul_pd(two, A));
        ts = _mm512_max_pd(zero, ts);
        ts = _mm512_min_pd(span, ts);
        __m512d cx = _mm512_add_pd(px, _mm512_mul_pd(vx, ts)),
                cy = _mm512_add_pd(py, _mm512_mul_pd(vy, ts));
        __m512d dmin = _mm512_sqrt_pd(_mm512_add_pd(_mm512_mul_pd(cx, cx), _mm512_mul_pd(cy, cy)));
        __m512d ex = _mm512_add_pd(px, _mm512_mul_pd(vx, span)),
                ey = _mm512_add_pd(py, _mm512_mul_pd(vy, span));
        __mmask8 in1 = _mm512_cmp_pd_mask(
            _mm512_sub_pd(_mm512_add_pd(_mm512_mul_pd(ex, ex), _mm512_mul_pd(ey, ey)), rr), zero,
            _CMP_LE_OQ);
        __m512d disc = _mm512_sub_pd(_mm512_mul_pd(B, B), _mm512_mul_pd(_mm512_mul_pd(four, A), C));
        __m512d sq = _mm512_sqrt_pd(disc);
        __m512d sgn = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(B, zero, _CMP_GE_OQ),
                                           _mm512_xor_pd(sq, neg), sq);
        __m512d qq = _mm512_mul_pd(mhalf, _mm512_add_pd(B, sgn));
        __m512d r1 = _mm512_div_pd(qq, A);
        __m512d r2 = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(qq, zero, _CMP_NEQ_UQ), r1,
                                          _mm512_div_pd(C, qq));
        __mmask8 lt = _mm512_cmp_pd_mask(r1, r2, _CMP_LT_OQ);
        __m512d t1 = _mm512_mask_blend_pd(lt, r2, r1), t2 = _mm512_mask_blend_pd(lt, r1, r2);
        __mmask8 tangent = _mm512_cmp_pd_mask(disc, zero, _CMP_LT_OQ);
        t1 = _mm512_mask_blend_pd(tangent, t1, ts);
        t2 = _mm512_mask_blend_pd(tangent, t2, ts);
        __m512d lo = _mm512_mask_blend_pd(in0, _mm512_max_pd(zero, t1), zero);
        __m512d hi = _mm512_mask_blend_pd(in1, _mm512_min_pd(span, t2), span);
        hi = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(hi, lo, _CMP_LT_OQ), hi, lo);
        lo = _mm512_mask_blend_pd(moving, zero, lo);
        hi = _mm512_mask_blend_pd(moving, span, hi);
        /* the pieces, as push_win_piece makes them: repeats, the pair's key, the closest
         * approach with the "reaches the window end" sign, one-piece intervals and their end */
        __m512d tsd = _mm512_loadu_pd(w->ts + q);
        __m512i ij = _mm512_loadu_si512((const void *)(w->ij + q));
        __mmask8 fresh =
            _mm512_cmp_pd_mask(_mm512_add_pd(tsd, _mm512_mul_pd(lo, mega)), t0, _CMP_NLT_UQ);
        __mmask8 open = _mm512_cmp_pd_mask(_mm512_mul_pd(_mm512_sub_pd(span, hi), mega), eps,
                                           _CMP_LE_OQ);
        __mmask8 simple =
            e->ble ? 0 : (__mmask8)(~open & _mm512_cmp_pd_mask(_mm512_mul_pd(lo, mega), eps, _CMP_GT_OQ));
        __m512i pi = _mm512_srli_epi64(ij, 32), pj = _mm512_and_si512(ij, low);
        __m512i key = _mm512_or_si512(_mm512_slli_epi64(_mm512_min_epu64(pi, pj), 32),
                                      _mm512_max_epu64(pi, pj));
        __m512i due = _mm512_cvttpd_epi64(_mm512_add_pd(_mm512_add_pd(tsd, _mm512_mul_pd(hi, mega)), eps));
        uint64_t k[8];
        int64_t tsi[8], du[8];
        double a[8], b[8], d[8];
        _mm512_storeu_si512((void *)k, key);
        _mm512_storeu_si512((void *)tsi, _mm512_cvttpd_epi64(tsd));
        _mm512_storeu_si512((void *)du, due);
        _mm512_storeu_pd(a, lo);
        _mm512_storeu_pd(b, hi);
        _mm512_storeu_pd(d, _mm512_mask_xor_pd(dmin, open, dmin, neg));
        size_t m = n - q < 8 ? n - q : 8;
        for (size_t l = 0; l < m; l++) {
            if (!(fresh >> l & 1)) continue; /* found and chained in an earlier slice */
            piece_t p = {k[l], tsi[l], a[l], b[l], d[l]};
            file_piece(e, tb, &p, simple >> l & 1, du[l]);
        }
    }
}

KIN_AVX512_TARGET static void answer_chunk_avx512(const popi_contact_kinetic_t *e, size_t k0,
                                                  size_t k1, tbuf_t *tb)
{
    size_t n = 0;
    for (size_t q = k0; q < k1; q++)
        n = avx2_test(e, &e->tq[q], tb, n);
    avx512_solve(e, tb, n);
}
#endif

/* Triggers are answered in chunks of this many (the vector path solves a chunk's windows
 * together). */
#define CHUNK 64

/* Answer triggers e->tq[k0..k1): their new pieces go to tb->pc, or to tb's rings. */
static void answer_chunk(const popi_contact_kinetic_t *e, size_t k0, size_t k1, tbuf_t *tb)
{
#ifdef KIN_AVX2
    if (e->isa == ISA_AVX512) {
        answer_chunk_avx512(e, k0, k1, tb);
        return;
    }
    if (e->isa == ISA_AVX2) {
        answer_chunk_avx2(e, k0, k1, tb);
        return;
    }
#endif
    for (size_t q = k0; q < k1; q++)
        answer_scalar(e, &e->tq[q], tb);
}

/* ---------------------------------------------------------------------------------------------- */
/* Sorting, the map of continuable intervals and the rings                                         */

/* Sort e->kv[0..n) by (k, tie), k < 2^bits, stably: counting passes on the digits of k, least
 * significant first, with digits as wide as keep a pass's counters within about 4n (two passes
 * for a slice of B1), then the rare runs of equal k by tie. No comparison decides where an entry
 * goes, so no branch is mispredicted (an insertion sort within top-digit buckets took half again
 * as long, most of it in mispredictions). */
static void sort_kv(popi_contact_kinetic_t *e, size_t n, int bits)
{
    if (n < 2) return;
    int lg = 1;
    while (lg < 24 && ((size_t)1 << lg) < n) lg++;
    int dmax = lg + 1 < 8 ? 8 : lg + 1;
    int passes = bits < 1 ? 1 : (bits + dmax - 1) / dmax;
    int d = bits < 1 ? 1 : (bits + passes - 1) / passes;
    size_t nb = (size_t)1 << d, mask = nb - 1;
    POPI_GROW(e->cnt, e->cnt_cap, (size_t)passes * nb);
    uint32_t *cnt = e->cnt;
    memset(cnt, 0, (size_t)passes * nb * sizeof *cnt);
    kv_t *src = e->kv, *dst = e->kv_tmp;
    for (size_t i = 0; i < n; i++)
        for (int q = 0; q < passes; q++) cnt[(size_t)q * nb + ((src[i].k >> (q * d)) & mask)]++;
    for (int q = 0; q < passes; q++) { /* exclusive prefix sums: each digit's first slot */
        uint32_t *h = cnt + (size_t)q * nb, sum = 0;
        for (size_t b = 0; b < nb; b++) {
            uint32_t c = h[b];
            h[b] = sum;
            sum += c;
        }
    }
    for (int q = 0; q < passes; q++) {
        uint32_t *h = cnt + (size_t)q * nb;
        for (size_t i = 0; i < n; i++) dst[h[(src[i].k >> (q * d)) & mask]++] = src[i];
        kv_t *x = src;
        src = dst;
        dst = x;
    }
    e->kv = src; /* the sorted entries: swap the buffers rather than copy back */
    e->kv_tmp = dst;
    kv_t *v = src;
    for (size_t i = 1; i < n; i++) {
        if (v[i].k != v[i - 1].k) continue;
        kv_t x = v[i];
        size_t u = i;
        while (u > 0 && v[u - 1].k == x.k && v[u - 1].tie > x.tie) {
            v[u] = v[u - 1];
            u--;
        }
        v[u] = x;
    }
}

static void kv_reserve(popi_contact_kinetic_t *e, size_t n)
{
    if (n <= e->kv_cap) return;
    size_t cap = e->kv_cap ? e->kv_cap : 1024;
    while (cap < n) cap *= 2;
    e->kv = popi_xrealloc(e->kv, cap * sizeof *e->kv);
    e->kv_tmp = popi_xrealloc(e->kv_tmp, cap * sizeof *e->kv_tmp);
    e->kv_cap = cap;
}

static inline uint64_t compact_key(const popi_contact_kinetic_t *e, uint64_t key)
{
    return (key >> 32) * (uint64_t)e->n + (key & 0xffffffffu);
}

static inline size_t map_hash(const popi_contact_kinetic_t *e, uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - e->map_bits));
}

/* Open addressing with linear probing; a slot holds the key beside the record, so probes stay in
 * the table. */
static uint32_t map_get(const popi_contact_kinetic_t *e, uint64_t key)
{
    size_t mask = e->map_cap - 1;
    for (size_t s = map_hash(e, key);; s = (s + 1) & mask) {
        const mslot_t *m = &e->map[s];
        if (m->rec == NONE || m->key == key) return m->rec;
    }
}

static void map_insert_raw(popi_contact_kinetic_t *e, uint64_t key, uint32_t ri)
{
    size_t mask = e->map_cap - 1, s = map_hash(e, key);
    while (e->map[s].rec != NONE) s = (s + 1) & mask;
    e->map[s] = (mslot_t){key, ri, 0};
}

static void map_put(popi_contact_kinetic_t *e, uint32_t ri)
{
    if (2 * (e->map_n + 1) > e->map_cap) {
        mslot_t *old = e->map;
        size_t old_cap = e->map_cap;
        e->map_bits++;
        e->map_cap = (size_t)1 << e->map_bits;
        e->map = popi_xmalloc(e->map_cap * sizeof *e->map);
        map_clear(e->map, e->map_cap);
        for (size_t s = 0; s < old_cap; s++)
            if (old[s].rec != NONE) map_insert_raw(e, old[s].key, old[s].rec);
        free(old);
    }
    map_insert_raw(e, e->rec[ri].key, ri);
    e->map_n++;
    e->rec[ri].in_map = 1;
}

/* Remove a record from the map (backward-shift deletion). */
static void map_del(popi_contact_kinetic_t *e, uint32_t ri)
{
    size_t mask = e->map_cap - 1, s = map_hash(e, e->rec[ri].key);
    while (e->map[s].rec != ri) s = (s + 1) & mask;
    size_t hole = s;
    for (size_t q = (hole + 1) & mask; e->map[q].rec != NONE; q = (q + 1) & mask) {
        size_t h = map_hash(e, e->map[q].key);
        /* the entry at q may move into the hole unless its home lies cyclically in (hole, q] */
        bool stays = hole <= q ? (h > hole && h <= q) : (h > hole || h <= q);
        if (!stays) {
            e->map[hole] = e->map[q];
            hole = q;
        }
    }
    e->map[hole].rec = NONE;
    e->map_n--;
    e->rec[ri].in_map = 0;
}

static uint32_t rec_alloc(popi_contact_kinetic_t *e)
{
    if (e->n_free) return e->free_rec[--e->n_free];
    if (e->rec_used + 1 > e->rec_cap) {
        size_t cap = e->rec_cap ? 2 * e->rec_cap : 256;
        e->rec = popi_xrealloc(e->rec, cap * sizeof *e->rec);
        if (e->ble) e->rradio = popi_xrealloc(e->rradio, cap * sizeof *e->rradio);
        e->rec_cap = cap;
    }
    e->rec[e->rec_used].gen = 0;
    return (uint32_t)e->rec_used++;
}

static void rec_release(popi_contact_kinetic_t *e, uint32_t ri)
{
    rec_t *rc = &e->rec[ri];
    if (rc->in_map) map_del(e, ri);
    if (rc->live_pos != NONE) {
        uint32_t last = e->live[--e->n_live];
        e->live[rc->live_pos] = last;
        e->rec[last].live_pos = rc->live_pos;
        rc->live_pos = NONE;
    }
    rc->gen++;
    rc->closing = 0;
    POPI_GROW(e->free_rec, e->free_cap, e->n_free + 1);
    e->free_rec[e->n_free++] = ri;
}

static inline int64_t due_of(double eb) { return (int64_t)(eb + JOIN_EPS_US); /* eb >= 0 */ }

/* popi_time_from_s for 0 <= s < 2^52 µs (the same llround), without the library call. */
static inline popi_time_t us_of(double s)
{
    double x = s * 1e6;
    popi_time_t t = (popi_time_t)x;
    return t + (x - (double)t >= 0.5);
}

/* A piece that neither starts at its window start nor reaches its window end can neither continue
 * nor be continued: it is a whole interval by itself. */
static inline bool is_simple(const popi_contact_kinetic_t *e, const piece_t *p)
{
    return !e->ble && !piece_open(p) && p->a * 1e6 > JOIN_EPS_US;
}

static inline void push_touched(popi_contact_kinetic_t *e, const fin_t *f)
{
    POPI_GROW(e->touched, e->touched_cap, e->n_touched + 1);
    e->touched[e->n_touched++] = *f;
}

/* Queue an interval that ends at its last piece for emission in this slice. */
static void rec_close(popi_contact_kinetic_t *e, uint32_t ri)
{
    rec_t *rc = &e->rec[ri];
    popi_time_t t_end = rc->tl.ts + us_of(rc->tl.b);
    if (t_end < rc->t_start) t_end = rc->t_start;
    rc->closing = 1;
    if (rc->in_map) map_del(e, ri);
    fin_t f = {rc->key, rc->t_start, t_end, rc->due, rc->tl, ri, 1};
    push_touched(e, &f);
}

static void file_end(popi_contact_kinetic_t *e, uint32_t ri)
{
    rec_t *rc = &e->rec[ri];
    int64_t g = rc->due / e->slice;
    if (rc->cal_g == g) return;
    rc->cal_g = g;
    eslot_t *s = &e->ends[g % RING];
    POPI_GROW(s->v, s->cap, s->n + 1);
    s->v[s->n++] = (endref_t){ri, rc->gen, g};
}

/* ---------------------------------------------------------------------------------------------- */
/* Step 4: chaining the slice's pieces                                                             */

static inline void push_piece(pslot_t *s, const piece_t *p)
{
    POPI_GROW(s->v, s->cap, s->n + 1);
    s->v[s->n++] = *p;
}

static void gather_pieces(popi_contact_kinetic_t *e)
{
    popi_time_t T1 = e->T1;
    pslot_t cur = {e->cur, 0, e->cur_cap};
    /* pieces found earlier that start in this slice */
    pslot_t *slot = &e->ring[(e->T0 / e->slice) % RING];
    size_t w = 0;
    for (size_t k = 0; k < slot->n; k++) {
        const piece_t *p = &slot->v[k];
        if ((int64_t)((double)p->ts + p->a * 1e6) < T1) push_piece(&cur, p);
        else slot->v[w++] = *p;
    }
    slot->n = w;
    for (int t = 0; t < e->threads; t++) {
        tbuf_t *tb = &e->tb[t];
        e->stats.pairs_tested += tb->tested;
        e->stats.pairs_solved += tb->solved;
        for (size_t k = 0; k < tb->n_pc; k++) {
            const piece_t *p = &tb->pc[k];
            int64_t sa = (int64_t)((double)p->ts + p->a * 1e6);
            if (sa < T1) push_piece(&cur, p);
            else push_piece(&e->ring[(sa / e->slice) % RING], p);
        }
    }
    e->cur = cur.v;
    e->n_cur = cur.n;
    e->cur_cap = cur.cap;
}

/* An interval being chained. */
typedef struct {
    popi_time_t t_start;
    double eb;
    tail_t tl;
    uint32_t rec; /* its record, NONE while it has none */
    bool open;    /* its last piece reaches its window end */
} iv_t;

static uint32_t rec_from(popi_contact_kinetic_t *e, uint64_t key, const iv_t *iv)
{
    uint32_t ri = rec_alloc(e);
    rec_t *rc = &e->rec[ri];
    rc->key = key;
    rc->t_start = iv->t_start;
    rc->cal_g = -1;
    rc->live_pos = NONE;
    rc->in_map = 0;
    rc->closing = 0;
    if (e->ble) {
        popi_radio_pair_reset(&e->rradio[ri]);
        POPI_GROW(e->live, e->live_cap, e->n_live + 1);
        rc->live_pos = (uint32_t)e->n_live;
        e->live[e->n_live++] = ri;
    }
    return ri;
}

/* Put a chained interval where it belongs: emitted now, in the map, or waiting for its end. */
static void settle(popi_contact_kinetic_t *e, uint64_t key, iv_t *iv, bool closed)
{
    int64_t due = due_of(iv->eb);
    if (iv->rec == NONE && (e->ble || (iv->open && !closed))) iv->rec = rec_from(e, key, iv);
    if (iv->rec == NONE) { /* a complete interval */
        popi_time_t t_end = iv->tl.ts + us_of(iv->tl.b);
        if (t_end < iv->t_start) t_end = iv->t_start;
        fin_t f = {key, iv->t_start, t_end, due, iv->tl, NONE, 1};
        if (closed) {
            push_touched(e, &f);
        } else {
            fslot_t *s = &e->done[(due / e->slice) % RING];
            POPI_GROW(s->v, s->cap, s->n + 1);
            s->v[s->n++] = f;
        }
        return;
    }
    uint32_t ri = iv->rec;
    rec_t *rc = &e->rec[ri];
    rc->eb = iv->eb;
    rc->due = due;
    rc->tl = iv->tl;
    if (closed) {
        rec_close(e, ri);
    } else if (iv->open) {
        if (!rc->in_map) {
            /* an interval of this pair that no piece continued ends in this slice: close it
             * first, so that the map holds one interval per pair */
            uint32_t old = e->map_n ? map_get(e, key) : NONE;
            if (old != NONE) rec_close(e, old);
            map_put(e, ri);
        }
        file_end(e, ri);
    } else if (e->ble) {
        if (rc->in_map) map_del(e, ri);
        file_end(e, ri);
    } else { /* no longer continuable: complete, it waits in the ring without its record */
        iv->rec = NONE;
        rec_release(e, ri);
        settle(e, key, iv, false);
    }
}

static void chain_pieces(popi_contact_kinetic_t *e)
{
    size_t n = e->n_cur;
    kv_reserve(e, n + 1);
    for (size_t k = 0; k < n; k++) e->kv[k] = (kv_t){compact_key(e, e->cur[k].key), e->cur[k].ts, (uint32_t)k, 0};
    sort_kv(e, n, e->key_bits);
    const piece_t *cur = e->cur;
    size_t q = 0;
    while (q < n) {
        /* the map and the records are larger than the caches: ask for the slot of a pair 16
         * entries ahead, and 8 ahead for the record in that slot if it is the pair's */
        if (q + 16 < n) __builtin_prefetch(&e->map[map_hash(e, cur[e->kv[q + 16].idx].key)]);
        if (q + 8 < n && e->map_n) {
            uint64_t k8 = cur[e->kv[q + 8].idx].key;
            const mslot_t *m8 = &e->map[map_hash(e, k8)];
            if (m8->key == k8 && m8->rec != NONE) {
                const char *r8 = (const char *)&e->rec[m8->rec];
                __builtin_prefetch(r8);
                __builtin_prefetch(r8 + 64);
            }
        }
        uint64_t key = cur[e->kv[q].idx].key;
        size_t end = q + 1;
        while (end < n && cur[e->kv[end].idx].key == key) end++;
        iv_t iv;
        bool have = false, looked = false;
        popi_time_t prev_ts = INT64_MIN;
        for (size_t s = q; s < end; s++) {
            const piece_t *p = &cur[e->kv[s].idx];
            if (p->ts == prev_ts) continue; /* the same window solved twice */
            prev_ts = p->ts;
            double sa = (double)p->ts + p->a * 1e6, eb = (double)p->ts + p->b * 1e6;
            /* only a piece at its window start may continue an interval of an earlier slice, and
             * only one whose last piece reached its window end: those are in the map */
            if (!have && !looked && p->a * 1e6 <= JOIN_EPS_US && e->map_n) {
                uint32_t ri = map_get(e, key);
                looked = true;
                if (ri != NONE) {
                    const rec_t *rc = &e->rec[ri];
                    iv = (iv_t){rc->t_start, rc->eb, rc->tl, ri, true};
                    have = true;
                }
            }
            if (have && sa - iv.eb <= JOIN_EPS_US) {
                if (iv.tl.dmin < iv.tl.dmin_prev) iv.tl.dmin_prev = iv.tl.dmin;
                iv.tl = (tail_t){p->ts, p->a, p->b, piece_dmin(p), iv.tl.dmin_prev};
                iv.eb = eb;
            } else {
                if (have) settle(e, key, &iv, true);
                iv = (iv_t){p->ts + us_of(p->a), eb, {p->ts, p->a, p->b, piece_dmin(p), INFINITY}, NONE,
                            false};
                have = true;
                e->n_open++;
            }
            iv.open = piece_open(p);
        }
        settle(e, key, &iv, due_of(iv.eb) < e->T1);
        q = end;
    }
}

/* Intervals whose end falls in this slice: complete ones, and records no piece continued. */
static void close_due(popi_contact_kinetic_t *e)
{
    int64_t g = e->T0 / e->slice;
    fslot_t *ds = &e->done[g % RING];
    size_t w = 0;
    for (size_t k = 0; k < ds->n; k++) {
        if (ds->v[k].due < e->T1) push_touched(e, &ds->v[k]);
        else ds->v[w++] = ds->v[k];
    }
    ds->n = w;
    eslot_t *slot = &e->ends[g % RING];
    w = 0;
    for (size_t k = 0; k < slot->n; k++) {
        endref_t x = slot->v[k];
        if (k + 8 < slot->n) __builtin_prefetch(&e->rec[slot->v[k + 8].rec]); /* cold records */
        const rec_t *rc = &e->rec[x.rec];
        if (rc->gen != x.gen || rc->closing || rc->cal_g != x.g) continue; /* stale */
        if (x.g <= g && rc->due < e->T1) {
            rec_close(e, x.rec);
            continue;
        }
        slot->v[w++] = x;
    }
    slot->n = w;
}

/* ---------------------------------------------------------------------------------------------- */
/* Step 5: emission (and the BLE radio), in the sweep's order                                      */

/* The leg of agent a that holds time t (the last one starting at or before t). */
static const popi_leg_t *leg_at(const popi_mobility_t *m, uint32_t a, popi_time_t t)
{
    uint32_t nl = popi_mobility_n_legs(m, a), k = 0;
    POPI_ASSERT(nl > 0);
    while (k + 1 < nl && popi_mobility_leg(m, a, k + 1)->t0 <= t) k++;
    return popi_mobility_leg(m, a, k);
}

/* Closest approach of an interval up to time T (µs), which its last piece holds or follows: the
 * last piece clipped at T. Its legs are still queued, since the piece lasts past the slice start. */
static double dmin_upto(const popi_contact_kinetic_t *e, uint64_t key, const tail_t *tl, popi_time_t T)
{
    double d = tl->dmin, u1 = (double)(T - tl->ts) * 1e-6;
    if (u1 < tl->b) {
        uint32_t i = (uint32_t)(key >> 32), j = (uint32_t)(key & 0xffffffffu);
        const popi_leg_t *Pi = leg_at(e->mob, i, tl->ts), *Pj = leg_at(e->mob, j, tl->ts);
        leg_t Li = {Pi->t0, Pi->t1, Pi->x0, Pi->y0, Pi->vx, Pi->vy};
        leg_t Lj = {Pj->t0, Pj->t1, Pj->x0, Pj->y0, Pj->vx, Pj->vy};
        double px, py, vx, vy;
        relative(&Li, &Lj, tl->ts, &px, &py, &vx, &vy);
        double A = vx * vx + vy * vy, u0 = tl->a, tc = A > 0.0 ? -(px * vx + py * vy) / A : u0;
        if (u1 < u0) u1 = u0;
        if (tc < u0) tc = u0;
        if (tc > u1) tc = u1;
        double cx = px + vx * tc, cy = py + vy * tc;
        d = sqrt(cx * cx + cy * cy);
    }
    return d < tl->dmin_prev ? d : tl->dmin_prev;
}

static void emit_interval(popi_contact_kinetic_t *e, uint64_t key, popi_time_t t_start, popi_time_t t_end,
                          double dmin, uint32_t rec)
{
    uint32_t i = (uint32_t)(key >> 32), j = (uint32_t)(key & 0xffffffffu);
    float rssi = e->skip_rssi ? NAN : (float)popi_radio_mean_rssi(e->radio, dmin, 0);
    popi_contact_t c = {t_start, t_end, i, j, rssi, (float)dmin};
    e->stats.proximities++;
    if (e->sink.on_proximity) e->sink.on_proximity(e->sink.ctx, &c);
    if (!e->ble) {
        if (t_end - t_start >= e->min_duration) {
            e->stats.contacts++;
            if (e->sink.on_contact) e->sink.on_contact(e->sink.ctx, &c);
        }
    } else {
        contact_emit_t ec = {&e->sink, &e->stats, dmin};
        popi_radio_close(e->radio, &e->rradio[rec], i, j, contact_radio_emit, &ec);
    }
}

/* The sort entries of a slice (e->kv) name their entry by (idx, pad): pad = KV_TOUCHED for
 * e->touched[idx], KV_EPC for e->epc[idx] (finish), else thread pad's ring slot of this slice,
 * e->tb[pad].dring[slot].v[idx]. */
#define KV_TOUCHED UINT32_MAX
#define KV_EPC (UINT32_MAX - 1)

/* Sort key of an entry: (bucket of the close, i, j), tie t_start; entries still open (BLE) count
 * as bucket 0. b0, nb: the slice's first bucket and count (nb = 1: one bucket). */
static inline kv_t entry_kv(const popi_contact_kinetic_t *e, uint64_t key, int64_t due,
                            popi_time_t t_start, bool closing, int64_t b0, int64_t nb, uint32_t idx,
                            uint32_t pad)
{
    uint64_t bk = 0;
    if (nb > 1 && closing) {
        int64_t d = due / e->bucket - b0;
        bk = (uint64_t)(d < 0 ? 0 : d >= nb ? nb - 1 : d);
    }
    return (kv_t){(bk << e->key_bits) | compact_key(e, key), t_start, idx, pad};
}

/* Sort into e->kv (e->n_kv entries), by (bucket of the close, i, j, t_start): e->touched, e->epc
 * and, if @p rings, the one-piece intervals of the threads' ring slots of this slice that end in
 * it (the others go to the thread's spare slot, which replaces the ring slot once these are
 * emitted). */
static void sort_entries(popi_contact_kinetic_t *e, bool by_bucket, bool rings)
{
    size_t n = e->n_touched + e->n_epc;
    int slot = (int)((e->T0 / e->slice) % RING);
    if (rings)
        for (int t = 0; t < e->threads; t++)
            n += e->tb[t].dring[slot].n;
    kv_reserve(e, n + 1);
    int64_t b0 = e->T0 / e->bucket, nb = by_bucket ? (e->T1 - 1) / e->bucket - b0 + 1 : 1;
    int bb = 0;
    while (((int64_t)1 << bb) < nb) bb++;
    size_t m = 0;
    for (size_t k = 0; k < e->n_touched; k++) {
        const fin_t *f = &e->touched[k];
        e->kv[m++] = entry_kv(e, f->key, f->due, f->t_start, f->closing != 0, b0, nb, (uint32_t)k,
                              KV_TOUCHED);
    }
    for (size_t k = 0; k < e->n_epc; k++) {
        const piece_t *p = &e->epc[k];
        e->kv[m++] = entry_kv(e, p->key, due_of((double)p->ts + p->b * 1e6), p->ts + us_of(p->a),
                              true, b0, nb, (uint32_t)k, KV_EPC);
    }
    if (rings)
        for (int t = 0; t < e->threads; t++) {
            const pslot_t *ds = &e->tb[t].dring[slot];
            pslot_t *keep = &e->tb[t].spare;
            keep->n = 0;
            for (size_t k = 0; k < ds->n; k++) {
                const piece_t *p = &ds->v[k];
                int64_t due = due_of((double)p->ts + p->b * 1e6);
                if (due < e->T1) /* ends in this slice */
                    e->kv[m++] = entry_kv(e, p->key, due, p->ts + us_of(p->a), true, b0, nb,
                                          (uint32_t)k, (uint32_t)t);
                else /* later: after a turn of the ring */
                    push_piece(keep, p);
            }
        }
    e->n_kv = m;
    sort_kv(e, m, e->key_bits + bb);
}

/* Emit the sorted entries; @p t_cut >= 0 closes every one at t_cut (finish). */
static void emit_entries(popi_contact_kinetic_t *e, popi_time_t t_cut)
{
    size_t n = e->n_kv;
    int slot = (int)((e->T0 / e->slice) % RING);
    uint64_t last_key = UINT64_MAX;
    popi_time_t last_ts = INT64_MIN;
    for (size_t k = 0; k < n; k++) {
        uint32_t idx = e->kv[k].idx, pad = e->kv[k].pad;
        if (k + 8 < n && e->kv[k + 8].pad < KV_EPC) /* the sort scattered the pieces: ask ahead */
            __builtin_prefetch(&e->tb[e->kv[k + 8].pad].dring[slot].v[e->kv[k + 8].idx]);
        if (pad != KV_TOUCHED) {
            const piece_t *p = pad == KV_EPC ? &e->epc[idx] : &e->tb[pad].dring[slot].v[idx];
            if (p->key == last_key && p->ts == last_ts) continue; /* the same window solved twice */
            last_key = p->key;
            last_ts = p->ts;
            popi_time_t t_start = p->ts + us_of(p->a);
            if (t_cut >= 0) {
                tail_t tl = {p->ts, p->a, p->b, piece_dmin(p), INFINITY};
                emit_interval(e, p->key, t_start, t_cut, dmin_upto(e, p->key, &tl, t_cut), NONE);
            } else {
                emit_interval(e, p->key, t_start, p->ts + us_of(p->b), piece_dmin(p), NONE);
            }
            continue;
        }
        const fin_t *f = &e->touched[idx];
        double dmin;
        if (t_cut >= 0) dmin = dmin_upto(e, f->key, &f->tl, t_cut);
        else if (f->closing) dmin = f->tl.dmin < f->tl.dmin_prev ? f->tl.dmin : f->tl.dmin_prev;
        else dmin = dmin_upto(e, f->key, &f->tl, e->T1);
        if (e->ble && t_cut < 0) {
            popi_time_t t_lo = f->t_start > e->T0 ? f->t_start : e->T0, t_hi = f->closing ? f->t_end : e->T1;
            if (t_hi > t_lo) {
                uint32_t i = (uint32_t)(f->key >> 32), j = (uint32_t)(f->key & 0xffffffffu);
                contact_emit_t ec = {&e->sink, &e->stats, dmin};
                popi_radio_observe(e->radio, &e->rradio[f->rec], i, j, t_lo, t_hi, contact_pos_cb, e->mob, contact_radio_emit,
                                   &ec);
            }
        }
        if (f->closing) {
            emit_interval(e, f->key, f->t_start, t_cut >= 0 ? t_cut : f->t_end, dmin, f->rec);
            e->n_open--;
            if (f->rec != NONE) rec_release(e, f->rec);
        }
    }
    e->n_touched = 0;
    e->n_epc = 0;
}

static inline void push_epc(popi_contact_kinetic_t *e, const piece_t *p)
{
    POPI_GROW(e->epc, e->epc_cap, e->n_epc + 1);
    e->epc[e->n_epc++] = *p;
}

static void emit_slice(popi_contact_kinetic_t *e)
{
    if (e->ble) /* the radio follows every open interval through every bucket */
        for (size_t k = 0; k < e->n_live; k++) {
            const rec_t *rc = &e->rec[e->live[k]];
            if (rc->closing) continue;
            fin_t f = {rc->key, rc->t_start, 0, rc->due, rc->tl, e->live[k], 0};
            push_touched(e, &f);
        }
    sort_entries(e, !e->ble, true);
    emit_entries(e, -1);
    /* what waits in the slots for a later turn of the ring */
    int slot = (int)((e->T0 / e->slice) % RING);
    for (int t = 0; t < e->threads; t++) {
        pslot_t x = e->tb[t].dring[slot];
        e->tb[t].dring[slot] = e->tb[t].spare;
        e->tb[t].spare = x;
        e->tb[t].spare.n = 0;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* The slice loop                                                                                  */

static void run_slice(popi_contact_kinetic_t *e, popi_time_t T0, popi_time_t T1)
{
    e->T0 = T0;
    e->T1 = T1;
    if (e->full) e->origin = T0;
    int nth = e->n >= e->grain_agents ? e->threads : 1;
    for (int t = nth; t < e->threads; t++) { /* idle buffers this slice */
        tbuf_t *tb = &e->tb[t];
        tb->n_legs = tb->n_vis = tb->n_trig = tb->n_pc = tb->n_act = tb->n_still = 0;
        tb->tested = tb->solved = 0;
    }
#pragma omp parallel num_threads(nth)
    {
        tbuf_t *tb = &e->tb[omp_get_thread_num()];
        tb->n_legs = tb->n_vis = tb->n_trig = tb->n_pc = tb->n_act = tb->n_still = 0;
        tb->tested = tb->solved = 0;
        tb->n_ends = 0;
        /* a share of the agents per thread, in order; each thread then works on those it listed */
        uint64_t t = (uint64_t)omp_get_thread_num(), nt = (uint64_t)omp_get_num_threads();
        list_share(e, (uint32_t)((uint64_t)e->n * t / nt), (uint32_t)((uint64_t)e->n * (t + 1) / nt), T1, tb);
        fetch_queues(e, tb);
        for (size_t k = 0; k < tb->n_act; k++) agent_pass(e, tb->act[k], T0, T1, tb);
    }
    build_index(e);
    const size_t nt = e->n_trigs;
    nth = nt >= e->grain_triggers ? e->threads : 1;
#pragma omp parallel num_threads(nth)
    {
        tbuf_t *tb = &e->tb[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (size_t k = 0; k < nt; k += CHUNK)
            answer_chunk(e, k, k + CHUNK < nt ? k + CHUNK : nt, tb);
    }
    gather_pieces(e);
    chain_pieces(e);
    close_due(e);
    emit_slice(e);
    e->full = false;
    e->stats.buckets += (uint64_t)((T1 - 1) / e->bucket - T0 / e->bucket + 1);
}

popi_err_t popi_contact_kinetic_advance(popi_contact_kinetic_t *e, popi_time_t t_to)
{
    while (e->now < t_to) {
        popi_time_t T0 = e->now;
        popi_time_t T1 = (T0 / e->slice + 1) * e->slice;
        if (T1 > t_to) T1 = t_to;
        if (T1 > e->mob_until) {
            popi_time_t ahead = T0 + (LOOKAHEAD_US > T1 - T0 ? LOOKAHEAD_US : T1 - T0);
            popi_err_t rc = popi_mobility_advance(e->mob, T0, ahead);
            if (rc) return rc;
            e->mob_until = ahead;
        }
        run_slice(e, T0, T1);
        e->now = T1;
    }
    return POPI_OK;
}

void popi_contact_kinetic_finish(popi_contact_kinetic_t *e)
{
    /* every open interval: one-piece ones that have started, complete ones waiting for their end,
     * and records (each with one current entry in the end ring); closed now, in (i, j) order, with
     * the closest approach up to now */
    e->n_touched = 0;
    e->n_epc = 0;
    for (int s = 0; s < RING; s++) {
        for (int t = 0; t < e->threads; t++)
            for (size_t k = 0; k < e->tb[t].dring[s].n; k++) {
                const piece_t *p = &e->tb[t].dring[s].v[k];
                if ((double)p->ts + p->a * 1e6 < (double)e->now) push_epc(e, p);
            }
        for (size_t k = 0; k < e->done[s].n; k++) push_touched(e, &e->done[s].v[k]);
        for (size_t k = 0; k < e->ends[s].n; k++) {
            endref_t x = e->ends[s].v[k];
            const rec_t *rc = &e->rec[x.rec];
            if (rc->gen != x.gen || rc->closing || rc->cal_g != x.g) continue;
            fin_t f = {rc->key, rc->t_start, 0, rc->due, rc->tl, x.rec, 1};
            push_touched(e, &f);
        }
    }
    e->T0 = e->now;
    sort_entries(e, false, false);
    emit_entries(e, e->now);
    for (int k = 0; k < RING; k++) {
        e->ring[k].n = 0;
        for (int t = 0; t < e->threads; t++)
            e->tb[t].dring[k].n = 0;
        e->done[k].n = 0;
        e->ends[k].n = 0;
    }
    e->full = true; /* a later advance starts afresh from now */
}
