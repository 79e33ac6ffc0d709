/* SPDX-License-Identifier: MIT */
/*
 * test_detect.c - the abnormal-block detector and chain files. Each anomaly kind is planted into
 * an otherwise honest proof-of-work chain (every block ground at a low target) and must be found
 * with its exact height, reason and coin origin, and nothing else; a clean chain gives nothing;
 * several anomalies in one chain are all found (the scan keeps going); descendants of an invalid
 * block are flagged when asked. Chain files: round trip, strict reading of every truncation and
 * of corruptions with the byte offset in the message, and atomic writing.
 */
#include "popi/chainfile.h"
#include "popi/detect.h"

#include "ledger_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#define ZBITS 6      /* every block ground to 6 leading zero bits */
#define MATURITY 2   /* coinbase of height h spendable from h + 3 */
#define CHAIN_LEN 12 /* heights 0..11 */
#define PLANT 6      /* where most anomalies go */

typedef enum {
    K_CLEAN,
    K_UNKNOWN_INPUT,
    K_SPENT_BEFORE,
    K_DOUBLE_SPEND_IN_BLOCK,
    K_INFLATED_COINBASE,
    K_PREMATURE,
    K_BAD_SIG,
    K_TAMPERED,
    K_BROKEN_LINK,
    K_HEIGHT_GAP,
    K_REMOVED_BLOCK,
    K_VALUE,
    K_TIME_TOO_OLD,
    K_PROOF,
    K_FROM_INVALID_TX,
    K_FROM_LATER_TX,
    K_MULTI,
    K__COUNT
} kind_t;

typedef struct {
    popi_ledger_rules_t rules;
    popi_keypair_t key[FX_NKEYS];
    popi_block_t *blk[32];
    int n;
    fx_ref_t ref; /* the state of the blocks meant to be valid */
    uint32_t bits;
} dfx_t;

static void dfx_init(dfx_t *d)
{
    memset(d, 0, sizeof *d);
    fx_keys(d->key);
    fx_rules(&d->rules, MATURITY);
    d->rules.check_proof = popi_ledger_proof_pow_bits;
    ck_assert_int_eq(popi_target_bits_for_zero_bits(ZBITS, &d->bits), POPI_OK);
}

static void dfx_destroy(dfx_t *d)
{
    for (int i = 0; i < d->n; i++)
        popi_block_free(d->blk[i]);
    fx_ref_destroy(&d->ref);
}

static const popi_block_t *last(const dfx_t *d)
{
    return d->n ? d->blk[d->n - 1] : NULL;
}

/* Rebuild @p b with its nonce ground to its bits (blocks are immutable: a new block). */
static popi_block_t *grind(popi_block_t *b)
{
    popi_block_header_t h = b->hdr;
    ck_assert_int_eq(popi_block_grind(&h, UINT64_C(1) << 24, NULL), POPI_OK);
    popi_tx_t *txs = calloc(b->n_tx, sizeof *txs);
    for (uint32_t i = 0; i < b->n_tx; i++)
        popi_tx_copy(&txs[i], &b->tx[i]);
    popi_block_t *out;
    ck_assert_int_eq(popi_block_create(&h, txs, b->n_tx, &out), POPI_OK);
    free(txs);
    popi_block_free(b);
    return out;
}

/* A block on the last one, ground; @p opt may override fields. */
static popi_block_t *build(dfx_t *d, popi_tx_t *txs, uint32_t n, uint64_t fees, fx_opts_t *opt)
{
    fx_opts_t o;
    if (!opt) {
        memset(&o, 0, sizeof o);
        opt = &o;
    }
    if (!opt->bits) opt->bits = d->bits;
    return grind(fx_block(&d->rules, last(d), &d->key[0].pk, txs, n, fees, opt));
}

static void push(dfx_t *d, popi_block_t *b, bool valid)
{
    ck_assert_int_lt(d->n, 32);
    d->blk[d->n++] = b;
    if (valid) fx_ref_apply(&d->ref, b);
}

static popi_outpoint_t cb_out(const dfx_t *d, int index)
{
    popi_outpoint_t op = {d->blk[index]->tx[0].txid, 0};
    return op;
}

/* The honest transfer of the next block: key 0 spends coinbase h - 3 (if the model has it
 * unspent), paying half to key 1, 10 units of fee. Returns the number of transactions (0/1). */
static uint32_t honest_tx(dfx_t *d, popi_tx_t *tx, uint64_t *fees)
{
    int h = d->n;
    if (h < MATURITY + 1) return 0;
    popi_outpoint_t op = cb_out(d, h - MATURITY - 1);
    popi_utxo_t u;
    if (fx_ref_state(&d->ref, &op, &u) != POPI_UTXO_UNSPENT) return 0;
    fx_spend(tx, &op, 1, &d->key[0], u.amount / 2, &d->key[1].pk, u.amount - u.amount / 2 - 10,
             &d->key[0].pk);
    *fees += 10;
    return 1;
}

