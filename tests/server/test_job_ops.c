/*
 * The server's job and alloc operations in one process: a plan runs the
 * scheduler and commits nothing, register with an enforced job modify
 * index, revert to an older version, and stopping an alloc gets it
 * replaced. The loop runs until the state shows the outcome, with a
 * deadline that fails the test.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agent/server/cmd.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "tests/harness/test.h"

static uv_loop_t loop;
static struct server *srv;
static char *dir;

static void closed(void *arg)
{
    *(bool *)arg = true;
}

static void setup(void)
{
    struct server_config cfg = {.region = "global",
                                .datacenter = "dc1",
                                .dev = true,
                                .num_workers = 2};
    struct err err = ERR_INIT;

    uv_loop_init(&loop);
    dir = test_tmpdir();
    cfg.data_dir = dir;
    ck_assert_msg(server_new(&loop, &cfg, &srv, &err) == 0, "%s", err.msg);
}

static void teardown(void)
{
    bool done = false;

    server_close(srv, closed, &done);
    while (!done)
        uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    test_rmtree(dir);
    free(dir);
}

static void applied(void *arg, int rc, uint64_t index, const struct err *err)
{
    (void)index;
    ck_assert_msg(rc == 0, "%s", err->msg);
    *(bool *)arg = true;
}

static void add_node(int64_t mem_mb)
{
    struct cmd *c = xmalloc(sizeof(*c));
    struct node *n = node_new();
    char id[ID_UUID_LEN + 1];
    bool done = false;

    id_uuid(id);
    n->id = xstrdup(id);
    n->secret_id = xstrdup(id);
    n->name = xstrdup("n1");
    n->datacenter = xstrdup("dc1");
    n->status = xstrdup(NODE_STATUS_READY);
    n->drivers = xcalloc(1, sizeof(*n->drivers));
    n->ndrivers = 1;
    n->drivers[0].name = xstrdup("raw_exec");
    n->drivers[0].detected = n->drivers[0].healthy = true;
    n->resources.cpu_shares = 4000;
    n->resources.memory_mb = mem_mb;
    n->resources.disk_mb = 10000;
    node_canonicalize(n);
    cmd_init(c, CMD_NODE_REGISTER);
    c->node = n;
    server_apply(srv, c, applied, &done);
    while (!done)
        uv_run(&loop, UV_RUN_ONCE);
}

static struct job *make_job(int64_t count, int64_t mem)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    job->id = xstrdup("web");
    job->type = xstrdup("service");
    g = job_add_group(job);
    g->name = xstrdup("g");
    g->count = count;
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    t->config = json_pack("{s:s}", "command", "/bin/true");
    t->resources = xmalloc(sizeof(*t->resources));
    resources_init(t->resources);
    t->resources->memory_mb = mem;
    return job;
}

struct result
{
    bool done;
    int rc;
    char eval_id[40];
    char msg[4096];
    json_t *resp;
};

static void registered(void *arg,
                       int rc,
                       const struct server_register_result *res,
                       const struct err *err)
{
    struct result *r = arg;

    r->done = true;
    r->rc = rc;
    snprintf(r->eval_id, sizeof(r->eval_id), "%s", res->eval_id);
    if (rc != 0)
        snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
}

static void planned(void *arg, int rc, json_t *resp, const struct err *err)
{
    struct result *r = arg;

    r->done = true;
    r->rc = rc;
    if (rc == 0)
        r->resp = json_deep_copy(resp);
    else
        snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
}

static void run_until_done(struct result *r)
{
    uint64_t start = uv_now(&loop);

    while (!r->done && uv_now(&loop) - start < 20000)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert(r->done);
}

static void do_register(struct job *job, int64_t enforce, struct result *r)
{
    memset(r, 0, sizeof(*r));
    if (enforce >= 0)
        server_job_register_enforce(srv, job, (uint64_t)enforce, registered, r);
    else
        server_job_register(srv, job, registered, r);
    run_until_done(r);
}

static void do_plan(struct job *job, struct result *r)
{
    memset(r, 0, sizeof(*r));
    server_job_plan(srv, job, true, planned, r);
    run_until_done(r);
}

static struct job *stored(void)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct job *j = job_new();

    ck_assert_int_eq(server_read_begin(srv, &snap, &err), 0);
    if (server_read_job(snap, "default", "web", j, &err) != 0) {
        job_free(j);
        j = NULL;
    }
    server_read_end(snap);
    return j;
}

struct count
{
    const char *desired;
    const char *not_id;
    int n;
    char id[40];
};

static int count_alloc(const struct alloc *a, void *arg)
{
    struct count *c = arg;

    if (strcmp(model_str(a->desired_status), c->desired) != 0 ||
        (c->not_id != NULL && strcmp(a->id, c->not_id) == 0))
        return 0;
    c->n++;
    snprintf(c->id, sizeof(c->id), "%s", a->id);
    return 0;
}

static int allocs(const char *desired, const char *not_id, char *id_out)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct count c = {desired, not_id, 0, ""};

    ck_assert_int_eq(server_read_begin(srv, &snap, &err), 0);
    server_each_alloc_by_job(snap, "default", "web", count_alloc, &c, &err);
    server_read_end(snap);
    if (id_out != NULL)
        memcpy(id_out, c.id, sizeof(c.id));
    return c.n;
}

/* Only wakes the loop, so the condition below is checked again. */
static void tick(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until the job has n allocs that should run, or fails. */
static void wait_running(int n, const char *not_id)
{
    uint64_t start = uv_now(&loop);
    uv_timer_t t;

    uv_timer_init(&loop, &t);
    uv_timer_start(&t, tick, 50, 50);
    while (allocs("run", not_id, NULL) != n && uv_now(&loop) - start < 20000)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(allocs("run", not_id, NULL), n);
}

static json_int_t desired(const json_t *resp, const char *what)
{
    return json_integer_value(json_object_get(
        json_object_get(json_object_get(json_object_get(resp, "Annotations"),
                                        "DesiredTGUpdates"),
                        "g"),
        what));
}

/* -------------------------------------------------------------- tests */

START_TEST(plan_of_new_job_commits_nothing)
{
    struct result r;
    uint64_t before;

    add_node(8192);
    before = server_last_index(srv);
    do_plan(make_job(2, 256), &r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    ck_assert_int_eq(desired(r.resp, "Place"), 2);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.resp, "Diff"), "Type")),
                     "Added");
    ck_assert_int_eq(
        json_integer_value(json_object_get(r.resp, "JobModifyIndex")), 0);
    ck_assert(json_is_null(json_object_get(r.resp, "FailedTGAllocs")));
    ck_assert_uint_eq(server_last_index(srv), before);
    ck_assert_ptr_null(stored());
    json_decref(r.resp);
}
END_TEST

