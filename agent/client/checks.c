/* The checks of this client's service registrations (checks.h). */
#include "agent/client/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/check.h"
#include "discovery/check_uv.h"
#include <sodium.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/time.h"

struct reg;

struct reg_check
{
    struct reg *reg;
    struct check_uv *uv;
    enum check_status status; /* PENDING until its first result */
    char output[CHECK_OUTPUT_MAX];
    char *name;
    char *on_update;
    char *task; /* whom check_restart restarts; NULL: nobody */
    int http_code;
    int64_t checked_unix_ms; /* of the last result; 0: none yet */
};

struct reg
{
    struct client_checks *cc;
    char *id;
    char *alloc_id;
    char *alloc_name; /* Nomad's "Group" of a check result */
    char *service_name;
    char *task_name;   /* NULL for a group service */
    char *fingerprint; /* what the checks were started from */
    bool seen;         /* wanted since client_checks_begin() */
    struct reg_check *checks;
    size_t n;
    bool ready; /* every check has run */
    enum catalog_health health;
    char output[CHECK_OUTPUT_MAX];
    int64_t checked_unix_ms;
};

struct client_checks
{
    struct client_checks_env env;
    struct check_uv_ctx *ctx;
    struct map regs; /* id -> struct reg * */
    struct logger lg;
    void (*close_cb)(void *arg);
    void *close_arg;
};

/* ------------------------------------------------------------ registrations */

static void reg_free(struct reg *r)
{
    for (size_t i = 0; i < r->n; i++) {
        check_uv_stop(r->checks[i].uv);
        free(r->checks[i].name);
        free(r->checks[i].on_update);
        free(r->checks[i].task);
    }
    free(r->checks);
    free(r->id);
    free(r->alloc_id);
    free(r->alloc_name);
    free(r->service_name);
    free(r->task_name);
    free(r->fingerprint);
    free(r);
}

static enum catalog_health to_health(enum check_status s)
{
    return s == CHECK_PASSING   ? CATALOG_HEALTH_PASSING
           : s == CHECK_WARNING ? CATALOG_HEALTH_WARNING
                                : CATALOG_HEALTH_CRITICAL;
}

/* The worst check decides; true when the registration's health moved. */
static bool reg_update(struct reg *r, int64_t now_unix_ms)
{
    enum check_status worst = CHECK_PASSING;
    const struct reg_check *decider = NULL;

    for (size_t i = 0; i < r->n; i++) {
        if (r->checks[i].status == CHECK_PENDING)
            return false;
        if (decider == NULL ||
            check_status_worst(worst, r->checks[i].status) != worst) {
            worst = r->checks[i].status;
            decider = &r->checks[i];
        }
    }
    if (r->ready && to_health(worst) == r->health)
        return false;
    r->ready = true;
    r->health = to_health(worst);
    snprintf(r->output, sizeof(r->output), "%s",
             decider ? decider->output : "");
    r->checked_unix_ms = now_unix_ms;
    return true;
}

static void check_result(void *arg,
                         struct check_uv *c,
                         const struct check_uv_event *ev)
{
    struct reg_check *rc = arg;
    struct reg *r = rc->reg;
    struct client_checks *cc = r->cc;
    char alloc_id[64], task[256], reason[300];
    bool restart = ev->restart && cc->env.restart;
    bool moved;

    (void)c;
    rc->status = ev->status;
    rc->http_code = ev->http_code;
    rc->checked_unix_ms = ev->checked_unix_ms;
    snprintf(rc->output, sizeof(rc->output), "%s", ev->output);
    moved = reg_update(r, ev->checked_unix_ms);
    if (moved)
        log_info(&cc->lg, "service %s health %s", r->id,
                 r->health == CATALOG_HEALTH_PASSING   ? "passing"
                 : r->health == CATALOG_HEALTH_WARNING ? "warning"
                                                       : "critical");
    if (restart) {
        snprintf(alloc_id, sizeof(alloc_id), "%s", r->alloc_id);
        snprintf(task, sizeof(task), "%s", rc->task ? rc->task : "");
        snprintf(reason, sizeof(reason), "healthcheck: check \"%s\" unhealthy",
                 rc->name);
    }
    /* Either call may rebuild the registrations and free r: nothing of it
     * is touched after. */
    if (restart)
        cc->env.restart(cc->env.arg, alloc_id, task[0] ? task : NULL, reason);
    if (moved && cc->env.changed)
        cc->env.changed(cc->env.arg);
}

