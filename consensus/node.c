/* SPDX-License-Identifier: MIT */
/*
 * node.c - full and light nodes over the simulated network, block gossip (INV → GETDATA →
 * BLOCK, headers for light nodes), validation time and energy per node, propagation metrics.
 * The protocol is described in node.h. Events carry an index into a message pool (from, to,
 * block, kind); per block, one byte per node says what that node has done with it (nothing,
 * requested, validating, has it, holds it as orphan), which gives duplicate suppression in O(1)
 * and the propagation curve without storing per-node times: the DES delivers in time order, so
 * the k-th node to accept a block does so at the k-th arrival time.
 */
#include "popi/node.h"
#include "popi/block.h"
#include "popi/crypto.h"
#include "popi/merkle.h"
#include "popi/sigcache.h"
#include "popi/tx.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum {
    M_INV = 0, M_GETDATA, M_BLOCK, M_GETHEADERS, M_HEADERS, M_GETTIP, M_TXINV, M_GETTX, M_TX,
    M_GETPROOF, M_PROOF, M__COUNT
};
static const char *const msg_names[] = {"inv", "getdata", "block", "getheaders", "headers", "gettip",
                                        "txinv", "gettx", "tx", "getproof", "proof"};

const char *popi_p2p_msg_name(unsigned kind) { return kind < M__COUNT ? msg_names[kind] : NULL; }

/* Bytes of one inventory entry (type 4 + hash 32) in INV / GETTX lists. */
#define INV_ENTRY_B 36.0

/* What a node has done with a block (one byte per node per block). */
enum { S_NONE = 0, S_REQUESTED, S_VALIDATING, S_HAVE, S_ORPHAN };

typedef struct {
    uint32_t from, to, block;
    uint32_t bytes;   /* on the wire */
    uint32_t txd_us;  /* transmission time (the receiver's radio works that long) */
    uint8_t kind;
    uint8_t from_idx; /* index of `from` in `to`'s neighbour list (255: >= 255 or none) */
    float bps;        /* bandwidth of the transfer */
} msg_t;

/* Hot per-node state (touched by every message); the chain views live in p->chains. */
typedef struct {
    popi_store_node_t *hdr_tip; /* light nodes: best header */
    popi_time_t cpu_free;       /* validation is serialised per node */
    uint64_t bytes_in, bytes_out, msgs_in, msgs_out;
    popi_energy_meter_t meter;
    uint32_t produced;
    uint32_t *orphans; /* block indices held as orphans (full nodes) */
    size_t n_orphans, cap_orphans;
    bool light;
    bool online; /* as of the last churn event */
    bool flush_pending;  /* a transaction announcement is scheduled */
    uint32_t *annq;      /* transactions accepted since the last announcement */
    size_t n_annq, cap_annq;
    uint32_t *txorph;    /* transactions whose parent payment has not arrived yet */
    size_t n_txorph, cap_txorph;
} node_t;

typedef struct {
    popi_store_node_t *sn;
    uint8_t *state;        /* per node */
    uint64_t *known;       /* per node: bit j = neighbour j (j < 64) is known to have the block */
    uint32_t *fallback;    /* per node: another announcer (UINT32_MAX: none); lossy runs only */
    popi_time_t t0;        /* production time */
    uint32_t reached;
    double delay_sum;      /* s, producer excluded */
    double t50, t90, t100; /* s */
    uint32_t wire;
    int64_t producer;      /* node id, -1 for genesis */
    double w_online;       /* engine resource (hash rate) online when it was produced */
    double w_reached;      /* of which reached, and ... */
    double w_delay;        /* ... sum of resource x min(delay, cap) over those, s */
} binfo_t;

/* What node v has done with a block; a block every node has accepted keeps no per-node arrays
 * (release_if_everywhere). */
static inline uint8_t bstate(const binfo_t *bi, uint32_t v) { return bi->state ? bi->state[v] : S_HAVE; }

struct popi_p2p {
    popi_p2p_config_t cfg;
    popi_net_t *net;
    popi_des_t *des;
    uint64_t seed, run_index;
    uint32_t n;
    node_t *nodes;
    popi_chain_t *chains; /* full nodes' views, by node id */
    const popi_engine_vt_t *eng;
    void *eng_state;
    popi_engine_host_t host;
    popi_energy_model_t energy;
    popi_store_t *store;
    binfo_t *blocks;
    size_t n_blocks, cap_blocks;
    /* block index by store seq (dense) */
    uint32_t *by_seq;
    size_t cap_by_seq;
    msg_t *msgs;
    uint32_t *free_msgs;
    size_t n_msgs, cap_msgs, n_free, cap_free;
    bool lossy; /* loss, churn or partitions: requests can fail and time out */
    popi_time_t timeout_us;
    popi_rng_t rng;
    popi_p2p_block_t *rows; /* filled by finish */
    popi_time_t last_activity; /* time of the last message delivered or block validated */
    uint64_t stop_blocks;      /* chain.stop_blocks (0: none) */
    popi_p2p_stats_t st;
    /* transactions: the run-wide table (every payment once), per-node mempools, and the
     * shared lists of transaction ids that INV / GETTX / TX messages carry (refcounted) */
    struct txrec { /* one payment while the run goes; popi_p2p_txs expands it */
        uint32_t origin, payee, size, reached;
        uint32_t height1; /* height of the best-chain block holding it + 1 (0: none) */
    } *txs;
    double *tx_proof;      /* per payment, light payee's proof time (NULL without light nodes) */
    bool any_light;
    popi_p2p_tx_t *tx_out; /* the expanded rows (popi_p2p_txs), built once after finish */
    popi_tx_t *tx_objs;  /* the signed payments, same index */
    popi_pubkey_t *pks;  /* wallet key of every node (transaction workload only) */
    uint8_t **txst; /* per transaction, one state byte per node */
    size_t n_txs, cap_txs;
    popi_mempool_t **mempools; /* by node, NULL for light nodes and without a workload */
    struct txbatch {
        uint32_t *ix;
        uint32_t n, refs;
    } *batches;
    uint32_t *free_batches;
    size_t n_batches, cap_batches, n_free_batches, cap_free_batches;
    popi_sigcache_t *sigcache;
    popi_hash_t *txids;    /* per payment, once signed (both relays) */
    popi_time_t *tx_t0;    /* per payment, creation time */
    uint32_t *txmap;       /* open addressing: txid -> payment index + 1 (0: empty) */
    size_t cap_txmap;
    /* flood relay (tx.relay = flood): one run-wide pool on the last producer's tip, payments
     * signed in batches, arrival at node k = creation + flood delay from the origin */
    bool flood;
    popi_net_flood_t *fl;
    popi_mempool_t *pool;
    popi_keypair_t *kps;   /* wallet keys, derived once */
    popi_outpoint_t *coin; /* per node: the output its next payment spends ... */
    uint64_t *coin_amt;    /* ... its amount (0: nothing left to pay with) ... */
    uint32_t *coin_pend;   /* ... and, while the payment that pays it is pending, its slot + 1 */
    struct pitem **pend;   /* built, waiting for the next flush (signer.mu guards the array) */
    size_t n_pend, cap_pend;
    struct signer {        /* background signing threads (--threads − 1; none with one thread) */
        pthread_mutex_t mu;
        pthread_cond_t work, done;
        pthread_t *th;
        int n_th;
        bool quit;
        size_t next; /* no unclaimed item before this slot */
        size_t busy; /* items claimed and not finished */
    } sg;
    popi_store_node_t *best;
    double inv_b, getdata_b, overhead_b;
    double dw_cap_s; /* a node's uninformed time per block is counted up to this (s) */
    /* reverse adjacency: rev[rev_off[v] + j] = index of v in the list of its j-th neighbour
     * (255 when >= 255), so an INV names its sender's slot in the receiver's known bits */
    uint8_t *rev;
    uint64_t *rev_off;
};

/* ---- small helpers ---- */

static uint32_t msg_new(popi_p2p_t *p, uint32_t from, uint32_t to, uint32_t block, int kind)
{
    uint32_t k;
    if (p->n_free) k = p->free_msgs[--p->n_free];
    else {
        POPI_GROW(p->msgs, p->cap_msgs, p->n_msgs + 1);
        k = (uint32_t)p->n_msgs++;
    }
    p->msgs[k] = (msg_t){.from = from, .to = to, .block = block, .kind = (uint8_t)kind, .from_idx = 255};
    return k;
}

static void msg_release(popi_p2p_t *p, uint32_t k)
{
    POPI_GROW(p->free_msgs, p->cap_free, p->n_free + 1);
    p->free_msgs[p->n_free++] = k;
}

/* The wallet (and producer) key of a node, derived from (seed, run, node). */
static void keypair_of(const popi_p2p_t *p, uint32_t node, popi_keypair_t *kp)
{
    popi_crypto_keypair_from_u64(kp, popi_rng_key3(p->seed, p->run_index, 0x6b6579ULL + node));
}

static void pubkey_of(const popi_p2p_t *p, uint32_t node, popi_pubkey_t *pk)
{
    popi_keypair_t kp;
    keypair_of(p, node, &kp);
    *pk = kp.pk;
    popi_crypto_keypair_wipe(&kp);
}

static popi_time_t deliver(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg);

/* Send a message; returns false if the network lost it. */
static bool send_idx(popi_p2p_t *p, uint32_t from, uint32_t to, uint32_t block, int kind,
                     double bytes, bool queued, popi_time_t now, uint8_t from_idx)
{
    uint64_t b = (uint64_t)llround(bytes);
    node_t *a = &p->nodes[from];
    a->bytes_out += b;
    a->msgs_out++;
    p->st.msgs[kind]++;
    popi_net_timing_t tm;
    popi_time_t arr = popi_net_send_timed(p->net, from, to, b, now, queued, &tm);
    /* the sender's radio works over the upload interval, delivered or not */
    popi_energy_transfer(&a->meter, &p->energy, tm.start, b, tm.bps, true);
    if (arr == POPI_NET_LOST) return false;
    uint32_t m = msg_new(p, from, to, block, kind);
    p->msgs[m].bytes = (uint32_t)b;
    p->msgs[m].txd_us = (uint32_t)(tm.tx_end - tm.start);
    p->msgs[m].bps = (float)tm.bps;
    p->msgs[m].from_idx = from_idx;
    if (popi_des_schedule(p->des, arr, deliver, p, m, NULL) != POPI_OK) {
        msg_release(p, m);
        return false;
    }
    return true;
}

static bool send(popi_p2p_t *p, uint32_t from, uint32_t to, uint32_t block, int kind, double bytes,
                 bool queued, popi_time_t now)
{
    return send_idx(p, from, to, block, kind, bytes, queued, now, 255);
}


