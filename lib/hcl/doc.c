/*
 * Evaluation of whole documents: bodies and dynamic blocks, variable and
 * locals blocks, -var / -var-file / NOMAD_VAR_ values, and hcl_parse().
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/eval.h"
#include "lib/hcl/hcl_int.h"

/* Evaluation steps allowed per document; stops exponential blow-ups. */
#define EVAL_BUDGET 4000000UL

/* ---- bodies ---- */

static int eval_body(struct eval *e,
                     struct ast_body *ab,
                     struct hcl_body *out,
                     bool top);

static struct hcl_block *push_block(struct eval *e,
                                    struct hcl_body *out,
                                    size_t *cap)
{
    struct hcl_block *blk;

    if (out->nblocks == *cap) {
        /* Only dynamic blocks outgrow the count of the syntax tree. */
        struct hcl_block *blocks;

        *cap = *cap ? *cap * 2 : 4;
        blocks = hcl_arena_alloc(e->arena, *cap * sizeof(*blocks));
        if (out->nblocks > 0)
            memcpy(blocks, out->blocks, out->nblocks * sizeof(*blocks));
        out->blocks = blocks;
    }
    blk = &out->blocks[out->nblocks++];
    memset(blk, 0, sizeof(*blk));
    return blk;
}

static struct hcl_body *new_body(struct eval *e)
{
    struct hcl_body *body = hcl_arena_alloc(e->arena, sizeof(*body));

    memset(body, 0, sizeof(*body));
    return body;
}

static const struct ast_attr *find_ast_attr(const struct ast_body *b,
                                            const char *name)
{
    for (size_t i = 0; i < b->nattrs; i++)
        if (strcmp(b->attrs[i].name, name) == 0)
            return &b->attrs[i];
    return NULL;
}

/* Evaluates the labels = [...] of one dynamic block element. */
static int dynamic_labels(struct eval *e,
                          const struct ast_attr *la,
                          struct hcl_block *blk)
{
    struct hcl_value v = {0};

    if (la == NULL)
        return 0;
    if (hcl_eval_expr(e, la->expr, &v) != 0)
        return -1;
    if (v.type != HCL_LIST) {
        hcl_eerr(e, la->expr->pos,
                 "Invalid dynamic block labels; a list of "
                 "strings is required, not %s",
                 hcl_kind_name(&v));
        hcl_val_free(&v);
        return -1;
    }
    blk->labels =
        hcl_arena_alloc(e->arena, (v.u.list.n + 1) * sizeof(*blk->labels));
    blk->labels[0] = NULL;
    for (size_t i = 0; i < v.u.list.n; i++) {
        struct buf b = BUF_INIT;

        if (!hcl_append_str(&b, &v.u.list.items[i])) {
            hcl_eerr(e, la->expr->pos,
                     "Invalid dynamic block label; a string "
                     "is required, not %s",
                     hcl_kind_name(&v.u.list.items[i]));
            hcl_val_free(&v);
            return -1;
        }
        blk->labels[blk->nlabels++] =
            hcl_arena_strndup(e->arena, buf_str(&b), b.len);
        blk->labels[blk->nlabels] = NULL;
        buf_release(&b);
    }
    hcl_val_free(&v);
    return 0;
}

