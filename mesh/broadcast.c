/*
 * The queue of updates waiting to be gossiped (SWIM §4.1, "dissemination
 * by piggyback"). Each update is about something (a member, one record
 * key): a newer update about the same thing replaces the older, which is
 * then never sent again. Updates go out least-transmitted first, so new
 * news spreads before old, and each is dropped after `limit` transmits,
 * limit = retransmit_mult * ceil(log10(n + 1)): enough for an epidemic to
 * reach every member with high probability (SWIM §4.1, after Demers et
 * al.'s rumor mongering).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "mesh/swim_int.h"

void swim__bq_init(struct broadcast_queue *q, uint64_t seed)
{
    memset(q, 0, sizeof(*q));
    map_init_seeded(&q->by_key, seed);
}

static void bcast_free(struct bcast *b)
{
    free(b->key);
    free(b->msg);
    free(b);
}

void swim__bq_release(struct broadcast_queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        bcast_free(q->items[i]);
    free(q->items);
    map_release(&q->by_key, NULL);
    memset(q, 0, sizeof(*q));
}

static void remove_at(struct broadcast_queue *q, size_t i)
{
    struct bcast *b = q->items[i];

    map_del(&q->by_key, b->key);
    bcast_free(b);
    memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof(*q->items));
    q->n--;
}

static size_t index_of(const struct broadcast_queue *q, const struct bcast *b)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->items[i] == b)
            return i;
    return q->n;
}

void swim__bq_push(struct broadcast_queue *q,
                   const char *key,
                   const struct buf *msg)
{
    struct bcast *old = map_get(&q->by_key, key);
    struct bcast *b;

    if (old != NULL)
        remove_at(q, index_of(q, old));
    b = xcalloc(1, sizeof(*b));
    b->key = xstrdup(key);
    b->msg = xmalloc(msg->len);
    memcpy(b->msg, msg->data, msg->len);
    b->len = msg->len;
    b->id = ++q->next_id;
    XGROW(q->items, q->cap, q->n + 1);
    q->items[q->n++] = b;
    map_put(&q->by_key, b->key, b);
}

/*
 * Picks in rounds of equal transmit count, newest first within a round.
 * The queue is short in steady state; during mass changes the scan stops
 * as soon as the packet is full.
 */
uint32_t swim__bq_fill(struct broadcast_queue *q,
                       uint32_t limit,
                       size_t budget,
                       uint32_t max_msgs,
                       struct buf *out)
{
    uint32_t count = 0, min_t = UINT32_MAX;
    bool full = false;

    q->fills++;
    for (size_t i = 0; i < q->n; i++)
        if (q->items[i]->transmits < min_t)
            min_t = q->items[i]->transmits;
    for (uint32_t t = min_t; t < limit && !full && count < q->n; t++) {
        /* Newest are at the end. */
        for (size_t i = q->n; i-- > 0;) {
            struct bcast *b = q->items[i];

            if (b->transmits != t || b->fill == q->fills)
                continue;
            if (b->len > budget) {
                /* Smaller ones may still fit; stop when nearly full. */
                full = budget < 64;
                continue;
            }
            buf_append(out, b->msg, b->len);
            budget -= b->len;
            b->transmits++;
            b->fill = q->fills;
            if (++count >= max_msgs) {
                full = true;
                break;
            }
        }
    }
    for (size_t i = q->n; i-- > 0;)
        if (q->items[i]->transmits >= limit)
            remove_at(q, i);
    return count;
}

int64_t swim__bq_transmits(const struct broadcast_queue *q, const char *key)
{
    const struct bcast *b = map_get(&q->by_key, key);

    return b != NULL ? (int64_t)b->transmits : -1;
}
