/* Shared pieces of the read commands (see query.h). */
#include "agent/cli/query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/format.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

void cli_api_client(struct api_client *c, const struct cli_api_opts *o)
{
    api_client_init(c, o->address, o->token, o->region, o->namespace);
}

bool cli_all_namespaces(const struct api_client *c)
{
    return c->namespace != NULL && strcmp(c->namespace, "*") == 0;
}

int cli_flags(const struct cli_command *cmd,
              const struct flag *flags,
              size_t n,
              int argc,
              char **argv,
              int *first)
{
    struct err err = ERR_INIT;
    int rc = flags_parse(flags, n, argc, argv, first, &err);

    if (rc == FLAGS_HELP) {
        fputs(cmd->help, stdout);
        return 0;
    }
    if (rc != 0)
        return cli_usage_error(cmd, "%s", err.msg);
    return -1;
}

int cli_arg_error(const struct cli_command *cmd, const char *msg)
{
    fprintf(stderr, "%s\nFor additional help try 'caravan %s -help'\n", msg,
            cmd->name);
    return 1;
}

int cli_get(struct api_client *c,
            json_t **out,
            struct err *err,
            const char *fmt,
            ...)
{
    struct api_response resp;
    json_error_t jerr;
    va_list ap;
    char *path;
    int rc;

    *out = NULL;
    va_start(ap, fmt);
    path = xvasprintf(fmt, ap);
    va_end(ap);
    api_response_init(&resp);
    rc = api_request(c, "GET", path, NULL, 0, &resp, err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, err);
    if (rc == 0) {
        *out = json_loadb(buf_str(&resp.body), resp.body.len, JSON_DECODE_ANY,
                          &jerr);
        if (*out == NULL)
            rc = err_set(err, ERR_MALFORMED, "bad JSON from agent: %s",
                         jerr.text);
    }
    api_response_release(&resp);
    free(path);
    return rc;
}

char *cli_trim_dup(const char *s)
{
    const char *end = s + strlen(s);

    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    while (end > s && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
        end--;
    return xstrndup(s, (size_t)(end - s));
}

char *cli_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf b = BUF_INIT;

    buf_puts(&b, "");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
            buf_putc(&b, (char)*p);
        } else {
            buf_putc(&b, '%');
            buf_putc(&b, hex[*p >> 4]);
            buf_putc(&b, hex[*p & 15]);
        }
    }
    return buf_detach(&b);
}

const char *cli_jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

int64_t cli_jint(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_real(v))
        return (int64_t)json_real_value(v);
    return (int64_t)json_integer_value(v);
}

bool cli_jbool(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* Parses "2024-05-01T10:00:00.123Z" or "...+02:00" into unix ns. */
static int64_t parse_rfc3339(const char *s)
{
    int y, mo, d, h, mi, sec, n = 0;
    int64_t frac = 0, scale = 100000000, off = 0;
    struct tm tm;
    const char *p;
    time_t t;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
               &n) != 6)
        return 0;
    if (y <= 1)
        return 0; /* Go's zero time.Time */
    p = s + n;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;

        if (sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
            off = (*p == '-' ? -1 : 1) * ((int64_t)oh * 3600 + om * 60);
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    return ((int64_t)t - off) * NS_PER_SEC + frac;
}

int64_t cli_jtime(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_string(v))
        return parse_rfc3339(json_string_value(v));
    return cli_jint(o, key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **cli_sorted_keys(const json_t *obj, size_t *n)
{
    const char **keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys));
    const char *k;
    json_t *v;
    size_t i = 0;

    json_object_foreach((json_t *)obj, k, v)
    {
        keys[i++] = k;
    }
    qsort(keys, i, sizeof(*keys), cmp_str);
    *n = i;
    return keys;
}

void cli_time_abs(int64_t unix_ns, char *out, size_t size)
{
    if (unix_ns < NS_PER_SEC) {
        snprintf(out, size, "%s", "");
        return;
    }
    format_time_rfc3339(unix_ns, out, size);
}

static int64_t round_sec(int64_t ns)
{
    return (ns + NS_PER_SEC / 2) / NS_PER_SEC * NS_PER_SEC;
}

void cli_time_ago(int64_t unix_ns, char *out, size_t size)
{
    if (unix_ns == 0) {
        snprintf(out, size, "%s", "");
        return;
    }
    /* Nomad rounds both ends to the second before subtracting. */
    format_time_relative(round_sec(unix_ns), round_sec(time_wall_unix_ns()),
                         out, size);
}

