/*
 * `caravan job validate` and `caravan job run`.
 *
 * Both read a jobspec the same way Nomad's CLI does: HCL by default with
 * -var/-var-file (and NOMAD_VAR_* from the environment), or API JSON with
 * -json; "-" reads standard input. The HCL is parsed here, on the user's
 * machine, and the agent receives Nomad-shaped JSON.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/flags.h"
#include "agent/cli/format.h"
#include "agent/cli/job_source.h"
#include "agent/cli/monitor.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/hcl.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"
#include "lib/time.h"

const char cli_help_job_validate[] =
    "Usage: caravan job validate [options] <path>\n"
    "Alias: caravan validate\n"
    "\n"
    "  Checks if a given HCL job file has a valid specification. This can be\n"
    "  used to check for any syntax errors or validation problems with a job.\n"
    "\n"
    "  If the supplied path is \"-\", the jobfile is read from stdin.\n"
    "\n"
    "General Options:\n"
    "\n"
    "  -address=<addr>\n"
    "    The address of the Caravan agent. Overrides CARAVAN_ADDR (and\n"
    "    NOMAD_ADDR). Default = http://127.0.0.1:4646\n"
    "\n"
    "  -region=<region>\n"
    "  -namespace=<namespace>\n"
    "  -token=<token>\n"
    "\n"
    "Validate Options:\n"
    "\n"
    "  -json\n"
    "    Parses the job file as JSON. If the outer object has a Job field,\n"
    "    such as from \"caravan job inspect\" or \"caravan run -output\",\n"
    "    the value of the field is used as the job.\n"
    "\n"
    "  -var 'key=value'\n"
    "    Variable for template, can be used multiple times.\n"
    "\n"
    "  -var-file=path\n"
    "    Path to HCL2 file containing user variables.\n";

const char cli_help_job_run[] =
    "Usage: caravan job run [options] <path>\n"
    "Alias: caravan run\n"
    "\n"
    "  Starts running a new job or updates an existing job using the\n"
    "  specification located at <path>. This is the main command used to\n"
    "  interact with Caravan.\n"
    "\n"
    "  If the supplied path is \"-\", the jobfile is read from stdin.\n"
    "\n"
    "General Options:\n"
    "\n"
    "  -address=<addr>\n"
    "    The address of the Caravan agent. Overrides CARAVAN_ADDR (and\n"
    "    NOMAD_ADDR). Default = http://127.0.0.1:4646\n"
    "\n"
    "  -region=<region>\n"
    "  -namespace=<namespace>\n"
    "  -token=<token>\n"
    "\n"
    "Run Options:\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode.\n"
    "\n"
    "  -json\n"
    "    Parses the job file as JSON.\n"
    "\n"
    "  -output\n"
    "    Output the JSON that would be submitted to the HTTP API without\n"
    "    submitting the job.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n"
    "\n"
    "  -check-index\n"
    "    If set, the job is only registered or updated if the passed job\n"
    "    modify index matches the server side version.\n"
    "\n"
    "  -var 'key=value'\n"
    "    Variable for template, can be used multiple times.\n"
    "\n"
    "  -var-file=path\n"
    "    Path to HCL2 file containing user variables.\n";

static int read_source(const char *path, struct buf *text, struct err *err)
{
    if (strcmp(path, "-") == 0)
        return buf_read_fd(text, STDIN_FILENO, err);
    return buf_read_file(text, path, err);
}

/* Splits each -var "k=v" into hcl_var entries pointing into argv. */
static int split_vars(const struct flag_list *vars,
                      struct hcl_var *out,
                      char **names,
                      struct err *err)
{
    for (size_t i = 0; i < vars->n; i++) {
        const char *eq = strchr(vars->items[i], '=');

        if (eq == NULL || eq == vars->items[i])
            return err_set(err, ERR_INVALID,
                           "invalid -var value \"%s\": expected key=value",
                           vars->items[i]);
        names[i] = xstrndup(vars->items[i], (size_t)(eq - vars->items[i]));
        out[i].name = names[i];
        out[i].value = eq + 1;
    }
    return 0;
}

int cli_job_load(const struct job_source *src,
                 const char *path,
                 struct job **out,
                 struct err *err)
{
    struct hcl_var *vars = xcalloc(src->vars.n + 1, sizeof(*vars));
    char **names = xcalloc(src->vars.n + 1, sizeof(*names));
    struct hcl_options opts = {0};
    struct buf text = BUF_INIT;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    struct job *job = NULL;
    int rc;

