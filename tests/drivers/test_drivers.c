/*
 * Tests of the task drivers with real processes on a real loop: raw_exec,
 * exec (namespaces, chroot, cgroups; needs root) and the mock driver.
 *
 * Every wait is for an event (exit, output, a pidfd turning readable)
 * bounded by a guard timer; nothing sleeps in place of a condition. The
 * tasks' own scripts may sleep: that is what the task does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "drivers/driver.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/time.h"
#include "tests/harness/test.h"

#define WAIT_MS 10000
#define MAX_TRACKED 16

/* ------------------------------------------------------------ fixture */

struct capture
{
    uv_pipe_t pipe;
    int write_fd;
    struct buf data;
    bool eof;
};

struct exit_rec
{
    bool done;
    struct driver_exit exit;
};

static struct
{
    uv_loop_t loop;
    uv_timer_t guard;
    bool guard_fired;
    char *tmp;
    char *alloc_dir, *task_dir, *local_dir, *secrets_dir, *tmp_dir;
    struct driver *drv;
    struct capture out, err;
    char alloc_id[32]; /* unique, so parallel runs get their own cgroups */
    char *env[8];
    /* Tasks to kill should a test fail before it cleans up. */
    int pidfds[MAX_TRACKED];
    pid_t pids[MAX_TRACKED];
    size_t tracked;
} f;

static void on_read_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
    (void)h;
    b->base = xmalloc(size);
    b->len = size;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct capture *c = s->data;

    if (n > 0)
        buf_append(&c->data, b->base, (size_t)n);
    if (n < 0) {
        c->eof = true;
        uv_read_stop(s);
    }
    free(b->base);
}

static void capture_init(struct capture *c)
{
    int fds[2];

    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    buf_init(&c->data);
    c->eof = false;
    c->write_fd = fds[1];
    ck_assert_int_eq(uv_pipe_init(&f.loop, &c->pipe, 0), 0);
    c->pipe.data = c;
    ck_assert_int_eq(uv_pipe_open(&c->pipe, fds[0]), 0);
    ck_assert_int_eq(
        uv_read_start((uv_stream_t *)&c->pipe, on_read_alloc, on_read), 0);
}

/* The task holds its own copies; ours would keep EOF from coming. */
static void capture_close_writer(struct capture *c)
{
    if (c->write_fd >= 0)
        close(c->write_fd);
    c->write_fd = -1;
}

static void kill_tracked(void)
{
    struct pollfd p;

    for (size_t i = 0; i < f.tracked; i++) {
        p = (struct pollfd){.fd = f.pidfds[i], .events = POLLIN};
        if (poll(&p, 1, 0) == 0) {
            kill(-f.pids[i], SIGKILL);
            pidfd_send_signal(f.pidfds[i], SIGKILL, NULL, 0);
        }
        close(f.pidfds[i]);
    }
    f.tracked = 0;
}

static void track(const struct driver_task *t)
{
    int fd;

    if (t->state.pid <= 0 || f.tracked >= MAX_TRACKED)
        return;
    fd = pidfd_open(t->state.pid, 0);
    if (fd == -1)
        return;
    f.pids[f.tracked] = t->state.pid;
    f.pidfds[f.tracked++] = fd;
}

static char *make_dir(const char *parent, const char *name, mode_t mode)
{
    char *p = xasprintf("%s/%s", parent, name);

    ck_assert_int_eq(mkdir(p, mode), 0);
    ck_assert_int_eq(chmod(p, mode), 0);
    return p;
}

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    log_set_level(LOG_WARN);
    ck_assert_int_eq(uv_loop_init(&f.loop), 0);
    uv_timer_init(&f.loop, &f.guard);
    f.guard.data = &f.guard_fired;
    f.tmp = test_tmpdir();
    ck_assert_int_eq(chmod(f.tmp, 0755), 0);
    f.alloc_dir = make_dir(f.tmp, "alloc", 0777);
    f.task_dir = make_dir(f.tmp, "web", 0755);
    f.local_dir = make_dir(f.task_dir, "local", 0777);
    f.secrets_dir = make_dir(f.task_dir, "secrets", 0777);
    f.tmp_dir = make_dir(f.task_dir, "tmp", 01777);
    capture_init(&f.out);
    capture_init(&f.err);
    snprintf(f.alloc_id, sizeof(f.alloc_id), "test%d", (int)getpid());
    f.env[0] = "PATH=/usr/local/bin:/usr/bin:/bin";
    f.env[1] = "FOO=bar baz";
    f.env[2] = "NOMAD_TASK_NAME=web";
    f.env[3] = NULL;
    atexit(kill_tracked);
}

static void on_closed_handle(uv_handle_t *h)
{
    (void)h;
}

/* Refuses to delete a tree that still has mounts in our namespace: with a
 * bind of /usr under it that would be a disaster. */
static bool has_mounts_under(const char *dir)
{
    struct buf b = BUF_INIT;
    bool found;

    buf_read_file(&b, "/proc/self/mountinfo", NULL);
    found = strstr(buf_str(&b), dir) != NULL;
    buf_release(&b);
    return found;
}

static void teardown(void)
{
    kill_tracked();
    capture_close_writer(&f.out);
    capture_close_writer(&f.err);
    uv_close((uv_handle_t *)&f.out.pipe, on_closed_handle);
    uv_close((uv_handle_t *)&f.err.pipe, on_closed_handle);
    uv_close((uv_handle_t *)&f.guard, on_closed_handle);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&f.loop), 0);
    driver_free(f.drv);
    buf_release(&f.out.data);
    buf_release(&f.err.data);
    if (!has_mounts_under(f.tmp))
        test_rmtree(f.tmp);
    else
        fprintf(stderr, "# mounts left under %s; not removing it\n", f.tmp);
    free(f.alloc_dir);
    free(f.task_dir);
    free(f.local_dir);
    free(f.secrets_dir);
    free(f.tmp_dir);
    free(f.tmp);
}

