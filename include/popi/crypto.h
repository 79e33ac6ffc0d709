/* SPDX-License-Identifier: MIT */
/*
 * crypto.h - the ledger's cryptography: SHA-256, double SHA-256, Ed25519 keys, signatures,
 * hex text and wallet key files. Everything goes through libsodium (no hand-written primitives).
 *
 * Hashes, public keys and signatures are small value types (byte arrays in structs), so they copy
 * by assignment and compare with memcmp. A key pair holds the libsodium 64-byte secret key
 * (seed ‖ public key); it is derived from a 32-byte seed, so simulated wallets are reproducible
 * from the run's random streams. Ed25519: Bernstein et al., "High-speed high-security
 * signatures", J. Cryptogr. Eng. 2 (2012), DOI 10.1007/s13389-012-0027-1; RFC 8032.
 * Key-file text formats are specified in docs/FORMATS.md.
 */
#ifndef POPI_CRYPTO_H
#define POPI_CRYPTO_H

#include "popi/common.h"
#include "popi/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POPI_HASH_BYTES 32   /**< SHA-256 digest */
#define POPI_PUBKEY_BYTES 32 /**< Ed25519 public key */
#define POPI_SEED_BYTES 32   /**< Ed25519 seed (RFC 8032 "secret key") */
#define POPI_SECKEY_BYTES 64 /**< libsodium secret key: seed ‖ public key */
#define POPI_SIG_BYTES 64    /**< Ed25519 signature */

/** A SHA-256 digest. As a 256-bit number it is read big-endian (byte 0 most significant). */
typedef struct {
    uint8_t b[POPI_HASH_BYTES];
} popi_hash_t;

/** An Ed25519 public key; also the address of a wallet. */
typedef struct {
    uint8_t b[POPI_PUBKEY_BYTES];
} popi_pubkey_t;

/** An Ed25519 signature (R ‖ S). */
typedef struct {
    uint8_t b[POPI_SIG_BYTES];
} popi_sig_t;

/** A key pair. Invariant: sk = seed ‖ pk, as produced by crypto_sign_seed_keypair. */
typedef struct {
    popi_pubkey_t pk;
    uint8_t sk[POPI_SECKEY_BYTES];
} popi_keypair_t;

/**
 * Initialise libsodium (sodium_init). Safe to call any number of times from any thread: libsodium
 * guards it with its own lock and does the work once per process. Call it once at program start;
 * the key, signing and key-file functions below also call it themselves.
 * @return POPI_ELIB if libsodium cannot initialise (then no crypto function may be used).
 */
popi_err_t popi_crypto_init(void);

/** SHA-256 of @p len bytes (FIPS 180-4). @p data may be NULL when len == 0. O(len). */
void popi_crypto_sha256(popi_hash_t *out, const void *data, size_t len);

/** Double SHA-256, SHA-256(SHA-256(data)), as Bitcoin uses for headers, txids and Merkle nodes. */
void popi_crypto_sha256d(popi_hash_t *out, const void *data, size_t len);

/** Double SHA-256 of the 64-byte concatenation a ‖ b (a Merkle inner node). */
void popi_crypto_sha256d_pair(popi_hash_t *out, const popi_hash_t *a, const popi_hash_t *b);

/** True if the two digests are equal. */
static inline bool popi_hash_eq(const popi_hash_t *a, const popi_hash_t *b)
{
    for (int i = 0; i < POPI_HASH_BYTES; i++)
        if (a->b[i] != b->b[i]) return false;
    return true;
}

/** True if every byte of @p h is zero (the "no parent" hash of a genesis block). */
static inline bool popi_hash_is_zero(const popi_hash_t *h)
{
    uint8_t acc = 0;
    for (int i = 0; i < POPI_HASH_BYTES; i++)
        acc |= h->b[i];
    return acc == 0;
}

/** Derive the key pair of a 32-byte seed (crypto_sign_seed_keypair). Deterministic. */
void popi_crypto_keypair_from_seed(popi_keypair_t *kp, const uint8_t seed[POPI_SEED_BYTES]);

