/* SPDX-License-Identifier: MIT */
/*
 * test_validate.c - the block rules: every popi_verr_t provoked by a block built for it, the
 * exact boundaries (coinbase maturity, median time past, future limit, coinbase amounts,
 * subsidy halving), spends inside one block, the state delta (apply and undo), proof-of-work
 * through the engine callback, and a randomised transfer workload checked against a reference
 * balance model. The UTXO view is a small array-backed set defined here, the simplest
 * implementation of popi_utxo_view_t.
 */
#include "popi/ledger.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a minimal UTXO set implementing the view ---- */

typedef struct {
    popi_utxo_entry_t e;
    bool spent;
} tentry_t;

typedef struct {
    tentry_t *v;
    size_t n, cap;
} tset_t;

static tentry_t *tset_find(const tset_t *s, const popi_outpoint_t *op)
{
    for (size_t i = 0; i < s->n; i++)
        if (popi_outpoint_eq(&s->v[i].e.op, op)) return &s->v[i];
    return NULL;
}

static popi_utxo_state_t tset_lookup(const void *self, const popi_outpoint_t *op, popi_utxo_t *out)
{
    const tentry_t *t = tset_find(self, op);
    if (!t) return POPI_UTXO_UNKNOWN;
    if (t->spent) return POPI_UTXO_SPENT;
    *out = t->e.utxo;
    return POPI_UTXO_UNSPENT;
}

static const popi_utxo_view_ops_t TSET_OPS = {tset_lookup};

static void tset_add(tset_t *s, const popi_outpoint_t *op, const popi_utxo_t *u)
{
    POPI_GROW(s->v, s->cap, s->n + 1);
    s->v[s->n].e.op = *op;
    s->v[s->n].e.utxo = *u;
    s->v[s->n].spent = false;
    s->n++;
}

static void tset_apply(tset_t *s, const popi_ledger_delta_t *d)
{
    for (uint32_t i = 0; i < d->n_spent; i++) {
        tentry_t *t = tset_find(s, &d->spent[i].op);
        ck_assert_ptr_nonnull(t);
        ck_assert(!t->spent);
        ck_assert_mem_eq(&t->e.utxo, &d->spent[i].utxo, sizeof t->e.utxo);
        t->spent = true;
    }
    for (uint32_t i = 0; i < d->n_created; i++) {
        ck_assert_ptr_null(tset_find(s, &d->created[i].op));
        tset_add(s, &d->created[i].op, &d->created[i].utxo);
    }
}

/* Undo = remove created (they are the last entries), mark spent ones unspent again. */
static void tset_undo(tset_t *s, const popi_ledger_delta_t *d)
{
    ck_assert_uint_ge(s->n, d->n_created);
    s->n -= d->n_created;
    for (uint32_t i = 0; i < d->n_spent; i++)
        tset_find(s, &d->spent[i].op)->spent = false;
}

static uint64_t tset_balance(const tset_t *s, const popi_pubkey_t *owner)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!s->v[i].spent && !memcmp(s->v[i].e.utxo.owner.b, owner->b, 32))
            sum += s->v[i].e.utxo.amount;
    return sum;
}

/* ---- a chain under construction ---- */

#define MAXB 64
#define BLOCK_GAP (10 * POPI_US_PER_S)
#define T0 (1000 * POPI_US_PER_S)

typedef struct {
    popi_keypair_t prod, alice, bob;
    popi_ledger_rules_t rules;
    popi_block_t *blk[MAXB];
    popi_ledger_delta_t delta[MAXB];
    int n;
    tset_t set;
    uint64_t sharing_allowed;
    popi_time_t now; /* 0: tip time + 10 min */
    /* filled by make_ctx */
    popi_time_t times[11];
    popi_utxo_view_t view;
    popi_ledger_context_t ctx;
} chain_t;

static const popi_block_t *tip(const chain_t *c)
{
    return c->n ? c->blk[c->n - 1] : NULL;
}

static const popi_ledger_context_t *make_ctx(chain_t *c)
{
    size_t k = 0;
    for (int i = c->n - 1; i >= 0 && k < 11; i--)
        c->times[k++] = c->blk[i]->hdr.time;
    c->view.ops = &TSET_OPS;
    c->view.self = &c->set;
    c->ctx.parent = tip(c);
    c->ctx.ancestor_times = c->times;
    c->ctx.n_ancestor_times = k;
    c->ctx.now = c->now ? c->now : (tip(c) ? tip(c)->hdr.time : T0) + 600 * POPI_US_PER_S;
    c->ctx.sharing_allowed = c->sharing_allowed;
    c->ctx.view = &c->view;
    return &c->ctx;
}

typedef struct {
    popi_block_header_t h;
    popi_tx_t tx[8];
    uint32_t n;
    bool custom_cb;       /* tx[0] supplied by the test */
    bool keep_root;       /* do not compute h.merkle_root */
    uint64_t fees;        /* added to the packing reward of the automatic coinbase */
    uint64_t cb_extra[3]; /* added to outputs 0, 1 and (if non-zero) a sharing output */
} draft_t;

static void draft_init(const chain_t *c, draft_t *d)
{
    memset(d, 0, sizeof *d);
    popi_block_header_init(&d->h);
    const popi_block_t *t = tip(c);
    d->h.height = t ? t->hdr.height + 1 : 0;
    if (t) d->h.prev = t->hash;
    d->h.time = t ? t->hdr.time + BLOCK_GAP : T0;
    d->h.bits = 0x207fffff;
    d->h.kind = POPI_CONSENSUS_POW;
    d->h.producer = c->prod.pk;
    d->n = 1;
}

