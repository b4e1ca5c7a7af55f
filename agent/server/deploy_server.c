/* The deployment watcher's adapter (see deploy_server.h). */
#include "agent/server/deploy_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/deploy_watch.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/log.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/time.h"

static const struct logger lg = {"server.deploy", ""};

/* ============================================================== inputs */

/* What the core needs about one deployment, owned. */
struct inputs
{
    struct deployment *d;
    struct alloc **allocs;
    size_t nallocs;
    struct job *job;
    struct job *stable;
};

static void inputs_release(struct inputs *in)
{
    deployment_free(in->d);
    for (size_t i = 0; i < in->nallocs; i++)
        alloc_free(in->allocs[i]);
    free(in->allocs);
    job_free(in->job);
    job_free(in->stable);
    memset(in, 0, sizeof(*in));
}

static int collect_alloc(const struct alloc *a, void *arg)
{
    struct inputs *in = arg;

    in->allocs = xrealloc(in->allocs, (in->nallocs + 1) * sizeof(*in->allocs));
    in->allocs[in->nallocs++] = alloc_copy(a);
    return 0;
}

/* Nomad's latestStableJob: the newest stable version before d's. */
static int collect_stable(const struct job *job, void *arg)
{
    struct inputs *in = arg;

    if (!tri_is_true(job->stable) || job->version >= in->d->job_version)
        return 0;
    if (in->stable == NULL || job->version > in->stable->version) {
        job_free(in->stable);
        in->stable = job_copy(job);
    }
    return 0;
}

/* Takes d. */
static int gather(struct state_snap *snap,
                  struct deployment *d,
                  struct inputs *in,
                  struct err *err)
{
    struct job *job = job_new();
    int rc;

    memset(in, 0, sizeof(*in));
    in->d = d;
    rc = server_each_alloc_by_job(snap, d->namespace, d->job_id, collect_alloc,
                                  in, err);
    if (rc == 0)
        rc = server_each_job_version(snap, d->namespace, d->job_id,
                                     collect_stable, in, err);
    if (rc == 0 && server_read_job_version(snap, d->namespace, d->job_id,
                                           d->job_version, job, err) == 0) {
        in->job = job;
        job = NULL;
    }
    err_clear(err);
    job_free(job);
    return rc;
}

static struct deploy_watch_in core_in(const struct inputs *in)
{
    struct deploy_watch_in ci = {in->d,   in->allocs, in->nallocs,
                                 in->job, in->stable, time_wall_unix_ns()};

    return ci;
}

/* ============================================================ commands */

static struct eval *new_eval(const struct deployment *d, const struct job *j)
{
    struct eval *e = eval_new();
    char id[ID_UUID_LEN + 1];

    id_uuid(id);
    e->id = xstrdup(id);
    e->namespace = xstrdup(model_str(d->namespace));
    e->priority = d->eval_priority > 0 ? d->eval_priority
                  : j != NULL          ? j->priority
                                       : 50;
    e->type = xstrdup(j != NULL ? model_str(j->type) : "service");
    e->triggered_by = xstrdup("deployment-watcher");
    e->job_id = xstrdup(model_str(d->job_id));
    e->deployment_id = xstrdup(model_str(d->id));
    e->status = xstrdup(EVAL_STATUS_PENDING);
    return e;
}

/* The command carrying out's decisions, or NULL when there are none.
 * eval_id (may be NULL) gets the id of the eval it creates. */
static struct cmd *decision_cmd(const struct inputs *in,
                                struct deploy_watch_out *out,
                                char *eval_id,
                                size_t eval_id_size)
{
    struct cmd *c;

    if (out->d == NULL && out->nunhealthy == 0 && out->nreplace == 0 &&
        out->nhealthy == 0)
        return NULL;
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_DEPLOYMENT_STATUS);
    c->id = xstrdup(in->d->id);
    /* The fsm applies it over the deployment as read, or not at all. */
    c->deployment = out->d ? out->d : deployment_copy(in->d);
    out->d = NULL;
    c->job_stable = out->job_stable;
    c->job = out->rollback;
    out->rollback = NULL;
    for (size_t i = 0; i < out->nunhealthy + out->nhealthy; i++) {
        bool ok = i >= out->nunhealthy;
        struct alloc *a = alloc_new();

        a->id =
            xstrdup(ok ? out->healthy[i - out->nunhealthy] : out->unhealthy[i]);
        a->deployment_status = xcalloc(1, sizeof(*a->deployment_status));
        a->deployment_status->healthy = tri_from_bool(ok);
        cmd_add_alloc(c, a);
    }
    for (size_t i = 0; i < out->nreplace; i++) {
        struct alloc *a = alloc_new();

        a->id = xstrdup(out->replace[i]);
        a->desired_reschedule = TRI_TRUE;
        cmd_add_alloc(c, a);
    }
    if (out->create_eval || c->job != NULL) {
        struct eval *e = new_eval(in->d, in->job);

        if (eval_id != NULL)
            snprintf(eval_id, eval_id_size, "%s", e->id);
        cmd_add_eval(c, e);
    }
    return c;
}

/* ============================================================= watcher */

struct dep_list
{
    struct deployment **items;
    size_t n;
};

static int collect_active(const struct deployment *d, void *arg)
{
    struct dep_list *l = arg;

    if (!deployment_is_active(d))
        return 0;
    l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
    l->items[l->n++] = deployment_copy(d);
    return 0;
}

