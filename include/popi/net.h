/* SPDX-License-Identifier: MIT */
/*
 * net.h - the simulated peer-to-peer network: an overlay graph, per-node region and bandwidth,
 * per-message latency, serialised uploads, loss, churn and scheduled partitions.
 *
 * The network knows nothing of blocks or transactions: it moves opaque messages of a given size
 * between nodes and says when (or whether) each one arrives. The caller (the gossip layer in
 * consensus/node) schedules the delivery event itself.
 *
 * Central structure: popi_net_t. The overlay is undirected and stored as a CSR adjacency
 * (neighbours of node v are adj[off[v] .. off[v+1]-1], sorted ascending, no self-loops, no
 * multi-edges), built at creation (igraph's generators for ER, BA and WS; bitcoin and proximity
 * directly) and never changed; churn and partitions do not remove edges, they make messages on
 * them fail. Timing of one message from a to b of B bytes sent at time t (SimBlock's model):
 *   bw      = min(upload_bps[a], download_bps[b])
 *   start   = queued ? max(t, upload_free[a]) : t      (queued: a node sends one payload at a time)
 *   tx_end  = start + ceil(8 B / bw seconds, in whole µs) (upload_free[a] = tx_end if queued)
 *   arrival = tx_end + latency(a, b)                    (one draw per message)
 * The message is lost (POPI_NET_LOST) with probability loss, or when either end is offline at
 * send time, or when a partition active at send time separates a and b. Lost messages still
 * occupy the sender's upload when queued (the sender does not know). Loss causes are checked in
 * the order offline, partition, random, and each loss is counted under the first that applies.
 * Deterministic: every random draw comes from the net's own RNG streams in the order of calls; a
 * send draws one uniform for the loss only when loss > 0 and the message survived the offline and
 * partition checks, and draws its latency only when it is delivered.
 */
#ifndef POPI_NET_H
#define POPI_NET_H

#include "popi/common.h"
#include "popi/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Overlay topologies. */
typedef enum {
    POPI_NET_TOPO_BITCOIN = 0,   /**< each node opens an out-degree drawn from a CDF to distinct
                                      random nodes (SimBlock/Bitcoin); edges are undirected */
    POPI_NET_TOPO_ER = 1,        /**< Erdős–Rényi G(n, p) with p = mean_degree / (n - 1) */
    POPI_NET_TOPO_BA = 2,        /**< Barabási–Albert, ba_m edges per new node */
    POPI_NET_TOPO_WS = 3,        /**< Watts–Strogatz ring lattice, ws_k neighbours per side,
                                      rewiring probability ws_p */
    POPI_NET_TOPO_PROXIMITY = 4, /**< nodes within proximity_range_m of each other (positions
                                      given), plus nothing else */
    POPI_NET_TOPO__COUNT
} popi_net_topology_t;

/** "bitcoin", "erdos_renyi", "barabasi_albert", "watts_strogatz", "proximity". */
const char *popi_net_topology_name(popi_net_topology_t t);
/** Parse a topology name; POPI_ENOTFOUND naming @p name if unknown. */
popi_err_t popi_net_topology_parse(const char *name, popi_net_topology_t *t);

/** Per-message latency models. */
typedef enum {
    POPI_NET_LAT_REGIONS = 0, /**< SimBlock: mean m = latency_ms[region a][region b] (ms);
                                   latency = (m − 5) / U^(1 / (0.2 m)) ms with U uniform on
                                   (0, 1], a Pareto of shape 0.2 m and scale m − 5 whose mean
                                   is m (BENCHMARKS.md B2); m <= 5 ms gives the constant m
                                   (no Pareto has that scale and shape) */
    POPI_NET_LAT_LOGNORMAL = 1, /**< mobile links: log-normal with the given mean (ms) and sigma
                                     of the underlying normal */
    POPI_NET_LAT_CONSTANT = 2,  /**< every message takes exactly constant_ms (0 allowed) */
    POPI_NET_LAT__COUNT
} popi_net_latency_t;

/** "regions", "lognormal", "constant". */
const char *popi_net_latency_name(popi_net_latency_t m);
/** Parse a latency model name; POPI_ENOTFOUND naming @p name if unknown. */
popi_err_t popi_net_latency_parse(const char *name, popi_net_latency_t *m);

