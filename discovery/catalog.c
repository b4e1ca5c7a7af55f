/*
 * The catalogue: per-node versioned record sets merged into a read model
 * indexed by namespace and name. See catalog.h for the merge rule.
 *
 * Layout: nodes (node_id -> node_entry) own the registrations; names
 * (per namespace) hold borrowed pointers to them, refreshed whenever the
 * owning node's set is replaced.
 */
#include "discovery/catalog.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/map.h"

struct node_entry
{
    char *node_id;
    uint64_t version;
    bool tombstone;
    int64_t expires_ms; /* tombstones only */
    struct catalog_service *services;
    size_t n_services;
};

struct inst
{
    struct catalog_service *svc;
    struct node_entry *owner;
};

struct name_entry
{
    char *name;
    struct inst *items; /* ordered by ID */
    size_t n, cap;
    uint64_t modify_index;
};

struct ns_entry
{
    struct map names; /* name -> struct name_entry */
    uint64_t modify_index;
};

struct catalog
{
    struct map nodes;      /* node_id -> struct node_entry */
    struct map namespaces; /* namespace -> struct ns_entry */
    uint64_t index;
    int64_t tombstone_ttl_ms;
    catalog_change_fn *on_change;
    void *on_change_ctx;
};

/* ------------------------------------------------------------------ values */

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void catalog_service_release(struct catalog_service *s)
{
    free(s->id);
    free(s->service_name);
    free(s->namespace_);
    free(s->node_id);
    free(s->datacenter);
    free(s->job_id);
    free(s->alloc_id);
    free_strv(s->tags, s->n_tags);
    free(s->address);
    free(s->health_output);
    memset(s, 0, sizeof(*s));
}

static char *dup(const char *s)
{
    return xstrdup(s ? s : "");
}

void catalog_service_copy(struct catalog_service *dst,
                          const struct catalog_service *src)
{
    *dst = *src;
    dst->id = dup(src->id);
    dst->service_name = dup(src->service_name);
    dst->namespace_ = dup(src->namespace_);
    dst->node_id = dup(src->node_id);
    dst->datacenter = dup(src->datacenter);
    dst->job_id = dup(src->job_id);
    dst->alloc_id = dup(src->alloc_id);
    dst->address = dup(src->address);
    dst->health_output = dup(src->health_output);
    dst->tags = xcalloc(src->n_tags ? src->n_tags : 1, sizeof(char *));
    for (size_t i = 0; i < src->n_tags; i++)
        dst->tags[i] = dup(src->tags[i]);
}

