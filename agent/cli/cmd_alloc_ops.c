/*
 * `caravan alloc stop`, `alloc restart`, `alloc signal` and `agent-info`,
 * with Nomad's messages and exit codes.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_jobops.h"
#include "agent/cli/flags.h"
#include "agent/cli/format.h"
#include "agent/cli/monitor.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_alloc_stop[] =
    "Usage: caravan alloc stop [options] <allocation>\n"
    "\n"
    "  Stop an existing allocation. This command is used to signal a "
    "specific\n"
    "  alloc to shut down. When the allocation has been shut down, it will "
    "then\n"
    "  be rescheduled. An interactive monitoring session will display log\n"
    "  lines as the allocation completes shutting down.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Stop Specific Options:\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After the\n"
    "    stop command is submitted, a new evaluation ID is printed to the\n"
    "    screen.\n"
    "\n"
    "  -no-shutdown-delay\n"
    "    Accepted as Nomad's; Caravan's client does not wait for\n"
    "    shutdown_delay yet, so every stop is at once.\n"
    "\n"
    "  -verbose\n"
    "    Show full information.\n";

const char cli_help_alloc_restart[] =
    "Usage: caravan alloc restart [options] <allocation> <task>\n"
    "\n"
    "  Restart an existing allocation. This command is used to restart a\n"
    "  specific alloc and its tasks. If no task is provided then all of the\n"
    "  allocation's tasks that are currently running will be restarted.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Restart Specific Options:\n"
    "\n"
    "  -all-tasks\n"
    "    If set, all tasks in the allocation will be restarted, even the "
    "ones\n"
    "    that already ran.\n"
    "\n"
    "  -task <task-name>\n"
    "    Specify the individual task to restart.\n"
    "\n"
    "  -verbose\n"
    "    Show full information.\n";

const char cli_help_alloc_signal[] =
    "Usage: caravan alloc signal [options] <allocation> <task>\n"
    "\n"
    "  Signal an existing allocation. This command is used to signal a "
    "specific\n"
    "  alloc and its subtasks. If no task is provided then all of the\n"
    "  allocations subtasks will receive the signal.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Signal Specific Options:\n"
    "\n"
    "  -s\n"
    "    Specify the signal that the selected tasks should receive. Defaults "
    "to\n"
    "    SIGKILL.\n"
    "\n"
    "  -task <task-name>\n"
    "    Specify the individual task that will receive the signal.\n"
    "\n"
    "  -verbose\n"
    "    Show full information.\n";

const char cli_help_agent_info[] =
    "Usage: caravan agent-info [options]\n"
    "\n"
    "  Display status information about the local agent.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Agent Info Options:\n"
    "\n"
    "  -json\n"
    "    Output the agent info in its JSON format.\n";

/*
 * Resolves an alloc ID prefix as Nomad's alloc commands do. Returns 0 with
 * *alloc (the full record) or with *alloc NULL when several matched (the
 * list is printed and the command ends with 0); 1 after an error.
 */
static int resolve_alloc(struct api_client *c,
                         const char *arg,
                         bool verbose,
                         json_t **alloc)
{
    struct err err = ERR_INIT;
    json_t *allocs = NULL;
    char *prefix, *esc;
    char q[512];
    int status = 1;

    *alloc = NULL;
    if (strlen(arg) == 1) {
        fprintf(stderr, "Alloc ID must contain at least two characters.\n");
        return 1;
    }
    prefix = xstrdup(arg);
    cli_sanitize_uuid_prefix(prefix);
    esc = cli_escape(prefix);
    if (cli_get(c, &allocs, &err, "/v1/allocations?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error querying allocation: %s\n", err.msg);
        goto out;
    }
    if (json_array_size(allocs) == 0) {
        fprintf(stderr, "No allocation(s) with prefix or id %s found\n",
                cli_quote(prefix, q, sizeof(q)));
        goto out;
    }
    if (json_array_size(allocs) > 1) {
        struct buf b = BUF_INIT;

        cli_format_alloc_stubs(&b, allocs, verbose, verbose);
        printf("Prefix matched multiple allocations\n\n%s\n", buf_str(&b));
        buf_release(&b);
        status = 0;
        goto out;
    }
    {
        const json_t *stub = json_array_get(allocs, 0);

        if (cli_jstr(stub, "Namespace")[0] != '\0') {
            free(c->namespace);
            c->namespace = xstrdup(cli_jstr(stub, "Namespace"));
        }
        if (cli_get(c, alloc, &err, "/v1/allocation/%s",
                    cli_jstr(stub, "ID")) != 0) {
            fprintf(stderr, "Error querying allocation: %s\n", err.msg);
            goto out;
        }
    }
    status = 0;
out:
    json_decref(allocs);
    free(esc);
    free(prefix);
    return status;
}

static int put_json(struct api_client *c,
                    const char *path,
                    const json_t *body,
                    json_t **out,
                    struct err *err)
{
    struct api_response resp;
    char *text = json_dumps(body, JSON_COMPACT);
    int rc;

