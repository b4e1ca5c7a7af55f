/*
 * The node-operation commands through the log codec and the FSM:
 * eligibility with its node event, a drain set, updated and ended (by the
 * operator or the drainer) with LastDrain, allocs marked for migration
 * with their evals, and GC deleting records (absent ones are no error).
 */
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/fsm.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "tests/harness/test.h"

static char *dir;
static struct state_store *store;
static uint64_t next_index;
static struct fsm_effects fx;

static void setup(void)
{
    struct state_options opts = {0, true};
    struct err err = ERR_INIT;

    dir = test_tmpdir();
    ck_assert_msg(state_open(dir, &opts, &store, &err) == 0, "%s", err.msg);
    next_index = 1;
    memset(&fx, 0, sizeof(fx));
}

static void teardown(void)
{
    fsm_effects_release(&fx);
    state_close(store);
    test_rmtree(dir);
    free(dir);
}

/* Encodes, decodes (as the log would) and applies c, which is released. */
static void apply(struct cmd *c)
{
    struct buf b = BUF_INIT;
    struct cmd back;
    struct err err = ERR_INIT;

    c->now_unix_ns = 1700000000000000000 + (int64_t)next_index;
    cmd_encode(c, &b);
    ck_assert_msg(cmd_decode(b.data, b.len, &back, &err) == 0, "%s", err.msg);
    fsm_effects_release(&fx);
    ck_assert_msg(fsm_apply(store, next_index++, &back, &fx, &err) == 0, "%s",
                  err.msg);
    cmd_release(&back);
    cmd_release(c);
    buf_release(&b);
}

static void put_node(const char *id)
{
    struct cmd c;

    cmd_init(&c, CMD_NODE_REGISTER);
    c.node = node_new();
    c.node->id = xstrdup(id);
    c.node->status = xstrdup(NODE_STATUS_READY);
    c.node->scheduling_eligibility = xstrdup("eligible");
    apply(&c);
}

static struct node *get_node(const char *id)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct node *n = node_new();
    int rc;

    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    rc = state_get_node(snap, id, n, &err);
    state_snap_release(snap);
    if (rc != 0) {
        node_free(n);
        return NULL;
    }
    return n;
}

static struct alloc *get_alloc(const char *id)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct alloc *a = alloc_new();
    int rc;

    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    rc = state_get_alloc(snap, id, a, &err);
    state_snap_release(snap);
    if (rc != 0) {
        alloc_free(a);
        return NULL;
    }
    return a;
}

static void drain(const char *id, bool on, bool mark_eligible, const char *by)
{
    struct cmd c;

    cmd_init(&c, CMD_NODE_DRAIN);
    c.id = xstrdup(id);
    c.mark_eligible = mark_eligible;
    c.status = by ? xstrdup(by) : NULL;
    if (on) {
        c.node = node_new();
        c.node->id = xstrdup(id);
        c.node->drain_strategy = xcalloc(1, sizeof(*c.node->drain_strategy));
        c.node->drain_strategy->deadline_ns = 3600000000000;
        c.node->last_drain = node_drain_meta_new();
        strmap_set(&c.node->last_drain->meta, "message", "kernel update");
    }
    apply(&c);
}

START_TEST(eligibility_changes_and_records_an_event)
{
    struct cmd c;
    struct node *n;

    put_node("n1");
    cmd_init(&c, CMD_NODE_ELIGIBILITY);
    c.id = xstrdup("n1");
    c.status = xstrdup("ineligible");
    apply(&c);
    n = get_node("n1");
    ck_assert_str_eq(n->scheduling_eligibility, "ineligible");
    ck_assert_uint_eq(n->nevents, 1);
    ck_assert_str_eq(n->events[0].message,
                     "Node marked as ineligible for scheduling");
    ck_assert_str_eq(n->events[0].subsystem, "Cluster");
    ck_assert(!fx.capacity_changed);
    node_free(n);

    cmd_init(&c, CMD_NODE_ELIGIBILITY);
    c.id = xstrdup("n1");
    c.status = xstrdup("eligible");
    apply(&c);
    ck_assert(fx.capacity_changed); /* blocked evals get another chance */
    n = get_node("n1");
    ck_assert_str_eq(n->scheduling_eligibility, "eligible");
    ck_assert_uint_eq(n->nevents, 2);
    node_free(n);
}
END_TEST

