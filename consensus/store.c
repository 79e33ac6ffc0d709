/* SPDX-License-Identifier: MIT */
/*
 * store.c - the shared block store (store.h): interning by hash, the block tree with skip
 * pointers, memoised validation, and the materialised UTXO state that moves between blocks by
 * replaying them forwards (apply) and backwards (undo); no per-block delta is kept.
 *
 * Central structures: an open-addressing table hash → node (load <= 1/2), the nodes in interning
 * order, a txid index (value = node seq << 32 | tx index), and the cursor state: a popi_utxoset_t
 * holding exactly the unspent outputs at `cursor` plus a per-owner balance table kept equal to
 * the sum of those outputs by owner. Undoing a block re-creates the outputs it spent from the
 * blocks that created them (found through the txid index among the block and its ancestors). Skip pointers follow Bitcoin's CBlockIndex::pskip scheme
 * (each node links to an ancestor at a depth with fewer set bits), which bounds ancestor
 * queries by O(log depth).
 */
#include "popi/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A per-owner balance. Slots are never removed (the number of owners of a run is small). */
typedef struct {
    popi_pubkey_t pk;
    bool used;
    uint64_t amount;
    uint64_t n_outputs;
} owner_slot_t;

struct popi_store {
    popi_store_config_t cfg;
    popi_store_node_t **nodes; /* by seq */
    size_t n_nodes, cap_nodes;
    popi_store_node_t **table; /* hash → node */
    size_t cap_table;
    popi_store_node_t **orphans; /* stored, prev not zero, parent not stored */
    size_t n_orphans, cap_orphans;
    popi_txindex_t txix;
    /* the materialised state */
    popi_store_node_t *cursor; /* NULL: the empty state */
    popi_utxoset_t utxo;
    owner_slot_t *owners;
    size_t cap_owners, n_owners;
    /* scratch paths */
    popi_store_node_t **path, **vpath;
    size_t cap_path, cap_vpath;
    /* counters */
    size_t n_validations, n_cursor_moves, n_tx, n_inputs, n_outputs, bytes_blocks;
};

const char *popi_store_status_name(popi_store_status_t st)
{
    switch (st) {
    case POPI_STORE_UNCHECKED:
        return "unchecked";
    case POPI_STORE_VALID:
        return "valid";
    case POPI_STORE_INVALID:
        return "invalid";
    case POPI_STORE_INVALID_PARENT:
        return "invalid-parent";
    }
    return "?";
}

double popi_store_weight_work(void *ctx, const popi_block_t *block)
{
    (void)ctx;
    popi_hash_t target;
    /* Bits that do not decode are no error here (they leave a message nobody reads). */
    if (popi_target_from_bits(block->hdr.bits, &target) != POPI_OK) return 1.0;
    return popi_target_work(&target);
}

void popi_store_config_default(popi_store_config_t *cfg, popi_consensus_kind_t kind)
{
    memset(cfg, 0, sizeof *cfg);
    popi_ledger_rules_default(&cfg->rules, kind);
    cfg->weight = popi_store_weight_work;
}

/* ---- hashing helpers ---- */

static uint64_t hash_key(const popi_hash_t *h)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | h->b[i];
    return popi_rng_mix64(x);
}

static size_t table_slot(const popi_store_t *s, const popi_hash_t *h)
{
    size_t mask = s->cap_table - 1, i = (size_t)hash_key(h) & mask;
    while (s->table[i] && !popi_hash_eq(&s->table[i]->block->hash, h))
        i = (i + 1) & mask;
    return i;
}

static void table_grow(popi_store_t *s)
{
    popi_store_node_t **old = s->table;
    size_t old_cap = s->cap_table;
    s->cap_table = old_cap ? 2 * old_cap : 64;
    s->table = popi_xcalloc(s->cap_table, sizeof *s->table);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) s->table[table_slot(s, &old[i]->block->hash)] = old[i];
    free(old);
}

static owner_slot_t *owner_find(const popi_store_t *s, const popi_pubkey_t *pk, bool *found)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | pk->b[i];
    size_t mask = s->cap_owners - 1, i = (size_t)popi_rng_mix64(x) & mask;
    while (s->owners[i].used && memcmp(s->owners[i].pk.b, pk->b, POPI_PUBKEY_BYTES) != 0)
        i = (i + 1) & mask;
    *found = s->owners[i].used;
    return &s->owners[i];
}

