/* SPDX-License-Identifier: MIT */
/*
 * reservoir.h - a uniform random sample of fixed size from a stream of unknown length.
 *
 * Li's algorithm L (ACM TOMS 20:481, 1994, DOI 10.1145/198429.198435): after the first k items,
 * the gap to the next kept item is drawn directly, so the cost is O(k (1 + log(n / k))) draws for
 * n items instead of one draw per item. Every subset of size k is equally likely. The stream's
 * order and the generator fully determine the sample.
 */
#ifndef POPI_RESERVOIR_H
#define POPI_RESERVOIR_H

#include "popi/common.h"
#include "popi/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double *v;      /**< the sample, v[0..n) (n = min(k, seen)), in no particular order */
    size_t n, cap;
    size_t k;       /**< sample size */
    uint64_t seen;  /**< items offered so far */
    uint64_t next;  /**< 1-based index of the next item to keep once full */
    double w;       /**< algorithm L's running W */
} popi_reservoir_t;

/** An empty reservoir of size @p k >= 1 (k = 0 keeps nothing). Cannot fail. */
void popi_reservoir_init(popi_reservoir_t *r, size_t k);

/** Offer one item; @p rng is used only when the item may replace one kept. O(1) amortised. */
void popi_reservoir_add(popi_reservoir_t *r, double x, popi_rng_t *rng);

/** Release the sample. Accepts a zeroed or destroyed reservoir. */
void popi_reservoir_destroy(popi_reservoir_t *r);

#ifdef __cplusplus
}
#endif
#endif
