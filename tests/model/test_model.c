/*
 * The model without the HCL front end: JSON in and out, msgpack records
 * (including every truncation and corruption of one), deep copies,
 * canonicalization defaults and validation messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/merr.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_json.h"
#include "lib/model/codec_mp.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/time.h"
#include "tests/harness/test.h"

static const char *web_json =
    "{\"Job\": {\"ID\": \"web\", \"Type\": \"service\", \"Datacenters\": "
    "[\"dc1\"], \"Meta\": {\"b\": \"2\", \"a\": \"1\"},"
    "\"TaskGroups\": [{\"Name\": \"web\", \"Count\": 2,"
    "\"Networks\": [{\"Mode\": \"host\", \"DynamicPorts\": [{\"Label\": "
    "\"http\", \"Value\": 0, \"To\": 8080}]}],"
    "\"Services\": [{\"Name\": \"web\", \"PortLabel\": \"http\", "
    "\"Provider\": \"nomad\", \"Tags\": [\"v1\"],"
    "\"Checks\": [{\"Type\": \"http\", \"Path\": \"/health\", \"Interval\": "
    "10000000000, \"Timeout\": 2000000000, \"Header\": {\"X\": [\"y\"]}}]}],"
    "\"Tasks\": [{\"Name\": \"server\", \"Driver\": \"raw_exec\","
    "\"Config\": {\"command\": \"/usr/bin/python3\", \"args\": [\"-m\", "
    "\"http.server\", \"${NOMAD_PORT_http}\"]},"
    "\"Resources\": {\"CPU\": 100, \"MemoryMB\": 64}}]}]}}";

static int validate_ok(const struct job *job)
{
    struct err err = ERR_INIT;

    ck_assert_msg(job_validate(job, &err) == 0, "%s", err.msg);
    return 1;
}

static struct job *web(void)
{
    struct err err = ERR_INIT;
    struct job *job = job_new();

    ck_assert_msg(job_decode_json(web_json, strlen(web_json), job, &err) == 0,
                  "%s", err.msg);
    return job;
}

START_TEST(json_decode_reads_nomad_shape)
{
    struct job *job = web();

    ck_assert_str_eq(job->id, "web");
    ck_assert_ptr_null(job->name);
    ck_assert_int_eq(job->priority, MODEL_UNSET);
    ck_assert_uint_eq(job->ngroups, 1);
    ck_assert_int_eq(job->groups[0].count, 2);
    ck_assert_int_eq(job->groups[0].networks[0].dynamic_ports[0].to, 8080);
    ck_assert_str_eq(job->groups[0].services[0].checks[0].headers[0].name,
                     "X");
    ck_assert_int_eq(job->groups[0].services[0].checks[0].interval_ns,
                     10 * NS_PER_SEC);
    ck_assert_str_eq(json_string_value(json_object_get(
                         job->groups[0].tasks[0].config, "command")),
                     "/usr/bin/python3");
    job_free(job);
}
END_TEST

START_TEST(json_encode_has_nulls_and_sorted_maps)
{
    struct job *job = web();
    char *text = job_encode_json_wrapped(job);

    ck_assert_ptr_nonnull(strstr(text, "\"Priority\": null"));
    ck_assert_ptr_nonnull(strstr(text, "\"a\": \"1\",\n            \"b\""));
    ck_assert_ptr_nonnull(strstr(text, "    \"Job\": {"));
    free(text);
    job_free(job);
}
END_TEST

START_TEST(json_round_trip_is_stable)
{
    struct job *job = web(), *back = job_new();
    struct err err = ERR_INIT;
    json_t *j = job_to_json(job);

    ck_assert_int_eq(job_from_json(j, back, &err), 0);
    ck_assert(job_equal(job, back));
    json_decref(j);
    job_free(back);
    job_free(job);
}
END_TEST

START_TEST(json_wrong_type_names_path)
{
    static const char *bad =
        "{\"ID\": \"x\", \"TaskGroups\": [{\"Name\": \"g\", \"Count\": "
        "\"two\"}]}";
    struct job *job = job_new();
    struct err err = ERR_INIT;

    ck_assert_int_eq(job_decode_json(bad, strlen(bad), job, &err),
                     ERR_INVALID);
    ck_assert_str_eq(err.msg, "Job.TaskGroups[0].Count: expected an "
                              "integer, got a string");
    job_free(job);
}
END_TEST

START_TEST(json_syntax_error_has_position)
{
    static const char *bad = "{\"ID\": \n  \"x\",, }";
    struct job *job = job_new();
    struct err err = ERR_INIT;

    ck_assert_int_eq(job_decode_json(bad, strlen(bad), job, &err),
                     ERR_MALFORMED);
    ck_assert_msg(strncmp(err.msg, "2:", 2) == 0, "%s", err.msg);
    job_free(job);
}
END_TEST

START_TEST(json_keys_match_case_insensitively)
{
    static const char *in = "{\"id\": \"x\", \"taskgroups\": [{\"name\": "
                            "\"g\"}]}";
    struct job *job = job_new();
    struct err err = ERR_INIT;

    ck_assert_int_eq(job_decode_json(in, strlen(in), job, &err), 0);
    ck_assert_str_eq(job->id, "x");
    ck_assert_str_eq(job->groups[0].name, "g");
    job_free(job);
}
END_TEST

START_TEST(mp_round_trip_equal_before_and_after_canonicalize)
{
    struct job *job = web();

    for (int pass = 0; pass < 2; pass++) {
        struct buf b = BUF_INIT;
        struct job *back = job_new();
        struct err err = ERR_INIT;

        job_encode_mp(job, &b);
        ck_assert_int_eq(job_decode_mp(b.data, b.len, back, &err), 0);
        ck_assert(job_equal(job, back));
        job_free(back);
        buf_release(&b);
        job_canonicalize(job);
    }
    job_free(job);
}
END_TEST

START_TEST(mp_every_truncation_and_flip_is_handled)
{
    struct job *job = web();
    struct buf b = BUF_INIT;
    size_t failed = 0;

    job_canonicalize(job);
    job_encode_mp(job, &b);
    for (size_t n = 0; n < b.len; n++) {
        struct job *back = job_new();
        struct err err = ERR_INIT;

        if (job_decode_mp(b.data, n, back, &err) != 0)
            failed++;
        job_free(back);
    }
    ck_assert_uint_eq(failed, b.len); /* every strict prefix is rejected */
    for (size_t i = 0; i < b.len; i++) {
        char *copy = xmalloc(b.len);
        struct job *back = job_new();
        struct err err = ERR_INIT;

        memcpy(copy, b.data, b.len);
        copy[i] ^= (char)0xff;
        (void)job_decode_mp(copy, b.len, back, &err); /* no crash, no leak */
        job_free(back);
        free(copy);
    }
    buf_release(&b);
    job_free(job);
}
END_TEST

