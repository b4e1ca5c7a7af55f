/*
 * Filter expressions: a table of expression x document -> match, no match
 * or the parse error, plus the length and depth limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/bexpr.h"
#include "lib/err.h"
#include "tests/harness/test.h"

/* One job list stub, roughly as GET /v1/jobs answers it. */
static const char *const DOC =
    "{\"ID\":\"web\",\"Name\":\"web\",\"Namespace\":\"default\","
    "\"Type\":\"service\",\"Status\":\"running\",\"Priority\":50,"
    "\"Stop\":false,\"Periodic\":true,\"Weight\":0.5,\"ParentID\":\"\","
    "\"Datacenters\":[\"dc1\",\"dc2\"],\"Ports\":[80,443],"
    "\"Meta\":{\"team\":\"x\",\"key with space\":\"v\",\"owner\":\"ops-1\"},"
    "\"Empty\":{},\"None\":null,"
    "\"JobSummary\":{\"Summary\":{\"web\":{\"Running\":2}}}}";

#define YES 1
#define NO 0
#define BAD -1

static const struct
{
    const char *expr;
    int want;        /* YES, NO or BAD */
    const char *err; /* BAD: the start of the message */
} cases[] = {
    /* equality on strings, numbers, bools */
    {"Type == \"service\"", YES, NULL},
    {"Type == \"batch\"", NO, NULL},
    {"Type != \"batch\"", YES, NULL},
    {"Type == `service`", YES, NULL},
    {"Priority == 50", YES, NULL},
    {"Priority == \"50\"", YES, NULL},
    {"Priority != 51", YES, NULL},
    {"Weight == 0.5", YES, NULL},
    {"Stop == false", YES, NULL},
    {"Periodic == true", YES, NULL},
    {"Stop == true", NO, NULL},
    {"Priority == abc", NO, NULL},
    /* ordering */
    {"Priority > 49", YES, NULL},
    {"Priority >= 50", YES, NULL},
    {"Priority < 50", NO, NULL},
    {"Priority <= -1", NO, NULL},
    {"Name < \"xyz\"", YES, NULL},
    {"Name > \"xyz\"", NO, NULL},
    /* nested selectors */
    {"Meta.team == \"x\"", YES, NULL},
    {"Meta[\"key with space\"] == \"v\"", YES, NULL},
    {"Meta[ `team` ] == \"x\"", YES, NULL},
    {"JobSummary.Summary.web.Running == 2", YES, NULL},
    {"Datacenters.1 == \"dc2\"", YES, NULL},
    {"Ports.0 < 100", YES, NULL},
    {"Datacenters.7 is empty", YES, NULL},
    {"Namespace == default", YES, NULL},
    {"Meta.team == Meta.team", NO, NULL}, /* the text "Meta.team" */
    /* missing fields */
    {"Meta.nope == \"x\"", NO, NULL},
    {"Meta.nope != \"x\"", YES, NULL},
    {"Nope.deeper is empty", YES, NULL},
    {"Nope > 1", NO, NULL},
    /* in / contains */
    {"\"dc1\" in Datacenters", YES, NULL},
    {"\"dc3\" in Datacenters", NO, NULL},
    {"\"dc3\" not in Datacenters", YES, NULL},
    {"443 in Ports", YES, NULL},
    {"\"team\" in Meta", YES, NULL},
    {"\"erv\" in Type", YES, NULL},
    {"Datacenters contains \"dc2\"", YES, NULL},
    {"Datacenters not contains \"dc2\"", NO, NULL},
    {"Type contains \"vic\"", YES, NULL},
    {"Meta not contains \"boss\"", YES, NULL},
    /* emptiness */
    {"ParentID is empty", YES, NULL},
    {"Empty is empty", YES, NULL},
    {"None is empty", YES, NULL},
    {"Datacenters is not empty", YES, NULL},
    {"Meta is empty", NO, NULL},
    /* regular expressions */
    {"Meta.owner matches \"^ops-[0-9]+$\"", YES, NULL},
    {"Name matches \"^batch\"", NO, NULL},
    {"Name not matches \"^batch\"", YES, NULL},
    {"Priority matches \"5\"", NO, NULL},
    /* logic */
    {"Type == \"service\" and Priority == 50", YES, NULL},
    {"Type == \"batch\" and Priority == 50", NO, NULL},
    {"Type == \"batch\" or Priority == 50", YES, NULL},
    {"not Type == \"batch\"", YES, NULL},
    {"not (Type == \"service\")", NO, NULL},
    {"(Type == \"batch\" or Type == \"service\") and Stop == false", YES, NULL},
    {"Type == \"batch\" or Type == \"x\" and Stop == false", NO, NULL},
    {"Type == \"service\" or Type == \"x\" and Stop == true", YES, NULL},
    {"  ( Name == \"web\" )  ", YES, NULL},
    {"Name==\"web\"", YES, NULL},
    {"Name == \"w\\\"eb\"", NO, NULL},
    {"Meta.team is not empty and\n\"dc1\" in Datacenters", YES, NULL},
    /* errors */
    {"", BAD, "1:1 (0): no match found, expected: \"(\""},
    {"Status", BAD, "1:7 (6): no match found, expected: \"!=\""},
    {"Status = \"x\"", BAD, "1:8 (7): no match found, expected: \"!=\""},
    {"Status == ", BAD, "1:11 (10): no match found, expected: \"\\\"\""},
    {"Status == \"x", BAD, "1:13 (12): no match found"},
    {"Status == \"x\" and", BAD, "1:18 (17): no match found, expected: \"(\""},
    {"Status == \"x\" xor Type == \"y\"", BAD, "1:15 (14): no match found"},
    {"(Status == \"x\"", BAD, "1:15 (14): no match found, expected: \")\""},
    {"Status is full", BAD, "1:11 (10): no match found, expected: \"empty\""},
    {"\"x\" == Status", BAD, "1:5 (4): no match found, expected: \"in\""},
    {"Meta[team] == \"x\"", BAD, "1:6 (5): no match found"},
    {"Meta. == \"x\"", BAD,
     "1:6 (5): no match found, expected: [0-9] or [a-zA-Z]"},
    {"Name matches \"(\"", BAD, "1:14 (13): no match found, expected: a valid"},
    {"Name matches \"x++\"", BAD,
     "1:14 (13): no match found, expected: a valid regular expression (invalid "
     "nested"},
    {"Name matches \"(a)\\\\1\"", BAD,
     "1:14 (13): no match found, expected: a valid regular expression (back "
     "ref"},
    {"Name matches \"((a{1,30}){1,40})\"", BAD,
     "1:14 (13): no match found, expected: a valid regular expression "
     "(repetition"},
    {"Name matches \"^[a-z]{1,3}[0-9]{2}[]x]+$\"", NO, NULL},
    {"Name == \"a\\q\"", BAD, "1:12 (11): no match found"},
    {"Priority == 5x", BAD, "1:14 (13): no match found"},
    {"Name == \"x\"\nand Nope", BAD, "2:9 (20): no match found"},
};