START_TEST(plan_of_changes_and_failures)
{
    struct result r;
    struct job *cur;

    add_node(2048);
    do_register(make_job(1, 256), -1, &r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    wait_running(1, NULL);
    cur = stored();
    do_plan(make_job(1, 256), &r);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.resp, "Diff"), "Type")),
                     "None");
    ck_assert_int_eq(desired(r.resp, "Ignore"), 1);
    ck_assert_int_eq(desired(r.resp, "Place"), 0);
    ck_assert_int_eq(
        json_integer_value(json_object_get(r.resp, "JobModifyIndex")),
        cur->job_modify_index);
    json_decref(r.resp);
    do_plan(make_job(3, 256), &r);
    ck_assert_int_eq(desired(r.resp, "Place"), 2);
    ck_assert_int_eq(desired(r.resp, "InPlaceUpdate"), 1);
    json_decref(r.resp);
    do_plan(make_job(2, 4096), &r);
    ck_assert_ptr_nonnull(
        json_object_get(json_object_get(r.resp, "FailedTGAllocs"), "g"));
    json_decref(r.resp);
    do_plan(make_job(-1, 256), &r);
    ck_assert_int_eq(r.rc, ERR_INVALID);
    job_free(cur);
}
END_TEST

START_TEST(register_enforces_the_job_modify_index)
{
    struct result r;
    struct job *cur;
    char want[256];

    add_node(8192);
    do_register(make_job(1, 256), 3, &r);
    ck_assert_int_eq(r.rc, ERR_INVALID);
    ck_assert_str_eq(r.msg, "Enforcing job modify index 3: job does not exist");
    do_register(make_job(1, 256), 0, &r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    cur = stored();
    do_register(make_job(2, 256), 0, &r);
    ck_assert_str_eq(r.msg, "Enforcing job modify index 0: job already exists");
    do_register(make_job(2, 256), cur->job_modify_index + 1, &r);
    snprintf(want, sizeof(want),
             "Enforcing job modify index %lld: job exists with conflicting "
             "job modify index: %lld",
             (long long)cur->job_modify_index + 1,
             (long long)cur->job_modify_index);
    ck_assert_str_eq(r.msg, want);
    do_register(make_job(2, 256), cur->job_modify_index, &r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    job_free(cur);
    cur = stored();
    ck_assert_int_eq(cur->version, 1);
    job_free(cur);
}
END_TEST

static void do_revert(int64_t version, int64_t prior, struct result *r)
{
    memset(r, 0, sizeof(*r));
    server_job_revert(srv, "default", "web", version, prior, registered, r);
    run_until_done(r);
}

START_TEST(revert_registers_the_old_spec_as_a_new_version)
{
    struct result r;
    struct job *cur;

    add_node(8192);
    do_register(make_job(1, 256), -1, &r);
    do_register(make_job(2, 256), -1, &r);
    do_revert(1, -1, &r);
    ck_assert_int_eq(r.rc, ERR_INVALID);
    ck_assert_str_eq(r.msg, "can't revert to current version");
    do_revert(0, 0, &r);
    ck_assert_str_eq(r.msg, "current job has version 1; enforcing version 0");
    do_revert(7, -1, &r);
    ck_assert_str_eq(
        r.msg, "job \"web\" in namespace \"default\" at version 7 not found");
    do_revert(0, 1, &r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    ck_assert(r.eval_id[0] != '\0');
    cur = stored();
    ck_assert_int_eq(cur->version, 2);
    ck_assert_int_eq(cur->groups[0].count, 1);
    job_free(cur);
}
END_TEST

START_TEST(alloc_stop_gets_the_alloc_replaced)
{
    struct result r;
    char old[40];

    add_node(8192);
    do_register(make_job(1, 256), -1, &r);
    wait_running(1, NULL);
    allocs("run", NULL, old);
    memset(&r, 0, sizeof(r));
    server_alloc_stop(srv, old, registered, &r);
    run_until_done(&r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    ck_assert(r.eval_id[0] != '\0');
    wait_running(1, old);
    ck_assert_int_eq(allocs("stop", NULL, NULL), 1);
    memset(&r, 0, sizeof(r));
    server_alloc_stop(srv, "00000000-0000-0000-0000-000000000000", registered,
                      &r);
    run_until_done(&r);
    ck_assert_int_eq(r.rc, ERR_NOT_FOUND);
    ck_assert_str_eq(r.msg, "alloc not found");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_ops");
    TCase *tc = test_tcase("job_ops");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plan_of_new_job_commits_nothing);
    tcase_add_test(tc, plan_of_changes_and_failures);
    tcase_add_test(tc, register_enforces_the_job_modify_index);
    tcase_add_test(tc, revert_registers_the_old_spec_as_a_new_version);
    tcase_add_test(tc, alloc_stop_gets_the_alloc_replaced);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
