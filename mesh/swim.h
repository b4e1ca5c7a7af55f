/*
 * SWIM membership with the Lifeguard extensions: the pure core of the
 * gossip mesh. No sockets, no clock, no libuv: the caller (the mesh facade,
 * or a simulation) feeds inputs and carries out the outputs.
 *
 * Protocol (Das, Gupta, Motivala, "SWIM", DSN 2002; Dadgar, Phillips,
 * Currey, "Lifeguard: Local Health Awareness for More Accurate Failure
 * Detection", 2018):
 *
 *   - every probe period each member pings the next member of a shuffled
 *     round-robin list (SWIM §4.3). No ack within the probe timeout: it
 *     asks k others to ping the target for it (ping-req, SWIM §3.1), who
 *     answer with a nack when they got no ack either (Lifeguard §4.3), and
 *     it tries the target once over a stream (TCP fallback).
 *   - no ack by the end of the period: the target becomes suspect
 *     (SWIM §4.2). A suspect that hears of it refutes with a higher
 *     incarnation; otherwise it is declared dead when its suspicion
 *     timeout expires. The timeout starts at max and shrinks towards min
 *     as independent suspicions confirm it (Lifeguard §4.2):
 *       min = suspicion_mult * max(1, log10(n)) * probe_interval
 *       max = suspicion_max_timeout_mult * min
 *       timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1))
 *     with k = suspicion_mult - 2 expected confirmations (at most n - 2).
 *   - local health awareness (Lifeguard §4.1): a score in
 *     [0, awareness_max_multiplier - 1] rises on a probe that failed
 *     without the nacks it expected and on every refutation, falls on a
 *     successful probe; probe interval and timeout are multiplied by
 *     score + 1, so a member that is itself slow accuses less.
 *   - buddy system (Lifeguard §4.3): a ping to a member we hold suspect
 *     carries the suspicion first, so the member refutes at once.
 *   - updates spread by piggyback on pings and acks and by a gossip timer
 *     to gossip_nodes random members (SWIM §4.1); each is sent
 *     retransmit_mult * ceil(log10(n + 1)) times. A periodic push/pull
 *     stream exchange of the full state repairs what gossip missed, and
 *     joining is a push/pull with each given address.
 *
 * Caravan's additions, which let the LAN profile probe 2.5 times as often
 * as memberlist's (kill -9 found in ~2.3 s at 5 members against ~5.8 s
 * with Serf's timings in the same simulation) with no more false
 * positives (tests/bench/bench_swim.c measures both):
 *   - the buddy suspicion rides on every packet to the suspect (acks of
 *     its pings, gossip), not only on our probes;
 *   - a suspect answers an accusation of an incarnation it already
 *     refuted by sending its alive message straight to the accuser (who
 *     missed the refutation), and sends every refutation to the accuser
 *     as well as to gossip;
 *   - the local health factor (score + 1) also stretches the suspicion
 *     timeouts a member runs: a member that is losing packets gives
 *     suspects more time, a healthy one declares a crash at once;
 *   - a suspicion of a newer incarnation restarts the timer (it is a new
 *     suspicion), and confirmations travel under the confirmer's name.
 *
 * States: ALIVE -> SUSPECT -> DEAD, SUSPECT -> ALIVE (refuted), any -> LEFT
 * (graceful leave). DEAD and LEFT members stay in the table (so a late
 * message cannot resurrect them) until reap_ms; their name may be taken by
 * another address after reclaim_ms.
 *
 * Records: every member owns a set of key/value records (opaque values up
 * to SWIM_RECORD_VALUE_MAX bytes). Each change of the owner takes the next
 * value of the owner's version counter; receivers keep, per key, the
 * newest version they have seen, so sets merge per key. A delete is a
 * tombstone (a version with no value) kept for tombstone_ttl_ms so an old
 * value cannot come back through push/pull. Changes spread by broadcast
 * (a change too big for one packet spreads through push/pull only: the
 * broadcast then just tells the receiver to pull from the owner) and
 * converge through push/pull. When a member leaves, its records go at
 * once; when it is declared dead they stay until reap_ms.
 *
 * Driving the core (single-threaded; every call takes the current
 * monotonic time in ms, which must never go backwards):
 *
 *   s = swim_new(&cfg, name, addr, seed, now);
 *   swim_join(s, now, addrs, n);
 *   loop:
 *     on a datagram:          swim_recv_packet(s, now, from_addr, bytes)
 *     on a stream request:    swim_stream_serve(s, now, from_addr, req, &reply)
 *                             and send reply back on that stream
 *     on a stream reply/fail: swim_stream_done(s, now, id, rc, reply)
 *     at swim_next_deadline_ms(s): swim_tick(s, now)
 *     after any call: while (swim_poll(s, &out)) carry out `out`:
 *       SWIM_OUT_PACKET: send out.data to out.addr as one datagram;
 *       SWIM_OUT_STREAM: open a stream to out.addr, send out.data as the
 *         request, and feed the reply (or the failure, at the latest at
 *         out.deadline_ms) to swim_stream_done(out.stream_id);
 *       SWIM_OUT_EVENT: tell the upper layers (out.event).
 *
 * Calling swim_tick() early or twice is harmless. Outputs queue up until
 * polled; poll after every call. The core is not thread-safe: one loop
 * thread owns it.
 *
 * Events, per member (SWIM_EVENT_*): JOIN when it first appears or comes
 * back from DEAD/LEFT (with a higher incarnation, or at a new address
 * after reclaim_ms); UPDATE when a live member's tags or address change;
 * SUSPECT, ALIVE (refuted), FAIL (dead), LEAVE; REAP when forgotten;
 * RECORDS whenever the member's records change (also for the local
 * member after swim_record_set()); JOINED once per swim_join() address.
 * swim_learn() members raise no event.
 *
 * Addresses are strings "ip:port" the core only compares and hands back.
 * Every input of bytes may be garbage: it is bounded, rejected with a
 * counted error (swim_stats) and never trusted. The transport still
 * bounds its stream frames (a push/pull state holds every member and
 * their records; tens of MiB for a large mesh with big records).
 */
