/*
 * The node drainer's decisions and the garbage collector's selection,
 * both pure: hand-built state in, the allocs to mark (or records to
 * delete) out, with a fixed clock.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/drainer.h"
#include "agent/server/gc.h"
#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "tests/harness/test.h"

#define NOW (1700000000LL * 1000000000LL)
#define SEC 1000000000LL
#define HOUR (3600 * SEC)

static struct
{
    struct node *node;
    struct job *jobs[8];
    size_t njobs;
    struct alloc *allocs[32];
    size_t nallocs;
    struct eval *evals[16];
    size_t nevals;
    struct deployment *deps[4];
    size_t ndeps;
    struct node *nodes[4];
    size_t nnodes;
    struct drainer_result r;
    struct cmd gc;
} f;

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    f.node = node_new();
    f.node->id = xstrdup("n1");
    f.node->drain_strategy = xcalloc(1, sizeof(*f.node->drain_strategy));
    f.node->drain_strategy->deadline_ns = HOUR;
    f.node->drain_strategy->force_deadline_unix_ns = NOW + HOUR;
    cmd_init(&f.gc, CMD_GC);
}

static void teardown(void)
{
    node_free(f.node);
    for (size_t i = 0; i < f.njobs; i++)
        job_free(f.jobs[i]);
    for (size_t i = 0; i < f.nallocs; i++)
        alloc_free(f.allocs[i]);
    for (size_t i = 0; i < f.nevals; i++)
        eval_free(f.evals[i]);
    for (size_t i = 0; i < f.ndeps; i++)
        deployment_free(f.deps[i]);
    for (size_t i = 0; i < f.nnodes; i++)
        node_free(f.nodes[i]);
    drainer_result_release(&f.r);
    cmd_release(&f.gc);
}

static struct job *add_job(const char *id,
                           const char *type,
                           int64_t count,
                           int64_t max_parallel)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    job->id = xstrdup(id);
    job->type = xstrdup(type);
    g = job_add_group(job);
    g->name = xstrdup("g");
    g->count = count;
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    job_canonicalize(job);
    if (max_parallel > 0 && job->groups[0].migrate != NULL)
        job->groups[0].migrate->max_parallel = max_parallel;
    model_set_str(&job->status, "running");
    job->submit_time = NOW - 10 * HOUR;
    f.jobs[f.njobs++] = job;
    return job;
}

static struct alloc *add_alloc(const struct job *job,
                               const char *id,
                               const char *node,
                               const char *client,
                               bool healthy)
{
    struct alloc *a = alloc_new();

    a->id = xstrdup(id);
    a->namespace = xstrdup(model_str(job->namespace));
    a->job_id = xstrdup(job->id);
    a->job = job_copy(job);
    a->task_group = xstrdup("g");
    a->node_id = xstrdup(node);
    a->eval_id = xstrdup("e-none");
    a->desired_status = xstrdup("run");
    a->client_status = xstrdup(client);
    a->modify_time_unix_ns = NOW - 10 * HOUR;
    if (healthy) {
        a->deployment_status = xcalloc(1, sizeof(*a->deployment_status));
        a->deployment_status->healthy = TRI_TRUE;
    }
    f.allocs[f.nallocs++] = a;
    return a;
}

static void decide(void)
{
    struct drainer_input in;
    struct alloc *on[32];
    size_t n = 0;

    drainer_result_release(&f.r);
    for (size_t i = 0; i < f.nallocs; i++) {
        if (strcmp(f.allocs[i]->node_id, "n1") == 0)
            on[n++] = f.allocs[i];
    }
    memset(&in, 0, sizeof(in));
    in.node = f.node;
    in.node_allocs = on;
    in.nnode_allocs = n;
    in.job_allocs = f.allocs;
    in.njob_allocs = f.nallocs;
    in.now_unix_ns = NOW;
    drainer_decide(&in, &f.r);
}

static bool marked(const char *id)
{
    for (size_t i = 0; i < f.r.nmigrate; i++) {
        if (strcmp(f.r.migrate[i], id) == 0)
            return true;
    }
    return false;
}

/* The decision applied, and the scheduler's answer simulated. */
static void migrate(struct alloc *a)
{
    a->desired_migrate = TRI_TRUE;
    model_set_str(&a->desired_status, "stop");
}

/* ============================================================ drainer */