START_TEST(table)
{
    struct err err = ERR_INIT;
    struct bexpr *b;
    json_error_t jerr;
    json_t *doc = json_loads(DOC, 0, &jerr);
    int rc;

    ck_assert_ptr_nonnull(doc);
    rc = bexpr_parse(cases[_i].expr, &b, &err);
    if (cases[_i].want == BAD) {
        ck_assert_msg(rc == ERR_INVALID, "%s: parsed", cases[_i].expr);
        ck_assert_ptr_null(b);
        ck_assert_msg(
            strncmp(err.msg, cases[_i].err, strlen(cases[_i].err)) == 0,
            "%s: got \"%s\"", cases[_i].expr, err.msg);
    } else {
        ck_assert_msg(rc == 0, "%s: %s", cases[_i].expr, err.msg);
        ck_assert_msg(bexpr_match(b, doc) == (cases[_i].want == YES),
                      "%s: want %s", cases[_i].expr,
                      cases[_i].want == YES ? "match" : "no match");
        bexpr_free(b);
    }
    json_decref(doc);
}
END_TEST

START_TEST(limits)
{
    struct err err = ERR_INIT;
    struct bexpr *b;
    char *deep, *ok, *longer;
    size_t n = BEXPR_MAX_DEPTH + 1, i;

    /* As deep as allowed parses; one more level is refused. */
    ok = xmalloc(2 * n + 16);
    deep = xmalloc(2 * n + 16);
    for (i = 0; i < BEXPR_MAX_DEPTH; i++)
        ok[i] = '(';
    strcpy(ok + i, "A == 1");
    for (size_t j = 0; j < BEXPR_MAX_DEPTH; j++)
        strcat(ok, ")");
    ck_assert_msg(bexpr_parse(ok, &b, &err) == 0, "%s", err.msg);
    bexpr_free(b);
    for (i = 0; i < n; i++)
        deep[i] = '(';
    strcpy(deep + i, "A == 1");
    ck_assert_int_eq(bexpr_parse(deep, &b, &err), ERR_TOO_DEEP);
    ck_assert_str_eq(err.msg, "1:34 (33): expression nested more than 32 deep");
    ck_assert_ptr_null(b);
    free(deep);
    free(ok);

    /* not not not ... counts as nesting too. */
    longer = xmalloc(4 * n + 16);
    longer[0] = '\0';
    for (i = 0; i < n; i++)
        strcat(longer, "not ");
    strcat(longer, "A == 1");
    ck_assert_int_eq(bexpr_parse(longer, &b, &err), ERR_TOO_DEEP);
    free(longer);

    /* Long and flat is fine up to the byte limit. */
    longer = xmalloc(BEXPR_MAX_LEN + 2);
    memset(longer, ' ', BEXPR_MAX_LEN + 1);
    memcpy(longer, "A == 1", 6);
    longer[BEXPR_MAX_LEN] = '\0';
    ck_assert_msg(bexpr_parse(longer, &b, &err) == 0, "%s", err.msg);
    bexpr_free(b);
    longer[BEXPR_MAX_LEN] = ' ';
    longer[BEXPR_MAX_LEN + 1] = '\0';
    ck_assert_int_eq(bexpr_parse(longer, &b, &err), ERR_TOO_BIG);
    ck_assert_str_eq(err.msg,
                     "expression is 4097 bytes, longer than the 4096 allowed");
    free(longer);
}
END_TEST

/* A long chain of and/or matches like the short one. */
START_TEST(long_chain)
{
    struct err err = ERR_INIT;
    struct bexpr *b;
    json_t *doc = json_pack("{s:i}", "A", 7);
    char *s = xstrdup("A == 0");

    for (int i = 1; i < 300; i++) {
        char *t = xasprintf("%s or A == %d", s, i);

        free(s);
        s = t;
    }
    ck_assert_msg(bexpr_parse(s, &b, &err) == 0, "%s", err.msg);
    ck_assert(bexpr_match(b, doc));
    bexpr_free(b);
    free(s);
    json_decref(doc);
}
END_TEST

static Suite *bexpr_suite(void)
{
    Suite *s = suite_create("lib_bexpr");
    TCase *tc = tcase_create("bexpr");

    tcase_add_loop_test(tc, table, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, limits);
    tcase_add_test(tc, long_chain);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(bexpr_suite)
