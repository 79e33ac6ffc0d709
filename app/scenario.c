/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - scenario loading, --set overrides, validation and documentation, all driven by
 * the parameter table of app/params.c (one row per key).
 *
 * A scenario file is a JSON object nested by the dots of the keys. The walker descends the JSON
 * tree with the dotted path of the current object: a member whose path is a table key is parsed
 * by the row's type and range; a member whose path is a prefix of keys ("world", "mobility.
 * stop_and_go") must be an object and is walked; anything else is an unknown key, reported with
 * the nearest valid key by edit distance. Invariant: after every successful or failed apply the
 * implicit defaults (fractions, crowd.density) agree with the explicit_set flags (finalize()).
 */
#include "popi/scenario.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_BUF 512                         /* longest dotted path handled */
#define EXACT_DOUBLE_INT 9007199254740992.0 /* 2^53: every integer up to it is a double */
#define EXACT_INT_MAX (UINT64_C(1) << 53)

/* Cross-key rules "lo <= hi"; both keys are DOUBLE rows. */
static const struct {
    const char *lo, *hi;
} pairs[] = {
    {"mobility.random_waypoint.speed_min_mps", "mobility.random_waypoint.speed_max_mps"},
    {"mobility.random_waypoint.pause_min_s", "mobility.random_waypoint.pause_max_s"},
    {"mobility.stop_and_go.speed_min_mps", "mobility.stop_and_go.speed_max_mps"},
    {"mobility.stop_and_go.pause_xmin_s", "mobility.stop_and_go.pause_max_s"},
    {"mobility.crowd_seeking.speed_min_mps", "mobility.crowd_seeking.speed_max_mps"},
    {"mobility.crowd_seeking.pause_min_s", "mobility.crowd_seeking.pause_max_s"},
    {"mobility.back_and_forth.speed_min_mps", "mobility.back_and_forth.speed_max_mps"},
    {"mobility.back_and_forth.pause_min_s", "mobility.back_and_forth.pause_max_s"},
    {"mobility.back_and_forth.distance_min_m", "mobility.back_and_forth.distance_max_m"},
    {"mobility.random_direction.speed_min_mps", "mobility.random_direction.speed_max_mps"},
    {"radio.scan_window_s", "radio.scan_interval_s"},
};

#define KEY_AGENTS "crowd.agents"
#define KEY_DENSITY "crowd.density"
#define KEY_OBSTACLES "world.obstacles"
#define FRACTION_PREFIX "mobility."
#define FRACTION_SUFFIX ".fraction"

/* ---- small helpers ------------------------------------------------------------------------ */

/* "scenario: <origin>: <message>" (origin may be NULL). */
static popi_err_t fail(popi_err_t code, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static popi_err_t fail(popi_err_t code, const char *origin, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (origin) return popi_err_set(code, "scenario: %s: %s", origin, msg);
    return popi_err_set(code, "scenario: %s", msg);
}

/* Shortest text that reads back as v, with a compact exponent ("1e8", "2.5e-5"). */
static const char *fmt_num(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (isfinite(v) && strtod(buf, NULL) != v) snprintf(buf, n, "%.17g", v);
    size_t len = strlen(buf), z = 0;
    if (!strpbrk(buf, ".en")) /* integral: 100000000 -> 1e8 when >= 6 trailing zeros */
        while (z + 1 < len && buf[len - 1 - z] == '0')
            z++;
    if (z >= 6 && len + 8 < n) {
        snprintf(buf + len - z, n - (len - z), "e%zu", z);
        return buf;
    }
    char *e = strchr(buf, 'e');
    if (e) { /* 1e+08 -> 1e8, 2.5e-05 -> 2.5e-5 */
        char *src = e + 1, *dst = e + 1;
        if (*src == '+')
            src++;
        else if (*src == '-')
            *dst++ = *src++;
        while (*src == '0' && src[1] != '\0')
            src++;
        memmove(dst, src, strlen(src) + 1);
    }
    return buf;
}

/* "[0, 10]", "(0, 1e8]" for numeric rows, "[0, 2^64-1]" for UINT64, "" otherwise. */
static const char *range_text(const popi_param_t *p, char *buf, size_t n)
{
    char a[32], b[32];
    switch (p->type) {
    case POPI_PARAM_INT:
    case POPI_PARAM_INT64:
    case POPI_PARAM_DOUBLE:
        snprintf(buf, n, "%c%s, %s%c", p->min_open ? '(' : '[', fmt_num(a, sizeof a, p->min),
                 fmt_num(b, sizeof b, p->max), p->max_open ? ')' : ']');
        break;
    case POPI_PARAM_UINT64:
        snprintf(buf, n, "[0, 2^64-1]");
        break;
    default:
        buf[0] = '\0';
        break;
    }
    return buf;
}

static bool in_range(const popi_param_t *p, double v)
{
    if (!(p->min_open ? v > p->min : v >= p->min)) return false;
    if (!(p->max_open ? v < p->max : v <= p->max)) return false;
    return true;
}

static void *field(popi_scenario_t *s, const popi_param_t *p)
{
    return (char *)s + p->offset;
}
static const void *cfield(const popi_scenario_t *s, const popi_param_t *p)
{
    return (const char *)s + p->offset;
}

/* Short printable form of a JSON value for messages (numbers keep inf/nan visible). */
static const char *json_brief(const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsNumber(v)) return fmt_num(buf, n, v->valuedouble);
    char *t = cJSON_PrintUnformatted(v);
    POPI_ASSERT(t != NULL && "cJSON allocation");
    if (strlen(t) + 1 > n) {
        memcpy(buf, t, n - 4);
        memcpy(buf + n - 4, "...", 4);
    } else {
        memcpy(buf, t, strlen(t) + 1);
    }
    cJSON_free(t);
    return buf;
}

