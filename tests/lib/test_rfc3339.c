/*
 * Go time.Time as JSON: RFC 3339 formatting and parsing, and the model
 * fields that carry one (a deployment's RequireProgressBy, an alloc's
 * deployment health Timestamp).
 */
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_json.h"
#include "lib/model/deployment.h"
#include "lib/time.h"
#include "tests/harness/test.h"

static const char *fmt(int64_t ns)
{
    static char out[40];

    time_format_rfc3339_nano(ns, out, sizeof(out));
    return out;
}

static int64_t parse(const char *s)
{
    int64_t ns = -42;

    ck_assert_msg(time_parse_rfc3339(s, strlen(s), &ns) == 0, "%s", s);
    return ns;
}

START_TEST(formats_as_go_does)
{
    ck_assert_str_eq(fmt(0), "0001-01-01T00:00:00Z");
    ck_assert_str_eq(fmt(1714557600 * NS_PER_SEC), "2024-05-01T10:00:00Z");
    ck_assert_str_eq(fmt(1714557600 * NS_PER_SEC + 123000000),
                     "2024-05-01T10:00:00.123Z");
    ck_assert_str_eq(fmt(1714557600 * NS_PER_SEC + 1),
                     "2024-05-01T10:00:00.000000001Z");
    ck_assert_str_eq(fmt(-NS_PER_SEC / 2), "1969-12-31T23:59:59.5Z");
    ck_assert_str_eq(fmt(951782400 * NS_PER_SEC), "2000-02-29T00:00:00Z");
}
END_TEST

START_TEST(parses_what_it_formats_and_offsets)
{
    static const int64_t v[] = {1,
                                -NS_PER_SEC / 2,
                                1714557600 * NS_PER_SEC,
                                1714557600 * NS_PER_SEC + 987654321,
                                951782400 * NS_PER_SEC,
                                INT64_C(4102444800) * NS_PER_SEC};

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        ck_assert_int_eq(parse(fmt(v[i])), v[i]);
    ck_assert_int_eq(parse("0001-01-01T00:00:00Z"), 0);
    ck_assert_int_eq(parse("2024-05-01T12:00:00+02:00"),
                     1714557600 * NS_PER_SEC);
    ck_assert_int_eq(parse("2024-05-01T09:30:00.5-00:30"),
                     1714557600 * NS_PER_SEC + NS_PER_SEC / 2);
}
END_TEST

START_TEST(refuses_anything_else)
{
    static const char *bad[] = {
        "",
        "2024-05-01",
        "2024-05-01T10:00:00",
        "2024-05-01 10:00:00Z",
        "2024-13-01T10:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T10:00:00.Z",
        "2024-05-01T10:00:00.1234567891Z",
        "2024-05-01T10:00:00+0200",
        "2024-05-01T10:00:00Zjunk",
        "9999-01-01T00:00:00Z",
        "0001-01-01T00:00:01Z",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ns = 7;

        ck_assert_msg(
            time_parse_rfc3339(bad[i], strlen(bad[i]), &ns) == ERR_INVALID,
            "%s", bad[i]);
        ck_assert_int_eq(ns, 7);
    }
}
END_TEST

START_TEST(deployment_json_carries_times_as_go)
{
    struct deployment *d = deployment_new(), back;
    struct err err = ERR_INIT;
    json_t *j, *g;

    d->id = xstrdup("d1");
    d->groups = xcalloc(1, sizeof(*d->groups));
    d->ngroups = 1;
    d->groups[0].name = xstrdup("web");
    d->groups[0].require_progress_by_unix_ns = 1714558200 * NS_PER_SEC;
    j = deployment_to_json(d);
    g = json_object_get(
        json_object_get(json_object_get(j, "TaskGroups"), "web"),
        "RequireProgressBy");
    ck_assert_str_eq(json_string_value(g), "2024-05-01T10:10:00Z");
    deployment_init(&back);
    ck_assert_int_eq(deployment_from_json(j, &back, &err), 0);
    ck_assert(deployment_equal(&back, d));
    deployment_release(&back);
    /* Numbers (Caravan's older answers) still read. */
    json_object_set_new(
        json_object_get(json_object_get(j, "TaskGroups"), "web"),
        "RequireProgressBy", json_integer(5));
    deployment_init(&back);
    ck_assert_int_eq(deployment_from_json(j, &back, &err), 0);
    ck_assert_int_eq(back.groups[0].require_progress_by_unix_ns, 5);
    deployment_release(&back);
    json_object_set_new(
        json_object_get(json_object_get(j, "TaskGroups"), "web"),
        "RequireProgressBy", json_string("soon"));
    deployment_init(&back);
    ck_assert_int_ne(deployment_from_json(j, &back, &err), 0);
    deployment_release(&back);
    json_decref(j);
    deployment_free(d);
}
END_TEST

START_TEST(unset_health_timestamp_is_the_zero_time)
{
    struct alloc *a = alloc_new();
    json_t *j;

    a->id = xstrdup("a1");
    a->deployment_status = xcalloc(1, sizeof(*a->deployment_status));
    a->deployment_status->healthy = TRI_TRUE;
    j = alloc_to_json(a);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(j, "DeploymentStatus"), "Timestamp")),
                     "0001-01-01T00:00:00Z");
    json_decref(j);
    alloc_free(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rfc3339");
    TCase *tc = test_tcase("rfc3339");

    tcase_add_test(tc, formats_as_go_does);
    tcase_add_test(tc, parses_what_it_formats_and_offsets);
    tcase_add_test(tc, refuses_anything_else);
    tcase_add_test(tc, deployment_json_carries_times_as_go);
    tcase_add_test(tc, unset_health_timestamp_is_the_zero_time);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
