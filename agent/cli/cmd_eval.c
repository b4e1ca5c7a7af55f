/*
 * `caravan eval status` and `caravan eval list`, as Nomad's
 * eval_status.go and eval_list.go print them.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/format.h"
#include "agent/cli/monitor.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

const char cli_help_eval_status[] =
    "Usage: caravan eval status [options] <evaluation>\n"
    "\n"
    "  Display information about evaluations. This command can be used to "
    "inspect the\n"
    "  current status of an evaluation as well as determine the reason an "
    "evaluation\n"
    "  did not place all allocations.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Eval Status Options:\n"
    "\n"
    "  -monitor\n"
    "    Monitor an outstanding evaluation\n"
    "\n"
    "  -verbose\n"
    "    Show full-length IDs, exact timestamps, and all plan annotation "
    "fields.\n"
    "\n"
    "  -json\n"
    "    Output the evaluation in its JSON format. This format will not "
    "include\n"
    "    placed allocations.\n";

const char cli_help_eval_list[] =
    "Usage: caravan eval list [options]\n"
    "\n"
    "  List is used to list the set of evaluations processed by Caravan.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Eval List Options:\n"
    "\n"
    "  -verbose\n"
    "    Show full information.\n"
    "\n"
    "  -per-page\n"
    "    How many results to show per page.\n"
    "\n"
    "  -page-token\n"
    "    Where to start pagination.\n"
    "\n"
    "  -filter\n"
    "    Specifies an expression used to filter query results.\n"
    "\n"
    "  -job\n"
    "    Only show evaluations for this job ID.\n"
    "\n"
    "  -status\n"
    "    Only show evaluations with this status.\n"
    "\n"
    "  -json\n"
    "    Output the evaluation in its JSON format.\n";

/* Nomad's formatEvalList. */
static void format_eval_list(struct buf *out, const json_t *evals, bool verbose)
{
    struct rows r = ROWS_INIT;
    size_t i;
    json_t *e;

    rows_addf(&r,
              "ID|Priority|Triggered By|Job ID|Namespace|Node ID|Status|"
              "Placement Failures");
    json_array_foreach(evals, i, e)
    {
        char b1[9], b2[9];

        rows_addf(&r, "%s|%lld|%s|%s|%s|%s|%s|%s",
                  format_short_id(cli_jstr(e, "ID"), verbose, b1),
                  (long long)cli_jint(e, "Priority"),
                  cli_jstr(e, "TriggeredBy"), cli_jstr(e, "JobID"),
                  cli_jstr(e, "Namespace"),
                  format_short_id(cli_jstr(e, "NodeID"), verbose, b2),
                  cli_jstr(e, "Status"), cli_eval_failures(e, NULL));
    }
    rows_format_list(&r, out);
    rows_release(&r);
}

static void print_rows(const struct rows *r)
{
    struct buf b = BUF_INIT;

    rows_format_list(r, &b);
    cli_output(&b);
    buf_release(&b);
}

static void print_related(const json_t *related, bool verbose)
{
    struct rows r = ROWS_INIT;
    size_t i;
    json_t *e;

    rows_addf(&r, "ID|Priority|Triggered By|Node ID|Status|Description");
    json_array_foreach(related, i, e)
    {
        char b1[9], b2[9];

        rows_addf(&r, "%s|%lld|%s|%s|%s|%s",
                  format_short_id(cli_jstr(e, "ID"), verbose, b1),
                  (long long)cli_jint(e, "Priority"),
                  cli_jstr(e, "TriggeredBy"),
                  format_short_id(cli_jstr(e, "NodeID"), verbose, b2),
                  cli_jstr(e, "Status"), cli_jstr(e, "StatusDescription"));
    }
    cli_heading("Related Evaluations");
    print_rows(&r);
    rows_release(&r);
}

/*
 * Nomad's formatPlanAnnotations: the five main columns always, the others
 * when verbose or when some group has a non-zero count.
 */