static size_t levenshtein(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > KEY_BUF) na = KEY_BUF;
    if (nb > KEY_BUF) nb = KEY_BUF;
    size_t prev[KEY_BUF + 1], cur[KEY_BUF + 1];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (nb + 1) * sizeof prev[0]);
    }
    return prev[nb];
}

static const char *last_component(const char *k)
{
    const char *d = strrchr(k, '.');
    return d ? d + 1 : k;
}

/* True if some key continues @p path with a dot: path names a group of keys. */
static bool is_group(const char *path, size_t len)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    for (size_t i = 0; i < n; i++)
        if (strncmp(t[i].key, path, len) == 0 && t[i].key[len] == '.') return true;
    return false;
}

/*
 * The valid key or group nearest to @p path: candidates whose last component equals the path's
 * last component win ("density" -> "crowd.density"); otherwise the smallest edit distance over
 * every key and every group, the first in table order on ties. Writes into buf.
 */
static const char *suggest(const char *path, char *buf, size_t bufn)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    const char *leaf = last_component(path);
    size_t best = SIZE_MAX;
    bool best_leaf = false;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        /* the key itself and each of its group prefixes */
        const char *k = t[i].key;
        for (const char *d = k;; d++) {
            if (*d != '.' && *d != '\0') continue;
            size_t len = (size_t)(d - k);
            char cand[KEY_BUF];
            if (len >= sizeof cand) break;
            memcpy(cand, k, len);
            cand[len] = '\0';
            bool leaf_eq = strcmp(last_component(cand), leaf) == 0;
            size_t dist = levenshtein(path, cand);
            if ((leaf_eq && !best_leaf) || (leaf_eq == best_leaf && dist < best)) {
                best = dist;
                best_leaf = leaf_eq;
                snprintf(buf, bufn, "%s", cand);
            }
            if (*d == '\0') break;
        }
    }
    return buf;
}

static popi_err_t unknown_key(const char *path, const char *origin)
{
    char sug[KEY_BUF];
    return fail(POPI_EINVAL, origin, "unknown key $.%s; did you mean %s?", path,
                suggest(path, sug, sizeof sug));
}

static void ensure_explicit(popi_scenario_t *s)
{
    size_t n;
    popi_scenario_params(&n);
    if (!s->explicit_set) s->explicit_set = popi_xcalloc(n, 1);
}

static bool is_fraction_key(const char *k)
{
    size_t lk = strlen(k), lp = strlen(FRACTION_PREFIX), ls = strlen(FRACTION_SUFFIX);
    return lk > lp + ls && strncmp(k, FRACTION_PREFIX, lp) == 0 &&
           strcmp(k + lk - ls, FRACTION_SUFFIX) == 0;
}

/*
 * Implicit defaults that depend on what was set explicitly:
 *  - mobility fractions: the table defaults while none is explicit; unset ones are 0 otherwise;
 *  - crowd.density: unless explicit, 0 while crowd.agents > 0 (unused), else the table default.
 */
static void finalize(popi_scenario_t *s)
{
    if (!s->explicit_set) return;
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        if (is_fraction_key(t[i].key) && s->explicit_set[i]) any = true;
    for (size_t i = 0; i < n; i++)
        if (is_fraction_key(t[i].key) && !s->explicit_set[i])
            *(double *)field(s, &t[i]) = any ? 0.0 : t[i].dflt;
    size_t ia, id;
    const popi_param_t *pa = popi_scenario_param_find(KEY_AGENTS, &ia);
    const popi_param_t *pd = popi_scenario_param_find(KEY_DENSITY, &id);
    POPI_ASSERT(pa && pd && pa->type == POPI_PARAM_INT64 && pd->type == POPI_PARAM_DOUBLE);
    if (!s->explicit_set[id])
        *(double *)field(s, pd) = *(const int64_t *)cfield(s, pa) > 0 ? 0.0 : pd->dflt;
}

/* ---- applying one value ------------------------------------------------------------------- */

