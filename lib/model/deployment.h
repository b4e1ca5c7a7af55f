/*
 * A deployment: the rollout of one job version of a service job, group by
 * group, gated by allocation health (Nomad's structs.Deployment).
 */
#ifndef CARAVAN_LIB_MODEL_DEPLOYMENT_H
#define CARAVAN_LIB_MODEL_DEPLOYMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/model/types.h"

struct err;

#define DEPLOYMENT_STATUS_RUNNING "running"
#define DEPLOYMENT_STATUS_PAUSED "paused"
#define DEPLOYMENT_STATUS_FAILED "failed"
#define DEPLOYMENT_STATUS_SUCCESSFUL "successful"
#define DEPLOYMENT_STATUS_CANCELLED "cancelled" /* two Ls, as Nomad */
#define DEPLOYMENT_STATUS_BLOCKED "blocked"
#define DEPLOYMENT_STATUS_PENDING "pending"

struct deployment_group
{
    char *name;
    bool auto_revert;
    bool auto_promote;
    int64_t progress_deadline_ns;
    int64_t require_progress_by_unix_ns;
    bool promoted;
    struct strlist placed_canaries; /* alloc ids */
    int64_t desired_canaries;
    int64_t desired_total;
    int64_t placed_allocs;
    int64_t healthy_allocs;
    int64_t unhealthy_allocs;
};

struct deployment
{
    char *id;
    char *namespace;
    char *job_id;
    int64_t job_version;
    int64_t job_modify_index;
    int64_t job_spec_modify_index;
    int64_t job_create_index;
    struct deployment_group *groups;
    size_t ngroups;
    char *status;
    char *status_description;
    int64_t eval_priority;
    int64_t create_index;
    int64_t modify_index;
    int64_t create_time_unix_ns;
    int64_t modify_time_unix_ns;
};

void deployment_init(struct deployment *d);
void deployment_release(struct deployment *d);
struct deployment *deployment_new(void);
void deployment_free(struct deployment *d);
struct deployment *deployment_copy(const struct deployment *d);
/* True while the deployment can still make progress (running, paused...). */
bool deployment_is_active(const struct deployment *d);
void deployment_canonicalize(struct deployment *d);
int deployment_validate(const struct deployment *d, struct err *err);
bool deployment_equal(const struct deployment *a, const struct deployment *b);

#endif
