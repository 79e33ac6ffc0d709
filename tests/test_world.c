/* SPDX-License-Identifier: MIT */
/*
 * test_world.c - the obstacle grid (rectangles, ASCII maps, random density), exact segment
 * traversal (clear / first hit / walls crossed), shortest paths and every error path of world.c.
 */
#include "popi/world.h"
#include "testutil.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static popi_world_config_t cfg_wh(double w, double h, double cell)
{
    popi_world_config_t c;
    memset(&c, 0, sizeof c);
    c.width_m = w;
    c.height_m = h;
    c.cell_m = cell;
    return c;
}

static int count_blocked(const popi_world_t *w)
{
    int n = 0;
    for (int32_t c = 0; c < w->nx * w->ny; c++)
        n += w->blocked[c] != 0;
    return n;
}

static bool cell_blocked(const popi_world_t *w, int cx, int cy)
{
    return w->blocked[cy * w->nx + cx] != 0;
}

/* A world from a list of rectangles; aborts the test on failure. */
static void world_rects(popi_world_t *w, double width, double height, double cell, popi_rect_t *r,
                        size_t n)
{
    popi_world_config_t c = cfg_wh(width, height, cell);
    c.obstacles = r;
    c.n_obstacles = n;
    popi_err_t rc = popi_world_init(w, &c, NULL);
    ck_assert_msg(rc == POPI_OK, "world_init: %s", popi_err_message());
}

/* Write a map into a fresh temporary folder; returns the file path (caller frees both). */
static char *write_map(char **dir, const char *text)
{
    *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(*dir);
    char *path = malloc(strlen(*dir) + 16);
    sprintf(path, "%s/map.txt", *dir);
    ck_assert_int_eq(popi_test_write(path, text), 0);
    return path;
}

