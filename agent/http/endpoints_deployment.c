/*
 * Deployment writes and the allocations of a deployment:
 * /v1/deployment/{promote,fail,pause,allocation-health,allocations}/:id
 * and /v1/job/:id/stable (the mark a successful deployment sets), as
 * Nomad's.
 */
#include "agent/http/endpoints_deployment.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/api_int.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/deployment_req.h"

/* Nomad's DeploymentUpdateResponse. */
static void update_done(void *arg,
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
        httpd_respond_err(w->req, err);
        free(w);
        return;
    }
    snprintf(idx, sizeof(idx), "%" PRIu64, res->index);
    httpd_set_header(w->req, "X-Nomad-Index", idx);
    body = json_pack(
        "{s:s,s:I,s:I,s:o,s:I,s:i,s:b}", "EvalID", res->eval_id,
        "EvalCreateIndex", (json_int_t)res->eval_create_index,
        "DeploymentModifyIndex", (json_int_t)res->index, "RevertedJobVersion",
        res->reverted ? json_integer((json_int_t)res->reverted_job_version)
                      : json_null(),
        "Index", (json_int_t)res->index, "LastContact", 0, "KnownLeader", true);
    httpd_respond_json(w->req, 200, body);
    json_decref(body);
    free(w);
}

/* The body as a request; its DeploymentID must name the path's. */
static int read_req(struct httpd_req *req,
                    struct deployment_req *r,
                    struct err *err)
{
    size_t len;
    const char *text = httpd_req_body(req, &len);
    const char *id = httpd_req_param(req, "id");

    if (deployment_req_decode_json(text, len, r, err) != 0)
        return err->code;
    if (r->deployment_id != NULL && r->deployment_id[0] != '\0' &&
        strcmp(r->deployment_id, id) != 0)
        return err_set(err, ERR_INVALID,
                       "Deployment ID does not match (\"%s\" in the body, "
                       "\"%s\" in the path)",
                       r->deployment_id, id);
    return 0;
}

static void send_update(struct http_api *api,
                        struct httpd_req *req,
                        const struct server_deployment_req *r)
{
    struct write_ctx *w = xcalloc(1, sizeof(*w));

    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_deployment_update(api->srv, r, update_done, w);
}

/* Decodes the body, then promotes, fails or pauses/resumes. */
static void post_update(struct httpd_req *req,
                        void *arg,
                        enum server_deployment_op op)
{
    struct err err = ERR_INIT;
    struct deployment_req body;
    struct server_deployment_req r = {.op = op,
                                      .id = httpd_req_param(req, "id")};

    deployment_req_init(&body);
    if (read_req(req, &body, &err) != 0) {
        deployment_req_release(&body);
        httpd_respond_err(req, &err);
        return;
    }
    if (op == SERVER_DEPLOYMENT_PROMOTE) {
        r.all = body.all;
        r.groups = (const char *const *)body.groups.items;
        r.ngroups = body.groups.n;
    } else if (op == SERVER_DEPLOYMENT_PAUSE && !body.pause) {
        r.op = SERVER_DEPLOYMENT_RESUME;
    } else if (op == SERVER_DEPLOYMENT_ALLOC_HEALTH) {
        r.healthy = (const char *const *)body.healthy.items;
        r.nhealthy = body.healthy.n;
        r.unhealthy = (const char *const *)body.unhealthy.items;
        r.nunhealthy = body.unhealthy.n;
    }
    /* The server reads the request before this returns. */
    send_update(arg, req, &r);
    deployment_req_release(&body);
}

static void post_promote(struct httpd_req *req, void *arg)
{
    post_update(req, arg, SERVER_DEPLOYMENT_PROMOTE);
}

static void post_fail(struct httpd_req *req, void *arg)
{
    post_update(req, arg, SERVER_DEPLOYMENT_FAIL);
}

static void post_pause(struct httpd_req *req, void *arg)
{
    post_update(req, arg, SERVER_DEPLOYMENT_PAUSE);
}

