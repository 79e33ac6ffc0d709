/* SPDX-License-Identifier: MIT */
/*
 * test_ledger.c - the ledger's data model: Merkle roots against independently computed values
 * and inclusion proofs for every leaf of trees of 1..9 leaves; transactions (txid, sighash,
 * signing, coinbase layout); blocks (construction, encoding round trips, strict decoding of every
 * truncation and of single-byte corruptions); compact targets (Bitcoin's vectors) and the
 * proof-of-work grinder.
 */
#include "popi/ledger.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static popi_hash_t hash_of(const char *hex)
{
    popi_hash_t h;
    ck_assert_int_eq(popi_crypto_unhex(h.b, 32, hex), POPI_OK);
    return h;
}

static void leaf(popi_hash_t *h, int i)
{
    uint8_t msg[5] = {'l', 'e', 'a', 'f', (uint8_t)i};
    popi_crypto_sha256(h, msg, sizeof msg);
}

/* An independent Merkle root: explicit level arrays, padding with a copy of the last element. */
static popi_hash_t naive_root(const popi_hash_t *leaves, size_t n)
{
    popi_hash_t level[64];
    memcpy(level, leaves, n * sizeof *level);
    while (n > 1) {
        if (n % 2) {
            level[n] = level[n - 1];
            n++;
        }
        for (size_t i = 0; i < n / 2; i++) {
            uint8_t cat[64];
            memcpy(cat, level[2 * i].b, 32);
            memcpy(cat + 32, level[2 * i + 1].b, 32);
            popi_crypto_sha256d(&level[i], cat, 64);
        }
        n /= 2;
    }
    return level[0];
}

/* A signed transaction spending @p n_in made-up outpoints to @p n_out outputs. */
static void sample_tx(popi_tx_t *tx, uint32_t n_in, uint32_t n_out, uint64_t tag,
                      const popi_keypair_t *kp)
{
    popi_tx_init(tx, n_in, n_out, tag % 3);
    for (uint32_t i = 0; i < n_in; i++) {
        uint8_t m[16];
        memcpy(m, &tag, 8);
        memcpy(m + 8, &i, 4);
        memset(m + 12, 0x5a, 4);
        popi_crypto_sha256d(&tx->in[i].prev.txid, m, sizeof m);
        tx->in[i].prev.index = i * 7 + 1;
    }
    for (uint32_t o = 0; o < n_out; o++) {
        tx->out[o].amount = 1000 * (tag + 1) + o;
        tx->out[o].owner = kp->pk;
    }
    popi_tx_sign_all(tx, kp);
    popi_tx_seal(tx);
}

/* A block with a coinbase (2 sharing outputs), 2 spending txs and a 5-byte proof. */
static popi_block_t *sample_block(void)
{
    popi_keypair_t a, b;
    popi_crypto_keypair_from_u64(&a, 1);
    popi_crypto_keypair_from_u64(&b, 2);
    popi_tx_t txs[3];
    popi_txout_t share[2] = {{7, b.pk}, {300, a.pk}};
    ck_assert_int_eq(popi_tx_coinbase(&txs[0], 12, &a.pk, 5000, 20, share, 2), POPI_OK);
    sample_tx(&txs[1], 1, 2, 11, &a);
    sample_tx(&txs[2], 2, 1, 12, &b);
    static const uint8_t proof[5] = {1, 2, 3, 4, 5};
    popi_block_header_t h;
    popi_block_header_init(&h);
    h.height = 12;
    memset(h.prev.b, 0x11, 32);
    h.time = 123456789;
    h.bits = 0x207fffff;
    h.kind = POPI_CONSENSUS_POW;
    h.producer = a.pk;
    h.nonce = 0x0102030405060708u;
    h.proof = proof;
    h.proof_len = sizeof proof;
    popi_block_merkle_root(txs, 3, &h.merkle_root, NULL);
    popi_block_t *blk;
    ck_assert_int_eq(popi_block_create(&h, txs, 3, &blk), POPI_OK);
    return blk;
}

static void encode_block(const popi_block_t *b, popi_codec_writer_t *w)
{
    popi_codec_writer_init(w);
    popi_block_encode(b, w);
}

/* ---- Merkle ---- */

/* Roots of leaf(0..n-1), leaf(i) = SHA-256("leaf" ‖ byte i), computed once with Python:
 *   H=lambda b: hashlib.sha256(b).digest(); D=lambda b: H(H(b))
 *   lv=[H(b"leaf"+bytes([i])) for i in range(n)]
 *   while len(lv)>1: (lv.append(lv[-1]) if len(lv)%2 else 0);
 *                    lv=[D(lv[i]+lv[i+1]) for i in range(0,len(lv),2)]                     */
static const char *const ROOTS[10] = {
    NULL,
    "52baff9b2464fbef07424fa9678b0997caf2824e0408ebb71c60c9e0c586f2cf",
    "71e9651d707c8503efc8967097e90fe3a42f2030798af6d96a30bf12b5e96efe",
    "a28f4af40905290751059a933e54a3ca1754eaeb52fdb98cac984d173a5b870e",
    "b0b4827d53a3e4ede05a6827f7d642a8597e4c3e4acc6c99157e7f8ddc1fe6c4",
    "547550f5abc6743b8bdd3af8e3458310b514f06e6d6ba581e3ff0f251f92baf2",
    "956f604964cff748aaad78f8aac086d30d1fa0c1db5f9bf2ad2f7d455a92a669",
    "831051e9edf072026745a093601ee00c8aabf1ddf2141c5dfb861e049a096f7b",
    "eb0dd2a60903303960709f22e36eee82e0c2e22ed8a9537aabb86f824507a30c",
    "bf6555761e6c88ed44bd588f3fd32bc76ea63a3b1c3d482bc100c1b883089678",
};