static popi_err_t parse_rects(const popi_param_t *p, const cJSON *v, const char *path,
                              const char *origin, popi_rect_t **out, size_t *out_n)
{
    char got[96];
    if (!cJSON_IsArray(v))
        return fail(POPI_EINVAL, origin,
                    "%s must be an array of [x0, y0, x1, y1] rectangles, got %s at $.%s", p->key,
                    json_brief(v, got, sizeof got), path);
    size_t n = (size_t)cJSON_GetArraySize(v), k = 0;
    popi_rect_t *r = popi_xcalloc(n, sizeof *r);
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 4) {
            free(r);
            return fail(POPI_EINVAL, origin,
                        "%s[%zu] must be [x0, y0, x1, y1] (4 numbers), got %s at $.%s[%zu]", p->key,
                        k, json_brief(e, got, sizeof got), path, k);
        }
        double c[4];
        int m = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, e)
        {
            if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
                free(r);
                return fail(POPI_EINVAL, origin,
                            "%s[%zu][%d] must be a finite number (m), got %s at $.%s[%zu][%d]",
                            p->key, k, m, json_brief(x, got, sizeof got), path, k, m);
            }
            c[m++] = x->valuedouble;
        }
        if (!(c[0] < c[2]) || !(c[1] < c[3])) {
            free(r);
            return fail(POPI_EINVAL, origin,
                        "%s[%zu] must have x0 < x1 and y0 < y1, got %s at $.%s[%zu]", p->key, k,
                        json_brief(e, got, sizeof got), path, k);
        }
        r[k++] = (popi_rect_t){c[0], c[1], c[2], c[3]};
    }
    *out = r;
    *out_n = n;
    return POPI_OK;
}

/* A decimal string of digits only, fitting uint64_t. */
static bool parse_u64_text(const char *t, uint64_t *out)
{
    if (!t || !*t || strlen(t) > 20) return false;
    for (const char *c = t; *c; c++)
        if (*c < '0' || *c > '9') return false;
    errno = 0;
    unsigned long long v = strtoull(t, NULL, 10);
    if (errno == ERANGE) return false;
    *out = (uint64_t)v;
    return true;
}

/* Parse JSON value @p v for table row @p idx and store it; @p path is the dotted JSON path. */
static popi_err_t apply_value(popi_scenario_t *s, size_t idx, const cJSON *v, const char *path,
                              const char *origin)
{
    size_t n;
    const popi_param_t *p = &popi_scenario_params(&n)[idx];
    char got[96], rng[80];
    void *f = field(s, p);
    switch (p->type) {
    case POPI_PARAM_BOOL:
        if (!cJSON_IsBool(v))
            return fail(POPI_EINVAL, origin, "%s must be true or false, got %s at $.%s", p->key,
                        json_brief(v, got, sizeof got), path);
        *(bool *)f = cJSON_IsTrue(v) != 0;
        break;
    case POPI_PARAM_INT:
    case POPI_PARAM_INT64:
    case POPI_PARAM_DOUBLE: {
        bool integer = p->type != POPI_PARAM_DOUBLE;
        if (!cJSON_IsNumber(v))
            return fail(POPI_EINVAL, origin, "%s must be %s, got %s at $.%s", p->key,
                        integer ? "an integer" : "a number", json_brief(v, got, sizeof got), path);
        double x = v->valuedouble;
        if (integer && isfinite(x) && x != floor(x))
            return fail(POPI_EINVAL, origin, "%s must be an integer, got %s at $.%s", p->key,
                        json_brief(v, got, sizeof got), path);
        if (!in_range(p, x))
            return fail(POPI_EINVAL, origin, "%s must be in %s%s%s, got %s at $.%s", p->key,
                        range_text(p, rng, sizeof rng), *p->unit ? " " : "", p->unit,
                        json_brief(v, got, sizeof got), path);
        if (p->type == POPI_PARAM_INT)
            *(int *)f = (int)x;
        else if (p->type == POPI_PARAM_INT64)
            *(int64_t *)f = (int64_t)x;
        else
            *(double *)f = x;
        break;
    }
    case POPI_PARAM_UINT64: {
        uint64_t u = 0;
        bool ok;
        if (cJSON_IsNumber(v)) {
            double x = v->valuedouble;
            ok = x >= 0 && x <= EXACT_DOUBLE_INT && x == floor(x);
            if (ok) u = (uint64_t)x;
        } else {
            ok = cJSON_IsString(v) && parse_u64_text(v->valuestring, &u);
        }
        if (!ok)
            return fail(POPI_EINVAL, origin,
                        "%s must be an integer in [0, 2^64-1] (a number up to 2^53, or a decimal "
                        "string), got %s at $.%s",
                        p->key, json_brief(v, got, sizeof got), path);
        *(uint64_t *)f = u;
        break;
    }
    case POPI_PARAM_STRING:
    case POPI_PARAM_PATH: {
        if (!cJSON_IsString(v))
            return fail(POPI_EINVAL, origin, "%s must be a string, got %s at $.%s", p->key,
                        json_brief(v, got, sizeof got), path);
        char **sp = f;
        free(*sp);
        *sp = (p->type == POPI_PARAM_PATH && v->valuestring[0] == '\0')
                  ? NULL
                  : popi_xstrdup(v->valuestring);
        break;
    }
    case POPI_PARAM_ENUM: {
        int k = -1;
        if (cJSON_IsString(v))
            for (int i = 0; p->names[i]; i++)
                if (strcmp(p->names[i], v->valuestring) == 0) k = i;
        if (k < 0) {
            char names[256] = "";
            size_t used = 0;
            for (int i = 0; p->names[i]; i++) {
                int w = snprintf(names + used, sizeof names - used, "%s\"%s\"", i ? ", " : "",
                                 p->names[i]);
                if (w < 0 || (size_t)w >= sizeof names - used) break;
                used += (size_t)w;
            }
            return fail(POPI_EINVAL, origin, "%s must be one of %s, got %s at $.%s", p->key, names,
                        json_brief(v, got, sizeof got), path);
        }
        *(int *)f = k;
        break;
    }
    case POPI_PARAM_RECTS: {
        popi_rect_t *r = NULL;
        size_t nr = 0;
        popi_err_t err = parse_rects(p, v, path, origin, &r, &nr);
        if (err) return err;
        popi_rect_t **rp = f;
        free(*rp);
        *rp = r;
        *(size_t *)((char *)s + p->offset_n) = nr;
        break;
    }
    }
    ensure_explicit(s);
    s->explicit_set[idx] = 1;
    return POPI_OK;
}