START_TEST(mp_newer_version_is_refused)
{
    /* [2, nil]: a record from a newer writer. */
    static const unsigned char rec[] = {0x92, 0x02, 0xc0};
    struct job *job = job_new();
    struct err err = ERR_INIT;

    ck_assert_int_eq(job_decode_mp(rec, sizeof(rec), job, &err), ERR_VERSION);
    job_free(job);
}
END_TEST

START_TEST(mp_huge_declared_array_is_bounded)
{
    /* [1, "x", ..., array32 of 4 billion] in a handful of bytes. */
    static const unsigned char rec[] = {0x9d, 0x01, 0xc0, 0xc0, 0xa1, 'x',
                                        0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
                                        0xdd, 0xff, 0xff, 0xff, 0xff};
    struct job *job = job_new();
    struct err err = ERR_INIT;

    ck_assert_int_eq(job_decode_mp(rec, sizeof(rec), job, &err),
                     ERR_MALFORMED);
    job_free(job);
}
END_TEST

START_TEST(copy_is_deep_and_equal)
{
    struct job *job = web(), *c;

    job_canonicalize(job);
    c = job_copy(job);
    ck_assert(job_equal(job, c));
    model_set_str(&c->groups[0].tasks[0].name, "other");
    ck_assert(!job_equal(job, c));
    ck_assert_str_eq(job->groups[0].tasks[0].name, "server");
    job_free(c);
    job_free(job);
}
END_TEST

START_TEST(canonicalize_fills_nomad_defaults)
{
    struct job *job = web();
    struct task_group *g;
    struct task *t;

    job_canonicalize(job);
    g = &job->groups[0];
    t = &g->tasks[0];
    ck_assert_str_eq(job->name, "web");
    ck_assert_str_eq(job->namespace, "default");
    ck_assert_str_eq(job->region, "global");
    ck_assert_int_eq(job->priority, 50);
    ck_assert_int_eq(job->update->max_parallel, 1);
    ck_assert_int_eq(g->update->healthy_deadline_ns, 5 * NS_PER_MIN);
    ck_assert_int_eq(g->restart_policy->attempts, 2);
    ck_assert_int_eq(g->restart_policy->interval_ns, 30 * NS_PER_MIN);
    ck_assert_str_eq(g->reschedule_policy->delay_function, "exponential");
    ck_assert(tri_is_true(g->reschedule_policy->unlimited));
    ck_assert_int_eq(g->migrate->max_parallel, 1);
    ck_assert_int_eq(g->ephemeral_disk->size_mb, 300);
    ck_assert_int_eq(t->resources->cpu, 100);
    ck_assert_int_eq(t->resources->memory_mb, 64);
    ck_assert_int_eq(t->kill_timeout_ns, 5 * NS_PER_SEC);
    ck_assert_int_eq(t->log_config->max_files, 10);
    ck_assert_int_eq(t->restart_policy->delay_ns, 15 * NS_PER_SEC);
    ck_assert_str_eq(g->services[0].checks[0].name, "service: \"web\" check");
    ck_assert_str_eq(g->services[0].address_mode, "auto");
    ck_assert_int_eq(validate_ok(job), 1);
    job_free(job);
}
END_TEST

