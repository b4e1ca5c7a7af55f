/* Agent configuration files (see config.h). */
#include "agent/config.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"
#include "lib/hcl/hcl.h"

void agent_config_init(struct agent_config *c)
{
    memset(c, 0, sizeof(*c));
    c->log_json = c->server_enabled = c->client_enabled = -1;
    c->raw_exec_enabled = -1;
    c->leave_on_interrupt = c->leave_on_terminate = -1;
    c->retry_max = -1;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void agent_config_release(struct agent_config *c)
{
    free(c->data_dir);
    if (c->encrypt != NULL)
        memset(c->encrypt, 0, strlen(c->encrypt)); /* a secret */
    free(c->encrypt);
    free(c->bind_addr);
    free(c->region);
    free(c->datacenter);
    free(c->name);
    free(c->log_level);
    for (int i = 0; i < c->nservers; i++)
        free(c->servers[i]);
    free(c->servers);
    free(c->advertise_serf);
    free_list(c->start_join, c->nstart_join);
    free_list(c->retry_join, c->nretry_join);
    free(c->gossip.profile);
    for (int i = 0; i < c->nloaded; i++)
        free(c->loaded[i]);
    free(c->loaded);
    for (int i = 0; i < c->npaths; i++)
        free(c->paths[i]);
    free(c->paths);
    agent_config_init(c);
}

/*
 * Both formats are read through one JSON shape: HCL bodies become objects
 * (blocks: key -> object, labelled blocks: key -> label -> object).
 */
static json_t *value_json(const struct hcl_value *v)
{
    json_t *o;

    switch (v->type) {
    case HCL_BOOL:
        return json_boolean(v->u.b);
    case HCL_NUMBER:
        return json_real(v->u.num);
    case HCL_STRING:
        return json_string(v->u.str.s);
    case HCL_LIST:
        o = json_array();
        for (size_t i = 0; i < v->u.list.n; i++)
            json_array_append_new(o, value_json(&v->u.list.items[i]));
        return o;
    case HCL_OBJECT:
        o = json_object();
        for (size_t i = 0; i < v->u.obj.n; i++)
            json_object_set_new(o, v->u.obj.items[i].key,
                                value_json(&v->u.obj.items[i].value));
        return o;
    case HCL_NULL:
    default:
        return json_null();
    }
}

static json_t *body_json(const struct hcl_body *b)
{
    json_t *o = json_object();

    for (size_t i = 0; i < b->nattrs; i++)
        json_object_set_new(o, b->attrs[i].name, value_json(&b->attrs[i].value));
    for (size_t i = 0; i < b->nblocks; i++) {
        const struct hcl_block *blk = &b->blocks[i];
        json_t *at = o;

        for (size_t l = 0; l < blk->nlabels + 1; l++) {
            const char *key = l == 0 ? blk->type : blk->labels[l - 1];
            json_t *next = json_object_get(at, key);

            if (l == blk->nlabels) {
                json_t *body = body_json(blk->body);

                if (json_is_object(next))
                    json_object_update(next, body);
                else
                    json_object_set(at, key, body);
                json_decref(body);
                break;
            }
            if (!json_is_object(next)) {
                next = json_object();
                json_object_set_new(at, key, next);
            }
            at = next;
        }
    }
    return o;
}

static void set_str(char **dst, const json_t *v)
{
    if (json_is_string(v)) {
        free(*dst);
        *dst = xstrdup(json_string_value(v));
    }
}

static void set_bool(int *dst, const json_t *v)
{
    if (json_is_boolean(v))
        *dst = json_is_true(v);
}

/* The GC settings of the server block, Go durations as Nomad reads them. */
static int apply_server_gc(struct agent_config *c,
                           const json_t *server,
                           const char *file,
                           struct err *err)
{
    const struct
    {
        const char *key;
        int64_t *dst;
    } keys[] = {
        {"job_gc_interval", &c->job_gc_interval_ns},
        {"job_gc_threshold", &c->job_gc_threshold_ns},
        {"eval_gc_threshold", &c->eval_gc_threshold_ns},
        {"batch_eval_gc_threshold", &c->batch_eval_gc_threshold_ns},
        {"deployment_gc_threshold", &c->deployment_gc_threshold_ns},
        {"node_gc_threshold", &c->node_gc_threshold_ns},
        {"min_heartbeat_ttl", &c->min_heartbeat_ttl_ns},
        {"heartbeat_grace", &c->heartbeat_grace_ns},
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const json_t *v = json_object_get(server, keys[i].key);
        int64_t ns;

        if (v == NULL)
            continue;
        if (!json_is_string(v) ||
            duration_parse(json_string_value(v), &ns, err) != 0 || ns <= 0) {
            err_clear(err);
            return err_set(err, ERR_INVALID,
                           "%s: server.%s must be a positive duration such "
                           "as \"4h\"",
                           file, keys[i].key);
        }
        *keys[i].dst = ns;
    }
    return 0;
}

/* A list of strings (or one string) appended to *list. */
static int add_list(char ***list, int *n, const json_t *v, const char *file,
                    const char *what, struct err *err)
{
    size_t i;
    json_t *e;

    if (v == NULL)
        return 0;
    if (json_is_string(v)) {
        *list = xrealloc(*list, (size_t)(*n + 1) * sizeof(char *));
        (*list)[(*n)++] = xstrdup(json_string_value(v));
        return 0;
    }
    if (!json_is_array(v))
        return err_set(err, ERR_INVALID, "%s: %s must be a list of addresses",
                       file, what);
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return err_set(err, ERR_INVALID,
                           "%s: %s must be a list of addresses", file, what);
        *list = xrealloc(*list, (size_t)(*n + 1) * sizeof(char *));
        (*list)[(*n)++] = xstrdup(json_string_value(e));
    }
    return 0;
}