static popi_err_t world_from_map_text(popi_world_t *w, const char *text, double cell)
{
    char *dir;
    char *path = write_map(&dir, text);
    popi_world_config_t c = cfg_wh(0, 0, cell);
    c.map_file = path;
    popi_err_t rc = popi_world_init(w, &c, NULL);
    popi_test_rmdir(dir);
    free(dir);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */

START_TEST(test_rects_block_overlapped_cells)
{
    popi_world_t w;
    popi_rect_t r[3] = {{2.0, 3.0, 4.0, 5.5}, {0.0, 0.0, 1.0, 1.0}, {3.0, 3.0, 4.0, 4.0}};
    world_rects(&w, 10, 10, 1, r, 3);
    ck_assert_int_eq(w.nx, 10);
    ck_assert_int_eq(w.ny, 10);
    ck_assert_int_eq(count_blocked(&w), 7); /* 2 x 3 cells + 1; the third overlaps the first */
    for (int cx = 2; cx <= 3; cx++)
        for (int cy = 3; cy <= 5; cy++)
            ck_assert(cell_blocked(&w, cx, cy));
    ck_assert(cell_blocked(&w, 0, 0));
    ck_assert(!cell_blocked(&w, 1, 0) &&
              !cell_blocked(&w, 0, 1)); /* touching an edge is not overlap */
    ck_assert(!cell_blocked(&w, 4, 3) && !cell_blocked(&w, 2, 6) && !cell_blocked(&w, 1, 3));
    ck_assert_int_eq(w.n_free, 93);
    ck_assert_double_eq_tol(w.free_area_m2, 93.0, 1e-12);
    ck_assert_int_eq(w.n_components, 1);
    for (int32_t k = 1; k < w.n_free; k++)
        ck_assert_int_lt(w.free_cells[k - 1], w.free_cells[k]);
    for (int32_t k = 0; k < w.n_free; k++)
        ck_assert_int_eq(w.vertex_of_cell[w.free_cells[k]], k);
    ck_assert_int_eq(w.vertex_of_cell[0], -1);
    /* points: blocked cells, boundary (closed on the upper side), outside */
    ck_assert(popi_world_blocked_at(&w, 0.5, 0.5));
    ck_assert(popi_world_blocked_at(&w, 2.0, 3.0));
    ck_assert(!popi_world_blocked_at(&w, 1.0, 0.5));
    ck_assert(!popi_world_blocked_at(&w, 4.0, 4.0));
    ck_assert(popi_world_blocked_at(&w, -0.01, 5));
    ck_assert(popi_world_blocked_at(&w, 10.01, 5));
    ck_assert(popi_world_blocked_at(&w, NAN, 5));
    ck_assert_int_eq(popi_world_cell_of(&w, 10.0, 10.0), 99);
    ck_assert_int_eq(popi_world_cell_of(&w, 9.99, 0.0), 9);
    ck_assert_int_eq(popi_world_cell_of(&w, 0.0, 1.0), 10);
    ck_assert_int_eq(popi_world_cell_of(&w, 10.0001, 1.0), -1);
    popi_world_destroy(&w);
    popi_world_destroy(&w); /* destroy twice is safe */

    /* a finer grid: cell 0.5 m, a small rectangle inside one cell */
    popi_rect_t r2 = {1.2, 0.1, 1.3, 0.2};
    world_rects(&w, 10, 5, 0.5, &r2, 1);
    ck_assert_int_eq(w.nx, 20);
    ck_assert_int_eq(w.ny, 10);
    ck_assert_int_eq(count_blocked(&w), 1);
    ck_assert(cell_blocked(&w, 2, 0));
    ck_assert_double_eq_tol(w.free_area_m2, 199 * 0.25, 1e-12);
    popi_world_destroy(&w);

    /* the rectangle may touch the world's edges; cell 0.1 m with coordinates not exact in binary */
    popi_rect_t r3 = {0.3, 0.7, 1.0, 1.0};
    world_rects(&w, 1.0, 1.0, 0.1, &r3, 1);
    ck_assert_int_eq(w.nx, 10);
    ck_assert_int_eq(count_blocked(&w), 7 * 3);
    popi_world_destroy(&w);
    /* a rectangle thinner than a cell still blocks the cell it lies in */
    popi_rect_t r4 = {1.2, 0.3, 1.2 + 1e-12, 0.4};
    world_rects(&w, 2.0, 1.0, 0.1, &r4, 1);
    ck_assert_int_eq(count_blocked(&w), 1);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_map_file)
{
    popi_world_t w;
    /* first line = top row; cell 2 m */
    popi_err_t rc = world_from_map_text(&w, "#....\n..#..\n....#\n", 2.0);
    ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
    ck_assert_int_eq(w.nx, 5);
    ck_assert_int_eq(w.ny, 3);
    ck_assert_double_eq(w.width_m, 10.0);
    ck_assert_double_eq(w.height_m, 6.0);
    ck_assert_int_eq(count_blocked(&w), 3);
    ck_assert(cell_blocked(&w, 0, 2));
    ck_assert(cell_blocked(&w, 2, 1));
    ck_assert(cell_blocked(&w, 4, 0));
    ck_assert(popi_world_blocked_at(&w, 1.0, 5.0));
    ck_assert(!popi_world_blocked_at(&w, 1.0, 1.0));
    ck_assert_int_eq(w.n_free, 12);
    ck_assert_double_eq_tol(w.free_area_m2, 48.0, 1e-12);
    popi_world_destroy(&w);

    /* CRLF, spaces and other printable characters are free; trailing empty lines ignored; no
     * final newline */
    rc = world_from_map_text(&w, "# a\r\n.#B\r\n...\r\n\r\n\n", 1.0);
    ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
    ck_assert_int_eq(w.nx, 3);
    ck_assert_int_eq(w.ny, 3);
    ck_assert_int_eq(count_blocked(&w), 2);
    ck_assert(cell_blocked(&w, 0, 2) && cell_blocked(&w, 1, 1));
    popi_world_destroy(&w);
    rc = world_from_map_text(&w, "..\n.#", 1.0);
    ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
    ck_assert_int_eq(w.ny, 2);
    ck_assert(cell_blocked(&w, 1, 0));
    popi_world_destroy(&w);

    /* rectangles are added on top of a map */
    char *dir;
    char *path = write_map(&dir, "....\n....\n");
    popi_world_config_t c = cfg_wh(99, 99, 1.0); /* width/height ignored with a map */
    popi_rect_t r = {0, 0, 1, 2};
    c.map_file = path;
    c.obstacles = &r;
    c.n_obstacles = 1;
    rc = popi_world_init(&w, &c, NULL);
    ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
    ck_assert_double_eq(w.width_m, 4.0);
    ck_assert_int_eq(count_blocked(&w), 2);
    popi_world_destroy(&w);
    popi_test_rmdir(dir);
    free(dir);
    free(path);
}
END_TEST

START_TEST(test_plaza_map)
{
    popi_world_config_t c = cfg_wh(0, 0, 1.0);
    c.map_file = (char *)popi_test_src("data/maps/plaza.txt");
    popi_world_t w;
    popi_err_t rc = popi_world_init(&w, &c, NULL);
    ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
    ck_assert_int_eq(w.nx, 60);
    ck_assert_int_eq(w.ny, 40);
    ck_assert_int_eq(w.n_components, 1); /* fully connected free area */
    ck_assert_int_gt(w.n_free, 1500);
    ck_assert_int_lt(w.n_free, 2400);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_map_errors)
{
    popi_world_t w;
    popi_err_t rc = world_from_map_text(&w, "....\n....\n...\n....\n", 1.0);
    ck_assert_int_eq(rc, POPI_EPARSE);
    ck_assert_msg(strstr(popi_err_message(), ":3:") != NULL, "no line number: %s",
                  popi_err_message());
    ck_assert_msg(strstr(popi_err_message(), "ragged") != NULL, "%s", popi_err_message());
    ck_assert_ptr_null(w.blocked); /* left destroyable */
    popi_world_destroy(&w);

    rc = world_from_map_text(&w, "....\n\n....\n", 1.0); /* an empty row inside the map */
    ck_assert_int_eq(rc, POPI_EPARSE);
    ck_assert_msg(strstr(popi_err_message(), ":2:") != NULL, "%s", popi_err_message());

    rc = world_from_map_text(&w, "", 1.0);
    ck_assert_int_eq(rc, POPI_EPARSE);
    ck_assert_msg(strstr(popi_err_message(), "empty") != NULL, "%s", popi_err_message());
    rc = world_from_map_text(&w, "\n\n\r\n", 1.0);
    ck_assert_int_eq(rc, POPI_EPARSE);
    ck_assert_msg(strstr(popi_err_message(), ":1:") != NULL, "%s", popi_err_message());

    rc = world_from_map_text(&w, "..\t.\n....\n", 1.0);
    ck_assert_int_eq(rc, POPI_EPARSE);
    ck_assert_msg(strstr(popi_err_message(), ":1:") != NULL, "%s", popi_err_message());

    rc = world_from_map_text(&w, "###\n###\n", 1.0);
    ck_assert_int_eq(rc, POPI_EINVAL);
    ck_assert_msg(strstr(popi_err_message(), "no free cell") != NULL, "%s", popi_err_message());

    popi_world_config_t c = cfg_wh(0, 0, 1.0);
    c.map_file = "/nonexistent/popi/map.txt";
    rc = popi_world_init(&w, &c, NULL);
    ck_assert_int_eq(rc, POPI_EIO);
    ck_assert_msg(strstr(popi_err_message(), "/nonexistent/popi/map.txt") != NULL, "%s",
                  popi_err_message());
    /* a folder opens but cannot be read as a file */
    c.map_file = "/tmp";
    rc = popi_world_init(&w, &c, NULL);
    ck_assert_int_eq(rc, POPI_EIO);
}
END_TEST

START_TEST(test_random_density)
{
    popi_world_config_t c = cfg_wh(20, 20, 1);
    c.obstacle_density = 0.25;
    popi_rng_t r1, r2, r3;
    popi_rng_init(&r1, 7, 0, POPI_STREAM_WORLD);
    popi_rng_init(&r2, 7, 0, POPI_STREAM_WORLD);
    popi_rng_init(&r3, 8, 0, POPI_STREAM_WORLD);
    popi_world_t a, b, d;
    ck_assert_int_eq(popi_world_init(&a, &c, &r1), POPI_OK);
    ck_assert_int_eq(popi_world_init(&b, &c, &r2), POPI_OK);
    ck_assert_int_eq(popi_world_init(&d, &c, &r3), POPI_OK);
    ck_assert_int_eq(count_blocked(&a), 100);
    ck_assert_int_eq(count_blocked(&d), 100);
    ck_assert_int_eq(a.n_free, 300);
    ck_assert_double_eq_tol(a.free_area_m2, 300.0, 1e-12);
    ck_assert(memcmp(a.blocked, b.blocked, 400) == 0);
    ck_assert(memcmp(a.blocked, d.blocked, 400) != 0);
    popi_world_destroy(&a);
    popi_world_destroy(&b);
    popi_world_destroy(&d);

    /* round(density * cells) extra cells on top of the rectangles; 0.2 * 25 = 5, 0.13 * 25 -> 3 */
    popi_rect_t r = {0, 0, 2, 5};
    c = cfg_wh(5, 5, 1);
    c.obstacles = &r;
    c.n_obstacles = 1;
    c.obstacle_density = 0.2;
    ck_assert_int_eq(popi_world_init(&a, &c, &r1), POPI_OK);
    ck_assert_int_eq(count_blocked(&a), 15);
    popi_world_destroy(&a);
    c.obstacle_density = 0.13;
    ck_assert_int_eq(popi_world_init(&a, &c, &r1), POPI_OK);
    ck_assert_int_eq(count_blocked(&a), 13);
    popi_world_destroy(&a);

    /* each cell is equally likely to be blocked: chi-square over many worlds */
    c = cfg_wh(8, 8, 1);
    c.obstacle_density = 0.25;
    uint64_t seed = popi_test_seed(11);
    popi_rng_t rs;
    popi_rng_init(&rs, seed, 0, POPI_STREAM_WORLD);
    double hits[64] = {0};
    const int n_worlds = 2000;
    for (int i = 0; i < n_worlds; i++) {
        ck_assert_int_eq(popi_world_init(&a, &c, &rs), POPI_OK);
        for (int k = 0; k < 64; k++)
            hits[k] += a.blocked[k];
        popi_world_destroy(&a);
    }
    double expect = n_worlds * 16.0 / 64.0, chi2 = 0;
    for (int k = 0; k < 64; k++)
        chi2 += (hits[k] - expect) * (hits[k] - expect) / expect;
    /* multivariate hypergeometric cells: variance factor (1 - 1/4) per cell; chi2 is conservative
     */
    double p = gsl_cdf_chisq_Q(chi2, 63);
    ck_assert_msg(p > 1e-4, "seed %llu: blocked cells not uniform, chi2 = %g, p = %g",
                  (unsigned long long)seed, chi2, p);
    popi_rng_destroy(&rs);
    popi_rng_destroy(&r1);
    popi_rng_destroy(&r2);
    popi_rng_destroy(&r3);
}
END_TEST

START_TEST(test_config_errors)
{
    popi_world_t w;
    popi_world_config_t c;
    struct {
        double width, height, cell, density;
        const char *key;
    } cases[] = {
        {10, 10, 0, 0, "world.cell_m"},       {10, 10, -1, 0, "world.cell_m"},
        {10, 10, NAN, 0, "world.cell_m"},     {0, 10, 1, 0, "world.width_m"},
        {10, -2, 1, 0, "world.height_m"},     {INFINITY, 10, 1, 0, "world.width_m"},
        {10.5, 10, 1, 0, "world.width_m"},    {10, 10, 3, 0, "world.width_m"},
        {10, 10, 1, 0.9, "obstacle_density"}, {10, 10, 1, -0.1, "obstacle_density"},
        {10, 10, 1, NAN, "obstacle_density"}, {1e6, 1e6, 0.1, 0, "cell"},
        {1e300, 10, 1, 0, "world.width_m"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        c = cfg_wh(cases[i].width, cases[i].height, cases[i].cell);
        c.obstacle_density = cases[i].density;
        popi_err_clear();
        popi_err_t rc = popi_world_init(&w, &c, NULL);
        ck_assert_msg(rc == POPI_EINVAL, "case %zu: got %s", i, popi_err_name(rc));
        ck_assert_msg(strstr(popi_err_message(), cases[i].key) != NULL, "case %zu: %s", i,
                      popi_err_message());
        popi_world_destroy(&w);
    }
    /* random obstacles need a stream */
    c = cfg_wh(10, 10, 1);
    c.obstacle_density = 0.5;
    ck_assert_int_eq(popi_world_init(&w, &c, NULL), POPI_EINVAL);
    ck_assert(strstr(popi_err_message(), "obstacle_density") != NULL);

    /* rectangles: outside the world, empty, inverted, NaN, NULL list */
    popi_rect_t bad[] = {{5, 5, 10.5, 6}, {-1, 0, 1, 1}, {0, 0, 1, 11},
                         {2, 2, 2, 3},    {2, 3, 3, 2},  {NAN, 0, 1, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = cfg_wh(10, 10, 1);
        c.obstacles = &bad[i];
        c.n_obstacles = 1;
        popi_err_t rc = popi_world_init(&w, &c, NULL);
        ck_assert_msg(rc == POPI_EINVAL, "rect %zu: got %s", i, popi_err_name(rc));
        ck_assert_msg(strstr(popi_err_message(), "world.obstacles[0]") != NULL, "%s",
                      popi_err_message());
    }
    c = cfg_wh(10, 10, 1);
    c.n_obstacles = 2;
    ck_assert_int_eq(popi_world_init(&w, &c, NULL), POPI_EINVAL);

    /* no free cell: a rectangle over everything; density that leaves nothing */
    popi_rect_t all = {0, 0, 10, 10};
    c.obstacles = &all;
    c.n_obstacles = 1;
    ck_assert_int_eq(popi_world_init(&w, &c, NULL), POPI_EINVAL);
    ck_assert_msg(strstr(popi_err_message(), "no free cell") != NULL, "%s", popi_err_message());
    popi_rect_t most = {0, 0, 10, 5};
    c.obstacles = &most;
    c.obstacle_density = 0.5;
    popi_rng_t r;
    popi_rng_init(&r, 1, 0, POPI_STREAM_WORLD);
    ck_assert_int_eq(popi_world_init(&w, &c, &r), POPI_EINVAL);
    ck_assert_msg(strstr(popi_err_message(), "no free cell") != NULL, "%s", popi_err_message());
    popi_rng_destroy(&r);
    popi_world_destroy(&w);

    /* a zeroed world is destroyable */
    popi_world_t z;
    memset(&z, 0, sizeof z);
    popi_world_destroy(&z);
    popi_world_destroy(NULL);
}
END_TEST

START_TEST(test_segments_empty_world)
{
    popi_world_t w;
    world_rects(&w, 10, 10, 1, NULL, 0);
    ck_assert(popi_world_segment_clear(&w, 0.5, 0.5, 9.5, 9.5));
    ck_assert(popi_world_segment_first_hit(&w, 0.5, 0.5, 9.5, 9.5) > 1.0);
    /* touching the boundary from inside is fine */
    ck_assert(popi_world_segment_clear(&w, 0, 0, 0, 10));
    ck_assert(popi_world_segment_clear(&w, 0, 10, 10, 10));
    ck_assert(popi_world_segment_clear(&w, 5, 5, 10, 7));
    ck_assert(popi_world_segment_clear(&w, 10, 10, 0, 0));
    /* leaving is not */
    ck_assert(!popi_world_segment_clear(&w, 5, 5, 11, 5));
    ck_assert_double_eq_tol(popi_world_segment_first_hit(&w, 5, 5, 11, 5), 5.0 / 6.0, 1e-12);
    ck_assert_double_eq_tol(popi_world_segment_first_hit(&w, 5, 5, 5, -5), 0.5, 1e-12);
    ck_assert_double_eq(popi_world_segment_first_hit(&w, -1, 5, 5, 5), 0.0);
    ck_assert_double_eq(popi_world_segment_first_hit(&w, 10, 5, 11, 5), 0.0);
    ck_assert(popi_world_segment_clear(&w, 10, 5, 9, 5));
    /* zero length */
    ck_assert(popi_world_segment_clear(&w, 3.3, 3.3, 3.3, 3.3));
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 0.5, 9.5, 9.5), 0);
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_segments_one_block)
{
    popi_world_t w;
    popi_rect_t r = {5, 5, 6, 6}; /* cell (5, 5) */
    world_rects(&w, 10, 10, 1, &r, 1);
    /* straight through it */
    ck_assert(!popi_world_segment_clear(&w, 0.5, 5.5, 9.5, 5.5));
    ck_assert_double_eq(popi_world_segment_first_hit(&w, 0.5, 5.5, 9.5, 5.5), 0.5);
    ck_assert_double_eq_tol(popi_world_segment_first_hit(&w, 9.5, 5.5, 0.5, 5.5), 3.5 / 9.0, 1e-12);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 5.5, 9.5, 5.5), 1);
    /* stopping short, or ending exactly on its face (touching counts) */
    ck_assert(popi_world_segment_clear(&w, 0.5, 5.5, 4.9, 5.5));
    ck_assert(!popi_world_segment_clear(&w, 0.5, 5.5, 5.0, 5.5));
    ck_assert_double_eq(popi_world_segment_first_hit(&w, 0.5, 5.5, 5.0, 5.5), 1.0);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 5.5, 5.0, 5.5), 0);
    /* running along its lower face (y = 5) and its upper face (y = 6) */
    ck_assert(!popi_world_segment_clear(&w, 0.5, 5.0, 9.5, 5.0));
    ck_assert_double_eq(popi_world_segment_first_hit(&w, 0.5, 5.0, 9.5, 5.0), 0.5);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 5.0, 9.5, 5.0),
                     1); /* row 5 holds the segment */
    ck_assert(!popi_world_segment_clear(&w, 0.5, 6.0, 9.5, 6.0));
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 6.0, 9.5, 6.0), 0);
    ck_assert(!popi_world_segment_clear(&w, 6.0, 0.5, 6.0, 9.5)); /* along its right face */
    ck_assert_double_eq(popi_world_segment_first_hit(&w, 6.0, 0.5, 6.0, 9.5), 0.5);
    ck_assert(popi_world_segment_clear(&w, 6.001, 0.5, 6.001, 9.5));
    /* through its corner only */
    ck_assert(!popi_world_segment_clear(&w, 4, 6, 6, 4));
    ck_assert_double_eq(popi_world_segment_first_hit(&w, 4, 6, 6, 4), 0.5);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 4, 6, 6, 4), 0);
    ck_assert(popi_world_segment_clear(&w, 4.5, 4.5, 5.5, 4.5));
    ck_assert(popi_world_segment_clear(&w, 4, 5.99, 5.99, 4)); /* passes beside the corner */
    /* zero-length segments */
    ck_assert(!popi_world_segment_clear(&w, 5.5, 5.5, 5.5, 5.5));
    ck_assert(popi_world_segment_clear(&w, 5.0, 4.0, 5.0, 4.0));  /* (5,4) is not its corner... */
    ck_assert(!popi_world_segment_clear(&w, 6.0, 6.0, 6.0, 6.0)); /* ...(6,6) is */
    popi_world_destroy(&w);

    /* a diagonal through a row of blocked cells' corners */
    popi_rect_t r2[2] = {{3, 3, 4, 4}, {4, 4, 5, 5}};
    world_rects(&w, 10, 10, 1, r2, 2);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 0.5, 9.5, 9.5), 2);
    ck_assert_double_eq_tol(popi_world_segment_first_hit(&w, 0.5, 0.5, 9.5, 9.5), 2.5 / 9.0, 1e-12);
    popi_world_destroy(&w);

    /* three walls in a row; thick walls count cell by cell */
    popi_rect_t r3 = {5, 5, 8, 6};
    world_rects(&w, 10, 10, 1, &r3, 1);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 5.5, 9.5, 5.5), 3);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 5.5, 6.5, 5.5), 2);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 0.5, 9.5, 0.5), 0);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 5.5, 0.5, 5.5, 9.5), 1);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 5.5, 20, 5.5), 3); /* clipped to the world */
    popi_world_destroy(&w);
}
END_TEST

