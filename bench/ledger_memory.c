/* SPDX-License-Identifier: MIT */
/*
 * ledger_memory.c - memory of the Mcoin ledger per block, per transaction and per node (the
 * "Ledger memory" figures of docs/ARCHITECTURE.md). Not a test: build and run it by hand,
 *   cmake --build build --target bench_ledger_memory && build/bench_ledger_memory
 *
 * Workload: a chain of B blocks through one chain view; after a fan-out block, every block holds
 * K transfers of 1 input and 2 outputs (wallet i re-spends its coin, paying itself the value and
 * a 0-unit output to wallet i + 1, so the UTXO set grows by one output per transfer). Then V more
 * chain views sync the same chain, and one mempool holds P chained payments.
 * Method: the store's own accounting (popi_store_stats: bytes requested from malloc, counted by
 * construction) next to glibc's count of bytes in use (mallinfo2: uordblks + hblkhd, which adds
 * the allocator's per-chunk overhead). Deterministic: keys from fixed numbers, no randomness.
 */
#define _GNU_SOURCE /* mallinfo2 */
#include "popi/chain.h"
#include "ledger_workload.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static void die(const char *what)
{
    fprintf(stderr, "ledger_memory: %s: %s\n", what, popi_err_message());
    exit(1);
}

int main(int argc, char **argv)
{
    int n_blocks = argc > 1 ? atoi(argv[1]) : 500;
    int k = argc > 2 ? atoi(argv[2]) : 20;
    int n_views = argc > 3 ? atoi(argv[3]) : 200;
    int n_pool = argc > 4 ? atoi(argv[4]) : 2000;
    if (n_blocks < 2 || k < 0 || n_views < 0 || n_pool < 0) {
        fprintf(stderr, "usage: bench_ledger_memory [blocks >= 2] [tx per block] [views] "
                        "[mempool txs]\n");
        return 2;
    }
    if (popi_crypto_init()) die("libsodium");
    popi_store_config_t cfg;
    popi_store_config_default(&cfg, POPI_CONSENSUS_POW);
    cfg.rules.coinbase_maturity = 0;
    cfg.rules.max_block_txs = 1000000;
    cfg.rules.max_block_bytes = 64u << 20;
    popi_keypair_t prod, *w = popi_xcalloc((size_t)k + 1, sizeof *w);
    popi_crypto_keypair_from_u64(&prod, 1);
    for (int i = 0; i < k; i++)
        popi_crypto_keypair_from_u64(&w[i], 100 + (uint64_t)i);
    popi_outpoint_t *coin = popi_xcalloc((size_t)k + 1, sizeof *coin);
    uint64_t *amount = popi_xcalloc((size_t)k + 1, sizeof *amount);

    size_t h0 = heap_in_use();
    popi_store_t *s;
    if (popi_store_create(&cfg, &s)) die("store");
    popi_chain_t c;
    popi_chain_init(&c, s, NULL);
    for (int b = 0; b < n_blocks; b++)
        ledger_workload_next_block("ledger_memory", &c, &prod, w, k, b, coin, amount);
    size_t h1 = heap_in_use();
    popi_store_stats_t st;
    popi_store_stats(s, &st);
    printf("chain: %d blocks, %d transfers per block: %zu transactions, %zu inputs, %zu outputs, "
           "%zu unspent\n",
           n_blocks, k, st.n_tx, st.n_inputs, st.n_outputs, st.n_utxos);
    printf("store, accounted: %zu B = blocks %zu + nodes %zu + index %zu + state %zu\n",
           st.bytes_total, st.bytes_blocks, st.bytes_nodes, st.bytes_index, st.bytes_state);
    printf("store, malloc in use: %zu B\n", h1 - h0);
    printf("per block: %.0f B accounted, %.0f B malloc; per transaction: %.0f B accounted, %.0f "
           "B malloc\n",
           (double)st.bytes_total / n_blocks, (double)(h1 - h0) / n_blocks,
           (double)st.bytes_total / (double)st.n_tx, (double)(h1 - h0) / (double)st.n_tx);

    size_t v0 = heap_in_use();
    popi_chain_t *views = popi_xcalloc((size_t)n_views + 1, sizeof *views);
    popi_store_node_t **path = popi_xmalloc(((size_t)c.tip->depth + 1) * sizeof *path);
    for (int v = 0; v < n_views; v++) {
        popi_chain_init(&views[v], s, NULL);
        size_t np = 0;
        for (popi_store_node_t *x = c.tip; x; x = x->parent)
            path[np++] = x;
        while (np)
            popi_chain_submit(&views[v], path[--np], INT64_MAX - 1, NULL);
        if (views[v].tip != c.tip) die("view did not sync");
    }
    size_t v1 = heap_in_use();
    printf("chain views synced to the tip: %.0f B each (malloc, including the view struct)\n",
           n_views ? (double)(v1 - v0 - ((size_t)c.tip->depth + 1) * sizeof *path) / n_views : 0.0);

    size_t m0 = heap_in_use();
    popi_mempool_t *mp = popi_mempool_create(s, 0);
    if (popi_mempool_set_tip(mp, c.tip, NULL)) die("mempool tip");
    for (int i = 0; i < n_pool; i++) {
        popi_mempool_result_t r;
        if (popi_mempool_pay(mp, &prod, &prod.pk, 1000, 1, &r, NULL) ||
            r.outcome != POPI_MEMPOOL_ACCEPTED)
            die("pay");
    }
    size_t m1 = heap_in_use();
    printf("mempool: %d chained payments (1 input, 2 outputs): %.0f B each accounted, %.0f B "
           "malloc\n",
           n_pool, n_pool ? (double)popi_mempool_bytes(mp) / n_pool : 0.0,
           n_pool ? (double)(m1 - m0) / n_pool : 0.0);
    printf("sizes: node %zu, block %zu, tx %zu, input %zu, output %zu, UTXO slot %zu, chain view "
           "%zu B\n",
           sizeof(popi_store_node_t), sizeof(popi_block_t), sizeof(popi_tx_t), sizeof(popi_txin_t),
           sizeof(popi_txout_t), sizeof(popi_utxoset_entry_t), sizeof(popi_chain_t));

    popi_mempool_free(mp);
    for (int v = 0; v < n_views; v++)
        popi_chain_destroy(&views[v]);
    free(views);
    free(path);
    popi_chain_destroy(&c);
    popi_store_free(s);
    free(w);
    free(coin);
    free(amount);
    return 0;
}
