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
 * eviction). Single-threaded, like the store it serves; popi_sigcache_check runs on any thread.
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

/**
 * A signature verified outside any cache (popi_sigcache_check), so that many can be verified on
 * several threads and then remembered in a fixed order (popi_sigcache_add). Fill it only with
 * popi_sigcache_check: the cache trusts @p valid.
 */
typedef struct {
    popi_hash_t key; /**< SHA-256 of digest ‖ signature ‖ public key */
    bool valid;      /**< popi_crypto_verify's verdict */
} popi_sigcache_checked_t;

/** Verify @p sig over @p digest under @p pk without a cache (thread-safe): the verdict in @p out. */
void popi_sigcache_check(const popi_sig_t *sig, const popi_hash_t *digest, const popi_pubkey_t *pk,
                         popi_sigcache_checked_t *out);

/**
 * Remember a checked triple if it is valid and not cached yet (counted as a miss, and an insert
 * when new, like popi_sigcache_verify's first call). Returns its verdict.
 */
bool popi_sigcache_add(popi_sigcache_t *c, const popi_sigcache_checked_t *chk);

/** Counters. */
popi_sigcache_stats_t popi_sigcache_stats(const popi_sigcache_t *c);

/** Entries currently held. */
size_t popi_sigcache_count(const popi_sigcache_t *c);

#ifdef __cplusplus
}
#endif
#endif
