/* Applying log commands to the state store (see fsm.h). */
#include "agent/server/fsm.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/fsm_int.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"

void fsm_effects_release(struct fsm_effects *fx)
{
    for (size_t i = 0; i < fx->nready_evals; i++)
        free(fx->ready_evals[i]);
    free(fx->ready_evals);
    for (size_t i = 0; i < fx->nblocked_evals; i++)
        free(fx->blocked_evals[i]);
    free(fx->blocked_evals);
    memset(fx, 0, sizeof(*fx));
}

static void push(char ***arr, size_t *n, const char *s)
{
    *arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
    (*arr)[(*n)++] = xstrdup(s);
}

/* ------------------------------------------------------- job status */

struct status_scan
{
    bool has_alloc;
    bool running;
    bool has_eval;
    bool pending;
};

static int scan_alloc(const struct alloc *a, void *arg)
{
    struct status_scan *st = arg;

    st->has_alloc = true;
    if (!alloc_is_terminal(a))
        st->running = true;
    return 0;
}

static int scan_eval(const struct eval *e, void *arg)
{
    struct status_scan *st = arg;

    st->has_eval = true;
    if (!eval_is_terminal(e))
        st->pending = true;
    return 0;
}

/* Nomad's rule: running while any alloc is not terminal, pending while an
 * eval is, dead once everything ran its course. */
static const char *job_status(struct state_snap *view, const struct job *job)
{
    struct status_scan st = {0};
    struct err err = ERR_INIT;

    if ((job->type && strcmp(job->type, "system") == 0) ||
        job->periodic != NULL || job->parameterized != NULL)
        return tri_is_true(job->stop) ? "dead" : "running";
    state_each_alloc_by_job(view, job->namespace, job->id, scan_alloc, &st,
                            &err);
    if (st.running)
        return "running";
    state_each_eval_by_job(view, job->namespace, job->id, scan_eval, &st,
                           &err);
    if (st.pending)
        return "pending";
    if (st.has_eval || st.has_alloc)
        return "dead";
    return "pending";
}

/* Recomputes the status of (namespace, id) and stores it if it changed. */
static int refresh_job_status(struct state_txn *txn,
                              const char *namespace,
                              const char *id,
                              struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    struct job job;
    const char *status;
    int rc;

    job_init(&job);
    rc = state_get_job(view, namespace, id, &job, err);
    if (rc == ERR_NOT_FOUND) {
        err_clear(err);
        rc = 0;
        goto out;
    }
    if (rc != 0)
        goto out;
    status = job_status(view, &job);
    if (job.status == NULL || strcmp(job.status, status) != 0) {
        model_set_str(&job.status, status);
        rc = state_upsert_job(txn, &job, err);
    }
out:
    state_snap_release(view);
    job_release(&job);
    return rc;
}

/* ------------------------------------------------------------ evals */

