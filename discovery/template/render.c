/*
 * Template execution, after Go's text/template/exec.go: walks the tree
 * with a dot value and a stack of variables, writing into a buf.
 *
 * Values follow tv's reference counting: every eval_* returns a new
 * reference (or NULL for Go's "no value"), which its caller drops.
 * Recursion follows the tree, whose nesting the parser bounded, so only
 * the output needs a bound here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template_int.h"
#include "lib/alloc.h"
#include "lib/err.h"

enum { FLOW_BREAK = 1, FLOW_CONTINUE = 2 };

struct var
{
    const char *name;
    struct tv *val;
};

struct render
{
    const struct tmpl *t;
    const struct tmpl_source *src;
    struct buf *out;
    size_t out_start;
    uint64_t steps;
    struct tmpl_deps *deps;
    struct err *err;
    struct var *vars;
    size_t n_vars, cap_vars;
    const struct node *at; /* node being executed, for messages */
    const char *calling;   /* function being called, for messages */
    /* arguments of a lazy function (and, or) */
    const struct node *lazy_cmd;
    struct tv *lazy_dot;
    struct tv *lazy_final;
    bool lazy_has_final;
};

static int eval_pipeline(struct render *r,
                         const struct node *pipe,
                         struct tv *dot,
                         bool declare,
                         struct tv **out);
static int exec_list(struct render *r, const struct node *list, struct tv *dot);

/* ------------------------------------------------------------------ errors */

static int exec_verr(struct render *r, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int exec_verr(struct render *r, int code, const char *fmt, va_list ap)
{
    char msg[1024];
    const struct node *n = r->at;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n == NULL)
        return err_set(r->err, code, "template: %s: %s", r->t->name, msg);
    return err_set(r->err, code,
                   "template: %s:%d:%d: executing \"%s\" at <%.*s>: %s",
                   r->t->name, n->line, n->col, r->t->name,
                   (int)(n->src_len > 60 ? 60 : n->src_len), n->src, msg);
}

