/* SPDX-License-Identifier: MIT */
/*
 * netrun.c - one network run, as ordered phases: build (overlay, nodes, engine) → simulate (the
 * event queue drives production and gossip; a periodic event reports progress) → analyse (best
 * chain, stale rate, intervals, propagation, energy) → record (HDF5, committed atomically).
 */
#include "popi/netrun.h"

#include "popi/h5out.h"
#include "popi/mobility.h"
#include "popi/world.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct popi_netrun_keep {
    const popi_scenario_t *s;
    popi_des_t des;
    popi_net_t *net;
    popi_p2p_t *p2p;
    double *intervals;
    size_t n_intervals;
    popi_run_opts_t opts;
    popi_time_t t_end;
};

/* SimBlock 2019 regions come from popi_net_config_default; "single" replaces them by one. */
static popi_err_t net_config(const popi_scenario_t *s, uint64_t run_index, popi_net_config_t *c,
                             double **xy_out)
{
    *xy_out = NULL;
    popi_net_config_default(c);
    c->n_nodes = (uint32_t)s->net.nodes;
    c->topology = (popi_net_topology_t)s->net.topology;
    c->er_mean_degree = s->net.er_mean_degree;
    c->ba_m = (uint32_t)s->net.ba_m;
    c->ws_k = (uint32_t)s->net.ws_k;
    c->ws_p = s->net.ws_p;
    c->proximity_range_m = s->net.proximity_range_m;
    if (s->net.regions == 1) {
        c->n_regions = 1;
        c->region_share[0] = 1;
        c->latency_ms[0] = s->net.region_latency_ms;
        c->upload_bps[0] = s->net.upload_bps;
        c->download_bps[0] = s->net.download_bps;
    }
    c->latency = (popi_net_latency_t)s->net.latency;
    c->lognormal_mean_ms = s->net.lognormal_mean_ms;
    c->lognormal_sigma = s->net.lognormal_sigma;
    c->constant_ms = s->net.constant_ms;
    c->loss = s->net.loss;
    c->churn_online_mean_s = s->net.churn_online_mean_s;
    c->churn_offline_mean_s = s->net.churn_offline_mean_s;
    c->n_partitions = 0;
    if (s->net.partition_fraction > 0) {
        c->partitions[0] = (popi_net_partition_t){popi_time_from_s(s->net.partition_start_s),
                                                  popi_time_from_s(s->net.partition_end_s),
                                                  s->net.partition_fraction};
        c->n_partitions = 1;
    }
    if (c->topology != POPI_NET_TOPO_PROXIMITY) return POPI_OK;
    /* proximity: the crowd's positions at time 0 (world, crowd and mobility of the scenario) */
    popi_world_config_t wc = s->world;
    char *map = NULL;
    if (s->world.map_file && s->world.map_file[0]) wc.map_file = map = popi_scenario_path(s, s->world.map_file);
    else wc.map_file = NULL;
    popi_world_t w;
    popi_rng_t wrng;
    popi_rng_init(&wrng, s->seed, run_index, POPI_STREAM_WORLD);
    popi_err_t e = popi_world_init(&w, &wc, &wrng);
    popi_rng_destroy(&wrng);
    free(map);
    if (e) return e;
    double n = s->agents > 0 ? (double)s->agents : round(s->density * w.free_area_m2);
    if (n < 2 || n > 1e7) {
        popi_world_destroy(&w);
        return popi_err_set(POPI_EINVAL, "net.topology proximity: the crowd must have 2 to 1e7 agents, got %.0f", n);
    }
    popi_mobility_t m;
    if ((e = popi_mobility_init(&m, &s->mobility, &w, (uint32_t)n, s->seed, run_index))) {
        popi_world_destroy(&w);
        return e;
    }
    double *xy = popi_xmalloc(2 * (size_t)n * sizeof *xy);
    for (uint32_t a = 0; a < (uint32_t)n; a++) popi_mobility_position(&m, a, 0, &xy[2 * a], &xy[2 * a + 1]);
    popi_mobility_destroy(&m);
    popi_world_destroy(&w);
    c->n_nodes = (uint32_t)n;
    c->xy = xy;
    *xy_out = xy;
    return POPI_OK;
}

