/*
 * The deployment commands in the FSM: a decision applies only over the
 * deployment it was made on, brings its alloc health marks, stable mark
 * and rollback job along, and job stability touches only its version.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/fsm.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "tests/harness/test.h"

static char *dir;
static struct state_store *store;
static uint64_t next_index;

static void setup(void)
{
    struct state_options opts = {0, true};
    struct err err = ERR_INIT;

    dir = test_tmpdir();
    ck_assert_msg(state_open(dir, &opts, &store, &err) == 0, "%s", err.msg);
    next_index = 1;
}

static void teardown(void)
{
    state_close(store);
    test_rmtree(dir);
    free(dir);
}

static struct job *make_job(const char *cmd)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    job->id = xstrdup("web");
    job->type = xstrdup("service");
    g = job_add_group(job);
    g->name = xstrdup("g");
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    strmap_set(&t->env, "CMD", cmd);
    job_canonicalize(job);
    return job;
}

static struct eval *make_eval(const char *id)
{
    struct eval *e = eval_new();

    e->id = xstrdup(id);
    e->namespace = xstrdup("default");
    e->job_id = xstrdup("web");
    e->type = xstrdup("service");
    e->triggered_by = xstrdup("deployment-watcher");
    e->status = xstrdup(EVAL_STATUS_PENDING);
    e->priority = 50;
    return e;
}

static struct alloc *make_alloc(const char *id, const char *deployment)
{
    struct alloc *a = alloc_new();

    a->id = xstrdup(id);
    a->namespace = xstrdup("default");
    a->job_id = xstrdup("web");
    a->task_group = xstrdup("g");
    a->node_id = xstrdup("n1");
    a->name = xstrdup("web.g[0]");
    a->desired_status = xstrdup("run");
    a->client_status = xstrdup("running");
    a->deployment_id = xstrdup(deployment);
    return a;
}

/* Encodes, decodes (as the log would) and applies c. */
static void apply(struct cmd *c, struct fsm_effects *fx)
{
    struct buf b = BUF_INIT;
    struct cmd back;
    struct err err = ERR_INIT;

    c->now_unix_ns = 1700000000000000000 + (int64_t)next_index;
    cmd_encode(c, &b);
    ck_assert_msg(cmd_decode(b.data, b.len, &back, &err) == 0, "%s", err.msg);
    memset(fx, 0, sizeof(*fx));
    ck_assert_msg(fsm_apply(store, next_index++, &back, fx, &err) == 0, "%s",
                  err.msg);
    cmd_release(&back);
    cmd_release(c);
    buf_release(&b);
}

static void apply_quiet(struct cmd *c)
{
    struct fsm_effects fx;

    apply(c, &fx);
    fsm_effects_release(&fx);
}

static void register_job(const char *cmd)
{
    struct cmd c;

    cmd_init(&c, CMD_JOB_REGISTER);
    c.job = make_job(cmd);
    apply_quiet(&c);
}

static struct job *get_job(int64_t version)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct job *job = job_new();
    int rc;

    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    if (version < 0)
        rc = state_get_job(snap, "default", "web", job, &err);
    else
        rc = state_get_job_version(snap, "default", "web", version, job, &err);
    state_snap_release(snap);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return job;
}

static struct deployment *get_deployment(void)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct deployment *d = deployment_new();

    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_int_eq(state_get_deployment(snap, "d1", d, &err), 0);
    state_snap_release(snap);
    return d;
}

static struct alloc *get_alloc(const char *id)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct alloc *a = alloc_new();

    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_int_eq(state_get_alloc(snap, id, a, &err), 0);
    state_snap_release(snap);
    return a;
}

