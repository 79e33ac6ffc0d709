/* SPDX-License-Identifier: MIT */
/*
 * utxoset.c - the outpoint-keyed output set, the txid index and the one-transaction check
 * (utxoset.h).
 *
 * Both tables hash the first 8 bytes of a txid (a SHA-256d digest, so already uniform) mixed with
 * the output index through SplitMix64, and probe linearly, at load <= 3/4 (expected probes of a
 * successful lookup (1 + 1/(1 - a))/2 = 2.5 at a = 3/4, Knuth TAOCP vol. 3, 6.4). The set deletes
 * by backward shift (Algorithm R there), so lookups never cross tombstones.
 */
#include "popi/utxoset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY_INDEX UINT32_MAX

static uint64_t txid_key(const popi_hash_t *txid)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | txid->b[i];
    return x;
}

static size_t op_slot(const popi_outpoint_t *op, size_t mask)
{
    return (size_t)popi_rng_mix64(txid_key(&op->txid) ^
                                  ((uint64_t)op->index * UINT64_C(0x9e3779b97f4a7c15))) &
           mask;
}

static void slots_clear(popi_utxoset_entry_t *slots, size_t cap)
{
    for (size_t i = 0; i < cap; i++)
        slots[i].op.index = EMPTY_INDEX;
}

void popi_utxoset_init(popi_utxoset_t *s)
{
    memset(s, 0, sizeof *s);
}

void popi_utxoset_destroy(popi_utxoset_t *s)
{
    if (!s) return;
    free(s->slots);
    memset(s, 0, sizeof *s);
}

void popi_utxoset_clear(popi_utxoset_t *s)
{
    slots_clear(s->slots, s->cap);
    s->n = 0;
}

popi_utxoset_entry_t *popi_utxoset_find(const popi_utxoset_t *s, const popi_outpoint_t *op)
{
    if (s->n == 0 || op->index == EMPTY_INDEX) return NULL;
    size_t mask = s->cap - 1, i = op_slot(op, mask);
    while (s->slots[i].op.index != EMPTY_INDEX) {
        if (popi_outpoint_eq(&s->slots[i].op, op)) return &s->slots[i];
        i = (i + 1) & mask;
    }
    return NULL;
}

static void place(popi_utxoset_entry_t *slots, size_t mask, const popi_utxoset_entry_t *e)
{
    size_t i = op_slot(&e->op, mask);
    while (slots[i].op.index != EMPTY_INDEX)
        i = (i + 1) & mask;
    slots[i] = *e;
}

static void grow(popi_utxoset_t *s)
{
    size_t cap = s->cap ? 2 * s->cap : 16;
    popi_utxoset_entry_t *slots = popi_xmalloc(cap * sizeof *slots);
    slots_clear(slots, cap);
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].op.index != EMPTY_INDEX) place(slots, cap - 1, &s->slots[i]);
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
}

bool popi_utxoset_insert(popi_utxoset_t *s, const popi_outpoint_t *op, const popi_utxo_t *utxo,
                         uint32_t mark)
{
    POPI_ASSERT(op->index != EMPTY_INDEX);
    if (popi_utxoset_find(s, op)) return false;
    if (4 * (s->n + 1) > 3 * s->cap) grow(s); /* load <= 3/4 */
    popi_utxoset_entry_t e;
    memset(&e, 0, sizeof e);
    e.op = *op;
    e.mark = mark;
    e.utxo = *utxo;
    place(s->slots, s->cap - 1, &e);
    s->n++;
    return true;
}

bool popi_utxoset_remove(popi_utxoset_t *s, const popi_outpoint_t *op, popi_utxo_t *out)
{
    popi_utxoset_entry_t *e = popi_utxoset_find(s, op);
    if (!e) return false;
    if (out) *out = e->utxo;
    size_t mask = s->cap - 1, hole = (size_t)(e - s->slots), j = hole;
    /* Backward shift: move later members of the probe run into the hole when their home slot
     * does not lie cyclically in (hole, j]. */
    for (;;) {
        j = (j + 1) & mask;
        if (s->slots[j].op.index == EMPTY_INDEX) break;
        size_t home = op_slot(&s->slots[j].op, mask);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays) continue;
        s->slots[hole] = s->slots[j];
        hole = j;
    }
    s->slots[hole].op.index = EMPTY_INDEX;
    s->n--;
    return true;
}

popi_utxoset_entry_t *popi_utxoset_next(const popi_utxoset_t *s, size_t *pos)
{
    while (*pos < s->cap) {
        popi_utxoset_entry_t *e = &s->slots[(*pos)++];
        if (e->op.index != EMPTY_INDEX) return e;
    }
    return NULL;
}

size_t popi_utxoset_bytes(const popi_utxoset_t *s)
{
    return s->cap * sizeof *s->slots;
}

static popi_utxo_state_t set_lookup(const void *self, const popi_outpoint_t *op, popi_utxo_t *out)
{
    const popi_utxoset_entry_t *e = popi_utxoset_find(self, op);
    if (!e) return POPI_UTXO_UNKNOWN;
    if (e->mark) return POPI_UTXO_SPENT;
    *out = e->utxo;
    return POPI_UTXO_UNSPENT;
}

static const popi_utxo_view_ops_t SET_VIEW_OPS = {set_lookup};

void popi_utxoset_view(const popi_utxoset_t *s, popi_utxo_view_t *view)
{
    view->ops = &SET_VIEW_OPS;
    view->self = s;
}

/* ---- txid index ---- */

struct popi_txindex_rec {
    popi_hash_t txid;
    uint64_t value;
    uint32_t next; /* id of the next older record of the same txid, 0 = none */
};

