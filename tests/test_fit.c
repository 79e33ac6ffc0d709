/* SPDX-License-Identifier: MIT */
/*
 * test_fit.c - power-law fits (Clauset, Shalizi & Newman 2009, DOI 10.1137/070710111), their
 * likelihood-ratio tests and the robust outlier flags. Statistical checks use 4 standard errors
 * and print the seed ($POPI_TEST_SEED overrides it); exact checks recompute the closed forms here,
 * independently of analysis/fit.c, with GSL and igraph.
 */
#include "popi/fit.h"
#include "testutil.h"

#include <check.h>
#include <float.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_zeta.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <igraph.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed(void) { return popi_test_seed(20240611); }

/* ---------------------------------------------------------------------------------------------
 * Samplers (exact) and reference log-likelihoods
 * ------------------------------------------------------------------------------------------- */

/* Continuous power law on [xmin, inf) by inversion. */
static double draw_cpl(popi_rng_t *r, double alpha, double xmin)
{
    return xmin * pow(1.0 - popi_rng_uniform(r), -1.0 / (alpha - 1.0));
}

/* Discrete power law P(k) = k^-alpha / zeta(alpha, xmin): the k with S(k+1) < v <= S(k), where
 * S(k) = zeta(alpha, k) / zeta(alpha, xmin), found by doubling and bisection (exact). */
static double draw_dpl(popi_rng_t *r, double alpha, double xmin)
{
    double z = gsl_sf_hzeta(alpha, xmin), v = 1.0 - popi_rng_uniform(r);
    double lo = xmin, hi = xmin + 1.0;
    while (gsl_sf_hzeta(alpha, hi) / z >= v) {
        lo = hi;
        hi = xmin + 2.0 * (hi - xmin);
    }
    while (hi - lo > 1.0) {
        double mid = floor(0.5 * (lo + hi));
        if (gsl_sf_hzeta(alpha, mid) / z >= v) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Continuous power law with exponential cut-off x^-alpha e^-lambda x on [xmin, inf), alpha > 1:
 * a power-law proposal accepted with probability e^{-lambda (x - xmin)}. */
static double draw_ctpl(popi_rng_t *r, double alpha, double lambda, double xmin)
{
    for (;;) {
        double x = draw_cpl(r, alpha, xmin);
        if (popi_rng_uniform(r) < exp(-lambda * (x - xmin))) return x;
    }
}

/* Tail x >= xmin of x[0..n), sorted, into a fresh array. */
static double *tail_of(const double *x, size_t n, double xmin, size_t *m)
{
    double *t = malloc(n * sizeof *t);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] >= xmin) t[k++] = x[i];
    gsl_sort(t, 1, k);
    *m = k;
    return t;
}

/* Per-point log-likelihoods (reference implementations). */
static double ll_pl(bool discrete, double x, double alpha, double xmin)
{
    if (discrete) return -alpha * log(x) - log(gsl_sf_hzeta(alpha, xmin));
    return log(alpha - 1.0) - log(xmin) - alpha * log(x / xmin);
}

static double ll_exp(bool discrete, double x, double lam, double xmin)
{
    if (discrete) return log(1.0 - exp(-lam)) - lam * (x - xmin);
    return log(lam) - lam * (x - xmin);
}

static double ll_ln(bool discrete, double x, double mu, double s, double xmin)
{
    if (!discrete) {
        double z = (log(x) - mu) / s;
        return -log(x) - log(s) - 0.5 * log(2.0 * M_PI) - 0.5 * z * z -
               log(gsl_cdf_ugaussian_Q((log(xmin) - mu) / s));
    }
    double a = (log(x - 0.5) - mu) / s, b = (log(x + 0.5) - mu) / s;
    double p = a > 0.0 ? gsl_cdf_ugaussian_Q(a) - gsl_cdf_ugaussian_Q(b)
                       : gsl_cdf_ugaussian_P(b) - gsl_cdf_ugaussian_P(a);
    return log(p) - log(gsl_cdf_ugaussian_Q((log(xmin - 0.5) - mu) / s));
}

/* Log-normaliser of the truncated power law on x >= xmin. Continuous: lambda^{alpha-1}
 * Gamma(1-alpha, lambda xmin); discrete: brute-force sum (lambda must make it converge fast). */
static double tpl_lognorm(bool discrete, double alpha, double lam, double xmin)
{
    if (!discrete) return (alpha - 1.0) * log(lam) + log(gsl_sf_gamma_inc(1.0 - alpha, lam * xmin));
    double s = 0.0;
    for (double k = xmin; k < xmin + 60.0 / lam + 1e4; k += 1.0) s += exp(-alpha * log(k) - lam * k);
    return log(s);
}

static double ll_tpl_total(bool discrete, const double *t, size_t m, double alpha, double lam, double xmin)
{
    double ln = tpl_lognorm(discrete, alpha, lam, xmin), L = 0.0;
    for (size_t i = 0; i < m; i++) L += -alpha * log(t[i]) - lam * t[i] - ln;
    return L;
}

static double ll_ln_total(bool discrete, const double *t, size_t m, double mu, double s, double xmin)
{
    double L = 0.0;
    for (size_t i = 0; i < m; i++) L += ll_ln(discrete, t[i], mu, s, xmin);
    return L;
}

/* Vuong statistic of per-point differences: R and erfc(|R| / (sd sqrt(2 m))). */
static void vuong_ref(const double *d, size_t m, double *R, double *p)
{
    double sum = 0.0;
    for (size_t i = 0; i < m; i++) sum += d[i];
    *R = sum;
    *p = erfc(fabs(sum) / (gsl_stats_sd(d, 1, m) * sqrt(2.0 * (double)m)));
}