#ifndef CARAVAN_MESH_SWIM_H
#define CARAVAN_MESH_SWIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;
struct swim;

/* Bounds of what the wire may carry; larger is rejected before allocating. */
#define SWIM_NAME_MAX 128        /* member name, bytes */
#define SWIM_ADDR_MAX 64         /* "ip:port" */
#define SWIM_TAGS_MAX 64         /* tags per member */
#define SWIM_TAG_KEY_MAX 64      /* bytes */
#define SWIM_TAG_VALUE_MAX 512   /* bytes */
#define SWIM_TAGS_BYTES_MAX 4096 /* encoded tags of one member */
#define SWIM_RECORD_KEY_MAX 256
#define SWIM_RECORD_VALUE_MAX (64 * 1024)
#define SWIM_RECORDS_MAX 256                 /* keys per member */
#define SWIM_RECORDS_BYTES_MAX (1024 * 1024) /* values per member */
#define SWIM_MEMBERS_MAX 100000              /* in one push/pull state */
#define SWIM_PACKET_MSGS_MAX 512

enum swim_profile {
    SWIM_PROFILE_LAN,   /* default, one datacenter: probe 400/200 ms */
    SWIM_PROFILE_WAN,   /* between regions: probe 5 s / 3 s, mult 6 */
    SWIM_PROFILE_LOCAL, /* one host: probe 1 s / 200 ms, 1 indirect check */
};

/* Every knob of the protocol. swim_config_default() fills a profile. */
struct swim_config
{
    uint64_t probe_interval_ms;  /* one probe per period (before LHA) */
    uint64_t probe_timeout_ms;   /* wait for a direct ack (before LHA) */
    uint32_t indirect_checks;    /* k members asked by ping-req */
    bool tcp_fallback;           /* also probe over a stream */
    uint64_t gossip_interval_ms; /* gossip timer */
    uint32_t gossip_nodes;       /* fanout of each gossip round */
    uint64_t gossip_to_dead_ms;  /* keep gossiping to the dead this long */
    uint32_t suspicion_mult;     /* min timeout, in probe intervals */
    uint32_t suspicion_max_mult; /* max timeout = this * min */
    uint32_t retransmit_mult;    /* sends per broadcast, x ceil(log10(n+1)) */
    uint64_t push_pull_interval_ms; /* 0: no periodic push/pull */
    uint64_t reconnect_interval_ms; /* push/pull with a dead member; 0: off */
    uint64_t stream_timeout_ms;     /* push/pull and join streams */
    uint64_t join_retry_ms;         /* between join attempts to one address */
    uint32_t join_max_attempts;     /* per address; 0: forever */
    uint64_t reclaim_ms;       /* a dead member's name may move address after */
    uint64_t reap_ms;          /* dead: forgotten with its records after */
    uint64_t tombstone_ttl_ms; /* deleted record keys remembered this long */
    uint32_t awareness_max_mult; /* LHA: timeouts up to this * base */
    size_t packet_size;          /* largest datagram payload we send */
    /*
     * Off turns off every Lifeguard mechanism (LHA, nacks, the dynamic
     * suspicion timeout, buddy system): plain SWIM with a fixed suspicion
     * timeout of min. For comparisons; keep it on.
     */
    bool lifeguard;
};

