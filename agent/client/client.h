/*
 * The client role: fingerprints the node, registers it with the servers,
 * heartbeats, pulls the allocations placed on it, runs them through the
 * drivers and reports what their tasks do.
 *
 * The client never includes server code: it reaches "the servers" through
 * struct client_rpc, the messages of the client RPC (Node.Register,
 * Node.UpdateStatus, Node.GetClientAllocs, Alloc.UpdateClient). In -dev
 * the composition root answers them in process; a separate client agent
 * answers them over mesh/rpc.
 */
#ifndef CARAVAN_AGENT_CLIENT_CLIENT_H
#define CARAVAN_AGENT_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

struct alloc;
struct err;
struct node;
struct client;

typedef void (*client_rpc_done)(void *arg, int rc, const struct err *err);
/* Registrations and heartbeats learn the TTL the servers give the node. */
typedef void (*client_rpc_hb_done)(void *arg,
                                   int rc,
                                   uint64_t ttl_ms,
                                   const struct err *err);
/* allocs (borrowed for the call) are every alloc of the node at index. */
typedef void (*client_rpc_allocs)(void *arg,
                                  int rc,
                                  struct alloc *const *allocs,
                                  size_t n,
                                  uint64_t index,
                                  const struct err *err);

struct client_rpc
{
    void *ctx;
    void (*node_register)(void *ctx,
                          const struct node *n,
                          client_rpc_hb_done done,
                          void *arg);
    void (*node_heartbeat)(void *ctx,
                           const char *node_id,
                           client_rpc_hb_done done,
                           void *arg);
    /* Answers once the node's allocs changed past index (blocking). */
    void (*node_allocs)(void *ctx,
                        const char *node_id,
                        uint64_t index,
                        client_rpc_allocs done,
                        void *arg);
    /* Client-side fields of allocs (status, task states). */
    void (*alloc_update)(void *ctx,
                         struct alloc *const *allocs,
                         size_t n,
                         client_rpc_done done,
                         void *arg);
};

struct client_config
{
    const char *data_dir; /* the client keeps <data_dir>/client and /alloc */
    const char *node_name;
    const char *datacenter;
    const char *region;
    const char *node_pool;
    const char *bind_ip; /* the address tasks' ports are given on */
    bool dev;            /* stop tasks at shutdown */
    bool raw_exec;       /* enable raw_exec (always in -dev, as Nomad) */
};

int client_new(uv_loop_t *loop,
               const struct client_config *cfg,
               const struct client_rpc *rpc,
               struct client **out,
               struct err *err);
const char *client_node_id(const struct client *c);
/* The services of this client's tasks (read-only; loop thread only). */
struct catalog;
const struct catalog *client_catalog(const struct client *c);
/* The same catalogue, writable: other nodes' sets go into it. */
struct catalog *client_catalog_rw(struct client *c);
/* fn gets this node's service set whenever it changes (mesh records). */
struct catalog_node_set;
void client_on_services(struct client *c,
                        void (*fn)(void *arg,
                                   const struct catalog_node_set *set),
                        void *arg);
/* Watchers of the catalogue's answers (blocking queries, templates). */
struct watch_hub;
struct watch_hub *client_catalog_watch(struct client *c);
/* DELETE /v1/service/:name/:id. ERR_NOT_FOUND when it is not there. */
int client_service_delete(struct client *c,
                          const char *namespace_,
                          const char *name,
                          const char *id,
                          struct err *err);
/*
 * The directory of an alloc this client runs or ran (a heap string), or
 * NULL when it has none. Its logs are in alloc/logs/<task>.<stream>.<n>.
 */
char *client_alloc_dir(const struct client *c, const char *alloc_id);
/* True while any task of the alloc may still write to its logs. */
bool client_alloc_active(const struct client *c, const char *alloc_id);
/*
 * `alloc restart`: restarts the running tasks of a live alloc in place, or
 * only task, or (all) every task. ERR_NOT_FOUND ("Unknown allocation")
 * when this client does not run the alloc; see alloc_runner_restart().
 */
int client_alloc_restart(struct client *c,
                         const char *alloc_id,
                         const char *task,
                         bool all,
                         struct err *err);
/* `alloc signal`: sends signal ("SIGUSR1", default "SIGKILL") to tasks. */
int client_alloc_signal(struct client *c,
                        const char *alloc_id,
                        const char *task,
                        const char *signal,
                        struct err *err);
/*
 * Nomad's AllocResourceUsage of an alloc this client runs (a new JSON
 * object in *out), measured now. ERR_NOT_FOUND ("Unknown allocation") when
 * the client has no runner for it; loop thread only.
 */
int client_alloc_stats(struct client *c,
                       const char *alloc_id,
                       json_t **out,
                       struct err *err);
/*
 * Nomad's results of the service checks of an alloc this client runs (a
 * new JSON object in *out; see client_checks_alloc_json()). ERR_NOT_FOUND
 * ("Unknown allocation") when the client has no runner for it.
 */
int client_alloc_checks(struct client *c,
                        const char *alloc_id,
                        json_t **out,
                        struct err *err);
/* Stops tasks (dev) or leaves them running, then calls cb. */
void client_close(struct client *c, void (*cb)(void *arg), void *arg);

#endif