static void owners_grow(popi_store_t *s)
{
    owner_slot_t *old = s->owners;
    size_t old_cap = s->cap_owners;
    s->cap_owners = old_cap ? 2 * old_cap : 64;
    s->owners = popi_xcalloc(s->cap_owners, sizeof *s->owners);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used) {
            bool found;
            *owner_find(s, &old[i].pk, &found) = old[i];
        }
    free(old);
}

/* Add (sign +1) or remove (sign -1) one output of @p u to its owner's balance. */
static void owner_adjust(popi_store_t *s, const popi_utxo_t *u, int sign)
{
    if (2 * (s->n_owners + 1) > s->cap_owners) owners_grow(s);
    bool found;
    owner_slot_t *o = owner_find(s, &u->owner, &found);
    if (!found) {
        o->used = true;
        o->pk = u->owner;
        s->n_owners++;
    }
    if (sign > 0) {
        o->amount += u->amount;
        o->n_outputs++;
    } else {
        POPI_ASSERT(o->amount >= u->amount && o->n_outputs > 0);
        o->amount -= u->amount;
        o->n_outputs--;
    }
}

/* ---- create / free ---- */

popi_err_t popi_store_create(const popi_store_config_t *cfg, popi_store_t **out)
{
    *out = NULL;
    if (!cfg->rules.check_proof)
        return popi_err_set(POPI_EINVAL, "store: config rules.check_proof must be set, got NULL");
    popi_store_t *s = popi_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    if (!s->cfg.weight) s->cfg.weight = popi_store_weight_work;
    popi_txindex_init(&s->txix);
    popi_utxoset_init(&s->utxo);
    *out = s;
    return POPI_OK;
}

void popi_store_free(popi_store_t *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_nodes; i++) {
        popi_store_node_t *n = s->nodes[i];
        popi_block_free((popi_block_t *)n->block);
        free(n->message);
        free(n);
    }
    free(s->nodes);
    free(s->table);
    free(s->orphans);
    popi_txindex_destroy(&s->txix);
    popi_utxoset_destroy(&s->utxo);
    free(s->owners);
    free(s->path);
    free(s->vpath);
    free(s);
}

const popi_ledger_rules_t *popi_store_rules(const popi_store_t *s)
{
    return &s->cfg.rules;
}

size_t popi_store_count(const popi_store_t *s)
{
    return s->n_nodes;
}

popi_store_node_t *popi_store_find(const popi_store_t *s, const popi_hash_t *hash)
{
    if (!s->cap_table) return NULL;
    return s->table[table_slot(s, hash)];
}

/* ---- the tree ---- */

/* Depth a node's skip pointer goes to: clear the lowest set bit (twice for odd depths, then
 * step one up), so skips from nearby depths land on few shared ancestors. */
static int64_t clear_low(int64_t n)
{
    return n & (n - 1);
}

static int64_t skip_depth(int64_t d)
{
    if (d < 2) return 0;
    return (d & 1) ? clear_low(clear_low(d - 1)) + 1 : clear_low(d);
}

popi_store_node_t *popi_store_ancestor(popi_store_node_t *n, uint64_t depth)
{
    if (!n || depth > n->depth) return NULL;
    popi_store_node_t *w = n;
    int64_t dw = (int64_t)n->depth, d = (int64_t)depth;
    while (dw > d) {
        int64_t ds = skip_depth(dw), dsp = skip_depth(dw - 1);
        /* Take the skip unless it overshoots, or the parent's skip would reach further while
         * still not overshooting. */
        if (w->skip && (ds == d || (ds > d && !(dsp < ds - 2 && dsp >= d)))) {
            w = w->skip;
            dw = ds;
        } else {
            w = w->parent;
            dw--;
        }
    }
    return w;
}

bool popi_store_is_ancestor(const popi_store_node_t *a, const popi_store_node_t *n)
{
    if (!a || !n || a->depth > n->depth) return false;
    return popi_store_ancestor((popi_store_node_t *)n, a->depth) == a;
}

popi_store_node_t *popi_store_fork_point(popi_store_node_t *a, popi_store_node_t *b)
{
    if (!a || !b) return NULL;
    if (a->depth > b->depth) a = popi_store_ancestor(a, b->depth);
    if (b->depth > a->depth) b = popi_store_ancestor(b, a->depth);
    while (a != b) {
        a = a->parent;
        b = b->parent;
    }
    return a;
}

