/*
 * Host processes for the drivers that run programs (raw_exec, exec):
 * spawning with clone3 (a pidfd from birth, optional namespaces) and the
 * task handle built around that pidfd.
 *
 * Why not uv_spawn(): it cannot create namespaces, cannot hand out a pidfd
 * and cannot reattach to a process after an agent restart. A pidfd can be
 * opened for any process (pidfd_open), polled with a uv_poll_t until the
 * process exits, signalled without pid-reuse races (pidfd_send_signal) and,
 * when the process is our child, reaped with waitid(P_PIDFD).
 */
#ifndef CARAVAN_DRIVERS_PROC_H
#define CARAVAN_DRIVERS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "drivers/driver.h"

struct err;

/* ------------------------------------------------------------ spawning */

#define PROC_GROUPS_MAX 64

struct proc_cred
{
    uid_t uid;
    gid_t gid;
    size_t ngroups;
    gid_t groups[PROC_GROUPS_MAX];
};

/*
 * Runs in the child between clone and exec. Only async-signal-safe calls
 * are allowed (no malloc, stdio or locks): another thread of the agent may
 * have held a lock at clone time. Returns 0 or -errno; on failure sets
 * *step to a number that child_step_name() turns into words.
 */
typedef int (*proc_child_setup_cb)(void *arg, int *step);
typedef const char *(*proc_child_step_name_cb)(void *arg, int step);
/*
 * Runs in the parent after the clone, before the child goes on: the place
 * to move the child into cgroups, so that nothing it runs escapes them.
 */
typedef int (*proc_parent_setup_cb)(void *arg, pid_t pid, struct err *err);

struct proc_spawn_opts
{
    const char *path; /* executable, as the child sees it after setup */
    char *const *argv;
    char *const *envp;
    const char *cwd; /* chdir() target after setup; NULL: stay */
    int stdout_fd;
    int stderr_fd;
    uint64_t clone_flags;            /* CLONE_NEW* for exec, 0 for raw_exec */
    proc_child_setup_cb child_setup; /* optional */
    proc_child_step_name_cb child_step_name;
    void *child_arg;
    proc_parent_setup_cb parent_setup; /* optional */
    void *parent_arg;
    const struct proc_cred *cred; /* NULL: keep the agent's identity */
    bool limit_caps;              /* keep only caps (bounding set too) */
    uint64_t caps;                /* bit n = capability n */
    bool has_oom_score_adj;
    int oom_score_adj;
    bool no_new_privs;
    /*
     * NULL, or a file (created or truncated) into which a small supervisor
     * writes how the program ended: the child forks once more right before
     * exec, stays as the program's parent, forwards every signal it gets
     * to it, and writes "exit N" or "signal N". Only a parent can learn an
     * exit status, and an agent that restarted is no longer anyone's.
     */
    const char *exit_path;
};

struct proc_spawned
{
    pid_t pid; /* in the agent's pid namespace */
    int pidfd; /* owned by the caller */
    uint64_t start_ticks;
};

/*
 * Starts a process in its own session and process group, stdin from
 * /dev/null, stdout/stderr onto the given fds, every other fd closed.
 * Returns once the child has exec'd, or the step that failed and why
 * ("chdir /local: No such file or directory"), as uv_spawn() does.
 * Blocks only for the child's setup, which is a few syscalls.
 */
int proc_spawn(const struct proc_spawn_opts *o,
               struct proc_spawned *out,
               struct err *err);

/*
 * Clones a child with flags (CLONE_NEW*) that exits at once, and reaps it:
 * proof that this process may create those namespaces. 0 or -errno.
 */
int proc_probe_clone(uint64_t flags);

/*
 * The exit file of a task: "<task dir>.exit", beside the task dir so that
 * an isolated task cannot reach it. False (and "") when it does not fit.
 */
bool proc_exit_path(const struct driver_task_spec *spec,
                    char out[DRIVER_PATH_MAX]);

/*
 * Reads what the supervisor of proc_spawn_opts.exit_path wrote into exit.
 * Returns 0 when the file holds an exit, -ENOENT when it is missing or
 * empty (the supervisor itself was killed), -EINVAL when it is garbled.
 */
int proc_exit_read(const char *path, struct driver_exit *exit);

