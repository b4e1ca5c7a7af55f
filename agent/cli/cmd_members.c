/*
 * The gossip mesh from the command line: `caravan members`, `caravan
 * server members` (Nomad's columns), `caravan server join` and `caravan
 * server force-leave`, over the agent's /v1/agent/ endpoints.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_members.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_members[] =
    "Usage: caravan members [options]\n"
    "\n"
    "  Lists every agent of the gossip mesh, servers and clients, as the\n"
    "  agent addressed sees them.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Members Options:\n"
    "\n"
    "  -detailed\n"
    "    Show each member's tags.\n";

const char cli_help_server_members[] =
    "Usage: caravan server members [options]\n"
    "\n"
    "  Display a list of the known servers and their status. Only Caravan\n"
    "  servers are listed (see 'caravan members' for every agent).\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Server Members Options:\n"
    "\n"
    "  -detailed, -verbose\n"
    "    Show detailed information about each member (protocol and tags).\n";

const char cli_help_server_join[] =
    "Usage: caravan server join [options] <addr> [<addr>...]\n"
    "\n"
    "  Joins the agent to the mesh through the agents at the given\n"
    "  addresses (ip:port, the gossip port).\n"
    "\n" CLI_GENERAL_OPTIONS;

const char cli_help_server_force_leave[] =
    "Usage: caravan server force-leave [options] <node>\n"
    "\n"
    "  Forces a failed member to leave the mesh at once: its services go\n"
    "  from every catalogue without waiting for it to be reaped.\n"
    "\n" CLI_GENERAL_OPTIONS;

static int cmp_name(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

    return strcmp(cli_jstr(x, "Name"), cli_jstr(y, "Name"));
}

/* The members sorted by name (borrowed from list). */
static json_t **sorted(json_t *list, size_t *n)
{
    json_t *members = json_object_get(list, "Members");
    json_t **v = xcalloc(json_array_size(members) + 1, sizeof(*v));

    *n = json_array_size(members);
    for (size_t i = 0; i < *n; i++)
        v[i] = json_array_get(members, i);
    qsort(v, *n, sizeof(*v), cmp_name);
    return v;
}

static void tag_text(struct buf *b, const json_t *tags)
{
    const char **keys;
    size_t n;

    keys = cli_sorted_keys(tags, &n);
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s=%s", i ? "," : "", keys[i],
                   json_string_value(json_object_get(tags, keys[i]))
                       ? json_string_value(json_object_get(tags, keys[i]))
                       : "");
    free(keys);
}

static int list_members(const struct cli_command *cmd,
                        int argc,
                        char **argv,
                        bool servers_only)
{
    struct cli_api_opts ao = {0};
    bool detailed = false, verbose = false;
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
        {"detailed", FLAG_BOOL, &detailed, "show tags"},
        {"verbose", FLAG_BOOL, &verbose, "show tags"},
    };
    struct api_client c;
    struct err err = ERR_INIT;
    struct rows r = ROWS_INIT;
    struct buf out = BUF_INIT;
    json_t *list = NULL, *leader = NULL, **v = NULL;
    size_t n = 0;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 0)
        return cli_arg_error(cmd, "This command takes no arguments");
    detailed = detailed || verbose;
    cli_api_client(&c, &ao);
    status = 1;
    if (cli_get(&c, &list, &err, "/v1/agent/members") != 0) {
        fprintf(stderr, "Error querying members: %s\n", err.msg);
        goto out;
    }
    v = sorted(list, &n);
    if (servers_only) {
        /* Nomad's leader column: the member at the leader's address. */
        if (cli_get(&c, &leader, &err, "/v1/status/leader") != 0)
            err_clear(&err);
        rows_addf(&r, detailed ? "Name|Address|Port|Status|Leader|Protocol|"
                                 "Raft Version|Build|Datacenter|Region|Tags"
                               : "Name|Address|Port|Status|Leader|Raft "
                                 "Version|Build|Datacenter|Region");
    } else {
        rows_addf(&r, detailed ? "Name|Address|Status|Role|Datacenter|Region|"
                                 "Build|Tags"
                               : "Name|Address|Status|Role|Datacenter|Region|"
                                 "Build");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *m = v[i], *tags = json_object_get(m, "Tags");
        const char *role = cli_jstr(tags, "role");
        struct buf t = BUF_INIT;
        char addr[128];

        if (servers_only && strcmp(role, "nomad") != 0)
            continue;
        tag_text(&t, tags);
        if (servers_only) {
            bool is_leader =
                json_is_string(leader) && cli_jstr(tags, "rpc_addr")[0] &&
                strcmp(json_string_value(leader), cli_jstr(tags, "rpc_addr")) ==
                    0;

            if (detailed)
                rows_addf(&r, "%s|%s|%lld|%s|%s|%lld|%s|%s|%s|%s|%s",
                          cli_jstr(m, "Name"), cli_jstr(m, "Addr"),
                          (long long)cli_jint(m, "Port"), cli_jstr(m, "Status"),
                          is_leader ? "true" : "false",
                          (long long)cli_jint(m, "ProtocolCur"),
                          cli_jstr(tags, "raft_vsn"), cli_jstr(tags, "build"),
                          cli_jstr(tags, "dc"), cli_jstr(tags, "region"),
                          buf_str(&t));
            else
                rows_addf(&r, "%s|%s|%lld|%s|%s|%s|%s|%s|%s",
                          cli_jstr(m, "Name"), cli_jstr(m, "Addr"),
                          (long long)cli_jint(m, "Port"), cli_jstr(m, "Status"),
                          is_leader ? "true" : "false",
                          cli_jstr(tags, "raft_vsn"), cli_jstr(tags, "build"),
                          cli_jstr(tags, "dc"), cli_jstr(tags, "region"));
        } else {
            snprintf(addr, sizeof(addr), "%s:%lld", cli_jstr(m, "Addr"),
                     (long long)cli_jint(m, "Port"));
            if (detailed)
                rows_addf(&r, "%s|%s|%s|%s|%s|%s|%s|%s", cli_jstr(m, "Name"),
                          addr, cli_jstr(m, "Status"),
                          strcmp(role, "nomad") == 0 ? "server" : role,
                          cli_jstr(tags, "dc"), cli_jstr(tags, "region"),
                          cli_jstr(tags, "build"), buf_str(&t));
            else
                rows_addf(&r, "%s|%s|%s|%s|%s|%s|%s", cli_jstr(m, "Name"),
                          addr, cli_jstr(m, "Status"),
                          strcmp(role, "nomad") == 0 ? "server" : role,
                          cli_jstr(tags, "dc"), cli_jstr(tags, "region"),
                          cli_jstr(tags, "build"));
        }
        buf_release(&t);
    }
    rows_format_list_spaces(&r, &out);
    cli_output(&out);
    status = 0;
