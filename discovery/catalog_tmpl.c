/* nomadService / nomadServices over the catalogue's read model. */
#include "discovery/catalog_tmpl.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/map.h"

/* The template's health mask is handed to the catalogue unchanged. */
static_assert(
    (unsigned)TMPL_HEALTH_PASSING == (unsigned)CATALOG_HEALTH_PASSING &&
        (unsigned)TMPL_HEALTH_WARNING == (unsigned)CATALOG_HEALTH_WARNING &&
        (unsigned)TMPL_HEALTH_CRITICAL == (unsigned)CATALOG_HEALTH_CRITICAL,
    "health masks differ");

struct cached
{
    uint64_t index;
    struct tv *value;
};

struct catalog_tmpl
{
    const struct catalog *catalog;
    char *namespace_;
    char *region;
    const char *(*env)(void *ctx, const char *name);
    void *env_ctx;
    struct map cache; /* query key -> struct cached */
};

static void cached_free(void *p)
{
    struct cached *c = p;

    tv_unref(c->value);
    free(c);
}

struct catalog_tmpl *catalog_tmpl_new(const struct catalog_tmpl_opts *opts)
{
    struct catalog_tmpl *ct = xcalloc(1, sizeof(*ct));

    ct->catalog = opts->catalog;
    ct->namespace_ = xstrdup(opts->namespace_ ? opts->namespace_ : "default");
    ct->region = xstrdup(opts->region ? opts->region : "global");
    ct->env = opts->env;
    ct->env_ctx = opts->env_ctx;
    map_init(&ct->cache);
    return ct;
}

void catalog_tmpl_free(struct catalog_tmpl *ct)
{
    if (ct == NULL)
        return;
    map_release(&ct->cache, cached_free);
    free(ct->namespace_);
    free(ct->region);
    free(ct);
}

static const char *adapter_env(void *ctx, const char *name)
{
    struct catalog_tmpl *ct = ctx;

    return ct->env ? ct->env(ct->env_ctx, name) : NULL;
}

static int check_region(const struct catalog_tmpl *ct,
                        const char *region,
                        struct err *err)
{
    if (region != NULL && strcmp(region, ct->region) != 0)
        return err_set(err, ERR_NOT_FOUND,
                       "region \"%s\" is not reachable from this agent "
                       "(its region is \"%s\")",
                       region, ct->region);
    return 0;
}

static struct tv *build_list(const struct catalog_service **list, size_t n)
{
    struct tv *out = tv_list_new(n);

    for (size_t i = 0; i < n; i++) {
        const struct catalog_service *s = list[i];
        struct tmpl_service ts = {.id = s->id,
                                  .name = s->service_name,
                                  .node = s->node_id,
                                  .address = s->address,
                                  .port = s->port,
                                  .datacenter = s->datacenter,
                                  .tags = (const char *const *)s->tags,
                                  .n_tags = s->n_tags,
                                  .job_id = s->job_id,
                                  .alloc_id = s->alloc_id,
                                  .namespace_ = s->namespace_};

        tv_list_push(out, tmpl_service_record(&ts));
    }
    return out;
}

static int adapter_service(void *ctx,
                           const struct tmpl_service_query *q,
                           struct tv **out,
                           struct err *err)
{
    struct catalog_tmpl *ct = ctx;
    struct catalog_filter f = {.tag = q->tag, .health = q->health};
    const struct catalog_service **list = NULL;
    uint64_t index;
    struct cached *c;
    char *key;
    size_t n;
    int rc = check_region(ct, q->region, err);

    if (rc != 0)
        return rc;
    key = xasprintf("svc\x1f%s\x1f%s\x1f%u\x1f%lld\x1f%s", q->name,
                    q->tag ? q->tag : "", q->health, (long long)q->choose_n,
                    q->choose_key ? q->choose_key : "");
    index = catalog_name_index(ct->catalog, ct->namespace_, q->name);
    c = map_get(&ct->cache, key);
    if (c != NULL && c->index == index) {
        *out = tv_ref(c->value);
        free(key);
        return 0;
    }
    n = catalog_lookup(ct->catalog, ct->namespace_, q->name, &f, &list, &index);
    if (q->choose_n > 0)
        n = catalog_choose(list, n, (size_t)q->choose_n, q->choose_key);
    if (c == NULL) {
        c = xcalloc(1, sizeof(*c));
        map_put(&ct->cache, key, c);
    }
    tv_unref(c->value);
    c->value = build_list(list, n);
    c->index = index;
    *out = tv_ref(c->value);
    free(list);
    free(key);
    return 0;
}

static int adapter_services(void *ctx,
                            const char *region,
                            struct tv **out,
                            struct err *err)
{
    struct catalog_tmpl *ct = ctx;
    struct catalog_name *names = NULL;
    uint64_t index;
    size_t n;
    int rc = check_region(ct, region, err);

    if (rc != 0)
        return rc;
    n = catalog_names(ct->catalog, ct->namespace_, &names, &index);
    *out = tv_list_new(n);
    for (size_t i = 0; i < n; i++)
        tv_list_push(*out, tmpl_service_name_record(
                               names[i].name, names[i].tags, names[i].n_tags));
    catalog_names_free(names, n);
    return 0;
}

void catalog_tmpl_source(struct catalog_tmpl *ct, struct tmpl_source *src)
{
    src->ctx = ct;
    src->env = adapter_env;
    src->service = adapter_service;
    src->services = adapter_services;
}

uint64_t catalog_tmpl_deps_index(const struct catalog_tmpl *ct,
                                 const struct tmpl_deps *deps)
{
    uint64_t max = 0;

    for (size_t i = 0; i < deps->n; i++) {
        const struct tmpl_dep *d = &deps->items[i];
        uint64_t idx = 0;

        if (d->kind == TMPL_DEP_SERVICE) {
            idx =
                catalog_name_index(ct->catalog, ct->namespace_, d->query.name);
        } else if (d->kind == TMPL_DEP_SERVICES) {
            struct catalog_name *names = NULL;
            size_t n = catalog_names(ct->catalog, ct->namespace_, &names, &idx);

            catalog_names_free(names, n);
        }
        if (idx > max)
            max = idx;
    }
    return max;
}
