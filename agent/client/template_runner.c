/* A task's templates, rendered and kept current (template_runner.h). */
#include "agent/client/template_runner.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/client/template_hook.h"
#include "discovery/catalog_tmpl.h"
#include "discovery/template/template.h"
#include "discovery/watch.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/model/job.h"
#include "lib/model/types.h"
#include "lib/time.h"

/* After a restore, how long templates wait for the catalogue to fill. */
#define TEMPLATE_RESUME_SETTLE_MS 2000

struct item
{
    const struct task_template *tt;
    struct tmpl_deps deps;
    uint64_t seen;        /* the answers' index at the last render */
    bool rendered;        /* at least once since the runner was made */
    bool dirty;           /* an answer moved since */
    uint64_t dirty_since; /* loop ms of the first change not rendered */
    uint64_t last_change; /* loop ms of the latest */
    struct buf last;      /* the bytes written last */
};

struct script_run
{
    struct template_runner *r;
    uv_process_t proc;
    uv_timer_t timer;
    char *command;
    bool fail_on_error;
    bool timed_out;
    int open;
};

struct template_runner
{
    struct template_runner_env env;
    char *namespace_;
    const struct task *task;
    char *task_dir;
    struct item *items;
    size_t n;
    struct strmap vars; /* the task environment templates read */
    struct catalog_tmpl *ct;
    struct watch *w;
    uv_timer_t wait_timer;
    uv_timer_t splay_timer;
    bool active;
    bool splay_armed;
    /* change_mode actions waiting for splay */
    bool want_restart;
    char **signals;
    size_t n_signals, cap_signals;
    size_t *scripts; /* item indexes */
    size_t n_scripts, cap_scripts;
    int64_t splay_ms;
    uint64_t hold_until; /* loop ms: no render before (after a restore) */
    int open; /* handles and scripts not closed yet */
    bool closing;
    void (*close_cb)(void *arg);
    void *close_arg;
    unsigned long rerenders;
    struct logger lg;
};

static bool is_once(const struct item *it)
{
    return tri_is_true(it->tt->once);
}

static void woken(struct watch *w, void *arg);
static void wait_fired(uv_timer_t *t);
static void splay_fired(uv_timer_t *t);

struct template_runner *template_runner_new(
    const struct template_runner_env *env,
    const struct task *t,
    const char *task_dir)
{
    struct template_runner *r = xcalloc(1, sizeof(*r));

    r->env = *env;
    r->namespace_ = xstrdup(env->namespace_ ? env->namespace_ : "default");
    r->env.namespace_ = r->namespace_;
    r->task = t;
    r->task_dir = xstrdup(task_dir);
    logger_init(&r->lg, "client.template", "task=%s", t->name);
    r->n = t->ntemplates;
    r->items = xcalloc(r->n ? r->n : 1, sizeof(*r->items));
    for (size_t i = 0; i < r->n; i++) {
        r->items[i].tt = &t->templates[i];
        tmpl_deps_init(&r->items[i].deps);
    }
    strmap_init(&r->vars);
    if (env->catalog != NULL) {
        struct catalog_tmpl_opts co = {env->catalog, r->namespace_, NULL,
                                       NULL, NULL};

        r->ct = catalog_tmpl_new(&co);
    }
    uv_timer_init(env->loop, &r->wait_timer);
    r->wait_timer.data = r;
    uv_timer_init(env->loop, &r->splay_timer);
    r->splay_timer.data = r;
    r->open = 2;
    if (env->hub != NULL && r->n > 0)
        r->w = watch_new(env->hub, woken, r);
    return r;
}

/* Watches exactly the answers the last renders read. */
static void rewatch(struct template_runner *r)
{
    if (r->w == NULL)
        return;
    watch_clear(r->w);
    if (!r->active)
        return;
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];

        if (is_once(it))
            continue;
        for (size_t k = 0; k < it->deps.n; k++) {
            const struct tmpl_dep *d = &it->deps.items[k];

            if (d->kind == TMPL_DEP_SERVICE)
                watch_add(r->w, r->namespace_, d->query.name);
            else if (d->kind == TMPL_DEP_SERVICES)
                watch_add(r->w, r->namespace_, NULL);
        }
    }
}

/* Renders it into out and notes what it read. */
static int render(struct template_runner *r,
                  struct item *it,
                  struct buf *out,
                  struct err *err)
{
    struct tmpl_source svc;
    int rc;

    if (r->ct != NULL)
        catalog_tmpl_source(r->ct, &svc);
    tmpl_deps_release(&it->deps);
    tmpl_deps_init(&it->deps);
    rc = template_hook_render_one(it->tt, r->task_dir, &r->vars,
                                  r->ct ? &svc : NULL, out, &it->deps, err);
    it->seen = r->ct ? catalog_tmpl_deps_index(r->ct, &it->deps) : 0;
    it->dirty = false;
    return rc;
}

