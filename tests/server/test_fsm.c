/*
 * The command log and the FSM: commands survive encoding and the log,
 * each command changes the state as Nomad's does, and replaying the log
 * after a crash between append and apply restores what was acknowledged.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/fsm.h"
#include "agent/server/log.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_mp.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "tests/harness/test.h"

static char *dir;
static struct state_store *store;
static uint64_t next_index;

static void setup(void)
{
    struct state_options opts = {0, true};
    struct err err = ERR_INIT;

    dir = test_tmpdir();
    ck_assert_msg(state_open(dir, &opts, &store, &err) == 0, "%s", err.msg);
    next_index = 1;
}

static void teardown(void)
{
    state_close(store);
    test_rmtree(dir);
    free(dir);
}

static struct job *make_job(const char *id, const char *type)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    job->id = xstrdup(id);
    job->type = xstrdup(type);
    g = job_add_group(job);
    g->name = xstrdup("g");
    t = task_group_add_task(g);
    t->name = xstrdup("t");
    t->driver = xstrdup("raw_exec");
    job_canonicalize(job);
    return job;
}

static struct eval *make_eval(const char *id, const char *job, const char *st)
{
    struct eval *e = eval_new();

    e->id = xstrdup(id);
    e->namespace = xstrdup("default");
    e->job_id = xstrdup(job);
    e->type = xstrdup("service");
    e->triggered_by = xstrdup("job-register");
    e->status = xstrdup(st);
    e->priority = 50;
    return e;
}

static struct alloc *make_alloc(const char *id, const char *job)
{
    struct alloc *a = alloc_new();

    a->id = xstrdup(id);
    a->namespace = xstrdup("default");
    a->job_id = xstrdup(job);
    a->task_group = xstrdup("g");
    a->node_id = xstrdup("n1");
    a->name = xasprintf("%s.g[0]", job);
    a->desired_status = xstrdup("run");
    a->client_status = xstrdup("pending");
    return a;
}

/* Encodes, decodes (as the log would) and applies c; returns effects. */
static void apply(struct cmd *c, struct fsm_effects *fx)
{
    struct buf b = BUF_INIT;
    struct cmd back;
    struct err err = ERR_INIT;

    c->now_unix_ns = 1700000000000000000 + (int64_t)next_index;
    cmd_encode(c, &b);
    ck_assert_msg(cmd_decode(b.data, b.len, &back, &err) == 0, "%s", err.msg);
    memset(fx, 0, sizeof(*fx));
    ck_assert_msg(fsm_apply(store, next_index++, &back, fx, &err) == 0, "%s",
                  err.msg);
    cmd_release(&back);
    cmd_release(c);
    buf_release(&b);
}

static struct job *get_job(const char *id)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct job *job = job_new();
    int rc;

    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    rc = state_get_job(snap, "default", id, job, &err);
    state_snap_release(snap);
    if (rc != 0) {
        job_free(job);
        return NULL;
    }
    return job;
}

static void register_job(const char *id, const char *type)
{
    struct cmd c;
    struct fsm_effects fx;

    cmd_init(&c, CMD_JOB_REGISTER);
    c.job = make_job(id, type);
    cmd_add_eval(&c, make_eval("e1", id, "pending"));
    apply(&c, &fx);
    ck_assert_uint_eq(fx.nready_evals, 1);
    ck_assert_str_eq(fx.ready_evals[0], "e1");
    fsm_effects_release(&fx);
}

START_TEST(cmd_round_trip_and_truncation)
{
    struct cmd c, back;
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;

    cmd_init(&c, CMD_PLAN_RESULT);
    c.now_unix_ns = 42;
    c.id = xstrdup("web");
    cmd_add_alloc(&c, make_alloc("a1", "web"));
    cmd_add_eval(&c, make_eval("e1", "web", "complete"));
    cmd_add_stop(&c, "a0", "stop", "alloc not needed", NULL);
    cmd_encode(&c, &b);
    ck_assert_int_eq(cmd_decode(b.data, b.len, &back, &err), 0);
    ck_assert_int_eq(back.type, CMD_PLAN_RESULT);
    ck_assert_int_eq(back.now_unix_ns, 42);
    ck_assert_uint_eq(back.nallocs, 1);
    ck_assert(alloc_equal(back.allocs[0], c.allocs[0]));
    ck_assert(eval_equal(back.evals[0], c.evals[0]));
    ck_assert_str_eq(back.stops[0].description, "alloc not needed");
    cmd_release(&back);
    for (size_t n = 0; n < b.len; n++) {
        struct err e2 = ERR_INIT;

        ck_assert_int_ne(cmd_decode(b.data, n, &back, &e2), 0);
    }
    cmd_release(&c);
    buf_release(&b);
}
END_TEST

