/*
 * Task drivers: the part of the client that runs a task's processes.
 *
 * A driver is an ops table (struct driver_ops) plus per-instance state
 * (struct driver), made by driver_new() from the registry (drivers/registry.c)
 * and the plugin config the agent was given. The client asks a driver three
 * kinds of questions:
 *
 *   - node level: fingerprint() says whether the driver works here and which
 *     node attributes it adds (driver.raw_exec = "1");
 *   - job level: validate_config() checks a task's `config` block;
 *   - task level: start() or recover() give a task handle, on which wait(),
 *     signal(), stop(), inspect(), destroy() and close() act.
 *
 * Everything runs on the loop thread given to driver_new() and nothing blocks
 * it for long: start() returns once the task's program has been exec'd (as
 * uv_spawn() does), and every wait for a process is a uv_poll_t on a pidfd,
 * which also works for processes that are not our children (recover()).
 *
 * A task handle goes through these states:
 *
 *   start()/recover() ──► RUNNING ──(main process exits)──► EXITED
 *                            │                                 │
 *                            │ stop(): kill_signal to the main  │
 *                            │ process; after kill_timeout      │
 *                            │ SIGKILL to everything the task   │
 *                            │ started (process group / cgroup) │
 *                            ▼                                 ▼
 *        close(): handle freed,                 destroy(): kills what is
 *        task keeps running (agent              left, removes cgroups, frees
 *        shutdown; recover() later)             the handle
 *
 * When the main process exits, whatever else the task started (its process
 * group for raw_exec, its cgroup and pid namespace for exec) is killed too:
 * nothing of a task outlives it.
 *
 * The process must not set SIGCHLD to SIG_IGN: the kernel would then reap
 * the tasks itself and their exit codes would be lost.
 */
#ifndef CARAVAN_DRIVERS_DRIVER_H
#define CARAVAN_DRIVERS_DRIVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/log.h"

struct err;
struct driver;
struct driver_task;

/* ------------------------------------------------------------ fingerprint */

#define DRIVER_ATTRS_MAX 16

struct driver_attr
{
    char key[64];    /* "driver.raw_exec" */
    char value[128]; /* "1" */
};

struct driver_fingerprint
{
    bool detected;         /* the driver can exist here (enabled, Linux) */
    bool healthy;          /* and it can run tasks right now */
    char health_desc[256]; /* "Healthy", or why not */
    size_t attrs_len;
    struct driver_attr attrs[DRIVER_ATTRS_MAX];
};

/* How the driver lays out the task's filesystem; the client derives
 * NOMAD_ALLOC_DIR and friends from it (host paths vs /alloc, /local). */
enum driver_fs_isolation {
    DRIVER_FS_ISOLATION_NONE,   /* raw_exec: host paths */
    DRIVER_FS_ISOLATION_CHROOT, /* exec: the task dir is the task's / */
    DRIVER_FS_ISOLATION_IMAGE,  /* docker: dirs bind-mounted in an image */
};

struct driver_capabilities
{
    bool send_signals; /* signal() works */
    enum driver_fs_isolation fs_isolation;
};

/* ------------------------------------------------------------ task spec */

/* Host paths of the task's directories (runtime.md §3); all borrowed. */
struct driver_task_dirs
{
    const char *task_dir;    /* <alloc dir>/<task>: cwd, and exec's root */
    const char *alloc_dir;   /* <alloc dir>/alloc, shared by the group */
    const char *local_dir;   /* <task_dir>/local */
    const char *secrets_dir; /* <task_dir>/secrets */
    const char *tmp_dir;     /* <task_dir>/tmp */
};

struct driver_resources
{
    uint32_t cpu_mhz;       /* cpu shares; 0 = no limit */
    uint32_t memory_mb;     /* hard limit, or the soft one with memory_max */
    uint32_t memory_max_mb; /* 0 = unset (no oversubscription) */
};

/*
 * Everything a driver needs to start one task. All pointers are borrowed
 * for the duration of start(); the driver copies what it keeps.
 */
struct driver_task_spec
{
    const char *task_name;
    const char *alloc_id;
    const json_t *config; /* the task's driver `config` block, validated */
    char *const *env;     /* "K=V" strings, NULL-terminated, complete */
    const char *user;     /* NULL or "": the driver's default */
    struct driver_task_dirs dirs;
    int stdout_fd; /* the task writes here; the caller keeps */
    int stderr_fd; /* ownership and may close after start() */
    struct driver_resources resources;
    int kill_signal;          /* 0 = SIGINT (Nomad's default) */
    uint64_t kill_timeout_ms; /* 0 = SIGKILL at once */
};

/* ------------------------------------------------------------ task state */

