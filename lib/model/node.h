/*
 * A client node as the servers know it (Nomad's structs.Node): identity,
 * fingerprinted attributes, drivers, resources and status.
 */
#ifndef CARAVAN_LIB_MODEL_NODE_H
#define CARAVAN_LIB_MODEL_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/model/types.h"

struct err;

#define NODE_STATUS_INIT "initializing"
#define NODE_STATUS_READY "ready"
#define NODE_STATUS_DOWN "down"
#define NODE_STATUS_DISCONNECTED "disconnected"

struct node_driver
{
    char *name;
    struct strmap attributes;
    bool detected;
    bool healthy;
    char *health_description;
    int64_t update_time_unix_ns;
};

struct node_resources
{
    int64_t cpu_shares; /* MHz */
    int64_t total_cores;
    int64_t memory_mb;
    int64_t disk_mb;
    int64_t min_dynamic_port; /* 20000 */
    int64_t max_dynamic_port; /* 32000 */
    char *ip;                 /* address tasks' ports bind on */
};

struct node_event
{
    char *message;
    char *subsystem;
    int64_t timestamp_unix_ns;
    int64_t create_index;
};

/* How a node drains (Nomad's DrainStrategy with its DrainSpec inlined). */
struct node_drain_strategy
{
    int64_t deadline_ns; /* < 0: force, 0: no deadline */
    bool ignore_system_jobs;
    int64_t force_deadline_unix_ns; /* 0 when no deadline */
    int64_t started_at_unix_ns;
};

#define NODE_DRAIN_DRAINING "draining"
#define NODE_DRAIN_COMPLETE "complete"
#define NODE_DRAIN_CANCELED "canceled"

/* The last drain of a node (Nomad's DrainMetadata). */
struct node_drain_meta
{
    int64_t started_at_unix_ns;
    int64_t updated_at_unix_ns;
    char *status; /* draining, complete, canceled */
    char *accessor_id;
    struct strmap meta;
};

struct node
{
    char *id;        /* UUID */
    char *secret_id; /* never shown by the API */
    char *name;
    char *datacenter;
    char *node_pool;
    char *node_class;
    char *computed_class;
    char *http_addr; /* "ip:4646" */
    char *version;
    struct strmap attributes;
    struct strmap meta;
    struct node_driver *drivers;
    size_t ndrivers;
    struct node_resources resources;
    struct node_resources reserved;
    char *status;
    char *status_description;
    int64_t status_updated_at_unix; /* seconds */
    char *scheduling_eligibility;   /* "eligible", "ineligible" */
    bool drain;
    struct node_event *events;
    size_t nevents;
    int64_t create_index;
    int64_t modify_index;
    struct node_drain_strategy *drain_strategy; /* NULL unless draining */
    struct node_drain_meta *last_drain;
};

void node_init(struct node *n);
void node_release(struct node *n);
struct node *node_new(void);
void node_free(struct node *n);
struct node *node_copy(const struct node *n);
/* Returns the driver entry named name, or NULL. Borrowed. */
const struct node_driver *node_find_driver(const struct node *n,
                                           const char *name);
/* Fills defaults: pool "default", dc "dc1", eligibility, port range. */
void node_canonicalize(struct node *n);
/* Checks what a registering client sent; ERR_INVALID with the reasons. */
int node_validate(const struct node *n, struct err *err);
bool node_equal(const struct node *a, const struct node *b);
struct node_drain_meta *node_drain_meta_new(void);
void node_drain_meta_free(struct node_drain_meta *m);

#endif
