/* SPDX-License-Identifier: MIT */
/*
 * test_console.c - the Mcoin console's interpreter and files (console.h): every command's
 * replies and error messages, balances to the base unit after mining and paying, persistence of
 * the chain and of pending payments across restarts, refusal of unloadable files, key files, and
 * byte-identical sessions under a fixed clock. The stdin and TCP front ends and the kill -9 test
 * are in tests/test_cli.sh.
 */
#include "popi/chainfile.h"
#include "popi/console.h"
#include "popi/wallet.h"

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOB "ab6b8a35e4fb8be53ea2d7a5297e2e7d1f1e67f6d26a6e2b6a6e6c8f0e0d4b13" /* some address */

static char reply_buf[1 << 16];

/* Run one command; returns its reply (static buffer). */
static const char *run(popi_console_t *c, const char *line, popi_console_action_t *act)
{
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_console_action_t a = popi_console_exec(c, line, &w);
    if (act) *act = a;
    ck_assert_uint_lt(w.len, sizeof reply_buf);
    memcpy(reply_buf, w.data ? (const char *)w.data : "", w.len);
    reply_buf[w.len] = 0;
    popi_codec_writer_destroy(&w);
    return reply_buf;
}

static void expect(popi_console_t *c, const char *line, const char *want)
{
    const char *got = run(c, line, NULL);
    ck_assert_msg(strstr(got, want) != NULL, "'%s' replied '%s', expected '%s'", line, got, want);
}

static popi_console_t *open_console(const char *chain, const char *key_name)
{
    popi_console_opts_t o;
    memset(&o, 0, sizeof o);
    o.chain_path = chain;
    o.key_name = key_name;
    o.fixed_clock = true;
    o.clock_us = INT64_C(1700000000) * POPI_US_PER_S;
    popi_console_t *c;
    ck_assert_msg(popi_console_open(&o, NULL, &c) == POPI_OK, "%s", popi_err_message());
    return c;
}

static const char *hex_of(const char *name)
{
    static char hx[65];
    popi_keypair_t kp;
    ck_assert_int_eq(popi_wallet_from_name(&kp, name), POPI_OK);
    popi_crypto_hex(hx, kp.pk.b, 32);
    return hx;
}

START_TEST(test_errors_are_messages)
{
    popi_console_t *c = open_console(NULL, NULL);
    popi_console_action_t a;
    ck_assert_str_eq(run(c, "", &a), "");
    ck_assert_int_eq(a, POPI_CONSOLE_CONTINUE);
    ck_assert_str_eq(run(c, "   # a comment\n", NULL), "");
    expect(c, "getinfo", "height -1\ntip none\nblocks 0\npending 0\nwallet none\nchain (memory only)\n");
    expect(c, "help", "getbalance [ADDRESS]");
    expect(c, "frobnicate", "error: unknown command 'frobnicate'");
    expect(c, "mine 4", "error: no wallet key");
    expect(c, "getbalance", "error: no wallet key");
    expect(c, "send " BOB " 1", "error: no wallet key");
    expect(c, "getbalance " BOB, "balance 0.00000000 spendable 0.00000000 immature 0.00000000");
    expect(c, "getbalance xyz", "error: crypto:");
    expect(c, "getbalance a b", "error: usage: getbalance");
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    expect(c, big, "error: line longer than 4095 bytes");
    expect(c, "verify", "0 blocks, 0 transactions, 0 applied, 0 findings");
    expect(c, "verify /no/such/file", "error: ");
    expect(c, "verify a b", "error: usage: verify");
    expect(c, "newkey a b", "error: usage: newkey");
    ck_assert_str_eq(run(c, "quit", &a), "bye\n");
    ck_assert_int_eq(a, POPI_CONSOLE_QUIT);
    ck_assert_str_eq(run(c, "exit", &a), "bye\n");
    ck_assert_int_eq(a, POPI_CONSOLE_QUIT);
    run(c, "shutdown", &a);
    ck_assert_int_eq(a, POPI_CONSOLE_SHUTDOWN);
    popi_console_free(c);

    c = open_console(NULL, "alice");
    static const char *bad_mine[] = {"mine", "mine 33", "mine -1", "mine x", "mine 4 5", "mine 4x"};
    for (size_t i = 0; i < sizeof bad_mine / sizeof *bad_mine; i++)
        expect(c, bad_mine[i], "error: usage: mine DIFFICULTY (leading zero bits, 0..32)");
    expect(c, "send " BOB " 1", "error: no blocks yet: mine one first");
    expect(c, "send " BOB, "error: usage: send");
    expect(c, "send zz 1", "error: crypto:");
    expect(c, "send " BOB " 1.123456789", "error: wallet: amount");
    expect(c, "send " BOB " 1 x", "error: wallet: amount");
    popi_console_free(c);
    popi_console_free(NULL);
}
END_TEST

