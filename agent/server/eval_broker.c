/* Eval broker core (see eval_broker.h). */
#include "agent/server/eval_broker.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/heap.h"
#include "lib/map.h"

enum entry_state {
    E_READY,
    E_UNACKED,
    E_WAITING, /* behind another eval of its job */
    E_DELAYED, /* wait_until in the future, or nacked and cooling down */
};

struct entry
{
    struct broker_eval e;
    enum entry_state state;
    uint64_t token;
    uint64_t deadline_ms; /* unacked: nack timeout; delayed: release */
    unsigned deliveries;
    size_t heap_index;
};

struct job_slot
{
    struct entry *active;  /* ready, unacked or delayed */
    struct entry *waiting; /* the newest eval behind it */
};

struct type_queue
{
    char type[16];
    struct heap ready;
};

struct id_list
{
    char (*ids)[40];
    size_t n;
};

struct eval_broker
{
    struct broker_options opts;
    struct map evals; /* id → entry */
    struct map jobs;  /* job key → job_slot */
    struct type_queue *queues;
    size_t nqueues;
    struct heap delayed;
    struct heap unacked; /* by nack deadline: no walk over every eval */
    uint64_t next_token;
    struct id_list failed;
    struct id_list canceled;
};

static int ready_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->e.priority != y->e.priority)
        return x->e.priority > y->e.priority ? -1 : 1;
    return (x->e.create_index > y->e.create_index) -
           (x->e.create_index < y->e.create_index);
}

static int delayed_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    return (x->deadline_ms > y->deadline_ms) -
           (x->deadline_ms < y->deadline_ms);
}

static void moved(void *elem, size_t index)
{
    ((struct entry *)elem)->heap_index = index;
}

struct eval_broker *broker_new(const struct broker_options *opts)
{
    struct eval_broker *b = xcalloc(1, sizeof(*b));

    if (opts)
        b->opts = *opts;
    if (b->opts.nack_timeout_ms == 0)
        b->opts.nack_timeout_ms = 60000;
    if (b->opts.delivery_limit == 0)
        b->opts.delivery_limit = 3;
    if (b->opts.nack_delay_ms == 0)
        b->opts.nack_delay_ms = 1000;
    map_init(&b->evals);
    map_init(&b->jobs);
    heap_init(&b->delayed, delayed_cmp, moved);
    heap_init(&b->unacked, delayed_cmp, moved);
    b->next_token = 1;
    return b;
}

void broker_free(struct eval_broker *b)
{
    if (b == NULL)
        return;
    map_release(&b->evals, free);
    map_release(&b->jobs, free);
    for (size_t i = 0; i < b->nqueues; i++)
        heap_release(&b->queues[i].ready);
    free(b->queues);
    heap_release(&b->delayed);
    heap_release(&b->unacked);
    free(b->failed.ids);
    free(b->canceled.ids);
    free(b);
}

static void list_push(struct id_list *l, const char *id)
{
    l->ids = xrealloc(l->ids, (l->n + 1) * sizeof(*l->ids));
    strncpy(l->ids[l->n], id, 39);
    l->ids[l->n][39] = '\0';
    l->n++;
}

static bool list_pop(struct id_list *l, char id[40])
{
    if (l->n == 0)
        return false;
    memcpy(id, l->ids[0], 40);
    memmove(l->ids, l->ids + 1, (l->n - 1) * sizeof(*l->ids));
    l->n--;
    return true;
}

static struct type_queue *queue_for(struct eval_broker *b, const char *type)
{
    for (size_t i = 0; i < b->nqueues; i++) {
        if (strcmp(b->queues[i].type, type) == 0)
            return &b->queues[i];
    }
    b->queues = xrealloc(b->queues, (b->nqueues + 1) * sizeof(*b->queues));
    memset(&b->queues[b->nqueues], 0, sizeof(b->queues[0]));
    strncpy(b->queues[b->nqueues].type, type, sizeof(b->queues[0].type) - 1);
    heap_init(&b->queues[b->nqueues].ready, ready_cmp, moved);
    return &b->queues[b->nqueues++];
}

static void make_ready(struct eval_broker *b, struct entry *en)
{
    en->state = E_READY;
    heap_push(&queue_for(b, en->e.type)->ready, en);
}

static void make_delayed(struct eval_broker *b, struct entry *en, uint64_t at)
{
    en->state = E_DELAYED;
    en->deadline_ms = at;
    heap_push(&b->delayed, en);
}

/* Puts en in line as its job's active eval, ready or delayed. */
static void activate(struct eval_broker *b,
                     struct entry *en,
                     uint64_t now_ms)
{
    if (en->e.wait_until_ms > now_ms)
        make_delayed(b, en, en->e.wait_until_ms);
    else
        make_ready(b, en);
}

static void drop(struct eval_broker *b, struct entry *en)
{
    free(map_del(&b->evals, en->e.id));
}

void broker_enqueue(struct eval_broker *b,
                    const struct broker_eval *e,
                    uint64_t now_ms)
{
    struct entry *en;
    struct job_slot *slot;

    if (map_has(&b->evals, e->id))
        return;
    en = xcalloc(1, sizeof(*en));
    en->e = *e;
    en->heap_index = HEAP_NONE;
    map_put(&b->evals, e->id, en);
    slot = map_get(&b->jobs, e->job_key);
    if (slot == NULL) {
        slot = xcalloc(1, sizeof(*slot));
        map_put(&b->jobs, e->job_key, slot);
    }
    if (slot->active == NULL) {
        slot->active = en;
        activate(b, en, now_ms);
        return;
    }
    /* Only the newest waiting eval matters: it sees the newest job. */
    if (slot->waiting != NULL) {
        list_push(&b->canceled, slot->waiting->e.id);
        drop(b, slot->waiting);
    }
    en->state = E_WAITING;
    slot->waiting = en;
}