static bool close_rel(double a, double b, double tol) { return fabs(a - b) <= tol * fmax(1.0, fabs(b)); }

/* ---------------------------------------------------------------------------------------------
 * Recovery of alpha and x_min (statistical, 4 standard errors)
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_discrete_xmin1)
{
    uint64_t sd = seed();
    popi_rng_t g, r;
    popi_rng_init(&g, sd, 1, 1);
    popi_rng_init(&r, sd, 1, 2);
    size_t n = 5000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = draw_dpl(&g, 2.5, 1.0);
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n, true, 0, &r, &f), POPI_OK);
    ck_assert(f.ok && f.discrete);
    ck_assert_uint_eq(f.n, n);
    ck_assert_msg(fabs(f.alpha - 2.5) < 4.0 * f.alpha_se, "seed %llu: alpha %g +- %g, want 2.5",
                  (unsigned long long)sd, f.alpha, f.alpha_se);
    ck_assert_msg(f.xmin >= 1.0 && f.xmin <= 3.0, "seed %llu: xmin %g, want 1 (small range 1..3)",
                  (unsigned long long)sd, f.xmin);
    ck_assert(fabs(f.alpha_se - (f.alpha - 1.0) / sqrt((double)f.n_tail)) < 1e-15);
    ck_assert(isnan(f.p_value) && f.n_boot == 0);
    /* a true power law beats the exponential (R is huge; the Vuong p need not be small, since the
     * per-point differences ~ lambda x have no finite variance for alpha < 3) */
    ck_assert_msg(f.vs_exponential.R > 0.0, "seed %llu: R_exp %g", (unsigned long long)sd, f.vs_exponential.R);
    free(x);
    popi_rng_destroy(&g);
    popi_rng_destroy(&r);
}
END_TEST

START_TEST(test_discrete_xmin5)
{
    /* 25% of the sample uniform on 1..4 below a power law from x_min = 5 */
    uint64_t sd = seed();
    popi_rng_t g, r;
    popi_rng_init(&g, sd, 2, 1);
    popi_rng_init(&r, sd, 2, 2);
    size_t n = 5000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = i % 4 == 0 ? (double)(1 + popi_rng_below(&g, 4)) : draw_dpl(&g, 2.5, 5.0);
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n, true, 0, &r, &f), POPI_OK);
    ck_assert(f.ok);
    ck_assert_msg(fabs(f.alpha - 2.5) < 4.0 * f.alpha_se, "seed %llu: alpha %g +- %g, want 2.5",
                  (unsigned long long)sd, f.alpha, f.alpha_se);
    /* never in the uniform body; above 5 the KS choice wanders (200 seeds: 5 in 72%, at most 11) */
    ck_assert_msg(f.xmin >= 5.0 && f.xmin <= 20.0, "seed %llu: xmin %g, want 5 (range 5..20)",
                  (unsigned long long)sd, f.xmin);
    free(x);
    popi_rng_destroy(&g);
    popi_rng_destroy(&r);
}
END_TEST

START_TEST(test_continuous_alpha22)
{
    uint64_t sd = seed();
    popi_rng_t g, r;
    popi_rng_init(&g, sd, 3, 1);
    popi_rng_init(&r, sd, 3, 2);
    size_t n = 5000;
    double *x = malloc((n + 100) * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = draw_cpl(&g, 2.2, 1.0);
    for (size_t i = n; i < n + 100; i++) x[i] = -(double)i; /* non-positive values are ignored */
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n + 100, false, 0, &r, &f), POPI_OK);
    ck_assert(f.ok && !f.discrete);
    ck_assert_uint_eq(f.n, n);
    ck_assert_msg(fabs(f.alpha - 2.2) < 4.0 * f.alpha_se, "seed %llu: alpha %g +- %g, want 2.2",
                  (unsigned long long)sd, f.alpha, f.alpha_se);
    /* x_min of a pure power law from 1: the KS choice wanders in the tail (400 seeds: median
     * n_tail/n 0.95, 1% quantile 0.14), so only ask for a tail of at least 5% */
    ck_assert_msg(f.xmin >= 1.0 && 20 * f.n_tail >= n, "seed %llu: xmin %g, n_tail %zu", (unsigned long long)sd,
                  f.xmin, f.n_tail);
    ck_assert_msg(f.vs_exponential.R > 0.0, "seed %llu: R_exp %g", (unsigned long long)sd, f.vs_exponential.R);
    free(x);
    popi_rng_destroy(&g);
    popi_rng_destroy(&r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Bootstrap p and the likelihood-ratio tests against real alternatives
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_bootstrap_true_powerlaw)
{
    /* under the null p is uniform (100 seeds, discrete: mean 0.52, 3% below 0.05), so each check
     * fails for ~1% of seeds; the default seed passes */
    uint64_t sd = seed();
    popi_rng_t g, r;
    popi_rng_init(&g, sd, 4, 1);
    popi_rng_init(&r, sd, 4, 2);
    size_t n = 2000;
    double *x = malloc(n * sizeof *x), *k = malloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        x[i] = draw_cpl(&g, 2.2, 1.0);
        k[i] = draw_dpl(&g, 2.5, 1.0);
    }
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n, false, 200, &r, &f), POPI_OK);
    ck_assert(f.ok && f.n_boot == 200);
    ck_assert_msg(f.p_value > 0.01, "seed %llu: continuous p %g", (unsigned long long)sd, f.p_value);
    ck_assert_int_eq(popi_fit_powerlaw(k, n, true, 100, &r, &f), POPI_OK);
    ck_assert(f.ok && f.n_boot == 100);
    ck_assert_msg(f.p_value > 0.01, "seed %llu: discrete p %g", (unsigned long long)sd, f.p_value);
    free(x);
    free(k);
    popi_rng_destroy(&g);
    popi_rng_destroy(&r);
}
END_TEST

