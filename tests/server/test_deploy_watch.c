/*
 * The deployment watcher core: counting health per group, the healthy and
 * progress deadlines, batches, auto-revert, canaries and promotion, with
 * Nomad's status descriptions, all on a virtual wall clock.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/server/deploy_watch.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/job.h"
#include "tests/harness/test.h"

#define SEC 1000000000LL
#define T0 (1700000000LL * SEC)

/* One deployment of job "web" version 1, its allocs and job versions. */
static struct fixture
{
    struct deployment *d;
    struct alloc *allocs[16];
    size_t nallocs;
    struct job *job;    /* version 1, being rolled out */
    struct job *stable; /* version 0 */
    struct deploy_watch_out out;
} f;

static struct job *make_job(int64_t version, const char *cmd)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    job->id = xstrdup("web");
    job->type = xstrdup("service");
    g = job_add_group(job);
    g->name = xstrdup("web");
    g->count = 2;
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    strmap_set(&t->meta, "command", cmd);
    job_canonicalize(job);
    g = &job->groups[0];
    g->update->max_parallel = 1;
    g->update->healthy_deadline_ns = 30 * SEC;
    g->update->progress_deadline_ns = 60 * SEC;
    /* No second chance unless a test gives one: failures are final. */
    g->reschedule_policy->attempts = 0;
    g->reschedule_policy->unlimited = TRI_FALSE;
    job->version = version;
    return job;
}

static void add_group(int64_t total, int64_t canaries, bool auto_revert)
{
    struct deployment_group *g;

    f.d->groups = xrealloc(f.d->groups, (f.d->ngroups + 1) * sizeof(*g));
    g = &f.d->groups[f.d->ngroups++];
    memset(g, 0, sizeof(*g));
    strlist_init(&g->placed_canaries);
    g->name = xstrdup("web");
    g->desired_total = total;
    g->desired_canaries = canaries;
    g->auto_revert = auto_revert;
    g->progress_deadline_ns = 60 * SEC;
}

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    f.d = deployment_new();
    f.d->id = xstrdup("d1");
    f.d->namespace = xstrdup("default");
    f.d->job_id = xstrdup("web");
    f.d->job_version = 1;
    f.d->status = xstrdup(DEPLOYMENT_STATUS_RUNNING);
    f.d->status_description = xstrdup(DEPLOY_DESC_RUNNING);
    f.job = make_job(1, "/bin/new");
    f.stable = make_job(0, "/bin/old");
    f.stable->stable = TRI_TRUE;
}

static void teardown(void)
{
    deploy_watch_out_release(&f.out);
    for (size_t i = 0; i < f.nallocs; i++)
        alloc_free(f.allocs[i]);
    deployment_free(f.d);
    job_free(f.job);
    job_free(f.stable);
}

/* An alloc of the deployment created at created_s; health as given. */
static struct alloc *add_alloc(const char *id, int64_t created_s, enum tri h)
{
    struct alloc *a = alloc_new();

    a->id = xstrdup(id);
    a->task_group = xstrdup("web");
    a->deployment_id = xstrdup("d1");
    a->desired_status = xstrdup(ALLOC_DESIRED_RUN);
    a->client_status = xstrdup(ALLOC_CLIENT_RUNNING);
    a->create_time_unix_ns = T0 + created_s * SEC;
    if (h != TRI_UNSET) {
        a->deployment_status = xcalloc(1, sizeof(*a->deployment_status));
        a->deployment_status->healthy = h;
        a->deployment_status->timestamp_unix_ns = T0 + (created_s + 5) * SEC;
    }
    f.allocs[f.nallocs++] = a;
    return a;
}

static void set_canary(struct alloc *a)
{
    if (a->deployment_status == NULL)
        a->deployment_status = xcalloc(1, sizeof(*a->deployment_status));
    a->deployment_status->canary = true;
}

static struct deploy_watch_in in_at(int64_t now_s)
{
    struct deploy_watch_in in = {f.d,   f.allocs, f.nallocs,
                                 f.job, f.stable, T0 + now_s * SEC};

    return in;
}

static void step(int64_t now_s)
{
    struct deploy_watch_in in = in_at(now_s);

    deploy_watch_out_release(&f.out);
    deploy_watch_step(&in, &f.out);
}

/* Takes the step's new deployment as the stored one. */
static void commit(void)
{
    if (f.out.d != NULL) {
        deployment_free(f.d);
        f.d = f.out.d;
        f.out.d = NULL;
    }
}

