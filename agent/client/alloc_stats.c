/* Allocation resource usage in Nomad's JSON shape (see alloc_stats.h). */
#include "agent/client/alloc_stats.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/client/alloc_runner.h"
#include "drivers/driver.h"

struct cpu_rates
{
    double user_pct, system_pct, pct;
};

/*
 * Percent of one core over the time since the previous sample; the first
 * sample of a task has no previous one and reports 0, as Nomad's first.
 */
static struct cpu_rates rates(const struct driver_task_usage *u,
                              struct alloc_runner_sample *prev,
                              uint64_t now_ms)
{
    struct cpu_rates r = {0, 0, 0};

    if (prev->valid && now_ms > prev->mono_ms && u->user_ns >= prev->user_ns &&
        u->system_ns >= prev->system_ns) {
        double wall_ns = (double)(now_ms - prev->mono_ms) * 1e6;

        r.user_pct = (double)(u->user_ns - prev->user_ns) / wall_ns * 100.0;
        r.system_pct =
            (double)(u->system_ns - prev->system_ns) / wall_ns * 100.0;
        r.pct = r.user_pct + r.system_pct;
    }
    prev->valid = true;
    prev->user_ns = u->user_ns;
    prev->system_ns = u->system_ns;
    prev->mono_ms = now_ms;
    return r;
}

static json_t *memory_stats(uint64_t rss,
                            uint64_t swap,
                            uint64_t usage,
                            bool cgroup)
{
    json_t *measured = json_pack("[s,s]", "RSS", "Swap");

    if (cgroup)
        json_array_append_new(measured, json_string("Usage"));
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "RSS",
                     (json_int_t)rss, "Cache", (json_int_t)0, "Swap",
                     (json_int_t)swap, "Usage", (json_int_t)usage, "MaxUsage",
                     (json_int_t)0, "KernelUsage", (json_int_t)0,
                     "KernelMaxUsage", (json_int_t)0, "Measured", measured);
}

static json_t *cpu_stats(const struct cpu_rates *r, double mhz, bool measured)
{
    json_t *m =
        measured ? json_pack("[s,s,s]", "System Mode", "User Mode", "Percent")
                 : json_array();

    return json_pack("{s:f,s:f,s:f,s:I,s:I,s:f,s:o}", "SystemMode",
                     r->system_pct, "UserMode", r->user_pct, "TotalTicks",
                     r->pct / 100.0 * mhz, "ThrottledPeriods", (json_int_t)0,
                     "ThrottledTime", (json_int_t)0, "Percent", r->pct,
                     "Measured", m);
}

static json_t *resource_usage(json_t *mem, json_t *cpu)
{
    return json_pack("{s:o,s:o,s:n}", "MemoryStats", mem, "CpuStats", cpu,
                     "DeviceStats");
}

/* Per process: memory only, its cpu time has no previous sample here. */
static json_t *pids_json(const struct driver_task_usage *u, double mhz)
{
    struct cpu_rates zero = {0, 0, 0};
    json_t *o = json_object();

    for (size_t i = 0; i < u->npids; i++) {
        const struct driver_proc_usage *p = &u->pids[i];
        char key[16];

        snprintf(key, sizeof(key), "%d", (int)p->pid);
        json_object_set_new(
            o, key,
            resource_usage(memory_stats(p->rss_bytes, p->swap_bytes, 0, false),
                           cpu_stats(&zero, mhz, false)));
    }
    return o;
}

json_t *alloc_stats_json(struct alloc_runner *ar,
                         const struct alloc_stats_clock *clock)
{
    json_t *tasks = json_object();
    uint64_t rss = 0, swap = 0, usage = 0;
    struct cpu_rates total = {0, 0, 0};
    bool any = false, cgroup = false;

    for (size_t i = 0; i < alloc_runner_ntasks(ar); i++) {
        struct driver_task_usage u;
        struct alloc_runner_sample *prev;
        struct cpu_rates r;
        const char *name;

        if (!alloc_runner_task_usage(ar, i, &name, &u, &prev))
            continue;
        r = rates(&u, prev, clock->now_mono_ms);
        any = true;
        cgroup = cgroup || u.cgroup;
        rss += u.rss_bytes;
        swap += u.swap_bytes;
        usage += u.usage_bytes;
        total.user_pct += r.user_pct;
        total.system_pct += r.system_pct;
        total.pct += r.pct;
        json_object_set_new(
            tasks, name,
            json_pack("{s:o,s:I,s:o}", "ResourceUsage",
                      resource_usage(memory_stats(u.rss_bytes, u.swap_bytes,
                                                  u.usage_bytes, u.cgroup),
                                     cpu_stats(&r, clock->mhz_per_core, true)),
                      "Timestamp", (json_int_t)clock->now_unix_ns, "Pids",
                      pids_json(&u, clock->mhz_per_core)));
    }
    return json_pack(
        "{s:o,s:o,s:I}", "ResourceUsage",
        resource_usage(memory_stats(rss, swap, usage, cgroup),
                       cpu_stats(&total, clock->mhz_per_core, any)),
        "Tasks", tasks, "Timestamp", (json_int_t)clock->now_unix_ns);
}