START_TEST(test_mine_send_balances)
{
    popi_console_t *c = open_console(NULL, "alice");
    char line[256];
    expect(c, "getinfo", "wallet 2b6eec19460765fd4067c366f6f227be8eb45264ad2b20d0a8f6d5b2b6290ed7\n");
    expect(c, "mine 6", "mined block 0 ");
    for (int i = 1; i < 6; i++)
        expect(c, "mine 2", "(0 transactions, reward 50.00000000,");
    /* heights 0..5: only the reward of height 0 is spendable in block 6 */
    expect(c, "getbalance", "balance 300.00000000 spendable 50.00000000 immature 250.00000000");
    snprintf(line, sizeof line, "send %s 60", hex_of("bob"));
    expect(c, line, "error: mempool: pay: insufficient funds");
    snprintf(line, sizeof line, "send %s 12.5 0.25", hex_of("bob"));
    expect(c, line, " amount 12.50000000 fee 0.25000000 (pending until the next block)");
    expect(c, "getbalance", "balance 300.00000000 spendable 37.25000000 immature 250.00000000");
    expect(c, "getinfo", "height 5\n");
    expect(c, "getinfo", "pending 1\n");
    snprintf(line, sizeof line, "getbalance %s", hex_of("bob"));
    expect(c, line, "balance 0.00000000 spendable 12.50000000 immature 0.00000000");
    expect(c, "mine 3", "mined block 6 ");
    expect(c, "getinfo", "pending 0\n");
    /* 300 - 12.5 - 0.25 + 50 + 0.01 + 0.25: the miner gets the packing reward and the fee back */
    expect(c, "getbalance", "balance 337.51000000 spendable 87.25000000 immature 250.26000000");
    expect(c, line, "balance 12.50000000 spendable 12.50000000 immature 0.00000000");
    expect(c, "verify", "7 blocks, 8 transactions, 7 applied, 0 findings");
    popi_console_free(c);
}
END_TEST

