/*
 * Garbage collection of terminal objects (Nomad's core scheduler,
 * nomad/core_sched.go), as a pure core: given the state and the wall
 * clock, which jobs, evals, allocs, deployments and nodes may go. The
 * adapter (nodeops.c) deletes them with one GC log command.
 *
 *   jobs         dead and stopped (or batch/sysbatch and dead; periodic
 *                and parameterized parents only once stopped), submitted
 *                before the job threshold, every eval of them collectable
 *   evals        terminal and older than the eval threshold (the batch one
 *                for batch evals), every alloc they made collectable
 *   allocs       terminal, not running on the client, older than the
 *                threshold, and not a failed alloc that may still be
 *                rescheduled (its replacement needs its tracker)
 *   deployments  no longer active, older than the threshold, no live alloc
 *   nodes        down for longer than the threshold, no live alloc
 *
 * A forced GC (PUT /v1/system/gc) uses thresholds of 0.
 */
#ifndef CARAVAN_AGENT_SERVER_GC_H
#define CARAVAN_AGENT_SERVER_GC_H

#include <stddef.h>
#include <stdint.h>

struct alloc;
struct cmd;
struct deployment;
struct eval;
struct job;
struct node;

/* Ages in nanoseconds (Nomad's server config *_gc_threshold). */
struct gc_thresholds
{
    int64_t job_ns;        /* job_gc_threshold, 4h */
    int64_t eval_ns;       /* eval_gc_threshold, 1h */
    int64_t batch_eval_ns; /* batch_eval_gc_threshold, 24h */
    int64_t deployment_ns; /* deployment_gc_threshold, 1h */
    int64_t node_ns;       /* node_gc_threshold, 24h */
};

/* Fills t with Nomad's defaults. */
void gc_thresholds_default(struct gc_thresholds *t);

/* Everything borrowed; the lists hold every record of the state. */
struct gc_input
{
    struct job *const *jobs;
    size_t njobs;
    struct eval *const *evals;
    size_t nevals;
    struct alloc *const *allocs;
    size_t nallocs;
    struct deployment *const *deployments;
    size_t ndeployments;
    struct node *const *nodes;
    size_t nnodes;
    int64_t now_unix_ns;
    struct gc_thresholds th;
};

/*
 * Adds to out (a CMD_GC command) a key per collectable record, each once:
 * allocs first, then evals, jobs, deployments and nodes. Returns how many
 * keys it added.
 */
size_t gc_select(const struct gc_input *in, struct cmd *out);

#endif
