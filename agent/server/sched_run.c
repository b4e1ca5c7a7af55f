/*
 * Reading what the scheduler needs from a snapshot and running it: the
 * same for a worker's eval and for `job plan`'s dry run (server_int.h).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/server_int.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/node.h"
#include "lib/time.h"
#include "scheduler/sched.h"

struct gather
{
    struct node **nodes;
    size_t nnodes;
    struct alloc **allocs; /* this job's */
    size_t nallocs;
    struct alloc **cluster; /* non-terminal, all jobs */
    size_t ncluster;
    struct deployment *deployment;
};

static int gather_node(const struct node *n, void *arg)
{
    struct gather *g = arg;

    g->nodes = xrealloc(g->nodes, (g->nnodes + 1) * sizeof(*g->nodes));
    g->nodes[g->nnodes++] = node_copy(n);
    return 0;
}

static int gather_alloc(const struct alloc *a, void *arg)
{
    struct gather *g = arg;

    g->allocs = xrealloc(g->allocs, (g->nallocs + 1) * sizeof(*g->allocs));
    g->allocs[g->nallocs++] = alloc_copy(a);
    return 0;
}

static int gather_cluster(const struct alloc *a, void *arg)
{
    struct gather *g = arg;

    if (alloc_is_terminal(a))
        return 0;
    g->cluster = xrealloc(g->cluster, (g->ncluster + 1) * sizeof(*g->cluster));
    g->cluster[g->ncluster++] = alloc_copy(a);
    return 0;
}

/* The job's newest deployment is the one the scheduler continues. */
static int gather_deployment(const struct deployment *d, void *arg)
{
    struct gather *g = arg;

    if (g->deployment == NULL || d->create_index > g->deployment->create_index) {
        deployment_free(g->deployment);
        g->deployment = deployment_copy(d);
    }
    return 0;
}

static void gather_release(struct gather *g)
{
    for (size_t i = 0; i < g->nnodes; i++)
        node_free(g->nodes[i]);
    free(g->nodes);
    for (size_t i = 0; i < g->nallocs; i++)
        alloc_free(g->allocs[i]);
    free(g->allocs);
    for (size_t i = 0; i < g->ncluster; i++)
        alloc_free(g->cluster[i]);
    free(g->cluster);
    deployment_free(g->deployment);
}

static void new_id(void *arg, char out[ID_UUID_LEN + 1])
{
    (void)arg;
    id_uuid(out);
}

int server__sched_run(struct state_snap *snap,
                      struct eval *e,
                      const struct job *job,
                      struct sched_plan *plan,
                      struct err *err)
{
    struct gather g = {0};
    struct sched_input in;
    int rc;

    /* A missing table is an empty one to the scheduler. */
    state_each_node(snap, "", gather_node, &g, err);
    state_each_alloc_by_job(snap, e->namespace, e->job_id, gather_alloc, &g,
                            err);
    state_each_alloc(snap, "", gather_cluster, &g, err);
    state_each_deployment_by_job(snap, e->namespace, e->job_id,
                                 gather_deployment, &g, err);
    err_clear(err);
    memset(&in, 0, sizeof(in));
    in.eval = e;
    in.job = job;
    in.nodes = g.nodes;
    in.nnodes = g.nnodes;
    in.allocs = g.allocs;
    in.nallocs = g.nallocs;
    in.cluster_allocs = g.cluster;
    in.ncluster_allocs = g.ncluster;
    in.deployment = g.deployment;
    in.now_unix_ms = time_wall_unix_ms();
    randombytes_buf(&in.seed, sizeof(in.seed));
    in.new_id = new_id;
    rc = sched_run(&in, plan, err);
    gather_release(&g);
    return rc;
}
