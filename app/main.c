/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `popi` command line: run, params, version, feasibility, console.
 *
 * Exit codes: 0 success; 1 internal failure; 2 bad input (usage, scenario, map or trace: the
 * message names the key, line or path); 3 the output could not be written (nothing is left at the
 * output path). Only this file calls exit().
 */
#include "popi/console.h"
#include "popi/feasibility.h"
#include "popi/run.h"
#include "popi/netrun.h"
#include "popi/scenario.h"

#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_INTERNAL = 1, EXIT_INPUT = 2, EXIT_OUTPUT = 3 };

static void usage_main(FILE *f)
{
    fprintf(f,
            "usage: popi <command> [options]\n"
            "\n"
            "commands:\n"
            "  run       simulate a crowd (or replay a contact trace) and write an HDF5 file\n"
            "  params    print every scenario key with type, default, range, unit and source\n"
            "  feasibility  run the seed's detection and transaction evaluations (pass/fail table)\n"
            "  console   the Mcoin console: getinfo, getbalance, send, mine (stdin or TCP)\n"
            "  version   print the version\n"
            "\n"
            "`popi <command> --help` describes each command.\n");
}

static void usage_run(FILE *f)
{
    fprintf(f,
            "usage: popi run <scenario.json> -o <out.h5> [options]\n"
            "\n"
            "Simulate the crowd of the scenario: exact proximity intervals, BLE detection, per-agent\n"
            "counts and power-law fits, all written to one HDF5 file (written under a temporary name\n"
            "and renamed when complete).\n"
            "\n"
            "options:\n"
            "  -o, --output FILE     HDF5 output file (required)\n"
            "      --seed N          master seed (same as --set run.seed=N)\n"
            "      --threads N       threads for the contact candidate search and, in network runs,\n"
            "                        the flood relay's delays and signatures (default 1; results\n"
            "                        do not depend on it)\n"
            "      --set KEY=VALUE   override any scenario key (repeatable), e.g. --set crowd.agents=500\n"
            "  -q, --quiet           no progress bar and no summary\n"
            "  -h, --help            this text\n"
            "\n"
            "exit codes: 0 ok, 1 internal error, 2 bad input (scenario, map, trace), 3 output not written\n");
}

typedef struct {
    int last;
} progress_t;

static void progress_bar(void *ctx, double frac)
{
    progress_t *p = ctx;
    int pct = (int)(frac * 100.0 + 0.5);
    if (pct == p->last) return;
    p->last = pct;
    int w = 40, fill = pct * w / 100;
    fprintf(stderr, "\r  [");
    for (int k = 0; k < w; k++) fputc(k < fill ? '#' : ' ', stderr);
    fprintf(stderr, "] %3d%%", pct);
    if (pct >= 100) fputc('\n', stderr);
    fflush(stderr);
}

