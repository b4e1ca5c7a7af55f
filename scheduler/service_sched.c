/*
 * The service and batch schedulers: Nomad's allocReconciler followed by
 * placement (reference/scheduling.md §3 "service", "batch", §5, §8).
 *
 * Per group, the job's allocs are sorted into sets:
 *
 *   lost        on a down, disconnected or vanished node: stopped with
 *               client status "lost" and replaced at once
 *   migrate     marked for migration (DesiredTransition.Migrate, set by
 *               the node drainer): stopped and replaced elsewhere
 *   reschedule  failed, and its reschedule delay has passed: replaced
 *               (with a RescheduleTracker, away from its node) and stopped
 *   untainted   everything else that counts toward count: running and
 *               pending allocs, failed ones waiting (a follow-up eval is
 *               made for their delay) or out of attempts, and for batch
 *               the complete ones, which are never replaced
 *
 * Then: stop what exceeds count, highest index first; classify the rest
 * as up to date, in place or destructive; place canaries while a
 * deployment requires them; place reschedules, lost replacements and the
 * missing indexes (lowest free first); replace at most `limit` allocs
 * destructively (update.max_parallel minus the deployment's allocs not yet
 * healthy); create a deployment when a new version rolls out. A job that
 * is stopped or purged has all its allocs stopped.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/time.h"
#include "scheduler/sched_int.h"

#define FOLLOWUP_BATCH_NS (5 * NS_PER_SEC)
#define TRIGGER_RESCHEDULE "alloc-reschedule"
#define TRIGGER_FAILURE "alloc-failure"
#define DEPLOYMENT_DESC_STOPPED "Cancelled because job is stopped"
#define DEPLOYMENT_DESC_NEWER "Cancelled due to newer version of job"

struct later
{
    const struct alloc *a;
    int64_t at_ns;
};

struct group_state
{
    const struct task_group *tg;
    struct sched_aset all;
    struct sched_aset untainted;
    struct sched_aset migrate;
    struct sched_aset lost;
    struct sched_aset now;
    struct sched_aset canaries;
    struct sched_aset destructive;
    struct later *later;
    size_t nlater, caplater;
    const struct deployment_group *dgroup;
};

static void group_state_release(struct group_state *g)
{
    sched__aset_release(&g->all);
    sched__aset_release(&g->untainted);
    sched__aset_release(&g->migrate);
    sched__aset_release(&g->lost);
    sched__aset_release(&g->now);
    sched__aset_release(&g->canaries);
    sched__aset_release(&g->destructive);
    free(g->later);
}

static void aset_remove(struct sched_aset *set, const struct alloc *a)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->v[i] == a) {
            memmove(&set->v[i], &set->v[i + 1],
                    (set->n - i - 1) * sizeof(*set->v));
            set->n--;
            return;
        }
    }
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(model_str(a), model_str(b)) == 0;
}

/* ============================================================ deployment */

static void deployment_setup(struct sched *s)
{
    const struct deployment *d = s->in->deployment;
    bool stopped = s->job == NULL || tri_is_true(s->job->stop);
    bool same;

    if (d == NULL || !(s->type & JOB_TYPE_SERVICE))
        return;
    same = !stopped && d->job_version == sched__i64(s->job->version) &&
           d->job_create_index == sched__i64(s->job->create_index);
    if (deployment_is_active(d) && stopped) {
        sched__deployment_update(s, d, DEPLOYMENT_STATUS_CANCELLED,
                                 DEPLOYMENT_DESC_STOPPED);
        return;
    }
    if (!same) {
        if (deployment_is_active(d))
            sched__deployment_update(s, d, DEPLOYMENT_STATUS_CANCELLED,
                                     DEPLOYMENT_DESC_NEWER);
        return;
    }
    /* A finished rollout of this version no longer gates anything. */
    if (str_eq(d->status, DEPLOYMENT_STATUS_SUCCESSFUL))
        return;
    s->deployment = d;
    s->deployment_existing = true;
    s->deployment_paused = str_eq(d->status, DEPLOYMENT_STATUS_PAUSED) ||
                           str_eq(d->status, DEPLOYMENT_STATUS_PENDING);
    s->deployment_failed = str_eq(d->status, DEPLOYMENT_STATUS_FAILED);
}