void catalog_node_set_release(struct catalog_node_set *set)
{
    for (size_t i = 0; i < set->n_services; i++)
        catalog_service_release(&set->services[i]);
    free(set->services);
    free(set->node_id);
    memset(set, 0, sizeof(*set));
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool has_tag(const struct catalog_service *s, const char *tag)
{
    for (size_t i = 0; i < s->n_tags; i++) {
        if (strcmp(s->tags[i], tag) == 0)
            return true;
    }
    return false;
}

/*
 * Nomad's equality for an upsert (same fields, same tag *set*) plus the
 * health status. Check output alone does not count: watchers would wake
 * on every check run for nothing.
 */
static bool same_registration(const struct catalog_service *a,
                              const struct catalog_service *b)
{
    if (!str_eq(a->service_name, b->service_name) ||
        !str_eq(a->node_id, b->node_id) ||
        !str_eq(a->datacenter, b->datacenter) ||
        !str_eq(a->job_id, b->job_id) || !str_eq(a->alloc_id, b->alloc_id) ||
        !str_eq(a->address, b->address) || a->port != b->port ||
        a->health != b->health || a->n_tags != b->n_tags)
        return false;
    for (size_t i = 0; i < a->n_tags; i++) {
        if (!has_tag(b, a->tags[i]) || !has_tag(a, b->tags[i]))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ merge */

enum catalog_merge catalog_merge_decide(bool has_known,
                                        uint64_t known,
                                        uint64_t incoming)
{
    if (!has_known || incoming > known)
        return CATALOG_MERGE_APPLY;
    return incoming == known ? CATALOG_MERGE_SAME : CATALOG_MERGE_STALE;
}

struct catalog *catalog_new(int64_t tombstone_ttl_ms)
{
    struct catalog *c = xcalloc(1, sizeof(*c));

    map_init(&c->nodes);
    map_init(&c->namespaces);
    c->tombstone_ttl_ms = tombstone_ttl_ms;
    return c;
}

static void node_entry_free(void *p)
{
    struct node_entry *n = p;

    for (size_t i = 0; i < n->n_services; i++)
        catalog_service_release(&n->services[i]);
    free(n->services);
    free(n->node_id);
    free(n);
}

static void name_entry_free(void *p)
{
    struct name_entry *e = p;

    free(e->items);
    free(e->name);
    free(e);
}

static void ns_entry_free(void *p)
{
    struct ns_entry *ns = p;

    map_release(&ns->names, name_entry_free);
    free(ns);
}

void catalog_free(struct catalog *c)
{
    if (c == NULL)
        return;
    map_release(&c->nodes, node_entry_free);
    map_release(&c->namespaces, ns_entry_free);
    free(c);
}

static struct name_entry *name_get(struct catalog *c,
                                   const char *ns_name,
                                   const char *name,
                                   struct ns_entry **nsp)
{
    struct ns_entry *ns = map_get(&c->namespaces, ns_name);
    struct name_entry *e;

    if (ns == NULL) {
        ns = xcalloc(1, sizeof(*ns));
        map_init(&ns->names);
        map_put(&c->namespaces, ns_name, ns);
    }
    *nsp = ns;
    e = map_get(&ns->names, name);
    if (e == NULL) {
        e = xcalloc(1, sizeof(*e));
        e->name = xstrdup(name);
        map_put(&ns->names, name, e);
    }
    return e;
}

/* "ns\x1fname": one key for a (namespace, name) pair. */
static char *pair_key(const char *a, const char *b)
{
    return xasprintf("%s\x1f%s", a ? a : "", b ? b : "");
}

static int inst_cmp(const void *a, const void *b)
{
    const struct inst *x = a, *y = b;

    return strcmp(x->svc->id, y->svc->id);
}

/* Carries indexes over from the node's previous set; marks what moved. */
static void carry_indexes(struct catalog *c,
                          struct node_entry *node,
                          struct catalog_service *fresh,
                          size_t n_fresh,
                          struct map *touched)
{
    struct map old;
    uint64_t idx = c->index + 1;
    bool moved = false;

    map_init(&old);
    for (size_t i = 0; i < node->n_services; i++) {
        struct catalog_service *s = &node->services[i];
        char *k = pair_key(s->namespace_, s->id);

        map_put(&old, k, s);
        free(k);
    }
    for (size_t i = 0; i < n_fresh; i++) {
        struct catalog_service *s = &fresh[i];
        char *k = pair_key(s->namespace_, s->id);
        struct catalog_service *o = map_del(&old, k);
        char *nk = pair_key(s->namespace_, s->service_name);

        free(k);
        if (o != NULL && same_registration(o, s) &&
            str_eq(o->service_name, s->service_name)) {
            s->create_index = o->create_index;
            s->modify_index = o->modify_index;
            map_put(touched, nk, map_get(touched, nk)); /* refresh only */
        } else {
            s->create_index = o != NULL ? o->create_index : idx;
            s->modify_index = idx;
            map_put(touched, nk, (void *)1);
            moved = true;
            if (o != NULL) {
                char *ok = pair_key(o->namespace_, o->service_name);

                map_put(touched, ok, (void *)1);
                free(ok);
            }
        }
        free(nk);
    }
    {
        struct map_iter it;
        const char *k;
        void *v;

        map_iter_init(&it, &old);
        while (map_next(&it, &k, &v)) {
            struct catalog_service *o = v;
            char *ok = pair_key(o->namespace_, o->service_name);

            map_put(touched, ok, (void *)1);
            moved = true;
            free(ok);
        }
    }
    map_release(&old, NULL);
    if (moved)
        c->index = idx;
}

/* Swaps in the node's new services and refreshes the names they touch. */
static void reindex(struct catalog *c,
                    struct node_entry *node,
                    struct map *touched)
{
    struct map_iter it;
    const char *k;
    void *v;

    /* Drop the node's old pointers from every touched name. */
    map_iter_init(&it, touched);
    while (map_next(&it, &k, &v)) {
        const char *sep = strchr(k, '\x1f');
        char *ns_name = xstrndup(k, (size_t)(sep - k));
        struct ns_entry *ns;
        struct name_entry *e = name_get(c, ns_name, sep + 1, &ns);
        size_t w = 0;

        for (size_t i = 0; i < e->n; i++) {
            if (e->items[i].owner != node)
                e->items[w++] = e->items[i];
        }
        e->n = w;
        free(ns_name);
    }
    for (size_t i = 0; i < node->n_services; i++) {
        struct catalog_service *s = &node->services[i];
        struct ns_entry *ns;
        struct name_entry *e = name_get(c, s->namespace_, s->service_name, &ns);

        XGROW(e->items, e->cap, e->n + 1);
        e->items[e->n].svc = s;
        e->items[e->n].owner = node;
        e->n++;
    }
    map_iter_init(&it, touched);
    while (map_next(&it, &k, &v)) {
        const char *sep = strchr(k, '\x1f');
        char *ns_name = xstrndup(k, (size_t)(sep - k));
        struct ns_entry *ns;
        struct name_entry *e = name_get(c, ns_name, sep + 1, &ns);

        if (e->n > 1)
            qsort(e->items, e->n, sizeof(*e->items), inst_cmp);
        if (v != NULL) {
            e->modify_index = c->index;
            ns->modify_index = c->index;
            if (c->on_change != NULL)
                c->on_change(c->on_change_ctx, ns_name, sep + 1);
        }
        free(ns_name);
    }
}

enum catalog_merge catalog_apply(struct catalog *c,
                                 const struct catalog_node_set *set,
                                 int64_t now_ms)
{
    struct node_entry *node = map_get(&c->nodes, set->node_id);
    enum catalog_merge d = catalog_merge_decide(
        node != NULL, node ? node->version : 0, set->version);
    struct catalog_service *fresh = NULL;
    size_t n_fresh = set->tombstone ? 0 : set->n_services;
    struct map touched;

    if (d != CATALOG_MERGE_APPLY)
        return d;
    if (node == NULL) {
        node = xcalloc(1, sizeof(*node));
        node->node_id = xstrdup(set->node_id);
        map_put(&c->nodes, set->node_id, node);
    }
    if (n_fresh > 0) {
        fresh = xcalloc(n_fresh, sizeof(*fresh));
        for (size_t i = 0; i < n_fresh; i++)
            catalog_service_copy(&fresh[i], &set->services[i]);
    }
    map_init(&touched);
    carry_indexes(c, node, fresh, n_fresh, &touched);
    for (size_t i = 0; i < node->n_services; i++)
        catalog_service_release(&node->services[i]);
    free(node->services);
    node->services = fresh;
    node->n_services = n_fresh;
    node->version = set->version;
    node->tombstone = set->tombstone;
    node->expires_ms = set->tombstone ? now_ms + c->tombstone_ttl_ms : 0;
    reindex(c, node, &touched);
    map_release(&touched, NULL);
    return d;
}

void catalog_on_change(struct catalog *c, catalog_change_fn *fn, void *ctx)
{
    c->on_change = fn;
    c->on_change_ctx = ctx;
}

void catalog_forget(struct catalog *c, const char *node_id, int64_t now_ms)
{
    struct node_entry *node = map_get(&c->nodes, node_id);
    struct catalog_node_set tomb;

    if (node == NULL)
        return;
    memset(&tomb, 0, sizeof(tomb));
    tomb.node_id = (char *)node_id;
    tomb.version = node->version + 1;
    tomb.tombstone = true;
    catalog_apply(c, &tomb, now_ms);
    node = map_del(&c->nodes, node_id);
    node_entry_free(node);
}

size_t catalog_expire(struct catalog *c, int64_t now_ms)
{
    struct map_iter it;
    const char *k;
    void *v;
    size_t n = 0;

    map_iter_init(&it, &c->nodes);
    while (map_next(&it, &k, &v)) {
        struct node_entry *node = v;

        if (node->tombstone && node->expires_ms <= now_ms) {
            map_del(&c->nodes, k);
            node_entry_free(node);
            n++;
        }
    }
    return n;
}

bool catalog_node_version(const struct catalog *c,
                          const char *node_id,
                          uint64_t *version)
{
    const struct node_entry *node = map_get(&c->nodes, node_id);

    if (node == NULL)
        return false;
    *version = node->version;
    return true;
}

uint64_t catalog_index(const struct catalog *c)
{
    return c->index;
}

/* ------------------------------------------------------------------ reads */

static const struct name_entry *name_find(const struct catalog *c,
                                          const char *ns_name,
                                          const char *name)
{
    const struct ns_entry *ns = map_get(&c->namespaces, ns_name);

    return ns ? map_get(&ns->names, name) : NULL;
}

static bool matches(const struct catalog_service *s,
                    const struct catalog_filter *f)
{
    if (f == NULL)
        return true;
    if (f->tag != NULL && !has_tag(s, f->tag))
        return false;
    if (f->datacenter != NULL && !str_eq(s->datacenter, f->datacenter))
        return false;
    return f->health == 0 || (f->health & (unsigned)s->health) != 0;
}

size_t catalog_lookup(const struct catalog *c,
                      const char *namespace_,
                      const char *name,
                      const struct catalog_filter *f,
                      const struct catalog_service ***out,
                      uint64_t *index)
{
    const struct name_entry *e = name_find(c, namespace_, name);
    size_t n = 0;

    *out = NULL;
    *index = e ? e->modify_index : 0;
    if (e == NULL || e->n == 0)
        return 0;
    *out = xmalloc(e->n * sizeof(**out));
    for (size_t i = 0; i < e->n; i++) {
        if (matches(e->items[i].svc, f))
            (*out)[n++] = e->items[i].svc;
    }
    return n;
}

uint64_t catalog_name_index(const struct catalog *c,
                            const char *namespace_,
                            const char *name)
{
    const struct name_entry *e = name_find(c, namespace_, name);

    return e ? e->modify_index : 0;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct catalog_name *)a)->name,
                  ((const struct catalog_name *)b)->name);
}

