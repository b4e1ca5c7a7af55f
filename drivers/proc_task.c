/*
 * The task handle of raw_exec and exec: a pidfd watched by a uv_poll_t.
 *
 *   RUNNING ──pidfd readable──► kill_all (the rest of the group/cgroup),
 *      │                         reap (waitid P_PIDFD) ──► EXITED
 *      │ stop: kill_signal, kill_timer(kill_timeout) ──► kill_all + SIGKILL
 *      │ destroy: kill_all + SIGKILL, then as below once EXITED
 *      ▼
 *   EXITED ──destroy──► cleanup (cgroups; retried while busy) ──► close
 *   any ─────close────► close: three handles, then free and call back
 *
 * A recovered task is usually not our child, so waitid fails with ECHILD;
 * its exit status comes from the file its supervisor wrote (proc.h,
 * exit_path), and is unknown (status_known = false) only without one.
 */
#include "drivers/proc.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/time.h"

/* cgroups of a SIGKILLed task empty within milliseconds; past this much
 * retrying something is stuck (D state) and we leave the directory. */
#define CLEANUP_RETRY_MS 10
#define CLEANUP_TRIES_MAX 300

static struct proc_task *to_pt(struct driver_task *t)
{
    return (struct proc_task *)t;
}

/* ------------------------------------------------------------ callbacks */

/* Calls back whoever waits for the exit; pt may start closing inside. */
static void notify(struct proc_task *pt)
{
    driver_stop_cb stop_cb = pt->stop_cb;
    driver_exit_cb wait_cb;

    if (!pt->exited || pt->closing || pt->destroying)
        return;
    if (stop_cb != NULL) {
        pt->stop_cb = NULL;
        stop_cb(&pt->base, pt->stop_arg);
        if (pt->closing || pt->destroying)
            return;
    }
    wait_cb = pt->wait_cb;
    if (wait_cb != NULL) {
        pt->wait_cb = NULL;
        wait_cb(&pt->base, &pt->exit, pt->wait_arg);
    }
}

static void on_notify_timer(uv_timer_t *h)
{
    notify(h->data);
}

static void defer_notify(struct proc_task *pt)
{
    uv_timer_start(&pt->notify_timer, on_notify_timer, 0, 0);
}

/* ------------------------------------------------------------ closing */

static void on_handle_closed(uv_handle_t *h)
{
    struct proc_task *pt = h->data;
    driver_close_cb cb;
    void *arg;

    if (--pt->pending_closes > 0)
        return;
    cb = pt->close_cb;
    arg = pt->close_arg;
    if (pt->pidfd >= 0)
        close(pt->pidfd);
    pt->hooks->free(pt);
    if (cb != NULL)
        cb(arg);
}

static void close_handles(struct proc_task *pt)
{
    pt->closing = true;
    pt->pending_closes = 3;
    uv_close((uv_handle_t *)&pt->poll, on_handle_closed);
    uv_close((uv_handle_t *)&pt->kill_timer, on_handle_closed);
    uv_close((uv_handle_t *)&pt->notify_timer, on_handle_closed);
}

static void cleanup_step(struct proc_task *pt);

static void on_cleanup_retry(uv_timer_t *h)
{
    cleanup_step(h->data);
}

static void cleanup_step(struct proc_task *pt)
{
    int rc = pt->hooks->cleanup ? pt->hooks->cleanup(pt) : 0;

    if (rc == -EBUSY && pt->cleanup_tries++ < CLEANUP_TRIES_MAX) {
        pt->hooks->kill_all(pt);
        uv_timer_start(&pt->kill_timer, on_cleanup_retry, CLEANUP_RETRY_MS, 0);
        return;
    }
    if (rc != 0)
        log_warn(&pt->base.driver->log, "task pid=%d: cleanup failed: %s",
                 (int)pt->base.state.pid, err_str(rc));
    close_handles(pt);
}

/* ------------------------------------------------------------ exit */

static void decode_status(const siginfo_t *si, struct driver_exit *exit)
{
    exit->status_known = true;
    if (si->si_code == CLD_EXITED) {
        exit->exit_code = si->si_status;
        return;
    }
    /* Killed or dumped: Nomad reports the signal and 128 + signal. */
    exit->signal = si->si_status;
    exit->exit_code = 128 + si->si_status;
}

/*
 * Reaps the main process when it has exited. Returns 0 when pt->exit is
 * filled, -EAGAIN when the process still runs.
 */
