/*
 * HCL2 native syntax: recursive-descent parser for expressions and
 * bodies, producing the syntax tree of hcl_int.h.
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

/* ---- expressions ---- */

static struct node *parse_for(struct parser *p,
                              struct hcl_pos pos,
                              size_t start,
                              bool is_object)
{
    struct node *n = hcl_new_node(N_FOR, pos, start);
    const struct tok *t;
    enum tok_kind close = is_object ? T_RBRACE : T_RBRACK;

    n->is_object = is_object;
    hcl_next(p); /* "for" */
    t = hcl_peek(p);
    if (t->kind != T_IDENT) {
        hcl_unexpected(p, t, "a variable name after \"for\"");
        goto fail;
    }
    n->name2 = hcl_tok_str(p, t);
    hcl_next(p);
    if (hcl_peek_is(p, T_COMMA)) {
        hcl_next(p);
        t = hcl_peek(p);
        if (t->kind != T_IDENT) {
            hcl_unexpected(p, t, "a variable name after \",\"");
            goto fail;
        }
        n->name = n->name2;
        n->name2 = hcl_tok_str(p, t);
        hcl_next(p);
    }
    if (!hcl_peek_ident(p, "in")) {
        if (!p->failed)
            hcl_unexpected(p, hcl_peek(p), "\"in\"");
        goto fail;
    }
    hcl_next(p);
    n->a = hcl_parse_expr_p(p);
    if (n->a == NULL || !hcl_expect(p, T_COLON, "\":\""))
        goto fail;
    if (is_object) {
        n->b = hcl_parse_expr_p(p);
        if (n->b == NULL || !hcl_expect(p, T_ARROW, "\"=>\""))
            goto fail;
    }
    n->c = hcl_parse_expr_p(p);
    if (n->c == NULL)
        goto fail;
    if (is_object && hcl_peek_is(p, T_ELLIPSIS)) {
        hcl_next(p);
        n->group = true;
    }
    if (hcl_peek_ident(p, "if")) {
        hcl_next(p);
        n->d = hcl_parse_expr_p(p);
        if (n->d == NULL)
            goto fail;
    }
    if (!hcl_expect(p, close, is_object ? "\"}\"" : "\"]\""))
        goto fail;
    n->end = p->prev_end;
    return n;
fail:
    hcl_node_free(n);
    return NULL;
}

/* Whether the cursor is at "for <ident>", the start of a for expression. */
static bool at_for(struct parser *p)
{
    struct pstate s;
    bool yes;

    if (!hcl_peek_ident(p, "for"))
        return false;
    hcl_save_state(p, &s);
    hcl_next(p);
    yes = hcl_peek_is(p, T_IDENT);
    hcl_restore_state(p, &s);
    return yes;
}

static struct node *parse_list(struct parser *p, const struct tok *open)
{
    struct node *n;
    size_t cap = 0;

    if (at_for(p))
        return parse_for(p, open->pos, open->start, false);
    n = hcl_new_node(N_LIST, open->pos, open->start);
    for (;;) {
        struct node *item;

        if (hcl_peek_is(p, T_RBRACK))
            break;
        item = hcl_parse_expr_p(p);
        if (item == NULL)
            goto fail;
        hcl_add_kid(n, item, &cap);
        if (hcl_peek_is(p, T_COMMA)) {
            hcl_next(p);
            continue;
        }
        if (!hcl_peek_is(p, T_RBRACK)) {
            if (!p->failed)
                hcl_unexpected(p, hcl_peek(p), "\",\" or \"]\"");
            goto fail;
        }
    }
    hcl_next(p);
    n->end = p->prev_end;
    return n;
fail:
    hcl_node_free(n);
    return NULL;
}

static struct node *parse_object(struct parser *p, const struct tok *open)
{
    struct node *n;
    size_t cap = 0;

