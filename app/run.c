/* SPDX-License-Identifier: MIT */
/*
 * run.c - one crowd run, as ordered phases: build -> simulate -> analyse -> record.
 *
 * The event queue drives the simulation: a periodic sweep event advances the contact engine
 * (which emits closed intervals into the run's accumulators) and reports progress. Accumulators
 * keep per-agent counts, distinct partners (a bitset or a hash set of pair keys), a uniform
 * reservoir sample of contact durations (at most analysis.max_samples, for the fit) and a
 * histogram of contact start times; the full event lists are kept only when the scenario asks to
 * write them, so memory stays bounded by the crowd, not by the number of contacts.
 */
#include "popi/run.h"

#include "popi/contact_kinetic.h"
#include "popi/h5out.h"
#include "popi/reservoir.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------- */
/* A set of pair keys (open addressing, linear probing; key + 1 so that 0 marks an empty slot).    */

typedef struct {
    uint64_t *slot;
    size_t cap, n;
} pairset_t;

static bool pairset_insert(pairset_t *s, uint64_t key)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *ns = popi_xcalloc(cap, sizeof *ns);
        for (size_t k = 0; k < s->cap; k++) {
            if (!s->slot[k]) continue;
            size_t h = (size_t)popi_rng_mix64(s->slot[k]) & (cap - 1);
            while (ns[h]) h = (h + 1) & (cap - 1);
            ns[h] = s->slot[k];
        }
        free(s->slot);
        s->slot = ns;
        s->cap = cap;
    }
    uint64_t v = key + 1;
    size_t h = (size_t)popi_rng_mix64(v) & (s->cap - 1);
    while (s->slot[h]) {
        if (s->slot[h] == v) return false;
        h = (h + 1) & (s->cap - 1);
    }
    s->slot[h] = v;
    s->n++;
    return true;
}

/* ---------------------------------------------------------------------------------------------- */

/* ---------------------------------------------------------------------------------------------- */
/* Proximity engines: one table per engine, chosen by contact.engine (same intervals either way). */

typedef struct {
    const char *name;
    popi_err_t (*create)(void **out, const popi_contact_config_t *cfg, popi_mobility_t *mob,
                         popi_radio_t *radio, popi_contact_sink_t sink, int threads);
    popi_err_t (*advance)(void *e, popi_time_t t_to);
    void (*finish)(void *e);
    popi_contact_stats_t (*stats)(const void *e);
    void (*free)(void *e);
} engine_vt_t;

static popi_err_t sweep_create(void **out, const popi_contact_config_t *cfg, popi_mobility_t *mob,
                               popi_radio_t *radio, popi_contact_sink_t sink, int threads)
{
    return popi_contact_create((popi_contact_engine_t **)out, cfg, mob, radio, sink, threads);
}
static popi_err_t sweep_advance(void *e, popi_time_t t) { return popi_contact_advance(e, t); }
static void sweep_finish(void *e) { popi_contact_finish(e); }
static popi_contact_stats_t sweep_stats(const void *e) { return popi_contact_stats(e); }
static void sweep_free(void *e) { popi_contact_free(e); }

static popi_err_t kinetic_create(void **out, const popi_contact_config_t *cfg, popi_mobility_t *mob,
                                 popi_radio_t *radio, popi_contact_sink_t sink, int threads)
{
    return popi_contact_kinetic_create((popi_contact_kinetic_t **)out, cfg, mob, radio, sink, threads);
}
static popi_err_t kinetic_advance(void *e, popi_time_t t) { return popi_contact_kinetic_advance(e, t); }
static void kinetic_finish(void *e) { popi_contact_kinetic_finish(e); }
static popi_contact_stats_t kinetic_stats(const void *e) { return popi_contact_kinetic_stats(e); }
static void kinetic_free(void *e) { popi_contact_kinetic_free(e); }

static const engine_vt_t engines[] = {
    [POPI_CONTACT_KINETIC] = {"kinetic", kinetic_create, kinetic_advance, kinetic_finish, kinetic_stats,
                              kinetic_free},
    [POPI_CONTACT_SWEEP] = {"sweep", sweep_create, sweep_advance, sweep_finish, sweep_stats, sweep_free},
};

/* Up to this many agents the distinct pairs are a triangular bitset (n^2/16 bytes, 56 MB at the
 * limit): constant time and cache-friendly; beyond it, a hash set of the pairs actually seen. */
#define PAIRBITS_MAX 30000u

#define PENDING_MAX 256 /* contacts buffered before accounting */
#define PREFETCH_AHEAD 16 /* contacts between the prefetch of a distinct-pair bit and its use */

