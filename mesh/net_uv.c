/*
 * The mesh transport on libuv (net.h): one UDP socket and one TCP
 * listener on the same port, outgoing one-shot exchanges, and the fault
 * injection layer in front of everything sent.
 *
 * An outgoing exchange:
 *
 *     [delayed] --timer--> connecting --connected--> waiting --frame--> done
 *         |                    |                        |
 *         +--- timer (timeout), refused, EOF, bad frame, net_close --> done
 *
 * "done" calls the user once, then closes the TCP handle and the timer;
 * the struct is freed in the last close callback. An accepted stream
 * reads one frame, hands it up, writes the one reply and closes; its
 * timer closes it when the request or the reply takes too long.
 *
 * The net itself is freed once its three handles are closed and no
 * exchange or accepted stream is left, including requests the user has
 * not answered yet: net_close() waits for those answers (which then go
 * nowhere).
 */
#include "mesh/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/list.h"
#include "lib/log.h"
#include "lib/rand.h"
#include "mesh/seal.h"

#define FRAME_HEADER 4
#define READ_CHUNK (64 * 1024)
#define BIND_ATTEMPTS 16

struct fault
{
    struct net_addr to;
    bool any; /* the entry for destinations without their own */
    uint64_t delay_ms;
    double drop;
};

struct delayed_packet
{
    struct list_node node; /* in net->delayed, by due time */
    uint64_t due_ms;       /* loop time */
    struct sockaddr_storage sa;
    struct buf data; /* sealed */
};

struct udp_send
{
    uv_udp_send_t req;
    struct buf data;
};

struct net
{
    uv_loop_t *loop;
    uv_udp_t udp;
    uv_tcp_t listener;
    uv_timer_t delay_timer;
    struct seal_keyring *kr;
    size_t max_packet, max_frame;
    uint64_t stream_timeout_ms;
    net_packet_cb on_packet;
    net_stream_cb on_stream;
    void *arg;
    struct net_stats stats;
    struct list_node exchanges; /* struct exchange */
    struct list_node streams;   /* struct net_stream_req */
    struct list_node delayed;   /* struct delayed_packet */
    struct fault *faults;
    size_t nfaults, capfaults;
    struct rng rng;
    struct buf plain; /* scratch for opened packets */
    uint16_t port;
    int open_handles;
    int live;     /* exchanges and accepted streams not freed yet */
    int nstreams; /* accepted streams not freed yet */
    bool closing;
    void (*close_cb)(void *arg);
    void *close_arg;
    struct logger lg;
    char rbuf[65536]; /* one datagram at a time */
};

struct exchange
{
    struct net *n;
    struct list_node node;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t connect;
    uv_write_t write;
    struct sockaddr_storage sa;
    struct buf out, in;
    uint64_t timeout_ms, delay_ms;
    net_exchange_cb cb;
    void *arg;
    int handles; /* initialised and not closed yet */
    bool tcp_init;
    bool finished;
};

struct net_stream_req
{
    struct net *n;
    struct list_node node;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t write;
    struct buf in, out;
    struct net_addr from;
    int handles;
    bool closing;
    bool awaiting_reply; /* handed to on_stream, not answered yet */
    bool got_request;
};

static void net_maybe_free(struct net *n);

/* ------------------------------------------------------------ helpers */

static void to_sockaddr(const struct net_addr *a, struct sockaddr_storage *sa)
{
    memset(sa, 0, sizeof(*sa));
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, a->ip, 16);
        s6->sin6_port = htons(a->port);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a->ip, 4);
        s4->sin_port = htons(a->port);
    }
}

static void from_sockaddr(const struct sockaddr *sa, struct net_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

        a->family = AF_INET6;
        memcpy(a->ip, &s6->sin6_addr, 16);
        a->port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

        a->family = AF_INET;
        memcpy(a->ip, &s4->sin_addr, 4);
        a->port = ntohs(s4->sin_port);
    }
}

/* The largest sealed body a peer may send for a plaintext limit. */
static size_t sealed_limit(const struct net *n, size_t plain_limit)
{
    return plain_limit + (n->kr != NULL && seal_keyring_is_enabled(n->kr)
                              ? SEAL_OVERHEAD
                              : 0);
}