START_TEST(service_migrates_max_parallel_at_a_time)
{
    struct job *job = add_job("web", "service", 3, 1);
    struct alloc *a = add_alloc(job, "a1", "n1", "running", true);
    struct alloc *b = add_alloc(job, "a2", "n1", "running", true);
    struct alloc *repl;

    add_alloc(job, "a3", "n2", "running", true);
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 1);
    ck_assert(marked("a1"));
    ck_assert(!f.r.done);

    /* a1 is stopping and its replacement is not healthy yet: wait. */
    migrate(a);
    repl = add_alloc(job, "a4", "n2", "running", false);
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 0);
    ck_assert(!f.r.done);

    /* Replacement healthy, a1 stopped on the client: the next one. */
    repl->deployment_status = xcalloc(1, sizeof(*repl->deployment_status));
    repl->deployment_status->healthy = TRI_TRUE;
    model_set_str(&a->client_status, "complete");
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 1);
    ck_assert(marked("a2"));

    migrate(b);
    model_set_str(&b->client_status, "complete");
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 0);
    ck_assert(f.r.done);
    ck_assert(!f.r.deadline);
}
END_TEST

START_TEST(max_parallel_two_marks_two)
{
    struct job *job = add_job("web", "service", 4, 2);

    add_alloc(job, "a1", "n1", "running", true);
    add_alloc(job, "a2", "n1", "running", true);
    add_alloc(job, "a3", "n1", "running", true);
    add_alloc(job, "a4", "n2", "running", true);
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 2);
}
END_TEST

START_TEST(unhealthy_allocs_wait_for_the_deadline)
{
    struct job *job = add_job("web", "service", 2, 1);

    add_alloc(job, "a1", "n1", "running", false);
    add_alloc(job, "a2", "n1", "running", false);
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 0);
    ck_assert(!f.r.done);

    f.node->drain_strategy->force_deadline_unix_ns = NOW;
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 2);
    ck_assert(f.r.done);
    ck_assert(f.r.deadline);
}
END_TEST

START_TEST(batch_is_left_to_finish_and_system_goes_last)
{
    struct job *batch = add_job("b", "batch", 1, 0);
    struct job *sys = add_job("s", "system", 1, 0);
    struct alloc *b = add_alloc(batch, "b1", "n1", "running", false);

    add_alloc(sys, "s1", "n1", "running", false);
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 0);
    ck_assert(!f.r.done);

    model_set_str(&b->client_status, "complete");
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 1);
    ck_assert(marked("s1"));
    ck_assert(f.r.done);
}
END_TEST

START_TEST(ignored_system_jobs_stay)
{
    struct job *sys = add_job("s", "system", 1, 0);

    add_alloc(sys, "s1", "n1", "running", false);
    f.node->drain_strategy->ignore_system_jobs = true;
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 0);
    ck_assert(f.r.done);

    f.node->drain_strategy->force_deadline_unix_ns = NOW - SEC;
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 0);
    ck_assert(f.r.deadline);
}
END_TEST

START_TEST(force_drain_marks_everything_at_once)
{
    struct job *job = add_job("web", "service", 2, 1);
    struct job *batch = add_job("b", "batch", 1, 0);

    add_alloc(job, "a1", "n1", "running", true);
    add_alloc(job, "a2", "n1", "running", true);
    add_alloc(batch, "b1", "n1", "pending", false);
    add_alloc(batch, "b0", "n1", "complete", false);
    f.node->drain_strategy->deadline_ns = -1;
    f.node->drain_strategy->force_deadline_unix_ns = 0;
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 3);
    ck_assert(!marked("b0"));
    ck_assert(f.r.done && f.r.deadline);
}
END_TEST

START_TEST(empty_node_is_done_at_once)
{
    decide();
    ck_assert(f.r.done);
    ck_assert(!f.r.deadline);
    ck_assert_uint_eq(f.r.nmigrate, 0);
}
END_TEST

START_TEST(no_deadline_never_forces)
{
    struct job *job = add_job("web", "service", 1, 1);

    add_alloc(job, "a1", "n1", "running", false);
    f.node->drain_strategy->deadline_ns = 0;
    f.node->drain_strategy->force_deadline_unix_ns = 0;
    decide();
    ck_assert_uint_eq(f.r.nmigrate, 0);
    ck_assert(!f.r.done);
}
END_TEST

/* ================================================================= GC */

static struct eval *add_eval(const struct job *job,
                             const char *id,
                             const char *status,
                             int64_t modified)
{
    struct eval *e = eval_new();

    e->id = xstrdup(id);
    e->namespace = xstrdup("default");
    e->job_id = xstrdup(job->id);
    e->type = xstrdup(model_str(job->type));
    e->status = xstrdup(status);
    e->modify_time_unix_ns = modified;
    f.evals[f.nevals++] = e;
    return e;
}

