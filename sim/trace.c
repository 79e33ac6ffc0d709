/* SPDX-License-Identifier: MIT */
/*
 * trace.c - import of recorded contact traces: SocioPatterns `t i j` and ONE `t CONN a b up|down`.
 *
 * A line reader over zlib's gzread (plain files pass through unchanged) yields whole lines of any
 * length with their 1-based number, so every message names path:line and quotes the text.
 * SocioPatterns records become (a < b, t) triples in original ids, sorted by (a, b, t) and merged
 * while consecutive windows touch (t' - t <= window). ONE events are replayed in file order
 * against a hash table pair -> open `up` time. Both produce raw intervals in original ids; the
 * common tail remaps ids (ascending -> 0..n-1; monotone, so a < b stays i < j), shifts times so
 * the earliest start is 0 and sorts by (t_start, i, j, t_end). Invariant of the result: every
 * contact has i < j < n_agents and 0 <= t_start <= t_end <= t_end(trace).
 * Data: SFHH conference, M. Génois and A. Barrat, EPJ Data Science 7, 11 (2018),
 * doi:10.1140/epjds/s13688-018-0140-1. ONE: A. Keränen, J. Ott and T. Kärkkäinen, "The ONE
 * simulator for DTN protocol evaluation", SIMUTools 2009.
 */
#include "popi/trace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Read size of one gzread call; lines may be longer (they span chunks). */
#define TRACE_CHUNK (64u * 1024u)
/* Characters of an offending line or token quoted in a message. */
#define TRACE_QUOTE 60u
/* Largest accepted time or window, s: keeps every µs sum and difference inside int64. */
#define TRACE_MAX_S 1e12

/* ---- line reader ------------------------------------------------------------------------- */

typedef struct {
    gzFile gz;
    const char *path;
    unsigned char *chunk; /* chunk[pos..len) not yet consumed */
    size_t chunk_len, chunk_pos;
    bool eof;   /* gzread reported the end of the data */
    char *line; /* current line, NUL-terminated, without "\n" or a final "\r" */
    size_t len, cap;
    size_t lineno; /* 1-based number of the current line */
} reader_t;

/* Copy at most TRACE_QUOTE bytes of s[0..len) into out (size TRACE_QUOTE + 4), replacing
   non-printable bytes with '?' and marking truncation with "...". */
