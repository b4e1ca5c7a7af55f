/* The server role (see server.h). */
#include "agent/server/server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>

#include "agent/server/cmd.h"
#include "agent/server/deploy_server.h"
#include "agent/server/eval_broker.h"
#include "agent/server/fsm.h"
#include "agent/server/log.h"
#include "agent/server/periodic.h"
#include "agent/server/server_int.h"
#include "agent/server/nodeops.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/list.h"
#include "lib/map.h"
#include "lib/log.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/time.h"
#include "scheduler/sched.h"

struct apply_req
{
    struct list_node node;
    struct cmd *cmd;
    server_done_cb done;
    void *arg;
};

/*
 * Group commit: the commands that queued up while one batch was being
 * written go together in the next, so a burst of writes costs one log
 * commit and one state commit (each an fsync outside -dev) instead of one
 * pair each. Every command still has its own index, result and callback.
 */
enum { APPLY_BATCH_MAX = 256 };

struct apply_batch
{
    struct server *s;
    size_t n;
    struct apply_req **reqs;
    struct fsm_entry *entries;
    uv_work_t work;
};

struct watch
{
    struct list_node node;
    unsigned mask;
    uint64_t index;
    server_watch_cb cb;
    void *arg;
};

struct run
{
    struct server *s;
    struct broker_eval be;
    uint64_t token;
    struct state_snap *snap;
    struct sched_plan plan;
    struct eval *eval;
    int rc;
    struct err err;
    uv_work_t work;
};

struct server
{
    uv_loop_t *loop;
    char *region;
    char *datacenter;
    int num_workers;
    struct logger lg;
    struct state_store *state;
    struct cmd_log *log;
    struct eval_broker *broker;
    struct list_node applies; /* waiting their turn */
    bool applying;
    struct list_node watches;
    uv_timer_t timer;
    int running;
    char **blocked; /* blocked eval ids, woken by capacity changes */
    size_t nblocked;
    struct map heartbeats; /* node id -> uint64_t deadline (mono ms) */
    uint64_t heartbeat_ttl_ms;
    uv_timer_t hb_timer;
    struct periodic *periodic;
    struct nodeops *nodeops; /* drainer and GC, ticked with heartbeats */
    int64_t deploy_due_unix_ns; /* a deployment deadline; 0: none */
    uint64_t deploy_last_ms;    /* monotonic time of the last watch */
    bool closing;
    int open_handles;
    void (*close_cb)(void *arg);
    void *close_arg;
};

static void schedule_more(struct server *s);
static void on_timer(uv_timer_t *t);
static void check_heartbeats(uv_timer_t *t);
static void watch_deployments(struct server *s);
static bool maybe_free(struct server *s);

/* The broker runs on monotonic time; evals carry wall-clock times. */
static uint64_t now_ms(void)
{
    return time_mono_ms();
}

/* ----------------------------------------------------------- applying */

static void notify_watches(struct server *s, unsigned tables, uint64_t index)
{
    struct watch *w, *tmp;

    list_for_each_entry_safe(w, tmp, &s->watches, struct watch, node)
    {
        if ((w->mask & tables) == 0 || index <= w->index)
            continue;
        list_del(&w->node);
        w->cb(w->arg, index);
        free(w);
    }
}

static void enqueue_eval(struct server *s, const struct eval *e)
{
    struct broker_eval be;
    uint64_t wall = (uint64_t)time_wall_unix_ms();

    memset(&be, 0, sizeof(be));
    snprintf(be.id, sizeof(be.id), "%s", e->id);
    snprintf(be.job_key, sizeof(be.job_key), "%s/%s", model_str(e->namespace),
             model_str(e->job_id));
    snprintf(be.type, sizeof(be.type), "%s", model_str(e->type));
    be.priority = e->priority;
    be.create_index = (uint64_t)e->create_index;
    if (e->wait_until_unix_ns > 0) {
        uint64_t at = (uint64_t)(e->wait_until_unix_ns / 1000000);

        be.wait_until_ms = at > wall ? now_ms() + (at - wall) : 0;
    }
    broker_enqueue(s->broker, &be, now_ms());
}

/* Hands the evals an apply made ready to the broker. */
static void handle_effects(struct server *s, struct fsm_effects *fx)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;

    if (state_snapshot(s->state, &snap, &err) != 0) {
        log_error(&s->lg, "snapshot: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < fx->nready_evals; i++) {
        struct eval e;

        eval_init(&e);
        /* A later command of the same batch may have moved it on. */
        if (state_get_eval(snap, fx->ready_evals[i], &e, &err) == 0 &&
            e.status && strcmp(e.status, EVAL_STATUS_PENDING) == 0)
            enqueue_eval(s, &e);
        eval_release(&e);
    }
    for (size_t i = 0; i < fx->nblocked_evals; i++) {
        s->blocked = xrealloc(s->blocked, (s->nblocked + 1) * sizeof(char *));
        s->blocked[s->nblocked++] = xstrdup(fx->blocked_evals[i]);
    }
    /* New capacity: every blocked eval gets another chance. */
    if (fx->capacity_changed && s->nblocked > 0) {
        for (size_t i = 0; i < s->nblocked; i++) {
            struct eval e;

            eval_init(&e);
            if (state_get_eval(snap, s->blocked[i], &e, &err) == 0 &&
                e.status && strcmp(e.status, EVAL_STATUS_BLOCKED) == 0)
                enqueue_eval(s, &e);
            eval_release(&e);
            free(s->blocked[i]);
        }
        free(s->blocked);
        s->blocked = NULL;
        s->nblocked = 0;
    }
    state_snap_release(snap);
}

