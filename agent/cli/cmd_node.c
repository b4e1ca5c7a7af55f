/*
 * `caravan node status`, as Nomad's node_status.go prints it, from what
 * the HTTP API has: the client stats endpoints do not exist yet, so the
 * Uptime row and the host utilization sections are left out.
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
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

#define BYTES_PER_MB (UINT64_C(1024) * 1024)

const char cli_help_node_status[] =
    "Usage: caravan node status [options] <node>\n"
    "\n"
    "  Display status information about a given node. The list of nodes\n"
    "  returned includes only nodes which jobs may be scheduled to, and\n"
    "  includes status and other high-level information.\n"
    "\n"
    "  If a node ID is passed, information for that specific node will be "
    "displayed,\n"
    "  including resource usage statistics. If no node ID's are passed, "
    "then a\n"
    "  short-hand list of all nodes will be displayed. The -self flag is "
    "useful to\n"
    "  quickly access the status of the local node.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Node Status Options:\n"
    "\n"
    "  -self\n"
    "    Query the status of the local node.\n"
    "\n"
    "  -stats\n"
    "    Display detailed resource usage statistics.\n"
    "\n"
    "  -allocs\n"
    "    Display a count of running allocations for each node.\n"
    "\n"
    "  -short\n"
    "    Display short output. Used only when a single node is being\n"
    "    queried, and drops verbose output about node allocations.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n"
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
    "  -os\n"
    "    Display operating system name.\n"
    "\n"
    "  -quiet\n"
    "    Display only node IDs.\n"
    "\n"
    "  -json\n"
    "    Output the node in its JSON format.\n";

struct node_status
{
    struct api_client c;
    bool short_, os, quiet, verbose, allocs, self, stats, json;
    const char *filter, *page_token;
    int64_t per_page;
};

static void print_rows(const struct rows *r)
{
    struct buf b = BUF_INIT;

    rows_format_list(r, &b);
    cli_output(&b);
    buf_release(&b);
}

static void print_kv(const struct rows *r)
{
    struct buf b = BUF_INIT;

    rows_format_kv(r, &b);
    cli_output(&b);
    buf_release(&b);
}

static json_t *node_allocs(struct node_status *s, const char *node_id)
{
    struct err err = ERR_INIT;
    json_t *allocs;

    if (cli_get(&s->c, &allocs, &err, "/v1/node/%s/allocations", node_id) !=
        0) {
        fprintf(stderr, "Error querying node allocations: %s\n", err.msg);
        return NULL;
    }
    return allocs;
}

static size_t count_running(const json_t *allocs)
{
    size_t i, n = 0;
    json_t *a;

    json_array_foreach(allocs, i, a)
    {
        if (strcmp(cli_jstr(a, "ClientStatus"), "running") == 0)
            n++;
    }
    return n;
}

/* Appends "&key=value" (or "?...") when value is set. */
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

