/*
 * A seeded, lossy simulated network on top of a vclock.
 *
 * Nodes 0..n-1 exchange datagrams. Each send is copied and delivered later
 * by a vclock timer, after latency_ms plus a uniform jitter, so messages on
 * one link reorder whenever the jitter says so. Messages can be lost or
 * duplicated at configured rates, links can be cut (partitions, one-way
 * blocks) and nodes taken down. Every random choice comes from the net's
 * own PRNG seeded by the caller, so one seed replays one run exactly.
 *
 * Cut links and down nodes are checked both when a message is sent and when
 * it arrives: a partition or crash also eats what was already in flight.
 */
#ifndef CARAVAN_TESTS_HARNESS_SIMNET_H
#define CARAVAN_TESTS_HARNESS_SIMNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/rand.h"

struct vclock;
struct simnet_msg;

/*
 * Called when a message reaches a node. msg is only valid during the call.
 * The callback may send, and may change the network (partition, down...).
 */
typedef void simnet_recv_fn(void *ctx, int from, const void *msg, size_t len);

struct simnet_config
{
    uint64_t latency_ms; /* the least one-way delay */
    uint64_t jitter_ms;  /* extra delay, uniform in [0, jitter_ms] */
    double loss;         /* probability in [0, 1] that a send is dropped */
    double dup;          /* probability in [0, 1] a kept send arrives twice */
};

struct simnet_stats
{
    uint64_t sent;       /* simnet_send() calls */
    uint64_t duplicated; /* extra copies made */
    uint64_t delivered;  /* receive callbacks run */
    uint64_t dropped;    /* lost, cut off, or to or from a down node */
};

struct simnet_node
{
    simnet_recv_fn *recv;
    void *ctx;
    bool down;
    /* Bumped by every down, so a message can tell the node restarted. */
    uint64_t incarnation;
};

struct simnet
{
    struct vclock *vc;
    int n;
    struct simnet_config cfg;
    struct rng rng;
    struct simnet_node *nodes;
    /*
     * Cuts, in O(n + one-way blocks) memory so 10,000-node nets fit: each
     * partition splits nodes by a side colour (two nodes talk only while
     * their colours match), and one-way blocks are a sorted list of
     * (from << 32 | to).
     */
    uint64_t *color;
    uint64_t *cuts;
    size_t n_cuts, cap_cuts;
    uint64_t partitions;
    struct simnet_msg *inflight; /* list, so release can cancel the timers */
    size_t n_inflight;
    struct simnet_stats stats;
    uint64_t trace; /* hash over every delivery, in order */
};

/*
 * Sets up a net of n nodes on vc, with cfg (NULL: 1 ms latency, no jitter,
 * no loss, no duplicates) and the PRNG seeded from seed. Nodes start up and
 * all links open.
 */
void simnet_init(struct simnet *net,
                 struct vclock *vc,
                 int n,
                 uint64_t seed,
                 const struct simnet_config *cfg);
/*
 * Cancels every in-flight delivery and frees the net. Call it before
 * vclock_release(), or while the vclock is still valid.
 */
void simnet_release(struct simnet *net);
/* Changes latency, jitter, loss and duplication for sends from now on. */
void simnet_configure(struct simnet *net, const struct simnet_config *cfg);

/* Registers node's receiver; ctx is handed back on every delivery. */
void simnet_attach(struct simnet *net,
                   int node,
                   simnet_recv_fn *recv,
                   void *ctx);

/*
 * Sends a copy of msg from one node to another (itself included). Never
 * fails: like a datagram, a message that cannot arrive is silently dropped.
 */
void simnet_send(struct simnet *net,
                 int from,
                 int to,
                 const void *msg,
                 size_t len);

/*
 * Cuts every link between the nA nodes in groupA and all other nodes, both
 * ways. Adds to cuts already made.
 */
void simnet_partition(struct simnet *net, const int *groupA, size_t nA);
/* Cuts the link from -> to only. */
void simnet_block(struct simnet *net, int from, int to);
/* Reopens every link. Down nodes stay down. */
void simnet_heal(struct simnet *net);
/* Whether from -> to is cut (down nodes aside). */
bool simnet_is_blocked(const struct simnet *net, int from, int to);

/*
 * Crashes node: everything it sends, and everything sent to it, is dropped
 * until simnet_up(), including messages in flight now.
 */
void simnet_down(struct simnet *net, int node);
/* Restarts node. Messages from before the crash still never arrive. */
void simnet_up(struct simnet *net, int node);
bool simnet_is_down(const struct simnet *net, int node);

const struct simnet_stats *simnet_stats(const struct simnet *net);
/* Messages sent but neither delivered nor dropped yet. */
size_t simnet_in_flight(const struct simnet *net);
/*
 * A hash of every delivery so far (time, sender, receiver, bytes), in
 * order: two runs delivered the same things when their hashes match.
 */
uint64_t simnet_trace_hash(const struct simnet *net);

/*
 * Draws from the net's PRNG, for protocols under test that need their own
 * randomness yet must replay from the same seed. simnet_rand_below()
 * returns a uniform value in [0, bound); bound must be positive.
 */
uint64_t simnet_rand(struct simnet *net);
uint64_t simnet_rand_below(struct simnet *net, uint64_t bound);

#endif
