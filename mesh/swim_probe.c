/*
 * The SWIM core's timers and message intake: failure detection by
 * probing, relaying others' indirect probes, gossip rounds, push/pull and
 * join streams, and the dispatch of received packets.
 *
 * One probe period (SWIM §3.1 and §4.3, Lifeguard §4.1 and §4.3), with
 * interval and timeout scaled by the local health score:
 *
 *   t0        ping the next member of the shuffled list; a suspect target
 *             gets its suspicion in the same packet (buddy system)
 *   t0+timeout no ack: ping-req through k members (who nack if their own
 *             ping gets no ack), and one ping over a stream
 *   t0+interval no ack from any path: suspect the target. Missing nacks
 *             mean the fault may be ours: raise the health score.
 *
 * "The list is traversed in a round-robin fashion ... a newly joined
 * member is inserted at a random position" (SWIM §4.3): every member is
 * probed once per pass, which bounds the time to first detection.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/assert.h"
#include "lib/err.h"
#include "mesh/swim.h"
#include "mesh/swim_codec.h"
#include "mesh/swim_int.h"

/* ------------------------------------------------------------------ probe list
 */

void swim__probe_add(struct swim *s, struct member *m)
{
    size_t at;

    XGROW(s->probe_list, s->probe_cap, s->probe_n + 1);
    /* At a random place of the part of the pass still to come. */
    at = s->probe_idx +
         (size_t)rng_below(&s->rng, (uint64_t)(s->probe_n - s->probe_idx) + 1);
    memmove(&s->probe_list[at + 1], &s->probe_list[at],
            (s->probe_n - at) * sizeof(*s->probe_list));
    s->probe_list[at] = m;
    s->probe_n++;
}

void swim__probe_remove(struct swim *s, struct member *m)
{
    for (size_t i = 0; i < s->probe_n; i++) {
        if (s->probe_list[i] != m)
            continue;
        memmove(&s->probe_list[i], &s->probe_list[i + 1],
                (s->probe_n - i - 1) * sizeof(*s->probe_list));
        s->probe_n--;
        if (s->probe_idx > i)
            s->probe_idx--;
        return;
    }
}

static struct member *next_target(struct swim *s)
{
    for (size_t tries = 0; tries <= s->probe_n; tries++) {
        struct member *m;

        if (s->probe_idx >= s->probe_n) {
            s->probe_idx = 0;
            rng_shuffle(&s->rng, s->probe_list, s->probe_n,
                        sizeof(*s->probe_list));
        }
        if (s->probe_n == 0)
            return NULL;
        m = s->probe_list[s->probe_idx++];
        if (swim__is_live(m))
            return m;
    }
    return NULL;
}

size_t swim__pick(struct swim *s,
                  uint64_t now_ms,
                  size_t k,
                  const struct member *exclude,
                  bool dead_too,
                  struct member **out)
{
    size_t got = 0;

    for (size_t tries = 0; got < k && tries < 3 * s->n_members + 8; tries++) {
        struct member *m = s->members[rng_below(&s->rng, s->n_members)];
        bool ok = swim__is_live(m) ||
                  (dead_too && m->state == SWIM_MEMBER_DEAD &&
                   now_ms < m->state_change_ms + s->cfg.gossip_to_dead_ms);
        bool dup = false;

        if (m == s->self || m == exclude || !ok)
            continue;
        for (size_t i = 0; i < got; i++)
            dup |= out[i] == m;
        if (!dup)
            out[got++] = m;
    }
    return got;
}

/* ------------------------------------------------------------------ probing */

static void put_ping(struct swim *s,
                     uint64_t seq,
                     const struct member *target,
                     struct buf *out)
{
    struct swim_msg msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_PING;
    msg.seq = seq;
    msg.name = swim__sstr(target->name);
    msg.from = swim__sstr(s->self->name);
    msg.from_addr = swim__sstr(s->self->addr);
    swim_msg_encode(&msg, out);
}

/*
 * Buddy system (Lifeguard §4.3): a packet to a member we hold suspect
 * carries the suspicion first, so the member refutes now rather than when
 * gossip happens to reach it. We do it on every packet we address to it
 * (probes, acks of its pings, gossip), not only on probes: a member that
 * missed a refutation keeps asking the suspect until the answer arrives.
 * Returns the number of messages appended (0 or 1).
 */
