/* SPDX-License-Identifier: MIT */
/*
 * net.c - the simulated P2P network: overlay construction, regions and bandwidth, message timing
 * (serialised uploads, per-message latency), random loss, churn and scheduled partitions.
 *
 * Central structure: popi_net_t. Invariant: the overlay is a CSR (off[n + 1], adj[off[n]]) whose
 * lists are sorted ascending with no self-loops and no repeated neighbour, and symmetric (w is in
 * v's list iff v is in w's); off[n] = 2 × n_edges. Every per-node array has n entries.
 *
 * Random streams (all from (seed, run)): POPI_STREAM_NET draws the bitcoin overlay; sub-streams
 * POPI_STREAM_NET * 1000 + k are k = 1 regions, 2 partition shuffles, 3 per-message draws (loss,
 * latency), 4 the churn key (counter-based, never a generator), 5 the seed of igraph's default RNG
 * for the igraph generators, 6 the flood-delay key (counter-based, popi_net_flood_create: hop
 * delays per directed link, then Dijkstra from every source in parallel). Timing follows SimBlock
 * (Aoki et al., "SimBlock: a blockchain network simulator", IEEE INFOCOM workshops 2019,
 * doi:10.1109/INFCOMW.2019.8845253).
 */
#include "popi/net.h"

#include <gsl/gsl_randist.h>
#include <igraph/igraph.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUB_REGIONS 1u
#define SUB_PARTITIONS 2u
#define SUB_MESSAGES 3u
#define SUB_CHURN 4u
#define SUB_IGRAPH 5u
#define SUB_FLOOD 6u
#define SUBSTREAM(k) ((uint64_t)POPI_STREAM_NET * 1000u + (k))

/* Longest single period, delay or transmission, µs (~36,500 years): keeps sums far from overflow.
 */
#define MAX_SPAN_US 1.0e18

/* One churn period of a node: [start, end), online iff k is even (period 0 is online). */
typedef struct {
    popi_time_t start, end;
    uint64_t k;
} period_t;

struct popi_net {
    uint32_t n;
    uint32_t n_regions;
    uint64_t n_edges;
    uint64_t *off;            /* n + 1 */
    uint32_t *adj;            /* off[n] */
    uint8_t *region;          /* n */
    popi_time_t *upload_free; /* n: when each node's upload is free (queued sends) */
    period_t *churn;          /* n, NULL without churn */
    uint8_t *side;            /* n_partitions × n, partition p at side[p * n] */
    double up_bps[POPI_NET_MAX_REGIONS], down_bps[POPI_NET_MAX_REGIONS];
    /* latency: regions model per pair [ra * n_regions + rb]: scale (µs), 1 / shape, or constant */
    popi_net_latency_t latency;
    double lat_scale_us[POPI_NET_MAX_REGIONS * POPI_NET_MAX_REGIONS];
    double lat_inv_shape[POPI_NET_MAX_REGIONS * POPI_NET_MAX_REGIONS]; /* 0 = constant scale */
    double ln_mu, ln_sigma;                                            /* log-normal, in ln(ms) */
    double constant_us;
    double loss;
    uint64_t churn_key;
    double churn_mean_us[2]; /* [0] online, [1] offline */
    popi_net_partition_t partitions[POPI_NET_MAX_PARTITIONS];
    uint32_t n_partitions;
    popi_rng_t msg_rng;
    popi_net_stats_t stats;
};

/* ---------------------------------------------------------------------------------------------- */
/* names and defaults                                                                             */

static const char *const topo_names[POPI_NET_TOPO__COUNT] = {
    "bitcoin", "erdos_renyi", "barabasi_albert", "watts_strogatz", "proximity"};
static const char *const lat_names[POPI_NET_LAT__COUNT] = {"regions", "lognormal", "constant"};

const char *popi_net_topology_name(popi_net_topology_t t)
{
    return (unsigned)t < POPI_NET_TOPO__COUNT ? topo_names[t] : "?";
}

popi_err_t popi_net_topology_parse(const char *name, popi_net_topology_t *t)
{
    for (unsigned k = 0; name && k < POPI_NET_TOPO__COUNT; k++)
        if (strcmp(name, topo_names[k]) == 0) {
            *t = (popi_net_topology_t)k;
            return POPI_OK;
        }
    return popi_err_set(POPI_ENOTFOUND,
                        "net: unknown topology \"%s\" (bitcoin, erdos_renyi, barabasi_albert, "
                        "watts_strogatz, proximity)",
                        name ? name : "(null)");
}

const char *popi_net_latency_name(popi_net_latency_t m)
{
    return (unsigned)m < POPI_NET_LAT__COUNT ? lat_names[m] : "?";
}

popi_err_t popi_net_latency_parse(const char *name, popi_net_latency_t *m)
{
    for (unsigned k = 0; name && k < POPI_NET_LAT__COUNT; k++)
        if (strcmp(name, lat_names[k]) == 0) {
            *m = (popi_net_latency_t)k;
            return POPI_OK;
        }
    return popi_err_set(POPI_ENOTFOUND,
                        "net: unknown latency model \"%s\" (regions, lognormal, constant)",
                        name ? name : "(null)");
}

