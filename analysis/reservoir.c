/* SPDX-License-Identifier: MIT */
/*
 * reservoir.c - algorithm L (Li 1994). Invariant once full: v holds a uniform sample of the items
 * seen, and `next` is the index of the next item that enters it, drawn from the geometric-like
 * law of the algorithm with the running W.
 */
#include "popi/reservoir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void popi_reservoir_init(popi_reservoir_t *r, size_t k)
{
    memset(r, 0, sizeof *r);
    r->k = k;
    r->next = UINT64_MAX;
}

void popi_reservoir_destroy(popi_reservoir_t *r)
{
    if (!r) return;
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

/* Draw the next kept index: W *= U^(1/k), then skip floor(log U' / log(1 - W)) items. */
static void skip(popi_reservoir_t *r, popi_rng_t *rng)
{
    double k = (double)r->k;
    r->w *= exp(log(gsl_rng_uniform_pos(rng->g)) / k);
    double s = floor(log(gsl_rng_uniform_pos(rng->g)) / log1p(-r->w));
    r->next = s < 1e18 ? r->seen + (uint64_t)s + 1 : UINT64_MAX;
}

void popi_reservoir_add(popi_reservoir_t *r, double x, popi_rng_t *rng)
{
    r->seen++;
    if (r->n < r->k) {
        POPI_GROW(r->v, r->cap, r->n + 1);
        r->v[r->n++] = x;
        if (r->n == r->k) {
            r->w = 1.0;
            skip(r, rng);
        }
    } else if (r->seen == r->next) {
        r->v[popi_rng_below(rng, r->k)] = x;
        skip(r, rng);
    }
}
