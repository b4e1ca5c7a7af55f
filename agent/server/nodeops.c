/*
 * Node operations on the server (see nodeops.h, server.h): the
 * eligibility and drain requests of the HTTP API, the drainer that moves
 * allocs off draining nodes (decisions in drainer.c), and garbage
 * collection (selection in gc.c). Every change goes through the log.
 *
 * The drainer and the periodic GC run from the server's one-second tick.
 * At most one drainer step is in flight: its commands must be applied
 * before the next step reads the state, or it would mark allocs twice.
 */
#include "agent/server/nodeops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/drainer.h"
#include "agent/server/gc.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/log.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/time.h"

#define DEFAULT_GC_INTERVAL_MS (5 * 60 * 1000)

struct nodeops
{
    struct gc_thresholds th;
    uint64_t gc_interval_ms;
    uint64_t last_gc_ms;
    int drain_pending; /* drainer commands not applied yet */
    bool gc_pending;
    struct logger lg;
};

struct nodeops *nodeops_new(const struct server_config *cfg)
{
    struct nodeops *n = xcalloc(1, sizeof(*n));

    gc_thresholds_default(&n->th);
    if (cfg->job_gc_threshold_ns > 0)
        n->th.job_ns = cfg->job_gc_threshold_ns;
    if (cfg->eval_gc_threshold_ns > 0)
        n->th.eval_ns = cfg->eval_gc_threshold_ns;
    if (cfg->batch_eval_gc_threshold_ns > 0)
        n->th.batch_eval_ns = cfg->batch_eval_gc_threshold_ns;
    if (cfg->deployment_gc_threshold_ns > 0)
        n->th.deployment_ns = cfg->deployment_gc_threshold_ns;
    if (cfg->node_gc_threshold_ns > 0)
        n->th.node_ns = cfg->node_gc_threshold_ns;
    n->gc_interval_ms = cfg->job_gc_interval_ms > 0 ? cfg->job_gc_interval_ms
                                                    : DEFAULT_GC_INTERVAL_MS;
    n->last_gc_ms = time_mono_ms();
    logger_init(&n->lg, "server.nodeops", NULL);
    return n;
}

void nodeops_free(struct nodeops *n)
{
    free(n);
}

/* ============================================================ records */

/* A growable list of record copies, filled by the server_each_* walks. */
struct list
{
    void **v;
    size_t n;
};

static void list_push(struct list *l, void *x)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = x;
}

static int push_job(const struct job *j, void *arg)
{
    list_push(arg, job_copy(j));
    return 0;
}

static int push_eval(const struct eval *e, void *arg)
{
    list_push(arg, eval_copy(e));
    return 0;
}

static int push_alloc(const struct alloc *a, void *arg)
{
    list_push(arg, alloc_copy(a));
    return 0;
}

static int push_node(const struct node *n, void *arg)
{
    list_push(arg, node_copy(n));
    return 0;
}

static int push_deployment(const struct deployment *d, void *arg)
{
    list_push(arg, deployment_copy(d));
    return 0;
}

