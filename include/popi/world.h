/* SPDX-License-Identifier: MIT */
/*
 * world.h - the chessboard world: a grid of square cells, some of them obstacles.
 *
 * Coordinates are metres, origin at the lower-left corner, x to the right, y up; cell (cx, cy)
 * covers [cx*cell, (cx+1)*cell) x [cy*cell, (cy+1)*cell) and has index cy*nx + cx. A point is
 * inside an obstacle iff its cell is blocked; the world's outer boundary is a wall. Obstacles come
 * from rectangles, from an ASCII map ('#' = wall, any other printable character = free; the first
 * line of the file is the top row), or from a random density. Shortest obstacle-free paths run on
 * the 8-connected graph of free cells (igraph, Dijkstra; diagonal moves may not cut a blocked
 * corner) and are then shortened by line-of-sight so that agents walk straight where they can.
 */
#ifndef POPI_WORLD_H
#define POPI_WORLD_H

#include "popi/common.h"
#include "popi/rng.h"

#include <igraph/igraph.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Axis-aligned rectangle in metres: [x0, x1] x [y0, y1], x0 < x1, y0 < y1. */
typedef struct {
    double x0, y0, x1, y1;
} popi_rect_t;

/** World parameters (scenario keys world.*). */
typedef struct {
    double width_m;          /**< world width, m, > 0 (ignored when map_file is set) */
    double height_m;         /**< world height, m, > 0 (ignored when map_file is set) */
    double cell_m;           /**< cell side, m, > 0 */
    popi_rect_t *obstacles;  /**< rectangles to block (every cell they overlap), owned by the scenario */
    size_t n_obstacles;
    char *map_file;          /**< ASCII map path or NULL; sets the grid size to the map's size */
    double obstacle_density; /**< fraction of cells blocked at random, [0, 0.9) */
} popi_world_config_t;

/** The built world. Caller storage; popi_world_init / popi_world_destroy. */
typedef struct {
    double width_m, height_m, cell_m;
    int32_t nx, ny;           /**< cells along x and y */
    uint8_t *blocked;         /**< nx*ny flags, 1 = obstacle */
    int32_t *free_cells;      /**< indices of free cells, ascending */
    int32_t n_free;
    double free_area_m2;      /**< n_free * cell^2 */
    int32_t *vertex_of_cell;  /**< cell index -> nav-graph vertex (-1 if blocked) */
    igraph_t nav;             /**< 8-connected graph of free cells */
    igraph_vector_t nav_w;    /**< edge lengths, m */
    bool nav_ready;
    int32_t *component;       /**< cell index -> connected component of the nav graph (-1 if blocked) */
    int32_t n_components;     /**< connected components of the free area */
} popi_world_t;

/** A polyline path: points (x[k], y[k]), k = 0..n-1, the first is the start, the last the goal. */
typedef struct {
    double *x, *y;
    size_t n, cap;
} popi_path_t;

/**
 * Build the world. width_m and height_m must be whole multiples of cell_m. Rectangles must lie
 * inside the world and block every cell they overlap with positive area; the map file must be
 * rectangular and contain at least one free cell (an empty string counts as no map); random
 * obstacles are round(obstacle_density * nx * ny) cells drawn, by a random permutation from @p rng
 * (stream POPI_STREAM_WORLD; may be NULL when the density is 0), among the cells still free after
 * the map and the rectangles.
 * Errors: POPI_EINVAL (sizes, rectangle outside world, no free cell; message names the key),
 * POPI_EIO (map unreadable), POPI_EPARSE (map ragged or empty, with line number), POPI_ELIB (igraph).
 * On failure the world is left destroyable. O(cells).
 */
popi_err_t popi_world_init(popi_world_t *w, const popi_world_config_t *cfg, popi_rng_t *rng);

/** Release everything. Accepts a zeroed or half-built world. */
void popi_world_destroy(popi_world_t *w);

/** Cell index of a point, or -1 if outside the world (closed: x = width_m is in the last column). */
int32_t popi_world_cell_of(const popi_world_t *w, double x, double y);

/** True if (x, y) is outside the world or inside an obstacle cell. */
bool popi_world_blocked_at(const popi_world_t *w, double x, double y);

/** A uniformly random point in the free area (uniform cell among free cells, uniform inside it). */
void popi_world_random_free_point(const popi_world_t *w, popi_rng_t *rng, double *x, double *y);

/**
 * A uniformly random point in the part of the free area connected to (x0, y0), which must lie in a
 * free cell: uniform among the free cells of its component, uniform inside the cell. Equals
 * popi_world_random_free_point when the free area is connected. O(1) expected; O(cells) when the
 * component is small compared with the free area.
 */
void popi_world_random_reachable_point(const popi_world_t *w, popi_rng_t *rng, double x0, double y0,
                                       double *x, double *y);

/** A uniformly random point inside free cell @p cell. */
void popi_world_random_point_in_cell(const popi_world_t *w, int32_t cell, popi_rng_t *rng, double *x,
                                     double *y);

/**
 * True if the closed segment (x0,y0)-(x1,y1) touches no obstacle cell and stays in the world.
 * Exact grid traversal (Amanatides & Woo 1987); a segment passing exactly through the shared
 * corner of two blocked diagonal cells counts as touching. O(cells crossed).
 */
bool popi_world_segment_clear(const popi_world_t *w, double x0, double y0, double x1, double y1);

/**
 * Fraction s in [0, 1] of the segment at which it first enters an obstacle cell or leaves the
 * world, or a value > 1 if it never does. Used by random_direction to stop before a wall.
 */
double popi_world_segment_first_hit(const popi_world_t *w, double x0, double y0, double x1, double y1);

/**
 * Number of distinct obstacle cells the open segment passes through (for wall attenuation): the
 * cells in which it has positive length (a segment along a grid line lies in the cells above or
 * right of it; passing exactly through a corner enters neither side cell). Parts outside the
 * world are ignored. O(cells crossed).
 */
int popi_world_walls_crossed(const popi_world_t *w, double x0, double y0, double x1, double y1);

/**
 * Shortest obstacle-free path from (x0,y0) to (x1,y1), both in free cells, into @p out (reset
 * first): start, corner waypoints at free-cell centres, goal; consecutive points are joined by
 * clear segments. Errors: POPI_EINVAL (an end point is blocked), POPI_EUNREACH (no path),
 * POPI_ELIB (igraph). O(V log V) for the Dijkstra search. Safe to call from several threads:
 * igraph 0.10 is not thread safe, so its calls run in the OpenMP critical section popi_igraph
 * (other modules that call igraph while threads run should use the same name).
 */
popi_err_t popi_world_path(const popi_world_t *w, double x0, double y0, double x1, double y1,
                           popi_path_t *out);

/** Path storage: zero-initialise, reuse across calls, then destroy. */
void popi_path_destroy(popi_path_t *p);
void popi_path_push(popi_path_t *p, double x, double y);

#ifdef __cplusplus
}
#endif
#endif