static void push_honest(dfx_t *d)
{
    popi_tx_t tx[1];
    uint64_t fees = 0;
    uint32_t n = honest_tx(d, tx, &fees);
    push(d, build(d, tx, n, fees, NULL), true);
}

/* Output 0 of the honest transfer of height @p h (key 1's coins). */
static popi_outpoint_t key1_coin(const dfx_t *d, int h)
{
    ck_assert_uint_ge(d->blk[h]->n_tx, 2);
    popi_outpoint_t op = {d->blk[h]->tx[1].txid, 0};
    return op;
}

/* ---- expected findings ---- */

typedef struct {
    uint64_t height;
    popi_detect_kind_t kind;
    const char *reason;
    int32_t tx;
    int32_t input;      /* -2: do not check */
    int origin;         /* origin kind of input 0; -1: no origins expected */
    uint64_t at_height; /* checked for SPENT, INVALID_*, LATER_TX */
    int32_t at_tx;      /* -2: do not check */
    int64_t cb_height;  /* first traced coinbase; -1: do not check */
} expect_t;

static expect_t E(uint64_t h, popi_detect_kind_t kind, const char *reason, int32_t tx,
                  int32_t input, int origin, uint64_t at_h, int32_t at_tx, int64_t cb)
{
    expect_t e = {h, kind, reason, tx, input, origin, at_h, at_tx, cb};
    return e;
}

static expect_t E_BLOCK(uint64_t h, const char *reason)
{
    return E(h, POPI_DETECT_BLOCK, reason, -1, -1, -1, 0, -2, -1);
}

static void check_report(const popi_detect_report_t *rep, const expect_t *ex, size_t n_ex,
                         const char *what)
{
    char *text = popi_detect_report_format(rep);
    ck_assert_msg(rep->n_findings == n_ex, "%s: %zu findings, expected %zu\n%s", what,
                  rep->n_findings, n_ex, text);
    for (size_t i = 0; i < n_ex; i++) {
        const popi_detect_finding_t *f = &rep->findings[i];
        const expect_t *e = &ex[i];
        ck_assert_msg(f->height == e->height && f->kind == e->kind &&
                          strcmp(f->reason, e->reason) == 0 && f->tx_index == e->tx,
                      "%s: finding %zu is height %llu %s %s tx %d, expected height %llu %s %s tx "
                      "%d\n%s",
                      what, i, (unsigned long long)f->height, popi_detect_kind_name(f->kind),
                      f->reason, f->tx_index, (unsigned long long)e->height,
                      popi_detect_kind_name(e->kind), e->reason, e->tx, text);
        if (e->input != -2) ck_assert_int_eq(f->input_index, e->input);
        if (e->origin < 0) {
            ck_assert_msg(f->n_origins == 0, "%s: finding %zu has origins", what, i);
            continue;
        }
        ck_assert_msg(f->n_origins >= 1, "%s: finding %zu has no origins\n%s", what, i, text);
        const popi_detect_origin_t *o = &f->origins[0];
        ck_assert_msg((int)o->kind == e->origin, "%s: finding %zu origin %s, expected %s\n%s", what,
                      i, popi_detect_origin_name(o->kind),
                      popi_detect_origin_name((popi_detect_origin_kind_t)e->origin), text);
        if (o->kind != POPI_ORIGIN_COINBASE && o->kind != POPI_ORIGIN_UNKNOWN)
            ck_assert_msg(o->at_height == e->at_height, "%s: finding %zu at height %llu\n%s", what,
                          i, (unsigned long long)o->at_height, text);
        if (e->at_tx != -2)
            ck_assert_msg(o->at_tx == e->at_tx, "%s: finding %zu at tx %d, expected %d\n%s", what,
                          i, o->at_tx, e->at_tx, text);
        if (e->cb_height >= 0)
            ck_assert_msg(o->n_coinbases == 1 && (int64_t)o->coinbase_height[0] == e->cb_height,
                          "%s: finding %zu traced to %u coinbases, first %llu, expected %lld\n%s",
                          what, i, o->n_coinbases,
                          (unsigned long long)(o->n_coinbases ? o->coinbase_height[0] : 0),
                          (long long)e->cb_height, text);
        else if (o->kind == POPI_ORIGIN_UNKNOWN || o->kind == POPI_ORIGIN_INVALID_BLOCK ||
                 o->kind == POPI_ORIGIN_INVALID_TX || o->kind == POPI_ORIGIN_LATER_TX)
            ck_assert_uint_eq(o->n_coinbases, 0);
    }
    free(text);
}

