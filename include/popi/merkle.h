/* SPDX-License-Identifier: MIT */
/*
 * merkle.h - Bitcoin's Merkle tree over transaction ids, and inclusion proofs for light nodes.
 *
 * Each level pairs adjacent hashes with double SHA-256 of their 64-byte concatenation; a level
 * of odd length pairs its last hash with itself (Nakamoto 2008; Bitcoin's ComputeMerkleRoot).
 * That duplication lets two different transaction lists share a root (CVE-2012-2459: [a,b,c] and
 * [a,b,c,c]), so the root functions report a "mutated" flag and block validation rejects any
 * list with a repeated txid. A proof is the list of sibling hashes from leaf to root plus the
 * leaf's index, whose bits say on which side each sibling lies.
 */
#ifndef POPI_MERKLE_H
#define POPI_MERKLE_H

#include "popi/common.h"
#include "popi/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Deepest tree a proof can describe (2^32 leaves). */
#define POPI_MERKLE_MAX_DEPTH 32

/** Inclusion proof of leaf @p index: @p depth sibling hashes, from the leaf level upwards. */
typedef struct {
    uint32_t index;
    uint32_t depth;
    popi_hash_t sibling[POPI_MERKLE_MAX_DEPTH];
} popi_merkle_proof_t;

/**
 * Root of @p n leaves. n == 0 gives the all-zero hash; n == 1 gives the leaf itself.
 * @p mutated (may be NULL) is set true if some level paired two equal hashes at an even
 * position (the CVE-2012-2459 signature), as in Bitcoin. Time O(n), memory O(n).
 */
void popi_merkle_root(const popi_hash_t *leaves, size_t n, popi_hash_t *root, bool *mutated);

/**
 * Inclusion proof of leaf @p index among @p n leaves.
 * @return POPI_EINVAL if index >= n or n > 2^32. Time O(n), memory O(n).
 */
popi_err_t popi_merkle_prove(const popi_hash_t *leaves, size_t n, size_t index,
                             popi_merkle_proof_t *proof);

/**
 * Light-node check: true if hashing @p leaf up through @p proof gives @p root. Rejects proofs
 * with depth > 32 or with index bits beyond depth. O(depth).
 */
bool popi_merkle_verify(const popi_hash_t *leaf, const popi_merkle_proof_t *proof,
                        const popi_hash_t *root);

#ifdef __cplusplus
}
#endif
#endif