START_TEST(counts_health_per_group_and_asks_for_the_next_batch)
{
    add_group(2, 0, false);
    add_alloc("a1", 0, TRI_UNSET);
    step(1);
    ck_assert_ptr_nonnull(f.out.d);
    ck_assert_int_eq(f.out.d->groups[0].placed_allocs, 1);
    ck_assert_int_eq(f.out.d->groups[0].healthy_allocs, 0);
    ck_assert(!f.out.create_eval);
    /* The progress deadline starts at the first placement. */
    ck_assert_int_eq(f.out.d->groups[0].require_progress_by_unix_ns,
                     T0 + 60 * SEC);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    commit();

    f.allocs[0]->deployment_status =
        xcalloc(1, sizeof(*f.allocs[0]->deployment_status));
    f.allocs[0]->deployment_status->healthy = TRI_TRUE;
    f.allocs[0]->deployment_status->timestamp_unix_ns = T0 + 10 * SEC;
    step(11);
    ck_assert_ptr_nonnull(f.out.d);
    ck_assert_int_eq(f.out.d->groups[0].healthy_allocs, 1);
    ck_assert_msg(f.out.create_eval, "a healthy alloc frees max_parallel room");
    /* The deadline moves with the new healthy alloc. */
    ck_assert_int_eq(f.out.d->groups[0].require_progress_by_unix_ns,
                     T0 + 70 * SEC);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    commit();

    /* Nothing new: nothing to write, no eval. */
    step(12);
    ck_assert_ptr_null(f.out.d);
    ck_assert(!f.out.create_eval);
    ck_assert_int_eq(f.out.next_unix_ns, T0 + 70 * SEC);
}
END_TEST

START_TEST(all_healthy_is_successful_and_marks_the_version_stable)
{
    add_group(2, 0, false);
    add_alloc("a1", 0, TRI_TRUE);
    add_alloc("a2", 0, TRI_TRUE);
    step(10);
    ck_assert_ptr_nonnull(f.out.d);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_SUCCESSFUL);
    ck_assert_str_eq(f.out.d->status_description,
                     "Deployment completed successfully");
    ck_assert(f.out.job_stable);
    ck_assert_ptr_null(f.out.rollback);
    commit();
    /* A terminal deployment is left alone. */
    step(20);
    ck_assert_ptr_null(f.out.d);
    ck_assert(!f.out.job_stable);
}
END_TEST

START_TEST(healthy_but_stopped_allocs_do_not_complete_a_group)
{
    struct alloc *a;

    add_group(2, 0, false);
    add_alloc("a1", 0, TRI_TRUE);
    a = add_alloc("a2", 0, TRI_TRUE);
    model_set_str(&a->desired_status, ALLOC_DESIRED_STOP);
    step(10);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    ck_assert_int_eq(f.out.d->groups[0].healthy_allocs, 2);
}
END_TEST

START_TEST(unhealthy_alloc_fails_and_rolls_back_to_the_stable_version)
{
    add_group(2, 0, true);
    add_alloc("a1", 0, TRI_FALSE);
    step(6);
    ck_assert_ptr_nonnull(f.out.d);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to unhealthy allocations - rolling back to "
                     "job version 0");
    ck_assert_int_eq(f.out.d->groups[0].unhealthy_allocs, 1);
    ck_assert_ptr_nonnull(f.out.rollback);
    ck_assert_int_eq(f.out.rollback->version, 0);
    ck_assert_int_eq(f.out.rollback->stable, TRI_FALSE);
    ck_assert(f.out.create_eval);
    ck_assert(!f.out.job_stable);
}
END_TEST

START_TEST(failed_alloc_with_attempts_left_is_replaced_not_fatal)
{
    struct alloc *a;

    f.job->groups[0].reschedule_policy->unlimited = TRI_TRUE;
    add_group(2, 0, true);
    a = add_alloc("a1", 0, TRI_FALSE);
    model_set_str(&a->client_status, ALLOC_CLIENT_FAILED);
    step(6);
    ck_assert_ptr_nonnull(f.out.d);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    ck_assert_int_eq(f.out.d->groups[0].unhealthy_allocs, 1);
    ck_assert_uint_eq(f.out.nreplace, 1);
    ck_assert_str_eq(f.out.replace[0], "a1");
    ck_assert(f.out.create_eval);
    commit();

    /* Handed over once; then the progress deadline judges. */
    a->desired_reschedule = TRI_TRUE;
    step(7);
    ck_assert_uint_eq(f.out.nreplace, 0);
    ck_assert_int_eq(f.out.next_unix_ns, T0 + 60 * SEC);
    step(60);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to progress deadline - rolling back to job "
                     "version 0");
}
END_TEST

