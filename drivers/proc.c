/*
 * Spawning host processes with clone3 and reattaching to them by pid and
 * start time. The task handle around the pidfd is in proc_task.c.
 *
 * Spawn protocol (the same shape as libuv's uv_spawn):
 *
 *   parent                               child
 *   ------                               -----
 *   block all signals
 *   clone3(CLONE_PIDFD | ns flags) ───►  reset signal dispositions, unblock
 *   restore signal mask                  read(go) ... waits
 *   read start time, parent_setup()
 *     (cgroups), write(go) ──────────►   setsid, stdio, child_setup (mounts,
 *                                        pivot_root), chdir, caps, uid/gid,
 *   read(report) ... waits               no_new_privs, execve
 *   EOF: exec worked   ◄─────────────    report pipe is O_CLOEXEC
 *   {step, errno}: failed ◄──────────    write(report), _exit(127)
 *
 * Signals are blocked across the clone so that no handler of the agent's
 * (libuv's writes to a pipe the loop reads) ever runs in the child. The
 * child uses raw syscalls for credentials: glibc's setuid() would try to
 * reach the agent's other threads, which do not exist in the child.
 */
#include "drivers/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/err.h"

/* ------------------------------------------------------------ capabilities */

static const char *const cap_names[] = {
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
};

#define CAP_NAMES_LEN ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int proc_cap_parse(const char *name)
{
    if (strncasecmp(name, "cap_", 4) == 0)
        name += 4;
    for (int i = 0; i < CAP_NAMES_LEN; i++) {
        if (strcasecmp(name, cap_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *proc_cap_name(int cap)
{
    return cap >= 0 && cap < CAP_NAMES_LEN ? cap_names[cap] : "unknown";
}

int proc_cap_last(void)
{
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    int last = CAP_NAMES_LEN - 1;

    if (f != NULL) {
        if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
            last = CAP_NAMES_LEN - 1;
        fclose(f);
    }
    return last;
}

/* ------------------------------------------------------------ users */

int proc_cred_lookup(const char *user, struct proc_cred *out, struct err *err)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    int ngroups = PROC_GROUPS_MAX;

    memset(out, 0, sizeof(*out));
    if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
        return err_set(err, ERR_INVALID, "unknown user \"%s\"", user);
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    /* When there are more groups than fit, the first ones are kept. */
    if (getgrouplist(user, pw.pw_gid, out->groups, &ngroups) == -1)
        ngroups = PROC_GROUPS_MAX;
    out->ngroups = (size_t)ngroups;
    return 0;
}

/* ------------------------------------------------------------ /proc */

bool proc_exit_path(const struct driver_task_spec *spec,
                    char out[DRIVER_PATH_MAX])
{
    int n = snprintf(out, DRIVER_PATH_MAX, "%s.exit", spec->dirs.task_dir);

    if (n < 0 || n >= DRIVER_PATH_MAX) {
        out[0] = '\0';
        return false;
    }
    return true;
}

/*
 * Fields of /proc/<pid>/stat after comm (which may hold spaces and ')'):
 * field k (1-based, as proc(5) numbers them) is at index k - 3.
 */
static int read_stat_fields(pid_t pid, unsigned long long *f, int nf)
{
    char path[64], data[1024], *p, *end;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -errno;
    n = read(fd, data, sizeof(data) - 1);
    close(fd);
    if (n <= 0)
        return -ENOENT;
    data[n] = '\0';
    p = strrchr(data, ')');
    if (p == NULL || p[1] != ' ')
        return -EINVAL;
    p += 2;
    /* Field 3 (state) is a letter. */
    while (*p != ' ' && *p != '\0')
        p++;
    f[0] = 0;
    for (int i = 1; i < nf; i++) {
        f[i] = strtoull(p, &end, 10);
        if (end == p)
            return -EINVAL;
        p = end;
    }
    return 0;
}

size_t proc_group_pids(pid_t pgid, int32_t *pids, size_t max)
{
    unsigned long long f[3];
    struct dirent *e;
    size_t n = 0;
    DIR *d;

    d = opendir("/proc");
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < max) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);

        if (*end != '\0' || pid <= 0 || pid == pgid)
            continue;
        /* f[2] is field 5, the process group. */
        if (read_stat_fields((pid_t)pid, f, 3) == 0 &&
            f[2] == (unsigned long long)pgid)
            pids[n++] = (int32_t)pid;
    }
    closedir(d);
    return n;
}

