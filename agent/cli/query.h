/*
 * What the read commands (job status, job allocs, job stop, eval, node and
 * alloc status) share: the general API flags, JSON reads from the agent,
 * tolerant accessors for the JSON they get back, ID prefix resolution,
 * and the sections several commands print the same way (allocation
 * lists, placement failure metrics, the job list).
 */
#ifndef CARAVAN_AGENT_CLI_QUERY_H
#define CARAVAN_AGENT_CLI_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cli/flags.h"

struct api_client;
struct buf;
struct cli_command;
struct err;

/* Help text of the general options, shared by every API command. */
#define CLI_GENERAL_OPTIONS                                               \
    "General Options:\n"                                                  \
    "\n"                                                                  \
    "  -address=<addr>\n"                                                 \
    "    The address of the Caravan agent. Overrides CARAVAN_ADDR (and\n" \
    "    NOMAD_ADDR). Default = http://127.0.0.1:4646\n"                  \
    "\n"                                                                  \
    "  -region=<region>\n"                                                \
    "  -namespace=<namespace>\n"                                          \
    "  -token=<token>\n"

/* The general options of every command that talks to an agent. */
struct cli_api_opts
{
    const char *address;
    const char *region;
    const char *namespace;
    const char *token;
};

#define CLI_API_FLAGS(o)                                         \
    {"address", FLAG_STRING, &(o).address, "agent address"},     \
        {"region", FLAG_STRING, &(o).region, "region"},          \
        {"namespace", FLAG_STRING, &(o).namespace, "namespace"}, \
    {                                                            \
        "token", FLAG_STRING, &(o).token, "ACL token"            \
    }

void cli_api_client(struct api_client *c, const struct cli_api_opts *o);

/* True when the client targets every namespace ("*"). */
bool cli_all_namespaces(const struct api_client *c);

/*
 * Parses flags for cmd. Returns -1 when the command goes on (*first is
 * the first positional argument), else the exit status: 0 after -help
 * (the help went to stdout), 1 after a flag error (usage on stderr).
 */
int cli_flags(const struct cli_command *cmd,
              const struct flag *flags,
              size_t n,
              int argc,
              char **argv,
              int *first);

/*
 * A wrong number of arguments, as Nomad reports it: msg, then
 * "For additional help try 'caravan <cmd> -help'", on stderr. Returns 1.
 */
int cli_arg_error(const struct cli_command *cmd, const char *msg);

/* GET a printf-formatted path and parse the JSON answer. */
int cli_get(struct api_client *c,
            json_t **out,
            struct err *err,
            const char *fmt,
            ...) __attribute__((format(printf, 4, 5)));

/* A copy of s without surrounding white space, as Go's TrimSpace. Heap. */
char *cli_trim_dup(const char *s);

/* Percent-encodes s for a path segment or a query value. Heap. */
char *cli_escape(const char *s);

/* Member accessors that read null or a missing key as "", 0, false. */
const char *cli_jstr(const json_t *o, const char *key);
int64_t cli_jint(const json_t *o, const char *key);
bool cli_jbool(const json_t *o, const char *key);

/*
 * A time member as unix nanoseconds: integer nanoseconds (Caravan) or an
 * RFC 3339 string (Nomad's time.Time); 0 for null, 0 or the zero time.
 */
int64_t cli_jtime(const json_t *o, const char *key);

/* The keys of obj, sorted (strings borrowed from obj). Free the array. */
const char **cli_sorted_keys(const json_t *obj, size_t *n);

/* Nomad's formatTime: RFC 3339, or "" before 1970-01-01T00:00:01. */
void cli_time_abs(int64_t unix_ns, char *out, size_t size);

/* Nomad's prettyTimeDiff against now: "5m ago"; "" for 0. */
void cli_time_ago(int64_t unix_ns, char *out, size_t size);

/* Go's %q for ordinary strings: "web", with \" \\ and controls escaped. */
const char *cli_quote(const char *s, char *out, size_t size);

/* go-humanize's IBytes: "300 MiB", "1.5 GiB", "8 B". */
void cli_ibytes(uint64_t bytes, char *out, size_t size);

/*
 * Nomad's sanitizeUUIDPrefix: drops the last character when the prefix
 * has an odd number of non-hyphen characters (UUID indexes are searched
 * by whole bytes). In place.
 */
void cli_sanitize_uuid_prefix(char *prefix);

/*
 * An alloc, eval or node ID argument made ready for ?prefix=: one
 * character prints "Identifier must contain at least two characters."
 * and gives NULL; else a sanitized copy (heap).
 */
char *cli_uuid_prefix(const char *arg);

/*
 * Resolves a job ID prefix through GET /v1/jobs?prefix= as Nomad's
 * JobIDByPrefix: an exact ID wins, one match is taken, several print
 * "Prefix \"x\" matched multiple jobs" and the list, none prints
 * "No job(s) with prefix or ID \"x\" found". Errors are printed to
 * stderr; returns 0 with *id and *ns (heap) or 1.
 */
int cli_job_by_prefix(struct api_client *c,
                      const char *prefix,
                      char **id,
                      char **ns);

/* Prints v as Nomad's -json does (4-space indent) and a newline. */
/*
 * The one job whose list stub has flag ("Periodic", "ParameterizedJob")
 * that prefix names, an exact ID winning; else prints "No <noun> job(s)
 * with prefix or ID ..." and returns 1.
 */
int cli_job_by_prefix_kind(struct api_client *c,
                           const char *prefix,
                           const char *flag,
                           const char *noun,
                           char **id,
                           char **ns);
void cli_print_json(const json_t *v);

/* A section heading: a blank line, then the heading. */
void cli_heading(const char *heading);

/* Prints b and a newline, as Nomad's Ui.Output. */
void cli_output(const struct buf *b);

/* The job list of `job status`: "ID  Type  Priority  Status  Submit Date". */
void cli_format_job_list(struct buf *out, const json_t *jobs, bool show_ns);

/*
 * The allocation list of `job status`, `job allocs`, `eval status` from
 * allocation stubs: "No allocations placed" for none. verbose picks the
 * long columns and absolute times, full_ids untruncated IDs.
 */
void cli_format_alloc_stubs(struct buf *out,
                            const json_t *allocs,
                            bool verbose,
                            bool full_ids);

/*
 * The placement metrics of an AllocMetric, one "<prefix>* ..." line each
 * (no newline after the last); with scores the score table follows.
 */
void cli_format_alloc_metrics(struct buf *out,
                              const json_t *metric,
                              bool scores,
                              const char *prefix);

/* The task group named name in a job's TaskGroups, or NULL. */
const json_t *cli_find_group(const json_t *job, const char *name);

/* Nomad's evalFailureStatus: "N/A - In Progress", "true" or "false". */
const char *cli_eval_failures(const json_t *eval, bool *has_failures);

#endif