START_TEST(drain_set_updated_and_cancelled)
{
    struct node *n;
    int64_t started;

    put_node("n1");
    drain("n1", true, false, NULL);
    n = get_node("n1");
    ck_assert_ptr_nonnull(n->drain_strategy);
    ck_assert(n->drain);
    ck_assert_str_eq(n->scheduling_eligibility, "ineligible");
    ck_assert_str_eq(n->last_drain->status, "draining");
    ck_assert_str_eq(strmap_get(&n->last_drain->meta, "message"),
                     "kernel update");
    ck_assert_str_eq(n->events[n->nevents - 1].message,
                     "Node drain strategy set");
    started = n->last_drain->started_at_unix_ns;
    node_free(n);

    drain("n1", true, false, NULL);
    n = get_node("n1");
    ck_assert_str_eq(n->events[n->nevents - 1].message,
                     "Node drain strategy updated");
    ck_assert_int_eq(n->last_drain->started_at_unix_ns, started);
    node_free(n);

    drain("n1", false, true, NULL);
    n = get_node("n1");
    ck_assert_ptr_null(n->drain_strategy);
    ck_assert(!n->drain);
    ck_assert_str_eq(n->scheduling_eligibility, "eligible");
    ck_assert_str_eq(n->last_drain->status, "canceled");
    ck_assert_str_eq(n->events[n->nevents - 1].message, "Node drain disabled");
    ck_assert(fx.capacity_changed);
    node_free(n);
}
END_TEST

START_TEST(drainer_completion_keeps_the_node_ineligible)
{
    struct node *n;

    put_node("n1");
    drain("n1", true, false, NULL);
    drain("n1", false, false, "complete");
    n = get_node("n1");
    ck_assert_ptr_null(n->drain_strategy);
    ck_assert_str_eq(n->scheduling_eligibility, "ineligible");
    ck_assert_str_eq(n->last_drain->status, "complete");
    ck_assert_str_eq(n->events[n->nevents - 1].message, "Node drain complete");
    node_free(n);
}
END_TEST

START_TEST(registering_again_keeps_the_drain)
{
    struct node *n;

    put_node("n1");
    drain("n1", true, false, NULL);
    put_node("n1"); /* the client restarted */
    n = get_node("n1");
    ck_assert_ptr_nonnull(n->drain_strategy);
    ck_assert(n->drain);
    ck_assert_str_eq(n->scheduling_eligibility, "ineligible");
    ck_assert_str_eq(n->last_drain->status, "draining");
    ck_assert_str_eq(n->events[0].message, "Node drain strategy set");
    node_free(n);
}
END_TEST

START_TEST(unknown_node_changes_nothing)
{
    struct cmd c;

    cmd_init(&c, CMD_NODE_ELIGIBILITY);
    c.id = xstrdup("nope");
    c.status = xstrdup("ineligible");
    apply(&c); /* logged and skipped: the index still moves */
    ck_assert_ptr_null(get_node("nope"));
}
END_TEST

static void put_alloc(const char *id)
{
    struct cmd c;
    struct alloc *a = alloc_new();

    a->id = xstrdup(id);
    a->namespace = xstrdup("default");
    a->job_id = xstrdup("web");
    a->task_group = xstrdup("g");
    a->node_id = xstrdup("n1");
    a->desired_status = xstrdup("run");
    a->client_status = xstrdup("running");
    cmd_init(&c, CMD_PLAN_RESULT);
    cmd_add_alloc(&c, a);
    apply(&c);
}

