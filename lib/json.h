/*
 * JSON without a tree: a writer straight into a buf and a pull reader over
 * bytes. The model codecs use them to map structs to Nomad's API JSON in
 * one pass, several times faster than building and walking jansson trees.
 * jansson stays for small free-form values (a task's driver config).
 *
 * The writer prints like Go's encoding/json (what Nomad's API and CLI
 * print): MarshalIndent layout, <, > and & escaped as \u003c..., invalid
 * UTF-8 replaced by U+FFFD.
 *
 * The reader takes untrusted bytes: nesting is bounded (JSON_MAX_DEPTH),
 * every error names line and column, nothing is read past the end.
 */
#ifndef CARAVAN_LIB_JSON_H
#define CARAVAN_LIB_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct err;

#define JSON_MAX_DEPTH 64

/* ------------------------------------------------------------------ writer */

struct jw
{
    struct buf *out;
    int indent; /* spaces per level; 0 = compact */
    int depth;
    bool first[JSON_MAX_DEPTH + 1]; /* no element yet at this level */
    bool after_key;
};

void jw_init(struct jw *w, struct buf *out, int indent);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t len);
void jw_int(struct jw *w, int64_t v);
void jw_real(struct jw *w, double v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Writes a jansson value (objects keep their key order). */
void jw_json(struct jw *w, const json_t *v);

/* ------------------------------------------------------------------ reader */

enum jr_type {
    JR_OBJECT,
    JR_ARRAY,
    JR_STRING,
    JR_NUMBER,
    JR_TRUE,
    JR_FALSE,
    JR_NULL,
    JR_INVALID,
};

struct jr
{
    const char *start;
    const char *p;
    const char *end;
    int depth;
    bool fresh; /* just opened an object or array */
    struct buf scratch; /* unescaped strings */
    struct err *err;
};

void jr_init(struct jr *r, const char *data, size_t len, struct err *err);
void jr_release(struct jr *r);
/* Type of the next value (after whitespace), without consuming it. */
enum jr_type jr_peek(struct jr *r);
/* Fails with "line:col: ..." in r->err and returns ERR_MALFORMED. */
int jr_syntax(struct jr *r, const char *what);

/*
 * Objects: jr_obj_begin, then while jr_obj_next gives a key (valid until
 * the next read) read or skip its value; jr_obj_next returns 0 with
 * *key NULL at '}'.
 */
int jr_obj_begin(struct jr *r);
int jr_obj_next(struct jr *r, const char **key, size_t *key_len);
/* Arrays: jr_arr_begin, then while jr_arr_next sets *more read a value. */
int jr_arr_begin(struct jr *r);
int jr_arr_next(struct jr *r, bool *more);
/* A string; *s (NUL-terminated, may hold NULs) is valid until the next
 * read. */
int jr_str(struct jr *r, const char **s, size_t *len);
/* A number that is a whole value within int64 ("3", "3.0", "3e2"). */
int jr_int(struct jr *r, int64_t *v, bool *ok);
int jr_bool(struct jr *r, bool *v);
/* Consumes a null if it is next; returns whether it did. */
bool jr_null(struct jr *r);
int jr_skip(struct jr *r);
/* Reads any value into a new jansson value. */
int jr_json(struct jr *r, json_t **out);
/* Fails unless only whitespace remains. */
int jr_end(struct jr *r);

#endif
