/* SPDX-License-Identifier: MIT */
/*
 * feasibility.c - the seed's detection and transaction evaluations (feasibility.h): a chain
 * script builder, the detection-set check, a transfer-workload interpreter and the
 * `popi feasibility` command that prints one pass/fail row per set.
 *
 * Central structures: builder_t (a chain script being built: the blocks so far in file order,
 * the honest UTXO state as a plain array in creation order, labelled transactions) and
 * workload_t (a store, mempool and chain view driven by a workload script). Builder invariant:
 * the honest state holds exactly the outputs of the blocks the detector will apply: a block
 * that plants anything (a `tx` line or an anomaly option) is rolled back out of it when it is
 * finished, so later `pay` lines never spend coins the detector does not know. Script formats:
 * data/feasibility/README.md.
 */
#include "popi/feasibility.h"

#include "popi/chain.h"
#include "popi/chainfile.h"
#include "popi/detect.h"
#include "popi/wallet.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TOK 64
#define US(s) ((popi_time_t)(s) * POPI_US_PER_S)

/* ---- small text helpers ---- */

/* Move the writer's text into a NUL-terminated heap string (NULL when empty). */
static char *sb_take(popi_codec_writer_t *w)
{
    if (w->len == 0) {
        popi_codec_writer_destroy(w);
        return NULL;
    }
    popi_codec_put_u8(w, 0);
    char *s = (char *)w->data;
    memset(w, 0, sizeof *w);
    return s;
}

static popi_err_t read_text(const char *path, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return popi_err_set(POPI_EIO, "feasibility: cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0, r;
    char *buf = popi_xmalloc(cap);
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) buf = popi_xrealloc(buf, cap *= 2);
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err) {
        free(buf);
        return popi_err_set(POPI_EIO, "feasibility: cannot read %s", path);
    }
    buf[n] = 0;
    *out = buf;
    return POPI_OK;
}

/* Split @p line (modified) into tokens; '#' starts a comment. Returns the count. */
static int tokenize(char *line, char **tok)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(line, " \t\r", &save); p && n < MAX_TOK;
         p = strtok_r(NULL, " \t\r", &save))
        tok[n++] = p;
    return n;
}

/* Iterate the lines of @p text (modified in place): returns the next line or NULL. */
static char *next_line(char **cursor)
{
    char *s = *cursor;
    if (!s || !*s) return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = 0;
        *cursor = nl + 1;
    } else {
        *cursor = s + strlen(s);
    }
    return s;
}

/* dir + "/" + name into @p out (PATH_CAP bytes); false if it does not fit. */
#define PATH_CAP 4096
static bool path_join(char *out, const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    if (a + 1 + b + 1 > PATH_CAP) return false;
    memcpy(out, dir, a);
    out[a] = '/';
    memcpy(out + a + 1, name, b + 1);
    return true;
}

static popi_err_t path_too_long(const char *dir)
{
    return popi_err_set(POPI_EINVAL, "feasibility: path too long: %.200s...", dir);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    if (!s || !*s) return false;
    uint64_t x = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        uint64_t d = (uint64_t)(*p - '0');
        if (x > (max - d) / 10) return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

/* ---- named wallets ---- */

typedef struct {
    char name[POPI_WALLET_NAME_MAX + 1];
    popi_keypair_t kp;
} wallet_t;

/* Wallets are allocated one by one, so pointers to them stay valid while the set grows. */
typedef struct {
    wallet_t **v;
    size_t n, cap;
} wallets_t;

static void wallets_destroy(wallets_t *w)
{
    for (size_t i = 0; i < w->n; i++) {
        popi_crypto_keypair_wipe(&w->v[i]->kp);
        free(w->v[i]);
    }
    free(w->v);
    memset(w, 0, sizeof *w);
}

/* The wallet named @p name (created on first use); NULL with the error set if the name is bad. */
static const wallet_t *wallet_get(wallets_t *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->v[i]->name, name)) return w->v[i];
    popi_keypair_t kp;
    if (popi_wallet_from_name(&kp, name)) return NULL;
    POPI_GROW(w->v, w->cap, w->n + 1);
    wallet_t *x = popi_xmalloc(sizeof *x);
    w->v[w->n++] = x;
    snprintf(x->name, sizeof x->name, "%s", name);
    x->kp = kp;
    return x;
}

static bool label_ok(const char *s)
{
    if (!*s || strlen(s) > 64 || strchr(s, ':')) return false;
    if (!strcmp(s, "nowhere") || !strcmp(s, "in")) return false;
    if (s[0] == 'c' && s[1] == 'b') { /* cbN is reserved for coinbases */
        uint64_t v;
        if (parse_u64(s + 2, UINT32_MAX, &v)) return false;
    }
    return true;
}

void popi_feasibility_rules(popi_ledger_rules_t *rules)
{
    popi_ledger_rules_default(rules, POPI_CONSENSUS_POW);
    rules->check_proof = popi_ledger_proof_pow_bits;
}

void popi_feasibility_result_destroy(popi_feasibility_result_t *r)
{
    if (!r) return;
    free(r->detail);
    memset(r, 0, sizeof *r);
}

static void result_start(popi_feasibility_result_t *r, const char *label)
{
    memset(r, 0, sizeof *r);
    snprintf(r->set, sizeof r->set, "%s", label);
}

/* ===================================================================================== */
/* Chain scripts                                                                          */
/* ===================================================================================== */

typedef struct {
    popi_outpoint_t op;
    uint64_t amount;
    popi_pubkey_t owner;
    uint64_t height; /* header height of the creating block */
    bool coinbase;
    size_t block;    /* position of the creating block */
    int64_t spent_by; /* position of the spending block, -1 unspent */
} hout_t;

typedef struct {
    char name[65];
    size_t block; /* position; == n_blocks for the open block */
    uint32_t tx;  /* index in the block (1.. for non-coinbase) */
} label_t;

typedef struct {
    const char *name;
    int line;
    popi_ledger_rules_t rules;
    unsigned zero_bits;
    wallets_t w;
    popi_block_t **blocks;
    size_t n_blocks, cap_blocks;
    hout_t *st;
    size_t n_st, cap_st;
    label_t *lab;
    size_t n_lab, cap_lab;
    /* the open block */
    bool open;
    const wallet_t *producer;
    uint64_t height;
    popi_time_t time;
    int prev_mode; /* 0 previous block, 1 skip (grandparent), 2 zero */
    uint64_t extra_subsidy;
    bool bad_proof, tamper, planted;
    popi_tx_t *txs; /* txs[0] reserved for the coinbase */
    uint32_t n_txs;
    size_t cap_txs;
    uint64_t fees;
    size_t st_mark;
} builder_t;

