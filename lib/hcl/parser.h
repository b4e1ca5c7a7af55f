/*
 * Internals of the HCL parser, shared by lex.c (tokens), template.c
 * (strings and heredocs) and parse.c (expressions and bodies).
 */
#ifndef CARAVAN_LIB_HCL_PARSER_H
#define CARAVAN_LIB_HCL_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/hcl/hcl_int.h"

enum tok_kind {
    T_EOF,
    T_NL,
    T_IDENT,
    T_NUMBER,
    T_OQUOTE,
    T_HEREDOC,
    T_LBRACE,
    T_RBRACE,
    T_LBRACK,
    T_RBRACK,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_DOT,
    T_ELLIPSIS,
    T_ASSIGN,
    T_COLON,
    T_QUESTION,
    T_BANG,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PERCENT,
    T_EQEQ,
    T_NE,
    T_LT,
    T_GT,
    T_LE,
    T_GE,
    T_AND,
    T_OR,
    T_ARROW,
    T_TILDE,
    T_ERROR,
};

struct tok
{
    enum tok_kind kind;
    size_t start, end;
    struct hcl_pos pos;
    /* T_HEREDOC: the delimiter, and whether it was "<<-" */
    size_t mstart, mlen;
    bool strip;
};

struct parser
{
    const char *src;
    size_t len;
    const char *file;
    size_t pos;
    int line, col;
    struct tok tok;
    bool have_tok;
    enum tok_kind last_kind;
    size_t prev_end; /* end of the last consumed token */
    bool nl_ignore;
    int depth, max_depth;
    int weight; /* nesting plus chained operators: bounds the tree height */
    /* Where errors that span a construct are reported. */
    int open_blocks;
    struct hcl_pos outer_brace; /* "{" of the outermost open block */
    struct hcl_pos assign_pos;  /* "=" of the attribute being parsed */
    size_t assign_end;          /* byte just past that "=" */
    struct err *err;
    bool failed;
};

struct pstate
{
    size_t pos;
    int line, col;
    struct tok tok;
    bool have_tok;
    enum tok_kind last_kind;
};

/* Records the first error as "<file>:<line>:<col>: message". */
void hcl_perr(struct parser *p, struct hcl_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void hcl_parser_init(struct parser *p,
                     const char *src,
                     size_t len,
                     const char *filename,
                     int max_depth,
                     struct err *err);

/* Byte-level cursor, for template literals. */
struct hcl_pos hcl_cur_pos(const struct parser *p);
void hcl_adv(struct parser *p, size_t n);
/* The byte off bytes past the cursor, or -1 past the end. */
int hcl_at(const struct parser *p, size_t off);

/* Token-level access: one token of lookahead, plus saved states. */
const struct tok *hcl_peek(struct parser *p);
void hcl_next(struct parser *p);
bool hcl_peek_is(struct parser *p, enum tok_kind k);
bool hcl_peek_ident(struct parser *p, const char *word);
bool hcl_expect(struct parser *p, enum tok_kind k, const char *what);
void hcl_save_state(const struct parser *p, struct pstate *s);
void hcl_restore_state(struct parser *p, const struct pstate *s);
char *hcl_tok_str(const struct parser *p, const struct tok *t);
/* Describes a token for messages: "}" quoted, or newline / end of file. */
char *hcl_tok_desc(const struct parser *p, const struct tok *t);
void hcl_unexpected(struct parser *p,
                    const struct tok *t,
                    const char *expected);

/* Nesting bounds: enter/leave around recursion, weight for chains. */
bool hcl_enter(struct parser *p, struct hcl_pos pos);
void hcl_leave(struct parser *p);
bool hcl_add_weight(struct parser *p, struct hcl_pos pos, int w);

struct node *hcl_new_node(enum node_kind kind,
                          struct hcl_pos pos,
                          size_t start);
void hcl_add_kid(struct node *n, struct node *kid, size_t *cap);

/* parse.c */
struct node *hcl_parse_expr_p(struct parser *p);

/* template.c: called with the opening quote or heredoc token consumed. */
struct node *hcl_parse_quoted(struct parser *p, const struct tok *t);
struct node *hcl_parse_heredoc(struct parser *p, const struct tok *t);

#endif
