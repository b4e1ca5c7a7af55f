/*
 * `caravan job periodic force`, as Nomad's job_periodic_force.go: resolve
 * the argument among periodic jobs, POST /v1/job/:id/periodic/force and
 * follow the child's evaluation.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/monitor.h"
#include "agent/cli/query.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_job_periodic_force[] =
    "Usage: caravan job periodic force [options] <job id>\n"
    "\n"
    "  This command is used to force the creation of a new instance of a "
    "periodic job.\n"
    "  This is used to immediately run a periodic job, even if it violates "
    "the job's\n"
    "  prohibit_overlap setting.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Periodic Force Options:\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After the "
    "force,\n"
    "    the evaluation ID will be printed to the screen, which can be used "
    "to\n"
    "    examine the evaluation using the eval status command.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

int cli_cmd_job_periodic_force(const struct cli_command *cmd,
                               int argc,
                               char **argv)
{
    struct cli_api_opts ao = {0};
    bool detach = false, verbose = false;
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
        {"detach", FLAG_BOOL, &detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
    };
    struct api_client c;
    struct api_response resp;
    struct err err = ERR_INIT;
    struct buf path = BUF_INIT;
    char *id = NULL, *ns = NULL, *esc = NULL, *prefix;
    json_t *reply = NULL;
    char q[512];
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument: <job id>");
    cli_api_client(&c, &ao);
    prefix = cli_trim_dup(argv[first]);
    status = 1;
    if (cli_job_by_prefix_kind(&c, prefix, "Periodic", "periodic", &id,
                                &ns) != 0)
        goto out;
    if (ns[0] != '\0') {
        free(c.namespace);
        c.namespace = xstrdup(ns);
    }
    esc = cli_escape(id);
    buf_printf(&path, "/v1/job/%s/periodic/force", esc);
    api_response_init(&resp);
    if (api_request(&c, "POST", buf_str(&path), "{}", 2, &resp, &err) == 0 &&
        resp.status / 100 != 2)
        api_status_error(&resp, &err);
    if (err.code == 0)
        reply = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
    api_response_release(&resp);
    if (err.code != 0 || reply == NULL) {
        fprintf(stderr, "Error forcing periodic job %s: %s\n",
                cli_quote(id, q, sizeof(q)),
                err.code ? err.msg : "malformed answer");
        goto out;
    }
    if (detach) {
        printf("Force periodic successful\nEvaluation ID: %s\n",
               cli_jstr(reply, "EvalID"));
        status = 0;
    } else {
        status = monitor_eval(&c, cli_jstr(reply, "EvalID"), verbose);
    }
out:
    json_decref(reply);
    buf_release(&path);
    free(esc);
    free(id);
    free(ns);
    free(prefix);
    api_client_release(&c);
    return status;
}