START_TEST(test_no_corner_cutting)
{
    popi_world_t w;
    popi_rect_t r[2] = {{1, 0, 2, 1}, {0, 1, 1, 2}}; /* cells (1,0) and (0,1): (0,0) is sealed */
    world_rects(&w, 10, 10, 1, r, 2);
    ck_assert(!popi_world_segment_clear(&w, 0.5, 0.5, 1.5, 1.5));
    ck_assert_double_eq(popi_world_segment_first_hit(&w, 0.5, 0.5, 1.5, 1.5), 0.5);
    ck_assert_int_eq(popi_world_walls_crossed(&w, 0.5, 0.5, 1.5, 1.5), 0);
    ck_assert_int_eq(w.n_components, 2);
    popi_path_t p = {0};
    ck_assert_int_eq(popi_world_path(&w, 0.5, 0.5, 5.5, 5.5, &p), POPI_EUNREACH);
    ck_assert_uint_eq(p.n, 0);
    ck_assert_int_eq(popi_world_path(&w, 5.5, 5.5, 0.2, 0.7, &p), POPI_EUNREACH);
    /* inside the sealed cell a path is trivially direct */
    ck_assert_int_eq(popi_world_path(&w, 0.2, 0.2, 0.8, 0.8, &p), POPI_OK);
    ck_assert_uint_eq(p.n, 2);
    /* the reachable point draw stays in the component */
    popi_rng_t rng;
    popi_rng_init(&rng, 3, 0, POPI_STREAM_MOBILITY);
    for (int i = 0; i < 200; i++) {
        double x, y;
        popi_world_random_reachable_point(&w, &rng, 0.5, 0.5, &x, &y);
        ck_assert(x > 0 && x < 1 && y > 0 && y < 1);
        popi_world_random_reachable_point(&w, &rng, 7.5, 7.5, &x, &y);
        ck_assert(!popi_world_blocked_at(&w, x, y));
        ck_assert(!(x < 1 && y < 1));
    }
    popi_rng_destroy(&rng);
    popi_path_destroy(&p);
    popi_world_destroy(&w);
}
END_TEST