START_TEST(test_persistence)
{
    char *tmp = popi_test_tmpdir();
    char chain[4096], pending[4200];
    snprintf(chain, sizeof chain, "%s/wallet.popichain", tmp);
    snprintf(pending, sizeof pending, "%s.pending", chain);
    popi_console_t *c = open_console(chain, "alice");
    expect(c, "getinfo", "chain ");
    for (int i = 0; i < 7; i++)
        expect(c, "mine 1", "mined block");
    struct stat sb;
    ck_assert_int_eq(stat(chain, &sb), 0);
    ck_assert_int_ne(stat(pending, &sb), 0); /* nothing pending yet: no file */
    char line[256];
    snprintf(line, sizeof line, "send %s 5", hex_of("bob"));
    expect(c, line, "sent ");
    snprintf(line, sizeof line, "send %s 7", hex_of("carol"));
    expect(c, line, "sent ");
    const char *info = run(c, "getinfo", NULL);
    char before[1024];
    snprintf(before, sizeof before, "%s", info);
    popi_console_free(c);
    /* the files on disk are the state: a new console resumes exactly */
    ck_assert_int_eq(stat(pending, &sb), 0);
    FILE *f = fopen(pending, "r");
    char first[64];
    ck_assert_ptr_nonnull(fgets(first, sizeof first, f));
    fclose(f);
    ck_assert_str_eq(first, "popi-pending-v1\n");
    popi_block_t **blocks;
    size_t n;
    ck_assert_int_eq(popi_chainfile_read(chain, &blocks, &n), POPI_OK);
    ck_assert_uint_eq(n, 7);
    popi_chainfile_free(blocks, n);
    c = open_console(chain, "alice");
    ck_assert_str_eq(run(c, "getinfo", NULL), before);
    expect(c, "mine 1", "(2 transactions, reward 50.02000000,");
    popi_console_free(c);
    c = open_console(chain, "carol");
    expect(c, "getinfo", "height 7\n");
    expect(c, "getinfo", "pending 0\n");
    expect(c, "getbalance", "balance 7.00000000 spendable 7.00000000");
    popi_console_free(c);
    f = fopen(pending, "r");
    ck_assert_ptr_nonnull(fgets(first, sizeof first, f));
    ck_assert_ptr_null(fgets(first, sizeof first, f)); /* emptied, not left stale */
    fclose(f);

    /* unloadable files refuse to open (exit 2 in the command) and are left untouched */
    popi_console_opts_t o;
    memset(&o, 0, sizeof o);
    o.chain_path = chain;
    popi_console_t *bad = (popi_console_t *)&o;
    o.key_path = "k";
    o.key_name = "alice";
    ck_assert_int_eq(popi_console_open(&o, NULL, &bad), POPI_EINVAL);
    ck_assert_ptr_null(bad);
    o.key_path = NULL;
    o.key_name = "a b";
    ck_assert_int_eq(popi_console_open(&o, NULL, &bad), POPI_EINVAL);
    o.key_name = NULL;
    ck_assert_int_eq(popi_test_write(pending, "popi-pending-v2\n"), 0);
    ck_assert_int_eq(popi_console_open(&o, NULL, &bad), POPI_EPARSE);
    ck_assert_int_eq(popi_test_write(pending, "popi-pending-v1\nabc\n"), 0);
    ck_assert_int_eq(popi_console_open(&o, NULL, &bad), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), ".pending:2:"));
    ck_assert_int_eq(popi_test_write(pending, ""), 0);
    ck_assert_int_eq(popi_console_open(&o, NULL, &bad), POPI_EPARSE);
    /* a pending payment that no longer fits the chain is dropped with a note */
    {
        popi_keypair_t kp;
        popi_wallet_from_name(&kp, "alice");
        popi_tx_t tx;
        popi_tx_init(&tx, 1, 1, 0);
        tx.in[0].prev.txid.b[0] = 0x42; /* an output that never existed */
        tx.out[0].amount = 1;
        tx.out[0].owner = kp.pk;
        popi_tx_sign_all(&tx, &kp);
        popi_tx_seal(&tx);
        popi_codec_writer_t enc;
        popi_codec_writer_init(&enc);
        popi_tx_encode(&tx, &enc);
        char text[1024] = "popi-pending-v1\n";
        popi_crypto_hex(text + strlen(text), enc.data, enc.len);
        strcat(text, "\n");
        ck_assert_int_eq(popi_test_write(pending, text), 0);
        popi_codec_writer_destroy(&enc);
        popi_tx_destroy(&tx);
    }
    popi_codec_writer_t log;
    popi_codec_writer_init(&log);
    ck_assert_int_eq(popi_console_open(&o, &log, &bad), POPI_OK);
    popi_codec_put_u8(&log, 0);
    ck_assert_ptr_nonnull(strstr((const char *)log.data, "1 pending transaction no longer valid"));
    popi_codec_writer_destroy(&log);
    popi_console_free(bad);
    unlink(pending);
    /* a chain file with an invalid block (a detection set) */
    char copy[4200];
    snprintf(copy, sizeof copy, "%s/anomalous.popichain", tmp);
    f = fopen(popi_test_src("data/feasibility/detection/06/chain.popichain"), "rb");
    ck_assert_ptr_nonnull(f);
    char data[1 << 15];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    f = fopen(copy, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    o.chain_path = copy;
    ck_assert_int_eq(popi_console_open(&o, NULL, &bad), POPI_ESTATE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "refusing to overwrite"));
    /* ... which the console can still inspect */
    c = open_console(NULL, NULL);
    char vline[4300];
    snprintf(vline, sizeof vline, "verify %s", copy);
    expect(c, vline, "height 7 PREV: ");
    popi_console_free(c);
    /* a truncated chain file */
    f = fopen(copy, "wb");
    fwrite(data, 1, len / 2, f);
    fclose(f);
    ck_assert_int_eq(popi_console_open(&o, NULL, &bad), POPI_EFORMAT);
    popi_test_rmdir(tmp);
    free(tmp);
}
END_TEST