/* Appends one frame holding msg, sealed, to out. */
static void frame_build(struct net *n,
                        const void *msg,
                        size_t len,
                        struct buf *out)
{
    size_t at = out->len;
    uint32_t body;

    buf_append(out, "\0\0\0\0", FRAME_HEADER);
    if (n->kr != NULL)
        seal_keyring_seal(n->kr, SEAL_STREAM, msg, len, out);
    else
        buf_append(out, msg, len);
    body = (uint32_t)(out->len - at - FRAME_HEADER);
    out->data[at] = (char)(body >> 24);
    out->data[at + 1] = (char)(body >> 16);
    out->data[at + 2] = (char)(body >> 8);
    out->data[at + 3] = (char)body;
}

/*
 * Looks at in for one whole frame: 1 with its body in [*body, *len),
 * 0 for "not yet", ERR_TOO_BIG when its length is over limit (known from
 * the header alone, before anything is allocated for the body).
 */
static int frame_peek(const struct buf *in,
                      size_t limit,
                      const char **body,
                      size_t *len)
{
    const uint8_t *p = (const uint8_t *)in->data;
    size_t want;

    if (in->len < FRAME_HEADER)
        return 0;
    want = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (want > limit)
        return ERR_TOO_BIG;
    if (in->len < FRAME_HEADER + want)
        return 0;
    *body = in->data + FRAME_HEADER;
    *len = want;
    return 1;
}

static int open_msg(struct net *n,
                    enum seal_context ctx,
                    const void *data,
                    size_t len,
                    struct buf *out,
                    struct err *err)
{
    if (n->kr == NULL) {
        buf_append(out, data, len);
        return 0;
    }
    return seal_keyring_open(n->kr, ctx, data, len, out, err);
}

static void alloc_chunk(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)h;
    (void)suggested;
    out->base = xmalloc(READ_CHUNK);
    out->len = READ_CHUNK;
}

/* ------------------------------------------------------ fault injection */

static struct fault *fault_find(struct net *n, const struct net_addr *to)
{
    struct fault *any = NULL;

    for (size_t i = 0; i < n->nfaults; i++) {
        if (n->faults[i].any)
            any = &n->faults[i];
        else if (to != NULL && net_addr_equal(&n->faults[i].to, to))
            return &n->faults[i];
    }
    return any;
}

/* Whether to drop what goes to to now; *delay_ms the extra wait. */
static bool fault_decide(struct net *n,
                         const struct net_addr *to,
                         uint64_t *delay_ms)
{
    const struct fault *f = n->nfaults ? fault_find(n, to) : NULL;

    *delay_ms = 0;
    if (f == NULL)
        return false;
    if (f->drop > 0 && rng_double(&n->rng) < f->drop) {
        n->stats.fault_dropped++;
        return true;
    }
    *delay_ms = f->delay_ms;
    if (f->delay_ms > 0)
        n->stats.fault_delayed++;
    return false;
}

void net_fault_set(struct net *n,
                   const struct net_addr *to,
                   uint64_t delay_ms,
                   double drop)
{
    size_t i;

    for (i = 0; i < n->nfaults; i++) {
        if (to == NULL
                ? n->faults[i].any
                : !n->faults[i].any && net_addr_equal(&n->faults[i].to, to))
            break;
    }
    if (delay_ms == 0 && drop <= 0) {
        if (i < n->nfaults)
            n->faults[i] = n->faults[--n->nfaults];
        return;
    }
    if (i == n->nfaults) {
        XGROW(n->faults, n->capfaults, n->nfaults + 1);
        memset(&n->faults[i], 0, sizeof(n->faults[i]));
        n->nfaults++;
    }
    n->faults[i].any = to == NULL;
    if (to != NULL)
        n->faults[i].to = *to;
    n->faults[i].delay_ms = delay_ms;
    n->faults[i].drop = drop > 1 ? 1 : drop;
}

void net_fault_seed(struct net *n, uint64_t seed)
{
    rng_seed(&n->rng, seed);
}

void net_fault_clear(struct net *n)
{
    n->nfaults = 0;
}

/* ------------------------------------------------------------- packets */

