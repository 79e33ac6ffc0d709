/* SPDX-License-Identifier: MIT */
/*
 * test_p2p.c - the science of a network run under proof of work, one check per test:
 * exponential block intervals (Kolmogorov-Smirnov against Exp(block interval)), no forks at zero
 * latency, the stale rate against Decker & Wattenhofer's prediction from the run's own
 * propagation, no propagation at fanout 0, a partition that forks the chain and reconciles by
 * the fork-choice rule when healed, light nodes following the best header chain without mining,
 * churn and loss (every online node converges), the energy accounts of every node, the end of a
 * stop_blocks run covering its last block, determinism of the recorded output, the HDF5 layout,
 * and the error paths of network scenarios. Statistical tests take their seed from
 * popi_test_seed and print it on failure; POPI_TEST_VERBOSE=1 prints the measured figures and
 * POPI_TEST_TIMES=1 each test's wall time.
 */
#include "popi/block.h"
#include "popi/crypto.h"
#include "popi/net.h"
#include "popi/netrun.h"
#include "popi/scenario.h"
#include "net_fixture.h"
#include "testutil.h"

#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Check writes a record on every ck_assert; loops over many items test with a plain if. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) ck_abort_msg(__VA_ARGS__);                                                    \
    } while (0)

/* Measured figures, printed when POPI_TEST_VERBOSE is set; flushed at once because a failing
 * test's child process exits without flushing stdout. */
#define VPRINT(...)                                                                                \
    do {                                                                                           \
        if (getenv("POPI_TEST_VERBOSE")) {                                                         \
            printf(__VA_ARGS__);                                                                   \
            fflush(stdout);                                                                        \
        }                                                                                          \
    } while (0)

/* ---- scenarios and runs ---- */

/* The "ideal network" of the issue: zero latency, huge bandwidth, free validation. */
#define IDEAL                                                                                      \
    "consensus.engine=pow", "net.latency=constant", "net.constant_ms=0", "net.regions=single",     \
        "net.upload_bps=1e12", "net.download_bps=1e12", "node.verify_s=0",                         \
        "node.hash_s_per_byte=0", "pow.retarget_interval=100000000", "pow.sim_zero_bits=4",        \
        "run.duration_s=1e8"

/* The same network netrun.c builds for the scenario (topology, regions, failures), so that tests
 * can ask it what the run's net knows (partition sides, who is online when). Built from the
 * same seed and run index it draws the same overlay, regions, churn and partition shuffle;
 * run_checks_mirror() verifies that against the run's node rows. */
static popi_net_t *mirror_net(const popi_scenario_t *s)
{
    popi_net_config_t c;
    popi_net_config_default(&c);
    c.n_nodes = (uint32_t)s->net.nodes;
    c.topology = (popi_net_topology_t)s->net.topology;
    c.er_mean_degree = s->net.er_mean_degree;
    c.ba_m = (uint32_t)s->net.ba_m;
    c.ws_k = (uint32_t)s->net.ws_k;
    c.ws_p = s->net.ws_p;
    if (s->net.regions == 1) {
        c.n_regions = 1;
        c.region_share[0] = 1;
        c.latency_ms[0] = s->net.region_latency_ms;
        c.upload_bps[0] = s->net.upload_bps;
        c.download_bps[0] = s->net.download_bps;
    }
    c.latency = (popi_net_latency_t)s->net.latency;
    c.lognormal_mean_ms = s->net.lognormal_mean_ms;
    c.lognormal_sigma = s->net.lognormal_sigma;
    c.constant_ms = s->net.constant_ms;
    c.loss = s->net.loss;
    c.churn_online_mean_s = s->net.churn_online_mean_s;
    c.churn_offline_mean_s = s->net.churn_offline_mean_s;
    if (s->net.partition_fraction > 0) {
        c.partitions[0] = (popi_net_partition_t){popi_time_from_s(s->net.partition_start_s),
                                                 popi_time_from_s(s->net.partition_end_s),
                                                 s->net.partition_fraction};
        c.n_partitions = 1;
    }
    popi_net_t *net = NULL;
    ck_assert_msg(popi_net_create(&c, s->seed, 0, &net) == POPI_OK, "%s", popi_err_message());
    return net;
}

static void run_checks_mirror(popi_net_t *net, const popi_p2p_node_row_t *rows, uint32_t n)
{
    ck_assert_uint_eq(popi_net_n_nodes(net), n);
    for (uint32_t v = 0; v < n; v++)
        CHECK(rows[v].degree == popi_net_degree(net, v) &&
                  rows[v].region == popi_net_region(net, v),
              "mirror net differs from the run's at node %u", v);
}

