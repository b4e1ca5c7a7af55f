/* The eval broker core, driven in virtual time (plain millisecond values). */
#include <stdio.h>
#include <string.h>

#include "agent/server/eval_broker.h"
#include "lib/err.h"
#include "lib/rand.h"
#include "tests/harness/test.h"

static const char *const all_types[] = {"service", "batch", "system", NULL};

static struct broker_eval ev(const char *id,
                             const char *job,
                             const char *type,
                             int64_t prio,
                             uint64_t index)
{
    struct broker_eval e;

    memset(&e, 0, sizeof(e));
    snprintf(e.id, sizeof(e.id), "%s", id);
    snprintf(e.job_key, sizeof(e.job_key), "default/%s", job);
    snprintf(e.type, sizeof(e.type), "%s", type);
    e.priority = prio;
    e.create_index = index;
    return e;
}

START_TEST(priority_then_age)
{
    struct eval_broker *b = broker_new(NULL);
    struct broker_eval e1 = ev("a", "j1", "service", 50, 1);
    struct broker_eval e2 = ev("b", "j2", "service", 70, 2);
    struct broker_eval e3 = ev("c", "j3", "batch", 50, 0);
    struct broker_eval out;
    uint64_t tok;

    broker_enqueue(b, &e1, 0);
    broker_enqueue(b, &e2, 0);
    broker_enqueue(b, &e3, 0);
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    ck_assert_str_eq(out.id, "b");
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    ck_assert_str_eq(out.id, "c"); /* same priority: the older first */
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    ck_assert_str_eq(out.id, "a");
    ck_assert(!broker_dequeue(b, all_types, 0, &out, &tok));
    broker_free(b);
}
END_TEST

START_TEST(types_filter)
{
    static const char *const only_batch[] = {"batch", NULL};
    struct eval_broker *b = broker_new(NULL);
    struct broker_eval e1 = ev("a", "j1", "service", 50, 1);
    struct broker_eval out;
    uint64_t tok;

    broker_enqueue(b, &e1, 0);
    ck_assert(!broker_dequeue(b, only_batch, 0, &out, &tok));
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    broker_free(b);
}
END_TEST

START_TEST(one_eval_per_job_and_newest_waits)
{
    struct eval_broker *b = broker_new(NULL);
    struct broker_eval e1 = ev("a", "web", "service", 50, 1);
    struct broker_eval e2 = ev("b", "web", "service", 50, 2);
    struct broker_eval e3 = ev("c", "web", "service", 50, 3);
    struct broker_eval out;
    struct broker_stats st;
    uint64_t tok;
    char id[40];

    broker_enqueue(b, &e1, 0);
    broker_enqueue(b, &e2, 0);
    broker_enqueue(b, &e3, 0);
    ck_assert(broker_pop_canceled(b, id));
    ck_assert_str_eq(id, "b"); /* superseded by c */
    ck_assert(!broker_pop_canceled(b, id));
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    ck_assert_str_eq(out.id, "a");
    ck_assert(!broker_dequeue(b, all_types, 0, &out, &tok));
    broker_stats(b, &st);
    ck_assert_uint_eq(st.unacked, 1);
    ck_assert_uint_eq(st.blocked_by_job, 1);
    ck_assert_int_eq(broker_ack(b, "a", tok, 0), 0);
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    ck_assert_str_eq(out.id, "c");
    ck_assert_int_eq(broker_ack(b, "c", tok, 0), 0);
    broker_stats(b, &st);
    ck_assert_uint_eq(st.ready + st.unacked + st.blocked_by_job + st.delayed,
                      0);
    broker_free(b);
}
END_TEST

START_TEST(wrong_token_and_unknown)
{
    struct eval_broker *b = broker_new(NULL);
    struct broker_eval e1 = ev("a", "web", "service", 50, 1);
    struct broker_eval out;
    uint64_t tok;

    broker_enqueue(b, &e1, 0);
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    ck_assert_int_eq(broker_ack(b, "a", tok + 1, 0), ERR_STATE);
    ck_assert_int_eq(broker_ack(b, "zz", tok, 0), ERR_NOT_FOUND);
    ck_assert_int_eq(broker_ack(b, "a", tok, 0), 0);
    ck_assert_int_eq(broker_ack(b, "a", tok, 0), ERR_NOT_FOUND);
    broker_free(b);
}
END_TEST

START_TEST(nack_requeues_after_delay_then_fails)
{
    struct broker_options o = {1000, 3, 500};
    struct eval_broker *b = broker_new(&o);
    struct broker_eval e1 = ev("a", "web", "service", 50, 1);
    struct broker_eval out;
    uint64_t tok, now = 0;
    char id[40];

    broker_enqueue(b, &e1, now);
    for (int i = 0; i < 3; i++) {
        ck_assert(broker_dequeue(b, all_types, now, &out, &tok));
        ck_assert_int_eq(broker_nack(b, "a", tok, now), 0);
        ck_assert(!broker_dequeue(b, all_types, now + 499, &out, &tok));
        now += 500;
    }
    ck_assert(!broker_dequeue(b, all_types, now, &out, &tok));
    ck_assert(broker_pop_failed(b, id));
    ck_assert_str_eq(id, "a");
    broker_free(b);
}
END_TEST

