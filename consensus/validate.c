/* SPDX-License-Identifier: MIT */
/*
 * validate.c - the Mcoin block rules: context-free checks, checks against the parent header and
 * checks against the parent's UTXO view, plus the reward schedule and the per-block state delta.
 * Rules follow Bitcoin's CheckBlock / ContextualCheckBlockHeader / CheckTxInputs (Nakamoto 2008)
 * with the seed's changes (coinbase maturity of 5 further blocks, packing and sharing rewards).
 *
 * Central structure of check_inputs: an open-addressing table of the outpoints the block touches
 * (spent from the parent, or created by an earlier transaction of the block). Invariant: an
 * outpoint is in the table at most once, and its entry's "spent" flag says whether an input of
 * the block already consumed it, which is how double spends inside the block are caught.
 */
#include "popi/ledger.h"
#include "popi/sigcache.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- error table ---- */

#define VERR_NAME_(name, desc) #name,
#define VERR_DESC_(name, desc) desc,
static const char *const VERR_NAMES[POPI_VERR__COUNT] = {POPI_VERR_TABLE(VERR_NAME_)};
static const char *const VERR_DESCS[POPI_VERR__COUNT] = {POPI_VERR_TABLE(VERR_DESC_)};
#undef VERR_NAME_
#undef VERR_DESC_

const char *popi_verr_name(popi_verr_t code)
{
    return (unsigned)code < POPI_VERR__COUNT ? VERR_NAMES[code] : "?";
}

const char *popi_verr_describe(popi_verr_t code)
{
    return (unsigned)code < POPI_VERR__COUNT ? VERR_DESCS[code] : "unknown validation error";
}