/*
 * Build the chain of kind @p k and the findings expected with flag_descendants off. Planted
 * transactions follow the block's honest transfer, if any, so their index in the block is the
 * number of array entries used (entry j is block transaction j + 1).
 */
static size_t plant(dfx_t *d, kind_t k, expect_t *ex, popi_block_t **removed)
{
    size_t n_ex = 0;
    popi_keypair_t *K = d->key;
    *removed = NULL;
    for (int h = 0; h < CHAIN_LEN; h++) {
        popi_tx_t tx[4];
        uint64_t fees = 0;
        fx_opts_t o;
        memset(&o, 0, sizeof o);
        kind_t kk = K_CLEAN;
        if (h == PLANT && k != K_MULTI && k != K_REMOVED_BLOCK) kk = k;
        if (k == K_INFLATED_COINBASE && h == 9) kk = k;
        if (k == K_MULTI)
            kk = h == 4   ? K_INFLATED_COINBASE
                 : h == 7 ? K_DOUBLE_SPEND_IN_BLOCK
                 : h == 9 ? K_BAD_SIG
                          : K_CLEAN;
        if (kk == K_CLEAN) {
            push_honest(d);
            if (k == K_REMOVED_BLOCK && h == 7) {
                /* Block 7 links to the missing block 6 and follows height 5. */
                ex[n_ex++] = E_BLOCK(7, "PREV");
            } else if (k == K_REMOVED_BLOCK && h == 9) {
                /* Its honest transfer spends the coinbase of the missing block 6. */
                ex[n_ex++] =
                    E(9, POPI_DETECT_TX, "INPUT_MISSING", 1, 0, POPI_ORIGIN_UNKNOWN, 0, -1, -1);
            } else if (k == K_REMOVED_BLOCK && h == 10) {
                /* ... and this one the coinbase of block 7, which was not applied. */
                ex[n_ex++] = E(10, POPI_DETECT_TX, "INPUT_MISSING", 1, 0, POPI_ORIGIN_INVALID_BLOCK,
                               7, 0, -1);
            }
            continue;
        }
        uint32_t n = honest_tx(d, tx, &fees);
        popi_block_t *b = NULL;
        switch (kk) {
        case K_UNKNOWN_INPUT: {
            popi_outpoint_t ghost = key1_coin(d, 4);
            ghost.txid.b[9] ^= 0x5a;
            fx_spend(&tx[n++], &ghost, 1, &K[1], 100, &K[2].pk, 0, NULL);
            ex[n_ex++] = E(6, POPI_DETECT_TX, "INPUT_MISSING", (int32_t)n, 0, POPI_ORIGIN_UNKNOWN,
                           0, -1, -1);
            break;
        }
        case K_SPENT_BEFORE: {
            popi_outpoint_t spent = cb_out(d, 2); /* the honest transfer of height 5 spent it */
            fx_spend(&tx[n++], &spent, 1, &K[0], 100, &K[2].pk, 0, NULL);
            ex[n_ex++] =
                E(6, POPI_DETECT_TX, "INPUT_SPENT", (int32_t)n, 0, POPI_ORIGIN_SPENT, 5, 1, 2);
            break;
        }
        case K_DOUBLE_SPEND_IN_BLOCK: {
            popi_outpoint_t c = key1_coin(d, 3); /* key 1's coin from coinbase 0 */
            fx_spend(&tx[n++], &c, 1, &K[1], 100, &K[2].pk, 0, NULL);
            fx_spend(&tx[n++], &c, 1, &K[1], 100, &K[3].pk, 0, NULL);
            ex[n_ex++] = E((uint64_t)h, POPI_DETECT_TX, "DOUBLE_SPEND", (int32_t)n, 0,
                           POPI_ORIGIN_SPENT, (uint64_t)h, (int32_t)n - 1, 0);
            break;
        }
        case K_INFLATED_COINBASE:
            if (h == 9 && k == K_INFLATED_COINBASE) {
                /* Spend the inflated coinbase once it would have matured. */
                popi_outpoint_t inflated = cb_out(d, PLANT);
                fx_spend(&tx[n++], &inflated, 1, &K[0], 100, &K[2].pk, 0, NULL);
                ex[n_ex++] = E(9, POPI_DETECT_TX, "INPUT_MISSING", (int32_t)n, 0,
                               POPI_ORIGIN_INVALID_BLOCK, PLANT, 0, -1);
                break;
            }
            o.extra_subsidy = 1;
            ex[n_ex++] = E((uint64_t)h, POPI_DETECT_TX, "CB_SUBSIDY", 0, 0, -1, 0, -2, -1);
            break;
        case K_PREMATURE: {
            popi_outpoint_t young = cb_out(d, 5);
            fx_spend(&tx[n++], &young, 1, &K[0], 100, &K[2].pk, 0, NULL);
            ex[n_ex++] =
                E(6, POPI_DETECT_TX, "IMMATURE", (int32_t)n, 0, POPI_ORIGIN_COINBASE, 0, -1, 5);
            break;
        }
        case K_BAD_SIG: {
            int from = h == 9 ? 5 : 4; /* key 1's coin of that height, from coinbase from - 3 */
            popi_outpoint_t c = key1_coin(d, from);
            fx_spend(&tx[n++], &c, 1, &K[2], 100, &K[2].pk, 0, NULL);
            ex[n_ex++] = E((uint64_t)h, POPI_DETECT_TX, "SIG", (int32_t)n, 0, POPI_ORIGIN_COINBASE,
                           0, -1, from - 3);
            break;
        }
        case K_TAMPERED: {
            /* An honest block whose transfer is edited afterwards (an amount bit flipped). */
            popi_block_t *orig = build(d, tx, n, fees, NULL);
            popi_codec_writer_t w;
            popi_codec_writer_init(&w);
            popi_block_encode(orig, &w);
            size_t at = orig->header_size + 1 + orig->tx[0].size + 4 + 1 + 100 + 1; /* out[0] */
            w.data[at + 3] ^= 0x01;
            ck_assert_int_eq(popi_block_decode(w.data, w.len, &b), POPI_OK);
            ck_assert(popi_hash_eq(&b->hash, &orig->hash)); /* the header is unchanged */
            popi_codec_writer_destroy(&w);
            popi_block_free(orig);
            ex[n_ex++] = E_BLOCK(6, "MERKLE");
            ex[n_ex++] = E(6, POPI_DETECT_TX, "SIG", 1, 0, POPI_ORIGIN_COINBASE, 0, -1, 3);
            break;
        }
        case K_BROKEN_LINK: {
            popi_hash_t wrong = last(d)->hdr.prev; /* links to the grandparent */
            o.prev = &wrong;
            b = build(d, tx, n, fees, &o);
            ex[n_ex++] = E_BLOCK(6, "PREV");
            break;
        }
        case K_HEIGHT_GAP:
            o.height_delta = 2;
            ex[n_ex++] = E_BLOCK(7, "HEIGHT");
            break;
        case K_VALUE: {
            popi_outpoint_t c = key1_coin(d, 4);
            popi_utxo_t u;
            ck_assert_int_eq(fx_ref_state(&d->ref, &c, &u), POPI_UTXO_UNSPENT);
            fx_spend(&tx[n++], &c, 1, &K[1], u.amount + 1, &K[2].pk, 0, NULL);
            ex[n_ex++] =
                E(6, POPI_DETECT_TX, "VALUE", (int32_t)n, -1, POPI_ORIGIN_COINBASE, 0, -1, 1);
            break;
        }
        case K_TIME_TOO_OLD: {
            popi_time_t times[11];
            size_t m = 0;
            for (int j = d->n - 1; j >= 0 && m < 11; j--)
                times[m++] = d->blk[j]->hdr.time;
            o.time = popi_ledger_median_time_past(times, m);
            ex[n_ex++] = E_BLOCK(6, "TIME_TOO_OLD");
            break;
        }
        case K_PROOF:
            ck_assert_int_eq(popi_target_bits_for_zero_bits(40, &o.bits), POPI_OK);
            b = fx_block(&d->rules, last(d), &K[0].pk, tx, n, fees, &o); /* not ground */
            ex[n_ex++] = E_BLOCK(6, "PROOF");
            break;
        case K_FROM_INVALID_TX: {
            popi_outpoint_t c = key1_coin(d, 4);
            fx_spend(&tx[n++], &c, 1, &K[3], 500, &K[3].pk, 0, NULL); /* wrong signer */
            popi_outpoint_t child = {tx[n - 1].txid, 0};
            fx_spend(&tx[n++], &child, 1, &K[3], 400, &K[4].pk, 0, NULL);
            ex[n_ex++] =
                E(6, POPI_DETECT_TX, "SIG", (int32_t)n - 1, 0, POPI_ORIGIN_COINBASE, 0, -1, 1);
            ex[n_ex++] = E(6, POPI_DETECT_TX, "INPUT_MISSING", (int32_t)n, 0,
                           POPI_ORIGIN_INVALID_TX, 6, (int32_t)n - 1, -1);
            break;
        }
        case K_FROM_LATER_TX: {
            popi_outpoint_t c = key1_coin(d, 4);
            popi_tx_t later;
            fx_spend(&later, &c, 1, &K[1], 500, &K[3].pk, 0, NULL);
            popi_outpoint_t early = {later.txid, 0};
            fx_spend(&tx[n++], &early, 1, &K[3], 400, &K[4].pk, 0, NULL);
            tx[n++] = later;
            ex[n_ex++] = E(6, POPI_DETECT_TX, "INPUT_MISSING", (int32_t)n - 1, 0,
                           POPI_ORIGIN_LATER_TX, 6, (int32_t)n, -1);
            break;
        }
        default:
            ck_abort_msg("no planter for kind %d", kk);
        }
        if (!b) b = build(d, tx, n, fees, &o);
        push(d, b, false);
    }
    if (k == K_REMOVED_BLOCK) {
        /* The chain was built whole (block 6 applied in the model); now block 6 goes. */
        *removed = d->blk[PLANT];
        memmove(&d->blk[PLANT], &d->blk[PLANT + 1], (size_t)(d->n - PLANT - 1) * sizeof *d->blk);
        d->n--;
    }
    return n_ex;
}

