/* Deployment write request bodies: fields, defaults and refusals. */
#include <string.h>

#include "lib/err.h"
#include "lib/model/deployment_req.h"
#include "tests/harness/test.h"

static int decode(const char *text, struct deployment_req *r, struct err *e)
{
    deployment_req_init(r);
    return deployment_req_decode_json(text, strlen(text), r, e);
}

START_TEST(promote_groups_and_all)
{
    struct deployment_req r;
    struct err err = ERR_INIT;

    ck_assert_int_eq(
        decode("{\"DeploymentID\":\"d1\",\"All\":false,\"Groups\":[\"web\","
               "\"api\"]}",
               &r, &err),
        0);
    ck_assert_str_eq(r.deployment_id, "d1");
    ck_assert(!r.all);
    ck_assert_uint_eq(r.groups.n, 2);
    ck_assert_str_eq(r.groups.items[1], "api");
    deployment_req_release(&r);
    ck_assert_int_eq(decode("{\"All\":true,\"Pause\":true}", &r, &err), 0);
    ck_assert(r.all);
    ck_assert(r.pause);
    ck_assert_ptr_null(r.deployment_id);
    deployment_req_release(&r);
    ck_assert_int_eq(decode("{\"HealthyAllocationIDs\":[\"a\"],"
                            "\"UnhealthyAllocationIDs\":[\"b\",\"c\"]}",
                            &r, &err),
                     0);
    ck_assert_uint_eq(r.healthy.n, 1);
    ck_assert_uint_eq(r.unhealthy.n, 2);
    ck_assert_str_eq(r.unhealthy.items[1], "c");
    deployment_req_release(&r);
}
END_TEST

START_TEST(job_stability)
{
    struct deployment_req r;
    struct err err = ERR_INIT;

    ck_assert_int_eq(
        decode("{\"JobID\":\"web\",\"JobVersion\":3,\"Stable\":true}", &r,
               &err),
        0);
    ck_assert_str_eq(r.job_id, "web");
    ck_assert_int_eq(r.job_version, 3);
    ck_assert(r.stable);
    deployment_req_release(&r);
    ck_assert_int_eq(decode("{}", &r, &err), 0);
    ck_assert_int_eq(r.job_version, -1);
    deployment_req_release(&r);
}
END_TEST

START_TEST(empty_body_is_an_empty_request)
{
    struct deployment_req r;
    struct err err = ERR_INIT;

    ck_assert_int_eq(decode("", &r, &err), 0);
    ck_assert(!r.all && !r.pause && r.groups.n == 0);
    deployment_req_release(&r);
}
END_TEST

START_TEST(wrong_types_are_refused_by_name)
{
    static const struct
    {
        const char *body, *msg;
    } cases[] = {
        {"{\"All\":\"yes\"}", "All must be a boolean"},
        {"{\"Pause\":1}", "Pause must be a boolean"},
        {"{\"DeploymentID\":7}", "DeploymentID must be a string"},
        {"{\"Groups\":\"web\"}",
         "Groups must be an array of at most 256 "
         "names"},
        {"{\"Groups\":[\"web\",3]}", "Groups[1] must be a string"},
        {"[true]", "request body must be an object"},
        {"{\"JobVersion\":-1}", "JobVersion must be a non-negative integer"},
        {"{\"JobVersion\":\"2\"}", "JobVersion must be a non-negative integer"},
        {"{\"JobID\":[]}", "JobID must be a string"},
        {"{\"Stable\":0}", "Stable must be a boolean"},
        {"{\"HealthyAllocationIDs\":[null]}",
         "HealthyAllocationIDs[0] must be a string"},
        {"{\"UnhealthyAllocationIDs\":{}}",
         "UnhealthyAllocationIDs must be an array of at most 4096 names"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct deployment_req r;
        struct err err = ERR_INIT;

        ck_assert_int_eq(decode(cases[i].body, &r, &err), ERR_INVALID);
        ck_assert_str_eq(err.msg, cases[i].msg);
        ck_assert_uint_eq(r.groups.n, 0);
        ck_assert_ptr_null(r.deployment_id);
    }
}
END_TEST

START_TEST(too_many_groups_are_refused)
{
    char body[8192] = "{\"Groups\":[";
    struct deployment_req r;
    struct err err = ERR_INIT;

    for (int i = 0; i <= DEPLOYMENT_REQ_GROUPS_MAX; i++)
        strcat(body, i ? ",\"g\"" : "\"g\"");
    strcat(body, "]}");
    ck_assert_int_eq(decode(body, &r, &err), ERR_INVALID);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deployment_req");
    TCase *tc = test_tcase("deployment_req");

    tcase_add_test(tc, promote_groups_and_all);
    tcase_add_test(tc, empty_body_is_an_empty_request);
    tcase_add_test(tc, job_stability);
    tcase_add_test(tc, wrong_types_are_refused_by_name);
    tcase_add_test(tc, too_many_groups_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
