/*
 * The node drainer's decisions (Nomad's nomad/drainer), as a pure core:
 * given one draining node, the allocs on it, the allocs of the jobs they
 * belong to and the wall clock, which allocs to mark for migration now
 * and whether the drain is over. The adapter (nodeops.c) reads state,
 * applies the answer through the log and asks again on the next tick.
 *
 *   service groups   mark at most migrate.max_parallel at a time: as many
 *                    as leave count - max_parallel healthy allocs of the
 *                    group running (replacements count once healthy)
 *   batch            never marked; allowed to finish until the deadline
 *   system           marked once every other alloc is done (unless the
 *                    drain ignores system jobs)
 *   deadline         everything left is marked and the drain ends; a
 *                    negative Deadline (force) is a deadline already past
 *   done             once no service or batch alloc is still running on
 *                    the client; the drain ends (system allocs are marked
 *                    in the same step, as Nomad does)
 */
#ifndef CARAVAN_AGENT_SERVER_DRAINER_H
#define CARAVAN_AGENT_SERVER_DRAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc;
struct node;

struct drainer_input
{
    const struct node *node; /* with a DrainStrategy */
    /* Every alloc on the node, each with its Job. */
    struct alloc *const *node_allocs;
    size_t nnode_allocs;
    /* Every alloc of the jobs with allocs on the node, on any node. */
    struct alloc *const *job_allocs;
    size_t njob_allocs;
    int64_t now_unix_ns;
};

struct drainer_result
{
    char **migrate; /* alloc ids to mark for migration, owned */
    size_t nmigrate;
    bool done;     /* the drain is over: clear the strategy */
    bool deadline; /* ... because its deadline passed */
};

void drainer_result_release(struct drainer_result *r);
/* Fills r (zeroed by the caller); everything in in is borrowed. */
void drainer_decide(const struct drainer_input *in, struct drainer_result *r);

#endif
