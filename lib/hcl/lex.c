/*
 * HCL2 native syntax: the token lexer and the small helpers the parser
 * files share. The lexer runs on demand, one token of lookahead, because
 * string templates switch between literal text and expression tokens.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/hcl_int.h"
#include "lib/hcl/parser.h"

void hcl_perr(struct parser *p, struct hcl_pos pos, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    /* The first error is the one worth reporting; later ones are fallout. */
    if (p->failed)
        return;
    p->failed = true;
    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    err_set(p->err, ERR_INVALID, "%s:%d:%d: %s", p->file, pos.line, pos.col,
            msg);
    free(msg);
}

struct hcl_pos hcl_cur_pos(const struct parser *p)
{
    struct hcl_pos pos = {p->line, p->col};

    return pos;
}

void hcl_adv(struct parser *p, size_t n)
{
    size_t end = p->len - p->pos < n ? p->len : p->pos + n;

    while (p->pos < end) {
        const char *nl = memchr(p->src + p->pos, '\n', end - p->pos);

        if (nl == NULL) {
            hcl_adv_in_line(p, end - p->pos);
            break;
        }
        p->line++;
        p->col = 1;
        p->pos = (size_t)(nl - p->src) + 1;
    }
}

int hcl_at(const struct parser *p, size_t off)
{
    if (p->pos + off >= p->len)
        return -1;
    return (unsigned char)p->src[p->pos + off];
}

