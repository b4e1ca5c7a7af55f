/*
 * `caravan alloc status`, as Nomad's alloc_status.go prints it: the
 * allocation block, its addresses, then per task the resources, task
 * events and recent events. While the alloc runs, its client's stats
 * endpoint adds the measured use to the reserved amounts (and, with
 * -stats, the detailed memory and cpu figures).
 */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/format.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/time.h"

#define BYTES_PER_MB (UINT64_C(1024) * 1024)

const char cli_help_alloc_status[] =
    "Usage: caravan alloc status [options] <allocation>\n"
    "\n"
    "  Display information about existing allocations and its tasks. This "
    "command can\n"
    "  be used to inspect the current status of an allocation, including its "
    "running\n"
    "  status, metadata, and verbose failure messages reported by internal\n"
    "  subsystems.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Alloc Status Options:\n"
    "\n"
    "  -short\n"
    "    Display short output. Shows only the most recent task event.\n"
    "\n"
    "  -stats\n"
    "    Display detailed resource usage statistics.\n"
    "\n"
    "  -verbose\n"
    "    Show full information.\n"
    "\n"
    "  -json\n"
    "    Output the allocation in its JSON format.\n";

struct alloc_status
{
    struct api_client c;
    bool short_, stats, verbose, json;
};

static void print_kv(const struct rows *r)
{
    struct buf b = BUF_INIT;

    rows_format_kv(r, &b);
    cli_output(&b);
    buf_release(&b);
}

static void print_rows(const struct rows *r)
{
    struct buf b = BUF_INIT;

    rows_format_list(r, &b);
    cli_output(&b);
    buf_release(&b);
}

static const json_t *alloc_group(const json_t *alloc)
{
    return cli_find_group(json_object_get(alloc, "Job"),
                          cli_jstr(alloc, "TaskGroup"));
}

static const json_t *find_task(const json_t *group, const char *name)
{
    size_t i;
    json_t *t;

    json_array_foreach(json_object_get(group, "Tasks"), i, t)
    {
        if (strcmp(cli_jstr(t, "Name"), name) == 0)
            return t;
    }
    return NULL;
}

/* A task's lifecycle block, or NULL for a main task. */
static const json_t *lifecycle(const json_t *alloc, const char *task)
{
    const json_t *lc =
        json_object_get(find_task(alloc_group(alloc), task), "Lifecycle");

    return json_is_object(lc) ? lc : NULL;
}

/* Nomad's lifecycleDisplayName: "main", "prestart", "poststart sidecar". */
static void lifecycle_name(const json_t *lc, char *out, size_t size)
{
    if (lc == NULL || cli_jstr(lc, "Hook")[0] == '\0')
        snprintf(out, size, "main");
    else
        snprintf(out, size, "%s%s", cli_jstr(lc, "Hook"),
                 cli_jbool(lc, "Sidecar") ? " sidecar" : "");
}

/*
 * The task names sorted by name, then stably: tasks with a lifecycle
 * before main tasks, non-sidecars before sidecars (Nomad's order).
 */
