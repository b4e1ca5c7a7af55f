/*
 * Feasibility: may this node run this group at all, resources aside
 * (reference/scheduling.md §3 "Feasibility"). The checks run in the order
 * of Nomad's stack (job constraints, drivers, group and task constraints,
 * distinct_hosts, distinct_property) and the first that fails names the
 * node's filter reason in the AllocMetric, with the constraint written as
 * Nomad's Constraint.String(): "${attr.kernel.name} = linux".
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "scheduler/constraint.h"
#include "scheduler/sched_int.h"

#define OPERAND_DISTINCT_HOSTS "distinct_hosts"
#define OPERAND_DISTINCT_PROPERTY "distinct_property"

bool sched__node_ready(const struct node *n)
{
    return strcmp(model_str(n->status), NODE_STATUS_READY) == 0 &&
           strcmp(model_str(n->scheduling_eligibility), "ineligible") != 0 &&
           !n->drain;
}

bool sched__node_in_job(const struct job *job, const struct node *n)
{
    const char *pool = model_str(job->node_pool);
    bool dc_ok = false;

    /* The "all" pool is every pool; a job without one runs in default. */
    if (pool[0] == '\0')
        pool = "default";
    if (strcmp(pool, "all") != 0 &&
        strcmp(pool, n->node_pool ? n->node_pool : "default") != 0)
        return false;
    for (size_t i = 0; i < job->datacenters.n && !dc_ok; i++)
        dc_ok = fnmatch(job->datacenters.items[i], model_str(n->datacenter),
                        0) == 0;
    return dc_ok || job->datacenters.n == 0;
}

static void filter(const struct node *n,
                   struct alloc_metric *m,
                   const char *reason)
{
    if (m == NULL)
        return;
    m->nodes_filtered++;
    if (n->node_class != NULL && n->node_class[0] != '\0')
        sched__metric_inc(&m->class_filtered, n->node_class);
    sched__metric_inc(&m->constraint_filtered, reason);
}

static bool is_distinct(const struct constraint *c)
{
    const char *op = model_str(c->operand);

    return strcmp(op, OPERAND_DISTINCT_HOSTS) == 0 ||
           strcmp(op, OPERAND_DISTINCT_PROPERTY) == 0;
}

/* Checks a list of ordinary constraints; distinct_* are handled apart. */
static bool constraints_ok(struct sched *s,
                           const struct node *n,
                           const struct constraint *c,
                           size_t nc,
                           struct alloc_metric *m)
{
    for (size_t i = 0; i < nc; i++) {
        char *reason;

        if (is_distinct(&c[i]) || constraint_node_ok(s->cache, n, &c[i]))
            continue;
        reason = xasprintf("%s %s %s", model_str(c[i].ltarget),
                           model_str(c[i].operand), model_str(c[i].rtarget));
        filter(n, m, reason);
        free(reason);
        return false;
    }
    return true;
}

static bool driver_ok(const struct node *n, const char *name)
{
    const struct node_driver *d = node_find_driver(n, name);
    const char *attr;
    char *key;

    if (d != NULL)
        return d->detected && d->healthy;
    /* Older clients only fingerprint the attribute driver.<name>. */
    key = xasprintf("driver.%s", name);
    attr = strmap_get(&n->attributes, key);
    free(key);
    return attr != NULL &&
           (strcmp(attr, "1") == 0 || strcasecmp(attr, "true") == 0);
}

static bool drivers_ok(const struct node *n,
                       const struct task_group *tg,
                       struct alloc_metric *m)
{
    for (size_t i = 0; i < tg->ntasks; i++) {
        if (tg->tasks[i].driver != NULL && !driver_ok(n, tg->tasks[i].driver)) {
            filter(n, m, "missing drivers");
            return false;
        }
    }
    return true;
}