static uint64_t status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    size_t klen = strlen(key);
    unsigned long long v = 0;
    FILE *fp;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    fp = fopen(path, "re");
    if (fp == NULL)
        return 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            sscanf(line + klen + 1, "%llu", &v);
            break;
        }
    }
    fclose(fp);
    return (uint64_t)v * 1024;
}

int proc_usage_read(pid_t pid, struct driver_proc_usage *out)
{
    /* Fields 14 utime, 15 stime (clock ticks), 24 rss (pages). */
    unsigned long long f[22];
    long hz = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    int rc = read_stat_fields(pid, f, 22);

    if (rc != 0)
        return rc;
    if (hz <= 0)
        hz = 100;
    out->pid = (int32_t)pid;
    out->user_ns = (uint64_t)f[14 - 3] * (1000000000ULL / (uint64_t)hz);
    out->system_ns = (uint64_t)f[15 - 3] * (1000000000ULL / (uint64_t)hz);
    out->rss_bytes = (uint64_t)f[24 - 3] * (uint64_t)page;
    out->swap_bytes = status_kb(pid, "VmSwap");
    return 0;
}

int proc_exit_read(const char *path, struct driver_exit *exit)
{
    char data[64], word[16];
    ssize_t n;
    int fd, v;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -ENOENT;
    n = read(fd, data, sizeof(data) - 1);
    close(fd);
    if (n <= 0)
        return -ENOENT;
    data[n] = '\0';
    if (sscanf(data, "%15s %d", word, &v) != 2 || v < 0 || v > 255)
        return -EINVAL;
    memset(exit, 0, sizeof(*exit));
    exit->status_known = true;
    if (strcmp(word, "exit") == 0) {
        exit->exit_code = v;
        return 0;
    }
    if (strcmp(word, "signal") == 0 && v > 0 && v < 65) {
        exit->signal = v;
        exit->exit_code = 128 + v;
        return 0;
    }
    return -EINVAL;
}

int proc_start_ticks(pid_t pid, uint64_t *ticks)
{
    char path[64], data[1024], *p;
    unsigned long long v;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -errno;
    n = read(fd, data, sizeof(data) - 1);
    close(fd);
    if (n <= 0)
        return n == 0 ? -ENOENT : -errno;
    data[n] = '\0';
    /* comm (field 2) may hold spaces and ')', so count from the last ')'. */
    p = strrchr(data, ')');
    if (p == NULL)
        return -EINVAL;
    p++;
    /* Fields 3..21 come before starttime. */
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return -EINVAL;
        if (field == 22)
            break;
        while (*p != ' ' && *p != '\0')
            p++;
    }
    if (sscanf(p, "%llu", &v) != 1)
        return -EINVAL;
    *ticks = v;
    return 0;
}

int proc_attach(const struct driver_task_state *state,
                int *pidfd,
                struct err *err)
{
    uint64_t ticks;
    int fd, rc;