static int exec_err(struct render *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int exec_err(struct render *r, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = exec_verr(r, ERR_INVALID, fmt, ap);
    va_end(ap);
    return rc;
}

int tmpl__fail(struct render *r, const char *fmt, ...)
{
    char msg[900];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return exec_err(r, "error calling %s: %s", r->calling, msg);
}

struct err *tmpl__err(struct render *r)
{
    return r->err;
}

const struct tmpl_source *tmpl__source(const struct render *r)
{
    return r->src;
}

/* ------------------------------------------------------------------ deps */

void tmpl_deps_init(struct tmpl_deps *d)
{
    memset(d, 0, sizeof(*d));
}

void tmpl_deps_release(struct tmpl_deps *d)
{
    for (size_t i = 0; i < d->n; i++) {
        struct tmpl_dep *dep = &d->items[i];

        free(dep->key);
        free((char *)dep->query.name);
        free((char *)dep->query.tag);
        free((char *)dep->query.region);
        free((char *)dep->query.choose_key);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void tmpl__dep_add(struct render *r,
                   enum tmpl_dep_kind kind,
                   const char *key,
                   const struct tmpl_service_query *q)
{
    struct tmpl_deps *d = r->deps;
    struct tmpl_dep *dep;

    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++) {
        if (d->items[i].kind == kind && strcmp(d->items[i].key, key) == 0)
            return;
    }
    XGROW(d->items, d->cap, d->n + 1);
    dep = &d->items[d->n++];
    memset(dep, 0, sizeof(*dep));
    dep->kind = kind;
    dep->key = xstrdup(key);
    if (q != NULL) {
        dep->query = *q;
        dep->query.name = dup_or_null(q->name);
        dep->query.tag = dup_or_null(q->tag);
        dep->query.region = dup_or_null(q->region);
        dep->query.choose_key = dup_or_null(q->choose_key);
    }
}

const char *tmpl_dep_string(const struct tmpl_dep *dep, char *out, size_t size)
{
    switch (dep->kind) {
    case TMPL_DEP_ENV:
        snprintf(out, size, "env(%s)", dep->key);
        break;
    case TMPL_DEP_SERVICE:
        snprintf(out, size, "nomad.service(%s)", dep->key);
        break;
    case TMPL_DEP_SERVICES:
        snprintf(out, size, "nomad.services%s%s", *dep->key ? "@" : "",
                 dep->key);
        break;
    }
    return out;
}

/* ------------------------------------------------------------------ vars */

static void var_push(struct render *r, const char *name, struct tv *val)
{
    XGROW(r->vars, r->cap_vars, r->n_vars + 1);
    r->vars[r->n_vars].name = name;
    r->vars[r->n_vars].val = val;
    r->n_vars++;
}

static void var_pop_to(struct render *r, size_t mark)
{
    while (r->n_vars > mark)
        tv_unref(r->vars[--r->n_vars].val);
}

static struct var *var_find(struct render *r, const char *name)
{
    for (size_t i = r->n_vars; i > 0; i--) {
        if (strcmp(r->vars[i - 1].name, name) == 0)
            return &r->vars[i - 1];
    }
    return NULL;
}

/* ------------------------------------------------------------------ output */

static int check_size(struct render *r)
{
    if (r->out->len - r->out_start > r->t->max_output_bytes) {
        r->at = NULL;
        return err_set(r->err, ERR_TOO_BIG,
                       "template: %s: output is larger than %zu bytes",
                       r->t->name, r->t->max_output_bytes);
    }
    return 0;
}

static void print_value(struct buf *out, const struct tv *v)
{
    if (v == NULL) {
        buf_append(out, "<no value>", 10);
        return;
    }
    tmpl__fmt_value(out, v);
}

/* ------------------------------------------------------------------ eval */

/* Applies .A.B to recv (a new reference, consumed). */
static int eval_fields(struct render *r,
                       const struct node *n,
                       struct tv *recv,
                       struct tv **out)
{
    for (size_t i = 0; i < n->n_idents; i++) {
        const char *f = n->idents[i];
        struct tv *next = NULL;

        if (recv == NULL) {
            if (r->t->error_on_missing_key) {
                return exec_err(r, "nil data; no entry for key \"%s\"", f);
            }
            *out = NULL;
            return 0;
        }
        switch (recv->kind) {
        case TV_MAP:
            next = tv_map_get(recv, f);
            if (next == NULL && r->t->error_on_missing_key) {
                tv_unref(recv);
                return exec_err(r, "map has no entry for key \"%s\"", f);
            }
            break;
        case TV_RECORD: {
            struct node *mut = (struct node *)n; /* a cache, not state */
            int idx;

            if (i == 0 && n->cache_shape == recv->u.map.shape) {
                idx = n->cache_field;
            } else {
                idx = tv_shape_field(recv->u.map.shape, f);
                if (i == 0 && idx >= 0) {
                    mut->cache_shape = recv->u.map.shape;
                    mut->cache_field = idx;
                }
            }

            if (idx < 0) {
                int rc = exec_err(r, "can't evaluate field %s in type %s", f,
                                  tv_type_name(recv));

                tv_unref(recv);
                return rc;
            }
            next = recv->u.map.vals[idx];
            break;
        }
        case TV_NIL:
            return exec_err(r, "nil pointer evaluating interface {}.%s", f);
        default: {
            int rc = exec_err(r, "can't evaluate field %s in type %s", f,
                              tv_type_name(recv));

            tv_unref(recv);
            return rc;
        }
        }
        tv_ref(next);
        tv_unref(recv);
        recv = next;
    }
    *out = recv;
    return 0;
}

static int call_func(struct render *r,
                     const struct node *cmd,
                     size_t first,
                     struct tv *dot,
                     struct tv *final,
                     bool has_final,
                     struct tv **out);

/* An argument of a command (not the command word). */
static int eval_arg(struct render *r,
                    const struct node *n,
                    struct tv *dot,
                    struct tv **out)
{
    const struct node *saved = r->at;
    int rc = 0;

    r->at = n;
    switch (n->kind) {
    case N_DOT:
        *out = tv_ref(dot);
        break;
    case N_NIL:
        *out = tv_nil();
        break;
    case N_CONST:
        *out = tv_ref(n->value);
        break;
    case N_FIELD:
        rc = eval_fields(r, n, tv_ref(dot), out);
        break;
    case N_VAR: {
        struct var *v = var_find(r, n->name);

        if (v == NULL)
            return exec_err(r, "undefined variable: %s", n->name);
        rc = eval_fields(r, n, tv_ref(v->val), out);
        break;
    }
    case N_CHAIN: {
        struct tv *base = NULL;

        if (n->pipe->kind == N_PIPE)
            rc = eval_pipeline(r, n->pipe, dot, true, &base);
        else
            rc = eval_arg(r, n->pipe, dot, &base);
        if (rc == 0) {
            r->at = n;
            rc = eval_fields(r, n, base, out);
        }
        break;
    }
    case N_FUNC: {
        struct node fake = {
            .kind = N_CMD, .kids = (struct node **)&n, .n_kids = 1};

        rc = call_func(r, &fake, 0, dot, NULL, false, out);
        break;
    }
    default:
        rc = exec_err(r, "can't handle %.*s", (int)n->src_len, n->src);
        break;
    }
    if (rc == 0)
        r->at = saved;
    return rc;
}

size_t tmpl__lazy_argc(const struct render *r)
{
    return r->lazy_cmd->n_kids - 1 + (r->lazy_has_final ? 1 : 0);
}

int tmpl__eval_arg(struct render *r, size_t i, struct tv **out)
{
    if (i + 1 < r->lazy_cmd->n_kids)
        return eval_arg(r, r->lazy_cmd->kids[i + 1], r->lazy_dot, out);
    *out = tv_ref(r->lazy_final);
    return 0;
}

/* Calls the function cmd->kids[first] with the rest and final as args. */
static int call_func(struct render *r,
                     const struct node *cmd,
                     size_t first,
                     struct tv *dot,
                     struct tv *final,
                     bool has_final,
                     struct tv **out)
{
    const struct node *fn_node = cmd->kids[first];
    const struct func_def *f = fn_node->func;
    size_t argc = cmd->n_kids - first - 1 + (has_final ? 1 : 0);
    struct tv *small[8], **argv = small;
    size_t got = 0;
    int rc = 0;

    r->at = fn_node;
    if ((int)argc < f->min_args ||
        (f->max_args >= 0 && (int)argc > f->max_args)) {
        if (f->min_args == f->max_args)
            return exec_err(r, "wrong number of args for %s: want %d got %zu",
                            f->name, f->min_args, argc);
        return exec_err(r,
                        "wrong number of args for %s: want at least %d got "
                        "%zu",
                        f->name, f->min_args, argc);
    }
    if (f->lazy) {
        const struct node *saved_cmd = r->lazy_cmd;
        struct tv *saved_dot = r->lazy_dot, *saved_final = r->lazy_final;
        bool saved_has = r->lazy_has_final;

        r->lazy_cmd = cmd;
        r->lazy_dot = dot;
        r->lazy_final = final;
        r->lazy_has_final = has_final;
        r->calling = f->name;
        rc = f->fn(r, NULL, argc, out);
        r->lazy_cmd = saved_cmd;
        r->lazy_dot = saved_dot;
        r->lazy_final = saved_final;
        r->lazy_has_final = saved_has;
        return rc;
    }
    if (argc > 8)
        argv = xmalloc(argc * sizeof(*argv));
    for (size_t i = first + 1; i < cmd->n_kids; i++) {
        rc = eval_arg(r, cmd->kids[i], dot, &argv[got]);
        if (rc != 0)
            goto out;
        got++;
    }
    if (has_final)
        argv[got++] = tv_ref(final);
    r->at = fn_node;
    r->calling = f->name;
    rc = f->fn(r, argv, argc, out);
out:
    for (size_t i = 0; i < got; i++)
        tv_unref(argv[i]);
    if (argv != small)
        free(argv);
    return rc;
}

static int eval_command(struct render *r,
                        const struct node *cmd,
                        struct tv *dot,
                        struct tv *final,
                        bool has_final,
                        struct tv **out)
{
    const struct node *word = cmd->kids[0];
    bool has_args = cmd->n_kids > 1 || has_final;

    r->at = word;
    switch (word->kind) {
    case N_FUNC:
        return call_func(r, cmd, 0, dot, final, has_final, out);
    case N_FIELD:
    case N_VAR:
    case N_CHAIN:
        if (has_args && word->n_idents > 0)
            return exec_err(r,
                            "%s has arguments but cannot be invoked as "
                            "function",
                            word->idents[word->n_idents - 1]);
        break;
    case N_NIL:
        return exec_err(r, "nil is not a command");
    default:
        break;
    }
    if (has_args)
        return exec_err(r, "can't give argument to non-function %.*s",
                        (int)word->src_len, word->src);
    return eval_arg(r, word, dot, out);
}

/*
 * Runs the pipeline. With declare, its variables are set to the result:
 * `:=` pushes them (the caller pops at the end of the scope), `=` assigns.
 */
static int eval_pipeline(struct render *r,
                         const struct node *pipe,
                         struct tv *dot,
                         bool declare,
                         struct tv **out)
{
    struct tv *val = NULL;
    bool has = false;

    for (size_t i = 0; i < pipe->n_kids; i++) {
        struct tv *next = NULL;
        int rc = eval_command(r, pipe->kids[i], dot, val, has, &next);

        tv_unref(val);
        if (rc != 0)
            return rc;
        /* Go digs into interface{} after each command ("lovely!" in
         * exec.go): a nil there becomes "no value". */
        if (next != NULL && next->kind == TV_NIL) {
            tv_unref(next);
            next = NULL;
        }
        val = next;
        has = true;
    }
    if (declare && pipe->n_decls > 0) {
        if (pipe->is_assign) {
            struct var *v = var_find(r, pipe->decls[0]);

            if (v == NULL) {
                tv_unref(val);
                return exec_err(r, "undefined variable: %s", pipe->decls[0]);
            }
            tv_unref(v->val);
            v->val = tv_ref(val);
        } else {
            for (size_t i = 0; i < pipe->n_decls; i++)
                var_push(r, pipe->decls[i], tv_ref(val));
        }
    }
    *out = val;
    return 0;
}

/* ------------------------------------------------------------------ blocks */

static int exec_range_item(struct render *r,
                           const struct node *n,
                           struct tv *key,
                           struct tv *elem)
{
    size_t mark = r->n_vars;
    int rc;

    if (n->pipe->n_decls == 1) {
        var_push(r, n->pipe->decls[0], tv_ref(elem));
    } else if (n->pipe->n_decls == 2) {
        var_push(r, n->pipe->decls[0], tv_ref(key));
        var_push(r, n->pipe->decls[1], tv_ref(elem));
    }
    rc = exec_list(r, n->list, elem);
    var_pop_to(r, mark);
    return rc;
}

static int exec_range(struct render *r, const struct node *n, struct tv *dot)
{
    size_t mark = r->n_vars;
    struct tv *val = NULL;
    size_t count = 0;
    int rc;

    rc = eval_pipeline(r, n->pipe, dot, false, &val);
    if (rc != 0)
        return rc;
    r->at = n->pipe;
    if (val == NULL || val->kind == TV_NIL) {
        count = 0;
    } else if (val->kind == TV_LIST) {
        count = val->u.list.n;
        for (size_t i = 0; i < count && rc <= 0; i++) {
            struct tv *key = n->pipe->n_decls == 2 ? tv_int((int64_t)i) : NULL;

            rc = exec_range_item(r, n, key, val->u.list.items[i]);
            tv_unref(key);
            if (rc == FLOW_CONTINUE)
                rc = 0;
            else if (rc == FLOW_BREAK)
                break;
            if (rc != 0)
                break;
        }
    } else if (val->kind == TV_MAP) {
        count = val->u.map.n;
        for (size_t i = 0; i < count; i++) {
            struct tv *key = tv_str(val->u.map.keys[i]);

            rc = exec_range_item(r, n, key, val->u.map.vals[i]);
            tv_unref(key);
            if (rc == FLOW_CONTINUE)
                rc = 0;
            if (rc != 0)
                break;
        }
    } else if (val->kind == TV_INT) {
        count = val->u.i > 0 ? (size_t)val->u.i : 0;
        for (size_t i = 0; i < count; i++) {
            struct tv *key = tv_int((int64_t)i);

            /* Go 1.22: one variable over an int is the index itself. */
            rc = n->pipe->n_decls == 2 ? exec_range_item(r, n, key, key)
                                       : exec_range_item(r, n, key, key);
            tv_unref(key);
            if (rc == FLOW_CONTINUE)
                rc = 0;
            if (rc != 0)
                break;
        }
    } else {
        struct buf b = BUF_INIT;

        tmpl__fmt_value(&b, val);
        rc = exec_err(r, "range can't iterate over %s", buf_str(&b));
        buf_release(&b);
    }
    if (rc == FLOW_BREAK)
        rc = 0;
    if (rc == 0 && count == 0 && n->else_list != NULL)
        rc = exec_list(r, n->else_list, dot);
    tv_unref(val);
    var_pop_to(r, mark);
    return rc;
}

static int exec_if_with(struct render *r, const struct node *n, struct tv *dot)
{
    size_t mark = r->n_vars;
    struct tv *val = NULL;
    int rc;

    rc = eval_pipeline(r, n->pipe, dot, true, &val);
    if (rc == 0) {
        if (tv_truth(val))
            rc = exec_list(r, n->list, n->kind == N_WITH ? val : dot);
        else if (n->else_list != NULL)
            rc = exec_list(r, n->else_list, dot);
    }
    tv_unref(val);
    var_pop_to(r, mark);
    return rc;
}

static int exec_node(struct render *r, const struct node *n, struct tv *dot)
{
    struct tv *val = NULL;
    int rc;

    switch (n->kind) {
    case N_TEXT:
        buf_append(r->out, n->name, n->text_len);
        return check_size(r);
    case N_ACTION:
        rc = eval_pipeline(r, n->pipe, dot, true, &val);
        if (rc != 0)
            return rc;
        if (n->pipe->n_decls == 0)
            print_value(r->out, val);
        tv_unref(val);
        return check_size(r);
    case N_IF:
    case N_WITH:
        return exec_if_with(r, n, dot);
    case N_RANGE:
        return exec_range(r, n, dot);
    case N_BREAK:
        return FLOW_BREAK;
    case N_CONTINUE:
        return FLOW_CONTINUE;
    case N_LIST:
        return exec_list(r, n, dot);
    default:
        r->at = n;
        return exec_err(r, "unknown node");
    }
}

static int exec_list(struct render *r, const struct node *list, struct tv *dot)
{
    if (r->steps++ > r->t->max_steps) {
        r->at = NULL;
        return err_set(r->err, ERR_TOO_BIG,
                       "template: %s: execution took more than %llu steps",
                       r->t->name, (unsigned long long)r->t->max_steps);
    }
    for (size_t i = 0; i < list->n_kids; i++) {
        int rc = exec_node(r, list->kids[i], dot);

        if (rc != 0)
            return rc;
    }
    return 0;
}

int tmpl_render(const struct tmpl *t,
                const struct tmpl_source *src,
                struct tv *dot,
                struct buf *out,
                struct tmpl_deps *deps,
                struct err *err)
{
    static const struct tmpl_source none = {0};
    struct render r = {
        .t = t,
        .src = src ? src : &none,
        .out = out,
        .out_start = out->len,
        .deps = deps,
        .err = err,
    };
    int rc;

    var_push(&r, "$", tv_ref(dot));
    rc = exec_list(&r, t->root, dot);
    var_pop_to(&r, 0);
    free(r.vars);
    return rc > 0 ? 0 : rc;
}
