/* SPDX-License-Identifier: MIT */
/*
 * contact_internal.h - pieces shared by the two proximity engines of sim/ (contact.c, the sweep;
 * contact_kinetic.c, the kinetic grid), so that both compute with the very same arithmetic and
 * emit contacts the same way. Private to sim/: not installed, not part of the public API.
 */
#ifndef POPI_SIM_CONTACT_INTERNAL_H
#define POPI_SIM_CONTACT_INTERNAL_H

#include "popi/contact.h"

#include <math.h>

/* Two in-range pieces of a pair closer than this (s) are one interval: it absorbs rounding at piece,
 * bucket and window boundaries and is far below the microsecond resolution of the output. */
#define CONTACT_JOIN_EPS_S 1e-7
#define CONTACT_JOIN_EPS_US 0.1 /* the same, in µs */

/* The exact pair solver (see popi_contact_solve in contact.h), inline for the engines' hot loops. */
static inline bool contact_solve(double px, double py, double vx, double vy, double r, double span,
                                 double *a, double *b, double *dmin)
{
    double A = vx * vx + vy * vy;
    double B = 2.0 * (px * vx + py * vy);
    double C = px * px + py * py - r * r;
    bool in0 = C <= 0.0;
    /* the common case first: outside at the start and never closer than r (no square roots) */
    if (!in0) {
        if (A <= 0.0 || B >= 0.0) goto miss; /* still, or moving apart */
        double ts = -B / (2.0 * A);
        double tc = ts < span ? ts : span;
        double cx = px + vx * tc, cy = py + vy * tc;
        if (cx * cx + cy * cy > r * r) goto miss;
    }
    {
        double ts = A > 0.0 ? -B / (2.0 * A) : 0.0;
        if (ts < 0.0) ts = 0.0;
        if (ts > span) ts = span;
        double cx = px + vx * ts, cy = py + vy * ts;
        *dmin = sqrt(cx * cx + cy * cy);
        double ex = px + vx * span, ey = py + vy * span;
        bool in1 = ex * ex + ey * ey - r * r <= 0.0;
        if (A <= 0.0) {
            *a = 0.0;
            *b = span;
            return true;
        }
        double disc = B * B - 4.0 * A * C;
        double t1, t2;
        if (disc < 0.0) {
            t1 = t2 = ts; /* tangent within rounding: the closest point is in range */
        } else {
            double sq = sqrt(disc);
            double q = -0.5 * (B + (B >= 0.0 ? sq : -sq));
            double r1 = q / A, r2 = q != 0.0 ? C / q : r1;
            t1 = r1 < r2 ? r1 : r2;
            t2 = r1 < r2 ? r2 : r1;
        }
        /* endpoint membership decides clipping, so that continuity tests compare exact values */
        double lo = in0 ? 0.0 : (t1 < 0.0 ? 0.0 : t1);
        double hi = in1 ? span : (t2 > span ? span : t2);
        if (hi < lo) hi = lo; /* a touch */
        *a = lo;
        *b = hi;
        return true;
    }
miss:
    return false;
}


/* Context of the radio's emit callback: where detected contacts go. */
typedef struct {
    const popi_contact_sink_t *sink;
    popi_contact_stats_t *stats;
    double dmin; /* closest approach of the pair being processed so far */
} contact_emit_t;

/* Position callback for the radio: where agent a is at time t. */
static inline void contact_pos_cb(const void *ctx, uint32_t a, popi_time_t t, double *x, double *y)
{
    popi_mobility_position((const popi_mobility_t *)ctx, a, t, x, y);
}

/* A contact the radio detected: count it and hand it to the sink. */
static inline void contact_radio_emit(void *ctx, uint32_t i, uint32_t j, popi_time_t t0, popi_time_t t1,
                                      double rssi)
{
    contact_emit_t *ec = ctx;
    popi_contact_t c = {t0, t1, i, j, (float)rssi, (float)ec->dmin};
    ec->stats->contacts++;
    if (ec->sink->on_contact) ec->sink->on_contact(ec->sink->ctx, &c);
}

#endif
