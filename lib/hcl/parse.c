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
    struct node *n = hcl_new_node(p, N_FOR, pos, start);
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

static struct node *parse_list(struct parser *p,
                               struct hcl_pos pos,
                               size_t start)
{
    struct node *n;
    size_t base = p->nkids;

    if (at_for(p))
        return parse_for(p, pos, start, false);
    n = hcl_new_node(p, N_LIST, pos, start);
    for (;;) {
        struct node *item;

        if (hcl_peek_is(p, T_RBRACK))
            break;
        item = hcl_parse_expr_p(p);
        if (item == NULL)
            goto fail;
        hcl_push_kid(p, item);
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
    hcl_take_kids(p, n, base);
    n->end = p->prev_end;
    return n;
fail:
    p->nkids = base;
    return NULL;
}

static struct node *parse_object(struct parser *p,
                                 struct hcl_pos pos,
                                 size_t start)
{
    struct node *n;
    size_t base = p->nkids;

    p->nl_ignore = true;
    if (at_for(p))
        return parse_for(p, pos, start, true);
    p->nl_ignore = false;
    n = hcl_new_node(p, N_OBJECT, pos, start);
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
            char *name = key->name;

            memset(&key->lit, 0, sizeof(key->lit));
            key->kind = N_LIT;
            key->lit.type = HCL_STRING;
            key->lit.u.str.s = name;
            key->lit.u.str.len = strlen(name);
            key->lit.pos = key->pos;
        }
        hcl_push_kid(p, key);
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
        hcl_push_kid(p, val);
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
    hcl_take_kids(p, n, base);
    n->end = p->prev_end;
    return n;
fail:
    p->nkids = base;
    return NULL;
}