static const char **sorted_tasks(const json_t *alloc, size_t *n)
{
    json_t *states = json_object_get(alloc, "TaskStates");
    const char **keys = cli_sorted_keys(states, n);

    /* Insertion sort keeps it stable. */
    for (size_t i = 1; i < *n; i++) {
        const char *k = keys[i];
        size_t j = i;

        while (j > 0) {
            const json_t *a = lifecycle(alloc, k);
            const json_t *b = lifecycle(alloc, keys[j - 1]);
            bool before =
                a != NULL && (b == NULL || (!cli_jbool(a, "Sidecar") &&
                                            cli_jbool(b, "Sidecar")));

            if (!before)
                break;
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = k;
    }
    return keys;
}

static void basic_times(const json_t *alloc,
                        bool absolute,
                        char *created,
                        char *modified,
                        size_t size)
{
    if (absolute) {
        cli_time_abs(cli_jint(alloc, "CreateTime"), created, size);
        cli_time_abs(cli_jint(alloc, "ModifyTime"), modified, size);
    } else {
        cli_time_ago(cli_jint(alloc, "CreateTime"), created, size);
        cli_time_ago(cli_jint(alloc, "ModifyTime"), modified, size);
    }
}

/* Nomad's Allocation.RescheduleInfo: attempts within the interval. */
static void reschedule_info(const json_t *alloc,
                            int64_t *attempted,
                            int64_t *total)
{
    const json_t *rp = json_object_get(alloc_group(alloc), "ReschedulePolicy");
    const json_t *events =
        json_object_get(json_object_get(alloc, "RescheduleTracker"), "Events");
    int64_t interval = cli_jint(rp, "Interval");
    int64_t at = cli_jint(alloc, "ModifyTime");
    size_t i;
    json_t *e;

    *attempted = 0;
    *total = json_is_object(rp) ? cli_jint(rp, "Attempts") : 0;
    if (*total <= 0 || interval <= 0)
        return;
    json_array_foreach(events, i, e)
    {
        if (at - cli_jint(e, "RescheduleTime") < interval)
            (*attempted)++;
    }
}

static void print_basic(struct alloc_status *s, const json_t *alloc)
{
    const json_t *ds = json_object_get(alloc, "DeploymentStatus");
    const json_t *metrics = json_object_get(alloc, "Metrics");
    struct rows r = ROWS_INIT;
    char created[64], modified[64], b1[9];
    bool v = s->verbose;

    basic_times(alloc, v, created, modified, sizeof(created));
    rows_addf(&r, "ID|%s", cli_jstr(alloc, "ID"));
    rows_addf(&r, "Eval ID|%s",
              format_short_id(cli_jstr(alloc, "EvalID"), v, b1));
    rows_addf(&r, "Name|%s", cli_jstr(alloc, "Name"));
    rows_addf(&r, "Node ID|%s",
              format_short_id(cli_jstr(alloc, "NodeID"), v, b1));
    rows_addf(&r, "Node Name|%s", cli_jstr(alloc, "NodeName"));
    rows_addf(&r, "Job ID|%s", cli_jstr(alloc, "JobID"));
    rows_addf(&r, "Job Version|%lld",
              (long long)cli_jint(json_object_get(alloc, "Job"), "Version"));
    rows_addf(&r, "Client Status|%s", cli_jstr(alloc, "ClientStatus"));
    rows_addf(&r, "Client Description|%s",
              cli_jstr(alloc, "ClientDescription"));
    rows_addf(&r, "Desired Status|%s", cli_jstr(alloc, "DesiredStatus"));
    rows_addf(&r, "Desired Description|%s",
              cli_jstr(alloc, "DesiredDescription"));
    rows_addf(&r, "Created|%s", created);
    rows_addf(&r, "Modified|%s", modified);
    if (cli_jstr(alloc, "DeploymentID")[0]) {
        const json_t *healthy = json_object_get(ds, "Healthy");
        const char *health = "unset";

        if (json_is_boolean(healthy))
            health = json_is_true(healthy) ? "healthy" : "unhealthy";
        rows_addf(&r, "Deployment ID|%s",
                  format_short_id(cli_jstr(alloc, "DeploymentID"), v, b1));
        rows_addf(&r, "Deployment Health|%s", health);
        if (cli_jbool(ds, "Canary"))
            rows_addf(&r, "Canary|true");
    }
    if (json_array_size(json_object_get(
            json_object_get(alloc, "RescheduleTracker"), "Events")) > 0) {
        int64_t attempted, total;

        reschedule_info(alloc, &attempted, &total);
        /* Only when the policy limits the number of attempts. */
        if (total > 0)
            rows_addf(&r, "Reschedule Attempts|%lld/%lld", (long long)attempted,
                      (long long)total);
    }
    if (cli_jstr(alloc, "NextAllocation")[0])
        rows_addf(&r, "Replacement Alloc ID|%s",
                  format_short_id(cli_jstr(alloc, "NextAllocation"), v, b1));
    if (cli_jstr(alloc, "FollowupEvalID")[0]) {
        struct err err = ERR_INIT;
        json_t *eval;

        if (cli_get(&s->c, &eval, &err, "/v1/evaluation/%s",
                    cli_jstr(alloc, "FollowupEvalID")) == 0) {
            int64_t wait_until = cli_jtime(eval, "WaitUntil");
            char when[64];

            /* Not critical: only a known wait still in the future. */
            if (wait_until != 0 && time_wall_unix_ns() <= wait_until) {
                cli_time_ago(wait_until, when, sizeof(when));
                rows_addf(&r, "Reschedule Eligibility|%s", when);
            }
            json_decref(eval);
        }
    }
    if (v) {
        char t[64];

        duration_format(cli_jint(metrics, "AllocationTime"), t, sizeof(t));
        rows_addf(&r, "Evaluated Nodes|%lld",
                  (long long)cli_jint(metrics, "NodesEvaluated"));
        rows_addf(&r, "Filtered Nodes|%lld",
                  (long long)cli_jint(metrics, "NodesFiltered"));
        rows_addf(&r, "Exhausted Nodes|%lld",
                  (long long)cli_jint(metrics, "NodesExhausted"));
        rows_addf(&r, "Allocation Time|%s", t);
        rows_addf(&r, "Failures|%lld",
                  (long long)cli_jint(metrics, "CoalescedFailures"));
    }
    print_kv(&r);
    rows_release(&r);
}

static void add_address(struct rows *r,
                        const char *label,
                        const char *ip,
                        int64_t value,
                        int64_t to)
{
    rows_addf(r, "%s|yes|%s:%lld", label, ip, (long long)value);
    if (to > 0)
        rows_appendf(r, " -> %lld", (long long)to);
}

/* "Allocation Addresses (mode = "host"):" and the port table, if any. */
static void print_addresses(const json_t *alloc)
{
    const json_t *shared =
        json_object_get(json_object_get(alloc, "AllocatedResources"), "Shared");
    const json_t *nw = json_array_get(json_object_get(shared, "Networks"), 0);
    const json_t *ports = json_object_get(alloc, "Ports");
    struct rows r = ROWS_INIT;
    struct buf b = BUF_INIT;
    const char *mode;
    char q[128];
    size_t i;
    json_t *p;

    rows_addf(&r, "Label|Dynamic|Address");
    if (json_is_object(nw)) {
        /* Nomad's shape: AllocatedResources.Shared. */
        mode = cli_jstr(nw, "Mode");
        if (json_array_size(json_object_get(shared, "Ports")) > 0) {
            json_array_foreach(json_object_get(shared, "Ports"), i, p)
            {
                char label[256];

                snprintf(label, sizeof(label), "*%s", cli_jstr(p, "Label"));
                add_address(&r, label, cli_jstr(p, "HostIP"),
                            cli_jint(p, "Value"), cli_jint(p, "To"));
            }
        } else {
            const char *kinds[] = {"DynamicPorts", "ReservedPorts"};

            for (size_t k = 0; k < 2; k++) {
                json_array_foreach(json_object_get(nw, kinds[k]), i, p)
                {
                    add_address(&r, cli_jstr(p, "Label"), cli_jstr(nw, "IP"),
                                cli_jint(p, "Value"), cli_jint(p, "To"));
                }
            }
        }
    } else {
        /* Caravan's shape: the group's ports on the allocation. */
        const json_t *net =
            json_array_get(json_object_get(alloc_group(alloc), "Networks"), 0);

        mode = cli_jstr(net, "Mode")[0] ? cli_jstr(net, "Mode") : "host";
        json_array_foreach(ports, i, p)
        {
            char label[256];

            snprintf(label, sizeof(label), "*%s", cli_jstr(p, "Label"));
            add_address(&r, label, cli_jstr(p, "HostIP"), cli_jint(p, "Value"),
                        cli_jint(p, "To"));
        }
    }
    if (r.n > 1) {
        rows_format_list(&r, &b);
        printf("\n");
        if (mode[0])
            printf("Allocation Addresses (mode = %s):\n%s\n",
                   cli_quote(mode, q, sizeof(q)), buf_str(&b));
        else
            printf("Allocation Addresses:\n%s\n", buf_str(&b));
    }
    buf_release(&b);
    rows_release(&r);
}

/* The allocation's disk in MB: Resources, AllocatedResources or Caravan's
 * SharedDiskMB. */
static int64_t alloc_disk_mb(const json_t *alloc)
{
    const json_t *res = json_object_get(alloc, "Resources");
    const json_t *shared =
        json_object_get(json_object_get(alloc, "AllocatedResources"), "Shared");

    if (json_is_object(res))
        return cli_jint(res, "DiskMB");
    if (json_is_object(shared))
        return cli_jint(shared, "DiskMB");
    return cli_jint(alloc, "SharedDiskMB");
}

/*
 * Nomad reports RSS as a task's memory use, or the cgroup's usage when
 * RSS was not measured.
 */
static bool task_usage(const json_t *stats,
                       const char *task,
                       double *ticks,
                       uint64_t *mem)
{
    const json_t *ru =
        json_object_get(json_object_get(json_object_get(stats, "Tasks"), task),
                        "ResourceUsage");
    const json_t *ms = json_object_get(ru, "MemoryStats");
    const json_t *measured = json_object_get(ms, "Measured"), *v;
    bool has_rss = false;
    size_t i;

    if (!json_is_object(ru))
        return false;
    *ticks = json_number_value(
        json_object_get(json_object_get(ru, "CpuStats"), "TotalTicks"));
    json_array_foreach(measured, i, v)
    {
        has_rss = has_rss || (json_is_string(v) &&
                              strcmp(json_string_value(v), "RSS") == 0);
    }
    *mem = (uint64_t)cli_jint(ms, "RSS");
    if (*mem == 0 && !has_rss)
        *mem = (uint64_t)cli_jint(ms, "Usage");
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The Measured names of a stats block, sorted as Nomad prints them. */
static size_t measured_sorted(const json_t *block, const char **out, size_t max)
{
    const json_t *v;
    size_t i, n = 0;

    json_array_foreach(json_object_get(block, "Measured"), i, v)
    {
        if (json_is_string(v) && n < max)
            out[n++] = json_string_value(v);
    }
    qsort(out, n, sizeof(*out), cmp_str);
    return n;
}

static void measured_value(const json_t *block,
                           const char *name,
                           bool cpu,
                           char *buf,
                           size_t size)
{
    static const struct
    {
        const char *name, *field;
    } fields[] = {
        {"RSS", "RSS"},
        {"Cache", "Cache"},
        {"Swap", "Swap"},
        {"Usage", "Usage"},
        {"Max Usage", "MaxUsage"},
        {"Kernel Usage", "KernelUsage"},
        {"Kernel Max Usage", "KernelMaxUsage"},
        {"Percent", "Percent"},
        {"User Mode", "UserMode"},
        {"System Mode", "SystemMode"},
        {"Throttled Periods", "ThrottledPeriods"},
        {"Throttled Time", "ThrottledTime"},
    };
    const json_t *v = NULL;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(fields[i].name, name) == 0)
            v = json_object_get(block, fields[i].field);
    }
    if (v == NULL)
        return;
    if (!cpu)
        cli_ibytes((uint64_t)json_integer_value(v), buf, size);
    else if (strncmp(name, "Throttled", 9) == 0)
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, size, "%.2f%%", json_number_value(v));
}