static void print_summary(const popi_run_summary_t *s, const char *out)
{
    const popi_powerlaw_fit_t *f = &s->fit_events;
    printf("popi run summary%s\n", s->from_trace ? " (trace replay)" : "");
    printf("  %-28s %u\n", "agents", s->agents);
    printf("  %-28s %.0f s\n", "simulated time", s->sim_s);
    printf("  %-28s %llu\n", "proximity intervals", (unsigned long long)s->proximities);
    printf("  %-28s %llu\n", "detected contacts", (unsigned long long)s->contacts);
    printf("  %-28s %.1f\n", "median contacts per agent", s->median_events);
    printf("  %-28s %.0f\n", "max contacts per agent", s->max_events);
    printf("  %-28s %zu (rule bounds %.3g..%.3g)\n", "agents flagged as outliers",
           s->robust_events.n_flagged, s->robust_events.lo, s->robust_events.hi);
    if (f->ok)
        printf("  %-28s alpha %.3f +- %.3f, x_min %.0f, KS D %.4f, p %.3f (%d resamples)\n",
               "power law, contacts/agent", f->alpha, f->alpha_se, f->xmin, f->ks_d, f->p_value,
               f->n_boot);
    else
        printf("  %-28s not enough data\n", "power law, contacts/agent");
    const popi_powerlaw_fit_t *d = &s->fit_durations;
    if (d->ok)
        printf("  %-28s alpha %.3f +- %.3f, x_min %.1f s, p %.3f; LR vs log-normal R %.2f (p %.3g)\n",
               "power law, durations", d->alpha, d->alpha_se, d->xmin, d->p_value, d->vs_lognormal.R,
               d->vs_lognormal.p);
    if (s->sightings)
        printf("  %-28s %llu\n", "BLE sightings evaluated", (unsigned long long)s->sightings);
    if (!s->from_trace)
        printf("  %-28s %llu\n", "event-queue events", (unsigned long long)s->des_events);
    if (!s->from_trace)
        printf("  %-28s %llu tested, %llu solved exactly, %llu buckets\n", "candidate pairs",
               (unsigned long long)s->engine.pairs_tested, (unsigned long long)s->engine.pairs_solved,
               (unsigned long long)s->engine.buckets);
    printf("  %-28s %.2f s (CPU %.2f s)\n", "wall time", s->wall_s, s->cpu_s);
    printf("  %-28s %.1f MB\n", "peak memory", (double)s->peak_rss_kb / 1024.0);
    if (out) printf("  %-28s %s\n", "output", out);
}

