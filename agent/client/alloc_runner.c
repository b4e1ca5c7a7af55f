/* Allocation and task runners (see alloc_runner.h). */
#include "agent/client/alloc_runner.h"
#include "agent/client/template_runner.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/client/lifecycle.h"
#include "agent/client/logmon.h"
#include "agent/client/restart.h"
#include "drivers/driver.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/logfile.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/time.h"

extern char **environ;

#define MAX_EVENTS 10 /* Nomad keeps the last 10 per task */

struct task_runner
{
    struct alloc_runner *ar;
    size_t index; /* into the alloc's tasks and task_states */
    const struct task *task;
    struct driver_task *handle;
    struct restart_tracker rt;
    uv_timer_t timer;
    bool timer_open;
    bool killing;
    bool dead;
    bool closing;
    bool recover_lost; /* recovered without its process */
    bool started;      /* started at least once (lifecycle ordering) */
    bool kill_fails;   /* the kill under way fails the task */
    struct template_runner *tmpl; /* NULL: the task has no templates */
    enum lifecycle_hook hook;
    struct alloc_runner_sample sample; /* for the stats endpoint */
    char *task_dir;
};

struct alloc_runner
{
    struct alloc_runner_env env;
    struct alloc *alloc;
    const struct task_group *group;
    struct task_runner *tasks;
    size_t ntasks;
    char *dir;
    struct logger lg;
    bool stopping;
    int open; /* tasks still holding handles or timers */
    void (*close_cb)(void *arg);
    void *close_arg;
    bool closing;
    bool leave_running;
    uv_timer_t health; /* min_healthy_time of a deployment */
    bool health_open;
    bool health_armed; /* the min_healthy_time timer runs or ran */
    bool health_set;
    bool health_wait_checks; /* min_healthy_time passed; checks are not */
    bool stepping;   /* inside lifecycle_step() */
    bool step_again; /* a state changed meanwhile */
};

static void changed(struct alloc_runner *ar);
static void start_task(struct task_runner *tr);
static void make_templates(struct task_runner *tr);
static void lifecycle_step(struct alloc_runner *ar);
static void maybe_closed(struct alloc_runner *ar);

/* ------------------------------------------------------------- events */

static struct task_state *state_of(struct task_runner *tr)
{
    return &tr->ar->alloc->task_states[tr->index];
}

/*
 * A dispatched job's payload, decoded into local/<dispatch_payload.file>
 * before the task starts; the name may not leave the task's local dir.
 */
static int write_payload(const struct job *job,
                         const struct task *t,
                         const char *local,
                         struct err *err)
{
    const char *file;
    unsigned char *data;
    size_t blen, len = 0;
    char *path;
    FILE *f;
    int rc = 0;

    if (job == NULL || job->payload == NULL || job->payload[0] == '\0' ||
        t->dispatch_payload == NULL || t->dispatch_payload->file == NULL)
        return 0;
    file = t->dispatch_payload->file;
    if (file[0] == '/' || strstr(file, "..") != NULL || file[0] == '\0')
        return err_set(err, ERR_INVALID,
                       "dispatch_payload file \"%s\" must stay inside local/",
                       file);
    blen = strlen(job->payload);
    data = xmalloc(blen + 1);
    if (sodium_base642bin(data, blen, job->payload, blen, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(data);
        return err_set(err, ERR_MALFORMED, "dispatch payload is not base64");
    }
    path = xasprintf("%s/%s", local, file);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len)
        rc = err_set(err, ERR_IO, "writing the dispatch payload to %s: %s",
                     path, strerror(errno));
    if (f != NULL && fclose(f) != 0 && rc == 0)
        rc = err_set(err, ERR_IO, "writing the dispatch payload to %s: %s",
                     path, strerror(errno));
    free(path);
    free(data);
    return rc;
}

static void event(struct task_runner *tr,
                  const char *type,
                  const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

static void event(struct task_runner *tr,
                  const char *type,
                  const char *fmt,
                  ...)
{
    struct task_state *st = state_of(tr);
    struct task_event *e;
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (st->nevents == MAX_EVENTS) {
        task_event_release(&st->events[0]);
        memmove(st->events, st->events + 1,
                (MAX_EVENTS - 1) * sizeof(*st->events));
        st->nevents--;
    }
    st->events = xrealloc(st->events, (st->nevents + 1) * sizeof(*st->events));
    e = &st->events[st->nevents++];
    task_event_init(e);
    e->type = xstrdup(type);
    e->time_unix_ns = time_wall_unix_ns();
    e->display_message = buf_detach(&b);
    log_info(&tr->ar->lg, "task %s: %s: %s", tr->task->name, type,
             e->display_message);
}

static void set_state(struct task_runner *tr, const char *state)
{
    model_set_str(&state_of(tr)->state, state);
}

/* ----------------------------------------------------- client status */

static void recompute(struct alloc_runner *ar)
{
    size_t dead = 0, running = 0, failed = 0;
    const char *status;

    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_state *st = &ar->alloc->task_states[i];

        if (strcmp(model_str(st->state), TASK_STATE_DEAD) == 0) {
            dead++;
            failed += st->failed;
        } else if (strcmp(model_str(st->state), TASK_STATE_RUNNING) == 0) {
            running++;
        }
    }
    if (dead == ar->ntasks)
        status = failed ? ALLOC_CLIENT_FAILED : ALLOC_CLIENT_COMPLETE;
    else if (running > 0 && running + dead == ar->ntasks)
        status = ALLOC_CLIENT_RUNNING;
    else if (running > 0)
        status = ALLOC_CLIENT_RUNNING;
    else
        status = ALLOC_CLIENT_PENDING;
    if (strcmp(model_str(ar->alloc->client_status), status) != 0) {
        model_set_str(&ar->alloc->client_status, status);
        model_set_str(
            &ar->alloc->client_description,
            strcmp(status, ALLOC_CLIENT_RUNNING) == 0  ? "Tasks are running"
            : strcmp(status, ALLOC_CLIENT_FAILED) == 0 ? "Failed tasks"
            : strcmp(status, ALLOC_CLIENT_COMPLETE) == 0
                ? "All tasks have completed"
                : "No tasks have started");
    }
}

static void set_health(struct alloc_runner *ar, bool healthy)
{
    struct alloc_deployment_status *ds = ar->alloc->deployment_status;

    if (ar->health_set)
        return;
    ar->health_set = true;
    if (ds == NULL) {
        ds = xcalloc(1, sizeof(*ds));
        ar->alloc->deployment_status = ds;
    }
    ds->healthy = tri_from_bool(healthy);
    ds->timestamp_unix_ns = time_wall_unix_ns();
    log_info(&ar->lg, "alloc is %s for %s %.8s",
             healthy ? "healthy" : "unhealthy",
             ar->alloc->deployment_id ? "deployment" : "migration",
             ar->alloc->deployment_id ? ar->alloc->deployment_id : "");
}

static bool checks_pending(struct alloc_runner *ar);

static void health_timer_fired(uv_timer_t *t)
{
    struct alloc_runner *ar = t->data;

    if (checks_pending(ar)) {
        ar->health_wait_checks = true;
        return;
    }
    if (strcmp(model_str(ar->alloc->client_status), ALLOC_CLIENT_RUNNING) ==
        0) {
        set_health(ar, true);
        changed(ar);
    }
}

