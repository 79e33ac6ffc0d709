/* SPDX-License-Identifier: MIT */
/*
 * ledger_fixture.h - helpers shared by test_store.c, test_chain.c and test_detect.c: wallets,
 * block building on a parent, signed transfers, and a reference UTXO model (a plain array with
 * spent flags, replayed block by block) that the store's state and balances are checked
 * against. Header-only (static functions), so the build needs no extra source.
 */
#ifndef POPI_LEDGER_FIXTURE_H
#define POPI_LEDGER_FIXTURE_H

#include "popi/ledger.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define FX_UNUSED __attribute__((unused))
#define FX_T0 (1000 * POPI_US_PER_S)
#define FX_GAP (10 * POPI_US_PER_S)
#define FX_NKEYS 8

/* Deterministic wallets 0..7 (0 is the usual producer). */
static FX_UNUSED void fx_keys(popi_keypair_t key[FX_NKEYS])
{
    for (int i = 0; i < FX_NKEYS; i++)
        popi_crypto_keypair_from_u64(&key[i], 700 + (uint64_t)i);
}

/* Rules of the tests: PoW kind, accept-all proof, packing 1000 per tx. */
static FX_UNUSED void fx_rules(popi_ledger_rules_t *r, uint32_t maturity)
{
    popi_ledger_rules_default(r, POPI_CONSENSUS_POW);
    r->packing_per_tx = 1000;
    r->coinbase_maturity = maturity;
}

/* A transfer spending @p ops (all owned by @p kp) to @p to (amount a0) and optionally @p to1. */
static FX_UNUSED void fx_spend(popi_tx_t *tx, const popi_outpoint_t *ops, uint32_t n_ops,
                               const popi_keypair_t *kp, uint64_t a0, const popi_pubkey_t *to0,
                               uint64_t a1, const popi_pubkey_t *to1)
{
    popi_tx_init(tx, n_ops, to1 ? 2 : 1, 0);
    for (uint32_t i = 0; i < n_ops; i++)
        tx->in[i].prev = ops[i];
    tx->out[0].amount = a0;
    tx->out[0].owner = *to0;
    if (to1) {
        tx->out[1].amount = a1;
        tx->out[1].owner = *to1;
    }
    popi_tx_sign_all(tx, kp);
    popi_tx_seal(tx);
}

/* Options of fx_block. */
typedef struct {
    uint64_t height_delta; /* 0: parent height + 1 */
    popi_time_t time;      /* 0: parent time + FX_GAP + salt */
    uint64_t salt;         /* added to the time: distinct siblings */
    uint64_t extra_subsidy;
    const popi_hash_t *prev; /* override the previous hash */
    uint32_t bits;           /* 0: 0x207fffff */
} fx_opts_t;

/*
 * Block on @p parent (NULL: genesis) produced by @p producer, holding the coinbase (full subsidy,
 * packing 1000 × txs + @p fees) and @p n transactions (moved in).
 */
static FX_UNUSED popi_block_t *fx_block(const popi_ledger_rules_t *rules,
                                        const popi_block_t *parent, const popi_pubkey_t *producer,
                                        popi_tx_t *txs, uint32_t n, uint64_t fees,
                                        const fx_opts_t *opt)
{
    fx_opts_t none;
    memset(&none, 0, sizeof none);
    if (!opt) opt = &none;
    popi_block_header_t h;
    popi_block_header_init(&h);
    h.kind = rules->kind;
    h.height = parent ? parent->hdr.height + (opt->height_delta ? opt->height_delta : 1) : 0;
    if (parent) h.prev = parent->hash;
    if (opt->prev) h.prev = *opt->prev;
    h.time = opt->time ? opt->time
                       : (parent ? parent->hdr.time + FX_GAP : FX_T0) + (popi_time_t)opt->salt;
    h.bits = opt->bits ? opt->bits : 0x207fffff;
    h.producer = *producer;
    popi_tx_t *all = calloc(n + 1, sizeof *all);
    uint64_t sub =
        popi_ledger_block_subsidy(h.height, rules->initial_subsidy, rules->halving_interval);
    ck_assert_int_eq(popi_tx_coinbase(&all[0], h.height, producer, sub + opt->extra_subsidy,
                                      rules->packing_per_tx * n + fees, NULL, 0),
                     POPI_OK);
    for (uint32_t i = 0; i < n; i++) {
        all[1 + i] = txs[i];
        memset(&txs[i], 0, sizeof txs[i]);
        popi_tx_seal(&all[1 + i]);
    }
    popi_block_merkle_root(all, n + 1, &h.merkle_root, NULL);
    popi_block_t *b;
    ck_assert_int_eq(popi_block_create(&h, all, n + 1, &b), POPI_OK);
    free(all);
    return b;
}

