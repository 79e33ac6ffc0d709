/* SPDX-License-Identifier: MIT */
/*
 * mempool.c - the pool of unconfirmed transactions (mempool.h): admission with the block rules
 * over a layered view (pool spends, pool outputs, then the store's state at the tip), removal
 * of confirmed and conflicting transactions with their descendants, rebuilding on a reorg, block
 * template selection and wallet payments.
 *
 * Entries sit in an array in arrival order; removal marks an entry dead and the array is
 * compacted (tables rebuilt) when the dead outnumber the live. Table marks are entry slot + 1.
 */
#include "popi/mempool.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    popi_tx_t tx;
    uint64_t fee;
    bool live;
} entry_t;

struct popi_mempool {
    popi_store_t *store;
    popi_store_node_t *tip;
    entry_t *e;
    size_t n, cap, n_live;
    popi_utxoset_t spent;   /* outputs spent by pool txs → spender slot + 1 */
    popi_utxoset_t created; /* outputs of pool txs → creator slot + 1 */
    size_t max_txs;
    popi_utxo_view_t tip_view; /* valid right after popi_store_view_at(store, tip) */
};

const char *popi_mempool_outcome_name(popi_mempool_outcome_t o)
{
    static const char *const names[] = {"accepted",     "duplicate", "confirmed", "conflict",
                                        "double-spend", "invalid",   "full"};
    return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

popi_mempool_t *popi_mempool_create(popi_store_t *store, size_t max_txs)
{
    popi_mempool_t *mp = popi_xcalloc(1, sizeof *mp);
    mp->store = store;
    mp->max_txs = max_txs ? max_txs : 100000;
    popi_utxoset_init(&mp->spent);
    popi_utxoset_init(&mp->created);
    return mp;
}

static void clear_entries(popi_mempool_t *mp)
{
    for (size_t i = 0; i < mp->n; i++)
        if (mp->e[i].live) popi_tx_destroy(&mp->e[i].tx);
    mp->n = mp->n_live = 0;
    popi_utxoset_clear(&mp->spent);
    popi_utxoset_clear(&mp->created);
}

void popi_mempool_free(popi_mempool_t *mp)
{
    if (!mp) return;
    clear_entries(mp);
    free(mp->e);
    popi_utxoset_destroy(&mp->spent);
    popi_utxoset_destroy(&mp->created);
    free(mp);
}

popi_store_node_t *popi_mempool_tip(const popi_mempool_t *mp)
{
    return mp->tip;
}

size_t popi_mempool_count(const popi_mempool_t *mp)
{
    return mp->n_live;
}

const popi_tx_t *popi_mempool_next(const popi_mempool_t *mp, size_t *pos)
{
    while (*pos < mp->n) {
        const entry_t *e = &mp->e[(*pos)++];
        if (e->live) return &e->tx;
    }
    return NULL;
}

/* Slot of the live pool transaction @p txid, or -1. */
static long find_slot(const popi_mempool_t *mp, const popi_hash_t *txid)
{
    popi_outpoint_t op = {*txid, 0};
    const popi_utxoset_entry_t *c = popi_utxoset_find(&mp->created, &op);
    return c ? (long)c->mark - 1 : -1;
}

bool popi_mempool_contains(const popi_mempool_t *mp, const popi_hash_t *txid)
{
    return find_slot(mp, txid) >= 0;
}

static uint64_t next_height(const popi_mempool_t *mp)
{
    return mp->tip->block->hdr.height + 1;
}

/* Enter slot @p i (its tx already in place) into the tables. */
static void index_entry(popi_mempool_t *mp, size_t i)
{
    const popi_tx_t *tx = &mp->e[i].tx;
    popi_utxo_t u;
    memset(&u, 0, sizeof u);
    for (uint32_t k = 0; k < tx->n_in; k++)
        popi_utxoset_insert(&mp->spent, &tx->in[k].prev, &u, (uint32_t)i + 1);
    u.height = next_height(mp);
    for (uint32_t o = 0; o < tx->n_out; o++) {
        popi_outpoint_t op = {tx->txid, o};
        u.amount = tx->out[o].amount;
        u.owner = tx->out[o].owner;
        popi_utxoset_insert(&mp->created, &op, &u, (uint32_t)i + 1);
    }
}

/* Drop dead entries, keeping the order, and rebuild the tables. */
static void compact(popi_mempool_t *mp)
{
    size_t k = 0;
    for (size_t i = 0; i < mp->n; i++)
        if (mp->e[i].live) mp->e[k++] = mp->e[i];
    mp->n = k;
    popi_utxoset_clear(&mp->spent);
    popi_utxoset_clear(&mp->created);
    for (size_t i = 0; i < mp->n; i++)
        index_entry(mp, i);
}

/* Remove slot @p slot; with @p descendants also every pool transaction spending its outputs,
 * recursively. Returns the number removed. */
static uint32_t remove_entry(popi_mempool_t *mp, size_t slot, bool descendants)
{
    uint32_t removed = 0;
    size_t *stack = popi_xmalloc(sizeof *stack), k = 0, cap = 1;
    stack[k++] = slot;
    while (k) {
        entry_t *e = &mp->e[stack[--k]];
        if (!e->live) continue;
        const popi_tx_t *tx = &e->tx;
        for (uint32_t i = 0; i < tx->n_in; i++)
            popi_utxoset_remove(&mp->spent, &tx->in[i].prev, NULL);
        for (uint32_t o = 0; o < tx->n_out; o++) {
            popi_outpoint_t op = {tx->txid, o};
            popi_utxoset_remove(&mp->created, &op, NULL);
            const popi_utxoset_entry_t *sp = popi_utxoset_find(&mp->spent, &op);
            if (descendants && sp) {
                POPI_GROW(stack, cap, k + 1);
                stack[k++] = sp->mark - 1;
            }
        }
        popi_tx_destroy(&e->tx);
        e->live = false;
        mp->n_live--;
        removed++;
    }
    free(stack);
    if (mp->n > 32 && 2 * mp->n_live < mp->n) compact(mp);
    return removed;
}

/* ---- admission ---- */

static popi_utxo_state_t pool_lookup(const void *self, const popi_outpoint_t *op, popi_utxo_t *out)
{
    const popi_mempool_t *mp = self;
    if (popi_utxoset_find(&mp->spent, op)) return POPI_UTXO_SPENT;
    const popi_utxoset_entry_t *c = popi_utxoset_find(&mp->created, op);
    if (c) {
        *out = c->utxo;
        return POPI_UTXO_UNSPENT;
    }
    return popi_utxo_view_lookup(&mp->tip_view, op, out);
}

static const popi_utxo_view_ops_t POOL_OPS = {pool_lookup};

popi_err_t popi_mempool_add(popi_mempool_t *mp, const popi_tx_t *tx, popi_mempool_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->verdict.tx_index = res->verdict.input_index = -1;
    if (!mp->tip) return popi_err_set(POPI_ESTATE, "mempool: add needs a tip (set_tip first)");
    popi_tx_t copy;
    popi_tx_copy(&copy, tx);
    popi_tx_seal(&copy);
    if (find_slot(mp, &copy.txid) >= 0) {
        res->outcome = POPI_MEMPOOL_DUPLICATE;
    } else if (popi_store_find_tx(mp->store, &copy.txid, mp->tip, NULL, NULL)) {
        res->outcome = POPI_MEMPOOL_CONFIRMED;
    } else if (mp->n_live >= mp->max_txs) {
        res->outcome = POPI_MEMPOOL_FULL;
    } else {
        popi_err_t e = popi_store_view_at(mp->store, mp->tip, &mp->tip_view);
        POPI_ASSERT(e == POPI_OK); /* the tip is VALID (set_tip checks) */
        popi_utxo_view_t view = {&POOL_OPS, mp};
        popi_verr_t code =
            popi_utxoset_check_tx(&copy, next_height(mp), -1, popi_store_rules(mp->store), &view,
                                  &res->fee, &res->verdict);
        if (code == POPI_VERR_OK) {
            POPI_GROW(mp->e, mp->cap, mp->n + 1);
            entry_t *en = &mp->e[mp->n];
            en->tx = copy;
            en->fee = res->fee;
            en->live = true;
            index_entry(mp, mp->n);
            mp->n++;
            mp->n_live++;
            res->outcome = POPI_MEMPOOL_ACCEPTED;
            return POPI_OK;
        }
        if (code == POPI_VERR_INPUT_SPENT) {
            const popi_outpoint_t *op = &copy.in[res->verdict.input_index].prev;
            res->outcome = popi_utxoset_find(&mp->spent, op) ? POPI_MEMPOOL_CONFLICT
                                                             : POPI_MEMPOOL_DOUBLE_SPEND;
        } else {
            res->outcome = POPI_MEMPOOL_INVALID;
        }
    }
    popi_tx_destroy(&copy);
    return POPI_OK;
}

/* ---- tip changes ---- */

/* The pool's tip moves from its parent to @p b. */
static void connect_block(popi_mempool_t *mp, popi_store_node_t *b, popi_mempool_update_t *upd)
{
    mp->tip = b;
    const popi_block_t *blk = b->block;
    for (uint32_t t = 1; t < blk->n_tx; t++) {
        const popi_tx_t *tx = &blk->tx[t];
        long slot = find_slot(mp, &tx->txid);
        if (slot >= 0) {
            upd->n_confirmed += remove_entry(mp, (size_t)slot, false);
            continue;
        }
        for (uint32_t i = 0; i < tx->n_in; i++) {
            const popi_utxoset_entry_t *sp = popi_utxoset_find(&mp->spent, &tx->in[i].prev);
            if (sp) upd->n_conflicts += remove_entry(mp, sp->mark - 1, true);
        }
    }
    /* Pool outputs now count as created at the new next height (maturity only concerns
     * coinbases, so the recorded height is informational). */
}

popi_err_t popi_mempool_set_tip(popi_mempool_t *mp, popi_store_node_t *tip,
                                popi_mempool_update_t *upd)
{
    popi_mempool_update_t local;
    if (!upd) upd = &local;
    memset(upd, 0, sizeof *upd);
    if (!tip || tip->status != POPI_STORE_VALID)
        return popi_err_set(POPI_ESTATE, "mempool: set_tip needs a valid block, got %s",
                            tip ? popi_store_status_name(tip->status) : "NULL");
    popi_store_node_t *old = mp->tip;
    if (old == tip) return POPI_OK;
    if (old && popi_store_is_ancestor(old, tip)) {
        size_t k = tip->depth - old->depth;
        popi_store_node_t **path = popi_xmalloc(k * sizeof *path);
        size_t i = k;
        for (popi_store_node_t *x = tip; x != old; x = x->parent)
            path[--i] = x;
        for (i = 0; i < k; i++)
            connect_block(mp, path[i], upd);
        free(path);
        return POPI_OK;
    }
    /* Reorg (or first tip): rebuild on the new tip. */
    popi_store_node_t *fork = popi_store_fork_point(old, tip);
    size_t n_ab = 0;
    for (popi_store_node_t *x = old; x != fork; x = x->parent)
        n_ab++;
    popi_store_node_t **ab = popi_xmalloc((n_ab ? n_ab : 1) * sizeof *ab);
    size_t i = n_ab;
    for (popi_store_node_t *x = old; x != fork; x = x->parent)
        ab[--i] = x;
    size_t n_old = 0;
    entry_t *olds = popi_xmalloc((mp->n ? mp->n : 1) * sizeof *olds);
    for (i = 0; i < mp->n; i++)
        if (mp->e[i].live) olds[n_old++] = mp->e[i];
    mp->n = mp->n_live = 0; /* the transactions moved to olds */
    popi_utxoset_clear(&mp->spent);
    popi_utxoset_clear(&mp->created);
    mp->tip = tip;
    popi_mempool_result_t r;
    for (i = 0; i < n_ab; i++) {
        const popi_block_t *blk = ab[i]->block;
        for (uint32_t t = 1; t < blk->n_tx; t++) {
            popi_mempool_add(mp, &blk->tx[t], &r);
            if (r.outcome == POPI_MEMPOOL_ACCEPTED)
                upd->n_taken_back++;
            else if (r.outcome != POPI_MEMPOOL_CONFIRMED && r.outcome != POPI_MEMPOOL_DUPLICATE)
                upd->n_dropped++;
        }
    }
    for (i = 0; i < n_old; i++) {
        popi_mempool_add(mp, &olds[i].tx, &r);
        if (r.outcome == POPI_MEMPOOL_CONFIRMED)
            upd->n_confirmed++;
        else if (r.outcome != POPI_MEMPOOL_ACCEPTED && r.outcome != POPI_MEMPOOL_DUPLICATE)
            upd->n_conflicts++;
        popi_tx_destroy(&olds[i].tx);
    }
    free(olds);
    free(ab);
    return POPI_OK;
}

/* ---- block templates ---- */

void popi_mempool_select(const popi_mempool_t *mp, size_t max_txs, size_t max_bytes,
                         const popi_tx_t ***out, size_t *n_out, uint64_t *fees)
{
    popi_mempool_select_if(mp, max_txs, max_bytes, NULL, NULL, out, n_out, fees);
}

void popi_mempool_select_if(const popi_mempool_t *mp, size_t max_txs, size_t max_bytes,
                            popi_mempool_keep_fn keep, void *keep_ctx, const popi_tx_t ***out,
                            size_t *n_out, uint64_t *fees)
{
    *out = NULL;
    *n_out = 0;
    *fees = 0;
    size_t cap = 0, bytes = 0;
    bool *taken = popi_xcalloc(mp->n ? mp->n : 1, sizeof *taken);
    for (size_t i = 0; i < mp->n && *n_out < max_txs; i++) {
        const entry_t *e = &mp->e[i];
        if (!e->live || e->tx.size > max_bytes - bytes) continue;
        if (keep && !keep(keep_ctx, &e->tx)) continue;
        bool ok = true;
        for (uint32_t k = 0; k < e->tx.n_in && ok; k++) {
            const popi_utxoset_entry_t *c = popi_utxoset_find(&mp->created, &e->tx.in[k].prev);
            if (c && !taken[c->mark - 1]) ok = false; /* its pool parent was skipped */
        }
        if (!ok) continue;
        taken[i] = true;
        POPI_GROW(*out, cap, *n_out + 1);
        (*out)[(*n_out)++] = &e->tx;
        bytes += e->tx.size;
        *fees += e->fee;
    }
    free(taken);
}

/* ---- wallet ---- */

/* The spendable coins of @p owner in payment order. */
static popi_err_t list_coins(popi_mempool_t *mp, const popi_pubkey_t *owner,
                             popi_utxo_entry_t **coins, size_t *n_coins)
{
    *coins = NULL;
    *n_coins = 0;
    if (!mp->tip) return popi_err_set(POPI_ESTATE, "mempool: no tip (set_tip first)");
    popi_utxo_entry_t *all;
    size_t n_all;
    popi_err_t e = popi_store_utxos_of(mp->store, mp->tip, owner, &all, &n_all);
    if (e) return e;
    uint64_t next = next_height(mp);
    uint32_t maturity = popi_store_rules(mp->store)->coinbase_maturity;
    size_t k = 0, cap = n_all;
    for (size_t i = 0; i < n_all; i++) {
        const popi_utxo_entry_t *c = &all[i];
        if (popi_utxoset_find(&mp->spent, &c->op)) continue;
        if (c->utxo.coinbase && next < c->utxo.height + maturity + 1) continue;
        all[k++] = *c;
    }
    for (size_t i = 0; i < mp->n; i++) {
        const entry_t *en = &mp->e[i];
        if (!en->live) continue;
        for (uint32_t o = 0; o < en->tx.n_out; o++) {
            popi_outpoint_t op = {en->tx.txid, o};
            if (memcmp(en->tx.out[o].owner.b, owner->b, POPI_PUBKEY_BYTES) != 0 ||
                popi_utxoset_find(&mp->spent, &op))
                continue;
            POPI_GROW(all, cap, k + 1);
            all[k].op = op;
            all[k].utxo = popi_utxoset_find(&mp->created, &op)->utxo;
            k++;
        }
    }
    *coins = all;
    *n_coins = k;
    return POPI_OK;
}

popi_err_t popi_mempool_spendable(popi_mempool_t *mp, const popi_pubkey_t *owner, uint64_t *amount)
{
    popi_utxo_entry_t *coins;
    size_t n;
    *amount = 0;
    popi_err_t e = list_coins(mp, owner, &coins, &n);
    if (e) return e;
    for (size_t i = 0; i < n; i++)
        *amount += coins[i].utxo.amount;
    free(coins);
    return POPI_OK;
}

popi_err_t popi_mempool_pay(popi_mempool_t *mp, const popi_keypair_t *from, const popi_pubkey_t *to,
                            uint64_t amount, uint64_t fee, popi_mempool_result_t *res,
                            popi_hash_t *txid)
{
    memset(res, 0, sizeof *res);
    if (amount == 0 || amount > POPI_MAX_MONEY || fee > POPI_MAX_MONEY - amount)
        return popi_err_set(POPI_EINVAL,
                            "mempool: pay amount must be in [1, %llu] with amount + fee <= %llu, "
                            "got amount %llu fee %llu",
                            (unsigned long long)POPI_MAX_MONEY, (unsigned long long)POPI_MAX_MONEY,
                            (unsigned long long)amount, (unsigned long long)fee);
    popi_utxo_entry_t *coins;
    size_t n;
    popi_err_t e = list_coins(mp, &from->pk, &coins, &n);
    if (e) return e;
    uint64_t need = amount + fee, have = 0, total = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        total += coins[i].utxo.amount;
    while (k < n && have < need)
        have += coins[k++].utxo.amount;
    if (have < need) {
        free(coins);
        return popi_err_set(POPI_EINVAL,
                            "mempool: pay: insufficient funds: spendable %llu, need %llu "
                            "(amount %llu + fee %llu)",
                            (unsigned long long)total, (unsigned long long)need,
                            (unsigned long long)amount, (unsigned long long)fee);
    }
    if (k > POPI_TX_MAX_INPUTS) {
        free(coins);
        return popi_err_set(POPI_EINVAL,
                            "mempool: pay needs %zu coins, more than the %u inputs a transaction "
                            "may have",
                            k, POPI_TX_MAX_INPUTS);
    }
    uint64_t change = have - need;
    popi_tx_t tx;
    popi_tx_init(&tx, (uint32_t)k, change ? 2 : 1, 0);
    for (size_t i = 0; i < k; i++)
        tx.in[i].prev = coins[i].op;
    tx.out[0].amount = amount;
    tx.out[0].owner = *to;
    if (change) {
        tx.out[1].amount = change;
        tx.out[1].owner = from->pk;
    }
    free(coins);
    popi_tx_sign_all(&tx, from);
    popi_tx_seal(&tx);
    if (txid) *txid = tx.txid;
    e = popi_mempool_add(mp, &tx, res);
    popi_tx_destroy(&tx);
    return e;
}

size_t popi_mempool_bytes(const popi_mempool_t *mp)
{
    size_t b = sizeof *mp + mp->cap * sizeof *mp->e + popi_utxoset_bytes(&mp->spent) +
               popi_utxoset_bytes(&mp->created);
    for (size_t i = 0; i < mp->n; i++)
        if (mp->e[i].live)
            b += (size_t)mp->e[i].tx.n_in * sizeof(popi_txin_t) +
                 (size_t)mp->e[i].tx.n_out * sizeof(popi_txout_t);
    return b;
}