static void apply_work(uv_work_t *w)
{
    struct apply_batch *b = w->data;
    struct server *s = b->s;
    struct cmdlog_entry *log_entries = xmalloc(b->n * sizeof(*log_entries));
    struct buf *bufs = xmalloc(b->n * sizeof(*bufs));
    struct err err = ERR_INIT;
    uint64_t first = 0;
    int rc;

    for (size_t i = 0; i < b->n; i++) {
        bufs[i] = (struct buf)BUF_INIT;
        cmd_encode(b->reqs[i]->cmd, &bufs[i]);
        log_entries[i] = (struct cmdlog_entry){bufs[i].data, bufs[i].len};
    }
    rc = cmdlog_append_batch(s->log, log_entries, b->n, &first, &err);
    for (size_t i = 0; i < b->n; i++) {
        buf_release(&bufs[i]);
        b->entries[i].index = rc == 0 ? first + i : 0;
        b->entries[i].cmd = b->reqs[i]->cmd;
        b->entries[i].rc = rc;
        b->entries[i].err = err;
    }
    free(bufs);
    free(log_entries);
    if (rc == 0)
        fsm_apply_batch(s->state, b->entries, b->n, &err);
}

static void start_next_apply(struct server *s);

/* The loop-thread half of one command: effects, watchers, its caller. */
static void apply_finish(struct server *s,
                         struct apply_req *r,
                         struct fsm_entry *e)
{
    if (e->rc == 0) {
        handle_effects(s, &e->fx);
        notify_watches(s, e->fx.tables_changed, e->index);
    } else {
        log_error(&s->lg, "applying %s: %s", cmd_type_name(r->cmd->type),
                  e->err.msg);
    }
    if (r->done)
        r->done(r->arg, e->rc, e->index, &e->err);
    fsm_effects_release(&e->fx);
    cmd_release(r->cmd);
    free(r->cmd);
    free(r);
}

static void apply_after(uv_work_t *w, int status)
{
    struct apply_batch *b = w->data;
    struct server *s = b->s;
    bool allocs_changed = false;

    (void)status;
    /* applying stays set through the callbacks below: one of them may end
     * the last scheduling run of a closing server, which must not free it
     * under our feet. */
    for (size_t i = 0; i < b->n; i++) {
        if (b->entries[i].rc == 0 &&
            (b->entries[i].fx.tables_changed &
             (1u << STATE_ALLOCS | 1u << STATE_DEPLOYMENTS)))
            allocs_changed = true;
        apply_finish(s, b->reqs[i], &b->entries[i]);
    }
    free(b->reqs);
    free(b->entries);
    free(b);
    /* Once per batch: the watcher reads the newest state anyway. */
    if (allocs_changed && !s->closing)
        watch_deployments(s);
    s->applying = false;
    start_next_apply(s);
    if (maybe_free(s))
        return;
    schedule_more(s);
}

static void start_next_apply(struct server *s)
{
    struct apply_batch *b;
    struct list_node *p;
    size_t n = 0;

    if (s->applying || list_empty(&s->applies))
        return;
    for (p = s->applies.next; p != &s->applies && n < APPLY_BATCH_MAX;
         p = p->next)
        n++;
    b = xcalloc(1, sizeof(*b));
    b->s = s;
    b->reqs = xmalloc(n * sizeof(*b->reqs));
    b->entries = xcalloc(n, sizeof(*b->entries));
    while (b->n < n) {
        struct apply_req *r =
            list_entry(s->applies.next, struct apply_req, node);

        list_del(&r->node);
        b->reqs[b->n++] = r;
    }
    s->applying = true;
    b->work.data = b;
    uv_queue_work(s->loop, &b->work, apply_work, apply_after);
}

void server_apply(struct server *s,
                  struct cmd *c,
                  server_done_cb done,
                  void *arg)
{
    struct apply_req *r = xcalloc(1, sizeof(*r));

    r->cmd = c;
    r->done = done;
    r->arg = arg;
    c->now_unix_ns = time_wall_unix_ns();
    list_add_tail(&s->applies, &r->node);
    start_next_apply(s);
}

/* ---------------------------------------------------- deployment watcher */

/*
 * A pass reads the allocs of every active deployment: during a burst of
 * alloc updates (a large rollout) one pass per 250 ms does, the others
 * are left to the next heartbeat tick.
 */
static void watch_deployments(struct server *s)
{
    uint64_t now = now_ms();

    if (s->deploy_last_ms != 0 && now - s->deploy_last_ms < 250) {
        s->deploy_due_unix_ns = time_wall_unix_ns();
        return;
    }
    s->deploy_last_ms = now;
    s->deploy_due_unix_ns = deploy_server_watch(s);
}

/* --------------------------------------------------------- scheduling */

/* On the thread pool: read what the eval needs and run the scheduler. */
static void run_work(uv_work_t *w)
{
    struct run *r = w->data;
    struct job *job = job_new();
    bool have_job;

    r->eval = eval_new();
    r->rc = state_get_eval(r->snap, r->be.id, r->eval, &r->err);
    if (r->rc != 0) {
        job_free(job);
        return;
    }
    have_job = state_get_job(r->snap, r->eval->namespace, r->eval->job_id,
                             job, &r->err) == 0;
    err_clear(&r->err);
    r->rc = server__sched_run(r->snap, r->eval, have_job ? job : NULL,
                              &r->plan, &r->err);
    job_free(job);
}