/* ------------------------------------------------------------ helpers */

typedef bool (*pred_cb)(void *arg);

static void on_guard(uv_timer_t *h)
{
    *(bool *)h->data = true;
}

/* Runs the loop until pred holds or timeout_ms pass; returns pred. */
static bool run_until(pred_cb pred, void *arg, uint64_t timeout_ms)
{
    f.guard_fired = false;
    uv_timer_start(&f.guard, on_guard, timeout_ms, 0);
    while (!pred(arg) && !f.guard_fired)
        uv_run(&f.loop, UV_RUN_ONCE);
    uv_timer_stop(&f.guard);
    return pred(arg);
}

static bool is_true(void *arg)
{
    return *(bool *)arg;
}

static bool exit_done(void *arg)
{
    return ((struct exit_rec *)arg)->done;
}

struct output_want
{
    struct capture *c;
    const char *text;
};

static bool output_has(void *arg)
{
    struct output_want *w = arg;

    return strstr(buf_str(&w->c->data), w->text) != NULL;
}

static bool output_eof(void *arg)
{
    return ((struct capture *)arg)->eof;
}

static void wait_output(struct capture *c, const char *text)
{
    struct output_want w = {c, text};

    ck_assert_msg(run_until(output_has, &w, WAIT_MS),
                  "no \"%s\" in output \"%s\"", text, buf_str(&c->data));
}

static void on_exit_cb(struct driver_task *t,
                       const struct driver_exit *exit,
                       void *arg)
{
    struct exit_rec *r = arg;

    (void)t;
    r->exit = *exit;
    r->done = true;
}

static void wait_exit(struct driver_task *t, struct exit_rec *r)
{
    memset(r, 0, sizeof(*r));
    driver_task_wait(t, on_exit_cb, r);
    ck_assert_msg(run_until(exit_done, r, WAIT_MS), "task did not exit");
}

static void on_stopped(struct driver_task *t, void *arg)
{
    (void)t;
    *(bool *)arg = true;
}

static void on_freed(void *arg)
{
    *(bool *)arg = true;
}

static void destroy_task(struct driver_task *t)
{
    bool freed = false;

    driver_task_destroy(t, on_freed, &freed);
    ck_assert(run_until(is_true, &freed, WAIT_MS));
}

static void new_driver(const char *name, const char *plugin_json)
{
    json_t *cfg = plugin_json ? json_loads(plugin_json, 0, NULL) : NULL;
    struct err err = ERR_INIT;

    ck_assert_msg(driver_new(&f.loop, name, cfg, &f.drv, &err) == 0, "%s",
                  err.msg);
    json_decref(cfg);
}

static json_t *sh_config(const char *script)
{
    return json_pack("{s:s, s:[s, s]}", "command", "/bin/sh", "args", "-c",
                     script);
}

static void spec_init(struct driver_task_spec *s, const json_t *config)
{
    memset(s, 0, sizeof(*s));
    s->task_name = "web";
    s->alloc_id = f.alloc_id;
    s->config = config;
    s->env = f.env;
    s->dirs.task_dir = f.task_dir;
    s->dirs.alloc_dir = f.alloc_dir;
    s->dirs.local_dir = f.local_dir;
    s->dirs.secrets_dir = f.secrets_dir;
    s->dirs.tmp_dir = f.tmp_dir;
    s->stdout_fd = f.out.write_fd;
    s->stderr_fd = f.err.write_fd;
    s->kill_signal = SIGINT;
    s->kill_timeout_ms = 5000;
}

/* Starts spec and hands the task's copies of stdout/stderr to it alone. */
static struct driver_task *start_spec(const struct driver_task_spec *s)
{
    struct driver_task *t = NULL;
    struct err err = ERR_INIT;

    ck_assert_msg(driver_start(f.drv, s, &t, &err) == 0, "start: %s", err.msg);
    ck_assert_ptr_nonnull(t);
    track(t);
    capture_close_writer(&f.out);
    capture_close_writer(&f.err);
    return t;
}

static struct driver_task *start_sh(const char *script)
{
    struct driver_task_spec s;
    json_t *cfg = sh_config(script);
    struct driver_task *t;

    spec_init(&s, cfg);
    t = start_spec(&s);
    json_decref(cfg);
    return t;
}

/* Validates config (JSON text) and returns the error message. */
static const char *validate(const char *config_json, struct err *err)
{
    json_t *cfg = json_loads(config_json, 0, NULL);
    int rc;

    ck_assert_ptr_nonnull(cfg);
    err_clear(err);
    rc = driver_validate_config(f.drv, cfg, err);
    json_decref(cfg);
    ck_assert_int_eq(rc, ERR_INVALID);
    return err->msg;
}

struct pidfd_watch
{
    uv_poll_t poll;
    bool dead;
};

static void on_pidfd_dead(uv_poll_t *h, int status, int events)
{
    struct pidfd_watch *w = h->data;

    (void)status;
    (void)events;
    w->dead = true;
    uv_poll_stop(h);
}

/* Waits for a process we did not start (a task's child) to die. */
static bool wait_pid_dead(pid_t pid)
{
    struct pidfd_watch w = {.dead = false};
    int fd = pidfd_open(pid, 0);
    bool dead;

    if (fd == -1)
        return errno == ESRCH;
    uv_poll_init(&f.loop, &w.poll, fd);
    w.poll.data = &w;
    uv_poll_start(&w.poll, UV_READABLE, on_pidfd_dead);
    dead = run_until(is_true, &w.dead, WAIT_MS);
    uv_close((uv_handle_t *)&w.poll, on_closed_handle);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    close(fd);
    return dead;
}

