/* `caravan version` */
#include "config.h"

#include <stdio.h>

#include "agent/cli/cli.h"
#include "agent/cli/flags.h"
#include "lib/err.h"

const char cli_help_version[] =
    "Usage: caravan version\n"
    "\n"
    "  Version prints out the running version of Caravan.\n";

int cli_cmd_version(const struct cli_command *cmd, int argc, char **argv)
{
    struct err err = ERR_INIT;
    int first = 0;
    int rc;

    rc = argc > 0 ? flags_parse(NULL, 0, argc, argv, &first, &err) : 0;
    if (rc == FLAGS_HELP) {
        fputs(cli_help_version, stdout);
        return 0;
    }
    if (rc != 0)
        return cli_usage_error(cmd, "%s", err.msg);
    if (first < argc)
        return cli_usage_error(cmd, "This command takes no arguments");
    printf("Caravan v%s\n", PACKAGE_VERSION);
    return 0;
}