static popi_err_t bfail(const builder_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static popi_err_t bfail(const builder_t *b, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return popi_err_set(POPI_EPARSE, "feasibility: %s:%d: %s", b->name, b->line, msg);
}

static popi_err_t bwallet(builder_t *b, const char *name, const wallet_t **out)
{
    *out = wallet_get(&b->w, name);
    if (!*out) return bfail(b, "%s", popi_err_message());
    return POPI_OK;
}

static popi_err_t bamount(builder_t *b, const char *text, uint64_t *units)
{
    if (popi_wallet_amount_parse(text, units)) return bfail(b, "%s", popi_err_message());
    return POPI_OK;
}

static const label_t *find_label(const builder_t *b, const char *name)
{
    for (size_t i = b->n_lab; i-- > 0;)
        if (!strcmp(b->lab[i].name, name)) return &b->lab[i];
    return NULL;
}

static const popi_tx_t *label_tx(const builder_t *b, const label_t *l)
{
    return l->block == b->n_blocks ? &b->txs[l->tx] : &b->blocks[l->block]->tx[l->tx];
}

static popi_err_t add_label(builder_t *b, const char *name)
{
    if (!label_ok(name))
        return bfail(b, "label '%s' must be 1..64 characters without ':' and not cbN, in or nowhere",
                     name);
    if (find_label(b, name)) return bfail(b, "label '%s' is used twice", name);
    POPI_GROW(b->lab, b->cap_lab, b->n_lab + 1);
    label_t *l = &b->lab[b->n_lab++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->block = b->n_blocks;
    l->tx = b->n_txs - 1;
    return POPI_OK;
}

/* A coin reference: LABEL:N, cbI:N, in:LABEL:K or nowhere:N. */
static popi_err_t parse_ref(builder_t *b, const char *ref, popi_outpoint_t *op)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", ref);
    char *c1 = strchr(buf, ':');
    if (!c1) return bfail(b, "coin reference '%s' must be LABEL:N, cbI:N, in:LABEL:K or nowhere:N", ref);
    *c1 = 0;
    uint64_t k;
    if (!strcmp(buf, "in")) {
        char *c2 = strchr(c1 + 1, ':');
        if (!c2 || !parse_u64(c2 + 1, POPI_TX_MAX_INPUTS, &k))
            return bfail(b, "coin reference '%s' must be in:LABEL:K", ref);
        *c2 = 0;
        const label_t *l = find_label(b, c1 + 1);
        if (!l) return bfail(b, "unknown transaction label '%s' in '%s'", c1 + 1, ref);
        const popi_tx_t *tx = label_tx(b, l);
        if (k >= tx->n_in) return bfail(b, "'%s': %s has %u inputs", ref, c1 + 1, tx->n_in);
        *op = tx->in[k].prev;
        return POPI_OK;
    }
    if (!parse_u64(c1 + 1, POPI_TX_MAX_OUTPUTS - 1, &k))
        return bfail(b, "output index in '%s' must be an integer in [0, %u]", ref,
                     POPI_TX_MAX_OUTPUTS - 1);
    op->index = (uint32_t)k;
    if (!strcmp(buf, "nowhere")) {
        static const char tag[] = "popi-feasibility-nowhere";
        popi_crypto_sha256d(&op->txid, tag, sizeof tag - 1);
        return POPI_OK;
    }
    uint64_t pos;
    if (buf[0] == 'c' && buf[1] == 'b' && parse_u64(buf + 2, UINT32_MAX, &pos)) {
        if (pos >= b->n_blocks)
            return bfail(b, "'%s': block %" PRIu64 " is not finished yet (%zu blocks so far)", ref,
                         pos, b->n_blocks);
        op->txid = b->blocks[pos]->tx[0].txid;
        return POPI_OK;
    }
    const label_t *l = find_label(b, buf);
    if (!l) return bfail(b, "unknown transaction label '%s' in '%s'", buf, ref);
    op->txid = label_tx(b, l)->txid;
    return POPI_OK;
}

static popi_tx_t *new_tx(builder_t *b)
{
    POPI_GROW(b->txs, b->cap_txs, b->n_txs + 1);
    popi_tx_t *t = &b->txs[b->n_txs++];
    memset(t, 0, sizeof *t);
    return t;
}

/* `pay FROM TO AMOUNT [fee F] [as LABEL]`: an honest wallet transfer. */
static popi_err_t cmd_pay(builder_t *b, char **tok, int n)
{
    if (n < 4 || (n != 4 && n != 6 && n != 8))
        return bfail(b, "usage: pay FROM TO AMOUNT [fee AMOUNT] [as LABEL]");
    const wallet_t *from, *to;
    uint64_t amount, fee = 0;
    const char *label = NULL;
    popi_err_t e;
    if ((e = bwallet(b, tok[1], &from)) || (e = bwallet(b, tok[2], &to)) ||
        (e = bamount(b, tok[3], &amount)))
        return e;
    for (int i = 4; i + 1 < n; i += 2) {
        if (!strcmp(tok[i], "fee")) {
            if ((e = bamount(b, tok[i + 1], &fee))) return e;
        } else if (!strcmp(tok[i], "as")) {
            label = tok[i + 1];
        } else {
            return bfail(b, "pay: unknown option '%s' (fee, as)", tok[i]);
        }
    }
    if (amount == 0) return bfail(b, "pay: amount must be > 0");
    uint64_t need = amount + fee, have = 0;
    size_t *pick = popi_xmalloc((b->n_st + 1) * sizeof *pick);
    uint32_t k = 0;
    for (size_t i = 0; i < b->n_st && have < need && k < POPI_TX_MAX_INPUTS; i++) {
        const hout_t *o = &b->st[i];
        if (o->spent_by >= 0 || o->amount == 0 ||
            memcmp(o->owner.b, from->kp.pk.b, POPI_PUBKEY_BYTES))
            continue;
        if (o->coinbase && b->height < o->height + b->rules.coinbase_maturity + 1) continue;
        pick[k++] = i;
        have += o->amount;
    }
    if (have < need) {
        free(pick);
        char h[POPI_WALLET_AMOUNT_CHARS], w[POPI_WALLET_AMOUNT_CHARS];
        return bfail(b, "pay: %s has %s spendable at height %" PRIu64 ", needs %s", from->name,
                     popi_wallet_amount_format(h, have), b->height,
                     popi_wallet_amount_format(w, need));
    }
    uint64_t change = have - need;
    popi_tx_t *tx = new_tx(b);
    popi_tx_init(tx, k, change ? 2 : 1, 0);
    for (uint32_t i = 0; i < k; i++) {
        tx->in[i].prev = b->st[pick[i]].op;
        b->st[pick[i]].spent_by = (int64_t)b->n_blocks;
    }
    free(pick);
    tx->out[0].amount = amount;
    tx->out[0].owner = to->kp.pk;
    if (change) {
        tx->out[1].amount = change;
        tx->out[1].owner = from->kp.pk;
    }
    popi_tx_sign_all(tx, &from->kp);
    popi_tx_seal(tx);
    for (uint32_t o = 0; o < tx->n_out; o++) {
        POPI_GROW(b->st, b->cap_st, b->n_st + 1);
        hout_t *h = &b->st[b->n_st++];
        h->op.txid = tx->txid;
        h->op.index = o;
        h->amount = tx->out[o].amount;
        h->owner = tx->out[o].owner;
        h->height = b->height;
        h->coinbase = false;
        h->block = b->n_blocks;
        h->spent_by = -1;
    }
    b->fees += fee;
    return label ? add_label(b, label) : POPI_OK;
}

/* `tx [as LABEL] spend REF... sign WHO out WHO AMOUNT [out WHO AMOUNT ...]`: a planted
 * transaction, written as given and never applied to the honest state. */
static popi_err_t cmd_tx(builder_t *b, char **tok, int n)
{
    int i = 1;
    const char *label = NULL;
    popi_err_t e;
    if (i + 1 < n && !strcmp(tok[i], "as")) {
        label = tok[i + 1];
        i += 2;
    }
    if (i >= n || strcmp(tok[i], "spend"))
        return bfail(b, "usage: tx [as LABEL] spend REF... sign WHO out WHO AMOUNT...");
    popi_outpoint_t ops[MAX_TOK];
    uint32_t n_in = 0;
    for (i++; i < n && strcmp(tok[i], "sign"); i++)
        if ((e = parse_ref(b, tok[i], &ops[n_in++]))) return e;
    if (n_in == 0 || i + 1 >= n) return bfail(b, "tx: need at least one coin and 'sign WHO'");
    const wallet_t *signer;
    if ((e = bwallet(b, tok[i + 1], &signer))) return e;
    i += 2;
    popi_txout_t outs[MAX_TOK];
    uint32_t n_out = 0;
    for (; i < n; i += 3) {
        if (strcmp(tok[i], "out") || i + 2 >= n) return bfail(b, "tx: expected 'out WHO AMOUNT'");
        const wallet_t *to;
        if ((e = bwallet(b, tok[i + 1], &to)) || (e = bamount(b, tok[i + 2], &outs[n_out].amount)))
            return e;
        outs[n_out++].owner = to->kp.pk;
    }
    if (n_out == 0) return bfail(b, "tx: need at least one 'out WHO AMOUNT'");
    popi_tx_t *tx = new_tx(b);
    popi_tx_init(tx, n_in, n_out, 0);
    for (uint32_t k = 0; k < n_in; k++)
        tx->in[k].prev = ops[k];
    for (uint32_t k = 0; k < n_out; k++)
        tx->out[k] = outs[k];
    popi_tx_sign_all(tx, &signer->kp);
    popi_tx_seal(tx);
    b->planted = true;
    return label ? add_label(b, label) : POPI_OK;
}

static popi_time_t median_time_past(const builder_t *b)
{
    popi_time_t times[11];
    size_t k = 0;
    for (size_t j = b->n_blocks; j > 0 && k < 11; j--)
        times[k++] = b->blocks[j - 1]->hdr.time;
    return popi_ledger_median_time_past(times, k);
}

/* `block by WHO [time +S|=S|mtp] [height +N] [prev skip|zero] [subsidy +AMOUNT] [proof bad]
 * [tamper]`. */
static popi_err_t cmd_block(builder_t *b, char **tok, int n)
{
    if (n < 3 || strcmp(tok[1], "by")) return bfail(b, "usage: block by WHO [options]");
    popi_err_t e;
    if ((e = bwallet(b, tok[2], &b->producer))) return e;
    const popi_block_t *last = b->n_blocks ? b->blocks[b->n_blocks - 1] : NULL;
    b->open = true;
    b->height = last ? last->hdr.height + 1 : 0;
    b->time = last ? last->hdr.time + US(POPI_FEASIBILITY_GAP_S) : US(POPI_FEASIBILITY_T0_S);
    b->prev_mode = 0;
    b->extra_subsidy = 0;
    b->bad_proof = b->tamper = b->planted = false;
    b->fees = 0;
    b->st_mark = b->n_st;
    b->n_txs = 0;
    new_tx(b); /* the coinbase slot */
    for (int i = 3; i < n; i++) {
        const char *opt = tok[i], *arg = i + 1 < n ? tok[i + 1] : NULL;
        uint64_t v;
        if (!strcmp(opt, "tamper")) {
            b->tamper = b->planted = true;
        } else if (!strcmp(opt, "proof") && arg && !strcmp(arg, "bad")) {
            b->bad_proof = b->planted = true;
            i++;
        } else if (!strcmp(opt, "time") && arg) {
            i++;
            if (!strcmp(arg, "mtp")) {
                if (!last) return bfail(b, "block: time mtp needs earlier blocks");
                b->time = median_time_past(b);
                b->planted = true;
            } else if (arg[0] == '+' && parse_u64(arg + 1, UINT32_MAX, &v) && last) {
                b->time = last->hdr.time + US(v);
            } else if (arg[0] == '=' && parse_u64(arg + 1, INT64_MAX / POPI_US_PER_S, &v)) {
                b->time = US(v);
            } else {
                return bfail(b, "block: time must be +SECONDS (after the previous block), "
                                "=UNIX_SECONDS or mtp, got '%s'", arg);
            }
        } else if (!strcmp(opt, "height") && arg) {
            i++;
            if (arg[0] != '+' || !parse_u64(arg + 1, 1000000, &v) || !last)
                return bfail(b, "block: height must be +N after an earlier block, got '%s'", arg);
            b->height = last->hdr.height + v;
            b->planted |= v != 1;
        } else if (!strcmp(opt, "prev") && arg) {
            i++;
            if (!strcmp(arg, "skip") && b->n_blocks >= 2) {
                b->prev_mode = 1;
            } else if (!strcmp(arg, "zero") && last) {
                b->prev_mode = 2;
            } else {
                return bfail(b, "block: prev must be skip (needs 2 earlier blocks) or zero (needs "
                                "1), got '%s'", arg);
            }
            b->planted = true;
        } else if (!strcmp(opt, "subsidy") && arg) {
            i++;
            if (arg[0] != '+' || (e = bamount(b, arg + 1, &b->extra_subsidy)) ||
                b->extra_subsidy == 0)
                return e ? e : bfail(b, "block: subsidy must be +AMOUNT > 0, got '%s'", arg);
            b->planted = true;
        } else {
            return bfail(b, "block: unknown option '%s' (time, height, prev, subsidy, proof bad, "
                            "tamper)", opt);
        }
    }
    return POPI_OK;
}

/* Flip one bit of out[0].amount of the last transaction, leaving the header as it is. */
static popi_err_t tamper_block(builder_t *b, popi_block_t **blk)
{
    popi_block_t *orig = *blk;
    if (orig->n_tx < 2) return bfail(b, "block: tamper needs a transaction besides the coinbase");
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_block_encode(orig, &w);
    size_t at = orig->header_size + popi_codec_compact_size_len(orig->n_tx);
    for (uint32_t t = 0; t + 1 < orig->n_tx; t++)
        at += orig->tx[t].size;
    const popi_tx_t *last = &orig->tx[orig->n_tx - 1];
    at += 4 + popi_codec_compact_size_len(last->n_in) + (size_t)POPI_TX_INPUT_BYTES * last->n_in +
          popi_codec_compact_size_len(last->n_out);
    w.data[at + 3] ^= 0x01; /* amount is little-endian: this is bit 24 */
    popi_block_t *out;
    popi_err_t e = popi_block_decode(w.data, w.len, &out);
    popi_codec_writer_destroy(&w);
    POPI_ASSERT(e == POPI_OK); /* an amount bit keeps the encoding valid */
    popi_block_free(orig);
    *blk = out;
    return POPI_OK;
}

static popi_err_t finish_block(builder_t *b)
{
    if (!b->open) return POPI_OK;
    b->open = false;
    const popi_block_t *last = b->n_blocks ? b->blocks[b->n_blocks - 1] : NULL;
    popi_block_header_t h;
    popi_block_header_init(&h);
    h.kind = POPI_CONSENSUS_POW;
    h.height = b->height;
    if (last && b->prev_mode == 0) h.prev = last->hash;
    if (b->prev_mode == 1) h.prev = b->blocks[b->n_blocks - 2]->hash;
    h.time = b->time;
    POPI_ASSERT(popi_target_bits_for_zero_bits(b->zero_bits, &h.bits) == POPI_OK);
    h.producer = b->producer->kp.pk;
    uint64_t sub = popi_ledger_block_subsidy(h.height, b->rules.initial_subsidy,
                                             b->rules.halving_interval);
    popi_err_t e = popi_tx_coinbase(&b->txs[0], h.height, &h.producer, sub + b->extra_subsidy,
                                    b->rules.packing_per_tx * (b->n_txs - 1) + b->fees, NULL, 0);
    if (e) return bfail(b, "block: %s", popi_err_message());
    popi_block_merkle_root(b->txs, b->n_txs, &h.merkle_root, NULL);
    if (b->bad_proof) { /* the first nonce whose hash misses the target */
        popi_hash_t target, hash;
        POPI_ASSERT(popi_target_from_bits(h.bits, &target) == POPI_OK);
        for (h.nonce = 0;; h.nonce++) {
            popi_block_header_hash(&h, &hash);
            if (!popi_hash_meets_target(&hash, &target)) break;
        }
    } else if (popi_block_grind(&h, UINT64_MAX, NULL)) {
        return bfail(b, "block: %s", popi_err_message());
    }
    popi_block_t *blk;
    if (popi_block_create(&h, b->txs, b->n_txs, &blk))
        return bfail(b, "block: %s", popi_err_message());
    b->n_txs = 0; /* moved into the block */
    if (b->tamper && (e = tamper_block(b, &blk))) {
        popi_block_free(blk);
        return e;
    }
    POPI_GROW(b->blocks, b->cap_blocks, b->n_blocks + 1);
    size_t pos = b->n_blocks++;
    b->blocks[pos] = blk;
    if (b->planted) { /* roll its honest transfers back out of the honest state */
        b->n_st = b->st_mark;
        for (size_t i = 0; i < b->n_st; i++)
            if (b->st[i].spent_by == (int64_t)pos) b->st[i].spent_by = -1;
        return POPI_OK;
    }
    const popi_tx_t *cb = &blk->tx[0];
    for (uint32_t o = 0; o < cb->n_out; o++) {
        POPI_GROW(b->st, b->cap_st, b->n_st + 1);
        hout_t *x = &b->st[b->n_st++];
        x->op.txid = cb->txid;
        x->op.index = o;
        x->amount = cb->out[o].amount;
        x->owner = cb->out[o].owner;
        x->height = blk->hdr.height;
        x->coinbase = true;
        x->block = pos;
        x->spent_by = -1;
    }
    return POPI_OK;
}

static void builder_destroy(builder_t *b)
{
    for (uint32_t i = 0; i < b->n_txs; i++)
        popi_tx_destroy(&b->txs[i]);
    free(b->txs);
    popi_chainfile_free(b->blocks, b->n_blocks);
    free(b->st);
    free(b->lab);
    wallets_destroy(&b->w);
    memset(b, 0, sizeof *b);
}

popi_err_t popi_feasibility_build_chain(const char *text, const char *name, popi_block_t ***blocks,
                                        size_t *n)
{
    *blocks = NULL;
    *n = 0;
    builder_t b;
    memset(&b, 0, sizeof b);
    b.name = name;
    b.zero_bits = POPI_FEASIBILITY_ZERO_BITS;
    popi_feasibility_rules(&b.rules);
    char *copy = popi_xstrdup(text), *cur = copy, *line;
    popi_err_t e = POPI_OK;
    while (!e && (line = next_line(&cur))) {
        b.line++;
        char *tok[MAX_TOK];
        int nt = tokenize(line, tok);
        if (nt == 0) continue;
        if (!strcmp(tok[0], "zero-bits")) {
            uint64_t z;
            if (b.n_blocks || b.open || nt != 2 || !parse_u64(tok[1], 32, &z))
                e = bfail(&b, "zero-bits Z (0..32) must come before the first block");
            else
                b.zero_bits = (unsigned)z;
        } else if (!strcmp(tok[0], "block")) {
            if (!(e = finish_block(&b))) e = cmd_block(&b, tok, nt);
        } else if (!strcmp(tok[0], "pay") || !strcmp(tok[0], "tx")) {
            if (!b.open)
                e = bfail(&b, "'%s' outside a block: start one with 'block by WHO'", tok[0]);
            else
                e = !strcmp(tok[0], "pay") ? cmd_pay(&b, tok, nt) : cmd_tx(&b, tok, nt);
        } else {
            e = bfail(&b, "unknown command '%s' (zero-bits, block, pay, tx)", tok[0]);
        }
    }
    free(copy);
    if (!e) e = finish_block(&b);
    if (!e && b.n_blocks == 0) e = popi_err_set(POPI_EPARSE, "feasibility: %s: no blocks", name);
    if (!e) {
        *blocks = b.blocks;
        *n = b.n_blocks;
        b.blocks = NULL;
        b.n_blocks = 0;
    }
    builder_destroy(&b);
    return e;
}

/* ===================================================================================== */
/* Detection sets                                                                         */
/* ===================================================================================== */

typedef struct {
    int line;
    uint64_t height;
    popi_detect_kind_t kind;
    char reason[40];
    int32_t tx;
    int origin; /* -1: not checked */
    bool has_at;
    uint64_t at; /* at_height (spent, invalid-*, later-tx) or first coinbase height */
    bool matched;
} expect_row_t;

static popi_err_t parse_expected(const char *path, expect_row_t **rows, size_t *n_rows)
{
    *rows = NULL;
    *n_rows = 0;
    char *text;
    popi_err_t e = read_text(path, &text);
    if (e) return e;
    size_t cap = 0;
    char *cur = text, *line;
    int ln = 0;
    while (!e && (line = next_line(&cur))) {
        ln++;
        char *tok[MAX_TOK];
        int nt = tokenize(line, tok);
        if (nt == 0) continue;
        expect_row_t r;
        memset(&r, 0, sizeof r);
        r.line = ln;
        r.origin = -1;
        int kind = -1;
        for (int k = 0; k < 3; k++)
            if (nt >= 2 && !strcmp(tok[1], popi_detect_kind_name((popi_detect_kind_t)k))) kind = k;
        if (nt < 4 || nt > 5 || !parse_u64(tok[0], UINT64_MAX, &r.height) || kind < 0 ||
            strlen(tok[2]) >= sizeof r.reason) {
            e = popi_err_set(POPI_EPARSE,
                             "feasibility: %s:%d: expected 'HEIGHT KIND REASON TX [ORIGIN]' with "
                             "KIND block, tx or descendant",
                             path, ln);
            break;
        }
        r.kind = (popi_detect_kind_t)kind;
        snprintf(r.reason, sizeof r.reason, "%s", tok[2]);
        bool known = !strcmp(r.reason, "ANCESTOR_INVALID");
        for (int c = 1; c < POPI_VERR__COUNT; c++)
            known |= !strcmp(r.reason, popi_verr_name((popi_verr_t)c));
        uint64_t v;
        if (!known) {
            e = popi_err_set(POPI_EPARSE, "feasibility: %s:%d: unknown reason '%s' (a validation "
                             "error name from ledger.h)", path, ln, r.reason);
        } else if (!strcmp(tok[3], "-")) {
            r.tx = -1;
        } else if (parse_u64(tok[3], INT32_MAX, &v)) {
            r.tx = (int32_t)v;
        } else {
            e = popi_err_set(POPI_EPARSE, "feasibility: %s:%d: TX must be '-' or an index, got "
                             "'%s'", path, ln, tok[3]);
        }
        if (!e && nt == 5 && strcmp(tok[4], "-")) {
            char *at = strchr(tok[4], '@');
            if (at) *at = 0;
            for (int k = 0; k < 6; k++)
                if (!strcmp(tok[4], popi_detect_origin_name((popi_detect_origin_kind_t)k)))
                    r.origin = k;
            if (at) r.has_at = parse_u64(at + 1, UINT64_MAX, &r.at);
            if (r.origin < 0 || (at && !r.has_at))
                e = popi_err_set(POPI_EPARSE, "feasibility: %s:%d: ORIGIN must be '-' or KIND or "
                                 "KIND@HEIGHT with KIND coinbase, unknown, spent, invalid-block, "
                                 "invalid-tx or later-tx", path, ln);
        }
        if (!e) {
            POPI_GROW(*rows, cap, *n_rows + 1);
            (*rows)[(*n_rows)++] = r;
        }
    }
    free(text);
    if (e) {
        free(*rows);
        *rows = NULL;
        *n_rows = 0;
    }
    return e;
}

static const popi_detect_origin_t *finding_origin(const popi_detect_finding_t *f)
{
    if (!f->n_origins) return NULL;
    if (f->input_index >= 0 && (uint32_t)f->input_index < f->n_origins)
        return &f->origins[f->input_index];
    return &f->origins[0];
}

static bool row_matches(const expect_row_t *r, const popi_detect_finding_t *f)
{
    if (r->height != f->height || r->kind != f->kind || strcmp(r->reason, f->reason) ||
        r->tx != f->tx_index)
        return false;
    if (r->origin < 0) return true;
    const popi_detect_origin_t *o = finding_origin(f);
    if (!o || (int)o->kind != r->origin) return false;
    if (!r->has_at) return true;
    if (o->kind == POPI_ORIGIN_COINBASE) return o->n_coinbases > 0 && o->coinbase_height[0] == r->at;
    if (o->kind == POPI_ORIGIN_UNKNOWN) return false;
    return o->at_height == r->at;
}

static void describe_row(popi_codec_writer_t *w, const expect_row_t *r)
{
    popi_codec_printf(w, "height %" PRIu64 " %s %s", r->height, popi_detect_kind_name(r->kind), r->reason);
    if (r->tx >= 0) popi_codec_printf(w, " tx %d", r->tx);
    if (r->origin >= 0) {
        popi_codec_printf(w, " origin %s", popi_detect_origin_name((popi_detect_origin_kind_t)r->origin));
        if (r->has_at) popi_codec_printf(w, "@%" PRIu64, r->at);
    }
}

static void read_note(const char *dir, popi_feasibility_result_t *res)
{
    char path[PATH_CAP];
    if (!path_join(path, dir, "README.md")) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *s = line;
        while (*s == '#' || *s == ' ') s++;
        s[strcspn(s, "\r\n")] = 0;
        if (!*s) continue;
        snprintf(res->note, sizeof res->note, "%.159s", s);
        break;
    }
    fclose(f);
}

