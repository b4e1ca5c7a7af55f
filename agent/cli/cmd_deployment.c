/*
 * `caravan deployment list|status|promote|fail|pause|resume`, as Nomad's
 * deployment_*.go print them.
 */
#include "agent/cli/cmd_deployment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/format.h"
#include "agent/cli/monitor.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

#define UUID_LEN 36

/* =============================================================== help */

#define DEPLOYMENT_ID_HELP(verb) \
    "Usage: caravan deployment " verb " [options] <deployment id>\n"

const char cli_help_job_deployments[] =
    "Usage: caravan job deployments [options] <job>\n"
    "\n"
    "  Deployments is used to display the deployments for a particular "
    "job.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Deployments Options:\n"
    "\n"
    "  -json\n"
    "    Output the deployments in a JSON format.\n"
    "\n"
    "  -latest\n"
    "    Display the latest deployment only.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n"
    "\n"
    "  -all\n"
    "    Display all deployments matching the job ID, including those\n"
    "    from an older instance of the job.\n";

const char cli_help_job_promote[] =
    "Usage: caravan job promote [options] <job id>\n"
    "\n"
    "  Promote is used to promote task groups in the most recent deployment "
    "for the\n"
    "  given job. Promotion should occur when the deployment has placed "
    "canaries for a\n"
    "  task group and those canaries have been deemed healthy.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Promote Options:\n"
    "\n"
    "  -group\n"
    "    Group may be specified many times and is used to promote that "
    "particular\n"
    "    group. If no specific groups are specified, all groups are "
    "promoted.\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. The "
    "evaluation ID\n"
    "    will be printed to the screen.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

const char cli_help_deployment_list[] =
    "Usage: caravan deployment list [options]\n"
    "\n"
    "  List is used to list the set of deployments tracked by Caravan.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "List Options:\n"
    "\n"
    "  -json\n"
    "    Output the deployments in a JSON format.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

const char cli_help_deployment_status[] =
    DEPLOYMENT_ID_HELP("status")
    "\n"
    "  Status is used to display the status of a deployment. The status will "
    "display\n"
    "  the number of desired changes as well as the currently applied "
    "changes.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Status Options:\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n"
    "\n"
    "  -json\n"
    "    Output the deployment in its JSON format.\n"
    "\n"
    "  -monitor\n"
    "    Enter monitor mode directly without modifying the deployment "
    "status.\n"
    "    If the deployment ends in failure, the command exits with status "
    "1.\n";

const char cli_help_deployment_promote[] =
    DEPLOYMENT_ID_HELP("promote")
    "\n"
    "  Promote is used to promote task groups in a deployment. Promotion "
    "should occur\n"
    "  when the deployment has placed canaries for a task group and those "
    "canaries have\n"
    "  been deemed healthy. When a task group is promoted, the rolling "
    "upgrade of the\n"
    "  remaining allocations is unblocked. If the canaries are found to be "
    "unhealthy,\n"
    "  the deployment may either be failed using the \"caravan deployment "
    "fail\"\n"
    "  command or the job can be failed forward by submitting a new "
    "version.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Promote Options:\n"
    "\n"
    "  -group\n"
    "    Group may be specified many times and is used to promote that "
    "particular\n"
    "    group. If no specific groups are specified, all groups are "
    "promoted.\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After "
    "deployment\n"
    "    resume, the evaluation ID will be printed to the screen, which can "
    "be used\n"
    "    to examine the evaluation using the eval-status command.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

const char cli_help_deployment_fail[] =
    DEPLOYMENT_ID_HELP("fail")
    "\n"
    "  Fail is used to mark a deployment as failed. Failing a deployment "
    "will\n"
    "  stop the placement of new allocations as part of rolling deployment "
    "and\n"
    "  if the job is configured to auto revert, the job will attempt to "
    "roll back to a\n"
    "  stable version.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Fail Options:\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After "
    "deployment\n"
    "    resume, the evaluation ID will be printed to the screen, which can "
    "be used\n"
    "    to examine the evaluation using the eval-status command.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

const char cli_help_deployment_pause[] =
    DEPLOYMENT_ID_HELP("pause")
    "\n"
    "  Pause is used to pause a deployment. Pausing a deployment will pause "
    "the\n"
    "  placement of new allocations as part of rolling deployment.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Pause Options:\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