    api_response_init(&resp);
    rc = api_request(c, "PUT", path, text, strlen(text), &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0 && out != NULL)
        *out = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
                          0, NULL);
    api_response_release(&resp);
    free(text);
    return rc;
}

/* ------------------------------------------------------------- stop */

int cli_cmd_alloc_stop(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool detach = false, verbose = false, no_delay = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"detach", FLAG_BOOL, &detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
        {"no-shutdown-delay", FLAG_BOOL, &no_delay, "skip shutdown_delay"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *alloc = NULL, *resp = NULL, *body = json_object();
    char *path = NULL;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        goto done;
    if (argc - first != 1) {
        status =
            cli_arg_error(cmd, "This command takes one argument: <alloc-id>");
        goto done;
    }
    cli_api_client(&c, &o);
    status = resolve_alloc(&c, argv[first], verbose, &alloc);
    if (status != 0 || alloc == NULL)
        goto out;
    path = xasprintf("/v1/allocation/%s/stop%s", cli_jstr(alloc, "ID"),
                     no_delay ? "?no_shutdown_delay=true" : "");
    if (put_json(&c, path, body, &resp, &err) != 0) {
        fprintf(stderr, "Error stopping allocation: %s\n", err.msg);
        status = 1;
        goto out;
    }
    if (detach)
        printf("%s\n", cli_jstr(resp, "EvalID"));
    else
        status = monitor_eval(&c, cli_jstr(resp, "EvalID"), verbose);
out:
    api_client_release(&c);
done:
    free(path);
    json_decref(resp);
    json_decref(alloc);
    json_decref(body);
    return status;
}

/* ------------------------------------------------- restart and signal */

/* The task of `alloc restart|signal <alloc> [<task>]` or -task. */
static int task_arg(const struct cli_command *cmd,
                    int argc,
                    char **argv,
                    int first,
                    const char **task)
{
    if (argc - first < 1 || argc - first > 2)
        return cli_arg_error(cmd,
                             "This command takes one or two arguments: "
                             "<alloc-id> <task-name>");
    if (argc - first == 2) {
        if (*task != NULL && strcmp(*task, argv[first + 1]) != 0)
            return cli_arg_error(cmd,
                                 "Task name passed as both flag and "
                                 "argument do not match");
        *task = argv[first + 1];
    }
    return 0;
}

/* Nomad checks the task name against the alloc's group first. */
static int check_task(const json_t *alloc, const char *task)
{
    struct buf names = BUF_INIT;
    const json_t *g;
    size_t i;
    json_t *t;

    if (task == NULL)
        return 0;
    g = cli_find_group(json_object_get(alloc, "Job"),
                       cli_jstr(alloc, "TaskGroup"));
    json_array_foreach(json_object_get(g, "Tasks"), i, t)
    {
        if (strcmp(cli_jstr(t, "Name"), task) == 0) {
            buf_release(&names);
            return 0;
        }
        buf_printf(&names, "%s%s", i ? "\n" : "", cli_jstr(t, "Name"));
    }
    fprintf(stderr, "Could not find task named: %s, found:\n%s\n", task,
            buf_str(&names));
    buf_release(&names);
    return 1;
}

int cli_cmd_alloc_restart(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool all = false, verbose = false;
    const char *task = NULL;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"all-tasks", FLAG_BOOL, &all, "every task"},
        {"task", FLAG_STRING, &task, "task name"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *alloc = NULL, *body = NULL;
    char *path = NULL;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (task_arg(cmd, argc, argv, first, &task) != 0)
        return 1;
    if (all && task != NULL) {
        fprintf(stderr,
                "The -all-tasks option is not allowed when restarting "
                "a specific task.\n");
        return 1;
    }
    cli_api_client(&c, &o);
    status = resolve_alloc(&c, argv[first], verbose, &alloc);
    if (status != 0 || alloc == NULL)
        goto out;
    status = 1;
    if (check_task(alloc, task) != 0)
        goto out;
    body =
        json_pack("{s:s,s:b}", "TaskName", task ? task : "", "AllTasks", all);
    path = xasprintf("/v1/client/allocation/%s/restart", cli_jstr(alloc, "ID"));
    if (put_json(&c, path, body, NULL, &err) != 0) {
        fprintf(stderr, "Failed to restart allocation:\n\n%s\n", err.msg);
        goto out;
    }
    status = 0;
out:
    free(path);
    json_decref(body);
    json_decref(alloc);
    api_client_release(&c);
    return status;
}

int cli_cmd_alloc_signal(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool verbose = false;
    const char *task = NULL, *sig = NULL;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"s", FLAG_STRING, &sig, "signal"},
        {"task", FLAG_STRING, &task, "task name"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *alloc = NULL, *body = NULL;
    char *path = NULL;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (task_arg(cmd, argc, argv, first, &task) != 0)
        return 1;
    cli_api_client(&c, &o);
    status = resolve_alloc(&c, argv[first], verbose, &alloc);
    if (status != 0 || alloc == NULL)
        goto out;
    status = 1;
    if (check_task(alloc, task) != 0)
        goto out;
    body = json_pack("{s:s,s:s}", "Task", task ? task : "", "Signal",
                     sig ? sig : "");
    path = xasprintf("/v1/client/allocation/%s/signal", cli_jstr(alloc, "ID"));
    if (put_json(&c, path, body, NULL, &err) != 0) {
        fprintf(stderr, "Error signalling allocation: %s\n", err.msg);
        goto out;
    }
    status = 0;
out:
    free(path);
    json_decref(body);
    json_decref(alloc);
    api_client_release(&c);
    return status;
}

/* --------------------------------------------------------- agent-info */

int cli_cmd_agent_info(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool json = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"json", FLAG_BOOL, &json, "JSON output"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *self = NULL, *stats;
    const char **sections;
    size_t n;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 0)
        return cli_arg_error(cmd, "This command takes no arguments");
    cli_api_client(&c, &o);
    status = 1;
    if (cli_get(&c, &self, &err, "/v1/agent/self") != 0) {
        fprintf(stderr, "Error querying agent info: %s\n", err.msg);
        goto out;
    }
    status = 0;
    if (json) {
        cli_print_json(self);
        goto out;
    }
    stats = json_object_get(self, "stats");
    sections = cli_sorted_keys(stats, &n);
    for (size_t i = 0; i < n; i++) {
        const json_t *sec = json_object_get(stats, sections[i]);
        size_t nk;
        const char **keys = cli_sorted_keys(sec, &nk);

        printf("%s\n", sections[i]);
        for (size_t k = 0; k < nk; k++)
            printf("  %s = %s\n", keys[k], cli_jstr(sec, keys[k]));
        free(keys);
    }
    free(sections);
out:
    json_decref(self);
    api_client_release(&c);
    return status;
}

