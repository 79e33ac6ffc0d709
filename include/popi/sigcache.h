/* SPDX-License-Identifier: MIT */
/*
 * sigcache.h - a run-wide cache of Ed25519 signatures already found valid (Bitcoin's
 * CSignatureCache), so that a transaction admitted to a mempool is not verified again when a
 * block carrying it is validated, or when another node admits it.
 *
 * It is a simulator shortcut, not node behaviour: verdicts are unchanged (only valid triples are
 * cached, and a triple is identified by the SHA-256 of digest ‖ signature ‖ public key, so a
 * false hit needs a SHA-256 collision), and the modelled cost each node is charged still counts
 * every signature (popi_ledger_verdict_t.n_sig_checks). Open addressing on the 32-byte entry
 * keys; when max_entries is reached the table is emptied (deterministic, unlike Bitcoin's random
 * eviction). Single-threaded, like the store it serves; popi_sigcache_verify_batch spreads the
 * verifications of a batch over threads.
 */
#ifndef POPI_SIGCACHE_H
#define POPI_SIGCACHE_H

#include "popi/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct popi_sigcache popi_sigcache_t;

/** Counters since creation. */
typedef struct {
    uint64_t hits, misses, inserts, flushes;
} popi_sigcache_stats_t;

/** A cache holding at most @p max_entries valid signatures (0: 1,000,000). Cannot fail. */
popi_sigcache_t *popi_sigcache_create(size_t max_entries);

/** Free the cache. Accepts NULL. */
void popi_sigcache_free(popi_sigcache_t *c);

/**
 * Verify @p sig over the 32-byte @p digest under @p pk, answering from the cache when this triple
 * was verified before; a valid triple is remembered. Same result as popi_crypto_verify.
 */
bool popi_sigcache_verify(popi_sigcache_t *c, const popi_sig_t *sig, const popi_hash_t *digest,
                          const popi_pubkey_t *pk);

/** One signature to check: @p sig over the 32-byte @p digest under @p pk (all borrowed). */
typedef struct {
    const popi_sig_t *sig;
    const popi_hash_t *digest;
    const popi_pubkey_t *pk;
} popi_sigcache_item_t;

/**
 * popi_sigcache_verify for @p n items at once: the items not in the cache are verified on all
 * OpenMP threads, then the valid ones are remembered in index order, so the cache (and every
 * later answer) is the same whatever the thread count. @p ok[i] receives item i's verdict.
 * Counters: an item found in the cache before the batch is a hit, any other a miss.
 */
void popi_sigcache_verify_batch(popi_sigcache_t *c, const popi_sigcache_item_t *items, size_t n,
                                bool *ok);

/** Counters. */
popi_sigcache_stats_t popi_sigcache_stats(const popi_sigcache_t *c);

/** Entries currently held. */
size_t popi_sigcache_count(const popi_sigcache_t *c);

#ifdef __cplusplus
}
#endif
#endif
