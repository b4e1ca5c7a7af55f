/*
 * The SWIM core: the member table, what each message does to it, records,
 * push/pull state, and the output queue. Probing, gossip and the timers
 * are in swim_probe.c. Protocol summary and the caller's contract are in
 * swim.h.
 *
 * Member state machine (SWIM §4.2, "suspicion mechanism"):
 *
 *   ALIVE --probe fails / SUSPECT msg--> SUSPECT --timeout / DEAD msg--> DEAD
 *     ^                                    |                             |
 *     +---- ALIVE msg, higher incarnation -+-----------------------------+
 *   any --DEAD msg from the member itself--> LEFT --reap_ms--> forgotten
 *   DEAD --reap_ms--> forgotten (with its records)
 *
 * "Any member receiving [a suspect message about itself] ... refutes it by
 * incrementing its incarnation number and broadcasting an alive message"
 * (SWIM §4.2): an ALIVE of incarnation i overrides SUSPECT of i' < i... and
 * SUSPECT of i overrides ALIVE of i' <= i, DEAD overrides both at i' <= i.
 */
#include "mesh/swim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/assert.h"
#include "lib/err.h"
#include "lib/mp.h"
#include "mesh/swim_codec.h"
#include "mesh/swim_int.h"

/* ------------------------------------------------------------------ outputs */

static struct out_item *out_push(struct swim *s)
{
    struct out_item *o;

    if (s->out_head > 0 && s->out_head == s->out_n) {
        s->out_head = 0;
        s->out_n = 0;
    }
    XGROW(s->outq, s->out_cap, s->out_n + 1);
    o = &s->outq[s->out_n++];
    memset(o, 0, sizeof(*o));
    return o;
}

static void out_free(struct out_item *o)
{
    free(o->addr);
    free(o->name);
    free(o->data);
    memset(o, 0, sizeof(*o));
}

bool swim_poll(struct swim *s, struct swim_output *out)
{
    out_free(&s->polled);
    if (s->out_head >= s->out_n)
        return false;
    s->polled = s->outq[s->out_head++];
    *out = s->polled.out;
    return true;
}

void swim__emit(struct swim *s,
                enum swim_event_kind kind,
                const struct member *m,
                int rc,
                const char *name)
{
    struct out_item *o = out_push(s);

    o->out.kind = SWIM_OUT_EVENT;
    o->out.event.kind = kind;
    o->name = xstrdup(m != NULL ? m->name : name);
    o->out.event.name = o->name;
    if (m != NULL) {
        o->addr = xstrdup(m->addr);
        o->out.event.addr = o->addr;
        o->out.event.incarnation = m->incarnation;
    }
    o->out.event.rc = rc;
}

uint32_t swim__retransmit_limit(const struct swim *s)
{
    double n = (double)s->n_alive + 1.0;

    return s->cfg.retransmit_mult * (uint32_t)ceil(log10(n));
}

void swim__send(struct swim *s,
                const char *addr,
                const struct buf *msgs,
                uint32_t n,
                bool piggyback)
{
    struct buf body = BUF_INIT;
    struct buf pkt = BUF_INIT;
    struct out_item *o;

    if (msgs != NULL && msgs->len > 0)
        buf_append(&body, msgs->data, msgs->len);
    if (piggyback && swim__bq_len(&s->bq) > 0) {
        size_t room = s->cfg.packet_size - swim_packet_header_size(UINT16_MAX);

        if (body.len < room)
            n +=
                swim__bq_fill(&s->bq, swim__retransmit_limit(s),
                              room - body.len, SWIM_PACKET_MSGS_MAX - n, &body);
    }
    if (n == 0) {
        buf_release(&body);
        return;
    }
    swim_packet_frame(n, body.data, body.len, &pkt);
    buf_release(&body);
    o = out_push(s);
    o->out.kind = SWIM_OUT_PACKET;
    o->addr = xstrdup(addr);
    o->out.addr = o->addr;
    o->out.len = pkt.len;
    o->data = (uint8_t *)buf_detach(&pkt);
    o->out.data = o->data;
    s->stats.packets_out++;
    s->stats.msgs_out += n;
    s->stats.bytes_out += o->out.len;
}