/*
 * Deployment health from task states (Nomad's health_check =
 * "task_states"; "checks" also waits for the service checks, see
 * checks_pending()): healthy once every task
 * has run for min_healthy_time, unhealthy if one fails before. "manual"
 * leaves it to /v1/deployment/allocation-health.
 */
static void track_health(struct alloc_runner *ar)
{
    const char *cs = model_str(ar->alloc->client_status);
    int64_t min_ns = 10 * NS_PER_SEC;

    /* Outside a deployment a service alloc still reports its health, by
     * its group's migrate block: the node drainer paces migrations on it
     * (Nomad's health hook watches every service alloc). */
    bool migrating = ar->alloc->deployment_id == NULL && ar->alloc->job &&
                     strcmp(model_str(ar->alloc->job->type), "service") == 0;

    if ((ar->alloc->deployment_id == NULL && !migrating) || ar->health_set ||
        ar->closing)
        return;
    /* health_check = "manual": the operator sets it through the API. */
    if (ar->group && ar->group->update &&
        strcmp(model_str(ar->group->update->health_check), "manual") == 0)
        return;
    if (!migrating && ar->group && ar->group->update &&
        ar->group->update->min_healthy_time_ns != MODEL_UNSET)
        min_ns = ar->group->update->min_healthy_time_ns;
    if (migrating && ar->group && ar->group->migrate &&
        ar->group->migrate->min_healthy_time_ns != MODEL_UNSET)
        min_ns = ar->group->migrate->min_healthy_time_ns;
    if (strcmp(cs, ALLOC_CLIENT_FAILED) == 0) {
        set_health(ar, false);
        return;
    }
    for (size_t i = 0; i < ar->ntasks; i++) {
        const struct task_state *st = &ar->alloc->task_states[i];

        if (st->restarts > 0 || (st->failed && ar->tasks[i].dead)) {
            set_health(ar, false);
            return;
        }
    }
    if (strcmp(cs, ALLOC_CLIENT_RUNNING) == 0 && !ar->health_armed) {
        if (!ar->health_open) {
            uv_timer_init(ar->env.loop, &ar->health);
            ar->health.data = ar;
            ar->health_open = true;
        }
        ar->health_armed = true;
        uv_timer_start(&ar->health, health_timer_fired,
                       (uint64_t)(min_ns / 1000000), 0);
    }
}

static void changed(struct alloc_runner *ar)
{
    lifecycle_step(ar);
    recompute(ar);
    track_health(ar);
    if (ar->env.changed && !ar->closing)
        ar->env.changed(ar->env.arg, ar);
}

/* ---------------------------------------------------------- directories */

static int mkdirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            rc = -errno;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
        rc = -errno;
    free(p);
    return rc;
}

/* Task-writable dirs: exec tasks run as nobody by default, as in Nomad. */
static int mkdirs_shared(const char *path)
{
    int rc = mkdirs(path);

    if (rc == 0 && chmod(path, 01777) != 0)
        rc = -errno;
    return rc;
}

/* ----------------------------------------------------------- environment */

struct env
{
    struct strmap vars;
};

/* Nomad cleans port labels and meta keys into variable names. */
static char *clean(const char *prefix, const char *name)
{
    char *s = xasprintf("%s%s", prefix, name);

    for (char *p = s + strlen(prefix); *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
            *p = '_';
    }
    return s;
}

static void setv(struct strmap *m, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setv(struct strmap *m, const char *k, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    strmap_set(m, k, buf_str(&b));
    buf_release(&b);
}

static void set_meta(struct strmap *m, const struct strmap *meta)
{
    for (size_t i = 0; i < meta->n; i++) {
        char *k = clean("NOMAD_META_", meta->items[i].key);

        strmap_set(m, k, meta->items[i].value);
        for (char *p = k; *p; p++) {
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        }
        strmap_set(m, k, meta->items[i].value);
        free(k);
    }
}

static bool denied(const char *key)
{
    static const char *const deny[] = {"CONSUL_TOKEN",
                                       "CONSUL_HTTP_TOKEN",
                                       "NOMAD_TOKEN",
                                       "VAULT_TOKEN",
                                       "AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_METADATA_URL",
                                       "GOOGLE_APPLICATION_CREDENTIALS",
                                       "GOOGLE_OAUTH_ACCESS_TOKEN",
                                       "CARAVAN_TOKEN",
                                       NULL};

    for (const char *const *d = deny; *d; d++) {
        if (strcmp(key, *d) == 0)
            return true;
    }
    return strstr(key, "_LICENSE") != NULL;
}

/* Looks up ${name} for runtime interpolation: the env, then the node. */
static const char *lookup(const struct strmap *env,
                          const struct node *n,
                          const char *name)
{
    const char *v = strmap_get(env, name);

    if (v != NULL)
        return v;
    if (strcmp(name, "node.unique.id") == 0)
        return n->id;
    if (strcmp(name, "node.unique.name") == 0)
        return n->name;
    if (strcmp(name, "node.datacenter") == 0)
        return n->datacenter;
    if (strcmp(name, "node.class") == 0)
        return model_str(n->node_class);
    if (strcmp(name, "node.pool") == 0)
        return n->node_pool;
    if (strncmp(name, "attr.", 5) == 0)
        return strmap_get(&n->attributes, name + 5);
    if (strncmp(name, "meta.", 5) == 0)
        return strmap_get(&n->meta, name + 5);
    return NULL;
}

/*
 * Replaces ${name} in s. Unknown names stay literal (env values) or are an
 * error (driver config, as Nomad's HCL evaluation of it).
 */
static char *interpolate(const char *s,
                         const struct strmap *env,
                         const struct node *n,
                         bool strict,
                         struct err *err)
{
    struct buf b = BUF_INIT;

    while (*s) {
        const char *open = strstr(s, "${"), *close;
        char *name;
        const char *v;

        if (open == NULL || (close = strchr(open, '}')) == NULL) {
            buf_puts(&b, s);
            break;
        }
        buf_append(&b, s, (size_t)(open - s));
        name = xstrndup(open + 2, (size_t)(close - open - 2));
        v = lookup(env, n, name);
        if (v == NULL && strict) {
            err_set(err, ERR_INVALID,
                    "failed to parse config: Unknown variable: There is no "
                    "variable named \"%s\"",
                    name);
            free(name);
            buf_release(&b);
            return NULL;
        }
        if (v != NULL)
            buf_puts(&b, v);
        else
            buf_append(&b, open, (size_t)(close - open + 1));
        free(name);
        s = close + 1;
    }
    return buf_detach(&b);
}

static json_t *interpolate_json(const json_t *v,
                                const struct strmap *env,
                                const struct node *n,
                                struct err *err)
{
    const char *key;
    json_t *e, *out;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_STRING: {
        char *s = interpolate(json_string_value(v), env, n, true, err);

        if (s == NULL)
            return NULL;
        out = json_string(s);
        free(s);
        return out;
    }
    case JSON_ARRAY:
        out = json_array();
        json_array_foreach(v, i, e)
        {
            json_t *x = interpolate_json(e, env, n, err);

            if (x == NULL) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, x);
        }
        return out;
    case JSON_OBJECT:
        out = json_object();
        json_object_foreach((json_t *)v, key, e)
        {
            json_t *x = interpolate_json(e, env, n, err);

            if (x == NULL) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, key, x);
        }
        return out;
    default:
        return json_deep_copy(v);
    }
}