/* alloc status -stats: Nomad's "Memory Stats" and "CPU Stats" lists. */
static void print_task_stats(const json_t *stats, const char *task)
{
    const json_t *ru =
        json_object_get(json_object_get(json_object_get(stats, "Tasks"), task),
                        "ResourceUsage");
    const char *const titles[] = {"Memory Stats", "CPU Stats"};
    const char *const keys[] = {"MemoryStats", "CpuStats"};

    for (int k = 0; k < 2; k++) {
        const json_t *block = json_object_get(ru, keys[k]);
        const char *names[16];
        size_t n = measured_sorted(block, names, 16);
        struct rows r = ROWS_INIT;

        if (n == 0)
            continue;
        rows_addf(&r, "%s", names[0]);
        for (size_t i = 1; i < n; i++)
            rows_appendf(&r, "|%s", names[i]);
        for (size_t i = 0; i < n; i++) {
            char v[48];

            measured_value(block, names[i], k == 1, v, sizeof(v));
            if (i == 0)
                rows_addf(&r, "%s", v);
            else
                rows_appendf(&r, "|%s", v);
        }
        printf("\n%s\n", titles[k]);
        print_rows(&r);
        rows_release(&r);
    }
}

static void print_task_resources(const json_t *alloc,
                                 const char *task,
                                 const json_t *stats)
{
    const json_t *res =
        json_object_get(json_object_get(alloc, "TaskResources"), task);
    struct rows r = ROWS_INIT;
    struct buf b = BUF_INIT;
    int64_t cpu, mem, mem_max, cores;
    char m[32], mm[48] = "", disk[32], header[64];
    const char *first_addr = "", *second_addr = "";
    char **addr = NULL;
    size_t naddr = 0, cap = 0, i;
    json_t *nw;

    if (!json_is_object(res))
        return;
    /* Nomad's Resources (CPU) or Caravan's task resources (CpuShares). */
    cpu = json_object_get(res, "CPU") ? cli_jint(res, "CPU")
                                      : cli_jint(res, "CpuShares");
    mem = cli_jint(res, "MemoryMB");
    mem_max = cli_jint(res, "MemoryMaxMB");
    cores = cli_jint(res, "Cores");
    json_array_foreach(json_object_get(res, "Networks"), i, nw)
    {
        const char *kinds[] = {"DynamicPorts", "ReservedPorts"};

        for (size_t k = 0; k < 2; k++) {
            size_t j;
            json_t *p;

            json_array_foreach(json_object_get(nw, kinds[k]), j, p)
            {
                XGROW(addr, cap, naddr + 1);
                addr[naddr++] = xasprintf("%s: %s:%lld", cli_jstr(p, "Label"),
                                          cli_jstr(nw, "IP"),
                                          (long long)cli_jint(p, "Value"));
            }
        }
    }
    if (naddr > 0)
        first_addr = addr[0];
    if (naddr > 1)
        second_addr = addr[1];
    if (cores > 0)
        snprintf(header, sizeof(header), "CPU (%lld cores)", (long long)cores);
    else
        snprintf(header, sizeof(header), "CPU");
    cli_ibytes((uint64_t)mem * BYTES_PER_MB, m, sizeof(m));
    if (mem_max != 0 && mem_max != mem) {
        char x[32];

        cli_ibytes((uint64_t)mem_max * BYTES_PER_MB, x, sizeof(x));
        snprintf(mm, sizeof(mm), "Max: %s", x);
    }
    cli_ibytes((uint64_t)alloc_disk_mb(alloc) * BYTES_PER_MB, disk,
               sizeof(disk));
    rows_addf(&r, "%s|Memory|Disk|Addresses", header);
    {
        double ticks;
        uint64_t used;
        char u[32];

        if (task_usage(stats, task, &ticks, &used)) {
            cli_ibytes(used, u, sizeof(u));
            rows_addf(&r, "%.0f/%lld MHz|%s/%s|%s|%s", floor(ticks),
                      (long long)cpu, u, m, disk, first_addr);
        } else {
            rows_addf(&r, "%lld MHz|%s|%s|%s", (long long)cpu, m, disk,
                      first_addr);
        }
    }
    if (mm[0] || second_addr[0])
        rows_addf(&r, "|%s||%s", mm, second_addr);
    for (i = 2; i < naddr; i++)
        rows_addf(&r, "|||%s", addr[i]);
    printf("Task Resources:\n");
    rows_format_list_spaces(&r, &b);
    cli_output(&b);
    for (i = 0; i < naddr; i++)
        free(addr[i]);
    free(addr);
    buf_release(&b);
    rows_release(&r);
}

