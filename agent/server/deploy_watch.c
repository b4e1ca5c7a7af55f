/* The deployment watcher's decisions (see deploy_watch.h). */
#include "agent/server/deploy_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/job.h"

void deploy_watch_out_release(struct deploy_watch_out *out)
{
    deployment_free(out->d);
    job_free(out->rollback);
    for (size_t i = 0; i < out->nunhealthy; i++)
        free(out->unhealthy[i]);
    free(out->unhealthy);
    for (size_t i = 0; i < out->nreplace; i++)
        free(out->replace[i]);
    free(out->replace);
    for (size_t i = 0; i < out->nhealthy; i++)
        free(out->healthy[i]);
    free(out->healthy);
    memset(out, 0, sizeof(*out));
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(model_str(a), model_str(b)) == 0;
}

static bool is_running(const struct deployment *d)
{
    return str_eq(d->status, DEPLOYMENT_STATUS_RUNNING);
}

static bool in_deployment(const struct deployment *d, const struct alloc *a)
{
    return a->deployment_id != NULL && str_eq(a->deployment_id, d->id);
}

static enum tri health(const struct alloc *a)
{
    return a->deployment_status ? a->deployment_status->healthy : TRI_UNSET;
}

static bool is_canary(const struct alloc *a)
{
    return a->deployment_status != NULL && a->deployment_status->canary;
}

static int64_t positive(int64_t v)
{
    return v == MODEL_UNSET || v < 0 ? 0 : v;
}

static void earliest(int64_t *next, int64_t at)
{
    if (at > 0 && (*next == 0 || at < *next))
        *next = at;
}

static int64_t healthy_deadline_ns(const struct deploy_watch_in *in,
                                   const char *group)
{
    const struct task_group *tg;

    if (in->job == NULL)
        return 0;
    tg = job_find_group(in->job, group);
    if (tg == NULL || tg->update == NULL)
        return 0;
    return positive(tg->update->healthy_deadline_ns);
}

/* ============================================================ counting */

/* An alloc updated in place joined the deployment when it began. */
static int64_t joined_at(const struct deployment *d, const struct alloc *a)
{
    return d->create_time_unix_ns > a->create_time_unix_ns
               ? d->create_time_unix_ns
               : a->create_time_unix_ns;
}

/* What the allocs of one group say, beyond the deployment's counters. */
struct group_tally
{
    int64_t healthy_running; /* healthy and not terminal */
    int64_t healthy_canaries;
    int64_t first_placed_unix_ns;
    int64_t last_healthy_unix_ns;
    bool fail_early; /* an unhealthy alloc that will not be replaced */
};

static void push_id(char ***ids, size_t *n, const char *id)
{
    *ids = xrealloc(*ids, (*n + 1) * sizeof(char *));
    (*ids)[(*n)++] = xstrdup(id);
}

static void push_unhealthy(struct deploy_watch_out *out, const char *id)
{
    push_id(&out->unhealthy, &out->nunhealthy, id);
}

/*
 * An alloc whose health is still unknown past healthy_deadline counts as
 * unhealthy, and is marked so; before that its deadline is a wake-up.
 */
static enum tri health_by_deadline(const struct deploy_watch_in *in,
                                   const struct alloc *a,
                                   struct deploy_watch_out *out)
{
    int64_t hd = healthy_deadline_ns(in, model_str(a->task_group));
    int64_t from = joined_at(in->d, a), at;

    if (health(a) != TRI_UNSET)
        return health(a);
    if (strcmp(model_str(a->client_status), ALLOC_CLIENT_FAILED) == 0)
        return TRI_FALSE;
    if (hd == 0 || alloc_is_terminal(a) || from <= 0 || !is_running(in->d))
        return TRI_UNSET;
    at = from + hd;
    if (in->now_unix_ns >= at) {
        push_unhealthy(out, model_str(a->id));
        return TRI_FALSE;
    }
    earliest(&out->next_unix_ns, at);
    return TRI_UNSET;
}