static void print_net_summary(const popi_netrun_summary_t *s, const char *out)
{
    printf("popi run summary (network)\n");
    printf("  %-28s %u (%u light), %llu edges\n", "nodes", s->nodes, s->light_nodes,
           (unsigned long long)s->edges);
    printf("  %-28s %.0f s\n", "simulated time", s->sim_s);
    printf("  %-28s %llu (%llu on the best chain, %llu stale)\n", "blocks produced",
           (unsigned long long)s->blocks, (unsigned long long)s->main_blocks,
           (unsigned long long)s->stale_blocks);
    printf("  %-28s %.4f (Decker-Wattenhofer prediction %.4f)\n", "stale rate", s->stale_rate,
           s->dw_stale_pred);
    printf("  %-28s %.2f s\n", "mean block interval", s->mean_interval_s);
    printf("  %-28s 50%% %.3f s, 90%% %.3f s, 100%% %.3f s\n", "propagation (median)",
           s->median_t50_s, s->median_t90_s, s->median_t100_s);
    printf("  %-28s %llu (%.1f MB)\n", "messages sent", (unsigned long long)s->messages,
           (double)s->bytes / 1e6);
    printf("  %-28s %.1f J (%.2f %% of a battery per day)\n", "energy per node (mean)",
           s->energy_mean_j, s->battery_pct_per_day_mean);
    if (s->txs_created)
        printf("  %-28s %llu made (%llu draws found no payer with coins), %llu confirmed, "
               "median latency %.1f s\n",
               "transactions", (unsigned long long)s->txs_created,
               (unsigned long long)s->txs_skipped, (unsigned long long)s->txs_confirmed,
               s->median_confirm_s);
    if (s->txs_rejected)
        printf("  %-28s %llu payments refused by the run-wide pool\n", "",
               (unsigned long long)s->txs_rejected);
    printf("  %-28s %llu\n", "event-queue events", (unsigned long long)s->des_events);
    printf("  %-28s %llu validator runs, %llu reorgs\n", "ledger",
           (unsigned long long)s->validations, (unsigned long long)s->reorgs);
    printf("  %-28s %.2f s (CPU %.2f s)\n", "wall time", s->wall_s, s->cpu_s);
    printf("  %-28s %.1f MB\n", "peak memory", (double)s->peak_rss_kb / 1024.0);
    if (out) printf("  %-28s %s\n", "output", out);
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"seed", required_argument, NULL, 'S'},
                                         {"threads", required_argument, NULL, 'T'},
                                         {"set", required_argument, NULL, 's'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *seed = NULL;
    char **sets = calloc((size_t)argc, sizeof *sets);
    int n_sets = 0, threads = 1, c;
    bool quiet = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'S': seed = optarg; break;
        case 'T': {
            char *end;
            long t = strtol(optarg, &end, 10);
            if (*end || t < 1 || t > 1024) {
                fprintf(stderr, "popi run: --threads must be an integer in [1, 1024], got '%s'\n", optarg);
                free(sets);
                return EXIT_INPUT;
            }
            threads = (int)t;
            break;
        }
        case 's': sets[n_sets++] = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage_run(stdout); free(sets); return 0;
        default: usage_run(stderr); free(sets); return EXIT_INPUT;
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "popi run: need exactly one scenario file and -o <out.h5>\n");
        usage_run(stderr);
        free(sets);
        return EXIT_INPUT;
    }
    const char *path = argv[optind];
    popi_scenario_t sc;
    popi_scenario_defaults(&sc);
    popi_err_t rc = popi_scenario_load_file(&sc, path);
    if (!rc && seed) {
        char buf[128];
        snprintf(buf, sizeof buf, "run.seed=%s", seed);
        rc = popi_scenario_set(&sc, buf);
    }
    for (int k = 0; !rc && k < n_sets; k++) rc = popi_scenario_set(&sc, sets[k]);
    if (!rc) rc = popi_scenario_validate(&sc);
    free(sets);
    if (rc) {
        fprintf(stderr, "popi run: %s\n", popi_err_message());
        popi_scenario_destroy(&sc);
        return EXIT_INPUT;
    }
    progress_t pr = {-1};
    bool bar = !quiet && isatty(STDERR_FILENO);
    popi_run_opts_t ro = {out, threads, 0, bar ? progress_bar : NULL, &pr};
    popi_run_summary_t sum;
    popi_netrun_summary_t nsum;
    popi_run_fail_t fail;
    bool network = sc.consensus_engine != 0;
    rc = network ? popi_netrun_execute(&sc, &ro, &nsum, &fail, NULL)
                 : popi_run_execute(&sc, &ro, &sum, &fail);
    popi_scenario_destroy(&sc);
    if (rc) {
        if (bar && pr.last >= 0 && pr.last < 100) fputc('\n', stderr);
        fprintf(stderr, "popi run: %s\n", popi_err_message());
        return fail == POPI_RUN_FAIL_INPUT ? EXIT_INPUT : fail == POPI_RUN_FAIL_OUTPUT ? EXIT_OUTPUT
                                                                                       : EXIT_INTERNAL;
    }
    if (!quiet) {
        if (network) print_net_summary(&nsum, out);
        else print_summary(&sum, out);
    }
    return 0;
}

static int cmd_params(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: popi params\n\nPrint every scenario key as a Markdown table: key, type, default,\n"
               "range, unit, description and source.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "popi params: unexpected argument '%s'\n", argv[1]);
        return EXIT_INPUT;
    }
    popi_scenario_print_params(stdout);
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: popi version\n\nPrint the program version and the libraries it was built with.\n");
        return 0;
    }
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    printf("popi-sim %s (HDF5 %u.%u.%u)\n", popi_version(), maj, min, rel);
    return 0;
}

int main(int argc, char **argv)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported through popi messages */
    gsl_set_error_handler_off();           /* library code checks GSL return codes itself */
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "params")) return cmd_params(argc - 1, argv + 1);
    if (!strcmp(cmd, "feasibility")) return popi_feasibility_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "console")) return popi_console_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) return cmd_version(argc - 1, argv + 1);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage_main(stdout);
        return 0;
    }
    fprintf(stderr, "popi: unknown command '%s'\n", cmd);
    usage_main(stderr);
    return EXIT_INPUT;
}