/* ------------------------------------------------------------ alloc checks */

const char cli_help_alloc_checks[] =
    "Usage: caravan alloc checks [options] <allocation>\n"
    "\n"
    "  Outputs the latest results of the provider = \"nomad\" service checks\n"
    "  of an allocation.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Checks Specific Options:\n"
    "\n"
    "  -json\n"
    "    Output the check results in JSON format.\n"
    "\n"
    "  -verbose\n"
    "    Show full information.\n";

/* One check's result as "key = value" lines. */
static void check_rows(struct buf *out, const json_t *check)
{
    struct rows kv = ROWS_INIT;
    const char *task = cli_jstr(check, "Task");
    char when[64], output[600];

    format_time_rfc3339(cli_jint(check, "Timestamp") * 1000000000LL, when,
                        sizeof(when));
    snprintf(output, sizeof(output), "%s", cli_jstr(check, "Output"));
    for (char *p = output; *p; p++) /* a '|' would split the cell */
        if (*p == '|')
            *p = '/';
    rows_addf(&kv, "ID|%s", cli_jstr(check, "ID"));
    rows_addf(&kv, "Name|%s", cli_jstr(check, "Check"));
    rows_addf(&kv, "Group|%s", cli_jstr(check, "Group"));
    rows_addf(&kv, "Task|%s", task[0] ? task : "(group)");
    rows_addf(&kv, "Service|%s", cli_jstr(check, "Service"));
    rows_addf(&kv, "Status|%s", cli_jstr(check, "Status"));
    if (cli_jint(check, "StatusCode") > 0)
        rows_addf(&kv, "StatusCode|%lld",
                  (long long)cli_jint(check, "StatusCode"));
    rows_addf(&kv, "Mode|%s", cli_jstr(check, "Mode"));
    rows_addf(&kv, "Timestamp|%s", when);
    rows_addf(&kv, "Output|%s", output);
    rows_format_kv(&kv, out);
    rows_release(&kv);
}

int cli_cmd_alloc_checks(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool json = false, verbose = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"json", FLAG_BOOL, &json, "JSON output"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *alloc = NULL, *checks = NULL, *check;
    struct buf out = BUF_INIT;
    const char *id;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument: <alloc>");
    cli_api_client(&c, &o);
    status = resolve_alloc(&c, argv[first], verbose, &alloc);
    if (status != 0 || alloc == NULL)
        goto out;
    status = 1;
    if (cli_get(&c, &checks, &err, "/v1/client/allocation/%s/checks",
                cli_jstr(alloc, "ID")) != 0) {
        fprintf(stderr, "Error querying allocation checks: %s\n", err.msg);
        goto out;
    }
    status = 0;
    if (json) {
        cli_print_json(checks);
        goto out;
    }
    buf_printf(&out, "Status of %zu Nomad Service Checks\n\n",
               json_object_size(checks));
    json_object_foreach(checks, id, check)
    {
        check_rows(&out, check);
        buf_puts(&out, "\n\n");
    }
    fputs(buf_str(&out), stdout);
out:
    buf_release(&out);
    json_decref(checks);
    json_decref(alloc);
    api_client_release(&c);
    return status;
}
