/*
 * Job and alloc operations: job plan (cmd_job_plan.c), job history,
 * revert and inspect (cmd_job_history.c), alloc stop, restart and signal
 * (cmd_alloc_ops.c), agent-info. Registered in cli.c's command table.
 */
#ifndef CARAVAN_AGENT_CLI_CMD_JOBOPS_H
#define CARAVAN_AGENT_CLI_CMD_JOBOPS_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/cli/cli.h"

struct buf;

int cli_cmd_job_plan(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_history(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_revert(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_inspect(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_alloc_stop(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_alloc_restart(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_alloc_checks(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_alloc_signal(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_agent_info(const struct cli_command *cmd, int argc, char **argv);

extern const char cli_help_job_plan[];
extern const char cli_help_job_history[];
extern const char cli_help_job_revert[];
extern const char cli_help_job_inspect[];
extern const char cli_help_alloc_stop[];
extern const char cli_help_alloc_restart[];
extern const char cli_help_alloc_checks[];
extern const char cli_help_alloc_signal[];
extern const char cli_help_agent_info[];

/*
 * Nomad's formatJobDiff: a JobDiff (JSON) as the annotated text of
 * `job plan` and `job history -p`, without a trailing newline. verbose
 * expands added and deleted groups and tasks.
 */
void cli_format_job_diff(struct buf *b, const json_t *diff, bool verbose);

#endif
