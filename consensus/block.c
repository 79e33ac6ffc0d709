/* SPDX-License-Identifier: MIT */
/*
 * block.c - block headers and bodies: canonical encoding, strict decoding, construction of the
 * immutable popi_block_t (hash, sizes and recomputed Merkle root cached once), and Bitcoin's
 * compact targets (SetCompact/GetCompact) with a proof-of-work nonce grinder.
 *
 * A popi_block_t is one allocation (the struct followed by its proof bytes) plus the array of its
 * transactions; nothing in it changes after construction.
 */
#include "popi/block.h"

#include "popi/merkle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KIND_NAMES[POPI_CONSENSUS__COUNT] = {"popi", "pow", "pos", "poewal"};
static const char HEADER_SIGHASH_TAG[] = "popi-header-sighash-v1";
/* Smallest encoded transaction: version 4 + n_in 1 + n_out 1 + lock_height 8. */
#define TX_MIN_BYTES 14u

const char *popi_consensus_kind_name(popi_consensus_kind_t kind)
{
    return (unsigned)kind < POPI_CONSENSUS__COUNT ? KIND_NAMES[kind] : "?";
}

popi_err_t popi_consensus_kind_parse(const char *name, popi_consensus_kind_t *kind)
{
    for (int k = 0; k < POPI_CONSENSUS__COUNT; k++)
        if (name && strcmp(name, KIND_NAMES[k]) == 0) {
            *kind = (popi_consensus_kind_t)k;
            return POPI_OK;
        }
    return popi_err_set(POPI_ENOTFOUND,
                        "block: consensus kind must be popi, pow, pos or poewal, got \"%s\"",
                        name ? name : "(null)");
}

void popi_block_header_init(popi_block_header_t *hdr)
{
    memset(hdr, 0, sizeof *hdr);
    hdr->version = POPI_BLOCK_VERSION;
    hdr->kind = POPI_CONSENSUS_POPI;
}

size_t popi_block_header_size(const popi_block_header_t *hdr)
{
    return POPI_BLOCK_HEADER_MIN_BYTES - 1 + popi_codec_compact_size_len(hdr->proof_len) +
           hdr->proof_len;
}

static void header_encode(const popi_block_header_t *hdr, popi_codec_writer_t *w, bool with_proof)
{
    POPI_GROW(w->data, w->cap, w->len + popi_block_header_size(hdr));
    popi_codec_put_u32(w, hdr->version);
    popi_codec_put_u64(w, hdr->height);
    popi_codec_put(w, hdr->prev.b, POPI_HASH_BYTES);
    popi_codec_put(w, hdr->merkle_root.b, POPI_HASH_BYTES);
    popi_codec_put_u64(w, (uint64_t)hdr->time);
    popi_codec_put_u32(w, hdr->bits);
    popi_codec_put_u8(w, (uint8_t)hdr->kind);
    popi_codec_put(w, hdr->producer.b, POPI_PUBKEY_BYTES);
    popi_codec_put_u64(w, hdr->nonce);
    if (with_proof) {
        popi_codec_put_compact(w, hdr->proof_len);
        popi_codec_put(w, hdr->proof, hdr->proof_len);
    } else {
        popi_codec_put_compact(w, 0);
    }
}

void popi_block_header_encode(const popi_block_header_t *hdr, popi_codec_writer_t *w)
{
    header_encode(hdr, w, true);
}

void popi_block_header_hash(const popi_block_header_t *hdr, popi_hash_t *out)
{
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    header_encode(hdr, &w, true);
    popi_crypto_sha256d(out, w.data, w.len);
    popi_codec_writer_destroy(&w);
}

void popi_block_header_sighash(const popi_block_header_t *hdr, popi_hash_t *out)
{
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_codec_put(&w, HEADER_SIGHASH_TAG, sizeof HEADER_SIGHASH_TAG - 1);
    header_encode(hdr, &w, false);
    popi_crypto_sha256d(out, w.data, w.len);
    popi_codec_writer_destroy(&w);
}

