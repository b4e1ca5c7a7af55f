/*
 * raw_exec: runs a host program with no isolation, as the agent's user
 * (or `user`, when the agent is root), in its own session and process
 * group so that stopping the task reaches everything it started.
 *
 * Disabled unless the plugin config says `enabled = true` (Nomad's
 * default; -dev turns it on).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "drivers/driver_int.h"
#include "drivers/proc.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

#define DEFAULT_PATH \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct raw_exec
{
    bool enabled;
};

struct raw_task
{
    struct proc_task pt; /* first */
};

static const struct driver__field plugin_fields[] = {
    {"enabled", DRIVER__BOOL, false},
    {"no_cgroups", DRIVER__BOOL, false},
    {NULL, DRIVER__ANY, false},
};

static const struct driver__field task_fields[] = {
    {"command", DRIVER__STRING, true},
    {"args", DRIVER__STRING_LIST, false},
    {"work_dir", DRIVER__STRING, false},
    {"cgroup_v1_override", DRIVER__ANY, false},
    {"cgroup_v2_override", DRIVER__ANY, false},
    {"oom_score_adj", DRIVER__INT, false},
    {"denied_envvars", DRIVER__STRING_LIST, false},
    {NULL, DRIVER__ANY, false},
};

/* ------------------------------------------------------------ plugin */

static int raw_init(struct driver *d, const json_t *config, struct err *err)
{
    struct buf problems = BUF_INIT;
    struct raw_exec *re;

    if (driver__config_check(config, plugin_fields, &problems) > 0) {
        err_set(err, ERR_INVALID, "%s", buf_str(&problems));
        buf_release(&problems);
        return ERR_INVALID;
    }
    re = xcalloc(1, sizeof(*re));
    re->enabled = json_is_true(json_object_get(config, "enabled"));
    d->impl = re;
    return 0;
}

static void raw_release(struct driver *d)
{
    free(d->impl);
}

static void raw_fingerprint(struct driver *d, struct driver_fingerprint *fp)
{
    struct raw_exec *re = d->impl;

    if (!re->enabled) {
        fp->detected = false;
        driver__fp_health(fp, false, "disabled");
        return;
    }
    fp->detected = true;
    driver__fp_health(fp, true, "Healthy");
    driver__fp_attr(fp, "driver.raw_exec", "1");
}

/* ------------------------------------------------------------ config */

static int raw_validate(struct driver *d, const json_t *config, struct err *err)
{
    struct buf problems = BUF_INIT;
    const char *cmd, *wd;
    json_t *adj;
    int rc = 0;

    (void)d;
    if (driver__config_check(config, task_fields, &problems) == 0) {
        cmd = driver__config_str(config, "command", "");
        wd = driver__config_str(config, "work_dir", NULL);
        adj = json_object_get(config, "oom_score_adj");
        if (*cmd == '\0')
            driver__problem(&problems, "command must not be empty");
        if (wd != NULL && wd[0] != '/')
            driver__problem(
                &problems, "work_dir must be an absolute path, got \"%s\"", wd);
        if (adj != NULL &&
            (json_integer_value(adj) < 0 || json_integer_value(adj) > 1000))
            driver__problem(&problems,
                            "oom_score_adj must be between 0 and 1000");
    }
    if (problems.len > 0)
        rc = err_set(err, ERR_INVALID, "%s", buf_str(&problems));
    buf_release(&problems);
    return rc;
}

/* ------------------------------------------------------------ start */

/* Tries dir/cmd; on success *out is the heap path. */
static bool try_path(const char *dir, const char *cmd, char **out)
{
    char *p = xasprintf("%s/%s", dir, cmd);

    if (driver__is_executable(p)) {
        *out = p;
        return true;
    }
    free(p);
    return false;
}

/*
 * Nomad's lookup order: <task dir>/local/<cmd>, <task dir>/<cmd>, the
 * absolute path, then each directory of the task's PATH.
 */
static int resolve_command(const struct driver_task_spec *spec,
                           const char *cmd,
                           char **out,
                           struct err *err)
{
    const char *path = driver__env_get(spec->env, "PATH");
    char *copy, *save = NULL;
    bool found = false;

    if (try_path(spec->dirs.local_dir, cmd, out) ||
        try_path(spec->dirs.task_dir, cmd, out))
        return 0;
    if (cmd[0] == '/' && driver__is_executable(cmd)) {
        *out = xstrdup(cmd);
        return 0;
    }
    if (strchr(cmd, '/') == NULL) {
        copy = xstrdup(path ? path : DEFAULT_PATH);
        for (char *dir = strtok_r(copy, ":", &save); dir && !found;
             dir = strtok_r(NULL, ":", &save))
            found = try_path(*dir ? dir : ".", cmd, out);
        free(copy);
        if (found)
            return 0;
    }
    return err_set(err, -ENOENT,
                   "command \"%s\" not found in the task dir, as a path or "
                   "on PATH",
                   cmd);
}

static int lookup_user(const char *user,
                       struct proc_cred *cred,
                       bool *use,
                       struct err *err)
{
    int rc;

    *use = false;
    if (user == NULL || *user == '\0')
        return 0;
    rc = proc_cred_lookup(user, cred, err);
    if (rc != 0)
        return rc;
    if (cred->uid == geteuid())
        return 0;
    if (geteuid() != 0)
        return err_set(err, ERR_INVALID,
                       "running as user \"%s\" needs an agent running as "
                       "root",
                       user);
    *use = true;
    return 0;
}

static void raw_kill_all(struct proc_task *pt)
{
    /* setsid() made the main process a group leader: pgid == pid. */
    if (kill(-(pid_t)pt->base.state.pid, SIGKILL) == -1 && errno != ESRCH)
        log_warn(&pt->base.driver->log, "killing group %d: %s",
                 (int)pt->base.state.pid, strerror(errno));
}