/* Host and CSI volumes the task mounts (non-verbose form). */
static void print_task_volumes(const json_t *alloc, const char *task)
{
    const json_t *group = alloc_group(alloc);
    const json_t *t = find_task(group, task);
    struct rows host = ROWS_INIT, csi = ROWS_INIT;
    size_t i;
    json_t *vm;

    rows_addf(&host, "ID|Read Only");
    rows_addf(&csi, "ID|Read Only");
    json_array_foreach(json_object_get(t, "VolumeMounts"), i, vm)
    {
        const json_t *req = json_object_get(json_object_get(group, "Volumes"),
                                            cli_jstr(vm, "Volume"));

        if (strcmp(cli_jstr(req, "Type"), "host") == 0)
            rows_addf(&host, "%s|%s", cli_jstr(req, "Name"),
                      cli_jbool(vm, "ReadOnly") ? "true" : "false");
        else if (strcmp(cli_jstr(req, "Type"), "csi") == 0)
            rows_addf(&csi, "%s|%s", cli_jstr(req, "Name"),
                      cli_jbool(req, "ReadOnly") ? "true" : "false");
    }
    if (host.n > 1) {
        printf("Host Volumes:\n");
        print_rows(&host);
        printf("\n");
    }
    if (csi.n > 1) {
        printf("CSI Volumes:\n");
        print_rows(&csi);
        printf("\n");
    }
    rows_release(&csi);
    rows_release(&host);
}