typedef struct {
    const popi_scenario_t *s;
    popi_run_opts_t opts;
    popi_des_t des;
    popi_world_t world;
    popi_mobility_t mob;
    popi_radio_t radio;
    const engine_vt_t *vt; /* the proximity engine's table */
    void *eng;
    popi_trace_t trace;
    bool from_trace;
    uint32_t n;
    popi_time_t t_end;
    popi_time_t step;  /* bin width of /contacts/cumulative, µs */
    popi_time_t sweep; /* period of the sweep event, µs */
    /* accumulators */
    popi_contact_vec_t events, prox;
    uint32_t *ev_count, *partners;
    double *ctime;
    pairset_t pairs;   /* distinct pairs in large crowds */
    uint64_t *pairbits; /* distinct pairs as a triangular bitset in crowds up to PAIRBITS_MAX */
    uint64_t *rowbase;  /* with it, per agent i: bit of pair (i, j) = rowbase[i] + j (mod 2^64) */
    popi_reservoir_t durations; /* uniform sample of contact durations (s) for the fit */
    popi_rng_t sampling;
    uint64_t *cum_bins;
    size_t n_bins;
    size_t bin;         /* /contacts/cumulative bin of the last contact accounted, */
    popi_time_t bin_lo; /* which holds [bin_lo, bin_lo + step) */
    uint64_t n_prox; /* detected contacts are counted by the reservoir (durations.seen) */
    popi_contact_t pending[PENDING_MAX]; /* detected contacts not yet accounted */
    size_t n_pending;
} run_t;

/* Bit index of pair (i < j) in the triangular bitset, row by row of the first agent: the pairs of
 * i are bits i(n-1) - i(i-1)/2 + [0, n-1-i). The engine emits a slice's contacts in (i, j) order,
 * so consecutive contacts touch nearby, increasing words (with rows by j, each contact touched a
 * random word of the whole set). */
static inline uint64_t pairbit(const run_t *r, const popi_contact_t *c)
{
    return r->rowbase[c->i] + c->j;
}

/* i(n-1) - i(i-1)/2 - i - 1 for each agent i, unsigned (for i = 0 it wraps: + j gives j - 1). */
static uint64_t *pair_rows(uint32_t n)
{
    uint64_t *b = popi_xmalloc(((size_t)n + 1) * sizeof *b);
    for (uint64_t i = 0; i < n; i++) b[i] = i * (n - 1) - i * (i - 1) / 2 - i - 1;
    return b;
}

/* Account one detected contact (in emission order, so floating-point sums are reproducible). The
 * distinct pairs are only recorded here (a blind bit set, or an insertion): the partner counts are
 * read from the set once, at the end (count_partners), so no branch depends on a bit that is
 * likely a cache miss. */
static void account(run_t *r, const popi_contact_t *c)
{
    r->ev_count[c->i]++;
    r->ev_count[c->j]++;
    double d = popi_time_to_s(c->t_end - c->t_start);
    r->ctime[c->i] += d;
    r->ctime[c->j] += d;
    if (r->pairbits) {
        uint64_t k = pairbit(r, c);
        r->pairbits[k >> 6] |= UINT64_C(1) << (k & 63);
    } else {
        pairset_insert(&r->pairs, ((uint64_t)c->i << 32) | c->j);
    }
    /* a full reservoir takes one item in ~seen/k: count the others here, without a call */
    popi_reservoir_t *rv = &r->durations;
    if (rv->n >= rv->k && rv->seen + 1 != rv->next) rv->seen++;
    else popi_reservoir_add(rv, d, &r->sampling);
    /* contacts arrive in about the order of their start: divide only on leaving the last bin */
    popi_time_t t = c->t_start;
    if (t < r->bin_lo || t - r->bin_lo >= r->step) {
        size_t bin = (size_t)(t / r->step);
        r->bin = bin < r->n_bins ? bin : r->n_bins - 1;
        r->bin_lo = t >= 0 ? t - t % r->step : INT64_MAX; /* (a negative start is never cached) */
    }
    r->cum_bins[r->bin]++;
    if (r->s->out_contacts) popi_contact_vec_push(&r->events, c);
}

/* Account the buffered contacts in order, prefetching the distinct-pair bits a few contacts
 * ahead: the bitset is larger than the caches and, even in (i, j) order, a slice's contacts touch a
 * word every few lines of it (even a blind bit set stalls on its line: without the prefetch and
 * the batching, B1 at 5,000 agents takes 0.3 s longer). */
