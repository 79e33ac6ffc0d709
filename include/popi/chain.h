/* SPDX-License-Identifier: MIT */
/*
 * chain.h - a node's view of the block tree: its best tip, the blocks it knows, the blocks it
 * holds as orphans, fork choice (most cumulative weight; ties go to the block seen first) and
 * reorganisations, plus block templates, proof-of-work mining and chain files for the console.
 *
 * Central structure: popi_chain_t. It is small: a tip pointer into the shared store, a set of
 * known blocks that are not ancestors of the tip (side branches), and an orphan list. A block is
 * known iff it is an ancestor of the tip (skip-pointer query, O(log depth)) or in the side set.
 * Invariants: every known block is VALID in the store; the tip has the greatest chain_weight of
 * all known blocks, and among equals the one this view knew first; orphans are blocks whose
 * parent this view does not know. Blocks and verdicts live in the store (store.h) and are
 * computed once per run; a view only points at them. Reorganisation = the store's state moves
 * through the fork point (blocks undone, blocks applied) and the attached mempool is rebuilt
 * (mempool.h). Nakamoto 2008; Bitcoin's ActivateBestChain.
 */
#ifndef POPI_CHAIN_H
#define POPI_CHAIN_H

#include "popi/mempool.h"
#include "popi/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What happened to a submitted block. */
typedef enum {
    POPI_CHAIN_TIP = 0,       /**< valid, and now the tip (extension or reorg) */
    POPI_CHAIN_SIDE = 1,      /**< valid, known, but not heavier than the tip */
    POPI_CHAIN_ORPHAN = 2,    /**< parent unknown to this view: held until it arrives */
    POPI_CHAIN_DUPLICATE = 3, /**< already known (or already held as orphan) */
    POPI_CHAIN_INVALID = 4,   /**< breaks a rule, or descends from a block that does */
    POPI_CHAIN_NOT_YET = 5    /**< time too far ahead of now: not remembered, may be resent */
} popi_chain_outcome_t;

/** "tip", "side", "orphan", "duplicate", "invalid", "not-yet". */
const char *popi_chain_outcome_name(popi_chain_outcome_t o);

/** Result of one submission (the block and any orphans it connected or condemned). */
typedef struct {
    popi_chain_outcome_t outcome;  /**< of the submitted block itself */
    popi_ledger_verdict_t verdict; /**< of the submitted block (valid, or why not) */
    uint32_t n_connected;          /**< blocks that became known (this one and orphans) */
    uint32_t n_rejected;           /**< blocks rejected as invalid (this one and orphans) */
    uint32_t n_validated;          /**< validator runs this submission caused in the store */
    uint32_t reorg_depth;          /**< blocks the tip moved back through (0: no reorg) */
    popi_store_cost_t cost;        /**< summed validation cost of the connected blocks: what
                                        this node is charged, memoised or not */
    popi_mempool_update_t mempool; /**< what tip changes did to the attached mempool */
} popi_chain_result_t;

/** A node's chain view. Caller storage: popi_chain_init / popi_chain_destroy. */
typedef struct {
    popi_store_t *store;            /**< borrowed, shared */
    popi_mempool_t *mempool;        /**< borrowed, may be NULL; kept on the tip */
    popi_store_node_t *tip;         /**< NULL before the first genesis */
    struct popi_chain_ptrset *side; /**< known blocks off the best chain */
    popi_store_node_t **orphans;    /**< in arrival order */
    size_t n_orphans, cap_orphans;
    size_t max_orphans; /**< oldest orphan dropped beyond this (default 1024) */
    uint64_t n_reorgs;
    uint64_t max_reorg_depth;
} popi_chain_t;

/**
 * Initialise an empty view over @p store (borrowed). @p mempool (borrowed, may be NULL) follows
 * the tip from now on. Cannot fail.
 */
void popi_chain_init(popi_chain_t *c, popi_store_t *store, popi_mempool_t *mempool);

/** Release the view's own memory (not the store's blocks). Accepts a zeroed or destroyed view. */
void popi_chain_destroy(popi_chain_t *c);

/**
 * Submit a stored block to this view at time @p now (µs). Order of decisions: INVALID if the
 * store already knows it (or an ancestor) is invalid; DUPLICATE if known or already an orphan
 * here; ORPHAN if its parent is not known here (an all-zero prev counts as known); otherwise it
 * is validated through the store (memoised: the validator runs once per run) and becomes TIP if
 * its chain_weight exceeds the tip's, else SIDE; INVALID and NOT_YET as the verdict says. A block
 * that becomes known connects the orphans waiting for it, recursively; a block found invalid
 * rejects them (they descend from it). The mempool follows every tip change.
 * @return POPI_OK (the outcome is in @p res, which may be NULL).
 */
popi_err_t popi_chain_submit(popi_chain_t *c, popi_store_node_t *n, popi_time_t now,
                             popi_chain_result_t *res);

/** Intern @p block in the store (taking ownership, popi_store_add) and submit it. */
popi_err_t popi_chain_submit_block(popi_chain_t *c, popi_block_t *block, popi_time_t now,
                                   popi_chain_result_t *res, popi_store_node_t **node);

