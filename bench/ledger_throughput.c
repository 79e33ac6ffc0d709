/* SPDX-License-Identifier: MIT */
/*
 * ledger_throughput.c - validation throughput of the Mcoin ledger: transactions and blocks
 * validated per second by a node (decode, intern, validate, follow the tip), by a second node
 * syncing the same blocks (verdicts memoised in the shared store), and by the abnormal-block
 * detector; next to the raw Ed25519 verification rate, since signatures dominate. Not a test:
 *   cmake --build build --target bench_ledger_throughput && build/bench_ledger_throughput
 *
 * Workload: a chain of B blocks; block 1 fans the genesis reward out to K wallets, every later
 * block holds K transfers of 1 input and 2 outputs (wallet i re-spends its coin, paying itself and
 * 0 units to wallet i + 1), so each transaction costs one signature check. The chain is built once
 * (untimed) and kept encoded; each timed run decodes and validates it into a fresh store. Each
 * figure is the median of 3 runs (CLOCK_MONOTONIC wall time, one thread). Deterministic: keys from
 * fixed numbers, no randomness.
 */
#include "popi/chain.h"
#include "ledger_workload.h"
#include "popi/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 3

static void die(const char *what)
{
    fprintf(stderr, "ledger_throughput: %s: %s\n", what, popi_err_message());
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median3(double *v)
{
    qsort(v, RUNS, sizeof *v, cmp_double);
    return v[RUNS / 2];
}

static void config(popi_store_config_t *cfg)
{
    popi_store_config_default(cfg, POPI_CONSENSUS_POW);
    cfg->rules.coinbase_maturity = 0;
    cfg->rules.max_block_txs = 1000000;
    cfg->rules.max_block_bytes = 64u << 20;
}

int main(int argc, char **argv)
{
    int n_blocks = argc > 1 ? atoi(argv[1]) : 200;
    int k = argc > 2 ? atoi(argv[2]) : 100;
    if (n_blocks < 3 || k < 1) {
        fprintf(stderr, "usage: bench_ledger_throughput [blocks >= 3] [transfers per block >= 1]\n");
        return 2;
    }
    if (popi_crypto_init()) die("libsodium");
    popi_store_config_t cfg;
    config(&cfg);

    /* ---- build the workload once (untimed) and keep it encoded ---- */
    popi_keypair_t prod, *w = popi_xcalloc((size_t)k, sizeof *w);
    popi_crypto_keypair_from_u64(&prod, 1);
    for (int i = 0; i < k; i++)
        popi_crypto_keypair_from_u64(&w[i], 100 + (uint64_t)i);
    popi_outpoint_t *coin = popi_xcalloc((size_t)k, sizeof *coin);
    uint64_t *amount = popi_xcalloc((size_t)k, sizeof *amount);
    popi_store_t *bs;
    if (popi_store_create(&cfg, &bs)) die("store");
    popi_chain_t bc;
    popi_chain_init(&bc, bs, NULL);
    for (int b = 0; b < n_blocks; b++)
        ledger_workload_next_block("ledger_throughput", &bc, &prod, w, k, b, coin, amount);
    popi_codec_writer_t *enc = popi_xcalloc((size_t)n_blocks, sizeof *enc);
    const popi_block_t **blocks = popi_xcalloc((size_t)n_blocks, sizeof *blocks);
    {
        int i = n_blocks;
        for (popi_store_node_t *x = bc.tip; x; x = x->parent)
            blocks[--i] = x->block;
    }
    size_t n_tx = 0, n_in = 0, bytes = 0;
    for (int b = 0; b < n_blocks; b++) {
        popi_block_encode(blocks[b], &enc[b]);
        n_tx += blocks[b]->n_tx - 1;
        for (uint32_t t = 1; t < blocks[b]->n_tx; t++)
            n_in += blocks[b]->tx[t].n_in;
        bytes += enc[b].len;
    }
    printf("workload: %d blocks, %zu transfers (%zu inputs, one signature each), %.1f MB encoded\n",
           n_blocks, n_tx, n_in, (double)bytes / 1e6);

    /* ---- 1. raw Ed25519 verification, interleaved with 2. so both see the same machine ---- */
    double t_sig[RUNS];
    int n_sig = 5000;
    popi_hash_t msg;
    popi_crypto_sha256(&msg, "bench", 5);
    popi_sig_t sig;
    popi_crypto_sign(&sig, msg.b, 32, &w[0]);

    /* ---- 2. a node validates the chain (decode, intern, validate, follow) ---- */
    double t_node[RUNS], t_sync[RUNS], t_decode[RUNS];
    uint64_t sig_checks = 0;
    for (int r = 0; r < RUNS; r++) {
        double ts = now_s();
        int good = 0;
        for (int i = 0; i < n_sig; i++)
            good += popi_crypto_verify(&sig, msg.b, 32, &w[0].pk);
        t_sig[r] = now_s() - ts;
        if (good != n_sig) die("verify");
        popi_store_t *s;
        if (popi_store_create(&cfg, &s)) die("store");
        popi_chain_t c;
        popi_chain_init(&c, s, NULL);
        popi_store_node_t **nodes = popi_xmalloc((size_t)n_blocks * sizeof *nodes);
        double t0 = now_s();
        for (int b = 0; b < n_blocks; b++) {
            if (popi_store_add_encoded(s, enc[b].data, enc[b].len, &nodes[b], NULL)) die("decode");
            popi_chain_result_t res;
            popi_chain_submit(&c, nodes[b], INT64_MAX - 1, &res);
            if (res.outcome != POPI_CHAIN_TIP) die("not the tip");
            if (r == 0) sig_checks += res.cost.n_sig_checks;
        }
        t_node[r] = now_s() - t0;
        /* 3. a second node on the same store: every verdict is memoised */
        popi_chain_t c2;
        popi_chain_init(&c2, s, NULL);
        t0 = now_s();
        for (int b = 0; b < n_blocks; b++)
            popi_chain_submit(&c2, nodes[b], INT64_MAX - 1, NULL);
        t_sync[r] = now_s() - t0;
        if (c2.tip != c.tip) die("second node did not sync");
        popi_chain_destroy(&c2);
        popi_chain_destroy(&c);
        popi_store_free(s);
        free(nodes);
        /* decoding alone, for the breakdown */
        t0 = now_s();
        for (int b = 0; b < n_blocks; b++) {
            popi_block_t *blk;
            if (popi_block_decode(enc[b].data, enc[b].len, &blk)) die("decode");
            popi_block_free(blk);
        }
        t_decode[r] = now_s() - t0;
    }

    /* ---- 4. the abnormal-block detector (two signature checks per input) ---- */
    double t_det[RUNS];
    for (int r = 0; r < RUNS; r++) {
        popi_detect_options_t o;
        popi_detect_options_default(&o, POPI_CONSENSUS_POW);
        o.rules = cfg.rules;
        popi_detect_report_t rep;
        double t0 = now_s();
        if (popi_detect_scan(blocks, (size_t)n_blocks, &o, &rep)) die("detect");
        t_det[r] = now_s() - t0;
        if (rep.n_findings) die("the workload chain has findings");
        popi_detect_report_destroy(&rep);
    }

    double sig_s = median3(t_sig) / n_sig;
    double node_s = median3(t_node), sync_s = median3(t_sync), dec_s = median3(t_decode),
           det_s = median3(t_det);
    printf("\nmedian of %d runs, one thread:\n", RUNS);
    printf("%-44s %12s %12s %12s\n", "", "blocks/s", "tx/s", "MB/s");
    printf("%-44s %12.0f %12.0f %12.1f\n", "node: decode + validate + follow the tip",
           n_blocks / node_s, (double)n_tx / node_s, (double)bytes / 1e6 / node_s);
    printf("%-44s %12.0f %12.0f %12.1f\n", "second node, same store (verdicts memoised)",
           n_blocks / sync_s, (double)n_tx / sync_s, (double)bytes / 1e6 / sync_s);
    printf("%-44s %12.0f %12.0f %12.1f\n", "abnormal-block detector (full scan)", n_blocks / det_s,
           (double)n_tx / det_s, (double)bytes / 1e6 / det_s);
    printf("%-44s %12.0f %12.0f %12.1f\n", "decoding alone", n_blocks / dec_s, (double)n_tx / dec_s,
           (double)bytes / 1e6 / dec_s);
    printf("\nEd25519 verification alone: %.1f us each (%.0f/s). The node checked %llu signatures:\n"
           "at that rate %.2f s of its %.2f s, i.e. %.0f%% of validation time (a shared machine\n"
           "adds a few %% of noise either way); validation costs %.1f us per transfer.\n",
           sig_s * 1e6, 1.0 / sig_s, (unsigned long long)sig_checks, (double)sig_checks * sig_s,
           node_s, 100.0 * (double)sig_checks * sig_s / node_s, node_s / (double)n_tx * 1e6);

    free(blocks);
    for (int b = 0; b < n_blocks; b++)
        popi_codec_writer_destroy(&enc[b]);
    free(enc);
    popi_chain_destroy(&bc);
    popi_store_free(bs);
    free(w);
    free(coin);
    free(amount);
    return 0;
}
