/*
 * Nomad's HTTP API on top of httpd: the routes of reference/http-api.md
 * that the server role answers (jobs, evaluations, allocations, nodes,
 * deployments, status, agent), with blocking queries.
 */
#ifndef CARAVAN_AGENT_HTTP_API_H
#define CARAVAN_AGENT_HTTP_API_H

#include <stdint.h>
#include <uv.h>

struct client;
struct err;
struct http_api;
struct server;

struct http_api_config
{
    const char *host; /* "127.0.0.1" */
    uint16_t port;    /* 4646; 0 picks one */
    const char *node_name;
    const char *version;
    struct client *client; /* answers /v1/client/...; NULL without one */
    const char *region;    /* for a client-only agent's /v1/agent/self */
    const char *datacenter;
};

/*
 * srv may be NULL (a client-only agent): then only the agent's own routes
 * are served (agent health and self, client logs).
 */
int http_api_start(uv_loop_t *loop,
                   struct server *srv,
                   const struct http_api_config *cfg,
                   struct http_api **out,
                   struct err *err);
uint16_t http_api_port(const struct http_api *api);
void http_api_close(struct http_api *api, void (*cb)(void *arg), void *arg);

#endif