/* A call of the function named by the bytes start..end, at "(". */
static struct node *parse_call(struct parser *p,
                               struct hcl_pos pos,
                               size_t start,
                               size_t end)
{
    struct node *n = hcl_new_node(p, N_CALL, pos, start);
    size_t base = p->nkids;

    n->name = hcl_arena_strndup(p->arena, p->src + start, end - start);
    hcl_next(p); /* "(" */
    p->nl_ignore = true;
    for (;;) {
        struct node *arg;

        if (hcl_peek_is(p, T_RPAREN))
            break;
        arg = hcl_parse_expr_p(p);
        if (arg == NULL)
            goto fail;
        hcl_push_kid(p, arg);
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
    hcl_take_kids(p, n, base);
    n->end = p->prev_end;
    return n;
fail:
    p->nkids = base;
    return NULL;
}

static struct node *parse_number(struct parser *p, const struct tok *t)
{
    struct node *n = hcl_new_node(p, N_LIT, t->pos, t->start);
    double d;

    if (!hcl_parse_number(p->src + t->start, t->end - t->start, &d)) {
        char *desc = hcl_tok_desc(p, t);

        hcl_perr(p, t->pos, "Invalid number %s; it is out of range", desc);
        free(desc);
        return NULL;
    }
    hcl_val_number(&n->lit, d);
    n->lit.pos = t->pos;
    n->end = t->end;
    return n;
}

/*
 * Tokens are read field by field, never copied whole: a copy right after
 * lex() wrote the token stalls on store forwarding. A consumed token stays
 * in p->tok until the next hcl_peek().
 */
static struct node *parse_primary(struct parser *p)
{
    const struct tok *t = hcl_peek(p);
    bool saved_nl = p->nl_ignore;
    struct hcl_pos pos = t->pos;
    size_t start = t->start, end = t->end;
    struct node *n = NULL;

    if (p->failed)
        return NULL;
    switch (t->kind) {
    case T_NUMBER:
        hcl_next(p);
        return parse_number(p, &p->tok);
    case T_IDENT:
        hcl_next(p);
        if (hcl_peek_is(p, T_LPAREN)) {
            n = parse_call(p, pos, start, end);
            p->nl_ignore = saved_nl;
            return n;
        }
        n = hcl_new_node(p, N_LIT, pos, start);
        n->end = end;
        if (end - start == 4 && memcmp(p->src + start, "true", 4) == 0)
            hcl_val_bool(&n->lit, true);
        else if (end - start == 5 && memcmp(p->src + start, "false", 5) == 0)
            hcl_val_bool(&n->lit, false);
        else if (end - start == 4 && memcmp(p->src + start, "null", 4) == 0)
            n->lit.type = HCL_NULL;
        else {
            n->kind = N_ROOT;
            n->name = hcl_arena_strndup(p->arena, p->src + start, end - start);
            return n;
        }
        n->lit.pos = pos;
        return n;
    case T_OQUOTE:
        hcl_next(p);
        return hcl_parse_quoted(p, pos, start);
    case T_HEREDOC:
        hcl_next(p);
        return hcl_parse_heredoc(p, &p->tok);
    case T_LPAREN:
        hcl_next(p);
        p->nl_ignore = true;
        n = hcl_new_node(p, N_PAREN, pos, start);
        n->a = hcl_parse_expr_p(p);
        if (n->a == NULL || !hcl_expect(p, T_RPAREN, "\")\"")) {
            n = NULL;
        } else {
            n->end = p->prev_end;
        }
        p->nl_ignore = saved_nl;
        return n;
    case T_LBRACK:
        hcl_next(p);
        p->nl_ignore = true;
        n = parse_list(p, pos, start);
        p->nl_ignore = saved_nl;
        return n;
    case T_LBRACE:
        hcl_next(p);
        n = parse_object(p, pos, start);
        p->nl_ignore = saved_nl;
        return n;
    case T_ERROR:
        return NULL;
    default:
        hcl_unexpected(p, t, "an expression");
        return NULL;
    }
}

/* Parses .name, [key], .*, [*] after the expression n. */
static struct node *postfix_tail(struct parser *p, struct node *n)
{
    struct node *splat = NULL, **chain = NULL;
    int nsteps = 0;

    if (n == NULL)
        return NULL;
    for (;;) {
        const struct tok *t = hcl_peek(p);
        struct node *step;

        if (t->kind == T_DOT) {
            enum tok_kind k;

            hcl_next(p);
            t = hcl_peek(p);
            k = t->kind;
            if (k == T_IDENT || k == T_NUMBER) {
                hcl_next(p);
                step = hcl_new_node(p, k == T_IDENT ? N_GETATTR : N_INDEX,
                                    n->pos, n->start);
                if (k == T_IDENT) {
                    step->name = hcl_tok_str(p, t);
                } else {
                    step->b = parse_number(p, t);
                    if (step->b == NULL)
                        goto fail;
                }
            } else if (k == T_STAR && splat == NULL) {
                hcl_next(p);
                step = NULL;
                splat = hcl_new_node(p, N_SPLAT, n->pos, n->start);
            } else {
                if (k != T_ERROR)
                    hcl_unexpected(p, t, "an attribute name after \".\"");
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
                splat = hcl_new_node(p, N_SPLAT, n->pos, n->start);
            } else {
                step = hcl_new_node(p, N_INDEX, n->pos, n->start);
                step->b = hcl_parse_expr_p(p);
                if (step->b == NULL ||
                    !hcl_expect(p, T_RBRACK, "\"]\" after the index")) {
                    p->nl_ignore = saved_nl;
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
            n = hcl_new_node(p, N_SPLATVAL, splat->pos, splat->start);
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
    return NULL;
}

static struct node *parse_postfix(struct parser *p)
{
    return postfix_tail(p, parse_primary(p));
}

static struct node *parse_unary(struct parser *p)
{
    const struct tok *t = hcl_peek(p);

    if (t->kind == T_MINUS || t->kind == T_BANG) {
        struct node *n = hcl_new_node(p, N_UNARY, t->pos, t->start);

        n->op = t->kind == T_MINUS ? '-' : '!';
        hcl_next(p);
        if (!hcl_enter(p, n->pos))
            return NULL;
        n->a = parse_unary(p);
        hcl_leave(p);
        if (n->a == NULL)
            return NULL;
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

static struct node *parse_binary(struct parser *p, int min_prec);

/* Parses the operators of at least min_prec that follow lhs. */
static struct node *binary_tail(struct parser *p,
                                struct node *lhs,
                                int min_prec)
{
    int links = 0;

    while (lhs != NULL) {
        int prec = 0;
        int op = binop_of(hcl_peek(p)->kind, &prec);
        struct node *n;

        if (op == 0 || prec < min_prec)
            break;
        hcl_next(p);
        n = hcl_new_node(p, N_BINARY, lhs->pos, lhs->start);
        n->op = op;
        n->a = lhs;
        links++;
        if (!hcl_add_weight(p, n->pos, 1) ||
            (n->b = parse_binary(p, prec + 1)) == NULL) {
            p->weight -= links;
            return NULL;
        }
        n->end = n->b->end;
        lhs = n;
    }
    p->weight -= links;
    return lhs;
}

static struct node *parse_binary(struct parser *p, int min_prec)
{
    return binary_tail(p, parse_unary(p), min_prec);
}

/* Tokens that continue an expression after an operand. */
static const bool continues_expr[T_ERROR + 1] = {
    [T_DOT] = true,     [T_LBRACK] = true, [T_QUESTION] = true,
    [T_OR] = true,      [T_AND] = true,    [T_EQEQ] = true,
    [T_NE] = true,      [T_LT] = true,     [T_GT] = true,
    [T_LE] = true,      [T_GE] = true,     [T_PLUS] = true,
    [T_MINUS] = true,   [T_STAR] = true,   [T_SLASH] = true,
    [T_PERCENT] = true,
};

struct node *hcl_parse_expr_p(struct parser *p)
{
    struct node *c, *n;
    const struct tok *t = hcl_peek(p);
    enum tok_kind kind = t->kind;

    if (p->failed || !hcl_enter(p, t->pos))
        return NULL;
    if (kind == T_OQUOTE || kind == T_NUMBER || kind == T_HEREDOC) {
        /*
         * A literal, as most values are: it has no unary operator, and
         * unless a continuation follows, the operator levels have nothing
         * to add.
         */
        c = parse_primary(p);
        if (c != NULL && continues_expr[hcl_peek(p)->kind])
            c = binary_tail(p, postfix_tail(p, c), 1);
    } else {
        c = parse_binary(p, 1);
    }
    if (c == NULL || !hcl_peek_is(p, T_QUESTION)) {
        hcl_leave(p);
        return c;
    }
    hcl_next(p);
    n = hcl_new_node(p, N_COND, c->pos, c->start);
    n->a = c;
    n->b = hcl_parse_expr_p(p);
    if (n->b == NULL || !hcl_expect(p, T_COLON, "\":\" in the conditional")) {
        hcl_leave(p);
        return NULL;
    }
    n->c = hcl_parse_expr_p(p);
    hcl_leave(p);
    if (n->c == NULL)
        return NULL;
    n->end = n->c->end;
    return n;
}

/* ---- bodies ---- */

void hcl_ast_body_free(struct ast_body *body)
{
    if (body != NULL)
        hcl_arena_free(body->arena);
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

/* A block whose type is the identifier at start..end, after the type. */
static bool parse_block(struct parser *p,
                        struct hcl_pos pos,
                        size_t start,
                        size_t end)
{
    struct ast_block blk;
    size_t cap = 0;

    memset(&blk, 0, sizeof(blk));
    blk.type = hcl_arena_strndup(p->arena, p->src + start, end - start);
    blk.pos = pos;
    for (;;) {
        const struct tok *t = hcl_peek(p);
        struct hcl_pos lpos = t->pos;
        char *label;

        if (t->kind == T_LBRACE)
            break;
        if (t->kind == T_IDENT) {
            hcl_next(p);
            label = hcl_tok_str(p, t);
        } else if (t->kind == T_OQUOTE) {
            struct node *n;

            hcl_next(p);
            n = hcl_parse_quoted(p, lpos, t->start);
            if (n == NULL)
                return false;
            if (n->kind != N_LIT) {
                hcl_perr(p, lpos,
                         "Invalid block label; template sequences "
                         "are not allowed in block labels");
                return false;
            }
            label = n->lit.u.str.s;
        } else if (blk.nlabels > 0 && t->kind != T_ERROR) {
            /* "type \"batch\"" alone: most likely a missing "=". */
            hcl_perr(p, blk.label_pos[0],
                     "Invalid block definition; \"%s\" is followed by a "
                     "label but no \"{\" opens the block (an attribute "
                     "needs \"=\")",
                     blk.type);
            return false;
        } else {
            if (t->kind != T_ERROR)
                hcl_unexpected(p, t, "a block label or \"{\"");
            return false;
        }
        if (blk.nlabels == cap) {
            char **labels;
            struct hcl_pos *lposs;

            /* One more for a NULL after the last, as documents have. */
            cap = cap ? cap * 2 : 2;
            labels = hcl_arena_alloc(p->arena, (cap + 1) * sizeof(*labels));
            lposs = hcl_arena_alloc(p->arena, cap * sizeof(*lposs));
            if (blk.nlabels > 0) {
                memcpy(labels, blk.labels, blk.nlabels * sizeof(*labels));
                memcpy(lposs, blk.label_pos, blk.nlabels * sizeof(*lposs));
            }
            blk.labels = labels;
            blk.label_pos = lposs;
        }
        blk.labels[blk.nlabels] = label;
        blk.label_pos[blk.nlabels++] = lpos;
        blk.labels[blk.nlabels] = NULL;
    }
    if (p->open_blocks++ == 0)
        p->outer_brace = hcl_peek(p)->pos;
    hcl_next(p); /* "{" */
    if (!hcl_enter(p, pos)) {
        p->open_blocks--;
        return false;
    }
    blk.body = parse_body(p, T_RBRACE);
    hcl_leave(p);
    p->open_blocks--;
    if (blk.body == NULL)
        return false;
    if (!hcl_expect(p, T_RBRACE, "\"}\" to close the block"))
        return false;
    if (p->nblocks == p->cap_blocks)
        XGROW(p->blocks, p->cap_blocks, p->nblocks + 1);
    p->blocks[p->nblocks++] = blk;
    return true;
}

/*
 * Attribute names seen in one body, for the redefinition check. Most
 * bodies are small and a scan of the names is cheapest; past this many a
 * hash table keeps a body with thousands of attributes linear.
 */
#define NAMES_SCAN_MAX 16

struct name_set
{
    size_t *slots; /* index + 1 into the attribute stack, 0 when free */
    size_t cap;
};

static size_t name_hash(const char *s)
{
    size_t h = 2166136261u;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void name_set_add(struct name_set *ns,
                         const struct ast_attr *attrs,
                         size_t idx)
{
    size_t mask = ns->cap - 1;
    size_t i = name_hash(attrs[idx].name) & mask;

    while (ns->slots[i] != 0)
        i = (i + 1) & mask;
    ns->slots[i] = idx + 1;
}

/* Makes room for one more name, rehashing the attributes base..end. */
static void name_set_grow(struct name_set *ns,
                          const struct ast_attr *attrs,
                          size_t base,
                          size_t end)
{
    if ((end - base + 1) * 2 <= ns->cap)
        return;
    free(ns->slots);
    ns->cap = ns->cap ? ns->cap * 2 : 64;
    while ((end - base + 1) * 2 > ns->cap)
        ns->cap *= 2;
    ns->slots = xcalloc(ns->cap, sizeof(*ns->slots));
    for (size_t i = base; i < end; i++)
        name_set_add(ns, attrs, i);
}

/* The earlier attribute of the body base.. called name, or NULL. */
static const struct ast_attr *find_attr(const struct parser *p,
                                        const struct name_set *ns,
                                        size_t base,
                                        const char *name)
{
    if (ns->cap == 0) {
        for (size_t i = base; i < p->nattrs; i++)
            if (p->attrs[i].name[0] == name[0] &&
                strcmp(p->attrs[i].name, name) == 0)
                return &p->attrs[i];
        return NULL;
    }
    for (size_t i = name_hash(name) & (ns->cap - 1);;
         i = (i + 1) & (ns->cap - 1)) {
        if (ns->slots[i] == 0)
            return NULL;
        if (strcmp(p->attrs[ns->slots[i] - 1].name, name) == 0)
            return &p->attrs[ns->slots[i] - 1];
    }
}

/*
 * Whether n is "${ref}" with ref a runtime reference: a root that is not
 * var or local, with attribute names after it. Unless an iterator of the
 * same name is in scope, it evaluates to its own text (see runtime_ref()
 * in eval.c). Returns the number of nodes in ref, or 0.
 */
static int runtime_ref_template(const struct node *n)
{
    const struct node *r;
    int count = 1;

    if (n->kind != N_TEMPLATE || n->nkids != 1 || n->kids[0]->kind != N_INTERP)
        return 0;
    for (r = n->kids[0]->a; r->kind == N_GETATTR; r = r->a)
        count++;
    if (r->kind != N_ROOT ||
        (r->name[0] == 'v' && strcmp(r->name, "var") == 0) ||
        (r->name[0] == 'l' && strcmp(r->name, "local") == 0))
        return 0;
    return count;
}

/*
 * The value of n when the parser can tell it already, as evaluation would
 * give it (hcl_eval_doc_value()), and what evaluating it takes; a cost
 * of 0 when it cannot.
 */
static struct ast_lit literal_value(struct parser *p,
                                    const struct node *n,
                                    struct hcl_value *v)
{
    struct ast_lit lit = {0, 0, false};
    int count;

    memset(v, 0, sizeof(*v));
    if (n->kind == N_LIT) {
        *v = n->lit;
        v->pos = n->pos;
        lit.cost = 1;
        lit.depth = 1;
    } else if ((count = runtime_ref_template(n)) > 0) {
        const struct node *part = n->kids[0];

        /* The template, then the reference twice: found unknown, shown. */
        v->type = HCL_STRING;
        v->pos = n->pos;
        v->u.str.len = part->end - part->start;
        v->u.str.s =
            hcl_arena_strndup(p->arena, p->src + part->start, v->u.str.len);
        lit.cost = 1 + 2 * (unsigned long)count;
        lit.depth = 1 + count;
        lit.scoped = true;
    } else if (n->kind == N_LIST) {
        struct hcl_value *items = NULL;

        if (n->nkids > 0)
            items = hcl_arena_alloc(p->arena, n->nkids * sizeof(*items));
        lit.cost = 1;
        for (size_t i = 0; i < n->nkids; i++) {
            struct ast_lit item = literal_value(p, n->kids[i], &items[i]);

            if (item.cost == 0)
                return item;
            lit.cost += item.cost;
            if (item.depth + 1 > lit.depth)
                lit.depth = item.depth + 1;
            lit.scoped = lit.scoped || item.scoped;
        }
        if (lit.depth == 0)
            lit.depth = 1;
        v->type = HCL_LIST;
        v->pos = n->pos;
        v->u.list.items = items;
        v->u.list.n = n->nkids;
    }
    return lit;
}

/* Builds body->doc from the finished body (see struct ast_body). */
static void prefill_doc(struct parser *p, struct ast_body *body)
{
    struct hcl_body *doc = &body->doc;

    doc->nattrs = body->nattrs;
    if (body->nattrs > 0)
        doc->attrs =
            hcl_arena_alloc(p->arena, body->nattrs * sizeof(*doc->attrs));
    body->all_lit = true;
    for (size_t i = 0; i < body->nattrs; i++) {
        struct ast_attr *a = &body->attrs[i];

        doc->attrs[i].name = a->name;
        doc->attrs[i].pos = a->pos;
        a->lit = literal_value(p, a->expr, &doc->attrs[i].value);
        if (a->lit.cost == 0)
            body->all_lit = false;
        body->lit.cost += a->lit.cost;
        if (a->lit.depth > body->lit.depth)
            body->lit.depth = a->lit.depth;
        body->lit.scoped = body->lit.scoped || a->lit.scoped;
    }
    doc->nblocks = body->nblocks;
    if (body->nblocks > 0)
        doc->blocks =
            hcl_arena_alloc(p->arena, body->nblocks * sizeof(*doc->blocks));
    for (size_t i = 0; i < body->nblocks; i++) {
        struct ast_block *b = &body->blocks[i];
        struct hcl_block *db = &doc->blocks[i];

        if (b->nlabels == 0 && p->no_labels == NULL) {
            p->no_labels = hcl_arena_alloc(p->arena, sizeof(*p->no_labels));
            p->no_labels[0] = NULL;
        }
        db->type = b->type;
        db->labels = b->nlabels > 0 ? b->labels : p->no_labels;
        db->nlabels = b->nlabels;
        db->pos = b->pos;
        db->body = &b->body->doc;
        b->leaf = b->body->all_lit && b->body->nblocks == 0;
        b->lit = b->body->lit;
        if (b->type[0] == 'd' && strcmp(b->type, "dynamic") == 0)
            body->has_dynamic = true;
    }
}

/*
 * The value of an attribute when it is a plain quoted string or a small
 * whole number, ending its line: most are. Such a line is read straight
 * from the bytes, leaving the parser as hcl_parse_expr_p() and
 * end_of_item() would have. Returns false, with nothing done, for any
 * other line; else true, with *out the value, or NULL where the nesting
 * bound tripped on it.
 */
static bool literal_line(struct parser *p, struct node **out)
{
    const char *src = p->src;
    size_t len = p->len, start, i, end;
    struct hcl_pos pos;
    struct node *n;
    bool quoted;

    if (p->have_tok || p->failed)
        return false;
    start = p->pos;
    while (start < len && src[start] == ' ')
        start++;
    if (start >= len)
        return false;
    quoted = src[start] == '"';
    if (quoted) {
        end = hcl_quoted_plain_end(src, len, start + 1);
        if (end >= len || src[end] != '"')
            return false;
        end++;
    } else {
        /* Digits only, few enough to be exact; no fraction or exponent. */
        for (end = start; end < len && src[end] >= '0' && src[end] <= '9';)
            end++;
        if (end == start || end - start > 15 ||
            (end < len && (src[end] == '.' || src[end] == 'e' ||
                           src[end] == 'E' || hcl_is_ident_byte(src[end]))))
            return false;
    }
    for (i = end; i < len && src[i] == ' ';)
        i++;
    if (i >= len || src[i] != '\n')
        return false;
    pos.line = p->line;
    pos.col = p->col + (int)(start - p->pos);
    if (!hcl_enter(p, pos)) {
        *out = NULL;
        return true;
    }
    hcl_leave(p);
    n = hcl_new_node(p, N_LIT, pos, start);
    n->end = end;
    if (quoted) {
        n->lit.type = HCL_STRING;
        n->lit.u.str.len = end - start - 2;
        n->lit.u.str.s =
            hcl_arena_strndup(p->arena, src + start + 1, n->lit.u.str.len);
    } else {
        double d = 0;

        for (size_t j = start; j < end; j++)
            d = d * 10 + (src[j] - '0');
        hcl_val_number(&n->lit, d == 0 ? 0 : d);
    }
    n->lit.pos = pos;
    /* The newline ends the attribute: it is consumed, as end_of_item() would.
     */
    p->tok.kind = T_NL;
    p->tok.start = i;
    p->tok.end = i + 1;
    p->tok.pos.line = p->line;
    p->tok.pos.col = p->col + (int)(i - p->pos);
    p->pos = i + 1;
    p->line++;
    p->col = 1;
    p->last_kind = T_NL;
    p->prev_end = i + 1;
    *out = n;
    return true;
}

static struct ast_body *parse_body(struct parser *p, enum tok_kind close)
{
    struct ast_body *body;
    bool saved_nl = p->nl_ignore;
    size_t abase = p->nattrs, bbase = p->nblocks;
    struct name_set names = {NULL, 0};

    p->nl_ignore = false;
    for (;;) {
        const struct tok *t;
        struct hcl_pos tpos;
        size_t tstart, tend;

        while (hcl_peek_is(p, T_NL))
            hcl_next(p);
        t = hcl_peek(p);
        if (t->kind == close)
            break;
        if (t->kind != T_IDENT) {
            /*
             * The outermost open block is reported: with braces out of
             * balance, that is where the reader has to start looking.
             */
            if (t->kind == T_EOF)
                hcl_perr(p, p->outer_brace,
                         "Unclosed configuration block; there is no "
                         "closing brace for this block before the end of "
                         "the file");
            else if (t->kind != T_ERROR)
                hcl_unexpected(p, t, "an attribute or block definition");
            goto fail;
        }
        tpos = t->pos;
        tstart = t->start;
        tend = t->end;
        hcl_next(p);
        if (hcl_peek_is(p, T_ASSIGN)) {
            struct ast_attr a = {NULL, {0, 0}, NULL, {0, 0, false}};
            const struct ast_attr *prev;

            p->assign_pos = hcl_peek(p)->pos;
            p->assign_end = hcl_peek(p)->end;
            hcl_next(p);
            a.name =
                hcl_arena_strndup(p->arena, p->src + tstart, tend - tstart);
            a.pos = tpos;
            prev = find_attr(p, &names, abase, a.name);
            if (prev != NULL) {
                hcl_perr(p, tpos,
                         "Attribute redefined; The argument \"%s\" was "
                         "already set at %s:%d:%d.",
                         a.name, p->file, prev->pos.line, prev->pos.col);
                goto fail;
            }
            if (!literal_line(p, &a.expr)) {
                a.expr = hcl_parse_expr_p(p);
                if (a.expr == NULL || !end_of_item(p, close, "attribute"))
                    goto fail;
            } else if (a.expr == NULL) {
                goto fail;
            }
            if (p->nattrs == p->cap_attrs)
                XGROW(p->attrs, p->cap_attrs, p->nattrs + 1);
            p->attrs[p->nattrs++] = a;
            if (p->nattrs - abase > NAMES_SCAN_MAX) {
                name_set_grow(&names, p->attrs, abase, p->nattrs - 1);
                name_set_add(&names, p->attrs, p->nattrs - 1);
            }
        } else if (hcl_peek_is(p, T_LBRACE) || hcl_peek_is(p, T_IDENT) ||
                   hcl_peek_is(p, T_OQUOTE)) {
            if (!parse_block(p, tpos, tstart, tend) ||
                !end_of_item(p, close, "block"))
                goto fail;
        } else {
            if (!p->failed) {
                char *name = xstrndup(p->src + tstart, tend - tstart);
                char *msg = xasprintf("\"=\" or a block after \"%s\"", name);

                hcl_unexpected(p, hcl_peek(p), msg);
                free(msg);
                free(name);
            }
            goto fail;
        }
    }
    p->nl_ignore = saved_nl;
    /*
     * Allocated last, next to its arrays, which evaluation reads together
     * and which only now have their sizes.
     */
    body = hcl_arena_alloc(p->arena, sizeof(*body));
    memset(body, 0, sizeof(*body));
    body->nattrs = p->nattrs - abase;
    if (body->nattrs > 0) {
        body->attrs =
            hcl_arena_alloc(p->arena, body->nattrs * sizeof(*body->attrs));
        memcpy(body->attrs, p->attrs + abase,
               body->nattrs * sizeof(*body->attrs));
    }
    body->nblocks = p->nblocks - bbase;
    if (body->nblocks > 0) {
        body->blocks =
            hcl_arena_alloc(p->arena, body->nblocks * sizeof(*body->blocks));
        memcpy(body->blocks, p->blocks + bbase,
               body->nblocks * sizeof(*body->blocks));
    }
    prefill_doc(p, body);
    p->nattrs = abase;
    p->nblocks = bbase;
    free(names.slots);
    return body;
fail:
    p->nl_ignore = saved_nl;
    p->nattrs = abase;
    p->nblocks = bbase;
    free(names.slots);
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
    hcl_parser_release(&p);
    if (body == NULL) {
        if (!p.failed)
            hcl_perr(&p, hcl_cur_pos(&p), "Invalid input");
        hcl_arena_free(p.arena);
        return ERR_INVALID;
    }
    body->arena = p.arena;
    *out = body;
    return 0;
}

int hcl_ast_parse_expr(const char *src,
                       size_t len,
                       const char *filename,
                       int max_depth,
                       struct hcl_arena **arena,
                       struct node **out,
                       struct err *err)
{
    struct parser p;
    struct node *n;

    *arena = NULL;
    hcl_parser_init(&p, src, len, filename, max_depth, err);
    p.nl_ignore = true;
    n = hcl_parse_expr_p(&p);
    if (n != NULL && !hcl_peek_is(&p, T_EOF)) {
        if (!p.failed)
            hcl_unexpected(&p, hcl_peek(&p), "the end of the value");
        n = NULL;
    }
    hcl_parser_release(&p);
    if (n == NULL) {
        if (!p.failed)
            hcl_perr(&p, hcl_cur_pos(&p), "Invalid expression");
        hcl_arena_free(p.arena);
        return ERR_INVALID;
    }
    *arena = p.arena;
    *out = n;
    return 0;
}