static double path_length(const popi_path_t *p)
{
    double s = 0;
    for (size_t k = 1; k < p->n; k++)
        s += hypot(p->x[k] - p->x[k - 1], p->y[k] - p->y[k - 1]);
    return s;
}

static void check_path(const popi_world_t *w, const popi_path_t *p, double x0, double y0, double x1,
                       double y1)
{
    ck_assert_uint_ge(p->n, 2);
    ck_assert(p->x[0] == x0 && p->y[0] == y0);
    ck_assert(p->x[p->n - 1] == x1 && p->y[p->n - 1] == y1);
    for (size_t k = 1; k < p->n; k++)
        ck_assert_msg(popi_world_segment_clear(w, p->x[k - 1], p->y[k - 1], p->x[k], p->y[k]),
                      "segment %zu (%g,%g)-(%g,%g) crosses an obstacle", k, p->x[k - 1],
                      p->y[k - 1], p->x[k], p->y[k]);
    for (size_t k = 1; k + 1 < p->n; k++) { /* corners sit at free-cell centres */
        double fu = p->x[k] / w->cell_m - floor(p->x[k] / w->cell_m);
        double fv = p->y[k] / w->cell_m - floor(p->y[k] / w->cell_m);
        ck_assert(fabs(fu - 0.5) < 1e-9 && fabs(fv - 0.5) < 1e-9);
    }
    ck_assert(path_length(p) >= hypot(x1 - x0, y1 - y0) - 1e-9);
}

