/*
 * Job and alloc operations beyond register and stop (see server.h): the
 * dry-run plan, registration with an enforced job modify index, revert
 * to an older version, and stopping one alloc so it is replaced.
 *
 * A plan runs the real scheduler on a snapshot with the submitted job in
 * place of the stored one and commits nothing: the scheduler is pure, so
 * its plan is only read back into Nomad's JobPlanResponse.
 */
#include "agent/server/server.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/server_int.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_json.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/job_diff.h"
#include "lib/model/node.h"
#include "lib/time.h"
#include "scheduler/sched.h"

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

/* Same spec, ignoring what the server keeps about it (as the state store). */
static bool same_spec(const struct job *a, const struct job *b)
{
    struct job *x = job_copy(a), *y = job_copy(b);
    struct job *both[2] = {x, y};
    bool same;

    for (int i = 0; i < 2; i++) {
        struct job *j = both[i];

        model_set_str(&j->status, NULL);
        model_set_str(&j->status_description, NULL);
        j->stable = TRI_UNSET;
        j->version = j->submit_time = MODEL_UNSET;
        j->create_index = j->modify_index = j->job_modify_index = MODEL_UNSET;
    }
    same = job_equal(x, y);
    job_free(x);
    job_free(y);
    return same;
}

/* ------------------------------------------------------------- plan */

struct plan_work
{
    struct server__work w; /* first: the work is freed through it */
    struct state_snap *snap;
    struct job *job;
    bool diff;
    server_plan_cb done;
    void *arg;
    json_t *resp;
    int rc;
    struct err err;
};

static json_t *desired_json(const struct sched_plan *p)
{
    json_t *out = json_object();

    for (size_t i = 0; i < p->ndesired; i++) {
        const struct sched_desired *d = &p->desired[i];

        json_object_set_new(
            out, d->group,
            json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "Ignore",
                      (json_int_t)d->ignore, "Place", (json_int_t)d->place,
                      "Migrate", (json_int_t)d->migrate, "Stop",
                      (json_int_t)d->stop, "InPlaceUpdate",
                      (json_int_t)d->in_place_update, "DestructiveUpdate",
                      (json_int_t)d->destructive_update, "Canary",
                      (json_int_t)d->canary, "Preemptions", 0));
    }
    return out;
}

/* Runs the scheduler for the eval of job against the snapshot. */
static int dry_run(struct plan_work *pw,
                   const struct job *job,
                   struct eval *e,
                   struct sched_plan *plan)
{
    return server__sched_run(pw->snap, e, job, plan, &pw->err);
}

static json_t *created_evals(const struct sched_plan *p)
{
    json_t *out = json_array();

    if (p->create_blocked_eval && p->blocked_eval != NULL)
        json_array_append_new(out, eval_to_json(p->blocked_eval));
    for (size_t i = 0; i < p->nfollowup; i++)
        json_array_append_new(out, eval_to_json(p->followup[i]));
    if (json_array_size(out) == 0) {
        json_decref(out);
        return json_null();
    }
    return out;
}

