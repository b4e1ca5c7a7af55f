/* The periodic dispatcher (see periodic.h). */
#include "agent/server/periodic.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/periodic_core.h"
#include "agent/server/server.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/time.h"

/* A periodic job being tracked, and its next launch. */
struct tracked
{
    char *namespace;
    char *id;
    int64_t job_modify_index;
    int64_t next; /* Unix seconds; 0 = none to come */
    bool seen;    /* still periodic at the last sync */
};

struct periodic
{
    uv_loop_t *loop;
    struct server *s;
    struct logger lg;
    uv_timer_t timer;
    void *watch;
    struct tracked *items;
    size_t n;
    bool closing;
    void (*close_cb)(void *arg);
    void *close_arg;
};

static void sync_jobs(struct periodic *p);
static void on_timer(uv_timer_t *h);

static int64_t now_s(void)
{
    return time_wall_unix_ms() / 1000;
}

static bool is_active(const struct job *j)
{
    return j->periodic != NULL && j->periodic->enabled != TRI_FALSE &&
           !tri_is_true(j->stop) &&
           (j->parameterized == NULL || tri_is_true(j->dispatched));
}

/* ------------------------------------------------------------ launching */

struct launch_ctx
{
    struct periodic *p;
    char *child;
    char eval_id[40];
    server_force_cb done;
    void *arg;
};

static void launched(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct launch_ctx *l = arg;

    if (rc != 0)
        log_error(&l->p->lg, "launching %s: %s", l->child, err->msg);
    else
        log_info(&l->p->lg, "launched periodic job %s", l->child);
    if (l->done)
        l->done(l->arg, rc, l->eval_id, index, err);
    free(l->child);
    free(l);
}

/*
 * Registers the child of parent for launch time t: the parent's spec under
 * `<id>/periodic-<t>`, with an eval. fsm.c records the launch with it, in
 * the same transaction.
 */
static void launch(struct periodic *p,
                   const struct job *parent,
                   int64_t t,
                   server_force_cb done,
                   void *arg)
{
    struct launch_ctx *l = xcalloc(1, sizeof(*l));
    struct job *child = job_copy(parent);
    struct eval *e;
    struct cmd *c;

    l->p = p;
    l->done = done;
    l->arg = arg;
    l->child = xasprintf("%s/periodic-%" PRId64, parent->id, t);
    model_set_str(&child->id, l->child);
    model_set_str(&child->name, l->child);
    model_set_str(&child->parent_id, parent->id);
    model_set_str(&child->status, NULL);
    model_set_str(&child->status_description, NULL);
    periodic_config_release(child->periodic);
    free(child->periodic);
    child->periodic = NULL;
    child->stop = TRI_FALSE;
    child->stable = TRI_FALSE;
    child->version = 0;
    child->submit_time = time_wall_unix_ns();
    e = server_new_eval(child, "periodic-job");
    snprintf(l->eval_id, sizeof(l->eval_id), "%s", e->id);
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_JOB_REGISTER);
    c->job = child;
    cmd_add_eval(c, e);
    server_apply(p->s, c, launched, l);
}

struct overlap
{
    const char *prefix;
    bool running;
};

static int child_running(const struct job *j, void *arg)
{
    struct overlap *o = arg;

    if (strncmp(j->id, o->prefix, strlen(o->prefix)) == 0 &&
        (j->status == NULL || strcmp(j->status, "dead") != 0))
        o->running = true;
    return o->running;
}

static bool has_running_child(struct state_snap *snap, const struct job *parent)
{
    char *prefix = xasprintf("%s/periodic-", parent->id);
    struct overlap o = {prefix, false};
    struct err err = ERR_INIT;

    server_each_job(snap, prefix, child_running, &o, &err);
    free(prefix);
    return o.running;
}

/* ------------------------------------------------------------ the timer */

