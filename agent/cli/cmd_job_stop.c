/*
 * `caravan job stop` (alias `caravan stop`), as Nomad's job_stop.go:
 * resolve each argument as a job ID prefix, confirm when only a prefix
 * was given, DELETE /v1/job/:id and follow the evaluation.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/monitor.h"
#include "agent/cli/query.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_job_stop[] =
    "Usage: caravan job stop [options] <job>\n"
    "Alias: caravan stop\n"
    "\n"
    "  Stop an existing job. This command is used to signal allocations to "
    "shut\n"
    "  down for the given job ID. Upon successful deregistration, an "
    "interactive\n"
    "  monitor session will start to display log lines as the job unwinds "
    "its\n"
    "  allocations and completes shutting down. It is safe to exit the "
    "monitor\n"
    "  early using ctrl+c.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Stop Options:\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After the\n"
    "    deregister command is submitted, a new evaluation ID is printed to "
    "the\n"
    "    screen, which can be used to examine the evaluation using the eval "
    "status\n"
    "    command.\n"
    "\n"
    "  -eval-priority\n"
    "    Override the priority of the evaluations produced as a result of "
    "this job\n"
    "    deregistration. By default, this is set to the priority of the job.\n"
    "\n"
    "  -global\n"
    "    Stop a multi-region job in all its regions. By default job stop will "
    "stop\n"
    "    only a single region at a time. Ignored for single-region jobs.\n"
    "\n"
    "  -no-shutdown-delay\n"
    "    Ignore the group and task shutdown_delay configuration so that there "
    "is no\n"
    "    delay between service deregistration and task shutdown. Note that "
    "using this\n"
    "    flag will result in failed network connections to the allocations "
    "being\n"
    "    stopped.\n"
    "\n"
    "  -purge\n"
    "    Purge is used to stop the job and purge it from the system. If not "
    "set, the\n"
    "    job will still be queryable and will be purged by the garbage "
    "collector.\n"
    "\n"
    "  -yes\n"
    "    Automatic yes to prompts.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

struct stop_opts
{
    bool detach, purge, verbose, global, yes, no_shutdown_delay;
    int64_t eval_priority;
};

/*
 * Asks on stdout, reads one line from stdin. Returns true to go on; else
 * *status is the exit status (0 for a plain "no", 1 for no answer).
 */
static bool confirm(const char *question, int *status)
{
    char *line = NULL;
    size_t cap = 0, len;
    ssize_t got;
    bool ok = false;

    printf("%s ", question);
    fflush(stdout);
    got = getline(&line, &cap, stdin);
    /* Like Go's ReadString('\n'): a last line without newline is an EOF. */
    if (got <= 0 || line[got - 1] != '\n') {
        fprintf(stderr, "Failed to parse answer: EOF\n");
        *status = 1;
        goto out;
    }
    len = (size_t)got;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (len == 0 || line[0] == 'n' || line[0] == 'N') {
        printf("Cancelling job stop\n");
        *status = 0;
    } else if ((line[0] == 'y' || line[0] == 'Y') && len > 1) {
        printf("For confirmation, an exact \u2018y\u2019 is required.\n");
        *status = 0;
    } else if (strcmp(line, "y") != 0) {
        printf("No confirmation detected. For confirmation, an exact 'y' is "
               "required.\n");
        *status = 1;
    } else {
        ok = true;
    }
out:
    free(line);
    return ok;
}

static int deregister(struct api_client *c,
                      const char *id,
                      const struct stop_opts *o,
                      char **eval_id,
                      struct err *err)
{
    struct api_response resp;
    struct buf path = BUF_INIT;
    char *esc = cli_escape(id);
    json_t *reply = NULL;
    char sep = '?';
    int rc;

