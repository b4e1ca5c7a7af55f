/* Periodic jobs: POST /v1/job/:id/periodic/force. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/http/api_int.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"

static void forced(void *arg,
                   int rc,
                   const char *eval_id,
                   uint64_t index,
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
        httpd_respond_error(w->req, rc == ERR_NOT_FOUND ? 404 : 500, "%s",
                            err->msg);
        free(w);
        return;
    }
    snprintf(idx, sizeof(idx), "%" PRIu64, index);
    httpd_set_header(w->req, "X-Nomad-Index", idx);
    body = json_pack("{s:s,s:I,s:I}", "EvalID", eval_id, "EvalCreateIndex",
                     (json_int_t)index, "Index", (json_int_t)index);
    httpd_respond_json(w->req, 200, body);
    json_decref(body);
    free(w);
}

static void post_periodic_force(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct write_ctx *w = xcalloc(1, sizeof(*w));

    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_periodic_force(api->srv, httpd_req_namespace(req),
                          httpd_req_param(req, "id"), forced, w);
}

int api_routes_periodic(struct http_api *api, struct err *err)
{
    return api_routes_add(api, "PUT|POST /v1/job/:id/periodic/force",
                          post_periodic_force, err);
}
