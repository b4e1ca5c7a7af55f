/*
 * Intrusive doubly linked list, as the Linux kernel and libuv's queue do:
 * the node lives inside the element, so linking allocates nothing and an
 * element can unlink itself in O(1) knowing only its own address.
 */
#ifndef CARAVAN_LIB_LIST_H
#define CARAVAN_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node
{
    struct list_node *prev;
    struct list_node *next;
};

/* struct list_node head = LIST_INIT(head); */
#define LIST_INIT(name) {&(name), &(name)}

#define container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define list_entry(node, type, member) container_of(node, type, member)

static inline void list_init(struct list_node *head)
{
    head->prev = head->next = head;
}

static inline bool list_empty(const struct list_node *head)
{
    return head->next == head;
}

static inline void list_insert_(struct list_node *n,
                                struct list_node *prev,
                                struct list_node *next)
{
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
}

static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
    list_insert_(n, head->prev, head);
}

static inline void list_add_head(struct list_node *head, struct list_node *n)
{
    list_insert_(n, head, head->next);
}

/* Unlinks n and leaves it self-linked, so a second list_del is harmless. */
static inline void list_del(struct list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list_init(n);
}

static inline size_t list_length(const struct list_node *head)
{
    size_t n = 0;

    for (const struct list_node *p = head->next; p != head; p = p->next)
        n++;
    return n;
}

#define list_for_each_entry(pos, head, type, member)              \
    for (pos = list_entry((head)->next, type, member);            \
         &pos->member != (head);                                  \
         pos = list_entry(pos->member.next, type, member))

/* Allows list_del(&pos->member) inside the loop. */
#define list_for_each_entry_safe(pos, tmp, head, type, member)    \
    for (pos = list_entry((head)->next, type, member),            \
        tmp = list_entry(pos->member.next, type, member);         \
         &pos->member != (head);                                  \
         pos = tmp, tmp = list_entry(tmp->member.next, type, member))

#endif
