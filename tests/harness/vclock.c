/* Virtual clock: a binary min-heap of timers keyed on (time, insertion). */
#include "tests/harness/vclock.h"

#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/assert.h"

/*
 * Ordering on the id as well as the time is what makes equal-time timers
 * run in insertion order: a heap alone is not stable.
 */
static bool timer_before(const struct vclock_timer *a,
                         const struct vclock_timer *b)
{
    if (a->at_ms != b->at_ms)
        return a->at_ms < b->at_ms;
    return a->id < b->id;
}

static void heap_swap(struct vclock *vc, size_t i, size_t j)
{
    struct vclock_timer t = vc->heap[i];

    vc->heap[i] = vc->heap[j];
    vc->heap[j] = t;
}

static void sift_up(struct vclock *vc, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (!timer_before(&vc->heap[i], &vc->heap[parent]))
            break;
        heap_swap(vc, i, parent);
        i = parent;
    }
}

static void sift_down(struct vclock *vc, size_t i)
{
    for (;;) {
        size_t left = 2 * i + 1;
        size_t right = left + 1;
        size_t least = i;

        if (left < vc->len && timer_before(&vc->heap[left], &vc->heap[least]))
            least = left;
        if (right < vc->len && timer_before(&vc->heap[right], &vc->heap[least]))
            least = right;
        if (least == i)
            return;
        heap_swap(vc, i, least);
        i = least;
    }
}

/* Takes the entry at i out of the heap and returns it. */
static struct vclock_timer heap_remove(struct vclock *vc, size_t i)
{
    struct vclock_timer t;

    BUG_ON(i >= vc->len);
    t = vc->heap[i];
    vc->len--;
    if (i < vc->len) {
        /*
         * The last entry may belong above or below the hole, depending on
         * which subtree it came from; one of these is a no-op.
         */
        vc->heap[i] = vc->heap[vc->len];
        sift_down(vc, i);
        sift_up(vc, i);
    }
    return t;
}

void vclock_init(struct vclock *vc)
{
    vc->now_ms = 0;
    vc->heap = NULL;
    vc->len = 0;
    vc->cap = 0;
    vc->next_id = 1;
}

void vclock_release(struct vclock *vc)
{
    free(vc->heap);
    vclock_init(vc);
}

uint64_t vclock_now(const struct vclock *vc)
{
    return vc->now_ms;
}

size_t vclock_pending(const struct vclock *vc)
{
    return vc->len;
}

bool vclock_next(const struct vclock *vc, uint64_t *at_ms)
{
    if (vc->len == 0)
        return false;
    *at_ms = vc->heap[0].at_ms;
    return true;
}

uint64_t vclock_timer_add(struct vclock *vc,
                          uint64_t at_ms,
                          void (*fn)(void *arg),
                          void *arg)
{
    uint64_t id = vc->next_id++;
    struct vclock_timer *t;

    assert(fn != NULL);
    XGROW(vc->heap, vc->cap, vc->len + 1);
    t = &vc->heap[vc->len];
    t->at_ms = at_ms < vc->now_ms ? vc->now_ms : at_ms;
    t->id = id;
    t->fn = fn;
    t->arg = arg;
    vc->len++;
    /* Moves entries around: t may name another timer afterwards. */
    sift_up(vc, vc->len - 1);
    return id;
}

bool vclock_timer_cancel(struct vclock *vc, uint64_t id)
{
    /*
     * A linear scan keeps the heap free of back-pointers; simulations hold
     * at most a few thousand timers and cancel far less often than they add.
     */
    for (size_t i = 0; i < vc->len; i++) {
        if (vc->heap[i].id == id) {
            heap_remove(vc, i);
            return true;
        }
    }
    return false;
}

bool vclock_step(struct vclock *vc)
{
    struct vclock_timer t;

    if (vc->len == 0)
        return false;
    /* Off the heap before the call, so the callback sees a settled queue. */
    t = heap_remove(vc, 0);
    BUG_ON(t.at_ms < vc->now_ms);
    vc->now_ms = t.at_ms;
    t.fn(t.arg);
    return true;
}

void vclock_run_until(struct vclock *vc, uint64_t t_ms)
{
    assert(t_ms >= vc->now_ms);
    while (vc->len > 0 && vc->heap[0].at_ms <= t_ms)
        vclock_step(vc);
    vc->now_ms = t_ms;
}

bool vclock_run_until_idle(struct vclock *vc, uint64_t limit_ms)
{
    assert(limit_ms >= vc->now_ms);
    while (vc->len > 0) {
        if (vc->heap[0].at_ms > limit_ms) {
            vc->now_ms = limit_ms;
            return false;
        }
        vclock_step(vc);
    }
    return true;
}