static int list_nodes(struct node_status *s)
{
    struct err err = ERR_INIT;
    struct buf path = BUF_INIT;
    struct rows r = ROWS_INIT;
    json_t *nodes = NULL;
    int status = 1;
    size_t i;
    json_t *n;

    if (s->quiet && (s->verbose || s->json)) {
        fprintf(stderr, "-quiet cannot be used with -verbose or -json\n");
        return 1;
    }
    buf_puts(&path, "/v1/nodes");
    add_param(&path, "filter", s->filter);
    if (s->per_page > 0) {
        char v[24];

        snprintf(v, sizeof(v), "%lld", (long long)s->per_page);
        add_param(&path, "per_page", v);
    }
    add_param(&path, "next_token", s->page_token);
    if (s->os)
        add_param(&path, "os", "true");
    if (cli_get(&s->c, &nodes, &err, "%s", buf_str(&path)) != 0) {
        fprintf(stderr, "Error querying node status: %s\n", err.msg);
        goto out;
    }
    if (s->json) {
        cli_print_json(nodes);
        status = 0;
        goto out;
    }
    if (json_array_size(nodes) == 0) {
        printf("No nodes registered\n");
        status = 0;
        goto out;
    }
    if (s->quiet) {
        json_array_foreach(nodes, i, n)
        {
            rows_addf(&r, "%s", cli_jstr(n, "ID"));
        }
        print_rows(&r);
        status = 0;
        goto out;
    }
    rows_addf(&r, "ID|Node Pool|DC|Name|Class|%s%sDrain|Eligibility|Status%s",
              s->os ? "OS|" : "", s->verbose ? "Address|Version|" : "",
              s->allocs ? "|Running Allocs" : "");
    json_array_foreach(nodes, i, n)
    {
        char b1[9];

        rows_addf(&r, "%s|%s|%s|%s|%s",
                  format_short_id(cli_jstr(n, "ID"), s->verbose, b1),
                  cli_jstr(n, "NodePool"), cli_jstr(n, "Datacenter"),
                  cli_jstr(n, "Name"), cli_jstr(n, "NodeClass"));
        if (s->os)
            rows_appendf(&r, "|%s",
                         cli_jstr(json_object_get(n, "Attributes"), "os.name"));
        if (s->verbose)
            rows_appendf(&r, "|%s|%s", cli_jstr(n, "Address"),
                         cli_jstr(n, "Version"));
        rows_appendf(&r, "|%s|%s|%s", cli_jbool(n, "Drain") ? "true" : "false",
                     cli_jstr(n, "SchedulingEligibility"),
                     cli_jstr(n, "Status"));
        if (s->allocs) {
            json_t *allocs = node_allocs(s, cli_jstr(n, "ID"));

            if (allocs == NULL)
                goto out;
            rows_appendf(&r, "|%zu", count_running(allocs));
            json_decref(allocs);
        }
    }
    print_rows(&r);
    status = 0;
out:
    rows_release(&r);
    json_decref(nodes);
    buf_release(&path);
    return status;
}

/* Nomad's formatNodeStubList, for "Prefix matched multiple nodes". */
void cli_format_node_stubs(struct buf *out, const json_t *nodes, bool verbose)
{
    struct rows r = ROWS_INIT;
    size_t i;
    json_t *n;

    rows_addf(&r, "ID|DC|Name|Class|Drain|Eligibility|Status");
    json_array_foreach(nodes, i, n)
    {
        char b1[9];

        rows_addf(&r, "%s|%s|%s|%s|%s|%s|%s",
                  format_short_id(cli_jstr(n, "ID"), verbose, b1),
                  cli_jstr(n, "Datacenter"), cli_jstr(n, "Name"),
                  cli_jstr(n, "NodeClass"),
                  cli_jbool(n, "Drain") ? "true" : "false",
                  cli_jstr(n, "SchedulingEligibility"), cli_jstr(n, "Status"));
    }
    rows_format_list(&r, out);
    rows_release(&r);
}

/* Sorted keys of obj joined with sep. */
static void join_keys(struct buf *out, const json_t *obj, const char *sep)
{
    size_t n;
    const char **keys = cli_sorted_keys(obj, &n);

    buf_puts(out, "");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            buf_puts(out, sep);
        buf_puts(out, keys[i]);
    }
    free(keys);
}

/* Nomad's formatDrain. */
static void format_drain(const json_t *node, char *out, size_t size)
{
    const json_t *ds = json_object_get(node, "DrainStrategy");
    const json_t *spec;
    struct buf b = BUF_INIT;
    int64_t force;

    if (!json_is_object(ds)) {
        snprintf(out, size, "%s", cli_jbool(node, "Drain") ? "true" : "false");
        return;
    }
    /* Go's JSON flattens the embedded DrainSpec; accept both shapes. */
    spec = json_is_object(json_object_get(ds, "DrainSpec"))
               ? json_object_get(ds, "DrainSpec")
               : ds;
    force = cli_jtime(ds, "ForceDeadline");
    buf_puts(&b, "true");
    if (cli_jint(spec, "Deadline") < 0) {
        buf_puts(&b, "; force drain");
    } else if (force == 0) {
        buf_puts(&b, "; no deadline");
    } else {
        char t[64];

        cli_time_abs(force, t, sizeof(t));
        buf_printf(&b, "; %s deadline", t);
    }
    if (cli_jbool(spec, "IgnoreSystemJobs"))
        buf_puts(&b, "; ignoring system jobs");
    snprintf(out, size, "%s", buf_str(&b));
    buf_release(&b);
}

