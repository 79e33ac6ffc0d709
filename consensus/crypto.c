/* SPDX-License-Identifier: MIT */
/*
 * crypto.c - SHA-256, Ed25519 and wallet key files on top of libsodium.
 *
 * No primitive is implemented here: hashing is crypto_hash_sha256, keys come from
 * crypto_sign_seed_keypair, signatures from crypto_sign_detached / crypto_sign_verify_detached.
 * Key files are small text files (docs/FORMATS.md); the secret one is created O_EXCL with mode
 * 0600, fsync'ed before close, and refused on load if group or others may read it.
 */
#include "popi/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAGIC "popi-ed25519-secret-v1"
#define PUBLIC_MAGIC "popi-ed25519-public-v1"
/* Largest key file we read: the secret format is 23 + 70 + 72 = 165 bytes. */
#define KEYFILE_MAX 512

popi_err_t popi_crypto_init(void)
{
    if (sodium_init() < 0) return popi_err_set(POPI_ELIB, "crypto: sodium_init failed");
    return POPI_OK;
}

/* The functions that need libsodium's one-time setup call this; the result of a failed init is
 * reported by popi_crypto_init, which programs call first. */
static void ensure_init(void)
{
    if (sodium_init() < 0) popi_assert_fail("sodium_init() >= 0", __FILE__, __LINE__);
}

void popi_crypto_sha256(popi_hash_t *out, const void *data, size_t len)
{
    static const unsigned char empty[1] = {0};
    crypto_hash_sha256(out->b, data ? (const unsigned char *)data : empty, (unsigned long long)len);
}

void popi_crypto_sha256d(popi_hash_t *out, const void *data, size_t len)
{
    popi_hash_t h;
    popi_crypto_sha256(&h, data, len);
    crypto_hash_sha256(out->b, h.b, sizeof h.b);
}

void popi_crypto_sha256d_pair(popi_hash_t *out, const popi_hash_t *a, const popi_hash_t *b)
{
    uint8_t buf[2 * POPI_HASH_BYTES];
    memcpy(buf, a->b, POPI_HASH_BYTES);
    memcpy(buf + POPI_HASH_BYTES, b->b, POPI_HASH_BYTES);
    popi_crypto_sha256d(out, buf, sizeof buf);
}

void popi_crypto_keypair_from_seed(popi_keypair_t *kp, const uint8_t seed[POPI_SEED_BYTES])
{
    ensure_init();
    crypto_sign_seed_keypair(kp->pk.b, kp->sk, seed);
}

void popi_crypto_keypair_from_u64(popi_keypair_t *kp, uint64_t key)
{
    static const char tag[] = "popi-keygen-v1";
    uint8_t msg[sizeof tag - 1 + 8];
    memcpy(msg, tag, sizeof tag - 1);
    for (int i = 0; i < 8; i++)
        msg[sizeof tag - 1 + i] = (uint8_t)(key >> (8 * i));
    popi_hash_t seed;
    popi_crypto_sha256(&seed, msg, sizeof msg);
    popi_crypto_keypair_from_seed(kp, seed.b);
    sodium_memzero(seed.b, sizeof seed.b);
}

void popi_crypto_keypair_from_rng(popi_keypair_t *kp, popi_rng_t *rng)
{
    uint8_t seed[POPI_SEED_BYTES];
    for (int i = 0; i < POPI_SEED_BYTES; i += 2) {
        uint32_t v = (uint32_t)popi_rng_below(rng, 65536);
        seed[i] = (uint8_t)v;
        seed[i + 1] = (uint8_t)(v >> 8);
    }
    popi_crypto_keypair_from_seed(kp, seed);
    sodium_memzero(seed, sizeof seed);
}

void popi_crypto_keypair_wipe(popi_keypair_t *kp)
{
    sodium_memzero(kp, sizeof *kp);
}

void popi_crypto_sign(popi_sig_t *sig, const void *msg, size_t len, const popi_keypair_t *kp)
{
    static const unsigned char empty[1] = {0};
    ensure_init();
    crypto_sign_detached(sig->b, NULL, msg ? (const unsigned char *)msg : empty,
                         (unsigned long long)len, kp->sk);
}

