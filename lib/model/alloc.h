/*
 * An allocation: one instance of a task group placed on a node (Nomad's
 * structs.Allocation), with what the client reports back about its tasks.
 */
#ifndef CARAVAN_LIB_MODEL_ALLOC_H
#define CARAVAN_LIB_MODEL_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/model/eval.h"
#include "lib/model/types.h"

struct err;
struct job;

#define ALLOC_DESIRED_RUN "run"
#define ALLOC_DESIRED_STOP "stop"
#define ALLOC_DESIRED_EVICT "evict"

#define ALLOC_CLIENT_PENDING "pending"
#define ALLOC_CLIENT_RUNNING "running"
#define ALLOC_CLIENT_COMPLETE "complete"
#define ALLOC_CLIENT_FAILED "failed"
#define ALLOC_CLIENT_LOST "lost"
#define ALLOC_CLIENT_UNKNOWN "unknown"

#define TASK_STATE_PENDING "pending"
#define TASK_STATE_RUNNING "running"
#define TASK_STATE_DEAD "dead"

struct task_event
{
    char *type; /* "Received", "Started", "Terminated", ... */
    int64_t time_unix_ns;
    char *display_message;
    struct strmap details;
    int64_t exit_code;
    int64_t signal;
    char *message;
    bool fails_task;
    int64_t restart_reason_delay_ns;
};

struct task_state
{
    char *task;
    char *state; /* pending, running, dead */
    bool failed;
    int64_t restarts;
    int64_t last_restart_unix_ns;
    int64_t started_at_unix_ns;
    int64_t finished_at_unix_ns;
    struct task_event *events;
    size_t nevents;
};

/* A port given to an alloc by the scheduler. */
struct alloc_port
{
    char *label;
    int64_t value;
    int64_t to;
    char *host_ip;
};

struct alloc_task_resources
{
    char *task;
    int64_t cpu_shares;
    int64_t cores;
    int64_t memory_mb;
    int64_t memory_max_mb;
};

struct alloc_deployment_status
{
    enum tri healthy;
    int64_t timestamp_unix_ns;
    bool canary;
    int64_t modify_index;
};

struct reschedule_event
{
    int64_t reschedule_time_unix_ns;
    char *prev_alloc_id;
    char *prev_node_id;
    int64_t delay_ns;
};

struct alloc
{
    char *id;
    char *namespace;
    char *eval_id;
    char *name; /* "<job>.<group>[<index>]" */
    char *node_id;
    char *node_name;
    char *job_id;
    struct job *job; /* the job at the version this alloc runs; owned */
    char *task_group;
    struct alloc_task_resources *task_resources;
    size_t ntask_resources;
    int64_t shared_disk_mb;
    struct alloc_port *ports;
    size_t nports;
    struct alloc_metric metrics;
    char *desired_status;
    char *desired_description;
    enum tri desired_migrate;
    enum tri desired_reschedule;
    enum tri desired_force_reschedule;
    char *client_status;
    char *client_description;
    struct task_state *task_states;
    size_t ntask_states;
    struct alloc_deployment_status *deployment_status;
    char *deployment_id;
    char *previous_allocation;
    char *next_allocation;
    char *followup_eval_id;
    struct reschedule_event *reschedule_events;
    size_t nreschedule_events;
    int64_t create_index;
    int64_t modify_index;
    int64_t alloc_modify_index;
    int64_t create_time_unix_ns;
    int64_t modify_time_unix_ns;
};

void task_event_init(struct task_event *e);
void task_event_release(struct task_event *e);
void task_state_init(struct task_state *s);
void task_state_release(struct task_state *s);
void alloc_init(struct alloc *a);
void alloc_release(struct alloc *a);
struct alloc *alloc_new(void);
void alloc_free(struct alloc *a);
struct alloc *alloc_copy(const struct alloc *a);
/* The index N of "<job>.<group>[N]", or -1 when the name has none. */
int64_t alloc_name_index(const struct alloc *a);
/* Desired stop/evict, or client complete/failed/lost. */
bool alloc_is_terminal(const struct alloc *a);
bool alloc_client_is_terminal(const struct alloc *a);
void alloc_canonicalize(struct alloc *a);
int alloc_validate(const struct alloc *a, struct err *err);
bool alloc_equal(const struct alloc *a, const struct alloc *b);

#endif
