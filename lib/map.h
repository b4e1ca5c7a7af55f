/*
 * Hash map from strings (copied, owned) to pointers. Keys often come from
 * the wire (job IDs, node names), so the hash is SipHash keyed per map with
 * libsodium randomness: nobody can pick keys that collide on purpose.
 */
#ifndef CARAVAN_LIB_MAP_H
#define CARAVAN_LIB_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct map_slot;

struct map
{
    struct map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;
    size_t used; /* live entries + tombstones */
    unsigned char key[16];
};

struct map_iter
{
    const struct map *m;
    size_t i;
};

void map_init(struct map *m);
/*
 * Like map_init, but the hash key comes from seed, so the iteration order
 * replays from the seed. For simulations and tests only: a guessable key
 * gives back the hash-flooding that map_init guards against.
 */
void map_init_seeded(struct map *m, uint64_t seed);
/* Frees keys, and values with free_value when it is not NULL. */
void map_release(struct map *m, void (*free_value)(void *));
void *map_get(const struct map *m, const char *key);
bool map_has(const struct map *m, const char *key);
/* Sets key to value; returns the previous value or NULL. */
void *map_put(struct map *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *map_del(struct map *m, const char *key);
static inline size_t map_size(const struct map *m)
{
    return m->n;
}

/*
 * Visits every entry once, in an order set by the hash key, not by insertion.
 * During a walk map_del (of any key, the current one included) and map_put
 * of a key already present are allowed: neither moves entries. map_put of a
 * new key is not, as it may rehash.
 */
void map_iter_init(struct map_iter *it, const struct map *m);
bool map_next(struct map_iter *it, const char **key, void **value);

#endif