static int put_evals(struct state_txn *txn,
                     const struct cmd *c,
                     struct fsm_effects *fx,
                     struct err *err)
{
    for (size_t i = 0; i < c->nevals; i++) {
        struct eval *e = eval_copy(c->evals[i]);
        int rc;

        if (e->create_time_unix_ns == 0)
            e->create_time_unix_ns = c->now_unix_ns;
        e->modify_time_unix_ns = c->now_unix_ns;
        rc = state_upsert_eval(txn, e, err);
        if (rc == 0 && e->status && strcmp(e->status, "pending") == 0)
            push(&fx->ready_evals, &fx->nready_evals, e->id);
        if (rc == 0 && e->status && strcmp(e->status, "blocked") == 0)
            push(&fx->blocked_evals, &fx->nblocked_evals, e->id);
        if (rc == 0 && e->job_id)
            rc = refresh_job_status(txn, e->namespace, e->job_id, err);
        eval_free(e);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int fsm__put_evals(struct state_txn *txn,
                   const struct cmd *c,
                   struct fsm_effects *fx,
                   struct err *err)
{
    return put_evals(txn, c, fx, err);
}

/* ------------------------------------------------------------ commands */

/* The launch time a periodic child carries in its id, or 0. */
static int64_t child_launch_ns(const char *id)
{
    const char *p = strrchr(model_str(id), '/');
    char *end;
    long long secs;

    if (p == NULL || strncmp(p, "/periodic-", 10) != 0)
        return 0;
    secs = strtoll(p + 10, &end, 10);
    return *end == '\0' && secs > 0 ? (int64_t)secs * 1000000000 : 0;
}

/*
 * Launch records, as Nomad keeps them: a new periodic job counts its
 * registration as a launch (a restarted leader then knows whether one was
 * missed since), and each child moves its parent's record to its launch.
 */
static int record_periodic_launch(struct state_txn *txn,
                                  const struct cmd *c,
                                  const struct job *job,
                                  struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    struct job parent;
    int64_t last, launch;
    int rc = 0;

    if (job->periodic != NULL && job->periodic->enabled != TRI_FALSE &&
        job->parameterized == NULL &&
        state_get_periodic_launch(view, job->namespace, job->id, &last,
                                  err) == ERR_NOT_FOUND)
        rc = state_put_periodic_launch(txn, job->namespace, job->id,
                                       c->now_unix_ns, err);
    err_clear(err);
    job_init(&parent);
    launch = child_launch_ns(job->id);
    if (rc == 0 && job->parent_id != NULL && launch != 0 &&
        state_get_job(view, job->namespace, job->parent_id, &parent, err) ==
            0 &&
        parent.periodic != NULL && parent.parameterized == NULL)
        rc = state_put_periodic_launch(txn, job->namespace, job->parent_id,
                                       launch, err);
    if (rc == 0)
        err_clear(err);
    job_release(&parent);
    state_snap_release(view);
    return rc;
}

static int apply_job_register(struct state_txn *txn,
                              const struct cmd *c,
                              struct fsm_effects *fx,
                              struct err *err)
{
    struct job *job;
    int rc;

    if (c->job == NULL)
        return err_set(err, ERR_INVALID, "JobRegister without a job");
    job = job_copy(c->job);
    if (job->status == NULL)
        model_set_str(&job->status, "pending");
    rc = state_upsert_job(txn, job, err);
    if (rc == 0)
        rc = put_evals(txn, c, fx, err);
    if (rc == 0)
        rc = refresh_job_status(txn, job->namespace, job->id, err);
    if (rc == 0)
        rc = record_periodic_launch(txn, c, job, err);
    job_free(job);
    return rc;
}

static int apply_job_deregister(struct state_txn *txn,
                                const struct cmd *c,
                                struct fsm_effects *fx,
                                struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    struct job job;
    int rc;

    job_init(&job);
    rc = state_get_job(view, c->namespace, c->id, &job, err);
    state_snap_release(view);
    if (rc != 0)
        goto out;
    if (c->purge) {
        rc = state_delete_job(txn, c->namespace, c->id, err);
    } else if (!tri_is_true(job.stop)) {
        job.stop = TRI_TRUE;
        rc = state_upsert_job(txn, &job, err);
    }
    if (rc == 0)
        rc = put_evals(txn, c, fx, err);
    if (rc == 0 && !c->purge)
        rc = refresh_job_status(txn, c->namespace, c->id, err);
out:
    job_release(&job);
    return rc;
}

static int apply_plan_result(struct state_txn *txn,
                             const struct cmd *c,
                             struct fsm_effects *fx,
                             struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < c->nallocs; i++) {
        struct alloc *a = alloc_copy(c->allocs[i]);

        if (a->create_time_unix_ns == 0)
            a->create_time_unix_ns = c->now_unix_ns;
        a->modify_time_unix_ns = c->now_unix_ns;
        rc = state_upsert_alloc(txn, a, err);
        if (rc == 0)
            rc = refresh_job_status(txn, a->namespace, a->job_id, err);
        alloc_free(a);
    }
    for (size_t i = 0; rc == 0 && i < c->nstops; i++) {
        const struct alloc_stop *st = &c->stops[i];
        struct alloc a;

        alloc_init(&a);
        rc = state_get_alloc(view, st->id, &a, err);
        if (rc == ERR_NOT_FOUND) { /* collected meanwhile: nothing to stop */
            err_clear(err);
            rc = 0;
            alloc_release(&a);
            continue;
        }
        if (rc == 0) {
            if (st->desired_status)
                model_set_str(&a.desired_status, st->desired_status);
            if (st->description)
                model_set_str(&a.desired_description, st->description);
            if (st->client_status)
                model_set_str(&a.client_status, st->client_status);
            if (st->followup_eval_id)
                model_set_str(&a.followup_eval_id, st->followup_eval_id);
            a.modify_time_unix_ns = c->now_unix_ns;
            rc = state_upsert_alloc(txn, &a, err);
        }
        if (rc == 0)
            rc = refresh_job_status(txn, a.namespace, a.job_id, err);
        alloc_release(&a);
        fx->capacity_changed = true;
    }
    state_snap_release(view);
    if (rc == 0 && c->deployment != NULL) {
        struct deployment *d = deployment_copy(c->deployment);

        if (d->create_time_unix_ns == 0)
            d->create_time_unix_ns = c->now_unix_ns;
        d->modify_time_unix_ns = c->now_unix_ns;
        rc = state_upsert_deployment(txn, d, err);
        deployment_free(d);
    }
    if (rc == 0)
        rc = put_evals(txn, c, fx, err);
    return rc;
}

/* The client reports what its tasks did; the server's desires stay. */
static int apply_alloc_client_update(struct state_txn *txn,
                                     const struct cmd *c,
                                     struct fsm_effects *fx,
                                     struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < c->nallocs; i++) {
        const struct alloc *u = c->allocs[i];
        struct alloc a;

        alloc_init(&a);
        rc = state_get_alloc(view, u->id, &a, err);
        if (rc == ERR_NOT_FOUND) {
            err_clear(err);
            rc = 0;
            alloc_release(&a);
            continue;
        }
        if (rc == 0) {
            bool was_terminal = alloc_client_is_terminal(&a);

            model_set_str(&a.client_status, u->client_status);
            model_set_str(&a.client_description, u->client_description);
            for (size_t k = 0; k < a.ntask_states; k++)
                task_state_release(&a.task_states[k]);
            free(a.task_states);
            a.task_states = NULL;
            a.ntask_states = 0;
            if (u->ntask_states > 0) {
                struct alloc tmp;

                /* Deep-copy the task states through a copy of u. */
                struct alloc *cu = alloc_copy(u);

                tmp = *cu;
                a.task_states = tmp.task_states;
                a.ntask_states = tmp.ntask_states;
                cu->task_states = NULL;
                cu->ntask_states = 0;
                alloc_free(cu);
            }
            /* Health the client measured for an older deployment (before
             * it saw an in-place update) says nothing about this one. */
            if (u->deployment_status != NULL &&
                (u->deployment_id == NULL ||
                 strcmp(u->deployment_id, model_str(a.deployment_id)) == 0)) {
                struct alloc *cu = alloc_copy(u);

                free(a.deployment_status);
                a.deployment_status = cu->deployment_status;
                cu->deployment_status = NULL;
                alloc_free(cu);
            }
            a.modify_time_unix_ns = c->now_unix_ns;
            rc = state_upsert_alloc(txn, &a, err);
            if (!was_terminal && alloc_client_is_terminal(&a))
                fx->capacity_changed = true;
        }
        if (rc == 0)
            rc = refresh_job_status(txn, a.namespace, a.job_id, err);
        alloc_release(&a);
    }
    state_snap_release(view);
    if (rc == 0)
        rc = put_evals(txn, c, fx, err);
    return rc;
}