START_TEST(test_merkle_roots)
{
    popi_hash_t leaves[9], root;
    for (int i = 0; i < 9; i++)
        leaf(&leaves[i], i);
    for (size_t n = 1; n <= 9; n++) {
        bool mutated = true;
        popi_merkle_root(leaves, n, &root, &mutated);
        popi_hash_t expect = hash_of(ROOTS[n]);
        popi_hash_t naive = naive_root(leaves, n);
        ck_assert_msg(popi_hash_eq(&root, &expect), "root of %zu leaves", n);
        ck_assert(popi_hash_eq(&root, &naive));
        ck_assert(!mutated);
    }
    popi_merkle_root(leaves, 0, &root, NULL);
    ck_assert(popi_hash_is_zero(&root));
    popi_merkle_root(leaves, 1, &root, NULL);
    ck_assert(popi_hash_eq(&root, &leaves[0]));
}
END_TEST

/* CVE-2012-2459: [a,b,c] and [a,b,c,c] share a root; only the second is flagged mutated. */
START_TEST(test_merkle_mutation)
{
    popi_hash_t l[6], r3, r4;
    bool m3, m4;
    for (int i = 0; i < 3; i++)
        leaf(&l[i], i);
    l[3] = l[2];
    popi_merkle_root(l, 3, &r3, &m3);
    popi_merkle_root(l, 4, &r4, &m4);
    ck_assert(popi_hash_eq(&r3, &r4));
    ck_assert(!m3);
    ck_assert(m4);
    /* The flag looks only at pairs at even positions: [a,b,c,d,c,d] has none equal ... */
    leaf(&l[3], 3);
    l[4] = l[2];
    l[5] = l[3];
    bool m6;
    popi_merkle_root(l, 6, &r3, &m6);
    ck_assert(!m6);
    popi_hash_t l8[8];
    for (int i = 0; i < 4; i++)
        leaf(&l8[i], i);
    for (int i = 4; i < 8; i++)
        l8[i] = l8[i - 2];
    popi_merkle_root(l8, 8, &r3, &m6); /* ... [a,b,c,d,c,d,c,d] pairs H(c,d) with itself */
    ck_assert(m6);
}
END_TEST

START_TEST(test_merkle_proofs)
{
    popi_hash_t leaves[9], root;
    for (int i = 0; i < 9; i++)
        leaf(&leaves[i], i);
    for (size_t n = 1; n <= 9; n++) {
        popi_merkle_root(leaves, n, &root, NULL);
        for (size_t i = 0; i < n; i++) {
            popi_merkle_proof_t p;
            ck_assert_int_eq(popi_merkle_prove(leaves, n, i, &p), POPI_OK);
            ck_assert_uint_eq(p.index, i);
            unsigned depth = 0;
            while ((1u << depth) < n)
                depth++;
            ck_assert_uint_eq(p.depth, depth);
            ck_assert_msg(popi_merkle_verify(&leaves[i], &p, &root), "n %zu leaf %zu", n, i);
            /* Tampering: another leaf, another index, a flipped sibling bit, a wrong root. */
            if (n > 1) ck_assert(!popi_merkle_verify(&leaves[(i + 1) % n], &p, &root));
            popi_hash_t other;
            leaf(&other, 100);
            ck_assert(!popi_merkle_verify(&other, &p, &root));
            if (p.depth > 0) {
                popi_merkle_proof_t q = p;
                q.sibling[p.depth - 1].b[7] ^= 0x10;
                ck_assert(!popi_merkle_verify(&leaves[i], &q, &root));
                q = p;
                q.sibling[0].b[0] ^= 0x01;
                ck_assert(!popi_merkle_verify(&leaves[i], &q, &root));
                q = p;
                q.index ^= 1; /* sibling on the wrong side */
                if (!popi_hash_eq(&p.sibling[0], &leaves[i]))
                    ck_assert(!popi_merkle_verify(&leaves[i], &q, &root));
                q = p;
                q.index |= 1u << p.depth; /* index bits beyond the depth */
                ck_assert(!popi_merkle_verify(&leaves[i], &q, &root));
                q = p;
                q.depth--; /* truncated proof */
                ck_assert(!popi_merkle_verify(&leaves[i], &q, &root));
            }
            popi_hash_t bad_root = root;
            bad_root.b[31] ^= 1;
            ck_assert(!popi_merkle_verify(&leaves[i], &p, &bad_root));
        }
    }
    popi_merkle_proof_t p;
    ck_assert_int_eq(popi_merkle_prove(leaves, 3, 3, &p), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "out of range"));
    ck_assert_int_eq(popi_merkle_prove(leaves, 0, 0, &p), POPI_EINVAL);
    ck_assert_int_eq(popi_merkle_prove(leaves, 2, 0, &p), POPI_OK);
    p.depth = 33;
    ck_assert(!popi_merkle_verify(&leaves[0], &p, &root));
}
END_TEST

/* ---- transactions ---- */