static void record_reach(popi_p2p_t *p, binfo_t *bi, uint32_t v, popi_time_t now, bool producer)
{
    bi->reached++;
    double d = popi_time_to_s(now - bi->t0);
    /* Decker-Wattenhofer bookkeeping: only resource (hash rate) online at production can fork */
    double r = p->eng->resource(p->eng_state, v);
    if (r > 0 && (!p->lossy || popi_net_online(p->net, v, bi->t0))) {
        bi->w_reached += r;
        bi->w_delay += r * fmin(d, p->dw_cap_s);
    }
    if (!producer) bi->delay_sum += d;
    uint32_t r50 = (p->n + 1) / 2, r90 = (uint32_t)ceil(0.9 * p->n);
    if (bi->reached == r50) bi->t50 = d;
    if (bi->reached == r90) bi->t90 = d;
    if (bi->reached == p->n) bi->t100 = d;
}

/* Once every node has accepted a block, no message about it can change anything but counters:
 * its per-node arrays (9-13 B per node) are freed and bstate answers S_HAVE. Call after the
 * accepting node relayed. */
static void release_if_everywhere(binfo_t *bi, uint32_t n)
{
    if (bi->reached < n || !bi->state) return;
    free(bi->state);
    free(bi->known);
    free(bi->fallback);
    bi->state = NULL;
    bi->known = NULL;
    bi->fallback = NULL;
}

static binfo_t *binfo_of(popi_p2p_t *p, const popi_store_node_t *sn)
{
    if (sn->seq >= p->cap_by_seq) return NULL;
    uint32_t k = p->by_seq[sn->seq];
    return k == UINT32_MAX ? NULL : &p->blocks[k];
}

static uint32_t register_block(popi_p2p_t *p, popi_store_node_t *sn, popi_time_t now,
                               int64_t producer)
{
    if (sn->seq >= p->cap_by_seq) {
        size_t nc = p->cap_by_seq ? p->cap_by_seq : 64;
        while (nc <= sn->seq) nc *= 2;
        p->by_seq = popi_xrealloc(p->by_seq, nc * sizeof *p->by_seq);
        for (size_t k = p->cap_by_seq; k < nc; k++) p->by_seq[k] = UINT32_MAX;
        p->cap_by_seq = nc;
    }
    POPI_GROW(p->blocks, p->cap_blocks, p->n_blocks + 1);
    binfo_t *bi = &p->blocks[p->n_blocks];
    memset(bi, 0, sizeof *bi);
    bi->sn = sn;
    bi->state = popi_xcalloc(p->n, 1);
    bi->known = popi_xcalloc(p->n, sizeof *bi->known);
    if (p->lossy) {
        bi->fallback = popi_xmalloc(p->n * sizeof *bi->fallback);
        memset(bi->fallback, 0xff, p->n * sizeof *bi->fallback);
    }
    bi->t0 = now;
    bi->producer = producer;
    bi->t50 = bi->t90 = bi->t100 = NAN;
    double wire = fmax((double)sn->block->size, p->cfg.gossip.min_block_bytes) + p->overhead_b;
    bi->wire = (uint32_t)llround(wire);
    p->by_seq[sn->seq] = (uint32_t)p->n_blocks;
    p->st.blocks++;
    return (uint32_t)p->n_blocks++;
}

/* Index of @p w in @p v's sorted neighbour list (deg if absent). */
static uint32_t neighbour_index(const popi_p2p_t *p, uint32_t v, uint32_t w)
{
    uint32_t deg;
    const uint32_t *nb = popi_net_neighbours(p->net, v, &deg);
    uint32_t lo = 0, hi = deg;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (nb[mid] < w) lo = mid + 1;
        else hi = mid;
    }
    return lo < deg && nb[lo] == w ? lo : deg;
}

/* v learnt that neighbour w (index j in v's list, 255: look it up) has block k (w announced it
 * or sent it): Bitcoin's known inventory. */
static void mark_known(popi_p2p_t *p, binfo_t *bi, uint32_t v, uint32_t w, uint32_t j)
{
    if (j == 255) j = neighbour_index(p, v, w);
    if (j < 64 && bi->known) bi->known[v] |= UINT64_C(1) << j;
}

/* Announce block @p k from node @p v to its fanout peers, except those known to have it. */
static void relay(popi_p2p_t *p, uint32_t v, uint32_t k, uint32_t except, popi_time_t now)
{
    if (p->nodes[v].light) return;
    uint32_t deg;
    const uint32_t *nb = popi_net_neighbours(p->net, v, &deg);
    if (!deg) return;
    uint32_t fan = (uint32_t)p->cfg.gossip.fanout < deg ? (uint32_t)p->cfg.gossip.fanout : deg;
    uint32_t start = fan < deg ? (uint32_t)(popi_rng_mix64(popi_rng_key3(p->seed, v, k)) % deg) : 0;
    uint64_t known = p->blocks[k].known[v];
    const uint8_t *rev = p->rev + p->rev_off[v];
    for (uint32_t j = 0; j < fan; j++) {
        uint32_t idx = (start + j) % deg, u = nb[idx];
        if (u == except || (idx < 64 && (known >> idx & 1))) continue;
        send_idx(p, v, u, k, M_INV, p->inv_b, false, now, rev[idx]);
    }
}

static void notify_tip(popi_p2p_t *p, uint32_t v, popi_time_t now)
{
    p->eng->on_tip(p->eng_state, v, popi_p2p_tip(p, v), now);
}

/* A full node has accepted block k (validated and in its view): record, relay. */
static void accepted(popi_p2p_t *p, uint32_t v, uint32_t k, uint32_t from, popi_time_t now)
{
    binfo_t *bi = &p->blocks[k];
    bi->state[v] = S_HAVE;
    record_reach(p, bi, v, now, false);
    relay(p, v, k, from, now);
    release_if_everywhere(bi, p->n);
}

static void request(popi_p2p_t *p, uint32_t v, uint32_t k, uint32_t from, int kind, popi_time_t now);

/* ---- full nodes ---- */

/* Submit block k to v's view now; handle outcome, connected orphans, relays. */
static void submit_full(popi_p2p_t *p, uint32_t v, uint32_t k, uint32_t from, popi_time_t now)
{
    node_t *nd = &p->nodes[v];
    binfo_t *bi = &p->blocks[k];
    popi_chain_result_t res;
    popi_store_node_t *old_tip = p->chains[v].tip;
    popi_chain_submit(&p->chains[v], bi->sn, now, &res);
    p->st.reorgs += res.reorg_depth ? 1 : 0;
    p->st.validations += res.n_validated;
    switch (res.outcome) {
    case POPI_CHAIN_TIP:
    case POPI_CHAIN_SIDE:
        accepted(p, v, k, from, now);
        break;
    case POPI_CHAIN_ORPHAN: {
        bi->state[v] = S_ORPHAN;
        POPI_GROW(nd->orphans, nd->cap_orphans, nd->n_orphans + 1);
        nd->orphans[nd->n_orphans++] = k;
        p->st.orphans_held++;
        popi_store_node_t *par = bi->sn->parent;
        binfo_t *pb = par ? binfo_of(p, par) : NULL;
        if (pb && bstate(pb, v) == S_NONE) request(p, v, (uint32_t)(pb - p->blocks), from, M_GETDATA, now);
        break;
    }
    default: /* invalid, duplicate, not yet: nothing to relay */
        bi->state[v] = S_HAVE;
        break;
    }
    if (res.n_connected > 1 && nd->n_orphans) { /* orphans that connected below this block */
        size_t w = 0;
        for (size_t q = 0; q < nd->n_orphans; q++) {
            uint32_t ok = nd->orphans[q];
            if (popi_chain_knows(&p->chains[v], p->blocks[ok].sn)) accepted(p, v, ok, from, now);
            else if (popi_chain_has_orphan(&p->chains[v], p->blocks[ok].sn)) nd->orphans[w++] = ok;
            else p->blocks[ok].state[v] = S_HAVE; /* rejected or dropped */
        }
        nd->n_orphans = w;
    }
    if (p->chains[v].tip != old_tip) notify_tip(p, v, now);
}

static popi_time_t validated_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des;
    popi_p2p_t *p = ctx;
    msg_t m = p->msgs[arg];
    msg_release(p, (uint32_t)arg);
    p->last_activity = now;
    submit_full(p, m.to, m.block, m.from, now);
    return POPI_DES_DONE;
}

/* A BLOCK arrived at full node v. */
static void on_block(popi_p2p_t *p, uint32_t v, uint32_t k, uint32_t from, popi_time_t now)
{
    node_t *nd = &p->nodes[v];
    binfo_t *bi = &p->blocks[k];
    if (bstate(bi, v) >= S_VALIDATING) return; /* duplicate */
    popi_store_node_t *par = bi->sn->parent;
    bool parent_known = !par || popi_chain_knows(&p->chains[v], par);
    if (!parent_known) { /* orphan: hold it, fetch the parent */
        submit_full(p, v, k, from, now);
        return;
    }
    /* validation (memoised in the store) and its modelled cost on this node's CPU */
    popi_store_cost_t c = {0};
    if (bi->sn->status == POPI_STORE_UNCHECKED) {
        popi_store_validate(p->store, bi->sn, now, NULL);
        p->st.validations++;
    }
    popi_store_cost(bi->sn, &c);
    double cpu_s = c.n_sig_checks * p->cfg.node.verify_s + (double)c.hash_bytes * p->cfg.node.hash_s_per_byte;
    popi_energy_signatures(&nd->meter, &p->energy, 0, c.n_sig_checks);
    popi_energy_hashes(&nd->meter, &p->energy, (double)c.hash_bytes / 80.0);
    popi_time_t start = now > nd->cpu_free ? now : nd->cpu_free;
    popi_time_t done = start + popi_time_from_s(cpu_s);
    nd->cpu_free = done;
    bi->state[v] = S_VALIDATING;
    if (done == now) {
        submit_full(p, v, k, from, now);
        return;
    }
    uint32_t m = msg_new(p, from, v, k, M_BLOCK);
    if (popi_des_schedule(p->des, done, validated_cb, p, m, NULL) != POPI_OK) {
        msg_release(p, m);
        submit_full(p, v, k, from, now);
    }
}

/* ---- light nodes ---- */

