/*
 * The records a plan carries, filled as Nomad's scheduler fills them:
 * new allocs, in-place updated copies, follow-up and blocked evals, and
 * deployments. Indexes (CreateIndex, ModifyIndex) are left 0 for the
 * state store to set when the plan is applied.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "scheduler/sched_int.h"

#define FOLLOWUP_DESC "created for delayed rescheduling"
#define BLOCKED_DESC "created to place remaining allocations"
#define BLOCKED_TRIGGER "queued-allocs"
#define DEPLOYMENT_DESC_RUNNING "Deployment is running"
#define DEPLOYMENT_DESC_PROMOTION \
    "Deployment is running but requires manual promotion"
#define DEPLOYMENT_DESC_AUTO_PROMOTION \
    "Deployment is running pending automatic promotion"

static void plan_push_alloc(struct alloc ***list, size_t *n, struct alloc *a)
{
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = a;
}

static void fill_task_resources(struct alloc *a, const struct task_group *tg)
{
    a->task_resources =
        xcalloc(tg->ntasks ? tg->ntasks : 1, sizeof(*a->task_resources));
    for (size_t i = 0; i < tg->ntasks; i++) {
        const struct task *t = &tg->tasks[i];
        struct alloc_task_resources *r = &a->task_resources[i];

        r->task = xstrdup(model_str(t->name));
        if (t->resources != NULL) {
            r->cpu_shares = sched__i64(t->resources->cpu);
            r->cores = sched__i64(t->resources->cores);
            r->memory_mb = sched__i64(t->resources->memory_mb);
            r->memory_max_mb = sched__i64(t->resources->memory_max_mb);
        }
    }
    a->ntask_resources = tg->ntasks;
}

static void fill_identity(struct sched *s,
                          struct alloc *a,
                          const struct sched_place *p,
                          const struct node *n)
{
    char id[ID_UUID_LEN + 1];
    char *name;

    sched__new_id(s, id);
    a->id = xstrdup(id);
    a->namespace = xstrdup(model_str(s->job->namespace));
    a->eval_id = xstrdup(model_str(s->in->eval->id));
    name = xasprintf("%s.%s[%" PRId64 "]", model_str(s->job->id),
                     model_str(p->tg->name), p->index);
    a->name = name;
    a->node_id = xstrdup(model_str(n->id));
    a->node_name = xstrdup(model_str(n->name));
    a->job_id = xstrdup(model_str(s->job->id));
    a->job = job_copy(s->job);
    a->task_group = xstrdup(model_str(p->tg->name));
}

struct alloc *sched__place_alloc(struct sched *s,
                                 const struct sched_place *p,
                                 struct sched_option *opt,
                                 const struct alloc_metric *m)
{
    struct alloc *a = alloc_new();

    fill_identity(s, a, p, opt->ns->node);
    fill_task_resources(a, p->tg);
    if (p->tg->ephemeral_disk != NULL)
        a->shared_disk_mb = sched__i64(p->tg->ephemeral_disk->size_mb);
    a->ports = opt->ports;
    a->nports = opt->nports;
    opt->ports = NULL;
    opt->nports = 0;
    alloc_metric_release(&a->metrics);
    sched__metric_copy(&a->metrics, m);
    a->desired_status = xstrdup(ALLOC_DESIRED_RUN);
    a->client_status = xstrdup(ALLOC_CLIENT_PENDING);
    if (s->deployment != NULL && deployment_is_active(s->deployment))
        a->deployment_id = xstrdup(model_str(s->deployment->id));
    if (p->canary) {
        a->deployment_status = xcalloc(1, sizeof(*a->deployment_status));
        a->deployment_status->healthy = TRI_UNSET;
        a->deployment_status->canary = true;
    }
    if (p->prev != NULL) {
        a->previous_allocation = xstrdup(model_str(p->prev->id));
        if (p->reschedule)
            sched__reschedule_track(s, a, p->prev);
    }
    a->create_time_unix_ns = s->now_ns;
    a->modify_time_unix_ns = s->now_ns;
    plan_push_alloc(&s->plan->place, &s->plan->nplace, a);
    sched__node_add(opt->ns, a);
    return a;
}

struct alloc *sched__update_alloc(struct sched *s, const struct alloc *old)
{
    struct alloc *a = alloc_copy(old);
    struct sched_node *ns = sched__node_find(s, a->node_id);

    job_free(a->job);
    a->job = job_copy(s->job);
    model_set_str(&a->eval_id, s->in->eval->id);
    if (s->deployment != NULL && deployment_is_active(s->deployment) &&
        strcmp(model_str(a->deployment_id), model_str(s->deployment->id))) {
        model_set_str(&a->deployment_id, s->deployment->id);
        /* Health in an older deployment says nothing about this one. */
        free(a->deployment_status);
        a->deployment_status = NULL;
    }
    a->modify_time_unix_ns = s->now_ns;
    plan_push_alloc(&s->plan->update, &s->plan->nupdate, a);
    if (ns != NULL)
        sched__node_replace(ns, old, a);
    return a;
}

