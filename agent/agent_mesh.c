/* The agent's mesh member (agent_mesh.h). */
#include "agent/agent_mesh.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/catalog.h"
#include "discovery/watch.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/time.h"
#include "mesh/mesh.h"
#include "mesh/net.h"
#include "mesh/seal.h"

#define REC_SERVICES "svc"
#define REC_KEYS "keys"
#define REC_KEYOP "keyop"
#define KEYOP_FRESH_MS 60000

struct pending_join
{
    struct pending_join *next;
    char **addrs;
    size_t n, answered;
    int joined;
    struct buf errors;
    void (*done)(void *arg, int joined, const char *error);
    void *arg;
};

struct agent_mesh
{
    uv_loop_t *loop;
    struct mesh *mesh;
    struct logger lg;
    struct seal_keyring *keyring;
    char *data_dir;
    char *region;
    struct catalog *catalog;
    struct watch_hub *hub;
    void (*servers_changed)(void *arg, const char *const *addrs, size_t n);
    void *arg;
    struct map node_of;     /* member name -> catalogue node ID (heap) */
    struct map keyop_seen;  /* member name -> last keyop version applied */
    char **servers;         /* last list handed out */
    size_t n_servers;
    struct pending_join *joins;
    /* retry_join */
    char **retry;
    size_t n_retry;
    uint64_t retry_interval_ms;
    int retry_max, retry_attempts;
    bool retry_done;
    size_t retry_answered;
    uv_timer_t retry_timer;
    bool closing;
    void (*cb)(void *arg);
    void *cb_arg;
};

static struct swim *core(struct agent_mesh *am)
{
    return mesh_swim(am->mesh);
}

/* ------------------------------------------------------------ servers */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The alive servers of our region, by their rpc_addr tag. */
static void update_servers(struct agent_mesh *am)
{
    struct swim *s = core(am);
    size_t n = swim_member_count(s), k = 0;
    char **list = xcalloc(n + 1, sizeof(*list));
    bool same;

    for (size_t i = 0; i < n; i++) {
        struct swim_member_info mi;
        char role[32], region[128], rpc[128];

        swim_member_at(s, i, &mi);
        if (mi.state != SWIM_MEMBER_ALIVE && mi.state != SWIM_MEMBER_SUSPECT)
            continue;
        if (!swim_tags_get(mi.tags, mi.tags_len, "role", role, sizeof(role)) ||
            strcmp(role, "nomad") != 0 ||
            !swim_tags_get(mi.tags, mi.tags_len, "region", region,
                           sizeof(region)) ||
            strcmp(region, am->region) != 0 ||
            !swim_tags_get(mi.tags, mi.tags_len, "rpc_addr", rpc, sizeof(rpc)))
            continue;
        list[k++] = xstrdup(rpc);
    }
    qsort(list, k, sizeof(*list), cmp_str);
    same = k == am->n_servers;
    for (size_t i = 0; same && i < k; i++)
        same = strcmp(list[i], am->servers[i]) == 0;
    if (same) {
        for (size_t i = 0; i < k; i++)
            free(list[i]);
        free(list);
        return;
    }
    for (size_t i = 0; i < am->n_servers; i++)
        free(am->servers[i]);
    free(am->servers);
    am->servers = list;
    am->n_servers = k;
    if (am->servers_changed != NULL)
        am->servers_changed(am->arg, (const char *const *)list, k);
}

/* ------------------------------------------------------------ services */

static void forget_services(struct agent_mesh *am, const char *member)
{
    const char *node = map_get(&am->node_of, member);

    if (node == NULL || am->catalog == NULL)
        return;
    catalog_forget(am->catalog, node, time_wall_unix_ms());
    free(map_del(&am->node_of, member));
    watch_hub_run(am->hub);
}

static void apply_services(struct agent_mesh *am,
                           const char *member,
                           const struct swim_record *r)
{
    struct catalog_node_set set;
    struct err err = ERR_INIT;

    if (am->catalog == NULL)
        return;
    if (r->value == NULL) {
        forget_services(am, member);
        return;
    }
    if (catalog_node_set_decode(r->value, r->len, &set, &err) != 0) {
        log_warn(&am->lg, "member %s: unreadable service set: %s", member,
                 err.msg);
        return;
    }
    /* The record's version orders a member's sets, across its restarts. */
    set.version = r->version;
    {
        const char *known = map_get(&am->node_of, member);

        if (known == NULL || strcmp(known, set.node_id) != 0) {
            if (known != NULL)
                forget_services(am, member);
            map_put(&am->node_of, member, xstrdup(set.node_id));
        }
    }
    catalog_apply(am->catalog, &set, time_wall_unix_ms());
    catalog_node_set_release(&set);
    watch_hub_run(am->hub);
}

