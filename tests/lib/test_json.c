/* The tree-less JSON reader and writer. */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json.h"
#include "tests/harness/test.h"

/* Parses text fully into jansson through the reader; returns the error. */
static int parse(const char *text, json_t **out, struct err *err)
{
    struct jr r;
    int rc;

    jr_init(&r, text, strlen(text), err);
    rc = jr_json(&r, out);
    if (rc == 0)
        rc = jr_end(&r);
    jr_release(&r);
    return rc;
}

START_TEST(reader_accepts_valid_json)
{
    static const char *ok[] = {
        "{}", "[]", " {\"a\" : [1, 2.5, -3e2, true, false, null, \"x\"]} ",
        "{\"a\":{\"b\":{}},\"c\":[[],[{}]]}", "\"\\u00e9\\ud83d\\ude00\"",
        "0", "-0.5e-3",
    };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct err err = ERR_INIT;
        json_t *j = NULL;

        ck_assert_msg(parse(ok[i], &j, &err) == 0, "%s: %s", ok[i], err.msg);
        json_decref(j);
    }
}
END_TEST

START_TEST(reader_rejects_invalid_json_with_position)
{
    static const struct
    {
        const char *text;
        const char *msg;
    } bad[] = {
        {"{\"a\":1 {\"b\":2}}", "1:8: expected ',' or '}'"},
        {"[1 [2]]", "1:4: expected ',' or ']'"},
        {"{\"a\":1,}", "1:8: expected a key string"},
        {"[1,]", "1:4: expected a value"},
        {"{\n  \"a\": tru }", "2:8: invalid literal"},
        {"\"abc", "unterminated string"},
        {"\"a\tb\"", "control character in string"},
        {"\"\\x\"", "invalid escape"},
        {"\"\\u12\"", "invalid \\u escape"},
        {"01", "1:2: unexpected data after the JSON value"},
        {"-", "invalid number"},
        {"1.", "invalid number"},
        {"{} x", "1:4: unexpected data"},
        {"", "1:1: expected a value, got end of input"},
        {"{", "expected a key string, got end of input"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct err err = ERR_INIT;
        json_t *j = NULL;

        ck_assert_msg(parse(bad[i].text, &j, &err) != 0, "%s parsed",
                      bad[i].text);
        ck_assert_msg(strstr(err.msg, bad[i].msg) != NULL,
                      "%s: want \"%s\" in \"%s\"", bad[i].text, bad[i].msg,
                      err.msg);
        json_decref(j);
    }
}
END_TEST

START_TEST(reader_bounds_depth)
{
    char deep[300];
    struct err err = ERR_INIT;
    json_t *j = NULL;

    memset(deep, '[', 200);
    memset(deep + 200, ']', 99);
    deep[299] = '\0';
    ck_assert_int_eq(parse(deep, &j, &err), ERR_TOO_DEEP);
    json_decref(j);
}
END_TEST

START_TEST(reader_decodes_escapes_and_integers)
{
    struct err err = ERR_INIT;
    const char *s;
    size_t len;
    int64_t v;
    bool ok;
    struct jr r;

    static const char *text =
        "[\"a\\n\\\"\\u00e9\\ud83d\\ude00\", 3e2, 1.5, 1e300]";

    jr_init(&r, text, strlen(text), &err);
    ck_assert_int_eq(jr_arr_begin(&r), 0);
    ck_assert_int_eq(jr_arr_next(&r, &ok), 0);
    ck_assert_int_eq(jr_str(&r, &s, &len), 0);
    ck_assert_str_eq(s, "a\n\"\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert_int_eq(jr_arr_next(&r, &ok), 0);
    ck_assert_int_eq(jr_int(&r, &v, &ok), 0);
    ck_assert(ok);
    ck_assert_int_eq(v, 300);
    ck_assert_int_eq(jr_arr_next(&r, &ok), 0);
    ck_assert_int_eq(jr_int(&r, &v, &ok), 0);
    ck_assert(!ok);
    ck_assert_int_eq(jr_arr_next(&r, &ok), 0);
    ck_assert_int_eq(jr_int(&r, &v, &ok), 0);
    ck_assert(!ok);
    ck_assert_int_eq(jr_arr_next(&r, &ok), 0);
    ck_assert(!ok);
    ck_assert_int_eq(jr_end(&r), 0);
    jr_release(&r);
}
END_TEST

START_TEST(writer_prints_like_go)
{
    struct buf b = BUF_INIT;
    struct jw w;

    jw_init(&w, &b, 4);
    jw_obj_begin(&w);
    jw_key(&w, "A");
    jw_str(&w, "<a & b>\x01\xff\xe2\x80\xa8");
    jw_key(&w, "Empty");
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_key(&w, "Obj");
    jw_obj_begin(&w);
    jw_obj_end(&w);
    jw_key(&w, "L");
    jw_arr_begin(&w);
    jw_int(&w, -1);
    jw_null(&w);
    jw_arr_end(&w);
    jw_obj_end(&w);
    ck_assert_str_eq(buf_str(&b),
                     "{\n"
                     "    \"A\": \"\\u003ca \\u0026 b\\u003e\\u0001\\ufffd\\u2028\",\n"
                     "    \"Empty\": [],\n"
                     "    \"Obj\": {},\n"
                     "    \"L\": [\n"
                     "        -1,\n"
                     "        null\n"
                     "    ]\n"
                     "}");
    buf_reset(&b);
    jw_init(&w, &b, 0);
    jw_arr_begin(&w);
    jw_bool(&w, true);
    jw_str(&w, NULL);
    jw_arr_end(&w);
    ck_assert_str_eq(buf_str(&b), "[true,null]");
    buf_release(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = test_tcase("json");

    tcase_add_test(tc, reader_accepts_valid_json);
    tcase_add_test(tc, reader_rejects_invalid_json_with_position);
    tcase_add_test(tc, reader_bounds_depth);
    tcase_add_test(tc, reader_decodes_escapes_and_integers);
    tcase_add_test(tc, writer_prints_like_go);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
