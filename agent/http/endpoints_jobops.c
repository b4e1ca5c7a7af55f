/*
 * Job and alloc operations of the HTTP API: POST /v1/job/:id/plan and
 * /revert, POST /v1/allocation/:id/stop, and the client's
 * /v1/client/allocation/:id/restart and /signal.
 */
#include "agent/http/endpoints_jobops.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/client/client.h"
#include "agent/http/api_int.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"

/* The request body as a JSON object, or a 400 already sent. */
static json_t *body_object(struct httpd_req *req)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    json_error_t jerr;
    json_t *in;

    if (len == 0) {
        httpd_respond_error(req, 400, "Request body is empty");
        return NULL;
    }
    in = json_loadb(body, len, 0, &jerr);
    if (in == NULL) {
        httpd_respond_error(req, 400, "%d:%d: %s", jerr.line, jerr.column,
                            jerr.text);
        return NULL;
    }
    if (!json_is_object(in)) {
        httpd_respond_error(req, 400, "Request body must be a JSON object");
        json_decref(in);
        return NULL;
    }
    return in;
}

/* ------------------------------------------------------------- plan */

static void plan_done(void *arg, int rc, json_t *resp, const struct err *err)
{
    struct write_ctx *w = arg;

    if (w->gone) {
        free(w);
        return;
    }
    httpd_req_on_abort(w->req, NULL, NULL);
    if (rc != 0)
        httpd_respond_error(w->req, 500, "%s", err->msg);
    else
        httpd_respond_json(w->req, 200, resp);
    free(w);
}

static void put_job_plan(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    const char *ns = httpd_query_get(req, "namespace");
    json_t *in = body_object(req), *jj, *diff;
    struct job *job;
    struct write_ctx *w;

    if (in == NULL)
        return;
    jj = json_object_get(in, "Job");
    if (!json_is_object(jj)) {
        json_decref(in);
        httpd_respond_error(req, 400, "Job must be specified");
        return;
    }
    job = job_new();
    if (job_from_json(jj, job, &err) != 0) {
        json_decref(in);
        job_free(job);
        httpd_respond_error(req, 400, "%s", err.msg);
        return;
    }
    if (job->id == NULL || strcmp(job->id, httpd_req_param(req, "id")) != 0) {
        json_decref(in);
        job_free(job);
        httpd_respond_error(req, 400, "Job ID does not match");
        return;
    }
    if (ns != NULL)
        model_set_str(&job->namespace, ns);
    diff = json_object_get(in, "Diff");
    w = xcalloc(1, sizeof(*w));
    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_job_plan(api->srv, job, json_is_true(diff), plan_done, w);
    json_decref(in);
}

/* ------------------------------------------------------------ revert */

static void put_job_revert(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    json_t *in = body_object(req), *v, *prior;
    const char *id;
    struct write_ctx *w;

    if (in == NULL)
        return;
    id = json_string_value(json_object_get(in, "JobID"));
    if (id == NULL || strcmp(id, httpd_req_param(req, "id")) != 0) {
        json_decref(in);
        httpd_respond_error(req, 400, "Job ID does not match");
        return;
    }
    v = json_object_get(in, "JobVersion");
    prior = json_object_get(in, "EnforcePriorVersion");
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (prior != NULL && !json_is_null(prior) &&
         (!json_is_integer(prior) || json_integer_value(prior) < 0))) {
        json_decref(in);
        httpd_respond_error(req, 400,
                            "JobVersion and EnforcePriorVersion must be "
                            "unsigned integers");
        return;
    }
    w = xcalloc(1, sizeof(*w));
    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_job_revert(api->srv, httpd_req_namespace(req), id,
                      json_integer_value(v),
                      json_is_integer(prior) ? json_integer_value(prior) : -1,
                      api_register_done, w);
    json_decref(in);
}

/* -------------------------------------------------------- alloc stop */

static void alloc_stopped(void *arg,
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
        httpd_respond_error(w->req, err->code == ERR_NOT_FOUND ? 404 : 500,
                            "%s", err->msg);
        free(w);
        return;
    }
    snprintf(idx, sizeof(idx), "%" PRIu64, res->index);
    httpd_set_header(w->req, "X-Nomad-Index", idx);
    body = json_pack("{s:s,s:I}", "EvalID", res->eval_id, "Index",
                     (json_int_t)res->index);
    httpd_respond_json(w->req, 200, body);
    json_decref(body);
    free(w);
}

static void put_alloc_stop(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct write_ctx *w = xcalloc(1, sizeof(*w));

    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_alloc_stop(api->srv, httpd_req_param(req, "id"), alloc_stopped, w);
}

/* ------------------------------------------- client: restart, signal */

static void respond_client(struct httpd_req *req, int rc, const struct err *e)
{
    json_t *ok;

    if (rc != 0) {
        httpd_respond_error(req, rc == ERR_NOT_FOUND ? 404 : 500, "%s", e->msg);
        return;
    }
    ok = json_object();
    httpd_respond_json(req, 200, ok);
    json_decref(ok);
}

/* An empty body is allowed: it means the defaults. */
static json_t *optional_body(struct httpd_req *req)
{
    size_t len;

    httpd_req_body(req, &len);
    return len == 0 ? json_object() : body_object(req);
}

static void put_alloc_restart(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    const char *id = httpd_req_param(req, "id");
    json_t *in = optional_body(req);
    int rc;

    if (in == NULL)
        return;
    if (api->client == NULL)
        rc = err_set(&err, ERR_NOT_FOUND, "Unknown allocation \"%s\"", id);
    else
        rc = client_alloc_restart(
            api->client, id, json_string_value(json_object_get(in, "TaskName")),
            json_is_true(json_object_get(in, "AllTasks")), &err);
    respond_client(req, rc, &err);
    json_decref(in);
}

static void put_alloc_signal(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    const char *id = httpd_req_param(req, "id");
    json_t *in = optional_body(req);
    const char *sig;
    int rc;

    if (in == NULL)
        return;
    sig = json_string_value(json_object_get(in, "Signal"));
    if (api->client == NULL)
        rc = err_set(&err, ERR_NOT_FOUND, "Unknown allocation \"%s\"", id);
    else
        rc = client_alloc_signal(
            api->client, id, json_string_value(json_object_get(in, "Task")),
            sig != NULL && sig[0] != '\0' ? sig : "SIGKILL", &err);
    respond_client(req, rc, &err);
    json_decref(in);
}

int http_api_jobops_routes(struct http_api *api, struct err *err)
{
    static const struct
    {
        const char *spec;
        httpd_handler_cb fn;
    } routes[] = {
        {"PUT|POST /v1/job/:id/plan", put_job_plan},
        {"PUT|POST /v1/job/:id/revert", put_job_revert},
        {"PUT|POST /v1/allocation/:id/stop", put_alloc_stop},
        {"PUT|POST /v1/client/allocation/:id/restart", put_alloc_restart},
        {"PUT|POST /v1/client/allocation/:id/signal", put_alloc_signal},
    };

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int rc = api_routes_add(api, routes[i].spec, routes[i].fn, err);

        if (rc != 0)
            return rc;
    }
    return 0;
}
