/* Open-addressing hash map with linear probing (see map.h). */
#include "lib/map.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/rand.h"

/* key NULL: never used; key == TOMBSTONE: deleted. */
struct map_slot
{
    char *key;
    void *value;
    uint64_t hash;
};

/* m->key is handed to crypto_shorthash as its whole key. */
_Static_assert(sizeof(((struct map *)0)->key) == crypto_shorthash_KEYBYTES,
               "map key size must match crypto_shorthash");

static char tombstone;
#define TOMBSTONE (&tombstone)

static void init_empty(struct map *m)
{
    m->slots = NULL;
    m->cap = m->n = m->used = 0;
    /* Idempotent; callers need not have initialised libsodium. */
    if (sodium_init() < 0)
        abort();
}

void map_init(struct map *m)
{
    init_empty(m);
    randombytes_buf(m->key, sizeof(m->key));
}

void map_init_seeded(struct map *m, uint64_t seed)
{
    struct rng r;
    uint64_t k[2];

    init_empty(m);
    rng_seed(&r, seed);
    k[0] = rng_u64(&r);
    k[1] = rng_u64(&r);
    memcpy(m->key, k, sizeof(m->key));
}

void map_release(struct map *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        struct map_slot *s = &m->slots[i];

        if (s->key == NULL || s->key == TOMBSTONE)
            continue;
        free(s->key);
        if (free_value)
            free_value(s->value);
    }
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = m->used = 0;
}

static uint64_t hash_of(const struct map *m, const char *key)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const unsigned char *)key, strlen(key), m->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* The slot holding key, or NULL. */
static struct map_slot *find(const struct map *m, const char *key, uint64_t h)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct map_slot *s = &m->slots[i];

        if (s->key == NULL)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static void insert_new(struct map *m, char *key, void *value, uint64_t h)
{
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct map_slot *s = &m->slots[i];

        if (s->key == NULL || s->key == TOMBSTONE) {
            if (s->key == NULL)
                m->used++;
            s->key = key;
            s->value = value;
            s->hash = h;
            m->n++;
            return;
        }
    }
}

/* Keeps live entries + tombstones at or below 3/4 of the slots. */
static void grow(struct map *m)
{
    struct map_slot *old = m->slots;
    size_t old_cap = m->cap;
    size_t cap = 8;

    /* Sized for the live entries only: rehashing drops the tombstones. */
    while ((m->n + 1) * 2 > cap)
        cap *= 2;
    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    m->n = m->used = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key != NULL && old[i].key != TOMBSTONE)
            insert_new(m, old[i].key, old[i].value, old[i].hash);
    }
    free(old);
}

void *map_get(const struct map *m, const char *key)
{
    struct map_slot *s = find(m, key, m->cap ? hash_of(m, key) : 0);

    return s ? s->value : NULL;
}

bool map_has(const struct map *m, const char *key)
{
    return m->cap && find(m, key, hash_of(m, key)) != NULL;
}

void *map_put(struct map *m, const char *key, void *value)
{
    uint64_t h = hash_of(m, key);
    struct map_slot *s = find(m, key, h);
    void *prev;

    if (s != NULL) {
        prev = s->value;
        s->value = value;
        return prev;
    }
    if ((m->used + 1) * 4 > m->cap * 3)
        grow(m);
    insert_new(m, xstrdup(key), value, h);
    return NULL;
}

void *map_del(struct map *m, const char *key)
{
    struct map_slot *s;
    void *value;

    if (m->cap == 0)
        return NULL;
    s = find(m, key, hash_of(m, key));
    if (s == NULL)
        return NULL;
    value = s->value;
    free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->n--;
    return value;
}

void map_iter_init(struct map_iter *it, const struct map *m)
{
    it->m = m;
    it->i = 0;
}

bool map_next(struct map_iter *it, const char **key, void **value)
{
    while (it->i < it->m->cap) {
        const struct map_slot *s = &it->m->slots[it->i++];

        if (s->key != NULL && s->key != TOMBSTONE) {
            *key = s->key;
            *value = s->value;
            return true;
        }
    }
    return false;
}
