/* SPDX-License-Identifier: MIT */
/*
 * fuzz_decode.c - libFuzzer target for the ledger's decoders (block, header, transaction, chain
 * file).
 *
 * Properties checked on every input: the decoders never crash or over-read (run with
 * -fsanitize=fuzzer,address); whatever decodes re-encodes to exactly the input bytes (the
 * encoding is canonical, so decode is injective); a decoded block survives the context-free
 * validation; a decoded chain file survives the abnormal-block detector. Build and run (seed
 * corpus in tests/fuzz_corpus/; chain files there are named valid-chain-* and chain-*):
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPOPI_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_decode
 *   build-fuzz/fuzz_decode -max_total_time=60 new_corpus tests/fuzz_corpus
 * tests/test_fuzz_corpus.c replays the corpus in the ordinary test suite.
 */
#include "popi/chainfile.h"
#include "popi/detect.h"
#include "popi/ledger.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const popi_codec_writer_t *w, const uint8_t *data, size_t size)
{
    if (w->len != size || (size && memcmp(w->data, data, size) != 0)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);

    popi_block_t *b = NULL;
    if (popi_block_decode(data, size, &b) == POPI_OK) {
        popi_block_encode(b, &w);
        check_same(&w, data, size);
        popi_ledger_rules_t rules;
        popi_ledger_verdict_t v;
        popi_ledger_rules_default(&rules, b->hdr.kind);
        (void)popi_ledger_check_block(b, &rules, &v);
        popi_block_free(b);
    }

    popi_block_header_t hdr;
    if (popi_block_header_decode(data, size, &hdr) == POPI_OK) {
        w.len = 0;
        popi_block_header_encode(&hdr, &w);
        check_same(&w, data, size);
    }

    popi_tx_t tx;
    if (popi_tx_decode(data, size, &tx) == POPI_OK) {
        w.len = 0;
        popi_tx_encode(&tx, &w);
        check_same(&w, data, size);
        popi_hash_t id;
        popi_crypto_sha256d(&id, data, size);
        if (!popi_hash_eq(&id, &tx.txid)) abort();
        popi_tx_destroy(&tx);
    }

    popi_block_t **blocks = NULL;
    size_t n = 0;
    if (popi_chainfile_decode(data, size, "fuzz", &blocks, &n) == POPI_OK) {
        w.len = 0;
        popi_chainfile_encode((const popi_block_t *const *)blocks, n, &w);
        check_same(&w, data, size);
        popi_detect_options_t o;
        popi_detect_options_default(&o, POPI_CONSENSUS_POW);
        o.rules.check_proof = popi_ledger_proof_pow_bits;
        popi_detect_report_t rep;
        if (popi_detect_scan((const popi_block_t *const *)blocks, n, &o, &rep) != POPI_OK) abort();
        if (rep.n_blocks != n) abort();
        free(popi_detect_report_format(&rep));
        popi_detect_report_destroy(&rep);
        popi_chainfile_free(blocks, n);
    } else if (blocks != NULL || n != 0) {
        abort(); /* a failed decode leaves nothing behind */
    }
    popi_codec_writer_destroy(&w);
    return 0;
}
