/*
 * A mesh of SWIM cores on the simulated network, for tests and benches.
 *
 * Node i is "node-i" at a made-up "ip:port" address; the harness carries
 * each core's outputs: datagrams through simnet (latency, loss,
 * partitions), stream exchanges as a request and a reply each crossing
 * the net once (failing, at the deadline, when the link is cut, either end
 * is down or stalled, or with probability stream_fail), events to a hook.
 * Each core's tick runs at its own next deadline on the vclock.
 *
 * A crashed node (simnet_down) neither sends nor receives nor ticks. A
 * stalled node is a process whose loop is blocked: nothing is delivered
 * to it and it does not tick until resumed.
 */
#ifndef CARAVAN_TESTS_MESH_SWIM_SIM_H
#define CARAVAN_TESTS_MESH_SWIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh/swim.h"
#include "tests/harness/simnet.h"
#include "tests/harness/vclock.h"

struct swim_sim;

typedef void swim_sim_event_cb(void *ctx,
                               int node,
                               const struct swim_event *ev,
                               uint64_t now_ms);

struct swim_sim_node
{
    struct swim_sim *sim;
    int id;
    struct swim *swim;
    char name[32];
    char addr[32];
    bool stalled;
    bool crashed;
    uint64_t timer;    /* vclock id of the pending tick, 0 when none */
    uint64_t timer_at; /* its time */
};

struct swim_sim
{
    struct vclock vc;
    struct simnet net;
    int n;
    struct swim_sim_node *nodes;
    struct swim_config cfg;
    double stream_fail;
    swim_sim_event_cb *on_event;
    void *ctx;
    uint64_t packets; /* datagrams sent by every core */
    size_t max_packet; /* the largest datagram, bytes */
    uint64_t streams;
};

/*
 * Builds n cores with cfg (NULL: the LAN profile) on a net with net_cfg
 * (NULL: 1 ms latency) from seed. No node knows another yet.
 */
void swim_sim_init(struct swim_sim *sim,
                   int n,
                   uint64_t seed,
                   const struct swim_config *cfg,
                   const struct simnet_config *net_cfg);
void swim_sim_release(struct swim_sim *sim);
/* Every node learns every other (swim_learn): a converged mesh at once. */
void swim_sim_learn_all(struct swim_sim *sim);
/* Node i joins through the addresses of the n nodes in via. */
void swim_sim_join(struct swim_sim *sim, int i, const int *via, int n);
/* Carries out node i's queued outputs and re-arms its tick. */
void swim_sim_flush(struct swim_sim *sim, int i);

void swim_sim_crash(struct swim_sim *sim, int i);
void swim_sim_stall(struct swim_sim *sim, int i);
void swim_sim_resume(struct swim_sim *sim, int i);

/* Node i's view of node j: its state, or -1 when i does not know j. */
int swim_sim_state(const struct swim_sim *sim, int i, int j);
/* Whether every live (not crashed) node sees j in state st. */
bool swim_sim_all_see(const struct swim_sim *sim,
                      int j,
                      enum swim_member_state st);
/* Whether every live node knows every other live node as alive. */
bool swim_sim_converged(const struct swim_sim *sim);

typedef bool swim_sim_pred(struct swim_sim *sim, void *arg);
/*
 * Runs the simulation until pred holds (checked every check_ms of
 * simulated time) or max_ms passed; returns whether pred held.
 */
bool swim_sim_run_until(struct swim_sim *sim,
                        swim_sim_pred *pred,
                        void *arg,
                        uint64_t check_ms,
                        uint64_t max_ms);
/* Runs for ms of simulated time. */
void swim_sim_run(struct swim_sim *sim, uint64_t ms);

#endif
