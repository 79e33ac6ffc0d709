/* SPDX-License-Identifier: MIT */
/*
 * world.c - the chessboard world: obstacle grid, exact segment traversal and shortest paths.
 *
 * Central structure: popi_world_t. Invariant: blocked[] has nx*ny flags; free_cells lists the free
 * cells in ascending index order; vertex_of_cell maps a free cell to its nav-graph vertex (the
 * vertex of free_cells[k] is k) and component[] gives its connected component; the nav graph has
 * an edge between 8-neighbouring free cells, diagonals only when both orthogonal cells are free.
 * Segments are walked with the grid traversal of Amanatides & Woo, "A fast voxel traversal
 * algorithm for ray tracing", Eurographics 1987, in grid units (u = x / cell). segment_clear and
 * first_hit treat cells as closed squares (touching an edge or a corner counts, which is what
 * forbids corner cutting); walls_crossed counts cells where the segment has positive length.
 * Paths: Dijkstra on the nav graph (igraph), then greedy line-of-sight string pulling.
 */
#include "popi/world.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 50000000LL
/* Points drawn inside a cell stay this fraction of a cell away from its edges. */
#define CELL_MARGIN 1e-9

/* ---------------------------------------------------------------------------------------------- */
/* grid helpers                                                                                   */

static bool cell_blocked_xy(const popi_world_t *w, long cx, long cy)
{
    if (cx < 0 || cy < 0 || cx >= w->nx || cy >= w->ny) return false; /* not a cell */
    return w->blocked[(size_t)cy * (size_t)w->nx + (size_t)cx] != 0;
}

/* Grid units of an x coordinate; the world's edges map exactly to 0 and nx. */
static double to_u(const popi_world_t *w, double x)
{
    if (x == w->width_m) return (double)w->nx;
    double u = x / w->cell_m;
    if (x >= 0.0 && x <= w->width_m && u > (double)w->nx) u = (double)w->nx;
    return u;
}

static double to_v(const popi_world_t *w, double y)
{
    if (y == w->height_m) return (double)w->ny;
    double v = y / w->cell_m;
    if (y >= 0.0 && y <= w->height_m && v > (double)w->ny) v = (double)w->ny;
    return v;
}

