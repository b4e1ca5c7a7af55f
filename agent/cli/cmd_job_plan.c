/*
 * `caravan job plan`: a dry run of the scheduler for a job file, printed
 * as Nomad prints it (the annotated job diff, "Scheduler dry-run:", the
 * job modify index and the `job run -check-index` hint). Exit 0 when no
 * allocation would be created or destroyed, 1 when some would, 255 on
 * errors.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_jobops.h"
#include "agent/cli/flags.h"
#include "agent/cli/job_source.h"
#include "agent/cli/query.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"

const char cli_help_job_plan[] =
    "Usage: caravan job plan [options] <path>\n"
    "Alias: caravan plan\n"
    "\n"
    "  Plan invokes a dry-run of the scheduler to determine the effects of\n"
    "  submitting either a new or updated version of a job. The plan will "
    "not\n"
    "  result in any changes to the cluster but gives insight into whether "
    "the\n"
    "  job could be run successfully and how it would affect existing\n"
    "  allocations.\n"
    "\n"
    "  A job modify index is returned with the plan. This value can be used\n"
    "  when submitting the job using \"caravan job run -check-index\", "
    "which\n"
    "  will check that the job was not modified between the plan and run\n"
    "  command before invoking the scheduler.\n"
    "\n"
    "  Plan will return one of the following exit codes:\n"
    "    * 0: No allocations created or destroyed.\n"
    "    * 1: Allocations created or destroyed.\n"
    "    * 255: Error determining plan results.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Plan Options:\n"
    "\n"
    "  -diff\n"
    "    Determines whether the diff between the remote job and planned job "
    "is\n"
    "    shown. Defaults to true.\n"
    "\n"
    "  -json\n"
    "    Parses the job file as JSON.\n"
    "\n"
    "  -policy-override\n"
    "    Sets the flag to force override any soft mandatory policies.\n"
    "\n"
    "  -var 'key=value'\n"
    "    Variable for template, can be used multiple times.\n"
    "\n"
    "  -var-file=path\n"
    "    Path to HCL2 file containing user variables.\n"
    "\n"
    "  -verbose\n"
    "    Increase diff verbosity.\n";

/* ---------------------------------------------------------- the diff */

static const char *dtype(const json_t *d)
{
    return cli_jstr(d, "Type");
}

/* Nomad's getDiffString without colour: the marker and its length. */
static const char *marker(const char *type, size_t *len)
{
    const char *m = "";

    if (strcmp(type, "Added") == 0)
        m = "+ ";
    else if (strcmp(type, "Deleted") == 0)
        m = "- ";
    else if (strcmp(type, "Edited") == 0)
        m = "+/- ";
    if (len != NULL)
        *len = strlen(m);
    return m;
}

static void spaces(struct buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(b, ' ');
}

static void longest(const json_t *fields,
                    const json_t *objects,
                    size_t *field,
                    size_t *mark)
{
    size_t i, l;
    json_t *d;

    *field = *mark = 0;
    json_array_foreach(fields, i, d)
    {
        if (strlen(cli_jstr(d, "Name")) > *field)
            *field = strlen(cli_jstr(d, "Name"));
        marker(dtype(d), &l);
        if (l > *mark)
            *mark = l;
    }
    json_array_foreach(objects, i, d)
    {
        marker(dtype(d), &l);
        if (l > *mark)
            *mark = l;
    }
}

static void annotations(struct buf *b, const json_t *list)
{
    size_t i;
    json_t *a;

    if (json_array_size(list) == 0)
        return;
    buf_puts(b, " (");
    json_array_foreach(list, i, a)
        buf_printf(b, "%s%s", i ? ", " : "", json_string_value(a));
    buf_putc(b, ')');
}

static void quoted(struct buf *b, const char *s)
{
    char q[4096];

    buf_puts(b, cli_quote(s, q, sizeof(q)));
}

