/*
 * `caravan job status` and `caravan job allocs`, printed as Nomad's
 * job_status.go and job_allocs.go print them (reference/cli.md §4, §7).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cmd_deployment.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/format.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/time.h"

/* Nomad shows the failures of at most this many groups, then refers to
 * eval status. */
#define MAX_FAILED_TGS 5

const char cli_help_job_status[] =
    "Usage: caravan job status [options] <job>\n"
    "\n"
    "  Display status information about a job. If no job ID is given, a list "
    "of all\n"
    "  known jobs will be displayed.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Status Options:\n"
    "\n"
    "  -all-allocs\n"
    "    Display all allocations matching the job ID, including those from "
    "an older\n"
    "    instance of the job.\n"
    "\n"
    "  -evals\n"
    "    Display the evaluations associated with the job.\n"
    "\n"
    "  -json\n"
    "    Output the job status in JSON format.\n"
    "\n"
    "  -short\n"
    "    Display short output. Used only when a single job is being\n"
    "    queried, and drops verbose information about allocations.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

const char cli_help_job_allocs[] =
    "Usage: caravan job allocs [options] <job>\n"
    "\n"
    "  Display allocations for a particular job.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Allocs Options:\n"
    "\n"
    "  -all\n"
    "    Display all allocations matching the job ID, even those from an "
    "older\n"
    "    instance of the job.\n"
    "\n"
    "  -json\n"
    "    Output the allocations in a JSON format.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

struct job_status
{
    struct api_client c;
    bool short_, evals, all_allocs, verbose, json;
};

/* Later requests go to the namespace the prefix lookup found the job in. */
static void use_namespace(struct api_client *c, const char *ns)
{
    if (ns == NULL || *ns == '\0')
        return;
    free(c->namespace);
    c->namespace = xstrdup(ns);
}

/* GET /v1/job/<id><suffix>; on failure prints "<what>: <error>". */
static json_t *get_job_path(struct api_client *c,
                            const char *id,
                            const char *suffix,
                            const char *what)
{
    struct err err = ERR_INIT;
    char *esc = cli_escape(id);
    json_t *out;

    if (cli_get(c, &out, &err, "/v1/job/%s%s", esc, suffix) != 0) {
        fprintf(stderr, "%s: %s\n", what, err.msg);
        out = NULL;
    }
    free(esc);
    return out;
}

static json_t *get_allocs(struct api_client *c,
                          const char *id,
                          bool all,
                          const char *what)
{
    return get_job_path(c, id, all ? "/allocations?all=true" : "/allocations",
                        what);
}

/* One element of the -json output: what `job status` shows, as JSON. */
static json_t *job_json(struct api_client *c, const char *id, bool all_allocs)
{
    json_t *summary, *allocs = NULL, *dep = NULL, *evals = NULL;

    summary = get_job_path(c, id, "/summary", "Error querying job summary");
    if (summary != NULL)
        allocs =
            get_allocs(c, id, all_allocs, "Error querying job allocations");
    if (allocs != NULL)
        dep = get_job_path(c, id, "/deployment",
                           "Error querying latest job deployment");
    if (dep != NULL)
        evals = get_job_path(c, id, "/evaluations",
                             "Error querying job evaluations");
    if (evals == NULL) {
        json_decref(summary);
        json_decref(allocs);
        json_decref(dep);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "Summary", summary, "Allocations",
                     allocs, "LatestDeployment", dep, "Evaluations", evals);
}

static int print_json_jobs(struct job_status *s, const json_t *stubs)
{
    json_t *out = json_array();
    size_t i;
    json_t *j;
    int status = 0;

    json_array_foreach(stubs, i, j)
    {
        const char *ns =
            cli_jstr(json_object_get(j, "JobSummary"), "Namespace");
        json_t *e;

        use_namespace(&s->c, ns[0] ? ns : cli_jstr(j, "Namespace"));
        e = job_json(&s->c, cli_jstr(j, "ID"), s->all_allocs);
        if (e == NULL) {
            status = 1;
            break;
        }
        json_array_append_new(out, e);
    }
    if (status == 0)
        cli_print_json(out);
    json_decref(out);
    return status;
}