/* Walk a JSON object whose dotted path is @p prefix ("" for the root). */
static popi_err_t apply_object(popi_scenario_t *s, const cJSON *obj, const char *prefix,
                               const char *origin)
{
    char got[96];
    for (const cJSON *c = obj->child; c; c = c->next) {
        const char *name = c->string ? c->string : "";
        char path[KEY_BUF];
        if (!*name || strchr(name, '.'))
            return fail(POPI_EINVAL, origin,
                        "key names must be non-empty and contain no '.' (nest objects instead), "
                        "got \"%s\" at $%s%s",
                        name, *prefix ? "." : "", prefix);
        int len = snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", name);
        if (len < 0 || (size_t)len >= sizeof path) return unknown_key(path, origin);
        for (const cJSON *d = obj->child; d != c; d = d->next)
            if (strcmp(d->string, name) == 0)
                return fail(POPI_EINVAL, origin, "duplicate key $.%s", path);
        size_t idx;
        if (popi_scenario_param_find(path, &idx)) {
            popi_err_t err = apply_value(s, idx, c, path, origin);
            if (err) return err;
        } else if (is_group(path, (size_t)len)) {
            if (!cJSON_IsObject(c))
                return fail(POPI_EINVAL, origin,
                            "$.%s must be an object holding the keys %s.*, got %s", path, path,
                            json_brief(c, got, sizeof got));
            popi_err_t err = apply_object(s, c, path, origin);
            if (err) return err;
        } else {
            return unknown_key(path, origin);
        }
    }
    return POPI_OK;
}

/* EPARSE message with line and column of byte offset @p off of @p text. */
static popi_err_t parse_error(const char *text, size_t off, const char *origin, const char *what)
{
    size_t len = strlen(text);
    if (off > len) off = len;
    int line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    bool blank = true;
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", text[i])) blank = false;
    if (blank)
        return fail(POPI_EPARSE, origin, "invalid JSON%s at line %d, column %d: empty input", what,
                    line, col);
    if (off == len)
        return fail(POPI_EPARSE, origin,
                    "invalid JSON%s at line %d, column %d: unexpected end of input", what, line,
                    col);
    char near[24];
    size_t k = 0;
    for (size_t i = off; i < len && k < 20 && text[i] != '\n' && text[i] != '\r'; i++)
        near[k++] = (unsigned char)text[i] < 32 ? '?' : text[i];
    near[k] = '\0';
    if (k == 0) { /* at the end of a line: show the line instead */
        size_t b = off;
        while (b > 0 && text[b - 1] != '\n')
            b--;
        while (b < off && (text[b] == ' ' || text[b] == '\t'))
            b++;
        for (size_t i = b; i < off && k < 20; i++)
            near[k++] = (unsigned char)text[i] < 32 ? '?' : text[i];
        near[k] = '\0';
    }
    return fail(POPI_EPARSE, origin, "invalid JSON%s at line %d, column %d near '%s'", what, line,
                col, near);
}

/* Parse a whole JSON text (no trailing garbage). NULL on failure with the error set. */
static cJSON *parse_json(const char *text, const char *origin, const char *what, popi_err_t *err)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        *err = parse_error(text, off, origin, what);
    }
    return root;
}

/* ---- public API --------------------------------------------------------------------------- */

const popi_param_t *popi_scenario_param_find(const char *key, size_t *index)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    if (!key) return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].key, key) == 0) {
            if (index) *index = i;
            return &t[i];
        }
    return NULL;
}