popi_err_t popi_block_header_read(popi_codec_reader_t *r, popi_block_header_t *hdr)
{
    popi_err_t e;
    uint64_t time = 0, proof_len = 0;
    uint8_t kind;
    size_t at;
    popi_block_header_init(hdr);
    at = r->off;
    if ((e = popi_codec_get_u32(r, &hdr->version, "version"))) return e;
    if (hdr->version != POPI_BLOCK_VERSION)
        return popi_err_set(POPI_EFORMAT, "%s: unknown header version %u at byte %zu", r->what,
                            hdr->version, at);
    if ((e = popi_codec_get_u64(r, &hdr->height, "height"))) return e;
    if ((e = popi_codec_get(r, hdr->prev.b, POPI_HASH_BYTES, "prev"))) return e;
    if ((e = popi_codec_get(r, hdr->merkle_root.b, POPI_HASH_BYTES, "merkle_root"))) return e;
    at = r->off;
    if ((e = popi_codec_get_u64(r, &time, "time"))) return e;
    if (time > (uint64_t)INT64_MAX)
        return popi_err_set(POPI_EFORMAT, "%s: time %llu µs at byte %zu exceeds the bound %lld",
                            r->what, (unsigned long long)time, at, (long long)INT64_MAX);
    hdr->time = (popi_time_t)time;
    if ((e = popi_codec_get_u32(r, &hdr->bits, "bits"))) return e;
    at = r->off;
    if ((e = popi_codec_get_u8(r, &kind, "kind"))) return e;
    if (kind >= POPI_CONSENSUS__COUNT)
        return popi_err_set(POPI_EFORMAT, "%s: consensus kind %u at byte %zu exceeds the bound %d",
                            r->what, kind, at, POPI_CONSENSUS__COUNT - 1);
    hdr->kind = (popi_consensus_kind_t)kind;
    if ((e = popi_codec_get(r, hdr->producer.b, POPI_PUBKEY_BYTES, "producer"))) return e;
    if ((e = popi_codec_get_u64(r, &hdr->nonce, "nonce"))) return e;
    if ((e = popi_codec_get_compact(r, &proof_len, POPI_BLOCK_MAX_PROOF, "proof_len"))) return e;
    hdr->proof_len = (uint32_t)proof_len;
    if ((e = popi_codec_get_ptr(r, hdr->proof_len, &hdr->proof, "proof"))) return e;
    if (hdr->proof_len == 0) hdr->proof = NULL;
    return POPI_OK;
}

popi_err_t popi_block_header_decode(const void *buf, size_t len, popi_block_header_t *hdr)
{
    popi_codec_reader_t r;
    popi_codec_reader_init(&r, buf, len, "header");
    popi_err_t e = popi_block_header_read(&r, hdr);
    if (!e) e = popi_codec_expect_end(&r);
    return e;
}

void popi_block_merkle_root(const popi_tx_t *txs, size_t n, popi_hash_t *root, bool *mutated)
{
    popi_hash_t *ids = popi_xmalloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        POPI_ASSERT(txs[i].sealed);
        ids[i] = txs[i].txid;
    }
    popi_merkle_root(ids, n, root, mutated);
    free(ids);
}

/* Allocate a block holding a copy of @p hdr (and its proof) and room for @p n_tx transactions. */
static popi_block_t *block_alloc(const popi_block_header_t *hdr, uint32_t n_tx)
{
    popi_block_t *b = popi_xcalloc(1, sizeof *b + hdr->proof_len);
    b->hdr = *hdr;
    if (hdr->proof_len) {
        uint8_t *proof = (uint8_t *)(b + 1);
        memcpy(proof, hdr->proof, hdr->proof_len);
        b->hdr.proof = proof;
    } else {
        b->hdr.proof = NULL;
    }
    b->n_tx = n_tx;
    b->tx = popi_xcalloc(n_tx ? n_tx : 1, sizeof *b->tx);
    return b;
}

/* Cache hash (of @p header_bytes if given, else of a fresh encoding), sizes and Merkle root. */
static void block_finish(popi_block_t *b, const uint8_t *header_bytes, size_t header_len)
{
    if (header_bytes) {
        popi_crypto_sha256d(&b->hash, header_bytes, header_len);
        b->header_size = (uint32_t)header_len;
    } else {
        popi_block_header_hash(&b->hdr, &b->hash);
        b->header_size = (uint32_t)popi_block_header_size(&b->hdr);
    }
    size_t size = b->header_size + popi_codec_compact_size_len(b->n_tx);
    for (uint32_t i = 0; i < b->n_tx; i++)
        size += b->tx[i].size;
    b->size = (uint32_t)size;
    popi_block_merkle_root(b->tx, b->n_tx, &b->merkle_computed, &b->merkle_mutated);
}