/* ---- the reference model: every output ever created on one chain, with a spent flag ---- */

typedef struct {
    popi_outpoint_t op;
    popi_utxo_t u;
    bool spent;
} fx_out_t;

typedef struct {
    fx_out_t *v;
    size_t n, cap;
} fx_ref_t;

static FX_UNUSED fx_out_t *fx_ref_find(const fx_ref_t *r, const popi_outpoint_t *op)
{
    for (size_t i = 0; i < r->n; i++)
        if (popi_outpoint_eq(&r->v[i].op, op)) return &r->v[i];
    return NULL;
}

/* Apply a block that must be valid for the model (inputs present and unspent). */
static FX_UNUSED void fx_ref_apply(fx_ref_t *r, const popi_block_t *b)
{
    for (uint32_t t = 0; t < b->n_tx; t++) {
        const popi_tx_t *tx = &b->tx[t];
        for (uint32_t i = 0; i < tx->n_in; i++) {
            fx_out_t *o = fx_ref_find(r, &tx->in[i].prev);
            ck_assert_ptr_nonnull(o);
            ck_assert(!o->spent);
            o->spent = true;
        }
        for (uint32_t o = 0; o < tx->n_out; o++) {
            POPI_GROW(r->v, r->cap, r->n + 1);
            fx_out_t *x = &r->v[r->n++];
            x->op.txid = tx->txid;
            x->op.index = o;
            x->u.amount = tx->out[o].amount;
            x->u.owner = tx->out[o].owner;
            x->u.height = b->hdr.height;
            x->u.coinbase = t == 0;
            x->spent = false;
        }
    }
}

static FX_UNUSED popi_utxo_state_t fx_ref_state(const fx_ref_t *r, const popi_outpoint_t *op,
                                                popi_utxo_t *u)
{
    const fx_out_t *o = fx_ref_find(r, op);
    if (!o) return POPI_UTXO_UNKNOWN;
    if (o->spent) return POPI_UTXO_SPENT;
    if (u) *u = o->u;
    return POPI_UTXO_UNSPENT;
}

static FX_UNUSED uint64_t fx_ref_balance(const fx_ref_t *r, const popi_pubkey_t *pk)
{
    uint64_t s = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!r->v[i].spent && !memcmp(r->v[i].u.owner.b, pk->b, 32)) s += r->v[i].u.amount;
    return s;
}

/* Unspent outputs of @p pk spendable at @p next_height (maturity @p m), up to @p max. */
static FX_UNUSED uint32_t fx_ref_coins(const fx_ref_t *r, const popi_pubkey_t *pk,
                                       uint64_t next_height, uint32_t m, popi_outpoint_t *ops,
                                       uint64_t *total, uint32_t max)
{
    uint32_t k = 0;
    *total = 0;
    for (size_t i = 0; i < r->n && k < max; i++) {
        const fx_out_t *o = &r->v[i];
        if (o->spent || memcmp(o->u.owner.b, pk->b, 32)) continue;
        if (o->u.coinbase && next_height < o->u.height + m + 1) continue;
        ops[k++] = o->op;
        *total += o->u.amount;
    }
    return k;
}

static FX_UNUSED void fx_ref_destroy(fx_ref_t *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

#endif
