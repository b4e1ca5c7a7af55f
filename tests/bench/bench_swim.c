/*
 * The SWIM core in simulation (tests/mesh/swim_sim.h), LAN profile, 1-3 ms
 * links, printing each figure beside its target:
 *
 *   - datagrams per member per protocol period, steady and while one
 *     broadcast spreads, and gossip rounds until every member has it
 *     (should grow like log N);
 *   - time from a kill -9 to the first and to the last member declaring it
 *     dead, N = 5, 20, 50 (target: half of Serf's ~5.8 s at N = 5);
 *   - false "dead" declarations under 10% loss, Lifeguard on and off;
 *   - wall time to simulate N members for 60 s.
 *
 * Every member holds the whole membership, so one process simulating N
 * members holds N^2 member entries: N = 10,000 would need ~10^8 entries
 * (~30 GB). Above BENCH_SWIM_MAX_N (default 2000) each member knows only
 * 300 random others, and the line says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"
#include "mesh/swim.h"
#include "tests/mesh/swim_sim.h"

static double wall_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ events */

struct watch
{
    int victim;
    uint64_t first_fail;
    uint64_t fails; /* FAIL events about anyone */
    uint64_t false_fails;
};

static void on_event(void *ctx,
                     int node,
                     const struct swim_event *ev,
                     uint64_t now_ms)
{
    struct watch *w = ctx;

    (void)node;
    if (ev->kind != SWIM_EVENT_FAIL)
        return;
    w->fails++;
    if (w->victim >= 0 && strncmp(ev->name, "node-", 5) == 0 &&
        atoi(ev->name + 5) == w->victim) {
        if (w->first_fail == 0)
            w->first_fail = now_ms;
    } else {
        w->false_fails++;
    }
}

/* ------------------------------------------------------------------
 * dissemination */

static bool has_record(struct swim_sim *sim, int i)
{
    const struct swim_record *r;

    return swim_records(sim->nodes[i].swim, "node-0", &r) > 0;
}

/*
 * view 0: every member knows every other (true SWIM). view k: each knows
 * node 0 (the broadcaster) and k random others, so 10,000 members fit in
 * memory; gossip then runs over that random graph, which spreads like the
 * full mesh (fanout and retransmits are the same) but is an approximation.
 */
static void learn_view(struct swim_sim *sim, int view)
{
    if (view == 0) {
        swim_sim_learn_all(sim);
        return;
    }
    for (int i = 0; i < sim->n; i++) {
        struct swim *sw = sim->nodes[i].swim;

        if (i != 0)
            swim_learn(sw, 0, sim->nodes[0].name, sim->nodes[0].addr);
        for (int k = 0; k < view; k++) {
            int j = (int)simnet_rand_below(&sim->net, (uint64_t)sim->n);

            if (j != i)
                swim_learn(sw, 0, sim->nodes[j].name, sim->nodes[j].addr);
        }
        swim_sim_flush(sim, i);
    }
}

