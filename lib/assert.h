/*
 * Invariant checks. assert() stays on in every build (no NDEBUG) and guards
 * preconditions. BUG_ON() guards invariants whose violation would corrupt
 * stored or replicated state; it aborts with the place it fired.
 * ALWAYS()/NEVER() mark cases we survive in release builds but want to hear
 * about in --enable-debug builds, where they abort.
 */
#ifndef CARAVAN_LIB_ASSERT_H
#define CARAVAN_LIB_ASSERT_H

#include <assert.h>
#include <stdbool.h>

_Noreturn void assert__bug(const char *cond, const char *file, int line);

#define BUG_ON(cond)                                \
    do {                                            \
        if (__builtin_expect(!!(cond), 0))          \
            assert__bug(#cond, __FILE__, __LINE__); \
    } while (0)

#ifdef CARAVAN_DEBUG
#define ALWAYS(x) ((x) ? true : (assert__bug(#x, __FILE__, __LINE__), false))
#define NEVER(x) ((x) ? (assert__bug(#x, __FILE__, __LINE__), true) : false)
#else
#define ALWAYS(x) (!!(x))
#define NEVER(x) (!!(x))
#endif

#endif