START_TEST(test_tx_txid_and_encoding)
{
    popi_keypair_t kp;
    popi_crypto_keypair_from_u64(&kp, 3);
    popi_tx_t tx, back;
    sample_tx(&tx, 2, 3, 5, &kp);
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_tx_encode(&tx, &w);
    ck_assert_uint_eq(w.len, popi_tx_encoded_size(&tx));
    ck_assert_uint_eq(w.len, 4 + 1 + 200 + 1 + 120 + 8);
    ck_assert_uint_eq(tx.size, w.len);
    popi_hash_t id;
    popi_crypto_sha256d(&id, w.data, w.len);
    ck_assert(popi_hash_eq(&id, &tx.txid));
    /* Layout spot checks (docs/FORMATS.md). */
    ck_assert_uint_eq(w.data[0], 1);
    ck_assert_uint_eq(w.data[4], 2);
    ck_assert_mem_eq(w.data + 5, tx.in[0].prev.txid.b, 32);
    ck_assert_uint_eq(w.data[37], 1); /* index 1, little-endian */
    ck_assert_uint_eq(w.data[205], 3);
    ck_assert_uint_eq(w.data[326], (uint8_t)tx.lock_height); /* lock_height at 4+1+200+1+120 */
    ck_assert_int_eq(popi_tx_decode(w.data, w.len, &back), POPI_OK);
    ck_assert(back.sealed);
    ck_assert(popi_hash_eq(&back.txid, &tx.txid));
    ck_assert_uint_eq(back.n_in, 2);
    ck_assert_uint_eq(back.n_out, 3);
    ck_assert_mem_eq(back.in, tx.in, 2 * sizeof *tx.in);
    ck_assert_mem_eq(back.out, tx.out, 3 * sizeof *tx.out);
    ck_assert_uint_eq(back.lock_height, tx.lock_height);
    popi_tx_t copy;
    popi_tx_copy(&copy, &back);
    ck_assert(popi_hash_eq(&copy.txid, &tx.txid));
    ck_assert_mem_eq(copy.out, tx.out, 3 * sizeof *tx.out);
    popi_tx_destroy(&copy);
    popi_tx_destroy(&back);
    popi_tx_destroy(&tx);
    popi_tx_destroy(&tx); /* destroy twice is harmless */
    popi_codec_writer_destroy(&w);
}
END_TEST

START_TEST(test_tx_sighash_and_signatures)
{
    popi_keypair_t a, b;
    popi_crypto_keypair_from_u64(&a, 10);
    popi_crypto_keypair_from_u64(&b, 11);
    popi_tx_t tx;
    popi_tx_init(&tx, 2, 1, 0);
    tx.in[0].prev.index = 1;
    tx.in[1].prev.index = 2;
    tx.out[0].amount = 55;
    tx.out[0].owner = b.pk;
    popi_hash_t h0, h1, h2;
    popi_tx_sighash(&tx, &h0);
    popi_tx_sign_input(&tx, 0, &a);
    popi_tx_sighash(&tx, &h1);
    ck_assert(popi_hash_eq(&h0, &h1)); /* signatures are blanked */
    popi_tx_sign_input(&tx, 1, &b);
    ck_assert(popi_crypto_verify(&tx.in[0].sig, h0.b, 32, &a.pk));
    ck_assert(popi_crypto_verify(&tx.in[1].sig, h0.b, 32, &b.pk));
    ck_assert(!popi_crypto_verify(&tx.in[1].sig, h0.b, 32, &a.pk));
    /* The digest is SHA-256d(tag ‖ encoding with zero signatures). */
    popi_tx_t blank;
    popi_tx_copy(&blank, &tx);
    memset(blank.in[0].sig.b, 0, 64);
    memset(blank.in[1].sig.b, 0, 64);
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_codec_put(&w, "popi-tx-sighash-v1", 18);
    popi_tx_encode(&blank, &w);
    popi_crypto_sha256d(&h2, w.data, w.len);
    ck_assert(popi_hash_eq(&h0, &h2));
    popi_codec_writer_destroy(&w);
    popi_tx_destroy(&blank);
    /* Every committed field changes the digest. */
    tx.out[0].amount = 56;
    popi_tx_sighash(&tx, &h1);
    ck_assert(!popi_hash_eq(&h0, &h1));
    tx.out[0].amount = 55;
    tx.lock_height = 1;
    popi_tx_sighash(&tx, &h1);
    ck_assert(!popi_hash_eq(&h0, &h1));
    tx.lock_height = 0;
    tx.in[1].prev.index = 3;
    popi_tx_sighash(&tx, &h1);
    ck_assert(!popi_hash_eq(&h0, &h1));
    popi_tx_destroy(&tx);
}
END_TEST

START_TEST(test_tx_coinbase)
{
    popi_keypair_t a, b;
    popi_crypto_keypair_from_u64(&a, 20);
    popi_crypto_keypair_from_u64(&b, 21);
    popi_txout_t share[1] = {{9, b.pk}};
    popi_tx_t cb, cb2;
    ck_assert_int_eq(popi_tx_coinbase(&cb, 7, &a.pk, 100, 3, share, 1), POPI_OK);
    ck_assert(popi_tx_is_coinbase(&cb));
    ck_assert(cb.sealed);
    ck_assert_uint_eq(cb.lock_height, 7);
    ck_assert_uint_eq(cb.n_out, 3);
    ck_assert_uint_eq(cb.out[0].amount, 100);
    ck_assert_uint_eq(cb.out[1].amount, 3);
    ck_assert_uint_eq(cb.out[2].amount, 9);
    ck_assert_mem_eq(cb.out[0].owner.b, a.pk.b, 32);
    ck_assert_mem_eq(cb.out[1].owner.b, a.pk.b, 32);
    ck_assert_mem_eq(cb.out[2].owner.b, b.pk.b, 32);
    /* The height makes identical coinbases of different heights distinct. */
    ck_assert_int_eq(popi_tx_coinbase(&cb2, 8, &a.pk, 100, 3, share, 1), POPI_OK);
    ck_assert(!popi_hash_eq(&cb.txid, &cb2.txid));
    popi_tx_destroy(&cb2);
    /* Amount errors leave the transaction zeroed. */
    ck_assert_int_eq(popi_tx_coinbase(&cb2, 8, &a.pk, POPI_MAX_MONEY + 1, 0, NULL, 0), POPI_EINVAL);
    ck_assert_ptr_null(cb2.out);
    ck_assert_int_eq(popi_tx_coinbase(&cb2, 8, &a.pk, POPI_MAX_MONEY, 1, NULL, 0), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "output 1"));
    popi_txout_t huge[1] = {{UINT64_MAX, b.pk}};
    ck_assert_int_eq(popi_tx_coinbase(&cb2, 8, &a.pk, 1, 1, huge, 1), POPI_EINVAL);
    ck_assert_int_eq(popi_tx_coinbase(&cb2, 8, &a.pk, 1, 1, share, POPI_TX_MAX_OUTPUTS - 1),
                     POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "n_sharing"));
    popi_tx_destroy(&cb);
}
END_TEST