/* Go's %v of a time.Duration given in nanoseconds. */
static void go_duration(int64_t ns, char *out, size_t size)
{
    duration_format(ns, out, size);
}

/* Nomad's buildDisplayMessage, for events without a DisplayMessage. */
static void event_message(const json_t *e, struct buf *out)
{
    const char *type = cli_jstr(e, "Type");
    char d[32], q[512];

#define FIELD_OR(key, fallback) \
    buf_puts(out, cli_jstr(e, key)[0] ? cli_jstr(e, key) : (fallback))

    if (strcmp(type, "Task Setup") == 0) {
        buf_puts(out, cli_jstr(e, "Message"));
    } else if (strcmp(type, "Started") == 0) {
        buf_puts(out, "Task started by client");
    } else if (strcmp(type, "Received") == 0) {
        buf_puts(out, "Task received by client");
    } else if (strcmp(type, "Failed Validation") == 0) {
        FIELD_OR("ValidationError", "Validation of task failed");
    } else if (strcmp(type, "Setup Failure") == 0) {
        FIELD_OR("SetupError", "Task setup failed");
    } else if (strcmp(type, "Driver Failure") == 0) {
        FIELD_OR("DriverError", "Failed to start task");
    } else if (strcmp(type, "Downloading Artifacts") == 0) {
        buf_puts(out, "Client is downloading artifacts");
    } else if (strcmp(type, "Failed Artifact Download") == 0) {
        FIELD_OR("DownloadError", "Failed to download artifacts");
    } else if (strcmp(type, "Killing") == 0) {
        if (cli_jstr(e, "KillReason")[0]) {
            buf_printf(out, "Killing task: %s", cli_jstr(e, "KillReason"));
        } else if (cli_jint(e, "KillTimeout") != 0) {
            go_duration(cli_jint(e, "KillTimeout"), d, sizeof(d));
            buf_printf(out, "Sent interrupt. Waiting %s before force killing",
                       d);
        } else {
            buf_puts(out, "Sent interrupt");
        }
    } else if (strcmp(type, "Killed") == 0) {
        FIELD_OR("KillError", "Task successfully killed");
    } else if (strcmp(type, "Terminated") == 0) {
        buf_printf(out, "Exit Code: %lld", (long long)cli_jint(e, "ExitCode"));
        if (cli_jint(e, "Signal") != 0)
            buf_printf(out, ", Signal: %lld", (long long)cli_jint(e, "Signal"));
        if (cli_jstr(e, "Message")[0])
            buf_printf(out, ", Exit Message: %s",
                       cli_quote(cli_jstr(e, "Message"), q, sizeof(q)));
    } else if (strcmp(type, "Restarting") == 0) {
        const char *reason = cli_jstr(e, "RestartReason");

        go_duration(cli_jint(e, "StartDelay"), d, sizeof(d));
        if (reason[0] && strcmp(reason, "Restart within policy") != 0)
            buf_printf(out, "%s - Task restarting in %s", reason, d);
        else
            buf_printf(out, "Task restarting in %s", d);
    } else if (strcmp(type, "Not Restarting") == 0) {
        FIELD_OR("RestartReason", "Task exceeded restart policy");
    } else if (strcmp(type, "Sibling Task Failed") == 0) {
        if (cli_jstr(e, "FailedSibling")[0])
            buf_printf(out, "Task's sibling %s failed",
                       cli_quote(cli_jstr(e, "FailedSibling"), q, sizeof(q)));
        else
            buf_puts(out, "Task's sibling failed");
    } else if (strcmp(type, "Signaling") == 0) {
        const char *sig = cli_jstr(e, "TaskSignal");
        const char *reason = cli_jstr(e, "TaskSignalReason");

        if (!sig[0] && !reason[0])
            buf_puts(out, "Task being sent a signal");
        else if (!sig[0])
            buf_puts(out, reason);
        else if (!reason[0])
            buf_printf(out, "Task being sent signal %s", sig);
        else
            buf_printf(out, "Task being sent signal %s: %s", sig, reason);
    } else if (strcmp(type, "Restart Signaled") == 0) {
        FIELD_OR("RestartReason", "Task signaled to restart");
    } else if (strcmp(type, "Driver") == 0) {
        buf_puts(out, cli_jstr(e, "DriverMessage"));
    } else if (strcmp(type, "Leader Task Dead") == 0) {
        buf_puts(out, "Leader Task in Group dead");
    } else if (strcmp(type, "Reconnected") == 0) {
        buf_puts(out, "Client reconnected");
    } else {
        buf_puts(out, cli_jstr(e, "Message"));
    }
#undef FIELD_OR
}

