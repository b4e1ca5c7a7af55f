/*
 * Tests of the scheduler: placement, feasibility metrics, ports, ranking,
 * the reconciler (scale, stop, lost, updates, deployments), rescheduling
 * and the system scheduler. Jobs, nodes and allocs are built in code; a
 * fixture applies plans to its alloc list so runs can be chained the way
 * the servers chain evals.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/time.h"
#include "scheduler/sched.h"
#include "tests/harness/test.h"

#define MAX_ITEMS 64
#define NOW_MS INT64_C(1700000000000)
#define NOW_NS (NOW_MS * NS_PER_MS)

/* ============================================================== fixture */

struct fixture
{
    struct node *nodes[MAX_ITEMS];
    size_t nnodes;
    struct alloc *allocs[MAX_ITEMS]; /* the job's, any status */
    size_t nallocs;
    struct alloc *others[MAX_ITEMS]; /* other jobs' running allocs */
    size_t nothers;
    struct job *job;
    struct eval eval;
    struct deployment *deployment;
    struct sched_plan plan;
    int64_t now_ms;
    uint64_t seed;
    int next_id;
};

static struct fixture f;

static void new_id(void *arg, char out[ID_UUID_LEN + 1])
{
    int *next = arg;

    snprintf(out, ID_UUID_LEN + 1, "ffffffff-0000-4000-8000-%012d", ++*next);
}

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    eval_init(&f.eval);
    model_set_str(&f.eval.id, "eeeeeeee-0000-4000-8000-000000000001");
    model_set_str(&f.eval.namespace, "default");
    model_set_str(&f.eval.status, EVAL_STATUS_PENDING);
    model_set_str(&f.eval.triggered_by, "job-register");
    f.eval.priority = 50;
    sched_plan_init(&f.plan);
    f.now_ms = NOW_MS;
    f.seed = 42;
}

static void teardown(void)
{
    for (size_t i = 0; i < f.nnodes; i++)
        node_free(f.nodes[i]);
    for (size_t i = 0; i < f.nallocs; i++)
        alloc_free(f.allocs[i]);
    for (size_t i = 0; i < f.nothers; i++)
        alloc_free(f.others[i]);
    job_free(f.job);
    deployment_free(f.deployment);
    eval_release(&f.eval);
    sched_plan_release(&f.plan);
}

static struct node *add_node(const char *name, const char *dc)
{
    struct node *n = node_new();
    char id[ID_UUID_LEN + 1];

    ck_assert_uint_lt(f.nnodes, MAX_ITEMS);
    snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012zu", f.nnodes + 1);
    model_set_str(&n->id, id);
    model_set_str(&n->name, name);
    model_set_str(&n->datacenter, dc);
    model_set_str(&n->node_pool, "default");
    model_set_str(&n->status, NODE_STATUS_READY);
    model_set_str(&n->scheduling_eligibility, "eligible");
    strmap_set(&n->attributes, "kernel.name", "linux");
    strmap_set(&n->attributes, "unique.network.ip-address", "10.0.0.1");
    n->drivers = xcalloc(1, sizeof(*n->drivers));
    n->ndrivers = 1;
    model_set_str(&n->drivers[0].name, "exec");
    n->drivers[0].detected = true;
    n->drivers[0].healthy = true;
    n->resources.cpu_shares = 4000;
    n->resources.memory_mb = 8192;
    n->resources.disk_mb = 100000;
    n->resources.min_dynamic_port = 20000;
    n->resources.max_dynamic_port = 32000;
    model_set_str(&n->resources.ip, "10.0.0.1");
    f.nodes[f.nnodes++] = n;
    return n;
}

/* A job "web" with group "api" of one exec task; not canonicalized yet. */
static struct job *make_job(const char *type, int64_t count)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    model_set_str(&job->id, "web");
    model_set_str(&job->type, type);
    g = job_add_group(job);
    model_set_str(&g->name, "api");
    g->count = count;
    t = task_group_add_task(g);
    model_set_str(&t->name, "server");
    model_set_str(&t->driver, "exec");
    t->config = json_pack("{s:s}", "command", "/bin/sleep");
    t->resources = xcalloc(1, sizeof(*t->resources));
    resources_init(t->resources);
    t->resources->cpu = 500;
    t->resources->memory_mb = 256;
    return job;
}

static struct task_group *group(struct job *job)
{
    return &job->groups[0];
}

static void set_job(struct job *job)
{
    job_canonicalize(job);
    job_free(f.job);
    f.job = job;
    model_set_str(&f.eval.type, job->type);
    model_set_str(&f.eval.job_id, job->id);
}

/* An alloc of f.job's group at index on node, as the state store has it. */
static struct alloc *add_alloc(int64_t index,
                               const struct node *n,
                               const char *client_status)
{
    struct alloc *a = alloc_new();
    const struct task_group *g = group(f.job);
    char id[ID_UUID_LEN + 1];

    ck_assert_uint_lt(f.nallocs, MAX_ITEMS);
    snprintf(id, sizeof(id), "aaaaaaaa-0000-4000-8000-%012zu", f.nallocs + 1);
    model_set_str(&a->id, id);
    model_set_str(&a->namespace, "default");
    a->name = xasprintf("web.api[%" PRId64 "]", index);
    model_set_str(&a->node_id, n->id);
    model_set_str(&a->node_name, n->name);
    model_set_str(&a->job_id, "web");
    a->job = job_copy(f.job);
    model_set_str(&a->task_group, "api");
    a->task_resources = xcalloc(1, sizeof(*a->task_resources));
    a->ntask_resources = 1;
    model_set_str(&a->task_resources[0].task, "server");
    a->task_resources[0].cpu_shares = g->tasks[0].resources->cpu;
    a->task_resources[0].memory_mb = g->tasks[0].resources->memory_mb;
    model_set_str(&a->desired_status, ALLOC_DESIRED_RUN);
    model_set_str(&a->client_status, client_status);
    a->modify_time_unix_ns = NOW_NS;
    f.allocs[f.nallocs++] = a;
    return a;
}

/* A running alloc of another job using cpu/memory (and a port) on n. */
static void add_other(const struct node *n,
                      int64_t cpu,
                      int64_t mem,
                      int64_t port)
{
    struct alloc *a = alloc_new();
    char id[ID_UUID_LEN + 1];

    snprintf(id, sizeof(id), "bbbbbbbb-0000-4000-8000-%012zu", f.nothers + 1);
    model_set_str(&a->id, id);
    model_set_str(&a->namespace, "default");
    model_set_str(&a->name, "other.g[0]");
    model_set_str(&a->node_id, n->id);
    model_set_str(&a->job_id, "other");
    model_set_str(&a->task_group, "g");
    a->task_resources = xcalloc(1, sizeof(*a->task_resources));
    a->ntask_resources = 1;
    model_set_str(&a->task_resources[0].task, "t");
    a->task_resources[0].cpu_shares = cpu;
    a->task_resources[0].memory_mb = mem;
    if (port > 0) {
        a->ports = xcalloc(1, sizeof(*a->ports));
        a->nports = 1;
        model_set_str(&a->ports[0].label, "http");
        a->ports[0].value = port;
    }
    model_set_str(&a->desired_status, ALLOC_DESIRED_RUN);
    model_set_str(&a->client_status, ALLOC_CLIENT_RUNNING);
    f.others[f.nothers++] = a;
}

static void run(void)
{
    struct alloc *cluster[2 * MAX_ITEMS];
    struct sched_input in;
    struct err err = ERR_INIT;
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < f.nothers; i++)
        cluster[n++] = f.others[i];
    for (size_t i = 0; i < f.nallocs; i++)
        cluster[n++] = f.allocs[i];
    memset(&in, 0, sizeof(in));
    in.eval = &f.eval;
    in.job = f.job;
    in.nodes = f.nodes;
    in.nnodes = f.nnodes;
    in.allocs = f.allocs;
    in.nallocs = f.nallocs;
    in.cluster_allocs = cluster;
    in.ncluster_allocs = n;
    in.deployment = f.deployment;
    in.now_unix_ms = f.now_ms;
    in.seed = f.seed;
    in.new_id = new_id;
    in.new_id_arg = &f.next_id;
    sched_plan_release(&f.plan);
    rc = sched_run(&in, &f.plan, &err);
    ck_assert_msg(rc == 0, "sched_run: %s", err.msg);
}