void agent_mesh_publish_services(struct agent_mesh *am,
                                 const struct catalog_node_set *set)
{
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;

    catalog_node_set_encode(set, &b);
    if (swim_record_set(core(am), mesh_now(am->mesh), REC_SERVICES, b.data,
                        b.len, &err) != 0)
        log_warn(&am->lg, "publishing %zu service(s): %s", set->n_services,
                 err.msg);
    buf_release(&b);
    mesh_flush(am->mesh);
}

/* ------------------------------------------------------------ keyring */

/* Our keys as a record, so a list can count who holds what. */
static void publish_keys(struct agent_mesh *am)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    struct err err = ERR_INIT;
    size_t n = seal_keyring_count(am->keyring);

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, n);
    for (size_t i = 0; i < n; i++) {
        char b64[SEAL_KEY_B64_SIZE];

        seal_key_encode(seal_keyring_key(am->keyring, i), b64);
        msgpack_pack_str(&pk, strlen(b64));
        msgpack_pack_str_body(&pk, b64, strlen(b64));
    }
    if (swim_record_set(core(am), mesh_now(am->mesh), REC_KEYS, sb.data,
                        sb.size, &err) != 0)
        log_warn(&am->lg, "publishing the keyring: %s", err.msg);
    msgpack_sbuffer_destroy(&sb);
    mesh_flush(am->mesh);
}

void agent_mesh_keyring_changed(struct agent_mesh *am,
                                const char *op,
                                const char *key)
{
    /* The time lets members joining much later ignore an old change. */
    char *v = xasprintf("%s %s %lld", op, key, (long long)time_wall_unix_ms());
    struct err err = ERR_INIT;

    if (swim_record_set(core(am), mesh_now(am->mesh), REC_KEYOP, v, strlen(v),
                        &err) != 0)
        log_warn(&am->lg, "sending the keyring change: %s", err.msg);
    free(v);
    publish_keys(am);
}

/* A member asked for a keyring change: do it here too, once. */
static void apply_keyop(struct agent_mesh *am,
                        const char *member,
                        const struct swim_record *r)
{
    uint64_t *seen = map_get(&am->keyop_seen, member);
    char text[160], *sp, *at;
    struct err err = ERR_INIT;
    long long when;
    int rc;

    if (r->value == NULL || r->len == 0 || r->len >= sizeof(text))
        return;
    if (seen != NULL && *seen >= r->version)
        return;
    if (seen == NULL) {
        seen = xcalloc(1, sizeof(*seen));
        map_put(&am->keyop_seen, member, seen);
    }
    *seen = r->version;
    memcpy(text, r->value, r->len);
    text[r->len] = '\0';
    sp = strchr(text, ' ');
    at = sp ? strchr(sp + 1, ' ') : NULL;
    if (sp == NULL || at == NULL)
        return;
    *sp = *at = '\0';
    when = atoll(at + 1);
    /* A change is for the members there when it was made (it spreads in
     * well under a minute): one seen long after, by an agent that just
     * started or joined, is history, not a request. */
    if (llabs((long long)time_wall_unix_ms() - when) > KEYOP_FRESH_MS) {
        log_debug(&am->lg, "keyring %s from %s: too old, ignored", text,
                  member);
        return;
    }
    if (strcmp(text, "install") == 0)
        rc = seal_keyring_install_b64(am->keyring, sp + 1, &err);
    else if (strcmp(text, "use") == 0)
        rc = seal_keyring_use_b64(am->keyring, sp + 1, &err);
    else if (strcmp(text, "remove") == 0)
        rc = seal_keyring_remove_b64(am->keyring, sp + 1, &err);
    else
        return;
    if (rc != 0) {
        /* Already done here (installed twice...): nothing to save. */
        log_debug(&am->lg, "keyring %s from %s: %s", text, member, err.msg);
        publish_keys(am);
        return;
    }
    if (am->data_dir != NULL &&
        seal_keyring_save(am->keyring, am->data_dir, &err) != 0)
        log_warn(&am->lg, "saving the keyring: %s", err.msg);
    log_info(&am->lg, "gossip keyring: %s asked by %s, done", text, member);
    publish_keys(am);
}