static void on_headers(popi_p2p_t *p, uint32_t v, uint32_t k, uint32_t from, popi_time_t now)
{
    node_t *nd = &p->nodes[v];
    binfo_t *bi = &p->blocks[k];
    if (bstate(bi, v) == S_HAVE) return;
    popi_store_node_t *par = bi->sn->parent;
    binfo_t *pb = par ? binfo_of(p, par) : NULL;
    if (pb && bstate(pb, v) != S_HAVE) { /* header chain gap: ask for the parent header */
        bi->state[v] = S_ORPHAN;
        if (bstate(pb, v) == S_NONE) request(p, v, (uint32_t)(pb - p->blocks), from, M_GETHEADERS, now);
        return;
    }
    char reason[128];
    popi_energy_hashes(&nd->meter, &p->energy, 1);
    bool ok = p->eng->check_proof(p->eng_state, bi->sn->block, par ? par->block : NULL, reason,
                                  sizeof reason);
    bi->state[v] = S_HAVE;
    if (!ok) return;
    record_reach(p, bi, v, now, false);
    if (!nd->hdr_tip || bi->sn->chain_weight > nd->hdr_tip->chain_weight) {
        nd->hdr_tip = bi->sn;
        notify_tip(p, v, now);
    }
    /* a wallet asks the peer for the block filtered to its payments (BIP 37's merkleblock) */
    if (p->pks && p->cfg.tx.rate_per_s > 0)
        send(p, v, from, k, M_GETPROOF, p->getdata_b, false, now);
    /* children that waited for this header */
    for (popi_store_node_t *ch = bi->sn->child; ch; ch = ch->sibling) {
        binfo_t *cb = binfo_of(p, ch);
        if (cb && bstate(cb, v) == S_ORPHAN) {
            cb->state[v] = S_REQUESTED;
            on_headers(p, v, (uint32_t)(cb - p->blocks), from, now);
        }
    }
    release_if_everywhere(bi, p->n);
}

/* ---- requests, timeouts ---- */

static popi_time_t timeout_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des;
    popi_p2p_t *p = ctx;
    msg_t m = p->msgs[arg];
    msg_release(p, (uint32_t)arg);
    binfo_t *bi = &p->blocks[m.block];
    if (bstate(bi, m.to) != S_REQUESTED) return POPI_DES_DONE;
    p->st.timeouts++;
    bi->state[m.to] = S_NONE;
    /* ask another peer that announced it, else the same one again (it may be back online or
     * the loss may not repeat): a node never gives up on a block it knows exists */
    uint32_t alt = bi->fallback ? bi->fallback[m.to] : UINT32_MAX;
    if (alt != UINT32_MAX) bi->fallback[m.to] = UINT32_MAX;
    else alt = m.from;
    request(p, m.to, m.block, alt, m.kind, now);
    return POPI_DES_DONE;
}

static void request(popi_p2p_t *p, uint32_t v, uint32_t k, uint32_t from, int kind, popi_time_t now)
{
    binfo_t *bi = &p->blocks[k];
    bi->state[v] = S_REQUESTED;
    send(p, v, from, k, kind, p->getdata_b, false, now);
    if (p->lossy) {
        uint32_t m = msg_new(p, from, v, k, kind);
        if (popi_des_schedule(p->des, now + p->timeout_us, timeout_cb, p, m, NULL) != POPI_OK)
            msg_release(p, m);
    }
}

/* ---- transactions ---- */

/* A list of up to @p cap transaction indices (n = 0), held once by the caller (refs = 1): each
 * message that carries it takes a reference (the creator may hand its own to the one message it
 * sends), each handler that consumes it drops one. */
static uint32_t batch_new(popi_p2p_t *p, uint32_t cap)
{
    uint32_t k;
    if (p->n_free_batches) k = p->free_batches[--p->n_free_batches];
    else {
        POPI_GROW(p->batches, p->cap_batches, p->n_batches + 1);
        k = (uint32_t)p->n_batches++;
        p->batches[k].ix = NULL;
    }
    struct txbatch *b = &p->batches[k];
    b->ix = popi_xrealloc(b->ix, (cap ? cap : 1) * sizeof *b->ix);
    b->n = 0;
    b->refs = 1;
    return k;
}

static void batch_unref(popi_p2p_t *p, uint32_t k)
{
    if (--p->batches[k].refs) return;
    POPI_GROW(p->free_batches, p->cap_free_batches, p->n_free_batches + 1);
    p->free_batches[p->n_free_batches++] = k;
}

static popi_time_t flush_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg);

/* Node v has transaction ix in its mempool: queue it for the next announcement. */
static void enqueue_tx(popi_p2p_t *p, uint32_t v, uint32_t ix, popi_time_t now)
{
    node_t *nd = &p->nodes[v];
    POPI_GROW(nd->annq, nd->cap_annq, nd->n_annq + 1);
    nd->annq[nd->n_annq++] = ix;
    if (!nd->flush_pending &&
        popi_des_schedule(p->des, now + popi_time_from_s(p->cfg.gossip.tx_batch_s), flush_cb, p, v,
                          NULL) == POPI_OK)
        nd->flush_pending = true;
}

static popi_time_t flush_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des;
    popi_p2p_t *p = ctx;
    uint32_t v = (uint32_t)arg;
    node_t *nd = &p->nodes[v];
    nd->flush_pending = false;
    if (!nd->n_annq) return POPI_DES_DONE;
    uint32_t k = batch_new(p, (uint32_t)nd->n_annq);
    memcpy(p->batches[k].ix, nd->annq, nd->n_annq * sizeof *nd->annq);
    p->batches[k].n = (uint32_t)nd->n_annq;
    double bytes = p->overhead_b + 1 + INV_ENTRY_B * (double)nd->n_annq;
    nd->n_annq = 0;
    uint32_t deg;
    const uint32_t *nb = popi_net_neighbours(p->net, v, &deg);
    uint32_t fan = (uint32_t)p->cfg.gossip.fanout < deg ? (uint32_t)p->cfg.gossip.fanout : deg;
    for (uint32_t j = 0; j < fan; j++)
        if (send(p, v, nb[j], k, M_TXINV, bytes, false, now)) p->batches[k].refs++;
    batch_unref(p, k);
    return POPI_DES_DONE;
}

/* Offer transaction ix to v's mempool: 1 admitted, 0 its parent payment has not arrived yet
 * (held as an orphan transaction, Bitcoin's mapOrphanTransactions), -1 refused otherwise
 * (confirmed already, conflict, ...). */
static int admit_tx(popi_p2p_t *p, uint32_t v, uint32_t ix, popi_time_t now, bool first)
{
    const popi_tx_t *tx = &p->tx_objs[ix];
    popi_mempool_result_t res;
    if (popi_mempool_add(p->mempools[v], tx, &res) != POPI_OK) return -1;
    if (first) popi_energy_signatures(&p->nodes[v].meter, &p->energy, 0, tx->n_in);
    if (res.outcome == POPI_MEMPOOL_ACCEPTED) {
        p->txs[ix].reached++;
        enqueue_tx(p, v, ix, now);
        return 1;
    }
    if (res.outcome == POPI_MEMPOOL_INVALID && res.verdict.code == POPI_VERR_INPUT_MISSING) {
        if (first) {
            node_t *nd = &p->nodes[v];
            POPI_GROW(nd->txorph, nd->cap_txorph, nd->n_txorph + 1);
            nd->txorph[nd->n_txorph++] = ix;
        }
        return 0;
    }
    return -1;
}

/* Full node v receives transaction ix (created by the workload or from a peer). */
static void accept_tx(popi_p2p_t *p, uint32_t v, uint32_t ix, popi_time_t now)
{
    p->txst[ix][v] = S_HAVE;
    if (!p->mempools[v] || admit_tx(p, v, ix, now, true) != 1) return;
    /* orphans waiting for this one (or for each other), until nothing more connects */
    node_t *nd = &p->nodes[v];
    for (bool progress = true; progress && nd->n_txorph;) {
        progress = false;
        size_t w = 0;
        for (size_t q = 0; q < nd->n_txorph; q++) {
            uint32_t o = nd->txorph[q];
            int r = admit_tx(p, v, o, now, false);
            if (r == 1) progress = true;
            else if (r == 0) nd->txorph[w++] = o; /* still waiting; -1: dropped */
        }
        nd->n_txorph = w;
    }
}

/* ---- the payment table (both relays) ---- */

/* A new payment row created at @p now by @p origin to @p payee (the arrays grow together). */
static uint32_t tx_row_new(popi_p2p_t *p, popi_time_t now, uint32_t origin, uint32_t payee,
                           uint32_t size)
{
    if (p->n_txs == p->cap_txs) { /* sized at creation for the expected count; rarely grows */
        p->cap_txs = p->cap_txs ? p->cap_txs + p->cap_txs / 2 : 64;
        p->txs = popi_xrealloc(p->txs, p->cap_txs * sizeof *p->txs);
        if (p->any_light) p->tx_proof = popi_xrealloc(p->tx_proof, p->cap_txs * sizeof *p->tx_proof);
        p->txids = popi_xrealloc(p->txids, p->cap_txs * sizeof *p->txids);
        p->tx_t0 = popi_xrealloc(p->tx_t0, p->cap_txs * sizeof *p->tx_t0);
        if (!p->flood) {
            p->tx_objs = popi_xrealloc(p->tx_objs, p->cap_txs * sizeof *p->tx_objs);
            p->txst = popi_xrealloc(p->txst, p->cap_txs * sizeof *p->txst);
        }
    }
    uint32_t ix = (uint32_t)p->n_txs++;
    p->txs[ix] = (struct txrec){.origin = origin, .payee = payee, .size = size, .reached = 1};
    if (p->tx_proof) p->tx_proof[ix] = NAN;
    p->tx_t0[ix] = now;
    memset(&p->txids[ix], 0, sizeof p->txids[ix]);
    return ix;
}

static size_t txmap_slot(const popi_p2p_t *p, const popi_hash_t *txid)
{
    uint64_t h;
    memcpy(&h, txid->b, sizeof h);
    size_t i = (size_t)h & (p->cap_txmap - 1);
    while (p->txmap[i] && !popi_hash_eq(&p->txids[p->txmap[i] - 1], txid)) i = (i + 1) & (p->cap_txmap - 1);
    return i;
}

/* Index payment @p ix by its txid (set before the call); the table stays at most half full. */
static void txmap_put(popi_p2p_t *p, uint32_t ix)
{
    if (2 * (size_t)p->n_txs > p->cap_txmap) { /* rebuild from every signed payment */
        size_t cap = p->cap_txmap ? p->cap_txmap : 1024;
        while (cap < 2 * (size_t)p->n_txs + 2) cap *= 2;
        free(p->txmap);
        p->txmap = popi_xcalloc(cap, sizeof *p->txmap);
        p->cap_txmap = cap;
        static const popi_hash_t zero;
        for (uint32_t k = 0; k < p->n_txs; k++)
            if (k != ix && !popi_hash_eq(&p->txids[k], &zero)) p->txmap[txmap_slot(p, &p->txids[k])] = k + 1;
    }
    p->txmap[txmap_slot(p, &p->txids[ix])] = ix + 1;
}

/* The payment with this txid, or UINT32_MAX. */
static uint32_t txmap_get(const popi_p2p_t *p, const popi_hash_t *txid)
{
    if (!p->cap_txmap) return UINT32_MAX;
    uint32_t k = p->txmap[txmap_slot(p, txid)];
    return k ? k - 1 : UINT32_MAX;
}

/* ---- flood relay ---- */

