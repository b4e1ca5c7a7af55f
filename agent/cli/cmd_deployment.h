/*
 * `caravan deployment list|status|promote|fail|pause|resume` and
 * `caravan job deployments|promote` (cmd_deployment.c), and the deployment
 * block other commands print.
 */
#ifndef CARAVAN_AGENT_CLI_CMD_DEPLOYMENT_H
#define CARAVAN_AGENT_CLI_CMD_DEPLOYMENT_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/cli/cli.h"

struct buf;

/*
 * Nomad's formatDeployment: the ID/Job ID/Job Version/Status/Description
 * block, then "Deployed" and the per-group table (no newline at the end).
 */
void cli_format_deployment(struct buf *out, const json_t *d, bool verbose);

int cli_cmd_deployment_list(const struct cli_command *cmd,
                            int argc,
                            char **argv);
int cli_cmd_deployment_status(const struct cli_command *cmd,
                              int argc,
                              char **argv);
int cli_cmd_deployment_promote(const struct cli_command *cmd,
                               int argc,
                               char **argv);
int cli_cmd_deployment_fail(const struct cli_command *cmd,
                            int argc,
                            char **argv);
int cli_cmd_deployment_pause(const struct cli_command *cmd,
                             int argc,
                             char **argv);
int cli_cmd_deployment_resume(const struct cli_command *cmd,
                              int argc,
                              char **argv);

/* The rows of cli.c's command table (one line there). */
#define CLI_DEPLOYMENT_COMMANDS                                               \
    {"deployment", "Interact with deployments", NULL, run_parent, 0},         \
        {"deployment fail", "Manually fail a deployment",                     \
         cli_help_deployment_fail, cli_cmd_deployment_fail, 0},               \
        {"deployment list", "List all deployments", cli_help_deployment_list, \
         cli_cmd_deployment_list, 0},                                         \
        {"deployment pause", "Pause a deployment", cli_help_deployment_pause, \
         cli_cmd_deployment_pause, 0},                                        \
        {"deployment promote", "Promote canaries in a deployment",            \
         cli_help_deployment_promote, cli_cmd_deployment_promote, 0},         \
        {"deployment resume", "Resume a paused deployment",                   \
         cli_help_deployment_resume, cli_cmd_deployment_resume, 0},           \
    {                                                                         \
        "deployment status", "Display the status of a deployment",            \
            cli_help_deployment_status, cli_cmd_deployment_status, 0          \
    }

int cli_cmd_job_deployments(const struct cli_command *cmd,
                            int argc,
                            char **argv);

int cli_cmd_job_promote(const struct cli_command *cmd, int argc, char **argv);

extern const char cli_help_job_deployments[];
extern const char cli_help_job_promote[];
extern const char cli_help_deployment_list[];
extern const char cli_help_deployment_status[];
extern const char cli_help_deployment_promote[];
extern const char cli_help_deployment_fail[];
extern const char cli_help_deployment_pause[];
extern const char cli_help_deployment_resume[];

/* The per-group table of a deployment (Nomad's formatDeploymentGroups). */
void cli_format_deployment_groups(struct buf *out, const json_t *tgs);

#endif