/* Job version 0 running in deployment d1 with allocs a1 (d1), a0 (d0). */
static void place(void)
{
    struct cmd c;
    struct deployment *d = deployment_new();

    register_job("v0");
    d->id = xstrdup("d1");
    d->namespace = xstrdup("default");
    d->job_id = xstrdup("web");
    d->job_version = 0;
    d->status = xstrdup(DEPLOYMENT_STATUS_RUNNING);
    d->status_description = xstrdup("Deployment is running");
    cmd_init(&c, CMD_PLAN_RESULT);
    c.deployment = d;
    cmd_add_alloc(&c, make_alloc("a1", "d1"));
    cmd_add_alloc(&c, make_alloc("a0", "d0"));
    apply_quiet(&c);
}

/* A watcher decision over d (taken), read at its modify index. */
static void decide(struct deployment *d,
                   const char *status,
                   bool stable,
                   struct fsm_effects *fx)
{
    struct cmd c;

    cmd_init(&c, CMD_DEPLOYMENT_STATUS);
    c.id = xstrdup("d1");
    model_set_str(&d->status, status);
    c.deployment = d;
    c.job_stable = stable;
    cmd_add_eval(&c, make_eval("e-watch"));
    apply(&c, fx);
}

START_TEST(success_marks_the_version_stable)
{
    struct fsm_effects fx;
    struct deployment *d;
    struct job *job;

    place();
    decide(get_deployment(), DEPLOYMENT_STATUS_SUCCESSFUL, true, &fx);
    ck_assert_uint_eq(fx.nready_evals, 1);
    fsm_effects_release(&fx);
    d = get_deployment();
    ck_assert_str_eq(d->status, DEPLOYMENT_STATUS_SUCCESSFUL);
    deployment_free(d);
    job = get_job(-1);
    ck_assert_int_eq(job->version, 0);
    ck_assert_int_eq(job->stable, TRI_TRUE);
    job_free(job);
    job = get_job(0);
    ck_assert_int_eq(job->stable, TRI_TRUE);
    job_free(job);
}
END_TEST

START_TEST(a_stale_decision_changes_nothing)
{
    struct fsm_effects fx;
    struct deployment *stale, *d;

    place();
    stale = get_deployment();
    decide(get_deployment(), DEPLOYMENT_STATUS_PAUSED, false, &fx);
    fsm_effects_release(&fx);
    /* Decided before the pause was applied: dropped, eval included. */
    decide(stale, DEPLOYMENT_STATUS_FAILED, false, &fx);
    ck_assert_uint_eq(fx.nready_evals, 0);
    fsm_effects_release(&fx);
    d = get_deployment();
    ck_assert_str_eq(d->status, DEPLOYMENT_STATUS_PAUSED);
    deployment_free(d);
}
END_TEST

START_TEST(a_terminal_deployment_is_not_reopened)
{
    struct fsm_effects fx;
    struct deployment *d;

    place();
    decide(get_deployment(), DEPLOYMENT_STATUS_FAILED, false, &fx);
    fsm_effects_release(&fx);
    decide(get_deployment(), DEPLOYMENT_STATUS_RUNNING, false, &fx);
    fsm_effects_release(&fx);
    d = get_deployment();
    ck_assert_str_eq(d->status, DEPLOYMENT_STATUS_FAILED);
    deployment_free(d);
}
END_TEST

START_TEST(health_marks_touch_only_allocs_of_the_deployment)
{
    struct cmd c;
    struct alloc *u, *a;

    place();
    cmd_init(&c, CMD_DEPLOYMENT_STATUS);
    c.id = xstrdup("d1");
    c.deployment = get_deployment();
    for (int i = 0; i < 2; i++) {
        u = alloc_new();
        u->id = xstrdup(i ? "a0" : "a1");
        u->deployment_status = xcalloc(1, sizeof(*u->deployment_status));
        u->deployment_status->healthy = TRI_FALSE;
        u->desired_reschedule = TRI_TRUE;
        cmd_add_alloc(&c, u);
    }
    apply_quiet(&c);
    a = get_alloc("a1");
    ck_assert_ptr_nonnull(a->deployment_status);
    ck_assert_int_eq(a->deployment_status->healthy, TRI_FALSE);
    ck_assert_int_eq(a->desired_reschedule, TRI_TRUE);
    alloc_free(a);
    a = get_alloc("a0");
    ck_assert_ptr_null(a->deployment_status);
    ck_assert_int_ne(a->desired_reschedule, TRI_TRUE);
    alloc_free(a);
}
END_TEST

