/* SPDX-License-Identifier: MIT */
/*
 * store.h - the shared block store of a run: every block once, interned by hash, with its place
 * in the block tree, cumulative weight, memoised verdict and memoised validation cost, plus the
 * UTXO state "at any block" for chain views, mempools and wallets.
 *
 * Central structure: popi_store_node_t, one per block, never moved. Invariants: parent is the
 * node whose hash is block->hdr.prev (NULL for a zero prev or while that block is missing);
 * depth = parent->depth + 1; chain_weight = parent->chain_weight + weight; a VALID node's parent
 * is VALID; INVALID_PARENT spreads to every descendant. State is not stored per block, not even
 * as a delta: one materialised UTXO set sits at a "cursor" block and moves through the fork point
 * by replaying blocks (Bitcoin's DisconnectTip/ConnectTip): applying a block spends its inputs
 * and adds its outputs, transaction by transaction; undoing it reverses that, taking the records
 * of the outputs it spent back from the (immutable) blocks that created them through the txid
 * index. Following the best tip costs one block replay per block; ancestor queries use Bitcoin's
 * skip pointers, O(log depth).
 * Single-threaded: one store belongs to one run (one thread).
 */
#ifndef POPI_STORE_H
#define POPI_STORE_H

#include "popi/ledger.h"
#include "popi/utxoset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Validation status of a stored block. */
typedef enum {
    POPI_STORE_UNCHECKED = 0,     /**< not validated yet */
    POPI_STORE_VALID = 1,         /**< valid: the cursor may pass it */
    POPI_STORE_INVALID = 2,       /**< breaks a rule itself (the verdict says which) */
    POPI_STORE_INVALID_PARENT = 3 /**< an ancestor is invalid; never validated itself */
} popi_store_status_t;

/** "unchecked", "valid", "invalid", "invalid-parent". */
const char *popi_store_status_name(popi_store_status_t s);

/**
 * Weight a block adds to its chain (fork choice compares cumulative weight). Must be >= 0 and
 * depend only on the block.
 */
typedef double (*popi_store_weight_fn)(void *ctx, const popi_block_t *block);

/**
 * Sharing reward (base units) a block may pay in coinbase outputs 2.., given its parent (NULL
 * for genesis). The PoPI engine decides it from the volunteer sample; NULL in the config = 0.
 */
typedef uint64_t (*popi_store_sharing_fn)(void *ctx, const popi_block_t *block,
                                          const popi_block_t *parent);

/**
 * Default weight: the expected work of the block's target (popi_target_work of its bits, as
 * Bitcoin's chain work), or 1 when the bits do not decode (engines without a target, e.g. a
 * PoPI chain with bits 0, then choose the longest chain).
 */
double popi_store_weight_work(void *ctx, const popi_block_t *block);

/** What a store is built from. popi_store_config_default fills it. */
typedef struct {
    popi_ledger_rules_t rules;   /**< chain rules (the engine's proof check inside) */
    popi_store_weight_fn weight; /**< NULL: popi_store_weight_work */
    void *weight_ctx;
    popi_store_sharing_fn sharing; /**< NULL: no sharing reward allowed */
    void *sharing_ctx;
} popi_store_config_t;

/** Default rules for @p kind (popi_ledger_rules_default), work weight, no sharing. */
void popi_store_config_default(popi_store_config_t *cfg, popi_consensus_kind_t kind);

/** One stored block. Read-only outside store.c. */
typedef struct popi_store_node {
    const popi_block_t *block;       /**< owned by the store, immutable */
    struct popi_store_node *parent;  /**< see the invariants above */
    struct popi_store_node *skip;    /**< an ancestor for O(log n) ancestor queries */
    struct popi_store_node *child;   /**< first child (most recently linked) */
    struct popi_store_node *sibling; /**< next child of the same parent */
    uint64_t depth;                  /**< ancestors linked above (genesis: 0) */
    uint64_t seq;                    /**< interning order, 0, 1, 2, ... ("first seen") */
    double weight;                   /**< this block's weight */
    double chain_weight;             /**< weight of the chain ending here */
    bool rooted;                     /**< ancestry reaches a block with an all-zero prev */
    popi_store_status_t status;
    /* the memoised verdict (popi_store_verdict rebuilds a popi_ledger_verdict_t) */
    popi_verr_t code; /**< INVALID_PARENT: the code of the invalid ancestor */
    int32_t tx_index; /**< as in popi_ledger_verdict_t */
    int32_t input_index;
    uint32_t n_sig_checks;     /**< Ed25519 verifications the validation needed */
    uint32_t n_validations;    /**< times the validator ran on this block (1 once checked) */
    char *message;             /**< verdict message when invalid (NULL otherwise) */
    /* validation cost memoised at interning (popi_store_cost) */
    uint32_t cost_inputs, cost_outputs; /**< inputs and outputs of all transactions */
    uint64_t cost_hash_bytes;           /**< as popi_store_cost_t.hash_bytes */
} popi_store_node_t;