void swim__send_stream(struct swim *s,
                       const char *addr,
                       const struct buf *packet,
                       uint64_t deadline_ms,
                       struct stream_wait *w)
{
    struct out_item *o = out_push(s);

    w->id = ++s->next_stream_id;
    w->addr = xstrdup(addr);
    XGROW(s->streams, s->cap_streams, s->n_streams + 1);
    s->streams[s->n_streams++] = *w;
    o->out.kind = SWIM_OUT_STREAM;
    o->addr = xstrdup(addr);
    o->out.addr = o->addr;
    o->data = xmalloc(packet->len);
    memcpy(o->data, packet->data, packet->len);
    o->out.data = o->data;
    o->out.len = packet->len;
    o->out.stream_id = w->id;
    o->out.deadline_ms = deadline_ms;
    s->stats.streams_out++;
}

/* ------------------------------------------------------------------ table */

struct member *swim__find(const struct swim *s, const char *name, size_t len)
{
    char key[SWIM_NAME_MAX + 1];

    if (len > SWIM_NAME_MAX)
        return NULL;
    memcpy(key, name, len);
    key[len] = '\0';
    return map_get(&s->by_name, key);
}

static struct member *member_add(struct swim *s,
                                 struct swim_str name,
                                 struct swim_str addr,
                                 uint64_t now_ms)
{
    struct member *m = xcalloc(1, sizeof(*m));

    m->name = xstrndup(name.p, name.len);
    m->addr = xstrndup(addr.p, addr.len);
    m->state = SWIM_MEMBER_ALIVE;
    m->state_change_ms = now_ms;
    XGROW(s->members, s->cap_members, s->n_members + 1);
    m->index = s->n_members;
    s->members[s->n_members++] = m;
    map_put(&s->by_name, m->name, m);
    s->n_alive++;
    if (m != s->self && s->self != NULL)
        swim__probe_add(s, m);
    return m;
}

static void suspects_remove(struct swim *s, struct member *m)
{
    for (size_t i = 0; i < s->n_suspects; i++) {
        if (s->suspects[i] == m) {
            s->suspects[i] = s->suspects[--s->n_suspects];
            break;
        }
    }
    swim__suspicion_free(m->suspicion);
    m->suspicion = NULL;
}

static void member_free(struct member *m)
{
    swim__suspicion_free(m->suspicion);
    swim__records_release(&m->records);
    free(m->name);
    free(m->addr);
    free(m->tags);
    free(m);
}

static void member_remove(struct swim *s, struct member *m)
{
    size_t i = m->index;

    BUG_ON(m == s->self);
    swim__probe_remove(s, m);
    suspects_remove(s, m);
    map_del(&s->by_name, m->name);
    s->members[i] = s->members[--s->n_members];
    s->members[i]->index = i;
    member_free(m);
}

/* ------------------------------------------------------------------ broadcasts
 */

void swim__bcast_key(const char *prefix,
                     const char *name,
                     const char *key,
                     char *out,
                     size_t size)
{
    if (key != NULL)
        snprintf(out, size, "%s%s\x1f%s", prefix, name, key);
    else
        snprintf(out, size, "%s%s", prefix, name);
}

void swim__broadcast_msg(struct swim *s,
                         const char *key,
                         const struct swim_msg *msg)
{
    buf_reset(&s->scratch);
    swim_msg_encode(msg, &s->scratch);
    /*
     * A message no packet can carry would wait in the queue for ever
     * (a peer with a larger packet_size sent it): push/pull carries it.
     */
    if (s->scratch.len + swim_packet_header_size(UINT16_MAX) >
        s->cfg.packet_size) {
        s->stats.too_big++;
        return;
    }
    swim__bq_push(&s->bq, key, &s->scratch);
}