START_TEST(client_health_for_another_deployment_is_ignored)
{
    struct cmd c;
    struct alloc *u, *a;

    place();
    cmd_init(&c, CMD_ALLOC_CLIENT_UPDATE);
    u = make_alloc("a1", "d0"); /* the client still thinks d0 */
    u->deployment_status = xcalloc(1, sizeof(*u->deployment_status));
    u->deployment_status->healthy = TRI_TRUE;
    cmd_add_alloc(&c, u);
    apply_quiet(&c);
    a = get_alloc("a1");
    ck_assert_ptr_null(a->deployment_status);
    alloc_free(a);

    cmd_init(&c, CMD_ALLOC_CLIENT_UPDATE);
    u = make_alloc("a1", "d1");
    u->deployment_status = xcalloc(1, sizeof(*u->deployment_status));
    u->deployment_status->healthy = TRI_TRUE;
    cmd_add_alloc(&c, u);
    apply_quiet(&c);
    a = get_alloc("a1");
    ck_assert_ptr_nonnull(a->deployment_status);
    ck_assert_int_eq(a->deployment_status->healthy, TRI_TRUE);
    alloc_free(a);
}
END_TEST

START_TEST(rollback_registers_the_stable_spec_again)
{
    struct fsm_effects fx;
    struct cmd c;
    struct job *job;

    place();
    register_job("v1"); /* version 1, the broken one */
    cmd_init(&c, CMD_DEPLOYMENT_STATUS);
    c.id = xstrdup("d1");
    c.deployment = get_deployment();
    model_set_str(&c.deployment->status, DEPLOYMENT_STATUS_FAILED);
    c.job = get_job(0);
    c.job->stable = TRI_FALSE;
    cmd_add_eval(&c, make_eval("e-revert"));
    apply(&c, &fx);
    ck_assert_uint_eq(fx.nready_evals, 1);
    fsm_effects_release(&fx);
    job = get_job(-1);
    ck_assert_int_eq(job->version, 2);
    ck_assert_str_eq(strmap_get(&job->groups[0].tasks[0].env, "CMD"), "v0");
    job_free(job);
}
END_TEST

START_TEST(stability_of_an_old_version_keeps_the_current_job)
{
    struct cmd c;
    struct job *job;

    register_job("v0");
    register_job("v1");
    cmd_init(&c, CMD_JOB_STABILITY);
    c.job = get_job(0);
    c.job->stable = TRI_TRUE;
    apply_quiet(&c);
    job = get_job(0);
    ck_assert_int_eq(job->stable, TRI_TRUE);
    job_free(job);
    job = get_job(-1);
    ck_assert_int_eq(job->version, 1);
    ck_assert_int_ne(job->stable, TRI_TRUE);
    ck_assert_str_eq(strmap_get(&job->groups[0].tasks[0].env, "CMD"), "v1");
    job_free(job);

    cmd_init(&c, CMD_JOB_STABILITY);
    c.job = get_job(1);
    c.job->stable = TRI_TRUE;
    apply_quiet(&c);
    job = get_job(-1);
    ck_assert_int_eq(job->version, 1);
    ck_assert_int_eq(job->stable, TRI_TRUE);
    job_free(job);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deploy_fsm");
    TCase *tc = test_tcase("deploy_fsm");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, success_marks_the_version_stable);
    tcase_add_test(tc, a_stale_decision_changes_nothing);
    tcase_add_test(tc, a_terminal_deployment_is_not_reopened);
    tcase_add_test(tc, health_marks_touch_only_allocs_of_the_deployment);
    tcase_add_test(tc, client_health_for_another_deployment_is_ignored);
    tcase_add_test(tc, rollback_registers_the_stable_spec_again);
    tcase_add_test(tc, stability_of_an_old_version_keeps_the_current_job);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