    *pidfd = -1;
    if (state->pid <= 0)
        return err_set(err, ERR_NOT_FOUND, "no process to recover");
    /* Open first, then check: if the start time still matches after the
     * pidfd exists, the pidfd refers to the process we started. */
    fd = pidfd_open(state->pid, 0);
    if (fd == -1) {
        rc = -errno;
        if (rc == -ESRCH)
            return err_set(err, ERR_NOT_FOUND, "process %d is gone",
                           (int)state->pid);
        return err_set(err, rc, "pidfd_open %d: %s", (int)state->pid,
                       strerror(-rc));
    }
    rc = proc_start_ticks(state->pid, &ticks);
    if (rc != 0) {
        close(fd);
        return err_set(err, ERR_NOT_FOUND, "process %d is gone: %s",
                       (int)state->pid, strerror(-rc));
    }
    if (ticks != state->start_ticks) {
        close(fd);
        return err_set(err, ERR_NOT_FOUND,
                       "pid %d was reused by another process (start time "
                       "%llu, expected %llu)",
                       (int)state->pid, (unsigned long long)ticks,
                       (unsigned long long)state->start_ticks);
    }
    *pidfd = fd;
    return 0;
}

/* ------------------------------------------------------------ the child */

enum child_step {
    STEP_SYNC = 1,
    STEP_SETSID,
    STEP_STDIO,
    STEP_OOM_SCORE,
    STEP_SETUP,
    STEP_CHDIR,
    STEP_CAPBSET,
    STEP_SETGROUPS,
    STEP_SETGID,
    STEP_SETUID,
    STEP_CAPSET,
    STEP_NO_NEW_PRIVS,
    STEP_EXEC,
};

struct child_report
{
    int32_t step;
    int32_t sub;
    int32_t errnum;
};

struct child_ctx
{
    const struct proc_spawn_opts *o;
    int in_fd, out_fd, err_fd; /* all >= 3, O_CLOEXEC */
    int go_fd;                 /* read end */
    int report_fd;             /* write end */
    int cap_last;
    int exit_fd; /* -1, or the supervisor's exit file (>= 3, O_CLOEXEC) */
};

static _Noreturn void child_fail(const struct child_ctx *c,
                                 int step,
                                 int sub,
                                 int errnum)
{
    struct child_report r = {step, sub, errnum};
    ssize_t n = write(c->report_fd, &r, sizeof(r));

    (void)n;
    _exit(127);
}

static void child_reset_signals(void)
{
    struct sigaction sa;
    sigset_t none;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL); /* glibc-reserved ones fail: fine */
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int child_write_file(const char *path, const char *s, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd == -1)
        return -errno;
    n = write(fd, s, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -EIO;
}

/* Formats v in decimal into buf without stdio (not async-signal-safe). */
static size_t child_itoa(int v, char *buf)
{
    char tmp[16];
    size_t n = 0, k = 0;
    unsigned u = v < 0 ? (unsigned)-(long)v : (unsigned)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        buf[k++] = '-';
    while (n > 0)
        buf[k++] = tmp[--n];
    return k;
}

static void child_caps(const struct child_ctx *c)
{
    const struct proc_spawn_opts *o = c->o;

    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= c->cap_last; cap++) {
        if ((o->caps >> cap) & 1)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL)
            child_fail(c, STEP_CAPBSET, cap, errno);
    }
}

static void child_creds(const struct child_ctx *c)
{
    const struct proc_cred *cr = c->o->cred;

    if (syscall(SYS_setgroups, cr->ngroups, cr->groups) == -1)
        child_fail(c, STEP_SETGROUPS, 0, errno);
    if (syscall(SYS_setresgid, cr->gid, cr->gid, cr->gid) == -1)
        child_fail(c, STEP_SETGID, 0, errno);
    if (syscall(SYS_setresuid, cr->uid, cr->uid, cr->uid) == -1)
        child_fail(c, STEP_SETUID, 0, errno);
}

/* A root task keeps only the allowed capabilities in its own sets too. */
static void child_capset(const struct child_ctx *c)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    uint32_t lo = (uint32_t)(c->o->caps & 0xffffffffu);
    uint32_t hi = (uint32_t)(c->o->caps >> 32);

    data[0].effective = data[0].permitted = data[0].inheritable = lo;
    data[1].effective = data[1].permitted = data[1].inheritable = hi;
    if (syscall(SYS_capset, &hdr, data) == -1)
        child_fail(c, STEP_CAPSET, 0, errno);
}

