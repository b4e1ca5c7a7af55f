/* Log file names and rotation rules (lib/logfile.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/logfile.h"
#include "tests/harness/test.h"

START_TEST(index_parses_only_base_dot_number)
{
    uint32_t i = 99;

    ck_assert(logfile_index("web.stdout.0", "web.stdout", &i));
    ck_assert_uint_eq(i, 0);
    ck_assert(logfile_index("web.stdout.12", "web.stdout", &i));
    ck_assert_uint_eq(i, 12);
    ck_assert(!logfile_index("web.stdout", "web.stdout", &i));
    ck_assert(!logfile_index("web.stdout.", "web.stdout", &i));
    ck_assert(!logfile_index("web.stdout.01", "web.stdout", &i));
    ck_assert(!logfile_index("web.stdout.1a", "web.stdout", &i));
    ck_assert(!logfile_index("web.stdout.-1", "web.stdout", &i));
    ck_assert(!logfile_index("web.stderr.1", "web.stdout", &i));
    ck_assert(!logfile_index("web.stdoutx.1", "web.stdout", &i));
    ck_assert(!logfile_index("web.stdout.99999999999", "web.stdout", &i));
    ck_assert(!logfile_index("xweb.stdout.1", "web.stdout", &i));
    /* A task named like another's stream prefix does not match it. */
    ck_assert(!logfile_index("web.stdout.1", "web", &i));
}
END_TEST

START_TEST(room_cuts_at_max_and_rotates_full_files_first)
{
    ck_assert_uint_eq(logfile_room(0, 10, 100), 10);
    ck_assert_uint_eq(logfile_room(95, 10, 100), 5);
    ck_assert_uint_eq(logfile_room(100, 10, 100), 0);
    ck_assert_uint_eq(logfile_room(150, 10, 100), 0); /* grown by others */
    ck_assert_uint_eq(logfile_room(0, 0, 1), 0);
}
END_TEST

START_TEST(keep_from_keeps_the_newest_max_files)
{
    ck_assert_uint_eq(logfile_keep_from(0, 10), 0);
    ck_assert_uint_eq(logfile_keep_from(9, 10), 0);
    ck_assert_uint_eq(logfile_keep_from(10, 10), 1);
    ck_assert_uint_eq(logfile_keep_from(2, 2), 1);
    ck_assert_uint_eq(logfile_keep_from(5, 1), 5);
}
END_TEST

static void touch(const char *dir, const char *name)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
}

START_TEST(range_finds_first_and_last_index)
{
    char dir[] = "/tmp/caravan-logfile-XXXXXX";
    uint32_t first = 0, last = 0;
    char cmd[128];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_lt(logfile_range(dir, "t.stdout", &first, &last), 0);
    touch(dir, "t.stdout.3");
    touch(dir, "t.stdout.11");
    touch(dir, "t.stdout.4");
    touch(dir, "t.stderr.0");
    touch(dir, "t.stdout.07");
    ck_assert_int_eq(logfile_range(dir, "t.stdout", &first, &last), 0);
    ck_assert_uint_eq(first, 3);
    ck_assert_uint_eq(last, 11);
    ck_assert_int_eq(logfile_range(dir, "t.stderr", &first, &last), 0);
    ck_assert_uint_eq(first, 0);
    ck_assert_uint_eq(last, 0);
    ck_assert_int_lt(logfile_range("/nonexistent/dir", "t", &first, &last), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *logfile_suite(void)
{
    Suite *s = suite_create("lib_logfile");
    TCase *tc = test_tcase("logfile");

    tcase_add_test(tc, index_parses_only_base_dot_number);
    tcase_add_test(tc, room_cuts_at_max_and_rotates_full_files_first);
    tcase_add_test(tc, keep_from_keeps_the_newest_max_files);
    tcase_add_test(tc, range_finds_first_and_last_index);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(logfile_suite)