static int64_t port_of(const struct alloc *a, const char *label, int64_t dflt)
{
    char *end;
    long v;

    if (label == NULL || label[0] == '\0')
        return dflt;
    for (size_t i = 0; i < a->nports; i++)
        if (strcmp(model_str(a->ports[i].label), label) == 0)
            return a->ports[i].value;
    v = strtol(label, &end, 10);
    return *end == '\0' && v > 0 && v < 65536 ? v : 0;
}

/* Everything the running checks depend on, to notice a change. */
static char *fingerprint(const struct client_checks_reg *reg)
{
    struct buf b = BUF_INIT;

    buf_printf(&b, "%s|%lld", reg->address, (long long)reg->port);
    for (size_t i = 0; i < reg->svc->nchecks; i++) {
        const struct service_check *c = &reg->svc->checks[i];

        buf_printf(
            &b, "|%s,%s,%s,%s,%s,%s,%s,%lld,%lld,%d,%s,%lld,%lld,%lld",
            model_str(c->name), model_str(c->type), model_str(c->port_label),
            model_str(c->path), model_str(c->method), model_str(c->protocol),
            model_str(c->body), (long long)c->interval_ns,
            (long long)c->timeout_ns, c->tls_skip_verify,
            model_str(c->on_update), (long long)c->success_before_passing,
            (long long)c->failures_before_critical,
            (long long)c->failures_before_warning);
        for (size_t h = 0; h < c->nheaders; h++)
            for (size_t k = 0; k < c->headers[h].values.n; k++)
                buf_printf(&b, ",%s=%s", c->headers[h].name,
                           c->headers[h].values.items[k]);
        if (c->check_restart)
            buf_printf(&b, ",r%lld/%lld/%d", (long long)c->check_restart->limit,
                       (long long)c->check_restart->grace_ns,
                       c->check_restart->ignore_warnings);
    }
    return buf_detach(&b);
}

static struct reg *reg_start(struct client_checks *cc,
                             const struct client_checks_reg *reg,
                             char *fp)
{
    struct reg *r = xcalloc(1, sizeof(*r));

    r->cc = cc;
    r->id = xstrdup(reg->id);
    r->alloc_id = xstrdup(reg->alloc->id);
    r->alloc_name = xstrdup(model_str(reg->alloc->name));
    r->service_name = xstrdup(model_str(reg->svc->name));
    r->task_name = reg->task ? xstrdup(reg->task) : NULL;
    r->fingerprint = fp;
    r->checks = xcalloc(reg->svc->nchecks, sizeof(*r->checks));
    for (size_t i = 0; i < reg->svc->nchecks; i++) {
        const struct service_check *c = &reg->svc->checks[i];
        struct reg_check *rc = &r->checks[r->n];
        struct check_config cfg;
        struct err err = ERR_INIT;
        struct check_probe_spec spec = {
            .type = c->type,
            .address = reg->address,
            .port = (int)port_of(reg->alloc, c->port_label, reg->port),
            .protocol = c->protocol,
            .path = c->path,
            .method = c->method,
            .body = c->body,
            .headers = c->headers,
            .nheaders = c->nheaders,
            .tls_skip_verify = c->tls_skip_verify,
        };
        const char *task =
            c->task_name && c->task_name[0] ? c->task_name : reg->task;

        if (check_config_from_model(c, &cfg, &err) != 0) {
            log_warn(&cc->lg, "service %s: %s", reg->id, err.msg);
            continue;
        }
        rc->reg = r;
        /* initial_status gives a status before the first result. */
        rc->status = cfg.initial;
        rc->name = xstrdup(model_str(c->name));
        rc->on_update = xstrdup(model_str(c->on_update));
        rc->task = task ? xstrdup(task) : NULL;
        rc->uv = check_uv_start(cc->ctx, &spec, &cfg, check_result, rc);
        r->n++;
    }
    reg_update(r, time_wall_unix_ms());
    return r;
}

/* ------------------------------------------------------------------ API */

int client_checks_new(const struct client_checks_env *env,
                      struct client_checks **out,
                      struct err *err)
{
    struct client_checks *cc = xcalloc(1, sizeof(*cc));
    int rc = check_uv_ctx_new(env->loop, &cc->ctx, err);

    if (rc != 0) {
        free(cc);
        return rc;
    }
    cc->env = *env;
    map_init(&cc->regs);
    logger_init(&cc->lg, "client.checks", NULL);
    *out = cc;
    return 0;
}

static void ctx_closed(void *arg)
{
    struct client_checks *cc = arg;

    if (cc->close_cb)
        cc->close_cb(cc->close_arg);
    free(cc);
}

