/* `caravan system gc`, as Nomad's command/system_gc.go. */
#include <stdio.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/query.h"
#include "lib/err.h"

const char cli_help_system_gc[] =
    "Usage: caravan system gc [options]\n"
    "\n"
    "  Initializes a garbage collection of jobs, evaluations, allocations, "
    "and nodes.\n"
    "\n" CLI_GENERAL_OPTIONS;

int cli_cmd_system_gc(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    struct api_client c;
    struct api_response resp;
    struct err err = ERR_INIT;
    struct flag flags[] = {CLI_API_FLAGS(o)};
    int first, status, rc;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 0)
        return cli_arg_error(cmd, "This command takes no arguments");
    cli_api_client(&c, &o);
    api_response_init(&resp);
    rc = api_request(&c, "PUT", "/v1/system/gc", NULL, 0, &resp, &err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, &err);
    if (rc != 0)
        fprintf(stderr, "Error running system garbage-collection: %s\n",
                err.msg);
    api_response_release(&resp);
    api_client_release(&c);
    return rc == 0 ? 0 : 1;
}
