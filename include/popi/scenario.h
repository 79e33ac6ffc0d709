/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - a run's complete description, loaded from JSON and checked against one table.
 *
 * Every scenario key is declared once in the parameter table (app/params.c): its JSON path, type,
 * field, default, range, unit, description and source. Parsing, validation, defaults, the
 * `popi params` documentation, --set overrides and the copy stored in the output file all come
 * from that table. Unknown keys are rejected with the nearest valid key suggested; every error
 * names the JSON path and the value ("scenario: crowd.density must be in [0, 10] 1/m^2, got 12.5
 * at $.crowd.density").
 */
#ifndef POPI_SCENARIO_H
#define POPI_SCENARIO_H

#include <stdio.h>

#include "popi/common.h"
#include "popi/contact.h"
#include "popi/fit.h"
#include "popi/mobility.h"
#include "popi/node.h"
#include "popi/radio.h"
#include "popi/trace.h"
#include "popi/world.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* run.* */
    char *name;        /**< free text */
    uint64_t seed;     /**< master seed */
    double duration_s; /**< simulated time, s (ignored for traces: the trace's span is used) */
    /* world.* */
    popi_world_config_t world;
    /* crowd.* : exactly one of agents > 0 or density > 0 */
    int64_t agents;    /**< number of agents */
    double density;    /**< agents per m^2 of free area */
    popi_mobility_config_t mobility;
    popi_contact_config_t contact;
    popi_radio_config_t radio;
    popi_trace_config_t trace;
    popi_fit_config_t analysis;
    /* output.* */
    bool out_contacts;         /**< write /contacts/events */
    bool out_proximity;        /**< write /contacts/proximity (geometric intervals) */
    double cumulative_step_s;  /**< sampling step of /contacts/cumulative, s */
    /* consensus.* : "none" runs the crowd only; an engine name runs a network of nodes */
    int consensus_engine;      /**< index into the consensus.engine names (0 = none) */
    /* net.* (converted to popi_net_config_t by the network run) */
    struct {
        int nodes;                   /**< full + light nodes */
        int topology;                /**< popi_net_topology_t */
        double er_mean_degree;
        int ba_m, ws_k;
        double ws_p, proximity_range_m;
        int regions;                 /**< 0 = SimBlock 2019 six regions, 1 = one region */
        double upload_bps, download_bps, region_latency_ms; /**< the one region's values */
        int latency;                 /**< popi_net_latency_t */
        double lognormal_mean_ms, lognormal_sigma, constant_ms;
        double loss, churn_online_mean_s, churn_offline_mean_s;
        double partition_start_s, partition_end_s, partition_fraction;
    } net;
    /* gossip.*, tx.*, node.*, pow.*, chain.*, energy.* (the network run's modules own them) */
    popi_gossip_config_t gossip;
    popi_tx_config_t tx;
    popi_node_config_t node;
    popi_pow_config_t pow;
    popi_chain_config_t chain;
    popi_energy_config_t energy;
    /* not keys */
    char *base_dir;            /**< folder of the scenario file, for relative paths ("." default) */
    /**
     * One flag per parameter-table row (index as in popi_scenario_params()): 1 if the key was
     * given explicitly (JSON or --set). Allocated by popi_scenario_defaults, freed by destroy;
     * NULL in a zeroed value (then nothing counts as explicit). Drives the implicit defaults:
     * mobility.random_waypoint.fraction is 1 only while no fraction is explicit (unset fractions
     * are 0 otherwise), and crowd.density is 0 while crowd.agents > 0 and density is not explicit.
     */
    unsigned char *explicit_set;
} popi_scenario_t;

/** Value type of a scenario key. */
typedef enum {
    POPI_PARAM_BOOL = 0, /**< bool; JSON true/false */
    POPI_PARAM_INT,      /**< int; JSON integral number */
    POPI_PARAM_INT64,    /**< int64_t; JSON integral number */
    POPI_PARAM_UINT64,   /**< uint64_t; JSON integral number <= 2^53, or a decimal string */
    POPI_PARAM_DOUBLE,   /**< double; JSON number, finite */
    POPI_PARAM_STRING,   /**< char * (owned); JSON string */
    POPI_PARAM_PATH,     /**< char * (owned) file path, relative to base_dir; "" is stored as NULL */
    POPI_PARAM_ENUM,     /**< int index into names; JSON string */
    POPI_PARAM_RECTS     /**< popi_rect_t * (owned) + size_t count; JSON [[x0,y0,x1,y1], ...] */
} popi_param_type_t;