START_TEST(test_newkey_and_key_files)
{
    char *tmp = popi_test_tmpdir();
    char key[4096], other[4200], line[4300];
    snprintf(key, sizeof key, "%s/wallet.key", tmp);
    snprintf(other, sizeof other, "%s/other.key", tmp);
    popi_console_opts_t o;
    memset(&o, 0, sizeof o);
    o.key_path = key;
    popi_console_t *c;
    ck_assert_int_eq(popi_console_open(&o, NULL, &c), POPI_OK);
    expect(c, "getinfo", "wallet none\n");
    const char *r = run(c, "newkey", NULL);
    ck_assert_msg(strstr(r, "(secret key saved to ") != NULL, "%s", r);
    char addr[65];
    ck_assert_int_eq(sscanf(r, "wallet %64s", addr), 1);
    struct stat sb;
    ck_assert_int_eq(stat(key, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    /* a second newkey does not overwrite the key file: it stays in memory unless given a file */
    expect(c, "newkey", "NOT saved");
    snprintf(line, sizeof line, "newkey %s", key);
    expect(c, line, "error: crypto:");
    snprintf(line, sizeof line, "newkey %s", other);
    expect(c, line, "saved to");
    popi_console_free(c);
    /* the saved key is loaded next time */
    ck_assert_int_eq(popi_console_open(&o, NULL, &c), POPI_OK);
    char want[128];
    snprintf(want, sizeof want, "wallet %s\n", addr);
    expect(c, "getinfo", want);
    popi_console_free(c);
    /* a key file others can read is refused */
    chmod(key, 0644);
    ck_assert_int_eq(popi_console_open(&o, NULL, &c), POPI_EINVAL);
    ck_assert_ptr_null(c);
    popi_test_rmdir(tmp);
    free(tmp);
}
END_TEST

/* A fixed clock makes a session reproducible to the byte (hashes included). */
START_TEST(test_reproducible)
{
    char out[2][8192];
    for (int k = 0; k < 2; k++) {
        popi_console_t *c = open_console(NULL, "alice");
        out[k][0] = 0;
        const char *cmds[] = {"mine 5", "mine 5", "mine 5", "mine 5", "mine 5", "mine 5", "getinfo"};
        for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
            strncat(out[k], run(c, cmds[i], NULL), sizeof out[k] - strlen(out[k]) - 1);
        char line[128];
        snprintf(line, sizeof line, "send %s 1", hex_of("bob"));
        strncat(out[k], run(c, line, NULL), sizeof out[k] - strlen(out[k]) - 1);
        strncat(out[k], run(c, "mine 5", NULL), sizeof out[k] - strlen(out[k]) - 1);
        popi_console_free(c);
    }
    ck_assert_str_eq(out[0], out[1]);
    ck_assert_ptr_nonnull(strstr(out[0], "mined block 6 "));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("console");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_errors_are_messages);
    tcase_add_test(tc, test_mine_send_balances);
    tcase_add_test(tc, test_persistence);
    tcase_add_test(tc, test_newkey_and_key_files);
    tcase_add_test(tc, test_reproducible);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
