/*
 * Children of periodic and parameterized jobs: POST
 * /v1/job/:id/periodic/force, /v1/job/:id/dispatch and its /payload form.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/api_int.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/types.h"

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
        /* As Nomad: refusals from the server side are 500s. */
        httpd_respond_error(w->req, 500, "%s", err->msg);
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

static void dispatched(void *arg,
                       int rc,
                       const struct server_dispatch_result *res,
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
        /* Nomad answers every dispatch refusal with a 500 and the text. */
        httpd_respond_error(w->req, 500, "%s", err->msg);
        free(w);
        return;
    }
    snprintf(idx, sizeof(idx), "%" PRIu64, res->index);
    httpd_set_header(w->req, "X-Nomad-Index", idx);
    body = json_pack("{s:s,s:s,s:I,s:I,s:I}", "DispatchedJobID",
                     res->dispatched_job_id, "EvalID", res->eval_id,
                     "EvalCreateIndex", (json_int_t)res->eval_create_index,
                     "JobCreateIndex", (json_int_t)res->job_create_index,
                     "Index", (json_int_t)res->index);
    httpd_respond_json(w->req, 200, body);
    json_decref(body);
    free(w);
}

static void dispatch(struct httpd_req *req, void *arg, bool raw_payload)
{
    struct http_api *api = arg;
    struct server_dispatch_req r;
    struct strmap meta;
    struct write_ctx *w;
    json_error_t jerr;
    json_t *o = NULL, *m, *v;
    unsigned char *payload = NULL;
    const char *key, *body, *b64;
    size_t len, plen = 0;

    memset(&r, 0, sizeof(r));
    strmap_init(&meta);
    body = httpd_req_body(req, &len);
    if (raw_payload) {
        payload = xmalloc(len + 1);
        memcpy(payload, body, len);
        plen = len;
    } else if (len > 0) {
        o = json_loadb(body, len, 0, &jerr);
        if (!json_is_object(o)) {
            httpd_respond_error(req, 400, "Failed to parse the request: "
                                          "line %d column %d: %s",
                                jerr.line, jerr.column,
                                o ? "not an object" : jerr.text);
            goto out;
        }
        v = json_object_get(o, "JobID");
        if (json_is_string(v) &&
            strcmp(json_string_value(v), httpd_req_param(req, "id")) != 0) {
            httpd_respond_error(req, 400, "Job ID does not match");
            goto out;
        }
        m = json_object_get(o, "Meta");
        if (m != NULL && !json_is_object(m) && !json_is_null(m)) {
            httpd_respond_error(req, 400, "Meta must be an object of strings");
            goto out;
        }
        json_object_foreach(m, key, v)
        {
            if (!json_is_string(v)) {
                httpd_respond_error(req, 400, "Meta[%s] must be a string",
                                    key);
                goto out;
            }
            strmap_set(&meta, key, json_string_value(v));
        }
        b64 = json_string_value(json_object_get(o, "Payload"));
        if (b64 != NULL && b64[0] != '\0') {
            size_t blen = strlen(b64);

            payload = xmalloc(blen);
            if (sodium_base642bin(payload, blen, b64, blen, NULL, &plen, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0) {
                httpd_respond_error(req, 400, "Payload is not valid base64");
                goto out;
            }
        }
        r.id_prefix_template =
            json_string_value(json_object_get(o, "IdPrefixTemplate"));
        r.priority = json_integer_value(json_object_get(o, "Priority"));
    }
    r.namespace = httpd_req_namespace(req);
    r.job_id = httpd_req_param(req, "id");
    r.meta = &meta;
    r.payload = payload;
    r.payload_len = plen;
    r.idempotency_token = httpd_query_get(req, "idempotency_token");
    w = xcalloc(1, sizeof(*w));
    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    /* The server copies what it keeps: the request's memory ends here. */
    server_job_dispatch(api->srv, &r, dispatched, w);
out:
    json_decref(o);
    free(payload);
    strmap_release(&meta);
}

static void post_dispatch(struct httpd_req *req, void *arg)
{
    dispatch(req, arg, false);
}

static void post_dispatch_payload(struct httpd_req *req, void *arg)
{
    dispatch(req, arg, true);
}

int api_routes_periodic(struct http_api *api, struct err *err)
{
    int rc = api_routes_add(api, "PUT|POST /v1/job/:id/periodic/force",
                            post_periodic_force, err);

    if (rc == 0)
        rc = api_routes_add(api, "PUT|POST /v1/job/:id/dispatch",
                            post_dispatch, err);
    if (rc == 0)
        rc = api_routes_add(api, "PUT|POST /v1/job/:id/dispatch/payload",
                            post_dispatch_payload, err);
    return rc;
}