static struct alloc *find_alloc(const char *id)
{
    for (size_t i = 0; i < f.nallocs; i++) {
        if (strcmp(f.allocs[i]->id, id) == 0)
            return f.allocs[i];
    }
    return NULL;
}

/* Applies the plan as the state store would; new allocs start running. */
static void apply(void)
{
    for (size_t i = 0; i < f.plan.nstop; i++) {
        struct alloc *a = find_alloc(f.plan.stop[i].alloc_id);

        ck_assert_ptr_nonnull(a);
        model_set_str(&a->desired_status, f.plan.stop[i].desired_status);
        if (f.plan.stop[i].client_status != NULL)
            model_set_str(&a->client_status, f.plan.stop[i].client_status);
    }
    for (size_t i = 0; i < f.plan.nupdate; i++) {
        for (size_t k = 0; k < f.nallocs; k++) {
            if (strcmp(f.allocs[k]->id, f.plan.update[i]->id) == 0) {
                alloc_free(f.allocs[k]);
                f.allocs[k] = alloc_copy(f.plan.update[i]);
            }
        }
    }
    for (size_t i = 0; i < f.plan.nplace; i++) {
        struct alloc *a = alloc_copy(f.plan.place[i]);

        ck_assert_uint_lt(f.nallocs, MAX_ITEMS);
        model_set_str(&a->client_status, ALLOC_CLIENT_RUNNING);
        f.allocs[f.nallocs++] = a;
    }
    if (f.plan.deployment != NULL) {
        deployment_free(f.deployment);
        f.deployment = deployment_copy(f.plan.deployment);
    }
}

static int64_t metric_get(const struct strmap *m, const char *key)
{
    const char *v = strmap_get(m, key);

    return v ? strtoll(v, NULL, 10) : 0;
}

static const struct failed_tg_alloc *failed(const char *groupname)
{
    for (size_t i = 0; i < f.plan.nfailed; i++) {
        if (strcmp(f.plan.failed[i].group, groupname) == 0)
            return &f.plan.failed[i];
    }
    return NULL;
}

static const struct sched_desired *desired(const char *groupname)
{
    for (size_t i = 0; i < f.plan.ndesired; i++) {
        if (strcmp(f.plan.desired[i].group, groupname) == 0)
            return &f.plan.desired[i];
    }
    return NULL;
}

static size_t placed_on(const struct node *n)
{
    size_t c = 0;

    for (size_t i = 0; i < f.plan.nplace; i++)
        c += strcmp(f.plan.place[i]->node_id, n->id) == 0;
    return c;
}

static bool placed_name(const char *name)
{
    for (size_t i = 0; i < f.plan.nplace; i++) {
        if (strcmp(f.plan.place[i]->name, name) == 0)
            return true;
    }
    return false;
}

static const struct sched_stop *stop_of(const struct alloc *a)
{
    for (size_t i = 0; i < f.plan.nstop; i++) {
        if (strcmp(f.plan.stop[i].alloc_id, a->id) == 0)
            return &f.plan.stop[i];
    }
    return NULL;
}

static void add_constraint(struct constraint **list,
                           size_t *n,
                           const char *l,
                           const char *op,
                           const char *r)
{
    struct constraint *c;

    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    c = &(*list)[(*n)++];
    constraint_init(c);
    model_set_str(&c->ltarget, l);
    model_set_str(&c->operand, op);
    model_set_str(&c->rtarget, r);
}

static struct network *add_network(struct task_group *g)
{
    g->networks = xcalloc(1, sizeof(*g->networks));
    network_init(&g->networks[0]);
    g->nnetworks = 1;
    return &g->networks[0];
}

static void add_port(struct port **list,
                     size_t *n,
                     const char *label,
                     int64_t value)
{
    struct port *p;

    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    p = &(*list)[(*n)++];
    port_init(p);
    model_set_str(&p->label, label);
    p->value = value;
    p->to = -1;
}

/* A job that differs from f.job only in its version (and what fn changes). */
static struct job *next_version(void)
{
    struct job *job = job_copy(f.job);

    job->version = f.job->version + 1;
    job->job_modify_index = f.job->job_modify_index + 10;
    return job;
}

/* ============================================================ placement */

START_TEST(places_count_allocs_with_nomad_fields)
{
    const struct alloc *a;

    add_node("n1", "dc1");
    add_node("n2", "dc1");
    add_node("n3", "dc1");
    set_job(make_job("service", 3));
    run();
    ck_assert_uint_eq(f.plan.nplace, 3);
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_uint_eq(f.plan.nfailed, 0);
    ck_assert(placed_name("web.api[0]"));
    ck_assert(placed_name("web.api[1]"));
    ck_assert(placed_name("web.api[2]"));
    a = f.plan.place[0];
    ck_assert_str_eq(a->id, "ffffffff-0000-4000-8000-000000000002");
    ck_assert_str_eq(a->namespace, "default");
    ck_assert_str_eq(a->eval_id, f.eval.id);
    ck_assert_str_eq(a->job_id, "web");
    ck_assert_str_eq(a->task_group, "api");
    ck_assert_str_eq(a->desired_status, "run");
    ck_assert_str_eq(a->client_status, "pending");
    ck_assert_ptr_nonnull(a->job);
    ck_assert(job_equal(a->job, f.job));
    ck_assert_uint_eq(a->ntask_resources, 1);
    ck_assert_str_eq(a->task_resources[0].task, "server");
    ck_assert_int_eq(a->task_resources[0].cpu_shares, 500);
    ck_assert_int_eq(a->task_resources[0].memory_mb, 256);
    ck_assert_int_eq(a->shared_disk_mb, 300);
    ck_assert_int_ge(a->metrics.nodes_evaluated, 1);
    ck_assert_int_eq(a->create_time_unix_ns, NOW_NS);
    ck_assert_ptr_nonnull(a->node_name);
    /* Service jobs roll out under a deployment by default. */
    ck_assert_ptr_nonnull(f.plan.deployment);
    ck_assert_str_eq(a->deployment_id, f.plan.deployment->id);
    ck_assert_int_eq(f.plan.deployment->groups[0].desired_total, 3);
    ck_assert_str_eq(strmap_get(&f.plan.queued, "api"), "0");
    ck_assert(!f.plan.create_blocked_eval);
}
END_TEST

START_TEST(placements_fill_the_lowest_free_indexes)
{
    struct node *n1 = add_node("n1", "dc1");

    set_job(make_job("service", 4));
    add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    add_alloc(2, n1, ALLOC_CLIENT_RUNNING);
    run();
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert(placed_name("web.api[1]"));
    ck_assert(placed_name("web.api[3]"));
    ck_assert_int_eq(desired("api")->place, 2);
    ck_assert_int_eq(desired("api")->ignore, 2);
}
END_TEST

START_TEST(memory_exhaustion_fails_the_group)
{
    const struct failed_tg_alloc *fa;
    struct job *job = make_job("service", 1);

    add_node("n1", "dc1");
    group(job)->tasks[0].resources->memory_mb = 9000;
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    fa = failed("api");
    ck_assert_ptr_nonnull(fa);
    ck_assert_int_eq(fa->metric.nodes_evaluated, 1);
    ck_assert_int_eq(fa->metric.nodes_exhausted, 1);
    ck_assert_int_eq(metric_get(&fa->metric.dimension_exhausted, "memory"), 1);
    ck_assert_int_eq(fa->metric.nodes_in_pool, 1);
    ck_assert_int_eq(metric_get(&fa->metric.nodes_available, "dc1"), 1);
    ck_assert_str_eq(strmap_get(&f.plan.queued, "api"), "1");
    ck_assert(f.plan.create_blocked_eval);
    ck_assert_str_eq(f.plan.blocked_eval->status, "blocked");
    ck_assert_str_eq(f.plan.blocked_eval->triggered_by, "queued-allocs");
    ck_assert_str_eq(f.plan.blocked_eval->previous_eval, f.eval.id);
    ck_assert_str_eq(f.plan.blocked_eval->job_id, "web");
}
END_TEST

START_TEST(cpu_exhaustion_coalesces_later_failures)
{
    struct job *job = make_job("service", 3);
    const struct failed_tg_alloc *fa;

    add_node("n1", "dc1");
    group(job)->tasks[0].resources->cpu = 3000;
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    fa = failed("api");
    ck_assert_ptr_nonnull(fa);
    ck_assert_int_eq(metric_get(&fa->metric.dimension_exhausted, "cpu"), 1);
    ck_assert_int_eq(fa->metric.coalesced_failures, 1);
    ck_assert_str_eq(strmap_get(&f.plan.queued, "api"), "2");
}
END_TEST

