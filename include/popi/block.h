/* SPDX-License-Identifier: MIT */
/*
 * block.h - Mcoin blocks: the header, the body (transaction list), their canonical encoding and
 * hash, and Bitcoin's compact difficulty target ("nBits") with a proof-of-work nonce grinder.
 *
 * Central structure: popi_block_t, built once (popi_block_create or popi_block_decode) and never
 * modified, so one block can be shared by every node of a run. Invariant: hash, sizes and the
 * Merkle root recomputed from the transactions are cached at construction and agree with the
 * contents; the header's merkle_root is stored as given (validation compares the two).
 * Block hash = SHA-256d(encoded header). Hashes and targets compare as big-endian 256-bit numbers,
 * so "leading zero bits" are the leading zero bits of the digest as printed in hex (Bitcoin reads
 * the digest little-endian instead; docs/FORMATS.md). Compact target = mantissa × 256^(exponent−3),
 * as Bitcoin's SetCompact/GetCompact.
 */
#ifndef POPI_BLOCK_H
#define POPI_BLOCK_H

#include "popi/codec.h"
#include "popi/common.h"
#include "popi/crypto.h"
#include "popi/tx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POPI_BLOCK_VERSION 1u       /**< the only header version */
#define POPI_BLOCK_MAX_PROOF 4096u  /**< bound on consensus proof bytes */
#define POPI_BLOCK_MAX_TXS 1000000u /**< decoding bound on transactions per block */
/** Decoding bound on a whole encoded block (the validation limit is a rule, ledger.h). */
#define POPI_BLOCK_MAX_BYTES (64u * 1024u * 1024u)
/** Encoded header size without the proof bytes and with a 1-byte proof length. */
#define POPI_BLOCK_HEADER_MIN_BYTES 130u
/** Byte offset of the nonce in the encoded header (the grinder patches it there). */
#define POPI_BLOCK_NONCE_OFFSET 121u

/** Which consensus engine produced (and validates) a block. Encoded as one byte. */
typedef enum {
    POPI_CONSENSUS_POPI = 0,   /**< proof of physical interaction */
    POPI_CONSENSUS_POW = 1,    /**< proof of work (Bitcoin-like) */
    POPI_CONSENSUS_POS = 2,    /**< proof of stake (Peercoin kernel) */
    POPI_CONSENSUS_POEWAL = 3, /**< proof of elapsed work and luck */
    POPI_CONSENSUS__COUNT
} popi_consensus_kind_t;

/** "popi", "pow", "pos", "poewal"; "?" for other values. */
const char *popi_consensus_kind_name(popi_consensus_kind_t kind);

/** Parse a kind name (as above). POPI_ENOTFOUND naming @p name if unknown. */
popi_err_t popi_consensus_kind_parse(const char *name, popi_consensus_kind_t *kind);

/**
 * A block header. @p time is in integer microseconds since the chain's epoch (the start of the
 * run in simulations, the Unix epoch in the console), >= 0. @p proof points to @p proof_len bytes
 * (<= POPI_BLOCK_MAX_PROOF) that the consensus engine interprets; the header does not own them
 * (inside a popi_block_t they belong to the block; from popi_block_header_read they point into
 * the decoded buffer).
 */
typedef struct {
    uint32_t version;
    uint64_t height;
    popi_hash_t prev;        /**< hash of the parent header; all zero for genesis */
    popi_hash_t merkle_root; /**< root over the txids of the body */
    popi_time_t time;        /**< µs */
    uint32_t bits;           /**< compact target */
    popi_consensus_kind_t kind;
    popi_pubkey_t producer; /**< who produced the block; coinbase outputs 0 and 1 pay it */
    uint64_t nonce;
    uint32_t proof_len;
    const uint8_t *proof;
} popi_block_header_t;

/** An immutable block. Use through const pointers; free with popi_block_free. */
typedef struct popi_block {
    popi_block_header_t hdr; /**< hdr.proof points into this allocation */
    popi_hash_t hash;        /**< SHA-256d of the encoded header */
    uint32_t n_tx;
    uint32_t header_size;        /**< encoded header bytes */
    uint32_t size;               /**< encoded block bytes (header + body) */
    bool merkle_mutated;         /**< CVE-2012-2459 pattern seen while computing merkle_computed */
    popi_hash_t merkle_computed; /**< root recomputed from the transactions' txids */
    popi_tx_t *tx;               /**< n_tx sealed transactions, owned */
} popi_block_t;

/** A header with version 1, kind POPI and every other field zero (no proof). */
void popi_block_header_init(popi_block_header_t *hdr);

/** Encoded header size in bytes. */
size_t popi_block_header_size(const popi_block_header_t *hdr);

/** Append the canonical encoding of @p hdr to @p w (fields in declaration order; FORMATS.md). */
void popi_block_header_encode(const popi_block_header_t *hdr, popi_codec_writer_t *w);

/** SHA-256d of the encoded header: the block hash. O(header size). */
void popi_block_header_hash(const popi_block_header_t *hdr, popi_hash_t *out);

