/* SPDX-License-Identifier: MIT */
/*
 * test_crypto.c - known-answer tests of SHA-256 (FIPS 180-4 examples), double SHA-256 and
 * Ed25519 (RFC 8032 §7.1 tests 1-3), hex parsing, reproducible key derivation, and wallet key
 * files (mode 0600 checked with stat, overwrite refused, every load error provoked).
 */
#include "popi/crypto.h"
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void hex_is(const void *bytes, size_t n, const char *expect)
{
    char buf[257];
    ck_assert_uint_le(2 * n, 256);
    popi_crypto_hex(buf, bytes, n);
    ck_assert_str_eq(buf, expect);
}

static void unhex_ok(void *out, size_t n, const char *hex)
{
    ck_assert_int_eq(popi_crypto_unhex(out, n, hex), POPI_OK);
}

START_TEST(test_init_idempotent)
{
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(popi_crypto_init(), POPI_OK);
}
END_TEST

/* FIPS 180-4 / NIST "SHA-256 examples": one block, two blocks, one million 'a'. */
START_TEST(test_sha256_fips)
{
    popi_hash_t h;
    popi_crypto_sha256(&h, "abc", 3);
    hex_is(h.b, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    popi_crypto_sha256(&h, m448, strlen(m448));
    hex_is(h.b, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    popi_crypto_sha256(&h, million, 1000000);
    free(million);
    hex_is(h.b, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    popi_crypto_sha256(&h, NULL, 0); /* empty message */
    hex_is(h.b, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

/* Double SHA-256. "hello" is the Bitcoin wiki's example; "abc" computed with Python:
 * hashlib.sha256(hashlib.sha256(b"abc").digest()).hexdigest(). */
START_TEST(test_sha256d)
{
    popi_hash_t h, a, b, p;
    popi_crypto_sha256d(&h, "hello", 5);
    hex_is(h.b, 32, "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
    popi_crypto_sha256d(&h, "abc", 3);
    hex_is(h.b, 32, "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358");
    popi_crypto_sha256(&a, "a", 1);
    popi_crypto_sha256(&b, "b", 1);
    uint8_t cat[64];
    memcpy(cat, a.b, 32);
    memcpy(cat + 32, b.b, 32);
    popi_crypto_sha256d(&h, cat, 64);
    popi_crypto_sha256d_pair(&p, &a, &b);
    ck_assert(popi_hash_eq(&h, &p));
    popi_crypto_sha256d_pair(&p, &b, &a);
    ck_assert(!popi_hash_eq(&h, &p));
    popi_hash_t z;
    memset(&z, 0, sizeof z);
    ck_assert(popi_hash_is_zero(&z));
    z.b[31] = 1;
    ck_assert(!popi_hash_is_zero(&z));
}
END_TEST

/* RFC 8032 section 7.1, TEST 1-3 (secret key = seed, public key, message, signature). */
static const struct {
    const char *sk, *pk, *msg, *sig;
} RFC8032[3] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "6594a7c15e9716ed28dc027beceea1ec40a"},
};

START_TEST(test_ed25519_rfc8032)
{
    int i = _i;
    uint8_t seed[32], msg[2];
    size_t mlen = strlen(RFC8032[i].msg) / 2;
    unhex_ok(seed, 32, RFC8032[i].sk);
    unhex_ok(msg, mlen, RFC8032[i].msg);
    popi_keypair_t kp;
    popi_crypto_keypair_from_seed(&kp, seed);
    hex_is(kp.pk.b, 32, RFC8032[i].pk);
    ck_assert_mem_eq(popi_crypto_keypair_seed(&kp), seed, 32);
    ck_assert_mem_eq(kp.sk + 32, kp.pk.b, 32);
    popi_sig_t sig;
    popi_crypto_sign(&sig, mlen ? msg : NULL, mlen, &kp);
    hex_is(sig.b, 64, RFC8032[i].sig);
    ck_assert(popi_crypto_verify(&sig, msg, mlen, &kp.pk));
    /* Any change of signature, message or key makes verification fail. */
    popi_sig_t bad = sig;
    bad.b[5] ^= 0x01;
    ck_assert(!popi_crypto_verify(&bad, msg, mlen, &kp.pk));
    bad = sig;
    bad.b[63] ^= 0x80; /* S no longer canonical */
    ck_assert(!popi_crypto_verify(&bad, msg, mlen, &kp.pk));
    uint8_t other[3] = {msg[0], msg[1], 0};
    ck_assert(!popi_crypto_verify(&sig, other, mlen + 1, &kp.pk));
    popi_pubkey_t pk2 = kp.pk;
    pk2.b[0] ^= 0x02;
    ck_assert(!popi_crypto_verify(&sig, msg, mlen, &pk2));
}
END_TEST

START_TEST(test_keypair_derivation)
{
    popi_keypair_t a, b, c;
    popi_crypto_keypair_from_u64(&a, 42);
    popi_crypto_keypair_from_u64(&b, 42);
    popi_crypto_keypair_from_u64(&c, 43);
    ck_assert_mem_eq(&a, &b, sizeof a);
    ck_assert(memcmp(a.pk.b, c.pk.b, 32) != 0);
    /* seed = SHA-256("popi-keygen-v1" ‖ le64(42)), recomputed here. */
    uint8_t msg[22];
    memcpy(msg, "popi-keygen-v1", 14);
    for (int i = 0; i < 8; i++)
        msg[14 + i] = (uint8_t)((uint64_t)42 >> (8 * i));
    popi_hash_t seed;
    popi_crypto_sha256(&seed, msg, sizeof msg);
    ck_assert_mem_eq(popi_crypto_keypair_seed(&a), seed.b, 32);

    uint64_t s = popi_test_seed(7);
    popi_rng_t r1, r2;
    popi_rng_init(&r1, s, 0, POPI_STREAM_CONSENSUS);
    popi_rng_init(&r2, s, 0, POPI_STREAM_CONSENSUS);
    popi_crypto_keypair_from_rng(&a, &r1);
    popi_crypto_keypair_from_rng(&b, &r2);
    ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "same stream, different keys (seed %llu)",
                  (unsigned long long)s);
    popi_crypto_keypair_from_rng(&c, &r1);
    ck_assert_msg(memcmp(a.pk.b, c.pk.b, 32) != 0, "two draws gave one key (seed %llu)",
                  (unsigned long long)s);
    popi_rng_destroy(&r1);
    popi_rng_destroy(&r2);
    popi_crypto_keypair_wipe(&a);
    uint8_t zero[sizeof a];
    memset(zero, 0, sizeof zero);
    ck_assert_mem_eq(&a, zero, sizeof a);
}
END_TEST

START_TEST(test_hex)
{
    uint8_t in[4] = {0x00, 0xab, 0x10, 0xff}, out[4];
    char buf[9];
    popi_crypto_hex(buf, in, 4);
    ck_assert_str_eq(buf, "00ab10ff");
    unhex_ok(out, 4, "00AB10fF");
    ck_assert_mem_eq(in, out, 4);
    ck_assert_int_eq(popi_crypto_unhex(out, 4, "00ab10f"), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "7 digits"));
    ck_assert_int_eq(popi_crypto_unhex(out, 4, "00ab10ff0"), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "longer"));
    ck_assert_int_eq(popi_crypto_unhex(out, 4, "00ag10ff"), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "position 3"));
    ck_assert_int_eq(popi_crypto_unhex(out, 4, NULL), POPI_EPARSE);
    popi_pubkey_t pk;
    ck_assert_int_eq(popi_crypto_pubkey_parse(&pk, RFC8032[0].pk), POPI_OK);
    hex_is(pk.b, 32, RFC8032[0].pk);
    ck_assert_int_eq(popi_crypto_pubkey_parse(&pk, "abcd"), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "public key"));
}
END_TEST

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