/* The task's environment, in Nomad's order (runtime.md §1). */
static void build_env(struct task_runner *tr,
                      const struct driver_task_dirs *dirs,
                      bool isolated,
                      struct strmap *m)
{
    const struct alloc *a = tr->ar->alloc;
    const struct job *job = a->job;
    const struct node *n = tr->ar->env.node;
    const struct task *t = tr->task;
    int64_t idx = alloc_name_index(a);
    struct strmap meta;

    strmap_init(m);
    setv(m, "NOMAD_ALLOC_ID", "%s", a->id);
    setv(m, "NOMAD_SHORT_ALLOC_ID", "%.8s", a->id);
    setv(m, "NOMAD_ALLOC_NAME", "%s", model_str(a->name));
    setv(m, "NOMAD_ALLOC_INDEX", "%lld", (long long)(idx < 0 ? 0 : idx));
    setv(m, "NOMAD_JOB_ID", "%s", model_str(job->id));
    setv(m, "NOMAD_JOB_NAME", "%s", model_str(job->name));
    if (job->parent_id && job->parent_id[0])
        setv(m, "NOMAD_JOB_PARENT_ID", "%s", job->parent_id);
    setv(m, "NOMAD_GROUP_NAME", "%s", model_str(a->task_group));
    setv(m, "NOMAD_TASK_NAME", "%s", t->name);
    setv(m, "NOMAD_NAMESPACE", "%s", model_str(job->namespace));
    setv(m, "NOMAD_REGION", "%s", model_str(job->region));
    setv(m, "NOMAD_DC", "%s", model_str(n->datacenter));
    if (t->resources) {
        setv(m, "NOMAD_CPU_LIMIT", "%lld", (long long)t->resources->cpu);
        setv(m, "NOMAD_MEMORY_LIMIT", "%lld",
             (long long)t->resources->memory_mb);
        if (t->resources->memory_max_mb > 0)
            setv(m, "NOMAD_MEMORY_MAX_LIMIT", "%lld",
                 (long long)t->resources->memory_max_mb);
    }
    setv(m, "NOMAD_ALLOC_DIR", "%s", isolated ? "/alloc" : dirs->alloc_dir);
    setv(m, "NOMAD_TASK_DIR", "%s", isolated ? "/local" : dirs->local_dir);
    setv(m, "NOMAD_SECRETS_DIR", "%s",
         isolated ? "/secrets" : dirs->secrets_dir);
    for (size_t i = 0; i < a->nports; i++) {
        const struct alloc_port *p = &a->ports[i];
        const char *ip = p->host_ip ? p->host_ip : "127.0.0.1";
        char *k;

        k = clean("NOMAD_IP_", p->label);
        setv(m, k, "%s", ip);
        free(k);
        k = clean("NOMAD_PORT_", p->label);
        setv(m, k, "%lld", (long long)(p->to > 0 ? p->to : p->value));
        free(k);
        k = clean("NOMAD_ADDR_", p->label);
        setv(m, k, "%s:%lld", ip, (long long)p->value);
        free(k);
        k = clean("NOMAD_HOST_PORT_", p->label);
        setv(m, k, "%lld", (long long)p->value);
        free(k);
        k = clean("NOMAD_HOST_IP_", p->label);
        setv(m, k, "%s", ip);
        free(k);
        k = clean("NOMAD_HOST_ADDR_", p->label);
        setv(m, k, "%s:%lld", ip, (long long)p->value);
        free(k);
        k = clean("NOMAD_ALLOC_PORT_", p->label);
        setv(m, k, "%lld", (long long)(p->to > 0 ? p->to : p->value));
        free(k);
    }
    /* Meta merges job -> group -> task, inner wins. */
    strmap_init(&meta);
    strmap_copy(&meta, &t->meta);
    if (tr->ar->group)
        strmap_merge_missing(&meta, &tr->ar->group->meta);
    strmap_merge_missing(&meta, &job->meta);
    set_meta(m, &meta);
    strmap_release(&meta);
    /* The agent's environment, never over the variables above. */
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        char *k;

        if (eq == NULL)
            continue;
        k = xstrndup(*e, (size_t)(eq - *e));
        if (!denied(k) && strmap_get(m, k) == NULL)
            strmap_set(m, k, eq + 1);
        free(k);
    }
    for (size_t i = 0; i < t->env.n; i++) {
        struct err err = ERR_INIT;
        char *v = interpolate(t->env.items[i].value, m, n, false, &err);

        strmap_set(m, t->env.items[i].key, v);
        free(v);
    }
}

/* ---------------------------------------------------------- task runner */

/* A task's kill_signal ("SIGTERM", "TERM" or "15"); 0 when unknown. */
static int parse_signal(const char *name)
{
    static const struct
    {
        const char *name;
        int signo;
    } table[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},
        {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"USR2", SIGUSR2},
        {"TERM", SIGTERM}, {"ALRM", SIGALRM},     {"CONT", SIGCONT},
        {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},     {"WINCH", SIGWINCH},
        {"PIPE", SIGPIPE}, {"ABRT", SIGABRT},     {"TTIN", SIGTTIN},
        {"TTOU", SIGTTOU}, {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},
        {"PWR", SIGPWR},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    };
    char *end;
    long v;

    if (name == NULL || name[0] == '\0')
        return SIGINT;
    v = strtol(name, &end, 10);
    if (*end == '\0' && v > 0 && v < NSIG)
        return (int)v;
    if (strncmp(name, "SIG", 3) == 0)
        name += 3;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(name, table[i].name) == 0)
            return table[i].signo;
    }
    return 0;
}

/*
 * The fd the task writes stream s into: a pipe to a logmon process that
 * rotates the files, /dev/null when the task's logs are disabled, -1 with
 * an event on failure.
 */
static int open_log(struct task_runner *tr, const char *s)
{
    const struct log_config *lc = tr->task->log_config;
    struct logmon_opts o;
    struct err err = ERR_INIT;
    char *dir, *base;
    int fd = -1;

    if (lc != NULL && lc->disabled == TRI_TRUE)
        return open("/dev/null", O_WRONLY | O_CLOEXEC);
    dir = xasprintf("%s/alloc/logs", tr->ar->dir);
    base = xasprintf("%s.%s", tr->task->name, s);
    o.dir = dir;
    o.base = base;
    o.max_files = LOGFILE_MAX_FILES_DEFAULT;
    o.max_file_size_bytes = (uint64_t)LOGFILE_MAX_FILE_SIZE_MB_DEFAULT << 20;
    if (lc != NULL && lc->max_files > 0 && lc->max_files <= INT32_MAX)
        o.max_files = (uint32_t)lc->max_files;
    if (lc != NULL && lc->max_file_size_mb > 0 &&
        lc->max_file_size_mb <= (INT64_C(1) << 30))
        o.max_file_size_bytes = (uint64_t)lc->max_file_size_mb << 20;
    if (logmon_spawn(&o, &fd, &err) != 0)
        log_warn(&tr->ar->lg, "task %s: starting logmon for %s: %s",
                 tr->task->name, s, err.msg);
    free(dir);
    free(base);
    return fd;
}