const char cli_help_deployment_resume[] =
    DEPLOYMENT_ID_HELP("resume")
    "\n"
    "  Resume is used to unpause a paused deployment. Resuming a deployment "
    "will\n"
    "  resume the placement of new allocations as part of rolling "
    "deployment.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Resume Options:\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After "
    "deployment\n"
    "    resume, the evaluation ID will be printed to the screen, which can "
    "be used\n"
    "    to examine the evaluation using the eval-status command.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

/* ========================================================== formatting */

/* Nomad's formatDeploymentGroups. */
void cli_format_deployment_groups(struct buf *out, const json_t *tgs)
{
    bool canaries = false, autorevert = false, deadline = false;
    struct rows r = ROWS_INIT;
    const char **names;
    size_t n;

    names = cli_sorted_keys(tgs, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *st = json_object_get(tgs, names[i]);

        autorevert = autorevert || cli_jbool(st, "AutoRevert");
        canaries = canaries || cli_jint(st, "DesiredCanaries") > 0;
        deadline = deadline || cli_jint(st, "ProgressDeadline") != 0;
    }
    rows_addf(&r, "Task Group|%s%sDesired|%sPlaced|Healthy|Unhealthy%s",
              autorevert ? "Auto Revert|" : "", canaries ? "Promoted|" : "",
              canaries ? "Canaries|" : "",
              deadline ? "|Progress Deadline" : "");
    for (size_t i = 0; i < n; i++) {
        json_t *st = json_object_get(tgs, names[i]);

        rows_addf(&r, "%s|", names[i]);
        if (autorevert)
            rows_appendf(&r, "%s|",
                         cli_jbool(st, "AutoRevert") ? "true" : "false");
        if (canaries)
            rows_appendf(&r, "%s|",
                         cli_jint(st, "DesiredCanaries") > 0
                             ? (cli_jbool(st, "Promoted") ? "true" : "false")
                             : "N/A");
        rows_appendf(&r, "%lld|", (long long)cli_jint(st, "DesiredTotal"));
        if (canaries)
            rows_appendf(&r, "%lld|",
                         (long long)cli_jint(st, "DesiredCanaries"));
        rows_appendf(&r, "%lld|%lld|%lld",
                     (long long)cli_jint(st, "PlacedAllocs"),
                     (long long)cli_jint(st, "HealthyAllocs"),
                     (long long)cli_jint(st, "UnhealthyAllocs"));
        if (deadline) {
            int64_t by = cli_jtime(st, "RequireProgressBy");
            char t[64];

            cli_time_abs(by, t, sizeof(t));
            rows_appendf(&r, "|%s", by == 0 ? "N/A" : t);
        }
    }
    rows_format_list(&r, out);
    rows_release(&r);
    free(names);
}

void cli_format_deployment(struct buf *out, const json_t *d, bool verbose)
{
    struct rows r = ROWS_INIT;
    char b1[9];

    rows_addf(&r, "ID|%s", format_short_id(cli_jstr(d, "ID"), verbose, b1));
    rows_addf(&r, "Job ID|%s", cli_jstr(d, "JobID"));
    rows_addf(&r, "Job Version|%lld", (long long)cli_jint(d, "JobVersion"));
    rows_addf(&r, "Status|%s", cli_jstr(d, "Status"));
    rows_addf(&r, "Description|%s", cli_jstr(d, "StatusDescription"));
    rows_format_kv(&r, out);
    rows_release(&r);
    if (json_object_size(json_object_get(d, "TaskGroups")) == 0)
        return;
    buf_puts(out, "\n\nDeployed\n");
    cli_format_deployment_groups(out, json_object_get(d, "TaskGroups"));
}

static int by_create_index(const void *pa, const void *pb)
{
    int64_t a = cli_jint(*(json_t *const *)pa, "CreateIndex");
    int64_t b = cli_jint(*(json_t *const *)pb, "CreateIndex");

    return a < b ? -1 : a > b ? 1 : 0;
}

/* Nomad's formatDeployments, in create order as Nomad's API lists them
 * (a job's deployments come newest first). */
