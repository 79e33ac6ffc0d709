/* SPDX-License-Identifier: MIT */
/*
 * params.c - the parameter table: one row per scenario key, and nothing else.
 *
 * Each row gives the key's dotted JSON path, its type, the popi_scenario_t field it fills (the
 * field's C type is checked at compile time), default, range with open or closed ends, unit,
 * description and the source of the default. Parsing, validation, defaults, --set, the JSON dump
 * and `popi params` (app/scenario.c) are all driven by this table. Invariant: rows of one group
 * (same prefix before the last dot) are contiguous, so the JSON dump nests in table order.
 * Sources: FACTS.md; Keränen et al., SIMUTools 2009, DOI 10.4108/ICST.SIMUTOOLS2009.5674;
 * Bohannon, Age and Ageing 26:15 (1997), DOI 10.1093/ageing/26.1.15; Rhee et al., INFOCOM 2008,
 * DOI 10.1109/INFOCOM.2008.145; Clauset, Shalizi & Newman 2009, DOI 10.1137/070710111.
 */
#include "popi/scenario.h"

#include <stddef.h>

/* offsetof a field, failing to compile unless the field has C type T. */
// clang-format off
#define FIELD(f, T)                                                                                \
    (offsetof(popi_scenario_t, f) +                                                                \
     0 * sizeof(char[_Generic(((popi_scenario_t *)0)->f, T: 1, default: -1)]))
// clang-format on

/* Range ends: OPEN(x) excludes x, CLOSED(x) includes it. */
#define OPEN(x) (x), true
#define CLOSED(x) (x), false

#define ROW_NUM(k, ty, off, d, lo, lo_open, hi, hi_open, u, ds, src)                               \
    {                                                                                              \
        .key = (k), .type = (ty), .offset = (off), .dflt = (d), .min = (lo),                       \
        .min_open = (lo_open), .max = (hi), .max_open = (hi_open), .unit = (u), .desc = (ds),      \
        .source = (src)                                                                            \
    }
#define P_DBL(k, f, d, lo, hi, u, ds, src)                                                         \
    ROW_NUM(k, POPI_PARAM_DOUBLE, FIELD(f, double), d, lo, hi, u, ds, src)
#define P_INT(k, f, d, lo, hi, u, ds, src)                                                         \
    ROW_NUM(k, POPI_PARAM_INT, FIELD(f, int), d, lo, hi, u, ds, src)
#define P_I64(k, f, d, lo, hi, u, ds, src)                                                         \
    ROW_NUM(k, POPI_PARAM_INT64, FIELD(f, int64_t), d, lo, hi, u, ds, src)
#define P_U64(k, f, d, ds, src)                                                                    \
    {                                                                                              \
        .key = (k), .type = POPI_PARAM_UINT64, .offset = FIELD(f, uint64_t), .dflt = (d),          \
        .min = 0, .max = 18446744073709551615.0, .unit = "", .desc = (ds), .source = (src)         \
    }
#define P_BOOL(k, f, d, ds, src)                                                                   \
    {                                                                                              \
        .key = (k), .type = POPI_PARAM_BOOL, .offset = FIELD(f, bool), .dflt = (d), .unit = "",    \
        .desc = (ds), .source = (src)                                                              \
    }
#define P_STR(k, f, d, ds, src)                                                                    \
    {                                                                                              \
        .key = (k), .type = POPI_PARAM_STRING, .offset = FIELD(f, char *), .dflt_str = (d),        \
        .unit = "", .desc = (ds), .source = (src)                                                  \
    }
#define P_PATH(k, f, ds, src)                                                                      \
    {                                                                                              \
        .key = (k), .type = POPI_PARAM_PATH, .offset = FIELD(f, char *), .dflt_str = "",           \
        .unit = "", .desc = (ds), .source = (src)                                                  \
    }
#define P_ENUM(k, f, d, nm, ds, src)                                                               \
    {                                                                                              \
        .key = (k), .type = POPI_PARAM_ENUM, .offset = FIELD(f, int), .dflt = (d), .names = (nm),  \
        .unit = "", .desc = (ds), .source = (src)                                                  \
    }
#define P_RECTS(k, f, fn, u, ds, src)                                                              \
    {                                                                                              \
        .key = (k), .type = POPI_PARAM_RECTS, .offset = FIELD(f, popi_rect_t *),                   \
        .offset_n = FIELD(fn, size_t), .unit = (u), .desc = (ds), .source = (src)                  \
    }