static void run_finish(struct run *r, bool ok)
{
    struct server *s = r->s;

    if (ok)
        broker_ack(s->broker, r->be.id, r->token, now_ms());
    else
        broker_nack(s->broker, r->be.id, r->token, now_ms());
    sched_plan_release(&r->plan);
    eval_free(r->eval);
    free(r);
    s->running--;
    if (maybe_free(s))
        return;
    schedule_more(s);
}

static void plan_applied(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct run *r = arg;

    (void)index;
    if (rc != 0)
        log_warn(&r->s->lg, "plan for eval %s not applied: %s", r->be.id,
                 err->msg);
    run_finish(r, rc == 0);
}

/* Sums what the newest state has placed on node_id. */
struct usage
{
    int64_t cpu;
    int64_t mem;
};

static int add_usage(const struct alloc *a, void *arg)
{
    struct usage *u = arg;

    if (alloc_is_terminal(a))
        return 0;
    for (size_t i = 0; i < a->ntask_resources; i++) {
        u->cpu += a->task_resources[i].cpu_shares;
        u->mem += a->task_resources[i].memory_mb;
    }
    return 0;
}

/*
 * The plan was computed on a snapshot; other plans may have landed since.
 * Re-check each node it places on against the newest state, as Nomad's
 * plan applier does: node still ready and eligible, resources still fit.
 */
static bool plan_fits(struct server *s, const struct sched_plan *p)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    bool ok = true;

    if (state_snapshot(s->state, &snap, &err) != 0)
        return false;
    for (size_t i = 0; ok && i < p->nplace; i++) {
        const struct alloc *a = p->place[i];
        struct usage u = {0, 0};
        struct node n;

        node_init(&n);
        if (state_get_node(snap, a->node_id, &n, &err) != 0 ||
            strcmp(model_str(n.status), NODE_STATUS_READY) != 0 ||
            strcmp(model_str(n.scheduling_eligibility), "eligible") != 0) {
            ok = false;
        } else {
            state_each_alloc_by_node(snap, a->node_id, add_usage, &u, &err);
            for (size_t k = 0; k < p->nplace; k++) {
                if (strcmp(p->place[k]->node_id, a->node_id) == 0)
                    add_usage(p->place[k], &u);
            }
            if (u.cpu > n.resources.cpu_shares - n.reserved.cpu_shares ||
                u.mem > n.resources.memory_mb - n.reserved.memory_mb)
                ok = false;
        }
        node_release(&n);
    }
    state_snap_release(snap);
    return ok;
}

struct blocked_scan
{
    const char *keep1;
    const char *keep2;
    struct cmd *c;
};

static int cancel_blocked_cb(const struct eval *e, void *arg)
{
    struct blocked_scan *b = arg;
    struct eval *x;

    if (strcmp(model_str(e->status), EVAL_STATUS_BLOCKED) != 0 ||
        strcmp(e->id, b->keep1) == 0 ||
        (b->keep2 != NULL && strcmp(e->id, b->keep2) == 0))
        return 0;
    x = eval_copy(e);
    model_set_str(&x->status, EVAL_STATUS_CANCELED);
    model_set_str(&x->status_description,
                  "evaluation canceled: a newer evaluation of the job ran");
    cmd_add_eval(b->c, x);
    return 0;
}

/*
 * A newer evaluation of a job makes its older blocked ones pointless (it
 * saw the same capacity, and a newer job): cancel them, as Nomad does.
 */
static void cancel_older_blocked(struct server *s,
                                 const struct eval *e,
                                 const struct eval *new_blocked,
                                 struct cmd *c)
{
    struct blocked_scan b = {e->id, new_blocked ? new_blocked->id : NULL, c};
    struct state_snap *snap;
    struct err err = ERR_INIT;

    if (state_snapshot(s->state, &snap, &err) != 0)
        return;
    state_each_eval_by_job(snap, e->namespace, e->job_id, cancel_blocked_cb,
                           &b, &err);
    state_snap_release(snap);
}

