/*
 * Values a template works on: what Go's text/template sees through
 * reflection, reduced to the kinds Caravan's data has. Values are
 * immutable and reference counted, so a data source can build a service
 * list once and hand the same value to every render until its answer
 * changes (rendering 10,000 instances must not copy them).
 *
 * A NULL `struct tv *` is Go's "no value" (a missing map key); TV_NIL is
 * an explicit nil. Records are maps with a fixed shape (a Go struct): a
 * missing field is an error rather than "<no value>", and they print as
 * {a b c} in field order.
 *
 * A value belongs to one thread at a time: the counts are not atomic.
 */
#ifndef CARAVAN_DISCOVERY_TEMPLATE_VALUE_H
#define CARAVAN_DISCOVERY_TEMPLATE_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tv_kind {
    TV_NIL,
    TV_BOOL,
    TV_INT,
    TV_FLOAT,
    TV_STRING,
    TV_LIST,
    TV_MAP,    /* string keys, sorted */
    TV_RECORD, /* fixed fields, in shape order */
};

/* The fields of a record type; static data owned by whoever defines it. */
struct tv_shape
{
    const char *type_name; /* "NomadService", for messages */
    size_t n_fields;
    const char *const *fields;
};

struct tv
{
    int refs;
    enum tv_kind kind;
    union
    {
        bool b;
        int64_t i;
        double f;
        struct
        {
            char *s; /* NUL-terminated, may hold NULs */
            size_t len;
        } str;
        struct
        {
            struct tv **items; /* may hold NULL (no value) */
            size_t n;
            size_t cap;
        } list;
        struct
        {
            char **keys; /* sorted (maps); the shape's fields (records) */
            struct tv **vals;
            size_t n;
            const struct tv_shape *shape; /* records only */
        } map;
    } u;
};

/* New references. The singletons (nil, true, false) are never freed. */
struct tv *tv_nil(void);
struct tv *tv_bool(bool b);
struct tv *tv_int(int64_t i);
struct tv *tv_float(double f);
struct tv *tv_str(const char *s);
struct tv *tv_strn(const char *s, size_t len);
/* Takes ownership of s (heap, NUL-terminated at len). */
struct tv *tv_str_take(char *s, size_t len);
/* An empty list with room for cap items; fill with tv_list_push. */
struct tv *tv_list_new(size_t cap);
/* Takes ownership of item (which may be NULL). Only while building. */
void tv_list_push(struct tv *list, struct tv *item);
struct tv *tv_map_new(void);
/* Takes ownership of val; replaces an existing key. Only while building. */
void tv_map_set(struct tv *map, const char *key, struct tv *val);
/* A record with every field nil; fill with tv_record_set. */
struct tv *tv_record_new(const struct tv_shape *shape);
/* Takes ownership of val. Only while building. */
void tv_record_set(struct tv *rec, size_t field, struct tv *val);

/* Shared singletons (nil, true, false) have refs -1 and are never
 * counted, so renders on different threads never touch shared memory. */
static inline struct tv *tv_ref(struct tv *v)
{
    if (v != NULL && v->refs > 0)
        v->refs++;
    return v;
}
void tv_free_(struct tv *v);
static inline void tv_unref(struct tv *v)
{
    if (v != NULL && v->refs > 0 && --v->refs == 0)
        tv_free_(v);
}

/* Borrowed lookup; NULL when absent (for records too). */
struct tv *tv_map_get(const struct tv *map, const char *key);
/* Index of a record field in its shape, or -1. */
int tv_shape_field(const struct tv_shape *shape, const char *name);

/* Go's truth: false, 0, nil, "no value" and empty string/list/map. */
bool tv_truth(const struct tv *v);
/* Go's type name for messages: "string", "int", "[]interface {}"... */
const char *tv_type_name(const struct tv *v);

/*
 * Converts JSON into a value: objects become maps, integral numbers that
 * fit int64 ints, other numbers floats. Nesting is bounded by jansson's
 * own parser; this walks what it built. Returns a new reference.
 */
struct tv *tv_from_json(const json_t *j);

#endif
