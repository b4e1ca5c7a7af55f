/* The restart policy decisions of the task runner (pure, virtual time). */
#include <string.h>

#include "agent/client/restart.h"
#include "lib/model/job.h"
#include "lib/time.h"
#include "tests/harness/test.h"

static struct restart_policy policy(int64_t attempts,
                                    int64_t interval_s,
                                    int64_t delay_s,
                                    const char *mode)
{
    struct restart_policy p;

    restart_policy_init(&p);
    p.attempts = attempts;
    p.interval_ns = interval_s * NS_PER_SEC;
    p.delay_ns = delay_s * NS_PER_SEC;
    p.mode = (char *)mode;
    return p;
}

START_TEST(batch_success_completes)
{
    struct restart_policy p = policy(3, 86400, 15, "fail");
    struct restart_tracker t = {0, 0};
    struct restart_decision d;

    restart_decide(&p, true, 0, false, 1000, 0.0, &t, &d);
    ck_assert_int_eq(d.action, RESTART_COMPLETE);
}
END_TEST

START_TEST(service_success_restarts)
{
    struct restart_policy p = policy(2, 1800, 15, "fail");
    struct restart_tracker t = {0, 0};
    struct restart_decision d;

    restart_decide(&p, false, 0, false, 1000, 0.0, &t, &d);
    ck_assert_int_eq(d.action, RESTART_NOW);
    ck_assert_uint_eq(d.delay_ms, 15000);
}
END_TEST

START_TEST(attempts_then_fail_with_nomad_reason)
{
    struct restart_policy p = policy(2, 1800, 15, "fail");
    struct restart_tracker t = {0, 0};
    struct restart_decision d;
    int64_t now = 1000;

    for (int i = 0; i < 2; i++) {
        restart_decide(&p, false, 1, false, now, 0.0, &t, &d);
        ck_assert_int_eq(d.action, RESTART_NOW);
        now += 16000;
    }
    restart_decide(&p, false, 1, false, now, 0.0, &t, &d);
    ck_assert_int_eq(d.action, RESTART_FAIL);
    ck_assert_str_eq(d.reason, "Exceeded allowed attempts 2 in interval "
                               "30m0s and mode is \"fail\"");
}
END_TEST

START_TEST(new_interval_resets_the_count)
{
    struct restart_policy p = policy(1, 60, 5, "fail");
    struct restart_tracker t = {0, 0};
    struct restart_decision d;

    restart_decide(&p, false, 1, false, 1000, 0.0, &t, &d);
    ck_assert_int_eq(d.action, RESTART_NOW);
    restart_decide(&p, false, 1, false, 1000 + 61000, 0.0, &t, &d);
    ck_assert_int_eq(d.action, RESTART_NOW);
}
END_TEST

START_TEST(delay_mode_waits_out_the_interval)
{
    struct restart_policy p = policy(1, 60, 5, "delay");
    struct restart_tracker t = {0, 0};
    struct restart_decision d;

    restart_decide(&p, false, 1, false, 1000, 0.0, &t, &d);
    restart_decide(&p, false, 1, false, 11000, 0.0, &t, &d);
    ck_assert_int_eq(d.action, RESTART_NOW);
    ck_assert_uint_eq(d.delay_ms, 50000); /* until 61000 */
    ck_assert_ptr_nonnull(strstr(d.reason, "mode is \"delay\""));
}
END_TEST

START_TEST(jitter_adds_up_to_a_quarter)
{
    struct restart_policy p = policy(5, 3600, 20, "fail");
    struct restart_tracker t = {0, 0};
    struct restart_decision d;

    restart_decide(&p, false, 1, false, 1000, 0.999, &t, &d);
    ck_assert_uint_ge(d.delay_ms, 20000);
    ck_assert_uint_le(d.delay_ms, 25000);
}
END_TEST

START_TEST(unrecoverable_start_fails_at_once)
{
    struct restart_policy p = policy(5, 3600, 20, "fail");
    struct restart_tracker t = {0, 0};
    struct restart_decision d;

    restart_decide(&p, false, -1, true, 1000, 0.0, &t, &d);
    ck_assert_int_eq(d.action, RESTART_FAIL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("restart");
    TCase *tc = test_tcase("restart");

    tcase_add_test(tc, batch_success_completes);
    tcase_add_test(tc, service_success_restarts);
    tcase_add_test(tc, attempts_then_fail_with_nomad_reason);
    tcase_add_test(tc, new_interval_resets_the_count);
    tcase_add_test(tc, delay_mode_waits_out_the_interval);
    tcase_add_test(tc, jitter_adds_up_to_a_quarter);
    tcase_add_test(tc, unrecoverable_start_fails_at_once);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