static bool same_job(const struct sched *s, const struct alloc *a)
{
    return strcmp(model_str(a->job_id), model_str(s->job->id)) == 0 &&
           strcmp(model_str(a->namespace), model_str(s->job->namespace)) == 0;
}

/* Allocs of the job (and of group, unless NULL) proposed on ns. */
static int64_t count_on_node(const struct sched *s,
                             const struct sched_node *ns,
                             const char *group)
{
    int64_t n = 0;

    for (size_t i = 0; i < ns->nallocs; i++) {
        const struct alloc *a = ns->allocs[i];

        if (same_job(s, a) &&
            (group == NULL || strcmp(model_str(a->task_group), group) == 0))
            n++;
    }
    return n;
}

static bool distinct_hosts_ok(const struct sched *s,
                              const struct sched_node *ns,
                              const struct constraint *c,
                              size_t nc,
                              const char *group)
{
    for (size_t i = 0; i < nc; i++) {
        if (strcmp(model_str(c[i].operand), OPERAND_DISTINCT_HOSTS) != 0 ||
            strcasecmp(model_str(c[i].rtarget), "false") == 0)
            continue;
        if (count_on_node(s, ns, group) > 0)
            return false;
    }
    return true;
}

/* Allocs of the job (and group) proposed on nodes whose attr is value. */
static int64_t count_with_property(const struct sched *s,
                                   const char *attr,
                                   const char *value,
                                   const char *group)
{
    int64_t n = 0;

    for (size_t i = 0; i < s->nnodes; i++) {
        const struct sched_node *ns = &s->nodes[i];
        const char *v;

        if (ns->nallocs == 0 || !constraint_resolve(ns->node, attr, &v) ||
            strcmp(v, value) != 0)
            continue;
        n += count_on_node(s, ns, group);
    }
    return n;
}

static bool distinct_property_ok(const struct sched *s,
                                 const struct sched_node *ns,
                                 const struct constraint *c,
                                 size_t nc,
                                 const char *group)
{
    for (size_t i = 0; i < nc; i++) {
        const char *value;
        long allowed = 1;

        if (strcmp(model_str(c[i].operand), OPERAND_DISTINCT_PROPERTY) != 0)
            continue;
        if (c[i].rtarget != NULL && c[i].rtarget[0] != '\0')
            allowed = strtol(c[i].rtarget, NULL, 10);
        if (allowed < 1)
            allowed = 1;
        /* A node without the property cannot prove it is distinct. */
        if (!constraint_resolve(ns->node, model_str(c[i].ltarget), &value))
            return false;
        if (count_with_property(s, c[i].ltarget, value, group) >= allowed)
            return false;
    }
    return true;
}

bool sched__feasible(struct sched *s,
                     const struct sched_node *ns,
                     const struct task_group *tg,
                     struct alloc_metric *m)
{
    const struct job *job = s->job;
    const struct node *n = ns->node;

    if (!constraints_ok(s, n, job->constraints, job->nconstraints, m))
        return false;
    if (!drivers_ok(n, tg, m))
        return false;
    if (!constraints_ok(s, n, tg->constraints, tg->nconstraints, m))
        return false;
    for (size_t i = 0; i < tg->ntasks; i++) {
        const struct task *t = &tg->tasks[i];

        if (!constraints_ok(s, n, t->constraints, t->nconstraints, m))
            return false;
    }
    if (!distinct_hosts_ok(s, ns, job->constraints, job->nconstraints, NULL) ||
        !distinct_hosts_ok(s, ns, tg->constraints, tg->nconstraints,
                           tg->name)) {
        filter(n, m, OPERAND_DISTINCT_HOSTS);
        return false;
    }
    if (!distinct_property_ok(s, ns, job->constraints, job->nconstraints,
                              NULL) ||
        !distinct_property_ok(s, ns, tg->constraints, tg->nconstraints,
                              tg->name)) {
        filter(n, m, OPERAND_DISTINCT_PROPERTY);
        return false;
    }
    return true;
}