START_TEST(test_path_wall_with_gap)
{
    popi_world_t w;
    popi_rect_t r = {5, 0, 6, 8}; /* a wall at x in [5, 6) from y = 0 to 8; gap above */
    world_rects(&w, 10, 10, 1, &r, 1);
    popi_path_t p = {0};
    /* direct: two points, no search */
    ck_assert_int_eq(popi_world_path(&w, 1.5, 2.5, 4.5, 7.5, &p), POPI_OK);
    ck_assert_uint_eq(p.n, 2);
    check_path(&w, &p, 1.5, 2.5, 4.5, 7.5);
    /* around the wall: over the corner cells (4,8) and (6,8) */
    ck_assert_int_eq(popi_world_path(&w, 2.5, 2.5, 8.5, 2.5, &p), POPI_OK);
    check_path(&w, &p, 2.5, 2.5, 8.5, 2.5);
    ck_assert_uint_eq(p.n, 4);
    ck_assert_double_eq(p.x[1], 4.5);
    ck_assert_double_eq(p.y[1], 8.5);
    ck_assert_double_eq(p.x[2], 6.5);
    ck_assert_double_eq(p.y[2], 8.5);
    double expect = 2 * hypot(2, 6) + 2;
    ck_assert_double_eq_tol(path_length(&p), expect, 1e-9);
    /* errors: end points blocked or outside */
    ck_assert_int_eq(popi_world_path(&w, 5.5, 2.5, 8.5, 2.5, &p), POPI_EINVAL);
    ck_assert(strstr(popi_err_message(), "start") != NULL);
    ck_assert_int_eq(popi_world_path(&w, 2.5, 2.5, 8.5, 12.0, &p), POPI_EINVAL);
    ck_assert(strstr(popi_err_message(), "goal") != NULL);
    popi_path_destroy(&p);
    popi_world_destroy(&w);
}
END_TEST