bool popi_crypto_verify(const popi_sig_t *sig, const void *msg, size_t len, const popi_pubkey_t *pk)
{
    static const unsigned char empty[1] = {0};
    ensure_init();
    return crypto_sign_verify_detached(sig->b, msg ? (const unsigned char *)msg : empty,
                                       (unsigned long long)len, pk->b) == 0;
}

void popi_crypto_hex(char *out, const void *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

popi_err_t popi_crypto_unhex(void *out, size_t n, const char *hex)
{
    if (!hex) return popi_err_set(POPI_EPARSE, "crypto: hex string is NULL");
    uint8_t *o = out;
    for (size_t i = 0; i < 2 * n; i++) {
        if (hex[i] == '\0')
            return popi_err_set(POPI_EPARSE, "crypto: hex string has %zu digits, expected %zu", i,
                                2 * n);
        int v = hexval(hex[i]);
        if (v < 0)
            return popi_err_set(POPI_EPARSE,
                                "crypto: hex string has non-hex character 0x%02x at position %zu",
                                (unsigned)(unsigned char)hex[i], i);
        if (i % 2 == 0)
            o[i / 2] = (uint8_t)(v << 4);
        else
            o[i / 2] = (uint8_t)(o[i / 2] | v);
    }
    if (hex[2 * n] != '\0')
        return popi_err_set(POPI_EPARSE, "crypto: hex string longer than %zu digits", 2 * n);
    return POPI_OK;
}

popi_err_t popi_crypto_pubkey_parse(popi_pubkey_t *pk, const char *hex)
{
    popi_err_t e = popi_crypto_unhex(pk->b, sizeof pk->b, hex);
    if (e) return popi_err_wrap(e, "crypto: public key");
    return POPI_OK;
}

/* Create @p path exclusively with @p mode, write @p text, fsync, close. Removes it on failure. */
static popi_err_t write_new_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0)
        return popi_err_set(POPI_EIO, "crypto: cannot create key file %s: %s%s", path,
                            strerror(errno), errno == EEXIST ? " (refusing to overwrite)" : "");
    size_t n = strlen(text), done = 0;
    int err = 0;
    while (done < n) {
        ssize_t w = write(fd, text + done, n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            err = errno;
            break;
        }
        done += (size_t)w;
    }
    if (!err && fsync(fd) != 0) err = errno;
    if (close(fd) != 0 && !err) err = errno;
    if (err) {
        unlink(path);
        return popi_err_set(POPI_EIO, "crypto: cannot write key file %s: %s", path, strerror(err));
    }
    return POPI_OK;
}

popi_err_t popi_crypto_secret_save(const char *path, const popi_keypair_t *kp)
{
    char seed_hex[2 * POPI_SEED_BYTES + 1], pk_hex[2 * POPI_PUBKEY_BYTES + 1];
    char text[KEYFILE_MAX];
    popi_crypto_hex(seed_hex, kp->sk, POPI_SEED_BYTES);
    popi_crypto_hex(pk_hex, kp->pk.b, POPI_PUBKEY_BYTES);
    snprintf(text, sizeof text, SECRET_MAGIC "\nseed %s\npublic %s\n", seed_hex, pk_hex);
    popi_err_t e = write_new_file(path, text, S_IRUSR | S_IWUSR);
    sodium_memzero(seed_hex, sizeof seed_hex);
    sodium_memzero(text, sizeof text);
    return e;
}

popi_err_t popi_crypto_public_save(const char *path, const popi_pubkey_t *pk)
{
    char pk_hex[2 * POPI_PUBKEY_BYTES + 1], text[KEYFILE_MAX];
    popi_crypto_hex(pk_hex, pk->b, POPI_PUBKEY_BYTES);
    snprintf(text, sizeof text, PUBLIC_MAGIC "\npublic %s\n", pk_hex);
    return write_new_file(path, text, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
}

/* Read a whole small file into @p buf (NUL-terminated). @p st receives its status. */
static popi_err_t read_small_file(const char *path, char *buf, size_t cap, struct stat *st)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return popi_err_set(POPI_EIO, "crypto: cannot open key file %s: %s", path, strerror(errno));
    if (fstat(fd, st) != 0) {
        int err = errno;
        close(fd);
        return popi_err_set(POPI_EIO, "crypto: cannot stat key file %s: %s", path, strerror(err));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return popi_err_set(POPI_EIO, "crypto: key file %s is not a regular file", path);
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            close(fd);
            return popi_err_set(POPI_EIO, "crypto: cannot read key file %s: %s", path,
                                strerror(err));
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n == cap - 1) {
            close(fd);
            return popi_err_set(POPI_EPARSE, "crypto: key file %s is longer than %zu bytes", path,
                                cap - 2);
        }
    }
    close(fd);
    buf[n] = '\0';
    return POPI_OK;
}

