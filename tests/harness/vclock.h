/*
 * A virtual clock for deterministic simulations.
 *
 * Pure cores are handed now_ms and never read a real clock, so a test can
 * drive them from this clock instead: time only moves when a timer runs or
 * the test says so, and nothing ever sleeps. Timers due at the same instant
 * run in the order they were added, so a run is a function of its inputs.
 *
 * Callbacks may add and cancel timers, including at the current instant;
 * such a timer runs after every timer already queued for that instant.
 */
#ifndef CARAVAN_TESTS_HARNESS_VCLOCK_H
#define CARAVAN_TESTS_HARNESS_VCLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vclock_timer
{
    uint64_t at_ms;
    uint64_t id; /* also the tie-break: ids grow with every add */
    void (*fn)(void *arg);
    void *arg;
};

struct vclock
{
    uint64_t now_ms;           /* starts at 0, never goes backwards */
    struct vclock_timer *heap; /* min-heap on (at_ms, id) */
    size_t len;
    size_t cap;
    uint64_t next_id;
};

void vclock_init(struct vclock *vc);
/* Frees the queue; pending timers are discarded without running. */
void vclock_release(struct vclock *vc);

uint64_t vclock_now(const struct vclock *vc);
/* How many timers are queued. */
size_t vclock_pending(const struct vclock *vc);
/* Stores the time of the earliest queued timer; false when none is. */
bool vclock_next(const struct vclock *vc, uint64_t *at_ms);

/*
 * Queues fn(arg) to run at at_ms (absolute virtual time). A time already
 * past is taken as now, since the clock cannot go back. Returns an id for
 * vclock_timer_cancel(); ids are never 0 and never reused.
 */
uint64_t vclock_timer_add(struct vclock *vc,
                          uint64_t at_ms,
                          void (*fn)(void *arg),
                          void *arg);
/* Removes a queued timer. False when it already ran, or was never queued. */
bool vclock_timer_cancel(struct vclock *vc, uint64_t id);

/*
 * Runs the earliest timer, first moving now to its time. Returns false,
 * leaving now alone, when the queue is empty.
 */
bool vclock_step(struct vclock *vc);
/*
 * Runs every timer due at or before t_ms, in order, including those the
 * callbacks add within that window, then sets now to t_ms. t_ms must not be
 * in the past.
 */
void vclock_run_until(struct vclock *vc, uint64_t t_ms);
/*
 * Runs timers until the queue is empty or the next one lies past limit_ms.
 * Returns true when the queue drained (now is then the time of the last
 * timer run); false when work remains past the limit (now is then limit_ms).
 */
bool vclock_run_until_idle(struct vclock *vc, uint64_t limit_ms);

#endif