static int list_jobs(struct job_status *s)
{
    struct err err = ERR_INIT;
    json_t *jobs;
    int status = 0;

    if (cli_get(&s->c, &jobs, &err, "/v1/jobs") != 0) {
        fprintf(stderr, "Error querying jobs: %s\n", err.msg);
        return 1;
    }
    if (json_array_size(jobs) == 0) {
        printf("No running jobs\n");
    } else if (s->json) {
        status = print_json_jobs(s, jobs);
    } else {
        struct buf b = BUF_INIT;

        cli_format_job_list(&b, jobs, cli_all_namespaces(&s->c));
        cli_output(&b);
        buf_release(&b);
    }
    json_decref(jobs);
    return status;
}

static void join_strings(struct buf *out, const json_t *list, const char *sep)
{
    size_t i;
    json_t *v;

    buf_puts(out, "");
    json_array_foreach(list, i, v)
    {
        if (i > 0)
            buf_puts(out, sep);
        buf_puts(out, json_string_value(v) ? json_string_value(v) : "");
    }
}

static bool is_periodic(const json_t *job)
{
    return json_is_object(json_object_get(job, "Periodic"));
}

static bool is_parameterized(const json_t *job)
{
    return json_is_object(json_object_get(job, "ParameterizedJob")) &&
           !cli_jbool(job, "Dispatched");
}

/* "Next Periodic Launch", computed here from the spec, as Nomad's CLI. */
static void next_launch_row(struct rows *r, const json_t *p)
{
    struct periodic_config pc;
    const json_t *specs = json_object_get(p, "Specs"), *v;
    char next[160];
    size_t i;

    periodic_config_init(&pc);
    pc.spec = xstrdup(cli_jstr(p, "Spec"));
    json_array_foreach(specs, i, v)
        strlist_push(&pc.specs, json_string_value(v) ? json_string_value(v)
                                                     : "");
    pc.time_zone = xstrdup(cli_jstr(p, "TimeZone"));
    if (format_next_launch(&pc, time_wall_unix_ns(), next, sizeof(next)))
        rows_addf(r, "Next Periodic Launch|%s", next);
    periodic_config_release(&pc);
}

static void print_basic(const json_t *job)
{
    struct rows r = ROWS_INIT;
    struct buf dcs = BUF_INIT, out = BUF_INIT;
    char submit[64];
    bool periodic = is_periodic(job), param = is_parameterized(job);

    join_strings(&dcs, json_object_get(job, "Datacenters"), ",");
    cli_time_abs(cli_jint(job, "SubmitTime"), submit, sizeof(submit));
    rows_addf(&r, "ID|%s", cli_jstr(job, "ID"));
    rows_addf(&r, "Name|%s", cli_jstr(job, "Name"));
    rows_addf(&r, "Submit Date|%s", submit);
    rows_addf(&r, "Type|%s", cli_jstr(job, "Type"));
    rows_addf(&r, "Priority|%lld", (long long)cli_jint(job, "Priority"));
    rows_addf(&r, "Datacenters|%s", buf_str(&dcs));
    rows_addf(&r, "Namespace|%s", cli_jstr(job, "Namespace"));
    rows_addf(&r, "Node Pool|%s", cli_jstr(job, "NodePool"));
    rows_addf(&r, "Status|%s%s", cli_jstr(job, "Status"),
              cli_jbool(job, "Stop") ? " (stopped)" : "");
    rows_addf(&r, "Periodic|%s", periodic ? "true" : "false");
    rows_addf(&r, "Parameterized|%s", param ? "true" : "false");
    if (cli_jstr(job, "DispatchIdempotencyToken")[0])
        rows_addf(&r, "Idempotency Token|%s",
                  cli_jstr(job, "DispatchIdempotencyToken"));
    if (periodic && !param && cli_jbool(job, "Stop"))
        rows_addf(&r, "Next Periodic Launch|none (job stopped)");
    else if (periodic && !param)
        next_launch_row(&r, json_object_get(job, "Periodic"));
    rows_format_kv(&r, &out);
    cli_output(&out);
    buf_release(&out);
    buf_release(&dcs);
    rows_release(&r);
}

