/* SPDX-License-Identifier: MIT */
/*
 * des.c - 4-ary heap of (time, seq, slot) entries; tombstone cancellation.
 * Invariant: every slot named in heap[0..heap_len) is either pending (heap_pos == 0) or a
 * tombstone (heap_pos == -2) that is released when it reaches the top; a slot is in the heap
 * at most once.
 */
#include "popi/des.h"

#include <stdlib.h>
#include <string.h>

void popi_des_init(popi_des_t *des) { memset(des, 0, sizeof *des); }

void popi_des_destroy(popi_des_t *des)
{
    if (!des) return;
    free(des->pool);
    free(des->free_list);
    free(des->heap);
    memset(des, 0, sizeof *des);
}

/* 4-ary heap of entries carrying their (time, seq) key: a pop compares up to four children per
 * level inside one or two cache lines instead of dereferencing pool slots, and moves do not
 * write back into the pool (cancellation only needs "pending or not"). */
#define ARITY 4

static inline bool hent_less(const struct popi_des_hent *x, const struct popi_des_hent *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

static void sift_up(popi_des_t *d, uint32_t pos)
{
    struct popi_des_hent e = d->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / ARITY;
        if (!hent_less(&e, &d->heap[parent])) break;
        d->heap[pos] = d->heap[parent];
        pos = parent;
    }
    d->heap[pos] = e;
}

static void sift_down(popi_des_t *d, uint32_t pos)
{
    struct popi_des_hent e = d->heap[pos];
    uint32_t n = d->heap_len;
    for (;;) {
        uint32_t c = ARITY * pos + 1;
        if (c >= n) break;
        uint32_t best = c, end = c + ARITY < n ? c + ARITY : n;
        for (uint32_t k = c + 1; k < end; k++)
            if (hent_less(&d->heap[k], &d->heap[best])) best = k;
        if (!hent_less(&d->heap[best], &e)) break;
        d->heap[pos] = d->heap[best];
        pos = best;
    }
    d->heap[pos] = e;
}

static uint32_t slot_alloc(popi_des_t *d)
{
    if (d->n_free == 0) {
        uint32_t old = d->pool_cap, cap = old ? old * 2 : 64;
        d->pool = popi_xrealloc(d->pool, cap * sizeof *d->pool);
        d->free_list = popi_xrealloc(d->free_list, cap * sizeof *d->free_list);
        d->heap = popi_xrealloc(d->heap, cap * sizeof *d->heap);
        for (uint32_t i = cap; i > old; i--) {
            d->pool[i - 1].gen = 0;
            d->pool[i - 1].heap_pos = -1;
            d->free_list[d->n_free++] = i - 1;
        }
        d->pool_cap = cap;
    }
    return d->free_list[--d->n_free];
}

static void slot_release(popi_des_t *d, uint32_t slot)
{
    d->pool[slot].heap_pos = -1;
    d->pool[slot].gen++;
    d->free_list[d->n_free++] = slot;
}

popi_err_t popi_des_schedule(popi_des_t *des, popi_time_t t, popi_des_fn fn, void *ctx, uint64_t arg,
                             popi_des_event_id_t *id)
{
    if (t < des->now)
        return popi_err_set(POPI_EINVAL, "popi_des_schedule: time %lld us is before now (%lld us)",
                            (long long)t, (long long)des->now);
    uint32_t slot = slot_alloc(des);
    struct popi_des_event *e = &des->pool[slot];
    e->time = t;
    e->seq = des->next_seq++;
    e->fn = fn;
    e->ctx = ctx;
    e->arg = arg;
    e->heap_pos = 0;
    des->heap[des->heap_len] = (struct popi_des_hent){t, e->seq, slot};
    sift_up(des, des->heap_len++);
    if (id) *id = (popi_des_event_id_t){slot, e->gen};
    return POPI_OK;
}

bool popi_des_cancel(popi_des_t *des, popi_des_event_id_t id)
{
    if (id.slot >= des->pool_cap) return false;
    struct popi_des_event *e = &des->pool[id.slot];
    if (e->gen != id.gen || e->heap_pos < 0) return false;
    e->heap_pos = -2;
    des->n_tombstones++;
    return true;
}

static uint32_t heap_pop(popi_des_t *d)
{
    uint32_t top = d->heap[0].slot;
    d->heap_len--;
    if (d->heap_len > 0) {
        d->heap[0] = d->heap[d->heap_len];
        sift_down(d, 0);
    }
    return top;
}

popi_err_t popi_des_run_until(popi_des_t *des, popi_time_t t_end)
{
    des->stopped = false;
    while (des->heap_len > 0 && !des->stopped) {
        uint32_t slot = des->heap[0].slot;
        struct popi_des_event *e = &des->pool[slot];
        if (e->heap_pos == -2) {
            heap_pop(des);
            des->n_tombstones--;
            slot_release(des, slot);
            continue;
        }
        if (e->time > t_end) break;
        heap_pop(des);
        des->now = e->time;
        popi_des_fn fn = e->fn;
        void *ctx = e->ctx;
        uint64_t arg = e->arg;
        e->heap_pos = -1; /* fired: cancel() on its handle is now a no-op */
        popi_time_t again = fn(des, ctx, des->now, arg);
        des->n_executed++;
        /* The callback may have grown the pool; re-fetch the slot before reusing it. */
        if (again > 0) {
            e = &des->pool[slot];
            e->time = des->now + again;
            e->seq = des->next_seq++;
            e->heap_pos = 0;
            des->heap[des->heap_len] = (struct popi_des_hent){e->time, e->seq, slot};
            sift_up(des, des->heap_len++);
        } else {
            slot_release(des, slot);
        }
    }
    if (!des->stopped && des->now < t_end) des->now = t_end;
    return des->failure;
}

void popi_des_stop(popi_des_t *des) { des->stopped = true; }

popi_err_t popi_des_fail(popi_des_t *des, popi_err_t code)
{
    if (des->failure == POPI_OK) des->failure = code;
    des->stopped = true;
    return code;
}

size_t popi_des_pending(const popi_des_t *des) { return des->heap_len - des->n_tombstones; }
