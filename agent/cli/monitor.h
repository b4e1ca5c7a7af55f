/*
 * The evaluation monitor of `job run`, `job stop` and friends: follows an
 * eval and the allocations it creates through the HTTP API and prints
 * what happens, line by line, as Nomad's monitor does (reference/cli.md
 * "Evaluation monitor").
 */
#ifndef CARAVAN_AGENT_CLI_MONITOR_H
#define CARAVAN_AGENT_CLI_MONITOR_H

#include <stdbool.h>

struct api_client;

/*
 * Monitors eval_id until it is terminal (following NextEval). Returns the
 * exit status: 0 when everything was placed, 2 when placements failed,
 * 1 on errors talking to the agent.
 */
int monitor_eval(struct api_client *c, const char *eval_id, bool verbose);

/*
 * Follows a deployment until it ends, printing each change (reference
 * cli.md "Deployment monitor"); a failed deployment with auto_revert is
 * followed by its rollback. Returns 0 when it succeeded, else 1 (also
 * when a rollback succeeded: the rollout itself failed).
 */
int monitor_deployment(struct api_client *c,
                       const char *deployment_id,
                       bool verbose);

#endif