static void post_alloc_health(struct httpd_req *req, void *arg)
{
    post_update(req, arg, SERVER_DEPLOYMENT_ALLOC_HEALTH);
}

/* ------------------------------------------------------ job stability */

/* Nomad's JobStabilityResponse. */
static void stable_done(void *arg,
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
        httpd_respond_err(w->req, err);
        free(w);
        return;
    }
    snprintf(idx, sizeof(idx), "%" PRIu64, res->index);
    httpd_set_header(w->req, "X-Nomad-Index", idx);
    body = json_pack("{s:I,s:I,s:i,s:b}", "JobModifyIndex",
                     (json_int_t)res->job_modify_index, "Index",
                     (json_int_t)res->index, "LastContact", 0, "KnownLeader",
                     true);
    httpd_respond_json(w->req, 200, body);
    json_decref(body);
    free(w);
}

static void post_job_stable(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    struct deployment_req body;
    const char *id = httpd_req_param(req, "id");
    struct write_ctx *w;
    size_t len;
    const char *text = httpd_req_body(req, &len);

    deployment_req_init(&body);
    if (deployment_req_decode_json(text, len, &body, &err) != 0) {
        httpd_respond_err(req, &err);
        return;
    }
    if (body.job_id != NULL && body.job_id[0] != '\0' &&
        strcmp(body.job_id, id) != 0) {
        deployment_req_release(&body);
        httpd_respond_error(req, 400, "Job ID does not match");
        return;
    }
    if (body.job_version < 0) {
        deployment_req_release(&body);
        httpd_respond_error(req, 400, "JobVersion must be given");
        return;
    }
    w = xcalloc(1, sizeof(*w));
    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_job_stability(api->srv, httpd_req_namespace(req), id,
                         body.job_version, body.stable, stable_done, w);
    deployment_req_release(&body);
}

/* ------------------------------------------------------ allocations */

struct allocs_ctx
{
    const char *id;
    json_t *out;
};

static int dep_alloc_cb(const struct alloc *a, void *arg)
{
    struct allocs_ctx *c = arg;

    if (a->deployment_id != NULL && strcmp(a->deployment_id, c->id) == 0)
        json_array_append_new(c->out, api_alloc_stub(a));
    return 0;
}

static json_t *build_deployment_allocs(struct http_api *api,
                                       struct httpd_req *req,
                                       struct state_snap *snap,
                                       struct err *err)
{
    struct deployment *d = deployment_new();
    struct allocs_ctx c = {httpd_req_param(req, "id"), NULL};

    (void)api;
    if (server_read_deployment(snap, c.id, d, err) != 0) {
        if (err->code == ERR_NOT_FOUND)
            err_set(err, ERR_NOT_FOUND, "deployment not found");
        deployment_free(d);
        return NULL;
    }
    c.out = json_array();
    if (server_each_alloc_by_job(snap, d->namespace, d->job_id, dep_alloc_cb,
                                 &c, err) != 0) {
        json_decref(c.out);
        c.out = NULL;
    }
    deployment_free(d);
    return c.out;
}

static void get_deployment_allocs(struct httpd_req *req, void *arg)
{
    api_serve_read(arg, req, build_deployment_allocs,
                   SERVER_ALLOCS | SERVER_DEPLOYMENTS);
}

int endpoints_deployment_add(struct http_api *api, struct err *err)
{
    static const struct
    {
        const char *spec;
        httpd_handler_cb fn;
    } routes[] = {
        {"PUT|POST /v1/deployment/promote/:id", post_promote},
        {"PUT|POST /v1/deployment/fail/:id", post_fail},
        {"PUT|POST /v1/deployment/pause/:id", post_pause},
        {"PUT|POST /v1/deployment/allocation-health/:id", post_alloc_health},
        {"GET /v1/deployment/allocations/:id", get_deployment_allocs},
        {"PUT|POST /v1/job/:id/stable", post_job_stable},
    };

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int rc = api_routes_add(api, routes[i].spec, routes[i].fn, err);

        if (rc != 0)
            return rc;
    }
    return 0;
}