START_TEST(test_each_anomaly)
{
    kind_t k = (kind_t)_i;
    dfx_t d;
    dfx_init(&d);
    expect_t ex[16];
    popi_block_t *removed;
    size_t n_ex = plant(&d, k, ex, &removed);
    popi_detect_options_t o;
    popi_detect_options_default(&o, POPI_CONSENSUS_POW);
    o.rules = d.rules;
    o.flag_descendants = false;
    popi_detect_report_t rep;
    ck_assert_int_eq(popi_detect_scan((const popi_block_t *const *)d.blk, (size_t)d.n, &o, &rep),
                     POPI_OK);
    char what[32];
    snprintf(what, sizeof what, "kind %d", (int)k);
    check_report(&rep, ex, n_ex, what);
    /* The applied count: every block without a finding of its own. */
    size_t with_findings = 0;
    for (int i = 0; i < d.n; i++) {
        bool has = false;
        for (size_t j = 0; j < rep.n_findings; j++)
            has |= rep.findings[j].index == (size_t)i;
        with_findings += has;
    }
    ck_assert_uint_eq(rep.n_blocks_applied, (size_t)d.n - with_findings);
    ck_assert_uint_eq(rep.n_blocks, (size_t)d.n);
    popi_detect_report_destroy(&rep);
    dfx_destroy(&d);
    popi_block_free(removed);
}
END_TEST