static void broadcast_member(struct swim *s,
                             const struct member *m,
                             enum swim_msg_type type,
                             const char *from)
{
    struct swim_msg msg;
    char key[SWIM_NAME_MAX + 8];

    memset(&msg, 0, sizeof(msg));
    msg.type = type;
    msg.name = swim__sstr(m->name);
    msg.addr = swim__sstr(m->addr);
    msg.incarnation = m->incarnation;
    msg.data = m->tags;
    msg.data_len = (uint32_t)m->tags_len;
    if (from != NULL)
        msg.from = swim__sstr(from);
    /* One slot per member: a newer state replaces what is queued. */
    swim__bcast_key("m:", m->name, NULL, key, sizeof(key));
    swim__broadcast_msg(s, key, &msg);
}

/*
 * "Refutes it by incrementing its incarnation number and broadcasting an
 * alive message" (SWIM §4.2). The accuser also gets the refutation at
 * once, in its own packet: it is the one whose timer runs, and gossip
 * alone may take rounds to reach it under loss.
 */
/* Sends our current alive message straight to the member named by. */
static void tell_alive(struct swim *s, struct swim_str by)
{
    struct member *to = swim__find(s, by.p, by.len);
    struct swim_msg msg;
    struct buf b = BUF_INIT;

    if (to == NULL || to == s->self || swim__is_gone(to))
        return;
    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_ALIVE;
    msg.name = swim__sstr(s->self->name);
    msg.addr = swim__sstr(s->self->addr);
    msg.incarnation = s->self->incarnation;
    msg.data = s->self->tags;
    msg.data_len = (uint32_t)s->self->tags_len;
    swim_msg_encode(&msg, &b);
    swim__send(s, to->addr, &b, 1, false);
    buf_release(&b);
}

/*
 * "Refutes it by incrementing its incarnation number and broadcasting an
 * alive message" (SWIM §4.2). The accuser also gets the refutation at
 * once, in its own packet: it is the one whose timer runs, and gossip
 * alone may take rounds to reach it under loss.
 */
static void refute(struct swim *s, uint32_t accused_inc, struct swim_str by)
{
    if (accused_inc >= s->self->incarnation)
        s->self->incarnation = accused_inc + 1;
    s->stats.refutes++;
    if (s->cfg.lifeguard)
        swim__awareness_apply(&s->awareness, 1);
    broadcast_member(s, s->self, SWIM_MSG_ALIVE, NULL);
    tell_alive(s, by);
}

/*
 * An accusation of an incarnation we already refuted: its sender missed
 * the refutation (every copy of the gossip lost), and its timer still
 * runs. Plain SWIM ignores it; we answer the sender directly, which the
 * buddy system's pings make it ask again and again until it hears.
 */
static void refute_stale(struct swim *s, struct swim_str by)
{
    tell_alive(s, by);
}

/* ------------------------------------------------------------------ state
 * changes */

static bool tags_differ(const struct member *m, const uint8_t *t, size_t len)
{
    return m->tags_len != len || (len > 0 && memcmp(m->tags, t, len) != 0);
}

static void set_tags(struct member *m, const uint8_t *t, size_t len)
{
    free(m->tags);
    m->tags = NULL;
    m->tags_len = 0;
    if (len > 0) {
        m->tags = xmalloc(len);
        memcpy(m->tags, t, len);
        m->tags_len = len;
    }
}

static void set_state(struct swim *s,
                      struct member *m,
                      enum swim_member_state st,
                      uint64_t now_ms)
{
    bool was_live = !swim__is_gone(m);
    bool live = st == SWIM_MEMBER_ALIVE || st == SWIM_MEMBER_SUSPECT;

    if (m->state == SWIM_MEMBER_SUSPECT && st != SWIM_MEMBER_SUSPECT)
        suspects_remove(s, m);
    if (was_live && !live)
        s->n_alive--;
    if (!was_live && live)
        s->n_alive++;
    if (m->state != st)
        m->state_change_ms = now_ms;
    m->state = st;
}

