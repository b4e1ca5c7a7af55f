/*
 * Resources fit and ranking (reference/scheduling.md §3 "Ranking").
 *
 * A candidate that is feasible and fits gets a list of scores, each in
 * [-1, 1], and its final score is their mean, as Nomad's
 * ScoreNormalizationIterator computes it:
 *
 *   bin-packing   always: 20 - (10^freeCpu + 10^freeMem), clamped to
 *                 [0, 18], over 18 (full node 1.0, empty node ~0)
 *   anti-affinity when the node already has c allocs of the job and group:
 *                 -(c + 1) / count
 *   reschedule    -1 on nodes where the replaced alloc ran before
 *   affinity      sum of matching weights over sum of |weights|, if not 0
 *   spread        boost toward target percentages (or an even spread), if
 *                 not 0
 *
 * Only a sample of the shuffled candidates is ranked (Nomad's
 * LimitIterator): 2 for batch, max(2, ceil(log2(nodes))) for service,
 * max(count, 100) with affinities or spreads. Up to 3 candidates scoring
 * 0 or less are set aside while better ones are looked for, and used only
 * if the sample is not filled otherwise. The best score wins; the first
 * seen wins a tie.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "scheduler/constraint.h"
#include "scheduler/sched_int.h"

#define BINPACK_MAX_SCORE 18.0
#define LIMIT_MAX_SKIP 3
#define LIMIT_AFFINITY 100

/* ============================================================ resources */

static void group_demand(const struct task_group *tg,
                         int64_t *cpu,
                         int64_t *mem,
                         int64_t *disk)
{
    *cpu = *mem = *disk = 0;
    for (size_t i = 0; i < tg->ntasks; i++) {
        const struct resources *r = tg->tasks[i].resources;

        if (r == NULL)
            continue;
        *cpu += sched__i64(r->cpu);
        *mem += sched__i64(r->memory_mb);
    }
    if (tg->ephemeral_disk != NULL)
        *disk = sched__i64(tg->ephemeral_disk->size_mb);
}

void sched__alloc_usage(const struct alloc *a,
                        int64_t *cpu,
                        int64_t *mem,
                        int64_t *disk)
{
    const struct task_group *tg = sched__alloc_group(a, NULL);

    *cpu = *mem = *disk = 0;
    if (a->ntask_resources > 0) {
        for (size_t i = 0; i < a->ntask_resources; i++) {
            *cpu += sched__i64(a->task_resources[i].cpu_shares);
            *mem += sched__i64(a->task_resources[i].memory_mb);
        }
        if (a->shared_disk_mb > 0)
            *disk = a->shared_disk_mb;
        else if (tg != NULL && tg->ephemeral_disk != NULL)
            *disk = sched__i64(tg->ephemeral_disk->size_mb);
    } else if (tg != NULL) {
        group_demand(tg, cpu, mem, disk);
    }
}

static void node_used(const struct sched_node *ns,
                      int64_t *cpu,
                      int64_t *mem,
                      int64_t *disk)
{
    *cpu = *mem = *disk = 0;
    for (size_t i = 0; i < ns->nallocs; i++) {
        int64_t c, m, d;

        sched__alloc_usage(ns->allocs[i], &c, &m, &d);
        *cpu += c;
        *mem += m;
        *disk += d;
    }
}

static void exhausted(const struct node *n,
                      struct alloc_metric *m,
                      const char *dimension)
{
    m->nodes_exhausted++;
    if (n->node_class != NULL && n->node_class[0] != '\0')
        sched__metric_inc(&m->class_exhausted, n->node_class);
    sched__metric_inc(&m->dimension_exhausted, dimension);
}

static double free_fraction(int64_t used, int64_t avail)
{
    if (avail <= 0)
        return 0.0;
    return 1.0 - (double)used / (double)avail;
}