static uint32_t put_buddy(struct swim *s,
                          const struct member *m,
                          struct buf *out)
{
    struct swim_msg sus;

    if (m == NULL || m->state != SWIM_MEMBER_SUSPECT || !s->cfg.lifeguard)
        return 0;
    memset(&sus, 0, sizeof(sus));
    sus.type = SWIM_MSG_SUSPECT;
    sus.name = swim__sstr(m->name);
    sus.incarnation = m->incarnation;
    sus.from = swim__sstr(s->self->name);
    swim_msg_encode(&sus, out);
    return 1;
}

static void start_probe(struct swim *s, uint64_t now_ms)
{
    struct member *m = next_target(s);
    struct buf msgs = BUF_INIT;
    uint32_t n = 0;

    s->next_probe_ms =
        now_ms + swim__awareness_scale(&s->awareness, s->cfg.probe_interval_ms);
    if (m == NULL)
        return;
    free(s->probe.target);
    memset(&s->probe, 0, sizeof(s->probe));
    s->probe.active = true;
    s->probe.target = xstrdup(m->name);
    s->probe.seq = ++s->seq;
    s->probe.timeout_at_ms =
        now_ms + swim__awareness_scale(&s->awareness, s->cfg.probe_timeout_ms);
    s->probe.end_at_ms = s->next_probe_ms;
    n += put_buddy(s, m, &msgs);
    put_ping(s, s->probe.seq, m, &msgs);
    swim__send(s, m->addr, &msgs, n + 1, true);
    buf_release(&msgs);
    s->stats.probes++;
}

static void go_indirect(struct swim *s, uint64_t now_ms, struct member *m)
{
    struct member *via[16];
    size_t k = s->cfg.indirect_checks < 16 ? s->cfg.indirect_checks : 16;
    size_t got = swim__pick(s, now_ms, k, m, false, via);
    struct swim_msg msg;
    struct buf b = BUF_INIT;

    s->probe.indirect_sent = true;
    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_PING_REQ;
    msg.seq = s->probe.seq;
    msg.name = swim__sstr(m->name);
    msg.addr = swim__sstr(m->addr);
    msg.from = swim__sstr(s->self->name);
    msg.want_nack = s->cfg.lifeguard;
    swim_msg_encode(&msg, &b);
    for (size_t i = 0; i < got; i++)
        swim__send(s, via[i]->addr, &b, 1, true);
    s->probe.expected_nacks = s->cfg.lifeguard ? (uint32_t)got : 0;
    s->stats.indirect_probes += got;
    if (s->cfg.tcp_fallback) {
        struct buf ping = BUF_INIT, pkt = BUF_INIT;
        struct stream_wait w;

        put_ping(s, s->probe.seq, m, &ping);
        swim_packet_frame(1, ping.data, ping.len, &pkt);
        memset(&w, 0, sizeof(w));
        w.kind = STREAM_PROBE;
        w.seq = s->probe.seq;
        swim__send_stream(s, m->addr, &pkt, s->probe.end_at_ms, &w);
        buf_release(&ping);
        buf_release(&pkt);
    }
    buf_release(&b);
}

static void probe_failed(struct swim *s, uint64_t now_ms, struct member *m)
{
    struct swim_msg msg;

    s->probe.active = false;
    s->stats.probes_failed++;
    if (s->cfg.lifeguard) {
        /* Lifeguard §4.3: nacks that did not come point at us. */
        uint32_t exp = s->probe.expected_nacks;
        uint32_t missed = exp > s->probe.nacks ? exp - s->probe.nacks : 0;

        swim__awareness_apply(&s->awareness, exp == 0 ? 1 : (int)missed);
    }
    if (m == NULL || !swim__is_live(m))
        return;
    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_SUSPECT;
    msg.name = swim__sstr(m->name);
    msg.incarnation = m->incarnation;
    msg.from = swim__sstr(s->self->name);
    if (m->state == SWIM_MEMBER_ALIVE)
        s->stats.suspicions++;
    swim__on_suspect(s, now_ms, &msg);
}

