/*
 * Carrying out what a scheduler decided: placing the queued requests
 * (Nomad's computePlacements) and applying in-place updates.
 *
 * Destructive updates are placed first. Each stops the old alloc before
 * looking for a node, so its room counts as free (it may land on the same
 * node), and takes the stop back if nothing fits: the old version keeps
 * running rather than leaving a hole. Once a group has failed to place,
 * its further placements are not tried but counted into the first
 * failure's CoalescedFailures, as Nomad does; system placements try every
 * node anyway, since each has its own.
 */
#include <string.h>

#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "scheduler/sched_int.h"

bool sched__feasible_for(struct sched *s,
                         struct sched_node *ns,
                         const struct task_group *tg,
                         const struct alloc *a)
{
    bool removed = a != NULL && sched__node_remove(ns, a);
    bool ok = sched__feasible(s, ns, tg, NULL);

    if (removed)
        sched__node_add(ns, a);
    return ok;
}

/* A system placement: only p->node is tried. */
static bool select_node(struct sched *s,
                        const struct sched_place *p,
                        struct alloc_metric *m,
                        struct sched_option *opt,
                        bool *filtered)
{
    int64_t filtered_before = m->nodes_filtered;

    m->nodes_evaluated++;
    if (!sched__feasible(s, p->node, p->tg, m)) {
        *filtered = m->nodes_filtered > filtered_before;
        return false;
    }
    if (!sched__fit(s, p->node, p->tg, m, opt))
        return false;
    return true;
}

static void place_one(struct sched *s, const struct sched_place *p)
{
    struct alloc_metric m;
    struct sched_option opt;
    bool ok, filtered = false;

    if (p->node == NULL && sched__failed(s, p->tg->name)) {
        sched__fail(s, p->tg, NULL);
        sched__queued_add(s, p->tg->name, 1);
        return;
    }
    if (p->destructive)
        sched__stop(s, p->prev, SCHED_DESC_UPDATING, NULL);
    sched__metric_start(s, &m);
    if (p->node != NULL)
        ok = select_node(s, p, &m, &opt, &filtered);
    else
        ok = sched__select(s, p, &m, &opt);
    if (ok) {
        sched__place_alloc(s, p, &opt, &m);
    } else {
        if (p->destructive)
            sched__unstop(s, p->prev);
        /* A node the group cannot use is not a failure to report. */
        if (!filtered) {
            sched__fail(s, p->tg, &m);
            sched__queued_add(s, p->tg->name, 1);
        }
    }
    alloc_metric_release(&m);
}

void sched__place_all(struct sched *s)
{
    for (size_t i = 0; i < s->destructive.n; i++)
        place_one(s, &s->destructive.v[i]);
    for (size_t i = 0; i < s->place.n; i++)
        place_one(s, &s->place.v[i]);
}

void sched__apply_inplace(struct sched *s)
{
    for (size_t i = 0; i < s->inplace.n; i++)
        sched__update_alloc(s, s->inplace.v[i]);
}