/* A payment waiting for its signature: built by the event loop, then signed, sealed and checked
 * by whichever thread claims it first (a background signer, or the event loop at a flush or when
 * the payer pays again). The work is a pure function of the item: the thread that does it
 * changes nothing. Items live on the heap so the slot array may grow while a signer works. */
typedef struct pitem {
    popi_tx_t tx;
    uint32_t ix, origin;          /* payment index, payer */
    uint8_t state;                /* 0 waiting, 1 claimed, 2 done (under signer.mu) */
    popi_sigcache_checked_t chk;  /* the signature's verdict (state 2) */
} pitem_t;

static void pitem_work(const popi_p2p_t *p, pitem_t *it)
{
    if (!it->tx.sealed) {
        popi_tx_sign_all(&it->tx, &p->kps[it->origin]);
        popi_tx_seal(&it->tx);
    }
    popi_hash_t dig;
    popi_tx_sighash(&it->tx, &dig);
    popi_sigcache_check(&it->tx.in[0].sig, &dig, &p->pks[it->origin], &it->chk);
}

/* The first waiting item, claimed (state 1), or NULL. Under signer.mu. */
static pitem_t *pitem_claim(popi_p2p_t *p)
{
    struct signer *g = &p->sg;
    while (g->next < p->n_pend && p->pend[g->next]->state != 0) g->next++;
    if (g->next == p->n_pend) return NULL;
    pitem_t *it = p->pend[g->next++];
    it->state = 1;
    g->busy++;
    return it;
}

/* Do claimed item @p it outside the lock and mark it done. */
static void pitem_run(popi_p2p_t *p, pitem_t *it)
{
    pitem_work(p, it);
    pthread_mutex_lock(&p->sg.mu);
    it->state = 2;
    p->sg.busy--;
    pthread_cond_broadcast(&p->sg.done);
    pthread_mutex_unlock(&p->sg.mu);
}

static void *signer_main(void *arg)
{
    popi_p2p_t *p = arg;
    pthread_mutex_lock(&p->sg.mu);
    while (!p->sg.quit) {
        pitem_t *it = pitem_claim(p);
        if (!it) {
            pthread_cond_wait(&p->sg.work, &p->sg.mu);
            continue;
        }
        pthread_mutex_unlock(&p->sg.mu);
        pitem_run(p, it);
        pthread_mutex_lock(&p->sg.mu);
    }
    pthread_mutex_unlock(&p->sg.mu);
    return NULL;
}

/* Start cfg.threads − 1 signers. Without them the event loop signs everything itself at the
 * flushes, with the same results. */
static void signer_start(popi_p2p_t *p)
{
    pthread_mutex_init(&p->sg.mu, NULL);
    pthread_cond_init(&p->sg.work, NULL);
    pthread_cond_init(&p->sg.done, NULL);
    int n = p->cfg.threads - 1;
    if (n <= 0) return;
    p->sg.th = popi_xcalloc((size_t)n, sizeof *p->sg.th);
    for (int k = 0; k < n; k++)
        if (pthread_create(&p->sg.th[k], NULL, signer_main, p) == 0) p->sg.n_th++;
}

static void signer_stop(popi_p2p_t *p)
{
    pthread_mutex_lock(&p->sg.mu);
    p->sg.quit = true;
    pthread_cond_broadcast(&p->sg.work);
    pthread_mutex_unlock(&p->sg.mu);
    for (int k = 0; k < p->sg.n_th; k++) pthread_join(p->sg.th[k], NULL);
    free(p->sg.th);
    p->sg.th = NULL;
    p->sg.n_th = 0;
    pthread_cond_destroy(&p->sg.work);
    pthread_cond_destroy(&p->sg.done);
    pthread_mutex_destroy(&p->sg.mu);
}

/* Item @p it done, by this thread if nobody has claimed it yet, else by waiting for its signer. */
static void pitem_finish(popi_p2p_t *p, pitem_t *it)
{
    pthread_mutex_lock(&p->sg.mu);
    if (it->state == 0) {
        it->state = 1;
        p->sg.busy++;
        pthread_mutex_unlock(&p->sg.mu);
        pitem_run(p, it);
        return;
    }
    while (it->state != 2) pthread_cond_wait(&p->sg.done, &p->sg.mu);
    pthread_mutex_unlock(&p->sg.mu);
}

/* Sign the built payments (all threads), check their signatures through the run-wide cache
 * (all threads), then, in creation order, record their txids, move each payer's coin to its
 * change and offer them to the run-wide pool. Signatures are deterministic (Ed25519), so the
 * result does not depend on the thread count, nor on when a batch is flushed: a flush comes
 * before anything reads the pool (a production, the end), and a payer paying again before it
 * signs its pending payment at once (flood_pay), since the new one spends its change. */
static void flood_flush(popi_p2p_t *p)
{
    size_t n = p->n_pend;
    if (!n) return;
    /* help the signers until nothing is left to claim, then wait for the ones in flight */
    pthread_mutex_lock(&p->sg.mu);
    for (pitem_t *it; (it = pitem_claim(p));) {
        pthread_mutex_unlock(&p->sg.mu);
        pitem_run(p, it);
        pthread_mutex_lock(&p->sg.mu);
    }
    while (p->sg.busy) pthread_cond_wait(&p->sg.done, &p->sg.mu);
    pthread_mutex_unlock(&p->sg.mu);
    for (size_t i = 0; i < n; i++) { /* in creation order: the same cache for any thread count */
        pitem_t *it = p->pend[i];
        uint32_t ix = it->ix, v = it->origin;
        bool ok = popi_sigcache_add(p->sigcache, &it->chk);
        POPI_ASSERT(ok); /* our own signature */
        p->txids[ix] = it->tx.txid;
        txmap_put(p, ix);
        if (p->coin_pend[v] == i + 1) {
            p->coin_pend[v] = 0;
            if (p->coin_amt[v]) p->coin[v] = (popi_outpoint_t){it->tx.txid, 1};
        }
        popi_mempool_result_t res;
        if (popi_mempool_add(p->pool, &it->tx, &res) != POPI_OK || res.outcome != POPI_MEMPOOL_ACCEPTED)
            p->st.txs_rejected++;
        popi_tx_destroy(&it->tx);
        free(it);
    }
    pthread_mutex_lock(&p->sg.mu);
    p->n_pend = 0;
    p->sg.next = 0;
    pthread_mutex_unlock(&p->sg.mu);
}

/* One payment by a random node from its coin to a random other node: built now, signed at the
 * next flush. False if the drawn payer's coin cannot cover it. */
static bool flood_pay(popi_p2p_t *p, popi_time_t now, uint64_t amount, uint64_t fee)
{
    uint32_t v = (uint32_t)gsl_rng_uniform_int(p->rng.g, p->n);
    uint32_t to = (uint32_t)gsl_rng_uniform_int(p->rng.g, p->n - 1);
    if (to >= v) to++;
    if (p->coin_amt[v] < amount + fee) return false;
    if (p->coin_pend[v]) { /* its coin is the change of a pending payment: that one first */
        pitem_t *prev = p->pend[p->coin_pend[v] - 1];
        pitem_finish(p, prev);
        p->coin[v] = (popi_outpoint_t){prev->tx.txid, 1};
        p->coin_pend[v] = 0;
    }
    uint64_t change = p->coin_amt[v] - amount - fee;
    pitem_t *it = popi_xcalloc(1, sizeof *it);
    popi_tx_init(&it->tx, 1, change ? 2 : 1, 0);
    it->tx.in[0].prev = p->coin[v];
    it->tx.out[0] = (popi_txout_t){amount, p->pks[to]};
    if (change) it->tx.out[1] = (popi_txout_t){change, p->pks[v]};
    it->origin = v;
    it->ix = tx_row_new(p, now, v, to, (uint32_t)popi_tx_encoded_size(&it->tx));
    pthread_mutex_lock(&p->sg.mu); /* a signer may be reading the slot array */
    POPI_GROW(p->pend, p->cap_pend, p->n_pend + 1);
    p->pend[p->n_pend++] = it;
    pthread_cond_signal(&p->sg.work);
    pthread_mutex_unlock(&p->sg.mu);
    p->coin_amt[v] = change;
    p->coin_pend[v] = (uint32_t)p->n_pend;
    popi_energy_signatures(&p->nodes[v].meter, &p->energy, 1, 0);
    return true;
}

/* Traffic and verification of the flood relay, per node, at the end of the run. Per payment
 * and node k it reached (origin s, shortest-path tree of its realisation): k announces it to
 * every neighbour but its parent, asks its parent for it and sends it to each tree child, and
 * hears one announcement from every neighbour that is not its child plus one request from each
 * child: in = 36 B x degree (+ the payment if k != s), out = 36 B x degree + children x payment.
 * Payments that reached every node they can by t_end are summed per (realisation, origin) and
 * spread in O(realisations x n^2); the few still travelling at t_end node by node. Radio energy:
 * the active part at the node's own bandwidth; the tail is at least tail_w times the union of
 * [t_created, t_created + tail_s) over the payments (transactions reach every node, so at
 * CBlockSim's 8/s the radio never leaves the tail state), and the meter's tail from block
 * traffic counts when larger: a lower bound of the union of both. */
typedef struct {
    double *in, *out, *ver; /* per node: bytes in, bytes out, verifications */
} flood_sums_t;

/* Node v's share of @p count payments of @p bytes in total from origin s, with @p ch tree
 * children (the rule above). */
static inline void flood_charge(const popi_p2p_t *p, flood_sums_t *a, size_t v, size_t s, double ch,
                                double count, double bytes)
{
    double inv = count * INV_ENTRY_B * popi_net_degree(p->net, (uint32_t)v);
    a->in[v] += inv + (v != s ? bytes : 0);
    a->out[v] += inv + ch * bytes;
    a->ver[v] += v != s ? count : 0;
}