START_TEST(test_tx_decode_strict)
{
    popi_keypair_t kp;
    popi_crypto_keypair_from_u64(&kp, 4);
    popi_tx_t tx, back;
    sample_tx(&tx, 1, 2, 9, &kp);
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_tx_encode(&tx, &w);
    /* Every proper prefix fails with "truncated" (or an exceeded count for a cut-short count). */
    for (size_t n = 0; n < w.len; n++) {
        ck_assert_int_eq(popi_tx_decode(w.data, n, &back), POPI_EFORMAT);
        ck_assert_ptr_null(back.in);
        ck_assert_msg(strstr(popi_err_message(), "truncated"), "prefix %zu: %s", n,
                      popi_err_message());
    }
    /* Trailing bytes. */
    uint8_t *longer = malloc(w.len + 1);
    memcpy(longer, w.data, w.len);
    longer[w.len] = 0;
    ck_assert_int_eq(popi_tx_decode(longer, w.len + 1, &back), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "1 trailing bytes"));
    /* Unknown version. */
    memcpy(longer, w.data, w.len);
    longer[0] = 2;
    ck_assert_int_eq(popi_tx_decode(longer, w.len, &back), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "unknown transaction version 2"));
    free(longer);
    /* Non-canonical and out-of-bound counts, built by hand. */
    popi_codec_writer_t v;
    popi_codec_writer_init(&v);
    popi_codec_put_u32(&v, 1);
    popi_codec_put_u8(&v, 0xfd); /* n_in = 0 written in 3 bytes */
    popi_codec_put_u8(&v, 0);
    popi_codec_put_u8(&v, 0);
    popi_codec_put_u8(&v, 0);
    popi_codec_put_u64(&v, 0);
    ck_assert_int_eq(popi_tx_decode(v.data, v.len, &back), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "non-canonical CompactSize at byte 4"));
    v.len = 0;
    popi_codec_put_u32(&v, 1);
    popi_codec_put_compact(&v, POPI_TX_MAX_INPUTS + 1);
    ck_assert_int_eq(popi_tx_decode(v.data, v.len, &back), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "exceeds the bound 4096"));
    v.len = 0;
    popi_codec_put_u32(&v, 1);
    popi_codec_put_compact(&v, 0);
    popi_codec_put_compact(&v, POPI_TX_MAX_OUTPUTS + 1);
    ck_assert_int_eq(popi_tx_decode(v.data, v.len, &back), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "n_out"));
    v.len = 0;
    popi_codec_put_u32(&v, 1);
    popi_codec_put_compact(&v, 3); /* claims 3 inputs, has none: refused before allocating */
    popi_codec_put_compact(&v, 0);
    ck_assert_int_eq(popi_tx_decode(v.data, v.len, &back), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "in[0]"));
    v.len = 0;
    popi_codec_put_u32(&v, 1);
    popi_codec_put_compact(&v, 0);
    popi_codec_put_compact(&v, 2); /* claims 2 outputs, has 1 */
    for (int i = 0; i < 40; i++)
        popi_codec_put_u8(&v, 1);
    popi_codec_put_u64(&v, 0);
    ck_assert_int_eq(popi_tx_decode(v.data, v.len, &back), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "out[1]"));
    /* CompactSize forms: 0xfe and 0xff prefixes, canonical and not. */
    uint8_t c5[5] = {0xfe, 0xff, 0xff, 0, 0}, c9[9] = {0xff, 1, 0, 0, 0, 0, 0, 0, 0};
    uint64_t x;
    popi_codec_reader_t r;
    popi_codec_reader_init(&r, c5, 5, "t");
    ck_assert_int_eq(popi_codec_get_compact(&r, &x, UINT64_MAX, "x"), POPI_EFORMAT);
    ck_assert_uint_eq(r.off, 0);
    c5[3] = 1;
    popi_codec_reader_init(&r, c5, 5, "t");
    ck_assert_int_eq(popi_codec_get_compact(&r, &x, UINT64_MAX, "x"), POPI_OK);
    ck_assert_uint_eq(x, 0x1ffff);
    popi_codec_reader_init(&r, c9, 9, "t");
    ck_assert_int_eq(popi_codec_get_compact(&r, &x, UINT64_MAX, "x"), POPI_EFORMAT);
    c9[5] = 1;
    popi_codec_reader_init(&r, c9, 9, "t");
    ck_assert_int_eq(popi_codec_get_compact(&r, &x, UINT64_MAX, "x"), POPI_OK);
    ck_assert_uint_eq(x, UINT64_C(0x100000001));
    popi_codec_reader_init(&r, c9, 4, "t");
    ck_assert_int_eq(popi_codec_get_compact(&r, &x, UINT64_MAX, "x"), POPI_EFORMAT);
    ck_assert_uint_eq(r.off, 0);
    for (uint64_t val = 0; val < 0x20000; val += 97) { /* writer is minimal, reader accepts */
        v.len = 0;
        popi_codec_put_compact(&v, val);
        ck_assert_uint_eq(v.len, popi_codec_compact_size_len(val));
        popi_codec_reader_init(&r, v.data, v.len, "t");
        ck_assert_int_eq(popi_codec_get_compact(&r, &x, UINT64_MAX, "x"), POPI_OK);
        ck_assert_uint_eq(x, val);
    }
    v.len = 0;
    popi_codec_put_compact(&v, UINT64_C(0x123456789));
    ck_assert_uint_eq(v.len, 9);
    popi_codec_writer_destroy(&v);
    popi_codec_writer_destroy(&w);
    popi_tx_destroy(&tx);
}
END_TEST