static int count_entries(uint64_t index,
                         const void *data,
                         size_t len,
                         void *arg)
{
    int *seen = arg;

    ck_assert_uint_eq(index, (uint64_t)*seen + 2);
    ck_assert_uint_eq(len, index == 2 ? 3 : 5);
    ck_assert_int_eq(memcmp(data, index == 2 ? "two" : "three", len), 0);
    (*seen)++;
    return 0;
}

START_TEST(log_appends_and_survives_reopen)
{
    char *ldir = xasprintf("%s/log", dir);
    struct cmd_log *log;
    struct err err = ERR_INIT;
    uint64_t idx;
    int seen = 0;

    ck_assert_int_eq(cmdlog_open(ldir, false, &log, &err), 0);
    ck_assert_int_eq(cmdlog_append(log, "one", 3, &idx, &err), 0);
    ck_assert_uint_eq(idx, 1);
    ck_assert_int_eq(cmdlog_append(log, "two", 3, &idx, &err), 0);
    ck_assert_uint_eq(idx, 2);
    cmdlog_close(log);
    ck_assert_int_eq(cmdlog_open(ldir, false, &log, &err), 0);
    ck_assert_uint_eq(cmdlog_last_index(log), 2);
    ck_assert_int_eq(cmdlog_append(log, "three", 5, &idx, &err), 0);
    ck_assert_uint_eq(idx, 3);
    cmdlog_close(log);
    ck_assert_int_eq(cmdlog_open(ldir, false, &log, &err), 0);
    ck_assert_int_eq(cmdlog_replay(log, 1, count_entries, &seen, &err), 0);
    ck_assert_int_eq(seen, 2); /* entries 2 and 3, in order */
    cmdlog_close(log);
    free(ldir);
}
END_TEST

static int collect_entries(uint64_t index,
                           const void *data,
                           size_t len,
                           void *arg)
{
    struct buf *b = arg;

    buf_printf(b, "%llu:%.*s ", (unsigned long long)index, (int)len,
               (const char *)data);
    return 0;
}

/* A batch takes consecutive indexes after what is there, in its order. */
START_TEST(log_batch_appends_in_order)
{
    char *ldir = xasprintf("%s/log", dir);
    struct cmdlog_entry batch[3] = {{"b", 1}, {"c", 1}, {"d", 1}};
    struct cmd_log *log;
    struct err err = ERR_INIT;
    struct buf seen = BUF_INIT;
    uint64_t idx;

    ck_assert_int_eq(cmdlog_open(ldir, false, &log, &err), 0);
    ck_assert_int_eq(cmdlog_append(log, "a", 1, &idx, &err), 0);
    ck_assert_int_eq(cmdlog_append_batch(log, batch, 3, &idx, &err), 0);
    ck_assert_uint_eq(idx, 2);
    ck_assert_uint_eq(cmdlog_last_index(log), 4);
    cmdlog_close(log);
    ck_assert_int_eq(cmdlog_open(ldir, false, &log, &err), 0);
    ck_assert_uint_eq(cmdlog_last_index(log), 4);
    ck_assert_int_eq(cmdlog_replay(log, 0, collect_entries, &seen, &err), 0);
    ck_assert_str_eq(buf_str(&seen), "1:a 2:b 3:c 4:d ");
    cmdlog_close(log);
    buf_release(&seen);
    free(ldir);
}
END_TEST

