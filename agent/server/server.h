/*
 * The server role: owns the command log, the state store, the eval broker
 * and the scheduling workers. Front ends (agent/http, the client through
 * RPC) only call the functions below; they never touch the state store
 * directly except through snapshots for reads.
 *
 * Threads: everything here runs on the loop thread; log appends with the
 * FSM apply, and scheduler runs, go to the libuv thread pool, one apply
 * at a time so entries are applied in log order. The commands that queue
 * up meanwhile go in the next apply together (group commit: one log and
 * one state transaction), each still acknowledged only once committed.
 */
#ifndef CARAVAN_AGENT_SERVER_SERVER_H
#define CARAVAN_AGENT_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct alloc;
struct cmd;
struct err;
struct node;
struct job;
struct state_snap;
struct strmap;
struct server;

struct server_config
{
    const char *data_dir; /* the server keeps <data_dir>/server/ */
    const char *region;   /* "global" */
    const char *datacenter;
    bool dev;        /* no fsync: the data dies with the agent anyway */
    int num_workers; /* concurrent scheduler runs; 0 = 2 */
    uint64_t heartbeat_ttl_ms; /* 0 = 30 s */
    /* Garbage collection (Nomad's server config); 0 = Nomad's default. */
    uint64_t job_gc_interval_ms;        /* 5m */
    int64_t job_gc_threshold_ns;        /* 4h */
    int64_t eval_gc_threshold_ns;       /* 1h */
    int64_t batch_eval_gc_threshold_ns; /* 24h */
    int64_t deployment_gc_threshold_ns; /* 1h */
    int64_t node_gc_threshold_ns;       /* 24h */
};

int server_new(uv_loop_t *loop,
               const struct server_config *cfg,
               struct server **out,
               struct err *err);
/* Stops accepting work, waits for what runs, then calls cb. */
void server_close(struct server *s, void (*cb)(void *arg), void *arg);

/* ------------------------------------------------------------- writes */

/*
 * Called on the loop thread when a command was applied (rc 0, with its
 * index) or refused (rc < 0, message in err).
 */
typedef void (*server_done_cb)(void *arg,
                               int rc,
                               uint64_t index,
                               const struct err *err);

/* Appends c (taken) to the log, applies it, then calls done. */
void server_apply(struct server *s,
                  struct cmd *c,
                  server_done_cb done,
                  void *arg);

/* The result of a job registration, as POST /v1/jobs answers it. */
struct server_register_result
{
    char eval_id[40]; /* "" for periodic and parameterized jobs */
    uint64_t eval_create_index;
    uint64_t job_modify_index;
    uint64_t index;
    const char *warnings;
    bool reverted; /* a deployment failure re-registered a stable job */
    int64_t reverted_job_version;
};

typedef void (*server_register_cb)(void *arg,
                                   int rc,
                                   const struct server_register_result *res,
                                   const struct err *err);

/*
 * Registers job (taken): canonicalizes, validates (ERR_INVALID with
 * Nomad's multi-error text), then creates the eval and applies both.
 */
void server_job_register(struct server *s,
                         struct job *job,
                         server_register_cb done,
                         void *arg);
/* What a user asks of a deployment (deploy_server.c). */
enum server_deployment_op {
    SERVER_DEPLOYMENT_PROMOTE,
    SERVER_DEPLOYMENT_FAIL,
    SERVER_DEPLOYMENT_PAUSE,
    SERVER_DEPLOYMENT_RESUME,
    SERVER_DEPLOYMENT_ALLOC_HEALTH,
};

/* Borrowed for the call. groups/all only for PROMOTE, the alloc ids
 * only for ALLOC_HEALTH. */
struct server_deployment_req
{
    enum server_deployment_op op;
    const char *id;
    const char *const *groups;
    size_t ngroups;
    bool all;
    const char *const *healthy;
    size_t nhealthy;
    const char *const *unhealthy;
    size_t nunhealthy;
};

/*
 * Promotes, fails, pauses or resumes deployment req->id, or sets the
 * health of its allocs, as Nomad does
 * (ERR_NOT_FOUND "deployment not found"; ERR_INVALID with Nomad's text
 * when it is terminal or its canaries are not healthy). done gets the
 * eval it created, if any.
 */
void server_deployment_update(struct server *s,
                              const struct server_deployment_req *req,
                              server_register_cb done,
                              void *arg);

/*
 * Marks version of job (ns, id) stable or not (Nomad's Job.Stable).
 * ERR_NOT_FOUND "job \"id\" at version N not found".
 */
void server_job_stability(struct server *s,
                          const char *ns,
                          const char *id,
                          int64_t version,
                          bool stable,
                          server_register_cb done,
                          void *arg);

/* Stops (or with purge, removes) a job and evaluates it. */
void server_job_deregister(struct server *s,
                           const char *namespace,
                           const char *id,
                           bool purge,
                           server_register_cb done,
                           void *arg);

typedef void (*server_force_cb)(void *arg,
                                int rc,
                                const char *eval_id,
                                uint64_t index,
                                const struct err *err);
