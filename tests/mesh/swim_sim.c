/* The SWIM simulation harness: cores on simnet, ticks on the vclock. */
#include "tests/mesh/swim_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

static int addr_node(const struct swim_sim *sim, const char *addr)
{
    unsigned a, b, c;

    if (sscanf(addr, "10.%u.%u.%u:7946", &a, &b, &c) != 3)
        return -1;
    if ((int)(a << 16 | b << 8 | c) >= sim->n)
        return -1;
    return (int)(a << 16 | b << 8 | c);
}

static bool reachable(const struct swim_sim *sim, int from, int to)
{
    const struct swim_sim_node *t = &sim->nodes[to];

    return !simnet_is_down(&sim->net, from) && !simnet_is_down(&sim->net, to) &&
           !simnet_is_blocked(&sim->net, from, to) &&
           !simnet_is_blocked(&sim->net, to, from) && !t->stalled &&
           !sim->nodes[from].stalled;
}

static void arm(struct swim_sim_node *nd);

static void on_recv(void *ctx, int from, const void *msg, size_t len)
{
    struct swim_sim_node *nd = ctx;
    struct swim_sim *sim = nd->sim;

    if (nd->stalled || nd->crashed)
        return;
    swim_recv_packet(nd->swim, vclock_now(&sim->vc), sim->nodes[from].addr, msg,
                     len);
    swim_sim_flush(sim, nd->id);
}

/* ------------------------------------------------------------------ streams */

struct stream_ex
{
    struct swim_sim *sim;
    int from, to;
    uint64_t id;
    uint64_t deadline_ms;
    struct buf data; /* request, then reply */
    int stage;       /* 0: request travels, 1: reply travels, 2: failed */
};

static void stream_step(void *arg)
{
    struct stream_ex *ex = arg;
    struct swim_sim *sim = ex->sim;
    uint64_t now = vclock_now(&sim->vc);
    struct swim_sim_node *src = &sim->nodes[ex->from];

    if (ex->stage == 0 && reachable(sim, ex->from, ex->to)) {
        struct buf reply = BUF_INIT;
        struct err err = ERR_INIT;
        struct swim_sim_node *dst = &sim->nodes[ex->to];

        if (swim_stream_serve(dst->swim, now, src->addr, ex->data.data,
                              ex->data.len, &reply, &err) == 0) {
            swim_sim_flush(sim, ex->to);
            buf_release(&ex->data);
            ex->data = reply;
            ex->stage = 1;
            vclock_timer_add(&sim->vc, now + sim->net.cfg.latency_ms,
                             stream_step, ex);
            return;
        }
        buf_release(&reply);
    } else if (ex->stage == 1 && reachable(sim, ex->to, ex->from) &&
               !src->crashed) {
        swim_stream_done(src->swim, now, ex->id, 0, ex->data.data,
                         ex->data.len);
        swim_sim_flush(sim, ex->from);
        goto out;
    }
    if (ex->stage != 2 && now < ex->deadline_ms) {
        ex->stage = 2;
        vclock_timer_add(&sim->vc, ex->deadline_ms, stream_step, ex);
        return;
    }
    if (!src->crashed) {
        if (src->stalled) {
            /* Reported when the loop runs again. */
            vclock_timer_add(&sim->vc, now + 10, stream_step, ex);
            return;
        }
        swim_stream_done(src->swim, now, ex->id, ERR_TIMEOUT, NULL, 0);
        swim_sim_flush(sim, ex->from);
    }
out:
    buf_release(&ex->data);
    free(ex);
}

static void start_stream(struct swim_sim *sim,
                         int from,
                         const struct swim_output *o)
{
    struct stream_ex *ex = xcalloc(1, sizeof(*ex));
    uint64_t now = vclock_now(&sim->vc);
    int to = addr_node(sim, o->addr);

    ex->sim = sim;
    ex->from = from;
    ex->to = to;
    ex->id = o->stream_id;
    ex->deadline_ms = o->deadline_ms;
    buf_append(&ex->data, o->data, o->len);
    sim->streams++;
    if (to < 0 || simnet_rand(&sim->net) % 1000000 <
                      (uint64_t)(sim->stream_fail * 1000000.0)) {
        ex->stage = 2;
        vclock_timer_add(&sim->vc, ex->deadline_ms, stream_step, ex);
        return;
    }
    vclock_timer_add(&sim->vc, now + sim->net.cfg.latency_ms, stream_step, ex);
}

/* ------------------------------------------------------------------ ticks */

static void on_tick(void *arg)
{
    struct swim_sim_node *nd = arg;

    nd->timer = 0;
    if (nd->stalled || nd->crashed)
        return;
    swim_tick(nd->swim, vclock_now(&nd->sim->vc));
    swim_sim_flush(nd->sim, nd->id);
}

static void arm(struct swim_sim_node *nd)
{
    uint64_t at = swim_next_deadline_ms(nd->swim);
    uint64_t now = vclock_now(&nd->sim->vc);

    if (at < now)
        at = now;
    if (nd->timer != 0 && nd->timer_at <= at)
        return;
    if (nd->timer != 0)
        vclock_timer_cancel(&nd->sim->vc, nd->timer);
    nd->timer = vclock_timer_add(&nd->sim->vc, at, on_tick, nd);
    nd->timer_at = at;
}

void swim_sim_flush(struct swim_sim *sim, int i)
{
    struct swim_sim_node *nd = &sim->nodes[i];
    struct swim_output o;

    while (swim_poll(nd->swim, &o)) {
        int to;

        switch (o.kind) {
        case SWIM_OUT_PACKET:
            sim->packets++;
            if (o.len > sim->max_packet)
                sim->max_packet = o.len;
            to = addr_node(sim, o.addr);
            if (to >= 0)
                simnet_send(&sim->net, i, to, o.data, o.len);
            break;
        case SWIM_OUT_STREAM:
            start_stream(sim, i, &o);
            break;
        case SWIM_OUT_EVENT:
            if (sim->on_event != NULL)
                sim->on_event(sim->ctx, i, &o.event, vclock_now(&sim->vc));
            break;
        }
    }
    if (!nd->crashed && !nd->stalled)
        arm(nd);
}