START_TEST(register_then_place_then_complete)
{
    struct cmd c;
    struct fsm_effects fx;
    struct job *job;
    struct alloc *a;

    register_job("web", "batch");
    job = get_job("web");
    ck_assert_str_eq(job->status, "pending");
    ck_assert_int_eq(job->version, 0);
    job_free(job);

    cmd_init(&c, CMD_PLAN_RESULT);
    cmd_add_alloc(&c, make_alloc("a1", "web"));
    {
        struct eval *e = make_eval("e1", "web", "complete");

        cmd_add_eval(&c, e);
    }
    apply(&c, &fx);
    fsm_effects_release(&fx);
    job = get_job("web");
    ck_assert_str_eq(job->status, "running");
    job_free(job);

    cmd_init(&c, CMD_ALLOC_CLIENT_UPDATE);
    a = alloc_new();
    a->id = xstrdup("a1");
    a->client_status = xstrdup("complete");
    cmd_add_alloc(&c, a);
    apply(&c, &fx);
    ck_assert(fx.capacity_changed);
    fsm_effects_release(&fx);
    job = get_job("web");
    ck_assert_str_eq(job->status, "dead");
    job_free(job);
}
END_TEST

START_TEST(stop_bumps_version_and_purge_deletes)
{
    struct cmd c;
    struct fsm_effects fx;
    struct job *job;

    register_job("web", "service");
    cmd_init(&c, CMD_JOB_DEREGISTER);
    c.namespace = xstrdup("default");
    c.id = xstrdup("web");
    cmd_add_eval(&c, make_eval("e2", "web", "pending"));
    apply(&c, &fx);
    ck_assert_uint_eq(fx.nready_evals, 1);
    fsm_effects_release(&fx);
    job = get_job("web");
    ck_assert(tri_is_true(job->stop));
    ck_assert_int_eq(job->version, 1);
    job_free(job);

    cmd_init(&c, CMD_JOB_DEREGISTER);
    c.namespace = xstrdup("default");
    c.id = xstrdup("web");
    c.purge = true;
    apply(&c, &fx);
    fsm_effects_release(&fx);
    ck_assert_ptr_null(get_job("web"));
}
END_TEST

START_TEST(plan_stop_marks_alloc_lost)
{
    struct cmd c;
    struct fsm_effects fx;
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct alloc a;

    register_job("web", "service");
    cmd_init(&c, CMD_PLAN_RESULT);
    cmd_add_alloc(&c, make_alloc("a1", "web"));
    apply(&c, &fx);
    fsm_effects_release(&fx);
    cmd_init(&c, CMD_PLAN_RESULT);
    cmd_add_stop(&c, "a1", "stop", "alloc is lost since its node is down",
                 "lost");
    cmd_add_stop(&c, "gone", "stop", "x", NULL); /* already collected */
    apply(&c, &fx);
    ck_assert(fx.capacity_changed);
    fsm_effects_release(&fx);
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    alloc_init(&a);
    ck_assert_int_eq(state_get_alloc(snap, "a1", &a, &err), 0);
    ck_assert_str_eq(a.client_status, "lost");
    ck_assert_str_eq(a.desired_status, "stop");
    ck_assert_str_eq(a.desired_description,
                     "alloc is lost since its node is down");
    alloc_release(&a);
    state_snap_release(snap);
}
END_TEST

START_TEST(node_register_and_status)
{
    struct cmd c;
    struct fsm_effects fx;
    struct state_snap *snap;
    struct err err = ERR_INIT;
    struct node n;

    cmd_init(&c, CMD_NODE_REGISTER);
    c.node = node_new();
    c.node->id = xstrdup("n1");
    c.node->name = xstrdup("laptop");
    c.node->status = xstrdup("ready");
    apply(&c, &fx);
    ck_assert(fx.capacity_changed);
    fsm_effects_release(&fx);
    cmd_init(&c, CMD_NODE_STATUS);
    c.id = xstrdup("n1");
    c.status = xstrdup("down");
    apply(&c, &fx);
    ck_assert(!fx.capacity_changed);
    fsm_effects_release(&fx);
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    node_init(&n);
    ck_assert_int_eq(state_get_node(snap, "n1", &n, &err), 0);
    ck_assert_str_eq(n.status, "down");
    ck_assert_int_gt(n.status_updated_at_unix, 0);
    node_release(&n);
    state_snap_release(snap);
}
END_TEST

START_TEST(failed_command_still_takes_its_index)
{
    struct cmd c;
    struct fsm_effects fx;
    struct state_snap *snap;
    struct err err = ERR_INIT;

    cmd_init(&c, CMD_JOB_DEREGISTER);
    c.namespace = xstrdup("default");
    c.id = xstrdup("nope");
    apply(&c, &fx);
    ck_assert_uint_eq(fx.nready_evals, 0);
    fsm_effects_release(&fx);
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_uint_eq(state_snap_last_index(snap), next_index - 1);
    state_snap_release(snap);
}
END_TEST