/**
 * Producer-signature digest: SHA-256d("popi-header-sighash-v1" ‖ header encoded with an empty
 * proof). Engines that sign blocks put the producer's signature of this digest in the proof.
 */
void popi_block_header_sighash(const popi_block_header_t *hdr, popi_hash_t *out);

/**
 * Read a header at the cursor (strict, as popi_block_decode). hdr->proof points into the reader's
 * buffer. @return POPI_EFORMAT with the byte offset; @p hdr is unspecified on failure.
 */
popi_err_t popi_block_header_read(popi_codec_reader_t *r, popi_block_header_t *hdr);

/** Decode exactly one header (trailing bytes rejected). hdr->proof points into @p buf. */
popi_err_t popi_block_header_decode(const void *buf, size_t len, popi_block_header_t *hdr);

/**
 * Merkle root over the txids of @p n sealed transactions (merkle.h); @p mutated may be NULL.
 * Time O(n).
 */
void popi_block_merkle_root(const popi_tx_t *txs, size_t n, popi_hash_t *root, bool *mutated);

/**
 * Build an immutable block from a header and a transaction list. The header is stored as given
 * (set hdr->merkle_root with popi_block_merkle_root first; grind the nonce before this call);
 * its proof bytes are copied. The transactions are sealed and *moved* into the block: on success
 * the block owns their inputs and outputs and the caller must not destroy them (the array
 * itself stays the caller's). On failure nothing is moved.
 * @return POPI_EINVAL if the block could not be encoded: version != 1, kind out of range,
 * time < 0, proof_len > POPI_BLOCK_MAX_PROOF (or proof NULL with proof_len > 0),
 * n_tx > POPI_BLOCK_MAX_TXS, a transaction with too many inputs/outputs, or an encoded size above
 * POPI_BLOCK_MAX_BYTES. Time O(size).
 */
popi_err_t popi_block_create(const popi_block_header_t *hdr, popi_tx_t *txs, uint32_t n_tx,
                             popi_block_t **out);

/** Free a block and its transactions. Accepts NULL. */
void popi_block_free(popi_block_t *b);

/** Append the canonical encoding (header, CompactSize n_tx, transactions) to @p w. */
void popi_block_encode(const popi_block_t *b, popi_codec_writer_t *w);

/**
 * Decode exactly one block from @p len bytes. Strict: every length and count bounded (and never
 * more than the remaining bytes could hold), minimal CompactSizes, known version and kind,
 * time >= 0, no trailing bytes; inputs longer than POPI_BLOCK_MAX_BYTES are refused unread.
 * Semantic rules (Merkle root, coinbase, amounts) are validation's job (ledger.h).
 * @return POPI_EFORMAT with "block: ... at byte N" (and the tx index where relevant); *out is
 * NULL on failure. Time O(len).
 */
popi_err_t popi_block_decode(const void *buf, size_t len, popi_block_t **out);

/* ---- compact targets and proof of work ---- */

/**
 * Expand compact @p bits into a 256-bit big-endian target (Bitcoin's SetCompact).
 * @return POPI_EINVAL if the encoding is negative (sign bit with non-zero mantissa), overflows
 * 256 bits, or gives zero (the three cases Bitcoin's CheckProofOfWork refuses).
 */
popi_err_t popi_target_from_bits(uint32_t bits, popi_hash_t *target);

/** Compress a target to compact form (Bitcoin's GetCompact; rounds down, never negative). */
uint32_t popi_target_to_bits(const popi_hash_t *target);

/** True if @p h <= @p target as big-endian 256-bit numbers. */
bool popi_hash_meets_target(const popi_hash_t *h, const popi_hash_t *target);

/** Number of leading zero bits of @p h (0..256). */
unsigned popi_hash_leading_zero_bits(const popi_hash_t *h);

/**
 * Compact bits of the largest target representable in compact form that is < 2^(256−z), so any
 * hash meeting it has at least @p z leading zero bits (z in [0, 255], else POPI_EINVAL). The
 * console's `mine <difficulty>` uses it.
 */
popi_err_t popi_target_bits_for_zero_bits(unsigned z, uint32_t *bits);

/** Expected hashes to meet @p target: 2^256 / (target + 1), as a double (Bitcoin's block proof). */
double popi_target_work(const popi_hash_t *target);

/** True if the block's hash meets the target of its own bits (false if the bits are invalid). */
bool popi_block_meets_bits(const popi_block_t *b);

/**
 * Proof-of-work grinder: try nonces hdr->nonce, hdr->nonce + 1, ... (wrapping) until the header
 * hash meets the target of hdr->bits, at most @p max_tries times. On success hdr->nonce holds the
 * winning nonce; otherwise it holds the next untried nonce, so a later call resumes.
 * @p tries (may be NULL) receives the number of hashes computed.
 * @return POPI_EINVAL (bad bits), POPI_ENOTFOUND (no nonce within max_tries). Expected time:
 * popi_target_work(target) hashes of one header each.
 */
popi_err_t popi_block_grind(popi_block_header_t *hdr, uint64_t max_tries, uint64_t *tries);

#ifdef __cplusplus
}
#endif
#endif
