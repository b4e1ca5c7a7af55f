/*
 * The finite state machine: the only writer of the state store. Each log
 * entry is applied in one write transaction that records its index, so
 * replaying the log after a crash applies exactly the missing entries.
 *
 * Deterministic: everything it writes comes from the command (times
 * included), never from the clock or randomness, so every server that
 * applies the same log holds the same state.
 */
#ifndef CARAVAN_AGENT_SERVER_FSM_H
#define CARAVAN_AGENT_SERVER_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct cmd;
struct err;
struct state_store;

/* What the server must do after an entry was applied. */
struct fsm_effects
{
    char **ready_evals; /* pending evals to hand to the eval broker */
    size_t nready_evals;
    char **blocked_evals; /* blocked evals, woken by capacity changes */
    size_t nblocked_evals;
    unsigned tables_changed; /* bit (1 << enum state_table) per table
                                written (their modify index moved) */
    bool capacity_changed;   /* node up, or allocs freed resources */
};

void fsm_effects_release(struct fsm_effects *fx);

/*
 * Applies the command at index. A command that cannot apply (its job or
 * alloc is gone) is logged, changes nothing but the store's index, and
 * returns 0: every server must reach the same state from the same log.
 * Only storage failures return an error.
 */
int fsm_apply(struct state_store *s,
              uint64_t index,
              const struct cmd *c,
              struct fsm_effects *fx,
              struct err *err);

/* One entry of a batch: inputs, then what fsm_apply() would give it. */
struct fsm_entry
{
    uint64_t index;
    const struct cmd *cmd; /* borrowed */
    int rc;
    struct err err;
    struct fsm_effects fx; /* zeroed by the caller; released by it */
};

/*
 * Group commit: applies entries (indexes ascending) in one write
 * transaction, so they share one commit and one fsync. The store ends
 * exactly as after fsm_apply() of each in turn, and each entry gets the
 * rc, err and effects fsm_apply() would have given it: an entry that
 * cannot apply takes its index and changes nothing, without touching the
 * others. When the batch itself cannot commit, every entry fails with
 * that error (and no effects) and it is returned; else 0.
 */
int fsm_apply_batch(struct state_store *s,
                    struct fsm_entry *entries,
                    size_t n,
                    struct err *err);

#endif