/* A member may take a new address only once its old one is long dead. */
static bool may_move(const struct swim *s,
                     const struct member *m,
                     uint64_t now_ms)
{
    return swim__is_gone(m) && now_ms >= m->state_change_ms + s->cfg.reclaim_ms;
}

void swim__on_alive(struct swim *s, uint64_t now_ms, const struct swim_msg *msg)
{
    struct member *m = swim__find(s, msg->name.p, msg->name.len);
    enum swim_member_state old;
    bool moved = false, tags_changed;

    if (m == s->self) {
        /*
         * Another process claims our name elsewhere: out-voting it would
         * start an incarnation war, and the mesh already refuses to move
         * a live name. Count it for the operator.
         */
        if (!swim__str_eq(m->addr, msg->addr))
            s->stats.conflicts++;
        /* News of an older us (we restarted): out-vote it. */
        else if (!s->leaving && msg->incarnation > m->incarnation)
            refute(s, msg->incarnation, msg->from);
        return;
    }
    if (m == NULL) {
        m = member_add(s, msg->name, msg->addr, now_ms);
        m->incarnation = msg->incarnation;
        set_tags(m, msg->data, msg->data_len);
        swim__emit(s, SWIM_EVENT_JOIN, m, 0, NULL);
        broadcast_member(s, m, SWIM_MSG_ALIVE, NULL);
        return;
    }
    if (!swim__str_eq(m->addr, msg->addr)) {
        if (!may_move(s, m, now_ms))
            return; /* another process claims a live name: ignore it */
        moved = true;
    } else if (msg->incarnation <= m->incarnation) {
        return;
    }
    old = m->state;
    tags_changed = tags_differ(m, msg->data, msg->data_len);
    if (moved) {
        free(m->addr);
        m->addr = xstrndup(msg->addr.p, msg->addr.len);
    }
    m->incarnation = msg->incarnation;
    set_tags(m, msg->data, msg->data_len);
    set_state(s, m, SWIM_MEMBER_ALIVE, now_ms);
    if (old == SWIM_MEMBER_DEAD || old == SWIM_MEMBER_LEFT)
        swim__emit(s, SWIM_EVENT_JOIN, m, 0, NULL);
    else if (old == SWIM_MEMBER_SUSPECT)
        swim__emit(s, SWIM_EVENT_ALIVE, m, 0, NULL);
    if (old != SWIM_MEMBER_DEAD && old != SWIM_MEMBER_LEFT &&
        (tags_changed || moved))
        swim__emit(s, SWIM_EVENT_UPDATE, m, 0, NULL);
    broadcast_member(s, m, SWIM_MSG_ALIVE, NULL);
}

static uint32_t suspicion_k(const struct swim *s)
{
    uint32_t k;

    if (!s->cfg.lifeguard || s->cfg.suspicion_mult <= 2 || s->n_alive < 3)
        return 0;
    k = s->cfg.suspicion_mult - 2;
    if ((size_t)k > s->n_alive - 2)
        k = (uint32_t)(s->n_alive - 2);
    return k;
}

static void start_suspicion(struct swim *s,
                            struct member *m,
                            uint64_t now_ms,
                            struct swim_str from)
{
    uint64_t min = swim__suspicion_min(s->cfg.suspicion_mult, s->n_alive,
                                       s->cfg.probe_interval_ms);
    uint64_t max = s->cfg.lifeguard ? min * s->cfg.suspicion_max_mult : min;

    set_state(s, m, SWIM_MEMBER_SUSPECT, now_ms);
    m->suspicion =
        swim__suspicion_new(now_ms, suspicion_k(s), min, max, from.p, from.len);
    XGROW(s->suspects, s->cap_suspects, s->n_suspects + 1);
    s->suspects[s->n_suspects++] = m;
}