/* The sorted union of the tags of e's instances. */
static void union_tags(const struct name_entry *e, struct catalog_name *out)
{
    size_t total = 0, w = 0;

    for (size_t i = 0; i < e->n; i++)
        total += e->items[i].svc->n_tags;
    out->tags = xmalloc((total ? total : 1) * sizeof(char *));
    for (size_t i = 0; i < e->n; i++) {
        for (size_t t = 0; t < e->items[i].svc->n_tags; t++)
            out->tags[w++] = e->items[i].svc->tags[t];
    }
    if (w > 1)
        qsort(out->tags, w, sizeof(char *), cmp_cstr);
    out->n_tags = 0;
    for (size_t i = 0; i < w; i++) {
        if (out->n_tags == 0 ||
            strcmp(out->tags[out->n_tags - 1], out->tags[i]) != 0)
            out->tags[out->n_tags++] = out->tags[i];
    }
}

size_t catalog_names(const struct catalog *c,
                     const char *namespace_,
                     struct catalog_name **out,
                     uint64_t *index)
{
    const struct ns_entry *ns = map_get(&c->namespaces, namespace_);
    struct map_iter it;
    const char *k;
    void *v;
    size_t n = 0;

    *out = NULL;
    *index = ns ? ns->modify_index : 0;
    if (ns == NULL)
        return 0;
    *out = xcalloc(map_size(&ns->names) + 1, sizeof(**out));
    map_iter_init(&it, &ns->names);
    while (map_next(&it, &k, &v)) {
        const struct name_entry *e = v;

        if (e->n == 0)
            continue;
        (*out)[n].name = e->name;
        union_tags(e, &(*out)[n]);
        n++;
    }
    if (n > 1)
        qsort(*out, n, sizeof(**out), cmp_name);
    return n;
}

