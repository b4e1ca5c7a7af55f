/*
 * What the server's own files (job_ops.c) share with server.c: the state
 * store, and running a piece of work on the thread pool the way the
 * scheduling workers do, so a closing server waits for it.
 */
#ifndef CARAVAN_AGENT_SERVER_SERVER_INT_H
#define CARAVAN_AGENT_SERVER_SERVER_INT_H

#include <uv.h>

struct err;
struct eval;
struct job;
struct sched_plan;
struct server;
struct state_snap;
struct state_store;

struct server__work
{
    uv_work_t work;
    struct server *s;
    void (*run)(struct server__work *w);  /* on the thread pool */
    void (*done)(struct server__work *w); /* on the loop; may free w */
};

struct state_store *server__state(struct server *s);
/* Runs w->run on the thread pool, then w->done on the loop thread. */
void server__queue_work(struct server *s, struct server__work *w);

/*
 * Runs the scheduler for eval e of job (NULL when the job is gone) on
 * what snap holds: nodes, the job's allocs and deployment, every live
 * alloc. Thread-pool safe.
 */
int server__sched_run(struct state_snap *snap,
                      struct eval *e,
                      const struct job *job,
                      struct sched_plan *plan,
                      struct err *err);

#endif
