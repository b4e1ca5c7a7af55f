/*
 * The bodies of the deployment write requests (Nomad's
 * DeploymentPromoteRequest, DeploymentPauseRequest and
 * DeploymentFailRequest, DeploymentAllocHealthRequest share their fields,
 * and JobStabilityRequest, the stable mark deployments set):
 * decoded from the HTTP API's JSON, every field optional, types and sizes
 * checked.
 */
#ifndef CARAVAN_LIB_MODEL_DEPLOYMENT_REQ_H
#define CARAVAN_LIB_MODEL_DEPLOYMENT_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/model/types.h"

struct err;

/* A promotion names at most this many groups. */
#define DEPLOYMENT_REQ_GROUPS_MAX 256
/* A health update names at most this many allocs (each list). */
#define DEPLOYMENT_REQ_ALLOCS_MAX 4096

struct deployment_req
{
    char *deployment_id; /* NULL when absent */
    bool all;
    struct strlist groups;
    bool pause;
    struct strlist healthy;   /* HealthyAllocationIDs */
    struct strlist unhealthy; /* UnhealthyAllocationIDs */
    /* Nomad's JobStabilityRequest, for /v1/job/:id/stable. */
    char *job_id;
    int64_t job_version; /* -1 when absent */
    bool stable;
};

void deployment_req_init(struct deployment_req *r);
void deployment_req_release(struct deployment_req *r);

/*
 * Decodes text (len bytes; empty means {}) into an _init()ed r. Fails
 * with ERR_INVALID and a message naming the field when the body is not a
 * JSON object, a field has the wrong type, or a list is too long; r is
 * then released.
 */
int deployment_req_decode_json(const char *text,
                               size_t len,
                               struct deployment_req *r,
                               struct err *err);

#endif
