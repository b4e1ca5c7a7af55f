/*
 * Template parser: tokens into the tree the renderer walks, after Go's
 * text/template/parse/parse.go. Functions and variables are resolved
 * here, so "function not defined" and "undefined variable" are parse
 * errors as in Go. Nesting of blocks and parentheses is bounded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template_int.h"
#include "lib/alloc.h"
#include "lib/err.h"

struct parser
{
    struct tok *toks;
    size_t i;
    const char *name;
    struct err *err;
    int depth, max_depth;
    int range_depth;
    char **vars; /* declared variables in scope, "$x" */
    size_t n_vars, cap_vars;
};

enum list_end { END_EOF, END_END, END_ELSE, END_ELSE_IF };

static int parse_pipeline(struct parser *ps,
                          bool decl_ok,
                          int max_decls,
                          enum tok_kind closer,
                          struct node **out);

static struct tok *peek(struct parser *ps)
{
    return &ps->toks[ps->i];
}

static struct tok *next(struct parser *ps)
{
    struct tok *t = &ps->toks[ps->i];

    if (t->kind != TOK_EOF)
        ps->i++;
    return t;
}

static int perr(struct parser *ps, const struct tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct parser *ps, const struct tok *t, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(ps->err, ERR_INVALID, "template: %s:%d:%d: %s", ps->name,
                   t->line, t->col, msg);
}

static bool is_word(const struct tok *t, const char *w)
{
    return t->kind == TOK_IDENT && t->len == strlen(w) &&
           memcmp(t->p, w, t->len) == 0;
}

/* "<if>"-style description of a token for messages, as Go quotes it. */
static const char *tok_desc(const struct tok *t, char *out, size_t size)
{
    if (t->kind == TOK_EOF)
        return "EOF";
    if (t->kind == TOK_RIGHT)
        return "}}"; /* Go names the default delimiter */
    snprintf(out, size, "%.*s", (int)(t->len > 40 ? 40 : t->len), t->p);
    return out;
}

static struct node *node_new(enum node_kind kind, const struct tok *t)
{
    struct node *n = xcalloc(1, sizeof(*n));

    n->kind = kind;
    n->line = t->line;
    n->col = t->col;
    n->src = t->p;
    n->src_len = t->len;
    return n;
}

static void node_add(struct node *parent, struct node *kid)
{
    parent->kids =
        xrealloc(parent->kids, (parent->n_kids + 1) * sizeof(*parent->kids));
    parent->kids[parent->n_kids++] = kid;
}

/* Extends n's source span to the end of the previous token. */
static void span_to_prev(struct parser *ps, struct node *n)
{
    const struct tok *last = &ps->toks[ps->i - 1];

    if (last->p + last->len > n->src)
        n->src_len = (size_t)(last->p + last->len - n->src);
}

void tmpl__node_free(struct node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n_kids; i++)
        tmpl__node_free(n->kids[i]);
    free(n->kids);
    for (size_t i = 0; i < n->n_idents; i++)
        free(n->idents[i]);
    free(n->idents);
    for (size_t i = 0; i < n->n_decls; i++)
        free(n->decls[i]);
    free(n->decls);
    free(n->name);
    tv_unref(n->value);
    tmpl__node_free(n->pipe);
    tmpl__node_free(n->list);
    tmpl__node_free(n->else_list);
    free(n);
}

/* ------------------------------------------------------------------ scope */

static void var_push(struct parser *ps, const char *name)
{
    XGROW(ps->vars, ps->cap_vars, ps->n_vars + 1);
    ps->vars[ps->n_vars++] = xstrdup(name);
}

static void var_pop_to(struct parser *ps, size_t mark)
{
    while (ps->n_vars > mark)
        free(ps->vars[--ps->n_vars]);
}

static bool var_known(const struct parser *ps, const char *name)
{
    for (size_t i = ps->n_vars; i > 0; i--) {
        if (strcmp(ps->vars[i - 1], name) == 0)
            return true;
    }
    return false;
}

static int enter(struct parser *ps, const struct tok *t)
{
    if (++ps->depth > ps->max_depth) {
        perr(ps, t, "nesting too deep (more than %d levels)", ps->max_depth);
        ps->err->code = ERR_TOO_DEEP;
        return ERR_TOO_DEEP;
    }
    return 0;
}

/* ------------------------------------------------------------------ operands
 */