/* Descendants of an invalid block are flagged when asked, with the ancestor's height. */
START_TEST(test_descendants_flagged)
{
    dfx_t d;
    dfx_init(&d);
    expect_t ex[16];
    popi_block_t *removed;
    size_t n_ex = plant(&d, K_TAMPERED, ex, &removed);
    popi_detect_options_t o;
    popi_detect_options_default(&o, POPI_CONSENSUS_POW);
    o.rules = d.rules;
    popi_detect_report_t rep;
    ck_assert_int_eq(popi_detect_scan((const popi_block_t *const *)d.blk, (size_t)d.n, &o, &rep),
                     POPI_OK);
    for (int h = PLANT + 1; h < CHAIN_LEN; h++)
        ex[n_ex++] =
            E((uint64_t)h, POPI_DETECT_DESCENDANT, "ANCESTOR_INVALID", -1, -1, -1, 0, -2, -1);
    check_report(&rep, ex, n_ex, "descendants");
    const popi_detect_finding_t *f = &rep.findings[rep.n_findings - 1];
    ck_assert_uint_eq(f->ancestor_height, PLANT);
    ck_assert_int_eq(f->code, POPI_VERR_OK);
    ck_assert_ptr_nonnull(strstr(f->message, "builds on invalid block 6 (MERKLE)"));
    /* Descendants are applied, so their honest transfers raise nothing. */
    ck_assert_uint_eq(rep.n_blocks_applied, CHAIN_LEN - 1);
    char *text = popi_detect_report_format(&rep);
    ck_assert_ptr_nonnull(strstr(text, "height 6 MERKLE: block 6: header Merkle root"));
    ck_assert_ptr_nonnull(strstr(text, "height 6 tx 1 input 0 SIG:"));
    ck_assert_ptr_nonnull(strstr(text, "coins from coinbase at height 3"));
    ck_assert_ptr_nonnull(strstr(text, "height 11 ANCESTOR_INVALID"));
    ck_assert_ptr_nonnull(strstr(text, "detector: 12 blocks,"));
    free(text);
    popi_detect_report_destroy(&rep);
    popi_detect_report_destroy(&rep);
    dfx_destroy(&d);
}
END_TEST

