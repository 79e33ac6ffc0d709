/* SPDX-License-Identifier: MIT */
/*
 * detect.c - the abnormal-block detector (detect.h): a linear scan of a chain that reports every
 * rule a block or transaction breaks, keeps going after each anomaly, and traces coins back to
 * their coinbases.
 *
 * Central structure: scan_t. `state` holds every output created by an applied block (mark 0 =
 * unspent, mark k + 1 = spent by spends[k]), so "spent before" is an answer, not a guess; `txix`
 * maps every txid seen to (block index << 32 | tx index); per block and transaction a status says
 * whether it was applied or flagged. Invariant: state contains exactly the outputs of the
 * transactions of applied blocks, and a mark is set iff an applied transaction spent it.
 * The checks themselves are the validator's (ledger.h), run on the whole block or on one
 * transaction at a time (popi_utxoset_check_tx), so reasons are validation error names.
 */
#include "popi/detect.h"

#include "popi/chainfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_MAX_TX 4096u

enum { B_PENDING = 0, B_APPLIED = 1, B_INVALID = 2, B_DESCENDANT = 3 };

typedef struct {
    uint32_t block, tx;
} spend_t;

typedef struct {
    const popi_detect_options_t *o;
    const popi_block_t *const *blocks;
    size_t n;
    uint8_t *bstatus;     /* per block: B_* */
    popi_verr_t *bcode;   /* per block: its first finding's code */
    size_t *anc;          /* per block: index of the first invalid ancestor (or itself) */
    popi_verr_t **txcode; /* per block, per tx: OK or the code it was flagged with */
    popi_utxoset_t state;
    spend_t *spends;
    size_t n_spends, cap_spends;
    popi_txindex_t txix;
    popi_utxoset_t here_created; /* outputs of earlier valid txs of the current block */
    popi_utxoset_t here_spent;   /* outputs they spent (mark = tx + 1) */
    popi_detect_report_t *rep;
} scan_t;

const char *popi_detect_kind_name(popi_detect_kind_t k)
{
    static const char *const names[] = {"block", "tx", "descendant"};
    return (unsigned)k < 3 ? names[k] : "?";
}

const char *popi_detect_origin_name(popi_detect_origin_kind_t k)
{
    static const char *const names[] = {"coinbase",      "unknown",    "spent",
                                        "invalid-block", "invalid-tx", "later-tx"};
    return (unsigned)k < 6 ? names[k] : "?";
}

void popi_detect_options_default(popi_detect_options_t *o, popi_consensus_kind_t kind)
{
    memset(o, 0, sizeof *o);
    popi_ledger_rules_default(&o->rules, kind);
    o->now = INT64_MAX;
    o->flag_descendants = true;
}

void popi_detect_report_destroy(popi_detect_report_t *rep)
{
    if (!rep) return;
    for (size_t i = 0; i < rep->n_findings; i++)
        free(rep->findings[i].origins);
    free(rep->findings);
    memset(rep, 0, sizeof *rep);
}

/* ---- findings ---- */

static popi_detect_finding_t *add_finding(scan_t *s, size_t index, const popi_ledger_verdict_t *v,
                                          popi_verr_t code)
{
    popi_detect_report_t *r = s->rep;
    POPI_GROW(r->findings, r->cap_findings, r->n_findings + 1);
    popi_detect_finding_t *f = &r->findings[r->n_findings++];
    memset(f, 0, sizeof *f);
    f->kind = v->tx_index >= 0 ? POPI_DETECT_TX : POPI_DETECT_BLOCK;
    f->index = index;
    f->height = s->blocks[index]->hdr.height;
    f->tx_index = v->tx_index;
    f->input_index = v->input_index;
    f->code = code;
    f->reason = popi_verr_name(code);
    snprintf(f->message, sizeof f->message, "%s", v->message);
    if (s->bcode[index] == POPI_VERR_OK) s->bcode[index] = code;
    if (v->tx_index >= 0 && (uint32_t)v->tx_index < s->blocks[index]->n_tx &&
        s->txcode[index][v->tx_index] == POPI_VERR_OK)
        s->txcode[index][v->tx_index] = code;
    return f;
}