    p->nl_ignore = true;
    if (at_for(p))
        return parse_for(p, open->pos, open->start, true);
    p->nl_ignore = false;
    n = hcl_new_node(N_OBJECT, open->pos, open->start);
    for (;;) {
        struct node *key, *val;
        const struct tok *t;

        while (hcl_peek_is(p, T_NL))
            hcl_next(p);
        if (hcl_peek_is(p, T_RBRACE))
            break;
        key = hcl_parse_expr_p(p);
        if (key == NULL)
            goto fail;
        if (key->kind == N_ROOT) {
            /* A bare word before "=" names the key; it is no variable. */
            key->kind = N_LIT;
            hcl_val_string(&key->lit, key->name, strlen(key->name));
            key->lit.pos = key->pos;
        }
        hcl_add_kid(n, key, &cap);
        t = hcl_peek(p);
        if (t->kind != T_ASSIGN && t->kind != T_COLON) {
            if (!p->failed)
                hcl_unexpected(p, t, "\"=\" or \":\" after the object key");
            goto fail;
        }
        hcl_next(p);
        val = hcl_parse_expr_p(p);
        if (val == NULL)
            goto fail;
        hcl_add_kid(n, val, &cap);
        t = hcl_peek(p);
        if (t->kind == T_COMMA || t->kind == T_NL) {
            hcl_next(p);
            continue;
        }
        if (t->kind != T_RBRACE) {
            if (!p->failed)
                hcl_unexpected(p, t,
                               "a newline or \",\" after the object item");
            goto fail;
        }
    }
    hcl_next(p);
    n->end = p->prev_end;
    return n;
fail:
    hcl_node_free(n);
    return NULL;
}

static struct node *parse_call(struct parser *p, const struct tok *name)
{
    struct node *n = hcl_new_node(N_CALL, name->pos, name->start);
    size_t cap = 0;

    n->name = hcl_tok_str(p, name);
    hcl_next(p); /* "(" */
    p->nl_ignore = true;
    for (;;) {
        struct node *arg;

        if (hcl_peek_is(p, T_RPAREN))
            break;
        arg = hcl_parse_expr_p(p);
        if (arg == NULL)
            goto fail;
        hcl_add_kid(n, arg, &cap);
        if (hcl_peek_is(p, T_ELLIPSIS)) {
            hcl_next(p);
            n->expand = true;
            if (!hcl_peek_is(p, T_RPAREN)) {
                if (!p->failed)
                    hcl_unexpected(p, hcl_peek(p), "\")\" after \"...\"");
                goto fail;
            }
            break;
        }
        if (hcl_peek_is(p, T_COMMA)) {
            hcl_next(p);
            continue;
        }
        if (!hcl_peek_is(p, T_RPAREN)) {
            if (!p->failed)
                hcl_unexpected(p, hcl_peek(p), "\",\" or \")\"");
            goto fail;
        }
    }
    hcl_next(p);
    n->end = p->prev_end;
    return n;
fail:
    hcl_node_free(n);
    return NULL;
}

static struct node *parse_number(struct parser *p, const struct tok *t)
{
    struct node *n = hcl_new_node(N_LIT, t->pos, t->start);
    double d;

    if (!hcl_parse_number(p->src + t->start, t->end - t->start, &d)) {
        char *desc = hcl_tok_desc(p, t);

        hcl_perr(p, t->pos, "Invalid number %s; it is out of range", desc);
        free(desc);
        hcl_node_free(n);
        return NULL;
    }
    hcl_val_number(&n->lit, d);
    n->lit.pos = t->pos;
    n->end = t->end;
    return n;
}

static struct node *parse_primary(struct parser *p)
{
    struct tok t = *hcl_peek(p);
    bool saved_nl = p->nl_ignore;
    struct node *n = NULL;