/* Nomad's Allocation.RescheduleEligible: attempts left in the interval. */
static bool reschedule_eligible(const struct deploy_watch_in *in,
                                const struct alloc *a)
{
    const struct task_group *tg =
        in->job ? job_find_group(in->job, model_str(a->task_group)) : NULL;
    const struct reschedule_policy *p = tg ? tg->reschedule_policy : NULL;
    int64_t attempts, window, n = 0;

    if (p == NULL)
        return false;
    if (tri_is_true(p->unlimited))
        return true;
    attempts = positive(p->attempts);
    window = in->now_unix_ns - positive(p->interval_ns);
    for (size_t i = 0; i < a->nreschedule_events; i++) {
        if (a->reschedule_events[i].reschedule_time_unix_ns > window)
            n++;
    }
    return n < attempts;
}

/*
 * Nomad's shouldFailEarly and allowReplacements: without a progress
 * deadline, or when it cannot be rescheduled any more, an unhealthy alloc
 * fails the deployment; otherwise a failed one is let go to the scheduler
 * to be replaced, and the progress deadline judges.
 */
static void judge_unhealthy(const struct deploy_watch_in *in,
                            const struct alloc *a,
                            const struct deployment_group *g,
                            struct group_tally *t,
                            struct deploy_watch_out *out)
{
    if (!is_running(in->d) ||
        strcmp(model_str(a->desired_status), ALLOC_DESIRED_RUN) != 0)
        return;
    if (positive(g->progress_deadline_ns) == 0 || !reschedule_eligible(in, a)) {
        t->fail_early = true;
        return;
    }
    if (strcmp(model_str(a->client_status), ALLOC_CLIENT_FAILED) == 0 &&
        !tri_is_true(a->desired_reschedule)) {
        push_id(&out->replace, &out->nreplace, model_str(a->id));
        out->create_eval = true;
    }
}

static void count_alloc(const struct deploy_watch_in *in,
                        const struct alloc *a,
                        struct deployment_group *g,
                        struct group_tally *t,
                        struct deploy_watch_out *out)
{
    enum tri h = health_by_deadline(in, a, out);

    g->placed_allocs++;
    if (is_canary(a))
        strlist_push(&g->placed_canaries, model_str(a->id));
    if (t->first_placed_unix_ns == 0 ||
        (joined_at(in->d, a) > 0 &&
         joined_at(in->d, a) < t->first_placed_unix_ns))
        t->first_placed_unix_ns = joined_at(in->d, a);
    if (h == TRI_FALSE) {
        g->unhealthy_allocs++;
        judge_unhealthy(in, a, g, t, out);
        return;
    }
    if (h != TRI_TRUE)
        return;
    g->healthy_allocs++;
    if (a->deployment_status->timestamp_unix_ns > t->last_healthy_unix_ns)
        t->last_healthy_unix_ns = a->deployment_status->timestamp_unix_ns;
    if (alloc_is_terminal(a))
        return;
    t->healthy_running++;
    if (is_canary(a))
        t->healthy_canaries++;
}

static void recount(const struct deploy_watch_in *in,
                    struct deployment *d,
                    struct group_tally *tally,
                    struct deploy_watch_out *out)
{
    for (size_t k = 0; k < d->ngroups; k++) {
        struct deployment_group *g = &d->groups[k];

        g->placed_allocs = g->healthy_allocs = g->unhealthy_allocs = 0;
        strlist_release(&g->placed_canaries);
        strlist_init(&g->placed_canaries);
    }
    for (size_t i = 0; i < in->nallocs; i++) {
        const struct alloc *a = in->allocs[i];

        if (!in_deployment(d, a))
            continue;
        for (size_t k = 0; k < d->ngroups; k++) {
            if (str_eq(d->groups[k].name, a->task_group))
                count_alloc(in, a, &d->groups[k], &tally[k], out);
        }
    }
}

/*
 * Nomad's RequireProgressBy: the deadline starts with the first placement
 * and moves to each new healthy alloc's time plus progress_deadline.
 */
