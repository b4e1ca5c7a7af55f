/*
 * Tests of the LMDB state store on a temporary directory: versions and
 * indexes, secondary indexes, prefix scans, snapshots isolated from later
 * writes, aborts, and durability across close/open.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "tests/harness/test.h"

static char *dir;
static struct state_store *store;
static uint64_t next_index;

static void setup(void)
{
    struct err err = ERR_INIT;
    struct state_options opts = {.no_sync = true};

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

static struct job *make_job(const char *id, const char *image)
{
    struct job *job = job_new();
    struct task_group *g;
    struct task *t;

    model_set_str(&job->id, id);
    model_set_str(&job->name, id);
    model_set_str(&job->namespace, "default");
    model_set_str(&job->type, "service");
    g = job_add_group(job);
    model_set_str(&g->name, "web");
    g->count = 1;
    t = task_group_add_task(g);
    model_set_str(&t->name, "server");
    model_set_str(&t->driver, "raw_exec");
    t->config = json_pack("{s:s}", "command", image);
    return job;
}

/* Applies one log entry that stores job. */
static void put_job(struct job *job)
{
    struct err err = ERR_INIT;
    struct state_txn *txn;

    ck_assert_int_eq(state_write_begin(store, next_index++, &txn, &err), 0);
    ck_assert_msg(state_upsert_job(txn, job, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(state_write_commit(txn, &err), 0);
}

static void put_alloc(const char *id, const char *node, const char *job)
{
    struct err err = ERR_INIT;
    struct state_txn *txn;
    struct alloc a;

    alloc_init(&a);
    model_set_str(&a.id, id);
    model_set_str(&a.node_id, node);
    model_set_str(&a.job_id, job);
    model_set_str(&a.namespace, "default");
    model_set_str(&a.task_group, "web");
    ck_assert_int_eq(state_write_begin(store, next_index++, &txn, &err), 0);
    ck_assert_msg(state_upsert_alloc(txn, &a, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(state_write_commit(txn, &err), 0);
    alloc_release(&a);
}

START_TEST(job_versions_and_indexes)
{
    struct err err = ERR_INIT;
    struct state_snap *snap;
    struct job *job = make_job("web", "/bin/a");
    struct job got;

    put_job(job);
    ck_assert_int_eq(job->version, 0);
    ck_assert_int_eq(job->create_index, 1);
    /* Same spec again: a new modify index, not a new version. */
    put_job(job);
    ck_assert_int_eq(job->version, 0);
    ck_assert_int_eq(job->modify_index, 2);
    ck_assert_int_eq(job->job_modify_index, 1);
    json_object_set_new(job->groups[0].tasks[0].config, "command",
                        json_string("/bin/b"));
    put_job(job);
    ck_assert_int_eq(job->version, 1);
    ck_assert_int_eq(job->job_modify_index, 3);
    ck_assert_int_eq(job->create_index, 1);

    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_uint_eq(state_snap_last_index(snap), 3);
    ck_assert_uint_eq(state_snap_table_index(snap, STATE_JOBS), 3);
    ck_assert_uint_eq(state_snap_table_index(snap, STATE_ALLOCS), 0);
    job_init(&got);
    ck_assert_int_eq(state_get_job(snap, "default", "web", &got, &err), 0);
    ck_assert(job_equal(&got, job));
    job_release(&got);
    job_init(&got);
    ck_assert_int_eq(
        state_get_job_version(snap, "default", "web", 0, &got, &err), 0);
    ck_assert_str_eq(json_string_value(json_object_get(
                         got.groups[0].tasks[0].config, "command")),
                     "/bin/a");
    job_release(&got);
    job_init(&got);
    ck_assert_int_eq(state_get_job(snap, "default", "nope", &got, &err),
                     ERR_NOT_FOUND);
    ck_assert_str_eq(err.msg, "job not found");
    job_release(&got);
    state_snap_release(snap);
    job_free(job);
}
END_TEST

static int count_cb(const void *rec, void *arg)
{
    (void)rec;
    (*(int *)arg)++;
    return 0;
}

static int count_jobs(const struct job *j, void *arg)
{
    return count_cb(j, arg);
}

static int count_allocs(const struct alloc *a, void *arg)
{
    return count_cb(a, arg);
}

START_TEST(only_six_versions_are_kept)
{
    struct err err = ERR_INIT;
    struct state_snap *snap;
    struct job *job = make_job("web", "/bin/0");
    int n = 0;

    for (int i = 0; i < 10; i++) {
        char cmd[16];

        snprintf(cmd, sizeof(cmd), "/bin/%d", i);
        json_object_set_new(job->groups[0].tasks[0].config, "command",
                            json_string(cmd));
        put_job(job);
    }
    ck_assert_int_eq(job->version, 9);
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_int_eq(
        state_each_job_version(snap, "default", "web", count_jobs, &n, &err),
        0);
    ck_assert_int_eq(n, 6);
    state_snap_release(snap);
    job_free(job);
}
END_TEST

START_TEST(prefix_scans_respect_boundaries)
{
    struct err err = ERR_INIT;
    struct state_snap *snap;
    const char *ids[] = {"web", "web2", "worker", "api"};
    int n = 0;

    for (size_t i = 0; i < 4; i++) {
        struct job *job = make_job(ids[i], "/bin/x");

        put_job(job);
        job_free(job);
    }
    put_alloc("a1", "node1", "web");
    put_alloc("a2", "node10", "web");
    put_alloc("a3", "node1", "web2");
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_int_eq(state_each_job(snap, "default", "w", count_jobs, &n, &err),
                     0);
    ck_assert_int_eq(n, 3);
    n = 0;
    ck_assert_int_eq(state_each_job(snap, NULL, "web", count_jobs, &n, &err),
                     0);
    ck_assert_int_eq(n, 2);
    n = 0;
    /* node1 must not pick up node10's allocs. */
    ck_assert_int_eq(
        state_each_alloc_by_node(snap, "node1", count_allocs, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    n = 0;
    /* Nor job web the allocs of job web2. */
    ck_assert_int_eq(
        state_each_alloc_by_job(snap, "default", "web", count_allocs, &n, &err),
        0);
    ck_assert_int_eq(n, 2);
    state_snap_release(snap);
}
END_TEST

START_TEST(snapshot_is_isolated_and_abort_drops)
{
    struct err err = ERR_INIT;
    struct state_snap *before, *after;
    struct state_txn *txn;
    struct job *job = make_job("web", "/bin/x");
    int n = 0;

    put_alloc("a1", "node1", "web");
    ck_assert_int_eq(state_snapshot(store, &before, &err), 0);
    put_alloc("a2", "node1", "web");
    ck_assert_int_eq(state_write_begin(store, next_index, &txn, &err), 0);
    ck_assert_int_eq(state_upsert_job(txn, job, &err), 0);
    state_write_abort(txn);
    ck_assert_int_eq(state_each_alloc(before, "", count_allocs, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(state_snapshot(store, &after, &err), 0);
    n = 0;
    ck_assert_int_eq(state_each_alloc(after, "", count_allocs, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    n = 0;
    ck_assert_int_eq(state_each_job(after, NULL, "", count_jobs, &n, &err), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(state_snap_last_index(after), 2);
    state_snap_release(before);
    state_snap_release(after);
    job_free(job);
}
END_TEST

START_TEST(alloc_moves_between_node_indexes_and_deletes)
{
    struct err err = ERR_INIT;
    struct state_snap *snap;
    struct state_txn *txn;
    int n = 0;

    put_alloc("a1", "node1", "web");
    put_alloc("a1", "node2", "web");
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_int_eq(
        state_each_alloc_by_node(snap, "node1", count_allocs, &n, &err), 0);
    ck_assert_int_eq(n, 0);
    state_snap_release(snap);
    ck_assert_int_eq(state_write_begin(store, next_index++, &txn, &err), 0);
    ck_assert_int_eq(state_delete_alloc(txn, "a1", &err), 0);
    ck_assert_int_eq(state_delete_alloc(txn, "a1", &err), ERR_NOT_FOUND);
    ck_assert_int_eq(state_write_commit(txn, &err), 0);
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_int_eq(
        state_each_alloc_by_node(snap, "node2", count_allocs, &n, &err), 0);
    ck_assert_int_eq(
        state_each_alloc_by_job(snap, "default", "web", count_allocs, &n, &err),
        0);
    ck_assert_int_eq(n, 0);
    state_snap_release(snap);
}
END_TEST

START_TEST(survives_reopen)
{
    struct err err = ERR_INIT;
    struct state_options opts = {.no_sync = false};
    struct state_snap *snap;
    struct job *job = make_job("web", "/bin/x");
    struct job got;

    put_job(job);
    put_alloc("a1", "node1", "web");
    state_close(store);
    ck_assert_int_eq(state_open(dir, &opts, &store, &err), 0);
    ck_assert_int_eq(state_snapshot(store, &snap, &err), 0);
    ck_assert_uint_eq(state_snap_last_index(snap), 2);
    job_init(&got);
    ck_assert_int_eq(state_get_job(snap, "default", "web", &got, &err), 0);
    ck_assert(job_equal(&got, job));
    job_release(&got);
    state_snap_release(snap);
    job_free(job);
}
END_TEST

START_TEST(applying_an_old_index_is_a_bug)
{
    struct err err = ERR_INIT;
    struct state_txn *txn;

    put_alloc("a1", "node1", "web");
    /* Index 1 was applied already: BUG_ON aborts (the test expects it). */
    state_write_begin(store, 1, &txn, &err);
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("server_state");
    TCase *tc = test_tcase("state");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, job_versions_and_indexes);
    tcase_add_test(tc, only_six_versions_are_kept);
    tcase_add_test(tc, prefix_scans_respect_boundaries);
    tcase_add_test(tc, snapshot_is_isolated_and_abort_drops);
    tcase_add_test(tc, alloc_moves_between_node_indexes_and_deletes);
    tcase_add_test(tc, survives_reopen);
    tcase_add_test_raise_signal(tc, applying_an_old_index_is_a_bug, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(state_suite)