static void flood_account(popi_p2p_t *p, popi_time_t t_end)
{
    const popi_net_flood_t *f = p->fl;
    size_t n = p->n, R = f->n_real;
    double *cnt = popi_xcalloc(R * n, sizeof *cnt), *sum_b = popi_xcalloc(R * n, sizeof *sum_b);
    float *dmax = popi_xcalloc(R * n, sizeof *dmax);
    uint32_t *reach = popi_xcalloc(R * n, sizeof *reach);
    flood_sums_t a = {popi_xcalloc(n, sizeof(double)), popi_xcalloc(n, sizeof(double)),
                      popi_xcalloc(n, sizeof(double))};
    for (size_t rs = 0; rs < R * n; rs++) {
        const float *d = &f->delay_s[rs * n];
        for (size_t v = 0; v < n; v++)
            if (isfinite(d[v])) {
                reach[rs]++;
                if (d[v] > dmax[rs]) dmax[rs] = d[v];
            }
    }
    for (size_t ix = 0; ix < p->n_txs; ix++) {
        size_t r = ix % R, s = p->txs[ix].origin, rs = r * n + s;
        double bytes = p->txs[ix].size;
        if (p->tx_t0[ix] + popi_time_from_s(dmax[rs]) <= t_end) {
            cnt[rs] += 1;
            sum_b[rs] += bytes;
            p->txs[ix].reached = reach[rs];
            continue;
        }
        uint32_t reached = 0;
        for (size_t v = 0; v < n; v++) {
            float d = f->delay_s[rs * n + v];
            if (!isfinite(d) || p->tx_t0[ix] + popi_time_from_s(d) > t_end) continue;
            reached++;
            flood_charge(p, &a, v, s, f->children[rs * n + v], 1, bytes);
        }
        p->txs[ix].reached = reached;
    }
    for (size_t rs = 0; rs < R * n; rs++) {
        if (!cnt[rs]) continue;
        size_t s = rs % n;
        const float *d = &f->delay_s[rs * n];
        for (size_t v = 0; v < n; v++) {
            if (isfinite(d[v])) flood_charge(p, &a, v, s, f->children[rs * n + v], cnt[rs], sum_b[rs]);
        }
    }
    /* the union of the tail windows after each payment (creation times are in order) */
    double tail_s = p->energy.tail_s, u = 0;
    for (size_t ix = 0; ix < p->n_txs; ix++) {
        popi_time_t t0 = p->tx_t0[ix];
        popi_time_t t1 = ix + 1 < p->n_txs ? p->tx_t0[ix + 1] : t_end;
        if (t1 > t_end) t1 = t_end;
        if (t1 > t0) u += fmin(popi_time_to_s(t1 - t0), tail_s);
    }
    for (size_t v = 0; v < n; v++) {
        node_t *nd = &p->nodes[v];
        nd->bytes_in += (uint64_t)llround(a.in[v]);
        nd->bytes_out += (uint64_t)llround(a.out[v]);
        popi_energy_signatures(&nd->meter, &p->energy, 0, a.ver[v]);
        double up = popi_net_upload_bps(p->net, (uint32_t)v), dn = popi_net_download_bps(p->net, (uint32_t)v);
        nd->meter.joules[POPI_ENERGY_RADIO_TX] +=
            (p->energy.base_w + p->energy.up_w_per_mbps * up / 1e6) * 8.0 * a.out[v] / up;
        nd->meter.joules[POPI_ENERGY_RADIO_RX] +=
            (p->energy.base_w + p->energy.down_w_per_mbps * dn / 1e6) * 8.0 * a.in[v] / dn;
        nd->meter.joules[POPI_ENERGY_RADIO_TAIL] =
            fmax(nd->meter.joules[POPI_ENERGY_RADIO_TAIL], p->energy.tail_w * u);
    }
    free(cnt);
    free(sum_b);
    free(dmax);
    free(reach);
    free(a.in);
    free(a.out);
    free(a.ver);
}

/* What a producer has heard of: payment ix reached @p node by @p now. */
typedef struct {
    const popi_p2p_t *p;
    uint32_t node;
    popi_time_t now;
} flood_keep_t;

static bool flood_arrived(const popi_p2p_t *p, uint32_t ix, uint32_t node, popi_time_t now)
{
    const popi_net_flood_t *f = p->fl;
    uint32_t origin = p->txs[ix].origin;
    if (origin == node) return true;
    size_t r = ix % f->n_real;
    double d = f->delay_s[(r * f->n + origin) * f->n + node];
    return isfinite(d) && p->tx_t0[ix] + popi_time_from_s(d) <= now;
}

static bool flood_keep(void *ctx, const popi_tx_t *tx)
{
    const flood_keep_t *k = ctx;
    uint32_t ix = txmap_get(k->p, &tx->txid);
    return ix == UINT32_MAX || flood_arrived(k->p, ix, k->node, k->now);
}

/* The workload: one payment now, the next after an exponential time. */
static popi_time_t txgen_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des, (void)arg;
    popi_p2p_t *p = ctx;
    const popi_p2p_config_t *s = &p->cfg;
    uint64_t amount = (uint64_t)llround(s->tx.amount_coins * 1e8);
    bool made = false;
    if (p->flood) {
        made = p->n > 1 && flood_pay(p, now, amount, (uint64_t)s->tx.fee_units);
        p->st.txs_created += made;
    }
    /* gossip relay: up to 16 draws for an online full node with coins */
    for (int attempt = 0; attempt < 16 && !made && !p->flood && p->n > 1; attempt++) {
        uint32_t v = (uint32_t)gsl_rng_uniform_int(p->rng.g, p->n);
        uint32_t to = (uint32_t)gsl_rng_uniform_int(p->rng.g, p->n - 1);
        if (to >= v) to++;
        if (!p->mempools[v] || (p->lossy && !popi_net_online(p->net, v, now))) continue;
        uint64_t spendable = 0;
        if (popi_mempool_spendable(p->mempools[v], &p->pks[v], &spendable) || spendable < amount + (uint64_t)s->tx.fee_units)
            continue;
        popi_keypair_t kp;
        keypair_of(p, v, &kp);
        popi_mempool_result_t res;
        popi_hash_t txid;
        popi_err_t e = popi_mempool_pay(p->mempools[v], &kp, &p->pks[to], amount,
                                        (uint64_t)s->tx.fee_units, &res, &txid);
        popi_crypto_keypair_wipe(&kp);
        if (e || res.outcome != POPI_MEMPOOL_ACCEPTED) continue;
        /* copy the signed payment into the run-wide table */
        size_t pos = 0;
        const popi_tx_t *tx, *found = NULL;
        while (!found && (tx = popi_mempool_next(p->mempools[v], &pos)))
            if (popi_hash_eq(&tx->txid, &txid)) found = tx;
        POPI_ASSERT(found != NULL);
        uint32_t ix = tx_row_new(p, now, v, to, found->size);
        popi_tx_copy(&p->tx_objs[ix], found);
        p->txst[ix] = popi_xcalloc(p->n, 1);
        p->txst[ix][v] = S_HAVE;
        p->txids[ix] = found->txid;
        txmap_put(p, ix);
        popi_energy_signatures(&p->nodes[v].meter, &p->energy, found->n_in, 0);
        p->st.txs_created++;
        enqueue_tx(p, v, ix, now);
        made = true;
    }
    if (!made) p->st.txs_skipped++;
    double dt = gsl_ran_exponential(p->rng.g, 1.0 / s->tx.rate_per_s);
    popi_time_t d = popi_time_from_s(dt);
    return d > 0 ? d : 1;
}

/* A transaction message (m->block is its list): INV → ask for the unseen, GETTX → answer with the
 * same list, TX → admit. */
static void deliver_tx(popi_p2p_t *p, const msg_t *m, popi_time_t now)
{
    struct txbatch *b = &p->batches[m->block];
    if (m->kind == M_TXINV && p->mempools[m->to]) {
        uint32_t k = UINT32_MAX;
        for (uint32_t q = 0; q < b->n; q++) {
            uint32_t ix = b->ix[q];
            if (p->txst[ix][m->to] != S_NONE) continue;
            p->txst[ix][m->to] = S_REQUESTED;
            if (k == UINT32_MAX) {
                k = batch_new(p, b->n);
                b = &p->batches[m->block]; /* batch_new may have moved the array */
            }
            p->batches[k].ix[p->batches[k].n++] = ix;
        }
        if (k != UINT32_MAX &&
            !send(p, m->to, m->from, k, M_GETTX, p->overhead_b + 1 + INV_ENTRY_B * p->batches[k].n, false, now))
            batch_unref(p, k);
    } else if (m->kind == M_GETTX) {
        double bytes = p->overhead_b;
        for (uint32_t q = 0; q < b->n; q++) bytes += p->txs[b->ix[q]].size;
        if (send(p, m->to, m->from, m->block, M_TX, bytes, true, now)) return; /* passed on */
    } else if (m->kind == M_TX) {
        for (uint32_t q = 0; q < b->n; q++)
            if (p->txst[b->ix[q]][m->to] != S_HAVE) accept_tx(p, m->to, b->ix[q], now);
    }
    batch_unref(p, m->block);
}

/* ---- payment proofs for light nodes ---- */

/* Transactions of block @p b paying @p owner (their indices into @p out, at most @p cap). */
static uint32_t payments_to(const popi_block_t *b, const popi_pubkey_t *owner, uint32_t *out, uint32_t cap)
{
    uint32_t m = 0;
    for (uint32_t t = 1; t < b->n_tx; t++)
        for (uint32_t o = 0; o < b->tx[t].n_out; o++)
            if (!memcmp(b->tx[t].out[o].owner.b, owner->b, POPI_PUBKEY_BYTES)) {
                if (m < cap) out[m] = t;
                m++;
                break;
            }
    return m;
}

/* Full node v answers light node w's GETPROOF for block k: the header, the transaction count,
 * and per payment to w the transaction with its Merkle branch (32 B per level and a flag byte);
 * with no payment, the root alone (BIP 37's merkleblock, flags simplified). */
static void answer_proof(popi_p2p_t *p, uint32_t v, uint32_t w, uint32_t k, popi_time_t now)
{
    const popi_block_t *b = p->blocks[k].sn->block;
    uint32_t depth = 0;
    while (((uint64_t)1 << depth) < b->n_tx) depth++;
    uint32_t idx[8];
    uint32_t m = payments_to(b, &p->pks[w], idx, 8);
    double bytes = p->overhead_b + b->header_size + 4;
    if (!m) bytes += 32 + 1;
    for (uint32_t q = 0; q < m; q++) {
        uint32_t t = q < 8 ? idx[q] : 0;
        bytes += 32.0 * depth + 1 + (q < 8 ? b->tx[t].size : b->tx[1].size);
    }
    send(p, v, w, k, M_PROOF, bytes, true, now);
}

/* Light node w receives the filtered block k: it checks each payment's branch against the header's
 * Merkle root (real hashing, charged as hashes) and notes when each payment was proven to it. */
static void check_proofs(popi_p2p_t *p, uint32_t w, uint32_t k, popi_time_t now)
{
    const popi_block_t *b = p->blocks[k].sn->block;
    uint32_t idx[8];
    uint32_t m = payments_to(b, &p->pks[w], idx, 8);
    if (!m) return;
    popi_hash_t *leaves = popi_xmalloc(b->n_tx * sizeof *leaves);
    for (uint32_t t = 0; t < b->n_tx; t++) leaves[t] = b->tx[t].txid;
    for (uint32_t q = 0; q < m && q < 8; q++) {
        popi_merkle_proof_t pr;
        uint32_t t = idx[q];
        bool ok = popi_merkle_prove(leaves, b->n_tx, t, &pr) == POPI_OK &&
                  popi_merkle_verify(&b->tx[t].txid, &pr, &b->hdr.merkle_root);
        popi_energy_hashes(&p->nodes[w].meter, &p->energy, 2.0 * (pr.depth + 1));
        if (!ok) {
            p->st.proofs_failed++;
            continue;
        }
        p->st.proofs_verified++;
        uint32_t ix = txmap_get(p, &b->tx[t].txid);
        if (ix != UINT32_MAX && p->tx_proof && isnan(p->tx_proof[ix])) p->tx_proof[ix] = popi_time_to_s(now);
    }
    free(leaves);
}