/* Recompute depth, skip, weight, rootedness and inherited invalidity for @p top (whose parent
 * is set) and its whole subtree, parents before children. */
static void relink_subtree(popi_store_t *s, popi_store_node_t *top)
{
    size_t k = 0;
    POPI_GROW(s->path, s->cap_path, 1);
    s->path[k++] = top;
    while (k) {
        popi_store_node_t *x = s->path[--k], *p = x->parent;
        x->depth = p->depth + 1;
        x->skip = popi_store_ancestor(p, (uint64_t)skip_depth((int64_t)x->depth));
        x->chain_weight = p->chain_weight + x->weight;
        x->rooted = p->rooted;
        if ((p->status == POPI_STORE_INVALID || p->status == POPI_STORE_INVALID_PARENT) &&
            x->status == POPI_STORE_UNCHECKED) {
            x->status = POPI_STORE_INVALID_PARENT;
            x->code = p->code;
            x->tx_index = x->input_index = -1;
        }
        for (popi_store_node_t *c = x->child; c; c = c->sibling) {
            POPI_GROW(s->path, s->cap_path, k + 1);
            s->path[k++] = c;
        }
    }
}

static void link_under(popi_store_t *s, popi_store_node_t *p, popi_store_node_t *c)
{
    c->parent = p;
    c->sibling = p->child;
    p->child = c;
    relink_subtree(s, c);
}

popi_store_node_t *popi_store_add(popi_store_t *s, popi_block_t *block, bool *added)
{
    popi_store_node_t *old = popi_store_find(s, &block->hash);
    if (old) {
        popi_block_free(block);
        if (added) *added = false;
        return old;
    }
    POPI_ASSERT(s->n_nodes < UINT32_MAX);
    if (2 * (s->n_nodes + 1) > s->cap_table) table_grow(s);
    popi_store_node_t *n = popi_xcalloc(1, sizeof *n);
    n->block = block;
    n->seq = s->n_nodes;
    n->tx_index = n->input_index = -1;
    double w = s->cfg.weight(s->cfg.weight_ctx, block);
    n->weight = (isfinite(w) && w > 0) ? w : 0.0;
    n->chain_weight = n->weight;
    n->cost_hash_bytes = (uint64_t)block->header_size + 32;
    if (block->n_tx > 1) n->cost_hash_bytes += (uint64_t)(block->n_tx - 1) * (64 + 32); /* Merkle */
    POPI_GROW(s->nodes, s->cap_nodes, s->n_nodes + 1);
    s->nodes[s->n_nodes++] = n;
    s->table[table_slot(s, &block->hash)] = n;
    s->bytes_blocks +=
        sizeof *block + block->hdr.proof_len + (block->n_tx ? block->n_tx : 1) * sizeof(popi_tx_t);
    for (uint32_t t = 0; t < block->n_tx; t++) {
        const popi_tx_t *tx = &block->tx[t];
        size_t bytes =
            (size_t)tx->n_in * sizeof(popi_txin_t) + (size_t)tx->n_out * sizeof(popi_txout_t);
        s->bytes_blocks += bytes ? bytes : 1;
        s->n_inputs += tx->n_in;
        s->n_outputs += tx->n_out;
        n->cost_inputs += tx->n_in;
        n->cost_outputs += tx->n_out;
        n->cost_hash_bytes += (uint64_t)tx->size + 32;                    /* txid */
        if (tx->n_in) n->cost_hash_bytes += (uint64_t)tx->size + 18 + 32; /* sighash */
        popi_txindex_add(&s->txix, &tx->txid, n->seq << 32 | t);
    }
    s->n_tx += block->n_tx;

    if (popi_hash_is_zero(&block->hdr.prev)) {
        n->rooted = true;
    } else {
        popi_store_node_t *p = popi_store_find(s, &block->hdr.prev);
        if (p) {
            link_under(s, p, n);
        } else {
            POPI_GROW(s->orphans, s->cap_orphans, s->n_orphans + 1);
            s->orphans[s->n_orphans++] = n;
        }
    }
    /* Adopt stored blocks that were waiting for this one (keeping the others in order). */
    size_t keep = 0;
    for (size_t i = 0; i < s->n_orphans; i++) {
        popi_store_node_t *o = s->orphans[i];
        if (o != n && popi_hash_eq(&o->block->hdr.prev, &block->hash))
            link_under(s, n, o);
        else
            s->orphans[keep++] = o;
    }
    s->n_orphans = keep;
    if (added) *added = true;
    return n;
}