void swim__probe_acked(struct swim *s, uint64_t now_ms, uint64_t seq)
{
    (void)now_ms;
    if (!s->probe.active || seq != s->probe.seq)
        return;
    s->probe.active = false;
    swim__awareness_apply(&s->awareness, -1);
}

/* ------------------------------------------------------------------ relays */

static void on_ping_req(struct swim *s,
                        uint64_t now_ms,
                        const char *from_addr,
                        const struct swim_msg *req)
{
    struct relay *r;
    struct buf b = BUF_INIT;
    struct swim_msg msg;

    if (s->n_relays >= 256)
        return; /* a flood of ping-reqs must not grow us without bound */
    XGROW(s->relays, s->cap_relays, s->n_relays + 1);
    r = &s->relays[s->n_relays++];
    memset(r, 0, sizeof(*r));
    r->seq = ++s->seq;
    r->requester_seq = req->seq;
    r->requester_addr = xstrdup(from_addr);
    r->want_nack = req->want_nack;
    /*
     * Lifeguard §4.3: nack while the requester still waits. Our own
     * health score does not stretch this: the requester's window is set
     * by its score, not ours, and a late nack reads as a missed one.
     */
    r->nack_at_ms = now_ms + s->cfg.probe_timeout_ms * 8 / 10;
    r->expire_ms =
        now_ms + swim__awareness_scale(&s->awareness, s->cfg.probe_interval_ms);
    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_PING;
    msg.seq = r->seq;
    msg.name = req->name;
    msg.from = swim__sstr(s->self->name);
    msg.from_addr = swim__sstr(s->self->addr);
    swim_msg_encode(&msg, &b);
    {
        char addr[SWIM_ADDR_MAX + 1];

        memcpy(addr, req->addr.p, req->addr.len);
        addr[req->addr.len] = '\0';
        swim__send(s, addr, &b, 1, true);
    }
    buf_release(&b);
}

/* Sends an ack or nack; to, when known, may get the buddy suspicion. */
static void reply_seq(struct swim *s,
                      const char *addr,
                      enum swim_msg_type t,
                      uint64_t seq,
                      const struct member *to)
{
    struct swim_msg msg;
    struct buf b = BUF_INIT;
    uint32_t n = put_buddy(s, to, &b);

    memset(&msg, 0, sizeof(msg));
    msg.type = t;
    msg.seq = seq;
    swim_msg_encode(&msg, &b);
    swim__send(s, addr, &b, n + 1, true);
    buf_release(&b);
}

static void relay_remove(struct swim *s, size_t i)
{
    free(s->relays[i].requester_addr);
    s->relays[i] = s->relays[--s->n_relays];
}

static bool relay_ack(struct swim *s, uint64_t seq)
{
    for (size_t i = 0; i < s->n_relays; i++) {
        if (s->relays[i].seq != seq)
            continue;
        reply_seq(s, s->relays[i].requester_addr, SWIM_MSG_ACK,
                  s->relays[i].requester_seq, NULL);
        relay_remove(s, i);
        return true;
    }
    return false;
}

static void relays_tick(struct swim *s, uint64_t now_ms)
{
    for (size_t i = 0; i < s->n_relays;) {
        struct relay *r = &s->relays[i];

        if (r->want_nack && !r->nacked && now_ms >= r->nack_at_ms) {
            r->nacked = true;
            reply_seq(s, r->requester_addr, SWIM_MSG_NACK, r->requester_seq,
                      NULL);
        }
        if (now_ms >= r->expire_ms)
            relay_remove(s, i);
        else
            i++;
    }
}

/* ------------------------------------------------------------------ gossip,
 * push/pull, join */

static void gossip(struct swim *s, uint64_t now_ms)
{
    struct member *to[16];
    size_t k = s->cfg.gossip_nodes < 16 ? s->cfg.gossip_nodes : 16;
    size_t got;

    if (swim__bq_len(&s->bq) == 0)
        return;
    got = swim__pick(s, now_ms, k, NULL, true, to);
    for (size_t i = 0; i < got && swim__bq_len(&s->bq) > 0; i++) {
        struct buf b = BUF_INIT;
        uint32_t n = put_buddy(s, to[i], &b);

        swim__send(s, to[i]->addr, &b, n, true);
        buf_release(&b);
    }
}