/* ---- delivery ---- */

static popi_time_t deliver(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des;
    popi_p2p_t *p = ctx;
    msg_t m = p->msgs[arg];
    msg_release(p, (uint32_t)arg);
    p->last_activity = now;
    node_t *nd = &p->nodes[m.to];
    bool txmsg = m.kind == M_TXINV || m.kind == M_GETTX || m.kind == M_TX;
    if (p->lossy && !popi_net_online(p->net, m.to, now)) {
        p->st.lost_at_arrival++;
        if (txmsg) batch_unref(p, m.block); /* the list this message held */
        return POPI_DES_DONE;
    }
    nd->bytes_in += m.bytes;
    nd->msgs_in++;
    popi_energy_transfer(&nd->meter, &p->energy, now - m.txd_us, m.bytes, m.bps, false);
    if (txmsg) {
        deliver_tx(p, &m, now);
        return POPI_DES_DONE;
    }
    binfo_t *bi = &p->blocks[m.block];
    switch (m.kind) {
    case M_INV:
        mark_known(p, bi, m.to, m.from, m.from_idx);
        if (bstate(bi, m.to) == S_NONE) request(p, m.to, m.block, m.from, nd->light ? M_GETHEADERS : M_GETDATA, now);
        else if (bstate(bi, m.to) == S_REQUESTED && bi->fallback) bi->fallback[m.to] = m.from;
        break;
    case M_GETDATA:
        send(p, m.to, m.from, m.block, M_BLOCK, bi->wire, true, now);
        break;
    case M_GETHEADERS:
        send(p, m.to, m.from, m.block, M_HEADERS,
             bi->sn->block->header_size + p->overhead_b, true, now);
        break;
    case M_BLOCK:
        if (!nd->light) on_block(p, m.to, m.block, m.from, now);
        break;
    case M_HEADERS:
        if (nd->light) on_headers(p, m.to, m.block, m.from, now);
        break;
    case M_GETPROOF:
        if (!nd->light) answer_proof(p, m.to, m.from, m.block, now);
        break;
    case M_PROOF:
        if (nd->light) check_proofs(p, m.to, m.block, now);
        break;
    case M_GETTIP: { /* answer with an INV of our tip */
        popi_store_node_t *tip = popi_p2p_tip(p, m.to);
        binfo_t *tb = tip ? binfo_of(p, tip) : NULL;
        if (tb && !nd->light) send(p, m.to, m.from, (uint32_t)(tb - p->blocks), M_INV, p->inv_b, false, now);
        break;
    }
    default:
        break;
    }
    return POPI_DES_DONE;
}

/* ---- churn and partitions ---- */

static void ask_tips(popi_p2p_t *p, uint32_t v, popi_time_t now, int only_side_partition)
{
    uint32_t deg;
    const uint32_t *nb = popi_net_neighbours(p->net, v, &deg);
    for (uint32_t j = 0; j < deg; j++) {
        if (only_side_partition >= 0 &&
            popi_net_partition_side(p->net, (uint32_t)only_side_partition, v) ==
                popi_net_partition_side(p->net, (uint32_t)only_side_partition, nb[j]))
            continue;
        send(p, v, nb[j], 0, M_GETTIP, p->getdata_b, false, now);
    }
}

static popi_time_t churn_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des;
    popi_p2p_t *p = ctx;
    uint32_t v = (uint32_t)arg;
    bool on = popi_net_online(p->net, v, now);
    p->nodes[v].online = on;
    p->eng->on_online(p->eng_state, v, on, now);
    if (on) ask_tips(p, v, now, -1);
    popi_time_t next = popi_net_next_churn(p->net, v, now);
    return next == POPI_TIME_NEVER ? POPI_DES_DONE : next - now; /* a delay */
}

static popi_time_t heal_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des;
    popi_p2p_t *p = ctx;
    for (uint32_t v = 0; v < p->n; v++)
        if (!p->lossy || popi_net_online(p->net, v, now)) ask_tips(p, v, now, (int)arg);
    return POPI_DES_DONE;
}

/* ---- host services for the engine ---- */

static popi_store_node_t *host_tip(void *ctx, uint32_t node) { return popi_p2p_tip(ctx, node); }

static bool host_active(void *ctx)
{
    const popi_p2p_t *p = ctx;
    return !p->stop_blocks || p->st.blocks < p->stop_blocks;
}

static bool host_can_produce(void *ctx, uint32_t node, popi_time_t now)
{
    popi_p2p_t *p = ctx;
    if (p->nodes[node].light || !host_active(p)) return false;
    return !p->lossy || popi_net_online(p->net, node, now);
}

static popi_err_t host_produce(void *ctx, uint32_t node, popi_time_t now, uint32_t bits,
                               const uint8_t *proof, uint32_t proof_len, bool grind,
                               popi_store_node_t **out)
{
    popi_p2p_t *p = ctx;
    node_t *nd = &p->nodes[node];
    popi_pubkey_t pk;
    if (p->pks) pk = p->pks[node]; /* derived once when there is a payment workload */
    else pubkey_of(p, node, &pk);
    popi_chain_template_t t;
    popi_err_t e;
    if (p->flood) { /* pack from the run-wide pool what has reached this producer */
        flood_flush(p);
        popi_mempool_set_tip(p->pool, p->chains[node].tip, NULL);
        flood_keep_t kc = {p, node, now};
        e = popi_chain_template_from(&p->chains[node], p->pool, flood_keep, &kc, &pk, now, bits,
                                     NULL, 0, &t);
    } else {
        e = popi_chain_template(&p->chains[node], &pk, now, bits, NULL, 0, &t);
    }
    if (e) return popi_err_wrap(e, "node %u: block template", node);
    if (proof_len) {
        t.hdr.proof = proof;
        t.hdr.proof_len = proof_len;
    }
    if (grind) {
        uint64_t tries = 0;
        t.hdr.nonce = gsl_rng_get(p->rng.g);
        e = popi_block_grind(&t.hdr, UINT64_MAX, &tries);
        p->st.hashes_ground += (double)tries;
        if (e) {
            popi_chain_template_destroy(&t);
            return popi_err_wrap(e, "node %u: grinding a nonce", node);
        }
    }
    popi_block_t *b = NULL;
    e = popi_chain_template_finish(&t, &b);
    popi_chain_template_destroy(&t);
    if (e) return popi_err_wrap(e, "node %u: block", node);
    bool added = false;
    popi_store_node_t *sn = popi_store_add(p->store, b, &added);
    if (!added) return popi_err_set(POPI_ESTATE, "node %u: produced a block twice", node);
    uint32_t k = register_block(p, sn, now, node);
    nd->produced++;
    p->last_activity = now;
    /* the producer submits without validation delay (it built the block) */
    popi_chain_result_t res;
    popi_store_node_t *old = p->chains[node].tip;
    popi_chain_submit(&p->chains[node], sn, now, &res);
    p->st.validations += res.n_validated;
    if (res.outcome != POPI_CHAIN_TIP && res.outcome != POPI_CHAIN_SIDE)
        return popi_err_set(POPI_ESTATE, "node %u: own block %s (%s)", node,
                            popi_chain_outcome_name(res.outcome), res.verdict.message);
    p->blocks[k].state[node] = S_HAVE;
    {
        double w = 0;
        for (uint32_t u = 0; u < p->n; u++) {
            double r = p->eng->resource(p->eng_state, u);
            if (r > 0 && (!p->lossy || popi_net_online(p->net, u, now))) w += r;
        }
        p->blocks[k].w_online = w;
    }
    record_reach(p, &p->blocks[k], node, now, true);
    relay(p, node, k, UINT32_MAX, now);
    release_if_everywhere(&p->blocks[k], p->n);
    if (p->chains[node].tip != old) notify_tip(p, node, now);
    if (out) *out = sn;
    return POPI_OK;
}

static void host_charge(void *ctx, uint32_t node, popi_energy_cat_t cat, double j)
{
    popi_p2p_t *p = ctx;
    p->nodes[node].meter.joules[cat] += j;
}

static double host_online_s(void *ctx, uint32_t node, popi_time_t t_end)
{
    popi_p2p_t *p = ctx;
    if (!p->lossy) return popi_time_to_s(t_end);
    double on = 0;
    popi_time_t t = 0;
    while (t < t_end) {
        popi_time_t nx = popi_net_next_churn(p->net, node, t);
        if (nx > t_end) nx = t_end;
        if (popi_net_online(p->net, node, t)) on += popi_time_to_s(nx - t);
        t = nx;
    }
    return on;
}

/* ---- life cycle ---- */

