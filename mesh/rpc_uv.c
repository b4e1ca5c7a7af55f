/* RPC over TCP on libuv (rpc_uv.h). */
#include "mesh/rpc_uv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/list.h"
#include "lib/log.h"
#include "mesh/rpc.h"

/* How long a client waits before trying the next server address. */
#define RECONNECT_MS 500
#define TICK_MS 100

/* One TCP stream, on either side. */
struct conn
{
    uv_tcp_t tcp;
    struct buf in;
    struct rpc_server *srv; /* server side */
    struct rpc_client *cli; /* client side */
    struct list_node node;  /* in srv->conns */
    int pending;            /* server: calls not answered yet */
    bool closing;           /* uv_close was called */
    bool handle_closed;
};

struct handler
{
    char *method;
    rpc_handler_cb fn;
    void *arg;
};

struct rpc_server
{
    uv_loop_t *loop;
    uv_tcp_t listener;
    struct handler *handlers;
    size_t nhandlers;
    struct list_node conns;
    struct logger lg;
    int open; /* handles not closed yet */
    bool closing;
    void (*close_cb)(void *arg);
    void *close_arg;
};

struct rpc_call
{
    struct conn *conn;
    uint64_t seq;
};

struct pcall
{
    struct list_node node;
    uint64_t seq;
    struct buf frame;
    uint64_t deadline; /* loop time, ms */
    bool sent;
    rpc_result_cb cb;
    void *arg;
};

struct rpc_client
{
    uv_loop_t *loop;
    char **addrs;
    struct sockaddr_storage *sa;
    size_t naddrs, next;
    struct conn *conn;
    bool connected;
    uint64_t retry_at;
    uint64_t next_seq;
    struct list_node pending;
    uv_timer_t timer;
    struct logger lg;
    bool closing;
    int open;
    void (*close_cb)(void *arg);
    void *close_arg;
};

struct write_req
{
    uv_write_t req;
    struct buf data;
};

static void write_done(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;

    (void)status;
    buf_release(&w->data);
    free(w);
}

/* Sends frame (taken) on c; errors show up as a read error. */
static void send_frame(struct conn *c, struct buf *frame)
{
    struct write_req *w = xcalloc(1, sizeof(*w));
    uv_buf_t b;

    w->data = *frame;
    buf_init(frame);
    b = uv_buf_init(w->data.data, (unsigned)w->data.len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done) != 0)
        write_done(&w->req, -1);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)h;
    (void)suggested;
    out->base = xmalloc(64 * 1024);
    out->len = 64 * 1024;
}

static void server_maybe_done(struct rpc_server *s);
static void client_conn_lost(struct rpc_client *c, const char *why);

static void conn_free_if_done(struct conn *c)
{
    if (!c->handle_closed || c->pending > 0)
        return;
    buf_release(&c->in);
    free(c);
}

static void conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct rpc_server *s = c->srv;

    c->handle_closed = true;
    if (s != NULL) {
        list_del(&c->node);
        s->open--;
        conn_free_if_done(c);
        server_maybe_done(s);
        return;
    }
    conn_free_if_done(c);
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

/* ------------------------------------------------------------ server */

static void server_maybe_done(struct rpc_server *s)
{
    if (!s->closing || s->open > 0)
        return;
    for (size_t i = 0; i < s->nhandlers; i++)
        free(s->handlers[i].method);
    free(s->handlers);
    if (s->close_cb)
        s->close_cb(s->close_arg);
    free(s);
}

