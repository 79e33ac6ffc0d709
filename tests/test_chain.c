/* SPDX-License-Identifier: MIT */
/*
 * test_chain.c - chain views and mempools: extension, side branches and first-seen ties, reorgs
 * checked against a from-scratch replay of the winning branch (balances and the mempool taking
 * back the abandoned branch's still-valid transactions), orphans connecting in every order of a
 * short chain, invalid blocks and their descendants rejected and remembered, the mempool's
 * conflict rules, templates, real proof-of-work mining, chain files, and a randomised two-miner
 * workload with delayed delivery checked against the reference model.
 */
#include "popi/chain.h"
#include "popi/chainfile.h"

#include "ledger_fixture.h"

#include <stdio.h>
#include <unistd.h>

typedef struct {
    popi_store_config_t cfg;
    popi_store_t *s;
    popi_keypair_t key[FX_NKEYS];
} cfx_t;

static void cfx_init(cfx_t *f, uint32_t maturity)
{
    memset(f, 0, sizeof *f);
    fx_keys(f->key);
    popi_store_config_default(&f->cfg, POPI_CONSENSUS_POW);
    fx_rules(&f->cfg.rules, maturity);
    ck_assert_int_eq(popi_store_create(&f->cfg, &f->s), POPI_OK);
}

/* A stored block on @p parent (NULL = genesis) holding @p txs (moved in). */
static popi_store_node_t *mk(cfx_t *f, const popi_store_node_t *parent, popi_tx_t *txs, uint32_t n,
                             uint64_t fees, uint64_t salt)
{
    fx_opts_t o;
    memset(&o, 0, sizeof o);
    o.salt = salt;
    popi_block_t *b =
        fx_block(&f->cfg.rules, parent ? parent->block : NULL, &f->key[0].pk, txs, n, fees, &o);
    return popi_store_add(f->s, b, NULL);
}

static popi_chain_outcome_t submit(popi_chain_t *c, popi_store_node_t *n, popi_chain_result_t *r)
{
    popi_chain_result_t local;
    if (!r) r = &local;
    ck_assert_int_eq(popi_chain_submit(c, n, INT64_MAX - 1, r), POPI_OK);
    return r->outcome;
}

/* Balances at the view's tip equal a replay of its best chain, for every wallet. */
static void check_against_replay(cfx_t *f, popi_chain_t *c, fx_ref_t *out)
{
    const popi_store_node_t *path[512];
    size_t k = 0;
    for (const popi_store_node_t *x = c->tip; x; x = x->parent)
        path[k++] = x;
    fx_ref_t ref;
    memset(&ref, 0, sizeof ref);
    while (k)
        fx_ref_apply(&ref, path[--k]->block);
    for (int w = 0; w < FX_NKEYS; w++) {
        popi_store_balance_t bal;
        ck_assert_int_eq(popi_chain_balance(c, &f->key[w].pk, &bal), POPI_OK);
        ck_assert_msg(bal.total == fx_ref_balance(&ref, &f->key[w].pk),
                      "wallet %d: store %llu, replay %llu", w, (unsigned long long)bal.total,
                      (unsigned long long)fx_ref_balance(&ref, &f->key[w].pk));
    }
    if (out)
        *out = ref;
    else
        fx_ref_destroy(&ref);
}

/* ---- fork choice ---- */

START_TEST(test_extend_side_tie)
{
    cfx_t f;
    cfx_init(&f, 5);
    popi_store_node_t *g = mk(&f, NULL, NULL, 0, 0, 0);
    popi_store_node_t *a1 = mk(&f, g, NULL, 0, 0, 1), *b1 = mk(&f, g, NULL, 0, 0, 2);
    popi_store_node_t *b2 = mk(&f, b1, NULL, 0, 0, 0);
    popi_chain_t A, B;
    popi_chain_init(&A, f.s, NULL);
    popi_chain_init(&B, f.s, NULL);
    ck_assert_int_eq(popi_chain_height(&A), -1);
    popi_store_balance_t bal;
    ck_assert_int_eq(popi_chain_balance(&A, &f.key[0].pk, &bal), POPI_ESTATE);
    popi_chain_result_t r;
    ck_assert_int_eq(submit(&A, g, &r), POPI_CHAIN_TIP);
    ck_assert_uint_eq(r.n_validated, 1);
    ck_assert_str_eq(r.verdict.message, "block 0: valid");
    ck_assert_int_eq(submit(&A, a1, NULL), POPI_CHAIN_TIP);
    ck_assert_int_eq(submit(&A, b1, &r), POPI_CHAIN_SIDE); /* equal weight: first seen stays */
    ck_assert_ptr_eq(A.tip, a1);
    ck_assert(popi_chain_knows(&A, b1));
    ck_assert_int_eq(submit(&A, a1, NULL), POPI_CHAIN_DUPLICATE);
    ck_assert_int_eq(submit(&A, b1, NULL), POPI_CHAIN_DUPLICATE);
    ck_assert_int_eq(submit(&A, b2, &r), POPI_CHAIN_TIP);
    ck_assert_uint_eq(r.reorg_depth, 1);
    ck_assert_uint_eq(A.n_reorgs, 1);
    ck_assert_ptr_eq(A.tip, b2);
    ck_assert(popi_chain_knows(&A, a1)); /* the abandoned block stays known */
    ck_assert(popi_chain_knows(&A, b1));
    ck_assert_int_eq(popi_chain_height(&A), 2);
    /* B sees b1 first: its tie goes the other way; memoised verdicts cost no validation. */
    ck_assert_int_eq(submit(&B, g, &r), POPI_CHAIN_TIP);
    ck_assert_uint_eq(r.n_validated, 0);
    ck_assert_uint_eq(r.cost.bytes, g->block->size); /* still charged */
    ck_assert_int_eq(submit(&B, b1, NULL), POPI_CHAIN_TIP);
    ck_assert_int_eq(submit(&B, a1, NULL), POPI_CHAIN_SIDE);
    ck_assert_ptr_eq(B.tip, b1);
    ck_assert(!popi_chain_knows(&B, b2));
    ck_assert(!popi_chain_knows(&B, NULL));
    popi_chain_destroy(&A);
    popi_chain_destroy(&B);
    popi_chain_destroy(&B); /* twice is fine */
    popi_store_free(f.s);
    ck_assert_str_eq(popi_chain_outcome_name(POPI_CHAIN_NOT_YET), "not-yet");
    ck_assert_str_eq(popi_chain_outcome_name((popi_chain_outcome_t)42), "?");
}
END_TEST

