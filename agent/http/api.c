/* Nomad HTTP API routes (see api.h). */
#include "agent/http/api.h"
#include "agent/http/api_int.h"
#include "agent/http/endpoints_jobops.h"
#include "agent/http/endpoints_deployment.h"

#include <inttypes.h>
#include <sodium.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/httpd.h"
#include "agent/http/httpd_wait.h"
#include "agent/http/listing.h"
#include "agent/client/client.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/logfile.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_json.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/job_diff.h"
#include "lib/model/jobspec.h"
#include "lib/hcl/hcl.h"
#include "lib/model/node.h"

struct blocking
{
    struct http_api *api;
    struct httpd_req *req;
    build_fn build;
    unsigned tables;
    uint64_t min_index;
    void *watch;
    uv_timer_t timer;
};

void api_answer(struct http_api *api,
                struct httpd_req *req,
                build_fn build,
                unsigned tables)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct listing list;
    json_t *body;
    char idx[24];

    if (listing_init(&list, req, &err) != 0) {
        httpd_respond_err(req, &err);
        return;
    }
    if (server_read_begin(api->srv, &snap, &err) != 0) {
        listing_release(&list);
        httpd_respond_err(req, &err);
        return;
    }
    body = build(api, req, snap, &err);
    snprintf(
        idx, sizeof(idx), "%" PRIu64,
        server_read_index(snap, tables) ? server_read_index(snap, tables) : 1);
    server_read_end(snap);
    if (body != NULL)
        listing_apply(&list, req, body);
    listing_release(&list);
    if (body == NULL) {
        httpd_respond_err(req, &err);
        return;
    }
    httpd_set_header(req, "X-Nomad-Index", idx);
    httpd_set_header(req, "X-Nomad-KnownLeader", "true");
    httpd_set_header(req, "X-Nomad-LastContact", "0");
    httpd_respond_json(req, 200, body);
    json_decref(body);
}

static void blocking_free(uv_handle_t *h)
{
    free(h->data);
}

static void blocking_end(struct blocking *b)
{
    if (b->watch)
        server_unwatch(b->api->srv, b->watch);
    b->watch = NULL;
    uv_timer_stop(&b->timer);
    uv_close((uv_handle_t *)&b->timer, blocking_free);
}

static void blocking_aborted(struct httpd_req *req, void *arg)
{
    (void)req;
    blocking_end(arg);
}

static void blocking_fire(struct blocking *b)
{
    struct httpd_req *req = b->req;

    httpd_req_on_abort(req, NULL, NULL);
    api_answer(b->api, req, b->build, b->tables);
    blocking_end(b);
}

static void blocking_woken(void *arg, uint64_t index)
{
    struct blocking *b = arg;

    (void)index;
    b->watch = NULL;
    blocking_fire(b);
}

static void blocking_timeout(uv_timer_t *t)
{
    blocking_fire(t->data);
}

void api_serve_read(struct http_api *api,
                    struct httpd_req *req,
                    build_fn build,
                    unsigned tables)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    uint64_t min_index, wait_ms, now_index;
    struct blocking *b;
    struct listing list;

    /* A bad ?filter= or ?per_page= is refused before any wait. */
    if (httpd_wait_parse(req, &min_index, &wait_ms, &err) != 0 ||
        listing_init(&list, req, &err) != 0) {
        httpd_respond_err(req, &err);
        return;
    }
    listing_release(&list);
    if (min_index > 0 && server_read_begin(api->srv, &snap, &err) == 0) {
        now_index = server_read_index(snap, tables);
        server_read_end(snap);
        if (now_index <= min_index) {
            b = xcalloc(1, sizeof(*b));
            b->api = api;
            b->req = req;
            b->build = build;
            b->tables = tables;
            b->min_index = min_index;
            uv_timer_init(api->loop, &b->timer);
            b->timer.data = b;
            uv_timer_start(&b->timer, blocking_timeout, wait_ms, 0);
            b->watch =
                server_watch(api->srv, tables, min_index, blocking_woken, b);
            httpd_req_on_abort(req, blocking_aborted, b);
            return;
        }
    }
    api_answer(api, req, build, tables);
}

/* ------------------------------------------------------------ helpers */

json_t *api_str_or_empty(const char *s)
{
    return json_string(s ? s : "");
}

bool api_has_prefix(const char *s, const char *prefix)
{
    return prefix == NULL || strncmp(model_str(s), prefix, strlen(prefix)) == 0;
}

bool api_ns_match(struct httpd_req *req, const char *ns)
{
    const char *want = httpd_req_namespace(req);

    return strcmp(want, "*") == 0 || strcmp(want, model_str(ns)) == 0;
}

/* --------------------------------------------------------------- jobs */

struct summary_ctx
{
    const struct job *job;
    json_t *summary; /* group -> counters */
};

static void bump(json_t *summary, const char *group, const char *what)
{
    json_t *g = json_object_get(summary, group);
    json_t *v;

    if (g == NULL)
        return;
    v = json_object_get(g, what);
    json_integer_set(v, json_integer_value(v) + 1);
}

static int summary_alloc(const struct alloc *a, void *arg)
{
    struct summary_ctx *c = arg;
    const char *cs = model_str(a->client_status);

    if (strcmp(cs, "pending") == 0)
        bump(c->summary, model_str(a->task_group), "Starting");
    else if (strcmp(cs, "running") == 0)
        bump(c->summary, model_str(a->task_group), "Running");
    else if (strcmp(cs, "complete") == 0)
        bump(c->summary, model_str(a->task_group), "Complete");
    else if (strcmp(cs, "failed") == 0)
        bump(c->summary, model_str(a->task_group), "Failed");
    else if (strcmp(cs, "lost") == 0)
        bump(c->summary, model_str(a->task_group), "Lost");
    else if (strcmp(cs, "unknown") == 0)
        bump(c->summary, model_str(a->task_group), "Unknown");
    return 0;
}

struct latest_eval
{
    struct eval *e;
};

/* The newest eval that counted what is still to place. */
static int newest_eval(const struct eval *e, void *arg)
{
    struct latest_eval *l = arg;

    if (!e->queued_allocations.set)
        return 0;
    if (l->e == NULL || e->create_index > l->e->create_index) {
        eval_free(l->e);
        l->e = eval_copy(e);
    }
    return 0;
}

