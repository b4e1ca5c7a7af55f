/*
 * One description of every model struct, walked by generic code for init,
 * release, deep copy, equality, Nomad API JSON and msgpack.
 *
 * Dozens of structs times six operations written by hand would be
 * thousands of lines that drift apart (a field added to the JSON codec but
 * forgotten in copy). Here a field is listed once, in the order of Nomad's
 * API struct, with its PascalCase JSON name; the msgpack encoding is the
 * same list in the same order, so new fields go at the end of a schema.
 * Private to lib/model.
 */
#ifndef CARAVAN_LIB_MODEL_SCHEMA_H
#define CARAVAN_LIB_MODEL_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/mp.h"

struct err;

enum field_kind {
    F_STR,     /* char *, NULL = unset */
    F_I64,     /* int64_t, MODEL_UNSET = unset (JSON null) */
    F_INT,     /* int64_t, plain number, 0 by default */
    F_TRI,     /* enum tri */
    F_BOOL,    /* bool */
    F_STRLIST, /* struct strlist */
    F_STRMAP,  /* struct strmap */
    F_INTMAP,  /* struct strmap of decimal values; JSON numbers */
    F_JSON,    /* json_t *, owned */
    F_PTR,     /* struct sub *, NULL = absent */
    F_ARR,     /* struct sub *items at off, size_t count at aux */
    F_ARRMAP,  /* as F_ARR; JSON is an object keyed by the first field */
    F_EMBED,   /* struct sub inline at off; "" name = fields in the parent */
    F_HEADERS, /* struct check_header * at off, count at aux, bool set at
                  aux2; JSON map of string to list of strings */
    F_TIME,    /* int64_t unix ns; JSON a Go time.Time (RFC 3339 string,
                  0 = Go's zero time), numbers accepted too */
};

struct schema;

struct field
{
    const char *name;
    enum field_kind kind;
    size_t off;
    size_t aux;
    size_t aux2;
    const struct schema *sub;
};

struct schema
{
    const char *name;
    size_t size;
    const struct field *fields;
    size_t nfields;
    unsigned char **image; /* the struct with every field unset, or NULL */
};

extern const struct schema schema_job;
extern const struct schema schema_task_group;
extern const struct schema schema_task;
extern const struct schema schema_node;
extern const struct schema schema_eval;
extern const struct schema schema_alloc;
extern const struct schema schema_deployment;
extern const struct schema schema_alloc_metric;
extern const struct schema schema_task_state;
extern const struct schema schema_task_event;

void schema_init(const struct schema *s, void *obj);
/* Prepares s's unset image; called for every schema before main(). */
void schema_build_image(const struct schema *s);
void schema_release(const struct schema *s, void *obj);
void schema_copy(const struct schema *s, void *dst, const void *src);
bool schema_equal(const struct schema *s, const void *a, const void *b);

struct jw;
struct jr;

json_t *schema_to_json(const struct schema *s, const void *obj);
void schema_write_json(const struct schema *s, const void *obj, struct jw *w);
/* Reads an object from r into obj; errors name the field path. */
int schema_read_json(const struct schema *s,
                     struct jr *r,
                     void *obj,
                     const char *path);
/* Reads the value of one key (already consumed by the caller) of an object
 * being read as s into obj; unknown keys are skipped. */
int schema_read_json_field(const struct schema *s,
                           struct jr *r,
                           void *obj,
                           const char *key,
                           size_t key_len,
                           const char *path);
/* path names the object in messages ("Job"). */
int schema_from_json(const struct schema *s,
                     const json_t *j,
                     void *obj,
                     const char *path,
                     struct err *err);

/* A top-level record: [MODEL_MP_VERSION, fields...]. */
void schema_encode_mp(const struct schema *s, const void *obj, struct buf *out);
int schema_decode_mp(const struct schema *s,
                     const void *data,
                     size_t len,
                     void *obj,
                     struct err *err);

/* Declares x_init/x_release for a schema-described struct. */
#define SCHEMA_INIT_RELEASE(prefix, type, sch)   \
    void prefix##_init(type *x)                  \
    {                                            \
        schema_init(&(sch), x);                  \
    }                                            \
    void prefix##_release(type *x)               \
    {                                            \
        schema_release(&(sch), x);               \
    }

/* Declares new/free/copy/equal for a top-level record. */
#define SCHEMA_HEAP(prefix, type, sch)                            \
    type *prefix##_new(void)                                      \
    {                                                             \
        type *x = xmalloc(sizeof(*x));                            \
        schema_init(&(sch), x);                                   \
        return x;                                                 \
    }                                                             \
    void prefix##_free(type *x)                                   \
    {                                                             \
        if (x == NULL)                                            \
            return;                                               \
        schema_release(&(sch), x);                                \
        free(x);                                                  \
    }                                                             \
    type *prefix##_copy(const type *x)                            \
    {                                                             \
        type *y = xmalloc(sizeof(*y));                            \
        schema_copy(&(sch), y, x);                                \
        return y;                                                 \
    }                                                             \
    bool prefix##_equal(const type *a, const type *b)             \
    {                                                             \
        return schema_equal(&(sch), a, b);                        \
    }

#endif