START_TEST(without_progress_deadline_the_first_unhealthy_alloc_fails_it)
{
    f.job->groups[0].reschedule_policy->unlimited = TRI_TRUE;
    add_group(2, 0, false);
    f.d->groups[0].progress_deadline_ns = 0;
    add_alloc("a1", 0, TRI_FALSE);
    step(6);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
    ck_assert_uint_eq(f.out.nreplace, 0);
}
END_TEST

START_TEST(no_reschedule_attempt_left_fails_it)
{
    struct reschedule_policy *p = f.job->groups[0].reschedule_policy;
    struct alloc *a;

    p->attempts = 1;
    p->interval_ns = 3600 * SEC;
    add_group(2, 0, false);
    a = add_alloc("a2", 0, TRI_FALSE);
    a->reschedule_events = xcalloc(1, sizeof(*a->reschedule_events));
    a->nreschedule_events = 1;
    a->reschedule_events[0].reschedule_time_unix_ns = T0 - 10 * SEC;
    step(6);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to unhealthy allocations");
    /* Outside the interval the attempt is available again. */
    deploy_watch_out_release(&f.out);
    a->reschedule_events[0].reschedule_time_unix_ns = T0 - 4000 * SEC;
    step(6);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
}
END_TEST

START_TEST(failure_without_auto_revert_does_not_roll_back)
{
    add_group(2, 0, false);
    add_alloc("a1", 0, TRI_FALSE);
    step(6);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to unhealthy allocations");
    ck_assert_ptr_null(f.out.rollback);
}
END_TEST

START_TEST(auto_revert_without_stable_version_says_so)
{
    struct deploy_watch_in in;

    add_group(2, 0, true);
    add_alloc("a1", 0, TRI_FALSE);
    in = in_at(6);
    in.stable = NULL;
    deploy_watch_step(&in, &f.out);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to unhealthy allocations - no stable job "
                     "version to auto revert to");
    ck_assert_ptr_null(f.out.rollback);
}
END_TEST

START_TEST(auto_revert_to_the_same_spec_is_a_noop)
{
    struct deploy_watch_in in;
    struct job *same = make_job(0, "/bin/new");

    add_group(2, 0, true);
    add_alloc("a1", 0, TRI_FALSE);
    in = in_at(6);
    in.stable = same;
    deploy_watch_step(&in, &f.out);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to unhealthy allocations - not rolling back "
                     "to stable job version 0 as current job has same "
                     "specification");
    ck_assert_ptr_null(f.out.rollback);
    job_free(same);
}
END_TEST

START_TEST(failed_client_status_counts_as_unhealthy)
{
    struct alloc *a;

    add_group(2, 0, false);
    a = add_alloc("a1", 0, TRI_UNSET);
    model_set_str(&a->client_status, ALLOC_CLIENT_FAILED);
    step(3);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
}
END_TEST

START_TEST(healthy_deadline_marks_the_alloc_unhealthy)
{
    add_group(2, 0, true);
    add_alloc("a1", 0, TRI_UNSET);
    step(29);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    ck_assert_uint_eq(f.out.nunhealthy, 0);
    ck_assert_int_eq(f.out.next_unix_ns, T0 + 30 * SEC);
    commit();
    step(30);
    ck_assert_uint_eq(f.out.nunhealthy, 1);
    ck_assert_str_eq(f.out.unhealthy[0], "a1");
    ck_assert_ptr_nonnull(f.out.d);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to unhealthy allocations - rolling back to "
                     "job version 0");
}
END_TEST

START_TEST(healthy_deadline_of_an_alloc_updated_in_place_starts_with_it)
{
    add_group(2, 0, false);
    f.d->create_time_unix_ns = T0 + 100 * SEC;
    add_alloc("old", 0, TRI_UNSET); /* created long before, then updated */
    step(101);
    ck_assert_uint_eq(f.out.nunhealthy, 0);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    ck_assert_int_eq(f.out.next_unix_ns, T0 + 130 * SEC);
}
END_TEST

START_TEST(no_progress_by_the_deadline_fails_the_deployment)
{
    f.job->groups[0].update->healthy_deadline_ns = 0;
    add_group(2, 0, false);
    add_alloc("a1", 0, TRI_TRUE); /* healthy at 5 s: deadline 65 s */
    add_alloc("a2", 6, TRI_UNSET);
    step(64);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    ck_assert_int_eq(f.out.next_unix_ns, T0 + 65 * SEC);
    commit();
    step(65);
    ck_assert_ptr_nonnull(f.out.d);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
    ck_assert_str_eq(f.out.d->status_description,
                     "Failed due to progress deadline");
}
END_TEST

