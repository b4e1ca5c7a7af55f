/* The client's service registrations (services.h). */
#include "agent/client/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/client/checks.h"
#include "discovery/catalog.h"
#include "discovery/watch.h"
#include "lib/map.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"

struct client_services
{
    struct catalog *cat;
    struct watch_hub *hub;
    /* IDs deleted through the API: kept out until the client would
     * register them again in Nomad (the task restarts or stops).
     * ID -> struct deleted. */
    struct map deleted;
    char *node_id;
    char *datacenter;
    uint64_t version;
    struct catalog_node_set set;  /* being built */
    struct buf last;              /* the encoding of the set applied last */
    void (*publish)(void *arg, const struct catalog_node_set *set);
    void *publish_arg;
    struct client_checks *checks; /* borrowed; NULL: checks are not run */
};

struct deleted
{
    int64_t started; /* the owner's start time at the delete; -1: unknown */
    bool seen;       /* produced by the build under way */
};

void client_services_set_checks(struct client_services *cs,
                                struct client_checks *cc)
{
    cs->checks = cc;
}

struct client_services *client_services_new(const char *node_id,
                                            const char *datacenter)
{
    struct client_services *cs = xcalloc(1, sizeof(*cs));

    /* Our own set is never a tombstone that must wait: no expiry needed. */
    cs->cat = catalog_new(60000);
    cs->hub = watch_hub_new(cs->cat);
    map_init(&cs->deleted);
    cs->node_id = xstrdup(node_id);
    cs->datacenter = xstrdup(datacenter ? datacenter : "dc1");
    return cs;
}

void client_services_free(struct client_services *cs)
{
    if (cs == NULL)
        return;
    catalog_node_set_release(&cs->set);
    watch_hub_free(cs->hub);
    map_release(&cs->deleted, free);
    catalog_free(cs->cat);
    buf_release(&cs->last);
    free(cs->node_id);
    free(cs->datacenter);
    free(cs);
}

void client_services_begin(struct client_services *cs)
{
    struct map_iter it;
    const char *k;
    void *v;

    map_iter_init(&it, &cs->deleted);
    while (map_next(&it, &k, &v))
        ((struct deleted *)v)->seen = false;
    catalog_node_set_release(&cs->set);
    memset(&cs->set, 0, sizeof(cs->set));
    if (cs->checks != NULL)
        client_checks_begin(cs->checks);
}

static const struct task_state *state_of(const struct alloc *a,
                                         const char *task)
{
    for (size_t i = 0; i < a->ntask_states; i++)
        if (strcmp(model_str(a->task_states[i].task), task) == 0)
            return &a->task_states[i];
    return NULL;
}

static bool running(const struct alloc *a, const char *task)
{
    const struct task_state *st = state_of(a, task);

    return st != NULL && st->state != NULL &&
           strcmp(st->state, "running") == 0;
}

/*
 * A registration with checks waits for their first results; after that
 * it carries the health they give. False: hold it back for now.
 */
static bool checked(struct client_services *cs,
                    const struct alloc *a,
                    const char *task,
                    const struct service *svc,
                    struct catalog_service *s)
{
    struct client_checks_health h;
    struct client_checks_reg reg = {s->id, a, task, svc, s->address, s->port};

    if (svc->nchecks == 0 || cs->checks == NULL)
        return true;
    if (!client_checks_want(cs->checks, &reg, &h))
        return false;
    s->health = h.health;
    s->health_output = xstrdup(h.output);
    s->health_checked_unix_ms = h.checked_unix_ms;
    return true;
}

static void add_one(struct client_services *cs,
                    const struct alloc *a,
                    const char *owner,
                    const char *task,
                    int64_t started,
                    const struct service *svc)
{
    struct deleted *del;
    struct catalog_service *s;
    const struct alloc_port *port = NULL;

    if (svc->provider == NULL || strcmp(svc->provider, "nomad") != 0 ||
        svc->name == NULL)
        return;
    for (size_t i = 0; svc->port_label && i < a->nports; i++)
        if (strcmp(model_str(a->ports[i].label), svc->port_label) == 0)
            port = &a->ports[i];
    cs->set.services = xrealloc(cs->set.services, (cs->set.n_services + 1) *
                                                      sizeof(*s));
    /* Nomad's ID: _nomad-task-<alloc>-<group or task>-<name>-<label>. */
    char *id = xasprintf("_nomad-task-%s-%s-%s-%s", a->id, owner, svc->name,
                         model_str(svc->port_label));

    del = map_get(&cs->deleted, id);
    if (del != NULL && del->started == -1)
        del->started = started;
    if (del != NULL && del->started == started) {
        del->seen = true;
        free(id);
        return;
    }
    s = &cs->set.services[cs->set.n_services++];
    memset(s, 0, sizeof(*s));
    s->id = id;
    s->service_name = xstrdup(svc->name);
    s->namespace_ = xstrdup(a->namespace ? a->namespace : "default");
    s->node_id = xstrdup(cs->node_id);
    s->datacenter = xstrdup(cs->datacenter);
    s->job_id = xstrdup(model_str(a->job_id));
    s->alloc_id = xstrdup(a->id);
    s->tags = xcalloc(svc->tags.n + 1, sizeof(*s->tags));
    for (size_t i = 0; i < svc->tags.n; i++)
        s->tags[i] = xstrdup(svc->tags.items[i]);
    s->n_tags = svc->tags.n;
    s->address = xstrdup(svc->address
                             ? svc->address
                             : port && port->host_ip ? port->host_ip
                                                     : "127.0.0.1");
    s->port = port ? port->value : 0;
    /* Without checks a running task's service counts as passing. */
    s->health = CATALOG_HEALTH_PASSING;
    if (!checked(cs, a, task, svc, s)) {
        catalog_service_release(s);
        cs->set.n_services--;
    }
}

