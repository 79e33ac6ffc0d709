/* SPDX-License-Identifier: MIT */
/*
 * detect.h - the abnormal-block detector (the seed's "Mcoin source" check): scan a chain given
 * as blocks in order from genesis and report every block and every transaction that breaks a
 * rule, with its height, the validator's error name and, for each input of a flagged
 * transaction, where its coins come from (popi_detect_scan says how).
 *
 * Central structure: popi_detect_report_t, an array of findings (popi_detect_finding_t) in chain
 * order, each with the traced origin of its inputs (popi_detect_origin_t). The scan keeps going
 * after every anomaly: a block with a finding is not applied, later blocks are checked against
 * the state without it, and spending its coins is reported as such.
 */
#ifndef POPI_DETECT_H
#define POPI_DETECT_H

#include "popi/ledger.h"
#include "popi/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a finding is about. */
typedef enum {
    POPI_DETECT_BLOCK = 0,     /**< the block breaks a rule (header, link, Merkle root, coinbase) */
    POPI_DETECT_TX = 1,        /**< a transaction breaks a rule */
    POPI_DETECT_DESCENDANT = 2 /**< the block is fine itself but builds on an invalid block */
} popi_detect_kind_t;

/** "block", "tx", "descendant". */
const char *popi_detect_kind_name(popi_detect_kind_t k);

/** Where the coins of one input come from. */
typedef enum {
    POPI_ORIGIN_COINBASE = 0, /**< an existing unspent output tracing back to valid coinbases */
    POPI_ORIGIN_UNKNOWN = 1,  /**< no such output was ever created in this chain */
    POPI_ORIGIN_SPENT = 2,    /**< a real output, but spent before (double spend) */
    POPI_ORIGIN_INVALID_BLOCK = 3, /**< created by a block that breaks a rule (not applied) */
    POPI_ORIGIN_INVALID_TX = 4,    /**< created by a transaction that breaks a rule */
    POPI_ORIGIN_LATER_TX = 5       /**< created by a later transaction of the same block */
} popi_detect_origin_kind_t;

/** "coinbase", "unknown", "spent", "invalid-block", "invalid-tx", "later-tx". */
const char *popi_detect_origin_name(popi_detect_origin_kind_t k);

#define POPI_DETECT_MAX_COINBASES 8 /**< coinbase heights listed per traced input */

/** The traced origin of one input of a flagged transaction. */
typedef struct {
    uint32_t input;     /**< input index */
    popi_outpoint_t op; /**< the output it spends */
    popi_detect_origin_kind_t kind;
    uint64_t at_height;  /**< SPENT: height of the earlier spend; INVALID_*, LATER_TX: height of
                              the creating block (0 otherwise) */
    int32_t at_tx;       /**< SPENT: tx index of the earlier spend; INVALID_TX, LATER_TX: creating
                              tx; INVALID_BLOCK: creating tx; else -1 */
    popi_verr_t at_code; /**< INVALID_BLOCK / INVALID_TX: the rule that creator broke */
    /** COINBASE and SPENT: the coinbases the coins come from (heights, distinct, in trace order) */
    uint32_t n_coinbases;
    uint64_t coinbase_height[POPI_DETECT_MAX_COINBASES];
    bool truncated; /**< more coinbases (or a trace longer than the bound) exist */
} popi_detect_origin_t;

/** One reported anomaly. */
typedef struct {
    popi_detect_kind_t kind;
    size_t index;             /**< position of the block in the chain given (0-based) */
    uint64_t height;          /**< height in the block's header */
    int32_t tx_index;         /**< -1 for block-level findings and descendants */
    int32_t input_index;      /**< the input (or output) concerned, -1 if none */
    popi_verr_t code;         /**< the rule broken (POPI_VERR_OK for DESCENDANT) */
    const char *reason;       /**< popi_verr_name(code), or "ANCESTOR_INVALID" for DESCENDANT */
    char message[256];        /**< the validator's message ("block 7 tx 2 input 0: ...") */
    uint64_t ancestor_height; /**< DESCENDANT: height of the first invalid ancestor */
    popi_detect_origin_t *origins; /**< TX: one per input of the transaction (owned) */
    uint32_t n_origins;
} popi_detect_finding_t;

