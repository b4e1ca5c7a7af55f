/*
 * `caravan node drain` and `caravan node eligibility`, as Nomad's
 * command/node_drain.go and node_eligibility.go, with the drain monitor
 * of its api/nodes.go (MonitorDrain): node and alloc updates are polled
 * with blocking queries until the drain is over and every alloc stopped.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/query.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

/* Nomad's default drain deadline. */
#define DEFAULT_DEADLINE_NS (3600LL * 1000000000LL)

const char cli_help_node_drain[] =
    "Usage: caravan node drain [options] <node>\n"
    "\n"
    "  Toggles node draining on a specified node. It is required that either\n"
    "  -enable or -disable is specified, but not both.  The -self flag is "
    "useful to\n"
    "  drain the local node.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Node Drain Options:\n"
    "\n"
    "  -disable\n"
    "    Disable draining for the specified node.\n"
    "\n"
    "  -enable\n"
    "    Enable draining for the specified node.\n"
    "\n"
    "  -deadline <duration>\n"
    "    Set the deadline by which all allocations must be moved off the "
    "node.\n"
    "    Remaining allocations after the deadline are forced removed from "
    "the node.\n"
    "    If unspecified, a default deadline of one hour is applied.\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode.\n"
    "\n"
    "  -monitor\n"
    "    Enter monitor mode directly without modifying the drain status.\n"
    "\n"
    "  -force\n"
    "    Force remove allocations off the node immediately.\n"
    "\n"
    "  -no-deadline\n"
    "    No deadline allows the allocations to drain off the node without "
    "being force\n"
    "    stopped after a certain deadline.\n"
    "\n"
    "  -ignore-system\n"
    "    Ignore system allows the drain to complete without stopping system "
    "job\n"
    "    allocations. By default system jobs are stopped last.\n"
    "\n"
    "  -keep-ineligible\n"
    "    Keep ineligible will maintain the node's scheduling ineligibility "
    "even if\n"
    "    the drain is being disabled. This is useful when an existing drain "
    "is being\n"
    "    cancelled but additional scheduling on the node is not desired.\n"
    "\n"
    "  -m \n"
    "    Message for the drain update operation. Registered in drain "
    "metadata as\n"
    "    \"message\" during drain enable and \"cancel_message\" during drain "
    "disable.\n"
    "\n"
    "  -meta <key>=<value>\n"
    "    Custom metadata to store on the drain operation, can be used "
    "multiple times.\n"
    "\n"
    "  -self\n"
    "    Set the drain status of the local node.\n"
    "\n"
    "  -yes\n"
    "    Automatic yes to prompts.\n";

const char cli_help_node_eligibility[] =
    "Usage: caravan node eligibility [options] <node>\n"
    "\n"
    "  Toggles the nodes scheduling eligibility. When a node is marked as "
    "ineligible,\n"
    "  no new allocations will be placed on it but existing allocations "
    "will remain.\n"
    "  To remove existing allocations, use the node drain command.\n"
    "\n"
    "  It is required that either -enable or -disable is specified, but not "
    "both.\n"
    "  The -self flag is useful to set the scheduling eligibility of the "
    "local node.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Node Eligibility Options:\n"
    "\n"
    "  -disable\n"
    "    Mark the specified node as ineligible for new allocations.\n"
    "\n"
    "  -enable\n"
    "    Mark the specified node as eligible for new allocations.\n"
    "\n"
    "  -self\n"
    "    Set the eligibility of the local node.\n";

/* ---------------------------------------------------------- resolving */

static void stamp(char *out, size_t size)
{
    cli_time_abs(time_wall_unix_ns(), out, size);
}

/* The node ID of the agent answering (Nomad's getLocalNodeID). */
static char *local_node_id(struct api_client *c)
{
    struct err err = ERR_INIT;
    json_t *self, *client;
    char *out = NULL;

    if (cli_get(c, &self, &err, "/v1/agent/self") != 0) {
        fprintf(stderr, "Error querying agent info: %s\n", err.msg);
        return NULL;
    }
    client = json_object_get(json_object_get(self, "stats"), "client");
    if (client == NULL)
        fprintf(stderr, "Caravan not running in client mode\n");
    else if (cli_jstr(client, "node_id")[0] == '\0')
        fprintf(stderr, "Failed to determine node ID\n");
    else
        out = xstrdup(cli_jstr(client, "node_id"));
    json_decref(self);
    return out;
}

/*
 * Resolves arg (or the local node with self) to one node, read in full
 * into *node. what names the operation in errors ("toggling drain mode").
 * Prints the error and returns 1, or 0. *prefix is the sanitized prefix.
 */