void popi_scenario_defaults(popi_scenario_t *s)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        const popi_param_t *p = &t[i];
        void *f = field(s, p);
        switch (p->type) {
        case POPI_PARAM_BOOL:
            *(bool *)f = p->dflt != 0;
            break;
        case POPI_PARAM_INT:
            *(int *)f = (int)p->dflt;
            break;
        case POPI_PARAM_INT64:
            *(int64_t *)f = (int64_t)p->dflt;
            break;
        case POPI_PARAM_UINT64:
            *(uint64_t *)f = (uint64_t)p->dflt;
            break;
        case POPI_PARAM_DOUBLE:
            *(double *)f = p->dflt;
            break;
        case POPI_PARAM_STRING:
            *(char **)f = popi_xstrdup(p->dflt_str ? p->dflt_str : "");
            break;
        case POPI_PARAM_PATH:
            *(char **)f = (p->dflt_str && *p->dflt_str) ? popi_xstrdup(p->dflt_str) : NULL;
            break;
        case POPI_PARAM_ENUM:
            *(int *)f = (int)p->dflt;
            break;
        case POPI_PARAM_RECTS:
            *(popi_rect_t **)f = NULL;
            *(size_t *)((char *)s + p->offset_n) = 0;
            break;
        }
    }
    s->explicit_set = popi_xcalloc(n, 1);
    s->base_dir = popi_xstrdup(".");
    finalize(s);
}

void popi_scenario_destroy(popi_scenario_t *s)
{
    if (!s) return;
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    for (size_t i = 0; i < n; i++) {
        const popi_param_t *p = &t[i];
        if (p->type == POPI_PARAM_STRING || p->type == POPI_PARAM_PATH ||
            p->type == POPI_PARAM_RECTS)
            free(*(void **)field(s, p));
    }
    free(s->explicit_set);
    free(s->base_dir);
    memset(s, 0, sizeof *s);
}

popi_err_t popi_scenario_apply_json(popi_scenario_t *s, const char *text, const char *origin)
{
    if (!text) return fail(POPI_EINVAL, origin, "no JSON text given");
    popi_err_t err = POPI_OK;
    cJSON *root = parse_json(text, origin, "", &err);
    if (!root) return err;
    if (!cJSON_IsObject(root)) {
        char got[96];
        err = fail(POPI_EINVAL, origin, "the top level must be a JSON object {...}, got %s at $",
                   json_brief(root, got, sizeof got));
        goto cleanup;
    }
    ensure_explicit(s);
    err = apply_object(s, root, "", origin);
    finalize(s);
cleanup:
    cJSON_Delete(root);
    return err;
}

popi_err_t popi_scenario_load_file(popi_scenario_t *s, const char *path)
{
    if (!path) return fail(POPI_EINVAL, NULL, "no scenario file name given");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    popi_err_t err = POPI_OK;
    FILE *f = fopen(path, "rb");
    if (!f) return fail(POPI_EIO, NULL, "cannot open %s: %s", path, strerror(errno));
    for (;;) {
        POPI_GROW(buf, cap, len + 4096);
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        err = fail(POPI_EIO, NULL, "cannot read %s: %s", path, strerror(errno));
        goto cleanup;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        err = fail(POPI_EPARSE, path, "invalid JSON: NUL byte at offset %zu", strlen(buf));
        goto cleanup;
    }
    /* base_dir: everything before the last '/', "/" for files at the root, "." for none */
    const char *slash = strrchr(path, '/');
    free(s->base_dir);
    if (!slash) {
        s->base_dir = popi_xstrdup(".");
    } else {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);
        s->base_dir = popi_xmalloc(dl + 1);
        memcpy(s->base_dir, path, dl);
        s->base_dir[dl] = '\0';
    }
    err = popi_scenario_apply_json(s, buf, path);
cleanup:
    fclose(f);
    free(buf);
    return err;
}

popi_err_t popi_scenario_set(popi_scenario_t *s, const char *assignment)
{
    static const char origin[] = "--set";
    if (!assignment) return fail(POPI_EINVAL, origin, "no assignment given");
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return fail(POPI_EINVAL, origin, "expected key=value, got \"%s\"", assignment);
    char key[KEY_BUF];
    size_t kl = (size_t)(eq - assignment);
    if (kl >= sizeof key) kl = sizeof key - 1;
    memcpy(key, assignment, kl);
    key[kl] = '\0';
    const char *val = eq + 1;

    popi_err_t err = POPI_OK;
    cJSON *item = NULL;
    size_t idx;
    const popi_param_t *p = popi_scenario_param_find(key, &idx);
    ensure_explicit(s);
    if (p) {
        switch (p->type) {
        case POPI_PARAM_BOOL:
            if (strcmp(val, "true") == 0)
                item = cJSON_CreateTrue();
            else if (strcmp(val, "false") == 0)
                item = cJSON_CreateFalse();
            else
                item = cJSON_CreateString(val);
            break;
        case POPI_PARAM_INT:
        case POPI_PARAM_INT64:
        case POPI_PARAM_DOUBLE: {
            char *end = NULL;
            double x = *val && !strchr(" \t\n", *val) ? strtod(val, &end) : 0.0;
            item = (end && end != val && *end == '\0') ? cJSON_CreateNumber(x)
                                                       : cJSON_CreateString(val);
            break;
        }
        case POPI_PARAM_UINT64:
        case POPI_PARAM_STRING:
        case POPI_PARAM_PATH:
        case POPI_PARAM_ENUM:
            item = cJSON_CreateString(val);
            break;
        case POPI_PARAM_RECTS: {
            char what[KEY_BUF + 32];
            snprintf(what, sizeof what, " in the value of %s", p->key);
            item = parse_json(val, origin, what, &err);
            if (!item) return err;
            break;
        }
        }
        POPI_ASSERT(item != NULL && "cJSON allocation");
        err = apply_value(s, idx, item, key, origin);
    } else if (is_group(key, strlen(key))) {
        char what[KEY_BUF + 32];
        snprintf(what, sizeof what, " in the value of %s", key);
        item = parse_json(val, origin, what, &err);
        if (!item) return err;
        if (!cJSON_IsObject(item)) {
            char got[96];
            err = fail(POPI_EINVAL, origin, "$.%s must be an object holding the keys %s.*, got %s",
                       key, key, json_brief(item, got, sizeof got));
            goto cleanup;
        }
        err = apply_object(s, item, key, origin);
    } else {
        return unknown_key(key, origin);
    }
cleanup:
    finalize(s);
    cJSON_Delete(item);
    return err;
}