static void format_deployments(struct buf *out,
                               const json_t *deps,
                               bool verbose,
                               bool newest_first)
{
    size_t n = json_array_size(deps);
    json_t **v = xcalloc(n + 1, sizeof(*v));
    struct rows r = ROWS_INIT;

    if (n == 0) {
        buf_puts(out, "No deployments found");
        free(v);
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(deps, i);
    qsort(v, n, sizeof(*v), by_create_index);
    for (size_t i = 0; newest_first && i < n / 2; i++) {
        json_t *t = v[i];

        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
    rows_addf(&r, "ID|Job ID|Job Version|Status|Description");
    for (size_t i = 0; i < n; i++) {
        char b1[9];

        rows_addf(
            &r, "%s|%s|%lld|%s|%s",
            format_short_id(cli_jstr(v[i], "ID"), verbose, b1),
            cli_jstr(v[i], "JobID"), (long long)cli_jint(v[i], "JobVersion"),
            cli_jstr(v[i], "Status"), cli_jstr(v[i], "StatusDescription"));
    }
    rows_format_list(&r, out);
    rows_release(&r);
    free(v);
}

/* ============================================================ lookups */

/*
 * Nomad's getDeployment: a full ID is read directly, a prefix through
 * ?prefix=. Prints the error and returns 1, or 0 with *out.
 */
static int find_deployment(struct api_client *c,
                           const char *arg,
                           bool verbose,
                           json_t **out)
{
    struct err err = ERR_INIT;
    json_t *list = NULL;
    char *prefix = NULL, *esc = NULL;
    int rc = 1;

    *out = NULL;
    if (strlen(arg) == UUID_LEN) {
        esc = cli_escape(arg);
        if (cli_get(c, out, &err, "/v1/deployment/%s", esc) != 0) {
            fprintf(stderr, "Error retrieving deployment: %s\n", err.msg);
            goto out;
        }
        rc = 0;
        goto out;
    }
    prefix = cli_uuid_prefix(arg);
    if (prefix == NULL)
        goto out;
    esc = cli_escape(prefix);
    if (cli_get(c, &list, &err, "/v1/deployments?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error retrieving deployment: %s\n", err.msg);
        goto out;
    }
    if (json_array_size(list) == 0) {
        char q[512];

        fprintf(stderr,
                "Error retrieving deployment: Deployment ID %s matched no "
                "deployments\n",
                cli_quote(prefix, q, sizeof(q)));
    } else if (json_array_size(list) > 1) {
        struct buf b = BUF_INIT;

        format_deployments(&b, list, verbose, false);
        fprintf(stderr, "Prefix matched multiple deployments\n\n%s\n",
                buf_str(&b));
        buf_release(&b);
    } else {
        *out = json_incref(json_array_get(list, 0));
        rc = 0;
    }
out:
    json_decref(list);
    free(esc);
    free(prefix);
    return rc;
}

/* The common start of the commands on one deployment. */
struct one
{
    struct cli_api_opts o;
    struct api_client c;
    json_t *d;
    bool verbose, detach;
};

static int one_begin(const struct cli_command *cmd,
                     struct one *x,
                     struct flag *flags,
                     size_t nflags,
                     int argc,
                     char **argv)
{
    int first, status;

    status = cli_flags(cmd, flags, nflags, argc, argv, &first);
    if (status >= 0)
        return status;
    if (argc - first != 1)
        return cli_arg_error(cmd,
                             "This command takes one argument: "
                             "<deployment id>");
    cli_api_client(&x->c, &x->o);
    if (find_deployment(&x->c, argv[first], x->verbose, &x->d) != 0) {
        api_client_release(&x->c);
        return 1;
    }
    return -1;
}

static void one_end(struct one *x)
{
    json_decref(x->d);
    api_client_release(&x->c);
}

/* ============================================================= commands */

/* Prints the deployments (JSON or Nomad's table); the exit status. */
static int list_deployments(struct api_client *c, bool verbose, bool json)
{
    struct err err = ERR_INIT;
    json_t *deps = NULL;
    int status = 1;

    if (cli_get(c, &deps, &err, "/v1/deployments") != 0) {
        fprintf(stderr, "Error retrieving deployments: %s\n", err.msg);
    } else if (json) {
        cli_print_json(deps);
        status = 0;
    } else {
        struct buf b = BUF_INIT;

        format_deployments(&b, deps, verbose, false);
        cli_output(&b);
        buf_release(&b);
        status = 0;
    }
    json_decref(deps);
    return status;
}

int cli_cmd_deployment_list(const struct cli_command *cmd,
                            int argc,
                            char **argv)
{
    struct cli_api_opts o = {0};
    bool verbose = false, json = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"verbose", FLAG_BOOL, &verbose, "full information"},
        {"json", FLAG_BOOL, &json, "JSON output"},
    };
    struct api_client c;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (argc - first != 0)
        return cli_arg_error(cmd, "This command takes no arguments");
    cli_api_client(&c, &o);
    status = list_deployments(&c, verbose, json);
    api_client_release(&c);
    return status;
}

