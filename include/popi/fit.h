/* SPDX-License-Identifier: MIT */
/*
 * fit.h - heavy-tail fits and robust outlier flags for contact counts and durations.
 *
 * Power law by Clauset, Shalizi & Newman, SIAM Review 51:661 (2009), DOI 10.1137/070710111:
 * x_min minimising the Kolmogorov-Smirnov distance, maximum-likelihood alpha (discrete or
 * continuous; igraph_power_law_fit), a semi-parametric bootstrap p-value drawn with our own seeded
 * GSL stream, and Vuong likelihood-ratio tests on the tail (x >= x_min) against log-normal,
 * exponential and power law with exponential cut-off (nested: chi-square with 1 dof).
 * Robust flags: median and MAD; the default rule flags |y - median(y)| / (1.4826 MAD(y)) > z with
 * y = log(1 + x) (robust z on log counts, since counts are heavy-tailed and may be 0); the seed's
 * rule flags |x - mean| > k sd.
 */
#ifndef POPI_FIT_H
#define POPI_FIT_H

#include "popi/common.h"
#include "popi/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One likelihood-ratio comparison: R > 0 favours the power law; p is the significance of sign(R). */
typedef struct {
    double R;     /**< log-likelihood ratio, power law minus alternative */
    double p;     /**< p-value (Vuong, or chi-square for the nested truncated power law) */
    double par1;  /**< alternative's first parameter (mu, lambda, alpha) */
    double par2;  /**< alternative's second parameter (sigma, -, lambda) or NaN */
} popi_lr_test_t;

typedef struct {
    bool ok;            /**< false when there are too few distinct positive values to fit */
    bool discrete;      /**< discrete (integers) or continuous model */
    size_t n;           /**< positive values given */
    size_t n_tail;      /**< values >= x_min */
    double alpha;       /**< exponent */
    double alpha_se;    /**< standard error (alpha - 1) / sqrt(n_tail) */
    double xmin;        /**< lower bound of power-law behaviour */
    double ks_d;        /**< KS distance of the tail to the fitted law */
    double loglik;      /**< log-likelihood of the tail */
    double p_value;     /**< bootstrap goodness-of-fit p (NaN if n_boot == 0) */
    int n_boot;         /**< bootstrap resamples used */
    popi_lr_test_t vs_lognormal, vs_exponential, vs_truncated;
} popi_powerlaw_fit_t;

/** Scenario keys analysis.*. */
typedef enum { POPI_OUTLIER_ROBUST_Z = 0, POPI_OUTLIER_SIGMA = 1 } popi_outlier_rule_t;

typedef struct {
    int bootstrap;       /**< bootstrap resamples for the p-value, >= 0 */
    int outlier_rule;    /**< popi_outlier_rule_t */
    double outlier_z;    /**< threshold of the robust z on log counts */
    double outlier_sigma;/**< k of the mean + k sd rule (the seed's 3 sigma) */
    int64_t max_samples; /**< largest sample fitted, >= 100; larger samples are thinned
                              deterministically before fitting */
} popi_fit_config_t;

/**
 * Fit a power law to the positive values of x[0..n) (non-positive values are ignored; discrete
 * fits require integers). @p rng drives the bootstrap. Errors: POPI_EINVAL (non-integer data
 * with discrete = true, NaN), POPI_ELIB (igraph/GSL failure). Too little data is not an error:
 * out->ok = false. Cost: O(n_boot * n log n).
 * x_min: discrete data get igraph's linear scan, run on the shortest suffix of the sorted values
 * that is proven to hold its choice (every value left out has a KS distance above igraph's best
 * for any alpha), which gives igraph's x_min, alpha, L and D exactly (B1's 5,000 contact counts:
 * 11 ms instead of 120 ms; a pure power law needs nearly the whole sample, at about igraph's
 * cost); continuous data use our own exact KS minimum over the unique values (branch and bound in
 * increasing order of a cheap lower bound; candidate spacing 1/16 of the KS noise 1/sqrt(m) once
 * the tail exceeds 1024 values), then igraph at that x_min for alpha, L, D (B1's 10^5 durations:
 * ~30 ms with the likelihood-ratio tests). The same estimator refits every resample; p_value is
 * over the resamples that could be fitted (n_boot reports how many). Measured before the suffix
 * search and the ordered scan, 1000 resamples on one core: discrete n = 5000, 1.3-1.9 s;
 * continuous n = 10^5, 5-25 s (25 s for a pure power law, whose flat D(x_min) prunes least);
 * igraph's own continuous search would take ~9 s per fit at n = 10^5. Not thread-safe:
 * igraph/plfit keep global state.
 */
popi_err_t popi_fit_powerlaw(const double *x, size_t n, bool discrete, int n_boot, popi_rng_t *rng,
                             popi_powerlaw_fit_t *out);

/** Robust summary of a sample. */
typedef struct {
    double median, mad;      /**< median and raw median absolute deviation */
    double mean, sd;
    double log_median, log_mad; /**< of y = log(1 + x) */
    double lo, hi;           /**< the flagging bounds on x (either rule), flags are x < lo or x > hi */
    size_t n_flagged;
} popi_robust_t;

/**
 * Median, MAD and outlier flags of x[0..n) (x >= 0). flags (may be NULL) receives 1 for flagged
 * values. When MAD(y) == 0 nothing is flagged under the robust rule (no spread to measure).
 * Errors: POPI_EINVAL for n == 0, a negative or NaN value, or a non-positive threshold.
 * Cost: one O(n) radix sort and O(n) otherwise (~10 ms for 10^5 values).
 */
popi_err_t popi_fit_robust(const double *x, size_t n, popi_outlier_rule_t rule, double threshold,
                           uint8_t *flags, popi_robust_t *out);

#ifdef __cplusplus
}
#endif
#endif