static void udp_sent(uv_udp_send_t *req, int status)
{
    struct udp_send *s = (struct udp_send *)req;

    (void)status; /* a datagram's fate is never known anyway */
    buf_release(&s->data);
    free(s);
}

/* Sends data (taken) to sa now. */
static void udp_send_now(struct net *n,
                         const struct sockaddr_storage *sa,
                         struct buf *data)
{
    struct udp_send *s = xcalloc(1, sizeof(*s));
    uv_buf_t b;
    int rc;

    s->data = *data;
    buf_init(data);
    b = uv_buf_init(s->data.data, (unsigned)s->data.len);
    rc = uv_udp_send(&s->req, &n->udp, &b, 1, (const struct sockaddr *)sa,
                     udp_sent);
    if (rc != 0) {
        n->stats.packets_send_failed++;
        log_debug(&n->lg, "send failed: %s", uv_strerror(rc));
        buf_release(&s->data);
        free(s);
        return;
    }
    n->stats.packets_sent++;
}

static void delay_timer_fired(uv_timer_t *t)
{
    struct net *n = t->data;
    uint64_t now = uv_now(n->loop);
    struct delayed_packet *d, *tmp;

    list_for_each_entry_safe(d, tmp, &n->delayed, struct delayed_packet, node)
    {
        if (d->due_ms > now) {
            uv_timer_start(&n->delay_timer, delay_timer_fired, d->due_ms - now,
                           0);
            return;
        }
        list_del(&d->node);
        udp_send_now(n, &d->sa, &d->data);
        free(d);
    }
}

/* Queues data (taken) for sa after delay_ms, keeping due-time order. */
static void udp_send_later(struct net *n,
                           const struct sockaddr_storage *sa,
                           struct buf *data,
                           uint64_t delay_ms)
{
    struct delayed_packet *d = xcalloc(1, sizeof(*d)), *at;
    struct list_node *before = &n->delayed;

    d->due_ms = uv_now(n->loop) + delay_ms;
    d->sa = *sa;
    d->data = *data;
    buf_init(data);
    list_for_each_entry(at, &n->delayed, struct delayed_packet, node)
    {
        if (at->due_ms > d->due_ms) {
            before = &at->node;
            break;
        }
    }
    list_add_tail(before, &d->node);
    if (n->delayed.next == &d->node)
        uv_timer_start(&n->delay_timer, delay_timer_fired, delay_ms, 0);
}

int net_send_packet(struct net *n,
                    const struct net_addr *to,
                    const void *data,
                    size_t len)
{
    struct sockaddr_storage sa;
    struct buf wire = BUF_INIT;
    uint64_t delay_ms;

    if (n->closing)
        return ERR_STATE;
    if (len > n->max_packet) {
        n->stats.packets_too_big++;
        return ERR_TOO_BIG;
    }
    if (fault_decide(n, to, &delay_ms))
        return 0;
    if (n->kr != NULL)
        seal_keyring_seal(n->kr, SEAL_PACKET, data, len, &wire);
    else
        buf_append(&wire, data, len);
    to_sockaddr(to, &sa);
    if (delay_ms > 0)
        udp_send_later(n, &sa, &wire, delay_ms);
    else
        udp_send_now(n, &sa, &wire);
    return 0;
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    struct net *n = h->data;

    (void)suggested;
    out->base = n->rbuf;
    out->len = sizeof(n->rbuf);
}

static void udp_received(uv_udp_t *h,
                         ssize_t nread,
                         const uv_buf_t *b,
                         const struct sockaddr *sa,
                         unsigned flags)
{
    struct net *n = h->data;
    struct net_addr from;
    struct err err = ERR_INIT;

    if (nread == 0 || sa == NULL || n->closing)
        return;
    if (nread < 0) {
        log_debug(&n->lg, "receive: %s", uv_strerror((int)nread));
        return;
    }
    from_sockaddr(sa, &from);
    if ((flags & UV_UDP_PARTIAL) != 0 ||
        (size_t)nread > sealed_limit(n, n->max_packet)) {
        n->stats.packets_too_big++;
        return;
    }
    buf_reset(&n->plain);
    if (open_msg(n, SEAL_PACKET, b->base, (size_t)nread, &n->plain, &err) !=
        0) {
        char who[NET_ADDR_STRLEN];

        n->stats.packets_refused++;
        net_addr_format(&from, who);
        log_debug(&n->lg, "packet from %s refused: %s", who, err.msg);
        return;
    }
    n->stats.packets_received++;
    if (n->on_packet != NULL)
        n->on_packet(n->arg, &from, n->plain.data ? n->plain.data : "",
                     n->plain.len);
}

