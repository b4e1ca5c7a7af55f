/*
 * Internals shared by the HCL parser (parse.c), evaluator (eval.c),
 * function library (func.c) and value helpers (value.c). Not installed.
 *
 * The parser turns source text into a small syntax tree; the evaluator
 * walks it with variables, locals and iterator scopes in hand. Keeping the
 * two apart is what lets locals refer to each other in any order and lets
 * dynamic blocks evaluate their content once per element.
 */
#ifndef CARAVAN_LIB_HCL_HCL_INT_H
#define CARAVAN_LIB_HCL_HCL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/hcl/hcl.h"

struct buf;

/*
 * A value Nomad resolves later (attr.x, NOMAD_PORT_y, ...). It only exists
 * during evaluation; before a document is handed out every unknown becomes
 * the string "${<text>}". u.str holds the reference's source text.
 */
#define HCL_UNKNOWN ((enum hcl_type)16)

enum node_kind {
    N_LIT,      /* lit */
    N_TEMPLATE, /* kids: parts (N_LIT strings, N_INTERP, N_TIF, N_TFOR) */
    N_INTERP,   /* a: expression; start..end spans "${...}" */
    N_TIF,      /* a: condition, b: then template, c: else template or NULL */
    N_TFOR,     /* name/name2: key/value vars, a: collection, b: template */
    N_LIST,     /* kids: items */
    N_OBJECT,   /* kids: key, value, key, value, ... */
    N_ROOT,     /* name: a bare identifier, the root of a traversal */
    N_GETATTR,  /* a: object, name: attribute */
    N_INDEX,    /* a: collection, b: key */
    N_SPLAT,    /* a: source list, b: traversal applied to each (N_SPLATVAL) */
    N_SPLATVAL, /* the element a splat is currently applying b to */
    N_CALL,     /* name: function, kids: args, expand: last arg is "..." */
    N_UNARY,    /* op: '-' or '!', a: operand */
    N_BINARY,   /* op: OP_*, a, b */
    N_COND,     /* a ? b : c */
    N_FOR,      /* see fields below */
    N_PAREN,    /* a: inner expression, kept to make (a).b unambiguous */
};

enum binop {
    OP_OR = 1,
    OP_AND,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_GT,
    OP_LE,
    OP_GE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
};

struct node
{
    enum node_kind kind;
    struct hcl_pos pos;
    size_t start, end; /* byte span of the expression in the source */
    struct hcl_value lit;
    char *name;
    char *name2;
    struct node *a, *b, *c, *d;
    struct node **kids;
    size_t nkids;
    int op;
    bool expand;    /* N_CALL: f(list...) */
    bool is_object; /* N_FOR: {for ...} rather than [for ...] */
    bool group;     /* N_FOR: value followed by "..." */
    /*
     * N_FOR: name = key var (or NULL), name2 = value var, a = collection,
     * b = key expression (objects), c = value expression, d = condition.
     */
};

struct ast_attr
{
    char *name;
    struct hcl_pos pos;
    struct node *expr;
};

struct ast_body;

struct ast_block
{
    char *type;
    char **labels;
    struct hcl_pos *label_pos;
    size_t nlabels;
    struct hcl_pos pos;
    struct ast_body *body;
};

struct ast_body
{
    struct ast_attr *attrs;
    size_t nattrs, cap_attrs;
    struct ast_block *blocks;
    size_t nblocks, cap_blocks;
};

/* parse.c */

/*
 * Parses src into a body. src must stay alive as long as the tree is used
 * (spans point into it). Errors read "<filename>:<line>:<col>: ...".
 */
int hcl_ast_parse(const char *src,
                  size_t len,
                  const char *filename,
                  int max_depth,
                  struct ast_body **out,
                  struct err *err);
/* Parses src as one expression, for -var values of list and map types. */
int hcl_ast_parse_expr(const char *src,
                       size_t len,
                       const char *filename,
                       int max_depth,
                       struct node **out,
                       struct err *err);
void hcl_ast_body_free(struct ast_body *body);
void hcl_node_free(struct node *n);

/* value.c */

void hcl_val_free(struct hcl_value *v);
/* Deep copy; dst is overwritten without being freed. */
void hcl_val_copy(struct hcl_value *dst, const struct hcl_value *src);
void hcl_val_string(struct hcl_value *v, const char *s, size_t len);
void hcl_val_string_take(struct hcl_value *v, char *s, size_t len);
void hcl_val_number(struct hcl_value *v, double d);
void hcl_val_bool(struct hcl_value *v, bool b);
/* Appends a copy-less item: takes ownership of *item and key. */
void hcl_list_push(struct hcl_value *list, struct hcl_value *item);
void hcl_obj_push(struct hcl_value *obj,
                  char *key,
                  struct hcl_pos pos,
                  struct hcl_value *val);
/* Returns the item of obj called key, or NULL. */
struct hcl_value *hcl_obj_get(const struct hcl_value *obj,
                              const char *key,
                              size_t keylen);
bool hcl_val_equal(const struct hcl_value *a, const struct hcl_value *b);
/* Formats a number the way HCL prints it: 8080, 0.5, 1e+30. */
void hcl_fmt_number(struct buf *b, double d);
/* Appends v as JSON; unknowns must have been ruled out by the caller. */
void hcl_json_encode(struct buf *b, const struct hcl_value *v);
/* Whether v, or anything inside it, is unknown. */
bool hcl_val_has_unknown(const struct hcl_value *v);
/* Parses a whole string as an HCL number ("12", "-1.5e3"). */
bool hcl_parse_number(const char *s, size_t len, double *out);
void hcl_body_free(struct hcl_body *body);

/* func.c */

struct hcl_fctx
{
    bool allow_file;
    unsigned long *budget; /* evaluation steps left; calls charge it */
};

/* Whether a function of that name exists. */
bool hcl_func_known(const char *name);
/*
 * Calls the function name with args (owned by the caller). On failure
 * returns ERR_INVALID with a message that lacks the position prefix, which
 * the caller adds. Returns 1 when no such function exists.
 */
int hcl_func_call(const struct hcl_fctx *fx,
                  const char *name,
                  struct hcl_value *args,
                  size_t nargs,
                  struct hcl_value *out,
                  struct err *err);

#endif
