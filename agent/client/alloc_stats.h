/*
 * Nomad's AllocResourceUsage for one alloc: what each running task's
 * processes use, summed per task and for the alloc, as served by
 * GET /v1/client/allocation/:id/stats.
 */
#ifndef CARAVAN_AGENT_CLIENT_ALLOC_STATS_H
#define CARAVAN_AGENT_CLIENT_ALLOC_STATS_H

#include <jansson.h>
#include <stdint.h>

struct alloc_runner;

struct alloc_stats_clock
{
    int64_t now_unix_ns;  /* the Timestamp fields */
    uint64_t now_mono_ms; /* cpu rates since the previous sample */
    double mhz_per_core;  /* TotalTicks = Percent / 100 * this */
};

/* Measures the alloc's tasks now; returns a new JSON object. */
json_t *alloc_stats_json(struct alloc_runner *ar,
                         const struct alloc_stats_clock *clock);

#endif