/* A perfect maze (recursive backtracker) of rw x rh rooms, each maze cell scaled to s x s grid
 * cells. */
static char *maze_text(int rw, int rh, int s, uint64_t seed)
{
    int gw = 2 * rw + 1, gh = 2 * rh + 1;
    char *g = malloc((size_t)(gw * gh));
    memset(g, '#', (size_t)(gw * gh));
    int *stack = malloc(sizeof(int) * (size_t)(rw * rh));
    char *seen = calloc((size_t)(rw * rh), 1);
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, POPI_STREAM_WORLD);
    int sp = 0;
    stack[sp++] = 0;
    seen[0] = 1;
    g[1 * gw + 1] = '.';
    while (sp > 0) {
        int cur = stack[sp - 1], cx = cur % rw, cy = cur / rw;
        int nb[4], nn = 0;
        const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int k = 0; k < 4; k++) {
            int nx = cx + dx[k], ny = cy + dy[k];
            if (nx >= 0 && ny >= 0 && nx < rw && ny < rh && !seen[ny * rw + nx]) nb[nn++] = k;
        }
        if (nn == 0) {
            sp--;
            continue;
        }
        int k = nb[popi_rng_below(&r, (uint64_t)nn)];
        int nx = cx + dx[k], ny = cy + dy[k];
        seen[ny * rw + nx] = 1;
        g[(2 * cy + 1 + dy[k]) * gw + 2 * cx + 1 + dx[k]] = '.';
        g[(2 * ny + 1) * gw + 2 * nx + 1] = '.';
        stack[sp++] = ny * rw + nx;
    }
    popi_rng_destroy(&r);
    size_t W = (size_t)(gw * s), H = (size_t)(gh * s);
    char *text = malloc((W + 1) * H + 1);
    size_t pos = 0;
    for (size_t y = 0; y < H; y++) {
        for (size_t x = 0; x < W; x++)
            text[pos++] = g[(y / (size_t)s) * (size_t)gw + x / (size_t)s];
        text[pos++] = '\n';
    }
    text[pos] = '\0';
    free(g);
    free(stack);
    free(seen);
    return text;
}