void popi_txindex_init(popi_txindex_t *ix)
{
    memset(ix, 0, sizeof *ix);
}

void popi_txindex_destroy(popi_txindex_t *ix)
{
    if (!ix) return;
    free(ix->recs);
    free(ix->heads);
    memset(ix, 0, sizeof *ix);
}

/* Slot holding @p txid's head, or the empty slot where it would go. */
static size_t head_slot(const popi_txindex_t *ix, const popi_hash_t *txid)
{
    size_t mask = ix->cap_heads - 1, i = (size_t)popi_rng_mix64(txid_key(txid)) & mask;
    while (ix->heads[i] && !popi_hash_eq(&ix->recs[ix->heads[i] - 1].txid, txid))
        i = (i + 1) & mask;
    return i;
}

static void heads_grow(popi_txindex_t *ix)
{
    size_t old_cap = ix->cap_heads;
    uint32_t *old = ix->heads;
    ix->cap_heads = old_cap ? 2 * old_cap : 16;
    ix->heads = popi_xcalloc(ix->cap_heads, sizeof *ix->heads);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) ix->heads[head_slot(ix, &ix->recs[old[i] - 1].txid)] = old[i];
    free(old);
}

void popi_txindex_add(popi_txindex_t *ix, const popi_hash_t *txid, uint64_t value)
{
    POPI_ASSERT(ix->n_recs < UINT32_MAX - 1);
    if (4 * (ix->n_keys + 1) > 3 * ix->cap_heads) heads_grow(ix); /* load <= 3/4 */
    POPI_GROW(ix->recs, ix->cap_recs, ix->n_recs + 1);
    size_t slot = head_slot(ix, txid);
    struct popi_txindex_rec *r = &ix->recs[ix->n_recs++];
    r->txid = *txid;
    r->value = value;
    r->next = ix->heads[slot];
    if (!ix->heads[slot]) ix->n_keys++;
    ix->heads[slot] = (uint32_t)ix->n_recs;
}

uint32_t popi_txindex_first(const popi_txindex_t *ix, const popi_hash_t *txid)
{
    if (!ix->cap_heads) return 0;
    return ix->heads[head_slot(ix, txid)];
}

uint32_t popi_txindex_next(const popi_txindex_t *ix, uint32_t id)
{
    return ix->recs[id - 1].next;
}

uint64_t popi_txindex_value(const popi_txindex_t *ix, uint32_t id)
{
    return ix->recs[id - 1].value;
}

size_t popi_txindex_bytes(const popi_txindex_t *ix)
{
    return ix->cap_recs * sizeof *ix->recs + ix->cap_heads * sizeof *ix->heads;
}

/* ---- one transaction against a view ---- */

popi_verr_t popi_utxoset_check_tx(const popi_tx_t *tx, uint64_t height, int32_t tx_label,
                                  const popi_ledger_rules_t *rules, const popi_utxo_view_t *view,
                                  uint64_t *fee, popi_ledger_verdict_t *v)
{
    POPI_ASSERT(tx->sealed);
    /* A block of two transactions: a zero-value coinbase paying the all-zero producer, then a
     * copy of @p tx. Only check_block and check_inputs run, so the header needs no parent. */
    popi_tx_t txs[2];
    popi_block_header_t hdr;
    popi_block_header_init(&hdr);
    hdr.kind = rules->kind;
    hdr.height = height;
    popi_err_t e = popi_tx_coinbase(&txs[0], height, &hdr.producer, 0, 0, NULL, 0);
    POPI_ASSERT(e == POPI_OK);
    popi_tx_copy(&txs[1], tx);
    popi_block_merkle_root(txs, 2, &hdr.merkle_root, NULL);
    popi_block_t *b = NULL;
    e = popi_block_create(&hdr, txs, 2, &b);
    POPI_ASSERT(e == POPI_OK); /* a sealed transaction is always encodable */
    popi_ledger_context_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.view = view;
    popi_ledger_delta_t delta;
    popi_ledger_delta_init(&delta);
    popi_verr_t code = popi_ledger_check_block(b, rules, v);
    uint32_t sigs = 0;
    if (code == POPI_VERR_OK) {
        code = popi_ledger_check_inputs(b, rules, &ctx, &delta, v);
        sigs = v->n_sig_checks;
    }
    if (fee) *fee = code == POPI_VERR_OK ? delta.fees : 0;
    /* Replace the validator's "block H tx 1[ input I]: " prefix with this call's. */
    const char *colon = strstr(v->message, ": ");
    char detail[sizeof v->message];
    snprintf(detail, sizeof detail, "%s", colon ? colon + 2 : v->message);
    char prefix[64], out[sizeof prefix + sizeof detail + 32];
    if (tx_label >= 0) {
        snprintf(prefix, sizeof prefix, "block %llu tx %d", (unsigned long long)height, tx_label);
    } else {
        char hx[17];
        popi_crypto_hex(hx, tx->txid.b, 8);
        snprintf(prefix, sizeof prefix, "tx %s", hx);
    }
    if (v->input_index >= 0 && code != POPI_VERR_TX_AMOUNT_RANGE)
        snprintf(out, sizeof out, "%s input %d: %s", prefix, v->input_index, detail);
    else
        snprintf(out, sizeof out, "%s: %s", prefix, detail);
    size_t len = strlen(out);
    if (len >= sizeof v->message) len = sizeof v->message - 1; /* truncate like the validator */
    memcpy(v->message, out, len);
    v->message[len] = '\0';
    v->tx_index = tx_label;
    v->n_sig_checks = sigs;
    popi_ledger_delta_destroy(&delta);
    popi_block_free(b);
    return code;
}
