/*
 * Nomad's HTTP API on top of httpd: the routes of reference/http-api.md
 * that the server role answers (jobs, evaluations, allocations, nodes,
 * deployments, status, agent), with blocking queries.
 */
#ifndef CARAVAN_AGENT_HTTP_API_H
#define CARAVAN_AGENT_HTTP_API_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

struct client;
struct catalog;
struct err;
struct watch_hub;
struct http_api;
struct server;

/*
 * A request a client-only agent cannot answer itself, passed on to a
 * server (the composition root carries it over mesh/rpc), and the answer.
 */
struct http_fwd_req
{
    const char *method;
    const char *url; /* path and query, as received */
    const char *token;
    const char *content_type;
    const void *body;
    size_t len;
};

struct http_fwd_resp
{
    int status;
    const char *content_type;
    const char *index; /* X-Nomad-Index etc., NULL when absent */
    const char *last_contact;
    const char *known_leader;
    const void *body;
    size_t len;
};

/*
 * Their bytes on the RPC. Decoded strings are heap copies (release them);
 * body points into the decoded bytes.
 */
struct buf;
void http_fwd_encode_req(const struct http_fwd_req *r, struct buf *out);
int http_fwd_decode_req(const void *data,
                        size_t len,
                        struct http_fwd_req *r,
                        struct err *err);
void http_fwd_req_release(struct http_fwd_req *r);
void http_fwd_encode_resp(const struct http_fwd_resp *r, struct buf *out);
int http_fwd_decode_resp(const void *data,
                         size_t len,
                         struct http_fwd_resp *r,
                         struct err *err);
void http_fwd_resp_release(struct http_fwd_resp *r);

typedef void (*http_fwd_done)(void *arg,
                              int rc,
                              const struct http_fwd_resp *resp,
                              const struct err *err);
typedef void (*http_fwd_fn)(void *ctx,
                            const struct http_fwd_req *r,
                            http_fwd_done done,
                            void *arg);

/*
 * The agent's gossip keyring, as the keyring endpoints reach it (the
 * composition root implements it over mesh/seal). Keys are base64 text.
 */
enum http_keyring_op {
    HTTP_KEYRING_INSTALL,
    HTTP_KEYRING_USE,
    HTTP_KEYRING_REMOVE,
};

struct http_keyring_ops
{
    /* Fills *keys (heap array of heap strings, primary first; the caller
     * frees both), *counts (how many members hold each; heap) and *n, and
     * *nodes with the number of members asked. */
    int (*list)(void *ctx,
                char ***keys,
                int **counts,
                size_t *n,
                int *nodes,
                struct err *err);
    /* Applies op to key and persists the keyring; errors name why. */
    int (*change)(void *ctx,
                  enum http_keyring_op op,
                  const char *key,
                  struct err *err);
};

/* The gossip mesh, as /v1/agent/members, join and force-leave reach it. */
struct http_mesh_ops
{
    /* Nomad's Members list (new reference). */
    json_t *(*members)(void *ctx);
    void (*join)(void *ctx,
                 const char *const *addrs,
                 size_t n,
                 void (*done)(void *arg, int joined, const char *error),
                 void *arg);
    int (*force_leave)(void *ctx, const char *name, struct err *err);
    /* /v1/agent/self's stats.serf: string values, as Nomad's (new ref). */
    json_t *(*stats)(void *ctx);
};

struct http_api_config
{
    const char *host; /* "127.0.0.1" */
    uint16_t port;    /* 4646; 0 picks one */
    const char *node_name;
    const char *version;
    struct client *client; /* answers /v1/client/...; NULL without one */
    const char *region;    /* for a client-only agent's /v1/agent/self */
    const char *datacenter;
    http_fwd_fn forward;   /* without a server: where other /v1/ go */
    void *forward_ctx;
    /* /v1/agent/keyring/...; NULL: those routes are not served. */
    const struct http_keyring_ops *keyring;
    void *keyring_ctx;
    /* The service catalogue /v1/service(s) read, and the watchers its
     * blocking queries wait on (NULL: no catalogue, empty answers). */
    const struct catalog *catalog;
    struct watch_hub *catalog_hub;
    /* The server's RPC "ip:port" for /v1/status/leader; NULL: the HTTP
     * address (a -dev agent has no RPC listener). */
    const char *leader_addr;
    /* /v1/agent/members, join, force-leave; NULL: not served. */
    const struct http_mesh_ops *mesh;
    void *mesh_ctx;
};

/*
 * srv may be NULL (a client-only agent): then only the agent's own routes
 * are served (agent health and self, client logs).
 */
int http_api_start(uv_loop_t *loop,
                   struct server *srv,
                   const struct http_api_config *cfg,
                   struct http_api **out,
                   struct err *err);
uint16_t http_api_port(const struct http_api *api);
/*
 * Runs r through this agent's own HTTP API (a server's), as a forwarded
 * request from a client agent; done gets the answer.
 */
void http_api_loopback(struct http_api *api,
                       const struct http_fwd_req *r,
                       http_fwd_done done,
                       void *arg);
void http_api_close(struct http_api *api, void (*cb)(void *arg), void *arg);

#endif