static size_t raw_pids(struct proc_task *pt, int32_t *pids, size_t max)
{
    /* setsid() made the supervisor a group leader: pgid == its pid. */
    return proc_group_pids((pid_t)pt->base.state.pid, pids, max);
}

static uint64_t raw_memory_bytes(struct proc_task *pt)
{
    int32_t pids[DRIVER_PIDS_MAX];
    struct driver_proc_usage u;
    uint64_t rss = 0;
    size_t n = raw_pids(pt, pids, DRIVER_PIDS_MAX);

    for (size_t i = 0; i < n; i++) {
        if (proc_usage_read(pids[i], &u) == 0)
            rss += u.rss_bytes;
    }
    return rss;
}

static void raw_free(struct proc_task *pt)
{
    free(pt);
}

static const struct proc_task_hooks raw_hooks = {
    .kill_all = raw_kill_all,
    .memory_bytes = raw_memory_bytes,
    .pids = raw_pids,
    .free = raw_free,
};

static void fill_state(struct driver_task_state *st,
                       const struct driver_task_spec *spec,
                       const struct proc_spawned *sp)
{
    memset(st, 0, sizeof(*st));
    snprintf(st->driver, sizeof(st->driver), "raw_exec");
    st->pid = (int32_t)sp->pid;
    st->start_ticks = sp->start_ticks;
    st->started_unix_ms = time_wall_unix_ms();
    st->kill_signal = spec->kill_signal > 0 ? spec->kill_signal : SIGINT;
    st->kill_timeout_ms = spec->kill_timeout_ms;
    proc_exit_path(spec, st->exit_path);
}

/* Wraps a spawned process in a handle; kills it when that fails. */
static int adopt(struct driver *d,
                 const struct driver_task_state *st,
                 int pidfd,
                 struct driver_task **out,
                 struct err *err)
{
    struct raw_task *rt = xcalloc(1, sizeof(*rt));
    int rc;

    rt->pt.base.state = *st;
    rc = proc_task_init(&rt->pt, d, &raw_hooks, pidfd);
    if (rc != 0) {
        free(rt);
        return err_set(err, rc, "watching pid %d: %s", (int)st->pid,
                       uv_strerror(rc));
    }
    *out = &rt->pt.base;
    return 0;
}

static int raw_start(struct driver *d,
                     const struct driver_task_spec *spec,
                     struct driver_task **out,
                     struct err *err)
{
    const json_t *cfg = spec->config;
    const char *cmd = driver__config_str(cfg, "command", "");
    json_t *adj = json_object_get(cfg, "oom_score_adj");
    struct proc_spawn_opts o;
    struct proc_spawned sp;
    struct driver_task_state st;
    struct proc_cred cred;
    char exit_path[DRIVER_PATH_MAX];
    char *path = NULL, **argv = NULL, **envp = NULL;
    bool use_cred;
    int rc;

    rc = lookup_user(spec->user, &cred, &use_cred, err);
    if (rc == 0)
        rc = resolve_command(spec, cmd, &path, err);
    if (rc != 0)
        return rc;
    argv = driver__strv_build(cmd, json_object_get(cfg, "args"));
    envp =
        driver__env_filter(spec->env, json_object_get(cfg, "denied_envvars"));
    memset(&o, 0, sizeof(o));
    o.path = path;
    o.argv = argv;
    o.envp = envp;
    o.cwd = driver__config_str(cfg, "work_dir", spec->dirs.task_dir);
    o.stdout_fd = spec->stdout_fd;
    o.stderr_fd = spec->stderr_fd;
    o.cred = use_cred ? &cred : NULL;
    o.has_oom_score_adj = adj != NULL;
    o.oom_score_adj = (int)json_integer_value(adj);
    o.exit_path = proc_exit_path(spec, exit_path) ? exit_path : NULL;
    rc = proc_spawn(&o, &sp, err);
    free(path);
    driver__strv_free(argv);
    free(envp);
    if (rc != 0) {
        err_wrap(err, "task \"%s\"", spec->task_name);
        return rc;
    }
    fill_state(&st, spec, &sp);
    rc = adopt(d, &st, sp.pidfd, out, err);
    if (rc != 0) {
        kill(-sp.pid, SIGKILL);
        close(sp.pidfd);
        return rc;
    }
    log_info(&d->log, "started task \"%s\" alloc=%s pid=%d", spec->task_name,
             spec->alloc_id, (int)sp.pid);
    return 0;
}

static int raw_recover(struct driver *d,
                       const struct driver_task_state *state,
                       struct driver_task **out,
                       struct err *err)
{
    int pidfd, rc;

    rc = proc_attach(state, &pidfd, err);
    if (rc != 0)
        return rc;
    rc = adopt(d, state, pidfd, out, err);
    if (rc != 0) {
        close(pidfd);
        return rc;
    }
    log_info(&d->log, "recovered task pid=%d", (int)state->pid);
    return 0;
}

const struct driver_ops driver_raw_exec_ops = {
    .name = "raw_exec",
    .caps = {.send_signals = true, .fs_isolation = DRIVER_FS_ISOLATION_NONE},
    .init = raw_init,
    .release = raw_release,
    .fingerprint = raw_fingerprint,
    .validate_config = raw_validate,
    .start = raw_start,
    .recover = raw_recover,
    .wait = proc_task_wait,
    .signal = proc_task_signal,
    .stop = proc_task_stop,
    .inspect = proc_task_inspect,
    .usage = proc_task_usage,
    .destroy = proc_task_destroy,
    .close = proc_task_close,
};