/* A verdict built here, in the validator's message style. */
static void make_verdict(popi_ledger_verdict_t *v, popi_verr_t code, const popi_block_t *b,
                         int32_t tx, int32_t in, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void make_verdict(popi_ledger_verdict_t *v, popi_verr_t code, const popi_block_t *b,
                         int32_t tx, int32_t in, const char *fmt, ...)
{
    memset(v, 0, sizeof *v);
    v->code = code;
    v->height = b->hdr.height;
    v->tx_index = tx;
    v->input_index = in;
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (tx >= 0 && in >= 0)
        snprintf(v->message, sizeof v->message, "block %llu tx %d input %d: %s",
                 (unsigned long long)b->hdr.height, tx, in, detail);
    else if (tx >= 0)
        snprintf(v->message, sizeof v->message, "block %llu tx %d: %s",
                 (unsigned long long)b->hdr.height, tx, detail);
    else
        snprintf(v->message, sizeof v->message, "block %llu: %s", (unsigned long long)b->hdr.height,
                 detail);
}

/* ---- the layered view: this block's earlier valid transactions over the state ---- */

static popi_utxo_state_t layered_lookup(const void *self, const popi_outpoint_t *op,
                                        popi_utxo_t *out)
{
    const scan_t *s = self;
    if (popi_utxoset_find(&s->here_spent, op)) return POPI_UTXO_SPENT;
    const popi_utxoset_entry_t *e = popi_utxoset_find(&s->here_created, op);
    if (!e) e = popi_utxoset_find(&s->state, op);
    if (!e) return POPI_UTXO_UNKNOWN;
    if (e->mark) return POPI_UTXO_SPENT;
    *out = e->utxo;
    return POPI_UTXO_UNSPENT;
}

static const popi_utxo_view_ops_t LAYERED_OPS = {layered_lookup};

/* ---- origins ---- */

/* The applied (or, in block @p cur, earlier valid) occurrence of @p txid: block index and tx. */
static bool find_valid_tx(const scan_t *s, const popi_hash_t *txid, size_t cur, uint32_t cur_tx,
                          size_t *bi, uint32_t *ti)
{
    for (uint32_t id = popi_txindex_first(&s->txix, txid); id;
         id = popi_txindex_next(&s->txix, id)) {
        uint64_t v = popi_txindex_value(&s->txix, id);
        size_t k = (size_t)(v >> 32);
        uint32_t t = (uint32_t)(v & 0xffffffffu);
        bool ok = k == cur
                      ? (t < cur_tx && s->txcode[k][t] == POPI_VERR_OK)
                      : (k < cur && (s->bstatus[k] == B_APPLIED || s->bstatus[k] == B_DESCENDANT));
        if (ok) {
            *bi = k;
            *ti = t;
            return true;
        }
    }
    return false;
}

/* Breadth-first walk back from the transaction that created @p op to coinbases. */
static void trace_coinbases(const scan_t *s, const popi_outpoint_t *op, size_t cur, uint32_t cur_tx,
                            popi_detect_origin_t *o)
{
    popi_utxoset_t seen;
    popi_utxoset_init(&seen);
    popi_hash_t *queue = popi_xmalloc(sizeof *queue);
    size_t head = 0, qn = 0, cap = 1;
    popi_utxo_t none;
    memset(&none, 0, sizeof none);
    popi_outpoint_t key = {op->txid, 0};
    popi_utxoset_insert(&seen, &key, &none, 0);
    queue[qn++] = op->txid;
    while (head < qn) {
        if (head >= TRACE_MAX_TX) {
            o->truncated = true;
            break;
        }
        size_t bi;
        uint32_t ti;
        if (!find_valid_tx(s, &queue[head++], cur, cur_tx, &bi, &ti)) continue;
        const popi_tx_t *tx = &s->blocks[bi]->tx[ti];
        if (popi_tx_is_coinbase(tx)) {
            uint64_t h = s->blocks[bi]->hdr.height;
            bool dup = false;
            for (uint32_t k = 0; k < o->n_coinbases; k++)
                dup |= o->coinbase_height[k] == h;
            if (dup) continue;
            if (o->n_coinbases == POPI_DETECT_MAX_COINBASES) {
                o->truncated = true;
                break;
            }
            o->coinbase_height[o->n_coinbases++] = h;
            continue;
        }
        for (uint32_t i = 0; i < tx->n_in; i++) {
            key.txid = tx->in[i].prev.txid;
            if (!popi_utxoset_insert(&seen, &key, &none, 0)) continue;
            POPI_GROW(queue, cap, qn + 1);
            queue[qn++] = key.txid;
        }
    }
    free(queue);
    popi_utxoset_destroy(&seen);
}

static void trace_input(const scan_t *s, size_t cur, uint32_t cur_tx, uint32_t input,
                        popi_detect_origin_t *o)
{
    const popi_block_t *b = s->blocks[cur];
    const popi_outpoint_t *op = &b->tx[cur_tx].in[input].prev;
    memset(o, 0, sizeof *o);
    o->input = input;
    o->op = *op;
    o->at_tx = -1;
    const popi_utxoset_entry_t *e;
    if ((e = popi_utxoset_find(&s->here_spent, op))) {
        o->kind = POPI_ORIGIN_SPENT;
        o->at_height = b->hdr.height;
        o->at_tx = (int32_t)e->mark - 1;
        trace_coinbases(s, op, cur, cur_tx, o);
        return;
    }
    if ((e = popi_utxoset_find(&s->state, op)) || popi_utxoset_find(&s->here_created, op)) {
        if (e && e->mark) {
            const spend_t *sp = &s->spends[e->mark - 1];
            o->kind = POPI_ORIGIN_SPENT;
            o->at_height = s->blocks[sp->block]->hdr.height;
            o->at_tx = (int32_t)sp->tx;
        } else {
            o->kind = POPI_ORIGIN_COINBASE;
        }
        trace_coinbases(s, op, cur, cur_tx, o);
        return;
    }
    o->kind = POPI_ORIGIN_UNKNOWN;
    for (uint32_t id = popi_txindex_first(&s->txix, &op->txid); id;
         id = popi_txindex_next(&s->txix, id)) {
        uint64_t v = popi_txindex_value(&s->txix, id);
        size_t k = (size_t)(v >> 32);
        uint32_t t = (uint32_t)(v & 0xffffffffu);
        const popi_tx_t *creator = &s->blocks[k]->tx[t];
        if (k == cur && t >= cur_tx) {
            o->kind = POPI_ORIGIN_LATER_TX;
        } else if (k == cur && s->txcode[k][t] != POPI_VERR_OK) {
            o->kind = POPI_ORIGIN_INVALID_TX;
            o->at_code = s->txcode[k][t];
        } else if (k < cur && s->bstatus[k] == B_INVALID) {
            o->kind = POPI_ORIGIN_INVALID_BLOCK;
            o->at_code = s->bcode[k];
        } else {
            continue; /* a valid creator: the output index does not exist */
        }
        if (op->index >= creator->n_out) {
            o->kind = POPI_ORIGIN_UNKNOWN;
            o->at_code = POPI_VERR_OK;
            continue;
        }
        o->at_height = s->blocks[k]->hdr.height;
        o->at_tx = (int32_t)t;
        return;
    }
}

/* ---- one block ---- */

static bool per_tx_rule(popi_verr_t c)
{
    return c == POPI_VERR_EXTRA_COINBASE || c == POPI_VERR_TX_NO_OUTPUTS ||
           c == POPI_VERR_TX_AMOUNT_RANGE || c == POPI_VERR_TX_LOCKED;
}

/* Steps 1 and 2: context-free and header rules. */
static void check_block_rules(scan_t *s, size_t i)
{
    const popi_block_t *b = s->blocks[i], *p = i ? s->blocks[i - 1] : NULL;
    const popi_ledger_rules_t *rules = &s->o->rules;
    popi_ledger_verdict_t v;
    char hx[17], hy[17];
    popi_verr_t code = popi_ledger_check_block(b, rules, &v);
    bool tx_rule = per_tx_rule(code) && v.tx_index >= 1;
    if (code != POPI_VERR_OK && !tx_rule) add_finding(s, i, &v, code);
    if (code != POPI_VERR_MERKLE && !popi_hash_eq(&b->hdr.merkle_root, &b->merkle_computed)) {
        popi_crypto_hex(hx, b->hdr.merkle_root.b, 8);
        popi_crypto_hex(hy, b->merkle_computed.b, 8);
        make_verdict(&v, POPI_VERR_MERKLE, b, -1, -1,
                     "header Merkle root %s... but the transactions give %s...", hx, hy);
        add_finding(s, i, &v, POPI_VERR_MERKLE);
    }
    if (tx_rule && popi_tx_is_coinbase(&b->tx[0])) {
        /* check_block stopped at a transaction (reported in step 3): check the coinbase layout
         * on a block holding only the coinbase. */
        popi_block_header_t h = b->hdr;
        popi_tx_t cb;
        popi_tx_copy(&cb, &b->tx[0]);
        h.merkle_root = cb.txid;
        popi_block_t *only;
        popi_err_t e = popi_block_create(&h, &cb, 1, &only);
        POPI_ASSERT(e == POPI_OK);
        code = popi_ledger_check_block(only, rules, &v);
        if (code != POPI_VERR_OK) add_finding(s, i, &v, code);
        popi_block_free(only);
    }
    popi_time_t times[11];
    size_t k = 0;
    for (size_t j = i; j > 0 && k < 11; j--)
        times[k++] = s->blocks[j - 1]->hdr.time;
    popi_ledger_context_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.parent = p;
    ctx.ancestor_times = times;
    ctx.n_ancestor_times = k;
    ctx.now = s->o->now;
    code = popi_ledger_check_header(b, rules, &ctx, &v);
    if (code != POPI_VERR_OK) {
        if (code == POPI_VERR_PREV && p && b->hdr.height != p->hdr.height + 1) {
            size_t len = strlen(v.message);
            snprintf(v.message + len, sizeof v.message - len,
                     "; height %llu does not follow parent height %llu",
                     (unsigned long long)b->hdr.height, (unsigned long long)p->hdr.height);
        }
        add_finding(s, i, &v, code);
    }
}

/* Step 3: each transaction on its own. */
static void check_transactions(scan_t *s, size_t i)
{
    const popi_block_t *b = s->blocks[i];
    popi_utxoset_clear(&s->here_created);
    popi_utxoset_clear(&s->here_spent);
    popi_utxo_view_t view = {&LAYERED_OPS, s};
    popi_utxo_t u;
    memset(&u, 0, sizeof u);
    u.height = b->hdr.height;
    uint32_t t0 = 0;
    if (b->n_tx && popi_tx_is_coinbase(&b->tx[0])) {
        u.coinbase = true;
        for (uint32_t o = 0; o < b->tx[0].n_out; o++) {
            popi_outpoint_t op = {b->tx[0].txid, o};
            u.amount = b->tx[0].out[o].amount;
            u.owner = b->tx[0].out[o].owner;
            popi_utxoset_insert(&s->here_created, &op, &u, 0);
        }
        t0 = 1;
    }
    u.coinbase = false;
    for (uint32_t t = t0; t < b->n_tx; t++) {
        const popi_tx_t *tx = &b->tx[t];
        popi_ledger_verdict_t v;
        if (s->txcode[i][t] != POPI_VERR_OK) continue; /* flagged by step 1 (DUP_TXID) */
        popi_verr_t code =
            popi_utxoset_check_tx(tx, b->hdr.height, (int32_t)t, &s->o->rules, &view, NULL, &v);
        if (code == POPI_VERR_INPUT_SPENT) {
            const popi_outpoint_t *op = &tx->in[v.input_index].prev;
            const popi_utxoset_entry_t *e = popi_utxoset_find(&s->here_spent, op);
            if (e) {
                char hx[17];
                popi_crypto_hex(hx, op->txid.b, 8);
                code = POPI_VERR_DOUBLE_SPEND;
                make_verdict(&v, code, b, (int32_t)t, v.input_index,
                             "output %s...:%u is already spent by tx %u of this block", hx,
                             op->index, e->mark - 1);
            }
        }
        if (code != POPI_VERR_OK) {
            popi_detect_finding_t *f = add_finding(s, i, &v, code);
            f->kind = POPI_DETECT_TX;
            f->tx_index = (int32_t)t;
            s->txcode[i][t] = code;
            if (tx->n_in) {
                f->origins = popi_xcalloc(tx->n_in, sizeof *f->origins);
                f->n_origins = tx->n_in;
                for (uint32_t k = 0; k < tx->n_in; k++)
                    trace_input(s, i, t, k, &f->origins[k]);
            }
            continue;
        }
        for (uint32_t k = 0; k < tx->n_in; k++)
            popi_utxoset_insert(&s->here_spent, &tx->in[k].prev, &u, t + 1);
        for (uint32_t o = 0; o < tx->n_out; o++) {
            popi_outpoint_t op = {tx->txid, o};
            u.amount = tx->out[o].amount;
            u.owner = tx->out[o].owner;
            popi_utxoset_insert(&s->here_created, &op, &u, 0);
        }
    }
}

/* Step 4: coinbase amounts. With transaction findings, only the valid transactions are kept and
 * only the rules that do not depend on the fees of the dropped ones are reported. */
static void check_coinbase_amounts(scan_t *s, size_t i)
{
    const popi_block_t *b = s->blocks[i], *p = i ? s->blocks[i - 1] : NULL;
    if (!b->n_tx || !popi_tx_is_coinbase(&b->tx[0]) || b->tx[0].n_out < 2) return;
    bool had_tx_findings = false;
    for (uint32_t t = 1; t < b->n_tx; t++)
        had_tx_findings |= s->txcode[i][t] != POPI_VERR_OK;
    popi_utxo_view_t view;
    popi_utxoset_view(&s->state, &view);
    popi_ledger_context_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.parent = p;
    ctx.view = &view;
    ctx.sharing_allowed = s->o->sharing ? s->o->sharing(s->o->sharing_ctx, b, p) : 0;
    popi_ledger_verdict_t v;
    popi_verr_t code;
    if (!had_tx_findings) {
        code = popi_ledger_check_inputs(b, &s->o->rules, &ctx, NULL, &v);
        if (code != POPI_VERR_OK) add_finding(s, i, &v, code);
        return;
    }
    popi_tx_t *txs = popi_xcalloc(b->n_tx, sizeof *txs);
    uint32_t n = 0;
    for (uint32_t t = 0; t < b->n_tx; t++)
        if (s->txcode[i][t] == POPI_VERR_OK) popi_tx_copy(&txs[n++], &b->tx[t]);
    popi_block_t *kept;
    popi_err_t e = popi_block_create(&b->hdr, txs, n, &kept);
    POPI_ASSERT(e == POPI_OK);
    code = popi_ledger_check_inputs(kept, &s->o->rules, &ctx, NULL, &v);
    if (code == POPI_VERR_CB_SUBSIDY || code == POPI_VERR_CB_SHARING) add_finding(s, i, &v, code);
    popi_block_free(kept);
    free(txs);
}

static void apply_block(scan_t *s, size_t i)
{
    const popi_block_t *b = s->blocks[i];
    popi_utxo_t u;
    memset(&u, 0, sizeof u);
    u.height = b->hdr.height;
    for (uint32_t t = 0; t < b->n_tx; t++) {
        const popi_tx_t *tx = &b->tx[t];
        for (uint32_t k = 0; k < tx->n_in; k++) {
            popi_utxoset_entry_t *e = popi_utxoset_find(&s->state, &tx->in[k].prev);
            POPI_ASSERT(e && e->mark == 0); /* the block passed check_inputs */
            POPI_GROW(s->spends, s->cap_spends, s->n_spends + 1);
            s->spends[s->n_spends].block = (uint32_t)i;
            s->spends[s->n_spends].tx = t;
            e->mark = (uint32_t)++s->n_spends;
        }
        u.coinbase = t == 0;
        for (uint32_t o = 0; o < tx->n_out; o++) {
            popi_outpoint_t op = {tx->txid, o};
            u.amount = tx->out[o].amount;
            u.owner = tx->out[o].owner;
            popi_utxoset_insert(&s->state, &op, &u, 0); /* a repeat keeps the first */
        }
    }
    s->rep->n_blocks_applied++;
}

static void scan_block(scan_t *s, size_t i)
{
    const popi_block_t *b = s->blocks[i];
    size_t before = s->rep->n_findings;
    s->txcode[i] = popi_xcalloc(b->n_tx ? b->n_tx : 1, sizeof **s->txcode);
    for (uint32_t t = 0; t < b->n_tx; t++)
        popi_txindex_add(&s->txix, &b->tx[t].txid, (uint64_t)i << 32 | t);
    s->rep->n_tx += b->n_tx;
    check_block_rules(s, i);
    check_transactions(s, i);
    check_coinbase_amounts(s, i);
    if (s->rep->n_findings > before) {
        s->bstatus[i] = B_INVALID;
        s->anc[i] = i;
        return;
    }
    if (i > 0 && (s->bstatus[i - 1] == B_INVALID || s->bstatus[i - 1] == B_DESCENDANT)) {
        s->bstatus[i] = B_DESCENDANT;
        s->anc[i] = s->anc[i - 1];
        if (s->o->flag_descendants) {
            const popi_block_t *a = s->blocks[s->anc[i]];
            popi_ledger_verdict_t v;
            make_verdict(&v, POPI_VERR_OK, b, -1, -1, "builds on invalid block %llu (%s)",
                         (unsigned long long)a->hdr.height, popi_verr_name(s->bcode[s->anc[i]]));
            popi_detect_finding_t *f = add_finding(s, i, &v, POPI_VERR_OK);
            f->kind = POPI_DETECT_DESCENDANT;
            f->reason = "ANCESTOR_INVALID";
            f->ancestor_height = a->hdr.height;
        }
    } else {
        s->bstatus[i] = B_APPLIED;
    }
    apply_block(s, i);
}

popi_err_t popi_detect_scan(const popi_block_t *const *blocks, size_t n,
                            const popi_detect_options_t *o, popi_detect_report_t *rep)
{
    memset(rep, 0, sizeof *rep);
    if (!o->rules.check_proof)
        return popi_err_set(POPI_EINVAL, "detect: options rules.check_proof must be set, got NULL");
    scan_t s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.blocks = blocks;
    s.n = n;
    s.rep = rep;
    size_t m = n ? n : 1;
    s.bstatus = popi_xcalloc(m, sizeof *s.bstatus);
    s.bcode = popi_xcalloc(m, sizeof *s.bcode);
    s.anc = popi_xcalloc(m, sizeof *s.anc);
    s.txcode = popi_xcalloc(m, sizeof *s.txcode);
    popi_utxoset_init(&s.state);
    popi_utxoset_init(&s.here_created);
    popi_utxoset_init(&s.here_spent);
    popi_txindex_init(&s.txix);
    for (size_t i = 0; i < n; i++) {
        POPI_ASSERT(i < UINT32_MAX);
        scan_block(&s, i);
    }
    rep->n_blocks = n;
    for (size_t i = 0; i < n; i++)
        free(s.txcode[i]);
    free(s.txcode);
    free(s.bstatus);
    free(s.bcode);
    free(s.anc);
    free(s.spends);
    popi_utxoset_destroy(&s.state);
    popi_utxoset_destroy(&s.here_created);
    popi_utxoset_destroy(&s.here_spent);
    popi_txindex_destroy(&s.txix);
    return POPI_OK;
}

popi_err_t popi_detect_scan_file(const char *path, const popi_detect_options_t *o,
                                 popi_detect_report_t *rep)
{
    memset(rep, 0, sizeof *rep);
    popi_block_t **blocks;
    size_t n;
    popi_err_t e = popi_chainfile_read(path, &blocks, &n);
    if (e) return popi_err_wrap(e, "detect");
    e = popi_detect_scan((const popi_block_t *const *)blocks, n, o, rep);
    popi_chainfile_free(blocks, n);
    return e;
}

/* ---- the printable report ---- */

char *popi_detect_report_format(const popi_detect_report_t *rep)
{
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_codec_printf(&w, "detector: %zu blocks, %zu transactions, %zu applied, %zu findings\n",
             rep->n_blocks, rep->n_tx, rep->n_blocks_applied, rep->n_findings);
    for (size_t i = 0; i < rep->n_findings; i++) {
        const popi_detect_finding_t *f = &rep->findings[i];
        popi_codec_printf(&w, "height %llu", (unsigned long long)f->height);
        if (f->tx_index >= 0) popi_codec_printf(&w, " tx %d", f->tx_index);
        if (f->kind == POPI_DETECT_TX && f->input_index >= 0 && f->n_origins)
            popi_codec_printf(&w, " input %d", f->input_index);
        popi_codec_printf(&w, " %s: %s\n", f->reason, f->message);
        for (uint32_t k = 0; k < f->n_origins; k++) {
            const popi_detect_origin_t *o = &f->origins[k];
            char hx[17];
            popi_crypto_hex(hx, o->op.txid.b, 8);
            popi_codec_printf(&w, "    input %u %s...:%u: ", o->input, hx, o->op.index);
            switch (o->kind) {
            case POPI_ORIGIN_COINBASE:
                popi_codec_printf(&w, "exists");
                break;
            case POPI_ORIGIN_UNKNOWN:
                popi_codec_printf(&w, "unknown output (never created in this chain)");
                break;
            case POPI_ORIGIN_SPENT:
                popi_codec_printf(&w, "spent before at height %llu tx %d (double spend)",
                         (unsigned long long)o->at_height, o->at_tx);
                break;
            case POPI_ORIGIN_INVALID_BLOCK:
                popi_codec_printf(&w, "produced by invalid block at height %llu (%s): not a valid coin",
                         (unsigned long long)o->at_height, popi_verr_name(o->at_code));
                break;
            case POPI_ORIGIN_INVALID_TX:
                popi_codec_printf(&w, "produced by invalid tx %d at height %llu (%s): not a valid coin",
                         o->at_tx, (unsigned long long)o->at_height, popi_verr_name(o->at_code));
                break;
            case POPI_ORIGIN_LATER_TX:
                popi_codec_printf(&w, "produced by tx %d later in the same block", o->at_tx);
                break;
            }
            if (o->n_coinbases) {
                popi_codec_printf(&w, "; coins from coinbase%s at height", o->n_coinbases > 1 ? "s" : "");
                for (uint32_t c = 0; c < o->n_coinbases; c++)
                    popi_codec_printf(&w, "%s %llu", c ? "," : "",
                             (unsigned long long)o->coinbase_height[c]);
                if (o->truncated) popi_codec_printf(&w, ", ...");
            }
            popi_codec_printf(&w, "\n");
        }
    }
    popi_codec_put_u8(&w, 0);
    return (char *)w.data;
}