/*
 * Power against non-power-law samples. CSN's x_min search may retreat into the far tail, where a
 * log-normal or an exponential looks locally like a power law and n_tail is too small to reject
 * it. Measured at n = 5000 over seeds 1..40 (30 for the cut-off): log-normal bootstrap p < 0.05
 * in 10/40 and together with a Vuong p < 0.05 in 4/40; exponential R < 0 in 31/40; cut-off
 * R < 0 in 30/30 and p_boot < 0.05 in 22/30. Our p matched igraph_plfit_result_calculate_p_value
 * on the same samples (0.61/0.65, 0.65/0.71, 0/0, 0/0, 0.65/0.64). So these are regression checks
 * at fixed seeds where the selected tail is long (not $POPI_TEST_SEED), not power claims.
 */
START_TEST(test_lognormal_rejected)
{
    const uint64_t sd = 4; /* fixed: see above (n_tail 846) */
    popi_rng_t g, r;
    popi_rng_init(&g, sd, 5, 1);
    popi_rng_init(&r, sd, 5, 2);
    size_t n = 5000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = exp(gsl_ran_ugaussian(g.g));
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n, false, 200, &r, &f), POPI_OK);
    ck_assert(f.ok);
    ck_assert_msg(f.p_value < 0.05, "seed %llu: p %g (n_tail %zu)", (unsigned long long)sd, f.p_value, f.n_tail);
    ck_assert_msg(f.vs_lognormal.R < 0.0 && f.vs_lognormal.p < 0.05, "seed %llu: R_ln %g p %g",
                  (unsigned long long)sd, f.vs_lognormal.R, f.vs_lognormal.p);
    free(x);
    popi_rng_destroy(&g);
    popi_rng_destroy(&r);
}
END_TEST

START_TEST(test_exponential_rejected)
{
    const uint64_t sd = 2; /* fixed: see above (n_tail 787) */
    popi_rng_t g, r;
    popi_rng_init(&g, sd, 6, 1);
    popi_rng_init(&r, sd, 6, 2);
    size_t n = 5000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = 1.0 + gsl_ran_exponential(g.g, 2.0);
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n, false, 0, &r, &f), POPI_OK);
    ck_assert(f.ok);
    ck_assert_msg(f.vs_exponential.R < 0.0 && f.vs_exponential.p < 0.05, "seed %llu: R_exp %g p %g (n_tail %zu)",
                  (unsigned long long)sd, f.vs_exponential.R, f.vs_exponential.p, f.n_tail);
    free(x);
    popi_rng_destroy(&g);
    popi_rng_destroy(&r);
}
END_TEST

START_TEST(test_cutoff_rejected)
{
    /* power law with cut-off, alpha 1.5 and lambda 0.01: the nested test prefers the cut-off */
    const uint64_t sd = 3; /* fixed: see above (n_tail 5000) */
    popi_rng_t g, r;
    popi_rng_init(&g, sd, 9, 1);
    popi_rng_init(&r, sd, 9, 2);
    size_t n = 5000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = draw_ctpl(&g, 1.5, 0.01, 1.0);
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n, false, 100, &r, &f), POPI_OK);
    ck_assert(f.ok);
    ck_assert_msg(f.p_value < 0.05, "seed %llu: p %g", (unsigned long long)sd, f.p_value);
    ck_assert_msg(f.vs_truncated.R < 0.0 && f.vs_truncated.p < 1e-6, "seed %llu: R_tpl %g p %g",
                  (unsigned long long)sd, f.vs_truncated.R, f.vs_truncated.p);
    ck_assert_msg(fabs(f.vs_truncated.par2 - 0.01) < 0.005 && fabs(f.vs_truncated.par1 - 1.5) < 0.1,
                  "seed %llu: alpha %g lambda %g", (unsigned long long)sd, f.vs_truncated.par1, f.vs_truncated.par2);
    free(x);
    popi_rng_destroy(&g);
    popi_rng_destroy(&r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Exact values
 * ------------------------------------------------------------------------------------------- */

/* A tiny continuous sample whose KS-optimal x_min is its minimum (checked against igraph). */
static const double tiny_c[12] = {1.0, 1.2, 1.5, 1.9, 2.4, 3.1, 4.0, 5.5, 7.3, 10.0, 14.0, 21.0};

START_TEST(test_exact_exponential_mle)
{
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(tiny_c, 12, false, 0, NULL, &f), POPI_OK);
    ck_assert(f.ok);
    ck_assert_double_eq(f.xmin, 1.0);
    ck_assert_uint_eq(f.n_tail, 12);
    /* sum = 72.9, mean = 6.075, lambda = 1 / (6.075 - 1) */
    ck_assert(fabs(f.vs_exponential.par1 - 1.0 / 5.075) < 1e-14);
    ck_assert(isnan(f.vs_exponential.par2));
    /* discrete, 1..7 twice: at x_min = 1 the mean excess is 3 and lambda = log(1 + 1/3) */
    double k[14] = {1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7};
    ck_assert_int_eq(popi_fit_powerlaw(k, 14, true, 0, NULL, &f), POPI_OK);
    ck_assert(f.ok);
    size_t m;
    double *t = tail_of(k, 14, f.xmin, &m);
    double mean_ex = 0.0;
    for (size_t i = 0; i < m; i++) mean_ex += (t[i] - f.xmin) / (double)m;
    ck_assert(fabs(f.vs_exponential.par1 - log(1.0 + 1.0 / mean_ex)) < 1e-13);
    if (f.xmin == 1.0) ck_assert(fabs(f.vs_exponential.par1 - log(4.0 / 3.0)) < 1e-14);
    free(t);
}
END_TEST

