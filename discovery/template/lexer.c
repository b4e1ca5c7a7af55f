/*
 * Template lexer: text and actions, as Go's text/template/parse/lex.go
 * splits them. Trim markers (`{{- ` and ` -}}`) are applied here, to the
 * text tokens beside them, and comments are dropped, so the parser sees
 * only what renders.
 */
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template_int.h"
#include "lib/alloc.h"
#include "lib/err.h"

struct lexer
{
    const char *text, *p, *end;
    const char *ld, *rd;
    size_t ld_len, rd_len;
    const char *name;
    int line;
    const char *line_start;
    struct tok_list *out;
    struct err *err;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80; /* Go allows Unicode letters */
}

static bool starts(const struct lexer *l,
                   const char *p,
                   const char *s,
                   size_t n)
{
    return (size_t)(l->end - p) >= n && memcmp(p, s, n) == 0;
}

/* Moves to q, counting lines. */
static void advance(struct lexer *l, const char *q)
{
    for (; l->p < q; l->p++) {
        if (*l->p == '\n') {
            l->line++;
            l->line_start = l->p + 1;
        }
    }
}

static int col_of(const struct lexer *l, const char *p)
{
    return (int)(p - l->line_start) + 1;
}

static int lex_error(struct lexer *l, const char *fmt, const char *arg)
{
    char msg[256];

    snprintf(msg, sizeof(msg), fmt, arg);
    return err_set(l->err, ERR_INVALID, "template: %s:%d:%d: %s", l->name,
                   l->line, col_of(l, l->p), msg);
}

