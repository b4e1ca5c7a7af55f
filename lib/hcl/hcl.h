/*
 * HCL2 native syntax, as Nomad jobspecs and agent configs use it.
 *
 * hcl_parse() reads a whole file, evaluates it and hands back a document in
 * which every attribute already holds a value: `variable` and `locals`
 * blocks are consumed (their values substituted for var.x / local.x),
 * `dynamic` blocks are expanded, functions are called, and heredocs and
 * string templates are rendered. References to any root other than var and
 * local (NOMAD_PORT_http, attr.kernel.name, node.unique.id, meta.rack, ...)
 * are kept as their original "${...}" source text, because Nomad resolves
 * them later, at scheduling or task start (reference/jobspec.md §4).
 *
 * Every value, attribute and block carries its position so the consumer
 * (lib/model/jobspec.c) can report "file:line:col: message". Errors from
 * the parser itself read the same way and quote the offending token:
 *   web.nomad.hcl:12:5: unexpected "}" , expected an attribute value
 *
 * Input is untrusted: any byte sequence yields a document or an error,
 * never a crash; nesting is bounded by hcl_options.max_depth.
 */
#ifndef CARAVAN_LIB_HCL_HCL_H
#define CARAVAN_LIB_HCL_HCL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

struct hcl_pos
{
    int line; /* 1-based */
    int col;  /* 1-based, in bytes */
};

enum hcl_type {
    HCL_NULL = 0,
    HCL_BOOL,
    HCL_NUMBER,
    HCL_STRING,
    HCL_LIST,   /* HCL tuples and lists */
    HCL_OBJECT, /* HCL objects and maps; keys keep source order */
};

struct hcl_item;

struct hcl_value
{
    enum hcl_type type;
    struct hcl_pos pos; /* start of the expression that produced it */
    union
    {
        bool b;
        double num;
        struct
        {
            char *s; /* NUL-terminated; may also contain NUL bytes */
            size_t len;
        } str;
        struct
        {
            struct hcl_value *items;
            size_t n;
        } list;
        struct
        {
            struct hcl_item *items;
            size_t n;
        } obj;
    } u;
};

struct hcl_item
{
    char *key;
    struct hcl_pos pos; /* of the key */
    struct hcl_value value;
};

struct hcl_attr
{
    char *name;
    struct hcl_pos pos; /* of the name */
    struct hcl_value value;
};

struct hcl_body;

struct hcl_block
{
    char *type;
    char **labels;
    size_t nlabels;
    struct hcl_pos pos; /* of the type keyword */
    struct hcl_body *body;
};

/* Attributes and blocks of one body, each in source order. */
struct hcl_body
{
    struct hcl_attr *attrs;
    size_t nattrs;
    struct hcl_block *blocks;
    size_t nblocks;
};

struct hcl_doc
{
    char *filename;       /* as given to hcl_parse(), for messages */
    struct hcl_body body; /* top level, without variable/locals blocks */
};

/* One -var NAME=VALUE, before it is interpreted against the variable's type. */
struct hcl_var
{
    const char *name;
    const char *value;
};

struct hcl_options
{
    const struct hcl_var *vars; /* -var flags, later ones win */
    size_t nvars;
    const char *const *var_files; /* -var-file paths, HCL "name = value" */
    size_t nvar_files;
    bool use_env;              /* also read NOMAD_VAR_<name> */
    bool allow_file_functions; /* file(), fileexists(), ... (CLI only) */
    int max_depth;             /* bound on nesting; 0 means 64 */
};

/*
 * Parses and evaluates src (len bytes, need not be NUL-terminated). On
 * success *out is a document the caller frees with hcl_doc_free(). On
 * failure returns ERR_INVALID (or -errno for a var file that cannot be
 * read) and err->msg reads "<filename>:<line>:<col>: <message>". opts may
 * be NULL.
 */
int hcl_parse(const char *src,
              size_t len,
              const char *filename,
              const struct hcl_options *opts,
              struct hcl_doc **out,
              struct err *err);

/* Reads path and parses it as hcl_parse() does. */
int hcl_parse_file(const char *path,
                   const struct hcl_options *opts,
                   struct hcl_doc **out,
                   struct err *err);

void hcl_doc_free(struct hcl_doc *doc);

/* Returns the first attribute named name in body, or NULL. Borrowed. */
const struct hcl_attr *hcl_body_attr(const struct hcl_body *body,
                                     const char *name);

/* Returns the name of a type for messages: "string", "number", ... */
const char *hcl_type_name(enum hcl_type type);

/*
 * Converts a primitive value to its string form as HCL does for string
 * attributes: numbers without a fractional part print as integers, bools as
 * "true"/"false". Returns a heap string, or NULL for null, lists and objects.
 */
char *hcl_value_to_string(const struct hcl_value *v);

/*
 * Stores the number in v as an int64 when it is a whole number within
 * range; fails with ERR_INVALID otherwise (also for non-numbers).
 */
int hcl_value_to_int64(const struct hcl_value *v, int64_t *out);

#endif