static const struct deployment_group *deployment_group(
    const struct deployment *d,
    const char *name)
{
    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < d->ngroups; i++) {
        if (str_eq(d->groups[i].name, name))
            return &d->groups[i];
    }
    return NULL;
}

static bool in_deployment(const struct sched *s, const struct alloc *a)
{
    return s->deployment != NULL && a->deployment_id != NULL &&
           str_eq(a->deployment_id, s->deployment->id);
}

static bool deploys(const struct sched *s, const struct task_group *tg)
{
    return (s->type & JOB_TYPE_SERVICE) && tg->update != NULL &&
           sched__i64(tg->update->max_parallel) > 0;
}

/* ======================================================== classification */

/*
 * Nomad's shouldFilter(): whether a counts toward the group (untainted),
 * is ignored, or (both false) is a failed alloc to consider rescheduling.
 */
static void should_filter(bool batch,
                          const struct alloc *a,
                          bool *untainted,
                          bool *ignore)
{
    const char *desired = model_str(a->desired_status);
    const char *client = model_str(a->client_status);

    *untainted = *ignore = false;
    if (!strcmp(desired, ALLOC_DESIRED_STOP) ||
        !strcmp(desired, ALLOC_DESIRED_EVICT)) {
        /* A batch alloc that finished before it was stopped still ran. */
        if (batch && !strcmp(desired, ALLOC_DESIRED_STOP) &&
            !strcmp(client, ALLOC_CLIENT_COMPLETE))
            *untainted = true;
        else
            *ignore = true;
        return;
    }
    if (!strcmp(client, ALLOC_CLIENT_FAILED))
        return;
    if (!batch && (!strcmp(client, ALLOC_CLIENT_COMPLETE) ||
                   !strcmp(client, ALLOC_CLIENT_LOST))) {
        *ignore = true;
        return;
    }
    *untainted = true;
}

static void push_later(struct group_state *g,
                       const struct alloc *a,
                       int64_t at_ns)
{
    XGROW(g->later, g->caplater, g->nlater + 1);
    g->later[g->nlater].a = a;
    g->later[g->nlater++].at_ns = at_ns;
}

static void classify(struct sched *s,
                     struct group_state *g,
                     const struct alloc *a)
{
    bool batch = s->type & JOB_TYPE_BATCH;
    struct sched_node *ns = sched__node_find(s, a->node_id);
    const char *status = ns ? model_str(ns->node->status) : NODE_STATUS_DOWN;
    bool terminal = alloc_is_terminal(a), untainted, ignore, now, later;
    int64_t at_ns;

    /* An updated batch job runs again: older finished allocs are gone. */
    if (batch && terminal && sched__alloc_outdated(s, a))
        return;
    sched__aset_push(&g->all, a);
    if (terminal && a->next_allocation != NULL && a->next_allocation[0])
        return;
    if (!terminal && (!strcmp(status, NODE_STATUS_DOWN) ||
                      !strcmp(status, NODE_STATUS_DISCONNECTED))) {
        sched__aset_push(&g->lost, a);
        return;
    }
    /* The drainer paces migrations; the node's drain alone moves nothing. */
    if (!terminal && a->desired_migrate == TRI_TRUE) {
        sched__aset_push(&g->migrate, a);
        return;
    }
    should_filter(batch, a, &untainted, &ignore);
    if (untainted)
        sched__aset_push(&g->untainted, a);
    if (untainted || ignore)
        return;
    sched__reschedule_check(s, a, &now, &later, &at_ns);
    if (now) {
        sched__aset_push(&g->now, a);
        return;
    }
    sched__aset_push(&g->untainted, a);
    if (later)
        push_later(g, a, at_ns);
}

static bool is_canary(const struct sched *s, const struct alloc *a)
{
    return a->deployment_status != NULL && a->deployment_status->canary &&
           in_deployment(s, a);
}

/* =================================================================== stop */