static int apply_node(struct state_txn *txn,
                      const struct cmd *c,
                      struct fsm_effects *fx,
                      struct err *err)
{
    int rc = 0;

    if (c->type == CMD_NODE_REGISTER) {
        struct node *n;

        if (c->node == NULL)
            return err_set(err, ERR_INVALID, "NodeRegister without a node");
        n = node_copy(c->node);
        n->status_updated_at_unix = c->now_unix_ns / 1000000000;
        fsm__keep_server_fields(txn, n);
        rc = state_upsert_node(txn, n, err);
        node_free(n);
        fx->capacity_changed = true;
    } else if (c->type == CMD_NODE_STATUS) {
        struct state_snap *view = state_txn_view(txn);
        struct node n;

        node_init(&n);
        rc = state_get_node(view, c->id, &n, err);
        state_snap_release(view);
        if (rc == 0) {
            model_set_str(&n.status, c->status);
            n.status_updated_at_unix = c->now_unix_ns / 1000000000;
            rc = state_upsert_node(txn, &n, err);
            if (c->status && strcmp(c->status, NODE_STATUS_READY) == 0)
                fx->capacity_changed = true;
        }
        node_release(&n);
    } else {
        rc = state_delete_node(txn, c->id, err);
    }
    if (rc == 0)
        rc = put_evals(txn, c, fx, err);
    return rc;
}