static void run_after(uv_work_t *w, int status)
{
    struct run *r = w->data;
    struct server *s = r->s;
    struct sched_plan *p = &r->plan;
    struct cmd *c;
    struct eval *e;

    (void)status;
    state_snap_release(r->snap);
    r->snap = NULL;
    if (r->rc != 0) {
        log_warn(&s->lg, "eval %s: %s", r->be.id, r->err.msg);
        run_finish(r, r->rc == ERR_NOT_FOUND);
        return;
    }
    if (!plan_fits(s, p)) {
        log_info(&s->lg, "eval %s: plan no longer fits, evaluating again",
                 r->be.id);
        run_finish(r, false);
        return;
    }
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_PLAN_RESULT);
    for (size_t i = 0; i < p->nplace; i++) {
        cmd_add_alloc(c, p->place[i]);
        p->place[i] = NULL;
    }
    for (size_t i = 0; i < p->nupdate; i++) {
        cmd_add_alloc(c, p->update[i]);
        p->update[i] = NULL;
    }
    for (size_t i = 0; i < p->nstop; i++)
        cmd_add_stop(c, p->stop[i].alloc_id, p->stop[i].desired_status,
                     p->stop[i].desired_description,
                     p->stop[i].client_status);
    c->deployment = p->deployment;
    p->deployment = NULL;
    /* The eval itself: done, or parked again when it was a blocked one. */
    e = eval_copy(r->eval);
    model_set_str(&e->status, p->reblock ? EVAL_STATUS_BLOCKED
                                         : EVAL_STATUS_COMPLETE);
    strmap_release(&e->queued_allocations);
    strmap_copy(&e->queued_allocations, &p->queued);
    for (size_t i = 0; i < e->nfailed_tg_allocs; i++) {
        free(e->failed_tg_allocs[i].group);
        alloc_metric_release(&e->failed_tg_allocs[i].metric);
    }
    free(e->failed_tg_allocs);
    e->failed_tg_allocs = p->failed;
    e->nfailed_tg_allocs = p->nfailed;
    p->failed = NULL;
    p->nfailed = 0;
    cancel_older_blocked(s, r->eval, p->blocked_eval, c);
    if (p->create_blocked_eval && p->blocked_eval != NULL) {
        model_set_str(&e->blocked_eval, p->blocked_eval->id);
        model_set_str(&p->blocked_eval->status, EVAL_STATUS_BLOCKED);
        cmd_add_eval(c, p->blocked_eval);
        p->blocked_eval = NULL;
    }
    if (c->deployment != NULL)
        model_set_str(&e->deployment_id, c->deployment->id);
    for (size_t i = 0; e->deployment_id == NULL && i < c->nallocs; i++) {
        if (c->allocs[i]->deployment_id != NULL)
            model_set_str(&e->deployment_id, c->allocs[i]->deployment_id);
    }
    cmd_add_eval(c, e);
    for (size_t i = 0; i < p->nfollowup; i++) {
        cmd_add_eval(c, p->followup[i]);
        p->followup[i] = NULL;
    }
    for (size_t i = 0; i < p->ndeployment_updates; i++) {
        struct cmd *u = xmalloc(sizeof(*u));

        cmd_init(u, CMD_DEPLOYMENT_STATUS);
        u->id = xstrdup(p->deployment_updates[i].deployment_id);
        u->status = xstrdup(model_str(p->deployment_updates[i].status));
        u->description =
            xstrdup(model_str(p->deployment_updates[i].status_description));
        server_apply(s, u, NULL, NULL);
    }
    server_apply(s, c, plan_applied, r);
}

static void schedule_more(struct server *s)
{
    static const char *const types[] = {"service", "batch", "system",
                                        "sysbatch", NULL};
    uint64_t next;

    while (!s->closing && s->running < s->num_workers) {
        struct run *r = xcalloc(1, sizeof(*r));

        r->s = s;
        if (!broker_dequeue(s->broker, types, now_ms(), &r->be, &r->token)) {
            free(r);
            break;
        }
        if (state_snapshot(s->state, &r->snap, &r->err) != 0) {
            broker_nack(s->broker, r->be.id, r->token, now_ms());
            free(r);
            break;
        }
        sched_plan_init(&r->plan);
        s->running++;
        r->work.data = r;
        uv_queue_work(s->loop, &r->work, run_work, run_after);
    }
    /* Evals the broker gave up on or superseded get their final status. */
    {
        char id[40];
        bool failed;

        while ((failed = broker_pop_failed(s->broker, id)) ||
               broker_pop_canceled(s->broker, id)) {
            struct state_snap *snap;
            struct err err = ERR_INIT;
            struct eval *e = eval_new();

            if (state_snapshot(s->state, &snap, &err) == 0 &&
                state_get_eval(snap, id, e, &err) == 0) {
                struct cmd *c = xmalloc(sizeof(*c));

                model_set_str(&e->status, failed ? EVAL_STATUS_FAILED
                                                 : EVAL_STATUS_CANCELED);
                model_set_str(&e->status_description,
                              failed ? "evaluation reached delivery limit (3)"
                                     : "canceled after more recent eval was "
                                       "processed");
                cmd_init(c, CMD_EVAL_UPDATE);
                cmd_add_eval(c, e);
                e = NULL;
                server_apply(s, c, NULL, NULL);
            }
            eval_free(e);
            state_snap_release(snap);
        }
    }
    next = broker_step(s->broker, now_ms());
    if (!s->closing && next != UINT64_MAX) {
        uint64_t now = now_ms();

        uv_timer_start(&s->timer, on_timer, next > now ? next - now : 0, 0);
    }
}

static void on_timer(uv_timer_t *t)
{
    schedule_more(t->data);
}

/* ------------------------------------------------ work of other files */

struct state_store *server__state(struct server *s)
{
    return s->state;
}

static void offload_run(uv_work_t *w)
{
    struct server__work *x = w->data;

    x->run(x);
}

static void offload_after(uv_work_t *w, int status)
{
    struct server__work *x = w->data;
    struct server *s = x->s;

    (void)status;
    x->done(x);
    s->running--;
    if (maybe_free(s))
        return;
    schedule_more(s);
}

void server__queue_work(struct server *s, struct server__work *w)
{
    w->s = s;
    w->work.data = w;
    s->running++;
    uv_queue_work(s->loop, &w->work, offload_run, offload_after);
}

/* ------------------------------------------------------ job endpoints */

struct reg_ctx
{
    server_register_cb done;
    void *arg;
    struct server_register_result res;
};

static void registered(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct reg_ctx *ctx = arg;

    ctx->res.index = index;
    if (ctx->res.eval_id[0])
        ctx->res.eval_create_index = index;
    ctx->res.job_modify_index = index;
    ctx->done(ctx->arg, rc, &ctx->res, err);
    free(ctx);
}

