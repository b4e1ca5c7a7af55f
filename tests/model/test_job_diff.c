/*
 * Job diffs: added, deleted, edited and unchanged jobs, groups and tasks;
 * contextual fields of edited blocks; set-like lists; driver config and
 * maps flattened; and the scheduler's annotations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"
#include "lib/model/job_diff.h"
#include "tests/harness/test.h"

static const char *base_json =
    "{\"Job\": {\"ID\": \"web\", \"Type\": \"service\", \"Datacenters\": "
    "[\"dc1\"], \"Meta\": {\"a\": \"1\"},"
    "\"TaskGroups\": [{\"Name\": \"web\", \"Count\": 1,"
    "\"Constraints\": [{\"LTarget\": \"${attr.kernel.name}\", \"RTarget\": "
    "\"linux\", \"Operand\": \"=\"}],"
    "\"Tasks\": [{\"Name\": \"server\", \"Driver\": \"raw_exec\","
    "\"Config\": {\"command\": \"/bin/sleep\", \"args\": [\"60\"]},"
    "\"Resources\": {\"CPU\": 100, \"MemoryMB\": 64}}]}]}}";

static struct job *load(void)
{
    struct err err = ERR_INIT;
    struct job *job = job_new();

    ck_assert_msg(job_decode_json(base_json, strlen(base_json), job, &err) == 0,
                  "%s", err.msg);
    job_canonicalize(job);
    return job;
}

static const char *type(const json_t *d)
{
    return json_string_value(json_object_get(d, "Type"));
}

/* The element of list named name, or NULL. */
static json_t *named(const json_t *list, const char *name)
{
    size_t i;
    json_t *x;

    json_array_foreach(list, i, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "Name")), name) == 0)
            return x;
    }
    return NULL;
}

static json_t *group0(json_t *d)
{
    return json_array_get(json_object_get(d, "TaskGroups"), 0);
}

static json_t *task0(json_t *d)
{
    return json_array_get(json_object_get(group0(d), "Tasks"), 0);
}

START_TEST(unchanged_job_is_none_with_groups_and_tasks)
{
    struct job *a = load(), *b = load();
    json_t *d;

    b->version = 7; /* bookkeeping is not a change */
    b->job_modify_index = 99;
    d = job_diff(a, b);
    ck_assert_str_eq(type(d), "None");
    ck_assert_str_eq(json_string_value(json_object_get(d, "ID")), "web");
    ck_assert_ptr_null(named(json_object_get(d, "Objects"), "Datacenters"));
    ck_assert(json_is_null(json_object_get(d, "Fields")));
    ck_assert_str_eq(type(group0(d)), "None");
    ck_assert_str_eq(type(task0(d)), "None");
    json_decref(d);
    job_free(a);
    job_free(b);
}
END_TEST

START_TEST(new_job_is_added_all_the_way_down)
{
    struct job *b = load();
    json_t *d = job_diff(NULL, b), *f;

    ck_assert_str_eq(type(d), "Added");
    f = named(json_object_get(d, "Fields"), "Type");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(type(f), "Added");
    ck_assert_str_eq(json_string_value(json_object_get(f, "New")), "service");
    ck_assert_str_eq(type(group0(d)), "Added");
    ck_assert_str_eq(type(task0(d)), "Added");
    ck_assert_ptr_null(named(json_object_get(d, "Fields"), "ID"));
    ck_assert_str_eq(type(named(json_object_get(d, "Objects"), "Datacenters")),
                     "Added");
    job_diff_annotate(d, NULL);
    ck_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(task0(d), "Annotations"), 0)),
                     "forces create");
    json_decref(d);
    d = job_diff(b, NULL);
    ck_assert_str_eq(type(d), "Deleted");
    ck_assert_str_eq(type(task0(d)), "Deleted");
    json_decref(d);
    job_free(b);
}
END_TEST

START_TEST(count_change_is_a_group_field_annotated)
{
    struct job *a = load(), *b = load();
    json_t *d, *f, *desired, *u;

    b->groups[0].count = 3;
    d = job_diff(a, b);
    ck_assert_str_eq(type(d), "Edited");
    ck_assert_str_eq(type(group0(d)), "Edited");
    ck_assert_str_eq(type(task0(d)), "None");
    ck_assert_uint_eq(json_array_size(json_object_get(group0(d), "Fields")), 1);
    f = named(json_object_get(group0(d), "Fields"), "Count");
    ck_assert_str_eq(type(f), "Edited");
    ck_assert_str_eq(json_string_value(json_object_get(f, "Old")), "1");
    ck_assert_str_eq(json_string_value(json_object_get(f, "New")), "3");
    desired = json_pack("{s:{s:i,s:i,s:i}}", "web", "Place", 2, "InPlaceUpdate",
                        1, "Ignore", 0);
    job_diff_annotate(d, desired);
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(f, "Annotations"), 0)),
        "forces create");
    u = json_object_get(group0(d), "Updates");
    ck_assert_int_eq(json_integer_value(json_object_get(u, "create")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "in-place update")),
                     1);
    ck_assert_ptr_null(json_object_get(u, "ignore"));
    ck_assert(json_is_null(json_object_get(task0(d), "Annotations")));
    json_decref(desired);
    json_decref(d);
    b->groups[0].count = 0;
    d = job_diff(a, b);
    job_diff_annotate(d, NULL);
    f = named(json_object_get(group0(d), "Fields"), "Count");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(f, "Annotations"), 0)),
        "forces destroy");
    json_decref(d);
    job_free(a);
    job_free(b);
}
END_TEST

