/*
 * The server role end to end in one process: commands through the log and
 * FSM, evals through the broker, the scheduler on the thread pool, plans
 * applied. Each test runs the loop until the state shows the outcome (a
 * watch on the tables wakes it), with a deadline that fails the test.
 */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agent/server/cmd.h"
#include "agent/server/server.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/model/alloc.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "tests/harness/test.h"

static uv_loop_t loop;
static struct server *srv;
static char *dir;

static uint64_t ttl_ms = 0;

static void open_server(void)
{
    struct server_config cfg = {.data_dir = dir,
                                .region = "global",
                                .datacenter = "dc1",
                                .dev = true,
                                .num_workers = 2,
                                .heartbeat_ttl_ms = ttl_ms};
    struct err err = ERR_INIT;

    ck_assert_msg(server_new(&loop, &cfg, &srv, &err) == 0, "%s", err.msg);
}

static void closed(void *arg)
{
    *(bool *)arg = true;
}

static void close_server(void)
{
    bool done = false;

    server_close(srv, closed, &done);
    while (!done)
        uv_run(&loop, UV_RUN_ONCE);
    srv = NULL;
}

static void setup(void)
{
    uv_loop_init(&loop);
    dir = test_tmpdir();
    open_server();
}

static void teardown(void)
{
    if (srv)
        close_server();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    test_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------ waiting helpers */

typedef bool (*cond_fn)(void *arg);

struct waiter
{
    cond_fn cond;
    void *arg;
    bool met;
    void *watch;
};

static void woken(void *arg, uint64_t index)
{
    struct waiter *w = arg;

    (void)index;
    w->watch = NULL;
    if (w->cond(w->arg))
        w->met = true;
    else
        w->watch = server_watch(srv, ~0u, server_last_index(srv), woken, w);
}

static void deadline(uv_timer_t *t)
{
    (void)t;
}

/* The timer lives on wait_for()'s stack: wait until libuv let go of it. */
static void timer_closed(uv_handle_t *h)
{
    *(bool *)h->data = true;
}

/* Runs the loop until cond holds; fails after 20 s of loop time. */
static void wait_for(cond_fn cond, void *arg, const char *what)
{
    struct waiter w = {cond, arg, false, NULL};
    uv_timer_t t;
    uint64_t start = uv_now(&loop);

    if (cond(arg))
        return;
    w.watch = server_watch(srv, ~0u, server_last_index(srv), woken, &w);
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, deadline, 200, 200);
    while (!w.met && uv_now(&loop) - start < 20000) {
        uv_run(&loop, UV_RUN_ONCE);
        if (!w.met && cond(arg))
            w.met = true;
    }
    {
        bool closed_t = false;

        t.data = &closed_t;
        uv_close((uv_handle_t *)&t, timer_closed);
        while (!closed_t)
            uv_run(&loop, UV_RUN_ONCE);
    }
    if (w.watch)
        server_unwatch(srv, w.watch);
    ck_assert_msg(w.met, "timed out waiting for %s", what);
}

static void applied(void *arg, int rc, uint64_t index, const struct err *err)
{
    (void)index;
    ck_assert_msg(rc == 0, "%s", err->msg);
    *(bool *)arg = true;
}

static void apply_sync(struct cmd *c)
{
    bool done = false;

    server_apply(srv, c, applied, &done);
    while (!done)
        uv_run(&loop, UV_RUN_ONCE);
}

static char last_node_id[ID_UUID_LEN + 1];

static void add_node(const char *name, int64_t mem_mb)
{
    struct cmd *c = xmalloc(sizeof(*c));
    struct node *n = node_new();
    char id[ID_UUID_LEN + 1];

    id_uuid(id);
    n->id = xstrdup(id);
    n->secret_id = xstrdup(id);
    n->name = xstrdup(name);
    n->datacenter = xstrdup("dc1");
    n->status = xstrdup(NODE_STATUS_READY);
    strmap_set(&n->attributes, "kernel.name", "linux");
    n->drivers = xcalloc(1, sizeof(*n->drivers));
    n->ndrivers = 1;
    n->drivers[0].name = xstrdup("raw_exec");
    n->drivers[0].detected = n->drivers[0].healthy = true;
    n->resources.cpu_shares = 4000;
    n->resources.memory_mb = mem_mb;
    n->resources.disk_mb = 10000;
    node_canonicalize(n);
    memcpy(last_node_id, id, sizeof(id));
    if (ttl_ms > 0) { /* through the RPC, which starts the TTL */
        bool done = false;

        server_node_register(srv, n, applied, &done);
        while (!done)
            uv_run(&loop, UV_RUN_ONCE);
        node_free(n);
        free(c);
        return;
    }
    cmd_init(c, CMD_NODE_REGISTER);
    c->node = n;
    apply_sync(c);
}

static struct job *make_job(const char *id, int64_t count, int64_t mem)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    job->id = xstrdup(id);
    job->type = xstrdup("service");
    g = job_add_group(job);
    g->name = xstrdup("g");
    g->count = count;
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    t->config = json_pack("{s:s}", "command", "/bin/true");
    t->resources = xmalloc(sizeof(*t->resources));
    resources_init(t->resources);
    t->resources->memory_mb = mem;
    return job;
}