popi_err_t popi_scenario_validate(const popi_scenario_t *s)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    char a[32], b[32], rng[80];

    /* every key on its own */
    for (size_t i = 0; i < n; i++) {
        const popi_param_t *p = &t[i];
        const void *f = cfield(s, p);
        double x;
        switch (p->type) {
        case POPI_PARAM_INT:
            x = *(const int *)f;
            break;
        case POPI_PARAM_INT64:
            x = (double)*(const int64_t *)f;
            break;
        case POPI_PARAM_DOUBLE:
            x = *(const double *)f;
            break;
        case POPI_PARAM_ENUM: {
            int k = *(const int *)f, m = 0;
            while (p->names[m])
                m++;
            if (k < 0 || k >= m)
                return fail(POPI_EINVAL, NULL,
                            "%s must name one of %d values, got index %d at $.%s", p->key, m, k,
                            p->key);
            continue;
        }
        case POPI_PARAM_RECTS: {
            const popi_rect_t *r = *(popi_rect_t *const *)f;
            size_t nr = *(const size_t *)((const char *)s + p->offset_n);
            for (size_t k = 0; k < nr; k++)
                if (!(r[k].x0 < r[k].x1) || !(r[k].y0 < r[k].y1) || !isfinite(r[k].x0) ||
                    !isfinite(r[k].x1) || !isfinite(r[k].y0) || !isfinite(r[k].y1))
                    return fail(POPI_EINVAL, NULL,
                                "%s[%zu] must have finite x0 < x1 and y0 < y1 at $.%s[%zu]", p->key,
                                k, p->key, k);
            continue;
        }
        default:
            continue;
        }
        if (!in_range(p, x))
            return fail(POPI_EINVAL, NULL, "%s must be in %s%s%s, got %s at $.%s", p->key,
                        range_text(p, rng, sizeof rng), *p->unit ? " " : "", p->unit,
                        fmt_num(a, sizeof a, x), p->key);
    }

    /* crowd: exactly one of agents > 0 and density > 0 */
    size_t id = 0;
    const popi_param_t *pdens = popi_scenario_param_find(KEY_DENSITY, &id);
    POPI_ASSERT(pdens != NULL);
    bool density_explicit = s->explicit_set && s->explicit_set[id];
    if (s->agents > 0 && s->density > 0 && density_explicit)
        return fail(POPI_EINVAL, NULL,
                    "crowd.agents (%" PRId64 ") and crowd.density (%s) are both set; give only one",
                    s->agents, fmt_num(a, sizeof a, s->density));
    if (s->agents == 0 && !(s->density > 0))
        return fail(POPI_EINVAL, NULL,
                    "crowd.density must be > 0 when crowd.agents is 0, got %s at $.crowd.density",
                    fmt_num(a, sizeof a, s->density));

    /* mobility fractions sum to 1 */
    double sum = 0;
    char keys[600] = "", vals[200] = "";
    size_t uk = 0, uv = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_fraction_key(t[i].key)) continue;
        double v = *(const double *)cfield(s, &t[i]);
        sum += v;
        int w = snprintf(keys + uk, sizeof keys - uk, "%s%s", uk ? " + " : "", t[i].key);
        if (w > 0 && (size_t)w < sizeof keys - uk) uk += (size_t)w;
        w = snprintf(vals + uv, sizeof vals - uv, "%s%s", uv ? " + " : "", fmt_num(a, sizeof a, v));
        if (w > 0 && (size_t)w < sizeof vals - uv) uv += (size_t)w;
    }
    if (!(fabs(sum - 1.0) <= 1e-9))
        return fail(POPI_EINVAL, NULL, "%s must sum to 1, got %s (%s)", keys,
                    fmt_num(b, sizeof b, sum), vals);

    /* min <= max pairs */
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const popi_param_t *lo = popi_scenario_param_find(pairs[i].lo, NULL);
        const popi_param_t *hi = popi_scenario_param_find(pairs[i].hi, NULL);
        POPI_ASSERT(lo && hi && lo->type == POPI_PARAM_DOUBLE && hi->type == POPI_PARAM_DOUBLE);
        double vl = *(const double *)cfield(s, lo), vh = *(const double *)cfield(s, hi);
        if (!(vl <= vh))
            return fail(POPI_EINVAL, NULL, "%s (%s) must be <= %s (%s)", lo->key,
                        fmt_num(a, sizeof a, vl), hi->key, fmt_num(b, sizeof b, vh));
    }

    /* a partition needs a time window */
    if (s->net.partition_fraction > 0 && !(s->net.partition_start_s < s->net.partition_end_s))
        return fail(POPI_EINVAL, NULL,
                    "net.partition_start_s (%s) must be < net.partition_end_s (%s) when "
                    "net.partition_fraction > 0",
                    fmt_num(a, sizeof a, s->net.partition_start_s),
                    fmt_num(b, sizeof b, s->net.partition_end_s));

    /* rectangles inside the world (the map, when given, sets the size instead) */
    if (!s->world.map_file) {
        for (size_t k = 0; k < s->world.n_obstacles; k++) {
            const popi_rect_t *r = &s->world.obstacles[k];
            if (r->x0 < 0 || r->y0 < 0 || r->x1 > s->world.width_m || r->y1 > s->world.height_m) {
                char c[4][32];
                return fail(POPI_EINVAL, NULL,
                            "%s[%zu] = [%s, %s, %s, %s] must lie inside the world [0, %s] x [0, "
                            "%s] m (world.width_m, world.height_m) at $.%s[%zu]",
                            KEY_OBSTACLES, k, fmt_num(c[0], 32, r->x0), fmt_num(c[1], 32, r->y0),
                            fmt_num(c[2], 32, r->x1), fmt_num(c[3], 32, r->y1),
                            fmt_num(a, sizeof a, s->world.width_m),
                            fmt_num(b, sizeof b, s->world.height_m), KEY_OBSTACLES, k);
            }
        }
    }
    return POPI_OK;
}