/* Drivers whose attribute driver.<name> is "1", sorted. */
static void attribute_drivers(struct buf *out, const json_t *node)
{
    json_t *attrs = json_object_get(node, "Attributes");
    size_t n;
    const char **keys = cli_sorted_keys(attrs, &n);
    bool first = true;

    buf_puts(out, "");
    for (size_t i = 0; i < n; i++) {
        const char *k = keys[i];

        if (strncmp(k, "driver.", 7) != 0 || strchr(k + 7, '.') != NULL ||
            k[7] == '\0' || strcmp(cli_jstr(attrs, k), "1") != 0)
            continue;
        buf_printf(out, "%s%s", first ? "" : ",", k + 7);
        first = false;
    }
    free(keys);
}

/* Detected drivers, sorted, "name (unhealthy)" for unhealthy ones. */
static void driver_status(struct buf *out, const json_t *node)
{
    json_t *drivers = json_object_get(node, "Drivers");
    size_t n;
    const char **names = cli_sorted_keys(drivers, &n);
    bool first = true;

    buf_puts(out, "");
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_object_get(drivers, names[i]);

        if (!cli_jbool(d, "Detected"))
            continue;
        buf_printf(out, "%s%s%s", first ? "" : ",", names[i],
                   cli_jbool(d, "Healthy") ? "" : " (unhealthy)");
        first = false;
    }
    free(names);
}

/* Names of the CSI volumes the running allocations' groups use. */
static void csi_volumes(struct buf *out, const json_t *allocs)
{
    json_t *names = json_object();
    size_t i, n;
    json_t *a;
    const char **sorted;

    json_array_foreach(allocs, i, a)
    {
        const json_t *g;
        const char *k;
        json_t *v;

        if (strcmp(cli_jstr(a, "ClientStatus"), "running") != 0)
            continue;
        g = cli_find_group(json_object_get(a, "Job"), cli_jstr(a, "TaskGroup"));
        json_object_foreach(json_object_get(g, "Volumes"), k, v)
        {
            if (strcmp(cli_jstr(v, "Type"), "csi") == 0)
                json_object_set_new(names, cli_jstr(v, "Name"), json_true());
        }
    }
    sorted = cli_sorted_keys(names, &n);
    buf_puts(out, "");
    for (i = 0; i < n; i++)
        buf_printf(out, "%s%s", i ? "," : "", sorted[i]);
    free(sorted);
    json_decref(names);
}

/* A node resource in Nomad's nested shape or Caravan's flat one. */
static int64_t node_resource(const json_t *res,
                             const char *nested,
                             const char *key)
{
    const json_t *sub = json_object_get(res, nested);

    if (json_is_object(sub))
        return cli_jint(sub, key);
    return cli_jint(res, key);
}

/* CPU MHz, memory MB and disk MB an allocation reserves. */
static void alloc_resources(struct node_status *s,
                            const json_t *a,
                            int64_t *cpu,
                            int64_t *mem,
                            int64_t *disk)
{
    const json_t *res = json_object_get(a, "Resources");
    const json_t *ar = json_object_get(a, "AllocatedResources");
    const json_t *tr = json_object_get(a, "TaskResources");
    const char *k;
    json_t *v;

    if (json_is_object(res)) {
        *cpu += cli_jint(res, "CPU");
        *mem += cli_jint(res, "MemoryMB");
        *disk += cli_jint(res, "DiskMB");
    } else if (json_is_object(ar)) {
        json_object_foreach(json_object_get(ar, "Tasks"), k, v)
        {
            *cpu += cli_jint(json_object_get(v, "Cpu"), "CpuShares");
            *mem += cli_jint(json_object_get(v, "Memory"), "MemoryMB");
        }
        *disk += cli_jint(json_object_get(ar, "Shared"), "DiskMB");
    } else if (json_is_object(tr)) {
        json_object_foreach((json_t *)tr, k, v)
        {
            *cpu += cli_jint(v, "CpuShares");
            *mem += cli_jint(v, "MemoryMB");
        }
        *disk += cli_jint(a, "SharedDiskMB");
    } else {
        /* A list stub: the full allocation has the resources. */
        struct err err = ERR_INIT;
        json_t *full;

        if (cli_get(&s->c, &full, &err, "/v1/allocation/%s",
                    cli_jstr(a, "ID")) != 0)
            return;
        if (json_object_get(full, "Resources") != NULL ||
            json_object_get(full, "AllocatedResources") != NULL ||
            json_object_get(full, "TaskResources") != NULL)
            alloc_resources(s, full, cpu, mem, disk);
        json_decref(full);
    }
}