void client_checks_close(struct client_checks *cc,
                         void (*cb)(void *arg),
                         void *arg)
{
    struct map_iter it;
    const char *id;
    void *v;

    map_iter_init(&it, &cc->regs);
    while (map_next(&it, &id, &v))
        reg_free(v);
    map_release(&cc->regs, NULL);
    cc->close_cb = cb;
    cc->close_arg = arg;
    check_uv_ctx_close(cc->ctx, ctx_closed, cc);
}

void client_checks_begin(struct client_checks *cc)
{
    struct map_iter it;
    const char *id;
    void *v;

    map_iter_init(&it, &cc->regs);
    while (map_next(&it, &id, &v))
        ((struct reg *)v)->seen = false;
}

bool client_checks_want(struct client_checks *cc,
                        const struct client_checks_reg *reg,
                        struct client_checks_health *out)
{
    struct reg *r = map_get(&cc->regs, reg->id);
    char *fp = fingerprint(reg);

    if (r != NULL && strcmp(r->fingerprint, fp) != 0) {
        map_del(&cc->regs, reg->id);
        reg_free(r);
        r = NULL;
    }
    if (r == NULL) {
        r = reg_start(cc, reg, fp);
        map_put(&cc->regs, r->id, r);
    } else {
        free(fp);
    }
    r->seen = true;
    if (!r->ready)
        return false;
    out->health = r->health;
    out->output = r->output;
    out->checked_unix_ms = r->checked_unix_ms;
    return true;
}

void client_checks_end(struct client_checks *cc)
{
    struct map_iter it;
    const char *id;
    void *v;

    map_iter_init(&it, &cc->regs);
    while (map_next(&it, &id, &v)) {
        struct reg *r = v;

        if (r->seen)
            continue;
        map_del(&cc->regs, id);
        reg_free(r);
    }
}

static bool check_healthy(const struct reg_check *rc)
{
    if (strcmp(rc->on_update, "ignore") == 0)
        return true;
    if (rc->status == CHECK_WARNING)
        return strcmp(rc->on_update, "ignore_warnings") == 0;
    return rc->status == CHECK_PASSING;
}

bool client_checks_alloc_healthy(const struct client_checks *cc,
                                 const char *alloc_id,
                                 size_t expected)
{
    struct map_iter it;
    const char *id;
    void *v;
    size_t found = 0;

    map_iter_init(&it, &cc->regs);
    while (map_next(&it, &id, &v)) {
        const struct reg *r = v;

        if (strcmp(r->alloc_id, alloc_id) != 0)
            continue;
        found++;
        for (size_t i = 0; i < r->n; i++)
            if (!check_healthy(&r->checks[i]))
                return false;
    }
    return found >= expected;
}

/* ------------------------------------------------------------ results */

/* A check's ID: stable for its alloc, registration and name. */
static void check_id(const struct reg *r,
                     const struct reg_check *rc,
                     char hex[33])
{
    unsigned char h[16];
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)r->id,
                              strlen(r->id) + 1);
    crypto_generichash_update(&st, (const unsigned char *)rc->name,
                              strlen(rc->name));
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(hex, 33, h, sizeof(h));
}

static const char *result_status(enum check_status s)
{
    switch (s) {
    case CHECK_PASSING:
        return "success";
    case CHECK_CRITICAL:
        return "failure";
    case CHECK_WARNING:
        return "warning";
    case CHECK_PENDING:
        return "pending";
    }
    return "pending";
}

json_t *client_checks_alloc_json(const struct client_checks *cc,
                                 const char *alloc_id)
{
    json_t *out = json_object();
    struct map_iter it;
    const char *key;
    void *v;

    map_iter_init(&it, &cc->regs);
    while (map_next(&it, &key, &v)) {
        const struct reg *r = v;

        if (strcmp(r->alloc_id, alloc_id) != 0)
            continue;
        for (size_t i = 0; i < r->n; i++) {
            const struct reg_check *rc = &r->checks[i];
            char id[33];

            check_id(r, rc, id);
            json_object_set_new(
                out, id,
                json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I}", "ID", id,
                          "Check", rc->name, "Group", r->alloc_name, "Mode",
                          strcmp(rc->on_update, "ignore") == 0 ? "readiness"
                                                               : "healthiness",
                          "Output", rc->output, "Service", r->service_name,
                          "Status", result_status(rc->status), "StatusCode",
                          rc->http_code, "Task",
                          r->task_name ? r->task_name : "", "Timestamp",
                          (json_int_t)(rc->checked_unix_ms / 1000)));
        }
    }
    return out;
}