START_TEST(test_clean_and_report_text)
{
    dfx_t d;
    dfx_init(&d);
    expect_t ex[4];
    popi_block_t *removed;
    ck_assert_uint_eq(plant(&d, K_CLEAN, ex, &removed), 0);
    popi_detect_options_t o;
    popi_detect_options_default(&o, POPI_CONSENSUS_POW);
    o.rules = d.rules;
    popi_detect_report_t rep;
    ck_assert_int_eq(popi_detect_scan((const popi_block_t *const *)d.blk, (size_t)d.n, &o, &rep),
                     POPI_OK);
    ck_assert_uint_eq(rep.n_findings, 0);
    ck_assert_uint_eq(rep.n_blocks_applied, CHAIN_LEN);
    ck_assert_uint_eq(rep.n_tx, CHAIN_LEN + (CHAIN_LEN - MATURITY - 1));
    char *text = popi_detect_report_format(&rep);
    ck_assert_str_eq(text, "detector: 12 blocks, 21 transactions, 12 applied, 0 findings\n");
    free(text);
    popi_detect_report_destroy(&rep);
    /* Wrong rules are anomalies too: a PoPI detector flags every PoW block's kind. */
    o.rules.kind = POPI_CONSENSUS_POPI;
    ck_assert_int_eq(popi_detect_scan((const popi_block_t *const *)d.blk, (size_t)d.n, &o, &rep),
                     POPI_OK);
    /* Every block breaks KIND, so none is applied and every honest transfer spends coins of an
     * invalid block: 12 KIND + 9 INPUT_MISSING. */
    ck_assert_uint_eq(rep.n_findings, CHAIN_LEN + (CHAIN_LEN - MATURITY - 1));
    ck_assert_uint_eq(rep.n_blocks_applied, 0);
    size_t n_kind = 0;
    for (size_t i = 0; i < rep.n_findings; i++) {
        const popi_detect_finding_t *f = &rep.findings[i];
        if (strcmp(f->reason, "KIND") == 0) {
            n_kind++;
            continue;
        }
        ck_assert_str_eq(f->reason, "INPUT_MISSING");
        ck_assert_int_eq(f->origins[0].kind, POPI_ORIGIN_INVALID_BLOCK);
        ck_assert_int_eq(f->origins[0].at_code, POPI_VERR_KIND);
        ck_assert_uint_eq(f->origins[0].at_height, f->height - MATURITY - 1);
    }
    ck_assert_uint_eq(n_kind, CHAIN_LEN);
    popi_detect_report_destroy(&rep);
    /* An empty chain; missing proof check. */
    ck_assert_int_eq(popi_detect_scan(NULL, 0, &o, &rep), POPI_OK);
    ck_assert_uint_eq(rep.n_findings, 0);
    popi_detect_report_destroy(&rep);
    o.rules.check_proof = NULL;
    ck_assert_int_eq(popi_detect_scan(NULL, 0, &o, &rep), POPI_EINVAL);
    ck_assert_str_eq(popi_detect_kind_name(POPI_DETECT_DESCENDANT), "descendant");
    ck_assert_str_eq(popi_detect_origin_name(POPI_ORIGIN_LATER_TX), "later-tx");
    ck_assert_str_eq(popi_detect_origin_name((popi_detect_origin_kind_t)9), "?");
    ck_assert_str_eq(popi_detect_kind_name((popi_detect_kind_t)9), "?");
    dfx_destroy(&d);
}
END_TEST

/* ---- chain files ---- */

static void encode_chain(const dfx_t *d, popi_codec_writer_t *w)
{
    popi_codec_writer_init(w);
    popi_chainfile_encode((const popi_block_t *const *)d->blk, (size_t)d->n, w);
}