/** One row of the parameter table (app/params.c): everything known about one scenario key. */
typedef struct {
    const char *key;          /**< dotted JSON path, e.g. "crowd.density" */
    popi_param_type_t type;
    size_t offset;            /**< offsetof(popi_scenario_t, field) */
    size_t offset_n;          /**< RECTS only: offsetof the size_t element count */
    double dflt;              /**< default of numeric, bool (0/1) and enum (index) keys */
    const char *dflt_str;     /**< default of STRING and PATH keys */
    double min, max;          /**< range of numeric keys (INT, INT64, DOUBLE) */
    bool min_open, max_open;  /**< true: the bound itself is excluded */
    const char *const *names; /**< ENUM only: value names, NULL-terminated */
    const char *unit;         /**< "" if dimensionless */
    const char *desc;         /**< one line */
    const char *source;       /**< where the default comes from ("[chosen]", a paper with DOI...) */
} popi_param_t;

/** The parameter table: @p n receives the number of rows. Static storage, never NULL. */
const popi_param_t *popi_scenario_params(size_t *n);

/** The row of @p key (dotted path) or NULL; @p index (may be NULL) receives its row index. O(rows). */
const popi_param_t *popi_scenario_param_find(const char *key, size_t *index);

/**
 * The value of one key in @p s as compact JSON text (caller frees), as it appears in
 * popi_scenario_to_json (for storing keys one by one, e.g. as HDF5 attributes).
 */
char *popi_scenario_value_json(const popi_scenario_t *s, const popi_param_t *p);

/** Fill @p s with every key's default. Call popi_scenario_destroy when done. Cannot fail. */
void popi_scenario_defaults(popi_scenario_t *s);

/** Release strings and lists. Accepts a zeroed value. */
void popi_scenario_destroy(popi_scenario_t *s);

/**
 * Apply the JSON object in @p text on top of the current values. @p origin names the source in
 * messages (a file name). Errors: POPI_EPARSE (invalid JSON: message gives line and column),
 * POPI_EINVAL (unknown key with suggestion, wrong type, out of range: message gives the path and
 * the value). On failure @p s keeps the values applied so far and stays destroyable.
 */
popi_err_t popi_scenario_apply_json(popi_scenario_t *s, const char *text, const char *origin);

/** Read a file and apply it (sets base_dir). Errors: POPI_EIO plus those of apply_json. */
popi_err_t popi_scenario_load_file(popi_scenario_t *s, const char *path);

/**
 * Apply one `a.b=value` override and mark the key explicit. The value is parsed by the key's
 * type: numbers by strtod consuming the whole text, `true`/`false`, enum names and strings as
 * plain text (an empty path clears it), rectangle lists as JSON text; a group key
 * (`mobility.stop_and_go={...}`) takes a JSON object applied like a file. Errors: POPI_EINVAL
 * (no '=', unknown key with suggestion, wrong type, out of range), POPI_EPARSE (invalid JSON
 * value). On failure the key keeps its previous value.
 */
popi_err_t popi_scenario_set(popi_scenario_t *s, const char *assignment);

/**
 * Check every key's range again (values may have been set by hand) and the rules that involve
 * several keys (fractions sum to 1 within 1e-9, exactly one of crowd.agents and crowd.density,
 * min <= max pairs, scan window <= interval, obstacles inside the world when no map is given).
 * Errors: POPI_EINVAL naming the keys and values. O(keys + obstacles).
 */
popi_err_t popi_scenario_validate(const popi_scenario_t *s);

/**
 * The effective scenario as a JSON text with every key, nested objects in table order (caller
 * frees with free()). Numbers are written so that they read back bit for bit; a seed above 2^53
 * is written as a decimal string. Applying the text to fresh defaults reproduces it exactly.
 */
char *popi_scenario_to_json(const popi_scenario_t *s);

/** Print the parameter table (key, type, default, range, unit, description, source) as Markdown. */
void popi_scenario_print_params(FILE *f);

/** Resolve a path from the scenario against base_dir (caller frees). NULL in gives NULL. */
char *popi_scenario_path(const popi_scenario_t *s, const char *p);

#ifdef __cplusplus
}
#endif
#endif
