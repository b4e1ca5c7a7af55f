/*
 * Rescheduling of failed allocs (reference/scheduling.md §5), as Nomad's
 * Allocation.NextDelay / NextRescheduleTime and the reconciler's
 * updateByReschedulable do it.
 *
 * A failed alloc (client "failed", desired "run", not replaced yet) is
 *   - rescheduled now when its delay has passed (within a 1 s window) or
 *     when this eval is the follow-up eval made for it;
 *   - rescheduled later when the delay has not passed: a follow-up eval
 *     with WaitUntil is made and its ID recorded in the alloc;
 *   - left alone when its policy allows no more attempts in the interval.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/job.h"
#include "lib/time.h"
#include "scheduler/sched_int.h"

#define RESCHEDULE_WINDOW_NS (1 * NS_PER_SEC)
/* With unlimited attempts only the last few events are carried on. */
#define MAX_PAST_EVENTS 5

const struct reschedule_policy *sched__reschedule_policy(
    const struct alloc *a,
    const struct job *fallback)
{
    const struct task_group *tg = sched__alloc_group(a, fallback);

    return tg ? tg->reschedule_policy : NULL;
}

/* When the alloc last changed: its tasks' last finish, else its record. */
static int64_t last_event_ns(const struct alloc *a)
{
    int64_t last = 0;

    for (size_t i = 0; i < a->ntask_states; i++) {
        if (a->task_states[i].finished_at_unix_ns > last)
            last = a->task_states[i].finished_at_unix_ns;
    }
    if (last == 0 && a->modify_time_unix_ns > 0)
        last = a->modify_time_unix_ns;
    return last;
}

static int64_t delay_for(const struct alloc *a,
                         const struct reschedule_policy *p)
{
    const struct reschedule_event *ev = a->reschedule_events;
    size_t n = a->nreschedule_events;
    int64_t base = sched__i64(p->delay_ns);
    int64_t max = sched__i64(p->max_delay_ns);
    const char *fn = model_str(p->delay_function);
    int64_t delay = base;

    if (n == 0)
        return base;
    if (strcmp(fn, "exponential") == 0) {
        delay = ev[n - 1].delay_ns * 2;
    } else if (strcmp(fn, "fibonacci") == 0) {
        if (n >= 2) {
            int64_t n1 = ev[n - 1].delay_ns, n2 = ev[n - 2].delay_ns;

            /* A reset after the cap starts a new series. */
            delay = (n2 == max && n1 == base) ? n1 : n1 + n2;
        }
    } else {
        return base;
    }
    if (max > 0 && delay > max) {
        delay = max;
        /* Ran longer than the cap since the last reschedule: start over. */
        if (last_event_ns(a) - ev[n - 1].reschedule_time_unix_ns > delay)
            delay = base;
    }
    return delay;
}

int64_t sched_reschedule_delay_ns(const struct alloc *a, const struct job *job)
{
    const struct reschedule_policy *p = sched__reschedule_policy(a, job);

    return p ? delay_for(a, p) : 0;
}

/* Reschedules of a within interval before fail_ns. */
static int64_t attempts_in_interval(const struct alloc *a,
                                    const struct reschedule_policy *p,
                                    int64_t fail_ns)
{
    int64_t n = 0, interval = sched__i64(p->interval_ns);

    for (size_t i = 0; i < a->nreschedule_events; i++) {
        if (fail_ns - a->reschedule_events[i].reschedule_time_unix_ns <
            interval)
            n++;
    }
    return n;
}

static bool eligible(const struct alloc *a,
                     const struct reschedule_policy *p,
                     int64_t fail_ns,
                     int64_t delay)
{
    int64_t attempts = sched__i64(p->attempts);

    if (tri_is_true(p->unlimited))
        return true;
    if (attempts <= 0)
        return false;
    if (a->nreschedule_events == 0)
        return true;
    return attempts_in_interval(a, p, fail_ns) < attempts &&
           delay < sched__i64(p->interval_ns);
}

/* Inside an active deployment, failed allocs wait for its verdict. */
static bool held_by_deployment(const struct sched *s, const struct alloc *a)
{
    const struct deployment *d = s->deployment;

    return d != NULL && a->deployment_id != NULL &&
           strcmp(a->deployment_id, model_str(d->id)) == 0 &&
           deployment_is_active(d) && !tri_is_true(a->desired_reschedule);
}

void sched__reschedule_check(const struct sched *s,
                             const struct alloc *a,
                             bool *now,
                             bool *later,
                             int64_t *at_ns)
{
    const struct reschedule_policy *p = sched__reschedule_policy(a, s->job);
    int64_t fail_ns, delay;

    *now = *later = false;
    *at_ns = 0;
    if (p == NULL || held_by_deployment(s, a))
        return;
    if (tri_is_true(a->desired_force_reschedule))
        *now = true;
    /* A failure without a timestamp counts as failing now. */
    fail_ns = last_event_ns(a);
    if (fail_ns == 0)
        fail_ns = s->now_ns;
    delay = delay_for(a, p);
    *at_ns = fail_ns + delay;
    if (!eligible(a, p, fail_ns, delay))
        return;
    if ((a->followup_eval_id != NULL && s->in->eval->id != NULL &&
         strcmp(a->followup_eval_id, s->in->eval->id) == 0) ||
        *at_ns - s->now_ns <= RESCHEDULE_WINDOW_NS) {
        *now = true;
        return;
    }
    if (!*now && (a->followup_eval_id == NULL || a->followup_eval_id[0] == 0))
        *later = true;
}

static void push_event(struct alloc *a, const struct reschedule_event *ev)
{
    struct reschedule_event *e;

    a->reschedule_events =
        xrealloc(a->reschedule_events,
                 (a->nreschedule_events + 1) * sizeof(*a->reschedule_events));
    e = &a->reschedule_events[a->nreschedule_events++];
    e->reschedule_time_unix_ns = ev->reschedule_time_unix_ns;
    e->prev_alloc_id = xstrdup(model_str(ev->prev_alloc_id));
    e->prev_node_id = xstrdup(model_str(ev->prev_node_id));
    e->delay_ns = ev->delay_ns;
}

void sched__reschedule_track(const struct sched *s,
                             struct alloc *a,
                             const struct alloc *prev)
{
    const struct reschedule_policy *p = sched__reschedule_policy(prev, s->job);
    struct reschedule_event ev;
    size_t start = 0;

    if (p != NULL && sched__i64(p->attempts) > 0) {
        /* Only events inside the interval still count against attempts. */
        for (size_t i = 0; i < prev->nreschedule_events; i++) {
            const struct reschedule_event *e = &prev->reschedule_events[i];

            if (sched__i64(p->interval_ns) > 0 &&
                s->now_ns - e->reschedule_time_unix_ns <= p->interval_ns)
                push_event(a, e);
        }
    } else {
        if (prev->nreschedule_events > MAX_PAST_EVENTS)
            start = prev->nreschedule_events - MAX_PAST_EVENTS;
        for (size_t i = start; i < prev->nreschedule_events; i++)
            push_event(a, &prev->reschedule_events[i]);
    }
    ev.reschedule_time_unix_ns = s->now_ns;
    ev.prev_alloc_id = prev->id;
    ev.prev_node_id = prev->node_id;
    ev.delay_ns = p ? delay_for(prev, p) : 0;
    push_event(a, &ev);
}
