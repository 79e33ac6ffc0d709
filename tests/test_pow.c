/* SPDX-License-Identifier: MIT */
/*
 * test_pow.c - the proof-of-work engine and its shared difficulty arithmetic: Bitcoin's retarget
 * (popi_engine_retarget) against hand-computed compact values and against an independent 256-bit
 * oracle (scale, clamp to [1/4, 4], cap at the limit, GetCompact rounding); the engine registry;
 * and, through small network runs, that every produced header meets its bits, that the bits
 * follow the retarget schedule (changes exactly at multiples of pow.retarget_interval), that the
 * store rejects a header whose bits break the schedule with a verdict naming the bits, and that
 * the coinbase subsidy halves every chain.halving_interval blocks.
 */
#include "popi/block.h"
#include "popi/chain.h"
#include "popi/crypto.h"
#include "popi/engine.h"
#include "popi/ledger.h"
#include "popi/netrun.h"
#include "popi/rng.h"
#include "popi/scenario.h"
#include "net_fixture.h"
#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Check writes a record on every ck_assert; loops over many items test with a plain if. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) ck_abort_msg(__VA_ARGS__);                                                    \
    } while (0)

/* Bitcoin's retarget timespan in µs: 2015 intervals of 600 s (any positive value works). */
static const popi_time_t E = (popi_time_t)2015 * 600 * 1000000;

static uint32_t limit0(void)
{
    uint32_t b;
    ck_assert_int_eq(popi_target_bits_for_zero_bits(0, &b), POPI_OK);
    return b;
}

static void target(uint32_t bits, popi_hash_t *t)
{
    ck_assert_msg(popi_target_from_bits(bits, t) == POPI_OK, "bits 0x%08x", bits);
}

/* ---- an independent 256-bit oracle on big-endian bytes ---- */

/* out = t × a / e (floor), 33 bytes (one extra leading byte for overflow beyond 2^256). */
static void big_scale(const popi_hash_t *t, uint64_t a, uint64_t e, uint8_t out[33])
{
    /* multiply: 32 bytes × a (< 2^63) into 41 bytes */
    uint8_t prod[41];
    memset(prod, 0, sizeof prod);
    unsigned __int128 carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned __int128 v = (unsigned __int128)t->b[i] * a + carry;
        prod[i + 9] = (uint8_t)v;
        carry = v >> 8;
    }
    for (int i = 8; i >= 0; i--) {
        prod[i] = (uint8_t)carry;
        carry >>= 8;
    }
    /* long division by e, byte by byte */
    uint8_t q[41];
    unsigned __int128 rem = 0;
    for (int i = 0; i < 41; i++) {
        unsigned __int128 cur = rem << 8 | prod[i];
        q[i] = (uint8_t)(cur / e);
        rem = cur % e;
    }
    for (int i = 0; i < 8; i++)
        CHECK(q[i] == 0, "oracle overflow");
    memcpy(out, q + 8, 33);
}

/* Bitcoin's GetCompact on 32 big-endian bytes. */
static uint32_t oracle_compact(const uint8_t t[32])
{
    int first = 0;
    while (first < 32 && t[first] == 0)
        first++;
    uint32_t size = (uint32_t)(32 - first);
    uint32_t m = 0;
    for (uint32_t k = 0; k < 3; k++) {
        int idx = first + (int)k;
        m = m << 8 | (idx < 32 ? t[idx] : 0);
    }
    /* size < 3: the mantissa stays left-aligned (GetLow64() << 8 (3 - size)), as read above */
    if (m & 0x00800000u) {
        m >>= 8;
        size++;
    }
    return size << 24 | m;
}

/* Expected result of the retarget, computed independently of engine.c. */
static uint32_t oracle_retarget(uint32_t bits, popi_time_t actual, popi_time_t expected,
                                uint32_t limit_bits)
{
    popi_hash_t t, lim;
    target(bits, &t);
    target(limit_bits, &lim);
    if (actual < expected / 4) actual = expected / 4;
    if (actual > expected * 4) actual = expected * 4;
    uint8_t s[33];
    big_scale(&t, (uint64_t)actual, (uint64_t)expected, s);
    if (s[0] != 0 || memcmp(s + 1, lim.b, 32) > 0) return limit_bits;
    return oracle_compact(s + 1);
}