static int print_summary(struct job_status *s, const json_t *job)
{
    const char *id = cli_jstr(job, "ID");
    bool periodic = is_periodic(job), param = is_parameterized(job);
    json_t *summary, *children;
    struct buf b = BUF_INIT;

    summary = get_job_path(&s->c, id, "/summary", "Error querying job summary");
    if (summary == NULL)
        return 1;
    if (!periodic && !param) {
        json_t *groups = json_object_get(summary, "Summary");
        struct rows r = ROWS_INIT;
        size_t n;
        const char **names = cli_sorted_keys(groups, &n);

        rows_addf(&r,
                  "Task Group|Queued|Starting|Running|Failed|Complete|"
                  "Lost|Unknown");
        for (size_t i = 0; i < n; i++) {
            json_t *g = json_object_get(groups, names[i]);

            rows_addf(&r, "%s|%lld|%lld|%lld|%lld|%lld|%lld|%lld", names[i],
                      (long long)cli_jint(g, "Queued"),
                      (long long)cli_jint(g, "Starting"),
                      (long long)cli_jint(g, "Running"),
                      (long long)cli_jint(g, "Failed"),
                      (long long)cli_jint(g, "Complete"),
                      (long long)cli_jint(g, "Lost"),
                      (long long)cli_jint(g, "Unknown"));
        }
        cli_heading("Summary");
        rows_format_list(&r, &b);
        cli_output(&b);
        buf_reset(&b);
        rows_release(&r);
        free(names);
    }
    /* Children are always shown for periodic and parameterized parents,
     * for other jobs only when there are any. */
    children = json_object_get(summary, "Children");
    if (json_is_object(children) &&
        (param || periodic ||
         cli_jint(children, "Pending") + cli_jint(children, "Running") +
                 cli_jint(children, "Dead") >
             0)) {
        struct rows r = ROWS_INIT;

        cli_heading(param ? "Parameterized Job Summary"
                          : "Children Job Summary");
        rows_addf(&r, "Pending|Running|Dead");
        rows_addf(&r, "%lld|%lld|%lld",
                  (long long)cli_jint(children, "Pending"),
                  (long long)cli_jint(children, "Running"),
                  (long long)cli_jint(children, "Dead"));
        rows_format_list(&r, &b);
        cli_output(&b);
        rows_release(&r);
    }
    buf_release(&b);
    json_decref(summary);
    return 0;
}

/* The launched children of a periodic or parameterized parent. */
static int print_children(struct job_status *s,
                          const json_t *job,
                          const char *suffix,
                          const char *none,
                          const char *heading)
{
    const char *id = cli_jstr(job, "ID");
    struct err err = ERR_INIT;
    char *prefix = xasprintf("%s%s", id, suffix);
    char *esc = cli_escape(prefix);
    json_t *children;
    int status = 1;

    if (cli_get(&s->c, &children, &err, "/v1/jobs?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error querying job: %s\n", err.msg);
    } else if (json_array_size(children) == 0) {
        printf("\n%s\n", none);
        status = 0;
    } else {
        struct rows r = ROWS_INIT;
        struct buf b = BUF_INIT;
        size_t i;
        json_t *child;

        rows_addf(&r, "ID|Status");
        json_array_foreach(children, i, child)
        {
            if (strcmp(cli_jstr(child, "ParentID"), id) != 0)
                continue;
            rows_addf(&r, "%s|%s", cli_jstr(child, "ID"),
                      cli_jstr(child, "Status"));
        }
        cli_heading(heading);
        rows_format_list(&r, &b);
        cli_output(&b);
        buf_release(&b);
        rows_release(&r);
        status = 0;
    }
    json_decref(children);
    free(esc);
    free(prefix);
    return status;
}

static int print_periodic(struct job_status *s, const json_t *job)
{
    if (print_summary(s, job) != 0)
        return 1;
    return print_children(s, job, "/periodic-",
                          "No instances of periodic job found",
                          "Previously Launched Jobs");
}

static int print_parameterized(struct job_status *s, const json_t *job)
{
    const json_t *p = json_object_get(job, "ParameterizedJob");
    struct buf req = BUF_INIT, opt = BUF_INIT, out = BUF_INIT;
    struct rows r = ROWS_INIT;

    join_strings(&req, json_object_get(p, "MetaRequired"), ", ");
    join_strings(&opt, json_object_get(p, "MetaOptional"), ", ");
    rows_addf(&r, "Payload|%s", cli_jstr(p, "Payload"));
    rows_addf(&r, "Required Metadata|%s", buf_str(&req));
    rows_addf(&r, "Optional Metadata|%s", buf_str(&opt));
    cli_heading("Parameterized Job");
    rows_format_kv(&r, &out);
    cli_output(&out);
    rows_release(&r);
    buf_release(&out);
    buf_release(&opt);
    buf_release(&req);
    if (print_summary(s, job) != 0)
        return 1;
    return print_children(s, job, "/dispatch-",
                          "No dispatched instances of parameterized job found",
                          "Dispatched Jobs");
}