struct replay_ctx
{
    struct state_store *s;
    int applied;
};

static int replay_one(uint64_t index, const void *data, size_t len, void *arg)
{
    struct replay_ctx *rc = arg;
    struct err err = ERR_INIT;
    struct fsm_effects fx = {0};
    struct cmd c;

    ck_assert_int_eq(cmd_decode(data, len, &c, &err), 0);
    ck_assert_int_eq(fsm_apply(rc->s, index, &c, &fx, &err), 0);
    fsm_effects_release(&fx);
    cmd_release(&c);
    rc->applied++;
    return 0;
}

/* A crash after the log commit but before the FSM applied the entry. */
START_TEST(replay_restores_acknowledged_commands)
{
    char *ldir = xasprintf("%s/log", dir);
    struct cmd_log *log;
    struct err err = ERR_INIT;
    struct replay_ctx rc = {store, 0};
    struct state_snap *snap;
    struct buf b = BUF_INIT;
    uint64_t idx;
    struct job *job;

    ck_assert_int_eq(cmdlog_open(ldir, false, &log, &err), 0);
    for (int i = 0; i < 3; i++) {
        struct cmd c;
        char id[16];

        snprintf(id, sizeof(id), "job%d", i);
        cmd_init(&c, CMD_JOB_REGISTER);
        c.job = make_job(id, "service");
        buf_reset(&b);
        cmd_encode(&c, &b);
        cmd_release(&c);
        ck_assert_int_eq(cmdlog_append(log, b.data, b.len, &idx, &err), 0);
        if (i == 0) { /* only the first was applied before the "crash" */
            ck_assert_int_eq(replay_one(idx, b.data, b.len, &rc), 0);
        }
    }
    cmdlog_close(log);
    ck_assert_int_eq(cmdlog_open(ldir, false, &log, &err), 0);
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    idx = state_snap_last_index(snap);
    state_snap_release(snap);
    ck_assert_uint_eq(idx, 1);
    ck_assert_int_eq(cmdlog_replay(log, idx, replay_one, &rc, &err), 0);
    ck_assert_int_eq(rc.applied, 3);
    job = get_job("job2");
    ck_assert_ptr_nonnull(job);
    job_free(job);
    cmdlog_close(log);
    buf_release(&b);
    free(ldir);
}
END_TEST

/* -------------------------------------------------------- group commit */

/*
 * The batch test's commands: registrations, a placement, a command that
 * cannot apply (takes its index, changes nothing) and one that fails in
 * storage halfway (its job was written before its eval's empty key was
 * refused: the job must not stay).
 */
static size_t batch_cmds(struct cmd *cmds)
{
    size_t n = 0;

    cmd_init(&cmds[n], CMD_JOB_REGISTER);
    cmds[n].job = make_job("web", "service");
    cmd_add_eval(&cmds[n++], make_eval("e1", "web", "pending"));
    cmd_init(&cmds[n], CMD_JOB_DEREGISTER);
    cmds[n].namespace = xstrdup("default");
    cmds[n++].id = xstrdup("nope");
    cmd_init(&cmds[n], CMD_JOB_REGISTER);
    cmds[n].job = make_job("half", "service");
    cmd_add_eval(&cmds[n++], make_eval("", "half", "pending"));
    cmd_init(&cmds[n], CMD_PLAN_RESULT);
    cmd_add_alloc(&cmds[n], make_alloc("a1", "web"));
    cmd_add_eval(&cmds[n++], make_eval("e1", "web", "complete"));
    cmd_init(&cmds[n], CMD_JOB_REGISTER);
    cmds[n].job = make_job("web", "batch"); /* a new version */
    cmd_add_eval(&cmds[n++], make_eval("e2", "web", "pending"));
    for (size_t i = 0; i < n; i++)
        cmds[i].now_unix_ns = 1700000000000000000 + (int64_t)i;
    return n;
}

static int dump_job(const struct job *job, void *arg)
{
    job_encode_mp(job, arg);
    return 0;
}