static long clampl(long v, long lo, long hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

int32_t popi_world_cell_of(const popi_world_t *w, double x, double y)
{
    if (!(x >= 0.0 && x <= w->width_m && y >= 0.0 && y <= w->height_m)) return -1;
    long cx = clampl((long)floor(to_u(w, x)), 0, w->nx - 1);
    long cy = clampl((long)floor(to_v(w, y)), 0, w->ny - 1);
    return (int32_t)(cy * w->nx + cx);
}

bool popi_world_blocked_at(const popi_world_t *w, double x, double y)
{
    int32_t c = popi_world_cell_of(w, x, y);
    return c < 0 || w->blocked[c];
}

void popi_world_random_point_in_cell(const popi_world_t *w, int32_t cell, popi_rng_t *rng,
                                     double *x, double *y)
{
    POPI_ASSERT(cell >= 0 && cell < w->nx * w->ny);
    int32_t cx = cell % w->nx, cy = cell / w->nx;
    double fu = CELL_MARGIN + (1.0 - 2.0 * CELL_MARGIN) * popi_rng_uniform(rng);
    double fv = CELL_MARGIN + (1.0 - 2.0 * CELL_MARGIN) * popi_rng_uniform(rng);
    *x = w->cell_m * (double)cx + w->cell_m * fu;
    *y = w->cell_m * (double)cy + w->cell_m * fv;
}

void popi_world_random_free_point(const popi_world_t *w, popi_rng_t *rng, double *x, double *y)
{
    POPI_ASSERT(w->n_free > 0);
    int32_t k = (int32_t)popi_rng_below(rng, (uint64_t)w->n_free);
    popi_world_random_point_in_cell(w, w->free_cells[k], rng, x, y);
}

void popi_world_random_reachable_point(const popi_world_t *w, popi_rng_t *rng, double x0, double y0,
                                       double *x, double *y)
{
    int32_t c0 = popi_world_cell_of(w, x0, y0);
    POPI_ASSERT(c0 >= 0 && !w->blocked[c0]);
    if (w->n_components <= 1) {
        popi_world_random_free_point(w, rng, x, y);
        return;
    }
    int32_t comp = w->component[c0];
    /* Rejection first (exact: uniform conditional on the component); enumeration if unlucky. */
    for (int tries = 0; tries < 32; tries++) {
        int32_t c = w->free_cells[popi_rng_below(rng, (uint64_t)w->n_free)];
        if (w->component[c] == comp) {
            popi_world_random_point_in_cell(w, c, rng, x, y);
            return;
        }
    }
    int32_t count = 0;
    for (int32_t k = 0; k < w->n_free; k++)
        count += w->component[w->free_cells[k]] == comp;
    int32_t r = (int32_t)popi_rng_below(rng, (uint64_t)count);
    for (int32_t k = 0; k < w->n_free; k++) {
        int32_t c = w->free_cells[k];
        if (w->component[c] == comp && r-- == 0) {
            popi_world_random_point_in_cell(w, c, rng, x, y);
            return;
        }
    }
    POPI_ASSERT(0 && "component enumeration");
}

/* ---------------------------------------------------------------------------------------------- */
/* segment traversal                                                                              */

/* Parameter at which p(t) = p0 + t*d leaves the closed box [0,nx] x [0,ny] (p0 inside). */
static double box_exit(const popi_world_t *w, double u0, double v0, double du, double dv)
{
    double s = INFINITY;
    if (du > 0) s = fmin(s, ((double)w->nx - u0) / du);
    if (du < 0) s = fmin(s, -u0 / du);
    if (dv > 0) s = fmin(s, ((double)w->ny - v0) / dv);
    if (dv < 0) s = fmin(s, -v0 / dv);
    return s;
}

/*
 * Smallest t in [0, t_end] at which the closed segment p(t) = (u0,v0) + t*(du,dv) touches a
 * blocked closed cell, or INFINITY. (u0, v0) lies in the closed box; t_end <= box exit.
 */
static double closed_first_blocked(const popi_world_t *w, double u0, double v0, double du,
                                   double dv, double t_end)
{
    double fxd = floor(u0), fyd = floor(v0);
    long fx = (long)fxd, fy = (long)fyd;
    long on_x = u0 == fxd, on_y = v0 == fyd;
    /* the start point touches up to four cells */
    for (long ix = fx - on_x; ix <= fx; ix++)
        for (long iy = fy - on_y; iy <= fy; iy++)
            if (cell_blocked_xy(w, ix, iy)) return 0.0;
    if (du == 0.0 && dv == 0.0) return INFINITY;
    long cx = clampl(fx, 0, w->nx - 1), cy = clampl(fy, 0, w->ny - 1);
    long sx = du > 0 ? 1 : -1, sy = dv > 0 ? 1 : -1;
    /* a segment running along a grid line touches the cells on both sides of it */
    long col_lo = du == 0.0 ? fx - on_x : 0, col_hi = du == 0.0 ? fx : -1;
    long row_lo = dv == 0.0 ? fy - on_y : 0, row_hi = dv == 0.0 ? fy : -1;
    for (;;) {
        double tx = du != 0.0 ? ((double)(cx + (sx > 0)) - u0) / du : INFINITY;
        double ty = dv != 0.0 ? ((double)(cy + (sy > 0)) - v0) / dv : INFINITY;
        double t = fmin(tx, ty);
        if (!(t <= t_end)) break;
        if (tx < ty) {
            cx += sx;
            if (dv == 0.0) {
                for (long r = row_lo; r <= row_hi; r++)
                    if (cell_blocked_xy(w, cx, r)) return t;
            } else if (cell_blocked_xy(w, cx, cy)) {
                return t;
            }
        } else if (ty < tx) {
            cy += sy;
            if (du == 0.0) {
                for (long c = col_lo; c <= col_hi; c++)
                    if (cell_blocked_xy(w, c, cy)) return t;
            } else if (cell_blocked_xy(w, cx, cy)) {
                return t;
            }
        } else { /* exactly through a corner: all cells around it are touched */
            if (cell_blocked_xy(w, cx + sx, cy) || cell_blocked_xy(w, cx, cy + sy) ||
                cell_blocked_xy(w, cx + sx, cy + sy))
                return t;
            cx += sx;
            cy += sy;
        }
        if (cx < 0 || cy < 0 || cx >= w->nx || cy >= w->ny) break;
    }
    return INFINITY;
}

double popi_world_segment_first_hit(const popi_world_t *w, double x0, double y0, double x1,
                                    double y1)
{
    if (!(x0 >= 0.0 && x0 <= w->width_m && y0 >= 0.0 && y0 <= w->height_m)) return 0.0;
    if (!isfinite(x1) || !isfinite(y1)) return 0.0;
    double u0 = to_u(w, x0), v0 = to_v(w, y0);
    double du = to_u(w, x1) - u0, dv = to_v(w, y1) - v0;
    double s_exit = box_exit(w, u0, v0, du, dv);
    double t_end = fmin(1.0, s_exit);
    /* a world without obstacles has no cell to hit (random waypoint in an open plaza asks this
     * for every leg: the cell walk was 3 % of B1) */
    double t_hit = (size_t)w->n_free == (size_t)w->nx * (size_t)w->ny
                       ? INFINITY
                       : closed_first_blocked(w, u0, v0, du, dv, t_end);
    if (t_hit <= t_end) return t_hit;
    if (s_exit < 1.0) return s_exit;
    return 2.0;
}

bool popi_world_segment_clear(const popi_world_t *w, double x0, double y0, double x1, double y1)
{
    return popi_world_segment_first_hit(w, x0, y0, x1, y1) > 1.0;
}

int popi_world_walls_crossed(const popi_world_t *w, double x0, double y0, double x1, double y1)
{
    double u0 = to_u(w, x0), v0 = to_v(w, y0);
    double du = to_u(w, x1) - u0, dv = to_v(w, y1) - v0;
    if (!isfinite(u0) || !isfinite(v0) || !isfinite(du) || !isfinite(dv)) return 0;
    /* clip to the world box (Liang-Barsky) */
    double t_in = 0.0, t_out = 1.0;
    const double p[4] = {-du, du, -dv, dv};
    const double q[4] = {u0, (double)w->nx - u0, v0, (double)w->ny - v0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return 0;
        } else {
            double r = q[i] / p[i];
            if (p[i] < 0.0)
                t_in = fmax(t_in, r);
            else
                t_out = fmin(t_out, r);
        }
    }
    if (!(t_in < t_out)) return 0;
    long cx = clampl((long)floor(u0 + t_in * du), 0, w->nx - 1);
    long cy = clampl((long)floor(v0 + t_in * dv), 0, w->ny - 1);
    long sx = du > 0 ? 1 : -1, sy = dv > 0 ? 1 : -1;
    double t = t_in;
    int count = 0;
    for (;;) {
        double tx = du != 0.0 ? ((double)(cx + (sx > 0)) - u0) / du : INFINITY;
        double ty = dv != 0.0 ? ((double)(cy + (sy > 0)) - v0) / dv : INFINITY;
        double t_next = fmin(fmin(tx, ty), t_out);
        if (t_next > t && cell_blocked_xy(w, cx, cy)) count++;
        if (t_next >= t_out) break;
        if (tx < ty) {
            cx += sx;
        } else if (ty < tx) {
            cy += sy;
        } else {
            cx += sx;
            cy += sy;
        }
        t = fmax(t, t_next);
        if (cx < 0 || cy < 0 || cx >= w->nx || cy >= w->ny) break;
    }
    return count;
}

