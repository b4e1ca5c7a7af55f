/* Garbage collection selection (see gc.h). */
#include "agent/server/gc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "lib/alloc.h"
#include "lib/map.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"

#define NS_PER_HOUR (3600LL * 1000000000LL)

void gc_thresholds_default(struct gc_thresholds *t)
{
    t->job_ns = 4 * NS_PER_HOUR;
    t->eval_ns = NS_PER_HOUR;
    t->batch_eval_ns = 24 * NS_PER_HOUR;
    t->deployment_ns = NS_PER_HOUR;
    t->node_ns = 24 * NS_PER_HOUR;
}

struct gc
{
    const struct gc_input *in;
    struct map jobs;              /* "ns\x1fid" -> job */
    const struct alloc **by_eval; /* allocs sorted by EvalID */
    struct map evals_out;         /* eval ids chosen */
    struct map allocs_out;        /* alloc ids chosen */
};

/* Job ids and namespaces hold no control characters. */
static char *job_key(const char *ns, const char *id)
{
    return xasprintf("%s\x1f%s", model_str(ns), model_str(id));
}

static const struct job *find_job(struct gc *g, const char *ns, const char *id)
{
    char *k = job_key(ns, id);
    const struct job *j = map_get(&g->jobs, k);

    free(k);
    return j;
}

static int by_eval_cmp(const void *pa, const void *pb)
{
    const struct alloc *a = *(const struct alloc *const *)pa;
    const struct alloc *b = *(const struct alloc *const *)pb;

    return strcmp(model_str(a->eval_id), model_str(b->eval_id));
}