static void print_plan_annotations(const json_t *updates, bool verbose)
{
    static const struct
    {
        const char *col, *key;
    } optional[] = {
        {"Migrate", "Migrate"},
        {"Canary", "Canary"},
        {"Preemptions", "Preemptions"},
        {"Reschedule Now", "RescheduleNow"},
        {"Reschedule Later", "RescheduleLater"},
        {"Disconnect", "Disconnect"},
        {"Reconnect", "Reconnect"},
    };
    size_t nopt = sizeof(optional) / sizeof(optional[0]), n;
    const char **groups = cli_sorted_keys(updates, &n);
    struct rows r = ROWS_INIT;
    struct buf b = BUF_INIT;

    rows_addf(&r, "Task Group|Ignore|Place|Stop|InPlace|Destructive");
    for (size_t g = 0; g < n; g++) {
        json_t *u = json_object_get(updates, groups[g]);

        rows_addf(&r, "%s|%lld|%lld|%lld|%lld|%lld", groups[g],
                  (long long)cli_jint(u, "Ignore"),
                  (long long)cli_jint(u, "Place"),
                  (long long)cli_jint(u, "Stop"),
                  (long long)cli_jint(u, "InPlaceUpdate"),
                  (long long)cli_jint(u, "DestructiveUpdate"));
    }
    for (size_t k = 0; k < nopt; k++) {
        int64_t total = 0;

        for (size_t g = 0; g < n; g++)
            total +=
                cli_jint(json_object_get(updates, groups[g]), optional[k].key);
        if (!verbose && total == 0)
            continue;
        /* Row 0 is the header, row g + 1 the group g. */
        {
            char *line = xasprintf("%s|%s", r.lines[0], optional[k].col);

            free(r.lines[0]);
            r.lines[0] = line;
        }
        for (size_t g = 0; g < n; g++) {
            char *line = xasprintf(
                "%s|%lld", r.lines[g + 1],
                (long long)cli_jint(json_object_get(updates, groups[g]),
                                    optional[k].key));

            free(r.lines[g + 1]);
            r.lines[g + 1] = line;
        }
    }
    cli_heading("Plan Annotations");
    /* columnize.SimpleFormat: empty cells stay empty. */
    rows_format_list_spaces(&r, &b);
    cli_output(&b);
    buf_release(&b);
    rows_release(&r);
    free(groups);
}

static void print_preempted(const json_t *allocs, bool verbose)
{
    struct rows r = ROWS_INIT;
    size_t i;
    json_t *a;

    rows_addf(&r,
              "ID|Job ID|Node ID|Task Group|Version|Desired|Status|"
              "Created|Modified");
    json_array_foreach(allocs, i, a)
    {
        char b1[9], b2[9], created[64], modified[64];

        cli_time_ago(cli_jint(a, "CreateTime"), created, sizeof(created));
        cli_time_ago(cli_jint(a, "ModifyTime"), modified, sizeof(modified));
        rows_addf(&r, "%s|%s|%s|%s|%lld|%s|%s|%s|%s",
                  format_short_id(cli_jstr(a, "ID"), verbose, b1),
                  cli_jstr(a, "JobID"),
                  format_short_id(cli_jstr(a, "NodeID"), verbose, b2),
                  cli_jstr(a, "TaskGroup"),
                  (long long)cli_jint(a, "JobVersion"),
                  cli_jstr(a, "DesiredStatus"), cli_jstr(a, "ClientStatus"),
                  created, modified);
    }
    cli_heading("Preempted Allocations");
    print_rows(&r);
    rows_release(&r);
}

static void print_failed(const json_t *eval, bool verbose)
{
    json_t *failed = json_object_get(eval, "FailedTGAllocs");
    json_t *missing = json_object_get(eval, "MissingNonNodeResources");
    size_t n;
    const char **groups = cli_sorted_keys(failed, &n);
    char q[512], b1[9];

    cli_heading("Failed Placements");
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_object_get(failed, groups[i]);
        int64_t coalesced = cli_jint(m, "CoalescedFailures");
        struct buf b = BUF_INIT;

        printf("Task Group %s (failed to place %lld %s):\n",
               cli_quote(groups[i], q, sizeof(q)), (long long)(coalesced + 1),
               coalesced > 0 ? "allocations" : "allocation");
        cli_format_alloc_metrics(&b, m, false, "  ");
        cli_output(&b);
        buf_release(&b);
    }
    if (cli_jstr(eval, "BlockedEval")[0])
        printf(
            "\nEvaluation %s waiting for additional capacity to place "
            "remainder\n",
            cli_quote(
                format_short_id(cli_jstr(eval, "BlockedEval"), verbose, b1), q,
                sizeof(q)));
    if (json_array_size(missing) > 0) {
        size_t i;
        json_t *v;

        cli_heading("Missing Resources");
        json_array_foreach(missing, i, v)
        {
            printf("  %s\n", json_string_value(v) ? json_string_value(v) : "");
        }
    }
    free(groups);
}