static void field_line(struct buf *b,
                       const json_t *d,
                       size_t start,
                       size_t kpad,
                       size_t vpad)
{
    const char *type = dtype(d);

    spaces(b, start);
    buf_puts(b, marker(type, NULL));
    spaces(b, kpad);
    buf_printf(b, "%s: ", cli_jstr(d, "Name"));
    spaces(b, vpad);
    if (strcmp(type, "Deleted") == 0) {
        quoted(b, cli_jstr(d, "Old"));
    } else if (strcmp(type, "Edited") == 0) {
        quoted(b, cli_jstr(d, "Old"));
        buf_puts(b, " => ");
        quoted(b, cli_jstr(d, "New"));
    } else {
        quoted(b, cli_jstr(d, "New"));
    }
    annotations(b, json_object_get(d, "Annotations"));
}

static void fields_and_objects(struct buf *b,
                               const json_t *fields,
                               const json_t *objects,
                               size_t start,
                               size_t lfield,
                               size_t lmark);

static void object_block(struct buf *b,
                         const json_t *d,
                         size_t start,
                         size_t kpad)
{
    size_t mlen, lf, lm;
    const json_t *fields = json_object_get(d, "Fields");
    const json_t *objects = json_object_get(d, "Objects");

    spaces(b, start);
    buf_puts(b, marker(dtype(d), &mlen));
    spaces(b, kpad);
    buf_printf(b, "%s {\n", cli_jstr(d, "Name"));
    longest(fields, objects, &lf, &lm);
    fields_and_objects(b, fields, objects, start + kpad + 2, lf, lm);
    buf_putc(b, '\n');
    spaces(b, start + mlen + kpad);
    buf_putc(b, '}');
}

/* Nomad's alignedFieldAndObjects: no newline after the last line. */
static void fields_and_objects(struct buf *b,
                               const json_t *fields,
                               const json_t *objects,
                               size_t start,
                               size_t lfield,
                               size_t lmark)
{
    size_t nf = json_array_size(fields), no = json_array_size(objects);
    size_t i, l;
    json_t *d;

    json_array_foreach(fields, i, d)
    {
        marker(dtype(d), &l);
        field_line(b, d, start, lmark - l,
                   lfield - strlen(cli_jstr(d, "Name")));
        if (i + 1 != nf || no > 0)
            buf_putc(b, '\n');
    }
    json_array_foreach(objects, i, d)
    {
        marker(dtype(d), &l);
        object_block(b, d, start, lmark - l);
        if (i + 1 != no)
            buf_putc(b, '\n');
    }
}

static void task_block(struct buf *b,
                       const json_t *t,
                       size_t start,
                       size_t tpad,
                       bool verbose)
{
    const char *type = dtype(t);
    size_t lf, lm;

    spaces(b, start);
    buf_puts(b, marker(type, NULL));
    spaces(b, tpad);
    buf_puts(b, "Task: ");
    quoted(b, cli_jstr(t, "Name"));
    annotations(b, json_object_get(t, "Annotations"));
    if (strcmp(type, "None") == 0 ||
        ((strcmp(type, "Added") == 0 || strcmp(type, "Deleted") == 0) &&
         !verbose))
        return;
    buf_putc(b, '\n');
    longest(json_object_get(t, "Fields"), json_object_get(t, "Objects"), &lf,
            &lm);
    fields_and_objects(b, json_object_get(t, "Fields"),
                       json_object_get(t, "Objects"), start + 2, lf, lm);
}

static void group_updates(struct buf *b, const json_t *updates)
{
    size_t n;
    const char **keys;

    if (json_object_size(updates) == 0) {
        buf_putc(b, '\n');
        return;
    }
    keys = cli_sorted_keys(updates, &n);
    buf_puts(b, " (");
    for (size_t i = 0; i < n; i++)
        buf_printf(
            b, "%s%lld %s", i ? ", " : "",
            (long long)json_integer_value(json_object_get(updates, keys[i])),
            keys[i]);
    buf_puts(b, ")\n");
    free(keys);
}

