/* `caravan members` and `caravan server ...` (cmd_members.c). */
#ifndef CARAVAN_AGENT_CLI_CMD_MEMBERS_H
#define CARAVAN_AGENT_CLI_CMD_MEMBERS_H

#include "agent/cli/cli.h"

int cli_cmd_members(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_server_members(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_server_join(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_server_force_leave(const struct cli_command *cmd,
                               int argc,
                               char **argv);
extern const char cli_help_members[];
extern const char cli_help_server_members[];
extern const char cli_help_server_join[];
extern const char cli_help_server_force_leave[];

#endif
