/* SPDX-License-Identifier: MIT */
/*
 * test_net.c - the P2P network: each topology's defining property and a valid CSR, determinism,
 * region shares, exact send timing (serialised uploads, min bandwidth, ceil to µs), the latency
 * models' means, random loss, churn (long-run online share, order independence, next_churn),
 * partitions, and every error path of popi_net_create. Flood delays: exact hop sums with known
 * weights (BFS hop counts, Bellman-Ford), the hop law (mean within 4 standard errors, Pareto
 * floors) on a path, the shortest-path metric, determinism over seeds, realisations and threads,
 * unreachable nodes, and popi_net_flood_create's error paths.
 */
#include "popi/net.h"
#include "testutil.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check writes a record on every ck_assert; loops over millions of items test with a plain if. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) ck_abort_msg(__VA_ARGS__);                                                    \
    } while (0)

static popi_net_t *mk(const popi_net_config_t *c, uint64_t seed, uint64_t run)
{
    popi_net_t *net = NULL;
    popi_err_t rc = popi_net_create(c, seed, run, &net);
    ck_assert_msg(rc == POPI_OK, "popi_net_create: %s", popi_err_message());
    ck_assert_ptr_nonnull(net);
    return net;
}

static int has_neighbour(const popi_net_t *net, uint32_t v, uint32_t w)
{
    uint32_t n;
    const uint32_t *nb = popi_net_neighbours(net, v, &n);
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (nb[mid] < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && nb[lo] == w;
}

/* Sorted strictly ascending (no multi-edges), no self loops, in range, symmetric, degrees summing
 * to twice the edge count. */
static void check_csr(const popi_net_t *net)
{
    uint32_t n = popi_net_n_nodes(net);
    uint64_t sum = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t d;
        const uint32_t *nb = popi_net_neighbours(net, v, &d);
        CHECK(d == popi_net_degree(net, v), "degree of %u", v);
        sum += d;
        for (uint32_t k = 0; k < d; k++) {
            CHECK(nb[k] < n, "neighbour %u of %u out of range", nb[k], v);
            CHECK(nb[k] != v, "self loop at %u", v);
            if (k) CHECK(nb[k - 1] < nb[k], "list of %u not strictly ascending", v);
            CHECK(has_neighbour(net, nb[k], v), "edge %u-%u not symmetric", v, nb[k]);
        }
    }
    ck_assert_uint_eq(sum, 2 * popi_net_n_edges(net));
}

static int same_graph(const popi_net_t *a, const popi_net_t *b)
{
    if (popi_net_n_nodes(a) != popi_net_n_nodes(b) || popi_net_n_edges(a) != popi_net_n_edges(b))
        return 0;
    for (uint32_t v = 0; v < popi_net_n_nodes(a); v++) {
        uint32_t da, db;
        const uint32_t *na = popi_net_neighbours(a, v, &da), *nb = popi_net_neighbours(b, v, &db);
        if (da != db || (da && memcmp(na, nb, da * sizeof *na) != 0)) return 0;
    }
    return 1;
}

/* A small config: lossless, one region, constant latency, given topology. */
static void base_config(popi_net_config_t *c, uint32_t n)
{
    popi_net_config_default(c);
    c->n_nodes = n;
    c->n_regions = 1;
    c->region_share[0] = 1.0;
    c->upload_bps[0] = 8e6;
    c->download_bps[0] = 8e6;
    c->latency = POPI_NET_LAT_CONSTANT;
    c->constant_ms = 0.0;
}

/* ---------------------------------------------------------------------------------------------- */

START_TEST(test_names)
{
    for (int t = 0; t < POPI_NET_TOPO__COUNT; t++) {
        popi_net_topology_t u;
        ck_assert_int_eq(
            popi_net_topology_parse(popi_net_topology_name((popi_net_topology_t)t), &u), POPI_OK);
        ck_assert_int_eq(u, t);
    }
    for (int m = 0; m < POPI_NET_LAT__COUNT; m++) {
        popi_net_latency_t u;
        ck_assert_int_eq(popi_net_latency_parse(popi_net_latency_name((popi_net_latency_t)m), &u),
                         POPI_OK);
        ck_assert_int_eq(u, m);
    }
    ck_assert_str_eq(popi_net_topology_name(POPI_NET_TOPO_WS), "watts_strogatz");
    ck_assert_str_eq(popi_net_latency_name(POPI_NET_LAT_LOGNORMAL), "lognormal");
    popi_net_topology_t t;
    popi_net_latency_t m;
    ck_assert_int_eq(popi_net_topology_parse("ring", &t), POPI_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "ring"));
    ck_assert_int_eq(popi_net_latency_parse("pareto", &m), POPI_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "pareto"));
    ck_assert_int_eq(popi_net_topology_parse(NULL, &t), POPI_ENOTFOUND);
}
END_TEST