static void move_progress_deadline(struct deployment_group *g,
                                   const struct group_tally *t)
{
    int64_t pd = positive(g->progress_deadline_ns);

    if (pd == 0)
        return;
    if (g->require_progress_by_unix_ns <= 0 && g->placed_allocs > 0 &&
        t->first_placed_unix_ns > 0)
        g->require_progress_by_unix_ns = t->first_placed_unix_ns + pd;
    if (t->last_healthy_unix_ns > 0 &&
        t->last_healthy_unix_ns + pd > g->require_progress_by_unix_ns)
        g->require_progress_by_unix_ns = t->last_healthy_unix_ns + pd;
}

static bool group_needs_promotion(const struct deployment_group *g)
{
    return g->desired_canaries > 0 && !g->promoted;
}

static bool group_done(const struct deployment_group *g,
                       const struct group_tally *t)
{
    return !group_needs_promotion(g) && t->healthy_running >= g->desired_total;
}

/* ============================================================ verdicts */

/* Compares what the user wrote, not the server's bookkeeping. */
static bool same_spec(const struct job *a, const struct job *b)
{
    struct job *x = job_copy(a), *y = job_copy(b);
    struct job *both[2] = {x, y};
    bool same;

    for (int i = 0; i < 2; i++) {
        model_set_str(&both[i]->status, NULL);
        model_set_str(&both[i]->status_description, NULL);
        both[i]->stable = TRI_UNSET;
        both[i]->version = both[i]->submit_time = MODEL_UNSET;
        both[i]->create_index = both[i]->modify_index = MODEL_UNSET;
        both[i]->job_modify_index = MODEL_UNSET;
    }
    same = job_equal(x, y);
    job_free(x);
    job_free(y);
    return same;
}

/* Nomad's failure with rollback (handleRollbackValidity). */
static void fail(const struct deploy_watch_in *in,
                 struct deployment *d,
                 const char *why,
                 struct deploy_watch_out *out)
{
    bool revert = false;
    char desc[256];

    for (size_t k = 0; k < d->ngroups; k++)
        revert = revert || d->groups[k].auto_revert;
    snprintf(desc, sizeof(desc), "%s", why);
    if (revert && in->stable == NULL) {
        snprintf(desc, sizeof(desc),
                 "%s - no stable job version to auto revert to", why);
    } else if (revert && in->job != NULL && same_spec(in->stable, in->job)) {
        snprintf(desc, sizeof(desc),
                 "%s - not rolling back to stable job version %lld as "
                 "current job has same specification",
                 why, (long long)in->stable->version);
    } else if (revert) {
        snprintf(desc, sizeof(desc), "%s - rolling back to job version %lld",
                 why, (long long)in->stable->version);
        out->rollback = job_copy(in->stable);
        out->rollback->stable = TRI_FALSE;
    }
    model_set_str(&d->status, DEPLOYMENT_STATUS_FAILED);
    model_set_str(&d->status_description, desc);
    out->create_eval = true;
    out->next_unix_ns = 0;
}

static void promote_groups(struct deployment *d,
                           const char *const *groups,
                           size_t ngroups,
                           bool all,
                           int64_t now_unix_ns)
{
    bool needs = false;

    for (size_t k = 0; k < d->ngroups; k++) {
        struct deployment_group *g = &d->groups[k];
        bool chosen = all;

        for (size_t i = 0; !chosen && i < ngroups; i++)
            chosen = str_eq(groups[i], g->name);
        if (!chosen || !group_needs_promotion(g))
            continue;
        g->promoted = true;
        /* The rollout after the canaries gets a fresh deadline. */
        if (positive(g->progress_deadline_ns) > 0)
            g->require_progress_by_unix_ns =
                now_unix_ns + g->progress_deadline_ns;
    }
    for (size_t k = 0; k < d->ngroups; k++)
        needs = needs || group_needs_promotion(&d->groups[k]);
    if (!needs && is_running(d))
        model_set_str(&d->status_description, DEPLOY_DESC_RUNNING);
}

/* Nomad's autoPromoteDeployment: every canary group allows it and all
 * its canaries are healthy. */