static void print_failed_placements(const json_t *eval)
{
    json_t *failed = json_object_get(eval, "FailedTGAllocs");
    size_t n;
    const char **groups = cli_sorted_keys(failed, &n);

    cli_heading("Placement Failure");
    for (size_t i = 0; i < n && i < MAX_FAILED_TGS; i++) {
        struct buf b = BUF_INIT;
        char q[512];

        printf("Task Group %s:\n", cli_quote(groups[i], q, sizeof(q)));
        cli_format_alloc_metrics(&b, json_object_get(failed, groups[i]), false,
                                 "  ");
        cli_output(&b);
        buf_release(&b);
        if (i != n - 1)
            printf("\n");
    }
    if (n > MAX_FAILED_TGS)
        printf(
            "\nPlacement failures truncated. To see remainder run:\n"
            "caravan eval status %s\n",
            cli_jstr(eval, "ID"));
    free(groups);
}

/* Go's ReschedulePolicy.String(). */
static void reschedule_policy(const json_t *rp, char *out, size_t size)
{
    char interval[32], max_delay[32];

    if (!json_is_object(rp)) {
        snprintf(out, size, "%s", "");
        return;
    }
    duration_format(cli_jint(rp, "Interval"), interval, sizeof(interval));
    duration_format(cli_jint(rp, "MaxDelay"), max_delay, sizeof(max_delay));
    if (cli_jbool(rp, "Unlimited"))
        snprintf(out, size, "unlimited with %s delay, max_delay = %s",
                 cli_jstr(rp, "DelayFunction"), max_delay);
    else
        snprintf(out, size, "%lld in %s with %s delay, max_delay = %s",
                 (long long)cli_jint(rp, "Attempts"), interval,
                 cli_jstr(rp, "DelayFunction"), max_delay);
}

/* "Future Rescheduling Attempts": delayed follow-up evals per group. */
static void print_rescheduling(struct job_status *s,
                               const json_t *job,
                               const json_t *allocs)
{
    json_t *latest = json_object(); /* group -> newest alloc */
    struct rows r = ROWS_INIT;
    const char **groups;
    size_t i, n;
    json_t *a;

    json_array_foreach(allocs, i, a)
    {
        const char *tg = cli_jstr(a, "TaskGroup");
        json_t *seen = json_object_get(latest, tg);

        if (seen == NULL ||
            cli_jint(a, "ModifyTime") > cli_jint(seen, "ModifyTime"))
            json_object_set(latest, tg, a);
    }
    groups = cli_sorted_keys(latest, &n);
    for (i = 0; i < n; i++) {
        const char *eval_id =
            cli_jstr(json_object_get(latest, groups[i]), "FollowupEvalID");
        struct err err = ERR_INIT;
        int64_t wait_until;
        json_t *eval;
        char when[64], b1[9];

        if (eval_id[0] == '\0' ||
            cli_get(&s->c, &eval, &err, "/v1/evaluation/%s", eval_id) != 0)
            continue;
        wait_until = cli_jtime(eval, "WaitUntil");
        json_decref(eval);
        /* Eval times are not critical output: skip unknown or past ones. */
        if (wait_until == 0 || time_wall_unix_ns() > wait_until)
            continue;
        cli_time_ago(wait_until, when, sizeof(when));
        if (s->verbose) {
            char rp[256];

            if (r.n == 0)
                rows_addf(&r, "Task Group|Reschedule Policy|Eval ID|Eval Time");
            reschedule_policy(json_object_get(cli_find_group(job, groups[i]),
                                              "ReschedulePolicy"),
                              rp, sizeof(rp));
            rows_addf(&r, "%s|%s|%s|%s", groups[i], rp, eval_id, when);
        } else {
            if (r.n == 0)
                rows_addf(&r, "Task Group|Eval ID|Eval Time");
            rows_addf(&r, "%s|%s|%s", groups[i],
                      format_short_id(eval_id, 0, b1), when);
        }
    }
    if (r.n > 0) {
        struct buf b = BUF_INIT;

        cli_heading("Future Rescheduling Attempts");
        rows_format_list(&r, &b);
        cli_output(&b);
        buf_release(&b);
    }
    rows_release(&r);
    free(groups);
    json_decref(latest);
}