START_TEST(test_defaults)
{
    popi_net_config_t c;
    popi_net_config_default(&c);
    ck_assert_uint_eq(c.n_nodes, 1000);
    ck_assert_int_eq(c.topology, POPI_NET_TOPO_BITCOIN);
    ck_assert_int_eq(c.latency, POPI_NET_LAT_REGIONS);
    ck_assert_uint_eq(c.n_regions, 6);
    ck_assert_uint_eq(c.n_outdeg, 20);
    ck_assert(c.outdeg_cdf[19] == 1.0 && c.outdeg_cdf[0] == 0.025);
    ck_assert(c.latency_ms[0] == 32 && c.latency_ms[1 * 6 + 4] == 252 && c.latency_ms[35] == 16);
    ck_assert(c.download_bps[0] == 52e6 && c.upload_bps[2] == 5.8e6);
    double s = 0;
    for (int r = 0; r < 6; r++)
        s += c.region_share[r];
    ck_assert(fabs(s - 1.0) < 1e-9);
    ck_assert(c.loss == 0 && c.churn_online_mean_s == 0 && c.n_partitions == 0);
    ck_assert(c.lognormal_mean_ms == 100 && c.lognormal_sigma == 0.5 && c.constant_ms == 0);
    ck_assert(c.er_mean_degree == 8 && c.ba_m == 4 && c.ws_k == 4 && c.ws_p == 0.1);
    ck_assert(c.proximity_range_m == 50 && c.xy == NULL);
    popi_net_t *net = mk(&c, 1, 0);
    check_csr(net);
    ck_assert_uint_eq(popi_net_n_nodes(net), 1000);
    for (uint32_t v = 0; v < 1000; v++) {
        ck_assert(popi_net_online(net, v, 123456789));
        ck_assert(popi_net_next_churn(net, v, 0) == POPI_TIME_NEVER);
    }
    popi_net_free(net);
    popi_net_free(NULL);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* topologies                                                                                     */

START_TEST(test_bitcoin_degrees)
{
    uint64_t seed = popi_test_seed(11);
    popi_net_config_t c;
    popi_net_config_default(&c);
    const uint32_t n = 20000;
    c.n_nodes = n;
    popi_net_t *net = mk(&c, seed, 0);
    check_csr(net);
    for (uint32_t v = 0; v < n; v++)
        CHECK(popi_net_degree(net, v) >= 1, "seed %llu: node %u isolated", (unsigned long long)seed,
              v);
    /* edges = sum of out-degrees - mutual choices; E[mutual] ~ (E d)^2 n / (2 (n - 1)) */
    double ed = 0, ed2 = 0;
    for (uint32_t k = 0; k < c.n_outdeg; k++) {
        double p = c.outdeg_cdf[k] - (k ? c.outdeg_cdf[k - 1] : 0.0);
        ed += p * (k + 1);
        ed2 += p * (k + 1) * (k + 1);
    }
    double var = ed2 - ed * ed;
    double expect = n * ed - ed * ed * n / (2.0 * (n - 1));
    double se = sqrt(n * var);
    double got = (double)popi_net_n_edges(net);
    ck_assert_msg(fabs(got - expect) <= 4 * se, "seed %llu: %g edges, expected %g +- %g",
                  (unsigned long long)seed, got, expect, se);
    popi_net_free(net);

    /* a point mass at out-degree 3: every node has degree >= 3, edges in (3n - mutual, 3n] */
    c.n_nodes = 1000;
    c.n_outdeg = 3;
    c.outdeg_cdf[0] = 0;
    c.outdeg_cdf[1] = 0;
    c.outdeg_cdf[2] = 1;
    net = mk(&c, seed, 0);
    check_csr(net);
    for (uint32_t v = 0; v < 1000; v++)
        CHECK(popi_net_degree(net, v) >= 3, "node %u", v);
    ck_assert_uint_le(popi_net_n_edges(net), 3000);
    ck_assert_uint_ge(popi_net_n_edges(net), 2950); /* ~4.5 mutual pairs expected */
    popi_net_free(net);

    /* out-degree capped at n - 1: three nodes wanting 5 peers make a triangle */
    c.n_nodes = 3;
    c.n_outdeg = 5;
    for (int k = 0; k < 5; k++)
        c.outdeg_cdf[k] = k == 4 ? 1.0 : 0.0;
    net = mk(&c, seed, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 3);
    for (uint32_t v = 0; v < 3; v++)
        ck_assert_uint_eq(popi_net_degree(net, v), 2);
    popi_net_free(net);

    /* one node: no edges */
    c.n_nodes = 1;
    net = mk(&c, seed, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 0);
    ck_assert_uint_eq(popi_net_degree(net, 0), 0);
    popi_net_free(net);
}
END_TEST

START_TEST(test_bitcoin_large_is_small)
{
    popi_net_config_t c;
    popi_net_config_default(&c);
    c.n_nodes = 100000;
    popi_net_t *net = mk(&c, 3, 0);
    for (uint32_t v = 0; v < c.n_nodes; v++)
        CHECK(popi_net_degree(net, v) >= 1, "node %u isolated", v);
    /* CSR of uint32 plus a few bytes per node: well under 16 MB */
    size_t bytes = popi_net_bytes(net);
    size_t csr = (c.n_nodes + 1) * sizeof(uint64_t) + 2 * popi_net_n_edges(net) * sizeof(uint32_t);
    ck_assert_uint_ge(bytes, csr);
    ck_assert_msg(bytes < 16u << 20, "%zu bytes", bytes);
    popi_net_free(net);
}
END_TEST

START_TEST(test_erdos_renyi)
{
    uint64_t seed = popi_test_seed(12);
    popi_net_config_t c;
    base_config(&c, 2000);
    c.topology = POPI_NET_TOPO_ER;
    c.er_mean_degree = 8;
    double tot = 0, tot_var = 0;
    for (int rep = 0; rep < 5; rep++) {
        popi_net_t *net = mk(&c, seed, (uint64_t)rep);
        check_csr(net);
        double pairs = 2000.0 * 1999.0 / 2.0, p = 8.0 / 1999.0;
        tot += (double)popi_net_n_edges(net);
        tot_var += pairs * p * (1 - p);
        popi_net_free(net);
    }
    double expect = 5 * 8000.0;
    ck_assert_msg(fabs(tot - expect) <= 4 * sqrt(tot_var), "seed %llu: %g edges, expected %g +- %g",
                  (unsigned long long)seed, tot, expect, sqrt(tot_var));
    /* p = 1: the complete graph; p = 0: no edges */
    c.n_nodes = 30;
    c.er_mean_degree = 29;
    popi_net_t *net = mk(&c, seed, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 30 * 29 / 2);
    check_csr(net);
    popi_net_free(net);
    c.er_mean_degree = 0;
    net = mk(&c, seed, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 0);
    popi_net_free(net);
}
END_TEST

START_TEST(test_barabasi_albert)
{
    /* igraph's psumtree (no multi-edges): node 0 starts alone and node i links to min(i, m)
     * earlier nodes, so edges = sum_{i=1}^{n-1} min(i, m) */
    const uint32_t ns[] = {1, 2, 3, 5, 10, 1000};
    const uint32_t ms[] = {1, 2, 4, 7};
    popi_net_config_t c;
    base_config(&c, 10);
    c.topology = POPI_NET_TOPO_BA;
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        for (size_t j = 0; j < sizeof ms / sizeof *ms; j++) {
            c.n_nodes = ns[i];
            c.ba_m = ms[j];
            popi_net_t *net = mk(&c, 7, 0);
            uint64_t expect = 0;
            for (uint32_t v = 1; v < ns[i]; v++)
                expect += v < ms[j] ? v : ms[j];
            ck_assert_msg(popi_net_n_edges(net) == expect, "n %u m %u: %llu edges, expected %llu",
                          ns[i], ms[j], (unsigned long long)popi_net_n_edges(net),
                          (unsigned long long)expect);
            check_csr(net);
            /* every node after the first has degree >= min(v, m) */
            for (uint32_t v = 1; v < ns[i]; v++)
                ck_assert_uint_ge(popi_net_degree(net, v), v < ms[j] ? v : ms[j]);
            popi_net_free(net);
        }
    /* scale-free: the largest degree of 5000 nodes with m = 2 is far above the mean 4 */
    c.n_nodes = 5000;
    c.ba_m = 2;
    popi_net_t *net = mk(&c, 7, 0);
    uint32_t dmax = 0;
    for (uint32_t v = 0; v < 5000; v++)
        if (popi_net_degree(net, v) > dmax) dmax = popi_net_degree(net, v);
    ck_assert_uint_ge(dmax, 40);
    popi_net_free(net);
}
END_TEST

START_TEST(test_watts_strogatz)
{
    popi_net_config_t c;
    base_config(&c, 101);
    c.topology = POPI_NET_TOPO_WS;
    c.ws_k = 3;
    c.ws_p = 0.0;
    popi_net_t *net = mk(&c, 5, 0);
    check_csr(net);
    ck_assert_uint_eq(popi_net_n_edges(net), 101 * 3);
    for (uint32_t v = 0; v < 101; v++) {
        ck_assert_uint_eq(popi_net_degree(net, v), 6);
        for (uint32_t k = 1; k <= 3; k++) {
            ck_assert(has_neighbour(net, v, (v + k) % 101));
            ck_assert(has_neighbour(net, v, (v + 101 - k) % 101));
        }
    }
    popi_net_free(net);
    /* the smallest ring: 2k + 1 nodes is the complete graph */
    c.n_nodes = 7;
    net = mk(&c, 5, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 21);
    popi_net_free(net);
    /* rewiring keeps the edge count and moves some edges off the lattice */
    c.n_nodes = 1000;
    c.ws_p = 0.3;
    net = mk(&c, 5, 0);
    check_csr(net);
    ck_assert_uint_eq(popi_net_n_edges(net), 3000);
    uint32_t off_lattice = 0;
    for (uint32_t v = 0; v < 1000; v++) {
        uint32_t d;
        const uint32_t *nb = popi_net_neighbours(net, v, &d);
        for (uint32_t k = 0; k < d; k++) {
            uint32_t dist = nb[k] > v ? nb[k] - v : v - nb[k];
            if (dist > 500) dist = 1000 - dist;
            off_lattice += dist > 3;
        }
    }
    ck_assert_uint_gt(off_lattice, 2 * 3000 / 10);
    popi_net_free(net);
}
END_TEST

START_TEST(test_proximity_matches_brute_force)
{
    uint64_t seed = popi_test_seed(13);
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, 99);
    const uint32_t n = 500;
    double *xy = malloc(2 * n * sizeof *xy);
    const double ranges[] = {15.0, 0.0, 1000.0, 3.0};
    for (int trial = 0; trial < 4; trial++) {
        for (uint32_t v = 0; v < n; v++) {
            xy[2 * v] = popi_rng_range(&r, -50, 150);
            xy[2 * v + 1] = popi_rng_range(&r, 0, 200);
        }
        if (trial == 1 || trial == 3) /* coincident points */
            for (uint32_t v = 0; v < 50; v++) {
                xy[2 * (v + 100)] = xy[2 * v];
                xy[2 * (v + 100) + 1] = xy[2 * v + 1];
            }
        if (trial == 3) /* points exactly at the range */
            for (uint32_t v = 0; v < 50; v++) {
                xy[2 * (v + 200)] = xy[2 * v] + 3.0;
                xy[2 * (v + 200) + 1] = xy[2 * v + 1];
            }
        popi_net_config_t c;
        base_config(&c, n);
        c.topology = POPI_NET_TOPO_PROXIMITY;
        c.proximity_range_m = ranges[trial];
        c.xy = xy;
        popi_net_t *net = mk(&c, seed, 0);
        check_csr(net);
        uint64_t edges = 0;
        double r2 = ranges[trial] * ranges[trial];
        for (uint32_t a = 0; a < n; a++)
            for (uint32_t b = 0; b < n; b++) {
                if (a == b) continue;
                double dx = xy[2 * b] - xy[2 * a], dy = xy[2 * b + 1] - xy[2 * a + 1];
                int near = dx * dx + dy * dy <= r2;
                edges += near && a < b;
                CHECK(has_neighbour(net, a, b) == near, "seed %llu range %g: pair %u-%u near %d",
                      (unsigned long long)seed, ranges[trial], a, b, near);
            }
        ck_assert_uint_eq(popi_net_n_edges(net), edges);
        if (trial == 2) ck_assert_uint_eq(edges, n * (n - 1) / 2);
        popi_net_free(net);
    }
    /* all nodes at one point, range 0: complete graph; one node: nothing */
    for (uint32_t v = 0; v < 20; v++)
        xy[2 * v] = xy[2 * v + 1] = 7.0;
    popi_net_config_t c;
    base_config(&c, 20);
    c.topology = POPI_NET_TOPO_PROXIMITY;
    c.proximity_range_m = 0;
    c.xy = xy;
    popi_net_t *net = mk(&c, seed, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 190);
    popi_net_free(net);
    c.n_nodes = 1;
    net = mk(&c, seed, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 0);
    popi_net_free(net);
    /* a spread wider than a double (x1 - x0 overflows): one cell, still exact */
    const double wide[8] = {-1e308, 0, 1e308, 0, 0, 1e308, 1e3, 1e308};
    c.n_nodes = 4;
    c.xy = wide;
    c.proximity_range_m = 1e6;
    net = mk(&c, seed, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 1);
    ck_assert(has_neighbour(net, 2, 3) && has_neighbour(net, 3, 2));
    popi_net_free(net);
    free(xy);
    popi_rng_destroy(&r);
}
END_TEST