/* True when pid is gone or a zombie: a process that is no longer running. */
static bool pid_is_dead_now(pid_t pid)
{
    struct pollfd p;
    int fd = pidfd_open(pid, 0);
    int n;

    if (fd == -1)
        return errno == ESRCH;
    p = (struct pollfd){.fd = fd, .events = POLLIN};
    n = poll(&p, 1, 0);
    close(fd);
    return n == 1;
}

/* ------------------------------------------------------------ raw_exec */

static void raw_driver(void)
{
    new_driver("raw_exec", "{\"enabled\": true}");
}

START_TEST(rawexec_reports_exit_code)
{
    struct exit_rec r;
    struct driver_task *t;

    raw_driver();
    t = start_sh("exit 3");
    ck_assert_int_gt(t->state.pid, 0);
    ck_assert_int_gt(t->state.started_unix_ms, 0);
    wait_exit(t, &r);
    ck_assert(r.exit.status_known);
    ck_assert_int_eq(r.exit.exit_code, 3);
    ck_assert_int_eq(r.exit.signal, 0);
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_reports_signal)
{
    struct exit_rec r;
    struct driver_task *t;

    raw_driver();
    t = start_sh("kill -USR1 $$");
    wait_exit(t, &r);
    ck_assert_int_eq(r.exit.signal, SIGUSR1);
    ck_assert_int_eq(r.exit.exit_code, 128 + SIGUSR1);
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_writes_stdout_and_stderr)
{
    struct exit_rec r;
    struct driver_task *t;

    raw_driver();
    t = start_sh("echo to-out; echo to-err >&2; pwd");
    wait_exit(t, &r);
    ck_assert(run_until(output_eof, &f.out, WAIT_MS));
    ck_assert(run_until(output_eof, &f.err, WAIT_MS));
    ck_assert_ptr_nonnull(strstr(buf_str(&f.out.data), "to-out\n"));
    ck_assert_ptr_null(strstr(buf_str(&f.out.data), "to-err"));
    ck_assert_str_eq(buf_str(&f.err.data), "to-err\n");
    /* The task dir is the working directory. */
    ck_assert_ptr_nonnull(strstr(buf_str(&f.out.data), f.task_dir));
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_env_reaches_task)
{
    struct exit_rec r;
    struct driver_task *t;

    raw_driver();
    t = start_sh("echo \"foo=$FOO task=$NOMAD_TASK_NAME home=${HOME:-none}\"");
    wait_exit(t, &r);
    ck_assert_int_eq(r.exit.exit_code, 0);
    ck_assert(run_until(output_eof, &f.out, WAIT_MS));
    /* Only the given environment: the agent's own HOME does not leak. */
    ck_assert_str_eq(buf_str(&f.out.data), "foo=bar baz task=web home=none\n");
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_resolves_command_in_task_dir_and_path)
{
    struct driver_task_spec s;
    struct exit_rec r;
    struct driver_task *t;
    char *script = xasprintf("%s/hello.sh", f.local_dir);
    FILE *fp = fopen(script, "w");
    json_t *cfg;

    raw_driver();
    ck_assert_ptr_nonnull(fp);
    fputs("#!/bin/sh\necho hello \"$1\"\n", fp);
    fclose(fp);
    ck_assert_int_eq(chmod(script, 0755), 0);
    /* Found in local/ though named relative to nothing. */
    cfg = json_pack("{s:s, s:[s]}", "command", "hello.sh", "args", "world");
    spec_init(&s, cfg);
    t = start_spec(&s);
    wait_exit(t, &r);
    ck_assert_int_eq(r.exit.exit_code, 0);
    ck_assert(run_until(output_eof, &f.out, WAIT_MS));
    ck_assert_str_eq(buf_str(&f.out.data), "hello world\n");
    destroy_task(t);
    json_decref(cfg);
    free(script);
}
END_TEST

START_TEST(rawexec_start_fails_for_missing_command)
{
    struct driver_task_spec s;
    struct driver_task *t = NULL;
    struct err err = ERR_INIT;
    json_t *cfg = json_pack("{s:s}", "command", "no-such-binary-xyz");

    raw_driver();
    spec_init(&s, cfg);
    ck_assert_int_ne(driver_start(f.drv, &s, &t, &err), 0);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err.msg, "no-such-binary-xyz"));
    json_decref(cfg);
}
END_TEST

START_TEST(rawexec_stop_sends_kill_signal_then_sigkill)
{
    struct driver_task_spec s;
    struct exit_rec r;
    struct driver_task *t;
    bool stopped = false;
    uint64_t t0, elapsed;
    json_t *cfg = sh_config(
        "trap 'echo got-term' TERM; echo ready; "
        "while :; do sleep 0.05; done");

    raw_driver();
    spec_init(&s, cfg);
    s.kill_signal = SIGTERM;
    s.kill_timeout_ms = 400;
    t = start_spec(&s);
    wait_output(&f.out, "ready\n");
    memset(&r, 0, sizeof(r));
    driver_task_wait(t, on_exit_cb, &r);
    t0 = time_mono_ms();
    driver_task_stop(t, on_stopped, &stopped);
    ck_assert(run_until(is_true, &stopped, WAIT_MS));
    elapsed = time_mono_ms() - t0;
    ck_assert(run_until(exit_done, &r, WAIT_MS));
    /* The trap ran (TERM arrived) but did not end the task: SIGKILL did,
     * once kill_timeout had passed. */
    wait_output(&f.out, "got-term");
    ck_assert_int_eq(r.exit.signal, SIGKILL);
    ck_assert_int_eq(r.exit.exit_code, 128 + SIGKILL);
    ck_assert_uint_ge(elapsed, 400);
    destroy_task(t);
    json_decref(cfg);
}
END_TEST