#define POPI_NET_MAX_REGIONS 16u
#define POPI_NET_MAX_OUTDEG 64u
#define POPI_NET_MAX_PARTITIONS 16u

/** A scheduled partition: during [t_start, t_end) the nodes are split into two sides. */
typedef struct {
    popi_time_t t_start, t_end; /**< µs, t_start < t_end */
    double fraction;            /**< share of nodes on side 1 (0 < fraction < 1): nodes
                                     0 .. round(fraction × n) − 1 after a seeded shuffle */
} popi_net_partition_t;

/** What a network is built from. popi_net_config_default fills every field. */
typedef struct {
    uint32_t n_nodes; /**< >= 1 */
    popi_net_topology_t topology;
    /* bitcoin */
    double outdeg_cdf[POPI_NET_MAX_OUTDEG]; /**< CDF of out-degree 1..n_outdeg (last = 1) */
    uint32_t n_outdeg;
    /* erdos_renyi */
    double er_mean_degree;
    /* barabasi_albert */
    uint32_t ba_m;
    /* watts_strogatz */
    uint32_t ws_k;
    double ws_p;
    /* proximity */
    double proximity_range_m;
    const double *xy; /**< 2 × n_nodes positions (x0, y0, x1, y1, ...), borrowed at creation
                           only; required for proximity */
    /* regions and bandwidth */
    uint32_t n_regions;                         /**< 1..POPI_NET_MAX_REGIONS */
    double region_share[POPI_NET_MAX_REGIONS];  /**< node share by region (sums to 1) */
    double latency_ms[POPI_NET_MAX_REGIONS * POPI_NET_MAX_REGIONS]; /**< [a * n_regions + b] */
    double upload_bps[POPI_NET_MAX_REGIONS];    /**< per region, bit/s, > 0 */
    double download_bps[POPI_NET_MAX_REGIONS];  /**< per region, bit/s, > 0 */
    /* latency */
    popi_net_latency_t latency;
    double lognormal_mean_ms; /**< mean of the log-normal model, ms (> 0) */
    double lognormal_sigma;   /**< sigma of the underlying normal (>= 0) */
    double constant_ms;       /**< constant model, ms (>= 0) */
    /* failures */
    double loss;                /**< probability a message is lost, [0, 1) */
    double churn_online_mean_s; /**< mean online period, s; 0 = no churn */
    double churn_offline_mean_s;/**< mean offline period, s (> 0 when churn is on) */
    popi_net_partition_t partitions[POPI_NET_MAX_PARTITIONS];
    uint32_t n_partitions;
} popi_net_config_t;

/**
 * Defaults: 1000 nodes, bitcoin topology with the Bitcoin-2015 out-degree CDF, SimBlock's 2019
 * six regions (shares, latency matrix, bandwidths; BENCHMARKS.md), regions latency model,
 * lognormal mean 100 ms sigma 0.5, constant 0 ms, no loss, no churn, no partitions,
 * er_mean_degree 8, ba_m 4, ws_k 4, ws_p 0.1, proximity range 50 m.
 */
void popi_net_config_default(popi_net_config_t *cfg);

/** Result of a send: the arrival time, or POPI_NET_LOST. */
#define POPI_NET_LOST POPI_TIME_NEVER

/** Why a message was lost (counters in popi_net_stats_t). */
typedef struct {
    uint64_t n_sent;           /**< messages offered to popi_net_send */
    uint64_t n_lost_random;    /**< lost to the loss probability */
    uint64_t n_lost_offline;   /**< an end was offline */
    uint64_t n_lost_partition; /**< a partition separated the ends */
    uint64_t bytes_sent;       /**< bytes of every message offered (lost ones included) */
} popi_net_stats_t;

typedef struct popi_net popi_net_t;

/**
 * Build a network: regions assigned by a seeded draw from region_share, the overlay built with
 * igraph from @p seed streams (popi_rng_init(seed, run, POPI_STREAM_NET) and sub-streams), churn
 * periods drawn lazily. Every node starts online.
 * Only the fields of the chosen topology and latency model are checked (er_mean_degree in
 * [0, n_nodes − 1]; ws_k >= 1 with 2 ws_k + 1 <= n_nodes; ...).
 * @return POPI_EINVAL naming the bad field (n_nodes 0, shares not summing to 1 within 1e-6,
 * CDF not ending at 1 or decreasing, bandwidth <= 0, loss out of [0,1), partition times or
 * fraction out of range, proximity without positions, ...), POPI_ELIB if igraph fails; *out is
 * NULL on failure. Cost O(n + edges) (bitcoin, proximity with bounded density), plus igraph's.
 */
