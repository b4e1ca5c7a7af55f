/*
 * The restart policy of a task (Nomad's restart tracker), as a pure
 * decision: given the policy, what happened and the time, restart after a
 * delay, give up, or finish. The task runner does the waiting.
 */
#ifndef CARAVAN_AGENT_CLIENT_RESTART_H
#define CARAVAN_AGENT_CLIENT_RESTART_H

#include <stdbool.h>
#include <stdint.h>

struct restart_policy;

enum restart_action {
    RESTART_NOW,      /* restart after delay_ms */
    RESTART_FAIL,     /* give up: the task failed */
    RESTART_COMPLETE, /* the task is done (batch success) */
};

struct restart_tracker
{
    int64_t count;           /* restarts in the current interval */
    int64_t window_start_ms; /* when the interval began */
};

struct restart_decision
{
    enum restart_action action;
    uint64_t delay_ms;
    char reason[160]; /* for the task event */
};

/*
 * Decides after a task exit (or a start failure: exit_code < 0).
 * batch says the job is batch/sysbatch, where success ends the task. The
 * jitter in [0, 1) draws the random part of the delay (up to 25 %).
 */
void restart_decide(const struct restart_policy *p,
                    bool batch,
                    int exit_code,
                    bool start_failed_fatal,
                    int64_t now_ms,
                    double jitter,
                    struct restart_tracker *t,
                    struct restart_decision *out);

#endif