static void task_exited(struct driver_task *t,
                        const struct driver_exit *ex,
                        void *arg);

static void handle_closed(void *arg)
{
    struct task_runner *tr = arg;

    tr->ar->open--;
    maybe_closed(tr->ar);
}

static void drop_handle(struct task_runner *tr)
{
    /* Nothing to re-render for until the next start. */
    if (tr->tmpl != NULL)
        template_runner_stop(tr->tmpl);
    if (tr->handle == NULL)
        return;
    tr->ar->open++;
    driver_task_destroy(tr->handle, handle_closed, tr);
    tr->handle = NULL;
}

static void restart_timer_fired(uv_timer_t *t)
{
    struct task_runner *tr = t->data;

    if (tr->closing || (tr->ar->stopping && tr->hook != LIFECYCLE_POSTSTOP))
        return;
    start_task(tr);
}

static void task_dead(struct task_runner *tr, bool failed)
{
    struct task_state *st = state_of(tr);

    tr->dead = true;
    st->failed = failed;
    st->finished_at_unix_ns = time_wall_unix_ns();
    set_state(tr, TASK_STATE_DEAD);
}

/* After an exit or a failed start: restart, give up or finish. */
static void after_exit(struct task_runner *tr, int code, bool fatal)
{
    struct alloc_runner *ar = tr->ar;
    struct restart_decision d;
    int type = job_type_flag(ar->alloc->job->type);
    double jitter = (double)(random() % 1000) / 1000.0;
    /* Ephemeral hooks and poststop tasks are done once they succeed, even
     * in a service job (Nomad's restart tracker). */
    bool final = lifecycle_success_is_final(
        tr->hook, tr->task->lifecycle && tr->task->lifecycle->sidecar,
        (type & (JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH)) != 0);

    restart_decide(tr->task->restart_policy, final, code, fatal,
                   (int64_t)time_mono_ms(), jitter, &tr->rt, &d);
    switch (d.action) {
    case RESTART_COMPLETE:
        task_dead(tr, false);
        break;
    case RESTART_FAIL:
        event(tr, "Not Restarting", "%s", d.reason);
        task_dead(tr, true);
        break;
    case RESTART_NOW: {
        char delay[32];

        duration_format((int64_t)d.delay_ms * 1000000, delay, sizeof(delay));
        event(tr, "Restarting", "Task restarting in %s", delay);
        state_of(tr)->restarts++;
        state_of(tr)->last_restart_unix_ns = time_wall_unix_ns();
        set_state(tr, TASK_STATE_PENDING);
        if (!tr->timer_open) {
            uv_timer_init(ar->env.loop, &tr->timer);
            tr->timer.data = tr;
            tr->timer_open = true;
        }
        uv_timer_start(&tr->timer, restart_timer_fired, d.delay_ms, 0);
        break;
    }
    }
    changed(ar);
}

static void task_exited(struct driver_task *t,
                        const struct driver_exit *ex,
                        void *arg)
{
    struct task_runner *tr = arg;

    (void)t;
    if (tr->killing)
        return;            /* the stop callback takes it from here */
    if (!ex->status_known) /* a reattached task that is not our child */
        event(tr, "Terminated", "Exit status unknown: %s", ex->message);
    else if (ex->signal)
        event(tr, "Terminated", "Exit Code: %d, Signal: %d", ex->exit_code,
              ex->signal);
    else
        event(tr, "Terminated", "Exit Code: %d", ex->exit_code);
    drop_handle(tr);
    after_exit(tr, ex->status_known ? ex->exit_code : -1, false);
}

static void start_task(struct task_runner *tr)
{
    struct alloc_runner *ar = tr->ar;
    const struct task *t = tr->task;
    struct driver *d = ar->env.driver(ar->env.arg, model_str(t->driver));
    struct driver_task_spec spec;
    struct strmap env;
    struct err err = ERR_INIT;
    json_t *config = NULL;
    char **envp = NULL;
    char *alloc_dir, *local, *secrets, *tmp;
    int rc;

    tr->kill_fails = false;
    if (d == NULL) {
        event(tr, "Driver Failure",
              "failed to start task: driver \"%s\" is "
              "not available on this node",
              model_str(t->driver));
        after_exit(tr, -1, true);
        return;
    }
    alloc_dir = xasprintf("%s/alloc", ar->dir);
    local = xasprintf("%s/local", tr->task_dir);
    secrets = xasprintf("%s/secrets", tr->task_dir);
    tmp = xasprintf("%s/tmp", tr->task_dir);
    memset(&spec, 0, sizeof(spec));
    spec.task_name = t->name;
    spec.alloc_id = ar->alloc->id;
    spec.user = t->user;
    spec.dirs.task_dir = tr->task_dir;
    spec.dirs.alloc_dir = alloc_dir;
    spec.dirs.local_dir = local;
    spec.dirs.secrets_dir = secrets;
    spec.dirs.tmp_dir = tmp;
    build_env(tr, &spec.dirs,
              d->ops->caps.fs_isolation != DRIVER_FS_ISOLATION_NONE, &env);
    /* Templates see the task's environment and may add to it. */
    rc = tr->tmpl ? template_runner_prestart(tr->tmpl, &env, &err) : 0;
    if (rc != 0) {
        event(tr, "Task Hook Failed", "prestart hook \"template\" failed: %s",
              err.msg);
        goto fail;
    }
    if (t->config != NULL)
        config = interpolate_json(t->config, &env, ar->env.node, &err);
    else
        config = json_object();
    if (config == NULL) {
        event(tr, "Failed Validation", "%s", err.msg);
        rc = ERR_INVALID;
        goto fail;
    }
    rc = write_payload(ar->alloc->job, t, local, &err);
    if (rc != 0) {
        event(tr, "Setup Failure", "%s", err.msg);
        goto fail;
    }
    rc = driver_validate_config(d, config, &err);
    if (rc != 0) {
        event(tr, "Failed Validation", "%s", err.msg);
        goto fail;
    }
    if (parse_signal(t->kill_signal) == 0) {
        event(tr, "Failed Validation", "unknown kill_signal \"%s\"",
              t->kill_signal);
        rc = ERR_INVALID;
        goto fail;
    }
    envp = xcalloc(env.n + 1, sizeof(*envp));
    for (size_t i = 0; i < env.n; i++)
        envp[i] = xasprintf("%s=%s", env.items[i].key, env.items[i].value);
    spec.env = envp;
    spec.config = config;
    spec.stdout_fd = open_log(tr, "stdout");
    spec.stderr_fd = open_log(tr, "stderr");
    if (spec.stdout_fd < 0 || spec.stderr_fd < 0) {
        event(tr, "Driver Failure",
              "failed to start task: setting up the "
              "log collector failed");
        if (spec.stdout_fd >= 0)
            close(spec.stdout_fd);
        if (spec.stderr_fd >= 0)
            close(spec.stderr_fd);
        rc = -EIO;
        goto fail;
    }
    if (t->resources) {
        spec.resources.cpu_mhz = (uint32_t)t->resources->cpu;
        spec.resources.memory_mb = (uint32_t)t->resources->memory_mb;
        spec.resources.memory_max_mb = (uint32_t)t->resources->memory_max_mb;
    }
    spec.kill_signal = parse_signal(t->kill_signal);
    spec.kill_timeout_ms = (uint64_t)(t->kill_timeout_ns / 1000000);
    rc = driver_start(d, &spec, &tr->handle, &err);
    if (spec.stdout_fd >= 0)
        close(spec.stdout_fd);
    if (spec.stderr_fd >= 0)
        close(spec.stderr_fd);
    if (rc != 0) {
        event(tr, "Driver Failure",
              "failed to launch command with executor: "
              "%s",
              err.msg);
        goto fail;
    }
    state_of(tr)->started_at_unix_ns = time_wall_unix_ns();
    set_state(tr, TASK_STATE_RUNNING);
    event(tr, "Started", "Task started by client");
    driver_task_wait(tr->handle, task_exited, tr);
    changed(ar);
    goto out;
fail:
    after_exit(tr, -1, rc == ERR_INVALID);
out:
    if (envp != NULL) {
        for (size_t i = 0; envp[i]; i++)
            free(envp[i]);
        free(envp);
    }
    json_decref(config);
    strmap_release(&env);
    free(alloc_dir);
    free(local);
    free(secrets);
    free(tmp);
}

