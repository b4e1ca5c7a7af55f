/* Evaluation monitor (see monitor.h). */
#include "agent/cli/monitor.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/api/api.h"
#include "agent/cli/format.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

struct seen_alloc
{
    char *id;
    char *client_status;
};

struct monitor
{
    struct api_client *c;
    bool verbose;
    bool seen_job, seen_node, seen_deployment;
    char deployment_id[64];
    char *status;
    struct seen_alloc *allocs;
    size_t nallocs;
};

static void stamp(char *out, size_t size)
{
    format_time_rfc3339(time_wall_unix_ns(), out, size);
}

static void line(bool heading, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void line(bool heading, const char *fmt, ...)
{
    char ts[64];
    va_list ap;

    stamp(ts, sizeof(ts));
    printf("%s%s: ", heading ? "==> " : "    ", ts);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *short_id(struct monitor *m, const char *id, char buf[9])
{
    return format_short_id(id ? id : "", m->verbose, buf);
}

/* GET path as JSON. */
static int get_json(struct api_client *c, const char *path, json_t **out,
                    struct err *err)
{
    struct api_response resp;
    json_error_t jerr;
    int rc;

    *out = NULL;
    api_response_init(&resp);
    rc = api_request(c, "GET", path, NULL, 0, &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0) {
        *out = json_loadb(buf_str(&resp.body), resp.body.len, 0, &jerr);
        if (*out == NULL)
            rc = err_set(err, ERR_MALFORMED, "bad JSON from agent: %s",
                         jerr.text);
    }
    api_response_release(&resp);
    return rc;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static void report_allocs(struct monitor *m, const char *eval_id)
{
    char path[128];
    struct err err = ERR_INIT;
    json_t *list;
    size_t i;
    json_t *a;

    snprintf(path, sizeof(path), "/v1/evaluation/%s/allocations", eval_id);
    if (get_json(m->c, path, &list, &err) != 0)
        return;
    json_array_foreach(list, i, a)
    {
        const char *id = jstr(a, "ID");
        const char *cs = jstr(a, "ClientStatus");
        struct seen_alloc *s = NULL;
        char b1[9], b2[9];

        for (size_t k = 0; k < m->nallocs; k++) {
            if (strcmp(m->allocs[k].id, id) == 0)
                s = &m->allocs[k];
        }
        if (s == NULL) {
            if (strcmp(jstr(a, "DesiredStatus"), "run") != 0)
                continue;
            m->allocs = xrealloc(m->allocs, (m->nallocs + 1) * sizeof(*s));
            s = &m->allocs[m->nallocs++];
            s->id = xstrdup(id);
            s->client_status = xstrdup(cs);
            line(false, "Allocation \"%s\" created: node \"%s\", group \"%s\"",
                 short_id(m, id, b1), short_id(m, jstr(a, "NodeID"), b2),
                 jstr(a, "TaskGroup"));
        } else if (strcmp(s->client_status, cs) != 0) {
            line(false, "Allocation \"%s\" status changed: \"%s\" -> \"%s\" (%s)",
                 short_id(m, id, b1), s->client_status, cs,
                 jstr(a, "ClientDescription"));
            free(s->client_status);
            s->client_status = xstrdup(cs);
        }
    }
    json_decref(list);
}

/* Prints why placements failed, from the eval's FailedTGAllocs. */
static void report_failures(json_t *failed)
{
    const char *group;
    json_t *metric;

    json_object_foreach(failed, group, metric)
    {
        int64_t coalesced =
            json_integer_value(json_object_get(metric, "CoalescedFailures"));
        json_t *m;
        const char *k;
        json_t *v;

        line(false, "Task Group \"%s\" (failed to place %lld allocation%s):",
             group, (long long)(coalesced + 1), coalesced > 0 ? "s" : "");
        if (json_integer_value(json_object_get(metric, "NodesEvaluated")) ==
            0) {
            printf("      * No nodes were eligible for evaluation\n");
        }
        m = json_object_get(metric, "NodesAvailable");
        json_object_foreach(m, k, v)
        {
            if (json_integer_value(v) == 0)
                printf("      * No nodes are available in datacenter \"%s\"\n",
                       k);
        }
        m = json_object_get(metric, "ClassFiltered");
        json_object_foreach(m, k, v)
        printf("      * Class \"%s\": %lld nodes excluded by filter\n", k,
               (long long)json_integer_value(v));
        m = json_object_get(metric, "ConstraintFiltered");
        json_object_foreach(m, k, v)
        printf("      * Constraint \"%s\": %lld nodes excluded by filter\n", k,
               (long long)json_integer_value(v));
        if (json_integer_value(json_object_get(metric, "NodesExhausted")) > 0)
            printf("      * Resources exhausted on %lld nodes\n",
                   (long long)json_integer_value(
                       json_object_get(metric, "NodesExhausted")));
        m = json_object_get(metric, "ClassExhausted");
        json_object_foreach(m, k, v)
        printf("      * Class \"%s\" exhausted on %lld nodes\n", k,
               (long long)json_integer_value(v));
        m = json_object_get(metric, "DimensionExhausted");
        json_object_foreach(m, k, v)
        printf("      * Dimension \"%s\" exhausted on %lld nodes\n", k,
               (long long)json_integer_value(v));
    }
    fflush(stdout);
}

/* The deployment block Nomad prints (non-TTY form). */
static void print_deployment(json_t *d, bool verbose)
{
    struct buf b = BUF_INIT;
    char id[9], version[32];
    const char *kv[10];
    const char **cells;
    const char *name;
    json_t *g, *groups = json_object_get(d, "TaskGroups");
    size_t rows = 0, n = json_object_size(groups) + 1;
    char (*nums)[4][24] = xcalloc(n, sizeof(*nums));
    char (*dl)[64] = xcalloc(n, sizeof(*dl));

    snprintf(version, sizeof(version), "%lld",
             (long long)json_integer_value(json_object_get(d, "JobVersion")));
    kv[0] = "ID";
    kv[1] = format_short_id(jstr(d, "ID"), verbose, id);
    kv[2] = "Job ID";
    kv[3] = jstr(d, "JobID");
    kv[4] = "Job Version";
    kv[5] = version;
    kv[6] = "Status";
    kv[7] = jstr(d, "Status");
    kv[8] = "Description";
    kv[9] = jstr(d, "StatusDescription");
    format_kv(&b, kv, 5);
    buf_puts(&b, "\n\nDeployed\n");
    cells = xcalloc(n * 6, sizeof(*cells));
    cells[0] = "Task Group";
    cells[1] = "Desired";
    cells[2] = "Placed";
    cells[3] = "Healthy";
    cells[4] = "Unhealthy";
    cells[5] = "Progress Deadline";
    rows = 1;
    json_object_foreach(groups, name, g)
    {
        int64_t by = json_integer_value(json_object_get(g, "RequireProgressBy"));
        const char *keys[4] = {"DesiredTotal", "PlacedAllocs", "HealthyAllocs",
                               "UnhealthyAllocs"};

        cells[rows * 6] = name;
        for (int k = 0; k < 4; k++) {
            snprintf(nums[rows][k], sizeof(nums[rows][k]), "%lld",
                     (long long)json_integer_value(json_object_get(g, keys[k])));
            cells[rows * 6 + 1 + (size_t)k] = nums[rows][k];
        }
        if (by > 0)
            format_time_rfc3339(by, dl[rows], sizeof(dl[rows]));
        else
            snprintf(dl[rows], sizeof(dl[rows]), "N/A");
        cells[rows * 6 + 5] = dl[rows];
        rows++;
    }
    format_list(&b, cells, rows, 6);
    {
        char ts[64];

        stamp(ts, sizeof(ts));
        printf("    \n%s\n%s\n", ts, buf_str(&b));
    }
    fflush(stdout);
    free(cells);
    free(nums);
    free(dl);
    buf_release(&b);
}

/* Follows a deployment to its end; 0 when it succeeded. */
static int monitor_deployment(struct monitor *m)
{
    char path[160], b1[9];
    char *last = NULL;
    int status = 1;

    line(true, "Monitoring deployment \"%s\"",
         short_id(m, m->deployment_id, b1));
    for (;;) {
        struct err err = ERR_INIT;
        json_t *d;
        char *text;
        const char *st;

        snprintf(path, sizeof(path), "/v1/deployment/%s", m->deployment_id);
        if (get_json(m->c, path, &d, &err) != 0) {
            fprintf(stderr, "Error reading deployment: %s\n", err.msg);
            break;
        }
        text = json_dumps(d, JSON_COMPACT);
        if (last == NULL || strcmp(last, text) != 0)
            print_deployment(d, m->verbose);
        free(last);
        last = text;
        st = jstr(d, "Status");
        if (strcmp(st, "running") != 0 && strcmp(st, "paused") != 0 &&
            strcmp(st, "pending") != 0) {
            status = strcmp(st, "successful") == 0 ? 0 : 1;
            if (isatty(STDOUT_FILENO))
                printf("  %s Deployment \"%s\" %s\n",
                       status == 0 ? "\xe2\x9c\x93" : "!",
                       short_id(m, m->deployment_id, b1), st);
            json_decref(d);
            break;
        }
        json_decref(d);
        {
            /* The poll interval; each poll reads the state afresh. */
            struct timespec ts = {0, 500 * 1000 * 1000};

            nanosleep(&ts, NULL);
        }
    }
    free(last);
    return status;
}

static bool terminal(const char *status)
{
    return strcmp(status, "complete") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "canceled") == 0;
}

int monitor_eval(struct api_client *c, const char *eval_id, bool verbose)
{
    struct monitor m = {c, verbose, false, false, false, "", NULL, NULL, 0};
    char id[64], b1[9];
    int status = 0;

    snprintf(id, sizeof(id), "%s", eval_id);
    line(true, "Monitoring evaluation \"%s\"", short_id(&m, id, b1));
    for (;;) {
        char path[160];
        struct err err = ERR_INIT;
        json_t *e;
        const char *st;

        snprintf(path, sizeof(path), "/v1/evaluation/%s", id);
        if (get_json(c, path, &e, &err) != 0) {
            fprintf(stderr, "Error reading evaluation: %s\n", err.msg);
            status = 1;
            break;
        }
        if (!m.seen_node && jstr(e, "NodeID")[0]) {
            m.seen_node = true;
            line(false, "Evaluation triggered by node \"%s\"",
                 short_id(&m, jstr(e, "NodeID"), b1));
        }
        if (!m.seen_job && jstr(e, "JobID")[0]) {
            m.seen_job = true;
            line(false, "Evaluation triggered by job \"%s\"", jstr(e, "JobID"));
        }
        if (!m.seen_deployment && jstr(e, "DeploymentID")[0]) {
            m.seen_deployment = true;
            snprintf(m.deployment_id, sizeof(m.deployment_id), "%s",
                     jstr(e, "DeploymentID"));
            line(false, "Evaluation within deployment: \"%s\"",
                 short_id(&m, jstr(e, "DeploymentID"), b1));
        }
        report_allocs(&m, id);
        st = jstr(e, "Status");
        if (m.status == NULL || strcmp(m.status, st) != 0) {
            if (m.status != NULL)
                line(false, "Evaluation status changed: \"%s\" -> \"%s\"",
                     m.status, st);
            free(m.status);
            m.status = xstrdup(st);
        }
        if (terminal(st)) {
            json_t *failed = json_object_get(e, "FailedTGAllocs");

            if (json_is_object(failed) && json_object_size(failed) > 0) {
                line(true,
                     "Evaluation \"%s\" finished with status \"%s\" but "
                     "failed to place all allocations:",
                     short_id(&m, id, b1), st);
                report_failures(failed);
                if (jstr(e, "BlockedEval")[0])
                    line(false,
                         "Evaluation \"%s\" waiting for additional capacity "
                         "to place remainder",
                         short_id(&m, jstr(e, "BlockedEval"), b1));
                status = 2;
            } else {
                line(true, "Evaluation \"%s\" finished with status \"%s\"",
                     short_id(&m, id, b1), st);
            }
            if (strcmp(st, "complete") != 0)
                status = 2;
            json_decref(e);
            if (m.seen_deployment && status == 0)
                status = monitor_deployment(&m);
            break;
        }
        json_decref(e);
        {
            /* The poll interval of a terminal monitor, not a stand-in for
             * a condition: the next poll reads the condition again. */
            struct timespec ts = {0, 200 * 1000 * 1000};

            nanosleep(&ts, NULL);
        }
    }
    for (size_t i = 0; i < m.nallocs; i++) {
        free(m.allocs[i].id);
        free(m.allocs[i].client_status);
    }
    free(m.allocs);
    free(m.status);
    return status;
}