/* ---- reorg: balances and mempool ---- */

START_TEST(test_reorg_and_mempool)
{
    cfx_t f;
    cfx_init(&f, 1);
    popi_keypair_t *K = f.key;
    uint64_t s0 = f.cfg.rules.initial_subsidy;
    popi_store_node_t *g = mk(&f, NULL, NULL, 0, 0, 0);
    popi_store_node_t *h1 = mk(&f, g, NULL, 0, 0, 0), *h2 = mk(&f, h1, NULL, 0, 0, 0);
    popi_outpoint_t cb0 = {g->block->tx[0].txid, 0}, cb1 = {h1->block->tx[0].txid, 0};
    popi_tx_t t[3], tb;
    fx_spend(&t[0], &cb0, 1, &K[0], s0 - 10, &K[1].pk, 0, NULL); /* tx1 */
    fx_spend(&t[1], &cb1, 1, &K[0], s0 - 10, &K[2].pk, 0, NULL); /* tx2 */
    popi_outpoint_t o1 = {t[0].txid, 0};
    fx_spend(&t[2], &o1, 1, &K[1], s0 - 20, &K[3].pk, 0, NULL); /* tx3, spends tx1 */
    fx_spend(&tb, &cb1, 1, &K[0], s0 - 5, &K[4].pk, 0, NULL);   /* conflicts with tx2 */
    popi_hash_t id1 = t[0].txid, id2 = t[1].txid, id3 = t[2].txid, idb = tb.txid;
    popi_store_node_t *a3 = mk(&f, h2, t, 3, 30, 1), *a4 = mk(&f, a3, NULL, 0, 0, 1);
    popi_store_node_t *b3 = mk(&f, h2, &tb, 1, 5, 2), *b4 = mk(&f, b3, NULL, 0, 0, 2);
    popi_store_node_t *b5 = mk(&f, b4, NULL, 0, 0, 2);

    popi_mempool_t *mp = popi_mempool_create(f.s, 0);
    popi_chain_t c;
    popi_chain_init(&c, f.s, mp);
    popi_store_node_t *seq[] = {g, h1, h2, a3, a4, b3, b4};
    for (size_t i = 0; i < sizeof seq / sizeof *seq; i++)
        submit(&c, seq[i], NULL);
    ck_assert_ptr_eq(c.tip, a4); /* b4 ties a4, seen later */
    check_against_replay(&f, &c, NULL);
    popi_store_balance_t bal;
    popi_chain_balance(&c, &K[3].pk, &bal);
    ck_assert_uint_eq(bal.total, s0 - 20);
    ck_assert_uint_eq(popi_mempool_count(mp), 0);

    popi_chain_result_t r;
    ck_assert_int_eq(submit(&c, b5, &r), POPI_CHAIN_TIP);
    ck_assert_uint_eq(r.reorg_depth, 2);
    check_against_replay(&f, &c, NULL);
    popi_chain_balance(&c, &K[3].pk, &bal);
    ck_assert_uint_eq(bal.total, 0);
    popi_chain_balance(&c, &K[4].pk, &bal);
    ck_assert_uint_eq(bal.total, s0 - 5);
    /* tx1 and tx3 come back; tx2 conflicts with the new branch. */
    ck_assert_uint_eq(r.mempool.n_taken_back, 2);
    ck_assert_uint_eq(r.mempool.n_dropped, 1);
    ck_assert(popi_mempool_contains(mp, &id1));
    ck_assert(popi_mempool_contains(mp, &id3));
    ck_assert(!popi_mempool_contains(mp, &id2));
    size_t pos = 0;
    ck_assert(popi_hash_eq(&popi_mempool_next(mp, &pos)->txid, &id1)); /* parents first */
    ck_assert(popi_hash_eq(&popi_mempool_next(mp, &pos)->txid, &id3));
    ck_assert_ptr_null(popi_mempool_next(mp, &pos));

    /* Mine the taken-back transactions on the new branch. */
    popi_chain_template_t tpl;
    ck_assert_int_eq(popi_chain_template(&c, &K[5].pk, 0, 0x207fffff, NULL, 0, &tpl), POPI_OK);
    ck_assert_uint_eq(tpl.n_tx, 3);
    ck_assert_uint_eq(tpl.fees, 20);
    ck_assert_uint_eq(tpl.tx[0].out[1].amount, 2 * 1000 + 20);
    ck_assert_int_gt(tpl.hdr.time, b5->block->hdr.time - 100 * POPI_US_PER_S); /* mtp + 1 */
    popi_block_t *blk;
    ck_assert_int_eq(popi_chain_template_finish(&tpl, &blk), POPI_OK);
    popi_chain_template_destroy(&tpl);
    popi_store_node_t *b6;
    ck_assert_int_eq(popi_chain_submit_block(&c, blk, INT64_MAX - 1, &r, &b6), POPI_OK);
    ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP);
    ck_assert_uint_eq(r.mempool.n_confirmed, 2);
    ck_assert_uint_eq(popi_mempool_count(mp), 0);
    check_against_replay(&f, &c, NULL);
    popi_chain_balance(&c, &K[3].pk, &bal);
    ck_assert_uint_eq(bal.total, s0 - 20);

    /* Back to branch a, now heavier: tb conflicts with tx2 and is dropped; tx1/tx3 are in a3. */
    popi_store_node_t *a5 = mk(&f, a4, NULL, 0, 0, 1), *a6 = mk(&f, a5, NULL, 0, 0, 1);
    popi_store_node_t *a7 = mk(&f, a6, NULL, 0, 0, 1);
    submit(&c, a5, NULL);
    submit(&c, a6, NULL);
    ck_assert_ptr_eq(c.tip, b6); /* a6 ties b6 */
    ck_assert_int_eq(submit(&c, a7, &r), POPI_CHAIN_TIP);
    ck_assert_uint_eq(r.reorg_depth, 4);
    ck_assert_uint_eq(r.mempool.n_taken_back, 0);
    ck_assert_uint_eq(r.mempool.n_dropped, 1); /* tb */
    ck_assert(!popi_mempool_contains(mp, &idb));
    check_against_replay(&f, &c, NULL);
    ck_assert_uint_eq(c.n_reorgs, 2);
    ck_assert_uint_eq(c.max_reorg_depth, 4);
    popi_chain_destroy(&c);
    popi_mempool_free(mp);
    popi_store_free(f.s);
}
END_TEST