START_TEST(test_determinism)
{
    const popi_net_topology_t topo[] = {POPI_NET_TOPO_BITCOIN, POPI_NET_TOPO_ER, POPI_NET_TOPO_BA,
                                        POPI_NET_TOPO_WS};
    for (size_t k = 0; k < sizeof topo / sizeof *topo; k++) {
        popi_net_config_t c;
        popi_net_config_default(&c);
        c.n_nodes = 500;
        c.topology = topo[k];
        popi_net_t *a = mk(&c, 42, 0), *b = mk(&c, 42, 0), *d = mk(&c, 43, 0), *e = mk(&c, 42, 1);
        ck_assert_msg(same_graph(a, b), "%s: same seed, different graphs",
                      popi_net_topology_name(topo[k]));
        ck_assert_msg(!same_graph(a, d), "%s: different seeds, same graph",
                      popi_net_topology_name(topo[k]));
        ck_assert_msg(!same_graph(a, e), "%s: different runs, same graph",
                      popi_net_topology_name(topo[k]));
        int same_regions = 1, diff_regions = 0;
        for (uint32_t v = 0; v < 500; v++) {
            same_regions &= popi_net_region(a, v) == popi_net_region(b, v);
            diff_regions |= popi_net_region(a, v) != popi_net_region(d, v);
        }
        ck_assert(same_regions && diff_regions);
        /* the message stream is reproducible too */
        for (uint32_t m = 0; m < 1000; m++) {
            uint32_t x = m % 500, y = (m * 7 + 3) % 500;
            if (x == y) continue;
            CHECK(popi_net_send(a, x, y, 1000 + m, m * 10, m % 2) ==
                      popi_net_send(b, x, y, 1000 + m, m * 10, m % 2),
                  "message %u differs", m);
        }
        popi_net_free(a);
        popi_net_free(b);
        popi_net_free(d);
        popi_net_free(e);
    }
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* regions and timing                                                                             */

START_TEST(test_region_shares)
{
    uint64_t seed = popi_test_seed(14);
    popi_net_config_t c;
    popi_net_config_default(&c);
    const uint32_t n = 100000;
    c.n_nodes = n;
    c.n_outdeg = 1;
    c.outdeg_cdf[0] = 1.0; /* a sparse overlay: the test is about regions */
    popi_net_t *net = mk(&c, seed, 0);
    double count[POPI_NET_MAX_REGIONS] = {0};
    for (uint32_t v = 0; v < n; v++) {
        uint32_t r = popi_net_region(net, v);
        CHECK(r < c.n_regions, "region %u of node %u", r, v);
        count[r]++;
        CHECK(popi_net_upload_bps(net, v) == c.upload_bps[r], "upload of %u", v);
        CHECK(popi_net_download_bps(net, v) == c.download_bps[r], "download of %u", v);
    }
    for (uint32_t r = 0; r < c.n_regions; r++) {
        double p = c.region_share[r], se = sqrt(n * p * (1 - p));
        ck_assert_msg(fabs(count[r] - n * p) <= 4 * se,
                      "seed %llu: region %u has %g nodes, expected %g +- %g",
                      (unsigned long long)seed, r, count[r], n * p, se);
    }
    popi_net_free(net);
    /* a zero share gets no node */
    base_config(&c, 1000);
    c.n_regions = 3;
    c.region_share[0] = 0.5;
    c.region_share[1] = 0.0;
    c.region_share[2] = 0.5;
    for (int r = 0; r < 3; r++)
        c.upload_bps[r] = c.download_bps[r] = 1e6;
    net = mk(&c, seed, 0);
    for (uint32_t v = 0; v < 1000; v++)
        ck_assert_uint_ne(popi_net_region(net, v), 1);
    popi_net_free(net);
    /* ... even the last one when the shares fall short of 1 by less than the tolerance */
    c.n_nodes = 100000;
    c.region_share[0] = 0.6;
    c.region_share[1] = 0.4 - 5e-7;
    c.region_share[2] = 0.0;
    net = mk(&c, seed, 0);
    for (uint32_t v = 0; v < c.n_nodes; v++)
        CHECK(popi_net_region(net, v) != 2, "node %u in a region of share 0", v);
    popi_net_free(net);
}
END_TEST

/* Two regions: 0 uploads 8 Mbit/s and downloads 16, region 1 uploads 3 and downloads 4. */
static popi_net_t *timing_net(uint32_t *a0, uint32_t *a1, uint32_t *b0, uint32_t *b1, double lat_ms)
{
    popi_net_config_t c;
    base_config(&c, 40);
    c.n_regions = 2;
    c.region_share[0] = c.region_share[1] = 0.5;
    c.upload_bps[0] = 8e6;
    c.download_bps[0] = 16e6;
    c.upload_bps[1] = 3e6;
    c.download_bps[1] = 4e6;
    c.constant_ms = lat_ms;
    popi_net_t *net = mk(&c, 1, 0);
    uint32_t found[2][2], nf[2] = {0, 0};
    for (uint32_t v = 0; v < 40; v++) {
        uint32_t r = popi_net_region(net, v);
        if (nf[r] < 2) found[r][nf[r]++] = v;
    }
    ck_assert(nf[0] == 2 && nf[1] == 2);
    *a0 = found[0][0];
    *a1 = found[0][1];
    *b0 = found[1][0];
    *b1 = found[1][1];
    return net;
}

START_TEST(test_send_timing)
{
    uint32_t a0, a1, b0, b1;
    popi_net_t *net = timing_net(&a0, &a1, &b0, &b1, 10.0);
    ck_assert(popi_net_upload_bps(net, a0) == 8e6 && popi_net_download_bps(net, b0) == 4e6);
    /* a0 -> b0: bw = min(8, 4) Mbit/s, 8000 bits take 2000 us, latency 10 ms */
    ck_assert_int_eq(popi_net_send(net, a0, b0, 1000, 1000, true), 1000 + 2000 + 10000);
    /* queued behind it: a0 -> a1 at bw min(8, 16) = 8, 1000 us, starts at 3000 */
    ck_assert_int_eq(popi_net_send(net, a0, a1, 1000, 1000, true), 3000 + 1000 + 10000);
    /* unqueued: does not wait and does not move the queue */
    ck_assert_int_eq(popi_net_send(net, a0, b0, 1000, 1000, false), 1000 + 2000 + 10000);
    ck_assert_int_eq(popi_net_send(net, a0, a1, 1000, 4000, true), 4000 + 1000 + 10000);
    /* another sender's queue is its own */
    ck_assert_int_eq(popi_net_send(net, a1, a0, 1000, 1000, true), 1000 + 1000 + 10000);
    /* an idle sender starts at once */
    ck_assert_int_eq(popi_net_send(net, a0, b0, 500, 100000, true), 100000 + 1000 + 10000);
    /* ceil to whole us: 8 bits at 3 Mbit/s = 2.67 us -> 3; 24 bits at 3 Mbit/s = 8 us exactly */
    ck_assert_int_eq(popi_net_send(net, b0, a0, 1, 200000, false), 200000 + 3 + 10000);
    ck_assert_int_eq(popi_net_send(net, b0, b1, 3, 200000, false), 200000 + 8 + 10000);
    ck_assert_int_eq(popi_net_send(net, b0, b1, 0, 200000, true), 200000 + 10000);
    /* a large block: 535,000 bytes from b0 (3 Mbit/s) = 1,426,666.67 us -> 1,426,667 */
    ck_assert_int_eq(popi_net_send(net, b0, a0, 535000, 0, false), 1426667 + 10000);
    const popi_net_stats_t *s = popi_net_stats(net);
    ck_assert_uint_eq(s->n_sent, 10);
    ck_assert_uint_eq(s->bytes_sent, 5 * 1000 + 500 + 1 + 3 + 0 + 535000);
    ck_assert_uint_eq(s->n_lost_random + s->n_lost_offline + s->n_lost_partition, 0);
    popi_net_free(net);
    /* zero latency: arrival = end of transmission */
    net = timing_net(&a0, &a1, &b0, &b1, 0.0);
    ck_assert_int_eq(popi_net_send(net, a0, a1, 1000, 5, true), 1005);
    ck_assert_int_eq(popi_net_send(net, a0, a1, 1000, 5, true), 2005);
    popi_net_free(net);
}
END_TEST

/* Mean and sd of n latencies a -> b (bytes 0, unqueued), ms; also the minimum in us. */
static void latency_sample(popi_net_t *net, uint32_t a, uint32_t b, int n, double *mean, double *sd,
                           popi_time_t *min)
{
    double s = 0, s2 = 0;
    *min = POPI_TIME_NEVER;
    for (int k = 0; k < n; k++) {
        popi_time_t t = popi_net_send(net, a, b, 0, 0, false);
        CHECK(t >= 0 && t != POPI_NET_LOST, "latency %lld", (long long)t);
        if (t < *min) *min = t;
        double ms = (double)t * 1e-3;
        s += ms;
        s2 += ms * ms;
    }
    *mean = s / n;
    *sd = sqrt(fmax(0.0, s2 / n - *mean * *mean));
}

START_TEST(test_latency_regions)
{
    uint64_t seed = popi_test_seed(15);
    popi_net_config_t c;
    base_config(&c, 200);
    c.latency = POPI_NET_LAT_REGIONS;
    c.n_regions = 2;
    c.region_share[0] = c.region_share[1] = 0.5;
    c.upload_bps[1] = c.download_bps[1] = 8e6;
    /* [0][0] = 32 ms (Pareto shape 6.4), [0][1] = 124 ms, [1][0] = 5 and [1][1] = 3 (constant) */
    const double m[4] = {32, 124, 5, 3};
    memcpy(c.latency_ms, m, sizeof m);
    popi_net_t *net = mk(&c, seed, 0);
    uint32_t r0[2], r1[2], n0 = 0, n1 = 0;
    for (uint32_t v = 0; v < 200; v++) {
        if (popi_net_region(net, v) == 0 && n0 < 2) r0[n0++] = v;
        if (popi_net_region(net, v) == 1 && n1 < 2) r1[n1++] = v;
    }
    ck_assert(n0 == 2 && n1 == 2);
    const int N = 200000;
    const double mm[2] = {32, 124};
    const uint32_t dst[2] = {r0[1], r1[0]};
    for (int k = 0; k < 2; k++) {
        double alpha = 0.2 * mm[k], xm = mm[k] - 5;
        double sd_th = xm * sqrt(alpha / ((alpha - 1) * (alpha - 1) * (alpha - 2)));
        double mean, sd;
        popi_time_t min;
        latency_sample(net, r0[0], dst[k], N, &mean, &sd, &min);
        double se = sd_th / sqrt((double)N);
        ck_assert_msg(fabs(mean - mm[k]) <= 4 * se,
                      "seed %llu: mean latency %g ms, expected %g +- %g", (unsigned long long)seed,
                      mean, mm[k], se);
        ck_assert_msg(min >= (popi_time_t)(xm * 1000), "seed %llu: latency %lld us below the scale",
                      (unsigned long long)seed, (long long)min);
        ck_assert_msg(fabs(sd - sd_th) < 0.1 * sd_th, "seed %llu: sd %g ms, expected %g",
                      (unsigned long long)seed, sd, sd_th);
    }
    /* m <= 5: constant m */
    for (int k = 0; k < 100; k++) {
        ck_assert_int_eq(popi_net_send(net, r1[0], r0[0], 0, 0, false), 5000);
        ck_assert_int_eq(popi_net_send(net, r1[0], r1[1], 0, 0, false), 3000);
    }
    popi_net_free(net);
}
END_TEST

START_TEST(test_latency_lognormal)
{
    uint64_t seed = popi_test_seed(16);
    popi_net_config_t c;
    base_config(&c, 10);
    c.latency = POPI_NET_LAT_LOGNORMAL;
    c.lognormal_mean_ms = 100;
    c.lognormal_sigma = 0.5;
    popi_net_t *net = mk(&c, seed, 0);
    const int N = 200000;
    double mean, sd;
    popi_time_t min;
    latency_sample(net, 0, 1, N, &mean, &sd, &min);
    double sd_th = 100 * sqrt(exp(0.25) - 1);
    double se = sd_th / sqrt((double)N);
    ck_assert_msg(fabs(mean - 100) <= 4 * se, "seed %llu: mean %g ms, expected 100 +- %g",
                  (unsigned long long)seed, mean, se);
    ck_assert_msg(fabs(sd - sd_th) < 0.1 * sd_th, "seed %llu: sd %g ms, expected %g",
                  (unsigned long long)seed, sd, sd_th);
    popi_net_free(net);
    c.lognormal_sigma = 0; /* degenerate: always the mean */
    net = mk(&c, seed, 0);
    for (int k = 0; k < 100; k++)
        ck_assert_int_eq(popi_net_send(net, 0, 1, 0, 7, false), 100007);
    popi_net_free(net);
}
END_TEST

START_TEST(test_loss)
{
    uint64_t seed = popi_test_seed(17);
    popi_net_config_t c;
    base_config(&c, 10);
    c.loss = 0.1;
    c.constant_ms = 1;
    popi_net_t *net = mk(&c, seed, 0);
    const int N = 200000;
    double lost = 0;
    for (int k = 0; k < N; k++) {
        popi_time_t t = popi_net_send(net, (uint32_t)k % 10, (uint32_t)(k + 1) % 10, 0, 0, false);
        if (t == POPI_NET_LOST)
            lost++;
        else
            CHECK(t == 1000, "arrival %lld", (long long)t);
    }
    double se = sqrt(N * 0.1 * 0.9);
    ck_assert_msg(fabs(lost - 0.1 * N) <= 4 * se, "seed %llu: %g lost of %d, expected %g +- %g",
                  (unsigned long long)seed, lost, N, 0.1 * N, se);
    const popi_net_stats_t *s = popi_net_stats(net);
    ck_assert_uint_eq(s->n_lost_random, (uint64_t)lost);
    ck_assert_uint_eq(s->n_sent, (uint64_t)N);
    ck_assert_uint_eq(s->n_lost_offline + s->n_lost_partition, 0);
    popi_net_free(net);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* churn                                                                                          */

START_TEST(test_churn_online_fraction)
{
    uint64_t seed = popi_test_seed(18);
    popi_net_config_t c;
    base_config(&c, 200);
    c.churn_online_mean_s = 10;
    c.churn_offline_mean_s = 5;
    popi_net_t *net = mk(&c, seed, 0);
    const popi_time_t T = 10000 * POPI_US_PER_S;
    double on = 0;
    for (uint32_t v = 0; v < 200; v++) {
        ck_assert(popi_net_online(net, v, 0));
        popi_time_t t = 0;
        while (t < T) {
            bool o = popi_net_online(net, v, t);
            popi_time_t nx = popi_net_next_churn(net, v, t);
            CHECK(nx > t, "next churn %lld <= %lld", (long long)nx, (long long)t);
            if (o) on += (double)((nx < T ? nx : T) - t);
            t = nx;
        }
    }
    double frac = on / (200.0 * (double)T);
    /* alternating renewal: var of online time over T ~ T (m_off^2 v_on + m_on^2 v_off) / cycle^3 */
    double mo = 10, mf = 5, Ts = 10000;
    double var1 = Ts * (mf * mf * mo * mo + mo * mo * mf * mf) / pow(mo + mf, 3);
    double se = sqrt(var1) / Ts / sqrt(200.0);
    ck_assert_msg(fabs(frac - 2.0 / 3.0) <= 4 * se, "seed %llu: online share %g, expected %g +- %g",
                  (unsigned long long)seed, frac, 2.0 / 3.0, se);
    popi_net_free(net);
}
END_TEST

START_TEST(test_churn_order_independent)
{
    uint64_t seed = popi_test_seed(19);
    popi_net_config_t c;
    base_config(&c, 50);
    c.churn_online_mean_s = 20;
    c.churn_offline_mean_s = 10;
    popi_net_t *a = mk(&c, seed, 0), *b = mk(&c, seed, 0);
    enum { Q = 200 };
    const uint32_t n = 50;
    popi_time_t *ts = malloc(n * Q * sizeof *ts);
    uint32_t *order = malloc(n * Q * sizeof *order);
    bool *on_a = malloc(n * Q * sizeof *on_a);
    popi_time_t *nx_a = malloc(n * Q * sizeof *nx_a);
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, 98);
    for (uint32_t k = 0; k < n * Q; k++)
        ts[k] = (popi_time_t)popi_rng_below(&r, 2000000000u);
    /* a: per node in ascending time order */
    for (uint32_t v = 0; v < n; v++) {
        popi_time_t *tv = ts + v * Q;
        for (int i = 1; i < Q; i++) /* insertion sort */
            for (int j = i; j > 0 && tv[j - 1] > tv[j]; j--) {
                popi_time_t x = tv[j];
                tv[j] = tv[j - 1];
                tv[j - 1] = x;
            }
        for (int i = 0; i < Q; i++) {
            on_a[v * Q + i] = popi_net_online(a, v, tv[i]);
            nx_a[v * Q + i] = popi_net_next_churn(a, v, tv[i]);
        }
    }
    /* b: all queries in a random order (times jump back and forth) */
    for (uint32_t k = 0; k < n * Q; k++)
        order[k] = k;
    gsl_ran_shuffle(r.g, order, n * Q, sizeof *order);
    for (uint32_t k = 0; k < n * Q; k++) {
        uint32_t q = order[k], v = q / Q;
        popi_time_t nx = popi_net_next_churn(b, v, ts[q]);
        CHECK(popi_net_online(b, v, ts[q]) == on_a[q], "seed %llu: node %u at %lld",
              (unsigned long long)seed, v, (long long)ts[q]);
        CHECK(nx == nx_a[q], "seed %llu: next churn of node %u at %lld", (unsigned long long)seed,
              v, (long long)ts[q]);
    }
    /* next_churn: state constant up to it, flips at it */
    for (uint32_t q = 0; q < n * Q; q += 7) {
        uint32_t v = q / Q;
        popi_time_t t = ts[q], nx = nx_a[q];
        ck_assert(nx > t);
        ck_assert(popi_net_online(b, v, nx - 1) == on_a[q]);
        ck_assert(popi_net_online(b, v, (t + nx) / 2) == on_a[q]);
        ck_assert(popi_net_online(b, v, nx) != on_a[q]);
        ck_assert(popi_net_online(b, v, t) == on_a[q]);
    }
    /* negative times count as time 0: online */
    ck_assert(popi_net_online(b, 0, -5));
    ck_assert_int_eq(popi_net_next_churn(b, 0, -5), popi_net_next_churn(b, 0, 0));
    /* a different seed churns differently */
    popi_net_t *d = mk(&c, seed + 1, 0);
    int diff = 0;
    for (uint32_t v = 0; v < n; v++)
        diff |= popi_net_next_churn(d, v, 0) != popi_net_next_churn(a, v, 0);
    ck_assert(diff);
    popi_net_free(d);
    free(ts);
    free(order);
    free(on_a);
    free(nx_a);
    popi_rng_destroy(&r);
    popi_net_free(a);
    popi_net_free(b);
}
END_TEST

START_TEST(test_offline_loss)
{
    popi_net_config_t c;
    base_config(&c, 20);
    c.churn_online_mean_s = 1;
    c.churn_offline_mean_s = 1;
    c.loss = 0.5;
    popi_net_t *net = mk(&c, 3, 0);
    /* node 0's first offline period starts at its first churn */
    popi_time_t t_off = popi_net_next_churn(net, 0, 0);
    ck_assert(!popi_net_online(net, 0, t_off));
    uint64_t before = popi_net_stats(net)->n_lost_offline;
    ck_assert(popi_net_send(net, 0, 1, 100, t_off, false) == POPI_NET_LOST);
    ck_assert(popi_net_send(net, 1, 0, 100, t_off, false) == POPI_NET_LOST);
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_offline, before + 2);
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_random, 0); /* offline is checked first */
    /* both online: only random loss remains; over many sends the offline counter counts exactly
     * the sends with an end offline */
    uint64_t off_expect = popi_net_stats(net)->n_lost_offline;
    for (int k = 0; k < 2000; k++) {
        popi_time_t t = (popi_time_t)k * 10000;
        uint32_t a = (uint32_t)k % 20, b = (uint32_t)(k + 3) % 20;
        bool both = popi_net_online(net, a, t) && popi_net_online(net, b, t);
        popi_time_t r = popi_net_send(net, a, b, 10, t, false);
        if (!both) {
            ck_assert(r == POPI_NET_LOST);
            off_expect++;
        }
    }
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_offline, off_expect);
    ck_assert_uint_gt(popi_net_stats(net)->n_lost_random, 0);
    popi_net_free(net);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* partitions                                                                                     */