    rc = read_source(path, &text, err);
    if (rc != 0)
        goto out;
    if (src->json) {
        job = job_new();
        rc = job_decode_json(text.data ? text.data : "", text.len, job, err);
        if (rc != 0)
            goto out;
    } else {
        rc = split_vars(&src->vars, vars, names, err);
        if (rc != 0)
            goto out;
        opts.vars = vars;
        opts.nvars = src->vars.n;
        opts.var_files = src->var_files.items;
        opts.nvar_files = src->var_files.n;
        opts.use_env = true;
        opts.allow_file_functions = true;
        rc = jobspec_parse(text.data ? text.data : "", text.len, name, &opts,
                           &job, err);
        if (rc != 0) {
            err_wrap(err, "Error parsing job file from %s:\n", name);
            goto out;
        }
    }
    *out = job;
    job = NULL;
out:
    job_free(job);
    buf_release(&text);
    for (size_t i = 0; i < src->vars.n; i++)
        free(names[i]);
    free(names);
    free(vars);
    return rc;
}

void cli_job_source_release(struct job_source *src)
{
    flag_list_release(&src->vars);
    flag_list_release(&src->var_files);
}

/* Validates without an agent: the same canonicalize + validate it runs. */
static int validate_local(struct job *job, struct err *err)
{
    job_canonicalize(job);
    return job_validate(job, err);
}

/*
 * Asks the agent to validate. Returns 0 with *validated=false when no agent
 * answers, so the caller falls back to validate_local().
 */
static int validate_remote(const struct job_source *src,
                           const struct job *job,
                           bool *answered,
                           struct err *err)
{
    struct api_client client;
    struct api_response resp;
    json_t *body = json_object();
    json_t *reply = NULL;
    char *text;
    const char *msg;
    int rc;

    *answered = false;
    api_client_init(&client, src->address, src->token, src->region,
                    src->namespace);
    api_response_init(&resp);
    json_object_set_new(body, "Job", job_to_json(job));
    text = json_dumps(body, JSON_COMPACT);
    rc = api_request(&client, "PUT", "/v1/validate/job", text, strlen(text),
                     &resp, err);
    if (rc == -ECONNREFUSED) {
        err_clear(err);
        rc = 0;
        goto out;
    }
    if (rc != 0)
        goto out;
    *answered = true;
    if (resp.status / 100 != 2) {
        rc = api_status_error(&resp, err);
        goto out;
    }
    reply = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0,
                       NULL);
    msg = json_string_value(json_object_get(reply, "Error"));
    if (msg != NULL && *msg != '\0')
        rc = err_set(err, ERR_INVALID, "%s", msg);
out:
    json_decref(reply);
    free(text);
    json_decref(body);
    api_response_release(&resp);
    api_client_release(&client);
    return rc;
}

int cli_cmd_job_validate(const struct cli_command *cmd, int argc, char **argv)
{
    struct job_source src = {0};
    struct flag flags[] = {JOB_SOURCE_FLAGS(src)};
    struct err err = ERR_INIT;
    struct job *job = NULL;
    bool answered;
    int first, rc, status = 1;

    rc = flags_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                     &first, &err);
    if (rc == FLAGS_HELP) {
        fputs(cmd->help, stdout);
        status = 0;
        goto out;
    }
    if (rc != 0) {
        status = cli_usage_error(cmd, "%s", err.msg);
        goto out;
    }
    if (argc - first != 1) {
        status =
            cli_usage_error(cmd, "This command takes one argument: <path>");
        goto out;
    }
    rc = cli_job_load(&src, argv[first], &job, &err);
    if (rc != 0) {
        fprintf(stderr, "Error getting job struct: %s\n", err.msg);
        goto out;
    }
    rc = validate_remote(&src, job, &answered, &err);
    if (rc == 0 && !answered) {
        printf(
            "Driver configuration not validated since connection to "
            "Caravan agent couldn't be established.\n\n");
        rc = validate_local(job, &err);
    }
    if (rc == ERR_INVALID) {
        fprintf(stderr, "Job validation errors:\n%s\n", err.msg);
        goto out;
    }
    if (rc != 0) {
        fprintf(stderr, "Error validating job: %s\n", err.msg);
        goto out;
    }
    printf("Job validation successful\n");
    status = 0;
out:
    job_free(job);
    cli_job_source_release(&src);
    return status;
}