START_TEST(test_secret_key_file)
{
    char *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char *path = path_in(dir, "wallet.key");
    popi_keypair_t kp, back;
    popi_crypto_keypair_from_u64(&kp, 1234);
    mode_t old = umask(0); /* even with a permissive umask the file must be 0600 */
    ck_assert_int_eq(popi_crypto_secret_save(path, &kp), POPI_OK);
    umask(old);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(popi_crypto_secret_load(path, &back), POPI_OK);
    ck_assert_mem_eq(&kp, &back, sizeof kp);
    /* The documented text format, exactly. */
    char seed_hex[65], pk_hex[65], expect[200], got[300];
    popi_crypto_hex(seed_hex, kp.sk, 32);
    popi_crypto_hex(pk_hex, kp.pk.b, 32);
    snprintf(expect, sizeof expect, "popi-ed25519-secret-v1\nseed %s\npublic %s\n", seed_hex,
             pk_hex);
    FILE *f = fopen(path, "r");
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = '\0';
    ck_assert_str_eq(got, expect);
    /* Never overwritten. */
    popi_keypair_t other;
    popi_crypto_keypair_from_u64(&other, 99);
    ck_assert_int_eq(popi_crypto_secret_save(path, &other), POPI_EIO);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "refusing to overwrite"));
    ck_assert_int_eq(popi_crypto_secret_load(path, &back), POPI_OK);
    ck_assert_mem_eq(&kp, &back, sizeof kp);
    /* Readable by group or others: refused, and the key is wiped. */
    ck_assert_int_eq(chmod(path, 0640), 0);
    ck_assert_int_eq(popi_crypto_secret_load(path, &back), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "0640"));
    uint8_t zero[sizeof back];
    memset(zero, 0, sizeof zero);
    ck_assert_mem_eq(&back, zero, sizeof back);
    ck_assert_int_eq(chmod(path, 0604), 0);
    ck_assert_int_eq(popi_crypto_secret_load(path, &back), POPI_EINVAL);
    ck_assert_int_eq(chmod(path, 0400), 0); /* owner-only read is fine */
    ck_assert_int_eq(popi_crypto_secret_load(path, &back), POPI_OK);
    /* Cannot create in a missing folder. */
    char *bad = path_in(dir, "nope/wallet.key");
    ck_assert_int_eq(popi_crypto_secret_save(bad, &kp), POPI_EIO);
    free(bad);
    free(path);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