static int get_duration(const json_t *v, int64_t *dst, const char *file,
                        const char *what, struct err *err)
{
    int64_t ns;

    if (v == NULL)
        return 0;
    if (!json_is_string(v) ||
        duration_parse(json_string_value(v), &ns, err) != 0 || ns <= 0) {
        err_clear(err);
        return err_set(err, ERR_INVALID,
                       "%s: %s must be a positive duration such as \"30s\"",
                       file, what);
    }
    *dst = ns;
    return 0;
}

static int get_count(const json_t *v, int64_t *dst, const char *file,
                     const char *what, struct err *err)
{
    double d;

    if (v == NULL)
        return 0;
    /* HCL numbers arrive as reals: a whole value is what counts. */
    d = json_number_value(v);
    if (!json_is_number(v) || d < 1 || d > 1000 || d != (double)(int64_t)d)
        return err_set(err, ERR_INVALID,
                       "%s: %s must be a whole number from 1 to 1000", file,
                       what);
    *dst = (int64_t)d;
    return 0;
}

/*
 * The gossip mesh: ports.serf, advertise.serf, leave_on_*, the join
 * settings Nomad reads (server_join in server and client, and the older
 * server.start_join/retry_join), and our own gossip { } timings.
 */
static int apply_mesh(struct agent_config *c, const json_t *o,
                      const char *file, struct err *err)
{
    const json_t *v, *g = json_object_get(o, "gossip");
    static const char *const blocks[] = {"server", "client"};

    v = json_object_get(json_object_get(o, "ports"), "serf");
    if (v != NULL) {
        double p = json_number_value(v);

        if (!json_is_number(v) || p < 1 || p > 65535 ||
            p != (double)(int64_t)p)
            return err_set(err, ERR_INVALID,
                           "%s: ports.serf must be a port number", file);
        c->serf_port = (int64_t)p;
    }
    set_str(&c->advertise_serf,
            json_object_get(json_object_get(o, "advertise"), "serf"));
    set_bool(&c->leave_on_interrupt, json_object_get(o, "leave_on_interrupt"));
    set_bool(&c->leave_on_terminate, json_object_get(o, "leave_on_terminate"));
    for (int b = 0; b < 2; b++) {
        const json_t *blk = json_object_get(o, blocks[b]);
        const json_t *sj = json_object_get(blk, "server_join");

        for (int pass = 0; pass < 2; pass++) {
            const json_t *at = pass == 0 ? sj : blk;
            int64_t max = -1;

            if (at == NULL)
                continue;
            if (add_list(&c->start_join, &c->nstart_join,
                         json_object_get(at, "start_join"), file,
                         "start_join", err) != 0 ||
                add_list(&c->retry_join, &c->nretry_join,
                         json_object_get(at, "retry_join"), file,
                         "retry_join", err) != 0 ||
                get_duration(json_object_get(at, "retry_interval"),
                             &c->retry_interval_ns, file, "retry_interval",
                             err) != 0)
                return err->code;
            v = json_object_get(at, "retry_max");
            if (v != NULL) {
                double d = json_number_value(v);

                if (!json_is_number(v) || d < 0 || d > 1e6 ||
                    d != (double)(int64_t)d)
                    return err_set(err, ERR_INVALID,
                                   "%s: retry_max must be a whole number",
                                   file);
                max = (int64_t)d;
                c->retry_max = (int)max;
            }
        }
    }
    if (g == NULL)
        return 0;
    v = json_object_get(g, "profile");
    if (v != NULL) {
        const char *p = json_string_value(v);

        if (p == NULL || (strcmp(p, "lan") != 0 && strcmp(p, "wan") != 0 &&
                          strcmp(p, "local") != 0))
            return err_set(err, ERR_INVALID,
                           "%s: gossip.profile must be \"lan\", \"wan\" or "
                           "\"local\"",
                           file);
        set_str(&c->gossip.profile, v);
    }
    if (get_duration(json_object_get(g, "probe_interval"),
                     &c->gossip.probe_interval_ns, file,
                     "gossip.probe_interval", err) != 0 ||
        get_duration(json_object_get(g, "probe_timeout"),
                     &c->gossip.probe_timeout_ns, file, "gossip.probe_timeout",
                     err) != 0 ||
        get_duration(json_object_get(g, "gossip_interval"),
                     &c->gossip.gossip_interval_ns, file,
                     "gossip.gossip_interval", err) != 0 ||
        get_duration(json_object_get(g, "push_pull_interval"),
                     &c->gossip.push_pull_interval_ns, file,
                     "gossip.push_pull_interval", err) != 0 ||
        get_duration(json_object_get(g, "reconnect_interval"),
                     &c->gossip.reconnect_interval_ns, file,
                     "gossip.reconnect_interval", err) != 0 ||
        get_duration(json_object_get(g, "reap_time"), &c->gossip.reap_ns, file,
                     "gossip.reap_time", err) != 0 ||
        get_duration(json_object_get(g, "reclaim_time"), &c->gossip.reclaim_ns,
                     file, "gossip.reclaim_time", err) != 0 ||
        get_count(json_object_get(g, "gossip_nodes"), &c->gossip.gossip_nodes,
                  file, "gossip.gossip_nodes", err) != 0 ||
        get_count(json_object_get(g, "suspicion_mult"),
                  &c->gossip.suspicion_mult, file, "gossip.suspicion_mult",
                  err) != 0 ||
        get_count(json_object_get(g, "suspicion_max_mult"),
                  &c->gossip.suspicion_max_mult, file,
                  "gossip.suspicion_max_mult", err) != 0 ||
        get_count(json_object_get(g, "retransmit_mult"),
                  &c->gossip.retransmit_mult, file, "gossip.retransmit_mult",
                  err) != 0 ||
        get_count(json_object_get(g, "indirect_checks"),
                  &c->gossip.indirect_checks, file, "gossip.indirect_checks",
                  err) != 0)
        return err->code;
    {
        static const char *const known[] = {
            "profile",        "probe_interval",  "probe_timeout",
            "gossip_interval", "push_pull_interval", "reconnect_interval",
            "reap_time",
            "reclaim_time",   "gossip_nodes",    "suspicion_mult",
            "suspicion_max_mult", "retransmit_mult", "indirect_checks",
            NULL};
        const char *key;
        json_t *x;

        json_object_foreach((json_t *)g, key, x)
        {
            bool ok = false;

            for (const char *const *k = known; *k; k++)
                ok = ok || strcmp(*k, key) == 0;
            if (!ok)
                return err_set(err, ERR_INVALID,
                               "%s: gossip: unexpected key %s", file, key);
        }
    }
    return 0;
}

