/*
 * exec: runs a host program isolated as Nomad's exec driver does.
 *
 *   - namespaces: mount and uts always; pid and ipc unless pid_mode /
 *     ipc_mode say "host". In its own pid namespace the task is pid 1, and
 *     when it exits the kernel kills everything else in the namespace.
 *   - filesystem: the task dir becomes "/" (exec_root.c).
 *   - identity: `user`, by default nobody; no_new_privs; capabilities cut
 *     to Nomad's default set, adjusted by cap_add / cap_drop.
 *   - resources: a cgroup per task (cgroup.c) with memory and cpu limits;
 *     stopping the task kills the whole cgroup.
 *
 * Needs root. The cgroup layout (v1 or v2) is picked when the driver is
 * made and refreshed by every fingerprint.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "drivers/cgroup.h"
#include "drivers/driver.h"
#include "drivers/driver_int.h"
#include "drivers/exec_root.h"
#include "drivers/proc.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

#define DEFAULT_USER "nobody"
#define DEFAULT_CGROUP_ROOT "/sys/fs/cgroup"
#define DEFAULT_CGROUP_PARENT "caravan"

/* Nomad's capabilities.NomadDefaults(): what exec tasks get and may add. */
static const char *const default_caps[] = {
    "audit_write", "chown",  "dac_override",     "fowner",  "fsetid",
    "kill",        "mknod",  "net_bind_service", "setfcap", "setgid",
    "setpcap",     "setuid", "sys_chroot",
};

struct exec_driver
{
    char cgroup_root[CGROUP_PATH_MAX];
    char cgroup_parent[128];
    uint64_t allow_caps;
    bool pid_host_default;
    bool ipc_host_default;
    struct cgroup_env cg_env;
};

struct exec_task
{
    struct proc_task pt; /* first */
    struct cgroup cg;
};

static const struct driver__field plugin_fields[] = {
    {"cgroup_root", DRIVER__STRING, false},
    {"cgroup_parent", DRIVER__STRING, false},
    {"allow_caps", DRIVER__STRING_LIST, false},
    {"default_pid_mode", DRIVER__STRING, false},
    {"default_ipc_mode", DRIVER__STRING, false},
    {NULL, DRIVER__ANY, false},
};

static const struct driver__field task_fields[] = {
    {"command", DRIVER__STRING, true},
    {"args", DRIVER__STRING_LIST, false},
    {"work_dir", DRIVER__STRING, false},
    {"pid_mode", DRIVER__STRING, false},
    {"ipc_mode", DRIVER__STRING, false},
    {"cap_add", DRIVER__STRING_LIST, false},
    {"cap_drop", DRIVER__STRING_LIST, false},
    {"cgroup_v1_override", DRIVER__ANY, false},
    {"cgroup_v2_override", DRIVER__ANY, false},
    {"oom_score_adj", DRIVER__INT, false},
    {"denied_envvars", DRIVER__STRING_LIST, false},
    {NULL, DRIVER__ANY, false},
};

static uint64_t default_cap_set(void)
{
    uint64_t set = 0;

    for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
        set |= UINT64_C(1) << proc_cap_parse(default_caps[i]);
    return set;
}

static bool is_all(const char *s)
{
    return strcasecmp(s, "all") == 0;
}

/* ------------------------------------------------------------ plugin */

static int parse_mode(const char *s, bool *host)
{
    if (s == NULL || *s == '\0' || strcmp(s, "private") == 0) {
        *host = false;
        return 0;
    }
    if (strcmp(s, "host") == 0) {
        *host = true;
        return 0;
    }
    return -1;
}

/* Names in list (valid, or problems) as a bit set; "all" = every one. */
static uint64_t cap_list(const json_t *list,
                         const char *field,
                         struct buf *problems)
{
    uint64_t set = 0;
    size_t i;
    json_t *v;
    int cap;

    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(v);

        if (name == NULL)
            continue;
        if (is_all(name)) {
            set = ~UINT64_C(0);
            continue;
        }
        cap = proc_cap_parse(name);
        if (cap < 0)
            driver__problem(problems, "%s: unknown capability \"%s\"", field,
                            name);
        else
            set |= UINT64_C(1) << cap;
    }
    return set;
}

static int parse_plugin(struct exec_driver *ex,
                        const json_t *config,
                        struct buf *problems)
{
    const char *parent;
    json_t *allow = json_object_get(config, "allow_caps");

