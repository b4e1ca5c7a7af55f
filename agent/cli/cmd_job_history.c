/*
 * `caravan job history`, `job revert` and `job inspect`: the stored
 * versions of a job, registering an older one again, and the job as the
 * server holds it. Output and messages as Nomad's CLI.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_jobops.h"
#include "agent/cli/flags.h"
#include "agent/cli/monitor.h"
#include "agent/cli/query.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_job_history[] =
    "Usage: caravan job history [options] <job>\n"
    "\n"
    "  History is used to display the known versions of a particular job. "
    "The\n"
    "  command can display the diff between job versions and can be useful "
    "for\n"
    "  understanding the changes that occurred to the job as well as "
    "deciding\n"
    "  job versions to revert to.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "History Options:\n"
    "\n"
    "  -p\n"
    "    Display the difference between each job and its predecessor.\n"
    "\n"
    "  -full\n"
    "    Display the full job definition for each version.\n"
    "\n"
    "  -version <job version>\n"
    "    Display only the history for the given job version.\n"
    "\n"
    "  -json\n"
    "    Output the job versions in a JSON format.\n";

const char cli_help_job_revert[] =
    "Usage: caravan job revert [options] <job> <version>\n"
    "\n"
    "  Revert is used to revert a job to a prior version of the job. The\n"
    "  available versions to revert to can be found using \"caravan job\n"
    "  history\" command.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Revert Options:\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After job "
    "revert,\n"
    "    the evaluation ID will be printed to the screen.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

const char cli_help_job_inspect[] =
    "Usage: caravan job inspect [options] <job>\n"
    "\n"
    "  Inspect is used to see the specification of a submitted job.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Inspect Options:\n"
    "\n"
    "  -version <job version>\n"
    "    Display the job at the given job version.\n"
    "\n"
    "  -json\n"
    "    Output the job in its JSON format.\n";

/* Nomad's parseVersion: an unsigned decimal. */
static bool parse_version(const char *s, int64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

static int bad_version(const char *s)
{
    fprintf(stderr,
            "Error parsing version value \"%s\": strconv.ParseUint: parsing "
            "\"%s\": invalid syntax\n",
            s, s);
    return 1;
}

/* GET /v1/job/:id/versions; errors printed. */
static int get_versions(struct api_client *c,
                        const char *id,
                        bool diffs,
                        json_t **out)
{
    struct err err = ERR_INIT;
    char *esc = cli_escape(id);
    int rc = cli_get(c, out, &err, "/v1/job/%s/versions%s", esc,
                     diffs ? "?diffs=true" : "");

    free(esc);
    if (rc != 0)
        fprintf(stderr, "Error retrieving job versions: %s\n", err.msg);
    return rc == 0 ? 0 : 1;
}

/* Resolves a job argument and points the client at its namespace. */
static int resolve_job(struct api_client *c, const char *arg, char **id)
{
    char *ns = NULL;

    if (cli_job_by_prefix(c, arg, id, &ns) != 0)
        return 1;
    if (ns[0] != '\0') {
        free(c->namespace);
        c->namespace = ns;
    } else {
        free(ns);
    }
    return 0;
}

/* ------------------------------------------------------------ history */

static void format_version(const json_t *job, const json_t *diff, bool full)
{
    char when[64];
    struct buf b = BUF_INIT;

    cli_time_abs(cli_jint(job, "SubmitTime"), when, sizeof(when));
    printf("Version     = %lld\n", (long long)cli_jint(job, "Version"));
    printf("Stable      = %s\n", cli_jbool(job, "Stable") ? "true" : "false");
    printf("Submit Date = %s\n", when);
    if (diff != NULL && !json_is_null(diff) &&
        strcmp(cli_jstr(diff, "Type"), "None") != 0) {
        cli_format_job_diff(&b, diff, false);
        printf("Diff        = \n%s\n", buf_str(&b));
    }
    if (full) {
        char *text = json_dumps(job, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

        printf("Full        = JSON Job:\n%s\n", text ? text : "");
        free(text);
    }
    buf_release(&b);
}

struct history_opts
{
    bool diff, full, json;
    const char *version;
};

static int show_history(struct api_client *c,
                        const char *arg,
                        const struct history_opts *o)
{
    json_t *resp = NULL, *versions, *diffs, *v;
    int64_t want = -1;
    char *id = NULL;
    int status = 1;
    size_t i, n;

    if (o->version != NULL && !parse_version(o->version, &want))
        return bad_version(o->version);
    if (resolve_job(c, arg, &id) != 0)
        return 1;
    if (get_versions(c, id, o->diff, &resp) != 0)
        goto out;
    versions = json_object_get(resp, "Versions");
    diffs = json_object_get(resp, "Diffs");
    n = json_array_size(versions);
    status = 0;
    if (want < 0 && o->json) {
        cli_print_json(versions);
        goto out;
    }
    json_array_foreach(versions, i, v)
    {
        if (want >= 0 && cli_jint(v, "Version") != want)
            continue;
        if (o->json) {
            cli_print_json(v);
            goto out;
        }
        format_version(v, json_array_get(diffs, i), o->full);
        if (want >= 0)
            goto out;
        if (i + 1 != n)
            printf("\n");
    }
    if (want >= 0) {
        fprintf(stderr, "No job with version %lld found\n", (long long)want);
        status = 1;
    }
out:
    json_decref(resp);
    free(id);
    return status;
}

int cli_cmd_job_history(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    struct history_opts h = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"p", FLAG_BOOL, &h.diff, "show diffs"},
        {"full", FLAG_BOOL, &h.full, "full job"},
        {"json", FLAG_BOOL, &h.json, "JSON output"},
        {"version", FLAG_STRING, &h.version, "one version"},
    };
    struct api_client c;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument: <job>");
    cli_api_client(&c, &o);
    status = show_history(&c, argv[first], &h);
    api_client_release(&c);
    return status;
}