static void dispatch(struct conn *c, struct rpc_msg *m)
{
    struct rpc_server *s = c->srv;
    struct rpc_call *call;

    if (m->kind != RPC_REQUEST) {
        log_warn(&s->lg, "a response sent to the server; closing");
        conn_close(c);
        return;
    }
    call = xcalloc(1, sizeof(*call));
    call->conn = c;
    call->seq = m->seq;
    c->pending++;
    for (size_t i = 0; i < s->nhandlers; i++) {
        if (strcmp(s->handlers[i].method, m->method) == 0) {
            s->handlers[i].fn(call, m->body, m->body_len, s->handlers[i].arg);
            return;
        }
    }
    {
        struct err err = ERR_INIT;

        err_set(&err, ERR_NOT_FOUND, "rpc: unknown method %s", m->method);
        rpc_reply_error(call, &err);
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    struct conn *c = stream->data;
    size_t off = 0;

    if (nread > 0)
        buf_append(&c->in, b->base, (size_t)nread);
    free(b->base);
    if (nread < 0) {
        if (c->cli != NULL && !c->closing)
            client_conn_lost(c->cli, nread == UV_EOF
                                         ? "the server closed the connection"
                                         : uv_strerror((int)nread));
        conn_close(c);
        return;
    }
    while (!c->closing) {
        struct rpc_msg m;
        struct err err = ERR_INIT;
        size_t used = 0;
        int rc = rpc_decode(c->in.data + off, c->in.len - off, RPC_MAX_FRAME,
                            &m, &used, &err);

        if (rc == 0)
            break;
        if (rc < 0) {
            struct logger *lg = c->srv ? &c->srv->lg : &c->cli->lg;

            log_warn(lg, "%s; closing the connection", err.msg);
            if (c->cli != NULL)
                client_conn_lost(c->cli, err.msg);
            conn_close(c);
            break;
        }
        off += used;
        if (c->srv != NULL) {
            dispatch(c, &m);
        } else {
            struct rpc_client *cl = c->cli;
            struct pcall *p, *tmp;

            list_for_each_entry_safe(p, tmp, &cl->pending, struct pcall, node)
            {
                if (p->seq != m.seq)
                    continue;
                list_del(&p->node);
                if (m.rc == 0) {
                    p->cb(p->arg, 0, m.body, m.body_len, NULL);
                } else {
                    char *msg = xmalloc(m.body_len + 1);

                    memcpy(msg, m.body ? (char *)m.body : "", m.body_len);
                    msg[m.body_len] = '\0';
                    p->cb(p->arg, m.rc, NULL, 0, msg);
                    free(msg);
                }
                buf_release(&p->frame);
                free(p);
                break;
            }
        }
        rpc_msg_release(&m);
    }
    if (off > 0) {
        memmove(c->in.data, c->in.data + off, c->in.len - off);
        c->in.len -= off;
    }
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct rpc_server *s = listener->data;
    struct conn *c;

    if (status < 0 || s->closing)
        return;
    c = xcalloc(1, sizeof(*c));
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    list_add_tail(&s->conns, &c->node);
    s->open++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read) != 0)
        conn_close(c);
}

int rpc_server_start(uv_loop_t *loop,
                     const char *host,
                     uint16_t port,
                     struct rpc_server **out,
                     struct err *err)
{
    struct rpc_server *s = xcalloc(1, sizeof(*s));
    struct sockaddr_storage sa;
    int rc;

    *out = NULL;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) != 0) {
        free(s);
        return err_set(err, ERR_INVALID, "rpc: bad bind address %s", host);
    }
    s->loop = loop;
    list_init(&s->conns);
    logger_init(&s->lg, "rpc", NULL);
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->open = 1;
    rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&sa, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
    if (rc != 0) {
        err_set(err, ERR_IO, "rpc: listen on %s port %u: %s", host, port,
                uv_strerror(rc));
        rpc_server_close(s, NULL, NULL);
        return ERR_IO;
    }
    *out = s;
    return 0;
}

uint16_t rpc_server_port(const struct rpc_server *s)
{
    struct sockaddr_storage sa;
    int len = sizeof(sa);

    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&sa, &len) != 0)
        return 0;
    return ntohs(sa.ss_family == AF_INET6
                     ? ((struct sockaddr_in6 *)&sa)->sin6_port
                     : ((struct sockaddr_in *)&sa)->sin_port);
}

void rpc_server_handle(struct rpc_server *s,
                       const char *method,
                       rpc_handler_cb fn,
                       void *arg)
{
    s->handlers = xrealloc(s->handlers, (s->nhandlers + 1) * sizeof(*s->handlers));
    s->handlers[s->nhandlers].method = xstrdup(method);
    s->handlers[s->nhandlers].fn = fn;
    s->handlers[s->nhandlers].arg = arg;
    s->nhandlers++;
}

bool rpc_call_gone(const struct rpc_call *call)
{
    return call->conn->closing;
}

void rpc_reply(struct rpc_call *call, int rc, const void *body, size_t len)
{
    struct conn *c = call->conn;

    if (!c->closing) {
        struct rpc_msg m;
        struct buf frame = BUF_INIT;

        memset(&m, 0, sizeof(m));
        m.kind = RPC_RESPONSE;
        m.seq = call->seq;
        m.rc = rc;
        m.body = (uint8_t *)body;
        m.body_len = len;
        rpc_encode(&frame, &m);
        send_frame(c, &frame);
    }
    c->pending--;
    free(call);
    conn_free_if_done(c);
}

void rpc_reply_error(struct rpc_call *call, const struct err *err)
{
    rpc_reply(call, err->code ? err->code : ERR_IO, err->msg, strlen(err->msg));
}

