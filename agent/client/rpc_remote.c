/*
 * struct client_rpc over mesh/rpc: what a client agent without a server
 * of its own sends its servers (bodies as agent/server/endpoints.c reads
 * them).
 */
#include "agent/client/rpc_remote.h"

#include <stdlib.h>
#include <string.h>

#include "agent/client/client.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/alloc_list.h"
#include "lib/model/codec_mp.h"
#include "lib/mp.h"
#include "mesh/rpc_uv.h"

#define CALL_TIMEOUT_MS 10000
/* Blocking queries wait on the server this long, then ask again. */
#define ALLOCS_WAIT_MS 60000

struct pending
{
    client_rpc_done done;
    client_rpc_hb_done hb_done;
    client_rpc_allocs allocs_done;
    void *arg;
};

static struct pending *pending_new(client_rpc_done done,
                                   client_rpc_hb_done hb_done,
                                   client_rpc_allocs allocs_done,
                                   void *arg)
{
    struct pending *p = xcalloc(1, sizeof(*p));

    p->done = done;
    p->hb_done = hb_done;
    p->allocs_done = allocs_done;
    p->arg = arg;
    return p;
}

static void finished(void *arg,
                     int rc,
                     const void *body,
                     size_t len,
                     const char *errmsg)
{
    struct pending *p = arg;
    struct err err = ERR_INIT;
    struct mp_reader r;
    int64_t ttl = 0;

    if (rc != 0)
        err_set(&err, rc, "%s", errmsg ? errmsg : "rpc failed");
    /* Registrations and heartbeats are answered with the node's TTL. */
    if (rc == 0 && p->hb_done != NULL) {
        mp_reader_init(&r, body, len);
        if (mp_read_int(&r, &ttl) != 0 || ttl < 0)
            ttl = 0;
    }
    if (p->done)
        p->done(p->arg, rc, &err);
    if (p->hb_done)
        p->hb_done(p->arg, rc, (uint64_t)ttl, &err);
    free(p);
}

static void node_register(void *ctx,
                          const struct node *n,
                          client_rpc_hb_done done,
                          void *arg)
{
    struct buf b = BUF_INIT;

    node_encode_mp(n, &b);
    rpc_client_call(ctx, "Node.Register", b.data, b.len, CALL_TIMEOUT_MS,
                    finished, pending_new(NULL, done, NULL, arg));
    buf_release(&b);
}

static void node_heartbeat(void *ctx,
                           const char *node_id,
                           client_rpc_hb_done done,
                           void *arg)
{
    struct buf b = BUF_INIT;

    mp_put_str(&b, node_id);
    rpc_client_call(ctx, "Node.UpdateStatus", b.data, b.len, CALL_TIMEOUT_MS,
                    finished, pending_new(NULL, done, NULL, arg));
    buf_release(&b);
}

static void allocs_finished(void *arg,
                            int rc,
                            const void *body,
                            size_t len,
                            const char *errmsg)
{
    struct pending *p = arg;
    struct err err = ERR_INIT;
    struct alloc **allocs = NULL;
    struct mp_reader r;
    const char *list = NULL;
    int64_t index = 0;
    uint32_t two;
    size_t n = 0;

    if (rc != 0) {
        err_set(&err, rc, "%s", errmsg ? errmsg : "rpc failed");
    } else {
        /* [index, [records]]: the records are what Alloc.UpdateClient
         * carries, read by the same decoder. */
        mp_reader_init(&r, body, len);
        if (mp_read_array(&r, &two) != 0 || two != 2 ||
            mp_read_int(&r, &index) != 0 || index < 0) {
            rc = err_set(&err, ERR_MALFORMED, "rpc: malformed allocs answer");
        } else {
            list = (const char *)r.p;
            rc = alloc_list_decode_mp(list, mp_remaining(&r), &allocs, &n,
                                         &err);
        }
    }
    p->allocs_done(p->arg, rc, allocs, n, (uint64_t)index, &err);
    alloc_list_free(allocs, n);
    free(p);
}

static void node_allocs(void *ctx,
                        const char *node_id,
                        uint64_t index,
                        client_rpc_allocs done,
                        void *arg)
{
    struct buf b = BUF_INIT;

    mp_put_array(&b, 3);
    mp_put_str(&b, node_id);
    mp_put_int(&b, (int64_t)index);
    mp_put_int(&b, ALLOCS_WAIT_MS);
    rpc_client_call(ctx, "Node.GetClientAllocs", b.data, b.len,
                    ALLOCS_WAIT_MS + CALL_TIMEOUT_MS, allocs_finished,
                    pending_new(NULL, NULL, done, arg));
    buf_release(&b);
}

static void alloc_update(void *ctx,
                         struct alloc *const *allocs,
                         size_t n,
                         client_rpc_done done,
                         void *arg)
{
    struct buf b = BUF_INIT;

    alloc_list_encode_mp(allocs, n, &b);
    rpc_client_call(ctx, "Alloc.UpdateClient", b.data, b.len,
                    CALL_TIMEOUT_MS, finished,
                    pending_new(done, NULL, NULL, arg));
    buf_release(&b);
}

void client_rpc_remote(struct rpc_client *rc, struct client_rpc *out)
{
    out->ctx = rc;
    out->node_register = node_register;
    out->node_heartbeat = node_heartbeat;
    out->node_allocs = node_allocs;
    out->alloc_update = alloc_update;
}
