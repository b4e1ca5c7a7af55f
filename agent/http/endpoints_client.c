/*
 * Client endpoints about the allocs this agent runs:
 * GET /v1/client/allocation/:alloc/stats (Nomad's AllocResourceUsage) and
 * /checks (the results of its provider = "nomad" service checks).
 */
#include <jansson.h>

#include "agent/client/client.h"
#include "agent/http/api_int.h"
#include "lib/err.h"
#include "lib/id.h"

static void get_alloc_stats(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    const char *id = httpd_req_param(req, "alloc");
    struct err err = ERR_INIT;
    json_t *stats = NULL;

    if (!id_is_uuid(id)) {
        httpd_respond_error(req, 400,
                            "invalid allocation ID \"%s\": must be a UUID", id);
        return;
    }
    if (api->client == NULL ||
        client_alloc_stats(api->client, id, &stats, &err) != 0) {
        /* Agents without a client role do not forward to the node that
         * runs the alloc (yet): for them it is unknown too. */
        httpd_respond_error(req, 404, "Unknown allocation \"%s\"", id);
        return;
    }
    httpd_respond_json(req, 200, stats);
    json_decref(stats);
}

/* Nomad's GET /v1/client/allocation/:alloc/checks. */
static void get_alloc_checks(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    const char *id = httpd_req_param(req, "alloc");
    struct err err = ERR_INIT;
    json_t *checks = NULL;

    if (!id_is_uuid(id)) {
        httpd_respond_error(req, 400,
                            "invalid allocation ID \"%s\": must be a UUID", id);
        return;
    }
    if (api->client == NULL ||
        client_alloc_checks(api->client, id, &checks, &err) != 0) {
        httpd_respond_error(req, 404, "Unknown allocation \"%s\"", id);
        return;
    }
    httpd_respond_json(req, 200, checks);
    json_decref(checks);
}

int api_client_routes_add(struct http_api *api, struct err *err)
{
    int rc = api_routes_add(api, "GET /v1/client/allocation/:alloc/stats",
                            get_alloc_stats, err);

    if (rc == 0)
        rc = api_routes_add(api, "GET /v1/client/allocation/:alloc/checks",
                            get_alloc_checks, err);
    return rc;
}