/* Write @p text as a 0600 file and try to load it as a secret key. */
static popi_err_t load_text(const char *dir, const char *text)
{
    char *path = path_in(dir, "k");
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    popi_keypair_t kp;
    popi_err_t e = popi_crypto_secret_load(path, &kp);
    free(path);
    return e;
}

START_TEST(test_secret_key_file_errors)
{
    char *dir = popi_test_tmpdir();
    popi_keypair_t kp;
    char seed_hex[65], pk_hex[65], text[600];
    popi_crypto_keypair_from_u64(&kp, 5);
    popi_crypto_hex(seed_hex, kp.sk, 32);
    popi_crypto_hex(pk_hex, kp.pk.b, 32);

    snprintf(text, sizeof text, "popi-ed25519-secret-v1\nseed %s\npublic %s\n", seed_hex, pk_hex);
    ck_assert_int_eq(load_text(dir, text), POPI_OK);
    snprintf(text, sizeof text, "popi-ed25519-secret-v2\nseed %s\npublic %s\n", seed_hex, pk_hex);
    ck_assert_int_eq(load_text(dir, text), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "does not start"));
    snprintf(text, sizeof text, "popi-ed25519-secret-v1\nsee %s\npublic %s\n", seed_hex, pk_hex);
    ck_assert_int_eq(load_text(dir, text), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "line 2"));
    snprintf(text, sizeof text, "popi-ed25519-secret-v1\nseed %.63s\npublic %s\n", seed_hex,
             pk_hex);
    ck_assert_int_eq(load_text(dir, text), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "64 hex digits"));
    snprintf(text, sizeof text, "popi-ed25519-secret-v1\nseed %.63sx\npublic %s\n", seed_hex,
             pk_hex);
    ck_assert_int_eq(load_text(dir, text), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "non-hex"));
    pk_hex[0] = pk_hex[0] == '0' ? '1' : '0';
    snprintf(text, sizeof text, "popi-ed25519-secret-v1\nseed %s\npublic %s\n", seed_hex, pk_hex);
    ck_assert_int_eq(load_text(dir, text), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "does not match"));
    popi_crypto_hex(pk_hex, kp.pk.b, 32);
    snprintf(text, sizeof text, "popi-ed25519-secret-v1\nseed %s\npublic %s\nextra\n", seed_hex,
             pk_hex);
    ck_assert_int_eq(load_text(dir, text), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "after line 3"));
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(load_text(dir, big), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "longer than"));
    char *missing = path_in(dir, "missing");
    ck_assert_int_eq(popi_crypto_secret_load(missing, &kp), POPI_EIO);
    free(missing);
    ck_assert_int_eq(popi_crypto_secret_load(dir, &kp), POPI_EIO); /* a folder */
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "not a regular file"));
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(test_public_key_file)
{
    char *dir = popi_test_tmpdir();
    char *path = path_in(dir, "wallet.pub");
    popi_keypair_t kp;
    popi_pubkey_t pk;
    popi_crypto_keypair_from_u64(&kp, 77);
    mode_t old = umask(0);
    ck_assert_int_eq(popi_crypto_public_save(path, &kp.pk), POPI_OK);
    umask(old);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0644);
    ck_assert_int_eq(popi_crypto_public_load(path, &pk), POPI_OK);
    ck_assert_mem_eq(pk.b, kp.pk.b, 32);
    ck_assert_int_eq(popi_crypto_public_save(path, &kp.pk), POPI_EIO);
    char *p2 = path_in(dir, "bad.pub");
    ck_assert_int_eq(popi_test_write(p2, "popi-ed25519-secret-v1\n"), 0);
    ck_assert_int_eq(popi_crypto_public_load(p2, &pk), POPI_EPARSE);
    unlink(p2);
    ck_assert_int_eq(popi_test_write(p2, "popi-ed25519-public-v1\npublic 00\n"), 0);
    ck_assert_int_eq(popi_crypto_public_load(p2, &pk), POPI_EPARSE);
    unlink(p2);
    char text[200], hx[65];
    popi_crypto_hex(hx, kp.pk.b, 32);
    snprintf(text, sizeof text, "popi-ed25519-public-v1\npublic %s\n\n", hx);
    ck_assert_int_eq(popi_test_write(p2, text), 0);
    ck_assert_int_eq(popi_crypto_public_load(p2, &pk), POPI_EPARSE);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "after line 2"));
    free(p2);
    char *missing = path_in(dir, "missing.pub");
    ck_assert_int_eq(popi_crypto_public_load(missing, &pk), POPI_EIO);
    free(missing);
    free(path);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_init_idempotent);
    tcase_add_test(tc, test_sha256_fips);
    tcase_add_test(tc, test_sha256d);
    tcase_add_loop_test(tc, test_ed25519_rfc8032, 0, 3);
    tcase_add_test(tc, test_keypair_derivation);
    tcase_add_test(tc, test_hex);
    tcase_add_test(tc, test_secret_key_file);
    tcase_add_test(tc, test_secret_key_file_errors);
    tcase_add_test(tc, test_public_key_file);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