/**
 * Derive a key pair from a 64-bit key: seed = SHA-256("popi-keygen-v1" ‖ le64(key)). Order-free
 * (e.g. key = popi_rng_key3(master_seed, run_index, node_id)), so node i's wallet never depends on
 * which other wallets were made first.
 */
void popi_crypto_keypair_from_u64(popi_keypair_t *kp, uint64_t key);

/** Derive a key pair from 32 seed bytes drawn from @p rng (sixteen uniform 16-bit draws). */
void popi_crypto_keypair_from_rng(popi_keypair_t *kp, popi_rng_t *rng);

/** The 32-byte seed of a key pair (its first half of sk). */
static inline const uint8_t *popi_crypto_keypair_seed(const popi_keypair_t *kp)
{
    return kp->sk;
}

/** Overwrite a key pair with zeros (sodium_memzero, not optimised away). */
void popi_crypto_keypair_wipe(popi_keypair_t *kp);

/** Ed25519 signature of @p len bytes of @p msg under @p kp (deterministic, RFC 8032). */
void popi_crypto_sign(popi_sig_t *sig, const void *msg, size_t len, const popi_keypair_t *kp);

/**
 * Verify an Ed25519 signature (crypto_sign_verify_detached: rejects non-canonical S and
 * small-order keys, so signatures are not malleable). Returns true if valid. About 50 µs.
 */
bool popi_crypto_verify(const popi_sig_t *sig, const void *msg, size_t len,
                        const popi_pubkey_t *pk);

/** Lower-case hex of @p n bytes into @p out, which must hold 2n+1 chars (NUL-terminated). */
void popi_crypto_hex(char *out, const void *in, size_t n);

/**
 * Parse exactly 2n hex digits (either case, nothing else) from @p hex into @p n bytes of @p out.
 * @return POPI_EPARSE naming the offending character position or the wrong length; @p out is
 * unspecified on failure.
 */
popi_err_t popi_crypto_unhex(void *out, size_t n, const char *hex);

/** Parse a 64-hex-digit public key (an address). POPI_EPARSE on failure. */
popi_err_t popi_crypto_pubkey_parse(popi_pubkey_t *pk, const char *hex);

/**
 * Write the secret key file of @p kp at @p path (format "popi-ed25519-secret-v1", docs/FORMATS.md).
 * The file is created with open(O_CREAT|O_EXCL|O_WRONLY, 0600), written, fsync'ed and closed; an
 * existing file is never overwritten. The process umask can only remove permission bits, so the
 * file is at most 0600.
 * @return POPI_EIO if the file exists or cannot be created/written (a partly written file is
 * removed).
 */
popi_err_t popi_crypto_secret_save(const char *path, const popi_keypair_t *kp);

/**
 * Load a secret key file. Checks, in order: the file is a regular file whose mode grants nothing
 * to group or others (else POPI_EINVAL: we refuse, like ssh, rather than warn, since the key may
 * already be exposed); the header line; the seed is 64 hex digits; the public key line matches
 * the key derived from the seed (POPI_EPARSE otherwise); nothing follows.
 * @return POPI_EIO (cannot open/read), POPI_EINVAL (permissions), POPI_EPARSE (content). On
 * failure @p kp is wiped.
 */
popi_err_t popi_crypto_secret_load(const char *path, popi_keypair_t *kp);

/**
 * Write a public key file ("popi-ed25519-public-v1") with mode 0644, O_EXCL and fsync.
 * @return POPI_EIO if it exists or cannot be written.
 */
popi_err_t popi_crypto_public_save(const char *path, const popi_pubkey_t *pk);

/** Load a public key file. POPI_EIO (cannot read) or POPI_EPARSE (content). */
popi_err_t popi_crypto_public_load(const char *path, popi_pubkey_t *pk);

#ifdef __cplusplus
}
#endif
#endif