static int dump_eval(const struct eval *e, void *arg)
{
    eval_encode_mp(e, arg);
    return 0;
}

static int dump_alloc(const struct alloc *a, void *arg)
{
    alloc_encode_mp(a, arg);
    return 0;
}

/* Every record and index of a store, as bytes to compare. */
static void dump_store(struct state_store *s, struct buf *out)
{
    struct state_snap *snap;
    struct err err = ERR_INIT;

    ck_assert_int_eq(state_snapshot(s, &snap, &err), 0);
    buf_printf(out, "last=%llu",
               (unsigned long long)state_snap_last_index(snap));
    for (int t = 0; t < STATE_NTABLES; t++)
        buf_printf(out, " %llu",
                   (unsigned long long)state_snap_table_index(
                       snap, (enum state_table)t));
    ck_assert_int_eq(state_each_job(snap, NULL, "", dump_job, out, &err), 0);
    ck_assert_int_eq(
        state_each_job_version(snap, "default", "web", dump_job, out, &err), 0);
    ck_assert_int_eq(state_each_eval(snap, "", dump_eval, out, &err), 0);
    ck_assert_int_eq(state_each_alloc(snap, "", dump_alloc, out, &err), 0);
    state_snap_release(snap);
}

START_TEST(batch_applies_like_one_by_one)
{
    struct cmd one[8], batch[8];
    struct fsm_entry single[8], entries[8];
    struct state_options opts = {0, true};
    struct state_store *other;
    struct buf a = BUF_INIT, b = BUF_INIT;
    struct err err = ERR_INIT;
    char *odir = xasprintf("%s/batch", dir);
    size_t n = batch_cmds(one);

    ck_assert_uint_eq(batch_cmds(batch), n);
    memset(single, 0, sizeof(single));
    memset(entries, 0, sizeof(entries));
    for (size_t i = 0; i < n; i++) {
        single[i].index = entries[i].index = 10 + i;
        entries[i].cmd = &batch[i];
        single[i].rc = fsm_apply(store, single[i].index, &one[i], &single[i].fx,
                                 &single[i].err);
    }
    ck_assert_msg(state_open(odir, &opts, &other, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fsm_apply_batch(other, entries, n, &err), 0);

    /* Each entry got what applying it alone gave it. */
    ck_assert_int_eq(single[1].rc, 0); /* not applied, index taken */
    ck_assert_int_ne(single[2].rc, 0); /* storage error: entry dropped */
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(entries[i].rc, single[i].rc);
        ck_assert_uint_eq(entries[i].fx.tables_changed,
                          single[i].fx.tables_changed);
        ck_assert_uint_eq(entries[i].fx.nready_evals,
                          single[i].fx.nready_evals);
        ck_assert_int_eq(entries[i].fx.capacity_changed,
                         single[i].fx.capacity_changed);
        fsm_effects_release(&single[i].fx);
        fsm_effects_release(&entries[i].fx);
        cmd_release(&one[i]);
        cmd_release(&batch[i]);
    }
    ck_assert_uint_eq(entries[0].fx.tables_changed, 0); /* released */

    /* And the stores hold the same bytes. */
    dump_store(store, &a);
    dump_store(other, &b);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert(memcmp(a.data, b.data, a.len) == 0);
    ck_assert_ptr_null(get_job("half"));
    {
        struct job *job = get_job("web");

        ck_assert_int_eq(job->version, 1);
        ck_assert_int_eq(job->modify_index, 14);
        job_free(job);
    }
    state_close(other);
    buf_release(&a);
    buf_release(&b);
    free(odir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fsm");
    TCase *tc = test_tcase("fsm");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cmd_round_trip_and_truncation);
    tcase_add_test(tc, log_appends_and_survives_reopen);
    tcase_add_test(tc, log_batch_appends_in_order);
    tcase_add_test(tc, register_then_place_then_complete);
    tcase_add_test(tc, stop_bumps_version_and_purge_deletes);
    tcase_add_test(tc, plan_stop_marks_alloc_lost);
    tcase_add_test(tc, node_register_and_status);
    tcase_add_test(tc, failed_command_still_takes_its_index);
    tcase_add_test(tc, replay_restores_acknowledged_commands);
    tcase_add_test(tc, batch_applies_like_one_by_one);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
