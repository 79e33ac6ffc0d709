/* SPDX-License-Identifier: MIT */
/*
 * test_scenario.c - the scenario loader and its parameter table: defaults equal the table and the
 * documented values, JSON round trip, --set for every type, implicit defaults (fractions, crowd),
 * key suggestions, parse positions, every error path, and the malformed files listed in
 * tests/scenarios/bad/expect.tsv.
 */
#include "testutil.h"

#include "popi/scenario.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Message of the last error contains @p sub. */
#define ck_msg_has(sub)                                                                            \
    ck_assert_msg(strstr(popi_err_message(), (sub)) != NULL, "message \"%s\" lacks \"%s\"",        \
                  popi_err_message(), (sub))

static const void *cfield(const popi_scenario_t *s, const popi_param_t *p)
{
    return (const char *)s + p->offset;
}

static size_t row_index(const char *key)
{
    size_t i = 0;
    ck_assert_ptr_nonnull(popi_scenario_param_find(key, &i));
    return i;
}

static void set_ok(popi_scenario_t *s, const char *a)
{
    popi_err_t e = popi_scenario_set(s, a);
    ck_assert_msg(e == POPI_OK, "--set %s failed: %s", a, popi_err_message());
}

static void set_fail(popi_scenario_t *s, const char *a, popi_err_t code, const char *sub)
{
    popi_err_t e = popi_scenario_set(s, a);
    ck_assert_msg(e == code, "--set %s: expected %s, got %s (%s)", a, popi_err_name(code),
                  popi_err_name(e), popi_err_message());
    ck_msg_has(sub);
}

static void apply_ok(popi_scenario_t *s, const char *json)
{
    popi_err_t e = popi_scenario_apply_json(s, json, "t.json");
    ck_assert_msg(e == POPI_OK, "apply %s failed: %s", json, popi_err_message());
}

static void apply_fail(const char *json, popi_err_t code, const char *sub)
{
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    popi_err_t e = popi_scenario_apply_json(&s, json, "t.json");
    ck_assert_msg(e == code, "apply %s: expected %s, got %s (%s)", json, popi_err_name(code),
                  popi_err_name(e), popi_err_message());
    ck_msg_has(sub);
    ck_msg_has("scenario: t.json: ");
    popi_scenario_destroy(&s);
}

static void validate_fail(popi_scenario_t *s, const char *sub)
{
    popi_err_t e = popi_scenario_validate(s);
    ck_assert_msg(e == POPI_EINVAL, "validate: expected EINVAL, got %s (%s)", popi_err_name(e),
                  popi_err_message());
    ck_msg_has(sub);
}

/* ---- the table -------------------------------------------------------------------------- */

START_TEST(test_table_sane)
{
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    ck_assert_uint_ge(n, 60);
    for (size_t i = 0; i < n; i++) {
        const popi_param_t *p = &t[i];
        size_t idx = 99999;
        ck_assert_ptr_eq(popi_scenario_param_find(p->key, &idx), p);
        ck_assert_uint_eq(idx, i);
        ck_assert_msg(p->desc && *p->desc, "%s has no description", p->key);
        ck_assert_msg(p->source && *p->source, "%s has no source", p->key);
        ck_assert_ptr_nonnull(p->unit);
        ck_assert_ptr_nonnull(strchr(p->key, '.'));
        ck_assert_uint_lt(p->offset, sizeof(popi_scenario_t));
        for (size_t j = 0; j < i; j++) {
            ck_assert_msg(strcmp(t[j].key, p->key) != 0, "duplicate key %s", p->key);
            ck_assert_msg(t[j].offset != p->offset, "%s and %s share a field", t[j].key, p->key);
        }
        /* groups are contiguous: once a group is left it never comes back */
        const char *dot = strrchr(p->key, '.');
        size_t gl = (size_t)(dot - p->key);
        bool seen_other = false;
        for (size_t j = i; j-- > 0;) {
            bool same = strncmp(t[j].key, p->key, gl) == 0 && t[j].key[gl] == '.' &&
                        strchr(t[j].key + gl + 1, '.') == NULL;
            if (!same) seen_other = true;
            ck_assert_msg(!(same && seen_other), "group of %s is split", p->key);
        }
        if (p->type == POPI_PARAM_INT || p->type == POPI_PARAM_INT64 ||
            p->type == POPI_PARAM_DOUBLE) {
            ck_assert_msg(p->min < p->max, "%s: empty range", p->key);
            bool lo = p->min_open ? p->dflt > p->min : p->dflt >= p->min;
            bool hi = p->max_open ? p->dflt < p->max : p->dflt <= p->max;
            ck_assert_msg(lo && hi, "%s: default %g outside its range", p->key, p->dflt);
        }
        if (p->type == POPI_PARAM_ENUM) {
            int m = 0;
            while (p->names[m])
                m++;
            ck_assert_int_ge(m, 2);
            ck_assert(p->dflt >= 0 && p->dflt < m);
        }
    }
    ck_assert_ptr_null(popi_scenario_param_find("crowd", NULL));
    ck_assert_ptr_null(popi_scenario_param_find("nope.nope", NULL));
    ck_assert_ptr_null(popi_scenario_param_find(NULL, NULL));
}
END_TEST