size_t agent_mesh_keyring_list(struct agent_mesh *am,
                               char ***keys_out,
                               int **counts_out,
                               int *nodes)
{
    struct swim *s = core(am);
    size_t n = swim_member_count(s), nk = 0, cap = 0;
    char **keys = NULL;
    int *counts = NULL;

    *nodes = 0;
    for (size_t i = 0; i < n; i++) {
        struct swim_member_info mi;
        const struct swim_record *r;
        size_t nr;

        swim_member_at(s, i, &mi);
        if (mi.state != SWIM_MEMBER_ALIVE && mi.state != SWIM_MEMBER_SUSPECT)
            continue;
        (*nodes)++;
        nr = swim_records(s, mi.name, &r);
        for (size_t k = 0; k < nr; k++) {
            msgpack_unpacked u;
            msgpack_object *o;

            if (strcmp(r[k].key, REC_KEYS) != 0 || r[k].value == NULL)
                continue;
            msgpack_unpacked_init(&u);
            if (msgpack_unpack_next(&u, (const char *)r[k].value, r[k].len,
                                    NULL) == MSGPACK_UNPACK_SUCCESS &&
                u.data.type == MSGPACK_OBJECT_ARRAY) {
                o = &u.data;
                for (uint32_t j = 0; j < o->via.array.size &&
                                     j < SEAL_MAX_KEYS;
                     j++) {
                    const msgpack_object *e = &o->via.array.ptr[j];
                    size_t x;

                    if (e->type != MSGPACK_OBJECT_STR ||
                        e->via.str.size >= SEAL_KEY_B64_SIZE)
                        continue;
                    for (x = 0; x < nk; x++)
                        if (strlen(keys[x]) == e->via.str.size &&
                            memcmp(keys[x], e->via.str.ptr,
                                   e->via.str.size) == 0)
                            break;
                    if (x == nk) {
                        XGROW(keys, cap, nk + 1);
                        counts = xrealloc(counts, cap * sizeof(*counts));
                        keys[nk] = xstrndup(e->via.str.ptr, e->via.str.size);
                        counts[nk++] = 0;
                    }
                    counts[x]++;
                }
            }
            msgpack_unpacked_destroy(&u);
        }
    }
    *keys_out = keys;
    *counts_out = counts;
    return nk;
}

/* ------------------------------------------------------------ joins */

static void join_answered(struct agent_mesh *am, const char *addr, int rc)
{
    struct pending_join **pp = &am->joins;

    while (*pp != NULL) {
        struct pending_join *j = *pp;
        bool mine = false;

        for (size_t i = 0; i < j->n && !mine; i++) {
            if (j->addrs[i] != NULL && strcmp(j->addrs[i], addr) == 0) {
                free(j->addrs[i]);
                j->addrs[i] = NULL;
                mine = true;
            }
        }
        if (mine) {
            j->answered++;
            if (rc == 0)
                j->joined++;
            else
                buf_printf(&j->errors, "%s%s: %s", j->errors.len ? "; " : "",
                           addr, err_str(rc));
        }
        if (j->answered == j->n) {
            *pp = j->next;
            j->done(j->arg, j->joined, buf_str(&j->errors));
            buf_release(&j->errors);
            free(j->addrs);
            free(j);
            continue;
        }
        pp = &j->next;
    }
}

void agent_mesh_join(struct agent_mesh *am,
                     const char *const *addrs,
                     size_t n,
                     void (*done)(void *arg, int joined, const char *error),
                     void *arg)
{
    struct pending_join *j = xcalloc(1, sizeof(*j));

    j->addrs = xcalloc(n, sizeof(*j->addrs));
    for (size_t i = 0; i < n; i++)
        j->addrs[i] = xstrdup(addrs[i]);
    j->n = n;
    j->done = done;
    j->arg = arg;
    j->next = am->joins;
    am->joins = j;
    mesh_join(am->mesh, addrs, n);
}

static void retry_fired(uv_timer_t *t);