/* ---------------------------------------------------------------------------------------------- */
/* construction                                                                                   */

void popi_world_destroy(popi_world_t *w)
{
    if (!w) return;
    free(w->blocked);
    free(w->free_cells);
    free(w->vertex_of_cell);
    free(w->component);
    if (w->nav_ready) {
        igraph_destroy(&w->nav);
        igraph_vector_destroy(&w->nav_w);
    }
    memset(w, 0, sizeof *w);
}

/* Read an ASCII map into w->blocked and set nx, ny. */
static popi_err_t load_map(popi_world_t *w, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return popi_err_set(POPI_EIO, "world: cannot open world.map_file '%s': %s", path,
                            strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        POPI_GROW(text, cap, len + got + 1);
        memcpy(text + len, buf, got);
        len += got;
    }
    bool read_err = ferror(f) != 0;
    fclose(f);
    if (read_err) {
        free(text);
        return popi_err_set(POPI_EIO, "world: cannot read world.map_file '%s'", path);
    }
    POPI_GROW(text, cap, len + 1);
    text[len] = '\0';

    /* Split into lines (LF or CRLF); trailing empty lines are ignored. */
    size_t n_lines = 0, lines_cap = 0;
    size_t *starts = NULL, *lens = NULL, lens_cap = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        size_t l = e - pos;
        if (l > 0 && text[pos + l - 1] == '\r') l--;
        POPI_GROW(starts, lines_cap, n_lines + 1);
        POPI_GROW(lens, lens_cap, n_lines + 1);
        starts[n_lines] = pos;
        lens[n_lines] = l;
        n_lines++;
        pos = e + 1;
    }
    while (n_lines > 0 && lens[n_lines - 1] == 0)
        n_lines--;
    popi_err_t rc = POPI_OK;
    if (n_lines == 0) {
        rc = popi_err_set(POPI_EPARSE, "world: world.map_file %s:1: map is empty", path);
        goto cleanup;
    }
    size_t nx = lens[0];
    for (size_t i = 0; i < n_lines; i++) {
        if (lens[i] != nx) {
            rc = popi_err_set(POPI_EPARSE,
                              "world: world.map_file %s:%zu: row has %zu columns, line 1 has %zu "
                              "(ragged map; every row must have the same length)",
                              path, i + 1, lens[i], nx);
            goto cleanup;
        }
        for (size_t j = 0; j < nx; j++) {
            unsigned char ch = (unsigned char)text[starts[i] + j];
            if (ch < 0x20 || ch > 0x7e) {
                rc = popi_err_set(
                    POPI_EPARSE,
                    "world: world.map_file %s:%zu: column %zu holds byte 0x%02x; a map "
                    "holds printable ASCII only ('#' wall, anything else free)",
                    path, i + 1, j + 1, ch);
                goto cleanup;
            }
        }
    }
    if ((long long)nx * (long long)n_lines > MAX_CELLS) {
        rc = popi_err_set(POPI_EINVAL,
                          "world: world.map_file %s has %zu x %zu cells, more than %lld", path, nx,
                          n_lines, MAX_CELLS);
        goto cleanup;
    }
    w->nx = (int32_t)nx;
    w->ny = (int32_t)n_lines;
    w->blocked = popi_xcalloc(nx * n_lines, 1);
    for (size_t i = 0; i < n_lines; i++) {
        size_t cy = n_lines - 1 - i; /* first line = top row */
        for (size_t j = 0; j < nx; j++)
            w->blocked[cy * nx + j] = text[starts[i] + j] == '#';
    }
