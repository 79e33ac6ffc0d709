/* SPDX-License-Identifier: MIT */
/*
 * common.c - the per-thread error message, aborting allocators and time conversion.
 * The message buffer is thread-local (like errno) so that OpenMP workers report independently.
 */
#include "popi/common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef POPI_VERSION_STRING
#define POPI_VERSION_STRING "0.0.0"
#endif

static _Thread_local char err_msg[1024];

popi_time_t popi_time_from_s(double s) { return (popi_time_t)llround(s * 1e6); }

popi_err_t popi_err_set(popi_err_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    return code;
}

popi_err_t popi_err_wrap(popi_err_t code, const char *fmt, ...)
{
    char prefix[512], old[sizeof err_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_msg, sizeof old);
    size_t lp = strlen(prefix);
    if (lp > sizeof err_msg - 3) lp = sizeof err_msg - 3;
    memcpy(err_msg, prefix, lp);
    err_msg[lp] = ':';
    err_msg[lp + 1] = ' ';
    size_t lo = strlen(old), room = sizeof err_msg - lp - 3;
    if (lo > room) lo = room;
    memcpy(err_msg + lp + 2, old, lo);
    err_msg[lp + 2 + lo] = '\0';
    return code;
}

const char *popi_err_message(void) { return err_msg; }

void popi_err_clear(void) { err_msg[0] = '\0'; }

const char *popi_err_name(popi_err_t code)
{
    static const char *const names[POPI_ERR__COUNT] = {
        "OK", "EINVAL", "EPARSE", "EIO", "EHDF5", "ELIB", "ENOTFOUND", "ESTATE", "EUNREACH",
        "EFORMAT"};
    if ((int)code < 0 || code >= POPI_ERR__COUNT) return "EUNKNOWN";
    return names[code];
}

static void oom(size_t size)
{
    fprintf(stderr, "popi: out of memory allocating %zu bytes\n", size);
    abort();
}

void *popi_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) oom(size);
    return p;
}

void *popi_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *popi_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) oom(size);
    return q;
}

char *popi_xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = popi_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

void popi_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "popi: internal invariant violated: %s (%s:%d)\n", expr, file, line);
    abort();
}

const char *popi_version(void) { return POPI_VERSION_STRING; }