static int apply(struct agent_config *c, const json_t *o, const char *file,
                 struct err *err)
{
    static const char *const known[] = {
        "data_dir", "bind_addr", "region", "datacenter", "name",
        "log_level", "log_json", "server", "client", "ports", "plugin",
        "advertise", "addresses", "leave_on_interrupt", "leave_on_terminate",
        "enable_debug", "disable_update_check", "gossip", NULL};
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)o, key, v)
    {
        bool ok = false;

        for (const char *const *k = known; *k; k++)
            ok = ok || strcmp(*k, key) == 0;
        if (!ok)
            return err_set(err, ERR_INVALID,
                           "%s: unexpected keys %s", file, key);
    }
    set_str(&c->data_dir, json_object_get(o, "data_dir"));
    set_str(&c->bind_addr, json_object_get(o, "bind_addr"));
    set_str(&c->region, json_object_get(o, "region"));
    set_str(&c->datacenter, json_object_get(o, "datacenter"));
    set_str(&c->name, json_object_get(o, "name"));
    set_str(&c->log_level, json_object_get(o, "log_level"));
    set_bool(&c->log_json, json_object_get(o, "log_json"));
    set_bool(&c->server_enabled,
             json_object_get(json_object_get(o, "server"), "enabled"));
    v = json_object_get(json_object_get(o, "server"), "encrypt");
    if (v != NULL && !json_is_string(v))
        return err_set(err, ERR_INVALID,
                       "%s: server.encrypt must be a base64 key", file);
    set_str(&c->encrypt, v);
    set_bool(&c->client_enabled,
             json_object_get(json_object_get(o, "client"), "enabled"));
    for (int k = 0; k < 2; k++) {
        const char *name = k == 0 ? "http" : "rpc";

        v = json_object_get(json_object_get(o, "ports"), name);
        if (json_is_number(v)) {
            double p = json_number_value(v);

            if (p < 1 || p > 65535 || p != (double)(int64_t)p)
                return err_set(err, ERR_INVALID,
                               "%s: ports.%s must be a port number, got %g",
                               file, name, p);
            *(k == 0 ? &c->http_port : &c->rpc_port) = (int64_t)p;
        }
    }
    v = json_object_get(json_object_get(o, "client"), "servers");
    if (v != NULL) {
        size_t i;
        json_t *e;

        if (!json_is_array(v))
            return err_set(err, ERR_INVALID,
                           "%s: client.servers must be a list of addresses",
                           file);
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                return err_set(err, ERR_INVALID,
                               "%s: client.servers must be a list of "
                               "addresses",
                               file);
            c->servers = xrealloc(c->servers, (size_t)(c->nservers + 1) *
                                                  sizeof(char *));
            c->servers[c->nservers++] = xstrdup(json_string_value(e));
        }
    }
    set_bool(&c->raw_exec_enabled,
             json_object_get(json_object_get(json_object_get(
                                 json_object_get(o, "plugin"), "raw_exec"),
                                 "config"),
                             "enabled"));
    if (apply_mesh(c, o, file, err) != 0)
        return err->code;
    return apply_server_gc(c, json_object_get(o, "server"), file, err);
}