/* Move @p tx into the draft. */
static void draft_add(draft_t *d, popi_tx_t *tx)
{
    ck_assert_uint_lt(d->n, 8);
    d->tx[d->n++] = *tx;
    memset(tx, 0, sizeof *tx);
}

static popi_block_t *draft_build(const chain_t *c, draft_t *d)
{
    if (!d->custom_cb) {
        uint64_t sub = popi_ledger_block_subsidy(d->h.height, c->rules.initial_subsidy,
                                                 c->rules.halving_interval);
        uint64_t pack = c->rules.packing_per_tx * (d->n - 1) + d->fees;
        popi_txout_t share = {d->cb_extra[2], c->bob.pk};
        ck_assert_int_eq(popi_tx_coinbase(&d->tx[0], d->h.height, &c->prod.pk, sub + d->cb_extra[0],
                                          pack + d->cb_extra[1], &share, d->cb_extra[2] ? 1 : 0),
                         POPI_OK);
    }
    for (uint32_t i = 0; i < d->n; i++)
        popi_tx_seal(&d->tx[i]);
    if (!d->keep_root) popi_block_merkle_root(d->tx, d->n, &d->h.merkle_root, NULL);
    popi_block_t *b;
    ck_assert_int_eq(popi_block_create(&d->h, d->tx, d->n, &b), POPI_OK);
    return b;
}

static popi_verr_t check(chain_t *c, const popi_block_t *b, popi_ledger_delta_t *delta,
                         popi_ledger_verdict_t *v)
{
    return popi_ledger_validate_block(b, &c->rules, make_ctx(c), delta, v);
}

/* Validate (must pass), apply, and append. */
static void append(chain_t *c, popi_block_t *b)
{
    popi_ledger_verdict_t v;
    ck_assert_int_lt(c->n, MAXB);
    popi_ledger_delta_init(&c->delta[c->n]);
    popi_verr_t code = check(c, b, &c->delta[c->n], &v);
    ck_assert_msg(code == POPI_VERR_OK, "append: %s: %s", popi_verr_name(code), v.message);
    tset_apply(&c->set, &c->delta[c->n]);
    c->blk[c->n++] = b;
}

/* Append an empty block (coinbase only). */
static void append_empty(chain_t *c)
{
    draft_t d;
    draft_init(c, &d);
    append(c, draft_build(c, &d));
}

static void chain_init(chain_t *c, int n_blocks)
{
    memset(c, 0, sizeof *c);
    popi_crypto_keypair_from_u64(&c->prod, 100);
    popi_crypto_keypair_from_u64(&c->alice, 101);
    popi_crypto_keypair_from_u64(&c->bob, 102);
    popi_ledger_rules_default(&c->rules, POPI_CONSENSUS_POW);
    c->rules.packing_per_tx = 1000;
    for (int i = 0; i < n_blocks; i++)
        append_empty(c);
}

static void chain_destroy(chain_t *c)
{
    for (int i = 0; i < c->n; i++) {
        popi_block_free(c->blk[i]);
        popi_ledger_delta_destroy(&c->delta[i]);
    }
    free(c->set.v);
}

static popi_outpoint_t op_of(const popi_block_t *b, uint32_t tx, uint32_t out)
{
    popi_outpoint_t op = {b->tx[tx].txid, out};
    return op;
}

/* A transaction spending @p ops (signed by @p kp) to one or two outputs. */
static void make_spend(popi_tx_t *tx, const popi_outpoint_t *ops, uint32_t n_ops,
                       const popi_keypair_t *kp, uint64_t a0, const popi_pubkey_t *to0, uint64_t a1,
                       const popi_pubkey_t *to1)
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

static uint64_t subsidy_at(const chain_t *c, uint64_t h)
{
    return popi_ledger_block_subsidy(h, c->rules.initial_subsidy, c->rules.halving_interval);
}

/* ---- every error code ---- */

static bool reject_engine(void *ctx, const popi_block_t *block, const popi_block_t *parent,
                          char *reason, size_t cap)
{
    (void)ctx;
    (void)block;
    (void)parent;
    snprintf(reason, cap, "lottery ticket not eligible");
    return false;
}

/* Build a block at height 8 (chain of 8 blocks: coinbases of heights 0..7) that breaks exactly
 * the rule @p code, validate it, and return the verdict. */