static void drop_pending(struct template_runner *r)
{
    r->want_restart = false;
    for (size_t i = 0; i < r->n_signals; i++)
        free(r->signals[i]);
    r->n_signals = 0;
    r->n_scripts = 0;
    r->splay_ms = 0;
    r->splay_armed = false;
    uv_timer_stop(&r->splay_timer);
}

int template_runner_prestart(struct template_runner *r,
                             struct strmap *env,
                             struct err *err)
{
    int rc = 0;

    template_runner_stop(r);
    r->hold_until = 0;
    /* Templates read the environment as it was before any of them added
     * to it, whatever their order. */
    strmap_release(&r->vars);
    strmap_init(&r->vars);
    strmap_copy(&r->vars, env);
    for (size_t i = 0; i < r->n && rc == 0; i++) {
        struct item *it = &r->items[i];
        struct buf out = BUF_INIT;

        /* `once`: what the first start rendered stays. */
        if (is_once(it) && it->rendered) {
            rc = template_hook_write(it->tt, r->task_dir, &it->last, err);
        } else {
            rc = render(r, it, &out, err);
            if (rc == 0)
                rc = template_hook_write(it->tt, r->task_dir, &out, err);
            if (rc == 0) {
                buf_release(&it->last);
                it->last = out;
                memset(&out, 0, sizeof(out));
                it->rendered = true;
            }
        }
        if (rc == 0 && tri_is_true(it->tt->envvars))
            rc = template_hook_parse_env(it->last.data ? it->last.data : "",
                                         it->last.len, env, err);
        buf_release(&out);
    }
    if (rc != 0)
        return rc;
    r->active = true;
    rewatch(r);
    return 0;
}

static void read_back(struct template_runner *r, struct item *it)
{
    char *path = xasprintf("%s/%s", r->task_dir, model_str(it->tt->dest_path));
    struct err err = ERR_INIT;

    buf_release(&it->last);
    if (buf_read_file(&it->last, path, &err) == 0)
        it->rendered = true;
    free(path);
}

void template_runner_resume(struct template_runner *r,
                            const struct strmap *env)
{
    template_runner_stop(r);
    strmap_release(&r->vars);
    strmap_init(&r->vars);
    strmap_copy(&r->vars, env);
    r->active = true;
    for (size_t i = 0; i < r->n; i++) {
        struct item *it = &r->items[i];

        read_back(r, it);
        if (is_once(it))
            continue;
        /* Rendered again below, like a change arriving now. */
        it->dirty = true;
        it->dirty_since = it->last_change = uv_now(r->env.loop);
    }
    /*
     * What other agents publish comes back through the mesh only after it
     * rejoins: a render at once could see those services missing and
     * restart the task for nothing. Settle first.
     */
    r->hold_until = uv_now(r->env.loop) + TEMPLATE_RESUME_SETTLE_MS;
    uv_timer_start(&r->wait_timer, wait_fired, TEMPLATE_RESUME_SETTLE_MS, 0);
}

void template_runner_stop(struct template_runner *r)
{
    r->active = false;
    uv_timer_stop(&r->wait_timer);
    drop_pending(r);
    for (size_t i = 0; i < r->n; i++)
        r->items[i].dirty = false;
    if (r->w != NULL)
        watch_clear(r->w);
}

unsigned long template_runner_rerenders(const struct template_runner *r)
{
    return r->rerenders;
}

/* ------------------------------------------------------------ waiting */

static uint64_t due_of(const struct template_runner *r,
                       const struct item *it,
                       uint64_t now)
{
    const struct template_wait *w = it->tt->wait;
    uint64_t due;

    if (r->hold_until > now)
        return r->hold_until;
    if (w == NULL || (w->min_ns <= 0 && w->max_ns <= 0))
        return now;
    due = it->last_change + (uint64_t)(w->min_ns / 1000000);
    if (w->max_ns > 0 &&
        due > it->dirty_since + (uint64_t)(w->max_ns / 1000000))
        due = it->dirty_since + (uint64_t)(w->max_ns / 1000000);
    return due;
}

static void arm_wait(struct template_runner *r)
{
    uint64_t now = uv_now(r->env.loop), first = UINT64_MAX;

    for (size_t i = 0; i < r->n; i++) {
        uint64_t due;

        if (!r->items[i].dirty)
            continue;
        due = due_of(r, &r->items[i], now);
        if (due < first)
            first = due;
    }
    if (first == UINT64_MAX)
        return;
    uv_timer_start(&r->wait_timer, wait_fired, first > now ? first - now : 0,
                   0);
}

