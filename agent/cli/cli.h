/*
 * The `caravan` command line (everything but `caravan agent`).
 *
 * Commands, flags, help texts, output formats and exit codes follow
 * Nomad's CLI (reference/cli.md): 0 success (also -help, -version), 1 any
 * error or usage problem (the command's usage is printed), 127 an unknown
 * command. The CLI talks to agents only through agent/api (HTTP).
 */
#ifndef CARAVAN_AGENT_CLI_CLI_H
#define CARAVAN_AGENT_CLI_CLI_H

#include <stdio.h>

/* Runs the command in argv[1..] and returns the process exit code. */
int cli_main(int argc, char **argv);

/* One command of the table: "job run", "version", ... */
struct cli_command
{
    const char *name;
    const char *synopsis; /* one line for the command list */
    const char *help;     /* full text for `-help`; NULL for a parent */
    int (*run)(const struct cli_command *cmd, int argc, char **argv);
    int common; /* listed under "Common commands" */
};

/* Prints the command's help and a hint to stderr, returns 1. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Implemented in cmd_*.c. */
int cli_cmd_version(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_validate(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_job_run(const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_alloc_logs(const struct cli_command *cmd, int argc, char **argv);

extern const char cli_help_version[];
extern const char cli_help_job_validate[];
extern const char cli_help_job_run[];
extern const char cli_help_alloc_logs[];

#endif