START_TEST(test_chainfile_roundtrip_and_scan_file)
{
    dfx_t d;
    dfx_init(&d);
    expect_t ex[16];
    popi_block_t *removed;
    size_t n_ex = plant(&d, K_MULTI, ex, &removed);
    popi_codec_writer_t w;
    encode_chain(&d, &w);
    ck_assert_mem_eq(w.data, "POPICHN\n\x01\x00\x00\x00\x0c\x00\x00\x00", 16);
    popi_block_t **back;
    size_t n;
    ck_assert_int_eq(popi_chainfile_decode(w.data, w.len, "mem", &back, &n), POPI_OK);
    ck_assert_uint_eq(n, (size_t)d.n);
    popi_codec_writer_t w2;
    popi_codec_writer_init(&w2);
    popi_chainfile_encode((const popi_block_t *const *)back, n, &w2);
    ck_assert_uint_eq(w2.len, w.len);
    ck_assert_mem_eq(w2.data, w.data, w.len);
    for (size_t i = 0; i < n; i++)
        ck_assert(popi_hash_eq(&back[i]->hash, &d.blk[i]->hash));
    popi_chainfile_free(back, n);
    popi_chainfile_free(NULL, 0);
    /* Through a file, and the detector reading it. */
    char *dir = popi_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/multi.chain", dir);
    ck_assert_int_eq(popi_chainfile_write(path, (const popi_block_t *const *)d.blk, (size_t)d.n),
                     POPI_OK);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq((size_t)st.st_size, w.len);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    popi_detect_options_t o;
    popi_detect_options_default(&o, POPI_CONSENSUS_POW);
    o.rules = d.rules;
    o.flag_descendants = false;
    popi_detect_report_t rep;
    ck_assert_int_eq(popi_detect_scan_file(path, &o, &rep), POPI_OK);
    ck_assert_uint_eq(rep.n_findings, n_ex);
    ck_assert_str_eq(rep.findings[0].reason, "CB_SUBSIDY");
    ck_assert_uint_eq(rep.findings[0].height, 4);
    ck_assert_str_eq(rep.findings[1].reason, "DOUBLE_SPEND");
    ck_assert_uint_eq(rep.findings[1].height, 7);
    ck_assert_str_eq(rep.findings[2].reason, "SIG");
    ck_assert_uint_eq(rep.findings[2].height, 9);
    popi_detect_report_destroy(&rep);
    ck_assert_int_eq(popi_detect_scan_file("/nonexistent/none.chain", &o, &rep), POPI_EIO);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "detect: chainfile: cannot open"));
    ck_assert_int_eq(popi_chainfile_read(dir, &back, &n), POPI_EIO);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "not a readable regular file"));
    /* An empty chain is a valid file. */
    ck_assert_int_eq(popi_chainfile_write(path, NULL, 0), POPI_OK);
    ck_assert_int_eq(popi_chainfile_read(path, &back, &n), POPI_OK);
    ck_assert_uint_eq(n, 0);
    popi_chainfile_free(back, n);
    popi_codec_writer_destroy(&w);
    popi_codec_writer_destroy(&w2);
    popi_test_rmdir(dir);
    free(dir);
    dfx_destroy(&d);
}
END_TEST

START_TEST(test_chainfile_strict)
{
    dfx_t d;
    dfx_init(&d);
    expect_t ex[4];
    popi_block_t *removed;
    plant(&d, K_CLEAN, ex, &removed);
    d.n = 3; /* a short file: blocks 0..2 */
    popi_codec_writer_t w;
    encode_chain(&d, &w);
    d.n = CHAIN_LEN;
    popi_block_t **back;
    size_t n;
    /* Every truncation fails, naming a byte offset inside the file. */
    for (size_t len = 0; len < w.len; len++) {
        ck_assert_int_eq(popi_chainfile_decode(w.data, len, "t.chain", &back, &n), POPI_EFORMAT);
        ck_assert_ptr_null(back);
        const char *m = popi_err_message();
        ck_assert_msg(strncmp(m, "chainfile: t.chain: ", 20) == 0, "%s", m);
        const char *at = strstr(m, "at byte ");
        ck_assert_msg(at != NULL, "len %zu: %s", len, m);
        ck_assert_msg(strtoull(at + 8, NULL, 10) <= len, "len %zu: %s", len, m);
        const char *fb = strstr(m, "(file byte ");
        if (fb) ck_assert_uint_le(strtoull(fb + 11, NULL, 10), len);
    }
    ck_assert_int_eq(popi_chainfile_decode(w.data, 5, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "truncated at byte 0 reading magic"));
    ck_assert_int_eq(popi_chainfile_decode(w.data, 10, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "truncated at byte 8 reading version"));
    ck_assert_int_eq(popi_chainfile_decode(w.data, 14, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "truncated at byte 12 reading count"));
    ck_assert_int_eq(popi_chainfile_decode(w.data, 18, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "count = 3 at byte 12 exceeds"));
    size_t b1 = 16 + 4 + d.blk[0]->size; /* offset of block 1's length */
    size_t b2 = b1 + 4 + d.blk[1]->size;
    ck_assert_int_eq(popi_chainfile_decode(w.data, w.len - 7, "t", &back, &n), POPI_EFORMAT);
    char want[96];
    snprintf(want, sizeof want, "truncated at byte %zu reading block 2 (need %u bytes, %u left)",
             b2 + 4, d.blk[2]->size, d.blk[2]->size - 7);
    ck_assert_msg(strstr(popi_err_message(), want), "%s", popi_err_message());
    /* Corruptions. */
    uint8_t *c = malloc(w.len + 1);
    memcpy(c, w.data, w.len);
    c[0] = 'X';
    ck_assert_int_eq(popi_chainfile_decode(c, w.len, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "bad magic at byte 0"));
    memcpy(c, w.data, w.len);
    c[8] = 2;
    ck_assert_int_eq(popi_chainfile_decode(c, w.len, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "unknown version 2 at byte 8"));
    memcpy(c, w.data, w.len);
    c[16] = 5, c[17] = c[18] = c[19] = 0; /* block 0 length 5 */
    ck_assert_int_eq(popi_chainfile_decode(c, w.len, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "block 0 length 5 at byte 16 exceeds"));
    memcpy(c, w.data, w.len);
    c[20] = 2; /* block 0's header version */
    ck_assert_int_eq(popi_chainfile_decode(c, w.len, "t", &back, &n), POPI_EFORMAT);
    ck_assert_msg(strstr(popi_err_message(), "block 0 at byte 20: block: unknown header version 2 "
                                             "at byte 0 (file byte 20)"),
                  "%s", popi_err_message());
    memcpy(c, w.data, w.len);
    size_t ntx_at = b1 + 4 + d.blk[1]->header_size; /* block 1's n_tx */
    c[ntx_at] = 0xfd;                               /* 0xfd 0x01 0x00: 1 in three bytes */
    ck_assert_int_eq(popi_chainfile_decode(c, w.len, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "non-canonical"));
    snprintf(want, sizeof want, "(file byte %zu)", ntx_at);
    ck_assert_msg(strstr(popi_err_message(), want), "%s", popi_err_message());
    memcpy(c, w.data, w.len);
    c[w.len] = 0;
    ck_assert_int_eq(popi_chainfile_decode(c, w.len + 1, "t", &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "1 trailing bytes"));
    free(c);
    /* A file truncated on disk reads the same way. */
    char *dir = popi_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/cut.chain", dir);
    FILE *fp = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(w.data, 1, w.len - 7, fp), w.len - 7);
    fclose(fp);
    ck_assert_int_eq(popi_chainfile_read(path, &back, &n), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), path));
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "truncated"));
    popi_test_rmdir(dir);
    free(dir);
    popi_codec_writer_destroy(&w);
    dfx_destroy(&d);
}
END_TEST

