/* SPDX-License-Identifier: MIT */
/*
 * feasibility.h - the seed's detection and transaction evaluations as data
 * (data/feasibility/README.md describes the folders and both text formats):
 *   detection/NN/    chain.txt (a chain script), chain.popichain (the chain it builds),
 *                    expected.tsv (the planted anomalies), README.md (what is planted);
 *   transactions/NN/ workload.txt (a scripted transfer workload with its expectations), README.md.
 * A detection set passes when the detector (detect.h) reports exactly the expected findings, no
 * more and no fewer, and chain.popichain is byte for byte what chain.txt builds. A transaction set
 * passes when every step of its workload behaves as written (payments accepted, double-spend
 * attempts refused with the named reason, balances exact), the coins held equal the coins issued,
 * and the final chain scans clean.
 *
 * Central structure: popi_feasibility_result_t, one per set. Every set uses the same rules
 * (popi_feasibility_rules: proof of work checked for real, coinbase maturity 5 further blocks,
 * 50 Mcoin subsidy, 0.01 Mcoin packing reward per transaction). Wallets are named, their keys
 * derived from the names (wallet.h), so the data files are small text and every byte is
 * reproducible.
 */
#ifndef POPI_FEASIBILITY_H
#define POPI_FEASIBILITY_H

#include "popi/block.h"
#include "popi/common.h"
#include "popi/ledger.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POPI_FEASIBILITY_T0_S INT64_C(1700000000) /**< time of the first block, Unix seconds */
#define POPI_FEASIBILITY_GAP_S INT64_C(600)       /**< default gap between blocks, seconds */
#define POPI_FEASIBILITY_ZERO_BITS 8u             /**< default proof-of-work difficulty */

/** Outcome of one evaluation set. Destroy with popi_feasibility_result_destroy. */
typedef struct {
    char set[96];        /**< "detection/03" (the label given) */
    bool pass;           /**< every check passed */
    uint32_t n_checks;   /**< expected findings (detection) or checked steps (transactions) */
    uint32_t n_passed;   /**< of which passed */
    char note[160];      /**< first line of the set's README.md, "" without one */
    char *detail;        /**< failure lines, NUL-terminated, owned; NULL when it passed */
} popi_feasibility_result_t;

/** Release the detail text. Accepts a zeroed or destroyed result. */
void popi_feasibility_result_destroy(popi_feasibility_result_t *r);

/**
 * The rules every set is built and checked with: popi_ledger_rules_default(POW) (subsidy 50
 * Mcoin, halving 210000, packing 0.01 Mcoin per transaction, maturity 5) with
 * check_proof = popi_ledger_proof_pow_bits (the header hash must meet its own target).
 */
void popi_feasibility_rules(popi_ledger_rules_t *rules);

/**
 * Build the chain a chain script describes (format in data/feasibility/README.md). @p name names
 * the script in messages. Deterministic: the same text gives the same bytes on every machine.
 * On success *blocks is a new array of *n blocks in file order (free with popi_chainfile_free).
 * @return POPI_EPARSE "feasibility: <name>:<line>: ..." for a malformed line, an unknown wallet
 * label or coin reference, or a payment its payer cannot cover; *blocks is NULL then.
 * Time: the proof-of-work grinding (2^zero_bits header hashes per block) and one signature per
 * input.
 */
popi_err_t popi_feasibility_build_chain(const char *text, const char *name, popi_block_t ***blocks,
                                        size_t *n);

/**
 * Evaluate the detection set in folder @p dir, labelled @p label in the result. Reads
 * expected.tsv and chain.popichain, scans the chain with the detector (rules above, no clock,
 * descendants of invalid blocks not flagged: only the planted anomalies count) and matches the
 * findings one to one with the expected rows; if chain.txt exists, also rebuilds it and compares.
 * @return POPI_OK when the set could be evaluated (pass or fail is in @p res), POPI_EIO (a file
 * cannot be read), POPI_EPARSE (expected.tsv or chain.txt malformed), POPI_EFORMAT (the chain
 * file does not decode). @p res is filled in every case (destroy it).
 */
popi_err_t popi_feasibility_detection(const char *dir, const char *label,
                                      popi_feasibility_result_t *res);

/**
 * Run the transfer workload @p text (format in data/feasibility/README.md), named @p name in
 * messages, and fill @p res (label @p name). Each step runs against a fresh block store, mempool
 * and chain view with real proof of work; a step that does not behave as written fails the set
 * and the run goes on. Two checks end every workload: the named wallets hold exactly the coins
 * the chain's coinbases issued, and the detector finds nothing in the final chain.
 * @return POPI_OK (pass or fail in @p res) or POPI_EPARSE for a malformed line.
 */
popi_err_t popi_feasibility_run_workload(const char *text, const char *name,
                                         popi_feasibility_result_t *res);

/**
 * Evaluate the transaction set in folder @p dir (its workload.txt), labelled @p label.
 * @return as popi_feasibility_run_workload, or POPI_EIO if workload.txt cannot be read.
 */
popi_err_t popi_feasibility_transactions(const char *dir, const char *label,
                                         popi_feasibility_result_t *res);

/**
 * The `popi feasibility` command: parses @p argv (argv[0] = "feasibility"), evaluates the sets,
 * prints the pass/fail table on stdout and problems on stderr.
 * @return the process exit status: 0 every set passed, 1 a set failed, 2 bad input (options, a
 * missing folder, a malformed data file).
 */
int popi_feasibility_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
