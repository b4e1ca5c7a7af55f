/*
 * What the files of the scheduler share: the state of one run (struct
 * sched), the per-node view of proposed allocs, placement requests and the
 * helpers between reconciling, feasibility, ranking and plan building.
 * Private to scheduler/.
 */
#ifndef CARAVAN_SCHEDULER_SCHED_INT_H
#define CARAVAN_SCHEDULER_SCHED_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/model/eval.h"
#include "lib/model/types.h"
#include "lib/rand.h"
#include "scheduler/sched.h"

struct alloc;
struct constraint_cache;
struct deployment;
struct deployment_group;
struct job;
struct node;
struct task_group;

/* Descriptions Nomad gives stopped allocs (DesiredDescription). */
#define SCHED_DESC_NOT_NEEDED "alloc not needed due to job update"
#define SCHED_DESC_UPDATING "alloc is being updated due to job update"
#define SCHED_DESC_MIGRATING "alloc is being migrated"
#define SCHED_DESC_LOST "alloc is lost since its node is down"
#define SCHED_DESC_RESCHEDULED "alloc was rescheduled because it failed"
#define SCHED_DESC_TAINTED "alloc not needed as node is tainted"

/*
 * One node as this run sees it. allocs is the proposed set: the
 * non-terminal allocs of every job on the node, minus what the plan stops,
 * plus what it places. Resources, ports, anti-affinity and distinct_*
 * are all computed from it, so a stop frees room for a later placement in
 * the same run, as in Nomad's EvalContext.ProposedAllocs().
 */
struct sched_node
{
    const struct node *node;
    const struct alloc **allocs; /* borrowed from the input or the plan */
    size_t nallocs, cap;
    bool ready;  /* status ready, eligible, not draining */
    bool in_job; /* in one of the job's datacenters and its node pool */
};

/* A growable list of borrowed allocs. */
struct sched_aset
{
    const struct alloc **v;
    size_t n, cap;
};

/* One alloc to place (Nomad's allocPlaceResult / allocDestructiveResult). */
struct sched_place
{
    const struct task_group *tg;
    int64_t index;            /* the N of "<job>.<group>[N]" */
    const struct alloc *prev; /* the alloc this one replaces, or NULL */
    bool reschedule;          /* prev failed: tracker, penalty on its node */
    bool destructive;         /* stop prev first; undo if nothing fits */
    bool canary;
    struct sched_node *node; /* system: the only node to try */
};

/* A growable list of placement requests. */
struct sched_placements
{
    struct sched_place *v;
    size_t n, cap;
};

/* The candidate chosen for one placement. */
struct sched_option
{
    struct sched_node *ns;
    double score;
    struct alloc_port *ports; /* owned until moved into the alloc */
    size_t nports;
};

struct sched_diff_entry
{
    int64_t version, job_modify_index, create_index;
    char *group;
    bool destructive;
};

struct sched
{
    const struct sched_input *in;
    struct sched_plan *plan;
    const struct job *job; /* NULL when purged */
    int type;              /* JOB_TYPE_* of the scheduler */
    int64_t now_ns;
    struct rng rng;
    struct constraint_cache *cache;

    struct sched_node *nodes; /* every input node, sorted by ID */
    size_t nnodes;
    struct sched_node **candidates; /* ready and in the job, shuffled */
    size_t ncandidates;
    size_t cursor; /* where the next placement starts looking */
    struct strmap nodes_by_dc;
    int64_t nodes_in_pool;

    /* The deployment placements join (input, or created by this plan). */
    const struct deployment *deployment;
    bool deployment_existing; /* of this job version, before this plan */
    bool deployment_paused;
    bool deployment_failed;

    /* Placements waiting for ranking, destructive ones first. */
    struct sched_placements destructive;
    struct sched_placements place;
    /* Allocs to move to the job version in place, after reconciling. */
    struct sched_aset inplace;