void swim__on_suspect(struct swim *s,
                      uint64_t now_ms,
                      const struct swim_msg *msg)
{
    struct member *m = swim__find(s, msg->name.p, msg->name.len);

    if (m == s->self && !s->leaving && msg->incarnation < m->incarnation) {
        refute_stale(s, msg->from);
        return;
    }
    if (m == NULL || msg->incarnation < m->incarnation)
        return;
    if (m == s->self) {
        if (!s->leaving)
            refute(s, msg->incarnation, msg->from);
        return;
    }
    if (swim__is_gone(m))
        return;
    if (m->state == SWIM_MEMBER_SUSPECT && msg->incarnation > m->incarnation) {
        /*
         * It refuted the suspicion we hold (we missed that) and is now
         * suspected again: a new suspicion with a fresh timer, not a
         * confirmation of the old one.
         */
        suspects_remove(s, m);
        m->state = SWIM_MEMBER_ALIVE;
        m->incarnation = msg->incarnation;
        start_suspicion(s, m, now_ms, msg->from);
        broadcast_member(s, m, SWIM_MSG_SUSPECT, m->suspicion->from[0]);
        return;
    }
    if (m->state == SWIM_MEMBER_SUSPECT) {
        /*
         * Only new evidence travels on, under the confirmer's name, so it
         * shortens the others' timers too (Lifeguard §4.2).
         */
        if (swim__suspicion_confirm(m->suspicion, msg->from.p, msg->from.len))
            broadcast_member(s, m, SWIM_MSG_SUSPECT,
                             m->suspicion->from[m->suspicion->n_from - 1]);
        return;
    }
    m->incarnation = msg->incarnation;
    start_suspicion(s, m, now_ms, msg->from);
    swim__emit(s, SWIM_EVENT_SUSPECT, m, 0, NULL);
    broadcast_member(s, m, SWIM_MSG_SUSPECT, m->suspicion->from[0]);
}

void swim__drop_records(struct swim *s, struct member *m)
{
    bool had = swim__records_live(&m->records) > 0;

    /* The version stays: an old record arriving late is still stale. */
    {
        uint64_t v = m->records.version;

        swim__records_release(&m->records);
        m->records.version = v;
    }
    if (had)
        swim__emit(s, SWIM_EVENT_RECORDS, m, 0, NULL);
}

void swim__on_dead(struct swim *s, uint64_t now_ms, const struct swim_msg *msg)
{
    struct member *m = swim__find(s, msg->name.p, msg->name.len);
    bool left = swim__str_eq(m != NULL ? m->name : "", msg->from);

    if (m == s->self && !s->leaving && msg->incarnation < m->incarnation) {
        refute_stale(s, msg->from);
        return;
    }
    if (m == NULL || msg->incarnation < m->incarnation ||
        m->state == SWIM_MEMBER_LEFT)
        return;
    if (m == s->self) {
        if (!s->leaving)
            refute(s, msg->incarnation, msg->from);
        return;
    }
    if (m->state == SWIM_MEMBER_DEAD && !left)
        return;
    m->incarnation = msg->incarnation;
    set_state(s, m, left ? SWIM_MEMBER_LEFT : SWIM_MEMBER_DEAD, now_ms);
    swim__emit(s, left ? SWIM_EVENT_LEAVE : SWIM_EVENT_FAIL, m, 0, NULL);
    if (left)
        swim__drop_records(s, m);
    broadcast_member(s, m, SWIM_MSG_DEAD, left ? m->name : s->self->name);
}

/* Our suspicion of m ran out (SWIM §4.2): we declare it dead. */
static void suspicion_expired(struct swim *s, uint64_t now_ms, struct member *m)
{
    struct swim_msg msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_DEAD;
    msg.name = swim__sstr(m->name);
    msg.incarnation = m->incarnation;
    msg.from = swim__sstr(s->self->name);
    swim__on_dead(s, now_ms, &msg);
}

/* ------------------------------------------------------------------
 * housekeeping */