static void retry_round(struct agent_mesh *am)
{
    am->retry_attempts++;
    am->retry_answered = 0;
    log_info(&am->lg, "retry_join: attempt %d", am->retry_attempts);
    mesh_join(am->mesh, (const char *const *)am->retry, am->n_retry);
}

static void retry_answer(struct agent_mesh *am, const char *addr, int rc)
{
    bool ours = false;

    for (size_t i = 0; i < am->n_retry && !ours; i++)
        ours = strcmp(am->retry[i], addr) == 0;
    if (!ours || am->retry_done)
        return;
    if (rc == 0) {
        am->retry_done = true;
        log_info(&am->lg, "retry_join: joined through %s", addr);
        return;
    }
    if (++am->retry_answered < am->n_retry)
        return;
    if (am->retry_max > 0 && am->retry_attempts >= am->retry_max) {
        log_error(&am->lg, "retry_join: gave up after %d attempts",
                  am->retry_attempts);
        am->retry_done = true;
        return;
    }
    uv_timer_start(&am->retry_timer, retry_fired, am->retry_interval_ms, 0);
}

static void retry_fired(uv_timer_t *t)
{
    struct agent_mesh *am = t->data;

    if (!am->closing && !am->retry_done)
        retry_round(am);
}

int agent_mesh_force_leave(struct agent_mesh *am, const char *name,
                           struct err *err)
{
    int rc = swim_force_leave(core(am), mesh_now(am->mesh), name);

    if (rc == ERR_NOT_FOUND)
        return err_set(err, ERR_NOT_FOUND, "member %s not found", name);
    if (rc != 0)
        return err_set(err, rc, "member %s is not failed", name);
    mesh_flush(am->mesh);
    return 0;
}

/* ------------------------------------------------------------ events */

static void on_event(void *arg, const struct swim_event *ev)
{
    struct agent_mesh *am = arg;
    char name[SWIM_NAME_MAX + 1];

    if (am->closing)
        return;
    snprintf(name, sizeof(name), "%s", ev->name ? ev->name : "");
    switch (ev->kind) {
    case SWIM_EVENT_JOINED:
        if (ev->rc != 0)
            log_error(&am->lg,
                      "join through %s failed: %s%s", name, err_str(ev->rc),
                      seal_keyring_is_enabled(am->keyring)
                          ? " (the agent there must hold our gossip key: "
                            "with another key, or none, it drops what we "
                            "send)"
                          : " (if the agent there encrypts gossip, this "
                            "agent needs its key: -encrypt)");
        else
            log_info(&am->lg, "joined the mesh through %s", name);
        join_answered(am, name, ev->rc);
        retry_answer(am, name, ev->rc);
        break;
    case SWIM_EVENT_JOIN:
        log_info(&am->lg, "member joined: %s (%s)", name,
                 ev->addr ? ev->addr : "");
        update_servers(am);
        break;
    case SWIM_EVENT_UPDATE:
    case SWIM_EVENT_ALIVE:
        update_servers(am);
        break;
    case SWIM_EVENT_SUSPECT:
        log_info(&am->lg, "member suspect: %s", name);
        break;
    case SWIM_EVENT_FAIL:
        log_info(&am->lg, "member failed: %s", name);
        update_servers(am);
        break;
    case SWIM_EVENT_LEAVE:
        log_info(&am->lg, "member left: %s", name);
        forget_services(am, name);
        update_servers(am);
        break;
    case SWIM_EVENT_REAP:
        log_info(&am->lg, "member reaped: %s", name);
        forget_services(am, name);
        update_servers(am);
        break;
    case SWIM_EVENT_RECORDS: {
        const struct swim_record *r;
        size_t n;
        bool had_svc = false;

        if (strcmp(name, swim_name(core(am))) == 0)
            break;
        n = swim_records(core(am), name, &r);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(r[i].key, REC_SERVICES) == 0) {
                had_svc = true;
                apply_services(am, name, &r[i]);
            } else if (strcmp(r[i].key, REC_KEYOP) == 0) {
                apply_keyop(am, name, &r[i]);
            }
        }
        /* Records dropped (the member left): its services go. */
        if (!had_svc)
            forget_services(am, name);
        break;
    }
    }
}

/* ------------------------------------------------------------ life */

int agent_mesh_start(uv_loop_t *loop,
                     const struct agent_mesh_config *cfg,
                     struct agent_mesh **out,
                     struct err *err)
{
    struct agent_mesh *am = xcalloc(1, sizeof(*am));
    struct mesh_config mc;
    struct swim_tag tags[8];
    size_t nt = 0;
    int rc;

