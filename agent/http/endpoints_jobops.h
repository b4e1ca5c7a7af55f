/*
 * Job and alloc operation routes (plan, revert, alloc stop, restart,
 * signal), registered by http_api_start().
 */
#ifndef CARAVAN_AGENT_HTTP_ENDPOINTS_JOBOPS_H
#define CARAVAN_AGENT_HTTP_ENDPOINTS_JOBOPS_H

struct err;
struct http_api;

int http_api_jobops_routes(struct http_api *api, struct err *err);

#endif
