/* Tests of the base library: err, buf, durations, logger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/time.h"
#include "tests/harness/test.h"

START_TEST(err_wrap_prefixes_context)
{
    struct err err = ERR_INIT;
    int rc;

    rc = err_set(&err, ERR_INVALID, "count must be >= 0");
    ck_assert_int_eq(rc, ERR_INVALID);
    err_wrap(&err, "group \"%s\"", "api");
    rc = err_wrap(&err, "job \"%s\"", "web");
    ck_assert_int_eq(rc, ERR_INVALID);
    ck_assert_str_eq(err.msg, "job \"web\": group \"api\": count must be >= 0");
}
END_TEST

START_TEST(err_str_covers_both_ranges)
{
    ck_assert_str_eq(err_str(ERR_MALFORMED), "malformed data");
    ck_assert_str_eq(err_str(-2), strerror(2));
    ck_assert_str_eq(err_str(0), "success");
}
END_TEST

START_TEST(buf_grows_and_formats)
{
    struct buf b = BUF_INIT;
    char *s;

    ck_assert_str_eq(buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    ck_assert_uint_eq(b.len, strlen(b.data));
    ck_assert(strncmp(b.data, "0,1,2,", 6) == 0);
    buf_putc(&b, 'x');
    ck_assert_int_eq(b.data[b.len - 1], 'x');
    s = buf_detach(&b);
    ck_assert_ptr_null(b.data);
    free(s);
}
END_TEST

START_TEST(buf_read_file_names_missing_path)
{
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;

    ck_assert_int_ne(buf_read_file(&b, "/nonexistent/x.hcl", &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x.hcl"));
    buf_release(&b);
}
END_TEST

static const struct
{
    const char *in;
    int64_t ns;
} good_durations[] = {
    {"0", 0},
    {"5s", 5 * NS_PER_SEC},
    {"15s", 15 * NS_PER_SEC},
    {"1h30m", 90 * NS_PER_MIN},
    {"500ms", 500 * NS_PER_MS},
    {"1.5h", 90 * NS_PER_MIN},
    {"-2m", -2 * NS_PER_MIN},
    {"100us", 100 * NS_PER_US},
    {"10ns", 10},
    {"2h45m30.5s", 2 * NS_PER_HOUR + 45 * NS_PER_MIN + 30500 * NS_PER_MS},
    {".5s", 500 * NS_PER_MS},
    {"1.000001s", NS_PER_SEC + 1000},
    {"1µs1s", NS_PER_SEC + 1000},
    {"9223372036854775807ns", INT64_MAX},
    {"-2562047h47m16.854775808s", INT64_MIN},
};

START_TEST(duration_parse_accepts_go_forms)
{
    int64_t ns = -1;
    struct err err = ERR_INIT;

    ck_assert_int_eq(duration_parse(good_durations[_i].in, &ns, &err), 0);
    ck_assert_int_eq(ns, good_durations[_i].ns);
}
END_TEST

START_TEST(duration_parse_rejects_bad)
{
    static const char *bad[] = {"", "5", "1d", "s", "1.s.", "h1", "5 s", "-"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct err err = ERR_INIT;
        int64_t ns;

        ck_assert_msg(duration_parse(bad[i], &ns, &err) == ERR_INVALID,
                      "accepted \"%s\"", bad[i]);
        ck_assert_ptr_nonnull(strstr(err.msg, "duration"));
    }
}
END_TEST

START_TEST(duration_format_matches_go)
{
    char out[64];

    duration_format(90 * NS_PER_MIN, out, sizeof(out));
    ck_assert_str_eq(out, "1h30m0s");
    duration_format(500 * NS_PER_MS, out, sizeof(out));
    ck_assert_str_eq(out, "500ms");
    duration_format(0, out, sizeof(out));
    ck_assert_str_eq(out, "0s");
    duration_format(1500 * NS_PER_MS, out, sizeof(out));
    ck_assert_str_eq(out, "1.5s");
    duration_format(-15 * NS_PER_SEC, out, sizeof(out));
    ck_assert_str_eq(out, "-15s");
}
END_TEST

struct captured
{
    int n;
    char line[256];
};

static void capture(const struct log_record *rec, void *arg)
{
    struct captured *c = arg;

    c->n++;
    snprintf(c->line, sizeof(c->line), "%s %s %s: %s",
             log_level_name(rec->level), rec->subsystem, rec->context,
             rec->message);
}

START_TEST(logger_filters_and_carries_context)
{
    struct captured c = {0, {0}};
    struct logger lg;

    logger_init(&lg, "client.task", "alloc=%s task=%s", "3f2a", "web");
    log_set_sink(capture, &c);
    log_set_level(LOG_INFO);
    log_debug(&lg, "hidden %d", 1);
    ck_assert_int_eq(c.n, 0);
    log_info(&lg, "started pid=%d", 42);
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.line,
                     "INFO client.task alloc=3f2a task=web: started pid=42");
    log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(log_level_parse_names)
{
    enum log_level l;

    ck_assert_int_eq(log_level_parse("debug", &l), 0);
    ck_assert_int_eq(l, LOG_DEBUG);
    ck_assert_int_eq(log_level_parse("WARN", &l), 0);
    ck_assert_int_eq(l, LOG_WARN);
    ck_assert_int_ne(log_level_parse("loud", &l), 0);
}
END_TEST

static Suite *base_suite(void)
{
    Suite *s = suite_create("lib_base");
    TCase *tc = test_tcase("base");

    tcase_add_test(tc, err_wrap_prefixes_context);
    tcase_add_test(tc, err_str_covers_both_ranges);
    tcase_add_test(tc, buf_grows_and_formats);
    tcase_add_test(tc, buf_read_file_names_missing_path);
    tcase_add_loop_test(
        tc, duration_parse_accepts_go_forms, 0,
        (int)(sizeof(good_durations) / sizeof(good_durations[0])));
    tcase_add_test(tc, duration_parse_rejects_bad);
    tcase_add_test(tc, duration_format_matches_go);
    tcase_add_test(tc, logger_filters_and_carries_context);
    tcase_add_test(tc, log_level_parse_names);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(base_suite)