START_TEST(rawexec_stop_graceful_exit_needs_no_sigkill)
{
    struct exit_rec r;
    struct driver_task *t;
    bool stopped = false;
    uint64_t t0;

    raw_driver();
    /* Default kill_signal is SIGINT, kill_timeout 5s. */
    t = start_sh(
        "trap 'exit 5' INT; echo ready; while :; do sleep 0.05; "
        "done");
    wait_output(&f.out, "ready\n");
    memset(&r, 0, sizeof(r));
    driver_task_wait(t, on_exit_cb, &r);
    t0 = time_mono_ms();
    driver_task_stop(t, on_stopped, &stopped);
    ck_assert(run_until(is_true, &stopped, WAIT_MS));
    ck_assert(run_until(exit_done, &r, WAIT_MS));
    ck_assert_int_eq(r.exit.exit_code, 5);
    ck_assert_int_eq(r.exit.signal, 0);
    ck_assert_uint_lt(time_mono_ms() - t0, 4000);
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_stop_kills_process_group)
{
    struct driver_task_spec s;
    struct driver_task *t;
    bool stopped = false;
    long child;
    json_t *cfg = sh_config("sleep 20 & echo child=$!; echo ready; wait");

    raw_driver();
    spec_init(&s, cfg);
    s.kill_signal = SIGTERM;
    s.kill_timeout_ms = 300;
    t = start_spec(&s);
    wait_output(&f.out, "ready\n");
    ck_assert_int_eq(
        sscanf(strstr(buf_str(&f.out.data), "child="), "child=%ld", &child), 1);
    ck_assert(!pid_is_dead_now((pid_t)child));
    driver_task_stop(t, on_stopped, &stopped);
    ck_assert(run_until(is_true, &stopped, WAIT_MS));
    ck_assert_msg(wait_pid_dead((pid_t)child), "child %ld survived", child);
    destroy_task(t);
    json_decref(cfg);
}
END_TEST

START_TEST(rawexec_exit_kills_leftover_children)
{
    struct exit_rec r;
    struct driver_task *t;
    long child;

    raw_driver();
    t = start_sh("sleep 20 & echo child=$!; exit 0");
    wait_output(&f.out, "child=");
    wait_exit(t, &r);
    ck_assert_int_eq(r.exit.exit_code, 0);
    ck_assert_int_eq(
        sscanf(strstr(buf_str(&f.out.data), "child="), "child=%ld", &child), 1);
    ck_assert_msg(wait_pid_dead((pid_t)child), "child %ld survived", child);
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_signal_reaches_task)
{
    struct exit_rec r;
    struct driver_task *t;
    struct err err = ERR_INIT;

    raw_driver();
    t = start_sh(
        "trap 'exit 9' HUP; echo ready; while :; do sleep 0.05; "
        "done");
    wait_output(&f.out, "ready\n");
    ck_assert_int_eq(driver_task_signal(t, SIGHUP, &err), 0);
    wait_exit(t, &r);
    ck_assert_int_eq(r.exit.exit_code, 9);
    ck_assert_int_eq(driver_task_signal(t, SIGHUP, &err), ERR_STATE);
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_usage_counts_the_task_not_its_supervisor)
{
    struct driver_task_usage u;
    struct driver_task *t;
    long shell = 0;
    bool found = false;

    raw_driver();
    t = start_sh("echo pid=$$; sleep 20 & wait");
    wait_output(&f.out, "pid=");
    ck_assert_int_eq(
        sscanf(strstr(buf_str(&f.out.data), "pid="), "pid=%ld", &shell), 1);
    driver_task_usage(t, &u);
    ck_assert(u.measured);
    ck_assert_uint_ge(u.npids, 1);
    for (size_t i = 0; i < u.npids; i++) {
        ck_assert_int_ne(u.pids[i].pid, t->state.pid);
        found = found || u.pids[i].pid == (int32_t)shell;
    }
    ck_assert_msg(found, "shell %ld not among %zu pids", shell, u.npids);
    ck_assert_uint_gt(u.rss_bytes, 0);
    destroy_task(t);
}
END_TEST

START_TEST(rawexec_recover_reattaches_and_reports_exit)
{
    struct driver_task_state st, back;
    struct driver_task *t, *t2 = NULL;
    struct driver_task_status status;
    struct exit_rec r;
    struct err err = ERR_INIT;
    bool freed = false;
    json_t *j;

    raw_driver();
    t = start_sh(
        "trap 'exit 7' USR1; echo ready; while :; do sleep 0.05; "
        "done");
    wait_output(&f.out, "ready\n");
    /* What the client persists, through its JSON form. */
    j = driver_task_state_to_json(&t->state);
    ck_assert_int_eq(driver_task_state_from_json(j, &back, &err), 0);
    json_decref(j);
    st = t->state;
    ck_assert_int_eq(memcmp(&st, &back, sizeof(st)), 0);
    /* The agent goes away: the handle is closed, the task runs on. */
    driver_task_close(t, on_freed, &freed);
    ck_assert(run_until(is_true, &freed, WAIT_MS));
    ck_assert(!pid_is_dead_now(st.pid));
    ck_assert_msg(driver_recover(f.drv, &back, &t2, &err) == 0, "%s", err.msg);
    driver_task_inspect(t2, &status);
    ck_assert_int_eq(status.state, DRIVER_TASK_RUNNING);
    ck_assert_int_eq(status.pid, st.pid);
    ck_assert_int_eq(driver_task_signal(t2, SIGUSR1, &err), 0);
    wait_exit(t2, &r);
    ck_assert(r.exit.status_known);
    ck_assert_int_eq(r.exit.exit_code, 7);
    driver_task_inspect(t2, &status);
    ck_assert_int_eq(status.state, DRIVER_TASK_EXITED);
    destroy_task(t2);
}
END_TEST