static void flush_contacts(run_t *r)
{
    for (size_t k = 0; k < r->n_pending; k++) {
        if (k + PREFETCH_AHEAD < r->n_pending) {
            const popi_contact_t *c = &r->pending[k + PREFETCH_AHEAD];
            if (r->pairbits) __builtin_prefetch(&r->pairbits[pairbit(r, c) >> 6], 1);
            __builtin_prefetch(&r->ctime[c->i], 1);
            __builtin_prefetch(&r->ctime[c->j], 1);
            __builtin_prefetch(&r->ev_count[c->i], 1);
            __builtin_prefetch(&r->ev_count[c->j], 1);
        }
        account(r, &r->pending[k]);
    }
    r->n_pending = 0;
}

/* Distinct partners per agent, from the set of distinct pairs (after the last contact). O(n^2/64 +
 * pairs) for the bitset, O(set capacity) for the hash set. */
static void count_partners(run_t *r)
{
    memset(r->partners, 0, r->n * sizeof *r->partners);
    if (!r->pairbits) {
        for (size_t k = 0; k < r->pairs.cap; k++) {
            uint64_t v = r->pairs.slot[k];
            if (!v) continue;
            v--; /* keys are stored + 1 */
            r->partners[v >> 32]++;
            r->partners[v & 0xffffffffu]++;
        }
        return;
    }
    for (uint32_t i = 0; i + 1 < r->n; i++) {
        uint64_t base = (uint64_t)i * (r->n - 1) - (uint64_t)i * (i - 1) / 2, k = base,
                 end = base + (r->n - 1 - i);
        while (k < end) { /* the bits of pairs (i, j), i < j, a word (or part of one) at a time */
            unsigned off = (unsigned)(k & 63), take = 64 - off;
            if (take > end - k) take = (unsigned)(end - k);
            uint64_t w = r->pairbits[k >> 6] >> off;
            if (take < 64) w &= (UINT64_C(1) << take) - 1;
            r->partners[i] += (uint32_t)__builtin_popcountll(w);
            for (; w; w &= w - 1)
                r->partners[i + 1 + (k - base) + (uint64_t)__builtin_ctzll(w)]++;
            k += take;
        }
    }
}

static void on_contact(void *ctx, const popi_contact_t *c)
{
    run_t *r = ctx;
    r->pending[r->n_pending++] = *c;
    if (r->n_pending == PENDING_MAX) flush_contacts(r);
}

static void on_proximity(void *ctx, const popi_contact_t *c)
{
    run_t *r = ctx;
    r->n_prox++;
    if (r->s->out_proximity) popi_contact_vec_push(&r->prox, c);
}

static popi_time_t sweep_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)arg;
    run_t *r = ctx;
    popi_err_t rc = r->vt->advance(r->eng, now);
    if (rc) {
        popi_des_fail(des, rc);
        return POPI_DES_DONE;
    }
    if (r->opts.progress) r->opts.progress(r->opts.progress_ctx, (double)now / (double)r->t_end);
    if (now >= r->t_end) return POPI_DES_DONE;
    return now + r->sweep > r->t_end ? r->t_end - now : r->sweep;
}

/* ---------------------------------------------------------------------------------------------- */
/* Phases                                                                                          */

static popi_err_t build_simulated(run_t *r)
{
    const popi_scenario_t *s = r->s;
    popi_err_t rc;
    popi_world_config_t wc = s->world;
    char *map = NULL;
    if (s->world.map_file && s->world.map_file[0]) {
        map = popi_scenario_path(s, s->world.map_file);
        wc.map_file = map;
    } else {
        wc.map_file = NULL;
    }
    popi_rng_t wrng;
    popi_rng_init(&wrng, s->seed, r->opts.run_index, POPI_STREAM_WORLD);
    rc = popi_world_init(&r->world, &wc, &wrng);
    popi_rng_destroy(&wrng);
    free(map);
    if (rc) return rc;
    double n = s->agents > 0 ? (double)s->agents : round(s->density * r->world.free_area_m2);
    if (n < 2 || n > 1e8)
        return popi_err_set(POPI_EINVAL,
                            "scenario: the crowd must have 2 to 1e8 agents, got %.0f (crowd.agents, or "
                            "crowd.density %g 1/m^2 x free area %g m^2)",
                            n, s->density, r->world.free_area_m2);
    r->n = (uint32_t)n;
    if ((rc = popi_mobility_init(&r->mob, &s->mobility, &r->world, r->n, s->seed, r->opts.run_index)))
        return rc;
    if ((rc = popi_radio_init(&r->radio, &s->radio, s->contact.min_duration_s, &r->world, r->n, s->seed,
                              r->opts.run_index)))
        return rc;
    /* unless they are written, the engine's count of proximity intervals is all the run needs
     * (taken after the run): no call per interval */
    popi_contact_sink_t sink = {r, s->out_proximity ? on_proximity : NULL, on_contact};
    if (s->contact.engine != POPI_CONTACT_KINETIC && s->contact.engine != POPI_CONTACT_SWEEP)
        return popi_err_set(POPI_EINVAL, "scenario: contact.engine must be kinetic or sweep, got %d",
                            s->contact.engine);
    r->vt = &engines[s->contact.engine];
    if ((rc = r->vt->create(&r->eng, &s->contact, &r->mob, &r->radio, sink, r->opts.threads))) return rc;
    /* the run reads an interval's RSSI only to write it to /contacts/events or /proximity */
    if (s->contact.engine == POPI_CONTACT_KINETIC && !s->out_contacts && !s->out_proximity)
        popi_contact_kinetic_set_rssi(r->eng, false);
    r->t_end = popi_time_from_s(s->duration_s);
    return POPI_OK;
}