#define DRIVER_NAME_MAX 32
#define DRIVER_HANDLE_ID_MAX 80
#define DRIVER_CGROUP_MAX 256
#define DRIVER_PATH_MAX 1024

/*
 * What the client persists to reattach to a task after an agent restart.
 * It is small on purpose: the pid alone is not enough because pids are
 * reused, so the process start time (field 22 of /proc/<pid>/stat, clock
 * ticks since boot) pins the pid to one process.
 */
struct driver_task_state
{
    char driver[DRIVER_NAME_MAX];
    int32_t pid;          /* main process, in the host pid namespace */
    uint64_t start_ticks; /* /proc/<pid>/stat starttime */
    int64_t started_unix_ms;
    char cgroup[DRIVER_CGROUP_MAX];       /* "caravan/<alloc>-<task>" or "" */
    char handle_id[DRIVER_HANDLE_ID_MAX]; /* driver-specific (mock id) */
    int kill_signal;
    uint64_t kill_timeout_ms;
    char exit_path[DRIVER_PATH_MAX]; /* the supervisor's exit file or "" */
};

/* Encodes s as a JSON object; the caller owns the result. */
json_t *driver_task_state_to_json(const struct driver_task_state *s);
/* Decodes what driver_task_state_to_json() wrote; ERR_MALFORMED if not. */
int driver_task_state_from_json(const json_t *j,
                                struct driver_task_state *out,
                                struct err *err);

/* ------------------------------------------------------------ task results */

struct driver_exit
{
    int exit_code;     /* 128 + signal when killed by one (Nomad's way) */
    int signal;        /* terminating signal, 0 if it exited */
    bool oom_killed;   /* the cgroup's OOM killer fired (when known) */
    bool status_known; /* false: a recovered task that is not our child */
    char message[128]; /* extra detail ("exit status lost across restart") */
};

enum driver_task_run_state {
    DRIVER_TASK_RUNNING,
    DRIVER_TASK_EXITED,
};

struct driver_task_status
{
    enum driver_task_run_state state;
    int32_t pid;
    int64_t started_unix_ms;
    int64_t exited_unix_ms;  /* 0 while running */
    struct driver_exit exit; /* valid once EXITED */
    uint64_t memory_bytes;   /* cgroup usage or RSS; 0 when unknown */
    char cgroup[DRIVER_CGROUP_MAX];
};

#define DRIVER_PIDS_MAX 64

/* What one process of a task uses. */
struct driver_proc_usage
{
    int32_t pid;
    uint64_t rss_bytes;
    uint64_t swap_bytes;
    uint64_t user_ns;
    uint64_t system_ns;
};

/*
 * Resource usage of a running task, summed over its processes (not its
 * supervisor), as Nomad's executor measures it. Counters only: rates
 * (cpu percent) come from two samples.
 */
struct driver_task_usage
{
    bool measured;        /* false: the driver cannot tell */
    bool cgroup;          /* usage_bytes is the cgroup's charge */
    uint64_t rss_bytes;   /* resident anonymous + file pages */
    uint64_t swap_bytes;  /* VmSwap */
    uint64_t usage_bytes; /* cgroup memory usage (cgroup only) */
    uint64_t user_ns;     /* cpu time in user mode, cumulative */
    uint64_t system_ns;   /* cpu time in the kernel, cumulative */
    size_t npids;         /* the first DRIVER_PIDS_MAX processes */
    struct driver_proc_usage pids[DRIVER_PIDS_MAX];
};

/*
 * The task handle. Drivers embed it first in their own task struct. The
 * fields are read-only for callers; `state` is what to persist.
 */
struct driver_task
{
    struct driver *driver; /* borrowed; outlives the task */
    struct driver_task_state state;
};

/* The main process exited; exit is borrowed for the call. */
typedef void (*driver_exit_cb)(struct driver_task *t,
                               const struct driver_exit *exit,
                               void *arg);
/* The task is dead (stop() finished). */
typedef void (*driver_stop_cb)(struct driver_task *t, void *arg);
/* The handle has been freed (destroy() or close() finished). */
typedef void (*driver_close_cb)(void *arg);

/* ------------------------------------------------------------ ops */

struct driver_ops
{
    const char *name; /* "raw_exec", as in a task's `driver` */
    struct driver_capabilities caps;