static void woken(struct watch *w, void *arg)
{
    struct template_runner *r = arg;
    uint64_t now;
    bool any = false;

    (void)w;
    if (!r->active || r->ct == NULL)
        return;
    now = uv_now(r->env.loop);
    for (size_t i = 0; i < r->n; i++) {
        struct item *it = &r->items[i];

        if (is_once(it) || catalog_tmpl_deps_index(r->ct, &it->deps) ==
                               it->seen)
            continue;
        log_debug(&r->lg, "%s: an answer it read moved",
                  model_str(it->tt->dest_path));
        if (!it->dirty) {
            it->dirty = true;
            it->dirty_since = now;
        }
        it->last_change = now;
        any = true;
    }
    if (any)
        arm_wait(r);
}

/* ------------------------------------------------------------ acting */

static void add_action(struct template_runner *r, const struct item *it)
{
    const char *mode = it->tt->change_mode ? it->tt->change_mode : "restart";
    size_t idx = (size_t)(it - r->items);

    if (strcmp(mode, "noop") == 0)
        return;
    if (strcmp(mode, "restart") == 0) {
        r->want_restart = true;
    } else if (strcmp(mode, "signal") == 0) {
        const char *sig = it->tt->change_signal ? it->tt->change_signal
                                                : "SIGHUP";
        bool have = false;

        for (size_t i = 0; i < r->n_signals; i++)
            have = have || strcmp(r->signals[i], sig) == 0;
        if (!have) {
            XGROW(r->signals, r->cap_signals, r->n_signals + 1);
            r->signals[r->n_signals++] = xstrdup(sig);
        }
    } else if (strcmp(mode, "script") == 0 && it->tt->change_script) {
        bool have = false;

        for (size_t i = 0; i < r->n_scripts; i++)
            have = have || r->scripts[i] == idx;
        if (!have) {
            XGROW(r->scripts, r->cap_scripts, r->n_scripts + 1);
            r->scripts[r->n_scripts++] = idx;
        }
    } else {
        return;
    }
    if (it->tt->splay_ns / 1000000 > r->splay_ms)
        r->splay_ms = it->tt->splay_ns / 1000000;
}

/* A template problem: fatal ones fail the task, others are an event. */
static void report(struct template_runner *r, bool fatal, const char *msg)
{
    const struct template_runner_ops *ops = r->env.ops;

    if (fatal) {
        template_runner_stop(r);
        if (ops && ops->fail)
            ops->fail(r->env.arg, msg);
    } else if (ops && ops->event) {
        ops->event(r->env.arg, "Template", msg);
    }
}

static void fail(struct template_runner *r, const char *fmt, const char *msg)
{
    char *why = xasprintf(fmt, msg);

    report(r, true, why);
    free(why);
}

static void wait_fired(uv_timer_t *t)
{
    struct template_runner *r = t->data;
    uint64_t now = uv_now(r->env.loop);
    bool acted = false;

    if (!r->active)
        return;
    for (size_t i = 0; i < r->n; i++) {
        struct item *it = &r->items[i];
        struct buf out = BUF_INIT;
        struct err err = ERR_INIT;

        if (!it->dirty || due_of(r, it, now) > now)
            continue;
        if (render(r, it, &out, &err) != 0) {
            buf_release(&out);
            fail(r, "Template failed: %s", err.msg);
            return;
        }
        r->rerenders++;
        log_debug(&r->lg, "%s: rendered again (%zu bytes)",
                  model_str(it->tt->dest_path), out.len);
        if (out.len == it->last.len &&
            (out.len == 0 || memcmp(out.data, it->last.data, out.len) == 0)) {
            buf_release(&out);
            continue;
        }
        if (template_hook_write(it->tt, r->task_dir, &out, &err) != 0) {
            buf_release(&out);
            fail(r, "Template failed: %s", err.msg);
            return;
        }
        buf_release(&it->last);
        it->last = out;
        add_action(r, it);
        acted = true;
    }
    rewatch(r);
    arm_wait(r);
    if (acted && !r->splay_armed &&
        (r->want_restart || r->n_signals > 0 || r->n_scripts > 0)) {
        uint64_t delay =
            r->splay_ms > 0 ? randombytes_uniform((uint32_t)(
                                  r->splay_ms > UINT32_MAX - 1 ? UINT32_MAX - 1
                                                               : r->splay_ms + 1))
                            : 0;

        r->splay_armed = true;
        uv_timer_start(&r->splay_timer, splay_fired, delay, 0);
    }
}

static void unref(struct template_runner *r)
{
    void (*cb)(void *);
    void *arg;

    if (--r->open > 0 || !r->closing)
        return;
    cb = r->close_cb;
    arg = r->close_arg;
    free(r);
    if (cb)
        cb(arg);
}

static void script_handle_closed(uv_handle_t *h)
{
    struct script_run *s = h->data;
    struct template_runner *r = s->r;

    if (--s->open > 0)
        return;
    free(s->command);
    free(s);
    unref(r);
}