static int resolve_node(struct api_client *c,
                        const char *arg,
                        bool self,
                        const char *what,
                        json_t **node,
                        char **prefix)
{
    struct err err = ERR_INIT;
    json_t *nodes = NULL;
    char *id = self ? local_node_id(c) : xstrdup(arg);
    char *esc = NULL, q[512];
    int status = 1;

    *node = NULL;
    *prefix = NULL;
    if (id == NULL)
        return 1;
    if (strlen(id) == 1) {
        fprintf(stderr, "Identifier must contain at least two characters.\n");
        goto out;
    }
    cli_sanitize_uuid_prefix(id);
    esc = cli_escape(id);
    if (cli_get(c, &nodes, &err, "/v1/nodes?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error %s: %s\n", what, err.msg);
        goto out;
    }
    if (json_array_size(nodes) == 0) {
        fprintf(stderr, "No node(s) with prefix or id %s found\n",
                cli_quote(id, q, sizeof(q)));
        goto out;
    }
    if (json_array_size(nodes) > 1) {
        struct buf b = BUF_INIT;

        cli_format_node_stubs(&b, nodes, true);
        fprintf(stderr, "Prefix matched multiple nodes\n\n%s\n", buf_str(&b));
        buf_release(&b);
        goto out;
    }
    if (cli_get(c, node, &err, "/v1/node/%s",
                cli_jstr(json_array_get(nodes, 0), "ID")) != 0) {
        fprintf(stderr, "Error %s: %s\n", what, err.msg);
        goto out;
    }
    *prefix = id;
    id = NULL;
    status = 0;
out:
    json_decref(nodes);
    free(esc);
    free(id);
    return status;
}

/* A PUT of body; the parsed answer in *reply (may be NULL). */
static int put_json(struct api_client *c,
                    const char *path,
                    const json_t *body,
                    json_t **reply,
                    struct err *err)
{
    struct api_response resp;
    char *text = json_dumps(body, JSON_COMPACT);
    int rc;

    if (reply != NULL)
        *reply = NULL;
    api_response_init(&resp);
    rc = api_request(c, "PUT", path, text, strlen(text), &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0 && reply != NULL)
        *reply = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
    api_response_release(&resp);
    free(text);
    return rc;
}

/* ---------------------------------------------------------- eligibility */

int cli_cmd_node_eligibility(const struct cli_command *cmd,
                             int argc,
                             char **argv)
{
    struct cli_api_opts o = {0};
    struct api_client c;
    struct err err = ERR_INIT;
    bool enable = false, disable = false, self = false;
    json_t *node = NULL, *body;
    char *prefix = NULL, path[256];
    int first, status;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"enable", FLAG_BOOL, &enable, "eligible"},
        {"disable", FLAG_BOOL, &disable, "ineligible"},
        {"self", FLAG_BOOL, &self, "the local node"},
    };

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (enable == disable)
        return cli_arg_error(
            cmd, "Either the '-enable' or '-disable' flag must be set");
    if ((self && argc - first != 0) || (!self && argc - first != 1))
        return cli_arg_error(
            cmd, "Node ID must be specified if -self isn't being used");
    cli_api_client(&c, &o);
    status = resolve_node(&c, self ? NULL : argv[first], self,
                          "updating scheduling eligibility", &node, &prefix);
    if (status != 0)
        goto out;
    body = json_pack("{s:s,s:s}", "NodeID", cli_jstr(node, "ID"), "Eligibility",
                     enable ? "eligible" : "ineligible");
    snprintf(path, sizeof(path), "/v1/node/%s/eligibility",
             cli_jstr(node, "ID"));
    if (put_json(&c, path, body, NULL, &err) != 0) {
        fprintf(stderr, "Error updating scheduling eligibility: %s\n", err.msg);
        status = 1;
    } else {
        printf("Node \"%s\" scheduling eligibility set: %s for scheduling\n",
               cli_jstr(node, "ID"), enable ? "eligible" : "ineligible");
    }
    json_decref(body);
out:
    json_decref(node);
    free(prefix);
    api_client_release(&c);
    return status;
}

/* -------------------------------------------------------------- monitor */

struct monitor
{
    struct api_client *c;
    const char *id;
    bool ignore_system;
    uint64_t node_index;
    json_t *last_strategy; /* owned */
    bool node_done;
    uint64_t alloc_index;
    json_t *seen; /* alloc id -> last stub, owned */
    bool allocs_started, allocs_done;
};