static double grid_distance(const popi_world_t *w, int32_t c0, int32_t c1)
{
    igraph_matrix_t res;
    igraph_matrix_init(&res, 1, 1);
    igraph_distances_dijkstra(&w->nav, &res, igraph_vss_1(w->vertex_of_cell[c0]),
                              igraph_vss_1(w->vertex_of_cell[c1]), &w->nav_w, IGRAPH_ALL);
    double d = MATRIX(res, 0, 0);
    igraph_matrix_destroy(&res);
    return d;
}

static void check_random_paths(const popi_world_t *w, uint64_t seed, int n_pairs)
{
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, POPI_STREAM_MOBILITY);
    popi_path_t p = {0};
    int n_searched = 0;
    for (int i = 0; i < n_pairs; i++) {
        int32_t c0 = w->free_cells[popi_rng_below(&r, (uint64_t)w->n_free)];
        int32_t c1 = w->free_cells[popi_rng_below(&r, (uint64_t)w->n_free)];
        double x0 = w->cell_m * (c0 % w->nx + 0.5), y0 = w->cell_m * (c0 / w->nx + 0.5);
        double x1 = w->cell_m * (c1 % w->nx + 0.5), y1 = w->cell_m * (c1 / w->nx + 0.5);
        popi_err_t rc = popi_world_path(w, x0, y0, x1, y1, &p);
        if (w->component[c0] != w->component[c1]) {
            ck_assert_int_eq(rc, POPI_EUNREACH);
            continue;
        }
        ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
        check_path(w, &p, x0, y0, x1, y1);
        double g = grid_distance(w, c0, c1), len = path_length(&p);
        ck_assert_msg(len <= 1.09 * g + 1e-9,
                      "seed %llu: path %g longer than 1.09 x grid optimum %g",
                      (unsigned long long)seed, len, g);
        n_searched += p.n > 2;
        /* random points inside the same cells: still clear, still no shorter than the straight line
         */
        double xr0, yr0, xr1, yr1;
        popi_world_random_point_in_cell(w, c0, &r, &xr0, &yr0);
        popi_world_random_point_in_cell(w, c1, &r, &xr1, &yr1);
        ck_assert_int_eq(popi_world_path(w, xr0, yr0, xr1, yr1, &p), POPI_OK);
        check_path(w, &p, xr0, yr0, xr1, yr1);
    }
    ck_assert_int_gt(n_searched, n_pairs / 4);
    popi_path_destroy(&p);
    popi_rng_destroy(&r);
}