/* ------------------------------------------------------------ lifecycle */

static void set_hook(struct task_runner *tr)
{
    const struct task_lifecycle *lc = tr->task->lifecycle;

    /* Validation refused unknown hooks; one slipping through runs as a
     * main task rather than never. */
    if (!lifecycle_hook_parse(lc ? lc->hook : NULL, &tr->hook))
        tr->hook = LIFECYCLE_MAIN;
}

static void task_stopped(struct driver_task *t, void *arg);
static bool is_running(const struct task_runner *tr);

/* Kills one task (or, when it has no process, ends it). */
static void kill_one(struct task_runner *tr)
{
    char timeout[32];

    if (tr->timer_open)
        uv_timer_stop(&tr->timer);
    if (tr->dead || tr->killing)
        return;
    if (tr->handle == NULL) { /* not started, or waiting to restart */
        tr->started = true;
        task_dead(tr, false);
        return;
    }
    tr->killing = true;
    duration_format(tr->task->kill_timeout_ns, timeout, sizeof(timeout));
    event(tr, "Killing", "Sent interrupt. Waiting %s before force killing",
          timeout);
    driver_task_stop(tr->handle, task_stopped, tr);
}

static void kill_event(struct task_runner *tr,
                       const struct lifecycle_decision *d)
{
    switch (d->kill_reason) {
    case LIFECYCLE_KILL_SIBLING_FAILED:
        event(tr, "Sibling Task Failed", "Task's sibling \"%s\" failed",
              tr->ar->tasks[d->cause].task->name);
        break;
    case LIFECYCLE_KILL_LEADER_DEAD:
        event(tr, "Leader Task Dead", "Leader Task in Group dead");
        break;
    case LIFECYCLE_KILL_MAIN_DEAD:
        event(tr, "Main Tasks Dead", "Main tasks in the group died");
        break;
    case LIFECYCLE_KILL_NONE:
        break;
    }
}

static enum lifecycle_run run_of(const struct task_runner *tr)
{
    if (tr->dead)
        return LIFECYCLE_DEAD;
    if (!tr->started)
        return LIFECYCLE_WAITING;
    return tr->handle != NULL && !tr->killing ? LIFECYCLE_RUNNING
                                              : LIFECYCLE_STARTED;
}

/* One round of lifecycle_decide(); true when it changed something. */
static bool lifecycle_round(struct alloc_runner *ar)
{
    struct lifecycle_task *lt = xcalloc(ar->ntasks, sizeof(*lt));
    bool *start = xcalloc(ar->ntasks, sizeof(*start));
    bool *kill = xcalloc(ar->ntasks, sizeof(*kill));
    struct lifecycle_decision d;
    bool acted = false;

    for (size_t i = 0; i < ar->ntasks; i++) {
        const struct task_runner *tr = &ar->tasks[i];

        lt[i].hook = tr->hook;
        lt[i].sidecar = tr->task->lifecycle && tr->task->lifecycle->sidecar;
        lt[i].leader = tri_is_true(tr->task->leader);
        lt[i].run = run_of(tr);
        lt[i].failed = tr->dead && state_of((struct task_runner *)tr)->failed;
    }
    lifecycle_decide(lt, ar->ntasks, start, kill, &d);
    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];

        /* Once the alloc is stopping, only poststop tasks start. */
        if (ar->stopping && (tr->hook != LIFECYCLE_POSTSTOP || !start[i]))
            continue;
        if (kill[i] && !tr->killing) {
            kill_event(tr, &d);
            kill_one(tr);
            acted = true;
        } else if (start[i]) {
            tr->started = true;
            start_task(tr);
            acted = true;
        }
    }
    free(lt);
    free(start);
    free(kill);
    return acted;
}

/*
 * Starts and kills tasks as their lifecycle hooks say. Runs after every
 * change; a change made from inside (a start that fails at once) makes the
 * outer call look again rather than recurse.
 */
static void lifecycle_step(struct alloc_runner *ar)
{
    if (ar->closing || ar->group == NULL)
        return;
    if (ar->stepping) {
        ar->step_again = true;
        return;
    }
    ar->stepping = true;
    do {
        ar->step_again = false;
        if (lifecycle_round(ar))
            ar->step_again = true;
    } while (ar->step_again && !ar->closing);
    ar->stepping = false;
}

/* --------------------------------------------------------- alloc runner */

struct alloc_runner *alloc_runner_new(const struct alloc_runner_env *env,
                                      const struct alloc *a)
{
    struct alloc_runner *ar = xcalloc(1, sizeof(*ar));

    ar->env = *env;
    ar->alloc = alloc_copy(a);
    ar->dir = xasprintf("%s/%s", env->alloc_root, a->id);
    logger_init(&ar->lg, "client.alloc_runner", "alloc=%.8s", a->id);
    ar->group = job_find_group(ar->alloc->job, model_str(a->task_group));
    if (ar->group == NULL)
        return ar;
    ar->ntasks = ar->group->ntasks;
    ar->tasks = xcalloc(ar->ntasks, sizeof(*ar->tasks));
    /* Task states in task order; fresh ones for a new alloc. */
    for (size_t i = 0; i < ar->alloc->ntask_states; i++)
        task_state_release(&ar->alloc->task_states[i]);
    free(ar->alloc->task_states);
    ar->alloc->task_states = xcalloc(ar->ntasks, sizeof(struct task_state));
    ar->alloc->ntask_states = ar->ntasks;
    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];

        tr->ar = ar;
        tr->index = i;
        tr->task = &ar->group->tasks[i];
        tr->task_dir = xasprintf("%s/%s", ar->dir, tr->task->name);
        set_hook(tr);
        make_templates(tr);
        task_state_init(&ar->alloc->task_states[i]);
        ar->alloc->task_states[i].task = xstrdup(tr->task->name);
        set_state(tr, TASK_STATE_PENDING);
        event(tr, "Received", "Task received by client");
    }
    return ar;
}