static double binpack_score(const struct sched *s,
                            int64_t used_cpu,
                            int64_t avail_cpu,
                            int64_t used_mem,
                            int64_t avail_mem)
{
    double total = pow(10.0, free_fraction(used_cpu, avail_cpu)) +
                   pow(10.0, free_fraction(used_mem, avail_mem));
    double score = s->in->algorithm_spread ? total - 2.0 : 20.0 - total;

    if (score > BINPACK_MAX_SCORE)
        score = BINPACK_MAX_SCORE;
    if (score < 0.0)
        score = 0.0;
    return score / BINPACK_MAX_SCORE;
}

bool sched__fit(struct sched *s,
                struct sched_node *ns,
                const struct task_group *tg,
                struct alloc_metric *m,
                struct sched_option *opt)
{
    const struct node *n = ns->node;
    int64_t cpu, mem, disk, want_cpu, want_mem, want_disk;
    int64_t avail_cpu = n->resources.cpu_shares - n->reserved.cpu_shares;
    int64_t avail_mem = n->resources.memory_mb - n->reserved.memory_mb;
    int64_t avail_disk = n->resources.disk_mb - n->reserved.disk_mb;
    const char *dimension = NULL;
    char why[160];

    memset(opt, 0, sizeof(*opt));
    /* Ports first, as Nomad's BinPackIterator does. */
    if (!sched__ports_assign(s, ns, tg, &opt->ports, &opt->nports, why,
                             sizeof(why))) {
        char dim[200];

        snprintf(dim, sizeof(dim), "network: %s", why);
        exhausted(n, m, dim);
        return false;
    }
    node_used(ns, &cpu, &mem, &disk);
    group_demand(tg, &want_cpu, &want_mem, &want_disk);
    cpu += want_cpu;
    mem += want_mem;
    disk += want_disk;
    if (cpu > avail_cpu)
        dimension = "cpu";
    else if (mem > avail_mem)
        dimension = "memory";
    else if (n->resources.disk_mb > 0 && disk > avail_disk)
        dimension = "disk"; /* only checked when the node reports disk */
    if (dimension != NULL) {
        sched__option_release(opt);
        exhausted(n, m, dimension);
        return false;
    }
    opt->ns = ns;
    opt->score = binpack_score(s, cpu, avail_cpu, mem, avail_mem);
    return true;
}

void sched__option_release(struct sched_option *opt)
{
    sched__ports_free(opt->ports, opt->nports);
    opt->ports = NULL;
    opt->nports = 0;
}

/* ============================================================== scoring */

static bool same_job_group(const struct sched *s,
                           const struct alloc *a,
                           const char *group)
{
    return strcmp(model_str(a->job_id), model_str(s->job->id)) == 0 &&
           strcmp(model_str(a->namespace), model_str(s->job->namespace)) == 0 &&
           strcmp(model_str(a->task_group), group) == 0;
}

static int64_t collisions(const struct sched *s,
                          const struct sched_node *ns,
                          const char *group)
{
    int64_t c = 0;

    for (size_t i = 0; i < ns->nallocs; i++)
        c += same_job_group(s, ns->allocs[i], group);
    return c;
}

static bool penalized(const struct sched_place *p, const struct node *n)
{
    const struct alloc *prev = p->prev;

    if (!p->reschedule || prev == NULL)
        return false;
    if (strcmp(model_str(prev->node_id), model_str(n->id)) == 0)
        return true;
    for (size_t i = 0; i < prev->nreschedule_events; i++) {
        if (strcmp(model_str(prev->reschedule_events[i].prev_node_id),
                   model_str(n->id)) == 0)
            return true;
    }
    return false;
}

static void affinity_sum(struct sched *s,
                         const struct node *n,
                         const struct affinity *a,
                         size_t na,
                         double *total,
                         double *weights)
{
    for (size_t i = 0; i < na; i++) {
        struct constraint c = {a[i].ltarget, a[i].rtarget, a[i].operand};
        double w = (double)sched__i64(a[i].weight);

        *weights += fabs(w);
        if (constraint_node_ok(s->cache, n, &c))
            *total += w;
    }
}