popi_err_t popi_p2p_create(const popi_p2p_config_t *cfg, popi_net_t *net, popi_des_t *des,
                           uint64_t seed, uint64_t run_index, popi_p2p_t **out)
{
    *out = NULL;
    const popi_p2p_config_t *s = cfg;
    const popi_engine_vt_t *eng = s->engine ? popi_engine_find(s->engine) : NULL;
    if (!eng)
        return popi_err_set(POPI_ENOTFOUND, "consensus.engine: no engine '%s'",
                            s->engine ? s->engine : "(none)");
    if (s->tx.relay == POPI_TX_RELAY_FLOOD) {
        if (!(s->tx.premine_coins > 0))
            return popi_err_set(POPI_EINVAL, "tx.relay: flood pays from funded wallets; set "
                                             "tx.premine_coins > 0");
        if (s->node.light_fraction > 0)
            return popi_err_set(POPI_EINVAL, "tx.relay: flood assumes every node relays payments; "
                                             "node.light_fraction must be 0, got %g",
                                s->node.light_fraction);
        if (popi_net_unreliable(net))
            return popi_err_set(POPI_EINVAL, "tx.relay: flood has no message loss, churn or "
                                             "partitions; net.loss, net.churn_online_mean_s and "
                                             "net.partition_fraction must be 0");
    }
    popi_p2p_t *p = popi_xcalloc(1, sizeof *p);
    p->cfg = *cfg;
    p->cfg.engine = eng->name; /* the caller's string need not outlive the call */
    p->flood = s->tx.relay == POPI_TX_RELAY_FLOOD;
    if (p->flood) signer_start(p); /* (idle until the first payment) */
    p->net = net;
    p->des = des;
    p->seed = seed;
    p->run_index = run_index;
    p->n = popi_net_n_nodes(net);
    p->eng = eng;
    p->inv_b = s->gossip.inv_bytes;
    p->getdata_b = s->gossip.getdata_bytes;
    p->overhead_b = s->gossip.header_bytes_overhead;
    p->lossy = popi_net_unreliable(net);
    p->timeout_us = popi_time_from_s(s->gossip.request_timeout_s);
    p->stop_blocks = (uint64_t)s->chain.stop_blocks;
    popi_rng_init(&p->rng, seed, run_index, POPI_STREAM_CONSENSUS * 1000 + 1);
    popi_energy_model_from_config(&p->energy, &s->energy);
    /* nodes */
    p->nodes = popi_xcalloc(p->n, sizeof *p->nodes);
    p->chains = popi_xcalloc(p->n, sizeof *p->chains);
    p->rev_off = popi_xmalloc((p->n + 1) * sizeof *p->rev_off);
    p->rev_off[0] = 0;
    for (uint32_t v = 0; v < p->n; v++) p->rev_off[v + 1] = p->rev_off[v] + popi_net_degree(net, v);
    p->rev = popi_xmalloc(p->rev_off[p->n] ? p->rev_off[p->n] : 1);
    for (uint32_t v = 0; v < p->n; v++) {
        uint32_t deg;
        const uint32_t *nb = popi_net_neighbours(net, v, &deg);
        for (uint32_t j = 0; j < deg; j++) {
            uint32_t r = neighbour_index(p, nb[j], v);
            p->rev[p->rev_off[v] + j] = (uint8_t)(r < 255 ? r : 255);
        }
    }
    for (uint32_t v = 0; v < p->n; v++) {
        node_t *nd = &p->nodes[v];
        nd->light = gsl_rng_uniform(p->rng.g) < s->node.light_fraction;
        nd->online = true;
        popi_energy_meter_init(&nd->meter);
    }
    /* engine, then the store built on its rules */
    p->host = (popi_engine_host_t){
        .ctx = p, .n_nodes = p->n, .cfg = &p->cfg.engines, .seed = seed, .run_index = run_index, .des = des,
        .tip = host_tip, .active = host_active, .can_produce = host_can_produce, .produce = host_produce,
        .charge = host_charge, .online_s = host_online_s, .energy = &p->energy};
    popi_err_t e = eng->create(&p->host, &p->eng_state);
    if (e) goto fail;
    p->dw_cap_s = eng->block_interval_s(p->eng_state);
    popi_store_config_t sc;
    popi_store_config_default(&sc, eng->kind);
    sc.rules.check_proof = eng->check_proof;
    sc.rules.proof_ctx = p->eng_state;
    sc.rules.initial_subsidy = (uint64_t)llround(s->chain.subsidy_coins * 1e8);
    sc.rules.halving_interval = (uint64_t)s->chain.halving_interval;
    sc.rules.coinbase_maturity = (uint32_t)s->chain.coinbase_maturity;
    sc.rules.max_block_bytes = (uint32_t)s->chain.max_block_bytes;
    sc.weight = eng->weight;
    sc.weight_ctx = p->eng_state;
    sc.sharing = eng->sharing;
    sc.sharing_ctx = p->eng_state;
    bool workload = s->tx.rate_per_s > 0;
    uint64_t premine = (uint64_t)llround(s->tx.premine_coins * 1e8);
    uint32_t n_full = 0;
    for (uint32_t v = 0; v < p->n; v++) n_full += !p->nodes[v].light;
    p->any_light = n_full < p->n;
    /* the flood relay's cache holds what the pool and the next blocks need; a flush only costs
     * a second verification of a few signatures */
    if (workload) sc.rules.sig_cache = p->sigcache = popi_sigcache_create(p->flood ? 100000 : 0);
    sc.rules.genesis_premine = premine * n_full;
    if ((e = popi_store_create(&sc, &p->store))) goto fail;
    p->host.store = p->store;
    p->mempools = popi_xcalloc(p->n, sizeof *p->mempools);
    if (workload) { /* room for the expected payments plus 5 standard deviations (Poisson) */
        double mean = s->tx.rate_per_s * s->duration_s;
        if (mean < 1e8) {
            size_t cap = (size_t)(mean + 5 * sqrt(mean)) + 64;
            p->cap_txs = cap;
            p->txs = popi_xmalloc(cap * sizeof *p->txs);
            if (p->any_light) p->tx_proof = popi_xmalloc(cap * sizeof *p->tx_proof);
            p->txids = popi_xmalloc(cap * sizeof *p->txids);
            p->tx_t0 = popi_xmalloc(cap * sizeof *p->tx_t0);
            if (!p->flood) {
                p->tx_objs = popi_xmalloc(cap * sizeof *p->tx_objs);
                p->txst = popi_xmalloc(cap * sizeof *p->txst);
            }
        }
    }
    if (workload || premine) {
        p->pks = popi_xcalloc(p->n, sizeof *p->pks);
        if (p->flood) p->kps = popi_xcalloc(p->n, sizeof *p->kps);
        for (uint32_t v = 0; v < p->n; v++) {
            if (p->flood) {
                keypair_of(p, v, &p->kps[v]);
                p->pks[v] = p->kps[v].pk;
            } else {
                pubkey_of(p, v, &p->pks[v]);
            }
            if (workload && !p->flood && !p->nodes[v].light)
                p->mempools[v] = popi_mempool_create(p->store, 0);
        }
    }
    for (uint32_t v = 0; v < p->n; v++) popi_chain_init(&p->chains[v], p->store, p->mempools[v]);
    /* genesis: built on an empty view, paid to nobody in particular (a fixed key), plus the
     * premine to every full node */
    {
        popi_chain_t g;
        popi_chain_init(&g, p->store, NULL);
        popi_pubkey_t pk;
        memset(&pk, 0, sizeof pk);
        popi_txout_t *pre = NULL;
        if (premine) {
            pre = popi_xmalloc((n_full ? n_full : 1) * sizeof *pre);
            for (uint32_t v = 0, k = 0; v < p->n; v++)
                if (!p->nodes[v].light) pre[k++] = (popi_txout_t){premine, p->pks[v]};
        }
        popi_chain_template_t t;
        e = popi_chain_template(&g, &pk, 0, eng->genesis_bits(p->eng_state), pre,
                                premine ? n_full : 0, &t);
        free(pre);
        if (!e) e = popi_block_grind(&t.hdr, UINT64_MAX, NULL);
        popi_block_t *b = NULL;
        if (!e) e = popi_chain_template_finish(&t, &b);
        popi_chain_template_destroy(&t);
        popi_chain_destroy(&g);
        if (e) goto fail;
        popi_store_node_t *sn = popi_store_add(p->store, b, NULL);
        uint32_t k = register_block(p, sn, 0, -1);
        p->st.blocks--; /* genesis is not a produced block */
        for (uint32_t v = 0; v < p->n; v++) {
            node_t *nd = &p->nodes[v];
            if (nd->light) nd->hdr_tip = sn;
            else {
                popi_chain_result_t res;
                popi_chain_submit(&p->chains[v], sn, 0, &res);
                if (res.outcome != POPI_CHAIN_TIP) {
                    e = popi_err_set(POPI_ESTATE, "genesis rejected: %s", res.verdict.message);
                    goto fail;
                }
            }
            p->blocks[k].state[v] = S_HAVE;
        }
        p->blocks[k].reached = p->n;
        p->blocks[k].t50 = p->blocks[k].t90 = p->blocks[k].t100 = 0;
        if (p->flood) { /* wallets start on their premine output; the pool on genesis */
            p->coin = popi_xcalloc(p->n, sizeof *p->coin);
            p->coin_amt = popi_xcalloc(p->n, sizeof *p->coin_amt);
            p->coin_pend = popi_xcalloc(p->n, sizeof *p->coin_pend);
            for (uint32_t v = 0, o = 2; v < p->n; v++)
                if (!p->nodes[v].light) {
                    p->coin[v] = (popi_outpoint_t){sn->block->tx[0].txid, o++};
                    p->coin_amt[v] = premine;
                }
            p->pool = popi_mempool_create(p->store, 0);
            if ((e = popi_mempool_set_tip(p->pool, sn, NULL))) goto fail;
        }
    }
    if (p->flood) {
        /* the hop delays are drawn for a typical payment: one input, amount and change */
        popi_tx_t sample;
        popi_tx_init(&sample, 1, 2, 0);
        uint32_t bytes = (uint32_t)popi_tx_encoded_size(&sample);
        popi_tx_destroy(&sample);
        if ((e = popi_net_flood_create(net, (uint32_t)s->tx.flood_realisations, bytes,
                                       s->gossip.tx_batch_s, seed, run_index,
                                       s->threads < 1 ? 1 : s->threads, &p->fl)))
            goto fail;
    }
    *out = p;
    return POPI_OK;
fail:
    popi_p2p_free(p);
    return e;
}

/* Free the ledger side of a run (store, views, mempools and pool, flood delays, signature cache,
 * payment copies, per-block node arrays), leaving NULLs: popi_p2p_release and popi_p2p_free. */
static void free_ledger(popi_p2p_t *p)
{
    for (uint32_t v = 0; p->chains && v < p->n; v++) popi_chain_destroy(&p->chains[v]);
    for (uint32_t v = 0; p->mempools && v < p->n; v++) {
        popi_mempool_free(p->mempools[v]);
        p->mempools[v] = NULL;
    }
    popi_mempool_free(p->pool);
    p->pool = NULL;
    popi_net_flood_free(p->fl);
    p->fl = NULL;
    for (size_t k = 0; k < p->n_txs && p->tx_objs; k++) {
        popi_tx_destroy(&p->tx_objs[k]);
        free(p->txst[k]);
    }
    free(p->tx_objs);
    free(p->txst);
    p->tx_objs = NULL;
    p->txst = NULL;
    free(p->txmap);
    p->txmap = NULL;
    p->cap_txmap = 0;
    for (size_t k = 0; k < p->n_blocks; k++) {
        free(p->blocks[k].state);
        free(p->blocks[k].known);
        free(p->blocks[k].fallback);
        p->blocks[k].state = NULL;
        p->blocks[k].known = NULL;
        p->blocks[k].fallback = NULL;
        p->blocks[k].sn = NULL;
    }
    p->best = NULL;
    popi_store_free(p->store); /* after the views and pools that borrow it */
    p->store = NULL;
    popi_sigcache_free(p->sigcache);
    p->sigcache = NULL;
}

