/*
 * The periodic dispatcher: launches a child of each active periodic job
 * at its cron times, as `<id>/periodic-<unix seconds>`, with an eval.
 * It runs on the leader (a -dev server always is one). It learns about
 * jobs through a watch on the jobs table, so it needs no hook in the
 * apply path, and it reads the launch records fsm.c keeps to catch up
 * once after downtime.
 */
#ifndef CARAVAN_AGENT_SERVER_PERIODIC_H
#define CARAVAN_AGENT_SERVER_PERIODIC_H

#include <stdint.h>
#include <uv.h>

#include "agent/server/server.h"

struct err;
struct eval;
struct job;
struct periodic;
struct server;

/* A pending eval of job, as every job change creates one. */
struct eval *server_new_eval(const struct job *job, const char *triggered_by);

struct periodic *periodic_new(uv_loop_t *loop, struct server *s);
/* Closes the timer; cb runs once the handle is closed. */
void periodic_close(struct periodic *p, void (*cb)(void *arg), void *arg);

/*
 * Launches a child of (namespace, id) now, whatever prohibit_overlap
 * says, as `job periodic force` does. ERR_NOT_FOUND for an unknown job,
 * ERR_INVALID for one that is not periodic.
 */
void periodic_force(struct periodic *p,
                    const char *namespace,
                    const char *id,
                    server_force_cb done,
                    void *arg);

#endif