static bool may_auto_promote(const struct deployment *d,
                             const struct group_tally *tally)
{
    bool any = false;

    for (size_t k = 0; k < d->ngroups; k++) {
        const struct deployment_group *g = &d->groups[k];

        if (!group_needs_promotion(g))
            continue;
        if (!g->auto_promote || tally[k].healthy_canaries < g->desired_canaries)
            return false;
        any = true;
    }
    return any;
}

static void decide(const struct deploy_watch_in *in,
                   struct deployment *d,
                   const struct group_tally *tally,
                   struct deploy_watch_out *out)
{
    bool done = d->ngroups > 0;

    for (size_t k = 0; k < d->ngroups; k++) {
        if (tally[k].fail_early) {
            fail(in, d, DEPLOY_DESC_FAILED_ALLOCS, out);
            return;
        }
    }
    if (may_auto_promote(d, tally)) {
        promote_groups(d, NULL, 0, true, in->now_unix_ns);
        out->create_eval = true;
    }
    for (size_t k = 0; k < d->ngroups; k++) {
        const struct deployment_group *g = &d->groups[k];
        int64_t by = g->require_progress_by_unix_ns;

        if (group_done(g, &tally[k]))
            continue;
        done = false;
        if (positive(g->progress_deadline_ns) == 0 || by <= 0)
            continue;
        if (in->now_unix_ns >= by) {
            fail(in, d, DEPLOY_DESC_PROGRESS_DEADLINE, out);
            return;
        }
        earliest(&out->next_unix_ns, by);
    }
    if (done) {
        model_set_str(&d->status, DEPLOYMENT_STATUS_SUCCESSFUL);
        model_set_str(&d->status_description, DEPLOY_DESC_SUCCESSFUL);
        out->job_stable = true;
        out->next_unix_ns = 0;
    }
}

void deploy_watch_step(const struct deploy_watch_in *in,
                       struct deploy_watch_out *out)
{
    struct deployment *d;
    struct group_tally *tally;

    memset(out, 0, sizeof(*out));
    if (!deployment_is_active(in->d))
        return;
    d = deployment_copy(in->d);
    tally = xcalloc(d->ngroups + 1, sizeof(*tally));
    recount(in, d, tally, out);
    for (size_t k = 0; k < d->ngroups; k++) {
        move_progress_deadline(&d->groups[k], &tally[k]);
        /* A new healthy alloc frees room for the next batch. */
        if (k < in->d->ngroups &&
            d->groups[k].healthy_allocs > in->d->groups[k].healthy_allocs)
            out->create_eval = true;
    }
    if (is_running(d))
        decide(in, d, tally, out);
    free(tally);
    if (deployment_equal(d, in->d))
        deployment_free(d);
    else
        out->d = d;
}

/* ========================================================= user actions */

/* Nomad's errDeploymentTerminalNo<Verb>. */
static int check_active(const struct deployment *d,
                        const char *verb,
                        struct err *err)
{
    if (deployment_is_active(d))
        return 0;
    return err_set(err, ERR_INVALID, "can't %s terminal deployment", verb);
}

/* Nomad's UpdateDeploymentPromotion checks, then the promotion. */
int deploy_watch_promote(const struct deploy_watch_in *in,
                         const char *const *groups,
                         size_t ngroups,
                         bool all,
                         struct deploy_watch_out *out,
                         struct err *err)
{
    const struct deployment *d = in->d;
    bool have = false;

