/*
 * The driver front: instance lifecycle, dispatch to the ops table, the
 * persisted task state codec and the helpers of driver_int.h.
 */
#include "drivers/driver.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/driver_int.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/time.h"

/* ------------------------------------------------------------ instances */

int driver_new(uv_loop_t *loop,
               const char *name,
               const json_t *plugin_config,
               struct driver **out,
               struct err *err)
{
    const struct driver_ops *ops = driver_registry_lookup(name);
    struct driver *d;
    int rc;

    *out = NULL;
    if (ops == NULL)
        return err_set(err, ERR_NOT_FOUND, "unknown driver \"%s\"", name);
    if (plugin_config != NULL && !json_is_object(plugin_config))
        return err_set(err, ERR_INVALID,
                       "plugin \"%s\": config must be an object", name);
    d = xcalloc(1, sizeof(*d));
    d->ops = ops;
    d->loop = loop;
    logger_init(&d->log, "driver", "driver=%s", ops->name);
    if (ops->init != NULL) {
        rc = ops->init(d, plugin_config, err);
        if (rc != 0) {
            free(d);
            err_wrap(err, "plugin \"%s\"", name);
            return rc;
        }
    }
    *out = d;
    return 0;
}

void driver_free(struct driver *d)
{
    if (d == NULL)
        return;
    if (d->ops->release != NULL)
        d->ops->release(d);
    free(d);
}

const char *driver_name(const struct driver *d)
{
    return d->ops->name;
}

void driver_fingerprint(struct driver *d, struct driver_fingerprint *out)
{
    memset(out, 0, sizeof(*out));
    d->ops->fingerprint(d, out);
}

int driver_validate_config(struct driver *d,
                           const json_t *config,
                           struct err *err)
{
    return d->ops->validate_config(d, config, err);
}

int driver_start(struct driver *d,
                 const struct driver_task_spec *spec,
                 struct driver_task **out,
                 struct err *err)
{
    int rc;

    *out = NULL;
    rc = d->ops->validate_config(d, spec->config, err);
    if (rc != 0)
        return rc;
    return d->ops->start(d, spec, out, err);
}

int driver_recover(struct driver *d,
                   const struct driver_task_state *state,
                   struct driver_task **out,
                   struct err *err)
{
    *out = NULL;
    if (strcmp(state->driver, d->ops->name) != 0)
        return err_set(err, ERR_INVALID,
                       "task state belongs to driver \"%s\", not \"%s\"",
                       state->driver, d->ops->name);
    return d->ops->recover(d, state, out, err);
}

void driver_task_wait(struct driver_task *t, driver_exit_cb cb, void *arg)
{
    t->driver->ops->wait(t, cb, arg);
}

int driver_task_signal(struct driver_task *t, int signo, struct err *err)
{
    return t->driver->ops->signal(t, signo, err);
}

void driver_task_stop(struct driver_task *t, driver_stop_cb cb, void *arg)
{
    t->driver->ops->stop(t, cb, arg);
}

void driver_task_inspect(struct driver_task *t, struct driver_task_status *out)
{
    memset(out, 0, sizeof(*out));
    t->driver->ops->inspect(t, out);
}

void driver_task_destroy(struct driver_task *t, driver_close_cb cb, void *arg)
{
    t->driver->ops->destroy(t, cb, arg);
}

void driver_task_usage(struct driver_task *t, struct driver_task_usage *out)
{
    memset(out, 0, sizeof(*out));
    if (t->driver->ops->usage != NULL)
        t->driver->ops->usage(t, out);
}

void driver_task_close(struct driver_task *t, driver_close_cb cb, void *arg)
{
    t->driver->ops->close(t, cb, arg);
}

/* ------------------------------------------------------------ state codec */