/* 2 × t (no overflow expected). */
static void big_double(const popi_hash_t *t, popi_hash_t *out)
{
    unsigned c = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned v = (unsigned)t->b[i] * 2 + c;
        out->b[i] = (uint8_t)v;
        c = v >> 8;
    }
    CHECK(c == 0, "overflow");
}

/* ---- retarget: hand-computed values ---- */

START_TEST(test_retarget_identity_and_double)
{
    uint32_t lim = limit0();
    /* ratio 1 keeps Bitcoin's genesis bits */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, E, E, lim), 0x1d00ffff);
    /* twice the expected time: the target doubles, 0x00ffff -> 0x01fffe */
    uint32_t b2 = popi_engine_retarget(0x1d00ffff, 2 * E, E, lim);
    ck_assert_uint_eq(b2, 0x1d01fffe);
    popi_hash_t t1, t2, dbl;
    target(0x1d00ffff, &t1);
    target(b2, &t2);
    big_double(&t1, &dbl);
    ck_assert_mem_eq(t2.b, dbl.b, 32);
    /* half the expected time: the target halves (exact: 0xffff is odd, so 0x7fff80 x 256^25) */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, E / 2, E, lim), 0x1c7fff80);
    /* the same ratio with other units gives the same result */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, 2, 1, lim), 0x1d01fffe);
    ck_assert_uint_eq(popi_engine_retarget(0x1b0404cb, 3000, 3000, lim), 0x1b0404cb);
}
END_TEST

START_TEST(test_retarget_clamped)
{
    uint32_t lim = limit0();
    /* ratio 10 counts as 4: 0xffff x 4 = 0x3fffc */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, 10 * E, E, lim), 0x1d03fffc);
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, 4 * E, E, lim), 0x1d03fffc);
    /* ratio 0.01 counts as 1/4: 0xffff x 256 / 4 = 0x3fffc0 (one byte lower) */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, E / 100, E, lim), 0x1c3fffc0);
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, E / 4, E, lim), 0x1c3fffc0);
    /* zero and negative timespans (timestamps may go backwards) also count as 1/4 */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, 0, E, lim), 0x1c3fffc0);
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, -E, E, lim), 0x1c3fffc0);
    /* x4 and /4 expanded: t(x4) == 4 t, t(/4) x 4 == t */
    popi_hash_t t, t4, tq, a, b;
    target(0x1d00ffff, &t);
    target(0x1d03fffc, &t4);
    big_double(&t, &a);
    big_double(&a, &b);
    ck_assert_mem_eq(t4.b, b.b, 32);
    target(0x1c3fffc0, &tq);
    big_double(&tq, &a);
    big_double(&a, &b);
    ck_assert_mem_eq(t.b, b.b, 32);
}
END_TEST

START_TEST(test_retarget_capped_at_limit)
{
    /* Bitcoin's powLimit is the genesis target: easier results are capped at it */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, 2 * E, E, 0x1d00ffff), 0x1d00ffff);
    ck_assert_uint_eq(popi_engine_retarget(0x1c7fffff, 4 * E, E, 0x1d00ffff), 0x1d00ffff);
    /* just below the cap: not capped */
    ck_assert_uint_eq(popi_engine_retarget(0x1c7fff80, 2 * E, E, 0x1d00ffff), 0x1d00ffff);
    ck_assert_uint_eq(popi_engine_retarget(0x1c400000, 3 * E / 2, E, 0x1d00ffff), 0x1c600000);
    /* harder results are never capped */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, E / 2, E, 0x1d00ffff), 0x1c7fff80);
    /* a product beyond 2^256 gives the limit: 0xffff x 2^240 x 4 > 2^256 */
    ck_assert_uint_eq(popi_engine_retarget(0x2100ffff, 4 * E, E, 0x2100ffff), 0x2100ffff);
    uint32_t lim = limit0();
    ck_assert_uint_eq(popi_engine_retarget(lim, 4 * E, E, lim), lim);
    /* the easiest target with zero zero-bits: every result stays at or below it */
    popi_hash_t tl, tr;
    target(lim, &tl);
    target(popi_engine_retarget(0x207fff00, 3 * E, E, lim), &tr);
    ck_assert(memcmp(tr.b, tl.b, 32) <= 0);
}
END_TEST

