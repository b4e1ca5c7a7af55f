/*
 * Helpers shared by the driver files: config checking in Nomad's words,
 * fingerprint attributes and string vectors. Not for callers outside
 * drivers/.
 */
#ifndef CARAVAN_DRIVERS_DRIVER_INT_H
#define CARAVAN_DRIVERS_DRIVER_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "drivers/driver.h"
#include "lib/buf.h"

struct err;

enum driver__field_type {
    DRIVER__STRING,
    DRIVER__STRING_LIST,
    DRIVER__BOOL,
    DRIVER__INT,
    DRIVER__DURATION, /* a Go duration string ("5s") */
    DRIVER__ANY,      /* accepted, not interpreted (cgroup overrides) */
};

struct driver__field
{
    const char *name;
    enum driver__field_type type;
    bool required;
};

/*
 * Checks config (an object, or NULL meaning {}) against a field table:
 * required fields present, types right, no unknown keys. Appends one
 * message per problem to problems, "; "-separated, in the words of Nomad's
 * hclspec ("Missing required field: command"). Returns the problem count.
 */
size_t driver__config_check(const json_t *config,
                            const struct driver__field *fields,
                            struct buf *problems);

/* Appends "; " before msg when problems already holds one. */
void driver__problem(struct buf *problems, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The string at key, or dflt when absent or not a string. Borrowed. */
const char *driver__config_str(const json_t *config,
                               const char *key,
                               const char *dflt);

/*
 * Adds a fingerprint attribute; silently drops it when the table is full
 * (DRIVER_ATTRS_MAX is sized for every driver we have).
 */
void driver__fp_attr(struct driver_fingerprint *fp,
                     const char *key,
                     const char *value);
void driver__fp_health(struct driver_fingerprint *fp,
                       bool healthy,
                       const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

/*
 * Builds a NULL-terminated heap vector: first (may be NULL) followed by
 * the strings of the JSON array list (may be NULL). Free with
 * driver__strv_free().
 */
char **driver__strv_build(const char *first, const json_t *list);
void driver__strv_free(char **v);

/* The value of name in a "K=V" vector, or NULL. Borrowed. */
const char *driver__env_get(char *const *env, const char *name);

/*
 * The "K=V" strings of env whose names match none of the glob patterns in
 * denied (a JSON array, may be NULL), as a heap vector of borrowed
 * strings: free() the vector only.
 */
char **driver__env_filter(char *const *env, const json_t *denied);

/* True when path is a regular file the caller may execute. */
bool driver__is_executable(const char *path);

/* A task or alloc name safe to use as one path component. */
bool driver__is_path_component(const char *s);

#endif