static void list_free(struct list *l, void (*f)(void *))
{
    for (size_t i = 0; i < l->n; i++)
        f(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void free_job(void *x)
{
    job_free(x);
}
static void free_eval(void *x)
{
    eval_free(x);
}
static void free_alloc(void *x)
{
    alloc_free(x);
}
static void free_node(void *x)
{
    node_free(x);
}
static void free_deployment(void *x)
{
    deployment_free(x);
}

static struct eval *new_eval(const struct job *job,
                             const char *triggered_by,
                             const char *node_id)
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
    e->node_id = node_id ? xstrdup(node_id) : NULL;
    e->status = xstrdup(EVAL_STATUS_PENDING);
    return e;
}

static bool has_eval_for(const struct cmd *c, const char *ns, const char *job)
{
    for (size_t i = 0; i < c->nevals; i++) {
        if (strcmp(model_str(c->evals[i]->job_id), job) == 0 &&
            strcmp(model_str(c->evals[i]->namespace), ns) == 0)
            return true;
    }
    return false;
}

/* Adds an eval of job to c unless c has one; stopped jobs get none. */
static void add_job_eval(struct cmd *c,
                         const struct job *job,
                         const char *triggered_by,
                         const char *node_id)
{
    if (job == NULL || job->periodic != NULL || job->parameterized != NULL ||
        has_eval_for(c, model_str(job->namespace), model_str(job->id)))
        return;
    cmd_add_eval(c, new_eval(job, triggered_by, node_id));
}

/*
 * Nomad's createNodeEvals: an eval for every job with a live alloc on the
 * node and for every system job, so they place on it again.
 */
static void add_node_evals(struct state_snap *snap,
                           const char *node_id,
                           struct cmd *c)
{
    struct list allocs = {0}, jobs = {0};
    struct err err = ERR_INIT;

    server_each_alloc_by_node(snap, node_id, push_alloc, &allocs, &err);
    for (size_t i = 0; i < allocs.n; i++) {
        const struct alloc *a = allocs.v[i];

        if (!alloc_is_terminal(a) && a->job != NULL &&
            !tri_is_true(a->job->stop))
            add_job_eval(c, a->job, "node-update", node_id);
    }
    server_each_job(snap, "", push_job, &jobs, &err);
    for (size_t i = 0; i < jobs.n; i++) {
        const struct job *j = jobs.v[i];
        const char *type = model_str(j->type);

        if ((strcmp(type, "system") == 0 || strcmp(type, "sysbatch") == 0) &&
            !tri_is_true(j->stop))
            add_job_eval(c, j, "node-update", node_id);
    }
    list_free(&allocs, free_alloc);
    list_free(&jobs, free_job);
}

/* ====================================================== HTTP requests */

struct update_ctx
{
    server_node_update_cb done;
    void *arg;
    struct server_node_update_result res;
};

static void update_ctx_free(struct update_ctx *u)
{
    for (size_t i = 0; i < u->res.neval_ids; i++)
        free(u->res.eval_ids[i]);
    free(u->res.eval_ids);
    free(u);
}

static struct update_ctx *update_ctx_new(server_node_update_cb done, void *arg)
{
    struct update_ctx *u = xcalloc(1, sizeof(*u));

    u->done = done;
    u->arg = arg;
    return u;
}

static void updated(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct update_ctx *u = arg;

    u->res.index = index;
    u->res.node_modify_index = index;
    if (u->res.neval_ids > 0)
        u->res.eval_create_index = index;
    u->done(u->arg, rc, &u->res, err);
    update_ctx_free(u);
}

static void fail(struct update_ctx *u, int rc, const struct err *err)
{
    u->done(u->arg, rc, &u->res, err);
    update_ctx_free(u);
}

static void note_evals(struct update_ctx *u, const struct cmd *c)
{
    u->res.eval_ids = xcalloc(c->nevals ? c->nevals : 1, sizeof(char *));
    for (size_t i = 0; i < c->nevals; i++)
        u->res.eval_ids[u->res.neval_ids++] = xstrdup(c->evals[i]->id);
}

/* Reads node id into n; the snapshot stays open in *snap on success. */
static int read_node(struct server *s,
                     const char *id,
                     struct state_snap **snap,
                     struct node *n,
                     struct err *err)
{
    int rc = server_read_begin(s, snap, err);

    if (rc != 0)
        return rc;
    rc = server_read_node(*snap, id, n, err);
    if (rc == ERR_NOT_FOUND)
        err_set(err, ERR_NOT_FOUND, "node not found");
    if (rc != 0) {
        server_read_end(*snap);
        *snap = NULL;
    }
    return rc;
}

void server_node_eligibility(struct server *s,
                             const char *node_id,
                             const char *eligibility,
                             server_node_update_cb done,
                             void *arg)
{
    struct update_ctx *u = update_ctx_new(done, arg);
    struct err err = ERR_INIT;
    struct state_snap *snap = NULL;
    struct node n;
    bool eligible = eligibility && strcmp(eligibility, "eligible") == 0;
    struct cmd *c;
    int rc;

    node_init(&n);
    if (node_id == NULL || node_id[0] == '\0') {
        rc = err_set(&err, ERR_INVALID,
                     "missing node ID for setting scheduling eligibility");
        goto out;
    }
    if (!eligible &&
        (eligibility == NULL || strcmp(eligibility, "ineligible") != 0)) {
        rc = err_set(&err, ERR_INVALID, "invalid scheduling eligibility \"%s\"",
                     eligibility ? eligibility : "");
        goto out;
    }
    rc = read_node(s, node_id, &snap, &n, &err);
    if (rc != 0)
        goto out;
    if (n.drain_strategy != NULL && eligible) {
        rc = err_set(&err, ERR_INVALID,
                     "can not set node's scheduling eligibility to eligible "
                     "while it is draining");
        goto out;
    }
    if (strcmp(model_str(n.scheduling_eligibility), eligibility) == 0)
        goto out; /* nothing to do: Nomad answers index 0 */
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_NODE_ELIGIBILITY);
    c->id = xstrdup(n.id);
    c->status = xstrdup(eligibility);
    if (eligible)
        add_node_evals(snap, n.id, c);
    note_evals(u, c);
    server_read_end(snap);
    node_release(&n);
    server_apply(s, c, updated, u);
    return;
out:
    if (snap != NULL)
        server_read_end(snap);
    node_release(&n);
    fail(u, rc, &err);
}