START_TEST(plan_outcome_is_recorded_in_the_eval)
{
    struct job *job = make_job("service", 2);
    struct eval *e;

    add_node("n1", "dc1");
    group(job)->tasks[0].resources->memory_mb = 5000;
    set_job(job);
    run();
    e = eval_copy(&f.eval);
    sched_plan_to_eval(&f.plan, e);
    ck_assert_str_eq(e->status, "complete");
    ck_assert_uint_eq(e->nfailed_tg_allocs, 1);
    ck_assert_str_eq(e->failed_tg_allocs[0].group, "api");
    ck_assert_int_eq(e->failed_tg_allocs[0].metric.coalesced_failures, 0);
    ck_assert_str_eq(strmap_get(&e->queued_allocations, "api"), "1");
    ck_assert_str_eq(e->blocked_eval, f.plan.blocked_eval->id);
    /* Twice is the same as once. */
    sched_plan_to_eval(&f.plan, e);
    ck_assert_uint_eq(e->nfailed_tg_allocs, 1);
    eval_free(e);
}
END_TEST

START_TEST(blocked_eval_failing_again_is_reblocked)
{
    struct job *job = make_job("service", 1);

    add_node("n1", "dc1");
    group(job)->tasks[0].resources->cpu = 5000;
    set_job(job);
    model_set_str(&f.eval.status, EVAL_STATUS_BLOCKED);
    run();
    ck_assert_uint_eq(f.plan.nfailed, 1);
    ck_assert(!f.plan.create_blocked_eval);
    ck_assert_ptr_null(f.plan.blocked_eval);
    ck_assert(f.plan.reblock);
}
END_TEST

/* ========================================================== feasibility */

START_TEST(constraints_filter_nodes_with_metrics)
{
    struct job *job = make_job("service", 1);
    struct node *win1 = add_node("w1", "dc1");
    struct node *win2 = add_node("w2", "dc1");
    const struct failed_tg_alloc *fa;

    strmap_set(&win1->attributes, "kernel.name", "windows");
    strmap_set(&win2->attributes, "kernel.name", "windows");
    model_set_str(&win2->node_class, "large");
    add_constraint(&job->constraints, &job->nconstraints, "${attr.kernel.name}",
                   "=", "linux");
    set_job(job);
    run();
    fa = failed("api");
    ck_assert_ptr_nonnull(fa);
    ck_assert_int_eq(fa->metric.nodes_evaluated, 2);
    ck_assert_int_eq(fa->metric.nodes_filtered, 2);
    ck_assert_int_eq(metric_get(&fa->metric.constraint_filtered,
                                "${attr.kernel.name} = linux"),
                     2);
    ck_assert_int_eq(metric_get(&fa->metric.class_filtered, "large"), 1);

    /* A linux node joins: the job lands there. */
    add_node("l1", "dc1");
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_str_eq(f.plan.place[0]->node_name, "l1");
}
END_TEST

START_TEST(group_and_task_constraints_apply)
{
    struct job *job = make_job("service", 2);
    struct node *r1 = add_node("r1", "dc1");
    struct node *r2 = add_node("r2", "dc1");

    strmap_set(&r1->meta, "rack", "a");
    strmap_set(&r2->meta, "rack", "b");
    add_node("n3", "dc1");
    add_constraint(&group(job)->constraints, &group(job)->nconstraints,
                   "${meta.rack}", "is_set", "");
    add_constraint(&group(job)->tasks[0].constraints,
                   &group(job)->tasks[0].nconstraints, "${meta.rack}",
                   "!=", "b");
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(placed_on(r1), 2);
}
END_TEST

START_TEST(missing_or_unhealthy_driver_filters_node)
{
    struct job *job = make_job("service", 1);
    struct node *n2 = add_node("n2", "dc1");
    const struct failed_tg_alloc *fa;

    add_node("n1", "dc1");
    model_set_str(&n2->drivers[0].name, "docker");
    n2->drivers[0].healthy = false;
    model_set_str(&group(job)->tasks[0].driver, "docker");
    set_job(job);
    run();
    fa = failed("api");
    ck_assert_ptr_nonnull(fa);
    ck_assert_int_eq(
        metric_get(&fa->metric.constraint_filtered, "missing drivers"), 2);

    n2->drivers[0].healthy = true;
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(placed_on(n2), 1);
}
END_TEST

START_TEST(datacenters_filter_with_globs)
{
    struct job *job = make_job("service", 4);
    struct node *a = add_node("a", "dc1");
    struct node *b = add_node("b", "dc2");
    struct node *c = add_node("c", "eu-west");

    strlist_push(&job->datacenters, "dc2");
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 4);
    ck_assert_uint_eq(placed_on(b), 4);

    strlist_release(&f.job->datacenters);
    strlist_push(&f.job->datacenters, "dc*");
    run();
    ck_assert_uint_eq(placed_on(a) + placed_on(b), 4);
    ck_assert_uint_eq(placed_on(c), 0);

    strlist_release(&f.job->datacenters);
    strlist_push(&f.job->datacenters, "*");
    run();
    ck_assert_uint_eq(f.plan.nplace, 4);
    ck_assert_uint_ge(placed_on(c), 1);
}
END_TEST

START_TEST(unready_ineligible_draining_and_other_pool_nodes_are_skipped)
{
    struct node *down = add_node("down", "dc1");
    struct node *inel = add_node("inel", "dc1");
    struct node *drain = add_node("drain", "dc1");
    struct node *pool = add_node("pool", "dc1");
    struct node *init = add_node("init", "dc1");
    struct node *ok = add_node("ok", "dc1");

    model_set_str(&down->status, NODE_STATUS_DOWN);
    model_set_str(&inel->scheduling_eligibility, "ineligible");
    drain->drain = true;
    model_set_str(&pool->node_pool, "gpu");
    model_set_str(&init->status, NODE_STATUS_INIT);
    set_job(make_job("service", 3));
    run();
    ck_assert_uint_eq(f.plan.nplace, 3);
    ck_assert_uint_eq(placed_on(ok), 3);
}
END_TEST

START_TEST(distinct_hosts_limits_one_per_node)
{
    struct job *job = make_job("service", 3);
    const struct failed_tg_alloc *fa;
    struct node *n1 = add_node("n1", "dc1");
    struct node *n2 = add_node("n2", "dc1");

    add_constraint(&group(job)->constraints, &group(job)->nconstraints, "",
                   "distinct_hosts", "true");
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(placed_on(n1), 1);
    ck_assert_uint_eq(placed_on(n2), 1);
    fa = failed("api");
    ck_assert_ptr_nonnull(fa);
    ck_assert_int_eq(
        metric_get(&fa->metric.constraint_filtered, "distinct_hosts"), 2);
}
END_TEST

START_TEST(distinct_property_limits_per_value)
{
    struct job *job = make_job("service", 4);
    struct node *n[4];

    for (int i = 0; i < 4; i++) {
        char name[16];

        snprintf(name, sizeof(name), "n%d", i);
        n[i] = add_node(name, "dc1");
        strmap_set(&n[i]->meta, "rack", i < 2 ? "r1" : "r2");
    }
    add_constraint(&group(job)->constraints, &group(job)->nconstraints,
                   "${meta.rack}", "distinct_property", "1");
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(placed_on(n[0]) + placed_on(n[1]), 1);
    ck_assert_uint_eq(placed_on(n[2]) + placed_on(n[3]), 1);
    ck_assert_int_eq(metric_get(&failed("api")->metric.constraint_filtered,
                                "distinct_property"),
                     4);
}
END_TEST

/* ================================================================ ports */

START_TEST(static_port_conflict_moves_or_fails)
{
    struct job *job = make_job("service", 1);
    struct node *n1 = add_node("n1", "dc1");
    struct network *net = add_network(group(job));
    const struct failed_tg_alloc *fa;
    struct node *n2;

    add_port(&net->reserved_ports, &net->nreserved_ports, "http", 8080);
    add_other(n1, 100, 100, 8080);
    set_job(job);
    run();
    fa = failed("api");
    ck_assert_ptr_nonnull(fa);
    ck_assert_int_eq(metric_get(&fa->metric.dimension_exhausted,
                                "network: reserved port collision http=8080"),
                     1);

    n2 = add_node("n2", "dc1");
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(placed_on(n2), 1);
    ck_assert_uint_eq(f.plan.place[0]->nports, 1);
    ck_assert_str_eq(f.plan.place[0]->ports[0].label, "http");
    ck_assert_int_eq(f.plan.place[0]->ports[0].value, 8080);
    ck_assert_int_eq(f.plan.place[0]->ports[0].to, 8080);
    ck_assert_str_eq(f.plan.place[0]->ports[0].host_ip, "10.0.0.1");
}
END_TEST

