/* The mesh facade on libuv (mesh.h). */
#include "mesh/mesh.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "mesh/net.h"

struct mesh
{
    uv_loop_t *loop;
    struct net *net;
    struct swim *swim;
    uv_timer_t timer;
    char addr[NET_ADDR_STRLEN];
    void (*on_event)(void *arg, const struct swim_event *ev);
    void *arg;
    bool flushing;
    bool again; /* a nested flush was asked for */
    bool closing;
    /* graceful leave */
    bool leaving;
    uint64_t leave_deadline;
    void (*leave_cb)(void *arg);
    void *leave_arg;
    void (*close_cb)(void *arg);
    void *close_arg;
    struct logger lg;
};

struct exchange
{
    struct mesh *m;
    uint64_t stream_id;
};

static void flush(struct mesh *m);

uint64_t mesh_now(const struct mesh *m)
{
    uv_update_time(m->loop);
    return uv_now(m->loop);
}

static void exchanged(void *arg, int rc, const void *reply, size_t len)
{
    struct exchange *x = arg;
    struct mesh *m = x->m;

    if (!m->closing) {
        swim_stream_done(m->swim, mesh_now(m), x->stream_id, rc, reply,
                         rc == 0 ? len : 0);
        flush(m);
    }
    free(x);
}

static void send_out(struct mesh *m, const struct swim_output *o)
{
    struct net_addr to;
    struct err err = ERR_INIT;

    if (net_addr_parse(o->addr, &to, &err) != 0) {
        if (o->kind == SWIM_OUT_STREAM)
            swim_stream_done(m->swim, mesh_now(m), o->stream_id, ERR_INVALID,
                             NULL, 0);
        return;
    }
    if (o->kind == SWIM_OUT_PACKET) {
        net_send_packet(m->net, &to, o->data, o->len);
    } else {
        struct exchange *x = xcalloc(1, sizeof(*x));
        uint64_t now = mesh_now(m);

        x->m = m;
        x->stream_id = o->stream_id;
        net_exchange(m->net, &to, o->data, o->len,
                     o->deadline_ms > now ? o->deadline_ms - now : 1,
                     exchanged, x);
    }
}

static void timer_fired(uv_timer_t *t)
{
    struct mesh *m = t->data;

    swim_tick(m->swim, mesh_now(m));
    flush(m);
}

static void check_leave(struct mesh *m)
{
    void (*cb)(void *);

    if (!m->leaving || m->leave_cb == NULL)
        return;
    if (!swim_leave_done(m->swim) && mesh_now(m) < m->leave_deadline)
        return;
    cb = m->leave_cb;
    m->leave_cb = NULL;
    cb(m->leave_arg);
}

/*
 * Carries out everything the core queued, then re-arms the tick. Event
 * callbacks may write to the core and flush again: that inner flush only
 * asks this loop to go round once more.
 */
static void flush(struct mesh *m)
{
    struct swim_output o;
    uint64_t now, due;

    if (m->closing)
        return;
    if (m->flushing) {
        m->again = true;
        return;
    }
    m->flushing = true;
    do {
        m->again = false;
        while (!m->closing && swim_poll(m->swim, &o)) {
            if (o.kind == SWIM_OUT_EVENT) {
                if (m->on_event != NULL)
                    m->on_event(m->arg, &o.event);
            } else {
                send_out(m, &o);
            }
        }
    } while (m->again && !m->closing);
    m->flushing = false;
    if (m->closing)
        return;
    now = mesh_now(m);
    due = swim_next_deadline_ms(m->swim);
    /* Leaving: look again soon even when the core sleeps longer. */
    if (m->leaving && m->leave_cb != NULL && due > now + 50)
        due = now + 50;
    uv_timer_start(&m->timer, timer_fired, due > now ? due - now : 0, 0);
    check_leave(m);
}

void mesh_flush(struct mesh *m)
{
    flush(m);
}

static void on_packet(void *arg,
                      const struct net_addr *from,
                      const void *data,
                      size_t len)
{
    struct mesh *m = arg;
    char a[NET_ADDR_STRLEN];

    if (m->closing)
        return;
    net_addr_format(from, a);
    swim_recv_packet(m->swim, mesh_now(m), a, data, len);
    flush(m);
}

static void on_stream(void *arg,
                      struct net_stream_req *req,
                      const struct net_addr *from,
                      const void *data,
                      size_t len)
{
    struct mesh *m = arg;
    struct buf reply = BUF_INIT;
    struct err err = ERR_INIT;
    char a[NET_ADDR_STRLEN];

    if (m->closing) {
        net_stream_reply(req, NULL, 0);
        return;
    }
    net_addr_format(from, a);
    if (swim_stream_serve(m->swim, mesh_now(m), a, data, len, &reply, &err) !=
        0) {
        log_debug(&m->lg, "stream from %s refused: %s", a, err.msg);
        buf_reset(&reply);
    }
    net_stream_reply(req, reply.data, reply.len);
    buf_release(&reply);
    flush(m);
}