static void print_eval(const json_t *eval, const json_t *placed, bool verbose)
{
    const char *status = cli_jstr(eval, "Status");
    const char *desc = cli_jstr(eval, "StatusDescription");
    const char *trigger = cli_jstr(eval, "TriggeredBy");
    const json_t *annotations = json_object_get(eval, "PlanAnnotations");
    bool failures;
    const char *failure_text = cli_eval_failures(eval, &failures);
    char created[64], modified[64], b1[9];
    struct rows r = ROWS_INIT;
    struct buf b = BUF_INIT;
    int64_t wait_until = cli_jtime(eval, "WaitUntil");

    if (verbose) {
        cli_time_abs(cli_jint(eval, "CreateTime"), created, sizeof(created));
        cli_time_abs(cli_jint(eval, "ModifyTime"), modified, sizeof(modified));
    } else {
        cli_time_ago(cli_jint(eval, "CreateTime"), created, sizeof(created));
        cli_time_ago(cli_jint(eval, "ModifyTime"), modified, sizeof(modified));
    }
    rows_addf(&r, "ID|%s", format_short_id(cli_jstr(eval, "ID"), verbose, b1));
    rows_addf(&r, "Create Time|%s", created);
    rows_addf(&r, "Modify Time|%s", modified);
    rows_addf(&r, "Status|%s", status);
    rows_addf(&r, "Status Description|%s", desc[0] ? desc : status);
    rows_addf(&r, "Type|%s", cli_jstr(eval, "Type"));
    rows_addf(&r, "TriggeredBy|%s", trigger);
    rows_addf(&r, "Job ID|%s", cli_jstr(eval, "JobID"));
    rows_addf(&r, "Namespace|%s", cli_jstr(eval, "Namespace"));
    /* Nomad's getTriggerDetails: who triggered it, when that tells more. */
    if (strcmp(trigger, "node-update") == 0 && cli_jstr(eval, "NodeID")[0])
        rows_addf(&r, "Node ID|%s", cli_jstr(eval, "NodeID"));
    else if (strcmp(trigger, "max-plan-attempts") == 0 &&
             cli_jstr(eval, "PreviousEval")[0])
        rows_addf(&r, "Previous Eval|%s", cli_jstr(eval, "PreviousEval"));
    rows_addf(&r, "Priority|%lld", (long long)cli_jint(eval, "Priority"));
    rows_addf(&r, "Placement Failures|%s", failure_text);
    if (wait_until != 0) {
        char t[64];

        cli_time_abs(wait_until, t, sizeof(t));
        rows_addf(&r, "Wait Until|%s", t);
    }
    if (cli_jstr(eval, "QuotaLimitReached")[0])
        rows_addf(&r, "Quota Limit Reached|%s",
                  cli_jstr(eval, "QuotaLimitReached"));
    rows_addf(&r, "Previous Eval|%s",
              format_short_id(cli_jstr(eval, "PreviousEval"), verbose, b1));
    rows_addf(&r, "Next Eval|%s",
              format_short_id(cli_jstr(eval, "NextEval"), verbose, b1));
    rows_addf(&r, "Blocked Eval|%s",
              format_short_id(cli_jstr(eval, "BlockedEval"), verbose, b1));
    rows_format_kv(&r, &b);
    cli_output(&b);
    buf_reset(&b);
    rows_release(&r);

    if (json_array_size(json_object_get(eval, "RelatedEvals")) > 0)
        print_related(json_object_get(eval, "RelatedEvals"), verbose);
    if (json_is_object(annotations)) {
        json_t *updates = json_object_get(annotations, "DesiredTGUpdates");
        json_t *preempted = json_object_get(annotations, "PreemptedAllocs");

        if (json_object_size(updates) > 0)
            print_plan_annotations(updates, verbose);
        if (json_array_size(preempted) > 0)
            print_preempted(preempted, verbose);
    }
    if (json_array_size(placed) > 0) {
        cli_heading("Placed Allocations");
        cli_format_alloc_stubs(&b, placed, false, verbose);
        cli_output(&b);
    }
    if (failures)
        print_failed(eval, verbose);
    buf_release(&b);
}

