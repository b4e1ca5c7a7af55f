/* `caravan agent` (see agent.h). */
#include "agent/agent.h"
#include "agent/agent_mesh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "agent/cli/flags.h"
#include "agent/client/client.h"
#include "agent/config.h"
#include "agent/http/api.h"
#include "agent/reload.h"
#include "agent/server/endpoints.h"
#include "agent/server/server.h"
#include "discovery/catalog.h"
#include "discovery/watch.h"
#include "agent/client/rpc_remote.h"
#include "mesh/rpc_uv.h"
#include "mesh/seal.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/time.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/buf.h"
#include "lib/model/alloc.h"

#define CARAVAN_VERSION "0.1.0"

struct agent
{
    uv_loop_t loop;
    uv_signal_t sigint, sigterm, sighup;
    struct agent_reload reload;
    struct server *server;
    struct client *client;
    struct http_api *http;
    struct rpc_server *rpc_server; /* -server: clients reach us here */
    struct endpoints *endpoints;
    struct rpc_client *rpc_client; /* client only: our servers */
    struct seal_keyring *keyring; /* gossip keys; in the data dir's file */
    struct agent_mesh *mesh;      /* every agent is a member */
    /* Without a client, the agent keeps its own replica of the catalogue. */
    struct catalog *own_catalog;
    struct watch_hub *own_hub;
    char **conf_servers;          /* -servers, kept beside the mesh's */
    size_t n_conf_servers;
    bool leave_on_interrupt, leave_on_terminate;
    char *data_dir;
    bool remove_data_dir;
    bool signals; /* the signal handles exist */
    int pending_closes;
    struct logger lg;
};

static const char usage[] =
    "Usage: caravan agent [options]\n"
    "\n"
    "  Starts the Caravan agent and runs until an interrupt is received.\n"
    "  The agent may be a client and/or server.\n"
    "\n"
    "General Options:\n"
    "\n"
    "  -config=<path>\n"
    "    The path to either a single config file or a directory of config\n"
    "    files (*.hcl, *.json) to use for configuring the agent. Repeatable.\n"
    "\n"
    "  -dev\n"
    "    Start the agent in development mode: a server with its data in a\n"
    "    temporary directory removed at exit, HTTP on 127.0.0.1.\n"
    "\n"
    "  -server\n"
    "    Enable server mode for the agent.\n"
    "\n"
    "  -client\n"
    "    Enable client mode for the agent.\n"
    "\n"
    "  -data-dir=<path>\n"
    "    The data directory used to store state and other persistent data.\n"
    "\n"
    "  -bind=<addr>\n"
    "    The address the agent will bind to for all of its various network\n"
    "    services. Defaults to 0.0.0.0 (127.0.0.1 in -dev).\n"
    "\n"
    "  -http-port=<port>\n"
    "    The port of the HTTP API. Defaults to 4646.\n"
    "\n"
    "  -region=<region>\n"
    "    The region the agent is in. Defaults to \"global\".\n"
    "\n"
    "  -dc=<datacenter>\n"
    "    The datacenter the agent is in. Defaults to \"dc1\".\n"
    "\n"
    "  -node=<name>\n"
    "    The name of the local agent. Defaults to the hostname.\n"
    "\n"
    "  -log-level=<level>\n"
    "    Specify the verbosity level of the agent's logs: trace, debug,\n"
    "    info, warn or error. Defaults to info (debug in -dev).\n"
    "\n"
    "  -log-json\n"
    "    Output logs in a JSON format.\n"
    "\n"
    "  -join=<address>\n"
    "    Address of an agent to join at start time (ip[:port], port 4648\n"
    "    by default). Can be specified multiple times.\n"
    "\n"
    "  -retry-join=<address>\n"
    "    Address of an agent to join at start time with retries enabled.\n"
    "    Can be specified multiple times.\n"
    "\n"
    "  -retry-interval=<duration>\n"
    "    Time to wait between join attempts (default 30s).\n"
    "\n"
    "  -retry-max=<num>\n"
    "    Maximum number of join attempts (default 0: forever).\n"
    "\n"
    "  -serf-port=<port>\n"
    "    The gossip mesh port (default 4648; 0: any free port).\n"
    "\n"
    "  -encrypt=<key>\n"
    "    The gossip encryption key (32 bytes in base64, as made by\n"
    "    'caravan operator gossip keyring -generate'). Used only when the\n"
    "    data directory has no keyring file yet; afterwards the file rules.\n";

static void closed_one(void *arg)
{
    struct agent *a = arg;

    a->pending_closes--;
    if (a->pending_closes == 0 && a->signals) {
        uv_close((uv_handle_t *)&a->sigint, NULL);
        uv_close((uv_handle_t *)&a->sigterm, NULL);
        uv_close((uv_handle_t *)&a->sighup, NULL);
    }
}

/* The client's calls end before the connection to its servers closes. */
static void client_closed(void *arg)
{
    struct agent *a = arg;

    if (a->rpc_client != NULL)
        rpc_client_close(a->rpc_client, closed_one, a);
    else
        closed_one(a);
}

static void shut_down_rest(struct agent *a);

static void mesh_gone(void *arg)
{
    struct agent *a = arg;

    a->mesh = NULL;
    shut_down_rest(a);
}