popi_err_t popi_net_create(const popi_net_config_t *cfg, uint64_t seed, uint64_t run,
                           popi_net_t **out);

/** Free the network. Accepts NULL. */
void popi_net_free(popi_net_t *net);

/** Number of nodes. */
uint32_t popi_net_n_nodes(const popi_net_t *net);
/** Number of undirected edges. */
uint64_t popi_net_n_edges(const popi_net_t *net);
/** Degree of @p v. */
uint32_t popi_net_degree(const popi_net_t *net, uint32_t v);
/** The neighbours of @p v (sorted ascending, *n entries), valid for the net's lifetime. */
const uint32_t *popi_net_neighbours(const popi_net_t *net, uint32_t v, uint32_t *n);
/** Region of @p v. */
uint32_t popi_net_region(const popi_net_t *net, uint32_t v);
/** Upload / download bandwidth of @p v, bit/s. */
double popi_net_upload_bps(const popi_net_t *net, uint32_t v);
double popi_net_download_bps(const popi_net_t *net, uint32_t v);

/**
 * Send @p bytes from @p a to @p b (a != b, need not be neighbours) at time @p now, as described
 * above. @return arrival time (µs, >= now) or POPI_NET_LOST.
 */
popi_time_t popi_net_send(popi_net_t *net, uint32_t a, uint32_t b, uint64_t bytes, popi_time_t now,
                          bool queued);

/** When a message occupies the sender's radio (popi_net_send_timed). */
typedef struct {
    popi_time_t start;  /**< upload start, µs (later than now when queued behind others) */
    popi_time_t tx_end; /**< upload end, µs */
    double bps;         /**< bandwidth used, min(upload of a, download of b), bit/s */
} popi_net_timing_t;

/** popi_net_send that also reports the upload interval in @p timing (may be NULL), lost or not. */
popi_time_t popi_net_send_timed(popi_net_t *net, uint32_t a, uint32_t b, uint64_t bytes,
                                popi_time_t now, bool queued, popi_net_timing_t *timing);

/**
 * Whether @p v is online at @p t. Churn periods are drawn per node as needed (exponential
 * online / offline periods from the node's own counter-based stream), so the answer does not
 * depend on the order of queries. Each node caches its current period: queries with
 * non-decreasing times cost O(1) amortised; a time before the cached period is still answered
 * correctly, by replaying the node's periods from t = 0. Periods are whole µs, at least 1 µs;
 * t < 0 counts as 0.
 */
bool popi_net_online(popi_net_t *net, uint32_t v, popi_time_t t);

/**
 * The next time after @p t at which @p v changes online state (POPI_TIME_NEVER without churn).
 * The node layer uses it to schedule "back online: resynchronise" events.
 */
popi_time_t popi_net_next_churn(popi_net_t *net, uint32_t v, popi_time_t t);

/** True if messages can fail: loss, churn or a scheduled partition. */
bool popi_net_unreliable(const popi_net_t *net);
/** True if nodes go offline and back (churn). */
bool popi_net_has_churn(const popi_net_t *net);
/** Number of scheduled partitions. */
uint32_t popi_net_n_partitions(const popi_net_t *net);
/** Scheduled partition @p p (< popi_net_n_partitions). */
const popi_net_partition_t *popi_net_partition(const popi_net_t *net, uint32_t p);

/** Side of @p v in partition @p p (0 or 1). */
int popi_net_partition_side(const popi_net_t *net, uint32_t p, uint32_t v);

/** True if a partition active at @p t separates @p a and @p b. */
bool popi_net_partitioned(const popi_net_t *net, uint32_t a, uint32_t b, popi_time_t t);

/** Counters since creation. */
const popi_net_stats_t *popi_net_stats(const popi_net_t *net);

/** Bytes held by the network (adjacency, per-node state). */
size_t popi_net_bytes(const popi_net_t *net);

/* ---------------------------------------------------------------------------------------------- */
/* flood delays                                                                                   */

