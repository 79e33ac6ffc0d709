/* SPDX-License-Identifier: MIT */
/*
 * test_feasibility.c - the seed's evaluations as data (feasibility.h, wallet.h): every committed
 * detection and transaction set passes; each committed chain file is what its script builds, byte
 * for byte (built twice, identical); copies of a set with a wrong expected.tsv, a stale chain file
 * or a wrong expected balance fail with the offending line; every malformed script, table and
 * workload line is an error naming the file and line; name-derived keys and decimal amounts are
 * exact.
 */
#include "popi/chainfile.h"
#include "popi/feasibility.h"
#include "popi/wallet.h"

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0, r;
    char *buf = malloc(cap + 1);
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Copy detection set @p set into a new folder under @p tmp; returns the folder (static). */
static const char *copy_set(const char *tmp, const char *kind, const char *set)
{
    static char dst[4096];
    char src[4096], a[8192], b[8192];
    snprintf(src, sizeof src, "%s", popi_test_src("data/feasibility"));
    snprintf(dst, sizeof dst, "%s/%s-%s", tmp, kind, set);
    mkdir(dst, 0755);
    const char *files[] = {"chain.txt", "chain.popichain", "expected.tsv", "README.md",
                           "workload.txt"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(a, sizeof a, "%s/%s/%s/%s", src, kind, set, files[i]);
        snprintf(b, sizeof b, "%s/%s", dst, files[i]);
        struct stat sb;
        if (stat(a, &sb) != 0) continue;
        size_t len;
        char *data = slurp(a, &len);
        spit(b, data, len);
        free(data);
    }
    return dst;
}

/* ---- wallet helpers ---- */

START_TEST(test_amounts)
{
    static const struct {
        const char *text;
        uint64_t units;
    } ok[] = {{"0", 0},
              {"1", 100000000},
              {"0.5", 50000000},
              {"12.5", 1250000000},
              {"0.00000001", 1},
              {"9.99999999", 999999999},
              {"007", 700000000},
              {"21000000", UINT64_C(2100000000000000)},
              {"21000000.00000000", UINT64_C(2100000000000000)}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint64_t u = 99;
        ck_assert_int_eq(popi_wallet_amount_parse(ok[i].text, &u), POPI_OK);
        ck_assert_msg(u == ok[i].units, "%s gave %llu", ok[i].text, (unsigned long long)u);
    }
    static const char *bad[] = {"",    "-1",          ".5",        "1.",       "1.000000001",
                                "1e3", "1,5",         " 1",        "1 ",       "abc",
                                "0x1", "21000000.01", "210000000", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t u = 99;
        ck_assert_msg(popi_wallet_amount_parse(bad[i], &u) == POPI_EPARSE, "'%s' accepted", bad[i]);
        ck_assert_uint_eq(u, 0);
        ck_assert_ptr_nonnull(strstr(popi_err_message(), "wallet: amount"));
    }
    ck_assert_int_eq(popi_wallet_amount_parse(NULL, &(uint64_t){0}), POPI_EPARSE);
    char buf[POPI_WALLET_AMOUNT_CHARS];
    ck_assert_str_eq(popi_wallet_amount_format(buf, 0), "0.00000000");
    ck_assert_str_eq(popi_wallet_amount_format(buf, 1), "0.00000001");
    ck_assert_str_eq(popi_wallet_amount_format(buf, 5090500000), "50.90500000");
    ck_assert_str_eq(popi_wallet_amount_format(buf, UINT64_MAX), "184467440737.09551615");
}
END_TEST