/*
 * The mesh goes first (with a leave when configured, so the others drop
 * our services at once), while the catalogue it feeds still exists.
 */
static void shut_down_leaving(struct agent *a, bool leave)
{
    if (a->mesh == NULL) {
        shut_down_rest(a);
        return;
    }
    a->pending_closes = 1; /* signals that arrive meanwhile are ignored */
    if (leave) {
        log_info(&a->lg, "leaving the mesh");
        agent_mesh_leave(a->mesh, 5000, mesh_gone, a);
    } else {
        agent_mesh_close(a->mesh, mesh_gone, a);
    }
}

static void shut_down(struct agent *a)
{
    shut_down_leaving(a, false);
}

/* Closes whatever runs; the loop ends once everything is closed. */
static void shut_down_rest(struct agent *a)
{
    a->pending_closes = (a->http != NULL) + (a->client != NULL) +
                        (a->server != NULL) + (a->rpc_server != NULL);
    if (a->pending_closes == 0 && a->rpc_client != NULL) {
        a->pending_closes = 1;
        rpc_client_close(a->rpc_client, closed_one, a);
        return;
    }
    if (a->http)
        http_api_close(a->http, closed_one, a);
    if (a->client)
        client_close(a->client, client_closed, a);
    /* No new requests reach a closing server. */
    if (a->rpc_server)
        rpc_server_close(a->rpc_server, closed_one, a);
    if (a->server)
        server_close(a->server, closed_one, a);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct agent *a = h->data;

    if (a->pending_closes > 0)
        return; /* already shutting down */
    printf("==> Caught signal: %s\n",
           signum == SIGINT ? "interrupt" : "terminated");
    printf("==> Gracefully shutting down agent...\n");
    fflush(stdout);
    shut_down_leaving(a, signum == SIGINT ? a->leave_on_interrupt
                                          : a->leave_on_terminate);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    struct agent *a = h->data;
    struct err err = ERR_INIT;

    (void)signum;
    if (a->pending_closes > 0)
        return;
    printf("==> Caught signal: hangup\n==> Reloading configuration...\n");
    fflush(stdout);
    agent_reload(&a->reload, &a->lg, &err);
}

static int remove_entry(const char *path,
                        const struct stat *st,
                        int type,
                        struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path) == 0 ? 0 : -1;
}

/* Removes the dev data directory, which only this agent wrote into. */
static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---------------------------------------------- in-process client RPC */

/*
 * In -dev the client's RPCs are answered by the server in this process:
 * the same calls a client agent makes over the network, minus the bytes.
 */
struct rpc_call
{
    struct agent *a;
    client_rpc_done done;
    client_rpc_hb_done hb_done;
    void *arg;
};

static void rpc_applied(void *arg, int rc, uint64_t index, const struct err *err)
{
    struct rpc_call *call = arg;

    (void)index;
    if (call->done)
        call->done(call->arg, rc, err);
    if (call->hb_done)
        call->hb_done(call->arg, rc,
                      server_heartbeat_ttl_ms(call->a->server), err);
    free(call);
}

static struct rpc_call *new_call(void *ctx,
                                 client_rpc_done done,
                                 client_rpc_hb_done hb_done,
                                 void *arg)
{
    struct rpc_call *call = xcalloc(1, sizeof(*call));

    call->a = ctx;
    call->done = done;
    call->hb_done = hb_done;
    call->arg = arg;
    return call;
}

static void rpc_node_register(void *ctx,
                              const struct node *n,
                              client_rpc_hb_done done,
                              void *arg)
{
    struct agent *a = ctx;

    server_node_register(a->server, n, rpc_applied,
                         new_call(ctx, NULL, done, arg));
}

static void rpc_node_heartbeat(void *ctx,
                               const char *node_id,
                               client_rpc_hb_done done,
                               void *arg)
{
    struct agent *a = ctx;

    server_node_heartbeat(a->server, node_id, rpc_applied,
                          new_call(ctx, NULL, done, arg));
}

static void rpc_alloc_update(void *ctx,
                             struct alloc *const *allocs,
                             size_t n,
                             client_rpc_done done,
                             void *arg)
{
    struct agent *a = ctx;

    server_alloc_update(a->server, allocs, n, rpc_applied,
                        new_call(ctx, done, NULL, arg));
}

static void rpc_node_allocs(void *ctx,
                            const char *node_id,
                            uint64_t index,
                            client_rpc_allocs done,
                            void *arg)
{
    struct agent *a = ctx;

    /* In process there is no connection to time out: wait as long as it
     * takes. */
    server_node_allocs(a->server, node_id, index, 0, &a->loop, done, arg);
}

/* ------------------------------------------------------ gossip keyring */

static int keyring_list(void *ctx,
                        char ***keys,
                        int **counts,
                        size_t *n,
                        int *nodes,
                        struct err *err)
{
    struct agent *a = ctx;
    size_t count = seal_keyring_count(a->keyring);