void swim__housekeep(struct swim *s, uint64_t now_ms)
{
    for (size_t i = 0; i < s->n_suspects;) {
        struct member *m = s->suspects[i];

        if (swim__suspicion_deadline(m->suspicion, &s->awareness) <= now_ms)
            suspicion_expired(s, now_ms, m); /* removes it from suspects */
        else
            i++;
    }
    if (now_ms < s->next_housekeep_ms)
        return;
    s->next_housekeep_ms = now_ms + 1000;
    for (size_t i = s->n_members; i-- > 1;) {
        struct member *m = s->members[i];

        if (swim__is_gone(m) && now_ms >= m->state_change_ms + s->cfg.reap_ms) {
            swim__drop_records(s, m);
            swim__emit(s, SWIM_EVENT_REAP, m, 0, NULL);
            member_remove(s, m);
            continue;
        }
        if (m->records.n > 0 &&
            swim__records_gc(&m->records, now_ms, s->cfg.tombstone_ttl_ms))
            continue;
    }
    swim__records_gc(&s->self->records, now_ms, s->cfg.tombstone_ttl_ms);
}

uint64_t swim_next_deadline_ms(const struct swim *s)
{
    uint64_t t = swim__probe_deadline(s);

    for (size_t i = 0; i < s->n_suspects; i++) {
        uint64_t d =
            swim__suspicion_deadline(s->suspects[i]->suspicion, &s->awareness);

        if (d < t)
            t = d;
    }
    if (s->n_members > 1 && s->next_housekeep_ms < t)
        t = s->next_housekeep_ms;
    return t;
}

/* ------------------------------------------------------------------ lifecycle
 */

struct swim *swim_new(const struct swim_config *cfg,
                      const char *name,
                      const char *addr,
                      uint64_t seed,
                      uint64_t now_ms)
{
    struct swim *s = xcalloc(1, sizeof(*s));

    s->cfg = *cfg;
    rng_seed(&s->rng, seed);
    map_init_seeded(&s->by_name, rng_u64(&s->rng));
    swim__bq_init(&s->bq, rng_u64(&s->rng));
    s->awareness.max = cfg->lifeguard ? cfg->awareness_max_mult : 1;
    s->self = member_add(s, swim__sstr(name), swim__sstr(addr), now_ms);
    s->next_probe_ms = now_ms + rng_below(&s->rng, cfg->probe_interval_ms);
    s->next_gossip_ms = now_ms + cfg->gossip_interval_ms;
    /* Staggered, so a mesh started at once does not sync in lockstep. */
    s->next_push_pull_ms =
        now_ms + rng_below(&s->rng, cfg->push_pull_interval_ms + 1);
    s->next_reconnect_ms = now_ms + cfg->reconnect_interval_ms;
    s->next_housekeep_ms = now_ms + 1000;
    return s;
}

void swim_free(struct swim *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_members; i++)
        member_free(s->members[i]);
    free(s->members);
    map_release(&s->by_name, NULL);
    free(s->suspects);
    swim__bq_release(&s->bq);
    free(s->probe_list);
    free(s->probe.target);
    for (size_t i = 0; i < s->n_relays; i++)
        free(s->relays[i].requester_addr);
    free(s->relays);
    for (size_t i = 0; i < s->n_streams; i++)
        free(s->streams[i].addr);
    free(s->streams);
    for (size_t i = 0; i < s->n_joins; i++)
        free(s->joins[i].addr);
    free(s->joins);
    for (size_t i = s->out_head; i < s->out_n; i++)
        out_free(&s->outq[i]);
    free(s->outq);
    out_free(&s->polled);
    buf_release(&s->scratch);
    free(s);
}

void swim_learn(struct swim *s,
                uint64_t now_ms,
                const char *name,
                const char *addr)
{
    if (swim__find(s, name, strlen(name)) != NULL)
        return;
    member_add(s, swim__sstr(name), swim__sstr(addr), now_ms);
}

int swim_set_tags(struct swim *s,
                  uint64_t now_ms,
                  const struct swim_tag *tags,
                  size_t n,
                  struct err *err)
{
    struct buf b = BUF_INIT;
    int rc;