static void listener_closed(uv_handle_t *h)
{
    struct rpc_server *s = h->data;

    s->open--;
    server_maybe_done(s);
}

void rpc_server_close(struct rpc_server *s, void (*cb)(void *arg), void *arg)
{
    struct conn *c, *tmp;

    s->closing = true;
    s->close_cb = cb;
    s->close_arg = arg;
    list_for_each_entry_safe(c, tmp, &s->conns, struct conn, node)
        conn_close(c);
    uv_close((uv_handle_t *)&s->listener, listener_closed);
}

/* ------------------------------------------------------------ client */

static int parse_addr(const char *a, struct sockaddr_storage *sa)
{
    char host[256];
    const char *colon = strrchr(a, ':');
    char *end;
    long port;
    size_t hl;

    if (colon == NULL)
        return -1;
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || port <= 0 || port > 65535)
        return -1;
    hl = (size_t)(colon - a);
    if (a[0] == '[' && hl >= 2 && a[hl - 1] == ']') {
        a++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, a, hl);
    host[hl] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)sa) == 0)
        return 0;
    return uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)sa) == 0 ? 0
                                                                        : -1;
}

static void fail_call(struct pcall *p, int rc, const char *msg)
{
    list_del(&p->node);
    p->cb(p->arg, rc, NULL, 0, msg);
    buf_release(&p->frame);
    free(p);
}

/* The address last dialled, for messages. */
static const char *cur_addr(const struct rpc_client *c)
{
    return c->naddrs ? c->addrs[(c->next + c->naddrs - 1) % c->naddrs]
                     : "(none)";
}

/* The calls on a lost connection fail; the unsent ones wait for the next. */
static void client_conn_lost(struct rpc_client *c, const char *why)
{
    struct pcall *p, *tmp;
    char msg[320];

    if (c->connected)
        log_warn(&c->lg, "connection to %s lost: %s",
                 cur_addr(c), why);
    snprintf(msg, sizeof(msg), "rpc: connection to the server lost: %s", why);
    c->connected = false;
    c->conn = NULL;
    c->retry_at = uv_now(c->loop) + RECONNECT_MS;
    list_for_each_entry_safe(p, tmp, &c->pending, struct pcall, node)
    {
        if (p->sent)
            fail_call(p, ERR_IO, msg);
    }
}