static bool name_in(const struct sched_aset *set, const struct alloc *a)
{
    int64_t idx = alloc_name_index(a);

    for (size_t i = 0; i < set->n; i++) {
        if (set->v[i] != a && alloc_name_index(set->v[i]) == idx)
            return true;
    }
    return false;
}

static void stop_not_needed(struct sched *s,
                            struct group_state *g,
                            struct sched_aset *from,
                            const struct alloc *a)
{
    sched__stop(s, a, SCHED_DESC_NOT_NEEDED, NULL);
    sched__desired(s, g->tg->name)->stop++;
    aset_remove(from, a);
}

/*
 * Nomad's computeStop(): stop what exceeds count. After a promotion the
 * old allocs sharing a name with a canary go first, then migrating ones,
 * then the highest indexes. Terminal allocs count but are not stopped.
 */
static void compute_stop(struct sched *s, struct group_state *g, bool canarying)
{
    int64_t remove =
        (int64_t)(g->untainted.n + g->migrate.n) - sched__i64(g->tg->count);

    if (remove <= 0)
        return;
    sched__aset_sort(&g->untainted);
    if (!canarying && g->canaries.n > 0) {
        for (size_t i = g->untainted.n; i-- > 0 && remove > 0;) {
            const struct alloc *a = g->untainted.v[i];

            if (alloc_is_terminal(a) || sched__aset_has(&g->canaries, a) ||
                !name_in(&g->canaries, a))
                continue;
            stop_not_needed(s, g, &g->untainted, a);
            remove--;
        }
    }
    sched__aset_sort(&g->migrate);
    while (remove > 0 && g->migrate.n > 0) {
        stop_not_needed(s, g, &g->migrate, g->migrate.v[g->migrate.n - 1]);
        remove--;
    }
    for (size_t i = g->untainted.n; i-- > 0 && remove > 0;) {
        const struct alloc *a = g->untainted.v[i];

        if (alloc_is_terminal(a))
            continue;
        stop_not_needed(s, g, &g->untainted, a);
        remove--;
    }
}

/* ================================================================ updates */

/* Splits the untainted allocs into ignored, in-place and destructive. */
static void compute_updates(struct sched *s, struct group_state *g)
{
    struct sched_desired *d;
    int64_t ignore = 0, inplace = 0;

    sched__aset_sort(&g->untainted);
    for (size_t i = 0; i < g->untainted.n; i++) {
        const struct alloc *a = g->untainted.v[i];
        struct sched_node *ns = sched__node_find(s, a->node_id);

        /* Nomad's genericAllocUpdateFn: a failed alloc of an older spec
         * is replaced by the new one (an auto-revert puts back what the
         * failed rollout broke); otherwise a terminal alloc stays as is. */
        if (!sched__alloc_outdated(s, a) ||
            (alloc_is_terminal(a) &&
             !sched__destructive(s, a->job, g->tg->name))) {
            ignore++;
        } else if (alloc_is_terminal(a) ||
                   sched__destructive(s, a->job, g->tg->name) || ns == NULL ||
                   !sched__feasible_for(s, ns, g->tg, a)) {
            /* In place only if the node still takes the new version. */
            sched__aset_push(&g->destructive, a);
        } else {
            sched__aset_push(&s->inplace, a);
            inplace++;
        }
    }
    d = sched__desired(s, g->tg->name);
    d->ignore += ignore;
    d->in_place_update += inplace;
}

/* Nomad's computeLimit(): destructive replacements allowed now. */
static int64_t compute_limit(const struct sched *s,
                             const struct group_state *g,
                             bool canary_state)
{
    const struct task_group *tg = g->tg;
    int64_t limit;

    if (!deploys(s, tg) || g->destructive.n + g->migrate.n == 0)
        return sched__i64(tg->count);
    if (s->deployment_paused || s->deployment_failed || canary_state)
        return 0;
    limit = tg->update->max_parallel;
    for (size_t i = 0; s->deployment != NULL && i < g->untainted.n; i++) {
        const struct alloc *a = g->untainted.v[i];
        enum tri healthy =
            a->deployment_status ? a->deployment_status->healthy : TRI_UNSET;

        if (!in_deployment(s, a))
            continue;
        if (healthy == TRI_FALSE)
            return 0;
        if (healthy != TRI_TRUE)
            limit--;
    }
    return limit < 0 ? 0 : limit;
}

