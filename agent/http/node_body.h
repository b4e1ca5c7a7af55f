/*
 * The bodies of POST /v1/node/:id/eligibility and /drain, decoded as
 * Nomad's Go decoder does them: an empty body is "EOF", a member of the
 * wrong type names the Go struct field. Pure: no server, no request.
 */
#ifndef CARAVAN_AGENT_HTTP_NODE_BODY_H
#define CARAVAN_AGENT_HTTP_NODE_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/model/types.h"

struct err;

/* {NodeID, Eligibility}: NodeID NULL when absent, Eligibility "" then. */
struct node_eligibility_body
{
    char *node_id;
    char *eligibility;
};

/* {DrainSpec{Deadline, IgnoreSystemJobs}, MarkEligible, Meta}. */
struct node_drain_body
{
    bool enable; /* a DrainSpec was given */
    int64_t deadline_ns;
    bool ignore_system_jobs;
    bool mark_eligible;
    struct strmap meta;
};

/* Fill out (released by the caller on success); ERR_INVALID with text. */
int node_eligibility_body_parse(const char *body,
                                size_t len,
                                struct node_eligibility_body *out,
                                struct err *err);
void node_eligibility_body_release(struct node_eligibility_body *b);
int node_drain_body_parse(const char *body,
                          size_t len,
                          struct node_drain_body *out,
                          struct err *err);
void node_drain_body_release(struct node_drain_body *b);

#endif
