/*
 * The server's state store: jobs (with every version), evals, allocs,
 * nodes and deployments in LMDB.
 *
 * fsm.c is the only writer. It applies each committed log entry in one
 * write transaction that also records the entry's index, so after a crash
 * the store says exactly which entries it holds. Every table has a modify
 * index (the log index of its last change), which blocking queries wait
 * on. Readers take a snapshot: an LMDB read transaction, consistent and
 * never blocked by the writer.
 *
 * Threads: a write transaction belongs to the thread that began it (LMDB
 * rule); fsync happens at commit, so callers on the libuv loop commit from
 * the thread pool (uv_queue_work). Snapshots may be used from any one
 * thread at a time (the environment is opened with MDB_NOTLS).
 */
#ifndef CARAVAN_AGENT_SERVER_STATE_STATE_H
#define CARAVAN_AGENT_SERVER_STATE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc;
struct deployment;
struct err;
struct eval;
struct job;
struct node;

struct state_store;
struct state_txn;
struct state_snap;
struct state_batch;

enum state_table {
    STATE_JOBS = 0,
    STATE_JOB_VERSIONS,
    STATE_EVALS,
    STATE_ALLOCS,
    STATE_NODES,
    STATE_DEPLOYMENTS,
    STATE_NTABLES,
};

struct state_options
{
    size_t map_size_bytes; /* LMDB map size; 0 means 1 GiB */
    bool no_sync;          /* skip fsync at commit (tests, -dev) */
};

/*
 * Opens (creating if needed) the store in directory dir. *out is owned by
 * the caller and closed with state_close(). Fails with -errno or
 * ERR_IO, the message naming dir.
 */
int state_open(const char *dir,
               const struct state_options *opts,
               struct state_store **out,
               struct err *err);
/* Closes the store. Every transaction and snapshot must be finished. */
void state_close(struct state_store *s);

/* ------------------------------------------------------------- writing */

/*
 * Begins the write transaction for the log entry at index. index must be
 * greater than the store's last index (BUG_ON otherwise: applying entries
 * out of order would corrupt the state).
 */
int state_write_begin(struct state_store *s,
                      uint64_t index,
                      struct state_txn **out,
                      struct err *err);
/* Commits (durably unless no_sync) and frees txn, whatever the result. */
int state_write_commit(struct state_txn *txn, struct err *err);
/* Drops every change of txn and frees it. */
void state_write_abort(struct state_txn *txn);
/* The tables txn wrote so far: bit (1 << enum state_table) per table. */
unsigned state_txn_touched(const struct state_txn *txn);

/*
 * Group commit: several log entries in one LMDB write transaction, so
 * they share one commit (and one fsync). Each entry still gets its own
 * transaction, nested in the batch: state_batch_write_begin() instead of
 * state_write_begin(), then state_write_commit() (which only merges it
 * into the batch) or state_write_abort() (which drops that entry alone).
 * Nothing is visible to snapshots, nor durable, before
 * state_batch_commit(). One entry transaction at a time per batch, on
 * the thread that began the batch.
 */
int state_batch_begin(struct state_store *s,
                      struct state_batch **out,
                      struct err *err);
int state_batch_write_begin(struct state_batch *b,
                            uint64_t index,
                            struct state_txn **out,
                            struct err *err);
/* Commits (durably unless no_sync) and frees b, whatever the result. */
int state_batch_commit(struct state_batch *b, struct err *err);
/* Drops every entry of b and frees it; NULL does nothing. */
void state_batch_abort(struct state_batch *b);

/*
 * Stores job as the current version of (namespace, id) and adds it to the
 * version history. Sets job->create_index (kept from the first version),
 * modify_index, job_modify_index and, when the spec changed, a new
 * version number; job is borrowed and updated in place.
 */
int state_upsert_job(struct state_txn *txn, struct job *job, struct err *err);
/* Rewrites the stored record of job's version as is (its stability);
 * the current job is not touched. */
int state_put_job_version(struct state_txn *txn,
                          const struct job *job,
                          struct err *err);
/* Deletes the job and its versions. ERR_NOT_FOUND when absent. */
int state_delete_job(struct state_txn *txn,
                     const char *namespace,
                     const char *id,
                     struct err *err);
int state_upsert_eval(struct state_txn *txn,
                      struct eval *eval,
                      struct err *err);
int state_delete_eval(struct state_txn *txn, const char *id, struct err *err);
int state_upsert_alloc(struct state_txn *txn,
                       struct alloc *alloc,
                       struct err *err);
int state_delete_alloc(struct state_txn *txn, const char *id, struct err *err);
int state_upsert_node(struct state_txn *txn,
                      struct node *node,
                      struct err *err);
int state_delete_node(struct state_txn *txn, const char *id, struct err *err);
int state_upsert_deployment(struct state_txn *txn,
                            struct deployment *d,
                            struct err *err);
int state_delete_deployment(struct state_txn *txn,
                            const char *id,
                            struct err *err);