static int reap(struct proc_task *pt)
{
    siginfo_t si;
    int rc;

    /* Peek first: kill_all must run while the zombie still pins its pid
     * and process group id, and only once the process really exited. */
    memset(&si, 0, sizeof(si));
    rc = waitid((idtype_t)P_PIDFD, (id_t)pt->pidfd, &si,
                WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && si.si_pid == 0)
        return -EAGAIN;
    if (rc == -1 && errno == EINTR)
        return -EAGAIN;
    pt->hooks->kill_all(pt);
    memset(&pt->exit, 0, sizeof(pt->exit));
    if (pt->base.state.exit_path[0] != '\0' &&
        proc_exit_read(pt->base.state.exit_path, &pt->exit) == 0) {
        /* Reap our child all the same; its status is the supervisor's. */
        if (rc == 0)
            waitid((idtype_t)P_PIDFD, (id_t)pt->pidfd, &si, WEXITED | WNOHANG);
        return 0;
    }
    if (rc == -1) {
        snprintf(pt->exit.message, sizeof(pt->exit.message),
                 "exit status unknown: %s",
                 errno == ECHILD ? "not our child (recovered task)"
                                 : strerror(errno));
        return 0;
    }
    memset(&si, 0, sizeof(si));
    if (waitid((idtype_t)P_PIDFD, (id_t)pt->pidfd, &si, WEXITED | WNOHANG) ==
            -1 ||
        si.si_pid == 0) {
        snprintf(pt->exit.message, sizeof(pt->exit.message),
                 "exit status lost");
        return 0;
    }
    decode_status(&si, &pt->exit);
    return 0;
}

static void on_pidfd(uv_poll_t *h, int status, int events)
{
    struct proc_task *pt = h->data;

    (void)events;
    if (pt->closing || pt->exited)
        return;
    if (status < 0)
        log_warn(&pt->base.driver->log, "task pid=%d: poll: %s",
                 (int)pt->base.state.pid, uv_strerror(status));
    if (reap(pt) != 0)
        return;
    uv_poll_stop(&pt->poll);
    uv_timer_stop(&pt->kill_timer);
    pt->exited = true;
    pt->exited_unix_ms = time_wall_unix_ms();
    if (pt->hooks->exited != NULL)
        pt->hooks->exited(pt, &pt->exit);
    log_info(&pt->base.driver->log,
             "task pid=%d exited: code=%d signal=%d oom=%d known=%d",
             (int)pt->base.state.pid, pt->exit.exit_code, pt->exit.signal,
             pt->exit.oom_killed, pt->exit.status_known);
    if (pt->destroying) {
        cleanup_step(pt);
        return;
    }
    notify(pt);
}

/* ------------------------------------------------------------ killing */

static void force_kill(struct proc_task *pt)
{
    pt->hooks->kill_all(pt);
    if (pidfd_send_signal(pt->pidfd, SIGKILL, NULL, 0) == -1 && errno != ESRCH)
        log_warn(&pt->base.driver->log, "task pid=%d: SIGKILL: %s",
                 (int)pt->base.state.pid, strerror(errno));
}

static void on_kill_timeout(uv_timer_t *h)
{
    struct proc_task *pt = h->data;

    if (pt->closing || pt->exited)
        return;
    log_info(&pt->base.driver->log,
             "task pid=%d: kill_timeout passed, sending SIGKILL",
             (int)pt->base.state.pid);
    force_kill(pt);
}

/* ------------------------------------------------------------ ops */

int proc_task_init(struct proc_task *pt,
                   struct driver *d,
                   const struct proc_task_hooks *hooks,
                   int pidfd)
{
    int rc;

    pt->base.driver = d;
    pt->hooks = hooks;
    pt->pidfd = -1;
    rc = uv_poll_init(d->loop, &pt->poll, pidfd);
    if (rc != 0)
        return rc;
    pt->pidfd = pidfd;
    pt->poll.data = pt;
    uv_timer_init(d->loop, &pt->kill_timer);
    pt->kill_timer.data = pt;
    uv_timer_init(d->loop, &pt->notify_timer);
    pt->notify_timer.data = pt;
    /* Cannot fail: uv_poll_init() already checked the fd with epoll. */
    rc = uv_poll_start(&pt->poll, UV_READABLE, on_pidfd);
    assert(rc == 0);
    return 0;
}