typedef struct popi_store popi_store_t;

/**
 * Create an empty store. @p cfg is copied; cfg->rules.check_proof must be set.
 * @return POPI_EINVAL (check_proof NULL); *out is NULL on failure.
 */
popi_err_t popi_store_create(const popi_store_config_t *cfg, popi_store_t **out);

/** Free the store, every block and node. Accepts NULL. */
void popi_store_free(popi_store_t *s);

/** The chain rules (as given at creation). */
const popi_ledger_rules_t *popi_store_rules(const popi_store_t *s);

/**
 * Intern @p block, taking ownership of it in every case. If a block with the same hash is
 * stored, @p block is freed and the existing node returned (*added = false); otherwise a node
 * is made (status UNCHECKED, or INVALID_PARENT when its parent is known invalid), linked to its
 * parent if stored, and stored blocks waiting for this one as parent are linked below it.
 * @p added may be NULL. Cannot fail. O(1) plus O(number of blocks whose parent is not stored)
 * plus the size of a subtree that gets linked.
 */
popi_store_node_t *popi_store_add(popi_store_t *s, popi_block_t *block, bool *added);

/**
 * Decode a block (popi_block_decode, strict) and intern it.
 * @return POPI_EFORMAT (with the decoder's byte offset); *out is NULL on failure.
 */
popi_err_t popi_store_add_encoded(popi_store_t *s, const void *buf, size_t len,
                                  popi_store_node_t **out, bool *added);

/** The node of the block with hash @p hash, or NULL. O(1). */
popi_store_node_t *popi_store_find(const popi_store_t *s, const popi_hash_t *hash);

/** Number of stored blocks. */
size_t popi_store_count(const popi_store_t *s);

/**
 * Validate @p n once and memoise the verdict (later calls return it without running the
 * validator). Unchecked ancestors are validated first, oldest first. The context is the block's
 * parent, the times of up to 11 ancestors, @p now (µs, the validating node's clock), the
 * sharing allowance of the config and the UTXO state at the parent (the cursor moves there).
 * A verdict TIME_TOO_NEW is returned but not memoised (the block may become valid as the clock
 * advances); every other verdict is permanent. An INVALID verdict marks every stored descendant
 * INVALID_PARENT.
 * @p v (may be NULL) receives the verdict. n->status says the outcome (UNCHECKED only after
 * TIME_TOO_NEW). @return POPI_ESTATE if @p n is not rooted (an ancestor is missing from the
 * store); nothing changes then.
 */
popi_err_t popi_store_validate(popi_store_t *s, popi_store_node_t *n, popi_time_t now,
                               popi_ledger_verdict_t *v);

/** Rebuild the memoised verdict of @p n (code OK and "valid" for VALID; UNCHECKED gives OK). */
void popi_store_verdict(const popi_store_node_t *n, popi_ledger_verdict_t *v);

/** Modelled cost of validating one block, so that every node that validates it can be charged. */
typedef struct {
    uint32_t n_sig_checks; /**< Ed25519 verifications (0 for blocks not yet validated) */
    uint32_t n_inputs;     /**< UTXO lookups */
    uint32_t n_outputs;    /**< outputs created */
    uint32_t bytes;        /**< encoded block size */
    uint64_t hash_bytes;   /**< bytes fed to SHA-256 (header, txids, sighashes, Merkle nodes; a
                                SHA-256d of L bytes counts L + 32) */
} popi_store_cost_t;