static size_t count_entries(const char *dir)
{
    DIR *dh = opendir(dir);
    ck_assert_ptr_nonnull(dh);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dh)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(dh);
    return n;
}

START_TEST(test_chainfile_atomic_write)
{
    dfx_t d;
    dfx_init(&d);
    expect_t ex[4];
    popi_block_t *removed;
    plant(&d, K_CLEAN, ex, &removed);
    char *dir = popi_test_tmpdir();
    char path[512], missing[512];
    snprintf(path, sizeof path, "%s/a.chain", dir);
    snprintf(missing, sizeof missing, "%s/no/such/folder/a.chain", dir);
    /* A write into a missing folder fails and leaves nothing. */
    ck_assert_int_eq(popi_chainfile_write(missing, (const popi_block_t *const *)d.blk, 3),
                     POPI_EIO);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "cannot create a temporary file"));
    ck_assert_uint_eq(count_entries(dir), 0);
    /* Replacing a file: the new content, and no temporary file left behind. */
    ck_assert_int_eq(popi_chainfile_write(path, (const popi_block_t *const *)d.blk, 3), POPI_OK);
    ck_assert_int_eq(popi_chainfile_write(path, (const popi_block_t *const *)d.blk, 5), POPI_OK);
    ck_assert_uint_eq(count_entries(dir), 1);
    popi_block_t **back;
    size_t n;
    ck_assert_int_eq(popi_chainfile_read(path, &back, &n), POPI_OK);
    ck_assert_uint_eq(n, 5);
    popi_chainfile_free(back, n);
    /* A target that cannot be replaced (a folder) fails at rename; the temp file is removed. */
    char sub[512];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/x", sub);
    FILE *fp = fopen(inner, "w");
    fclose(fp);
    ck_assert_int_eq(popi_chainfile_write(sub, (const popi_block_t *const *)d.blk, 2), POPI_EIO);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "rename"));
    ck_assert_uint_eq(count_entries(dir), 2); /* a.chain and sub, no temporary file */
    popi_test_rmdir(dir);
    free(dir);
    dfx_destroy(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("detect");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_each_anomaly, 0, K__COUNT);
    tcase_add_test(tc, test_descendants_flagged);
    tcase_add_test(tc, test_clean_and_report_text);
    tcase_add_test(tc, test_chainfile_roundtrip_and_scan_file);
    tcase_add_test(tc, test_chainfile_strict);
    tcase_add_test(tc, test_chainfile_atomic_write);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