/* Collects `.A.B` field tokens directly after the previous token. */
static void take_fields(struct parser *ps, struct node *n)
{
    while (peek(ps)->kind == TOK_FIELD && !peek(ps)->spaced) {
        struct tok *t = next(ps);

        n->idents = xrealloc(n->idents, (n->n_idents + 1) * sizeof(*n->idents));
        n->idents[n->n_idents++] = xstrndup(t->p + 1, t->len - 1);
    }
    span_to_prev(ps, n);
}

static int parse_number(struct parser *ps,
                        const struct tok *t,
                        struct node **out)
{
    char s[128];
    size_t n = 0;
    bool is_float = false, hex = false;
    char *end;
    struct node *node;

    for (size_t i = 0; i < t->len && n + 1 < sizeof(s); i++) {
        if (t->p[i] != '_')
            s[n++] = t->p[i];
    }
    s[n] = '\0';
    if (n >= sizeof(s) - 1)
        return perr(ps, t, "bad number syntax: \"%.*s\"", 20, t->p);
    hex = strstr(s, "0x") != NULL || strstr(s, "0X") != NULL;
    is_float = !hex && strpbrk(s, ".eE") != NULL;
    node = node_new(N_CONST, t);
    if (!is_float) {
        const char *digits = s + (s[0] == '-' || s[0] == '+');
        int base = 0;
        long long v;

        if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O'))
            base = 8;
        else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
            base = 2;
        if (base != 0) {
            memmove((char *)digits, digits + 2, strlen(digits + 2) + 1);
        }
        errno = 0;
        v = strtoll(s, &end, base);
        if (*end == '\0' && errno == 0 && end != s) {
            node->value = tv_int(v);
            *out = node;
            return 0;
        }
        if (*end != '\0' || end == s) {
            free(node);
            return perr(ps, t, "bad number syntax: \"%.*s\"", (int)t->len,
                        t->p);
        }
    }
    errno = 0;
    {
        double d = strtod(s, &end);

        if (*end != '\0' || end == s) {
            free(node);
            return perr(ps, t, "bad number syntax: \"%.*s\"", (int)t->len,
                        t->p);
        }
        node->value = tv_float(d);
    }
    *out = node;
    return 0;
}

/* Decodes the single UTF-8 character of a char constant. */
static int parse_char(struct parser *ps, const struct tok *t, struct node **out)
{
    const unsigned char *s = (const unsigned char *)t->val;
    size_t len = t->val_len, need = 1;
    uint32_t c;
    struct node *n;

    if (len == 0)
        return perr(ps, t, "empty character constant");
    c = s[0];
    if (c >= 0xf0)
        need = 4, c &= 0x07;
    else if (c >= 0xe0)
        need = 3, c &= 0x0f;
    else if (c >= 0xc0)
        need = 2, c &= 0x1f;
    if (len != need)
        return perr(ps, t, "malformed character constant: %.*s", (int)t->len,
                    t->p);
    for (size_t i = 1; i < need; i++)
        c = (c << 6) | (s[i] & 0x3f);
    n = node_new(N_CONST, t);
    n->value = tv_int(c);
    *out = n;
    return 0;
}

static int parse_term(struct parser *ps, struct node **out)
{
    struct tok *t = next(ps);
    char d[64];
    struct node *n = NULL;
    int rc;

    switch (t->kind) {
    case TOK_IDENT: {
        char *name = xstrndup(t->p, t->len);
        const struct func_def *f = tmpl__func_lookup(name);

        if (f == NULL) {
            rc = perr(ps, t, "function \"%s\" not defined", name);
            free(name);
            return rc;
        }
        n = node_new(N_FUNC, t);
        n->name = name;
        n->func = f;
        break;
    }
    case TOK_FIELD:
        n = node_new(N_FIELD, t);
        n->idents = xmalloc(sizeof(*n->idents));
        n->idents[n->n_idents++] = xstrndup(t->p + 1, t->len - 1);
        take_fields(ps, n);
        *out = n;
        return 0;
    case TOK_VAR:
        n = node_new(N_VAR, t);
        n->name = xstrndup(t->p, t->len);
        if (!var_known(ps, n->name)) {
            rc = perr(ps, t, "undefined variable \"%s\"", n->name);
            tmpl__node_free(n);
            return rc;
        }
        take_fields(ps, n);
        *out = n;
        return 0;
    case TOK_DOT:
        n = node_new(N_DOT, t);
        break;
    case TOK_NIL:
        n = node_new(N_NIL, t);
        break;
    case TOK_BOOL:
        n = node_new(N_CONST, t);
        n->value = tv_bool(t->p[0] == 't');
        break;
    case TOK_STRING:
        n = node_new(N_CONST, t);
        n->value = tv_strn(t->val, t->val_len);
        break;
    case TOK_CHAR:
        rc = parse_char(ps, t, &n);
        if (rc != 0)
            return rc;
        break;
    case TOK_NUMBER:
        rc = parse_number(ps, t, &n);
        if (rc != 0)
            return rc;
        break;
    case TOK_LPAREN: {
        struct node *pipe;

        rc = enter(ps, t);
        if (rc != 0)
            return rc;
        rc = parse_pipeline(ps, true, 1, TOK_RPAREN, &pipe);
        ps->depth--;
        if (rc != 0)
            return rc;
        n = node_new(N_CHAIN, t);
        n->pipe = pipe;
        take_fields(ps, n);
        *out = n;
        return 0;
    }
    default:
        return perr(ps, t, "unexpected \"%s\" in operand",
                    tok_desc(t, d, sizeof(d)));
    }
    /* A field after a literal or dot is a chain: (x).F, but not `x .F`. */
    if (peek(ps)->kind == TOK_FIELD && !peek(ps)->spaced) {
        if (n->kind != N_DOT && n->kind != N_CONST) {
            rc = perr(ps, peek(ps), "unexpected . after term \"%.*s\"",
                      (int)t->len, t->p);
            tmpl__node_free(n);
            return rc;
        }
        {
            struct node *c = node_new(N_CHAIN, t);

            c->pipe = n;
            take_fields(ps, c);
            n = c;
        }
    }
    *out = n;
    return 0;
}