/* ---- orphans ---- */

static bool next_permutation(int *a, int n)
{
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0) return false;
    int j = n - 1;
    while (a[j] <= a[i])
        j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return true;
}

START_TEST(test_orphans_every_order)
{
    cfx_t f;
    cfx_init(&f, 5);
    enum { N = 6 };
    popi_store_node_t *n[N];
    n[0] = mk(&f, NULL, NULL, 0, 0, 0);
    for (int i = 1; i < N; i++)
        n[i] = mk(&f, n[i - 1], NULL, 0, 0, 0);
    int perm[N], count = 0;
    for (int i = 0; i < N; i++)
        perm[i] = i;
    do {
        popi_chain_t c;
        popi_chain_init(&c, f.s, NULL);
        uint32_t connected = 0;
        for (int k = 0; k < N; k++) {
            popi_chain_result_t r;
            popi_chain_outcome_t o = submit(&c, n[perm[k]], &r);
            /* It connects exactly when all its ancestors were submitted before it. */
            bool ancestors_seen = true;
            for (int a = 0; a < perm[k]; a++) {
                bool seen = false;
                for (int j = 0; j < k; j++)
                    seen |= perm[j] == a;
                ancestors_seen &= seen;
            }
            ck_assert_int_eq(o, ancestors_seen ? POPI_CHAIN_TIP : POPI_CHAIN_ORPHAN);
            if (o == POPI_CHAIN_ORPHAN) {
                ck_assert(popi_chain_has_orphan(&c, n[perm[k]]));
                ck_assert_int_eq(submit(&c, n[perm[k]], NULL), POPI_CHAIN_DUPLICATE);
            }
            connected += r.n_connected;
        }
        ck_assert_uint_eq(connected, N);
        ck_assert_ptr_eq(c.tip, n[N - 1]);
        ck_assert_uint_eq(c.n_orphans, 0);
        popi_chain_destroy(&c);
        count++;
    } while (next_permutation(perm, N));
    ck_assert_int_eq(count, 720);
    popi_store_stats_t st;
    popi_store_stats(f.s, &st);
    ck_assert_uint_eq(st.n_validations, N); /* each block validated once for 720 views */
    /* The orphan list is bounded: the oldest go first. */
    popi_chain_t c;
    popi_chain_init(&c, f.s, NULL);
    c.max_orphans = 2;
    for (int i = N - 1; i >= 1; i--)
        submit(&c, n[i], NULL);
    ck_assert_uint_eq(c.n_orphans, 2);
    ck_assert(popi_chain_has_orphan(&c, n[1]) && popi_chain_has_orphan(&c, n[2]));
    submit(&c, n[0], NULL);
    ck_assert_ptr_eq(c.tip, n[2]);
    popi_chain_destroy(&c);
    popi_store_free(f.s);
}
END_TEST

START_TEST(test_invalid_descendants)
{
    cfx_t f;
    cfx_init(&f, 5);
    popi_store_node_t *g = mk(&f, NULL, NULL, 0, 0, 0), *b1 = mk(&f, g, NULL, 0, 0, 0);
    fx_opts_t o;
    memset(&o, 0, sizeof o);
    o.extra_subsidy = 1;
    popi_store_node_t *x =
        popi_store_add(f.s, fx_block(&f.cfg.rules, b1->block, &f.key[0].pk, NULL, 0, 0, &o), NULL);
    popi_store_node_t *y = mk(&f, x, NULL, 0, 0, 0), *z = mk(&f, y, NULL, 0, 0, 0);
    popi_chain_t c;
    popi_chain_init(&c, f.s, NULL);
    popi_chain_result_t r;
    ck_assert_int_eq(submit(&c, z, NULL), POPI_CHAIN_ORPHAN);
    ck_assert_int_eq(submit(&c, y, NULL), POPI_CHAIN_ORPHAN);
    submit(&c, g, NULL);
    submit(&c, b1, NULL);
    ck_assert_int_eq(submit(&c, x, &r), POPI_CHAIN_INVALID);
    ck_assert_int_eq(r.verdict.code, POPI_VERR_CB_SUBSIDY);
    ck_assert_uint_eq(r.n_rejected, 3); /* x and its two waiting descendants */
    ck_assert_uint_eq(c.n_orphans, 0);
    ck_assert_ptr_eq(c.tip, b1);
    /* Remembered: resubmissions and new descendants are refused without validation. */
    ck_assert_int_eq(submit(&c, y, &r), POPI_CHAIN_INVALID);
    ck_assert_uint_eq(r.n_validated, 0);
    ck_assert_ptr_nonnull(strstr(r.verdict.message, "builds on invalid block 2"));
    popi_store_node_t *w = mk(&f, z, NULL, 0, 0, 0);
    ck_assert_int_eq(w->status, POPI_STORE_INVALID_PARENT);
    ck_assert_int_eq(submit(&c, w, &r), POPI_CHAIN_INVALID);
    ck_assert_uint_eq(x->n_validations, 1);
    /* A view that never saw x refuses its descendants too (the store remembers). */
    popi_chain_t d;
    popi_chain_init(&d, f.s, NULL);
    ck_assert_int_eq(submit(&d, z, NULL), POPI_CHAIN_INVALID);
    popi_chain_destroy(&d);
    /* The honest chain continues. */
    ck_assert_int_eq(submit(&c, mk(&f, b1, NULL, 0, 0, 5), NULL), POPI_CHAIN_TIP);
    popi_chain_destroy(&c);
    popi_store_free(f.s);
}
END_TEST