START_TEST(test_exact_loglik)
{
    /* continuous: L = m log((alpha - 1) / xmin) - alpha sum log(x / xmin) on the tail */
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(tiny_c, 12, false, 0, NULL, &f), POPI_OK);
    double L = 0.0;
    for (int i = 0; i < 12; i++) L += log(f.alpha - 1.0) - log(1.0) - f.alpha * log(tiny_c[i] / 1.0);
    ck_assert_msg(fabs(f.loglik - L) < 1e-10, "loglik %.15g, closed form %.15g", f.loglik, L);
    /* discrete: L = -alpha sum log x - m log zeta(alpha, xmin) */
    double k[14] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 6, 11};
    ck_assert_int_eq(popi_fit_powerlaw(k, 14, true, 0, NULL, &f), POPI_OK);
    ck_assert(f.ok);
    L = 0.0;
    size_t m = 0;
    for (int i = 0; i < 14; i++)
        if (k[i] >= f.xmin) L += -f.alpha * log(k[i]), m++;
    L -= (double)m * log(gsl_sf_hzeta(f.alpha, f.xmin));
    ck_assert_uint_eq(m, f.n_tail);
    ck_assert_msg(fabs(f.loglik - L) < 1e-9, "loglik %.15g, closed form %.15g", f.loglik, L);
}
END_TEST

/* x_min, alpha and D of the continuous scan equal igraph's own linear scan (< 50 unique values). */
START_TEST(test_matches_igraph)
{
    uint64_t sd = seed();
    popi_rng_t g;
    popi_rng_init(&g, sd, 7, 1);
    double x[40];
    for (int i = 0; i < 40; i++) x[i] = i % 3 == 0 ? popi_rng_range(&g, 0.2, 1.0) : draw_cpl(&g, 2.0, 1.0);
    igraph_vector_t v;
    igraph_plfit_result_t ref;
    igraph_vector_view(&v, x, 40);
    ck_assert_int_eq(igraph_power_law_fit(&v, &ref, -1.0, true), IGRAPH_SUCCESS);
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, 40, false, 0, NULL, &f), POPI_OK);
    ck_assert_msg(f.xmin == ref.xmin, "seed %llu: xmin %g, igraph %g", (unsigned long long)sd, f.xmin, ref.xmin);
    ck_assert(close_rel(f.alpha, ref.alpha, 1e-12));
    ck_assert(close_rel(f.ks_d, ref.D, 1e-12));
    ck_assert(close_rel(f.loglik, ref.L, 1e-10));
    /* the exact KS minimum by brute force on 800 values (no candidate thinning below 1024) */
    size_t n = 800;
    double *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) y[i] = exp(gsl_ran_ugaussian(g.g));
    ck_assert_int_eq(popi_fit_powerlaw(y, n, false, 0, NULL, &f), POPI_OK);
    gsl_sort(y, 1, n);
    double best = INFINITY, bx = NAN;
    for (size_t i = 0; i + 1 < n; i++) {
        if (i > 0 && y[i] == y[i - 1]) continue;
        double m = (double)(n - i), s = 0.0, D = 0.0;
        for (size_t j = i; j < n; j++) s += log(y[j] / y[i]);
        double a = 1.0 + m / s;
        for (size_t j = i; j < n; j++) D = fmax(D, fabs(1.0 - pow(y[i] / y[j], a - 1.0) - (double)(j - i) / m));
        if (D < best) best = D, bx = y[i];
    }
    ck_assert_msg(f.xmin == bx && close_rel(f.ks_d, best, 1e-12), "seed %llu: xmin %g D %.15g, brute force %g %.15g",
                  (unsigned long long)sd, f.xmin, f.ks_d, bx, best);
    free(y);
    popi_rng_destroy(&g);
}
END_TEST

/*
 * The discrete x_min search (plfit on a suffix proven to hold its choice) gives exactly igraph's
 * fit of the whole sample: same x_min, alpha and D, bit for bit, on 300 random samples of varied
 * shape (power laws, Poisson humps like B1's contact counts, negative binomial, rounded log-normal
 * and exponential, mixtures), most with more than the 64 unique values that enable the search.
 */
static double draw_shape(popi_rng_t *r, int shape, double p1, double p2)
{
    switch (shape) {
    case 0: return floor((p2 - 0.5) * pow(1.0 - popi_rng_uniform(r), -1.0 / (p1 - 1.0)) + 0.5);
    case 1: return (double)gsl_ran_poisson(r->g, p1);
    case 2: return (double)gsl_ran_negative_binomial(r->g, p2, p1);
    case 3: return floor(exp(gsl_ran_gaussian(r->g, p2) + p1));
    case 4: return popi_rng_uniform(r) < 0.7 ? (double)gsl_ran_poisson(r->g, p1) : draw_shape(r, 0, 2.0 + p2, p1);
    case 5: return floor(gsl_ran_exponential(r->g, p1)) + 1.0;
    default: return 1.0 + floor(p1 * popi_rng_uniform(r)) + (popi_rng_uniform(r) < 0.1 ? draw_shape(r, 0, 2.5, p1) : 0.0);
    }
}

