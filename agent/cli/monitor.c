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
#include "agent/cli/cmd_deployment.h"
#include "agent/cli/format.h"
#include "agent/cli/query.h"
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

/* The deployment block Nomad prints (non-TTY form); verbose adds the
 * deployment's allocations. */
static void print_deployment(struct api_client *c,
                             const json_t *d,
                             bool verbose)
{
    struct buf b = BUF_INIT;
    char ts[64];

    cli_format_deployment(&b, d, verbose);
    if (verbose) {
        struct err err = ERR_INIT;
        json_t *allocs;
        char *esc = cli_escape(jstr(d, "ID"));
        char path[256];

        snprintf(path, sizeof(path), "/v1/deployment/allocations/%s", esc);
        free(esc);
        buf_puts(&b, "\n\nAllocations\n");
        if (get_json(c, path, &allocs, &err) != 0) {
            buf_printf(&b, "Error fetching allocations: %s", err.msg);
        } else {
            cli_format_alloc_stubs(&b, allocs, true, true);
            json_decref(allocs);
        }
    }
    stamp(ts, sizeof(ts));
    printf("    \n%s\n%s\n", ts, buf_str(&b));
    fflush(stdout);
    buf_release(&b);
}

static void pause_poll(long ms)
{
    /* The poll interval of a terminal monitor, not a stand-in for a
     * condition: the next poll reads the condition again. */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};

    nanosleep(&ts, NULL);
}

static bool deployment_ended(const char *st)
{
    return strcmp(st, "running") != 0 && strcmp(st, "paused") != 0 &&
           strcmp(st, "pending") != 0;
}

/* Polls deployment id until it ends; its last state in *out. */
static int follow_deployment(struct api_client *c,
                             const char *id,
                             bool verbose,
                             json_t **out)
{
    char path[160];
    char *last = NULL;

    *out = NULL;
    snprintf(path, sizeof(path), "/v1/deployment/%s", id);
    for (;;) {
        struct err err = ERR_INIT;
        json_t *d;
        char *text;

        if (get_json(c, path, &d, &err) != 0) {
            char ts[64];

            stamp(ts, sizeof(ts));
            fprintf(stderr, "%s: Error fetching deployment: %s\n", ts, err.msg);
            free(last);
            return 1;
        }
        text = json_dumps(d, JSON_COMPACT);
        if (last == NULL || strcmp(last, text) != 0)
            print_deployment(c, d, verbose);
        free(last);
        last = text;
        if (deployment_ended(jstr(d, "Status"))) {
            *out = d;
            free(last);
            return 0;
        }
        json_decref(d);
        pause_poll(500);
    }
}

static bool has_auto_revert(const json_t *d)
{
    const char *name;
    json_t *g;

    json_object_foreach(json_object_get(d, "TaskGroups"), name, g)
    {
        if (json_is_true(json_object_get(g, "AutoRevert")))
            return true;
    }
    return false;
}

/*
 * The deployment that rolls back failed deployment d: the job's latest,
 * once it is not d any more. Nomad waits a second for it; this asks for
 * a few seconds, as the rollback's eval may still be queued.
 */
static json_t *rollback_of(struct api_client *c, const json_t *d)
{
    char *esc = cli_escape(jstr(d, "JobID"));
    char path[512];

    snprintf(path, sizeof(path), "/v1/job/%s/deployment", esc);
    free(esc);
    for (int i = 0; i < 10; i++) {
        struct err err = ERR_INIT;
        json_t *r;

        pause_poll(500);
        if (get_json(c, path, &r, &err) != 0)
            return NULL;
        if (json_is_object(r) &&
            strcmp(jstr(r, "ID"), jstr(d, "ID")) != 0)
            return r;
        json_decref(r);
    }
    return NULL;
}

int monitor_deployment(struct api_client *c,
                       const char *deployment_id,
                       bool verbose)
{
    char id[64], b1[9];
    bool failed = false;
    int status = 1;

    snprintf(id, sizeof(id), "%s", deployment_id);
    for (;;) {
        json_t *d, *next = NULL;
        const char *st;

        if (follow_deployment(c, id, verbose, &d) != 0)
            return 1;
        st = jstr(d, "Status");
        /* A rolled-back rollout failed, however the rollback ends. */
        status = !failed && strcmp(st, "successful") == 0 ? 0 : 1;
        if (isatty(STDOUT_FILENO))
            printf("  %s Deployment \"%s\" %s\n",
                   strcmp(st, "successful") == 0 ? "\xe2\x9c\x93" : "!",
                   format_short_id(id, verbose, b1), st);
        if (strcmp(st, "failed") == 0 && has_auto_revert(d))
            next = rollback_of(c, d);
        json_decref(d);
        if (next == NULL)
            break;
        printf("\n");
        failed = true;
        snprintf(id, sizeof(id), "%s", jstr(next, "ID"));
        json_decref(next);
    }
    fflush(stdout);
    return status;
}

/* Follows the deployment the eval belongs to; 0 when it succeeded. */
static int monitor_eval_deployment(struct monitor *m)
{
    char b1[9];

    line(true, "Monitoring deployment \"%s\"",
         short_id(m, m->deployment_id, b1));
    return monitor_deployment(m->c, m->deployment_id, m->verbose);
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
                status = monitor_eval_deployment(&m);
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