const char *cli_quote(const char *s, char *out, size_t size)
{
    struct buf b = BUF_INIT;

    buf_putc(&b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            buf_puts(&b, "\\\"");
            break;
        case '\\':
            buf_puts(&b, "\\\\");
            break;
        case '\n':
            buf_puts(&b, "\\n");
            break;
        case '\t':
            buf_puts(&b, "\\t");
            break;
        case '\r':
            buf_puts(&b, "\\r");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                buf_printf(&b, "\\x%02x", *p);
            else
                buf_putc(&b, (char)*p);
        }
    }
    buf_putc(&b, '"');
    snprintf(out, size, "%s", buf_str(&b));
    buf_release(&b);
    return out;
}

void cli_ibytes(uint64_t bytes, char *out, size_t size)
{
    static const char *const units[] = {"B",   "KiB", "MiB", "GiB",
                                        "TiB", "PiB", "EiB"};
    uint64_t base = 1;
    size_t e = 0;
    double val;

    if (bytes < 10) {
        snprintf(out, size, "%llu B", (unsigned long long)bytes);
        return;
    }
    while (e + 1 < sizeof(units) / sizeof(units[0]) && bytes / base >= 1024) {
        base *= 1024;
        e++;
    }
    /* One decimal, rounded half up, shown only below 10. */
    val = (double)(uint64_t)((double)bytes / (double)base * 10 + 0.5) / 10;
    snprintf(out, size, val < 10 ? "%.1f %s" : "%.0f %s", val, units[e]);
}

void cli_sanitize_uuid_prefix(char *prefix)
{
    size_t len = strlen(prefix), chars = 0;

    for (size_t i = 0; i < len; i++) {
        if (prefix[i] != '-')
            chars++;
    }
    if (chars % 2 == 1)
        prefix[len - 1] = '\0';
}

char *cli_uuid_prefix(const char *arg)
{
    char *p;

    if (strlen(arg) == 1) {
        fprintf(stderr, "Identifier must contain at least two characters.\n");
        return NULL;
    }
    p = xstrdup(arg);
    cli_sanitize_uuid_prefix(p);
    return p;
}

int cli_job_by_prefix(struct api_client *c,
                      const char *prefix,
                      char **id,
                      char **ns)
{
    struct err err = ERR_INIT;
    char *esc = cli_escape(prefix);
    json_t *jobs = NULL, *first;
    char q[512];
    int status = 1;

    *id = *ns = NULL;
    if (cli_get(c, &jobs, &err, "/v1/jobs?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error querying job prefix %s: %s\n",
                cli_quote(prefix, q, sizeof(q)), err.msg);
        goto out;
    }
    if (json_array_size(jobs) == 0) {
        fprintf(stderr, "No job(s) with prefix or ID %s found\n",
                cli_quote(prefix, q, sizeof(q)));
        goto out;
    }
    first = json_array_get(jobs, 0);
    if (json_array_size(jobs) > 1) {
        bool exact = strcmp(prefix, cli_jstr(first, "ID")) == 0;
        bool in_many_ns = cli_all_namespaces(c) &&
                          strcmp(cli_jstr(first, "ID"),
                                 cli_jstr(json_array_get(jobs, 1), "ID")) == 0;

        if (!exact || in_many_ns) {
            struct buf b = BUF_INIT;

            cli_format_job_list(&b, jobs, cli_all_namespaces(c));
            fprintf(stderr, "Prefix %s matched multiple jobs\n\n%s\n",
                    cli_quote(prefix, q, sizeof(q)), buf_str(&b));
            buf_release(&b);
            goto out;
        }
    }
    *id = xstrdup(cli_jstr(first, "ID"));
    *ns = xstrdup(
        cli_jstr(json_object_get(first, "JobSummary"), "Namespace")[0]
            ? cli_jstr(json_object_get(first, "JobSummary"), "Namespace")
            : cli_jstr(first, "Namespace"));
    status = 0;
out:
    json_decref(jobs);
    free(esc);
    return status;
}

void cli_print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(4) | JSON_ENCODE_ANY);

    printf("%s\n", text ? text : "null");
    free(text);
}

void cli_heading(const char *heading)
{
    printf("\n%s\n", heading);
}

void cli_output(const struct buf *b)
{
    printf("%s\n", buf_str(b));
}

static void job_type(const json_t *job, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s", cli_jstr(job, "Type"),
             cli_jbool(job, "Periodic") ? "/periodic" : "",
             cli_jbool(job, "ParameterizedJob") ? "/parameterized" : "");
}