static popi_err_t build_trace(run_t *r)
{
    const popi_scenario_t *s = r->s;
    char *path = popi_scenario_path(s, s->trace.file);
    popi_err_t rc = popi_trace_load(&r->trace, path, (popi_trace_format_t)s->trace.format, s->trace.window_s);
    free(path);
    if (rc) return rc;
    r->n = r->trace.n_agents;
    r->t_end = r->trace.t_end > 0 ? r->trace.t_end : 1;
    r->from_trace = true;
    return POPI_OK;
}

static void alloc_accumulators(run_t *r)
{
    r->ev_count = popi_xcalloc(r->n, sizeof *r->ev_count);
    r->partners = popi_xcalloc(r->n, sizeof *r->partners);
    r->ctime = popi_xcalloc(r->n, sizeof *r->ctime);
    popi_reservoir_init(&r->durations, (size_t)r->s->analysis.max_samples);
    popi_rng_init(&r->sampling, r->s->seed, r->opts.run_index, POPI_STREAM_SAMPLING);
    if (r->n <= PAIRBITS_MAX) {
        r->pairbits = popi_xcalloc(((uint64_t)r->n * r->n / 2) / 64 + 1, sizeof *r->pairbits);
        r->rowbase = pair_rows(r->n);
    }
    r->step = popi_time_from_s(r->s->cumulative_step_s);
    if (r->step < 1) r->step = 1;
    r->n_bins = (size_t)((r->t_end + r->step - 1) / r->step) + 1;
    r->cum_bins = popi_xcalloc(r->n_bins, sizeof *r->cum_bins);
}

static popi_err_t simulate(run_t *r)
{
    if (r->from_trace) {
        popi_time_t min_dur = popi_time_from_s(r->s->contact.min_duration_s);
        for (size_t k = 0; k < r->trace.contacts.n; k++) {
            const popi_contact_t *c = &r->trace.contacts.v[k];
            on_proximity(r, c);
            if (c->t_end - c->t_start >= min_dur) on_contact(r, c);
        }
        flush_contacts(r);
        count_partners(r);
        if (r->opts.progress) r->opts.progress(r->opts.progress_ctx, 1.0);
        return POPI_OK;
    }
    /* sweep in steps of about 1% of the run, whole multiples of the bucket */
    popi_time_t bucket = popi_time_from_s(r->s->contact.bucket_s);
    if (bucket < 1) bucket = 1;
    r->sweep = (r->t_end / 100 / bucket + 1) * bucket;
    popi_time_t first = r->sweep < r->t_end ? r->sweep : r->t_end;
    popi_des_init(&r->des);
    popi_err_t rc = popi_des_schedule(&r->des, first, sweep_cb, r, 0, NULL);
    if (rc) return rc;
    if ((rc = popi_des_run_until(&r->des, r->t_end))) return rc;
    r->vt->finish(r->eng);
    flush_contacts(r);
    count_partners(r);
    if (!r->s->out_proximity) r->n_prox = r->vt->stats(r->eng).proximities;
    return POPI_OK;
}

/* /contacts/fit rows */
typedef struct {
    uint8_t quantity; /* 0 = events per agent, 1 = contact durations */
    uint8_t discrete;
    uint8_t ok;
    uint64_t n, n_tail;
    double alpha, alpha_se, xmin, ks_d, loglik, p_value;
    int32_t n_boot;
    double lr_lognormal_R, lr_lognormal_p, lognormal_mu, lognormal_sigma;
    double lr_exponential_R, lr_exponential_p, exponential_lambda;
    double lr_truncated_R, lr_truncated_p, truncated_alpha, truncated_lambda;
    double median, mad, outlier_lo, outlier_hi;
    uint64_t n_outliers;
} fit_row_t;