/* ------------------------------------------------- outgoing exchanges */

static void exchange_closed(uv_handle_t *h)
{
    struct exchange *x = h->data;
    struct net *n = x->n;

    if (--x->handles > 0)
        return;
    list_del(&x->node);
    buf_release(&x->out);
    buf_release(&x->in);
    free(x);
    n->live--;
    net_maybe_free(n);
}

/* Ends x once: the user hears rc, then the handles close. */
static void exchange_finish(struct exchange *x,
                            int rc,
                            const void *reply,
                            size_t len)
{
    if (x->finished)
        return;
    x->finished = true;
    if (rc != 0)
        x->n->stats.exchanges_failed++;
    uv_timer_stop(&x->timer);
    x->cb(x->arg, rc, reply, len);
    uv_close((uv_handle_t *)&x->timer, exchange_closed);
    if (x->tcp_init)
        uv_close((uv_handle_t *)&x->tcp, exchange_closed);
}

static void exchange_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct exchange *x = s->data;
    struct net *n = x->n;
    const char *body;
    size_t len;
    int rc;

    if (nread > 0)
        buf_append(&x->in, b->base, (size_t)nread);
    free(b->base);
    if (x->finished)
        return;
    rc = frame_peek(&x->in, sealed_limit(n, n->max_frame), &body, &len);
    if (rc == ERR_TOO_BIG) {
        n->stats.frames_too_big++;
        exchange_finish(x, ERR_TOO_BIG, NULL, 0);
    } else if (rc == 1) {
        struct buf plain = BUF_INIT;
        struct err err = ERR_INIT;

        if (open_msg(n, SEAL_STREAM, body, len, &plain, &err) != 0) {
            n->stats.frames_refused++;
            exchange_finish(x, ERR_MALFORMED, NULL, 0);
        } else {
            exchange_finish(x, 0, plain.data ? plain.data : "", plain.len);
        }
        buf_release(&plain);
    } else if (nread < 0) {
        exchange_finish(x, ERR_IO, NULL, 0);
    }
}

static void exchange_written(uv_write_t *req, int status)
{
    struct exchange *x = req->data;

    if (status < 0 && !x->finished)
        exchange_finish(x, ERR_IO, NULL, 0);
}

static void exchange_connected(uv_connect_t *req, int status)
{
    struct exchange *x = req->data;
    uv_buf_t b;

    if (x->finished)
        return;
    if (status < 0) {
        exchange_finish(x, ERR_IO, NULL, 0);
        return;
    }
    b = uv_buf_init(x->out.data, (unsigned)x->out.len);
    x->write.data = x;
    if (uv_write(&x->write, (uv_stream_t *)&x->tcp, &b, 1, exchange_written) !=
            0 ||
        uv_read_start((uv_stream_t *)&x->tcp, alloc_chunk, exchange_read) != 0)
        exchange_finish(x, ERR_IO, NULL, 0);
}

static void exchange_timed_out(uv_timer_t *t);

static void exchange_connect(struct exchange *x)
{
    uv_tcp_init(x->n->loop, &x->tcp);
    x->tcp.data = x;
    x->tcp_init = true;
    x->handles++;
    uv_tcp_nodelay(&x->tcp, 1);
    x->connect.data = x;
    if (uv_tcp_connect(&x->connect, &x->tcp, (const struct sockaddr *)&x->sa,
                       exchange_connected) != 0)
        exchange_finish(x, ERR_IO, NULL, 0);
}

/* The injected delay is over: connect, with what is left of the timeout. */
static void exchange_delay_over(uv_timer_t *t)
{
    struct exchange *x = t->data;

    uv_timer_start(&x->timer, exchange_timed_out, x->timeout_ms - x->delay_ms,
                   0);
    exchange_connect(x);
}

