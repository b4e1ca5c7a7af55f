/* Deployment routes of the HTTP API (endpoints_deployment.c). */
#ifndef CARAVAN_AGENT_HTTP_ENDPOINTS_DEPLOYMENT_H
#define CARAVAN_AGENT_HTTP_ENDPOINTS_DEPLOYMENT_H

struct err;
struct http_api;

/* Registers promote, fail, pause and allocations of deployments. */
int endpoints_deployment_add(struct http_api *api, struct err *err);

#endif