START_TEST(test_not_yet)
{
    cfx_t f;
    cfx_init(&f, 5);
    popi_store_node_t *g = mk(&f, NULL, NULL, 0, 0, 0);
    fx_opts_t o;
    memset(&o, 0, sizeof o);
    o.time = g->block->hdr.time + 3 * 3600 * POPI_US_PER_S;
    popi_store_node_t *late =
        popi_store_add(f.s, fx_block(&f.cfg.rules, g->block, &f.key[0].pk, NULL, 0, 0, &o), NULL);
    popi_chain_t c;
    popi_chain_init(&c, f.s, NULL);
    popi_chain_result_t r;
    popi_time_t now = g->block->hdr.time;
    ck_assert_int_eq(popi_chain_submit(&c, g, now, &r), POPI_OK);
    ck_assert_int_eq(popi_chain_submit(&c, late, now, &r), POPI_OK);
    ck_assert_int_eq(r.outcome, POPI_CHAIN_NOT_YET);
    ck_assert_int_eq(r.verdict.code, POPI_VERR_TIME_TOO_NEW);
    ck_assert(!popi_chain_knows(&c, late));
    ck_assert(!popi_chain_has_orphan(&c, late));
    ck_assert_int_eq(popi_chain_submit(&c, late, o.time, &r), POPI_OK);
    ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP);
    popi_chain_destroy(&c);
    popi_store_free(f.s);
}
END_TEST

/* ---- the mempool ---- */

START_TEST(test_mempool_rules)
{
    cfx_t f;
    cfx_init(&f, 1);
    popi_keypair_t *K = f.key;
    uint64_t s0 = f.cfg.rules.initial_subsidy;
    popi_mempool_t *mp = popi_mempool_create(f.s, 4);
    popi_mempool_result_t res;
    popi_tx_t tx;
    popi_outpoint_t ghost;
    memset(&ghost, 7, sizeof ghost);
    ghost.index = 0;
    fx_spend(&tx, &ghost, 1, &K[0], 1, &K[1].pk, 0, NULL);
    ck_assert_int_eq(popi_mempool_add(mp, &tx, &res), POPI_ESTATE);
    popi_tx_destroy(&tx);
    ck_assert_ptr_null(popi_mempool_tip(mp));
    uint64_t amount;
    ck_assert_int_eq(popi_mempool_spendable(mp, &K[0].pk, &amount), POPI_ESTATE);

    popi_chain_t c;
    popi_chain_init(&c, f.s, mp);
    popi_store_node_t *n[4];
    n[0] = mk(&f, NULL, NULL, 0, 0, 0);
    submit(&c, n[0], NULL);
    for (int i = 1; i < 4; i++) {
        n[i] = mk(&f, n[i - 1], NULL, 0, 0, 0);
        submit(&c, n[i], NULL);
    }
    ck_assert_ptr_eq(popi_mempool_tip(mp), n[3]);
    ck_assert_int_eq(popi_mempool_set_tip(mp, NULL, NULL), POPI_ESTATE);
    popi_outpoint_t cb[4];
    for (int i = 0; i < 4; i++) {
        cb[i].txid = n[i]->block->tx[0].txid;
        cb[i].index = 0;
    }
    /* Spendable at next height 4 with maturity 1: coinbases 0, 1, 2 (h + 2 <= 4). */
    ck_assert_int_eq(popi_mempool_spendable(mp, &K[0].pk, &amount), POPI_OK);
    ck_assert_uint_eq(amount, 3 * s0);

    popi_tx_t a, a2, b, chained, bad, imm, cbx;
    fx_spend(&a, &cb[0], 1, &K[0], s0 - 100, &K[1].pk, 0, NULL);
    ck_assert_int_eq(popi_mempool_add(mp, &a, &res), POPI_OK);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
    ck_assert_uint_eq(res.fee, 100);
    ck_assert_int_eq(popi_mempool_add(mp, &a, &res), POPI_OK);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_DUPLICATE);
    fx_spend(&a2, &cb[0], 1, &K[0], s0 - 1, &K[2].pk, 0, NULL);
    popi_mempool_add(mp, &a2, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_CONFLICT);
    ck_assert_int_eq(res.verdict.code, POPI_VERR_INPUT_SPENT);
    popi_outpoint_t ao = {a.txid, 0};
    fx_spend(&chained, &ao, 1, &K[1], s0 - 200, &K[3].pk, 0, NULL);
    popi_mempool_add(mp, &chained, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
    fx_spend(&bad, &cb[1], 1, &K[1], s0, &K[3].pk, 0, NULL);
    popi_mempool_add(mp, &bad, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_INVALID);
    ck_assert_int_eq(res.verdict.code, POPI_VERR_SIG);
    fx_spend(&imm, &cb[3], 1, &K[0], s0, &K[3].pk, 0, NULL);
    popi_mempool_add(mp, &imm, &res);
    ck_assert_int_eq(res.verdict.code, POPI_VERR_IMMATURE);
    ck_assert_int_eq(popi_tx_coinbase(&cbx, 4, &K[0].pk, 1, 0, NULL, 0), POPI_OK);
    popi_mempool_add(mp, &cbx, &res);
    ck_assert_int_eq(res.verdict.code, POPI_VERR_EXTRA_COINBASE);
    ck_assert_uint_eq(popi_mempool_count(mp), 2);
    ck_assert_str_eq(popi_mempool_outcome_name(POPI_MEMPOOL_DOUBLE_SPEND), "double-spend");
    ck_assert_str_eq(popi_mempool_outcome_name((popi_mempool_outcome_t)99), "?");

    /* Selection: parents first; a skipped parent takes its child with it. */
    const popi_tx_t **sel;
    size_t ns;
    uint64_t fees;
    popi_mempool_select(mp, 10, 100000, &sel, &ns, &fees);
    ck_assert_uint_eq(ns, 2);
    ck_assert_uint_eq(fees, 100 + 100);
    free(sel);
    popi_mempool_select(mp, 1, 100000, &sel, &ns, &fees);
    ck_assert_uint_eq(ns, 1);
    ck_assert(popi_hash_eq(&sel[0]->txid, &a.txid));
    free(sel);
    popi_mempool_select(mp, 10, a.size - 1, &sel, &ns, &fees);
    ck_assert_uint_eq(ns, 0);
    free(sel);

    /* A block that spends cb[0] differently: a and its child leave as conflicts. */
    popi_tx_t rival, rival_mined;
    fx_spend(&rival, &cb[0], 1, &K[0], s0 - 3, &K[6].pk, 0, NULL);
    popi_tx_copy(&rival_mined, &rival);
    popi_chain_result_t r;
    ck_assert_int_eq(submit(&c, mk(&f, n[3], &rival_mined, 1, 3, 0), &r), POPI_CHAIN_TIP);
    ck_assert_uint_eq(r.mempool.n_conflicts, 2);
    ck_assert_uint_eq(popi_mempool_count(mp), 0);
    /* Spending what the chain already spent: a double spend against the tip. */
    popi_mempool_add(mp, &a, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_DOUBLE_SPEND);
    popi_mempool_add(mp, &rival, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_CONFIRMED);
    ck_assert_uint_eq(popi_mempool_spendable(mp, &K[6].pk, &amount), POPI_OK);
    ck_assert_uint_eq(amount, s0 - 3);

    /* Payments: errors, then change and chaining on unconfirmed change. */
    popi_hash_t id;
    ck_assert_int_eq(popi_mempool_pay(mp, &K[6], &K[7].pk, 0, 0, &res, &id), POPI_EINVAL);
    ck_assert_int_eq(popi_mempool_pay(mp, &K[6], &K[7].pk, POPI_MAX_MONEY, 1, &res, &id),
                     POPI_EINVAL);
    ck_assert_int_eq(popi_mempool_pay(mp, &K[6], &K[7].pk, s0, 0, &res, &id), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "insufficient funds"));
    ck_assert_int_eq(popi_mempool_pay(mp, &K[6], &K[7].pk, 1000, 10, &res, &id), POPI_OK);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
    ck_assert_int_eq(popi_mempool_pay(mp, &K[6], &K[7].pk, 2000, 10, &res, NULL), POPI_OK);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED); /* spends the first one's change */
    ck_assert_uint_eq(popi_mempool_spendable(mp, &K[6].pk, &amount), POPI_OK);
    ck_assert_uint_eq(amount, s0 - 3 - 3000 - 20);
    ck_assert_uint_eq(popi_mempool_spendable(mp, &K[7].pk, &amount), POPI_OK);
    ck_assert_uint_eq(amount, 3000);
    /* Full. */
    fx_spend(&b, &cb[1], 1, &K[0], s0 - 1, &K[2].pk, 0, NULL);
    popi_mempool_add(mp, &b, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
    fx_spend(&tx, &cb[2], 1, &K[0], s0 - 1, &K[2].pk, 0, NULL);
    popi_mempool_add(mp, &tx, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
    popi_mempool_add(mp, &a2, &res);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_FULL);
    ck_assert(popi_mempool_bytes(mp) > 4 * sizeof(popi_tx_t));
    popi_tx_t *all[] = {&a, &a2, &b, &chained, &bad, &imm, &cbx, &tx, &rival, &rival_mined};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        popi_tx_destroy(all[i]);
    popi_chain_destroy(&c);
    popi_mempool_free(mp);
    popi_mempool_free(NULL);
    popi_store_free(f.s);
}
END_TEST