/* ------------------------------------------------------------------ setup */

void swim_sim_init(struct swim_sim *sim,
                   int n,
                   uint64_t seed,
                   const struct swim_config *cfg,
                   const struct simnet_config *net_cfg)
{
    memset(sim, 0, sizeof(*sim));
    vclock_init(&sim->vc);
    simnet_init(&sim->net, &sim->vc, n, seed, net_cfg);
    sim->n = n;
    if (cfg != NULL)
        sim->cfg = *cfg;
    else
        swim_config_default(&sim->cfg, SWIM_PROFILE_LAN);
    sim->nodes = xcalloc((size_t)n, sizeof(*sim->nodes));
    for (int i = 0; i < n; i++) {
        struct swim_sim_node *nd = &sim->nodes[i];

        nd->sim = sim;
        nd->id = i;
        snprintf(nd->name, sizeof(nd->name), "node-%d", i);
        snprintf(nd->addr, sizeof(nd->addr), "10.%d.%d.%d:7946",
                 (i >> 16) & 255, (i >> 8) & 255, i & 255);
        nd->swim =
            swim_new(&sim->cfg, nd->name, nd->addr, simnet_rand(&sim->net), 0);
        simnet_attach(&sim->net, i, on_recv, nd);
        arm(nd);
    }
}

void swim_sim_release(struct swim_sim *sim)
{
    simnet_release(&sim->net);
    for (int i = 0; i < sim->n; i++)
        swim_free(sim->nodes[i].swim);
    free(sim->nodes);
    /* Stream exchanges still queued are freed with their timers' args. */
    while (vclock_pending(&sim->vc) > 0) {
        struct vclock_timer t = sim->vc.heap[0];

        vclock_timer_cancel(&sim->vc, t.id);
        if (t.fn == stream_step) {
            struct stream_ex *ex = t.arg;

            buf_release(&ex->data);
            free(ex);
        }
    }
    vclock_release(&sim->vc);
}

void swim_sim_learn_all(struct swim_sim *sim)
{
    uint64_t now = vclock_now(&sim->vc);

    for (int i = 0; i < sim->n; i++) {
        for (int j = 0; j < sim->n; j++)
            if (i != j)
                swim_learn(sim->nodes[i].swim, now, sim->nodes[j].name,
                           sim->nodes[j].addr);
        swim_sim_flush(sim, i);
    }
}

void swim_sim_join(struct swim_sim *sim, int i, const int *via, int n)
{
    const char *addrs[16];

    for (int k = 0; k < n && k < 16; k++)
        addrs[k] = sim->nodes[via[k]].addr;
    swim_join(sim->nodes[i].swim, vclock_now(&sim->vc), addrs,
              (size_t)(n < 16 ? n : 16));
    swim_sim_flush(sim, i);
}

void swim_sim_crash(struct swim_sim *sim, int i)
{
    sim->nodes[i].crashed = true;
    simnet_down(&sim->net, i);
    if (sim->nodes[i].timer != 0)
        vclock_timer_cancel(&sim->vc, sim->nodes[i].timer);
    sim->nodes[i].timer = 0;
}

void swim_sim_stall(struct swim_sim *sim, int i)
{
    sim->nodes[i].stalled = true;
}

void swim_sim_resume(struct swim_sim *sim, int i)
{
    struct swim_sim_node *nd = &sim->nodes[i];

    nd->stalled = false;
    swim_tick(nd->swim, vclock_now(&sim->vc));
    swim_sim_flush(sim, i);
}

/* ------------------------------------------------------------------ queries */

int swim_sim_state(const struct swim_sim *sim, int i, int j)
{
    struct swim_member_info info;

    if (!swim_member_get(sim->nodes[i].swim, sim->nodes[j].name, &info))
        return -1;
    return (int)info.state;
}

bool swim_sim_all_see(const struct swim_sim *sim,
                      int j,
                      enum swim_member_state st)
{
    for (int i = 0; i < sim->n; i++)
        if (i != j && !sim->nodes[i].crashed &&
            swim_sim_state(sim, i, j) != (int)st)
            return false;
    return true;
}

bool swim_sim_converged(const struct swim_sim *sim)
{
    for (int i = 0; i < sim->n; i++) {
        size_t live = 0;

        if (sim->nodes[i].crashed)
            continue;
        for (int j = 0; j < sim->n; j++)
            live += !sim->nodes[j].crashed;
        if (swim_alive_count(sim->nodes[i].swim) != live)
            return false;
        for (int j = 0; j < sim->n; j++)
            if (i != j && !sim->nodes[j].crashed &&
                swim_sim_state(sim, i, j) != SWIM_MEMBER_ALIVE)
                return false;
    }
    return true;
}

void swim_sim_run(struct swim_sim *sim, uint64_t ms)
{
    vclock_run_until(&sim->vc, vclock_now(&sim->vc) + ms);
}

bool swim_sim_run_until(struct swim_sim *sim,
                        swim_sim_pred *pred,
                        void *arg,
                        uint64_t check_ms,
                        uint64_t max_ms)
{
    uint64_t end = vclock_now(&sim->vc) + max_ms;

    while (!pred(sim, arg)) {
        uint64_t now = vclock_now(&sim->vc);

        if (now >= end)
            return false;
        vclock_run_until(&sim->vc, now + check_ms < end ? now + check_ms : end);
    }
    return true;
}