static double affinity_score(struct sched *s,
                             const struct task_group *tg,
                             const struct node *n)
{
    double total = 0.0, weights = 0.0;

    affinity_sum(s, n, s->job->affinities, s->job->naffinities, &total,
                 &weights);
    affinity_sum(s, n, tg->affinities, tg->naffinities, &total, &weights);
    for (size_t i = 0; i < tg->ntasks; i++)
        affinity_sum(s, n, tg->tasks[i].affinities, tg->tasks[i].naffinities,
                     &total, &weights);
    return weights > 0.0 ? total / weights : 0.0;
}

/* Allocs of the job's group per value of attr, over every node. */
struct use_map
{
    const char **values;
    int64_t *counts;
    size_t n;
};

static void use_map_build(const struct sched *s,
                          const char *attr,
                          const char *group,
                          struct use_map *u)
{
    memset(u, 0, sizeof(*u));
    for (size_t i = 0; i < s->nnodes; i++) {
        const struct sched_node *ns = &s->nodes[i];
        int64_t c = collisions(s, ns, group);
        const char *v;
        size_t k;

        if (c == 0 || !constraint_resolve(ns->node, attr, &v))
            continue;
        for (k = 0; k < u->n && strcmp(u->values[k], v) != 0; k++)
            ;
        if (k == u->n) {
            u->values = xrealloc(u->values, (u->n + 1) * sizeof(*u->values));
            u->counts = xrealloc(u->counts, (u->n + 1) * sizeof(*u->counts));
            u->values[k] = v;
            u->counts[k] = 0;
            u->n++;
        }
        u->counts[k] += c;
    }
}

static int64_t use_map_get(const struct use_map *u, const char *value)
{
    for (size_t k = 0; k < u->n; k++) {
        if (strcmp(u->values[k], value) == 0)
            return u->counts[k];
    }
    return 0;
}

/* Nomad's evenSpreadScoreBoost: favour the least used values. */
static double even_boost(const struct use_map *u, const char *value)
{
    int64_t cur = use_map_get(u, value), min = 0, max = 0;

    if (u->n == 0)
        return 0.0;
    for (size_t k = 0; k < u->n; k++) {
        if (min == 0 || u->counts[k] < min)
            min = u->counts[k];
        if (max == 0 || u->counts[k] > max)
            max = u->counts[k];
    }
    if (cur != min)
        return (double)(min - cur) / (double)min;
    if (min == max)
        return -1.0;
    return (double)(max - cur) / (double)min;
}

static double target_desired(const struct spread *sp,
                             const char *value,
                             int64_t count)
{
    double sum = 0.0;

    for (size_t i = 0; i < sp->ntargets; i++) {
        double d =
            (double)sched__i64(sp->targets[i].percent) / 100.0 * (double)count;

        if (strcmp(model_str(sp->targets[i].value), value) == 0)
            return d;
        sum += d;
    }
    /* The values nobody named share what the targets leave over. */
    if (sum > 0.0 && sum < (double)count)
        return (double)count - sum;
    return 0.0;
}

static double spread_one(const struct sched *s,
                         const struct task_group *tg,
                         const struct spread *sp,
                         const struct node *n,
                         int64_t weights)
{
    struct use_map u;
    const char *value;
    double boost, desired;

    if (!constraint_resolve(n, model_str(sp->attribute), &value))
        return -1.0;
    use_map_build(s, model_str(sp->attribute), tg->name, &u);
    if (sp->ntargets == 0) {
        boost = even_boost(&u, value);
    } else {
        desired = target_desired(sp, value, sched__i64(tg->count));
        if (desired <= 0.0)
            boost = -1.0;
        else
            boost = (desired - (double)(use_map_get(&u, value) + 1)) / desired *
                    (double)sched__i64(sp->weight) /
                    (double)(weights > 0 ? weights : 1);
    }
    free(u.values);
    free(u.counts);
    return boost;
}