void catalog_names_free(struct catalog_name *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i].tags);
    free(names);
}

size_t catalog_namespaces(const struct catalog *c, const char ***out)
{
    struct map_iter it;
    const char *k;
    void *v;
    size_t n = 0;

    *out = xmalloc((map_size(&c->namespaces) + 1) * sizeof(char *));
    map_iter_init(&it, &c->namespaces);
    while (map_next(&it, &k, &v)) {
        const struct ns_entry *ns = v;
        struct map_iter it2;
        const char *k2;
        void *v2;
        bool any = false;

        map_iter_init(&it2, &ns->names);
        while (!any && map_next(&it2, &k2, &v2))
            any = ((const struct name_entry *)v2)->n > 0;
        if (any)
            (*out)[n++] = k;
    }
    if (n > 1)
        qsort(*out, n, sizeof(char *), cmp_cstr);
    return n;
}

/* ------------------------------------------------------------------ choose */

struct ranked
{
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    size_t pos;
    const struct catalog_service *svc;
};

static int ranked_cmp(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    int c = strcmp(x->hex, y->hex);

    if (c != 0)
        return c;
    return (x->pos > y->pos) - (x->pos < y->pos); /* stable */
}

static void hash_str(crypto_hash_sha256_state *st, const char *s)
{
    if (s != NULL)
        crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

size_t catalog_choose(const struct catalog_service **list,
                      size_t n,
                      size_t choose_n,
                      const char *key)
{
    struct ranked *r;

    if (n == 0)
        return 0;
    r = xmalloc(n * sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        const struct catalog_service *s = list[i];
        crypto_hash_sha256_state st;
        unsigned char port[8], h[crypto_hash_sha256_BYTES];
        uint64_t p = (uint64_t)s->port;

        for (int b = 7; b >= 0; b--, p >>= 8)
            port[b] = (unsigned char)(p & 0xff);
        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, port, sizeof(port));
        hash_str(&st, s->alloc_id);
        hash_str(&st, s->id);
        hash_str(&st, s->namespace_);
        hash_str(&st, s->address);
        hash_str(&st, s->service_name);
        for (size_t t = 0; t < s->n_tags; t++)
            hash_str(&st, s->tags[t]);
        hash_str(&st, key);
        crypto_hash_sha256_final(&st, h);
        sodium_bin2hex(r[i].hex, sizeof(r[i].hex), h, sizeof(h));
        r[i].pos = i;
        r[i].svc = s;
    }
    qsort(r, n, sizeof(*r), ranked_cmp);
    if (choose_n < n)
        n = choose_n;
    for (size_t i = 0; i < n; i++)
        list[i] = r[i].svc;
    free(r);
    return n;
}