popi_err_t popi_store_add_encoded(popi_store_t *s, const void *buf, size_t len,
                                  popi_store_node_t **out, bool *added)
{
    popi_block_t *b;
    *out = NULL;
    popi_err_t e = popi_block_decode(buf, len, &b);
    if (e) return popi_err_wrap(e, "store: add_encoded");
    *out = popi_store_add(s, b, added);
    return POPI_OK;
}

/* ---- the materialised state ---- */

/* Apply block @p x (VALID, child of the cursor) to the cursor state: transaction by transaction,
 * spend the inputs then add the outputs. Outputs created and spent inside the block come and go,
 * so the result is the parent's state minus the outputs spent plus those created and unspent. */
static void state_apply(popi_store_t *s, const popi_store_node_t *x)
{
    const popi_block_t *b = x->block;
    for (uint32_t t = 0; t < b->n_tx; t++) {
        const popi_tx_t *tx = &b->tx[t];
        for (uint32_t i = 0; i < tx->n_in; i++) {
            popi_utxo_t u;
            bool ok = popi_utxoset_remove(&s->utxo, &tx->in[i].prev, &u);
            POPI_ASSERT(ok);
            owner_adjust(s, &u, -1);
        }
        for (uint32_t o = 0; o < tx->n_out; o++) {
            popi_outpoint_t op = {tx->txid, o};
            popi_utxo_t u;
            popi_ledger_output_utxo(&s->cfg.rules, tx, b->hdr.height, o, &u);
            bool ok = popi_utxoset_insert(&s->utxo, &op, &u, 0);
            POPI_ASSERT(ok);
            owner_adjust(s, &u, +1);
        }
    }
    s->n_cursor_moves++;
}

/* Undo block @p x (the cursor) exactly in reverse: transactions last first, each removing its
 * outputs and then putting back the outputs it spent, whose records are rebuilt from the block
 * that created them: an earlier transaction of @p x or an ancestor of x (both found through the
 * txid index with @p x as tip; a valid chain holds each txid once). */
static void state_undo(popi_store_t *s, const popi_store_node_t *x)
{
    const popi_block_t *b = x->block;
    for (uint32_t t = b->n_tx; t-- > 0;) {
        const popi_tx_t *tx = &b->tx[t];
        for (uint32_t o = tx->n_out; o-- > 0;) {
            popi_outpoint_t op = {tx->txid, o};
            popi_utxo_t u;
            bool ok = popi_utxoset_remove(&s->utxo, &op, &u);
            POPI_ASSERT(ok);
            owner_adjust(s, &u, -1);
        }
        for (uint32_t i = tx->n_in; i-- > 0;) {
            const popi_outpoint_t *prev = &tx->in[i].prev;
            popi_store_node_t *src = NULL;
            uint32_t ti = 0;
            bool found = popi_store_find_tx(s, &prev->txid, x, &src, &ti);
            POPI_ASSERT(found && (src != x || ti < t));
            const popi_tx_t *ptx = &src->block->tx[ti];
            POPI_ASSERT(prev->index < ptx->n_out);
            popi_utxo_t u;
            popi_ledger_output_utxo(&s->cfg.rules, ptx, src->block->hdr.height, prev->index, &u);
            bool ok = popi_utxoset_insert(&s->utxo, prev, &u, 0);
            POPI_ASSERT(ok);
            owner_adjust(s, &u, +1);
        }
    }
    s->n_cursor_moves++;
}

/* Move the cursor to @p target (VALID, or NULL for the empty state). */
static void state_move(popi_store_t *s, popi_store_node_t *target)
{
    if (s->cursor == target) return;
    popi_store_node_t *fork = popi_store_fork_point(s->cursor, target);
    while (s->cursor != fork) {
        state_undo(s, s->cursor);
        s->cursor = s->cursor->parent;
    }
    size_t k = 0;
    for (popi_store_node_t *x = target; x != fork; x = x->parent) {
        POPI_ASSERT(x->status == POPI_STORE_VALID);
        POPI_GROW(s->path, s->cap_path, k + 1);
        s->path[k++] = x;
    }
    while (k)
        state_apply(s, s->path[--k]);
    s->cursor = target;
}