START_TEST(same_static_port_twice_on_one_node_collides)
{
    struct job *job = make_job("service", 2);
    struct network *net = add_network(group(job));
    struct node *n1 = add_node("n1", "dc1");
    struct node *n2 = add_node("n2", "dc1");

    add_port(&net->reserved_ports, &net->nreserved_ports, "http", 8080);
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(placed_on(n1), 1);
    ck_assert_uint_eq(placed_on(n2), 1);
}
END_TEST

START_TEST(dynamic_ports_are_unique_and_in_range)
{
    struct job *job = make_job("service", 5);
    struct network *net = add_network(group(job));
    struct node *n1 = add_node("n1", "dc1");
    int64_t seen[16];
    size_t nseen = 0;

    n1->resources.min_dynamic_port = 20000;
    n1->resources.max_dynamic_port = 20011;
    add_other(n1, 10, 10, 20005);
    add_port(&net->dynamic_ports, &net->ndynamic_ports, "http", 0);
    add_port(&net->dynamic_ports, &net->ndynamic_ports, "admin", 0);
    net->dynamic_ports[1].to = 9000;
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 5);
    for (size_t i = 0; i < f.plan.nplace; i++) {
        const struct alloc *a = f.plan.place[i];

        ck_assert_uint_eq(a->nports, 2);
        ck_assert_str_eq(a->ports[0].label, "http");
        ck_assert_int_eq(a->ports[0].to, a->ports[0].value);
        ck_assert_int_eq(a->ports[1].to, 9000);
        for (size_t k = 0; k < a->nports; k++) {
            int64_t v = a->ports[k].value;

            ck_assert_int_ge(v, 20000);
            ck_assert_int_le(v, 20011);
            ck_assert_int_ne(v, 20005);
            for (size_t j = 0; j < nseen; j++)
                ck_assert_int_ne(seen[j], v);
            seen[nseen++] = v;
        }
    }
}
END_TEST

START_TEST(dynamic_port_exhaustion_is_a_network_dimension)
{
    struct job *job = make_job("service", 2);
    struct network *net = add_network(group(job));
    struct node *n1 = add_node("n1", "dc1");
    const struct failed_tg_alloc *fa;

    n1->resources.min_dynamic_port = 20000;
    n1->resources.max_dynamic_port = 20002;
    add_port(&net->dynamic_ports, &net->ndynamic_ports, "a", 0);
    add_port(&net->dynamic_ports, &net->ndynamic_ports, "b", 0);
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    fa = failed("api");
    ck_assert_ptr_nonnull(fa);
    ck_assert_int_eq(metric_get(&fa->metric.dimension_exhausted,
                                "network: dynamic port selection failed"),
                     1);
}
END_TEST

/* ============================================================== ranking */

START_TEST(bin_packing_prefers_the_fuller_node)
{
    struct node *empty = add_node("empty", "dc1");
    struct node *busy = add_node("busy", "dc1");

    add_other(busy, 2000, 4096, 0);
    set_job(make_job("service", 1));
    for (uint64_t seed = 1; seed <= 8; seed++) {
        f.seed = seed;
        run();
        ck_assert_uint_eq(f.plan.nplace, 1);
        ck_assert_uint_eq(placed_on(busy), 1);
        ck_assert_uint_eq(placed_on(empty), 0);
    }
}
END_TEST

START_TEST(spread_algorithm_prefers_the_emptier_node)
{
    struct node *empty = add_node("empty", "dc1");
    struct node *busy = add_node("busy", "dc1");
    struct alloc *cluster[1];
    struct sched_input in;
    struct err err = ERR_INIT;

    add_other(busy, 2000, 4096, 0);
    set_job(make_job("service", 1));
    cluster[0] = f.others[0];
    memset(&in, 0, sizeof(in));
    in.eval = &f.eval;
    in.job = f.job;
    in.nodes = f.nodes;
    in.nnodes = f.nnodes;
    in.cluster_allocs = cluster;
    in.ncluster_allocs = 1;
    in.now_unix_ms = NOW_MS;
    in.seed = 7;
    in.new_id = new_id;
    in.new_id_arg = &f.next_id;
    in.algorithm_spread = true;
    ck_assert_int_eq(sched_run(&in, &f.plan, &err), 0);
    ck_assert_uint_eq(placed_on(empty), 1);
    ck_assert_uint_eq(placed_on(busy), 0);
}
END_TEST

START_TEST(job_anti_affinity_spreads_a_group)
{
    struct node *n[3];

    n[0] = add_node("n1", "dc1");
    n[1] = add_node("n2", "dc1");
    n[2] = add_node("n3", "dc1");
    set_job(make_job("service", 3));
    run();
    ck_assert_uint_eq(f.plan.nplace, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(placed_on(n[i]), 1);
}
END_TEST

START_TEST(affinity_prefers_matching_nodes)
{
    struct job *job = make_job("service", 1);
    struct node *n2;
    struct affinity *a;

    add_node("n1", "dc1");
    n2 = add_node("n2", "dc1");
    add_node("n3", "dc1");
    strmap_set(&n2->meta, "rack", "r2");
    job->affinities = xcalloc(1, sizeof(*job->affinities));
    job->naffinities = 1;
    a = &job->affinities[0];
    affinity_init(a);
    model_set_str(&a->ltarget, "${meta.rack}");
    model_set_str(&a->rtarget, "r2");
    a->weight = 100;
    set_job(job);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        f.seed = seed;
        run();
        ck_assert_uint_eq(placed_on(n2), 1);
    }
}
END_TEST

START_TEST(spread_targets_split_across_datacenters)
{
    struct job *job = make_job("service", 4);
    struct spread *sp;
    struct node *n[6];

    n[0] = add_node("a1", "dc1");
    n[1] = add_node("a2", "dc1");
    n[2] = add_node("a3", "dc1");
    n[3] = add_node("b1", "dc2");
    n[4] = add_node("b2", "dc2");
    n[5] = add_node("b3", "dc2");
    group(job)->spreads = xcalloc(1, sizeof(*group(job)->spreads));
    group(job)->nspreads = 1;
    sp = &group(job)->spreads[0];
    spread_init(sp);
    model_set_str(&sp->attribute, "${node.datacenter}");
    sp->targets = xcalloc(2, sizeof(*sp->targets));
    sp->ntargets = 2;
    model_set_str(&sp->targets[0].value, "dc1");
    sp->targets[0].percent = 50;
    model_set_str(&sp->targets[1].value, "dc2");
    sp->targets[1].percent = 50;
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 4);
    ck_assert_uint_eq(placed_on(n[0]) + placed_on(n[1]) + placed_on(n[2]), 2);
    ck_assert_uint_eq(placed_on(n[3]) + placed_on(n[4]) + placed_on(n[5]), 2);
}
END_TEST

START_TEST(same_seed_gives_the_same_plan)
{
    struct job *job = make_job("service", 6);
    struct network *net = add_network(group(job));
    char first[6][3][64];

    for (int i = 0; i < 8; i++) {
        char name[16];

        snprintf(name, sizeof(name), "n%d", i);
        add_node(name, "dc1");
    }
    add_port(&net->dynamic_ports, &net->ndynamic_ports, "http", 0);
    set_job(job);
    f.seed = 1234;
    run();
    ck_assert_uint_eq(f.plan.nplace, 6);
    for (int i = 0; i < 6; i++) {
        const struct alloc *a = f.plan.place[i];

        snprintf(first[i][0], 64, "%s", a->node_id);
        snprintf(first[i][1], 64, "%" PRId64, a->ports[0].value);
        snprintf(first[i][2], 64, "%s", a->id);
    }
    /* The caller's node order does not matter either. */
    for (size_t i = 0; i < f.nnodes / 2; i++) {
        struct node *t = f.nodes[i];

        f.nodes[i] = f.nodes[f.nnodes - 1 - i];
        f.nodes[f.nnodes - 1 - i] = t;
    }
    f.next_id = 0;
    run();
    ck_assert_uint_eq(f.plan.nplace, 6);
    for (int i = 0; i < 6; i++) {
        const struct alloc *a = f.plan.place[i];
        char port[64];

        snprintf(port, sizeof(port), "%" PRId64, a->ports[0].value);
        ck_assert_str_eq(a->node_id, first[i][0]);
        ck_assert_str_eq(port, first[i][1]);
        ck_assert_str_eq(a->id, first[i][2]);
    }
}
END_TEST