static popi_time_t progress_cb(popi_des_t *des, void *ctx, popi_time_t now, uint64_t arg)
{
    (void)des, (void)arg;
    popi_netrun_keep_t *k = ctx;
    k->opts.progress(k->opts.progress_ctx, (double)now / (double)k->t_end);
    popi_time_t step = k->t_end / 100 > 0 ? k->t_end / 100 : 1;
    if (popi_p2p_stopped(k->p2p) && popi_des_pending(des) == 0) return POPI_DES_DONE;
    return now + step < k->t_end ? step : POPI_DES_DONE; /* a delay */
}

void popi_netrun_keep_free(popi_netrun_keep_t *k)
{
    if (!k) return;
    popi_p2p_free(k->p2p);
    popi_net_free(k->net);
    popi_des_destroy(&k->des);
    free(k->intervals);
    free(k);
}

popi_p2p_t *popi_netrun_keep_p2p(popi_netrun_keep_t *k) { return k->p2p; }

const double *popi_netrun_keep_intervals(popi_netrun_keep_t *k, size_t *n)
{
    *n = k->n_intervals;
    return k->intervals;
}

/* The nodes' configuration: the scenario's sections and the engine's name (the value of
 * consensus.engine in the parameter table). */
static popi_err_t p2p_config(const popi_scenario_t *s, int threads, popi_p2p_config_t *c)
{
    const popi_param_t *pe = popi_scenario_param_find("consensus.engine", NULL);
    POPI_ASSERT(pe && pe->type == POPI_PARAM_ENUM);
    int n_names = 0;
    while (pe->names[n_names]) n_names++;
    const char *name = s->consensus_engine >= 0 && s->consensus_engine < n_names
                           ? pe->names[s->consensus_engine]
                           : NULL;
    if (!name || s->consensus_engine == 0)
        return popi_err_set(POPI_EINVAL, "consensus.engine: a network run needs an engine, got '%s'",
                            name ? name : "?");
    *c = (popi_p2p_config_t){.engine = name, .engines = {.pow = s->pow}, .gossip = s->gossip,
                             .node = s->node, .tx = s->tx, .chain = s->chain,
                             .energy = s->energy, .duration_s = s->duration_s,
                             .threads = threads < 1 ? 1 : threads};
    return POPI_OK;
}

popi_err_t popi_netrun_start(const popi_scenario_t *s, uint64_t run_index, int threads,
                             popi_netrun_keep_t **out)
{
    *out = NULL;
    popi_p2p_config_t pc;
    popi_err_t e = p2p_config(s, threads, &pc);
    if (e) return e;
    popi_netrun_keep_t *k = popi_xcalloc(1, sizeof *k);
    k->s = s;
    k->opts.run_index = run_index;
    k->t_end = popi_time_from_s(s->duration_s);
    popi_des_init(&k->des);
    popi_net_config_t nc;
    double *xy = NULL;
    e = net_config(s, run_index, &nc, &xy);
    if (!e) e = popi_net_create(&nc, s->seed, run_index, &k->net);
    free(xy);
    if (!e) e = popi_p2p_create(&pc, k->net, &k->des, s->seed, run_index, &k->p2p);
    if (!e) e = popi_p2p_start(k->p2p);
    if (e) {
        popi_netrun_keep_free(k);
        return e;
    }
    *out = k;
    return POPI_OK;
}

popi_err_t popi_netrun_keep_advance(popi_netrun_keep_t *k, double t_s)
{
    return popi_des_run_until(&k->des, popi_time_from_s(t_s));
}

/* ---- analysis ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
    if (!n) return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The chain's summary (needs the store). */