/* ---- blocks ---- */

START_TEST(test_block_roundtrip)
{
    popi_block_t *b = sample_block(), *d;
    popi_codec_writer_t w;
    encode_block(b, &w);
    ck_assert_uint_eq(w.len, b->size);
    ck_assert_uint_eq(b->header_size, POPI_BLOCK_HEADER_MIN_BYTES + 5);
    ck_assert(!b->merkle_mutated);
    ck_assert(popi_hash_eq(&b->merkle_computed, &b->hdr.merkle_root));
    popi_hash_t h;
    popi_crypto_sha256d(&h, w.data, b->header_size);
    ck_assert(popi_hash_eq(&h, &b->hash));
    popi_block_header_hash(&b->hdr, &h);
    ck_assert(popi_hash_eq(&h, &b->hash));
    /* Nonce sits at its documented offset, little-endian. */
    ck_assert_uint_eq(w.data[POPI_BLOCK_NONCE_OFFSET], 0x08);
    ck_assert_uint_eq(w.data[POPI_BLOCK_NONCE_OFFSET + 7], 0x01);
    ck_assert_uint_eq(w.data[88], POPI_CONSENSUS_POW);
    ck_assert_int_eq(popi_block_decode(w.data, w.len, &d), POPI_OK);
    ck_assert(popi_hash_eq(&d->hash, &b->hash));
    ck_assert_uint_eq(d->n_tx, 3);
    ck_assert_uint_eq(d->size, b->size);
    ck_assert_uint_eq(d->hdr.height, 12);
    ck_assert_int_eq(d->hdr.time, 123456789);
    ck_assert_uint_eq(d->hdr.bits, 0x207fffff);
    ck_assert_uint_eq(d->hdr.proof_len, 5);
    ck_assert_mem_eq(d->hdr.proof, b->hdr.proof, 5);
    ck_assert(d->hdr.proof != b->hdr.proof);
    for (uint32_t i = 0; i < 3; i++)
        ck_assert(popi_hash_eq(&d->tx[i].txid, &b->tx[i].txid));
    ck_assert(popi_hash_eq(&d->merkle_computed, &b->merkle_computed));
    popi_codec_writer_t w2;
    encode_block(d, &w2);
    ck_assert_uint_eq(w2.len, w.len);
    ck_assert_mem_eq(w2.data, w.data, w.len);
    /* Header alone. */
    popi_block_header_t hdr;
    ck_assert_int_eq(popi_block_header_decode(w.data, b->header_size, &hdr), POPI_OK);
    ck_assert(hdr.proof == w.data + b->header_size - 5); /* borrowed from the buffer */
    ck_assert_uint_eq(popi_block_header_size(&hdr), b->header_size);
    ck_assert_int_eq(popi_block_header_decode(w.data, b->header_size + 1, &hdr), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "header: 1 trailing bytes"));
    /* The producer-signature digest ignores the proof but covers everything else. */
    popi_hash_t s1, s2;
    popi_block_header_sighash(&b->hdr, &s1);
    hdr = b->hdr;
    hdr.proof_len = 0;
    hdr.proof = NULL;
    popi_block_header_sighash(&hdr, &s2);
    ck_assert(popi_hash_eq(&s1, &s2));
    hdr.nonce++;
    popi_block_header_sighash(&hdr, &s2);
    ck_assert(!popi_hash_eq(&s1, &s2));
    popi_codec_writer_destroy(&w2);
    popi_codec_writer_destroy(&w);
    popi_block_free(d);
    popi_block_free(b);
    popi_block_free(NULL);
}
END_TEST

START_TEST(test_block_empty_and_genesis_shape)
{
    popi_block_header_t h;
    popi_block_header_init(&h);
    popi_block_t *b, *d;
    ck_assert_int_eq(popi_block_create(&h, NULL, 0, &b), POPI_OK);
    ck_assert_uint_eq(b->size, POPI_BLOCK_HEADER_MIN_BYTES + 1);
    ck_assert(popi_hash_is_zero(&b->merkle_computed));
    popi_codec_writer_t w;
    encode_block(b, &w);
    ck_assert_int_eq(popi_block_decode(w.data, w.len, &d), POPI_OK);
    ck_assert(popi_hash_eq(&d->hash, &b->hash));
    ck_assert_ptr_null(d->hdr.proof);
    popi_codec_writer_destroy(&w);
    popi_block_free(d);
    popi_block_free(b);
}
END_TEST

