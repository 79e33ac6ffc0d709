/* SPDX-License-Identifier: MIT */
/*
 * ledger.h - the Mcoin ledger rules: block validation against a parent and a UTXO view, the
 * reward schedule and the per-block state delta. Includes the whole ledger data model
 * (crypto.h, tx.h, merkle.h, block.h), so engines and nodes include this one header.
 *
 * Validation runs in three stages that a block store can run at different times:
 *   popi_ledger_check_block  - context-free: sizes, coinbase layout, amounts, txids, Merkle root;
 *   popi_ledger_check_header - against the parent: link, height, time, proof (engine callback);
 *   popi_ledger_check_inputs - against the parent's UTXO view: existence, double spends,
 *                              maturity, signatures, value, coinbase amounts;
 * popi_ledger_validate_block runs all three. Each failure is one distinct popi_verr_t with a
 * message naming block height, tx and input, returned in a popi_ledger_verdict_t (a value the
 * block store can memoise). The UTXO view is an interface (function table + static inline
 * wrapper, as Redis' connection types), so a per-block delta store can implement it.
 */
#ifndef POPI_LEDGER_H
#define POPI_LEDGER_H

#include "popi/block.h"
#include "popi/common.h"
#include "popi/crypto.h"
#include "popi/merkle.h"
#include "popi/tx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- validation errors: one row per error (X-macro: name, description) ---- */
#define POPI_VERR_TABLE(X)                                                                         \
    X(OK, "valid")                                                                                 \
    X(SIZE, "encoded block larger than the rule's max_block_bytes")                                \
    X(TOO_MANY_TX, "more transactions than the rule's max_block_txs")                              \
    X(NO_COINBASE, "the first transaction is missing or is not a coinbase")                        \
    X(EXTRA_COINBASE, "a coinbase transaction after the first position")                           \
    X(TX_NO_OUTPUTS, "a transaction without outputs")                                              \
    X(TX_AMOUNT_RANGE, "an output amount or a transaction's output sum above POPI_MAX_MONEY")      \
    X(TX_LOCKED, "a transaction whose lock_height is above the block height")                      \
    X(DUP_TXID, "two transactions with the same txid (CVE-2012-2459)")                             \
    X(MERKLE, "header Merkle root differs from the root of the transactions")                      \
    X(CB_HEIGHT, "coinbase lock_height differs from the block height")                             \
    X(CB_OUTPUTS, "coinbase with fewer than 2 outputs (block reward, packing reward)")             \
    X(CB_PAYEE, "coinbase output 0 or 1 does not pay the block producer")                          \
    X(KIND, "consensus kind differs from the chain's")                                             \
    X(PREV, "previous-hash does not link to the parent")                                           \
    X(HEIGHT, "height is not the parent's height + 1 (or 0 for genesis)")                          \
    X(TIME_TOO_OLD, "time not later than the median of the last 11 ancestors")                     \
    X(TIME_TOO_NEW, "time more than max_future ahead of now")                                      \
    X(PROOF, "the consensus engine rejected the header hash or proof")                             \
    X(DOUBLE_SPEND, "an output spent twice within the block")                                      \
    X(INPUT_SPENT, "an input spends an output already spent by an ancestor")                       \
    X(INPUT_MISSING, "an input spends an output that does not exist")                              \
    X(IMMATURE, "an input spends a coinbase output before it matured")                             \
    X(SIG, "an input's signature does not verify under the spent output's owner")                  \
    X(INPUT_RANGE, "a transaction's input sum overflows POPI_MAX_MONEY")                           \
    X(VALUE, "a transaction's outputs exceed its inputs")                                          \
    X(CB_SUBSIDY, "coinbase output 0 exceeds the block subsidy")                                   \
    X(CB_PACKING, "coinbase output 1 exceeds packing reward × transactions + fees")                \
    X(CB_SHARING, "coinbase outputs 2.. exceed the sharing reward allowed for this block")

#define POPI_VERR_ENUM_(name, desc) POPI_VERR_##name,
/** Validation errors (separate from popi_err_t: a block can be invalid without any I/O error). */
typedef enum { POPI_VERR_TABLE(POPI_VERR_ENUM_) POPI_VERR__COUNT } popi_verr_t;
#undef POPI_VERR_ENUM_

/** Short name ("TIME_TOO_OLD"); "?" for out-of-range codes. */
const char *popi_verr_name(popi_verr_t code);
/** One-line description of the rule the code stands for. */
const char *popi_verr_describe(popi_verr_t code);

/** Outcome of a validation. code == POPI_VERR_OK when valid. */
typedef struct {
    popi_verr_t code;
    uint64_t height;       /**< height of the block checked */
    int32_t tx_index;      /**< offending transaction, -1 for block-level failures */
    int32_t input_index;   /**< offending input (or output, where the message says so), -1 */
    uint32_t n_sig_checks; /**< Ed25519 verifications performed (for CPU/energy accounting) */
    char message[256];     /**< "block 12 tx 3 input 0: ..." */
} popi_ledger_verdict_t;

