/*
 * mock_driver: a scripted driver for tests of the client, after Nomad's
 * drivers/mock. No process is started; in-process timers play the task.
 *
 * Task config:
 *   run_for        duration the task "runs" before exiting (default 0)
 *   exit_code      exit code when run_for expires
 *   exit_signal    signal reported when run_for expires
 *   exit_err_msg   text put in driver_exit.message
 *   oom_killed     report the exit as an OOM kill
 *   start_error    start() fails with this text; ERR_INVALID, or ERR_IO
 *                  when start_error_recoverable is true
 *   kill_after     after stop()'s kill_signal the task takes this long to
 *                  die (default 0); past kill_timeout it is SIGKILLed
 *   signal_error   signal() fails with this text
 *   stdout_string  written to the task's stdout once, at start
 *
 * close() keeps the script of a running task in a process-wide table so
 * that recover() can pick it up again, as after an agent restart in the
 * same test process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "drivers/driver_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

struct mock_script
{
    uint64_t run_for_ms;
    int exit_code;
    int exit_signal;
    bool oom_killed;
    char exit_msg[128];
    uint64_t kill_after_ms;
    char signal_error[128];
};

struct mock_task
{
    struct driver_task base; /* first */
    struct mock_script script;
    uint64_t deadline_ms; /* monotonic end of run_for */
    uv_timer_t run_timer;
    uv_timer_t kill_timer;
    uv_timer_t notify_timer;
    bool exited;
    bool stopping;
    bool destroying;
    bool closing;
    int pending_closes;
    int64_t exited_unix_ms;
    struct driver_exit exit;
    driver_exit_cb wait_cb;
    void *wait_arg;
    driver_stop_cb stop_cb;
    void *stop_arg;
    driver_close_cb close_cb;
    void *close_arg;
};

/* Tasks closed while running, waiting for recover(); see the top. */
struct mock_detached
{
    struct mock_detached *next;
    char id[DRIVER_HANDLE_ID_MAX];
    struct mock_script script;
    struct driver_task_state state;
    uint64_t deadline_ms;
};

static struct mock_detached *detached;
static unsigned long next_id;

static const struct driver__field task_fields[] = {
    {"run_for", DRIVER__DURATION, false},
    {"exit_code", DRIVER__INT, false},
    {"exit_signal", DRIVER__INT, false},
    {"exit_err_msg", DRIVER__STRING, false},
    {"oom_killed", DRIVER__BOOL, false},
    {"start_error", DRIVER__STRING, false},
    {"start_error_recoverable", DRIVER__BOOL, false},
    {"kill_after", DRIVER__DURATION, false},
    {"signal_error", DRIVER__STRING, false},
    {"stdout_string", DRIVER__STRING, false},
    {NULL, DRIVER__ANY, false},
};

/* ------------------------------------------------------------ plugin */

static void mock_fingerprint(struct driver *d, struct driver_fingerprint *fp)
{
    (void)d;
    fp->detected = true;
    driver__fp_health(fp, true, "Healthy");
    driver__fp_attr(fp, "driver.mock_driver", "1");
}

static int mock_validate(struct driver *d,
                         const json_t *config,
                         struct err *err)
{
    struct buf problems = BUF_INIT;
    int rc = 0;

    (void)d;
    if (driver__config_check(config, task_fields, &problems) > 0)
        rc = err_set(err, ERR_INVALID, "%s", buf_str(&problems));
    buf_release(&problems);
    return rc;
}

static uint64_t duration_ms(const json_t *config, const char *key)
{
    int64_t ns = 0;

    duration_parse(driver__config_str(config, key, "0"), &ns, NULL);
    return ns > 0 ? (uint64_t)(ns / NS_PER_MS) : 0;
}

static void parse_script(const json_t *c, struct mock_script *s)
{
    memset(s, 0, sizeof(*s));
    s->run_for_ms = duration_ms(c, "run_for");
    s->exit_code = (int)json_integer_value(json_object_get(c, "exit_code"));
    s->exit_signal = (int)json_integer_value(json_object_get(c, "exit_signal"));
    s->oom_killed = json_is_true(json_object_get(c, "oom_killed"));
    snprintf(s->exit_msg, sizeof(s->exit_msg), "%s",
             driver__config_str(c, "exit_err_msg", ""));
    s->kill_after_ms = duration_ms(c, "kill_after");
    snprintf(s->signal_error, sizeof(s->signal_error), "%s",
             driver__config_str(c, "signal_error", ""));
}

/* ------------------------------------------------------------ callbacks */