bool broker_dequeue(struct eval_broker *b,
                    const char *const *types,
                    uint64_t now_ms,
                    struct broker_eval *out,
                    uint64_t *token)
{
    struct type_queue *best = NULL;
    struct entry *en;

    broker_step(b, now_ms);
    for (const char *const *t = types; *t; t++) {
        for (size_t i = 0; i < b->nqueues; i++) {
            struct type_queue *q = &b->queues[i];

            if (strcmp(q->type, *t) != 0 || heap_size(&q->ready) == 0)
                continue;
            if (best == NULL ||
                ready_cmp(heap_peek(&q->ready), heap_peek(&best->ready)) < 0)
                best = q;
        }
    }
    if (best == NULL)
        return false;
    en = heap_pop(&best->ready);
    en->state = E_UNACKED;
    en->token = b->next_token++;
    en->deadline_ms = now_ms + b->opts.nack_timeout_ms;
    heap_push(&b->unacked, en);
    en->deliveries++;
    *out = en->e;
    *token = en->token;
    return true;
}

static struct entry *outstanding(struct eval_broker *b,
                                 const char *id,
                                 uint64_t token,
                                 int *rc)
{
    struct entry *en = map_get(&b->evals, id);

    *rc = 0;
    if (en == NULL) {
        *rc = ERR_NOT_FOUND;
        return NULL;
    }
    if (en->state != E_UNACKED || en->token != token) {
        *rc = ERR_STATE;
        return NULL;
    }
    return en;
}

/* The job's active eval is done: let the waiting one through. */
static void finish(struct eval_broker *b, struct entry *en, uint64_t now_ms)
{
    char key[sizeof(en->e.job_key)];
    struct job_slot *slot;

    memcpy(key, en->e.job_key, sizeof(key));
    drop(b, en);
    slot = map_get(&b->jobs, key);
    if (slot == NULL)
        return;
    slot->active = slot->waiting;
    slot->waiting = NULL;
    if (slot->active != NULL)
        activate(b, slot->active, now_ms);
    else
        free(map_del(&b->jobs, key));
}

int broker_ack(struct eval_broker *b,
               const char *id,
               uint64_t token,
               uint64_t now_ms)
{
    int rc;
    struct entry *en = outstanding(b, id, token, &rc);

    if (en == NULL)
        return rc;
    heap_remove(&b->unacked, en->heap_index);
    finish(b, en, now_ms);
    return 0;
}

static void give_back(struct eval_broker *b, struct entry *en, uint64_t now_ms)
{
    if (en->deliveries >= b->opts.delivery_limit) {
        list_push(&b->failed, en->e.id);
        finish(b, en, now_ms);
        return;
    }
    make_delayed(b, en, now_ms + b->opts.nack_delay_ms);
}

int broker_nack(struct eval_broker *b,
                const char *id,
                uint64_t token,
                uint64_t now_ms)
{
    int rc;
    struct entry *en = outstanding(b, id, token, &rc);

    if (en == NULL)
        return rc;
    heap_remove(&b->unacked, en->heap_index);
    give_back(b, en, now_ms);
    return 0;
}

int broker_touch(struct eval_broker *b,
                 const char *id,
                 uint64_t token,
                 uint64_t now_ms)
{
    int rc;
    struct entry *en = outstanding(b, id, token, &rc);

    if (en == NULL)
        return rc;
    heap_remove(&b->unacked, en->heap_index);
    en->deadline_ms = now_ms + b->opts.nack_timeout_ms;
    heap_push(&b->unacked, en);
    return 0;
}

static uint64_t first_deadline(const struct heap *h, uint64_t next)
{
    const struct entry *en = heap_peek(h);

    return en != NULL && en->deadline_ms < next ? en->deadline_ms : next;
}

uint64_t broker_step(struct eval_broker *b, uint64_t now_ms)
{
    while (heap_size(&b->delayed) > 0) {
        struct entry *en = heap_peek(&b->delayed);

        if (en->deadline_ms > now_ms)
            break;
        heap_pop(&b->delayed);
        make_ready(b, en);
    }
    /* Nacks may delay evals again, so the delayed heap is read last. */
    while (heap_size(&b->unacked) > 0) {
        struct entry *en = heap_peek(&b->unacked);

        if (en->deadline_ms > now_ms)
            break;
        heap_pop(&b->unacked);
        give_back(b, en, now_ms);
    }
    return first_deadline(&b->delayed, first_deadline(&b->unacked, UINT64_MAX));
}

bool broker_pop_failed(struct eval_broker *b, char id[40])
{
    return list_pop(&b->failed, id);
}

bool broker_pop_canceled(struct eval_broker *b, char id[40])
{
    return list_pop(&b->canceled, id);
}

void broker_stats(const struct eval_broker *b, struct broker_stats *out)
{
    struct map_iter it;
    const char *key;
    void *val;

    memset(out, 0, sizeof(*out));
    map_iter_init(&it, &b->evals);
    while (map_next(&it, &key, &val)) {
        switch (((struct entry *)val)->state) {
        case E_READY:
            out->ready++;
            break;
        case E_UNACKED:
            out->unacked++;
            break;
        case E_WAITING:
            out->blocked_by_job++;
            break;
        case E_DELAYED:
            out->delayed++;
            break;
        }
    }
}
