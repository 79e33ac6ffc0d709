/* SPDX-License-Identifier: MIT */
/*
 * test_fuzz_corpus.c - replays tests/fuzz_corpus/ (the seed files and what libFuzzer runs added)
 * through the fuzz target's checks without libFuzzer: no crash, canonical re-encoding, txid of
 * the bytes, chain files through the detector. Seed files named valid-block-*, valid-header-*,
 * valid-tx-*, valid-chain-* must decode as such and trunc-* files must decode as nothing.
 */
#include "fuzz_decode.c" /* the same property checks as the libFuzzer target */
#include "testutil.h"

#include "popi/chainfile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

START_TEST(test_replay_corpus)
{
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s", popi_test_src("tests/fuzz_corpus"));
    DIR *dir = opendir(dirpath);
    ck_assert_msg(dir != NULL, "no corpus folder %s", dirpath);
    size_t n_files = 0, n_valid = 0, n_trunc = 0, n_blocks = 0, n_chains = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
        size_t len;
        uint8_t *data = read_file(path, &len);
        /* Exact-size copy, so the address sanitizer would see an over-read. */
        uint8_t *exact = malloc(len ? len : 1);
        memcpy(exact, data, len);
        LLVMFuzzerTestOneInput(exact, len);

        popi_block_t *b = NULL;
        popi_block_header_t hdr;
        popi_tx_t tx;
        bool is_block = popi_block_decode(exact, len, &b) == POPI_OK;
        bool is_header = popi_block_header_decode(exact, len, &hdr) == POPI_OK;
        bool is_tx = popi_tx_decode(exact, len, &tx) == POPI_OK;
        popi_block_t **chain = NULL;
        size_t n_chain = 0;
        bool is_chain = popi_chainfile_decode(exact, len, e->d_name, &chain, &n_chain) == POPI_OK;
        popi_chainfile_free(chain, n_chain);
        n_chains += is_chain;
        if (is_tx) popi_tx_destroy(&tx);
        if (is_block) {
            n_blocks++;
            popi_block_free(b);
        }
        if (starts(e->d_name, "valid-block-")) ck_assert_msg(is_block, "%s", e->d_name);
        if (starts(e->d_name, "valid-header-")) ck_assert_msg(is_header, "%s", e->d_name);
        if (starts(e->d_name, "valid-tx-")) ck_assert_msg(is_tx, "%s", e->d_name);
        if (starts(e->d_name, "valid-chain-")) ck_assert_msg(is_chain, "%s", e->d_name);
        if (starts(e->d_name, "valid-")) n_valid++;
        if (starts(e->d_name, "trunc-")) {
            ck_assert_msg(!is_block && !is_header && !is_tx && !is_chain, "%s decoded", e->d_name);
            n_trunc++;
        }
        free(exact);
        free(data);
        n_files++;
    }
    closedir(dir);
    ck_assert_uint_ge(n_valid, 6);
    ck_assert_uint_ge(n_trunc, 4);
    ck_assert_uint_ge(n_blocks, 3);
    ck_assert_uint_ge(n_chains, 3);
    ck_assert_uint_ge(n_files, n_valid + n_trunc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_corpus");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_replay_corpus);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