static void print_deployment(const json_t *d, bool verbose)
{
    struct rows r = ROWS_INIT;
    struct buf b = BUF_INIT;
    char b1[9];

    rows_addf(&r, "ID|%s", format_short_id(cli_jstr(d, "ID"), verbose, b1));
    rows_addf(&r, "Status|%s", cli_jstr(d, "Status"));
    rows_addf(&r, "Description|%s", cli_jstr(d, "StatusDescription"));
    rows_format_kv(&r, &b);
    if (json_object_size(json_object_get(d, "TaskGroups")) > 0) {
        buf_puts(&b, "\n\nDeployed\n");
        cli_format_deployment_groups(&b, json_object_get(d, "TaskGroups"));
    }
    cli_heading("Latest Deployment");
    cli_output(&b);
    buf_release(&b);
    rows_release(&r);
}

static void print_actions(const json_t *job)
{
    struct rows r = ROWS_INIT;
    size_t i, k, m;
    json_t *g, *t, *a;

    rows_addf(&r, "Action Name|Task Group|Task");
    json_array_foreach(json_object_get(job, "TaskGroups"), i, g)
    {
        json_array_foreach(json_object_get(g, "Tasks"), k, t)
        {
            json_array_foreach(json_object_get(t, "Actions"), m, a)
            {
                rows_addf(&r, "%s|%s|%s", cli_jstr(a, "Name"),
                          cli_jstr(g, "Name"), cli_jstr(t, "Name"));
            }
        }
    }
    if (r.n > 1) {
        struct buf b = BUF_INIT;

        cli_heading("Actions");
        rows_format_list(&r, &b);
        cli_output(&b);
        buf_release(&b);
    }
    rows_release(&r);
}

static int print_job_info(struct job_status *s, const json_t *job)
{
    const char *id = cli_jstr(job, "ID");
    json_t *allocs, *evals = NULL, *dep = NULL, *e;
    const json_t *latest_failed = NULL;
    struct rows r = ROWS_INIT;
    struct buf b = BUF_INIT;
    bool blocked = false;
    int status = 1;
    size_t i;

    allocs =
        get_allocs(&s->c, id, s->all_allocs, "Error querying job allocations");
    if (allocs == NULL)
        goto out;
    evals = get_job_path(&s->c, id, "/evaluations",
                         "Error querying job evaluations");
    if (evals == NULL)
        goto out;
    dep = get_job_path(&s->c, id, "/deployment",
                       "Error querying latest job deployment");
    if (dep == NULL)
        goto out;
    if (print_summary(s, job) != 0)
        goto out;

    rows_addf(&r, "ID|Priority|Triggered By|Status|Placement Failures");
    json_array_foreach(evals, i, e)
    {
        bool failures;
        const char *text = cli_eval_failures(e, &failures);
        char b1[9];

        rows_addf(&r, "%s|%lld|%s|%s|%s",
                  format_short_id(cli_jstr(e, "ID"), s->verbose, b1),
                  (long long)cli_jint(e, "Priority"),
                  cli_jstr(e, "TriggeredBy"), cli_jstr(e, "Status"), text);
        if (strcmp(cli_jstr(e, "Status"), "blocked") == 0)
            blocked = true;
        if (!failures)
            continue;
        if (latest_failed == NULL ||
            cli_jint(latest_failed, "CreateIndex") < cli_jint(e, "CreateIndex"))
            latest_failed = e;
    }
    if (s->verbose || s->evals) {
        cli_heading("Evaluations");
        rows_format_list(&r, &b);
        cli_output(&b);
        buf_reset(&b);
    }
    if (blocked && latest_failed != NULL)
        print_failed_placements(latest_failed);
    print_rescheduling(s, job, allocs);
    if (json_is_object(dep))
        print_deployment(dep, s->verbose);
    print_actions(job);
    cli_heading("Allocations");
    cli_format_alloc_stubs(&b, allocs, s->verbose, s->verbose);
    cli_output(&b);
    status = 0;
out:
    buf_release(&b);
    rows_release(&r);
    json_decref(dep);
    json_decref(evals);
    json_decref(allocs);
    return status;
}

