/*
 * Watchers of catalogue answers. A template or a blocking query names the
 * answers it read (one service name in a namespace, a namespace's list of
 * names, or every namespace) and is woken once when one of them moves,
 * never for a change elsewhere.
 *
 * The hub listens to the catalogue (catalog_on_change) and only marks
 * watchers while catalog_apply() runs; their callbacks run later, from
 * watch_hub_run(), when the catalogue is consistent again and a callback
 * may read it, add or drop watchers, or free its own watcher.
 *
 * Pure: no I/O, single-threaded.
 */
#ifndef CARAVAN_DISCOVERY_WATCH_H
#define CARAVAN_DISCOVERY_WATCH_H

#include <stddef.h>

struct catalog;
struct watch;
struct watch_hub;

typedef void watch_fn(struct watch *w, void *arg);

/* Installs the hub as c's change listener; c outlives the hub. */
struct watch_hub *watch_hub_new(struct catalog *c);
/* Frees the hub. Watchers still made on it stay their owners' to free;
 * they never wake again. */
void watch_hub_free(struct watch_hub *h);

struct watch *watch_new(struct watch_hub *h, watch_fn *fn, void *arg);
/* Also takes the watcher off the pending list. NULL is a no-op. */
void watch_free(struct watch *w);

/*
 * Adds an answer to w: name in namespace_; name NULL: any name of
 * namespace_ (its list of names); namespace_ NULL: anything at all.
 */
void watch_add(struct watch *w, const char *namespace_, const char *name);
/* Forgets every answer of w (before adding the ones of a new render). */
void watch_clear(struct watch *w);

/* Runs the callbacks of the watchers woken since the last run, each once.
 * Returns how many ran. */
size_t watch_hub_run(struct watch_hub *h);
/* Watchers woken and not yet run. */
size_t watch_hub_pending(const struct watch_hub *h);

#endif
