/*
 * The server's node operations (nodeops.c): eligibility and drain
 * requests, the drainer and the garbage collector, run from the server's
 * one-second tick. Private to agent/server.
 */
#ifndef CARAVAN_AGENT_SERVER_NODEOPS_H
#define CARAVAN_AGENT_SERVER_NODEOPS_H

struct nodeops;
struct server;
struct server_config;

struct nodeops *nodeops_new(const struct server_config *cfg);
void nodeops_free(struct nodeops *n);
/* Runs the drainer, and the periodic GC when its interval passed. */
void nodeops_tick(struct server *s);

/* The server's nodeops (server.c). */
struct nodeops *server__nodeops(struct server *s);

#endif
