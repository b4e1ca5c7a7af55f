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
 * (tens of GB), so the scale figures stop where memory allows and say so.
 * BENCH_SWIM_MAX_N raises the limit (default 2000).
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

static void dissemination(int n)
{
    struct swim_sim sim;
    struct err err = ERR_INIT;
    double t0 = wall_s();
    uint64_t p0, p1, p2, start, done = 0;
    const struct swim_config *cfg;
    int rounds = 0;

    swim_sim_init(&sim, n, 42, NULL, NULL);
    cfg = &sim.cfg;
    swim_sim_learn_all(&sim);
    swim_sim_run(&sim, 5000);
    p0 = sim.packets;
    swim_sim_run(&sim, 10000);
    p1 = sim.packets;
    start = sim.vc.now_ms;
    swim_record_set(sim.nodes[0].swim, start, "svc", "x", 1, &err);
    swim_sim_flush(&sim, 0);
    while (done == 0 && rounds < 1000) {
        int have = 0;

        swim_sim_run(&sim, cfg->gossip_interval_ms);
        rounds++;
        for (int i = 0; i < n; i++)
            have += has_record(&sim, i);
        if (have == n)
            done = sim.vc.now_ms - start;
    }
    p2 = sim.packets;
    printf(
        "N=%-6d msgs/member/period steady %.2f, spreading %.2f; "
        "one broadcast reached all in %d gossip rounds (%llu ms) "
        "[target ~log N: %.1f]; setup+run wall %.1f s\n",
        n, (double)(p1 - p0) / n / (10000.0 / (double)cfg->probe_interval_ms),
        (double)(p2 - p1) / n /
            ((double)(sim.vc.now_ms - start) / (double)cfg->probe_interval_ms),
        rounds, (unsigned long long)done, log10((double)n) * 3, wall_s() - t0);
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

static void wall_time(int n)
{
    struct swim_sim sim;
    double t0 = wall_s(), t1;

    swim_sim_init(&sim, n, 3, NULL, NULL);
    swim_sim_learn_all(&sim);
    t1 = wall_s();
    swim_sim_run(&sim, 60000);
    printf(
        "N=%-6d 60 s simulated in %.1f s wall (+%.1f s setup), "
        "%llu datagrams\n",
        n, wall_s() - t1, t1 - t0, (unsigned long long)sim.packets);
    swim_sim_release(&sim);
}

int main(void)
{
    const char *env = getenv("BENCH_SWIM_MAX_N");
    int max_n = env != NULL ? atoi(env) : 2000;
    static const int sizes[] = {100, 1000, 2000, 10000};

    printf("-- dissemination (LAN: probe 500 ms, gossip 100 ms x 3)\n");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i] > max_n) {
            printf(
                "N=%-6d skipped: %d^2 member entries in one process "
                "(set BENCH_SWIM_MAX_N to try)\n",
                sizes[i], sizes[i]);
            continue;
        }
        dissemination(sizes[i]);
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
    wall_time(1000);
    if (max_n >= 2000)
        wall_time(2000);
    return 0;
}