static void recover_run(struct alloc_runner *ar);
static void resume_templates(struct task_runner *tr, const struct driver *d);

void alloc_runner_run(struct alloc_runner *ar)
{
    char *sub;
    int rc = 0;

    for (size_t i = 0; i < ar->ntasks; i++) {
        if (ar->tasks[i].recover_lost || ar->tasks[i].handle != NULL ||
            ar->tasks[i].dead) {
            recover_run(ar); /* a recovered runner: nothing to set up */
            return;
        }
    }

    if (ar->group == NULL) {
        model_set_str(&ar->alloc->client_status, ALLOC_CLIENT_FAILED);
        model_set_str(&ar->alloc->client_description,
                      "task group not found in the job");
        if (ar->env.changed)
            ar->env.changed(ar->env.arg, ar);
        return;
    }
    for (const char *const *d =
             (const char *const[]){"alloc/logs", "alloc/data", "alloc/tmp",
                                   NULL};
         *d && rc == 0; d++) {
        sub = xasprintf("%s/%s", ar->dir, *d);
        rc = mkdirs_shared(sub);
        free(sub);
    }
    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];

        event(tr, "Task Setup", "Building Task Directory");
        for (const char *const *d =
                 (const char *const[]){"local", "secrets", "tmp", NULL};
             *d && rc == 0; d++) {
            sub = xasprintf("%s/%s", tr->task_dir, *d);
            rc = mkdirs_shared(sub);
            free(sub);
        }
        if (rc != 0) {
            event(tr, "Setup Failure",
                  "failed to build task directory for \"%s\": %s",
                  tr->task->name, strerror(-rc));
            tr->started = true;
            task_dead(tr, true);
        }
    }
    changed(ar); /* starts the tasks whose turn it is */
}

json_t *alloc_runner_handles(const struct alloc_runner *ar)
{
    json_t *o = json_object();

    for (size_t i = 0; i < ar->ntasks; i++) {
        if (ar->tasks[i].handle != NULL)
            json_object_set_new(
                o, ar->tasks[i].task->name,
                driver_task_state_to_json(&ar->tasks[i].handle->state));
    }
    return o;
}

struct alloc_runner *alloc_runner_recover(const struct alloc_runner_env *env,
                                          const struct alloc *a,
                                          const json_t *handles)
{
    struct alloc_runner *ar = xcalloc(1, sizeof(*ar));

    ar->env = *env;
    ar->alloc = alloc_copy(a);
    ar->dir = xasprintf("%s/%s", env->alloc_root, a->id);
    logger_init(&ar->lg, "client.alloc_runner", "alloc=%.8s", a->id);
    ar->group = job_find_group(ar->alloc->job, model_str(a->task_group));
    if (ar->group == NULL || ar->alloc->ntask_states != ar->group->ntasks)
        return ar;
    ar->ntasks = ar->group->ntasks;
    ar->tasks = xcalloc(ar->ntasks, sizeof(*ar->tasks));
    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];
        struct task_state *st = &ar->alloc->task_states[i];
        const json_t *h = json_object_get(handles, model_str(st->task));
        struct driver *d;
        struct driver_task_state ds;
        struct err err = ERR_INIT;

        tr->ar = ar;
        tr->index = i;
        tr->task = &ar->group->tasks[i];
        tr->task_dir = xasprintf("%s/%s", ar->dir, tr->task->name);
        set_hook(tr);
        make_templates(tr);
        /* A task that never left pending was held back by its lifecycle
         * hook and starts when its turn comes. */
        tr->started = strcmp(model_str(st->state), TASK_STATE_PENDING) != 0 ||
                      st->restarts > 0 || st->started_at_unix_ns > 0;
        if (strcmp(model_str(st->state), TASK_STATE_DEAD) == 0) {
            tr->dead = true;
            continue;
        }
        d = env->driver(env->arg, model_str(tr->task->driver));
        if (h != NULL && d != NULL &&
            driver_task_state_from_json(h, &ds, &err) == 0 &&
            driver_recover(d, &ds, &tr->handle, &err) == 0) {
            log_info(&ar->lg, "task %s: reattached to pid %d", tr->task->name,
                     (int)ds.pid);
            tr->started = true; /* whatever state was saved before */
            driver_task_wait(tr->handle, task_exited, tr);
            resume_templates(tr, d);
            continue;
        }
        tr->handle = NULL;
        tr->recover_lost = true;
    }
    return ar;
}

/* A reattached task's templates: watched again from what is on disk. */
static void resume_templates(struct task_runner *tr, const struct driver *d)
{
    struct driver_task_dirs dirs;
    struct strmap env;
    char *alloc_dir, *local, *secrets, *tmp;

    if (tr->tmpl == NULL)
        return;
    alloc_dir = xasprintf("%s/alloc", tr->ar->dir);
    local = xasprintf("%s/local", tr->task_dir);
    secrets = xasprintf("%s/secrets", tr->task_dir);
    tmp = xasprintf("%s/tmp", tr->task_dir);
    dirs.task_dir = tr->task_dir;
    dirs.alloc_dir = alloc_dir;
    dirs.local_dir = local;
    dirs.secrets_dir = secrets;
    dirs.tmp_dir = tmp;
    build_env(tr, &dirs, d->ops->caps.fs_isolation != DRIVER_FS_ISOLATION_NONE,
              &env);
    template_runner_resume(tr->tmpl, &env);
    strmap_release(&env);
    free(alloc_dir);
    free(local);
    free(secrets);
    free(tmp);
}

/* Starts what a recovered runner could not reattach to. */
static void recover_run(struct alloc_runner *ar)
{
    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];

        if (!tr->recover_lost || !tr->started)
            continue;
        tr->recover_lost = false;
        if (strcmp(model_str(state_of(tr)->state), TASK_STATE_RUNNING) == 0) {
            event(tr, "Terminated",
                  "Exit status unknown: the task ended while the agent was "
                  "down");
            after_exit(tr, -1, false);
        } else {
            start_task(tr);
        }
    }
    changed(ar);
}

static void task_stopped(struct driver_task *t, void *arg)
{
    struct task_runner *tr = arg;
    struct driver_task_status st;

    /* Nomad records how the killed task ended before it says "Killed". */
    memset(&st, 0, sizeof(st));
    driver_task_inspect(t, &st);
    if (st.state == DRIVER_TASK_EXITED && st.exit.status_known) {
        if (st.exit.signal)
            event(tr, "Terminated", "Exit Code: %d, Signal: %d",
                  st.exit.exit_code, st.exit.signal);
        else
            event(tr, "Terminated", "Exit Code: %d", st.exit.exit_code);
    }
    event(tr, "Killed", "Task successfully killed");
    drop_handle(tr);
    task_dead(tr, tr->kill_fails);
    changed(tr->ar);
    maybe_closed(tr->ar);
}

static void shutdown_delay_fired(uv_timer_t *t)
{
    struct task_runner *tr = t->data;

    kill_one(tr);
    changed(tr->ar);
}

/*
 * A stopped alloc still runs its poststop tasks, after the others. Its
 * services are already out of the catalogue (the client drops them as
 * soon as the alloc is no longer wanted); a task with a shutdown_delay
 * (its own or its group's, the longer) keeps running that long after,
 * so callers that looked it up just before can finish.
 */
