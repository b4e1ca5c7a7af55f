/*
 * The commands of the replicated log: every change to the server state is
 * one of these, appended to the log and applied by fsm.c in log order.
 * Today the log is a single-node LMDB log (log.c); the Raft issue puts
 * Raft behind the same interface and these bytes become Raft entries.
 *
 * Encoding: a msgpack array [type, fields...]; model records ride inside
 * as bin blobs in their own versioned encoding (lib/model/codec_mp.h).
 */
#ifndef CARAVAN_AGENT_SERVER_CMD_H
#define CARAVAN_AGENT_SERVER_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc;
struct buf;
struct deployment;
struct err;
struct eval;
struct job;
struct node;

enum cmd_type {
    CMD_JOB_REGISTER = 1,
    CMD_JOB_DEREGISTER = 2,
    CMD_EVAL_UPDATE = 3,
    CMD_PLAN_RESULT = 4,
    CMD_ALLOC_CLIENT_UPDATE = 5,
    CMD_NODE_REGISTER = 6,
    CMD_NODE_STATUS = 7,
    CMD_NODE_DEREGISTER = 8,
    CMD_DEPLOYMENT_STATUS = 9,
    CMD_DEPLOYMENT_PROMOTE = 10,
    CMD_NODE_ELIGIBILITY = 11,
    CMD_NODE_DRAIN = 12,
    CMD_ALLOC_TRANSITION = 13,
    CMD_GC = 14,
    CMD_JOB_STABILITY = 15,
};

/* What a key of CMD_ALLOC_TRANSITION or CMD_GC names. */
enum cmd_key_kind {
    CMD_KEY_JOB = 'j',
    CMD_KEY_EVAL = 'e',
    CMD_KEY_ALLOC = 'a',
    CMD_KEY_NODE = 'n',
    CMD_KEY_DEPLOYMENT = 'd',
};

struct cmd_key
{
    int kind;        /* enum cmd_key_kind */
    char *namespace; /* jobs only */
    char *id;
};

/* A stop decided by a plan: the alloc keeps everything but its desire. */
struct alloc_stop
{
    char *id;
    char *desired_status; /* "stop" or "evict" */
    char *description;
    char *client_status; /* "lost" for allocs on down nodes, else NULL */
    char *followup_eval_id;
};

/*
 * One command. Which fields mean something depends on type; the decoder
 * leaves the others empty. Arrays are owned.
 */
struct cmd
{
    enum cmd_type type;
    int64_t now_unix_ns; /* the proposer's clock: fsm must not read one */

    struct job *job;            /* JOB_REGISTER, DEPLOYMENT_STATUS (the
                                   auto-revert job), JOB_STABILITY (the
                                   version, with its new Stable) */
    char *namespace;            /* JOB_DEREGISTER, DEPLOYMENT_* */
    char *id;                   /* job, node or deployment id */
    bool purge;                 /* JOB_DEREGISTER */
    struct eval **evals;        /* JOB_*, EVAL_UPDATE, PLAN_RESULT, NODE_* */
    size_t nevals;
    struct alloc **allocs;      /* PLAN_RESULT (placed, updated),
                                   ALLOC_CLIENT_UPDATE (client fields) and
                                   DEPLOYMENT_STATUS (id + health) */
    size_t nallocs;
    struct alloc_stop *stops;   /* PLAN_RESULT */
    size_t nstops;
    struct deployment *deployment; /* PLAN_RESULT, DEPLOYMENT_STATUS: the
                                      whole new deployment, applied only
                                      over the modify index it carries */
    struct node *node;          /* NODE_REGISTER */
    char *status;               /* NODE_STATUS, DEPLOYMENT_STATUS */
    char *description;
    bool job_stable;            /* DEPLOYMENT_STATUS: mark the version */
    /*
     * NODE_ELIGIBILITY: id, status ("eligible"/"ineligible"). NODE_DRAIN:
     * id; node (or NULL) carries only DrainStrategy (NULL: drain off) and,
     * in LastDrain.Meta, the operator's meta; status is set ("complete",
     * or "deadline" when it hit the deadline) when the drainer ended it.
     */
    bool mark_eligible; /* NODE_DRAIN off: eligible again */
    /* ALLOC_TRANSITION: allocs to migrate; GC: records to delete. */
    struct cmd_key *keys;
    size_t nkeys;
};

void cmd_init(struct cmd *c, enum cmd_type type);
void cmd_release(struct cmd *c);
/* Takes ownership of e / a. */
void cmd_add_eval(struct cmd *c, struct eval *e);
void cmd_add_alloc(struct cmd *c, struct alloc *a);
void cmd_add_stop(struct cmd *c,
                  const char *id,
                  const char *desired,
                  const char *description,
                  const char *client_status);
/* Copies ns (may be NULL) and id. */
void cmd_add_key(struct cmd *c, int kind, const char *ns, const char *id);
const char *cmd_type_name(enum cmd_type t);

void cmd_encode(const struct cmd *c, struct buf *out);
/* Decodes into an uninitialised c; on failure c is released. */
int cmd_decode(const void *data, size_t len, struct cmd *c, struct err *err);

#endif
