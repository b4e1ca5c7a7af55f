/* Tests of constraint matching: targets, each operand, versions. */
#include <stdbool.h>
#include <string.h>

#include "lib/model/job.h"
#include "lib/model/node.h"
#include "scheduler/constraint.h"
#include "tests/harness/test.h"

static struct node node;
static struct constraint_cache *cache;

static void setup(void)
{
    node_init(&node);
    model_set_str(&node.id, "fb21a1b2-0000-4000-8000-000000000001");
    model_set_str(&node.name, "node1");
    model_set_str(&node.datacenter, "dc1");
    model_set_str(&node.node_pool, "default");
    strmap_set(&node.attributes, "kernel.name", "linux");
    strmap_set(&node.attributes, "cpu.numcores", "8");
    strmap_set(&node.attributes, "nomad.version", "1.7.2");
    strmap_set(&node.attributes, "os.version", "12.2-beta1");
    strmap_set(&node.meta, "rack", "r12");
    strmap_set(&node.meta, "features", "gpu, ssd,fast");
    cache = constraint_cache_new();
}

static void teardown(void)
{
    constraint_cache_free(cache);
    node_release(&node);
}

static bool holds(const char *l, const char *op, const char *r)
{
    struct constraint c = {(char *)l, (char *)r, (char *)op};

    return constraint_node_ok(cache, &node, &c);
}

START_TEST(targets_resolve)
{
    const char *v;

    ck_assert(constraint_resolve(&node, "${attr.kernel.name}", &v));
    ck_assert_str_eq(v, "linux");
    ck_assert(constraint_resolve(&node, "${meta.rack}", &v));
    ck_assert_str_eq(v, "r12");
    ck_assert(constraint_resolve(&node, "${node.datacenter}", &v));
    ck_assert_str_eq(v, "dc1");
    ck_assert(constraint_resolve(&node, "${node.unique.name}", &v));
    ck_assert_str_eq(v, "node1");
    ck_assert(constraint_resolve(&node, "literal", &v));
    ck_assert_str_eq(v, "literal");
    ck_assert(!constraint_resolve(&node, "${attr.missing}", &v));
    ck_assert(!constraint_resolve(&node, "${bogus.thing}", &v));
}
END_TEST

START_TEST(equality_and_missing_values)
{
    ck_assert(holds("${attr.kernel.name}", "=", "linux"));
    ck_assert(holds("${attr.kernel.name}", "", "linux"));
    ck_assert(!holds("${attr.kernel.name}", "=", "windows"));
    ck_assert(holds("${attr.kernel.name}", "!=", "windows"));
    /* A missing attribute never equals, and always differs. */
    ck_assert(!holds("${attr.nope}", "=", "x"));
    ck_assert(holds("${attr.nope}", "!=", "x"));
    ck_assert(holds("${meta.rack}", "is_set", ""));
    ck_assert(!holds("${meta.nope}", "is_set", ""));
    ck_assert(holds("${meta.nope}", "is_not_set", ""));
}
END_TEST

START_TEST(ordering_is_numeric_when_possible)
{
    ck_assert(holds("${attr.cpu.numcores}", ">=", "4"));
    /* Lexically "8" > "16", numerically it is not. */
    ck_assert(holds("${attr.cpu.numcores}", "<", "16"));
    ck_assert(!holds("${attr.cpu.numcores}", ">", "16"));
    ck_assert(holds("${meta.rack}", ">", "r100"));
    ck_assert(!holds("${attr.nope}", "<", "3"));
}
END_TEST

START_TEST(regexp_with_perl_classes)
{
    ck_assert(holds("${meta.rack}", "regexp", "^r\\d+$"));
    ck_assert(!holds("${meta.rack}", "regexp", "^x"));
    ck_assert(holds("${attr.kernel.name}", "regexp", "lin|win"));
    /* An invalid pattern matches nothing rather than failing the run. */
    ck_assert(!holds("${meta.rack}", "regexp", "(unclosed"));
}
END_TEST

START_TEST(sets)
{
    ck_assert(holds("${meta.features}", "set_contains", "ssd,gpu"));
    ck_assert(!holds("${meta.features}", "set_contains", "ssd,tpu"));
    ck_assert(holds("${meta.features}", "set_contains_all", "fast"));
    ck_assert(holds("${meta.features}", "set_contains_any", "tpu, fast"));
    ck_assert(!holds("${meta.features}", "set_contains_any", "tpu,nvme"));
}
END_TEST

START_TEST(versions)
{
    int cmp;

    ck_assert(holds("${attr.nomad.version}", "version", ">= 1.6, < 2.0"));
    ck_assert(holds("${attr.nomad.version}", "version", "~> 1.7"));
    ck_assert(!holds("${attr.nomad.version}", "version", "~> 1.6.0"));
    ck_assert(holds("${attr.nomad.version}", "version", "~> 1.7.0"));
    ck_assert(holds("${attr.nomad.version}", "semver", ">= 1.7.2"));
    /* A pre-release satisfies only constraints on its own base version. */
    ck_assert(!holds("${attr.os.version}", "version", ">= 12.0"));
    ck_assert(holds("${attr.os.version}", "version", ">= 12.2-alpha"));
    ck_assert(constraint_version_compare("1.2", "1.2.0", &cmp));
    ck_assert_int_eq(cmp, 0);
    ck_assert(
        constraint_version_compare("1.2.0-beta.2", "1.2.0-beta.11", &cmp));
    ck_assert_int_eq(cmp, -1);
    ck_assert(constraint_version_compare("1.2.0-rc.1", "1.2.0", &cmp));
    ck_assert_int_eq(cmp, -1);
    ck_assert(constraint_version_compare("v2.0.0+build.5", "1.9.9", &cmp));
    ck_assert_int_eq(cmp, 1);
    ck_assert(!constraint_version_compare("one.two", "1.0", &cmp));
    ck_assert(!constraint_version_match("1.2.3.4", ">= 1.0", true));
    ck_assert(!holds("${attr.nope}", "version", ">= 1.0"));
}
END_TEST

START_TEST(distinct_and_unknown_operands)
{
    ck_assert(holds("", "distinct_hosts", "true"));
    ck_assert(!holds("${meta.rack}", "frobnicate", "r12"));
}
END_TEST

static Suite *constraint_suite(void)
{
    Suite *s = suite_create("scheduler_constraint");
    TCase *tc = test_tcase("constraint");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, targets_resolve);
    tcase_add_test(tc, equality_and_missing_values);
    tcase_add_test(tc, ordering_is_numeric_when_possible);
    tcase_add_test(tc, regexp_with_perl_classes);
    tcase_add_test(tc, sets);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, distinct_and_unknown_operands);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(constraint_suite)