void sched__followup_alloc(struct sched *s,
                           const struct alloc *old,
                           const char *eval_id)
{
    struct alloc *a = alloc_copy(old);

    model_set_str(&a->followup_eval_id, eval_id);
    a->modify_time_unix_ns = s->now_ns;
    plan_push_alloc(&s->plan->update, &s->plan->nupdate, a);
}

static struct eval *new_eval(struct sched *s,
                             const char *triggered_by,
                             const char *status,
                             const char *description)
{
    struct eval *e = eval_new();
    char id[ID_UUID_LEN + 1];

    sched__new_id(s, id);
    e->id = xstrdup(id);
    e->namespace =
        xstrdup(model_str(s->job ? s->job->namespace : s->in->eval->namespace));
    e->priority = s->job ? sched__i64(s->job->priority)
                         : sched__i64(s->in->eval->priority);
    e->type = xstrdup(model_str(s->job ? s->job->type : s->in->eval->type));
    e->triggered_by = xstrdup(triggered_by);
    e->job_id = xstrdup(model_str(s->job ? s->job->id : s->in->eval->job_id));
    e->job_modify_index = s->job ? sched__i64(s->job->modify_index) : 0;
    e->status = xstrdup(status);
    e->status_description = xstrdup(description);
    e->previous_eval = xstrdup(model_str(s->in->eval->id));
    e->create_time_unix_ns = s->now_ns;
    e->modify_time_unix_ns = s->now_ns;
    return e;
}

const char *sched__followup_eval(struct sched *s,
                                 int64_t at_ns,
                                 const char *triggered_by)
{
    struct sched_plan *plan = s->plan;
    struct eval *e =
        new_eval(s, triggered_by, EVAL_STATUS_PENDING, FOLLOWUP_DESC);

    e->wait_until_unix_ns = at_ns;
    plan->followup =
        xrealloc(plan->followup, (plan->nfollowup + 1) * sizeof(*e));
    plan->followup[plan->nfollowup++] = e;
    return e->id;
}

void sched__blocked_eval(struct sched *s)
{
    struct sched_plan *plan = s->plan;
    struct eval *e;

    if (s->job == NULL || tri_is_true(s->job->stop))
        return;
    /* The blocked eval itself failing again goes back to blocked. */
    if (strcmp(model_str(s->in->eval->status), EVAL_STATUS_BLOCKED) == 0) {
        plan->reblock = true;
        return;
    }
    e = new_eval(s, BLOCKED_TRIGGER, EVAL_STATUS_BLOCKED, BLOCKED_DESC);
    e->failed_tg_allocs = xcalloc(plan->nfailed, sizeof(*e->failed_tg_allocs));
    for (size_t i = 0; i < plan->nfailed; i++) {
        e->failed_tg_allocs[i].group = xstrdup(plan->failed[i].group);
        sched__metric_copy(&e->failed_tg_allocs[i].metric,
                           &plan->failed[i].metric);
    }
    e->nfailed_tg_allocs = plan->nfailed;
    plan->blocked_eval = e;
    plan->create_blocked_eval = true;
}

struct deployment *sched__deployment_create(struct sched *s)
{
    struct deployment *d = s->plan->deployment;
    char id[ID_UUID_LEN + 1];