/*
 * The last launch (Unix ns) of periodic job (namespace, id): recorded with
 * each child it launches, so a restarted leader neither launches twice
 * nor skips silently. Deleted with the job.
 */
int state_put_periodic_launch(struct state_txn *txn,
                              const char *namespace,
                              const char *id,
                              int64_t launch_ns,
                              struct err *err);

/* ------------------------------------------------------------- reading */

/* Takes a consistent read view; release it with state_snap_release(). */
int state_snapshot(struct state_store *s,
                   struct state_snap **out,
                   struct err *err);
void state_snap_release(struct state_snap *snap);
/*
 * A read view inside a write transaction (it sees the writes so far), for
 * fsm.c's read-modify-write. Release it with state_snap_release() before
 * the transaction ends.
 */
struct state_snap *state_txn_view(struct state_txn *txn);

/* ERR_NOT_FOUND when the job never launched. */
int state_get_periodic_launch(struct state_snap *snap,
                              const char *namespace,
                              const char *id,
                              int64_t *launch_ns,
                              struct err *err);

/*
 * Every job with a launch record (every periodic job registered active),
 * cheaply: the dispatcher need not walk all jobs.
 */
typedef int (*state_launch_cb)(const char *namespace,
                               const char *id,
                               int64_t launch_ns,
                               void *arg);
int state_each_periodic_launch(struct state_snap *snap,
                               state_launch_cb cb,
                               void *arg,
                               struct err *err);

/* The index of the last applied entry (0 for an empty store). */
uint64_t state_snap_last_index(const struct state_snap *snap);
/* The log index of the last change to table. */
uint64_t state_snap_table_index(const struct state_snap *snap,
                                enum state_table table);

/*
 * Point reads decode into an _init()ed struct the caller owns and
 * releases. ERR_NOT_FOUND when absent, ERR_MALFORMED for a corrupt record.
 */
int state_get_job(struct state_snap *snap,
                  const char *namespace,
                  const char *id,
                  struct job *out,
                  struct err *err);
int state_get_job_version(struct state_snap *snap,
                          const char *namespace,
                          const char *id,
                          int64_t version,
                          struct job *out,
                          struct err *err);
int state_get_eval(struct state_snap *snap,
                   const char *id,
                   struct eval *out,
                   struct err *err);
int state_get_alloc(struct state_snap *snap,
                    const char *id,
                    struct alloc *out,
                    struct err *err);
int state_get_node(struct state_snap *snap,
                   const char *id,
                   struct node *out,
                   struct err *err);
int state_get_deployment(struct state_snap *snap,
                         const char *id,
                         struct deployment *out,
                         struct err *err);

/*
 * Iterations call cb with a decoded record that is valid only during the
 * call; cb returns 0 to go on, anything else to stop (and that value is
 * returned). Order is by key: ids (or namespace + id) ascending.
 */
typedef int (*state_job_cb)(const struct job *job, void *arg);
typedef int (*state_eval_cb)(const struct eval *eval, void *arg);
typedef int (*state_alloc_cb)(const struct alloc *alloc, void *arg);
typedef int (*state_node_cb)(const struct node *node, void *arg);
typedef int (*state_deployment_cb)(const struct deployment *d, void *arg);

/* Jobs whose id starts with prefix ("" for all) in namespace (NULL: all). */
int state_each_job(struct state_snap *snap,
                   const char *namespace,
                   const char *prefix,
                   state_job_cb cb,
                   void *arg,
                   struct err *err);
/* Every stored version of one job, oldest first. */
int state_each_job_version(struct state_snap *snap,
                           const char *namespace,
                           const char *id,
                           state_job_cb cb,
                           void *arg,
                           struct err *err);
int state_each_eval(struct state_snap *snap,
                    const char *prefix,
                    state_eval_cb cb,
                    void *arg,
                    struct err *err);
int state_each_eval_by_job(struct state_snap *snap,
                           const char *namespace,
                           const char *job_id,
                           state_eval_cb cb,
                           void *arg,
                           struct err *err);
int state_each_alloc(struct state_snap *snap,
                     const char *prefix,
                     state_alloc_cb cb,
                     void *arg,
                     struct err *err);
int state_each_alloc_by_node(struct state_snap *snap,
                             const char *node_id,
                             state_alloc_cb cb,
                             void *arg,
                             struct err *err);
int state_each_alloc_by_job(struct state_snap *snap,
                            const char *namespace,
                            const char *job_id,
                            state_alloc_cb cb,
                            void *arg,
                            struct err *err);
int state_each_node(struct state_snap *snap,
                    const char *prefix,
                    state_node_cb cb,
                    void *arg,
                    struct err *err);
int state_each_deployment(struct state_snap *snap,
                          const char *prefix,
                          state_deployment_cb cb,
                          void *arg,
                          struct err *err);
int state_each_deployment_by_job(struct state_snap *snap,
                                 const char *namespace,
                                 const char *job_id,
                                 state_deployment_cb cb,
                                 void *arg,
                                 struct err *err);

#endif