/* Row of the block stored as @p x (rows are in production order; header times are unique). */
static int64_t row_of(const popi_p2p_block_t *rows, size_t n, const popi_store_node_t *x)
{
    double t = popi_time_to_s(x->block->hdr.time);
    for (size_t i = 0; i < n; i++)
        if (rows[i].height == x->block->hdr.height && rows[i].time_s == t) return (int64_t)i;
    return -1;
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Kolmogorov's asymptotic survival function Q(lambda) = 2 sum (-1)^(j-1) exp(-2 j^2 lambda^2). */
static double kolmogorov_q(double lambda)
{
    if (lambda < 0.2) return 1.0;
    double s = 0;
    for (int j = 1; j <= 100; j++) {
        double term = exp(-2.0 * j * j * lambda * lambda);
        s += (j % 2 ? 1 : -1) * term;
        if (term < 1e-16) break;
    }
    s *= 2;
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* One-sample KS statistic of @p x (sorted in place) against Exp(mean @p mean); p-value with
 * Stephens' small-sample correction. */
static double ks_exponential(double *x, size_t n, double mean, double *p)
{
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double f = 1.0 - exp(-x[i] / mean);
        double hi = (double)(i + 1) / (double)n - f, lo = f - (double)i / (double)n;
        if (hi > d) d = hi;
        if (lo > d) d = lo;
    }
    double sn = sqrt((double)n);
    *p = kolmogorov_q((sn + 0.12 + 0.11 / sn) * d);
    return d;
}

START_TEST(test_ks_helper)
{
    /* the helper itself: exact exponential quantiles give D = 1/(2n) and p ~ 1; a wrong mean is
     * rejected; Q matches the tabulated critical values (Q(1.3581) = 0.05, Q(1.6276) = 0.01,
     * Q(1.2238) = 0.10) */
    ck_assert_double_eq_tol(kolmogorov_q(1.3581), 0.05, 1e-4);
    ck_assert_double_eq_tol(kolmogorov_q(1.6276), 0.01, 1e-4);
    ck_assert_double_eq_tol(kolmogorov_q(1.2238), 0.10, 1e-4);
    enum { N = 1000 };
    double x[N], y[N], p;
    for (int i = 0; i < N; i++) {
        x[i] = -600 * log(1 - (i + 0.5) / N);
        y[i] = x[i];
    }
    double d = ks_exponential(x, N, 600, &p);
    ck_assert_double_le(d, 0.5 / N + 1e-12);
    ck_assert_double_gt(p, 0.99);
    ks_exponential(y, N, 500, &p);
    ck_assert_double_lt(p, 0.01);
}
END_TEST

/* ---- a. exponential intervals ---- */

START_TEST(test_intervals_exponential)
{
    uint64_t seed = popi_test_seed(101);
    popi_scenario_t s;
    scen(&s, seed, IDEAL, "net.nodes=50", "pow.block_interval_s=600", "chain.stop_blocks=1500",
         NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    size_t n;
    const double *iv = popi_netrun_keep_intervals(k, &n);
    ck_assert_msg(n >= 1400, "seed %llu: %zu intervals", (unsigned long long)seed, n);
    double *x = malloc(n * sizeof *x), mean = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(iv[i] > 0, "seed %llu: interval %zu is %g s", (unsigned long long)seed, i, iv[i]);
        x[i] = iv[i];
        mean += iv[i] / (double)n;
    }
    double p, d = ks_exponential(x, n, 600, &p);
    double se = 600 / sqrt((double)n);
    VPRINT("p2p a: n %zu mean %.2f s (SE %.2f) KS D %.4f p %.3f (1%% critical %.4f)\n", n, mean, se,
           d, p, 1.63 / sqrt((double)n));
    ck_assert_msg(
        p > 0.01,
        "seed %llu: KS D = %.4f over %zu intervals, p = %.2g (critical 1.63/sqrt(n) = %.4f)",
        (unsigned long long)seed, d, n, p, 1.63 / sqrt((double)n));
    ck_assert_msg(fabs(mean - 600) <= 4 * se,
                  "seed %llu: mean interval %.2f s, expected 600 +- 4 x %.2f",
                  (unsigned long long)seed, mean, se);
    ck_assert_double_eq_tol(sum.mean_interval_s, mean, 1e-6 * mean);
    free(x);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- b. zero latency: no forks ---- */

START_TEST(test_zero_latency_no_forks)
{
    uint64_t seed = popi_test_seed(102);
    popi_scenario_t s;
    scen(&s, seed, IDEAL, "net.nodes=50", "pow.block_interval_s=600", "chain.stop_blocks=800",
         NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    ck_assert_uint_eq(sum.blocks, 800);
    ck_assert_msg(sum.stale_blocks == 0, "seed %llu: %llu stale blocks", (unsigned long long)seed,
                  (unsigned long long)sum.stale_blocks);
    ck_assert_uint_eq(popi_p2p_stats(p)->stale_blocks, 0);
    ck_assert_uint_eq(sum.main_blocks, 800);
    ck_assert_uint_eq(sum.reorgs, 0);
    ck_assert_double_eq(sum.stale_rate, 0);
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    ck_assert_uint_eq(nb, 801);
    for (size_t i = 1; i < nb; i++)
        /* "zero" latency still takes 1 µs per message (transmission times are rounded up to
         * whole µs): INV, GETDATA, BLOCK and relays take some tens of µs in all */
        CHECK(b[i].main == 1 && b[i].orphaned == 0 && b[i].reached == 50 && b[i].t100_s < 1e-3 &&
                  b[i].height == i && b[i].parent == (int64_t)i - 1,
              "seed %llu: block %zu: main %u reached %u t100 %g height %llu parent %lld",
              (unsigned long long)seed, i, b[i].main, b[i].reached, b[i].t100_s,
              (unsigned long long)b[i].height, (long long)b[i].parent);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- c. stale rate against Decker & Wattenhofer ---- */

START_TEST(test_stale_rate_decker_wattenhofer)
{
    /* 80 phones on SimBlock's regions, 535 kB blocks every 60 s: a few % stale */
    uint64_t seed = popi_test_seed(103);
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=80", "net.topology=bitcoin",
         "net.latency=regions", "gossip.min_block_bytes=535000", "pow.block_interval_s=60",
         "pow.retarget_interval=100000000", "pow.sim_zero_bits=4", "chain.stop_blocks=1500",
         "run.duration_s=1e8", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    /* the rows agree with the summary */
    uint64_t stale = 0;
    double last_t = 0, unin = 0;
    for (size_t i = 1; i < nb; i++) {
        stale += b[i].orphaned;
        if (b[i].time_s > last_t) last_t = b[i].time_s;
    }
    ck_assert_uint_eq(stale, sum.stale_blocks);
    ck_assert_uint_eq(sum.blocks, 1500);
    double N = (double)sum.blocks, obs = sum.stale_rate, pred = sum.dw_stale_pred;
    /* Decker & Wattenhofer with the rate of block discovery over the whole network (every block
     * produced, stale or not) instead of the best chain's interval: our own prediction */
    double T_prod = last_t / N;
    for (size_t i = 1; i < nb; i++) {
        double md = isnan(b[i].mean_delay_s) ? 0 : b[i].mean_delay_s;
        unin += (md * (b[i].reached - 1) + (sum.nodes - b[i].reached) * sum.mean_interval_s) /
                sum.nodes;
    }
    unin /= N;
    double pred_prod = 1 - exp(-unin / T_prod);
    double se = sqrt(pred * (1 - pred) / N);
    VPRINT("p2p c: stale %.4f (%llu of %llu), DW pred %.4f (best-chain interval %.2f s), DW with "
           "production interval %.2f s: %.4f, uninformed %.3f s, SE %.4f, z %.2f\n",
           obs, (unsigned long long)sum.stale_blocks, (unsigned long long)sum.blocks, pred,
           sum.mean_interval_s, T_prod, pred_prod, unin, se, (obs - pred) / se);
    ck_assert_msg(obs > 0.01 && obs < 0.1, "seed %llu: stale rate %.4f is not a few %%",
                  (unsigned long long)seed, obs);
    ck_assert_msg(fabs(obs - pred) <= 4 * se,
                  "seed %llu: stale rate %.4f, Decker-Wattenhofer %.4f +- 4 x %.4f (own prediction "
                  "with the production interval: %.4f)",
                  (unsigned long long)seed, obs, pred, se, pred_prod);
    ck_assert_msg(
        fabs(obs - pred_prod) <= 4 * sqrt(pred_prod * (1 - pred_prod) / N),
        "seed %llu: stale rate %.4f, Decker-Wattenhofer with the production interval %.4f",
        (unsigned long long)seed, obs, pred_prod);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_stale_prediction_under_churn)
{
    /* Decker & Wattenhofer count the time during which part of the *mining* network has not yet
     * seen a block. Under churn, offline phones neither mine nor fork the chain; a node that
     * fetches a block hours later when it comes back online must not make the prediction
     * explode. The prediction must still agree with the stale rate within 4 standard errors. */
    uint64_t seed = popi_test_seed(113);
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=60", "gossip.min_block_bytes=535000",
         "pow.block_interval_s=60", "pow.retarget_interval=100000000", "pow.sim_zero_bits=4",
         "net.churn_online_mean_s=3000", "net.churn_offline_mean_s=1000", "run.duration_s=30000",
         NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    double N = (double)sum.blocks, pred = sum.dw_stale_pred, se = sqrt(pred * (1 - pred) / N);
    VPRINT("p2p c2 (churn): %llu blocks, stale %.4f, DW pred %.4f, mean delay %.1f s, median "
           "t50 %.2f s\n",
           (unsigned long long)sum.blocks, sum.stale_rate, pred, sum.mean_delay_s,
           sum.median_t50_s);
    ck_assert_uint_gt(sum.blocks, 200);
    ck_assert_msg(
        fabs(sum.stale_rate - pred) <= 4 * se + 1.0 / N,
        "seed %llu: stale rate %.4f under churn, Decker-Wattenhofer prediction %.4f +- 4 x %.4f "
        "(mean propagation delay %.1f s, median t50 %.2f s)",
        (unsigned long long)seed, sum.stale_rate, pred, se, sum.mean_delay_s, sum.median_t50_s);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- d. fanout 0: no propagation ---- */

START_TEST(test_fanout_zero_no_propagation)
{
    popi_scenario_t s;
    scen(&s, 104, "consensus.engine=pow", "net.nodes=10", "gossip.fanout=0", "pow.sim_zero_bits=4",
         "chain.stop_blocks=40", "run.duration_s=1e8", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    ck_assert_uint_eq(nb, 41);
    for (size_t i = 1; i < nb; i++)
        CHECK(b[i].reached == 1 && isnan(b[i].t50_s) && isnan(b[i].t90_s) && isnan(b[i].t100_s) &&
                  isnan(b[i].mean_delay_s),
              "block %zu: reached %u t50 %g", i, b[i].reached, b[i].t50_s);
    ck_assert_uint_eq(sum.messages, 0);
    ck_assert(isnan(sum.median_t50_s));
    /* every miner extends its own chain: the best chain holds one miner's blocks only */
    popi_store_node_t *best = popi_p2p_best(p);
    int64_t producer = -1;
    for (popi_store_node_t *x = best; x->parent; x = x->parent) {
        int64_t r = row_of(b, nb, x);
        ck_assert_int_ge(r, 0);
        if (producer < 0) producer = b[r].producer;
        CHECK(b[r].producer == producer, "best chain mixes producers %lld and %lld",
              (long long)producer, (long long)b[r].producer);
    }
    ck_assert_uint_gt(sum.stale_blocks, 0);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- e. partition and heal ---- */

START_TEST(test_partition_forks_and_heals)
{
    uint64_t seed = popi_test_seed(105);
    const double t0 = 20000, t1 = 50000;
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=40", "pow.block_interval_s=600",
         "pow.sim_zero_bits=4", "pow.retarget_interval=100000000", "net.partition_fraction=0.5",
         "net.partition_start_s=20000", "net.partition_end_s=50000", "chain.stop_blocks=130",
         "run.duration_s=1e6", NULL);
    popi_netrun_keep_t *k = NULL;
    ck_assert_msg(popi_netrun_start(&s, 0, 1, &k) == POPI_OK, "%s", popi_err_message());
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    popi_net_t *net = mirror_net(&s);
    uint32_t n = popi_p2p_n_nodes(p);
    /* just before the partition */
    ck_assert_int_eq(popi_netrun_keep_advance(k, t0 - 1), POPI_OK);
    popi_store_node_t *before = popi_p2p_best(p);
    /* just before the heal: the heaviest tip of each side */
    ck_assert_int_eq(popi_netrun_keep_advance(k, t1 - 1), POPI_OK);
    ck_assert_msg(!popi_p2p_stopped(p), "seed %llu: production ended before the heal",
                  (unsigned long long)seed);
    popi_store_node_t *tip[2] = {NULL, NULL};
    uint32_t count[2] = {0, 0};
    for (uint32_t v = 0; v < n; v++) {
        int side = popi_net_partition_side(net, 0, v);
        popi_store_node_t *t = popi_p2p_tip(p, v);
        count[side]++;
        if (!tip[side] || t->chain_weight > tip[side]->chain_weight) tip[side] = t;
    }
    ck_assert_uint_eq(count[0], 20);
    ck_assert_uint_eq(count[1], 20);
    ck_assert_ptr_ne(tip[0], tip[1]);
    popi_store_node_t *fork = popi_store_fork_point(tip[0], tip[1]);
    ck_assert_ptr_nonnull(fork);
    ck_assert_msg(tip[0]->depth > fork->depth && tip[1]->depth > fork->depth,
                  "seed %llu: a side did not grow: depths %llu and %llu, fork at %llu",
                  (unsigned long long)seed, (unsigned long long)tip[0]->depth,
                  (unsigned long long)tip[1]->depth, (unsigned long long)fork->depth);
    ck_assert(popi_store_is_ancestor(before, fork) || before == fork);
    ck_assert_double_lt(popi_time_to_s(fork->block->hdr.time), t0);
    /* nothing crossed the partition: no node holds a tip on the other side's branch */
    popi_store_node_t *first[2];
    for (int q = 0; q < 2; q++)
        first[q] = popi_store_ancestor(tip[q], fork->depth + 1);
    for (uint32_t v = 0; v < n; v++) {
        int side = popi_net_partition_side(net, 0, v);
        CHECK(!popi_store_is_ancestor(first[1 - side], popi_p2p_tip(p, v)),
              "seed %llu: node %u on side %d follows the other side's branch",
              (unsigned long long)seed, v, side);
    }
    VPRINT("p2p e: fork at height %llu, sides at %llu and %llu before the heal\n",
           (unsigned long long)fork->depth, (unsigned long long)tip[0]->depth,
           (unsigned long long)tip[1]->depth);
    /* heal, more blocks, and the rest of the run */
    ck_assert_int_eq(popi_netrun_keep_advance(k, s.duration_s), POPI_OK);
    ck_assert(popi_p2p_stopped(p));
    popi_time_t t_end = popi_p2p_last_activity(p);
    popi_p2p_finish(p, t_end);
    popi_store_node_t *best = popi_p2p_best(p);
    ck_assert_msg(best->depth >=
                      (tip[0]->depth > tip[1]->depth ? tip[0]->depth : tip[1]->depth) + 5,
                  "seed %llu: too few blocks after the heal", (unsigned long long)seed);
    for (uint32_t v = 0; v < n; v++)
        CHECK(popi_p2p_tip(p, v) == best,
              "seed %llu: node %u (side %d) ends at height %llu, best %llu",
              (unsigned long long)seed, v, popi_net_partition_side(net, 0, v),
              (unsigned long long)popi_p2p_tip(p, v)->depth, (unsigned long long)best->depth);
    /* the fork-choice rule: the heavier branch won, the lighter one's blocks are stale */
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    ck_assert_uint_eq(nb, 131);
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, t_end);
    run_checks_mirror(net, rows, n);
    free(rows);
    if (tip[0]->chain_weight != tip[1]->chain_weight) {
        int heavy = tip[1]->chain_weight > tip[0]->chain_weight;
        ck_assert(popi_store_is_ancestor(tip[heavy], best) || tip[heavy] == best);
        for (popi_store_node_t *x = tip[1 - heavy]; x != fork; x = x->parent) {
            int64_t r = row_of(b, nb, x);
            ck_assert_int_ge(r, 0);
            CHECK(b[r].orphaned == 1 && b[r].main == 0,
                  "seed %llu: lighter-branch block at height %llu "
                  "not marked orphaned",
                  (unsigned long long)seed, (unsigned long long)x->depth);
        }
        for (popi_store_node_t *x = tip[heavy]; x != fork; x = x->parent) {
            int64_t r = row_of(b, nb, x);
            ck_assert_int_ge(r, 0);
            CHECK(b[r].main == 1 && b[r].orphaned == 0,
                  "heavier-branch block at height %llu not main", (unsigned long long)x->depth);
        }
        ck_assert_uint_ge(popi_p2p_stats(p)->stale_blocks, tip[1 - heavy]->depth - fork->depth);
    }
    ck_assert_uint_gt(popi_p2p_stats(p)->reorgs, 0);
    popi_net_free(net);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- f. light nodes ---- */

START_TEST(test_light_nodes_follow_best_headers)
{
    uint64_t seed = popi_test_seed(106);
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=40", "node.light_fraction=0.3",
         "pow.sim_zero_bits=4", "gossip.min_block_bytes=100000", "chain.stop_blocks=60",
         "run.duration_s=1e8", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    uint32_t n = popi_p2p_n_nodes(p);
    popi_store_node_t *best = popi_p2p_best(p);
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, popi_time_from_s(sum.sim_s));
    double in_light = 0, in_full = 0;
    uint32_t n_light = 0;
    for (uint32_t v = 0; v < n; v++) {
        CHECK(popi_p2p_tip(p, v) == best, "seed %llu: node %u (%s) ends at height %llu, best %llu",
              (unsigned long long)seed, v, popi_p2p_is_light(p, v) ? "light" : "full",
              (unsigned long long)popi_p2p_tip(p, v)->depth, (unsigned long long)best->depth);
        ck_assert_uint_eq(rows[v].light, popi_p2p_is_light(p, v));
        if (rows[v].light) {
            n_light++;
            in_light += (double)rows[v].bytes_in;
            CHECK(rows[v].produced == 0 && rows[v].produced_main == 0 && rows[v].reward == 0,
                  "light node %u produced %u blocks", v, rows[v].produced);
        } else {
            in_full += (double)rows[v].bytes_in;
        }
    }
    ck_assert_uint_eq(n_light, sum.light_nodes);
    ck_assert_msg(n_light >= 5 && n_light <= 20, "seed %llu: %u light nodes",
                  (unsigned long long)seed, n_light);
    in_light /= n_light;
    in_full /= n - n_light;
    VPRINT("p2p f: %u light nodes, bytes in: light %.0f, full %.0f per node (ratio %.4f)\n",
           n_light, in_light, in_full, in_light / in_full);
    /* headers (about 200 B with the message header) and INVs instead of 100 kB blocks */
    ck_assert_msg(in_light < 0.02 * in_full, "light nodes received %.0f B, full nodes %.0f B",
                  in_light, in_full);
    ck_assert_msg(in_light > 0, "light nodes received nothing");
    /* every main-chain block reached every node, light ones by header */
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    for (size_t i = 1; i < nb; i++)
        if (b[i].main)
            CHECK(b[i].reached == n, "main block %zu reached %u of %u", i, b[i].reached, n);
    free(rows);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_light_nodes_hold_no_hash_rate)
{
    /* Light nodes do not mine (node.light_fraction: "no mining"), so they must hold no hash rate:
     * no resource in /nodes, no mining energy, and the full nodes alone must find a block every
     * pow.block_interval_s (the difficulty is set from the total hash rate of the miners). */
    uint64_t seed = popi_test_seed(107);
    popi_scenario_t s;
    scen(&s, seed, IDEAL, "net.nodes=50", "node.light_fraction=0.3", "pow.block_interval_s=600",
         "chain.stop_blocks=400", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    uint32_t n = popi_p2p_n_nodes(p);
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, popi_time_from_s(sum.sim_s));
    uint32_t bad_resource = 0, bad_energy = 0;
    for (uint32_t v = 0; v < n; v++) {
        if (!rows[v].light) continue;
        bad_resource += rows[v].resource != 0;
        /* at most one header hash per block */
        bad_energy +=
            rows[v].energy_j[POPI_ENERGY_HASH] > (double)(sum.blocks + 1) * s.energy.hash_j;
    }
    size_t ni;
    popi_netrun_keep_intervals(k, &ni);
    double se = 600 / sqrt((double)ni);
    VPRINT("p2p f2: %u light nodes; %u with a hash rate, %u charged mining energy; mean "
           "interval %.1f s "
           "(expected 600 +- %.1f)\n",
           sum.light_nodes, bad_resource, bad_energy, sum.mean_interval_s, se);
    ck_assert_msg(bad_resource == 0,
                  "seed %llu: %u of %u light nodes hold a hash rate (e.g. %g H/s)",
                  (unsigned long long)seed, bad_resource, sum.light_nodes, s.pow.hash_rate_hs);
    ck_assert_msg(bad_energy == 0, "seed %llu: %u of %u light nodes are charged mining energy",
                  (unsigned long long)seed, bad_energy, sum.light_nodes);
    ck_assert_msg(
        fabs(sum.mean_interval_s - 600) <= 4 * se,
        "seed %llu: mean interval %.1f s with %u light nodes of %u, expected 600 +- 4 x %.1f",
        (unsigned long long)seed, sum.mean_interval_s, sum.light_nodes, n, se);
    free(rows);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- g. churn and loss ---- */

START_TEST(test_churn_and_loss_converge)
{
    uint64_t seed = popi_test_seed(108);
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=40", "pow.sim_zero_bits=4", "net.loss=0.05",
         "net.churn_online_mean_s=3000", "net.churn_offline_mean_s=600", "chain.stop_blocks=60",
         "run.duration_s=100000", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    uint32_t n = popi_p2p_n_nodes(p);
    const popi_p2p_stats_t *st = popi_p2p_stats(p);
    ck_assert_uint_eq(sum.blocks, 60);
    ck_assert_msg(st->timeouts > 0, "seed %llu: no request timed out with 5 %% loss",
                  (unsigned long long)seed);
    popi_time_t t_end = popi_time_from_s(sum.sim_s);
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    double last_block = 0;
    for (size_t i = 1; i < nb; i++)
        last_block = fmax(last_block, b[i].time_s);
    ck_assert_double_gt(sum.sim_s, last_block);
    popi_net_t *net = mirror_net(&s);
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, t_end);
    run_checks_mirror(net, rows, n);
    /* the mirror has the run's churn schedule too: the same online time for every node */
    for (uint32_t v = 0; v < n; v++) {
        double on = 0;
        for (popi_time_t t = 0, nx; t < t_end; t = nx) {
            nx = popi_net_next_churn(net, v, t);
            if (nx > t_end) nx = t_end;
            if (popi_net_online(net, v, t)) on += popi_time_to_s(nx - t);
        }
        CHECK(fabs(on - rows[v].online_s) <= 1e-6,
              "node %u: online %.6f s in the run, %.6f s in the mirror", v, rows[v].online_s, on);
    }
    popi_store_node_t *best = popi_p2p_best(p);
    uint32_t online = 0, behind = 0, churned = 0;
    for (uint32_t v = 0; v < n; v++) {
        churned += rows[v].online_s < sum.sim_s;
        if (!popi_net_online(net, v, t_end)) continue;
        online++;
        if (popi_p2p_tip(p, v) != best) {
            behind++;
            fprintf(stderr, "seed %llu: online node %u at height %llu, best %llu\n",
                    (unsigned long long)seed, v, (unsigned long long)popi_p2p_tip(p, v)->depth,
                    (unsigned long long)best->depth);
        }
    }
    VPRINT("p2p g: end %.0f s (last block %.0f s), %u of %u online at the end, %u behind; %llu "
           "timeouts, "
           "%llu lost at arrival, %u nodes churned, %llu stale\n",
           sum.sim_s, last_block, online, n, behind, (unsigned long long)st->timeouts,
           (unsigned long long)st->lost_at_arrival, churned, (unsigned long long)sum.stale_blocks);
    ck_assert_uint_gt(churned, n / 2);
    ck_assert_uint_gt(online, n / 2);
    ck_assert_msg(behind == 0,
                  "seed %llu: %u of %u online full nodes are not on the best tip at the end",
                  (unsigned long long)seed, behind, online);
    free(rows);
    popi_net_free(net);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_loss_alone_converges)
{
    /* the smallest case of g: 5 % loss, no churn. Every full node must end on the best tip once
     * production has stopped and the last message was delivered. */
    uint64_t seed = popi_test_seed(108);
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=40", "pow.sim_zero_bits=4", "net.loss=0.05",
         "chain.stop_blocks=60", "run.duration_s=1e8", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    popi_store_node_t *best = popi_p2p_best(p);
    uint32_t behind = 0, n = popi_p2p_n_nodes(p);
    for (uint32_t v = 0; v < n; v++)
        if (popi_p2p_tip(p, v) != best) {
            behind++;
            fprintf(stderr, "seed %llu: node %u ends at height %llu, best %llu\n",
                    (unsigned long long)seed, v, (unsigned long long)popi_p2p_tip(p, v)->depth,
                    (unsigned long long)best->depth);
        }
    ck_assert_uint_gt(popi_p2p_stats(p)->timeouts, 0);
    ck_assert_msg(behind == 0,
                  "seed %llu: %u of %u nodes are not on the best tip at the end (5 %% loss, "
                  "no churn)",
                  (unsigned long long)seed, behind, n);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- h. energy ---- */

START_TEST(test_energy_accounts)
{
    popi_scenario_t s;
    scen(&s, 109, "consensus.engine=pow", "net.nodes=30", "net.regions=single",
         "pow.sim_zero_bits=4", "pow.hash_rate_sigma=0", "chain.stop_blocks=40",
         "run.duration_s=1e8", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    uint32_t n = popi_p2p_n_nodes(p);
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, popi_time_from_s(sum.sim_s));
    const double bps = fmin(s.net.upload_bps, s.net.download_bps), hj = s.energy.hash_j;
    const double w_rx = s.energy.lte_base_w + s.energy.lte_down_w_per_mbps * bps / 1e6;
    const double w_tx = s.energy.lte_base_w + s.energy.lte_up_w_per_mbps * bps / 1e6;
    /* validation: a full node validates every block it receives once, hashing hash_bytes / 80
     * headers' worth and checking n_sig_checks signatures (the producer validates nothing) */
    size_t nb;
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    double *val_h = calloc(n, sizeof *val_h), *val_s = calloc(n, sizeof *val_s);
    bool all_reached = true;
    for (size_t i = 1; i < nb; i++)
        all_reached &= b[i].reached == n;
    {
        /* every produced block: walk the store's tree from genesis */
        popi_store_node_t *g = popi_p2p_best(p);
        while (g->parent)
            g = g->parent;
        popi_store_node_t **stack = malloc((nb + 1) * sizeof *stack);
        size_t top = 0, seen = 0;
        stack[top++] = g;
        while (top) {
            popi_store_node_t *x = stack[--top];
            for (popi_store_node_t *c = x->child; c; c = c->sibling)
                stack[top++] = c;
            if (!x->parent) continue;
            seen++;
            int64_t r = row_of(b, nb, x);
            ck_assert_int_ge(r, 0);
            popi_store_cost_t c;
            popi_store_cost(x, &c);
            for (uint32_t v = 0; v < n; v++)
                if ((int64_t)v != b[r].producer) {
                    val_h[v] += (double)c.hash_bytes / 80.0 * hj;
                    val_s[v] += c.n_sig_checks * s.energy.verify_j;
                }
        }
        ck_assert_uint_eq(seen, nb - 1);
        free(stack);
    }
    double etot = 0;
    for (uint32_t v = 0; v < n; v++) {
        const popi_p2p_node_row_t *r = &rows[v];
        const double *e = r->energy_j;
        CHECK(r->resource == s.pow.hash_rate_hs, "node %u: hash rate %.17g", v, r->resource);
        CHECK(r->online_s == sum.sim_s, "node %u online %g s of %g", v, r->online_s, sum.sim_s);
        /* mining all the time online, plus validation hashing; exact when every block reached
         * every node, else bounded by it */
        double mining = r->resource * r->online_s * hj;
        if (all_reached) {
            CHECK(fabs(e[POPI_ENERGY_HASH] - (mining + val_h[v])) <= 1e-9 * mining,
                  "node %u: hash energy %.12g J, mining %.12g J + validation %.6g J", v,
                  e[POPI_ENERGY_HASH], mining, val_h[v]);
            CHECK(fabs(e[POPI_ENERGY_SIGNATURE] - val_s[v]) <= 1e-9 * val_s[v] + 1e-15,
                  "node %u: signature energy %.12g J, expected %.12g J", v,
                  e[POPI_ENERGY_SIGNATURE], val_s[v]);
        } else {
            CHECK(e[POPI_ENERGY_HASH] >= mining * (1 - 1e-12) &&
                      e[POPI_ENERGY_HASH] - mining <= 1e-9 * mining + val_h[v],
                  "node %u: hash energy %.10g J, mining %.10g J", v, e[POPI_ENERGY_HASH], mining);
            CHECK(e[POPI_ENERGY_SIGNATURE] <= val_s[v] * (1 + 1e-9), "node %u: signatures", v);
        }
        /* radio, exact: every byte in (out) is charged at the one bandwidth of the region */
        CHECK(r->bytes_in > 0 && r->bytes_out > 0, "node %u moved no bytes", v);
        double rx = w_rx * 8.0 * (double)r->bytes_in / bps,
               tx = w_tx * 8.0 * (double)r->bytes_out / bps;
        CHECK(fabs(e[POPI_ENERGY_RADIO_RX] - rx) <= 1e-9 * rx + 1e-12,
              "node %u: rx %.10g J, expected %.10g J", v, e[POPI_ENERGY_RADIO_RX], rx);
        CHECK(fabs(e[POPI_ENERGY_RADIO_TX] - tx) <= 1e-9 * tx + 1e-12,
              "node %u: tx %.10g J, expected %.10g J", v, e[POPI_ENERGY_RADIO_TX], tx);
        /* LTE tail after transfers: positive, and never more than tail power over the run */
        CHECK(e[POPI_ENERGY_RADIO_TAIL] > 0 &&
                  e[POPI_ENERGY_RADIO_TAIL] <= s.energy.lte_tail_w * sum.sim_s * (1 + 1e-12),
              "node %u: tail %g J over %g s", v, e[POPI_ENERGY_RADIO_TAIL], sum.sim_s);
        CHECK(e[POPI_ENERGY_BLE_SCAN] == 0 && e[POPI_ENERGY_BLE_ADV] == 0, "node %u: BLE energy",
              v);
        double tot = 0;
        for (int c = 0; c < POPI_ENERGY__COUNT; c++) {
            CHECK(e[c] >= 0 && isfinite(e[c]), "node %u category %d: %g", v, c, e[c]);
            tot += e[c];
        }
        CHECK(fabs(r->energy_total_j - tot) <= 1e-12 * tot, "node %u: total %.17g, sum %.17g", v,
              r->energy_total_j, tot);
        double pct = 100.0 * tot / s.energy.battery_j / (sum.sim_s / 86400.0);
        CHECK(fabs(r->battery_pct_per_day - pct) <= 1e-12 * pct,
              "node %u: %.17g %%/day, expected %.17g", v, r->battery_pct_per_day, pct);
        etot += tot;
    }
    ck_assert_double_eq_tol(sum.energy_mean_j, etot / n, 1e-9 * etot / n);
    /* FACTS.md: mining energy per block = total mining power x block interval */
    double per_block = 0;
    for (uint32_t v = 0; v < n; v++)
        per_block += rows[v].resource * hj;
    VPRINT("p2p h: %.0f s, mean %.1f J per node (%.2f %%/day), mining %.1f W network-wide\n",
           sum.sim_s, etot / n, sum.battery_pct_per_day_mean, per_block);
    ck_assert(all_reached); /* the exact branch above was the one taken */
    free(val_h);
    free(val_s);
    free(rows);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- the run's end covers production ---- */

/* With chain.stop_blocks the run ends "when the last message is delivered". A run in which no
 * message is ever delivered (one node; fanout 0) still lasted until its last block: the
 * simulated time must cover every block, and the miners must be charged for mining it. */
static void check_end_covers_blocks(const char *a, const char *b)
{
    popi_scenario_t s;
    scen(&s, 110, "consensus.engine=pow", "pow.sim_zero_bits=4", "chain.stop_blocks=10",
         "run.duration_s=1e8", a, b, NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    ck_assert_uint_eq(sum.blocks, 10);
    size_t nb;
    const popi_p2p_block_t *bl = popi_p2p_blocks(p, &nb);
    double last = 0;
    for (size_t i = 1; i < nb; i++)
        last = fmax(last, bl[i].time_s);
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, popi_time_from_s(sum.sim_s));
    double mining = rows[0].resource * last * s.energy.hash_j;
    VPRINT("p2p end (%s, %s): sim_s %g s, last block at %g s, node 0 hash energy %g J (mining "
           "until the "
           "last block alone: %g J), %.3g %%/day\n",
           a, b, sum.sim_s, last, rows[0].energy_j[POPI_ENERGY_HASH], mining,
           rows[0].battery_pct_per_day);
    double e = rows[0].energy_j[POPI_ENERGY_HASH];
    free(rows);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
    ck_assert_msg(sum.sim_s >= last, "%s, %s: the run ends at %g s, before its last block at %g s",
                  a, b, sum.sim_s, last);
    ck_assert_msg(e >= mining * (1 - 1e-12),
                  "%s, %s: node 0 charged %g J of hashing, mining until the last "
                  "block takes %g J",
                  a, b, e, mining);
}

START_TEST(test_run_end_covers_production_single_node)
{
    check_end_covers_blocks("net.nodes=1", "gossip.fanout=1000000");
}
END_TEST

START_TEST(test_run_end_covers_production_fanout_zero)
{
    check_end_covers_blocks("net.nodes=10", "gossip.fanout=0");
}
END_TEST

/* ---- i. determinism; j. HDF5 layout ---- */

/* A whole dataset in its native memory type (caller frees); *n elements, *size bytes each. */
static void *read_ds(const char *file, const char *path, size_t *n, size_t *size)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s: no %s", file, path);
    hid_t ft = H5Dget_type(d), mt = H5Tget_native_type(ft, H5T_DIR_ASCEND), sp = H5Dget_space(d);
    *n = (size_t)H5Sget_simple_extent_npoints(sp);
    *size = H5Tget_size(mt);
    void *buf = calloc(*n ? *n : 1, *size);
    ck_assert_int_ge(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
    H5Sclose(sp);
    H5Tclose(mt);
    H5Tclose(ft);
    H5Dclose(d);
    H5Fclose(f);
    return buf;
}

#define DET_SCENARIO                                                                               \
    "consensus.engine=pow", "net.nodes=30", "node.light_fraction=0.2", "net.loss=0.02",            \
        "pow.hash_rate_sigma=0.5", "pow.sim_zero_bits=4", "pow.block_interval_s=30",               \
        "gossip.min_block_bytes=200000", "chain.stop_blocks=40", "run.duration_s=1e8"

START_TEST(test_determinism)
{
    char *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char out[3][512];
    uint64_t seeds[3] = {7, 7, 8};
    popi_netrun_keep_t *k[3];
    popi_netrun_summary_t sum[3];
    popi_scenario_t s[3];
    for (int r = 0; r < 3; r++) {
        snprintf(out[r], sizeof out[r], "%s/run%d.h5", dir, r);
        scen(&s[r], seeds[r], DET_SCENARIO, NULL);
        k[r] = run_keep(&s[r], out[r], &sum[r]);
    }
    /* in memory: block and node rows (calloc'd, padding zero), byte for byte */
    size_t nb[3];
    const popi_p2p_block_t *b[3];
    popi_p2p_node_row_t *nr[3];
    for (int r = 0; r < 3; r++) {
        popi_p2p_t *p = popi_netrun_keep_p2p(k[r]);
        b[r] = popi_p2p_blocks(p, &nb[r]);
        nr[r] = popi_p2p_node_rows(p, popi_time_from_s(sum[r].sim_s));
    }
    ck_assert_uint_eq(nb[0], nb[1]);
    ck_assert_int_eq(memcmp(b[0], b[1], nb[0] * sizeof *b[0]), 0);
    ck_assert_int_eq(memcmp(nr[0], nr[1], 30 * sizeof *nr[0]), 0);
    ck_assert_int_eq(memcmp(&popi_p2p_stats(popi_netrun_keep_p2p(k[0]))->msgs,
                            &popi_p2p_stats(popi_netrun_keep_p2p(k[1]))->msgs, sizeof(uint64_t[8])),
                     0);
    ck_assert(nb[0] != nb[2] || memcmp(b[0], b[2], nb[0] * sizeof *b[0]) != 0);
    /* on disk: every dataset byte for byte, and another seed differs */
    const char *ds[4] = {"/chain/blocks", "/chain/intervals", "/nodes", "/summary"};
    for (int d = 0; d < 4; d++) {
        size_t n0, n1, n2, z0, z1, z2;
        void *a = read_ds(out[0], ds[d], &n0, &z0), *c = read_ds(out[1], ds[d], &n1, &z1),
             *e = read_ds(out[2], ds[d], &n2, &z2);
        ck_assert_uint_eq(n0, n1);
        ck_assert_uint_eq(z0, z1);
        ck_assert_msg(memcmp(a, c, n0 * z0) == 0, "%s differs between two runs with the same seed",
                      ds[d]);
        ck_assert_msg(n0 != n2 || memcmp(a, e, n0 * z0) != 0, "%s is the same with another seed",
                      ds[d]);
        free(a);
        free(c);
        free(e);
    }
    for (int r = 0; r < 3; r++) {
        free(nr[r]);
        popi_netrun_keep_free(k[r]);
        popi_scenario_destroy(&s[r]);
    }
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

/* A string attribute of an object. */
static void attr_str(hid_t f, const char *obj, const char *name, char *out, size_t cap)
{
    ck_assert_msg(H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0, "%s has no attribute %s", obj,
                  name);
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    size_t sz = H5Tget_size(t);
    ck_assert_uint_lt(sz, cap);
    memset(out, 0, cap);
    ck_assert_int_ge(H5Aread(a, t, out), 0);
    H5Tclose(t);
    H5Aclose(a);
}

static void expect_fields(hid_t f, const char *path, const char *const *names,
                          const char *const *units, size_t n, hssize_t rows)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    ck_assert_int_eq(H5Tget_class(t), H5T_COMPOUND);
    ck_assert_int_eq(H5Tget_nmembers(t), (int)n);
    if (rows >= 0) ck_assert_int_eq(H5Sget_simple_extent_npoints(sp), rows);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(H5Tget_member_index(t, names[i]) >= 0, "%s has no field %s", path, names[i]);
        char an[128], v[256];
        snprintf(an, sizeof an, "%s.unit", names[i]);
        attr_str(f, path, an, v, sizeof v);
        ck_assert_msg(strcmp(v, units[i]) == 0, "%s %s: unit '%s', expected '%s'", path, names[i],
                      v, units[i]);
        snprintf(an, sizeof an, "%s.description", names[i]);
        attr_str(f, path, an, v, sizeof v);
        ck_assert_uint_gt(strlen(v), 0);
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
}

START_TEST(test_hdf5_layout)
{
    char *dir = popi_test_tmpdir();
    char out[512];
    snprintf(out, sizeof out, "%s/net.h5", dir);
    popi_scenario_t s;
    scen(&s, 111, "consensus.engine=pow", "net.nodes=20", "node.light_fraction=0.2",
         "pow.sim_zero_bits=4", "chain.stop_blocks=15", "run.duration_s=1e8", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, out, &sum);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    const char *paths[5] = {"/chain", "/chain/blocks", "/chain/intervals", "/nodes", "/summary"};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(H5Lexists(f, paths[i], H5P_DEFAULT) > 0, "no %s", paths[i]);
    static const char *const bf[] = {"height", "time_s", "producer", "size",        "wire_bytes",
                                     "n_tx",   "parent", "main",     "orphaned",    "reached",
                                     "t50_s",  "t90_s",  "t100_s",   "mean_delay_s", "uninformed_s"};
    static const char *const bu[] = {"1", "s", "1", "B", "B", "1", "1",
                                     "1", "1", "1", "s", "s", "s", "s", "s"};
    expect_fields(f, "/chain/blocks", bf, bu, 15, (hssize_t)sum.blocks + 1);
    static const char *const nf[] = {"node",           "light",
                                     "region",         "degree",
                                     "resource",       "bytes_in",
                                     "bytes_out",      "msgs_in",
                                     "msgs_out",       "produced",
                                     "produced_main",  "reward",
                                     "online_s",       "e_hash",
                                     "e_signature",    "e_ble_scan",
                                     "e_ble_adv",      "e_radio_tx",
                                     "e_radio_rx",     "e_radio_tail",
                                     "energy_total_j", "battery_pct_per_day"};
    static const char *const nu[] = {"1", "1", "1", "1",         "H/s", "B",    "B", "1",
                                     "1", "1", "1", "base unit", "s",   "J",    "J", "J",
                                     "J", "J", "J", "J",         "J",   "%/day"};
    expect_fields(f, "/nodes", nf, nu, 22, 20);
    static const char *const sf[] = {"nodes",        "light_nodes",   "edges",
                                     "sim_s",        "blocks",        "main_blocks",
                                     "stale_blocks", "stale_rate",    "mean_interval_s",
                                     "median_t50_s", "median_t90_s",  "median_t100_s",
                                     "mean_delay_s", "dw_stale_pred", "messages",
                                     "bytes",        "energy_mean_j", "battery_pct_per_day_mean",
                                     "txs_created",  "txs_confirmed", "txs_skipped", "txs_rejected", "proofs_verified", "proofs_failed", "median_confirm_s",
                                     "des_events",   "validations",   "reorgs"};
    static const char *const su[] = {"1", "1", "1", "s", "1", "1", "1",     "1", "s", "s", "s", "s",
                                     "s", "1", "1", "B", "J", "%/day", "1", "1", "1", "1", "1", "1", "s", "1", "1", "1"};
    expect_fields(f, "/summary", sf, su, 28, 1);
    char v[4096];
    attr_str(f, "/chain/intervals", "unit", v, sizeof v);
    ck_assert_str_eq(v, "s");
    attr_str(f, "/nodes", "energy.categories", v, sizeof v);
    ck_assert_ptr_nonnull(strstr(v, "radio_tail"));
    attr_str(f, "/", "generator", v, sizeof v);
    ck_assert_ptr_nonnull(strstr(v, "network"));
    ck_assert(H5Aexists_by_name(f, "/", "seed", H5P_DEFAULT) > 0);
    ck_assert(H5Aexists_by_name(f, "/", "scenario", H5P_DEFAULT) > 0);
    H5Fclose(f);
    /* contents: the summary row is the summary returned; the intervals are the kept ones */
    size_t n, z;
    {
        hid_t ff = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = H5Dopen2(ff, "/summary", H5P_DEFAULT);
        hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(double) * 3);
        H5Tinsert(mt, "stale_rate", 0, H5T_NATIVE_DOUBLE);
        H5Tinsert(mt, "dw_stale_pred", sizeof(double), H5T_NATIVE_DOUBLE);
        H5Tinsert(mt, "sim_s", 2 * sizeof(double), H5T_NATIVE_DOUBLE);
        double got[3];
        ck_assert_int_ge(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, got), 0);
        ck_assert(got[0] == sum.stale_rate && got[2] == sum.sim_s);
        ck_assert(got[1] == sum.dw_stale_pred || (isnan(got[1]) && isnan(sum.dw_stale_pred)));
        H5Tclose(mt);
        H5Dclose(d);
        H5Fclose(ff);
    }
    double *iv = read_ds(out, "/chain/intervals", &n, &z);
    size_t ni;
    const double *kiv = popi_netrun_keep_intervals(k, &ni);
    ck_assert_uint_eq(n, ni);
    ck_assert_uint_eq(z, sizeof(double));
    ck_assert_uint_eq(n, sum.main_blocks);
    ck_assert_int_eq(memcmp(iv, kiv, n * sizeof *iv), 0);
    free(iv);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

/* ---- error paths ---- */

START_TEST(test_single_node_bitcoin_topology)
{
    /* one node on the bitcoin topology: no edge to open, a valid run with every block main */
    popi_scenario_t s;
    scen(&s, 112, "consensus.engine=pow", "net.nodes=1", "net.topology=bitcoin",
         "pow.sim_zero_bits=4", "chain.stop_blocks=10", "run.duration_s=1e8", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    ck_assert_uint_eq(sum.nodes, 1);
    ck_assert_uint_eq(sum.edges, 0);
    ck_assert_uint_eq(sum.blocks, 10);
    ck_assert_uint_eq(sum.main_blocks, 10);
    ck_assert_uint_eq(sum.stale_blocks, 0);
    ck_assert_uint_eq(sum.messages, 0);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_scenario_errors)
{
    popi_scenario_t s;
    /* a partition needs start < end */
    const char *bad[2][2] = {{"net.partition_start_s=100", "net.partition_end_s=100"},
                             {"net.partition_start_s=300", "net.partition_end_s=100"}};
    for (int i = 0; i < 2; i++) {
        popi_scenario_defaults(&s);
        ck_assert_int_eq(popi_scenario_set(&s, "consensus.engine=pow"), POPI_OK);
        ck_assert_int_eq(popi_scenario_set(&s, "net.partition_fraction=0.5"), POPI_OK);
        ck_assert_int_eq(popi_scenario_set(&s, bad[i][0]), POPI_OK);
        ck_assert_int_eq(popi_scenario_set(&s, bad[i][1]), POPI_OK);
        ck_assert_int_eq(popi_scenario_validate(&s), POPI_EINVAL);
        ck_assert_msg(strstr(popi_err_message(), "net.partition_start_s"), "%s",
                      popi_err_message());
        popi_scenario_destroy(&s);
    }
    /* no partition: the window is not looked at */
    popi_scenario_defaults(&s);
    ck_assert_int_eq(popi_scenario_set(&s, "net.partition_start_s=300"), POPI_OK);
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);
    /* a fraction of 1 is out of range */
    popi_scenario_defaults(&s);
    ck_assert_int_eq(popi_scenario_set(&s, "net.partition_fraction=1"), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "net.partition_fraction"));
    popi_scenario_destroy(&s);
    /* an unknown engine */
    popi_scenario_defaults(&s);
    ck_assert_int_eq(popi_scenario_set(&s, "consensus.engine=pos"), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "consensus.engine"));
    popi_scenario_destroy(&s);
    /* a network run without an engine is an input error naming consensus.engine */
    scen(&s, 1, "net.nodes=5", NULL);
    run_input_error(&s, "consensus.engine", NULL);
    popi_scenario_destroy(&s);
    /* a topology the node count cannot carry is an input error naming the key */
    scen(&s, 1, "consensus.engine=pow", "net.nodes=3", "net.topology=watts_strogatz", "net.ws_k=2",
         NULL);
    run_input_error(&s, "ws_k", NULL);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- transactions: created, gossiped to every full node, packed, confirmed ---- */

/* Light payees ask for their payments' Merkle branches and check them against the headers. */
START_TEST(test_light_payment_proofs)
{
    uint64_t seed = popi_test_seed(43);
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=40", "node.light_fraction=0.3",
         "pow.block_interval_s=30", "pow.retarget_interval=100000000", "pow.sim_zero_bits=4",
         "tx.rate_per_s=0.5", "tx.premine_coins=5", "run.duration_s=3000", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    size_t ntx;
    const popi_p2p_tx_t *tr = popi_p2p_txs(p, &ntx);
    ck_assert_msg(ntx > 1000, "seed %llu: %zu payments", (unsigned long long)seed, ntx);
    /* funded wallets: no draw finds a payer without coins */
    ck_assert_uint_eq(sum.txs_skipped, 0);
    size_t to_light = 0, proven = 0;
    for (size_t i = 0; i < ntx; i++) {
        bool light = popi_p2p_is_light(p, tr[i].payee);
        ck_assert_uint_ne(tr[i].payee, tr[i].origin);
        ck_assert(!popi_p2p_is_light(p, tr[i].origin));
        if (!light) {
            ck_assert_msg(isnan(tr[i].t_proof_s), "payment %zu to full node %u has a proof time", i, tr[i].payee);
            continue;
        }
        if (!isnan(tr[i].t_proof_s)) {
            proven++;
            /* proven after it was made, and a best-chain payment no earlier than its block */
            ck_assert(tr[i].t_proof_s > tr[i].t_created_s);
            if (!isnan(tr[i].t_confirmed_s)) ck_assert(tr[i].t_proof_s >= tr[i].t_confirmed_s);
        }
        /* confirmed well before the end: its payee holds a proof */
        if (!isnan(tr[i].t_confirmed_s) && tr[i].t_confirmed_s < sum.sim_s - 60) {
            to_light++;
            ck_assert_msg(!isnan(tr[i].t_proof_s), "seed %llu: payment %zu to light node %u confirmed "
                          "at %.1f s has no proof", (unsigned long long)seed, i, tr[i].payee, tr[i].t_confirmed_s);
        }
    }
    ck_assert_msg(to_light > 100, "seed %llu: only %zu payments to light nodes", (unsigned long long)seed, to_light);
    ck_assert_uint_ge(sum.proofs_verified, proven);
    ck_assert_uint_eq(sum.proofs_failed, 0);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- flood relay (tx.relay = flood) ---- */

#define FLOOD_SCENARIO                                                                             \
    "consensus.engine=pow", "net.nodes=60", "pow.block_interval_s=20",                             \
        "pow.retarget_interval=100000000", "pow.sim_zero_bits=4", "tx.rate_per_s=4",               \
        "tx.relay=flood", "tx.premine_coins=10", "run.duration_s=2000"

/* Payments flood from funded wallets, producers pack exactly what has reached them, and every
 * payment a producer could pack (arrived there, its parent confirmed before) is packed. */
START_TEST(test_flood_payments)
{
    uint64_t seed = popi_test_seed(41);
    popi_scenario_t s;
    scen(&s, seed, FLOOD_SCENARIO, NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    const popi_net_flood_t *fl = popi_p2p_flood(p);
    ck_assert_ptr_nonnull(fl);
    uint32_t n = popi_p2p_n_nodes(p);
    ck_assert_uint_eq(fl->n, n);
    size_t ntx, nb;
    const popi_p2p_tx_t *tr = popi_p2p_txs(p, &ntx);
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    /* Poisson count of payments within 4 SE: funded wallets never skip a draw */
    double expect = 4 * 2000.0;
    ck_assert_msg(fabs((double)ntx - expect) < 4 * sqrt(expect), "seed %llu: %zu payments",
                  (unsigned long long)seed, ntx);
    ck_assert_uint_eq(sum.txs_skipped, 0);
    ck_assert_uint_eq(sum.txs_rejected, 0);
    /* the main chain by height */
    int64_t *main_at = malloc((nb + 1) * sizeof *main_at);
    for (size_t h = 0; h <= nb; h++) main_at[h] = -1;
    uint64_t packed = 0, top = 0;
    for (size_t i = 1; i < nb; i++)
        if (b[i].main) {
            main_at[b[i].height] = (int64_t)i;
            packed += b[i].n_tx - 1;
            if (b[i].height > top) top = b[i].height;
        }
    ck_assert_uint_eq(packed, sum.txs_confirmed);
    ck_assert_msg(top > 50, "seed %llu: %llu blocks", (unsigned long long)seed, (unsigned long long)top);
    /* the previous payment of the same payer (its coin), -1 for the premine */
    int64_t *parent = malloc(ntx * sizeof *parent), *last = malloc(n * sizeof *last);
    for (uint32_t v = 0; v < n; v++) last[v] = -1;
    for (size_t i = 0; i < ntx; i++) {
        parent[i] = last[tr[i].origin];
        last[tr[i].origin] = (int64_t)i;
    }
    size_t checked = 0;
    for (size_t i = 0; i < ntx; i++) {
        size_t r = i % fl->n_real;
        const float *d = &fl->delay_s[(r * n + tr[i].origin) * n];
        popi_time_t t0 = popi_time_from_s(tr[i].t_created_s);
        if (!isnan(tr[i].t_confirmed_s)) { /* packed only where it had arrived */
            const popi_p2p_block_t *bb = &b[main_at[tr[i].height]];
            ck_assert_msg(popi_time_from_s(bb->time_s) + 1 >= t0 + popi_time_from_s(d[bb->producer]),
                          "seed %llu: payment %zu packed by node %lld at %.6f s before it arrived "
                          "(created %.6f s, delay %.6f s)", (unsigned long long)seed, i,
                          (long long)bb->producer, bb->time_s, tr[i].t_created_s, (double)d[bb->producer]);
        }
        /* never left behind: the first main block whose producer had it (1 s margin) with its
         * parent confirmed below holds it, or an earlier one does */
        for (uint64_t h = 1; h <= top; h++) {
            const popi_p2p_block_t *bb = &b[main_at[h]];
            if (bb->time_s < tr[i].t_created_s + d[bb->producer] + 1.0) continue;
            if (parent[i] >= 0 && !(tr[parent[i]].height >= 1 && (uint64_t)tr[parent[i]].height < h)) continue;
            ck_assert_msg(tr[i].height >= 1 && (uint64_t)tr[i].height <= h,
                          "seed %llu: payment %zu could go into block %llu but is at height %lld",
                          (unsigned long long)seed, i, (unsigned long long)h, (long long)tr[i].height);
            checked++;
            break;
        }
        /* reached: every node (connected overlay) once the flood is over */
        if (tr[i].t_created_s < sum.sim_s - 60) ck_assert_uint_eq(tr[i].reached, n);
    }
    ck_assert_msg(checked > ntx / 2, "seed %llu: only %zu payments checked", (unsigned long long)seed, checked);
    ck_assert_msg(sum.median_confirm_s > 1 && sum.median_confirm_s < 3 * 20.0,
                  "seed %llu: median confirmation %.1f s", (unsigned long long)seed, sum.median_confirm_s);
    /* energy: one signature per payment, one verification per payment at every other node it reached */
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, popi_time_from_s(sum.sim_s));
    double esig = 0, reached = 0;
    for (uint32_t v = 0; v < n; v++) esig += rows[v].energy_j[POPI_ENERGY_SIGNATURE];
    for (size_t i = 0; i < ntx; i++) reached += tr[i].reached - 1;
    ck_assert_msg(esig >= (double)ntx * s.energy.sign_j + reached * s.energy.verify_j - 1e-9,
                  "seed %llu: signature energy %g J", (unsigned long long)seed, esig);
    free(rows);
    free(main_at);
    free(parent);
    free(last);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* The flood relay signs and verifies on all threads: datasets identical with 1 and 2 threads. */
START_TEST(test_flood_threads_identical)
{
    char *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char out[2][512];
    popi_scenario_t s;
    scen(&s, 5, FLOOD_SCENARIO, "run.duration_s=600", NULL);
    for (int r = 0; r < 2; r++) {
        snprintf(out[r], sizeof out[r], "%s/t%d.h5", dir, r + 1);
        popi_run_opts_t o = {out[r], r + 1, 0, NULL, NULL};
        popi_run_fail_t fail;
        popi_netrun_summary_t sum;
        ck_assert_int_eq(popi_netrun_execute(&s, &o, &sum, &fail, NULL), POPI_OK);
        ck_assert_uint_gt(sum.txs_confirmed, 1000);
    }
    const char *ds[5] = {"/chain/blocks", "/chain/intervals", "/chain/transactions", "/nodes", "/summary"};
    for (int d = 0; d < 5; d++) {
        size_t n0, n1, z0, z1;
        void *a = read_ds(out[0], ds[d], &n0, &z0), *c = read_ds(out[1], ds[d], &n1, &z1);
        ck_assert_uint_eq(n0, n1);
        ck_assert_uint_eq(z0, z1);
        ck_assert_msg(memcmp(a, c, n0 * z0) == 0, "%s differs between 1 and 2 threads", ds[d]);
        free(a);
        free(c);
    }
    popi_scenario_destroy(&s);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

/* Flood runs refuse what the model does not cover, naming tx.relay. */
START_TEST(test_flood_errors)
{
    const char *bad[4][2] = {{"tx.premine_coins=0", "premine"},
                             {"node.light_fraction=0.1", "light_fraction"},
                             {"net.loss=0.01", "net.loss"},
                             {"net.churn_online_mean_s=100", "churn"}};
    for (int i = 0; i < 4; i++) {
        popi_scenario_t s;
        scen(&s, 1, FLOOD_SCENARIO, bad[i][0], NULL);
        run_input_error(&s, "tx.relay", bad[i][1]);
        popi_scenario_destroy(&s);
    }
}
END_TEST

START_TEST(test_transactions_confirmed)
{
    uint64_t seed = popi_test_seed(31);
    popi_scenario_t s;
    scen(&s, seed, "consensus.engine=pow", "net.nodes=30", "node.light_fraction=0.2",
         "pow.block_interval_s=30", "pow.retarget_interval=100000000", "pow.sim_zero_bits=4",
         "tx.rate_per_s=0.5", "run.duration_s=3000", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    size_t ntx, nb;
    const popi_p2p_tx_t *tr = popi_p2p_txs(p, &ntx);
    const popi_p2p_block_t *b = popi_p2p_blocks(p, &nb);
    uint32_t full = 0;
    for (uint32_t v = 0; v < popi_p2p_n_nodes(p); v++) full += !popi_p2p_is_light(p, v);
    ck_assert_msg(ntx > 500, "seed %llu: only %zu payments", (unsigned long long)seed, ntx);
    ck_assert_uint_eq(sum.txs_created, ntx);
    /* packed transactions: the best chain's blocks hold exactly the confirmed ones */
    uint64_t packed = 0;
    double last_block = 0;
    for (size_t i = 1; i < nb; i++)
        if (b[i].main) {
            packed += b[i].n_tx - 1;
            if (b[i].time_s > last_block) last_block = b[i].time_s;
        }
    ck_assert_uint_eq(packed, sum.txs_confirmed);
    size_t old = 0, old_confirmed = 0;
    for (size_t i = 0; i < ntx; i++) {
        if (!isnan(tr[i].t_confirmed_s)) {
            ck_assert(tr[i].latency_s > 0);
            ck_assert(tr[i].height >= 1);
            ck_assert_double_eq_tol(tr[i].latency_s, tr[i].t_confirmed_s - tr[i].t_created_s, 1e-9);
        }
        /* a payment made well before the last block (5 block intervals) is confirmed */
        if (tr[i].t_created_s < last_block - 150) {
            old++;
            old_confirmed += !isnan(tr[i].t_confirmed_s);
        }
        /* one that waited long for its block was gossiped into every full node's mempool (a node
         * that sees the block first does not admit it: it is confirmed there already) */
        if (tr[i].latency_s > 60)
            ck_assert_msg(tr[i].reached == full, "seed %llu: payment %zu (latency %.1f s) reached %u of %u full nodes",
                          (unsigned long long)seed, i, tr[i].latency_s, tr[i].reached, full);
        ck_assert_uint_ge(tr[i].reached, 1);
    }
    ck_assert_msg(old > 400 && old_confirmed == old, "seed %llu: %zu of %zu older payments confirmed",
                  (unsigned long long)seed, old_confirmed, old);
    /* latency: at least the wait for the next block; its median well below a few intervals */
    ck_assert_msg(sum.median_confirm_s > 1 && sum.median_confirm_s < 150,
                  "seed %llu: median confirmation %.1f s", (unsigned long long)seed,
                  sum.median_confirm_s);
    /* the payers signed: signature energy at least sign_j per payment made */
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, popi_time_from_s(sum.sim_s));
    double esig = 0;
    for (uint32_t v = 0; v < popi_p2p_n_nodes(p); v++) esig += rows[v].energy_j[POPI_ENERGY_SIGNATURE];
    ck_assert(esig >= (double)ntx * s.energy.sign_j + (double)ntx * (full - 1) * s.energy.verify_j * 0.9);
    free(rows);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("p2p");
    TCase *tc = tcase_create("science");
    tcase_add_checked_fixture(tc, time_setup, time_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ks_helper);
    tcase_add_test(tc, test_intervals_exponential);
    tcase_add_test(tc, test_zero_latency_no_forks);
    tcase_add_test(tc, test_stale_rate_decker_wattenhofer);
    tcase_add_test(tc, test_stale_prediction_under_churn);
    tcase_add_test(tc, test_fanout_zero_no_propagation);
    tcase_add_test(tc, test_partition_forks_and_heals);
    tcase_add_test(tc, test_light_nodes_follow_best_headers);
    tcase_add_test(tc, test_light_nodes_hold_no_hash_rate);
    tcase_add_test(tc, test_churn_and_loss_converge);
    tcase_add_test(tc, test_loss_alone_converges);
    tcase_add_test(tc, test_energy_accounts);
    tcase_add_test(tc, test_run_end_covers_production_single_node);
    tcase_add_test(tc, test_run_end_covers_production_fanout_zero);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_hdf5_layout);
    tcase_add_test(tc, test_transactions_confirmed);
    tcase_add_test(tc, test_light_payment_proofs);
    tcase_add_test(tc, test_flood_payments);
    tcase_add_test(tc, test_flood_threads_identical);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, time_setup, time_teardown);
    tcase_set_timeout(te, 60);
    tcase_add_test(te, test_single_node_bitcoin_topology);
    tcase_add_test(te, test_scenario_errors);
    tcase_add_test(te, test_flood_errors);
    suite_add_tcase(s, te);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