static void print_allocated(struct node_status *s,
                            const json_t *node,
                            const json_t *allocs)
{
    const json_t *nr = json_object_get(node, "NodeResources");
    const json_t *rr = json_object_get(node, "ReservedResources");
    int64_t total_cpu = node_resource(nr, "Cpu", "CpuShares") -
                        node_resource(rr, "Cpu", "CpuShares");
    int64_t total_mem = node_resource(nr, "Memory", "MemoryMB") -
                        node_resource(rr, "Memory", "MemoryMB");
    int64_t total_disk = node_resource(nr, "Disk", "DiskMB") -
                         node_resource(rr, "Disk", "DiskMB");
    int64_t cpu = 0, mem = 0, disk = 0;
    int64_t max_allocs = cli_jint(node, "NodeMaxAllocs");
    size_t running = count_running(allocs), i;
    char m1[32], m2[32], d1[32], d2[32], count[48];
    struct rows r = ROWS_INIT;
    json_t *a;

    json_array_foreach(allocs, i, a)
    {
        if (strcmp(cli_jstr(a, "ClientStatus"), "running") == 0)
            alloc_resources(s, a, &cpu, &mem, &disk);
    }
    cli_ibytes((uint64_t)mem * BYTES_PER_MB, m1, sizeof(m1));
    cli_ibytes((uint64_t)total_mem * BYTES_PER_MB, m2, sizeof(m2));
    cli_ibytes((uint64_t)disk * BYTES_PER_MB, d1, sizeof(d1));
    cli_ibytes((uint64_t)total_disk * BYTES_PER_MB, d2, sizeof(d2));
    if (max_allocs != 0)
        snprintf(count, sizeof(count), "%zu/%lld", running,
                 (long long)max_allocs);
    else
        snprintf(count, sizeof(count), "%zu", running);
    rows_addf(&r, "CPU|Memory|Disk|Alloc Count");
    rows_addf(&r, "%lld/%lld MHz|%s/%s|%s/%s|%s", (long long)cpu,
              (long long)total_cpu, m1, m2, d1, d2, count);
    cli_heading("Allocated Resources");
    print_rows(&r);
    rows_release(&r);

    /* Nomad sums live usage from each running allocation's stats; with
     * none running it needs no stats and prints zero usage. */
    if (running == 0) {
        rows_init(&r);
        rows_addf(&r, "CPU|Memory");
        rows_addf(&r, "0/%lld MHz|0 B/%s", (long long)total_cpu, m2);
        cli_heading("Allocation Resource Utilization");
        print_rows(&r);
        rows_release(&r);
    }
}

static void print_events(const json_t *node, bool verbose)
{
    json_t *events = json_object_get(node, "Events");
    size_t n = json_array_size(events);
    struct rows r = ROWS_INIT;

    rows_addf(&r, verbose ? "Time|Subsystem|Message|Details"
                          : "Time|Subsystem|Message");
    /* Newest first. */
    for (size_t i = n; i-- > 0;) {
        json_t *e = json_array_get(events, i);
        json_t *details = json_object_get(e, "Details");
        const char *driver = cli_jstr(details, "driver");
        char t[64], subsystem[256];

        cli_time_abs(cli_jtime(e, "Timestamp"), t, sizeof(t));
        if (driver[0])
            snprintf(subsystem, sizeof(subsystem), "Driver: %s", driver);
        else
            snprintf(subsystem, sizeof(subsystem), "%s",
                     cli_jstr(e, "Subsystem"));
        rows_addf(&r, "%s|%s|%s", t, subsystem, cli_jstr(e, "Message"));
        if (verbose) {
            struct buf d = BUF_INIT;
            const char *k;
            json_t *v;
            bool first = true;

            buf_puts(&d, "");
            json_object_foreach(details, k, v)
            {
                buf_printf(&d, "%s%s: %s", first ? "" : ", ", k,
                           json_string_value(v) ? json_string_value(v) : "");
                first = false;
            }
            rows_appendf(&r, "|%s", buf_str(&d));
            buf_release(&d);
        }
    }
    cli_heading("Node Events");
    print_rows(&r);
    rows_release(&r);
}

