/* SPDX-License-Identifier: MIT */
/*
 * utxoset.h - hash tables of ledger state shared by the block store, the mempool and the
 * abnormal-block detector: a set of outputs keyed by outpoint (popi_utxoset_t), an index from
 * transaction id to caller-defined values (popi_txindex_t), and the check of one transaction
 * against a UTXO view with the block rules of ledger.h (popi_utxoset_check_tx).
 *
 * popi_utxoset_t: open addressing with linear probing and backward-shift deletion, so there are
 * no tombstones. Invariant: every stored outpoint appears once; a slot is empty iff its
 * op.index == UINT32_MAX (real output indices are < POPI_TX_MAX_OUTPUTS); the load factor stays
 * <= 3/4. Each entry carries a 32-bit "mark" that owners use freely; the view interface reads
 * mark == 0 as unspent and mark != 0 as spent, so a set can keep spent outputs as history.
 * Not thread-safe for writes; concurrent reads are fine.
 */
#ifndef POPI_UTXOSET_H
#define POPI_UTXOSET_H

#include "popi/ledger.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One stored output. @p mark is the owner's (0 = unspent for popi_utxoset_view). */
typedef struct {
    popi_outpoint_t op;
    uint32_t mark;
    popi_utxo_t utxo;
} popi_utxoset_entry_t;

/** A set of outputs keyed by outpoint. Caller storage: popi_utxoset_init / _destroy. */
typedef struct {
    popi_utxoset_entry_t *slots; /**< cap slots (cap a power of two, or 0) */
    size_t cap;
    size_t n; /**< entries stored */
} popi_utxoset_t;

/** An empty set (allocates nothing until the first insert). */
void popi_utxoset_init(popi_utxoset_t *s);
/** Release the table. Accepts a zeroed or destroyed set. */
void popi_utxoset_destroy(popi_utxoset_t *s);
/** Remove every entry, keeping the table. O(cap). */
void popi_utxoset_clear(popi_utxoset_t *s);

/** The entry of @p op, or NULL. The pointer is valid until the next insert or remove. O(1). */
popi_utxoset_entry_t *popi_utxoset_find(const popi_utxoset_t *s, const popi_outpoint_t *op);

/**
 * Insert @p op with @p utxo and @p mark. Returns false (and changes nothing) if @p op is already
 * present. @p op->index must be < UINT32_MAX (asserted: no output can have that index).
 * Amortised O(1); grows the table (doubling) to keep the load <= 3/4.
 */
bool popi_utxoset_insert(popi_utxoset_t *s, const popi_outpoint_t *op, const popi_utxo_t *utxo,
                         uint32_t mark);

/** Remove @p op; copies its record to @p out (may be NULL). Returns false if absent. O(1). */
bool popi_utxoset_remove(popi_utxoset_t *s, const popi_outpoint_t *op, popi_utxo_t *out);

/**
 * Iterate: start with *pos = 0; each call returns the next entry (table order, which depends on
 * the insertion history) or NULL at the end. The set must not change during the iteration.
 */
popi_utxoset_entry_t *popi_utxoset_next(const popi_utxoset_t *s, size_t *pos);

/** Bytes held by the table (cap × entry size). */
size_t popi_utxoset_bytes(const popi_utxoset_t *s);

/**
 * A popi_utxo_view_t over @p s: an entry with mark == 0 is UNSPENT, with mark != 0 SPENT, and an
 * absent outpoint UNKNOWN. The view borrows @p s; it stays valid while @p s lives.
 */
void popi_utxoset_view(const popi_utxoset_t *s, popi_utxo_view_t *view);

/* ---- txid index ---- */

/**
 * Index from a transaction id to one or more 64-bit values (the same txid can be recorded several
 * times, e.g. one transaction included in two competing blocks). Records are never removed.
 * Invariant: records of one txid form a list, newest first; heads sit in an open-addressing table
 * with load <= 3/4.
 */
typedef struct {
    struct popi_txindex_rec *recs; /**< records, 1-based ids (id - 1 is the array index) */
    size_t n_recs, cap_recs;
    uint32_t *heads; /**< per slot: id of the newest record of one txid, 0 = empty */
    size_t cap_heads;
    size_t n_keys;
} popi_txindex_t;

/** Initialise an empty index (caller storage); popi_txindex_destroy releases it, and accepts a
 *  zeroed or destroyed index. */
void popi_txindex_init(popi_txindex_t *ix);
void popi_txindex_destroy(popi_txindex_t *ix);
/** Record @p value under @p txid. Amortised O(1). Aborts beyond 2^32 − 2 records. */
void popi_txindex_add(popi_txindex_t *ix, const popi_hash_t *txid, uint64_t value);
/** Id of the newest record of @p txid, 0 if none. O(1). */
uint32_t popi_txindex_first(const popi_txindex_t *ix, const popi_hash_t *txid);
/** Id of the next (older) record of the same txid, 0 at the end. */
uint32_t popi_txindex_next(const popi_txindex_t *ix, uint32_t id);
/** Value of record @p id (an id returned by first/next). */
uint64_t popi_txindex_value(const popi_txindex_t *ix, uint32_t id);
/** Bytes held (records + head table). */
size_t popi_txindex_bytes(const popi_txindex_t *ix);

/* ---- one transaction against a view ---- */

/**
 * Check one non-coinbase transaction as if it were the only transaction (after a coinbase) of a
 * block at @p height whose parent state is @p view, with exactly the block rules of ledger.h
 * (popi_ledger_check_block then popi_ledger_check_inputs on that one-transaction block), so the
 * codes are the validator's: EXTRA_COINBASE (a coinbase), TX_NO_OUTPUTS, TX_AMOUNT_RANGE,
 * TX_LOCKED (lock_height > height), SIZE, DOUBLE_SPEND (an outpoint twice in @p tx),
 * INPUT_SPENT, INPUT_MISSING, IMMATURE, SIG, INPUT_RANGE, VALUE.
 * @p v gets the verdict; its message starts "block <height> tx <tx_label>[ input I]: " when
 * @p tx_label >= 0 and "tx <first 8 txid bytes in hex>[ input I]: " otherwise, and
 * v->tx_index = tx_label. @p fee (may be NULL) receives inputs − outputs when valid.
 * Returns the code. @p tx must be sealed. Time: one signature verification per input.
 */
popi_verr_t popi_utxoset_check_tx(const popi_tx_t *tx, uint64_t height, int32_t tx_label,
                                  const popi_ledger_rules_t *rules, const popi_utxo_view_t *view,
                                  uint64_t *fee, popi_ledger_verdict_t *v);

#ifdef __cplusplus
}
#endif
#endif