    if (p->failed)
        return NULL;
    switch (t.kind) {
    case T_NUMBER:
        hcl_next(p);
        return parse_number(p, &t);
    case T_IDENT:
        hcl_next(p);
        if (hcl_peek_is(p, T_LPAREN)) {
            n = parse_call(p, &t);
            p->nl_ignore = saved_nl;
            return n;
        }
        n = hcl_new_node(N_LIT, t.pos, t.start);
        n->end = t.end;
        n->lit.pos = t.pos;
        if (t.end - t.start == 4 && memcmp(p->src + t.start, "true", 4) == 0)
            hcl_val_bool(&n->lit, true);
        else if (t.end - t.start == 5 &&
                 memcmp(p->src + t.start, "false", 5) == 0)
            hcl_val_bool(&n->lit, false);
        else if (t.end - t.start == 4 &&
                 memcmp(p->src + t.start, "null", 4) == 0)
            n->lit.type = HCL_NULL;
        else {
            n->kind = N_ROOT;
            n->name = hcl_tok_str(p, &t);
        }
        return n;
    case T_OQUOTE:
        hcl_next(p);
        return hcl_parse_quoted(p, &t);
    case T_HEREDOC:
        hcl_next(p);
        return hcl_parse_heredoc(p, &t);
    case T_LPAREN:
        hcl_next(p);
        p->nl_ignore = true;
        n = hcl_new_node(N_PAREN, t.pos, t.start);
        n->a = hcl_parse_expr_p(p);
        if (n->a == NULL || !hcl_expect(p, T_RPAREN, "\")\"")) {
            hcl_node_free(n);
            n = NULL;
        } else {
            n->end = p->prev_end;
        }
        p->nl_ignore = saved_nl;
        return n;
    case T_LBRACK:
        hcl_next(p);
        p->nl_ignore = true;
        n = parse_list(p, &t);
        p->nl_ignore = saved_nl;
        return n;
    case T_LBRACE:
        hcl_next(p);
        n = parse_object(p, &t);
        p->nl_ignore = saved_nl;
        return n;
    case T_ERROR:
        return NULL;
    default:
        hcl_unexpected(p, &t, "an expression");
        return NULL;
    }
}

/* Parses .name, [key], .*, [*] after an expression. */
static struct node *parse_postfix(struct parser *p)
{
    struct node *n = parse_primary(p);
    struct node *splat = NULL, **chain = NULL;
    int nsteps = 0;

    if (n == NULL)
        return NULL;
    for (;;) {
        const struct tok *t = hcl_peek(p);
        struct node *step;
        struct tok tt;

        if (t->kind == T_DOT) {
            hcl_next(p);
            tt = *hcl_peek(p);
            if (tt.kind == T_IDENT || tt.kind == T_NUMBER) {
                hcl_next(p);
                step = hcl_new_node(tt.kind == T_IDENT ? N_GETATTR : N_INDEX,
                                    n->pos, n->start);
                if (tt.kind == T_IDENT) {
                    step->name = hcl_tok_str(p, &tt);
                } else {
                    step->b = parse_number(p, &tt);
                    if (step->b == NULL) {
                        hcl_node_free(step);
                        goto fail;
                    }
                }
            } else if (tt.kind == T_STAR && splat == NULL) {
                hcl_next(p);
                step = NULL;
                splat = hcl_new_node(N_SPLAT, n->pos, n->start);
            } else {
                if (tt.kind != T_ERROR)
                    hcl_unexpected(p, &tt, "an attribute name after \".\"");
                goto fail;
            }
        } else if (t->kind == T_LBRACK) {
            bool saved_nl = p->nl_ignore;

            hcl_next(p);
            p->nl_ignore = true;
            if (hcl_peek_is(p, T_STAR) && splat == NULL) {
                hcl_next(p);
                if (!hcl_expect(p, T_RBRACK, "\"]\" after \"[*\"")) {
                    p->nl_ignore = saved_nl;
                    goto fail;
                }
                p->nl_ignore = saved_nl;
                step = NULL;
                splat = hcl_new_node(N_SPLAT, n->pos, n->start);
            } else {
                step = hcl_new_node(N_INDEX, n->pos, n->start);
                step->b = hcl_parse_expr_p(p);
                if (step->b == NULL ||
                    !hcl_expect(p, T_RBRACK, "\"]\" after the index")) {
                    p->nl_ignore = saved_nl;
                    hcl_node_free(step);
                    goto fail;
                }
                p->nl_ignore = saved_nl;
            }
        } else {
            break;
        }
        if (splat != NULL && step == NULL) {
            /* The start of a splat: later steps apply to each element. */
            splat->a = n;
            n = hcl_new_node(N_SPLATVAL, splat->pos, splat->start);
            chain = &splat->b;
            continue;
        }
        step->a = n;
        step->end = p->prev_end;
        n = step;
        nsteps++;
        if (!hcl_add_weight(p, n->pos, 1))
            goto fail;
    }
    p->weight -= nsteps;
    if (splat != NULL) {
        *chain = n;
        splat->end = p->prev_end;
        return splat;
    }
    return n;
fail:
    p->weight -= nsteps;
    hcl_node_free(n);
    if (splat != NULL)
        hcl_node_free(splat);
    return NULL;
}