/* Match "<key> <64 hex>\n" at *p, advancing *p. */
static popi_err_t parse_line(const char **p, const char *key, uint8_t out[32], const char *path,
                             int line)
{
    size_t kl = strlen(key);
    if (strncmp(*p, key, kl) != 0 || (*p)[kl] != ' ')
        return popi_err_set(POPI_EPARSE, "crypto: key file %s line %d must start with \"%s \"",
                            path, line, key);
    const char *h = *p + kl + 1;
    char hex[65];
    size_t i = 0;
    while (i < 64 && h[i] && h[i] != '\n') {
        hex[i] = h[i];
        i++;
    }
    hex[i] = '\0';
    if (i != 64 || h[64] != '\n')
        return popi_err_set(POPI_EPARSE,
                            "crypto: key file %s line %d: %s must be 64 hex digits then a newline",
                            path, line, key);
    popi_err_t e = popi_crypto_unhex(out, 32, hex);
    sodium_memzero(hex, sizeof hex);
    if (e) return popi_err_wrap(e, "crypto: key file %s line %d (%s)", path, line, key);
    *p = h + 65;
    return POPI_OK;
}

popi_err_t popi_crypto_secret_load(const char *path, popi_keypair_t *kp)
{
    char text[KEYFILE_MAX];
    struct stat st;
    uint8_t seed[POPI_SEED_BYTES];
    popi_pubkey_t claimed;
    const char *p = text;
    popi_err_t e = read_small_file(path, text, sizeof text, &st);
    if (e) goto cleanup;
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        e = popi_err_set(POPI_EINVAL,
                         "crypto: secret key file %s has mode %04o; group and others must have "
                         "no access (chmod 600 %s)",
                         path, (unsigned)(st.st_mode & 07777), path);
        goto cleanup;
    }
    if (strncmp(p, SECRET_MAGIC "\n", sizeof SECRET_MAGIC) != 0) {
        e = popi_err_set(POPI_EPARSE, "crypto: key file %s does not start with \"%s\"", path,
                         SECRET_MAGIC);
        goto cleanup;
    }
    p += sizeof SECRET_MAGIC;
    if ((e = parse_line(&p, "seed", seed, path, 2))) goto cleanup;
    if ((e = parse_line(&p, "public", claimed.b, path, 3))) goto cleanup;
    if (*p != '\0') {
        e = popi_err_set(POPI_EPARSE, "crypto: key file %s has %zu bytes after line 3", path,
                         strlen(p));
        goto cleanup;
    }
    popi_crypto_keypair_from_seed(kp, seed);
    if (memcmp(kp->pk.b, claimed.b, POPI_PUBKEY_BYTES) != 0)
        e = popi_err_set(POPI_EPARSE,
                         "crypto: key file %s: public key does not match the seed's key", path);
cleanup:
    sodium_memzero(text, sizeof text);
    sodium_memzero(seed, sizeof seed);
    if (e) popi_crypto_keypair_wipe(kp);
    return e;
}

popi_err_t popi_crypto_public_load(const char *path, popi_pubkey_t *pk)
{
    char text[KEYFILE_MAX];
    struct stat st;
    popi_err_t e = read_small_file(path, text, sizeof text, &st);
    if (e) return e;
    const char *p = text;
    if (strncmp(p, PUBLIC_MAGIC "\n", sizeof PUBLIC_MAGIC) != 0)
        return popi_err_set(POPI_EPARSE, "crypto: key file %s does not start with \"%s\"", path,
                            PUBLIC_MAGIC);
    p += sizeof PUBLIC_MAGIC;
    if ((e = parse_line(&p, "public", pk->b, path, 2))) return e;
    if (*p != '\0')
        return popi_err_set(POPI_EPARSE, "crypto: key file %s has %zu bytes after line 2", path,
                            strlen(p));
    return POPI_OK;
}