START_TEST(test_retarget_rounding_getcompact)
{
    uint32_t lim = limit0();
    /* 0xffff x 256^26 x 3/2 = 0x017ffe80 x 256^25: GetCompact keeps 3 bytes, drops 0x80 */
    uint32_t r = popi_engine_retarget(0x1d00ffff, 3 * E / 2, E, lim);
    ck_assert_uint_eq(r, 0x1d017ffe);
    popi_hash_t got, one;
    target(r, &got);
    target(0x1d00ffff, &one);
    uint8_t exact[33];
    big_scale(&one, 3, 2, exact);
    ck_assert_uint_eq(exact[0], 0);
    ck_assert(memcmp(got.b, exact + 1, 32) < 0); /* rounded down, strictly (bits were lost) */
    /* a mantissa with the sign bit moves one byte up: 0x400000 x 2 = 0x800000 -> 0x008000 */
    ck_assert_uint_eq(popi_engine_retarget(0x1c400000, 2 * E, E, lim), 0x1d008000);
    /* a ratio that does not divide: 0xffff x 7/10 = 0xb332.8 (x 256^26) = 0xb33280 x 256^25;
     * the mantissa has the sign bit, so it moves up a byte and loses 0x80: 0x1d00b332 */
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, 7, 10, lim), 0x1d00b332);
}
END_TEST

START_TEST(test_retarget_against_oracle)
{
    /* random bits, timespans and limits against the independent 256-bit oracle */
    uint64_t seed = popi_test_seed(20240601);
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, 77);
    uint32_t lims[3] = {limit0(), 0x1d00ffff, 0x1f00ffff};
    int n_capped = 0, n_clamped = 0;
    for (int it = 0; it < 20000; it++) {
        uint32_t exp = 3 + (uint32_t)gsl_rng_uniform_int(r.g, 30); /* sizes 3..32 */
        uint32_t man = 1 + (uint32_t)gsl_rng_uniform_int(r.g, 0x7fffff);
        uint32_t bits = exp << 24 | man;
        popi_hash_t t;
        if (popi_target_from_bits(bits, &t) != POPI_OK) continue;
        uint32_t lim = lims[it % 3];
        popi_time_t expected = 1 + (popi_time_t)gsl_rng_uniform_int(r.g, 2000000000);
        double ratio = exp2(gsl_rng_uniform(r.g) * 6 - 3); /* 1/8 .. 8 */
        popi_time_t actual = (popi_time_t)llround(ratio * (double)expected);
        uint32_t want = oracle_retarget(bits, actual, expected, lim);
        uint32_t got = popi_engine_retarget(bits, actual, expected, lim);
        CHECK(got == want,
              "seed %llu: bits 0x%08x actual %lld expected %lld limit 0x%08x: got 0x%08x, "
              "oracle 0x%08x",
              (unsigned long long)seed, bits, (long long)actual, (long long)expected, lim, got,
              want);
        n_capped += got == lim;
        n_clamped += ratio > 4 || ratio < 0.25;
    }
    popi_rng_destroy(&r);
    ck_assert_int_gt(n_capped, 100);
    ck_assert_int_gt(n_clamped, 1000);
}
END_TEST

START_TEST(test_retarget_bad_inputs)
{
    uint32_t lim = limit0();
    /* invalid bits (zero, negative, overflowing) and a non-positive expected time give the limit */
    ck_assert_uint_eq(popi_engine_retarget(0, E, E, lim), lim);
    ck_assert_uint_eq(popi_engine_retarget(0x1d80ffff, E, E, lim), lim);
    ck_assert_uint_eq(popi_engine_retarget(0xff00ffff, E, E, lim), lim);
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, E, 0, lim), lim);
    ck_assert_uint_eq(popi_engine_retarget(0x1d00ffff, E, -1, lim), lim);
}
END_TEST