/* ============================================================= placements */

/*
 * The alloc indexes in use in a group. A bitmap answers "is it used" in
 * constant time, so placing count allocs stays linear in count (a count of
 * 10,000 is an ordinary batch job); hint is where the free search resumes.
 */
struct names
{
    int64_t *used;
    size_t n, cap;
    unsigned char *bits;
    size_t nbits;
    int64_t hint;
};

#define NAMES_BITMAP_MAX ((int64_t)1 << 24)

static void names_add(struct names *nm, int64_t idx)
{
    XGROW(nm->used, nm->cap, nm->n + 1);
    nm->used[nm->n++] = idx;
    if (idx < 0 || idx >= NAMES_BITMAP_MAX)
        return;
    if ((size_t)idx / 8 >= nm->nbits) {
        size_t old = nm->nbits, want = (size_t)idx / 8 + 1;

        XGROW(nm->bits, nm->nbits, want);
        memset(nm->bits + old, 0, nm->nbits - old);
    }
    nm->bits[idx / 8] = (unsigned char)(nm->bits[idx / 8] | (1u << (idx % 8)));
}

static void names_release(struct names *nm)
{
    free(nm->used);
    free(nm->bits);
}

static void names_add_set(struct names *nm, const struct sched_aset *set)
{
    for (size_t i = 0; i < set->n; i++)
        names_add(nm, alloc_name_index(set->v[i]));
}

static bool names_has(const struct names *nm, int64_t idx)
{
    if (idx >= 0 && idx < NAMES_BITMAP_MAX)
        return (size_t)idx / 8 < nm->nbits &&
               (nm->bits[idx / 8] & (1u << (idx % 8))) != 0;
    for (size_t i = 0; i < nm->n; i++) {
        if (nm->used[i] == idx)
            return true;
    }
    return false;
}

/* The lowest index nobody uses; it is used from then on. */
static int64_t names_next(struct names *nm)
{
    int64_t idx = nm->hint;

    while (names_has(nm, idx))
        idx++;
    nm->hint = idx + 1;
    names_add(nm, idx);
    return idx;
}

static void push_place(struct sched_placements *list,
                       const struct task_group *tg,
                       int64_t index,
                       const struct alloc *prev)
{
    struct sched_place p = {.tg = tg, .index = index, .prev = prev};

    sched__placements_push(list, &p);
}

/* Canaries take the indexes of the allocs they will replace. */
static void place_canaries(struct sched *s,
                           struct group_state *g,
                           struct names *nm,
                           int64_t want)
{
    struct names taken = {0};
    size_t next = 0;

    names_add_set(&taken, &g->canaries);
    for (int64_t k = 0; k < want; k++) {
        struct sched_place p = {.tg = g->tg, .canary = true};

        while (next < g->destructive.n &&
               names_has(&taken, alloc_name_index(g->destructive.v[next])))
            next++;
        if (next < g->destructive.n)
            p.index = alloc_name_index(g->destructive.v[next++]);
        else
            p.index = names_next(nm);
        names_add(&taken, p.index);
        sched__placements_push(&s->place, &p);
    }
    sched__desired(s, g->tg->name)->canary += want;
    names_release(&taken);
}

/* Reschedules, lost replacements and missing indexes, in that order. */
static void compute_placements(struct sched *s,
                               struct group_state *g,
                               struct names *nm,
                               struct sched_placements *out)
{
    int64_t count = sched__i64(g->tg->count);
    int64_t existing = (int64_t)(g->untainted.n + g->migrate.n);

    sched__aset_sort(&g->now);
    for (size_t i = 0; i < g->now.n && existing < count; i++, existing++) {
        struct sched_place p = {.tg = g->tg,
                                .index = alloc_name_index(g->now.v[i]),
                                .prev = g->now.v[i],
                                .reschedule = true,
                                .canary = is_canary(s, g->now.v[i])};

        sched__placements_push(out, &p);
    }
    sched__aset_sort(&g->lost);
    for (size_t i = 0; i < g->lost.n && existing < count; i++, existing++)
        push_place(out, g->tg, alloc_name_index(g->lost.v[i]), g->lost.v[i]);
    for (; existing < count; existing++)
        push_place(out, g->tg, names_next(nm), NULL);
}