static void plan_run(struct server__work *w)
{
    struct plan_work *pw = (struct plan_work *)w;
    struct job *old = job_new(), *job = pw->job;
    struct sched_plan plan;
    struct eval *e = NULL;
    json_t *desired = json_object(), *failed = json_null(), *diff = NULL;
    json_t *created = json_null();
    bool exists;

    sched_plan_init(&plan);
    exists =
        state_get_job(pw->snap, job->namespace, job->id, old, &pw->err) == 0;
    err_clear(&pw->err);
    /* The job as it would be stored: the next version when it changed. */
    if (exists) {
        job->create_index = old->create_index;
        job->version = same_spec(job, old) ? old->version : old->version + 1;
        job->job_modify_index = old->job_modify_index;
    } else {
        job->version = 0;
    }
    if (pw->diff)
        diff = job_diff(exists ? old : NULL, job);
    /* Periodic and parameterized parents are not placed themselves. */
    if (job->periodic == NULL && job->parameterized == NULL) {
        e = new_eval(job, "job-register");
        e->annotate_plan = true;
        pw->rc = dry_run(pw, job, e, &plan);
        if (pw->rc != 0)
            goto out;
        json_decref(desired);
        desired = desired_json(&plan);
        sched_plan_to_eval(&plan, e);
        if (e->nfailed_tg_allocs > 0) {
            json_t *ej = eval_to_json(e);

            json_decref(failed);
            failed = json_incref(json_object_get(ej, "FailedTGAllocs"));
            json_decref(ej);
        }
        json_decref(created);
        created = created_evals(&plan);
    }
    if (diff != NULL)
        job_diff_annotate(diff, desired);
    pw->resp =
        json_pack("{s:{s:o,s:n},s:o,s:I,s:o,s:o,s:s,s:s}", "Annotations",
                  "DesiredTGUpdates", desired, "PreemptedAllocs",
                  "FailedTGAllocs", failed, "JobModifyIndex",
                  (json_int_t)(exists ? old->job_modify_index : 0),
                  "CreatedEvals", created, "Diff", diff ? diff : json_null(),
                  "NextPeriodicLaunch", "0001-01-01T00:00:00Z", "Warnings", "");
    desired = failed = created = diff = NULL;
out:
    json_decref(desired);
    json_decref(failed);
    json_decref(created);
    json_decref(diff);
    sched_plan_release(&plan);
    eval_free(e);
    job_free(old);
}

static void plan_done(struct server__work *w)
{
    struct plan_work *pw = (struct plan_work *)w;

    state_snap_release(pw->snap);
    pw->done(pw->arg, pw->rc, pw->resp, &pw->err);
    json_decref(pw->resp);
    job_free(pw->job);
    free(pw);
}

void server_job_plan(struct server *s,
                     struct job *job,
                     bool diff,
                     server_plan_cb done,
                     void *arg)
{
    struct plan_work *pw = xcalloc(1, sizeof(*pw));
    int rc;

    err_clear(&pw->err);
    pw->job = job;
    pw->diff = diff;
    pw->done = done;
    pw->arg = arg;
    if (job->region == NULL)
        model_set_str(&job->region, server_region(s));
    job_canonicalize(job);
    rc = job_validate(job, &pw->err);
    if (rc == 0)
        rc = state_snapshot(server__state(s), &pw->snap, &pw->err);
    if (rc != 0) {
        done(arg, rc, NULL, &pw->err);
        job_free(job);
        free(pw);
        return;
    }
    pw->w.run = plan_run;
    pw->w.done = plan_done;
    server__queue_work(s, &pw->w);
}

/* --------------------------------------------------- checked register */

/* Nomad's RegisterEnforceIndexErrPrefix, which its CLI looks for. */
#define ENFORCE_PREFIX "Enforcing job modify index"

static int check_index(struct server *s,
                       const struct job *job,
                       uint64_t jmi,
                       struct err *err)
{
    struct state_snap *snap;
    struct job cur;
    bool exists;
    int rc;

    rc = state_snapshot(server__state(s), &snap, err);
    if (rc != 0)
        return rc;
    job_init(&cur);
    exists =
        state_get_job(snap, model_str(job->namespace), job->id, &cur, err) == 0;
    err_clear(err);
    if (exists && jmi == 0)
        rc = err_set(err, ERR_INVALID, ENFORCE_PREFIX " 0: job already exists");
    else if (exists && (int64_t)jmi != cur.job_modify_index)
        rc = err_set(err, ERR_INVALID,
                     ENFORCE_PREFIX " %" PRIu64
                                    ": job exists with conflicting job "
                                    "modify index: %" PRId64,
                     jmi, cur.job_modify_index);
    else if (!exists && jmi != 0)
        rc = err_set(err, ERR_INVALID,
                     ENFORCE_PREFIX " %" PRIu64 ": job does not exist", jmi);
    job_release(&cur);
    state_snap_release(snap);
    return rc;
}

