/* SPDX-License-Identifier: MIT */
/*
 * pow.c - the proof-of-work engine: Bitcoin's rules with phone-class miners.
 *
 * Who produces and when: miner i hashes at h_i H/s on its own tip; a block whose compact target
 * has work W (expected hashes, popi_target_work) is modelled to need S × W hashes, where the
 * scale S = (Σ h_i × pow.block_interval_s) / W(genesis) is fixed at creation so that the whole
 * network finds a genesis-difficulty block every block_interval_s on average. Miner i therefore
 * finds blocks as a Poisson process of rate r_i = h_i / (S × W(bits of its next block)); the
 * next solution of the network comes after an exponential time of rate R = Σ r_i (online miners)
 * and belongs to miner i with probability r_i / R. By memorylessness the draw is simply redone
 * whenever a rate changes (a tip crossing a retarget, churn), which keeps it exact. The winner
 * then grinds a real nonce at the header's target (pow.sim_zero_bits leading zero bits at
 * genesis), so every header in the chain truly meets its compact target.
 * Difficulty: Bitcoin's retarget every pow.retarget_interval blocks (the ratio of actual to
 * expected time over the last interval − 1 block times, clamped to [1/4, 4], applied to the
 * 256-bit target, capped at the easiest compact target); the header check verifies both the
 * hash and that the bits follow this schedule. Weight: the target's work (Bitcoin's chain work).
 * Energy: every miner is charged h_i × hash_j for every second it is online (it mines all the
 * time). Sampling uses a Fenwick tree over r_i, so a draw or a rate change costs O(log n).
 */
#include "popi/engine.h"
#include "popi/block.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    popi_engine_host_t *host;
    uint32_t n;
    double *h;          /* hash rate per node, H/s (0: not a miner) */
    double *rate;       /* current r_i (0 when offline or not a miner) */
    uint32_t *bits_of;  /* bits of the next block on node i's tip (0: unknown) */
    double *fw;         /* Fenwick tree over rate, 1-based */
    double scale;       /* S: modelled hashes per unit of target work */
    uint32_t genesis_bits, limit_bits;
    popi_time_t interval_us;
    double interval_s; /* pow.block_interval_s as given */
    uint32_t retarget;
    popi_rng_t rng;
    popi_des_event_id_t ev;
    bool scheduled;
    uint64_t n_solutions;
} pow_t;

static void fw_add(pow_t *p, uint32_t i, double d)
{
    for (uint32_t k = i + 1; k <= p->n; k += k & (~k + 1)) p->fw[k] += d;
}

static double fw_total(const pow_t *p)
{
    double s = 0;
    for (uint32_t k = p->n; k > 0; k &= k - 1) s += p->fw[k];
    return s;
}

/* The node i with prefix(i) <= u < prefix(i + 1) (u in [0, total)). */
static uint32_t fw_find(const pow_t *p, double u)
{
    uint32_t pos = 0, step = 1;
    while (step * 2 <= p->n) step *= 2;
    for (; step; step >>= 1)
        if (pos + step <= p->n && p->fw[pos + step] <= u) {
            pos += step;
            u -= p->fw[pos];
        }
    return pos < p->n ? pos : p->n - 1;
}

static double target_work_of(uint32_t bits)
{
    popi_hash_t t;
    if (popi_target_from_bits(bits, &t) != POPI_OK) return INFINITY;
    return popi_target_work(&t);
}

/* Bits of the block after @p parent (NULL: genesis). */
static uint32_t next_bits(const pow_t *p, const popi_store_node_t *parent)
{
    if (!parent) return p->genesis_bits;
    uint64_t h = parent->depth + 1;
    uint32_t bits = parent->block->hdr.bits;
    if (h % p->retarget != 0) return bits;
    const popi_store_node_t *first =
        popi_store_ancestor((popi_store_node_t *)parent, h - p->retarget);
    POPI_ASSERT(first != NULL);
    popi_time_t actual = parent->block->hdr.time - first->block->hdr.time;
    popi_time_t expected = (popi_time_t)(p->retarget - 1) * p->interval_us;
    return popi_engine_retarget(bits, actual, expected, p->limit_bits);
}