/* ---- mining and files ---- */

START_TEST(test_mine_pow_and_files)
{
    cfx_t f;
    memset(&f, 0, sizeof f);
    fx_keys(f.key);
    popi_store_config_default(&f.cfg, POPI_CONSENSUS_POW);
    fx_rules(&f.cfg.rules, 1);
    f.cfg.rules.check_proof = popi_ledger_proof_pow_bits;
    ck_assert_int_eq(popi_store_create(&f.cfg, &f.s), POPI_OK);
    popi_mempool_t *mp = popi_mempool_create(f.s, 0);
    popi_chain_t c;
    popi_chain_init(&c, f.s, mp);
    char *dir = popi_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/chain.bin", dir);
    ck_assert_int_eq(popi_chain_save(&c, path), POPI_ESTATE);
    popi_time_t t = 1700000000 * POPI_US_PER_S;
    popi_chain_result_t r;
    popi_store_node_t *node;
    uint64_t tries;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(popi_chain_mine_pow(&c, &f.key[0].pk, t + i * POPI_US_PER_S, 10,
                                             popi_test_seed(1) << 20, UINT64_C(1) << 24, &r, &node,
                                             &tries),
                         POPI_OK);
        ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP);
        ck_assert_uint_ge(popi_hash_leading_zero_bits(&node->block->hash), 10);
        ck_assert_uint_ge(tries, 1);
    }
    popi_mempool_result_t res;
    ck_assert_int_eq(popi_mempool_pay(&(*mp), &f.key[0], &f.key[1].pk, 12345, 5, &res, NULL),
                     POPI_OK);
    ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
    ck_assert_int_eq(popi_chain_mine_pow(&c, &f.key[2].pk, t + 10 * POPI_US_PER_S, 8, 0,
                                         UINT64_C(1) << 24, &r, &node, NULL),
                     POPI_OK);
    ck_assert_uint_eq(node->block->n_tx, 2);
    ck_assert_uint_eq(popi_mempool_count(mp), 0);
    /* Errors: impossible difficulty, and a budget too small (nothing stored). */
    ck_assert_int_eq(popi_chain_mine_pow(&c, &f.key[0].pk, t, 256, 0, 10, &r, NULL, NULL),
                     POPI_EINVAL);
    size_t before = popi_store_count(f.s);
    ck_assert_int_eq(popi_chain_mine_pow(&c, &f.key[0].pk, t, 60, 0, 100, &r, &node, &tries),
                     POPI_ENOTFOUND);
    ck_assert_ptr_null(node);
    ck_assert_uint_eq(tries, 100);
    ck_assert_uint_eq(popi_store_count(f.s), before);
    /* Save and load into a fresh store: same tip, same balances. */
    ck_assert_int_eq(popi_chain_save(&c, path), POPI_OK);
    popi_store_t *s2;
    ck_assert_int_eq(popi_store_create(&f.cfg, &s2), POPI_OK);
    popi_chain_t c2;
    popi_chain_init(&c2, s2, NULL);
    popi_chain_load_t st;
    ck_assert_int_eq(popi_chain_load(&c2, path, t + 100 * POPI_US_PER_S, &st), POPI_OK);
    ck_assert_uint_eq(st.n_blocks, 5);
    ck_assert_uint_eq(st.n_connected, 5);
    ck_assert_uint_eq(st.n_invalid, 0);
    ck_assert(popi_hash_eq(&c2.tip->block->hash, &c.tip->block->hash));
    for (int w = 0; w < 3; w++) {
        popi_store_balance_t b1, b2;
        popi_chain_balance(&c, &f.key[w].pk, &b1);
        popi_chain_balance(&c2, &f.key[w].pk, &b2);
        ck_assert_mem_eq(&b1, &b2, sizeof b1);
    }
    popi_store_balance_t bal;
    popi_chain_balance(&c2, &f.key[1].pk, &bal);
    ck_assert_uint_eq(bal.total, 12345);
    /* Loading the same file again: all duplicates. */
    ck_assert_int_eq(popi_chain_load(&c2, path, t, &st), POPI_OK);
    ck_assert_uint_eq(st.n_other, 5);
    ck_assert_int_eq(popi_chain_load(&c2, "/nonexistent/x.chain", t, &st), POPI_EIO);
    /* A file whose blocks were never ground (accepted by a store without proof check) loads
     * into a proof-of-work store with them rejected: the first for PROOF, the second as its
     * descendant. */
    popi_store_config_t loose = f.cfg;
    loose.rules.check_proof = popi_ledger_proof_accept;
    popi_store_t *s3;
    ck_assert_int_eq(popi_store_create(&loose, &s3), POPI_OK);
    popi_chain_t c3;
    popi_chain_init(&c3, s3, NULL);
    for (int i = 0; i < 2; i++) {
        popi_chain_template_t tpl;
        uint32_t hard;
        ck_assert_int_eq(popi_target_bits_for_zero_bits(40, &hard), POPI_OK);
        ck_assert_int_eq(popi_chain_template(&c3, &f.key[0].pk, t + i, hard, NULL, 0, &tpl),
                         POPI_OK);
        popi_block_t *raw;
        ck_assert_int_eq(popi_chain_template_finish(&tpl, &raw), POPI_OK);
        popi_chain_template_destroy(&tpl);
        popi_chain_submit_block(&c3, raw, t + i, &r, NULL);
        ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP);
    }
    ck_assert_int_eq(popi_chain_save(&c3, path), POPI_OK);
    popi_store_t *s4;
    ck_assert_int_eq(popi_store_create(&f.cfg, &s4), POPI_OK);
    popi_chain_t c4;
    popi_chain_init(&c4, s4, NULL);
    ck_assert_int_eq(popi_chain_load(&c4, path, t, &st), POPI_OK);
    ck_assert_uint_eq(st.n_connected, 0);
    ck_assert_uint_eq(st.n_invalid, 2);
    ck_assert_int_eq(st.first_invalid.code, POPI_VERR_PROOF);
    ck_assert_ptr_null(c4.tip);
    popi_chain_destroy(&c);
    popi_chain_destroy(&c2);
    popi_chain_destroy(&c3);
    popi_chain_destroy(&c4);
    popi_mempool_free(mp);
    popi_store_free(f.s);
    popi_store_free(s2);
    popi_store_free(s3);
    popi_store_free(s4);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