json_t *driver_task_state_to_json(const struct driver_task_state *s)
{
    json_t *j = json_pack(
        "{s:s, s:i, s:I, s:I, s:s, s:s, s:i, s:I}", "driver", s->driver, "pid",
        (json_int_t)s->pid, "start_ticks", (json_int_t)s->start_ticks,
        "started_unix_ms", (json_int_t)s->started_unix_ms, "cgroup", s->cgroup,
        "handle_id", s->handle_id, "kill_signal", s->kill_signal,
        "kill_timeout_ms", (json_int_t)s->kill_timeout_ms);

    if (s->exit_path[0] != '\0')
        json_object_set_new(j, "exit_path", json_string(s->exit_path));
    return j;
}

static int copy_field(char *dst, size_t size, const char *src, struct err *err)
{
    if (strlen(src) >= size)
        return err_set(err, ERR_MALFORMED, "task state: \"%s\" too long", src);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int driver_task_state_from_json(const json_t *j,
                                struct driver_task_state *out,
                                struct err *err)
{
    const char *drv, *cg, *hid;
    json_int_t pid, ticks, started, sig, timeout;
    json_error_t jerr;
    int rc;

    memset(out, 0, sizeof(*out));
    if (json_unpack_ex(
            (json_t *)j, &jerr, 0, "{s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:I}",
            "driver", &drv, "pid", &pid, "start_ticks", &ticks,
            "started_unix_ms", &started, "cgroup", &cg, "handle_id", &hid,
            "kill_signal", &sig, "kill_timeout_ms", &timeout) != 0)
        return err_set(err, ERR_MALFORMED, "task state: %s", jerr.text);
    if (pid < 0 || pid > INT32_MAX || ticks < 0 || timeout < 0 || sig < 0 ||
        sig > 64)
        return err_set(err, ERR_MALFORMED, "task state: value out of range");
    rc = copy_field(out->driver, sizeof(out->driver), drv, err);
    if (rc == 0)
        rc = copy_field(out->cgroup, sizeof(out->cgroup), cg, err);
    if (rc == 0)
        rc = copy_field(out->handle_id, sizeof(out->handle_id), hid, err);
    /* Optional: states saved before supervisors existed have none. */
    if (rc == 0 && json_is_string(json_object_get(j, "exit_path")))
        rc =
            copy_field(out->exit_path, sizeof(out->exit_path),
                       json_string_value(json_object_get(j, "exit_path")), err);
    if (rc != 0)
        return rc;
    out->pid = (int32_t)pid;
    out->start_ticks = (uint64_t)ticks;
    out->started_unix_ms = (int64_t)started;
    out->kill_signal = (int)sig;
    out->kill_timeout_ms = (uint64_t)timeout;
    return 0;
}

/* ------------------------------------------------------------ config check */

void driver__problem(struct buf *problems, const char *fmt, ...)
{
    va_list ap;

    if (problems->len > 0)
        buf_puts(problems, "; ");
    va_start(ap, fmt);
    buf_vprintf(problems, fmt, ap);
    va_end(ap);
}

static bool is_string_list(const json_t *v)
{
    size_t i;
    json_t *item;

    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return false;
    }
    return true;
}

static bool type_ok(const json_t *v, enum driver__field_type type)
{
    int64_t ns;

    switch (type) {
    case DRIVER__STRING:
        return json_is_string(v);
    case DRIVER__STRING_LIST:
        return is_string_list(v);
    case DRIVER__BOOL:
        return json_is_boolean(v);
    case DRIVER__INT:
        return json_is_integer(v);
    case DRIVER__DURATION:
        return json_is_string(v) &&
               duration_parse(json_string_value(v), &ns, NULL) == 0 && ns >= 0;
    case DRIVER__ANY:
        return true;
    }
    return false;
}

static const char *type_name(enum driver__field_type type)
{
    switch (type) {
    case DRIVER__STRING:
        return "a string";
    case DRIVER__STRING_LIST:
        return "a list of strings";
    case DRIVER__BOOL:
        return "a bool";
    case DRIVER__INT:
        return "a number";
    case DRIVER__DURATION:
        return "a duration (\"5s\")";
    case DRIVER__ANY:
        return "anything";
    }
    return "?";
}

