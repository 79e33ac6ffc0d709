/* SPDX-License-Identifier: MIT */
/*
 * console.c - the seed's Mcoin console (console.h): command interpreter, crash-safe files, a
 * session on standard input and a one-client-at-a-time TCP server on the loopback interface.
 *
 * Central structure: popi_console_t (store, mempool, chain view, wallet key, file paths).
 * Invariant: whenever a command returns, <chain> and <chain>.pending on disk describe the
 * state in memory; both are replaced atomically (mkstemp in the same folder, write, fsync,
 * rename, fsync of the folder), so killing the process at any instant leaves each file either
 * as before or as after the command. Keys made by `newkey` come from libsodium's CSPRNG (a real
 * wallet, not a simulation: the rng.h streams are for reproducible runs, not for secrets).
 */
#include "popi/console.h"

#include "popi/chain.h"
#include "popi/chainfile.h"
#include "popi/detect.h"
#include "popi/feasibility.h"
#include "popi/wallet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PENDING_MAGIC "popi-pending-v1"
#define MAX_LINE 4096

struct popi_console {
    popi_console_opts_t o;
    char *chain_path, *pending_path, *key_path;
    popi_store_t *store;
    popi_mempool_t *mp;
    popi_chain_t ch;
    bool has_key;
    popi_keypair_t key;
};

static void put(popi_codec_writer_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(popi_codec_writer_t *w, const char *fmt, ...)
{
    if (!w) return; /* callers without a log pass NULL */
    va_list ap;
    va_start(ap, fmt);
    popi_codec_vprintf(w, fmt, ap);
    va_end(ap);
}

static popi_time_t console_now(const popi_console_t *c)
{
    if (c->o.fixed_clock) return c->o.clock_us;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (popi_time_t)ts.tv_sec * POPI_US_PER_S + ts.tv_nsec / 1000;
}

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- atomic text files (the pending transactions) ---- */

static popi_err_t write_atomic(const char *path, const void *data, size_t len)
{
    size_t n = strlen(path);
    char *tmp = popi_xmalloc(n + 16);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        popi_err_t e = popi_err_set(POPI_EIO, "console: cannot create a temporary file for %s: %s",
                                    path, strerror(errno));
        free(tmp);
        return e;
    }
    const char *step = NULL;
    const uint8_t *p = data;
    size_t left = len;
    while (left && !step) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) step = "write";
        else {
            p += w;
            left -= (size_t)w;
        }
    }
    if (!step && fchmod(fd, 0644) != 0) step = "chmod";
    if (!step && fsync(fd) != 0) step = "fsync";
    if (close(fd) != 0 && !step) step = "close";
    if (!step && rename(tmp, path) != 0) step = "rename";
    if (step) {
        popi_err_t e = popi_err_set(POPI_EIO, "console: cannot %s %s: %s", step, path,
                                    strerror(errno));
        unlink(tmp);
        free(tmp);
        return e;
    }
    free(tmp);
    /* make the rename durable */
    char *dir = popi_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
    return POPI_OK;
}

static popi_err_t save_pending(popi_console_t *c)
{
    if (!c->pending_path) return POPI_OK;
    if (popi_mempool_count(c->mp) == 0 && !file_exists(c->pending_path)) return POPI_OK;
    popi_codec_writer_t w, enc;
    popi_codec_writer_init(&w);
    popi_codec_writer_init(&enc);
    popi_codec_put(&w, PENDING_MAGIC "\n", sizeof PENDING_MAGIC);
    size_t pos = 0;
    const popi_tx_t *tx;
    while ((tx = popi_mempool_next(c->mp, &pos))) {
        enc.len = 0;
        popi_tx_encode(tx, &enc);
        char *hex = popi_xmalloc(2 * enc.len + 2);
        popi_crypto_hex(hex, enc.data, enc.len);
        hex[2 * enc.len] = '\n';
        popi_codec_put(&w, hex, 2 * enc.len + 1);
        free(hex);
    }
    popi_err_t e = write_atomic(c->pending_path, w.data, w.len);
    popi_codec_writer_destroy(&w);
    popi_codec_writer_destroy(&enc);
    return e;
}