START_TEST(test_wallet_names)
{
    popi_keypair_t a, a2, b;
    ck_assert_int_eq(popi_wallet_from_name(&a, "alice"), POPI_OK);
    ck_assert_int_eq(popi_wallet_from_name(&a2, "alice"), POPI_OK);
    ck_assert_int_eq(popi_wallet_from_name(&b, "bob"), POPI_OK);
    ck_assert(memcmp(&a, &a2, sizeof a) == 0);
    ck_assert(memcmp(a.pk.b, b.pk.b, 32) != 0);
    /* the documented derivation: seed = SHA-256("popi-wallet-name-v1" || name) */
    popi_hash_t seed;
    popi_crypto_sha256(&seed, "popi-wallet-name-v1alice", 24);
    popi_keypair_t ref;
    popi_crypto_keypair_from_seed(&ref, seed.b);
    ck_assert(memcmp(ref.pk.b, a.pk.b, 32) == 0);
    char hex[65];
    popi_crypto_hex(hex, a.pk.b, 32);
    ck_assert_str_eq(hex, "2b6eec19460765fd4067c366f6f227be8eb45264ad2b20d0a8f6d5b2b6290ed7");
    char longname[POPI_WALLET_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    const char *bad[] = {"", "a b", "a/b", "\xc3\xbcmlaut", longname, NULL};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(popi_wallet_from_name(&b, bad[i]), POPI_EINVAL);
        ck_assert_ptr_nonnull(strstr(popi_err_message(), "wallet: name"));
    }
    longname[POPI_WALLET_NAME_MAX] = 0;
    ck_assert_int_eq(popi_wallet_from_name(&b, longname), POPI_OK);
}
END_TEST

/* ---- the committed sets ---- */

START_TEST(test_detection_sets_pass)
{
    int set = _i;
    char dir[4096], label[32];
    snprintf(label, sizeof label, "detection/%02d", set);
    snprintf(dir, sizeof dir, "%s", popi_test_src("data/feasibility/detection"));
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%02d", set);
    popi_feasibility_result_t r;
    ck_assert_int_eq(popi_feasibility_detection(dir, label, &r), POPI_OK);
    ck_assert_msg(r.pass, "%s failed:\n%s", label, r.detail ? r.detail : "");
    ck_assert_uint_ge(r.n_checks, 1);
    ck_assert_uint_eq(r.n_passed, r.n_checks);
    ck_assert_ptr_null(r.detail);
    ck_assert_str_eq(r.set, label);
    ck_assert_msg(strlen(r.note) > 10, "%s has no README line", label);
    popi_feasibility_result_destroy(&r);
}
END_TEST

START_TEST(test_transaction_sets_pass)
{
    int set = _i;
    char dir[4096], label[32];
    snprintf(label, sizeof label, "transactions/%02d", set);
    snprintf(dir, sizeof dir, "%s", popi_test_src("data/feasibility/transactions"));
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%02d", set);
    popi_feasibility_result_t r;
    ck_assert_int_eq(popi_feasibility_transactions(dir, label, &r), POPI_OK);
    ck_assert_msg(r.pass, "%s failed:\n%s", label, r.detail ? r.detail : "");
    ck_assert_uint_ge(r.n_checks, 10);
    ck_assert_msg(strlen(r.note) > 10, "%s has no README line", label);
    popi_feasibility_result_destroy(&r);
}
END_TEST

/* Each set plants a different mix of reasons: no two expected.tsv files list the same set. */
START_TEST(test_detection_sets_differ)
{
    char reasons[10][512];
    for (int s = 1; s <= 10; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", popi_test_src("data/feasibility/detection"));
        snprintf(path + strlen(path), sizeof path - strlen(path), "/%02d/expected.tsv", s);
        char *text = slurp(path, NULL), *save = NULL;
        reasons[s - 1][0] = 0;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (line[0] == '#') continue;
            char h[32], kind[32], reason[64];
            ck_assert_int_eq(sscanf(line, "%31s %31s %63s", h, kind, reason), 3);
            if (!strstr(reasons[s - 1], reason)) {
                strcat(reasons[s - 1], reason);
                strcat(reasons[s - 1], " ");
            }
        }
        free(text);
        for (int p = 0; p < s - 1; p++)
            ck_assert_msg(strcmp(reasons[p], reasons[s - 1]) != 0, "sets %d and %d plant the same: %s",
                          p + 1, s, reasons[p]);
    }
}
END_TEST