/* ------------------------------------------------------------ supervisor */

/*
 * The supervisor is the forked child itself, never exec'd: it must stay
 * async-signal-safe (no malloc, no stdio), as the rest of the child.
 */
static volatile pid_t shim_child;

static void shim_forward(int sig)
{
    int saved = errno;

    kill(shim_child, sig);
    errno = saved;
}

static void shim_write(int fd, const char *word, int v)
{
    char line[32];
    size_t n = strlen(word);
    ssize_t w;

    memcpy(line, word, n);
    line[n++] = ' ';
    n += child_itoa(v, line + n);
    line[n++] = '\n';
    w = pwrite(fd, line, n, 0);
    (void)w;
}

/*
 * Forks the program's process off and stays as its parent until it ends.
 * Returns only in the program's process. The supervisor holds no fd but
 * the exit file, so pipes to the program see EOF when it ends.
 */
static void child_shim(const struct child_ctx *c)
{
    struct proc_clone_args_min
    {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
        uint64_t stack, stack_size, tls;
    } args;
    struct sigaction sa;
    sigset_t all, none;
    int status = 0;
    pid_t pid, r;

    sigfillset(&all);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &all, NULL);
    memset(&args, 0, sizeof(args));
    args.exit_signal = SIGCHLD;
    /* A raw clone: glibc's and the sanitizers' fork() take locks another
     * thread of the agent may have held when this child was cloned. */
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (pid == -1 && errno == ENOSYS)
        pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        close(c->exit_fd);
        sigprocmask(SIG_SETMASK, &none, NULL);
        return;
    }
    if (pid == -1)
        child_fail(c, STEP_EXEC, 1, errno);
    shim_child = pid;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = shim_forward;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD)
            sigaction(s, &sa, NULL);
    }
    /* The report pipe closes here too: the agent learns that the program
     * is started only once exec succeeds or fails (its own report). */
    close(0);
    close(1);
    close(2);
    if (c->exit_fd > 3)
        close_range(3, (unsigned)c->exit_fd - 1, 0);
    close_range((unsigned)c->exit_fd + 1, ~0U, 0);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (;;) {
        r = waitpid(-1, &status, 0);
        if (r == pid)
            break;
        if (r == -1 && errno != EINTR)
            _exit(127);
    }
    if (WIFSIGNALED(status)) {
        shim_write(c->exit_fd, "signal", WTERMSIG(status));
        _exit(128 + WTERMSIG(status));
    }
    shim_write(c->exit_fd, "exit", WEXITSTATUS(status));
    _exit(WEXITSTATUS(status));
}