START_TEST(canaries_wait_for_manual_promotion)
{
    struct alloc *c;
    struct deploy_watch_in in;
    struct err err = ERR_INIT;

    add_group(2, 1, false);
    model_set_str(&f.d->status_description, DEPLOY_DESC_NEEDS_PROMOTION);
    c = add_alloc("c1", 0, TRI_UNSET);
    set_canary(c);
    /* Promotion needs healthy canaries. */
    in = in_at(2);
    ck_assert_int_eq(deploy_watch_promote(&in, NULL, 0, true, &f.out, &err),
                     ERR_INVALID);
    ck_assert_str_eq(
        err.msg, "Canary allocation \"c1\" for group \"web\" is not healthy");
    ck_assert_ptr_null(f.out.d);

    c->deployment_status->healthy = TRI_TRUE;
    c->deployment_status->timestamp_unix_ns = T0 + 5 * SEC;
    step(6);
    commit();
    ck_assert_str_eq(f.d->status, DEPLOYMENT_STATUS_RUNNING);
    ck_assert_str_eq(f.d->status_description, DEPLOY_DESC_NEEDS_PROMOTION);
    ck_assert(!f.d->groups[0].promoted);
    ck_assert_uint_eq(f.d->groups[0].placed_canaries.n, 1);
    ck_assert_str_eq(f.d->groups[0].placed_canaries.items[0], "c1");

    {
        const char *groups[] = {"nope"};

        err_clear(&err);
        in = in_at(7);
        ck_assert_int_eq(
            deploy_watch_promote(&in, groups, 1, false, &f.out, &err),
            ERR_INVALID);
    }
    {
        const char *groups[] = {"web"};

        err_clear(&err);
        in = in_at(7);
        ck_assert_int_eq(
            deploy_watch_promote(&in, groups, 1, false, &f.out, &err), 0);
    }
    ck_assert(f.out.d->groups[0].promoted);
    ck_assert_str_eq(f.out.d->status_description, "Deployment is running");
    ck_assert(f.out.create_eval);
    ck_assert_int_eq(f.out.d->groups[0].require_progress_by_unix_ns,
                     T0 + 67 * SEC);
    commit();

    /* The canary and one more healthy alloc finish it. */
    add_alloc("a2", 8, TRI_TRUE);
    step(14);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_SUCCESSFUL);
    ck_assert(f.out.job_stable);
}
END_TEST

START_TEST(canaries_with_auto_promote_are_promoted_when_healthy)
{
    struct alloc *c;

    add_group(2, 1, false);
    f.d->groups[0].auto_promote = true;
    c = add_alloc("c1", 0, TRI_UNSET);
    set_canary(c);
    step(2);
    ck_assert(!f.out.d->groups[0].promoted);
    commit();
    c->deployment_status->healthy = TRI_TRUE;
    c->deployment_status->timestamp_unix_ns = T0 + 5 * SEC;
    step(6);
    ck_assert(f.out.d->groups[0].promoted);
    ck_assert(f.out.create_eval);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
}
END_TEST

START_TEST(no_canaries_to_promote)
{
    struct deploy_watch_in in;
    struct err err = ERR_INIT;

    add_group(2, 0, false);
    add_alloc("a1", 0, TRI_TRUE);
    in = in_at(1);
    ck_assert_int_eq(deploy_watch_promote(&in, NULL, 0, true, &f.out, &err),
                     ERR_INVALID);
    ck_assert_str_eq(err.msg, "no canaries to promote");
}
END_TEST

START_TEST(promotion_naming_no_group_promotes_nothing)
{
    struct deploy_watch_in in;
    struct err err = ERR_INIT;
    struct alloc *c;

    add_group(2, 1, false);
    c = add_alloc("c1", 0, TRI_TRUE);
    set_canary(c);
    in = in_at(6);
    ck_assert_int_eq(deploy_watch_promote(&in, NULL, 0, false, &f.out, &err),
                     ERR_INVALID);
    ck_assert_str_eq(err.msg, "no canaries to promote");
    ck_assert_ptr_null(f.out.d);
}
END_TEST

