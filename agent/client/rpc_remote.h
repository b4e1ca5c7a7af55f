/* The client RPC of a client agent, carried by mesh/rpc to its servers. */
#ifndef CARAVAN_AGENT_CLIENT_RPC_REMOTE_H
#define CARAVAN_AGENT_CLIENT_RPC_REMOTE_H

struct client_rpc;
struct rpc_client;

/* Fills out with calls made through rc (borrowed; it outlives the client). */
void client_rpc_remote(struct rpc_client *rc, struct client_rpc *out);

#endif
