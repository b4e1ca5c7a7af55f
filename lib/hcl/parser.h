/*
 * Internals of the HCL parser, shared by lex.c (tokens), template.c
 * (strings and heredocs) and parse.c (expressions and bodies).
 */
#ifndef CARAVAN_LIB_HCL_PARSER_H
#define CARAVAN_LIB_HCL_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
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
    struct hcl_arena *arena; /* the tree being built */
    /*
     * The items of the lists, bodies and templates under construction, on
     * stacks shared by all levels of nesting: each construct copies its own
     * items into the arena once it is complete, at their final size.
     */
    struct node **kids;
    size_t nkids, cap_kids;
    struct ast_attr *attrs;
    size_t nattrs, cap_attrs;
    struct ast_block *blocks;
    size_t nblocks, cap_blocks;
    struct buf lit;   /* literal text of the template part being read */
    char **no_labels; /* the labels of documents' blocks without any */
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
/* Sets p up with a new arena, which the caller takes over or frees. */
void hcl_parser_init(struct parser *p,
                     const char *src,
                     size_t len,
                     const char *filename,
                     int max_depth,
                     struct err *err);
/* Frees the scratch space, but not the arena. */
void hcl_parser_release(struct parser *p);

/* Byte-level cursor, for template literals. */
struct hcl_pos hcl_cur_pos(const struct parser *p);
void hcl_adv(struct parser *p, size_t n);

/*
 * Scanning eight bytes at a time. Each helper returns the index of the
 * first byte from i on that ends a run, or len. SWAR masks below have the
 * top bit of each byte of a word set where that byte matches; they are
 * only used on little-endian machines, where the lowest set bit is the
 * first byte in memory.
 */
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HCL_SWAR 1
#define HCL_REP(c) (0x0101010101010101u * (uint64_t)(c))
#define HCL_HIGH HCL_REP(0x80)

/* Bytes of x (all below 0x80) within lo..hi. */
static inline uint64_t hcl_swar_range(uint64_t x, unsigned lo, unsigned hi)
{
    return (x + HCL_REP(0x80 - lo)) & ~(x + HCL_REP(0x7f - hi)) & HCL_HIGH;
}

/*
 * Bytes of w equal to c. Bytes above the first match may be flagged too,
 * which does not matter for finding the first.
 */
static inline uint64_t hcl_swar_eq(uint64_t w, unsigned c)
{
    uint64_t v = w ^ HCL_REP(c);

    return (v - HCL_REP(1)) & ~v & HCL_HIGH;
}
#endif

/* Whether c is one of the identifier characters [A-Za-z0-9_-]. */
static inline bool hcl_is_ident_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The end of the identifier characters [A-Za-z0-9_-] from i. */
static inline size_t hcl_ident_end(const char *src, size_t len, size_t i)
{
#ifdef HCL_SWAR
    while (i + 8 <= len) {
        uint64_t w, x, lower, id;

        memcpy(&w, src + i, 8);
        x = w & ~HCL_HIGH;
        lower = x | HCL_REP(0x20);
        id = hcl_swar_range(lower, 'a', 'z') | hcl_swar_range(x, '0', '9') |
             hcl_swar_range(x, '_', '_') | hcl_swar_range(x, '-', '-');
        id &= ~w; /* bytes from 0x80 up are never part of one */
        if (id != HCL_HIGH)
            return i + (size_t)__builtin_ctzll(~id & HCL_HIGH) / 8;
        i += 8;
    }
#endif
    while (i < len &&
           ((src[i] >= 'a' && src[i] <= 'z') ||
            (src[i] >= 'A' && src[i] <= 'Z') ||
            (src[i] >= '0' && src[i] <= '9') || src[i] == '_' || src[i] == '-'))
        i++;
    return i;
}

/*
 * The end of the plain text of a quoted string from i: the first closing
 * quote, escape, newline, carriage return, "$" or "%".
 */