/* ---- the UTXO view interface ---- */

/** An unspent output as the ledger state records it. */
typedef struct {
    uint64_t amount;
    popi_pubkey_t owner;
    uint64_t height; /**< height of the block that created it */
    bool coinbase;   /**< created by a coinbase (subject to maturity) */
} popi_utxo_t;

/** What a view knows about an outpoint. */
typedef enum {
    POPI_UTXO_UNSPENT = 0, /**< exists and is unspent: *out is filled */
    POPI_UTXO_SPENT = 1,   /**< existed but was spent (views that cannot tell return UNKNOWN) */
    POPI_UTXO_UNKNOWN = 2  /**< never existed, as far as the view knows */
} popi_utxo_state_t;

/** Operations of a UTXO view. lookup must not modify the view; it may be called concurrently. */
typedef struct {
    popi_utxo_state_t (*lookup)(const void *self, const popi_outpoint_t *op, popi_utxo_t *out);
} popi_utxo_view_ops_t;

/** A view: an implementation table and its state (e.g. a block store's state at some block). */
typedef struct {
    const popi_utxo_view_ops_t *ops;
    const void *self;
} popi_utxo_view_t;

/** Look up @p op through the view's callback; fills *out when the output exists (spent or not). */
static inline popi_utxo_state_t popi_utxo_view_lookup(const popi_utxo_view_t *v,
                                                      const popi_outpoint_t *op, popi_utxo_t *out)
{
    return v->ops->lookup(v->self, op, out);
}

/** One entry of a state delta: an outpoint and its output record. */
typedef struct {
    popi_outpoint_t op;
    popi_utxo_t utxo;
} popi_utxo_entry_t;

/**
 * The net effect of a valid block on the UTXO state of its parent: @p spent lists the parent's
 * outputs it consumes (with their records, so the delta can be undone), @p created the new
 * outputs still unspent at the end of the block (outputs created and spent inside the block
 * appear in neither). Both in block order. Applying = remove spent, add created; undoing =
 * remove created, add spent back.
 */
typedef struct {
    popi_utxo_entry_t *spent;
    uint32_t n_spent;
    size_t cap_spent;
    popi_utxo_entry_t *created;
    uint32_t n_created;
    size_t cap_created;
    uint64_t fees; /**< sum over transactions of inputs − outputs */
} popi_ledger_delta_t;

/** Initialise an empty delta (caller storage; no allocation until entries are added). */
void popi_ledger_delta_init(popi_ledger_delta_t *d);
/** Release the arrays. Accepts a zeroed or destroyed delta. */
void popi_ledger_delta_destroy(popi_ledger_delta_t *d);
/** Empty the delta, keeping its storage. */
void popi_ledger_delta_clear(popi_ledger_delta_t *d);

/* ---- rules and context ---- */

/**
 * Consensus-engine check of a header (hash against target, proof bytes, difficulty). @p parent
 * is NULL for genesis. Return true to accept; to reject, return false and write a reason
 * (NUL-terminated, at most @p reason_cap bytes) into @p reason.
 */
typedef bool (*popi_ledger_proof_fn)(void *ctx, const popi_block_t *block,
                                     const popi_block_t *parent, char *reason, size_t reason_cap);

/** Accepts every header (for tests and tools that check proofs elsewhere). */
bool popi_ledger_proof_accept(void *ctx, const popi_block_t *block, const popi_block_t *parent,
                              char *reason, size_t reason_cap);

/**
 * Accepts a header whose hash meets the target of its own bits (plain proof of work; it does
 * not check that the bits follow a retarget schedule, which is the PoW engine's job).
 */
bool popi_ledger_proof_pow_bits(void *ctx, const popi_block_t *block, const popi_block_t *parent,
                                char *reason, size_t reason_cap);

/** Chain-wide rules (scenario parameters). popi_ledger_rules_default gives the defaults. */
typedef struct {
    popi_consensus_kind_t kind; /**< every block of the chain carries this kind */
    uint64_t initial_subsidy;   /**< block reward at height 0, base units (default 50 coins) */
    uint64_t halving_interval;  /**< blocks between halvings; 0 = never (default 210000) */
    uint64_t packing_per_tx;    /**< packing reward per non-coinbase tx (default 0.01 coin) */
    uint32_t coinbase_maturity; /**< further blocks before a coinbase output is spendable (5) */
    popi_time_t max_future;     /**< µs a header's time may lead "now" (default 2 h) */
    uint32_t max_block_bytes;   /**< encoded block size limit (default 1,000,000) */
    uint32_t max_block_txs;     /**< transactions per block limit (default 10,000) */
    uint64_t genesis_premine;   /**< base units the genesis block (height 0) may pay in its
                                     outputs 2.. to any owner, beyond the sharing the engine
                                     allows; those outputs are spendable at once (no coinbase
                                     maturity): funded wallets for simulated payments (default 0) */
    popi_ledger_proof_fn check_proof; /**< engine callback; required */
    void *proof_ctx;                  /**< passed to check_proof */
    struct popi_sigcache *sig_cache;  /**< valid signatures seen before (sigcache.h), borrowed;
                                           NULL: verify every signature */
} popi_ledger_rules_t;

