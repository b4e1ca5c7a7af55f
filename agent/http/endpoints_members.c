/*
 * The gossip mesh over HTTP, as Nomad's agent endpoints:
 *
 *     GET      /v1/agent/members                  {"ServerName",...,"Members":[...]}
 *     PUT|POST /v1/agent/join?address=a[&address=b]  {"num_joined":N,"error":""}
 *     PUT|POST /v1/agent/force-leave?node=NAME    200, empty
 *
 * Every agent is a member here (Nomad's clients are not), so every agent
 * answers them.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/api_int.h"
#include "lib/alloc.h"
#include "lib/err.h"

#define MAX_JOIN_ADDRS 64

static void get_members(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    json_t *out = json_pack("{s:s,s:s,s:s,s:o}", "ServerName", api->node_name,
                            "ServerRegion", api->region, "ServerDC",
                            api->datacenter, "Members",
                            api->mesh->members(api->mesh_ctx));

    httpd_respond_json(req, 200, out);
    json_decref(out);
}

struct join_ctx
{
    struct httpd_req *req;
    bool gone;
};

static void join_aborted(struct httpd_req *req, void *arg)
{
    (void)req;
    ((struct join_ctx *)arg)->gone = true;
}

static void joined(void *arg, int n, const char *error)
{
    struct join_ctx *j = arg;

    if (!j->gone) {
        json_t *out = json_pack("{s:i,s:s}", "num_joined", n, "error",
                                error ? error : "");

        httpd_req_on_abort(j->req, NULL, NULL);
        httpd_respond_json(j->req, 200, out);
        json_decref(out);
    }
    free(j);
}

static void put_join(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    const char *addrs[MAX_JOIN_ADDRS];
    size_t n = 0;
    struct join_ctx *j;

    for (const char *a; n < MAX_JOIN_ADDRS &&
                        (a = httpd_query_get_nth(req, "address", n)) != NULL;)
        addrs[n++] = a;
    if (n == 0) {
        httpd_respond_error(req, 400, "missing address to join");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *colon = strrchr(addrs[i], ':');

        /* The default port is the mesh's, as Nomad's Serf port. */
        if (colon == NULL || strchr(colon, ']') != NULL) {
            httpd_respond_error(req, 400,
                                "address \"%s\": want ip:port (the gossip "
                                "port, 4648 by default)",
                                addrs[i]);
            return;
        }
    }
    j = xcalloc(1, sizeof(*j));
    j->req = req;
    httpd_req_on_abort(req, join_aborted, j);
    api->mesh->join(api->mesh_ctx, addrs, n, joined, j);
}

static void put_force_leave(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    const char *node = httpd_query_get(req, "node");
    struct err err = ERR_INIT;

    if (node == NULL || node[0] == '\0') {
        httpd_respond_error(req, 400, "missing node to force leave");
        return;
    }
    if (api->mesh->force_leave(api->mesh_ctx, node, &err) != 0) {
        httpd_respond_err(req, &err);
        return;
    }
    httpd_respond(req, 200, NULL, NULL, 0);
}

int api_members_routes_add(struct http_api *api, struct err *err)
{
    int rc = api_routes_add(api, "GET /v1/agent/members", get_members, err);

    if (rc == 0)
        rc = api_routes_add(api, "PUT|POST /v1/agent/join", put_join, err);
    if (rc == 0)
        rc = api_routes_add(api, "PUT|POST /v1/agent/force-leave",
                            put_force_leave, err);
    return rc;
}
