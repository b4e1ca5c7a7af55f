/*
 * The entry point of the scheduler (sched.h): builds the run's view of
 * the cluster (nodes sorted by ID, their proposed allocs, the shuffled
 * candidate list), hands it to the scheduler of the eval's type and owns
 * the helpers every scheduler uses to change the plan.
 */
#include "scheduler/sched.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/time.h"
#include "scheduler/constraint.h"
#include "scheduler/sched_int.h"

/* ================================================================ plan */

void sched_plan_init(struct sched_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    strmap_init(&plan->queued);
}

static void stop_release(struct sched_stop *st)
{
    free(st->alloc_id);
    free(st->node_id);
    free(st->desired_status);
    free(st->desired_description);
    free(st->client_status);
}

void sched_plan_release(struct sched_plan *plan)
{
    free(plan->eval_id);
    for (size_t i = 0; i < plan->nplace; i++)
        alloc_free(plan->place[i]);
    free(plan->place);
    for (size_t i = 0; i < plan->nstop; i++)
        stop_release(&plan->stop[i]);
    free(plan->stop);
    for (size_t i = 0; i < plan->nupdate; i++)
        alloc_free(plan->update[i]);
    free(plan->update);
    for (size_t i = 0; i < plan->nfailed; i++) {
        free(plan->failed[i].group);
        alloc_metric_release(&plan->failed[i].metric);
    }
    free(plan->failed);
    strmap_release(&plan->queued);
    eval_free(plan->blocked_eval);
    for (size_t i = 0; i < plan->nfollowup; i++)
        eval_free(plan->followup[i]);
    free(plan->followup);
    deployment_free(plan->deployment);
    for (size_t i = 0; i < plan->ndeployment_updates; i++) {
        free(plan->deployment_updates[i].deployment_id);
        free(plan->deployment_updates[i].status);
        free(plan->deployment_updates[i].status_description);
    }
    free(plan->deployment_updates);
    for (size_t i = 0; i < plan->ndesired; i++)
        free(plan->desired[i].group);
    free(plan->desired);
    sched_plan_init(plan);
}

/* ================================================================ nodes */

static int node_cmp(const void *a, const void *b)
{
    const struct sched_node *x = a, *y = b;

    return strcmp(model_str(x->node->id), model_str(y->node->id));
}

struct sched_node *sched__node_find(struct sched *s, const char *id)
{
    struct node key_node;
    struct sched_node key = {0};

    if (id == NULL)
        return NULL;
    memset(&key_node, 0, sizeof(key_node));
    key_node.id = (char *)id;
    key.node = &key_node;
    return bsearch(&key, s->nodes, s->nnodes, sizeof(*s->nodes), node_cmp);
}

static bool same_id(const struct alloc *a, const struct alloc *b)
{
    return a == b ||
           (a->id != NULL && b->id != NULL && strcmp(a->id, b->id) == 0);
}

void sched__node_add(struct sched_node *ns, const struct alloc *a)
{
    XGROW(ns->allocs, ns->cap, ns->nallocs + 1);
    ns->allocs[ns->nallocs++] = a;
}

bool sched__node_remove(struct sched_node *ns, const struct alloc *a)
{
    for (size_t i = 0; i < ns->nallocs; i++) {
        if (same_id(ns->allocs[i], a)) {
            /* Order matters to nothing computed from the set. */
            ns->allocs[i] = ns->allocs[--ns->nallocs];
            return true;
        }
    }
    return false;
}

void sched__node_replace(struct sched_node *ns,
                         const struct alloc *old,
                         const struct alloc *a)
{
    for (size_t i = 0; i < ns->nallocs; i++) {
        if (same_id(ns->allocs[i], old)) {
            ns->allocs[i] = a;
            return;
        }
    }
}

static bool node_has(const struct sched_node *ns, const struct alloc *a)
{
    for (size_t i = 0; i < ns->nallocs; i++) {
        if (same_id(ns->allocs[i], a))
            return true;
    }
    return false;
}