static void exchange_timed_out(uv_timer_t *t)
{
    exchange_finish(t->data, ERR_TIMEOUT, NULL, 0);
}

void net_exchange(struct net *n,
                  const struct net_addr *to,
                  const void *req,
                  size_t len,
                  uint64_t timeout_ms,
                  net_exchange_cb cb,
                  void *arg)
{
    struct exchange *x;
    bool drop;

    if (n->closing) {
        cb(arg, ERR_CANCELED, NULL, 0);
        return;
    }
    if (len > n->max_frame) {
        n->stats.frames_too_big++;
        n->stats.exchanges_failed++;
        cb(arg, ERR_TOO_BIG, NULL, 0);
        return;
    }
    x = xcalloc(1, sizeof(*x));
    x->n = n;
    x->cb = cb;
    x->arg = arg;
    x->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    to_sockaddr(to, &x->sa);
    frame_build(n, req, len, &x->out);
    list_add_tail(&n->exchanges, &x->node);
    n->live++;
    n->stats.exchanges_started++;
    uv_timer_init(n->loop, &x->timer);
    x->timer.data = x;
    x->handles = 1;
    drop = fault_decide(n, to, &x->delay_ms);
    if (drop || x->delay_ms >= x->timeout_ms) {
        /* Never connected: it times out, as behind a silent firewall. */
        uv_timer_start(&x->timer, exchange_timed_out, x->timeout_ms, 0);
    } else if (x->delay_ms > 0) {
        uv_timer_start(&x->timer, exchange_delay_over, x->delay_ms, 0);
    } else {
        uv_timer_start(&x->timer, exchange_timed_out, x->timeout_ms, 0);
        exchange_connect(x);
    }
}

/* ---------------------------------------------------- accepted streams */

static void stream_free_if_done(struct net_stream_req *r)
{
    struct net *n = r->n;

    if (r->handles > 0 || r->awaiting_reply)
        return;
    list_del(&r->node);
    buf_release(&r->in);
    buf_release(&r->out);
    free(r);
    n->stats.streams_ended++;
    n->nstreams--;
    n->live--;
    net_maybe_free(n);
}

static void stream_closed(uv_handle_t *h)
{
    struct net_stream_req *r = h->data;

    r->handles--;
    stream_free_if_done(r);
}

static void stream_close(struct net_stream_req *r)
{
    if (r->closing)
        return;
    r->closing = true;
    uv_close((uv_handle_t *)&r->timer, stream_closed);
    uv_close((uv_handle_t *)&r->tcp, stream_closed);
}

static void stream_timed_out(uv_timer_t *t)
{
    stream_close(t->data);
}

/* Hands the one request up; what else the peer sends is ignored. */
static void stream_deliver(struct net_stream_req *r,
                           const char *body,
                           size_t len)
{
    struct net *n = r->n;
    struct buf plain = BUF_INIT;
    struct err err = ERR_INIT;

    r->got_request = true;
    uv_read_stop((uv_stream_t *)&r->tcp);
    if (open_msg(n, SEAL_STREAM, body, len, &plain, &err) != 0) {
        char who[NET_ADDR_STRLEN];

        n->stats.frames_refused++;
        net_addr_format(&r->from, who);
        log_debug(&n->lg, "stream from %s refused: %s", who, err.msg);
        stream_close(r);
    } else if (n->on_stream == NULL) {
        stream_close(r);
    } else {
        r->awaiting_reply = true;
        n->on_stream(n->arg, r, &r->from, plain.data ? plain.data : "",
                     plain.len);
    }
    buf_release(&plain);
}

static void stream_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct net_stream_req *r = s->data;
    struct net *n = r->n;
    const char *body;
    size_t len;
    int rc;

    if (nread > 0 && !r->got_request)
        buf_append(&r->in, b->base, (size_t)nread);
    free(b->base);
    if (r->closing || r->got_request)
        return;
    rc = frame_peek(&r->in, sealed_limit(n, n->max_frame), &body, &len);
    if (rc == ERR_TOO_BIG) {
        n->stats.frames_too_big++;
        stream_close(r);
    } else if (rc == 1) {
        stream_deliver(r, body, len);
    } else if (nread < 0) {
        stream_close(r);
    }
}