    (void)err;
    if (a->mesh != NULL) {
        *n = agent_mesh_keyring_list(a->mesh, keys, counts, nodes);
        return 0;
    }
    *keys = xcalloc(count ? count : 1, sizeof(char *));
    *counts = xcalloc(count ? count : 1, sizeof(int));
    for (size_t i = 0; i < count; i++) {
        (*keys)[i] = xmalloc(SEAL_KEY_B64_SIZE);
        seal_key_encode(seal_keyring_key(a->keyring, i), (*keys)[i]);
        (*counts)[i] = 1;
    }
    *n = count;
    *nodes = 1;
    return 0;
}

/* Changes the keyring and saves it, so the change outlives a restart. */
static int keyring_change(void *ctx,
                          enum http_keyring_op op,
                          const char *key,
                          struct err *err)
{
    struct agent *a = ctx;
    int rc;

    switch (op) {
    case HTTP_KEYRING_INSTALL:
        rc = seal_keyring_install_b64(a->keyring, key, err);
        break;
    case HTTP_KEYRING_USE:
        rc = seal_keyring_use_b64(a->keyring, key, err);
        break;
    case HTTP_KEYRING_REMOVE:
        rc = seal_keyring_remove_b64(a->keyring, key, err);
        break;
    default:
        return err_set(err, ERR_INVALID, "unknown keyring operation");
    }
    if (rc == 0)
        rc = seal_keyring_save(a->keyring, a->data_dir, err);
    /* Every other member does the same once it hears of it. */
    if (rc == 0 && a->mesh != NULL)
        agent_mesh_keyring_changed(a->mesh,
                                   op == HTTP_KEYRING_INSTALL ? "install"
                                   : op == HTTP_KEYRING_USE   ? "use"
                                                              : "remove",
                                   key);
    if (rc == 0)
        log_info(&a->lg, "gossip keyring: %s done, %zu key(s)",
                 op == HTTP_KEYRING_INSTALL ? "install"
                 : op == HTTP_KEYRING_USE   ? "use"
                                            : "remove",
                 seal_keyring_count(a->keyring));
    return rc;
}

static const struct http_keyring_ops keyring_ops = {keyring_list,
                                                    keyring_change};

/* ------------------------------------------- HTTP forwarded over RPC */

/*
 * A client-only agent's HTTP requests for the servers ride mesh/rpc as
 * HTTP.Forward: [method, url, token, content type, body] answered with
 * [status, content type, index, last contact, known leader, body].
 */
#define FORWARD_TIMEOUT_MS (6 * 60 * 1000) /* past a 5 min blocking query */

struct forward_call
{
    http_fwd_done done;
    void *arg;
};

static void forward_answered(void *arg,
                             int rc,
                             const void *body,
                             size_t len,
                             const char *errmsg)
{
    struct forward_call *fc = arg;
    struct http_fwd_resp resp;
    struct err err = ERR_INIT;

    memset(&resp, 0, sizeof(resp));
    if (rc != 0)
        err_set(&err, rc, "%s", errmsg ? errmsg : "forwarding failed");
    else
        rc = http_fwd_decode_resp(body, len, &resp, &err);
    fc->done(fc->arg, rc, rc == 0 ? &resp : NULL, &err);
    http_fwd_resp_release(&resp);
    free(fc);
}

static void forward_to_servers(void *ctx,
                               const struct http_fwd_req *r,
                               http_fwd_done done,
                               void *arg)
{
    struct agent *a = ctx;
    struct forward_call *fc = xcalloc(1, sizeof(*fc));
    struct buf b = BUF_INIT;

    fc->done = done;
    fc->arg = arg;
    http_fwd_encode_req(r, &b);
    rpc_client_call(a->rpc_client, "HTTP.Forward", b.data, b.len,
                    FORWARD_TIMEOUT_MS, forward_answered, fc);
    buf_release(&b);
}

static void forward_done(void *arg,
                         int rc,
                         const struct http_fwd_resp *resp,
                         const struct err *err)
{
    struct rpc_call *call = arg;
    struct buf b = BUF_INIT;

    if (rc != 0) {
        rpc_reply_error(call, err);
        return;
    }
    http_fwd_encode_resp(resp, &b);
    rpc_reply(call, 0, b.data, b.len);
    buf_release(&b);
}

static void serve_forward(struct rpc_call *call,
                          const void *body,
                          size_t len,
                          void *arg)
{
    struct agent *a = arg;
    struct http_fwd_req r;
    struct err err = ERR_INIT;

    if (a->http == NULL) {
        err_set(&err, ERR_STATE, "the HTTP API is not up yet");
        rpc_reply_error(call, &err);
        return;
    }
    if (http_fwd_decode_req(body, len, &r, &err) != 0) {
        rpc_reply_error(call, &err);
        return;
    }
    http_api_loopback(a->http, &r, forward_done, call);
    http_fwd_req_release(&r);
}

/* ------------------------------------------------------------ mesh */

/* The mesh's servers of our region, beside the -servers given. */
static void servers_from_mesh(void *arg, const char *const *addrs, size_t n)
{
    struct agent *a = arg;
    const char **list;
    size_t k = 0;
    struct err err = ERR_INIT;

    if (a->rpc_client == NULL)
        return;
    list = xcalloc(n + a->n_conf_servers + 1, sizeof(*list));
    for (size_t i = 0; i < n; i++)
        list[k++] = addrs[i];
    for (size_t i = 0; i < a->n_conf_servers; i++) {
        bool have = false;

        for (size_t j = 0; j < k && !have; j++)
            have = strcmp(list[j], a->conf_servers[i]) == 0;
        if (!have)
            list[k++] = a->conf_servers[i];
    }
    log_info(&a->lg, "servers: %zu from the mesh, %zu in all", n, k);
    if (k > 0 && rpc_client_set_servers(a->rpc_client, list, k, &err) != 0)
        log_warn(&a->lg, "servers from the mesh: %s", err.msg);
    free(list);
}

