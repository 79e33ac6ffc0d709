/* SPDX-License-Identifier: MIT */
/*
 * test_trace.c - trace import (sim/trace.c) and the contact vector (sim/contact_vec.c).
 *
 * Hand-made traces in tests/traces/ with exact expected intervals (merging, gaps, out-of-order
 * lines, repeated `up`, still-open intervals), gzip and plain files giving identical results,
 * every error path with the path, line number and quoted text in the message, and the real SFHH
 * conference trace (data/traces/tij_SFHH.dat_.gz) whose published counts must come out exactly.
 */
#include "popi/trace.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define S(x) ((popi_time_t)((x)*1000000.0 + 0.5)) /* seconds (exact in µs here) -> µs */

static char *src_path(const char *rel)
{
    return popi_xstrdup(popi_test_src(rel));
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = popi_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Whole file as a string (test input only; aborts the test on failure). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t n = 0, cap = 0, k;
    char tmp[4096];
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0) {
        POPI_GROW(buf, cap, n + k + 1);
        memcpy(buf + n, tmp, k);
        n += k;
    }
    fclose(f);
    POPI_GROW(buf, cap, n + 1);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static void write_gz(const char *path, const char *data, size_t len)
{
    gzFile gz = gzopen(path, "wb");
    ck_assert_msg(gz != NULL, "gzopen %s", path);
    ck_assert_int_eq(gzwrite(gz, data, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(gz), Z_OK);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void check_contact(const popi_trace_t *t, size_t k, uint32_t i, uint32_t j, popi_time_t a,
                          popi_time_t b)
{
    ck_assert_uint_lt(k, t->contacts.n);
    const popi_contact_t *c = &t->contacts.v[k];
    ck_assert_msg(c->i == i && c->j == j && c->t_start == a && c->t_end == b,
                  "contact %zu: got (%u, %u) [%lld, %lld] us, want (%u, %u) [%lld, %lld] us", k,
                  c->i, c->j, (long long)c->t_start, (long long)c->t_end, i, j, (long long)a,
                  (long long)b);
    ck_assert(isnan(c->rssi_dbm));
    ck_assert(isnan(c->d_min_m));
}

static void check_same(const popi_trace_t *x, const popi_trace_t *y)
{
    ck_assert_uint_eq(x->n_agents, y->n_agents);
    ck_assert_uint_eq(x->n_records, y->n_records);
    ck_assert_int_eq(x->t_offset, y->t_offset);
    ck_assert_int_eq(x->t_end, y->t_end);
    ck_assert_uint_eq(x->contacts.n, y->contacts.n);
    for (uint32_t k = 0; k < x->n_agents; k++)
        ck_assert_int_eq(x->ids[k], y->ids[k]);
    for (size_t k = 0; k < x->contacts.n; k++) {
        const popi_contact_t *a = &x->contacts.v[k], *b = &y->contacts.v[k];
        ck_assert(a->i == b->i && a->j == b->j && a->t_start == b->t_start && a->t_end == b->t_end);
    }
}

static void check_empty(const popi_trace_t *t)
{
    ck_assert_uint_eq(t->n_agents, 0);
    ck_assert_ptr_null(t->ids);
    ck_assert_uint_eq(t->n_records, 0);
    ck_assert_ptr_null(t->contacts.v);
    ck_assert_uint_eq(t->contacts.n, 0);
}

/* Load must fail with `code`; the message must contain every non-NULL needle. */
static void expect_fail(const char *path, popi_trace_format_t fmt, double window, popi_err_t code,
                        const char *n1, const char *n2, const char *n3)
{
    popi_trace_t t = {0};
    popi_err_clear();
    popi_err_t e = popi_trace_load(&t, path, fmt, window);
    const char *msg = popi_err_message();
    ck_assert_msg(e == code, "%s: got %s (%s), want %s", path, popi_err_name(e), msg,
                  popi_err_name(code));
    const char *needles[3] = {n1, n2, n3};
    for (int k = 0; k < 3; k++)
        if (needles[k])
            ck_assert_msg(strstr(msg, needles[k]), "\"%s\" not in: %s", needles[k], msg);
    check_empty(&t);
    popi_trace_destroy(&t);
}

/* ---- contact vector ---------------------------------------------------------------------- */

START_TEST(test_contact_vec)
{
    popi_contact_vec_t v = {0};
    const popi_contact_t in[] = {
        {.t_start = 5, .t_end = 9, .i = 0, .j = 2}, {.t_start = 5, .t_end = 7, .i = 0, .j = 2},
        {.t_start = 5, .t_end = 6, .i = 0, .j = 1}, {.t_start = 1, .t_end = 8, .i = 3, .j = 4},
        {.t_start = 5, .t_end = 5, .i = 1, .j = 2}, {.t_start = -2, .t_end = 0, .i = 9, .j = 10},
    };
    for (int rep = 0; rep < 50; rep++) /* 300 pushes: several reallocations */
        for (size_t k = 0; k < sizeof in / sizeof *in; k++)
            popi_contact_vec_push(&v, &in[k]);
    ck_assert_uint_eq(v.n, 300);
    ck_assert_uint_ge(v.cap, v.n);
    popi_contact_vec_sort(&v);
    /* expected order: (-2,9,10,0) (1,3,4,8) (5,0,1,6) (5,0,2,7) (5,0,2,9) (5,1,2,5), 50 each */
    const int exp[6] = {5, 3, 2, 1, 0, 4};
    for (size_t k = 0; k < v.n; k++) {
        const popi_contact_t *c = &v.v[k], *w = &in[exp[k / 50]];
        ck_assert(c->t_start == w->t_start && c->i == w->i && c->j == w->j && c->t_end == w->t_end);
    }
    popi_contact_vec_destroy(&v);
    ck_assert_ptr_null(v.v);
    ck_assert_uint_eq(v.n, 0);
    ck_assert_uint_eq(v.cap, 0);
    popi_contact_vec_destroy(&v); /* twice is fine */
    popi_contact_vec_destroy(NULL);
    popi_contact_vec_sort(&v); /* empty */
    ck_assert_uint_eq(v.n, 0);
}
END_TEST

/* ---- good traces ------------------------------------------------------------------------- */

START_TEST(test_sociopatterns_small)
{
    char *p = src_path("tests/traces/sp_small.txt");
    popi_trace_t t = {0};
    ck_assert_msg(popi_trace_load(&t, p, POPI_TRACE_SOCIOPATTERNS, 20.0) == POPI_OK, "%s",
                  popi_err_message());
    ck_assert_uint_eq(t.n_records, 12);
    ck_assert_uint_eq(t.n_agents, 3);
    ck_assert_int_eq(t.ids[0], 2);
    ck_assert_int_eq(t.ids[1], 5);
    ck_assert_int_eq(t.ids[2], INT64_C(10000000000));
    /* earliest window starts at 90 - 20 = 70 s */
    ck_assert_int_eq(t.t_offset, S(70));
    ck_assert_uint_eq(t.contacts.n, 6);
    check_contact(&t, 0, 0, 2, S(0), S(20));    /* (2, X) 90, 90        -> [70, 90]   */
    check_contact(&t, 1, 1, 2, S(10), S(70));   /* (5, X) 100, 120, 140 -> [80, 140]  */
    check_contact(&t, 2, 0, 2, S(21), S(41));   /* (2, X) 111           -> [91, 111]  */
    check_contact(&t, 3, 1, 2, S(110), S(130)); /* (5, X) 200           -> [180, 200] */
    check_contact(&t, 4, 0, 1, S(170), S(240)); /* (2, 5) 260..310      -> [240, 310] */
    check_contact(&t, 5, 0, 1, S(241), S(261)); /* (2, 5) 331           -> [311, 331] */
    ck_assert_int_eq(t.t_end, S(261));
    popi_trace_destroy(&t);
    check_empty(&t);
    popi_trace_destroy(&t); /* twice is fine */
    popi_trace_destroy(NULL);

    /* A 30 s window bridges the 21 s gaps: (2, X) and (2, 5) become single intervals. */
    ck_assert(popi_trace_load(&t, p, POPI_TRACE_SOCIOPATTERNS, 30.0) == POPI_OK);
    ck_assert_int_eq(t.t_offset, S(60));
    ck_assert_uint_eq(t.contacts.n, 4);
    check_contact(&t, 0, 0, 2, S(0), S(51));    /* [60, 111]  */
    check_contact(&t, 1, 1, 2, S(10), S(80));   /* [70, 140]  */
    check_contact(&t, 2, 1, 2, S(110), S(140)); /* [170, 200] */
    check_contact(&t, 3, 0, 1, S(170), S(271)); /* [230, 331] */
    ck_assert_int_eq(t.t_end, S(271));
    popi_trace_destroy(&t);

    /* A 10.5 s window splits (5, X) at every 20 s step; fractional windows are exact in µs. */
    ck_assert(popi_trace_load(&t, p, POPI_TRACE_SOCIOPATTERNS, 10.5) == POPI_OK);
    ck_assert_int_eq(t.t_offset, S(79.5));
    ck_assert_uint_eq(t.contacts.n, 10); /* (2,X): 90, 111; (5,X): 4 records; (2,5): 260..331 */
    check_contact(&t, 0, 0, 2, S(0), S(10.5));  /* [79.5, 90] */
    check_contact(&t, 1, 1, 2, S(10), S(20.5)); /* [89.5, 100] */
    ck_assert_int_eq(t.t_end, S(331 - 79.5));
    popi_trace_destroy(&t);
    free(p);
}
END_TEST

START_TEST(test_one_small)
{
    char *p = src_path("tests/traces/one_small.txt");
    popi_trace_t t = {0};
    ck_assert_msg(popi_trace_load(&t, p, POPI_TRACE_ONE, 20.0) == POPI_OK, "%s",
                  popi_err_message());
    ck_assert_uint_eq(t.n_records, 11); /* the repeated `up` at 2.0 s counts */
    ck_assert_uint_eq(t.n_agents, 3);
    ck_assert_int_eq(t.ids[0], 1);
    ck_assert_int_eq(t.ids[1], 3);
    ck_assert_int_eq(t.ids[2], 4);
    ck_assert_int_eq(t.t_offset, S(0.5));
    ck_assert_uint_eq(t.contacts.n, 6);
    check_contact(&t, 0, 0, 1, S(0), S(1.75));    /* (1,3) [0.5, 2.25]; up at 2.0 ignored */
    check_contact(&t, 1, 0, 2, S(0.5), S(2.5));   /* (1,4) [1.0, 3.0] closed as "4 1 down" */
    check_contact(&t, 2, 0, 1, S(2.5), S(7.5));   /* (1,3) [3.0, open -> 8.0] */
    check_contact(&t, 3, 1, 2, S(4.0), S(7.5));   /* (3,4) [4.5, open -> 8.0] */
    check_contact(&t, 4, 0, 2, S(5.25), S(5.5));  /* (1,4) [5.75, 6.0] */
    check_contact(&t, 5, 0, 2, S(6.625), S(7.5)); /* (1,4) [7.125, 8.0] */
    ck_assert_int_eq(t.t_end, S(7.5));
    popi_trace_destroy(&t);
    /* window_s plays no role in ONE files */
    ck_assert(popi_trace_load(&t, p, POPI_TRACE_ONE, 1.0) == POPI_OK);
    ck_assert_uint_eq(t.contacts.n, 6);
    ck_assert_int_eq(t.t_end, S(7.5));
    popi_trace_destroy(&t);
    free(p);
}
END_TEST

/* gzip and plain files, LF and CRLF, with and without a final newline, give identical traces. */
static void check_variants(const char *rel, popi_trace_format_t fmt)
{
    char *p = src_path(rel), *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    size_t len;
    char *text = slurp(p, &len);
    popi_trace_t ref = {0}, t = {0};
    ck_assert(popi_trace_load(&ref, p, fmt, 20.0) == POPI_OK);

    char *gz = join(dir, "trace.gz"), *nogzname = join(dir, "trace.dat");
    write_gz(gz, text, len);
    ck_assert_msg(popi_trace_load(&t, gz, fmt, 20.0) == POPI_OK, "%s", popi_err_message());
    check_same(&ref, &t);
    popi_trace_destroy(&t);
    write_gz(nogzname, text, len); /* zlib detects gzip by its magic bytes, not the name */
    ck_assert(popi_trace_load(&t, nogzname, fmt, 20.0) == POPI_OK);
    check_same(&ref, &t);
    popi_trace_destroy(&t);

    /* CRLF line ends and no newline after the last line */
    char *crlf = popi_xmalloc(2 * len + 1);
    size_t m = 0;
    for (size_t k = 0; k < len; k++) {
        if (text[k] == '\n') crlf[m++] = '\r';
        crlf[m++] = text[k];
    }
    while (m && (crlf[m - 1] == '\n' || crlf[m - 1] == '\r'))
        m--;
    char *cp = join(dir, "crlf.txt");
    write_bytes(cp, crlf, m);
    ck_assert_msg(popi_trace_load(&t, cp, fmt, 20.0) == POPI_OK, "%s", popi_err_message());
    check_same(&ref, &t);
    popi_trace_destroy(&t);

    popi_trace_destroy(&ref);
    popi_test_rmdir(dir);
    free(cp);
    free(crlf);
    free(gz);
    free(nogzname);
    free(text);
    free(dir);
    free(p);
}

START_TEST(test_gzip_and_line_ends)
{
    check_variants("tests/traces/sp_small.txt", POPI_TRACE_SOCIOPATTERNS);
    check_variants("tests/traces/one_small.txt", POPI_TRACE_ONE);
}
END_TEST

/* Lines far longer than any read buffer (64 KiB chunks) are read whole, never split. */
START_TEST(test_long_lines)
{
    char *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    const size_t big = 200000;
    char *text = popi_xmalloc(3 * big + 200);
    size_t n = 0;
    /* line 1: a 200 kB comment that contains digits (if split, its tail would be parsed) */
    text[n++] = '#';
    for (size_t k = 0; k < big; k++)
        text[n++] = (char)('0' + k % 10);
    text[n++] = '\n';
    n += (size_t)sprintf(text + n, "100 1 2\n"); /* line 2 */
    /* line 3: fields separated by 200 kB of blanks, so the line spans several chunks */
    n += (size_t)sprintf(text + n, "120");
    for (size_t k = 0; k < big; k++)
        text[n++] = k % 2 ? ' ' : '\t';
    n += (size_t)sprintf(text + n, "2 1\n");
    n += (size_t)sprintf(text + n, "300 1 3\n"); /* line 4 */
    char *plain = join(dir, "long.txt"), *gz = join(dir, "long.gz");
    write_bytes(plain, text, n);
    write_gz(gz, text, n);
    const char *paths[2] = {plain, gz};
    for (int k = 0; k < 2; k++) {
        popi_trace_t t = {0};
        ck_assert_msg(popi_trace_load(&t, paths[k], POPI_TRACE_SOCIOPATTERNS, 20.0) == POPI_OK,
                      "%s", popi_err_message());
        ck_assert_uint_eq(t.n_records, 3);
        ck_assert_uint_eq(t.n_agents, 3);
        ck_assert_uint_eq(t.contacts.n, 2);
        check_contact(&t, 0, 0, 1, S(0), S(40));    /* [80, 120] */
        check_contact(&t, 1, 0, 2, S(200), S(220)); /* [280, 300] */
        popi_trace_destroy(&t);
    }

    /* line 5: a 200 kB malformed data line: EPARSE naming line 5, quote truncated with "..." */
    n += (size_t)sprintf(text + n, "400 1 ");
    for (size_t k = 0; k < big; k++)
        text[n++] = 'z';
    text[n++] = '\n';
    n += (size_t)sprintf(text + n, "500 1 2\n");
    write_bytes(plain, text, n);
    write_gz(gz, text, n);
    for (int k = 0; k < 2; k++) {
        char where[4200];
        snprintf(where, sizeof where, "%s:5:", paths[k]);
        expect_fail(paths[k], POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EPARSE, where,
                    "\"400 1 zzzzzzzzzz", "zzz...\"");
        ck_assert_uint_lt(strlen(popi_err_message()), 400);
    }
    popi_test_rmdir(dir);
    free(plain);
    free(gz);
    free(text);
    free(dir);
}
END_TEST

/* Edge cases: a record at t = 0 (negative offset), zero-length ONE intervals. */
START_TEST(test_edges)
{
    char *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char *f = join(dir, "edge.txt");
    popi_trace_t t = {0};

    ck_assert_int_eq(popi_test_write(f, "0 8 3\n"), 0);
    ck_assert(popi_trace_load(&t, f, POPI_TRACE_SOCIOPATTERNS, 20.0) == POPI_OK);
    ck_assert_int_eq(t.t_offset, -S(20)); /* the window [-20, 0] s starts before the file's 0 */
    ck_assert_uint_eq(t.contacts.n, 1);
    check_contact(&t, 0, 0, 1, S(0), S(20));
    ck_assert_int_eq(t.t_end, S(20));
    popi_trace_destroy(&t);

    /* up and down at the same instant, and an up on the last time: zero-length intervals */
    ck_assert_int_eq(popi_test_write(f, "10 CONN 1 2 up\n10 CONN 1 2 down\n12.5 CONN 2 3 up\n"), 0);
    ck_assert(popi_trace_load(&t, f, POPI_TRACE_ONE, 20.0) == POPI_OK);
    ck_assert_int_eq(t.t_offset, S(10));
    ck_assert_uint_eq(t.n_records, 3);
    ck_assert_uint_eq(t.contacts.n, 2);
    check_contact(&t, 0, 0, 1, S(0), S(0));
    check_contact(&t, 1, 1, 2, S(2.5), S(2.5));
    ck_assert_int_eq(t.t_end, S(2.5));
    popi_trace_destroy(&t);

    popi_test_rmdir(dir);
    free(f);
    free(dir);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------ */

typedef struct {
    const char *file;
    popi_trace_format_t fmt;
    popi_err_t code;
    int line;         /* expected line number in the message; 0: none */
    const char *what; /* part of the problem description */
    const char *text; /* part of the quoted line */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"sp_bad_missing.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 3, "expected 3 fields",
     "\"40 1\""},
    {"sp_bad_time.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 2, "integer number of seconds",
     "\"20.5 1 2\""},
    {"sp_bad_id.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 3, "agent id j", "\"40 1 abc\""},
    {"sp_bad_self.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 3, "self-contact: i == j == 7",
     "\"60 7 7\""},
    {"sp_bad_negative.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 3, "t must be >= 0 s",
     "\"-20 1 2\""},
    {"sp_bad_extra.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 1, "extra field \"extra\"",
     "\"20 1 2 extra\""},
    {"sp_bad_big.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 2,
     "t must be <=", "\"20000000000000 1 2\""},
    {"sp_bad_overflow.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 1, "64-bit integer",
     "99999999999999999999"},
    {"one_small.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EPARSE, 2, "expected 3 fields",
     "\"0.5 CONN 3 1 up\""},
    {"one_bad_down.txt", POPI_TRACE_ONE, POPI_EPARSE, 5, "`down` for pair (1, 2) with no open `up`",
     "\"4.0 CONN 1 2 down\""},
    {"one_bad_keyword.txt", POPI_TRACE_ONE, POPI_EPARSE, 3, "unknown ONE event keyword \"DISC\"",
     "\"3.0 DISC 1 2 down\""},
    {"one_bad_state.txt", POPI_TRACE_ONE, POPI_EPARSE, 1, "up or down, got \"sideways\"",
     "\"1.0 CONN 1 2 sideways\""},
    {"one_bad_decreasing.txt", POPI_TRACE_ONE, POPI_EPARSE, 2, "time decreases",
     "\"0.5 CONN 1 3 up\""},
    {"one_bad_self.txt", POPI_TRACE_ONE, POPI_EPARSE, 1, "self-contact: a == b == 5",
     "\"1.0 CONN 5 5 up\""},
    {"one_bad_negative.txt", POPI_TRACE_ONE, POPI_EPARSE, 2, "t must be >= 0 s",
     "\"-1.5 CONN 1 2 up\""},
    {"one_bad_missing.txt", POPI_TRACE_ONE, POPI_EPARSE, 1, "expected 5 fields",
     "\"1.0 CONN 1 2\""},
    {"one_bad_time.txt", POPI_TRACE_ONE, POPI_EPARSE, 1, "finite number of seconds, got \"x\"",
     "\"x CONN 1 2 up\""},
    {"one_bad_inf.txt", POPI_TRACE_ONE, POPI_EPARSE, 2, "finite number of seconds, got \"inf\"",
     "\"inf CONN 1 2 down\""},
    {"sp_small.txt", POPI_TRACE_ONE, POPI_EPARSE, 3, "expected 5 fields", "\"100 5 10000000000\""},
    {"empty.txt", POPI_TRACE_SOCIOPATTERNS, POPI_EINVAL, 0, "no records", NULL},
    {"empty.txt", POPI_TRACE_ONE, POPI_EINVAL, 0, "no records", NULL},
};

START_TEST(test_bad_files)
{
    const bad_case_t *b = &bad_cases[_i];
    char rel[256], where[4200];
    snprintf(rel, sizeof rel, "tests/traces/%s", b->file);
    char *p = src_path(rel);
    if (b->line)
        snprintf(where, sizeof where, "%s:%d: ", p, b->line);
    else
        snprintf(where, sizeof where, "%s ", p);
    expect_fail(p, b->fmt, 20.0, b->code, where, b->what, b->text);
    free(p);
}
END_TEST

START_TEST(test_io_errors)
{
    char *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char *missing = join(dir, "no-such-file.dat");
    expect_fail(missing, POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EIO, "cannot open", missing,
                "No such file");
    expect_fail(missing, POPI_TRACE_ONE, 20.0, POPI_EIO, missing, NULL, NULL);
    /* a folder opens but cannot be read */
    expect_fail(dir, POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EIO, "cannot read", dir, NULL);

    /* a gzip file cut in the middle: EIO, not a silently shorter trace */
    size_t len;
    char *p = src_path("tests/traces/sp_small.txt"), *text = slurp(p, &len);
    char *gz = join(dir, "cut.gz");
    write_gz(gz, text, len);
    char *bytes = slurp(gz, &len);
    write_bytes(gz, bytes, len / 2);
    expect_fail(gz, POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EIO, gz, "truncated gzip", NULL);

    /* a NUL byte inside a line (binary data): EPARSE with the line number */
    char *nul = join(dir, "nul.txt");
    write_bytes(nul, "20 1 2\n40 1\0 2\n", 15);
    char where[4200];
    snprintf(where, sizeof where, "%s:2:", nul);
    expect_fail(nul, POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EPARSE, where, "NUL byte", "\"40 1? 2\"");

    /* CRLF: the "\r" is not part of the quoted line */
    char *crlf = join(dir, "crlf.txt");
    write_bytes(crlf, "20 1 2\r\n40 1\r\n", 15);
    snprintf(where, sizeof where, "%s:2:", crlf);
    expect_fail(crlf, POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EPARSE, where, "found 2", "\"40 1\"");
    free(crlf);

    /* a file of zero bytes holds no records */
    char *zero = join(dir, "zero.txt");
    write_bytes(zero, "", 0);
    expect_fail(zero, POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EINVAL, zero, "no records", NULL);
    expect_fail(zero, POPI_TRACE_ONE, 20.0, POPI_EINVAL, zero, "no records", NULL);

    popi_test_rmdir(dir);
    free(zero);
    free(nul);
    free(bytes);
    free(gz);
    free(text);
    free(p);
    free(missing);
    free(dir);
}
END_TEST

START_TEST(test_bad_arguments)
{
    char *p = src_path("tests/traces/sp_small.txt");
    const double bad_w[] = {0.0, -20.0, NAN, INFINITY, 2e12, 1e-9};
    for (size_t k = 0; k < sizeof bad_w / sizeof *bad_w; k++) {
        expect_fail(p, POPI_TRACE_SOCIOPATTERNS, bad_w[k], POPI_EINVAL, "trace.window_s", NULL,
                    NULL);
        expect_fail(p, POPI_TRACE_ONE, bad_w[k], POPI_EINVAL, "trace.window_s", NULL, NULL);
    }
    expect_fail(p, (popi_trace_format_t)7, 20.0, POPI_EINVAL, "trace.format", "got 7", NULL);
    expect_fail(NULL, POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EINVAL, "trace.file", NULL, NULL);
    expect_fail("", POPI_TRACE_SOCIOPATTERNS, 20.0, POPI_EINVAL, "trace.file", NULL, NULL);
    ck_assert_str_eq(popi_trace_format_name(POPI_TRACE_SOCIOPATTERNS), "sociopatterns");
    ck_assert_str_eq(popi_trace_format_name(POPI_TRACE_ONE), "one");
    ck_assert_str_eq(popi_trace_format_name((popi_trace_format_t)7), "unknown");
    free(p);
}
END_TEST

/* ---- the real SFHH conference trace ------------------------------------------------------ */

typedef struct {
    uint64_t *v;
    size_t n, cap;
} keys_t;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    uint32_t i, j;
    popi_time_t s, e;
} pair_iv_t;

static int cmp_pair_iv(const void *pa, const void *pb)
{
    const pair_iv_t *x = pa, *y = pb;
    if (x->i != y->i) return (x->i > y->i) - (x->i < y->i);
    if (x->j != y->j) return (x->j > y->j) - (x->j < y->j);
    return (x->s > y->s) - (x->s < y->s);
}

START_TEST(test_sfhh)
{
    char *p = src_path("data/traces/tij_SFHH.dat_.gz");
    popi_trace_t t = {0};
    ck_assert_msg(popi_trace_load(&t, p, POPI_TRACE_SOCIOPATTERNS, 20.0) == POPI_OK, "%s",
                  popi_err_message());
    /* Published figures (data/traces/SFHH-README.md). */
    ck_assert_uint_eq(t.n_records, 70261);
    ck_assert_uint_eq(t.n_agents, 403);
    ck_assert_int_eq(t.ids[0], 1269); /* smallest and largest original id in the file */
    ck_assert_int_eq(t.ids[402], 1924);
    for (uint32_t k = 1; k < t.n_agents; k++)
        ck_assert_int_lt(t.ids[k - 1], t.ids[k]);

    /* The README's span, 114,300 s, is last t minus first t (32,520 s and 146,820 s). The first
       window starts 20 s before the first t, so t_offset = 32,500 s and the shifted end of the
       last interval is span + window = 114,320 s. */
    ck_assert_int_eq(t.t_offset, S(32500));
    ck_assert_int_eq(t.t_end, S(114300) + S(20));

    /* Merged intervals: 26,040. Obtained once with
         zcat tij_SFHH.dat_.gz | awk '{a=$2;b=$3;if(a>b){c=a;a=b;b=c} print a,b,$1}' \
           | sort -k1,1n -k2,2n -k3,3n \
           | awk '{k=$1" "$2; if(k!=pk || $3-pt>20) n++; pk=k; pt=$3} END{print n}'
       and recomputed below by a second algorithm. */
    ck_assert_uint_eq(t.contacts.n, 26040);

    size_t pairs = 0;
    popi_time_t total = 0;
    pair_iv_t *byp = popi_xmalloc(t.contacts.n * sizeof *byp);
    for (size_t k = 0; k < t.contacts.n; k++) {
        const popi_contact_t *c = &t.contacts.v[k];
        ck_assert(c->i < c->j && c->j < t.n_agents);
        ck_assert(c->t_start >= 0 && c->t_start < c->t_end && c->t_end <= t.t_end);
        ck_assert(isnan(c->rssi_dbm) && isnan(c->d_min_m));
        if (k) {
            const popi_contact_t *d = c - 1;
            ck_assert(d->t_start < c->t_start ||
                      (d->t_start == c->t_start && (d->i < c->i || (d->i == c->i && d->j < c->j))));
        }
        total += c->t_end - c->t_start;
        byp[k] = (pair_iv_t){c->i, c->j, c->t_start, c->t_end};
    }
    ck_assert_int_eq(t.contacts.v[0].t_start, 0);
    /* Every t is a multiple of 20 s and no line repeats, so merged windows only touch and the
       total contact time is exactly one window per record. */
    ck_assert_int_eq(total, (popi_time_t)70261 * S(20));
    qsort(byp, t.contacts.n, sizeof *byp, cmp_pair_iv);
    for (size_t k = 0; k < t.contacts.n; k++) {
        if (k == 0 || byp[k].i != byp[k - 1].i || byp[k].j != byp[k - 1].j) pairs++;
        /* two intervals of one pair are separated by a gap (else they would have been merged) */
        else
            ck_assert_int_gt(byp[k].s, byp[k - 1].e);
    }
    ck_assert_uint_eq(pairs, 9565); /* README: 9,565 distinct pairs */
    free(byp);

    /* Second algorithm, straight from the file: with all t multiples of 20 s, a record (pair, t)
       opens a new interval exactly when (pair, t - 20) is not a record. Keys pack (a, b, t / 20).
     */
    gzFile gz = gzopen(p, "rb");
    ck_assert_ptr_nonnull(gz);
    keys_t keys = {0};
    char line[256];
    size_t lines = 0;
    while (gzgets(gz, line, sizeof line)) {
        long long tt, a, b;
        ck_assert_int_eq(sscanf(line, "%lld %lld %lld", &tt, &a, &b), 3);
        if (a > b) {
            long long x = a;
            a = b;
            b = x;
        }
        ck_assert(tt % 20 == 0 && a >= 0 && b < (1 << 20) && tt / 20 < (1 << 20));
        POPI_GROW(keys.v, keys.cap, keys.n + 1);
        keys.v[keys.n++] = (uint64_t)a << 40 | (uint64_t)b << 20 | (uint64_t)(tt / 20);
        lines++;
    }
    gzclose(gz);
    ck_assert_uint_eq(lines, 70261);
    qsort(keys.v, keys.n, sizeof *keys.v, cmp_u64);
    size_t starts = 0, distinct_pairs = 0;
    for (size_t k = 0; k < keys.n; k++) {
        ck_assert(k == 0 || keys.v[k] != keys.v[k - 1]); /* no repeated line */
        uint64_t prev = keys.v[k] - 1;
        if ((keys.v[k] & 0xfffff) == 0 || !bsearch(&prev, keys.v, keys.n, sizeof prev, cmp_u64))
            starts++;
        if (k == 0 || keys.v[k] >> 20 != keys.v[k - 1] >> 20) distinct_pairs++;
    }
    ck_assert_uint_eq(distinct_pairs, 9565);
    ck_assert_uint_eq(starts, t.contacts.n);
    free(keys.v);
    popi_trace_destroy(&t);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_contact_vec);
    tcase_add_test(tc, test_sociopatterns_small);
    tcase_add_test(tc, test_one_small);
    tcase_add_test(tc, test_gzip_and_line_ends);
    tcase_add_test(tc, test_long_lines);
    tcase_add_test(tc, test_edges);
    tcase_add_loop_test(tc, test_bad_files, 0, (int)(sizeof bad_cases / sizeof *bad_cases));
    tcase_add_test(tc, test_io_errors);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_sfhh);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