START_TEST(edited_block_carries_context_and_forces_destructive)
{
    struct job *a = load(), *b = load();
    json_t *d, *res, *f;

    b->groups[0].tasks[0].resources->memory_mb = 128;
    d = job_diff(a, b);
    ck_assert_str_eq(type(task0(d)), "Edited");
    res = named(json_object_get(task0(d), "Objects"), "Resources");
    ck_assert_ptr_nonnull(res);
    ck_assert_str_eq(type(res), "Edited");
    f = named(json_object_get(res, "Fields"), "MemoryMB");
    ck_assert_str_eq(type(f), "Edited");
    f = named(json_object_get(res, "Fields"), "CPU");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(type(f), "None");
    ck_assert_str_eq(json_string_value(json_object_get(f, "New")), "100");
    job_diff_annotate(d, NULL);
    ck_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(task0(d), "Annotations"), 0)),
                     "forces create/destroy update");
    json_decref(d);
    job_free(a);
    job_free(b);
}
END_TEST

START_TEST(config_and_meta_are_flattened)
{
    struct job *a = load(), *b = load();
    json_t *d, *cfg, *f, *meta;

    json_array_set_new(json_object_get(b->groups[0].tasks[0].config, "args"), 0,
                       json_string("120"));
    strmap_set(&b->meta, "b", "2");
    d = job_diff(a, b);
    cfg = named(json_object_get(task0(d), "Objects"), "Config");
    ck_assert_ptr_nonnull(cfg);
    f = named(json_object_get(cfg, "Fields"), "args[0]");
    ck_assert_str_eq(type(f), "Edited");
    ck_assert_str_eq(json_string_value(json_object_get(f, "Old")), "60");
    f = named(json_object_get(cfg, "Fields"), "command");
    ck_assert_str_eq(type(f), "None");
    meta = named(json_object_get(d, "Objects"), "Meta");
    ck_assert_ptr_nonnull(meta);
    ck_assert_str_eq(type(meta), "Edited");
    f = named(json_object_get(meta, "Fields"), "b");
    ck_assert_str_eq(type(f), "Added");
    ck_assert_str_eq(json_string_value(json_object_get(f, "New")), "2");
    json_decref(d);
    job_free(a);
    job_free(b);
}
END_TEST

START_TEST(lists_are_sets_named_in_the_singular)
{
    struct job *a = load(), *b = load();
    json_t *d, *objs;
    struct task_group *g = &b->groups[0];

    free(g->constraints[0].rtarget);
    g->constraints[0].rtarget = xstrdup("darwin");
    strlist_push(&b->datacenters, "dc2");
    d = job_diff(a, b);
    objs = json_object_get(group0(d), "Objects");
    ck_assert_uint_eq(json_array_size(objs), 2);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(objs, 0), "Name")),
        "Constraint");
    ck_assert_str_eq(type(json_array_get(objs, 0)), "Added");
    ck_assert_str_eq(type(json_array_get(objs, 1)), "Deleted");
    objs = named(json_object_get(d, "Objects"), "Datacenters");
    ck_assert_ptr_nonnull(objs);
    ck_assert_str_eq(type(objs), "Edited");
    ck_assert_uint_eq(json_array_size(json_object_get(objs, "Fields")), 2);
    json_decref(d);
    job_free(a);
    job_free(b);
}
END_TEST

START_TEST(added_task_in_edited_group)
{
    struct job *a = load(), *b = load();
    struct task_group *g = &b->groups[0];
    json_t *d, *t;

    g->tasks = xrealloc(g->tasks, 2 * sizeof(*g->tasks));
    task_init(&g->tasks[1]);
    g->tasks[1].name = xstrdup("aaa");
    g->tasks[1].driver = xstrdup("raw_exec");
    g->ntasks = 2;
    d = job_diff(a, b);
    ck_assert_str_eq(type(group0(d)), "Edited");
    t = json_array_get(json_object_get(group0(d), "Tasks"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(t, "Name")), "aaa");
    ck_assert_str_eq(type(t), "Added");
    job_diff_annotate(d, NULL);
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(t, "Annotations"), 0)),
        "forces create/destroy update");
    json_decref(d);
    job_free(a);
    job_free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_diff");
    TCase *tc = test_tcase("job_diff");

    tcase_add_test(tc, unchanged_job_is_none_with_groups_and_tasks);
    tcase_add_test(tc, new_job_is_added_all_the_way_down);
    tcase_add_test(tc, count_change_is_a_group_field_annotated);
    tcase_add_test(tc, edited_block_carries_context_and_forces_destructive);
    tcase_add_test(tc, config_and_meta_are_flattened);
    tcase_add_test(tc, lists_are_sets_named_in_the_singular);
    tcase_add_test(tc, added_task_in_edited_group);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
