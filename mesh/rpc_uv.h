/*
 * RPC over TCP on the libuv loop (the wire format is rpc.h). A server
 * answers named methods, asynchronously: a handler may reply much later
 * (a blocking query). A client keeps one multiplexed connection to one of
 * its server addresses, queues calls while it (re)connects, moves to the
 * next address when a server goes away, and fails calls that outlive
 * their timeout or the connection they were sent on.
 */
#ifndef CARAVAN_MESH_RPC_UV_H
#define CARAVAN_MESH_RPC_UV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct err;
struct rpc_server;
struct rpc_call;
struct rpc_client;

/* ------------------------------------------------------------ server */

/* body (borrowed for the call) is the request's; reply with rpc_reply(). */
typedef void (*rpc_handler_cb)(struct rpc_call *call,
                               const void *body,
                               size_t len,
                               void *arg);

/* Listens on host:port (port 0: any free one). */
int rpc_server_start(uv_loop_t *loop,
                     const char *host,
                     uint16_t port,
                     struct rpc_server **out,
                     struct err *err);
uint16_t rpc_server_port(const struct rpc_server *s);
void rpc_server_handle(struct rpc_server *s,
                       const char *method,
                       rpc_handler_cb fn,
                       void *arg);
/*
 * Answers call, once: rc 0 with body as the result, else rc an ERR_*
 * code and body the message. A call whose connection went away is just
 * freed.
 */
void rpc_reply(struct rpc_call *call, int rc, const void *body, size_t len);
void rpc_reply_error(struct rpc_call *call, const struct err *err);
/* Whether the caller hung up: the answer would go nowhere. */
bool rpc_call_gone(const struct rpc_call *call);
/* Stops listening and closes every connection; then cb. */
void rpc_server_close(struct rpc_server *s, void (*cb)(void *arg), void *arg);

/* ------------------------------------------------------------ client */

/* rc 0 with the result in body, or an ERR_* code and errmsg. */
typedef void (*rpc_result_cb)(void *arg,
                              int rc,
                              const void *body,
                              size_t len,
                              const char *errmsg);

/*
 * addrs are "ip:port" (IPv4, IPv6 in brackets, or "localhost:port");
 * ERR_INVALID names the first that is not. With none yet, calls wait
 * (within their timeout) for rpc_client_set_servers().
 */
int rpc_client_new(uv_loop_t *loop,
                   const char *const *addrs,
                   size_t n,
                   struct rpc_client **out,
                   struct err *err);
void rpc_client_call(struct rpc_client *c,
                     const char *method,
                     const void *body,
                     size_t len,
                     uint64_t timeout_ms,
                     rpc_result_cb cb,
                     void *arg);
/*
 * Replaces the server list (as the mesh learns servers come and go);
 * the next connection goes to the new list. A bad address changes nothing.
 */
int rpc_client_set_servers(struct rpc_client *c,
                           const char *const *addrs,
                           size_t n,
                           struct err *err);
/* Fails what is pending with ERR_CANCELED, closes, then cb. */
void rpc_client_close(struct rpc_client *c, void (*cb)(void *arg), void *arg);

#endif