int cli_cmd_eval_status(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool monitor = false, verbose = false, json = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"monitor", FLAG_BOOL, &monitor, "monitor the evaluation"},
        {"verbose", FLAG_BOOL, &verbose, "full information"},
        {"json", FLAG_BOOL, &json, "JSON output"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *evals = NULL, *eval = NULL, *placed = NULL;
    char *prefix = NULL, *esc = NULL;
    char q[512];
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument");
    prefix = cli_uuid_prefix(argv[first]);
    if (prefix == NULL)
        return 1;
    cli_api_client(&c, &o);
    status = 1;
    esc = cli_escape(prefix);
    if (cli_get(&c, &evals, &err, "/v1/evaluations?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error querying evaluation: %s\n", err.msg);
        goto out;
    }
    if (json_array_size(evals) == 0) {
        fprintf(stderr, "No evaluation(s) with prefix or id %s found\n",
                cli_quote(prefix, q, sizeof(q)));
        goto out;
    }
    if (json_array_size(evals) > 1) {
        struct buf b = BUF_INIT;

        format_eval_list(&b, evals, verbose);
        fprintf(stderr, "Prefix matched multiple evaluations\n\n%s\n",
                buf_str(&b));
        buf_release(&b);
        goto out;
    }
    if (monitor) {
        status =
            monitor_eval(&c, cli_jstr(json_array_get(evals, 0), "ID"), verbose);
        goto out;
    }
    if (cli_get(&c, &eval, &err, "/v1/evaluation/%s",
                cli_jstr(json_array_get(evals, 0), "ID")) != 0) {
        fprintf(stderr, "Error querying evaluation: %s\n", err.msg);
        goto out;
    }
    if (json) {
        cli_print_json(eval);
        status = 0;
        goto out;
    }
    if (cli_get(&c, &placed, &err, "/v1/evaluation/%s/allocations",
                cli_jstr(eval, "ID")) != 0) {
        fprintf(stderr, "Error querying related allocations: %s\n", err.msg);
        goto out;
    }
    print_eval(eval, placed, verbose);
    status = 0;
out:
    json_decref(placed);
    json_decref(eval);
    json_decref(evals);
    free(esc);
    free(prefix);
    api_client_release(&c);
    return status;
}

/* Appends "&key=<escaped value>" (or "?...") when value is set. */
static void add_param(struct buf *path, const char *key, const char *value)
{
    char *esc;

    if (value == NULL || *value == '\0')
        return;
    esc = cli_escape(value);
    buf_printf(path, "%c%s=%s", strchr(buf_str(path), '?') ? '&' : '?', key,
               esc);
    free(esc);
}

int cli_cmd_eval_list(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool verbose = false, json = false;
    const char *page_token = NULL, *filter = NULL, *job = NULL, *st = NULL;
    int64_t per_page = 0;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"verbose", FLAG_BOOL, &verbose, "full information"},
        {"json", FLAG_BOOL, &json, "JSON output"},
        {"per-page", FLAG_INT, &per_page, "results per page"},
        {"page-token", FLAG_STRING, &page_token, "pagination token"},
        {"filter", FLAG_STRING, &filter, "filter expression"},
        {"job", FLAG_STRING, &job, "job ID"},
        {"status", FLAG_STRING, &st, "evaluation status"},
    };
    struct err err = ERR_INIT;
    struct buf path = BUF_INIT;
    struct api_client c;
    json_t *evals = NULL;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 0)
        return cli_arg_error(cmd, "This command takes no arguments");
    cli_api_client(&c, &o);
    buf_puts(&path, "/v1/evaluations");
    add_param(&path, "filter", filter);
    if (per_page > 0) {
        char n[24];

        snprintf(n, sizeof(n), "%lld", (long long)per_page);
        add_param(&path, "per_page", n);
    }
    add_param(&path, "next_token", page_token);
    add_param(&path, "job", job);
    add_param(&path, "status", st);
    status = 1;
    if (cli_get(&c, &evals, &err, "%s", buf_str(&path)) != 0) {
        fprintf(stderr, "Error querying evaluations: %s\n", err.msg);
        goto out;
    }
    /* The agent may not filter by job or status yet: do it here too. */
    for (size_t i = json_array_size(evals); i-- > 0;) {
        json_t *e = json_array_get(evals, i);

        if ((job != NULL && *job && strcmp(cli_jstr(e, "JobID"), job) != 0) ||
            (st != NULL && *st && strcmp(cli_jstr(e, "Status"), st) != 0))
            json_array_remove(evals, i);
    }
    if (json) {
        cli_print_json(evals);
    } else if (json_array_size(evals) == 0) {
        printf("No evals found\n");
    } else {
        struct buf b = BUF_INIT;

        format_eval_list(&b, evals, verbose);
        cli_output(&b);
        buf_release(&b);
    }
    status = 0;
out:
    json_decref(evals);
    buf_release(&path);
    api_client_release(&c);
    return status;
}