static struct eval *new_eval(const struct job *job, const char *triggered_by)
{
    struct eval *e = eval_new();
    char id[ID_UUID_LEN + 1];

    id_uuid(id);
    e->id = xstrdup(id);
    e->namespace = xstrdup(model_str(job->namespace));
    e->priority = job->priority;
    e->type = xstrdup(model_str(job->type));
    e->triggered_by = xstrdup(triggered_by);
    e->job_id = xstrdup(model_str(job->id));
    e->status = xstrdup(EVAL_STATUS_PENDING);
    return e;
}

struct eval *server_new_eval(const struct job *job, const char *triggered_by)
{
    return new_eval(job, triggered_by);
}

void server_job_register(struct server *s,
                         struct job *job,
                         server_register_cb done,
                         void *arg)
{
    struct reg_ctx *ctx = xcalloc(1, sizeof(*ctx));
    struct err err = ERR_INIT;
    struct cmd *c;

    ctx->done = done;
    ctx->arg = arg;
    ctx->res.warnings = "";
    if (job->region == NULL)
        model_set_str(&job->region, s->region);
    job_canonicalize(job);
    if (job_validate(job, &err) != 0) {
        done(arg, ERR_INVALID, &ctx->res, &err);
        job_free(job);
        free(ctx);
        return;
    }
    job->submit_time = time_wall_unix_ns();
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_JOB_REGISTER);
    /* Periodic and parameterized parents are not run themselves. */
    if (job->periodic == NULL && job->parameterized == NULL) {
        struct eval *e = new_eval(job, "job-register");

        snprintf(ctx->res.eval_id, sizeof(ctx->res.eval_id), "%s", e->id);
        cmd_add_eval(c, e);
    }
    c->job = job;
    server_apply(s, c, registered, ctx);
}

void server_job_deregister(struct server *s,
                           const char *namespace,
                           const char *id,
                           bool purge,
                           server_register_cb done,
                           void *arg)
{
    struct reg_ctx *ctx = xcalloc(1, sizeof(*ctx));
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct job job;
    struct cmd *c;

    ctx->done = done;
    ctx->arg = arg;
    ctx->res.warnings = "";
    job_init(&job);
    if (state_snapshot(s->state, &snap, &err) != 0 ||
        state_get_job(snap, namespace, id, &job, &err) != 0) {
        /* Nomad answers a stop of an unknown job with empty fields. */
        int rc = err.code == ERR_NOT_FOUND ? 0 : err.code;

        done(arg, rc, &ctx->res, &err);
        job_release(&job);
        state_snap_release(snap);
        free(ctx);
        return;
    }
    state_snap_release(snap);
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_JOB_DEREGISTER);
    c->namespace = xstrdup(namespace);
    c->id = xstrdup(id);
    c->purge = purge;
    if (job.periodic == NULL && job.parameterized == NULL) {
        struct eval *e = new_eval(&job, "job-deregister");

        snprintf(ctx->res.eval_id, sizeof(ctx->res.eval_id), "%s", e->id);
        cmd_add_eval(c, e);
    }
    job_release(&job);
    server_apply(s, c, registered, ctx);
}

/* -------------------------------------------------------------- reads */

_Static_assert(SERVER_JOBS == 1u << STATE_JOBS &&
                   SERVER_JOB_VERSIONS == 1u << STATE_JOB_VERSIONS &&
                   SERVER_EVALS == 1u << STATE_EVALS &&
                   SERVER_ALLOCS == 1u << STATE_ALLOCS &&
                   SERVER_NODES == 1u << STATE_NODES &&
                   SERVER_DEPLOYMENTS == 1u << STATE_DEPLOYMENTS,
               "server table bits follow the state store's tables");

int server_read_begin(struct server *s, struct state_snap **out, struct err *err)
{
    return state_snapshot(s->state, out, err);
}

void server_read_end(struct state_snap *r)
{
    state_snap_release(r);
}

uint64_t server_read_index(struct state_snap *r, unsigned tables)
{
    uint64_t idx = 0;

    for (int t = 0; t < STATE_NTABLES; t++) {
        if (tables & (1u << t)) {
            uint64_t v = state_snap_table_index(r, (enum state_table)t);

            if (v > idx)
                idx = v;
        }
    }
    return idx;
}

int server_read_job(struct state_snap *r,
                    const char *ns,
                    const char *id,
                    struct job *out,
                    struct err *err)
{
    return state_get_job(r, ns, id, out, err);
}

int server_read_job_version(struct state_snap *r,
                            const char *ns,
                            const char *id,
                            int64_t version,
                            struct job *out,
                            struct err *err)
{
    return state_get_job_version(r, ns, id, version, out, err);
}

int server_read_eval(struct state_snap *r,
                     const char *id,
                     struct eval *out,
                     struct err *err)
{
    return state_get_eval(r, id, out, err);
}

int server_read_alloc(struct state_snap *r,
                      const char *id,
                      struct alloc *out,
                      struct err *err)
{
    return state_get_alloc(r, id, out, err);
}

int server_read_node(struct state_snap *r,
                     const char *id,
                     struct node *out,
                     struct err *err)
{
    return state_get_node(r, id, out, err);
}

int server_read_deployment(struct state_snap *r,
                           const char *id,
                           struct deployment *out,
                           struct err *err)
{
    return state_get_deployment(r, id, out, err);
}