static int show_job(struct job_status *s, const char *arg)
{
    char *prefix = cli_trim_dup(arg);
    char *id = NULL, *ns = NULL;
    json_t *job = NULL;
    int status = 1;

    if (cli_job_by_prefix(&s->c, prefix, &id, &ns) != 0)
        goto out;
    use_namespace(&s->c, ns);
    job = get_job_path(&s->c, id, "", "Error querying job");
    if (job == NULL)
        goto out;
    if (s->json) {
        json_t *one = json_pack("[{s:s,s:s}]", "ID", id, "Namespace", ns);

        status = print_json_jobs(s, one);
        json_decref(one);
        goto out;
    }
    print_basic(job);
    if (s->short_) {
        status = 0;
        goto out;
    }
    if (is_periodic(job) && !is_parameterized(job))
        status = print_periodic(s, job);
    else if (is_parameterized(job))
        status = print_parameterized(s, job);
    else
        status = print_job_info(s, job);
out:
    json_decref(job);
    free(ns);
    free(id);
    free(prefix);
    return status;
}

int cli_cmd_job_status(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    struct job_status s;
    int first, status;

    memset(&s, 0, sizeof(s));
    {
        struct flag flags[] = {
            CLI_API_FLAGS(o),
            {"short", FLAG_BOOL, &s.short_, "short output"},
            {"evals", FLAG_BOOL, &s.evals, "show evaluations"},
            {"all-allocs", FLAG_BOOL, &s.all_allocs, "all allocations"},
            {"verbose", FLAG_BOOL, &s.verbose, "full information"},
            {"json", FLAG_BOOL, &s.json, "JSON output"},
        };

        status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc,
                           argv, &first);
        if (status >= 0)
            return status;
    }
    if (argc - first > 1)
        return cli_arg_error(
            cmd, "This command takes either no arguments or one: <job>");
    cli_api_client(&s.c, &o);
    if (argc - first == 0)
        status = list_jobs(&s);
    else
        status = show_job(&s, argv[first]);
    api_client_release(&s.c);
    return status;
}

int cli_cmd_job_allocs(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    bool verbose = false, json = false, all = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"verbose", FLAG_BOOL, &verbose, "full information"},
        {"json", FLAG_BOOL, &json, "JSON output"},
        {"all", FLAG_BOOL, &all, "all allocations"},
    };
    struct api_client c;
    char *prefix, *id = NULL, *ns = NULL;
    json_t *allocs = NULL;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd, "This command takes one argument: <job>");
    cli_api_client(&c, &o);
    prefix = cli_trim_dup(argv[first]);
    status = 1;
    if (cli_job_by_prefix(&c, prefix, &id, &ns) != 0)
        goto out;
    use_namespace(&c, ns);
    allocs = get_allocs(&c, id, all, "Error retrieving allocations");
    if (allocs == NULL)
        goto out;
    if (json) {
        cli_print_json(allocs);
    } else {
        struct buf b = BUF_INIT;

        cli_format_alloc_stubs(&b, allocs, verbose, verbose);
        cli_output(&b);
        buf_release(&b);
    }
    status = 0;
out:
    json_decref(allocs);
    free(ns);
    free(id);
    free(prefix);
    api_client_release(&c);
    return status;
}

/* ------------------------------------------------------ caravan status */

const char cli_help_status[] =
    "Usage: caravan status [options] <identifier>\n"
    "\n"
    "  Display the status output for any given resource. The command will\n"
    "  detect the type of resource being queried and display the "
    "appropriate\n"
    "  status output.\n"
    "\n"
    "  If no arguments are provided, the command will fallback to \"caravan "
    "job status\",\n"
    "  which will list all jobs.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Status Options:\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