    memset(out, 0, sizeof(*out));
    if (check_active(d, "promote", err) != 0)
        return err->code;
    for (size_t i = 0; !all && i < ngroups; i++) {
        bool known = false;

        for (size_t k = 0; k < d->ngroups; k++)
            known = known || str_eq(groups[i], d->groups[k].name);
        if (!known)
            return err_set(err, ERR_INVALID,
                           "Deployment %s has no task group \"%s\"",
                           model_str(d->id), groups[i]);
    }
    for (size_t i = 0; i < in->nallocs; i++) {
        const struct alloc *a = in->allocs[i];
        bool chosen = all;

        if (!in_deployment(d, a) || !is_canary(a) || alloc_is_terminal(a))
            continue;
        for (size_t k = 0; !chosen && k < ngroups; k++)
            chosen = str_eq(groups[k], a->task_group);
        if (!chosen)
            continue;
        if (health(a) != TRI_TRUE)
            return err_set(err, ERR_INVALID,
                           "Canary allocation \"%s\" for group \"%s\" is not "
                           "healthy",
                           model_str(a->id), model_str(a->task_group));
        have = true;
    }
    if (!have)
        return err_set(err, ERR_INVALID, "no canaries to promote");
    out->d = deployment_copy(d);
    promote_groups(out->d, groups, ngroups, all, in->now_unix_ns);
    out->create_eval = true;
    return 0;
}

int deploy_watch_fail(const struct deploy_watch_in *in,
                      struct deploy_watch_out *out,
                      struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (check_active(in->d, "fail", err) != 0)
        return err->code;
    out->d = deployment_copy(in->d);
    fail(in, out->d, DEPLOY_DESC_FAILED_BY_USER, out);
    return 0;
}

/* The alloc of in with that id, or NULL. */
static const struct alloc *find_alloc(const struct deploy_watch_in *in,
                                      const char *id)
{
    for (size_t i = 0; i < in->nallocs; i++) {
        if (str_eq(in->allocs[i]->id, id))
            return in->allocs[i];
    }
    return NULL;
}

static int check_member(const struct deploy_watch_in *in,
                        const char *id,
                        struct err *err)
{
    const struct alloc *a = find_alloc(in, id);

    if (a == NULL)
        return err_set(err, ERR_INVALID, "unknown alloc \"%s\"", id);
    if (!in_deployment(in->d, a))
        return err_set(err, ERR_INVALID,
                       "alloc \"%s\" is not part of deployment \"%s\"", id,
                       model_str(in->d->id));
    return 0;
}

int deploy_watch_set_health(const struct deploy_watch_in *in,
                            const char *const *healthy,
                            size_t nhealthy,
                            const char *const *unhealthy,
                            size_t nunhealthy,
                            struct deploy_watch_out *out,
                            struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (!deployment_is_active(in->d))
        return err_set(err, ERR_INVALID,
                       "can't set health of allocations for a terminal "
                       "deployment");
    if (nhealthy + nunhealthy == 0)
        return err_set(err, ERR_INVALID,
                       "must specify at least one healthy/unhealthy "
                       "allocation ID");
    for (size_t i = 0; i < nhealthy; i++) {
        if (check_member(in, healthy[i], err) != 0)
            return err->code;
    }
    for (size_t i = 0; i < nunhealthy; i++) {
        if (check_member(in, unhealthy[i], err) != 0)
            return err->code;
    }
    for (size_t i = 0; i < nhealthy; i++)
        push_id(&out->healthy, &out->nhealthy, healthy[i]);
    for (size_t i = 0; i < nunhealthy; i++)
        push_unhealthy(out, unhealthy[i]);
    out->create_eval = true;
    return 0;
}

int deploy_watch_pause(const struct deploy_watch_in *in,
                       bool pause,
                       struct deploy_watch_out *out,
                       struct err *err)
{
    bool needs = false;

    memset(out, 0, sizeof(*out));
    if (check_active(in->d, pause ? "pause" : "resume", err) != 0)
        return err->code;
    out->d = deployment_copy(in->d);
    for (size_t k = 0; k < out->d->ngroups; k++)
        needs = needs || group_needs_promotion(&out->d->groups[k]);
    model_set_str(&out->d->status,
                  pause ? DEPLOYMENT_STATUS_PAUSED : DEPLOYMENT_STATUS_RUNNING);
    model_set_str(&out->d->status_description, pause ? DEPLOY_DESC_PAUSED
                                               : needs
                                                   ? DEPLOY_DESC_NEEDS_PROMOTION
                                                   : DEPLOY_DESC_RUNNING);
    out->create_eval = !pause;
    return 0;
}
