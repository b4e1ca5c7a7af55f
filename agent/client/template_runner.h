/*
 * A task's templates while it lives: rendered before every start, then
 * kept up to date. Each render records the catalogue answers it read;
 * a watcher on exactly those (discovery/watch.h) wakes the runner when one
 * moves, never on a timer. The template is rendered again once its
 * `wait { min max }` allows (min: quiet time after the last change, max:
 * the most a burst of changes may hold it back); when the bytes differ
 * the file is replaced and, after a random `splay`, its change_mode runs:
 * noop, signal (change_signal), restart or script (change_script).
 *
 * Templates changing together act once: one restart wins over signals,
 * and each distinct signal is sent once. A template with `once = true` is
 * rendered at the first start only. A render that fails after the task
 * started fails the task, as Nomad's template hook does; restarts caused
 * here do not count against the restart policy.
 */
#ifndef CARAVAN_AGENT_CLIENT_TEMPLATE_RUNNER_H
#define CARAVAN_AGENT_CLIENT_TEMPLATE_RUNNER_H

#include <stdbool.h>
#include <uv.h>

struct catalog;
struct err;
struct strmap;
struct task;
struct template_runner;
struct watch_hub;

struct template_runner_ops
{
    /* change_mode "restart": restart the task (reason for its event). */
    void (*restart)(void *arg, const char *reason);
    /* change_mode "signal": send signame ("SIGHUP") to the task. */
    void (*signal)(void *arg, const char *signame, const char *reason);
    /* Kill the task as failed: a render or a fail_on_error script failed. */
    void (*fail)(void *arg, const char *reason);
    /* A task event (type, message). */
    void (*event)(void *arg, const char *type, const char *message);
};

struct template_runner_env
{
    uv_loop_t *loop;
    const struct catalog *catalog; /* NULL: no service anywhere */
    struct watch_hub *hub;         /* NULL: rendered once, never again */
    const char *namespace_;
    const struct template_runner_ops *ops;
    void *arg;
};

/* t and task_dir are borrowed and outlive the runner; env is copied. */
struct template_runner *template_runner_new(
    const struct template_runner_env *env,
    const struct task *t,
    const char *task_dir);

/*
 * Renders every template before the task starts (env: the task's
 * environment, which `env = true` templates add to) and starts watching
 * them. On failure err names the template and nothing is watched.
 */
int template_runner_prestart(struct template_runner *r,
                             struct strmap *env,
                             struct err *err);

/*
 * After the agent restarted and reattached to the running task: what each
 * template wrote before is read back from disk, and after a short settle
 * (the mesh's records come back once it rejoins) the templates are
 * rendered again and watched; a file that changed while the agent was
 * down is replaced and its change_mode runs, as after any change.
 * Failures are reported through ops->fail, as for a later change.
 */
void template_runner_resume(struct template_runner *r,
                            const struct strmap *env);

/* The task is no longer running: stop watching and drop pending actions. */
void template_runner_stop(struct template_runner *r);

/* Frees r once its timers and script processes are closed; then cb. */
void template_runner_close(struct template_runner *r,
                           void (*cb)(void *arg),
                           void *arg);

/* For tests and benchmarks: renders done after a change so far. */
unsigned long template_runner_rerenders(const struct template_runner *r);

#endif