static void print_verbose_tables(const json_t *node)
{
    json_t *vols = json_object_get(node, "HostVolumes");
    json_t *nets = json_object_get(node, "HostNetworks");
    json_t *drivers = json_object_get(node, "Drivers");
    struct rows r = ROWS_INIT;
    const char **names;
    size_t n;

    names = cli_sorted_keys(vols, &n);
    if (n > 0) {
        rows_addf(&r, "Name|ReadOnly|Source");
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_object_get(vols, names[i]);

            rows_addf(&r, "%s|%s|%s", names[i],
                      cli_jbool(v, "ReadOnly") ? "true" : "false",
                      cli_jstr(v, "Path"));
        }
        cli_heading("Host Volumes");
        print_rows(&r);
        rows_release(&r);
    }
    free(names);
    names = cli_sorted_keys(nets, &n);
    if (n > 0) {
        rows_addf(&r, "Name|CIDR|Interface|ReservedPorts");
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_object_get(nets, names[i]);

            rows_addf(&r, "%s|%s|%s|%s", names[i], cli_jstr(v, "CIDR"),
                      cli_jstr(v, "Interface"), cli_jstr(v, "ReservedPorts"));
        }
        cli_heading("Host Networks");
        print_rows(&r);
        rows_release(&r);
    }
    free(names);
    names = cli_sorted_keys(drivers, &n);
    rows_addf(&r, "Driver|Detected|Healthy|Message|Time");
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_object_get(drivers, names[i]);
        char t[64];

        cli_time_abs(cli_jtime(d, "UpdateTime"), t, sizeof(t));
        rows_addf(&r, "%s|%s|%s|%s|%s", names[i],
                  cli_jbool(d, "Detected") ? "true" : "false",
                  cli_jbool(d, "Healthy") ? "true" : "false",
                  cli_jstr(d, "HealthDescription"), t);
    }
    cli_heading("Drivers");
    print_rows(&r);
    rows_release(&r);
    free(names);
}

/* Sorted "key = value" lines of a string map (Attributes, Meta). */
static void print_map(const char *heading, const json_t *map)
{
    struct rows r = ROWS_INIT;
    size_t n;
    const char **keys = cli_sorted_keys(map, &n);

    for (size_t i = 0; i < n; i++) {
        if (keys[i][0] != '\0')
            rows_addf(&r, "%s|%s", keys[i], cli_jstr(map, keys[i]));
    }
    cli_heading(heading);
    print_kv(&r);
    rows_release(&r);
    free(keys);
}