static struct tok *emit(struct lexer *l,
                        enum tok_kind kind,
                        const char *p,
                        size_t len)
{
    struct tok *t;

    XGROW(l->out->items, l->out->cap, l->out->n + 1);
    t = &l->out->items[l->out->n++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->p = p;
    t->len = len;
    t->line = l->line;
    t->col = col_of(l, p);
    return t;
}

/* ------------------------------------------------------------------ quoted */

static void put_utf8(struct buf *b, uint32_t c)
{
    if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        c = 0xfffd;
    if (c < 0x80) {
        buf_putc(b, (char)c);
    } else if (c < 0x800) {
        buf_putc(b, (char)(0xc0 | (c >> 6)));
        buf_putc(b, (char)(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        buf_putc(b, (char)(0xe0 | (c >> 12)));
        buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
        buf_putc(b, (char)(0x80 | (c & 0x3f)));
    } else {
        buf_putc(b, (char)(0xf0 | (c >> 18)));
        buf_putc(b, (char)(0x80 | ((c >> 12) & 0x3f)));
        buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
        buf_putc(b, (char)(0x80 | (c & 0x3f)));
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape after the backslash at *pp; Go's strconv.UnquoteChar. */
static int unescape(struct lexer *l, const char **pp, char quote, struct buf *b)
{
    const char *p = *pp + 1;
    static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
    int ndig = 0;
    uint32_t c = 0;

    if (p >= l->end)
        return -1;
    for (const char *s = simple; *s; s += 2) {
        if (*p == s[0]) {
            buf_putc(b, s[1]);
            *pp = p + 1;
            return 0;
        }
    }
    if (*p == quote) {
        buf_putc(b, quote);
        *pp = p + 1;
        return 0;
    }
    if (*p >= '0' && *p <= '7') {
        for (int i = 0; i < 3; i++, p++) {
            if (p >= l->end || *p < '0' || *p > '7')
                return -1;
            c = c * 8 + (uint32_t)(*p - '0');
        }
        if (c > 255)
            return -1;
        buf_putc(b, (char)c);
        *pp = p;
        return 0;
    }
    ndig = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
    if (ndig == 0)
        return -1;
    p++;
    for (int i = 0; i < ndig; i++, p++) {
        if (p >= l->end || hexval(*p) < 0)
            return -1;
        c = c * 16 + (uint32_t)hexval(*p);
    }
    if (ndig == 2)
        buf_putc(b, (char)c);
    else if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return -1;
    else
        put_utf8(b, c);
    *pp = p;
    return 0;
}

static int lex_quote(struct lexer *l, char quote)
{
    const char *start = l->p, *p = l->p + 1;
    struct buf b = BUF_INIT;
    struct tok *t;

    while (p < l->end && *p != quote) {
        if (*p == '\n')
            break;
        if (*p == '\\') {
            if (unescape(l, &p, quote, &b) != 0) {
                buf_release(&b);
                l->p = p;
                return lex_error(l, "%s", "invalid syntax in quoted string");
            }
            continue;
        }
        buf_putc(&b, *p++);
    }
    if (p >= l->end || *p != quote) {
        buf_release(&b);
        return lex_error(l, "%s",
                         quote == '"' ? "unterminated quoted string"
                                      : "unterminated character constant");
    }
    t = emit(l, quote == '"' ? TOK_STRING : TOK_CHAR, start,
             (size_t)(p + 1 - start));
    t->val_len = b.len;
    t->val = b.data ? buf_detach(&b) : xstrdup("");
    advance(l, p + 1);
    return 0;
}

static int lex_raw(struct lexer *l)
{
    const char *start = l->p;
    const char *q = memchr(l->p + 1, '`', (size_t)(l->end - l->p - 1));
    struct tok *t;

    if (q == NULL)
        return lex_error(l, "%s", "unterminated raw quoted string");
    t = emit(l, TOK_STRING, start, (size_t)(q + 1 - start));
    t->val = xstrndup(start + 1, (size_t)(q - start - 1));
    t->val_len = (size_t)(q - start - 1);
    advance(l, q + 1);
    return 0;
}

/* ------------------------------------------------------------------ action */

static bool at_right(struct lexer *l, bool *trim, size_t *skip)
{
    const char *p = l->p;

    if (p + 1 < l->end && is_space(*(p - 1)) && *p == '-' &&
        starts(l, p + 1, l->rd, l->rd_len)) {
        *trim = true;
        *skip = 1 + l->rd_len;
        return true;
    }
    if (starts(l, p, l->rd, l->rd_len)) {
        *trim = false;
        *skip = l->rd_len;
        return true;
    }
    return false;
}

static int lex_number(struct lexer *l)
{
    const char *p = l->p;
    struct tok *t;

    if (*p == '+' || *p == '-')
        p++;
    while (p < l->end &&
           (is_alnum(*p) || *p == '.' ||
            ((*p == '+' || *p == '-') &&
             (p[-1] == 'e' || p[-1] == 'E' || p[-1] == 'p' || p[-1] == 'P'))))
        p++;
    t = emit(l, TOK_NUMBER, l->p, (size_t)(p - l->p));
    (void)t;
    advance(l, p);
    return 0;
}

static void lex_word(struct lexer *l, enum tok_kind kind, const char *from)
{
    const char *p = from;
    struct tok *t;

    while (p < l->end && is_alnum(*p))
        p++;
    t = emit(l, kind, l->p, (size_t)(p - l->p));
    if (kind == TOK_IDENT) {
        if ((t->len == 4 && memcmp(t->p, "true", 4) == 0) ||
            (t->len == 5 && memcmp(t->p, "false", 5) == 0))
            t->kind = TOK_BOOL;
        else if (t->len == 3 && memcmp(t->p, "nil", 3) == 0)
            t->kind = TOK_NIL;
    }
    advance(l, p);
}

/* One token inside an action; *done at the right delimiter. */
static int lex_inside(struct lexer *l, bool *spaced, bool *done)
{
    char c = *l->p;
    bool trim;
    size_t skip;
    struct tok *t;

    if (at_right(l, &trim, &skip)) {
        t = emit(l, TOK_RIGHT, l->p, skip);
        t->trim_right = trim;
        advance(l, l->p + skip);
        *done = true;
        return 0;
    }
    if (is_space(c)) {
        advance(l, l->p + 1);
        *spaced = true;
        return 0;
    }
    if (c == '"' || c == '\'')
        return lex_quote(l, c);
    if (c == '`')
        return lex_raw(l);
    if ((c >= '0' && c <= '9') ||
        ((c == '-' || c == '+' || c == '.') && l->p + 1 < l->end &&
         l->p[1] >= '0' && l->p[1] <= '9'))
        return lex_number(l);
    if (c == '.' && l->p + 1 < l->end && is_alnum(l->p[1])) {
        lex_word(l, TOK_FIELD, l->p + 1);
        return 0;
    }
    if (c == '$') {
        lex_word(l, TOK_VAR, l->p + 1);
        return 0;
    }
    if (is_alnum(c)) {
        lex_word(l, TOK_IDENT, l->p);
        return 0;
    }
    switch (c) {
    case '.':
        emit(l, TOK_DOT, l->p, 1);
        break;
    case '(':
        emit(l, TOK_LPAREN, l->p, 1);
        break;
    case ')':
        emit(l, TOK_RPAREN, l->p, 1);
        break;
    case '|':
        emit(l, TOK_PIPE, l->p, 1);
        break;
    case ',':
        emit(l, TOK_COMMA, l->p, 1);
        break;
    case '=':
        emit(l, TOK_ASSIGN, l->p, 1);
        break;
    case ':':
        if (l->p + 1 < l->end && l->p[1] == '=') {
            emit(l, TOK_DECLARE, l->p, 2);
            advance(l, l->p + 2);
            return 0;
        }
        return lex_error(l, "%s", "expected :=");
    default: {
        char s[2] = {c, 0};

        return lex_error(l, "unrecognized character in action: '%s'", s);
    }
    }
    advance(l, l->p + 1);
    return 0;
}

static void trim_last_text(struct lexer *l)
{
    struct tok *t;

    if (l->out->n == 0)
        return;
    t = &l->out->items[l->out->n - 1];
    if (t->kind != TOK_TEXT)
        return;
    while (t->len > 0 && is_space(t->p[t->len - 1]))
        t->len--;
}

/* Skips a comment after the left delimiter; *trim if it ends ` -}}`. */
static int lex_comment(struct lexer *l, bool *trim)
{
    const char *q = l->p + 2;
    const char *e = NULL;

    for (; q + 1 < l->end; q++) {
        if (q[0] == '*' && q[1] == '/') {
            e = q;
            break;
        }
    }
    if (e == NULL)
        return lex_error(l, "%s", "unclosed comment");
    advance(l, e + 2);
    *trim = false;
    if (l->end - l->p >= 2 && is_space(l->p[0]) && l->p[1] == '-' &&
        starts(l, l->p + 2, l->rd, l->rd_len)) {
        *trim = true;
        advance(l, l->p + 2 + l->rd_len);
        return 0;
    }
    if (!starts(l, l->p, l->rd, l->rd_len))
        return lex_error(l, "%s", "comment ends before closing delimiter");
    advance(l, l->p + l->rd_len);
    return 0;
}

static void skip_leading_space(struct lexer *l)
{
    const char *p = l->p;

    while (p < l->end && is_space(*p))
        p++;
    advance(l, p);
}

/* An action or comment starting at the left delimiter. */
static int lex_action(struct lexer *l)
{
    bool trim = false, done = false, spaced = false;
    int rc;

    /* Go's trim marker is "- " right after the delimiter. */
    if (l->end - l->p > (ptrdiff_t)l->ld_len + 1 && l->p[l->ld_len] == '-' &&
        is_space(l->p[l->ld_len + 1])) {
        trim_last_text(l);
        advance(l, l->p + l->ld_len + 2);
        while (l->p < l->end && is_space(*l->p))
            advance(l, l->p + 1);
    } else {
        advance(l, l->p + l->ld_len);
    }
    if (starts(l, l->p, "/*", 2)) {
        rc = lex_comment(l, &trim);
        if (rc == 0 && trim)
            skip_leading_space(l);
        return rc;
    }
    emit(l, TOK_LEFT, l->p, 0);
    while (!done) {
        size_t before = l->out->n;

        if (l->p >= l->end)
            return lex_error(l, "%s", "unclosed action");
        rc = lex_inside(l, &spaced, &done);
        if (rc != 0)
            return rc;
        if (l->out->n > before) {
            l->out->items[before].spaced = spaced;
            spaced = false;
        }
    }
    if (l->out->items[l->out->n - 1].trim_right)
        skip_leading_space(l);
    return 0;
}

int tmpl__lex(const char *text,
              size_t len,
              const char *ldelim,
              const char *rdelim,
              const char *name,
              struct tok_list *out,
              struct err *err)
{
    struct lexer l = {
        .text = text,
        .p = text,
        .end = text + len,
        .ld = ldelim,
        .rd = rdelim,
        .ld_len = strlen(ldelim),
        .rd_len = strlen(rdelim),
        .name = name,
        .line = 1,
        .line_start = text,
        .out = out,
        .err = err,
    };
    int rc;

    while (l.p < l.end) {
        const char *q = l.p;

        while (q < l.end && !starts(&l, q, l.ld, l.ld_len))
            q++;
        if (q > l.p) {
            emit(&l, TOK_TEXT, l.p, (size_t)(q - l.p));
            advance(&l, q);
        }
        if (q >= l.end)
            break;
        rc = lex_action(&l);
        if (rc != 0)
            return rc;
    }
    emit(&l, TOK_EOF, l.p, 0);
    return 0;
}

void tmpl__toks_release(struct tok_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].val);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}
