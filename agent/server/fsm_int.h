/*
 * What the files of the FSM share: the node-operation commands live in
 * fsm_nodeops.c, dispatched from fsm_apply(). Private to agent/server.
 */
#ifndef CARAVAN_AGENT_SERVER_FSM_INT_H
#define CARAVAN_AGENT_SERVER_FSM_INT_H

struct cmd;
struct err;
struct fsm_effects;
struct state_txn;

/* Stores the command's evals, queues the pending ones (fsm.c). */
int fsm__put_evals(struct state_txn *txn,
                   const struct cmd *c,
                   struct fsm_effects *fx,
                   struct err *err);

struct node;

/*
 * A node registering again keeps what the servers decided for it:
 * eligibility, drain strategy, last drain and events (Nomad's
 * upsertNodeTxn), so a client restart does not end a drain.
 */
void fsm__keep_server_fields(struct state_txn *txn, struct node *n);

/* NODE_ELIGIBILITY, NODE_DRAIN, ALLOC_TRANSITION and GC. */
int fsm__apply_nodeops(struct state_txn *txn,
                       const struct cmd *c,
                       struct fsm_effects *fx,
                       struct err *err);

#endif