static fit_row_t fit_row(uint8_t q, const popi_powerlaw_fit_t *f, const popi_robust_t *rb)
{
    fit_row_t row = {q, f->discrete, f->ok, f->n, f->n_tail, f->alpha, f->alpha_se, f->xmin, f->ks_d,
                     f->loglik, f->p_value, f->n_boot,
                     f->vs_lognormal.R, f->vs_lognormal.p, f->vs_lognormal.par1, f->vs_lognormal.par2,
                     f->vs_exponential.R, f->vs_exponential.p, f->vs_exponential.par1,
                     f->vs_truncated.R, f->vs_truncated.p, f->vs_truncated.par1, f->vs_truncated.par2,
                     rb->median, rb->mad, rb->lo, rb->hi, rb->n_flagged};
    return row;
}

static popi_err_t analyse(run_t *r, popi_agent_row_t *rows, popi_run_summary_t *sum, fit_row_t fits[2])
{
    const popi_scenario_t *s = r->s;
    double *ev = popi_xmalloc(r->n * sizeof *ev);
    uint8_t *flags = popi_xcalloc(r->n, 1);
    for (uint32_t a = 0; a < r->n; a++) ev[a] = r->ev_count[a];
    popi_robust_t rb_ev, rb_dur;
    double thr = s->analysis.outlier_rule == POPI_OUTLIER_SIGMA ? s->analysis.outlier_sigma
                                                                : s->analysis.outlier_z;
    popi_err_t rc = popi_fit_robust(ev, r->n, (popi_outlier_rule_t)s->analysis.outlier_rule, thr, flags, &rb_ev);
    if (rc) goto done;
    for (uint32_t a = 0; a < r->n; a++) {
        rows[a].agent = a;
        rows[a].id = r->from_trace ? r->trace.ids[a] : (int64_t)a;
        rows[a].events = r->ev_count[a];
        rows[a].partners = r->partners[a];
        rows[a].contact_time_s = r->ctime[a];
        rows[a].mobility = r->from_trace ? POPI_RUN_TRACE_CLASS : r->mob.kind[a];
        rows[a].outlier = flags[a];
    }
    popi_rng_t rng;
    popi_rng_init(&rng, s->seed, r->opts.run_index, POPI_STREAM_ANALYSIS);
    rc = popi_fit_powerlaw(ev, r->n, true, s->analysis.bootstrap, &rng, &sum->fit_events);
    if (!rc) {
        const double *d = r->durations.v;
        size_t nd = r->durations.n;
        rc = popi_fit_powerlaw(d, nd, false, s->analysis.bootstrap, &rng, &sum->fit_durations);
        if (!rc && nd > 0) {
            rc = popi_fit_robust(d, nd, (popi_outlier_rule_t)s->analysis.outlier_rule, thr, NULL, &rb_dur);
        } else if (!rc) {
            memset(&rb_dur, 0, sizeof rb_dur);
            rb_dur.median = rb_dur.mad = rb_dur.lo = rb_dur.hi = NAN;
        }
    }
    popi_rng_destroy(&rng);
    if (rc) goto done;
    sum->robust_events = rb_ev;
    sum->median_events = rb_ev.median;
    sum->max_events = 0;
    for (uint32_t a = 0; a < r->n; a++)
        if (ev[a] > sum->max_events) sum->max_events = ev[a];
    fits[0] = fit_row(0, &sum->fit_events, &rb_ev);
    fits[1] = fit_row(1, &sum->fit_durations, &rb_dur);
done:
    free(ev);
    free(flags);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Output tables, declared once                                                                    */

typedef struct {
    double t_start, t_end;
    uint32_t i, j;
    float rssi_dbm, d_min_m;
} contact_row_t;

#define F POPI_H5_FIELD
static const popi_h5_field_t contact_fields[] = {
    F(contact_row_t, t_start, POPI_H5_F64, "s", "start of the interval (simulated time)"),
    F(contact_row_t, t_end, POPI_H5_F64, "s", "end of the interval"),
    F(contact_row_t, i, POPI_H5_U32, "1", "first agent (i < j)"),
    F(contact_row_t, j, POPI_H5_U32, "1", "second agent"),
    F(contact_row_t, rssi_dbm, POPI_H5_F32, "dBm",
      "mean RSSI of qualifying sightings (ble); path loss at closest approach (unit_disc); NaN for traces"),
    F(contact_row_t, d_min_m, POPI_H5_F32, "m", "closest approach during the proximity interval; NaN for traces"),
};
static const popi_h5_field_t agent_fields[] = {
    F(popi_agent_row_t, agent, POPI_H5_U32, "1", "agent index"),
    F(popi_agent_row_t, id, POPI_H5_I64, "1", "original id (traces) or the agent index"),
    F(popi_agent_row_t, events, POPI_H5_U32, "1", "detected contacts of the agent"),
    F(popi_agent_row_t, partners, POPI_H5_U32, "1", "distinct partners in detected contacts"),
    F(popi_agent_row_t, contact_time_s, POPI_H5_F64, "s", "total duration of detected contacts"),
    F(popi_agent_row_t, mobility, POPI_H5_U8, "1", "mobility class (see attribute mobility.codes)"),
    F(popi_agent_row_t, outlier, POPI_H5_U8, "1", "1 if the contact count is flagged by the outlier rule"),
};
typedef struct {
    double t;
    uint64_t total;
} cum_row_t;
static const popi_h5_field_t cum_fields[] = {
    F(cum_row_t, t, POPI_H5_F64, "s", "simulated time"),
    F(cum_row_t, total, POPI_H5_U64, "1", "detected contacts started before t"),
};
static const popi_h5_field_t fit_fields[] = {
    F(fit_row_t, quantity, POPI_H5_U8, "1", "0 = detected contacts per agent, 1 = contact durations (s)"),
    F(fit_row_t, discrete, POPI_H5_U8, "1", "1 if the discrete power law was fitted"),
    F(fit_row_t, ok, POPI_H5_U8, "1", "0 if there were too few positive values to fit"),
    F(fit_row_t, n, POPI_H5_U64, "1", "positive values fitted (durations: a uniform sample of at most analysis.max_samples)"),
    F(fit_row_t, n_tail, POPI_H5_U64, "1", "values >= x_min"),
    F(fit_row_t, alpha, POPI_H5_F64, "1", "power-law exponent (MLE)"),
    F(fit_row_t, alpha_se, POPI_H5_F64, "1", "standard error of alpha, (alpha-1)/sqrt(n_tail)"),
    F(fit_row_t, xmin, POPI_H5_F64, "same as data", "x_min minimising the KS distance"),
    F(fit_row_t, ks_d, POPI_H5_F64, "1", "KS distance of the tail"),
    F(fit_row_t, loglik, POPI_H5_F64, "1", "log-likelihood of the tail"),
    F(fit_row_t, p_value, POPI_H5_F64, "1", "bootstrap goodness-of-fit p-value"),
    F(fit_row_t, n_boot, POPI_H5_I32, "1", "bootstrap resamples"),
    F(fit_row_t, lr_lognormal_R, POPI_H5_F64, "1", "log-likelihood ratio power law - log-normal"),
    F(fit_row_t, lr_lognormal_p, POPI_H5_F64, "1", "Vuong p-value of the sign of R"),
    F(fit_row_t, lognormal_mu, POPI_H5_F64, "1", "log-normal mu"),
    F(fit_row_t, lognormal_sigma, POPI_H5_F64, "1", "log-normal sigma"),
    F(fit_row_t, lr_exponential_R, POPI_H5_F64, "1", "log-likelihood ratio power law - exponential"),
    F(fit_row_t, lr_exponential_p, POPI_H5_F64, "1", "Vuong p-value of the sign of R"),
    F(fit_row_t, exponential_lambda, POPI_H5_F64, "1/unit", "exponential rate"),
    F(fit_row_t, lr_truncated_R, POPI_H5_F64, "1", "log-likelihood ratio power law - truncated power law"),
    F(fit_row_t, lr_truncated_p, POPI_H5_F64, "1", "chi-square (1 dof) p-value, nested models"),
    F(fit_row_t, truncated_alpha, POPI_H5_F64, "1", "truncated power law exponent"),
    F(fit_row_t, truncated_lambda, POPI_H5_F64, "1/unit", "truncated power law cut-off rate"),
    F(fit_row_t, median, POPI_H5_F64, "same as data", "median"),
    F(fit_row_t, mad, POPI_H5_F64, "same as data", "median absolute deviation (raw)"),
    F(fit_row_t, outlier_lo, POPI_H5_F64, "same as data", "values below are flagged"),
    F(fit_row_t, outlier_hi, POPI_H5_F64, "same as data", "values above are flagged"),
    F(fit_row_t, n_outliers, POPI_H5_U64, "1", "flagged values"),
};
#undef F
#define TABLE POPI_H5_TABLE
static const popi_h5_table_t t_events = TABLE("/contacts/events",
    "detected close contacts (radio rule and contact.min_duration), sorted by (t_start, i, j)",
    contact_fields, contact_row_t);
static const popi_h5_table_t t_prox = TABLE("/contacts/proximity",
    "geometric proximity intervals (distance <= contact.range_m), exact crossing times, sorted by (t_start, i, j)",
    contact_fields, contact_row_t);
static const popi_h5_table_t t_agents = TABLE("/contacts/per_agent", "per-agent contact statistics",
    agent_fields, popi_agent_row_t);
static const popi_h5_table_t t_cum = TABLE("/contacts/cumulative",
    "cumulative number of detected contacts by start time, every output.cumulative_step_s",
    cum_fields, cum_row_t);
static const popi_h5_table_t t_fit = TABLE("/contacts/fit",
    "Clauset-Shalizi-Newman power-law fits with likelihood-ratio tests, and robust outlier bounds",
    fit_fields, fit_row_t);
#undef TABLE

static popi_err_t write_contacts(popi_h5_t *h, const popi_h5_table_t *t, popi_contact_vec_t *v)
{
    popi_contact_vec_sort(v);
    contact_row_t *rows = popi_xmalloc((v->n ? v->n : 1) * sizeof *rows);
    for (size_t k = 0; k < v->n; k++) {
        const popi_contact_t *c = &v->v[k];
        rows[k] = (contact_row_t){popi_time_to_s(c->t_start), popi_time_to_s(c->t_end), c->i, c->j,
                                  c->rssi_dbm, c->d_min_m};
    }
    popi_err_t rc = popi_h5_write_table(h, t, rows, v->n);
    free(rows);
    return rc;
}

static popi_err_t record(run_t *r, popi_h5_t *hp, const popi_agent_row_t *rows, const fit_row_t fits[2])
{
    const popi_scenario_t *s = r->s;
    popi_h5_t h = *hp;
    popi_err_t rc;
    memset(hp, 0, sizeof *hp);
    hp->fd = -1;
    if ((rc = popi_run_write_root_attrs(&h, s, &r->opts, "popi-sim (popi run)"))) goto fail;
    if ((rc = popi_h5_attr_i64(&h, "/", "agents", r->n))) goto fail;
    if ((rc = popi_h5_attr_f64(&h, "/", "duration_s", popi_time_to_s(r->t_end)))) goto fail;
    if (s->out_contacts && (rc = write_contacts(&h, &t_events, &r->events))) goto fail;
    if (s->out_proximity && (rc = write_contacts(&h, &t_prox, &r->prox))) goto fail;
    if ((rc = popi_h5_write_table(&h, &t_agents, rows, r->n))) goto fail;
    {
        char codes[256];
        snprintf(codes, sizeof codes, "0=%s,1=%s,2=%s,3=%s,4=%s,255=trace",
                 popi_mobility_kind_name(0), popi_mobility_kind_name(1), popi_mobility_kind_name(2),
                 popi_mobility_kind_name(3), popi_mobility_kind_name(4));
        if ((rc = popi_h5_attr_str(&h, "/contacts/per_agent", "mobility.codes", codes))) goto fail;
    }
    {
        cum_row_t *cum = popi_xmalloc(r->n_bins * sizeof *cum);
        uint64_t tot = 0;
        size_t nb = 0;
        for (size_t b = 0; b < r->n_bins; b++) {
            popi_time_t t = (popi_time_t)(b + 1) * r->step;
            tot += r->cum_bins[b];
            if (t > r->t_end) t = r->t_end;
            cum[nb++] = (cum_row_t){popi_time_to_s(t), tot};
            if (t >= r->t_end) break;
        }
        rc = popi_h5_write_table(&h, &t_cum, cum, nb);
        free(cum);
        if (rc) goto fail;
    }
    if (s->out_contacts) { /* every duration, in the order of /contacts/events */
        double *d = popi_xmalloc((r->events.n ? r->events.n : 1) * sizeof *d);
        for (size_t k = 0; k < r->events.n; k++)
            d[k] = popi_time_to_s(r->events.v[k].t_end - r->events.v[k].t_start);
        rc = popi_h5_write_f64(&h, "/contacts/durations", d, r->events.n, "s",
                               "durations of detected contacts, in the order of /contacts/events");
        free(d);
    } else { /* the events were not kept: the uniform sample the fit used */
        char desc[200];
        snprintf(desc, sizeof desc,
                 "uniform random sample (reservoir) of %zu of the %llu detected contact durations",
                 r->durations.n, (unsigned long long)r->durations.seen);
        rc = popi_h5_write_f64(&h, "/contacts/durations", r->durations.v, r->durations.n, "s", desc);
    }
    if (rc) goto fail;
    if ((rc = popi_h5_write_table(&h, &t_fit, fits, 2))) goto fail;
    return popi_h5_commit(&h);
fail:
    popi_h5_abort(&h);
    return rc;
}

long popi_run_peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

double popi_run_clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

popi_err_t popi_run_write_root_attrs(popi_h5_t *h, const popi_scenario_t *s,
                                     const popi_run_opts_t *opts, const char *generator)
{
    char *json = popi_scenario_to_json(s);
    popi_err_t rc = popi_h5_attr_str(h, "/", "scenario", json);
    free(json);
    if (!rc) rc = popi_h5_attr_u64(h, "/", "seed", s->seed);
    if (!rc) rc = popi_h5_attr_u64(h, "/", "run_index", opts->run_index);
    if (!rc) rc = popi_h5_attr_str(h, "/", "version", popi_version());
    if (!rc) rc = popi_h5_attr_i64(h, "/", "threads", opts->threads);
    if (!rc) rc = popi_h5_attr_str(h, "/", "generator", generator);
    return rc;
}

static void run_destroy(run_t *r)
{
    if (r->eng) r->vt->free(r->eng);
    popi_radio_destroy(&r->radio);
    popi_mobility_destroy(&r->mob);
    popi_world_destroy(&r->world);
    popi_trace_destroy(&r->trace);
    popi_des_destroy(&r->des);
    popi_contact_vec_destroy(&r->events);
    popi_contact_vec_destroy(&r->prox);
    free(r->ev_count);
    free(r->partners);
    free(r->ctime);
    free(r->pairs.slot);
    free(r->pairbits);
    free(r->rowbase);
    popi_reservoir_destroy(&r->durations);
    popi_rng_destroy(&r->sampling);
    free(r->cum_bins);
}

popi_err_t popi_run_execute(const popi_scenario_t *s, const popi_run_opts_t *opts, popi_run_summary_t *sum,
                            popi_run_fail_t *fail)
{
    double w0 = popi_run_clock_s(CLOCK_MONOTONIC), c0 = popi_run_clock_s(CLOCK_PROCESS_CPUTIME_ID);
    run_t r;
    memset(&r, 0, sizeof r);
    memset(sum, 0, sizeof *sum);
    r.s = s;
    r.opts = *opts;
    if (r.opts.threads < 1) r.opts.threads = 1;
    *fail = POPI_RUN_FAIL_INPUT;
    popi_agent_row_t *rows = NULL;
    fit_row_t fits[2];
    popi_h5_t h;
    memset(&h, 0, sizeof h);
    h.fd = -1;
    popi_err_t rc;
    /* phase 0: claim the output (a missing or read-only folder fails before any work) */
    if (opts->out_path && (rc = popi_h5_create(&h, opts->out_path))) {
        *fail = POPI_RUN_FAIL_OUTPUT;
        goto out;
    }
    /* phase 1: build */
    rc = (s->trace.file && s->trace.file[0]) ? build_trace(&r) : build_simulated(&r);
    if (rc) goto out;
    alloc_accumulators(&r);
    /* phase 2: simulate */
    *fail = POPI_RUN_FAIL_INTERNAL;
    if ((rc = simulate(&r))) goto out;
    /* phase 3: analyse */
    rows = popi_xcalloc(r.n, sizeof *rows);
    if ((rc = analyse(&r, rows, sum, fits))) goto out;
    /* phase 4: record */
    *fail = POPI_RUN_FAIL_OUTPUT;
    if (opts->out_path && (rc = record(&r, &h, rows, fits))) goto out;
    *fail = POPI_RUN_FAIL_NONE;
    sum->agents = r.n;
    sum->contacts = r.durations.seen;
    sum->proximities = r.n_prox;
    sum->sim_s = popi_time_to_s(r.t_end);
    sum->from_trace = r.from_trace;
    if (r.eng) sum->engine = r.vt->stats(r.eng);
    sum->des_events = r.des.n_executed;
    sum->sightings = r.radio.n_sightings;
out:
    sum->wall_s = popi_run_clock_s(CLOCK_MONOTONIC) - w0;
    sum->cpu_s = popi_run_clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    sum->peak_rss_kb = popi_run_peak_rss_kb();
    popi_h5_abort(&h);
    free(rows);
    run_destroy(&r);
    return rc;
}