    am->loop = loop;
    logger_init(&am->lg, "agent.mesh", NULL);
    am->keyring = cfg->keyring;
    am->data_dir = cfg->data_dir ? xstrdup(cfg->data_dir) : NULL;
    am->region = xstrdup(cfg->region ? cfg->region : "global");
    am->catalog = cfg->catalog;
    am->hub = cfg->hub;
    am->servers_changed = cfg->servers_changed;
    am->arg = cfg->arg;
    map_init(&am->node_of);
    map_init(&am->keyop_seen);
    tags[nt++] = (struct swim_tag){"role", cfg->server ? "nomad" : "client"};
    tags[nt++] = (struct swim_tag){"region", am->region};
    tags[nt++] =
        (struct swim_tag){"dc", cfg->datacenter ? cfg->datacenter : "dc1"};
    tags[nt++] = (struct swim_tag){"build", cfg->build ? cfg->build : ""};
    tags[nt++] = (struct swim_tag){"vsn", "1"};
    if (cfg->node_id != NULL)
        tags[nt++] = (struct swim_tag){"id", cfg->node_id};
    if (cfg->server && cfg->rpc_addr != NULL) {
        const char *colon = strrchr(cfg->rpc_addr, ':');

        tags[nt++] = (struct swim_tag){"rpc_addr", cfg->rpc_addr};
        tags[nt++] = (struct swim_tag){"port", colon ? colon + 1 : ""};
    }
    memset(&mc, 0, sizeof(mc));
    mc.name = cfg->name;
    mc.bind_ip = cfg->bind_ip;
    mc.port = cfg->port;
    mc.advertise_ip = cfg->advertise_ip;
    mc.swim = cfg->swim;
    mc.keyring = cfg->keyring;
    mc.tags = tags;
    mc.n_tags = nt;
    mc.on_event = on_event;
    mc.arg = am;
    rc = mesh_start(loop, &mc, &am->mesh, err);
    if (rc != 0) {
        map_release(&am->node_of, free);
        map_release(&am->keyop_seen, free);
        free(am->data_dir);
        free(am->region);
        free(am);
        return rc;
    }
    /*
     * Our records must outrank whatever an earlier run of this agent
     * published: versions start from the wall clock in microseconds.
     */
    swim_records_version_floor(core(am), (uint64_t)time_wall_unix_ns() / 1000);
    uv_timer_init(loop, &am->retry_timer);
    am->retry_timer.data = am;
    publish_keys(am);
    update_servers(am);
    if (cfg->n_join > 0)
        mesh_join(am->mesh, cfg->join, cfg->n_join);
    if (cfg->n_retry_join > 0) {
        am->retry = xcalloc(cfg->n_retry_join, sizeof(*am->retry));
        for (size_t i = 0; i < cfg->n_retry_join; i++)
            am->retry[i] = xstrdup(cfg->retry_join[i]);
        am->n_retry = cfg->n_retry_join;
        am->retry_interval_ms =
            cfg->retry_interval_ms ? cfg->retry_interval_ms : 30000;
        am->retry_max = cfg->retry_max;
        retry_round(am);
    } else {
        am->retry_done = true;
    }
    log_info(&am->lg, "mesh member %s at %s (encryption %s)", cfg->name,
             mesh_addr(am->mesh),
             seal_keyring_is_enabled(cfg->keyring) ? "on" : "off");
    *out = am;
    return 0;
}

json_t *agent_mesh_stats(struct agent_mesh *am)
{
    struct swim *s = core(am);
    const struct swim_stats *ss = swim_stats(s);
    struct net_stats ns;
    size_t n = swim_member_count(s), alive = 0, failed = 0, left = 0;
    json_t *o = json_object();
    char v[32];

    for (size_t i = 0; i < n; i++) {
        struct swim_member_info mi;

        swim_member_at(s, i, &mi);
        if (mi.state == SWIM_MEMBER_DEAD)
            failed++;
        else if (mi.state == SWIM_MEMBER_LEFT)
            left++;
        else
            alive++;
    }
    mesh_net_stats(am->mesh, &ns);
#define PUT(key, val)                                                          \
    do {                                                                       \
        snprintf(v, sizeof(v), "%llu", (unsigned long long)(val));             \
        json_object_set_new(o, key, json_string(v));                           \
    } while (0)
    PUT("members", alive);
    PUT("failed", failed);
    PUT("left", left);
    PUT("health_score", swim_awareness(s));
    PUT("incarnation", swim_incarnation(s));
    PUT("packets_refused", ns.packets_refused);
    PUT("frames_refused", ns.frames_refused);
    PUT("decode_errors", ss->decode_errors);
#undef PUT
    json_object_set_new(o, "encrypted",
                        json_string(seal_keyring_is_enabled(am->keyring)
                                        ? "true"
                                        : "false"));
    return o;
}