static int load_file(struct agent_config *c, const char *path, struct err *err)
{
    size_t n = strlen(path);
    json_t *o = NULL;
    int rc;

    if (n > 5 && strcmp(path + n - 5, ".json") == 0) {
        json_error_t jerr;

        o = json_load_file(path, 0, &jerr);
        if (o == NULL)
            return err_set(err, ERR_INVALID, "%s:%d:%d: %s", path, jerr.line,
                           jerr.column, jerr.text);
    } else {
        struct hcl_doc *doc;

        rc = hcl_parse_file(path, NULL, &doc, err);
        if (rc != 0)
            return rc;
        o = body_json(&doc->body);
        hcl_doc_free(doc);
    }
    rc = apply(c, o, path, err);
    json_decref(o);
    if (rc == 0) {
        c->loaded = xrealloc(c->loaded, (size_t)(c->nloaded + 1) * sizeof(char *));
        c->loaded[c->nloaded++] = xstrdup(path);
    }
    return rc;
}

static int config_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return (n > 4 && strcmp(d->d_name + n - 4, ".hcl") == 0) ||
           (n > 5 && strcmp(d->d_name + n - 5, ".json") == 0);
}

int agent_config_load(struct agent_config *c, const char *path, struct err *err)
{
    struct dirent **names;
    struct stat st;
    int n, rc = 0;

    c->paths = xrealloc(c->paths, (size_t)(c->npaths + 1) * sizeof(char *));
    c->paths[c->npaths++] = xstrdup(path);
    if (stat(path, &st) != 0)
        return err_set(err, ERR_NOT_FOUND, "Error loading configuration from "
                                           "%s: no such file or directory",
                       path);
    if (!S_ISDIR(st.st_mode))
        return load_file(c, path, err);
    n = scandir(path, &names, config_file, alphasort);
    if (n < 0)
        return err_set(err, ERR_IO, "cannot read directory %s", path);
    for (int i = 0; i < n; i++) {
        char *f = xasprintf("%s/%s", path, names[i]->d_name);

        if (rc == 0)
            rc = load_file(c, f, err);
        free(f);
        free(names[i]);
    }
    free(names);
    return rc;
}