START_TEST(test_defaults_equal_table)
{
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    for (size_t i = 0; i < n; i++) {
        const popi_param_t *p = &t[i];
        const void *f = cfield(&s, p);
        ck_assert_int_eq(s.explicit_set[i], 0);
        switch (p->type) {
        case POPI_PARAM_BOOL:
            ck_assert_int_eq(*(const bool *)f, p->dflt != 0);
            break;
        case POPI_PARAM_INT:
            ck_assert_int_eq(*(const int *)f, (int)p->dflt);
            break;
        case POPI_PARAM_INT64:
            ck_assert_int_eq(*(const int64_t *)f, (int64_t)p->dflt);
            break;
        case POPI_PARAM_UINT64:
            ck_assert_uint_eq(*(const uint64_t *)f, (uint64_t)p->dflt);
            break;
        case POPI_PARAM_DOUBLE:
            ck_assert_msg(*(const double *)f == p->dflt, "%s = %g, table %g", p->key,
                          *(const double *)f, p->dflt);
            break;
        case POPI_PARAM_STRING:
            ck_assert_str_eq(*(char *const *)f, p->dflt_str);
            break;
        case POPI_PARAM_PATH:
            ck_assert_ptr_null(*(char *const *)f);
            break;
        case POPI_PARAM_ENUM:
            ck_assert_int_eq(*(const int *)f, (int)p->dflt);
            break;
        case POPI_PARAM_RECTS:
            ck_assert_ptr_null(*(popi_rect_t *const *)f);
            ck_assert_uint_eq(*(const size_t *)((const char *)&s + p->offset_n), 0);
            break;
        }
    }
    /* the documented values (brief and FACTS.md) */
    ck_assert_str_eq(s.name, "default");
    ck_assert_uint_eq(s.seed, 1);
    ck_assert(s.duration_s == 3600);
    ck_assert(s.world.width_m == 100 && s.world.height_m == 100 && s.world.cell_m == 1.0);
    ck_assert(s.world.obstacle_density == 0);
    ck_assert_int_eq(s.agents, 0);
    ck_assert(s.density == 0.1);
    ck_assert(s.mobility.random_waypoint.fraction == 1);
    ck_assert(s.mobility.stop_and_go.fraction == 0 && s.mobility.crowd_seeking.fraction == 0 &&
              s.mobility.back_and_forth.fraction == 0 && s.mobility.random_direction.fraction == 0);
    ck_assert(s.mobility.random_waypoint.speed_min_mps == 0.5);
    ck_assert(s.mobility.random_waypoint.speed_max_mps == 1.5);
    ck_assert(s.mobility.random_waypoint.pause_max_s == 120);
    ck_assert(s.mobility.stop_and_go.speed_min_mps == 0.8 &&
              s.mobility.stop_and_go.speed_max_mps == 1.4);
    ck_assert(s.mobility.stop_and_go.pause_alpha == 1.5 &&
              s.mobility.stop_and_go.pause_max_s == 3600);
    ck_assert(s.mobility.crowd_seeking.seek_prob == 0.8 &&
              s.mobility.crowd_seeking.map_cell_m == 5);
    ck_assert(s.mobility.back_and_forth.distance_min_m == 10);
    ck_assert(s.mobility.back_and_forth.distance_max_m == 40);
    ck_assert(s.mobility.random_direction.turn_mean_s == 30);
    ck_assert(s.contact.range_m == 2.0 && s.contact.min_duration_s == 60 &&
              s.contact.bucket_s == 1);
    ck_assert_int_eq(s.radio.model, POPI_RADIO_BLE);
    ck_assert(s.radio.rssi_1m_dbm == -59 && s.radio.path_loss_exponent == 2.0);
    ck_assert(s.radio.shadowing_sigma_db == 4 && s.radio.wall_loss_db == 5);
    ck_assert(s.radio.scan_interval_s == 4.096 && s.radio.scan_window_s == 1.024);
    ck_assert(s.radio.adv_interval_s == 0.25 && s.radio.max_gap_s == 10);
    /* [derived]: the threshold is the mean RSSI at 2 m with the default radio, to 0.05 dB */
    double at2m = s.radio.rssi_1m_dbm - 10 * s.radio.path_loss_exponent * log10(2.0);
    ck_assert_msg(fabs(at2m - s.radio.rssi_threshold_dbm) < 0.05, "at 2 m: %g", at2m);
    ck_assert_ptr_null(s.trace.file);
    ck_assert_int_eq(s.trace.format, POPI_TRACE_SOCIOPATTERNS);
    ck_assert(s.trace.window_s == 20);
    ck_assert_int_eq(s.analysis.bootstrap, 1000);
    ck_assert_int_eq(s.analysis.outlier_rule, POPI_OUTLIER_ROBUST_Z);
    ck_assert(s.analysis.outlier_z == 3.5 && s.analysis.outlier_sigma == 3);
    ck_assert_int_eq(s.analysis.max_samples, 100000);
    ck_assert(s.out_contacts && s.out_proximity && s.cumulative_step_s == 60);
    ck_assert_str_eq(s.base_dir, ".");
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);
    ck_assert_ptr_null(s.explicit_set);
    popi_scenario_destroy(&s); /* twice: a zeroed value */
    popi_scenario_destroy(NULL);
}
END_TEST

/* ---- JSON ------------------------------------------------------------------------------- */