static void say(FILE *f, const char *fmt, const char *a, const char *b)
{
    char t[64];

    stamp(t, sizeof(t));
    fprintf(f, "%s: ", t);
    fprintf(f, fmt, a, b);
    fputc('\n', f);
    fflush(f);
}

/* Nomad's DrainStrategy.String(). */
static void strategy_string(const json_t *ds, char *out, size_t size)
{
    char t[64];

    cli_time_abs(cli_jtime(ds, "ForceDeadline"), t, sizeof(t));
    snprintf(
        out, size, "drain %swith deadline at %s",
        cli_jbool(ds, "IgnoreSystemJobs") ? "ignoring system jobs and " : "",
        t);
}

static int watch_node(struct monitor *m)
{
    struct err err = ERR_INIT;
    json_t *node, *ds;
    char q[256];

    if (cli_get(m->c, &node, &err, "/v1/node/%s?index=%llu&wait=1s", m->id,
                (unsigned long long)m->node_index) != 0) {
        say(stderr, "Error monitoring node: %s%s", err.msg, "");
        return -1;
    }
    ds = json_object_get(node, "DrainStrategy");
    m->node_index = (uint64_t)cli_jint(node, "ModifyIndex");
    if (!json_is_object(ds)) {
        say(stdout, "Drain complete for node %s%s", m->id, "");
        m->node_done = true;
    } else {
        if (strcmp(cli_jstr(node, "Status"), "down") == 0)
            say(stderr, "Node %s down%s", cli_quote(m->id, q, sizeof(q)), "");
        if (m->last_strategy != NULL && !json_equal(m->last_strategy, ds)) {
            char s[160];

            strategy_string(ds, s, sizeof(s));
            say(stdout, "Node %s drain updated: %s",
                cli_quote(m->id, q, sizeof(q)), s);
        }
        json_decref(m->last_strategy);
        m->last_strategy = json_incref(ds);
    }
    json_decref(node);
    return 0;
}

static bool migrating(const json_t *a)
{
    return cli_jbool(json_object_get(a, "DesiredTransition"), "Migrate");
}

/* One alloc against its previous view: Nomad's monitorDrainAllocs lines. */
static void alloc_line(struct monitor *m, const json_t *a)
{
    const json_t *orig = json_object_get(m->seen, cli_jstr(a, "ID"));
    char msg[128] = "", q[128];

    if (orig == NULL)
        return;
    if (strcmp(cli_jstr(orig, "ClientStatus"), cli_jstr(a, "ClientStatus")))
        snprintf(msg, sizeof(msg), "status %s -> %s",
                 cli_jstr(orig, "ClientStatus"), cli_jstr(a, "ClientStatus"));
    else if (migrating(a) && !migrating(orig))
        snprintf(msg, sizeof(msg), "marked for migration");
    else if (migrating(a) &&
             strcmp(cli_jstr(orig, "DesiredStatus"),
                    cli_jstr(a, "DesiredStatus")) != 0 &&
             strcmp(cli_jstr(a, "DesiredStatus"), "stop") == 0)
        snprintf(msg, sizeof(msg), "draining");
    if (msg[0] != '\0')
        say(stdout, "Alloc %s %s", cli_quote(cli_jstr(a, "ID"), q, sizeof(q)),
            msg);
}

static int watch_allocs(struct monitor *m)
{
    struct err err = ERR_INIT;
    json_t *allocs, *a;
    size_t i, running = 0;
    uint64_t index = m->alloc_index;
    char q[256];

    if (cli_get(m->c, &allocs, &err,
                "/v1/node/%s/allocations?index=%llu&wait=1s", m->id,
                (unsigned long long)m->alloc_index) != 0) {
        say(stderr, "Error monitoring allocations: %s%s", err.msg, "");
        return -1;
    }
    json_array_foreach(allocs, i, a)
    {
        const char *cs = cli_jstr(a, "ClientStatus");

        if (m->allocs_started)
            alloc_line(m, a);
        json_object_set(m->seen, cli_jstr(a, "ID"), a);
        if ((uint64_t)cli_jint(a, "ModifyIndex") > index)
            index = (uint64_t)cli_jint(a, "ModifyIndex");
        if (m->ignore_system && strcmp(cli_jstr(a, "JobType"), "system") == 0)
            continue;
        if (strcmp(cs, "pending") == 0 || strcmp(cs, "running") == 0)
            running++;
    }
    m->allocs_started = true;
    m->alloc_index = index;
    json_decref(allocs);
    if (running == 0) {
        say(stdout, "All allocations on node %s have stopped%s",
            cli_quote(m->id, q, sizeof(q)), "");
        m->allocs_done = true;
    }
    return 0;
}