/* Lists f.others on their node, as a state store index would. */
static size_t list_node_allocs(void *arg,
                               const struct node *n,
                               struct alloc *const **out)
{
    static struct alloc *found[MAX_ITEMS];
    size_t c = 0;

    (void)arg;
    for (size_t i = 0; i < f.nothers; i++) {
        if (strcmp(f.others[i]->node_id, n->id) == 0)
            found[c++] = f.others[i];
    }
    *out = found;
    return c;
}

START_TEST(node_allocs_callback_feeds_usage)
{
    struct node *full = add_node("full", "dc1");
    struct node *free_node = add_node("free", "dc1");
    struct sched_input in;
    struct err err = ERR_INIT;
    int calls = 0;

    add_other(full, 100, 8000, 0);
    set_job(make_job("service", 2));
    memset(&in, 0, sizeof(in));
    in.eval = &f.eval;
    in.job = f.job;
    in.nodes = f.nodes;
    in.nnodes = f.nnodes;
    in.node_allocs = list_node_allocs;
    in.node_allocs_arg = &calls;
    in.now_unix_ms = NOW_MS;
    in.seed = 3;
    in.new_id = new_id;
    in.new_id_arg = &f.next_id;
    ck_assert_int_eq(sched_run(&in, &f.plan, &err), 0);
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(placed_on(free_node), 2);
    ck_assert_uint_eq(placed_on(full), 0);
}
END_TEST

/* =========================================================== reconciler */

START_TEST(scale_up_keeps_existing_allocs)
{
    struct node *n1 = add_node("n1", "dc1");

    set_job(make_job("service", 2));
    add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    add_alloc(1, n1, ALLOC_CLIENT_RUNNING);
    f.job->groups[0].count = 3;
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_str_eq(f.plan.place[0]->name, "web.api[2]");
}
END_TEST

START_TEST(scale_down_stops_the_highest_indexes)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a0, *a1, *a2;

    set_job(make_job("service", 3));
    a2 = add_alloc(2, n1, ALLOC_CLIENT_RUNNING);
    a0 = add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    a1 = add_alloc(1, n1, ALLOC_CLIENT_RUNNING);
    f.job->groups[0].count = 1;
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 2);
    ck_assert_ptr_null(stop_of(a0));
    ck_assert_ptr_nonnull(stop_of(a1));
    ck_assert_ptr_nonnull(stop_of(a2));
    ck_assert_str_eq(stop_of(a2)->desired_status, "stop");
    ck_assert_str_eq(stop_of(a2)->desired_description,
                     "alloc not needed due to job update");
    ck_assert_ptr_null(stop_of(a2)->client_status);
    ck_assert_int_eq(desired("api")->stop, 2);
}
END_TEST

START_TEST(job_stop_and_purge_stop_everything)
{
    struct node *n1 = add_node("n1", "dc1");
    struct node *n2 = add_node("n2", "dc1");
    struct alloc *done;

    set_job(make_job("service", 3));
    add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    add_alloc(1, n2, ALLOC_CLIENT_PENDING);
    done = add_alloc(2, n2, ALLOC_CLIENT_FAILED);
    model_set_str(&done->desired_status, ALLOC_DESIRED_STOP);
    f.job->stop = TRI_TRUE;
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 2);
    ck_assert_ptr_null(stop_of(done));
    ck_assert_str_eq(f.plan.stop[0].desired_description,
                     "alloc not needed due to job update");
    ck_assert_uint_eq(f.plan.nfailed, 0);

    /* Purged: the job is gone, its allocs still stop. */
    job_free(f.job);
    f.job = NULL;
    run();
    ck_assert_uint_eq(f.plan.nstop, 2);
    ck_assert_uint_eq(f.plan.nplace, 0);
}
END_TEST

START_TEST(lost_allocs_on_a_down_node_are_replaced)
{
    struct node *n1 = add_node("n1", "dc1");
    struct node *n2 = add_node("n2", "dc1");
    struct alloc *lost, *kept;

    set_job(make_job("service", 2));
    lost = add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    kept = add_alloc(1, n2, ALLOC_CLIENT_RUNNING);
    model_set_str(&n1->status, NODE_STATUS_DOWN);
    run();
    ck_assert_uint_eq(f.plan.nstop, 1);
    ck_assert_ptr_nonnull(stop_of(lost));
    ck_assert_ptr_null(stop_of(kept));
    ck_assert_str_eq(stop_of(lost)->client_status, "lost");
    ck_assert_str_eq(stop_of(lost)->desired_description,
                     "alloc is lost since its node is down");
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_str_eq(f.plan.place[0]->name, "web.api[0]");
    ck_assert_str_eq(f.plan.place[0]->node_id, n2->id);
    ck_assert_str_eq(f.plan.place[0]->previous_allocation, lost->id);
    ck_assert_uint_eq(f.plan.place[0]->nreschedule_events, 0);
}
END_TEST

START_TEST(draining_node_allocs_migrate)
{
    struct node *n1 = add_node("n1", "dc1");
    struct node *n2 = add_node("n2", "dc1");
    struct alloc *a, *b;

    set_job(make_job("service", 2));
    a = add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    b = add_alloc(1, n1, ALLOC_CLIENT_RUNNING);
    n1->drain = true;
    model_set_str(&n1->scheduling_eligibility, "ineligible");
    /* The drainer marked one: only that one moves. */
    a->desired_migrate = TRI_TRUE;
    run();
    ck_assert_str_eq(stop_of(a)->desired_description,
                     "alloc is being migrated");
    ck_assert_ptr_null(stop_of(b));
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(placed_on(n2), 1);
    ck_assert_str_eq(f.plan.place[0]->previous_allocation, a->id);
    ck_assert_int_eq(desired("api")->migrate, 1);
}
END_TEST

START_TEST(ineligible_node_keeps_its_allocs)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a;

    set_job(make_job("service", 2));
    a = add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    model_set_str(&n1->scheduling_eligibility, "ineligible");
    run();
    ck_assert_ptr_null(stop_of(a));
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nfailed, 1);
    ck_assert_int_eq(f.plan.failed[0].metric.nodes_evaluated, 0);
}
END_TEST

START_TEST(system_allocs_leave_draining_node_when_marked)
{
    struct node *n1 = add_node("n1", "dc1");

    set_job(make_job("system", 1));
    run();
    apply();
    n1->drain = true;
    model_set_str(&n1->scheduling_eligibility, "ineligible");
    run();
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_uint_eq(f.plan.nplace, 0);
    f.allocs[0]->desired_migrate = TRI_TRUE;
    run();
    ck_assert_uint_eq(f.plan.nstop, 1);
    ck_assert_str_eq(stop_of(f.allocs[0])->desired_description,
                     "alloc is being migrated");
    ck_assert_uint_eq(f.plan.nplace, 0);
}
END_TEST

START_TEST(removed_group_allocs_are_stopped)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a;

    set_job(make_job("service", 1));
    a = add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    model_set_str(&a->task_group, "old");
    model_set_str(&a->name, "web.old[0]");
    run();
    ck_assert_ptr_nonnull(stop_of(a));
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_str_eq(f.plan.place[0]->name, "web.api[0]");
}
END_TEST

/* ======================================================= batch, resched */

START_TEST(batch_complete_allocs_are_not_replaced)
{
    struct node *n1 = add_node("n1", "dc1");

    set_job(make_job("batch", 2));
    add_alloc(0, n1, ALLOC_CLIENT_COMPLETE);
    add_alloc(1, n1, ALLOC_CLIENT_RUNNING);
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_ptr_null(f.plan.deployment);

    /* A new version runs again: old complete allocs are forgotten. */
    set_job(next_version());
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_str_eq(f.plan.place[0]->name, "web.api[0]");
}
END_TEST