static void analyse(popi_netrun_keep_t *k, popi_netrun_summary_t *sum)
{
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(k->p2p, &nb);
    const popi_p2p_stats_t *st = popi_p2p_stats(k->p2p);
    /* best-chain intervals: walk back from the best tip */
    popi_store_node_t *best = popi_p2p_best(k->p2p);
    size_t depth = best ? (size_t)best->depth : 0;
    free(k->intervals);
    k->intervals = popi_xmalloc((depth ? depth : 1) * sizeof *k->intervals);
    k->n_intervals = depth;
    for (popi_store_node_t *x = best; x && x->parent; x = x->parent)
        k->intervals[x->depth - 1] = popi_time_to_s(x->block->hdr.time - x->parent->block->hdr.time);
    double isum = 0;
    for (size_t i = 0; i < k->n_intervals; i++) isum += k->intervals[i];
    sum->mean_interval_s = k->n_intervals ? isum / (double)k->n_intervals : NAN;
    sum->blocks = st->blocks;
    sum->main_blocks = st->main_blocks;
    sum->stale_blocks = st->stale_blocks;
    sum->stale_rate = st->blocks ? (double)st->stale_blocks / (double)st->blocks : NAN;
    double *t = popi_xmalloc((nb ? nb : 1) * sizeof *t);
    size_t nt;
    double dsum = 0;
    size_t dn = 0;
    for (int q = 0; q < 3; q++) {
        nt = 0;
        for (size_t i = 1; i < nb; i++) {
            double v = q == 0 ? b[i].t50_s : q == 1 ? b[i].t90_s : b[i].t100_s;
            if (!isnan(v)) t[nt++] = v;
        }
        double m = median_of(t, nt);
        if (q == 0) sum->median_t50_s = m;
        else if (q == 1) sum->median_t90_s = m;
        else sum->median_t100_s = m;
    }
    free(t);
    /* Decker & Wattenhofer: a block goes stale when a competing one is found while it spreads.
     * The exposure per block is the hash-rate-weighted time the miners online at production went
     * without it (node.c, uninformed_s); blocks are found at the production rate (blocks
     * produced / time of the last one), so P(stale) = 1 - exp(-mean exposure / interval). */
    double unin = 0, t_last = 0;
    size_t un = 0;
    for (size_t i = 1; i < nb; i++) {
        if (!isnan(b[i].mean_delay_s)) dsum += b[i].mean_delay_s, dn++;
        if (!isnan(b[i].uninformed_s)) unin += b[i].uninformed_s, un++;
        if (b[i].time_s > t_last) t_last = b[i].time_s;
    }
    sum->mean_delay_s = dn ? dsum / (double)dn : NAN;
    double t_prod = st->blocks ? t_last / (double)st->blocks : NAN;
    sum->dw_stale_pred = un ? 1.0 - exp(-(unin / (double)un) / t_prod) : NAN;
    const popi_net_stats_t *ns = popi_net_stats(k->net);
    sum->messages = ns->n_sent;
    sum->bytes = ns->bytes_sent;
    sum->validations = st->validations;
    sum->txs_created = st->txs_created;
    sum->txs_confirmed = st->txs_confirmed;
    sum->txs_skipped = st->txs_skipped;
    sum->txs_rejected = st->txs_rejected;
    sum->proofs_verified = st->proofs_verified;
    sum->proofs_failed = st->proofs_failed;
    sum->reorgs = st->reorgs;
    sum->des_events = k->des.n_executed;
}

/* The payments' summary (after popi_p2p_release if the run is not kept: the rows are built). */
static void analyse_txs(popi_netrun_keep_t *k, popi_netrun_summary_t *sum)
{
    size_t ntx;
    const popi_p2p_tx_t *tr = popi_p2p_txs(k->p2p, &ntx);
    double *lat = popi_xmalloc((ntx ? ntx : 1) * sizeof *lat);
    size_t nl = 0;
    for (size_t i = 0; i < ntx; i++)
        if (!isnan(tr[i].latency_s)) lat[nl++] = tr[i].latency_s;
    sum->median_confirm_s = median_of(lat, nl);
    free(lat);
}

/* ---- record ---- */