/*
 * The processes whose process group is pgid, but not pgid itself (the
 * supervisor), from a scan of /proc: up to max into pids; returns how
 * many.
 */
size_t proc_group_pids(pid_t pgid, int32_t *pids, size_t max);

/*
 * Measures what process pid uses (RSS, swap, user and system cpu time)
 * into out (out->pid included); 0, or -errno when it is gone.
 */
int proc_usage_read(pid_t pid, struct driver_proc_usage *out);

/* Reads field 22 (starttime) of /proc/<pid>/stat. -errno on failure. */
int proc_start_ticks(pid_t pid, uint64_t *ticks);

/*
 * Opens a pidfd for the process in state and checks that it is still the
 * process that was started (same start time). ERR_NOT_FOUND when it is
 * gone or the pid was reused.
 */
int proc_attach(const struct driver_task_state *state,
                int *pidfd,
                struct err *err);

/*
 * Looks user up in the password database: uid, primary gid and the
 * supplementary groups (the first PROC_GROUPS_MAX). ERR_INVALID for an
 * unknown user.
 */
int proc_cred_lookup(const char *user, struct proc_cred *out, struct err *err);

/* Parses a capability name ("net_raw", "CAP_NET_RAW"); -1 if unknown. */
int proc_cap_parse(const char *name);
/* The name of capability cap ("net_raw"), or "unknown". */
const char *proc_cap_name(int cap);
/* The highest capability the kernel knows (/proc/sys/kernel/cap_last_cap). */
int proc_cap_last(void);

/* ------------------------------------------------------------ task handle */

struct proc_task;

/* What differs between raw_exec and exec; all run on the loop thread. */
struct proc_task_hooks
{
    /*
     * SIGKILLs every process of the task. Also called when the main
     * process has exited but is not yet reaped, so its pid and process
     * group id cannot have been reused.
     */
    void (*kill_all)(struct proc_task *pt);
    /* Adds what only the driver knows to an exit (OOM). Optional. */
    void (*exited)(struct proc_task *pt, struct driver_exit *exit);
    /* Removes what the task left (cgroups); -EBUSY: retry soon. Optional. */
    int (*cleanup)(struct proc_task *pt);
    /* Memory in use, for inspect(). Optional. */
    uint64_t (*memory_bytes)(struct proc_task *pt);
    /* The task's processes, without its supervisor: up to max into pids;
     * returns how many. Optional (then usage() measures nothing). */
    size_t (*pids)(struct proc_task *pt, int32_t *pids, size_t max);
    /* Frees the driver's struct around pt. */
    void (*free)(struct proc_task *pt);
};

struct proc_task
{
    struct driver_task base; /* first: a driver_task * is a proc_task * */
    const struct proc_task_hooks *hooks;
    uv_poll_t poll;          /* pidfd readable: the main process exited */
    uv_timer_t kill_timer;   /* kill_timeout, later cleanup retries */
    uv_timer_t notify_timer; /* moves callbacks out of API calls */
    int pidfd;
    bool exited;
    bool stopping;
    bool destroying;
    bool closing;
    int pending_closes;
    unsigned cleanup_tries;
    int64_t exited_unix_ms;
    struct driver_exit exit;
    driver_exit_cb wait_cb;
    void *wait_arg;
    driver_stop_cb stop_cb;
    void *stop_arg;
    driver_close_cb close_cb;
    void *close_arg;
};

/*
 * Starts watching the process behind pidfd (taken over: closed when the
 * handle is). pt->base.state must be filled in. On failure the caller
 * still owns pidfd and pt.
 */
int proc_task_init(struct proc_task *pt,
                   struct driver *d,
                   const struct proc_task_hooks *hooks,
                   int pidfd);

/* The task ops of driver.h, for the ops tables of raw_exec and exec. */
void proc_task_wait(struct driver_task *t, driver_exit_cb cb, void *arg);
int proc_task_signal(struct driver_task *t, int signo, struct err *err);
void proc_task_stop(struct driver_task *t, driver_stop_cb cb, void *arg);
void proc_task_inspect(struct driver_task *t, struct driver_task_status *out);
void proc_task_usage(struct driver_task *t, struct driver_task_usage *out);
void proc_task_destroy(struct driver_task *t, driver_close_cb cb, void *arg);
void proc_task_close(struct driver_task *t, driver_close_cb cb, void *arg);

#endif