START_TEST(test_partitions)
{
    popi_net_config_t c;
    base_config(&c, 1000);
    c.n_partitions = 2;
    c.partitions[0] = (popi_net_partition_t){1 * POPI_US_PER_S, 2 * POPI_US_PER_S, 0.3};
    c.partitions[1] = (popi_net_partition_t){5 * POPI_US_PER_S, 6 * POPI_US_PER_S, 0.5};
    popi_net_t *net = mk(&c, 9, 0);
    uint32_t n1[2] = {0, 0};
    for (uint32_t v = 0; v < 1000; v++)
        for (uint32_t p = 0; p < 2; p++) {
            int s = popi_net_partition_side(net, p, v);
            ck_assert(s == 0 || s == 1);
            n1[p] += (uint32_t)s;
        }
    ck_assert_uint_eq(n1[0], 300);
    ck_assert_uint_eq(n1[1], 500);
    /* find a pair split by partition 0 and a pair on one side of it */
    uint32_t a = 0, b = 0, s = 0;
    while (popi_net_partition_side(net, 0, a) != 1)
        a++;
    while (popi_net_partition_side(net, 0, b) != 0)
        b++;
    s = a + 1;
    while (popi_net_partition_side(net, 0, s) != 1)
        s++;
    const popi_time_t t0 = c.partitions[0].t_start, t1 = c.partitions[0].t_end;
    ck_assert(!popi_net_partitioned(net, a, b, t0 - 1));
    ck_assert(popi_net_partitioned(net, a, b, t0));
    ck_assert(popi_net_partitioned(net, b, a, t1 - 1));
    ck_assert(!popi_net_partitioned(net, a, b, t1));
    ck_assert(!popi_net_partitioned(net, a, s, t0));
    ck_assert_int_eq(popi_net_send(net, a, b, 1000, t0 - 1, false), t0 - 1 + 1000);
    ck_assert(popi_net_send(net, a, b, 1000, t0, false) == POPI_NET_LOST);
    ck_assert(popi_net_send(net, b, a, 1000, t1 - 1, false) == POPI_NET_LOST);
    ck_assert_int_eq(popi_net_send(net, a, b, 1000, t1, false), t1 + 1000);
    ck_assert_int_eq(popi_net_send(net, a, s, 1000, t0, false), t0 + 1000);
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_partition, 2);
    /* a lost queued message still occupies the sender's upload */
    ck_assert(popi_net_send(net, a, b, 1000, t0 + 10, true) == POPI_NET_LOST);
    ck_assert_int_eq(popi_net_send(net, a, s, 1000, t0 + 10, true), t0 + 10 + 2000);
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_partition, 3);
    /* partitioned() over all pairs at a time inside each window and outside */
    for (uint32_t x = 0; x < 1000; x += 13)
        for (uint32_t y = 0; y < 1000; y += 7) {
            CHECK(popi_net_partitioned(net, x, y, t0 + 5) ==
                      (popi_net_partition_side(net, 0, x) != popi_net_partition_side(net, 0, y)),
                  "pair %u %u in partition 0", x, y);
            CHECK(popi_net_partitioned(net, x, y, 5 * POPI_US_PER_S) ==
                      (popi_net_partition_side(net, 1, x) != popi_net_partition_side(net, 1, y)),
                  "pair %u %u in partition 1", x, y);
            CHECK(!popi_net_partitioned(net, x, y, 3 * POPI_US_PER_S), "pair %u %u", x, y);
        }
    popi_net_free(net);
    /* round(0.25 x 10) = 3 (half away from zero); the shuffle depends on the seed */
    base_config(&c, 10);
    c.n_partitions = 1;
    c.partitions[0] = (popi_net_partition_t){0, 10, 0.25};
    net = mk(&c, 9, 0);
    popi_net_t *other = mk(&c, 10, 0), *again = mk(&c, 9, 0);
    int cnt = 0, diff = 0, same = 1;
    for (uint32_t v = 0; v < 10; v++) {
        cnt += popi_net_partition_side(net, 0, v);
        diff |= popi_net_partition_side(net, 0, v) != popi_net_partition_side(other, 0, v);
        same &= popi_net_partition_side(net, 0, v) == popi_net_partition_side(again, 0, v);
    }
    ck_assert_int_eq(cnt, 3);
    ck_assert(same);
    ck_assert(diff);
    popi_net_free(net);
    popi_net_free(other);
    popi_net_free(again);
}
END_TEST