/* ------------------------------------------------------------- revert */

static int post_revert(struct api_client *c,
                       const char *id,
                       int64_t version,
                       json_t **out,
                       struct err *err)
{
    struct api_response resp;
    json_t *body = json_pack("{s:s,s:I,s:n}", "JobID", id, "JobVersion",
                             (json_int_t)version, "EnforcePriorVersion");
    char *text = json_dumps(body, JSON_COMPACT);
    char *esc = cli_escape(id), *path = xasprintf("/v1/job/%s/revert", esc);
    int rc;

    api_response_init(&resp);
    rc = api_request(c, "PUT", path, text, strlen(text), &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0)
        *out = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
                          0, NULL);
    api_response_release(&resp);
    free(path);
    free(esc);
    free(text);
    json_decref(body);
    return rc;
}

int cli_cmd_job_revert(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool detach = false, verbose = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"detach", FLAG_BOOL, &detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *resp = NULL;
    char *id = NULL;
    const char *eval;
    int64_t version;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 2)
        return cli_arg_error(cmd,
                             "This command takes two arguments: <job> "
                             "<version>");
    if (!parse_version(argv[first + 1], &version))
        return bad_version(argv[first + 1]);
    cli_api_client(&c, &o);
    status = 1;
    if (resolve_job(&c, argv[first], &id) != 0)
        goto out;
    if (post_revert(&c, id, version, &resp, &err) != 0) {
        /* Nomad's CLI says "retrieving" here too. */
        fprintf(stderr, "Error retrieving job versions: %s\n", err.msg);
        goto out;
    }
    status = 0;
    eval = cli_jstr(resp, "EvalID");
    if (eval[0] == '\0')
        goto out;
    if (detach)
        printf("Evaluation ID: %s\n", eval);
    else
        status = monitor_eval(&c, eval, verbose);
out:
    json_decref(resp);
    free(id);
    api_client_release(&c);
    return status;
}

/* ------------------------------------------------------------ inspect */

int cli_cmd_job_inspect(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    const char *version = NULL;
    bool json = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"version", FLAG_STRING, &version, "job version"},
        {"json", FLAG_BOOL, &json, "JSON output"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *job = NULL, *resp = NULL, *wrap;
    char *id = NULL, *esc = NULL;
    int64_t want = -1;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first == 0 && json) {
        /* Nomad lists every job then. */
        cli_api_client(&c, &o);
        status = 1;
        if (cli_get(&c, &job, &err, "/v1/jobs") != 0) {
            fprintf(stderr, "Error querying jobs: %s\n", err.msg);
            goto out;
        }
        status = 0;
        cli_print_json(job);
        goto out;
    }
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument: <job>");
    if (version != NULL && !parse_version(version, &want))
        return bad_version(version);
    cli_api_client(&c, &o);
    status = 1;
    if (resolve_job(&c, argv[first], &id) != 0)
        goto out;
    esc = cli_escape(id);
    if (want < 0) {
        if (cli_get(&c, &job, &err, "/v1/job/%s", esc) != 0) {
            fprintf(stderr, "Error inspecting job: %s\n", err.msg);
            goto out;
        }
    } else {
        size_t i;
        json_t *v;

        if (cli_get(&c, &resp, &err, "/v1/job/%s/versions", esc) != 0) {
            fprintf(stderr, "Error inspecting job: %s\n", err.msg);
            goto out;
        }
        json_array_foreach(json_object_get(resp, "Versions"), i, v)
        {
            if (cli_jint(v, "Version") == want)
                job = json_incref(v);
        }
        if (job == NULL) {
            fprintf(stderr,
                    "Error inspecting job: job \"%s\" with version %lld "
                    "couldn't be found\n",
                    id, (long long)want);
            goto out;
        }
    }
    status = 0;
    if (json) {
        cli_print_json(job);
        goto out;
    }
    wrap = json_pack("{s:O}", "Job", job);
    cli_print_json(wrap);
    json_decref(wrap);
out:
    json_decref(job);
    json_decref(resp);
    free(esc);
    free(id);
    api_client_release(&c);
    return status;
}
