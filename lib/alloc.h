/*
 * Allocation that never fails: running out of memory aborts with the size
 * that was asked for, so callers carry no ENOMEM paths. Lengths read from the
 * wire or a user must be bounded before they reach these functions.
 */
#ifndef CARAVAN_LIB_ALLOC_H
#define CARAVAN_LIB_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a heap string formatted as by printf; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
/*
 * Grows *items (of *cap elements of elem_size bytes) so that it holds at
 * least want elements; doubles to keep appends amortised O(1).
 */
void xgrow(void **items, size_t *cap, size_t want, size_t elem_size);

#define XGROW(items, cap, want) \
    xgrow((void **)&(items), &(cap), (want), sizeof(*(items)))

#endif