    if (driver__config_check(config, plugin_fields, problems) > 0)
        return ERR_INVALID;
    snprintf(ex->cgroup_root, sizeof(ex->cgroup_root), "%s",
             driver__config_str(config, "cgroup_root", DEFAULT_CGROUP_ROOT));
    parent = driver__config_str(config, "cgroup_parent", DEFAULT_CGROUP_PARENT);
    if (parent[0] == '/' || strstr(parent, "..") != NULL || *parent == '\0' ||
        strlen(parent) >= sizeof(ex->cgroup_parent))
        driver__problem(problems,
                        "cgroup_parent must be a relative path, got \"%s\"",
                        parent);
    snprintf(ex->cgroup_parent, sizeof(ex->cgroup_parent), "%s", parent);
    ex->allow_caps =
        allow ? cap_list(allow, "allow_caps", problems) : default_cap_set();
    if (parse_mode(driver__config_str(config, "default_pid_mode", NULL),
                   &ex->pid_host_default) != 0)
        driver__problem(problems,
                        "default_pid_mode must be \"private\" or "
                        "\"host\"");
    if (parse_mode(driver__config_str(config, "default_ipc_mode", NULL),
                   &ex->ipc_host_default) != 0)
        driver__problem(problems,
                        "default_ipc_mode must be \"private\" or "
                        "\"host\"");
    return problems->len > 0 ? ERR_INVALID : 0;
}

static int exec_init(struct driver *d, const json_t *config, struct err *err)
{
    struct exec_driver *ex = xcalloc(1, sizeof(*ex));
    struct buf problems = BUF_INIT;
    int rc;

    rc = parse_plugin(ex, config, &problems);
    if (rc != 0) {
        err_set(err, rc, "%s", buf_str(&problems));
        buf_release(&problems);
        free(ex);
        return rc;
    }
    cgroup_env_detect(&ex->cg_env, ex->cgroup_root);
    d->impl = ex;
    return 0;
}

static void exec_release(struct driver *d)
{
    free(d->impl);
}

static void exec_fingerprint(struct driver *d, struct driver_fingerprint *fp)
{
    struct exec_driver *ex = d->impl;
    int rc;

    if (geteuid() != 0) {
        fp->detected = false;
        driver__fp_health(fp, false, "exec driver must run as root");
        return;
    }
    fp->detected = true;
    rc = proc_probe_clone(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
                          CLONE_NEWUTS);
    if (rc != 0) {
        driver__fp_health(fp, false,
                          "namespaces unavailable (pid, mount, ipc, uts): %s",
                          strerror(-rc));
        return;
    }
    cgroup_env_detect(&ex->cg_env, ex->cgroup_root);
    if (ex->cg_env.mode == CGROUP_MODE_NONE) {
        driver__fp_health(fp, false, "cgroups unavailable: %s",
                          ex->cg_env.desc);
        return;
    }
    driver__fp_health(fp, true, "Healthy");
    driver__fp_attr(fp, "driver.exec", "1");
    driver__fp_attr(fp, "driver.exec.cgroups",
                    ex->cg_env.mode == CGROUP_MODE_V1 ? "v1" : "v2");
}

/* ------------------------------------------------------------ config */

static void check_modes(const json_t *config, struct buf *problems)
{
    static const char *const keys[] = {"pid_mode", "ipc_mode"};
    bool host;

    for (size_t i = 0; i < 2; i++) {
        const char *v = driver__config_str(config, keys[i], NULL);

        if (parse_mode(v, &host) != 0)
            driver__problem(problems,
                            "%s must be \"private\" or \"host\", got \"%s\"",
                            keys[i], v);
    }
}

static void check_caps(const struct exec_driver *ex,
                       const json_t *config,
                       struct buf *problems)
{
    uint64_t add =
        cap_list(json_object_get(config, "cap_add"), "cap_add", problems);
    uint64_t denied;
    struct buf names = BUF_INIT;
    int last = proc_cap_last();

    cap_list(json_object_get(config, "cap_drop"), "cap_drop", problems);
    if (add == ~UINT64_C(0))
        return; /* "all" means all that the driver allows */
    denied = add & ~ex->allow_caps;
    for (int cap = 0; cap <= last && denied != 0; cap++) {
        if ((denied >> cap) & 1)
            buf_printf(&names, "%s%s", names.len ? ", " : "",
                       proc_cap_name(cap));
    }
    if (names.len > 0)
        driver__problem(problems,
                        "cap_add: driver does not allow the following "
                        "capabilities: %s",
                        buf_str(&names));
    buf_release(&names);
}

