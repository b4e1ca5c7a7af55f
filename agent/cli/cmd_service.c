/* `caravan service list` and `caravan service info`, as Nomad prints them. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/format.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_service_list[] =
    "Usage: caravan service list [options]\n"
    "\n"
    "  List services registered with Caravan's native service discovery.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Service List Options:\n"
    "\n"
    "  -json\n"
    "    Output the services in JSON format.\n";

const char cli_help_service_info[] =
    "Usage: caravan service info [options] <service_name>\n"
    "\n"
    "  Show the registrations of a service.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Service Info Options:\n"
    "\n"
    "  -json\n"
    "    Output the registrations in JSON format.\n"
    "\n"
    "  -verbose\n"
    "    Display full information of each registration.\n";

/* "[a,b]" as Nomad prints a tag list. */
static void tag_list(struct buf *b, const json_t *tags)
{
    size_t i;
    json_t *t;

    buf_putc(b, '[');
    json_array_foreach(tags, i, t)
    {
        if (i > 0)
            buf_putc(b, ',');
        buf_puts(b, json_string_value(t) ? json_string_value(t) : "");
    }
    buf_putc(b, ']');
}

int cli_cmd_service_list(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts ao = {0};
    bool json = false;
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
        {"json", FLAG_BOOL, &json, "JSON output"},
    };
    struct api_client c;
    struct err err = ERR_INIT;
    struct rows r = ROWS_INIT;
    struct buf out = BUF_INIT;
    json_t *list = NULL, *ns, *svc;
    bool all;
    size_t i, k;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 0)
        return cli_arg_error(cmd, "This command takes no arguments");
    cli_api_client(&c, &ao);
    all = cli_all_namespaces(&c);
    status = 1;
    if (cli_get(&c, &list, &err, "/v1/services") != 0) {
        fprintf(stderr, "Error listing service registrations: %s\n", err.msg);
        goto out;
    }
    status = 0;
    if (json) {
        cli_print_json(list);
        goto out;
    }
    if (json_array_size(list) == 0) {
        printf("No service registrations found\n");
        goto out;
    }
    rows_addf(&r, all ? "Service Name|Namespace|Tags" : "Service Name|Tags");
    json_array_foreach(list, i, ns)
    {
        json_array_foreach(json_object_get(ns, "Services"), k, svc)
        {
            struct buf tags = BUF_INIT;

            tag_list(&tags, json_object_get(svc, "Tags"));
            if (all)
                rows_addf(&r, "%s|%s|%s", cli_jstr(svc, "ServiceName"),
                          cli_jstr(ns, "Namespace"), buf_str(&tags));
            else
                rows_addf(&r, "%s|%s", cli_jstr(svc, "ServiceName"),
                          buf_str(&tags));
            buf_release(&tags);
        }
    }
    rows_format_list(&r, &out);
    cli_output(&out);
out:
    buf_release(&out);
    rows_release(&r);
    json_decref(list);
    api_client_release(&c);
    return status;
}

static void address(char *out, size_t size, const json_t *reg)
{
    if (cli_jint(reg, "Port") > 0)
        snprintf(out, size, "%s:%lld", cli_jstr(reg, "Address"),
                 (long long)cli_jint(reg, "Port"));
    else
        snprintf(out, size, "%s", cli_jstr(reg, "Address"));
}

/* The check health an agent adds to a registration, when it has one. */
static void add_health_rows(struct rows *kv, const json_t *reg)
{
    char output[600];

    if (json_object_get(reg, "Health") == NULL)
        return;
    rows_addf(kv, "Health|%s", cli_jstr(reg, "Health"));
    snprintf(output, sizeof(output), "%s", cli_jstr(reg, "HealthOutput"));
    /* A '|' would split the cell. */
    for (char *p = output; *p; p++)
        if (*p == '|')
            *p = '/';
    if (output[0] != '\0')
        rows_addf(kv, "Health Output|%s", output);
}