int server_each_job(struct state_snap *r,
                    const char *prefix,
                    server_job_cb cb,
                    void *arg,
                    struct err *err)
{
    return state_each_job(r, NULL, prefix, cb, arg, err);
}

int server_each_job_version(struct state_snap *r,
                            const char *ns,
                            const char *id,
                            server_job_cb cb,
                            void *arg,
                            struct err *err)
{
    return state_each_job_version(r, ns, id, cb, arg, err);
}

int server_each_eval(struct state_snap *r,
                     const char *prefix,
                     server_eval_cb cb,
                     void *arg,
                     struct err *err)
{
    return state_each_eval(r, prefix, cb, arg, err);
}

int server_each_eval_by_job(struct state_snap *r,
                            const char *ns,
                            const char *job,
                            server_eval_cb cb,
                            void *arg,
                            struct err *err)
{
    return state_each_eval_by_job(r, ns, job, cb, arg, err);
}

int server_each_alloc(struct state_snap *r,
                      const char *prefix,
                      server_alloc_cb cb,
                      void *arg,
                      struct err *err)
{
    return state_each_alloc(r, prefix, cb, arg, err);
}

int server_each_alloc_by_job(struct state_snap *r,
                             const char *ns,
                             const char *job,
                             server_alloc_cb cb,
                             void *arg,
                             struct err *err)
{
    return state_each_alloc_by_job(r, ns, job, cb, arg, err);
}

int server_each_alloc_by_node(struct state_snap *r,
                              const char *node,
                              server_alloc_cb cb,
                              void *arg,
                              struct err *err)
{
    return state_each_alloc_by_node(r, node, cb, arg, err);
}

int server_each_node(struct state_snap *r,
                     const char *prefix,
                     server_node_cb cb,
                     void *arg,
                     struct err *err)
{
    return state_each_node(r, prefix, cb, arg, err);
}

int server_each_deployment(struct state_snap *r,
                           const char *prefix,
                           server_deployment_cb cb,
                           void *arg,
                           struct err *err)
{
    return state_each_deployment(r, prefix, cb, arg, err);
}

int server_each_deployment_by_job(struct state_snap *r,
                                  const char *ns,
                                  const char *job,
                                  server_deployment_cb cb,
                                  void *arg,
                                  struct err *err)
{
    return state_each_deployment_by_job(r, ns, job, cb, arg, err);
}

const char *server_datacenter(const struct server *s)
{
    return s->datacenter;
}

uint64_t server_last_index(const struct server *s)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    uint64_t idx = 0;

    if (state_snapshot(s->state, &snap, &err) == 0) {
        idx = state_snap_last_index(snap);
        state_snap_release(snap);
    }
    return idx;
}

uint64_t server_heartbeat_ttl_ms(const struct server *s)
{
    return s->heartbeat_ttl_ms;
}

const char *server_region(const struct server *s)
{
    return s->region;
}

void *server_watch(struct server *s,
                   unsigned mask,
                   uint64_t index,
                   server_watch_cb cb,
                   void *arg)
{
    struct watch *w = xcalloc(1, sizeof(*w));

    w->mask = mask;
    w->index = index;
    w->cb = cb;
    w->arg = arg;
    list_add_tail(&s->watches, &w->node);
    return w;
}

void server_unwatch(struct server *s, void *handle)
{
    struct watch *w = handle;

    (void)s;
    if (w == NULL)
        return;
    list_del(&w->node);
    free(w);
}

/* -------------------------------------------------------- client RPCs */

static void touch_heartbeat(struct server *s, const char *node_id)
{
    uint64_t *deadline = map_get(&s->heartbeats, node_id);

    if (deadline == NULL) {
        deadline = xmalloc(sizeof(*deadline));
        map_put(&s->heartbeats, node_id, deadline);
    }
    *deadline = now_ms() + s->heartbeat_ttl_ms;
}

void server_node_register(struct server *s,
                          const struct node *n,
                          server_done_cb done,
                          void *arg)
{
    struct cmd *c = xmalloc(sizeof(*c));

    cmd_init(c, CMD_NODE_REGISTER);
    c->node = node_copy(n);
    model_set_str(&c->node->status, NODE_STATUS_READY);
    touch_heartbeat(s, n->id);
    server_apply(s, c, done, arg);
}

struct job_key_list
{
    char **ns;
    char **ids;
    size_t n;
};

static int collect_jobs_on_node(const struct alloc *a, void *arg)
{
    struct job_key_list *l = arg;

    if (alloc_is_terminal(a))
        return 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->ids[i], model_str(a->job_id)) == 0 &&
            strcmp(l->ns[i], model_str(a->namespace)) == 0)
            return 0;
    }
    l->ns = xrealloc(l->ns, (l->n + 1) * sizeof(char *));
    l->ids = xrealloc(l->ids, (l->n + 1) * sizeof(char *));
    l->ns[l->n] = xstrdup(model_str(a->namespace));
    l->ids[l->n] = xstrdup(model_str(a->job_id));
    l->n++;
    return 0;
}