void server_job_register_enforce(struct server *s,
                                 struct job *job,
                                 uint64_t job_modify_index,
                                 server_register_cb done,
                                 void *arg)
{
    struct server_register_result res;
    struct err err = ERR_INIT;
    int rc;

    if (job->namespace == NULL)
        model_set_str(&job->namespace, "default");
    rc = check_index(s, job, job_modify_index, &err);
    if (rc != 0) {
        memset(&res, 0, sizeof(res));
        res.warnings = "";
        done(arg, rc, &res, &err);
        job_free(job);
        return;
    }
    server_job_register(s, job, done, arg);
}

/* ------------------------------------------------------------- revert */

void server_job_revert(struct server *s,
                       const char *ns,
                       const char *id,
                       int64_t version,
                       int64_t enforce_prior,
                       server_register_cb done,
                       void *arg)
{
    struct server_register_result res;
    struct state_snap *snap = NULL;
    struct err err = ERR_INIT;
    struct job cur, *old = job_new();
    int rc;

    memset(&res, 0, sizeof(res));
    res.warnings = "";
    job_init(&cur);
    rc = state_snapshot(server__state(s), &snap, &err);
    if (rc == 0 && state_get_job(snap, ns, id, &cur, &err) != 0)
        rc = err_set(&err, ERR_INVALID, "job \"%s\" not found", id);
    if (rc == 0 && version == cur.version)
        rc = err_set(&err, ERR_INVALID, "can't revert to current version");
    if (rc == 0 && enforce_prior >= 0 && cur.version != enforce_prior)
        rc = err_set(&err, ERR_INVALID,
                     "current job has version %" PRId64
                     "; enforcing version %" PRId64,
                     cur.version, enforce_prior);
    if (rc == 0 && state_get_job_version(snap, ns, id, version, old, &err) != 0)
        rc = err_set(&err, ERR_INVALID,
                     "job \"%s\" in namespace \"%s\" at version %" PRId64
                     " not found",
                     id, ns, version);
    state_snap_release(snap);
    job_release(&cur);
    if (rc != 0) {
        job_free(old);
        done(arg, rc, &res, &err);
        return;
    }
    server_job_register(s, old, done, arg);
}

/* --------------------------------------------------------- alloc stop */

struct stop_ctx
{
    server_register_cb done;
    void *arg;
    struct server_register_result res;
};

static void stop_applied(void *arg,
                         int rc,
                         uint64_t index,
                         const struct err *err)
{
    struct stop_ctx *ctx = arg;

    ctx->res.index = index;
    ctx->res.eval_create_index = index;
    ctx->done(ctx->arg, rc, &ctx->res, err);
    free(ctx);
}

void server_alloc_stop(struct server *s,
                       const char *alloc_id,
                       server_register_cb done,
                       void *arg)
{
    struct stop_ctx *ctx = xcalloc(1, sizeof(*ctx));
    struct state_snap *snap = NULL;
    struct err err = ERR_INIT;
    struct alloc a;
    struct eval *e;
    struct cmd *c;
    int rc;

    ctx->done = done;
    ctx->arg = arg;
    ctx->res.warnings = "";
    alloc_init(&a);
    rc = state_snapshot(server__state(s), &snap, &err);
    if (rc == 0 && state_get_alloc(snap, alloc_id, &a, &err) != 0)
        rc = err_set(&err, ERR_NOT_FOUND, "alloc not found");
    if (rc == 0 && a.job == NULL)
        rc = err_set(&err, ERR_INVALID, "alloc %s has no job", alloc_id);
    state_snap_release(snap);
    if (rc != 0) {
        alloc_release(&a);
        done(arg, rc, &ctx->res, &err);
        free(ctx);
        return;
    }
    /*
     * The alloc is stopped and its job evaluated in one command, so the
     * scheduler sees one alloc missing and places its replacement.
     */
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_PLAN_RESULT);
    cmd_add_stop(c, a.id, ALLOC_DESIRED_STOP, "alloc is being migrated", NULL);
    e = new_eval(a.job, "alloc-stop");
    snprintf(ctx->res.eval_id, sizeof(ctx->res.eval_id), "%s", e->id);
    cmd_add_eval(c, e);
    alloc_release(&a);
    server_apply(s, c, stop_applied, ctx);
}