START_TEST(test_discrete_xmin_search)
{
    uint64_t sd = seed();
    int searched = 0;
    for (uint64_t k = 0; k < 300; k++) {
        popi_rng_t g;
        popi_rng_init(&g, sd, k, 3);
        int shape = (int)popi_rng_below(&g, 7);
        size_t n = 100 + popi_rng_below(&g, 900);
        double u = popi_rng_uniform(&g), p1, p2 = 0.0;
        switch (shape) {
        case 0: p1 = 1.5 + 3.0 * u, p2 = 1.0 + (double)popi_rng_below(&g, 30); break;
        case 1: p1 = 5.0 * pow(2000.0, u); break;
        case 2: p1 = 0.5 + 5.0 * u, p2 = 0.01 + 0.3 * popi_rng_uniform(&g); break;
        case 3: p1 = 1.0 + 5.0 * u, p2 = 0.2 + popi_rng_uniform(&g); break;
        case 4: p1 = 5.0 + 200.0 * u, p2 = popi_rng_uniform(&g); break;
        case 5: p1 = 3.0 + 300.0 * u; break;
        default: p1 = 20.0 + floor(500.0 * u); break;
        }
        double *x = malloc(n * sizeof *x);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double v = draw_shape(&g, shape, p1, p2);
            if (v > 0.0 && v < 1e12) x[m++] = v;
        }
        popi_rng_destroy(&g);
        gsl_sort(x, 1, m);
        size_t nu = 0;
        for (size_t i = 0; i < m; i++) nu += i == 0 || x[i] != x[i - 1];
        searched += nu >= 64;
        igraph_vector_t v;
        igraph_plfit_result_t ref;
        igraph_vector_view(&v, x, (igraph_integer_t)m);
        igraph_error_handler_t *old = igraph_set_error_handler(igraph_error_handler_ignore);
        igraph_error_t irc = igraph_power_law_fit(&v, &ref, -1.0, false);
        igraph_set_error_handler(old);
        popi_powerlaw_fit_t f;
        popi_err_t rc = popi_fit_powerlaw(x, m, true, 0, NULL, &f);
        ck_assert_msg((irc == IGRAPH_SUCCESS) == (rc == POPI_OK), "seed %llu sample %llu: igraph %d, popi %d",
                      (unsigned long long)sd, (unsigned long long)k, (int)irc, (int)rc);
        if (rc == POPI_OK && f.ok)
            ck_assert_msg(f.xmin == ref.xmin && f.alpha == ref.alpha && f.ks_d == ref.D,
                          "seed %llu sample %llu (shape %d, %zu values, %zu unique): x_min %.17g alpha %.17g "
                          "D %.17g, igraph %.17g %.17g %.17g",
                          (unsigned long long)sd, (unsigned long long)k, shape, m, nu, f.xmin, f.alpha, f.ks_d,
                          ref.xmin, ref.alpha, ref.D);
        free(x);
    }
    ck_assert_msg(searched >= 120, "seed %llu: only %d samples with >= 64 unique values", (unsigned long long)sd,
                  searched);
}
END_TEST

/* The reported R, p and parameters are what the closed forms give, and the MLEs are maxima. */
static void check_lr(const double *x, size_t n, bool discrete, uint64_t sd)
{
    popi_powerlaw_fit_t f;
    ck_assert_int_eq(popi_fit_powerlaw(x, n, discrete, 0, NULL, &f), POPI_OK);
    ck_assert(f.ok);
    size_t m;
    double *t = tail_of(x, n, f.xmin, &m), *d = malloc(m * sizeof *d), R, p;
    ck_assert_uint_eq(m, f.n_tail);
    double Lpl = 0.0;
    for (size_t i = 0; i < m; i++) Lpl += ll_pl(discrete, t[i], f.alpha, f.xmin);
    ck_assert(close_rel(f.loglik, Lpl, 1e-9));

    for (size_t i = 0; i < m; i++)
        d[i] = ll_pl(discrete, t[i], f.alpha, f.xmin) - ll_exp(discrete, t[i], f.vs_exponential.par1, f.xmin);
    vuong_ref(d, m, &R, &p);
    ck_assert_msg(close_rel(f.vs_exponential.R, R, 1e-8) && close_rel(f.vs_exponential.p, p, 1e-8),
                  "seed %llu: exp R %g/%g p %g/%g", (unsigned long long)sd, f.vs_exponential.R, R, f.vs_exponential.p, p);

    double mu = f.vs_lognormal.par1, s = f.vs_lognormal.par2;
    for (size_t i = 0; i < m; i++) d[i] = ll_pl(discrete, t[i], f.alpha, f.xmin) - ll_ln(discrete, t[i], mu, s, f.xmin);
    vuong_ref(d, m, &R, &p);
    ck_assert_msg(close_rel(f.vs_lognormal.R, R, 1e-7) && fabs(f.vs_lognormal.p - p) < 1e-6,
                  "seed %llu: ln R %g/%g p %g/%g", (unsigned long long)sd, f.vs_lognormal.R, R, f.vs_lognormal.p, p);
    double L0 = ll_ln_total(discrete, t, m, mu, s, f.xmin);
    for (int k = 0; k < 4; k++) {
        double dm = (k == 0 ? 1 : k == 1 ? -1 : 0) * 1e-3, ds = (k == 2 ? 1 : k == 3 ? -1 : 0) * 1e-3;
        ck_assert_msg(ll_ln_total(discrete, t, m, mu + dm, s * exp(ds), f.xmin) <= L0 + 1e-6,
                      "seed %llu: log-normal (%g, %g) is not a maximum", (unsigned long long)sd, mu, s);
    }

    double a = f.vs_truncated.par1, lam = f.vs_truncated.par2;
    ck_assert_msg(lam > 0.0, "seed %llu: this sample needs a cut-off, lambda %g", (unsigned long long)sd, lam);
    double Lt = ll_tpl_total(discrete, t, m, a, lam, f.xmin);
    ck_assert_msg(close_rel(f.vs_truncated.R, Lpl - Lt, 1e-7), "seed %llu: tpl R %g vs %g", (unsigned long long)sd,
                  f.vs_truncated.R, Lpl - Lt);
    ck_assert(fabs(f.vs_truncated.p - gsl_cdf_chisq_Q(2.0 * fabs(f.vs_truncated.R), 1.0)) < 1e-12);
    for (int k = 0; k < 4; k++) {
        double da = (k == 0 ? 1 : k == 1 ? -1 : 0) * 1e-3, dl = (k == 2 ? 1 : k == 3 ? -1 : 0) * 1e-3;
        ck_assert_msg(ll_tpl_total(discrete, t, m, a + da, lam * exp(dl), f.xmin) <= Lt + 1e-6,
                      "seed %llu: truncated (%g, %g) is not a maximum", (unsigned long long)sd, a, lam);
    }
    free(t);
    free(d);
}

