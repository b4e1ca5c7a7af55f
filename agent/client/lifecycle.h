/*
 * Task lifecycle ordering inside one allocation (Nomad's task hook
 * coordinator and the alloc runner's kill rules), as a pure decision over
 * the tasks' states:
 *
 *   prestart ──(ephemeral ones completed, sidecars running)──► main
 *   main ──(every main task started)──► poststart
 *   every other task dead ──► poststop
 *
 * and what to kill: everything still alive once a task failed for good
 * ("Sibling Task Failed") or a leader task ended ("Leader Task Dead"), the
 * sidecars once only sidecars are left ("Main Tasks Dead"). Poststop tasks
 * are never killed by these rules: they run after the others.
 */
#ifndef CARAVAN_AGENT_CLIENT_LIFECYCLE_H
#define CARAVAN_AGENT_CLIENT_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

enum lifecycle_hook {
    LIFECYCLE_MAIN,
    LIFECYCLE_PRESTART,
    LIFECYCLE_POSTSTART,
    LIFECYCLE_POSTSTOP,
};

enum lifecycle_run {
    LIFECYCLE_WAITING, /* not started yet */
    LIFECYCLE_STARTED, /* started at least once, not dead (may restart) */
    LIFECYCLE_RUNNING, /* its process runs now */
    LIFECYCLE_DEAD,    /* for good */
};

struct lifecycle_task
{
    enum lifecycle_hook hook;
    bool sidecar;
    bool leader;
    enum lifecycle_run run;
    bool failed; /* dead and failed */
};

enum lifecycle_kill_reason {
    LIFECYCLE_KILL_NONE,
    LIFECYCLE_KILL_SIBLING_FAILED, /* "Sibling Task Failed" */
    LIFECYCLE_KILL_LEADER_DEAD,    /* "Leader Task Dead" */
    LIFECYCLE_KILL_MAIN_DEAD,      /* "Main Tasks Dead" */
};

struct lifecycle_decision
{
    enum lifecycle_kill_reason kill_reason;
    size_t cause; /* the failed or leader task, for the messages */
};

/* Maps a jobspec hook name (NULL: a main task); false when unknown. */
bool lifecycle_hook_parse(const char *name, enum lifecycle_hook *out);

/*
 * Decides, for n tasks, which waiting tasks to start (start[i]) and which
 * live ones to kill (kill[i]), and why (out). Arrays have n entries.
 */
void lifecycle_decide(const struct lifecycle_task *tasks,
                      size_t n,
                      bool *start,
                      bool *kill,
                      struct lifecycle_decision *out);

/*
 * Whether a task that exited 0 is done rather than restarted: batch jobs,
 * ephemeral prestart/poststart tasks and poststop tasks (Nomad's restart
 * tracker).
 */
bool lifecycle_success_is_final(enum lifecycle_hook hook,
                                bool sidecar,
                                bool batch_job);

#endif
