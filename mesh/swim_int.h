/*
 * Internals shared by the files of the SWIM core: the member table,
 * suspicion timers and awareness (suspicion.c), the broadcast queue
 * (broadcast.c) and the per-member records (records.c). Not for callers.
 */
#ifndef CARAVAN_MESH_SWIM_INT_H
#define CARAVAN_MESH_SWIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/map.h"
#include "lib/rand.h"
#include "mesh/swim.h"
#include "mesh/swim_codec.h"

/* ------------------------------------------------------------------ suspicion
 */

/*
 * Lifeguard §4.2 dynamic suspicion timeout: starts at max_ms, shrinks
 * towards min_ms with each independent confirmation, reaching min_ms at k.
 */
struct suspicion
{
    uint64_t start_ms;
    uint64_t min_ms;
    uint64_t max_ms;
    uint32_t k;         /* confirmations that bring the timeout to min */
    uint32_t n_confirm; /* distinct accusers after the first */
    char **from;        /* the first accuser and each confirmer */
    uint32_t n_from;
    uint64_t timeout_ms; /* after n_confirm confirmations, before LHA */
};

struct suspicion *swim__suspicion_new(uint64_t now_ms,
                                      uint32_t k,
                                      uint64_t min_ms,
                                      uint64_t max_ms,
                                      const char *from,
                                      size_t from_len);
void swim__suspicion_free(struct suspicion *s);
/* Counts a new accuser; false when it was already counted. */
bool swim__suspicion_confirm(struct suspicion *s,
                             const char *from,
                             size_t from_len);
/* The timeout after c confirmations. */
uint64_t swim__suspicion_timeout(uint64_t min_ms,
                                 uint64_t max_ms,
                                 uint32_t k,
                                 uint32_t c);
struct awareness;
/* start + timeout, stretched by the local health score. */
uint64_t swim__suspicion_deadline(const struct suspicion *s,
                                  const struct awareness *a);
/* min = mult * max(1, log10(max(1, n))) * interval. */
uint64_t swim__suspicion_min(uint32_t mult, size_t n, uint64_t interval_ms);

/* Lifeguard §4.1 local health: score in [0, max - 1]. */
struct awareness
{
    uint32_t max;
    uint32_t score;
};

void swim__awareness_apply(struct awareness *a, int delta);
uint64_t swim__awareness_scale(const struct awareness *a, uint64_t ms);

/* ------------------------------------------------------------------ broadcasts
 */

struct bcast
{
    char *key; /* what it is about: a newer one with the key replaces it */
    uint8_t *msg;
    size_t len;
    uint32_t transmits;
    uint64_t id;   /* grows: newer broadcasts go first at equal transmits */
    uint64_t fill; /* the last fill that took it: once per packet */
};

struct broadcast_queue
{
    struct bcast **items;
    size_t n, cap;
    struct map by_key;
    uint64_t next_id;
    uint64_t fills;
};

void swim__bq_init(struct broadcast_queue *q, uint64_t seed);
void swim__bq_release(struct broadcast_queue *q);
/* Queues an encoded message (copied) about key, replacing an older one. */
void swim__bq_push(struct broadcast_queue *q,
                   const char *key,
                   const struct buf *msg);
/*
 * Appends to out the messages that fit in budget bytes, least sent first,
 * counting a transmit on each and dropping those sent limit times.
 * Returns how many were appended.
 */
uint32_t swim__bq_fill(struct broadcast_queue *q,
                       uint32_t limit,
                       size_t budget,
                       uint32_t max_msgs,
                       struct buf *out);
/* Transmits of the broadcast about key, or -1 when none is queued. */
int64_t swim__bq_transmits(const struct broadcast_queue *q, const char *key);
static inline size_t swim__bq_len(const struct broadcast_queue *q)
{
    return q->n;
}

/* ------------------------------------------------------------------ records */

struct record
{
    char *key;
    uint64_t version;
    uint8_t *value; /* NULL: tombstone */
    size_t len;
    uint64_t changed_ms; /* local time of the last change we applied */
};

struct records
{
    struct record *items; /* sorted by key */
    size_t n, cap;
    size_t bytes;             /* values' bytes */
    uint64_t version;         /* newest version applied */
    struct swim_record *view; /* swim_records() answer */
    size_t view_cap;
};

void swim__records_release(struct records *r);
/*
 * Applies (key, version, value) when version is newer than what key has.
 * value NULL is a tombstone. Returns 1 when applied, 0 when stale,
 * ERR_TOO_BIG when the set would exceed its bounds.
 */
int swim__records_apply(struct records *r,
                        const char *key,
                        size_t key_len,
                        uint64_t version,
                        const void *value,
                        size_t len,
                        uint64_t now_ms);
struct record *swim__records_find(const struct records *r,
                                  const char *key,
                                  size_t key_len);
/* Drops tombstones older than ttl; returns whether any went. */
bool swim__records_gc(struct records *r, uint64_t now_ms, uint64_t ttl_ms);
/* Live (non-tombstone) keys. */
size_t swim__records_live(const struct records *r);

/* ------------------------------------------------------------------ members */

struct member
{
    char *name;
    char *addr;
    enum swim_member_state state;
    uint32_t incarnation;
    uint64_t state_change_ms;
    uint8_t *tags;
    size_t tags_len;
    struct suspicion *suspicion; /* when SUSPECT */
    struct records records;
    size_t index;          /* in swim->members */
    uint64_t pull_version; /* RECNOTE asked us to pull up to this */
};

/* ------------------------------------------------------------------ the core
 */