static struct node *parse_unary(struct parser *p)
{
    const struct tok *t = hcl_peek(p);

    if (t->kind == T_MINUS || t->kind == T_BANG) {
        struct node *n = hcl_new_node(N_UNARY, t->pos, t->start);

        n->op = t->kind == T_MINUS ? '-' : '!';
        hcl_next(p);
        if (!hcl_enter(p, n->pos)) {
            hcl_node_free(n);
            return NULL;
        }
        n->a = parse_unary(p);
        hcl_leave(p);
        if (n->a == NULL) {
            hcl_node_free(n);
            return NULL;
        }
        n->end = n->a->end;
        return n;
    }
    return parse_postfix(p);
}

static int binop_of(enum tok_kind k, int *prec)
{
    switch (k) {
    case T_OR:
        *prec = 1;
        return OP_OR;
    case T_AND:
        *prec = 2;
        return OP_AND;
    case T_EQEQ:
        *prec = 3;
        return OP_EQ;
    case T_NE:
        *prec = 3;
        return OP_NE;
    case T_LT:
        *prec = 4;
        return OP_LT;
    case T_GT:
        *prec = 4;
        return OP_GT;
    case T_LE:
        *prec = 4;
        return OP_LE;
    case T_GE:
        *prec = 4;
        return OP_GE;
    case T_PLUS:
        *prec = 5;
        return OP_ADD;
    case T_MINUS:
        *prec = 5;
        return OP_SUB;
    case T_STAR:
        *prec = 6;
        return OP_MUL;
    case T_SLASH:
        *prec = 6;
        return OP_DIV;
    case T_PERCENT:
        *prec = 6;
        return OP_MOD;
    default:
        return 0;
    }
}

static struct node *parse_binary(struct parser *p, int min_prec)
{
    struct node *lhs = parse_unary(p);
    int links = 0;

    while (lhs != NULL) {
        int prec = 0;
        int op = binop_of(hcl_peek(p)->kind, &prec);
        struct node *n;

        if (op == 0 || prec < min_prec)
            break;
        hcl_next(p);
        n = hcl_new_node(N_BINARY, lhs->pos, lhs->start);
        n->op = op;
        n->a = lhs;
        links++;
        if (!hcl_add_weight(p, n->pos, 1) ||
            (n->b = parse_binary(p, prec + 1)) == NULL) {
            hcl_node_free(n);
            p->weight -= links;
            return NULL;
        }
        n->end = n->b->end;
        lhs = n;
    }
    p->weight -= links;
    return lhs;
}

struct node *hcl_parse_expr_p(struct parser *p)
{
    struct node *c, *n;
    struct hcl_pos pos = hcl_peek(p)->pos;

    if (p->failed || !hcl_enter(p, pos))
        return NULL;
    c = parse_binary(p, 1);
    if (c == NULL || !hcl_peek_is(p, T_QUESTION)) {
        hcl_leave(p);
        return c;
    }
    hcl_next(p);
    n = hcl_new_node(N_COND, c->pos, c->start);
    n->a = c;
    n->b = hcl_parse_expr_p(p);
    if (n->b == NULL || !hcl_expect(p, T_COLON, "\":\" in the conditional")) {
        hcl_node_free(n);
        hcl_leave(p);
        return NULL;
    }
    n->c = hcl_parse_expr_p(p);
    hcl_leave(p);
    if (n->c == NULL) {
        hcl_node_free(n);
        return NULL;
    }
    n->end = n->c->end;
    return n;
}

