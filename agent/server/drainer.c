/* The node drainer's decisions (see drainer.h). */
#include "agent/server/drainer.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/node.h"

void drainer_result_release(struct drainer_result *r)
{
    for (size_t i = 0; i < r->nmigrate; i++)
        free(r->migrate[i]);
    free(r->migrate);
    memset(r, 0, sizeof(*r));
}

static void mark(struct drainer_result *r, const struct alloc *a)
{
    for (size_t i = 0; i < r->nmigrate; i++) {
        if (strcmp(r->migrate[i], a->id) == 0)
            return;
    }
    r->migrate = xrealloc(r->migrate, (r->nmigrate + 1) * sizeof(char *));
    r->migrate[r->nmigrate++] = xstrdup(a->id);
}

static const char *job_type(const struct alloc *a)
{
    return a->job ? model_str(a->job->type) : "";
}

static bool is_system(const struct alloc *a)
{
    return strcmp(job_type(a), "system") == 0;
}

static bool same_group(const struct alloc *a, const struct alloc *b)
{
    return strcmp(model_str(a->namespace), model_str(b->namespace)) == 0 &&
           strcmp(model_str(a->job_id), model_str(b->job_id)) == 0 &&
           strcmp(model_str(a->task_group), model_str(b->task_group)) == 0;
}

static bool deadline_passed(const struct node_drain_strategy *ds, int64_t now)
{
    return ds->deadline_ns < 0 || (ds->force_deadline_unix_ns > 0 &&
                                   now >= ds->force_deadline_unix_ns);
}

/* Nomad's RemainingAllocs: what still has to leave the node. */
static void mark_remaining(const struct drainer_input *in,
                           struct drainer_result *r,
                           bool system_only)
{
    bool ignore_system = in->node->drain_strategy->ignore_system_jobs;

    for (size_t i = 0; i < in->nnode_allocs; i++) {
        const struct alloc *a = in->node_allocs[i];

        if (alloc_is_terminal(a) || a->desired_migrate == TRI_TRUE ||
            (ignore_system && is_system(a)) || (system_only && !is_system(a)))
            continue;
        mark(r, a);
    }
}

static int64_t max_parallel(const struct alloc *a)
{
    const struct task_group *tg =
        a->job ? job_find_group(a->job, model_str(a->task_group)) : NULL;

    if (tg != NULL && tg->migrate != NULL && tg->migrate->max_parallel > 0)
        return tg->migrate->max_parallel;
    return 1;
}

static int64_t group_count(const struct alloc *a)
{
    const struct task_group *tg =
        a->job ? job_find_group(a->job, model_str(a->task_group)) : NULL;

    return tg != NULL && tg->count != MODEL_UNSET ? tg->count : 1;
}

/*
 * Nomad's handleTaskGroup for the group of first: allow as many
 * migrations as keep count - max_parallel healthy allocs running.
 */
static void drain_group(const struct drainer_input *in,
                        const struct alloc *first,
                        struct drainer_result *r)
{
    const char *node_id = in->node->id;
    int64_t healthy = 0, allowed;

    for (size_t i = 0; i < in->njob_allocs; i++) {
        const struct alloc *a = in->job_allocs[i];

        if (same_group(a, first) && !alloc_is_terminal(a) &&
            a->deployment_status != NULL &&
            a->deployment_status->healthy == TRI_TRUE)
            healthy++;
    }
    allowed = healthy - (group_count(first) - max_parallel(first));
    for (size_t i = 0; allowed > 0 && i < in->nnode_allocs; i++) {
        const struct alloc *a = in->node_allocs[i];

        if (!same_group(a, first) || alloc_client_is_terminal(a) ||
            alloc_is_terminal(a) || a->desired_migrate == TRI_TRUE ||
            strcmp(model_str(a->node_id), node_id) != 0)
            continue;
        mark(r, a);
        allowed--;
    }
}

/* Allocs whose group the service rule handles. */
static bool drains_by_group(const struct alloc *a)
{
    return !alloc_client_is_terminal(a) && strcmp(job_type(a), "service") == 0;
}

void drainer_decide(const struct drainer_input *in, struct drainer_result *r)
{
    bool done = true;

    if (deadline_passed(in->node->drain_strategy, in->now_unix_ns)) {
        mark_remaining(in, r, false);
        r->done = r->deadline = true;
        return;
    }
    for (size_t i = 0; i < in->nnode_allocs; i++) {
        const struct alloc *a = in->node_allocs[i];
        bool seen = false;

        if (is_system(a) || alloc_client_is_terminal(a))
            continue;
        done = false;
        if (!drains_by_group(a))
            continue;
        for (size_t k = 0; k < i && !seen; k++)
            seen = drains_by_group(in->node_allocs[k]) &&
                   same_group(in->node_allocs[k], a);
        if (!seen)
            drain_group(in, a, r);
    }
    if (done) {
        mark_remaining(in, r, true);
        r->done = true;
    }
}