START_TEST(rawexec_recover_refuses_reused_pid)
{
    struct driver_task_state st;
    struct driver_task *t, *t2 = NULL;
    struct exit_rec r;
    struct err err = ERR_INIT;

    raw_driver();
    t = start_sh("echo ready; while :; do sleep 0.05; done");
    wait_output(&f.out, "ready\n");
    /* Same pid, another start time: some other process now owns the pid. */
    st = t->state;
    st.start_ticks += 1;
    ck_assert_int_eq(driver_recover(f.drv, &st, &t2, &err), ERR_NOT_FOUND);
    ck_assert_ptr_null(t2);
    ck_assert_ptr_nonnull(strstr(err.msg, "reused"));
    /* A pid that is gone altogether. */
    driver_task_stop(t, NULL, NULL);
    wait_exit(t, &r);
    st = t->state;
    destroy_task(t);
    ck_assert_int_eq(driver_recover(f.drv, &st, &t2, &err), ERR_NOT_FOUND);
    ck_assert_ptr_null(t2);
}
END_TEST

START_TEST(rawexec_validates_config)
{
    struct err err = ERR_INIT;
    struct driver_fingerprint fp;
    struct driver *off;

    raw_driver();
    ck_assert_str_eq(validate("{}", &err), "Missing required field: command");
    ck_assert_ptr_nonnull(
        strstr(validate("{\"command\": \"x\", \"args\": \"-c\"}", &err),
               "Incorrect type for field args"));
    ck_assert_ptr_nonnull(
        strstr(validate("{\"command\": \"x\", \"bogus\": 1}", &err),
               "\"bogus\" is not expected here"));
    ck_assert_ptr_nonnull(
        strstr(validate("{\"command\": \"x\", \"work_dir\": \"rel\"}", &err),
               "work_dir"));
    ck_assert_ptr_nonnull(
        strstr(validate("{\"command\": 1, \"args\": [1]}", &err), "command"));
    /* Fingerprint: on when enabled, undetected otherwise. */
    driver_fingerprint(f.drv, &fp);
    ck_assert(fp.detected && fp.healthy);
    ck_assert_uint_eq(fp.attrs_len, 1);
    ck_assert_str_eq(fp.attrs[0].key, "driver.raw_exec");
    ck_assert_str_eq(fp.attrs[0].value, "1");
    ck_assert_int_eq(driver_new(&f.loop, "raw_exec", NULL, &off, &err), 0);
    driver_fingerprint(off, &fp);
    ck_assert(!fp.detected && !fp.healthy);
    driver_free(off);
}
END_TEST

START_TEST(registry_lists_and_finds_drivers)
{
    size_t n;
    const struct driver_ops *const *all = driver_registry_list(&n);
    struct driver *d = NULL;
    struct err err = ERR_INIT;
    json_t *typo = json_pack("{s:b}", "enabld", 1);

    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_eq(driver_registry_lookup(all[i]->name), all[i]);
    ck_assert_ptr_eq(driver_registry_lookup("raw_exec"), &driver_raw_exec_ops);
    ck_assert_ptr_null(driver_registry_lookup("docker-ish"));
    ck_assert_int_eq(driver_new(&f.loop, "nope", NULL, &d, &err),
                     ERR_NOT_FOUND);
    ck_assert_int_eq(driver_new(&f.loop, "raw_exec", typo, &d, &err),
                     ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "enabld"));
    json_decref(typo);
}
END_TEST

/* ------------------------------------------------------------ exec */

/*
 * The exec tests need root, namespaces and cgroups. Where they are missing
 * a test says why and passes, unless the platform claims them (root with
 * a pid namespace to show), which makes a missing driver a failure.
 */
static bool exec_available(void)
{
    struct driver_fingerprint fp;
    bool claims;

    new_driver("exec", NULL);
    driver_fingerprint(f.drv, &fp);
    if (fp.healthy)
        return true;
    claims = geteuid() == 0 && access("/proc/self/ns/pid", F_OK) == 0 &&
             getenv("CARAVAN_TEST_NO_ISOLATION") == NULL;
    fprintf(stderr, "# exec driver unavailable: %s\n", fp.health_desc);
    ck_assert_msg(!claims,
                  "running as root with namespaces, yet exec is unhealthy: "
                  "%s",
                  fp.health_desc);
    return false;
}

static const char *exec_cgroup_mode(void)
{
    struct driver_fingerprint fp;

    driver_fingerprint(f.drv, &fp);
    for (size_t i = 0; i < fp.attrs_len; i++) {
        if (strcmp(fp.attrs[i].key, "driver.exec.cgroups") == 0)
            return strcmp(fp.attrs[i].value, "v1") == 0 ? "v1" : "v2";
    }
    return "none";
}

/* The host path of a file in the task's memory cgroup. */
static char *memory_file(const char *rel, const char *v1, const char *v2)
{
    if (strcmp(exec_cgroup_mode(), "v1") == 0)
        return xasprintf("/sys/fs/cgroup/memory/%s/%s", rel, v1);
    return xasprintf("/sys/fs/cgroup/%s/%s", rel, v2);
}

static bool has_attr(const struct driver_fingerprint *fp, const char *key)
{
    for (size_t i = 0; i < fp->attrs_len; i++) {
        if (strcmp(fp->attrs[i].key, key) == 0)
            return true;
    }
    return false;
}

/* Fingerprints the exec driver from a child that dropped to nobody. */
static void fingerprint_as_nobody(struct driver_fingerprint *fp)
{
    int fds[2], status;
    pid_t pid;

    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        struct driver_fingerprint child;

        if (setresgid(65534, 65534, 65534) != 0 ||
            setresuid(65534, 65534, 65534) != 0)
            _exit(1);
        driver_fingerprint(f.drv, &child);
        _exit(write(fds[1], &child, sizeof(child)) == sizeof(child) ? 0 : 1);
    }
    close(fds[1]);
    ck_assert(wait_pid_dead(pid));
    ck_assert_int_eq(waitpid(pid, &status, WNOHANG), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(read(fds[0], fp, sizeof(*fp)), (ssize_t)sizeof(*fp));
    close(fds[0]);
}