START_TEST(test_round_trip)
{
    popi_scenario_t a, b;
    popi_scenario_defaults(&a);
    apply_ok(
        &a,
        "{\"run\": {\"name\": \"rt \\\"quoted\\\" \\u00e9\", \"seed\": \"18446744073709551615\","
        " \"duration_s\": 0.30000000000000004},"
        " \"world\": {\"obstacles\": [[1, 2, 3.5, 4], [10, 10, 20, 12.25]],"
        " \"map\": \"maps/hall.txt\", \"obstacle_density\": 0.125},"
        " \"crowd\": {\"agents\": 250},"
        " \"mobility\": {\"stop_and_go\": {\"fraction\": 0.25}, \"crowd_seeking\": {\"fraction\": "
        "0.75,"
        " \"gamma\": 2.5}},"
        " \"radio\": {\"model\": \"unit_disc\", \"rssi_threshold_dbm\": -70.5},"
        " \"trace\": {\"format\": \"one\"}, \"analysis\": {\"outlier_rule\": \"sigma\", "
        "\"max_samples\": 123456789},"
        " \"output\": {\"contacts\": false}}");
    ck_assert_uint_eq(a.seed, UINT64_MAX);
    ck_assert(a.duration_s == 0.1 + 0.2);
    ck_assert_int_eq(popi_scenario_validate(&a), POPI_OK);
    char *ja = popi_scenario_to_json(&a);

    popi_scenario_defaults(&b);
    apply_ok(&b, ja);
    char *jb = popi_scenario_to_json(&b);
    ck_assert_str_eq(ja, jb);
    ck_assert_int_eq(popi_scenario_validate(&b), POPI_OK);
    ck_assert_str_eq(b.name, a.name);
    ck_assert_uint_eq(b.seed, a.seed);
    ck_assert(b.duration_s == a.duration_s);
    ck_assert_uint_eq(b.world.n_obstacles, 2);
    ck_assert(b.world.obstacles[1].y1 == 12.25);
    ck_assert_str_eq(b.world.map_file, "maps/hall.txt");
    ck_assert_int_eq(b.agents, 250);
    ck_assert(b.density == 0);
    ck_assert(b.mobility.random_waypoint.fraction == 0);
    ck_assert_int_eq(b.radio.model, POPI_RADIO_UNIT_DISC);
    ck_assert_int_eq(b.analysis.max_samples, 123456789);
    ck_assert(!b.out_contacts && b.out_proximity);
    /* after a full dump every key is explicit */
    size_t n;
    popi_scenario_params(&n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(b.explicit_set[i], 1);

    /* the defaults round-trip too, and still validate */
    popi_scenario_t c, d;
    popi_scenario_defaults(&c);
    popi_scenario_defaults(&d);
    char *jc = popi_scenario_to_json(&c);
    apply_ok(&d, jc);
    char *jd = popi_scenario_to_json(&d);
    ck_assert_str_eq(jc, jd);
    ck_assert_int_eq(popi_scenario_validate(&d), POPI_OK);

    free(ja);
    free(jb);
    free(jc);
    free(jd);
    popi_scenario_destroy(&a);
    popi_scenario_destroy(&b);
    popi_scenario_destroy(&c);
    popi_scenario_destroy(&d);
}
END_TEST

START_TEST(test_to_json_has_every_key)
{
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    char *j = popi_scenario_to_json(&s);
    cJSON *root = cJSON_Parse(j);
    ck_assert_ptr_nonnull(root);
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    for (size_t i = 0; i < n; i++) {
        const cJSON *o = root;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", t[i].key);
        for (char *part = strtok(buf, "."); part; part = strtok(NULL, "."))
            o = o ? cJSON_GetObjectItemCaseSensitive(o, part) : NULL;
        ck_assert_msg(o != NULL, "%s missing from to_json", t[i].key);
        char *v = popi_scenario_value_json(&s, &t[i]);
        cJSON *pv = cJSON_Parse(v);
        ck_assert_msg(pv && cJSON_Compare(pv, o, 1), "%s: value_json %s differs", t[i].key, v);
        cJSON_Delete(pv);
        free(v);
    }
    /* nested objects, not dotted names */
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "mobility"), "stop_and_go"));
    cJSON_Delete(root);
    free(j);
    /* a seed above 2^53 is written as a string, one below as a number */
    set_ok(&s, "run.seed=9007199254740993");
    const popi_param_t *ps = popi_scenario_param_find("run.seed", NULL);
    char *v = popi_scenario_value_json(&s, ps);
    ck_assert_str_eq(v, "\"9007199254740993\"");
    free(v);
    set_ok(&s, "run.seed=9007199254740992");
    v = popi_scenario_value_json(&s, ps);
    ck_assert_str_eq(v, "9007199254740992");
    free(v);
    set_ok(&s, "world.obstacles=[[0,0,1,2.5]]");
    v = popi_scenario_value_json(&s, popi_scenario_param_find("world.obstacles", NULL));
    ck_assert_str_eq(v, "[[0,0,1,2.5]]");
    free(v);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_parse_positions)
{
    apply_fail("{\n  \"run\": {\n    \"seed\": 7,\n  }\n}", POPI_EPARSE, "at line 4, column");
    apply_fail("{\"run\": {\"seed\": tru}}", POPI_EPARSE, "at line 1, column 18 near 'tru}}'");
    apply_fail("{\n\n  \"crowd\": {\"density\": 0.2 0.3}\n}", POPI_EPARSE,
               "at line 3, column 28 near '0.3}'");
    apply_fail("{\"run\": {\"seed\": 1}}\n\n  x", POPI_EPARSE, "at line 3, column 3 near 'x'");
    apply_fail("", POPI_EPARSE, "line 1, column 1: empty input");
    apply_fail("  \n\t ", POPI_EPARSE, "empty input");
    apply_fail("{\"run\": {\"seed\": 1}", POPI_EPARSE, "unexpected end of input");
    apply_fail("{\"crowd\": {\"density\": 0.2}}\n}", POPI_EPARSE, "line 2, column 1 near '}'");
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    ck_assert_int_eq(popi_scenario_apply_json(&s, NULL, "x"), POPI_EINVAL);
    ck_msg_has("no JSON text");
    /* without an origin the message still starts with the module */
    ck_assert_int_eq(popi_scenario_apply_json(&s, "[]", NULL), POPI_EINVAL);
    ck_assert_str_eq(popi_err_message(),
                     "scenario: the top level must be a JSON object {...}, got [] at $");
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_json_type_errors)
{
    apply_fail("5", POPI_EINVAL, "top level must be a JSON object");
    apply_fail("{\"crowd\": {\"density\": true}}", POPI_EINVAL,
               "crowd.density must be a number, got true at $.crowd.density");
    apply_fail("{\"crowd\": {\"density\": [1]}}", POPI_EINVAL, "got [1] at $.crowd.density");
    apply_fail("{\"crowd\": {\"agents\": \"5\"}}", POPI_EINVAL,
               "crowd.agents must be an integer, got \"5\"");
    apply_fail("{\"crowd\": {\"agents\": 1e9}}", POPI_EINVAL,
               "crowd.agents must be in [0, 1e8], got 1e9");
    apply_fail("{\"analysis\": {\"bootstrap\": 0.5}}", POPI_EINVAL,
               "analysis.bootstrap must be an integer, got 0.5");
    apply_fail("{\"analysis\": {\"bootstrap\": -1}}", POPI_EINVAL,
               "analysis.bootstrap must be in [0, 100000], got -1");
    apply_fail("{\"run\": {\"seed\": 1.5}}", POPI_EINVAL, "run.seed must be an integer");
    apply_fail("{\"run\": {\"seed\": 1e300}}", POPI_EINVAL, "run.seed must be an integer");
    apply_fail("{\"run\": {\"seed\": \"12a\"}}", POPI_EINVAL, "got \"12a\" at $.run.seed");
    apply_fail("{\"run\": {\"seed\": \"18446744073709551616\"}}", POPI_EINVAL, "run.seed");
    apply_fail("{\"run\": {\"seed\": \"\"}}", POPI_EINVAL, "run.seed");
    apply_fail("{\"run\": {\"seed\": null}}", POPI_EINVAL, "run.seed");
    apply_fail("{\"run\": {\"name\": 5}}", POPI_EINVAL, "run.name must be a string, got 5");
    apply_fail("{\"world\": {\"map\": [\"a\"]}}", POPI_EINVAL, "world.map must be a string");
    apply_fail("{\"output\": {\"proximity\": 1}}", POPI_EINVAL,
               "output.proximity must be true or false, got 1");
    apply_fail("{\"analysis\": {\"outlier_rule\": \"Sigma\"}}", POPI_EINVAL,
               "analysis.outlier_rule must be one of \"robust_z\", \"sigma\", got \"Sigma\"");
    apply_fail("{\"world\": {\"obstacle_density\": 0.9}}", POPI_EINVAL,
               "world.obstacle_density must be in [0, 0.9), got 0.9");
    apply_fail("{\"contact\": {\"bucket_s\": 0.0001}}", POPI_EINVAL,
               "contact.bucket_s must be in [0.001, 3600] s, got 0.0001");
    apply_fail("{\"radio\": {\"adv_interval_s\": 0}}", POPI_EINVAL,
               "radio.adv_interval_s must be in [0.02, 10.24] s");
    apply_fail("{\"world\": {\"obstacles\": 3}}", POPI_EINVAL, "world.obstacles must be an array");
    apply_fail("{\"world\": {\"obstacles\": [3]}}", POPI_EINVAL,
               "world.obstacles[0] must be [x0, y0, x1, y1]");
    apply_fail("{\"world\": {\"obstacles\": [[1,2,3,4,5]]}}", POPI_EINVAL,
               "at $.world.obstacles[0]");
    apply_fail(
        "{\"world\": {\"obstacles\": [[0,0,1,1],[0,null,1,1]]}}", POPI_EINVAL,
        "world.obstacles[1][1] must be a finite number (m), got null at $.world.obstacles[1][1]");
    apply_fail("{\"world\": {\"obstacles\": [[0,5,1,5]]}}", POPI_EINVAL, "y0 < y1, got [0,5,1,5]");
    apply_fail("{\"world\": {\"obstacles\": [[0,0,1e999,1]]}}", POPI_EINVAL,
               "must be a finite number");
    /* groups: objects only */
    apply_fail("{\"mobility\": {\"stop_and_go\": 0.5}}", POPI_EINVAL,
               "$.mobility.stop_and_go must be an object holding the keys mobility.stop_and_go.*, "
               "got 0.5");
    apply_fail("{\"mobility\": []}", POPI_EINVAL, "$.mobility must be an object");
    apply_fail("{\"radio\": null}", POPI_EINVAL, "$.radio must be an object");
    /* key names */
    apply_fail("{\"crowd.density\": 0.2}", POPI_EINVAL, "contain no '.'");
    apply_fail("{\"crowd\": {\"\": 1}}", POPI_EINVAL, "got \"\" at $.crowd");
    apply_fail("{\"crowd\": {\"density\": 0.2, \"density\": 0.3}}", POPI_EINVAL,
               "duplicate key $.crowd.density");
    apply_fail("{\"Crowd\": {}}", POPI_EINVAL, "unknown key $.Crowd; did you mean crowd?");
    char longkey[1200];
    memset(longkey, 'k', sizeof longkey);
    memcpy(longkey, "{\"", 2);
    memcpy(longkey + sizeof longkey - 8, "\": 1}", 6);
    apply_fail(longkey, POPI_EINVAL, "unknown key $.kkkk");
}
END_TEST