static popi_verr_t provoke(popi_verr_t code, popi_ledger_verdict_t *v)
{
    chain_t c;
    chain_init(&c, 8);
    const popi_pubkey_t *A = &c.alice.pk, *P = &c.prod.pk;
    uint64_t s0 = subsidy_at(&c, 0);
    popi_outpoint_t g0 = op_of(c.blk[0], 0, 0), g1 = op_of(c.blk[1], 0, 0);
    draft_t d;
    draft_init(&c, &d);
    popi_tx_t tx, tx2;
    popi_block_t *b = NULL;
    popi_verr_t got;
    switch (code) {
    case POPI_VERR_SIZE:
        b = draft_build(&c, &d);
        c.rules.max_block_bytes = b->size - 1;
        break;
    case POPI_VERR_TOO_MANY_TX:
        make_spend(&tx, &g0, 1, &c.prod, s0, A, 0, NULL);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        c.rules.max_block_txs = 1;
        break;
    case POPI_VERR_NO_COINBASE:
        make_spend(&d.tx[0], &g0, 1, &c.prod, s0, A, 0, NULL);
        d.custom_cb = true;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_EXTRA_COINBASE:
        ck_assert_int_eq(popi_tx_coinbase(&tx, 9, P, 1, 0, NULL, 0), POPI_OK);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_TX_NO_OUTPUTS:
        popi_tx_init(&tx, 1, 0, 0);
        tx.in[0].prev = g0;
        popi_tx_sign_all(&tx, &c.prod);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_TX_AMOUNT_RANGE:
        make_spend(&tx, &g0, 1, &c.prod, POPI_MAX_MONEY, A, 1, A);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_TX_LOCKED:
        popi_tx_init(&tx, 1, 1, 9);
        tx.in[0].prev = g0;
        tx.out[0].amount = s0;
        tx.out[0].owner = *A;
        popi_tx_sign_all(&tx, &c.prod);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_DUP_TXID:
        make_spend(&tx, &g0, 1, &c.prod, s0, A, 0, NULL);
        popi_tx_copy(&tx2, &tx);
        draft_add(&d, &tx);
        draft_add(&d, &tx2);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_MERKLE:
        d.keep_root = true;
        memset(d.h.merkle_root.b, 0x42, 32);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_CB_HEIGHT:
        ck_assert_int_eq(popi_tx_coinbase(&d.tx[0], 7, P, 1, 0, NULL, 0), POPI_OK);
        d.custom_cb = true;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_CB_OUTPUTS:
        popi_tx_init(&d.tx[0], 0, 1, 8);
        d.tx[0].out[0].amount = 1;
        d.tx[0].out[0].owner = *P;
        d.custom_cb = true;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_CB_PAYEE:
        ck_assert_int_eq(popi_tx_coinbase(&d.tx[0], 8, P, 1, 0, NULL, 0), POPI_OK);
        d.tx[0].sealed = false; /* re-open to redirect the packing reward */
        d.tx[0].out[1].owner = *A;
        d.custom_cb = true;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_KIND:
        d.h.kind = POPI_CONSENSUS_POPI;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_PREV:
        d.h.prev = c.blk[6]->hash;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_HEIGHT:
        d.h.height = 9;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_TIME_TOO_OLD:
        d.h.time = popi_ledger_median_time_past(make_ctx(&c)->ancestor_times, 8);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_TIME_TOO_NEW:
        c.now = tip(&c)->hdr.time;
        d.h.time = c.now + c.rules.max_future + 1;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_PROOF:
        b = draft_build(&c, &d);
        c.rules.check_proof = reject_engine;
        break;
    case POPI_VERR_DOUBLE_SPEND:
        make_spend(&tx, &g0, 1, &c.prod, s0, A, 0, NULL);
        make_spend(&tx2, &g0, 1, &c.prod, s0 - 1, A, 0, NULL);
        draft_add(&d, &tx);
        draft_add(&d, &tx2);
        d.fees = 1;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_INPUT_SPENT:
        make_spend(&tx, &g0, 1, &c.prod, s0, A, 0, NULL);
        draft_add(&d, &tx);
        append(&c, draft_build(&c, &d));
        draft_init(&c, &d);
        make_spend(&tx, &g0, 1, &c.prod, s0, A, 0, NULL);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_INPUT_MISSING: {
        popi_outpoint_t ghost = g0;
        ghost.index = 5;
        make_spend(&tx, &ghost, 1, &c.prod, 1, A, 0, NULL);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    }
    case POPI_VERR_IMMATURE: {
        popi_outpoint_t young = op_of(c.blk[3], 0, 0);
        make_spend(&tx, &young, 1, &c.prod, 1, A, 0, NULL);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    }
    case POPI_VERR_SIG:
        make_spend(&tx, &g0, 1, &c.alice, s0, A, 0, NULL);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_INPUT_RANGE: {
        /* Only a corrupt view can hold such outputs: plant two of POPI_MAX_MONEY each. */
        popi_outpoint_t fake[2] = {g0, g0};
        popi_utxo_t big = {POPI_MAX_MONEY, c.prod.pk, 0, false};
        memset(fake[0].txid.b, 0xaa, 32);
        memset(fake[1].txid.b, 0xbb, 32);
        tset_add(&c.set, &fake[0], &big);
        tset_add(&c.set, &fake[1], &big);
        make_spend(&tx, fake, 2, &c.prod, 1, A, 0, NULL);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    }
    case POPI_VERR_VALUE:
        make_spend(&tx, &g0, 1, &c.prod, s0, A, 1, P);
        draft_add(&d, &tx);
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_CB_SUBSIDY:
        d.cb_extra[0] = 1;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_CB_PACKING:
        make_spend(&tx, &g1, 1, &c.prod, s0 - 7, A, 0, NULL);
        draft_add(&d, &tx);
        d.fees = 7;
        d.cb_extra[1] = 1;
        b = draft_build(&c, &d);
        break;
    case POPI_VERR_CB_SHARING:
        c.sharing_allowed = 99;
        d.cb_extra[2] = 100;
        b = draft_build(&c, &d);
        break;
    default:
        ck_abort_msg("no scenario for %s", popi_verr_name(code));
    }
    popi_ledger_delta_t delta;
    popi_ledger_delta_init(&delta);
    got = check(&c, b, &delta, v);
    ck_assert_uint_eq(delta.n_spent + delta.n_created, 0); /* nothing on failure */
    popi_ledger_delta_destroy(&delta);
    popi_block_free(b);
    chain_destroy(&c);
    return got;
}

