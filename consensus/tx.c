/* SPDX-License-Identifier: MIT */
/*
 * tx.c - transactions: construction, coinbase, signature digest, signing, sealing (txid) and the
 * canonical encoding with its strict decoder (docs/FORMATS.md, "Transaction").
 *
 * A popi_tx_t owns one allocation holding its outputs followed by its inputs. Sealing computes
 * the txid (SHA-256d of the full encoding, signatures included) and freezes the transaction;
 * decoders always return sealed transactions.
 */
#include "popi/tx.h"

#include <stdlib.h>
#include <string.h>

static const char SIGHASH_TAG[] = "popi-tx-sighash-v1";

static void tx_alloc(popi_tx_t *tx, uint32_t n_in, uint32_t n_out)
{
    size_t bytes = (size_t)n_in * sizeof(popi_txin_t) + (size_t)n_out * sizeof(popi_txout_t);
    uint8_t *mem = popi_xcalloc(1, bytes ? bytes : 1);
    /* Outputs (8-byte aligned) first, then inputs (4-byte aligned): both stay aligned. */
    tx->out = (popi_txout_t *)(void *)mem;
    tx->in = (popi_txin_t *)(void *)(mem + (size_t)n_out * sizeof(popi_txout_t));
    tx->n_in = n_in;
    tx->n_out = n_out;
}

void popi_tx_init(popi_tx_t *tx, uint32_t n_in, uint32_t n_out, uint64_t lock_height)
{
    memset(tx, 0, sizeof *tx);
    tx->version = POPI_TX_VERSION;
    tx->lock_height = lock_height;
    tx_alloc(tx, n_in, n_out);
}

void popi_tx_destroy(popi_tx_t *tx)
{
    if (!tx) return;
    free(tx->out); /* the allocation starts at the outputs */
    memset(tx, 0, sizeof *tx);
}

void popi_tx_copy(popi_tx_t *dst, const popi_tx_t *src)
{
    *dst = *src;
    tx_alloc(dst, src->n_in, src->n_out);
    if (src->n_in) memcpy(dst->in, src->in, (size_t)src->n_in * sizeof *src->in);
    if (src->n_out) memcpy(dst->out, src->out, (size_t)src->n_out * sizeof *src->out);
}

popi_err_t popi_tx_coinbase(popi_tx_t *tx, uint64_t height, const popi_pubkey_t *producer,
                            uint64_t block_reward, uint64_t packing_reward,
                            const popi_txout_t *sharing, uint32_t n_sharing)
{
    memset(tx, 0, sizeof *tx);
    if (n_sharing > POPI_TX_MAX_OUTPUTS - 2)
        return popi_err_set(POPI_EINVAL, "tx: coinbase n_sharing must be <= %u, got %u",
                            POPI_TX_MAX_OUTPUTS - 2, n_sharing);
    uint64_t total = 0;
    for (uint32_t i = 0; i < 2 + n_sharing; i++) {
        uint64_t a = i == 0 ? block_reward : i == 1 ? packing_reward : sharing[i - 2].amount;
        if (a > POPI_MAX_MONEY || total > POPI_MAX_MONEY - a)
            return popi_err_set(POPI_EINVAL,
                                "tx: coinbase output %u amount %llu brings the total above "
                                "POPI_MAX_MONEY %llu",
                                i, (unsigned long long)a, (unsigned long long)POPI_MAX_MONEY);
        total += a;
    }
    popi_tx_init(tx, 0, 2 + n_sharing, height);
    tx->out[0].amount = block_reward;
    tx->out[0].owner = *producer;
    tx->out[1].amount = packing_reward;
    tx->out[1].owner = *producer;
    for (uint32_t i = 0; i < n_sharing; i++)
        tx->out[2 + i] = sharing[i];
    popi_tx_seal(tx);
    return POPI_OK;
}

size_t popi_tx_encoded_size(const popi_tx_t *tx)
{
    return 4 + popi_codec_compact_size_len(tx->n_in) + (size_t)tx->n_in * POPI_TX_INPUT_BYTES +
           popi_codec_compact_size_len(tx->n_out) + (size_t)tx->n_out * POPI_TX_OUTPUT_BYTES + 8;
}

/* Encode; with @p blank_sigs every signature is written as 64 zero bytes (the sighash form). */
static void tx_encode(const popi_tx_t *tx, popi_codec_writer_t *w, bool blank_sigs)
{
    static const uint8_t zero_sig[POPI_SIG_BYTES] = {0};
    POPI_GROW(w->data, w->cap, w->len + popi_tx_encoded_size(tx));
    popi_codec_put_u32(w, tx->version);
    popi_codec_put_compact(w, tx->n_in);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        popi_codec_put(w, tx->in[i].prev.txid.b, POPI_HASH_BYTES);
        popi_codec_put_u32(w, tx->in[i].prev.index);
        popi_codec_put(w, blank_sigs ? zero_sig : tx->in[i].sig.b, POPI_SIG_BYTES);
    }
    popi_codec_put_compact(w, tx->n_out);
    for (uint32_t i = 0; i < tx->n_out; i++) {
        popi_codec_put_u64(w, tx->out[i].amount);
        popi_codec_put(w, tx->out[i].owner.b, POPI_PUBKEY_BYTES);
    }
    popi_codec_put_u64(w, tx->lock_height);
}

void popi_tx_encode(const popi_tx_t *tx, popi_codec_writer_t *w)
{
    tx_encode(tx, w, false);
}

void popi_tx_sighash(const popi_tx_t *tx, popi_hash_t *out)
{
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_codec_put(&w, SIGHASH_TAG, sizeof SIGHASH_TAG - 1);
    tx_encode(tx, &w, true);
    popi_crypto_sha256d(out, w.data, w.len);
    popi_codec_writer_destroy(&w);
}