static int eval_dynamic(struct eval *e,
                        const struct ast_block *ab,
                        struct hcl_body *out,
                        size_t *cap)
{
    const struct ast_attr *fe, *it, *la;
    const struct ast_block *content = NULL;
    const char *itname;
    struct hcl_value coll = {0};
    size_t count;
    int rc = 0;

    if (ab->nlabels != 1) {
        hcl_eerr(e, ab->pos,
                 "Invalid dynamic block; a dynamic block needs "
                 "exactly one label, the type of block to generate");
        return -1;
    }
    for (size_t i = 0; i < ab->body->nattrs; i++) {
        const char *nm = ab->body->attrs[i].name;

        if (strcmp(nm, "for_each") != 0 && strcmp(nm, "iterator") != 0 &&
            strcmp(nm, "labels") != 0) {
            hcl_eerr(
                e, ab->body->attrs[i].pos,
                "Unsupported argument; \"%s\" is not expected in a dynamic "
                "block",
                nm);
            return -1;
        }
    }
    for (size_t i = 0; i < ab->body->nblocks; i++) {
        const struct ast_block *b = &ab->body->blocks[i];

        if (strcmp(b->type, "content") != 0 || content != NULL) {
            hcl_eerr(e, b->pos,
                     "Unsupported block in dynamic block; only one "
                     "\"content\" block is expected, not \"%s\"",
                     b->type);
            return -1;
        }
        content = b;
    }
    fe = find_ast_attr(ab->body, "for_each");
    it = find_ast_attr(ab->body, "iterator");
    la = find_ast_attr(ab->body, "labels");
    if (fe == NULL || content == NULL) {
        hcl_eerr(e, ab->pos, "Invalid dynamic block; \"%s\" is required",
                 fe == NULL ? "for_each" : "content");
        return -1;
    }
    itname = ab->labels[0];
    if (it != NULL) {
        if (it->expr->kind != N_ROOT) {
            hcl_eerr(e, it->expr->pos,
                     "Invalid dynamic iterator name; a bare "
                     "identifier is required");
            return -1;
        }
        itname = it->expr->name;
    }
    if (hcl_eval_expr(e, fe->expr, &coll) != 0)
        return -1;
    if (coll.type != HCL_LIST && coll.type != HCL_OBJECT) {
        hcl_eerr(e, fe->expr->pos,
                 "Invalid dynamic for_each value; a list, set or map is "
                 "required, not %s",
                 hcl_kind_name(&coll));
        hcl_val_free(&coll);
        return -1;
    }
    count = coll.type == HCL_LIST ? coll.u.list.n : coll.u.obj.n;
    for (size_t i = 0; i < count && rc == 0; i++) {
        struct hcl_value iter = {0}, key = {0}, val = {0};
        const struct hcl_value *elem;
        const struct scope *saved = e->scope;
        struct scope s;
        struct hcl_block *blk;

        iter.type = HCL_OBJECT;
        if (coll.type == HCL_LIST) {
            hcl_val_number(&key, (double)i);
            elem = &coll.u.list.items[i];
        } else {
            hcl_val_string(&key, coll.u.obj.items[i].key,
                           strlen(coll.u.obj.items[i].key));
            elem = &coll.u.obj.items[i].value;
        }
        if (!hcl_copy_val(e, ab->pos, &val, elem)) {
            hcl_val_free(&key);
            rc = -1;
            break;
        }
        hcl_obj_push(&iter, xstrdup("key"), ab->pos, &key);
        hcl_obj_push(&iter, xstrdup("value"), ab->pos, &val);
        s.name = itname;
        s.val = &iter;
        s.up = saved;
        e->scope = &s;
        blk = push_block(e, out, cap);
        blk->type = ab->labels[0];
        blk->pos = ab->pos;
        blk->body = new_body(e);
        rc = dynamic_labels(e, la, blk);
        if (rc == 0)
            rc = eval_body(e, content->body, blk->body, false);
        e->scope = saved;
        hcl_val_free(&iter);
    }
    hcl_val_free(&coll);
    return rc;
}

/*
 * Whether prefilled values that take lit to evaluate can be taken as they
 * are: the checks evaluating them would make must all pass, else they are
 * evaluated to fail the same way; and no iterator may shadow a reference.
 */
static bool literals_pass(const struct eval *e, const struct ast_lit *lit)
{
    return !e->failed && e->depth + lit->depth <= e->max_depth &&
           e->budget >= lit->cost && (!lit->scoped || e->scope == NULL);
}