/* Follows the deployment until it ends; 0 when it succeeded. */
static int monitor(struct one *x)
{
    char b1[9], ts[64];

    cli_time_abs(time_wall_unix_ns(), ts, sizeof(ts));
    printf("%s: Monitoring deployment \"%s\"\n", ts,
           format_short_id(cli_jstr(x->d, "ID"), x->verbose, b1));
    fflush(stdout);
    return monitor_deployment(&x->c, cli_jstr(x->d, "ID"), x->verbose);
}

int cli_cmd_deployment_status(const struct cli_command *cmd,
                              int argc,
                              char **argv)
{
    struct one x = {0};
    bool json = false, mon = false;
    struct flag flags[] = {
        CLI_API_FLAGS(x.o),
        {"verbose", FLAG_BOOL, &x.verbose, "full information"},
        {"json", FLAG_BOOL, &json, "JSON output"},
        {"monitor", FLAG_BOOL, &mon, "monitor the deployment"},
    };
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    if (mon && json) {
        fprintf(stderr,
                "The monitor flag cannot be used with the '-json' or "
                "'-t' flags\n");
        return 1;
    }
    if (argc - first > 1)
        return cli_arg_error(cmd,
                             "This command takes one argument: "
                             "<deployment id>");
    cli_api_client(&x.c, &x.o);
    /* Nomad lists the deployments when none is named. */
    if (argc - first == 0) {
        status = list_deployments(&x.c, x.verbose, false);
        api_client_release(&x.c);
        return status;
    }
    if (find_deployment(&x.c, argv[first], x.verbose, &x.d) != 0) {
        api_client_release(&x.c);
        return 1;
    }
    if (json) {
        cli_print_json(x.d);
        status = 0;
    } else if (mon) {
        status = monitor(&x);
    } else {
        struct buf b = BUF_INIT;

        cli_format_deployment(&b, x.d, x.verbose);
        cli_output(&b);
        buf_release(&b);
        status = 0;
    }
    one_end(&x);
    return status;
}

/*
 * POSTs body to /v1/deployment/<what>/<id>; the answer (Nomad's
 * DeploymentUpdateResponse) in *out. Prints "<fail>: <error>" and
 * returns 1 on failure.
 */
static int update(struct one *x,
                  const char *what,
                  json_t *body,
                  const char *fail,
                  json_t **out)
{
    struct api_response resp;
    struct err err = ERR_INIT;
    struct buf path = BUF_INIT;
    char *text = json_dumps(body, JSON_COMPACT);
    int rc;

    api_response_init(&resp);
    buf_printf(&path, "/v1/deployment/%s/%s", what, cli_jstr(x->d, "ID"));
    rc = api_request(&x->c, "PUT", buf_str(&path), text, strlen(text), &resp,
                     &err);
    if (rc == 0 && (resp.status < 200 || resp.status > 299))
        rc = api_status_error(&resp, &err);
    if (rc == 0) {
        json_error_t jerr;

        *out = json_loadb(resp.body.data, resp.body.len, 0, &jerr);
        if (*out == NULL)
            rc = err_set(&err, ERR_MALFORMED, "decoding the answer: %s",
                         jerr.text);
    }
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", fail, err.msg);
    api_response_release(&resp);
    buf_release(&path);
    free(text);
    json_decref(body);
    return rc == 0 ? 0 : 1;
}

/* After a change: monitor the eval it created, unless detached. */
static int follow(struct one *x, const json_t *resp, bool blank_line)
{
    const char *eval = cli_jstr(resp, "EvalID");

    if (x->detach || eval[0] == '\0')
        return 0;
    if (blank_line)
        printf("\n");
    return monitor_eval(&x->c, eval, x->verbose);
}

/* The body of a promotion of groups (all when none is named). */
static json_t *promote_body(const json_t *d, const struct flag_list *groups)
{
    json_t *body = json_pack("{s:s,s:b}", "DeploymentID", cli_jstr(d, "ID"),
                             "All", groups->n == 0);

    if (groups->n > 0) {
        json_t *g = json_array();

        for (size_t i = 0; i < groups->n; i++)
            json_array_append_new(g, json_string(groups->items[i]));
        json_object_set_new(body, "Groups", g);
    }
    return body;
}