START_TEST(exec_fingerprint_needs_root)
{
    struct driver_fingerprint fp;

    if (geteuid() != 0) {
        new_driver("exec", NULL);
        driver_fingerprint(f.drv, &fp);
        ck_assert(!fp.healthy);
        ck_assert_str_eq(fp.health_desc, "exec driver must run as root");
        return;
    }
    if (!exec_available())
        return;
    driver_fingerprint(f.drv, &fp);
    ck_assert(fp.detected && fp.healthy);
    ck_assert_str_eq(fp.health_desc, "Healthy");
    ck_assert(has_attr(&fp, "driver.exec"));
    ck_assert(has_attr(&fp, "driver.exec.cgroups"));
    fingerprint_as_nobody(&fp);
    ck_assert(!fp.healthy);
    ck_assert_str_eq(fp.health_desc, "exec driver must run as root");
    ck_assert(!has_attr(&fp, "driver.exec"));
}
END_TEST

START_TEST(exec_task_is_pid2_under_its_supervisor_and_nobody)
{
    struct exit_rec r;
    struct driver_task *t;
    const char *out;

    if (!exec_available())
        return;
    t = start_sh(
        "echo pid=$$; echo uid=$(id -u) gid=$(id -g); "
        "grep -E '^(NoNewPrivs|CapEff)' /proc/self/status; "
        "echo alloc=$NOMAD_TASK_NAME");
    wait_exit(t, &r);
    ck_assert(run_until(output_eof, &f.out, WAIT_MS));
    out = buf_str(&f.out.data);
    ck_assert_msg(r.exit.exit_code == 0, "exit %d, stderr: %s",
                  r.exit.exit_code, buf_str(&f.err.data));
    /* pid 1 is the supervisor that reaps the namespace and keeps the exit
     * status across agent restarts (proc.h, exit_path). */
    ck_assert_msg(strstr(out, "pid=2\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "uid=65534 gid=65534\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "NoNewPrivs:\t1") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "CapEff:\t0000000000000000") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "alloc=web") != NULL, "%s", out);
    destroy_task(t);
}
END_TEST