void popi_net_config_default(popi_net_config_t *cfg)
{
    /* SimBlock 2019 tables, region order North America, Europe, South America, Asia-Pacific,
     * Japan, Australia; source: dsg-titech/simblock, settings/NetworkConfiguration.java, as
     * quoted in BENCHMARKS.md (B2). Out-degree CDF: Bitcoin 2015, degrees 1..20. */
    static const double lat[6][6] = {{32, 124, 184, 198, 151, 189}, {124, 11, 227, 237, 252, 294},
                                     {184, 227, 88, 325, 301, 322}, {198, 237, 325, 85, 58, 198},
                                     {151, 252, 301, 58, 12, 126},  {189, 294, 322, 198, 126, 16}};
    static const double down[6] = {52e6, 40e6, 18e6, 22.8e6, 22.8e6, 29.9e6};
    static const double up[6] = {19.2e6, 20.7e6, 5.8e6, 15.7e6, 10.2e6, 11.3e6};
    static const double share[6] = {0.3316, 0.4998, 0.0090, 0.1177, 0.0224, 0.0195};
    static const double cdf[20] = {0.025, 0.050, 0.075, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60,  0.70,
                                   0.80,  0.85,  0.90,  0.95, 0.97, 0.97, 0.98, 0.99, 0.995, 1.0};
    memset(cfg, 0, sizeof *cfg);
    cfg->n_nodes = 1000;
    cfg->topology = POPI_NET_TOPO_BITCOIN;
    cfg->n_outdeg = 20;
    memcpy(cfg->outdeg_cdf, cdf, sizeof cdf);
    cfg->er_mean_degree = 8.0;
    cfg->ba_m = 4;
    cfg->ws_k = 4;
    cfg->ws_p = 0.1;
    cfg->proximity_range_m = 50.0;
    cfg->xy = NULL;
    cfg->n_regions = 6;
    for (int a = 0; a < 6; a++) {
        cfg->region_share[a] = share[a];
        cfg->upload_bps[a] = up[a];
        cfg->download_bps[a] = down[a];
        for (int b = 0; b < 6; b++)
            cfg->latency_ms[a * 6 + b] = lat[a][b];
    }
    cfg->latency = POPI_NET_LAT_REGIONS;
    cfg->lognormal_mean_ms = 100.0;
    cfg->lognormal_sigma = 0.5;
    cfg->constant_ms = 0.0;
    cfg->loss = 0.0;
    cfg->churn_online_mean_s = 0.0;
    cfg->churn_offline_mean_s = 0.0;
    cfg->n_partitions = 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* validation                                                                                     */

static popi_err_t check_config(const popi_net_config_t *c)
{
    if (c->n_nodes < 1) return popi_err_set(POPI_EINVAL, "net: net.n_nodes must be >= 1, got 0");
    if ((unsigned)c->topology >= POPI_NET_TOPO__COUNT)
        return popi_err_set(POPI_EINVAL, "net: net.topology must be one of 0..%d, got %d",
                            POPI_NET_TOPO__COUNT - 1, (int)c->topology);
    if ((unsigned)c->latency >= POPI_NET_LAT__COUNT)
        return popi_err_set(POPI_EINVAL, "net: net.latency must be one of 0..%d, got %d",
                            POPI_NET_LAT__COUNT - 1, (int)c->latency);
    const double n = (double)c->n_nodes;
    switch (c->topology) {
    case POPI_NET_TOPO_BITCOIN:
        if (c->n_outdeg < 1 || c->n_outdeg > POPI_NET_MAX_OUTDEG)
            return popi_err_set(POPI_EINVAL, "net: net.n_outdeg must be in [1, %u], got %u",
                                POPI_NET_MAX_OUTDEG, c->n_outdeg);
        for (uint32_t k = 0; k < c->n_outdeg; k++) {
            double p = c->outdeg_cdf[k];
            if (!(p >= 0.0 && p <= 1.0))
                return popi_err_set(POPI_EINVAL,
                                    "net: net.outdeg_cdf[%u] must be in [0, 1], got %g", k, p);
            if (k > 0 && p < c->outdeg_cdf[k - 1])
                return popi_err_set(POPI_EINVAL,
                                    "net: net.outdeg_cdf must be non-decreasing, got %g after %g "
                                    "at index %u",
                                    p, c->outdeg_cdf[k - 1], k);
        }
        if (fabs(c->outdeg_cdf[c->n_outdeg - 1] - 1.0) > 1e-6)
            return popi_err_set(POPI_EINVAL, "net: net.outdeg_cdf must end at 1, got %g",
                                c->outdeg_cdf[c->n_outdeg - 1]);
        break;
    case POPI_NET_TOPO_ER:
        if (!(c->er_mean_degree >= 0.0 && c->er_mean_degree <= n - 1.0))
            return popi_err_set(POPI_EINVAL,
                                "net: net.er_mean_degree must be in [0, n_nodes - 1 = %u], got %g",
                                c->n_nodes - 1, c->er_mean_degree);
        break;
    case POPI_NET_TOPO_BA:
        if (c->ba_m < 1) return popi_err_set(POPI_EINVAL, "net: net.ba_m must be >= 1, got 0");
        break;
    case POPI_NET_TOPO_WS:
        if (c->ws_k < 1 || 2.0 * c->ws_k + 1.0 > n)
            return popi_err_set(
                POPI_EINVAL, "net: net.ws_k must be >= 1 with 2 ws_k + 1 <= n_nodes = %u, got %u",
                c->n_nodes, c->ws_k);
        if (!(c->ws_p >= 0.0 && c->ws_p <= 1.0))
            return popi_err_set(POPI_EINVAL, "net: net.ws_p must be in [0, 1], got %g", c->ws_p);
        break;
    case POPI_NET_TOPO_PROXIMITY:
        if (!(isfinite(c->proximity_range_m) && c->proximity_range_m >= 0.0))
            return popi_err_set(POPI_EINVAL, "net: net.proximity_range_m must be >= 0 m, got %g",
                                c->proximity_range_m);
        if (!c->xy)
            return popi_err_set(POPI_EINVAL,
                                "net: net.xy (node positions) is required by the proximity "
                                "topology, got NULL");
        for (uint64_t k = 0; k < 2 * (uint64_t)c->n_nodes; k++)
            if (!isfinite(c->xy[k]))
                return popi_err_set(POPI_EINVAL,
                                    "net: net.xy must be finite, got %g for the %c of node %llu",
                                    c->xy[k], k % 2 ? 'y' : 'x', (unsigned long long)(k / 2));
        break;
    default:
        break;
    }
    if (c->n_regions < 1 || c->n_regions > POPI_NET_MAX_REGIONS)
        return popi_err_set(POPI_EINVAL, "net: net.n_regions must be in [1, %u], got %u",
                            POPI_NET_MAX_REGIONS, c->n_regions);
    double sum = 0.0;
    for (uint32_t r = 0; r < c->n_regions; r++) {
        if (!(c->region_share[r] >= 0.0 && c->region_share[r] <= 1.0))
            return popi_err_set(POPI_EINVAL, "net: net.region_share[%u] must be in [0, 1], got %g",
                                r, c->region_share[r]);
        sum += c->region_share[r];
        if (!(isfinite(c->upload_bps[r]) && c->upload_bps[r] > 0.0))
            return popi_err_set(POPI_EINVAL, "net: net.upload_bps[%u] must be > 0 bit/s, got %g", r,
                                c->upload_bps[r]);
        if (!(isfinite(c->download_bps[r]) && c->download_bps[r] > 0.0))
            return popi_err_set(POPI_EINVAL, "net: net.download_bps[%u] must be > 0 bit/s, got %g",
                                r, c->download_bps[r]);
    }
    if (fabs(sum - 1.0) > 1e-6)
        return popi_err_set(POPI_EINVAL, "net: net.region_share must sum to 1, got %.9g", sum);
    switch (c->latency) {
    case POPI_NET_LAT_REGIONS:
        for (uint32_t k = 0; k < c->n_regions * c->n_regions; k++)
            if (!(isfinite(c->latency_ms[k]) && c->latency_ms[k] >= 0.0))
                return popi_err_set(POPI_EINVAL,
                                    "net: net.latency_ms[%u][%u] must be >= 0 ms, got %g",
                                    k / c->n_regions, k % c->n_regions, c->latency_ms[k]);
        break;
    case POPI_NET_LAT_LOGNORMAL:
        if (!(isfinite(c->lognormal_mean_ms) && c->lognormal_mean_ms > 0.0))
            return popi_err_set(POPI_EINVAL, "net: net.lognormal_mean_ms must be > 0 ms, got %g",
                                c->lognormal_mean_ms);
        if (!(isfinite(c->lognormal_sigma) && c->lognormal_sigma >= 0.0))
            return popi_err_set(POPI_EINVAL, "net: net.lognormal_sigma must be >= 0, got %g",
                                c->lognormal_sigma);
        break;
    case POPI_NET_LAT_CONSTANT:
        if (!(isfinite(c->constant_ms) && c->constant_ms >= 0.0))
            return popi_err_set(POPI_EINVAL, "net: net.constant_ms must be >= 0 ms, got %g",
                                c->constant_ms);
        break;
    default:
        break;
    }
    if (!(c->loss >= 0.0 && c->loss < 1.0))
        return popi_err_set(POPI_EINVAL, "net: net.loss must be in [0, 1), got %g", c->loss);
    if (!(isfinite(c->churn_online_mean_s) && c->churn_online_mean_s >= 0.0))
        return popi_err_set(POPI_EINVAL,
                            "net: net.churn_online_mean_s must be >= 0 s (0 = no churn), got %g",
                            c->churn_online_mean_s);
    if (c->churn_online_mean_s > 0.0 &&
        !(isfinite(c->churn_offline_mean_s) && c->churn_offline_mean_s > 0.0))
        return popi_err_set(POPI_EINVAL,
                            "net: net.churn_offline_mean_s must be > 0 s when churn is on, got %g",
                            c->churn_offline_mean_s);
    if (c->n_partitions > POPI_NET_MAX_PARTITIONS)
        return popi_err_set(POPI_EINVAL, "net: net.n_partitions must be <= %u, got %u",
                            POPI_NET_MAX_PARTITIONS, c->n_partitions);
    for (uint32_t p = 0; p < c->n_partitions; p++) {
        const popi_net_partition_t *q = &c->partitions[p];
        if (q->t_start < 0 || q->t_start >= q->t_end)
            return popi_err_set(POPI_EINVAL,
                                "net: net.partitions[%u] needs 0 <= t_start < t_end, got t_start = "
                                "%lld us, t_end = %lld us",
                                p, (long long)q->t_start, (long long)q->t_end);
        if (!(q->fraction > 0.0 && q->fraction < 1.0))
            return popi_err_set(POPI_EINVAL,
                                "net: net.partitions[%u].fraction must be in (0, 1), got %g", p,
                                q->fraction);
    }
    return POPI_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* overlay construction                                                                           */

/* Sort a short list of node ids ascending (insertion sort; qsort for long lists). */
static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void sort_u32(uint32_t *v, size_t n)
{
    if (n > 32) {
        qsort(v, n, sizeof *v, cmp_u32);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/*
 * Build the CSR from n_pairs undirected pairs (e[2k], e[2k + 1]): self-loops dropped, repeated
 * pairs (either orientation) kept once, lists sorted. O(n + n_pairs + sorting).
 */
static void build_csr(popi_net_t *net, const uint32_t *e, size_t n_pairs)
{
    const uint32_t n = net->n;
    uint64_t *off = popi_xcalloc((size_t)n + 1, sizeof *off);
    for (size_t k = 0; k < n_pairs; k++) {
        uint32_t a = e[2 * k], b = e[2 * k + 1];
        if (a == b) continue;
        off[a + 1]++;
        off[b + 1]++;
    }
    for (uint32_t v = 0; v < n; v++)
        off[v + 1] += off[v];
    uint32_t *adj = popi_xmalloc((size_t)(off[n] ? off[n] : 1) * sizeof *adj);
    uint64_t *pos = popi_xmalloc((size_t)(n ? n : 1) * sizeof *pos);
    memcpy(pos, off, (size_t)n * sizeof *pos);
    for (size_t k = 0; k < n_pairs; k++) {
        uint32_t a = e[2 * k], b = e[2 * k + 1];
        if (a == b) continue;
        adj[pos[a]++] = b;
        adj[pos[b]++] = a;
    }
    free(pos);
    /* sort each list and drop repeats, compacting in place (the write point never passes the
     * read point) */
    uint64_t w = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint64_t lo = off[v], hi = off[v + 1];
        sort_u32(adj + lo, (size_t)(hi - lo));
        off[v] = w;
        for (uint64_t i = lo; i < hi; i++)
            if (i == lo || adj[i] != adj[i - 1]) adj[w++] = adj[i];
    }
    off[n] = w;
    net->off = off;
    net->adj = popi_xrealloc(adj, (size_t)(w ? w : 1) * sizeof *adj);
    net->n_edges = w / 2;
}

/* Bitcoin/SimBlock overlay: node v in order draws d from the CDF and links to min(d, n - 1)
 * distinct other nodes chosen uniformly (rejection on repeats). */
static void build_bitcoin(popi_net_t *net, const popi_net_config_t *c, uint64_t seed, uint64_t run)
{
    const uint32_t n = net->n;
    popi_rng_t r;
    popi_rng_init(&r, seed, run, POPI_STREAM_NET);
    size_t cap = 0, n_pairs = 0;
    uint32_t *e = NULL;
    uint32_t chosen[POPI_NET_MAX_OUTDEG];
    POPI_GROW(e, cap, 2 * (size_t)n * 8);
    for (uint32_t v = 0; v < n && n > 1; v++) {
        double u = gsl_rng_uniform(r.g);
        uint32_t d = 1;
        while (d < c->n_outdeg && !(u < c->outdeg_cdf[d - 1]))
            d++;
        if (d > n - 1) d = n - 1;
        POPI_GROW(e, cap, 2 * (n_pairs + d));
        for (uint32_t j = 0; j < d;) {
            uint32_t x = (uint32_t)popi_rng_below(&r, n - 1);
            if (x >= v) x++;
            uint32_t i = 0;
            while (i < j && chosen[i] != x)
                i++;
            if (i < j) continue; /* already chosen: draw again */
            chosen[j++] = x;
            e[2 * n_pairs] = v;
            e[2 * n_pairs + 1] = x;
            n_pairs++;
        }
    }
    popi_rng_destroy(&r);
    build_csr(net, e, n_pairs);
    free(e);
}

/* Proximity overlay: every pair at distance <= range, found through a uniform grid whose cells are
 * at least range wide (so partners lie in the 3 × 3 block of cells around a node). */
static void build_proximity(popi_net_t *net, const double *xy, double range)
{
    const uint32_t n = net->n;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (uint32_t v = 0; v < n; v++) {
        x0 = fmin(x0, xy[2 * v]);
        x1 = fmax(x1, xy[2 * v]);
        y0 = fmin(y0, xy[2 * v + 1]);
        y1 = fmax(y1, xy[2 * v + 1]);
    }
    double w = x1 - x0, h = y1 - y0;
    /* cell >= range, and at most ~2n + 16 cells in all; a spread too wide for doubles (w or h
     * infinite) falls back to one cell, still exact */
    double cell = range > 0.0 ? range : fmax(fmax(w, h) / (double)n, 1e-9);
    const double max_cells = 2.0 * (double)n + 16.0;
    double fx = floor(w / cell) + 1.0, fy = floor(h / cell) + 1.0;
    while (fx * fy > max_cells && isfinite(cell)) {
        cell *= 2.0;
        fx = floor(w / cell) + 1.0;
        fy = floor(h / cell) + 1.0;
    }
    if (!(fx >= 1.0 && fy >= 1.0 && fx * fy <= max_cells)) fx = fy = 1.0;
    const uint64_t nx = (uint64_t)fx, ny = (uint64_t)fy;
    const size_t n_cells = (size_t)(nx * ny);
    uint32_t *cx = popi_xmalloc((size_t)n * sizeof *cx), *cy = popi_xmalloc((size_t)n * sizeof *cy);
    size_t *start = popi_xcalloc(n_cells + 1, sizeof *start);
    for (uint32_t v = 0; v < n; v++) {
        /* comparisons clamp to the grid (and send NaN from an infinite cell to cell 0) */
        double i = floor((xy[2 * v] - x0) / cell), j = floor((xy[2 * v + 1] - y0) / cell);
        cx[v] = i > 0.0 ? (uint32_t)(i < fx - 1.0 ? i : fx - 1.0) : 0;
        cy[v] = j > 0.0 ? (uint32_t)(j < fy - 1.0 ? j : fy - 1.0) : 0;
        start[(size_t)cy[v] * nx + cx[v] + 1]++;
    }
    for (size_t k = 0; k < n_cells; k++)
        start[k + 1] += start[k];
    uint32_t *order = popi_xmalloc((size_t)n * sizeof *order);
    size_t *fill = popi_xmalloc(n_cells * sizeof *fill);
    memcpy(fill, start, n_cells * sizeof *fill);
    for (uint32_t v = 0; v < n; v++)
        order[fill[(size_t)cy[v] * nx + cx[v]]++] = v;
    free(fill);
    const double r2 = range * range;
    size_t cap = 0, n_pairs = 0;
    uint32_t *e = NULL;
    for (uint32_t v = 0; v < n; v++) {
        const double xv = xy[2 * v], yv = xy[2 * v + 1];
        uint64_t ilo = cx[v] ? cx[v] - 1 : 0, ihi = cx[v] + 1 < nx ? cx[v] + 1 : nx - 1;
        uint64_t jlo = cy[v] ? cy[v] - 1 : 0, jhi = cy[v] + 1 < ny ? cy[v] + 1 : ny - 1;
        for (uint64_t j = jlo; j <= jhi; j++)
            for (uint64_t i = ilo; i <= ihi; i++) {
                size_t c = (size_t)(j * nx + i);
                for (size_t k = start[c]; k < start[c + 1]; k++) {
                    uint32_t u = order[k];
                    if (u <= v) continue; /* each pair once, from its lower end */
                    double dx = xy[2 * u] - xv, dy = xy[2 * u + 1] - yv;
                    if (dx * dx + dy * dy <= r2) {
                        POPI_GROW(e, cap, 2 * (n_pairs + 1));
                        e[2 * n_pairs] = v;
                        e[2 * n_pairs + 1] = u;
                        n_pairs++;
                    }
                }
            }
    }
    free(cx);
    free(cy);
    free(start);
    free(order);
    build_csr(net, e, n_pairs);
    free(e);
}

/* ER, BA and WS through igraph's generators, igraph's default RNG seeded from (seed, run) right
 * before the call. Runs inside the critical section popi_igraph (igraph keeps global state). */
static popi_err_t build_igraph(popi_net_t *net, const popi_net_config_t *c, uint64_t seed,
                               uint64_t run)
{
    const igraph_integer_t n = (igraph_integer_t)net->n;
    igraph_t g;
    igraph_error_t ig;
    igraph_error_handler_t *old = igraph_set_error_handler(igraph_error_handler_ignore);
    igraph_rng_seed(igraph_rng_default(),
                    (igraph_uint_t)popi_rng_key3(seed, run, SUBSTREAM(SUB_IGRAPH)));
    const char *what;
    switch (c->topology) {
    case POPI_NET_TOPO_ER:
        what = "igraph_erdos_renyi_game_gnp";
        ig = igraph_erdos_renyi_game_gnp(&g, n, n > 1 ? c->er_mean_degree / (double)(n - 1) : 0.0,
                                         IGRAPH_UNDIRECTED, false);
        break;
    case POPI_NET_TOPO_BA:
        what = "igraph_barabasi_game";
        ig = igraph_barabasi_game(&g, n, 1.0, (igraph_integer_t)c->ba_m, NULL, false, 1.0,
                                  IGRAPH_UNDIRECTED, IGRAPH_BARABASI_PSUMTREE, NULL);
        break;
    default:
        what = "igraph_watts_strogatz_game";
        ig = igraph_watts_strogatz_game(&g, 1, n, (igraph_integer_t)c->ws_k, c->ws_p, false, false);
        break;
    }
    popi_err_t rc = POPI_OK;
    if (ig != IGRAPH_SUCCESS) {
        rc = popi_err_set(POPI_ELIB, "net: %s failed for %lld nodes: %s", what, (long long)n,
                          igraph_strerror(ig));
        goto out;
    }
    igraph_vector_int_t el;
    if ((ig = igraph_vector_int_init(&el, 0)) != IGRAPH_SUCCESS) {
        igraph_destroy(&g);
        rc = popi_err_set(POPI_ELIB, "net: igraph_vector_int_init failed: %s", igraph_strerror(ig));
        goto out;
    }
    if ((ig = igraph_get_edgelist(&g, &el, false)) != IGRAPH_SUCCESS) {
        igraph_destroy(&g);
        igraph_vector_int_destroy(&el);
        rc = popi_err_set(POPI_ELIB, "net: igraph_get_edgelist failed: %s", igraph_strerror(ig));
        goto out;
    }
    igraph_destroy(&g);
    size_t m = (size_t)igraph_vector_int_size(&el);
    uint32_t *e = popi_xmalloc((m ? m : 1) * sizeof *e);
    for (size_t k = 0; k < m; k++)
        e[k] = (uint32_t)VECTOR(el)[k];
    igraph_vector_int_destroy(&el);
    build_csr(net, e, m / 2);
    free(e);
out:
    igraph_set_error_handler(old);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* churn                                                                                          */

/* Saturating a + d for 0 <= d <= MAX_SPAN_US (POPI_TIME_NEVER stays NEVER). */
static inline popi_time_t sat_add(popi_time_t a, double d)
{
    popi_time_t di = (popi_time_t)d;
    return a > POPI_TIME_NEVER - di ? POPI_TIME_NEVER : a + di;
}

/* Length of period k of node v, µs: exponential with the online (k even) or offline (k odd) mean,
 * from the counter-based key (churn key, v, k), rounded and at least 1 µs so that every period
 * boundary is a change of state. */
static popi_time_t period_len(const popi_net_t *net, uint32_t v, uint64_t k)
{
    double u = popi_rng_hash_uniform(popi_rng_key3(net->churn_key, v, k));
    double d = floor(-net->churn_mean_us[k & 1] * log(u) + 0.5);
    if (d < 1.0) d = 1.0;
    if (d > MAX_SPAN_US) d = MAX_SPAN_US;
    return (popi_time_t)d;
}

/* The period of v containing t (t < 0 counts as 0), moving v's cached period. Forward moves cost
 * the periods crossed; a time before the cached period replays v's periods from period 0. */
static const period_t *period_at(popi_net_t *net, uint32_t v, popi_time_t t)
{
    period_t *c = &net->churn[v];
    if (t < c->start) {
        if (t < 0) t = 0;
        if (t < c->start) *c = (period_t){0, period_len(net, v, 0), 0};
    }
    while (t >= c->end && c->end != POPI_TIME_NEVER) {
        c->k++;
        c->start = c->end;
        c->end = sat_add(c->start, (double)period_len(net, v, c->k));
    }
    return c;
}

/* ---------------------------------------------------------------------------------------------- */
/* creation                                                                                       */

popi_err_t popi_net_create(const popi_net_config_t *cfg, uint64_t seed, uint64_t run,
                           popi_net_t **out)
{
    *out = NULL;
    popi_err_t rc = check_config(cfg);
    if (rc) return rc;
    popi_net_t *net = popi_xcalloc(1, sizeof *net);
    const uint32_t n = cfg->n_nodes, nr = cfg->n_regions;
    net->n = n;
    net->n_regions = nr;

    switch (cfg->topology) {
    case POPI_NET_TOPO_BITCOIN:
        build_bitcoin(net, cfg, seed, run);
        break;
    case POPI_NET_TOPO_PROXIMITY:
        build_proximity(net, cfg->xy, cfg->proximity_range_m);
        break;
    default:
#ifdef _OPENMP
#pragma omp critical(popi_igraph)
#endif
        rc = build_igraph(net, cfg, seed, run);
        if (rc) goto fail;
        break;
    }

    /* regions: one uniform per node in index order against the cumulative shares */
    double cum[POPI_NET_MAX_REGIONS];
    double acc = 0.0;
    for (uint32_t r = 0; r < nr; r++) {
        acc += cfg->region_share[r];
        cum[r] = acc;
        net->up_bps[r] = cfg->upload_bps[r];
        net->down_bps[r] = cfg->download_bps[r];
    }
    uint32_t last = nr - 1; /* the last region with a positive share takes what rounding leaves */
    while (last > 0 && cfg->region_share[last] == 0.0)
        last--;
    cum[last] = INFINITY;
    net->region = popi_xmalloc((size_t)n);
    popi_rng_t rr;
    popi_rng_init(&rr, seed, run, SUBSTREAM(SUB_REGIONS));
    for (uint32_t v = 0; v < n; v++) {
        double u = gsl_rng_uniform(rr.g);
        uint32_t r = 0;
        while (!(u < cum[r]))
            r++;
        net->region[v] = (uint8_t)r;
    }
    popi_rng_destroy(&rr);

    /* latency */
    net->latency = cfg->latency;
    for (uint32_t k = 0; k < nr * nr; k++) {
        double m = cfg->latency_ms[k];
        if (m <= 5.0) { /* scale m - 5 <= 0, shape 0.2 m <= 1: no Pareto, constant m */
            net->lat_scale_us[k] = m * 1000.0;
            net->lat_inv_shape[k] = 0.0;
        } else {
            net->lat_scale_us[k] = (m - 5.0) * 1000.0;
            net->lat_inv_shape[k] = 1.0 / (0.2 * m);
        }
    }
    net->ln_sigma = cfg->lognormal_sigma;
    net->ln_mu = log(cfg->lognormal_mean_ms) - 0.5 * cfg->lognormal_sigma * cfg->lognormal_sigma;
    net->constant_us = cfg->constant_ms * 1000.0;
    net->loss = cfg->loss;
    popi_rng_init(&net->msg_rng, seed, run, SUBSTREAM(SUB_MESSAGES));
    net->upload_free = popi_xcalloc((size_t)n, sizeof *net->upload_free);

    /* churn: first periods drawn now, later ones on demand */
    if (cfg->churn_online_mean_s > 0.0) {
        net->churn_key = popi_rng_key3(seed, run, SUBSTREAM(SUB_CHURN));
        net->churn_mean_us[0] = cfg->churn_online_mean_s * 1e6;
        net->churn_mean_us[1] = cfg->churn_offline_mean_s * 1e6;
        net->churn = popi_xmalloc((size_t)n * sizeof *net->churn);
    }

    /* partitions: one shuffle of 0..n-1 per partition, in order, from one stream */
    net->n_partitions = cfg->n_partitions;
    if (cfg->n_partitions) {
        memcpy(net->partitions, cfg->partitions, cfg->n_partitions * sizeof *cfg->partitions);
        net->side = popi_xcalloc((size_t)cfg->n_partitions * n, 1);
        uint32_t *perm = popi_xmalloc((size_t)n * sizeof *perm);
        popi_rng_t pr;
        popi_rng_init(&pr, seed, run, SUBSTREAM(SUB_PARTITIONS));
        for (uint32_t p = 0; p < cfg->n_partitions; p++) {
            for (uint32_t v = 0; v < n; v++)
                perm[v] = v;
            gsl_ran_shuffle(pr.g, perm, n, sizeof *perm);
            uint64_t n1 = (uint64_t)llround(cfg->partitions[p].fraction * (double)n);
            for (uint64_t k = 0; k < n1; k++)
                net->side[(size_t)p * n + perm[k]] = 1;
        }
        popi_rng_destroy(&pr);
        free(perm);
    }
    if (net->churn) /* every node starts in its online period 0 */
        for (uint32_t v = 0; v < n; v++)
            net->churn[v] = (period_t){0, period_len(net, v, 0), 0};
    *out = net;
    return POPI_OK;
fail:
    popi_net_free(net);
    return rc;
}

void popi_net_free(popi_net_t *net)
{
    if (!net) return;
    free(net->off);
    free(net->adj);
    free(net->region);
    free(net->upload_free);
    free(net->churn);
    free(net->side);
    popi_rng_destroy(&net->msg_rng);
    free(net);
}

/* ---------------------------------------------------------------------------------------------- */
/* queries                                                                                        */

uint32_t popi_net_n_nodes(const popi_net_t *net)
{
    return net->n;
}

uint64_t popi_net_n_edges(const popi_net_t *net)
{
    return net->n_edges;
}

uint32_t popi_net_degree(const popi_net_t *net, uint32_t v)
{
    POPI_ASSERT(v < net->n);
    return (uint32_t)(net->off[v + 1] - net->off[v]);
}

const uint32_t *popi_net_neighbours(const popi_net_t *net, uint32_t v, uint32_t *n)
{
    POPI_ASSERT(v < net->n);
    *n = (uint32_t)(net->off[v + 1] - net->off[v]);
    return net->adj + net->off[v];
}

uint32_t popi_net_region(const popi_net_t *net, uint32_t v)
{
    POPI_ASSERT(v < net->n);
    return net->region[v];
}

double popi_net_upload_bps(const popi_net_t *net, uint32_t v)
{
    POPI_ASSERT(v < net->n);
    return net->up_bps[net->region[v]];
}

double popi_net_download_bps(const popi_net_t *net, uint32_t v)
{
    POPI_ASSERT(v < net->n);
    return net->down_bps[net->region[v]];
}

bool popi_net_online(popi_net_t *net, uint32_t v, popi_time_t t)
{
    POPI_ASSERT(v < net->n);
    if (!net->churn) return true;
    return (period_at(net, v, t)->k & 1) == 0;
}

popi_time_t popi_net_next_churn(popi_net_t *net, uint32_t v, popi_time_t t)
{
    POPI_ASSERT(v < net->n);
    if (!net->churn) return POPI_TIME_NEVER;
    return period_at(net, v, t)->end;
}

bool popi_net_has_churn(const popi_net_t *net) { return net->churn != NULL; }

bool popi_net_unreliable(const popi_net_t *net)
{
    return net->loss > 0 || net->churn != NULL || net->n_partitions > 0;
}

uint32_t popi_net_n_partitions(const popi_net_t *net) { return net->n_partitions; }

const popi_net_partition_t *popi_net_partition(const popi_net_t *net, uint32_t p)
{
    POPI_ASSERT(p < net->n_partitions);
    return &net->partitions[p];
}

int popi_net_partition_side(const popi_net_t *net, uint32_t p, uint32_t v)
{
    POPI_ASSERT(p < net->n_partitions && v < net->n);
    return net->side[(size_t)p * net->n + v];
}

bool popi_net_partitioned(const popi_net_t *net, uint32_t a, uint32_t b, popi_time_t t)
{
    POPI_ASSERT(a < net->n && b < net->n);
    for (uint32_t p = 0; p < net->n_partitions; p++) {
        const popi_net_partition_t *q = &net->partitions[p];
        if (t >= q->t_start && t < q->t_end) {
            const uint8_t *s = net->side + (size_t)p * net->n;
            if (s[a] != s[b]) return true;
        }
    }
    return false;
}

/* One latency draw for a delivered message from region ra to region rb, µs. */
static inline double latency_us(popi_net_t *net, uint32_t ra, uint32_t rb)
{
    double us;
    switch (net->latency) {
    case POPI_NET_LAT_REGIONS: {
        uint32_t k = ra * net->n_regions + rb;
        double inv_shape = net->lat_inv_shape[k];
        if (inv_shape == 0.0) return net->lat_scale_us[k];
        double u = 1.0 - gsl_rng_uniform(net->msg_rng.g);     /* (0, 1] */
        us = net->lat_scale_us[k] * exp(-inv_shape * log(u)); /* scale / u^(1/shape) */
        break;
    }
    case POPI_NET_LAT_LOGNORMAL:
        us = 1000.0 * gsl_ran_lognormal(net->msg_rng.g, net->ln_mu, net->ln_sigma);
        break;
    default:
        return net->constant_us;
    }
    return us < MAX_SPAN_US ? us : MAX_SPAN_US;
}

popi_time_t popi_net_send(popi_net_t *net, uint32_t a, uint32_t b, uint64_t bytes, popi_time_t now,
                          bool queued)
{
    return popi_net_send_timed(net, a, b, bytes, now, queued, NULL);
}

popi_time_t popi_net_send_timed(popi_net_t *net, uint32_t a, uint32_t b, uint64_t bytes,
                                popi_time_t now, bool queued, popi_net_timing_t *timing)
{
    POPI_ASSERT(a < net->n && b < net->n && a != b);
    net->stats.n_sent++;
    net->stats.bytes_sent += bytes;
    const uint32_t ra = net->region[a], rb = net->region[b];
    const double up = net->up_bps[ra], down = net->down_bps[rb];
    const double bw = up < down ? up : down;
    double tx = ceil(8e6 * (double)bytes / bw); /* µs; one division so exact quotients stay exact */
    if (tx > MAX_SPAN_US) tx = MAX_SPAN_US;
    popi_time_t start = now;
    if (queued) {
        if (net->upload_free[a] > start) start = net->upload_free[a];
    }
    const popi_time_t tx_end = sat_add(start, tx);
    if (queued) net->upload_free[a] = tx_end; /* lost messages occupy the upload too */
    if (timing) {
        timing->start = start;
        timing->tx_end = tx_end;
        timing->bps = bw;
    }
    if (net->churn && (!popi_net_online(net, a, now) || !popi_net_online(net, b, now))) {
        net->stats.n_lost_offline++;
        return POPI_NET_LOST;
    }
    if (net->n_partitions && popi_net_partitioned(net, a, b, now)) {
        net->stats.n_lost_partition++;
        return POPI_NET_LOST;
    }
    if (net->loss > 0.0 && gsl_rng_uniform(net->msg_rng.g) < net->loss) {
        net->stats.n_lost_random++;
        return POPI_NET_LOST;
    }
    return sat_add(tx_end, floor(latency_us(net, ra, rb) + 0.5));
}

const popi_net_stats_t *popi_net_stats(const popi_net_t *net)
{
    return &net->stats;
}

size_t popi_net_bytes(const popi_net_t *net)
{
    size_t n = net->n;
    size_t b = sizeof *net;
    b += (n + 1) * sizeof *net->off + (size_t)net->off[n] * sizeof *net->adj;
    b += n * sizeof *net->region + n * sizeof *net->upload_free;
    if (net->churn) b += n * sizeof *net->churn;
    b += (size_t)net->n_partitions * n;
    return b;
}

/* ---------------------------------------------------------------------------------------------- */
/* flood delays                                                                                   */

#define FLOOD_MAX_ENTRIES (UINT64_C(1) << 31)
#define FLOOD_NONE UINT32_MAX        /* no parent / not in the heap */
#define FLOOD_DONE (UINT32_MAX - 1u) /* settled (heap position marker) */

/* One latency draw from region ra to region rb, µs, from the uniform of a counter-based key: the
 * law of latency_us by inverse CDF (Pareto closed form, log-normal through the normal quantile,
 * constant), not the same numbers. */
static double flood_latency_us(const popi_net_t *net, uint32_t ra, uint32_t rb, uint64_t key)
{
    double us;
    switch (net->latency) {
    case POPI_NET_LAT_REGIONS: {
        uint32_t k = ra * net->n_regions + rb;
        double inv_shape = net->lat_inv_shape[k];
        if (inv_shape == 0.0) return net->lat_scale_us[k];
        double u = popi_rng_hash_uniform(key);                /* (0, 1) */
        us = net->lat_scale_us[k] * exp(-inv_shape * log(u)); /* scale / u^(1/shape) */
        break;
    }
    case POPI_NET_LAT_LOGNORMAL:
        us = 1000.0 * exp(net->ln_mu + net->ln_sigma * popi_rng_hash_gaussian(key));
        break;
    default:
        return net->constant_us;
    }
    return us < MAX_SPAN_US ? us : MAX_SPAN_US;
}

/* Hop delays of realisation r for every directed link, µs: w[e] for u -> adj[e], e in
 * off[u] .. off[u + 1] - 1. Each link's draws are keyed by (key, r, u, v, k). */
static void flood_weights(const popi_net_t *net, uint64_t key, uint32_t r, uint32_t bytes,
                          double batch_us, double *w)
{
    const int64_t n = net->n;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (int64_t iu = 0; iu < n; iu++) {
        const uint32_t u = (uint32_t)iu, ru = net->region[u];
        const uint64_t ku = popi_rng_key3(key, r, u);
        const double up = net->up_bps[ru];
        for (uint64_t e = net->off[u]; e < net->off[u + 1]; e++) {
            const uint32_t v = net->adj[e], rv = net->region[v];
            const double down = net->down_bps[rv];
            double tx = 8e6 * (double)bytes / (up < down ? up : down);
            double wait = batch_us * popi_rng_hash_uniform(popi_rng_key3(ku, v, 0));
            double h = (wait < MAX_SPAN_US ? wait : MAX_SPAN_US) +
                       flood_latency_us(net, ru, rv, popi_rng_key3(ku, v, 1)) + /* INV */
                       flood_latency_us(net, rv, ru, popi_rng_key3(ku, v, 2)) + /* GETTX */
                       flood_latency_us(net, ru, rv, popi_rng_key3(ku, v, 3)) + /* TX */
                       (tx < MAX_SPAN_US ? tx : MAX_SPAN_US);
            w[e] = h;
        }
    }
}

/* Per-thread Dijkstra scratch, n entries each. heap holds node ids ordered by (dist, id); pos[v]
 * is v's index in heap, FLOOD_NONE (never reached) or FLOOD_DONE (settled). */
typedef struct {
    double *dist;
    uint32_t *parent, *heap, *pos;
} flood_scratch_t;

static inline bool flood_before(const double *d, uint32_t a, uint32_t b)
{
    return d[a] < d[b] || (d[a] == d[b] && a < b);
}

static void flood_sift_up(flood_scratch_t *sc, uint32_t i)
{
    uint32_t *h = sc->heap, *pos = sc->pos;
    const uint32_t v = h[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!flood_before(sc->dist, v, h[p])) break;
        h[i] = h[p];
        pos[h[i]] = i;
        i = p;
    }
    h[i] = v;
    pos[v] = i;
}

static void flood_sift_down(flood_scratch_t *sc, uint32_t i, uint32_t size)
{
    uint32_t *h = sc->heap, *pos = sc->pos;
    const uint32_t v = h[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= size) break;
        if (c + 1 < size && flood_before(sc->dist, h[c + 1], h[c])) c++;
        if (!flood_before(sc->dist, h[c], v)) break;
        h[i] = h[c];
        pos[h[i]] = i;
        i = c;
    }
    h[i] = v;
    pos[v] = i;
}

/* Dijkstra from s over the directed links weighted by w (µs): delays (s) into drow[n], tree
 * children counts into crow[n]. O(edges log n). */
static void flood_source(const popi_net_t *net, const double *w, uint32_t s, flood_scratch_t *sc,
                         float *drow, uint16_t *crow)
{
    const uint32_t n = net->n;
    double *dist = sc->dist;
    uint32_t *parent = sc->parent, *heap = sc->heap, *pos = sc->pos;
    for (uint32_t v = 0; v < n; v++) {
        dist[v] = INFINITY;
        parent[v] = FLOOD_NONE;
        pos[v] = FLOOD_NONE;
    }
    dist[s] = 0.0;
    heap[0] = s;
    pos[s] = 0;
    uint32_t size = 1;
    while (size) {
        const uint32_t u = heap[0];
        if (--size) {
            heap[0] = heap[size];
            flood_sift_down(sc, 0, size);
        }
        pos[u] = FLOOD_DONE;
        const double du = dist[u];
        for (uint64_t e = net->off[u]; e < net->off[u + 1]; e++) {
            const uint32_t t = net->adj[e];
            if (pos[t] == FLOOD_DONE) continue; /* keeps the tree acyclic with zero-delay hops */
            const double d = du + w[e];
            if (d < dist[t]) {
                dist[t] = d;
                parent[t] = u;
                if (pos[t] == FLOOD_NONE) {
                    heap[size] = t;
                    pos[t] = size++;
                }
                flood_sift_up(sc, pos[t]);
            } else if (d == dist[t] && u < parent[t]) {
                parent[t] = u; /* ties: the smallest predecessor id */
            }
        }
    }
    memset(crow, 0, (size_t)n * sizeof *crow);
    for (uint32_t t = 0; t < n; t++) {
        drow[t] = isinf(dist[t]) ? INFINITY : (float)(dist[t] * 1e-6);
        if (parent[t] != FLOOD_NONE) crow[parent[t]]++; /* <= n - 1 < 2^16: n² <= 2^31 */
    }
}

popi_err_t popi_net_flood_create(const popi_net_t *net, uint32_t n_real, uint32_t bytes,
                                 double batch_s, uint64_t seed, uint64_t run, int threads,
                                 popi_net_flood_t **out)
{
    POPI_ASSERT(net && out);
    *out = NULL;
    const uint32_t n = net->n;
    if (n_real == 0)
        return popi_err_set(POPI_EINVAL, "net: popi_net_flood_create: n_real must be >= 1, got 0");
    if (!(isfinite(batch_s) && batch_s >= 0.0))
        return popi_err_set(POPI_EINVAL,
                            "net: popi_net_flood_create: batch_s must be finite and >= 0 s, got %g",
                            batch_s);
    if (threads < 1)
        return popi_err_set(POPI_EINVAL, "net: popi_net_flood_create: threads must be >= 1, got %d",
                            threads);
    const uint64_t nn = (uint64_t)n * n;
    if (nn > FLOOD_MAX_ENTRIES || n_real > FLOOD_MAX_ENTRIES / nn)
        return popi_err_set(POPI_EINVAL,
                            "net: popi_net_flood_create: n_real × n² = %u × %u² = %.6g entries is "
                            "above the limit of 2^31 (%.3g GB at 6 bytes each); use fewer "
                            "realisations (n_real) or nodes",
                            n_real, n, (double)n_real * (double)nn,
                            6e-9 * (double)n_real * (double)nn);
    popi_net_flood_t *f = popi_xcalloc(1, sizeof *f);
    f->n_real = n_real;
    f->n = n;
    const size_t total = (size_t)n_real * (size_t)nn;
    f->delay_s = popi_xmalloc(total * sizeof *f->delay_s);
    f->children = popi_xmalloc(total * sizeof *f->children);
    double *w = popi_xmalloc((size_t)(net->off[n] ? net->off[n] : 1) * sizeof *w);
    const uint64_t key = popi_rng_key3(seed, run, SUBSTREAM(SUB_FLOOD));
    const double batch_us = batch_s * 1e6;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        flood_scratch_t sc;
        sc.dist = popi_xmalloc((size_t)n * sizeof *sc.dist);
        sc.parent = popi_xmalloc((size_t)n * sizeof *sc.parent);
        sc.heap = popi_xmalloc((size_t)n * sizeof *sc.heap);
        sc.pos = popi_xmalloc((size_t)n * sizeof *sc.pos);
        for (uint32_t r = 0; r < n_real; r++) {
            flood_weights(net, key, r, bytes, batch_us, w); /* ends with a barrier */
            const size_t base = (size_t)r * (size_t)nn;
#ifdef _OPENMP
#pragma omp for schedule(dynamic)
#endif
            for (int64_t is = 0; is < (int64_t)n; is++) {
                const size_t row = base + (size_t)is * n;
                flood_source(net, w, (uint32_t)is, &sc, f->delay_s + row, f->children + row);
            } /* barrier: w is rewritten only once every source of r is done */
        }
        free(sc.dist);
        free(sc.parent);
        free(sc.heap);
        free(sc.pos);
    }
    free(w);
    *out = f;
    return POPI_OK;
}

void popi_net_flood_free(popi_net_flood_t *f)
{
    if (!f) return;
    free(f->delay_s);
    free(f->children);
    free(f);
}
