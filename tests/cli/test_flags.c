/* Tests of the Go-style flag parser of the CLI. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "agent/cli/flags.h"
#include "lib/err.h"
#include "tests/harness/test.h"

struct opts
{
    bool detach;
    const char *address;
    struct flag_list vars;
    int64_t index;
};

#define FLAGS(o)                                    \
    struct flag flags[] = {                         \
        {"detach", FLAG_BOOL, &(o).detach, ""},     \
        {"address", FLAG_STRING, &(o).address, ""}, \
        {"var", FLAG_STRLIST, &(o).vars, ""},       \
        {"check-index", FLAG_INT, &(o).index, ""},  \
    }

static int parse(struct opts *o,
                 int argc,
                 char **argv,
                 int *first,
                 struct err *err)
{
    FLAGS(*o);

    return flags_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       first, err);
}

START_TEST(parses_all_go_forms)
{
    char *argv[] = {"-detach",  "--address=http://x:1",
                    "-var",     "a=1",
                    "-var=b=2", "-check-index",
                    "7",        "job.hcl",
                    "-var",     "c"};
    struct opts o = {0};
    struct err err = ERR_INIT;
    int first = -1;

    ck_assert_int_eq(parse(&o, 10, argv, &first, &err), 0);
    ck_assert(o.detach);
    ck_assert_str_eq(o.address, "http://x:1");
    ck_assert_uint_eq(o.vars.n, 2);
    ck_assert_str_eq(o.vars.items[0], "a=1");
    ck_assert_str_eq(o.vars.items[1], "b=2");
    ck_assert_int_eq(o.index, 7);
    /* Parsing stops at the first positional argument, as Go's flag does. */
    ck_assert_int_eq(first, 7);
    flag_list_release(&o.vars);
}
END_TEST

START_TEST(bool_takes_explicit_false)
{
    char *argv[] = {"-detach=false", "x"};
    struct opts o = {.detach = true};
    struct err err = ERR_INIT;
    int first;

    ck_assert_int_eq(parse(&o, 2, argv, &first, &err), 0);
    ck_assert(!o.detach);
    ck_assert_int_eq(first, 1);
}
END_TEST

START_TEST(errors_use_go_messages)
{
    char *unknown[] = {"-nope"};
    char *missing[] = {"-address"};
    char *badbool[] = {"-detach=maybe"};
    char *badint[] = {"-check-index=x1"};
    struct opts o = {0};
    struct err err = ERR_INIT;
    int first;

    ck_assert_int_eq(parse(&o, 1, unknown, &first, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "flag provided but not defined: -nope");
    ck_assert_int_eq(parse(&o, 1, missing, &first, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "flag needs an argument: -address");
    ck_assert_int_eq(parse(&o, 1, badbool, &first, &err), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "invalid boolean value \"maybe\""));
    ck_assert_int_eq(parse(&o, 1, badint, &first, &err), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "-check-index"));
}
END_TEST

START_TEST(help_and_double_dash)
{
    char *help[] = {"-detach", "-help", "x"};
    char *dash[] = {"--", "-detach"};
    struct opts o = {0};
    struct err err = ERR_INIT;
    int first;

    ck_assert_int_eq(parse(&o, 3, help, &first, &err), FLAGS_HELP);
    o.detach = false;
    ck_assert_int_eq(parse(&o, 2, dash, &first, &err), 0);
    ck_assert(!o.detach);
    ck_assert_int_eq(first, 1);
}
END_TEST

static Suite *flags_suite(void)
{
    Suite *s = suite_create("cli_flags");
    TCase *tc = test_tcase("flags");

    tcase_add_test(tc, parses_all_go_forms);
    tcase_add_test(tc, bool_takes_explicit_false);
    tcase_add_test(tc, errors_use_go_messages);
    tcase_add_test(tc, help_and_double_dash);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(flags_suite)