/* POST /v1/jobs and report the evaluation. */
static int submit(const struct job_source *src,
                  const struct job *job,
                  int64_t check_index,
                  bool detach,
                  bool verbose,
                  int *status,
                  struct err *err)
{
    struct api_client client;
    struct api_response resp;
    json_t *body = json_object();
    json_t *reply = NULL;
    const char *eval_id;
    char *text;
    int rc;

    api_client_init(&client, src->address, src->token,
                    job->region ? job->region : src->region, src->namespace);
    api_response_init(&resp);
    json_object_set_new(body, "Job", job_to_json(job));
    if (check_index >= 0) {
        json_object_set_new(body, "EnforceIndex", json_true());
        json_object_set_new(body, "JobModifyIndex", json_integer(check_index));
    }
    text = json_dumps(body, JSON_COMPACT);
    rc =
        api_request(&client, "PUT", "/v1/jobs", text, strlen(text), &resp, err);
    if (rc != 0)
        goto out;
    if (resp.status / 100 != 2) {
        rc = api_status_error(&resp, err);
        goto out;
    }
    reply = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0,
                       NULL);
    eval_id = json_string_value(json_object_get(reply, "EvalID"));
    *status = 0;
    if (detach || eval_id == NULL || *eval_id == '\0') {
        char next[160];

        printf("Job registration successful\n");
        if (eval_id != NULL && *eval_id != '\0')
            printf("Evaluation ID: %s\n", eval_id);
        else if (job->periodic != NULL && job->parameterized == NULL &&
                 job->periodic->enabled != TRI_FALSE &&
                 format_next_launch(job->periodic, time_wall_unix_ns(), next,
                                    sizeof(next)))
            printf("Approximate next launch time: %s\n", next);
    } else {
        *status = monitor_eval(&client, eval_id, verbose);
    }
out:
    json_decref(reply);
    free(text);
    json_decref(body);
    api_response_release(&resp);
    api_client_release(&client);
    return rc;
}

/*
 * A -check-index refusal prints as Nomad's CLI prints it: the server's
 * "Enforcing job modify index ..." text alone, then "Job not updated".
 */
static bool print_enforce_error(const char *msg)
{
    const char *start = strstr(msg, "(Enforcing job modify index");
    const char *end = start ? strrchr(start, ')') : NULL;

    if (start == NULL || end == NULL)
        return false;
    fprintf(stderr, "%.*s\nJob not updated\n", (int)(end - start - 1),
            start + 1);
    return true;
}

int cli_cmd_job_run(const struct cli_command *cmd, int argc, char **argv)
{
    struct job_source src = {0};
    bool detach = false, output = false, verbose = false;
    bool preserve = false, override = false, strict = true;
    int64_t check_index = -1, eval_priority = 0;
    struct flag flags[] = {
        JOB_SOURCE_FLAGS(src),
        {"detach", FLAG_BOOL, &detach, "do not monitor"},
        {"output", FLAG_BOOL, &output, "print the JSON"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
        {"check-index", FLAG_INT, &check_index, "job modify index"},
        {"eval-priority", FLAG_INT, &eval_priority, "eval priority"},
        {"preserve-counts", FLAG_BOOL, &preserve, "keep counts"},
        {"policy-override", FLAG_BOOL, &override, "override policies"},
        {"hcl2-strict", FLAG_BOOL, &strict, "strict HCL2"},
    };
    struct err err = ERR_INIT;
    struct job *job = NULL;
    int first, rc, status = 1;

    rc = flags_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                     &first, &err);
    if (rc == FLAGS_HELP) {
        fputs(cmd->help, stdout);
        status = 0;
        goto out;
    }
    if (rc != 0) {
        status = cli_usage_error(cmd, "%s", err.msg);
        goto out;
    }
    if (argc - first != 1) {
        status =
            cli_usage_error(cmd, "This command takes one argument: <path>");
        goto out;
    }
    rc = cli_job_load(&src, argv[first], &job, &err);
    if (rc != 0) {
        fprintf(stderr, "Error getting job struct: %s\n", err.msg);
        goto out;
    }
    if (output) {
        char *text = job_encode_json_wrapped(job);

        printf("%s\n", text);
        free(text);
        status = 0;
        goto out;
    }
    rc = submit(&src, job, check_index, detach, verbose, &status, &err);
    if (rc != 0 && print_enforce_error(err.msg)) {
        status = 1;
        goto out;
    }
    if (rc != 0) {
        fprintf(stderr, "Error submitting job: %s\n", err.msg);
        status = 1;
        goto out;
    }
out:
    job_free(job);
    cli_job_source_release(&src);
    return status;
}