static int exec_validate(struct driver *d,
                         const json_t *config,
                         struct err *err)
{
    struct buf problems = BUF_INIT;
    const char *cmd, *wd;
    int rc = 0;

    if (driver__config_check(config, task_fields, &problems) == 0) {
        cmd = driver__config_str(config, "command", "");
        wd = driver__config_str(config, "work_dir", NULL);
        if (*cmd == '\0')
            driver__problem(&problems, "command must not be empty");
        if (wd != NULL && wd[0] != '/')
            driver__problem(
                &problems, "work_dir must be an absolute path, got \"%s\"", wd);
        check_modes(config, &problems);
        check_caps(d->impl, config, &problems);
    }
    if (problems.len > 0)
        rc = err_set(err, ERR_INVALID, "%s", buf_str(&problems));
    buf_release(&problems);
    return rc;
}

/* ------------------------------------------------------------ task hooks */

static struct exec_task *to_et(struct proc_task *pt)
{
    return (struct exec_task *)pt;
}

static void exec_kill_all(struct proc_task *pt)
{
    cgroup_kill(&to_et(pt)->cg);
}

static void exec_exited(struct proc_task *pt, struct driver_exit *exit)
{
    exit->oom_killed = cgroup_oom_killed(&to_et(pt)->cg);
}

static int exec_cleanup(struct proc_task *pt)
{
    return cgroup_remove(&to_et(pt)->cg);
}

static uint64_t exec_memory_bytes(struct proc_task *pt)
{
    return cgroup_memory_bytes(&to_et(pt)->cg);
}

static size_t exec_pids(struct proc_task *pt, int32_t *pids, size_t max)
{
    /* The supervisor's setsid() made it the group leader of the task. */
    return proc_group_pids((pid_t)pt->base.state.pid, pids, max);
}

static void exec_free(struct proc_task *pt)
{
    cgroup_release(&to_et(pt)->cg);
    free(pt);
}

static const struct proc_task_hooks exec_hooks = {
    .kill_all = exec_kill_all,
    .exited = exec_exited,
    .cleanup = exec_cleanup,
    .memory_bytes = exec_memory_bytes,
    .pids = exec_pids,
    .free = exec_free,
};

/* ------------------------------------------------------------ start */

/* Tries host_dir/cmd; on success *out is in_root/cmd. */
static bool try_in_root(const char *host_dir,
                        const char *in_root,
                        const char *cmd,
                        char **out)
{
    char *host = xasprintf("%s/%s", host_dir, cmd);
    bool ok = driver__is_executable(host);

    free(host);
    if (ok)
        *out = xasprintf("%s/%s", in_root, cmd);
    return ok;
}

/*
 * Nomad's exec lookup, in the task's view: local/<cmd>, the task dir, an
 * absolute path in the root, then usr/local/bin, usr/bin and bin.
 */
static int resolve_command(const struct driver_task_spec *spec,
                           const char *cmd,
                           char **out,
                           struct err *err)
{
    static const char *const bins[] = {"/usr/local/bin", "/usr/bin", "/bin"};
    char *host;
    bool ok;

    if (cmd[0] == '/') {
        host = xasprintf("%s%s", spec->dirs.task_dir, cmd);
        ok = driver__is_executable(host) ||
             (exec_root_is_host_path(cmd) && driver__is_executable(cmd));
        free(host);
        if (ok) {
            *out = xstrdup(cmd);
            return 0;
        }
    } else {
        if (try_in_root(spec->dirs.local_dir, "/local", cmd, out) ||
            try_in_root(spec->dirs.task_dir, "", cmd, out))
            return 0;
        for (size_t i = 0; i < 3 && strchr(cmd, '/') == NULL; i++) {
            if (try_in_root(bins[i], bins[i], cmd, out))
                return 0;
        }
    }
    return err_set(err, -ENOENT,
                   "command \"%s\" not found in the task's root (local/, the "
                   "task dir, /usr/local/bin, /usr/bin, /bin)",
                   cmd);
}

static uint64_t task_caps(const struct exec_driver *ex, const json_t *cfg)
{
    struct buf ignore = BUF_INIT;
    uint64_t set = default_cap_set();
    uint64_t drop = cap_list(json_object_get(cfg, "cap_drop"), "", &ignore);
    uint64_t add = cap_list(json_object_get(cfg, "cap_add"), "", &ignore);

    buf_release(&ignore);
    set &= ~drop;
    set |= add & ex->allow_caps;
    return set;
}