popi_err_t popi_block_create(const popi_block_header_t *hdr, popi_tx_t *txs, uint32_t n_tx,
                             popi_block_t **out)
{
    *out = NULL;
    if (hdr->version != POPI_BLOCK_VERSION)
        return popi_err_set(POPI_EINVAL, "block: header version must be %u, got %u",
                            POPI_BLOCK_VERSION, hdr->version);
    if ((unsigned)hdr->kind >= POPI_CONSENSUS__COUNT)
        return popi_err_set(POPI_EINVAL, "block: consensus kind must be < %d, got %d",
                            POPI_CONSENSUS__COUNT, (int)hdr->kind);
    if (hdr->time < 0)
        return popi_err_set(POPI_EINVAL, "block: time must be >= 0 µs, got %lld",
                            (long long)hdr->time);
    if (hdr->proof_len > POPI_BLOCK_MAX_PROOF || (hdr->proof_len && !hdr->proof))
        return popi_err_set(POPI_EINVAL, "block: proof_len must be <= %u with proof bytes, got %u",
                            POPI_BLOCK_MAX_PROOF, hdr->proof_len);
    if (n_tx > POPI_BLOCK_MAX_TXS)
        return popi_err_set(POPI_EINVAL, "block: n_tx must be <= %u, got %u", POPI_BLOCK_MAX_TXS,
                            n_tx);
    uint64_t size = popi_block_header_size(hdr) + popi_codec_compact_size_len(n_tx);
    for (uint32_t i = 0; i < n_tx; i++) {
        if (txs[i].version != POPI_TX_VERSION || txs[i].n_in > POPI_TX_MAX_INPUTS ||
            txs[i].n_out > POPI_TX_MAX_OUTPUTS)
            return popi_err_set(POPI_EINVAL,
                                "block: tx %u cannot be encoded (version %u, %u inputs, %u "
                                "outputs; bounds %u, %u, %u)",
                                i, txs[i].version, txs[i].n_in, txs[i].n_out, POPI_TX_VERSION,
                                POPI_TX_MAX_INPUTS, POPI_TX_MAX_OUTPUTS);
        size += popi_tx_encoded_size(&txs[i]);
    }
    if (size > POPI_BLOCK_MAX_BYTES)
        return popi_err_set(POPI_EINVAL, "block: encoded size must be <= %u bytes, got %llu",
                            POPI_BLOCK_MAX_BYTES, (unsigned long long)size);
    popi_block_t *b = block_alloc(hdr, n_tx);
    for (uint32_t i = 0; i < n_tx; i++) {
        popi_tx_seal(&txs[i]);
        b->tx[i] = txs[i];
        memset(&txs[i], 0, sizeof txs[i]); /* moved: the caller's destroy is now a no-op */
    }
    block_finish(b, NULL, 0);
    *out = b;
    return POPI_OK;
}

void popi_block_free(popi_block_t *b)
{
    if (!b) return;
    for (uint32_t i = 0; i < b->n_tx; i++)
        popi_tx_destroy(&b->tx[i]);
    free(b->tx);
    free(b);
}

void popi_block_encode(const popi_block_t *b, popi_codec_writer_t *w)
{
    POPI_GROW(w->data, w->cap, w->len + b->size);
    popi_block_header_encode(&b->hdr, w);
    popi_codec_put_compact(w, b->n_tx);
    for (uint32_t i = 0; i < b->n_tx; i++)
        popi_tx_encode(&b->tx[i], w);
}

popi_err_t popi_block_decode(const void *buf, size_t len, popi_block_t **out)
{
    *out = NULL;
    if (len > POPI_BLOCK_MAX_BYTES)
        return popi_err_set(POPI_EFORMAT, "block: %zu bytes exceeds the bound %u", len,
                            POPI_BLOCK_MAX_BYTES);
    popi_codec_reader_t r;
    popi_codec_reader_init(&r, buf, len, "block");
    popi_block_header_t hdr;
    popi_err_t e = popi_block_header_read(&r, &hdr);
    if (e) return e;
    size_t header_len = r.off;
    uint64_t n_tx = 0;
    uint64_t max_tx = popi_codec_left(&r) / TX_MIN_BYTES;
    if (max_tx > POPI_BLOCK_MAX_TXS) max_tx = POPI_BLOCK_MAX_TXS;
    if ((e = popi_codec_get_compact(&r, &n_tx, max_tx, "n_tx"))) return e;
    popi_block_t *b = block_alloc(&hdr, (uint32_t)n_tx);
    char what[40];
    for (uint32_t i = 0; i < b->n_tx; i++) {
        snprintf(what, sizeof what, "block: tx %u", i);
        r.what = what;
        if ((e = popi_tx_read(&r, &b->tx[i]))) goto fail;
    }
    r.what = "block";
    if ((e = popi_codec_expect_end(&r))) goto fail;
    block_finish(b, (const uint8_t *)buf, header_len);
    *out = b;
    return POPI_OK;
fail:
    popi_block_free(b); /* unread transactions are zeroed: destroying them is a no-op */
    return e;
}

/* ---- compact targets ---- */