/* The chain files are what the scripts build, and building is deterministic. */
START_TEST(test_chain_files_rebuild)
{
    for (int s = 1; s <= 10; s++) {
        char dir[4096], path[4200];
        snprintf(dir, sizeof dir, "%s", popi_test_src("data/feasibility/detection"));
        snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%02d", s);
        snprintf(path, sizeof path, "%s/chain.txt", dir);
        char *script = slurp(path, NULL);
        popi_block_t **b1, **b2;
        size_t n1, n2;
        ck_assert_int_eq(popi_feasibility_build_chain(script, path, &b1, &n1), POPI_OK);
        ck_assert_int_eq(popi_feasibility_build_chain(script, path, &b2, &n2), POPI_OK);
        ck_assert_uint_eq(n1, n2);
        popi_codec_writer_t w1, w2;
        popi_codec_writer_init(&w1);
        popi_codec_writer_init(&w2);
        popi_chainfile_encode((const popi_block_t *const *)b1, n1, &w1);
        popi_chainfile_encode((const popi_block_t *const *)b2, n2, &w2);
        ck_assert(w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0);
        snprintf(path, sizeof path, "%s/chain.popichain", dir);
        size_t len;
        char *file = slurp(path, &len);
        ck_assert_msg(len == w1.len && memcmp(file, w1.data, len) == 0,
                      "set %02d: chain.popichain differs from what chain.txt builds", s);
        ck_assert_uint_ge(n1, 10);
        free(file);
        free(script);
        popi_codec_writer_destroy(&w1);
        popi_codec_writer_destroy(&w2);
        popi_chainfile_free(b1, n1);
        popi_chainfile_free(b2, n2);
    }
}
END_TEST

