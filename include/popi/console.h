/* SPDX-License-Identifier: MIT */
/*
 * console.h - the seed's Mcoin console: one wallet and one proof-of-work chain, driven by text
 * commands (getinfo, getbalance, send, mine, newkey, verify, help, quit, shutdown) from a
 * terminal, a script on standard input, or a TCP client on the loopback interface.
 *
 * Central structure: popi_console_t, a block store, a mempool and a chain view (chain.h) plus the
 * wallet key and the paths of its files. Invariant: after every command that changes state the
 * chain file (<chain>) and the pending-transactions file (<chain>.pending) on disk equal the
 * state in memory, each written atomically (temporary file, fsync, rename), so a console killed
 * at any moment leaves the old or the new file, never a mixture. Formats: docs/FORMATS.md
 * ("Chain file", "Pending transactions"). Rules: popi_feasibility_rules (proof of work checked,
 * maturity 5, subsidy 50 Mcoin, 0.01 Mcoin packing reward per transaction).
 */
#ifndef POPI_CONSOLE_H
#define POPI_CONSOLE_H

#include "popi/codec.h"
#include "popi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POPI_CONSOLE_MAX_DIFFICULTY 32u /**< highest `mine` difficulty, leading zero bits */

/** How a console starts. Zero-initialise, then set what is needed. */
typedef struct {
    const char *chain_path; /**< chain file: loaded if it exists, written after each change;
                                 NULL keeps the chain in memory only */
    const char *key_path;   /**< wallet secret key file: loaded if it exists, else `newkey`
                                 saves the first new key there; may be NULL */
    const char *key_name;   /**< wallet derived from a name (wallet.h; public knowledge, for demos
                                 and test scripts); excludes key_path; may be NULL */
    bool fixed_clock;       /**< true: the clock always reads clock_us (reproducible sessions) */
    popi_time_t clock_us;   /**< µs since the Unix epoch when fixed_clock */
} popi_console_opts_t;

/** What the caller should do after a command. */
typedef enum {
    POPI_CONSOLE_CONTINUE = 0, /**< read the next command */
    POPI_CONSOLE_QUIT = 1,     /**< end this session (stdin: exit; TCP: close the connection) */
    POPI_CONSOLE_SHUTDOWN = 2  /**< end the session and stop serving */
} popi_console_action_t;

typedef struct popi_console popi_console_t;

/**
 * Open a console: load the chain file (strictly; every block must connect and validate), re-admit
 * the pending transactions of <chain>.pending, load or derive the wallet key. @p log (may be NULL)
 * receives one line per notable event (pending transactions no longer valid).
 * @return POPI_EINVAL (both key_path and key_name, bad name), POPI_EIO / POPI_EFORMAT (a file
 * cannot be read or decoded), POPI_EPARSE (key file or pending file content), POPI_ESTATE (the
 * chain file holds blocks that do not validate: scan it with `verify FILE`). *out is NULL on
 * failure.
 */
popi_err_t popi_console_open(const popi_console_opts_t *o, popi_codec_writer_t *log,
                             popi_console_t **out);

/** Close a console (its files are already up to date). Accepts NULL. */
void popi_console_free(popi_console_t *c);

/**
 * Execute one command line (without or with its newline) and append the reply to @p reply:
 * one or more lines, each ending in '\n'; failures are lines starting "error: " and never end the
 * console. An empty or comment line ('#') gives no reply. Time: `mine D` grinds about 2^D header
 * hashes; `verify` scans the whole chain; the others are fast.
 */
popi_console_action_t popi_console_exec(popi_console_t *c, const char *line,
                                        popi_codec_writer_t *reply);

/**
 * The `popi console` command (argv[0] = "console"): options, then a session on standard input
 * or a loopback TCP server. Prints replies on stdout and start-up problems on stderr.
 * @return the exit status: 0 normal end, 1 internal failure (a socket error), 2 bad input
 * (options, a non-loopback address, a file that cannot be loaded).
 */
int popi_console_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