static void set_rate(pow_t *p, uint32_t i, double r)
{
    if (r == p->rate[i]) return;
    fw_add(p, i, r - p->rate[i]);
    p->rate[i] = r;
}

static double rate_for(const pow_t *p, uint32_t i, uint32_t bits)
{
    if (p->h[i] <= 0) return 0;
    return p->h[i] / (p->scale * target_work_of(bits));
}

static popi_time_t solve(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg);

/* Draw the next solution of the network from now (the previous draw, if any, is dropped). */
static void reschedule(pow_t *p, popi_time_t now)
{
    if (p->scheduled) popi_des_cancel(p->host->des, p->ev);
    p->scheduled = false;
    double R = fw_total(p);
    if (!(R > 1e-300)) return;
    double dt = gsl_ran_exponential(p->rng.g, 1.0 / R);
    double us = ceil(dt * 1e6);
    if (us < 1) us = 1;
    if (us > 9e18) return;
    if (popi_des_schedule(p->host->des, now + (popi_time_t)us, solve, p, 0, &p->ev) == POPI_OK)
        p->scheduled = true;
}

static popi_time_t solve(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)arg;
    pow_t *p = ctx;
    p->scheduled = false;
    double R = fw_total(p);
    uint32_t w = fw_find(p, gsl_rng_uniform(p->rng.g) * R);
    while (w > 0 && p->rate[w] <= 0) w--; /* rounding at the top end of the tree */
    if (p->rate[w] > 0 && p->host->can_produce(p->host->ctx, w, now)) {
        popi_store_node_t *tip = p->host->tip(p->host->ctx, w);
        uint32_t bits = next_bits(p, tip);
        p->n_solutions++;
        popi_err_t e = p->host->produce(p->host->ctx, w, now, bits, NULL, 0, true, NULL);
        if (e) {
            popi_des_fail(des, e);
            return POPI_DES_DONE;
        }
    }
    if (!p->scheduled && p->host->active(p->host->ctx)) reschedule(p, now);
    return POPI_DES_DONE;
}

static popi_err_t pow_create(popi_engine_host_t *host, void **state)
{
    const popi_pow_config_t *c = &host->cfg->pow;
    pow_t *p = popi_xcalloc(1, sizeof *p);
    p->host = host;
    p->n = host->n_nodes;
    p->h = popi_xcalloc(p->n, sizeof *p->h);
    p->rate = popi_xcalloc(p->n, sizeof *p->rate);
    p->bits_of = popi_xcalloc(p->n, sizeof *p->bits_of);
    p->fw = popi_xcalloc(p->n + 1, sizeof *p->fw);
    p->retarget = (uint32_t)c->retarget_interval;
    p->interval_us = popi_time_from_s(c->block_interval_s);
    p->interval_s = c->block_interval_s;
    popi_err_t e = popi_target_bits_for_zero_bits((unsigned)c->sim_zero_bits, &p->genesis_bits);
    if (!e) e = popi_target_bits_for_zero_bits(0, &p->limit_bits);
    if (e) {
        free(p->h), free(p->rate), free(p->bits_of), free(p->fw), free(p);
        return popi_err_wrap(e, "pow.sim_zero_bits");
    }
    popi_rng_init(&p->rng, host->seed, host->run_index, POPI_STREAM_CONSENSUS);
    /* miners and their hash rates: log-normal with mean hash_rate_hs */
    double sig = c->hash_rate_sigma, total = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        double u = gsl_rng_uniform(p->rng.g);
        double z = gsl_ran_gaussian_ziggurat(p->rng.g, 1.0);
        /* only nodes that can produce (full nodes) mine; light nodes never do */
        if (u < c->miner_fraction && host->can_produce(host->ctx, i, 0))
            p->h[i] = c->hash_rate_hs * exp(sig * z - 0.5 * sig * sig);
        total += p->h[i];
    }
    p->scale = total * c->block_interval_s / target_work_of(p->genesis_bits);
    if (!(p->scale > 0)) p->scale = 1; /* no miner: nothing is ever produced */
    *state = p;
    return POPI_OK;
}