static popi_err_t compare_rebuilt(const char *dir, const char *chain_path, popi_codec_writer_t *det,
                                  bool *same)
{
    *same = true;
    char path[PATH_CAP];
    if (!path_join(path, dir, "chain.txt")) return path_too_long(dir);
    struct stat sb;
    if (stat(path, &sb) != 0) return POPI_OK; /* a chain without script: nothing to compare */
    char *script;
    popi_err_t e = read_text(path, &script);
    if (e) return e;
    popi_block_t **blocks;
    size_t n;
    e = popi_feasibility_build_chain(script, path, &blocks, &n);
    free(script);
    if (e) return e;
    popi_codec_writer_t built;
    popi_codec_writer_init(&built);
    popi_chainfile_encode((const popi_block_t *const *)blocks, n, &built);
    popi_chainfile_free(blocks, n);
    char *file = NULL;
    e = read_text(chain_path, &file); /* NUL-terminated, binary-safe up to its size */
    size_t len = e || stat(chain_path, &sb) != 0 ? 0 : (size_t)sb.st_size;
    if (e || len != built.len || memcmp(file, built.data, len)) {
        *same = false;
        popi_codec_printf(det, "  chain.popichain (%zu bytes) is not what chain.txt builds (%zu bytes): "
                  "rebuild with popi feasibility --write-chains\n", len, built.len);
    }
    free(file);
    e = POPI_OK;
    popi_codec_writer_destroy(&built);
    return POPI_OK;
}