static _Noreturn void child_main(const struct child_ctx *c)
{
    const struct proc_spawn_opts *o = c->o;
    char byte, num[16];
    int sub = 0, rc;
    size_t n;

    child_reset_signals();
    if (read(c->go_fd, &byte, 1) != 1)
        child_fail(c, STEP_SYNC, 0, ECANCELED);
    if (setsid() == -1)
        child_fail(c, STEP_SETSID, 0, errno);
    if (dup2(c->in_fd, 0) == -1 || dup2(c->out_fd, 1) == -1 ||
        dup2(c->err_fd, 2) == -1)
        child_fail(c, STEP_STDIO, 0, errno);
    if (o->has_oom_score_adj) {
        n = child_itoa(o->oom_score_adj, num);
        rc = child_write_file("/proc/self/oom_score_adj", num, n);
        if (rc != 0)
            child_fail(c, STEP_OOM_SCORE, 0, -rc);
    }
    if (o->child_setup != NULL) {
        rc = o->child_setup(o->child_arg, &sub);
        if (rc != 0)
            child_fail(c, STEP_SETUP, sub, -rc);
    }
    if (o->cwd != NULL && chdir(o->cwd) == -1)
        child_fail(c, STEP_CHDIR, 0, errno);
    if (o->limit_caps)
        child_caps(c);
    if (o->cred != NULL)
        child_creds(c);
    if (o->limit_caps && (o->cred == NULL || o->cred->uid == 0))
        child_capset(c);
    if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
        child_fail(c, STEP_NO_NEW_PRIVS, 0, errno);
    /* The agent's sockets and files must not leak into tasks; the report
     * pipe, being O_CLOEXEC too, stays open until execve succeeds. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
        for (int fd = 3; fd < 4096; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (c->exit_fd >= 0)
        child_shim(c);
    execve(o->path, o->argv, o->envp);
    child_fail(c, STEP_EXEC, 0, errno);
}

/* ------------------------------------------------------------ the parent */

/* struct clone_args of <linux/sched.h> up to tls (CLONE_ARGS_SIZE_VER0). */
struct proc_clone_args
{
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
};

static const char *step_name(const struct proc_spawn_opts *o,
                             const struct child_report *r,
                             char *buf,
                             size_t size)
{
    switch (r->step) {
    case STEP_SYNC:
        return "waiting for the agent";
    case STEP_SETSID:
        return "setsid";
    case STEP_STDIO:
        return "redirecting stdio";
    case STEP_OOM_SCORE:
        return "setting oom_score_adj";
    case STEP_SETUP:
        return o->child_step_name ? o->child_step_name(o->child_arg, r->sub)
                                  : "setup";
    case STEP_CHDIR:
        snprintf(buf, size, "chdir %s", o->cwd);
        return buf;
    case STEP_CAPBSET:
        snprintf(buf, size, "dropping capability %d", (int)r->sub);
        return buf;
    case STEP_SETGROUPS:
        return "setgroups";
    case STEP_SETGID:
        return "setgid";
    case STEP_SETUID:
        return "setuid";
    case STEP_CAPSET:
        return "capset";
    case STEP_NO_NEW_PRIVS:
        return "no_new_privs";
    case STEP_EXEC:
        snprintf(buf, size, "exec %s", o->path);
        return buf;
    }
    return "spawn";
}

static pid_t do_clone(const struct proc_spawn_opts *o, int *pidfd)
{
    struct proc_clone_args args;
    pid_t pid;

    memset(&args, 0, sizeof(args));
    args.flags = CLONE_PIDFD | o->clone_flags;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (pid != -1 || errno != ENOSYS || o->clone_flags != 0)
        return pid;
    /* Kernels before 5.3: no namespaces asked for, so fork will do. */
    pid = fork();
    if (pid > 0) {
        *pidfd = pidfd_open(pid, 0);
        if (*pidfd == -1) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
    }
    return pid;
}

int proc_probe_clone(uint64_t flags)
{
    struct proc_clone_args args;
    pid_t pid;
    int status;

    memset(&args, 0, sizeof(args));
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (pid == -1)
        return -errno;
    if (pid == 0)
        _exit(0);
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
    }
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Reads the child's report: 0 when it exec'd, 1 when a report came. */
static int read_report(int fd, struct child_report *r)
{
    size_t got = 0;
    ssize_t n;

    while (got < sizeof(*r)) {
        n = read(fd, (char *)r + got, sizeof(*r) - got);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got == sizeof(*r) ? 1 : 0;
}

static void reap_failed(int pidfd)
{
    siginfo_t si;

    while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) == -1 &&
           errno == EINTR) {
    }
}

struct spawn_fds
{
    int go[2];
    int report[2];
    int in, out, errf;
    int exitf;
};