    *eval_id = NULL;
    buf_printf(&path, "/v1/job/%s", esc);
    if (o->purge) {
        buf_printf(&path, "%cpurge=true", sep);
        sep = '&';
    }
    if (o->global) {
        buf_printf(&path, "%cglobal=true", sep);
        sep = '&';
    }
    if (o->eval_priority > 0) {
        buf_printf(&path, "%ceval_priority=%lld", sep,
                   (long long)o->eval_priority);
        sep = '&';
    }
    if (o->no_shutdown_delay)
        buf_printf(&path, "%cno_shutdown_delay=true", sep);
    api_response_init(&resp);
    rc = api_request(c, "DELETE", buf_str(&path), NULL, 0, &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0) {
        reply = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
        *eval_id = xstrdup(cli_jstr(reply, "EvalID"));
    }
    json_decref(reply);
    api_response_release(&resp);
    buf_release(&path);
    free(esc);
    return rc;
}

static int stop_one(struct api_client *c,
                    const char *arg,
                    bool only_one,
                    const struct stop_opts *o)
{
    char *prefix = cli_trim_dup(arg);
    char *id = NULL, *ns = NULL, *eval_id = NULL, *esc = NULL;
    struct err err = ERR_INIT;
    json_t *job = NULL;
    char q[512], question[640];
    int status = 1;

    if (cli_job_by_prefix(c, prefix, &id, &ns) != 0)
        goto out;
    if (ns[0] != '\0') {
        free(c->namespace);
        c->namespace = xstrdup(ns);
    }
    esc = cli_escape(id);
    if (cli_get(c, &job, &err, "/v1/job/%s", esc) != 0) {
        fprintf(stderr, "Error querying job %s: %s\n",
                cli_quote(id, q, sizeof(q)), err.msg);
        goto out;
    }
    /* Only a prefix was given: make sure it is the job the user meant. */
    if (only_one && strcmp(prefix, id) != 0 && !o->yes) {
        snprintf(question, sizeof(question),
                 "Are you sure you want to stop job %s? [y/N]",
                 cli_quote(id, q, sizeof(q)));
        if (!confirm(question, &status))
            goto out;
    }
    if (only_one && !o->global && !o->yes &&
        json_is_object(json_object_get(job, "Multiregion"))) {
        snprintf(question, sizeof(question),
                 "Are you sure you want to stop multi-region job %s in a "
                 "single region? [y/N]",
                 cli_quote(id, q, sizeof(q)));
        if (!confirm(question, &status))
            goto out;
    }
    if (deregister(c, id, o, &eval_id, &err) != 0) {
        fprintf(stderr, "Error deregistering job with id %s err: %s\n", prefix,
                err.msg);
        status = 1;
        goto out;
    }
    /* Periodic and parameterized parents have no evaluation to follow. */
    if (eval_id[0] == '\0') {
        status = 0;
    } else if (o->detach) {
        printf("%s\n", eval_id);
        status = 0;
    } else {
        status = monitor_eval(c, eval_id, o->verbose);
    }
out:
    json_decref(job);
    free(esc);
    free(eval_id);
    free(ns);
    free(id);
    free(prefix);
    return status;
}

int cli_cmd_job_stop(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts ao = {0};
    struct stop_opts o = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
        {"detach", FLAG_BOOL, &o.detach, "do not monitor"},
        {"purge", FLAG_BOOL, &o.purge, "purge the job"},
        {"verbose", FLAG_BOOL, &o.verbose, "full ids"},
        {"global", FLAG_BOOL, &o.global, "all regions"},
        {"yes", FLAG_BOOL, &o.yes, "no prompts"},
        {"no-shutdown-delay", FLAG_BOOL, &o.no_shutdown_delay,
         "skip shutdown delays"},
        {"eval-priority", FLAG_INT, &o.eval_priority, "eval priority"},
    };
    struct api_client c;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first < 1)
        return cli_arg_error(cmd,
                             "This command takes at least one argument: <job>");
    cli_api_client(&c, &ao);
    /* Nomad stops several jobs concurrently and exits with the first
     * failure; one after the other gives the same statuses. */
    for (int i = first; i < argc; i++) {
        int s = stop_one(&c, argv[i], argc - first == 1, &o);

        if (s != 0 && status < 0)
            status = s;
    }
    api_client_release(&c);
    return status < 0 ? 0 : status;
}