/* A node status change, with an eval for every job that has allocs there. */
static void set_node_status(struct server *s,
                            const char *node_id,
                            const char *status,
                            server_done_cb done,
                            void *arg)
{
    struct cmd *c = xmalloc(sizeof(*c));
    struct job_key_list l = {NULL, NULL, 0};
    struct state_snap *snap;
    struct err err = ERR_INIT;

    cmd_init(c, CMD_NODE_STATUS);
    c->id = xstrdup(node_id);
    c->status = xstrdup(status);
    if (state_snapshot(s->state, &snap, &err) == 0) {
        state_each_alloc_by_node(snap, node_id, collect_jobs_on_node, &l,
                                 &err);
        for (size_t i = 0; i < l.n; i++) {
            struct job job;

            job_init(&job);
            if (state_get_job(snap, l.ns[i], l.ids[i], &job, &err) == 0) {
                struct eval *e = new_eval(&job, "node-update");

                model_set_str(&e->node_id, node_id);
                cmd_add_eval(c, e);
            }
            err_clear(&err);
            job_release(&job);
            free(l.ns[i]);
            free(l.ids[i]);
        }
        free(l.ns);
        free(l.ids);
        state_snap_release(snap);
    }
    server_apply(s, c, done, arg);
}

void server_node_heartbeat(struct server *s,
                           const char *node_id,
                           server_done_cb done,
                           void *arg)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct node n;
    bool down = false;
    int rc;

    node_init(&n);
    rc = state_snapshot(s->state, &snap, &err);
    if (rc == 0) {
        rc = state_get_node(snap, node_id, &n, &err);
        state_snap_release(snap);
    }
    if (rc != 0) {
        if (rc == ERR_NOT_FOUND)
            err_set(&err, ERR_NOT_FOUND, "node not found");
        node_release(&n);
        done(arg, rc, 0, &err);
        return;
    }
    down = strcmp(model_str(n.status), NODE_STATUS_READY) != 0;
    node_release(&n);
    touch_heartbeat(s, node_id);
    if (down) {
        /* Back from the dead: ready again, and its jobs re-evaluated. */
        set_node_status(s, node_id, NODE_STATUS_READY, done, arg);
        return;
    }
    done(arg, 0, server_last_index(s), &err);
}

static void check_heartbeats(uv_timer_t *t)
{
    struct server *s = t->data;
    uint64_t now = now_ms();
    struct map_iter it;
    const char *id;
    void *v;
    char **expired = NULL;
    size_t n = 0;

    map_iter_init(&it, &s->heartbeats);
    while (map_next(&it, &id, &v)) {
        if (*(uint64_t *)v > now)
            continue;
        expired = xrealloc(expired, (n + 1) * sizeof(*expired));
        expired[n++] = xstrdup(id);
    }
    for (size_t i = 0; i < n; i++) {
        log_warn(&s->lg, "node %s missed its heartbeat: marking it down",
                 expired[i]);
        free(map_del(&s->heartbeats, expired[i]));
        set_node_status(s, expired[i], NODE_STATUS_DOWN, NULL, NULL);
        free(expired[i]);
    }
    free(expired);
    if (s->deploy_due_unix_ns > 0 &&
        time_wall_unix_ns() >= s->deploy_due_unix_ns && !s->closing)
        watch_deployments(s);
    nodeops_tick(s);
}

struct nodeops *server__nodeops(struct server *s)
{
    return s->nodeops;
}

void server_alloc_update(struct server *s,
                         struct alloc *const *allocs,
                         size_t n,
                         server_done_cb done,
                         void *arg)
{
    struct cmd *c = xmalloc(sizeof(*c));
    struct state_snap *snap = NULL;
    struct err err = ERR_INIT;

    cmd_init(c, CMD_ALLOC_CLIENT_UPDATE);
    if (state_snapshot(s->state, &snap, &err) != 0)
        snap = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct alloc *u = allocs[i];

        cmd_add_alloc(c, alloc_copy(u));
        /* A failed alloc the server still wants running: reschedule. */
        if (snap != NULL &&
            strcmp(model_str(u->client_status), ALLOC_CLIENT_FAILED) == 0) {
            struct alloc cur;

            alloc_init(&cur);
            if (state_get_alloc(snap, u->id, &cur, &err) == 0 &&
                strcmp(model_str(cur.desired_status), ALLOC_DESIRED_RUN) ==
                    0 &&
                !alloc_client_is_terminal(&cur) && cur.job != NULL) {
                struct eval *e = new_eval(cur.job, "alloc-failure");

                cmd_add_eval(c, e);
            }
            err_clear(&err);
            alloc_release(&cur);
        }
    }
    state_snap_release(snap);
    server_apply(s, c, done, arg);
}

/* ---------------------------------------------------------- lifecycle */

static int replay_entry(uint64_t index, const void *data, size_t len, void *arg)
{
    struct server *s = arg;
    struct err err = ERR_INIT;
    struct fsm_effects fx = {0};
    struct cmd c;
    int rc;

    rc = cmd_decode(data, len, &c, &err);
    if (rc == 0) {
        rc = fsm_apply(s->state, index, &c, &fx, &err);
        cmd_release(&c);
    }
    fsm_effects_release(&fx);
    if (rc != 0)
        log_error(&s->lg, "replaying log entry %" PRIu64 ": %s", index,
                  err.msg);
    return rc;
}

static int requeue_eval(const struct eval *e, void *arg)
{
    struct server *s = arg;

    if (e->status && strcmp(e->status, EVAL_STATUS_PENDING) == 0) {
        enqueue_eval(s, e);
    } else if (e->status && strcmp(e->status, EVAL_STATUS_BLOCKED) == 0) {
        s->blocked = xrealloc(s->blocked, (s->nblocked + 1) * sizeof(char *));
        s->blocked[s->nblocked++] = xstrdup(e->id);
    }
    return 0;
}

