/* Command table, dispatch and help for the caravan CLI. */
#include "agent/cli/cli.h"
#include "agent/cli/cmd_jobops.h"
#include "agent/cli/cmd_deployment.h"
#include "agent/cli/cmd_members.h"
#include "agent/cli/cmd_operator.h"
#include "agent/cli/cmd_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int run_parent(const struct cli_command *cmd, int argc, char **argv);

static const struct cli_command commands[] = {
    {"agent-info", "Display status information about the local agent",
     cli_help_agent_info, cli_cmd_agent_info, 0},
    {"alloc", "Interact with allocations", NULL, run_parent, 1},
    {"alloc checks", "Outputs service health check status information.",
     cli_help_alloc_checks, cli_cmd_alloc_checks, 0},
    {"alloc logs", "Streams the logs of a task.", cli_help_alloc_logs,
     cli_cmd_alloc_logs, 0},
    {"alloc restart", "Restart a running allocation", cli_help_alloc_restart,
     cli_cmd_alloc_restart, 0},
    {"alloc signal", "Signal a running allocation", cli_help_alloc_signal,
     cli_cmd_alloc_signal, 0},
    {"alloc status", "Display allocation status information and metadata",
     cli_help_alloc_status, cli_cmd_alloc_status, 0},
    {"alloc stop", "Stop and reschedule a running allocation",
     cli_help_alloc_stop, cli_cmd_alloc_stop, 0},
    CLI_DEPLOYMENT_COMMANDS,
    {"eval", "Interact with evaluations", NULL, run_parent, 0},
    {"eval list", "List the set of evaluations processed by Caravan",
     cli_help_eval_list, cli_cmd_eval_list, 0},
    {"eval status", "Display evaluation status and placement failure reasons",
     cli_help_eval_status, cli_cmd_eval_status, 0},
    {"job", "Interact with jobs", NULL, run_parent, 1},
    {"job allocs", "List allocations for a job", cli_help_job_allocs,
     cli_cmd_job_allocs, 0},
    {"job deployments", "List deployments for a job", cli_help_job_deployments,
     cli_cmd_job_deployments, 0},
    {"job dispatch", "Dispatch an instance of a parameterized job",
     cli_help_job_dispatch, cli_cmd_job_dispatch, 0},
    {"job history", "Display all tracked versions of a job",
     cli_help_job_history, cli_cmd_job_history, 0},
    {"job inspect", "Inspect a submitted job", cli_help_job_inspect,
     cli_cmd_job_inspect, 0},
    {"job periodic", "Interact with periodic jobs", NULL, run_parent, 0},
    {"job periodic force", "Force the launch of a periodic job",
     cli_help_job_periodic_force, cli_cmd_job_periodic_force, 0},
    {"job plan", "Dry-run a job update to determine its effects",
     cli_help_job_plan, cli_cmd_job_plan, 0},
    {"job promote", "Promote a job's canaries", cli_help_job_promote,
     cli_cmd_job_promote, 0},
    {"job revert", "Revert to a prior version of the job", cli_help_job_revert,
     cli_cmd_job_revert, 0},
    {"job run", "Run a new job or update an existing job", cli_help_job_run,
     cli_cmd_job_run, 0},
    {"job status", "Display status information about a job",
     cli_help_job_status, cli_cmd_job_status, 0},
    {"job stop", "Stop a running job", cli_help_job_stop, cli_cmd_job_stop, 0},
    {"job validate", "Checks if a given job specification is valid",
     cli_help_job_validate, cli_cmd_job_validate, 0},
    {"logs", "Streams the logs of a task.", cli_help_alloc_logs,
     cli_cmd_alloc_logs, 0},
    {"members", "Display the agents of the gossip mesh", cli_help_members,
     cli_cmd_members, 0},
    {"node", "Interact with nodes", NULL, run_parent, 1},
    {"node drain", "Toggle drain mode on a given node", cli_help_node_drain,
     cli_cmd_node_drain, 0},
    {"node eligibility", "Toggle scheduling eligibility for a given node",
     cli_help_node_eligibility, cli_cmd_node_eligibility, 0},
    {"node status", "Display status information about nodes",
     cli_help_node_status, cli_cmd_node_status, 0},
    {"operator", "Provides cluster-level tools for Caravan operators", NULL,
     run_parent, 0},
    {"operator gossip", "Provides access to the Gossip subsystem", NULL,
     run_parent, 0},
    {"operator gossip keyring", "Manages gossip layer encryption keys",
     cli_help_operator_keyring, cli_cmd_operator_keyring, 0},
    {"plan", "Dry-run a job update to determine its effects", cli_help_job_plan,
     cli_cmd_job_plan, 1},
    {"run", "Run a new job or update an existing job", cli_help_job_run,
     cli_cmd_job_run, 1},
    {"server", "Interact with servers", NULL, run_parent, 1},
    {"server force-leave", "Force a server into the 'left' state",
     cli_help_server_force_leave, cli_cmd_server_force_leave, 0},
    {"server join", "Join server nodes together", cli_help_server_join,
     cli_cmd_server_join, 0},
    {"server members", "Display a list of the known servers and their status",
     cli_help_server_members, cli_cmd_server_members, 0},
    {"service", "Interact with registered services", NULL, run_parent, 1},
    {"service delete", "Deregister a registered Caravan service",
     cli_help_service_delete, cli_cmd_service_delete, 0},
    {"service info", "Display an individual Caravan service registration",
     cli_help_service_info, cli_cmd_service_info, 0},
    {"service list", "Display all registered Caravan services",
     cli_help_service_list, cli_cmd_service_list, 0},
    {"status", "Display the status output for a resource", cli_help_status,
     cli_cmd_status, 1},
    {"stop", "Stop a running job", cli_help_job_stop, cli_cmd_job_stop, 1},
    {"validate", "Checks if a given job specification is valid",
     cli_help_job_validate, cli_cmd_job_validate, 1},
    {"system", "Interact with the system API", NULL, run_parent, 0},
    {"system gc", "Run the system garbage collection process",
     cli_help_system_gc, cli_cmd_system_gc, 0},
    {"version", "Prints the Caravan version", cli_help_version, cli_cmd_version,
     1},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_main_help(FILE *out)
{
    fprintf(out,
            "Usage: caravan [-version] [-help] <command> [args]\n\n"
            "Common commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (commands[i].common)
            fprintf(out, "    %-12s%s\n", commands[i].name,
                    commands[i].synopsis);
    }
    fprintf(out, "\nOther commands:\n");
    fprintf(out, "    %-12s%s\n", "help", "Show help for a command");
}

/* Prints the subcommands of a parent such as "job". */
static void print_parent_help(const struct cli_command *parent, FILE *out)
{
    size_t plen = strlen(parent->name);

    fprintf(out, "Usage: caravan %s <subcommand> [options] [args]\n\n",
            parent->name);
    fprintf(out, "  %s.\n\nSubcommands:\n", parent->synopsis);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const char *n = commands[i].name;

        if (strncmp(n, parent->name, plen) == 0 && n[plen] == ' ' &&
            strchr(n + plen + 1, ' ') == NULL)
            fprintf(out, "    %-12s%s\n", n + plen + 1, commands[i].synopsis);
    }
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int is_help_flag(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0 ||
           strcmp(a, "--help") == 0;
}

static int is_version_flag(const char *a)
{
    return strcmp(a, "-v") == 0 || strcmp(a, "-version") == 0 ||
           strcmp(a, "--version") == 0;
}

static int run_parent(const struct cli_command *cmd, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    print_parent_help(cmd, stderr);
    return 1;
}

static void print_help(const struct cli_command *cmd, FILE *out)
{
    if (cmd->help != NULL)
        fputs(cmd->help, out);
    else
        print_parent_help(cmd, out);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;

    if (fmt != NULL) {
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    print_help(cmd, stderr);
    return 1;
}

/* `caravan help [command words...]` */
static int run_help(int argc, char **argv)
{
    char name[128] = "";
    const struct cli_command *cmd;

    if (argc == 0) {
        print_main_help(stdout);
        return 0;
    }
    for (int i = 0; i < argc && i < 3; i++) {
        if (i > 0)
            strncat(name, " ", sizeof(name) - strlen(name) - 1);
        strncat(name, argv[i], sizeof(name) - strlen(name) - 1);
    }
    cmd = find_command(name);
    if (cmd == NULL) {
        fprintf(stderr, "Unknown command: %s\n\n", name);
        print_main_help(stderr);
        return 127;
    }
    print_help(cmd, stdout);
    return 0;
}

int cli_main(int argc, char **argv)
{
    const struct cli_command *cmd = NULL;
    char name[128];
    int used = 0;

    if (argc < 2) {
        print_main_help(stderr);
        return 127;
    }
    if (is_help_flag(argv[1])) {
        print_main_help(stdout);
        return 0;
    }
    if (is_version_flag(argv[1]))
        return cli_cmd_version(find_command("version"), 0, NULL);
    if (strcmp(argv[1], "help") == 0)
        return run_help(argc - 2, argv + 2);
    if (argv[1][0] == '-') {
        fprintf(stderr, "Invalid flags before the subcommand: %s\n\n", argv[1]);
        print_main_help(stderr);
        return 1;
    }
    /* The longest run of words that names a command wins: "job run". */
    snprintf(name, sizeof(name), "%s", argv[1]);
    for (int i = 1; i < argc && i <= 3; i++) {
        const struct cli_command *c;

        if (i > 1) {
            if (argv[i][0] == '-')
                break;
            if (strlen(name) + strlen(argv[i]) + 2 > sizeof(name))
                break;
            strcat(name, " ");
            strcat(name, argv[i]);
        }
        c = find_command(name);
        if (c != NULL) {
            cmd = c;
            used = i;
        }
    }
    if (cmd == NULL) {
        fprintf(stderr, "Unknown command: %s\n\n", argv[1]);
        print_main_help(stderr);
        return 127;
    }
    return cmd->run(cmd, argc - used - 1, argv + used + 1);
}