#define F POPI_H5_FIELD
static const popi_h5_field_t block_fields[] = {
    F(popi_p2p_block_t, height, POPI_H5_U64, "1", "height (genesis 0)"),
    F(popi_p2p_block_t, time_s, POPI_H5_F64, "s", "production time (header time)"),
    F(popi_p2p_block_t, producer, POPI_H5_I64, "1", "producing node, -1 for genesis"),
    F(popi_p2p_block_t, size, POPI_H5_U32, "B", "encoded block size"),
    F(popi_p2p_block_t, wire_bytes, POPI_H5_U32, "B", "bytes of the BLOCK message (gossip.min_block_bytes padding and header included)"),
    F(popi_p2p_block_t, n_tx, POPI_H5_U32, "1", "transactions, coinbase included"),
    F(popi_p2p_block_t, parent, POPI_H5_I64, "1", "row of the parent block, -1 for genesis"),
    F(popi_p2p_block_t, main, POPI_H5_U8, "1", "1 if on the best chain at the end"),
    F(popi_p2p_block_t, orphaned, POPI_H5_U8, "1", "1 if stale (not on the best chain)"),
    F(popi_p2p_block_t, reached, POPI_H5_U32, "1", "nodes that accepted the block (light nodes: its header)"),
    F(popi_p2p_block_t, t50_s, POPI_H5_F64, "s", "delay until 50 % of all nodes had it (NaN: never)"),
    F(popi_p2p_block_t, t90_s, POPI_H5_F64, "s", "delay until 90 % of all nodes had it (NaN: never)"),
    F(popi_p2p_block_t, t100_s, POPI_H5_F64, "s", "delay until every node had it (NaN: never)"),
    F(popi_p2p_block_t, mean_delay_s, POPI_H5_F64, "s", "mean delay over the nodes that got it, producer excluded"),
    F(popi_p2p_block_t, uninformed_s, POPI_H5_F64, "s", "hash-weighted mean time the miners online at production went without it (capped at pow.block_interval_s): Decker-Wattenhofer exposure"),
};

typedef struct {
    uint32_t node;
    uint8_t light;
    uint32_t region, degree;
    double resource;
    uint64_t bytes_in, bytes_out, msgs_in, msgs_out;
    uint32_t produced, produced_main;
    uint64_t reward;
    double online_s;
    double e_hash, e_signature, e_ble_scan, e_ble_adv, e_radio_tx, e_radio_rx, e_radio_tail;
    double energy_total_j, battery_pct_per_day;
} node_row_t;

static const popi_h5_field_t node_fields[] = {
    F(node_row_t, node, POPI_H5_U32, "1", "node id"),
    F(node_row_t, light, POPI_H5_U8, "1", "1 for a light node"),
    F(node_row_t, region, POPI_H5_U32, "1", "region index (net.regions)"),
    F(node_row_t, degree, POPI_H5_U32, "1", "overlay degree"),
    F(node_row_t, resource, POPI_H5_F64, "H/s", "the engine's resource: hash rate (0 for non-miners)"),
    F(node_row_t, bytes_in, POPI_H5_U64, "B", "bytes received"),
    F(node_row_t, bytes_out, POPI_H5_U64, "B", "bytes sent (lost messages included)"),
    F(node_row_t, msgs_in, POPI_H5_U64, "1", "messages received"),
    F(node_row_t, msgs_out, POPI_H5_U64, "1", "messages sent"),
    F(node_row_t, produced, POPI_H5_U32, "1", "blocks produced"),
    F(node_row_t, produced_main, POPI_H5_U32, "1", "of which on the best chain"),
    F(node_row_t, reward, POPI_H5_U64, "base unit", "coinbase value of its best-chain blocks (1 coin = 1e8)"),
    F(node_row_t, online_s, POPI_H5_F64, "s", "time online"),
    F(node_row_t, e_hash, POPI_H5_F64, "J", "energy: hashing (mining all the time online, validation)"),
    F(node_row_t, e_signature, POPI_H5_F64, "J", "energy: signatures and verifications"),
    F(node_row_t, e_ble_scan, POPI_H5_F64, "J", "energy: BLE scanning"),
    F(node_row_t, e_ble_adv, POPI_H5_F64, "J", "energy: BLE advertising"),
    F(node_row_t, e_radio_tx, POPI_H5_F64, "J", "energy: radio transmit (active)"),
    F(node_row_t, e_radio_rx, POPI_H5_F64, "J", "energy: radio receive (active)"),
    F(node_row_t, e_radio_tail, POPI_H5_F64, "J", "energy: radio tail after transfers"),
    F(node_row_t, energy_total_j, POPI_H5_F64, "J", "energy, all categories"),
    F(node_row_t, battery_pct_per_day, POPI_H5_F64, "%/day", "energy as a share of the battery per simulated day"),
};