static void task_time(const json_t *state,
                      const char *key,
                      char *out,
                      size_t size)
{
    int64_t t = cli_jtime(state, key);

    if (t == 0)
        snprintf(out, size, "N/A");
    else
        cli_time_abs(t, out, size);
}

static void print_task_status(const json_t *state)
{
    json_t *events = json_object_get(state, "Events");
    struct rows r = ROWS_INIT;
    char started[64], finished[64], restarted[64];

    task_time(state, "StartedAt", started, sizeof(started));
    task_time(state, "FinishedAt", finished, sizeof(finished));
    task_time(state, "LastRestart", restarted, sizeof(restarted));
    rows_addf(&r, "Started At|%s", started);
    rows_addf(&r, "Finished At|%s", finished);
    rows_addf(&r, "Total Restarts|%lld",
              (long long)cli_jint(state, "Restarts"));
    rows_addf(&r, "Last Restart|%s", restarted);
    printf("Task Events:\n");
    print_kv(&r);
    rows_release(&r);
    printf("\nRecent Events:\n");
    rows_addf(&r, "Time|Type|Description");
    /* Newest first. */
    for (size_t i = json_array_size(events); i-- > 0;) {
        json_t *e = json_array_get(events, i);
        struct buf msg = BUF_INIT;
        char t[64];

        if (cli_jstr(e, "DisplayMessage")[0])
            buf_puts(&msg, cli_jstr(e, "DisplayMessage"));
        else
            event_message(e, &msg);
        cli_time_abs(cli_jtime(e, "Time"), t, sizeof(t));
        rows_addf(&r, "%s|%s|%s", t, cli_jstr(e, "Type"), buf_str(&msg));
        buf_release(&msg);
    }
    print_rows(&r);
    rows_release(&r);
}