static double spread_score(const struct sched *s,
                           const struct task_group *tg,
                           const struct node *n)
{
    int64_t weights = 0;
    double total = 0.0;

    for (size_t i = 0; i < s->job->nspreads; i++)
        weights += sched__i64(s->job->spreads[i].weight);
    for (size_t i = 0; i < tg->nspreads; i++)
        weights += sched__i64(tg->spreads[i].weight);
    for (size_t i = 0; i < s->job->nspreads; i++)
        total += spread_one(s, tg, &s->job->spreads[i], n, weights);
    for (size_t i = 0; i < tg->nspreads; i++)
        total += spread_one(s, tg, &tg->spreads[i], n, weights);
    return total;
}

static double final_score(struct sched *s,
                          const struct sched_place *p,
                          const struct sched_option *opt)
{
    const struct task_group *tg = p->tg;
    const struct node *n = opt->ns->node;
    int64_t c = collisions(s, opt->ns, tg->name);
    int64_t count = sched__i64(tg->count) > 0 ? tg->count : 1;
    double sum = opt->score, v;
    int scores = 1;

    if (c > 0) {
        sum += -(double)(c + 1) / (double)count;
        scores++;
    }
    if (penalized(p, n)) {
        sum += -1.0;
        scores++;
    }
    v = affinity_score(s, tg, n);
    if (v != 0.0) {
        sum += v;
        scores++;
    }
    if (s->job->nspreads > 0 || tg->nspreads > 0) {
        v = spread_score(s, tg, n);
        if (v != 0.0) {
            sum += v;
            scores++;
        }
    }
    return sum / scores;
}

/* ============================================================ selecting */

static bool has_affinities(const struct job *job, const struct task_group *tg)
{
    if (job->naffinities > 0 || tg->naffinities > 0 || job->nspreads > 0 ||
        tg->nspreads > 0)
        return true;
    for (size_t i = 0; i < tg->ntasks; i++) {
        if (tg->tasks[i].naffinities > 0)
            return true;
    }
    return false;
}

static size_t select_limit(const struct sched *s, const struct task_group *tg)
{
    size_t limit = 2, log2n = 0;

    if (has_affinities(s->job, tg)) {
        int64_t count = sched__i64(tg->count);

        return count > LIMIT_AFFINITY ? (size_t)count : LIMIT_AFFINITY;
    }
    if (s->type & JOB_TYPE_BATCH)
        return limit;
    while (((size_t)1 << log2n) < s->ncandidates)
        log2n++;
    return log2n > limit ? log2n : limit;
}

static void consider(struct sched_option *best,
                     bool *have,
                     struct sched_option *opt)
{
    if (!*have || opt->score > best->score) {
        if (*have)
            sched__option_release(best);
        *best = *opt;
        *have = true;
    } else {
        sched__option_release(opt);
    }
}

bool sched__select(struct sched *s,
                   const struct sched_place *p,
                   struct alloc_metric *m,
                   struct sched_option *out)
{
    struct sched_option skipped[LIMIT_MAX_SKIP], best, opt;
    size_t nskipped = 0, seen = 0, limit = select_limit(s, p->tg);
    bool have = false;

    memset(&best, 0, sizeof(best));
    for (size_t visited = 0; visited < s->ncandidates && seen < limit;
         visited++) {
        struct sched_node *ns = s->candidates[s->cursor];

        s->cursor = (s->cursor + 1) % s->ncandidates;
        m->nodes_evaluated++;
        if (!sched__feasible(s, ns, p->tg, m) ||
            !sched__fit(s, ns, p->tg, m, &opt))
            continue;
        opt.score = final_score(s, p, &opt);
        if (opt.score <= 0.0 && nskipped < LIMIT_MAX_SKIP) {
            skipped[nskipped++] = opt;
            continue;
        }
        seen++;
        consider(&best, &have, &opt);
    }
    for (size_t i = 0; i < nskipped; i++) {
        if (seen < limit) {
            seen++;
            consider(&best, &have, &skipped[i]);
        } else {
            sched__option_release(&skipped[i]);
        }
    }
    if (have)
        *out = best;
    return have;
}