static void dissemination(int n, int view)
{
    struct swim_sim sim;
    struct err err = ERR_INIT;
    double t0 = wall_s(), t_run;
    uint64_t p0, p1, p2, start, done = 0;
    const struct swim_config *cfg;
    struct swim_config c;
    double rounds;
    char label[64] = "full membership";

    swim_config_default(&c, SWIM_PROFILE_LAN);
    if (view > 0) {
        /* A push/pull would hand over the whole view: views would grow. */
        c.push_pull_interval_ms = 0;
        c.reconnect_interval_ms = 0;
    }
    swim_sim_init(&sim, n, 42, &c, NULL);
    cfg = &sim.cfg;
    learn_view(&sim, view);
    if (view > 0)
        snprintf(label, sizeof(label), "views of %d members", view);
    swim_sim_run(&sim, 5000);
    p0 = sim.packets;
    t_run = wall_s();
    swim_sim_run(&sim, 10000);
    t_run = wall_s() - t_run;
    p1 = sim.packets;
    start = sim.vc.now_ms;
    swim_record_set(sim.nodes[0].swim, start, "svc", "x", 1, &err);
    swim_sim_flush(&sim, 0);
    /* Checked every 10 ms: the time, then in gossip rounds. */
    while (done == 0 && sim.vc.now_ms - start < 100000) {
        int have = 0;

        swim_sim_run(&sim, 10);
        for (int i = 0; i < n; i++)
            have += has_record(&sim, i);
        if (have == n)
            done = sim.vc.now_ms - start;
    }
    rounds = (double)done / (double)cfg->gossip_interval_ms;
    p2 = sim.packets;
    printf(
        "N=%-6d (%s) datagrams/member/probe period: steady %.2f, "
        "while spreading %.2f; one broadcast reached all in %.1f gossip "
        "rounds = %llu ms (rounds/log10 N = %.2f) [target: grows ~log N]; "
        "10 s simulated in %.1f s wall (setup %.1f s)\n",
        n, label,
        (double)(p1 - p0) / n / (10000.0 / (double)cfg->probe_interval_ms),
        (double)(p2 - p1) / n /
            ((double)(sim.vc.now_ms - start) / (double)cfg->probe_interval_ms),
        rounds, (unsigned long long)done, rounds / log10((double)n), t_run,
        wall_s() - t0 - t_run);
    swim_sim_release(&sim);
}

/* ------------------------------------------------------------------ configs */

/*
 * The timings Serf runs with on a LAN (memberlist's DefaultLANConfig:
 * probe 1 s / 500 ms, gossip 200 ms, suspicion mult 4, Lifeguard on): the
 * simulation's reference point for "Serf's time" and "Serf's false
 * positive rate".
 */
static void serf_like(struct swim_config *cfg)
{
    swim_config_default(cfg, SWIM_PROFILE_LAN);
    cfg->probe_interval_ms = 1000;
    cfg->probe_timeout_ms = 500;
    cfg->gossip_interval_ms = 200;
}

enum which { CARAVAN, CARAVAN_NO_LIFEGUARD, SERF_LIKE };

static const char *which_name[] = {"caravan lan", "caravan lan, Lifeguard off",
                                   "serf-like lan"};

static void config_of(enum which w, struct swim_config *cfg)
{
    if (w == SERF_LIKE) {
        serf_like(cfg);
        return;
    }
    swim_config_default(cfg, SWIM_PROFILE_LAN);
    cfg->lifeguard = w == CARAVAN;
}

/* ------------------------------------------------------------------ detection
 */

static bool all_dead(struct swim_sim *sim, void *arg)
{
    return swim_sim_all_see(sim, *(int *)arg, SWIM_MEMBER_DEAD);
}

static void detection(enum which which, int n, int trials)
{
    double sum_first = 0, sum_all = 0, worst = 0;
    int false_fails = 0;
    struct swim_config cfg;

    config_of(which, &cfg);
    for (int k = 0; k < trials; k++) {
        struct swim_sim sim;
        struct watch w = {-1, 0, 0, 0};
        uint64_t t_crash;
        double all;

        swim_sim_init(&sim, n, 1000 + (uint64_t)k, &cfg, NULL);
        sim.on_event = on_event;
        sim.ctx = &w;
        swim_sim_learn_all(&sim);
        /* Crash at a random phase of the probe periods. */
        swim_sim_run(&sim, 5000 + (uint64_t)(k * 137) % 1000);
        w.victim = k % n;
        t_crash = sim.vc.now_ms;
        swim_sim_crash(&sim, w.victim);
        swim_sim_run_until(&sim, all_dead, &w.victim, 10, 120000);
        all = (double)(sim.vc.now_ms - t_crash) / 1000.0;
        sum_first += (double)(w.first_fail - t_crash) / 1000.0;
        sum_all += all;
        worst = all > worst ? all : worst;
        false_fails += (int)w.false_fails;
        swim_sim_release(&sim);
    }
    printf(
        "%-14s N=%-3d kill -9 detected: first member %.2f s, all %.2f s "
        "(mean of %d), worst %.2f s, false fails %d%s\n",
        which_name[which], n, sum_first / trials, sum_all / trials, trials,
        worst, false_fails,
        which == CARAVAN && n == 5
            ? " [target <= 2.9 s: half of Serf's ~5.8 s at N=5]"
            : "");
}