static popi_err_t load_pending(popi_console_t *c, popi_codec_writer_t *log)
{
    if (!c->pending_path || !file_exists(c->pending_path)) return POPI_OK;
    FILE *f = fopen(c->pending_path, "r");
    if (!f) return popi_err_set(POPI_EIO, "console: cannot open %s: %s", c->pending_path,
                                strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int ln = 0;
    popi_err_t e = POPI_OK;
    size_t dropped = 0;
    while (!e && (len = getline(&line, &cap, f)) >= 0) {
        ln++;
        if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
        if (ln == 1) {
            if (strcmp(line, PENDING_MAGIC))
                e = popi_err_set(POPI_EPARSE, "console: %s:1: expected '%s'", c->pending_path,
                                 PENDING_MAGIC);
            continue;
        }
        size_t n = (size_t)len / 2;
        uint8_t *buf = popi_xmalloc(n + 1);
        popi_tx_t tx;
        if (len % 2 || popi_crypto_unhex(buf, n, line) || popi_tx_decode(buf, n, &tx)) {
            e = popi_err_set(POPI_EPARSE, "console: %s:%d: not a hex-encoded transaction",
                             c->pending_path, ln);
        } else {
            popi_mempool_result_t r;
            if (popi_mempool_add(c->mp, &tx, &r) || r.outcome != POPI_MEMPOOL_ACCEPTED) dropped++;
            popi_tx_destroy(&tx);
        }
        free(buf);
    }
    if (!e && ln == 0)
        e = popi_err_set(POPI_EPARSE, "console: %s is empty (expected '%s')", c->pending_path,
                         PENDING_MAGIC);
    free(line);
    fclose(f);
    if (!e && dropped)
        put(log, "%zu pending transaction%s no longer valid, dropped\n", dropped,
            dropped > 1 ? "s" : "");
    return e;
}

/* ---- open / free ---- */

void popi_console_free(popi_console_t *c)
{
    if (!c) return;
    popi_chain_destroy(&c->ch);
    popi_mempool_free(c->mp);
    popi_store_free(c->store);
    popi_crypto_keypair_wipe(&c->key);
    free(c->chain_path);
    free(c->pending_path);
    free(c->key_path);
    free(c);
}

popi_err_t popi_console_open(const popi_console_opts_t *o, popi_codec_writer_t *log,
                             popi_console_t **out)
{
    *out = NULL;
    if (o->key_path && o->key_name)
        return popi_err_set(POPI_EINVAL, "console: give a key file or a key name, not both");
    popi_err_t e = popi_crypto_init();
    if (e) return e;
    popi_console_t *c = popi_xcalloc(1, sizeof *c);
    c->o = *o;
    c->chain_path = popi_xstrdup(o->chain_path);
    c->key_path = popi_xstrdup(o->key_path);
    if (o->chain_path) {
        size_t n = strlen(o->chain_path);
        c->pending_path = popi_xmalloc(n + 9);
        memcpy(c->pending_path, o->chain_path, n);
        memcpy(c->pending_path + n, ".pending", 9);
    }
    popi_store_config_t cfg;
    popi_store_config_default(&cfg, POPI_CONSENSUS_POW);
    popi_feasibility_rules(&cfg.rules);
    if ((e = popi_store_create(&cfg, &c->store))) goto fail;
    c->mp = popi_mempool_create(c->store, 0);
    popi_chain_init(&c->ch, c->store, c->mp);
    if (o->key_name) {
        if ((e = popi_wallet_from_name(&c->key, o->key_name))) goto fail;
        c->has_key = true;
    } else if (o->key_path && file_exists(o->key_path)) {
        if ((e = popi_crypto_secret_load(o->key_path, &c->key))) goto fail;
        c->has_key = true;
    }
    if (c->chain_path && file_exists(c->chain_path)) {
        popi_chain_load_t ld;
        if ((e = popi_chain_load(&c->ch, c->chain_path, console_now(c), &ld))) goto fail;
        if (ld.n_invalid || ld.n_connected != ld.n_blocks) {
            e = popi_err_set(POPI_ESTATE,
                             "console: %s: %zu of %zu blocks do not connect (%zu invalid%s%s); "
                             "refusing to overwrite it: inspect it with `verify %s` in a console "
                             "without --chain",
                             c->chain_path, ld.n_blocks - ld.n_connected, ld.n_blocks, ld.n_invalid,
                             ld.n_invalid ? ", first: " : "",
                             ld.n_invalid ? ld.first_invalid.message : "", c->chain_path);
            goto fail;
        }
        if ((e = load_pending(c, log))) goto fail;
    }
    *out = c;
    return POPI_OK;
fail:
    popi_console_free(c);
    return e;
}

/* ---- commands ---- */

static void cmd_help(popi_codec_writer_t *r)
{
    put(r, "commands (ADDRESS = 64 hex digits, an Ed25519 public key; AMOUNT in Mcoin, up to 8 "
           "decimals):\n"
           "  getinfo                    chain height, tip, blocks, pending transactions, wallet\n"
           "  getbalance [ADDRESS]       balance of ADDRESS (default: this wallet)\n"
           "  send ADDRESS AMOUNT [FEE]  pay from this wallet (pending until a block is mined)\n"
           "  mine DIFFICULTY            mine a block of DIFFICULTY leading zero bits (0..%u)\n"
           "  newkey [FILE]              make a new random wallet key and use it (saved to FILE)\n"
           "  verify [CHAINFILE]         scan this chain (or CHAINFILE) for abnormal blocks\n"
           "  help                       this text\n"
           "  quit                       end the session\n"
           "  shutdown                   end the session and stop a --listen server\n",
        POPI_CONSOLE_MAX_DIFFICULTY);
}

static void cmd_getinfo(popi_console_t *c, popi_codec_writer_t *r)
{
    char hx[2 * POPI_HASH_BYTES + 1];
    put(r, "height %" PRId64 "\n", popi_chain_height(&c->ch));
    if (c->ch.tip) popi_crypto_hex(hx, c->ch.tip->block->hash.b, POPI_HASH_BYTES);
    put(r, "tip %s\n", c->ch.tip ? hx : "none");
    put(r, "blocks %zu\n", c->ch.tip ? (size_t)c->ch.tip->depth + 1 : (size_t)0);
    put(r, "pending %zu\n", popi_mempool_count(c->mp));
    if (c->has_key) popi_crypto_hex(hx, c->key.pk.b, POPI_PUBKEY_BYTES);
    put(r, "wallet %s\n", c->has_key ? hx : "none");
    put(r, "chain %s\n", c->chain_path ? c->chain_path : "(memory only)");
}

static bool wallet_needed(const popi_console_t *c, popi_codec_writer_t *r)
{
    if (c->has_key) return true;
    put(r, "error: no wallet key: use newkey, or start with --key FILE\n");
    return false;
}

static void cmd_getbalance(popi_console_t *c, char **tok, int n, popi_codec_writer_t *r)
{
    popi_pubkey_t pk;
    if (n > 2) {
        put(r, "error: usage: getbalance [ADDRESS]\n");
        return;
    }
    if (n == 2) {
        if (popi_crypto_pubkey_parse(&pk, tok[1])) {
            put(r, "error: %s\n", popi_err_message());
            return;
        }
    } else {
        if (!wallet_needed(c, r)) return;
        pk = c->key.pk;
    }
    popi_store_balance_t bal;
    memset(&bal, 0, sizeof bal);
    uint64_t now = 0;
    if (c->ch.tip) {
        popi_chain_balance(&c->ch, &pk, &bal);
        popi_mempool_spendable(c->mp, &pk, &now);
    }
    char a[POPI_WALLET_AMOUNT_CHARS], b[POPI_WALLET_AMOUNT_CHARS], d[POPI_WALLET_AMOUNT_CHARS];
    put(r, "balance %s spendable %s immature %s\n", popi_wallet_amount_format(a, bal.total),
        popi_wallet_amount_format(b, now), popi_wallet_amount_format(d, bal.total - bal.spendable));
}

static void cmd_send(popi_console_t *c, char **tok, int n, popi_codec_writer_t *r)
{
    popi_pubkey_t to;
    uint64_t amount, fee = 0;
    if (n < 3 || n > 4) {
        put(r, "error: usage: send ADDRESS AMOUNT [FEE]\n");
        return;
    }
    if (!wallet_needed(c, r)) return;
    if (popi_crypto_pubkey_parse(&to, tok[1]) || popi_wallet_amount_parse(tok[2], &amount) ||
        (n == 4 && popi_wallet_amount_parse(tok[3], &fee))) {
        put(r, "error: %s\n", popi_err_message());
        return;
    }
    if (!c->ch.tip) {
        put(r, "error: no blocks yet: mine one first\n");
        return;
    }
    popi_mempool_result_t res;
    popi_hash_t txid;
    if (popi_mempool_pay(c->mp, &c->key, &to, amount, fee, &res, &txid)) {
        put(r, "error: %s\n", popi_err_message());
        return;
    }
    if (res.outcome != POPI_MEMPOOL_ACCEPTED) {
        put(r, "error: refused (%s): %s\n", popi_mempool_outcome_name(res.outcome),
            res.verdict.message);
        return;
    }
    char hx[2 * POPI_HASH_BYTES + 1], a[POPI_WALLET_AMOUNT_CHARS], f[POPI_WALLET_AMOUNT_CHARS];
    popi_crypto_hex(hx, txid.b, POPI_HASH_BYTES);
    popi_err_t e = save_pending(c);
    put(r, "sent %s amount %s fee %s (pending until the next block)\n", hx,
        popi_wallet_amount_format(a, amount), popi_wallet_amount_format(f, fee));
    if (e) put(r, "error: the payment is pending in memory but not saved: %s\n", popi_err_message());
}

static void cmd_mine(popi_console_t *c, char **tok, int n, popi_codec_writer_t *r)
{
    char *end = NULL;
    unsigned long d = n == 2 ? strtoul(tok[1], &end, 10) : 0;
    if (n != 2 || !end || *end || tok[1][0] == '-' || d > POPI_CONSOLE_MAX_DIFFICULTY) {
        put(r, "error: usage: mine DIFFICULTY (leading zero bits, 0..%u)\n",
            POPI_CONSOLE_MAX_DIFFICULTY);
        return;
    }
    if (!wallet_needed(c, r)) return;
    popi_chain_result_t res;
    popi_store_node_t *node;
    uint64_t tries;
    popi_err_t e = popi_chain_mine_pow(&c->ch, &c->key.pk, console_now(c), (unsigned)d, 0,
                                       UINT64_MAX, &res, &node, &tries);
    if (e) {
        put(r, "error: %s\n", popi_err_message());
        return;
    }
    if (res.outcome != POPI_CHAIN_TIP) {
        put(r, "error: the mined block was refused (%s): %s\n",
            popi_chain_outcome_name(res.outcome), res.verdict.message);
        return;
    }
    const popi_block_t *b = node->block;
    char hx[2 * POPI_HASH_BYTES + 1], a[POPI_WALLET_AMOUNT_CHARS];
    popi_crypto_hex(hx, b->hash.b, POPI_HASH_BYTES);
    put(r, "mined block %" PRIu64 " %s (%u transaction%s, reward %s, %" PRIu64 " hashes)\n",
        b->hdr.height, hx, b->n_tx - 1, b->n_tx == 2 ? "" : "s",
        popi_wallet_amount_format(a, b->tx[0].out[0].amount + b->tx[0].out[1].amount), tries);
    if (c->chain_path && (e = popi_chain_save(&c->ch, c->chain_path)))
        put(r, "error: the block is in memory but the chain file was not written: %s\n",
            popi_err_message());
    else if ((e = save_pending(c)))
        put(r, "error: pending transactions not saved: %s\n", popi_err_message());
}

static void cmd_newkey(popi_console_t *c, char **tok, int n, popi_codec_writer_t *r)
{
    if (n > 2) {
        put(r, "error: usage: newkey [FILE]\n");
        return;
    }
    uint8_t seed[POPI_SEED_BYTES];
    randombytes_buf(seed, sizeof seed);
    popi_keypair_t kp;
    popi_crypto_keypair_from_seed(&kp, seed);
    sodium_memzero(seed, sizeof seed);
    const char *path = n == 2 ? tok[1] : NULL;
    if (!path && !c->has_key && c->key_path && !file_exists(c->key_path)) path = c->key_path;
    if (path && popi_crypto_secret_save(path, &kp)) {
        put(r, "error: %s (the wallet is unchanged)\n", popi_err_message());
        popi_crypto_keypair_wipe(&kp);
        return;
    }
    c->key = kp;
    c->has_key = true;
    popi_crypto_keypair_wipe(&kp);
    char hx[2 * POPI_PUBKEY_BYTES + 1];
    popi_crypto_hex(hx, c->key.pk.b, POPI_PUBKEY_BYTES);
    if (path)
        put(r, "wallet %s (secret key saved to %s)\n", hx, path);
    else
        put(r, "wallet %s (secret key NOT saved: lost when the console ends; use newkey FILE)\n",
            hx);
}

static void cmd_verify(popi_console_t *c, char **tok, int n, popi_codec_writer_t *r)
{
    if (n > 2) {
        put(r, "error: usage: verify [CHAINFILE]\n");
        return;
    }
    popi_detect_options_t o;
    popi_detect_options_default(&o, POPI_CONSENSUS_POW);
    popi_feasibility_rules(&o.rules);
    popi_detect_report_t rep;
    popi_err_t e;
    if (n == 2) {
        e = popi_detect_scan_file(tok[1], &o, &rep);
    } else {
        size_t nb = c->ch.tip ? (size_t)c->ch.tip->depth + 1 : 0, i = nb;
        const popi_block_t **blocks = popi_xmalloc((nb + 1) * sizeof *blocks);
        for (const popi_store_node_t *x = c->ch.tip; x; x = x->parent)
            blocks[--i] = x->block;
        e = popi_detect_scan(blocks, nb, &o, &rep);
        free(blocks);
    }
    if (e) {
        put(r, "error: %s\n", popi_err_message());
    } else {
        char *text = popi_detect_report_format(&rep);
        popi_codec_put(r, text, strlen(text));
        free(text);
    }
    popi_detect_report_destroy(&rep);
}

popi_console_action_t popi_console_exec(popi_console_t *c, const char *line,
                                        popi_codec_writer_t *reply)
{
    char buf[MAX_LINE];
    size_t len = strlen(line);
    if (len >= sizeof buf) {
        put(reply, "error: line longer than %d bytes\n", MAX_LINE - 1);
        return POPI_CONSOLE_CONTINUE;
    }
    memcpy(buf, line, len + 1);
    char *tok[8], *save = NULL;
    int n = 0;
    for (char *p = strtok_r(buf, " \t\r\n", &save); p && n < 8; p = strtok_r(NULL, " \t\r\n", &save))
        tok[n++] = p;
    if (n == 0 || tok[0][0] == '#') return POPI_CONSOLE_CONTINUE;
    const char *cmd = tok[0];
    if (!strcmp(cmd, "help")) {
        cmd_help(reply);
    } else if (!strcmp(cmd, "getinfo")) {
        cmd_getinfo(c, reply);
    } else if (!strcmp(cmd, "getbalance")) {
        cmd_getbalance(c, tok, n, reply);
    } else if (!strcmp(cmd, "send")) {
        cmd_send(c, tok, n, reply);
    } else if (!strcmp(cmd, "mine")) {
        cmd_mine(c, tok, n, reply);
    } else if (!strcmp(cmd, "newkey")) {
        cmd_newkey(c, tok, n, reply);
    } else if (!strcmp(cmd, "verify")) {
        cmd_verify(c, tok, n, reply);
    } else if (!strcmp(cmd, "quit") || !strcmp(cmd, "exit")) {
        put(reply, "bye\n");
        return POPI_CONSOLE_QUIT;
    } else if (!strcmp(cmd, "shutdown")) {
        put(reply, "bye (server stopping)\n");
        return POPI_CONSOLE_SHUTDOWN;
    } else {
        put(reply, "error: unknown command '%.40s' (help lists the commands)\n", cmd);
    }
    return POPI_CONSOLE_CONTINUE;
}

/* ---- sessions ---- */

static int session_stdin(popi_console_t *c)
{
    bool tty = isatty(STDIN_FILENO) != 0;
    char *line = NULL;
    size_t cap = 0;
    popi_codec_writer_t reply;
    popi_codec_writer_init(&reply);
    for (;;) {
        if (tty) {
            fputs("popi> ", stdout);
            fflush(stdout);
        }
        if (getline(&line, &cap, stdin) < 0) break;
        reply.len = 0;
        popi_console_action_t a = popi_console_exec(c, line, &reply);
        if (reply.len) fwrite(reply.data, 1, reply.len, stdout);
        fflush(stdout);
        if (a != POPI_CONSOLE_CONTINUE) break;
    }
    free(line);
    popi_codec_writer_destroy(&reply);
    return 0;
}

static bool send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

/* Serve one client until it quits or disconnects. Returns the last action. */
static popi_console_action_t session_tcp(popi_console_t *c, int fd)
{
    static const char hello[] = "popi console ready (help lists the commands)\n";
    popi_console_action_t a = POPI_CONSOLE_CONTINUE;
    if (!send_all(fd, hello, sizeof hello - 1)) return a;
    char buf[MAX_LINE];
    size_t have = 0;
    bool discarding = false;
    popi_codec_writer_t reply;
    popi_codec_writer_init(&reply);
    while (a == POPI_CONSOLE_CONTINUE) {
        ssize_t got = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        have += (size_t)got;
        char *start = buf, *nl;
        while (a == POPI_CONSOLE_CONTINUE && (nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
            *nl = 0;
            reply.len = 0;
            if (discarding) {
                discarding = false;
                put(&reply, "error: line longer than %d bytes\n", MAX_LINE - 1);
            } else {
                a = popi_console_exec(c, start, &reply);
            }
            if (reply.len && !send_all(fd, reply.data, reply.len)) a = POPI_CONSOLE_QUIT;
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof buf - 1) { /* a line too long: drop it up to its newline */
            discarding = true;
            have = 0;
        }
    }
    popi_codec_writer_destroy(&reply);
    return a;
}

/* Parse "HOST:PORT" with a loopback HOST (127.0.0.0/8, localhost, [::1] or ::1). */
static popi_err_t parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        return popi_err_set(POPI_EINVAL, "console: --listen must be HOST:PORT, got '%s'", spec);
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || port > 65535)
        return popi_err_set(POPI_EINVAL, "console: --listen port must be 0..65535, got '%s'",
                            colon + 1);
    memset(ss, 0, sizeof *ss);
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127)
            return popi_err_set(POPI_EINVAL, "console: --listen serves the loopback interface only "
                                "(127.0.0.0/8 or ::1), got '%s'", host);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return POPI_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        static const uint8_t loop6[16] = {[15] = 1};
        if (memcmp(&v6->sin6_addr, loop6, 16))
            return popi_err_set(POPI_EINVAL, "console: --listen serves the loopback interface only "
                                "(127.0.0.0/8 or ::1), got '%s'", host);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return POPI_OK;
    }
    return popi_err_set(POPI_EINVAL, "console: --listen host must be a loopback address like "
                        "127.0.0.1, got '%s'", host);
}

