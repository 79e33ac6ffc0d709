/* SPDX-License-Identifier: MIT */
/*
 * contact_vec.c - the growable array of contact records declared in contact.h.
 *
 * popi_contact_vec_t is a plain (v, n, cap) triple: v[0..n) are the records, cap >= n is the
 * allocated length, and a zeroed vector {NULL, 0, 0} is a valid empty vector. It is shared by the
 * proximity engine, the radio and trace import, so it lives in its own file.
 */
#include "popi/contact.h"

#include <stdlib.h>
#include <string.h>

void popi_contact_vec_push(popi_contact_vec_t *vec, const popi_contact_t *c)
{
    POPI_GROW(vec->v, vec->cap, vec->n + 1);
    vec->v[vec->n++] = *c;
}

void popi_contact_vec_destroy(popi_contact_vec_t *vec)
{
    if (!vec) return;
    free(vec->v);
    memset(vec, 0, sizeof *vec);
}

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}
static int cmp_u32(uint32_t a, uint32_t b)
{
    return (a > b) - (a < b);
}

/* Order (t_start, i, j, t_end). */
static int cmp_contact(const void *pa, const void *pb)
{
    const popi_contact_t *a = pa, *b = pb;
    int c = cmp_i64(a->t_start, b->t_start);
    if (!c) c = cmp_u32(a->i, b->i);
    if (!c) c = cmp_u32(a->j, b->j);
    if (!c) c = cmp_i64(a->t_end, b->t_end);
    return c;
}

void popi_contact_vec_sort(popi_contact_vec_t *vec)
{
    if (vec->n > 1) qsort(vec->v, vec->n, sizeof *vec->v, cmp_contact);
}
