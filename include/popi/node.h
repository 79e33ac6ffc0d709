/* SPDX-License-Identifier: MIT */
/*
 * node.h - the nodes of a network run and their gossip: full nodes (a chain view on the shared
 * store), light nodes (best header only), block relay by INV → GETDATA → BLOCK over the
 * simulated network (net.h), validation time and energy charged per node, and the metrics of
 * every block's propagation.
 *
 * Central structure: popi_p2p_t, owning the store, the engine state, the nodes and the block
 * records, driven by the run's event queue. A node's memory is its view (chain.h: a tip pointer,
 * side set, orphans) plus counters and an energy meter; blocks live once in the store.
 *
 * Protocol (Bitcoin's, per block): a node that has validated a block announces it with an INV to
 * its first gossip.fanout neighbours (starting at a per-node rotation), except the peer it got it
 * from; a full node that hears of an unknown block asks the announcer with GETDATA (once: later
 * INVs are ignored while the request is outstanding, remembered as fallbacks when requests can
 * fail) and receives the BLOCK as a queued upload of max(encoded size, gossip.min_block_bytes) +
 * header overhead bytes; it validates it, taking n_sig × node.verify_s + hashed bytes ×
 * node.hash_s_per_byte of CPU time (serialised per node), then submits it to its view and relays.
 * A block whose parent the node does not know is held as an orphan and the parent is requested
 * from the same peer. Light nodes ask for headers (GETHEADERS → HEADERS), check the proof, follow
 * the heaviest header chain and relay nothing; with a payment workload, a light node that accepts
 * a header asks that peer for the block filtered to its wallet (GETPROOF → PROOF: header,
 * transaction count, each payment to it with its Merkle branch, BIP 37's merkleblock) and checks
 * every branch against the header's Merkle root (merkle.h). A node coming back online (churn) or meeting the
 * other side of a healed partition asks its neighbours for their tips. Messages to offline nodes
 * are lost (net.h); unanswered requests time out after gossip.request_timeout_s and go to
 * another announcer.
 * Transactions (tx.rate_per_s > 0): a random online full node with spendable coins (16 draws,
 * else the attempt is counted as skipped: coins come from mined blocks and tx.premine_coins) pays a random
 * other node (popi_mempool_pay: real Ed25519 signature); every gossip.tx_batch_s a node announces
 * the transactions it newly admitted in one INV per neighbour (36 B per entry); a neighbour asks
 * for those it has not seen (GETTX) and receives them in one queued TX message; each full node
 * admits them to its own mempool (signature checks charged in energy; a run-wide signature cache
 * spares the simulator repeated verification). Blocks pack from the producer's mempool. No
 * known-inventory suppression and no request timeouts for transactions (a lost one can still
 * arrive in a block). Per-transaction state is one byte per node: meant for tens to hundreds
 * of nodes (tx.relay = gossip).
 * Flood relay (tx.relay = flood, CBlockSim scale): no transaction messages; one run-wide pool
 * (mempool.h) of every unconfirmed payment, and payment i reaches node k at its creation time
 * plus the flood delay from its origin in realisation i mod tx.flood_realisations
 * (popi_net_flood_create: INV → GETTX → TX hops over drawn link delays, shortest paths). Wallets
 * start on a genesis premine (tx.premine_coins) and pay from one coin, their last change. A
 * producer moves the pool to its tip and packs, in creation order, only the payments that have
 * reached it (popi_chain_template_from); blocks travel and are validated like any other, so every
 * payment is validated by the ledger at admission and in each block. Payments are built at
 * creation and signed in batches on all threads just before anything reads them (a production,
 * the payer's next payment), their signatures verified once through the run-wide cache
 * (popi_sigcache_check on all threads, popi_sigcache_add in creation order): the same results
 * for any thread count. Per-node traffic,
 * verification energy and the radio's tail are summed at the end (see flood_account in node.c).
 * Needs no loss, churn, partitions or light nodes.
 */
#ifndef POPI_NODE_H
#define POPI_NODE_H

#include "popi/chain.h"
#include "popi/des.h"
#include "popi/energy.h"
#include "popi/engine.h"
#include "popi/net.h"
#include "popi/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration: the scenario keys gossip.*, node.*, tx.*, chain.* (units, defaults and
 * sources in the parameter table; scenario.h embeds these structs) ---- */

typedef struct {
    int fanout;                  /**< peers a node announces a new block to (0: no relay) */
    double inv_bytes;            /**< size of an INV, B */
    double getdata_bytes;        /**< size of a GETDATA / GETHEADERS request, B */
    double header_bytes_overhead;/**< message header on every BLOCK and HEADERS payload, B */
    double min_block_bytes;      /**< a block travels as at least this many bytes */
    double request_timeout_s;    /**< an unanswered request goes to another announcer (lossy runs) */
    double tx_batch_s;           /**< a node announces new transactions this often */
} popi_gossip_config_t;