static int monitor_drain(struct api_client *c,
                         const char *id,
                         uint64_t index,
                         bool ignore_system)
{
    struct monitor m;
    int rc = 0;

    memset(&m, 0, sizeof(m));
    m.c = c;
    m.id = id;
    m.ignore_system = ignore_system;
    m.node_index = index;
    m.seen = json_object();
    while (rc == 0 && !(m.node_done && m.allocs_done)) {
        if (!m.node_done)
            rc = watch_node(&m);
        if (rc == 0 && !m.allocs_done)
            rc = watch_allocs(&m);
    }
    json_decref(m.last_strategy);
    json_decref(m.seen);
    return rc == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- drain */

struct drain_opts
{
    bool enable, disable, detach, force, no_deadline, ignore_system;
    bool keep_ineligible, self, yes, monitor;
    const char *deadline, *message;
    struct flag_list meta;
};

/* Nomad's checks of the flag combination; NULL when they fit. */
static const char *flags_conflict(const struct drain_opts *d)
{
    if (d->monitor && (d->enable || d->disable))
        return "The -monitor flag cannot be used with the '-enable' or "
               "'-disable' flags";
    if ((d->enable && d->disable) || (!d->monitor && !d->enable && !d->disable))
        return "Either the '-enable' or '-disable' flag must be set, unless "
               "using '-monitor'";
    return NULL;
}

static const char *strategy_conflict(const struct drain_opts *d)
{
    if (d->disable &&
        (d->deadline || d->force || d->no_deadline || d->ignore_system))
        return "-disable can't be combined with flags configuring drain "
               "strategy";
    if (d->deadline && (d->force || d->no_deadline))
        return "-deadline can't be combined with -force or -no-deadline";
    if (d->force && d->no_deadline)
        return "-force and -no-deadline are mutually exclusive";
    return NULL;
}

/* The drain deadline the flags ask for; prints the error and fails. */
static int drain_deadline(const struct drain_opts *d, int64_t *out)
{
    struct err err = ERR_INIT;
    char q[256];

    *out = DEFAULT_DEADLINE_NS;
    if (d->force) {
        *out = -1000000000LL;
    } else if (d->no_deadline) {
        *out = 0;
    } else if (d->deadline != NULL) {
        if (duration_parse(d->deadline, out, &err) != 0) {
            fprintf(stderr, "Failed to parse deadline %s: %s\n",
                    cli_quote(d->deadline, q, sizeof(q)), err.msg);
            return 1;
        }
        if (*out <= 0) {
            fprintf(stderr, "A positive drain duration must be given\n");
            return 1;
        }
    }
    return 0;
}

/* Nomad's confirmation for a node named by a prefix: 0 go on, else exit+1. */
static int confirm(const struct drain_opts *d, const char *id)
{
    char line[64];

    printf("Are you sure you want to %s drain mode for node \"%s\"? [y/N] ",
           d->enable ? "enable" : "disable", id);
    fflush(stdout);
    if (fgets(line, sizeof(line), stdin) == NULL)
        line[0] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0' || line[0] == 'n' || line[0] == 'N') {
        printf("Canceling drain toggle\n");
        return 1;
    }
    if ((line[0] == 'y' || line[0] == 'Y') && line[1] != '\0') {
        printf("For confirmation, an exact ‘y’ is required.\n");
        return 1;
    }
    if (strcmp(line, "y") != 0) {
        printf(
            "No confirmation detected. For confirmation, an exact 'y' is "
            "required.\n");
        return 2;
    }
    return 0;
}

static json_t *drain_body(const struct drain_opts *d,
                          const json_t *node,
                          int64_t deadline)
{
    json_t *meta = json_object();
    const json_t *last =
        json_object_get(json_object_get(node, "LastDrain"), "Meta");

    if (d->disable && json_is_object(last))
        json_object_update(meta, (json_t *)last);
    if (d->message != NULL && d->message[0] != '\0')
        json_object_set_new(meta, d->enable ? "message" : "cancel_message",
                            json_string(d->message));
    for (size_t i = 0; i < d->meta.n; i++) {
        const char *kv = d->meta.items[i], *eq = strchr(kv, '=');
        char *k;

        if (kv[0] == '\0')
            continue;
        k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
        json_object_set_new(meta, k, json_string(eq ? eq + 1 : ""));
        free(k);
    }
    return json_pack(
        "{s:o,s:b,s:o}", "DrainSpec",
        d->enable ? json_pack("{s:I,s:b}", "Deadline", (json_int_t)deadline,
                              "IgnoreSystemJobs", d->ignore_system)
                  : json_null(),
        "MarkEligible", !d->keep_ineligible, "Meta", meta);
}

