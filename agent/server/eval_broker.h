/*
 * The eval broker: hands evaluations to scheduler workers, as Nomad's
 * does. Pure core: no I/O, no clock reads (now_ms is an argument), so it
 * is tested in virtual time; server.c drives it from the loop.
 *
 * - One ready queue per scheduler type ("service", "batch", "system",
 *   "sysbatch"), highest priority first, then oldest (create index).
 * - One eval per job at a time: while an eval of a job is out with a
 *   worker, later evals of that job wait, and only the newest of them is
 *   kept (older ones are superseded and reported for cancellation).
 * - A worker acks or nacks with the token it got. An eval not acked within
 *   the nack timeout is taken back and requeued; after delivery_limit
 *   deliveries it is given up ("failed" queue) for the server to mark it.
 * - Evals with a wait_until time stay delayed until then.
 */
#ifndef CARAVAN_AGENT_SERVER_EVAL_BROKER_H
#define CARAVAN_AGENT_SERVER_EVAL_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct eval_broker;

struct broker_eval
{
    char id[40];
    char job_key[256]; /* "<namespace>\0<job id>" squeezed as "ns/id" */
    char type[16];     /* scheduler type */
    int64_t priority;
    uint64_t create_index;
    uint64_t wait_until_ms; /* 0 = ready now */
};

struct broker_options
{
    uint64_t nack_timeout_ms;  /* default 60000 */
    unsigned delivery_limit;   /* default 3 */
    uint64_t nack_delay_ms;    /* requeue delay after a nack; default 1000 */
};

struct eval_broker *broker_new(const struct broker_options *opts);
void broker_free(struct eval_broker *b);

/* Adds an eval. An id already known is ignored (idempotent re-enqueue). */
void broker_enqueue(struct eval_broker *b,
                    const struct broker_eval *e,
                    uint64_t now_ms);
/*
 * Takes the best ready eval for any of types (NULL-terminated list).
 * Returns false when none is ready. *token authenticates ack/nack.
 */
bool broker_dequeue(struct eval_broker *b,
                    const char *const *types,
                    uint64_t now_ms,
                    struct broker_eval *out,
                    uint64_t *token);
/* ERR_NOT_FOUND for an unknown id, ERR_STATE for a wrong token. */
int broker_ack(struct eval_broker *b,
               const char *id,
               uint64_t token,
               uint64_t now_ms);
int broker_nack(struct eval_broker *b,
                const char *id,
                uint64_t token,
                uint64_t now_ms);
/* Extends the deadline of an eval a worker is still busy with. */
int broker_touch(struct eval_broker *b,
                 const char *id,
                 uint64_t token,
                 uint64_t now_ms);

/*
 * Advances time: expires unacked evals, releases delayed ones. Returns the
 * next time something will happen (UINT64_MAX when nothing is pending).
 */
uint64_t broker_step(struct eval_broker *b, uint64_t now_ms);

/* Evals the broker gave up on (delivery limit) or superseded; the caller
 * marks them failed/canceled in the state. Returns false when empty. */
bool broker_pop_failed(struct eval_broker *b, char id[40]);
bool broker_pop_canceled(struct eval_broker *b, char id[40]);

struct broker_stats
{
    size_t ready;
    size_t unacked;
    size_t blocked_by_job; /* waiting behind an eval of the same job */
    size_t delayed;
};
void broker_stats(const struct eval_broker *b, struct broker_stats *out);

#endif
