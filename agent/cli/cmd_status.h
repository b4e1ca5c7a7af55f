/*
 * The status family of commands: job status/allocs/stop, status, eval
 * status/list, node status and alloc status (cmd_job_status.c,
 * cmd_job_stop.c, cmd_eval.c, cmd_node.c, cmd_alloc.c). Registered in
 * cli.c's command table; cli.h holds the older commands.
 */
#ifndef CARAVAN_AGENT_CLI_CMD_STATUS_H
#define CARAVAN_AGENT_CLI_CMD_STATUS_H

#include <stdbool.h>

#include "agent/cli/cli.h"

int cli_cmd_job_status(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_allocs(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_stop(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_dispatch(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_service_list(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_service_info(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_service_delete(const struct cli_command *cmd,
                           int argc,
                           char **argv);
int cli_cmd_job_periodic_force(const struct cli_command *cmd,
                               int argc,
                               char **argv);
int cli_cmd_status(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_eval_status(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_eval_list(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_node_status(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_alloc_status(const struct cli_command *cmd, int argc, char **argv);
/* node drain/eligibility (cmd_node_drain.c), system gc (cmd_system.c). */
int cli_cmd_node_drain(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_node_eligibility(const struct cli_command *cmd,
                             int argc,
                             char **argv);
int cli_cmd_system_gc(const struct cli_command *cmd, int argc, char **argv);
extern const char cli_help_node_drain[];
extern const char cli_help_node_eligibility[];
extern const char cli_help_system_gc[];

struct buf;
struct json_t;
/* The node stub table of "Prefix matched multiple nodes" (cmd_node.c). */
void cli_format_node_stubs(struct buf *out,
                           const struct json_t *nodes,
                           bool verbose);

extern const char cli_help_job_status[];
extern const char cli_help_job_allocs[];
extern const char cli_help_job_stop[];
extern const char cli_help_job_periodic_force[];
extern const char cli_help_job_dispatch[];
extern const char cli_help_service_list[];
extern const char cli_help_service_info[];
extern const char cli_help_service_delete[];
extern const char cli_help_status[];
extern const char cli_help_eval_status[];
extern const char cli_help_eval_list[];
extern const char cli_help_node_status[];
extern const char cli_help_alloc_status[];

#endif