cleanup:
    free(starts);
    free(lens);
    free(text);
    return rc;
}

static popi_err_t block_rects(popi_world_t *w, const popi_world_config_t *cfg)
{
    for (size_t i = 0; i < cfg->n_obstacles; i++) {
        const popi_rect_t *r = &cfg->obstacles[i];
        if (!(isfinite(r->x0) && isfinite(r->y0) && isfinite(r->x1) && isfinite(r->y1)) ||
            !(r->x0 < r->x1) || !(r->y0 < r->y1))
            return popi_err_set(POPI_EINVAL,
                                "world: world.obstacles[%zu] must have x0 < x1 and y0 < y1, got "
                                "[%g, %g] x [%g, %g]",
                                i, r->x0, r->x1, r->y0, r->y1);
        if (r->x0 < 0.0 || r->y0 < 0.0 || r->x1 > w->width_m || r->y1 > w->height_m)
            return popi_err_set(POPI_EINVAL,
                                "world: world.obstacles[%zu] = [%g, %g] x [%g, %g] must lie inside "
                                "the world [0, %g] x [0, %g] m",
                                i, r->x0, r->x1, r->y0, r->y1, w->width_m, w->height_m);
        /* every cell the rectangle overlaps with positive area (tolerance for x/cell rounding) */
        long cx0 = clampl((long)floor(r->x0 / w->cell_m + 1e-9), 0, w->nx - 1);
        long cx1 = clampl((long)ceil(r->x1 / w->cell_m - 1e-9) - 1, 0, w->nx - 1);
        long cy0 = clampl((long)floor(r->y0 / w->cell_m + 1e-9), 0, w->ny - 1);
        long cy1 = clampl((long)ceil(r->y1 / w->cell_m - 1e-9) - 1, 0, w->ny - 1);
        if (cx1 < cx0) cx1 = cx0; /* thinner than the tolerance: still the cell it lies in */
        if (cy1 < cy0) cy1 = cy0;
        for (long cy = cy0; cy <= cy1; cy++)
            for (long cx = cx0; cx <= cx1; cx++)
                w->blocked[cy * w->nx + cx] = 1;
    }
    return POPI_OK;
}