static int join_cgroups(void *arg, pid_t pid, struct err *err)
{
    return cgroup_join(arg, pid, err);
}

/* What start() gathers before the spawn; released by release_prep(). */
struct exec_prep
{
    char *path;
    char **argv;
    char **envp;
    char rel[DRIVER_CGROUP_MAX];
    struct proc_cred cred;
    struct cgroup cg;
    bool have_cg;
    struct exec_root *root;
};

static void release_prep(struct exec_prep *p)
{
    free(p->path);
    driver__strv_free(p->argv);
    free(p->envp);
    exec_root_free(p->root);
}

static int prepare(struct exec_driver *ex,
                   const struct driver_task_spec *spec,
                   struct exec_prep *p,
                   struct err *err)
{
    const json_t *cfg = spec->config;
    const char *cmd = driver__config_str(cfg, "command", "");
    const char *user = spec->user && *spec->user ? spec->user : DEFAULT_USER;
    int rc;

    if (!driver__is_path_component(spec->alloc_id) ||
        !driver__is_path_component(spec->task_name))
        return err_set(err, ERR_INVALID,
                       "alloc id and task name must be "
                       "plain names");
    if (ex->cg_env.mode == CGROUP_MODE_NONE)
        return err_set(err, ERR_UNSUPPORTED, "cgroups unavailable: %s",
                       ex->cg_env.desc);
    rc = proc_cred_lookup(user, &p->cred, err);
    if (rc == 0)
        rc = resolve_command(spec, cmd, &p->path, err);
    if (rc == 0)
        rc = exec_root_plan(spec->dirs.task_dir, spec->dirs.alloc_dir, &p->root,
                            err);
    if (rc != 0)
        return rc;
    snprintf(p->rel, sizeof(p->rel), "%s/%s-%s", ex->cgroup_parent,
             spec->alloc_id, spec->task_name);
    rc = cgroup_create(&p->cg, &ex->cg_env, p->rel, err);
    if (rc != 0)
        return rc;
    p->have_cg = true;
    rc = cgroup_set_limits(&p->cg, &ex->cg_env, &spec->resources, err);
    if (rc != 0)
        return rc;
    p->argv = driver__strv_build(cmd, json_object_get(cfg, "args"));
    p->envp =
        driver__env_filter(spec->env, json_object_get(cfg, "denied_envvars"));
    return 0;
}

/* Validated before: anything but "host" means a namespace of its own. */
static bool mode_is_host(const json_t *cfg, const char *key, bool dflt)
{
    const char *v = driver__config_str(cfg, key, "");

    return *v == '\0' ? dflt : strcmp(v, "host") == 0;
}

static uint64_t clone_flags(const struct exec_driver *ex, const json_t *cfg)
{
    uint64_t flags = CLONE_NEWNS | CLONE_NEWUTS;

    if (!mode_is_host(cfg, "pid_mode", ex->pid_host_default))
        flags |= CLONE_NEWPID;
    if (!mode_is_host(cfg, "ipc_mode", ex->ipc_host_default))
        flags |= CLONE_NEWIPC;
    return flags;
}

static int spawn(struct exec_driver *ex,
                 const struct driver_task_spec *spec,
                 struct exec_prep *p,
                 struct proc_spawned *sp,
                 struct err *err)
{
    const json_t *cfg = spec->config;
    json_t *adj = json_object_get(cfg, "oom_score_adj");
    struct proc_spawn_opts o;
    char exit_path[DRIVER_PATH_MAX];

    memset(&o, 0, sizeof(o));
    o.exit_path = proc_exit_path(spec, exit_path) ? exit_path : NULL;
    o.path = p->path;
    o.argv = p->argv;
    o.envp = p->envp;
    o.cwd = driver__config_str(cfg, "work_dir", "/");
    o.stdout_fd = spec->stdout_fd;
    o.stderr_fd = spec->stderr_fd;
    o.clone_flags = clone_flags(ex, cfg);
    o.child_setup = exec_root_child_setup;
    o.child_step_name = exec_root_step_name;
    o.child_arg = p->root;
    o.parent_setup = join_cgroups;
    o.parent_arg = &p->cg;
    o.cred = &p->cred;
    o.limit_caps = true;
    o.caps = task_caps(ex, cfg);
    o.has_oom_score_adj = adj != NULL;
    o.oom_score_adj = (int)json_integer_value(adj);
    o.no_new_privs = true;
    return proc_spawn(&o, sp, err);
}