/* Is output @p op created by a transaction of a VALID block on the chain ending at @p tip? */
static bool created_on_chain(const popi_store_t *s, const popi_outpoint_t *op,
                             const popi_store_node_t *tip)
{
    for (uint32_t id = popi_txindex_first(&s->txix, &op->txid); id;
         id = popi_txindex_next(&s->txix, id)) {
        uint64_t v = popi_txindex_value(&s->txix, id);
        const popi_store_node_t *b = s->nodes[v >> 32];
        const popi_tx_t *tx = &b->block->tx[v & 0xffffffffu];
        if (op->index < tx->n_out && b->status == POPI_STORE_VALID &&
            popi_store_is_ancestor(b, tip))
            return true;
    }
    return false;
}

static popi_utxo_state_t cursor_lookup(const void *self, const popi_outpoint_t *op,
                                       popi_utxo_t *out)
{
    const popi_store_t *s = self;
    const popi_utxoset_entry_t *e = popi_utxoset_find(&s->utxo, op);
    if (e) {
        *out = e->utxo;
        return POPI_UTXO_UNSPENT;
    }
    if (s->cursor && created_on_chain(s, op, s->cursor)) return POPI_UTXO_SPENT;
    return POPI_UTXO_UNKNOWN;
}

static const popi_utxo_view_ops_t CURSOR_OPS = {cursor_lookup};

static popi_err_t need_valid(const popi_store_node_t *n, const char *fn)
{
    if (n && n->status != POPI_STORE_VALID) {
        char hx[17];
        popi_crypto_hex(hx, n->block->hash.b, 8);
        return popi_err_set(POPI_ESTATE, "store: %s needs a valid block, got %s... (%s)", fn, hx,
                            popi_store_status_name(n->status));
    }
    return POPI_OK;
}

popi_err_t popi_store_view_at(popi_store_t *s, popi_store_node_t *n, popi_utxo_view_t *view)
{
    popi_err_t e = need_valid(n, "view_at");
    if (e) return e;
    state_move(s, n);
    view->ops = &CURSOR_OPS;
    view->self = s;
    return POPI_OK;
}

popi_err_t popi_store_balance(popi_store_t *s, popi_store_node_t *n, const popi_pubkey_t *owner,
                              popi_store_balance_t *out)
{
    memset(out, 0, sizeof *out);
    popi_err_t e = need_valid(n, "balance");
    if (e) return e;
    state_move(s, n);
    if (s->cap_owners) {
        bool found;
        const owner_slot_t *o = owner_find(s, owner, &found);
        if (found) {
            out->total = o->amount;
            out->n_outputs = o->n_outputs;
        }
    }
    /* Coinbase outputs of the last `maturity` blocks cannot be spent in the next block. */
    uint64_t immature = 0;
    const popi_store_node_t *x = n;
    for (uint32_t k = 0; x && k < s->cfg.rules.coinbase_maturity; k++, x = x->parent) {
        const popi_tx_t *cb = &x->block->tx[0];
        for (uint32_t o = 0; o < cb->n_out; o++) {
            popi_outpoint_t op = {cb->txid, o};
            const popi_utxoset_entry_t *u = popi_utxoset_find(&s->utxo, &op);
            if (u && u->utxo.coinbase && !memcmp(u->utxo.owner.b, owner->b, POPI_PUBKEY_BYTES))
                immature += u->utxo.amount;
        }
    }
    out->spendable = out->total - immature;
    return POPI_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const popi_utxo_entry_t *x = a, *y = b;
    if (x->utxo.height != y->utxo.height) return x->utxo.height < y->utxo.height ? -1 : 1;
    int c = memcmp(x->op.txid.b, y->op.txid.b, POPI_HASH_BYTES);
    if (c) return c;
    return (x->op.index > y->op.index) - (x->op.index < y->op.index);
}