/* ---- bodies ---- */

static void ast_block_free(struct ast_block *b)
{
    free(b->type);
    for (size_t i = 0; i < b->nlabels; i++)
        free(b->labels[i]);
    free(b->labels);
    free(b->label_pos);
    hcl_ast_body_free(b->body);
}

void hcl_ast_body_free(struct ast_body *body)
{
    if (body == NULL)
        return;
    for (size_t i = 0; i < body->nattrs; i++) {
        free(body->attrs[i].name);
        hcl_node_free(body->attrs[i].expr);
    }
    free(body->attrs);
    for (size_t i = 0; i < body->nblocks; i++)
        ast_block_free(&body->blocks[i]);
    free(body->blocks);
    free(body);
}

static struct ast_body *parse_body(struct parser *p, enum tok_kind close);

/* Ends an attribute or block: a newline, end of file or the closing "}". */
static bool end_of_item(struct parser *p, enum tok_kind close, const char *what)
{
    const struct tok *t = hcl_peek(p);

    if (t->kind == T_NL) {
        hcl_next(p);
        return true;
    }
    if (t->kind == T_EOF || t->kind == close)
        return true;
    if (t->kind != T_ERROR) {
        char *msg = xasprintf("a newline after the %s", what);

        hcl_unexpected(p, t, msg);
        free(msg);
    }
    return false;
}

static bool parse_block(struct parser *p,
                        struct ast_body *body,
                        const struct tok *type,
                        enum tok_kind close)
{
    struct ast_block blk;
    size_t cap = 0;

    memset(&blk, 0, sizeof(blk));
    blk.type = hcl_tok_str(p, type);
    blk.pos = type->pos;
    for (;;) {
        struct tok t = *hcl_peek(p);
        char *label;

        if (t.kind == T_LBRACE)
            break;
        if (t.kind == T_IDENT) {
            hcl_next(p);
            label = hcl_tok_str(p, &t);
        } else if (t.kind == T_OQUOTE) {
            struct node *n;

            hcl_next(p);
            n = hcl_parse_quoted(p, &t);
            if (n == NULL)
                goto fail;
            if (n->kind != N_LIT) {
                hcl_perr(p, t.pos,
                         "Invalid block label; template sequences "
                         "are not allowed in block labels");
                hcl_node_free(n);
                goto fail;
            }
            label = xstrndup(n->lit.u.str.s, n->lit.u.str.len);
            hcl_node_free(n);
        } else if (blk.nlabels > 0 && t.kind != T_ERROR) {
            /* "type \"batch\"" alone: most likely a missing "=". */
            hcl_perr(p, blk.label_pos[0],
                     "Invalid block definition; \"%s\" is followed by a "
                     "label but no \"{\" opens the block (an attribute "
                     "needs \"=\")",
                     blk.type);
            goto fail;
        } else {
            if (t.kind != T_ERROR)
                hcl_unexpected(p, &t, "a block label or \"{\"");
            goto fail;
        }
        XGROW(blk.labels, cap, blk.nlabels + 1);
        blk.label_pos = xrealloc(blk.label_pos, cap * sizeof(*blk.label_pos));
        blk.labels[blk.nlabels] = label;
        blk.label_pos[blk.nlabels++] = t.pos;
    }
    if (p->open_blocks++ == 0)
        p->outer_brace = hcl_peek(p)->pos;
    hcl_next(p); /* "{" */
    if (!hcl_enter(p, type->pos)) {
        p->open_blocks--;
        goto fail;
    }
    blk.body = parse_body(p, T_RBRACE);
    hcl_leave(p);
    p->open_blocks--;
    if (blk.body == NULL)
        goto fail;
    if (!hcl_expect(p, T_RBRACE, "\"}\" to close the block") ||
        !end_of_item(p, close, "block"))
        goto fail;
    XGROW(body->blocks, body->cap_blocks, body->nblocks + 1);
    body->blocks[body->nblocks++] = blk;
    return true;
fail:
    ast_block_free(&blk);
    return false;
}

