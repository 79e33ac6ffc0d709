/* SPDX-License-Identifier: MIT */
/*
 * ledger_workload.h - the chain both ledger benchmarks build (bench/ledger_memory.c and
 * bench/ledger_throughput.c), so that their figures describe the same workload.
 */
#ifndef POPI_BENCH_LEDGER_WORKLOAD_H
#define POPI_BENCH_LEDGER_WORKLOAD_H

#include "popi/chain.h"
#include "popi/store.h"
#include "popi/tx.h"

#include <stdio.h>
#include <stdlib.h>

static void ledger_workload_die(const char *prog, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, popi_err_message());
    exit(1);
}

/*
 * Append block b of the workload to the view's tip: block 1 fans the genesis reward out to the k
 * wallets w, every later block carries k transfers of one input and two outputs (wallet i pays
 * itself back minus a 1-unit fee and sends a zero output to wallet i+1, so the UTXO set grows by
 * one output per transfer). coin/amount track each wallet's spendable output. Exits on failure.
 */
static void ledger_workload_next_block(const char *prog, popi_chain_t *c, const popi_keypair_t *prod,
                                       const popi_keypair_t *w, int k, int b, popi_outpoint_t *coin,
                                       uint64_t *amount)
{
    const popi_ledger_rules_t *rules = popi_store_rules(c->store);
    popi_chain_template_t t;
    if (popi_chain_template(c, &prod->pk, (popi_time_t)(b + 1) * POPI_US_PER_S, 0x207fffff, NULL, 0,
                            &t))
        ledger_workload_die(prog, "template");
    int ntx = b >= 2 ? k : (b == 1 && k > 0);
    t.tx = popi_xrealloc(t.tx, (size_t)(1 + ntx) * sizeof *t.tx);
    uint64_t fees = 0;
    for (int i = 0; i < ntx; i++) {
        popi_tx_t *tx = &t.tx[1 + i];
        if (b == 1) { /* fan-out: the genesis reward to the k wallets */
            popi_outpoint_t g = {c->tip->block->tx[0].txid, 0};
            popi_tx_init(tx, 1, (uint32_t)k, 0);
            tx->in[0].prev = g;
            for (int j = 0; j < k; j++) {
                tx->out[j].amount = 1000000;
                tx->out[j].owner = w[j].pk;
            }
            popi_tx_sign_all(tx, prod);
            fees += c->tip->block->tx[0].out[0].amount - (uint64_t)k * 1000000;
        } else {
            popi_tx_init(tx, 1, 2, 0);
            tx->in[0].prev = coin[i];
            tx->out[0].amount = amount[i] - 1;
            tx->out[0].owner = w[i].pk;
            tx->out[1].amount = 0;
            tx->out[1].owner = w[(i + 1) % k].pk;
            popi_tx_sign_all(tx, &w[i]);
            fees += 1;
        }
        popi_tx_seal(tx);
    }
    t.n_tx = (uint32_t)(1 + ntx);
    popi_tx_t *cb = &t.tx[0];
    cb->sealed = false;
    cb->out[1].amount = rules->packing_per_tx * (uint64_t)ntx + fees;
    popi_tx_seal(cb);
    popi_block_merkle_root(t.tx, t.n_tx, &t.hdr.merkle_root, NULL);
    popi_block_t *blk;
    if (popi_chain_template_finish(&t, &blk)) ledger_workload_die(prog, "finish");
    popi_chain_template_destroy(&t);
    popi_chain_result_t r;
    popi_store_node_t *node;
    popi_chain_submit_block(c, blk, INT64_MAX - 1, &r, &node);
    if (r.outcome != POPI_CHAIN_TIP) {
        fprintf(stderr, "%s: block %d: %s\n", prog, b, r.verdict.message);
        exit(1);
    }
    for (int i = 0; i < ntx && b >= 2; i++) {
        coin[i].txid = node->block->tx[1 + i].txid;
        coin[i].index = 0;
        amount[i] -= 1;
    }
    for (int j = 0; j < k && b == 1; j++) {
        coin[j].txid = node->block->tx[1].txid;
        coin[j].index = (uint32_t)j;
        amount[j] = 1000000;
    }
}

#endif