/* Health (and replacement) the watcher decided for allocs of c->id. */
static int put_alloc_health(struct state_txn *txn,
                            struct state_snap *view,
                            const struct cmd *c,
                            struct err *err)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < c->nallocs; i++) {
        const struct alloc *u = c->allocs[i];
        struct alloc a;

        alloc_init(&a);
        rc = state_get_alloc(view, u->id, &a, err);
        if (rc == ERR_NOT_FOUND) {
            err_clear(err);
            rc = 0;
        } else if (rc == 0 &&
                   strcmp(model_str(a.deployment_id), model_str(c->id)) == 0) {
            if (u->deployment_status != NULL) {
                if (a.deployment_status == NULL)
                    a.deployment_status =
                        xcalloc(1, sizeof(*a.deployment_status));
                a.deployment_status->healthy = u->deployment_status->healthy;
                a.deployment_status->timestamp_unix_ns = c->now_unix_ns;
            }
            /* Nomad's allowReplacements: the scheduler may replace it. */
            if (tri_is_true(u->desired_reschedule))
                a.desired_reschedule = TRI_TRUE;
            a.modify_time_unix_ns = c->now_unix_ns;
            rc = state_upsert_alloc(txn, &a, err);
        }
        alloc_release(&a);
    }
    return rc;
}

/* The deployment's job version becomes stable, if it is still current. */
static int mark_stable(struct state_txn *txn,
                       struct state_snap *view,
                       const struct deployment *d,
                       struct err *err)
{
    struct job job;
    int rc;

    job_init(&job);
    rc = state_get_job(view, d->namespace, d->job_id, &job, err);
    if (rc == 0 && job.version == d->job_version && !tri_is_true(job.stable)) {
        job.stable = TRI_TRUE;
        rc = state_upsert_job(txn, &job, err);
    } else if (rc == ERR_NOT_FOUND) {
        err_clear(err);
        rc = 0;
    }
    job_release(&job);
    return rc;
}

/*
 * A deployment decision. With a whole deployment (the watcher, a user's
 * promote/fail/pause) it applies only if the deployment is still the one
 * the decision was made on (same modify index) and still active, so a
 * stale decision cannot undo a newer one; then alloc health marks, the
 * stable mark and a rollback job come with it. Without one it is a
 * scheduler's status change (cancel).
 */
static int apply_deployment(struct state_txn *txn,
                            const struct cmd *c,
                            struct fsm_effects *fx,
                            struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    struct deployment d;
    int rc;

    deployment_init(&d);
    rc = state_get_deployment(view, c->id, &d, err);
    if (rc == 0 && c->deployment != NULL &&
        (d.modify_index != c->deployment->modify_index ||
         !deployment_is_active(&d))) {
        /* Decided on an older state: whoever decides next sees this one. */
        state_snap_release(view);
        deployment_release(&d);
        return 0;
    } else if (rc == 0 && c->deployment != NULL) {
        struct deployment *copy = deployment_copy(c->deployment);

        copy->create_time_unix_ns = d.create_time_unix_ns;
        deployment_release(&d);
        d = *copy;
        free(copy);
    } else if (rc == 0 && c->type == CMD_DEPLOYMENT_STATUS) {
        model_set_str(&d.status, c->status);
        model_set_str(&d.status_description, c->description);
    } else if (rc == 0) {
        for (size_t i = 0; i < d.ngroups; i++)
            d.groups[i].promoted = true;
        model_set_str(&d.status_description, "Deployment is running");
    }
    if (rc == 0) {
        d.modify_time_unix_ns = c->now_unix_ns;
        rc = state_upsert_deployment(txn, &d, err);
    }
    if (rc == 0 && c->nallocs > 0) {
        rc = put_alloc_health(txn, view, c, err);
        fx->tables_changed |= 1u << STATE_ALLOCS;
    }
    if (rc == 0 && c->job_stable)
        rc = mark_stable(txn, view, &d, err);
    if (rc == 0 && c->job != NULL) {
        struct job *job = job_copy(c->job);

        job->submit_time = c->now_unix_ns;
        rc = state_upsert_job(txn, job, err);
        if (rc == 0)
            rc = refresh_job_status(txn, job->namespace, job->id, err);
        job_free(job);
    }
    if (c->job_stable || c->job != NULL)
        fx->tables_changed |= 1u << STATE_JOBS | 1u << STATE_JOB_VERSIONS;
    if (rc == 0)
        rc = put_evals(txn, c, fx, err);
    fx->tables_changed |= 1u << STATE_DEPLOYMENTS;
    state_snap_release(view);
    deployment_release(&d);
    return rc;
}

/* Nomad's UpdateJobStability: the version's record, and the current job
 * when it is that version. */
