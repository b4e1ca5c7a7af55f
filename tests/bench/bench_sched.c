/*
 * The scheduler alone: one eval placing 10,000 allocs (bin-packing, a
 * dynamic port each, a constraint) on 1k, 5k and 20k nodes, timed in CPU
 * time of this thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/model/alloc.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "scheduler/sched.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void counter_id(void *arg, char out[ID_UUID_LEN + 1])
{
    unsigned long *n = arg;

    snprintf(out, ID_UUID_LEN + 1, "00000000-0000-4000-8000-%012lx", ++*n);
}

static struct node *make_node(int i)
{
    struct node *n = node_new();
    char id[ID_UUID_LEN + 1];

    snprintf(id, sizeof(id), "10000000-0000-4000-8000-%012x", i);
    n->id = xstrdup(id);
    n->name = xasprintf("node-%d", i);
    n->datacenter = xstrdup("dc1");
    n->status = xstrdup(NODE_STATUS_READY);
    strmap_set(&n->attributes, "kernel.name", "linux");
    n->drivers = xcalloc(1, sizeof(*n->drivers));
    n->ndrivers = 1;
    n->drivers[0].name = xstrdup("raw_exec");
    n->drivers[0].detected = n->drivers[0].healthy = true;
    n->resources.cpu_shares = 8000;
    n->resources.memory_mb = 16384;
    n->resources.disk_mb = 100000;
    n->resources.ip = xstrdup("10.0.0.1");
    node_canonicalize(n);
    return n;
}

static struct job *make_job(int64_t count)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;
    struct network *net;

    job->id = xstrdup("bench");
    job->type = xstrdup("batch");
    job->constraints = xcalloc(1, sizeof(*job->constraints));
    job->nconstraints = 1;
    constraint_init(&job->constraints[0]);
    job->constraints[0].ltarget = xstrdup("${attr.kernel.name}");
    job->constraints[0].rtarget = xstrdup("linux");
    g = job_add_group(job);
    g->name = xstrdup("g");
    g->count = count;
    g->networks = xcalloc(1, sizeof(*g->networks));
    g->nnetworks = 1;
    net = &g->networks[0];
    network_init(net);
    net->dynamic_ports = xcalloc(1, sizeof(*net->dynamic_ports));
    net->ndynamic_ports = 1;
    port_init(&net->dynamic_ports[0]);
    net->dynamic_ports[0].label = xstrdup("http");
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    t->resources = xmalloc(sizeof(*t->resources));
    resources_init(t->resources);
    t->resources->cpu = 20;
    t->resources->memory_mb = 32;
    job_canonicalize(job);
    return job;
}

static int run(int nnodes, int64_t count)
{
    struct node **nodes = xcalloc((size_t)nnodes, sizeof(*nodes));
    struct job *job = make_job(count);
    struct eval *e = eval_new();
    struct sched_input in;
    struct sched_plan plan;
    struct err err = ERR_INIT;
    unsigned long ids = 0;
    double t0, dt;
    int rc;

    for (int i = 0; i < nnodes; i++)
        nodes[i] = make_node(i);
    e->id = xstrdup("20000000-0000-4000-8000-000000000000");
    e->namespace = xstrdup("default");
    e->job_id = xstrdup("bench");
    e->type = xstrdup("batch");
    e->triggered_by = xstrdup("job-register");
    e->status = xstrdup("pending");
    e->priority = 50;
    memset(&in, 0, sizeof(in));
    in.eval = e;
    in.job = job;
    in.nodes = nodes;
    in.nnodes = (size_t)nnodes;
    in.now_unix_ms = 1700000000000;
    in.seed = 42;
    in.new_id = counter_id;
    in.new_id_arg = &ids;
    sched_plan_init(&plan);
    t0 = now_s();
    rc = sched_run(&in, &plan, &err);
    dt = now_s() - t0;
    if (rc != 0 || plan.nplace != (size_t)count) {
        fprintf(stderr, "bench_sched: placed %zu of %lld: %s\n", plan.nplace,
                (long long)count, err.msg);
        return 1;
    }
    printf("scheduler: %lld placements on %d nodes in %.3f s: %.0f "
           "placements/s%s\n",
           (long long)count, nnodes, dt, (double)count / dt,
           nnodes == 5000 ? " (target >= 50000 placements/s)" : "");
    sched_plan_release(&plan);
    for (int i = 0; i < nnodes; i++)
        node_free(nodes[i]);
    free(nodes);
    job_free(job);
    eval_free(e);
    return 0;
}

int main(void)
{
    int rc = 0;

    rc |= run(1000, 10000);
    rc |= run(5000, 10000);
    rc |= run(20000, 10000);
    return rc;
}