/* ---- provoked failures ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_int_eq(popi_test_write(path, text), 0);
}

static popi_feasibility_result_t run_detection(const char *dir, popi_err_t want)
{
    popi_feasibility_result_t r;
    ck_assert_int_eq(popi_feasibility_detection(dir, "copy", &r), want);
    return r;
}

START_TEST(test_detection_failures)
{
    char *tmp = popi_test_tmpdir();
    /* a planted finding missing from expected.tsv: "not expected" */
    const char *d = copy_set(tmp, "detection", "02");
    write_text(d, "expected.tsv", "8\ttx\tINPUT_SPENT\t1\tspent@6\n");
    popi_feasibility_result_t r = run_detection(d, POPI_OK);
    ck_assert(!r.pass);
    ck_assert_uint_eq(r.n_passed, 1);
    ck_assert_ptr_nonnull(strstr(r.detail, "not expected: height 11 tx INPUT_SPENT tx 1"));
    popi_feasibility_result_destroy(&r);
    /* an expected finding the detector does not report (wrong tx index): missing + not expected */
    write_text(d, "expected.tsv", "8\ttx\tINPUT_SPENT\t2\n11\ttx\tINPUT_SPENT\t1\n");
    r = run_detection(d, POPI_OK);
    ck_assert(!r.pass);
    ck_assert_ptr_nonnull(strstr(r.detail, "missing (expected.tsv line 1): height 8 tx INPUT_SPENT tx 2"));
    ck_assert_ptr_nonnull(strstr(r.detail, "not expected: height 8"));
    popi_feasibility_result_destroy(&r);
    /* a wrong origin height fails; the right one passes */
    write_text(d, "expected.tsv", "8\ttx\tINPUT_SPENT\t1\tspent@5\n11\ttx\tINPUT_SPENT\t1\n");
    r = run_detection(d, POPI_OK);
    ck_assert(!r.pass);
    popi_feasibility_result_destroy(&r);
    write_text(d, "expected.tsv", "8\ttx\tINPUT_SPENT\t1\tunknown\n11\ttx\tINPUT_SPENT\t1\n");
    r = run_detection(d, POPI_OK);
    ck_assert(!r.pass);
    popi_feasibility_result_destroy(&r);
    write_text(d, "expected.tsv", "# c\n\n8 tx INPUT_SPENT 1 spent\n11\ttx\tINPUT_SPENT\t1\t-\n");
    r = run_detection(d, POPI_OK);
    ck_assert_msg(r.pass, "%s", r.detail);
    popi_feasibility_result_destroy(&r);
    /* one expected row cannot match two findings, nor two rows one finding */
    write_text(d, "expected.tsv",
               "8\ttx\tINPUT_SPENT\t1\n8\ttx\tINPUT_SPENT\t1\n11\ttx\tINPUT_SPENT\t1\n");
    r = run_detection(d, POPI_OK);
    ck_assert(!r.pass);
    ck_assert_uint_eq(r.n_passed, 2);
    popi_feasibility_result_destroy(&r);

    /* a chain file that is not what its script builds: the script changed */
    d = copy_set(tmp, "detection", "01");
    char path[4200];
    snprintf(path, sizeof path, "%s/chain.txt", d);
    char *script = slurp(path, NULL);
    size_t sl = strlen(script);
    script = realloc(script, sl + 64);
    strcat(script, "block by alice\n");
    write_text(d, "chain.txt", script);
    free(script);
    r = run_detection(d, POPI_OK);
    ck_assert(!r.pass);
    ck_assert_uint_eq(r.n_passed, r.n_checks); /* the findings still match */
    ck_assert_ptr_nonnull(strstr(r.detail, "is not what chain.txt builds"));
    popi_feasibility_result_destroy(&r);
    /* without a script, the chain file alone is the data */
    unlink(path);
    r = run_detection(d, POPI_OK);
    ck_assert(r.pass);
    popi_feasibility_result_destroy(&r);

    /* malformed expected.tsv rows: EPARSE naming the line */
    static const char *bad_rows[] = {"8\ttx\tINPUT_SPENT\n",
                                     "8\tblok\tPREV\t-\n",
                                     "x\tblock\tPREV\t-\n",
                                     "8\tblock\tNOT_A_RULE\t-\n",
                                     "8\ttx\tSIG\tone\n",
                                     "8\ttx\tSIG\t1\tsomewhere\n",
                                     "8\ttx\tSIG\t1\tspent@x\n",
                                     "8\ttx\tSIG\t1\t-\textra\n"};
    for (size_t i = 0; i < sizeof bad_rows / sizeof *bad_rows; i++) {
        char text[256];
        snprintf(text, sizeof text, "# header\n%s", bad_rows[i]);
        write_text(d, "expected.tsv", text);
        r = run_detection(d, POPI_EPARSE);
        ck_assert_msg(strstr(popi_err_message(), "expected.tsv:2:") != NULL, "%s: %s", bad_rows[i],
                      popi_err_message());
        popi_feasibility_result_destroy(&r);
    }
    /* missing files */
    snprintf(path, sizeof path, "%s/expected.tsv", d);
    unlink(path);
    r = run_detection(d, POPI_EIO);
    popi_feasibility_result_destroy(&r);
    write_text(d, "expected.tsv", "5\ttx\tCB_SUBSIDY\t0\n");
    snprintf(path, sizeof path, "%s/chain.popichain", d);
    spit(path, "POPICHN\n\1\0\0\0", 12);
    r = run_detection(d, POPI_EFORMAT);
    popi_feasibility_result_destroy(&r);
    popi_test_rmdir(tmp);
    free(tmp);
}
END_TEST