popi_err_t popi_target_from_bits(uint32_t bits, popi_hash_t *target)
{
    uint32_t size = bits >> 24;
    uint32_t word = bits & 0x007fffffu;
    memset(target, 0, sizeof *target);
    if (word != 0 && (bits & 0x00800000u))
        return popi_err_set(POPI_EINVAL, "block: compact target 0x%08x is negative", bits);
    if (word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32)))
        return popi_err_set(POPI_EINVAL, "block: compact target 0x%08x overflows 256 bits", bits);
    if (size <= 3) {
        word >>= 8 * (3 - size);
        target->b[29] = (uint8_t)(word >> 16);
        target->b[30] = (uint8_t)(word >> 8);
        target->b[31] = (uint8_t)word;
    } else {
        for (uint32_t k = 0; k < 3; k++) {
            int pos = 31 - (int)(size - 3) - (int)k;
            if (pos >= 0) target->b[pos] = (uint8_t)(word >> (8 * k));
        }
    }
    if (popi_hash_is_zero(target))
        return popi_err_set(POPI_EINVAL, "block: compact target 0x%08x is zero", bits);
    return POPI_OK;
}

unsigned popi_hash_leading_zero_bits(const popi_hash_t *h)
{
    unsigned z = 0;
    for (int i = 0; i < POPI_HASH_BYTES; i++) {
        uint8_t v = h->b[i];
        if (v == 0) {
            z += 8;
            continue;
        }
        while (!(v & 0x80)) {
            z++;
            v = (uint8_t)(v << 1);
        }
        break;
    }
    return z;
}

uint32_t popi_target_to_bits(const popi_hash_t *target)
{
    unsigned nbits = 256 - popi_hash_leading_zero_bits(target);
    uint32_t size = (nbits + 7) / 8;
    uint32_t compact = 0;
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t pos = 32 - size + k;
        compact = compact << 8 | (pos < 32 ? target->b[pos] : 0u);
    }
    if (compact & 0x00800000u) {
        compact >>= 8;
        size++;
    }
    return compact | size << 24;
}

bool popi_hash_meets_target(const popi_hash_t *h, const popi_hash_t *target)
{
    return memcmp(h->b, target->b, POPI_HASH_BYTES) <= 0;
}

popi_err_t popi_target_bits_for_zero_bits(unsigned z, uint32_t *bits)
{
    if (z > 255)
        return popi_err_set(POPI_EINVAL, "block: leading zero bits must be in [0, 255], got %u", z);
    popi_hash_t t;
    memset(t.b, 0xff, sizeof t.b);
    for (unsigned i = 0; i < z / 8; i++)
        t.b[i] = 0;
    t.b[z / 8] = (uint8_t)(0xffu >> (z % 8));
    *bits = popi_target_to_bits(&t);
    return POPI_OK;
}

double popi_target_work(const popi_hash_t *target)
{
    double t = 0;
    for (int i = 0; i < POPI_HASH_BYTES; i++)
        t = t * 256.0 + target->b[i];
    return ldexp(1.0, 256) / (t + 1.0);
}

bool popi_block_meets_bits(const popi_block_t *b)
{
    popi_hash_t target;
    if (popi_target_from_bits(b->hdr.bits, &target) != POPI_OK) return false;
    return popi_hash_meets_target(&b->hash, &target);
}

popi_err_t popi_block_grind(popi_block_header_t *hdr, uint64_t max_tries, uint64_t *tries)
{
    popi_hash_t target, h;
    if (tries) *tries = 0;
    popi_err_t e = popi_target_from_bits(hdr->bits, &target);
    if (e) return popi_err_wrap(e, "block: grind");
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_block_header_encode(hdr, &w);
    uint8_t *nonce_at = w.data + POPI_BLOCK_NONCE_OFFSET;
    uint64_t nonce = hdr->nonce, n = 0;
    e = POPI_ENOTFOUND;
    while (n < max_tries) {
        for (int i = 0; i < 8; i++)
            nonce_at[i] = (uint8_t)(nonce >> (8 * i));
        popi_crypto_sha256d(&h, w.data, w.len);
        n++;
        if (popi_hash_meets_target(&h, &target)) {
            e = POPI_OK;
            break;
        }
        nonce++;
    }
    hdr->nonce = nonce; /* the winner, or the next nonce to try */
    if (e != POPI_OK)
        popi_err_set(POPI_ENOTFOUND, "block: no nonce met bits 0x%08x within %llu tries", hdr->bits,
                     (unsigned long long)max_tries);
    if (tries) *tries = n;
    popi_codec_writer_destroy(&w);
    return e;
}