void cli_format_job_list(struct buf *out, const json_t *jobs, bool show_ns)
{
    struct rows r = ROWS_INIT;
    size_t i;
    json_t *j;

    if (show_ns)
        rows_addf(&r, "ID|Namespace|Type|Priority|Status|Submit Date");
    else
        rows_addf(&r, "ID|Type|Priority|Status|Submit Date");
    json_array_foreach(jobs, i, j)
    {
        char type[128], submit[64];

        job_type(j, type, sizeof(type));
        cli_time_abs(cli_jint(j, "SubmitTime"), submit, sizeof(submit));
        rows_addf(&r, "%s|", cli_jstr(j, "ID"));
        if (show_ns)
            rows_appendf(
                &r, "%s|",
                cli_jstr(json_object_get(j, "JobSummary"), "Namespace"));
        rows_appendf(&r, "%s|%lld|%s%s|%s", type,
                     (long long)cli_jint(j, "Priority"), cli_jstr(j, "Status"),
                     cli_jbool(j, "Stop") ? " (stopped)" : "", submit);
    }
    rows_format_list(&r, out);
    rows_release(&r);
}

void cli_format_alloc_stubs(struct buf *out,
                            const json_t *allocs,
                            bool verbose,
                            bool full_ids)
{
    struct rows r = ROWS_INIT;
    size_t i;
    json_t *a;

    if (json_array_size(allocs) == 0) {
        buf_puts(out, "No allocations placed");
        return;
    }
    if (verbose)
        rows_addf(&r,
                  "ID|Eval ID|Node ID|Node Name|Task Group|Version|"
                  "Desired|Status|Created|Modified");
    else
        rows_addf(&r,
                  "ID|Node ID|Task Group|Version|Desired|Status|Created|"
                  "Modified");
    json_array_foreach(allocs, i, a)
    {
        char b1[9], b2[9], b3[9], created[64], modified[64];
        int64_t ct = cli_jint(a, "CreateTime"), mt = cli_jint(a, "ModifyTime");

        if (verbose) {
            cli_time_abs(ct, created, sizeof(created));
            cli_time_abs(mt, modified, sizeof(modified));
            rows_addf(&r, "%s|%s|%s|%s|%s|%lld|%s|%s|%s|%s",
                      format_short_id(cli_jstr(a, "ID"), full_ids, b1),
                      format_short_id(cli_jstr(a, "EvalID"), full_ids, b2),
                      format_short_id(cli_jstr(a, "NodeID"), full_ids, b3),
                      cli_jstr(a, "NodeName"), cli_jstr(a, "TaskGroup"),
                      (long long)cli_jint(a, "JobVersion"),
                      cli_jstr(a, "DesiredStatus"), cli_jstr(a, "ClientStatus"),
                      created, modified);
        } else {
            cli_time_ago(ct, created, sizeof(created));
            cli_time_ago(mt, modified, sizeof(modified));
            rows_addf(&r, "%s|%s|%s|%lld|%s|%s|%s|%s",
                      format_short_id(cli_jstr(a, "ID"), full_ids, b1),
                      format_short_id(cli_jstr(a, "NodeID"), full_ids, b2),
                      cli_jstr(a, "TaskGroup"),
                      (long long)cli_jint(a, "JobVersion"),
                      cli_jstr(a, "DesiredStatus"), cli_jstr(a, "ClientStatus"),
                      created, modified);
        }
    }
    rows_format_list(&r, out);
    rows_release(&r);
}

/* Appends the "<prefix>* <what>" lines of one map member of a metric. */
static void metric_map(struct buf *out,
                       const json_t *metric,
                       const char *key,
                       const char *prefix,
                       const char *fmt)
{
    const char *k;
    json_t *v;

    json_object_foreach(json_object_get(metric, key), k, v)
    {
        char q[512];

        buf_puts(out, prefix);
        buf_printf(out, fmt, cli_quote(k, q, sizeof(q)),
                   (long long)json_integer_value(v));
        buf_putc(out, '\n');
    }
}

static void score_table(struct buf *out, const json_t *meta)
{
    json_t *names = json_object();
    const char **sorted;
    struct rows r = ROWS_INIT;
    size_t i, n;
    json_t *m;

    json_array_foreach(meta, i, m)
    {
        const char *k;
        json_t *v;

        json_object_foreach(json_object_get(m, "Scores"), k, v)
        {
            json_object_set_new(names, k, json_true());
        }
    }
    sorted = cli_sorted_keys(names, &n);
    rows_addf(&r, "Node|");
    for (size_t k = 0; k < n; k++)
        rows_appendf(&r, "%s|", sorted[k]);
    rows_appendf(&r, "final score");
    json_array_foreach(meta, i, m)
    {
        json_t *scores = json_object_get(m, "Scores");

        rows_addf(&r, "%s|", cli_jstr(m, "NodeID"));
        for (size_t k = 0; k < n; k++)
            rows_appendf(&r, "%.3g|",
                         json_number_value(json_object_get(scores, sorted[k])));
        rows_appendf(&r, "%.3g",
                     json_number_value(json_object_get(m, "NormScore")));
    }
    rows_format_list(&r, out);
    rows_release(&r);
    free(sorted);
    json_decref(names);
}