START_TEST(test_chain_script_errors)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"pay alice bob 1\n", ":1: 'pay' outside a block"},
        {"block by alice\nfrobnicate\n", ":2: unknown command 'frobnicate'"},
        {"block\n", ":1: usage: block by WHO"},
        {"block by al ice\n", ":1: block: unknown option 'ice'"},
        {"block by a/b\n", ":1: wallet: name"},
        {"block by alice\nblock by bob time +x\n", ":2: block: time must be"},
        {"block by alice time mtp\n", ":1: block: time mtp needs earlier blocks"},
        {"block by alice height +2\n", ":1: block: height must be"},
        {"block by alice\nblock by bob prev skip\n", ":2: block: prev must be"},
        {"block by alice\nblock by bob subsidy 1\n", ":2: block: subsidy must be"},
        {"block by alice\nblock by bob subsidy +0\n", ":2: block: subsidy must be"},
        {"block by alice\npay alice bob 1\n", ":2: pay: alice has 0.00000000 spendable"},
        {"block by alice\npay alice bob 0\n", ":2: pay: amount must be > 0"},
        {"block by alice\npay alice bob 1 tip 2\n", ":2: pay: unknown option 'tip'"},
        {"block by alice\npay alice bob one\n", ":2: wallet: amount"},
        {"block by alice\npay alice\n", ":2: usage: pay"},
        {"block by alice\ntx spend cb0:0 sign alice out bob 1\n", ":2: 'cb0:0': block 0 is not"},
        {"block by alice\nblock by a\ntx spend cb0 sign alice out bob 1\n",
         ":3: coin reference 'cb0' must be"},
        {"block by alice\nblock by a\ntx spend x:0 sign alice out bob 1\n",
         ":3: unknown transaction label 'x'"},
        {"block by alice\nblock by a\ntx spend cb0:9999 sign alice out bob 1\n",
         ":3: output index in 'cb0:9999'"},
        {"block by alice\nblock by a\ntx spend in:x:0 sign alice out bob 1\n",
         ":3: unknown transaction label 'x'"},
        {"block by alice\nblock by a\ntx spend in:x sign alice out bob 1\n",
         ":3: coin reference 'in:x' must be in:LABEL:K"},
        {"block by alice\nblock by a\ntx as t spend cb0:0 sign alice out bob 1\ntx spend in:t:1 "
         "sign alice out bob 1\n",
         ":4: 'in:t:1': t has 1 inputs"},
        {"block by alice\ntx spend sign alice out bob 1\n", ":2: tx: need at least one coin"},
        {"block by alice\ntx spend nowhere:0 sign alice\n", ":2: tx: need at least one 'out"},
        {"block by alice\ntx spend nowhere:0 sign alice out bob\n", ":2: tx: expected 'out WHO"},
        {"block by alice\ntx pay\n", ":2: usage: tx"},
        {"block by alice\ntx as cb3 spend nowhere:0 sign a out b 1\n", ":2: label 'cb3'"},
        {"block by alice\ntx as t spend nowhere:0 sign a out b 1\ntx as t spend nowhere:1 sign a "
         "out b 1\n",
         ":3: label 't' is used twice"},
        {"block by alice\ntamper\n", ":2: unknown command 'tamper'"},
        {"block by alice tamper\n", ":1: block: tamper needs a transaction"},
        {"block by alice\nzero-bits 4\n", ":2: zero-bits Z"},
        {"zero-bits 40\n", ":1: zero-bits Z"},
        {"# nothing\n", ": no blocks"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        popi_block_t **b = (popi_block_t **)&b;
        size_t n = 7;
        ck_assert_msg(popi_feasibility_build_chain(cases[i].text, "s.txt", &b, &n) == POPI_EPARSE,
                      "case %zu accepted", i);
        ck_assert_ptr_null(b);
        ck_assert_uint_eq(n, 0);
        ck_assert_msg(strstr(popi_err_message(), cases[i].msg) != NULL, "case %zu: '%s' lacks '%s'",
                      i, popi_err_message(), cases[i].msg);
        ck_assert_ptr_nonnull(strstr(popi_err_message(), "feasibility: s.txt"));
    }
    /* a minimal valid script: zero-bits honoured, times and heights as documented */
    popi_block_t **b;
    size_t n;
    ck_assert_int_eq(popi_feasibility_build_chain("zero-bits 0\nblock by a\nblock by b time +5\n"
                                                  "block by c time =1800000000\n",
                                                  "ok", &b, &n),
                     POPI_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(b[0]->hdr.time, POPI_FEASIBILITY_T0_S * POPI_US_PER_S);
    ck_assert_int_eq(b[1]->hdr.time, (POPI_FEASIBILITY_T0_S + 5) * POPI_US_PER_S);
    ck_assert_int_eq(b[2]->hdr.time, INT64_C(1800000000) * POPI_US_PER_S);
    ck_assert_uint_eq(b[2]->hdr.height, 2);
    ck_assert(popi_hash_eq(&b[2]->hdr.prev, &b[1]->hash));
    uint32_t bits0;
    popi_target_bits_for_zero_bits(0, &bits0);
    ck_assert_uint_eq(b[0]->hdr.bits, bits0);
    popi_chainfile_free(b, n);
}
END_TEST