START_TEST(test_lr_closed_forms)
{
    uint64_t sd = seed();
    popi_rng_t g;
    popi_rng_init(&g, sd, 8, 1);
    size_t n = 3000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = draw_ctpl(&g, 1.5, 0.02, 1.0);
    check_lr(x, n, false, sd);
    /* discrete power law with cut-off: thin a discrete power law by e^{-lambda (k - 1)} */
    for (size_t i = 0; i < n;) {
        double k = draw_dpl(&g, 1.7, 1.0);
        if (popi_rng_uniform(&g) < exp(-0.05 * (k - 1.0))) x[i++] = k;
    }
    check_lr(x, n, true, sd);
    free(x);
    popi_rng_destroy(&g);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Determinism, degenerate data, errors
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_same_seed_same_result)
{
    popi_rng_t g;
    popi_rng_init(&g, 99, 0, 1);
    size_t n = 3000;
    double *x = malloc(n * sizeof *x), *k = malloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        x[i] = exp(1.5 * gsl_ran_ugaussian(g.g));
        k[i] = floor(x[i]) + 1.0;
    }
    for (int disc = 0; disc < 2; disc++) {
        popi_powerlaw_fit_t a, b;
        popi_rng_t r1, r2;
        popi_rng_init(&r1, 5, 0, POPI_STREAM_ANALYSIS);
        popi_rng_init(&r2, 5, 0, POPI_STREAM_ANALYSIS);
        ck_assert_int_eq(popi_fit_powerlaw(disc ? k : x, n, disc, 50, &r1, &a), POPI_OK);
        ck_assert_int_eq(popi_fit_powerlaw(disc ? k : x, n, disc, 50, &r2, &b), POPI_OK);
        ck_assert(a.ok && a.n_boot == 50);
        ck_assert(memcmp(&a, &b, sizeof a) == 0);
        /* the stream advanced identically too */
        ck_assert(popi_rng_uniform(&r1) == popi_rng_uniform(&r2));
        popi_rng_destroy(&r1);
        popi_rng_destroy(&r2);
    }
    free(x);
    free(k);
    popi_rng_destroy(&g);
}
END_TEST

