/*
 * Internals shared by the HCL parser (parse.c), evaluator (eval.c),
 * function library (func.c) and value helpers (value.c). Not installed.
 *
 * The parser turns source text into a small syntax tree; the evaluator
 * walks it with variables, locals and iterator scopes in hand. Keeping the
 * two apart is what lets locals refer to each other in any order and lets
 * dynamic blocks evaluate their content once per element.
 *
 * The tree, and the document evaluated from it, live in one arena freed at
 * once; a document shares names and literal strings with its tree instead
 * of copying them.
 */
#ifndef CARAVAN_LIB_HCL_HCL_INT_H
#define CARAVAN_LIB_HCL_HCL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/hcl/hcl.h"

struct buf;

/*
 * Bump allocator that holds a whole syntax tree. A tree has as many small
 * pieces as its source has tokens, and it is freed as a whole, so carving
 * them out of large chunks saves a malloc and a free for each.
 */
struct hcl_arena_chunk;

struct hcl_arena
{
    struct hcl_arena_chunk *chunks;
    char *cur;
    size_t left;
    size_t next_size;
};

/*
 * Under AddressSanitizer every piece is a malloc() of its own, so that an
 * overrun of one is caught rather than landing in the next.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HCL_ARENA_EACH 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HCL_ARENA_EACH 1
#endif
#endif
#ifndef HCL_ARENA_EACH
#define HCL_ARENA_EACH 0
#endif

struct hcl_arena *hcl_arena_new(void);
void hcl_arena_free(struct hcl_arena *a);
void *hcl_arena_alloc_slow(struct hcl_arena *a, size_t size);

/* Returns size bytes aligned for any of the tree's structures. */
static inline void *hcl_arena_alloc(struct hcl_arena *a, size_t size)
{
    size_t need = (size + 7) & ~(size_t)7;
    void *p;

    if (HCL_ARENA_EACH)
        return hcl_arena_alloc_slow(a, size);
    if (need > a->left)
        return hcl_arena_alloc_slow(a, need);
    p = a->cur;
    a->cur += need;
    a->left -= need;
    return p;
}

/* A NUL-terminated copy of the n bytes at s. */
char *hcl_arena_strndup(struct hcl_arena *a, const char *s, size_t n);

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

/*
 * One node per expression; a 1 MB file holds tens of thousands, so what
 * no kind uses at the same time shares storage.
 */
struct node
{
    enum node_kind kind;
    int op;
    struct hcl_pos pos;
    size_t start, end; /* byte span of the expression in the source */
    bool expand;       /* N_CALL: f(list...) */
    bool is_object;    /* N_FOR: {for ...} rather than [for ...] */
    bool group;        /* N_FOR: value followed by "..." */
    union
    {
        struct hcl_value lit; /* N_LIT only */
        struct
        {
            char *name;
            char *name2;
            struct node *a;
            union
            {
                struct
                {
                    struct node *b, *c, *d;
                };
                struct
                {
                    struct node **kids;
                    size_t nkids;
                };
            };
        };
    };
    /*
     * N_FOR: name = key var (or NULL), name2 = value var, a = collection,
     * b = key expression (objects), c = value expression, d = condition.
     */
};

/*
 * What evaluating an expression the parser could already evaluate takes:
 * a literal, a runtime reference alone in a string ("${NOMAD_PORT_x}"),
 * or a list of such. Its value is prefilled in the document; evaluation
 * only has to account for it, as long as no limit trips on the way.
 */
struct ast_lit
{
    unsigned long cost; /* evaluation steps; 0 when not prefilled */
    int depth;          /* levels of nesting entered */
    bool scoped;        /* its references hold only where no iterator is */
};

struct ast_attr
{
    char *name;
    struct hcl_pos pos;
    struct node *expr;
    struct ast_lit lit;
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
    /*
     * The body has only prefilled attributes and no blocks: lit, a copy of
     * its own, is all there is to evaluate, and nothing in its doc is ever
     * written, so documents may share it.
     */
    bool leaf;
    struct ast_lit lit;
};

/*
 * Everything in a tree lives in its arena; only the root body owns it.
 * What evaluation reads of a body comes first, to share a cache line.
 */
struct ast_body
{
    /*
     * The document body as far as the parser can tell it: names, block
     * types and labels, and the values of literal attributes; each block's
     * body points to the doc of its ast_body. Evaluation completes it in
     * place the first time (taken), and works on copies after that.
     */
    struct hcl_body doc;
    struct ast_lit lit; /* of all attributes, when all_lit */
    bool all_lit;       /* every attribute is prefilled */
    bool has_dynamic;   /* some block is "dynamic" */
    bool taken;
    struct ast_attr *attrs;
    size_t nattrs;
    struct ast_block *blocks;
    size_t nblocks;
    struct hcl_arena *arena; /* set on the root body only */
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
/*
 * Parses src as one expression, for -var values of list and map types. On
 * success *arena holds the tree, for hcl_arena_free().
 */
int hcl_ast_parse_expr(const char *src,
                       size_t len,
                       const char *filename,
                       int max_depth,
                       struct hcl_arena **arena,
                       struct node **out,
                       struct err *err);
/* Frees a whole tree; body must be the root hcl_ast_parse() returned. */
void hcl_ast_body_free(struct ast_body *body);

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
/* A deep copy of src, all of it in a. */
void hcl_val_to_arena(struct hcl_arena *a,
                      struct hcl_value *dst,
                      const struct hcl_value *src);

/*
 * What hcl_parse() hands out: the document and everything in it live in
 * the arena of its syntax tree, so hcl_doc_free() is one hcl_arena_free().
 */
struct hcl_doc_impl
{
    struct hcl_doc doc; /* first, so a struct hcl_doc * converts back */
    struct hcl_arena *arena;
};

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