void swim__push_pull(struct swim *s,
                     uint64_t now_ms,
                     const char *addr,
                     enum stream_kind kind,
                     size_t join)
{
    struct buf pkt = BUF_INIT;
    struct stream_wait w;

    swim__state_packet(s, kind == STREAM_JOIN, &pkt);
    memset(&w, 0, sizeof(w));
    w.kind = kind;
    w.join = join;
    swim__send_stream(s, addr, &pkt, now_ms + s->cfg.stream_timeout_ms, &w);
    buf_release(&pkt);
}

/* Larger meshes push/pull less often, so the total stream load stays flat. */
static uint64_t push_pull_interval(const struct swim *s)
{
    double n = (double)s->n_alive;
    double mult = 1.0;

    if (n > 32)
        mult = ceil(log2(n) - log2(32.0)) + 1.0;
    return (uint64_t)((double)s->cfg.push_pull_interval_ms * mult);
}

static void periodic_streams(struct swim *s, uint64_t now_ms)
{
    struct member *m;

    if (s->cfg.push_pull_interval_ms > 0 && now_ms >= s->next_push_pull_ms) {
        s->next_push_pull_ms = now_ms + push_pull_interval(s);
        if (!s->leaving && swim__pick(s, now_ms, 1, NULL, false, &m) == 1)
            swim__push_pull(s, now_ms, m->addr, STREAM_PUSH_PULL, 0);
    }
    if (s->cfg.reconnect_interval_ms > 0 && now_ms >= s->next_reconnect_ms) {
        s->next_reconnect_ms = now_ms + s->cfg.reconnect_interval_ms;
        /* A partition healed? The other side is dead to us: ask one. */
        for (size_t tries = 0; !s->leaving && tries < 8 && s->n_members > 1;
             tries++) {
            m = s->members[rng_below(&s->rng, s->n_members)];
            if (m->state == SWIM_MEMBER_DEAD) {
                swim__push_pull(s, now_ms, m->addr, STREAM_PUSH_PULL, 0);
                break;
            }
        }
    }
}

void swim_join(struct swim *s,
               uint64_t now_ms,
               const char *const *addrs,
               size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct join_target *j;

        XGROW(s->joins, s->cap_joins, s->n_joins + 1);
        j = &s->joins[s->n_joins++];
        memset(j, 0, sizeof(*j));
        j->addr = xstrdup(addrs[i]);
        j->next_ms = now_ms;
    }
    for (size_t i = 0; i < s->n_joins; i++) {
        struct join_target *j = &s->joins[i];

        if (!j->done && !j->waiting && j->next_ms <= now_ms) {
            j->waiting = true;
            j->attempts++;
            swim__push_pull(s, now_ms, j->addr, STREAM_JOIN, i);
        }
    }
}

static void join_result(struct swim *s, uint64_t now_ms, size_t i, int rc)
{
    struct join_target *j = &s->joins[i];

    j->waiting = false;
    if (rc == 0 || (s->cfg.join_max_attempts > 0 &&
                    j->attempts >= s->cfg.join_max_attempts)) {
        j->done = true;
        swim__emit(s, SWIM_EVENT_JOINED, NULL, rc, j->addr);
        return;
    }
    j->next_ms = now_ms + s->cfg.join_retry_ms;
}

/* ------------------------------------------------------------------ receive */

/* A ping for a former holder of our address is not ours to ack. */
static bool is_for_us(const struct swim *s, const struct swim_msg *ping)
{
    return ping->name.len == 0 || swim__str_eq(s->self->name, ping->name);
}