/* Nomad's formatAllocList: full allocations, version from their job. */
static void print_allocs(struct node_status *s,
                         const json_t *node,
                         const json_t *allocs)
{
    struct rows r = ROWS_INIT;
    size_t i;
    json_t *a;

    cli_heading("Allocations");
    if (json_array_size(allocs) == 0) {
        printf("No allocations placed\n");
    } else {
        rows_addf(&r, s->verbose ? "ID|Eval ID|Node ID|Task Group|Version|"
                                   "Desired|Status|Created|Modified"
                                 : "ID|Node ID|Task Group|Version|Desired|"
                                   "Status|Created|Modified");
        json_array_foreach(allocs, i, a)
        {
            json_t *job = json_object_get(a, "Job");
            int64_t version = json_is_object(job) ? cli_jint(job, "Version")
                                                  : cli_jint(a, "JobVersion");
            char b1[9], b2[9], created[64], modified[64];

            if (s->verbose) {
                cli_time_abs(cli_jint(a, "CreateTime"), created,
                             sizeof(created));
                cli_time_abs(cli_jint(a, "ModifyTime"), modified,
                             sizeof(modified));
                rows_addf(&r, "%s|%s|", cli_jstr(a, "ID"),
                          cli_jstr(a, "EvalID"));
            } else {
                cli_time_ago(cli_jint(a, "CreateTime"), created,
                             sizeof(created));
                cli_time_ago(cli_jint(a, "ModifyTime"), modified,
                             sizeof(modified));
                rows_addf(&r, "%s|", format_short_id(cli_jstr(a, "ID"), 0, b1));
            }
            rows_appendf(&r, "%s|%s|%lld|%s|%s|%s|%s",
                         format_short_id(cli_jstr(a, "NodeID"), s->verbose, b2),
                         cli_jstr(a, "TaskGroup"), (long long)version,
                         cli_jstr(a, "DesiredStatus"),
                         cli_jstr(a, "ClientStatus"), created, modified);
        }
        print_rows(&r);
        rows_release(&r);
    }
    if (s->verbose) {
        print_map("Attributes", json_object_get(node, "Attributes"));
        print_map("Meta", json_object_get(node, "Meta"));
    }
}

static int show_node(struct node_status *s, const json_t *node)
{
    json_t *allocs = node_allocs(s, cli_jstr(node, "ID"));
    struct rows r = ROWS_INIT;
    struct buf vols = BUF_INIT, nets = BUF_INIT, csi = BUF_INIT;
    struct buf ctrl = BUF_INIT, plugins = BUF_INIT, drivers = BUF_INIT;
    char drain[256];

    if (allocs == NULL)
        return 1;
    format_drain(node, drain, sizeof(drain));
    join_keys(&ctrl, json_object_get(node, "CSIControllerPlugins"), ",");
    join_keys(&plugins, json_object_get(node, "CSINodePlugins"), ",");
    join_keys(&vols, json_object_get(node, "HostVolumes"), ",");
    join_keys(&nets, json_object_get(node, "HostNetworks"), ",");
    csi_volumes(&csi, allocs);
    rows_addf(&r, "ID|%s", cli_jstr(node, "ID"));
    rows_addf(&r, "Name|%s", cli_jstr(node, "Name"));
    rows_addf(&r, "Node Pool|%s", cli_jstr(node, "NodePool"));
    rows_addf(&r, "Class|%s", cli_jstr(node, "NodeClass"));
    rows_addf(&r, "DC|%s", cli_jstr(node, "Datacenter"));
    rows_addf(&r, "Drain|%s", drain);
    rows_addf(&r, "Eligibility|%s", cli_jstr(node, "SchedulingEligibility"));
    rows_addf(&r, "Status|%s", cli_jstr(node, "Status"));
    rows_addf(&r, "CSI Controllers|%s", buf_str(&ctrl));
    rows_addf(&r, "CSI Drivers|%s", buf_str(&plugins));
    if (s->short_) {
        attribute_drivers(&drivers, node);
        rows_addf(&r, "Host Volumes|%s", buf_str(&vols));
        rows_addf(&r, "Host Networks|%s", buf_str(&nets));
        rows_addf(&r, "CSI Volumes|%s", buf_str(&csi));
        rows_addf(&r, "Drivers|%s", buf_str(&drivers));
        print_kv(&r);
        print_allocs(s, node, allocs);
        goto out;
    }
    if (!s->verbose) {
        driver_status(&drivers, node);
        rows_addf(&r, "Host Volumes|%s", buf_str(&vols));
        rows_addf(&r, "Host Networks|%s", buf_str(&nets));
        rows_addf(&r, "CSI Volumes|%s", buf_str(&csi));
        rows_addf(&r, "Driver Status|%s", buf_str(&drivers));
    }
    print_kv(&r);
    if (s->verbose)
        print_verbose_tables(node);
    print_events(node, s->verbose);
    print_allocated(s, node, allocs);
    print_allocs(s, node, allocs);
out:
    buf_release(&drivers);
    buf_release(&plugins);
    buf_release(&ctrl);
    buf_release(&csi);
    buf_release(&nets);
    buf_release(&vols);
    rows_release(&r);
    json_decref(allocs);
    return 0;
}