START_TEST(test_block_create_errors)
{
    popi_block_header_t h;
    popi_block_t *b = (popi_block_t *)&h;
    popi_keypair_t kp;
    popi_crypto_keypair_from_u64(&kp, 8);
    popi_block_header_init(&h);
    h.version = 2;
    ck_assert_int_eq(popi_block_create(&h, NULL, 0, &b), POPI_EINVAL);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "version"));
    popi_block_header_init(&h);
    h.kind = POPI_CONSENSUS__COUNT;
    ck_assert_int_eq(popi_block_create(&h, NULL, 0, &b), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "kind"));
    popi_block_header_init(&h);
    h.time = -1;
    ck_assert_int_eq(popi_block_create(&h, NULL, 0, &b), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "time"));
    popi_block_header_init(&h);
    uint8_t *proof = calloc(POPI_BLOCK_MAX_PROOF + 1, 1);
    h.proof = proof;
    h.proof_len = POPI_BLOCK_MAX_PROOF + 1;
    ck_assert_int_eq(popi_block_create(&h, NULL, 0, &b), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "proof_len"));
    h.proof_len = POPI_BLOCK_MAX_PROOF; /* the bound itself is fine */
    ck_assert_int_eq(popi_block_create(&h, NULL, 0, &b), POPI_OK);
    popi_block_free(b);
    free(proof);
    h.proof = NULL;
    h.proof_len = 3;
    ck_assert_int_eq(popi_block_create(&h, NULL, 0, &b), POPI_EINVAL);
    popi_block_header_init(&h);
    popi_tx_t one;
    sample_tx(&one, 1, 1, 1, &kp);
    ck_assert_int_eq(popi_block_create(&h, &one, POPI_BLOCK_MAX_TXS + 1, &b), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "n_tx"));
    popi_tx_t wide;
    popi_tx_init(&wide, POPI_TX_MAX_INPUTS + 1, 1, 0);
    ck_assert_int_eq(popi_block_create(&h, &wide, 1, &b), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "tx 0 cannot be encoded"));
    ck_assert_ptr_nonnull(wide.in); /* not moved on failure */
    popi_tx_destroy(&wide);
    /* Too large overall: 420 shallow copies of one 164 kB transaction (nothing is moved). */
    popi_tx_init(&wide, 0, POPI_TX_MAX_OUTPUTS, 0);
    popi_tx_t *many = malloc(420 * sizeof *many);
    for (int i = 0; i < 420; i++)
        many[i] = wide;
    ck_assert_int_eq(popi_block_create(&h, many, 420, &b), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "encoded size"));
    free(many);
    popi_tx_destroy(&wide);
    /* On success the transactions are moved: the caller's copies are zeroed. */
    ck_assert_int_eq(popi_block_create(&h, &one, 1, &b), POPI_OK);
    ck_assert_ptr_null(one.in);
    popi_tx_destroy(&one);
    popi_block_free(b);
}
END_TEST

/* Every proper prefix of a valid block is refused; so is every extension. */
START_TEST(test_block_decode_truncations)
{
    popi_block_t *b = sample_block(), *d = NULL;
    popi_codec_writer_t w;
    encode_block(b, &w);
    for (size_t n = 0; n < w.len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact-size copy, so ASan sees any over-read */
        memcpy(copy, w.data, n);
        popi_err_t e = popi_block_decode(copy, n, &d);
        ck_assert_msg(e == POPI_EFORMAT, "prefix of %zu bytes decoded", n);
        ck_assert_ptr_null(d);
        ck_assert_msg(strstr(popi_err_message(), "block") != NULL, "%s", popi_err_message());
        free(copy);
    }
    uint8_t *longer = malloc(w.len + 3);
    memcpy(longer, w.data, w.len);
    memset(longer + w.len, 0, 3);
    ck_assert_int_eq(popi_block_decode(longer, w.len + 3, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "3 trailing bytes"));
    free(longer);
    popi_codec_writer_destroy(&w);
    popi_block_free(b);
}
END_TEST

/* Single-byte corruptions: an error, or a different block that re-encodes to the corrupted bytes
 * and whose header hash or recomputed Merkle root differs (so validation would catch it). */
START_TEST(test_block_decode_corruptions)
{
    popi_block_t *b = sample_block(), *d = NULL;
    popi_codec_writer_t w;
    encode_block(b, &w);
    static const uint8_t flips[] = {0x01, 0x80, 0xff};
    size_t n_ok = 0, n_err = 0;
    for (size_t pos = 0; pos < w.len; pos++)
        for (size_t f = 0; f < sizeof flips; f++) {
            uint8_t *copy = malloc(w.len);
            memcpy(copy, w.data, w.len);
            copy[pos] ^= flips[f];
            popi_err_t e = popi_block_decode(copy, w.len, &d);
            if (e) {
                ck_assert_int_eq(e, POPI_EFORMAT);
                ck_assert_ptr_null(d);
                n_err++;
            } else {
                popi_codec_writer_t w2;
                encode_block(d, &w2);
                ck_assert_uint_eq(w2.len, w.len);
                ck_assert_mem_eq(w2.data, copy, w.len);
                bool header_changed = !popi_hash_eq(&d->hash, &b->hash);
                bool body_changed = !popi_hash_eq(&d->merkle_computed, &d->hdr.merkle_root);
                /* header bytes change the hash; body bytes and the header's Merkle root field
                 * (bytes 44..75) break the root */
                bool in_root = pos >= 44 && pos < 76;
                ck_assert_msg(header_changed == (pos < b->header_size) &&
                                  body_changed == (pos >= b->header_size || in_root),
                              "byte %zu ^ 0x%02x: header changed %d, body changed %d", pos,
                              flips[f], header_changed, body_changed);
                popi_codec_writer_destroy(&w2);
                popi_block_free(d);
                n_ok++;
            }
            free(copy);
        }
    /* Both outcomes occur: structural bytes fail, payload bytes change the block. */
    ck_assert_uint_gt(n_ok, 0);
    ck_assert_uint_gt(n_err, 0);
    popi_codec_writer_destroy(&w);
    popi_block_free(b);
}
END_TEST

