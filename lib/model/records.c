/* Small helpers and rules of the server-side records: node, eval, alloc,
 * deployment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/node.h"

const struct node_driver *node_find_driver(const struct node *n,
                                           const char *name)
{
    for (size_t i = 0; i < n->ndrivers; i++) {
        if (n->drivers[i].name && strcmp(n->drivers[i].name, name) == 0)
            return &n->drivers[i];
    }
    return NULL;
}

void node_canonicalize(struct node *n)
{
    if (n->node_pool == NULL)
        model_set_str(&n->node_pool, "default");
    if (n->datacenter == NULL)
        model_set_str(&n->datacenter, "dc1");
    if (n->scheduling_eligibility == NULL)
        model_set_str(&n->scheduling_eligibility, "eligible");
    if (n->status == NULL)
        model_set_str(&n->status, NODE_STATUS_INIT);
    if (n->resources.min_dynamic_port == 0)
        n->resources.min_dynamic_port = 20000;
    if (n->resources.max_dynamic_port == 0)
        n->resources.max_dynamic_port = 32000;
}

int node_validate(const struct node *n, struct err *err)
{
    if (n->id == NULL || strlen(n->id) != 36)
        return err_set(err, ERR_INVALID, "missing node ID");
    if (n->secret_id == NULL || n->secret_id[0] == '\0')
        return err_set(err, ERR_INVALID, "missing node secret ID");
    if (n->name == NULL || n->name[0] == '\0')
        return err_set(err, ERR_INVALID, "missing node name");
    if (n->datacenter == NULL || n->datacenter[0] == '\0')
        return err_set(err, ERR_INVALID, "missing datacenter");
    if (n->resources.min_dynamic_port > n->resources.max_dynamic_port)
        return err_set(err, ERR_INVALID,
                       "min_dynamic_port cannot be greater than "
                       "max_dynamic_port");
    return 0;
}

bool eval_is_terminal(const struct eval *e)
{
    const char *s = model_str(e->status);

    return strcmp(s, EVAL_STATUS_COMPLETE) == 0 ||
           strcmp(s, EVAL_STATUS_FAILED) == 0 ||
           strcmp(s, EVAL_STATUS_CANCELED) == 0;
}

void eval_canonicalize(struct eval *e)
{
    if (e->namespace == NULL)
        model_set_str(&e->namespace, "default");
    if (e->status == NULL)
        model_set_str(&e->status, EVAL_STATUS_PENDING);
}

int eval_validate(const struct eval *e, struct err *err)
{
    if (e->id == NULL || e->id[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing eval ID");
    if (e->priority < 1 || e->priority > 100)
        return err_set(err, ERR_INVALID, "Invalid priority");
    if (e->type == NULL || e->type[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing eval type");
    if (e->triggered_by == NULL || e->triggered_by[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing triggering event");
    if (e->status == NULL || e->status[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing status");
    return 0;
}

int64_t alloc_name_index(const struct alloc *a)
{
    const char *open, *close;
    char *end;
    long long v;

    if (a->name == NULL)
        return -1;
    open = strrchr(a->name, '[');
    close = strrchr(a->name, ']');
    if (open == NULL || close == NULL || close < open || close[1] != '\0' ||
        close == open + 1)
        return -1;
    v = strtoll(open + 1, &end, 10);
    if (end != close || v < 0)
        return -1;
    return v;
}

bool alloc_client_is_terminal(const struct alloc *a)
{
    const char *s = model_str(a->client_status);

    return strcmp(s, ALLOC_CLIENT_COMPLETE) == 0 ||
           strcmp(s, ALLOC_CLIENT_FAILED) == 0 ||
           strcmp(s, ALLOC_CLIENT_LOST) == 0;
}

bool alloc_is_terminal(const struct alloc *a)
{
    const char *d = model_str(a->desired_status);

    return strcmp(d, ALLOC_DESIRED_STOP) == 0 ||
           strcmp(d, ALLOC_DESIRED_EVICT) == 0 || alloc_client_is_terminal(a);
}

void alloc_canonicalize(struct alloc *a)
{
    if (a->namespace == NULL)
        model_set_str(&a->namespace, "default");
    if (a->desired_status == NULL)
        model_set_str(&a->desired_status, ALLOC_DESIRED_RUN);
    if (a->client_status == NULL)
        model_set_str(&a->client_status, ALLOC_CLIENT_PENDING);
}

int alloc_validate(const struct alloc *a, struct err *err)
{
    if (a->id == NULL || a->id[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing alloc ID");
    if (a->job_id == NULL || a->job_id[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing job ID");
    if (a->task_group == NULL || a->task_group[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing task group");
    if (a->node_id == NULL || a->node_id[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing node ID");
    return 0;
}

bool deployment_is_active(const struct deployment *d)
{
    const char *s = model_str(d->status);

    return strcmp(s, DEPLOYMENT_STATUS_RUNNING) == 0 ||
           strcmp(s, DEPLOYMENT_STATUS_PAUSED) == 0 ||
           strcmp(s, DEPLOYMENT_STATUS_PENDING) == 0 ||
           strcmp(s, DEPLOYMENT_STATUS_BLOCKED) == 0;
}

void deployment_canonicalize(struct deployment *d)
{
    if (d->namespace == NULL)
        model_set_str(&d->namespace, "default");
    if (d->status == NULL)
        model_set_str(&d->status, DEPLOYMENT_STATUS_RUNNING);
}

int deployment_validate(const struct deployment *d, struct err *err)
{
    if (d->id == NULL || d->id[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing deployment ID");
    if (d->job_id == NULL || d->job_id[0] == '\0')
        return err_set(err, ERR_INVALID, "Missing job ID");
    return 0;
}