static size_t collect(int64_t threshold_ns)
{
    struct gc_input in;

    memset(&in, 0, sizeof(in));
    in.jobs = f.jobs;
    in.njobs = f.njobs;
    in.evals = f.evals;
    in.nevals = f.nevals;
    in.allocs = f.allocs;
    in.nallocs = f.nallocs;
    in.deployments = f.deps;
    in.ndeployments = f.ndeps;
    in.nodes = f.nodes;
    in.nnodes = f.nnodes;
    in.now_unix_ns = NOW;
    if (threshold_ns < 0) {
        gc_thresholds_default(&in.th);
    } else {
        in.th.job_ns = in.th.eval_ns = in.th.batch_eval_ns = threshold_ns;
        in.th.deployment_ns = in.th.node_ns = threshold_ns;
    }
    cmd_release(&f.gc);
    cmd_init(&f.gc, CMD_GC);
    return gc_select(&in, &f.gc);
}

static bool collected(int kind, const char *id)
{
    for (size_t i = 0; i < f.gc.nkeys; i++) {
        if (f.gc.keys[i].kind == kind && strcmp(f.gc.keys[i].id, id) == 0)
            return true;
    }
    return false;
}

static struct job *stopped_job(const char *id)
{
    struct job *job = add_job(id, "service", 1, 0);
    struct alloc *a;

    job->stop = TRI_TRUE;
    model_set_str(&job->status, "dead");
    add_eval(job, "e1", "complete", NOW - 5 * HOUR);
    add_eval(job, "e2", "complete", NOW - 5 * HOUR);
    a = add_alloc(job, "a1", "n1", "complete", false);
    model_set_str(&a->eval_id, "e1");
    model_set_str(&a->desired_status, "stop");
    return job;
}

START_TEST(stopped_job_goes_with_its_evals_and_allocs)
{
    stopped_job("web");
    /* Defaults: the job is 10h old, evals 5h: all past 4h. */
    ck_assert_uint_eq(collect(-1), 4);
    ck_assert(collected(CMD_KEY_JOB, "web"));
    ck_assert(collected(CMD_KEY_EVAL, "e1"));
    ck_assert(collected(CMD_KEY_EVAL, "e2"));
    ck_assert(collected(CMD_KEY_ALLOC, "a1"));
    /* Allocs come first, the job after its evals. */
    ck_assert_int_eq(f.gc.keys[0].kind, CMD_KEY_ALLOC);
    ck_assert_int_eq(f.gc.keys[3].kind, CMD_KEY_JOB);
    ck_assert_str_eq(f.gc.keys[3].namespace, "default");
}
END_TEST

START_TEST(alloc_still_running_on_the_client_keeps_everything)
{
    stopped_job("web");
    model_set_str(&f.allocs[0]->client_status, "running");
    ck_assert_uint_eq(collect(0), 1);
    ck_assert(collected(CMD_KEY_EVAL, "e2")); /* made no alloc */
    ck_assert(!collected(CMD_KEY_JOB, "web"));
    ck_assert(!collected(CMD_KEY_EVAL, "e1"));
}
END_TEST

START_TEST(young_records_wait_for_their_threshold)
{
    struct job *job = stopped_job("web");

    /* Evals within the job threshold keep the job (Nomad's jobGC). */
    f.evals[1]->modify_time_unix_ns = NOW - 2 * HOUR;
    ck_assert_uint_eq(collect(-1), 3);
    ck_assert(!collected(CMD_KEY_JOB, "web"));
    job->submit_time = NOW - HOUR;
    f.evals[0]->modify_time_unix_ns = NOW - 10 * SEC;
    ck_assert_uint_eq(collect(-1), 1);
    ck_assert(collected(CMD_KEY_EVAL, "e2"));
    /* Forced: thresholds 0. */
    ck_assert_uint_eq(collect(0), 4);
}
END_TEST

START_TEST(running_service_job_keeps_job_but_loses_old_evals)
{
    struct job *job = add_job("web", "service", 1, 0);
    struct alloc *a;

    add_eval(job, "e1", "complete", NOW - 2 * HOUR);
    add_eval(job, "e2", "blocked", NOW - 2 * HOUR);
    a = add_alloc(job, "a1", "n1", "running", false);
    model_set_str(&a->eval_id, "e1");
    ck_assert_uint_eq(collect(0), 0);
    /* Its alloc done and replaced by a newer eval's: e1 may go. */
    model_set_str(&a->client_status, "complete");
    model_set_str(&a->desired_status, "stop");
    ck_assert_uint_eq(collect(0), 2);
    ck_assert(collected(CMD_KEY_EVAL, "e1"));
    ck_assert(collected(CMD_KEY_ALLOC, "a1"));
    ck_assert(!collected(CMD_KEY_JOB, "web"));
}
END_TEST

