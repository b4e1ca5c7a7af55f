/* Binary min-heap (see heap.h). */
#include "lib/heap.h"

#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/assert.h"

void heap_init(struct heap *h,
               int (*cmp)(const void *a, const void *b),
               void (*moved)(void *elem, size_t index))
{
    h->items = NULL;
    h->n = h->cap = 0;
    h->cmp = cmp;
    h->moved = moved;
}

void heap_release(struct heap *h)
{
    free(h->items);
    h->items = NULL;
    h->n = h->cap = 0;
}

static void place(struct heap *h, size_t i, void *e)
{
    h->items[i] = e;
    if (h->moved)
        h->moved(e, i);
}

static void sift_up(struct heap *h, size_t i)
{
    void *e = h->items[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (h->cmp(e, h->items[parent]) >= 0)
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, e);
}

static void sift_down(struct heap *h, size_t i)
{
    void *e = h->items[i];

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        void *best = e;

        if (l < h->n && h->cmp(h->items[l], best) < 0) {
            m = l;
            best = h->items[l];
        }
        if (r < h->n && h->cmp(h->items[r], best) < 0)
            m = r;
        if (m == i)
            break;
        place(h, i, h->items[m]);
        i = m;
    }
    place(h, i, e);
}

void heap_push(struct heap *h, void *elem)
{
    XGROW(h->items, h->cap, h->n + 1);
    h->items[h->n++] = elem;
    sift_up(h, h->n - 1);
}

void *heap_peek(const struct heap *h)
{
    return h->n ? h->items[0] : NULL;
}

void *heap_remove(struct heap *h, size_t i)
{
    void *e;

    BUG_ON(i >= h->n);
    e = h->items[i];
    h->n--;
    if (i < h->n) {
        h->items[i] = h->items[h->n];
        /* The moved-in last element may belong above or below i. */
        if (i > 0 && h->cmp(h->items[i], h->items[(i - 1) / 2]) < 0)
            sift_up(h, i);
        else
            sift_down(h, i);
    }
    if (h->moved)
        h->moved(e, HEAP_NONE);
    return e;
}

void *heap_pop(struct heap *h)
{
    return h->n ? heap_remove(h, 0) : NULL;
}