START_TEST(test_every_error_code)
{
    popi_verr_t code = (popi_verr_t)_i;
    popi_ledger_verdict_t v;
    popi_verr_t got = provoke(code, &v);
    ck_assert_msg(got == code, "expected %s, got %s: %s", popi_verr_name(code), popi_verr_name(got),
                  v.message);
    ck_assert_int_eq(v.code, code);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "block %llu", (unsigned long long)v.height);
    ck_assert_msg(strncmp(v.message, prefix, strlen(prefix)) == 0, "%s", v.message);
    if (v.tx_index >= 0) {
        char t[32];
        snprintf(t, sizeof t, " tx %d", v.tx_index);
        ck_assert_msg(strstr(v.message, t) != NULL, "%s", v.message);
    }
    /* Failures that concern one input name it. */
    if (code == POPI_VERR_DOUBLE_SPEND || code == POPI_VERR_INPUT_SPENT ||
        code == POPI_VERR_INPUT_MISSING || code == POPI_VERR_IMMATURE || code == POPI_VERR_SIG ||
        code == POPI_VERR_INPUT_RANGE) {
        ck_assert_int_ge(v.input_index, 0);
        ck_assert_int_ge(v.tx_index, 1);
        char in[32];
        snprintf(in, sizeof in, "input %d:", v.input_index);
        ck_assert_msg(strstr(v.message, in) != NULL, "%s", v.message);
    }
    if (code == POPI_VERR_PROOF)
        ck_assert_ptr_nonnull(strstr(v.message, "lottery ticket not eligible"));
}
END_TEST

START_TEST(test_error_names)
{
    for (int i = 0; i < POPI_VERR__COUNT; i++) {
        ck_assert_str_ne(popi_verr_name((popi_verr_t)i), "?");
        ck_assert_uint_ge(strlen(popi_verr_describe((popi_verr_t)i)), 5);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(popi_verr_name((popi_verr_t)i), popi_verr_name((popi_verr_t)j));
    }
    ck_assert_str_eq(popi_verr_name(POPI_VERR_OK), "OK");
    ck_assert_str_eq(popi_verr_name(POPI_VERR_TIME_TOO_OLD), "TIME_TOO_OLD");
    ck_assert_str_eq(popi_verr_name(POPI_VERR__COUNT), "?");
    ck_assert_str_eq(popi_verr_describe((popi_verr_t)-1), "unknown validation error");
}
END_TEST