START_TEST(failed_alloc_waiting_for_reschedule_is_kept)
{
    struct job *job = add_job("web", "service", 1, 0);
    struct alloc *a;

    add_eval(job, "e1", "complete", NOW - 2 * HOUR);
    a = add_alloc(job, "a1", "n1", "failed", false);
    model_set_str(&a->eval_id, "e1");
    ck_assert_ptr_nonnull(job->groups[0].reschedule_policy);
    ck_assert_uint_eq(collect(0), 0);
    model_set_str(&a->next_allocation, "a2");
    ck_assert_uint_eq(collect(0), 2);
}
END_TEST

START_TEST(periodic_parent_only_when_stopped)
{
    struct job *job = add_job("cron", "batch", 1, 0);

    job->periodic = xcalloc(1, sizeof(*job->periodic));
    job->periodic->enabled = TRI_TRUE;
    model_set_str(&job->status, "dead");
    ck_assert_uint_eq(collect(0), 0);
    job->stop = TRI_TRUE;
    ck_assert_uint_eq(collect(0), 1);
    ck_assert(collected(CMD_KEY_JOB, "cron"));
}
END_TEST

START_TEST(purged_job_leaves_evals_and_allocs_to_collect)
{
    struct job *job = stopped_job("web");

    /* Purged: the job record is gone, its evals and allocs stay. */
    job_free(job);
    f.jobs[0] = NULL;
    f.njobs = 0;
    ck_assert_uint_eq(collect(0), 3);
}
END_TEST

START_TEST(down_nodes_and_finished_deployments)
{
    struct job *job = add_job("web", "service", 1, 0);
    struct node *down = node_new(), *up = node_new();
    struct deployment *d = deployment_new();
    struct alloc *a;

    down->id = xstrdup("n-down");
    down->status = xstrdup("down");
    down->status_updated_at_unix = NOW / SEC - 25 * 3600;
    up->id = xstrdup("n1");
    up->status = xstrdup("ready");
    f.nodes[f.nnodes++] = down;
    f.nodes[f.nnodes++] = up;
    d->id = xstrdup("d1");
    d->status = xstrdup("successful");
    d->modify_time_unix_ns = NOW - 2 * HOUR;
    f.deps[f.ndeps++] = d;
    a = add_alloc(job, "a1", "n-down", "running", false);
    model_set_str(&a->deployment_id, "d1");
    ck_assert_uint_eq(collect(-1), 0);
    model_set_str(&a->desired_status, "stop");
    model_set_str(&a->client_status, "lost");
    ck_assert_uint_eq(collect(-1), 2);
    ck_assert(collected(CMD_KEY_NODE, "n-down"));
    ck_assert(collected(CMD_KEY_DEPLOYMENT, "d1"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nodeops");
    TCase *tc = test_tcase("drainer");
    TCase *tg = test_tcase("gc");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, service_migrates_max_parallel_at_a_time);
    tcase_add_test(tc, max_parallel_two_marks_two);
    tcase_add_test(tc, unhealthy_allocs_wait_for_the_deadline);
    tcase_add_test(tc, batch_is_left_to_finish_and_system_goes_last);
    tcase_add_test(tc, ignored_system_jobs_stay);
    tcase_add_test(tc, force_drain_marks_everything_at_once);
    tcase_add_test(tc, empty_node_is_done_at_once);
    tcase_add_test(tc, no_deadline_never_forces);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(tg, setup, teardown);
    tcase_add_test(tg, stopped_job_goes_with_its_evals_and_allocs);
    tcase_add_test(tg, alloc_still_running_on_the_client_keeps_everything);
    tcase_add_test(tg, young_records_wait_for_their_threshold);
    tcase_add_test(tg, running_service_job_keeps_job_but_loses_old_evals);
    tcase_add_test(tg, failed_alloc_waiting_for_reschedule_is_kept);
    tcase_add_test(tg, periodic_parent_only_when_stopped);
    tcase_add_test(tg, purged_job_leaves_evals_and_allocs_to_collect);
    tcase_add_test(tg, down_nodes_and_finished_deployments);
    suite_add_tcase(s, tg);
    return s;
}

TEST_MAIN(suite)