popi_err_t popi_store_utxos_of(popi_store_t *s, popi_store_node_t *n, const popi_pubkey_t *owner,
                               popi_utxo_entry_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    popi_err_t e = need_valid(n, "utxos_of");
    if (e) return e;
    state_move(s, n);
    size_t pos = 0, cap = 0;
    const popi_utxoset_entry_t *u;
    while ((u = popi_utxoset_next(&s->utxo, &pos)))
        if (!memcmp(u->utxo.owner.b, owner->b, POPI_PUBKEY_BYTES)) {
            POPI_GROW(*out, cap, *n_out + 1);
            (*out)[*n_out].op = u->op;
            (*out)[*n_out].utxo = u->utxo;
            (*n_out)++;
        }
    if (*n_out > 1) qsort(*out, *n_out, sizeof **out, cmp_entry);
    return POPI_OK;
}

bool popi_store_find_tx(const popi_store_t *s, const popi_hash_t *txid,
                        const popi_store_node_t *tip, popi_store_node_t **block, uint32_t *tx_index)
{
    for (uint32_t id = popi_txindex_first(&s->txix, txid); id;
         id = popi_txindex_next(&s->txix, id)) {
        uint64_t v = popi_txindex_value(&s->txix, id);
        popi_store_node_t *b = s->nodes[v >> 32];
        if (tip && !popi_store_is_ancestor(b, tip)) continue;
        if (block) *block = b;
        if (tx_index) *tx_index = (uint32_t)(v & 0xffffffffu);
        return true;
    }
    return false;
}

/* ---- validation ---- */

/* Mark every stored descendant of @p x INVALID_PARENT (x itself is INVALID). */
static void spread_invalid(popi_store_t *s, popi_store_node_t *x)
{
    size_t k = 0;
    for (popi_store_node_t *c = x->child; c; c = c->sibling) {
        POPI_GROW(s->path, s->cap_path, k + 1);
        s->path[k++] = c;
    }
    while (k) {
        popi_store_node_t *y = s->path[--k];
        y->status = POPI_STORE_INVALID_PARENT;
        y->code = x->code;
        y->tx_index = y->input_index = -1;
        for (popi_store_node_t *c = y->child; c; c = c->sibling) {
            POPI_GROW(s->path, s->cap_path, k + 1);
            s->path[k++] = c;
        }
    }
}

/* Run the validator on @p x, whose parent is VALID or absent (a root). */
static void run_validation(popi_store_t *s, popi_store_node_t *x, popi_time_t now,
                           popi_ledger_verdict_t *v)
{
    popi_store_node_t *p = x->parent;
    popi_time_t times[11];
    size_t k = 0;
    for (const popi_store_node_t *a = p; a && k < 11; a = a->parent)
        times[k++] = a->block->hdr.time;
    popi_utxo_view_t view;
    state_move(s, p);
    view.ops = &CURSOR_OPS;
    view.self = s;
    popi_ledger_context_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.parent = p ? p->block : NULL;
    ctx.ancestor_times = times;
    ctx.n_ancestor_times = k;
    ctx.now = now;
    ctx.sharing_allowed =
        s->cfg.sharing ? s->cfg.sharing(s->cfg.sharing_ctx, x->block, ctx.parent) : 0;
    ctx.view = &view;
    popi_verr_t code = popi_ledger_validate_block(x->block, &s->cfg.rules, &ctx, NULL, v);
    x->n_validations++;
    s->n_validations++;
    x->n_sig_checks = v->n_sig_checks;
    if (code == POPI_VERR_OK) {
        x->status = POPI_STORE_VALID;
        x->code = POPI_VERR_OK;
    } else if (code != POPI_VERR_TIME_TOO_NEW) {
        x->status = POPI_STORE_INVALID;
        x->code = code;
        x->tx_index = v->tx_index;
        x->input_index = v->input_index;
        x->message = popi_xstrdup(v->message);
        spread_invalid(s, x);
    }
}

