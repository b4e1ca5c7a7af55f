/*
 * The client RPCs a server answers over mesh/rpc (Node.Register,
 * Node.UpdateStatus, Node.GetClientAllocs, Alloc.UpdateClient), and the
 * blocking "allocs of a node" query that both the network endpoint and
 * the in-process client of a -dev agent use.
 *
 * Bodies are msgpack: Node.Register a node record, Node.UpdateStatus the
 * node id, Node.GetClientAllocs [node id, min index, max wait ms] answered
 * with [index, [alloc records]], Alloc.UpdateClient [alloc records].
 */
#include "agent/server/endpoints.h"

#include <stdlib.h>
#include <string.h>

#include "agent/server/server.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/alloc_list.h"
#include "lib/model/codec_mp.h"
#include "lib/model/node.h"
#include "lib/mp.h"
#include "mesh/rpc_uv.h"

/* A client waits at most this long for its allocs to change. */
#define MAX_WAIT_MS (5 * 60 * 1000)

/* ------------------------------------------------- allocs of a node */

struct allocs_query
{
    struct server *s;
    char *node_id;
    uint64_t index;
    void *watch;
    uv_timer_t timer;
    bool timer_open;
    server_allocs_cb done;
    void *arg;
};

struct alloc_list
{
    struct alloc **items;
    size_t n;
};

static int collect_alloc(const struct alloc *x, void *arg)
{
    struct alloc_list *l = arg;

    l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
    l->items[l->n++] = alloc_copy(x);
    return 0;
}

static void query_free(uv_handle_t *h)
{
    struct allocs_query *q = h->data;

    free(q->node_id);
    free(q);
}

static void answer(struct allocs_query *q, bool closing)
{
    struct alloc_list l = {NULL, 0};
    struct state_snap *snap;
    struct err err = ERR_INIT;
    uint64_t index = 0;
    int rc = closing ? ERR_CANCELED : 0;

    if (q->watch != NULL)
        server_unwatch(q->s, q->watch);
    q->watch = NULL;
    if (closing)
        err_set(&err, ERR_CANCELED, "server shutting down");
    if (rc == 0 && (rc = server_read_begin(q->s, &snap, &err)) == 0) {
        index = server_read_index(snap, SERVER_ALLOCS);
        rc = server_each_alloc_by_node(snap, q->node_id, collect_alloc, &l,
                                       &err);
        server_read_end(snap);
    }
    q->done(q->arg, rc, l.items, l.n, index, &err);
    for (size_t i = 0; i < l.n; i++)
        alloc_free(l.items[i]);
    free(l.items);
    if (q->timer_open) {
        uv_timer_stop(&q->timer);
        uv_close((uv_handle_t *)&q->timer, query_free);
    } else {
        query_free((uv_handle_t *)&q->timer);
    }
}

static void allocs_changed(void *arg, uint64_t index)
{
    struct allocs_query *q = arg;

    q->watch = NULL;
    answer(q, index == 0);
}

static void wait_over(uv_timer_t *t)
{
    answer(t->data, false);
}

void server_node_allocs(struct server *s,
                        const char *node_id,
                        uint64_t index,
                        uint64_t wait_ms,
                        uv_loop_t *loop,
                        server_allocs_cb done,
                        void *arg)
{
    struct allocs_query *q = xcalloc(1, sizeof(*q));
    struct state_snap *snap;
    struct err err = ERR_INIT;
    uint64_t now = 0;

    q->s = s;
    q->node_id = xstrdup(node_id);
    q->index = index;
    q->done = done;
    q->arg = arg;
    q->timer.data = q;
    if (server_read_begin(s, &snap, &err) == 0) {
        now = server_read_index(snap, SERVER_ALLOCS);
        server_read_end(snap);
    }
    if (now > index) {
        answer(q, false);
        return;
    }
    q->watch = server_watch(s, SERVER_ALLOCS, index, allocs_changed, q);
    if (wait_ms > 0 && loop != NULL) {
        uv_timer_init(loop, &q->timer);
        q->timer_open = true;
        uv_timer_start(&q->timer, wait_over,
                       wait_ms > MAX_WAIT_MS ? MAX_WAIT_MS : wait_ms, 0);
    }
}

/* ---------------------------------------------------------- endpoints */

struct endpoints
{
    struct server *s;
    uv_loop_t *loop;
};

static void applied(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct rpc_call *call = arg;

    (void)index;
    if (rc != 0)
        rpc_reply_error(call, err);
    else
        rpc_reply(call, 0, NULL, 0);
}