START_TEST(user_fail_pause_and_resume)
{
    struct deploy_watch_in in;
    struct err err = ERR_INIT;

    add_group(2, 1, true);
    in = in_at(1);
    ck_assert_int_eq(deploy_watch_pause(&in, true, &f.out, &err), 0);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_PAUSED);
    ck_assert_str_eq(f.out.d->status_description, "Deployment is paused");
    commit();
    /* A paused deployment is recounted but never fails or finishes. */
    add_alloc("a1", 0, TRI_FALSE);
    step(2);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_PAUSED);
    commit();
    in = in_at(3);
    ck_assert_int_eq(deploy_watch_pause(&in, false, &f.out, &err), 0);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_RUNNING);
    ck_assert_str_eq(f.out.d->status_description,
                     "Deployment is running but requires manual promotion");
    commit();
    in = in_at(4);
    ck_assert_int_eq(deploy_watch_fail(&in, &f.out, &err), 0);
    ck_assert_str_eq(f.out.d->status, DEPLOYMENT_STATUS_FAILED);
    ck_assert_str_eq(f.out.d->status_description,
                     "Deployment marked as failed - rolling back to job "
                     "version 0");
    ck_assert_ptr_nonnull(f.out.rollback);
    commit();
    deploy_watch_out_release(&f.out);
    in = in_at(5);
    ck_assert_int_eq(deploy_watch_fail(&in, &f.out, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "can't fail terminal deployment");
}
END_TEST

START_TEST(health_set_by_hand)
{
    const char *good[] = {"a1"}, *bad[] = {"zz"}, *other[] = {"old"};
    struct deploy_watch_in in;
    struct err err = ERR_INIT;
    struct alloc *a;

    add_group(1, 0, false);
    add_alloc("a1", 0, TRI_UNSET);
    a = add_alloc("old", 0, TRI_UNSET);
    model_set_str(&a->deployment_id, "d0");
    in = in_at(1);
    ck_assert_int_eq(
        deploy_watch_set_health(&in, bad, 1, NULL, 0, &f.out, &err),
        ERR_INVALID);
    ck_assert_str_eq(err.msg, "unknown alloc \"zz\"");
    err_clear(&err);
    ck_assert_int_eq(
        deploy_watch_set_health(&in, NULL, 0, other, 1, &f.out, &err),
        ERR_INVALID);
    ck_assert_str_eq(err.msg, "alloc \"old\" is not part of deployment \"d1\"");
    err_clear(&err);
    ck_assert_int_eq(
        deploy_watch_set_health(&in, good, 1, NULL, 0, &f.out, &err), 0);
    ck_assert_uint_eq(f.out.nhealthy, 1);
    ck_assert_str_eq(f.out.healthy[0], "a1");
    ck_assert_uint_eq(f.out.nunhealthy, 0);
    ck_assert(f.out.create_eval);
}
END_TEST

START_TEST(allocs_of_other_deployments_do_not_count)
{
    struct alloc *a;

    add_group(1, 0, false);
    a = add_alloc("old", 0, TRI_FALSE);
    model_set_str(&a->deployment_id, "d0");
    step(1);
    ck_assert(f.out.d == NULL ||
              strcmp(f.out.d->status, DEPLOYMENT_STATUS_RUNNING) == 0);
    ck_assert(f.out.d == NULL || f.out.d->groups[0].placed_allocs == 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deploy_watch");
    TCase *tc = test_tcase("deploy_watch");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, counts_health_per_group_and_asks_for_the_next_batch);
    tcase_add_test(tc, all_healthy_is_successful_and_marks_the_version_stable);
    tcase_add_test(tc, healthy_but_stopped_allocs_do_not_complete_a_group);
    tcase_add_test(tc,
                   unhealthy_alloc_fails_and_rolls_back_to_the_stable_version);
    tcase_add_test(tc, failed_alloc_with_attempts_left_is_replaced_not_fatal);
    tcase_add_test(
        tc, without_progress_deadline_the_first_unhealthy_alloc_fails_it);
    tcase_add_test(tc, no_reschedule_attempt_left_fails_it);
    tcase_add_test(tc, failure_without_auto_revert_does_not_roll_back);
    tcase_add_test(tc, auto_revert_without_stable_version_says_so);
    tcase_add_test(tc, auto_revert_to_the_same_spec_is_a_noop);
    tcase_add_test(tc, failed_client_status_counts_as_unhealthy);
    tcase_add_test(tc, healthy_deadline_marks_the_alloc_unhealthy);
    tcase_add_test(
        tc, healthy_deadline_of_an_alloc_updated_in_place_starts_with_it);
    tcase_add_test(tc, no_progress_by_the_deadline_fails_the_deployment);
    tcase_add_test(tc, canaries_wait_for_manual_promotion);
    tcase_add_test(tc, canaries_with_auto_promote_are_promoted_when_healthy);
    tcase_add_test(tc, no_canaries_to_promote);
    tcase_add_test(tc, promotion_naming_no_group_promotes_nothing);
    tcase_add_test(tc, user_fail_pause_and_resume);
    tcase_add_test(tc, health_set_by_hand);
    tcase_add_test(tc, allocs_of_other_deployments_do_not_count);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