static void notify(struct mock_task *mt)
{
    driver_stop_cb stop_cb = mt->stop_cb;
    driver_exit_cb wait_cb;

    if (!mt->exited || mt->closing || mt->destroying)
        return;
    if (stop_cb != NULL) {
        mt->stop_cb = NULL;
        stop_cb(&mt->base, mt->stop_arg);
        if (mt->closing || mt->destroying)
            return;
    }
    wait_cb = mt->wait_cb;
    if (wait_cb != NULL) {
        mt->wait_cb = NULL;
        wait_cb(&mt->base, &mt->exit, mt->wait_arg);
    }
}

static void on_notify_timer(uv_timer_t *h)
{
    notify(h->data);
}

static void die(struct mock_task *mt, int code, int sig)
{
    if (mt->exited)
        return;
    uv_timer_stop(&mt->run_timer);
    uv_timer_stop(&mt->kill_timer);
    mt->exited = true;
    mt->exited_unix_ms = time_wall_unix_ms();
    mt->exit.exit_code = code;
    mt->exit.signal = sig;
    mt->exit.status_known = true;
    log_debug(&mt->base.driver->log, "mock task %s exited code=%d signal=%d",
              mt->base.state.handle_id, code, sig);
    notify(mt);
}

static void on_run_timer(uv_timer_t *h)
{
    struct mock_task *mt = h->data;

    mt->exit.oom_killed = mt->script.oom_killed;
    snprintf(mt->exit.message, sizeof(mt->exit.message), "%s",
             mt->script.exit_msg);
    die(mt, mt->script.exit_code, mt->script.exit_signal);
}

static void on_killed_by_signal(uv_timer_t *h)
{
    struct mock_task *mt = h->data;
    int sig = mt->base.state.kill_signal;

    die(mt, 128 + sig, sig);
}

static void on_kill_timeout(uv_timer_t *h)
{
    die(h->data, 128 + SIGKILL, SIGKILL);
}

/* ------------------------------------------------------------ tasks */

struct mock_write
{
    uv_fs_t req; /* req.data == this */
    uv_buf_t buf;
    char *data;
    int fd;
};

static void on_written(uv_fs_t *req)
{
    struct mock_write *w = req->data;

    uv_fs_req_cleanup(req);
    close(w->fd);
    free(w->data);
    free(w);
}

/* Writes s to a copy of fd without blocking the loop. */
static void write_stdout(uv_loop_t *loop, int fd, const char *s)
{
    struct mock_write *w;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);

    if (copy == -1)
        return;
    w = xcalloc(1, sizeof(*w));
    w->fd = copy;
    w->data = xstrdup(s);
    w->buf = uv_buf_init(w->data, (unsigned int)strlen(w->data));
    w->req.data = w;
    if (uv_fs_write(loop, &w->req, copy, &w->buf, 1, -1, on_written) != 0) {
        close(copy);
        free(w->data);
        free(w);
    }
}

static struct mock_task *task_new(struct driver *d,
                                  const struct mock_script *script,
                                  const struct driver_task_state *state,
                                  uint64_t run_ms)
{
    struct mock_task *mt = xcalloc(1, sizeof(*mt));

    mt->base.driver = d;
    mt->base.state = *state;
    mt->script = *script;
    mt->deadline_ms = time_mono_ms() + run_ms;
    /* Timers count from the loop's cached time, which may be stale when
     * we are called from outside a callback. */
    uv_update_time(d->loop);
    uv_timer_init(d->loop, &mt->run_timer);
    uv_timer_init(d->loop, &mt->kill_timer);
    uv_timer_init(d->loop, &mt->notify_timer);
    mt->run_timer.data = mt->kill_timer.data = mt->notify_timer.data = mt;
    uv_timer_start(&mt->run_timer, on_run_timer, run_ms, 0);
    return mt;
}

static int mock_start(struct driver *d,
                      const struct driver_task_spec *spec,
                      struct driver_task **out,
                      struct err *err)
{
    const json_t *c = spec->config;
    const char *start_error = driver__config_str(c, "start_error", NULL);
    const char *out_s = driver__config_str(c, "stdout_string", NULL);
    struct driver_task_state st;
    struct mock_script script;

    if (start_error != NULL) {
        bool again =
            json_is_true(json_object_get(c, "start_error_recoverable"));

        return err_set(err, again ? ERR_IO : ERR_INVALID, "%s", start_error);
    }
    parse_script(c, &script);
    memset(&st, 0, sizeof(st));
    snprintf(st.driver, sizeof(st.driver), "mock_driver");
    snprintf(st.handle_id, sizeof(st.handle_id), "mock-%d-%lu", (int)getpid(),
             ++next_id);
    st.started_unix_ms = time_wall_unix_ms();
    st.kill_signal = spec->kill_signal > 0 ? spec->kill_signal : SIGINT;
    st.kill_timeout_ms = spec->kill_timeout_ms;
    if (out_s != NULL)
        write_stdout(d->loop, spec->stdout_fd, out_s);
    *out = &task_new(d, &script, &st, script.run_for_ms)->base;
    return 0;
}