popi_err_t popi_feasibility_detection(const char *dir, const char *label,
                                      popi_feasibility_result_t *res)
{
    result_start(res, label);
    read_note(dir, res);
    char path[PATH_CAP], chain_path[PATH_CAP];
    if (!path_join(path, dir, "expected.tsv") || !path_join(chain_path, dir, "chain.popichain"))
        return path_too_long(dir);
    expect_row_t *rows;
    size_t n_rows;
    popi_err_t e = parse_expected(path, &rows, &n_rows);
    if (e) return e;
    popi_detect_options_t o;
    popi_detect_options_default(&o, POPI_CONSENSUS_POW);
    popi_feasibility_rules(&o.rules);
    o.flag_descendants = false;
    popi_detect_report_t rep;
    e = popi_detect_scan_file(chain_path, &o, &rep);
    if (e) {
        popi_detect_report_destroy(&rep);
        free(rows);
        return e;
    }
    popi_codec_writer_t det;
    popi_codec_writer_init(&det);
    bool *used = popi_xcalloc(rep.n_findings + 1, sizeof *used);
    res->n_checks = (uint32_t)n_rows;
    for (size_t i = 0; i < n_rows; i++) {
        for (size_t j = 0; j < rep.n_findings && !rows[i].matched; j++)
            if (!used[j] && row_matches(&rows[i], &rep.findings[j])) used[j] = rows[i].matched = true;
        if (rows[i].matched) {
            res->n_passed++;
        } else {
            popi_codec_printf(&det, "  missing (expected.tsv line %d): ", rows[i].line);
            describe_row(&det, &rows[i]);
            popi_codec_printf(&det, "\n");
        }
    }
    size_t n_extra = 0;
    for (size_t j = 0; j < rep.n_findings; j++) {
        if (used[j]) continue;
        const popi_detect_finding_t *f = &rep.findings[j];
        const popi_detect_origin_t *og = finding_origin(f);
        n_extra++;
        popi_codec_printf(&det, "  not expected: height %" PRIu64 " %s %s", f->height,
                  popi_detect_kind_name(f->kind), f->reason);
        if (f->tx_index >= 0) popi_codec_printf(&det, " tx %d", f->tx_index);
        if (og) popi_codec_printf(&det, " origin %s", popi_detect_origin_name(og->kind));
        popi_codec_printf(&det, ": %s\n", f->message);
    }
    bool same;
    e = compare_rebuilt(dir, chain_path, &det, &same);
    res->pass = !e && res->n_passed == n_rows && n_extra == 0 && same;
    res->detail = sb_take(&det);
    free(used);
    free(rows);
    popi_detect_report_destroy(&rep);
    return e;
}