int cli_cmd_deployment_promote(const struct cli_command *cmd,
                               int argc,
                               char **argv)
{
    struct one x = {0};
    struct flag_list groups = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(x.o),
        {"group", FLAG_STRLIST, &groups, "group to promote"},
        {"detach", FLAG_BOOL, &x.detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &x.verbose, "full information"},
    };
    int status =
        one_begin(cmd, &x, flags, sizeof(flags) / sizeof(flags[0]), argc, argv);
    json_t *resp = NULL;

    if (status >= 0) {
        flag_list_release(&groups);
        return status;
    }
    status = update(&x, "promote", promote_body(x.d, &groups),
                    "Error promoting deployment", &resp);
    if (status == 0)
        status = follow(&x, resp, false);
    json_decref(resp);
    flag_list_release(&groups);
    one_end(&x);
    return status;
}

/* Nomad's job promote: the job's latest deployment, promoted. */
static int promote_latest(struct one *x,
                          const char *job,
                          const struct flag_list *groups)
{
    struct err err = ERR_INIT;
    json_t *resp = NULL;
    char *esc = cli_escape(job), *fail;
    int status;

    if (cli_get(&x->c, &x->d, &err, "/v1/job/%s/deployment", esc) != 0) {
        fprintf(stderr, "Error retrieving deployment: %s\n", err.msg);
        free(esc);
        return 1;
    }
    free(esc);
    if (!json_is_object(x->d)) {
        fprintf(stderr, "Job \"%s\" has no deployment to promote\n", job);
        return 1;
    }
    fail = xasprintf("Error promoting deployment \"%s\" for job \"%s\"",
                     cli_jstr(x->d, "ID"), job);
    status = update(x, "promote", promote_body(x->d, groups), fail, &resp);
    free(fail);
    if (status == 0 && x->detach && cli_jstr(resp, "EvalID")[0])
        printf("Evaluation ID: %s\n", cli_jstr(resp, "EvalID"));
    else if (status == 0)
        status = follow(x, resp, false);
    json_decref(resp);
    return status;
}

int cli_cmd_job_promote(const struct cli_command *cmd, int argc, char **argv)
{
    struct one x = {0};
    struct flag_list groups = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(x.o),
        {"group", FLAG_STRLIST, &groups, "group to promote"},
        {"detach", FLAG_BOOL, &x.detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &x.verbose, "full information"},
    };
    char *prefix = NULL, *id = NULL, *ns = NULL;
    int first, status;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0) {
        flag_list_release(&groups);
        return status;
    }
    if (argc - first != 1) {
        flag_list_release(&groups);
        return cli_arg_error(cmd, "This command takes one argument: <job id>");
    }
    cli_api_client(&x.c, &x.o);
    prefix = cli_trim_dup(argv[first]);
    status = 1;
    if (cli_job_by_prefix(&x.c, prefix, &id, &ns) == 0) {
        if (ns != NULL && ns[0] != '\0') {
            free(x.c.namespace);
            x.c.namespace = xstrdup(ns);
        }
        status = promote_latest(&x, id, &groups);
    }
    free(prefix);
    free(id);
    free(ns);
    flag_list_release(&groups);
    one_end(&x);
    return status;
}

int cli_cmd_deployment_fail(const struct cli_command *cmd,
                            int argc,
                            char **argv)
{
    struct one x = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(x.o),
        {"detach", FLAG_BOOL, &x.detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &x.verbose, "full information"},
    };
    int status =
        one_begin(cmd, &x, flags, sizeof(flags) / sizeof(flags[0]), argc, argv);
    json_t *resp = NULL;

    if (status >= 0)
        return status;
    status = update(&x, "fail",
                    json_pack("{s:s}", "DeploymentID", cli_jstr(x.d, "ID")),
                    "Error failing deployment", &resp);
    if (status == 0) {
        const json_t *rv = json_object_get(resp, "RevertedJobVersion");
        /* Nomad names the deployment in full here. */
        const char *id = cli_jstr(x.d, "ID");

        if (json_is_integer(rv))
            printf(
                "Deployment \"%s\" failed. Auto-reverted to job version "
                "%lld.\n",
                id, (long long)json_integer_value(rv));
        else
            printf("Deployment \"%s\" failed\n", id);
        fflush(stdout);
        status = follow(&x, resp, true);
    }
    json_decref(resp);
    one_end(&x);
    return status;
}

