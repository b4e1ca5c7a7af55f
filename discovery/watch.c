/* Watchers of catalogue answers (watch.h). */
#include "discovery/watch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/catalog.h"
#include "lib/alloc.h"
#include "lib/list.h"
#include "lib/map.h"

/* Keys: "<ns>\x1f<name>", "<ns>\x1f" (the namespace), "\x1e" (all). */
#define KEY_ALL "\x1e"

struct bucket
{
    struct watch **v;
    size_t n, cap;
};

struct watch_hub
{
    struct catalog *cat;
    struct map buckets; /* key -> struct bucket */
    struct list_node pending;
    size_t n_pending;
    struct list_node all; /* every watcher made on the hub */
};

struct watch
{
    struct watch_hub *hub;
    watch_fn *fn;
    void *arg;
    char **keys;
    size_t n_keys, cap_keys;
    struct list_node link; /* on hub->pending while woken */
    struct list_node member; /* on hub->all */
    bool woken;
};

static void wake_key(struct watch_hub *h, const char *key)
{
    struct bucket *b = map_get(&h->buckets, key);

    for (size_t i = 0; b != NULL && i < b->n; i++) {
        struct watch *w = b->v[i];

        if (!w->woken) {
            w->woken = true;
            list_add_tail(&h->pending, &w->link);
            h->n_pending++;
        }
    }
}

static void changed(void *ctx, const char *namespace_, const char *name)
{
    struct watch_hub *h = ctx;
    char *k = xasprintf("%s\x1f%s", namespace_, name);

    wake_key(h, k);
    k[strlen(namespace_) + 1] = '\0';
    wake_key(h, k);
    wake_key(h, KEY_ALL);
    free(k);
}

struct watch_hub *watch_hub_new(struct catalog *c)
{
    struct watch_hub *h = xcalloc(1, sizeof(*h));

    h->cat = c;
    map_init(&h->buckets);
    list_init(&h->pending);
    list_init(&h->all);
    catalog_on_change(c, changed, h);
    return h;
}

static void unhook(struct watch *w)
{
    if (w->woken) {
        list_del(&w->link);
        w->woken = false;
        w->hub->n_pending--;
    }
}

void watch_clear(struct watch *w)
{
    for (size_t i = 0; i < w->n_keys; i++) {
        struct bucket *b =
            w->hub ? map_get(&w->hub->buckets, w->keys[i]) : NULL;

        for (size_t k = 0; b != NULL && k < b->n; k++) {
            if (b->v[k] == w) {
                b->v[k] = b->v[--b->n];
                break;
            }
        }
        if (b != NULL && b->n == 0) {
            map_del(&w->hub->buckets, w->keys[i]);
            free(b->v);
            free(b);
        }
        free(w->keys[i]);
    }
    w->n_keys = 0;
}

void watch_hub_free(struct watch_hub *h)
{
    if (h == NULL)
        return;
    catalog_on_change(h->cat, NULL, NULL);
    /* Watchers outlive the hub (their owners free them): they only lose
     * their answers and never wake again. */
    while (!list_empty(&h->all)) {
        struct watch *w = list_entry(h->all.next, struct watch, member);

        unhook(w);
        watch_clear(w);
        list_del(&w->member);
        w->hub = NULL;
    }
    map_release(&h->buckets, NULL);
    free(h);
}

struct watch *watch_new(struct watch_hub *h, watch_fn *fn, void *arg)
{
    struct watch *w = xcalloc(1, sizeof(*w));

    w->hub = h;
    w->fn = fn;
    w->arg = arg;
    list_init(&w->link);
    list_add_tail(&h->all, &w->member);
    return w;
}

void watch_free(struct watch *w)
{
    if (w == NULL)
        return;
    if (w->hub != NULL) {
        unhook(w);
        list_del(&w->member);
    }
    watch_clear(w);
    free(w->keys);
    free(w);
}

void watch_add(struct watch *w, const char *namespace_, const char *name)
{
    char *key;
    struct bucket *b;

    if (w->hub == NULL)
        return;
    key = namespace_ == NULL
                    ? xstrdup(KEY_ALL)
                    : xasprintf("%s\x1f%s", namespace_, name ? name : "");

    for (size_t i = 0; i < w->n_keys; i++) {
        if (strcmp(w->keys[i], key) == 0) {
            free(key);
            return;
        }
    }
    b = map_get(&w->hub->buckets, key);
    if (b == NULL) {
        b = xcalloc(1, sizeof(*b));
        map_put(&w->hub->buckets, key, b);
    }
    XGROW(b->v, b->cap, b->n + 1);
    b->v[b->n++] = w;
    XGROW(w->keys, w->cap_keys, w->n_keys + 1);
    w->keys[w->n_keys++] = key;
}

size_t watch_hub_run(struct watch_hub *h)
{
    size_t ran = 0;

    /* A callback may free any watcher: each is taken off before it runs. */
    while (!list_empty(&h->pending)) {
        struct watch *w = list_entry(h->pending.next, struct watch, link);

        unhook(w);
        ran++;
        w->fn(w, w->arg);
    }
    return ran;
}

size_t watch_hub_pending(const struct watch_hub *h)
{
    return h->n_pending;
}