static popi_feasibility_result_t workload(const char *text, popi_err_t want)
{
    popi_feasibility_result_t r;
    ck_assert_int_eq(popi_feasibility_run_workload(text, "w.txt", &r), want);
    return r;
}

START_TEST(test_workload_failures)
{
    /* every kind of step failing: the set fails and each failure names its line */
    popi_feasibility_result_t r = workload("mine alice 6\n"
                                           "expect-balance alice 299\n"        /* 2: wrong */
                                           "expect-balance alice 300 spendable 49\n" /* 3 */
                                           "send alice bob 51\n"               /* 4: insufficient */
                                           "send alice bob 10 as t1\n"
                                           "reject conflict send alice carol 1\n" /* 6: accepted */
                                           "reject double-spend respend t1 carol 5\n" /* 7: conflict */
                                           "reject insufficient send alice carol 1\n" /* 8 */
                                           "reject SIG mine-with bob respend t1 bob 5\n" /* 9 */
                                           "expect-height 7\n"                 /* 10: is 5 */
                                           "expect-pool 0\n",                  /* 11: is 2 */
                                           POPI_OK);
    ck_assert(!r.pass);
    ck_assert_ptr_nonnull(r.detail);
    static const char *lines[] = {"line 2: balance of alice is 300.00000000, expected 299.00000000",
                                  "line 3: spendable balance of alice is 50.00000000, expected "
                                  "49.00000000",
                                  "line 4: send alice bob 51.00000000: mempool: pay: insufficient",
                                  "line 6: send alice carol 1.00000000: expected refusal "
                                  "'conflict', got 'accepted'",
                                  "line 7: respend: expected refusal 'double-spend', got conflict",
                                  "line 8: send alice carol 1.00000000: expected refusal "
                                  "'insufficient', got 'accepted'",
                                  "line 9: block by bob with respend: expected invalid (SIG), got "
                                  "invalid",
                                  "line 10: height is 5, expected 7",
                                  "line 11: 3 transactions pending, expected 0"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        ck_assert_msg(strstr(r.detail, lines[i]) != NULL, "lacks '%s' in\n%s", lines[i], r.detail);
    popi_feasibility_result_destroy(&r);
    /* a passing workload counts every step plus the two closing checks */
    r = workload("zero-bits 2\nmine a 6\nsend a b 1\nmine a\nexpect-balance b 1\n", POPI_OK);
    ck_assert_msg(r.pass, "%s", r.detail);
    ck_assert_uint_eq(r.n_checks, 6 + 1 + 1 + 1 + 2);
    popi_feasibility_result_destroy(&r);
    /* malformed lines */
    static const struct {
        const char *text;
        const char *msg;
    } bad[] = {
        {"send a b 1\n", ":1: 'send' before the first block"},
        {"mine a\nfly a\n", ":2: unknown command 'fly'"},
        {"mine\n", ":1: usage: mine WHO [N]"},
        {"mine a 0\n", ":1: usage: mine WHO [N]"},
        {"mine a\nzero-bits 3\n", ":2: zero-bits Z"},
        {"mine a\nsend a b\n", ":2: usage: send"},
        {"mine a\nsend a b x\n", ":2: wallet: amount"},
        {"mine a\nsend a b 1 tip 1\n", ":2: send: unknown option 'tip'"},
        {"mine a\nsend a b 1 as cb1\n", ":2: send: label 'cb1'"},
        {"mine a\nreject conflict\n", ":2: usage: reject"},
        {"mine a\nreject conflict respend t9 b 1\n", ":2: respend: no payment labelled 't9'"},
        {"mine a\nreject conflict spend-coinbase 9 a b 1\n", ":2: spend-coinbase: no block"},
        {"mine a\nreject conflict spend-coinbase x a b 1\n", ":2: spend-coinbase: HEIGHT"},
        {"mine a\nreject conflict spend-coinbase 0 a b 1 extra\n", ":2: reject: unexpected 'extra'"},
        {"mine a\nreject conflict fly\n", ":2: expected 'respend"},
        {"mine a\nreject X mine-with a\n", ":2: usage: reject REASON mine-with"},
        {"mine a\nfork-mine a 1 at 0\n", ":2: usage: fork-mine"},
        {"mine a\nfork-mine a 1 from 5\n", ":2: fork-mine: no block at height 5"},
        {"mine a\nexpect-balance a\n", ":2: usage: expect-balance"},
        {"mine a\nexpect-balance a 1 total 1\n", ":2: usage: expect-balance"},
        {"mine a\nexpect-height x\n", ":2: usage: expect-height N"},
        {"mine a/b\n", ":1: wallet: name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = workload(bad[i].text, POPI_EPARSE);
        ck_assert(!r.pass);
        ck_assert_msg(strstr(popi_err_message(), bad[i].msg) != NULL, "case %zu: '%s' lacks '%s'",
                      i, popi_err_message(), bad[i].msg);
        popi_feasibility_result_destroy(&r);
    }
    /* an empty workload checks nothing and so cannot pass */
    r = workload("# nothing\n", POPI_OK);
    ck_assert(!r.pass);
    popi_feasibility_result_destroy(&r);
}
END_TEST

START_TEST(test_transaction_set_copy_fails)
{
    char *tmp = popi_test_tmpdir();
    const char *d = copy_set(tmp, "transactions", "07");
    char path[4200];
    snprintf(path, sizeof path, "%s/workload.txt", d);
    char *text = slurp(path, NULL);
    char *at = strstr(text, "expect-balance miner 50.905");
    ck_assert_ptr_nonnull(at);
    memcpy(at, "expect-balance miner 50.906", 27);
    write_text(d, "workload.txt", text);
    free(text);
    popi_feasibility_result_t r;
    ck_assert_int_eq(popi_feasibility_transactions(d, "copy", &r), POPI_OK);
    ck_assert(!r.pass);
    ck_assert_uint_eq(r.n_passed + 1, r.n_checks);
    ck_assert_ptr_nonnull(strstr(r.detail, "balance of miner is 50.90500000, expected 50.90600000"));
    popi_feasibility_result_destroy(&r);
    unlink(path);
    ck_assert_int_eq(popi_feasibility_transactions(d, "copy", &r), POPI_EIO);
    popi_feasibility_result_destroy(&r);
    popi_test_rmdir(tmp);
    free(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("feasibility");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_amounts);
    tcase_add_test(tc, test_wallet_names);
    tcase_add_loop_test(tc, test_detection_sets_pass, 1, 11);
    tcase_add_loop_test(tc, test_transaction_sets_pass, 1, 11);
    tcase_add_test(tc, test_detection_sets_differ);
    tcase_add_test(tc, test_chain_files_rebuild);
    tcase_add_test(tc, test_detection_failures);
    tcase_add_test(tc, test_chain_script_errors);
    tcase_add_test(tc, test_workload_failures);
    tcase_add_test(tc, test_transaction_set_copy_fails);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
