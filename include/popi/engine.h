/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the consensus engine interface: one vtable per mechanism (PoW today; PoPI, PoS and
 * PoEWAL behind the same table), looked up by name from the scenario.
 *
 * An engine decides only what differs between mechanisms (DESIGN.md §4): who may produce a block
 * and when, the proof a header carries and how it is checked, the difficulty of the next block,
 * the weight a block adds for fork choice, and rewards beyond the ledger's subsidy and packing
 * reward. Everything else (ledger, nodes, gossip, mempool, fork choice) is shared. The engine
 * talks to the nodes of a run only through popi_engine_host_t, which the network run (app/
 * netrun.c via consensus/node.c) fills; engines never see each other.
 *
 * Life cycle: create(host) (the host answers can_produce for t = 0 already) → the host builds its block store with check_proof/weight/sharing
 * (ctx = the engine state) and sets host->store → start(now) → on_tip/on_online as the nodes
 * change → finish(t_end) → destroy.
 */
#ifndef POPI_ENGINE_H
#define POPI_ENGINE_H

#include "popi/des.h"
#include "popi/energy.h"
#include "popi/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Scenario keys pow.* (units, defaults and sources in the parameter table). */
typedef struct {
    double hash_rate_hs;    /**< mean hash rate of a miner, H/s */
    double hash_rate_sigma; /**< log-normal spread of hash rates (0: identical) */
    double miner_fraction;  /**< share of full nodes that mine */
    double block_interval_s;/**< target block interval, s */
    int retarget_interval;  /**< blocks between retargets */
    int sim_zero_bits;      /**< leading zero bits of the genesis target */
} popi_pow_config_t;

/** The keys of every engine; each engine reads its own member. */
typedef struct {
    popi_pow_config_t pow;
} popi_engine_config_t;

/** What the engine may ask of the nodes of a run. All callbacks get @p ctx first. */
typedef struct popi_engine_host {
    void *ctx;
    uint32_t n_nodes;             /**< node ids are 0 .. n_nodes − 1 */
    const popi_engine_config_t *cfg; /**< the engines' keys */
    uint64_t seed, run_index;     /**< for the engine's RNG streams */
    popi_des_t *des;              /**< the run's event queue (engines schedule on it) */
    popi_store_t *store;          /**< set by the host after create, before start */
    /** Best tip of @p node's view (never NULL after start: every node holds the genesis). */
    popi_store_node_t *(*tip)(void *ctx, uint32_t node);
    /** False once the run stops producing (chain.stop_blocks reached): stop scheduling. */
    bool (*active)(void *ctx);
    /** True if @p node may produce now (a full node, online, the run active). */
    bool (*can_produce)(void *ctx, uint32_t node, popi_time_t now);
    /**
     * @p node builds a block on its tip at @p now with compact target @p bits and @p proof
     * (may be NULL), grinds a real nonce meeting @p bits when @p grind, submits it to its own
     * view and gossips it. *out (may be NULL) receives the stored block.
     */
    popi_err_t (*produce)(void *ctx, uint32_t node, popi_time_t now, uint32_t bits,
                          const uint8_t *proof, uint32_t proof_len, bool grind,
                          popi_store_node_t **out);
    /** Charge @p joules of category @p cat to @p node's energy meter. */
    void (*charge)(void *ctx, uint32_t node, popi_energy_cat_t cat, double joules);
    /** Seconds @p node was online in [0, t_end). */
    double (*online_s)(void *ctx, uint32_t node, popi_time_t t_end);
    /** Energy model of the run (J per hash etc.). */
    const popi_energy_model_t *energy;
} popi_engine_host_t;

/** One consensus mechanism. Every function pointer is set (engines fill trivial ones). */
typedef struct popi_engine_vt {
    const char *name;           /**< scenario value of consensus.engine */
    popi_consensus_kind_t kind; /**< written into every header */
    /** Build the engine's state from the scenario. POPI_EINVAL naming the key on bad values. */
    popi_err_t (*create)(popi_engine_host_t *host, void **state);
    void (*destroy)(void *state);
    /** Bits of the genesis block. */
    uint32_t (*genesis_bits)(void *state);
    /** Header proof check (popi_ledger_proof_fn; ctx = state). */
    bool (*check_proof)(void *state, const popi_block_t *block, const popi_block_t *parent,
                        char *reason, size_t reason_cap);
    /** Weight a block adds to its chain (popi_store_weight_fn; ctx = state). */
    double (*weight)(void *state, const popi_block_t *block);
    /** Sharing reward a block may pay (popi_store_sharing_fn; ctx = state); 0 if none. */
    uint64_t (*sharing)(void *state, const popi_block_t *block, const popi_block_t *parent);
    /** Schedule production from @p now (who may produce, and when). */
    popi_err_t (*start)(void *state, popi_time_t now);
    /** @p node's best tip became @p tip at @p now. */
    void (*on_tip)(void *state, uint32_t node, popi_store_node_t *tip, popi_time_t now);
    /** @p node went online (true) or offline (false) at @p now. */
    void (*on_online)(void *state, uint32_t node, bool online, popi_time_t now);
    /** The run ends at @p t_end: charge what accrued (e.g. hashing energy). */
    void (*finish)(void *state, popi_time_t t_end);
    /** The resource @p node holds (hash rate, stake, ...), for expectational fairness. */
    double (*resource)(void *state, uint32_t node);
    /** Target block interval, s (caps a node's uninformed time in the Decker–Wattenhofer sum). */
    double (*block_interval_s)(const void *state);
} popi_engine_vt_t;

/** The engine called @p name, or NULL (POPI_ENOTFOUND is for the caller to report). */
const popi_engine_vt_t *popi_engine_find(const char *name);

/** The PoW engine (consensus/pow.c). */
extern const popi_engine_vt_t popi_engine_pow;

/* ---- difficulty helpers shared by the engines ---- */

/**
 * Bitcoin's retarget: the compact target of @p bits scaled by @p actual / @p expected (both µs,
 * > 0), the ratio clamped to [1/4, 4], computed on the 256-bit target and capped at the target of
 * @p limit_bits. Exact integer arithmetic (the result is rounded down like GetCompact).
 */
uint32_t popi_engine_retarget(uint32_t bits, popi_time_t actual, popi_time_t expected,
                              uint32_t limit_bits);

#ifdef __cplusplus
}
#endif
#endif