/** Result of a scan. Caller storage; destroy with popi_detect_report_destroy. */
typedef struct {
    popi_detect_finding_t *findings; /**< in chain order; within a block: block findings, then
                                          transactions in order, then a descendant finding */
    size_t n_findings, cap_findings;
    size_t n_blocks;         /**< blocks scanned */
    size_t n_tx;             /**< transactions scanned */
    size_t n_blocks_applied; /**< blocks whose effects entered the state */
} popi_detect_report_t;

/** Options of a scan. popi_detect_options_default fills them. */
typedef struct {
    popi_ledger_rules_t rules;     /**< the chain's rules (with its proof check) */
    popi_time_t now;               /**< clock for the future-time rule; INT64_MAX: none */
    popi_store_sharing_fn sharing; /**< sharing allowance per block (NULL: 0) */
    void *sharing_ctx;
    bool flag_descendants; /**< report DESCENDANT findings (default true) */
} popi_detect_options_t;

/** Defaults: popi_ledger_rules_default(kind), now = INT64_MAX, no sharing, flag descendants. */
void popi_detect_options_default(popi_detect_options_t *o, popi_consensus_kind_t kind);

/**
 * Scan @p n blocks (in chain order) and fill @p rep (initialised here; destroy it even on
 * failure). Never stops at an anomaly. Block by block, the block's parent being the previous
 * block given:
 *  1. context-free rules (popi_ledger_check_block; the Merkle root is also compared on its own,
 *     so tampering is reported even when a transaction rule fails first);
 *  2. header rules against the parent (link, height, median time, o->now, proof);
 *  3. each non-coinbase transaction alone (popi_utxoset_check_tx) against the state of all
 *     applied blocks plus the earlier valid transactions of the block, so EVERY bad transaction
 *     is reported; a spend of an output an earlier transaction of the block spent is
 *     DOUBLE_SPEND;
 *  4. coinbase amounts (popi_ledger_check_inputs on the whole block when no transaction was
 *     flagged; otherwise on the block without them, reporting only CB_SUBSIDY and CB_SHARING,
 *     since the fees of the dropped transactions are unknown).
 * A block with a finding is not applied. A block without findings of its own whose parent is
 * invalid or descends from an invalid block gets one DESCENDANT finding (if
 * o->flag_descendants) and IS applied, so later honest activity is not flagged again and again.
 * The state keeps spent outputs with their spender (a popi_utxoset_t whose mark is the spend),
 * which makes double spends traceable; origins are traced back through applied transactions to
 * coinbases, breadth first in input order.
 * @return POPI_EINVAL if o->rules.check_proof is NULL.
 * Time: O(total inputs) lookups, two signature checks per input, plus the origin traces
 * (bounded by 4096 transactions per traced input).
 */
popi_err_t popi_detect_scan(const popi_block_t *const *blocks, size_t n,
                            const popi_detect_options_t *o, popi_detect_report_t *rep);

/**
 * Read a chain file (chainfile.h) and scan it. @return POPI_EIO / POPI_EFORMAT from reading (a
 * file that cannot be decoded cannot be scanned; the message gives the byte offset), or as
 * popi_detect_scan.
 */
popi_err_t popi_detect_scan_file(const char *path, const popi_detect_options_t *o,
                                 popi_detect_report_t *rep);

/** Release the findings. Accepts a zeroed or destroyed report. */
void popi_detect_report_destroy(popi_detect_report_t *rep);

/**
 * The report as text (caller frees): a summary line, then one line per finding
 * ("height 7 tx 2 input 0 INPUT_SPENT: <message>") followed by one indented line per traced
 * input ("input 0 <txid>:<index>: spent before at height 5 tx 1 (double spend); coins from
 * coinbase at height 0"). A clean chain gives "... 0 findings" and nothing else.
 */
char *popi_detect_report_format(const popi_detect_report_t *rep);

#ifdef __cplusplus
}
#endif
#endif
