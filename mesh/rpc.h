/*
 * The RPC wire format between agents (pure: bytes in, messages out).
 *
 * A stream carries frames: a 4-byte big-endian length, then that many
 * bytes of msgpack, the array
 *     [version = 1, kind, seq, method | rc, body]
 * kind 0 is a request (method: its name), 1 a response (rc: 0 for
 * success, else an ERR_* code and body holds the message). seq pairs a
 * response with its request, so many calls share one connection in any
 * order. body is a bin holding the method's own msgpack. Lengths are
 * checked against the frame before anything is allocated; a frame longer
 * than the reader's limit ends the connection.
 */
#ifndef CARAVAN_MESH_RPC_H
#define CARAVAN_MESH_RPC_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;

#define RPC_VERSION 1
#define RPC_MAX_FRAME (16u * 1024 * 1024)
#define RPC_MAX_METHOD 64

enum rpc_kind {
    RPC_REQUEST = 0,
    RPC_RESPONSE = 1,
};

struct rpc_msg
{
    enum rpc_kind kind;
    uint64_t seq;
    char method[RPC_MAX_METHOD + 1]; /* requests */
    int32_t rc;                      /* responses */
    uint8_t *body;                   /* owned; NULL when empty */
    size_t body_len;
};

void rpc_msg_release(struct rpc_msg *m);

/* Appends one frame holding m to out. */
void rpc_encode(struct buf *out, const struct rpc_msg *m);

/*
 * Reads one frame from the front of data: returns 1 with *m filled (the
 * caller releases it) and *used the bytes it took, 0 when the frame is
 * not complete yet, or ERR_MALFORMED / ERR_TOO_BIG (the stream cannot go
 * on) with the reason in err.
 */
int rpc_decode(const void *data,
               size_t len,
               size_t max_frame,
               struct rpc_msg *m,
               size_t *used,
               struct err *err);

#endif