static struct ast_body *parse_body(struct parser *p, enum tok_kind close)
{
    struct ast_body *body = xcalloc(1, sizeof(*body));
    bool saved_nl = p->nl_ignore;

    p->nl_ignore = false;
    for (;;) {
        struct tok t;

        while (hcl_peek_is(p, T_NL))
            hcl_next(p);
        t = *hcl_peek(p);
        if (t.kind == close)
            break;
        if (t.kind != T_IDENT) {
            /*
             * The outermost open block is reported: with braces out of
             * balance, that is where the reader has to start looking.
             */
            if (t.kind == T_EOF)
                hcl_perr(p, p->outer_brace,
                         "Unclosed configuration block; there is no "
                         "closing brace for this block before the end of "
                         "the file");
            else if (t.kind != T_ERROR)
                hcl_unexpected(p, &t, "an attribute or block definition");
            goto fail;
        }
        hcl_next(p);
        if (hcl_peek_is(p, T_ASSIGN)) {
            struct ast_attr a;

            p->assign_pos = hcl_peek(p)->pos;
            p->assign_end = hcl_peek(p)->end;
            hcl_next(p);
            a.name = hcl_tok_str(p, &t);
            a.pos = t.pos;
            for (size_t i = 0; i < body->nattrs; i++) {
                if (strcmp(body->attrs[i].name, a.name) == 0) {
                    hcl_perr(p, t.pos,
                             "Attribute redefined; The argument \"%s\" was "
                             "already set at %s:%d:%d.",
                             a.name, p->file, body->attrs[i].pos.line,
                             body->attrs[i].pos.col);
                    free(a.name);
                    goto fail;
                }
            }
            a.expr = hcl_parse_expr_p(p);
            if (a.expr == NULL || !end_of_item(p, close, "attribute")) {
                free(a.name);
                hcl_node_free(a.expr);
                goto fail;
            }
            XGROW(body->attrs, body->cap_attrs, body->nattrs + 1);
            body->attrs[body->nattrs++] = a;
        } else if (hcl_peek_is(p, T_LBRACE) || hcl_peek_is(p, T_IDENT) ||
                   hcl_peek_is(p, T_OQUOTE)) {
            if (!parse_block(p, body, &t, close))
                goto fail;
        } else {
            if (!p->failed) {
                char *name = hcl_tok_str(p, &t);
                char *msg = xasprintf("\"=\" or a block after \"%s\"", name);

                hcl_unexpected(p, hcl_peek(p), msg);
                free(msg);
                free(name);
            }
            goto fail;
        }
    }
    p->nl_ignore = saved_nl;
    return body;
fail:
    p->nl_ignore = saved_nl;
    hcl_ast_body_free(body);
    return NULL;
}

int hcl_ast_parse(const char *src,
                  size_t len,
                  const char *filename,
                  int max_depth,
                  struct ast_body **out,
                  struct err *err)
{
    struct parser p;
    struct ast_body *body;

    hcl_parser_init(&p, src, len, filename, max_depth, err);
    body = parse_body(&p, T_EOF);
    if (body == NULL) {
        if (!p.failed)
            hcl_perr(&p, hcl_cur_pos(&p), "Invalid input");
        return ERR_INVALID;
    }
    *out = body;
    return 0;
}

int hcl_ast_parse_expr(const char *src,
                       size_t len,
                       const char *filename,
                       int max_depth,
                       struct node **out,
                       struct err *err)
{
    struct parser p;
    struct node *n;

    hcl_parser_init(&p, src, len, filename, max_depth, err);
    p.nl_ignore = true;
    n = hcl_parse_expr_p(&p);
    if (n != NULL && !hcl_peek_is(&p, T_EOF)) {
        if (!p.failed)
            hcl_unexpected(&p, hcl_peek(&p), "the end of the value");
        hcl_node_free(n);
        n = NULL;
    }
    if (n == NULL) {
        if (!p.failed)
            hcl_perr(&p, hcl_cur_pos(&p), "Invalid expression");
        return ERR_INVALID;
    }
    *out = n;
    return 0;
}