START_TEST(test_engine_find)
{
    ck_assert_ptr_eq(popi_engine_find("pow"), &popi_engine_pow);
    ck_assert_str_eq(popi_engine_pow.name, "pow");
    ck_assert_int_eq(popi_engine_pow.kind, POPI_CONSENSUS_POW);
    ck_assert_ptr_null(popi_engine_find("none"));
    ck_assert_ptr_null(popi_engine_find("POW"));
    ck_assert_ptr_null(popi_engine_find("popi"));
    ck_assert_ptr_null(popi_engine_find(""));
    ck_assert_ptr_null(popi_engine_find(NULL));
    /* every entry of the vtable is set */
    const popi_engine_vt_t *v = &popi_engine_pow;
    ck_assert(v->create && v->destroy && v->genesis_bits && v->check_proof && v->weight &&
              v->sharing && v->start && v->on_tip && v->on_online && v->finish && v->resource);
}
END_TEST

/* ---- network runs ---- */

/* Every block in the store, by a walk of the block tree from @p root (caller frees). */
static popi_store_node_t **all_blocks(popi_store_node_t *root, size_t *n)
{
    size_t cap = 64, cnt = 0, top = 0;
    popi_store_node_t **out = malloc(cap * sizeof *out), **stack = malloc(cap * sizeof *stack);
    stack[top++] = root;
    while (top) {
        popi_store_node_t *x = stack[--top];
        if (cnt == cap || top + 64 > cap) {
            cap *= 2;
            out = realloc(out, cap * sizeof *out);
            stack = realloc(stack, cap * sizeof *stack);
        }
        out[cnt++] = x;
        for (popi_store_node_t *c = x->child; c; c = c->sibling) {
            if (top == cap) {
                cap *= 2;
                out = realloc(out, cap * sizeof *out);
                stack = realloc(stack, cap * sizeof *stack);
            }
            stack[top++] = c;
        }
    }
    free(stack);
    *n = cnt;
    return out;
}

static popi_store_node_t *genesis_of(popi_store_node_t *x)
{
    while (x->parent)
        x = x->parent;
    return x;
}

/* The bits the schedule gives after @p parent, computed here from the documented rule. */
static uint32_t schedule_bits(const popi_store_node_t *parent, uint32_t R, popi_time_t T_us)
{
    uint64_t h = parent->depth + 1;
    if (h % R) return parent->block->hdr.bits;
    const popi_store_node_t *first = parent;
    while (first->depth > h - R)
        first = first->parent;
    popi_time_t actual = parent->block->hdr.time - first->block->hdr.time;
    return popi_engine_retarget(parent->block->hdr.bits, actual, (popi_time_t)(R - 1) * T_us,
                                limit0());
}

/* 20 nodes, short blocks and SimBlock latencies (a few forks), retarget every 10 blocks. */
#define SCHEDULE_SCENARIO(seed)                                                                    \
    "consensus.engine=pow", "net.nodes=20", "pow.block_interval_s=5", "pow.retarget_interval=10",  \
        "pow.sim_zero_bits=6", "chain.stop_blocks=120", "run.duration_s=1e7", seed, NULL