START_TEST(test_offline_before_partition)
{
    popi_net_config_t c;
    base_config(&c, 100);
    c.churn_online_mean_s = 1;
    c.churn_offline_mean_s = 1;
    c.n_partitions = 1;
    c.partitions[0] = (popi_net_partition_t){0, POPI_US_PER_S * 1000000, 0.5};
    popi_net_t *net = mk(&c, 4, 0);
    uint32_t a = 0, b = 0;
    while (popi_net_partition_side(net, 0, b) == popi_net_partition_side(net, 0, a))
        b++;
    popi_time_t t = popi_net_next_churn(net, a, 0); /* a goes offline */
    ck_assert(!popi_net_online(net, a, t));
    ck_assert(popi_net_send(net, a, b, 10, t, false) == POPI_NET_LOST);
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_offline, 1);
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_partition, 0);
    /* both online at 0 and separated: a partition loss */
    ck_assert(popi_net_send(net, a, b, 10, 0, false) == POPI_NET_LOST);
    ck_assert_uint_eq(popi_net_stats(net)->n_lost_partition, 1);
    ck_assert_uint_eq(popi_net_stats(net)->n_sent, 2);
    ck_assert_uint_eq(popi_net_stats(net)->bytes_sent, 20);
    popi_net_free(net);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* errors                                                                                         */

static double nan_xy[4] = {0, 0, NAN, 1};

/* Break field k of a valid config; return the name the message must contain, NULL past the end. */
static const char *break_config(int k, popi_net_config_t *c)
{
    switch (k) {
    case 0:
        c->n_nodes = 0;
        return "net.n_nodes";
    case 1:
        c->topology = (popi_net_topology_t)99;
        return "net.topology";
    case 2:
        c->latency = (popi_net_latency_t)-1;
        return "net.latency";
    case 3:
        c->n_outdeg = 0;
        return "net.n_outdeg";
    case 4:
        c->n_outdeg = POPI_NET_MAX_OUTDEG + 1;
        return "net.n_outdeg";
    case 5:
        c->outdeg_cdf[3] = -0.1;
        return "net.outdeg_cdf";
    case 6:
        c->outdeg_cdf[5] = 0.05;
        return "net.outdeg_cdf"; /* decreasing */
    case 7:
        c->outdeg_cdf[19] = 0.9999;
        return "net.outdeg_cdf"; /* not ending at 1 */
    case 8:
        c->outdeg_cdf[2] = NAN;
        return "net.outdeg_cdf";
    case 9:
        c->topology = POPI_NET_TOPO_ER;
        c->er_mean_degree = 1000;
        return "net.er_mean_degree";
    case 10:
        c->topology = POPI_NET_TOPO_ER;
        c->er_mean_degree = -1;
        return "net.er_mean_degree";
    case 11:
        c->topology = POPI_NET_TOPO_ER;
        c->er_mean_degree = NAN;
        return "net.er_mean_degree";
    case 12:
        c->topology = POPI_NET_TOPO_BA;
        c->ba_m = 0;
        return "net.ba_m";
    case 13:
        c->topology = POPI_NET_TOPO_WS;
        c->ws_k = 0;
        return "net.ws_k";
    case 14:
        c->topology = POPI_NET_TOPO_WS;
        c->ws_k = 500;
        return "net.ws_k";
    case 15:
        c->topology = POPI_NET_TOPO_WS;
        c->ws_p = 1.5;
        return "net.ws_p";
    case 16:
        c->topology = POPI_NET_TOPO_WS;
        c->ws_p = NAN;
        return "net.ws_p";
    case 17:
        c->topology = POPI_NET_TOPO_PROXIMITY;
        c->xy = NULL;
        return "net.xy";
    case 18:
        c->topology = POPI_NET_TOPO_PROXIMITY;
        c->xy = nan_xy;
        c->n_nodes = 2;
        return "net.xy";
    case 19:
        c->topology = POPI_NET_TOPO_PROXIMITY;
        c->xy = nan_xy;
        c->n_nodes = 1;
        c->proximity_range_m = -1;
        return "net.proximity_range_m";
    case 20:
        c->n_regions = 0;
        return "net.n_regions";
    case 21:
        c->n_regions = POPI_NET_MAX_REGIONS + 1;
        return "net.n_regions";
    case 22:
        c->region_share[0] -= 0.01;
        return "net.region_share";
    case 23:
        c->region_share[0] = -0.1;
        c->region_share[1] += 0.1;
        return "net.region_share";
    case 24:
        c->upload_bps[3] = 0;
        return "net.upload_bps";
    case 25:
        c->upload_bps[0] = INFINITY;
        return "net.upload_bps";
    case 26:
        c->download_bps[5] = -1;
        return "net.download_bps";
    case 27:
        c->latency_ms[7] = -1;
        return "net.latency_ms";
    case 28:
        c->latency_ms[0] = NAN;
        return "net.latency_ms";
    case 29:
        c->latency = POPI_NET_LAT_LOGNORMAL;
        c->lognormal_mean_ms = 0;
        return "net.lognormal_mean_ms";
    case 30:
        c->latency = POPI_NET_LAT_LOGNORMAL;
        c->lognormal_sigma = -0.1;
        return "net.lognormal_sigma";
    case 31:
        c->latency = POPI_NET_LAT_CONSTANT;
        c->constant_ms = -1;
        return "net.constant_ms";
    case 32:
        c->loss = 1.0;
        return "net.loss";
    case 33:
        c->loss = -0.1;
        return "net.loss";
    case 34:
        c->loss = NAN;
        return "net.loss";
    case 35:
        c->churn_online_mean_s = -1;
        return "net.churn_online_mean_s";
    case 36:
        c->churn_online_mean_s = 10;
        c->churn_offline_mean_s = 0;
        return "net.churn_offline_mean_s";
    case 37:
        c->churn_online_mean_s = INFINITY;
        return "net.churn_online_mean_s";
    case 38:
        c->n_partitions = POPI_NET_MAX_PARTITIONS + 1;
        return "net.n_partitions";
    case 39:
        c->n_partitions = 1;
        c->partitions[0] = (popi_net_partition_t){10, 10, 0.5};
        return "net.partitions[0]";
    case 40:
        c->n_partitions = 2;
        c->partitions[0] = (popi_net_partition_t){0, 10, 0.5};
        c->partitions[1] = (popi_net_partition_t){-1, 10, 0.5};
        return "net.partitions[1]";
    case 41:
        c->n_partitions = 1;
        c->partitions[0] = (popi_net_partition_t){0, 10, 0.0};
        return "net.partitions[0].fraction";
    case 42:
        c->n_partitions = 1;
        c->partitions[0] = (popi_net_partition_t){0, 10, 1.0};
        return "net.partitions[0].fraction";
    default:
        return NULL;
    }
}