static uint64_t fixed_sharing(void *ctx, const popi_block_t *b, const popi_block_t *p)
{
    (void)b;
    (void)p;
    return *(uint64_t *)ctx;
}

START_TEST(test_template_limits_and_sharing)
{
    cfx_t f;
    memset(&f, 0, sizeof f);
    fx_keys(f.key);
    popi_store_config_default(&f.cfg, POPI_CONSENSUS_POPI);
    fx_rules(&f.cfg.rules, 0);
    f.cfg.rules.kind = POPI_CONSENSUS_POPI;
    f.cfg.rules.max_block_txs = 3;
    uint64_t allowed = 700;
    f.cfg.sharing = fixed_sharing;
    f.cfg.sharing_ctx = &allowed;
    ck_assert_int_eq(popi_store_create(&f.cfg, &f.s), POPI_OK);
    popi_mempool_t *mp = popi_mempool_create(f.s, 0);
    popi_chain_t c;
    popi_chain_init(&c, f.s, mp);
    popi_txout_t share[2] = {{300, f.key[4].pk}, {400, f.key[5].pk}};
    popi_chain_template_t t;
    ck_assert_int_eq(popi_chain_template(&c, &f.key[0].pk, -5, 0, share, 2, &t), POPI_OK);
    ck_assert_int_eq(t.hdr.kind, POPI_CONSENSUS_POPI);
    ck_assert_int_eq(t.hdr.time, 0);
    ck_assert_uint_eq(t.hdr.height, 0);
    popi_block_t *b;
    ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
    popi_chain_template_destroy(&t);
    popi_chain_result_t r;
    popi_chain_submit_block(&c, b, 0, &r, NULL);
    ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP); /* bits 0: weight 1 per block */
    ck_assert(c.tip->weight == 1.0);
    /* Five payments queued; a block takes two (max_block_txs 3 with the coinbase). */
    popi_mempool_result_t res;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(popi_mempool_pay(mp, &f.key[0], &f.key[1].pk, 100, 1, &res, NULL),
                         POPI_OK);
        ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
    }
    ck_assert_int_eq(popi_chain_template(&c, &f.key[0].pk, 0, 0, NULL, 0, &t), POPI_OK);
    ck_assert_uint_eq(t.n_tx, 3);
    ck_assert_uint_eq(t.fees, 2);
    ck_assert_int_eq(t.hdr.time, 1); /* median time past + 1 */
    ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
    popi_chain_template_destroy(&t);
    popi_chain_submit_block(&c, b, 1, &r, NULL);
    ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP);
    ck_assert_uint_eq(popi_mempool_count(mp), 3);
    /* Sharing above the allowance is refused by validation. */
    share[1].amount = 401;
    ck_assert_int_eq(popi_chain_template(&c, &f.key[0].pk, 0, 0, share, 2, &t), POPI_OK);
    ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
    popi_chain_template_destroy(&t);
    popi_chain_submit_block(&c, b, 2, &r, NULL);
    ck_assert_int_eq(r.outcome, POPI_CHAIN_INVALID);
    ck_assert_int_eq(r.verdict.code, POPI_VERR_CB_SHARING);
    share[1].amount = POPI_MAX_MONEY;
    ck_assert_int_eq(popi_chain_template(&c, &f.key[0].pk, 0, 0, share, 2, &t), POPI_EINVAL);
    popi_chain_template_destroy(&t);
    popi_chain_destroy(&c);
    popi_mempool_free(mp);
    popi_store_free(f.s);
}
END_TEST