START_TEST(batch_failed_alloc_waits_for_its_delay)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a;
    const struct eval *e;

    add_node("n2", "dc1");
    set_job(make_job("batch", 1));
    a = add_alloc(0, n1, ALLOC_CLIENT_FAILED);
    a->modify_time_unix_ns = NOW_NS - 2 * NS_PER_SEC;
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_uint_eq(f.plan.nfollowup, 1);
    e = f.plan.followup[0];
    /* Batch default: constant 5 s from the failure. */
    ck_assert_int_eq(e->wait_until_unix_ns, NOW_NS + 3 * NS_PER_SEC);
    ck_assert_str_eq(e->status, "pending");
    ck_assert_str_eq(e->triggered_by, "alloc-reschedule");
    ck_assert_str_eq(e->type, "batch");
    ck_assert_str_eq(e->job_id, "web");
    ck_assert_str_eq(e->previous_eval, f.eval.id);
    ck_assert_uint_eq(f.plan.nupdate, 1);
    ck_assert_str_eq(f.plan.update[0]->id, a->id);
    ck_assert_str_eq(f.plan.update[0]->followup_eval_id, e->id);

    /* The follow-up eval itself reschedules it. */
    apply();
    model_set_str(&f.eval.id, e->id);
    f.now_ms += 3000;
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_str_eq(f.plan.place[0]->previous_allocation, f.allocs[0]->id);
    ck_assert_str_eq(f.allocs[0]->followup_eval_id, f.eval.id);
}
END_TEST

START_TEST(batch_failed_alloc_rescheduled_elsewhere)
{
    struct node *n1 = add_node("n1", "dc1");
    struct node *n2 = add_node("n2", "dc1");
    const struct alloc *r;
    struct alloc *a;

    set_job(make_job("batch", 1));
    a = add_alloc(0, n1, ALLOC_CLIENT_FAILED);
    a->modify_time_unix_ns = NOW_NS - 10 * NS_PER_SEC;
    run();
    ck_assert_uint_eq(f.plan.nfollowup, 0);
    ck_assert_uint_eq(f.plan.nplace, 1);
    r = f.plan.place[0];
    ck_assert_str_eq(r->name, "web.api[0]");
    ck_assert_str_eq(r->previous_allocation, a->id);
    /* The reschedule penalty keeps it off the node it failed on. */
    ck_assert_str_eq(r->node_id, n2->id);
    ck_assert_uint_eq(r->nreschedule_events, 1);
    ck_assert_str_eq(r->reschedule_events[0].prev_alloc_id, a->id);
    ck_assert_str_eq(r->reschedule_events[0].prev_node_id, n1->id);
    ck_assert_int_eq(r->reschedule_events[0].delay_ns, 5 * NS_PER_SEC);
    ck_assert_int_eq(r->reschedule_events[0].reschedule_time_unix_ns, NOW_NS);
    ck_assert_str_eq(stop_of(a)->desired_description,
                     "alloc was rescheduled because it failed");

    /* Batch allows one attempt per day: the replacement failing stays. */
    apply();
    model_set_str(&f.allocs[1]->client_status, ALLOC_CLIENT_FAILED);
    f.now_ms += 60000;
    f.allocs[1]->modify_time_unix_ns = f.now_ms * NS_PER_MS;
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nfollowup, 0);
}
END_TEST

START_TEST(failures_within_five_seconds_share_a_followup)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a[3];

    set_job(make_job("batch", 3));
    for (int i = 0; i < 3; i++) {
        a[i] = add_alloc(i, n1, ALLOC_CLIENT_FAILED);
        a[i]->modify_time_unix_ns = NOW_NS;
    }
    a[2]->modify_time_unix_ns = NOW_NS + 20 * NS_PER_SEC;
    run();
    ck_assert_uint_eq(f.plan.nfollowup, 2);
    ck_assert_str_eq(f.plan.followup[0]->triggered_by, "alloc-reschedule");
    ck_assert_str_eq(f.plan.followup[1]->triggered_by, "alloc-failure");
    ck_assert_uint_eq(f.plan.nupdate, 3);
    ck_assert_str_eq(f.plan.update[0]->followup_eval_id,
                     f.plan.followup[0]->id);
    ck_assert_str_eq(f.plan.update[1]->followup_eval_id,
                     f.plan.followup[0]->id);
    ck_assert_str_eq(f.plan.update[2]->followup_eval_id,
                     f.plan.followup[1]->id);
}
END_TEST

static void push_event(struct alloc *a, int64_t delay_ns, int64_t at_ns)
{
    struct reschedule_event *e;

    a->reschedule_events =
        xrealloc(a->reschedule_events,
                 (a->nreschedule_events + 1) * sizeof(*a->reschedule_events));
    e = &a->reschedule_events[a->nreschedule_events++];
    e->delay_ns = delay_ns;
    e->reschedule_time_unix_ns = at_ns;
    e->prev_alloc_id = xstrdup("x");
    e->prev_node_id = xstrdup("y");
}

START_TEST(exponential_delays_double_up_to_the_cap)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a;
    int64_t want[] = {30, 60, 120, 240, 480, 960, 1920, 3600, 3600};

    set_job(make_job("service", 1));
    a = add_alloc(0, n1, ALLOC_CLIENT_FAILED);
    a->modify_time_unix_ns = NOW_NS;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int64_t d = sched_reschedule_delay_ns(a, f.job);

        ck_assert_int_eq(d, want[i] * NS_PER_SEC);
        push_event(a, d, NOW_NS);
    }
}
END_TEST

START_TEST(fibonacci_and_constant_delays)
{
    struct node *n1 = add_node("n1", "dc1");
    struct reschedule_policy *p;
    struct alloc *a;
    int64_t want[] = {5, 5, 10, 15, 25, 40, 50, 50};

    set_job(make_job("service", 1));
    p = group(f.job)->reschedule_policy;
    model_set_str(&p->delay_function, "fibonacci");
    p->delay_ns = 5 * NS_PER_SEC;
    p->max_delay_ns = 50 * NS_PER_SEC;
    a = add_alloc(0, n1, ALLOC_CLIENT_FAILED);
    job_free(a->job);
    a->job = job_copy(f.job);
    a->modify_time_unix_ns = NOW_NS;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int64_t d = sched_reschedule_delay_ns(a, f.job);

        ck_assert_int_eq(d, want[i] * NS_PER_SEC);
        push_event(a, d, NOW_NS);
    }
    model_set_str(&group(a->job)->reschedule_policy->delay_function,
                  "constant");
    ck_assert_int_eq(sched_reschedule_delay_ns(a, f.job), 5 * NS_PER_SEC);
}
END_TEST

START_TEST(service_reschedule_follows_the_exponential_sequence)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a;

    add_node("n2", "dc1");
    set_job(make_job("service", 1));
    a = add_alloc(0, n1, ALLOC_CLIENT_FAILED);
    a->modify_time_unix_ns = NOW_NS;
    push_event(a, 30 * NS_PER_SEC, NOW_NS - 120 * NS_PER_SEC);
    push_event(a, 60 * NS_PER_SEC, NOW_NS - 60 * NS_PER_SEC);
    run();
    ck_assert_uint_eq(f.plan.nfollowup, 1);
    ck_assert_int_eq(f.plan.followup[0]->wait_until_unix_ns,
                     NOW_NS + 120 * NS_PER_SEC);

    f.now_ms += 120 * 1000;
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(f.plan.place[0]->nreschedule_events, 3);
    ck_assert_int_eq(f.plan.place[0]->reschedule_events[2].delay_ns,
                     120 * NS_PER_SEC);
}
END_TEST

/* =============================================================== system */

START_TEST(system_job_runs_once_per_feasible_node)
{
    struct node *n[5];

    n[0] = add_node("a", "dc1");
    n[1] = add_node("b", "dc1");
    n[2] = add_node("c", "dc1");
    n[3] = add_node("down", "dc1");
    n[4] = add_node("inel", "dc1");
    model_set_str(&n[3]->status, NODE_STATUS_DOWN);
    model_set_str(&n[4]->scheduling_eligibility, "ineligible");
    set_job(make_job("system", 1));
    run();
    ck_assert_uint_eq(f.plan.nplace, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(placed_on(n[i]), 1);
    for (size_t i = 0; i < f.plan.nplace; i++)
        ck_assert_str_eq(f.plan.place[i]->name, "web.api[0]");
    ck_assert_ptr_null(f.plan.deployment);

    /* Nothing changes: nothing to do. */
    apply();
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_int_eq(desired("api")->ignore, 3);
}
END_TEST

START_TEST(system_job_follows_nodes_joining_and_leaving)
{
    struct node *a = add_node("a", "dc1");
    struct node *b = add_node("b", "dc1");
    struct node *c;

    set_job(make_job("system", 1));
    run();
    apply();
    c = add_node("c", "dc1");
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(placed_on(c), 1);
    apply();

    /* Ineligible keeps its alloc (Nomad ignores it); down loses it. */
    model_set_str(&a->scheduling_eligibility, "ineligible");
    model_set_str(&b->status, NODE_STATUS_DOWN);
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 1);
    ck_assert_ptr_null(stop_of(f.allocs[0]));
    ck_assert_str_eq(stop_of(f.allocs[1])->desired_description,
                     "alloc is lost since its node is down");
    ck_assert_str_eq(stop_of(f.allocs[1])->client_status, "lost");
}
END_TEST