/* More ways to hit some codes: the other branches of each check. */
START_TEST(test_error_variants)
{
    chain_t c;
    chain_init(&c, 8);
    popi_ledger_verdict_t v;
    popi_outpoint_t g0 = op_of(c.blk[0], 0, 0);
    uint64_t s0 = subsidy_at(&c, 0);
    draft_t d;
    popi_tx_t tx;
    popi_block_t *b;
    /* A block with no transactions at all. */
    draft_init(&c, &d);
    popi_block_t *empty;
    ck_assert_int_eq(popi_block_create(&d.h, NULL, 0, &empty), POPI_OK);
    ck_assert_int_eq(check(&c, empty, NULL, &v), POPI_VERR_NO_COINBASE);
    ck_assert_int_eq(v.tx_index, -1);
    popi_block_free(empty);
    /* One transaction spending the same output twice. */
    popi_outpoint_t twice[2] = {g0, g0};
    draft_init(&c, &d);
    make_spend(&tx, twice, 2, &c.prod, s0, &c.alice.pk, 0, NULL);
    draft_add(&d, &tx);
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_DOUBLE_SPEND);
    ck_assert_int_eq(v.tx_index, 1);
    ck_assert_int_eq(v.input_index, 1);
    popi_block_free(b);
    /* Spending an output of a later transaction of the same block. */
    draft_init(&c, &d);
    popi_tx_t t1, t2;
    make_spend(&t1, &g0, 1, &c.prod, s0, &c.alice.pk, 0, NULL);
    popi_outpoint_t later = {t1.txid, 0};
    make_spend(&t2, &later, 1, &c.alice, s0, &c.bob.pk, 0, NULL);
    draft_add(&d, &t2);
    draft_add(&d, &t1);
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_INPUT_MISSING);
    ck_assert_int_eq(v.tx_index, 1);
    popi_block_free(b);
    /* Spending this block's own coinbase. */
    draft_init(&c, &d);
    ck_assert_int_eq(popi_tx_coinbase(&d.tx[0], 8, &c.prod.pk, subsidy_at(&c, 8), 1000, NULL, 0),
                     POPI_OK);
    d.custom_cb = true;
    popi_outpoint_t own = {d.tx[0].txid, 0};
    make_spend(&tx, &own, 1, &c.prod, 1, &c.alice.pk, 0, NULL);
    draft_add(&d, &tx);
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_IMMATURE);
    popi_block_free(b);
    /* Coinbase output 0 to someone else. */
    draft_init(&c, &d);
    ck_assert_int_eq(popi_tx_coinbase(&d.tx[0], 8, &c.alice.pk, 1, 0, NULL, 0), POPI_OK);
    d.custom_cb = true;
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_CB_PAYEE);
    ck_assert_int_eq(v.input_index, 0);
    popi_block_free(b);
    /* Coinbase with no outputs: the generic rule comes first. */
    draft_init(&c, &d);
    popi_tx_init(&d.tx[0], 0, 0, 8);
    d.custom_cb = true;
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_TX_NO_OUTPUTS);
    ck_assert_int_eq(v.tx_index, 0);
    popi_block_free(b);
    /* Genesis rules: height and previous hash. */
    chain_t g;
    chain_init(&g, 0);
    draft_init(&g, &d);
    d.h.height = 1;
    ck_assert_int_eq(popi_tx_coinbase(&d.tx[0], 1, &g.prod.pk, 1, 0, NULL, 0), POPI_OK);
    d.custom_cb = true;
    b = draft_build(&g, &d);
    ck_assert_int_eq(check(&g, b, NULL, &v), POPI_VERR_HEIGHT);
    popi_block_free(b);
    draft_init(&g, &d);
    d.h.prev.b[3] = 1;
    b = draft_build(&g, &d);
    ck_assert_int_eq(check(&g, b, NULL, &v), POPI_VERR_PREV);
    ck_assert_ptr_nonnull(strstr(v.message, "all-zero"));
    popi_block_free(b);
    chain_destroy(&g);
    /* check_inputs alone on blocks that check_block would have refused: no out-of-bounds. */
    ck_assert_int_eq(popi_block_create(&d.h, NULL, 0, &empty), POPI_OK);
    ck_assert_int_eq(popi_ledger_check_inputs(empty, &c.rules, make_ctx(&c), NULL, &v),
                     POPI_VERR_NO_COINBASE);
    popi_block_free(empty);
    draft_init(&c, &d);
    popi_tx_init(&d.tx[0], 0, 1, 8);
    d.custom_cb = true;
    b = draft_build(&c, &d);
    ck_assert_int_eq(popi_ledger_check_inputs(b, &c.rules, make_ctx(&c), NULL, &v),
                     POPI_VERR_CB_OUTPUTS);
    popi_block_free(b);
    draft_init(&c, &d);
    make_spend(&t1, &g0, 1, &c.prod, s0, &c.alice.pk, 0, NULL);
    popi_tx_copy(&t2, &t1);
    draft_add(&d, &t1);
    draft_add(&d, &t2);
    b = draft_build(&c, &d);
    ck_assert_int_eq(popi_ledger_check_inputs(b, &c.rules, make_ctx(&c), NULL, &v),
                     POPI_VERR_DOUBLE_SPEND); /* the repeated tx re-spends g0 first */
    popi_block_free(b);
    draft_init(&c, &d);
    ck_assert_int_eq(popi_tx_coinbase(&t1, 9, &c.prod.pk, 0, 0, NULL, 0), POPI_OK);
    popi_tx_copy(&t2, &t1);
    draft_add(&d, &t1);
    draft_add(&d, &t2); /* two identical input-less, zero-value transactions */
    b = draft_build(&c, &d);
    ck_assert_int_eq(popi_ledger_check_inputs(b, &c.rules, make_ctx(&c), NULL, &v),
                     POPI_VERR_DUP_TXID);
    ck_assert_int_eq(v.tx_index, 2);
    popi_block_free(b);
    /* A proof-of-work rule with a hard target the block does not meet. */
    draft_init(&c, &d);
    d.h.bits = 0x1d00ffff;
    b = draft_build(&c, &d);
    c.rules.check_proof = popi_ledger_proof_pow_bits;
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_PROOF);
    ck_assert_ptr_nonnull(strstr(v.message, "above target"));
    popi_block_free(b);
    draft_init(&c, &d);
    d.h.bits = 0x04923456;
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_PROOF);
    ck_assert_ptr_nonnull(strstr(v.message, "invalid compact target"));
    popi_block_free(b);
    chain_destroy(&c);
}
END_TEST

/* ---- boundaries ---- */

/* "Spendable after 5 further blocks": a coinbase of height h may be spent from height h + 6. */
START_TEST(test_maturity_boundary)
{
    chain_t c;
    chain_init(&c, 2); /* heights 0, 1 */
    popi_outpoint_t cb1 = op_of(c.blk[1], 0, 0);
    uint64_t amount = subsidy_at(&c, 1);
    popi_ledger_verdict_t v;
    for (uint64_t h = 2; h <= 7; h++) {
        draft_t d;
        popi_tx_t tx;
        draft_init(&c, &d);
        ck_assert_uint_eq(d.h.height, h);
        make_spend(&tx, &cb1, 1, &c.prod, amount, &c.alice.pk, 0, NULL);
        draft_add(&d, &tx);
        popi_block_t *b = draft_build(&c, &d);
        popi_verr_t code = check(&c, b, NULL, &v);
        if (h < 7) {
            /* heights 2..6 are the 5 further blocks: not yet */
            ck_assert_msg(code == POPI_VERR_IMMATURE, "height %llu: %s", (unsigned long long)h,
                          v.message);
            ck_assert_ptr_nonnull(strstr(v.message, "spendable from height 7"));
            popi_block_free(b);
            append_empty(&c);
        } else {
            ck_assert_msg(code == POPI_VERR_OK, "height 7: %s", v.message);
            append(&c, b);
        }
    }
    ck_assert_uint_eq(tset_balance(&c.set, &c.alice.pk), amount);
    chain_destroy(&c);
}
END_TEST