/* rules.genesis_premine: genesis may pay up to that much beyond the engine's sharing, in outputs
 * that are ordinary coins (no maturity); no other block may, and the reward stays immature. */
START_TEST(test_genesis_premine)
{
    for (int over = 0; over < 2; over++) {
        cfx_t f;
        memset(&f, 0, sizeof f);
        fx_keys(f.key);
        popi_store_config_default(&f.cfg, POPI_CONSENSUS_POW);
        fx_rules(&f.cfg.rules, 5);
        f.cfg.rules.genesis_premine = 1000;
        ck_assert_int_eq(popi_store_create(&f.cfg, &f.s), POPI_OK);
        popi_mempool_t *mp = popi_mempool_create(f.s, 0);
        popi_chain_t c;
        popi_chain_init(&c, f.s, mp);
        popi_txout_t pre[2] = {{600, f.key[4].pk}, {400 + (uint64_t)over, f.key[5].pk}};
        popi_chain_template_t t;
        ck_assert_int_eq(popi_chain_template(&c, &f.key[0].pk, 0, 0, pre, 2, &t), POPI_OK);
        popi_block_t *b;
        ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
        popi_chain_template_destroy(&t);
        popi_chain_result_t r;
        popi_chain_submit_block(&c, b, 0, &r, NULL);
        if (over) { /* 1001 > 1000 */
            ck_assert_int_eq(r.outcome, POPI_CHAIN_INVALID);
            ck_assert_int_eq(r.verdict.code, POPI_VERR_CB_SHARING);
            ck_assert_msg(strstr(r.verdict.message, "total 1001 but this block may pay 1000 (premine included)"),
                          "%s", r.verdict.message);
        } else {
            ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP);
            /* at height 1 the premine is spendable, the genesis reward (maturity 5) is not */
            uint64_t amt;
            ck_assert_int_eq(popi_mempool_spendable(mp, &f.key[4].pk, &amt), POPI_OK);
            ck_assert_uint_eq(amt, 600);
            ck_assert_int_eq(popi_mempool_spendable(mp, &f.key[0].pk, &amt), POPI_OK);
            ck_assert_uint_eq(amt, 0);
            popi_mempool_result_t res;
            ck_assert_int_eq(popi_mempool_pay(mp, &f.key[4], &f.key[1].pk, 100, 1, &res, NULL), POPI_OK);
            ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
            ck_assert_int_eq(popi_chain_template(&c, &f.key[0].pk, 1, 0, NULL, 0, &t), POPI_OK);
            ck_assert_uint_eq(t.n_tx, 2);
            ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
            popi_chain_template_destroy(&t);
            popi_chain_submit_block(&c, b, 1, &r, NULL);
            ck_assert_int_eq(r.outcome, POPI_CHAIN_TIP);
            popi_store_balance_t bal;
            ck_assert_int_eq(popi_chain_balance(&c, &f.key[1].pk, &bal), POPI_OK);
            ck_assert_uint_eq(bal.total, 100);
            /* a later block may not premine */
            popi_txout_t one = {1, f.key[6].pk};
            ck_assert_int_eq(popi_chain_template(&c, &f.key[0].pk, 2, 0, &one, 1, &t), POPI_OK);
            ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
            popi_chain_template_destroy(&t);
            popi_chain_submit_block(&c, b, 2, &r, NULL);
            ck_assert_int_eq(r.outcome, POPI_CHAIN_INVALID);
            ck_assert_int_eq(r.verdict.code, POPI_VERR_CB_SHARING);
        }
        popi_chain_destroy(&c);
        popi_mempool_free(mp);
        popi_store_free(f.s);
    }
}
END_TEST

/* ---- randomised workload: two miners, delayed delivery, double-spend attempts ---- */

typedef struct {
    popi_chain_t view;
    popi_mempool_t *mp;
    popi_store_node_t *pending[512]; /* blocks mined by the other miner, not yet delivered */
    int n_pending;
} miner_t;

