/* Task lifecycle ordering and kill decisions (pure). */
#include <string.h>

#include "agent/client/lifecycle.h"
#include "tests/harness/test.h"

#define W LIFECYCLE_WAITING
#define S LIFECYCLE_STARTED
#define R LIFECYCLE_RUNNING
#define D LIFECYCLE_DEAD

struct fx
{
    struct lifecycle_task t[6];
    size_t n;
    bool start[6], kill[6];
    struct lifecycle_decision d;
};

static void add(struct fx *f,
                enum lifecycle_hook hook,
                bool sidecar,
                enum lifecycle_run run)
{
    f->t[f->n] = (struct lifecycle_task){hook, sidecar, false, run, false};
    f->n++;
}

static void decide(struct fx *f)
{
    lifecycle_decide(f->t, f->n, f->start, f->kill, &f->d);
}

/* prestart init (0), prestart sidecar (1), main (2), poststart (3),
 * poststop (4). */
static void group(struct fx *f,
                  enum lifecycle_run init,
                  enum lifecycle_run side,
                  enum lifecycle_run main,
                  enum lifecycle_run post,
                  enum lifecycle_run stop)
{
    memset(f, 0, sizeof(*f));
    add(f, LIFECYCLE_PRESTART, false, init);
    add(f, LIFECYCLE_PRESTART, true, side);
    add(f, LIFECYCLE_MAIN, false, main);
    add(f, LIFECYCLE_POSTSTART, false, post);
    add(f, LIFECYCLE_POSTSTOP, false, stop);
}

START_TEST(prestart_tasks_start_first)
{
    struct fx f;

    group(&f, W, W, W, W, W);
    decide(&f);
    ck_assert(f.start[0] && f.start[1]);
    ck_assert(!f.start[2] && !f.start[3] && !f.start[4]);
    ck_assert_int_eq(f.d.kill_reason, LIFECYCLE_KILL_NONE);
}
END_TEST

START_TEST(main_waits_for_init_to_complete_and_sidecar_to_run)
{
    struct fx f;

    group(&f, R, R, W, W, W);
    decide(&f);
    ck_assert(!f.start[2]);
    group(&f, D, S, W, W, W); /* the sidecar is between restarts */
    decide(&f);
    ck_assert(!f.start[2]);
    group(&f, D, R, W, W, W);
    decide(&f);
    ck_assert(f.start[2]);
    ck_assert(!f.start[3] && !f.start[4]);
}
END_TEST

START_TEST(poststart_waits_for_main_and_poststop_for_the_rest)
{
    struct fx f;

    group(&f, D, R, R, W, W);
    decide(&f);
    ck_assert(f.start[3]);
    ck_assert(!f.start[4]);
    group(&f, D, D, D, D, W);
    decide(&f);
    ck_assert(f.start[4]);
}
END_TEST

START_TEST(failed_init_kills_everything_and_main_never_starts)
{
    struct fx f;

    group(&f, D, R, W, W, W);
    f.t[0].failed = true;
    decide(&f);
    ck_assert_int_eq(f.d.kill_reason, LIFECYCLE_KILL_SIBLING_FAILED);
    ck_assert_uint_eq(f.d.cause, 0);
    ck_assert(f.kill[1] && f.kill[2] && f.kill[3]);
    ck_assert(!f.kill[4]); /* poststop still runs afterwards */
    ck_assert(!f.start[2] && !f.start[3]);
}
END_TEST

START_TEST(main_dead_stops_the_sidecars_once_ephemeral_hooks_end)
{
    struct fx f;

    group(&f, D, R, D, R, W);
    decide(&f);
    ck_assert_int_eq(f.d.kill_reason, LIFECYCLE_KILL_NONE);
    f.t[3].sidecar = true;
    decide(&f);
    ck_assert_int_eq(f.d.kill_reason, LIFECYCLE_KILL_MAIN_DEAD);
    ck_assert(f.kill[1] && f.kill[3]);
    ck_assert(!f.kill[4] && !f.start[4]);
}
END_TEST

START_TEST(leader_death_kills_the_others)
{
    struct fx f;

    memset(&f, 0, sizeof(f));
    add(&f, LIFECYCLE_MAIN, false, R);
    add(&f, LIFECYCLE_MAIN, false, D);
    add(&f, LIFECYCLE_POSTSTOP, false, W);
    decide(&f);
    ck_assert_int_eq(f.d.kill_reason, LIFECYCLE_KILL_NONE);
    f.t[1].leader = true;
    decide(&f);
    ck_assert_int_eq(f.d.kill_reason, LIFECYCLE_KILL_LEADER_DEAD);
    ck_assert_uint_eq(f.d.cause, 1);
    ck_assert(f.kill[0] && !f.kill[1] && !f.kill[2]);
    /* A failure weighs more than a leader's end. */
    f.t[0].run = D;
    f.t[0].failed = true;
    decide(&f);
    ck_assert_int_eq(f.d.kill_reason, LIFECYCLE_KILL_SIBLING_FAILED);
    ck_assert_uint_eq(f.d.cause, 0);
    ck_assert(f.start[2]);
}
END_TEST

START_TEST(plain_group_starts_everything_at_once)
{
    struct fx f;

    memset(&f, 0, sizeof(f));
    add(&f, LIFECYCLE_MAIN, false, W);
    add(&f, LIFECYCLE_MAIN, false, W);
    decide(&f);
    ck_assert(f.start[0] && f.start[1]);
}
END_TEST

START_TEST(success_is_final_as_nomads_restart_tracker)
{
    enum lifecycle_hook h;

    ck_assert(lifecycle_hook_parse(NULL, &h) && h == LIFECYCLE_MAIN);
    ck_assert(lifecycle_hook_parse("poststop", &h) && h == LIFECYCLE_POSTSTOP);
    ck_assert(!lifecycle_hook_parse("later", &h));
    ck_assert(!lifecycle_success_is_final(LIFECYCLE_MAIN, false, false));
    ck_assert(lifecycle_success_is_final(LIFECYCLE_MAIN, false, true));
    ck_assert(lifecycle_success_is_final(LIFECYCLE_PRESTART, false, false));
    ck_assert(!lifecycle_success_is_final(LIFECYCLE_PRESTART, true, true));
    ck_assert(!lifecycle_success_is_final(LIFECYCLE_POSTSTART, true, false));
    ck_assert(lifecycle_success_is_final(LIFECYCLE_POSTSTOP, false, false));
}
END_TEST

static Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("client_lifecycle");
    TCase *tc = test_tcase("lifecycle");

    tcase_add_test(tc, prestart_tasks_start_first);
    tcase_add_test(tc, main_waits_for_init_to_complete_and_sidecar_to_run);
    tcase_add_test(tc, poststart_waits_for_main_and_poststop_for_the_rest);
    tcase_add_test(tc, failed_init_kills_everything_and_main_never_starts);
    tcase_add_test(tc, main_dead_stops_the_sidecars_once_ephemeral_hooks_end);
    tcase_add_test(tc, leader_death_kills_the_others);
    tcase_add_test(tc, plain_group_starts_everything_at_once);
    tcase_add_test(tc, success_is_final_as_nomads_restart_tracker);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(lifecycle_suite)