static void load_node_allocs(struct sched *s)
{
    const struct sched_input *in = s->in;

    if (in->node_allocs != NULL) {
        for (size_t i = 0; i < s->nnodes; i++) {
            struct alloc *const *list = NULL;
            size_t n =
                in->node_allocs(in->node_allocs_arg, s->nodes[i].node, &list);

            for (size_t k = 0; k < n; k++) {
                if (!alloc_is_terminal(list[k]))
                    sched__node_add(&s->nodes[i], list[k]);
            }
        }
    } else {
        for (size_t i = 0; i < in->ncluster_allocs; i++) {
            const struct alloc *a = in->cluster_allocs[i];
            struct sched_node *ns = sched__node_find(s, a->node_id);

            if (ns != NULL && !alloc_is_terminal(a))
                sched__node_add(ns, a);
        }
    }
    /* The job's own allocs count even if the caller left them out. */
    for (size_t i = 0; i < in->nallocs; i++) {
        const struct alloc *a = in->allocs[i];
        struct sched_node *ns = sched__node_find(s, a->node_id);

        if (ns != NULL && !alloc_is_terminal(a) && !node_has(ns, a))
            sched__node_add(ns, a);
    }
}

static void build_nodes(struct sched *s)
{
    const struct sched_input *in = s->in;

    s->nodes = xcalloc(in->nnodes ? in->nnodes : 1, sizeof(*s->nodes));
    for (size_t i = 0; i < in->nnodes; i++) {
        if (in->nodes[i] == NULL || in->nodes[i]->id == NULL)
            continue;
        s->nodes[s->nnodes++].node = in->nodes[i];
    }
    /* Sorting first makes the plan independent of the caller's order. */
    qsort(s->nodes, s->nnodes, sizeof(*s->nodes), node_cmp);
    s->candidates = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(*s->candidates));
    for (size_t i = 0; i < s->nnodes; i++) {
        struct sched_node *ns = &s->nodes[i];

        ns->ready = sched__node_ready(ns->node);
        ns->in_job = s->job != NULL && sched__node_in_job(s->job, ns->node);
        if (!ns->ready || !ns->in_job)
            continue;
        s->candidates[s->ncandidates++] = ns;
        s->nodes_in_pool++;
        sched__metric_inc(&s->nodes_by_dc, model_str(ns->node->datacenter));
    }
    rng_shuffle(&s->rng, s->candidates, s->ncandidates, sizeof(*s->candidates));
    load_node_allocs(s);
}

/* ================================================================= sets */

void sched__aset_push(struct sched_aset *set, const struct alloc *a)
{
    XGROW(set->v, set->cap, set->n + 1);
    set->v[set->n++] = a;
}

void sched__aset_release(struct sched_aset *set)
{
    free(set->v);
    memset(set, 0, sizeof(*set));
}

static int alloc_index_cmp(const void *pa, const void *pb)
{
    const struct alloc *a = *(const struct alloc *const *)pa;
    const struct alloc *b = *(const struct alloc *const *)pb;
    int64_t ia = alloc_name_index(a), ib = alloc_name_index(b);

    if (ia != ib)
        return ia < ib ? -1 : 1;
    return strcmp(model_str(a->id), model_str(b->id));
}

void sched__aset_sort(struct sched_aset *set)
{
    if (set->n > 1)
        qsort(set->v, set->n, sizeof(*set->v), alloc_index_cmp);
}

bool sched__aset_has(const struct sched_aset *set, const struct alloc *a)
{
    for (size_t i = 0; i < set->n; i++) {
        if (same_id(set->v[i], a))
            return true;
    }
    return false;
}

void sched__placements_push(struct sched_placements *p,
                            const struct sched_place *place)
{
    XGROW(p->v, p->cap, p->n + 1);
    p->v[p->n++] = *place;
}

/* ================================================================ stops */

void sched__stop(struct sched *s,
                 const struct alloc *a,
                 const char *description,
                 const char *client_status)
{
    struct sched_plan *plan = s->plan;
    struct sched_stop *st;
    struct sched_node *ns;

    plan->stop = xrealloc(plan->stop, (plan->nstop + 1) * sizeof(*plan->stop));
    st = &plan->stop[plan->nstop++];
    memset(st, 0, sizeof(*st));
    st->alloc_id = xstrdup(model_str(a->id));
    st->node_id = xstrdup(model_str(a->node_id));
    st->desired_status = xstrdup(ALLOC_DESIRED_STOP);
    st->desired_description = xstrdup(description);
    if (client_status != NULL)
        st->client_status = xstrdup(client_status);
    ns = sched__node_find(s, a->node_id);
    if (ns != NULL)
        sched__node_remove(ns, a);
}