void cli_format_alloc_metrics(struct buf *out,
                              const json_t *metric,
                              bool scores,
                              const char *prefix)
{
    struct buf b = BUF_INIT;
    const char *k;
    json_t *v;
    size_t i;

    buf_puts(&b, "");
    if (cli_jint(metric, "NodesEvaluated") == 0)
        buf_printf(&b, "%s* No nodes were eligible for evaluation\n", prefix);
    json_object_foreach(json_object_get(metric, "NodesAvailable"), k, v)
    {
        char q[512];

        if (json_integer_value(v) == 0)
            buf_printf(&b, "%s* No nodes are available in datacenter %s\n",
                       prefix, cli_quote(k, q, sizeof(q)));
    }
    metric_map(&b, metric, "ClassFiltered", prefix,
               "* Class %s: %lld nodes excluded by filter");
    metric_map(&b, metric, "ConstraintFiltered", prefix,
               "* Constraint %s: %lld nodes excluded by filter");
    if (cli_jint(metric, "NodesExhausted") > 0)
        buf_printf(&b, "%s* Resources exhausted on %lld nodes\n", prefix,
                   (long long)cli_jint(metric, "NodesExhausted"));
    metric_map(&b, metric, "ClassExhausted", prefix,
               "* Class %s exhausted on %lld nodes");
    metric_map(&b, metric, "DimensionExhausted", prefix,
               "* Dimension %s exhausted on %lld nodes");
    json_array_foreach(json_object_get(metric, "QuotaExhausted"), i, v)
    {
        char q[512];

        buf_printf(&b, "%s* Quota limit hit %s\n", prefix,
                   cli_quote(json_string_value(v) ? json_string_value(v) : "",
                             q, sizeof(q)));
    }
    if (scores) {
        json_t *meta = json_object_get(metric, "ScoreMetaData");

        if (json_array_size(meta) > 0) {
            score_table(&b, meta);
        } else {
            json_object_foreach(json_object_get(metric, "Scores"), k, v)
            {
                char q[512];

                buf_printf(&b, "%s* Score %s = %f\n", prefix,
                           cli_quote(k, q, sizeof(q)), json_number_value(v));
            }
        }
    }
    if (b.len > 0 && b.data[b.len - 1] == '\n')
        b.data[--b.len] = '\0';
    buf_puts(out, buf_str(&b));
    buf_release(&b);
}

const char *cli_eval_failures(const json_t *eval, bool *has_failures)
{
    bool has = json_object_size(json_object_get(eval, "FailedTGAllocs")) > 0;

    if (has_failures != NULL)
        *has_failures = has;
    if (strcmp(cli_jstr(eval, "Status"), "blocked") == 0)
        return "N/A - In Progress";
    return has ? "true" : "false";
}

const json_t *cli_find_group(const json_t *job, const char *name)
{
    size_t i;
    json_t *g;

    json_array_foreach(json_object_get(job, "TaskGroups"), i, g)
    {
        if (strcmp(cli_jstr(g, "Name"), name) == 0)
            return g;
    }
    return NULL;
}

/* The one job of a kind a prefix names (see query.h). */
int cli_job_by_prefix_kind(struct api_client *c,
                           const char *prefix,
                           const char *flag,
                           const char *noun,
                           char **id,
                           char **ns)
{
    struct err err = ERR_INIT;
    char *esc = cli_escape(prefix);
    json_t *jobs = NULL, *v, *match = NULL;
    char q[512];
    size_t i, n = 0;
    int status = 1;

    *id = *ns = NULL;
    if (cli_get(c, &jobs, &err, "/v1/jobs?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error querying job prefix %s: %s\n",
                cli_quote(prefix, q, sizeof(q)), err.msg);
        goto out;
    }
    json_array_foreach(jobs, i, v)
    {
        if (!cli_jbool(v, flag))
            continue;
        /* An exact id wins over longer ids sharing the prefix. */
        if (strcmp(cli_jstr(v, "ID"), prefix) == 0) {
            match = v;
            n = 1;
            break;
        }
        match = match ? match : v;
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "No %s job(s) with prefix or ID %s found\n", noun,
                cli_quote(prefix, q, sizeof(q)));
        goto out;
    }
    if (n > 1) {
        fprintf(stderr, "Prefix %s matched multiple %s jobs\n",
                cli_quote(prefix, q, sizeof(q)), noun);
        goto out;
    }
    *id = xstrdup(cli_jstr(match, "ID"));
    *ns = xstrdup(cli_jstr(match, "Namespace"));
    status = 0;
out:
    json_decref(jobs);
    free(esc);
    return status;
}