/** Fill @p rules with the defaults above and kind @p kind, check_proof = accept-all. */
void popi_ledger_rules_default(popi_ledger_rules_t *rules, popi_consensus_kind_t kind);

/** What a block is validated against. */
typedef struct {
    const popi_block_t *parent;        /**< NULL for genesis */
    const popi_time_t *ancestor_times; /**< times of the parent, grandparent, ... (<= 11 used) */
    size_t n_ancestor_times;           /**< 0 for genesis; fewer than 11 near genesis */
    popi_time_t now;                   /**< the validating node's clock, µs */
    uint64_t sharing_allowed;          /**< sharing reward this block may pay, base units */
    const popi_utxo_view_t *view;      /**< the parent's UTXO state (for check_inputs) */
} popi_ledger_context_t;

/**
 * The UTXO record of output @p out_index of @p tx in a block at @p height: amount, owner, height
 * and the coinbase flag (subject to coinbase maturity). The flag is set for coinbase outputs,
 * except the genesis premine (outputs 2.. of a height-0 coinbase when rules->genesis_premine > 0),
 * which are ordinary coins spendable at once. The one place this rule lives: the validator and the
 * block store (which rebuilds records from blocks) both call it. @p out_index < tx->n_out. O(1).
 */
void popi_ledger_output_utxo(const popi_ledger_rules_t *rules, const popi_tx_t *tx, uint64_t height,
                             uint32_t out_index, popi_utxo_t *out);

/**
 * Block subsidy at @p height: @p initial >> (height / halving_interval), 0 once 64 halvings have
 * passed; @p halving_interval == 0 means no halving. Exact integer arithmetic (Bitcoin's
 * GetBlockSubsidy with initial = 50 coins and interval = 210000).
 */
uint64_t popi_ledger_block_subsidy(uint64_t height, uint64_t initial, uint64_t halving_interval);

/**
 * Median of the first min(n, 11) values of @p times (Bitcoin's median time past: sort, take
 * element [k/2]). Returns INT64_MIN when n == 0 (every time is later). O(1).
 */
popi_time_t popi_ledger_median_time_past(const popi_time_t *times, size_t n);

/**
 * Context-free checks, in this order: SIZE, TOO_MANY_TX, NO_COINBASE; then for each
 * transaction in block order EXTRA_COINBASE, TX_NO_OUTPUTS, TX_AMOUNT_RANGE (v->input_index is
 * the output), TX_LOCKED; then DUP_TXID, MERKLE, CB_HEIGHT, CB_OUTPUTS, CB_PAYEE.
 * Returns the verdict code (also stored in *v). Time O(n_tx log n_tx + outputs).
 */
popi_verr_t popi_ledger_check_block(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                    popi_ledger_verdict_t *v);

/**
 * Checks against the parent: KIND, PREV, HEIGHT (genesis: height 0 and zero prev), TIME_TOO_OLD
 * (time <= median time past of ctx->ancestor_times), TIME_TOO_NEW (time > now + max_future),
 * then PROOF through rules->check_proof. O(1) plus the callback.
 */
popi_verr_t popi_ledger_check_header(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                     const popi_ledger_context_t *ctx, popi_ledger_verdict_t *v);

/**
 * Checks against the parent's UTXO state ctx->view, transaction by transaction, input by input:
 * DOUBLE_SPEND (an outpoint spent twice in this block), INPUT_SPENT / INPUT_MISSING (view says
 * spent / unknown; outputs of earlier transactions of the same block may be spent),
 * IMMATURE (a coinbase output created at height h is spendable only in blocks of height
 * >= h + coinbase_maturity + 1, i.e. after coinbase_maturity further blocks), SIG, INPUT_RANGE,
 * VALUE; then the coinbase amounts CB_SUBSIDY, CB_PACKING (fees go to output 1), CB_SHARING.
 * Meant to run after popi_ledger_check_block passed (if it did not, it still never reads out of
 * bounds: it refuses with NO_COINBASE, CB_OUTPUTS or DUP_TXID). If @p delta is not NULL it is cleared and, when the
 * block is valid, filled with the block's net effect. Time O(inputs + outputs) lookups plus one
 * signature verification per input.
 */
popi_verr_t popi_ledger_check_inputs(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                     const popi_ledger_context_t *ctx, popi_ledger_delta_t *delta,
                                     popi_ledger_verdict_t *v);

/**
 * Full validation: check_block, check_header, check_inputs; stops at the first failure.
 * @p delta as in popi_ledger_check_inputs (may be NULL).
 */
popi_verr_t popi_ledger_validate_block(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                       const popi_ledger_context_t *ctx, popi_ledger_delta_t *delta,
                                       popi_ledger_verdict_t *v);

#ifdef __cplusplus
}
#endif
#endif