static void script_exited(uv_process_t *p, int64_t status, int signo)
{
    struct script_run *s = p->data;
    struct template_runner *r = s->r;

    uv_timer_stop(&s->timer);
    if (!r->closing && r->active && (status != 0 || signo != 0)) {
        char *msg =
            s->timed_out
                ? xasprintf("Template failed to run script %s: timed out",
                            s->command)
                : xasprintf("Template ran script %s which exited with code "
                            "%lld",
                            s->command, (long long)status);

        report(r, s->fail_on_error, msg);
        free(msg);
    }
    uv_close((uv_handle_t *)&s->proc, script_handle_closed);
    uv_close((uv_handle_t *)&s->timer, script_handle_closed);
}

static void script_timeout(uv_timer_t *t)
{
    struct script_run *s = t->data;

    s->timed_out = true;
    uv_process_kill(&s->proc, SIGKILL);
}

static void run_script(struct template_runner *r, const struct item *it)
{
    const struct change_script *cs = it->tt->change_script;
    struct script_run *s = xcalloc(1, sizeof(*s));
    uv_process_options_t o;
    uv_stdio_container_t io[3];
    char **argv = xcalloc(cs->args.n + 2, sizeof(*argv));
    char **envp = xcalloc(r->vars.n + 1, sizeof(*envp));
    int64_t timeout_ms = cs->timeout_ns > 0 ? cs->timeout_ns / 1000000 : 5000;
    int rc;

    argv[0] = cs->command;
    for (size_t i = 0; i < cs->args.n; i++)
        argv[i + 1] = cs->args.items[i];
    for (size_t i = 0; i < r->vars.n; i++)
        envp[i] = xasprintf("%s=%s", r->vars.items[i].key,
                            r->vars.items[i].value);
    memset(&o, 0, sizeof(o));
    memset(io, 0, sizeof(io));
    for (int i = 0; i < 3; i++)
        io[i].flags = UV_IGNORE;
    o.file = cs->command;
    o.args = argv;
    o.env = envp;
    o.cwd = r->task_dir;
    o.stdio = io;
    o.stdio_count = 3;
    o.exit_cb = script_exited;
    s->r = r;
    s->command = xstrdup(cs->command);
    s->timer.data = s;
    s->fail_on_error = tri_is_true(cs->fail_on_error);
    s->proc.data = s;
    rc = uv_spawn(r->env.loop, &s->proc, &o);
    for (size_t i = 0; i < r->vars.n; i++)
        free(envp[i]);
    free(envp);
    free(argv);
    if (rc != 0) {
        char *msg = xasprintf("Template failed to run script %s: %s",
                              s->command, uv_strerror(rc));

        /* A failed spawn still made a handle that must be closed. */
        s->open = 1;
        r->open++;
        uv_close((uv_handle_t *)&s->proc, script_handle_closed);
        report(r, tri_is_true(cs->fail_on_error), msg);
        free(msg);
        return;
    }
    s->open = 2;
    r->open++;
    uv_timer_init(r->env.loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, script_timeout, (uint64_t)timeout_ms, 0);
}

static void splay_fired(uv_timer_t *t)
{
    struct template_runner *r = t->data;
    const struct template_runner_ops *ops = r->env.ops;

    r->splay_armed = false;
    if (!r->active || ops == NULL)
        return;
    if (r->want_restart) {
        drop_pending(r);
        if (ops->restart)
            ops->restart(r->env.arg,
                         "Template with change_mode restart re-rendered");
        return;
    }
    for (size_t i = 0; i < r->n_signals && r->active; i++)
        if (ops->signal)
            ops->signal(r->env.arg, r->signals[i], "Template re-rendered");
    for (size_t i = 0; i < r->n_scripts && r->active; i++)
        run_script(r, &r->items[r->scripts[i]]);
    if (r->active)
        drop_pending(r);
}

/* ------------------------------------------------------------ closing */

static void timer_closed(uv_handle_t *h)
{
    unref(h->data);
}

void template_runner_close(struct template_runner *r,
                           void (*cb)(void *arg),
                           void *arg)
{
    template_runner_stop(r);
    r->closing = true;
    r->close_cb = cb;
    r->close_arg = arg;
    watch_free(r->w);
    r->w = NULL;
    catalog_tmpl_free(r->ct);
    r->ct = NULL;
    for (size_t i = 0; i < r->n; i++) {
        tmpl_deps_release(&r->items[i].deps);
        buf_release(&r->items[i].last);
    }
    free(r->items);
    r->items = NULL;
    r->n = 0;
    free(r->signals);
    free(r->scripts);
    strmap_release(&r->vars);
    free(r->task_dir);
    free(r->namespace_);
    uv_close((uv_handle_t *)&r->wait_timer, timer_closed);
    uv_close((uv_handle_t *)&r->splay_timer, timer_closed);
}