static int apply_job_stability(struct state_txn *txn,
                               const struct cmd *c,
                               struct fsm_effects *fx,
                               struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    struct job ver, cur;
    int rc;

    job_init(&ver);
    job_init(&cur);
    if (c->job == NULL) {
        rc = err_set(err, ERR_INVALID, "JobStability without a job");
        goto out;
    }
    rc = state_get_job_version(view, c->job->namespace, c->job->id,
                               c->job->version, &ver, err);
    if (rc != 0)
        goto out;
    ver.stable = c->job->stable;
    rc = state_put_job_version(txn, &ver, err);
    if (rc == 0) {
        int found = state_get_job(view, ver.namespace, ver.id, &cur, err);

        if (found == 0 && cur.version == ver.version) {
            cur.stable = c->job->stable;
            rc = state_upsert_job(txn, &cur, err);
        } else if (found != 0) {
            err_clear(err);
        }
    }
    fx->tables_changed |= 1u << STATE_JOBS | 1u << STATE_JOB_VERSIONS;
out:
    state_snap_release(view);
    job_release(&ver);
    job_release(&cur);
    return rc;
}

static int apply_cmd(struct state_txn *txn,
                     const struct cmd *c,
                     struct fsm_effects *fx,
                     struct err *err)
{
    switch (c->type) {
    case CMD_JOB_REGISTER:
        return apply_job_register(txn, c, fx, err);
    case CMD_JOB_DEREGISTER:
        return apply_job_deregister(txn, c, fx, err);
    case CMD_EVAL_UPDATE:
        return put_evals(txn, c, fx, err);
    case CMD_PLAN_RESULT:
        return apply_plan_result(txn, c, fx, err);
    case CMD_ALLOC_CLIENT_UPDATE:
        return apply_alloc_client_update(txn, c, fx, err);
    case CMD_NODE_REGISTER:
    case CMD_NODE_STATUS:
    case CMD_NODE_DEREGISTER:
        return apply_node(txn, c, fx, err);
    case CMD_DEPLOYMENT_STATUS:
    case CMD_DEPLOYMENT_PROMOTE:
        return apply_deployment(txn, c, fx, err);
    case CMD_NODE_ELIGIBILITY:
    case CMD_NODE_DRAIN:
    case CMD_ALLOC_TRANSITION:
    case CMD_GC:
        return fsm__apply_nodeops(txn, c, fx, err);
    case CMD_JOB_STABILITY:
        return apply_job_stability(txn, c, fx, err);
    default:
        return err_set(err, ERR_INVALID, "unknown command type %d", c->type);
    }
}

/* Where an entry's write transaction comes from: the store or a batch. */
struct txn_source
{
    struct state_store *store;
    struct state_batch *batch;
};

static int source_begin(const struct txn_source *src,
                        uint64_t index,
                        struct state_txn **out,
                        struct err *err)
{
    if (src->batch != NULL)
        return state_batch_write_begin(src->batch, index, out, err);
    return state_write_begin(src->store, index, out, err);
}

static int apply_entry(const struct txn_source *src,
                       uint64_t index,
                       const struct cmd *c,
                       struct fsm_effects *fx,
                       struct err *err)
{
    static const struct logger lg = {"server.fsm", ""};
    struct state_txn *txn;
    int rc;

    rc = source_begin(src, index, &txn, err);
    if (rc != 0)
        return rc;
    rc = apply_cmd(txn, c, fx, err);
    if (rc == 0) {
        /* Exactly the tables whose modify index moves: their watchers. */
        fx->tables_changed = state_txn_touched(txn);
        return state_write_commit(txn, err);
    }
    state_write_abort(txn);
    if (rc == ERR_IO)
        return rc;
    /* The entry stays in the log: record its index with no change. */
    log_warn(&lg, "%s at index %llu not applied: %s",
             cmd_type_name(c->type), (unsigned long long)index, err->msg);
    fsm_effects_release(fx);
    err_clear(err);
    rc = source_begin(src, index, &txn, err);
    if (rc != 0)
        return rc;
    return state_write_commit(txn, err);
}

int fsm_apply(struct state_store *s,
              uint64_t index,
              const struct cmd *c,
              struct fsm_effects *fx,
              struct err *err)
{
    struct txn_source src = {s, NULL};

    return apply_entry(&src, index, c, fx, err);
}

int fsm_apply_batch(struct state_store *s,
                    struct fsm_entry *entries,
                    size_t n,
                    struct err *err)
{
    struct txn_source src = {s, NULL};
    int rc;

    rc = state_batch_begin(s, &src.batch, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct fsm_entry *e = &entries[i];

        err_clear(&e->err);
        e->rc = apply_entry(&src, e->index, e->cmd, &e->fx, &e->err);
    }
    if (rc == 0)
        rc = state_batch_commit(src.batch, err);
    if (rc == 0)
        return 0;
    /* Nothing of the batch is stored: every entry fails with it. */
    for (size_t i = 0; i < n; i++) {
        fsm_effects_release(&entries[i].fx);
        entries[i].rc = rc;
        entries[i].err = *err;
    }
    return rc;
}