/* Fills cfg with the timings of profile. */
void swim_config_default(struct swim_config *cfg, enum swim_profile profile);
/* Checks cfg is usable; ERR_INVALID with a message naming the knob. */
int swim_config_validate(const struct swim_config *cfg, struct err *err);

enum swim_member_state {
    SWIM_MEMBER_ALIVE,
    SWIM_MEMBER_SUSPECT,
    SWIM_MEMBER_DEAD,
    SWIM_MEMBER_LEFT,
};

const char *swim_member_state_str(enum swim_member_state st);

enum swim_event_kind {
    SWIM_EVENT_JOIN,    /* a member appeared (or came back from dead/left) */
    SWIM_EVENT_UPDATE,  /* its tags or address changed */
    SWIM_EVENT_SUSPECT, /* alive -> suspect */
    SWIM_EVENT_ALIVE,   /* suspect -> alive (it refuted) */
    SWIM_EVENT_FAIL,    /* declared dead */
    SWIM_EVENT_LEAVE,   /* left gracefully (its records are gone) */
    SWIM_EVENT_REAP,    /* a dead or left member forgotten for good */
    SWIM_EVENT_RECORDS, /* the member's records changed (read them again) */
    SWIM_EVENT_JOINED,  /* a join address answered (rc 0) or gave up */
};

const char *swim_event_kind_str(enum swim_event_kind k);

struct swim_event
{
    enum swim_event_kind kind;
    const char *name; /* the member; for JOINED, the address tried */
    const char *addr;
    uint32_t incarnation;
    int rc; /* JOINED: 0, or why the address gave up */
};

enum swim_output_kind {
    SWIM_OUT_PACKET,
    SWIM_OUT_STREAM,
    SWIM_OUT_EVENT,
};

struct swim_output
{
    enum swim_output_kind kind;
    const char *addr;    /* PACKET, STREAM: destination */
    const uint8_t *data; /* PACKET: datagram; STREAM: request */
    size_t len;
    uint64_t stream_id;      /* STREAM: pass to swim_stream_done() */
    uint64_t deadline_ms;    /* STREAM: report failure by then */
    struct swim_event event; /* EVENT */
};

struct swim_member_info
{
    const char *name;
    const char *addr;
    enum swim_member_state state;
    uint32_t incarnation;
    uint64_t state_change_ms;
    const uint8_t *tags; /* encoded; read with swim_tags_get() */
    size_t tags_len;
    uint64_t records_version; /* newest version seen of its records */
};

struct swim_record
{
    const char *key;
    uint64_t version;
    const uint8_t *value; /* NULL for a tombstone (deleted key) */
    size_t len;
};

struct swim_stats
{
    uint64_t packets_in, packets_out, bytes_out;
    uint64_t msgs_in, msgs_out; /* messages inside the packets */
    uint64_t decode_errors;     /* packets or streams rejected */
    uint64_t streams_out;
    uint64_t probes, probes_failed, indirect_probes, nacks_in;
    uint64_t refutes;
    uint64_t suspicions; /* members we ourselves accused */
    uint64_t too_big;    /* broadcasts no packet could carry: not queued */
    uint64_t conflicts;  /* alive messages giving our name another address */
};

struct swim_tag
{
    const char *key;
    const char *value;
};

/*
 * Creates the core for the local member name reachable at addr, with a
 * copy of cfg (validated by the caller) and its PRNG seeded from seed.
 * tags may be NULL. Ownership: the caller frees the core with swim_free().
 */
struct swim *swim_new(const struct swim_config *cfg,
                      const char *name,
                      const char *addr,
                      uint64_t seed,
                      uint64_t now_ms);
void swim_free(struct swim *s);

/*
 * Contacts each of the n addresses with a push/pull exchange (join flag
 * set), retrying every join_retry_ms up to join_max_attempts. One
 * SWIM_EVENT_JOINED per address reports the outcome.
 */
void swim_join(struct swim *s,
               uint64_t now_ms,
               const char *const *addrs,
               size_t n);

/*
 * Adds name at addr as alive at incarnation 0 without any message, as if
 * it had been learnt long ago: for restoring a saved peer list, and for
 * simulations that start a large mesh already converged. No event, no
 * broadcast. Ignored when name is known or is the local member.
 */
void swim_learn(struct swim *s,
                uint64_t now_ms,
                const char *name,
                const char *addr);