static void send_unsent(struct rpc_client *c)
{
    struct pcall *p;

    list_for_each_entry(p, &c->pending, struct pcall, node)
    {
        if (!p->sent && c->conn != NULL) {
            struct buf copy = BUF_INIT;

            buf_append(&copy, p->frame.data, p->frame.len);
            send_frame(c->conn, &copy);
            p->sent = true;
        }
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct conn *conn = req->data;
    struct rpc_client *c = conn->cli;

    free(req);
    if (conn->closing) {
        return;
    }
    if (status < 0) {
        log_debug(&c->lg, "connecting to %s: %s",
                  cur_addr(c),
                  uv_strerror(status));
        client_conn_lost(c, uv_strerror(status));
        conn_close(conn);
        return;
    }
    if (uv_read_start((uv_stream_t *)&conn->tcp, alloc_cb, on_read) != 0) {
        client_conn_lost(c, "cannot read");
        conn_close(conn);
        return;
    }
    c->connected = true;
    log_info(&c->lg, "connected to server %s",
             cur_addr(c));
    send_unsent(c);
}

static void client_connect(struct rpc_client *c)
{
    struct conn *conn = xcalloc(1, sizeof(*conn));
    uv_connect_t *req = xcalloc(1, sizeof(*req));
    size_t i = c->next;

    c->next = (c->next + 1) % c->naddrs;
    conn->cli = c;
    uv_tcp_init(c->loop, &conn->tcp);
    uv_tcp_nodelay(&conn->tcp, 1);
    conn->tcp.data = conn;
    req->data = conn;
    c->conn = conn;
    if (uv_tcp_connect(req, &conn->tcp, (struct sockaddr *)&c->sa[i],
                       on_connect) != 0) {
        free(req);
        client_conn_lost(c, "cannot connect");
        conn_close(conn);
    }
}

static void tick(uv_timer_t *t)
{
    struct rpc_client *c = t->data;
    uint64_t now = uv_now(c->loop);
    struct pcall *p, *tmp;

    list_for_each_entry_safe(p, tmp, &c->pending, struct pcall, node)
    {
        if (p->deadline <= now)
            fail_call(p, ERR_TIMEOUT, "rpc: call timed out");
    }
    if (c->conn == NULL && now >= c->retry_at && !list_empty(&c->pending) &&
        c->naddrs > 0)
        client_connect(c);
}

/* Parses every address first, so a bad one changes nothing. */
static int parse_all(const char *const *addrs,
                     size_t n,
                     char ***out_addrs,
                     struct sockaddr_storage **out_sa,
                     struct err *err)
{
    char **a = xcalloc(n ? n : 1, sizeof(*a));
    struct sockaddr_storage *sa = xcalloc(n ? n : 1, sizeof(*sa));

    for (size_t i = 0; i < n; i++) {
        if (parse_addr(addrs[i], &sa[i]) != 0) {
            err_set(err, ERR_INVALID,
                    "invalid server address \"%s\": want ip:port", addrs[i]);
            for (size_t k = 0; k < i; k++)
                free(a[k]);
            free(a);
            free(sa);
            return ERR_INVALID;
        }
        a[i] = xstrdup(addrs[i]);
    }
    *out_addrs = a;
    *out_sa = sa;
    return 0;
}

int rpc_client_set_servers(struct rpc_client *c,
                           const char *const *addrs,
                           size_t n,
                           struct err *err)
{
    char **a;
    struct sockaddr_storage *sa;
    bool same = n == c->naddrs;

    for (size_t i = 0; same && i < n; i++)
        same = strcmp(addrs[i], c->addrs[i]) == 0;
    if (same)
        return 0;
    if (parse_all(addrs, n, &a, &sa, err) != 0)
        return ERR_INVALID;
    for (size_t i = 0; i < c->naddrs; i++)
        free(c->addrs[i]);
    free(c->addrs);
    free(c->sa);
    c->addrs = a;
    c->sa = sa;
    c->naddrs = n;
    c->next = 0;
    /* Reconnect at once: the one we had may have just gone. */
    c->retry_at = 0;
    return 0;
}

int rpc_client_new(uv_loop_t *loop,
                   const char *const *addrs,
                   size_t n,
                   struct rpc_client **out,
                   struct err *err)
{
    struct rpc_client *c;

    *out = NULL;
    c = xcalloc(1, sizeof(*c));
    if (parse_all(addrs, n, &c->addrs, &c->sa, err) != 0) {
        free(c);
        return ERR_INVALID;
    }
    c->naddrs = n;
    c->loop = loop;
    c->next_seq = 1;
    list_init(&c->pending);
    logger_init(&c->lg, "rpc.client", NULL);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    uv_timer_start(&c->timer, tick, TICK_MS, TICK_MS);
    c->open = 1;
    *out = c;
    return 0;
}

void rpc_client_call(struct rpc_client *c,
                     const char *method,
                     const void *body,
                     size_t len,
                     uint64_t timeout_ms,
                     rpc_result_cb cb,
                     void *arg)
{
    struct pcall *p;
    struct rpc_msg m;

    if (c->closing) {
        cb(arg, ERR_CANCELED, NULL, 0, "rpc: client closing");
        return;
    }
    p = xcalloc(1, sizeof(*p));
    memset(&m, 0, sizeof(m));
    m.kind = RPC_REQUEST;
    m.seq = p->seq = c->next_seq++;
    snprintf(m.method, sizeof(m.method), "%s", method);
    m.body = (uint8_t *)body;
    m.body_len = len;
    rpc_encode(&p->frame, &m);
    p->deadline = uv_now(c->loop) + timeout_ms;
    p->cb = cb;
    p->arg = arg;
    list_add_tail(&c->pending, &p->node);
    if (c->connected)
        send_unsent(c);
    else if (c->conn == NULL && uv_now(c->loop) >= c->retry_at &&
             c->naddrs > 0)
        client_connect(c);
}

static void client_timer_closed(uv_handle_t *h)
{
    struct rpc_client *c = h->data;

    for (size_t i = 0; i < c->naddrs; i++)
        free(c->addrs[i]);
    free(c->addrs);
    free(c->sa);
    if (c->close_cb)
        c->close_cb(c->close_arg);
    free(c);
}

void rpc_client_close(struct rpc_client *c, void (*cb)(void *arg), void *arg)
{
    struct pcall *p, *tmp;

    c->closing = true;
    c->close_cb = cb;
    c->close_arg = arg;
    list_for_each_entry_safe(p, tmp, &c->pending, struct pcall, node)
        fail_call(p, ERR_CANCELED, "rpc: client closing");
    if (c->conn != NULL) {
        c->conn->cli = NULL;
        conn_close(c->conn);
        c->conn = NULL;
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, client_timer_closed);
}