START_TEST(unacked_times_out_and_touch_extends)
{
    struct broker_options o = {1000, 5, 100};
    struct eval_broker *b = broker_new(&o);
    struct broker_eval e1 = ev("a", "web", "service", 50, 1);
    struct broker_eval out;
    uint64_t tok;

    broker_enqueue(b, &e1, 0);
    ck_assert(broker_dequeue(b, all_types, 0, &out, &tok));
    ck_assert_uint_eq(broker_step(b, 10), 1000);
    ck_assert_int_eq(broker_touch(b, "a", tok, 900), 0);
    ck_assert_uint_eq(broker_step(b, 1000), 1900);
    ck_assert_uint_eq(broker_step(b, 1900), 2000); /* taken back, delayed */
    ck_assert_int_eq(broker_ack(b, "a", tok, 1900), ERR_STATE);
    ck_assert(broker_dequeue(b, all_types, 2000, &out, &tok));
    ck_assert_int_eq(broker_ack(b, "a", tok, 2000), 0);
    broker_free(b);
}
END_TEST

START_TEST(wait_until_delays)
{
    struct eval_broker *b = broker_new(NULL);
    struct broker_eval e1 = ev("a", "web", "service", 50, 1);
    struct broker_eval out;
    uint64_t tok;

    e1.wait_until_ms = 5000;
    broker_enqueue(b, &e1, 0);
    ck_assert_uint_eq(broker_step(b, 0), 5000);
    ck_assert(!broker_dequeue(b, all_types, 4999, &out, &tok));
    ck_assert(broker_dequeue(b, all_types, 5000, &out, &tok));
    broker_free(b);
}
END_TEST

/* Random workloads: every enqueued eval ends acked, failed or canceled. */
START_TEST(random_workload_conserves_evals)
{
    struct broker_options o = {200, 3, 50};
    struct eval_broker *b = broker_new(&o);
    struct rng r;
    struct broker_eval out;
    struct broker_stats st;
    uint64_t now = 0, tok;
    int enq = 0, acked = 0, failed = 0, canceled = 0;
    char id[40];

    rng_seed(&r, test_seed());
    for (int step = 0; step < 5000; step++) {
        now += rng_below(&r, 20);
        if (rng_below(&r, 3) == 0) {
            char eid[40], job[16];
            struct broker_eval e;

            snprintf(eid, sizeof(eid), "e%d", enq);
            snprintf(job, sizeof(job), "j%d", (int)rng_below(&r, 10));
            e = ev(eid, job, rng_below(&r, 2) ? "service" : "batch",
                   (int64_t)rng_below(&r, 100), (uint64_t)enq);
            broker_enqueue(b, &e, now);
            enq++;
        }
        if (broker_dequeue(b, all_types, now, &out, &tok)) {
            switch (rng_below(&r, 4)) {
            case 0:
                ck_assert_int_eq(broker_nack(b, out.id, tok, now), 0);
                break;
            case 1: /* the worker dies: the timeout takes it back */
                break;
            default:
                ck_assert_int_eq(broker_ack(b, out.id, tok, now), 0);
                acked++;
            }
        }
        while (broker_pop_failed(b, id))
            failed++;
        while (broker_pop_canceled(b, id))
            canceled++;
    }
    /* Drain: ack everything left. */
    for (int i = 0; i < 100000; i++) {
        now += 50;
        if (broker_dequeue(b, all_types, now, &out, &tok)) {
            ck_assert_int_eq(broker_ack(b, out.id, tok, now), 0);
            acked++;
        }
        while (broker_pop_failed(b, id))
            failed++;
        while (broker_pop_canceled(b, id))
            canceled++;
        broker_stats(b, &st);
        if (st.ready + st.unacked + st.blocked_by_job + st.delayed == 0)
            break;
    }
    broker_stats(b, &st);
    ck_assert_uint_eq(st.ready + st.unacked + st.blocked_by_job + st.delayed,
                      0);
    ck_assert_int_eq(acked + failed + canceled, enq);
    broker_free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("eval_broker");
    TCase *tc = test_tcase("eval_broker");

    tcase_add_test(tc, priority_then_age);
    tcase_add_test(tc, types_filter);
    tcase_add_test(tc, one_eval_per_job_and_newest_waits);
    tcase_add_test(tc, wrong_token_and_unknown);
    tcase_add_test(tc, nack_requeues_after_delay_then_fails);
    tcase_add_test(tc, unacked_times_out_and_touch_extends);
    tcase_add_test(tc, wait_until_delays);
    tcase_add_test(tc, random_workload_conserves_evals);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