static int drain_node(struct api_client *c,
                      const struct drain_opts *d,
                      const json_t *node,
                      int64_t deadline)
{
    struct err err = ERR_INIT;
    const char *id = cli_jstr(node, "ID");
    json_t *body = drain_body(d, node, deadline), *reply = NULL;
    char path[256], t[64];
    int status = 0;

    snprintf(path, sizeof(path), "/v1/node/%s/drain", id);
    if (put_json(c, path, body, &reply, &err) != 0) {
        fprintf(stderr, "Error updating drain specification: %s\n", err.msg);
        status = 1;
    } else if (!d->enable || d->detach) {
        printf("Node \"%s\" drain strategy %s\n", id,
               d->enable ? "set" : "unset");
    } else {
        stamp(t, sizeof(t));
        printf(
            "%s: Ctrl-C to stop monitoring: will not cancel the node "
            "drain\n",
            t);
        printf("%s: Node \"%s\" drain strategy set\n", t, id);
        fflush(stdout);
        status = monitor_drain(c, id, (uint64_t)cli_jint(reply, "Index"),
                               d->ignore_system);
    }
    json_decref(reply);
    json_decref(body);
    return status;
}

/* -monitor: follows a drain already set, without changing it. */
static int monitor_only(struct api_client *c,
                        const struct drain_opts *d,
                        const json_t *node)
{
    char t[64];

    if (!json_is_object(json_object_get(node, "DrainStrategy"))) {
        fprintf(stderr, "No drain strategy set\n");
        return 0;
    }
    stamp(t, sizeof(t));
    printf("%s: Monitoring node \"%s\": Ctrl-C to detach monitoring\n", t,
           cli_jstr(node, "ID"));
    fflush(stdout);
    return monitor_drain(c, cli_jstr(node, "ID"),
                         (uint64_t)cli_jint(node, "ModifyIndex"),
                         d->ignore_system);
}

int cli_cmd_node_drain(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    struct api_client c;
    struct drain_opts d;
    json_t *node = NULL;
    char *prefix = NULL;
    const char *bad;
    int64_t deadline;
    int first, status;

    memset(&d, 0, sizeof(d));
    {
        struct flag flags[] = {
            CLI_API_FLAGS(o),
            {"enable", FLAG_BOOL, &d.enable, "enable draining"},
            {"disable", FLAG_BOOL, &d.disable, "disable draining"},
            {"deadline", FLAG_STRING, &d.deadline, "drain deadline"},
            {"detach", FLAG_BOOL, &d.detach, "do not monitor"},
            {"force", FLAG_BOOL, &d.force, "force drain"},
            {"no-deadline", FLAG_BOOL, &d.no_deadline, "no deadline"},
            {"ignore-system", FLAG_BOOL, &d.ignore_system, "keep system jobs"},
            {"keep-ineligible", FLAG_BOOL, &d.keep_ineligible,
             "stay ineligible"},
            {"self", FLAG_BOOL, &d.self, "the local node"},
            {"yes", FLAG_BOOL, &d.yes, "no prompt"},
            {"monitor", FLAG_BOOL, &d.monitor, "monitor only"},
            {"m", FLAG_STRING, &d.message, "drain message"},
            {"meta", FLAG_STRLIST, &d.meta, "drain metadata"},
        };

        status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc,
                           argv, &first);
        if (status >= 0)
            return status;
    }
    bad = flags_conflict(&d);
    if (bad == NULL && (d.self ? argc != first : argc - first != 1))
        bad = "Node ID must be specified if -self isn't being used";
    if (bad == NULL)
        bad = strategy_conflict(&d);
    if (bad != NULL || drain_deadline(&d, &deadline) != 0) {
        flag_list_release(&d.meta);
        return bad ? cli_arg_error(cmd, bad) : 1;
    }
    cli_api_client(&c, &o);
    status = resolve_node(&c, d.self ? NULL : argv[first], d.self,
                          "toggling drain mode", &node, &prefix);
    if (status != 0)
        goto out;
    if (d.monitor) {
        status = monitor_only(&c, &d, node);
        goto out;
    }
    if (strcmp(prefix, cli_jstr(node, "ID")) != 0 && !d.yes &&
        (status = confirm(&d, cli_jstr(node, "ID"))) != 0) {
        status = status == 2;
        goto out;
    }
    status = drain_node(&c, &d, node, deadline);
out:
    json_decref(node);
    free(prefix);
    flag_list_release(&d.meta);
    api_client_release(&c);
    return status;
}