/*
 * A JSON number written exactly: cJSON prints 15 significant digits whenever they compare equal
 * within a relative epsilon, which loses the last bits of doubles and of large integers, so
 * numbers are formatted here (shortest text that reads back bit for bit) and stored raw.
 */
static cJSON *exact_number(double v)
{
    char buf[40];
    if (!isfinite(v)) return cJSON_CreateNull();
    return cJSON_CreateRaw(fmt_num(buf, sizeof buf, v));
}

static cJSON *exact_integer(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

/* The JSON value of one key (never NULL). */
static cJSON *value_item(const popi_scenario_t *s, const popi_param_t *p)
{
    const void *f = cfield(s, p);
    cJSON *j = NULL;
    switch (p->type) {
    case POPI_PARAM_BOOL:
        j = cJSON_CreateBool(*(const bool *)f);
        break;
    case POPI_PARAM_INT:
        j = exact_integer(*(const int *)f);
        break;
    case POPI_PARAM_INT64:
        j = exact_integer(*(const int64_t *)f);
        break;
    case POPI_PARAM_UINT64: {
        uint64_t u = *(const uint64_t *)f;
        char buf[24];
        snprintf(buf, sizeof buf, "%" PRIu64, u);
        j = u <= EXACT_INT_MAX ? cJSON_CreateRaw(buf) : cJSON_CreateString(buf);
        break;
    }
    case POPI_PARAM_DOUBLE:
        j = exact_number(*(const double *)f);
        break;
    case POPI_PARAM_STRING:
    case POPI_PARAM_PATH: {
        const char *str = *(char *const *)f;
        j = cJSON_CreateString(str ? str : "");
        break;
    }
    case POPI_PARAM_ENUM: {
        int k = *(const int *)f, m = 0;
        while (p->names[m])
            m++;
        j = (k >= 0 && k < m) ? cJSON_CreateString(p->names[k]) : cJSON_CreateNull();
        break;
    }
    case POPI_PARAM_RECTS: {
        const popi_rect_t *r = *(popi_rect_t *const *)f;
        size_t nr = *(const size_t *)((const char *)s + p->offset_n);
        j = cJSON_CreateArray();
        for (size_t k = 0; j && k < nr; k++) {
            double c[4] = {r[k].x0, r[k].y0, r[k].x1, r[k].y1};
            cJSON *e = cJSON_CreateArray();
            POPI_ASSERT(e != NULL && "cJSON allocation");
            for (int m = 0; m < 4; m++) {
                cJSON *x = exact_number(c[m]);
                POPI_ASSERT(x != NULL && "cJSON allocation");
                cJSON_AddItemToArray(e, x);
            }
            cJSON_AddItemToArray(j, e);
        }
        break;
    }
    }
    POPI_ASSERT(j != NULL && "cJSON allocation");
    return j;
}

static char *print_json(cJSON *j, bool formatted)
{
    char *t = formatted ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    POPI_ASSERT(t != NULL && "cJSON allocation");
    char *out = popi_xstrdup(t);
    cJSON_free(t);
    return out;
}

char *popi_scenario_value_json(const popi_scenario_t *s, const popi_param_t *p)
{
    cJSON *j = value_item(s, p);
    char *out = print_json(j, false);
    cJSON_Delete(j);
    return out;
}

char *popi_scenario_to_json(const popi_scenario_t *s)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    cJSON *root = cJSON_CreateObject();
    POPI_ASSERT(root != NULL && "cJSON allocation");
    for (size_t i = 0; i < n; i++) {
        cJSON *obj = root;
        const char *k = t[i].key, *d;
        while ((d = strchr(k, '.')) != NULL) {
            char part[KEY_BUF];
            size_t len = (size_t)(d - k);
            POPI_ASSERT(len < sizeof part);
            memcpy(part, k, len);
            part[len] = '\0';
            cJSON *sub = cJSON_GetObjectItemCaseSensitive(obj, part);
            if (!sub) {
                sub = cJSON_CreateObject();
                POPI_ASSERT(sub != NULL && "cJSON allocation");
                cJSON_AddItemToObject(obj, part, sub);
            }
            obj = sub;
            k = d + 1;
        }
        cJSON_AddItemToObject(obj, k, value_item(s, &t[i]));
    }
    char *out = print_json(root, true);
    cJSON_Delete(root);
    return out;
}