void sched__unstop(struct sched *s, const struct alloc *a)
{
    struct sched_plan *plan = s->plan;
    struct sched_node *ns;

    if (plan->nstop == 0 ||
        strcmp(plan->stop[plan->nstop - 1].alloc_id, model_str(a->id)) != 0)
        return;
    stop_release(&plan->stop[--plan->nstop]);
    ns = sched__node_find(s, a->node_id);
    if (ns != NULL && !alloc_is_terminal(a))
        sched__node_add(ns, a);
}

/* ============================================================= counters */

struct sched_desired *sched__desired(struct sched *s, const char *group)
{
    struct sched_plan *plan = s->plan;
    struct sched_desired *d;

    for (size_t i = 0; i < plan->ndesired; i++) {
        if (strcmp(plan->desired[i].group, group) == 0)
            return &plan->desired[i];
    }
    plan->desired =
        xrealloc(plan->desired, (plan->ndesired + 1) * sizeof(*plan->desired));
    d = &plan->desired[plan->ndesired++];
    memset(d, 0, sizeof(*d));
    d->group = xstrdup(group);
    return d;
}

static int64_t strmap_int(const struct strmap *m, const char *key)
{
    const char *v = strmap_get(m, key);

    return v ? strtoll(v, NULL, 10) : 0;
}

static void strmap_set_int(struct strmap *m, const char *key, int64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRId64, v);
    strmap_set(m, key, buf);
}

void sched__queued_add(struct sched *s, const char *group, int64_t n)
{
    strmap_set_int(&s->plan->queued, group,
                   strmap_int(&s->plan->queued, group) + n);
}

void sched__metric_inc(struct strmap *m, const char *key)
{
    strmap_set_int(m, key, strmap_int(m, key) + 1);
}

void sched__metric_copy(struct alloc_metric *dst,
                        const struct alloc_metric *src)
{
    alloc_metric_init(dst);
    dst->nodes_evaluated = src->nodes_evaluated;
    dst->nodes_filtered = src->nodes_filtered;
    dst->nodes_in_pool = src->nodes_in_pool;
    strmap_copy(&dst->nodes_available, &src->nodes_available);
    strmap_copy(&dst->class_filtered, &src->class_filtered);
    strmap_copy(&dst->constraint_filtered, &src->constraint_filtered);
    dst->nodes_exhausted = src->nodes_exhausted;
    strmap_copy(&dst->class_exhausted, &src->class_exhausted);
    strmap_copy(&dst->dimension_exhausted, &src->dimension_exhausted);
    dst->coalesced_failures = src->coalesced_failures;
    dst->allocation_time_ns = src->allocation_time_ns;
}

void sched__metric_start(struct sched *s, struct alloc_metric *m)
{
    alloc_metric_init(m);
    m->nodes_in_pool = s->nodes_in_pool;
    strmap_copy(&m->nodes_available, &s->nodes_by_dc);
}

bool sched__failed(const struct sched *s, const char *group)
{
    for (size_t i = 0; i < s->plan->nfailed; i++) {
        if (strcmp(s->plan->failed[i].group, group) == 0)
            return true;
    }
    return false;
}

void sched__fail(struct sched *s,
                 const struct task_group *tg,
                 const struct alloc_metric *m)
{
    struct sched_plan *plan = s->plan;
    struct failed_tg_alloc *f;

    for (size_t i = 0; i < plan->nfailed; i++) {
        if (strcmp(plan->failed[i].group, tg->name) == 0) {
            plan->failed[i].metric.coalesced_failures++;
            return;
        }
    }
    plan->failed =
        xrealloc(plan->failed, (plan->nfailed + 1) * sizeof(*plan->failed));
    f = &plan->failed[plan->nfailed++];
    f->group = xstrdup(tg->name);
    sched__metric_copy(&f->metric, m);
}