struct reg
{
    bool done;
    int rc;
    char eval_id[40];
    char msg[4096];
};

static void registered(void *arg,
                       int rc,
                       const struct server_register_result *res,
                       const struct err *err)
{
    struct reg *r = arg;

    r->done = true;
    r->rc = rc;
    snprintf(r->eval_id, sizeof(r->eval_id), "%s", res->eval_id);
    if (rc != 0)
        snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
}

static void register_sync(struct job *job, struct reg *r)
{
    memset(r, 0, sizeof(*r));
    server_job_register(srv, job, registered, r);
    while (!r->done)
        uv_run(&loop, UV_RUN_ONCE);
}

/* ------------------------------------------------------------ queries */

struct count
{
    const char *desired;
    int n;
};

static int count_alloc(const struct alloc *a, void *arg)
{
    struct count *c = arg;

    if (c->desired == NULL || strcmp(model_str(a->desired_status), c->desired) == 0)
        c->n++;
    return 0;
}

static int allocs_of(const char *job, const char *desired)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct count c = {desired, 0};

    ck_assert_int_eq(server_read_begin(srv, &snap, &err), 0);
    server_each_alloc_by_job(snap, "default", job, count_alloc, &c, &err);
    server_read_end(snap);
    return c.n;
}

static char *eval_status(const char *id)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct eval e;
    char *s = NULL;

    ck_assert_int_eq(server_read_begin(srv, &snap, &err), 0);
    eval_init(&e);
    if (server_read_eval(snap, id, &e, &err) == 0)
        s = xstrdup(model_str(e.status));
    eval_release(&e);
    server_read_end(snap);
    return s;
}

static char *job_status(const char *id)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct job j;
    char *s = NULL;

    ck_assert_int_eq(server_read_begin(srv, &snap, &err), 0);
    job_init(&j);
    if (server_read_job(snap, "default", id, &j, &err) == 0)
        s = xstrdup(model_str(j.status));
    job_release(&j);
    server_read_end(snap);
    return s;
}

struct want
{
    const char *job;
    const char *desired;
    int n;
};

static bool has_allocs(void *arg)
{
    struct want *w = arg;

    return allocs_of(w->job, w->desired) == w->n;
}

static bool eval_done(void *arg)
{
    char *s = eval_status(arg);
    bool done = s && strcmp(s, "complete") == 0;

    free(s);
    return done;
}

/* -------------------------------------------------------------- tests */

START_TEST(register_places_allocs)
{
    struct reg r;
    struct want w = {"web", "run", 3};
    char *st;

    add_node("n1", 8192);
    register_sync(make_job("web", 3, 256), &r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    ck_assert(r.eval_id[0] != '\0');
    wait_for(has_allocs, &w, "3 allocs");
    wait_for(eval_done, r.eval_id, "eval complete");
    st = job_status("web");
    ck_assert_str_eq(st, "running");
    free(st);
}
END_TEST

START_TEST(invalid_job_is_refused_with_nomad_text)
{
    struct reg r;
    struct job *job = make_job("bad", 1, 256);

    free(job->groups[0].tasks[0].driver);
    job->groups[0].tasks[0].driver = NULL;
    register_sync(job, &r);
    ck_assert_int_eq(r.rc, ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(r.msg, "Missing task driver"));
    ck_assert_ptr_null(job_status("bad"));
}
END_TEST

START_TEST(stop_stops_allocs)
{
    struct reg r;
    struct want placed = {"web", "run", 2}, stopped = {"web", "stop", 2};

    add_node("n1", 8192);
    register_sync(make_job("web", 2, 256), &r);
    wait_for(has_allocs, &placed, "2 allocs");
    memset(&r, 0, sizeof(r));
    server_job_deregister(srv, "default", "web", false, registered, &r);
    while (!r.done)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    wait_for(has_allocs, &stopped, "2 stopped allocs");
}
END_TEST

START_TEST(scale_down_stops_highest_index)
{
    struct reg r;
    struct want three = {"web", "run", 3}, one = {"web", "run", 1};

    add_node("n1", 8192);
    register_sync(make_job("web", 3, 256), &r);
    wait_for(has_allocs, &three, "3 allocs");
    register_sync(make_job("web", 1, 256), &r);
    ck_assert_msg(r.rc == 0, "%s", r.msg);
    wait_for(has_allocs, &one, "1 running alloc");
}
END_TEST

START_TEST(blocked_eval_runs_when_capacity_arrives)
{
    struct reg r;
    struct want w = {"big", "run", 1};
    char *st;

    add_node("small", 512);
    register_sync(make_job("big", 1, 2048), &r);
    wait_for(eval_done, r.eval_id, "eval complete");
    ck_assert_int_eq(allocs_of("big", NULL), 0);
    st = job_status("big");
    ck_assert_str_eq(st, "pending");
    free(st);
    add_node("large", 8192);
    wait_for(has_allocs, &w, "the blocked job placed");
}
END_TEST

START_TEST(state_survives_restart)
{
    struct reg r;
    struct want w = {"web", "run", 2};

    add_node("n1", 8192);
    register_sync(make_job("web", 2, 256), &r);
    wait_for(has_allocs, &w, "2 allocs");
    close_server();
    open_server();
    ck_assert_int_eq(allocs_of("web", "run"), 2);
    ck_assert(eval_done(r.eval_id));
}
END_TEST

static int count_lost(const struct alloc *a, void *arg)
{
    int *n = arg;

    *n += strcmp(model_str(a->client_status), "lost") == 0;
    return 0;
}

static bool one_lost(void *arg)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    int n = 0;

    (void)arg;
    ck_assert_int_eq(server_read_begin(srv, &snap, &err), 0);
    server_each_alloc_by_job(snap, "default", "web", count_lost, &n, &err);
    server_read_end(snap);
    return n == 1;
}