START_TEST(test_errors)
{
    int k = 0;
    for (;; k++) {
        popi_net_config_t c;
        popi_net_config_default(&c);
        const char *field = break_config(k, &c);
        if (!field) break;
        popi_net_t *net = (popi_net_t *)&c; /* must be reset to NULL */
        popi_err_clear();
        popi_err_t rc = popi_net_create(&c, 1, 0, &net);
        ck_assert_msg(rc == POPI_EINVAL, "case %d (%s): rc %d", k, field, (int)rc);
        ck_assert_ptr_null(net);
        ck_assert_msg(strstr(popi_err_message(), field) != NULL,
                      "case %d: message \"%s\" does not name %s", k, popi_err_message(), field);
    }
    ck_assert_int_eq(k, 43);
    /* fields of topologies and latency models not in use are not checked */
    popi_net_config_t c;
    popi_net_config_default(&c);
    c.n_nodes = 3;
    c.ws_k = 0;
    c.ba_m = 0;
    c.er_mean_degree = -1;
    c.proximity_range_m = -1;
    c.lognormal_mean_ms = -1;
    c.constant_ms = -1;
    popi_net_t *net = mk(&c, 1, 0);
    popi_net_free(net);
}
END_TEST

START_TEST(test_bytes)
{
    popi_net_config_t c;
    popi_net_config_default(&c);
    popi_net_t *net = mk(&c, 1, 0);
    size_t b0 = popi_net_bytes(net);
    size_t min = (1000 + 1) * sizeof(uint64_t) + 2 * popi_net_n_edges(net) * sizeof(uint32_t) +
                 1000 * (1 + sizeof(popi_time_t));
    ck_assert_uint_ge(b0, min);
    popi_net_free(net);
    c.churn_online_mean_s = 1;
    c.churn_offline_mean_s = 1;
    c.n_partitions = 1;
    c.partitions[0] = (popi_net_partition_t){0, 10, 0.5};
    net = mk(&c, 1, 0);
    ck_assert_uint_ge(popi_net_bytes(net), b0 + 1000 * 2 * sizeof(popi_time_t) + 1000);
    popi_net_free(net);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* flood delays                                                                                   */

static popi_net_flood_t *mk_flood_th(const popi_net_t *net, uint32_t n_real, uint32_t bytes,
                                     double batch_s, uint64_t seed, uint64_t run, int threads)
{
    popi_net_flood_t *f = NULL;
    popi_err_t rc = popi_net_flood_create(net, n_real, bytes, batch_s, seed, run, threads, &f);
    ck_assert_msg(rc == POPI_OK, "popi_net_flood_create: %s", popi_err_message());
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->n_real, n_real);
    ck_assert_uint_eq(f->n, popi_net_n_nodes(net));
    return f;
}

/* Flood delays on two threads (the determinism test compares with one). */
static popi_net_flood_t *mk_flood(const popi_net_t *net, uint32_t n_real, uint32_t bytes,
                                  double batch_s, uint64_t seed, uint64_t run)
{
    return mk_flood_th(net, n_real, bytes, batch_s, seed, run, 2);
}

/* Hop counts from s (UINT32_MAX when unreachable). */
static void bfs_hops(const popi_net_t *net, uint32_t s, uint32_t *hops, uint32_t *queue)
{
    uint32_t n = popi_net_n_nodes(net), head = 0, tail = 0;
    for (uint32_t v = 0; v < n; v++)
        hops[v] = UINT32_MAX;
    hops[s] = 0;
    queue[tail++] = s;
    while (head < tail) {
        uint32_t u = queue[head++], d;
        const uint32_t *nb = popi_net_neighbours(net, u, &d);
        for (uint32_t k = 0; k < d; k++)
            if (hops[nb[k]] == UINT32_MAX) {
                hops[nb[k]] = hops[u] + 1;
                queue[tail++] = nb[k];
            }
    }
}

/* Hop delay u -> v in µs when latency is constant and batch_s is 0 (the weights are known). */
static double known_hop_us(const popi_net_t *net, uint32_t u, uint32_t v, double c_ms,
                           uint32_t bytes)
{
    double up = popi_net_upload_bps(net, u), down = popi_net_download_bps(net, v);
    return 3.0 * c_ms * 1000.0 + 8e6 * (double)bytes / (up < down ? up : down);
}

/* Brute force: Bellman-Ford from s on the known weights (µs), then the expected tree: the parent
 * of t is the smallest neighbour u with d[u] + w(u -> t) == d[t]. Compares delays (exactly: every
 * weight is a whole number of µs) and children counts of realisation r. With c_ms = 0 (and no
 * bytes: zero-delay hops) the tree depends on the settling order, so only the children sum (a
 * spanning tree of the reachable nodes) is checked. */
static void check_against_bellman_ford(const popi_net_t *net, const popi_net_flood_t *f, uint32_t r,
                                       double c_ms, uint32_t bytes, const char *what)
{
    const uint32_t n = popi_net_n_nodes(net);
    double *d = malloc(n * sizeof *d);
    uint16_t *ch = malloc(n * sizeof *ch);
    for (uint32_t s = 0; s < n; s++) {
        for (uint32_t v = 0; v < n; v++)
            d[v] = INFINITY;
        d[s] = 0;
        for (int changed = 1; changed;) {
            changed = 0;
            for (uint32_t u = 0; u < n; u++) {
                if (isinf(d[u])) continue;
                uint32_t deg;
                const uint32_t *nb = popi_net_neighbours(net, u, &deg);
                for (uint32_t k = 0; k < deg; k++) {
                    double x = d[u] + known_hop_us(net, u, nb[k], c_ms, bytes);
                    if (x < d[nb[k]]) {
                        d[nb[k]] = x;
                        changed = 1;
                    }
                }
            }
        }
        memset(ch, 0, n * sizeof *ch);
        uint32_t reach = 0;
        for (uint32_t t = 0; t < n; t++) {
            if (isinf(d[t])) continue;
            reach++;
            if (t == s) continue;
            uint32_t deg;
            const uint32_t *nb = popi_net_neighbours(net, t, &deg);
            uint32_t k = 0; /* ascending: the first match is the smallest id */
            while (k < deg && d[nb[k]] + known_hop_us(net, nb[k], t, c_ms, bytes) != d[t])
                k++;
            CHECK(k < deg, "%s: no predecessor of %u", what, t);
            ch[nb[k]]++;
        }
        const float *drow = f->delay_s + (size_t)r * n * n + (size_t)s * n;
        const uint16_t *crow = f->children + (size_t)r * n * n + (size_t)s * n;
        uint32_t sum = 0;
        for (uint32_t t = 0; t < n; t++) {
            float want = isinf(d[t]) ? INFINITY : (float)(d[t] * 1e-6);
            CHECK(drow[t] == want, "%s r %u: delay %u -> %u is %.9g s, expected %.9g", what, r, s,
                  t, (double)drow[t], (double)want);
            CHECK(c_ms == 0.0 || crow[t] == ch[t], "%s r %u s %u: %u has %u children, expected %u",
                  what, r, s, t, crow[t], ch[t]);
            sum += crow[t];
        }
        CHECK(drow[s] == 0.0f, "%s: diagonal %u", what, s);
        CHECK(sum == reach - 1, "%s s %u: children sum %u, reachable %u", what, s, sum, reach);
    }
    free(d);
    free(ch);
}

