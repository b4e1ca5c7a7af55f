/*
 * The mesh facade over real sockets on 127.0.0.1, several members in one
 * loop: joining, a record spreading, a member that stops without a word
 * declared failed, a graceful leave, and a member with the wrong key kept
 * out (its packets refused and counted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "mesh/mesh.h"
#include "mesh/net.h"
#include "mesh/seal.h"
#include "tests/harness/test.h"

#define N 4

struct member
{
    struct mesh *m;
    char name[16];
    int joined_ok, joined_failed;
    int fails, leaves, records;
    char last_failed[32], last_left[32], last_records[32];
    bool closed;
};

struct world
{
    uv_loop_t loop;
    struct member mb[N];
    struct seal_keyring *kr[N];
};

#define RUN_UNTIL(w, cond)                                                    \
    do {                                                                      \
        for (int spin_ = 0; spin_ < 15000 && !(cond); spin_++) {              \
            uv_run(&(w)->loop, UV_RUN_NOWAIT);                                \
            if (!(cond))                                                      \
                usleep(1000);                                                 \
        }                                                                     \
        ck_assert_msg((cond), "timed out waiting for " #cond);               \
    } while (0)

static void on_event(void *arg, const struct swim_event *ev)
{
    struct member *mb = arg;

    switch (ev->kind) {
    case SWIM_EVENT_JOINED:
        if (ev->rc == 0)
            mb->joined_ok++;
        else
            mb->joined_failed++;
        break;
    case SWIM_EVENT_FAIL:
        mb->fails++;
        snprintf(mb->last_failed, sizeof(mb->last_failed), "%s", ev->name);
        break;
    case SWIM_EVENT_LEAVE:
        mb->leaves++;
        snprintf(mb->last_left, sizeof(mb->last_left), "%s", ev->name);
        break;
    case SWIM_EVENT_RECORDS:
        mb->records++;
        snprintf(mb->last_records, sizeof(mb->last_records), "%s", ev->name);
        break;
    default:
        break;
    }
}

static void start(struct world *w, int i, struct seal_keyring *kr)
{
    struct mesh_config cfg;
    struct err err = ERR_INIT;
    struct swim_tag tags[] = {{"role", i == 0 ? "server" : "client"}};

    memset(&cfg, 0, sizeof(cfg));
    snprintf(w->mb[i].name, sizeof(w->mb[i].name), "m%d", i);
    cfg.name = w->mb[i].name;
    cfg.bind_ip = "127.0.0.1";
    cfg.port = 0;
    swim_config_default(&cfg.swim, SWIM_PROFILE_LOCAL);
    /* Quick detection for the test; the core's own tests cover timing. */
    cfg.swim.probe_interval_ms = 200;
    cfg.swim.probe_timeout_ms = 100;
    cfg.swim.suspicion_mult = 2;
    cfg.swim.join_retry_ms = 200;
    cfg.swim.join_max_attempts = 3;
    cfg.keyring = kr;
    cfg.tags = tags;
    cfg.n_tags = 1;
    cfg.seed = (uint64_t)i + 1;
    cfg.on_event = on_event;
    cfg.arg = &w->mb[i];
    ck_assert_int_eq(mesh_start(&w->loop, &cfg, &w->mb[i].m, &err), 0);
}

static size_t alive_seen(struct member *mb)
{
    return swim_alive_count(mesh_swim(mb->m));
}

static void closed(void *arg)
{
    ((struct member *)arg)->closed = true;
}

static bool state_is(struct member *mb, const char *name,
                     enum swim_member_state st)
{
    struct swim_member_info info;

    return swim_member_get(mesh_swim(mb->m), name, &info) && info.state == st;
}

static void left(void *arg)
{
    *(bool *)arg = true;
}