START_TEST(test_partial_apply_keeps_values)
{
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    ck_assert_int_eq(popi_scenario_apply_json(
                         &s, "{\"crowd\": {\"density\": 0.5}, \"radio\": {\"model\": \"x\"}}", "p"),
                     POPI_EINVAL);
    ck_assert(s.density == 0.5);
    ck_assert_int_eq(s.explicit_set[row_index("crowd.density")], 1);
    ck_assert_int_eq(s.explicit_set[row_index("radio.model")], 0);
    /* a failed rect list leaves the old one in place */
    set_ok(&s, "world.obstacles=[[0,0,1,1]]");
    ck_assert_int_eq(
        popi_scenario_apply_json(&s, "{\"world\": {\"obstacles\": [[0,0,2,2],[1]]}}", "p"),
        POPI_EINVAL);
    ck_assert_uint_eq(s.world.n_obstacles, 1);
    ck_assert(s.world.obstacles[0].x1 == 1);
    popi_scenario_destroy(&s);

    /* a zeroed value (no defaults) can be applied to and destroyed */
    popi_scenario_t z;
    memset(&z, 0, sizeof z);
    apply_ok(&z, "{\"run\": {\"name\": \"z\"}, \"world\": {\"obstacles\": [[0,0,1,1]]}}");
    ck_assert_str_eq(z.name, "z");
    ck_assert_ptr_nonnull(z.explicit_set);
    popi_scenario_destroy(&z);
    memset(&z, 0, sizeof z);
    set_ok(&z, "run.name=y");
    popi_scenario_destroy(&z);
}
END_TEST

