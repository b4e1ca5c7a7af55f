/*
 * The deployment watcher's adapter: reads deployments, their allocs and
 * job versions from a snapshot, runs the pure core (deploy_watch.h) and
 * turns its decisions into log commands. Also the user's promote, fail,
 * pause and resume (server_deployment_update() in server.h).
 */
#ifndef CARAVAN_AGENT_SERVER_DEPLOY_SERVER_H
#define CARAVAN_AGENT_SERVER_DEPLOY_SERVER_H

#include <stdint.h>

struct server;

/*
 * Watches every active deployment once, proposing the commands its
 * decisions need. Returns the wall-clock time (unix ns) by which it wants
 * to run again even if nothing changes (a deadline), or 0. Loop thread.
 */
int64_t deploy_server_watch(struct server *s);

#endif
