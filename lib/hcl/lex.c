/*
 * HCL2 native syntax: the token lexer and the small helpers the parser
 * files share. The lexer runs on demand, one token of lookahead, because
 * string templates switch between literal text and expression tokens.
 */
#include <math.h>
#include <stdarg.h>
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
    while (n-- > 0 && p->pos < p->len) {
        if (p->src[p->pos] == '\n') {
            p->line++;
            p->col = 1;
        } else {
            p->col++;
        }
        p->pos++;
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

/* Skips blanks and comments; stops at a newline, which is a token. */
static bool skip_space(struct parser *p)
{
    for (;;) {
        int c = hcl_at(p, 0);

        if (c == ' ' || c == '\t' || c == '\r') {
            hcl_adv(p, 1);
        } else if (c == '#' || (c == '/' && hcl_at(p, 1) == '/')) {
            while (p->pos < p->len && p->src[p->pos] != '\n')
                hcl_adv(p, 1);
        } else if (c == '/' && hcl_at(p, 1) == '*') {
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

/* Lexes one token at the cursor and moves past it. */
static void lex(struct parser *p, struct tok *t)
{
    int c, c1;

    memset(t, 0, sizeof(*t));
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
    if (is_id_start(c)) {
        while (is_id_cont(hcl_at(p, 0)))
            hcl_adv(p, 1);
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
        case '\n':
            k = T_NL;
            break;
        case '"':
            k = T_OQUOTE;
            break;
        case '{':
            k = T_LBRACE;
            break;
        case '}':
            k = T_RBRACE;
            break;
        case '[':
            k = T_LBRACK;
            break;
        case ']':
            k = T_RBRACK;
            break;
        case '(':
            k = T_LPAREN;
            break;
        case ')':
            k = T_RPAREN;
            break;
        case ',':
            k = T_COMMA;
            break;
        case ':':
            k = T_COLON;
            break;
        case '?':
            k = T_QUESTION;
            break;
        case '+':
            k = T_PLUS;
            break;
        case '-':
            k = T_MINUS;
            break;
        case '*':
            k = T_STAR;
            break;
        case '/':
            k = T_SLASH;
            break;
        case '%':
            k = T_PERCENT;
            break;
        case '~':
            k = T_TILDE;
            break;
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
            hcl_adv(p, n);
        }
        t->kind = k;
    }
    t->end = p->pos;
}

/* The next token, skipping newlines where brackets make them meaningless. */
const struct tok *hcl_peek(struct parser *p)
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

void hcl_next(struct parser *p)
{
    hcl_peek(p);
    p->last_kind = p->tok.kind;
    p->prev_end = p->tok.end;
    p->have_tok = false;
}

bool hcl_peek_is(struct parser *p, enum tok_kind k)
{
    return hcl_peek(p)->kind == k;
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

char *hcl_tok_str(const struct parser *p, const struct tok *t)
{
    return xstrndup(p->src + t->start, t->end - t->start);
}

struct node *hcl_new_node(enum node_kind kind, struct hcl_pos pos, size_t start)
{
    struct node *n = xcalloc(1, sizeof(*n));

    n->kind = kind;
    n->pos = pos;
    n->start = start;
    n->end = start;
    return n;
}

void hcl_add_kid(struct node *n, struct node *kid, size_t *cap)
{
    XGROW(n->kids, *cap, n->nkids + 1);
    n->kids[n->nkids++] = kid;
}

void hcl_node_free(struct node *n)
{
    if (n == NULL)
        return;
    hcl_val_free(&n->lit);
    free(n->name);
    free(n->name2);
    hcl_node_free(n->a);
    hcl_node_free(n->b);
    hcl_node_free(n->c);
    hcl_node_free(n->d);
    for (size_t i = 0; i < n->nkids; i++)
        hcl_node_free(n->kids[i]);
    free(n->kids);
    free(n);
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

bool hcl_enter(struct parser *p, struct hcl_pos pos)
{
    if (++p->depth > p->max_depth) {
        p->weight++;
        hcl_perr(p, pos,
                 "Nesting too deep; blocks and expressions may nest at most "
                 "%d levels",
                 p->max_depth);
        return false;
    }
    return hcl_add_weight(p, pos, 1);
}

void hcl_leave(struct parser *p)
{
    p->depth--;
    p->weight--;
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
}