START_TEST(test_maturity_zero)
{
    chain_t c;
    chain_init(&c, 1);
    c.rules.coinbase_maturity = 0;
    popi_outpoint_t cb0 = op_of(c.blk[0], 0, 0);
    draft_t d;
    popi_tx_t tx;
    popi_ledger_verdict_t v;
    draft_init(&c, &d);
    make_spend(&tx, &cb0, 1, &c.prod, subsidy_at(&c, 0), &c.alice.pk, 0, NULL);
    draft_add(&d, &tx);
    popi_block_t *b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_OK); /* height 1 = 0 + 0 + 1 */
    popi_block_free(b);
    chain_destroy(&c);
}
END_TEST

START_TEST(test_time_rules)
{
    chain_t c;
    chain_init(&c, 3);
    popi_ledger_verdict_t v;
    draft_t d;
    /* Median of 3 ancestors = the middle one (T0 + 10 s); equal is too old, +1 µs is fine. */
    popi_time_t mtp = c.blk[1]->hdr.time;
    ck_assert_int_eq(popi_ledger_median_time_past(make_ctx(&c)->ancestor_times, 3), mtp);
    draft_init(&c, &d);
    d.h.time = mtp;
    popi_block_t *b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_TIME_TOO_OLD);
    popi_block_free(b);
    draft_init(&c, &d);
    d.h.time = mtp + 1; /* earlier than the parent is allowed, as in Bitcoin */
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_OK);
    popi_block_free(b);
    /* Future limit: now + 2 h exactly is fine, one µs more is not. */
    c.now = T0;
    draft_init(&c, &d);
    d.h.time = T0 + 2 * 3600 * POPI_US_PER_S;
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_OK);
    popi_block_free(b);
    draft_init(&c, &d);
    d.h.time = T0 + 2 * 3600 * POPI_US_PER_S + 1;
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_TIME_TOO_NEW);
    popi_block_free(b);
    /* now near INT64_MAX: no overflow, no limit. */
    c.now = INT64_MAX - 5;
    draft_init(&c, &d);
    d.h.time = INT64_MAX;
    b = draft_build(&c, &d);
    ck_assert_int_eq(check(&c, b, NULL, &v), POPI_VERR_OK);
    popi_block_free(b);
    chain_destroy(&c);
}
END_TEST

START_TEST(test_median_time_past)
{
    popi_time_t t[13] = {50, 10, 40, 30, 20, 90, 80, 70, 60, 100, 0, -5, 1000};
    ck_assert_int_eq(popi_ledger_median_time_past(t, 0), INT64_MIN);
    ck_assert_int_eq(popi_ledger_median_time_past(t, 1), 50);
    ck_assert_int_eq(popi_ledger_median_time_past(t, 2), 50);  /* sorted {10,50}[1] */
    ck_assert_int_eq(popi_ledger_median_time_past(t, 4), 40);  /* {10,30,40,50}[2] */
    ck_assert_int_eq(popi_ledger_median_time_past(t, 11), 50); /* {0,10,...,100}[5] */
    ck_assert_int_eq(popi_ledger_median_time_past(t, 13), 50); /* only the first 11 count */
}
END_TEST

/* Bitcoin's schedule: 50 coins halving every 210000 blocks; total issuance 20999999.9769 BTC. */
START_TEST(test_subsidy_halving)
{
    const uint64_t init = 50 * POPI_COIN, iv = 210000;
    ck_assert_uint_eq(popi_ledger_block_subsidy(0, init, iv), 5000000000u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(209999, init, iv), 5000000000u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(210000, init, iv), 2500000000u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(419999, init, iv), 2500000000u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(420000, init, iv), 1250000000u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(630000, init, iv), 625000000u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(32 * iv, init, iv), 1u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(33 * iv, init, iv), 0u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(64 * iv, init, iv), 0u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(UINT64_MAX, UINT64_MAX, 1), 0u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(63, UINT64_MAX, 1), 1u);
    ck_assert_uint_eq(popi_ledger_block_subsidy(123456789, 777, 0), 777u); /* no halving */
    uint64_t total = 0;
    for (uint64_t k = 0; k < 64; k++)
        total += iv * popi_ledger_block_subsidy(k * iv, init, iv);
    ck_assert_uint_eq(total, UINT64_C(2099999997690000));
}
END_TEST

/* Coinbase amounts at their exact limits, with halving, fees and sharing. */
START_TEST(test_coinbase_limits)
{
    chain_t c;
    chain_init(&c, 0);
    c.rules.halving_interval = 4;
    for (int i = 0; i < 8; i++)
        append_empty(&c);
    ck_assert_uint_eq(subsidy_at(&c, 8), c.rules.initial_subsidy >> 2);
    popi_outpoint_t g0 = op_of(c.blk[0], 0, 0), g1 = op_of(c.blk[1], 0, 0);
    uint64_t s0 = subsidy_at(&c, 0), s1 = subsidy_at(&c, 1);
    popi_ledger_verdict_t v;
    for (int over = 0; over <= 1; over++)
        for (int which = 0; which < 3; which++) {
            draft_t d;
            popi_tx_t a, b2;
            draft_init(&c, &d);
            make_spend(&a, &g0, 1, &c.prod, s0 - 30, &c.alice.pk, 0, NULL);
            make_spend(&b2, &g1, 1, &c.prod, s1 - 12, &c.bob.pk, 0, NULL);
            draft_add(&d, &a);
            draft_add(&d, &b2);
            d.fees = 42;
            c.sharing_allowed = 500;
            d.cb_extra[2] = 500;
            if (over) d.cb_extra[which] += 1;
            popi_block_t *blk = draft_build(&c, &d);
            ck_assert_uint_eq(blk->tx[0].out[1].amount, 2 * 1000 + 42 + (over && which == 1));
            popi_ledger_delta_t delta;
            popi_ledger_delta_init(&delta);
            popi_verr_t code = check(&c, blk, &delta, &v);
            static const popi_verr_t expect[3] = {POPI_VERR_CB_SUBSIDY, POPI_VERR_CB_PACKING,
                                                  POPI_VERR_CB_SHARING};
            ck_assert_msg(code == (over ? expect[which] : POPI_VERR_OK), "%s", v.message);
            if (!over) {
                ck_assert_uint_eq(delta.fees, 42);
                ck_assert_uint_eq(v.n_sig_checks, 2);
            }
            popi_ledger_delta_destroy(&delta);
            popi_block_free(blk);
        }
    chain_destroy(&c);
}
END_TEST