struct hb_ctx
{
    struct rpc_call *call;
    struct server *s;
};

/* Registrations and heartbeats answer with the node's TTL. */
static void node_applied(void *arg,
                         int rc,
                         uint64_t index,
                         const struct err *err)
{
    struct hb_ctx *h = arg;
    struct buf b = BUF_INIT;

    (void)index;
    if (rc != 0) {
        rpc_reply_error(h->call, err);
    } else {
        mp_put_int(&b, (int64_t)server_heartbeat_ttl_ms(h->s));
        rpc_reply(h->call, 0, b.data, b.len);
        buf_release(&b);
    }
    free(h);
}

static struct hb_ctx *hb_ctx_new(struct rpc_call *call, struct server *s)
{
    struct hb_ctx *h = xcalloc(1, sizeof(*h));

    h->call = call;
    h->s = s;
    return h;
}

static void refuse(struct rpc_call *call, const char *what)
{
    struct err err = ERR_INIT;

    err_set(&err, ERR_MALFORMED, "rpc: malformed %s request", what);
    rpc_reply_error(call, &err);
}

static void node_register(struct rpc_call *call,
                          const void *body,
                          size_t len,
                          void *arg)
{
    struct endpoints *ep = arg;
    struct err err = ERR_INIT;
    struct node n;

    node_init(&n);
    if (node_decode_mp(body, len, &n, &err) != 0 || n.id == NULL ||
        n.id[0] == '\0') {
        node_release(&n);
        refuse(call, "Node.Register");
        return;
    }
    server_node_register(ep->s, &n, node_applied, hb_ctx_new(call, ep->s));
    node_release(&n);
}

static void node_heartbeat(struct rpc_call *call,
                           const void *body,
                           size_t len,
                           void *arg)
{
    struct endpoints *ep = arg;
    struct err err = ERR_INIT;
    char id[128];

    if (endpoints_decode_node_id(body, len, id, sizeof(id), &err) != 0) {
        refuse(call, "Node.UpdateStatus");
        return;
    }
    server_node_heartbeat(ep->s, id, node_applied, hb_ctx_new(call, ep->s));
}

static void allocs_answered(void *arg,
                            int rc,
                            struct alloc *const *allocs,
                            size_t n,
                            uint64_t index,
                            const struct err *err)
{
    struct rpc_call *call = arg;
    struct buf out = BUF_INIT;

    if (rc != 0) {
        rpc_reply_error(call, err);
        return;
    }
    mp_put_array(&out, 2);
    mp_put_int(&out, (int64_t)index);
    alloc_list_encode_mp(allocs, n, &out);
    rpc_reply(call, 0, out.data, out.len);
    buf_release(&out);
}

static void node_allocs(struct rpc_call *call,
                        const void *body,
                        size_t len,
                        void *arg)
{
    struct endpoints *ep = arg;
    struct err err = ERR_INIT;
    uint64_t index, wait_ms;
    char id[128];

    if (endpoints_decode_allocs_query(body, len, id, sizeof(id), &index,
                                      &wait_ms, &err) != 0) {
        rpc_reply_error(call, &err);
        return;
    }
    server_node_allocs(ep->s, id, index, wait_ms, ep->loop, allocs_answered,
                       call);
}

static void alloc_update(struct rpc_call *call,
                         const void *body,
                         size_t len,
                         void *arg)
{
    struct endpoints *ep = arg;
    struct alloc **allocs;
    struct err err = ERR_INIT;
    size_t n;

    if (alloc_list_decode_mp(body, len, &allocs, &n, &err) != 0) {
        rpc_reply_error(call, &err);
        return;
    }
    server_alloc_update(ep->s, allocs, n, applied, call);
    alloc_list_free(allocs, n);
}

struct endpoints *server_endpoints_register(struct server *s,
                                            uv_loop_t *loop,
                                            struct rpc_server *rs)
{
    struct endpoints *ep = xcalloc(1, sizeof(*ep));

    ep->s = s;
    ep->loop = loop;
    rpc_server_handle(rs, "Node.Register", node_register, ep);
    rpc_server_handle(rs, "Node.UpdateStatus", node_heartbeat, ep);
    rpc_server_handle(rs, "Node.GetClientAllocs", node_allocs, ep);
    rpc_server_handle(rs, "Alloc.UpdateClient", alloc_update, ep);
    return ep;
}

void server_endpoints_free(struct endpoints *ep)
{
    free(ep);
}