static int mock_recover(struct driver *d,
                        const struct driver_task_state *state,
                        struct driver_task **out,
                        struct err *err)
{
    struct mock_detached **pp, *e;
    uint64_t now = time_mono_ms();

    for (pp = &detached; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, state->handle_id) == 0)
            break;
    }
    if (*pp == NULL)
        return err_set(err, ERR_NOT_FOUND, "mock task \"%s\" is gone",
                       state->handle_id);
    e = *pp;
    *pp = e->next;
    *out = &task_new(d, &e->script, &e->state,
                     e->deadline_ms > now ? e->deadline_ms - now : 0)
                ->base;
    free(e);
    return 0;
}

static void mock_wait(struct driver_task *t, driver_exit_cb cb, void *arg)
{
    struct mock_task *mt = (struct mock_task *)t;

    mt->wait_cb = cb;
    mt->wait_arg = arg;
    if (mt->exited)
        uv_timer_start(&mt->notify_timer, on_notify_timer, 0, 0);
}

static int mock_signal(struct driver_task *t, int signo, struct err *err)
{
    struct mock_task *mt = (struct mock_task *)t;

    if (mt->exited)
        return err_set(err, ERR_STATE, "task has exited");
    if (mt->script.signal_error[0] != '\0')
        return err_set(err, ERR_IO, "%s", mt->script.signal_error);
    if (signo == SIGKILL)
        die(mt, 128 + SIGKILL, SIGKILL);
    return 0;
}

static void mock_stop(struct driver_task *t, driver_stop_cb cb, void *arg)
{
    struct mock_task *mt = (struct mock_task *)t;
    uint64_t timeout = t->state.kill_timeout_ms;

    mt->stop_cb = cb;
    mt->stop_arg = arg;
    if (mt->exited) {
        uv_timer_start(&mt->notify_timer, on_notify_timer, 0, 0);
        return;
    }
    if (mt->stopping)
        return;
    mt->stopping = true;
    uv_update_time(t->driver->loop);
    if (mt->script.kill_after_ms < timeout)
        uv_timer_start(&mt->kill_timer, on_killed_by_signal,
                       mt->script.kill_after_ms, 0);
    else
        uv_timer_start(&mt->kill_timer, on_kill_timeout, timeout, 0);
}

static void mock_inspect(struct driver_task *t, struct driver_task_status *out)
{
    struct mock_task *mt = (struct mock_task *)t;

    out->state = mt->exited ? DRIVER_TASK_EXITED : DRIVER_TASK_RUNNING;
    out->started_unix_ms = t->state.started_unix_ms;
    out->exited_unix_ms = mt->exited ? mt->exited_unix_ms : 0;
    if (mt->exited)
        out->exit = mt->exit;
}

/* ------------------------------------------------------------ closing */

static void on_closed(uv_handle_t *h)
{
    struct mock_task *mt = h->data;
    driver_close_cb cb = mt->close_cb;
    void *arg = mt->close_arg;

    if (--mt->pending_closes > 0)
        return;
    free(mt);
    if (cb != NULL)
        cb(arg);
}

static void close_handles(struct mock_task *mt, driver_close_cb cb, void *arg)
{
    mt->closing = true;
    mt->close_cb = cb;
    mt->close_arg = arg;
    mt->pending_closes = 3;
    uv_close((uv_handle_t *)&mt->run_timer, on_closed);
    uv_close((uv_handle_t *)&mt->kill_timer, on_closed);
    uv_close((uv_handle_t *)&mt->notify_timer, on_closed);
}

static void mock_destroy(struct driver_task *t, driver_close_cb cb, void *arg)
{
    struct mock_task *mt = (struct mock_task *)t;

    mt->destroying = true;
    close_handles(mt, cb, arg);
}

static void mock_close(struct driver_task *t, driver_close_cb cb, void *arg)
{
    struct mock_task *mt = (struct mock_task *)t;
    struct mock_detached *e;

    if (!mt->exited) {
        e = xcalloc(1, sizeof(*e));
        snprintf(e->id, sizeof(e->id), "%s", t->state.handle_id);
        e->script = mt->script;
        e->state = t->state;
        e->deadline_ms = mt->deadline_ms;
        e->next = detached;
        detached = e;
    }
    close_handles(mt, cb, arg);
}

const struct driver_ops driver_mock_ops = {
    .name = "mock_driver",
    .caps = {.send_signals = true, .fs_isolation = DRIVER_FS_ISOLATION_NONE},
    .fingerprint = mock_fingerprint,
    .validate_config = mock_validate,
    .start = mock_start,
    .recover = mock_recover,
    .wait = mock_wait,
    .signal = mock_signal,
    .stop = mock_stop,
    .inspect = mock_inspect,
    .destroy = mock_destroy,
    .close = mock_close,
};