static void group_block(struct buf *b,
                        const json_t *g,
                        size_t gpad,
                        bool verbose)
{
    const json_t *fields = json_object_get(g, "Fields");
    const json_t *objects = json_object_get(g, "Objects");
    const json_t *tasks = json_object_get(g, "Tasks");
    size_t lf, lm, l, i, before;
    json_t *t;

    buf_puts(b, marker(dtype(g), NULL));
    spaces(b, gpad);
    buf_puts(b, "Task Group: ");
    quoted(b, cli_jstr(g, "Name"));
    group_updates(b, json_object_get(g, "Updates"));
    longest(fields, objects, &lf, &lm);
    json_array_foreach(tasks, i, t)
    {
        marker(dtype(t), &l);
        if (l > lm)
            lm = l;
    }
    if (strcmp(dtype(g), "Edited") == 0 || verbose) {
        before = b->len;
        fields_and_objects(b, fields, objects, gpad + 2, lf, lm);
        if (b->len > before)
            buf_putc(b, '\n');
    }
    json_array_foreach(tasks, i, t)
    {
        marker(dtype(t), &l);
        task_block(b, t, gpad + 2, lm - l, verbose);
        buf_putc(b, '\n');
    }
}

void cli_format_job_diff(struct buf *b, const json_t *diff, bool verbose)
{
    const json_t *fields = json_object_get(diff, "Fields");
    const json_t *objects = json_object_get(diff, "Objects");
    const json_t *groups = json_object_get(diff, "TaskGroups");
    size_t lf, lm, l, i, before;
    json_t *g;

    buf_puts(b, marker(dtype(diff), NULL));
    buf_puts(b, "Job: ");
    quoted(b, cli_jstr(diff, "ID"));
    buf_putc(b, '\n');
    longest(fields, objects, &lf, &lm);
    json_array_foreach(groups, i, g)
    {
        marker(dtype(g), &l);
        if (l > lm)
            lm = l;
    }
    if (strcmp(dtype(diff), "Edited") == 0 || verbose) {
        before = b->len;
        fields_and_objects(b, fields, objects, 0, lf, lm);
        if (b->len > before)
            buf_putc(b, '\n');
    }
    json_array_foreach(groups, i, g)
    {
        marker(dtype(g), &l);
        group_block(b, g, lm - l, verbose);
        buf_putc(b, '\n');
    }
    /* Go's strings.TrimSpace on the whole text. */
    while (b->len > 0 &&
           (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' '))
        b->data[--b->len] = '\0';
}

/* ------------------------------------------------------- the dry run */

static void dry_run(struct buf *b, const json_t *resp, const struct job *job)
{
    const json_t *failed = json_object_get(resp, "FailedTGAllocs");
    size_t n;
    const char **groups;

    if (json_object_size(failed) == 0) {
        buf_puts(b, "- All tasks successfully allocated.");
        return;
    }
    if (strcmp(model_str(job->type), "system") == 0)
        buf_puts(b, "- WARNING: Failed to place allocations on all nodes.\n");
    else
        buf_puts(b, "- WARNING: Failed to place all allocations.\n");
    groups = cli_sorted_keys(failed, &n);
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_object_get(failed, groups[i]);
        int64_t coalesced = cli_jint(m, "CoalescedFailures");
        char q[512];

        buf_printf(b, "  Task Group %s (failed to place %lld allocation%s):\n",
                   cli_quote(groups[i], q, sizeof(q)),
                   (long long)(coalesced + 1), coalesced > 0 ? "s" : "");
        cli_format_alloc_metrics(b, m, false, "    ");
        buf_puts(b, "\n\n");
    }
    free(groups);
    while (b->len > 0 && b->data[b->len - 1] == '\n')
        b->data[--b->len] = '\0';
}

/* Nomad's getExitCode: 1 when allocations would be created or destroyed. */
static int plan_exit_code(const json_t *resp)
{
    const json_t *updates = json_object_get(
        json_object_get(resp, "Annotations"), "DesiredTGUpdates");
    const char *k;
    json_t *d;

    if (strcmp(cli_jstr(json_object_get(resp, "Diff"), "Type"), "None") == 0)
        return 0;
    json_object_foreach((json_t *)updates, k, d)
    {
        if (cli_jint(d, "Stop") + cli_jint(d, "Place") +
                cli_jint(d, "Migrate") + cli_jint(d, "DestructiveUpdate") +
                cli_jint(d, "Canary") >
            0)
            return 1;
    }
    return 0;
}

