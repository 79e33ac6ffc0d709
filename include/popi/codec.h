/* SPDX-License-Identifier: MIT */
/*
 * codec.h - the byte-level primitives of the ledger's one canonical binary encoding: a growing
 * output buffer (writer) and a bounds-checked cursor (reader), little-endian fixed-width integers
 * and Bitcoin's CompactSize lengths, which must be minimal (docs/FORMATS.md).
 *
 * Invariant of the reader: off <= len at all times; a failed read leaves off unchanged and sets
 * the thread's error message "<what>: ... at byte <off>" with a stable keyword ("truncated",
 * "non-canonical", "exceeds", "trailing") so callers and tests can tell failures apart.
 * Everything is static inline: these are a few instructions each and sit on the hot path of
 * block and transaction hashing.
 */
#ifndef POPI_CODEC_H
#define POPI_CODEC_H

#include "popi/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Growing output buffer. Caller storage; zero-initialise or popi_codec_writer_init. */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} popi_codec_writer_t;

/** Initialise an empty writer (caller storage). */
static inline void popi_codec_writer_init(popi_codec_writer_t *w)
{
    w->data = NULL;
    w->len = w->cap = 0;
}

/** Free the buffer. Accepts a zeroed or destroyed writer. */
static inline void popi_codec_writer_destroy(popi_codec_writer_t *w)
{
    free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

/** Append n raw bytes (amortised O(n); aborts on out of memory like all allocations). */
static inline void popi_codec_put(popi_codec_writer_t *w, const void *p, size_t n)
{
    if (n == 0) return;
    POPI_GROW(w->data, w->cap, w->len + n);
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

/** Append vprintf-formatted text (no NUL; any length: the writer grows to fit). */
static inline void popi_codec_vprintf(popi_codec_writer_t *w, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0) return;
    POPI_GROW(w->data, w->cap, w->len + (size_t)n + 1);
    vsnprintf((char *)w->data + w->len, (size_t)n + 1, fmt, ap);
    w->len += (size_t)n;
}

/** Append printf-formatted text (no NUL; any length). */
static inline void popi_codec_printf(popi_codec_writer_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void popi_codec_printf(popi_codec_writer_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    popi_codec_vprintf(w, fmt, ap);
    va_end(ap);
}

/** Append fixed-width little-endian integers. */
static inline void popi_codec_put_u8(popi_codec_writer_t *w, uint8_t v)
{
    popi_codec_put(w, &v, 1);
}

static inline void popi_codec_put_u32(popi_codec_writer_t *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    popi_codec_put(w, b, 4);
}

static inline void popi_codec_put_u64(popi_codec_writer_t *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    popi_codec_put(w, b, 8);
}

/** Bytes CompactSize uses for @p v: 1 (< 0xfd), 3 (<= 0xffff), 5 (<= 0xffffffff) or 9. */
static inline size_t popi_codec_compact_size_len(uint64_t v)
{
    return v < 0xfd ? 1 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

/** Write @p v as a minimal CompactSize (Bitcoin's variable-length count). */
static inline void popi_codec_put_compact(popi_codec_writer_t *w, uint64_t v)
{
    if (v < 0xfd) {
        popi_codec_put_u8(w, (uint8_t)v);
    } else if (v <= 0xffff) {
        popi_codec_put_u8(w, 0xfd);
        popi_codec_put_u8(w, (uint8_t)v);
        popi_codec_put_u8(w, (uint8_t)(v >> 8));
    } else if (v <= 0xffffffffu) {
        popi_codec_put_u8(w, 0xfe);
        popi_codec_put_u32(w, (uint32_t)v);
    } else {
        popi_codec_put_u8(w, 0xff);
        popi_codec_put_u64(w, v);
    }
}

/** Bounds-checked read cursor over borrowed bytes. @p what names the object in messages. */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t off;
    const char *what;
} popi_codec_reader_t;

/** Read len bytes at p (not copied: p must outlive the reader); @p what names them in errors. */
static inline void popi_codec_reader_init(popi_codec_reader_t *r, const void *p, size_t len,
                                          const char *what)
{
    r->p = (const uint8_t *)p;
    r->len = len;
    r->off = 0;
    r->what = what;
}

/** Bytes not yet read. */
static inline size_t popi_codec_left(const popi_codec_reader_t *r)
{
    return r->len - r->off;
}

/** Fail with "truncated" unless @p n bytes remain. @p field names what was being read. */
static inline popi_err_t popi_codec_need(const popi_codec_reader_t *r, size_t n, const char *field)
{
    if (popi_codec_left(r) < n)
        return popi_err_set(POPI_EFORMAT,
                            "%s: truncated at byte %zu reading %s (need %zu bytes, %zu left)",
                            r->what, r->off, field, n, popi_codec_left(r));
    return POPI_OK;
}

/** Borrow @p n bytes (pointer into the input) and advance. */
static inline popi_err_t popi_codec_get_ptr(popi_codec_reader_t *r, size_t n, const uint8_t **out,
                                            const char *field)
{
    popi_err_t e = popi_codec_need(r, n, field);
    if (e) return e;
    *out = r->p + r->off;
    r->off += n;
    return POPI_OK;
}

/** Copy n bytes out; POPI_EFORMAT with field name and byte offset when fewer remain. */
static inline popi_err_t popi_codec_get(popi_codec_reader_t *r, void *out, size_t n,
                                        const char *field)
{
    popi_err_t e = popi_codec_need(r, n, field);
    if (e) return e;
    if (n) memcpy(out, r->p + r->off, n);
    r->off += n;
    return POPI_OK;
}

/** Read fixed-width little-endian integers; POPI_EFORMAT (field, byte offset) when truncated. */
static inline popi_err_t popi_codec_get_u8(popi_codec_reader_t *r, uint8_t *v, const char *field)
{
    return popi_codec_get(r, v, 1, field);
}

static inline popi_err_t popi_codec_get_u32(popi_codec_reader_t *r, uint32_t *v, const char *field)
{
    popi_err_t e = popi_codec_need(r, 4, field);
    if (e) return e;
    const uint8_t *b = r->p + r->off;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    r->off += 4;
    return POPI_OK;
}

static inline popi_err_t popi_codec_get_u64(popi_codec_reader_t *r, uint64_t *v, const char *field)
{
    popi_err_t e = popi_codec_need(r, 8, field);
    if (e) return e;
    const uint8_t *b = r->p + r->off;
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | b[i];
    *v = x;
    r->off += 8;
    return POPI_OK;
}

/**
 * Read a CompactSize that must be minimal ("non-canonical" otherwise) and <= @p max ("exceeds"
 * otherwise). On failure the cursor does not move.
 */
static inline popi_err_t popi_codec_get_compact(popi_codec_reader_t *r, uint64_t *v, uint64_t max,
                                                const char *field)
{
    size_t start = r->off;
    uint8_t tag;
    popi_err_t e = popi_codec_get_u8(r, &tag, field);
    if (e) return e;
    uint64_t x, min;
    if (tag < 0xfd) {
        x = tag;
        min = 0;
    } else if (tag == 0xfd) {
        uint8_t b[2];
        e = popi_codec_get(r, b, 2, field);
        x = (uint64_t)b[0] | (uint64_t)b[1] << 8;
        min = 0xfd;
    } else if (tag == 0xfe) {
        uint32_t x32 = 0;
        e = popi_codec_get_u32(r, &x32, field);
        x = x32;
        min = 0x10000;
    } else {
        e = popi_codec_get_u64(r, &x, field);
        min = UINT64_C(0x100000000);
    }
    if (e) {
        r->off = start;
        return e;
    }
    if (x < min) {
        size_t used = r->off - start;
        r->off = start;
        return popi_err_set(POPI_EFORMAT,
                            "%s: non-canonical CompactSize at byte %zu for %s (value %llu "
                            "in %zu bytes)",
                            r->what, start, field, (unsigned long long)x, used);
    }
    if (x > max) {
        r->off = start;
        return popi_err_set(POPI_EFORMAT, "%s: %s = %llu at byte %zu exceeds the bound %llu",
                            r->what, field, (unsigned long long)x, start, (unsigned long long)max);
    }
    *v = x;
    return POPI_OK;
}

/** Fail with "trailing" unless every byte was consumed. */
static inline popi_err_t popi_codec_expect_end(const popi_codec_reader_t *r)
{
    if (r->off != r->len)
        return popi_err_set(POPI_EFORMAT, "%s: %zu trailing bytes after the end at byte %zu",
                            r->what, r->len - r->off, r->off);
    return POPI_OK;
}

#ifdef __cplusplus
}
#endif
#endif
