/* SPDX-License-Identifier: MIT */
/* test_sigcache.c - the run-wide signature cache: hits only for triples verified valid before,
 * never for invalid ones; verdicts and charged signature counts unchanged when a store uses it. */
#include "popi/chain.h"
#include "popi/sigcache.h"
#include "testutil.h"

#include <string.h>

static void signed_digest(popi_sig_t *sig, popi_hash_t *d, popi_keypair_t *kp, uint64_t k)
{
    popi_crypto_keypair_from_u64(kp, 41 + k);
    popi_crypto_sha256(d, &k, sizeof k);
    popi_crypto_sign(sig, d->b, sizeof d->b, kp);
}

START_TEST(test_hits_only_after_valid)
{
    popi_sigcache_t *c = popi_sigcache_create(100);
    popi_sig_t sig;
    popi_hash_t d;
    popi_keypair_t kp;
    signed_digest(&sig, &d, &kp, 1);
    ck_assert(popi_sigcache_verify(c, &sig, &d, &kp.pk));
    ck_assert(popi_sigcache_verify(c, &sig, &d, &kp.pk));
    popi_sigcache_stats_t st = popi_sigcache_stats(c);
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_uint_eq(st.inserts, 1);
    /* a tampered signature, another digest, another key: never accepted, never cached */
    popi_sig_t bad = sig;
    bad.b[5] ^= 1;
    popi_hash_t d2 = d;
    d2.b[0] ^= 1;
    popi_keypair_t other;
    popi_crypto_keypair_from_u64(&other, 999);
    for (int rep = 0; rep < 2; rep++) {
        ck_assert(!popi_sigcache_verify(c, &bad, &d, &kp.pk));
        ck_assert(!popi_sigcache_verify(c, &sig, &d2, &kp.pk));
        ck_assert(!popi_sigcache_verify(c, &sig, &d, &other.pk));
    }
    st = popi_sigcache_stats(c);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_uint_eq(st.misses, 7);
    ck_assert_uint_eq(popi_sigcache_count(c), 1);
    popi_sigcache_free(c);
    popi_sigcache_free(NULL);
}
END_TEST

/* Checks made on several threads and added in order give popi_crypto_verify's verdicts, cache
 * exactly the valid triples, and leave the same cache with 1 and with 2 threads. */
START_TEST(test_check_then_add)
{
    enum { N = 40 };
    popi_sig_t sig[N];
    popi_hash_t d[N];
    popi_keypair_t kp[N];
    for (int k = 0; k < N; k++) signed_digest(&sig[k], &d[k], &kp[k], (uint64_t)k + 100);
    for (int k = 0; k < N; k += 7) sig[k].b[3] ^= 1; /* 6 invalid */
    size_t counts[2];
    for (int th = 1; th <= 2; th++) {
        popi_sigcache_checked_t chk[N];
#pragma omp parallel for num_threads(th)
        for (int k = 0; k < N; k++) popi_sigcache_check(&sig[k], &d[k], &kp[k].pk, &chk[k]);
        popi_sigcache_t *c = popi_sigcache_create(1000);
        for (int k = 0; k < N; k++) {
            bool want = popi_crypto_verify(&sig[k], d[k].b, sizeof d[k].b, &kp[k].pk);
            ck_assert_int_eq(chk[k].valid, want);
            ck_assert_int_eq(popi_sigcache_add(c, &chk[k]), want);
        }
        ck_assert_uint_eq(popi_sigcache_add(c, &chk[1]), true); /* again: no second entry */
        popi_sigcache_stats_t st = popi_sigcache_stats(c);
        ck_assert_uint_eq(st.misses, N + 1);
        ck_assert_uint_eq(st.inserts, N - 6);
        ck_assert_uint_eq(popi_sigcache_count(c), N - 6);
        counts[th - 1] = popi_sigcache_count(c);
        /* afterwards every valid triple is a hit, every invalid one a miss */
        for (int k = 0; k < N; k++)
            ck_assert_int_eq(popi_sigcache_verify(c, &sig[k], &d[k], &kp[k].pk), chk[k].valid);
        ck_assert_uint_eq(popi_sigcache_stats(c).hits, N - 6);
        popi_sigcache_free(c);
    }
    ck_assert_uint_eq(counts[0], counts[1]);
}
END_TEST