static int open_fds(const struct proc_spawn_opts *o,
                    struct spawn_fds *f,
                    struct err *err)
{
    f->go[0] = f->go[1] = f->report[0] = f->report[1] = -1;
    f->in = f->out = f->errf = f->exitf = -1;
    if (o->exit_path != NULL) {
        f->exitf =
            open(o->exit_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (f->exitf != -1 && f->exitf < 3) {
            int fd = fcntl(f->exitf, F_DUPFD_CLOEXEC, 3);

            close(f->exitf);
            f->exitf = fd;
        }
        if (f->exitf == -1)
            return err_set(err, -errno, "open %s: %s", o->exit_path,
                           strerror(errno));
    }
    /* Copies at 3 or above, so the child's dup2 onto 0..2 never clobbers
     * one it has yet to copy. */
    f->in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (f->in != -1 && f->in < 3) {
        int fd = fcntl(f->in, F_DUPFD_CLOEXEC, 3);

        close(f->in);
        f->in = fd;
    }
    if (f->in == -1)
        return err_set(err, -errno, "open /dev/null: %s", strerror(errno));
    f->out = fcntl(o->stdout_fd, F_DUPFD_CLOEXEC, 3);
    if (f->out == -1)
        return err_set(err, -errno, "stdout fd %d: %s", o->stdout_fd,
                       strerror(errno));
    f->errf = fcntl(o->stderr_fd, F_DUPFD_CLOEXEC, 3);
    if (f->errf == -1)
        return err_set(err, -errno, "stderr fd %d: %s", o->stderr_fd,
                       strerror(errno));
    if (pipe2(f->go, O_CLOEXEC) == -1 || pipe2(f->report, O_CLOEXEC) == -1)
        return err_set(err, -errno, "pipe: %s", strerror(errno));
    return 0;
}

static void close_fds(struct spawn_fds *f)
{
    close_fd(&f->go[0]);
    close_fd(&f->go[1]);
    close_fd(&f->report[0]);
    close_fd(&f->report[1]);
    close_fd(&f->in);
    close_fd(&f->out);
    close_fd(&f->errf);
    close_fd(&f->exitf);
}

/* Lets the child go on (or, when setup failed, makes it give up). */
static int release_child(const struct proc_spawn_opts *o,
                         struct spawn_fds *f,
                         struct proc_spawned *out,
                         struct err *err)
{
    int rc = proc_start_ticks(out->pid, &out->start_ticks);

    if (rc != 0)
        err_set(err, rc, "reading start time of %d: %s", (int)out->pid,
                strerror(-rc));
    if (rc == 0 && o->parent_setup != NULL)
        rc = o->parent_setup(o->parent_arg, out->pid, err);
    if (rc == 0 && write(f->go[1], "g", 1) != 1)
        rc = err_set(err, -errno, "releasing child: %s", strerror(errno));
    close_fd(&f->go[1]);
    return rc;
}

int proc_spawn(const struct proc_spawn_opts *o,
               struct proc_spawned *out,
               struct err *err)
{
    struct spawn_fds f;
    struct child_ctx c;
    struct child_report r;
    sigset_t all, old;
    char buf[160];
    int pidfd = -1, rc;

    memset(out, 0, sizeof(*out));
    out->pidfd = -1;
    rc = open_fds(o, &f, err);
    if (rc != 0) {
        close_fds(&f);
        return rc;
    }
    c = (struct child_ctx){o,       f.in,        f.out,           f.errf,
                           f.go[0], f.report[1], proc_cap_last(), f.exitf};
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    out->pid = do_clone(o, &pidfd);
    if (out->pid == 0)
        child_main(&c);
    rc = -errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (out->pid == -1) {
        close_fds(&f);
        return err_set(err, rc, "clone3: %s", strerror(-rc));
    }
    close_fd(&f.go[0]);
    close_fd(&f.report[1]);
    rc = release_child(o, &f, out, err);
    if (read_report(f.report[0], &r) == 1 && rc == 0)
        rc = err_set(err, -r.errnum, "%s: %s",
                     step_name(o, &r, buf, sizeof(buf)), strerror(r.errnum));
    close_fds(&f);
    if (rc != 0) {
        /* The child never exec'd, or exec'd into a setup we could not
         * finish (cgroups): either way it must not run. */
        pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        reap_failed(pidfd);
        close(pidfd);
        out->pid = 0;
        return rc;
    }
    out->pidfd = pidfd;
    return 0;
}