START_TEST(canonicalize_batch_and_merges)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    job->id = xstrdup("b");
    job->type = xstrdup("batch");
    job->reschedule = xmalloc(sizeof(*job->reschedule));
    reschedule_policy_init(job->reschedule);
    job->reschedule->attempts = 5;
    g = job_add_group(job);
    g->name = xstrdup("g");
    g->restart_policy = xmalloc(sizeof(*g->restart_policy));
    restart_policy_init(g->restart_policy);
    g->restart_policy->attempts = 7;
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    t->restart_policy = xmalloc(sizeof(*t->restart_policy));
    restart_policy_init(t->restart_policy);
    t->restart_policy->mode = xstrdup("delay");
    job_canonicalize(job);
    ck_assert_ptr_null(job->update);
    ck_assert_ptr_null(g->update);
    ck_assert_ptr_null(g->migrate);
    ck_assert_int_eq(g->reschedule_policy->attempts, 5);
    ck_assert_str_eq(g->reschedule_policy->delay_function, "constant");
    ck_assert_int_eq(g->restart_policy->interval_ns, 24 * NS_PER_HOUR);
    ck_assert_int_eq(t->restart_policy->attempts, 7);
    ck_assert_str_eq(t->restart_policy->mode, "delay");
    job_free(job);
}
END_TEST

START_TEST(validate_collects_every_error_nomad_style)
{
    struct job *job = web();
    struct err err = ERR_INIT;

    model_set_str(&job->type, "system");
    model_set_str(&job->groups[0].tasks[0].driver, NULL);
    job->periodic = xmalloc(sizeof(*job->periodic));
    periodic_config_init(job->periodic);
    job->periodic->spec = xstrdup("* * * * *");
    job_canonicalize(job);
    ck_assert_int_eq(job_validate(job, &err), ERR_INVALID);
    ck_assert_msg(strncmp(err.msg, "3 errors occurred:\n\t* ", 22) == 0,
                  "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "Job task group web has count 2. "
                                          "Count cannot exceed 1 with system "
                                          "scheduler"));
    ck_assert_ptr_nonnull(strstr(err.msg, "Task group web validation failed: "
                                          "1 error occurred:\n\t* Task server "
                                          "validation failed: 1 error "
                                          "occurred:\n\t* Missing task "
                                          "driver\n\n"));
    ck_assert_ptr_nonnull(strstr(err.msg, "Periodic can only be used with "
                                          "\"batch\" or \"sysbatch\" "
                                          "scheduler"));
    job_free(job);
}
END_TEST

START_TEST(validate_groups_and_templates)
{
    struct job *job = web();
    struct task_group *g2;
    struct task *t;
    struct err err = ERR_INIT;

    g2 = job_add_group(job);
    g2->name = xstrdup("web");
    t = &job->groups[0].tasks[0];
    t->templates = xcalloc(2, sizeof(*t->templates));
    t->ntemplates = 2;
    for (int i = 0; i < 2; i++) {
        task_template_init(&t->templates[i]);
        t->templates[i].embedded_tmpl = xstrdup("x");
        t->templates[i].dest_path = xstrdup("local/a");
    }
    t->templates[1].change_mode = xstrdup("bogus");
    job_canonicalize(job);
    ck_assert_int_eq(job_validate(job, &err), ERR_INVALID);
    ck_assert_ptr_nonnull(
        strstr(err.msg, "Job task group 2 redefines 'web' from group 1"));
    ck_assert_ptr_nonnull(strstr(err.msg, "Missing tasks for task group"));
    ck_assert_ptr_nonnull(
        strstr(err.msg, "Template 1 has same destination as 2"));
    ck_assert_ptr_nonnull(strstr(err.msg, "Invalid change mode"));
    job_free(job);
}
END_TEST

START_TEST(merr_formats_like_go_multierror)
{
    struct merr m = MERR_INIT;
    char *s;

    merr_add(&m, "a");
    s = merr_format(&m);
    ck_assert_str_eq(s, "1 error occurred:\n\t* a\n\n");
    free(s);
    merr_add(&m, "b %d", 2);
    s = merr_format(&m);
    ck_assert_str_eq(s, "2 errors occurred:\n\t* a\n\t* b 2\n\n");
    free(s);
    merr_release(&m);
}
END_TEST