static const popi_h5_field_t tx_fields[] = {
    F(popi_p2p_tx_t, t_created_s, POPI_H5_F64, "s", "signed and offered to its origin's mempool"),
    F(popi_p2p_tx_t, t_confirmed_s, POPI_H5_F64, "s", "time of the best-chain block holding it (NaN: unconfirmed)"),
    F(popi_p2p_tx_t, latency_s, POPI_H5_F64, "s", "confirmation latency (NaN: unconfirmed)"),
    F(popi_p2p_tx_t, height, POPI_H5_I64, "1", "height of that block, -1 if unconfirmed"),
    F(popi_p2p_tx_t, origin, POPI_H5_U32, "1", "paying node"),
    F(popi_p2p_tx_t, payee, POPI_H5_U32, "1", "paid node"),
    F(popi_p2p_tx_t, size, POPI_H5_U32, "B", "encoded size"),
    F(popi_p2p_tx_t, reached, POPI_H5_U32, "1", "full nodes that admitted it to their mempool (tx.relay = flood: that it reached by the end)"),
    F(popi_p2p_tx_t, t_proof_s, POPI_H5_F64, "s", "light payee: when it first checked a Merkle proof of a block holding it (NaN otherwise)"),
};

static const popi_h5_field_t sum_fields[] = {
    F(popi_netrun_summary_t, nodes, POPI_H5_U32, "1", "nodes"),
    F(popi_netrun_summary_t, light_nodes, POPI_H5_U32, "1", "light nodes"),
    F(popi_netrun_summary_t, edges, POPI_H5_U64, "1", "overlay edges"),
    F(popi_netrun_summary_t, sim_s, POPI_H5_F64, "s", "simulated time"),
    F(popi_netrun_summary_t, blocks, POPI_H5_U64, "1", "blocks produced (genesis excluded)"),
    F(popi_netrun_summary_t, main_blocks, POPI_H5_U64, "1", "blocks on the best chain (genesis excluded)"),
    F(popi_netrun_summary_t, stale_blocks, POPI_H5_U64, "1", "stale blocks"),
    F(popi_netrun_summary_t, stale_rate, POPI_H5_F64, "1", "stale / produced"),
    F(popi_netrun_summary_t, mean_interval_s, POPI_H5_F64, "s", "mean best-chain block interval"),
    F(popi_netrun_summary_t, median_t50_s, POPI_H5_F64, "s", "median over blocks of the 50 % propagation delay"),
    F(popi_netrun_summary_t, median_t90_s, POPI_H5_F64, "s", "median over blocks of the 90 % propagation delay"),
    F(popi_netrun_summary_t, median_t100_s, POPI_H5_F64, "s", "median over blocks of the 100 % propagation delay"),
    F(popi_netrun_summary_t, mean_delay_s, POPI_H5_F64, "s", "mean over blocks of the mean propagation delay"),
    F(popi_netrun_summary_t, dw_stale_pred, POPI_H5_F64, "1", "Decker-Wattenhofer stale-rate prediction from this run's propagation"),
    F(popi_netrun_summary_t, messages, POPI_H5_U64, "1", "messages sent"),
    F(popi_netrun_summary_t, bytes, POPI_H5_U64, "B", "bytes sent"),
    F(popi_netrun_summary_t, energy_mean_j, POPI_H5_F64, "J", "mean energy per node"),
    F(popi_netrun_summary_t, battery_pct_per_day_mean, POPI_H5_F64, "%/day", "mean battery share per day"),
    F(popi_netrun_summary_t, txs_created, POPI_H5_U64, "1", "payments made by the transaction workload"),
    F(popi_netrun_summary_t, txs_confirmed, POPI_H5_U64, "1", "payments on the best chain at the end"),
    F(popi_netrun_summary_t, txs_skipped, POPI_H5_U64, "1", "workload draws that found no online full node with spendable coins (gossip relay: 16 tries each; flood: the drawn payer's coin was too small)"),
    F(popi_netrun_summary_t, txs_rejected, POPI_H5_U64, "1", "flood relay: payments the run-wide pool refused"),
    F(popi_netrun_summary_t, proofs_verified, POPI_H5_U64, "1", "payment Merkle proofs light nodes checked and accepted"),
    F(popi_netrun_summary_t, proofs_failed, POPI_H5_U64, "1", "payment Merkle proofs light nodes rejected"),
    F(popi_netrun_summary_t, median_confirm_s, POPI_H5_F64, "s", "median confirmation latency (creation to best-chain block)"),
    F(popi_netrun_summary_t, des_events, POPI_H5_U64, "1", "events executed"),
    F(popi_netrun_summary_t, validations, POPI_H5_U64, "1", "validator runs (once per block per run)"),
    F(popi_netrun_summary_t, reorgs, POPI_H5_U64, "1", "chain reorganisations over all nodes"),
};
#undef F
#define TABLE POPI_H5_TABLE
static const popi_h5_table_t t_blocks = TABLE("/chain/blocks",
    "every block produced, in production order (row 0 = genesis), with its propagation", block_fields,
    popi_p2p_block_t);