    json_t *job_json; /* for the destructive-update diff, made lazily */
    struct sched_diff_entry *diffs;
    size_t ndiffs, capdiffs;
};

/* ------------------------------------------------------------- sched.c */

static inline int64_t sched__i64(int64_t v)
{
    return v == MODEL_UNSET ? 0 : v;
}

struct sched_node *sched__node_find(struct sched *s, const char *id);
void sched__node_add(struct sched_node *ns, const struct alloc *a);
/* Removes the alloc with a's ID; false when it was not there. */
bool sched__node_remove(struct sched_node *ns, const struct alloc *a);
void sched__node_replace(struct sched_node *ns,
                         const struct alloc *old,
                         const struct alloc *a);

void sched__aset_push(struct sched_aset *set, const struct alloc *a);
void sched__aset_release(struct sched_aset *set);
/* Sorts by name index, then ID, so "highest first" is deterministic. */
void sched__aset_sort(struct sched_aset *set);
bool sched__aset_has(const struct sched_aset *set, const struct alloc *a);

void sched__placements_push(struct sched_placements *p,
                            const struct sched_place *place);

/* Adds a stop for a to the plan and frees its room on its node. */
void sched__stop(struct sched *s,
                 const struct alloc *a,
                 const char *description,
                 const char *client_status);
/* Takes back the last stop, which must be of a. */
void sched__unstop(struct sched *s, const struct alloc *a);

/* The desired-changes counters of a group, created on first use. */
struct sched_desired *sched__desired(struct sched *s, const char *group);
void sched__queued_add(struct sched *s, const char *group, int64_t n);

/* Adds 1 to the decimal count of key in m. */
void sched__metric_inc(struct strmap *m, const char *key);
void sched__metric_copy(struct alloc_metric *dst,
                        const struct alloc_metric *src);
/* A fresh metric with the pool and per-datacenter availability filled. */
void sched__metric_start(struct sched *s, struct alloc_metric *m);
/* Records a failed placement of tg; coalesces after the first. */
void sched__fail(struct sched *s,
                 const struct task_group *tg,
                 const struct alloc_metric *m);
bool sched__failed(const struct sched *s, const char *group);

/* True when a runs an older job than the one being scheduled. */
bool sched__alloc_outdated(const struct sched *s, const struct alloc *a);
const struct task_group *sched__alloc_group(const struct alloc *a,
                                            const struct job *fallback);

/* ---------------------------------------------------------- feasible.c */

/* Status ready, eligible and not draining. */
bool sched__node_ready(const struct node *n);
/* In one of the job's datacenter globs and in its node pool. */
bool sched__node_in_job(const struct job *job, const struct node *n);
/*
 * Checks everything but resources: job, group and task constraints,
 * drivers, distinct_hosts, distinct_property. Counts a filtered node into
 * m (may be NULL).
 */
bool sched__feasible(struct sched *s,
                     const struct sched_node *ns,
                     const struct task_group *tg,
                     struct alloc_metric *m);

/* -------------------------------------------------------------- rank.c */

/* CPU MHz, memory MB and disk MB that a uses. */
void sched__alloc_usage(const struct alloc *a,
                        int64_t *cpu,
                        int64_t *mem,
                        int64_t *disk);
/*
 * Checks ports and resources of tg on ns; on success fills opt (ports
 * owned by opt) and the bin-packing score, else counts the exhausted
 * dimension into m.
 */
bool sched__fit(struct sched *s,
                struct sched_node *ns,
                const struct task_group *tg,
                struct alloc_metric *m,
                struct sched_option *opt);
/* Picks the best node for p among a limited sample of candidates. */
bool sched__select(struct sched *s,
                   const struct sched_place *p,
                   struct alloc_metric *m,
                   struct sched_option *out);
void sched__option_release(struct sched_option *opt);

/* ------------------------------------------------------------- ports.c */