/* ------------------------------------------------------------------ pipeline
 */

static bool ends_command(enum tok_kind k, enum tok_kind closer)
{
    return k == closer || k == TOK_PIPE;
}

static int parse_command(struct parser *ps,
                         enum tok_kind closer,
                         struct node **out)
{
    struct node *cmd = node_new(N_CMD, peek(ps));
    char d[64];
    int rc;

    while (!ends_command(peek(ps)->kind, closer)) {
        struct node *op;

        if (peek(ps)->kind == TOK_EOF ||
            (peek(ps)->kind == TOK_RIGHT && closer != TOK_RIGHT)) {
            rc = perr(ps, peek(ps), "unclosed left paren");
            goto fail;
        }
        if (peek(ps)->kind == TOK_RPAREN) {
            rc = perr(ps, peek(ps), "unexpected right paren");
            goto fail;
        }
        if (cmd->n_kids > 0 && !peek(ps)->spaced &&
            peek(ps)->kind != TOK_LPAREN) {
            rc = perr(ps, peek(ps), "missing space before \"%s\"",
                      tok_desc(peek(ps), d, sizeof(d)));
            goto fail;
        }
        rc = parse_term(ps, &op);
        if (rc != 0)
            goto fail;
        node_add(cmd, op);
    }
    if (cmd->n_kids == 0) {
        rc = perr(ps, peek(ps), "missing value for command");
        goto fail;
    }
    span_to_prev(ps, cmd);
    *out = cmd;
    return 0;
fail:
    tmpl__node_free(cmd);
    return rc;
}

static int parse_decls(struct parser *ps, struct node *pipe, int max_decls)
{
    size_t at = ps->i, n = 0;

    /* $x := ..., $x = ..., $i, $e := ... (range) */
    while (ps->toks[at].kind == TOK_VAR) {
        n++;
        at++;
        if (ps->toks[at].kind == TOK_COMMA && (int)n < max_decls) {
            at++;
            continue;
        }
        break;
    }
    if (n == 0 ||
        (ps->toks[at].kind != TOK_DECLARE && ps->toks[at].kind != TOK_ASSIGN))
        return 0;
    if (n > 1 && ps->toks[at].kind == TOK_ASSIGN)
        return perr(ps, &ps->toks[at], "too many declarations in assignment");
    pipe->is_assign = ps->toks[at].kind == TOK_ASSIGN;
    for (size_t i = ps->i; i < at; i++) {
        const struct tok *t = &ps->toks[i];

        if (t->kind != TOK_VAR)
            continue;
        pipe->decls =
            xrealloc(pipe->decls, (pipe->n_decls + 1) * sizeof(char *));
        pipe->decls[pipe->n_decls++] = xstrndup(t->p, t->len);
        if (pipe->is_assign && !var_known(ps, pipe->decls[0]))
            return perr(ps, t, "undefined variable \"%s\"", pipe->decls[0]);
    }
    ps->i = at + 1;
    return 0;
}

static int parse_pipeline(struct parser *ps,
                          bool decl_ok,
                          int max_decls,
                          enum tok_kind closer,
                          struct node **out)
{
    struct node *pipe = node_new(N_PIPE, peek(ps));
    int rc = 0;