int cli_cmd_service_info(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts ao = {0};
    bool json = false, verbose = false;
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
        {"json", FLAG_BOOL, &json, "JSON output"},
        {"verbose", FLAG_BOOL, &verbose, "full information"},
    };
    struct api_client c;
    struct err err = ERR_INIT;
    struct rows r = ROWS_INIT;
    struct buf out = BUF_INIT;
    json_t *list = NULL, *reg;
    char *esc = NULL, addr[300], node[9], alloc[9];
    size_t i;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument: "
                                  "<service_name>");
    cli_api_client(&c, &ao);
    esc = cli_escape(argv[first]);
    status = 1;
    if (cli_get(&c, &list, &err, "/v1/service/%s", esc) != 0) {
        fprintf(stderr, "Error listing service registrations: %s\n", err.msg);
        goto out;
    }
    status = 0;
    if (json) {
        cli_print_json(list);
        goto out;
    }
    if (json_array_size(list) == 0) {
        printf("No service registrations found\n");
        goto out;
    }
    if (verbose) {
        json_array_foreach(list, i, reg)
        {
            struct rows kv = ROWS_INIT;
            struct buf tags = BUF_INIT;

            tag_list(&tags, json_object_get(reg, "Tags"));
            address(addr, sizeof(addr), reg);
            rows_addf(&kv, "ID|%s", cli_jstr(reg, "ID"));
            rows_addf(&kv, "Service Name|%s", cli_jstr(reg, "ServiceName"));
            rows_addf(&kv, "Namespace|%s", cli_jstr(reg, "Namespace"));
            rows_addf(&kv, "Job ID|%s", cli_jstr(reg, "JobID"));
            rows_addf(&kv, "Alloc ID|%s", cli_jstr(reg, "AllocID"));
            rows_addf(&kv, "Node ID|%s", cli_jstr(reg, "NodeID"));
            rows_addf(&kv, "Datacenter|%s", cli_jstr(reg, "Datacenter"));
            rows_addf(&kv, "Address|%s", addr);
            rows_addf(&kv, "Tags|%s", buf_str(&tags));
            add_health_rows(&kv, reg);
            if (i > 0)
                buf_puts(&out, "\n\n");
            rows_format_kv(&kv, &out);
            rows_release(&kv);
            buf_release(&tags);
        }
        cli_output(&out);
        goto out;
    }
    rows_addf(&r, "Job ID|Address|Tags|Node ID|Alloc ID");
    json_array_foreach(list, i, reg)
    {
        struct buf tags = BUF_INIT;

        tag_list(&tags, json_object_get(reg, "Tags"));
        address(addr, sizeof(addr), reg);
        rows_addf(&r, "%s|%s|%s|%s|%s", cli_jstr(reg, "JobID"), addr,
                  buf_str(&tags),
                  format_short_id(cli_jstr(reg, "NodeID"), 0, node),
                  format_short_id(cli_jstr(reg, "AllocID"), 0, alloc));
        buf_release(&tags);
    }
    rows_format_list(&r, &out);
    cli_output(&out);
out:
    free(esc);
    buf_release(&out);
    rows_release(&r);
    json_decref(list);
    api_client_release(&c);
    return status;
}

const char cli_help_service_delete[] =
    "Usage: caravan service delete [options] <service_name> <service_id>\n"
    "\n"
    "  Delete a service registration from Caravan's native service discovery.\n"
    "  The registration comes back when its task registers it again.\n"
    "\n" CLI_GENERAL_OPTIONS;

int cli_cmd_service_delete(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts ao = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
    };
    struct api_client c;
    struct api_response resp;
    struct err err = ERR_INIT;
    char *name, *id, *path;
    int first, status, rc;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 2)
        return cli_arg_error(cmd, "This command takes two arguments: "
                                  "<service_name> and <service_id>");
    cli_api_client(&c, &ao);
    api_response_init(&resp);
    name = cli_escape(argv[first]);
    id = cli_escape(argv[first + 1]);
    path = xasprintf("/v1/service/%s/%s", name, id);
    rc = api_request(&c, "DELETE", path, NULL, 0, &resp, &err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, &err);
    if (rc != 0) {
        fprintf(stderr, "Error deleting service registration: %s\n", err.msg);
        status = 1;
    } else {
        printf("Successfully deleted service registration\n");
        status = 0;
    }
    free(path);
    free(name);
    free(id);
    api_response_release(&resp);
    api_client_release(&c);
    return status;
}
