/*
 * What the endpoint files of the HTTP API share: the api itself, the
 * blocking-query glue and the write glue. A new group of routes goes in
 * its own endpoints_*.c with a registration function called from
 * http_api_start().
 */
#ifndef CARAVAN_AGENT_HTTP_API_INT_H
#define CARAVAN_AGENT_HTTP_API_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "agent/http/api.h"
#include "agent/http/httpd.h"

struct client;
struct err;
struct server;
struct server_register_result;
struct state_snap;

struct http_api
{
    uv_loop_t *loop;
    struct server *srv;
    struct client *client;
    struct httpd *httpd;
    char *node_name;
    char *version;
    char *region;
    char *datacenter;
    char *host; /* where our listener is, for loopback requests */
    http_fwd_fn forward;
    void *forward_ctx;
    const struct http_keyring_ops *keyring;
    void *keyring_ctx;
    const struct http_mesh_ops *mesh;
    void *mesh_ctx;
    char *leader_addr;
    const struct catalog *catalog;
    struct watch_hub *catalog_hub;
    void (*close_cb)(void *arg);
    void *close_arg;
};

/* ------------------------------------------------- blocking query glue */

/*
 * A read builds its answer from a snapshot and says which index it is
 * at; the glue answers at once, or parks the request until one of the
 * tables changes past ?index= or ?wait= runs out, then builds it again.
 */
typedef json_t *(*build_fn)(struct http_api *api,
                            struct httpd_req *req,
                            struct state_snap *snap,
                            struct err *err);

void api_answer(struct http_api *api,
                struct httpd_req *req,
                build_fn build,
                unsigned tables);
/* Answers at once or, with ?index=, when one of tables moves past it. */
void api_serve_read(struct http_api *api,
                    struct httpd_req *req,
                    build_fn build,
                    unsigned tables);

json_t *api_str_or_empty(const char *s);
bool api_has_prefix(const char *s, const char *prefix);
bool api_ns_match(struct httpd_req *req, const char *ns);

/* A write waiting for the server; gone once the client hung up. */
struct write_ctx
{
    struct httpd_req *req;
    bool gone;
};
void api_write_aborted(struct httpd_req *req, void *arg);
/* Answers a write (arg: a write_ctx it frees) as POST /v1/jobs does. */
void api_register_done(void *arg,
                       int rc,
                       const struct server_register_result *res,
                       const struct err *err);

/*
 * GET of one record by :id: read it from a snapshot into its JSON, or
 * Nomad's "<what> not found".
 */
#define ONE_RECORD(name, type, prefix, table, what)                            \
    static json_t *build_##name(struct http_api *api, struct httpd_req *req,   \
                                struct state_snap *snap, struct err *err)      \
    {                                                                          \
        struct type x;                                                         \
        json_t *j = NULL;                                                      \
                                                                               \
        (void)api;                                                             \
        prefix##_init(&x);                                                     \
        if (server_read_##prefix(snap, httpd_req_param(req, "id"), &x, err) == \
            0)                                                                 \
            j = prefix##_to_json(&x);                                          \
        else if (err->code == ERR_NOT_FOUND)                                   \
            err_set(err, ERR_NOT_FOUND, what " not found");                    \
        prefix##_release(&x);                                                  \
        return j;                                                              \
    }                                                                          \
    static void get_##name(struct httpd_req *req, void *arg)                   \
    {                                                                          \
        api_serve_read(arg, req, build_##name, table);                         \
    }

/* Nomad's AllocListStub of a. */
struct alloc;
json_t *api_alloc_stub(const struct alloc *a);

/* Route groups kept in their own files. */
int api_routes_add(struct http_api *api,
                   const char *spec,
                   httpd_handler_cb fn,
                   struct err *err);
/* Node eligibility and drain, system GC (endpoints_node.c). */
int api_node_routes(struct http_api *api, struct err *err);

int api_routes_periodic(struct http_api *api, struct err *err);
int api_routes_services(struct http_api *api, struct err *err);
int api_members_routes_add(struct http_api *api, struct err *err);
/* Passes req on through api->forward (a client-only agent's servers). */
void api_forward(struct http_api *api, struct httpd_req *req);

/* /v1/agent/keyring/list|install|use|remove (endpoints_keyring.c). */
int api_keyring_routes_add(struct http_api *api, struct err *err);

/* ---------------------------------------------- endpoints_client.c */

/* GET /v1/client/allocation/:alloc/stats. */
int api_client_routes_add(struct http_api *api, struct err *err);

#endif