static void commit_placements(struct sched *s,
                              struct group_state *g,
                              struct sched_placements *place,
                              bool ready,
                              int64_t *limit)
{
    struct sched_desired *d = sched__desired(s, g->tg->name);
    int64_t n = 0;

    for (size_t i = 0; i < place->n; i++) {
        const struct sched_place *p = &place->v[i];

        /* A held-up deployment still replaces lost and failed allocs,
         * but not the failed allocs of its own failed rollout. */
        if (!ready && p->prev == NULL)
            continue;
        if (!ready && p->reschedule && s->deployment_failed &&
            in_deployment(s, p->prev))
            continue;
        sched__placements_push(&s->place, p);
        if (p->reschedule) {
            sched__stop(s, p->prev, SCHED_DESC_RESCHEDULED, NULL);
            d->stop++;
        }
        n++;
    }
    d->place += n;
    if (ready)
        *limit -= n < *limit ? n : *limit;
}

static void commit_destructive(struct sched *s,
                               struct group_state *g,
                               bool ready,
                               int64_t limit)
{
    struct sched_desired *d = sched__desired(s, g->tg->name);
    int64_t n = ready ? (int64_t)g->destructive.n : 0;

    if (n > limit)
        n = limit;
    for (int64_t i = 0; i < n; i++) {
        const struct alloc *a = g->destructive.v[i];
        struct sched_place p = {.tg = g->tg,
                                .index = alloc_name_index(a),
                                .prev = a,
                                .destructive = true};

        sched__placements_push(&s->destructive, &p);
    }
    d->destructive_update += n;
    d->ignore += (int64_t)g->destructive.n - n;
}

static void commit_migrations(struct sched *s, struct group_state *g)
{
    sched__aset_sort(&g->migrate);
    for (size_t i = 0; i < g->migrate.n; i++) {
        const struct alloc *a = g->migrate.v[i];

        sched__stop(s, a, SCHED_DESC_MIGRATING, NULL);
        push_place(&s->place, g->tg, alloc_name_index(a), a);
        sched__desired(s, g->tg->name)->migrate++;
    }
}

/* ============================================================ follow-ups */

static int later_cmp(const void *pa, const void *pb)
{
    const struct later *a = pa, *b = pb;

    if (a->at_ns != b->at_ns)
        return a->at_ns < b->at_ns ? -1 : 1;
    return strcmp(model_str(a->a->id), model_str(b->a->id));
}

/*
 * One follow-up eval per 5 s window of reschedule times, each failed
 * alloc pointing at the eval that will replace it.
 */
static void create_followups(struct sched *s, struct group_state *g)
{
    const char *eval_id = NULL;
    int64_t batch_start = 0;
    size_t kept = 0;

    for (size_t i = 0; i < g->nlater; i++) {
        if (sched__aset_has(&g->untainted, g->later[i].a))
            g->later[kept++] = g->later[i];
    }
    g->nlater = kept;
    if (g->nlater > 1)
        qsort(g->later, g->nlater, sizeof(*g->later), later_cmp);
    for (size_t i = 0; i < g->nlater; i++) {
        const struct later *l = &g->later[i];

        if (eval_id == NULL || l->at_ns - batch_start >= FOLLOWUP_BATCH_NS) {
            batch_start = l->at_ns;
            eval_id = sched__followup_eval(
                s, l->at_ns, eval_id ? TRIGGER_FAILURE : TRIGGER_RESCHEDULE);
        }
        sched__followup_alloc(s, l->a, eval_id);
    }
}

/* ================================================================ groups */