void client_services_add(struct client_services *cs,
                         const struct alloc *a,
                         const bool *leaving)
{
    const struct task_group *g = NULL;
    bool any = false;
    int64_t latest = 0;

    if (a->job == NULL || alloc_is_terminal(a) ||
        (a->desired_status && strcmp(a->desired_status, "run") != 0))
        return;
    for (size_t i = 0; i < a->job->ngroups; i++)
        if (strcmp(model_str(a->job->groups[i].name),
                   model_str(a->task_group)) == 0)
            g = &a->job->groups[i];
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->ntasks; i++) {
        const struct task *t = &g->tasks[i];
        int64_t started;

        if (!running(a, t->name) || (leaving != NULL && leaving[i]))
            continue;
        started = state_of(a, t->name)->started_at_unix_ns;
        any = true;
        if (started > latest)
            latest = started;
        for (size_t k = 0; k < t->nservices; k++)
            add_one(cs, a, t->name, t->name, started, &t->services[k]);
    }
    /* A group's services live while any of its tasks runs. */
    for (size_t k = 0; any && k < g->nservices; k++)
        add_one(cs, a, g->name, NULL, latest, &g->services[k]);
}

static int by_id(const void *x, const void *y)
{
    const struct catalog_service *a = x, *b = y;

    return strcmp(a->id, b->id);
}

void client_services_commit(struct client_services *cs, int64_t now_ms)
{
    struct buf enc = BUF_INIT;

    if (cs->checks != NULL)
        client_checks_end(cs->checks);
    cs->set.node_id = xstrdup(cs->node_id);
    if (cs->set.n_services > 1)
        qsort(cs->set.services, cs->set.n_services, sizeof(*cs->set.services),
              by_id);
    /* Versions move only for a real change: watchers then wake rarely. */
    cs->set.version = cs->version;
    catalog_node_set_encode(&cs->set, &enc);
    if (cs->version == 0 || enc.len != cs->last.len ||
        memcmp(enc.data, cs->last.data, enc.len) != 0) {
        /* Versions from the wall clock outrank an earlier run's sets. */
        cs->version = (uint64_t)now_ms * 1000 > cs->version
                          ? (uint64_t)now_ms * 1000
                          : cs->version + 1;
        cs->set.version = cs->version;
        catalog_apply(cs->cat, &cs->set, now_ms);
        if (cs->publish != NULL)
            cs->publish(cs->publish_arg, &cs->set);
        buf_release(&cs->last);
        cs->last = enc;
    } else {
        buf_release(&enc);
    }
    catalog_node_set_release(&cs->set);
    memset(&cs->set, 0, sizeof(cs->set));
    /* Deleted registrations that were not produced again are gone (a
     * walk may delete what it visits: map.h). */
    {
        struct map_iter it;
        const char *k;
        void *v;

        map_iter_init(&it, &cs->deleted);
        while (map_next(&it, &k, &v))
            if (!((struct deleted *)v)->seen)
                free(map_del(&cs->deleted, k));
    }
    watch_hub_run(cs->hub);
}

int client_services_delete(struct client_services *cs,
                           const char *namespace_,
                           const char *name,
                           const char *id)
{
    const struct catalog_service **list = NULL;
    uint64_t index;
    struct catalog_filter any = {NULL, NULL, 0};
    size_t n = catalog_lookup(cs->cat, namespace_, name, &any, &list, &index);
    bool found = false;

    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(list[i]->id, id) == 0;
    free(list);
    if (!found)
        return -1;
    if (!map_has(&cs->deleted, id)) {
        struct deleted *d = xcalloc(1, sizeof(*d));

        d->started = -1;
        map_put(&cs->deleted, id, d);
    }
    return 0;
}

void client_services_on_publish(struct client_services *cs,
                                void (*fn)(void *arg,
                                           const struct catalog_node_set *set),
                                void *arg)
{
    cs->publish = fn;
    cs->publish_arg = arg;
    /* The next commit publishes, changed or not. */
    buf_release(&cs->last);
    cs->last = (struct buf)BUF_INIT;
}

struct catalog *client_services_catalog_rw(struct client_services *cs)
{
    return cs->cat;
}

struct watch_hub *client_services_hub(struct client_services *cs)
{
    return cs->hub;
}

const struct catalog *client_services_catalog(const struct client_services *cs)
{
    return cs->cat;
}

static size_t count_checked(const struct service *svcs, size_t n)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++)
        if (svcs[i].nchecks > 0 && svcs[i].provider != NULL &&
            strcmp(svcs[i].provider, "nomad") == 0)
            count++;
    return count;
}

size_t client_services_checked(const struct alloc *a)
{
    size_t count = 0;

    for (size_t i = 0; a->job != NULL && i < a->job->ngroups; i++) {
        const struct task_group *g = &a->job->groups[i];

        if (strcmp(model_str(g->name), model_str(a->task_group)) != 0)
            continue;
        count += count_checked(g->services, g->nservices);
        for (size_t k = 0; k < g->ntasks; k++)
            count += count_checked(g->tasks[k].services,
                                   g->tasks[k].nservices);
    }
    return count;
}