START_TEST(test_path_maze)
{
    uint64_t seed = popi_test_seed(5);
    popi_world_t w;
    for (int s = 1; s <= 3; s += 2) {
        char *text = maze_text(10, 8, s, seed);
        popi_err_t rc = world_from_map_text(&w, text, 0.5);
        free(text);
        ck_assert_msg(rc == POPI_OK, "%s", popi_err_message());
        ck_assert_int_eq(w.n_components, 1);
        check_random_paths(&w, seed, 150);
        popi_world_destroy(&w);
    }
    /* random obstacles (possibly disconnected free area) */
    popi_world_config_t c = cfg_wh(40, 30, 1);
    c.obstacle_density = 0.3;
    popi_rng_t r;
    popi_rng_init(&r, seed, 0, POPI_STREAM_WORLD);
    ck_assert_int_eq(popi_world_init(&w, &c, &r), POPI_OK);
    check_random_paths(&w, seed + 1, 150);
    popi_world_destroy(&w);
    popi_rng_destroy(&r);
}
END_TEST

START_TEST(test_random_points)
{
    popi_world_t w;
    popi_rect_t r[2] = {{0, 0, 3, 10}, {5, 5, 6, 6}};
    world_rects(&w, 10, 10, 1, r, 2);
    uint64_t seed = popi_test_seed(9);
    popi_rng_t rng;
    popi_rng_init(&rng, seed, 0, POPI_STREAM_PLACEMENT);
    double *hits = calloc(100, sizeof *hits);
    const int n = 60000;
    double sx = 0;
    for (int i = 0; i < n; i++) {
        double x, y;
        popi_world_random_free_point(&w, &rng, &x, &y);
        ck_assert(!popi_world_blocked_at(&w, x, y));
        hits[popi_world_cell_of(&w, x, y)] += 1;
        sx += x - floor(x);
    }
    double expect = (double)n / w.n_free, chi2 = 0;
    for (int32_t k = 0; k < w.n_free; k++) {
        double h = hits[w.free_cells[k]];
        chi2 += (h - expect) * (h - expect) / expect;
    }
    double p = gsl_cdf_chisq_Q(chi2, w.n_free - 1);
    ck_assert_msg(p > 1e-4, "seed %llu: free cells not uniform: chi2 %g p %g",
                  (unsigned long long)seed, chi2, p);
    /* uniform inside the cell: mean offset 1/2, sd 1/sqrt(12) */
    double se = 1.0 / sqrt(12.0 * n);
    ck_assert_msg(fabs(sx / n - 0.5) < 4 * se, "seed %llu: in-cell offset mean %g",
                  (unsigned long long)seed, sx / n);
    free(hits);
    popi_rng_destroy(&rng);
    popi_world_destroy(&w);
}
END_TEST

static Suite *world_suite(void)
{
    Suite *s = suite_create("world");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rects_block_overlapped_cells);
    tcase_add_test(tc, test_map_file);
    tcase_add_test(tc, test_plaza_map);
    tcase_add_test(tc, test_map_errors);
    tcase_add_test(tc, test_random_density);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_segments_empty_world);
    tcase_add_test(tc, test_segments_one_block);
    tcase_add_test(tc, test_no_corner_cutting);
    tcase_add_test(tc, test_path_wall_with_gap);
    tcase_add_test(tc, test_path_maze);
    tcase_add_test(tc, test_random_points);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return popi_test_run(world_suite());
}
