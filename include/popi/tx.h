/* SPDX-License-Identifier: MIT */
/*
 * tx.h - Mcoin transactions in the UTXO model (Nakamoto 2008, as Bitcoin): inputs name an
 * earlier output by (txid, index) and carry an Ed25519 signature by that output's owner; outputs
 * hold an integer amount of base units and the recipient's public key. A coinbase is a
 * transaction with no inputs; its lock_height is the height of its block, so txids never repeat.
 *
 * Central structure: popi_tx_t. Invariant: once sealed (popi_tx_seal, or produced by a decoder),
 * a transaction is never modified and txid / size cache its double SHA-256 and encoded length.
 * Encoding, txid and the signature digest ("sighash") are specified in docs/FORMATS.md.
 */
#ifndef POPI_TX_H
#define POPI_TX_H

#include "popi/codec.h"
#include "popi/common.h"
#include "popi/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POPI_TX_VERSION 1u            /**< the only encoding version */
#define POPI_TX_MAX_INPUTS 4096u      /**< decoding bound on inputs per transaction */
#define POPI_TX_MAX_OUTPUTS 4096u     /**< decoding bound on outputs per transaction */
#define POPI_TX_INPUT_BYTES 100u      /**< encoded input: txid 32 + index 4 + signature 64 */
#define POPI_TX_OUTPUT_BYTES 40u      /**< encoded output: amount 8 + owner 32 */
#define POPI_COIN UINT64_C(100000000) /**< base units per Mcoin */
/** Largest amount of any output or sum of outputs (Bitcoin's MAX_MONEY: 21e6 coins). */
#define POPI_MAX_MONEY (UINT64_C(21000000) * POPI_COIN)

/** Reference to output @p index of transaction @p txid. */
typedef struct {
    popi_hash_t txid;
    uint32_t index;
} popi_outpoint_t;

/** An input: the output it spends and the owner's signature over the transaction's sighash. */
typedef struct {
    popi_outpoint_t prev;
    popi_sig_t sig;
} popi_txin_t;

/** An output: @p amount base units payable to @p owner. */
typedef struct {
    uint64_t amount;
    popi_pubkey_t owner;
} popi_txout_t;

/**
 * A transaction. in and out share one allocation owned by the transaction.
 * lock_height: for a coinbase, the height of its block (required equal); for other
 * transactions, the lowest block height that may include it (0 = any).
 */
typedef struct {
    uint32_t version;
    uint32_t n_in;
    uint32_t n_out;
    uint32_t size; /**< encoded bytes (valid once sealed) */
    uint64_t lock_height;
    popi_txin_t *in;
    popi_txout_t *out;
    popi_hash_t txid; /**< double SHA-256 of the encoding (valid once sealed) */
    bool sealed;
} popi_tx_t;

/**
 * Initialise @p tx with @p n_in zeroed inputs and @p n_out zeroed outputs (version 1). Fill the
 * fields, sign the inputs, then seal. Aborts on OOM; cannot fail otherwise. Destroy with
 * popi_tx_destroy.
 */
void popi_tx_init(popi_tx_t *tx, uint32_t n_in, uint32_t n_out, uint64_t lock_height);

/** Release the inputs and outputs and zero @p tx. Accepts a zeroed or destroyed transaction. */
void popi_tx_destroy(popi_tx_t *tx);

/** Deep copy (the copy keeps the seal state and cached hash). */
void popi_tx_copy(popi_tx_t *dst, const popi_tx_t *src);

/** True if the transaction has no inputs. */
static inline bool popi_tx_is_coinbase(const popi_tx_t *tx)
{
    return tx->n_in == 0;
}

/**
 * Build a sealed coinbase for height @p height: output 0 pays @p block_reward and output 1 pays
 * @p packing_reward to @p producer (always present, possibly 0), outputs 2.. are the
 * @p n_sharing sharing rewards. The validation rules rely on this layout (ledger.h).
 * @return POPI_EINVAL if an amount exceeds POPI_MAX_MONEY, the total overflows or exceeds it, or
 * n_sharing + 2 > POPI_TX_MAX_OUTPUTS; @p tx is left zeroed on failure.
 */
popi_err_t popi_tx_coinbase(popi_tx_t *tx, uint64_t height, const popi_pubkey_t *producer,
                            uint64_t block_reward, uint64_t packing_reward,
                            const popi_txout_t *sharing, uint32_t n_sharing);

/**
 * The signature digest: SHA-256d("popi-tx-sighash-v1" ‖ encoding of @p tx with every input's
 * signature replaced by 64 zero bytes). Every input signs the same digest, which commits to all
 * inputs, all outputs, version and lock_height. O(size).
 */
void popi_tx_sighash(const popi_tx_t *tx, popi_hash_t *out);

/** Sign input @p i with @p kp (the owner of the output it spends). The tx must not be sealed. */
void popi_tx_sign_input(popi_tx_t *tx, uint32_t i, const popi_keypair_t *kp);

/** Sign every input with the same key (wallets owning all spent outputs). Not sealed. */
void popi_tx_sign_all(popi_tx_t *tx, const popi_keypair_t *kp);

/**
 * Seal: compute txid = SHA-256d(encoding) and size, and freeze the transaction. Idempotent.
 * Aborts (POPI_ASSERT) if the transaction cannot be encoded (n_in or n_out above the bounds,
 * version != 1): building such a transaction is a programming error. O(size).
 */
void popi_tx_seal(popi_tx_t *tx);

/** Encoded size in bytes (computed; does not need the seal). */
size_t popi_tx_encoded_size(const popi_tx_t *tx);

/** Append the canonical encoding of @p tx to @p w. */
void popi_tx_encode(const popi_tx_t *tx, popi_codec_writer_t *w);

/**
 * Read one transaction at the reader's cursor (strict: version 1, counts within bounds and not
 * larger than the remaining bytes allow, minimal CompactSizes). On success @p tx is sealed (txid
 * and size computed). On failure the cursor position is unspecified, @p tx is left zeroed and the
 * message gives the byte offset, e.g. "block: truncated at byte 412 reading in[1].sig ...".
 * @return POPI_EFORMAT.
 */
popi_err_t popi_tx_read(popi_codec_reader_t *r, popi_tx_t *tx);

/**
 * Decode exactly one transaction from @p len bytes at @p buf (trailing bytes rejected).
 * @return POPI_EFORMAT; @p tx is zeroed on failure.
 */
popi_err_t popi_tx_decode(const void *buf, size_t len, popi_tx_t *tx);

/** True if the outpoints are equal. */
static inline bool popi_outpoint_eq(const popi_outpoint_t *a, const popi_outpoint_t *b)
{
    return a->index == b->index && popi_hash_eq(&a->txid, &b->txid);
}

#ifdef __cplusplus
}
#endif
#endif