START_TEST(test_flush_when_full)
{
    popi_sigcache_t *c = popi_sigcache_create(2);
    popi_sig_t sig[3];
    popi_hash_t d[3];
    popi_keypair_t kp[3];
    for (int k = 0; k < 3; k++) {
        signed_digest(&sig[k], &d[k], &kp[k], (uint64_t)k + 10);
        ck_assert(popi_sigcache_verify(c, &sig[k], &d[k], &kp[k].pk));
    }
    popi_sigcache_stats_t st = popi_sigcache_stats(c);
    ck_assert_uint_eq(st.flushes, 1);
    ck_assert_uint_eq(popi_sigcache_count(c), 1); /* only the third survives the flush */
    ck_assert(popi_sigcache_verify(c, &sig[2], &d[2], &kp[2].pk));
    ck_assert_uint_eq(popi_sigcache_stats(c).hits, 1);
    ck_assert(popi_sigcache_verify(c, &sig[0], &d[0], &kp[0].pk)); /* re-verified, still valid */
    ck_assert_uint_eq(popi_sigcache_stats(c).misses, 4);
    popi_sigcache_free(c);
}
END_TEST

/* Mine a block on the view's tip at @p t; returns the stored node (asserts it became the tip). */
static popi_store_node_t *mine(popi_chain_t *ch, const popi_pubkey_t *pk, popi_time_t t)
{
    popi_chain_template_t tp;
    ck_assert_int_eq(popi_chain_template(ch, pk, t, 0x207fffff, NULL, 0, &tp), POPI_OK);
    popi_block_t *b = NULL;
    ck_assert_int_eq(popi_chain_template_finish(&tp, &b), POPI_OK);
    popi_chain_template_destroy(&tp);
    popi_chain_result_t res;
    popi_store_node_t *n = NULL;
    ck_assert_int_eq(popi_chain_submit_block(ch, b, t, &res, &n), POPI_OK);
    ck_assert_msg(res.outcome == POPI_CHAIN_TIP, "%s", res.verdict.message);
    return n;
}

START_TEST(test_store_verdicts_unchanged)
{
    /* the same chain through a store with and one without the cache: a payment is verified at
     * mempool admission (miss), then inside its block (hit); the block's verdict and its charged
     * signature count are the same in both stores */
    popi_keypair_t alice, bob;
    popi_crypto_keypair_from_u64(&alice, 1);
    popi_crypto_keypair_from_u64(&bob, 2);
    popi_sigcache_t *cache = popi_sigcache_create(0);
    popi_store_t *st[2];
    popi_mempool_t *mp[2];
    popi_chain_t ch[2];
    popi_store_node_t *last[2];
    for (int k = 0; k < 2; k++) {
        popi_store_config_t cfg;
        popi_store_config_default(&cfg, POPI_CONSENSUS_POW);
        if (k == 1) cfg.rules.sig_cache = cache;
        ck_assert_int_eq(popi_store_create(&cfg, &st[k]), POPI_OK);
        mp[k] = popi_mempool_create(st[k], 0);
        popi_chain_init(&ch[k], st[k], mp[k]);
        for (int h = 0; h < 7; h++) mine(&ch[k], &alice.pk, (popi_time_t)(h + 1) * POPI_US_PER_S);
        popi_mempool_result_t r;
        ck_assert_int_eq(popi_mempool_pay(mp[k], &alice, &bob.pk, 1000, 10, &r, NULL), POPI_OK);
        ck_assert_int_eq(r.outcome, POPI_MEMPOOL_ACCEPTED);
        last[k] = mine(&ch[k], &alice.pk, 8 * POPI_US_PER_S);
        ck_assert_uint_eq(last[k]->block->n_tx, 2);
    }
    ck_assert_int_eq(memcmp(&last[0]->block->hash, &last[1]->block->hash, sizeof(popi_hash_t)), 0);
    ck_assert_uint_eq(last[0]->n_sig_checks, 1);
    ck_assert_uint_eq(last[1]->n_sig_checks, 1);
    ck_assert_int_eq(last[0]->status, POPI_STORE_VALID);
    ck_assert_int_eq(last[1]->status, POPI_STORE_VALID);
    popi_sigcache_stats_t s = popi_sigcache_stats(cache);
    ck_assert_uint_eq(s.misses, 1);
    ck_assert_uint_ge(s.hits, 1);
    for (int k = 0; k < 2; k++) {
        popi_chain_destroy(&ch[k]);
        popi_mempool_free(mp[k]);
        popi_store_free(st[k]);
    }
    popi_sigcache_free(cache);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sigcache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_hits_only_after_valid);
    tcase_add_test(tc, test_check_then_add);
    tcase_add_test(tc, test_flush_when_full);
    tcase_add_test(tc, test_store_verdicts_unchanged);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