/* ===================================================================================== */
/* Transfer workloads                                                                     */
/* ===================================================================================== */

typedef struct {
    char name[65];
    popi_tx_t tx;        /* a copy of the sent transaction */
    const wallet_t *from;
    uint64_t in_total;   /* its inputs' value (outputs + fee) */
} sent_t;

typedef struct {
    const char *name;
    int line;
    wallets_t w;
    sent_t *sent;
    size_t n_sent, cap_sent;
    popi_store_t *store;
    popi_mempool_t *mp;
    popi_chain_t ch;
    unsigned zero_bits;
    uint64_t n_stamped; /* blocks made so far: block k gets time T0 + k × gap */
    popi_feasibility_result_t *res;
    popi_codec_writer_t det;
} workload_t;

static popi_err_t wfail_parse(const workload_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static popi_err_t wfail_parse(const workload_t *w, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return popi_err_set(POPI_EPARSE, "feasibility: %s:%d: %s", w->name, w->line, msg);
}

/* Record one check: passed, or failed with a message. */
static void check(workload_t *w, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(workload_t *w, bool ok, const char *fmt, ...)
{
    w->res->n_checks++;
    if (ok) {
        w->res->n_passed++;
        return;
    }
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    popi_codec_printf(&w->det, "  line %d: %s\n", w->line, msg);
}

static popi_err_t wwallet(workload_t *w, const char *name, const wallet_t **out)
{
    *out = wallet_get(&w->w, name);
    if (!*out) return wfail_parse(w, "%s", popi_err_message());
    return POPI_OK;
}

static popi_err_t wamount(workload_t *w, const char *text, uint64_t *units)
{
    if (popi_wallet_amount_parse(text, units)) return wfail_parse(w, "%s", popi_err_message());
    return POPI_OK;
}

static popi_time_t next_stamp(workload_t *w)
{
    w->n_stamped++;
    return US(POPI_FEASIBILITY_T0_S) + US(POPI_FEASIBILITY_GAP_S) * (popi_time_t)w->n_stamped;
}

static const sent_t *find_sent(const workload_t *w, const char *name)
{
    for (size_t i = 0; i < w->n_sent; i++)
        if (!strcmp(w->sent[i].name, name)) return &w->sent[i];
    return NULL;
}

/*
 * A raw transaction from tok[0..]: `respend LABEL TO AMOUNT` (the inputs of LABEL again, signed
 * by its payer, change back to the payer) or `spend-coinbase HEIGHT WHO TO AMOUNT` (output 0 of
 * the coinbase at HEIGHT of the current chain, signed by WHO, change back to WHO). *used gets the
 * number of tokens consumed. @p ch is the view whose chain HEIGHT refers to.
 */
static popi_err_t raw_tx(workload_t *w, popi_chain_t *ch, char **tok, int n, int *used,
                         popi_tx_t *tx)
{
    popi_err_t e;
    const wallet_t *from, *to;
    uint64_t amount, in_total;
    memset(tx, 0, sizeof *tx);
    if (n >= 4 && !strcmp(tok[0], "respend")) {
        const sent_t *s = find_sent(w, tok[1]);
        if (!s) return wfail_parse(w, "respend: no payment labelled '%s'", tok[1]);
        if ((e = wwallet(w, tok[2], &to)) || (e = wamount(w, tok[3], &amount))) return e;
        from = s->from;
        in_total = s->in_total;
        popi_tx_init(tx, s->tx.n_in, amount < in_total ? 2 : 1, 0);
        for (uint32_t i = 0; i < s->tx.n_in; i++)
            tx->in[i].prev = s->tx.in[i].prev;
        *used = 4;
    } else if (n >= 5 && !strcmp(tok[0], "spend-coinbase")) {
        uint64_t h;
        if (!parse_u64(tok[1], UINT64_MAX, &h))
            return wfail_parse(w, "spend-coinbase: HEIGHT must be an integer, got '%s'", tok[1]);
        if ((e = wwallet(w, tok[2], &from)) || (e = wwallet(w, tok[3], &to)) ||
            (e = wamount(w, tok[4], &amount)))
            return e;
        popi_store_node_t *at = ch->tip ? popi_store_ancestor(ch->tip, h) : NULL;
        if (!at) return wfail_parse(w, "spend-coinbase: no block at height %" PRIu64, h);
        in_total = at->block->tx[0].out[0].amount;
        popi_tx_init(tx, 1, amount < in_total ? 2 : 1, 0);
        tx->in[0].prev.txid = at->block->tx[0].txid;
        tx->in[0].prev.index = 0;
        *used = 5;
    } else {
        return wfail_parse(w, "expected 'respend LABEL TO AMOUNT' or 'spend-coinbase HEIGHT WHO "
                              "TO AMOUNT'");
    }
    tx->out[0].amount = amount;
    tx->out[0].owner = to->kp.pk;
    if (tx->n_out == 2) {
        tx->out[1].amount = in_total - amount;
        tx->out[1].owner = from->kp.pk;
    }
    popi_tx_sign_all(tx, &from->kp);
    popi_tx_seal(tx);
    return POPI_OK;
}

/* Build a block on @p ch's tip by @p miner holding the template's transactions plus @p extra
 * (may be NULL), ground to the workload's difficulty. */
static popi_block_t *build_on(workload_t *w, popi_chain_t *ch, const wallet_t *miner,
                              popi_tx_t *extra)
{
    uint32_t bits;
    popi_err_t e = popi_target_bits_for_zero_bits(w->zero_bits, &bits);
    POPI_ASSERT(e == POPI_OK); /* zero_bits <= 24 */
    popi_chain_template_t t;
    e = popi_chain_template(ch, &miner->kp.pk, next_stamp(w), bits, NULL, 0, &t);
    POPI_ASSERT(e == POPI_OK); /* no sharing outputs: cannot fail */
    if (extra) {
        t.tx = popi_xrealloc(t.tx, (size_t)(t.n_tx + 1) * sizeof *t.tx);
        t.tx[t.n_tx++] = *extra;
        memset(extra, 0, sizeof *extra);
        popi_block_merkle_root(t.tx, t.n_tx, &t.hdr.merkle_root, NULL);
    }
    e = popi_block_grind(&t.hdr, UINT64_MAX, NULL);
    POPI_ASSERT(e == POPI_OK); /* valid bits, unbounded tries */
    popi_block_t *b;
    e = popi_chain_template_finish(&t, &b);
    POPI_ASSERT(e == POPI_OK); /* blocks of a few transactions always encode */
    popi_chain_template_destroy(&t);
    return b;
}

static bool reason_is(const char *want, const popi_mempool_result_t *r)
{
    if (r->outcome == POPI_MEMPOOL_INVALID) return !strcmp(want, popi_verr_name(r->verdict.code));
    return !strcmp(want, popi_mempool_outcome_name(r->outcome));
}

static const char *reason_of(const popi_mempool_result_t *r)
{
    return r->outcome == POPI_MEMPOOL_INVALID ? popi_verr_name(r->verdict.code)
                                              : popi_mempool_outcome_name(r->outcome);
}

static popi_err_t w_mine(workload_t *w, char **tok, int n)
{
    const wallet_t *miner;
    uint64_t count = 1;
    popi_err_t e;
    if (n < 2 || n > 3 || (n == 3 && (!parse_u64(tok[2], 10000, &count) || count == 0)))
        return wfail_parse(w, "usage: mine WHO [N] (1 <= N <= 10000)");
    if ((e = wwallet(w, tok[1], &miner))) return e;
    for (uint64_t k = 0; k < count; k++) {
        popi_chain_result_t r;
        e = popi_chain_mine_pow(&w->ch, &miner->kp.pk, next_stamp(w), w->zero_bits, 0, UINT64_MAX,
                                &r, NULL, NULL);
        bool ok = !e && r.outcome == POPI_CHAIN_TIP;
        check(w, ok, "mine %s: %s", miner->name,
              e ? popi_err_message() : ok ? "" : r.verdict.message);
        if (!ok) break;
    }
    return POPI_OK;
}

static popi_err_t w_send(workload_t *w, char **tok, int n, const char *expect_reason)
{
    const wallet_t *from, *to;
    uint64_t amount, fee = 0;
    const char *label = NULL;
    popi_err_t e;
    if (n < 4 || (n - 4) % 2)
        return wfail_parse(w, "usage: send FROM TO AMOUNT [fee AMOUNT] [as LABEL]");
    if ((e = wwallet(w, tok[1], &from)) || (e = wwallet(w, tok[2], &to)) ||
        (e = wamount(w, tok[3], &amount)))
        return e;
    for (int i = 4; i + 1 < n; i += 2) {
        if (!strcmp(tok[i], "fee")) {
            if ((e = wamount(w, tok[i + 1], &fee))) return e;
        } else if (!strcmp(tok[i], "as") && !expect_reason) {
            label = tok[i + 1];
            if (!label_ok(label) || find_sent(w, label))
                return wfail_parse(w, "send: label '%s' is reserved or used twice", label);
        } else {
            return wfail_parse(w, "send: unknown option '%s'", tok[i]);
        }
    }
    popi_mempool_result_t r;
    popi_hash_t txid;
    memset(&r, 0, sizeof r);
    e = popi_mempool_pay(w->mp, &from->kp, &to->kp.pk, amount, fee, &r, &txid);
    char a[POPI_WALLET_AMOUNT_CHARS];
    popi_wallet_amount_format(a, amount);
    if (expect_reason) {
        /* the wallet refuses before the pool sees anything: "insufficient" */
        const char *got = e == POPI_EINVAL && strstr(popi_err_message(), "insufficient")
                              ? "insufficient"
                          : e                                   ? popi_err_message()
                          : r.outcome == POPI_MEMPOOL_ACCEPTED ? "accepted"
                                                                : reason_of(&r);
        check(w, !strcmp(got, expect_reason), "send %s %s %s: expected refusal '%s', got '%s'",
              from->name, to->name, a, expect_reason, got);
        return POPI_OK;
    }
    bool ok = !e && r.outcome == POPI_MEMPOOL_ACCEPTED;
    check(w, ok, "send %s %s %s: %s", from->name, to->name, a,
          e ? popi_err_message() : ok ? "" : r.verdict.message[0] ? r.verdict.message
                                                                  : reason_of(&r));
    if (!ok || !label) return POPI_OK;
    size_t pos = 0;
    const popi_tx_t *tx;
    while ((tx = popi_mempool_next(w->mp, &pos)) && !popi_hash_eq(&tx->txid, &txid)) {
    }
    POPI_ASSERT(tx != NULL);
    POPI_GROW(w->sent, w->cap_sent, w->n_sent + 1);
    sent_t *s = &w->sent[w->n_sent++];
    snprintf(s->name, sizeof s->name, "%s", label);
    popi_tx_copy(&s->tx, tx);
    s->from = from;
    uint64_t out = 0;
    for (uint32_t o = 0; o < tx->n_out; o++)
        out += tx->out[o].amount;
    s->in_total = out + r.fee;
    return POPI_OK;
}

/* `reject REASON (send ...|respend ...|spend-coinbase ...|mine-with MINER (respend|spend-coinbase) ...)` */
static popi_err_t w_reject(workload_t *w, char **tok, int n)
{
    if (n < 3) return wfail_parse(w, "usage: reject REASON COMMAND...");
    const char *reason = tok[1];
    if (!strcmp(tok[2], "send")) return w_send(w, tok + 2, n - 2, reason);
    popi_err_t e;
    popi_tx_t tx;
    int used;
    if (!strcmp(tok[2], "mine-with")) {
        const wallet_t *miner;
        if (n < 5) return wfail_parse(w, "usage: reject REASON mine-with MINER RAW...");
        if ((e = wwallet(w, tok[3], &miner))) return e;
        if ((e = raw_tx(w, &w->ch, tok + 4, n - 4, &used, &tx))) return e;
        if (4 + used != n) {
            popi_tx_destroy(&tx);
            return wfail_parse(w, "reject: unexpected '%s'", tok[4 + used]);
        }
        popi_store_node_t *tip = w->ch.tip;
        popi_block_t *b = build_on(w, &w->ch, miner, &tx);
        popi_time_t now = b->hdr.time;
        popi_chain_result_t r;
        popi_chain_submit_block(&w->ch, b, now, &r, NULL);
        bool ok = r.outcome == POPI_CHAIN_INVALID && w->ch.tip == tip &&
                  !strcmp(reason, popi_verr_name(r.verdict.code));
        check(w, ok, "block by %s with %s: expected invalid (%s), got %s (%s)", miner->name,
              tok[4], reason, popi_chain_outcome_name(r.outcome), r.verdict.message);
        return POPI_OK;
    }
    if ((e = raw_tx(w, &w->ch, tok + 2, n - 2, &used, &tx))) return e;
    if (2 + used != n) {
        popi_tx_destroy(&tx);
        return wfail_parse(w, "reject: unexpected '%s'", tok[2 + used]);
    }
    popi_mempool_result_t r;
    popi_mempool_add(w->mp, &tx, &r);
    bool ok = r.outcome != POPI_MEMPOOL_ACCEPTED && reason_is(reason, &r);
    check(w, ok, "%s: expected refusal '%s', got %s%s%s", tok[2], reason, reason_of(&r),
          r.verdict.message[0] ? ": " : "", r.verdict.message);
    popi_tx_destroy(&tx);
    return POPI_OK;
}

/* `fork-mine WHO N from HEIGHT [respend LABEL TO AMOUNT]`: a competing branch. */
static popi_err_t w_fork(workload_t *w, char **tok, int n)
{
    const wallet_t *miner;
    uint64_t count, from;
    popi_err_t e;
    if (n < 5 || strcmp(tok[3], "from") || !parse_u64(tok[2], 1000, &count) || count == 0 ||
        !parse_u64(tok[4], UINT64_MAX, &from))
        return wfail_parse(w, "usage: fork-mine WHO N from HEIGHT [respend LABEL TO AMOUNT]");
    if ((e = wwallet(w, tok[1], &miner))) return e;
    popi_store_node_t *base = w->ch.tip ? popi_store_ancestor(w->ch.tip, from) : NULL;
    if (!base) return wfail_parse(w, "fork-mine: no block at height %" PRIu64, from);
    popi_tx_t tx;
    bool with_tx = n > 5;
    int used = 0;
    if (with_tx) {
        if ((e = raw_tx(w, &w->ch, tok + 5, n - 5, &used, &tx))) return e;
        if (5 + used != n) {
            popi_tx_destroy(&tx);
            return wfail_parse(w, "fork-mine: unexpected '%s'", tok[5 + used]);
        }
    }
    popi_chain_t side;
    popi_chain_init(&side, w->store, NULL);
    popi_store_node_t **path = popi_xmalloc(((size_t)base->depth + 1) * sizeof *path);
    size_t np = 0;
    for (popi_store_node_t *x = base; x; x = x->parent)
        path[np++] = x;
    while (np)
        popi_chain_submit(&side, path[--np], INT64_MAX - 1, NULL);
    free(path);
    bool ok = side.tip == base;
    for (uint64_t k = 0; ok && k < count; k++) {
        popi_block_t *b = build_on(w, &side, miner, with_tx && k == 0 ? &tx : NULL);
        popi_time_t now = b->hdr.time;
        popi_chain_result_t r;
        popi_store_node_t *node;
        popi_chain_submit_block(&side, b, now, &r, &node);
        ok = r.outcome == POPI_CHAIN_TIP;
        if (!ok) {
            check(w, false, "fork-mine: block %" PRIu64 " of the branch refused: %s", k,
                  r.verdict.message);
            break;
        }
        popi_chain_submit(&w->ch, node, now, NULL);
    }
    if (ok) check(w, true, "fork-mine");
    if (with_tx) popi_tx_destroy(&tx);
    popi_chain_destroy(&side);
    return POPI_OK;
}

static popi_err_t w_expect(workload_t *w, char **tok, int n)
{
    popi_err_t e;
    if (!strcmp(tok[0], "expect-balance")) {
        const wallet_t *who;
        uint64_t want, want_sp = 0;
        if ((n != 3 && n != 5) || (n == 5 && strcmp(tok[3], "spendable")))
            return wfail_parse(w, "usage: expect-balance WHO AMOUNT [spendable AMOUNT]");
        if ((e = wwallet(w, tok[1], &who)) || (e = wamount(w, tok[2], &want)) ||
            (n == 5 && (e = wamount(w, tok[4], &want_sp))))
            return e;
        popi_store_balance_t bal;
        memset(&bal, 0, sizeof bal);
        if (w->ch.tip) popi_chain_balance(&w->ch, &who->kp.pk, &bal);
        char g[POPI_WALLET_AMOUNT_CHARS], x[POPI_WALLET_AMOUNT_CHARS];
        check(w, bal.total == want, "balance of %s is %s, expected %s", who->name,
              popi_wallet_amount_format(g, bal.total), popi_wallet_amount_format(x, want));
        if (n == 5)
            check(w, bal.spendable == want_sp, "spendable balance of %s is %s, expected %s",
                  who->name, popi_wallet_amount_format(g, bal.spendable),
                  popi_wallet_amount_format(x, want_sp));
        return POPI_OK;
    }
    uint64_t v;
    if (n != 2 || !parse_u64(tok[1], UINT32_MAX, &v))
        return wfail_parse(w, "usage: %s N", tok[0]);
    if (!strcmp(tok[0], "expect-height")) {
        int64_t h = popi_chain_height(&w->ch);
        check(w, h == (int64_t)v, "height is %" PRId64 ", expected %" PRIu64, h, v);
    } else {
        size_t c = popi_mempool_count(w->mp);
        check(w, c == v, "%zu transactions pending, expected %" PRIu64, c, v);
    }
    return POPI_OK;
}

/* The two closing checks: coins held = coins issued; the detector finds nothing. */
static void final_checks(workload_t *w)
{
    w->line = 0;
    if (!w->ch.tip) return;
    size_t n = (size_t)w->ch.tip->depth + 1;
    const popi_block_t **blocks = popi_xmalloc(n * sizeof *blocks);
    /* minted = coinbase outputs - fees (fees are coins recycled into coinbase output 1) */
    uint64_t minted = 0, fees = 0, held = 0;
    size_t i = n;
    for (popi_store_node_t *x = w->ch.tip; x; x = x->parent) {
        const popi_block_t *b = x->block;
        blocks[--i] = b;
        for (uint32_t o = 0; o < b->tx[0].n_out; o++)
            minted += b->tx[0].out[o].amount;
        for (uint32_t t = 1; t < b->n_tx; t++) {
            for (uint32_t k = 0; k < b->tx[t].n_in; k++) {
                popi_store_node_t *at;
                uint32_t ti;
                const popi_outpoint_t *op = &b->tx[t].in[k].prev;
                bool found = popi_store_find_tx(w->store, &op->txid, w->ch.tip, &at, &ti);
                POPI_ASSERT(found); /* the chain is valid, so every input exists on it */
                fees += at->block->tx[ti].out[op->index].amount;
            }
            for (uint32_t o = 0; o < b->tx[t].n_out; o++)
                fees -= b->tx[t].out[o].amount;
        }
    }
    minted -= fees;
    for (size_t k = 0; k < w->w.n; k++) {
        popi_store_balance_t bal;
        popi_chain_balance(&w->ch, &w->w.v[k]->kp.pk, &bal);
        held += bal.total;
    }
    char a[POPI_WALLET_AMOUNT_CHARS], b2[POPI_WALLET_AMOUNT_CHARS];
    check(w, held == minted, "(end) the wallets hold %s but the chain minted %s",
          popi_wallet_amount_format(a, held), popi_wallet_amount_format(b2, minted));
    popi_detect_options_t o;
    popi_detect_options_default(&o, POPI_CONSENSUS_POW);
    popi_feasibility_rules(&o.rules);
    popi_detect_report_t rep;
    popi_err_t e = popi_detect_scan(blocks, n, &o, &rep);
    char *text = e ? NULL : popi_detect_report_format(&rep);
    check(w, !e && rep.n_findings == 0, "(end) the detector flags the final chain: %s",
          e ? popi_err_message() : text);
    free(text);
    popi_detect_report_destroy(&rep);
    free(blocks);
}

popi_err_t popi_feasibility_run_workload(const char *text, const char *name,
                                         popi_feasibility_result_t *res)
{
    result_start(res, name);
    workload_t w;
    memset(&w, 0, sizeof w);
    w.name = name;
    w.res = res;
    w.zero_bits = POPI_FEASIBILITY_ZERO_BITS;
    popi_codec_writer_init(&w.det);
    popi_store_config_t cfg;
    popi_store_config_default(&cfg, POPI_CONSENSUS_POW);
    popi_feasibility_rules(&cfg.rules);
    POPI_ASSERT(popi_store_create(&cfg, &w.store) == POPI_OK);
    w.mp = popi_mempool_create(w.store, 0);
    popi_chain_init(&w.ch, w.store, w.mp);
    char *copy = popi_xstrdup(text), *cur = copy, *line;
    popi_err_t e = POPI_OK;
    bool any_block = false;
    while (!e && (line = next_line(&cur))) {
        w.line++;
        char *tok[MAX_TOK];
        int nt = tokenize(line, tok);
        if (nt == 0) continue;
        const char *c = tok[0];
        if (!strcmp(c, "zero-bits")) {
            uint64_t z;
            if (any_block || nt != 2 || !parse_u64(tok[1], 24, &z))
                e = wfail_parse(&w, "zero-bits Z (0..24) must come before the first block");
            else
                w.zero_bits = (unsigned)z;
            continue;
        }
        if (strcmp(c, "mine") && strcmp(c, "fork-mine") && !w.ch.tip && strncmp(c, "expect", 6)) {
            e = wfail_parse(&w, "'%s' before the first block: start with 'mine WHO'", c);
            break;
        }
        if (!strcmp(c, "mine")) {
            any_block = true;
            e = w_mine(&w, tok, nt);
        } else if (!strcmp(c, "send")) {
            e = w_send(&w, tok, nt, NULL);
        } else if (!strcmp(c, "reject")) {
            e = w_reject(&w, tok, nt);
        } else if (!strcmp(c, "fork-mine")) {
            e = w_fork(&w, tok, nt);
        } else if (!strcmp(c, "expect-balance") || !strcmp(c, "expect-height") ||
                   !strcmp(c, "expect-pool")) {
            e = w_expect(&w, tok, nt);
        } else {
            e = wfail_parse(&w, "unknown command '%s' (zero-bits, mine, send, reject, fork-mine, "
                                "expect-balance, expect-height, expect-pool)", c);
        }
    }
    free(copy);
    if (!e) final_checks(&w);
    res->pass = !e && res->n_checks > 0 && res->n_passed == res->n_checks;
    res->detail = sb_take(&w.det);
    for (size_t i = 0; i < w.n_sent; i++)
        popi_tx_destroy(&w.sent[i].tx);
    free(w.sent);
    popi_chain_destroy(&w.ch);
    popi_mempool_free(w.mp);
    popi_store_free(w.store);
    wallets_destroy(&w.w);
    return e;
}

popi_err_t popi_feasibility_transactions(const char *dir, const char *label,
                                         popi_feasibility_result_t *res)
{
    result_start(res, label);
    char path[PATH_CAP];
    char *text = NULL;
    popi_err_t e = path_join(path, dir, "workload.txt") ? read_text(path, &text) : path_too_long(dir);
    if (!e) {
        e = popi_feasibility_run_workload(text, path, res);
        free(text);
    }
    snprintf(res->set, sizeof res->set, "%s", label);
    read_note(dir, res);
    return e;
}

/* ===================================================================================== */
/* The command                                                                            */
/* ===================================================================================== */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: popi feasibility [--detection] [--transactions] [--data DIR] [--write-chains]\n"
            "\n"
            "Run the seed's evaluations on the data sets in DIR (default data/feasibility):\n"
            "  detection/NN     chains with planted anomalies; a set passes when the detector\n"
            "                   reports exactly the findings of its expected.tsv\n"
            "  transactions/NN  scripted transfer workloads with double-spend attempts; a set\n"
            "                   passes when every step behaves as written and balances are exact\n"
            "Prints one row per set and exits 0 only if every set passes.\n"
            "\n"
            "options:\n"
            "      --detection      only the detection sets (default: both kinds)\n"
            "      --transactions   only the transaction sets\n"
            "      --data DIR       folder holding detection/ and transactions/\n"
            "      --write-chains   first rebuild each detection/NN/chain.popichain from its\n"
            "                       chain.txt (atomically), then evaluate\n"
            "  -v, --verbose        print the failure details of every failing set (default) and\n"
            "                       the note of every set\n"
            "  -h, --help           this text\n"
            "\n"
            "exit codes: 0 all sets pass, 1 a set fails, 2 bad input (options, missing folder,\n"
            "malformed data file)\n");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the sub-folders of @p dir; NULL with *n = 0 if it cannot be read. */
static char **list_sets(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[PATH_CAP];
        struct stat sb;
        if (!path_join(path, dir, e->d_name) || stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
            continue;
        POPI_GROW(names, cap, *n + 1);
        names[(*n)++] = popi_xstrdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static popi_err_t write_chain(const char *set_dir)
{
    char path[PATH_CAP], out[PATH_CAP];
    if (!path_join(path, set_dir, "chain.txt") || !path_join(out, set_dir, "chain.popichain"))
        return path_too_long(set_dir);
    char *script;
    popi_err_t e = read_text(path, &script);
    if (e) return e;
    popi_block_t **blocks;
    size_t n;
    e = popi_feasibility_build_chain(script, path, &blocks, &n);
    free(script);
    if (e) return e;
    e = popi_chainfile_write(out, (const popi_block_t *const *)blocks, n);
    popi_chainfile_free(blocks, n);
    return e;
}

int popi_feasibility_main(int argc, char **argv)
{
    static const struct option opts[] = {{"detection", no_argument, NULL, 'd'},
                                         {"transactions", no_argument, NULL, 't'},
                                         {"data", required_argument, NULL, 'D'},
                                         {"write-chains", no_argument, NULL, 'W'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool det = false, trn = false, write = false, verbose = false;
    const char *data = "data/feasibility";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': det = true; break;
        case 't': trn = true; break;
        case 'D': data = optarg; break;
        case 'W': write = true; break;
        case 'v': verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "popi feasibility: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!det && !trn) det = trn = true;
    if (popi_crypto_init()) {
        fprintf(stderr, "popi feasibility: %s\n", popi_err_message());
        return 1;
    }
    const char *kinds[2] = {"detection", "transactions"};
    bool want[2] = {det, trn};
    size_t n_sets = 0, n_pass = 0, n_fail = 0, n_bad = 0;
    printf("%-18s %-6s %-7s %s\n", "set", "result", "checks", "what");
    for (int k = 0; k < 2; k++) {
        if (!want[k]) continue;
        char dir[PATH_CAP];
        if (!path_join(dir, data, kinds[k])) {
            fprintf(stderr, "popi feasibility: --data path too long\n");
            return 2;
        }
        size_t n;
        char **names = list_sets(dir, &n);
        if (!n) {
            fprintf(stderr, "popi feasibility: no sets in %s (give the data folder with --data "
                            "DIR)\n", dir);
            n_bad++;
        }
        for (size_t i = 0; i < n; i++) {
            char set_dir[PATH_CAP], label[96];
            bool fits = path_join(set_dir, dir, names[i]);
            snprintf(label, sizeof label, "%s/%.40s", kinds[k], names[i]);
            popi_feasibility_result_t r;
            popi_err_t e = fits ? POPI_OK : path_too_long(dir);
            if (!e && k == 0 && write) {
                char script[PATH_CAP];
                struct stat sb;
                if (path_join(script, set_dir, "chain.txt") && stat(script, &sb) == 0 &&
                    (e = write_chain(set_dir)) == POPI_OK)
                    fprintf(stderr, "wrote %s/chain.popichain\n", set_dir);
            }
            if (!e)
                e = k == 0 ? popi_feasibility_detection(set_dir, label, &r)
                           : popi_feasibility_transactions(set_dir, label, &r);
            else
                result_start(&r, label);
            n_sets++;
            char checks[32];
            snprintf(checks, sizeof checks, "%u/%u", r.n_passed, r.n_checks);
            if (e) {
                n_bad++;
                printf("%-18s %-6s %-7s %s\n", label, "ERROR", "-", r.note);
                printf("  %s\n", popi_err_message());
            } else {
                r.pass ? n_pass++ : n_fail++;
                printf("%-18s %-6s %-7s %s\n", label, r.pass ? "pass" : "FAIL", checks, r.note);
                if (r.detail && (!r.pass || verbose)) fputs(r.detail, stdout);
            }
            popi_feasibility_result_destroy(&r);
            free(names[i]);
        }
        free(names);
    }
    printf("%zu sets: %zu passed, %zu failed%s", n_sets, n_pass, n_fail + n_bad,
           n_bad ? " (bad input)\n" : "\n");
    fflush(stdout);
    return n_bad ? 2 : n_fail ? 1 : 0;
}