START_TEST(test_random_workload)
{
    uint64_t seed = popi_test_seed(31337);
    popi_rng_t rng;
    popi_rng_init(&rng, seed, 0, POPI_STREAM_CONSENSUS);
    cfx_t f;
    cfx_init(&f, 2);
    miner_t m[2];
    for (int i = 0; i < 2; i++) {
        memset(&m[i], 0, sizeof m[i]);
        m[i].mp = popi_mempool_create(f.s, 0);
        popi_chain_init(&m[i].view, f.s, m[i].mp);
    }
    popi_time_t now = FX_T0;
    int n_pay = 0, n_ds_refused = 0, n_blocks = 0;
    for (int step = 0; step < 260; step++) {
        now += POPI_US_PER_S;
        double u = popi_rng_uniform(&rng);
        int who = (int)popi_rng_below(&rng, 2);
        miner_t *me = &m[who], *other = &m[1 - who];
        if (u < 0.55 && me->view.tip) {
            /* A payment through this miner's pool, relayed to the other's. */
            int from = (int)popi_rng_below(&rng, 4), to = (int)popi_rng_below(&rng, FX_NKEYS);
            uint64_t have;
            popi_mempool_spendable(me->mp, &f.key[from].pk, &have);
            if (have < 100) continue;
            uint64_t amount =
                1 +
                popi_rng_below(&rng, (uint32_t)(have / 3 > 4000000000u ? 4000000000u : have / 3));
            popi_mempool_result_t res;
            popi_hash_t id;
            ck_assert_int_eq(
                popi_mempool_pay(me->mp, &f.key[from], &f.key[to].pk, amount, 7, &res, &id),
                POPI_OK);
            ck_assert_int_eq(res.outcome, POPI_MEMPOOL_ACCEPTED);
            n_pay++;
            size_t pos = 0;
            const popi_tx_t *tx;
            while ((tx = popi_mempool_next(me->mp, &pos)))
                if (popi_hash_eq(&tx->txid, &id)) break;
            popi_mempool_result_t r2;
            if (other->view.tip) popi_mempool_add(other->mp, tx, &r2);
            /* A double-spend attempt: same first input, different payee. */
            popi_tx_t ds;
            fx_spend(&ds, &tx->in[0].prev, 1, &f.key[from], 1, &f.key[7].pk, 0, NULL);
            popi_mempool_add(me->mp, &ds, &res);
            ck_assert_msg(res.outcome == POPI_MEMPOOL_CONFLICT, "seed %llu: %s",
                          (unsigned long long)seed, popi_mempool_outcome_name(res.outcome));
            n_ds_refused++;
            popi_tx_destroy(&ds);
        } else if (u < 0.8) {
            /* Mine on this miner's tip; deliver to the other now or later. */
            popi_chain_template_t t;
            ck_assert_int_eq(
                popi_chain_template(&me->view, &f.key[who].pk, now, 0x207fffff, NULL, 0, &t),
                POPI_OK);
            popi_block_t *b;
            ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
            popi_chain_template_destroy(&t);
            popi_chain_result_t r;
            popi_store_node_t *node;
            popi_chain_submit_block(&me->view, b, now, &r, &node);
            ck_assert_msg(r.outcome == POPI_CHAIN_TIP, "seed %llu: %s %s", (unsigned long long)seed,
                          popi_chain_outcome_name(r.outcome), r.verdict.message);
            n_blocks++;
            ck_assert_int_lt(other->n_pending, 512);
            other->pending[other->n_pending++] = node;
        } else {
            /* Deliver some pending blocks to this miner, in random order. */
            while (me->n_pending && popi_rng_uniform(&rng) < 0.7) {
                int k = (int)popi_rng_below(&rng, (uint64_t)me->n_pending);
                popi_store_node_t *node = me->pending[k];
                me->pending[k] = me->pending[--me->n_pending];
                popi_chain_result_t r;
                popi_chain_submit(&me->view, node, now, &r);
                ck_assert_int_ne(r.outcome, POPI_CHAIN_INVALID);
            }
        }
        if (step % 40 == 0)
            for (int i = 0; i < 2; i++)
                if (m[i].view.tip) check_against_replay(&f, &m[i].view, NULL);
    }
    /* Deliver everything, then break any tie with one more block. */
    for (int i = 0; i < 2; i++)
        while (m[i].n_pending)
            popi_chain_submit(&m[i].view, m[i].pending[--m[i].n_pending], now, NULL);
    if (m[0].view.tip != m[1].view.tip) {
        popi_chain_result_t r;
        popi_store_node_t *node;
        ck_assert_int_eq(
            popi_chain_mine_pow(&m[0].view, &f.key[0].pk, now + 1, 0, 0, 1000, &r, &node, NULL),
            POPI_OK);
        popi_chain_submit(&m[1].view, node, now + 1, NULL);
    }
    ck_assert_ptr_eq(m[0].view.tip, m[1].view.tip);
    for (int i = 0; i < 2; i++) {
        fx_ref_t ref;
        check_against_replay(&f, &m[i].view, &ref);
        /* Money supply: coinbases of the best chain (the fees only move coins). */
        uint64_t supply = 0, minted = 0;
        for (size_t j = 0; j < ref.n; j++)
            if (!ref.v[j].spent) supply += ref.v[j].u.amount;
        for (const popi_store_node_t *x = m[i].view.tip; x; x = x->parent) {
            const popi_tx_t *cbt = &x->block->tx[0];
            minted += cbt->out[0].amount + f.cfg.rules.packing_per_tx * (x->block->n_tx - 1);
        }
        ck_assert_uint_eq(supply, minted);
        fx_ref_destroy(&ref);
        /* The pool is a valid sequence on the tip: a fresh pool accepts it in order. */
        popi_mempool_t *fresh = popi_mempool_create(f.s, 0);
        ck_assert_int_eq(popi_mempool_set_tip(fresh, m[i].view.tip, NULL), POPI_OK);
        size_t pos = 0;
        const popi_tx_t *tx;
        while ((tx = popi_mempool_next(m[i].mp, &pos))) {
            popi_mempool_result_t res;
            popi_mempool_add(fresh, tx, &res);
            ck_assert_msg(res.outcome == POPI_MEMPOOL_ACCEPTED, "seed %llu: %s",
                          (unsigned long long)seed, res.verdict.message);
        }
        popi_mempool_free(fresh);
    }
    ck_assert_msg(n_pay >= 60 && n_blocks >= 30, "seed %llu: %d payments, %d blocks",
                  (unsigned long long)seed, n_pay, n_blocks);
    ck_assert_msg(m[0].view.n_reorgs + m[1].view.n_reorgs >= 1, "seed %llu: no reorg happened",
                  (unsigned long long)seed);
    ck_assert_int_eq(n_ds_refused, n_pay);
    for (int i = 0; i < 2; i++) {
        popi_chain_destroy(&m[i].view);
        popi_mempool_free(m[i].mp);
    }
    popi_rng_destroy(&rng);
    popi_store_free(f.s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chain");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_extend_side_tie);
    tcase_add_test(tc, test_reorg_and_mempool);
    tcase_add_test(tc, test_orphans_every_order);
    tcase_add_test(tc, test_invalid_descendants);
    tcase_add_test(tc, test_not_yet);
    tcase_add_test(tc, test_mempool_rules);
    tcase_add_test(tc, test_mine_pow_and_files);
    tcase_add_test(tc, test_template_limits_and_sharing);
    tcase_add_test(tc, test_genesis_premine);
    tcase_add_test(tc, test_random_workload);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