void server_node_drain(struct server *s,
                       const struct server_drain_request *req,
                       server_node_update_cb done,
                       void *arg)
{
    struct update_ctx *u = update_ctx_new(done, arg);
    struct err err = ERR_INIT;
    struct state_snap *snap = NULL;
    int64_t now = time_wall_unix_ns();
    struct node n;
    struct cmd *c;
    int rc;

    node_init(&n);
    if (req->node_id == NULL || req->node_id[0] == '\0') {
        rc = err_set(&err, ERR_INVALID, "missing node ID for drain update");
        goto fail;
    }
    rc = read_node(s, req->node_id, &snap, &n, &err);
    if (rc != 0)
        goto fail;
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_NODE_DRAIN);
    c->id = xstrdup(n.id);
    c->mark_eligible = req->mark_eligible;
    c->node = node_new();
    c->node->id = xstrdup(n.id);
    if (req->enable) {
        struct node_drain_strategy *ds = xcalloc(1, sizeof(*ds));

        ds->deadline_ns = req->deadline_ns;
        ds->ignore_system_jobs = req->ignore_system_jobs;
        ds->started_at_unix_ns =
            n.drain_strategy ? n.drain_strategy->started_at_unix_ns : now;
        if (req->deadline_ns > 0)
            ds->force_deadline_unix_ns = now + req->deadline_ns;
        c->node->drain_strategy = ds;
    }
    if (req->meta != NULL && req->meta->n > 0) {
        c->node->last_drain = node_drain_meta_new();
        strmap_copy(&c->node->last_drain->meta, req->meta);
    }
    /* Eligible again after a drain: its jobs and system jobs may place. */
    if (!req->enable && req->mark_eligible &&
        strcmp(model_str(n.scheduling_eligibility), "ineligible") == 0)
        add_node_evals(snap, n.id, c);
    note_evals(u, c);
    server_read_end(snap);
    node_release(&n);
    server_apply(s, c, updated, u);
    return;
fail:
    node_release(&n);
    fail(u, rc, &err);
}

/* ============================================================ drainer */

static void drain_applied(void *arg,
                          int rc,
                          uint64_t index,
                          const struct err *err)
{
    struct nodeops *n = arg;

    (void)index;
    if (rc != 0)
        log_warn(&n->lg, "drainer update not applied: %s", err->msg);
    n->drain_pending--;
}

