/* SPDX-License-Identifier: MIT */
/*
 * mempool.h - a node's pool of unconfirmed transactions on top of its chain tip, and the wallet
 * operation that pays from a key pair into it.
 *
 * Central structure: popi_mempool_t, the transactions in arrival order plus two outpoint tables:
 * the outputs pool transactions spend (→ the spender) and the outputs they create (→ their
 * record). Invariants: no two pool transactions spend the same output; every input of a pool
 * transaction is unspent at the tip or an output of an earlier pool transaction; so the pool in
 * arrival order is a valid sequence of transactions for the block after the tip (parents before
 * children), which is what popi_mempool_select relies on. Each admission is checked with the
 * block rules (popi_utxoset_check_tx at height tip + 1), so the rejection codes are the
 * validator's. Uses the store's cursor (store.h); single-threaded like the store.
 */
#ifndef POPI_MEMPOOL_H
#define POPI_MEMPOOL_H

#include "popi/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What happened to a transaction offered to the pool. */
typedef enum {
    POPI_MEMPOOL_ACCEPTED = 0,     /**< added */
    POPI_MEMPOOL_DUPLICATE = 1,    /**< the same txid is already in the pool */
    POPI_MEMPOOL_CONFIRMED = 2,    /**< already in a block of the tip's chain */
    POPI_MEMPOOL_CONFLICT = 3,     /**< spends an output a pool transaction already spends */
    POPI_MEMPOOL_DOUBLE_SPEND = 4, /**< spends an output already spent on the chain */
    POPI_MEMPOOL_INVALID = 5,      /**< breaks another rule: verdict.code says which */
    POPI_MEMPOOL_FULL = 6          /**< the pool holds max_txs transactions */
} popi_mempool_outcome_t;

/** "accepted", "duplicate", "confirmed", "conflict", "double-spend", "invalid", "full". */
const char *popi_mempool_outcome_name(popi_mempool_outcome_t o);

/** Result of offering one transaction. */
typedef struct {
    popi_mempool_outcome_t outcome;
    popi_ledger_verdict_t verdict; /**< the check's verdict (code OK unless CONFLICT..INVALID) */
    uint64_t fee;                  /**< inputs − outputs when accepted */
} popi_mempool_result_t;

/** What a tip change did to the pool. */
typedef struct {
    uint32_t n_confirmed;  /**< removed because the new chain includes them */
    uint32_t n_conflicts;  /**< removed because they (or a parent) conflict with the new chain */
    uint32_t n_taken_back; /**< transactions of abandoned blocks re-admitted */
    uint32_t n_dropped;    /**< transactions of abandoned blocks no longer valid (or coinbases
                                excluded: those are never counted) */
} popi_mempool_update_t;

typedef struct popi_mempool popi_mempool_t;

/**
 * Create an empty pool over @p store (borrowed; must outlive the pool) with room for
 * @p max_txs transactions (0: 100000). The pool has no tip until popi_mempool_set_tip.
 * Cannot fail.
 */
popi_mempool_t *popi_mempool_create(popi_store_t *store, size_t max_txs);

/** Free the pool and its transactions. Accepts NULL. */
void popi_mempool_free(popi_mempool_t *mp);

/** The tip the pool is built on (NULL before the first set_tip). */
popi_store_node_t *popi_mempool_tip(const popi_mempool_t *mp);

/**
 * Move the pool to tip @p tip (VALID). If @p tip descends from the old tip, the blocks in
 * between are connected one by one: their transactions leave the pool, and pool transactions
 * spending an output they spend are removed with all their descendants. Otherwise (a reorg) the
 * pool is rebuilt on the new tip: first the non-coinbase transactions of the abandoned blocks
 * (old tip back to the fork point, in chain order), then the old pool in arrival order, each
 * re-admitted if still valid. @p upd (may be NULL) counts what happened.
 * @return POPI_ESTATE if @p tip is not VALID (nothing changes). Time: O(transactions of the
 * blocks connected) for an extension; O(abandoned + pool transactions) checks for a reorg.
 */
popi_err_t popi_mempool_set_tip(popi_mempool_t *mp, popi_store_node_t *tip,
                                popi_mempool_update_t *upd);

/**
 * Offer a copy of @p tx (need not be sealed; the copy is). Checked against the tip's state plus
 * the pool. @p res says the outcome; POPI_OK is returned whatever it is.
 * @return POPI_ESTATE if the pool has no tip.
 */
popi_err_t popi_mempool_add(popi_mempool_t *mp, const popi_tx_t *tx, popi_mempool_result_t *res);

/** Number of transactions in the pool. */
size_t popi_mempool_count(const popi_mempool_t *mp);

/**
 * Iterate in arrival order: start with *pos = 0; returns the next transaction or NULL. The pool
 * must not change during the iteration.
 */
const popi_tx_t *popi_mempool_next(const popi_mempool_t *mp, size_t *pos);

/** True if a transaction with @p txid is in the pool. */
bool popi_mempool_contains(const popi_mempool_t *mp, const popi_hash_t *txid);

/**
 * Choose transactions for the next block: the pool in arrival order, skipping a transaction
 * that would pass @p max_txs or @p max_bytes (sum of encoded sizes) or whose pool parent was
 * skipped. *out (caller frees the array, not the transactions) receives borrowed pointers valid
 * until the pool changes; *fees the sum of their fees. O(pool).
 */
void popi_mempool_select(const popi_mempool_t *mp, size_t max_txs, size_t max_bytes,
                         const popi_tx_t ***out, size_t *n_out, uint64_t *fees);

/** Which pool transactions a selection may take (popi_mempool_select_if). */
typedef bool (*popi_mempool_keep_fn)(void *ctx, const popi_tx_t *tx);

/**
 * popi_mempool_select restricted to the transactions @p keep accepts (NULL: all): a rejected
 * transaction is skipped like one that does not fit, and so are its pool descendants. Used by
 * producers that have heard of only part of a shared pool.
 */
void popi_mempool_select_if(const popi_mempool_t *mp, size_t max_txs, size_t max_bytes,
                            popi_mempool_keep_fn keep, void *keep_ctx, const popi_tx_t ***out,
                            size_t *n_out, uint64_t *fees);

/**
 * Coins @p owner can spend in the next block: mature unspent outputs at the tip that no pool
 * transaction spends, plus outputs of pool transactions paying @p owner that no pool transaction
 * spends. @return POPI_ESTATE without a tip.
 */
popi_err_t popi_mempool_spendable(popi_mempool_t *mp, const popi_pubkey_t *owner, uint64_t *amount);

/**
 * Wallet payment: spend coins of @p from (chosen as popi_mempool_spendable lists them: confirmed
 * ones by height, txid and index, then pool outputs in arrival order, until amount + fee is
 * covered), pay @p amount to @p to and the change back to @p from, sign every input with
 * @p from, and offer the transaction to the pool. @p res gets the outcome and @p txid (may be
 * NULL) the transaction id.
 * @return POPI_EINVAL (amount 0, amount + fee overflowing or above POPI_MAX_MONEY, insufficient
 * spendable coins, more than POPI_TX_MAX_INPUTS coins needed), POPI_ESTATE (no tip). The pool is
 * unchanged on error.
 */
popi_err_t popi_mempool_pay(popi_mempool_t *mp, const popi_keypair_t *from, const popi_pubkey_t *to,
                            uint64_t amount, uint64_t fee, popi_mempool_result_t *res,
                            popi_hash_t *txid);

/** Bytes held by the pool (transactions and tables). */
size_t popi_mempool_bytes(const popi_mempool_t *mp);

#ifdef __cplusplus
}
#endif
#endif