static popi_err_t block_random(popi_world_t *w, double density, popi_rng_t *rng)
{
    size_t n_cells = (size_t)w->nx * (size_t)w->ny;
    long long k = llround(density * (double)n_cells);
    if (k == 0) return POPI_OK;
    if (!rng)
        return popi_err_set(POPI_EINVAL,
                            "world: world.obstacle_density = %g needs a random stream, got NULL",
                            density);
    int32_t *cand = popi_xmalloc(n_cells * sizeof *cand);
    size_t n = 0;
    for (size_t c = 0; c < n_cells; c++)
        if (!w->blocked[c]) cand[n++] = (int32_t)c;
    if ((size_t)k >= n) {
        free(cand);
        return popi_err_set(
            POPI_EINVAL,
            "world: world.obstacle_density = %g blocks %lld cells but only %zu are free; "
            "no free cell would remain",
            density, k, n);
    }
    /* the first k entries of a random permutation (partial Fisher-Yates) */
    for (size_t i = 0; i < (size_t)k; i++) {
        size_t j = i + (size_t)popi_rng_below(rng, (uint64_t)(n - i));
        int32_t t = cand[i];
        cand[i] = cand[j];
        cand[j] = t;
        w->blocked[cand[i]] = 1;
    }
    free(cand);
    return POPI_OK;
}

