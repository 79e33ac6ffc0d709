/* SPDX-License-Identifier: MIT */
/*
 * wallet.h - small wallet helpers shared by the console and the feasibility evaluations: key pairs
 * derived from a name (reproducible test and demo wallets), and Mcoin amounts as exact decimal
 * text ("12.5" Mcoin = 1,250,000,000 base units; POPI_COIN units per coin, no floating point).
 *
 * A name-derived key is public knowledge: anyone who knows the name has the secret key. They exist
 * so that data sets (data/feasibility/) and console session scripts can name wallets ("alice") and
 * still sign real Ed25519 signatures; real wallets use popi_crypto_secret_save/_load (crypto.h).
 */
#ifndef POPI_WALLET_H
#define POPI_WALLET_H

#include "popi/common.h"
#include "popi/crypto.h"
#include "popi/tx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POPI_WALLET_NAME_MAX 64      /**< longest wallet name, bytes */
#define POPI_WALLET_AMOUNT_CHARS 32  /**< buffer size for popi_wallet_amount_format */

/**
 * The key pair of wallet @p name: seed = SHA-256("popi-wallet-name-v1" ‖ name) (the 19-byte tag
 * without terminator, then the name's bytes), then crypto_sign_seed_keypair. Deterministic.
 * @p name: 1..POPI_WALLET_NAME_MAX characters from [A-Za-z0-9_.-].
 * @return POPI_EINVAL naming the name if it breaks that rule; @p kp is wiped then.
 */
popi_err_t popi_wallet_from_name(popi_keypair_t *kp, const char *name);

/**
 * Parse a decimal Mcoin amount: digits, optionally '.' and 1..8 more digits ("10", "0.5",
 * "0.00000001"); no sign, exponent, spaces or thousands separators. Result in base units, at most
 * POPI_MAX_MONEY.
 * @return POPI_EPARSE naming the text (malformed, more than 8 decimals, above 21,000,000 Mcoin);
 * *units is 0 on failure.
 */
popi_err_t popi_wallet_amount_parse(const char *text, uint64_t *units);

/**
 * Format @p units base units as Mcoin with exactly 8 decimals ("12.50000000") into @p out, which
 * holds POPI_WALLET_AMOUNT_CHARS bytes. Returns @p out.
 */
char *popi_wallet_amount_format(char *out, uint64_t units);

#ifdef __cplusplus
}
#endif
#endif