/* ---- --set ------------------------------------------------------------------------------ */

START_TEST(test_set_every_type)
{
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    /* bool */
    set_ok(&s, "output.contacts=false");
    ck_assert(!s.out_contacts);
    set_ok(&s, "output.contacts=true");
    ck_assert(s.out_contacts);
    set_fail(&s, "output.contacts=yes", POPI_EINVAL,
             "output.contacts must be true or false, got \"yes\"");
    set_fail(&s, "output.contacts=1", POPI_EINVAL, "output.contacts must be true or false");
    set_fail(&s, "output.contacts=", POPI_EINVAL, "got \"\"");
    /* int */
    set_ok(&s, "analysis.bootstrap=250");
    ck_assert_int_eq(s.analysis.bootstrap, 250);
    set_ok(&s, "analysis.bootstrap=1e3");
    ck_assert_int_eq(s.analysis.bootstrap, 1000);
    set_fail(&s, "analysis.bootstrap=2.5", POPI_EINVAL,
             "analysis.bootstrap must be an integer, got 2.5");
    set_fail(&s, "analysis.bootstrap=many", POPI_EINVAL, "must be an integer, got \"many\"");
    set_fail(&s, "analysis.bootstrap=100001", POPI_EINVAL, "[0, 100000], got 100001");
    ck_assert_int_eq(s.analysis.bootstrap, 1000);
    /* int64 */
    set_ok(&s, "analysis.max_samples=1000000000");
    ck_assert_int_eq(s.analysis.max_samples, 1000000000);
    set_fail(&s, "analysis.max_samples=99", POPI_EINVAL,
             "analysis.max_samples must be in [100, 1e9], got 99");
    /* uint64 */
    set_ok(&s, "run.seed=18446744073709551615");
    ck_assert_uint_eq(s.seed, UINT64_MAX);
    set_ok(&s, "run.seed=0");
    ck_assert_uint_eq(s.seed, 0);
    set_fail(&s, "run.seed=18446744073709551616", POPI_EINVAL,
             "run.seed must be an integer in [0, 2^64-1]");
    set_fail(&s, "run.seed=-1", POPI_EINVAL, "got \"-1\" at $.run.seed");
    set_fail(&s, "run.seed=1.5", POPI_EINVAL, "run.seed");
    set_fail(&s, "run.seed= 7", POPI_EINVAL, "run.seed");
    set_fail(&s, "run.seed=", POPI_EINVAL, "run.seed");
    /* double */
    set_ok(&s, "crowd.density=0.25");
    ck_assert(s.density == 0.25);
    set_ok(&s, "crowd.density=2.5e-1");
    ck_assert(s.density == 0.25);
    set_fail(&s, "crowd.density=0.2x", POPI_EINVAL, "crowd.density must be a number, got \"0.2x\"");
    set_fail(&s, "crowd.density=", POPI_EINVAL, "crowd.density must be a number, got \"\"");
    set_fail(&s, "crowd.density= 0.2", POPI_EINVAL, "crowd.density must be a number");
    set_fail(&s, "crowd.density=nan", POPI_EINVAL,
             "crowd.density must be in [0, 10] 1/m^2, got nan");
    set_fail(&s, "crowd.density=inf", POPI_EINVAL, "got inf");
    set_fail(&s, "crowd.density=1e999", POPI_EINVAL, "got inf");
    set_fail(
        &s, "crowd.density=12.5", POPI_EINVAL,
        "scenario: --set: crowd.density must be in [0, 10] 1/m^2, got 12.5 at $.crowd.density");
    set_fail(&s, "run.duration_s=0", POPI_EINVAL, "run.duration_s must be in (0, 1e8] s, got 0");
    ck_assert(s.density == 0.25);
    /* string: raw, '=' allowed in the value */
    set_ok(&s, "run.name=a b=c \"q\"");
    ck_assert_str_eq(s.name, "a b=c \"q\"");
    set_ok(&s, "run.name=");
    ck_assert_str_eq(s.name, "");
    /* path: empty is NULL */
    set_ok(&s, "world.map=maps/hall.txt");
    ck_assert_str_eq(s.world.map_file, "maps/hall.txt");
    set_ok(&s, "world.map=");
    ck_assert_ptr_null(s.world.map_file);
    set_ok(&s, "trace.file=data/tij.dat.gz");
    ck_assert_str_eq(s.trace.file, "data/tij.dat.gz");
    /* enum */
    set_ok(&s, "radio.model=unit_disc");
    ck_assert_int_eq(s.radio.model, POPI_RADIO_UNIT_DISC);
    set_ok(&s, "trace.format=one");
    ck_assert_int_eq(s.trace.format, POPI_TRACE_ONE);
    set_ok(&s, "analysis.outlier_rule=sigma");
    ck_assert_int_eq(s.analysis.outlier_rule, POPI_OUTLIER_SIGMA);
    set_fail(&s, "radio.model=bel", POPI_EINVAL,
             "radio.model must be one of \"unit_disc\", \"ble\", got \"bel\"");
    ck_assert_int_eq(s.radio.model, POPI_RADIO_UNIT_DISC);
    /* rect list: JSON text */
    set_ok(&s, "world.obstacles=[[1,2,3,4],[5,6,7,8]]");
    ck_assert_uint_eq(s.world.n_obstacles, 2);
    ck_assert(s.world.obstacles[1].x0 == 5 && s.world.obstacles[1].y1 == 8);
    set_ok(&s, "world.obstacles=[]");
    ck_assert_uint_eq(s.world.n_obstacles, 0);
    set_fail(&s, "world.obstacles=[[1,2,3,4]", POPI_EPARSE,
             "invalid JSON in the value of world.obstacles at line 1, column");
    set_fail(&s, "world.obstacles=[[3,2,1,4]]", POPI_EINVAL,
             "world.obstacles[0] must have x0 < x1");
    set_fail(&s, "world.obstacles={}", POPI_EINVAL, "world.obstacles must be an array");
    set_fail(&s, "world.obstacles=", POPI_EPARSE, "empty input");
    /* a whole group as a JSON object */
    set_ok(&s, "mobility.back_and_forth={\"fraction\": 1, \"distance_max_m\": 80}");
    ck_assert(s.mobility.back_and_forth.fraction == 1 &&
              s.mobility.back_and_forth.distance_max_m == 80);
    ck_assert(s.mobility.random_waypoint.fraction == 0);
    set_fail(&s, "mobility.back_and_forth=5", POPI_EINVAL,
             "$.mobility.back_and_forth must be an object");
    set_fail(&s, "mobility={\"back_and_forth\": {\"distanc_max_m\": 1}}", POPI_EINVAL,
             "unknown key $.mobility.back_and_forth.distanc_max_m; did you mean "
             "mobility.back_and_forth.distance_max_m?");
    set_fail(&s, "radio={", POPI_EPARSE, "invalid JSON in the value of radio");
    /* malformed assignments */
    set_fail(&s, "crowd.density", POPI_EINVAL, "expected key=value, got \"crowd.density\"");
    set_fail(&s, "=5", POPI_EINVAL, "expected key=value");
    set_fail(&s, "crowd.densty=0.3", POPI_EINVAL,
             "unknown key $.crowd.densty; did you mean crowd.density?");
    ck_assert_int_eq(popi_scenario_set(&s, NULL), POPI_EINVAL);
    /* every set is explicit */
    ck_assert_int_eq(s.explicit_set[row_index("analysis.bootstrap")], 1);
    ck_assert_int_eq(s.explicit_set[row_index("radio.model")], 1);
    ck_assert_int_eq(s.explicit_set[row_index("radio.scan_window_s")], 0);
    popi_scenario_destroy(&s);
}
END_TEST