/* The commands `status <id>` hands over to (for their help and usage). */
static const struct cli_command status_targets[] = {
    {"job status", "", cli_help_job_status, cli_cmd_job_status, 0},
    {"eval status", "", cli_help_eval_status, cli_cmd_eval_status, 0},
    {"alloc status", "", cli_help_alloc_status, cli_cmd_alloc_status, 0},
    {"node status", "", cli_help_node_status, cli_cmd_node_status, 0},
    {"deployment status", "", cli_help_deployment_status,
     cli_cmd_deployment_status, 0},
};

/* Nomad's search API answers at most this many IDs per context. */
#define SEARCH_LIMIT 20

/*
 * Stands in for Nomad's prefix search (the agent has no /v1/search yet):
 * the IDs matching prefix in one context, through its list endpoint.
 */
static int search_ids(struct api_client *c,
                      const char *list_path,
                      const char *prefix,
                      json_t *out,
                      struct err *err)
{
    char *esc = cli_escape(prefix);
    json_t *list;
    size_t i;
    json_t *v;
    int rc;

    rc = cli_get(c, &list, err, "%s?prefix=%s", list_path, esc);
    free(esc);
    if (rc != 0)
        return rc;
    json_array_foreach(list, i, v)
    {
        if (json_array_size(out) >= SEARCH_LIMIT)
            break;
        json_array_append_new(out, json_string(cli_jstr(v, "ID")));
    }
    json_decref(list);
    return 0;
}

int cli_cmd_status(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct
    {
        const char *title, *path;
        bool uuid;
    } contexts[] = {
        {"Jobs", "/v1/jobs", false},
        {"Evals", "/v1/evaluations", true},
        {"Allocs", "/v1/allocations", true},
        {"Nodes", "/v1/nodes", true},
        {"Deployments", "/v1/deployments", true},
    };
    enum { NCTX = sizeof(contexts) / sizeof(contexts[0]) };
    struct cli_api_opts o = {0};
    bool verbose = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"verbose", FLAG_BOOL, &verbose, "full information"},
    };
    json_t *matches[NCTX] = {NULL};
    struct err err = ERR_INIT;
    struct api_client c;
    const char *id;
    char *uuid = NULL;
    int first, status, match = -1, exact = 0;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first == 0)
        return cli_cmd_job_status(&status_targets[0], argc, argv);
    id = argv[argc - 1];
    cli_api_client(&c, &o);
    uuid = xstrdup(id);
    cli_sanitize_uuid_prefix(uuid);
    status = 1;
    for (size_t k = 0; k < NCTX; k++) {
        matches[k] = json_array();
        /* UUID indexes are searched by whole bytes: no match below one. */
        if (contexts[k].uuid && uuid[0] == '\0')
            continue;
        if (search_ids(&c, contexts[k].path, contexts[k].uuid ? uuid : id,
                       matches[k], &err) != 0) {
            fprintf(stderr, "Error querying search with id: \"%s\"\n", err.msg);
            goto out;
        }
    }
    for (size_t k = 0; k < NCTX; k++) {
        const char *v = json_string_value(json_array_get(matches[k], 0));

        if (v != NULL && strcmp(v, id) == 0) {
            match = (int)k;
            exact++;
        }
    }
    if (exact == 0) {
        int singles = 0;
        bool several = false;

        for (size_t k = 0; k < NCTX; k++) {
            if (json_array_size(matches[k]) == 1) {
                match = (int)k;
                singles++;
            }
            several = several || json_array_size(matches[k]) > 1;
        }
        if (singles > 1 || several)
            exact = 2;
    }
    if (exact > 1) {
        char q[512];

        fprintf(stderr, "Multiple matches found for id %s\n",
                cli_quote(id, q, sizeof(q)));
        for (size_t k = 0; k < NCTX; k++) {
            struct buf b = BUF_INIT;

            if (json_array_size(matches[k]) == 0)
                continue;
            join_strings(&b, matches[k], ", ");
            fprintf(stderr, "\n%s:\n%s\n", contexts[k].title, buf_str(&b));
            buf_release(&b);
        }
        goto out;
    }
    if (match < 0) {
        char q[512];

        fprintf(stderr, "Unable to resolve ID: %s\n",
                cli_quote(id, q, sizeof(q)));
        goto out;
    }
    status = status_targets[match].run(&status_targets[match], argc, argv);
out:
    for (size_t k = 0; k < NCTX; k++)
        json_decref(matches[k]);
    free(uuid);
    api_client_release(&c);
    return status;
}
