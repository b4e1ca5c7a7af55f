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
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/types.h"

/* ------------------------------------------------------------- bodies */

/*
 * Parses a request body into a JSON object. Nomad's Go decoder answers
 * "EOF" for an empty body and names the Go field for a wrong type; the
 * messages here follow it.
 */
static json_t *body_object(struct httpd_req *req, struct err *err)
{
    size_t len;
    const char *body = httpd_req_body(req, &len);
    json_error_t je;
    json_t *j;

    if (len == 0) {
        err_set(err, ERR_INVALID, "EOF");
        return NULL;
    }
    j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        err_set(err, ERR_INVALID, "invalid JSON at line %d column %d: %s",
                je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        err_set(err, ERR_INVALID,
                "json: cannot unmarshal %s into Go value of type object",
                json_is_array(j) ? "array" : "value");
        return NULL;
    }
    return j;
}

/* The JSON kind as Go's decoder names it in type errors. */
static const char *json_kind(const json_t *v)
{
    if (json_is_string(v))
        return "string";
    if (json_is_number(v))
        return "number";
    if (json_is_boolean(v))
        return "bool";
    if (json_is_array(v))
        return "array";
    return "object";
}

static int type_error(struct err *err,
                      const json_t *v,
                      const char *strct,
                      const char *field,
                      const char *type)
{
    return err_set(err, ERR_INVALID,
                   "json: cannot unmarshal %s into Go struct field "
                   "%s.%s of type %s",
                   json_kind(v), strct, field, type);
}

/* A string member: absent or null leaves *out NULL. */
static int get_str(const json_t *o,
                   const char *strct,
                   const char *key,
                   const char **out,
                   struct err *err)
{
    const json_t *v = json_object_get(o, key);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return type_error(err, v, strct, key, "string");
    *out = json_string_value(v);
    return 0;
}

static int get_bool(const json_t *o,
                    const char *strct,
                    const char *key,
                    bool *out,
                    struct err *err)
{
    const json_t *v = json_object_get(o, key);

    *out = false;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(err, v, strct, key, "bool");
    *out = json_is_true(v);
    return 0;
}

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
    const char *node_id, *elig;
    json_t *j = body_object(req, &err);

    if (j == NULL ||
        get_str(j, "NodeUpdateEligibilityRequest", "NodeID", &node_id, &err) !=
            0 ||
        get_str(j, "NodeUpdateEligibilityRequest", "Eligibility", &elig,
                &err) != 0) {
        httpd_respond_error(req, 400, "%s", err.msg);
        json_decref(j);
        return;
    }
    if (node_id == NULL || node_id[0] == '\0')
        node_id = httpd_req_param(req, "id");
    server_node_eligibility(api->srv, node_id, elig ? elig : "", node_updated,
                            node_write_new(req));
    json_decref(j);
}

static int drain_spec(const json_t *spec,
                      struct server_drain_request *d,
                      struct err *err)
{
    const json_t *deadline = json_object_get(spec, "Deadline");

    if (!json_is_object(spec))
        return type_error(err, spec, "NodeUpdateDrainRequest", "DrainSpec",
                          "api.DrainSpec");
    d->enable = true;
    if (deadline != NULL && !json_is_null(deadline)) {
        if (!json_is_integer(deadline))
            return type_error(err, deadline, "DrainSpec", "Deadline",
                              "time.Duration");
        d->deadline_ns = (int64_t)json_integer_value(deadline);
    }
    return get_bool(spec, "DrainSpec", "IgnoreSystemJobs",
                    &d->ignore_system_jobs, err);
}

static int drain_meta(const json_t *meta, struct strmap *out, struct err *err)
{
    const char *k;
    json_t *v;

    if (meta == NULL || json_is_null(meta))
        return 0;
    if (!json_is_object(meta))
        return type_error(err, meta, "NodeUpdateDrainRequest", "Meta",
                          "map[string]string");
    json_object_foreach((json_t *)meta, k, v)
    {
        if (!json_is_string(v))
            return type_error(err, v, "NodeUpdateDrainRequest", "Meta",
                              "string");
        strmap_set(out, k, json_string_value(v));
    }
    return 0;
}

static void put_drain(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    struct server_drain_request d;
    struct node_write *w;
    const json_t *spec;
    json_t *j = body_object(req, &err);
    struct strmap meta;

    memset(&d, 0, sizeof(d));
    strmap_init(&meta);
    if (j == NULL)
        goto bad;
    spec = json_object_get(j, "DrainSpec");
    if ((spec != NULL && !json_is_null(spec) && drain_spec(spec, &d, &err)) ||
        get_bool(j, "NodeUpdateDrainRequest", "MarkEligible", &d.mark_eligible,
                 &err) != 0 ||
        drain_meta(json_object_get(j, "Meta"), &meta, &err) != 0)
        goto bad;
    w = node_write_new(req);
    strmap_copy(&w->meta, &meta);
    d.node_id = httpd_req_param(req, "id");
    d.meta = &w->meta;
    server_node_drain(api->srv, &d, node_updated, w);
    strmap_release(&meta);
    json_decref(j);
    return;
bad:
    httpd_respond_error(req, 400, "%s", err.msg);
    strmap_release(&meta);
    json_decref(j);
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
