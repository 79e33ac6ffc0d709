/* SPDX-License-Identifier: MIT */
/*
 * wallet.c - name-derived key pairs and exact decimal Mcoin amounts (wallet.h). Amounts are
 * parsed digit by digit into uint64 base units with an overflow check before every step, so no
 * floating point ever touches money.
 */
#include "popi/wallet.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define NAME_TAG "popi-wallet-name-v1"

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

popi_err_t popi_wallet_from_name(popi_keypair_t *kp, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n >= 1 && n <= POPI_WALLET_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = name_char_ok(name[i]);
    if (!ok) {
        popi_crypto_keypair_wipe(kp);
        return popi_err_set(POPI_EINVAL,
                            "wallet: name must be 1..%d characters from [A-Za-z0-9_.-], got '%.80s'",
                            POPI_WALLET_NAME_MAX, name ? name : "(null)");
    }
    uint8_t buf[sizeof NAME_TAG - 1 + POPI_WALLET_NAME_MAX];
    memcpy(buf, NAME_TAG, sizeof NAME_TAG - 1);
    memcpy(buf + sizeof NAME_TAG - 1, name, n);
    popi_hash_t seed;
    popi_crypto_sha256(&seed, buf, sizeof NAME_TAG - 1 + n);
    popi_crypto_keypair_from_seed(kp, seed.b);
    return POPI_OK;
}

popi_err_t popi_wallet_amount_parse(const char *text, uint64_t *units)
{
    *units = 0;
    if (!text) return popi_err_set(POPI_EPARSE, "wallet: amount missing");
    const char *p = text;
    uint64_t v = 0;
    int int_digits = 0, frac_digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, int_digits++) {
        if (v > (POPI_MAX_MONEY / POPI_COIN)) break; /* already too large: reported below */
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (int_digits == 0) goto malformed;
    if (*p >= '0' && *p <= '9') goto too_large;
    if (v > POPI_MAX_MONEY / POPI_COIN) goto too_large;
    v *= POPI_COIN;
    if (*p == '.') {
        p++;
        uint64_t scale = POPI_COIN / 10;
        for (; *p >= '0' && *p <= '9'; p++, frac_digits++) {
            if (frac_digits == 8)
                return popi_err_set(POPI_EPARSE,
                                    "wallet: amount '%.40s' has more than 8 decimals (1 base unit "
                                    "= 0.00000001 Mcoin)",
                                    text);
            v += (uint64_t)(*p - '0') * scale;
            scale /= 10;
        }
        if (frac_digits == 0) goto malformed;
    }
    if (*p) goto malformed;
    if (v > POPI_MAX_MONEY) goto too_large;
    *units = v;
    return POPI_OK;
malformed:
    return popi_err_set(POPI_EPARSE,
                        "wallet: amount must be a decimal number of Mcoin like 10 or 0.5, got "
                        "'%.40s'",
                        text);
too_large:
    return popi_err_set(POPI_EPARSE, "wallet: amount '%.40s' exceeds 21000000 Mcoin", text);
}

char *popi_wallet_amount_format(char *out, uint64_t units)
{
    snprintf(out, POPI_WALLET_AMOUNT_CHARS, "%" PRIu64 ".%08" PRIu64, units / POPI_COIN,
             units % POPI_COIN);
    return out;
}