static popi_err_t build_nav(popi_world_t *w)
{
    const int32_t nx = w->nx, ny = w->ny;
    igraph_vector_int_t edges;
    igraph_vector_t len;
    igraph_vector_int_t memb;
    if (igraph_vector_int_init(&edges, 0) != IGRAPH_SUCCESS)
        return popi_err_set(POPI_ELIB, "world: igraph_vector_int_init failed");
    if (igraph_vector_init(&len, 0) != IGRAPH_SUCCESS) {
        igraph_vector_int_destroy(&edges);
        return popi_err_set(POPI_ELIB, "world: igraph_vector_init failed");
    }
    popi_err_t rc = POPI_OK;
    const double diag = w->cell_m * sqrt(2.0);
#define FREE_XY(x, y) ((x) >= 0 && (x) < nx && (y) >= 0 && (y) < ny && !w->blocked[(y)*nx + (x)])
#define ADD_EDGE(c2, l)                                                                            \
    do {                                                                                           \
        if (igraph_vector_int_push_back(&edges, w->vertex_of_cell[c]) ||                           \
            igraph_vector_int_push_back(&edges, w->vertex_of_cell[(c2)]) ||                        \
            igraph_vector_push_back(&len, (l))) {                                                  \
            rc = popi_err_set(POPI_ELIB, "world: igraph push_back failed building the nav graph"); \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)
    for (int32_t k = 0; k < w->n_free; k++) {
        int32_t c = w->free_cells[k], cx = c % nx, cy = c / nx;
        bool r = FREE_XY(cx + 1, cy), u = FREE_XY(cx, cy + 1), l = FREE_XY(cx - 1, cy);
        if (r) ADD_EDGE(c + 1, w->cell_m);
        if (u) ADD_EDGE(c + nx, w->cell_m);
        if (r && u && FREE_XY(cx + 1, cy + 1)) ADD_EDGE(c + nx + 1, diag);
        if (l && u && FREE_XY(cx - 1, cy + 1)) ADD_EDGE(c + nx - 1, diag);
    }
#undef ADD_EDGE
#undef FREE_XY
    if (igraph_create(&w->nav, &edges, w->n_free, IGRAPH_UNDIRECTED) != IGRAPH_SUCCESS) {
        rc = popi_err_set(POPI_ELIB, "world: igraph_create failed for %d vertices", (int)w->n_free);
        goto cleanup;
    }
    w->nav_w = len; /* ownership moves to the world */
    w->nav_ready = true;
    igraph_vector_int_destroy(&edges);

    igraph_integer_t n_comp = 0;
    if (igraph_vector_int_init(&memb, 0) != IGRAPH_SUCCESS)
        return popi_err_set(POPI_ELIB, "world: igraph_vector_int_init failed");
    if (igraph_connected_components(&w->nav, &memb, NULL, &n_comp, IGRAPH_WEAK) != IGRAPH_SUCCESS) {
        igraph_vector_int_destroy(&memb);
        return popi_err_set(POPI_ELIB, "world: igraph_connected_components failed");
    }
    for (int32_t k = 0; k < w->n_free; k++)
        w->component[w->free_cells[k]] = (int32_t)VECTOR(memb)[k];
    w->n_components = (int32_t)n_comp;
    igraph_vector_int_destroy(&memb);
    return POPI_OK;
cleanup:
    igraph_vector_int_destroy(&edges);
    igraph_vector_destroy(&len);
    return rc;
}

popi_err_t popi_world_init(popi_world_t *w, const popi_world_config_t *cfg, popi_rng_t *rng)
{
    memset(w, 0, sizeof *w);
    popi_err_t rc;
    if (!(isfinite(cfg->cell_m) && cfg->cell_m > 0.0))
        return popi_err_set(POPI_EINVAL, "world: world.cell_m must be > 0 m, got %g", cfg->cell_m);
    if (!(cfg->obstacle_density >= 0.0 && cfg->obstacle_density < 0.9))
        return popi_err_set(POPI_EINVAL,
                            "world: world.obstacle_density must be in [0, 0.9), got %g",
                            cfg->obstacle_density);
    if (cfg->n_obstacles > 0 && !cfg->obstacles)
        return popi_err_set(POPI_EINVAL, "world: world.obstacles is NULL but n_obstacles = %zu",
                            cfg->n_obstacles);
    w->cell_m = cfg->cell_m;
    if (cfg->map_file && cfg->map_file[0]) {
        rc = load_map(w, cfg->map_file);
        if (rc) goto fail;
        w->width_m = (double)w->nx * w->cell_m;
        w->height_m = (double)w->ny * w->cell_m;
    } else {
        const char *keys[2] = {"world.width_m", "world.height_m"};
        const double sizes[2] = {cfg->width_m, cfg->height_m};
        long long n[2];
        for (int i = 0; i < 2; i++) {
            if (!(isfinite(sizes[i]) && sizes[i] > 0.0)) {
                rc =
                    popi_err_set(POPI_EINVAL, "world: %s must be > 0 m, got %g", keys[i], sizes[i]);
                goto fail;
            }
            double r = sizes[i] / cfg->cell_m;
            if (r > (double)MAX_CELLS) {
                rc = popi_err_set(POPI_EINVAL,
                                  "world: %s / world.cell_m = %g cells exceeds the limit of %lld; "
                                  "raise world.cell_m",
                                  keys[i], r, MAX_CELLS);
                goto fail;
            }
            n[i] = llround(r);
            if (n[i] < 1 || fabs(r - (double)n[i]) > 1e-9 * fmax(1.0, r)) {
                rc =
                    popi_err_set(POPI_EINVAL,
                                 "world: %s = %g m must be a whole number of cells of world.cell_m "
                                 "= %g m (got %g cells)",
                                 keys[i], sizes[i], cfg->cell_m, r);
                goto fail;
            }
        }
        if (n[0] * n[1] > MAX_CELLS) {
            rc = popi_err_set(
                POPI_EINVAL,
                "world: %lld x %lld cells exceed the limit of %lld; raise world.cell_m", n[0], n[1],
                MAX_CELLS);
            goto fail;
        }
        w->nx = (int32_t)n[0];
        w->ny = (int32_t)n[1];
        w->width_m = cfg->width_m;
        w->height_m = cfg->height_m;
        w->blocked = popi_xcalloc((size_t)w->nx * (size_t)w->ny, 1);
    }
    rc = block_rects(w, cfg);
    if (rc) goto fail;
    rc = block_random(w, cfg->obstacle_density, rng);
    if (rc) goto fail;

    size_t n_cells = (size_t)w->nx * (size_t)w->ny;
    w->vertex_of_cell = popi_xmalloc(n_cells * sizeof *w->vertex_of_cell);
    w->component = popi_xmalloc(n_cells * sizeof *w->component);
    int32_t n_free = 0;
    for (size_t c = 0; c < n_cells; c++) {
        w->vertex_of_cell[c] = w->blocked[c] ? -1 : n_free;
        w->component[c] = -1;
        n_free += !w->blocked[c];
    }
    if (n_free == 0) {
        rc = popi_err_set(POPI_EINVAL, "world: no free cell: all %zu cells are obstacles (%s)",
                          n_cells,
                          cfg->map_file && cfg->map_file[0] ? "world.map_file" : "world.obstacles");
        goto fail;
    }
    w->n_free = n_free;
    w->free_cells = popi_xmalloc((size_t)n_free * sizeof *w->free_cells);
    for (size_t c = 0, k = 0; c < n_cells; c++)
        if (!w->blocked[c]) w->free_cells[k++] = (int32_t)c;
    w->free_area_m2 = (double)n_free * w->cell_m * w->cell_m;
#ifdef _OPENMP
#pragma omp critical(popi_igraph)
#endif
    rc = build_nav(w);
    if (rc) goto fail;
    return POPI_OK;
fail:
    popi_world_destroy(w);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* paths                                                                                          */

void popi_path_destroy(popi_path_t *p)
{
    if (!p) return;
    free(p->x);
    free(p->y);
    memset(p, 0, sizeof *p);
}

void popi_path_push(popi_path_t *p, double x, double y)
{
    if (p->n + 1 > p->cap) {
        size_t nc = p->cap ? 2 * p->cap : 16;
        p->x = popi_xrealloc(p->x, nc * sizeof *p->x);
        p->y = popi_xrealloc(p->y, nc * sizeof *p->y);
        p->cap = nc;
    }
    p->x[p->n] = x;
    p->y[p->n] = y;
    p->n++;
}

/*
 * Dijkstra from cell c0 to cell c1 (same component) on the nav graph; pushes the centres of the
 * cells strictly between them. igraph 0.10 keeps global state (not thread safe), so every igraph
 * call of this file runs inside the named OpenMP critical section popi_igraph.
 */
static popi_err_t push_cell_centres(const popi_world_t *w, int32_t c0, int32_t c1, popi_path_t *out)
{
    igraph_vector_int_t verts;
    if (igraph_vector_int_init(&verts, 0) != IGRAPH_SUCCESS)
        return popi_err_set(POPI_ELIB, "world: igraph_vector_int_init failed");
    if (igraph_get_shortest_path_dijkstra(&w->nav, &verts, NULL, w->vertex_of_cell[c0],
                                          w->vertex_of_cell[c1], &w->nav_w,
                                          IGRAPH_ALL) != IGRAPH_SUCCESS) {
        igraph_vector_int_destroy(&verts);
        return popi_err_set(POPI_ELIB,
                            "world: igraph_get_shortest_path_dijkstra failed from cell %d to %d",
                            (int)c0, (int)c1);
    }
    igraph_integer_t nv = igraph_vector_int_size(&verts);
    for (igraph_integer_t k = 1; k + 1 < nv; k++) {
        int32_t c = w->free_cells[VECTOR(verts)[k]];
        popi_path_push(out, w->cell_m * ((double)(c % w->nx) + 0.5),
                       w->cell_m * ((double)(c / w->nx) + 0.5));
    }
    igraph_vector_int_destroy(&verts);
    return POPI_OK;
}

popi_err_t popi_world_path(const popi_world_t *w, double x0, double y0, double x1, double y1,
                           popi_path_t *out)
{
    out->n = 0;
    int32_t c0 = popi_world_cell_of(w, x0, y0), c1 = popi_world_cell_of(w, x1, y1);
    if (c0 < 0 || w->blocked[c0])
        return popi_err_set(POPI_EINVAL,
                            "world: path start (%g, %g) is outside the world or in an obstacle", x0,
                            y0);
    if (c1 < 0 || w->blocked[c1])
        return popi_err_set(POPI_EINVAL,
                            "world: path goal (%g, %g) is outside the world or in an obstacle", x1,
                            y1);
    popi_path_push(out, x0, y0);
    if (popi_world_segment_clear(w, x0, y0, x1, y1)) { /* fast path: straight line */
        popi_path_push(out, x1, y1);
        return POPI_OK;
    }
    if (w->component[c0] != w->component[c1]) {
        out->n = 0;
        return popi_err_set(POPI_EUNREACH, "world: no obstacle-free path from (%g, %g) to (%g, %g)",
                            x0, y0, x1, y1);
    }
    popi_err_t rc;
#ifdef _OPENMP
#pragma omp critical(popi_igraph)
#endif
    rc = push_cell_centres(w, c0, c1, out);
    if (rc) {
        out->n = 0;
        return rc;
    }
    popi_path_push(out, x1, y1);
    /* string pulling: from each anchor jump to the farthest candidate in sight (in place) */
    size_t n = out->n, i = 0, wr = 1;
    while (i + 1 < n) {
        size_t j = n - 1;
        while (j > i + 1 &&
               !popi_world_segment_clear(w, out->x[i], out->y[i], out->x[j], out->y[j]))
            j--;
        /* wr <= j: this overwrites only candidates already passed; candidate j stays readable */
        out->x[wr] = out->x[j];
        out->y[wr] = out->y[j];
        i = j;
        wr++;
    }
    out->n = wr;
    return POPI_OK;
}