/* The allocs whose EvalID is id: *first and the count. */
static size_t allocs_of_eval(const struct gc *g, const char *id, size_t *first)
{
    size_t lo = 0, hi = g->in->nallocs, n = 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(model_str(g->by_eval[mid]->eval_id), id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = lo;
    while (lo + n < g->in->nallocs &&
           strcmp(model_str(g->by_eval[lo + n]->eval_id), id) == 0)
        n++;
    return n;
}

static bool is_dead(const struct job *job)
{
    return strcmp(model_str(job->status), "dead") == 0;
}

/* Nomad's allocGCEligible. */
static bool alloc_collectable(const struct gc *g,
                              const struct alloc *a,
                              const struct job *job,
                              int64_t cutoff)
{
    const struct task_group *tg;
    const struct reschedule_policy *rp;
    const struct reschedule_event *last;

    if (!alloc_is_terminal(a) || a->modify_time_unix_ns > cutoff ||
        strcmp(model_str(a->client_status), ALLOC_CLIENT_RUNNING) == 0)
        return false;
    if (job == NULL || tri_is_true(job->stop) || is_dead(job))
        return true;
    if (strcmp(model_str(a->desired_status), ALLOC_DESIRED_STOP) == 0 ||
        strcmp(model_str(a->client_status), ALLOC_CLIENT_FAILED) != 0)
        return true;
    tg = job_find_group(job, model_str(a->task_group));
    rp = tg ? tg->reschedule_policy : NULL;
    if (rp == NULL || (!tri_is_true(rp->unlimited) && rp->attempts <= 0))
        return true;
    if (a->next_allocation != NULL && a->next_allocation[0] != '\0')
        return true;
    if (tri_is_true(rp->unlimited) || a->nreschedule_events == 0)
        return false;
    last = &a->reschedule_events[a->nreschedule_events - 1];
    return g->in->now_unix_ns - last->reschedule_time_unix_ns > rp->interval_ns;
}

/*
 * Nomad's gcEval: whether eval e may go, adding the allocs that may go
 * with it to allocs_out when keep_allocs (also when e stays).
 */
static bool eval_collectable(struct gc *g,
                             const struct eval *e,
                             int64_t cutoff,
                             bool allow_batch,
                             struct map *allocs_out)
{
    const struct job *job;
    size_t first, n, taken = 0;
    bool old_only = false, all = true;

    if (!eval_is_terminal(e) || e->modify_time_unix_ns > cutoff)
        return false;
    job = find_job(g, e->namespace, e->job_id);
    n = allocs_of_eval(g, e->id, &first);
    /* A live batch job would run terminal allocs again if they went. */
    if (strcmp(model_str(e->type), "batch") == 0 && job != NULL &&
        !(is_dead(job) && (tri_is_true(job->stop) || allow_batch)))
        old_only = true;
    for (size_t i = first; i < first + n; i++) {
        const struct alloc *a = g->by_eval[i];
        bool ok = old_only ? a->create_index < job->job_modify_index &&
                                 a->modify_time_unix_ns < cutoff &&
                                 alloc_is_terminal(a)
                           : alloc_collectable(g, a, job, cutoff);

        if (ok) {
            map_put(allocs_out, a->id, (void *)a);
            taken++;
        } else {
            all = false;
        }
    }
    return old_only ? taken == n : all;
}

/* Nomad's jobIsGCable. */
static bool job_collectable_kind(const struct job *j)
{
    const char *type = model_str(j->type);

    if ((j->periodic != NULL && j->periodic->enabled != TRI_FALSE) ||
        j->parameterized != NULL)
        return tri_is_true(j->stop);
    if (!is_dead(j))
        return false;
    return tri_is_true(j->stop) || strcmp(type, "batch") == 0 ||
           strcmp(type, "sysbatch") == 0;
}

static void gc_jobs(struct gc *g, struct cmd *out, size_t *added)
{
    int64_t cutoff = g->in->now_unix_ns - g->in->th.job_ns;

    for (size_t i = 0; i < g->in->njobs; i++) {
        const struct job *j = g->in->jobs[i];
        struct map evals, allocs;
        bool all = true;

        if (!job_collectable_kind(j) || j->submit_time > cutoff)
            continue;
        map_init(&evals);
        map_init(&allocs);
        for (size_t k = 0; all && k < g->in->nevals; k++) {
            const struct eval *e = g->in->evals[k];

            if (strcmp(model_str(e->job_id), model_str(j->id)) != 0 ||
                strcmp(model_str(e->namespace), model_str(j->namespace)) != 0)
                continue;
            all = eval_collectable(g, e, cutoff, true, &allocs);
            map_put(&evals, e->id, (void *)e);
        }
        if (all) {
            struct map_iter it;
            const char *id;
            void *v;

            map_iter_init(&it, &allocs);
            while (map_next(&it, &id, &v))
                map_put(&g->allocs_out, id, v);
            map_iter_init(&it, &evals);
            while (map_next(&it, &id, &v))
                map_put(&g->evals_out, id, v);
            cmd_add_key(out, CMD_KEY_JOB, model_str(j->namespace), j->id);
            (*added)++;
        }
        map_release(&evals, NULL);
        map_release(&allocs, NULL);
    }
}

static void gc_evals(struct gc *g)
{
    for (size_t i = 0; i < g->in->nevals; i++) {
        const struct eval *e = g->in->evals[i];
        int64_t th = strcmp(model_str(e->type), "batch") == 0
                         ? g->in->th.batch_eval_ns
                         : g->in->th.eval_ns;

        if (eval_collectable(g, e, g->in->now_unix_ns - th, false,
                             &g->allocs_out))
            map_put(&g->evals_out, e->id, (void *)e);
    }
}

/* True when an alloc that is not terminal names id in field. */
static bool live_alloc_with(const struct gc *g, bool by_node, const char *id)
{
    for (size_t i = 0; i < g->in->nallocs; i++) {
        const struct alloc *a = g->in->allocs[i];
        const char *v = by_node ? a->node_id : a->deployment_id;

        if (v != NULL && strcmp(v, id) == 0 && !alloc_is_terminal(a))
            return true;
    }
    return false;
}

static void emit(struct map *m, int kind, struct cmd *out, size_t *added)
{
    struct map_iter it;
    const char *id;
    void *v;

    map_iter_init(&it, m);
    while (map_next(&it, &id, &v)) {
        cmd_add_key(out, kind, NULL, id);
        (*added)++;
    }
}

size_t gc_select(const struct gc_input *in, struct cmd *out)
{
    struct gc g;
    struct cmd jobs;
    size_t added = 0, njobs = 0;

    memset(&g, 0, sizeof(g));
    g.in = in;
    map_init(&g.jobs);
    map_init(&g.evals_out);
    map_init(&g.allocs_out);
    for (size_t i = 0; i < in->njobs; i++) {
        char *k = job_key(in->jobs[i]->namespace, in->jobs[i]->id);

        map_put(&g.jobs, k, in->jobs[i]);
        free(k);
    }
    g.by_eval = xcalloc(in->nallocs ? in->nallocs : 1, sizeof(*g.by_eval));
    for (size_t i = 0; i < in->nallocs; i++)
        g.by_eval[i] = in->allocs[i];
    qsort(g.by_eval, in->nallocs, sizeof(*g.by_eval), by_eval_cmp);

    cmd_init(&jobs, CMD_GC);
    gc_jobs(&g, &jobs, &njobs);
    gc_evals(&g);
    emit(&g.allocs_out, CMD_KEY_ALLOC, out, &added);
    emit(&g.evals_out, CMD_KEY_EVAL, out, &added);
    for (size_t i = 0; i < jobs.nkeys; i++)
        cmd_add_key(out, CMD_KEY_JOB, jobs.keys[i].namespace, jobs.keys[i].id);
    added += jobs.nkeys;
    cmd_release(&jobs);
    for (size_t i = 0; i < in->ndeployments; i++) {
        const struct deployment *d = in->deployments[i];

        if (deployment_is_active(d) ||
            d->modify_time_unix_ns > in->now_unix_ns - in->th.deployment_ns ||
            live_alloc_with(&g, false, d->id))
            continue;
        cmd_add_key(out, CMD_KEY_DEPLOYMENT, NULL, d->id);
        added++;
    }
    for (size_t i = 0; i < in->nnodes; i++) {
        const struct node *n = in->nodes[i];

        if (strcmp(model_str(n->status), NODE_STATUS_DOWN) != 0 ||
            n->status_updated_at_unix * 1000000000LL >
                in->now_unix_ns - in->th.node_ns ||
            live_alloc_with(&g, true, n->id))
            continue;
        cmd_add_key(out, CMD_KEY_NODE, NULL, n->id);
        added++;
    }
    free(g.by_eval);
    map_release(&g.jobs, NULL);
    map_release(&g.evals_out, NULL);
    map_release(&g.allocs_out, NULL);
    return added;
}