    if (decl_ok) {
        rc = parse_decls(ps, pipe, max_decls);
        if (rc != 0)
            goto fail;
    }
    for (;;) {
        struct node *cmd;

        rc = parse_command(ps, closer, &cmd);
        if (rc != 0)
            goto fail;
        /* Go: only the first stage may be a literal. */
        if (pipe->n_kids > 0 && cmd->kids[0]->kind != N_FUNC &&
            cmd->kids[0]->kind != N_FIELD && cmd->kids[0]->kind != N_VAR &&
            cmd->kids[0]->kind != N_CHAIN) {
            rc = perr(ps, &ps->toks[ps->i - 1],
                      "non executable command in pipeline stage %zu",
                      pipe->n_kids + 1);
            tmpl__node_free(cmd);
            goto fail;
        }
        node_add(pipe, cmd);
        if (next(ps)->kind == closer)
            break;
    }
    span_to_prev(ps, pipe);
    /* Declared after the pipeline, as Go does: `$x := $x` sees the old. */
    if (!pipe->is_assign) {
        for (size_t i = 0; i < pipe->n_decls; i++)
            var_push(ps, pipe->decls[i]);
    }
    *out = pipe;
    return 0;
fail:
    tmpl__node_free(pipe);
    return rc;
}

/* ------------------------------------------------------------------ lists */

static int parse_list(struct parser *ps, struct node **out, enum list_end *end);

static int expect_right(struct parser *ps, const char *what)
{
    char d[64];
    struct tok *t = next(ps);

    if (t->kind != TOK_RIGHT)
        return perr(ps, t, "unexpected \"%s\" in %s", tok_desc(t, d, sizeof(d)),
                    what);
    return 0;
}

/* if / range / with, from the keyword on. */
static int parse_control(struct parser *ps,
                         enum node_kind kind,
                         struct node **out)
{
    struct tok *kw = next(ps);
    size_t mark = ps->n_vars;
    struct node *n = node_new(kind, kw);
    enum list_end end;
    int rc;