START_TEST(test_flood_constant_hops)
{
    /* one region: every hop is 3 × 8 ms + 8000 bits / 8 Mbit/s = 25,000 µs, delay = hops × that */
    const popi_net_topology_t topo[] = {POPI_NET_TOPO_WS, POPI_NET_TOPO_ER, POPI_NET_TOPO_BITCOIN};
    for (int k = 0; k < 3; k++) {
        popi_net_config_t c;
        base_config(&c, 60);
        c.topology = topo[k];
        c.ws_k = 2;
        c.ws_p = 0.0;           /* ring lattice: connected */
        c.er_mean_degree = 1.5; /* components: some INFINITY */
        c.constant_ms = 8.0;
        popi_net_t *net = mk(&c, 3, 0);
        popi_net_flood_t *f = mk_flood(net, 2, 1000, 0.0, 3, 0);
        uint32_t hops[60], queue[60];
        uint32_t n_inf = 0;
        for (uint32_t r = 0; r < 2; r++)
            for (uint32_t s = 0; s < 60; s++) {
                bfs_hops(net, s, hops, queue);
                uint32_t reach = 0, sum = 0;
                for (uint32_t t = 0; t < 60; t++) {
                    float want = hops[t] == UINT32_MAX ? INFINITY
                                                       : (float)((double)hops[t] * 25000.0 * 1e-6);
                    float got = f->delay_s[(size_t)r * 3600 + s * 60 + t];
                    CHECK(got == want, "%s: delay %u -> %u is %.9g s, %u hops",
                          popi_net_topology_name(topo[k]), s, t, (double)got, hops[t]);
                    reach += hops[t] != UINT32_MAX;
                    n_inf += hops[t] == UINT32_MAX;
                    sum += f->children[(size_t)r * 3600 + s * 60 + t];
                }
                CHECK(sum == reach - 1, "children sum %u, reachable %u", sum, reach);
                if (k == 0) CHECK(sum == 59, "ring lattice: children sum %u", sum);
            }
        if (k == 1) ck_assert_uint_gt(n_inf, 0);
        check_against_bellman_ford(net, f, 1, 8.0, 1000, popi_net_topology_name(topo[k]));
        popi_net_flood_free(f);
        popi_net_free(net);
    }
}
END_TEST

START_TEST(test_flood_bellman_ford)
{
    /* two regions whose bandwidth pairs make the hop delays direction-dependent and whole µs:
     * min(up u, down v) = 8, 16, 4, 4 Mbit/s for regions (0,0), (0,1), (1,0), (1,1) */
    uint64_t seed = popi_test_seed(41);
    popi_net_config_t c;
    base_config(&c, 30);
    c.topology = POPI_NET_TOPO_ER;
    c.er_mean_degree = 3.0;
    c.n_regions = 2;
    c.region_share[0] = c.region_share[1] = 0.5;
    c.upload_bps[0] = 16e6;
    c.download_bps[0] = 8e6;
    c.upload_bps[1] = 4e6;
    c.download_bps[1] = 16e6;
    c.constant_ms = 3.0;
    popi_net_t *net = mk(&c, seed, 0);
    popi_net_flood_t *f = mk_flood(net, 2, 1000, 0.0, seed, 0);
    char what[64];
    snprintf(what, sizeof what, "seed %llu", (unsigned long long)seed);
    for (uint32_t r = 0; r < 2; r++)
        check_against_bellman_ford(net, f, r, 3.0, 1000, what);
    popi_net_flood_free(f);
    /* all-zero hops (no latency, no bytes, no batching): every reachable delay is 0, the tree is
     * still a tree */
    c.constant_ms = 0.0;
    popi_net_t *net0 = mk(&c, seed, 0);
    f = mk_flood(net0, 1, 0, 0.0, seed, 0);
    check_against_bellman_ford(net0, f, 0, 0.0, 0, what);
    popi_net_flood_free(f);
    popi_net_free(net0);
    popi_net_free(net);
}
END_TEST

/* Mean and variance of one latency draw of net config c from region a to b, µs. */
static void latency_moments(const popi_net_config_t *c, uint32_t a, uint32_t b, double *mean,
                            double *var)
{
    if (c->latency == POPI_NET_LAT_LOGNORMAL) {
        *mean = 1000.0 * c->lognormal_mean_ms;
        *var = *mean * *mean * (exp(c->lognormal_sigma * c->lognormal_sigma) - 1.0);
        return;
    }
    double m = c->latency_ms[a * c->n_regions + b];
    *mean = 1000.0 * m;
    if (m <= 5.0) {
        *var = 0.0;
        return;
    }
    double alpha = 0.2 * m, xm = 1000.0 * (m - 5.0);
    *var = xm * xm * alpha / ((alpha - 1) * (alpha - 1) * (alpha - 2));
}

/* The smallest latency of the regions model with mean m ms: its Pareto scale, or m if constant. */
static double lat_floor(double m)
{
    return m > 5.0 ? m - 5.0 : m;
}

START_TEST(test_flood_hop_law)
{
    /* a path 0 - 1 - ... - 49 (proximity, spacing = range): the delay between neighbours is the
     * hop itself, and the delay along the path is the sum of the hops */
    uint64_t seed = popi_test_seed(42);
    const uint32_t n = 50, R = 400, bytes = 500;
    const double batch_s = 0.05;
    double xy[2 * 50];
    for (uint32_t v = 0; v < n; v++) {
        xy[2 * v] = v;
        xy[2 * v + 1] = 0;
    }
    for (int model = 0; model < 2; model++) {
        popi_net_config_t c;
        base_config(&c, n);
        c.topology = POPI_NET_TOPO_PROXIMITY;
        c.proximity_range_m = 1.0;
        c.xy = xy;
        c.n_regions = 2;
        c.region_share[0] = c.region_share[1] = 0.5;
        c.upload_bps[0] = 8e6;
        c.download_bps[0] = 16e6;
        c.upload_bps[1] = 4e6;
        c.download_bps[1] = 8e6;
        /* asymmetric: INV and TX use m[a][b], GETTX m[b][a]; [1][1] = 3 ms is constant */
        const double m[4] = {32, 124, 60, 3};
        memcpy(c.latency_ms, m, sizeof m);
        c.latency = model == 0 ? POPI_NET_LAT_REGIONS : POPI_NET_LAT_LOGNORMAL;
        popi_net_t *net = mk(&c, seed, 0);
        ck_assert_uint_eq(popi_net_n_edges(net), n - 1);
        popi_net_flood_t *f = mk_flood(net, R, bytes, batch_s, seed, 0);
        double sum_dev = 0, sum_var = 0;
        uint64_t count = 0;
        for (uint32_t r = 0; r < R; r++) {
            const float *d = f->delay_s + (size_t)r * n * n;
            for (uint32_t u = 0; u < n; u++)
                for (int dir = -1; dir <= 1; dir += 2) {
                    if ((u == 0 && dir < 0) || (u == n - 1 && dir > 0)) continue;
                    uint32_t v = (uint32_t)((int)u + dir), ru = popi_net_region(net, u),
                             rv = popi_net_region(net, v);
                    double up = popi_net_upload_bps(net, u), down = popi_net_download_bps(net, v);
                    double tx = 8e6 * bytes / (up < down ? up : down);
                    double m1, v1, m2, v2;
                    latency_moments(&c, ru, rv, &m1, &v1);
                    latency_moments(&c, rv, ru, &m2, &v2);
                    double hop = 1e6 * (double)d[u * n + v];
                    /* smallest possible hop: no wait, each Pareto at its scale */
                    double lo = tx;
                    if (model == 0)
                        lo += 1000.0 * (2 * lat_floor(m[ru * 2 + rv]) + lat_floor(m[rv * 2 + ru]));
                    CHECK(hop >= lo * (1 - 1e-6), "seed %llu: hop %u -> %u = %g us below %g",
                          (unsigned long long)seed, u, v, hop, lo);
                    sum_dev += hop - (0.5e6 * batch_s + 2 * m1 + m2 + tx);
                    sum_var += 1e12 * batch_s * batch_s / 12 + 2 * v1 + v2;
                    count++;
                }
            /* the delay along the path is the sum of the hops, in both directions */
            for (uint32_t s = 0; s < n; s += 7) {
                double acc = 0;
                for (uint32_t t = s + 1; t < n; t++) {
                    acc += d[(t - 1) * n + t];
                    CHECK(fabs(d[s * n + t] - acc) <= 1e-5 * acc, "seed %llu: path %u -> %u",
                          (unsigned long long)seed, s, t);
                }
                acc = 0;
                for (uint32_t t = s; t-- > 0;) {
                    acc += d[(t + 1) * n + t];
                    CHECK(fabs(d[s * n + t] - acc) <= 1e-5 * acc, "seed %llu: path %u -> %u",
                          (unsigned long long)seed, s, t);
                }
                /* on a path every node but the ends has one child, away from s */
                for (uint32_t t = 0; t < n; t++) {
                    uint16_t want = (t == s) ? (uint16_t)((s > 0) + (s < n - 1))
                                             : (uint16_t)(t != 0 && t != n - 1);
                    CHECK(f->children[(size_t)r * n * n + s * n + t] == want,
                          "path: children of %u from %u", t, s);
                }
            }
        }
        ck_assert_uint_eq(count, (uint64_t)R * 2 * (n - 1));
        double z = sum_dev / sqrt(sum_var);
        ck_assert_msg(fabs(z) <= 4.0, "seed %llu (%s): mean hop off by %g us, %g standard errors",
                      (unsigned long long)seed, popi_net_latency_name(c.latency),
                      sum_dev / (double)count, z);
        popi_net_flood_free(f);
        popi_net_free(net);
    }
}
END_TEST