void proc_task_wait(struct driver_task *t, driver_exit_cb cb, void *arg)
{
    struct proc_task *pt = to_pt(t);

    assert(!pt->closing && !pt->destroying);
    pt->wait_cb = cb;
    pt->wait_arg = arg;
    if (pt->exited)
        defer_notify(pt);
}

int proc_task_signal(struct driver_task *t, int signo, struct err *err)
{
    struct proc_task *pt = to_pt(t);

    if (pt->exited)
        return err_set(err, ERR_STATE, "task has exited");
    if (pidfd_send_signal(pt->pidfd, signo, NULL, 0) == -1)
        return err_set(err, -errno, "signal %d: %s", signo, strerror(errno));
    return 0;
}

void proc_task_stop(struct driver_task *t, driver_stop_cb cb, void *arg)
{
    struct proc_task *pt = to_pt(t);
    int sig = t->state.kill_signal > 0 ? t->state.kill_signal : SIGINT;

    assert(!pt->closing && !pt->destroying);
    pt->stop_cb = cb;
    pt->stop_arg = arg;
    if (pt->exited) {
        defer_notify(pt);
        return;
    }
    if (pt->stopping)
        return;
    pt->stopping = true;
    if (t->state.kill_timeout_ms == 0) {
        force_kill(pt);
        return;
    }
    if (pidfd_send_signal(pt->pidfd, sig, NULL, 0) == -1 && errno != ESRCH)
        log_warn(&t->driver->log, "task pid=%d: signal %d: %s",
                 (int)t->state.pid, sig, strerror(errno));
    /* The loop's cached time may be stale outside a callback; the grace
     * period must not come out short. */
    uv_update_time(t->driver->loop);
    uv_timer_start(&pt->kill_timer, on_kill_timeout, t->state.kill_timeout_ms,
                   0);
}

void proc_task_inspect(struct driver_task *t, struct driver_task_status *out)
{
    struct proc_task *pt = to_pt(t);

    out->state = pt->exited ? DRIVER_TASK_EXITED : DRIVER_TASK_RUNNING;
    out->pid = t->state.pid;
    out->started_unix_ms = t->state.started_unix_ms;
    out->exited_unix_ms = pt->exited ? pt->exited_unix_ms : 0;
    if (pt->exited)
        out->exit = pt->exit;
    if (!pt->exited && pt->hooks->memory_bytes != NULL)
        out->memory_bytes = pt->hooks->memory_bytes(pt);
    memcpy(out->cgroup, t->state.cgroup, sizeof(out->cgroup));
}

void proc_task_usage(struct driver_task *t, struct driver_task_usage *out)
{
    struct proc_task *pt = to_pt(t);
    int32_t pids[DRIVER_PIDS_MAX];
    size_t n;

    if (pt->exited || pt->hooks->pids == NULL)
        return;
    n = pt->hooks->pids(pt, pids, DRIVER_PIDS_MAX);
    for (size_t i = 0; i < n; i++) {
        struct driver_proc_usage *p = &out->pids[out->npids];

        if (proc_usage_read(pids[i], p) != 0)
            continue; /* gone meanwhile */
        out->npids++;
        out->rss_bytes += p->rss_bytes;
        out->swap_bytes += p->swap_bytes;
        out->user_ns += p->user_ns;
        out->system_ns += p->system_ns;
    }
    out->measured = true;
    if (pt->hooks->memory_bytes != NULL && t->state.cgroup[0] != '\0') {
        out->usage_bytes = pt->hooks->memory_bytes(pt);
        out->cgroup = true;
    }
}

void proc_task_destroy(struct driver_task *t, driver_close_cb cb, void *arg)
{
    struct proc_task *pt = to_pt(t);

    assert(!pt->closing && !pt->destroying);
    pt->destroying = true;
    pt->close_cb = cb;
    pt->close_arg = arg;
    pt->wait_cb = NULL;
    pt->stop_cb = NULL;
    uv_timer_stop(&pt->notify_timer);
    uv_timer_stop(&pt->kill_timer);
    if (!pt->exited) {
        force_kill(pt); /* on_pidfd goes on with the cleanup */
        return;
    }
    cleanup_step(pt);
}

void proc_task_close(struct driver_task *t, driver_close_cb cb, void *arg)
{
    struct proc_task *pt = to_pt(t);

    assert(!pt->closing && !pt->destroying);
    pt->close_cb = cb;
    pt->close_arg = arg;
    pt->wait_cb = NULL;
    pt->stop_cb = NULL;
    close_handles(pt);
}
