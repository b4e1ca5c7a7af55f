/*
 * Node operations and garbage collection over HTTP, as Nomad's
 * command/agent/node_endpoint.go and system_endpoint.go:
 *
 *   PUT|POST /v1/node/:id/eligibility  {NodeID, Eligibility}
 *   PUT|POST /v1/node/:id/drain        {DrainSpec{Deadline,
 *                                       IgnoreSystemJobs}, MarkEligible, Meta}
 *   PUT      /v1/system/gc             forced GC, empty answer
 *
 * A body that does not decode answers 400 with the decoder's text, as
 * Nomad's decodeBody does; what the server refuses (unknown node, bad
 * eligibility) answers 500 with its message, as Nomad's RPC errors do.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/api_int.h"
#include "agent/http/node_body.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/types.h"

/* ----------------------------------------------------------- answers */

struct node_write
{
    struct httpd_req *req;
    bool gone;
    struct strmap meta;
};

static void node_write_aborted(struct httpd_req *req, void *arg)
{
    (void)req;
    ((struct node_write *)arg)->gone = true;
}

static struct node_write *node_write_new(struct httpd_req *req)
{
    struct node_write *w = xcalloc(1, sizeof(*w));

    w->req = req;
    strmap_init(&w->meta);
    httpd_req_on_abort(req, node_write_aborted, w);
    return w;
}

static void node_write_free(struct node_write *w)
{
    strmap_release(&w->meta);
    free(w);
}

static void node_updated(void *arg,
                         int rc,
                         const struct server_node_update_result *r,
                         const struct err *err)
{
    struct node_write *w = arg;
    json_t *body, *ids;
    char idx[24];

    if (w->gone) {
        node_write_free(w);
        return;
    }
    httpd_req_on_abort(w->req, NULL, NULL);
    if (rc != 0) {
        httpd_respond_error(w->req, 500, "%s", err->msg);
        node_write_free(w);
        return;
    }
    ids = r->neval_ids > 0 ? json_array() : json_null();
    for (size_t i = 0; i < r->neval_ids; i++)
        json_array_append_new(ids, json_string(r->eval_ids[i]));
    snprintf(idx, sizeof(idx), "%" PRIu64, r->index);
    httpd_set_header(w->req, "X-Nomad-Index", idx);
    body =
        json_pack("{s:I,s:o,s:I,s:I,s:i,s:b}", "NodeModifyIndex",
                  (json_int_t)r->node_modify_index, "EvalIDs", ids,
                  "EvalCreateIndex", (json_int_t)r->eval_create_index, "Index",
                  (json_int_t)r->index, "LastContact", 0, "KnownLeader", true);
    httpd_respond_json(w->req, 200, body);
    json_decref(body);
    node_write_free(w);
}

/* ---------------------------------------------------------- handlers */

static void put_eligibility(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    struct node_eligibility_body b;
    size_t len;
    const char *body = httpd_req_body(req, &len);
    const char *node_id;

    if (node_eligibility_body_parse(body, len, &b, &err) != 0) {
        httpd_respond_error(req, 400, "%s", err.msg);
        return;
    }
    node_id =
        b.node_id && b.node_id[0] ? b.node_id : httpd_req_param(req, "id");
    server_node_eligibility(api->srv, node_id, b.eligibility, node_updated,
                            node_write_new(req));
    node_eligibility_body_release(&b);
}

static void put_drain(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    struct server_drain_request d;
    struct node_drain_body b;
    struct node_write *w;
    size_t len;
    const char *body = httpd_req_body(req, &len);

    if (node_drain_body_parse(body, len, &b, &err) != 0) {
        httpd_respond_error(req, 400, "%s", err.msg);
        return;
    }
    w = node_write_new(req);
    strmap_copy(&w->meta, &b.meta);
    memset(&d, 0, sizeof(d));
    d.node_id = httpd_req_param(req, "id");
    d.enable = b.enable;
    d.deadline_ns = b.deadline_ns;
    d.ignore_system_jobs = b.ignore_system_jobs;
    d.mark_eligible = b.mark_eligible;
    d.meta = &w->meta;
    server_node_drain(api->srv, &d, node_updated, w);
    node_drain_body_release(&b);
}

static void gc_done(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct write_ctx *w = arg;
    char idx[24];

    if (w->gone) {
        free(w);
        return;
    }
    httpd_req_on_abort(w->req, NULL, NULL);
    if (rc != 0) {
        httpd_respond_error(w->req, 500, "%s", err->msg);
    } else {
        snprintf(idx, sizeof(idx), "%" PRIu64, index);
        httpd_set_header(w->req, "X-Nomad-Index", idx);
        httpd_respond(w->req, 200, HTTPD_CONTENT_JSON, "", 0);
    }
    free(w);
}

static void put_gc(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct write_ctx *w = xcalloc(1, sizeof(*w));

    w->req = req;
    httpd_req_on_abort(req, api_write_aborted, w);
    server_gc(api->srv, gc_done, w);
}

int api_node_routes(struct http_api *api, struct err *err)
{
    int rc = api_routes_add(api, "PUT|POST /v1/node/:id/eligibility",
                            put_eligibility, err);

    if (rc == 0)
        rc = api_routes_add(api, "PUT|POST /v1/node/:id/drain", put_drain, err);
    if (rc == 0)
        rc = api_routes_add(api, "PUT /v1/system/gc", put_gc, err);
    return rc;
}