static const popi_h5_table_t t_nodes = TABLE("/nodes", "per-node traffic, production, rewards and energy by category",
    node_fields, node_row_t);
static const popi_h5_table_t t_txs = TABLE("/chain/transactions",
    "every payment of the transaction workload, in creation order, with its confirmation", tx_fields,
    popi_p2p_tx_t);
static const popi_h5_table_t t_sum = TABLE("/summary", "one row per run", sum_fields, popi_netrun_summary_t);
#undef TABLE

static popi_err_t record(popi_netrun_keep_t *k, popi_h5_t *hp, const node_row_t *rows,
                         const popi_netrun_summary_t *sum)
{
    const popi_scenario_t *s = k->s;
    popi_h5_t h = *hp;
    memset(hp, 0, sizeof *hp);
    hp->fd = -1;
    popi_err_t rc;
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(k->p2p, &nb);
    if ((rc = popi_run_write_root_attrs(&h, s, &k->opts, "popi-sim (popi run, network)"))) goto fail;
    if ((rc = popi_h5_attr_f64(&h, "/", "duration_s", popi_time_to_s(k->t_end)))) goto fail;
    if ((rc = popi_h5_write_table(&h, &t_blocks, b, nb))) goto fail;
    if ((rc = popi_h5_write_f64(&h, "/chain/intervals", k->intervals, k->n_intervals, "s",
                                "intervals between consecutive best-chain blocks, by height"))) goto fail;
    if ((rc = popi_h5_write_table(&h, &t_nodes, rows, sum->nodes))) goto fail;
    if ((rc = popi_h5_attr_str(&h, "/nodes", "energy.categories",
                               "hash, signature, ble_scan, ble_advertise, radio_tx, radio_rx, radio_tail"))) goto fail;
    {
        size_t ntx;
        const popi_p2p_tx_t *tr = popi_p2p_txs(k->p2p, &ntx);
        if ((rc = popi_h5_write_table(&h, &t_txs, tr, ntx))) goto fail;
    }
    if ((rc = popi_h5_write_table(&h, &t_sum, sum, 1))) goto fail;
    return popi_h5_commit(&h);
fail:
    popi_h5_abort(&h);
    return rc;
}


