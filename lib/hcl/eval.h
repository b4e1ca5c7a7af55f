/*
 * Internals of the HCL evaluator, shared by eval.c (expressions and
 * templates) and doc.c (bodies, variables, locals, hcl_parse()).
 */
#ifndef CARAVAN_LIB_HCL_EVAL_H
#define CARAVAN_LIB_HCL_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/hcl/hcl_int.h"

struct scope
{
    const char *name;
    const struct hcl_value *val;
    const struct scope *up;
};

enum local_state {
    LOCAL_PENDING,
    LOCAL_BUSY,
    LOCAL_DONE,
};

struct local_def
{
    const char *name;
    struct hcl_pos pos;
    const struct node *expr;
    enum local_state state;
    struct hcl_value val;
};

struct eval
{
    const char *file;
    const char *src;
    struct err *err;
    bool failed;
    /* NULL where var and local may not be used (defaults, var files) */
    const struct hcl_value *vars;
    struct local_def *locals;
    size_t nlocals;
    const struct scope *scope;
    const struct hcl_value *splat;
    int depth, max_depth;
    int max_value_depth; /* bound on nesting of values being copied */
    unsigned long budget;
    struct hcl_fctx fx;
    struct hcl_arena *arena; /* where the document is built */
    struct buf scratch;      /* templates rendered into the document */
};

/* Records the first error as "<file>:<line>:<col>: message". */
void hcl_eerr(struct eval *e, struct hcl_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Charges cost steps; false (with an error) once the budget is spent. */
bool hcl_charge(struct eval *e, struct hcl_pos pos, unsigned long cost);
/* Size of v in budget units, stopping early once it exceeds limit. */
unsigned long hcl_val_cost(const struct hcl_value *v, unsigned long limit);
/* Deep copy that is charged to the budget. */
bool hcl_copy_val(struct eval *e,
                  struct hcl_pos pos,
                  struct hcl_value *dst,
                  const struct hcl_value *src);
/* The type name for messages; unknowns read "runtime reference". */
const char *hcl_kind_name(const struct hcl_value *v);
/* Turns every unknown in v into its "${...}" string. */
void hcl_finalize(struct hcl_value *v);
/* Evaluates n into *out (overwritten); -1 with e->err set on failure. */
int hcl_eval_expr(struct eval *e, const struct node *n, struct hcl_value *out);

/*
 * Evaluates n as hcl_eval_expr() and hcl_finalize() would, into a value
 * that lives in e->arena and may share the literals of the syntax tree.
 */
int hcl_eval_doc_value(struct eval *e,
                       const struct node *n,
                       struct hcl_value *out);

/* HCL's automatic conversions: "12" is a number, "true" a bool. */
bool hcl_to_number(const struct hcl_value *v, double *d);
bool hcl_to_bool(const struct hcl_value *v, bool *b);
/* Appends a primitive's string form; false for null and collections. */
bool hcl_append_str(struct buf *b, const struct hcl_value *v);

#endif