static void arm(struct periodic *p)
{
    int64_t first = 0, wait_ms;

    if (p->closing)
        return;
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].next != 0 && (first == 0 || p->items[i].next < first))
            first = p->items[i].next;
    uv_timer_stop(&p->timer);
    if (first == 0)
        return;
    wait_ms = first * 1000 - time_wall_unix_ms();
    uv_update_time(p->loop);
    uv_timer_start(&p->timer, on_timer, wait_ms > 0 ? (uint64_t)wait_ms : 0,
                   0);
}

static void next_after(struct periodic *p, struct tracked *t,
                       const struct job *j, int64_t after)
{
    struct err err = ERR_INIT;

    if (periodic_next(j->periodic, after, &t->next, &err) != 0) {
        log_error(&p->lg, "periodic job %s: %s", t->id, err.msg);
        t->next = 0;
    }
}

static void on_timer(uv_timer_t *h)
{
    struct periodic *p = h->data;
    struct state_snap *snap;
    struct err err = ERR_INIT;
    int64_t now = now_s();

    if (server_read_begin(p->s, &snap, &err) != 0) {
        log_error(&p->lg, "periodic: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct tracked *t = &p->items[i];
        struct periodic_plan plan;
        struct job j;

        if (t->next == 0 || t->next > now)
            continue;
        job_init(&j);
        if (server_read_job(snap, t->namespace, t->id, &j, &err) != 0 ||
            !is_active(&j)) {
            t->next = 0;
        } else if (periodic_due(j.periodic, t->next, now,
                                tri_is_true(j.periodic->prohibit_overlap) &&
                                    has_running_child(snap, &j),
                                &plan, &err) != 0) {
            log_error(&p->lg, "periodic job %s: %s", t->id, err.msg);
            t->next = 0;
        } else {
            if (plan.launch)
                launch(p, &j, plan.launch_at, NULL, NULL);
            else
                log_info(&p->lg,
                         "skipping launch of periodic job %s at %" PRId64
                         ": a previous child is still running "
                         "(prohibit_overlap)",
                         t->id, plan.launch_at);
            t->next = plan.next;
        }
        job_release(&j);
    }
    server_read_end(snap);
    arm(p);
}

/* ------------------------------------------------------------- tracking */

static struct tracked *find(struct periodic *p, const char *ns, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->items[i].namespace, ns) == 0 &&
            strcmp(p->items[i].id, id) == 0)
            return &p->items[i];
    return NULL;
}

struct sync_ctx
{
    struct periodic *p;
    struct state_snap *snap;
    int64_t now;
};

/*
 * First sight of a job (at start, or when it is registered): if its cron
 * came due since its last launch (or its registration), it launches once
 * now, as Nomad does after a leader change; then from now on.
 */
static void track_new(struct sync_ctx *sc, const struct job *j)
{
    struct periodic *p = sc->p;
    struct tracked *t;
    struct periodic_plan plan;
    struct err err = ERR_INIT;
    int64_t last_ns = 0;

    p->items = xrealloc(p->items, (p->n + 1) * sizeof(*p->items));
    t = &p->items[p->n++];
    memset(t, 0, sizeof(*t));
    t->namespace = xstrdup(j->namespace);
    t->id = xstrdup(j->id);
    t->job_modify_index = j->job_modify_index;
    t->seen = true;
    if (state_get_periodic_launch(sc->snap, j->namespace, j->id, &last_ns,
                                  &err) != 0)
        last_ns = 0;
    err_clear(&err);
    if (periodic_first(j->periodic, last_ns / 1000000000, sc->now, &plan,
                       &err) != 0) {
        log_error(&p->lg, "periodic job %s: %s", t->id, err.msg);
        return;
    }
    if (plan.launch) {
        log_info(&p->lg, "periodic job %s missed a launch; launching it now",
                 j->id);
        launch(p, j, plan.launch_at, NULL, NULL);
    }
    t->next = plan.next;
}