START_TEST(system_job_infeasible_node_is_no_failure)
{
    struct job *job = make_job("system", 1);
    struct node *win = add_node("win", "dc1");
    struct node *small = add_node("small", "dc1");

    add_node("ok", "dc1");
    strmap_set(&win->attributes, "kernel.name", "windows");
    small->resources.memory_mb = 100;
    add_constraint(&job->constraints, &job->nconstraints, "${attr.kernel.name}",
                   "=", "linux");
    set_job(job);
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(f.plan.nfailed, 1);
    ck_assert_int_eq(failed("api")->metric.nodes_exhausted, 1);
    ck_assert_int_eq(
        metric_get(&failed("api")->metric.dimension_exhausted, "memory"), 1);
    ck_assert_str_eq(strmap_get(&f.plan.queued, "api"), "1");
}
END_TEST

START_TEST(sysbatch_does_not_rerun_completed_nodes)
{
    struct node *a = add_node("a", "dc1");
    struct node *b = add_node("b", "dc1");

    set_job(make_job("sysbatch", 1));
    add_alloc(0, a, ALLOC_CLIENT_COMPLETE);
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(placed_on(b), 1);
}
END_TEST

START_TEST(system_job_destructive_update_stays_on_its_node)
{
    struct node *a = add_node("a", "dc1");
    struct node *b = add_node("b", "dc1");
    struct job *v1;

    set_job(make_job("system", 1));
    run();
    apply();
    v1 = next_version();
    group(v1)->tasks[0].resources->cpu = 800;
    set_job(v1);
    run();
    ck_assert_uint_eq(f.plan.nstop, 2);
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(placed_on(a), 1);
    ck_assert_uint_eq(placed_on(b), 1);
    ck_assert_str_eq(f.plan.stop[0].desired_description,
                     "alloc is being updated due to job update");
    ck_assert_int_eq(f.plan.place[0]->task_resources[0].cpu_shares, 800);
    ck_assert_int_eq(desired("api")->destructive_update, 2);
}
END_TEST

/* ============================================================== updates */

START_TEST(changed_task_config_is_a_destructive_update)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a0, *a1;
    struct job *v1;

    set_job(make_job("service", 2));
    a0 = add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    a1 = add_alloc(1, n1, ALLOC_CLIENT_RUNNING);
    v1 = next_version();
    json_object_set_new(group(v1)->tasks[0].config, "command",
                        json_string("/bin/true"));
    group(v1)->update->max_parallel = 2;
    set_job(v1);
    run();
    ck_assert_uint_eq(f.plan.nstop, 2);
    ck_assert_str_eq(stop_of(a0)->desired_description,
                     "alloc is being updated due to job update");
    ck_assert_ptr_nonnull(stop_of(a1));
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(f.plan.nupdate, 0);
    ck_assert(placed_name("web.api[0]"));
    ck_assert(placed_name("web.api[1]"));
    ck_assert_int_eq(f.plan.place[0]->job->version, 1);
    ck_assert_ptr_nonnull(f.plan.place[0]->previous_allocation);
    ck_assert_int_eq(desired("api")->destructive_update, 2);
    ck_assert_ptr_nonnull(f.plan.deployment);
    ck_assert_int_eq(f.plan.deployment->job_version, 1);
    ck_assert_str_eq(f.plan.place[1]->deployment_id, f.plan.deployment->id);
}
END_TEST

START_TEST(changed_constraints_or_tags_update_in_place)
{
    struct node *n1 = add_node("n1", "dc1");
    struct job *v1;
    struct service *svc;

    set_job(make_job("service", 2));
    add_alloc(0, n1, ALLOC_CLIENT_RUNNING);
    add_alloc(1, n1, ALLOC_CLIENT_RUNNING);
    v1 = next_version();
    add_constraint(&v1->constraints, &v1->nconstraints, "${attr.kernel.name}",
                   "=", "linux");
    group(v1)->services = xcalloc(1, sizeof(*group(v1)->services));
    group(v1)->nservices = 1;
    svc = &group(v1)->services[0];
    service_init(svc);
    model_set_str(&svc->name, "web");
    strlist_push(&svc->tags, "v1");
    set_job(v1);
    run();
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nupdate, 2);
    ck_assert_int_eq(f.plan.update[0]->job->version, 1);
    ck_assert_str_eq(f.plan.update[0]->eval_id, f.eval.id);
    ck_assert_int_eq(desired("api")->in_place_update, 2);

    /* Memory is a resource: destructive. */
    group(f.job)->tasks[0].resources->memory_mb = 512;
    f.job->version = 2;
    run();
    ck_assert_uint_eq(f.plan.nupdate, 0);
    ck_assert_int_eq(desired("api")->destructive_update, 1);

    /* A constraint the node no longer meets forces a new alloc too. */
    group(f.job)->tasks[0].resources->memory_mb = 256;
    model_set_str(&f.job->constraints[0].rtarget, "windows");
    f.job->version = 3;
    run();
    ck_assert_uint_eq(f.plan.nupdate, 0);
    ck_assert_int_eq(desired("api")->destructive_update, 1);
}
END_TEST

START_TEST(max_parallel_limits_destructive_updates)
{
    struct node *n1 = add_node("n1", "dc1");
    struct job *v1;
    size_t before;

    add_node("n2", "dc1");
    set_job(make_job("service", 4));
    for (int i = 0; i < 4; i++)
        add_alloc(i, n1, ALLOC_CLIENT_RUNNING);
    v1 = next_version();
    model_set_str(&group(v1)->tasks[0].driver, "exec");
    strmap_set(&group(v1)->tasks[0].env, "MODE", "new");
    group(v1)->update->max_parallel = 2;
    set_job(v1);
    run();
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert_uint_eq(f.plan.nstop, 2);
    ck_assert(placed_name("web.api[0]"));
    ck_assert(placed_name("web.api[1]"));
    ck_assert_int_eq(desired("api")->destructive_update, 2);
    ck_assert_int_eq(desired("api")->ignore, 2);
    ck_assert_ptr_nonnull(f.plan.deployment);
    ck_assert_int_eq(f.plan.deployment->groups[0].desired_total, 4);

    /* The next eval while the new allocs are not healthy yet: nothing. */
    apply();
    before = f.nallocs;
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_ptr_null(f.plan.deployment);

    /* Once healthy, the next two go. */
    for (size_t i = before - 2; i < before; i++) {
        f.allocs[i]->deployment_status =
            xcalloc(1, sizeof(*f.allocs[i]->deployment_status));
        f.allocs[i]->deployment_status->healthy = TRI_TRUE;
    }
    run();
    ck_assert_uint_eq(f.plan.nplace, 2);
    ck_assert(placed_name("web.api[2]"));
    ck_assert(placed_name("web.api[3]"));
    ck_assert_str_eq(f.plan.place[0]->deployment_id, f.deployment->id);

    /* An unhealthy alloc in the deployment stops the rollout. */
    f.allocs[before - 1]->deployment_status->healthy = TRI_FALSE;
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
}
END_TEST

START_TEST(auto_promoted_canaries_say_so)
{
    struct node *n1 = add_node("n1", "dc1");
    struct job *v1;

    set_job(make_job("service", 2));
    for (int i = 0; i < 2; i++)
        add_alloc(i, n1, ALLOC_CLIENT_RUNNING);
    v1 = next_version();
    strmap_set(&group(v1)->tasks[0].env, "MODE", "new");
    group(v1)->update->canary = 1;
    group(v1)->update->auto_promote = TRI_TRUE;
    set_job(v1);
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert(f.plan.deployment->groups[0].auto_promote);
    ck_assert_str_eq(f.plan.deployment->status_description,
                     "Deployment is running pending automatic promotion");
}
END_TEST