int mesh_start(struct uv_loop_s *loop,
               const struct mesh_config *cfg,
               struct mesh **out,
               struct err *err)
{
    struct mesh *m;
    struct net_config nc;
    const char *adv;
    int rc;

    if (cfg->name == NULL || cfg->name[0] == '\0' ||
        strlen(cfg->name) > SWIM_NAME_MAX)
        return err_set(err, ERR_INVALID,
                       "mesh: the member name must be 1 to %d bytes",
                       SWIM_NAME_MAX);
    rc = swim_config_validate(&cfg->swim, err);
    if (rc != 0)
        return rc;
    m = xcalloc(1, sizeof(*m));
    m->loop = loop;
    m->on_event = cfg->on_event;
    m->arg = cfg->arg;
    logger_init(&m->lg, "mesh", NULL);
    memset(&nc, 0, sizeof(nc));
    nc.bind_ip = cfg->bind_ip ? cfg->bind_ip : "0.0.0.0";
    nc.port = cfg->port;
    nc.keyring = cfg->keyring;
    nc.max_packet_bytes = cfg->swim.packet_size;
    nc.on_packet = on_packet;
    nc.on_stream = on_stream;
    nc.arg = m;
    rc = net_start(loop, &nc, &m->net, err);
    if (rc != 0) {
        free(m);
        return rc;
    }
    adv = cfg->advertise_ip;
    if (adv == NULL)
        adv = strcmp(nc.bind_ip, "0.0.0.0") == 0 || strcmp(nc.bind_ip, "::") == 0
                  ? "127.0.0.1"
                  : nc.bind_ip;
    if (strchr(adv, ':') != NULL)
        snprintf(m->addr, sizeof(m->addr), "[%s]:%u", adv, net_port(m->net));
    else
        snprintf(m->addr, sizeof(m->addr), "%s:%u", adv, net_port(m->net));
    uv_timer_init(loop, &m->timer);
    m->timer.data = m;
    m->swim = swim_new(&cfg->swim, cfg->name, m->addr,
                       cfg->seed ? cfg->seed : randombytes_random() |
                                                   (uint64_t)randombytes_random()
                                                       << 32,
                       mesh_now(m));
    if (cfg->n_tags > 0 &&
        swim_set_tags(m->swim, mesh_now(m), cfg->tags, cfg->n_tags, err) != 0) {
        mesh_close(m, NULL, NULL);
        return err->code;
    }
    flush(m);
    *out = m;
    return 0;
}

uint16_t mesh_port(const struct mesh *m)
{
    return net_port(m->net);
}

const char *mesh_addr(const struct mesh *m)
{
    return m->addr;
}

struct swim *mesh_swim(struct mesh *m)
{
    return m->swim;
}

void mesh_join(struct mesh *m, const char *const *addrs, size_t n)
{
    swim_join(m->swim, mesh_now(m), addrs, n);
    flush(m);
}

void mesh_net_stats(const struct mesh *m, struct net_stats *out)
{
    *out = net_stats(m->net);
}

void mesh_fault(struct mesh *m, const char *addr, uint64_t delay_ms,
                double drop)
{
    struct net_addr a;
    struct err err = ERR_INIT;

    if (addr == NULL)
        net_fault_set(m->net, NULL, delay_ms, drop);
    else if (net_addr_parse(addr, &a, &err) == 0)
        net_fault_set(m->net, &a, delay_ms, drop);
}

void mesh_leave(struct mesh *m,
                uint64_t timeout_ms,
                void (*cb)(void *arg),
                void *arg)
{
    m->leaving = true;
    m->leave_deadline = mesh_now(m) + timeout_ms;
    m->leave_cb = cb;
    m->leave_arg = arg;
    swim_leave(m->swim, mesh_now(m));
    flush(m);
}

static void timer_closed(uv_handle_t *h)
{
    struct mesh *m = h->data;
    void (*cb)(void *) = m->close_cb;
    void *arg = m->close_arg;

    swim_free(m->swim);
    free(m);
    if (cb)
        cb(arg);
}

static void net_closed(void *arg)
{
    struct mesh *m = arg;

    uv_close((uv_handle_t *)&m->timer, timer_closed);
}

void mesh_close(struct mesh *m, void (*cb)(void *arg), void *arg)
{
    m->closing = true;
    m->close_cb = cb;
    m->close_arg = arg;
    m->leave_cb = NULL;
    uv_timer_stop(&m->timer);
    net_close(m->net, net_closed, m);
}