START_TEST(test_flood_regions_bounds)
{
    /* default six regions, bitcoin overlay: delay >= hops × the shortest possible hop, and the
     * delays are a (directed) shortest-path metric: d(s,t) <= d(s,u) + d(u,t) */
    uint64_t seed = popi_test_seed(43);
    popi_net_config_t c;
    popi_net_config_default(&c);
    c.n_nodes = 150;
    const uint32_t n = 150, bytes = 300;
    popi_net_t *net = mk(&c, seed, 0);
    popi_net_flood_t *f = mk_flood(net, 2, bytes, 0.1, seed, 0);
    double min_lat = INFINITY, max_bw = 0;
    for (uint32_t k = 0; k < 36; k++)
        min_lat = fmin(min_lat, lat_floor(c.latency_ms[k]));
    for (uint32_t a = 0; a < 6; a++)
        for (uint32_t b = 0; b < 6; b++)
            max_bw = fmax(max_bw, fmin(c.upload_bps[a], c.download_bps[b]));
    const double min_hop_s = 3 * min_lat * 1e-3 + 8.0 * bytes / max_bw;
    uint32_t hops[150], queue[150];
    for (uint32_t r = 0; r < 2; r++) {
        const float *d = f->delay_s + (size_t)r * n * n;
        for (uint32_t s = 0; s < n; s++) {
            bfs_hops(net, s, hops, queue);
            for (uint32_t t = 0; t < n; t++) {
                if (hops[t] == UINT32_MAX) {
                    CHECK(isinf(d[s * n + t]), "unreachable %u -> %u", s, t);
                    continue;
                }
                CHECK(d[s * n + t] >= hops[t] * min_hop_s * (1 - 1e-6),
                      "seed %llu: delay %u -> %u = %g s below %u hops × %g s",
                      (unsigned long long)seed, s, t, (double)d[s * n + t], hops[t], min_hop_s);
                for (uint32_t u = 0; u < n; u++)
                    CHECK(d[s * n + t] <= (d[s * n + u] + d[u * n + t]) * (1 + 1e-6),
                          "seed %llu: d(%u,%u) > d(%u,%u) + d(%u,%u)", (unsigned long long)seed, s,
                          t, s, u, u, t);
            }
        }
    }
    popi_net_flood_free(f);
    popi_net_free(net);
}
END_TEST

static int same_flood(const popi_net_flood_t *a, const popi_net_flood_t *b, uint32_t r)
{
    size_t nn = (size_t)a->n * a->n;
    return memcmp(a->delay_s + r * nn, b->delay_s + r * nn, nn * sizeof *a->delay_s) == 0 &&
           memcmp(a->children + r * nn, b->children + r * nn, nn * sizeof *a->children) == 0;
}

START_TEST(test_flood_determinism)
{
    popi_net_config_t c;
    popi_net_config_default(&c);
    c.n_nodes = 300;
    popi_net_t *net = mk(&c, 5, 0);
    popi_net_flood_t *a = mk_flood(net, 3, 250, 0.1, 5, 0);
    popi_net_flood_t *b = mk_flood(net, 3, 250, 0.1, 5, 0);
    for (uint32_t r = 0; r < 3; r++)
        ck_assert(same_flood(a, b, r));
    /* realisations differ from each other; realisation 0 does not depend on n_real */
    ck_assert(memcmp(a->delay_s, a->delay_s + 300 * 300, 300 * 300 * sizeof(float)) != 0);
    ck_assert(
        memcmp(a->delay_s + 300 * 300, a->delay_s + 2 * 300 * 300, 300 * 300 * sizeof(float)) != 0);
    popi_net_flood_t *one = mk_flood(net, 1, 250, 0.1, 5, 0);
    ck_assert(same_flood(a, one, 0));
    popi_net_flood_free(one);
    /* another seed or run: different */
    popi_net_flood_t *o = mk_flood(net, 1, 250, 0.1, 6, 0);
    ck_assert(memcmp(a->delay_s, o->delay_s, 300 * 300 * sizeof(float)) != 0);
    popi_net_flood_free(o);
    o = mk_flood(net, 1, 250, 0.1, 5, 1);
    ck_assert(memcmp(a->delay_s, o->delay_s, 300 * 300 * sizeof(float)) != 0);
    popi_net_flood_free(o);
    /* 1 thread and 2 threads: byte-identical */
    popi_net_flood_t *t1 = mk_flood_th(net, 3, 250, 0.1, 5, 0, 1);
    popi_net_flood_t *t2 = mk_flood_th(net, 3, 250, 0.1, 5, 0, 2);
    for (uint32_t r = 0; r < 3; r++) {
        ck_assert(same_flood(t1, t2, r));
        ck_assert(same_flood(t1, a, r));
    }
    popi_net_flood_free(t1);
    popi_net_flood_free(t2);
    popi_net_flood_free(a);
    popi_net_flood_free(b);
    popi_net_free(net);
}
END_TEST

START_TEST(test_flood_unreachable)
{
    /* no edges: every other node unreachable, no tree */
    popi_net_config_t c;
    base_config(&c, 20);
    c.topology = POPI_NET_TOPO_ER;
    c.er_mean_degree = 0.0;
    c.constant_ms = 10.0;
    popi_net_t *net = mk(&c, 1, 0);
    ck_assert_uint_eq(popi_net_n_edges(net), 0);
    popi_net_flood_t *f = mk_flood(net, 2, 100, 0.5, 1, 0);
    for (size_t r = 0; r < 2; r++)
        for (size_t s = 0; s < 20; s++)
            for (size_t t = 0; t < 20; t++) {
                size_t i = r * 400 + s * 20 + t;
                if (s == t)
                    ck_assert(f->delay_s[i] == 0.0f);
                else
                    ck_assert(isinf(f->delay_s[i]) && f->delay_s[i] > 0);
                ck_assert_uint_eq(f->children[i], 0);
            }
    popi_net_flood_free(f);
    popi_net_free(net);
    /* one node */
    c.n_nodes = 1;
    net = mk(&c, 1, 0);
    f = mk_flood(net, 3, 100, 0.0, 1, 0);
    for (int r = 0; r < 3; r++)
        ck_assert(f->delay_s[r] == 0.0f && f->children[r] == 0);
    popi_net_flood_free(f);
    popi_net_free(net);
}
END_TEST

START_TEST(test_flood_errors)
{
    popi_net_config_t c;
    base_config(&c, 2);
    popi_net_t *net = mk(&c, 1, 0);
    const struct {
        uint32_t n_real;
        double batch_s;
        int threads;
        const char *field;
    } cases[] = {{0, 0.0, 1, "n_real"},
                 {1, -1e-9, 1, "batch_s"},
                 {1, NAN, 1, "batch_s"},
                 {1, INFINITY, 1, "batch_s"},
                 {1, 0.0, 0, "threads"},
                 {(UINT32_C(1) << 29) + 1, 0.0, 1, "2^31"},
                 {UINT32_MAX, 0.0, 1, "n_real"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        popi_net_flood_t *f = (popi_net_flood_t *)&c; /* must be reset to NULL */
        popi_err_clear();
        popi_err_t rc =
            popi_net_flood_create(net, cases[k].n_real, 10, cases[k].batch_s, 1, 0, cases[k].threads, &f);
        ck_assert_msg(rc == POPI_EINVAL, "case %zu: rc %d", k, (int)rc);
        ck_assert_ptr_null(f);
        ck_assert_msg(strstr(popi_err_message(), cases[k].field) != NULL,
                      "case %zu: message \"%s\" does not name %s", k, popi_err_message(),
                      cases[k].field);
        ck_assert_msg(strstr(popi_err_message(), "popi_net_flood_create") != NULL, "case %zu", k);
    }
    popi_net_free(net);
    popi_net_flood_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_bitcoin_degrees);
    tcase_add_test(tc, test_bitcoin_large_is_small);
    tcase_add_test(tc, test_erdos_renyi);
    tcase_add_test(tc, test_barabasi_albert);
    tcase_add_test(tc, test_watts_strogatz);
    tcase_add_test(tc, test_proximity_matches_brute_force);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_region_shares);
    tcase_add_test(tc, test_send_timing);
    tcase_add_test(tc, test_latency_regions);
    tcase_add_test(tc, test_latency_lognormal);
    tcase_add_test(tc, test_loss);
    tcase_add_test(tc, test_churn_online_fraction);
    tcase_add_test(tc, test_churn_order_independent);
    tcase_add_test(tc, test_offline_loss);
    tcase_add_test(tc, test_partitions);
    tcase_add_test(tc, test_offline_before_partition);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_bytes);
    tcase_add_test(tc, test_flood_constant_hops);
    tcase_add_test(tc, test_flood_bellman_ford);
    tcase_add_test(tc, test_flood_hop_law);
    tcase_add_test(tc, test_flood_regions_bounds);
    tcase_add_test(tc, test_flood_determinism);
    tcase_add_test(tc, test_flood_unreachable);
    tcase_add_test(tc, test_flood_errors);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