START_TEST(members_join_share_records_and_detect_failures)
{
    struct world *w = xcalloc(1, sizeof(*w));
    struct seal_key key;
    const char *seed;
    struct err err = ERR_INIT;
    struct net_stats st;
    bool b_left = false;

    uv_loop_init(&w->loop);
    seal_key_generate(&key);
    for (int i = 0; i < 3; i++) {
        w->kr[i] = seal_keyring_new();
        ck_assert_int_eq(seal_keyring_install(w->kr[i], &key, &err), 0);
        start(w, i, w->kr[i]);
    }
    seed = mesh_addr(w->mb[0].m);
    mesh_join(w->mb[1].m, &seed, 1);
    mesh_join(w->mb[2].m, &seed, 1);
    RUN_UNTIL(w, alive_seen(&w->mb[0]) == 3 && alive_seen(&w->mb[1]) == 3 &&
                     alive_seen(&w->mb[2]) == 3);
    ck_assert_int_eq(w->mb[1].joined_ok, 1);

    /* A record of m2 reaches m0 and m1. */
    ck_assert_int_eq(swim_record_set(mesh_swim(w->mb[2].m),
                                     mesh_now(w->mb[2].m), "svc", "hello", 5,
                                     &err),
                     0);
    mesh_flush(w->mb[2].m);
    RUN_UNTIL(w, strcmp(w->mb[0].last_records, "m2") == 0 &&
                     strcmp(w->mb[1].last_records, "m2") == 0);
    {
        const struct swim_record *r;
        size_t n = swim_records(mesh_swim(w->mb[0].m), "m2", &r);

        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(r[0].key, "svc");
        ck_assert_uint_eq(r[0].len, 5);
        ck_assert_int_eq(memcmp(r[0].value, "hello", 5), 0);
    }

    /* A member with another key cannot get in; its packets are refused. */
    {
        struct seal_key other;

        seal_key_generate(&other);
        w->kr[3] = seal_keyring_new();
        ck_assert_int_eq(seal_keyring_install(w->kr[3], &other, &err), 0);
        start(w, 3, w->kr[3]);
        mesh_join(w->mb[3].m, &seed, 1);
        RUN_UNTIL(w, w->mb[3].joined_failed == 1);
        ck_assert_uint_eq(alive_seen(&w->mb[3]), 1);
        ck_assert(!state_is(&w->mb[0], "m3", SWIM_MEMBER_ALIVE));
        mesh_net_stats(w->mb[0].m, &st);
        ck_assert_uint_gt(st.frames_refused + st.packets_refused, 0);
        mesh_close(w->mb[3].m, closed, &w->mb[3]);
        RUN_UNTIL(w, w->mb[3].closed);
    }

    /* m1 leaves gracefully: the others see a leave, not a failure. */
    mesh_leave(w->mb[1].m, 5000, left, &b_left);
    RUN_UNTIL(w, b_left);
    mesh_close(w->mb[1].m, closed, &w->mb[1]);
    RUN_UNTIL(w, w->mb[1].closed && state_is(&w->mb[0], "m1", SWIM_MEMBER_LEFT));
    ck_assert_int_eq(w->mb[0].leaves, 1);
    ck_assert_int_eq(w->mb[0].fails, 0);

    /* m2 stops without a word: m0 declares it failed. */
    mesh_close(w->mb[2].m, closed, &w->mb[2]);
    RUN_UNTIL(w, w->mb[2].closed && state_is(&w->mb[0], "m2", SWIM_MEMBER_DEAD));
    ck_assert_str_eq(w->mb[0].last_failed, "m2");

    mesh_close(w->mb[0].m, closed, &w->mb[0]);
    RUN_UNTIL(w, w->mb[0].closed);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&w->loop), 0);
    for (int i = 0; i < N; i++)
        seal_keyring_free(w->kr[i]);
    free(w);
}
END_TEST

static Suite *mesh_suite(void)
{
    Suite *s = suite_create("mesh_uv");
    TCase *tc = test_tcase("mesh_uv");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, members_join_share_records_and_detect_failures);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(mesh_suite)