static void maybe_create_deployment(struct sched *s,
                                    const struct group_state *g,
                                    bool require_canary)
{
    const struct task_group *tg = g->tg;
    bool had_running = false, updating;
    struct deployment *d;
    struct deployment_group *dg;

    if (!deploys(s, tg) || s->deployment_existing || tg->count == 0)
        return;
    for (size_t i = 0; i < g->all.n && !had_running; i++)
        had_running = !sched__alloc_outdated(s, g->all.v[i]);
    updating = g->destructive.n > 0 ||
               sched__desired(s, tg->name)->in_place_update > 0;
    if (had_running && !updating)
        return;
    d = sched__deployment_create(s);
    dg = sched__deployment_add_group(d, tg);
    if (require_canary)
        dg->desired_canaries = tg->update->canary;
    sched__deployment_needs_promotion(d);
}

static void reconcile_group(struct sched *s, struct group_state *g)
{
    const struct task_group *tg = g->tg;
    struct sched_placements place = {0};
    struct names nm = {0};
    bool promoted, canarying, require_canary, canary_state, ready;
    int64_t limit, want;

    for (size_t i = 0; i < g->lost.n; i++) {
        sched__stop(s, g->lost.v[i], SCHED_DESC_LOST, ALLOC_CLIENT_LOST);
        sched__desired(s, tg->name)->stop++;
    }
    g->dgroup = deployment_group(s->deployment, tg->name);
    promoted = g->dgroup != NULL && g->dgroup->promoted;
    canarying =
        g->dgroup != NULL && g->dgroup->desired_canaries > 0 && !promoted;
    for (size_t i = 0; i < g->untainted.n; i++) {
        if (is_canary(s, g->untainted.v[i]))
            sched__aset_push(&g->canaries, g->untainted.v[i]);
    }
    /* While canarying, canaries come on top of count. */
    for (size_t i = 0; canarying && i < g->canaries.n; i++)
        aset_remove(&g->untainted, g->canaries.v[i]);
    compute_stop(s, g, canarying);
    compute_updates(s, g);

    names_add_set(&nm, &g->untainted);
    names_add_set(&nm, &g->migrate);
    names_add_set(&nm, &g->now);
    names_add_set(&nm, &g->lost);
    names_add_set(&nm, &g->canaries);

    require_canary = g->destructive.n > 0 && deploys(s, tg) &&
                     sched__i64(tg->update->canary) > 0 && !promoted;
    want = require_canary ? tg->update->canary - (int64_t)g->canaries.n : 0;
    if (want > 0 && !s->deployment_paused && !s->deployment_failed)
        place_canaries(s, g, &nm, want);
    canary_state = require_canary || canarying;
    limit = compute_limit(s, g, canary_state);
    ready = !s->deployment_paused && !s->deployment_failed && !canary_state;

    compute_placements(s, g, &nm, &place);
    commit_placements(s, g, &place, ready, &limit);
    commit_destructive(s, g, ready, limit);
    commit_migrations(s, g);
    create_followups(s, g);
    maybe_create_deployment(s, g, require_canary);
    free(place.v);
    names_release(&nm);
}

/* Stops the allocs of groups the job no longer has. */
static void stop_removed_groups(struct sched *s)
{
    for (size_t i = 0; i < s->in->nallocs; i++) {
        const struct alloc *a = s->in->allocs[i];

        if (alloc_is_terminal(a) ||
            job_find_group(s->job, model_str(a->task_group)) != NULL)
            continue;
        sched__stop(s, a, SCHED_DESC_NOT_NEEDED, NULL);
        sched__desired(s, model_str(a->task_group))->stop++;
    }
}

void sched__run_generic(struct sched *s)
{
    deployment_setup(s);
    if (s->job == NULL || tri_is_true(s->job->stop)) {
        sched__stop_all(s);
        return;
    }
    for (size_t i = 0; i < s->job->ngroups; i++) {
        struct group_state g;
        const struct task_group *tg = &s->job->groups[i];

        memset(&g, 0, sizeof(g));
        g.tg = tg;
        sched__desired(s, tg->name);
        for (size_t k = 0; k < s->in->nallocs; k++) {
            const struct alloc *a = s->in->allocs[k];

            if (str_eq(a->task_group, tg->name))
                classify(s, &g, a);
        }
        reconcile_group(s, &g);
        group_state_release(&g);
    }
    stop_removed_groups(s);
    sched__apply_inplace(s);
    sched__place_all(s);
}
