/* SPDX-License-Identifier: MIT */
/*
 * sigcache.c - the run-wide cache of valid signatures (sigcache.h): an open-addressing table of
 * SHA-256(digest ‖ signature ‖ public key) entries, linear probing, load at most 1/2.
 */
#include "popi/sigcache.h"

#include <stdlib.h>
#include <string.h>

struct popi_sigcache {
    popi_hash_t *slot; /* all-zero = empty (a SHA-256 output of zero is not a concern) */
    size_t cap, n, max;
    popi_sigcache_stats_t st;
};

static const popi_hash_t zero_hash;

popi_sigcache_t *popi_sigcache_create(size_t max_entries)
{
    popi_sigcache_t *c = popi_xcalloc(1, sizeof *c);
    c->max = max_entries ? max_entries : 1000000;
    c->cap = 64;
    while (c->cap < 2 * c->max && c->cap < ((size_t)1 << 40)) c->cap *= 2;
    c->slot = popi_xcalloc(c->cap, sizeof *c->slot);
    return c;
}

void popi_sigcache_free(popi_sigcache_t *c)
{
    if (!c) return;
    free(c->slot);
    free(c);
}

static size_t find(const popi_sigcache_t *c, const popi_hash_t *key, bool *found)
{
    uint64_t h;
    memcpy(&h, key->b, sizeof h);
    size_t i = (size_t)h & (c->cap - 1);
    while (memcmp(&c->slot[i], &zero_hash, sizeof zero_hash) != 0) {
        if (memcmp(&c->slot[i], key, sizeof *key) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & (c->cap - 1);
    }
    *found = false;
    return i;
}

static void entry_key(popi_hash_t *key, const popi_sig_t *sig, const popi_hash_t *digest,
                      const popi_pubkey_t *pk)
{
    uint8_t buf[sizeof digest->b + sizeof sig->b + sizeof pk->b];
    memcpy(buf, digest->b, sizeof digest->b);
    memcpy(buf + sizeof digest->b, sig->b, sizeof sig->b);
    memcpy(buf + sizeof digest->b + sizeof sig->b, pk->b, sizeof pk->b);
    popi_crypto_sha256(key, buf, sizeof buf);
}

/* Remember a valid triple's key (absent from the cache). */
static void insert(popi_sigcache_t *c, const popi_hash_t *key)
{
    bool found;
    size_t i = find(c, key, &found);
    if (found) return;
    if (c->n >= c->max) { /* full: start again (deterministic) */
        memset(c->slot, 0, c->cap * sizeof *c->slot);
        c->n = 0;
        c->st.flushes++;
        i = find(c, key, &found);
    }
    c->slot[i] = *key;
    c->n++;
    c->st.inserts++;
}

bool popi_sigcache_verify(popi_sigcache_t *c, const popi_sig_t *sig, const popi_hash_t *digest,
                          const popi_pubkey_t *pk)
{
    popi_hash_t key;
    entry_key(&key, sig, digest, pk);
    bool found;
    find(c, &key, &found);
    if (found) {
        c->st.hits++;
        return true;
    }
    c->st.misses++;
    if (!popi_crypto_verify(sig, digest->b, sizeof digest->b, pk)) return false;
    insert(c, &key);
    return true;
}

void popi_sigcache_check(const popi_sig_t *sig, const popi_hash_t *digest, const popi_pubkey_t *pk,
                         popi_sigcache_checked_t *out)
{
    entry_key(&out->key, sig, digest, pk);
    out->valid = popi_crypto_verify(sig, digest->b, sizeof digest->b, pk);
}

bool popi_sigcache_add(popi_sigcache_t *c, const popi_sigcache_checked_t *chk)
{
    c->st.misses++;
    if (chk->valid) insert(c, &chk->key);
    return chk->valid;
}

popi_sigcache_stats_t popi_sigcache_stats(const popi_sigcache_t *c) { return c->st; }

size_t popi_sigcache_count(const popi_sigcache_t *c) { return c->n; }