/** The cost of validating @p n (from its memoised verdict and sums memoised when the block was
 *  interned). O(1). */
void popi_store_cost(const popi_store_node_t *n, popi_store_cost_t *c);

/* ---- the block tree ---- */

/** The ancestor of @p n at @p depth (n itself if depth == n->depth), NULL if depth > n->depth. */
popi_store_node_t *popi_store_ancestor(popi_store_node_t *n, uint64_t depth);

/** True if @p a is @p n or an ancestor of @p n (NULL @p a: false). O(log depth). */
bool popi_store_is_ancestor(const popi_store_node_t *a, const popi_store_node_t *n);

/** The deepest common ancestor of @p a and @p b; NULL if none (different roots) or one is NULL. */
popi_store_node_t *popi_store_fork_point(popi_store_node_t *a, popi_store_node_t *b);

/* ---- state at a block ---- */

/**
 * Position the materialised state at @p n (NULL: the empty state before any genesis) and fill
 * @p view with a UTXO view of it: UNSPENT (with the record), SPENT (created by a transaction of
 * a block on n's chain, up to n, and spent since) or UNKNOWN. The view is valid until the next
 * call that moves the cursor (view_at, validate, balance, utxos_of, and the mempool and chain
 * functions built on them). @return POPI_ESTATE if @p n is not VALID. O(inputs + outputs of the
 * blocks between the old and new position), plus one txid-index query (O(log depth)) per input
 * of each block undone.
 */
popi_err_t popi_store_view_at(popi_store_t *s, popi_store_node_t *n, popi_utxo_view_t *view);

/** Coins of one owner at one block. */
typedef struct {
    uint64_t total;     /**< unspent outputs owned, base units */
    uint64_t spendable; /**< of which spendable in the next block (mature coinbase outputs) */
    uint64_t n_outputs; /**< number of unspent outputs owned */
} popi_store_balance_t;

/**
 * Balance of @p owner at @p n (moves the cursor). O(1) after the move plus
 * O(coinbase_maturity) for the immature part. @return POPI_ESTATE if @p n is not VALID.
 */
popi_err_t popi_store_balance(popi_store_t *s, popi_store_node_t *n, const popi_pubkey_t *owner,
                              popi_store_balance_t *out);

/**
 * The unspent outputs of @p owner at @p n (moves the cursor), sorted by (height, txid, index),
 * into a new array *out of *n_out entries (caller frees; NULL when empty). O(UTXO set size).
 * @return POPI_ESTATE if @p n is not VALID.
 */
popi_err_t popi_store_utxos_of(popi_store_t *s, popi_store_node_t *n, const popi_pubkey_t *owner,
                               popi_utxo_entry_t **out, size_t *n_out);

/**
 * Find a transaction by id in a block on the chain ending at @p tip (tip NULL: in any stored
 * block, the most recently stored first). Returns true and sets *block and *tx_index (either may
 * be NULL). O(occurrences × log depth).
 */
bool popi_store_find_tx(const popi_store_t *s, const popi_hash_t *txid,
                        const popi_store_node_t *tip, popi_store_node_t **block,
                        uint32_t *tx_index);

/* ---- accounting ---- */

/** Counters and memory of a store. Bytes are the sizes requested from malloc (no allocator
 *  overhead), counted by construction. */
typedef struct {
    size_t n_blocks, n_tx, n_inputs, n_outputs;
    size_t n_validations;  /**< validator runs (each block at most once, TIME_TOO_NEW aside) */
    size_t n_cursor_moves; /**< blocks applied or undone by the materialised state */
    size_t n_utxos;        /**< outputs in the materialised state */
    size_t bytes_blocks;   /**< popi_block_t, proofs, transaction structs, inputs, outputs */
    size_t bytes_nodes;    /**< popi_store_node_t and verdict messages */
    size_t bytes_index;    /**< hash → node table, txid index, orphan list */
    size_t bytes_state;    /**< materialised UTXO set and owner balances */
    size_t bytes_total;
} popi_store_stats_t;

/** Fill @p st. O(blocks). */
void popi_store_stats(const popi_store_t *s, popi_store_stats_t *st);

#ifdef __cplusplus
}
#endif
#endif