/*
 * Launches a child of periodic job (namespace, id) now, ignoring
 * prohibit_overlap (`job periodic force`). ERR_NOT_FOUND, or ERR_INVALID
 * for a job that is not periodic.
 */
void server_periodic_force(struct server *s,
                           const char *namespace,
                           const char *id,
                           server_force_cb done,
                           void *arg);

/* A `job dispatch` request; payload is the decoded bytes. */
struct strmap;
struct server_dispatch_req
{
    const char *namespace;
    const char *job_id;
    const struct strmap *meta; /* NULL: none */
    const void *payload;
    size_t payload_len;
    const char *idempotency_token;
    const char *id_prefix_template;
    int64_t priority; /* 0: the parent's */
};

struct server_dispatch_result
{
    char dispatched_job_id[512];
    char eval_id[40]; /* "" for a periodic child or a repeated token */
    uint64_t eval_create_index;
    uint64_t job_create_index;
    uint64_t index;
};

typedef void (*server_dispatch_cb)(void *arg,
                                   int rc,
                                   const struct server_dispatch_result *res,
                                   const struct err *err);
/* Dispatches a child of a parameterized job, with Nomad's checks. */
void server_job_dispatch(struct server *s,
                         const struct server_dispatch_req *r,
                         server_dispatch_cb done,
                         void *arg);

/* ------------------------------------------------------- client RPCs */

/* Node.Register: stores n (copied) as ready and starts its heartbeat TTL. */
void server_node_register(struct server *s,
                          const struct node *n,
                          server_done_cb done,
                          void *arg);
/*
 * Node.UpdateStatus heartbeat: resets the node's TTL (in memory, as Nomad:
 * heartbeats do not go through the log). A node that misses its TTL is
 * marked down and its jobs evaluated, so its allocs are replaced.
 */
void server_node_heartbeat(struct server *s,
                           const char *node_id,
                           server_done_cb done,
                           void *arg);
/*
 * Alloc.UpdateClient: the client-side fields of allocs (borrowed). Failed
 * allocs that should still run get an eval, so they are rescheduled.
 */
void server_alloc_update(struct server *s,
                         struct alloc *const *allocs,
                         size_t n,
                         server_done_cb done,
                         void *arg);

/* ------------------------------------------- node operations (nodeops.c) */

/* What Node.UpdateEligibility and Node.UpdateDrain answer. */
struct server_node_update_result
{
    uint64_t index;
    uint64_t node_modify_index;
    uint64_t eval_create_index;
    char **eval_ids; /* borrowed during the callback */
    size_t neval_ids;
};

typedef void (*server_node_update_cb)(void *arg,
                                      int rc,
                                      const struct server_node_update_result *r,
                                      const struct err *err);

/*
 * Sets a node "eligible" or "ineligible" for new placements; its allocs
 * stay. ERR_INVALID for another value or eligible while draining,
 * ERR_NOT_FOUND ("node not found"). Becoming eligible evaluates the
 * node's jobs and the system jobs.
 */
void server_node_eligibility(struct server *s,
                             const char *node_id,
                             const char *eligibility,
                             server_node_update_cb done,
                             void *arg);

struct server_drain_request
{
    const char *node_id;
    bool enable;         /* false: cancel the drain */
    int64_t deadline_ns; /* < 0 force, 0 none */
    bool ignore_system_jobs;
    bool mark_eligible;        /* on cancel */
    const struct strmap *meta; /* borrowed; may be NULL */
};

/* Starts, updates or cancels a node drain; the drainer does the rest. */
void server_node_drain(struct server *s,
                       const struct server_drain_request *req,
                       server_node_update_cb done,
                       void *arg);

/* A forced garbage collection (thresholds 0), as PUT /v1/system/gc. */
void server_gc(struct server *s, server_done_cb done, void *arg);

/* -------------------------------------------------------------- reads */

struct alloc;
struct deployment;
struct eval;
struct node;

/* Table bits for watches and indexes (the state store's tables). */
enum server_table {
    SERVER_JOBS = 1u << 0,
    SERVER_JOB_VERSIONS = 1u << 1,
    SERVER_EVALS = 1u << 2,
    SERVER_ALLOCS = 1u << 3,
    SERVER_NODES = 1u << 4,
    SERVER_DEPLOYMENTS = 1u << 5,
};

/*
 * A consistent read view (an LMDB read transaction): front ends read
 * through these calls, never the state store itself. Records are decoded
 * into _init()ed structs the caller releases; callbacks get borrowed
 * records valid during the call and stop the walk by returning non-zero.
 * ERR_NOT_FOUND when a record is absent.
 */
int server_read_begin(struct server *s, struct state_snap **out, struct err *err);
void server_read_end(struct state_snap *r);
/* The highest modify index among tables (the X-Nomad-Index of a read). */
uint64_t server_read_index(struct state_snap *r, unsigned tables);
int server_read_job(struct state_snap *r,
                    const char *ns,
                    const char *id,
                    struct job *out,
                    struct err *err);
int server_read_job_version(struct state_snap *r,
                            const char *ns,
                            const char *id,
                            int64_t version,
                            struct job *out,
                            struct err *err);