typedef struct {
    double light_fraction;       /**< share of nodes that are light (headers + proofs) */
    double verify_s;             /**< CPU time per signature verification, s */
    double hash_s_per_byte;      /**< CPU time per byte hashed during validation, s */
} popi_node_config_t;

/** Payment relay (tx.relay). */
typedef enum { POPI_TX_RELAY_GOSSIP = 0, POPI_TX_RELAY_FLOOD = 1 } popi_tx_relay_t;

typedef struct {
    double rate_per_s;           /**< payments created per second, network-wide (0: none) */
    double amount_coins;         /**< amount of each payment */
    int64_t fee_units;           /**< fee of each payment, base units */
    int relay;                   /**< popi_tx_relay_t */
    double premine_coins;        /**< genesis pays each full node this much (0: none) */
    int flood_realisations;      /**< independent link-delay draws of the flood model */
} popi_tx_config_t;

typedef struct {
    double subsidy_coins;        /**< block subsidy at height 0 */
    int64_t halving_interval;    /**< blocks between halvings (0: never) */
    int coinbase_maturity;       /**< further blocks before a coinbase output is spendable */
    int max_block_bytes;         /**< encoded block size limit */
    int64_t stop_blocks;         /**< stop producing after this many blocks (0: never) */
} popi_chain_config_t;

/** Everything the nodes of a run are built from (popi_p2p_create copies it). */
typedef struct {
    const char *engine;          /**< consensus.engine: an engine name (engine.h), not "none" */
    popi_engine_config_t engines;/**< the engines' keys */
    popi_gossip_config_t gossip;
    popi_node_config_t node;
    popi_tx_config_t tx;
    popi_chain_config_t chain;
    popi_energy_config_t energy;
    double duration_s;           /**< simulated time (sizes the payment tables) */
    int threads;                 /**< threads for the flood delays and the payment signers
                                      (--threads, >= 1; results do not depend on it) */
} popi_p2p_config_t;

/** One produced block (row of /chain/blocks). Times in s; NaN where a share was never reached. */
typedef struct {
    uint64_t height;
    double time_s;       /**< header time (production) */
    int64_t producer;    /**< node id */
    uint32_t size;       /**< encoded bytes */
    uint32_t wire_bytes; /**< bytes of a BLOCK message carrying it */
    uint32_t n_tx;       /**< transactions including the coinbase */
    int64_t parent;      /**< row of the parent, -1 for genesis */
    uint8_t main;        /**< 1 if on the best chain at the end */
    uint8_t orphaned;    /**< 1 if not (a stale block) */
    uint32_t reached;    /**< nodes that accepted it (full: validated; light: header) */
    double t50_s, t90_s, t100_s; /**< delay until 50 / 90 / 100 % of all nodes had it */
    double mean_delay_s; /**< mean delay over the nodes that got it, producer excluded */
    double uninformed_s; /**< hash-rate-weighted mean time the miners online at production
                              went without it, each capped at pow.block_interval_s (a miner
                              never reached counts the cap): Decker & Wattenhofer's integral */
} popi_p2p_block_t;

/** One payment of the transaction workload (row of /chain/transactions). */
typedef struct {
    double t_created_s;    /**< signed and offered to its origin's mempool */
    double t_confirmed_s;  /**< time of the best-chain block holding it; NaN if none */
    double latency_s;      /**< t_confirmed_s - t_created_s; NaN if unconfirmed */
    int64_t height;        /**< height of that block, -1 if none */
    uint32_t origin;       /**< paying node */
    uint32_t payee;        /**< paid node */
    uint32_t size;         /**< encoded bytes */
    uint32_t reached;      /**< full nodes that admitted it to their mempool (flood: that it
                                reached by the end) */
    double t_proof_s;      /**< a light payee: when it first checked a Merkle proof of a block
                                holding it; NaN otherwise */
} popi_p2p_tx_t;

/** Per-node results (row of /nodes). */
typedef struct {
    uint32_t node;
    uint8_t light;
    uint32_t region;
    uint32_t degree;
    double resource;          /**< the engine's resource (hash rate, H/s) */
    uint64_t bytes_in, bytes_out;
    uint64_t msgs_in, msgs_out;
    uint32_t produced;        /**< blocks produced */
    uint32_t produced_main;   /**< of which on the best chain */
    uint64_t reward;          /**< coinbase value of its best-chain blocks, base units */
    double online_s;
    double energy_j[POPI_ENERGY__COUNT];
    double energy_total_j;
    double battery_pct_per_day;
} popi_p2p_node_row_t;

