/*
 * The periodic dispatcher's decisions on a virtual clock: launches on
 * their cron seconds, prohibit_overlap, a restart after downtime making
 * up one launch, a late timer, and a time zone across a DST change.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/server/periodic_core.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/model/types.h"
#include "tests/harness/test.h"

#define MAX_LAUNCHES 64

/* A dispatcher for one job: its launch record, its timer, its launches. */
struct sim
{
    struct periodic_config pc;
    int64_t record; /* what fsm.c keeps: the last launch */
    int64_t next;
    int64_t launches[MAX_LAUNCHES];
    int n;
    bool running; /* a child still runs */
};

static void sim_init(struct sim *s, const char *cron, const char *zone)
{
    memset(s, 0, sizeof(*s));
    periodic_config_init(&s->pc);
    s->pc.spec = xstrdup(cron);
    s->pc.time_zone = xstrdup(zone);
}

static void launch(struct sim *s, int64_t at)
{
    ck_assert_int_lt(s->n, MAX_LAUNCHES);
    s->launches[s->n++] = at;
    s->record = at;
}

/* The dispatcher (re)starting at now. */
static void sim_start(struct sim *s, int64_t now)
{
    struct periodic_plan plan;
    struct err err = ERR_INIT;

    ck_assert_int_eq(periodic_first(&s->pc, s->record, now, &plan, &err), 0);
    if (plan.launch)
        launch(s, plan.launch_at);
    s->next = plan.next;
}

/* Every second from..to, the timer firing late seconds after its time. */
static void sim_run(struct sim *s, int64_t from, int64_t to, int64_t late)
{
    for (int64_t t = from; t <= to; t++) {
        struct periodic_plan plan;
        struct err err = ERR_INIT;

        if (s->next == 0 || s->next + late > t)
            continue;
        ck_assert_int_eq(periodic_due(&s->pc, s->next, t, s->running, &plan,
                                      &err),
                         0);
        if (plan.launch)
            launch(s, plan.launch_at);
        s->next = plan.next;
    }
}

static void sim_release(struct sim *s)
{
    periodic_config_release(&s->pc);
}

/* 2024-01-01T00:00:00Z */
#define T0 1704067200

START_TEST(launches_on_cron_seconds)
{
    struct sim s;

    sim_init(&s, "0/3 * * * * * *", "UTC");
    s.record = T0; /* registered now: nothing to make up */
    sim_start(&s, T0);
    ck_assert_int_eq(s.n, 0);
    sim_run(&s, T0, T0 + 30, 0);
    ck_assert_int_eq(s.n, 10);
    for (int i = 0; i < s.n; i++)
        ck_assert_int_eq(s.launches[i], T0 + 3 * (i + 1));
    sim_release(&s);
}
END_TEST

START_TEST(prohibit_overlap_skips_while_a_child_runs)
{
    struct sim s;

    sim_init(&s, "* * * * * * *", "UTC");
    s.pc.prohibit_overlap = TRI_TRUE;
    s.record = T0;
    sim_start(&s, T0);
    sim_run(&s, T0, T0 + 1, 0);
    ck_assert_int_eq(s.n, 1);
    s.running = true;
    sim_run(&s, T0 + 2, T0 + 10, 0);
    ck_assert_int_eq(s.n, 1);
    /* Skipped seconds are not made up once the child ends. */
    s.running = false;
    sim_run(&s, T0 + 11, T0 + 12, 0);
    ck_assert_int_eq(s.n, 3);
    ck_assert_int_eq(s.launches[1], T0 + 11);
    ck_assert_int_eq(s.launches[2], T0 + 12);
    sim_release(&s);

    /* Without the setting, a running child changes nothing. */
    sim_init(&s, "* * * * * * *", "UTC");
    s.record = T0;
    s.running = true;
    sim_start(&s, T0);
    sim_run(&s, T0, T0 + 5, 0);
    ck_assert_int_eq(s.n, 5);
    sim_release(&s);
}
END_TEST

START_TEST(restart_makes_up_one_missed_launch)
{
    struct sim s;

    sim_init(&s, "0/3 * * * * * *", "UTC");
    s.record = T0;
    sim_start(&s, T0);
    sim_run(&s, T0, T0 + 9, 0); /* launches at +3, +6, +9 */
    ck_assert_int_eq(s.n, 3);
    /* Down from +10 to +20: +12, +15 and +18 pass unseen. */
    sim_start(&s, T0 + 20);
    ck_assert_int_eq(s.n, 4);
    ck_assert_int_eq(s.launches[3], T0 + 20);
    sim_run(&s, T0 + 20, T0 + 23, 0);
    ck_assert_int_eq(s.n, 5);
    ck_assert_int_eq(s.launches[4], T0 + 21);
    /* A restart with nothing missed launches nothing more. */
    sim_start(&s, T0 + 22);
    ck_assert_int_eq(s.n, 5);
    sim_release(&s);
}
END_TEST

START_TEST(a_late_timer_launches_once)
{
    struct sim s;

    sim_init(&s, "* * * * * * *", "UTC");
    s.record = T0;
    sim_start(&s, T0);
    /* The loop stalls 5 s at every launch: no burst of 5 to catch up. */
    sim_run(&s, T0, T0 + 30, 5);
    ck_assert_int_ge(s.n, 4);
    for (int i = 1; i < s.n; i++)
        ck_assert_int_ge(s.launches[i] - s.launches[i - 1], 5);
    sim_release(&s);
}
END_TEST

START_TEST(time_zone_across_spring_forward)
{
    struct sim s;
    /* 2024-03-30T00:00:00Z; Berlin jumps 02:00 -> 03:00 on 03-31. */
    const int64_t from = 1711756800;

    sim_init(&s, "30 2 * * *", "Europe/Berlin");
    s.record = from;
    sim_start(&s, from);
    sim_run(&s, from, from + 3 * 86400, 0);
    ck_assert_int_eq(s.n, 3);
    ck_assert_int_eq(s.launches[0], 1711762200); /* 03-30 02:30 +01:00 */
    ck_assert_int_eq(s.launches[1], 1711848600); /* 03-31 03:30 +02:00 */
    ck_assert_int_eq(s.launches[2], 1711931400); /* 04-01 02:30 +02:00 */
    sim_release(&s);
}
END_TEST

START_TEST(bad_specs_are_errors)
{
    struct periodic_config pc;
    struct periodic_plan plan;
    struct err err = ERR_INIT;

    periodic_config_init(&pc);
    pc.spec = xstrdup("61 * * * *");
    ck_assert_int_eq(periodic_first(&pc, 0, T0, &plan, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "cron spec \"61 * * * *\": syntax error in "
                              "minute field: '61'");
    periodic_config_release(&pc);
}
END_TEST

static Suite *periodic_suite(void)
{
    Suite *s = suite_create("server_periodic_core");
    TCase *tc = tcase_create("periodic");

    tcase_add_test(tc, launches_on_cron_seconds);
    tcase_add_test(tc, prohibit_overlap_skips_while_a_child_runs);
    tcase_add_test(tc, restart_makes_up_one_missed_launch);
    tcase_add_test(tc, a_late_timer_launches_once);
    tcase_add_test(tc, time_zone_across_spring_forward);
    tcase_add_test(tc, bad_specs_are_errors);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(periodic_suite)