struct probe
{
    bool active;
    char *target;
    uint64_t seq;
    uint64_t timeout_at_ms; /* direct ack wait ends: go indirect */
    uint64_t end_at_ms;     /* period ends: suspect */
    bool indirect_sent;
    uint32_t expected_nacks;
    uint32_t nacks;
};

/* A ping we send for someone else's ping-req (SWIM §3.1). */
struct relay
{
    uint64_t seq; /* of our ping */
    uint64_t requester_seq;
    char *requester_addr;
    bool want_nack;
    bool nacked;
    uint64_t nack_at_ms;
    uint64_t expire_ms;
};

enum stream_kind {
    STREAM_PROBE,
    STREAM_PUSH_PULL,
    STREAM_JOIN,
};

struct stream_wait
{
    uint64_t id;
    enum stream_kind kind;
    uint64_t seq; /* PROBE */
    size_t join;  /* JOIN: index in joins */
    char *addr;
};

struct join_target
{
    char *addr;
    uint32_t attempts;
    uint64_t next_ms;
    bool waiting; /* a stream is out */
    bool done;
};

struct out_item
{
    struct swim_output out;
    char *addr;
    char *name;
    uint8_t *data;
};

struct swim
{
    struct swim_config cfg;
    struct rng rng;
    struct member *self; /* also members[0] */
    struct member **members;
    size_t n_members, cap_members;
    struct map by_name;
    size_t n_alive; /* alive or suspect, self included */
    struct member **suspects;
    size_t n_suspects, cap_suspects;
    struct awareness awareness;
    struct broadcast_queue bq;
    uint64_t seq;
    bool leaving;

    struct member **probe_list;
    size_t probe_n, probe_cap, probe_idx;
    struct probe probe;
    uint64_t next_probe_ms;
    struct relay *relays;
    size_t n_relays, cap_relays;

    uint64_t next_gossip_ms;
    uint64_t next_push_pull_ms;
    uint64_t next_reconnect_ms;
    uint64_t next_housekeep_ms;

    struct stream_wait *streams;
    size_t n_streams, cap_streams;
    uint64_t next_stream_id;
    struct join_target *joins;
    size_t n_joins, cap_joins;

    struct out_item *outq;
    size_t out_head, out_n, out_cap;
    struct out_item polled; /* freed at the next poll */

    struct buf scratch;
    struct swim_stats stats;
};

static inline struct swim_str swim__sstr(const char *p)
{
    struct swim_str r = {p, (uint32_t)strlen(p)};

    return r;
}

static inline bool swim__str_eq(const char *a, struct swim_str b)
{
    return strlen(a) == b.len && memcmp(a, b.p, b.len) == 0;
}

static inline bool swim__is_gone(const struct member *m)
{
    return m->state == SWIM_MEMBER_DEAD || m->state == SWIM_MEMBER_LEFT;
}

static inline bool swim__is_live(const struct member *m)
{
    return !swim__is_gone(m);
}

/* swim.c: table, state changes, outputs */
/* The broadcast-queue key of news about name (and record key, or NULL). */
void swim__bcast_key(const char *prefix,
                     const char *name,
                     const char *key,
                     char *out,
                     size_t size);
/* Queues msg for gossip under key. */
void swim__broadcast_msg(struct swim *s,
                         const char *key,
                         const struct swim_msg *msg);
/* Forgets m's records (it left or was reaped), telling the upper layer. */
void swim__drop_records(struct swim *s, struct member *m);
struct member *swim__find(const struct swim *s, const char *name, size_t len);
void swim__emit(struct swim *s,
                enum swim_event_kind kind,
                const struct member *m,
                int rc,
                const char *name);
/* Queues a packet of the n messages in msgs, filled up with broadcasts. */
void swim__send(struct swim *s,
                const char *addr,
                const struct buf *msgs,
                uint32_t n,
                bool piggyback);
void swim__send_stream(struct swim *s,
                       const char *addr,
                       const struct buf *packet,
                       uint64_t deadline_ms,
                       struct stream_wait *w);
uint32_t swim__retransmit_limit(const struct swim *s);
void swim__on_alive(struct swim *s, uint64_t now_ms, const struct swim_msg *m);
void swim__on_suspect(struct swim *s,
                      uint64_t now_ms,
                      const struct swim_msg *m);
void swim__on_dead(struct swim *s, uint64_t now_ms, const struct swim_msg *m);
/* swim_sync.c: records and push/pull */
void swim__on_record(struct swim *s, uint64_t now_ms, const struct swim_msg *m);
void swim__on_recnote(struct swim *s,
                      uint64_t now_ms,
                      const struct swim_msg *m);
/* Encodes our full state as a STATE packet. */
void swim__state_packet(struct swim *s, bool join, struct buf *out);
void swim__merge_state(struct swim *s,
                       uint64_t now_ms,
                       const struct swim_state *st);
void swim__push_pull(struct swim *s,
                     uint64_t now_ms,
                     const char *addr,
                     enum stream_kind kind,
                     size_t join);
void swim__housekeep(struct swim *s, uint64_t now_ms);
/* swim_probe.c */
void swim__probe_tick(struct swim *s, uint64_t now_ms);
void swim__probe_acked(struct swim *s, uint64_t now_ms, uint64_t seq);
void swim__probe_add(struct swim *s, struct member *m);
void swim__probe_remove(struct swim *s, struct member *m);
size_t swim__pick(struct swim *s,
                  uint64_t now_ms,
                  size_t k,
                  const struct member *exclude,
                  bool dead_too,
                  struct member **out);
uint64_t swim__probe_deadline(const struct swim *s);

#endif
