/* Shared between the lexer, parser, renderer and function table. */
#ifndef CARAVAN_DISCOVERY_TEMPLATE_TEMPLATE_INT_H
#define CARAVAN_DISCOVERY_TEMPLATE_TEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/template/template.h"
#include "lib/buf.h"

struct err;

/* ------------------------------------------------------------------ lexer */

enum tok_kind {
    TOK_EOF,
    TOK_TEXT,
    TOK_LEFT,  /* left delimiter */
    TOK_RIGHT, /* right delimiter */
    TOK_IDENT, /* function name or keyword */
    TOK_FIELD, /* .Name */
    TOK_VAR,   /* $ or $name */
    TOK_DOT,
    TOK_STRING, /* quoted or raw; val holds the unquoted bytes */
    TOK_CHAR,
    TOK_NUMBER,
    TOK_BOOL,
    TOK_NIL,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_PIPE,
    TOK_DECLARE, /* := */
    TOK_ASSIGN,  /* = */
    TOK_COMMA,
};

struct tok
{
    enum tok_kind kind;
    const char *p; /* into the source */
    size_t len;
    int line, col;
    bool spaced;     /* space before it: tells `(x).F` from `(x) .F` */
    bool trim_right; /* TOK_RIGHT: `-}}` */
    char *val;       /* TOK_STRING, TOK_CHAR: unquoted (heap); else NULL */
    size_t val_len;
};

struct tok_list
{
    struct tok *items;
    size_t n;
    size_t cap;
};

/* Splits text into tokens (trim markers applied, comments dropped). */
int tmpl__lex(const char *text,
              size_t len,
              const char *ldelim,
              const char *rdelim,
              const char *name,
              struct tok_list *out,
              struct err *err);
void tmpl__toks_release(struct tok_list *l);

/* ------------------------------------------------------------------ tree */

enum node_kind {
    N_LIST,
    N_TEXT,
    N_ACTION,
    N_IF,
    N_RANGE,
    N_WITH,
    N_BREAK,
    N_CONTINUE,
    N_PIPE,
    N_CMD,
    /* operands */
    N_FIELD, /* .A.B: idents */
    N_VAR,   /* $x.A.B: name + idents */
    N_CHAIN, /* (pipe).A.B: sub + idents */
    N_FUNC,  /* identifier */
    N_DOT,
    N_NIL,
    N_CONST, /* literal: value */
};

struct func_def;

struct node
{
    enum node_kind kind;
    int line, col;
    const char *src; /* source of the node, for "at <...>" */
    size_t src_len;
    /* N_LIST: kids; N_PIPE: kids are N_CMDs; N_CMD: kids are operands */
    struct node **kids;
    size_t n_kids;
    /* N_FIELD, N_VAR, N_CHAIN: field names */
    char **idents;
    size_t n_idents;
    char *name;      /* N_VAR variable, N_FUNC function, N_TEXT text */
    size_t text_len; /* N_TEXT */
    const struct func_def *func; /* N_FUNC, resolved at parse */
    struct tv *value;            /* N_CONST */
    /* N_IF, N_RANGE, N_WITH: pipe, list, else_list; N_ACTION: pipe;
     * N_CHAIN: pipe is the operand; N_PIPE: decl names */
    struct node *pipe;
    struct node *list;
    struct node *else_list;
    char **decls; /* N_PIPE: variable names, with the $ */
    size_t n_decls;
    bool is_assign; /* N_PIPE: `=` rather than `:=` */
    /* N_FIELD...: the last record shape seen for idents[0] and its field
     * index, so ranging over records skips the name lookups */
    const struct tv_shape *cache_shape;
    int cache_field;
};

struct tmpl
{
    char *name;
    char *text; /* owned copy: nodes point into it */
    size_t text_len;
    struct node *root;
    bool error_on_missing_key;
    size_t max_output_bytes;
    int max_depth;
    uint64_t max_steps;
};

void tmpl__node_free(struct node *n);

/* ------------------------------------------------------------------ render */

struct render;

/*
 * A function callable from templates. Arguments are borrowed; the result
 * is a new reference. `lazy` functions (and, or) get unevaluated nodes
 * through tmpl__eval_arg instead.
 */
typedef int (*func_cb)(struct render *r,
                       struct tv **argv,
                       size_t argc,
                       struct tv **out);

struct func_def
{
    const char *name;
    func_cb fn;
    int min_args;
    int max_args; /* -1: variadic */
    bool lazy;
};

/* The function called name, or NULL. */
const struct func_def *tmpl__func_lookup(const char *name);
/* consul-template's and Nomad's functions (funcs_ct.c). */
const struct func_def *tmpl__ct_lookup(const char *name);
/* consul-template's string, list, number and JSON helpers (funcs_text.c). */
const struct func_def *tmpl__text_lookup(const char *name);
/* JSON, encoding and arithmetic helpers (funcs_num.c). */
const struct func_def *tmpl__num_lookup(const char *name);
/* regexMatch, regexReplaceAll, byTag (funcs_match.c). */
const struct func_def *tmpl__match_lookup(const char *name);

/* Fails the render with "error calling NAME: <fmt>". */
int tmpl__fail(struct render *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* For lazy functions: evaluates argument i (a new reference). */
int tmpl__eval_arg(struct render *r, size_t i, struct tv **out);
size_t tmpl__lazy_argc(const struct render *r);
const struct tmpl_source *tmpl__source(const struct render *r);
/* Records a dependency (deduplicated). */
void tmpl__dep_add(struct render *r,
                   enum tmpl_dep_kind kind,
                   const char *key,
                   const struct tmpl_service_query *q);
struct err *tmpl__err(struct render *r);

/* Go's fmt: %v of a value, print's spacing, printf's verbs. */
void tmpl__fmt_value(struct buf *out, const struct tv *v);
void tmpl__fmt_float(struct buf *out, double f, char verb, int prec);
void tmpl__fmt_quote(struct buf *out, const char *s, size_t len);
void tmpl__sprint(struct buf *out, struct tv **argv, size_t argc, bool ln);
void tmpl__sprintf(struct buf *out,
                   const char *fmt,
                   size_t fmt_len,
                   struct tv **argv,
                   size_t argc);

#endif