int64_t deploy_server_watch(struct server *s)
{
    struct dep_list list = {NULL, 0};
    struct state_snap *snap;
    struct err err = ERR_INIT;
    int64_t next = 0;

    if (server_read_begin(s, &snap, &err) != 0)
        return 0;
    server_each_deployment(snap, "", collect_active, &list, &err);
    for (size_t i = 0; i < list.n; i++) {
        struct inputs in;
        struct deploy_watch_out out;
        struct deploy_watch_in ci;
        struct cmd *c;

        if (gather(snap, list.items[i], &in, &err) != 0) {
            log_warn(&lg, "deployment %s: %s", list.items[i]->id, err.msg);
            err_clear(&err);
            inputs_release(&in);
            continue;
        }
        ci = core_in(&in);
        deploy_watch_step(&ci, &out);
        if (out.next_unix_ns > 0 && (next == 0 || out.next_unix_ns < next))
            next = out.next_unix_ns;
        if (out.d != NULL &&
            strcmp(model_str(out.d->status), model_str(in.d->status)) != 0)
            log_info(&lg, "deployment %.8s: %s: %s", in.d->id, out.d->status,
                     model_str(out.d->status_description));
        c = decision_cmd(&in, &out, NULL, 0);
        if (c != NULL)
            server_apply(s, c, NULL, NULL);
        deploy_watch_out_release(&out);
        inputs_release(&in);
    }
    free(list.items);
    server_read_end(snap);
    return next;
}

/* ======================================================== user actions */

struct update_ctx
{
    server_register_cb done;
    void *arg;
    struct server_register_result res;
};

static void updated(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct update_ctx *ctx = arg;

    ctx->res.index = index;
    ctx->res.job_modify_index = index;
    if (ctx->res.eval_id[0])
        ctx->res.eval_create_index = index;
    ctx->done(ctx->arg, rc, &ctx->res, err);
    free(ctx);
}

static int decide(const struct server_deployment_req *req,
                  const struct inputs *in,
                  struct deploy_watch_out *out,
                  struct err *err)
{
    struct deploy_watch_in ci = core_in(in);

    switch (req->op) {
    case SERVER_DEPLOYMENT_PROMOTE:
        return deploy_watch_promote(&ci, req->groups, req->ngroups, req->all,
                                    out, err);
    case SERVER_DEPLOYMENT_FAIL:
        return deploy_watch_fail(&ci, out, err);
    case SERVER_DEPLOYMENT_ALLOC_HEALTH:
        return deploy_watch_set_health(&ci, req->healthy, req->nhealthy,
                                       req->unhealthy, req->nunhealthy, out,
                                       err);
    case SERVER_DEPLOYMENT_PAUSE:
    case SERVER_DEPLOYMENT_RESUME:
        return deploy_watch_pause(&ci, req->op == SERVER_DEPLOYMENT_PAUSE, out,
                                  err);
    }
    return err_set(err, ERR_INVALID, "unknown deployment operation");
}

void server_deployment_update(struct server *s,
                              const struct server_deployment_req *req,
                              server_register_cb done,
                              void *arg)
{
    struct update_ctx *ctx = xcalloc(1, sizeof(*ctx));
    struct deploy_watch_out out = {0};
    struct state_snap *snap = NULL;
    struct err err = ERR_INIT;
    struct deployment *d = deployment_new();
    struct inputs in = {0};
    struct cmd *c = NULL;
    int rc;

    ctx->done = done;
    ctx->arg = arg;
    ctx->res.warnings = "";
    rc = server_read_begin(s, &snap, &err);
    if (rc == 0) {
        rc = server_read_deployment(snap, req->id, d, &err);
        if (rc == ERR_NOT_FOUND)
            err_set(&err, ERR_NOT_FOUND, "deployment not found");
    }
    if (rc == 0) {
        rc = gather(snap, d, &in, &err);
        d = NULL;
    }
    if (rc == 0)
        rc = decide(req, &in, &out, &err);
    if (rc == 0 && out.rollback != NULL) {
        ctx->res.reverted = true;
        ctx->res.reverted_job_version = out.rollback->version;
    }
    if (rc == 0)
        c = decision_cmd(&in, &out, ctx->res.eval_id, sizeof(ctx->res.eval_id));
    deploy_watch_out_release(&out);
    inputs_release(&in);
    deployment_free(d);
    if (snap != NULL)
        server_read_end(snap);
    if (rc != 0 || c == NULL) {
        done(arg, rc, &ctx->res, &err);
        free(ctx);
        return;
    }
    server_apply(s, c, updated, ctx);
}

void server_job_stability(struct server *s,
                          const char *ns,
                          const char *id,
                          int64_t version,
                          bool stable,
                          server_register_cb done,
                          void *arg)
{
    struct update_ctx *ctx = xcalloc(1, sizeof(*ctx));
    struct state_snap *snap = NULL;
    struct err err = ERR_INIT;
    struct job *job = job_new();
    struct cmd *c;
    int rc;

    ctx->done = done;
    ctx->arg = arg;
    ctx->res.warnings = "";
    rc = server_read_begin(s, &snap, &err);
    if (rc == 0) {
        rc = server_read_job_version(snap, ns, id, version, job, &err);
        if (rc == ERR_NOT_FOUND)
            err_set(&err, ERR_NOT_FOUND, "job \"%s\" at version %lld not found",
                    id, (long long)version);
        server_read_end(snap);
    }
    if (rc != 0) {
        done(arg, rc, &ctx->res, &err);
        job_free(job);
        free(ctx);
        return;
    }
    job->stable = tri_from_bool(stable);
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_JOB_STABILITY);
    c->job = job;
    server_apply(s, c, updated, ctx);
}