/** True if this view knows @p n (ancestor of the tip or on a known side branch). */
bool popi_chain_knows(const popi_chain_t *c, const popi_store_node_t *n);

/** True if @p n is held as an orphan by this view. O(orphans). */
bool popi_chain_has_orphan(const popi_chain_t *c, const popi_store_node_t *n);

/** Tip height, or -1 without a tip. */
int64_t popi_chain_height(const popi_chain_t *c);

/** Balance of @p owner at the tip (popi_store_balance). POPI_ESTATE without a tip. */
popi_err_t popi_chain_balance(popi_chain_t *c, const popi_pubkey_t *owner,
                              popi_store_balance_t *out);

/* ---- producing blocks ---- */

/** A block under construction on a view's tip. */
typedef struct {
    popi_block_header_t hdr; /**< prev, height, time, bits, kind, producer, Merkle root set;
                                  nonce 0, no proof: set or grind them, then finish */
    popi_tx_t *tx;           /**< n_tx transactions, tx[0] the coinbase; owned */
    uint32_t n_tx;
    uint64_t fees; /**< of the packed transactions (paid to coinbase output 1) */
} popi_chain_template_t;

/**
 * Build the next block on the tip: height tip + 1 (0 and a zero prev without a tip), time
 * max(@p time, median time past + 1) µs, @p bits, the store's consensus kind, the mempool's
 * transactions chosen by popi_mempool_select within the rules' max_block_txs and max_block_bytes,
 * and a coinbase paying @p producer the subsidy (output 0) and packing_per_tx × transactions +
 * fees (output 1), plus the @p n_sharing sharing outputs given (may be NULL / 0).
 * @return POPI_EINVAL (sharing amounts out of range); @p t is zeroed on failure.
 */
popi_err_t popi_chain_template(popi_chain_t *c, const popi_pubkey_t *producer, popi_time_t time,
                               uint32_t bits, const popi_txout_t *sharing, uint32_t n_sharing,
                               popi_chain_template_t *t);

/**
 * popi_chain_template packing from @p mp (borrowed, may be NULL: no transactions) instead of the
 * view's own mempool, taking only the transactions @p keep accepts (NULL: all;
 * popi_mempool_select_if). @p mp must be on the view's tip, else nothing is packed.
 */
popi_err_t popi_chain_template_from(popi_chain_t *c, popi_mempool_t *mp, popi_mempool_keep_fn keep,
                                    void *keep_ctx, const popi_pubkey_t *producer, popi_time_t time,
                                    uint32_t bits, const popi_txout_t *sharing, uint32_t n_sharing,
                                    popi_chain_template_t *t);

/**
 * Turn @p t into a block (popi_block_create: the transactions move into it, so the template is
 * spent afterwards; destroy it anyway). *out owned by the caller. POPI_EINVAL as popi_block_create.
 */
popi_err_t popi_chain_template_finish(popi_chain_template_t *t, popi_block_t **out);

/** Free what remains of a template. Accepts a zeroed or finished template. */
void popi_chain_template_destroy(popi_chain_template_t *t);

/**
 * Mine one proof-of-work block on the tip for @p producer: template, compact target with at least
 * @p zero_bits leading zero bits (popi_target_bits_for_zero_bits), nonce grinding with
 * popi_block_grind from nonce @p nonce_start for at most @p max_tries hashes, then submit.
 * @p res (may be NULL) as popi_chain_submit; @p node (may be NULL) receives the stored block;
 * @p tries (may be NULL) the hashes computed.
 * @return POPI_EINVAL (zero_bits > 255), POPI_ENOTFOUND (no nonce within max_tries; nothing is
 * stored). Expected time: 2^zero_bits header hashes.
 */
popi_err_t popi_chain_mine_pow(popi_chain_t *c, const popi_pubkey_t *producer, popi_time_t time,
                               unsigned zero_bits, uint64_t nonce_start, uint64_t max_tries,
                               popi_chain_result_t *res, popi_store_node_t **node, uint64_t *tries);

/* ---- chain files ---- */

/**
 * Write the best chain (genesis to tip) to @p path as a chain file (chainfile.h: temporary
 * file, fsync, rename). @return POPI_ESTATE without a tip, POPI_EIO.
 */
popi_err_t popi_chain_save(const popi_chain_t *c, const char *path);

/** What popi_chain_load did. */
typedef struct {
    size_t n_blocks;                     /**< blocks in the file */
    size_t n_connected;                  /**< became known */
    size_t n_invalid;                    /**< rejected as invalid */
    size_t n_other;                      /**< blocks submitted as duplicate, orphan or not-yet */
    popi_ledger_verdict_t first_invalid; /**< verdict of the first invalid block, if any */
} popi_chain_load_t;

/**
 * Read a chain file (strict, chainfile.h) and submit its blocks in order at time @p now.
 * Invalid blocks are not an error: they are counted in @p st (may be NULL) and rejected.
 * @return POPI_EIO / POPI_EFORMAT from reading (nothing submitted then).
 */
popi_err_t popi_chain_load(popi_chain_t *c, const char *path, popi_time_t now,
                           popi_chain_load_t *st);

#ifdef __cplusplus
}
#endif
#endif