void popi_tx_sign_input(popi_tx_t *tx, uint32_t i, const popi_keypair_t *kp)
{
    POPI_ASSERT(!tx->sealed && i < tx->n_in);
    popi_hash_t h;
    popi_tx_sighash(tx, &h);
    popi_crypto_sign(&tx->in[i].sig, h.b, sizeof h.b, kp);
}

void popi_tx_sign_all(popi_tx_t *tx, const popi_keypair_t *kp)
{
    POPI_ASSERT(!tx->sealed);
    popi_hash_t h;
    popi_tx_sighash(tx, &h);
    for (uint32_t i = 0; i < tx->n_in; i++)
        popi_crypto_sign(&tx->in[i].sig, h.b, sizeof h.b, kp);
}

void popi_tx_seal(popi_tx_t *tx)
{
    if (tx->sealed) return;
    POPI_ASSERT(tx->version == POPI_TX_VERSION);
    POPI_ASSERT(tx->n_in <= POPI_TX_MAX_INPUTS && tx->n_out <= POPI_TX_MAX_OUTPUTS);
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    tx_encode(tx, &w, false);
    popi_crypto_sha256d(&tx->txid, w.data, w.len);
    tx->size = (uint32_t)w.len;
    tx->sealed = true;
    popi_codec_writer_destroy(&w);
}

/* Read the little-endian u32 / u64 at @p b. */
static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
    uint64_t x = 0;
    for (int k = 7; k >= 0; k--)
        x = x << 8 | b[k];
    return x;
}

popi_err_t popi_tx_read(popi_codec_reader_t *r, popi_tx_t *tx)
{
    memset(tx, 0, sizeof *tx);
    size_t start = r->off;
    uint32_t version;
    uint64_t n_in = 0, n_out = 0;
    popi_err_t e = popi_codec_get_u32(r, &version, "version");
    if (e) return e;
    if (version != POPI_TX_VERSION)
        return popi_err_set(POPI_EFORMAT, "%s: unknown transaction version %u at byte %zu", r->what,
                            version, start);
    if ((e = popi_codec_get_compact(r, &n_in, POPI_TX_MAX_INPUTS, "n_in"))) return e;
    /* All inputs must be present before anything is allocated; then the outputs count sits at a
     * known offset, so one allocation holds both arrays. */
    size_t in_bytes = (size_t)n_in * POPI_TX_INPUT_BYTES;
    if (popi_codec_left(r) < in_bytes) {
        size_t k = popi_codec_left(r) / POPI_TX_INPUT_BYTES;
        return popi_err_set(POPI_EFORMAT,
                            "%s: truncated at byte %zu reading in[%zu] (n_in = %llu needs %zu "
                            "bytes, %zu left)",
                            r->what, r->off + k * POPI_TX_INPUT_BYTES, k, (unsigned long long)n_in,
                            in_bytes, popi_codec_left(r));
    }
    popi_codec_reader_t ahead = *r;
    ahead.off += in_bytes;
    if ((e = popi_codec_get_compact(&ahead, &n_out, POPI_TX_MAX_OUTPUTS, "n_out"))) return e;
    size_t out_bytes = (size_t)n_out * POPI_TX_OUTPUT_BYTES;
    if (popi_codec_left(&ahead) < out_bytes) {
        size_t k = popi_codec_left(&ahead) / POPI_TX_OUTPUT_BYTES;
        return popi_err_set(POPI_EFORMAT,
                            "%s: truncated at byte %zu reading out[%zu] (n_out = %llu needs %zu "
                            "bytes, %zu left)",
                            r->what, ahead.off + k * POPI_TX_OUTPUT_BYTES, k,
                            (unsigned long long)n_out, out_bytes, popi_codec_left(&ahead));
    }

    popi_tx_init(tx, (uint32_t)n_in, (uint32_t)n_out, 0);
    const uint8_t *b = r->p + r->off;
    for (uint32_t i = 0; i < tx->n_in; i++, b += POPI_TX_INPUT_BYTES) {
        memcpy(tx->in[i].prev.txid.b, b, POPI_HASH_BYTES);
        tx->in[i].prev.index = le32(b + POPI_HASH_BYTES);
        memcpy(tx->in[i].sig.b, b + POPI_HASH_BYTES + 4, POPI_SIG_BYTES);
    }
    b = ahead.p + ahead.off;
    for (uint32_t i = 0; i < tx->n_out; i++, b += POPI_TX_OUTPUT_BYTES) {
        tx->out[i].amount = le64(b);
        memcpy(tx->out[i].owner.b, b + 8, POPI_PUBKEY_BYTES);
    }
    r->off = ahead.off + out_bytes;
    if ((e = popi_codec_get_u64(r, &tx->lock_height, "lock_height"))) {
        popi_tx_destroy(tx);
        return e;
    }
    /* The bytes just read are exactly the canonical encoding: hash them in place. */
    popi_crypto_sha256d(&tx->txid, r->p + start, r->off - start);
    tx->size = (uint32_t)(r->off - start);
    tx->sealed = true;
    return POPI_OK;
}

popi_err_t popi_tx_decode(const void *buf, size_t len, popi_tx_t *tx)
{
    popi_codec_reader_t r;
    popi_codec_reader_init(&r, buf, len, "tx");
    popi_err_t e = popi_tx_read(&r, tx);
    if (e) return e;
    if ((e = popi_codec_expect_end(&r))) {
        popi_tx_destroy(tx);
        return e;
    }
    return POPI_OK;
}