START_TEST(test_headers_meet_bits_and_follow_schedule)
{
    char seedarg[64];
    uint64_t seed = popi_test_seed(3);
    snprintf(seedarg, sizeof seedarg, "run.seed=%llu", (unsigned long long)seed);
    popi_scenario_t s;
    scen(&s, 1, SCHEDULE_SCENARIO(seedarg));
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    ck_assert_uint_eq(sum.blocks, 120);
    /* 5 s blocks over SimBlock latencies fork: side branches are checked too */
    ck_assert_msg(sum.stale_blocks > 0, "seed %llu: no stale block", (unsigned long long)seed);
    popi_store_node_t *best = popi_p2p_best(p);
    ck_assert_ptr_nonnull(best);
    size_t n;
    popi_store_node_t **all = all_blocks(genesis_of(best), &n);
    ck_assert_uint_eq(n, 121); /* every produced block plus genesis is in the tree */
    uint32_t gbits;
    ck_assert_int_eq(popi_target_bits_for_zero_bits(6, &gbits), POPI_OK);
    const uint32_t R = 10;
    const popi_time_t T = popi_time_from_s(5);
    int changed_at_retarget = 0, retargets = 0;
    for (size_t i = 0; i < n; i++) {
        const popi_store_node_t *x = all[i];
        const popi_block_header_t *h = &x->block->hdr;
        CHECK(popi_block_meets_bits(x->block),
              "seed %llu: block at height %llu does not meet bits 0x%08x", (unsigned long long)seed,
              (unsigned long long)h->height, h->bits);
        CHECK(h->height == x->depth, "height %llu at depth %llu", (unsigned long long)h->height,
              (unsigned long long)x->depth);
        CHECK(x->status == POPI_STORE_VALID, "block at height %llu is %s",
              (unsigned long long)h->height, popi_store_status_name(x->status));
        if (!x->parent) {
            CHECK(h->bits == gbits, "genesis bits 0x%08x, want 0x%08x", h->bits, gbits);
            continue;
        }
        uint32_t want = schedule_bits(x->parent, R, T);
        CHECK(h->bits == want, "seed %llu: height %llu has bits 0x%08x, the schedule gives 0x%08x",
              (unsigned long long)seed, (unsigned long long)h->height, h->bits, want);
        if (h->height % R) {
            CHECK(h->bits == x->parent->block->hdr.bits,
                  "bits changed at height %llu, not a multiple of %u",
                  (unsigned long long)h->height, R);
        } else {
            retargets++;
            changed_at_retarget += h->bits != x->parent->block->hdr.bits;
        }
    }
    /* random intervals never give a ratio of exactly 1: every retarget changed the bits */
    ck_assert_int_ge(retargets, 10);
    ck_assert_int_eq(changed_at_retarget, retargets);
    /* the rate followed the difficulty: the best chain's mean interval stays near 5 s (with
     * a fixed target it would drift with every retarget error; this is a loose sanity bound) */
    ck_assert_msg(sum.mean_interval_s > 2.5 && sum.mean_interval_s < 10, "mean interval %g s",
                  sum.mean_interval_s);
    free(all);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_difficulty_follows_hash_rate_mismatch)
{
    /* Churn takes miners offline (online share 1/4): blocks come ~4x slower than the initial
     * difficulty assumes, so the first retarget must make the target easier (ratio ~4). */
    popi_scenario_t s;
    scen(&s, 1, "consensus.engine=pow", "net.nodes=40", "net.regions=single", "net.latency=constant",
         "net.constant_ms=0", "pow.block_interval_s=60", "pow.retarget_interval=10",
         "pow.sim_zero_bits=8", "net.churn_online_mean_s=200", "net.churn_offline_mean_s=600",
         "run.duration_s=8000", "node.verify_s=0", "node.hash_s_per_byte=0", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    popi_store_node_t *best = popi_p2p_best(p);
    ck_assert_uint_ge(best->depth, 20);
    popi_store_node_t *b10 = popi_store_ancestor(best, 10), *b9 = popi_store_ancestor(best, 9);
    popi_hash_t t9, t10;
    target(b9->block->hdr.bits, &t9);
    target(b10->block->hdr.bits, &t10);
    ck_assert_msg(memcmp(t10.b, t9.b, 32) > 0,
                  "target not easier after slow blocks: 0x%08x -> 0x%08x", b9->block->hdr.bits,
                  b10->block->hdr.bits);
    double span = popi_time_to_s(b9->block->hdr.time - genesis_of(best)->block->hdr.time);
    ck_assert_msg(span > 9 * 60 * 1.5, "9 intervals took %g s only", span);
    /* every retarget height on the best chain follows the schedule */
    for (popi_store_node_t *x = best; x->parent; x = x->parent)
        CHECK(x->block->hdr.bits == schedule_bits(x->parent, 10, popi_time_from_s(60)),
              "height %llu", (unsigned long long)x->depth);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

/* A view over the run's store holding the best chain (genesis to @p tip). */
static void view_of(popi_chain_t *c, popi_store_t *st, popi_store_node_t *tip)
{
    popi_chain_init(c, st, NULL);
    size_t d = (size_t)tip->depth + 1;
    popi_store_node_t **path = malloc(d * sizeof *path);
    for (popi_store_node_t *x = tip; x; x = x->parent)
        path[x->depth] = x;
    for (size_t i = 0; i < d; i++) {
        popi_chain_result_t res;
        ck_assert_int_eq(popi_chain_submit(c, path[i], tip->block->hdr.time, &res), POPI_OK);
        CHECK(res.outcome == POPI_CHAIN_TIP, "height %zu: %s", i,
              popi_chain_outcome_name(res.outcome));
    }
    free(path);
    ck_assert_ptr_eq(c->tip, tip);
}

/* Build a block on the view's tip with @p bits; grind to meet them when @p grind, else make
 * sure the hash does NOT meet them. Submit and return the outcome. */
static popi_chain_outcome_t submit_with_bits(popi_chain_t *c, uint32_t bits, bool grind,
                                             popi_ledger_verdict_t *v)
{
    popi_pubkey_t pk;
    memset(&pk, 7, sizeof pk);
    popi_time_t now = c->tip->block->hdr.time + popi_time_from_s(1);
    popi_chain_template_t t;
    ck_assert_int_eq(popi_chain_template(c, &pk, now, bits, NULL, 0, &t), POPI_OK);
    if (grind) {
        ck_assert_int_eq(popi_block_grind(&t.hdr, UINT64_MAX, NULL), POPI_OK);
    } else {
        popi_hash_t tg, h;
        target(bits, &tg);
        for (;; t.hdr.nonce++) {
            popi_block_header_hash(&t.hdr, &h);
            if (!popi_hash_meets_target(&h, &tg)) break;
        }
    }
    popi_block_t *b = NULL;
    ck_assert_int_eq(popi_chain_template_finish(&t, &b), POPI_OK);
    popi_chain_template_destroy(&t);
    popi_chain_result_t res;
    ck_assert_int_eq(popi_chain_submit_block(c, b, now, &res, NULL), POPI_OK);
    *v = res.verdict;
    return res.outcome;
}

START_TEST(test_store_rejects_wrong_bits)
{
    popi_scenario_t s;
    scen(&s, 1, SCHEDULE_SCENARIO("run.seed=5"));
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    popi_store_node_t *best = popi_p2p_best(p);
    /* go back to a tip whose next block is a retarget (height multiple of 10) and to one whose
     * next block is not: both must insist on the schedule */
    for (int pass = 0; pass < 2; pass++) {
        popi_store_node_t *tip = best;
        while ((tip->depth + 1) % 10 != (pass == 0 ? 0u : 3u))
            tip = tip->parent;
        uint32_t want = schedule_bits(tip, 10, popi_time_from_s(5));
        uint32_t wrong = limit0(); /* the easiest target: any hash of two meets it */
        ck_assert_uint_ne(want, wrong);
        popi_chain_t c;
        view_of(&c, popi_p2p_store(p), tip);
        popi_ledger_verdict_t v;
        /* wrong bits, hash meeting them: rejected by the schedule, the verdict names both */
        ck_assert_int_eq(submit_with_bits(&c, wrong, true, &v), POPI_CHAIN_INVALID);
        ck_assert_int_eq(v.code, POPI_VERR_PROOF);
        char a[32], b[32];
        snprintf(a, sizeof a, "0x%08x", wrong);
        snprintf(b, sizeof b, "0x%08x", want);
        ck_assert_msg(strstr(v.message, a) && strstr(v.message, b), "verdict: %s", v.message);
        ck_assert_msg(strstr(v.message, "bits"), "verdict: %s", v.message);
        if (getenv("POPI_TEST_VERBOSE")) printf("pow: wrong bits: %s\n", v.message);
        ck_assert_ptr_eq(c.tip, tip);
        /* right bits, hash not meeting them: rejected for the hash */
        ck_assert_int_eq(submit_with_bits(&c, want, false, &v), POPI_CHAIN_INVALID);
        ck_assert_int_eq(v.code, POPI_VERR_PROOF);
        ck_assert_msg(strstr(v.message, "target") && strstr(v.message, b), "verdict: %s",
                      v.message);
        /* right bits, ground: accepted */
        popi_chain_outcome_t o = submit_with_bits(&c, want, true, &v);
        ck_assert_msg(o == POPI_CHAIN_TIP, "%s: %s", popi_chain_outcome_name(o), v.message);
        popi_chain_destroy(&c);
    }
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_coinbase_halving)
{
    popi_scenario_t s;
    scen(&s, 1, "consensus.engine=pow", "net.nodes=8", "net.regions=single", "net.latency=constant",
         "pow.sim_zero_bits=4", "chain.halving_interval=4", "chain.subsidy_coins=50",
         "chain.stop_blocks=30", "run.duration_s=1e7", "run.seed=9", NULL);
    popi_netrun_summary_t sum;
    popi_netrun_keep_t *k = run_keep(&s, NULL, &sum);
    popi_p2p_t *p = popi_netrun_keep_p2p(k);
    popi_store_node_t *best = popi_p2p_best(p);
    ck_assert_uint_ge(best->depth, 24);
    uint64_t total = 0;
    for (popi_store_node_t *x = best; x; x = x->parent) {
        const popi_block_t *b = x->block;
        ck_assert_uint_ge(b->tx[0].n_out, 1);
        uint64_t h = b->hdr.height, amount = b->tx[0].out[0].amount;
        uint64_t want = UINT64_C(5000000000) >> (h / 4); /* by hand: 50 coins, halved every 4 */
        CHECK(amount == want, "height %llu pays %llu, want %llu", (unsigned long long)h,
              (unsigned long long)amount, (unsigned long long)want);
        CHECK(want == popi_ledger_block_subsidy(h, UINT64_C(5000000000), 4), "subsidy rule");
        if (x->parent)
            for (uint32_t o = 0; o < b->tx[0].n_out; o++)
                total += b->tx[0].out[o].amount;
    }
    /* spot values: heights 3, 4, 8, 20 */
    ck_assert_uint_eq(popi_store_ancestor(best, 3)->block->tx[0].out[0].amount, 5000000000u);
    ck_assert_uint_eq(popi_store_ancestor(best, 4)->block->tx[0].out[0].amount, 2500000000u);
    ck_assert_uint_eq(popi_store_ancestor(best, 8)->block->tx[0].out[0].amount, 1250000000u);
    ck_assert_uint_eq(popi_store_ancestor(best, 20)->block->tx[0].out[0].amount, 156250000u);
    /* the node rows' rewards add up to the best chain's coinbases */
    popi_p2p_node_row_t *rows = popi_p2p_node_rows(p, popi_time_from_s(sum.sim_s));
    uint64_t sum_rewards = 0, main = 0;
    for (uint32_t v = 0; v < popi_p2p_n_nodes(p); v++) {
        sum_rewards += rows[v].reward;
        main += rows[v].produced_main;
    }
    ck_assert_uint_eq(sum_rewards, total);
    ck_assert_uint_eq(main, best->depth);
    free(rows);
    popi_netrun_keep_free(k);
    popi_scenario_destroy(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pow");
    TCase *tc = tcase_create("retarget");
    tcase_add_checked_fixture(tc, time_setup, time_teardown);
    tcase_add_test(tc, test_retarget_identity_and_double);
    tcase_add_test(tc, test_retarget_clamped);
    tcase_add_test(tc, test_retarget_capped_at_limit);
    tcase_add_test(tc, test_retarget_rounding_getcompact);
    tcase_add_test(tc, test_retarget_against_oracle);
    tcase_add_test(tc, test_retarget_bad_inputs);
    tcase_add_test(tc, test_engine_find);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("runs");
    tcase_add_checked_fixture(tr, time_setup, time_teardown);
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, test_headers_meet_bits_and_follow_schedule);
    tcase_add_test(tr, test_difficulty_follows_hash_rate_mismatch);
    tcase_add_test(tr, test_store_rejects_wrong_bits);
    tcase_add_test(tr, test_coinbase_halving);
    suite_add_tcase(s, tr);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