static int serve(popi_console_t *c, const struct sockaddr_storage *ss, socklen_t len,
                 long max_clients)
{
    int fd = socket(ss->ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "popi console: socket: %s\n", strerror(errno));
        return 1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 4) != 0) {
        fprintf(stderr, "popi console: cannot listen: %s\n", strerror(errno));
        close(fd);
        return 2;
    }
    struct sockaddr_storage got;
    socklen_t glen = sizeof got;
    getsockname(fd, (struct sockaddr *)&got, &glen);
    char host[INET6_ADDRSTRLEN];
    unsigned port;
    if (got.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&got)->sin_addr, host, sizeof host);
        port = ntohs(((struct sockaddr_in *)&got)->sin_port);
    } else {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&got)->sin6_addr, host, sizeof host);
        port = ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
    }
    printf("listening on %s:%u\n", host, port);
    fflush(stdout);
    long served = 0;
    popi_console_action_t a = POPI_CONSOLE_CONTINUE;
    while (a != POPI_CONSOLE_SHUTDOWN && (max_clients <= 0 || served < max_clients)) {
        int cfd = accept(fd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            fprintf(stderr, "popi console: accept: %s\n", strerror(errno));
            close(fd);
            return 1;
        }
        a = session_tcp(c, cfd);
        close(cfd);
        served++;
    }
    close(fd);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: popi console [--chain FILE] [--key FILE | --key-name NAME] [--listen "
            "127.0.0.1:PORT]\n"
            "\n"
            "The seed's Mcoin console: one wallet on a proof-of-work chain. Commands (one per line,\n"
            "from a terminal, a script on standard input, or telnet with --listen): getinfo,\n"
            "getbalance [ADDRESS], send ADDRESS AMOUNT [FEE], mine DIFFICULTY, newkey [FILE],\n"
            "verify [CHAINFILE], help, quit, shutdown. Addresses are 64 hex digits (an Ed25519\n"
            "public key); amounts are Mcoin with up to 8 decimals.\n"
            "\n"
            "options:\n"
            "      --chain FILE       the chain: loaded if it exists, rewritten atomically after every\n"
            "                         mined block (pending payments go to FILE.pending); without it\n"
            "                         the chain lives in memory only\n"
            "      --key FILE         the wallet's secret key file (mode 0600); if it does not exist,\n"
            "                         the first newkey creates it\n"
            "      --key-name NAME    a wallet derived from NAME (insecure: for demos and scripts)\n"
            "      --listen H:PORT    serve the commands over TCP on a loopback address (127.0.0.1,\n"
            "                         ::1; port 0 picks a free one, printed on stdout), one client\n"
            "                         at a time, until a client sends shutdown\n"
            "      --max-clients N    with --listen: stop after N sessions\n"
            "      --clock UNIX_S     the clock reads this fixed time (reproducible sessions)\n"
            "  -h, --help             this text\n"
            "\n"
            "exit codes: 0 normal end, 1 internal failure, 2 bad input (options, address, files)\n");
}