struct children
{
    const char *parent;
    int pending, running, dead;
};

static int count_child(const struct job *j, void *arg)
{
    struct children *c = arg;
    const char *st = model_str(j->status);

    if (j->parent_id == NULL || strcmp(j->parent_id, c->parent) != 0)
        return 0;
    if (strcmp(st, "running") == 0)
        c->running++;
    else if (strcmp(st, "dead") == 0)
        c->dead++;
    else
        c->pending++;
    return 0;
}

static json_t *job_summary(struct state_snap *snap, const struct job *job)
{
    struct summary_ctx c = {job, json_object()};
    struct latest_eval le = {NULL};
    struct children ch = {job->id, 0, 0, 0};
    struct err err = ERR_INIT;
    json_t *s;

    for (size_t i = 0; i < job->ngroups; i++)
        json_object_set_new(
            c.summary, model_str(job->groups[i].name),
            json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "Queued", 0, "Complete",
                      0, "Failed", 0, "Running", 0, "Starting", 0, "Lost", 0,
                      "Unknown", 0));
    server_each_alloc_by_job(snap, job->namespace, job->id, summary_alloc, &c,
                             &err);
    server_each_eval_by_job(snap, job->namespace, job->id, newest_eval, &le,
                            &err);
    if (le.e != NULL) {
        for (size_t i = 0; i < le.e->queued_allocations.n; i++) {
            json_t *g = json_object_get(c.summary,
                                        le.e->queued_allocations.items[i].key);

            if (g != NULL)
                json_object_set_new(
                    g, "Queued",
                    json_integer(strtoll(
                        le.e->queued_allocations.items[i].value, NULL, 10)));
        }
        eval_free(le.e);
    }
    /* Only periodic and parameterized parents have children. */
    if (job->periodic != NULL || job->parameterized != NULL)
        server_each_job(snap, "", count_child, &ch, &err);
    s = json_pack("{s:s,s:s,s:o,s:{s:i,s:i,s:i},s:I,s:I}", "JobID",
                  model_str(job->id), "Namespace", model_str(job->namespace),
                  "Summary", c.summary, "Children", "Pending", ch.pending,
                  "Running", ch.running, "Dead", ch.dead, "CreateIndex",
                  (json_int_t)job->create_index, "ModifyIndex",
                  (json_int_t)job->modify_index);
    return s;
}

struct list_ctx
{
    struct httpd_req *req;
    struct state_snap *snap;
    const char *prefix;
    json_t *out;
};

static int job_stub(const struct job *j, void *arg)
{
    struct list_ctx *c = arg;
    json_t *dcs;

    if (!api_ns_match(c->req, j->namespace) ||
        !api_has_prefix(j->id, c->prefix))
        return 0;
    dcs = json_array();
    for (size_t i = 0; i < j->datacenters.n; i++)
        json_array_append_new(dcs, json_string(j->datacenters.items[i]));
    json_array_append_new(
        c->out,
        json_pack("{s:s,s:o,s:s,s:s,s:o,s:s,s:n,s:s,s:I,s:b,s:b,s:b,s:s,s:o,"
                  "s:o,s:I,s:I,s:I,s:I}",
                  "ID", model_str(j->id), "ParentID",
                  api_str_or_empty(j->parent_id), "Name", model_str(j->name),
                  "Namespace", model_str(j->namespace), "Datacenters", dcs,
                  "NodePool", model_str(j->node_pool), "Multiregion", "Type",
                  model_str(j->type), "Priority", (json_int_t)j->priority,
                  "Periodic", j->periodic != NULL, "ParameterizedJob",
                  j->parameterized != NULL && !tri_is_true(j->dispatched), "Stop", tri_is_true(j->stop),
                  "Status", model_str(j->status), "StatusDescription",
                  api_str_or_empty(j->status_description), "JobSummary",
                  job_summary(c->snap, j), "CreateIndex",
                  (json_int_t)j->create_index, "ModifyIndex",
                  (json_int_t)j->modify_index, "JobModifyIndex",
                  (json_int_t)j->job_modify_index, "SubmitTime",
                  (json_int_t)j->submit_time));
    /* Nomad's stub carries the job's Meta, so ?filter= can use it. */
    if (j->meta.n > 0 || j->meta.set) {
        json_t *meta = json_object();

        for (size_t i = 0; i < j->meta.n; i++)
            json_object_set_new(meta, j->meta.items[i].key,
                                json_string(j->meta.items[i].value));
        json_object_set_new(
            json_array_get(c->out, json_array_size(c->out) - 1), "Meta", meta);
    } else {
        json_object_set_new(
            json_array_get(c->out, json_array_size(c->out) - 1), "Meta",
            json_null());
    }
    return 0;
}

static json_t *build_jobs(struct http_api *api,
                          struct httpd_req *req,
                          struct state_snap *snap,
                          struct err *err)
{
    struct list_ctx c = {req, snap, httpd_query_get(req, "prefix"),
                         json_array()};

    (void)api;
    if (server_each_job(snap, "", job_stub, &c, err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_jobs(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_jobs, SERVER_JOBS | SERVER_ALLOCS);
}

static json_t *build_job(struct http_api *api,
                         struct httpd_req *req,
                         struct state_snap *snap,
                         struct err *err)
{
    struct job job;
    json_t *j = NULL;

    (void)api;
    job_init(&job);
    if (server_read_job(snap, httpd_req_namespace(req),
                        httpd_req_param(req, "id"), &job, err) == 0)
        j = job_to_json(&job);
    else if (err->code == ERR_NOT_FOUND)
        err_set(err, ERR_NOT_FOUND, "job not found");
    job_release(&job);
    return j;
}

static void get_job(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_job, SERVER_JOBS);
}

static json_t *build_job_summary(struct http_api *api,
                                 struct httpd_req *req,
                                 struct state_snap *snap,
                                 struct err *err)
{
    struct job job;
    json_t *j = NULL;