static void handle_msg(struct swim *s,
                       uint64_t now_ms,
                       const char *from_addr,
                       const struct swim_msg *m)
{
    switch (m->type) {
    case SWIM_MSG_PING:
        if (is_for_us(s, m))
            reply_seq(s, from_addr, SWIM_MSG_ACK, m->seq,
                      swim__find(s, m->from.p, m->from.len));
        break;
    case SWIM_MSG_PING_REQ:
        on_ping_req(s, now_ms, from_addr, m);
        break;
    case SWIM_MSG_ACK:
        if (!relay_ack(s, m->seq))
            swim__probe_acked(s, now_ms, m->seq);
        break;
    case SWIM_MSG_NACK:
        if (s->probe.active && m->seq == s->probe.seq) {
            s->probe.nacks++;
            s->stats.nacks_in++;
        }
        break;
    case SWIM_MSG_ALIVE:
        swim__on_alive(s, now_ms, m);
        break;
    case SWIM_MSG_SUSPECT:
        swim__on_suspect(s, now_ms, m);
        break;
    case SWIM_MSG_DEAD:
        swim__on_dead(s, now_ms, m);
        break;
    case SWIM_MSG_RECORD:
        swim__on_record(s, now_ms, m);
        break;
    case SWIM_MSG_RECNOTE:
        swim__on_recnote(s, now_ms, m);
        break;
    case SWIM_MSG_STATE:
        break; /* streams only */
    }
}

static bool is_record_msg(const struct swim_msg *m)
{
    return m->type == SWIM_MSG_RECORD || m->type == SWIM_MSG_RECNOTE;
}

void swim_recv_packet(struct swim *s,
                      uint64_t now_ms,
                      const char *from_addr,
                      const void *data,
                      size_t len)
{
    struct swim_packet p;

    s->stats.packets_in++;
    if (swim_packet_decode(data, len, &p, NULL) != 0) {
        s->stats.decode_errors++;
        return;
    }
    s->stats.msgs_in += p.n;
    /* Members first: a record of a member that joins in the same packet. */
    for (uint32_t i = 0; i < p.n; i++)
        if (!is_record_msg(&p.msgs[i]))
            handle_msg(s, now_ms, from_addr, &p.msgs[i]);
    for (uint32_t i = 0; i < p.n; i++)
        if (is_record_msg(&p.msgs[i]))
            handle_msg(s, now_ms, from_addr, &p.msgs[i]);
    swim_packet_release(&p);
}

/* ------------------------------------------------------------------ streams */

static int merge_state_msg(struct swim *s,
                           uint64_t now_ms,
                           const struct swim_msg *m,
                           bool *join,
                           struct err *err)
{
    struct swim_state st;
    int rc = swim_state_decode(m->data, m->data_len, &st, err);

    if (rc != 0)
        return rc;
    *join = st.join;
    swim__merge_state(s, now_ms, &st);
    swim_state_release(&st);
    return 0;
}

int swim_stream_serve(struct swim *s,
                      uint64_t now_ms,
                      const char *from_addr,
                      const void *req,
                      size_t len,
                      struct buf *reply,
                      struct err *err)
{
    struct swim_packet p;
    int rc;

    (void)from_addr;
    rc = swim_packet_decode(req, len, &p, err);
    if (rc == 0 && p.n != 1)
        rc = err_set(err, ERR_MALFORMED, "swim stream: %u messages, want one",
                     p.n);
    if (rc == 0 && p.msgs[0].type == SWIM_MSG_PING &&
        !is_for_us(s, &p.msgs[0])) {
        rc = err_set(err, ERR_INVALID, "swim stream: ping for \"%.*s\"",
                     (int)p.msgs[0].name.len, p.msgs[0].name.p);
    } else if (rc == 0 && p.msgs[0].type == SWIM_MSG_PING) {
        struct swim_msg ack;
        struct buf b = BUF_INIT;

        memset(&ack, 0, sizeof(ack));
        ack.type = SWIM_MSG_ACK;
        ack.seq = p.msgs[0].seq;
        swim_msg_encode(&ack, &b);
        swim_packet_frame(1, b.data, b.len, reply);
        buf_release(&b);
    } else if (rc == 0 && p.msgs[0].type == SWIM_MSG_STATE) {
        bool join;

        rc = merge_state_msg(s, now_ms, &p.msgs[0], &join, err);
        if (rc == 0)
            swim__state_packet(s, false, reply);
    } else if (rc == 0) {
        rc = err_set(err, ERR_MALFORMED,
                     "swim stream: message type %d is not for streams",
                     p.msgs[0].type);
    }
    if (rc != 0)
        s->stats.decode_errors++;
    swim_packet_release(&p);
    return rc;
}