/* ================================================================ allocs */

bool sched__alloc_outdated(const struct sched *s, const struct alloc *a)
{
    const struct job *old = a->job;

    if (s->job == NULL || old == NULL)
        return false;
    return sched__i64(old->version) != sched__i64(s->job->version) ||
           sched__i64(old->job_modify_index) !=
               sched__i64(s->job->job_modify_index) ||
           sched__i64(old->create_index) != sched__i64(s->job->create_index);
}

const struct task_group *sched__alloc_group(const struct alloc *a,
                                            const struct job *fallback)
{
    const struct task_group *tg = NULL;

    if (a->task_group == NULL)
        return NULL;
    if (a->job != NULL)
        tg = job_find_group(a->job, a->task_group);
    if (tg == NULL && fallback != NULL)
        tg = job_find_group(fallback, a->task_group);
    return tg;
}

void sched__stop_all(struct sched *s)
{
    for (size_t i = 0; i < s->in->nallocs; i++) {
        const struct alloc *a = s->in->allocs[i];
        struct sched_node *ns = sched__node_find(s, a->node_id);
        bool lost =
            ns == NULL ||
            !strcmp(model_str(ns->node->status), NODE_STATUS_DOWN) ||
            !strcmp(model_str(ns->node->status), NODE_STATUS_DISCONNECTED);

        if (alloc_is_terminal(a))
            continue;
        sched__desired(s, model_str(a->task_group))->stop++;
        if (lost)
            sched__stop(s, a, SCHED_DESC_LOST, ALLOC_CLIENT_LOST);
        else
            sched__stop(s, a, SCHED_DESC_NOT_NEEDED, NULL);
    }
}

void sched__new_id(struct sched *s, char out[ID_UUID_LEN + 1])
{
    memset(out, 0, ID_UUID_LEN + 1);
    s->in->new_id(s->in->new_id_arg, out);
    out[ID_UUID_LEN] = '\0';
}

/* ================================================================== run */

static int scheduler_type(const struct sched_input *in, struct err *err)
{
    const char *type = in->eval->type;
    int flag;

    if (type == NULL || type[0] == '\0')
        type = in->job ? in->job->type : NULL;
    flag = job_type_flag(type);
    if (flag == 0)
        return err_set(err, ERR_INVALID, "unknown scheduler type \"%s\"",
                       model_str(type));
    return flag;
}

static void sched_release(struct sched *s)
{
    for (size_t i = 0; i < s->nnodes; i++)
        free(s->nodes[i].allocs);
    free(s->nodes);
    free(s->candidates);
    strmap_release(&s->nodes_by_dc);
    free(s->destructive.v);
    free(s->place.v);
    sched__aset_release(&s->inplace);
    json_decref(s->job_json);
    for (size_t i = 0; i < s->ndiffs; i++)
        free(s->diffs[i].group);
    free(s->diffs);
    constraint_cache_free(s->cache);
}

int sched_run(const struct sched_input *in,
              struct sched_plan *plan,
              struct err *err)
{
    struct sched s;
    int type;

    if (in == NULL || in->eval == NULL || in->new_id == NULL)
        return err_set(err, ERR_INVALID,
                       "scheduler input needs an eval "
                       "and an id generator");
    type = scheduler_type(in, err);
    if (type < 0)
        return type;

    memset(&s, 0, sizeof(s));
    s.in = in;
    s.plan = plan;
    s.job = in->job;
    s.type = type;
    s.now_ns = in->now_unix_ms * NS_PER_MS;
    rng_seed(&s.rng, in->seed);
    s.cache = constraint_cache_new();
    strmap_init(&s.nodes_by_dc);
    model_set_str(&plan->eval_id, in->eval->id);

    build_nodes(&s);
    if (s.job != NULL) {
        for (size_t i = 0; i < s.job->ngroups; i++)
            sched__queued_add(&s, s.job->groups[i].name, 0);
    }
    if (type & (JOB_TYPE_SYSTEM | JOB_TYPE_SYSBATCH))
        sched__run_system(&s);
    else
        sched__run_generic(&s);
    if (plan->nfailed > 0)
        sched__blocked_eval(&s);
    sched_release(&s);
    return 0;
}