/* Markdown cell text: '|' escaped. */
static void md_cell(FILE *f, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '|') fputc('\\', f);
        fputc(*c, f);
    }
}

void popi_scenario_print_params(FILE *f)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    char buf[80];
    fputs("# Scenario parameters\n\n"
          "Generated by `popi params` from the parameter table in `app/params.c`; do not edit by "
          "hand.\n\n"
          "A scenario file is a JSON object nested by the dots of the keys: "
          "`{\"crowd\": {\"density\": 0.2}}` sets `crowd.density`. `--set key=value` overrides one "
          "key (numbers, `true`/`false`, enum names and strings as plain text, rectangle lists as "
          "JSON). Unknown keys are errors. Ranges use `[` `]` for included and `(` `)` for "
          "excluded ends. Relative paths are resolved against the scenario file's folder. "
          "Source `[chosen]` marks a modelling choice, `[derived]` a value computed from cited "
          "inputs.\n\n",
          f);
    fputs("| key | type | default | range | unit | description | source |\n"
          "|---|---|---|---|---|---|---|\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const popi_param_t *p = &t[i];
        fprintf(f, "| `%s` | ", p->key);
        switch (p->type) {
        case POPI_PARAM_BOOL:
            fputs("bool | ", f);
            fputs(p->dflt != 0 ? "true" : "false", f);
            break;
        case POPI_PARAM_INT:
        case POPI_PARAM_INT64:
        case POPI_PARAM_UINT64:
            fputs(p->type == POPI_PARAM_UINT64 ? "uint64 | " : "integer | ", f);
            fputs(fmt_num(buf, sizeof buf, p->dflt), f);
            break;
        case POPI_PARAM_DOUBLE:
            fprintf(f, "number | %s", fmt_num(buf, sizeof buf, p->dflt));
            break;
        case POPI_PARAM_STRING:
        case POPI_PARAM_PATH:
            fputs(p->type == POPI_PARAM_PATH ? "path | " : "string | ", f);
            fprintf(f, "\"");
            md_cell(f, p->dflt_str ? p->dflt_str : "");
            fprintf(f, "\"");
            break;
        case POPI_PARAM_ENUM:
            fputs("enum: ", f);
            for (int k = 0; p->names[k]; k++)
                fprintf(f, "%s`%s`", k ? ", " : "", p->names[k]);
            fprintf(f, " | `%s`", p->names[(int)p->dflt]);
            break;
        case POPI_PARAM_RECTS:
            fputs("list of [x0, y0, x1, y1] | []", f);
            break;
        }
        range_text(p, buf, sizeof buf);
        fprintf(f, " | %s | %s | ", *buf ? buf : "-", *p->unit ? p->unit : "-");
        md_cell(f, p->desc);
        fputs(" | ", f);
        md_cell(f, p->source);
        fputs(" |\n", f);
    }
    fputs("\n## Rules across keys\n\n"
          "Checked by `popi_scenario_validate` once the file and all `--set` overrides are "
          "applied.\n\n"
          "- `crowd.agents` > 0 gives the number of agents; then `crowd.density` must not be set "
          "to a positive value. With `crowd.agents` = 0, `crowd.density` must be > 0.\n"
          "- The `mobility.*.fraction` keys must sum to 1 (within 1e-9). If no fraction is set, "
          "every agent uses `random_waypoint`; once any fraction is set, unset fractions are 0.\n"
          "- Without `world.map`, every rectangle of `world.obstacles` lies inside "
          "[0, `world.width_m`] x [0, `world.height_m`].\n",
          f);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        fprintf(f, "- `%s` <= `%s`\n", pairs[i].lo, pairs[i].hi);
}

char *popi_scenario_path(const popi_scenario_t *s, const char *p)
{
    if (!p) return NULL;
    const char *dir = s ? s->base_dir : NULL;
    if (p[0] == '/' || p[0] == '\0' || !dir || !*dir || strcmp(dir, ".") == 0)
        return popi_xstrdup(p);
    size_t dl = strlen(dir), pl = strlen(p);
    bool slash = dir[dl - 1] == '/';
    char *out = popi_xmalloc(dl + pl + 2);
    memcpy(out, dir, dl);
    if (!slash) out[dl++] = '/';
    memcpy(out + dl, p, pl + 1);
    return out;
}