static bool same_job(const struct alloc *a, const struct alloc *b)
{
    return strcmp(model_str(a->job_id), model_str(b->job_id)) == 0 &&
           strcmp(model_str(a->namespace), model_str(b->namespace)) == 0;
}

/* Marks the allocs r chose, with an eval for each of their jobs. */
static void apply_migrations(struct server *s,
                             const struct node *node,
                             const struct drainer_result *r,
                             const struct list *on_node)
{
    struct nodeops *n = server__nodeops(s);
    struct cmd *c = xmalloc(sizeof(*c));

    cmd_init(c, CMD_ALLOC_TRANSITION);
    for (size_t i = 0; i < r->nmigrate; i++) {
        cmd_add_key(c, CMD_KEY_ALLOC, NULL, r->migrate[i]);
        for (size_t k = 0; k < on_node->n; k++) {
            const struct alloc *a = on_node->v[k];

            if (strcmp(a->id, r->migrate[i]) == 0 && a->job != NULL)
                add_job_eval(c, a->job, "node-drain", node->id);
        }
    }
    log_info(&n->lg, "node %s: %zu allocs marked for migration", node->id,
             r->nmigrate);
    n->drain_pending++;
    server_apply(s, c, drain_applied, n);
}

/* One drainer step for one draining node. */
static void drain_node(struct server *s,
                       struct state_snap *snap,
                       const struct node *node,
                       int64_t now)
{
    struct nodeops *n = server__nodeops(s);
    struct list on_node = {0}, of_jobs = {0};
    struct drainer_input in;
    struct drainer_result r;
    struct err err = ERR_INIT;

    server_each_alloc_by_node(snap, node->id, push_alloc, &on_node, &err);
    for (size_t i = 0; i < on_node.n; i++) {
        const struct alloc *a = on_node.v[i];
        bool seen = false;

        for (size_t k = 0; k < i && !seen; k++)
            seen = same_job(on_node.v[k], a);
        if (!seen)
            server_each_alloc_by_job(snap, a->namespace, a->job_id, push_alloc,
                                     &of_jobs, &err);
    }
    memset(&in, 0, sizeof(in));
    memset(&r, 0, sizeof(r));
    in.node = node;
    in.node_allocs = (struct alloc *const *)on_node.v;
    in.nnode_allocs = on_node.n;
    in.job_allocs = (struct alloc *const *)of_jobs.v;
    in.njob_allocs = of_jobs.n;
    in.now_unix_ns = now;
    drainer_decide(&in, &r);
    if (r.nmigrate > 0)
        apply_migrations(s, node, &r, &on_node);
    if (r.done) {
        struct cmd *c = xmalloc(sizeof(*c));

        cmd_init(c, CMD_NODE_DRAIN);
        c->id = xstrdup(node->id);
        c->status = xstrdup(r.deadline ? "deadline" : "complete");
        log_info(&n->lg, "node %s: drain complete%s", node->id,
                 r.deadline ? " (deadline reached)" : "");
        n->drain_pending++;
        server_apply(s, c, drain_applied, n);
    }
    drainer_result_release(&r);
    list_free(&on_node, free_alloc);
    list_free(&of_jobs, free_alloc);
}

static void drain_tick(struct server *s)
{
    struct list nodes = {0};
    struct state_snap *snap;
    struct err err = ERR_INIT;
    int64_t now = time_wall_unix_ns();

    if (server_read_begin(s, &snap, &err) != 0)
        return;
    server_each_node(snap, "", push_node, &nodes, &err);
    for (size_t i = 0; i < nodes.n; i++) {
        const struct node *node = nodes.v[i];

        if (node->drain_strategy != NULL)
            drain_node(s, snap, node, now);
    }
    list_free(&nodes, free_node);
    server_read_end(snap);
}

/* ================================================================= GC */

struct gc_ctx
{
    struct nodeops *n;
    server_done_cb done;
    void *arg;
};

