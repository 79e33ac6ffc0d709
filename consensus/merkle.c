/* SPDX-License-Identifier: MIT */
/*
 * merkle.c - Bitcoin's Merkle root (duplicate the last hash of an odd level, double SHA-256 of
 * each 64-byte pair), its CVE-2012-2459 mutation flag, and inclusion proofs.
 *
 * Both the root and the proof work level by level on one scratch copy of the leaves, halving it
 * in place: after level k the first ceil(n / 2^k) entries are that level's hashes.
 */
#include "popi/merkle.h"

#include <stdlib.h>
#include <string.h>

/* Replace level[0..*n) by its parent level in place (duplicating an odd last entry). */
static void merkle_up(popi_hash_t *level, size_t *n)
{
    size_t m = *n;
    size_t half = (m + 1) / 2;
    for (size_t i = 0; i < half; i++) {
        const popi_hash_t *l = &level[2 * i];
        const popi_hash_t *r = 2 * i + 1 < m ? &level[2 * i + 1] : l;
        popi_hash_t h;
        popi_crypto_sha256d_pair(&h, l, r);
        level[i] = h;
    }
    *n = half;
}

void popi_merkle_root(const popi_hash_t *leaves, size_t n, popi_hash_t *root, bool *mutated)
{
    bool mut = false;
    if (n == 0) {
        memset(root, 0, sizeof *root);
    } else {
        popi_hash_t *level = popi_xmalloc(n * sizeof *level);
        memcpy(level, leaves, n * sizeof *level);
        size_t m = n;
        while (m > 1) {
            for (size_t i = 0; i + 1 < m; i += 2)
                if (popi_hash_eq(&level[i], &level[i + 1])) mut = true;
            merkle_up(level, &m);
        }
        *root = level[0];
        free(level);
    }
    if (mutated) *mutated = mut;
}

popi_err_t popi_merkle_prove(const popi_hash_t *leaves, size_t n, size_t index,
                             popi_merkle_proof_t *proof)
{
    if (index >= n)
        return popi_err_set(POPI_EINVAL, "merkle: leaf index %zu out of range (tree of %zu)", index,
                            n);
    if ((uint64_t)n > (UINT64_C(1) << POPI_MERKLE_MAX_DEPTH))
        return popi_err_set(POPI_EINVAL, "merkle: tree of %zu leaves is deeper than %d levels", n,
                            POPI_MERKLE_MAX_DEPTH);
    memset(proof, 0, sizeof *proof);
    proof->index = (uint32_t)index;
    popi_hash_t *level = popi_xmalloc(n * sizeof *level);
    memcpy(level, leaves, n * sizeof *level);
    size_t m = n, i = index;
    while (m > 1) {
        size_t sib = i ^ 1;
        proof->sibling[proof->depth++] = sib < m ? level[sib] : level[i];
        merkle_up(level, &m);
        i >>= 1;
    }
    free(level);
    return POPI_OK;
}

bool popi_merkle_verify(const popi_hash_t *leaf, const popi_merkle_proof_t *proof,
                        const popi_hash_t *root)
{
    if (proof->depth > POPI_MERKLE_MAX_DEPTH) return false;
    if (proof->depth < 32 && (proof->index >> proof->depth) != 0) return false;
    popi_hash_t cur = *leaf;
    for (uint32_t d = 0; d < proof->depth; d++) {
        popi_hash_t next;
        if ((proof->index >> d) & 1)
            popi_crypto_sha256d_pair(&next, &proof->sibling[d], &cur);
        else
            popi_crypto_sha256d_pair(&next, &cur, &proof->sibling[d]);
        cur = next;
    }
    return popi_hash_eq(&cur, root);
}