START_TEST(canaries_wait_for_promotion)
{
    struct node *n1 = add_node("n1", "dc1");
    struct job *v1;

    add_node("n2", "dc1");
    set_job(make_job("service", 3));
    for (int i = 0; i < 3; i++)
        add_alloc(i, n1, ALLOC_CLIENT_RUNNING);
    v1 = next_version();
    strmap_set(&group(v1)->tasks[0].env, "MODE", "new");
    group(v1)->update->canary = 1;
    set_job(v1);
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_uint_eq(f.plan.nstop, 0);
    ck_assert_ptr_nonnull(f.plan.place[0]->deployment_status);
    ck_assert(f.plan.place[0]->deployment_status->canary);
    ck_assert_str_eq(f.plan.place[0]->name, "web.api[0]");
    ck_assert_int_eq(f.plan.deployment->groups[0].desired_canaries, 1);
    ck_assert_str_eq(f.plan.deployment->status_description,
                     "Deployment is running but requires manual promotion");
    ck_assert_int_eq(desired("api")->canary, 1);

    /* Until promoted, nothing more happens. */
    apply();
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nstop, 0);

    /* Promoted: the old alloc the canary replaces stops, others roll. */
    f.deployment->groups[0].promoted = true;
    f.allocs[3]->deployment_status->healthy = TRI_TRUE;
    run();
    ck_assert_ptr_nonnull(stop_of(f.allocs[0]));
    ck_assert_str_eq(stop_of(f.allocs[0])->desired_description,
                     "alloc not needed due to job update");
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_int_eq(desired("api")->destructive_update, 1);
}
END_TEST

START_TEST(failed_alloc_in_active_deployment_is_not_rescheduled)
{
    struct node *n1 = add_node("n1", "dc1");
    struct alloc *a;

    add_node("n2", "dc1");
    set_job(make_job("service", 1));
    run();
    apply();
    a = f.allocs[0];
    model_set_str(&a->client_status, ALLOC_CLIENT_FAILED);
    a->modify_time_unix_ns = NOW_NS - 3600 * NS_PER_SEC;
    (void)n1;
    run();
    ck_assert_uint_eq(f.plan.nplace, 0);
    ck_assert_uint_eq(f.plan.nfollowup, 0);

    /* Once the deployment is over, the reschedule policy applies. */
    model_set_str(&f.deployment->status, DEPLOYMENT_STATUS_SUCCESSFUL);
    run();
    ck_assert_uint_eq(f.plan.nplace, 1);
    ck_assert_str_eq(f.plan.place[0]->previous_allocation, a->id);
    ck_assert_ptr_null(f.plan.place[0]->deployment_id);
}
END_TEST

START_TEST(newer_version_cancels_the_running_deployment)
{
    struct node *n1 = add_node("n1", "dc1");

    set_job(make_job("service", 1));
    run();
    apply();
    ck_assert_ptr_nonnull(f.deployment);
    set_job(next_version());
    strmap_set(&group(f.job)->tasks[0].env, "X", "1");
    (void)n1;
    run();
    ck_assert_uint_eq(f.plan.ndeployment_updates, 1);
    ck_assert_str_eq(f.plan.deployment_updates[0].deployment_id,
                     f.deployment->id);
    ck_assert_str_eq(f.plan.deployment_updates[0].status, "cancelled");
    ck_assert_str_eq(f.plan.deployment_updates[0].status_description,
                     "Cancelled due to newer version of job");
    ck_assert_ptr_nonnull(f.plan.deployment);
    ck_assert_int_eq(f.plan.deployment->job_version, 1);

    f.job->stop = TRI_TRUE;
    f.job->version = 0;
    run();
    ck_assert_str_eq(f.plan.deployment_updates[0].status_description,
                     "Cancelled because job is stopped");
}
END_TEST

START_TEST(unknown_scheduler_type_is_invalid)
{
    struct sched_input in;
    struct err err = ERR_INIT;

    memset(&in, 0, sizeof(in));
    in.eval = &f.eval;
    in.new_id = new_id;
    in.new_id_arg = &f.next_id;
    model_set_str(&f.eval.type, "_core");
    ck_assert_int_eq(sched_run(&in, &f.plan, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "unknown scheduler type \"_core\"");
    in.new_id = NULL;
    ck_assert_int_eq(sched_run(&in, &f.plan, &err), ERR_INVALID);
}
END_TEST

/* ================================================================ suite */

static Suite *sched_suite(void)
{
    Suite *s = suite_create("scheduler_sched");
    TCase *tc = test_tcase("placement");
    TCase *tr = test_tcase("reconcile");
    TCase *ts = test_tcase("system");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, places_count_allocs_with_nomad_fields);
    tcase_add_test(tc, placements_fill_the_lowest_free_indexes);
    tcase_add_test(tc, memory_exhaustion_fails_the_group);
    tcase_add_test(tc, cpu_exhaustion_coalesces_later_failures);
    tcase_add_test(tc, blocked_eval_failing_again_is_reblocked);
    tcase_add_test(tc, plan_outcome_is_recorded_in_the_eval);
    tcase_add_test(tc, constraints_filter_nodes_with_metrics);
    tcase_add_test(tc, group_and_task_constraints_apply);
    tcase_add_test(tc, missing_or_unhealthy_driver_filters_node);
    tcase_add_test(tc, datacenters_filter_with_globs);
    tcase_add_test(
        tc, unready_ineligible_draining_and_other_pool_nodes_are_skipped);
    tcase_add_test(tc, distinct_hosts_limits_one_per_node);
    tcase_add_test(tc, distinct_property_limits_per_value);
    tcase_add_test(tc, static_port_conflict_moves_or_fails);
    tcase_add_test(tc, same_static_port_twice_on_one_node_collides);
    tcase_add_test(tc, dynamic_ports_are_unique_and_in_range);
    tcase_add_test(tc, dynamic_port_exhaustion_is_a_network_dimension);
    tcase_add_test(tc, bin_packing_prefers_the_fuller_node);
    tcase_add_test(tc, spread_algorithm_prefers_the_emptier_node);
    tcase_add_test(tc, job_anti_affinity_spreads_a_group);
    tcase_add_test(tc, affinity_prefers_matching_nodes);
    tcase_add_test(tc, spread_targets_split_across_datacenters);
    tcase_add_test(tc, same_seed_gives_the_same_plan);
    tcase_add_test(tc, unknown_scheduler_type_is_invalid);
    tcase_add_test(tc, node_allocs_callback_feeds_usage);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(tr, setup, teardown);
    tcase_add_test(tr, scale_up_keeps_existing_allocs);
    tcase_add_test(tr, scale_down_stops_the_highest_indexes);
    tcase_add_test(tr, job_stop_and_purge_stop_everything);
    tcase_add_test(tr, lost_allocs_on_a_down_node_are_replaced);
    tcase_add_test(tr, draining_node_allocs_migrate);
    tcase_add_test(tr, ineligible_node_keeps_its_allocs);
    tcase_add_test(tr, system_allocs_leave_draining_node_when_marked);
    tcase_add_test(tr, removed_group_allocs_are_stopped);
    tcase_add_test(tr, batch_complete_allocs_are_not_replaced);
    tcase_add_test(tr, batch_failed_alloc_waits_for_its_delay);
    tcase_add_test(tr, batch_failed_alloc_rescheduled_elsewhere);
    tcase_add_test(tr, failures_within_five_seconds_share_a_followup);
    tcase_add_test(tr, exponential_delays_double_up_to_the_cap);
    tcase_add_test(tr, fibonacci_and_constant_delays);
    tcase_add_test(tr, service_reschedule_follows_the_exponential_sequence);
    tcase_add_test(tr, changed_task_config_is_a_destructive_update);
    tcase_add_test(tr, changed_constraints_or_tags_update_in_place);
    tcase_add_test(tr, max_parallel_limits_destructive_updates);
    tcase_add_test(tr, canaries_wait_for_promotion);
    tcase_add_test(tr, auto_promoted_canaries_say_so);
    tcase_add_test(tr, failed_alloc_in_active_deployment_is_not_rescheduled);
    tcase_add_test(tr, newer_version_cancels_the_running_deployment);
    suite_add_tcase(s, tr);

    tcase_add_checked_fixture(ts, setup, teardown);
    tcase_add_test(ts, system_job_runs_once_per_feasible_node);
    tcase_add_test(ts, system_job_follows_nodes_joining_and_leaving);
    tcase_add_test(ts, system_job_infeasible_node_is_no_failure);
    tcase_add_test(ts, sysbatch_does_not_rerun_completed_nodes);
    tcase_add_test(ts, system_job_destructive_update_stays_on_its_node);
    suite_add_tcase(s, ts);
    return s;
}

TEST_MAIN(sched_suite)
