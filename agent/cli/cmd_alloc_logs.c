/* `caravan alloc logs` (reference/cli.md §14). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/flags.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_alloc_logs[] =
    "Usage: caravan alloc logs [options] <allocation> <task>\n"
    "\n"
    "  Streams the stdout/stderr of the given allocation and task.\n"
    "\n"
    "General Options:\n"
    "\n"
    "  -address=<addr>\n"
    "    The address of the Caravan agent. Overrides CARAVAN_ADDR (and\n"
    "    NOMAD_ADDR). Default http://127.0.0.1:4646.\n"
    "\n"
    "Logs Specific Options:\n"
    "\n"
    "  -stderr\n"
    "    Display stderr logs.\n"
    "\n"
    "  -f\n"
    "    Causes the output to not stop when the end of the logs are\n"
    "    reached, but rather to wait for additional output.\n"
    "\n"
    "  -tail\n"
    "    Show the logs contents with offsets relative to the end of the\n"
    "    logs. If no offset is given, -n is defaulted to 10.\n"
    "\n"
    "  -n\n"
    "    Sets the tail location in best-efforted number of lines relative\n"
    "    to the end of the logs.\n"
    "\n"
    "  -c\n"
    "    Sets the tail location in number of bytes relative to the end of\n"
    "    the logs.\n"
    "\n"
    "  -task <task-name>\n"
    "    Sets the task to view the logs.\n";

static bool print_chunk(void *arg, const char *data, size_t len)
{
    (void)arg;
    return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0;
}

/* GETs path into a JSON value; prints Nomad's error on failure. */
static json_t *get(struct api_client *c, const char *path, const char *what)
{
    struct api_response resp;
    struct err err = ERR_INIT;
    json_t *v = NULL;

    api_response_init(&resp);
    if (api_request(c, "GET", path, NULL, 0, &resp, &err) == 0 &&
        resp.status / 100 != 2)
        api_status_error(&resp, &err);
    if (err.code != 0)
        fprintf(stderr, "Error querying %s: %s\n", what, err.msg);
    else
        v = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
    api_response_release(&resp);
    return v;
}

/* Keeps the last n lines of text. */
static const char *last_lines(const char *text, size_t len, int64_t n)
{
    const char *p = text + len;

    if (len > 0 && p[-1] == '\n')
        p--;
    while (p > text && n > 0) {
        p--;
        if (*p == '\n')
            n--;
    }
    return n == 0 ? p + 1 : text;
}

int cli_cmd_alloc_logs(const struct cli_command *cmd, int argc, char **argv)
{
    const char *address = NULL, *task = NULL;
    bool use_stderr = false, follow = false, tail = false, verbose = false;
    int64_t lines = -1, bytes = -1;
    struct flag flags[] = {
        {"address", FLAG_STRING, &address, "agent address"},
        {"stderr", FLAG_BOOL, &use_stderr, "stderr"},
        {"f", FLAG_BOOL, &follow, "follow"},
        {"tail", FLAG_BOOL, &tail, "from the end"},
        {"n", FLAG_INT, &lines, "lines"},
        {"c", FLAG_INT, &bytes, "bytes"},
        {"task", FLAG_STRING, &task, "task"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
    };
    struct api_client client;
    struct api_response resp;
    struct err err = ERR_INIT;
    json_t *list = NULL, *alloc = NULL, *tasks;
    char path[1024];
    const char *id, *prefix;
    int first, rc, status = 1;

    rc = flags_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                     &first, &err);
    if (rc == FLAGS_HELP) {
        fputs(cmd->help, stdout);
        return 0;
    }
    if (rc != 0)
        return cli_usage_error(cmd, "%s", err.msg);
    if (argc - first < 1 || argc - first > 2)
        return cli_usage_error(cmd, "This command takes one or two "
                                    "arguments: <allocation> <task>");
    if (argc - first == 2)
        task = argv[first + 1];
    prefix = argv[first];
    if (strlen(prefix) < 2) {
        fprintf(stderr, "Identifier must contain at least two characters.\n");
        return 1;
    }
    api_client_init(&client, address, NULL, NULL, NULL);
    snprintf(path, sizeof(path), "/v1/allocations?prefix=%s", prefix);
    list = get(&client, path, "allocation");
    if (list == NULL)
        goto out;
    if (json_array_size(list) == 0) {
        fprintf(stderr, "No allocation(s) with prefix or id \"%s\" found\n",
                prefix);
        goto out;
    }
    if (json_array_size(list) > 1) {
        fprintf(stderr, "Prefix matched multiple allocations\n");
        goto out;
    }
    id = json_string_value(json_object_get(json_array_get(list, 0), "ID"));
    snprintf(path, sizeof(path), "/v1/allocation/%s", id);
    alloc = get(&client, path, "allocation");
    if (alloc == NULL)
        goto out;
    tasks = json_object_get(alloc, "TaskStates");
    if (task == NULL) {
        const char *name;
        json_t *v;

        if (json_object_size(tasks) == 1) {
            json_object_foreach(tasks, name, v) task = name;
        } else {
            fprintf(stderr, "Failed to validate task: Allocation \"%.8s\" is "
                            "running the following tasks:\n",
                    id);
            json_object_foreach(tasks, name, v)
            fprintf(stderr, "  * %s\n", name);
            fprintf(stderr, "\nPlease specify the task.\n");
            goto out;
        }
    } else if (json_object_get(tasks, task) == NULL) {
        fprintf(stderr, "Failed to validate task: Could not find task named: "
                        "%s\n",
                task);
        goto out;
    }
    if (tail && lines < 0 && bytes < 0)
        lines = 10;
    if (lines >= 0 && bytes < 0)
        bytes = lines * 512 + 4096; /* enough text to find the lines in */
    snprintf(path, sizeof(path),
             "/v1/client/fs/logs/%s?task=%s&type=%s&plain=true&follow=%s"
             "%s%lld",
             id, task, use_stderr ? "stderr" : "stdout",
             follow ? "true" : "false",
             bytes >= 0 ? "&origin=end&offset=" : "&offset=",
             (long long)(bytes >= 0 ? bytes : 0));
    api_response_init(&resp);
    if (lines >= 0 && !follow) {
        rc = api_request(&client, "GET", path, NULL, 0, &resp, &err);
        if (rc == 0 && resp.status / 100 != 2)
            rc = api_status_error(&resp, &err);
        if (rc == 0) {
            const char *text = buf_str(&resp.body);
            const char *from = last_lines(text, resp.body.len, lines);

            fwrite(from, 1, resp.body.len - (size_t)(from - text), stdout);
        }
    } else {
        rc = api_stream(&client, path, print_chunk, NULL, &resp, &err);
        if (rc == 0 && resp.status / 100 != 2)
            rc = api_status_error(&resp, &err);
    }
    api_response_release(&resp);
    if (rc != 0) {
        fprintf(stderr, "Error reading file: %s\n", err.msg);
        goto out;
    }
    status = 0;
out:
    json_decref(list);
    json_decref(alloc);
    api_client_release(&client);
    return status;
}