/* Chained spends in one block; the delta is net, and undoing it restores the state. */
START_TEST(test_delta_in_block_chain)
{
    chain_t c;
    chain_init(&c, 7);
    popi_outpoint_t g0 = op_of(c.blk[0], 0, 0);
    uint64_t s0 = subsidy_at(&c, 0);
    draft_t d;
    popi_tx_t t1, t2, t3;
    draft_init(&c, &d);
    make_spend(&t1, &g0, 1, &c.prod, s0 - 100, &c.alice.pk, 100, &c.prod.pk);
    popi_outpoint_t a = {t1.txid, 0};
    make_spend(&t2, &a, 1, &c.alice, s0 - 150, &c.bob.pk, 0, NULL);
    popi_outpoint_t bb = {t2.txid, 0};
    make_spend(&t3, &bb, 1, &c.bob, s0 - 160, &c.alice.pk, 0, NULL);
    draft_add(&d, &t1);
    draft_add(&d, &t2);
    draft_add(&d, &t3);
    d.fees = 60; /* t1: 0, t2: 50, t3: 10 */
    popi_block_t *b = draft_build(&c, &d);
    size_t before_n = c.set.n;
    uint64_t prod_before = tset_balance(&c.set, &c.prod.pk);
    popi_ledger_delta_t delta;
    popi_ledger_verdict_t v;
    popi_ledger_delta_init(&delta);
    ck_assert_int_eq(check(&c, b, &delta, &v), POPI_VERR_OK);
    ck_assert_uint_eq(v.n_sig_checks, 3);
    ck_assert_uint_eq(delta.fees, 60);
    ck_assert_uint_eq(delta.n_spent, 1); /* only g0 came from the parent */
    ck_assert(popi_outpoint_eq(&delta.spent[0].op, &g0));
    ck_assert_uint_eq(delta.spent[0].utxo.amount, s0);
    ck_assert(delta.spent[0].utxo.coinbase);
    ck_assert_uint_eq(delta.spent[0].utxo.height, 0);
    /* created: coinbase's 2 outputs, t1's change, t3's output (t1:0 and t2:0 were consumed) */
    ck_assert_uint_eq(delta.n_created, 4);
    ck_assert(popi_hash_eq(&delta.created[0].op.txid, &b->tx[0].txid));
    ck_assert(delta.created[0].utxo.coinbase);
    ck_assert_uint_eq(delta.created[0].utxo.height, 7);
    ck_assert(popi_hash_eq(&delta.created[2].op.txid, &b->tx[1].txid));
    ck_assert_uint_eq(delta.created[2].op.index, 1);
    ck_assert(!delta.created[2].utxo.coinbase);
    ck_assert(popi_hash_eq(&delta.created[3].op.txid, &b->tx[3].txid));
    ck_assert_uint_eq(delta.created[3].utxo.amount, s0 - 160);
    tset_apply(&c.set, &delta);
    ck_assert_uint_eq(tset_balance(&c.set, &c.alice.pk), s0 - 160);
    ck_assert_uint_eq(tset_balance(&c.set, &c.bob.pk), 0);
    ck_assert_uint_eq(tset_balance(&c.set, &c.prod.pk),
                      prod_before - s0 + 100 + subsidy_at(&c, 7) + 3 * 1000 + 60);
    tset_undo(&c.set, &delta);
    ck_assert_uint_eq(c.set.n, before_n);
    ck_assert_uint_eq(tset_balance(&c.set, &c.prod.pk), prod_before);
    ck_assert_uint_eq(tset_balance(&c.set, &c.alice.pk), 0);
    /* Validating again after the undo gives the same verdict and delta. */
    popi_ledger_delta_t again;
    popi_ledger_delta_init(&again);
    ck_assert_int_eq(check(&c, b, &again, &v), POPI_VERR_OK);
    ck_assert_uint_eq(again.n_created, delta.n_created);
    ck_assert_mem_eq(again.created, delta.created, delta.n_created * sizeof *delta.created);
    popi_ledger_delta_destroy(&again);
    popi_ledger_delta_destroy(&delta);
    popi_block_free(b);
    chain_destroy(&c);
}
END_TEST