/* The node ID of the agent answering, for -self. */
static char *self_node_id(struct node_status *s)
{
    struct err err = ERR_INIT;
    json_t *self;
    const char *id;
    char *out = NULL;

    if (cli_get(&s->c, &self, &err, "/v1/agent/self") != 0) {
        fprintf(stderr, "Error querying agent info: %s\n", err.msg);
        return NULL;
    }
    id = cli_jstr(json_object_get(json_object_get(self, "stats"), "client"),
                  "node_id");
    if (json_object_get(json_object_get(self, "stats"), "client") == NULL)
        fprintf(stderr, "Caravan not running in client mode\n");
    else if (id[0] == '\0')
        fprintf(stderr, "Failed to determine node ID\n");
    else
        out = xstrdup(id);
    json_decref(self);
    return out;
}

static int node_by_prefix(struct node_status *s, const char *arg)
{
    struct err err = ERR_INIT;
    char *prefix = cli_uuid_prefix(arg);
    char *esc = NULL;
    json_t *nodes = NULL, *node = NULL;
    char q[512];
    int status = 1;

    if (prefix == NULL)
        return 1;
    esc = cli_escape(prefix);
    if (cli_get(&s->c, &nodes, &err, "/v1/nodes?prefix=%s", esc) != 0) {
        fprintf(stderr, "Error querying node info: %s\n", err.msg);
        goto out;
    }
    if (json_array_size(nodes) == 0) {
        fprintf(stderr, "No node(s) with prefix %s found\n",
                cli_quote(prefix, q, sizeof(q)));
        goto out;
    }
    if (json_array_size(nodes) > 1) {
        struct buf b = BUF_INIT;

        cli_format_node_stubs(&b, nodes, s->verbose);
        fprintf(stderr, "Prefix matched multiple nodes\n\n%s\n", buf_str(&b));
        buf_release(&b);
        goto out;
    }
    if (cli_get(&s->c, &node, &err, "/v1/node/%s",
                cli_jstr(json_array_get(nodes, 0), "ID")) != 0) {
        fprintf(stderr, "Error querying node info: %s\n", err.msg);
        goto out;
    }
    if (s->json) {
        cli_print_json(node);
        status = 0;
    } else {
        status = show_node(s, node);
    }
out:
    json_decref(node);
    json_decref(nodes);
    free(esc);
    free(prefix);
    return status;
}

int cli_cmd_node_status(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts o = {0};
    struct node_status s;
    int first, status;

    memset(&s, 0, sizeof(s));
    {
        struct flag flags[] = {
            CLI_API_FLAGS(o),
            {"short", FLAG_BOOL, &s.short_, "short output"},
            {"os", FLAG_BOOL, &s.os, "show OS"},
            {"quiet", FLAG_BOOL, &s.quiet, "IDs only"},
            {"verbose", FLAG_BOOL, &s.verbose, "full information"},
            {"allocs", FLAG_BOOL, &s.allocs, "running allocations"},
            {"self", FLAG_BOOL, &s.self, "the local node"},
            {"stats", FLAG_BOOL, &s.stats, "resource statistics"},
            {"json", FLAG_BOOL, &s.json, "JSON output"},
            {"filter", FLAG_STRING, &s.filter, "filter expression"},
            {"per-page", FLAG_INT, &s.per_page, "results per page"},
            {"page-token", FLAG_STRING, &s.page_token, "pagination token"},
        };

        status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc,
                           argv, &first);
        if (status >= 0)
            return status;
    }
    if (argc - first > 1)
        return cli_arg_error(cmd,
                             "This command takes either one or no arguments");
    cli_api_client(&s.c, &o);
    if (argc - first == 0 && !s.self) {
        status = list_nodes(&s);
    } else if (s.self) {
        char *id = self_node_id(&s);

        status = id ? node_by_prefix(&s, id) : 1;
        free(id);
    } else {
        status = node_by_prefix(&s, argv[first]);
    }
    api_client_release(&s.c);
    return status;
}