static void stream_written(uv_write_t *req, int status)
{
    (void)status;
    stream_close(req->data);
}

void net_stream_reply(struct net_stream_req *r, const void *data, size_t len)
{
    struct net *n = r->n;
    uv_buf_t b;

    r->awaiting_reply = false;
    if (r->closing) {
        stream_free_if_done(r);
        return;
    }
    if (len > n->max_frame) {
        n->stats.frames_too_big++;
        stream_close(r);
        return;
    }
    frame_build(n, data, len, &r->out);
    b = uv_buf_init(r->out.data, (unsigned)r->out.len);
    r->write.data = r;
    if (uv_write(&r->write, (uv_stream_t *)&r->tcp, &b, 1, stream_written) != 0)
        stream_close(r);
}

static void stream_accept(uv_stream_t *listener, int status)
{
    struct net *n = listener->data;
    struct net_stream_req *r;
    struct sockaddr_storage sa;
    int salen = sizeof(sa);

    if (status < 0 || n->closing)
        return;
    r = xcalloc(1, sizeof(*r));
    r->n = n;
    list_add_tail(&n->streams, &r->node);
    n->live++;
    n->nstreams++;
    uv_tcp_init(n->loop, &r->tcp);
    uv_timer_init(n->loop, &r->timer);
    r->tcp.data = r->timer.data = r;
    r->handles = 2;
    if (uv_accept(listener, (uv_stream_t *)&r->tcp) != 0 ||
        uv_tcp_getpeername(&r->tcp, (struct sockaddr *)&sa, &salen) != 0 ||
        uv_read_start((uv_stream_t *)&r->tcp, alloc_chunk, stream_read) != 0) {
        stream_close(r);
        return;
    }
    from_sockaddr((struct sockaddr *)&sa, &r->from);
    if (n->nstreams > NET_MAX_STREAMS) {
        n->stats.streams_refused++;
        stream_close(r);
        return;
    }
    n->stats.streams_accepted++;
    uv_timer_start(&r->timer, stream_timed_out, n->stream_timeout_ms, 0);
}

/* ------------------------------------------------------- start, close */

/*
 * Binds a UDP and a TCP socket on one port. With port 0 the kernel picks
 * the UDP port, which may be taken for TCP: then try another.
 */
static int bind_pair(const struct sockaddr_storage *want,
                     int *udp_fd,
                     int *tcp_fd,
                     uint16_t *port)
{
    int rc = 0;

    for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
        struct sockaddr_storage sa = *want;
        socklen_t len = sizeof(sa);
        socklen_t salen = sa.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                   : sizeof(struct sockaddr_in);
        int one = 1;
        int u =
            socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int t =
            socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (u == -1 || t == -1) {
            rc = -errno;
            goto next;
        }
        if (bind(u, (struct sockaddr *)&sa, salen) == -1 ||
            getsockname(u, (struct sockaddr *)&sa, &len) == -1) {
            rc = -errno;
            goto next;
        }
        setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(t, (struct sockaddr *)&sa, salen) == -1) {
            rc = -errno;
            goto next;
        }
        *udp_fd = u;
        *tcp_fd = t;
        *port = ntohs(sa.ss_family == AF_INET6
                          ? ((struct sockaddr_in6 *)&sa)->sin6_port
                          : ((struct sockaddr_in *)&sa)->sin_port);
        return 0;
    next:
        if (u != -1)
            close(u);
        if (t != -1)
            close(t);
        /* A fixed port that is taken stays taken. */
        if (rc != -EADDRINUSE ||
            (want->ss_family == AF_INET6
                 ? ((const struct sockaddr_in6 *)want)->sin6_port
                 : ((const struct sockaddr_in *)want)->sin_port) != 0)
            return rc;
    }
    return rc;
}

static void handle_closed(uv_handle_t *h)
{
    struct net *n = h->data;

    n->open_handles--;
    net_maybe_free(n);
}

static void net_maybe_free(struct net *n)
{
    if (!n->closing || n->open_handles > 0 || n->live > 0)
        return;
    if (n->close_cb != NULL)
        n->close_cb(n->close_arg);
    buf_release(&n->plain);
    free(n->faults);
    free(n);
}

