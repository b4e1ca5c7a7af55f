/*
 * Binary min-heap of pointers. An optional `moved` callback tells each
 * element its current index, so an element (a timer, a queued eval) can be
 * removed from the middle in O(log n) without a search.
 */
#ifndef CARAVAN_LIB_HEAP_H
#define CARAVAN_LIB_HEAP_H

#include <stddef.h>

#define HEAP_NONE ((size_t)-1)

struct heap
{
    void **items;
    size_t n;
    size_t cap;
    int (*cmp)(const void *a, const void *b); /* < 0 when a goes first */
    void (*moved)(void *elem, size_t index);  /* may be NULL */
};

void heap_init(struct heap *h,
               int (*cmp)(const void *a, const void *b),
               void (*moved)(void *elem, size_t index));
void heap_release(struct heap *h);
void heap_push(struct heap *h, void *elem);
/* The smallest element, or NULL when empty. */
void *heap_peek(const struct heap *h);
void *heap_pop(struct heap *h);
/* Removes and returns the element at index i (as told by `moved`). */
void *heap_remove(struct heap *h, size_t i);
static inline size_t heap_size(const struct heap *h)
{
    return h->n;
}

#endif