static void print_tasks(const json_t *alloc, const json_t *stats, bool detailed)
{
    json_t *states = json_object_get(alloc, "TaskStates");
    size_t n;
    const char **tasks = sorted_tasks(alloc, &n);

    for (size_t i = 0; i < n; i++) {
        const json_t *state = json_object_get(states, tasks[i]);
        const json_t *lc = lifecycle(alloc, tasks[i]);
        char q1[512], q2[128], lcname[64] = "";

        if (lc != NULL && cli_jstr(lc, "Hook")[0]) {
            char name[48];

            lifecycle_name(lc, name, sizeof(name));
            snprintf(lcname, sizeof(lcname), " (%s)", name);
        }
        printf("\nTask %s%s is %s\n", cli_quote(tasks[i], q1, sizeof(q1)),
               lcname, cli_quote(cli_jstr(state, "State"), q2, sizeof(q2)));
        print_task_resources(alloc, tasks[i], stats);
        if (detailed)
            print_task_stats(stats, tasks[i]);
        printf("\n");
        print_task_volumes(alloc, tasks[i]);
        print_task_status(state);
    }
    free(tasks);
}

static void print_short(const json_t *alloc)
{
    json_t *states = json_object_get(alloc, "TaskStates");
    struct rows r = ROWS_INIT;
    char created[64], modified[64];
    size_t n;
    const char **tasks;

    basic_times(alloc, false, created, modified, sizeof(created));
    rows_addf(&r, "ID|%s", cli_jstr(alloc, "ID"));
    rows_addf(&r, "Name|%s", cli_jstr(alloc, "Name"));
    rows_addf(&r, "Created|%s", created);
    rows_addf(&r, "Modified|%s", modified);
    print_kv(&r);
    rows_release(&r);

    tasks = sorted_tasks(alloc, &n);
    rows_addf(&r, "Name|State|Last Event|Time|Lifecycle");
    for (size_t i = 0; i < n; i++) {
        const json_t *state = json_object_get(states, tasks[i]);
        json_t *events = json_object_get(state, "Events");
        json_t *last = json_array_get(events, json_array_size(events) - 1);
        char t[64] = "", lcname[48];

        if (last != NULL)
            cli_time_abs(cli_jtime(last, "Time"), t, sizeof(t));
        lifecycle_name(lifecycle(alloc, tasks[i]), lcname, sizeof(lcname));
        rows_addf(&r, "%s|%s|%s|%s|%s", tasks[i], cli_jstr(state, "State"),
                  last ? cli_jstr(last, "Type") : "", t, lcname);
    }
    cli_heading("Tasks");
    print_rows(&r);
    rows_release(&r);
    free(tasks);
}

