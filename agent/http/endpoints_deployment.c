/*
 * Deployment writes and the allocations of a deployment:
 * /v1/deployment/{promote,fail,pause,allocations}/:id as Nomad's.
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

/* Nomad bounds nothing here; a deployment has few groups. */
#define GROUPS_MAX 256

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

/* The JSON body, or an empty object when there is none. */
static json_t *body_object(struct httpd_req *req, struct err *err)
{
    size_t len;
    const char *text = httpd_req_body(req, &len);
    json_error_t jerr;
    json_t *j;

    if (len == 0)
        return json_object();
    j = json_loadb(text, len, 0, &jerr);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        err_set(err, ERR_INVALID, "Request body is not a JSON object: %s",
                jerr.text);
        return NULL;
    }
    return j;
}

/* The body's DeploymentID must name the deployment of the path. */
static int check_id(struct httpd_req *req, const json_t *body, struct err *err)
{
    const json_t *id = json_object_get(body, "DeploymentID");

    if (id == NULL || json_is_null(id))
        return 0;
    if (!json_is_string(id))
        return err_set(err, ERR_INVALID, "DeploymentID must be a string");
    if (json_string_value(id)[0] != '\0' &&
        strcmp(json_string_value(id), httpd_req_param(req, "id")) != 0)
        return err_set(err, ERR_INVALID,
                       "Deployment ID does not match (\"%s\" in the body, "
                       "\"%s\" in the path)",
                       json_string_value(id), httpd_req_param(req, "id"));
    return 0;
}

static int get_bool(const json_t *body,
                    const char *key,
                    bool *out,
                    struct err *err)
{
    const json_t *v = json_object_get(body, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return err_set(err, ERR_INVALID, "%s must be a boolean", key);
    *out = json_is_true(v);
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

static void post_promote(struct httpd_req *req, void *arg)
{
    struct err err = ERR_INIT;
    struct server_deployment_req r = {
        SERVER_DEPLOYMENT_PROMOTE, httpd_req_param(req, "id"), NULL, 0, false};
    const char *groups[GROUPS_MAX];
    json_t *body = body_object(req, &err), *g;

    if (body == NULL || check_id(req, body, &err) != 0 ||
        get_bool(body, "All", &r.all, &err) != 0)
        goto fail;
    g = json_object_get(body, "Groups");
    if (g != NULL && !json_is_null(g)) {
        if (!json_is_array(g) || json_array_size(g) > GROUPS_MAX) {
            err_set(&err, ERR_INVALID,
                    "Groups must be an array of at most %d names", GROUPS_MAX);
            goto fail;
        }
        for (size_t i = 0; i < json_array_size(g); i++) {
            if (!json_is_string(json_array_get(g, i))) {
                err_set(&err, ERR_INVALID, "Groups[%zu] must be a string", i);
                goto fail;
            }
            groups[r.ngroups++] = json_string_value(json_array_get(g, i));
        }
    }
    if (!r.all && r.ngroups == 0) {
        err_set(&err, ERR_INVALID, "must set either All or Groups");
        goto fail;
    }
    r.groups = groups;
    send_update(arg, req, &r);
    json_decref(body);
    return;
fail:
    json_decref(body);
    httpd_respond_err(req, &err);
}

static void post_fail(struct httpd_req *req, void *arg)
{
    struct err err = ERR_INIT;
    struct server_deployment_req r = {
        SERVER_DEPLOYMENT_FAIL, httpd_req_param(req, "id"), NULL, 0, false};
    json_t *body = body_object(req, &err);

    if (body == NULL || check_id(req, body, &err) != 0) {
        json_decref(body);
        httpd_respond_err(req, &err);
        return;
    }
    json_decref(body);
    send_update(arg, req, &r);
}

static void post_pause(struct httpd_req *req, void *arg)
{
    struct err err = ERR_INIT;
    struct server_deployment_req r = {
        SERVER_DEPLOYMENT_PAUSE, httpd_req_param(req, "id"), NULL, 0, false};
    json_t *body = body_object(req, &err);
    bool pause = false;

    if (body == NULL || check_id(req, body, &err) != 0 ||
        get_bool(body, "Pause", &pause, &err) != 0) {
        json_decref(body);
        httpd_respond_err(req, &err);
        return;
    }
    json_decref(body);
    r.op = pause ? SERVER_DEPLOYMENT_PAUSE : SERVER_DEPLOYMENT_RESUME;
    send_update(arg, req, &r);
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
        {"GET /v1/deployment/allocations/:id", get_deployment_allocs},
    };

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int rc = api_routes_add(api, routes[i].spec, routes[i].fn, err);

        if (rc != 0)
            return rc;
    }
    return 0;
}