void popi_p2p_free(popi_p2p_t *p)
{
    if (!p) return;
    if (p->flood) signer_stop(p); /* first: a signer may be reading the keys */
    free_ledger(p);
    for (uint32_t v = 0; p->nodes && v < p->n; v++) {
        free(p->nodes[v].orphans);
        free(p->nodes[v].annq);
        free(p->nodes[v].txorph);
    }
    free(p->mempools);
    free(p->pks);
    if (p->kps)
        for (uint32_t v = 0; v < p->n; v++) popi_crypto_keypair_wipe(&p->kps[v]);
    free(p->kps);
    for (size_t k = 0; k < p->n_pend; k++) {
        popi_tx_destroy(&p->pend[k]->tx);
        free(p->pend[k]);
    }
    free(p->pend);
    free(p->coin);
    free(p->coin_amt);
    free(p->coin_pend);
    free(p->txids);
    free(p->tx_t0);
    free(p->txs);
    free(p->tx_proof);
    free(p->tx_out);
    for (size_t k = 0; k < p->n_batches; k++) free(p->batches[k].ix);
    free(p->batches);
    free(p->free_batches);
    free(p->nodes);
    free(p->chains);
    free(p->rev);
    free(p->rev_off);
    free(p->blocks);
    free(p->by_seq);
    free(p->msgs);
    free(p->free_msgs);
    free(p->rows);
    if (p->eng_state) p->eng->destroy(p->eng_state);
    popi_rng_destroy(&p->rng);
    free(p);
}

popi_err_t popi_p2p_start(popi_p2p_t *p)
{
    popi_err_t e = p->eng->start(p->eng_state, 0);
    if (e) return e;
    if (p->cfg.tx.rate_per_s > 0) {
        double dt = gsl_ran_exponential(p->rng.g, 1.0 / p->cfg.tx.rate_per_s);
        if ((e = popi_des_schedule(p->des, popi_time_from_s(dt), txgen_cb, p, 0, NULL))) return e;
    }
    if (popi_net_has_churn(p->net))
        for (uint32_t v = 0; v < p->n; v++) {
            popi_time_t nx = popi_net_next_churn(p->net, v, 0);
            if (nx != POPI_TIME_NEVER && (e = popi_des_schedule(p->des, nx, churn_cb, p, v, NULL)))
                return e;
        }
    for (uint32_t k = 0; k < popi_net_n_partitions(p->net); k++)
        if ((e = popi_des_schedule(p->des, popi_net_partition(p->net, k)->t_end, heal_cb, p, k, NULL)))
            return e;
    return POPI_OK;
}

uint32_t popi_p2p_n_nodes(const popi_p2p_t *p) { return p->n; }
popi_store_t *popi_p2p_store(popi_p2p_t *p) { return p->store; }
bool popi_p2p_is_light(const popi_p2p_t *p, uint32_t node) { return p->nodes[node].light; }
popi_time_t popi_p2p_last_activity(const popi_p2p_t *p) { return p->last_activity; }
bool popi_p2p_stopped(const popi_p2p_t *p) { return p->stop_blocks && p->st.blocks >= p->stop_blocks; }

popi_store_node_t *popi_p2p_tip(popi_p2p_t *p, uint32_t node)
{
    node_t *nd = &p->nodes[node];
    return nd->light ? nd->hdr_tip : p->chains[node].tip;
}

popi_store_node_t *popi_p2p_best(popi_p2p_t *p)
{
    if (p->rows) return p->best; /* finished: computed once by popi_p2p_finish */
    popi_store_node_t *best = NULL;
    for (size_t k = 0; k < p->n_blocks; k++) {
        popi_store_node_t *sn = p->blocks[k].sn;
        if (sn->status != POPI_STORE_VALID) continue;
        if (!best || sn->chain_weight > best->chain_weight ||
            (sn->chain_weight == best->chain_weight && sn->seq < best->seq))
            best = sn;
    }
    return best;
}

void popi_p2p_finish(popi_p2p_t *p, popi_time_t t_end)
{
    p->eng->finish(p->eng_state, t_end);
    for (uint32_t v = 0; v < p->n; v++) popi_energy_finish(&p->nodes[v].meter, &p->energy, t_end);
    p->best = popi_p2p_best(p);
    /* confirmations: walk the best chain, find each transaction in the table by txid */
    if (p->flood) flood_flush(p);
    if (p->n_txs) {
        for (popi_store_node_t *x = p->best; x; x = x->parent) {
            const popi_block_t *b = x->block;
            for (uint32_t t = 1; t < b->n_tx; t++) {
                uint32_t ix = txmap_get(p, &b->tx[t].txid);
                if (ix == UINT32_MAX) continue;
                p->txs[ix].height1 = (uint32_t)b->hdr.height + 1;
            }
        }
        if (p->flood) flood_account(p, t_end);
        p->st.txs_confirmed = 0;
        for (size_t k = 0; k < p->n_txs; k++) p->st.txs_confirmed += p->txs[k].height1 != 0;
    }
    free(p->rows);
    p->rows = popi_xcalloc(p->n_blocks ? p->n_blocks : 1, sizeof *p->rows);
    p->st.main_blocks = p->st.stale_blocks = 0;
    for (size_t k = 0; k < p->n_blocks; k++) {
        binfo_t *bi = &p->blocks[k];
        const popi_block_t *b = bi->sn->block;
        popi_p2p_block_t *r = &p->rows[k];
        r->height = b->hdr.height;
        r->time_s = popi_time_to_s(b->hdr.time);
        r->producer = bi->producer;
        r->size = b->size;
        r->wire_bytes = bi->wire;
        r->n_tx = b->n_tx;
        r->parent = -1;
        if (bi->sn->parent) {
            binfo_t *pb = binfo_of(p, bi->sn->parent);
            if (pb) r->parent = pb - p->blocks;
        }
        r->main = p->best && popi_store_is_ancestor(bi->sn, p->best);
        r->orphaned = !r->main;
        r->reached = bi->reached;
        r->t50_s = bi->t50;
        r->t90_s = bi->t90;
        r->t100_s = bi->t100;
        r->mean_delay_s = bi->reached > 1 ? bi->delay_sum / (bi->reached - 1) : NAN;
        r->uninformed_s = bi->w_online > 0
                              ? (bi->w_delay + (bi->w_online - bi->w_reached) * p->dw_cap_s) / bi->w_online
                              : NAN;
        if (k > 0) {
            if (r->main) p->st.main_blocks++;
            else p->st.stale_blocks++;
        }
    }
}

const popi_p2p_block_t *popi_p2p_blocks(const popi_p2p_t *p, size_t *n)
{
    *n = p->rows ? p->n_blocks : 0;
    return p->rows;
}

const popi_p2p_stats_t *popi_p2p_stats(const popi_p2p_t *p) { return &p->st; }

const popi_p2p_tx_t *popi_p2p_txs(popi_p2p_t *p, size_t *n)
{
    POPI_ASSERT(p->rows != NULL); /* finished */
    *n = p->n_txs;
    if (p->tx_out || !p->n_txs) return p->tx_out;
    /* header time of the best-chain block at each height */
    uint64_t top = 0;
    for (size_t k = 0; k < p->n_blocks; k++)
        if (p->rows[k].main && p->rows[k].height > top) top = p->rows[k].height;
    double *t_at = popi_xmalloc((top + 1) * sizeof *t_at);
    for (size_t k = 0; k < p->n_blocks; k++)
        if (p->rows[k].main) t_at[p->rows[k].height] = p->rows[k].time_s;
    p->tx_out = popi_xmalloc(p->n_txs * sizeof *p->tx_out);
    for (size_t ix = 0; ix < p->n_txs; ix++) {
        const struct txrec *r = &p->txs[ix];
        popi_p2p_tx_t *o = &p->tx_out[ix];
        memset(o, 0, sizeof *o); /* padding too: rows are compared and written byte for byte */
        o->t_created_s = popi_time_to_s(p->tx_t0[ix]);
        o->height = r->height1 ? (int64_t)r->height1 - 1 : -1;
        o->t_confirmed_s = r->height1 ? t_at[r->height1 - 1] : NAN;
        o->latency_s = o->t_confirmed_s - o->t_created_s;
        o->origin = r->origin;
        o->payee = r->payee;
        o->size = r->size;
        o->reached = r->reached;
        o->t_proof_s = p->tx_proof ? p->tx_proof[ix] : NAN;
    }
    free(t_at);
    return p->tx_out;
}

popi_p2p_node_row_t *popi_p2p_node_rows(popi_p2p_t *p, popi_time_t t_end)
{
    popi_p2p_node_row_t *rows = popi_xcalloc(p->n ? p->n : 1, sizeof *rows);
    for (uint32_t v = 0; v < p->n; v++) {
        node_t *nd = &p->nodes[v];
        popi_p2p_node_row_t *r = &rows[v];
        r->node = v;
        r->light = nd->light;
        r->region = popi_net_region(p->net, v);
        r->degree = popi_net_degree(p->net, v);
        r->resource = p->eng->resource(p->eng_state, v);
        r->bytes_in = nd->bytes_in;
        r->bytes_out = nd->bytes_out;
        r->msgs_in = nd->msgs_in;
        r->msgs_out = nd->msgs_out;
        r->produced = nd->produced;
        r->online_s = host_online_s(p, v, t_end);
        for (int c = 0; c < POPI_ENERGY__COUNT; c++) r->energy_j[c] = nd->meter.joules[c];
        r->energy_total_j = popi_energy_total(&nd->meter);
        r->battery_pct_per_day = popi_energy_battery_pct_per_day(&p->energy, r->energy_total_j,
                                                                 popi_time_to_s(t_end));
    }
    /* rewards: the coinbase value of every best-chain block, to its producer */
    for (size_t k = 1; k < p->n_blocks && p->rows; k++) {
        const binfo_t *bi = &p->blocks[k];
        if (bi->producer < 0 || !p->rows[k].main) continue;
        const popi_block_t *b = bi->sn->block;
        rows[bi->producer].produced_main++;
        for (uint32_t o = 0; o < b->tx[0].n_out; o++) rows[bi->producer].reward += b->tx[0].out[o].amount;
    }
    return rows;
}

const popi_net_flood_t *popi_p2p_flood(const popi_p2p_t *p) { return p->fl; }

void popi_p2p_release(popi_p2p_t *p)
{
    POPI_ASSERT(p->rows != NULL); /* finished */
    free_ledger(p);
}

size_t popi_p2p_bytes(const popi_p2p_t *p)
{
    size_t b = sizeof *p + p->n * (sizeof *p->nodes + sizeof *p->chains) + p->cap_blocks * sizeof *p->blocks +
               p->cap_msgs * sizeof *p->msgs + p->cap_free * sizeof *p->free_msgs +
               p->cap_by_seq * sizeof *p->by_seq;
    for (size_t k = 0; k < p->n_blocks; k++)
        if (p->blocks[k].state) b += p->n * (9 + (p->blocks[k].fallback ? 4 : 0));
    b += p->cap_txs * (sizeof *p->txs + sizeof *p->txids + sizeof *p->tx_t0) +
         p->cap_txmap * sizeof *p->txmap;
    if (p->fl) b += (size_t)p->fl->n_real * p->n * p->n * (sizeof *p->fl->delay_s + sizeof *p->fl->children);
    if (p->pool) b += popi_mempool_bytes(p->pool);
    return b;
}