static int eval_body(struct eval *e,
                     struct ast_body *ab,
                     struct hcl_body *out,
                     bool top)
{
    bool fresh = ab->taken;
    size_t cap_blocks = ab->doc.nblocks;
    /* out may be ab->doc itself, whose blocks are replaced below. */
    const struct hcl_block *parsed = ab->doc.blocks;

    /*
     * The doc the parser began is completed in place; a body evaluated
     * again (dynamic content) gets copies, sharing only literal values.
     */
    if (!fresh) {
        ab->taken = true;
        if (out != &ab->doc)
            *out = ab->doc;
    } else {
        memset(out, 0, sizeof(*out));
        out->nattrs = ab->doc.nattrs;
        if (ab->doc.nattrs > 0) {
            out->attrs =
                hcl_arena_alloc(e->arena, ab->doc.nattrs * sizeof(*out->attrs));
            memcpy(out->attrs, ab->doc.attrs,
                   ab->doc.nattrs * sizeof(*out->attrs));
        }
    }
    if (ab->all_lit && literals_pass(e, &ab->lit)) {
        e->budget -= ab->lit.cost;
    } else {
        for (size_t i = 0; i < ab->nattrs; i++) {
            const struct ast_attr *a = &ab->attrs[i];
            struct hcl_value *v = &out->attrs[i].value;

            if (a->lit.cost > 0 && literals_pass(e, &a->lit))
                e->budget -= a->lit.cost;
            else if (hcl_eval_doc_value(e, a->expr, v) != 0)
                return -1;
        }
    }
    if (!fresh && !top && !ab->has_dynamic) {
        /*
         * The blocks are the parser's, each body completed in place; those
         * of leaves need not even be looked at.
         */
        for (size_t i = 0; i < ab->nblocks; i++) {
            struct ast_block *b = &ab->blocks[i];
            int rc = 0;

            if (++e->depth > e->max_depth) {
                hcl_eerr(e, b->pos, "Blocks nested too deeply");
                return -1;
            }
            if (b->leaf && literals_pass(e, &b->lit))
                e->budget -= b->lit.cost;
            else
                rc = eval_body(e, b->body, &b->body->doc, false);
            e->depth--;
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    out->nblocks = 0;
    out->blocks = NULL;
    if (ab->nblocks > 0)
        out->blocks =
            hcl_arena_alloc(e->arena, ab->nblocks * sizeof(*out->blocks));
    for (size_t i = 0; i < ab->nblocks; i++) {
        const struct ast_block *b = &ab->blocks[i];
        struct hcl_block *blk;
        int rc;

        if (top && (strcmp(b->type, "variable") == 0 ||
                    strcmp(b->type, "locals") == 0))
            continue;
        if (b->type[0] == 'd' && strcmp(b->type, "dynamic") == 0) {
            if (++e->depth > e->max_depth) {
                hcl_eerr(e, b->pos, "Blocks nested too deeply");
                return -1;
            }
            rc = eval_dynamic(e, b, out, &cap_blocks);
            e->depth--;
            if (rc != 0)
                return rc;
            continue;
        }
        blk = push_block(e, out, &cap_blocks);
        *blk = parsed[i];
        if (b->body->taken)
            blk->body = new_body(e);
        if (++e->depth > e->max_depth) {
            hcl_eerr(e, b->pos, "Blocks nested too deeply");
            return -1;
        }
        rc = eval_body(e, b->body, blk->body, false);
        e->depth--;
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- variables ---- */

enum var_kind {
    VK_ANY,
    VK_STRING,
    VK_NUMBER,
    VK_BOOL,
    VK_COLLECTION,
};

struct var_def
{
    const char *name;
    struct hcl_pos pos;
    enum var_kind kind;
    const struct node *def;
    bool set;
    struct hcl_value val;
};

struct vars
{
    struct var_def *defs;
    size_t n, cap;
};

static void vars_free(struct vars *vs)
{
    for (size_t i = 0; i < vs->n; i++)
        hcl_val_free(&vs->defs[i].val);
    free(vs->defs);
}

static struct var_def *vars_find(struct vars *vs, const char *name)
{
    for (size_t i = 0; i < vs->n; i++)
        if (strcmp(vs->defs[i].name, name) == 0)
            return &vs->defs[i];
    return NULL;
}

static enum var_kind type_kind(const struct node *t)
{
    const char *nm;

    if (t == NULL)
        return VK_ANY;
    if (t->kind == N_LIT && t->lit.type == HCL_STRING)
        nm = t->lit.u.str.s; /* the legacy quoted form, type = "string" */
    else if (t->kind == N_ROOT || t->kind == N_CALL)
        nm = t->name;
    else
        return VK_ANY;
    if (t->kind == N_CALL)
        return VK_COLLECTION;
    if (strcmp(nm, "string") == 0)
        return VK_STRING;
    if (strcmp(nm, "number") == 0)
        return VK_NUMBER;
    if (strcmp(nm, "bool") == 0)
        return VK_BOOL;
    if (strcmp(nm, "list") == 0 || strcmp(nm, "map") == 0 ||
        strcmp(nm, "set") == 0)
        return VK_COLLECTION;
    return VK_ANY;
}

static struct eval eval_init(const char *file,
                             const char *src,
                             const struct hcl_options *opts,
                             int max_depth,
                             unsigned long *budget,
                             struct err *err)
{
    struct eval e;

    memset(&e, 0, sizeof(e));
    e.file = file;
    e.src = src;
    e.err = err;
    e.max_depth = max_depth * 16 + 64;
    e.max_value_depth = max_depth * 4;
    e.budget = *budget;
    e.fx.allow_file = opts != NULL && opts->allow_file_functions;
    e.fx.budget = &e.budget;
    return e;
}

/*
 * Converts v to the declared kind, as Terraform-style type constraints do
 * for the primitive types; collections are only checked for shape.
 */
static int convert_kind(struct eval *e,
                        struct hcl_pos pos,
                        const char *name,
                        enum var_kind kind,
                        struct hcl_value *v)
{
    double d;
    bool b;
    struct buf sb = BUF_INIT;

    if (v->type == HCL_NULL || v->type == HCL_UNKNOWN)
        return 0;
    switch (kind) {
    case VK_NUMBER:
        if (!hcl_to_number(v, &d))
            break;
        hcl_val_free(v);
        hcl_val_number(v, d);
        return 0;
    case VK_BOOL:
        if (!hcl_to_bool(v, &b))
            break;
        hcl_val_free(v);
        hcl_val_bool(v, b);
        return 0;
    case VK_STRING:
        if (!hcl_append_str(&sb, v))
            break;
        hcl_val_free(v);
        hcl_val_string(v, buf_str(&sb), sb.len);
        buf_release(&sb);
        return 0;
    case VK_COLLECTION:
        if (v->type != HCL_LIST && v->type != HCL_OBJECT)
            break;
        return 0;
    default:
        return 0;
    }
    hcl_eerr(e, pos,
             "Invalid value for variable; the value given for \"%s\" "
             "is a %s, which does not match the type of the variable",
             name, hcl_kind_name(v));
    return -1;
}

/* Interprets a -var or NOMAD_VAR_ string against the variable's type. */
static int var_from_string(struct eval *e,
                           struct var_def *d,
                           const char *what,
                           const char *s,
                           const struct hcl_options *opts,
                           int max_depth)
{
    struct hcl_value v = {0};
    double num;

    switch (d->kind) {
    case VK_NUMBER:
        if (!hcl_parse_number(s, strlen(s), &num)) {
            hcl_eerr(e, d->pos,
                     "Invalid value for variable; %s for \"%s\" must "
                     "be a number, not \"%s\"",
                     what, d->name, s);
            return -1;
        }
        hcl_val_number(&v, num);
        break;
    case VK_BOOL:
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
            hcl_eerr(e, d->pos,
                     "Invalid value for variable; %s for \"%s\" must "
                     "be true or false, not \"%s\"",
                     what, d->name, s);
            return -1;
        }
        hcl_val_bool(&v, s[0] == 't');
        break;
    case VK_COLLECTION: {
        struct node *n = NULL;
        struct hcl_arena *arena = NULL;
        char *fname = xasprintf("<value for var.%s>", d->name);
        struct eval sub =
            eval_init(fname, s, opts, max_depth, &e->budget, e->err);
        int rc = hcl_ast_parse_expr(s, strlen(s), fname, max_depth, &arena, &n,
                                    e->err);

        if (rc == 0)
            rc = hcl_eval_expr(&sub, n, &v);
        hcl_arena_free(arena);
        free(fname);
        e->budget = sub.budget;
        if (rc != 0) {
            e->failed = true;
            return -1;
        }
        hcl_finalize(&v);
        if (convert_kind(e, d->pos, d->name, d->kind, &v) != 0) {
            hcl_val_free(&v);
            return -1;
        }
        break;
    }
    default:
        hcl_val_string(&v, s, strlen(s));
        break;
    }
    hcl_val_free(&d->val);
    d->val = v;
    d->val.pos = d->pos;
    d->set = true;
    return 0;
}

static int load_var_file(struct eval *e,
                         struct vars *vs,
                         const char *path,
                         const struct hcl_options *opts,
                         int max_depth)
{
    struct buf b = BUF_INIT;
    struct ast_body *body = NULL;
    struct eval sub;
    int rc = buf_read_file(&b, path, e->err);

    if (rc != 0) {
        e->failed = true;
        buf_release(&b);
        return rc;
    }
    rc = hcl_ast_parse(buf_str(&b), b.len, path, max_depth, &body, e->err);
    if (rc != 0) {
        e->failed = true;
        buf_release(&b);
        return rc;
    }
    sub = eval_init(path, buf_str(&b), opts, max_depth, &e->budget, e->err);
    for (size_t i = 0; i < body->nattrs && rc == 0; i++) {
        const struct ast_attr *a = &body->attrs[i];
        struct var_def *d = vars_find(vs, a->name);
        struct hcl_value v = {0};

        /* Values for undeclared variables are ignored, as Nomad does. */
        if (d == NULL)
            continue;
        if (hcl_eval_expr(&sub, a->expr, &v) != 0) {
            rc = ERR_INVALID;
            break;
        }
        hcl_finalize(&v);
        if (convert_kind(&sub, a->pos, a->name, d->kind, &v) != 0) {
            hcl_val_free(&v);
            rc = ERR_INVALID;
            break;
        }
        hcl_val_free(&d->val);
        d->val = v;
        d->set = true;
    }
    if (rc != 0)
        e->failed = true;
    e->budget = sub.budget;
    hcl_ast_body_free(body);
    buf_release(&b);
    return rc;
}

static int collect_vars(struct eval *e,
                        const struct ast_body *top,
                        struct vars *vs)
{
    for (size_t i = 0; i < top->nblocks; i++) {
        const struct ast_block *b = &top->blocks[i];
        const struct ast_attr *t, *def;
        struct var_def *prev, *d;

        if (strcmp(b->type, "variable") != 0)
            continue;
        if (b->nlabels != 1) {
            hcl_eerr(e, b->pos,
                     "Invalid variable block; a variable block needs "
                     "exactly one label, the variable name");
            return -1;
        }
        prev = vars_find(vs, b->labels[0]);
        if (prev != NULL) {
            hcl_eerr(e, b->pos,
                     "Duplicate variable declaration; a variable named \"%s\" "
                     "was already declared at %s:%d:%d",
                     b->labels[0], e->file, prev->pos.line, prev->pos.col);
            return -1;
        }
        t = find_ast_attr(b->body, "type");
        def = find_ast_attr(b->body, "default");
        XGROW(vs->defs, vs->cap, vs->n + 1);
        d = &vs->defs[vs->n++];
        memset(d, 0, sizeof(*d));
        d->name = b->labels[0];
        d->pos = b->pos;
        d->kind = type_kind(t != NULL ? t->expr : NULL);
        d->def = def != NULL ? def->expr : NULL;
    }
    return 0;
}

static int collect_locals(struct eval *e, const struct ast_body *top)
{
    size_t cap = 0;

    for (size_t i = 0; i < top->nblocks; i++) {
        const struct ast_block *b = &top->blocks[i];

        if (strcmp(b->type, "locals") != 0)
            continue;
        if (b->nlabels != 0) {
            hcl_eerr(e, b->pos,
                     "Invalid locals block; a locals block takes no "
                     "labels");
            return -1;
        }
        if (b->body->nblocks > 0) {
            hcl_eerr(e, b->body->blocks[0].pos,
                     "Unexpected block in locals; "
                     "only attributes are allowed");
            return -1;
        }
        for (size_t j = 0; j < b->body->nattrs; j++) {
            const struct ast_attr *a = &b->body->attrs[j];
            struct local_def *l;

            for (size_t k = 0; k < e->nlocals; k++) {
                if (strcmp(e->locals[k].name, a->name) == 0) {
                    hcl_eerr(e, a->pos,
                             "Duplicate local value definition; a local value "
                             "named \"%s\" was already defined at %s:%d:%d",
                             a->name, e->file, e->locals[k].pos.line,
                             e->locals[k].pos.col);
                    return -1;
                }
            }
            XGROW(e->locals, cap, e->nlocals + 1);
            l = &e->locals[e->nlocals++];
            memset(l, 0, sizeof(*l));
            l->name = a->name;
            l->pos = a->pos;
            l->expr = a->expr;
        }
    }
    return 0;
}

/* Works out every variable's value: default, env, var files, -var. */
static int resolve_vars(struct eval *e,
                        struct vars *vs,
                        const struct hcl_options *opts,
                        int max_depth,
                        struct hcl_value *obj)
{
    int rc;

    for (size_t i = 0; i < vs->n; i++) {
        struct var_def *d = &vs->defs[i];

        if (d->def == NULL)
            continue;
        if (hcl_eval_expr(e, d->def, &d->val) != 0)
            return ERR_INVALID;
        hcl_finalize(&d->val);
        if (convert_kind(e, d->def->pos, d->name, d->kind, &d->val) != 0)
            return ERR_INVALID;
        d->set = true;
    }
    if (opts != NULL && opts->use_env) {
        for (size_t i = 0; i < vs->n; i++) {
            char *envname = xasprintf("NOMAD_VAR_%s", vs->defs[i].name);
            const char *s = getenv(envname);

            free(envname);
            if (s != NULL && var_from_string(e, &vs->defs[i], "the environment",
                                             s, opts, max_depth) != 0)
                return ERR_INVALID;
        }
    }
    for (size_t i = 0; opts != NULL && i < opts->nvar_files; i++) {
        rc = load_var_file(e, vs, opts->var_files[i], opts, max_depth);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; opts != NULL && i < opts->nvars; i++) {
        const struct hcl_var *hv = &opts->vars[i];
        struct var_def *d;
        struct hcl_pos p1 = {1, 1};

        if (hv->name == NULL || hv->value == NULL)
            continue;
        d = vars_find(vs, hv->name);
        if (d == NULL) {
            hcl_eerr(e, p1,
                     "Undeclared input variable; a value for \"%s\" was given "
                     "with -var, but no variable named \"%s\" is declared",
                     hv->name, hv->name);
            return ERR_INVALID;
        }
        if (var_from_string(e, d, "-var", hv->value, opts, max_depth) != 0)
            return ERR_INVALID;
    }
    memset(obj, 0, sizeof(*obj));
    obj->type = HCL_OBJECT;
    for (size_t i = 0; i < vs->n; i++) {
        struct var_def *d = &vs->defs[i];

        if (!d->set) {
            hcl_eerr(
                e, d->pos,
                "No value for required variable; The root module input "
                "variable \"%s\" is not set, and has no default value. Use "
                "a -var or -var-file command line argument to provide a "
                "value for this variable.",
                d->name);
            return ERR_INVALID;
        }
        hcl_obj_push(obj, xstrdup(d->name), d->pos, &d->val);
    }
    return 0;
}

int hcl_parse(const char *src,
              size_t len,
              const char *filename,
              const struct hcl_options *opts,
              struct hcl_doc **out,
              struct err *err)
{
    int max_depth = opts != NULL && opts->max_depth > 0 ? opts->max_depth : 64;
    unsigned long budget = EVAL_BUDGET;
    struct ast_body *ast = NULL;
    struct vars vs = {NULL, 0, 0};
    struct hcl_value varobj = {0};
    struct hcl_doc *doc = NULL;
    struct eval e;
    int rc;

    *out = NULL;
    if (filename == NULL)
        filename = "<input>";
    if (src == NULL)
        src = "";
    rc = hcl_ast_parse(src, len, filename, max_depth, &ast, err);
    if (rc != 0)
        return rc;
    e = eval_init(filename, src, opts, max_depth, &budget, err);
    /* Everything but an unreadable var file (-errno) is ERR_INVALID. */
    rc = collect_vars(&e, ast, &vs) == 0 && collect_locals(&e, ast) == 0
             ? 0
             : ERR_INVALID;
    if (rc == 0)
        rc = resolve_vars(&e, &vs, opts, max_depth, &varobj);
    if (rc == 0) {
        e.vars = &varobj;
        for (size_t i = 0; i < e.nlocals && rc == 0; i++) {
            struct local_def *l = &e.locals[i];

            if (l->state == LOCAL_PENDING) {
                l->state = LOCAL_BUSY;
                if (hcl_eval_expr(&e, l->expr, &l->val) != 0)
                    rc = ERR_INVALID;
                l->state = LOCAL_DONE;
            }
        }
    }
    if (rc == 0) {
        struct hcl_doc_impl *di = hcl_arena_alloc(ast->arena, sizeof(*di));

        memset(di, 0, sizeof(*di));
        di->arena = ast->arena;
        doc = &di->doc;
        doc->filename =
            hcl_arena_strndup(di->arena, filename, strlen(filename));
        e.arena = di->arena;
        if (eval_body(&e, ast, &doc->body, true) != 0)
            rc = ERR_INVALID;
    }
    if (rc != 0) {
        if (!e.failed && rc == ERR_INVALID)
            hcl_eerr(&e, (struct hcl_pos){1, 1}, "Invalid input");
        doc = NULL;
    }
    for (size_t i = 0; i < e.nlocals; i++)
        hcl_val_free(&e.locals[i].val);
    free(e.locals);
    buf_release(&e.scratch);
    hcl_val_free(&varobj);
    vars_free(&vs);
    /* A document keeps the tree's arena, which holds both. */
    if (doc == NULL)
        hcl_ast_body_free(ast);
    *out = doc;
    return rc;
}

int hcl_parse_file(const char *path,
                   const struct hcl_options *opts,
                   struct hcl_doc **out,
                   struct err *err)
{
    struct buf b = BUF_INIT;
    int rc;

    *out = NULL;
    rc = buf_read_file(&b, path, err);
    if (rc != 0) {
        buf_release(&b);
        return rc;
    }
    rc = hcl_parse(buf_str(&b), b.len, path, opts, out, err);
    buf_release(&b);
    return rc;
}
