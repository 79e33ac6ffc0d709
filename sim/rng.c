/* SPDX-License-Identifier: MIT */
/*
 * rng.c - per-run random streams keyed by (master seed, run index, stream id).
 * gsl_rng_mt19937 takes a 32-bit seed; we fold the 64-bit mixed key into it, so two streams of a
 * run collide with probability ~2^-32 per pair, far below anything a simulation could notice.
 */
#include "popi/rng.h"

#include <gsl/gsl_cdf.h>

void popi_rng_init(popi_rng_t *r, uint64_t master_seed, uint64_t run_index, uint64_t stream)
{
    r->key = popi_rng_key3(master_seed, run_index, stream);
    r->g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r->g) popi_xmalloc(SIZE_MAX); /* GSL returns NULL only when out of memory */
    unsigned long s = (unsigned long)((r->key ^ (r->key >> 32)) & 0xffffffffu);
    gsl_rng_set(r->g, s ? s : 4357u);
}

void popi_rng_destroy(popi_rng_t *r)
{
    if (!r) return;
    if (r->g) gsl_rng_free(r->g);
    r->g = NULL;
}

double popi_rng_hash_gaussian(uint64_t key) { return gsl_cdf_ugaussian_Pinv(popi_rng_hash_uniform(key)); }