static const char *status_of(enum swim_member_state st)
{
    switch (st) {
    case SWIM_MEMBER_ALIVE:
    case SWIM_MEMBER_SUSPECT:
        return "alive";
    case SWIM_MEMBER_DEAD:
        return "failed";
    case SWIM_MEMBER_LEFT:
        return "left";
    }
    return "none";
}

json_t *agent_mesh_members(struct agent_mesh *am)
{
    struct swim *s = core(am);
    size_t n = swim_member_count(s);
    json_t *list = json_array();

    for (size_t i = 0; i < n; i++) {
        struct swim_member_info mi;
        static const char *const keys[] = {"role", "region", "dc",  "build",
                                           "vsn",  "id",     "rpc_addr",
                                           "port"};
        json_t *tags = json_object();
        char addr[SWIM_ADDR_MAX + 1], *colon, v[SWIM_TAG_VALUE_MAX + 1];

        swim_member_at(s, i, &mi);
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (swim_tags_get(mi.tags, mi.tags_len, keys[k], v, sizeof(v)))
                json_object_set_new(tags, keys[k], json_string(v));
        snprintf(addr, sizeof(addr), "%s", mi.addr ? mi.addr : "");
        colon = strrchr(addr, ':');
        if (colon != NULL)
            *colon = '\0';
        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:i,s:o,s:s,s:i,s:i,s:i,s:i,s:i,s:i}", "Name",
                      mi.name, "Addr", addr, "Port",
                      colon ? atoi(colon + 1) : 0, "Tags", tags, "Status",
                      status_of(mi.state), "ProtocolMin", 1, "ProtocolMax", 1,
                      "ProtocolCur", 1, "DelegateMin", 1, "DelegateMax", 1,
                      "DelegateCur", 1));
    }
    return list;
}

static void retry_timer_closed(uv_handle_t *h)
{
    struct agent_mesh *am = h->data;
    void (*cb)(void *) = am->cb;
    void *cb_arg = am->cb_arg;

    free(am);
    if (cb)
        cb(cb_arg);
}

static void mesh_closed(void *arg)
{
    struct agent_mesh *am = arg;

    for (size_t i = 0; i < am->n_servers; i++)
        free(am->servers[i]);
    free(am->servers);
    for (size_t i = 0; i < am->n_retry; i++)
        free(am->retry[i]);
    free(am->retry);
    while (am->joins != NULL) {
        struct pending_join *j = am->joins;

        am->joins = j->next;
        for (size_t i = 0; i < j->n; i++)
            free(j->addrs[i]);
        j->done(j->arg, j->joined, "the agent is shutting down");
        buf_release(&j->errors);
        free(j->addrs);
        free(j);
    }
    map_release(&am->node_of, free);
    map_release(&am->keyop_seen, free);
    free(am->data_dir);
    free(am->region);
    uv_close((uv_handle_t *)&am->retry_timer, retry_timer_closed);
}

void agent_mesh_close(struct agent_mesh *am, void (*cb)(void *arg), void *arg)
{
    am->closing = true;
    am->cb = cb;
    am->cb_arg = arg;
    uv_timer_stop(&am->retry_timer);
    mesh_close(am->mesh, mesh_closed, am);
}

static void left(void *arg)
{
    struct agent_mesh *am = arg;

    mesh_close(am->mesh, mesh_closed, am);
}

void agent_mesh_leave(struct agent_mesh *am, uint64_t timeout_ms,
                      void (*cb)(void *arg), void *arg)
{
    am->closing = true;
    am->cb = cb;
    am->cb_arg = arg;
    uv_timer_stop(&am->retry_timer);
    mesh_leave(am->mesh, timeout_ms, left, am);
}
