/*
 * The scheduler: one evaluation of one job against a snapshot of the
 * cluster, turned into a plan (reference/scheduling.md §1-§5, §8).
 *
 * Pure. Everything the run needs comes in a struct sched_input: the eval,
 * the job, the nodes, the job's allocs and the allocs of every job on the
 * nodes (for used CPU, memory and ports), the wall clock, a PRNG seed and
 * an id generator. Nothing is read from a clock, a disk or the network, so
 * the same input always gives the same plan; tests replay runs from their
 * seed. The plan is only a proposal: the leader's plan applier re-checks
 * each node against newer state before committing it through Raft.
 *
 * Schedulers, chosen by eval->type (falling back to job->type):
 *
 *   service   reconciler (place missing indexes, stop extras highest index
 *             first, replace lost allocs, reschedule failed ones with
 *             delays, in-place or destructive updates, deployments with
 *             max_parallel and canaries), then placement by ranking a few
 *             feasible nodes: bin-packing, job anti-affinity, affinities,
 *             spreads, reschedule penalty.
 *   batch     the same, but complete allocs are never replaced, terminal
 *             allocs of an older version are forgotten, two nodes are
 *             ranked per placement and there are no deployments.
 *   system    one alloc per feasible node; stops allocs on nodes that
 *   sysbatch  became ineligible, infeasible or lost; sysbatch keeps nodes
 *             that completed the job.
 *
 * Left to the state store when it applies the plan, as Nomad's does:
 * NextAllocation on the alloc a placement replaces (PreviousAllocation
 * names it), CreateIndex/ModifyIndex, and a deployment's PlacedAllocs,
 * PlacedCanaries (from DeploymentStatus.Canary) and health counters.
 * Not implemented: preemption ("evict"), devices, CSI/host volumes,
 * disconnect.lost_after, multiregion deployments.
 *
 * One run is single-threaded; different runs may go on in parallel on
 * different threads, as nothing here is shared.
 */
#ifndef CARAVAN_SCHEDULER_SCHED_H
#define CARAVAN_SCHEDULER_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/id.h"
#include "lib/model/eval.h"
#include "lib/model/types.h"

struct alloc;
struct deployment;
struct err;
struct job;
struct node;

/* Writes a fresh UUID into out: id_uuid() in production, a counter in tests. */
typedef void (*sched_id_cb)(void *arg, char out[ID_UUID_LEN + 1]);

/*
 * Lists the non-terminal allocs of every job on node into *out (borrowed,
 * valid until sched_run() returns) and returns how many there are.
 */
typedef size_t (*sched_node_allocs_cb)(void *arg,
                                       const struct node *node,
                                       struct alloc *const **out);

/*
 * What one run sees. Every pointer is borrowed for the duration of
 * sched_run() and nothing it points to is modified.
 */
struct sched_input
{
    const struct eval *eval;
    /* Canonicalized; NULL when the job was purged. job->stop = stop all. */
    const struct job *job;
    /* Every node known to the servers, in any status and any pool. */
    struct node *const *nodes;
    size_t nnodes;
    /* Every alloc of this job, in any status and of any version. */
    struct alloc *const *allocs;
    size_t nallocs;
    /*
     * Non-terminal allocs of all jobs on the nodes, used for resources and
     * ports: either node_allocs (called once per node), or when that is
     * NULL, the flat list cluster_allocs. This job's own allocs may appear
     * here too; they are matched by ID.
     */
    sched_node_allocs_cb node_allocs;
    void *node_allocs_arg;
    struct alloc *const *cluster_allocs;
    size_t ncluster_allocs;
    /* The job's latest deployment, in any status, or NULL. */
    const struct deployment *deployment;
    /* Wall clock, unix ms: reschedule delays and timestamps. */
    int64_t now_unix_ms;
    /* Seeds the node shuffle and the dynamic port picks. */
    uint64_t seed;
    sched_id_cb new_id;
    void *new_id_arg;
    /* The "spread" scheduler algorithm instead of "binpack". */
    bool algorithm_spread;
};

/* An alloc the plan stops (Nomad's plan.NodeUpdate). */
struct sched_stop
{
    char *alloc_id;
    char *node_id;
    char *desired_status;      /* "stop" or "evict" */
    char *desired_description; /* "alloc not needed due to job update" */
    char *client_status;       /* "lost" for allocs of down nodes, or NULL */
};

/* A change of an existing deployment's status. */
struct sched_deployment_update
{
    char *deployment_id;
    char *status;
    char *status_description;
};

/* What the run decided for one group (Nomad's DesiredUpdates). */
struct sched_desired
{
    char *group;
    int64_t place;
    int64_t stop;
    int64_t migrate;
    int64_t in_place_update;
    int64_t destructive_update;
    int64_t ignore;
    int64_t canary;
};

/*
 * The result of one run. Everything in it is owned by the plan and freed
 * by sched_plan_release().
 */
struct sched_plan
{
    char *eval_id;
    /* New allocs, complete as the state store will hold them. */
    struct alloc **place;
    size_t nplace;
    struct sched_stop *stop;
    size_t nstop;
    /*
     * Existing allocs with a changed record: a newer job version applied
     * in place, or a FollowupEvalID for a delayed reschedule.
     */
    struct alloc **update;
    size_t nupdate;
    /* Groups that could not be placed, with why (AllocMetric). */
    struct failed_tg_alloc *failed;
    size_t nfailed;
    /* group -> allocs still to place, decimal, for eval.QueuedAllocations */
    struct strmap queued;
    /*
     * A blocked eval to park until capacity changes, when placements
     * failed and the eval being run is not itself the blocked one. When it
     * is (eval status "blocked"), reblock is set instead.
     */
    bool create_blocked_eval;
    struct eval *blocked_eval;
    bool reblock;
    /* Evals to run later (WaitUntil) for delayed reschedules. */
    struct eval **followup;
    size_t nfollowup;
    /* A deployment to create with the plan, or NULL. */
    struct deployment *deployment;
    struct sched_deployment_update *deployment_updates;
    size_t ndeployment_updates;
    struct sched_desired *desired;
    size_t ndesired;
};

void sched_plan_init(struct sched_plan *plan);
void sched_plan_release(struct sched_plan *plan);

/*
 * Runs the scheduler for in->eval and fills plan (an _init()ed plan).
 * Returns 0, or ERR_INVALID with a message in err when the input is
 * unusable (no eval, no id generator, an unknown scheduler type). Failing
 * to place allocs is not an error: see plan->failed.
 */
int sched_run(const struct sched_input *in,
              struct sched_plan *plan,
              struct err *err);

/*
 * Records the outcome of a run in the eval it ran for, as Nomad's worker
 * does: status "complete" (or "blocked" again when plan->reblock),
 * FailedTGAllocs, QueuedAllocations and BlockedEval. Call it once the
 * plan is committed; eval keeps its own copies.
 */
void sched_plan_to_eval(const struct sched_plan *plan, struct eval *eval);

/*
 * The delay before attempt n+1 of rescheduling a with its group's policy
 * (constant, exponential, fibonacci; capped by max_delay and reset as
 * Nomad's Allocation.NextDelay does). Exposed for the CLI and tests.
 */
int64_t sched_reschedule_delay_ns(const struct alloc *a, const struct job *job);

#endif
