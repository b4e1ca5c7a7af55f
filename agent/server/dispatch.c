/*
 * `job dispatch`: a child of a parameterized job, with its meta and
 * payload checked against the parent's rules, as Nomad's Job.Dispatch.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/periodic.h"
#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/time.h"

#define MAX_PAYLOAD 16384

struct dispatch_ctx
{
    server_dispatch_cb done;
    void *arg;
    struct server_dispatch_result res;
};

static void applied(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct dispatch_ctx *d = arg;

    d->res.index = index;
    d->res.job_create_index = index;
    if (d->res.eval_id[0])
        d->res.eval_create_index = index;
    d->done(d->arg, rc, &d->res, err);
    free(d);
}

/* Go prints a []string as "[a b]". */
static void go_list(struct buf *b, const struct strlist *l)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0)
            buf_putc(b, ' ');
        buf_puts(b, l->items[i]);
    }
    buf_putc(b, ']');
}

/* Nomad's validateDispatchRequest: payload first, then meta keys. */
static int check_request(const struct job *parent,
                         const struct server_dispatch_req *r,
                         struct err *err)
{
    const struct parameterized_config *pc = parent->parameterized;
    const char *mode = pc->payload ? pc->payload : "optional";
    struct strlist bad, missing;
    struct buf b = BUF_INIT;
    int rc = 0;

    if (r->payload_len == 0 && strcmp(mode, "required") == 0)
        return err_set(err, ERR_INVALID, "Payload is not provided but "
                                         "required by parameterized job");
    if (r->payload_len > 0 && strcmp(mode, "forbidden") == 0)
        return err_set(err, ERR_INVALID, "Payload provided but forbidden by "
                                         "parameterized job");
    if (r->payload_len > MAX_PAYLOAD)
        return err_set(err, ERR_INVALID,
                       "Payload exceeds maximum size; %zu > %d",
                       r->payload_len, MAX_PAYLOAD);
    strlist_init(&bad);
    strlist_init(&missing);
    for (size_t i = 0; r->meta && i < r->meta->n; i++) {
        const char *k = r->meta->items[i].key;

        if (!strlist_contains(&pc->meta_required, k) &&
            !strlist_contains(&pc->meta_optional, k))
            strlist_push(&bad, k);
    }
    for (size_t i = 0; i < pc->meta_required.n; i++)
        if (r->meta == NULL ||
            strmap_get(r->meta, pc->meta_required.items[i]) == NULL)
            strlist_push(&missing, pc->meta_required.items[i]);
    if (bad.n > 0) {
        go_list(&b, &bad);
        rc = err_set(err, ERR_INVALID,
                     "Dispatch request included unpermitted metadata keys: %s",
                     buf_str(&b));
    } else if (missing.n > 0) {
        go_list(&b, &missing);
        rc = err_set(err, ERR_INVALID,
                     "Dispatch did not provide required meta keys: %s",
                     buf_str(&b));
    }
    buf_release(&b);
    strlist_release(&bad);
    strlist_release(&missing);
    return rc;
}

struct token_scan
{
    const char *prefix;
    const char *token;
    char *found;
};

static int same_token(const struct job *j, void *arg)
{
    struct token_scan *t = arg;

    if (strncmp(j->id, t->prefix, strlen(t->prefix)) == 0 &&
        j->dispatch_idempotency_token != NULL &&
        strcmp(j->dispatch_idempotency_token, t->token) == 0) {
        t->found = xstrdup(j->id);
        return 1;
    }
    return 0;
}