/* Record a failure in @p v: code, location and "block H[ tx T[ input I]]: <message>". */
static popi_verr_t fail(popi_ledger_verdict_t *v, popi_verr_t code, const popi_block_t *b,
                        int32_t tx, int32_t in, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static popi_verr_t fail(popi_ledger_verdict_t *v, popi_verr_t code, const popi_block_t *b,
                        int32_t tx, int32_t in, const char *fmt, ...)
{
    v->code = code;
    v->height = b->hdr.height;
    v->tx_index = tx;
    v->input_index = in;
    int n;
    if (tx >= 0 && in >= 0)
        n = snprintf(v->message, sizeof v->message,
                     "block %llu tx %d input %d: ", (unsigned long long)b->hdr.height, tx, in);
    else if (tx >= 0)
        n = snprintf(v->message, sizeof v->message,
                     "block %llu tx %d: ", (unsigned long long)b->hdr.height, tx);
    else
        n = snprintf(v->message, sizeof v->message,
                     "block %llu: ", (unsigned long long)b->hdr.height);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof v->message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->message + n, sizeof v->message - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

static popi_verr_t pass(popi_ledger_verdict_t *v, const popi_block_t *b)
{
    v->code = POPI_VERR_OK;
    v->height = b->hdr.height;
    v->tx_index = -1;
    v->input_index = -1;
    snprintf(v->message, sizeof v->message, "block %llu: valid", (unsigned long long)b->hdr.height);
    return POPI_VERR_OK;
}

/* First 8 bytes of a hash in hex, for messages. */
static const char *short_hex(char out[17], const popi_hash_t *h)
{
    popi_crypto_hex(out, h->b, 8);
    return out;
}

/* ---- rewards, time, rules ---- */

uint64_t popi_ledger_block_subsidy(uint64_t height, uint64_t initial, uint64_t halving_interval)
{
    if (halving_interval == 0) return initial;
    uint64_t halvings = height / halving_interval;
    return halvings >= 64 ? 0 : initial >> halvings;
}

static int cmp_time(const void *a, const void *b)
{
    popi_time_t x = *(const popi_time_t *)a, y = *(const popi_time_t *)b;
    return (x > y) - (x < y);
}

popi_time_t popi_ledger_median_time_past(const popi_time_t *times, size_t n)
{
    if (n == 0) return INT64_MIN;
    popi_time_t t[11];
    size_t k = n < 11 ? n : 11;
    memcpy(t, times, k * sizeof *t);
    qsort(t, k, sizeof *t, cmp_time);
    return t[k / 2];
}

bool popi_ledger_proof_accept(void *ctx, const popi_block_t *block, const popi_block_t *parent,
                              char *reason, size_t reason_cap)
{
    (void)ctx;
    (void)block;
    (void)parent;
    (void)reason;
    (void)reason_cap;
    return true;
}

bool popi_ledger_proof_pow_bits(void *ctx, const popi_block_t *block, const popi_block_t *parent,
                                char *reason, size_t reason_cap)
{
    (void)ctx;
    (void)parent;
    popi_hash_t target;
    if (popi_target_from_bits(block->hdr.bits, &target) != POPI_OK) {
        snprintf(reason, reason_cap, "invalid compact target 0x%08x", block->hdr.bits);
        return false;
    }
    if (!popi_hash_meets_target(&block->hash, &target)) {
        char h[65], t[65];
        popi_crypto_hex(h, block->hash.b, 32);
        popi_crypto_hex(t, target.b, 32);
        snprintf(reason, reason_cap, "hash %s above target %s (bits 0x%08x)", h, t,
                 block->hdr.bits);
        return false;
    }
    return true;
}

void popi_ledger_rules_default(popi_ledger_rules_t *rules, popi_consensus_kind_t kind)
{
    memset(rules, 0, sizeof *rules);
    rules->kind = kind;
    rules->initial_subsidy = 50 * POPI_COIN;
    rules->halving_interval = 210000;
    rules->packing_per_tx = POPI_COIN / 100;
    rules->coinbase_maturity = 5;
    rules->max_future = 2 * 3600 * POPI_US_PER_S;
    rules->max_block_bytes = 1000000;
    rules->max_block_txs = 10000;
    rules->check_proof = popi_ledger_proof_accept;
    rules->proof_ctx = NULL;
}

void popi_ledger_output_utxo(const popi_ledger_rules_t *rules, const popi_tx_t *tx, uint64_t height,
                             uint32_t out_index, popi_utxo_t *out)
{
    POPI_ASSERT(out_index < tx->n_out);
    memset(out, 0, sizeof *out);
    out->amount = tx->out[out_index].amount;
    out->owner = tx->out[out_index].owner;
    out->height = height;
    /* genesis premine outputs (2..) are ordinary coins, spendable at once */
    out->coinbase = popi_tx_is_coinbase(tx) &&
                    !(height == 0 && out_index >= 2 && rules->genesis_premine > 0);
}

/* ---- delta ---- */

void popi_ledger_delta_init(popi_ledger_delta_t *d)
{
    memset(d, 0, sizeof *d);
}

void popi_ledger_delta_destroy(popi_ledger_delta_t *d)
{
    if (!d) return;
    free(d->spent);
    free(d->created);
    memset(d, 0, sizeof *d);
}

void popi_ledger_delta_clear(popi_ledger_delta_t *d)
{
    d->n_spent = 0;
    d->n_created = 0;
    d->fees = 0;
}

static void delta_push(popi_utxo_entry_t **arr, uint32_t *n, size_t *cap, const popi_outpoint_t *op,
                       const popi_utxo_t *u)
{
    POPI_GROW(*arr, *cap, (size_t)*n + 1);
    (*arr)[*n].op = *op;
    (*arr)[*n].utxo = *u;
    (*n)++;
}

/* ---- context-free checks ---- */

/* A transaction and its position, sorted by txid to find repeats in O(n log n). */
typedef struct {
    const popi_tx_t *tx;
    uint32_t i;
} txref_t;

static int cmp_txref(const void *a, const void *b)
{
    const txref_t *x = a, *y = b;
    int c = memcmp(x->tx->txid.b, y->tx->txid.b, POPI_HASH_BYTES);
    if (c) return c;
    return (x->i > y->i) - (x->i < y->i);
}

popi_verr_t popi_ledger_check_block(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                    popi_ledger_verdict_t *v)
{
    const popi_block_header_t *h = &b->hdr;
    char hx[17], hy[17];
    v->n_sig_checks = 0;
    if (b->size > rules->max_block_bytes)
        return fail(v, POPI_VERR_SIZE, b, -1, -1, "%u encoded bytes exceed max_block_bytes %u",
                    b->size, rules->max_block_bytes);
    if (b->n_tx > rules->max_block_txs)
        return fail(v, POPI_VERR_TOO_MANY_TX, b, -1, -1, "%u transactions exceed max_block_txs %u",
                    b->n_tx, rules->max_block_txs);
    if (b->n_tx == 0)
        return fail(v, POPI_VERR_NO_COINBASE, b, -1, -1, "the block has no transactions");
    if (!popi_tx_is_coinbase(&b->tx[0]))
        return fail(v, POPI_VERR_NO_COINBASE, b, 0, -1,
                    "the first transaction has %u inputs; it must be a coinbase (0 inputs)",
                    b->tx[0].n_in);
    for (uint32_t t = 0; t < b->n_tx; t++) {
        const popi_tx_t *tx = &b->tx[t];
        if (t > 0 && popi_tx_is_coinbase(tx))
            return fail(v, POPI_VERR_EXTRA_COINBASE, b, (int32_t)t, -1,
                        "a second coinbase (0 inputs); only tx 0 may be one");
        if (tx->n_out == 0)
            return fail(v, POPI_VERR_TX_NO_OUTPUTS, b, (int32_t)t, -1, "no outputs");
        uint64_t sum = 0;
        for (uint32_t o = 0; o < tx->n_out; o++) {
            uint64_t a = tx->out[o].amount;
            if (a > POPI_MAX_MONEY || sum > POPI_MAX_MONEY - a)
                return fail(v, POPI_VERR_TX_AMOUNT_RANGE, b, (int32_t)t, (int32_t)o,
                            "output %u amount %llu brings the output sum above %llu", o,
                            (unsigned long long)a, (unsigned long long)POPI_MAX_MONEY);
            sum += a;
        }
        if (t > 0 && tx->lock_height > h->height)
            return fail(v, POPI_VERR_TX_LOCKED, b, (int32_t)t, -1,
                        "lock_height %llu is above the block height",
                        (unsigned long long)tx->lock_height);
    }
    if (b->n_tx > 1) {
        txref_t *refs = popi_xmalloc(b->n_tx * sizeof *refs);
        for (uint32_t t = 0; t < b->n_tx; t++) {
            refs[t].tx = &b->tx[t];
            refs[t].i = t;
        }
        qsort(refs, b->n_tx, sizeof *refs, cmp_txref);
        for (uint32_t k = 1; k < b->n_tx; k++)
            if (popi_hash_eq(&refs[k - 1].tx->txid, &refs[k].tx->txid)) {
                uint32_t first = refs[k - 1].i, second = refs[k].i;
                free(refs);
                return fail(v, POPI_VERR_DUP_TXID, b, (int32_t)second, -1,
                            "txid %s... repeats tx %u", short_hex(hx, &b->tx[second].txid), first);
            }
        free(refs);
    }
    if (!popi_hash_eq(&h->merkle_root, &b->merkle_computed))
        return fail(v, POPI_VERR_MERKLE, b, -1, -1,
                    "header Merkle root %s... but the transactions give %s...",
                    short_hex(hx, &h->merkle_root), short_hex(hy, &b->merkle_computed));
    const popi_tx_t *cb = &b->tx[0];
    if (cb->lock_height != h->height)
        return fail(v, POPI_VERR_CB_HEIGHT, b, 0, -1, "coinbase lock_height %llu, expected %llu",
                    (unsigned long long)cb->lock_height, (unsigned long long)h->height);
    if (cb->n_out < 2)
        return fail(v, POPI_VERR_CB_OUTPUTS, b, 0, -1,
                    "coinbase has %u output(s); needs block reward and packing reward outputs",
                    cb->n_out);
    for (int32_t o = 0; o < 2; o++)
        if (memcmp(cb->out[o].owner.b, h->producer.b, POPI_PUBKEY_BYTES) != 0) {
            char px[17], ox[17];
            popi_crypto_hex(px, h->producer.b, 8);
            popi_crypto_hex(ox, cb->out[o].owner.b, 8);
            return fail(v, POPI_VERR_CB_PAYEE, b, 0, o,
                        "coinbase output %d pays %s..., not the producer %s...", o, ox, px);
        }
    return pass(v, b);
}

/* ---- checks against the parent ---- */

popi_verr_t popi_ledger_check_header(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                     const popi_ledger_context_t *ctx, popi_ledger_verdict_t *v)
{
    const popi_block_header_t *h = &b->hdr;
    const popi_block_t *parent = ctx->parent;
    char hx[17], hy[17];
    POPI_ASSERT(rules->check_proof != NULL);
    v->n_sig_checks = 0;
    if (h->kind != rules->kind)
        return fail(v, POPI_VERR_KIND, b, -1, -1, "consensus kind %s, the chain uses %s",
                    popi_consensus_kind_name(h->kind), popi_consensus_kind_name(rules->kind));
    if (!parent) {
        if (!popi_hash_is_zero(&h->prev))
            return fail(v, POPI_VERR_PREV, b, -1, -1,
                        "a block without parent must have an all-zero previous hash, got %s...",
                        short_hex(hx, &h->prev));
        if (h->height != 0)
            return fail(v, POPI_VERR_HEIGHT, b, -1, -1,
                        "a block without parent must have height 0");
    } else {
        if (!popi_hash_eq(&h->prev, &parent->hash))
            return fail(v, POPI_VERR_PREV, b, -1, -1,
                        "previous hash %s... does not match the parent's hash %s...",
                        short_hex(hx, &h->prev), short_hex(hy, &parent->hash));
        if (parent->hdr.height == UINT64_MAX || h->height != parent->hdr.height + 1)
            return fail(v, POPI_VERR_HEIGHT, b, -1, -1, "height must be parent height %llu + 1",
                        (unsigned long long)parent->hdr.height);
    }
    if (ctx->n_ancestor_times > 0) {
        popi_time_t mtp = popi_ledger_median_time_past(ctx->ancestor_times, ctx->n_ancestor_times);
        if (h->time <= mtp)
            return fail(v, POPI_VERR_TIME_TOO_OLD, b, -1, -1,
                        "time %lld µs is not later than the median time past %lld µs of the "
                        "last %zu ancestors",
                        (long long)h->time, (long long)mtp,
                        ctx->n_ancestor_times < 11 ? ctx->n_ancestor_times : (size_t)11);
    }
    if (ctx->now <= INT64_MAX - rules->max_future && h->time > ctx->now + rules->max_future)
        return fail(v, POPI_VERR_TIME_TOO_NEW, b, -1, -1,
                    "time %lld µs is more than %lld µs ahead of now %lld µs", (long long)h->time,
                    (long long)rules->max_future, (long long)ctx->now);
    char reason[160] = "";
    if (!rules->check_proof(rules->proof_ctx, b, parent, reason, sizeof reason))
        return fail(v, POPI_VERR_PROOF, b, -1, -1, "%s engine rejected the header: %s",
                    popi_consensus_kind_name(h->kind), reason[0] ? reason : "(no reason given)");
    return pass(v, b);
}

/* ---- checks against the UTXO view ---- */

typedef struct {
    popi_outpoint_t op;
    popi_utxo_t utxo;
    bool used;
    bool spent;       /* consumed by an input of this block */
    bool from_parent; /* came from the view (else created in this block) */
} slot_t;

typedef struct {
    slot_t *slots;
    size_t mask;
} optable_t;

static size_t op_hash(const popi_outpoint_t *op)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | op->txid.b[i];
    return (size_t)popi_rng_mix64(x ^ ((uint64_t)op->index * UINT64_C(0x9e3779b97f4a7c15)));
}

/* Find @p op's slot, or the empty slot where it would go. */
static slot_t *op_find(optable_t *t, const popi_outpoint_t *op)
{
    size_t i = op_hash(op) & t->mask;
    while (t->slots[i].used && !popi_outpoint_eq(&t->slots[i].op, op))
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

popi_verr_t popi_ledger_check_inputs(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                     const popi_ledger_context_t *ctx, popi_ledger_delta_t *delta,
                                     popi_ledger_verdict_t *v)
{
    const uint64_t height = b->hdr.height;
    size_t n_keys = 0;
    char hx[17];
    v->n_sig_checks = 0;
    if (delta) popi_ledger_delta_clear(delta);
    /* The coinbase checks below read outputs 0 and 1 of tx 0: refuse blocks that skipped
     * popi_ledger_check_block rather than read out of bounds. */
    if (b->n_tx == 0 || !popi_tx_is_coinbase(&b->tx[0]))
        return fail(v, POPI_VERR_NO_COINBASE, b, b->n_tx ? 0 : -1, -1,
                    "no coinbase first (popi_ledger_check_block was skipped)");
    if (b->tx[0].n_out < 2)
        return fail(v, POPI_VERR_CB_OUTPUTS, b, 0, -1,
                    "coinbase has %u output(s) (popi_ledger_check_block was skipped)",
                    b->tx[0].n_out);
    for (uint32_t t = 0; t < b->n_tx; t++)
        n_keys += (size_t)b->tx[t].n_in + b->tx[t].n_out;
    size_t cap = 16;
    while (cap < 2 * n_keys)
        cap *= 2;
    optable_t tab = {popi_xcalloc(cap, sizeof(slot_t)), cap - 1};
    popi_verr_t code = POPI_VERR_OK;
    uint64_t fees = 0;

    for (uint32_t t = 0; t < b->n_tx && code == POPI_VERR_OK; t++) {
        const popi_tx_t *tx = &b->tx[t];
        uint64_t in_sum = 0, out_sum = 0;
        popi_hash_t digest;
        if (tx->n_in) popi_tx_sighash(tx, &digest);
        for (uint32_t i = 0; i < tx->n_in; i++) {
            const popi_outpoint_t *op = &tx->in[i].prev;
            slot_t *s = op_find(&tab, op);
            popi_utxo_t u;
            if (s->used && s->spent) {
                code = fail(v, POPI_VERR_DOUBLE_SPEND, b, (int32_t)t, (int32_t)i,
                            "output %s...:%u is already spent by an earlier input of this block",
                            short_hex(hx, &op->txid), op->index);
                break;
            }
            if (s->used) {
                u = s->utxo; /* created by an earlier transaction of this block */
            } else {
                popi_utxo_state_t st = popi_utxo_view_lookup(ctx->view, op, &u);
                if (st == POPI_UTXO_SPENT) {
                    code = fail(v, POPI_VERR_INPUT_SPENT, b, (int32_t)t, (int32_t)i,
                                "output %s...:%u was already spent by an ancestor block",
                                short_hex(hx, &op->txid), op->index);
                    break;
                }
                if (st != POPI_UTXO_UNSPENT) {
                    code =
                        fail(v, POPI_VERR_INPUT_MISSING, b, (int32_t)t, (int32_t)i,
                             "output %s...:%u does not exist", short_hex(hx, &op->txid), op->index);
                    break;
                }
                s->used = true;
                s->from_parent = true;
                s->op = *op;
                s->utxo = u;
            }
            if (u.coinbase && (u.height > UINT64_MAX - rules->coinbase_maturity - 1 ||
                               height < u.height + rules->coinbase_maturity + 1)) {
                code = fail(v, POPI_VERR_IMMATURE, b, (int32_t)t, (int32_t)i,
                            "spends coinbase output %s...:%u of height %llu, spendable from "
                            "height %llu (after %u further blocks)",
                            short_hex(hx, &op->txid), op->index, (unsigned long long)u.height,
                            (unsigned long long)(u.height + rules->coinbase_maturity + 1),
                            rules->coinbase_maturity);
                break;
            }
            v->n_sig_checks++;
            if (!(rules->sig_cache
                      ? popi_sigcache_verify(rules->sig_cache, &tx->in[i].sig, &digest, &u.owner)
                      : popi_crypto_verify(&tx->in[i].sig, digest.b, sizeof digest.b, &u.owner))) {
                char ox[17];
                popi_crypto_hex(ox, u.owner.b, 8);
                code = fail(v, POPI_VERR_SIG, b, (int32_t)t, (int32_t)i,
                            "signature does not verify under the owner %s... of %s...:%u", ox,
                            short_hex(hx, &op->txid), op->index);
                break;
            }
            s->spent = true;
            if (delta && s->from_parent)
                delta_push(&delta->spent, &delta->n_spent, &delta->cap_spent, op, &u);
            if (u.amount > POPI_MAX_MONEY || in_sum > POPI_MAX_MONEY - u.amount) {
                code = fail(v, POPI_VERR_INPUT_RANGE, b, (int32_t)t, (int32_t)i,
                            "input amount %llu brings the input sum above %llu",
                            (unsigned long long)u.amount, (unsigned long long)POPI_MAX_MONEY);
                break;
            }
            in_sum += u.amount;
        }
        if (code != POPI_VERR_OK) break;
        for (uint32_t o = 0; o < tx->n_out; o++)
            out_sum += tx->out[o].amount; /* <= MAX_MONEY */
        if (t > 0) {
            if (out_sum > in_sum) {
                code = fail(v, POPI_VERR_VALUE, b, (int32_t)t, -1,
                            "outputs total %llu but inputs only %llu", (unsigned long long)out_sum,
                            (unsigned long long)in_sum);
                break;
            }
            uint64_t fee = in_sum - out_sum;
            fees = fees > UINT64_MAX - fee ? UINT64_MAX : fees + fee;
        }
        for (uint32_t o = 0; o < tx->n_out; o++) {
            popi_outpoint_t op = {tx->txid, o};
            slot_t *s = op_find(&tab, &op);
            if (s->used) { /* only if check_block was skipped: a repeated txid */
                code = fail(v, POPI_VERR_DUP_TXID, b, (int32_t)t, -1,
                            "output %u of txid %s... already exists in this block", o,
                            short_hex(hx, &tx->txid));
                break;
            }
            s->used = true;
            s->op = op;
            popi_ledger_output_utxo(rules, tx, height, o, &s->utxo);
        }
    }

    if (code == POPI_VERR_OK) {
        const popi_tx_t *cb = &b->tx[0];
        uint64_t subsidy =
            popi_ledger_block_subsidy(height, rules->initial_subsidy, rules->halving_interval);
        uint64_t n_packed = b->n_tx - 1;
        uint64_t packing = (rules->packing_per_tx && n_packed > UINT64_MAX / rules->packing_per_tx)
                               ? UINT64_MAX
                               : rules->packing_per_tx * n_packed;
        packing = packing > UINT64_MAX - fees ? UINT64_MAX : packing + fees;
        /* genesis may also pay the premine in its sharing outputs */
        uint64_t sharing = 0, sharing_allowed = ctx->sharing_allowed;
        if (height == 0)
            sharing_allowed = sharing_allowed > UINT64_MAX - rules->genesis_premine
                                  ? UINT64_MAX
                                  : sharing_allowed + rules->genesis_premine;
        for (uint32_t o = 2; o < cb->n_out; o++)
            sharing += cb->out[o].amount; /* <= MAX_MONEY */
        if (cb->out[0].amount > subsidy)
            code = fail(v, POPI_VERR_CB_SUBSIDY, b, 0, 0,
                        "block reward %llu exceeds the subsidy %llu at this height",
                        (unsigned long long)cb->out[0].amount, (unsigned long long)subsidy);
        else if (cb->out[1].amount > packing)
            code = fail(v, POPI_VERR_CB_PACKING, b, 0, 1,
                        "packing reward %llu exceeds %llu (%llu per tx × %llu txs + fees %llu)",
                        (unsigned long long)cb->out[1].amount, (unsigned long long)packing,
                        (unsigned long long)rules->packing_per_tx, (unsigned long long)n_packed,
                        (unsigned long long)fees);
        else if (sharing > sharing_allowed)
            code = fail(v, POPI_VERR_CB_SHARING, b, 0, -1,
                        "sharing rewards total %llu but this block may pay %llu%s",
                        (unsigned long long)sharing, (unsigned long long)sharing_allowed,
                        height == 0 && rules->genesis_premine ? " (premine included)" : "");
    }

    if (code == POPI_VERR_OK && delta) {
        delta->fees = fees;
        for (uint32_t t = 0; t < b->n_tx; t++) {
            const popi_tx_t *tx = &b->tx[t];
            for (uint32_t o = 0; o < tx->n_out; o++) {
                popi_outpoint_t op = {tx->txid, o};
                slot_t *s = op_find(&tab, &op);
                if (!s->spent)
                    delta_push(&delta->created, &delta->n_created, &delta->cap_created, &op,
                               &s->utxo);
            }
        }
    } else if (delta) {
        popi_ledger_delta_clear(delta);
    }
    free(tab.slots);
    if (code == POPI_VERR_OK) pass(v, b); /* keeps n_sig_checks */
    return code;
}

popi_verr_t popi_ledger_validate_block(const popi_block_t *b, const popi_ledger_rules_t *rules,
                                       const popi_ledger_context_t *ctx, popi_ledger_delta_t *delta,
                                       popi_ledger_verdict_t *v)
{
    if (delta) popi_ledger_delta_clear(delta);
    popi_verr_t code = popi_ledger_check_block(b, rules, v);
    if (code == POPI_VERR_OK) code = popi_ledger_check_header(b, rules, ctx, v);
    if (code == POPI_VERR_OK) code = popi_ledger_check_inputs(b, rules, ctx, delta, v);
    return code;
}
