/* SPDX-License-Identifier: MIT */
/*
 * chain.c - a node's chain view (chain.h): submission with orphan handling, fork choice by
 * cumulative weight with first-seen ties, reorganisation, block templates, proof-of-work
 * mining and chain files.
 *
 * Central structure: popi_chain_t (tip, side set, orphan list). The side set is a small
 * open-addressing set of node pointers with backward-shift deletion; membership of the best
 * chain is an ancestor query on the store's skip pointers, so a view never stores the chain.
 * Submission works through a FIFO of blocks: the submitted one, then orphans it connects or
 * condemns, so arbitrarily long orphan chains connect without recursion.
 */
#include "popi/chain.h"

#include "popi/chainfile.h"

#include <stdlib.h>
#include <string.h>

/* ---- the side set ---- */

struct popi_chain_ptrset {
    const popi_store_node_t **slots;
    size_t cap, n;
};

static size_t ptr_slot(const popi_store_node_t *p, size_t mask)
{
    return (size_t)popi_rng_mix64((uint64_t)(uintptr_t)p) & mask;
}

static bool side_has(const struct popi_chain_ptrset *s, const popi_store_node_t *p)
{
    if (!s || !s->n) return false;
    size_t mask = s->cap - 1, i = ptr_slot(p, mask);
    while (s->slots[i]) {
        if (s->slots[i] == p) return true;
        i = (i + 1) & mask;
    }
    return false;
}

static void side_place(const popi_store_node_t **slots, size_t mask, const popi_store_node_t *p)
{
    size_t i = ptr_slot(p, mask);
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = p;
}

static void side_add(popi_chain_t *c, const popi_store_node_t *p)
{
    if (!c->side) c->side = popi_xcalloc(1, sizeof *c->side);
    struct popi_chain_ptrset *s = c->side;
    if (side_has(s, p)) return;
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        const popi_store_node_t **slots = popi_xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i]) side_place(slots, cap - 1, s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    side_place(s->slots, s->cap - 1, p);
    s->n++;
}

static void side_remove(popi_chain_t *c, const popi_store_node_t *p)
{
    struct popi_chain_ptrset *s = c->side;
    if (!side_has(s, p)) return;
    size_t mask = s->cap - 1, hole = ptr_slot(p, mask);
    while (s->slots[hole] != p)
        hole = (hole + 1) & mask;
    for (size_t j = hole;;) {
        j = (j + 1) & mask;
        if (!s->slots[j]) break;
        size_t home = ptr_slot(s->slots[j], mask);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays) continue;
        s->slots[hole] = s->slots[j];
        hole = j;
    }
    s->slots[hole] = NULL;
    s->n--;
}

/* ---- the view ---- */