static void pow_destroy(void *state)
{
    pow_t *p = state;
    if (!p) return;
    popi_rng_destroy(&p->rng);
    free(p->h);
    free(p->rate);
    free(p->bits_of);
    free(p->fw);
    free(p);
}

static uint32_t pow_genesis_bits(void *state) { return ((pow_t *)state)->genesis_bits; }

static bool pow_check_proof(void *state, const popi_block_t *b, const popi_block_t *parent,
                            char *reason, size_t cap)
{
    pow_t *p = state;
    if (!popi_block_meets_bits(b)) {
        snprintf(reason, cap, "hash does not meet the target of bits 0x%08x", b->hdr.bits);
        return false;
    }
    const popi_store_node_t *pn = NULL;
    if (parent) {
        pn = popi_store_find(p->host->store, &parent->hash);
        if (!pn) {
            snprintf(reason, cap, "parent not in the store");
            return false;
        }
    }
    uint32_t want = next_bits(p, pn);
    if (b->hdr.bits != want) {
        snprintf(reason, cap, "bits 0x%08x where the retarget schedule gives 0x%08x", b->hdr.bits,
                 want);
        return false;
    }
    return true;
}

static double pow_weight(void *state, const popi_block_t *b)
{
    (void)state;
    return popi_store_weight_work(NULL, b);
}

static uint64_t pow_sharing(void *state, const popi_block_t *b, const popi_block_t *parent)
{
    (void)state, (void)b, (void)parent;
    return 0;
}

static void update_node(pow_t *p, uint32_t i, popi_time_t now)
{
    double r = 0;
    if (p->h[i] > 0 && p->host->can_produce(p->host->ctx, i, now)) {
        popi_store_node_t *tip = p->host->tip(p->host->ctx, i);
        p->bits_of[i] = next_bits(p, tip);
        r = rate_for(p, i, p->bits_of[i]);
    }
    set_rate(p, i, r);
}

static popi_err_t pow_start(void *state, popi_time_t now)
{
    pow_t *p = state;
    for (uint32_t i = 0; i < p->n; i++) update_node(p, i, now);
    reschedule(p, now);
    return POPI_OK;
}

static void pow_on_tip(void *state, uint32_t node, popi_store_node_t *tip, popi_time_t now)
{
    pow_t *p = state;
    if (p->h[node] <= 0 || p->rate[node] <= 0) return; /* not mining now */
    uint32_t bits = next_bits(p, tip);
    if (bits == p->bits_of[node]) return; /* same difficulty: the race goes on unchanged */
    p->bits_of[node] = bits;
    set_rate(p, node, rate_for(p, node, bits));
    reschedule(p, now);
}

static void pow_on_online(void *state, uint32_t node, bool online, popi_time_t now)
{
    pow_t *p = state;
    (void)online;
    if (p->h[node] <= 0) return;
    double before = p->rate[node];
    update_node(p, node, now);
    if (p->rate[node] != before) reschedule(p, now);
}

static void pow_finish(void *state, popi_time_t t_end)
{
    pow_t *p = state;
    for (uint32_t i = 0; i < p->n; i++)
        if (p->h[i] > 0)
            p->host->charge(p->host->ctx, i, POPI_ENERGY_HASH,
                            p->h[i] * p->host->online_s(p->host->ctx, i, t_end) *
                                p->host->energy->hash_j);
}

static double pow_resource(void *state, uint32_t node) { return ((pow_t *)state)->h[node]; }

static double pow_block_interval_s(const void *state)
{
    const pow_t *p = state;
    return p->interval_s;
}

const popi_engine_vt_t popi_engine_pow = {
    .name = "pow",
    .kind = POPI_CONSENSUS_POW,
    .create = pow_create,
    .destroy = pow_destroy,
    .genesis_bits = pow_genesis_bits,
    .check_proof = pow_check_proof,
    .weight = pow_weight,
    .sharing = pow_sharing,
    .start = pow_start,
    .on_tip = pow_on_tip,
    .on_online = pow_on_online,
    .finish = pow_finish,
    .resource = pow_resource,
    .block_interval_s = pow_block_interval_s,
};