START_TEST(test_too_little_data)
{
    popi_powerlaw_fit_t f;
    double x[20] = {0, 0, 0, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    ck_assert_int_eq(popi_fit_powerlaw(x, 13, true, 0, NULL, &f), POPI_OK); /* 9 positive values: no fit */
    ck_assert(!f.ok);
    ck_assert_uint_eq(f.n, 9);
    ck_assert(isnan(f.alpha) && isnan(f.p_value) && isnan(f.vs_lognormal.R));
    for (int i = 0; i < 20; i++) x[i] = 3.0;
    ck_assert_int_eq(popi_fit_powerlaw(x, 20, false, 0, NULL, &f), POPI_OK);
    ck_assert(!f.ok);
    ck_assert_uint_eq(f.n, 20);
    ck_assert_int_eq(popi_fit_powerlaw(NULL, 0, false, 0, NULL, &f), POPI_OK);
    ck_assert(!f.ok && f.n == 0);
}
END_TEST

START_TEST(test_powerlaw_errors)
{
    popi_powerlaw_fit_t f;
    popi_rng_t r;
    popi_rng_init(&r, 1, 0, POPI_STREAM_ANALYSIS);
    double x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    x[3] = NAN;
    ck_assert_int_eq(popi_fit_powerlaw(x, 12, false, 0, NULL, &f), POPI_EINVAL);
    ck_assert(strstr(popi_err_message(), "x[3]") != NULL);
    x[3] = INFINITY;
    ck_assert_int_eq(popi_fit_powerlaw(x, 12, false, 0, NULL, &f), POPI_EINVAL);
    x[3] = 4.5;
    ck_assert_int_eq(popi_fit_powerlaw(x, 12, true, 0, NULL, &f), POPI_EINVAL);
    ck_assert(strstr(popi_err_message(), "4.5") != NULL);
    ck_assert_int_eq(popi_fit_powerlaw(x, 12, false, 0, NULL, &f), POPI_OK); /* fine when continuous */
    ck_assert_int_eq(popi_fit_powerlaw(x, 12, false, -1, &r, &f), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_powerlaw(x, 12, false, 10, NULL, &f), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_powerlaw(NULL, 12, false, 0, NULL, &f), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_powerlaw(x, 12, false, 0, NULL, NULL), POPI_EINVAL);
    popi_rng_destroy(&r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Robust statistics
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_robust_exact)
{
    double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1000};
    uint8_t fl[10];
    popi_robust_t r;
    ck_assert_int_eq(popi_fit_robust(x, 10, POPI_OUTLIER_ROBUST_Z, 3.5, fl, &r), POPI_OK);
    ck_assert_double_eq(r.median, 5.5);
    ck_assert_double_eq(r.mad, 2.5); /* |x - 5.5| sorted: .5 .5 1.5 1.5 2.5 | 2.5 3.5 3.5 4.5 994.5 */
    ck_assert_double_eq(r.mean, 104.5);
    double ss = 0.0;
    for (int i = 0; i < 10; i++) ss += (x[i] - 104.5) * (x[i] - 104.5);
    ck_assert(fabs(r.sd - sqrt(ss / 9.0)) < 1e-12);
    /* y = log(1 + x): median (log 6 + log 7) / 2 = log(42) / 2; |y - med| = |log(k^2 / 42)| / 2 for
     * k = 2..10, 1001, sorted: k = 6, 7, 8, 5, 9, 10, 4, 3, 2, 1001; MAD = mean of the 5th and 6th */
    double med = 0.5 * log(42.0), mad = 0.5 * (0.5 * log(81.0 / 42.0) + 0.5 * log(100.0 / 42.0));
    ck_assert(fabs(r.log_median - med) < 1e-14);
    ck_assert(fabs(r.log_mad - mad) < 1e-14);
    ck_assert(fabs(r.hi - expm1(med + 3.5 * 1.4826 * mad)) < 1e-9);
    ck_assert(fabs(r.lo - expm1(med - 3.5 * 1.4826 * mad)) < 1e-12);
    ck_assert_uint_eq(r.n_flagged, 1);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(fl[i], i == 9);

    ck_assert_int_eq(popi_fit_robust(x, 10, POPI_OUTLIER_SIGMA, 2.0, fl, &r), POPI_OK);
    ck_assert(fabs(r.hi - (104.5 + 2.0 * sqrt(ss / 9.0))) < 1e-9);
    ck_assert(fabs(r.lo - (104.5 - 2.0 * sqrt(ss / 9.0))) < 1e-9);
    ck_assert_uint_eq(r.n_flagged, 1);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(fl[i], i == 9);
    /* a high threshold flags nothing; flags may be NULL */
    ck_assert_int_eq(popi_fit_robust(x, 10, POPI_OUTLIER_SIGMA, 3.0, NULL, &r), POPI_OK);
    ck_assert_uint_eq(r.n_flagged, 0);
}
END_TEST

/* Median, MAD and flags equal the sort-everything definitions, on random samples with ties, both
 * parities of n and both rules (the fit sorts once and merges the deviations instead). */
static double median_sorted(double *v, size_t n)
{
    gsl_sort(v, 1, n);
    return gsl_stats_median_from_sorted_data(v, 1, n);
}

START_TEST(test_robust_matches_sorting)
{
    uint64_t sd = seed();
    for (uint64_t k = 0; k < 200; k++) {
        popi_rng_t g;
        popi_rng_init(&g, sd, k, 4);
        size_t n = 1 + popi_rng_below(&g, k < 100 ? 70 : 3000);
        double *x = malloc(n * sizeof *x), *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
        uint8_t *fl = malloc(n);
        for (size_t i = 0; i < n; i++)
            x[i] = k % 3 == 0 ? (double)popi_rng_below(&g, 20) : k % 3 == 1 ? floor(exp(3.0 * popi_rng_uniform(&g)) * 10.0) / 10.0
                                                             : draw_cpl(&g, 2.0, 0.5) - 0.5;
        popi_rng_destroy(&g);
        for (int rule = 0; rule < 2; rule++) {
            double thr = rule == 0 ? 1.0 + (double)(k % 3) : 1.5;
            popi_robust_t r;
            ck_assert_int_eq(popi_fit_robust(x, n, (popi_outlier_rule_t)rule, thr, fl, &r), POPI_OK);
            memcpy(v, x, n * sizeof *v);
            double med = median_sorted(v, n);
            for (size_t i = 0; i < n; i++) w[i] = fabs(v[i] - med);
            double mad = median_sorted(w, n);
            for (size_t i = 0; i < n; i++) v[i] = log1p(x[i]);
            double lmed = median_sorted(v, n);
            for (size_t i = 0; i < n; i++) w[i] = fabs(v[i] - lmed);
            double lmad = median_sorted(w, n), s = rule == 0 ? 1.4826 * lmad : r.sd, c = rule == 0 ? lmed : r.mean;
            ck_assert_msg(r.median == med && r.mad == mad && r.log_median == lmed && r.log_mad == lmad,
                          "seed %llu sample %llu (n %zu): median %.17g/%.17g mad %.17g/%.17g log %.17g/%.17g %.17g/%.17g",
                          (unsigned long long)sd, (unsigned long long)k, n, r.median, med, r.mad, mad, r.log_median,
                          lmed, r.log_mad, lmad);
            size_t nf = 0;
            for (size_t i = 0; i < n; i++) {
                bool f = rule == 0 ? s > 0.0 && fabs(log1p(x[i]) - c) / s > thr : fabs(x[i] - c) > thr * s;
                nf += f;
                ck_assert_msg(fl[i] == f, "seed %llu sample %llu rule %d: flag of x[%zu] = %g", (unsigned long long)sd,
                              (unsigned long long)k, rule, i, x[i]);
            }
            ck_assert_uint_eq(r.n_flagged, nf);
        }
        free(x);
        free(v);
        free(w);
        free(fl);
    }
}
END_TEST

START_TEST(test_robust_mad_zero)
{
    double x[5] = {3, 3, 3, 3, 100};
    uint8_t fl[5] = {9, 9, 9, 9, 9};
    popi_robust_t r;
    ck_assert_int_eq(popi_fit_robust(x, 5, POPI_OUTLIER_ROBUST_Z, 3.5, fl, &r), POPI_OK);
    ck_assert_double_eq(r.median, 3.0);
    ck_assert_double_eq(r.mad, 0.0);
    ck_assert_double_eq(r.log_mad, 0.0);
    ck_assert_uint_eq(r.n_flagged, 0); /* no spread to measure: nothing flagged */
    for (int i = 0; i < 5; i++) ck_assert_int_eq(fl[i], 0);
    /* the sigma rule still sees the outlier: mean 22.4, sd sqrt(7527.2 / 4) = 43.38 */
    ck_assert_int_eq(popi_fit_robust(x, 5, POPI_OUTLIER_SIGMA, 1.5, fl, &r), POPI_OK);
    ck_assert(fabs(r.sd - sqrt(4.0 * 19.4 * 19.4 + 77.6 * 77.6) / 2.0) < 1e-12);
    ck_assert_uint_eq(r.n_flagged, 1);
    ck_assert_int_eq(fl[4], 1);
    /* one value: sd 0, nothing flagged */
    ck_assert_int_eq(popi_fit_robust(x, 1, POPI_OUTLIER_SIGMA, 1.0, fl, &r), POPI_OK);
    ck_assert_double_eq(r.sd, 0.0);
    ck_assert_uint_eq(r.n_flagged, 0);
}
END_TEST

START_TEST(test_robust_errors)
{
    double x[3] = {1, 2, 3};
    popi_robust_t r;
    ck_assert_int_eq(popi_fit_robust(x, 0, POPI_OUTLIER_ROBUST_Z, 3.5, NULL, &r), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_robust(x, 3, POPI_OUTLIER_ROBUST_Z, 0.0, NULL, &r), POPI_EINVAL);
    ck_assert(strstr(popi_err_message(), "threshold") != NULL);
    ck_assert_int_eq(popi_fit_robust(x, 3, POPI_OUTLIER_SIGMA, -1.0, NULL, &r), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_robust(x, 3, POPI_OUTLIER_SIGMA, NAN, NULL, &r), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_robust(x, 3, (popi_outlier_rule_t)7, 3.0, NULL, &r), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_robust(NULL, 3, POPI_OUTLIER_SIGMA, 3.0, NULL, &r), POPI_EINVAL);
    ck_assert_int_eq(popi_fit_robust(x, 3, POPI_OUTLIER_SIGMA, 3.0, NULL, NULL), POPI_EINVAL);
    x[1] = -2.0;
    ck_assert_int_eq(popi_fit_robust(x, 3, POPI_OUTLIER_ROBUST_Z, 3.5, NULL, &r), POPI_EINVAL);
    ck_assert(strstr(popi_err_message(), "x[1]") != NULL);
    x[1] = NAN;
    ck_assert_int_eq(popi_fit_robust(x, 3, POPI_OUTLIER_ROBUST_Z, 3.5, NULL, &r), POPI_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit");
    TCase *pl = tcase_create("powerlaw");
    tcase_set_timeout(pl, 120);
    tcase_add_test(pl, test_discrete_xmin1);
    tcase_add_test(pl, test_discrete_xmin5);
    tcase_add_test(pl, test_continuous_alpha22);
    tcase_add_test(pl, test_bootstrap_true_powerlaw);
    tcase_add_test(pl, test_lognormal_rejected);
    tcase_add_test(pl, test_exponential_rejected);
    tcase_add_test(pl, test_cutoff_rejected);
    tcase_add_test(pl, test_exact_exponential_mle);
    tcase_add_test(pl, test_exact_loglik);
    tcase_add_test(pl, test_matches_igraph);
    tcase_add_test(pl, test_discrete_xmin_search);
    tcase_add_test(pl, test_lr_closed_forms);
    tcase_add_test(pl, test_same_seed_same_result);
    tcase_add_test(pl, test_too_little_data);
    tcase_add_test(pl, test_powerlaw_errors);
    suite_add_tcase(s, pl);
    TCase *rb = tcase_create("robust");
    tcase_add_test(rb, test_robust_exact);
    tcase_add_test(rb, test_robust_matches_sorting);
    tcase_add_test(rb, test_robust_mad_zero);
    tcase_add_test(rb, test_robust_errors);
    suite_add_tcase(s, rb);
    return popi_test_run(s);
}