    (void)api;
    job_init(&job);
    if (server_read_job(snap, httpd_req_namespace(req),
                        httpd_req_param(req, "id"), &job, err) == 0)
        j = job_summary(snap, &job);
    else if (err->code == ERR_NOT_FOUND)
        err_set(err, ERR_NOT_FOUND, "job not found");
    job_release(&job);
    return j;
}

static void get_job_summary(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_job_summary, SERVER_JOBS | SERVER_ALLOCS);
}

struct versions
{
    json_t *list;  /* newest first */
    json_t *diffs; /* diffs[i]: from version i+1 of the list to i */
    struct job *prev;
};

static int version_cb(const struct job *j, void *arg)
{
    struct versions *v = arg;

    json_array_insert_new(v->list, 0, job_to_json(j));
    if (v->diffs != NULL && v->prev != NULL)
        json_array_insert_new(v->diffs, 0, job_diff(v->prev, j));
    if (v->diffs != NULL) {
        job_free(v->prev);
        v->prev = job_copy(j);
    }
    return 0;
}

static json_t *build_job_versions(struct http_api *api,
                                  struct httpd_req *req,
                                  struct state_snap *snap,
                                  struct err *err)
{
    const char *d = httpd_query_get(req, "diffs");
    struct versions v = {json_array(), NULL, NULL};
    int rc;

    (void)api;
    if (d != NULL && strcmp(d, "true") == 0)
        v.diffs = json_array();
    rc = server_each_job_version(snap, httpd_req_namespace(req),
                                 httpd_req_param(req, "id"), version_cb, &v,
                                 err);
    job_free(v.prev);
    if (rc != 0) {
        json_decref(v.list);
        json_decref(v.diffs);
        return NULL;
    }
    return json_pack("{s:o,s:o}", "Versions", v.list, "Diffs",
                     v.diffs ? v.diffs : json_null());
}

static void get_job_versions(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_job_versions, SERVER_JOB_VERSIONS);
}

/* -------------------------------------------------------------- allocs */

static json_t *alloc_stub(const struct alloc *a)
{
    json_t *full = alloc_to_json(a);
    json_t *stub = json_object();
    static const char *const keep[] = {"ID",
                                       "EvalID",
                                       "Name",
                                       "Namespace",
                                       "NodeID",
                                       "NodeName",
                                       "JobID",
                                       "TaskGroup",
                                       "DesiredStatus",
                                       "DesiredDescription",
                                       "DesiredTransition",
                                       "ClientStatus",
                                       "ClientDescription",
                                       "TaskStates",
                                       "DeploymentStatus",
                                       "FollowupEvalID",
                                       "RescheduleTracker",
                                       "PreviousAllocation",
                                       "NextAllocation",
                                       "CreateIndex",
                                       "ModifyIndex",
                                       "CreateTime",
                                       "ModifyTime",
                                       NULL};

    for (const char *const *k = keep; *k; k++) {
        json_t *v = json_object_get(full, *k);

        json_object_set(stub, *k, v ? v : json_null());
    }
    json_object_set_new(stub, "JobType",
                        a->job ? api_str_or_empty(a->job->type) : json_null());
    json_object_set_new(
        stub, "JobVersion",
        json_integer(a->job && a->job->version != MODEL_UNSET ? a->job->version
                                                              : 0));
    json_decref(full);
    return stub;
}

json_t *api_alloc_stub(const struct alloc *a)
{
    return alloc_stub(a);
}

static int alloc_stub_cb(const struct alloc *a, void *arg)
{
    struct list_ctx *c = arg;

    if (c->req && !api_ns_match(c->req, a->namespace))
        return 0;
    if (!api_has_prefix(a->id, c->prefix))
        return 0;
    json_array_append_new(c->out, alloc_stub(a));
    return 0;
}

static json_t *build_job_allocs(struct http_api *api,
                                struct httpd_req *req,
                                struct state_snap *snap,
                                struct err *err)
{
    struct list_ctx c = {NULL, snap, NULL, json_array()};

