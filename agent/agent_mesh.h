/*
 * The agent as a member of the gossip mesh (mesh/mesh.h): every agent,
 * server or client, is one.
 *
 * - Tags say what the agent is (role "nomad" for servers as Nomad's Serf
 *   members say, "client" otherwise), its region, datacenter, build and,
 *   for servers, where their RPC listens: clients take their server list
 *   from the alive servers of their region.
 * - Records carry what every agent must see: "svc", the local node's
 *   service set (discovery/catalog.h encoding); "keys", the keyring this
 *   agent holds (for the cluster-wide keyring list); "keyop", the last
 *   keyring change asked of this agent, which every member applies once
 *   (a change older than a minute, seen by an agent that joined later,
 *   is ignored).
 *   Other members' service sets go into the local catalogue; a member
 *   that left takes its services with it at once, a failed one keeps them
 *   until it is reaped (services keep resolving through a short
 *   partition).
 * - -join / retry_join, /v1/agent/join, force-leave, graceful leave.
 */
#ifndef CARAVAN_AGENT_AGENT_MESH_H
#define CARAVAN_AGENT_AGENT_MESH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "mesh/swim.h"

struct agent_mesh;
struct catalog;
struct catalog_node_set;
struct err;
struct seal_keyring;
struct watch_hub;

struct agent_mesh_config
{
    const char *name;
    const char *bind_ip;
    uint16_t port; /* 0: ephemeral */
    const char *advertise_ip;
    struct swim_config swim;
    struct seal_keyring *keyring; /* borrowed */
    const char *data_dir;         /* where keyring changes are saved */
    bool server;
    const char *region;
    const char *datacenter;
    const char *build;
    const char *node_id; /* the client's node ID, or NULL */
    const char *rpc_addr; /* servers: "ip:port" clients dial */
    /* -join: tried at start (with the core's retries) */
    const char *const *join;
    size_t n_join;
    /* retry_join: tried every retry_interval_ms until one answers, at most
     * retry_max times (0: forever) */
    const char *const *retry_join;
    size_t n_retry_join;
    uint64_t retry_interval_ms;
    int retry_max;
    struct catalog *catalog; /* other members' services go here */
    struct watch_hub *hub;   /* woken after they do */
    /* The alive servers of our region changed ("ip:port" of their RPC). */
    void (*servers_changed)(void *arg, const char *const *addrs, size_t n);
    void *arg;
};

int agent_mesh_start(uv_loop_t *loop,
                     const struct agent_mesh_config *cfg,
                     struct agent_mesh **out,
                     struct err *err);

/* The local node's service set, published as our "svc" record. */
void agent_mesh_publish_services(struct agent_mesh *am,
                                 const struct catalog_node_set *set);

/* Nomad's /v1/agent/members body (new reference). */
json_t *agent_mesh_members(struct agent_mesh *am);

/* Counts for /v1/agent/self (members by state, refused packets...). */
json_t *agent_mesh_stats(struct agent_mesh *am);

/* /v1/agent/join: done(num_joined, error text or "") once every address
 * answered or gave up. */
void agent_mesh_join(struct agent_mesh *am,
                     const char *const *addrs,
                     size_t n,
                     void (*done)(void *arg, int joined, const char *error),
                     void *arg);

/* Marks a failed member as left, so its services go now. ERR_NOT_FOUND
 * for an unknown name. */
int agent_mesh_force_leave(struct agent_mesh *am, const char *name,
                           struct err *err);

/* A keyring change made here, sent to every member ("keyop"). */
void agent_mesh_keyring_changed(struct agent_mesh *am,
                                const char *op,
                                const char *key);
/* Keys (base64) held by alive members, with how many hold each; *nodes
 * gets the number of alive members. Arrays and strings are the caller's. */
size_t agent_mesh_keyring_list(struct agent_mesh *am,
                               char ***keys,
                               int **counts,
                               int *nodes);

/* Leaves gracefully (bounded by timeout_ms), closes, then cb. */
void agent_mesh_leave(struct agent_mesh *am, uint64_t timeout_ms,
                      void (*cb)(void *arg), void *arg);
/* Closes without leaving (the others will see us fail), then cb. */
void agent_mesh_close(struct agent_mesh *am, void (*cb)(void *arg), void *arg);

#endif