/* Hand-made header fields that only a decoder sees. */
START_TEST(test_block_decode_field_errors)
{
    popi_block_t *b = sample_block(), *d;
    popi_codec_writer_t w;
    encode_block(b, &w);
    uint8_t *c = malloc(w.len);
#define RESET() memcpy(c, w.data, w.len)
    RESET();
    c[0] = 9;
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "unknown header version 9 at byte 0"));
    RESET();
    c[83] = 0x80; /* time's top byte: above INT64_MAX */
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "time"));
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "at byte 76"));
    RESET();
    c[88] = POPI_CONSENSUS__COUNT;
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "consensus kind 4 at byte 88"));
    RESET();
    c[129] = 0xfd; /* proof_len 5 written in 3 bytes */
    c[130] = 0x05;
    c[131] = 0x00;
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "non-canonical CompactSize at byte 129"));
    RESET();
    c[129] = 0xfd; /* proof_len 0x1001 = 4097 > bound */
    c[130] = 0x01;
    c[131] = 0x10;
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "proof_len = 4097 at byte 129 exceeds"));
    RESET();
    c[b->header_size] = 200; /* n_tx larger than the bytes left could hold */
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "n_tx = 200"));
    RESET();
    c[b->header_size + 1] = 3; /* tx 0 version */
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "block: tx 0: unknown transaction version 3"));
    RESET();
    c[b->header_size] = 2; /* two transactions: the third becomes trailing bytes */
    ck_assert_int_eq(popi_block_decode(c, w.len, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "trailing"));
    /* Oversized input is refused before reading. */
    ck_assert_int_eq(popi_block_decode(c, (size_t)POPI_BLOCK_MAX_BYTES + 1, &d), POPI_EFORMAT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "exceeds the bound"));
#undef RESET
    free(c);
    popi_codec_writer_destroy(&w);
    popi_block_free(b);
}
END_TEST

START_TEST(test_consensus_kinds)
{
    const char *names[] = {"popi", "pow", "pos", "poewal"};
    for (int k = 0; k < 4; k++) {
        popi_consensus_kind_t kind;
        ck_assert_str_eq(popi_consensus_kind_name((popi_consensus_kind_t)k), names[k]);
        ck_assert_int_eq(popi_consensus_kind_parse(names[k], &kind), POPI_OK);
        ck_assert_int_eq(kind, k);
    }
    popi_consensus_kind_t kind;
    ck_assert_str_eq(popi_consensus_kind_name(POPI_CONSENSUS__COUNT), "?");
    ck_assert_int_eq(popi_consensus_kind_parse("dpos", &kind), POPI_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "\"dpos\""));
    ck_assert_int_eq(popi_consensus_kind_parse(NULL, &kind), POPI_ENOTFOUND);
}
END_TEST

/* ---- targets ---- */

