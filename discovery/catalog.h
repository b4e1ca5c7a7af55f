/*
 * The service catalogue: registrations owned by the nodes that run them,
 * and the local read model every agent answers lookups from.
 *
 * Each node publishes its whole record set under a per-node version that
 * only grows; the mesh spreads sets between agents in any order, any
 * number of times. catalog_apply() is the merge rule:
 *
 *   incoming version >  known version  -> replaces the node's set
 *   incoming version <= known version  -> ignored (stale or duplicate)
 *   a tombstone (node gone, all deleted) is a set with no services that
 *   is kept, with its version, until it expires: an older set arriving
 *   late cannot bring the node's services back before then.
 *
 * The read model is rebuilt incrementally from those sets: names per
 * namespace with the union of their tags, instances per name ordered by
 * ID, filtered by tag, datacenter and health. A local counter orders every
 * change (Nomad's Raft index stands in for it): each registration carries
 * CreateIndex/ModifyIndex from it, each name and namespace the index of
 * its last change, so a watcher compares one number to know whether its
 * answer moved.
 *
 * Pure: no I/O, time comes in as arguments. Single-threaded.
 */
#ifndef CARAVAN_DISCOVERY_CATALOG_H
#define CARAVAN_DISCOVERY_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;
struct catalog;

/* Health as a mask, so a lookup can ask for several states at once. */
enum catalog_health {
    CATALOG_HEALTH_PASSING = 1 << 0,
    CATALOG_HEALTH_WARNING = 1 << 1,
    CATALOG_HEALTH_CRITICAL = 1 << 2,
};

/* Bounds of a decoded record set (bytes come from other agents). */
#define CATALOG_MAX_SERVICES_PER_NODE 4096
#define CATALOG_MAX_TAGS 64
#define CATALOG_MAX_STRING 1024

/* One registration, with Nomad's fields plus its health. */
struct catalog_service
{
    char *id; /* _nomad-task-<alloc>-<task>-<service>-<label> */
    char *service_name;
    char *namespace_;
    char *node_id;
    char *datacenter;
    char *job_id;
    char *alloc_id;
    char **tags; /* in registration order */
    size_t n_tags;
    char *address;
    int64_t port;
    uint64_t create_index; /* set by the catalogue, not carried on the wire */
    uint64_t modify_index;
    enum catalog_health health;
    char *health_output;
    int64_t health_checked_unix_ms; /* 0: never checked */
};

/* A node's record set at one version. */
struct catalog_node_set
{
    char *node_id;
    uint64_t version;
    bool tombstone; /* the node's services are all deleted */
    struct catalog_service *services;
    size_t n_services;
};

void catalog_service_release(struct catalog_service *s);
/* Deep copy into dst (uninitialised). */
void catalog_service_copy(struct catalog_service *dst,
                          const struct catalog_service *src);
void catalog_node_set_release(struct catalog_node_set *set);

/*
 * Encodes set as msgpack (format version 1). Decoding checks every bound
 * above, types and duplicate IDs; it fails with ERR_MALFORMED or
 * ERR_VERSION and a message naming the field, and leaves *set empty.
 */
void catalog_node_set_encode(const struct catalog_node_set *set,
                             struct buf *out);
int catalog_node_set_decode(const void *data,
                            size_t len,
                            struct catalog_node_set *set,
                            struct err *err);

/* ------------------------------------------------------------------ merge */

enum catalog_merge {
    CATALOG_MERGE_APPLY, /* newer: replaces the known set */
    CATALOG_MERGE_STALE, /* older than what is known: ignored */
    CATALOG_MERGE_SAME,  /* the version already known: ignored */
};

/*
 * The merge rule alone: what to do with a set at `incoming` when the node
 * is known at `known` (has_known false: never seen, or its tombstone
 * expired).
 */
enum catalog_merge catalog_merge_decide(bool has_known,
                                        uint64_t known,
                                        uint64_t incoming);

/* ------------------------------------------------------------------ catalogue
 */

/* tombstone_ttl_ms: how long a deleted node's version is remembered. */
struct catalog *catalog_new(int64_t tombstone_ttl_ms);
void catalog_free(struct catalog *c);

/*
 * Merges a node's set seen at now_ms (monotonic). Copies what it keeps;
 * set stays the caller's. Names and IDs hold no control characters (the
 * decoder rejects them; local callers must not pass them either). Returns what
 * the merge decided; on APPLY the read model and its indexes are updated
 * (nothing moves when the new set equals the old one, apart from the version).
 */
enum catalog_merge catalog_apply(struct catalog *c,
                                 const struct catalog_node_set *set,
                                 int64_t now_ms);

/*
 * Called during catalog_apply() for every name whose answer moved, with
 * the namespace and name (borrowed for the call); watchers hang off it
 * (discovery/watch.h). It must not change the catalogue.
 */
typedef void catalog_change_fn(void *ctx, const char *namespace_,
                               const char *name);
void catalog_on_change(struct catalog *c, catalog_change_fn *fn, void *ctx);

/*
 * Removes node_id's services and forgets its version, so its next set is
 * taken whatever its version: for a node whose records the mesh itself
 * dropped (it left or was reaped), which already orders what it passes on.
 */
void catalog_forget(struct catalog *c, const char *node_id, int64_t now_ms);

/* Forgets tombstones older than the TTL. Returns how many went. */
size_t catalog_expire(struct catalog *c, int64_t now_ms);

/* The version known for node_id; false when unknown. */
bool catalog_node_version(const struct catalog *c,
                          const char *node_id,
                          uint64_t *version);

/* The catalogue's index: the last change of any kind. */
uint64_t catalog_index(const struct catalog *c);

/* ------------------------------------------------------------------ reads */

struct catalog_filter
{
    const char *tag;        /* NULL: any */
    const char *datacenter; /* NULL: any */
    unsigned health;        /* CATALOG_HEALTH_* mask; 0: any */
};

/*
 * The instances of name in namespace_ matching f, ordered by ID, into
 * *out (an array the caller frees; the pointers are borrowed and valid
 * until the next catalog_apply/expire). Returns how many. *index gets
 * the name's modify index (0 for a name never seen).
 */
size_t catalog_lookup(const struct catalog *c,
                      const char *namespace_,
                      const char *name,
                      const struct catalog_filter *f,
                      const struct catalog_service ***out,
                      uint64_t *index);

/* A name's modify index, without building an answer (for watchers). */
uint64_t catalog_name_index(const struct catalog *c,
                            const char *namespace_,
                            const char *name);

struct catalog_name
{
    const char *name;  /* borrowed, as in catalog_lookup */
    const char **tags; /* sorted union over instances; caller frees array */
    size_t n_tags;
};

/*
 * The names with at least one instance in namespace_, sorted, with their
 * tags; *out is freed with catalog_names_free. *index gets the namespace's
 * modify index.
 */
size_t catalog_names(const struct catalog *c,
                     const char *namespace_,
                     struct catalog_name **out,
                     uint64_t *index);
void catalog_names_free(struct catalog_name *names, size_t n);

/* The namespaces holding services, sorted; borrowed strings in *out. */
size_t catalog_namespaces(const struct catalog *c, const char ***out);

/*
 * Nomad's `choose=n|key` rendezvous selection: sorts list by the SHA-256
 * hex of port (8 bytes, big-endian) | AllocID | ID | Namespace | Address |
 * ServiceName | tags | key, and keeps the first n. Returns the new count.
 */
size_t catalog_choose(const struct catalog_service **list,
                      size_t n,
                      size_t choose_n,
                      const char *key);

#endif