static int sync_job(const struct job *j, void *arg)
{
    struct sync_ctx *sc = arg;
    struct tracked *t;

    if (!is_active(j))
        return 0;
    t = find(sc->p, j->namespace, j->id);
    if (t == NULL) {
        track_new(sc, j);
        return 0;
    }
    t->seen = true;
    if (t->job_modify_index != j->job_modify_index) {
        /* An updated spec counts from now. */
        t->job_modify_index = j->job_modify_index;
        next_after(sc->p, t, j, sc->now);
    }
    return 0;
}

/* Each job with a launch record: the periodic ones, without a walk of
 * every job on every change. */
static int sync_launch(const char *ns, const char *id, int64_t launch_ns,
                       void *arg)
{
    struct sync_ctx *sc = arg;
    struct err err = ERR_INIT;
    struct job j;

    (void)launch_ns;
    job_init(&j);
    if (server_read_job(sc->snap, ns, id, &j, &err) == 0)
        sync_job(&j, sc);
    job_release(&j);
    return 0;
}

static void jobs_changed(void *arg, uint64_t index)
{
    struct periodic *p = arg;

    p->watch = NULL;
    if (index == 0 || p->closing)
        return;
    sync_jobs(p);
}

static void sync_jobs(struct periodic *p)
{
    struct sync_ctx sc = {p, NULL, now_s()};
    struct err err = ERR_INIT;
    uint64_t index;
    size_t kept = 0;

    if (server_read_begin(p->s, &sc.snap, &err) != 0) {
        log_error(&p->lg, "periodic: %s", err.msg);
        return;
    }
    index = server_read_index(sc.snap, SERVER_JOBS);
    for (size_t i = 0; i < p->n; i++)
        p->items[i].seen = false;
    state_each_periodic_launch(sc.snap, sync_launch, &sc, &err);
    server_read_end(sc.snap);
    /* Jobs stopped, purged or no longer periodic are forgotten. */
    for (size_t i = 0; i < p->n; i++) {
        if (p->items[i].seen) {
            p->items[kept++] = p->items[i];
        } else {
            free(p->items[i].namespace);
            free(p->items[i].id);
        }
    }
    p->n = kept;
    arm(p);
    p->watch = server_watch(p->s, SERVER_JOBS, index, jobs_changed, p);
}

struct periodic *periodic_new(uv_loop_t *loop, struct server *s)
{
    struct periodic *p = xcalloc(1, sizeof(*p));

    p->loop = loop;
    p->s = s;
    logger_init(&p->lg, "server.periodic", NULL);
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    sync_jobs(p);
    return p;
}

static void closed(uv_handle_t *h)
{
    struct periodic *p = h->data;

    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].namespace);
        free(p->items[i].id);
    }
    free(p->items);
    if (p->close_cb)
        p->close_cb(p->close_arg);
    free(p);
}

void periodic_close(struct periodic *p, void (*cb)(void *arg), void *arg)
{
    p->closing = true;
    p->close_cb = cb;
    p->close_arg = arg;
    if (p->watch)
        server_unwatch(p->s, p->watch);
    p->watch = NULL;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, closed);
}

void periodic_force(struct periodic *p,
                    const char *namespace,
                    const char *id,
                    server_force_cb done,
                    void *arg)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct job j;
    int rc;

    job_init(&j);
    rc = server_read_begin(p->s, &snap, &err);
    if (rc == 0) {
        rc = server_read_job(snap, namespace, id, &j, &err);
        server_read_end(snap);
    }
    if (rc == 0 && j.periodic == NULL)
        rc = err_set(&err, ERR_INVALID, "can't force launch non-periodic job");
    else if (rc == 0 && !is_active(&j))
        rc = err_set(&err, ERR_INVALID, "can't force run non-tracked job");
    if (rc != 0)
        done(arg, rc, "", 0, &err);
    else
        launch(p, &j, now_s(), done, arg);
    job_release(&j);
}
