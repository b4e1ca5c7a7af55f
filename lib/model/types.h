/*
 * Small value types shared by every model struct: string lists, string
 * maps, and the "unset" markers.
 *
 * Nomad's API distinguishes a field the user left out from one set to its
 * zero value (count = 0 is not count unset), and `job run -output` prints
 * left-out fields as null. The model keeps that distinction with sentinels
 * instead of pointers: integers and durations hold MODEL_UNSET, tri-state
 * bools hold TRI_UNSET, strings are NULL, optional blocks are NULL pointers.
 * After _canonicalize() no field of a job is unset any more.
 */
#ifndef CARAVAN_LIB_MODEL_TYPES_H
#define CARAVAN_LIB_MODEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_UNSET INT64_MIN

/* A bool that can also be unset: a field of type `tri`. */
enum tri {
    TRI_UNSET = 0,
    TRI_FALSE = 1,
    TRI_TRUE = 2,
};

static inline bool tri_is_true(enum tri t)
{
    return t == TRI_TRUE;
}

static inline enum tri tri_from_bool(bool b)
{
    return b ? TRI_TRUE : TRI_FALSE;
}

/* An owned list of owned strings; {NULL, 0} is the empty (unset) list. */
struct strlist
{
    char **items;
    size_t n;
    bool set; /* given, even if empty ("Tags": [] vs null) */
};

void strlist_init(struct strlist *l);
void strlist_release(struct strlist *l);
/* Appends a copy of s. */
void strlist_push(struct strlist *l, const char *s);
void strlist_copy(struct strlist *dst, const struct strlist *src);
bool strlist_contains(const struct strlist *l, const char *s);
bool strlist_equal(const struct strlist *a, const struct strlist *b);

struct strmap_entry
{
    char *key;
    char *value;
};

/* An owned string→string map kept in insertion order, keys unique. */
struct strmap
{
    struct strmap_entry *items;
    size_t n;
    bool set; /* given, even if empty */
};

void strmap_init(struct strmap *m);
void strmap_release(struct strmap *m);
/* Sets key to a copy of value, replacing an existing value. */
void strmap_set(struct strmap *m, const char *key, const char *value);
/* Returns the value of key or NULL. Borrowed. */
const char *strmap_get(const struct strmap *m, const char *key);
void strmap_copy(struct strmap *dst, const struct strmap *src);
/* Copies every key of src that dst does not have yet. */
void strmap_merge_missing(struct strmap *dst, const struct strmap *src);
/* Sorts entries by key, as Go's encoding/json orders map keys. */
void strmap_sort(struct strmap *m);
bool strmap_equal(const struct strmap *a, const struct strmap *b);

/* Frees *p and stores a copy of s (or NULL). */
void model_set_str(char **p, const char *s);
/* Returns s or "" when s is NULL. */
static inline const char *model_str(const char *s)
{
    return s ? s : "";
}

#endif