int server_read_eval(struct state_snap *r,
                     const char *id,
                     struct eval *out,
                     struct err *err);
int server_read_alloc(struct state_snap *r,
                      const char *id,
                      struct alloc *out,
                      struct err *err);
int server_read_node(struct state_snap *r,
                     const char *id,
                     struct node *out,
                     struct err *err);
int server_read_deployment(struct state_snap *r,
                           const char *id,
                           struct deployment *out,
                           struct err *err);

typedef int (*server_job_cb)(const struct job *job, void *arg);
typedef int (*server_eval_cb)(const struct eval *e, void *arg);
typedef int (*server_alloc_cb)(const struct alloc *a, void *arg);
typedef int (*server_node_cb)(const struct node *n, void *arg);
typedef int (*server_deployment_cb)(const struct deployment *d, void *arg);

/* ns NULL or "*" means every namespace; prefix "" means all. */
int server_each_job(struct state_snap *r,
                    const char *prefix,
                    server_job_cb cb,
                    void *arg,
                    struct err *err);
int server_each_job_version(struct state_snap *r,
                            const char *ns,
                            const char *id,
                            server_job_cb cb,
                            void *arg,
                            struct err *err);
int server_each_eval(struct state_snap *r,
                     const char *prefix,
                     server_eval_cb cb,
                     void *arg,
                     struct err *err);
int server_each_eval_by_job(struct state_snap *r,
                            const char *ns,
                            const char *job,
                            server_eval_cb cb,
                            void *arg,
                            struct err *err);
int server_each_alloc(struct state_snap *r,
                      const char *prefix,
                      server_alloc_cb cb,
                      void *arg,
                      struct err *err);
int server_each_alloc_by_job(struct state_snap *r,
                             const char *ns,
                             const char *job,
                             server_alloc_cb cb,
                             void *arg,
                             struct err *err);
int server_each_alloc_by_node(struct state_snap *r,
                              const char *node,
                              server_alloc_cb cb,
                              void *arg,
                              struct err *err);
int server_each_node(struct state_snap *r,
                     const char *prefix,
                     server_node_cb cb,
                     void *arg,
                     struct err *err);
int server_each_deployment(struct state_snap *r,
                           const char *prefix,
                           server_deployment_cb cb,
                           void *arg,
                           struct err *err);
int server_each_deployment_by_job(struct state_snap *r,
                                  const char *ns,
                                  const char *job,
                                  server_deployment_cb cb,
                                  void *arg,
                                  struct err *err);

/* The index of the last applied command. */
uint64_t server_last_index(const struct server *s);
/* How long a node may go without a heartbeat before it is down. */
uint64_t server_heartbeat_ttl_ms(const struct server *s);
const char *server_region(const struct server *s);
const char *server_datacenter(const struct server *s);

/*
 * Blocking queries: cb runs (once) on the loop thread when one of the
 * tables in mask (SERVER_* bits) changes past index, or with index 0 when
 * the server closes. Returns a handle for server_unwatch().
 */
typedef void (*server_watch_cb)(void *arg, uint64_t index);
void *server_watch(struct server *s,
                   unsigned mask,
                   uint64_t index,
                   server_watch_cb cb,
                   void *arg);
void server_unwatch(struct server *s, void *handle);

/* ------------------------------------------ job and alloc ops (job_ops.c) */

struct json_t;

/*
 * The answer to a plan: Nomad's JobPlanResponse as JSON (borrowed for the
 * call) on success, else rc and err (ERR_INVALID: the job is invalid).
 */
typedef void (*server_plan_cb)(void *arg,
                               int rc,
                               struct json_t *resp,
                               const struct err *err);

/*
 * Job.Plan: canonicalizes and validates job (taken), runs the scheduler
 * on a snapshot as if the job were registered, and answers what it would
 * do, with the diff against the stored job when diff is set. Commits
 * nothing.
 */
void server_job_plan(struct server *s,
                     struct job *job,
                     bool diff,
                     server_plan_cb done,
                     void *arg);
/*
 * Registers job (taken) only if the stored job's JobModifyIndex is
 * job_modify_index (0: only if there is no such job); otherwise fails
 * with Nomad's "Enforcing job modify index ..." text.
 */
void server_job_register_enforce(struct server *s,
                                 struct job *job,
                                 uint64_t job_modify_index,
                                 server_register_cb done,
                                 void *arg);
/*
 * Job.Revert: registers the stored version of a job again (a new
 * version, with an eval). enforce_prior >= 0 requires the current
 * version to be it.
 */
void server_job_revert(struct server *s,
                       const char *ns,
                       const char *id,
                       int64_t version,
                       int64_t enforce_prior,
                       server_register_cb done,
                       void *arg);
/*
 * Alloc.Stop: stops one alloc and evaluates its job, so the scheduler
 * replaces it. The result carries the eval; ERR_NOT_FOUND when there is
 * no such alloc.
 */
void server_alloc_stop(struct server *s,
                       const char *alloc_id,
                       server_register_cb done,
                       void *arg);

#endif