START_TEST(exec_task_sees_only_its_root)
{
    struct exit_rec r;
    struct driver_task *t;
    char *marker = xasprintf("%s/host-only-marker", f.tmp);
    char *in_alloc = xasprintf("%s/shared.txt", f.alloc_dir);
    char *script;
    const char *out;
    FILE *fp;

    if (!exec_available())
        return;
    fp = fopen(marker, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    fp = fopen(in_alloc, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("from-alloc\n", fp);
    fclose(fp);
    script = xasprintf(
        "ls /; test -e %s && echo marker-visible; test -e /work && echo "
        "work-visible; cat /alloc/shared.txt; echo hi > /local/x && echo "
        "local-writable; touch /usr/x 2>/dev/null || echo usr-readonly; pwd",
        marker);
    t = start_sh(script);
    wait_exit(t, &r);
    ck_assert(run_until(output_eof, &f.out, WAIT_MS));
    out = buf_str(&f.out.data);
    ck_assert_msg(strstr(out, "local\n") && strstr(out, "alloc\n") &&
                      strstr(out, "proc\n") && strstr(out, "usr\n"),
                  "%s", out);
    ck_assert_msg(strstr(out, "marker-visible") == NULL, "%s", out);
    ck_assert_msg(strstr(out, "work-visible") == NULL, "%s", out);
    ck_assert_msg(strstr(out, "home\n") == NULL && strstr(out, "var\n") == NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "from-alloc\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "local-writable\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "usr-readonly\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "\n/\n") != NULL, "cwd: %s", out);
    destroy_task(t);
    /* What the task wrote to /local is in the host's task dir. */
    free(script);
    script = xasprintf("%s/x", f.local_dir);
    ck_assert_int_eq(access(script, F_OK), 0);
    free(script);
    free(marker);
    free(in_alloc);
}
END_TEST

START_TEST(exec_applies_memory_limit)
{
    struct driver_task_spec s;
    struct driver_task_status status;
    struct driver_task *t;
    struct buf limit = BUF_INIT;
    struct exit_rec r;
    char *path, *dir;
    json_t *cfg = sh_config("echo ready; exec sleep 20");

    if (!exec_available())
        return;
    spec_init(&s, cfg);
    s.resources.memory_mb = 48;
    s.resources.cpu_mhz = 500;
    s.kill_timeout_ms = 0;
    t = start_spec(&s);
    wait_output(&f.out, "ready\n");
    driver_task_inspect(t, &status);
    path = xasprintf("caravan/%s-web", f.alloc_id);
    ck_assert_str_eq(status.cgroup, path);
    free(path);
    path = memory_file(status.cgroup, "memory.limit_in_bytes", "memory.max");
    ck_assert_int_eq(buf_read_file(&limit, path, NULL), 0);
    ck_assert_str_eq(buf_str(&limit), "50331648\n");
    ck_assert_uint_gt(status.memory_bytes, 0);
    driver_task_stop(t, NULL, NULL);
    wait_exit(t, &r);
    ck_assert_int_eq(r.exit.signal, SIGKILL);
    ck_assert(!r.exit.oom_killed);
    destroy_task(t);
    /* destroy removes the cgroup. */
    dir = xasprintf("%.*s", (int)(strrchr(path, '/') - path), path);
    ck_assert_int_ne(access(dir, F_OK), 0);
    buf_release(&limit);
    free(path);
    free(dir);
    json_decref(cfg);
}
END_TEST

START_TEST(exec_reports_oom_kill)
{
    struct driver_task_spec s;
    struct driver_task *t;
    struct exit_rec r;
    json_t *cfg = sh_config("exec tail /dev/zero");

    if (!exec_available())
        return;
    spec_init(&s, cfg);
    s.resources.memory_mb = 24;
    t = start_spec(&s);
    wait_exit(t, &r);
    ck_assert_int_eq(r.exit.signal, SIGKILL);
    ck_assert(r.exit.oom_killed);
    destroy_task(t);
    json_decref(cfg);
}
END_TEST

/* Host pids listed in the task's cgroup. */
static size_t cgroup_pids(const char *rel, pid_t *pids, size_t max)
{
    char *path = strcmp(exec_cgroup_mode(), "v1") == 0
                     ? xasprintf("/sys/fs/cgroup/pids/%s/cgroup.procs", rel)
                     : xasprintf("/sys/fs/cgroup/%s/cgroup.procs", rel);
    struct buf b = BUF_INIT;
    size_t n = 0;
    char *p, *end;

    if (buf_read_file(&b, path, NULL) == 0 && b.data != NULL) {
        for (p = b.data; n < max; p = end) {
            long v = strtol(p, &end, 10);

            if (end == p)
                break;
            pids[n++] = (pid_t)v;
        }
    }
    buf_release(&b);
    free(path);
    return n;
}

START_TEST(exec_stop_kills_every_process)
{
    struct driver_task_spec s;
    struct driver_task *t;
    bool stopped = false;
    pid_t pids[16];
    size_t n;
    json_t *cfg = sh_config("sleep 20 & sleep 20 & echo ready; wait");

    if (!exec_available())
        return;
    spec_init(&s, cfg);
    /* The shell dies of TERM, forwarded by the supervisor; the sleeps
     * die with the pid namespace when its init (the supervisor) ends. */
    s.kill_signal = SIGTERM;
    s.kill_timeout_ms = 200;
    t = start_spec(&s);
    wait_output(&f.out, "ready\n");
    n = cgroup_pids(t->state.cgroup, pids, 16);
    ck_assert_uint_eq(n, 4); /* supervisor, shell, two sleeps */
    driver_task_stop(t, on_stopped, &stopped);
    ck_assert(run_until(is_true, &stopped, WAIT_MS));
    /* The pid namespace's init is reaped only after all its members. */
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(pid_is_dead_now(pids[i]), "pid %d alive", (int)pids[i]);
    ck_assert_uint_eq(cgroup_pids(t->state.cgroup, pids, 16), 0);
    destroy_task(t);
    json_decref(cfg);
}
END_TEST

START_TEST(exec_recover_and_destroy)
{
    struct driver_task_state st;
    struct driver_task *t, *t2 = NULL;
    struct exit_rec r;
    struct err err = ERR_INIT;
    bool freed = false;
    pid_t pids[16];

    if (!exec_available())
        return;
    t = start_sh("sleep 20 & echo ready; wait");
    wait_output(&f.out, "ready\n");
    st = t->state;
    driver_task_close(t, on_freed, &freed);
    ck_assert(run_until(is_true, &freed, WAIT_MS));
    ck_assert_msg(driver_recover(f.drv, &st, &t2, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(cgroup_pids(st.cgroup, pids, 16), 3);
    memset(&r, 0, sizeof(r));
    driver_task_wait(t2, on_exit_cb, &r);
    freed = false;
    driver_task_destroy(t2, on_freed, &freed);
    ck_assert(run_until(is_true, &freed, WAIT_MS));
    ck_assert(!r.done); /* destroy silences the waiter */
    ck_assert_uint_eq(cgroup_pids(st.cgroup, pids, 16), 0);
    ck_assert(pid_is_dead_now(st.pid));
}
END_TEST

START_TEST(exec_validates_config)
{
    struct err err = ERR_INIT;
    json_t *ok =
        json_pack("{s:s, s:s, s:[s], s:[s]}", "command", "x", "ipc_mode",
                  "host", "cap_add", "CAP_NET_BIND_SERVICE", "cap_drop", "all");

    new_driver("exec", NULL);
    ck_assert_str_eq(validate("{\"args\": []}", &err),
                     "Missing required field: command");
    ck_assert_ptr_nonnull(
        strstr(validate("{\"command\": \"x\", \"pid_mode\": \"shared\"}", &err),
               "pid_mode must be \"private\" or \"host\""));
    ck_assert_ptr_nonnull(strstr(
        validate("{\"command\": \"x\", \"cap_add\": [\"sys_admin\"]}", &err),
        "not allow the following capabilities: sys_admin"));
    ck_assert_ptr_nonnull(strstr(
        validate("{\"command\": \"x\", \"cap_drop\": [\"cap_bogus\"]}", &err),
        "unknown capability \"cap_bogus\""));
    err_clear(&err);
    ck_assert_msg(driver_validate_config(f.drv, ok, &err) == 0, "%s", err.msg);
    json_decref(ok);
}
END_TEST

/* ------------------------------------------------------------ mock */

static struct driver_task *start_mock(const char *config_json,
                                      uint64_t kill_timeout_ms,
                                      struct err *err)
{
    struct driver_task_spec s;
    struct driver_task *t = NULL;
    json_t *cfg = json_loads(config_json, 0, NULL);

    ck_assert_ptr_nonnull(cfg);
    spec_init(&s, cfg);
    s.kill_timeout_ms = kill_timeout_ms;
    s.kill_signal = SIGTERM;
    driver_start(f.drv, &s, &t, err);
    json_decref(cfg);
    capture_close_writer(&f.out);
    capture_close_writer(&f.err);
    return t;
}

START_TEST(mock_runs_script)
{
    struct err err = ERR_INIT;
    struct driver_task *t;
    struct exit_rec r;
    uint64_t t0 = time_mono_ms();

    new_driver("mock_driver", NULL);
    t = start_mock(
        "{\"run_for\": \"150ms\", \"exit_code\": 4, "
        "\"oom_killed\": true, \"stdout_string\": \"hi\\n\"}",
        1000, &err);
    ck_assert_ptr_nonnull(t);
    wait_exit(t, &r);
    ck_assert_uint_ge(time_mono_ms() - t0, 150);
    ck_assert_int_eq(r.exit.exit_code, 4);
    ck_assert(r.exit.oom_killed);
    ck_assert(run_until(output_eof, &f.out, WAIT_MS));
    ck_assert_str_eq(buf_str(&f.out.data), "hi\n");
    destroy_task(t);
    /* Start errors, retryable or not. */
    ck_assert_ptr_null(start_mock("{\"start_error\": \"no luck\"}", 0, &err));
    ck_assert_int_eq(err.code, ERR_INVALID);
    ck_assert_str_eq(err.msg, "no luck");
    ck_assert_ptr_null(start_mock(
        "{\"start_error\": \"later\", \"start_error_recoverable\": true}", 0,
        &err));
    ck_assert_int_eq(err.code, ERR_IO);
    ck_assert_str_eq(validate("{\"run_for\": \"soon\"}", &err),
                     "Incorrect type for field run_for: expected a duration "
                     "(\"5s\")");
}
END_TEST

START_TEST(mock_stop_honours_kill_after_and_timeout)
{
    struct err err = ERR_INIT;
    struct driver_task *t;
    struct exit_rec r;
    bool stopped = false;

    new_driver("mock_driver", NULL);
    /* Dies of the kill signal, kill_after into the grace period. */
    t = start_mock("{\"run_for\": \"1h\", \"kill_after\": \"50ms\"}", 1000,
                   &err);
    memset(&r, 0, sizeof(r));
    driver_task_wait(t, on_exit_cb, &r);
    driver_task_stop(t, on_stopped, &stopped);
    ck_assert(run_until(is_true, &stopped, WAIT_MS));
    ck_assert(run_until(exit_done, &r, WAIT_MS));
    ck_assert_int_eq(r.exit.signal, SIGTERM);
    destroy_task(t);
    /* Ignores it past kill_timeout: SIGKILL. */
    stopped = false;
    t = start_mock(
        "{\"run_for\": \"1h\", \"kill_after\": \"1h\", "
        "\"signal_error\": \"nope\"}",
        100, &err);
    ck_assert_int_eq(driver_task_signal(t, SIGHUP, &err), ERR_IO);
    ck_assert_str_eq(err.msg, "nope");
    driver_task_stop(t, on_stopped, &stopped);
    wait_exit(t, &r);
    ck_assert(stopped);
    ck_assert_int_eq(r.exit.signal, SIGKILL);
    ck_assert_int_eq(r.exit.exit_code, 128 + SIGKILL);
    destroy_task(t);
}
END_TEST

START_TEST(mock_recovers_after_close)
{
    struct err err = ERR_INIT;
    struct driver_task *t, *t2 = NULL;
    struct driver_task_state st;
    struct exit_rec r;
    bool freed = false;

    new_driver("mock_driver", NULL);
    t = start_mock("{\"run_for\": \"200ms\", \"exit_code\": 2}", 1000, &err);
    st = t->state;
    driver_task_close(t, on_freed, &freed);
    ck_assert(run_until(is_true, &freed, WAIT_MS));
    ck_assert_int_eq(driver_recover(f.drv, &st, &t2, &err), 0);
    wait_exit(t2, &r);
    ck_assert_int_eq(r.exit.exit_code, 2);
    destroy_task(t2);
    /* Once recovered it is no longer in the table. */
    ck_assert_int_eq(driver_recover(f.drv, &st, &t2, &err), ERR_NOT_FOUND);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *drivers_suite(void)
{
    Suite *s = suite_create("drivers");
    TCase *raw = test_tcase("raw_exec");
    TCase *ex = test_tcase("exec");
    TCase *mock = test_tcase("mock");

    tcase_add_checked_fixture(raw, setup, teardown);
    tcase_add_test(raw, rawexec_reports_exit_code);
    tcase_add_test(raw, rawexec_reports_signal);
    tcase_add_test(raw, rawexec_writes_stdout_and_stderr);
    tcase_add_test(raw, rawexec_env_reaches_task);
    tcase_add_test(raw, rawexec_resolves_command_in_task_dir_and_path);
    tcase_add_test(raw, rawexec_start_fails_for_missing_command);
    tcase_add_test(raw, rawexec_stop_sends_kill_signal_then_sigkill);
    tcase_add_test(raw, rawexec_stop_graceful_exit_needs_no_sigkill);
    tcase_add_test(raw, rawexec_stop_kills_process_group);
    tcase_add_test(raw, rawexec_exit_kills_leftover_children);
    tcase_add_test(raw, rawexec_signal_reaches_task);
    tcase_add_test(raw, rawexec_recover_reattaches_and_reports_exit);
    tcase_add_test(raw, rawexec_recover_refuses_reused_pid);
    tcase_add_test(raw, rawexec_validates_config);
    tcase_add_test(raw, rawexec_usage_counts_the_task_not_its_supervisor);
    tcase_add_test(raw, registry_lists_and_finds_drivers);
    suite_add_tcase(s, raw);

    tcase_add_checked_fixture(ex, setup, teardown);
    tcase_add_test(ex, exec_fingerprint_needs_root);
    tcase_add_test(ex, exec_task_is_pid2_under_its_supervisor_and_nobody);
    tcase_add_test(ex, exec_task_sees_only_its_root);
    tcase_add_test(ex, exec_applies_memory_limit);
    tcase_add_test(ex, exec_reports_oom_kill);
    tcase_add_test(ex, exec_stop_kills_every_process);
    tcase_add_test(ex, exec_recover_and_destroy);
    tcase_add_test(ex, exec_validates_config);
    suite_add_tcase(s, ex);

    tcase_add_checked_fixture(mock, setup, teardown);
    tcase_add_test(mock, mock_runs_script);
    tcase_add_test(mock, mock_stop_honours_kill_after_and_timeout);
    tcase_add_test(mock, mock_recovers_after_close);
    suite_add_tcase(s, mock);
    return s;
}

TEST_MAIN(drivers_suite)