static void kill_tasks(struct alloc_runner *ar)
{
    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];
        int64_t delay = tr->task->shutdown_delay_ns;
        char d[32];

        if (tr->hook == LIFECYCLE_POSTSTOP)
            continue;
        if (ar->group->shutdown_delay_ns > delay)
            delay = ar->group->shutdown_delay_ns;
        if (delay <= 0 || !is_running(tr)) {
            kill_one(tr);
            continue;
        }
        duration_format(delay, d, sizeof(d));
        event(tr, "Waiting for shutdown delay",
              "Waiting for shutdown_delay of %s before killing the task.", d);
        if (!tr->timer_open) {
            uv_timer_init(ar->env.loop, &tr->timer);
            tr->timer.data = tr;
            tr->timer_open = true;
        }
        uv_timer_start(&tr->timer, shutdown_delay_fired,
                       (uint64_t)(delay / 1000000), 0);
    }
    changed(ar);
}

/* ------------------------------------------------ service checks */

static bool is_running(const struct task_runner *tr);

/*
 * health_check = "checks" (the default) holds the alloc back until its
 * service checks are healthy; the client tells us when they move.
 */
static bool checks_pending(struct alloc_runner *ar)
{
    const char *mode = "checks";

    if (ar->env.checks_healthy == NULL || ar->group == NULL)
        return false;
    if (ar->alloc->deployment_id != NULL && ar->group->update != NULL &&
        ar->group->update->health_check != NULL)
        mode = ar->group->update->health_check;
    else if (ar->alloc->deployment_id == NULL && ar->group->migrate != NULL &&
             ar->group->migrate->health_check != NULL)
        mode = ar->group->migrate->health_check;
    if (strcmp(mode, "checks") != 0)
        return false;
    return !ar->env.checks_healthy(ar->env.arg, ar->alloc);
}

void alloc_runner_checks_changed(struct alloc_runner *ar)
{
    if (!ar->health_wait_checks || ar->health_set || ar->closing ||
        checks_pending(ar))
        return;
    /* Healthy checks must then hold for min_healthy_time too. */
    ar->health_wait_checks = false;
    ar->health_armed = false;
    track_health(ar);
}

/* The check_restart stop finished: the restart policy decides. */
static bool restart_cancelled(struct task_runner *tr);

static void check_restart_stopped(struct driver_task *t, void *arg)
{
    struct task_runner *tr = arg;

    (void)t;
    if (!restart_cancelled(tr))
        after_exit(tr, 1, false);
}

int alloc_runner_check_restart(struct alloc_runner *ar,
                               const char *task,
                               const char *reason,
                               struct err *err)
{
    bool found = false, any = false;

    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];

        if (task != NULL && strcmp(tr->task->name, task) != 0)
            continue;
        found = true;
        if (ar->stopping || !is_running(tr))
            continue;
        any = true;
        tr->killing = true;
        event(tr, "Restart Signaled", "%s", reason);
        driver_task_stop(tr->handle, check_restart_stopped, tr);
    }
    if (task != NULL && !found)
        return err_set(err, ERR_NOT_FOUND,
                       "Could not find task runner for task: %s", task);
    if (!any)
        return err_set(err, ERR_INVALID, "Task not running");
    changed(ar);
    return 0;
}

/* ------------------------------------------------ restarts and signals */

/* The task was stopped for a restart: start it again. */
/*
 * A task stopped for a restart: true when the alloc is being stopped
 * meanwhile, so the task ends there instead (kill_tasks skipped it as
 * already killing).
 */
static bool restart_cancelled(struct task_runner *tr)
{
    drop_handle(tr);
    tr->killing = false;
    if (!tr->ar->stopping && !tr->closing)
        return false;
    event(tr, "Killed", "Task successfully killed");
    task_dead(tr, false);
    changed(tr->ar);
    maybe_closed(tr->ar);
    return true;
}

static void restart_stopped(struct driver_task *t, void *arg)
{
    struct task_runner *tr = arg;

    (void)t;
    if (restart_cancelled(tr))
        return;
    event(tr, "Restarting", "Task restarting in 0s");
    state_of(tr)->restarts++;
    state_of(tr)->last_restart_unix_ns = time_wall_unix_ns();
    start_task(tr);
}

static bool is_running(const struct task_runner *tr)
{
    return !tr->dead && tr->handle != NULL && !tr->killing;
}

int alloc_runner_restart(struct alloc_runner *ar,
                         const char *task,
                         bool all,
                         struct err *err)
{
    bool named = task != NULL && task[0] != '\0', found = false;
    const char *reason = named ? "User requested task to restart"
                         : all ? "User requested all tasks to restart"
                               : "User requested running tasks to restart";

    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];

        if (named && strcmp(tr->task->name, task) != 0)
            continue;
        found = true;
        if (all && !ar->stopping && tr->dead) {
            /* -all-tasks runs finished tasks again too. */
            event(tr, "Restart Signaled", "%s", reason);
            tr->dead = false;
            state_of(tr)->failed = false;
            event(tr, "Restarting", "Task restarting in 0s");
            state_of(tr)->restarts++;
            state_of(tr)->last_restart_unix_ns = time_wall_unix_ns();
            start_task(tr);
            continue;
        }
        if (ar->stopping || !is_running(tr)) {
            if (named)
                return err_set(err, ERR_INVALID, "Task not running");
            continue;
        }
        tr->killing = true;
        event(tr, "Restart Signaled", "%s", reason);
        driver_task_stop(tr->handle, restart_stopped, tr);
    }
    if (named && !found)
        return err_set(err, ERR_NOT_FOUND,
                       "Could not find task runner for task: %s", task);
    changed(ar);
    return 0;
}

int alloc_runner_signal(struct alloc_runner *ar,
                        const char *task,
                        int signo,
                        const char *signame,
                        struct err *err)
{
    bool named = task != NULL && task[0] != '\0', found = false;

    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];
        int rc;

        if (named && strcmp(tr->task->name, task) != 0)
            continue;
        found = true;
        if (ar->stopping || !is_running(tr)) {
            if (named)
                return err_set(err, ERR_INVALID, "Task not running");
            continue;
        }
        event(tr, "Signaling",
              "Task being sent signal %s: User requested "
              "signal",
              signame);
        rc = driver_task_signal(tr->handle, signo, err);
        if (rc != 0)
            return rc;
    }
    if (named && !found)
        return err_set(err, ERR_NOT_FOUND,
                       "Could not find task runner for task: %s", task);
    changed(ar);
    return 0;
}

/* ------------------------------------------------ template actions */

/* change_mode "restart": not a failure, so the restart policy never sees
 * it (no restart_decide()). */
static void tmpl_restart(void *arg, const char *reason)
{
    struct task_runner *tr = arg;

    if (tr->ar->stopping || !is_running(tr))
        return;
    tr->killing = true;
    event(tr, "Restart Signaled", "%s", reason);
    driver_task_stop(tr->handle, restart_stopped, tr);
    changed(tr->ar);
}