const char *popi_chain_outcome_name(popi_chain_outcome_t o)
{
    static const char *const names[] = {"tip", "side", "orphan", "duplicate", "invalid", "not-yet"};
    return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

void popi_chain_init(popi_chain_t *c, popi_store_t *store, popi_mempool_t *mempool)
{
    memset(c, 0, sizeof *c);
    c->store = store;
    c->mempool = mempool;
    c->max_orphans = 1024;
}

void popi_chain_destroy(popi_chain_t *c)
{
    if (!c) return;
    if (c->side) free(c->side->slots);
    free(c->side);
    free(c->orphans);
    c->side = NULL;
    c->orphans = NULL;
    c->n_orphans = c->cap_orphans = 0;
}

bool popi_chain_knows(const popi_chain_t *c, const popi_store_node_t *n)
{
    if (!n) return false;
    if (c->tip && popi_store_is_ancestor(n, c->tip)) return true;
    return side_has(c->side, n);
}

bool popi_chain_has_orphan(const popi_chain_t *c, const popi_store_node_t *n)
{
    for (size_t i = 0; i < c->n_orphans; i++)
        if (c->orphans[i] == n) return true;
    return false;
}

int64_t popi_chain_height(const popi_chain_t *c)
{
    return c->tip ? (int64_t)c->tip->block->hdr.height : -1;
}

popi_err_t popi_chain_balance(popi_chain_t *c, const popi_pubkey_t *owner,
                              popi_store_balance_t *out)
{
    if (!c->tip) {
        memset(out, 0, sizeof *out);
        return popi_err_set(POPI_ESTATE, "chain: balance needs a tip (no genesis yet)");
    }
    return popi_store_balance(c->store, c->tip, owner, out);
}

static void orphan_add(popi_chain_t *c, popi_store_node_t *n)
{
    if (c->max_orphans == 0) return;
    if (c->n_orphans == c->max_orphans) { /* drop the oldest */
        memmove(c->orphans, c->orphans + 1, (c->n_orphans - 1) * sizeof *c->orphans);
        c->n_orphans--;
    }
    POPI_GROW(c->orphans, c->cap_orphans, c->n_orphans + 1);
    c->orphans[c->n_orphans++] = n;
}

static void mempool_update_add(popi_mempool_update_t *acc, const popi_mempool_update_t *u)
{
    acc->n_confirmed += u->n_confirmed;
    acc->n_conflicts += u->n_conflicts;
    acc->n_taken_back += u->n_taken_back;
    acc->n_dropped += u->n_dropped;
}

/* Make the known block @p x the tip. */
static void set_tip(popi_chain_t *c, popi_store_node_t *x, popi_chain_result_t *res)
{
    popi_store_node_t *old = c->tip;
    if (!old || x->parent != old) {
        popi_store_node_t *fork = popi_store_fork_point(old, x);
        uint32_t undone = 0;
        for (popi_store_node_t *y = old; y != fork; y = y->parent) {
            side_add(c, y);
            undone++;
        }
        for (popi_store_node_t *y = x->parent; y != fork; y = y->parent)
            side_remove(c, y);
        if (undone) {
            c->n_reorgs++;
            if (undone > c->max_reorg_depth) c->max_reorg_depth = undone;
            if (undone > res->reorg_depth) res->reorg_depth = undone;
        }
    }
    c->tip = x;
    if (c->mempool) {
        popi_mempool_update_t u;
        popi_err_t e = popi_mempool_set_tip(c->mempool, x, &u);
        POPI_ASSERT(e == POPI_OK); /* x is VALID */
        mempool_update_add(&res->mempool, &u);
    }
}

static void add_cost(popi_store_cost_t *acc, const popi_store_node_t *x)
{
    popi_store_cost_t k;
    popi_store_cost(x, &k);
    acc->n_sig_checks += k.n_sig_checks;
    acc->n_inputs += k.n_inputs;
    acc->n_outputs += k.n_outputs;
    acc->bytes += k.bytes;
    acc->hash_bytes += k.hash_bytes;
}

/* Decide about one block (see popi_chain_submit). */
static popi_chain_outcome_t process(popi_chain_t *c, popi_store_node_t *x, popi_time_t now,
                                    popi_chain_result_t *res, popi_ledger_verdict_t *v)
{
    if (x->status == POPI_STORE_INVALID || x->status == POPI_STORE_INVALID_PARENT) {
        popi_store_verdict(x, v);
        return POPI_CHAIN_INVALID;
    }
    if (popi_chain_knows(c, x) || popi_chain_has_orphan(c, x)) {
        popi_store_verdict(x, v);
        return POPI_CHAIN_DUPLICATE;
    }
    bool root = popi_hash_is_zero(&x->block->hdr.prev);
    if (!root && !popi_chain_knows(c, x->parent)) {
        orphan_add(c, x);
        popi_store_verdict(x, v);
        return POPI_CHAIN_ORPHAN;
    }
    uint32_t before = x->n_validations;
    popi_err_t e = popi_store_validate(c->store, x, now, v);
    POPI_ASSERT(e == POPI_OK); /* a known parent is VALID, so x is rooted */
    res->n_validated += x->n_validations - before;
    if (x->status == POPI_STORE_UNCHECKED) return POPI_CHAIN_NOT_YET;
    if (x->status != POPI_STORE_VALID) return POPI_CHAIN_INVALID;
    add_cost(&res->cost, x);
    if (!c->tip || x->chain_weight > c->tip->chain_weight) {
        set_tip(c, x, res);
        return POPI_CHAIN_TIP;
    }
    side_add(c, x);
    return POPI_CHAIN_SIDE;
}

popi_err_t popi_chain_submit(popi_chain_t *c, popi_store_node_t *n, popi_time_t now,
                             popi_chain_result_t *res)
{
    popi_chain_result_t local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    popi_store_node_t **queue = popi_xmalloc(sizeof *queue);
    size_t head = 0, qn = 0, cap = 1;
    queue[qn++] = n;
    while (head < qn) {
        popi_store_node_t *x = queue[head++];
        popi_ledger_verdict_t v;
        popi_chain_outcome_t o = process(c, x, now, res, &v);
        if (head == 1) {
            res->outcome = o;
            res->verdict = v;
        }
        if (o == POPI_CHAIN_TIP || o == POPI_CHAIN_SIDE)
            res->n_connected++;
        else if (o == POPI_CHAIN_INVALID)
            res->n_rejected++;
        else
            continue;
        /* Orphans waiting for x: connect them, or reject them with it. */
        size_t keep = 0;
        for (size_t i = 0; i < c->n_orphans; i++) {
            popi_store_node_t *w = c->orphans[i];
            if (popi_hash_eq(&w->block->hdr.prev, &x->block->hash)) {
                POPI_GROW(queue, cap, qn + 1);
                queue[qn++] = w;
            } else {
                c->orphans[keep++] = w;
            }
        }
        c->n_orphans = keep;
    }
    free(queue);
    return POPI_OK;
}

popi_err_t popi_chain_submit_block(popi_chain_t *c, popi_block_t *block, popi_time_t now,
                                   popi_chain_result_t *res, popi_store_node_t **node)
{
    popi_store_node_t *n = popi_store_add(c->store, block, NULL);
    if (node) *node = n;
    return popi_chain_submit(c, n, now, res);
}

/* ---- producing blocks ---- */

void popi_chain_template_destroy(popi_chain_template_t *t)
{
    if (!t) return;
    for (uint32_t i = 0; i < t->n_tx; i++)
        popi_tx_destroy(&t->tx[i]);
    free(t->tx);
    memset(t, 0, sizeof *t);
}

popi_err_t popi_chain_template(popi_chain_t *c, const popi_pubkey_t *producer, popi_time_t time,
                               uint32_t bits, const popi_txout_t *sharing, uint32_t n_sharing,
                               popi_chain_template_t *t)
{
    return popi_chain_template_from(c, c->mempool, NULL, NULL, producer, time, bits, sharing,
                                    n_sharing, t);
}

popi_err_t popi_chain_template_from(popi_chain_t *c, popi_mempool_t *mp, popi_mempool_keep_fn keep,
                                    void *keep_ctx, const popi_pubkey_t *producer, popi_time_t time,
                                    uint32_t bits, const popi_txout_t *sharing, uint32_t n_sharing,
                                    popi_chain_template_t *t)
{
    memset(t, 0, sizeof *t);
    const popi_ledger_rules_t *rules = popi_store_rules(c->store);
    popi_block_header_t *h = &t->hdr;
    popi_block_header_init(h);
    h->kind = rules->kind;
    h->bits = bits;
    h->producer = *producer;
    h->time = time < 0 ? 0 : time;
    if (c->tip) {
        h->height = c->tip->block->hdr.height + 1;
        h->prev = c->tip->block->hash;
        popi_time_t times[11];
        size_t k = 0;
        for (const popi_store_node_t *a = c->tip; a && k < 11; a = a->parent)
            times[k++] = a->block->hdr.time;
        popi_time_t mtp = popi_ledger_median_time_past(times, k);
        if (h->time <= mtp) h->time = mtp + 1;
    }
    /* Coinbase first with zero packing reward: its size does not depend on amounts. */
    popi_tx_t cb;
    uint64_t subsidy =
        popi_ledger_block_subsidy(h->height, rules->initial_subsidy, rules->halving_interval);
    popi_err_t e = popi_tx_coinbase(&cb, h->height, producer, subsidy, 0, sharing, n_sharing);
    if (e) return popi_err_wrap(e, "chain: template");
    size_t fixed = POPI_BLOCK_HEADER_MIN_BYTES + 5 + cb.size;
    const popi_tx_t **sel = NULL;
    size_t n_sel = 0;
    uint64_t fees = 0;
    if (mp && popi_mempool_tip(mp) == c->tip && c->tip && rules->max_block_txs > 1 &&
        rules->max_block_bytes > fixed)
        popi_mempool_select_if(mp, rules->max_block_txs - 1, rules->max_block_bytes - fixed, keep,
                               keep_ctx, &sel, &n_sel, &fees);
    popi_tx_destroy(&cb);
    uint64_t packing = rules->packing_per_tx * n_sel + fees;
    e = popi_tx_coinbase(&cb, h->height, producer, subsidy, packing, sharing, n_sharing);
    if (e) {
        free(sel);
        return popi_err_wrap(e, "chain: template");
    }
    t->n_tx = (uint32_t)(1 + n_sel);
    t->tx = popi_xcalloc(t->n_tx, sizeof *t->tx);
    t->tx[0] = cb;
    for (size_t i = 0; i < n_sel; i++)
        popi_tx_copy(&t->tx[1 + i], sel[i]);
    free(sel);
    t->fees = fees;
    popi_block_merkle_root(t->tx, t->n_tx, &h->merkle_root, NULL);
    return POPI_OK;
}

popi_err_t popi_chain_template_finish(popi_chain_template_t *t, popi_block_t **out)
{
    return popi_block_create(&t->hdr, t->tx, t->n_tx, out);
}

popi_err_t popi_chain_mine_pow(popi_chain_t *c, const popi_pubkey_t *producer, popi_time_t time,
                               unsigned zero_bits, uint64_t nonce_start, uint64_t max_tries,
                               popi_chain_result_t *res, popi_store_node_t **node, uint64_t *tries)
{
    if (node) *node = NULL;
    if (tries) *tries = 0;
    uint32_t bits;
    popi_err_t e = popi_target_bits_for_zero_bits(zero_bits, &bits);
    if (e) return popi_err_wrap(e, "chain: mine");
    popi_chain_template_t t;
    if ((e = popi_chain_template(c, producer, time, bits, NULL, 0, &t))) return e;
    t.hdr.nonce = nonce_start;
    if ((e = popi_block_grind(&t.hdr, max_tries, tries))) {
        popi_chain_template_destroy(&t);
        return popi_err_wrap(e, "chain: mine at %u zero bits", zero_bits);
    }
    popi_block_t *b;
    e = popi_chain_template_finish(&t, &b);
    popi_chain_template_destroy(&t);
    if (e) return popi_err_wrap(e, "chain: mine");
    popi_time_t now = time > b->hdr.time ? time : b->hdr.time;
    return popi_chain_submit_block(c, b, now, res, node);
}

/* ---- chain files ---- */

popi_err_t popi_chain_save(const popi_chain_t *c, const char *path)
{
    if (!c->tip) return popi_err_set(POPI_ESTATE, "chain: save %s: no blocks yet", path);
    size_t n = (size_t)c->tip->depth + 1;
    const popi_block_t **blocks = popi_xmalloc(n * sizeof *blocks);
    size_t i = n;
    for (const popi_store_node_t *x = c->tip; x; x = x->parent)
        blocks[--i] = x->block;
    POPI_ASSERT(i == 0);
    popi_err_t e = popi_chainfile_write(path, blocks, n);
    free(blocks);
    return e;
}

popi_err_t popi_chain_load(popi_chain_t *c, const char *path, popi_time_t now,
                           popi_chain_load_t *st)
{
    popi_chain_load_t local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    popi_block_t **blocks;
    size_t n;
    popi_err_t e = popi_chainfile_read(path, &blocks, &n);
    if (e) return e;
    st->n_blocks = n;
    bool have_invalid = false;
    for (size_t i = 0; i < n; i++) {
        popi_chain_result_t r;
        popi_chain_submit_block(c, blocks[i], now, &r, NULL);
        st->n_connected += r.n_connected;
        st->n_invalid += r.n_rejected;
        if (r.outcome == POPI_CHAIN_INVALID && !have_invalid) {
            st->first_invalid = r.verdict;
            have_invalid = true;
        }
        if (r.outcome != POPI_CHAIN_TIP && r.outcome != POPI_CHAIN_SIDE &&
            r.outcome != POPI_CHAIN_INVALID)
            st->n_other++;
    }
    free(blocks); /* the blocks now belong to the store */
    return POPI_OK;
}
