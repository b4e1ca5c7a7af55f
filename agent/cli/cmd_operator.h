/* `caravan operator ...` commands (cmd_operator.c). */
#ifndef CARAVAN_AGENT_CLI_CMD_OPERATOR_H
#define CARAVAN_AGENT_CLI_CMD_OPERATOR_H

#include "agent/cli/cli.h"

int cli_cmd_operator_keyring(const struct cli_command *cmd,
                             int argc,
                             char **argv);
extern const char cli_help_operator_keyring[];

#endif