void server_job_dispatch(struct server *s,
                         const struct server_dispatch_req *r,
                         server_dispatch_cb done,
                         void *arg)
{
    struct dispatch_ctx *d = xcalloc(1, sizeof(*d));
    struct state_snap *snap = NULL;
    struct err err = ERR_INIT;
    struct job parent;
    struct job *child;
    struct cmd *c;
    char uuid[ID_UUID_LEN + 1];
    int rc;

    d->done = done;
    d->arg = arg;
    job_init(&parent);
    rc = server_read_begin(s, &snap, &err);
    if (rc == 0) {
        rc = server_read_job(snap, r->namespace, r->job_id, &parent, &err);
        if (rc == ERR_NOT_FOUND)
            err_set(&err, ERR_NOT_FOUND, "parameterized job not found");
    }
    if (rc == 0 && parent.parameterized == NULL)
        rc = err_set(&err, ERR_INVALID,
                     "Specified job \"%s\" is not a parameterized job",
                     r->job_id);
    if (rc == 0 && tri_is_true(parent.stop))
        rc = err_set(&err, ERR_INVALID, "Specified job \"%s\" is stopped",
                     r->job_id);
    if (rc == 0)
        rc = check_request(&parent, r, &err);
    /* The same token again: the child it made, and no new one. */
    if (rc == 0 && r->idempotency_token && r->idempotency_token[0]) {
        char *prefix = xasprintf("%s/dispatch-", r->job_id);
        struct token_scan t = {prefix, r->idempotency_token, NULL};

        server_each_job(snap, prefix, same_token, &t, &err);
        err_clear(&err);
        free(prefix);
        if (t.found != NULL) {
            snprintf(d->res.dispatched_job_id,
                     sizeof(d->res.dispatched_job_id), "%s", t.found);
            d->res.index = server_read_index(snap, SERVER_JOBS);
            free(t.found);
            server_read_end(snap);
            job_release(&parent);
            done(arg, 0, &d->res, NULL);
            free(d);
            return;
        }
    }
    if (snap != NULL)
        server_read_end(snap);
    if (rc != 0) {
        job_release(&parent);
        done(arg, rc, &d->res, &err);
        free(d);
        return;
    }
    child = job_copy(&parent);
    job_release(&parent);
    id_uuid(uuid);
    if (r->id_prefix_template && r->id_prefix_template[0])
        snprintf(d->res.dispatched_job_id, sizeof(d->res.dispatched_job_id),
                 "%s/dispatch-%s-%" PRId64 "-%.8s", child->id,
                 r->id_prefix_template, time_wall_unix_ms() / 1000, uuid);
    else
        snprintf(d->res.dispatched_job_id, sizeof(d->res.dispatched_job_id),
                 "%s/dispatch-%" PRId64 "-%.8s", child->id,
                 time_wall_unix_ms() / 1000, uuid);
    model_set_str(&child->parent_id, child->id);
    model_set_str(&child->id, d->res.dispatched_job_id);
    model_set_str(&child->name, d->res.dispatched_job_id);
    model_set_str(&child->status, NULL);
    model_set_str(&child->status_description, NULL);
    model_set_str(&child->dispatch_idempotency_token, r->idempotency_token);
    child->dispatched = TRI_TRUE;
    child->stable = TRI_FALSE;
    child->version = 0;
    child->submit_time = time_wall_unix_ns();
    if (r->priority > 0)
        child->priority = r->priority;
    for (size_t i = 0; r->meta && i < r->meta->n; i++)
        strmap_set(&child->meta, r->meta->items[i].key,
                   r->meta->items[i].value);
    /* Every optional key exists in the child, empty when not given. */
    for (size_t i = 0; i < child->parameterized->meta_optional.n; i++)
        if (strmap_get(&child->meta,
                       child->parameterized->meta_optional.items[i]) == NULL)
            strmap_set(&child->meta,
                       child->parameterized->meta_optional.items[i], "");
    free(child->payload);
    child->payload = NULL;
    if (r->payload_len > 0) {
        size_t n = sodium_base64_ENCODED_LEN(r->payload_len,
                                             sodium_base64_VARIANT_ORIGINAL);

        child->payload = xmalloc(n);
        sodium_bin2base64(child->payload, n, r->payload, r->payload_len,
                          sodium_base64_VARIANT_ORIGINAL);
    }
    c = xmalloc(sizeof(*c));
    cmd_init(c, CMD_JOB_REGISTER);
    /* A child that is itself periodic is launched by the dispatcher. */
    if (child->periodic == NULL) {
        struct eval *e = server_new_eval(child, "job-register");

        snprintf(d->res.eval_id, sizeof(d->res.eval_id), "%s", e->id);
        cmd_add_eval(c, e);
    }
    c->job = child;
    server_apply(s, c, applied, d);
}