    (void)api;
    if (server_each_alloc_by_job(snap, httpd_req_namespace(req),
                                 httpd_req_param(req, "id"), alloc_stub_cb, &c,
                                 err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_job_allocs(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_job_allocs, SERVER_ALLOCS);
}

static json_t *build_allocs(struct http_api *api,
                            struct httpd_req *req,
                            struct state_snap *snap,
                            struct err *err)
{
    struct list_ctx c = {req, snap, httpd_query_get(req, "prefix"),
                         json_array()};

    (void)api;
    if (server_each_alloc(snap, "", alloc_stub_cb, &c, err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_allocs(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_allocs, SERVER_ALLOCS);
}

ONE_RECORD(alloc, alloc, alloc, SERVER_ALLOCS, "alloc")

/* --------------------------------------------------------------- evals */

static int eval_cb(const struct eval *e, void *arg)
{
    struct list_ctx *c = arg;

    if (c->req && !api_ns_match(c->req, e->namespace))
        return 0;
    if (!api_has_prefix(e->id, c->prefix))
        return 0;
    json_array_append_new(c->out, eval_to_json(e));
    return 0;
}

static json_t *build_job_evals(struct http_api *api,
                               struct httpd_req *req,
                               struct state_snap *snap,
                               struct err *err)
{
    struct list_ctx c = {NULL, snap, NULL, json_array()};

    (void)api;
    if (server_each_eval_by_job(snap, httpd_req_namespace(req),
                                httpd_req_param(req, "id"), eval_cb, &c,
                                err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_job_evals(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_job_evals, SERVER_EVALS);
}

static json_t *build_evals(struct http_api *api,
                           struct httpd_req *req,
                           struct state_snap *snap,
                           struct err *err)
{
    struct list_ctx c = {req, snap, httpd_query_get(req, "prefix"),
                         json_array()};

    (void)api;
    if (server_each_eval(snap, "", eval_cb, &c, err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_evals(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_evals, SERVER_EVALS);
}

ONE_RECORD(eval, eval, eval, SERVER_EVALS, "eval")

struct eval_allocs
{
    const char *eval_id;
    json_t *out;
};

static int eval_alloc_cb(const struct alloc *a, void *arg)
{
    struct eval_allocs *c = arg;

    if (a->eval_id && strcmp(a->eval_id, c->eval_id) == 0)
        json_array_append_new(c->out, alloc_stub(a));
    return 0;
}

static json_t *build_eval_allocs(struct http_api *api,
                                 struct httpd_req *req,
                                 struct state_snap *snap,
                                 struct err *err)
{
    struct eval_allocs c = {httpd_req_param(req, "id"), json_array()};

    (void)api;
    if (server_each_alloc(snap, "", eval_alloc_cb, &c, err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_eval_allocs(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_eval_allocs, SERVER_ALLOCS);
}

/* --------------------------------------------------------------- nodes */

static int node_stub(const struct node *n, void *arg)
{
    struct list_ctx *c = arg;
    json_t *drivers, *full, *last;

    if (!api_has_prefix(n->id, c->prefix))
        return 0;
    drivers = json_object(); /* after the filter: no leak for a miss */
    for (size_t i = 0; i < n->ndrivers; i++)
        json_object_set_new(
            drivers, model_str(n->drivers[i].name),
            json_pack("{s:b,s:b,s:s}", "Detected", n->drivers[i].detected,
                      "Healthy", n->drivers[i].healthy, "HealthDescription",
                      model_str(n->drivers[i].health_description)));
    json_array_append_new(
        c->out,
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:o,s:I,s:I}",
                  "Address", model_str(n->resources.ip), "ID", model_str(n->id),
                  "Datacenter", model_str(n->datacenter), "Name",
                  model_str(n->name), "NodeClass", model_str(n->node_class),
                  "NodePool", model_str(n->node_pool), "Version",
                  model_str(n->version), "Drain", n->drain,
                  "SchedulingEligibility", model_str(n->scheduling_eligibility),
                  "Status", model_str(n->status), "StatusDescription",
                  model_str(n->status_description), "Drivers", drivers,
                  "CreateIndex", (json_int_t)n->create_index, "ModifyIndex",
                  (json_int_t)n->modify_index));
    /* LastDrain as the full node shows it (null before any drain). */
    full = node_to_json(n);
    last = json_object_get(full, "LastDrain");
    json_object_set(json_array_get(c->out, json_array_size(c->out) - 1),
                    "LastDrain", last ? last : json_null());
    json_decref(full);
    return 0;
}

static json_t *build_nodes(struct http_api *api,
                           struct httpd_req *req,
                           struct state_snap *snap,
                           struct err *err)
{
    struct list_ctx c = {req, snap, httpd_query_get(req, "prefix"),
                         json_array()};

    (void)api;
    if (server_each_node(snap, "", node_stub, &c, err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_nodes(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_nodes, SERVER_NODES);
}

static json_t *build_node(struct http_api *api,
                          struct httpd_req *req,
                          struct state_snap *snap,
                          struct err *err)
{
    struct node n;
    json_t *j = NULL;

    (void)api;
    node_init(&n);
    if (server_read_node(snap, httpd_req_param(req, "id"), &n, err) == 0) {
        j = node_to_json(&n);
        json_object_del(j, "SecretID"); /* never shown, as Nomad */
    } else if (err->code == ERR_NOT_FOUND) {
        err_set(err, ERR_NOT_FOUND, "node not found");
    }
    node_release(&n);
    return j;
}

static void get_node(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_node, SERVER_NODES);
}

static json_t *build_node_allocs(struct http_api *api,
                                 struct httpd_req *req,
                                 struct state_snap *snap,
                                 struct err *err)
{
    json_t *out = json_array();
    struct list_ctx c = {NULL, snap, NULL, out};

    (void)api;
    if (server_each_alloc_by_node(snap, httpd_req_param(req, "id"),
                                  alloc_stub_cb, &c, err) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void get_node_allocs(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_node_allocs, SERVER_ALLOCS);
}

/* --------------------------------------------------------- deployments */

static int deployment_cb(const struct deployment *d, void *arg)
{
    struct list_ctx *c = arg;

    if (c->req && !api_ns_match(c->req, d->namespace))
        return 0;
    if (!api_has_prefix(d->id, c->prefix))
        return 0;
    json_array_append_new(c->out, deployment_to_json(d));
    return 0;
}

static json_t *build_deployments(struct http_api *api,
                                 struct httpd_req *req,
                                 struct state_snap *snap,
                                 struct err *err)
{
    struct list_ctx c = {req, snap, httpd_query_get(req, "prefix"),
                         json_array()};

    (void)api;
    if (server_each_deployment(snap, "", deployment_cb, &c, err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_deployments(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_deployments, SERVER_DEPLOYMENTS);
}

ONE_RECORD(deployment, deployment, deployment, SERVER_DEPLOYMENTS, "deployment")

struct newest_dep
{
    struct deployment *d;
};

static int newest_dep_cb(const struct deployment *d, void *arg)
{
    struct newest_dep *n = arg;

    if (n->d == NULL || d->create_index > n->d->create_index) {
        deployment_free(n->d);
        n->d = deployment_copy(d);
    }
    return 0;
}

static json_t *build_job_deployment(struct http_api *api,
                                    struct httpd_req *req,
                                    struct state_snap *snap,
                                    struct err *err)
{
    struct newest_dep n = {NULL};
    json_t *j;

    (void)api;
    if (server_each_deployment_by_job(snap, httpd_req_namespace(req),
                                      httpd_req_param(req, "id"), newest_dep_cb,
                                      &n, err) != 0)
        return NULL;
    j = n.d ? deployment_to_json(n.d) : json_null();
    deployment_free(n.d);
    return j;
}

static void get_job_deployment(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_job_deployment, SERVER_DEPLOYMENTS);
}

static json_t *build_job_deployments(struct http_api *api,
                                     struct httpd_req *req,
                                     struct state_snap *snap,
                                     struct err *err)
{
    struct list_ctx c = {NULL, snap, NULL, json_array()};

    (void)api;
    if (server_each_deployment_by_job(snap, httpd_req_namespace(req),
                                      httpd_req_param(req, "id"), deployment_cb,
                                      &c, err) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static void get_job_deployments(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_job_deployments, SERVER_DEPLOYMENTS);
}

/* -------------------------------------------------------------- writes */

void api_write_aborted(struct httpd_req *req, void *arg)
{
    (void)req;
    ((struct write_ctx *)arg)->gone = true;
}

void api_register_done(void *arg,
                       int rc,
                       const struct server_register_result *res,
                       const struct err *err)
{
    struct write_ctx *w = arg;
    json_t *body;
    char idx[24];

    if (w->gone) {
        free(w);
        return;
    }
    httpd_req_on_abort(w->req, NULL, NULL);
    if (rc != 0) {
        /* Server-side failures surface as 500 with the text, as Nomad. */
        httpd_respond_error(w->req, err->code == ERR_NOT_FOUND ? 404 : 500,
                            "%s", err->msg);
        free(w);
        return;
    }
    snprintf(idx, sizeof(idx), "%" PRIu64, res->index);
    httpd_set_header(w->req, "X-Nomad-Index", idx);
    body = json_pack(
        "{s:s,s:I,s:I,s:s,s:I,s:i,s:b,s:s}", "EvalID", res->eval_id,
        "EvalCreateIndex", (json_int_t)res->eval_create_index, "JobModifyIndex",
        (json_int_t)res->job_modify_index, "Warnings",
        res->warnings ? res->warnings : "", "Index", (json_int_t)res->index,
        "LastContact", 0, "KnownLeader", true, "NextToken", "");
    httpd_respond_json(w->req, 200, body);
    json_decref(body);
    free(w);
}

static struct job *job_from_body(struct httpd_req *req, struct err *err)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    struct job *job;

    if (len == 0) {
        err_set(err, ERR_INVALID, "Request body is empty");
        return NULL;
    }
    job = job_new();
    if (job_decode_json(body, len, job, err) != 0) {
        job_free(job);
        return NULL;
    }
    if (job->id == NULL || job->id[0] == '\0') {
        err_set(err, ERR_INVALID, "Job ID hasn't been provided");
        job_free(job);
        return NULL;
    }
    return job;
}

/* EnforceIndex and JobModifyIndex of a register body (`job run
 * -check-index`). */
static bool enforce_index(struct httpd_req *req, uint64_t *jmi)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    json_t *in = json_loadb(body, len, 0, NULL);
    json_t *v = json_object_get(in, "JobModifyIndex");
    bool on = json_is_true(json_object_get(in, "EnforceIndex"));

    *jmi = json_is_integer(v) && json_integer_value(v) > 0
               ? (uint64_t)json_integer_value(v)
               : 0;
    json_decref(in);
    return on;
}

static void put_jobs(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    uint64_t jmi;
    struct err err = ERR_INIT;
    struct job *job = job_from_body(req, &err);
    const char *id = httpd_req_param(req, "id");
    const char *ns = httpd_query_get(req, "namespace");
    struct write_ctx *w;

    if (job == NULL) {
        httpd_respond_err(req, &err);
        return;
    }
    if (id != NULL && strcmp(id, job->id) != 0) {
        job_free(job);
        httpd_respond_error(req, 400, "Job ID does not match name");
        return;
    }
    if (ns != NULL)
        model_set_str(&job->namespace, ns);
    w = xcalloc(1, sizeof(*w));
    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    if (enforce_index(req, &jmi))
        server_job_register_enforce(api->srv, job, jmi, api_register_done, w);
    else
        server_job_register(api->srv, job, api_register_done, w);
}

static void delete_job(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    const char *purge = httpd_query_get(req, "purge");
    struct write_ctx *w;
    bool p = false;

    if (purge != NULL) {
        if (strcmp(purge, "true") == 0 || strcmp(purge, "1") == 0)
            p = true;
        else if (strcmp(purge, "false") != 0 && strcmp(purge, "0") != 0) {
            httpd_respond_error(req, 500,
                                "Failed to parse value of \"purge\" (%s) as "
                                "a bool: strconv.ParseBool: parsing \"%s\": "
                                "invalid syntax",
                                purge, purge);
            return;
        }
    }
    w = xcalloc(1, sizeof(*w));
    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_job_deregister(api->srv, httpd_req_namespace(req),
                          httpd_req_param(req, "id"), p, api_register_done, w);
}

static void put_validate(struct httpd_req *req, void *arg)
{
    struct err err = ERR_INIT;
    struct job *job = job_from_body(req, &err);
    json_t *errors = json_array(), *body;
    const char *text = "";

    (void)arg;
    if (job == NULL) {
        json_decref(errors);
        httpd_respond_err(req, &err);
        return;
    }
    job_canonicalize(job);
    if (job_validate(job, &err) != 0) {
        text = err.msg;
        json_array_append_new(errors, json_string(err.msg));
    }
    body = json_pack("{s:b,s:o,s:s,s:s}", "DriverConfigValidated", true,
                     "ValidationErrors", errors, "Error", text, "Warnings", "");
    httpd_respond_json(req, 200, body);
    json_decref(body);
    job_free(job);
}

/* POST /v1/jobs/parse: HCL to the API's job JSON, on the agent. */
static void put_jobs_parse(struct httpd_req *req, void *arg)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    struct hcl_options opts;
    struct err err = ERR_INIT;
    struct job *job = NULL;
    json_t *in, *hcl, *out;
    json_error_t jerr;

    (void)arg;
    in = json_loadb(body, len, 0, &jerr);
    if (in == NULL) {
        httpd_respond_error(req, 400, "%d:%d: %s", jerr.line, jerr.column,
                            jerr.text);
        return;
    }
    hcl = json_object_get(in, "JobHCL");
    if (!json_is_string(hcl) || json_string_length(hcl) == 0) {
        json_decref(in);
        httpd_respond_error(req, 400, "Job spec is empty");
        return;
    }
    memset(&opts, 0, sizeof(opts)); /* no file functions on the server */
    if (jobspec_parse(json_string_value(hcl), json_string_length(hcl),
                      "input.hcl", &opts, &job, &err) != 0) {
        json_decref(in);
        httpd_respond_error(req, 400, "Failed to parse job: %s", err.msg);
        return;
    }
    if (json_is_true(json_object_get(in, "Canonicalize")))
        job_canonicalize(job);
    out = job_to_json(job);
    httpd_respond_json(req, 200, out);
    json_decref(out);
    json_decref(in);
    job_free(job);
}

static void get_agent_health(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    json_t *v =
        api->srv != NULL
            ? json_pack("{s:{s:b,s:s}}", "server", "ok", true, "message", "ok")
            : json_object();

    if (api->client != NULL)
        json_object_set_new(
            v, "client", json_pack("{s:b,s:s}", "ok", true, "message", "ok"));
    httpd_respond_json(req, 200, v);
    json_decref(v);
}

static void get_peers(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    char addr[64];
    json_t *v;

    if (api->leader_addr != NULL)
        snprintf(addr, sizeof(addr), "%s", api->leader_addr);
    else
        snprintf(addr, sizeof(addr), "127.0.0.1:%u", httpd_port(api->httpd));
    v = json_pack("[s]", addr);
    httpd_respond_json(req, 200, v);
    json_decref(v);
}

/* ------------------------------------------------------ status, agent */

static void get_leader(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    char addr[64];
    json_t *v;

    /* A client-only agent asks its servers, as Nomad's clients do. */
    if (api->srv == NULL && api->forward != NULL) {
        api_forward(api, req);
        return;
    }
    if (api->leader_addr != NULL)
        snprintf(addr, sizeof(addr), "%s", api->leader_addr);
    else
        snprintf(addr, sizeof(addr), "127.0.0.1:%u", httpd_port(api->httpd));
    v = json_string(addr);
    httpd_respond_json(req, 200, v);
    json_decref(v);
}

static void get_agent_self(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    char index[24];
    const char *region = api->srv ? server_region(api->srv) : api->region;
    json_t *v = json_pack(
        "{s:{s:s,s:s,s:s},s:{s:{s:s,s:s,s:s}}}", "config", "Region", region,
        "Datacenter",
        api->srv ? server_datacenter(api->srv) : api->datacenter, "NodeName",
        api->node_name, "member", "Tags", "role",
        api->srv ? "nomad" : "client", "region", region, "build",
        api->version);

    /* `agent-info` prints these; every value is a string, as Nomad's. */
    if (api->srv != NULL) {
        snprintf(index, sizeof(index), "%" PRIu64,
                 server_last_index(api->srv));
        json_object_set_new(
            v, "stats",
            json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:s,s:s}}", "nomad", "server",
                      "true", "leader", "true", "bootstrap", "true",
                      "known_regions", "1", "raft", "applied_index", index,
                      "state", "Leader"));
    } else {
        json_object_set_new(v, "stats", json_object());
    }
    if (api->client != NULL)
        json_object_set_new(
            json_object_get(v, "stats"), "client",
            json_pack("{s:s}", "node_id", client_node_id(api->client)));
    if (api->mesh != NULL && api->mesh->stats != NULL)
        json_object_set_new(json_object_get(v, "stats"), "serf",
                            api->mesh->stats(api->mesh_ctx));

    httpd_respond_json(req, 200, v);
    json_decref(v);
}

static void get_regions(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    json_t *v = json_pack("[s]", server_region(api->srv));

    httpd_respond_json(req, 200, v);
    json_decref(v);
}

/* ---------------------------------------------------------------- logs */

/*
 * GET /v1/client/fs/logs/:alloc: the task's log files, read in rotation
 * order as one stream, plain or as Nomad's JSON frames, and followed
 * while the alloc runs.
 */
struct log_stream
{
    struct http_api *api;
    struct httpd_req *req;
    char *alloc_id;
    char *base; /* <alloc dir>/alloc/logs/<task>.<type> */
    char *rel;  /* alloc/logs/<task>.<type> */
    char *dir;  /* <alloc dir>/alloc/logs */
    char *name; /* <task>.<type> */
    bool plain;
    int file;     /* current file index */
    uint64_t off; /* read offset within it */
    uv_timer_t timer;
    bool quiet_tick; /* nothing new at the last tick */
};

static int file_size(const char *base, int n, uint64_t *size)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s.%d", base, n);
    if (stat(path, &st) != 0)
        return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}

/*
 * The oldest file, once the one being read was deleted by rotation
 * (max_files): what was in it is gone, reading goes on from there.
 */
static bool skip_deleted(struct log_stream *ls)
{
    uint32_t first, last;

    if (logfile_range(ls->dir, ls->name, &first, &last) != 0 ||
        (int64_t)first <= (int64_t)ls->file)
        return false;
    ls->file = (int)first;
    ls->off = 0;
    return true;
}

/* Writes what is new in the files, as bytes or frames; returns bytes. */
static size_t pump(struct log_stream *ls, struct buf *out)
{
    size_t total = 0;

    for (;;) {
        char path[4096];
        uint64_t size, next;
        FILE *f;

        if (file_size(ls->base, ls->file, &size) != 0) {
            if (skip_deleted(ls))
                continue;
            break;
        }
        if (ls->off < size) {
            size_t want = (size_t)(size - ls->off), got;
            char *data = xmalloc(want ? want : 1);

            snprintf(path, sizeof(path), "%s.%d", ls->base, ls->file);
            f = fopen(path, "rb");
            got = 0;
            if (f != NULL) {
                if (fseek(f, (long)ls->off, SEEK_SET) == 0)
                    got = fread(data, 1, want, f);
                fclose(f);
            }
            if (ls->plain) {
                buf_append(out, data, got);
            } else if (got > 0) {
                size_t b64len = sodium_base64_ENCODED_LEN(
                    got, sodium_base64_VARIANT_ORIGINAL);
                char *b64 = xmalloc(b64len);
                json_t *frame;
                char *text;

                sodium_bin2base64(b64, b64len, (const unsigned char *)data, got,
                                  sodium_base64_VARIANT_ORIGINAL);
                char file[512];

                snprintf(file, sizeof(file), "%s.%d", ls->rel, ls->file);
                frame = json_pack("{s:s,s:I,s:s}", "File", file, "Offset",
                                  (json_int_t)ls->off, "Data", b64);
                text = json_dumps(frame, JSON_COMPACT | JSON_PRESERVE_ORDER);
                buf_puts(out, text);
                free(text);
                json_decref(frame);
                free(b64);
            }
            ls->off += got;
            total += got;
            free(data);
        }
        /* A newer file means this one is complete. */
        if (file_size(ls->base, ls->file + 1, &next) != 0)
            break;
        ls->file++;
        ls->off = 0;
    }
    return total;
}

static void log_stream_free(uv_handle_t *h)
{
    struct log_stream *ls = h->data;

    free(ls->alloc_id);
    free(ls->base);
    free(ls->rel);
    free(ls->dir);
    free(ls->name);
    free(ls);
}

static void log_stream_aborted(struct httpd_req *req, void *arg)
{
    struct log_stream *ls = arg;

    (void)req;
    uv_timer_stop(&ls->timer);
    uv_close((uv_handle_t *)&ls->timer, log_stream_free);
}

static void log_tick(uv_timer_t *t)
{
    struct log_stream *ls = t->data;
    struct buf out = BUF_INIT;
    size_t n = pump(ls, &out);
    bool active =
        ls->api->client && client_alloc_active(ls->api->client, ls->alloc_id);

    if (out.len > 0)
        httpd_stream_write(ls->req, out.data, out.len);
    else if (!ls->plain)
        httpd_stream_write(ls->req, "{}", 2); /* heartbeat frame */
    buf_release(&out);
    /* Once the tasks are dead and the files stopped growing, the end. */
    if (!active && n == 0 && ls->quiet_tick) {
        httpd_req_on_abort(ls->req, NULL, NULL);
        httpd_stream_end(ls->req);
        uv_timer_stop(&ls->timer);
        uv_close((uv_handle_t *)&ls->timer, log_stream_free);
        return;
    }
    ls->quiet_tick = n == 0;
}

/* Go's strconv.ParseBool, which Nomad uses for follow and plain. */
static int parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

    *out = false;
    if (s == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (strcmp(s, t[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, f[i]) == 0)
            return 0;
    }
    return -1;
}

static void get_logs(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    const char *task = httpd_query_get(req, "task");
    const char *type = httpd_query_get(req, "type");
    const char *origin = httpd_query_get(req, "origin");
    const char *offset_s = httpd_query_get(req, "offset");
    const char *follow = httpd_query_get(req, "follow");
    const char *plain = httpd_query_get(req, "plain");
    struct log_stream *ls;
    struct buf out = BUF_INIT;
    uint64_t offset = 0, total = 0, size;
    uint32_t first = 0, last = 0;
    bool follow_b, plain_b;
    char *dir;

    if (parse_bool(follow, &follow_b) != 0) {
        httpd_respond_error(req, 400,
                            "failed to parse follow field to boolean: "
                            "strconv.ParseBool: parsing \"%s\": invalid syntax",
                            follow);
        return;
    }
    if (parse_bool(plain, &plain_b) != 0) {
        httpd_respond_error(req, 400,
                            "failed to parse plain field to boolean: "
                            "strconv.ParseBool: parsing \"%s\": invalid syntax",
                            plain);
        return;
    }
    if (task == NULL || task[0] == '\0') {
        httpd_respond_error(req, 400, "must provide task name");
        return;
    }
    if (type == NULL ||
        (strcmp(type, "stdout") != 0 && strcmp(type, "stderr") != 0)) {
        httpd_respond_error(req, 400, "must provide log type (stdout/stderr)");
        return;
    }
    if (origin != NULL && strcmp(origin, "start") != 0 &&
        strcmp(origin, "end") != 0) {
        httpd_respond_error(req, 400, "origin must be start or end");
        return;
    }
    if (offset_s != NULL) {
        char *end;

        offset = strtoull(offset_s, &end, 10);
        if (*end != '\0' || offset_s[0] == '-') {
            httpd_respond_error(req, 400, "failed to parse offset: %s",
                                offset_s);
            return;
        }
    }
    if (strchr(task, '/') != NULL || api->client == NULL ||
        (dir = client_alloc_dir(api->client, httpd_req_param(req, "alloc"))) ==
            NULL) {
        httpd_respond_error(req, 404, "Unknown allocation \"%s\"",
                            httpd_req_param(req, "alloc"));
        return;
    }
    ls = xcalloc(1, sizeof(*ls));
    ls->api = api;
    ls->req = req;
    ls->alloc_id = xstrdup(httpd_req_param(req, "alloc"));
    ls->base = xasprintf("%s/alloc/logs/%s.%s", dir, task, type);
    ls->rel = xasprintf("alloc/logs/%s.%s", task, type);
    ls->dir = xasprintf("%s/alloc/logs", dir);
    ls->name = xasprintf("%s.%s", task, type);
    ls->plain = plain_b;
    free(dir);
    /* Rotation deletes the oldest files: the stream starts at the first
     * one left. Position: offset bytes from there, or before the end. */
    if (logfile_range(ls->dir, ls->name, &first, &last) == 0)
        ls->file = (int)first;
    for (int n = ls->file; file_size(ls->base, n, &size) == 0; n++)
        total += size;
    if (origin != NULL && strcmp(origin, "end") == 0)
        offset = offset > total ? 0 : total - offset;
    while (file_size(ls->base, ls->file, &size) == 0 && offset > size &&
           file_size(ls->base, ls->file + 1, &size) == 0) {
        file_size(ls->base, ls->file, &size);
        offset -= size;
        ls->file++;
    }
    ls->off = offset;
    pump(ls, &out);
    if (!follow_b) {
        httpd_respond_buf(req, 200,
                          ls->plain ? HTTPD_CONTENT_TEXT : HTTPD_CONTENT_JSON,
                          &out);
        buf_release(&out);
        free(ls->alloc_id);
        free(ls->base);
        free(ls->rel);
        free(ls->dir);
        free(ls->name);
        free(ls);
        return;
    }
    httpd_req_on_abort(req, log_stream_aborted, ls);
    if (httpd_stream_begin(
            req, 200, ls->plain ? HTTPD_CONTENT_TEXT : HTTPD_CONTENT_JSON) !=
        0) {
        buf_release(&out);
        return; /* on_abort frees it */
    }
    if (out.len > 0)
        httpd_stream_write(req, out.data, out.len);
    buf_release(&out);
    uv_timer_init(api->loop, &ls->timer);
    ls->timer.data = ls;
    uv_timer_start(&ls->timer, log_tick, 250, 250);
}

/* ------------------------------------------------------------ routing */

static const struct
{
    const char *spec;
    httpd_handler_cb fn;
} routes[] = {
    {"GET /v1/jobs", get_jobs},
    {"PUT|POST /v1/jobs", put_jobs},
    {"PUT|POST /v1/validate/job", put_validate},
    {"GET /v1/job/:id", get_job},
    {"PUT|POST /v1/job/:id", put_jobs},
    {"DELETE /v1/job/:id", delete_job},
    {"GET /v1/job/:id/allocations", get_job_allocs},
    {"GET /v1/job/:id/evaluations", get_job_evals},
    {"GET /v1/job/:id/summary", get_job_summary},
    {"GET /v1/job/:id/versions", get_job_versions},
    {"GET /v1/job/:id/deployment", get_job_deployment},
    {"GET /v1/job/:id/deployments", get_job_deployments},
    {"GET /v1/allocations", get_allocs},
    {"GET /v1/allocation/:id", get_alloc},
    {"GET /v1/evaluations", get_evals},
    {"GET /v1/evaluation/:id", get_eval},
    {"GET /v1/evaluation/:id/allocations", get_eval_allocs},
    {"GET /v1/nodes", get_nodes},
    {"GET /v1/node/:id", get_node},
    {"GET /v1/node/:id/allocations", get_node_allocs},
    {"GET /v1/deployments", get_deployments},
    {"GET /v1/deployment/:id", get_deployment},
    {"GET /v1/status/leader", get_leader},
    {"GET /v1/status/peers", get_peers},
    {"GET /v1/agent/health", get_agent_health},
    {"PUT|POST /v1/jobs/parse", put_jobs_parse},
    {"GET /v1/agent/self", get_agent_self},
    {"GET /v1/regions", get_regions},
    {"GET /v1/client/fs/logs/:alloc", get_logs},
};

static void forward_route(struct httpd_req *req, void *arg)
{
    api_forward(arg, req);
}

int http_api_start(uv_loop_t *loop,
                   struct server *srv,
                   const struct http_api_config *cfg,
                   struct http_api **out,
                   struct err *err)
{
    struct http_api *api = xcalloc(1, sizeof(*api));
    struct httpd_config hc;
    int rc;

    memset(&hc, 0, sizeof(hc));
    hc.host = cfg->host ? cfg->host : "127.0.0.1";
    hc.port = cfg->port;
    api->loop = loop;
    api->srv = srv;
    api->client = cfg->client;
    api->node_name = xstrdup(cfg->node_name ? cfg->node_name : "");
    api->version = xstrdup(cfg->version ? cfg->version : "");
    api->region = xstrdup(cfg->region ? cfg->region : "global");
    api->host = xstrdup(cfg->host == NULL || strcmp(cfg->host, "0.0.0.0") == 0
                            ? "127.0.0.1"
                            : cfg->host);
    api->forward = cfg->forward;
    api->forward_ctx = cfg->forward_ctx;
    api->keyring = cfg->keyring;
    api->keyring_ctx = cfg->keyring_ctx;
    api->mesh = cfg->mesh;
    api->mesh_ctx = cfg->mesh_ctx;
    api->leader_addr = cfg->leader_addr ? xstrdup(cfg->leader_addr) : NULL;
    api->catalog = cfg->catalog;
    api->catalog_hub = cfg->catalog_hub;
    api->datacenter = xstrdup(cfg->datacenter ? cfg->datacenter : "dc1");
    api->httpd = httpd_new(loop, &hc);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        /* Without a server, only the agent's own routes. */
        if (srv == NULL && strncmp(routes[i].spec, "GET /v1/agent/", 14) != 0 &&
            strncmp(routes[i].spec, "GET /v1/client/", 15) != 0)
            continue;
        rc = httpd_route(api->httpd, routes[i].spec, routes[i].fn, api, err);
        if (rc != 0)
            goto fail;
    }
    /* Further route groups (endpoints_*.c) register here; they answer
     * from the server's state. */
    rc = srv == NULL ? 0 : api_routes_periodic(api, err);
    if (rc == 0 && srv != NULL)
        rc = http_api_jobops_routes(api, err);
    if (rc == 0 && srv != NULL)
        rc = api_node_routes(api, err);
    if (rc == 0 && srv != NULL)
        rc = endpoints_deployment_add(api, err);
    /* The client's own routes answer on any agent with a client. */
    if (rc == 0)
        rc = api_client_routes_add(api, err);
    if (rc == 0 && api->catalog != NULL)
        rc = api_routes_services(api, err);
    /* Every agent answers for its own gossip keyring. */
    if (rc == 0 && api->keyring != NULL)
        rc = api_keyring_routes_add(api, err);
    if (rc == 0 && api->mesh != NULL)
        rc = api_members_routes_add(api, err);
    /* Whatever else a client-only agent is asked goes to its servers. */
    if (rc == 0 && srv == NULL && api->forward != NULL)
        rc = httpd_route(api->httpd, "* /v1/*", forward_route, api, err);
    if (rc != 0)
        goto fail;
    rc = httpd_listen(api->httpd, err);
    if (rc != 0)
        goto fail;
    *out = api;
    return 0;
fail:
    http_api_close(api, NULL, NULL);
    *out = NULL;
    return rc;
}

int api_routes_add(struct http_api *api,
                   const char *spec,
                   httpd_handler_cb fn,
                   struct err *err)
{
    return httpd_route(api->httpd, spec, fn, api, err);
}

uint16_t http_api_port(const struct http_api *api)
{
    return httpd_port(api->httpd);
}

static void httpd_closed(void *arg)
{
    struct http_api *api = arg;

    if (api->close_cb)
        api->close_cb(api->close_arg);
    free(api->node_name);
    free(api->version);
    free(api->region);
    free(api->host);
    free(api->datacenter);
    free(api->leader_addr);
    free(api);
}

void http_api_close(struct http_api *api, void (*cb)(void *arg), void *arg)
{
    api->close_cb = cb;
    api->close_arg = arg;
    httpd_close(api->httpd, httpd_closed, api);
}
