/*
 * The gossip mesh as an agent runs it: one SWIM member (swim.h) on the
 * sealed UDP + TCP transport (net.h), driven by the libuv loop.
 *
 * The facade only carries bytes and time between the two: datagrams in
 * go to swim_recv_packet(), stream requests to swim_stream_serve(), the
 * core's outputs to net_send_packet() / net_exchange(), its events to the
 * owner's callback, and one timer ticks the core at its next deadline.
 * Everything else (members, tags, records) is read and written through
 * the core itself, with mesh_now() as the time.
 *
 * Loop thread only.
 */
#ifndef CARAVAN_MESH_MESH_H
#define CARAVAN_MESH_MESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/swim.h"

struct err;
struct mesh;
struct seal_keyring;
struct uv_loop_s;

/* The member port when none is given (Nomad's serf port). */
#define MESH_DEFAULT_PORT 4648

struct mesh_config
{
    const char *name;         /* unique member name */
    const char *bind_ip;      /* "0.0.0.0", "127.0.0.1", "10.77.0.2" */
    uint16_t port;            /* 0: ephemeral */
    const char *advertise_ip; /* what others dial; NULL: bind_ip, or
                                 127.0.0.1 for a wildcard bind */
    struct swim_config swim;  /* timings (swim_config_default + overrides) */
    struct seal_keyring *keyring; /* borrowed; NULL or empty: plaintext */
    const struct swim_tag *tags;
    size_t n_tags;
    uint64_t seed; /* 0: random */
    /* Every core event, after the core has applied it. */
    void (*on_event)(void *arg, const struct swim_event *ev);
    void *arg;
};

/*
 * Binds cfg->bind_ip:cfg->port for UDP and TCP and starts the member
 * (alone until it joins). ERR_INVALID for a bad config, ERR_IO when the
 * port is taken.
 */
int mesh_start(struct uv_loop_s *loop,
               const struct mesh_config *cfg,
               struct mesh **out,
               struct err *err);

/* The port bound, and "ip:port" others reach us at. */
uint16_t mesh_port(const struct mesh *m);
const char *mesh_addr(const struct mesh *m);

/* The core, for reads and writes of members, tags and records. */
struct swim *mesh_swim(struct mesh *m);
/* The time to hand the core (the loop's monotonic ms). */
uint64_t mesh_now(const struct mesh *m);
/* After writing to the core directly: send what it queued. */
void mesh_flush(struct mesh *m);

/* Joins through each "ip:port"; outcomes come as SWIM_EVENT_JOINED. */
void mesh_join(struct mesh *m, const char *const *addrs, size_t n);

/* Transport counters (packets refused by the keyring...). */
struct net_stats;
void mesh_net_stats(const struct mesh *m, struct net_stats *out);

/* For tests: extra delay and loss on what this member sends to addr
 * (NULL: to everyone). */
void mesh_fault(struct mesh *m, const char *addr, uint64_t delay_ms,
                double drop);

/*
 * Leaves gracefully: broadcasts the leave and calls cb once it has gone
 * out (swim_leave_done) or timeout_ms has passed.
 */
void mesh_leave(struct mesh *m,
                uint64_t timeout_ms,
                void (*cb)(void *arg),
                void *arg);

/* Stops without a word (as a crash looks to the others), then cb. */
void mesh_close(struct mesh *m, void (*cb)(void *arg), void *arg);

#endif
