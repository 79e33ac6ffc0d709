/* SPDX-License-Identifier: MIT */
/*
 * netrun.h - one network run as a value: overlay (net.h), nodes and gossip (node.h), a consensus
 * engine (engine.h), the event queue, and the recorder (/chain/blocks, /chain/intervals, /nodes,
 * /summary in HDF5). `popi run` takes this path when consensus.engine is not "none".
 */
#ifndef POPI_NETRUN_H
#define POPI_NETRUN_H

#include "popi/node.h"
#include "popi/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a network run produced (the one row of /summary and the CLI's table). */
typedef struct {
    uint32_t nodes, light_nodes;
    uint64_t edges;
    double sim_s;
    uint64_t blocks;         /**< produced (genesis excluded) */
    uint64_t main_blocks;    /**< on the best chain (genesis excluded) */
    uint64_t stale_blocks;   /**< produced but not on the best chain */
    double stale_rate;       /**< stale / produced */
    double mean_interval_s;  /**< mean interval between best-chain blocks */
    double median_t50_s, median_t90_s, median_t100_s; /**< medians over produced blocks */
    double mean_delay_s;     /**< mean over blocks of the mean propagation delay */
    double dw_stale_pred;    /**< Decker-Wattenhofer: 1 - exp(-mean_delay / mean interval) */
    uint64_t messages;       /**< sent (all kinds) */
    uint64_t bytes;          /**< sent */
    double energy_mean_j;    /**< per node */
    double battery_pct_per_day_mean;
    uint64_t txs_created;    /**< payments made by the workload */
    uint64_t txs_confirmed;  /**< of which on the best chain at the end */
    uint64_t txs_skipped;    /**< workload draws that found no online full node with coins */
    uint64_t txs_rejected;   /**< flood relay: payments the run-wide pool refused */
    uint64_t proofs_verified;/**< payment Merkle proofs light nodes checked and accepted */
    uint64_t proofs_failed;  /**< ... and rejected */
    double median_confirm_s; /**< median confirmation latency of the confirmed ones */
    uint64_t des_events;
    uint64_t validations;
    uint64_t reorgs;
    double wall_s, cpu_s;
    long peak_rss_kb;
} popi_netrun_summary_t;

/**
 * Execute a validated scenario with consensus.engine != none and write the output. Failures as
 * popi_run_execute (nothing left at out_path; *fail says input / output / internal).
 * @p keep (may be NULL) receives the nodes for inspection (tests); the caller frees them with
 * popi_netrun_keep_free.
 */
typedef struct popi_netrun_keep popi_netrun_keep_t;
popi_err_t popi_netrun_execute(const popi_scenario_t *s, const popi_run_opts_t *opts,
                               popi_netrun_summary_t *sum, popi_run_fail_t *fail,
                               popi_netrun_keep_t **keep);

/** The nodes of a kept run, after popi_p2p_finish. */
popi_p2p_t *popi_netrun_keep_p2p(popi_netrun_keep_t *k);
/** The main-chain intervals of a kept run (s), *n of them. */
const double *popi_netrun_keep_intervals(popi_netrun_keep_t *k, size_t *n);
void popi_netrun_keep_free(popi_netrun_keep_t *k);

/**
 * Run a validated network scenario up to @p t (s) and stop there, keeping everything, so that
 * tests can inspect the state in the middle of a run (e.g. during a partition). Continue with
 * popi_netrun_keep_advance; popi_netrun_keep_p2p gives the nodes (not finished). @p threads as
 * --threads (>= 1; results do not depend on it).
 */
popi_err_t popi_netrun_start(const popi_scenario_t *s, uint64_t run_index, int threads,
                             popi_netrun_keep_t **out);
popi_err_t popi_netrun_keep_advance(popi_netrun_keep_t *k, double t_s);

#ifdef __cplusplus
}
#endif
#endif