    if (d != NULL)
        return d;
    d = deployment_new();
    sched__new_id(s, id);
    d->id = xstrdup(id);
    d->namespace = xstrdup(model_str(s->job->namespace));
    d->job_id = xstrdup(model_str(s->job->id));
    d->job_version = sched__i64(s->job->version);
    d->job_modify_index = sched__i64(s->job->modify_index);
    d->job_spec_modify_index = sched__i64(s->job->job_modify_index);
    d->job_create_index = sched__i64(s->job->create_index);
    d->status = xstrdup(DEPLOYMENT_STATUS_RUNNING);
    d->status_description = xstrdup(DEPLOYMENT_DESC_RUNNING);
    d->eval_priority = sched__i64(s->job->priority);
    d->create_time_unix_ns = s->now_ns;
    d->modify_time_unix_ns = s->now_ns;
    s->plan->deployment = d;
    s->deployment = d;
    return d;
}

struct deployment_group *sched__deployment_add_group(
    struct deployment *d,
    const struct task_group *tg)
{
    const struct update_strategy *u = tg->update;
    struct deployment_group *g;

    d->groups = xrealloc(d->groups, (d->ngroups + 1) * sizeof(*d->groups));
    g = &d->groups[d->ngroups++];
    memset(g, 0, sizeof(*g));
    strlist_init(&g->placed_canaries);
    g->name = xstrdup(model_str(tg->name));
    g->auto_revert = tri_is_true(u->auto_revert);
    g->auto_promote = tri_is_true(u->auto_promote);
    g->progress_deadline_ns = sched__i64(u->progress_deadline_ns);
    g->desired_total = sched__i64(tg->count);
    return g;
}

void sched__deployment_update(struct sched *s,
                              const struct deployment *d,
                              const char *status,
                              const char *description)
{
    struct sched_plan *plan = s->plan;
    struct sched_deployment_update *u;

    plan->deployment_updates = xrealloc(
        plan->deployment_updates, (plan->ndeployment_updates + 1) * sizeof(*u));
    u = &plan->deployment_updates[plan->ndeployment_updates++];
    u->deployment_id = xstrdup(model_str(d->id));
    u->status = xstrdup(status);
    u->status_description = xstrdup(description);
}

void sched__deployment_needs_promotion(struct deployment *d)
{
    bool needs = false, automatic = true;

    for (size_t i = 0; i < d->ngroups; i++) {
        const struct deployment_group *g = &d->groups[i];

        if (g->desired_canaries == 0 || g->promoted)
            continue;
        needs = true;
        automatic = automatic && g->auto_promote;
    }
    model_set_str(&d->status_description, !needs ? DEPLOYMENT_DESC_RUNNING
                                          : automatic
                                              ? DEPLOYMENT_DESC_AUTO_PROMOTION
                                              : DEPLOYMENT_DESC_PROMOTION);
}

void sched_plan_to_eval(const struct sched_plan *plan, struct eval *eval)
{
    for (size_t i = 0; i < eval->nfailed_tg_allocs; i++) {
        free(eval->failed_tg_allocs[i].group);
        alloc_metric_release(&eval->failed_tg_allocs[i].metric);
    }
    free(eval->failed_tg_allocs);
    eval->failed_tg_allocs = NULL;
    eval->nfailed_tg_allocs = 0;
    if (plan->nfailed > 0) {
        eval->failed_tg_allocs =
            xcalloc(plan->nfailed, sizeof(*eval->failed_tg_allocs));
        for (size_t i = 0; i < plan->nfailed; i++) {
            eval->failed_tg_allocs[i].group = xstrdup(plan->failed[i].group);
            sched__metric_copy(&eval->failed_tg_allocs[i].metric,
                               &plan->failed[i].metric);
        }
        eval->nfailed_tg_allocs = plan->nfailed;
    }
    strmap_release(&eval->queued_allocations);
    strmap_copy(&eval->queued_allocations, &plan->queued);
    model_set_str(&eval->status,
                  plan->reblock ? EVAL_STATUS_BLOCKED : EVAL_STATUS_COMPLETE);
    if (plan->blocked_eval != NULL)
        model_set_str(&eval->blocked_eval, plan->blocked_eval->id);
}