/* Bitcoin Core's arith_uint256 SetCompact/GetCompact cases (src/test/arith_uint256_tests.cpp). */
START_TEST(test_compact_bitcoin_vectors)
{
    static const struct {
        uint32_t bits;
        const char *target; /* NULL: refused */
        uint32_t back;
    } cases[] = {
        {0x01123456, "0000000000000000000000000000000000000000000000000000000000000012",
         0x01120000},
        {0x02123456, "0000000000000000000000000000000000000000000000000000000000001234",
         0x02123400},
        {0x03123456, "0000000000000000000000000000000000000000000000000000000000123456",
         0x03123456},
        {0x04123456, "0000000000000000000000000000000000000000000000000000000012345600",
         0x04123456},
        {0x05009234, "0000000000000000000000000000000000000000000000000000000092340000",
         0x05009234},
        {0x02008000, "0000000000000000000000000000000000000000000000000000000000000080",
         0x02008000},
        {0x20123456, "1234560000000000000000000000000000000000000000000000000000000000",
         0x20123456},
        {0x1d00ffff, "00000000ffff0000000000000000000000000000000000000000000000000000",
         0x1d00ffff},
        {0x207fffff, "7fffff0000000000000000000000000000000000000000000000000000000000",
         0x207fffff},
        {0x01003456, NULL, 0}, /* zero */
        {0x00000000, NULL, 0}, /* zero */
        {0x04923456, NULL, 0}, /* negative */
        {0x01fedcba, NULL, 0}, /* negative */
        {0xff123456, NULL, 0}, /* overflow */
        {0x22000100, NULL, 0}, /* overflow: 0x100 << 8*31 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        popi_hash_t t;
        popi_err_t e = popi_target_from_bits(cases[i].bits, &t);
        if (!cases[i].target) {
            ck_assert_msg(e == POPI_EINVAL, "bits 0x%08x accepted", cases[i].bits);
            continue;
        }
        ck_assert_int_eq(e, POPI_OK);
        popi_hash_t expect = hash_of(cases[i].target);
        ck_assert_msg(popi_hash_eq(&t, &expect), "bits 0x%08x", cases[i].bits);
        ck_assert_uint_eq(popi_target_to_bits(&t), cases[i].back);
    }
    popi_hash_t t;
    ck_assert_int_eq(popi_target_from_bits(0x04923456, &t), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "negative"));
    ck_assert_int_eq(popi_target_from_bits(0xff123456, &t), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "overflows"));
    ck_assert_int_eq(popi_target_from_bits(0x01003456, &t), POPI_EINVAL);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "zero"));
    /* Largest legal: 0x2100ffff is 0xffff << 240; 0x22000001... is 0x01 << 8*31 ... */
    ck_assert_int_eq(popi_target_from_bits(0x2100ffff, &t), POPI_OK);
    ck_assert_uint_eq(t.b[0], 0xff);
    ck_assert_uint_eq(t.b[1], 0xff);
    ck_assert_uint_eq(t.b[2], 0);
    memset(t.b, 0, 32);
    ck_assert_uint_eq(popi_target_to_bits(&t), 0);
}
END_TEST

START_TEST(test_zero_bits_and_work)
{
    popi_hash_t h;
    memset(h.b, 0, 32);
    ck_assert_uint_eq(popi_hash_leading_zero_bits(&h), 256);
    h.b[0] = 0x80;
    ck_assert_uint_eq(popi_hash_leading_zero_bits(&h), 0);
    h.b[0] = 0;
    h.b[2] = 0x10;
    ck_assert_uint_eq(popi_hash_leading_zero_bits(&h), 19);
    for (unsigned z = 0; z < 256; z++) {
        uint32_t bits;
        popi_hash_t t;
        ck_assert_int_eq(popi_target_bits_for_zero_bits(z, &bits), POPI_OK);
        ck_assert_int_eq(popi_target_from_bits(bits, &t), POPI_OK);
        /* target < 2^(256-z) and within a factor 2^-15 of it (the compact mantissa's precision) */
        ck_assert_uint_eq(popi_hash_leading_zero_bits(&t), z);
        if (z + 16 < 256) {
            double work = popi_target_work(&t);
            ck_assert_double_ge(work, ldexp(1.0, (int)z));
            ck_assert_double_le(work, ldexp(1.0, (int)z) * (1.0 + 1.0 / 32768.0) + 1e-9);
        }
    }
    uint32_t bits;
    ck_assert_int_eq(popi_target_bits_for_zero_bits(256, &bits), POPI_EINVAL);
    ck_assert_int_eq(popi_target_bits_for_zero_bits(0, &bits), POPI_OK);
    ck_assert_uint_eq(bits, 0x2100ffff);
    ck_assert_int_eq(popi_target_bits_for_zero_bits(8, &bits), POPI_OK);
    ck_assert_uint_eq(bits, 0x2000ffff);
    ck_assert_int_eq(popi_target_bits_for_zero_bits(32, &bits), POPI_OK);
    ck_assert_uint_eq(bits, 0x1d00ffff); /* Bitcoin's genesis difficulty */
    popi_hash_t t;
    ck_assert_int_eq(popi_target_from_bits(0x1d00ffff, &t), POPI_OK);
    /* Bitcoin: difficulty-1 work = 2^256 / (0xffff·2^208 + 1) = 4295032833.0000... */
    ck_assert_double_eq_tol(popi_target_work(&t), 4295032833.0, 1e-3);
    popi_hash_t a = t, b2 = t;
    ck_assert(popi_hash_meets_target(&a, &t));
    b2.b[31] = 1;
    ck_assert(!popi_hash_meets_target(&b2, &t));
    a.b[5] = 0xfe;
    ck_assert(popi_hash_meets_target(&a, &t));
}
END_TEST

START_TEST(test_grind)
{
    popi_block_t *b = sample_block();
    popi_block_header_t h = b->hdr;
    ck_assert_int_eq(popi_target_bits_for_zero_bits(12, &h.bits), POPI_OK);
    h.nonce = popi_test_seed(1000);
    uint64_t tries;
    ck_assert_int_eq(popi_block_grind(&h, UINT64_C(1) << 24, &tries), POPI_OK);
    ck_assert_uint_ge(tries, 1);
    popi_hash_t hash, target;
    popi_block_header_hash(&h, &hash);
    ck_assert_int_eq(popi_target_from_bits(h.bits, &target), POPI_OK);
    ck_assert(popi_hash_meets_target(&hash, &target));
    ck_assert_uint_ge(popi_hash_leading_zero_bits(&hash), 12);
    /* Built into a block, the hash meets its bits; the old nonce's header does not (with
     * overwhelming probability it was not the first try). */
    popi_tx_t txs[3];
    for (int i = 0; i < 3; i++)
        popi_tx_copy(&txs[i], &b->tx[i]);
    popi_block_t *g;
    ck_assert_int_eq(popi_block_create(&h, txs, 3, &g), POPI_OK);
    ck_assert(popi_block_meets_bits(g));
    ck_assert(popi_hash_eq(&g->hash, &hash));
    popi_block_free(g);
    /* Resuming: max_tries 0 does nothing; a failing search leaves the next nonce. */
    popi_block_header_t h2 = b->hdr;
    h2.bits = 0x03000001; /* target 1: practically unreachable */
    h2.nonce = 10;
    ck_assert_int_eq(popi_block_grind(&h2, 0, &tries), POPI_ENOTFOUND);
    ck_assert_uint_eq(tries, 0);
    ck_assert_uint_eq(h2.nonce, 10);
    ck_assert_int_eq(popi_block_grind(&h2, 50, &tries), POPI_ENOTFOUND);
    ck_assert_uint_eq(tries, 50);
    ck_assert_uint_eq(h2.nonce, 60);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "within 50 tries"));
    h2.bits = 0x04923456;
    ck_assert_int_eq(popi_block_grind(&h2, 5, NULL), POPI_EINVAL);
    popi_block_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ledger");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_merkle_roots);
    tcase_add_test(tc, test_merkle_mutation);
    tcase_add_test(tc, test_merkle_proofs);
    tcase_add_test(tc, test_tx_txid_and_encoding);
    tcase_add_test(tc, test_tx_sighash_and_signatures);
    tcase_add_test(tc, test_tx_coinbase);
    tcase_add_test(tc, test_tx_decode_strict);
    tcase_add_test(tc, test_block_roundtrip);
    tcase_add_test(tc, test_block_empty_and_genesis_shape);
    tcase_add_test(tc, test_block_create_errors);
    tcase_add_test(tc, test_block_decode_truncations);
    tcase_add_test(tc, test_block_decode_corruptions);
    tcase_add_test(tc, test_block_decode_field_errors);
    tcase_add_test(tc, test_consensus_kinds);
    tcase_add_test(tc, test_compact_bitcoin_vectors);
    tcase_add_test(tc, test_zero_bits_and_work);
    tcase_add_test(tc, test_grind);
    suite_add_tcase(s, tc);
    if (popi_crypto_init() != POPI_OK) return 1;
    return popi_test_run(s);
}