size_t driver__config_check(const json_t *config,
                            const struct driver__field *fields,
                            struct buf *problems)
{
    const struct driver__field *f;
    const char *key;
    json_t *v;
    size_t n = 0;

    if (config != NULL && !json_is_object(config)) {
        driver__problem(problems, "config must be an object");
        return 1;
    }
    for (f = fields; f->name != NULL; f++) {
        v = config ? json_object_get(config, f->name) : NULL;
        if (v == NULL || json_is_null(v)) {
            if (f->required) {
                driver__problem(problems, "Missing required field: %s",
                                f->name);
                n++;
            }
            continue;
        }
        if (!type_ok(v, f->type)) {
            driver__problem(problems,
                            "Incorrect type for field %s: expected %s", f->name,
                            type_name(f->type));
            n++;
        }
    }
    if (config == NULL)
        return n;
    json_object_foreach((json_t *)config, key, v)
    {
        for (f = fields; f->name != NULL; f++) {
            if (strcmp(f->name, key) == 0)
                break;
        }
        if (f->name == NULL) {
            driver__problem(problems,
                            "Unsupported argument: an argument named \"%s\" "
                            "is not expected here",
                            key);
            n++;
        }
    }
    return n;
}

const char *driver__config_str(const json_t *config,
                               const char *key,
                               const char *dflt)
{
    json_t *v = config ? json_object_get(config, key) : NULL;

    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* ------------------------------------------------------------ fingerprint */

void driver__fp_attr(struct driver_fingerprint *fp,
                     const char *key,
                     const char *value)
{
    struct driver_attr *a;

    if (fp->attrs_len >= DRIVER_ATTRS_MAX)
        return;
    a = &fp->attrs[fp->attrs_len++];
    snprintf(a->key, sizeof(a->key), "%s", key);
    snprintf(a->value, sizeof(a->value), "%s", value);
}

void driver__fp_health(struct driver_fingerprint *fp,
                       bool healthy,
                       const char *fmt,
                       ...)
{
    va_list ap;

    fp->healthy = healthy;
    va_start(ap, fmt);
    vsnprintf(fp->health_desc, sizeof(fp->health_desc), fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ strings */

char **driver__strv_build(const char *first, const json_t *list)
{
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    char **v = xcalloc(n + 2, sizeof(*v));
    size_t k = 0;

    if (first != NULL)
        v[k++] = xstrdup(first);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(list, i));

        v[k++] = xstrdup(s ? s : "");
    }
    v[k] = NULL;
    return v;
}

void driver__strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}

const char *driver__env_get(char *const *env, const char *name)
{
    size_t len = strlen(name);

    for (; env != NULL && *env != NULL; env++) {
        if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
            return *env + len + 1;
    }
    return NULL;
}

char **driver__env_filter(char *const *env, const json_t *denied)
{
    size_t n = 0, k = 0;
    char **out;

    while (env != NULL && env[n] != NULL)
        n++;
    out = xcalloc(n + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(env[i], '=');
        char name[256];
        bool deny = false;
        size_t j;
        json_t *pat;

        snprintf(name, sizeof(name), "%.*s",
                 (int)(eq ? (size_t)(eq - env[i]) : strlen(env[i])), env[i]);
        json_array_foreach(denied, j, pat)
        {
            if (json_is_string(pat) &&
                fnmatch(json_string_value(pat), name, 0) == 0)
                deny = true;
        }
        if (!deny)
            out[k++] = env[i];
    }
    return out;
}

bool driver__is_executable(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

bool driver__is_path_component(const char *s)
{
    return s != NULL && *s != '\0' && strchr(s, '/') == NULL &&
           strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strlen(s) < 100;
}