/* ---- implicit defaults and cross-key rules ---------------------------------------------- */

START_TEST(test_fraction_semantics)
{
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    ck_assert(s.mobility.random_waypoint.fraction == 1);
    set_ok(&s, "mobility.stop_and_go.fraction=1");
    ck_assert(s.mobility.random_waypoint.fraction == 0);
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);

    popi_scenario_defaults(&s);
    apply_ok(&s, "{\"mobility\": {\"stop_and_go\": {\"fraction\": 0.5}, \"crowd_seeking\": "
                 "{\"fraction\": 0.5}}}");
    ck_assert(s.mobility.random_waypoint.fraction == 0);
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);

    /* explicit random_waypoint is kept, others still 0 */
    popi_scenario_defaults(&s);
    set_ok(&s, "mobility.random_waypoint.fraction=0.3");
    ck_assert(s.mobility.random_waypoint.fraction == 0.3);
    validate_fail(&s, "must sum to 1, got 0.3 (0.3 + 0 + 0 + 0 + 0)");
    set_ok(&s, "mobility.random_direction.fraction=0.7");
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);

    /* setting a fraction to 0 explicitly still counts as setting one */
    popi_scenario_defaults(&s);
    set_ok(&s, "mobility.stop_and_go.fraction=0");
    ck_assert(s.mobility.random_waypoint.fraction == 0);
    validate_fail(&s, "mobility.random_waypoint.fraction + mobility.stop_and_go.fraction + "
                      "mobility.crowd_seeking.fraction + mobility.back_and_forth.fraction + "
                      "mobility.random_direction.fraction must sum to 1, got 0");
    popi_scenario_destroy(&s);

    /* within 1e-9 */
    popi_scenario_defaults(&s);
    apply_ok(&s, "{\"mobility\": {\"stop_and_go\": {\"fraction\": 0.1}, \"crowd_seeking\": "
                 "{\"fraction\": 0.2},"
                 " \"back_and_forth\": {\"fraction\": 0.7000000001}}}");
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    set_ok(&s, "mobility.back_and_forth.fraction=0.70000001");
    validate_fail(&s, "must sum to 1");
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_crowd_semantics)
{
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    set_ok(&s, "crowd.agents=50");
    ck_assert(s.density == 0);
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    /* back to density mode: the default density returns */
    set_ok(&s, "crowd.agents=0");
    ck_assert(s.density == 0.1);
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    set_ok(&s, "crowd.agents=50");
    set_ok(&s, "crowd.density=0.2");
    validate_fail(&s, "crowd.agents (50) and crowd.density (0.2) are both set; give only one");
    set_ok(&s, "crowd.density=0");
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    set_ok(&s, "crowd.agents=0");
    validate_fail(&s, "crowd.density must be > 0 when crowd.agents is 0, got 0 at $.crowd.density");
    popi_scenario_destroy(&s);

    /* the density alone is fine; agents stays 0 */
    popi_scenario_defaults(&s);
    apply_ok(&s, "{\"crowd\": {\"density\": 2.5}}");
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);

    /* a hand-filled value without explicit flags: agents wins */
    popi_scenario_defaults(&s);
    s.agents = 10;
    s.density = 0.3;
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_pairs_and_validate)
{
    static const char *const pairs[][2] = {
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
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        popi_scenario_t s;
        popi_scenario_defaults(&s);
        char a[160], b[160], want[400];
        /* equal is fine */
        snprintf(a, sizeof a, "%s=7", pairs[i][0]);
        snprintf(b, sizeof b, "%s=7", pairs[i][1]);
        set_ok(&s, a);
        set_ok(&s, b);
        ck_assert_msg(popi_scenario_validate(&s) == POPI_OK, "%s", popi_err_message());
        snprintf(a, sizeof a, "%s=8", pairs[i][0]);
        set_ok(&s, a);
        snprintf(want, sizeof want, "%s (8) must be <= %s (7)", pairs[i][0], pairs[i][1]);
        validate_fail(&s, want);
        popi_scenario_destroy(&s);
    }

    /* validate re-checks single keys of hand-filled values */
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    s.contact.range_m = NAN;
    validate_fail(&s, "contact.range_m must be in (0, 1000] m, got nan at $.contact.range_m");
    s.contact.range_m = 2;
    s.analysis.bootstrap = -3;
    validate_fail(&s, "analysis.bootstrap must be in [0, 100000], got -3");
    s.analysis.bootstrap = 10;
    s.agents = -1;
    validate_fail(&s, "crowd.agents must be in [0, 1e8], got -1");
    s.agents = 0;
    s.radio.model = 7;
    validate_fail(&s, "radio.model must name one of 2 values, got index 7");
    s.radio.model = POPI_RADIO_BLE;
    s.world.obstacles = popi_xmalloc(sizeof(popi_rect_t));
    s.world.n_obstacles = 1;
    s.world.obstacles[0] = (popi_rect_t){5, 5, 5, 6};
    validate_fail(&s, "world.obstacles[0] must have finite x0 < x1 and y0 < y1");
    s.world.obstacles[0] = (popi_rect_t){-1, 5, 5, 6};
    validate_fail(
        &s, "world.obstacles[0] = [-1, 5, 5, 6] must lie inside the world [0, 100] x [0, 100] m");
    /* with a map the world's size comes from the map: no check here */
    set_ok(&s, "world.map=m.txt");
    ck_assert_int_eq(popi_scenario_validate(&s), POPI_OK);
    popi_scenario_destroy(&s);
}
END_TEST