static int pause_or_resume(const struct cli_command *cmd,
                           int argc,
                           char **argv,
                           bool pause)
{
    struct one x = {0};
    struct flag flags[] = {
        CLI_API_FLAGS(x.o),
        {"detach", FLAG_BOOL, &x.detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &x.verbose, "full information"},
    };
    size_t nflags = sizeof(flags) / sizeof(flags[0]);
    int status;
    json_t *resp = NULL;

    /* pause has no -detach: it starts nothing to monitor. */
    if (pause)
        memmove(&flags[nflags - 2], &flags[nflags - 1], sizeof(flags[0]));
    status = one_begin(cmd, &x, flags, pause ? nflags - 1 : nflags, argc, argv);
    if (status >= 0)
        return status;
    status =
        update(&x, "pause",
               json_pack("{s:s,s:b}", "DeploymentID", cli_jstr(x.d, "ID"),
                         "Pause", pause),
               pause ? "Error pausing deployment" : "Error resuming deployment",
               &resp);
    if (status == 0) {
        printf("Deployment \"%s\" %s\n", cli_jstr(x.d, "ID"),
               pause ? "paused" : "resumed");
        fflush(stdout);
        if (!pause)
            status = follow(&x, resp, true);
    }
    json_decref(resp);
    one_end(&x);
    return status;
}

int cli_cmd_deployment_pause(const struct cli_command *cmd,
                             int argc,
                             char **argv)
{
    return pause_or_resume(cmd, argc, argv, true);
}

int cli_cmd_deployment_resume(const struct cli_command *cmd,
                              int argc,
                              char **argv)
{
    return pause_or_resume(cmd, argc, argv, false);
}

/*
 * Nomad's Job.Deployments without -all: only the deployments of this
 * instance of the job (a job purged and registered again starts over).
 */
static int drop_older_instances(struct api_client *c,
                                const char *esc_id,
                                json_t *deps)
{
    struct err err = ERR_INIT;
    json_t *job;
    int64_t created;

    if (cli_get(c, &job, &err, "/v1/job/%s", esc_id) != 0) {
        fprintf(stderr, "Error retrieving deployments: %s\n", err.msg);
        return 1;
    }
    created = cli_jint(job, "CreateIndex");
    json_decref(job);
    for (size_t i = json_array_size(deps); i-- > 0;) {
        if (cli_jint(json_array_get(deps, i), "JobCreateIndex") != created)
            json_array_remove(deps, i);
    }
    return 0;
}

int cli_cmd_job_deployments(const struct cli_command *cmd,
                            int argc,
                            char **argv)
{
    struct cli_api_opts o = {0};
    bool verbose = false, json = false, latest = false, all = false;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"verbose", FLAG_BOOL, &verbose, "full information"},
        {"json", FLAG_BOOL, &json, "JSON output"},
        {"latest", FLAG_BOOL, &latest, "the latest deployment only"},
        {"all", FLAG_BOOL, &all, "deployments of older instances too"},
    };
    struct err err = ERR_INIT;
    struct api_client c;
    json_t *out = NULL;
    char *prefix = NULL, *id = NULL, *ns = NULL, *esc = NULL;
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
    if (ns != NULL && ns[0] != '\0') {
        free(c.namespace);
        c.namespace = xstrdup(ns);
    }
    esc = cli_escape(id);
    if (cli_get(&c, &out, &err, "/v1/job/%s/%s", esc,
                latest ? "deployment" : "deployments") != 0) {
        fprintf(stderr, "Error retrieving deployments: %s\n", err.msg);
        goto out;
    }
    if (!latest && !all && drop_older_instances(&c, esc, out) != 0)
        goto out;
    status = 0;
    if (json) {
        cli_print_json(out);
    } else {
        struct buf b = BUF_INIT;

        if (!latest)
            format_deployments(&b, out, verbose, true);
        else if (json_is_object(out))
            cli_format_deployment(&b, out, verbose);
        else
            buf_puts(&b, "No deployment found");
        cli_output(&b);
        buf_release(&b);
    }
out:
    json_decref(out);
    free(esc);
    free(id);
    free(ns);
    free(prefix);
    api_client_release(&c);
    return status;
}