popi_err_t popi_store_validate(popi_store_t *s, popi_store_node_t *n, popi_time_t now,
                               popi_ledger_verdict_t *v)
{
    popi_ledger_verdict_t local;
    if (!v) v = &local;
    if (n->status != POPI_STORE_UNCHECKED) {
        popi_store_verdict(n, v);
        return POPI_OK;
    }
    if (!n->rooted) {
        char hx[17], px[17];
        popi_crypto_hex(hx, n->block->hash.b, 8);
        const popi_store_node_t *top = n;
        while (top->parent)
            top = top->parent;
        popi_crypto_hex(px, top->block->hdr.prev.b, 8);
        return popi_err_set(POPI_ESTATE,
                            "store: cannot validate block %s... at height %llu: its ancestor "
                            "%s... is not in the store",
                            hx, (unsigned long long)n->block->hdr.height, px);
    }
    /* Unchecked ancestors first, oldest first (their parents are VALID or absent). */
    size_t k = 0;
    for (popi_store_node_t *x = n; x && x->status == POPI_STORE_UNCHECKED; x = x->parent) {
        POPI_GROW(s->vpath, s->cap_vpath, k + 1);
        s->vpath[k++] = x;
    }
    while (k) {
        popi_store_node_t *x = s->vpath[--k];
        POPI_ASSERT(!x->parent || x->parent->status == POPI_STORE_VALID);
        run_validation(s, x, now, v);
        if (x->status == POPI_STORE_UNCHECKED) return POPI_OK; /* TIME_TOO_NEW: v says so */
        if (x->status != POPI_STORE_VALID) break;              /* n is now INVALID_PARENT */
    }
    popi_store_verdict(n, v);
    return POPI_OK;
}

void popi_store_verdict(const popi_store_node_t *n, popi_ledger_verdict_t *v)
{
    unsigned long long h = (unsigned long long)n->block->hdr.height;
    memset(v, 0, sizeof *v);
    v->height = n->block->hdr.height;
    v->tx_index = n->tx_index;
    v->input_index = n->input_index;
    v->n_sig_checks = n->n_sig_checks;
    switch (n->status) {
    case POPI_STORE_VALID:
        v->code = POPI_VERR_OK;
        snprintf(v->message, sizeof v->message, "block %llu: valid", h);
        break;
    case POPI_STORE_UNCHECKED:
        v->code = POPI_VERR_OK;
        snprintf(v->message, sizeof v->message, "block %llu: not validated yet", h);
        break;
    case POPI_STORE_INVALID:
        v->code = n->code;
        snprintf(v->message, sizeof v->message, "%s", n->message ? n->message : "");
        break;
    case POPI_STORE_INVALID_PARENT: {
        const popi_store_node_t *a = n->parent;
        while (a && a->status != POPI_STORE_INVALID)
            a = a->parent;
        v->code = n->code;
        v->tx_index = v->input_index = -1;
        if (a)
            snprintf(v->message, sizeof v->message, "block %llu: builds on invalid block %llu (%s)",
                     h, (unsigned long long)a->block->hdr.height, popi_verr_name(a->code));
        else
            snprintf(v->message, sizeof v->message, "block %llu: builds on an invalid block", h);
        break;
    }
    }
}

void popi_store_cost(const popi_store_node_t *n, popi_store_cost_t *c)
{
    memset(c, 0, sizeof *c);
    c->n_sig_checks = n->n_sig_checks;
    c->n_inputs = n->cost_inputs;
    c->n_outputs = n->cost_outputs;
    c->bytes = n->block->size;
    c->hash_bytes = n->cost_hash_bytes;
}

/* ---- accounting ---- */

void popi_store_stats(const popi_store_t *s, popi_store_stats_t *st)
{
    memset(st, 0, sizeof *st);
    st->n_blocks = s->n_nodes;
    st->n_tx = s->n_tx;
    st->n_inputs = s->n_inputs;
    st->n_outputs = s->n_outputs;
    st->n_validations = s->n_validations;
    st->n_cursor_moves = s->n_cursor_moves;
    st->n_utxos = s->utxo.n;
    st->bytes_blocks = s->bytes_blocks;
    for (size_t i = 0; i < s->n_nodes; i++) {
        const popi_store_node_t *n = s->nodes[i];
        st->bytes_nodes += sizeof *n + (n->message ? strlen(n->message) + 1 : 0);
    }
    st->bytes_index = s->cap_table * sizeof *s->table + s->cap_nodes * sizeof *s->nodes +
                      s->cap_orphans * sizeof *s->orphans + popi_txindex_bytes(&s->txix) +
                      (s->cap_path + s->cap_vpath) * sizeof *s->path + sizeof *s;
    st->bytes_state = popi_utxoset_bytes(&s->utxo) + s->cap_owners * sizeof *s->owners;
    st->bytes_total = st->bytes_blocks + st->bytes_nodes + st->bytes_index + st->bytes_state;
}