static void beat_done(void *arg, int rc, uint64_t index, const struct err *e)
{
    (void)arg;
    (void)index;
    ck_assert_msg(rc == 0, "%s", e->msg);
}

static void beat(uv_timer_t *t)
{
    server_node_heartbeat(srv, t->data, beat_done, NULL);
}

static void beat_closed(uv_handle_t *h)
{
    *(bool *)h->loop->data = true;
}

/* A node that stops heartbeating goes down; its alloc is lost and
 * replaced on the node that still beats. */
START_TEST(missed_heartbeat_replaces_lost_allocs)
{
    struct reg r;
    struct want placed = {"web", "run", 1};
    char alive[ID_UUID_LEN + 1];
    uv_timer_t t;
    bool closed_t = false;

    close_server();
    ttl_ms = 400;
    open_server();
    add_node("doomed", 8192);
    register_sync(make_job("web", 1, 256), &r);
    wait_for(has_allocs, &placed, "1 alloc on the only node");
    add_node("alive", 8192);
    memcpy(alive, last_node_id, sizeof(alive));
    uv_timer_init(&loop, &t);
    t.data = alive;
    uv_timer_start(&t, beat, 100, 100);
    wait_for(one_lost, NULL, "the alloc on the silent node lost");
    wait_for(has_allocs, &placed, "a replacement running");
    loop.data = &closed_t;
    uv_close((uv_handle_t *)&t, beat_closed);
    while (!closed_t)
        uv_run(&loop, UV_RUN_ONCE);
    ttl_ms = 0;
}
END_TEST

struct reg_index
{
    bool done;
    int rc;
    uint64_t index;
    uint64_t job_modify_index;
};

static void registered_index(void *arg,
                             int rc,
                             const struct server_register_result *res,
                             const struct err *err)
{
    struct reg_index *r = arg;

    (void)err;
    r->done = true;
    r->rc = rc;
    r->index = res->index;
    r->job_modify_index = res->job_modify_index;
}

/*
 * Registrations queued together are written in batches (group commit),
 * more of them than one batch holds: each is still acknowledged once, with
 * its own index, and stored at that index.
 */
START_TEST(queued_registrations_each_get_their_index)
{
    enum { N = 300 };
    struct reg_index *r = xcalloc(N, sizeof(*r));
    struct state_snap *snap;
    struct err err = ERR_INIT;
    uint64_t start = uv_now(&loop);
    bool all = false;

    for (int i = 0; i < N; i++) {
        char id[32];

        snprintf(id, sizeof(id), "batch%03d", i);
        server_job_register(srv, make_job(id, 1, 64), registered_index, &r[i]);
    }
    while (!all && uv_now(&loop) - start < 20000) {
        uv_run(&loop, UV_RUN_ONCE);
        all = true;
        for (int i = 0; i < N && all; i++)
            all = r[i].done;
    }
    ck_assert_msg(all, "not every registration was acknowledged");
    ck_assert_int_eq(server_read_begin(srv, &snap, &err), 0);
    for (int i = 0; i < N; i++) {
        char id[32];
        struct job job;

        ck_assert_int_eq(r[i].rc, 0);
        if (i > 0) /* queued in order, applied in order */
            ck_assert_uint_gt(r[i].index, r[i - 1].index);
        snprintf(id, sizeof(id), "batch%03d", i);
        job_init(&job);
        ck_assert_int_eq(server_read_job(snap, "default", id, &job, &err), 0);
        ck_assert_int_eq(job.job_modify_index, (int64_t)r[i].index);
        job_release(&job);
    }
    server_read_end(snap);
    free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = test_tcase("server");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, register_places_allocs);
    tcase_add_test(tc, invalid_job_is_refused_with_nomad_text);
    tcase_add_test(tc, stop_stops_allocs);
    tcase_add_test(tc, scale_down_stops_highest_index);
    tcase_add_test(tc, blocked_eval_runs_when_capacity_arrives);
    tcase_add_test(tc, state_survives_restart);
    tcase_add_test(tc, missed_heartbeat_replaces_lost_allocs);
    tcase_add_test(tc, queued_registrations_each_get_their_index);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