/**
 * Flood delays of small messages over the overlay (popi_net_flood_create).
 *
 * Model. A message of B bytes (a transaction) travels hop by hop along the overlay, each hop
 * being Bitcoin's three-step relay: the holder u announces it with INV, the neighbour v requests
 * it with GETTX, u sends it with TX. In realisation r every DIRECTED link u→v (both directions of
 * each overlay edge, drawn independently) gets one fixed hop delay
 *   hop(u→v) = wait + lat1 + lat2 + lat3 + 8 B / min(upload_bps(u), download_bps(v))   seconds
 * where wait ~ Uniform(0, batch_s) is u's announcement batching (trickling), and lat1, lat2, lat3
 * are independent one-way latency draws from the net's latency model (the law popi_net_send uses:
 * regions = SimBlock's Pareto around the region-matrix mean, lognormal, constant) for the region
 * pairs (u, v) for INV, (v, u) for GETTX and (u, v) for TX. The delay from origin s to node t is
 * the shortest-path distance from s to t in the directed graph weighted by hop(·) (every node
 * forwards on first receipt, to every neighbour, without queueing), and the tree of those shortest
 * paths is the relay tree (parent of t = the node t first receives the message from).
 * Not modelled: upload queueing (messages are assumed small), offline nodes, churn, partitions and
 * loss — they are ignored here, and the caller refuses flood mode when any of them is on.
 * Delays are not rounded to whole µs (the caller rounds the arrival time it schedules).
 *
 * Randomness: every draw is counter-based, keyed by (seed, run, r, u, v, k) (k = 0 wait, 1 INV,
 * 2 GETTX, 3 TX latency), so the arrays depend on nothing but the net and the arguments: not on
 * thread count or evaluation order. Realisation r of n_real = 8 equals realisation r of n_real = 2.
 */
typedef struct {
    uint32_t n_real;    /**< independent realisations, >= 1 */
    uint32_t n;         /**< nodes */
    float *delay_s;     /**< [r * n * n + s * n + t]: delay from origin s to node t in realisation
                             r, s; 0 on the diagonal; INFINITY when t is unreachable from s */
    uint16_t *children; /**< [r * n * n + s * n + v]: number of nodes whose parent on s's
                             shortest-path tree is v, realisation r (0 for unreachable v; summed
                             over v it is the number of nodes reachable from s, minus 1) */
} popi_net_flood_t;

/**
 * Compute the flood delays of a @p bytes message from every origin to every node in @p n_real
 * independent realisations of the hop delays (model above). Dijkstra from each source on a binary
 * heap (distances accumulated in double µs, stored as float seconds, relative error <= 6e-8). On
 * equal distances the parent of t is the smallest node id among t's predecessors on a shortest
 * path (with zero-delay hops, among those settled before t, which keeps the tree acyclic).
 * Sources run in parallel on @p threads OpenMP threads; the result is identical for any count.
 * @param net      the network (read only; its regions, bandwidths and latency model are used,
 *                 its churn, partitions, loss, queues and counters are not)
 * @param n_real   realisations, >= 1, with n_real × n² <= 2^31
 * @param bytes    message size, bytes (0 allowed: no transmission time)
 * @param batch_s  upper end of the announcement wait, s, finite and >= 0 (0 = announce at once)
 * @param seed     master seed; @p run the run index (draws keyed by (seed, run, r, u, v, k))
 * @param threads  OpenMP threads for the sources, >= 1
 * @param out      receives the result, owned by the caller (popi_net_flood_free); NULL on failure
 * @return POPI_EINVAL naming n_real (0, or n_real × n² above 2^31 entries), batch_s (negative,
 * NaN or infinite) or threads (< 1). Never POPI_ENOMEM: out of memory aborts (popi_xmalloc).
 * Memory n_real × n² × 6 bytes (plus O(threads × n + edges) scratch). Time
 * O(n_real × n × edges × log n) (each source's Dijkstra is O(edges × log n)).
 */
popi_err_t popi_net_flood_create(const popi_net_t *net, uint32_t n_real, uint32_t bytes,
                                 double batch_s, uint64_t seed, uint64_t run, int threads,
                                 popi_net_flood_t **out);

/** Free the flood delays. Accepts NULL and a half-filled object. */
void popi_net_flood_free(popi_net_flood_t *f);

#ifdef __cplusplus
}
#endif
#endif
