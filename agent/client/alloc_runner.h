/*
 * Runs one allocation on the client: its directory, its tasks through the
 * drivers with their restart policy, and the client-side status the
 * servers see (ClientStatus, TaskStates with Nomad's task events).
 */
#ifndef CARAVAN_AGENT_CLIENT_ALLOC_RUNNER_H
#define CARAVAN_AGENT_CLIENT_ALLOC_RUNNER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct alloc;
struct err;
struct driver;
struct driver_task_usage;
struct node;
struct alloc_runner;
struct catalog;
struct watch_hub;

struct alloc_runner_env
{
    uv_loop_t *loop;
    const char *alloc_root; /* <data_dir>/alloc */
    const struct node *node;
    /* The client's driver instance called name, or NULL. */
    struct driver *(*driver)(void *arg, const char *name);
    /* The runner's client-visible state changed; report it. */
    void (*changed)(void *arg, struct alloc_runner *ar);
    void *arg;
    /* Answers templates' nomadService lookups; NULL: none. */
    const struct catalog *catalog;
    /* Wakes templates when an answer they read moves; NULL: never. */
    struct watch_hub *watch;
    /* Deployment health = "checks": are the alloc's service checks all
     * healthy now? NULL: checks are not considered. */
    bool (*checks_healthy)(void *arg, const struct alloc *a);
};

struct alloc_runner *alloc_runner_new(const struct alloc_runner_env *env,
                                      const struct alloc *a);
/* Starts the tasks. */
void alloc_runner_run(struct alloc_runner *ar);
/*
 * A runner for an alloc an earlier agent ran: a (with its task states, as
 * it was saved) and handles (task name -> saved driver state). Running
 * tasks are reattached, not started again; one that ended meanwhile goes
 * through its restart policy; dead tasks stay dead.
 */
struct alloc_runner *alloc_runner_recover(const struct alloc_runner_env *env,
                                          const struct alloc *a,
                                          const json_t *handles);
/* task name -> driver state of every task with a live handle (new ref). */
json_t *alloc_runner_handles(const struct alloc_runner *ar);
/* The server's newer view: a desired stop kills the tasks. */
void alloc_runner_update(struct alloc_runner *ar, const struct alloc *a);
/* The alloc with the client's fields; borrowed until the next change. */
const struct alloc *alloc_runner_alloc(const struct alloc_runner *ar);
/* The previous usage sample of a task, for rates (cpu percent). */
struct alloc_runner_sample
{
    bool valid;
    uint64_t user_ns, system_ns;
    uint64_t mono_ms;
};

/* Task i is being killed (a restart or a stop under way). */
bool alloc_runner_task_leaving(const struct alloc_runner *ar, size_t i);
/* How many tasks the runner has (the group's, in order). */
size_t alloc_runner_ntasks(const struct alloc_runner *ar);
/*
 * Measures task i now. *name receives its name (borrowed from the runner)
 * and *prev its previous sample, which the caller updates. Returns false
 * (out->measured false) when the task has no running process.
 */
bool alloc_runner_task_usage(struct alloc_runner *ar,
                             size_t i,
                             const char **name,
                             struct driver_task_usage *out,
                             struct alloc_runner_sample **prev);

/* Every task is dead. */
bool alloc_runner_done(const struct alloc_runner *ar);
/* Kills the tasks (or, with leave_running, only lets go of them) and frees
 * the runner; cb runs after. */
void alloc_runner_close(struct alloc_runner *ar,
                        bool leave_running,
                        void (*cb)(void *arg),
                        void *arg);

/*
 * Restarts the alloc's running tasks in place (Nomad's RestartRunning),
 * with all also the finished ones (RestartAll), or only task when it is
 * not NULL/"" (RestartTask): each gets a "Restart
 * Signaled" event, is stopped and started again without counting against
 * its restart policy. ERR_NOT_FOUND for an unknown task, ERR_INVALID
 * ("Task not running") for a task that is not running.
 */
int alloc_runner_restart(struct alloc_runner *ar,
                         const char *task,
                         bool all,
                         struct err *err);
/*
 * A check_restart block asks for task (NULL: every running task, for a
 * group service) to restart: a "Restart Signaled" event with reason, then
 * the task is stopped and goes through its restart policy as a failure
 * (it counts against attempts and may fail the task, as Nomad's check
 * watcher restarts do). ERR_INVALID when no such task is running.
 */
int alloc_runner_check_restart(struct alloc_runner *ar,
                               const char *task,
                               const char *reason,
                               struct err *err);
/* The alloc's check health may have moved (see env.checks_healthy). */
void alloc_runner_checks_changed(struct alloc_runner *ar);
/* Sends signo to the running tasks (or task), with a "Signaling" event. */
int alloc_runner_signal(struct alloc_runner *ar,
                        const char *task,
                        int signo,
                        const char *signame,
                        struct err *err);

#endif