/* A datagram arrived from from_addr. Malformed input is counted, no more. */
void swim_recv_packet(struct swim *s,
                      uint64_t now_ms,
                      const char *from_addr,
                      const void *data,
                      size_t len);

/*
 * Answers a stream request from from_addr (a TCP probe or a push/pull):
 * appends the reply to reply. Returns 0, or ERR_MALFORMED (err says why)
 * when the request was garbage: then close the stream without a reply.
 */
int swim_stream_serve(struct swim *s,
                      uint64_t now_ms,
                      const char *from_addr,
                      const void *req,
                      size_t len,
                      struct buf *reply,
                      struct err *err);

/*
 * The outcome of stream stream_id: rc 0 with the reply bytes, or a
 * negative code (connection refused, timed out...) with no bytes. Must be
 * called exactly once per SWIM_OUT_STREAM; unknown ids are ignored.
 */
void swim_stream_done(struct swim *s,
                      uint64_t now_ms,
                      uint64_t stream_id,
                      int rc,
                      const void *reply,
                      size_t len);

/* Runs whatever timers are due at now_ms. */
void swim_tick(struct swim *s, uint64_t now_ms);
/* When the core next wants swim_tick() (monotonic ms). */
uint64_t swim_next_deadline_ms(const struct swim *s);

/*
 * Takes the next output. Returns false when none is queued. out's pointers
 * are borrowed: valid until the next swim_poll() or swim_free().
 */
bool swim_poll(struct swim *s, struct swim_output *out);

/*
 * Replaces the local member's tags (n pairs; keys unique) and broadcasts
 * them with a new incarnation. ERR_INVALID when a bound is exceeded or
 * the encoded tags leave no room in a packet (about packet_size - 256
 * bytes).
 */
int swim_set_tags(struct swim *s,
                  uint64_t now_ms,
                  const struct swim_tag *tags,
                  size_t n,
                  struct err *err);

/*
 * Starts a graceful leave: broadcasts that we left. Afterwards the core
 * stops probing but keeps gossiping; swim_leave_done() says when the
 * leave has been sent retransmit-limit times (or nobody is left to tell),
 * so the agent may stop.
 */
void swim_leave(struct swim *s, uint64_t now_ms);
bool swim_leave_done(const struct swim *s);

/*
 * Sets (value non-NULL) or deletes (value NULL) one record of the local
 * member and broadcasts the change. The value is copied. ERR_INVALID when
 * key or value exceed their bounds, ERR_TOO_BIG past SWIM_RECORDS_MAX keys
 * or SWIM_RECORDS_BYTES_MAX bytes.
 */
int swim_record_set(struct swim *s,
                    uint64_t now_ms,
                    const char *key,
                    const void *value,
                    size_t len,
                    struct err *err);

/*
 * The records of member name, tombstones included (value NULL), in key
 * order. Returns how many (0 for an unknown member) and points *out at
 * them: borrowed, valid until the next call into s that takes now_ms.
 */
size_t swim_records(struct swim *s,
                    const char *name,
                    const struct swim_record **out);

/*
 * Operator's force-leave: a failed (dead or suspect) member is marked as
 * having left, with a broadcast, so its records go at once. 0 when done
 * or already left, ERR_NOT_FOUND for an unknown name (or ourselves),
 * ERR_STATE for an alive member (it would refute anyway).
 */
int swim_force_leave(struct swim *s, uint64_t now_ms, const char *name);

/*
 * Our record versions continue from at least version: an agent restarted
 * on the same name passes, say, the wall clock in microseconds, so its
 * new records outrank what its earlier run published.
 */
void swim_records_version_floor(struct swim *s, uint64_t version);

/* The local member, then every other member we know, in table order. */
size_t swim_member_count(const struct swim *s);
/* Member i in [0, count); borrowed until the next call that takes now_ms. */
void swim_member_at(const struct swim *s,
                    size_t i,
                    struct swim_member_info *out);
/* False when name is unknown. */
bool swim_member_get(const struct swim *s,
                     const char *name,
                     struct swim_member_info *out);
/* Members alive or suspect, the local one included. */
size_t swim_alive_count(const struct swim *s);
/* The local member's name, incarnation and current LHA score. */
const char *swim_name(const struct swim *s);
uint32_t swim_incarnation(const struct swim *s);
uint32_t swim_awareness(const struct swim *s);
const struct swim_stats *swim_stats(const struct swim *s);

/*
 * Looks key up in encoded tags (from swim_member_info). Returns the value
 * copied and NUL-terminated into out (of out_size bytes) or false.
 */
bool swim_tags_get(const uint8_t *tags,
                   size_t len,
                   const char *key,
                   char *out,
                   size_t out_size);

#endif