static inline size_t hcl_quoted_plain_end(const char *src, size_t len, size_t i)
{
#ifdef HCL_SWAR
    while (i + 8 <= len) {
        uint64_t w, stop;

        memcpy(&w, src + i, 8);
        stop = hcl_swar_eq(w, '"') | hcl_swar_eq(w, '\\') |
               hcl_swar_eq(w, '\n') | hcl_swar_eq(w, '\r') |
               hcl_swar_eq(w, '$') | hcl_swar_eq(w, '%');
        if (stop != 0)
            return i + (size_t)__builtin_ctzll(stop) / 8;
        i += 8;
    }
#endif
    while (i < len && src[i] != '"' && src[i] != '\\' && src[i] != '\n' &&
           src[i] != '\r' && src[i] != '$' && src[i] != '%')
        i++;
    return i;
}

/* hcl_adv() over n bytes known to hold no newline and to be in bounds. */
static inline void hcl_adv_in_line(struct parser *p, size_t n)
{
    p->pos += n;
    p->col += (int)n;
}

/* The byte off bytes past the cursor, or -1 past the end. */
int hcl_at(const struct parser *p, size_t off);

/* Token-level access: one token of lookahead, plus saved states. */
const struct tok *hcl_peek_slow(struct parser *p);

/* The next token, skipping newlines where brackets make them meaningless. */
static inline const struct tok *hcl_peek(struct parser *p)
{
    if (p->have_tok && (p->tok.kind != T_NL || !p->nl_ignore))
        return &p->tok;
    return hcl_peek_slow(p);
}

static inline bool hcl_peek_is(struct parser *p, enum tok_kind k)
{
    return hcl_peek(p)->kind == k;
}

/* Consumes the next token; it stays in p->tok until the next hcl_peek(). */
static inline void hcl_next(struct parser *p)
{
    hcl_peek(p);
    p->last_kind = p->tok.kind;
    p->prev_end = p->tok.end;
    p->have_tok = false;
}

bool hcl_peek_ident(struct parser *p, const char *word);
bool hcl_expect(struct parser *p, enum tok_kind k, const char *what);
void hcl_save_state(const struct parser *p, struct pstate *s);
void hcl_restore_state(struct parser *p, const struct pstate *s);
/* The token's text, NUL-terminated, in the arena. */
char *hcl_tok_str(struct parser *p, const struct tok *t);
/* Describes a token for messages: "}" quoted, or newline / end of file. */
char *hcl_tok_desc(const struct parser *p, const struct tok *t);
void hcl_unexpected(struct parser *p,
                    const struct tok *t,
                    const char *expected);

/* Nesting bounds: enter/leave around recursion, weight for chains. */
bool hcl_add_weight(struct parser *p, struct hcl_pos pos, int w);
/* hcl_enter() once a bound may have tripped: checks, and reports. */
bool hcl_enter_fail(struct parser *p, struct hcl_pos pos);

static inline bool hcl_enter(struct parser *p, struct hcl_pos pos)
{
    if (++p->depth <= p->max_depth && p->weight < p->max_depth * 16) {
        p->weight++;
        return true;
    }
    return hcl_enter_fail(p, pos);
}

static inline void hcl_leave(struct parser *p)
{
    p->depth--;
    p->weight--;
}

/* A zeroed node in the arena. */
struct node *hcl_new_node(struct parser *p,
                          enum node_kind kind,
                          struct hcl_pos pos,
                          size_t start);
void hcl_push_kid(struct parser *p, struct node *kid);
/* Moves the kids pushed since p->nkids was base into n->kids. */
void hcl_take_kids(struct parser *p, struct node *n, size_t base);

/* parse.c */
struct node *hcl_parse_expr_p(struct parser *p);

/*
 * template.c: called with the opening quote or heredoc token consumed;
 * pos and start are those of the quote, t the heredoc token.
 */
struct node *hcl_parse_quoted(struct parser *p,
                              struct hcl_pos pos,
                              size_t start);
struct node *hcl_parse_heredoc(struct parser *p, const struct tok *t);

#endif