    /* Reads the plugin config (may be NULL); sets d->impl. Optional. */
    int (*init)(struct driver *d, const json_t *plugin_config, struct err *e);
    /* Frees d->impl. Optional. */
    void (*release)(struct driver *d);
    void (*fingerprint)(struct driver *d, struct driver_fingerprint *out);
    int (*validate_config)(struct driver *d,
                           const json_t *config,
                           struct err *err);
    int (*start)(struct driver *d,
                 const struct driver_task_spec *spec,
                 struct driver_task **out,
                 struct err *err);
    int (*recover)(struct driver *d,
                   const struct driver_task_state *state,
                   struct driver_task **out,
                   struct err *err);
    void (*wait)(struct driver_task *t, driver_exit_cb cb, void *arg);
    int (*signal)(struct driver_task *t, int signo, struct err *err);
    void (*stop)(struct driver_task *t, driver_stop_cb cb, void *arg);
    void (*inspect)(struct driver_task *t, struct driver_task_status *out);
    /* Optional; without it nothing is measured. */
    void (*usage)(struct driver_task *t, struct driver_task_usage *out);
    void (*destroy)(struct driver_task *t, driver_close_cb cb, void *arg);
    void (*close)(struct driver_task *t, driver_close_cb cb, void *arg);
};

struct driver
{
    const struct driver_ops *ops;
    uv_loop_t *loop;   /* borrowed */
    struct logger log; /* "driver.<name>" */
    void *impl;        /* the driver's own state */
};

/* ------------------------------------------------------------ registry */

/* The driver called name, or NULL. */
const struct driver_ops *driver_registry_lookup(const char *name);
/* All compiled-in drivers; *n receives the count. Static storage. */
const struct driver_ops *const *driver_registry_list(size_t *n);

/* ------------------------------------------------------------ drivers */

/*
 * Makes an instance of the driver called name, configured by plugin_config
 * (the agent's `plugin "<name>" { config {...} }` as JSON, borrowed; may be
 * NULL). Fails with ERR_NOT_FOUND for an unknown name and ERR_INVALID for a
 * bad plugin config. The caller frees the result with driver_free() once
 * every task handle of it is destroyed or closed.
 */
int driver_new(uv_loop_t *loop,
               const char *name,
               const json_t *plugin_config,
               struct driver **out,
               struct err *err);
void driver_free(struct driver *d);

const char *driver_name(const struct driver *d);

/* Fills out; may run a short probe (exec forks one child that exits). */
void driver_fingerprint(struct driver *d, struct driver_fingerprint *out);

/*
 * Checks a task's driver config. On failure returns ERR_INVALID and a
 * message naming the field ("Missing required field: command"); several
 * problems are joined with "; ".
 */
int driver_validate_config(struct driver *d,
                           const json_t *config,
                           struct err *err);

/*
 * Validates spec->config, starts the task and returns its handle in *out,
 * RUNNING; the handle keeps no pointer into spec. Returns once the
 * program has been exec'd, or with the reason it could not be: ERR_INVALID
 * when retrying cannot help (bad config, unknown user), any other code when
 * a restart might (missing binary, a failing mount, resources).
 */
int driver_start(struct driver *d,
                 const struct driver_task_spec *spec,
                 struct driver_task **out,
                 struct err *err);

/*
 * Reattaches to a task started by an earlier agent from its persisted
 * state. Fails with ERR_NOT_FOUND when the process is gone or its pid now
 * belongs to another process (start time differs).
 */
int driver_recover(struct driver *d,
                   const struct driver_task_state *state,
                   struct driver_task **out,
                   struct err *err);

/*
 * Calls cb once, on the loop, when the task's main process exits (at once,
 * but never from inside this call, if it already has). One waiter at a
 * time: a second call replaces the first.
 */
void driver_task_wait(struct driver_task *t, driver_exit_cb cb, void *arg);

/* Sends signo to the main process. ERR_STATE once it exited. */
int driver_task_signal(struct driver_task *t, int signo, struct err *err);

/*
 * Stops the task: kill_signal to the main process, then after kill_timeout
 * SIGKILL to all its processes. cb runs once the main process is dead and
 * the rest has been sent SIGKILL. Stopping an EXITED task just calls cb.
 */
void driver_task_stop(struct driver_task *t, driver_stop_cb cb, void *arg);

void driver_task_inspect(struct driver_task *t, struct driver_task_status *out);

/*
 * Measures what the task's processes use now (reads /proc and cgroup
 * files: a few syscalls per process). out->measured is false when the
 * driver cannot, or the task has exited.
 */
void driver_task_usage(struct driver_task *t, struct driver_task_usage *out);

/*
 * Kills whatever is left of the task, removes its cgroups and frees the
 * handle; cb (may be NULL) runs after that. No wait or stop callback fires
 * once this is called.
 */
void driver_task_destroy(struct driver_task *t, driver_close_cb cb, void *arg);

/*
 * Frees the handle but leaves the task running, for an agent that shuts
 * down and will recover() it; cb (may be NULL) runs after that.
 */
void driver_task_close(struct driver_task *t, driver_close_cb cb, void *arg);

/* ------------------------------------------------------------ drivers */

extern const struct driver_ops driver_raw_exec_ops;
extern const struct driver_ops driver_exec_ops;
extern const struct driver_ops driver_mock_ops;

#endif