static int show_alloc(struct alloc_status *s, const char *arg)
{
    struct err err = ERR_INIT;
    char *prefix = cli_uuid_prefix(arg);
    char *esc = NULL;
    json_t *allocs = NULL, *alloc = NULL, *stats = NULL;
    char q[512];
    int status = 1;

    if (prefix == NULL)
        return 1;
    esc = cli_escape(prefix);
    if (cli_get(&s->c, &allocs, &err, "/v1/allocations?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error querying allocation: %s\n", err.msg);
        goto out;
    }
    if (json_array_size(allocs) == 0) {
        fprintf(stderr, "No allocation(s) with prefix or id %s found\n",
                cli_quote(prefix, q, sizeof(q)));
        goto out;
    }
    if (json_array_size(allocs) > 1) {
        struct buf b = BUF_INIT;

        /* Nomad lists the candidates on stdout and succeeds. */
        cli_format_alloc_stubs(&b, allocs, s->verbose, s->verbose);
        printf("Prefix matched multiple allocations\n\n%s\n", buf_str(&b));
        buf_release(&b);
        status = 0;
        goto out;
    }
    {
        const json_t *stub = json_array_get(allocs, 0);
        const char *ns = cli_jstr(stub, "Namespace");

        if (ns[0]) {
            free(s->c.namespace);
            s->c.namespace = xstrdup(ns);
        }
        if (cli_get(&s->c, &alloc, &err, "/v1/allocation/%s",
                    cli_jstr(stub, "ID")) != 0) {
            fprintf(stderr, "Error querying allocation: %s\n", err.msg);
            goto out;
        }
    }
    status = 0;
    if (s->json) {
        cli_print_json(alloc);
        goto out;
    }
    if (s->short_) {
        print_short(alloc);
        goto out;
    }
    print_basic(s, alloc);
    print_addresses(alloc);
    /* Usage is measured by the client running the alloc, while it runs. */
    if (strcmp(cli_jstr(alloc, "ClientStatus"), "running") == 0 &&
        cli_get(&s->c, &stats, &err, "/v1/client/allocation/%s/stats",
                cli_jstr(alloc, "ID")) != 0) {
        printf("\n");
        fprintf(stderr, "Couldn't retrieve stats: %s\n", err.msg);
        stats = NULL;
    }
    print_tasks(alloc, stats, s->stats);
    if (s->verbose) {
        struct buf b = BUF_INIT;

        cli_heading("Placement Metrics");
        cli_format_alloc_metrics(&b, json_object_get(alloc, "Metrics"), true,
                                 "  ");
        cli_output(&b);
        buf_release(&b);
    }
out:
    json_decref(stats);
    json_decref(alloc);
    json_decref(allocs);
    free(esc);
    free(prefix);
    return status;
}

int cli_cmd_alloc_status(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    struct alloc_status s;
    int first, status;

    memset(&s, 0, sizeof(s));
    {
        struct flag flags[] = {
            CLI_API_FLAGS(o),
            {"short", FLAG_BOOL, &s.short_, "short output"},
            {"stats", FLAG_BOOL, &s.stats, "resource statistics"},
            {"verbose", FLAG_BOOL, &s.verbose, "full information"},
            {"json", FLAG_BOOL, &s.json, "JSON output"},
        };

        status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc,
                           argv, &first);
        if (status >= 0)
            return status;
    }
    cli_api_client(&s.c, &o);
    if (argc - first == 0 && s.json) {
        struct err err = ERR_INIT;
        json_t *allocs;

        status = 1;
        if (cli_get(&s.c, &allocs, &err, "/v1/allocations") != 0) {
            fprintf(stderr, "Error querying allocations: %s\n", err.msg);
        } else {
            cli_print_json(allocs);
            json_decref(allocs);
            status = 0;
        }
    } else if (argc - first != 1) {
        status =
            cli_arg_error(cmd,
                          "This command takes one of the following argument "
                          "conditions:\n"
                          " * A single <allocation>\n"
                          " * No arguments, with output format specified");
    } else {
        status = show_alloc(&s, argv[first]);
    }
    api_client_release(&s.c);
    return status;
}