/* ------------------------------------------------------------------ false
 * positives */

static void false_positive_rate(enum which which, double loss, bool slow)
{
    const int n = 20, minutes = 10;
    struct swim_sim sim;
    struct swim_config cfg;
    struct simnet_config net = {1, 2, loss, 0.0};
    struct watch w = {-1, 0, 0, 0};

    config_of(which, &cfg);
    swim_sim_init(&sim, n, 7, &cfg, &net);
    sim.stream_fail = 1.0 - (1.0 - loss) * (1.0 - loss);
    sim.on_event = on_event;
    sim.ctx = &w;
    swim_sim_learn_all(&sim);
    for (int t = 0; t < minutes * 60; t += 5) {
        if (slow) {
            swim_sim_stall(&sim, 0);
            swim_sim_stall(&sim, 1);
            swim_sim_run(&sim, 1000);
            swim_sim_resume(&sim, 0);
            swim_sim_resume(&sim, 1);
            swim_sim_run(&sim, 4000);
        } else {
            swim_sim_run(&sim, 5000);
        }
    }
    printf(
        "loss %2.0f%%%-22s %-27s: %5llu false dead declarations "
        "(%.3f per member-minute, counted per observer)\n",
        loss * 100, slow ? " + 2 slow members" : "", which_name[which],
        (unsigned long long)w.false_fails,
        (double)w.false_fails / (double)(n * minutes));
    swim_sim_release(&sim);
}

/* ------------------------------------------------------------------ wall time
 */

static void wall_time(int n, int view)
{
    struct swim_sim sim;
    struct swim_config c;
    double t0 = wall_s(), t1;

    swim_config_default(&c, SWIM_PROFILE_LAN);
    if (view > 0) {
        c.push_pull_interval_ms = 0;
        c.reconnect_interval_ms = 0;
    }
    swim_sim_init(&sim, n, 3, &c, NULL);
    learn_view(&sim, view);
    t1 = wall_s();
    swim_sim_run(&sim, 60000);
    printf(
        "N=%-6d 60 s simulated in %.1f s wall (+%.1f s setup), "
        "%llu datagrams%s\n",
        n, wall_s() - t1, t1 - t0, (unsigned long long)sim.packets,
        view > 0 ? " (views of 300 members)" : "");
    swim_sim_release(&sim);
}

int main(void)
{
    const char *env = getenv("BENCH_SWIM_MAX_N");
    int max_n = env != NULL ? atoi(env) : 2000;
    static const int sizes[] = {100, 1000, 2000, 10000};

    printf(
        "-- dissemination (LAN profile: probe 400 ms, gossip 100 ms to 3)\n");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i] <= max_n) {
            dissemination(sizes[i], 0);
            continue;
        }
        /* N^2 member entries (~300 bytes each) do not fit: partial views. */
        dissemination(sizes[i], 300);
    }
    printf("-- failure detection\n");
    detection(SERF_LIKE, 5, 40);
    detection(CARAVAN, 5, 40);
    detection(CARAVAN, 20, 20);
    detection(CARAVAN, 50, 10);
    printf(
        "-- false positives, 20 members, 10 minutes "
        "[target: caravan lan <= serf-like lan]\n");
    for (int slow = 0; slow < 2; slow++)
        for (int l = 0; l < 2; l++)
            for (int wh = 0; wh < 3; wh++)
                false_positive_rate((enum which)wh, l == 0 ? 0.10 : 0.30, slow);
    printf("-- simulation speed\n");
    wall_time(1000, 0);
    wall_time(2000, max_n >= 2000 ? 0 : 300);
    wall_time(10000, max_n >= 10000 ? 0 : 300);
    return 0;
}