/* The three stages run separately give the same answers as the whole. */
START_TEST(test_stages_and_real_pow)
{
    chain_t c;
    chain_init(&c, 2);
    c.rules.check_proof = popi_ledger_proof_pow_bits;
    draft_t d;
    draft_init(&c, &d);
    ck_assert_int_eq(popi_target_bits_for_zero_bits(10, &d.h.bits), POPI_OK);
    popi_tx_coinbase(&d.tx[0], d.h.height, &c.prod.pk, 1, 0, NULL, 0);
    d.custom_cb = true;
    popi_block_merkle_root(d.tx, 1, &d.h.merkle_root, NULL);
    d.keep_root = true;
    d.h.nonce = popi_test_seed(17);
    ck_assert_int_eq(popi_block_grind(&d.h, UINT64_C(1) << 22, NULL), POPI_OK);
    popi_block_t *b = draft_build(&c, &d);
    ck_assert(popi_block_meets_bits(b));
    popi_ledger_verdict_t v;
    const popi_ledger_context_t *ctx = make_ctx(&c);
    ck_assert_int_eq(popi_ledger_check_block(b, &c.rules, &v), POPI_VERR_OK);
    ck_assert_int_eq(popi_ledger_check_header(b, &c.rules, ctx, &v), POPI_VERR_OK);
    ck_assert_int_eq(popi_ledger_check_inputs(b, &c.rules, ctx, NULL, &v), POPI_VERR_OK);
    ck_assert_str_eq(v.message, "block 2: valid");
    append(&c, b);
    chain_destroy(&c);
}
END_TEST

/* Random transfers among four wallets, checked against a reference balance model. */
START_TEST(test_random_workload)
{
    uint64_t seed = popi_test_seed(2024);
    popi_rng_t rng;
    popi_rng_init(&rng, seed, 0, POPI_STREAM_CONSENSUS);
    chain_t c;
    chain_init(&c, 0);
    c.rules.coinbase_maturity = 2;
    popi_keypair_t w[4];
    for (int i = 0; i < 4; i++)
        popi_crypto_keypair_from_u64(&w[i], 500 + (uint64_t)i);
    w[0] = c.prod;
    uint64_t ref[4] = {0};
    uint64_t mined = 0;
    int n_transfers = 0;
    for (int blk = 0; blk < 30; blk++) {
        draft_t d;
        draft_init(&c, &d);
        uint64_t fees = 0;
        /* Up to 3 transfers: the sender spends all its mature outputs (taken in order). */
        for (int k = 0; k < 3 && d.n < 7; k++) {
            int from = (int)popi_rng_below(&rng, 4), to = (int)popi_rng_below(&rng, 4);
            popi_outpoint_t ops[32];
            uint64_t have = 0;
            uint32_t n_ops = 0;
            for (size_t i = 0; i < c.set.n && n_ops < 32; i++) {
                const tentry_t *t = &c.set.v[i];
                if (t->spent || memcmp(t->e.utxo.owner.b, w[from].pk.b, 32)) continue;
                if (t->e.utxo.coinbase && d.h.height < t->e.utxo.height + 3) continue;
                bool used = false; /* not already spent in this draft */
                for (uint32_t x = 1; x < d.n && !used; x++)
                    for (uint32_t y = 0; y < d.tx[x].n_in; y++)
                        if (popi_outpoint_eq(&d.tx[x].in[y].prev, &t->e.op)) used = true;
                if (used) continue;
                ops[n_ops++] = t->e.op;
                have += t->e.utxo.amount;
            }
            if (n_ops == 0 || have == 0) continue;
            /* popi_rng_below is limited to the generator's 32-bit range: scale a uniform */
            uint64_t pay = 1 + (uint64_t)(popi_rng_uniform(&rng) * (double)(have - 1));
            uint64_t fee = (have - pay) / 10;
            popi_tx_t tx;
            make_spend(&tx, ops, n_ops, &w[from], pay, &w[to].pk, have - pay - fee, &w[from].pk);
            draft_add(&d, &tx);
            ref[from] -= have;
            ref[to] += pay;
            ref[from] += have - pay - fee;
            fees += fee;
            n_transfers++;
        }
        d.fees = fees;
        uint64_t reward = subsidy_at(&c, d.h.height) + c.rules.packing_per_tx * (d.n - 1) + fees;
        append(&c, draft_build(&c, &d));
        ref[0] += reward;
        mined += subsidy_at(&c, d.h.height) + c.rules.packing_per_tx * (d.n - 1);
    }
    uint64_t total = 0;
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(tset_balance(&c.set, &w[i].pk) == ref[i],
                      "wallet %d: ledger %llu, reference %llu (seed %llu)", i,
                      (unsigned long long)tset_balance(&c.set, &w[i].pk),
                      (unsigned long long)ref[i], (unsigned long long)seed);
        total += ref[i];
    }
    ck_assert_uint_eq(total, mined); /* fees move coins, they do not create them */
    ck_assert_msg(n_transfers >= 20, "only %d transfers (seed %llu)", n_transfers,
                  (unsigned long long)seed);
    popi_rng_destroy(&rng);
    chain_destroy(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_every_error_code, 1, POPI_VERR__COUNT);
    tcase_add_test(tc, test_error_names);
    tcase_add_test(tc, test_error_variants);
    tcase_add_test(tc, test_maturity_boundary);
    tcase_add_test(tc, test_maturity_zero);
    tcase_add_test(tc, test_time_rules);
    tcase_add_test(tc, test_median_time_past);
    tcase_add_test(tc, test_subsidy_halving);
    tcase_add_test(tc, test_coinbase_limits);
    tcase_add_test(tc, test_delta_in_block_chain);
    tcase_add_test(tc, test_stages_and_real_pow);
    tcase_add_test(tc, test_random_workload);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