popi_err_t popi_netrun_execute(const popi_scenario_t *s, const popi_run_opts_t *opts,
                               popi_netrun_summary_t *sum, popi_run_fail_t *fail,
                               popi_netrun_keep_t **keep)
{
    double w0 = popi_run_clock_s(CLOCK_MONOTONIC), c0 = popi_run_clock_s(CLOCK_PROCESS_CPUTIME_ID);
    memset(sum, 0, sizeof *sum);
    if (keep) *keep = NULL;
    *fail = POPI_RUN_FAIL_INPUT;
    popi_h5_t h;
    memset(&h, 0, sizeof h);
    h.fd = -1;
    popi_netrun_keep_t *k = NULL;
    node_row_t *rows = NULL;
    popi_p2p_node_row_t *pr = NULL;
    popi_err_t rc;
    if (opts->out_path && (rc = popi_h5_create(&h, opts->out_path))) {
        *fail = POPI_RUN_FAIL_OUTPUT;
        goto out;
    }
    /* build */
    if ((rc = popi_netrun_start(s, opts->run_index, opts->threads, &k))) goto out;
    k->opts = *opts;
    if (k->opts.threads < 1) k->opts.threads = 1;
    /* simulate */
    *fail = POPI_RUN_FAIL_INTERNAL;
    if (opts->progress && (rc = popi_des_schedule(&k->des, 0, progress_cb, k, 0, NULL))) goto out;
    if ((rc = popi_des_run_until(&k->des, k->t_end))) goto out;
    if (opts->progress) opts->progress(opts->progress_ctx, 1.0);
    /* stopped after chain.stop_blocks: the run ends when the last message was delivered */
    if (popi_p2p_stopped(k->p2p) && popi_p2p_last_activity(k->p2p) < k->t_end)
        k->t_end = popi_p2p_last_activity(k->p2p);
    popi_p2p_finish(k->p2p, k->t_end);
    /* analyse */
    sum->nodes = popi_p2p_n_nodes(k->p2p);
    sum->edges = popi_net_n_edges(k->net);
    sum->sim_s = popi_time_to_s(k->t_end);
    analyse(k, sum);
    pr = popi_p2p_node_rows(k->p2p, k->t_end);
    rows = popi_xcalloc(sum->nodes ? sum->nodes : 1, sizeof *rows);
    double etot = 0, btot = 0;
    for (uint32_t v = 0; v < sum->nodes; v++) {
        const popi_p2p_node_row_t *x = &pr[v];
        rows[v] = (node_row_t){x->node, x->light, x->region, x->degree, x->resource, x->bytes_in,
                               x->bytes_out, x->msgs_in, x->msgs_out, x->produced, x->produced_main,
                               x->reward, x->online_s, x->energy_j[0], x->energy_j[1], x->energy_j[2],
                               x->energy_j[3], x->energy_j[4], x->energy_j[5], x->energy_j[6],
                               x->energy_total_j, x->battery_pct_per_day};
        sum->light_nodes += x->light;
        etot += x->energy_total_j;
        btot += x->battery_pct_per_day;
    }
    sum->energy_mean_j = sum->nodes ? etot / sum->nodes : 0;
    sum->battery_pct_per_day_mean = sum->nodes ? btot / sum->nodes : 0;
    sum->wall_s = popi_run_clock_s(CLOCK_MONOTONIC) - w0;
    sum->cpu_s = popi_run_clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    sum->peak_rss_kb = popi_run_peak_rss_kb();
    /* without a caller keeping the run, the ledger goes before the payment rows are built and
     * the output written (lower peak memory) */
    if (!keep) popi_p2p_release(k->p2p);
    analyse_txs(k, sum);
    *fail = POPI_RUN_FAIL_OUTPUT;
    if (opts->out_path && (rc = record(k, &h, rows, sum))) goto out;
    *fail = POPI_RUN_FAIL_NONE;
    rc = POPI_OK;
out:
    sum->wall_s = popi_run_clock_s(CLOCK_MONOTONIC) - w0;
    sum->cpu_s = popi_run_clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    sum->peak_rss_kb = popi_run_peak_rss_kb();
    popi_h5_abort(&h);
    free(rows);
    free(pr);
    if (keep && !rc) *keep = k;
    else popi_netrun_keep_free(k);
    return rc;
}