START_TEST(server_records_round_trip)
{
    struct node *n = node_new(), *n2 = node_new();
    struct alloc *a = alloc_new(), *a2 = alloc_new();
    struct eval *e = eval_new(), *e2 = eval_new();
    struct deployment *d = deployment_new(), *d2 = deployment_new();
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;
    json_t *j;

    n->id = xstrdup("6e0b5c4a-3f2e-4f7e-9c1e-0a0b0c0d0e0f");
    n->drivers = xcalloc(1, sizeof(*n->drivers));
    n->ndrivers = 1;
    n->drivers[0].name = xstrdup("raw_exec");
    n->drivers[0].healthy = true;
    strmap_set(&n->attributes, "kernel.name", "linux");
    node_canonicalize(n);
    node_encode_mp(n, &b);
    ck_assert_int_eq(node_decode_mp(b.data, b.len, n2, &err), 0);
    ck_assert(node_equal(n, n2));
    j = node_to_json(n);
    ck_assert(json_is_true(json_object_get(
        json_object_get(json_object_get(j, "Drivers"), "raw_exec"),
        "Healthy")));
    json_decref(j);

    a->id = xstrdup("a1");
    a->name = xstrdup("web.web[3]");
    a->job = web();
    a->desired_migrate = TRI_TRUE;
    a->task_states = xcalloc(1, sizeof(*a->task_states));
    a->ntask_states = 1;
    task_state_init(&a->task_states[0]);
    a->task_states[0].task = xstrdup("server");
    a->task_states[0].state = xstrdup("running");
    ck_assert_int_eq(alloc_name_index(a), 3);
    buf_reset(&b);
    alloc_encode_mp(a, &b);
    ck_assert_int_eq(alloc_decode_mp(b.data, b.len, a2, &err), 0);
    ck_assert(alloc_equal(a, a2));
    j = alloc_to_json(a);
    ck_assert(json_is_true(
        json_object_get(json_object_get(j, "DesiredTransition"), "Migrate")));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(j, "TaskStates"),
                                         "server"),
                         "State")),
                     "running");
    alloc_release(a2);
    ck_assert_int_eq(alloc_from_json(j, a2, &err), 0);
    ck_assert(alloc_equal(a, a2));
    json_decref(j);

    e->id = xstrdup("e1");
    e->failed_tg_allocs = xcalloc(1, sizeof(*e->failed_tg_allocs));
    e->nfailed_tg_allocs = 1;
    e->failed_tg_allocs[0].group = xstrdup("web");
    alloc_metric_init(&e->failed_tg_allocs[0].metric);
    strmap_set(&e->failed_tg_allocs[0].metric.dimension_exhausted, "memory",
               "2");
    buf_reset(&b);
    eval_encode_mp(e, &b);
    ck_assert_int_eq(eval_decode_mp(b.data, b.len, e2, &err), 0);
    ck_assert(eval_equal(e, e2));
    j = eval_to_json(e);
    ck_assert_int_eq(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(json_object_get(j, "FailedTGAllocs"),
                                            "web"),
                            "DimensionExhausted"),
            "memory")),
        2);
    json_decref(j);

    d->id = xstrdup("d1");
    d->status = xstrdup(DEPLOYMENT_STATUS_RUNNING);
    ck_assert(deployment_is_active(d));
    buf_reset(&b);
    deployment_encode_mp(d, &b);
    ck_assert_int_eq(deployment_decode_mp(b.data, b.len, d2, &err), 0);
    ck_assert(deployment_equal(d, d2));

    buf_release(&b);
    node_free(n);
    node_free(n2);
    alloc_free(a);
    alloc_free(a2);
    eval_free(e);
    eval_free(e2);
    deployment_free(d);
    deployment_free(d2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = test_tcase("model");

    tcase_add_test(tc, json_decode_reads_nomad_shape);
    tcase_add_test(tc, json_encode_has_nulls_and_sorted_maps);
    tcase_add_test(tc, json_round_trip_is_stable);
    tcase_add_test(tc, json_wrong_type_names_path);
    tcase_add_test(tc, json_syntax_error_has_position);
    tcase_add_test(tc, json_keys_match_case_insensitively);
    tcase_add_test(tc, mp_round_trip_equal_before_and_after_canonicalize);
    tcase_add_test(tc, mp_every_truncation_and_flip_is_handled);
    tcase_add_test(tc, mp_newer_version_is_refused);
    tcase_add_test(tc, mp_huge_declared_array_is_bounded);
    tcase_add_test(tc, copy_is_deep_and_equal);
    tcase_add_test(tc, canonicalize_fills_nomad_defaults);
    tcase_add_test(tc, canonicalize_batch_and_merges);
    tcase_add_test(tc, validate_collects_every_error_nomad_style);
    tcase_add_test(tc, validate_groups_and_templates);
    tcase_add_test(tc, merr_formats_like_go_multierror);
    tcase_add_test(tc, server_records_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
