/* Tests of the CLI's table, id and time formatting. */
#include <string.h>

#include "agent/cli/format.h"
#include "lib/buf.h"
#include "tests/harness/test.h"

#define SEC INT64_C(1000000000)

START_TEST(kv_pads_keys_and_fills_none)
{
    const char *pairs[] = {"ID", "web", "Status", "running", "Type", ""};
    struct buf b = BUF_INIT;

    format_kv(&b, pairs, 3);
    ck_assert_str_eq(buf_str(&b),
                     "ID     = web\n"
                     "Status = running\n"
                     "Type   = <none>");
    buf_release(&b);
}
END_TEST

START_TEST(list_pads_all_but_last_column)
{
    const char *cells[] = {"ID",      "Node ID", "Status", "3f2a5c1e", "fb21",
                           "running", "9c",      NULL,     "pending"};
    struct buf b = BUF_INIT;

    format_list(&b, cells, 3, 3);
    ck_assert_str_eq(buf_str(&b),
                     "ID        Node ID  Status\n"
                     "3f2a5c1e  fb21     running\n"
                     "9c        <none>   pending");
    buf_release(&b);
}
END_TEST

START_TEST(short_ids)
{
    char tmp[9];

    ck_assert_str_eq(
        format_short_id("3f2a5c1e-2f1d-4b7e-9c8a-1d2e3f4a5b6c", 0, tmp),
        "3f2a5c1e");
    ck_assert_str_eq(format_short_id("3f2a5c1e-2f1d", 1, tmp), "3f2a5c1e-2f1d");
    ck_assert_str_eq(format_short_id("abc", 0, tmp), "abc");
}
END_TEST

START_TEST(times)
{
    char out[64];
    int64_t now = 1714557600 * SEC;

    format_time_rfc3339(now, out, sizeof(out));
    ck_assert_str_eq(out, "2024-05-01T10:00:00Z");
    format_time_relative(now, now, out, sizeof(out));
    ck_assert_str_eq(out, "0s ago");
    format_time_relative(now - 300 * SEC, now, out, sizeof(out));
    ck_assert_str_eq(out, "5m ago");
    format_time_relative(now - 3780 * SEC, now, out, sizeof(out));
    ck_assert_str_eq(out, "1h3m ago");
    format_time_relative(now - (3600 + 3) * SEC, now, out, sizeof(out));
    ck_assert_str_eq(out, "1h ago");
    format_time_relative(now - (2 * 86400 + 3600 + 60) * SEC, now, out,
                         sizeof(out));
    ck_assert_str_eq(out, "2d1h ago");
    format_time_relative(now + 119 * SEC, now, out, sizeof(out));
    ck_assert_str_eq(out, "1m59s from now");
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("cli_format");
    TCase *tc = test_tcase("format");

    tcase_add_test(tc, kv_pads_keys_and_fills_none);
    tcase_add_test(tc, list_pads_all_but_last_column);
    tcase_add_test(tc, short_ids);
    tcase_add_test(tc, times);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(format_suite)