static void print_plan(const json_t *resp,
                       const struct job *job,
                       const struct job_source *src,
                       const char *path,
                       bool diff,
                       bool verbose)
{
    struct buf b = BUF_INIT;
    const char *warnings = cli_jstr(resp, "Warnings");

    if (diff) {
        cli_format_job_diff(&b, json_object_get(resp, "Diff"), verbose);
        buf_putc(&b, '\n');
        cli_output(&b);
        buf_reset(&b);
    }
    printf("Scheduler dry-run:\n");
    dry_run(&b, resp, job);
    cli_output(&b);
    printf("\n");
    if (warnings[0] != '\0')
        printf("Job Warnings:\n%s\n\n", warnings);
    buf_reset(&b);
    for (size_t i = 0; i < src->vars.n; i++) {
        char q[1024];

        buf_printf(&b, "-var=%s ", cli_quote(src->vars.items[i], q, sizeof(q)));
    }
    for (size_t i = 0; i < src->var_files.n; i++) {
        char q[1024];

        buf_printf(&b, "-var-file=%s ",
                   cli_quote(src->var_files.items[i], q, sizeof(q)));
    }
    printf(
        "Job Modify Index: %lld\n"
        "To submit the job with version verification run:\n"
        "\n"
        "caravan job run -check-index %lld %s%s\n"
        "\n"
        "When running the job with the check-index flag, the job will only "
        "be run if the\n"
        "job modify index given matches the server-side version. If the "
        "index has\n"
        "changed, another user has modified the job and the plan's results "
        "are\n"
        "potentially invalid.\n",
        (long long)cli_jint(resp, "JobModifyIndex"),
        (long long)cli_jint(resp, "JobModifyIndex"), buf_str(&b), path);
    buf_release(&b);
}

static int request_plan(const struct job_source *src,
                        const struct job *job,
                        bool override,
                        json_t **out,
                        struct err *err)
{
    struct api_client client;
    struct api_response resp;
    json_t *body = json_object();
    char *text, *id = cli_escape(job->id), *path;
    int rc;

    api_client_init(&client, src->address, src->token,
                    job->region ? job->region : src->region,
                    job->namespace ? job->namespace : src->namespace);
    api_response_init(&resp);
    json_object_set_new(body, "Job", job_to_json(job));
    json_object_set_new(body, "Diff", json_true());
    json_object_set_new(body, "PolicyOverride", json_boolean(override));
    text = json_dumps(body, JSON_COMPACT);
    path = xasprintf("/v1/job/%s/plan", id);
    rc = api_request(&client, "PUT", path, text, strlen(text), &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0) {
        *out = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
                          0, NULL);
        if (*out == NULL)
            rc = err_set(err, ERR_MALFORMED, "invalid JSON in the answer");
    }
    free(path);
    free(id);
    free(text);
    json_decref(body);
    api_response_release(&resp);
    api_client_release(&client);
    return rc;
}

int cli_cmd_job_plan(const struct cli_command *cmd, int argc, char **argv)
{
    struct job_source src = {0};
    bool diff = true, verbose = false, override = false, strict = true;
    struct flag flags[] = {
        JOB_SOURCE_FLAGS(src),
        {"diff", FLAG_BOOL, &diff, "show the diff"},
        {"verbose", FLAG_BOOL, &verbose, "verbose diff"},
        {"policy-override", FLAG_BOOL, &override, "override policies"},
        {"hcl2-strict", FLAG_BOOL, &strict, "strict HCL2"},
    };
    struct err err = ERR_INIT;
    struct job *job = NULL;
    json_t *resp = NULL;
    int first, rc, status = 255;

    rc = flags_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                     &first, &err);
    if (rc == FLAGS_HELP) {
        fputs(cmd->help, stdout);
        status = 0;
        goto out;
    }
    if (rc != 0) {
        cli_usage_error(cmd, "%s", err.msg);
        goto out;
    }
    if (argc - first != 1) {
        cli_arg_error(cmd, "This command takes one argument: <path>");
        goto out;
    }
    if (cli_job_load(&src, argv[first], &job, &err) != 0) {
        fprintf(stderr, "Error getting job struct: %s\n", err.msg);
        goto out;
    }
    if (request_plan(&src, job, override, &resp, &err) != 0) {
        fprintf(stderr, "Error during plan: %s\n", err.msg);
        goto out;
    }
    print_plan(resp, job, &src, argv[first], diff, verbose);
    status = plan_exit_code(resp);
out:
    json_decref(resp);
    job_free(job);
    cli_job_source_release(&src);
    return status;
}