static const char *const radio_models[] = {"unit_disc", "ble", NULL};
static const char *const contact_engines[] = {"kinetic", "sweep", NULL};
static const char *const trace_formats[] = {"sociopatterns", "one", NULL};
static const char *const outlier_rules[] = {"robust_z", "sigma", NULL};
static const char *const consensus_engines[] = {"none", "pow", NULL};
static const char *const net_topologies[] = {"bitcoin", "erdos_renyi", "barabasi_albert", "watts_strogatz", "proximity", NULL};
static const char *const net_regions[] = {"simblock2019", "single", NULL};
static const char *const net_latencies[] = {"regions", "lognormal", "constant", NULL};
static const char *const energy_radios[] = {"lte", "wifi", NULL};
static const char *const tx_relays[] = {"gossip", "flood", NULL};

#define CHOSEN "[chosen]"
#define ONE_SIM                                                                                    \
    "ONE simulator default settings (Keränen et al., SIMUTools 2009, DOI "                        \
    "10.4108/ICST.SIMUTOOLS2009.5674)"
#define BOHANNON                                                                                   \
    "comfortable walking speed, Bohannon 1997, Age and Ageing 26:15, DOI 10.1093/ageing/26.1.15"
#define RHEE                                                                                       \
    "heavy-tailed pauses, Rhee et al., INFOCOM 2008, \"On the Levy-walk nature of human "          \
    "mobility\", DOI 10.1109/INFOCOM.2008.145"
#define SIMBLOCK "SimBlock 2019 tables, dsg-titech/simblock NetworkConfiguration.java (BENCHMARKS.md B2)"
#define HUANG "Huang et al., MobiSys 2012, 4G LTE power characteristics (FACTS.md)"
#define BITCOIN "Bitcoin Core consensus rules (FACTS.md)"
#define FRACTION_SRC                                                                               \
    "[chosen] 1 for random_waypoint and 0 for the others unless some fraction is set; then unset " \
    "fractions are 0"

