/* SPDX-License-Identifier: MIT */
/*
 * rng.h - reproducible random streams.
 *
 * Every stream of a run is a GSL generator seeded from (master_seed, run_index, stream_id) through
 * a SplitMix64 mix, so no stream depends on thread ids, wall time or the order in which other
 * streams were used. Counter-based draws (popi_rng_hash_*) give order-free randomness for work
 * that is spread over threads: the value depends only on the key, never on who asks first.
 */
#ifndef POPI_RNG_H
#define POPI_RNG_H

#include "popi/common.h"

#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Stream identifiers. Each consumer of randomness in a run owns one id. */
typedef enum {
    POPI_STREAM_WORLD = 1,      /**< random obstacle placement */
    POPI_STREAM_PLACEMENT = 2,  /**< initial agent positions and model assignment */
    POPI_STREAM_MOBILITY = 3,   /**< destinations, speeds, pauses */
    POPI_STREAM_RADIO = 4,      /**< scan/advertising phases and shadowing keys */
    POPI_STREAM_ANALYSIS = 5,   /**< bootstrap resampling */
    POPI_STREAM_NET = 6,        /**< overlay construction, latencies (later issues) */
    POPI_STREAM_CONSENSUS = 7,  /**< lotteries, miners (later issues) */
    POPI_STREAM_SAMPLING = 8    /**< reservoir samples of run outputs for the fits */
} popi_stream_id_t;

/** One random stream: a GSL Mersenne Twister seeded from the key. */
typedef struct {
    gsl_rng *g;
    uint64_t key; /**< the mixed 64-bit seed, kept for the record */
} popi_rng_t;

/** SplitMix64 finaliser: a bijective 64-bit mix (Steele, Lea & Flood, OOPSLA 2014). */
static inline uint64_t popi_rng_mix64(uint64_t z)
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/** Mix a key of three words into one 64-bit value (order-sensitive). */
static inline uint64_t popi_rng_key3(uint64_t a, uint64_t b, uint64_t c)
{
    return popi_rng_mix64(popi_rng_mix64(popi_rng_mix64(a) ^ b) ^ c);
}

/** Uniform double in (0, 1) from a 64-bit key: 53 random bits, never 0 or 1. */
static inline double popi_rng_hash_uniform(uint64_t key)
{
    return ((double)(popi_rng_mix64(key) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/** Standard normal from a 64-bit key (inverse CDF through GSL). */
double popi_rng_hash_gaussian(uint64_t key);

/**
 * Initialise @p r as stream @p stream of run @p run_index under @p master_seed.
 * Destroy with popi_rng_destroy(). Cannot fail (allocation failure aborts).
 */
void popi_rng_init(popi_rng_t *r, uint64_t master_seed, uint64_t run_index, uint64_t stream);

/** Release the generator. Accepts a zeroed or already destroyed stream. */
void popi_rng_destroy(popi_rng_t *r);

/** Uniform double in [0, 1). */
static inline double popi_rng_uniform(popi_rng_t *r) { return gsl_rng_uniform(r->g); }

/** Uniform double in [a, b). */
static inline double popi_rng_range(popi_rng_t *r, double a, double b)
{
    return a + (b - a) * gsl_rng_uniform(r->g);
}

/** Uniform integer in [0, n), 1 <= n <= 2^32 (the generator yields 32 bits; larger n is an
 *  internal error that GSL reports through its error handler). */
static inline uint64_t popi_rng_below(popi_rng_t *r, uint64_t n)
{
    return (uint64_t)gsl_rng_uniform_int(r->g, (unsigned long)n);
}

#ifdef __cplusplus
}
#endif
#endif