static int stream_reply(struct swim *s,
                        uint64_t now_ms,
                        const struct stream_wait *w,
                        const void *reply,
                        size_t len)
{
    struct swim_packet p;
    int rc = swim_packet_decode(reply, len, &p, NULL);
    bool join;

    if (rc == 0 && p.n == 1 && w->kind == STREAM_PROBE &&
        p.msgs[0].type == SWIM_MSG_ACK)
        swim__probe_acked(s, now_ms, p.msgs[0].seq);
    else if (rc == 0 && p.n == 1 && w->kind != STREAM_PROBE &&
             p.msgs[0].type == SWIM_MSG_STATE)
        rc = merge_state_msg(s, now_ms, &p.msgs[0], &join, NULL);
    else if (rc == 0)
        rc = ERR_MALFORMED;
    if (rc != 0)
        s->stats.decode_errors++;
    swim_packet_release(&p);
    return rc;
}

void swim_stream_done(struct swim *s,
                      uint64_t now_ms,
                      uint64_t stream_id,
                      int rc,
                      const void *reply,
                      size_t len)
{
    struct stream_wait w;
    size_t i;

    for (i = 0; i < s->n_streams; i++)
        if (s->streams[i].id == stream_id)
            break;
    if (i == s->n_streams)
        return;
    w = s->streams[i];
    s->streams[i] = s->streams[--s->n_streams];
    if (rc == 0)
        rc = stream_reply(s, now_ms, &w, reply, len);
    if (w.kind == STREAM_JOIN)
        join_result(s, now_ms, w.join, rc);
    free(w.addr);
}

/* ------------------------------------------------------------------ tick */

uint64_t swim__probe_deadline(const struct swim *s)
{
    uint64_t t = s->next_probe_ms;

    if (s->probe.active) {
        if (!s->probe.indirect_sent && s->probe.timeout_at_ms < t)
            t = s->probe.timeout_at_ms;
        if (s->probe.end_at_ms < t)
            t = s->probe.end_at_ms;
    }
    if (swim__bq_len(&s->bq) > 0 && s->next_gossip_ms < t)
        t = s->next_gossip_ms;
    if (s->cfg.push_pull_interval_ms > 0 && s->next_push_pull_ms < t)
        t = s->next_push_pull_ms;
    if (s->cfg.reconnect_interval_ms > 0 && s->next_reconnect_ms < t)
        t = s->next_reconnect_ms;
    for (size_t i = 0; i < s->n_relays; i++) {
        const struct relay *r = &s->relays[i];

        if (r->want_nack && !r->nacked && r->nack_at_ms < t)
            t = r->nack_at_ms;
        if (r->expire_ms < t)
            t = r->expire_ms;
    }
    for (size_t i = 0; i < s->n_joins; i++)
        if (!s->joins[i].done && !s->joins[i].waiting &&
            s->joins[i].next_ms < t)
            t = s->joins[i].next_ms;
    return t;
}

void swim__probe_tick(struct swim *s, uint64_t now_ms)
{
    struct member *m;

    if (!s->probe.active)
        goto next;
    m = swim__find(s, s->probe.target, strlen(s->probe.target));
    if (m == NULL || !swim__is_live(m)) {
        s->probe.active = false; /* it died or left meanwhile */
        goto next;
    }
    if (!s->probe.indirect_sent && now_ms >= s->probe.timeout_at_ms)
        go_indirect(s, now_ms, m);
    if (now_ms >= s->probe.end_at_ms)
        probe_failed(s, now_ms, m);
next:
    if (s->leaving && now_ms >= s->next_probe_ms)
        s->next_probe_ms = now_ms + s->cfg.probe_interval_ms;
    else if (!s->probe.active && now_ms >= s->next_probe_ms)
        start_probe(s, now_ms);
}

void swim_tick(struct swim *s, uint64_t now_ms)
{
    swim__probe_tick(s, now_ms);
    relays_tick(s, now_ms);
    if (now_ms >= s->next_gossip_ms) {
        gossip(s, now_ms);
        s->next_gossip_ms = now_ms + s->cfg.gossip_interval_ms;
    }
    periodic_streams(s, now_ms);
    swim_join(s, now_ms, NULL, 0);
    swim__housekeep(s, now_ms);
}