static void quote(char *out, const char *s, size_t len)
{
    size_t n = len < TRACE_QUOTE ? len : TRACE_QUOTE, k;
    for (k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        out[k] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (len > TRACE_QUOTE) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* POPI_EPARSE naming path:line, the problem and the quoted line. */
static popi_err_t line_error(const reader_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static popi_err_t line_error(const reader_t *r, const char *fmt, ...)
{
    char what[512], q[TRACE_QUOTE + 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    quote(q, r->line, r->len);
    return popi_err_set(POPI_EPARSE, "trace: %s:%zu: %s, in \"%s\"", r->path, r->lineno, what, q);
}

static popi_err_t reader_open(reader_t *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    errno = 0;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return popi_err_set(POPI_EIO, "trace: cannot open %s: %s", path,
                            errno ? strerror(errno) : "zlib could not open it");
    gzbuffer(r->gz, TRACE_CHUNK);
    r->chunk = popi_xmalloc(TRACE_CHUNK);
    return POPI_OK;
}

static void reader_close(reader_t *r)
{
    if (r->gz) gzclose(r->gz);
    free(r->chunk);
    free(r->line);
    memset(r, 0, sizeof *r);
}

static popi_err_t reader_fill(reader_t *r)
{
    int zerr = Z_OK;
    int n = gzread(r->gz, r->chunk, TRACE_CHUNK);
    if (n < 0) {
        const char *m = gzerror(r->gz, &zerr);
        return popi_err_set(POPI_EIO, "trace: cannot read %s after line %zu (%s)", r->path,
                            r->lineno, m);
    }
    if (n == 0) {
        const char *m = gzerror(r->gz, &zerr);
        /* Z_BUF_ERROR at the end: the gzip stream stopped in the middle (truncated file). */
        if (zerr == Z_BUF_ERROR)
            return popi_err_set(POPI_EIO, "trace: %s is a truncated gzip file (after line %zu)",
                                r->path, r->lineno);
        if (zerr != Z_OK)
            return popi_err_set(POPI_EIO, "trace: cannot read %s after line %zu (%s)", r->path,
                                r->lineno, m);
        r->eof = true;
    }
    r->chunk_len = (size_t)n;
    r->chunk_pos = 0;
    return POPI_OK;
}

/* Next line into r->line; *got is false at the end of the file. A last line without "\n" counts.
   Errors: POPI_EIO (read failure, truncated gzip), POPI_EPARSE (NUL byte in a line). */
static popi_err_t reader_next(reader_t *r, bool *got)
{
    bool any = false;
    r->len = 0;
    for (;;) {
        if (r->chunk_pos == r->chunk_len) {
            if (r->eof) break;
            popi_err_t e = reader_fill(r);
            if (e) return e;
            continue;
        }
        const unsigned char *p = r->chunk + r->chunk_pos;
        size_t avail = r->chunk_len - r->chunk_pos;
        const unsigned char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        POPI_GROW(r->line, r->cap, r->len + take + 1);
        memcpy(r->line + r->len, p, take);
        r->len += take;
        r->chunk_pos += take + (nl ? 1u : 0u);
        any = true;
        if (nl) break;
    }
    *got = any;
    if (!any) return POPI_OK;
    r->lineno++;
    POPI_GROW(r->line, r->cap, r->len + 1);
    if (r->len && r->line[r->len - 1] == '\r') r->len--;
    r->line[r->len] = '\0';
    if (memchr(r->line, '\0', r->len))
        return line_error(r, "NUL byte in a text line (binary file?)");
    return POPI_OK;
}

/* ---- fields ------------------------------------------------------------------------------ */

typedef struct {
    const char *s;
    size_t n;
} tok_t;

static bool is_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Split the line into at most max whitespace-separated tokens; returns how many were stored. */
static size_t split(const char *s, tok_t *tok, size_t max)
{
    size_t k = 0;
    while (k < max) {
        while (is_sep(*s))
            s++;
        if (!*s) break;
        tok[k].s = s;
        while (*s && !is_sep(*s))
            s++;
        tok[k].n = (size_t)(s - tok[k].s);
        k++;
    }
    return k;
}

/* True for a line that carries no record: empty, only blanks, or a '#' comment. */
static bool is_skipped(const char *s)
{
    while (is_sep(*s))
        s++;
    return *s == '\0' || *s == '#';
}

/* Tokens are views into a NUL-terminated line, so strtoll/strtod stop at the separator. */
static bool parse_i64(tok_t t, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(t.s, &end, 10);
    if (end != t.s + t.n || errno == ERANGE) return false;
    *out = (int64_t)v;
    return true;
}

static bool parse_real(tok_t t, double *out)
{
    char *end;
    double v = strtod(t.s, &end);
    if (end != t.s + t.n || !isfinite(v)) return false;
    *out = v;
    return true;
}

static bool tok_is(tok_t t, const char *word)
{
    return t.n == strlen(word) && memcmp(t.s, word, t.n) == 0;
}

/* Field count check shared by both formats: exactly `want` fields described by `layout`. */
static popi_err_t check_fields(const reader_t *r, const tok_t *tok, size_t ntok, size_t want,
                               const char *layout)
{
    char q[TRACE_QUOTE + 4];
    if (ntok < want)
        return line_error(r, "expected %zu fields `%s`, found %zu", want, layout, ntok);
    if (ntok > want) {
        quote(q, tok[want].s, tok[want].n);
        return line_error(r, "expected %zu fields `%s`, found an extra field \"%s\"", want, layout,
                          q);
    }
    return POPI_OK;
}

/* Parse agent ids a and b (fields named na, nb); rejects non-integers and a == b. */
static popi_err_t parse_pair(const reader_t *r, tok_t ta, tok_t tb, const char *na, const char *nb,
                             int64_t *a, int64_t *b)
{
    char q[TRACE_QUOTE + 4];
    if (!parse_i64(ta, a)) {
        quote(q, ta.s, ta.n);
        return line_error(r, "agent id %s must be a 64-bit integer, got \"%s\"", na, q);
    }
    if (!parse_i64(tb, b)) {
        quote(q, tb.s, tb.n);
        return line_error(r, "agent id %s must be a 64-bit integer, got \"%s\"", nb, q);
    }
    if (*a == *b) return line_error(r, "self-contact: %s == %s == %lld", na, nb, (long long)*a);
    if (*a > *b) {
        int64_t x = *a;
        *a = *b;
        *b = x;
    }
    return POPI_OK;
}

/* ---- raw intervals in original ids, and the common tail ---------------------------------- */

typedef struct {
    int64_t a, b;     /* original ids, a < b */
    popi_time_t s, e; /* µs in the file's time frame, s <= e */
} raw_t;

typedef struct {
    raw_t *v;
    size_t n, cap;
} raw_vec_t;

static void raw_push(raw_vec_t *rv, int64_t a, int64_t b, popi_time_t s, popi_time_t e)
{
    POPI_GROW(rv->v, rv->cap, rv->n + 1);
    rv->v[rv->n++] = (raw_t){a, b, s, e};
}

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

static uint32_t id_index(const int64_t *ids, size_t n, int64_t id)
{
    const int64_t *p = bsearch(&id, ids, n, sizeof *ids, cmp_i64);
    POPI_ASSERT(p != NULL);
    return (uint32_t)(p - ids);
}

/* Remap, shift and sort raw intervals into out (which is empty on entry). O(m log m). */
static popi_err_t finish(popi_trace_t *out, const raw_vec_t *rv, size_t n_records, const char *path)
{
    if (n_records == 0 || rv->n == 0)
        return popi_err_set(POPI_EINVAL, "trace: %s holds no records (only blank or comment lines)",
                            path);
    int64_t *ids = popi_xmalloc(2 * rv->n * sizeof *ids);
    popi_time_t t0 = rv->v[0].s, t1 = rv->v[0].e;
    for (size_t k = 0; k < rv->n; k++) {
        ids[2 * k] = rv->v[k].a;
        ids[2 * k + 1] = rv->v[k].b;
        if (rv->v[k].s < t0) t0 = rv->v[k].s;
        if (rv->v[k].e > t1) t1 = rv->v[k].e;
    }
    qsort(ids, 2 * rv->n, sizeof *ids, cmp_i64);
    size_t n = 0;
    for (size_t k = 0; k < 2 * rv->n; k++)
        if (n == 0 || ids[k] != ids[n - 1]) ids[n++] = ids[k];
    if (n > UINT32_MAX) {
        free(ids);
        return popi_err_set(POPI_EINVAL, "trace: %s has %zu agents, more than %u", path, n,
                            (unsigned)UINT32_MAX);
    }
    out->ids = popi_xrealloc(ids, n * sizeof *ids);
    out->n_agents = (uint32_t)n;
    out->n_records = n_records;
    out->t_offset = t0;
    out->t_end = t1 - t0;
    out->contacts.v = popi_xmalloc(rv->n * sizeof *out->contacts.v);
    out->contacts.cap = rv->n;
    for (size_t k = 0; k < rv->n; k++) {
        const raw_t *r = &rv->v[k];
        popi_contact_t c = {.t_start = r->s - t0,
                            .t_end = r->e - t0,
                            .i = id_index(out->ids, n, r->a),
                            .j = id_index(out->ids, n, r->b),
                            .rssi_dbm = NAN,
                            .d_min_m = NAN};
        popi_contact_vec_push(&out->contacts, &c);
    }
    popi_contact_vec_sort(&out->contacts);
    return POPI_OK;
}

/* ---- SocioPatterns ----------------------------------------------------------------------- */

typedef struct {
    int64_t a, b;  /* original ids, a < b */
    popi_time_t t; /* end of the window, µs */
} sp_rec_t;

static int cmp_sp(const void *pa, const void *pb)
{
    const sp_rec_t *x = pa, *y = pb;
    if (x->a != y->a) return (x->a > y->a) - (x->a < y->a);
    if (x->b != y->b) return (x->b > y->b) - (x->b < y->b);
    return (x->t > y->t) - (x->t < y->t);
}

static popi_err_t load_sociopatterns(reader_t *r, popi_time_t window, raw_vec_t *rv,
                                     size_t *n_records)
{
    sp_rec_t *rec = NULL;
    size_t n = 0, cap = 0;
    popi_err_t e = POPI_OK;
    char q[TRACE_QUOTE + 4];
    for (;;) {
        bool got;
        if ((e = reader_next(r, &got)) || !got) break;
        if (is_skipped(r->line)) continue;
        tok_t tok[4];
        size_t ntok = split(r->line, tok, 4);
        if ((e = check_fields(r, tok, ntok, 3, "t i j"))) break;
        int64_t t, a, b;
        if (!parse_i64(tok[0], &t)) {
            quote(q, tok[0].s, tok[0].n);
            e = line_error(r, "t must be an integer number of seconds, got \"%s\"", q);
            break;
        }
        if (t < 0) {
            e = line_error(r, "t must be >= 0 s, got %lld", (long long)t);
            break;
        }
        if ((double)t > TRACE_MAX_S) {
            e = line_error(r, "t must be <= %g s, got %lld", TRACE_MAX_S, (long long)t);
            break;
        }
        if ((e = parse_pair(r, tok[1], tok[2], "i", "j", &a, &b))) break;
        POPI_GROW(rec, cap, n + 1);
        rec[n++] = (sp_rec_t){a, b, t * POPI_US_PER_S};
    }
    if (!e) {
        /* Per pair in time order: a record whose window [t - w, t] touches the open interval
           (t - last <= w) extends it; otherwise the interval closes and a new one opens. */
        if (n > 1) qsort(rec, n, sizeof *rec, cmp_sp);
        for (size_t k = 0; k < n;) {
            popi_time_t first = rec[k].t, last = rec[k].t;
            size_t m = k + 1;
            for (; m < n && rec[m].a == rec[k].a && rec[m].b == rec[k].b; m++) {
                if (rec[m].t - last > window) {
                    raw_push(rv, rec[k].a, rec[k].b, first - window, last);
                    first = rec[m].t;
                }
                last = rec[m].t;
            }
            raw_push(rv, rec[k].a, rec[k].b, first - window, last);
            k = m;
        }
        *n_records = n;
    }
    free(rec);
    return e;
}

/* ---- ONE connectivity events ------------------------------------------------------------- */

typedef struct {
    int64_t a, b;
    popi_time_t up; /* start of the open interval, µs (valid while open) */
    bool used, open;
} pair_slot_t;

/* Open-addressing table (linear probing, power-of-two capacity, load <= 1/2), never shrinks. */
typedef struct {
    pair_slot_t *s;
    size_t n, cap;
} pair_map_t;

static size_t pair_hash(int64_t a, int64_t b)
{
    uint64_t h = (uint64_t)a * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)b;
    h ^= h >> 31;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 29;
    return (size_t)h;
}

static pair_slot_t *pair_map_get(pair_map_t *m, int64_t a, int64_t b)
{
    if (2 * (m->n + 1) > m->cap) {
        pair_map_t g = {popi_xcalloc(m->cap ? 2 * m->cap : 64, sizeof *g.s), m->n,
                        m->cap ? 2 * m->cap : 64};
        for (size_t k = 0; k < m->cap; k++) {
            if (!m->s[k].used) continue;
            size_t h = pair_hash(m->s[k].a, m->s[k].b) & (g.cap - 1);
            while (g.s[h].used)
                h = (h + 1) & (g.cap - 1);
            g.s[h] = m->s[k];
        }
        free(m->s);
        *m = g;
    }
    size_t h = pair_hash(a, b) & (m->cap - 1);
    while (m->s[h].used && (m->s[h].a != a || m->s[h].b != b))
        h = (h + 1) & (m->cap - 1);
    if (!m->s[h].used) {
        m->s[h] = (pair_slot_t){.a = a, .b = b, .used = true};
        m->n++;
    }
    return &m->s[h];
}

static popi_err_t load_one(reader_t *r, raw_vec_t *rv, size_t *n_records)
{
    pair_map_t map = {0};
    size_t n = 0;
    popi_time_t last = 0;
    popi_err_t e = POPI_OK;
    char q[TRACE_QUOTE + 4];
    for (;;) {
        bool got;
        if ((e = reader_next(r, &got)) || !got) break;
        if (is_skipped(r->line)) continue;
        tok_t tok[6];
        size_t ntok = split(r->line, tok, 6);
        if ((e = check_fields(r, tok, ntok, 5, "t CONN a b up|down"))) break;
        double ts;
        int64_t a, b;
        if (!parse_real(tok[0], &ts)) {
            quote(q, tok[0].s, tok[0].n);
            e = line_error(r, "t must be a finite number of seconds, got \"%s\"", q);
            break;
        }
        if (ts < 0) {
            e = line_error(r, "t must be >= 0 s, got %g", ts);
            break;
        }
        if (ts > TRACE_MAX_S) {
            e = line_error(r, "t must be <= %g s, got %g", TRACE_MAX_S, ts);
            break;
        }
        if (!tok_is(tok[1], "CONN")) {
            quote(q, tok[1].s, tok[1].n);
            e = line_error(r, "unknown ONE event keyword \"%s\" (expected CONN)", q);
            break;
        }
        if ((e = parse_pair(r, tok[2], tok[3], "a", "b", &a, &b))) break;
        bool up = tok_is(tok[4], "up");
        if (!up && !tok_is(tok[4], "down")) {
            quote(q, tok[4].s, tok[4].n);
            e = line_error(r, "connection state must be up or down, got \"%s\"", q);
            break;
        }
        popi_time_t t = popi_time_from_s(ts);
        if (n > 0 && t < last) {
            e = line_error(r,
                           "time decreases: t = %.6f s after %.6f s (ONE events must be in "
                           "time order)",
                           popi_time_to_s(t), popi_time_to_s(last));
            break;
        }
        pair_slot_t *p = pair_map_get(&map, a, b);
        if (up) {
            if (!p->open) { /* a repeated `up` while open is ignored */
                p->open = true;
                p->up = t;
            }
        } else {
            if (!p->open) {
                e = line_error(r, "`down` for pair (%lld, %lld) with no open `up`", (long long)a,
                               (long long)b);
                break;
            }
            raw_push(rv, a, b, p->up, t);
            p->open = false;
        }
        last = t;
        n++;
    }
    if (!e) {
        for (size_t k = 0; k < map.cap; k++)
            if (map.s[k].used && map.s[k].open)
                raw_push(rv, map.s[k].a, map.s[k].b, map.s[k].up, last);
        *n_records = n;
    }
    free(map.s);
    return e;
}

/* ---- public ------------------------------------------------------------------------------ */

popi_err_t popi_trace_load(popi_trace_t *t, const char *path, popi_trace_format_t format,
                           double window_s)
{
    POPI_ASSERT(t != NULL);
    memset(t, 0, sizeof *t);
    if (!path || !*path)
        return popi_err_set(POPI_EINVAL, "trace: trace.file must name a file, got an empty path");
    if (format != POPI_TRACE_SOCIOPATTERNS && format != POPI_TRACE_ONE)
        return popi_err_set(POPI_EINVAL,
                            "trace: trace.format must be sociopatterns (%d) or one (%d), got %d",
                            (int)POPI_TRACE_SOCIOPATTERNS, (int)POPI_TRACE_ONE, (int)format);
    if (!(window_s > 0) || !(window_s <= TRACE_MAX_S))
        return popi_err_set(POPI_EINVAL, "trace: trace.window_s must be in (0, %g] s, got %g",
                            TRACE_MAX_S, window_s);
    popi_time_t window = popi_time_from_s(window_s);
    if (window < 1)
        return popi_err_set(POPI_EINVAL, "trace: trace.window_s must be at least 1 µs, got %g s",
                            window_s);

    reader_t r;
    raw_vec_t rv = {0};
    size_t n_records = 0;
    popi_err_t e = reader_open(&r, path);
    if (!e)
        e = format == POPI_TRACE_SOCIOPATTERNS ? load_sociopatterns(&r, window, &rv, &n_records)
                                               : load_one(&r, &rv, &n_records);
    if (!e) e = finish(t, &rv, n_records, path);
    reader_close(&r);
    free(rv.v);
    if (e) popi_trace_destroy(t);
    return e;
}

void popi_trace_destroy(popi_trace_t *t)
{
    if (!t) return;
    free(t->ids);
    popi_contact_vec_destroy(&t->contacts);
    memset(t, 0, sizeof *t);
}

const char *popi_trace_format_name(popi_trace_format_t f)
{
    switch (f) {
    case POPI_TRACE_SOCIOPATTERNS:
        return "sociopatterns";
    case POPI_TRACE_ONE:
        return "one";
    }
    return "unknown";
}