int popi_console_main(int argc, char **argv)
{
    static const struct option opts[] = {{"chain", required_argument, NULL, 'c'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"key-name", required_argument, NULL, 'n'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"max-clients", required_argument, NULL, 'm'},
                                         {"clock", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    popi_console_opts_t o;
    memset(&o, 0, sizeof o);
    const char *listen_spec = NULL;
    long max_clients = 0;
    int ch;
    char *end;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.chain_path = optarg; break;
        case 'k': o.key_path = optarg; break;
        case 'n': o.key_name = optarg; break;
        case 'l': listen_spec = optarg; break;
        case 'm':
            max_clients = strtol(optarg, &end, 10);
            if (*end || max_clients < 1) {
                fprintf(stderr, "popi console: --max-clients must be an integer >= 1, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 't': {
            long long s = strtoll(optarg, &end, 10);
            if (*end || s < 0 || s > INT64_MAX / POPI_US_PER_S / 2) {
                fprintf(stderr, "popi console: --clock must be Unix seconds >= 0, got '%s'\n",
                        optarg);
                return 2;
            }
            o.fixed_clock = true;
            o.clock_us = (popi_time_t)s * POPI_US_PER_S;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "popi console: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    if (listen_spec && parse_listen(listen_spec, &ss, &sslen)) {
        fprintf(stderr, "popi %s\n", popi_err_message());
        return 2;
    }
    if (max_clients && !listen_spec) {
        fprintf(stderr, "popi console: --max-clients needs --listen\n");
        return 2;
    }
    popi_codec_writer_t log;
    popi_codec_writer_init(&log);
    popi_console_t *c;
    popi_err_t e = popi_console_open(&o, &log, &c);
    if (log.len) fwrite(log.data, 1, log.len, stderr);
    popi_codec_writer_destroy(&log);
    if (e) {
        fprintf(stderr, "popi %s\n", popi_err_message());
        return e == POPI_ELIB ? 1 : 2;
    }
    int rc = listen_spec ? serve(c, &ss, sslen, max_clients) : session_stdin(c);
    popi_console_free(c);
    return rc;
}
