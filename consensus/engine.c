/* SPDX-License-Identifier: MIT */
/*
 * engine.c - the registry of consensus engines (name → vtable) and the difficulty arithmetic
 * they share: Bitcoin's retarget on 256-bit targets (pow.cpp CalculateNextWorkRequired: the
 * target scaled by actual/expected timespan, the ratio clamped to [1/4, 4], capped at the limit).
 */
#include "popi/engine.h"
#include "popi/block.h"

#include <string.h>

static const popi_engine_vt_t *const engines[] = {&popi_engine_pow};

const popi_engine_vt_t *popi_engine_find(const char *name)
{
    if (!name) return NULL;
    for (size_t k = 0; k < sizeof engines / sizeof engines[0]; k++)
        if (strcmp(engines[k]->name, name) == 0) return engines[k];
    return NULL;
}

/* 256-bit targets as four little-endian 64-bit limbs. */
static void limbs_from_hash(const popi_hash_t *h, uint64_t l[4])
{
    for (int k = 0; k < 4; k++) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++) v = v << 8 | h->b[(3 - k) * 8 + b];
        l[k] = v;
    }
}

static void limbs_to_hash(const uint64_t l[4], popi_hash_t *h)
{
    for (int k = 0; k < 4; k++)
        for (int b = 0; b < 8; b++) h->b[(3 - k) * 8 + b] = (uint8_t)(l[k] >> (56 - 8 * b));
}

uint32_t popi_engine_retarget(uint32_t bits, popi_time_t actual, popi_time_t expected,
                              uint32_t limit_bits)
{
    popi_hash_t t, lim;
    if (popi_target_from_bits(limit_bits, &lim) != POPI_OK) return bits;
    if (popi_target_from_bits(bits, &t) != POPI_OK || expected <= 0) return limit_bits;
    if (actual < expected / 4) actual = expected / 4;
    if (actual > expected * 4) actual = expected * 4;
    if (actual < 1) actual = 1;
    /* t × actual / expected with a fifth limb for the product */
    uint64_t l[5];
    limbs_from_hash(&t, l);
    unsigned __int128 carry = 0;
    for (int k = 0; k < 4; k++) {
        unsigned __int128 p = (unsigned __int128)l[k] * (uint64_t)actual + carry;
        l[k] = (uint64_t)p;
        carry = p >> 64;
    }
    l[4] = (uint64_t)carry;
    unsigned __int128 rem = 0;
    for (int k = 4; k >= 0; k--) {
        unsigned __int128 cur = rem << 64 | l[k];
        l[k] = (uint64_t)(cur / (uint64_t)expected);
        rem = cur % (uint64_t)expected;
    }
    if (l[4]) return limit_bits; /* beyond 2^256: the limit */
    popi_hash_t out;
    limbs_to_hash(l, &out);
    if (memcmp(out.b, lim.b, sizeof out.b) > 0) return limit_bits;
    return popi_target_to_bits(&out);
}