out:
    free(v);
    buf_release(&out);
    rows_release(&r);
    json_decref(list);
    json_decref(leader);
    api_client_release(&c);
    return status;
}

int cli_cmd_members(const struct cli_command *cmd, int argc, char **argv)
{
    return list_members(cmd, argc, argv, false);
}

int cli_cmd_server_members(const struct cli_command *cmd, int argc, char **argv)
{
    return list_members(cmd, argc, argv, true);
}

/* PUT path; the JSON answer into *out when asked. */
static int put(struct api_client *c, const char *path, json_t **out,
               struct err *err)
{
    struct api_response resp;
    int rc;

    api_response_init(&resp);
    rc = api_request(c, "PUT", path, NULL, 0, &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0 && out != NULL)
        *out = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
    api_response_release(&resp);
    return rc;
}

int cli_cmd_server_join(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts ao = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
    };
    struct api_client c;
    struct err err = ERR_INIT;
    struct buf path = BUF_INIT;
    json_t *res = NULL;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first < 1)
        return cli_arg_error(cmd, "One or more addresses are required to "
                                  "join");
    cli_api_client(&c, &ao);
    buf_puts(&path, "/v1/agent/join");
    for (int i = first; i < argc; i++) {
        char *esc = cli_escape(argv[i]);

        buf_printf(&path, "%caddress=%s", i == first ? '?' : '&', esc);
        free(esc);
    }
    status = 1;
    if (put(&c, buf_str(&path), &res, &err) != 0) {
        fprintf(stderr, "Error joining: %s\n", err.msg);
    } else if (cli_jint(res, "num_joined") == 0) {
        fprintf(stderr, "Error joining: %s\n", cli_jstr(res, "error"));
    } else {
        printf("Joined %lld servers successfully\n",
               (long long)cli_jint(res, "num_joined"));
        status = 0;
    }
    json_decref(res);
    buf_release(&path);
    api_client_release(&c);
    return status;
}

int cli_cmd_server_force_leave(const struct cli_command *cmd,
                               int argc,
                               char **argv)
{
    struct cli_api_opts ao = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
    };
    struct api_client c;
    struct err err = ERR_INIT;
    char *esc, *path;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument: <node>");
    cli_api_client(&c, &ao);
    esc = cli_escape(argv[first]);
    path = xasprintf("/v1/agent/force-leave?node=%s", esc);
    status = 0;
    if (put(&c, path, NULL, &err) != 0) {
        fprintf(stderr, "Error force-leaving server %s: %s\n", argv[first],
                err.msg);
        status = 1;
    }
    free(path);
    free(esc);
    api_client_release(&c);
    return status;
}