START_TEST(test_suggestions)
{
    static const char *const cases[][2] = {
        {"crowd.densty=1", "did you mean crowd.density?"},
        {"density=1", "did you mean crowd.density?"},
        {"wrld.width_m=1", "did you mean world.width_m?"},
        {"wrld.x=1", "did you mean world?"},
        {"world.widht_m=1", "did you mean world.width_m?"},
        {"mobility.stop_n_go.fraction=1", "did you mean mobility.stop_and_go.fraction?"},
        {"radio.scan_windw_s=1", "did you mean radio.scan_window_s?"},
        {"mobility.random_waypoint.speed_max=1",
         "did you mean mobility.random_waypoint.speed_max_mps?"},
        {"run.seeed=1", "did you mean run.seed?"},
        {"mobility.random_walk.fraction=1", "did you mean mobility.random_waypoint.fraction?"},
        {"outputs.contacts=1", "did you mean output.contacts?"},
    };
    popi_scenario_t s;
    popi_scenario_defaults(&s);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        set_fail(&s, cases[i][0], POPI_EINVAL, cases[i][1]);
    popi_scenario_destroy(&s);
    apply_fail("{\"mobility\": {\"stop_and_go\": {\"walk_mean\": 5}}}", POPI_EINVAL,
               "unknown key $.mobility.stop_and_go.walk_mean; did you mean "
               "mobility.stop_and_go.walk_mean_m?");
    apply_fail("{\"world\": {\"obstacles\": [], \"obstacle\": 1}}", POPI_EINVAL,
               "unknown key $.world.obstacle; did you mean world.obstacles?");
}
END_TEST

/* ---- files and paths -------------------------------------------------------------------- */