static void gc_applied(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct gc_ctx *g = arg;

    g->n->gc_pending = false;
    if (rc != 0)
        log_warn(&g->n->lg, "garbage collection not applied: %s", err->msg);
    if (g->done)
        g->done(g->arg, rc, index, err);
    free(g);
}

/* Every record of the state, copied: what the GC selection looks at. */
struct gc_records
{
    struct list jobs, evals, allocs, deps, nodes;
};

static int gc_records_read(struct server *s,
                           struct gc_records *r,
                           struct err *err)
{
    struct state_snap *snap;
    int rc = server_read_begin(s, &snap, err);

    memset(r, 0, sizeof(*r));
    if (rc != 0)
        return rc;
    server_each_job(snap, "", push_job, &r->jobs, err);
    server_each_eval(snap, "", push_eval, &r->evals, err);
    server_each_alloc(snap, "", push_alloc, &r->allocs, err);
    server_each_deployment(snap, "", push_deployment, &r->deps, err);
    server_each_node(snap, "", push_node, &r->nodes, err);
    server_read_end(snap);
    return 0;
}

static void gc_records_release(struct gc_records *r)
{
    list_free(&r->jobs, free_job);
    list_free(&r->evals, free_eval);
    list_free(&r->allocs, free_alloc);
    list_free(&r->deps, free_deployment);
    list_free(&r->nodes, free_node);
}

/* The GC command for thresholds th, or NULL when nothing may go. */
static struct cmd *gc_command(const struct gc_records *r,
                              const struct gc_thresholds *th)
{
    struct gc_input in;
    struct cmd *c = xmalloc(sizeof(*c));

    memset(&in, 0, sizeof(in));
    in.jobs = (struct job *const *)r->jobs.v;
    in.njobs = r->jobs.n;
    in.evals = (struct eval *const *)r->evals.v;
    in.nevals = r->evals.n;
    in.allocs = (struct alloc *const *)r->allocs.v;
    in.nallocs = r->allocs.n;
    in.deployments = (struct deployment *const *)r->deps.v;
    in.ndeployments = r->deps.n;
    in.nodes = (struct node *const *)r->nodes.v;
    in.nnodes = r->nodes.n;
    in.now_unix_ns = time_wall_unix_ns();
    in.th = *th;
    cmd_init(c, CMD_GC);
    if (gc_select(&in, c) == 0) {
        cmd_release(c);
        free(c);
        return NULL;
    }
    return c;
}

static void run_gc(struct server *s,
                   const struct gc_thresholds *th,
                   server_done_cb done,
                   void *arg)
{
    struct nodeops *n = server__nodeops(s);
    struct gc_records r;
    struct err err = ERR_INIT;
    struct gc_ctx *g;
    struct cmd *c;
    int rc;

    rc = gc_records_read(s, &r, &err);
    if (rc != 0) {
        if (done)
            done(arg, rc, 0, &err);
        return;
    }
    c = gc_command(&r, th);
    gc_records_release(&r);
    if (c == NULL) {
        if (done)
            done(arg, 0, server_last_index(s), &err);
        return;
    }
    log_info(&n->lg, "garbage collecting %zu records", c->nkeys);
    g = xcalloc(1, sizeof(*g));
    g->n = n;
    g->done = done;
    g->arg = arg;
    n->gc_pending = true;
    server_apply(s, c, gc_applied, g);
}

void server_gc(struct server *s, server_done_cb done, void *arg)
{
    struct gc_thresholds zero;

    memset(&zero, 0, sizeof(zero));
    run_gc(s, &zero, done, arg);
}

void nodeops_tick(struct server *s)
{
    struct nodeops *n = server__nodeops(s);
    uint64_t now = time_mono_ms();

    if (n->drain_pending == 0)
        drain_tick(s);
    if (!n->gc_pending && now - n->last_gc_ms >= n->gc_interval_ms) {
        n->last_gc_ms = now;
        run_gc(s, &n->th, NULL, NULL);
    }
}