static int adopt(struct driver *d,
                 const struct driver_task_state *st,
                 struct cgroup *cg,
                 int pidfd,
                 struct driver_task **out)
{
    struct exec_task *et = xcalloc(1, sizeof(*et));
    int rc;

    et->pt.base.state = *st;
    et->cg = *cg; /* taken over */
    rc = proc_task_init(&et->pt, d, &exec_hooks, pidfd);
    if (rc != 0) {
        free(et);
        return rc;
    }
    *out = &et->pt.base;
    return 0;
}

static void fill_state(struct driver_task_state *st,
                       const struct driver_task_spec *spec,
                       const struct proc_spawned *sp,
                       const char *rel)
{
    memset(st, 0, sizeof(*st));
    snprintf(st->driver, sizeof(st->driver), "exec");
    st->pid = (int32_t)sp->pid;
    st->start_ticks = sp->start_ticks;
    st->started_unix_ms = time_wall_unix_ms();
    snprintf(st->cgroup, sizeof(st->cgroup), "%s", rel);
    st->kill_signal = spec->kill_signal > 0 ? spec->kill_signal : SIGINT;
    st->kill_timeout_ms = spec->kill_timeout_ms;
    proc_exit_path(spec, st->exit_path);
}

static int exec_start(struct driver *d,
                      const struct driver_task_spec *spec,
                      struct driver_task **out,
                      struct err *err)
{
    struct exec_driver *ex = d->impl;
    struct exec_prep p;
    struct proc_spawned sp;
    struct driver_task_state st;
    int rc;

    memset(&p, 0, sizeof(p));
    rc = prepare(ex, spec, &p, err);
    if (rc == 0)
        rc = spawn(ex, spec, &p, &sp, err);
    if (rc == 0) {
        fill_state(&st, spec, &sp, p.rel);
        rc = adopt(d, &st, &p.cg, sp.pidfd, out);
        if (rc != 0) {
            cgroup_kill(&p.cg);
            close(sp.pidfd);
            err_set(err, rc, "watching pid %d: %s", (int)sp.pid,
                    uv_strerror(rc));
        }
    }
    if (rc != 0 && p.have_cg) {
        /* A failed spawn was reaped: nothing holds the cgroups. */
        cgroup_remove(&p.cg);
        cgroup_release(&p.cg);
    }
    release_prep(&p);
    if (rc != 0) {
        err_wrap(err, "task \"%s\"", spec->task_name);
        return rc;
    }
    log_info(&d->log, "started task \"%s\" alloc=%s pid=%d cgroup=%s",
             spec->task_name, spec->alloc_id, (int)sp.pid, st.cgroup);
    return 0;
}

static int exec_recover(struct driver *d,
                        const struct driver_task_state *state,
                        struct driver_task **out,
                        struct err *err)
{
    struct exec_driver *ex = d->impl;
    struct cgroup cg;
    int pidfd, rc;

    rc = proc_attach(state, &pidfd, err);
    if (rc != 0)
        return rc;
    memset(&cg, 0, sizeof(cg));
    if (state->cgroup[0] != '\0')
        cgroup_open(&cg, &ex->cg_env, state->cgroup);
    rc = adopt(d, state, &cg, pidfd, out);
    if (rc != 0) {
        cgroup_release(&cg);
        close(pidfd);
        return err_set(err, rc, "watching pid %d: %s", (int)state->pid,
                       uv_strerror(rc));
    }
    log_info(&d->log, "recovered task pid=%d cgroup=%s", (int)state->pid,
             state->cgroup);
    return 0;
}

const struct driver_ops driver_exec_ops = {
    .name = "exec",
    .caps = {.send_signals = true, .fs_isolation = DRIVER_FS_ISOLATION_CHROOT},
    .init = exec_init,
    .release = exec_release,
    .fingerprint = exec_fingerprint,
    .validate_config = exec_validate,
    .start = exec_start,
    .recover = exec_recover,
    .wait = proc_task_wait,
    .signal = proc_task_signal,
    .stop = proc_task_stop,
    .inspect = proc_task_inspect,
    .usage = proc_task_usage,
    .destroy = proc_task_destroy,
    .close = proc_task_close,
};