START_TEST(transition_marks_allocs_and_queues_evals)
{
    struct cmd c;
    struct eval *e = eval_new();
    struct alloc *a;

    put_alloc("a1");
    put_alloc("a2");
    e->id = xstrdup("e1");
    e->namespace = xstrdup("default");
    e->job_id = xstrdup("web");
    e->type = xstrdup("service");
    e->triggered_by = xstrdup("node-drain");
    e->status = xstrdup("pending");
    cmd_init(&c, CMD_ALLOC_TRANSITION);
    cmd_add_key(&c, CMD_KEY_ALLOC, NULL, "a1");
    cmd_add_key(&c, CMD_KEY_ALLOC, NULL, "gone"); /* collected meanwhile */
    cmd_add_eval(&c, e);
    apply(&c);
    ck_assert_uint_eq(fx.nready_evals, 1);
    ck_assert_str_eq(fx.ready_evals[0], "e1");
    a = get_alloc("a1");
    ck_assert_int_eq(a->desired_migrate, TRI_TRUE);
    alloc_free(a);
    a = get_alloc("a2");
    ck_assert_int_ne(a->desired_migrate, TRI_TRUE);
    alloc_free(a);
}
END_TEST

START_TEST(gc_deletes_records)
{
    struct cmd c;
    struct alloc *a2;

    put_node("n1");
    put_alloc("a1");
    put_alloc("a2");
    cmd_init(&c, CMD_GC);
    cmd_add_key(&c, CMD_KEY_ALLOC, NULL, "a1");
    cmd_add_key(&c, CMD_KEY_EVAL, NULL, "never-was");
    cmd_add_key(&c, CMD_KEY_JOB, "default", "never-was");
    cmd_add_key(&c, CMD_KEY_NODE, NULL, "n1");
    apply(&c);
    ck_assert_ptr_null(get_alloc("a1"));
    ck_assert_ptr_null(get_node("n1"));
    a2 = get_alloc("a2");
    ck_assert_ptr_nonnull(a2);
    alloc_free(a2);
    ck_assert(fx.tables_changed & (1u << STATE_ALLOCS));
    ck_assert(fx.tables_changed & (1u << STATE_NODES));
}
END_TEST

START_TEST(keys_survive_the_codec_and_truncation_fails)
{
    struct cmd c, back;
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;

    cmd_init(&c, CMD_GC);
    c.mark_eligible = true;
    cmd_add_key(&c, CMD_KEY_JOB, "default", "web");
    cmd_add_key(&c, CMD_KEY_EVAL, NULL, "e1");
    cmd_encode(&c, &b);
    ck_assert_int_eq(cmd_decode(b.data, b.len, &back, &err), 0);
    ck_assert_int_eq(back.type, CMD_GC);
    ck_assert(back.mark_eligible);
    ck_assert_uint_eq(back.nkeys, 2);
    ck_assert_int_eq(back.keys[0].kind, CMD_KEY_JOB);
    ck_assert_str_eq(back.keys[0].namespace, "default");
    ck_assert_str_eq(back.keys[0].id, "web");
    ck_assert_ptr_null(back.keys[1].namespace);
    cmd_release(&back);
    for (size_t n = 0; n < b.len; n++) {
        struct err e2 = ERR_INIT;

        ck_assert_int_ne(cmd_decode(b.data, n, &back, &e2), 0);
    }
    cmd_release(&c);
    buf_release(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fsm_nodeops");
    TCase *tc = test_tcase("fsm_nodeops");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, eligibility_changes_and_records_an_event);
    tcase_add_test(tc, drain_set_updated_and_cancelled);
    tcase_add_test(tc, drainer_completion_keeps_the_node_ineligible);
    tcase_add_test(tc, registering_again_keeps_the_drain);
    tcase_add_test(tc, unknown_node_changes_nothing);
    tcase_add_test(tc, transition_marks_allocs_and_queues_evals);
    tcase_add_test(tc, gc_deletes_records);
    tcase_add_test(tc, keys_survive_the_codec_and_truncation_fails);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
