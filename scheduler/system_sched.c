/*
 * The system and sysbatch schedulers (reference/scheduling.md §3
 * "system", "sysbatch"): one alloc of each group on every node that can
 * run it, always named "<job>.<group>[0]".
 *
 * Per node and group, with the node's live allocs of the group:
 *
 *   node down, disconnected or gone   stop them as lost, place nothing
 *   alloc marked for migration        stop it (migrating)
 *   node draining or ineligible       leave them alone, place nothing
 *   node not ready yet                leave them alone
 *   node outside the job's datacenters or pool, or failing a constraint
 *                                     stop them (not needed)
 *   otherwise                         keep one: ignore, update in place or
 *                                     destructively; place one if none
 *
 * Failed allocs are not rescheduled elsewhere: a terminal alloc no longer
 * holds the node, so a new one is placed there. sysbatch keeps a node that
 * completed the current version from running it again. Nodes filtered by
 * constraints are not failures; nodes out of resources are, and count as
 * queued.
 */
#include <string.h>

#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "scheduler/sched_int.h"

static bool str_eq(const char *a, const char *b)
{
    return strcmp(model_str(a), model_str(b)) == 0;
}

static bool node_lost(const struct sched_node *ns)
{
    const char *status = ns ? model_str(ns->node->status) : NODE_STATUS_DOWN;

    return !strcmp(status, NODE_STATUS_DOWN) ||
           !strcmp(status, NODE_STATUS_DISCONNECTED);
}

/* The job's allocs of tg on ns: live ones, and whether one completed. */
static void node_allocs(const struct sched *s,
                        const struct sched_node *ns,
                        const struct task_group *tg,
                        struct sched_aset *live,
                        bool *completed)
{
    *completed = false;
    for (size_t i = 0; i < s->in->nallocs; i++) {
        const struct alloc *a = s->in->allocs[i];

        if (!str_eq(a->node_id, ns->node->id) ||
            !str_eq(a->task_group, tg->name))
            continue;
        if (!alloc_is_terminal(a))
            sched__aset_push(live, a);
        else if (str_eq(a->client_status, ALLOC_CLIENT_COMPLETE) &&
                 !sched__alloc_outdated(s, a))
            *completed = true;
    }
}

static void stop_set(struct sched *s,
                     const struct sched_aset *set,
                     const char *description,
                     const char *client_status)
{
    for (size_t i = 0; i < set->n; i++) {
        sched__stop(s, set->v[i], description, client_status);
        sched__desired(s, model_str(set->v[i]->task_group))->stop++;
    }
}

/*
 * Nomad's diffSystemAllocsForNode: a draining or ineligible node keeps
 * what it runs (the drainer marks what must go) and gets nothing new.
 */
static bool keeps_only(const struct sched_node *ns)
{
    return ns->node->drain || ns->node->drain_strategy != NULL ||
           (ns->node->scheduling_eligibility != NULL &&
            !str_eq(ns->node->scheduling_eligibility, "eligible"));
}

/* Stops the allocs of live marked for migration; keeps the others. */
static void stop_migrating(struct sched *s, struct sched_aset *live)
{
    size_t kept = 0;

    for (size_t i = 0; i < live->n; i++) {
        const struct alloc *a = live->v[i];

        if (a->desired_migrate == TRI_TRUE) {
            sched__stop(s, a, SCHED_DESC_MIGRATING, NULL);
            sched__desired(s, model_str(a->task_group))->migrate++;
        } else {
            live->v[kept++] = a;
        }
    }
    live->n = kept;
}

/* Why the node no longer wants the group's allocs, or NULL if it does. */
static const char *unwanted(struct sched *s,
                            struct sched_node *ns,
                            const struct task_group *tg,
                            const struct alloc *a)
{
    if (!ns->in_job || !sched__feasible_for(s, ns, tg, a))
        return SCHED_DESC_NOT_NEEDED;
    return NULL;
}

static void keep_one(struct sched *s,
                     struct sched_node *ns,
                     const struct task_group *tg,
                     const struct alloc *a)
{
    struct sched_desired *d = sched__desired(s, tg->name);

    if (!sched__alloc_outdated(s, a)) {
        d->ignore++;
    } else if (sched__destructive(s, a->job, tg->name)) {
        struct sched_place p = {
            .tg = tg, .index = 0, .prev = a, .destructive = true, .node = ns};

        sched__placements_push(&s->destructive, &p);
        d->destructive_update++;
    } else {
        sched__aset_push(&s->inplace, a);
        d->in_place_update++;
    }
}

static void diff_node_group(struct sched *s,
                            struct sched_node *ns,
                            const struct task_group *tg)
{
    struct sched_aset live = {0};
    const char *why;
    bool completed;
    size_t before;

    node_allocs(s, ns, tg, &live, &completed);
    sched__aset_sort(&live);
    if (node_lost(ns)) {
        stop_set(s, &live, SCHED_DESC_LOST, ALLOC_CLIENT_LOST);
        sched__aset_release(&live);
        return;
    }
    before = live.n;
    stop_migrating(s, &live);
    if (keeps_only(ns) || (before > 0 && live.n == 0)) {
        sched__desired(s, tg->name)->ignore += (int64_t)live.n;
    } else if (!str_eq(ns->node->status, NODE_STATUS_READY)) {
        sched__desired(s, tg->name)->ignore += (int64_t)live.n;
    } else if ((why = unwanted(s, ns, tg, live.n ? live.v[0] : NULL))) {
        stop_set(s, &live, why, NULL);
    } else if (live.n > 0) {
        keep_one(s, ns, tg, live.v[0]);
        /* Two allocs of one group on a node: keep the lowest ID. */
        for (size_t i = 1; i < live.n; i++) {
            sched__stop(s, live.v[i], SCHED_DESC_NOT_NEEDED, NULL);
            sched__desired(s, tg->name)->stop++;
        }
    } else if (completed && (s->type & JOB_TYPE_SYSBATCH)) {
        sched__desired(s, tg->name)->ignore++;
    } else {
        struct sched_place p = {.tg = tg, .index = 0, .node = ns};

        sched__placements_push(&s->place, &p);
        sched__desired(s, tg->name)->place++;
    }
    sched__aset_release(&live);
}

/* Allocs on nodes the servers forgot, and of groups the job dropped. */
static void stop_orphans(struct sched *s)
{
    for (size_t i = 0; i < s->in->nallocs; i++) {
        const struct alloc *a = s->in->allocs[i];

        if (alloc_is_terminal(a))
            continue;
        if (sched__node_find(s, a->node_id) == NULL) {
            sched__stop(s, a, SCHED_DESC_LOST, ALLOC_CLIENT_LOST);
            sched__desired(s, model_str(a->task_group))->stop++;
        } else if (job_find_group(s->job, model_str(a->task_group)) == NULL) {
            sched__stop(s, a, SCHED_DESC_NOT_NEEDED, NULL);
            sched__desired(s, model_str(a->task_group))->stop++;
        }
    }
}

void sched__run_system(struct sched *s)
{
    if (s->job == NULL || tri_is_true(s->job->stop)) {
        sched__stop_all(s);
        return;
    }
    for (size_t g = 0; g < s->job->ngroups; g++)
        sched__desired(s, s->job->groups[g].name);
    for (size_t i = 0; i < s->nnodes; i++) {
        for (size_t g = 0; g < s->job->ngroups; g++)
            diff_node_group(s, &s->nodes[i], &s->job->groups[g]);
    }
    stop_orphans(s);
    sched__apply_inplace(s);
    sched__place_all(s);
}