START_TEST(test_files_and_paths)
{
    char *dir = popi_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char sub[256], file[1024], buf[512];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    snprintf(file, sizeof file, "%s/s.json", sub);
    ck_assert_int_eq(
        popi_test_write(
            file, "{\"world\": {\"map\": \"maps/a.txt\"}, \"trace\": {\"file\": \"/abs/t.dat\"}}"),
        0);

    popi_scenario_t s;
    popi_scenario_defaults(&s);
    ck_assert_int_eq(popi_scenario_load_file(&s, file), POPI_OK);
    ck_assert_str_eq(s.base_dir, sub);
    char *p = popi_scenario_path(&s, s.world.map_file);
    snprintf(buf, sizeof buf, "%s/maps/a.txt", sub);
    ck_assert_str_eq(p, buf);
    free(p);
    p = popi_scenario_path(&s, s.trace.file);
    ck_assert_str_eq(p, "/abs/t.dat");
    free(p);
    ck_assert_ptr_null(popi_scenario_path(&s, NULL));
    free(s.base_dir);
    s.base_dir = popi_xstrdup("/");
    p = popi_scenario_path(&s, "a.txt");
    ck_assert_str_eq(p, "/a.txt");
    free(p);
    free(s.base_dir);
    s.base_dir = popi_xstrdup(".");
    p = popi_scenario_path(&s, "a.txt");
    ck_assert_str_eq(p, "a.txt");
    free(p);

    /* errors name the file */
    snprintf(buf, sizeof buf, "%s/missing.json", dir);
    ck_assert_int_eq(popi_scenario_load_file(&s, buf), POPI_EIO);
    ck_msg_has("cannot open");
    ck_msg_has("missing.json");
    ck_assert_int_eq(popi_scenario_load_file(&s, sub), POPI_EIO); /* a folder */
    ck_msg_has("cannot read");
    ck_assert_int_eq(popi_scenario_load_file(&s, NULL), POPI_EINVAL);
    snprintf(buf, sizeof buf, "%s/nul.json", dir);
    FILE *f = fopen(buf, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite("{\"run\":\0{}}", 1, 11, f);
    fclose(f);
    ck_assert_int_eq(popi_scenario_load_file(&s, buf), POPI_EPARSE);
    ck_msg_has("NUL byte at offset 7");
    snprintf(buf, sizeof buf, "%s/bad.json", sub);
    ck_assert_int_eq(popi_test_write(buf, "{\n  \"crowd\": {\"density\": 12.5}\n}\n"), 0);
    ck_assert_int_eq(popi_scenario_load_file(&s, buf), POPI_EINVAL);
    snprintf(file, sizeof file,
             "scenario: %s: crowd.density must be in [0, 10] 1/m^2, got 12.5 at $.crowd.density",
             buf);
    ck_assert_str_eq(popi_err_message(), file);
    popi_scenario_destroy(&s);
    popi_test_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(test_bad_scenarios)
{
    FILE *f = fopen(popi_test_src("tests/scenarios/bad/expect.tsv"), "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int n = 0;
    char listed[64][128];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        ck_assert_msg(tab != NULL, "expect.tsv line without a tab: %s", line);
        *tab = '\0';
        const char *name = line, *want = tab + 1;
        ck_assert_int_lt(n, 64);
        snprintf(listed[n++], sizeof listed[0], "%.120s", name);
        char rel[256];
        snprintf(rel, sizeof rel, "tests/scenarios/bad/%.200s", name);
        popi_scenario_t s;
        popi_scenario_defaults(&s);
        popi_err_t e = popi_scenario_load_file(&s, popi_test_src(rel));
        if (e == POPI_OK) e = popi_scenario_validate(&s);
        bool parse = strncmp(want, "invalid JSON", 12) == 0;
        ck_assert_msg(e == (parse ? POPI_EPARSE : POPI_EINVAL), "%s: got %s (%s)", name,
                      popi_err_name(e), popi_err_message());
        ck_assert_msg(strstr(popi_err_message(), want) != NULL, "%s: message \"%s\" lacks \"%s\"",
                      name, popi_err_message(), want);
        popi_scenario_destroy(&s);
    }
    fclose(f);
    ck_assert_int_ge(n, 18);
    /* every file of the folder is listed */
    DIR *d = opendir(popi_test_src("tests/scenarios/bad"));
    ck_assert_ptr_nonnull(d);
    int files = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
        files++;
        bool found = false;
        for (int i = 0; i < n; i++)
            found = found || strcmp(listed[i], de->d_name) == 0;
        ck_assert_msg(found, "%s is not in expect.tsv", de->d_name);
    }
    closedir(d);
    ck_assert_int_eq(files, n);
}
END_TEST

START_TEST(test_print_params)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    popi_scenario_print_params(f);
    fclose(f);
    size_t n;
    const popi_param_t *t = popi_scenario_params(&n);
    ck_assert_ptr_nonnull(
        strstr(text, "| key | type | default | range | unit | description | source |"));
    for (size_t i = 0; i < n; i++) {
        char want[200];
        snprintf(want, sizeof want, "\n| `%s` | ", t[i].key);
        ck_assert_msg(strstr(text, want) != NULL, "%s not documented", t[i].key);
    }
    ck_assert_ptr_nonnull(strstr(text, "| `crowd.density` | number | 0.1 | [0, 10] | 1/m^2 |"));
    ck_assert_ptr_nonnull(strstr(text, "| `run.duration_s` | number | 3600 | (0, 1e8] | s |"));
    ck_assert_ptr_nonnull(strstr(text, "| `radio.model` | enum: `unit_disc`, `ble` | `ble` |"));
    ck_assert_ptr_nonnull(strstr(text, "up\\|down")); /* '|' escaped inside cells */
    ck_assert_ptr_nonnull(strstr(text, "DOI 10.1093/ageing/26.1.15"));
    ck_assert_ptr_nonnull(strstr(text, "- `radio.scan_window_s` <= `radio.scan_interval_s`"));
    /* one table line per key: count the lines that start with "| `" */
    size_t rows = 0;
    for (const char *c = text; (c = strstr(c, "\n| `")) != NULL; c++)
        rows++;
    ck_assert_uint_eq(rows, n);
    free(text);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_table_sane);
    tcase_add_test(tc, test_defaults_equal_table);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_to_json_has_every_key);
    tcase_add_test(tc, test_parse_positions);
    tcase_add_test(tc, test_json_type_errors);
    tcase_add_test(tc, test_partial_apply_keeps_values);
    tcase_add_test(tc, test_set_every_type);
    tcase_add_test(tc, test_fraction_semantics);
    tcase_add_test(tc, test_crowd_semantics);
    tcase_add_test(tc, test_pairs_and_validate);
    tcase_add_test(tc, test_suggestions);
    tcase_add_test(tc, test_files_and_paths);
    tcase_add_test(tc, test_bad_scenarios);
    tcase_add_test(tc, test_print_params);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return popi_test_run(suite());
}