static void tmpl_signal(void *arg, const char *signame, const char *reason)
{
    struct task_runner *tr = arg;
    struct err err = ERR_INIT;
    int signo = parse_signal(signame);

    if (tr->ar->stopping || !is_running(tr))
        return;
    event(tr, "Signaling", "Task being sent signal %s: %s", signame, reason);
    if (signo == 0)
        event(tr, "Signaling", "unknown change_signal \"%s\"", signame);
    else if (driver_task_signal(tr->handle, signo, &err) != 0)
        event(tr, "Signaling", "failed to send signal %s: %s", signame,
              err.msg);
    changed(tr->ar);
}

/* Nomad's template hook kills the task as failed: no restart follows. */
static void tmpl_fail(void *arg, const char *reason)
{
    struct task_runner *tr = arg;

    if (tr->ar->stopping || tr->dead || tr->killing)
        return;
    event(tr, "Killing", "%s", reason);
    if (tr->handle == NULL) {
        task_dead(tr, true);
    } else {
        tr->kill_fails = true;
        tr->killing = true;
        driver_task_stop(tr->handle, task_stopped, tr);
    }
    changed(tr->ar);
}

static void tmpl_event(void *arg, const char *type, const char *message)
{
    struct task_runner *tr = arg;

    event(tr, type, "%s", message);
    changed(tr->ar);
}

static const struct template_runner_ops tmpl_ops = {
    tmpl_restart, tmpl_signal, tmpl_fail, tmpl_event};

static void make_templates(struct task_runner *tr)
{
    struct template_runner_env te = {
        tr->ar->env.loop, tr->ar->env.catalog, tr->ar->env.watch,
        tr->ar->alloc->namespace, &tmpl_ops, tr};

    if (tr->task->ntemplates > 0)
        tr->tmpl = template_runner_new(&te, tr->task, tr->task_dir);
}

/*
 * An in-place update can move a running alloc into a new deployment: its
 * health is measured again, from now, for that one (Nomad's health
 * watcher restarts the same way).
 */
static void follow_deployment(struct alloc_runner *ar, const struct alloc *a)
{
    if (a->deployment_id == NULL ||
        strcmp(a->deployment_id, model_str(ar->alloc->deployment_id)) == 0)
        return;
    model_set_str(&ar->alloc->deployment_id, a->deployment_id);
    free(ar->alloc->deployment_status);
    ar->alloc->deployment_status = NULL;
    if (a->deployment_status != NULL) {
        ar->alloc->deployment_status =
            xcalloc(1, sizeof(*ar->alloc->deployment_status));
        ar->alloc->deployment_status->canary = a->deployment_status->canary;
    }
    ar->health_set = false;
    ar->health_armed = false;
    ar->health_wait_checks = false;
    if (ar->health_open)
        uv_timer_stop(&ar->health);
    track_health(ar);
}

void alloc_runner_update(struct alloc_runner *ar, const struct alloc *a)
{
    model_set_str(&ar->alloc->desired_status, a->desired_status);
    model_set_str(&ar->alloc->desired_description, a->desired_description);
    if (!ar->closing && !ar->stopping)
        follow_deployment(ar, a);
    if (!ar->stopping && alloc_is_terminal(a) &&
        strcmp(model_str(a->desired_status), ALLOC_DESIRED_RUN) != 0) {
        ar->stopping = true;
        kill_tasks(ar);
    }
}

const struct alloc *alloc_runner_alloc(const struct alloc_runner *ar)
{
    return ar->alloc;
}

bool alloc_runner_task_leaving(const struct alloc_runner *ar, size_t i)
{
    return i < ar->ntasks && ar->tasks[i].killing;
}

size_t alloc_runner_ntasks(const struct alloc_runner *ar)
{
    return ar->ntasks;
}

bool alloc_runner_task_usage(struct alloc_runner *ar,
                             size_t i,
                             const char **name,
                             struct driver_task_usage *out,
                             struct alloc_runner_sample **prev)
{
    struct task_runner *tr = &ar->tasks[i];

    assert(i < ar->ntasks);
    *name = tr->task->name;
    *prev = &tr->sample;
    memset(out, 0, sizeof(*out));
    if (tr->handle == NULL || tr->dead)
        return false;
    driver_task_usage(tr->handle, out);
    return out->measured;
}

bool alloc_runner_done(const struct alloc_runner *ar)
{
    for (size_t i = 0; i < ar->ntasks; i++) {
        if (!ar->tasks[i].dead)
            return false;
    }
    return true;
}

static void health_closed(uv_handle_t *h)
{
    struct alloc_runner *ar = h->data;

    ar->open--;
    maybe_closed(ar);
}

static void timer_closed(uv_handle_t *h)
{
    struct task_runner *tr = h->data;

    tr->ar->open--;
    maybe_closed(tr->ar);
}

static void templates_closed(void *arg)
{
    struct task_runner *tr = arg;

    tr->ar->open--;
    maybe_closed(tr->ar);
}

static void free_runner(struct alloc_runner *ar)
{
    void (*cb)(void *) = ar->close_cb;
    void *arg = ar->close_arg;

    for (size_t i = 0; i < ar->ntasks; i++)
        free(ar->tasks[i].task_dir);
    free(ar->tasks);
    free(ar->dir);
    alloc_free(ar->alloc);
    free(ar);
    if (cb)
        cb(arg);
}

static void maybe_closed(struct alloc_runner *ar)
{
    if (!ar->closing || ar->open > 0)
        return;
    for (size_t i = 0; i < ar->ntasks; i++) {
        if (ar->tasks[i].handle != NULL)
            return;
    }
    free_runner(ar);
}

static void handle_let_go(void *arg)
{
    struct task_runner *tr = arg;

    tr->ar->open--;
    maybe_closed(tr->ar);
}

void alloc_runner_close(struct alloc_runner *ar,
                        bool leave_running,
                        void (*cb)(void *arg),
                        void *arg)
{
    ar->closing = true;
    ar->close_cb = cb;
    ar->close_arg = arg;
    ar->leave_running = leave_running;
    ar->stopping = true;
    ar->open++; /* held until the loop below is done */
    if (ar->health_open) {
        uv_timer_stop(&ar->health);
        ar->open++;
        ar->health.data = ar;
        uv_close((uv_handle_t *)&ar->health, health_closed);
        ar->health_open = false;
    }
    for (size_t i = 0; i < ar->ntasks; i++) {
        struct task_runner *tr = &ar->tasks[i];

        tr->closing = true;
        if (tr->tmpl != NULL) {
            ar->open++;
            template_runner_close(tr->tmpl, templates_closed, tr);
            tr->tmpl = NULL;
        }
        if (tr->timer_open) {
            uv_timer_stop(&tr->timer);
            ar->open++;
            uv_close((uv_handle_t *)&tr->timer, timer_closed);
            tr->timer_open = false;
        }
        if (tr->handle == NULL)
            continue;
        if (leave_running) {
            struct driver_task *h = tr->handle;

            tr->handle = NULL;
            ar->open++;
            driver_task_close(h, handle_let_go, tr);
        } else {
            struct driver_task *h = tr->handle;

            tr->handle = NULL;
            ar->open++;
            driver_task_destroy(h, handle_let_go, tr);
        }
    }
    ar->open--;
    maybe_closed(ar);
}