/*
 * Assigns the group network's static and dynamic ports on ns. Returns
 * true and fills *ports and *nports (owned by the caller), or false with the
 * reason ("reserved port collision http=8080", "dynamic port selection
 * failed") in why.
 */
bool sched__ports_assign(struct sched *s,
                         const struct sched_node *ns,
                         const struct task_group *tg,
                         struct alloc_port **ports,
                         size_t *nports,
                         char *why,
                         size_t why_size);
void sched__ports_free(struct alloc_port *ports, size_t nports);

/* -------------------------------------------------------- reschedule.c */

/* The reschedule policy that applies to a: its own job's group's. */
const struct reschedule_policy *sched__reschedule_policy(
    const struct alloc *a,
    const struct job *fallback);
/*
 * Decides what to do with failed alloc a: reschedule now, later (at
 * *at_ns, a follow-up eval is needed), or never (both false).
 */
void sched__reschedule_check(const struct sched *s,
                             const struct alloc *a,
                             bool *now,
                             bool *later,
                             int64_t *at_ns);
/* Fills the replacement's RescheduleTracker from prev's. */
void sched__reschedule_track(const struct sched *s,
                             struct alloc *a,
                             const struct alloc *prev);

/* -------------------------------------------------------------- diff.c */

/*
 * True when moving alloc a (running old's group) to the scheduled job
 * needs a new alloc: task config, driver, resources, env, meta, templates,
 * artifacts, networks, disk changed. Constraints, affinities, spreads,
 * services, restart and reschedule policies and count are in place.
 */
bool sched__destructive(struct sched *s,
                        const struct job *old,
                        const char *group);

/* -------------------------------------------------------- plan_build.c */

/* Builds and adds to the plan the alloc for p on opt (ports move). */
struct alloc *sched__place_alloc(struct sched *s,
                                 const struct sched_place *p,
                                 struct sched_option *opt,
                                 const struct alloc_metric *m);
/* Adds to the plan a copy of a running the scheduled job. */
struct alloc *sched__update_alloc(struct sched *s, const struct alloc *a);
/* Adds to the plan a copy of a that records its follow-up eval. */
void sched__followup_alloc(struct sched *s,
                           const struct alloc *a,
                           const char *eval_id);
/* Adds a pending follow-up eval waiting until at_ns; returns its ID. */
const char *sched__followup_eval(struct sched *s,
                                 int64_t at_ns,
                                 const char *triggered_by);
/* Fills plan->blocked_eval or plan->reblock after failed placements. */
void sched__blocked_eval(struct sched *s);
/* Creates plan->deployment for the job unless there is one. */
struct deployment *sched__deployment_create(struct sched *s);
struct deployment_group *sched__deployment_add_group(
    struct deployment *d,
    const struct task_group *tg);
/* Nomad's description of a new deployment: canaries waiting for a
 * promotion, manual or automatic, change the status text. */
void sched__deployment_needs_promotion(struct deployment *d);
void sched__deployment_update(struct sched *s,
                              const struct deployment *d,
                              const char *status,
                              const char *description);
void sched__new_id(struct sched *s, char out[ID_UUID_LEN + 1]);

/* ---------------------------------------------------- the schedulers */

/* service and batch: reconcile, then place. */
void sched__run_generic(struct sched *s);
void sched__run_system(struct sched *s);
/* Places every queued request (s->destructive, then s->place). */
void sched__place_all(struct sched *s);
/* Applies s->inplace: copies running the job, in the plan's updates. */
void sched__apply_inplace(struct sched *s);
/*
 * Feasibility of tg on ns for an alloc already there (a, may be NULL),
 * which must not count against its own distinct_hosts.
 */
bool sched__feasible_for(struct sched *s,
                         struct sched_node *ns,
                         const struct task_group *tg,
                         const struct alloc *a);
/* Stops every non-terminal alloc of the job (stopped or purged job). */
void sched__stop_all(struct sched *s);

#endif
