/* SPDX-License-Identifier: MIT */
/*
 * test_run.c - one run end to end through the library: a hand-made trace whose every output
 * value is known (golden), crowd size from density, reproducibility, failure classes and the
 * guarantee that a failed run leaves no file.
 */
#include "popi/run.h"
#include "popi/scenario.h"
#include "testutil.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void scenario_from(popi_scenario_t *s, const char *json)
{
    popi_scenario_defaults(s);
    ck_assert_msg(popi_scenario_apply_json(s, json, "test") == POPI_OK, "%s", popi_err_message());
    ck_assert_msg(popi_scenario_validate(s) == POPI_OK, "%s", popi_err_message());
}

/* Read one field of a compound dataset as doubles. */
static size_t read_field(const char *file, const char *ds, const char *field, double *out, size_t max)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    ck_assert((size_t)n <= max);
    hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(double));
    H5Tinsert(mt, field, 0, H5T_NATIVE_DOUBLE);
    ck_assert_int_ge(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), 0);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return (size_t)n;
}

START_TEST(test_trace_golden)
{
    char *dir = popi_test_tmpdir();
    char path[512], out[512], json[1024];
    snprintf(path, sizeof path, "%s/t.txt", dir);
    snprintf(out, sizeof out, "%s/o.h5", dir);
    /* ids 7, 9, 12 -> agents 0, 1, 2; the first window starts at 20 s, so times shift by -20 s.
     * Pair (7,9): windows [20,40] and [40,60] merge -> [0, 40]; pair (9,12): [20,40] -> [0, 20];
     * pair (7,12): [180,200] -> [160, 180]. With min_duration 30 s only (7,9) is a contact. */
    ck_assert_int_eq(popi_test_write(path, "40 7 9\n60 9 7\n40 12 9\n200 7 12\n"), 0);
    snprintf(json, sizeof json,
             "{\"trace\": {\"file\": \"%s\"}, \"contact\": {\"min_duration_s\": 30},"
             " \"analysis\": {\"bootstrap\": 0}, \"output\": {\"cumulative_step_s\": 100}}",
             path);
    popi_scenario_t s;
    scenario_from(&s, json);
    popi_run_opts_t o = {out, 1, 0, NULL, NULL};
    popi_run_summary_t sum;
    popi_run_fail_t fail;
    ck_assert_msg(popi_run_execute(&s, &o, &sum, &fail) == POPI_OK, "%s", popi_err_message());
    ck_assert_int_eq(fail, POPI_RUN_FAIL_NONE);
    ck_assert(sum.from_trace);
    ck_assert_uint_eq(sum.agents, 3);
    ck_assert_uint_eq(sum.proximities, 3);
    ck_assert_uint_eq(sum.contacts, 1); /* only (7,9) lasts >= 30 s */
    double v[16];
    ck_assert_uint_eq(read_field(out, "/contacts/events", "t_start", v, 16), 1);
    ck_assert_double_eq(v[0], 0.0);
    read_field(out, "/contacts/events", "t_end", v, 16);
    ck_assert_double_eq(v[0], 40.0);
    ck_assert_uint_eq(read_field(out, "/contacts/proximity", "t_start", v, 16), 3);
    ck_assert_double_eq(v[0], 0.0);
    ck_assert_double_eq(v[1], 0.0);
    ck_assert_double_eq(v[2], 160.0);
    ck_assert_uint_eq(read_field(out, "/contacts/per_agent", "events", v, 16), 3);
    ck_assert_double_eq(v[0], 1.0);
    ck_assert_double_eq(v[1], 1.0);
    ck_assert_double_eq(v[2], 0.0);
    read_field(out, "/contacts/per_agent", "id", v, 16);
    ck_assert_double_eq(v[0], 7.0);
    ck_assert_double_eq(v[2], 12.0);
    read_field(out, "/contacts/per_agent", "contact_time_s", v, 16);
    ck_assert_double_eq(v[0], 40.0);
    ck_assert_double_eq(v[2], 0.0);
    read_field(out, "/contacts/per_agent", "mobility", v, 16);
    ck_assert_double_eq(v[1], POPI_RUN_TRACE_CLASS);
    /* span 180 s, steps of 100 s: rows at 100 and 180 */
    ck_assert_uint_eq(read_field(out, "/contacts/cumulative", "total", v, 16), 2);
    ck_assert_double_eq(v[0], 1.0);
    ck_assert_double_eq(v[1], 1.0);
    read_field(out, "/contacts/cumulative", "t", v, 16);
    ck_assert_double_eq(v[0], 100.0);
    ck_assert_double_eq(v[1], 180.0);
    popi_scenario_destroy(&s);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(test_density_and_reproducible)
{
    const char *json = "{\"world\": {\"width_m\": 20, \"height_m\": 10}, \"crowd\": {\"density\": 0.5},"
                       " \"run\": {\"duration_s\": 300}, \"analysis\": {\"bootstrap\": 0},"
                       " \"radio\": {\"model\": \"unit_disc\"}, \"contact\": {\"min_duration_s\": 0}}";
    popi_scenario_t s;
    scenario_from(&s, json);
    popi_run_opts_t o = {NULL, 1, 0, NULL, NULL};
    popi_run_summary_t a, b, c;
    popi_run_fail_t fail;
    ck_assert_int_eq(popi_run_execute(&s, &o, &a, &fail), POPI_OK);
    ck_assert_uint_eq(a.agents, 100); /* 0.5 per m^2 of 200 m^2 */
    ck_assert_uint_gt(a.contacts, 0);
    o.threads = 2;
    ck_assert_int_eq(popi_run_execute(&s, &o, &b, &fail), POPI_OK);
    ck_assert_uint_eq(a.contacts, b.contacts);
    ck_assert(a.median_events == b.median_events && a.max_events == b.max_events);
    ck_assert(a.fit_events.alpha == b.fit_events.alpha || (isnan(a.fit_events.alpha) && isnan(b.fit_events.alpha)));
    ck_assert_int_eq(popi_scenario_set(&s, "run.seed=2"), POPI_OK);
    ck_assert_int_eq(popi_run_execute(&s, &o, &c, &fail), POPI_OK);
    ck_assert_uint_ne(a.contacts, c.contacts);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_failures_leave_nothing)
{
    char *dir = popi_test_tmpdir();
    char out[512];
    snprintf(out, sizeof out, "%s/o.h5", dir);
    popi_scenario_t s;
    popi_run_summary_t sum;
    popi_run_fail_t fail;
    popi_run_opts_t o = {out, 1, 0, NULL, NULL};
    /* a missing map: input failure, message names the file */
    scenario_from(&s, "{\"world\": {\"map\": \"/nonexistent/plaza.txt\"}}");
    ck_assert_int_ne(popi_run_execute(&s, &o, &sum, &fail), POPI_OK);
    ck_assert_int_eq(fail, POPI_RUN_FAIL_INPUT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "plaza.txt"));
    ck_assert_int_ne(access(out, F_OK), 0);
    popi_scenario_destroy(&s);
    /* a crowd of fewer than 2 agents: input failure naming crowd.density */
    scenario_from(&s, "{\"world\": {\"width_m\": 10, \"height_m\": 10}, \"crowd\": {\"density\": 0.001}}");
    ck_assert_int_eq(popi_run_execute(&s, &o, &sum, &fail), POPI_EINVAL);
    ck_assert_int_eq(fail, POPI_RUN_FAIL_INPUT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "crowd.density"));
    ck_assert_int_ne(access(out, F_OK), 0);
    popi_scenario_destroy(&s);
    /* an output folder that does not exist: output failure, nothing written */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing/o.h5", dir);
    o.out_path = bad;
    scenario_from(&s, "{\"run\": {\"duration_s\": 30}, \"crowd\": {\"agents\": 10}, \"analysis\": {\"bootstrap\": 0}}");
    ck_assert_int_eq(popi_run_execute(&s, &o, &sum, &fail), POPI_EIO);
    ck_assert_int_eq(fail, POPI_RUN_FAIL_OUTPUT);
    ck_assert_ptr_nonnull(strstr(popi_err_message(), "missing/o.h5"));
    popi_scenario_destroy(&s);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_trace_golden);
    tcase_add_test(tc, test_density_and_reproducible);
    tcase_add_test(tc, test_failures_leave_nothing);
    suite_add_tcase(s, tc);
    return popi_test_run(s);
}