    rc = enter(ps, kw);
    if (rc != 0)
        goto out;
    rc = parse_pipeline(ps, true, kind == N_RANGE ? 2 : 1, TOK_RIGHT, &n->pipe);
    if (rc != 0)
        goto out;
    if (kind == N_RANGE)
        ps->range_depth++;
    rc = parse_list(ps, &n->list, &end);
    if (kind == N_RANGE)
        ps->range_depth--;
    if (rc != 0)
        goto out;
    if (end == END_ELSE_IF) {
        struct tok *t = peek(ps);
        enum node_kind k2 = is_word(t, "if") ? N_IF : N_WITH;

        if ((kind == N_IF && k2 != N_IF) || (kind == N_WITH && k2 != N_WITH)) {
            rc = perr(ps, t, "unexpected \"%.*s\" after else", (int)t->len,
                      t->p);
            goto out;
        }
        n->else_list = node_new(N_LIST, t);
        {
            struct node *inner;

            rc = parse_control(ps, k2, &inner);
            if (rc != 0)
                goto out;
            node_add(n->else_list, inner);
        }
    } else if (end == END_ELSE) {
        rc = parse_list(ps, &n->else_list, &end);
        if (rc != 0)
            goto out;
        if (end != END_END) {
            rc = perr(ps, &ps->toks[ps->i > 0 ? ps->i - 1 : 0],
                      end == END_EOF ? "unexpected EOF"
                                     : "expected end; found {{else}}");
            goto out;
        }
    } else if (end == END_EOF) {
        rc = perr(ps, &ps->toks[ps->i], "unexpected EOF");
        goto out;
    }
out:
    ps->depth--;
    var_pop_to(ps, mark);
    if (rc != 0) {
        tmpl__node_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

/* One {{ ... }} after its left delimiter. *node may stay NULL. */
static int parse_action(struct parser *ps,
                        struct node **node,
                        enum list_end *end)
{
    struct tok *t = peek(ps);
    int rc;

    *node = NULL;
    *end = END_EOF;
    if (is_word(t, "if"))
        return parse_control(ps, N_IF, node);
    if (is_word(t, "range"))
        return parse_control(ps, N_RANGE, node);
    if (is_word(t, "with"))
        return parse_control(ps, N_WITH, node);
    if (is_word(t, "end")) {
        next(ps);
        *end = END_END;
        return expect_right(ps, "end");
    }
    if (is_word(t, "else")) {
        next(ps);
        if (is_word(peek(ps), "if") || is_word(peek(ps), "with")) {
            *end = END_ELSE_IF;
            return 0;
        }
        *end = END_ELSE;
        return expect_right(ps, "else");
    }
    if (is_word(t, "break") || is_word(t, "continue")) {
        bool brk = t->p[0] == 'b';

        next(ps);
        if (ps->range_depth == 0)
            return perr(ps, t, "{{%s}} outside {{range}}",
                        brk ? "break" : "continue");
        *node = node_new(brk ? N_BREAK : N_CONTINUE, t);
        return expect_right(ps, brk ? "break" : "continue");
    }
    if (is_word(t, "define") || is_word(t, "template") || is_word(t, "block"))
        return perr(ps, t, "{{%.*s}} is not supported", (int)t->len, t->p);
    *node = node_new(N_ACTION, t);
    rc = parse_pipeline(ps, true, 1, TOK_RIGHT, &(*node)->pipe);
    if (rc != 0) {
        tmpl__node_free(*node);
        *node = NULL;
        return rc;
    }
    (*node)->src = (*node)->pipe->src;
    (*node)->src_len = (*node)->pipe->src_len;
    return 0;
}

static int parse_list(struct parser *ps, struct node **out, enum list_end *end)
{
    struct node *list = node_new(N_LIST, peek(ps));
    int rc = 0;

    *end = END_EOF;
    for (;;) {
        struct tok *t = next(ps);
        struct node *n = NULL;

        if (t->kind == TOK_EOF)
            break;
        if (t->kind == TOK_TEXT) {
            if (t->len == 0)
                continue;
            n = node_new(N_TEXT, t);
            n->name = xstrndup(t->p, t->len);
            n->text_len = t->len;
            node_add(list, n);
            continue;
        }
        /* TOK_LEFT */
        rc = parse_action(ps, &n, end);
        if (rc != 0) {
            tmpl__node_free(n);
            break;
        }
        if (n != NULL)
            node_add(list, n);
        if (*end != END_EOF)
            break;
    }
    if (rc != 0) {
        tmpl__node_free(list);
        return rc;
    }
    *out = list;
    return 0;
}

int tmpl_parse(const char *text,
               size_t len,
               const struct tmpl_opts *opts,
               struct tmpl **out,
               struct err *err)
{
    struct tmpl_opts none = {0};
    struct tok_list toks = {0};
    struct parser ps = {0};
    struct tmpl *t;
    enum list_end end;
    const char *ld, *rd;
    int rc;

    if (opts == NULL)
        opts = &none;
    t = xcalloc(1, sizeof(*t));
    t->name = xstrdup(opts->name ? opts->name : "");
    if (len > TMPL_MAX_INPUT_BYTES) {
        rc = err_set(err, ERR_TOO_BIG,
                     "template: %s: %zu bytes is more than the %u allowed",
                     t->name, len, TMPL_MAX_INPUT_BYTES);
        goto out;
    }
    t->text = xstrndup(text, len);
    t->text_len = len;
    t->error_on_missing_key = opts->error_on_missing_key;
    t->max_output_bytes = opts->max_output_bytes
                              ? opts->max_output_bytes
                              : TMPL_DEFAULT_MAX_OUTPUT_BYTES;
    t->max_depth =
        opts->max_depth > 0 ? opts->max_depth : TMPL_DEFAULT_MAX_DEPTH;
    t->max_steps = opts->max_steps ? opts->max_steps : TMPL_DEFAULT_MAX_STEPS;
    ld = opts->left_delimiter && *opts->left_delimiter ? opts->left_delimiter
                                                       : "{{";
    rd = opts->right_delimiter && *opts->right_delimiter ? opts->right_delimiter
                                                         : "}}";
    rc = tmpl__lex(t->text, len, ld, rd, t->name, &toks, err);
    if (rc != 0)
        goto out;
    ps.toks = toks.items;
    ps.name = t->name;
    ps.err = err;
    ps.max_depth = t->max_depth;
    var_push(&ps, "$");
    rc = parse_list(&ps, &t->root, &end);
    if (rc == 0 && end != END_EOF) {
        const struct tok *at = &ps.toks[ps.i > 0 ? ps.i - 1 : 0];

        rc =
            perr(&ps, at, "unexpected {{%s}}", end == END_END ? "end" : "else");
        tmpl__node_free(t->root);
        t->root = NULL;
    }
out:
    var_pop_to(&ps, 0);
    free(ps.vars);
    tmpl__toks_release(&toks);
    if (rc != 0) {
        tmpl_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void tmpl_free(struct tmpl *t)
{
    if (t == NULL)
        return;
    tmpl__node_free(t->root);
    free(t->text);
    free(t->name);
    free(t);
}