/* After a restart every ready node gets a fresh TTL, as a new leader does. */
static int arm_node(const struct node *n, void *arg)
{
    if (strcmp(model_str(n->status), NODE_STATUS_READY) == 0)
        touch_heartbeat(arg, n->id);
    return 0;
}

static int mkdir_p(const char *path, struct err *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return err_set(err, -errno, "cannot create %s: %s", path,
                       strerror(errno));
    return 0;
}

int server_new(uv_loop_t *loop,
               const struct server_config *cfg,
               struct server **out,
               struct err *err)
{
    struct server *s = xcalloc(1, sizeof(*s));
    struct state_options opts = {0, cfg->dev};
    struct state_snap *snap = NULL;
    char *root = xasprintf("%s/server", cfg->data_dir);
    char *sdir = xasprintf("%s/state", root);
    char *ldir = xasprintf("%s/log", root);
    int rc;

    *out = NULL;
    s->loop = loop;
    s->region = xstrdup(cfg->region ? cfg->region : "global");
    s->datacenter = xstrdup(cfg->datacenter ? cfg->datacenter : "dc1");
    s->num_workers = cfg->num_workers > 0 ? cfg->num_workers : 2;
    s->heartbeat_ttl_ms =
        cfg->heartbeat_ttl_ms > 0 ? cfg->heartbeat_ttl_ms : 30000;
    map_init(&s->heartbeats);
    logger_init(&s->lg, "server", NULL);
    list_init(&s->applies);
    list_init(&s->watches);
    s->broker = broker_new(NULL);
    s->nodeops = nodeops_new(cfg);
    rc = mkdir_p(cfg->data_dir, err);
    if (rc == 0)
        rc = mkdir_p(root, err);
    if (rc == 0)
        rc = state_open(sdir, &opts, &s->state, err);
    if (rc == 0)
        rc = cmdlog_open(ldir, cfg->dev, &s->log, err);
    /* Entries appended but not applied before a crash are applied now. */
    if (rc == 0)
        rc = state_snapshot(s->state, &snap, err);
    if (rc == 0) {
        uint64_t applied = state_snap_last_index(snap);

        state_snap_release(snap);
        snap = NULL;
        if (cmdlog_last_index(s->log) > applied) {
            log_info(&s->lg, "applying log entries %" PRIu64 "..%" PRIu64,
                     applied + 1, cmdlog_last_index(s->log));
            rc = cmdlog_replay(s->log, applied, replay_entry, s, err);
        }
    }
    if (rc == 0)
        rc = state_snapshot(s->state, &snap, err);
    if (rc == 0) {
        /* Deadlines of deployments are checked at the first tick. */
        s->deploy_due_unix_ns = 1;
        rc = state_each_eval(snap, "", requeue_eval, s, err);
        if (rc == 0)
            rc = state_each_node(snap, "", arm_node, s, err);
        state_snap_release(snap);
    }
    free(root);
    free(sdir);
    free(ldir);
    if (rc != 0) {
        cmdlog_close(s->log);
        if (s->state)
            state_close(s->state);
        broker_free(s->broker);
        nodeops_free(s->nodeops);
        map_release(&s->heartbeats, NULL);
        free(s->region);
        free(s->datacenter);
        free(s);
        return rc;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uv_timer_init(loop, &s->hb_timer);
    s->hb_timer.data = s;
    uv_timer_start(&s->hb_timer, check_heartbeats, 1000, 1000);
    s->open_handles = 3;
    *out = s;
    s->periodic = periodic_new(loop, s);
    schedule_more(s);
    return 0;
}

static void free_server(struct server *s)
{
    struct watch *w, *tmp;

    list_for_each_entry_safe(w, tmp, &s->watches, struct watch, node)
    {
        list_del(&w->node);
        w->cb(w->arg, 0);
        free(w);
    }
    for (size_t i = 0; i < s->nblocked; i++)
        free(s->blocked[i]);
    free(s->blocked);
    broker_free(s->broker);
    nodeops_free(s->nodeops);
    map_release(&s->heartbeats, free);
    cmdlog_close(s->log);
    state_close(s->state);
    free(s->region);
    free(s->datacenter);
    if (s->close_cb)
        s->close_cb(s->close_arg);
    free(s);
}

/* Frees a closing server once nothing of it runs any more. */
static bool maybe_free(struct server *s)
{
    if (!s->closing || s->open_handles > 0 || s->running > 0 ||
        s->applying || !list_empty(&s->applies))
        return false;
    free_server(s);
    return true;
}

static void timer_closed(uv_handle_t *h)
{
    struct server *s = h->data;

    s->open_handles--;
    maybe_free(s);
}

static void periodic_closed(void *arg)
{
    struct server *s = arg;

    s->open_handles--;
    maybe_free(s);
}

void server_close(struct server *s, void (*cb)(void *arg), void *arg)
{
    s->closing = true;
    s->close_cb = cb;
    s->close_arg = arg;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, timer_closed);
    uv_timer_stop(&s->hb_timer);
    uv_close((uv_handle_t *)&s->hb_timer, timer_closed);
    periodic_close(s->periodic, periodic_closed, s);
}

void server_periodic_force(struct server *s,
                           const char *namespace,
                           const char *id,
                           server_force_cb done,
                           void *arg)
{
    periodic_force(s->periodic, namespace, id, done, arg);
}