int net_start(struct uv_loop_s *loop,
              const struct net_config *cfg,
              struct net **out,
              struct err *err)
{
    struct net *n;
    struct net_addr bind_addr;
    struct sockaddr_storage sa;
    char spec[96];
    int udp_fd = -1, tcp_fd = -1, rc;
    uint16_t port = 0;

    *out = NULL;
    snprintf(
        spec, sizeof(spec),
        strchr(cfg->bind_ip ? cfg->bind_ip : "", ':') ? "[%s]:%u" : "%s:%u",
        cfg->bind_ip ? cfg->bind_ip : "0.0.0.0", cfg->port);
    if (net_addr_parse(spec, &bind_addr, err) != 0)
        return err_wrap(err, "mesh: bind address");
    to_sockaddr(&bind_addr, &sa);
    rc = bind_pair(&sa, &udp_fd, &tcp_fd, &port);
    if (rc != 0)
        return err_set(err, ERR_IO, "mesh: bind %s (UDP and TCP): %s", spec,
                       strerror(-rc));
    n = xcalloc(1, sizeof(*n));
    n->loop = loop;
    n->kr = cfg->keyring;
    n->max_packet =
        cfg->max_packet_bytes ? cfg->max_packet_bytes : NET_MAX_PACKET;
    if (n->max_packet > sizeof(n->rbuf) - SEAL_OVERHEAD)
        n->max_packet = sizeof(n->rbuf) - SEAL_OVERHEAD;
    n->max_frame = cfg->max_frame_bytes ? cfg->max_frame_bytes : NET_MAX_FRAME;
    n->stream_timeout_ms =
        cfg->stream_timeout_ms ? cfg->stream_timeout_ms : NET_STREAM_TIMEOUT_MS;
    n->on_packet = cfg->on_packet;
    n->on_stream = cfg->on_stream;
    n->arg = cfg->arg;
    n->port = port;
    list_init(&n->exchanges);
    list_init(&n->streams);
    list_init(&n->delayed);
    rng_seed(&n->rng, 1);
    logger_init(&n->lg, "mesh.net", "%s", spec);
    uv_udp_init(loop, &n->udp);
    uv_tcp_init(loop, &n->listener);
    uv_timer_init(loop, &n->delay_timer);
    n->udp.data = n->listener.data = n->delay_timer.data = n;
    n->open_handles = 3;
    rc = uv_udp_open(&n->udp, udp_fd);
    if (rc == 0)
        udp_fd = -1;
    if (rc == 0)
        rc = uv_tcp_open(&n->listener, tcp_fd);
    if (rc == 0)
        tcp_fd = -1;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&n->listener, 128, stream_accept);
    if (rc == 0)
        rc = uv_udp_recv_start(&n->udp, udp_alloc, udp_received);
    if (rc != 0) {
        err_set(err, ERR_IO, "mesh: listen on %s: %s", spec, uv_strerror(rc));
        if (udp_fd != -1)
            close(udp_fd);
        if (tcp_fd != -1)
            close(tcp_fd);
        net_close(n, NULL, NULL);
        return ERR_IO;
    }
    *out = n;
    return 0;
}

uint16_t net_port(const struct net *n)
{
    return n->port;
}

struct net_stats net_stats(const struct net *n)
{
    return n->stats;
}

void net_close(struct net *n, void (*cb)(void *arg), void *arg)
{
    struct exchange *x, *xt;
    struct net_stream_req *r, *rt;
    struct delayed_packet *d, *dt;

    if (n->closing)
        return;
    n->closing = true;
    n->close_cb = cb;
    n->close_arg = arg;
    list_for_each_entry_safe(d, dt, &n->delayed, struct delayed_packet, node)
    {
        list_del(&d->node);
        buf_release(&d->data);
        free(d);
    }
    list_for_each_entry_safe(x, xt, &n->exchanges, struct exchange, node)
        exchange_finish(x, ERR_CANCELED, NULL, 0);
    list_for_each_entry_safe(r, rt, &n->streams, struct net_stream_req, node)
        stream_close(r);
    uv_close((uv_handle_t *)&n->udp, handle_closed);
    uv_close((uv_handle_t *)&n->listener, handle_closed);
    uv_close((uv_handle_t *)&n->delay_timer, handle_closed);
}