/** Run-wide counters. */
typedef struct {
    uint64_t blocks, main_blocks, stale_blocks;
    uint64_t msgs[16];         /**< by message kind (popi_p2p_msg_name) */
    uint64_t lost_at_arrival;  /**< messages reaching an offline node */
    uint64_t timeouts;
    uint64_t orphans_held;
    uint64_t reorgs;
    uint64_t validations;      /**< validator runs in the store (once per block) */
    double hashes_ground;      /**< real nonces tried by winners */
    uint64_t txs_created;      /**< payments made */
    uint64_t txs_skipped;      /**< payment attempts that found no node with spendable coins */
    uint64_t txs_confirmed;    /**< of the payments, on the best chain at the end */
    uint64_t proofs_verified;  /**< payment proofs light nodes checked and accepted */
    uint64_t proofs_failed;    /**< ... and rejected (0: the branches come from the blocks) */
    uint64_t txs_rejected;     /**< flood relay: payments the run-wide pool refused (0 unless
                                    a reorganisation dropped a parent payment) */
} popi_p2p_stats_t;

typedef struct popi_p2p popi_p2p_t;

/**
 * Build the nodes of a run: the engine named @p cfg->engine, the store with its rules
 * (chain.*), a genesis block every node holds at time 0, node kinds (node.light_fraction) and
 * energy meters (energy.*). @p cfg is copied (engine pointer included: the name must outlive
 * the call only). @p net and @p des are borrowed and must outlive the result.
 * @return POPI_EINVAL / POPI_ENOTFOUND naming the key.
 */
popi_err_t popi_p2p_create(const popi_p2p_config_t *cfg, popi_net_t *net, popi_des_t *des,
                           uint64_t seed, uint64_t run_index, popi_p2p_t **out);

/** Free everything. Accepts NULL. */
void popi_p2p_free(popi_p2p_t *p);

/** Start production (engine start) and the churn / partition events. Call once, at time 0. */
popi_err_t popi_p2p_start(popi_p2p_t *p);

/** Close the run at @p t_end: engine finish (hashing energy), radio tails, best chain marks. */
void popi_p2p_finish(popi_p2p_t *p, popi_time_t t_end);

uint32_t popi_p2p_n_nodes(const popi_p2p_t *p);
popi_store_t *popi_p2p_store(popi_p2p_t *p);
/** Best tip of @p node (full: chain view; light: best header). */
popi_store_node_t *popi_p2p_tip(popi_p2p_t *p, uint32_t node);
/** Heaviest valid block any node holds (the "best chain" of the run); O(blocks) before
 * popi_p2p_finish, O(1) after it (the finished run's value). */
popi_store_node_t *popi_p2p_best(popi_p2p_t *p);
/** True if @p node is a light node. */
bool popi_p2p_is_light(const popi_p2p_t *p, uint32_t node);
/** Time of the last message delivered or block validated (µs). */
popi_time_t popi_p2p_last_activity(const popi_p2p_t *p);
/** True once chain.stop_blocks blocks were produced (production has stopped). */
bool popi_p2p_stopped(const popi_p2p_t *p);

/** Block records in production order (valid after popi_p2p_finish for main/orphaned). */
const popi_p2p_block_t *popi_p2p_blocks(const popi_p2p_t *p, size_t *n);
/** Per-node rows (call after popi_p2p_finish; caller frees). */
popi_p2p_node_row_t *popi_p2p_node_rows(popi_p2p_t *p, popi_time_t t_end);
const popi_p2p_stats_t *popi_p2p_stats(const popi_p2p_t *p);
/** The payments in creation order (after popi_p2p_finish: the rows are built at the first call,
 * from a compact record per payment kept while the run goes). */
const popi_p2p_tx_t *popi_p2p_txs(popi_p2p_t *p, size_t *n);
/**
 * After popi_p2p_finish and popi_p2p_node_rows: free what the results do not need (the store
 * with every block, the views, mempools and pool, the payments' copies, the flood delays, the
 * signature cache), so that writing the output does not add to the run's peak memory. Afterwards only popi_p2p_blocks,
 * popi_p2p_txs, popi_p2p_stats, popi_p2p_n_nodes and popi_p2p_free may be called.
 */
void popi_p2p_release(popi_p2p_t *p);

/** The flood relay's delays (tx.relay = flood), NULL otherwise. */
const popi_net_flood_t *popi_p2p_flood(const popi_p2p_t *p);
/** Bytes held by nodes, block records and message pool (not the store). */
size_t popi_p2p_bytes(const popi_p2p_t *p);

/** Message kind names, for the summary ("inv", "getdata", "block", ...); NULL past the end. */
const char *popi_p2p_msg_name(unsigned kind);

#ifdef __cplusplus
}
#endif
#endif