/* One row per line, so that the table reads as a table. */
// clang-format off
static const popi_param_t table[] = {
    /* run */
    P_STR("run.name", name, "default", "free-text name of the run", "-"),
    P_U64("run.seed", seed, 1, "master seed of every random stream (JSON numbers up to 2^53, larger as a decimal string)", "-"),
    P_DBL("run.duration_s", duration_s, 3600, OPEN(0), CLOSED(1e8), "s", "simulated time (trace replays use the trace's span)", CHOSEN),

    /* world */
    P_DBL("world.width_m", world.width_m, 100, OPEN(0), CLOSED(1e6), "m", "world width (ignored when world.map is set)", CHOSEN),
    P_DBL("world.height_m", world.height_m, 100, OPEN(0), CLOSED(1e6), "m", "world height (ignored when world.map is set)", CHOSEN),
    P_DBL("world.cell_m", world.cell_m, 1.0, OPEN(0), CLOSED(1000), "m", "side of the square grid cells", CHOSEN),
    P_RECTS("world.obstacles", world.obstacles, world.n_obstacles, "m", "rectangles [x0, y0, x1, y1] (x0 < x1, y0 < y1) inside the world; every cell they overlap is blocked", "-"),
    P_PATH("world.map", world.map_file, "ASCII map ('#' = wall, first line = top row), relative to the scenario file's folder; sets the grid size", "-"),
    P_DBL("world.obstacle_density", world.obstacle_density, 0, CLOSED(0), OPEN(0.9), "", "fraction of cells blocked at random", CHOSEN),

    /* crowd */
    P_I64("crowd.agents", agents, 0, CLOSED(0), CLOSED(1e8), "", "number of agents; if > 0 it is used and crowd.density must not be set", "-"),
    P_DBL("crowd.density", density, 0.1, CLOSED(0), CLOSED(10), "1/m^2", "agents per m^2 of free area, used when crowd.agents is 0 (then it must be > 0)", CHOSEN),

    /* mobility.random_waypoint */
    P_DBL("mobility.random_waypoint.fraction", mobility.random_waypoint.fraction, 1, CLOSED(0), CLOSED(1), "", "share of agents moving by random waypoint (fractions sum to 1)", FRACTION_SRC),
    P_DBL("mobility.random_waypoint.speed_min_mps", mobility.random_waypoint.speed_min_mps, 0.5, OPEN(0), CLOSED(20), "m/s", "lowest trip speed (speed U[min, max] per trip)", ONE_SIM),
    P_DBL("mobility.random_waypoint.speed_max_mps", mobility.random_waypoint.speed_max_mps, 1.5, OPEN(0), CLOSED(20), "m/s", "highest trip speed", ONE_SIM),
    P_DBL("mobility.random_waypoint.pause_min_s", mobility.random_waypoint.pause_min_s, 0, CLOSED(0), CLOSED(1e6), "s", "shortest pause after arrival (pause U[min, max])", ONE_SIM),
    P_DBL("mobility.random_waypoint.pause_max_s", mobility.random_waypoint.pause_max_s, 120, CLOSED(0), CLOSED(1e6), "s", "longest pause after arrival", ONE_SIM),

    /* mobility.stop_and_go */
    P_DBL("mobility.stop_and_go.fraction", mobility.stop_and_go.fraction, 0, CLOSED(0), CLOSED(1), "", "share of agents walking short stretches between long stops", FRACTION_SRC),
    P_DBL("mobility.stop_and_go.speed_min_mps", mobility.stop_and_go.speed_min_mps, 0.8, OPEN(0), CLOSED(20), "m/s", "lowest walking speed", BOHANNON),
    P_DBL("mobility.stop_and_go.speed_max_mps", mobility.stop_and_go.speed_max_mps, 1.4, OPEN(0), CLOSED(20), "m/s", "highest walking speed", BOHANNON),
    P_DBL("mobility.stop_and_go.walk_mean_m", mobility.stop_and_go.walk_mean_m, 10, OPEN(0), CLOSED(1e4), "m", "mean length of a walk (exponential)", CHOSEN),
    P_DBL("mobility.stop_and_go.pause_xmin_s", mobility.stop_and_go.pause_xmin_s, 10, OPEN(0), CLOSED(1e5), "s", "Pareto scale (shortest stop)", CHOSEN),
    P_DBL("mobility.stop_and_go.pause_alpha", mobility.stop_and_go.pause_alpha, 1.5, OPEN(0), CLOSED(10), "", "Pareto tail exponent of stops, P(T > t) = (t / xmin)^-alpha", RHEE),
    P_DBL("mobility.stop_and_go.pause_max_s", mobility.stop_and_go.pause_max_s, 3600, CLOSED(1), CLOSED(1e6), "s", "truncation of stops (>= pause_xmin_s)", CHOSEN),

    /* mobility.crowd_seeking */
    P_DBL("mobility.crowd_seeking.fraction", mobility.crowd_seeking.fraction, 0, CLOSED(0), CLOSED(1), "", "share of agents heading for crowded places", FRACTION_SRC),
    P_DBL("mobility.crowd_seeking.speed_min_mps", mobility.crowd_seeking.speed_min_mps, 0.8, OPEN(0), CLOSED(20), "m/s", "lowest trip speed", BOHANNON),
    P_DBL("mobility.crowd_seeking.speed_max_mps", mobility.crowd_seeking.speed_max_mps, 1.4, OPEN(0), CLOSED(20), "m/s", "highest trip speed", BOHANNON),
    P_DBL("mobility.crowd_seeking.pause_min_s", mobility.crowd_seeking.pause_min_s, 30, CLOSED(0), CLOSED(1e6), "s", "shortest pause at a destination", CHOSEN),
    P_DBL("mobility.crowd_seeking.pause_max_s", mobility.crowd_seeking.pause_max_s, 300, CLOSED(0), CLOSED(1e6), "s", "longest pause at a destination", CHOSEN),
    P_DBL("mobility.crowd_seeking.seek_prob", mobility.crowd_seeking.seek_prob, 0.8, CLOSED(0), CLOSED(1), "", "probability that a destination is drawn from the occupancy map (else uniform)", CHOSEN),
    P_DBL("mobility.crowd_seeking.gamma", mobility.crowd_seeking.gamma, 1.0, CLOSED(0), CLOSED(10), "", "attraction exponent: map cells weighted by occupancy^gamma", CHOSEN),
    P_DBL("mobility.crowd_seeking.map_cell_m", mobility.crowd_seeking.map_cell_m, 5, OPEN(0), CLOSED(1000), "m", "side of the occupancy map's cells", CHOSEN),
    P_DBL("mobility.crowd_seeking.refresh_s", mobility.crowd_seeking.refresh_s, 10, OPEN(0), CLOSED(86400), "s", "the occupancy map is the crowd's positions at the last multiple of this period", CHOSEN),

    /* mobility.back_and_forth */
    P_DBL("mobility.back_and_forth.fraction", mobility.back_and_forth.fraction, 0, CLOSED(0), CLOSED(1), "", "share of agents shuttling between two anchors", FRACTION_SRC),
    P_DBL("mobility.back_and_forth.speed_min_mps", mobility.back_and_forth.speed_min_mps, 0.8, OPEN(0), CLOSED(20), "m/s", "lowest walking speed", BOHANNON),
    P_DBL("mobility.back_and_forth.speed_max_mps", mobility.back_and_forth.speed_max_mps, 1.4, OPEN(0), CLOSED(20), "m/s", "highest walking speed", BOHANNON),
    P_DBL("mobility.back_and_forth.pause_min_s", mobility.back_and_forth.pause_min_s, 10, CLOSED(0), CLOSED(1e6), "s", "shortest pause at an anchor", CHOSEN),
    P_DBL("mobility.back_and_forth.pause_max_s", mobility.back_and_forth.pause_max_s, 60, CLOSED(0), CLOSED(1e6), "s", "longest pause at an anchor", CHOSEN),
    P_DBL("mobility.back_and_forth.distance_min_m", mobility.back_and_forth.distance_min_m, 10, OPEN(0), CLOSED(1e6), "m", "shortest straight-line anchor separation (U[min, max])", CHOSEN),
    P_DBL("mobility.back_and_forth.distance_max_m", mobility.back_and_forth.distance_max_m, 40, OPEN(0), CLOSED(1e6), "m", "longest straight-line anchor separation", CHOSEN),

    /* mobility.random_direction */
    P_DBL("mobility.random_direction.fraction", mobility.random_direction.fraction, 0, CLOSED(0), CLOSED(1), "", "share of agents in random-direction motion (kinetic-theory checks)", FRACTION_SRC),
    P_DBL("mobility.random_direction.speed_min_mps", mobility.random_direction.speed_min_mps, 1.0, OPEN(0), CLOSED(20), "m/s", "lowest speed (U[min, max] per agent, fixed for the run)", CHOSEN),
    P_DBL("mobility.random_direction.speed_max_mps", mobility.random_direction.speed_max_mps, 1.0, OPEN(0), CLOSED(20), "m/s", "highest speed", CHOSEN),
    P_DBL("mobility.random_direction.turn_mean_s", mobility.random_direction.turn_mean_s, 30, OPEN(0), CLOSED(1e6), "s", "mean time between direction changes (exponential)", CHOSEN),

    /* contact */
    P_DBL("contact.range_m", contact.range_m, 2.0, OPEN(0), CLOSED(1000), "m", "close-contact distance", "public-health exposure definitions (<= 2 m), FACTS.md"),
    P_DBL("contact.min_duration_s", contact.min_duration_s, 60, CLOSED(0), CLOSED(1e6), "s", "shortest detected contact", "[chosen] for a PoPI handshake; the public-health rule is 900 s"),
    P_ENUM("contact.engine", contact.engine, POPI_CONTACT_KINETIC, contact_engines, "kinetic: predict each pair once per leg pair and cell crossing; sweep: re-test candidate pairs every bucket (a cross-check); both give the same intervals", "performance only"),
    P_DBL("contact.bucket_s", contact.bucket_s, 1.0, CLOSED(0.001), CLOSED(3600), "s", "sweep bucket of the proximity engine", "performance only: results do not depend on it"),

    /* radio */
    P_ENUM("radio.model", radio.model, POPI_RADIO_BLE, radio_models, "unit_disc: every proximity interval is a contact; ble: scans, advertisements, RSSI threshold", CHOSEN),
    P_DBL("radio.rssi_1m_dbm", radio.rssi_1m_dbm, -59, CLOSED(-120), CLOSED(0), "dBm", "RSSI at 1 m", "iBeacon calibration convention"),
    P_DBL("radio.path_loss_exponent", radio.path_loss_exponent, 2.0, OPEN(0), CLOSED(10), "", "n of the log-distance model", "log-distance path-loss model, open space"),
    P_DBL("radio.shadowing_sigma_db", radio.shadowing_sigma_db, 4, CLOSED(0), CLOSED(30), "dB", "sigma of log-normal shadowing per sighting", "log-normal shadowing, static phones"),
    P_DBL("radio.wall_loss_db", radio.wall_loss_db, 5, CLOSED(0), CLOSED(200), "dB", "loss per obstacle cell crossed", CHOSEN),
    P_DBL("radio.rssi_threshold_dbm", radio.rssi_threshold_dbm, -65, CLOSED(-150), CLOSED(0), "dBm", "weakest sighting that counts toward a contact", "[derived] mean RSSI at 2 m with the defaults (-59 - 20 log10 2)"),
    P_DBL("radio.scan_interval_s", radio.scan_interval_s, 4.096, OPEN(0), CLOSED(3600), "s", "period of scan windows", "Android SCAN_MODE_BALANCED, AOSP ScanManager.java"),
    P_DBL("radio.scan_window_s", radio.scan_window_s, 1.024, OPEN(0), CLOSED(3600), "s", "length of a scan window (<= radio.scan_interval_s)", "Android SCAN_MODE_BALANCED, AOSP ScanManager.java"),
    P_DBL("radio.adv_interval_s", radio.adv_interval_s, 0.25, CLOSED(0.02), CLOSED(10.24), "s", "advertising interval (plus 0-10 ms advDelay)", "AOSP AdvertiseManager.java ADVERTISE_MODE_BALANCED; Exposure Notification 200-270 ms"),
    P_DBL("radio.max_gap_s", radio.max_gap_s, 10, CLOSED(0), CLOSED(1e6), "s", "longest gap between sightings inside one contact", "[chosen] about two scan intervals"),

    /* trace */
    P_PATH("trace.file", trace.file, "contact trace to replay instead of simulating motion (may be gzip), relative to the scenario file's folder; empty = simulate", "-"),
    P_ENUM("trace.format", trace.format, POPI_TRACE_SOCIOPATTERNS, trace_formats, "sociopatterns: `t i j` per active window; one: ONE `t CONN a b up|down`", "-"),
    P_DBL("trace.window_s", trace.window_s, 20, OPEN(0), CLOSED(1e6), "s", "length of a SocioPatterns record window", "SocioPatterns 20 s windows"),

    /* analysis */
    P_INT("analysis.bootstrap", analysis.bootstrap, 1000, CLOSED(0), CLOSED(100000), "", "bootstrap resamples of the power-law p-value (0 = skip)", "Clauset, Shalizi & Newman 2009, DOI 10.1137/070710111"),
    P_ENUM("analysis.outlier_rule", analysis.outlier_rule, POPI_OUTLIER_ROBUST_Z, outlier_rules, "robust_z: modified z-score of log(1 + x); sigma: mean + k sd", CHOSEN),
    P_DBL("analysis.outlier_z", analysis.outlier_z, 3.5, OPEN(0), CLOSED(100), "", "threshold of the robust z-score", "Iglewicz & Hoaglin 1993 modified z-score"),
    P_DBL("analysis.outlier_sigma", analysis.outlier_sigma, 3, OPEN(0), CLOSED(100), "", "k of the mean + k sd rule", "the seed's 3-sigma rule"),
    P_I64("analysis.max_samples", analysis.max_samples, 100000, CLOSED(100), CLOSED(1e9), "", "largest sample fitted; larger samples are thinned deterministically", CHOSEN),

    /* output */
    P_BOOL("output.contacts", out_contacts, true, "write /contacts/events", "-"),
    P_BOOL("output.proximity", out_proximity, true, "write /contacts/proximity (geometric intervals)", "-"),
    P_DBL("output.cumulative_step_s", cumulative_step_s, 60, OPEN(0), CLOSED(1e6), "s", "sampling step of /contacts/cumulative", CHOSEN),

    /* consensus */
    P_ENUM("consensus.engine", consensus_engine, 0, consensus_engines, "none: the crowd only; pow: a network of full nodes under proof of work (net.*, gossip.*, node.*, pow.*)", "-"),

    /* net */
    P_INT("net.nodes", net.nodes, 1000, CLOSED(1), CLOSED(10000000), "", "nodes of the network (full and light; proximity topology: the crowd's agents)", CHOSEN),
    P_ENUM("net.topology", net.topology, 0, net_topologies, "overlay: bitcoin (out-degree from the Bitcoin 2015 CDF), erdos_renyi, barabasi_albert, watts_strogatz, proximity (within net.proximity_range_m at the crowd's start)", SIMBLOCK),
    P_DBL("net.er_mean_degree", net.er_mean_degree, 8, OPEN(0), CLOSED(1e6), "", "mean degree of erdos_renyi", "Bitcoin's 8 outbound connections"),
    P_INT("net.ba_m", net.ba_m, 4, CLOSED(1), CLOSED(1000), "", "edges per new node of barabasi_albert", CHOSEN),
    P_INT("net.ws_k", net.ws_k, 4, CLOSED(1), CLOSED(1000), "", "lattice neighbours per side of watts_strogatz", CHOSEN),
    P_DBL("net.ws_p", net.ws_p, 0.1, CLOSED(0), CLOSED(1), "", "rewiring probability of watts_strogatz", CHOSEN),
    P_DBL("net.proximity_range_m", net.proximity_range_m, 50, OPEN(0), CLOSED(1e6), "m", "link range of the proximity topology", CHOSEN),
    P_ENUM("net.regions", net.regions, 0, net_regions, "simblock2019: six regions with SimBlock's shares, latencies and bandwidths; single: one region with the net.* values below", SIMBLOCK),
    P_DBL("net.upload_bps", net.upload_bps, 19.2e6, OPEN(0), CLOSED(1e15), "bit/s", "upload bandwidth of every node (single region)", "SimBlock 2019 North America"),
    P_DBL("net.download_bps", net.download_bps, 52e6, OPEN(0), CLOSED(1e15), "bit/s", "download bandwidth of every node (single region)", "SimBlock 2019 North America"),
    P_DBL("net.region_latency_ms", net.region_latency_ms, 32, CLOSED(0), CLOSED(1e6), "ms", "mean message latency within the single region (regions latency model)", "SimBlock 2019 North America"),
    P_ENUM("net.latency", net.latency, 0, net_latencies, "per-message latency: regions (SimBlock's Pareto around the regional mean), lognormal (mobile links), constant", SIMBLOCK),
    P_DBL("net.lognormal_mean_ms", net.lognormal_mean_ms, 100, OPEN(0), CLOSED(1e6), "ms", "mean latency of the lognormal model", CHOSEN),
    P_DBL("net.lognormal_sigma", net.lognormal_sigma, 0.5, CLOSED(0), CLOSED(10), "", "sigma of the underlying normal of the lognormal model", CHOSEN),
    P_DBL("net.constant_ms", net.constant_ms, 0, CLOSED(0), CLOSED(1e6), "ms", "latency of the constant model", "-"),
    P_DBL("net.loss", net.loss, 0, CLOSED(0), OPEN(1), "", "probability that a message is lost", "-"),
    P_DBL("net.churn_online_mean_s", net.churn_online_mean_s, 0, CLOSED(0), CLOSED(1e9), "s", "mean online period (exponential); 0 = no churn", "-"),
    P_DBL("net.churn_offline_mean_s", net.churn_offline_mean_s, 600, OPEN(0), CLOSED(1e9), "s", "mean offline period (exponential) when churn is on", CHOSEN),
    P_DBL("net.partition_start_s", net.partition_start_s, 0, CLOSED(0), CLOSED(1e9), "s", "start of a partition (used when net.partition_fraction > 0)", "-"),
    P_DBL("net.partition_end_s", net.partition_end_s, 0, CLOSED(0), CLOSED(1e9), "s", "end of the partition (> start)", "-"),
    P_DBL("net.partition_fraction", net.partition_fraction, 0, CLOSED(0), OPEN(1), "", "share of nodes cut off during the partition; 0 = no partition", "-"),

    /* gossip */
    P_INT("gossip.fanout", gossip.fanout, 1000000, CLOSED(0), CLOSED(1000000), "", "peers a node announces a new block to (its first ones in neighbour order); 0 = no relay", "Bitcoin relays to every peer"),
    P_DBL("gossip.inv_bytes", gossip.inv_bytes, 61, CLOSED(0), CLOSED(1e6), "B", "size of an INV (24-byte header, count, one 36-byte entry)", "Bitcoin P2P protocol"),
    P_DBL("gossip.getdata_bytes", gossip.getdata_bytes, 61, CLOSED(0), CLOSED(1e6), "B", "size of a GETDATA / GETHEADERS request", "Bitcoin P2P protocol"),
    P_DBL("gossip.header_bytes_overhead", gossip.header_bytes_overhead, 24, CLOSED(0), CLOSED(1e6), "B", "message header added to every BLOCK and HEADERS payload", "Bitcoin P2P protocol"),
    P_DBL("gossip.min_block_bytes", gossip.min_block_bytes, 0, CLOSED(0), CLOSED(1e9), "B", "a block travels as at least this many bytes (padding; SimBlock's 535,000-byte blocks carry no transactions); 0 = its encoded size", "-"),
    P_DBL("gossip.request_timeout_s", gossip.request_timeout_s, 20, OPEN(0), CLOSED(1e6), "s", "a GETDATA unanswered this long is sent to another announcer (only with loss, churn or partitions)", CHOSEN),
    P_DBL("gossip.tx_batch_s", gossip.tx_batch_s, 5, OPEN(0), CLOSED(3600), "s", "a node announces the transactions it newly accepted in one INV per neighbour this often", "Bitcoin Core INVENTORY_BROADCAST_INTERVAL (5 s)"),

    /* tx */
    P_DBL("tx.rate_per_s", tx.rate_per_s, 0, CLOSED(0), CLOSED(1e6), "1/s", "payments created per second in the whole network (Poisson); 0 = none. Each is made by a random online full node that has spendable coins, to a random other node; relayed as tx.relay says", "-"),
    P_DBL("tx.amount_coins", tx.amount_coins, 0.01, OPEN(0), CLOSED(1e6), "coin", "amount of each payment", CHOSEN),
    P_I64("tx.fee_units", tx.fee_units, 1000, CLOSED(0), CLOSED(1e15), "base unit", "fee of each payment (1 coin = 1e8)", CHOSEN),
    P_ENUM("tx.relay", tx.relay, 0, tx_relays, "gossip: every payment travels INV -> GETTX -> TX message by message into per-node mempools (tens to hundreds of nodes); flood: one run-wide pool, each payment reaching node k at its creation time plus the flood delay from its origin (net: shortest paths over drawn per-link delays), producers pack only what has reached them (CBlockSim scale; no loss, churn or partitions)", CHOSEN),
    P_DBL("tx.premine_coins", tx.premine_coins, 0, CLOSED(0), CLOSED(1e6), "coin", "genesis pays each full node this much, spendable at once (funded wallets, so payments need not wait for mined coins); 0 = coins come only from mining", CHOSEN),
    P_INT("tx.flood_realisations", tx.flood_realisations, 8, CLOSED(1), CLOSED(64), "", "independent draws of every link's hop delay in the flood model; payment i uses draw i mod this", CHOSEN),

    /* node */
    P_DBL("node.light_fraction", node.light_fraction, 0, CLOSED(0), CLOSED(1), "", "share of nodes that are light (headers and Merkle proofs, no relay, no mining)", "-"),
    P_DBL("node.verify_s", node.verify_s, 3.7e-4, CLOSED(0), CLOSED(10), "s", "phone CPU time per Ed25519 verification while validating", "[derived] 100 uJ per verification / 0.27 W little core (FACTS.md)"),
    P_DBL("node.hash_s_per_byte", node.hash_s_per_byte, 6e-10, CLOSED(0), CLOSED(1), "s/B", "phone CPU time per byte hashed while validating", "[derived] 1e-7 J per 160-byte SHA-256d / 1.05 W big core (FACTS.md)"),

    /* pow */
    P_DBL("pow.hash_rate_hs", pow.hash_rate_hs, 1.05e7, OPEN(0), CLOSED(1e20), "H/s", "mean hash rate of a miner (phone class)", "[derived] 1.05 W big core / 1e-7 J per hash (FACTS.md)"),
    P_DBL("pow.hash_rate_sigma", pow.hash_rate_sigma, 0, CLOSED(0), CLOSED(10), "", "spread of hash rates: log-normal sigma with mean pow.hash_rate_hs (0 = identical miners)", CHOSEN),
    P_DBL("pow.miner_fraction", pow.miner_fraction, 1, CLOSED(0), CLOSED(1), "", "share of full nodes that mine", CHOSEN),
    P_DBL("pow.block_interval_s", pow.block_interval_s, 600, OPEN(0), CLOSED(1e9), "s", "target block interval; sets the initial difficulty from the total hash rate", BITCOIN),
    P_INT("pow.retarget_interval", pow.retarget_interval, 2016, CLOSED(2), CLOSED(100000000), "", "blocks between retargets (clamped x4, measured over interval - 1 block times)", BITCOIN),
    P_INT("pow.sim_zero_bits", pow.sim_zero_bits, 12, CLOSED(0), CLOSED(40), "bits", "leading zero bits of the genesis target that every header really meets (the modelled work is this target's work scaled to the hash rates)", "[chosen] 4096 real hashes per block"),

    /* chain */
    P_DBL("chain.subsidy_coins", chain.subsidy_coins, 50, CLOSED(0), CLOSED(21e6), "coin", "block subsidy at height 0", BITCOIN),
    P_I64("chain.halving_interval", chain.halving_interval, 210000, CLOSED(0), CLOSED(1e12), "blocks", "blocks between subsidy halvings (0 = never)", BITCOIN),
    P_INT("chain.coinbase_maturity", chain.coinbase_maturity, 5, CLOSED(0), CLOSED(1000000), "blocks", "further blocks before a coinbase output is spendable", "the PoPI seed (DESIGN.md section 4)"),
    P_INT("chain.max_block_bytes", chain.max_block_bytes, 1000000, CLOSED(1000), CLOSED(64000000), "B", "encoded block size limit", BITCOIN),
    P_I64("chain.stop_blocks", chain.stop_blocks, 0, CLOSED(0), CLOSED(1e12), "blocks", "stop producing after this many blocks and end the run when the last message is delivered (SimBlock's end-block-height); 0 = run for run.duration_s", "-"),

    /* energy */
    P_DBL("energy.hash_j", energy.hash_j, 1.0e-7, CLOSED(0), CLOSED(1), "J", "energy per SHA-256 header hash", "[derived] OpenSSL ARMv8 cycles/byte x Pixel 6a power profile (FACTS.md)"),
    P_DBL("energy.sign_j", energy.sign_j, 55e-6, CLOSED(0), CLOSED(1), "J", "energy per Ed25519 signature", "[derived] Bernstein & Schwabe, CHES 2012 (FACTS.md)"),
    P_DBL("energy.verify_j", energy.verify_j, 100e-6, CLOSED(0), CLOSED(1), "J", "energy per Ed25519 verification", "[derived] Bernstein & Schwabe, CHES 2012 (FACTS.md)"),
    P_DBL("energy.battery_j", energy.battery_j, 61122.6, OPEN(0), CLOSED(1e9), "J", "battery capacity (4410 mAh x 3.85 V)", "Pixel 6a (FACTS.md)"),
    P_ENUM("energy.radio", energy.radio, 0, energy_radios, "radio of the P2P traffic: lte or wifi", HUANG),
    P_DBL("energy.lte_base_w", energy.lte_base_w, 1.288, CLOSED(0), CLOSED(100), "W", "LTE active base power", HUANG),
    P_DBL("energy.lte_up_w_per_mbps", energy.lte_up_w_per_mbps, 0.438, CLOSED(0), CLOSED(100), "W/(Mbit/s)", "LTE power per Mbit/s uplink", HUANG),
    P_DBL("energy.lte_down_w_per_mbps", energy.lte_down_w_per_mbps, 0.052, CLOSED(0), CLOSED(100), "W/(Mbit/s)", "LTE power per Mbit/s downlink", HUANG),
    P_DBL("energy.lte_tail_s", energy.lte_tail_s, 11.6, CLOSED(0), CLOSED(1000), "s", "LTE tail after the last transfer", HUANG),
    P_DBL("energy.lte_tail_w", energy.lte_tail_w, 1.06, CLOSED(0), CLOSED(100), "W", "LTE tail power", HUANG),
    P_DBL("energy.wifi_base_w", energy.wifi_base_w, 0.133, CLOSED(0), CLOSED(100), "W", "Wi-Fi active base power", HUANG),
    P_DBL("energy.wifi_up_w_per_mbps", energy.wifi_up_w_per_mbps, 0.283, CLOSED(0), CLOSED(100), "W/(Mbit/s)", "Wi-Fi power per Mbit/s uplink", HUANG),
    P_DBL("energy.wifi_down_w_per_mbps", energy.wifi_down_w_per_mbps, 0.137, CLOSED(0), CLOSED(100), "W/(Mbit/s)", "Wi-Fi power per Mbit/s downlink", HUANG),
};
// clang-format on

const popi_param_t *popi_scenario_params(size_t *n)
{
    if (n) *n = sizeof table / sizeof table[0];
    return table;
}