    (void)now_ms;
    if (n > SWIM_TAGS_MAX)
        return err_set(err, ERR_INVALID, "tags: %zu, over %d", n,
                       SWIM_TAGS_MAX);
    mp_put_map(&b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        mp_put_str(&b, tags[i].key);
        mp_put_str(&b, tags[i].value != NULL ? tags[i].value : "");
    }
    rc = swim_tags_validate((const uint8_t *)b.data, b.len, err);
    if (rc != 0) {
        buf_release(&b);
        if (err != NULL)
            err->code = ERR_INVALID;
        return ERR_INVALID;
    }
    /* Our alive message must fit a packet with room for a ping. */
    if (b.len + SWIM_NAME_MAX + SWIM_ADDR_MAX + 64 > s->cfg.packet_size) {
        rc = err_set(err, ERR_INVALID,
                     "tags: %zu bytes encoded, over what a %zu-byte packet "
                     "carries",
                     b.len, s->cfg.packet_size);
        buf_release(&b);
        return rc;
    }
    set_tags(s->self, (const uint8_t *)b.data, b.len);
    buf_release(&b);
    s->self->incarnation++;
    broadcast_member(s, s->self, SWIM_MSG_ALIVE, NULL);
    return 0;
}

void swim_leave(struct swim *s, uint64_t now_ms)
{
    if (s->leaving)
        return;
    s->leaving = true;
    s->probe.active = false;
    set_state(s, s->self, SWIM_MEMBER_LEFT, now_ms);
    s->n_alive++; /* the leave still counts us when sizing its retransmits */
    broadcast_member(s, s->self, SWIM_MSG_DEAD, s->self->name);
}

bool swim_leave_done(const struct swim *s)
{
    char key[SWIM_NAME_MAX + 8];

    if (!s->leaving)
        return false;
    if (s->n_alive <= 1)
        return true;
    swim__bcast_key("m:", s->self->name, NULL, key, sizeof(key));
    return swim__bq_transmits(&s->bq, key) < 0;
}

/* ------------------------------------------------------------------ getters */

static void info_of(const struct member *m, struct swim_member_info *out)
{
    out->name = m->name;
    out->addr = m->addr;
    out->state = m->state;
    out->incarnation = m->incarnation;
    out->state_change_ms = m->state_change_ms;
    out->tags = m->tags;
    out->tags_len = m->tags_len;
    out->records_version = m->records.version;
}

size_t swim_member_count(const struct swim *s)
{
    return s->n_members;
}

void swim_member_at(const struct swim *s,
                    size_t i,
                    struct swim_member_info *out)
{
    assert(i < s->n_members);
    info_of(s->members[i], out);
}

bool swim_member_get(const struct swim *s,
                     const char *name,
                     struct swim_member_info *out)
{
    const struct member *m = swim__find(s, name, strlen(name));

    if (m == NULL)
        return false;
    info_of(m, out);
    return true;
}

size_t swim_alive_count(const struct swim *s)
{
    return s->n_alive;
}

const char *swim_name(const struct swim *s)
{
    return s->self->name;
}

uint32_t swim_incarnation(const struct swim *s)
{
    return s->self->incarnation;
}

uint32_t swim_awareness(const struct swim *s)
{
    return s->awareness.score;
}

const struct swim_stats *swim_stats(const struct swim *s)
{
    return &s->stats;
}

/* ------------------------------------------------------------ operator */

int swim_force_leave(struct swim *s, uint64_t now_ms, const char *name)
{
    struct member *m = swim__find(s, name, strlen(name));
    struct swim_msg msg;

    if (m == NULL || m == s->self)
        return ERR_NOT_FOUND;
    if (m->state == SWIM_MEMBER_LEFT)
        return 0;
    if (m->state != SWIM_MEMBER_DEAD && m->state != SWIM_MEMBER_SUSPECT)
        return ERR_STATE;
    /* A leave in its own name: what the member would have said. */
    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_DEAD;
    msg.name = swim__sstr(m->name);
    msg.incarnation = m->incarnation;
    msg.from = swim__sstr(m->name);
    swim__on_dead(s, now_ms, &msg);
    return 0;
}

void swim_records_version_floor(struct swim *s, uint64_t version)
{
    if (s->self->records.version < version)
        s->self->records.version = version;
}
