/*
 * An evaluation: the unit of scheduling work (Nomad's structs.Evaluation).
 * Created by job registration, node updates, failed placements, periodic
 * launches; consumed by a scheduler worker. reference/scheduling.md §1.
 */
#ifndef CARAVAN_LIB_MODEL_EVAL_H
#define CARAVAN_LIB_MODEL_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/model/types.h"

struct err;

#define EVAL_STATUS_BLOCKED "blocked"
#define EVAL_STATUS_PENDING "pending"
#define EVAL_STATUS_COMPLETE "complete"
#define EVAL_STATUS_FAILED "failed"
#define EVAL_STATUS_CANCELED "canceled" /* one L, as Nomad */

/* Why a task group could not be placed (Nomad's AllocMetric). */
struct alloc_metric
{
    int64_t nodes_evaluated;
    int64_t nodes_filtered;
    int64_t nodes_in_pool;
    struct strmap nodes_available;     /* dc -> count, values as decimal */
    struct strmap class_filtered;      /* class -> count */
    struct strmap constraint_filtered; /* "<constraint>" -> count */
    int64_t nodes_exhausted;
    struct strmap class_exhausted;
    struct strmap dimension_exhausted; /* "memory" -> count */
    int64_t coalesced_failures;
    int64_t allocation_time_ns;
};

struct failed_tg_alloc
{
    char *group;
    struct alloc_metric metric;
};

struct eval
{
    char *id;
    char *namespace;
    int64_t priority;
    char *type; /* scheduler: service, batch, system, sysbatch, _core */
    char *triggered_by;
    char *job_id;
    int64_t job_modify_index;
    char *node_id;
    int64_t node_modify_index;
    char *deployment_id;
    char *status;
    char *status_description;
    int64_t wait_ns;
    int64_t wait_until_unix_ns;
    char *next_eval;
    char *previous_eval;
    char *blocked_eval;
    struct failed_tg_alloc *failed_tg_allocs;
    size_t nfailed_tg_allocs;
    struct strmap queued_allocations; /* group -> count, decimal */
    bool escaped_computed_class;
    bool annotate_plan;
    int64_t snapshot_index;
    int64_t create_index;
    int64_t modify_index;
    int64_t create_time_unix_ns;
    int64_t modify_time_unix_ns;
};

void alloc_metric_init(struct alloc_metric *m);
void alloc_metric_release(struct alloc_metric *m);
void eval_init(struct eval *e);
void eval_release(struct eval *e);
struct eval *eval_new(void);
void eval_free(struct eval *e);
struct eval *eval_copy(const struct eval *e);
/* True for complete, failed and canceled. */
bool eval_is_terminal(const struct eval *e);
void eval_canonicalize(struct eval *e);
int eval_validate(const struct eval *e, struct err *err);
bool eval_equal(const struct eval *a, const struct eval *b);

#endif