static bool is_id_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_id_cont(int c)
{
    return is_id_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

void hcl_save_state(const struct parser *p, struct pstate *s)
{
    s->pos = p->pos;
    s->line = p->line;
    s->col = p->col;
    s->tok = p->tok;
    s->have_tok = p->have_tok;
    s->last_kind = p->last_kind;
}

void hcl_restore_state(struct parser *p, const struct pstate *s)
{
    p->pos = s->pos;
    p->line = s->line;
    p->col = s->col;
    p->tok = s->tok;
    p->have_tok = s->have_tok;
    p->last_kind = s->last_kind;
}

/* Describes a token for messages: "}" quoted, or newline / end of file. */
char *hcl_tok_desc(const struct parser *p, const struct tok *t)
{
    struct buf b = BUF_INIT;
    size_t n;

    switch (t->kind) {
    case T_EOF:
        return xstrdup("end of file");
    case T_NL:
        return xstrdup("newline");
    case T_OQUOTE:
        return xstrdup("quoted string");
    case T_HEREDOC:
        return xstrdup("heredoc");
    default:
        break;
    }
    n = t->end - t->start;
    if (n > 40)
        n = 40;
    buf_putc(&b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p->src[t->start + i];

        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            buf_printf(&b, "\\x%02x", c);
        else
            buf_putc(&b, (char)c);
    }
    if (n < t->end - t->start)
        buf_puts(&b, "...");
    buf_putc(&b, '"');
    return buf_detach(&b);
}

void hcl_unexpected(struct parser *p, const struct tok *t, const char *expected)
{
    char *d = hcl_tok_desc(p, t);

    hcl_perr(p, t->pos, "Unexpected %s, expected %s", d, expected);
    free(d);
}

/* The index of the first byte from i on that is not a space. */
static inline size_t skip_spaces(const char *src, size_t len, size_t i)
{
#ifdef HCL_SWAR
    /*
     * Indentation is much of a file: runs of spaces are measured eight
     * bytes at a time, the count being the zero bytes of w ^ "        "
     * below its lowest set bit.
     */
    while (i + 8 <= len) {
        uint64_t w;

        memcpy(&w, src + i, 8);
        w ^= 0x2020202020202020u;
        if (w != 0)
            return i + (size_t)__builtin_ctzll(w) / 8;
        i += 8;
    }
#endif
    while (i < len && src[i] == ' ')
        i++;
    return i;
}

/* Skips blanks and comments; stops at a newline, which is a token. */
static bool skip_space(struct parser *p)
{
    const char *src = p->src;
    size_t len = p->len;

    for (;;) {
        size_t i = p->pos;
        char c;

        i = skip_spaces(src, len, i);
        while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r'))
            i++;
        hcl_adv_in_line(p, i - p->pos);
        if (i >= len)
            return true;
        c = src[i];
        if (c == '#' || (c == '/' && i + 1 < len && src[i + 1] == '/')) {
            const char *nl = memchr(src + i, '\n', len - i);

            hcl_adv_in_line(p, (nl != NULL ? (size_t)(nl - src) : len) - i);
        } else if (c == '/' && i + 1 < len && src[i + 1] == '*') {
            struct hcl_pos start = hcl_cur_pos(p);
            const char *end = NULL;

            if (p->pos + 2 < p->len)
                end = memmem(p->src + p->pos + 2, p->len - p->pos - 2, "*/", 2);
            if (end == NULL) {
                hcl_perr(p, start,
                         "Unterminated comment; there is no closing \"*/\" "
                         "for this comment");
                return false;
            }
            hcl_adv(p, (size_t)(end - (p->src + p->pos)) + 2);
        } else {
            return true;
        }
    }
}

static bool lex_heredoc(struct parser *p, struct tok *t)
{
    size_t i = p->pos + 2;

    t->strip = false;
    if (i < p->len && p->src[i] == '-') {
        t->strip = true;
        i++;
    }
    t->mstart = i;
    if (i >= p->len || !is_id_start((unsigned char)p->src[i]))
        goto bad;
    while (i < p->len && is_id_cont((unsigned char)p->src[i]))
        i++;
    t->mlen = i - t->mstart;
    if (i < p->len && p->src[i] == '\r')
        i++;
    if (i >= p->len || p->src[i] != '\n')
        goto bad;
    i++;
    t->kind = T_HEREDOC;
    hcl_adv(p, i - p->pos);
    return true;
bad:
    hcl_perr(p, t->pos,
             "Invalid heredoc; a heredoc starts with \"<<\" or \"<<-\", a "
             "delimiter word and a newline");
    return false;
}

static bool lex_number(struct parser *p, struct tok *t)
{
    size_t i = p->pos;

    while (i < p->len && is_digit((unsigned char)p->src[i]))
        i++;
    /* After a dot (a.0.1) only the digits belong to this token. */
    if (p->last_kind != T_DOT) {
        if (i + 1 < p->len && p->src[i] == '.' &&
            is_digit((unsigned char)p->src[i + 1])) {
            i++;
            while (i < p->len && is_digit((unsigned char)p->src[i]))
                i++;
        }
        if (i < p->len && (p->src[i] == 'e' || p->src[i] == 'E')) {
            size_t j = i + 1;

            if (j < p->len && (p->src[j] == '+' || p->src[j] == '-'))
                j++;
            if (j < p->len && is_digit((unsigned char)p->src[j])) {
                while (j < p->len && is_digit((unsigned char)p->src[j]))
                    j++;
                i = j;
            }
        }
    }
    t->kind = T_NUMBER;
    hcl_adv(p, i - p->pos);
    return true;
}

/*
 * Bytes that are a token of their own whatever follows, the bulk of the
 * punctuation: looked up rather than switched on, which mispredicts less.
 * 0 for all others (T_EOF never stands for a byte).
 */
static const unsigned char single_tok[256] = {
    ['\n'] = T_NL,    ['"'] = T_OQUOTE, ['{'] = T_LBRACE,   ['}'] = T_RBRACE,
    ['['] = T_LBRACK, [']'] = T_RBRACK, ['('] = T_LPAREN,   [')'] = T_RPAREN,
    [','] = T_COMMA,  [':'] = T_COLON,  ['?'] = T_QUESTION, ['+'] = T_PLUS,
    ['-'] = T_MINUS,  ['*'] = T_STAR,   ['/'] = T_SLASH,    ['%'] = T_PERCENT,
    ['~'] = T_TILDE,
};

/*
 * Lexes one token at the cursor and moves past it. Kept out of line: it is
 * the rarer way, and inlined it would slow down lex_common()'s callers.
 */
static __attribute__((noinline)) void lex(struct parser *p, struct tok *t)
{
    int c, c1;

    t->mstart = 0;
    t->mlen = 0;
    t->strip = false;
    t->kind = T_ERROR;
    if (!skip_space(p)) {
        t->start = t->end = p->pos;
        t->pos = hcl_cur_pos(p);
        return;
    }
    t->start = p->pos;
    t->pos = hcl_cur_pos(p);
    c = hcl_at(p, 0);
    c1 = hcl_at(p, 1);
    if (c < 0) {
        t->kind = T_EOF;
        t->end = p->pos;
        return;
    }
    if (single_tok[c] != 0) {
        t->kind = (enum tok_kind)single_tok[c];
        p->pos++;
        if (c == '\n') {
            p->line++;
            p->col = 1;
        } else {
            p->col++;
        }
        t->end = p->pos;
        return;
    }
    if (is_id_start(c)) {
        hcl_adv_in_line(p, hcl_ident_end(p->src, p->len, p->pos + 1) - p->pos);
        t->kind = T_IDENT;
    } else if (is_digit(c)) {
        lex_number(p, t);
    } else if (c == '<' && c1 == '<') {
        if (!lex_heredoc(p, t))
            t->kind = T_ERROR;
    } else {
        enum tok_kind k = T_ERROR;
        size_t n = 1;

        switch (c) {
        case '.':
            if (c1 == '.' && hcl_at(p, 2) == '.') {
                k = T_ELLIPSIS;
                n = 3;
            } else {
                k = T_DOT;
            }
            break;
        case '=':
            if (c1 == '=') {
                k = T_EQEQ;
                n = 2;
            } else if (c1 == '>') {
                k = T_ARROW;
                n = 2;
            } else {
                k = T_ASSIGN;
            }
            break;
        case '!':
            k = c1 == '=' ? T_NE : T_BANG;
            n = c1 == '=' ? 2 : 1;
            break;
        case '<':
            k = c1 == '=' ? T_LE : T_LT;
            n = c1 == '=' ? 2 : 1;
            break;
        case '>':
            k = c1 == '=' ? T_GE : T_GT;
            n = c1 == '=' ? 2 : 1;
            break;
        case '&':
            if (c1 == '&') {
                k = T_AND;
                n = 2;
            }
            break;
        case '|':
            if (c1 == '|') {
                k = T_OR;
                n = 2;
            }
            break;
        default:
            break;
        }
        if (k == T_ERROR) {
            if (c >= 0x20 && c < 0x7f)
                hcl_perr(p, t->pos,
                         "Invalid character \"%c\"; this character is not "
                         "used within the language",
                         c);
            else
                hcl_perr(p, t->pos,
                         "Invalid character 0x%02x; this character is not "
                         "used within the language",
                         c);
        } else {
            /* Punctuation: n bytes, all seen above, none a newline. */
            hcl_adv_in_line(p, n);
        }
        t->kind = k;
    }
    t->end = p->pos;
}

/*
 * The tokens most of a file is made of (identifiers, "=", punctuation, each
 * after plain spaces) with as little code as possible; anything else, also
 * comments, tabs and the end of input, is left to lex(). Returns false,
 * with p untouched, to say so.
 */
static inline bool lex_common(struct parser *p, struct tok *t)
{
    const char *src = p->src;
    size_t len = p->len, i = p->pos, j;
    unsigned char c;
    int col;

    i = skip_spaces(src, len, i);
    if (i >= len)
        return false;
    c = (unsigned char)src[i];
    col = p->col + (int)(i - p->pos);
    t->start = i;
    t->pos.line = p->line;
    t->pos.col = col;
    if (single_tok[c] != 0 && c != '/') {
        bool nl = c == '\n';

        t->kind = (enum tok_kind)single_tok[c];
        t->end = i + 1;
        p->pos = i + 1;
        p->line += nl;
        p->col = nl ? 1 : col + 1;
        return true;
    }
    if (is_id_start(c)) {
        j = hcl_ident_end(src, len, i + 1);
        t->kind = T_IDENT;
    } else if (c == '=' &&
               (i + 1 >= len || (src[i + 1] != '=' && src[i + 1] != '>'))) {
        j = i + 1;
        t->kind = T_ASSIGN;
    } else {
        return false;
    }
    t->end = j;
    p->pos = j;
    p->col = col + (int)(j - i);
    return true;
}

/* hcl_peek() the long way: any token, newlines skipped where ignored. */
static __attribute__((noinline)) const struct tok *peek_any(struct parser *p)
{
    for (;;) {
        if (!p->have_tok) {
            lex(p, &p->tok);
            p->have_tok = true;
        }
        if (p->tok.kind == T_NL && p->nl_ignore) {
            p->have_tok = false;
            p->last_kind = T_NL;
            continue;
        }
        return &p->tok;
    }
}

/*
 * Written so that the usual way, a common token, makes no call: that saves
 * pushing and popping registers for every token.
 */
const struct tok *hcl_peek_slow(struct parser *p)
{
    if (!p->have_tok && lex_common(p, &p->tok)) {
        p->have_tok = true;
        if (p->tok.kind != T_NL || !p->nl_ignore)
            return &p->tok;
    }
    return peek_any(p);
}

bool hcl_peek_ident(struct parser *p, const char *word)
{
    const struct tok *t = hcl_peek(p);
    size_t n = strlen(word);

    return t->kind == T_IDENT && t->end - t->start == n &&
           memcmp(p->src + t->start, word, n) == 0;
}

bool hcl_expect(struct parser *p, enum tok_kind k, const char *what)
{
    const struct tok *t = hcl_peek(p);

    if (p->failed)
        return false;
    if (t->kind != k) {
        if (t->kind != T_ERROR)
            hcl_unexpected(p, t, what);
        return false;
    }
    hcl_next(p);
    return true;
}

char *hcl_tok_str(struct parser *p, const struct tok *t)
{
    return hcl_arena_strndup(p->arena, p->src + t->start, t->end - t->start);
}

struct node *hcl_new_node(struct parser *p,
                          enum node_kind kind,
                          struct hcl_pos pos,
                          size_t start)
{
    /* Copied rather than memset(), which compiles to a slow "rep stos". */
    static const struct node zero;
    struct node *n = hcl_arena_alloc(p->arena, sizeof(*n));

    *n = zero;
    n->kind = kind;
    n->pos = pos;
    n->start = start;
    n->end = start;
    return n;
}

void hcl_push_kid(struct parser *p, struct node *kid)
{
    if (p->nkids == p->cap_kids)
        XGROW(p->kids, p->cap_kids, p->nkids + 1);
    p->kids[p->nkids++] = kid;
}

void hcl_take_kids(struct parser *p, struct node *n, size_t base)
{
    size_t k = p->nkids - base;

    n->nkids = k;
    n->kids = NULL;
    if (k > 0) {
        n->kids = hcl_arena_alloc(p->arena, k * sizeof(*n->kids));
        memcpy(n->kids, p->kids + base, k * sizeof(*n->kids));
    }
    p->nkids = base;
}

/* ---- arena ---- */

struct hcl_arena_chunk
{
    struct hcl_arena_chunk *next;
};

/* Chunks grow with the tree up to this size, so small inputs stay small. */
#define ARENA_MIN_CHUNK 4096
#define ARENA_MAX_CHUNK (1024 * 1024)

struct hcl_arena *hcl_arena_new(void)
{
    struct hcl_arena *a = xcalloc(1, sizeof(*a));

    a->next_size = ARENA_MIN_CHUNK;
    return a;
}

void hcl_arena_free(struct hcl_arena *a)
{
    struct hcl_arena_chunk *c, *next;

    if (a == NULL)
        return;
    for (c = a->chunks; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *hcl_arena_alloc_slow(struct hcl_arena *a, size_t size)
{
    size_t hdr = (sizeof(struct hcl_arena_chunk) + 7) & ~(size_t)7;
    size_t csize = a->next_size;
    struct hcl_arena_chunk *c;
    char *p;

    if (HCL_ARENA_EACH || size > csize / 4) {
        /* A big piece gets a chunk of its own; the current one stays. */
        c = xmalloc(hdr + size);
        if (a->chunks != NULL) {
            c->next = a->chunks->next;
            a->chunks->next = c;
        } else {
            c->next = NULL;
            a->chunks = c;
        }
        return (char *)c + hdr;
    }
    c = xmalloc(hdr + csize);
    c->next = a->chunks;
    a->chunks = c;
    if (a->next_size < ARENA_MAX_CHUNK)
        a->next_size *= 2;
    p = (char *)c + hdr;
    a->cur = p + size;
    a->left = csize - size;
    return p;
}

char *hcl_arena_strndup(struct hcl_arena *a, const char *s, size_t n)
{
    char *p = hcl_arena_alloc(a, n + 1);

    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

bool hcl_add_weight(struct parser *p, struct hcl_pos pos, int w)
{
    p->weight += w;
    if (p->weight > p->max_depth * 16) {
        hcl_perr(p, pos,
                 "Expression too complex; more than %d nested or "
                 "chained operations",
                 p->max_depth * 16);
        return false;
    }
    return true;
}

bool hcl_enter_fail(struct parser *p, struct hcl_pos pos)
{
    if (p->depth > p->max_depth) {
        p->weight++;
        hcl_perr(p, pos,
                 "Nesting too deep; blocks and expressions may nest at most "
                 "%d levels",
                 p->max_depth);
        return false;
    }
    return hcl_add_weight(p, pos, 1);
}

void hcl_parser_init(struct parser *p,
                     const char *src,
                     size_t len,
                     const char *filename,
                     int max_depth,
                     struct err *err)
{
    memset(p, 0, sizeof(*p));
    p->src = src;
    p->len = len;
    p->file = filename;
    p->line = 1;
    p->col = 1;
    p->max_depth = max_depth > 0 ? max_depth : 64;
    p->err = err;
    p->last_kind = T_NL;
    p->arena = hcl_arena_new();
}

void hcl_parser_release(struct parser *p)
{
    free(p->kids);
    free(p->attrs);
    free(p->blocks);
    buf_release(&p->lit);
}