static void services_to_mesh(void *arg, const struct catalog_node_set *set)
{
    struct agent *a = arg;

    if (a->mesh != NULL)
        agent_mesh_publish_services(a->mesh, set);
}

static json_t *mesh_members(void *ctx)
{
    struct agent *a = ctx;

    return a->mesh ? agent_mesh_members(a->mesh) : json_array();
}

static void mesh_join(void *ctx,
                      const char *const *addrs,
                      size_t n,
                      void (*done)(void *arg, int joined, const char *error),
                      void *arg)
{
    struct agent *a = ctx;

    if (a->mesh == NULL) {
        done(arg, 0, "the agent is not in a mesh");
        return;
    }
    agent_mesh_join(a->mesh, addrs, n, done, arg);
}

static int mesh_force_leave(void *ctx, const char *name, struct err *err)
{
    struct agent *a = ctx;

    if (a->mesh == NULL)
        return err_set(err, ERR_STATE, "the agent is not in a mesh");
    return agent_mesh_force_leave(a->mesh, name, err);
}

static json_t *mesh_stats(void *ctx)
{
    struct agent *a = ctx;

    return a->mesh ? agent_mesh_stats(a->mesh) : json_object();
}

static const struct http_mesh_ops mesh_ops = {mesh_members, mesh_join,
                                              mesh_force_leave, mesh_stats};

/* Fills in the timings: the profile, then each knob the config gives. */
static void gossip_config(const struct agent_config *cfg, bool dev,
                          struct swim_config *sc)
{
    const struct agent_gossip_config *g = &cfg->gossip;
    const char *p = g->profile ? g->profile : dev ? "local" : "lan";

    swim_config_default(sc, strcmp(p, "wan") == 0     ? SWIM_PROFILE_WAN
                            : strcmp(p, "local") == 0 ? SWIM_PROFILE_LOCAL
                                                      : SWIM_PROFILE_LAN);
    if (g->probe_interval_ns)
        sc->probe_interval_ms = (uint64_t)(g->probe_interval_ns / 1000000);
    if (g->probe_timeout_ns)
        sc->probe_timeout_ms = (uint64_t)(g->probe_timeout_ns / 1000000);
    if (g->gossip_interval_ns)
        sc->gossip_interval_ms = (uint64_t)(g->gossip_interval_ns / 1000000);
    if (g->push_pull_interval_ns)
        sc->push_pull_interval_ms =
            (uint64_t)(g->push_pull_interval_ns / 1000000);
    if (g->reconnect_interval_ns)
        sc->reconnect_interval_ms =
            (uint64_t)(g->reconnect_interval_ns / 1000000);
    if (g->reap_ns)
        sc->reap_ms = (uint64_t)(g->reap_ns / 1000000);
    if (g->reclaim_ns)
        sc->reclaim_ms = (uint64_t)(g->reclaim_ns / 1000000);
    if (g->gossip_nodes)
        sc->gossip_nodes = (uint32_t)g->gossip_nodes;
    if (g->suspicion_mult)
        sc->suspicion_mult = (uint32_t)g->suspicion_mult;
    if (g->suspicion_max_mult)
        sc->suspicion_max_mult = (uint32_t)g->suspicion_max_mult;
    if (g->retransmit_mult)
        sc->retransmit_mult = (uint32_t)g->retransmit_mult;
    if (g->indirect_checks)
        sc->indirect_checks = (uint32_t)g->indirect_checks;
}

/* "host" or "host:port" -> "ip:port", resolving a name once. */
static char *join_addr(const char *s)
{
    char host[256], *colon;
    const char *port = "4648";
    struct addrinfo hints, *res = NULL;
    char ip[INET6_ADDRSTRLEN];
    char *out;

    snprintf(host, sizeof(host), "%s", s);
    colon = strrchr(host, ':');
    if (colon != NULL && strchr(host, ']') == NULL &&
        strchr(host, ':') == colon) {
        *colon = '\0';
        port = colon + 1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
        return xstrdup(s); /* the core reports it as unreachable */
    inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip,
              sizeof(ip));
    freeaddrinfo(res);
    out = xasprintf("%s:%s", ip, port);
    return out;
}

static char **join_addrs(char *const *given, int n)
{
    char **v = xcalloc((size_t)n + 1, sizeof(*v));

    for (int i = 0; i < n; i++)
        v[i] = join_addr(given[i]);
    return v;
}

