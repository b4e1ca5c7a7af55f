/*
 * The server's side of the client RPC over mesh/rpc, and the blocking
 * allocs-of-a-node query it shares with a -dev agent's in-process client.
 */
#ifndef CARAVAN_AGENT_SERVER_ENDPOINTS_H
#define CARAVAN_AGENT_SERVER_ENDPOINTS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct alloc;
struct err;
struct endpoints;
struct rpc_server;
struct server;

/* allocs (borrowed for the call) are every alloc of the node at index. */
typedef void (*server_allocs_cb)(void *arg,
                                 int rc,
                                 struct alloc *const *allocs,
                                 size_t n,
                                 uint64_t index,
                                 const struct err *err);
/*
 * Answers once the node's allocs changed past index, or after wait_ms
 * (0: no limit; at most 5 minutes) with what they are then, or with
 * ERR_CANCELED when the server closes.
 */
void server_node_allocs(struct server *s,
                        const char *node_id,
                        uint64_t index,
                        uint64_t wait_ms,
                        uv_loop_t *loop,
                        server_allocs_cb done,
                        void *arg);

/* Answers Node.Register, Node.UpdateStatus, Node.GetClientAllocs and
 * Alloc.UpdateClient on rs for server s. */
/* ------------------------------------------------------ body codecs */

/* Node.UpdateStatus: the node id (out holds size bytes). */
int endpoints_decode_node_id(const void *body,
                             size_t len,
                             char *out,
                             size_t size,
                             struct err *err);
/* Node.GetClientAllocs: [node id, min index, max wait ms]. */
int endpoints_decode_allocs_query(const void *body,
                                  size_t len,
                                  char *id,
                                  size_t size,
                                  uint64_t *index,
                                  uint64_t *wait_ms,
                                  struct err *err);

struct endpoints *server_endpoints_register(struct server *s,
                                            uv_loop_t *loop,
                                            struct rpc_server *rs);
void server_endpoints_free(struct endpoints *ep);

#endif
