/*
 * The periodic dispatcher's decisions, pure: time is an argument (Unix
 * seconds), so they are tested on a virtual clock. periodic.c carries
 * them out on the loop (timers, launches, state reads).
 */
#ifndef CARAVAN_AGENT_SERVER_PERIODIC_CORE_H
#define CARAVAN_AGENT_SERVER_PERIODIC_CORE_H

#include <stdbool.h>
#include <stdint.h>

struct err;
struct periodic_config;

struct periodic_plan
{
    bool launch;       /* launch a child now */
    int64_t launch_at; /* the time the child is named after */
    int64_t next;      /* the next launch to wait for; 0: none */
};

/*
 * First sight of a job, at start or when it is registered: last is its
 * launch record (0: none). A cron time that came due since the record is
 * made up once, now, as Nomad does after a leader change.
 */
int periodic_first(const struct periodic_config *p,
                   int64_t last,
                   int64_t now,
                   struct periodic_plan *out,
                   struct err *err);

/*
 * The launch due at due, handled at now (a little late, or much later
 * after a stall): launched unless prohibit_overlap and a child still
 * runs. The next launch comes after both due and the second before now,
 * so a late timer does not launch the missed seconds again.
 */
int periodic_due(const struct periodic_config *p,
                 int64_t due,
                 int64_t now,
                 bool child_running,
                 struct periodic_plan *out,
                 struct err *err);

#endif