static void free_addrs(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int start_mesh(struct agent *a,
                      const struct agent_config *cfg,
                      const char *node,
                      const char *bind,
                      const char *region,
                      const char *dc,
                      bool dev,
                      uint16_t port,
                      struct err *err)
{
    struct agent_mesh_config mc;
    char *name, *rpc_addr = NULL, **join, **retry;
    const char *adv = strcmp(bind, "0.0.0.0") == 0 ? "127.0.0.1" : bind;
    int rc;

    memset(&mc, 0, sizeof(mc));
    /* Server members are <node>.<region>, as Nomad's Serf names them. */
    name = a->server ? xasprintf("%s.%s", node, region) : xstrdup(node);
    if (a->rpc_server != NULL)
        rpc_addr = xasprintf("%s:%u", adv, rpc_server_port(a->rpc_server));
    join = join_addrs(cfg->start_join, cfg->nstart_join);
    retry = join_addrs(cfg->retry_join, cfg->nretry_join);
    mc.name = name;
    mc.bind_ip = bind;
    mc.port = port;
    mc.advertise_ip = cfg->advertise_serf;
    gossip_config(cfg, dev, &mc.swim);
    mc.keyring = a->keyring;
    mc.data_dir = a->data_dir;
    mc.server = a->server != NULL;
    mc.region = region;
    mc.datacenter = dc;
    mc.build = CARAVAN_VERSION;
    mc.node_id = a->client ? client_node_id(a->client) : NULL;
    mc.rpc_addr = rpc_addr;
    mc.join = (const char *const *)join;
    mc.n_join = (size_t)cfg->nstart_join;
    mc.retry_join = (const char *const *)retry;
    mc.n_retry_join = (size_t)cfg->nretry_join;
    mc.retry_interval_ms = (uint64_t)(cfg->retry_interval_ns / 1000000);
    mc.retry_max = cfg->retry_max > 0 ? cfg->retry_max : 0;
    mc.catalog = a->client ? client_catalog_rw(a->client) : a->own_catalog;
    mc.hub = a->client ? client_catalog_watch(a->client) : a->own_hub;
    mc.servers_changed = servers_from_mesh;
    mc.arg = a;
    rc = agent_mesh_start(&a->loop, &mc, &a->mesh, err);
    free_addrs(join, cfg->nstart_join);
    free_addrs(retry, cfg->nretry_join);
    free(rpc_addr);
    free(name);
    if (rc == 0 && a->client != NULL)
        client_on_services(a->client, services_to_mesh, a);
    return rc;
}

int agent_main(int argc, char **argv)
{
    bool dev = false, server = false, client = false, log_json = false;
    const char *data_dir = NULL, *bind = NULL, *region = NULL, *dc = NULL,
               *node = NULL, *log_level = NULL, *flag_log_level,
               *encrypt = NULL, *retry_interval = NULL;
    int64_t http_port = -1, rpc_port = -1, serf_port = -1, retry_max = -1;
    struct flag_list config_paths = {NULL, 0}, servers = {NULL, 0},
                     join = {NULL, 0}, retry_join = {NULL, 0};
    struct agent_config cfg;
    struct flag flags[] = {
        {"config", FLAG_STRLIST, &config_paths, "config file or directory"},
        {"dev", FLAG_BOOL, &dev, "development mode"},
        {"server", FLAG_BOOL, &server, "server mode"},
        {"client", FLAG_BOOL, &client, "client mode"},
        {"data-dir", FLAG_STRING, &data_dir, "data directory"},
        {"bind", FLAG_STRING, &bind, "bind address"},
        {"http-port", FLAG_INT, &http_port, "HTTP port"},
        {"region", FLAG_STRING, &region, "region"},
        {"dc", FLAG_STRING, &dc, "datacenter"},
        {"node", FLAG_STRING, &node, "node name"},
        {"log-level", FLAG_STRING, &log_level, "log level"},
        {"log-json", FLAG_BOOL, &log_json, "JSON logs"},
        {"servers", FLAG_STRLIST, &servers, "server addresses (client)"},
        {"rpc-port", FLAG_INT, &rpc_port, "RPC port"},
        {"encrypt", FLAG_STRING, &encrypt, "gossip encryption key"},
        {"join", FLAG_STRLIST, &join, "agent to join"},
        {"retry-join", FLAG_STRLIST, &retry_join, "agent to join, retried"},
        {"retry-interval", FLAG_STRING, &retry_interval, "join retry interval"},
        {"retry-max", FLAG_INT, &retry_max, "join attempts"},
        {"serf-port", FLAG_INT, &serf_port, "gossip port"},
    };
    struct agent a;
    struct server_config scfg;
    struct http_api_config hcfg;
    struct err err = ERR_INIT;
    enum log_level level;
    char host[256], leader[128];
    int first, rc;

    memset(&a, 0, sizeof(a));
    rc = flags_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                     &first, &err);
    if (rc == FLAGS_HELP) {
        fputs(usage, stdout);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "%s\n\n%s", err.msg, usage);
        return 1;
    }
    if (first < argc) {
        fprintf(stderr, "This command takes no arguments\n\n%s", usage);
        flag_list_release(&config_paths);
        return 1;
    }
    /* Files first; flags given on the command line win over them. */
    agent_config_init(&cfg);
    for (size_t i = 0; i < config_paths.n; i++) {
        if (agent_config_load(&cfg, config_paths.items[i], &err) != 0) {
            fprintf(stderr, "==> Error loading configuration from %s: %s\n",
                    config_paths.items[i], err.msg);
            flag_list_release(&config_paths);
            agent_config_release(&cfg);
            return 1;
        }
    }
    flag_list_release(&config_paths);
    if (data_dir == NULL)
        data_dir = cfg.data_dir;
    if (bind == NULL)
        bind = cfg.bind_addr;
    if (region == NULL)
        region = cfg.region ? cfg.region : "global";
    if (dc == NULL)
        dc = cfg.datacenter ? cfg.datacenter : "dc1";
    if (node == NULL)
        node = cfg.name;
    flag_log_level = log_level;
    if (log_level == NULL)
        log_level = cfg.log_level;
    if (!log_json && cfg.log_json == 1)
        log_json = true;
    if (!server && cfg.server_enabled == 1)
        server = true;
    if (!client && cfg.client_enabled == 1)
        client = true;
    if (http_port < 0)
        http_port = cfg.http_port > 0 ? cfg.http_port : 4646;
    if (!dev && !server && !client) {
        fprintf(stderr, "Must specify either server, client or dev mode for "
                        "the agent.\n");
        agent_config_release(&cfg);
        return 1;
    }
    /* -servers a,b and repeated -servers both add addresses. */
    for (size_t i = 0; i < servers.n; i++) {
        char *list = xstrdup(servers.items[i]), *save = NULL;

        for (char *t = strtok_r(list, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            cfg.servers = xrealloc(cfg.servers, (size_t)(cfg.nservers + 1) *
                                                    sizeof(char *));
            cfg.servers[cfg.nservers++] = xstrdup(t);
        }
        free(list);
    }
    flag_list_release(&servers);
    /* -join and -retry-join add to what the files say. */
    for (size_t i = 0; i < join.n; i++) {
        cfg.start_join = xrealloc(cfg.start_join, (size_t)(cfg.nstart_join + 1) *
                                                      sizeof(char *));
        cfg.start_join[cfg.nstart_join++] = xstrdup(join.items[i]);
    }
    for (size_t i = 0; i < retry_join.n; i++) {
        cfg.retry_join = xrealloc(cfg.retry_join, (size_t)(cfg.nretry_join + 1) *
                                                      sizeof(char *));
        cfg.retry_join[cfg.nretry_join++] = xstrdup(retry_join.items[i]);
    }
    flag_list_release(&join);
    flag_list_release(&retry_join);
    if (retry_interval != NULL) {
        int64_t ns;

        if (duration_parse(retry_interval, &ns, &err) != 0 || ns <= 0) {
            fprintf(stderr, "Invalid -retry-interval \"%s\": want a duration "
                            "such as 30s\n",
                    retry_interval);
            agent_config_release(&cfg);
            return 1;
        }
        cfg.retry_interval_ns = ns;
    }
    if (retry_max >= 0)
        cfg.retry_max = (int)retry_max;
    if (serf_port > 65535) {
        fprintf(stderr, "Invalid -serf-port %lld: must be 0..65535\n",
                (long long)serf_port);
        agent_config_release(&cfg);
        return 1;
    }
    if (serf_port < 0)
        serf_port = cfg.serf_port > 0 ? cfg.serf_port : dev ? 0 : 4648;
    a.leave_on_interrupt = cfg.leave_on_interrupt == 1;
    a.leave_on_terminate = cfg.leave_on_terminate == 1;
    if (rpc_port < 0)
        rpc_port = cfg.rpc_port > 0 ? cfg.rpc_port : 4647;
    if (client && !dev && !server && cfg.nservers == 0 &&
        cfg.nstart_join == 0 && cfg.nretry_join == 0) {
        fprintf(stderr, "A client-only agent needs its servers: -servers "
                        "host:port[,...], client { servers = [...] }, or an "
                        "agent to join (-join, -retry-join) that knows "
                        "them\n");
        agent_config_release(&cfg);
        return 1;
    }
    if (rpc_port < 0 || rpc_port > 65535) {
        fprintf(stderr, "Invalid -rpc-port %lld: must be 0..65535\n",
                (long long)rpc_port);
        agent_config_release(&cfg);
        return 1;
    }
    if (!dev && data_dir == NULL) {
        fprintf(stderr, "Must specify \"data_dir\" config option or "
                        "\"data-dir\" CLI flag\n");
        agent_config_release(&cfg);
        return 1;
    }
    if (data_dir != NULL && data_dir[0] != '/') {
        fprintf(stderr, "data_dir must be an absolute path: %s\n", data_dir);
        agent_config_release(&cfg);
        return 1;
    }
    if (strcmp(dc, "*") == 0 || dc[0] == '\0') {
        fprintf(stderr, "Invalid datacenter name \"%s\"\n", dc);
        agent_config_release(&cfg);
        return 1;
    }
    if (http_port < 0 || http_port > 65535) {
        fprintf(stderr, "Invalid -http-port %lld: must be 0..65535\n",
                (long long)http_port);
        agent_config_release(&cfg);
        return 1;
    }
    if (log_level == NULL)
        log_level = dev ? "debug" : "info";
    if (log_level_parse(log_level, &level) != 0) {
        fprintf(stderr, "Invalid log level: %s\n", log_level);
        agent_config_release(&cfg);
        return 1;
    }
    log_set_level(level);
    log_set_json(log_json);
    if (node == NULL) {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "caravan");
        host[sizeof(host) - 1] = '\0';
        node = host;
    }
    if (dev && data_dir == NULL) {
        char tmpl[] = "/tmp/caravan-dev-XXXXXX";

        if (mkdtemp(tmpl) == NULL) {
            fprintf(stderr, "Cannot create a temporary data directory: %s\n",
                    strerror(errno));
            agent_config_release(&cfg);
        return 1;
        }
        a.data_dir = xstrdup(tmpl);
        a.remove_data_dir = true;
    } else {
        a.data_dir = xstrdup(data_dir);
    }
    if (bind == NULL)
        bind = dev ? "127.0.0.1" : "0.0.0.0";

    logger_init(&a.lg, "agent", NULL);
    if (encrypt == NULL)
        encrypt = cfg.encrypt;
    {
        bool created = false;

        /* The keyring file is the first thing the agent writes there. */
        if (mkdir(a.data_dir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "==> Error starting agent: data dir %s: %s\n",
                    a.data_dir, strerror(errno));
            free(a.data_dir);
            agent_config_release(&cfg);
            return 1;
        }
        rc = seal_keyring_open_dir(a.data_dir, encrypt, &a.keyring, &created,
                                   &err);
        if (rc != 0) {
            fprintf(stderr, "==> Error starting agent: gossip keyring: %s\n",
                    err.msg);
            if (a.remove_data_dir)
                remove_tree(a.data_dir);
            free(a.data_dir);
            agent_config_release(&cfg);
            return 1;
        }
        if (!created && encrypt != NULL)
            log_warn(&a.lg, "the data directory's keyring file is used; "
                            "-encrypt is ignored once the file exists");
    }
    uv_loop_init(&a.loop);
    if (cfg.nloaded == 0)
        printf("==> No configuration files loaded\n");
    for (int i = 0; i < cfg.nloaded; i++)
        printf("==> Loaded configuration from %s\n", cfg.loaded[i]);
    printf("==> Starting Caravan agent...\n");
    fflush(stdout);

    memset(&scfg, 0, sizeof(scfg));
    scfg.data_dir = a.data_dir;
    scfg.region = region;
    scfg.datacenter = dc;
    scfg.dev = dev;
    scfg.job_gc_interval_ms = (uint64_t)(cfg.job_gc_interval_ns / 1000000);
    scfg.job_gc_threshold_ns = cfg.job_gc_threshold_ns;
    scfg.eval_gc_threshold_ns = cfg.eval_gc_threshold_ns;
    scfg.batch_eval_gc_threshold_ns = cfg.batch_eval_gc_threshold_ns;
    scfg.deployment_gc_threshold_ns = cfg.deployment_gc_threshold_ns;
    scfg.node_gc_threshold_ns = cfg.node_gc_threshold_ns;
    /* Nomad's TTL for a small cluster: min_heartbeat_ttl + grace. */
    if (cfg.min_heartbeat_ttl_ns > 0 || cfg.heartbeat_grace_ns > 0)
        scfg.heartbeat_ttl_ms = (uint64_t)(
            ((cfg.min_heartbeat_ttl_ns > 0 ? cfg.min_heartbeat_ttl_ns
                                           : 10000000000LL) +
             (cfg.heartbeat_grace_ns > 0 ? cfg.heartbeat_grace_ns
                                         : 10000000000LL)) /
            1000000);
    if (dev || server) {
        rc = server_new(&a.loop, &scfg, &a.server, &err);
        if (rc != 0) {
            fprintf(stderr, "==> Error starting agent: server: %s\n",
                    err.msg);
            goto out;
        }
    }
    /* A -dev agent's client is in process; servers also serve the
     * network, where client agents reach them. */
    if (a.server != NULL && (!dev || cfg.rpc_port > 0)) {
        rc = rpc_server_start(&a.loop, bind, (uint16_t)rpc_port,
                              &a.rpc_server, &err);
        if (rc != 0) {
            fprintf(stderr, "==> Error starting agent: RPC: %s\n", err.msg);
            goto fail;
        }
        a.endpoints = server_endpoints_register(a.server, &a.loop,
                                                a.rpc_server);
        rpc_server_handle(a.rpc_server, "HTTP.Forward", serve_forward, &a);
    }
    if (dev || client) {
        struct client_config ccfg;
        struct client_rpc rpc = {&a, rpc_node_register, rpc_node_heartbeat,
                                 rpc_node_allocs, rpc_alloc_update};

        if (a.server == NULL) {
            a.conf_servers = cfg.servers;
            a.n_conf_servers = (size_t)cfg.nservers;
            rc = rpc_client_new(&a.loop, (const char *const *)cfg.servers,
                                (size_t)cfg.nservers, &a.rpc_client, &err);
            if (rc != 0) {
                fprintf(stderr, "==> Error starting agent: %s\n", err.msg);
                goto fail;
            }
            client_rpc_remote(a.rpc_client, &rpc);
        }
        memset(&ccfg, 0, sizeof(ccfg));
        ccfg.data_dir = a.data_dir;
        ccfg.node_name = node;
        ccfg.datacenter = dc;
        ccfg.region = region;
        ccfg.bind_ip = strcmp(bind, "0.0.0.0") == 0 ? "127.0.0.1" : bind;
        ccfg.dev = dev;
        ccfg.raw_exec = dev || cfg.raw_exec_enabled == 1;
        rc = client_new(&a.loop, &ccfg, &rpc, &a.client, &err);
        if (rc != 0) {
            fprintf(stderr, "==> Error starting agent: client: %s\n",
                    err.msg);
            goto fail;
        }
    }
    memset(&hcfg, 0, sizeof(hcfg));
    hcfg.host = bind;
    hcfg.port = (uint16_t)http_port;
    hcfg.node_name = node;
    hcfg.version = CARAVAN_VERSION;
    hcfg.client = a.client;
    hcfg.region = region;
    hcfg.datacenter = dc;
    hcfg.keyring = &keyring_ops;
    hcfg.keyring_ctx = &a;
    if (a.rpc_client != NULL) {
        hcfg.forward = forward_to_servers;
        hcfg.forward_ctx = &a;
    }
    hcfg.mesh = &mesh_ops;
    hcfg.mesh_ctx = &a;
    if (a.client == NULL) {
        a.own_catalog = catalog_new(60000);
        a.own_hub = watch_hub_new(a.own_catalog);
    }
    hcfg.catalog = a.client ? client_catalog(a.client) : a.own_catalog;
    hcfg.catalog_hub = a.client ? client_catalog_watch(a.client) : a.own_hub;
    if (a.rpc_server != NULL) {
        snprintf(leader, sizeof(leader), "%s:%u",
                 strcmp(bind, "0.0.0.0") == 0 ? "127.0.0.1" : bind,
                 rpc_server_port(a.rpc_server));
        hcfg.leader_addr = leader;
    }
    rc = http_api_start(&a.loop, a.server, &hcfg, &a.http, &err);
    if (rc != 0) {
        fprintf(stderr, "==> Error starting agent: HTTP: %s\n", err.msg);
        goto fail;
    }
    rc = start_mesh(&a, &cfg, node, bind, region, dc, dev,
                    (uint16_t)serf_port, &err);
    if (rc != 0) {
        fprintf(stderr, "==> Error starting agent: gossip: %s\n", err.msg);
        goto fail;
    }
    printf("==> Caravan agent configuration:\n\n");
    if (a.rpc_server != NULL) {
        printf("       Advertise Addrs: HTTP: %s:%u; RPC: %s:%u\n", bind,
               http_api_port(a.http), bind, rpc_server_port(a.rpc_server));
        printf("            Bind Addrs: HTTP: [%s:%u]; RPC: %s:%u\n", bind,
               http_api_port(a.http), bind, rpc_server_port(a.rpc_server));
    } else {
        printf("       Advertise Addrs: HTTP: %s:%u\n", bind,
               http_api_port(a.http));
        printf("            Bind Addrs: HTTP: [%s:%u]\n", bind,
               http_api_port(a.http));
    }
    printf("                Client: %s\n", a.client ? "true" : "false");
    printf("             Log Level: %s\n", log_level_name(level));
    if (a.client)
        printf("               Node Id: %s\n", client_node_id(a.client));
    printf("                Region: %s (DC: %s)\n", region, dc);
    printf("                Server: %s\n", a.server ? "true" : "false");
    if (a.rpc_client != NULL) {
        printf("               Servers: ");
        for (int i = 0; i < cfg.nservers; i++)
            printf("%s%s", i ? ", " : "", cfg.servers[i]);
        printf("\n");
    }
    printf("               Version: %s\n\n", CARAVAN_VERSION);
    printf("==> Caravan agent started! Log data will stream in below:\n\n");
    fflush(stdout);
    log_info(&a.lg, "agent started: data dir %s%s", a.data_dir,
             dev ? " (removed at exit)" : "");
    log_info(&a.lg, "gossip encryption: %s (%zu key(s) in the keyring)",
             seal_keyring_is_enabled(a.keyring) ? "on" : "off",
             seal_keyring_count(a.keyring));

    uv_signal_init(&a.loop, &a.sigint);
    uv_signal_init(&a.loop, &a.sigterm);
    a.signals = true;
    a.sigint.data = a.sigterm.data = &a;
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    a.reload = (struct agent_reload){
        .flag_log_level = flag_log_level, .dev = dev, .running = &cfg};
    uv_signal_init(&a.loop, &a.sighup);
    a.sighup.data = &a;
    uv_signal_start(&a.sighup, on_sighup, SIGHUP);
    uv_run(&a.loop, UV_RUN_DEFAULT);
    rc = 0;
    goto out;
fail:
    /* What started is closed again before the loop ends. */
    shut_down(&a);
    uv_run(&a.loop, UV_RUN_DEFAULT);
    rc = 1;
out:
    if (a.endpoints != NULL)
        server_endpoints_free(a.endpoints);
    uv_loop_close(&a.loop);
    if (a.remove_data_dir)
        remove_tree(a.data_dir);
    seal_keyring_free(a.keyring);
    watch_hub_free(a.own_hub);
    catalog_free(a.own_catalog);
    free(a.data_dir);
    agent_config_release(&cfg);
    return rc == 0 ? 0 : 1;
}
