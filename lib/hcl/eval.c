/*
 * Evaluation of HCL expressions and string templates.
 *
 * References whose root is not var, local or an iterator are Nomad's
 * runtime interpolations. They evaluate to "unknown" values that carry
 * their source text, anything computed from them is unknown too, and each
 * becomes the literal "${...}" text once the value leaves the evaluator.
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

void hcl_eerr(struct eval *e, struct hcl_pos pos, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (e->failed)
        return;
    e->failed = true;
    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    err_set(e->err, ERR_INVALID, "%s:%d:%d: %s", e->file, pos.line, pos.col,
            msg);
    free(msg);
}

/* Charges cost steps; false (with an error) once the budget is spent. */
bool hcl_charge(struct eval *e, struct hcl_pos pos, unsigned long cost)
{
    if (cost > e->budget) {
        e->budget = 0;
        hcl_eerr(e, pos,
                 "Evaluation too expensive; the configuration needs "
                 "more work than allowed to evaluate");
        return false;
    }
    e->budget -= cost;
    return true;
}

/* Size of v in budget units, stopping early once it exceeds limit. */
unsigned long hcl_val_cost(const struct hcl_value *v, unsigned long limit)
{
    unsigned long c = 1;

    switch ((int)v->type) {
    case HCL_STRING:
    case HCL_UNKNOWN:
        c += (unsigned long)(v->u.str.len / 8);
        break;
    case HCL_LIST:
        for (size_t i = 0; i < v->u.list.n && c <= limit; i++)
            c += hcl_val_cost(&v->u.list.items[i], limit);
        break;
    case HCL_OBJECT:
        for (size_t i = 0; i < v->u.obj.n && c <= limit; i++)
            c += hcl_val_cost(&v->u.obj.items[i].value, limit) + 1;
        break;
    default:
        break;
    }
    return c;
}

/* Whether v nests more than left levels deep. */
static bool too_deep(const struct hcl_value *v, int left)
{
    if (v->type != HCL_LIST && v->type != HCL_OBJECT)
        return false;
    if (left <= 0)
        return true;
    for (size_t i = 0; v->type == HCL_LIST && i < v->u.list.n; i++)
        if (too_deep(&v->u.list.items[i], left - 1))
            return true;
    for (size_t i = 0; v->type == HCL_OBJECT && i < v->u.obj.n; i++)
        if (too_deep(&v->u.obj.items[i].value, left - 1))
            return true;
    return false;
}

bool hcl_copy_val(struct eval *e,
                  struct hcl_pos pos,
                  struct hcl_value *dst,
                  const struct hcl_value *src)
{
    if (!hcl_charge(e, pos, hcl_val_cost(src, e->budget + 1)))
        return false;
    /*
     * Values only grow deeper by being referenced from other values, so
     * checking here keeps chains of locals from nesting without bound.
     */
    if (too_deep(src, e->max_value_depth)) {
        hcl_eerr(e, pos, "Value nested too deeply; more than %d levels",
                 e->max_value_depth);
        return false;
    }
    hcl_val_copy(dst, src);
    return true;
}

const char *hcl_kind_name(const struct hcl_value *v)
{
    return v->type == HCL_UNKNOWN ? "runtime reference"
                                  : hcl_type_name(v->type);
}

static void mk_unknown(struct eval *e,
                       const struct node *n,
                       struct hcl_value *out)
{
    memset(out, 0, sizeof(*out));
    hcl_val_string(out, e->src + n->start, n->end - n->start);
    out->type = HCL_UNKNOWN;
    out->pos = n->pos;
}

/* Turns every unknown in v into its "${...}" string. */
void hcl_finalize(struct hcl_value *v)
{
    switch ((int)v->type) {
    case HCL_UNKNOWN: {
        char *s = xasprintf("${%s}", v->u.str.s);

        free(v->u.str.s);
        v->type = HCL_STRING;
        v->u.str.s = s;
        v->u.str.len = strlen(s);
        break;
    }
    case HCL_LIST:
        for (size_t i = 0; i < v->u.list.n; i++)
            hcl_finalize(&v->u.list.items[i]);
        break;
    case HCL_OBJECT:
        for (size_t i = 0; i < v->u.obj.n; i++)
            hcl_finalize(&v->u.obj.items[i].value);
        break;
    default:
        break;
    }
}

/*
 * The bookkeeping hcl_eval_expr() does on entering node n: the depth
 * bound and one step of the budget. On success the caller must decrement
 * e->depth once done with n. Shortcuts that skip hcl_eval_expr() call it
 * as often as the long way would, so limits trip at the same place.
 */
static bool eval_enter(struct eval *e, const struct node *n)
{
    if (e->failed)
        return false;
    if (++e->depth > e->max_depth) {
        hcl_eerr(e, n->pos,
                 "Expression nested too deeply; more than %d "
                 "levels while evaluating",
                 e->max_depth);
        e->depth--;
        return false;
    }
    if (!hcl_charge(e, n->pos, 1)) {
        e->depth--;
        return false;
    }
    return true;
}

static bool in_scope(const struct eval *e, const char *name)
{
    for (const struct scope *s = e->scope; s != NULL; s = s->up)
        if (strcmp(s->name, name) == 0)
            return true;
    return false;
}

/*
 * Whether n is a reference for Nomad to resolve (NOMAD_PORT_http,
 * attr.kernel.name): a root that is neither var, local nor an iterator,
 * with attribute names after it. Such a node evaluates to an unknown
 * carrying its own source text, which callers can use without building
 * the value. Returns the number of nodes evaluating it would enter, or 0.
 */
static int runtime_ref(const struct eval *e, const struct node *n)
{
    int count = 1;

    while (n->kind == N_GETATTR) {
        n = n->a;
        count++;
    }
    if (n->kind != N_ROOT || strcmp(n->name, "var") == 0 ||
        strcmp(n->name, "local") == 0 || in_scope(e, n->name))
        return 0;
    return count;
}

/* Enters the count nodes of a runtime reference as evaluating it would. */
static bool enter_runtime_ref(struct eval *e, const struct node *n, int count)
{
    int entered = 0;
    bool ok = true;

    for (; entered < count; entered++, n = n->a) {
        if (!eval_enter(e, n)) {
            ok = false;
            break;
        }
    }
    e->depth -= entered;
    return ok;
}

/* ---- conversions ---- */

bool hcl_to_number(const struct hcl_value *v, double *d)
{
    if (v->type == HCL_NUMBER) {
        *d = v->u.num;
        return true;
    }
    if (v->type == HCL_STRING)
        return hcl_parse_number(v->u.str.s, v->u.str.len, d);
    return false;
}

bool hcl_to_bool(const struct hcl_value *v, bool *b)
{
    if (v->type == HCL_BOOL) {
        *b = v->u.b;
        return true;
    }
    if (v->type == HCL_STRING && strcmp(v->u.str.s, "true") == 0) {
        *b = true;
        return true;
    }
    if (v->type == HCL_STRING && strcmp(v->u.str.s, "false") == 0) {
        *b = false;
        return true;
    }
    return false;
}

/* Appends a primitive's string form; false for null and collections. */
bool hcl_append_str(struct buf *b, const struct hcl_value *v)
{
    switch ((int)v->type) {
    case HCL_STRING:
        buf_append(b, v->u.str.s, v->u.str.len);
        return true;
    case HCL_NUMBER:
        hcl_fmt_number(b, v->u.num);
        return true;
    case HCL_BOOL:
        buf_puts(b, v->u.b ? "true" : "false");
        return true;
    default:
        return false;
    }
}

/* ---- references ---- */

static int eval_local(struct eval *e,
                      const struct node *n,
                      const char *name,
                      struct hcl_value *out)
{
    for (size_t i = 0; i < e->nlocals; i++) {
        struct local_def *l = &e->locals[i];
        int rc;

        if (strcmp(l->name, name) != 0)
            continue;
        if (l->state == LOCAL_BUSY) {
            hcl_eerr(e, n->pos,
                     "Cycle in local values; local.%s refers to itself, "
                     "directly or through other locals",
                     name);
            return -1;
        }
        if (l->state == LOCAL_PENDING) {
            l->state = LOCAL_BUSY;
            rc = hcl_eval_expr(e, l->expr, &l->val);
            if (rc != 0)
                return rc;
            l->state = LOCAL_DONE;
        }
        if (!hcl_copy_val(e, n->pos, out, &l->val))
            return -1;
        return 0;
    }
    hcl_eerr(e, n->pos,
             "Reference to undeclared local value; a local value with the name "
             "\"%s\" has not been declared",
             name);
    return -1;
}

static int eval_getattr(struct eval *e,
                        const struct node *n,
                        struct hcl_value *out)
{
    struct hcl_value obj = {0};
    const struct hcl_value *v;
    int rc;

    if (n->a->kind == N_ROOT) {
        const char *root = n->a->name;
        bool scoped = false;

        for (const struct scope *s = e->scope; s != NULL; s = s->up)
            if (strcmp(s->name, root) == 0)
                scoped = true;
        if (!scoped && strcmp(root, "local") == 0) {
            if (e->vars == NULL) {
                hcl_eerr(e, n->pos,
                         "Variables not allowed; local values may "
                         "not be used here");
                return -1;
            }
            return eval_local(e, n, n->name, out);
        }
        if (!scoped && strcmp(root, "var") == 0) {
            if (e->vars == NULL) {
                hcl_eerr(e, n->pos,
                         "Variables not allowed; variables may not "
                         "be used here");
                return -1;
            }
            v = hcl_obj_get(e->vars, n->name, strlen(n->name));
            if (v == NULL) {
                hcl_eerr(e, n->pos,
                         "Reference to undeclared input variable; an input "
                         "variable with the name \"%s\" has not been declared",
                         n->name);
                return -1;
            }
            return hcl_copy_val(e, n->pos, out, v) ? 0 : -1;
        }
    }
    rc = hcl_eval_expr(e, n->a, &obj);
    if (rc != 0)
        return rc;
    if (obj.type == HCL_UNKNOWN) {
        hcl_val_free(&obj);
        mk_unknown(e, n, out);
        return 0;
    }
    if (obj.type != HCL_OBJECT) {
        hcl_eerr(e, n->pos,
                 "Unsupported attribute; can't access attribute \"%s\" on a "
                 "%s value",
                 n->name, hcl_kind_name(&obj));
        hcl_val_free(&obj);
        return -1;
    }
    v = hcl_obj_get(&obj, n->name, strlen(n->name));
    if (v == NULL) {
        hcl_eerr(e, n->pos,
                 "Unsupported attribute; this object does not have an "
                 "attribute named \"%s\"",
                 n->name);
        hcl_val_free(&obj);
        return -1;
    }
    *out = *v;
    memset((struct hcl_value *)v, 0, sizeof(*v));
    hcl_val_free(&obj);
    return 0;
}

static int eval_index(struct eval *e,
                      const struct node *n,
                      struct hcl_value *out)
{
    struct hcl_value coll = {0}, key = {0};
    int rc = hcl_eval_expr(e, n->a, &coll);

    if (rc == 0)
        rc = hcl_eval_expr(e, n->b, &key);
    if (rc != 0)
        goto done;
    if (coll.type == HCL_UNKNOWN || key.type == HCL_UNKNOWN) {
        mk_unknown(e, n, out);
    } else if (coll.type == HCL_LIST) {
        double d;

        if (!hcl_to_number(&key, &d) || d != trunc(d) || d < 0 ||
            d >= (double)coll.u.list.n) {
            char *ks = hcl_value_to_string(&key);

            hcl_eerr(e, n->b->pos,
                     "Invalid index; the given key %s%s%s does not identify an "
                     "element in this list of %zu",
                     ks ? "\"" : "", ks ? ks : hcl_kind_name(&key),
                     ks ? "\"" : "", coll.u.list.n);
            free(ks);
            rc = -1;
        } else {
            *out = coll.u.list.items[(size_t)d];
            memset(&coll.u.list.items[(size_t)d], 0, sizeof(*out));
        }
    } else if (coll.type == HCL_OBJECT) {
        struct buf kb = BUF_INIT;
        struct hcl_value *v = NULL;

        if (hcl_append_str(&kb, &key))
            v = hcl_obj_get(&coll, buf_str(&kb), kb.len);
        if (v == NULL) {
            hcl_eerr(e, n->b->pos,
                     "Invalid index; the given key \"%s\" does not identify an "
                     "element in this object",
                     buf_str(&kb));
            rc = -1;
        } else {
            *out = *v;
            memset(v, 0, sizeof(*v));
        }
        buf_release(&kb);
    } else {
        hcl_eerr(e, n->pos, "Invalid index; a %s value can't be indexed",
                 hcl_kind_name(&coll));
        rc = -1;
    }
done:
    hcl_val_free(&coll);
    hcl_val_free(&key);
    return rc;
}

static int eval_splat(struct eval *e,
                      const struct node *n,
                      struct hcl_value *out)
{
    struct hcl_value src = {0};
    const struct hcl_value *saved = e->splat;
    int rc = hcl_eval_expr(e, n->a, &src);

    if (rc != 0)
        return rc;
    if (src.type == HCL_UNKNOWN) {
        hcl_val_free(&src);
        mk_unknown(e, n, out);
        return 0;
    }
    memset(out, 0, sizeof(*out));
    out->type = HCL_LIST;
    if (src.type == HCL_NULL) {
        return 0;
    }
    if (src.type != HCL_LIST) {
        /* A single value splats as a list of one. */
        struct hcl_value one = {0};

        one.type = HCL_LIST;
        hcl_list_push(&one, &src);
        src = one;
    }
    for (size_t i = 0; i < src.u.list.n && rc == 0; i++) {
        struct hcl_value item = {0};

        e->splat = &src.u.list.items[i];
        rc = hcl_eval_expr(e, n->b, &item);
        if (rc == 0)
            hcl_list_push(out, &item);
    }
    e->splat = saved;
    hcl_val_free(&src);
    if (rc != 0)
        hcl_val_free(out);
    return rc;
}

static int eval_root(struct eval *e,
                     const struct node *n,
                     struct hcl_value *out)
{
    for (const struct scope *s = e->scope; s != NULL; s = s->up)
        if (strcmp(s->name, n->name) == 0)
            return hcl_copy_val(e, n->pos, out, s->val) ? 0 : -1;
    if (strcmp(n->name, "var") == 0 && e->vars != NULL)
        return hcl_copy_val(e, n->pos, out, e->vars) ? 0 : -1;
    if (strcmp(n->name, "local") == 0 || strcmp(n->name, "var") == 0) {
        hcl_eerr(e, n->pos,
                 "Invalid reference; a reference to \"%s\" must be followed by "
                 "an attribute name",
                 n->name);
        return -1;
    }
    /* Anything else is for Nomad to resolve at run time. */
    mk_unknown(e, n, out);
    return 0;
}

/* ---- templates ---- */

static int render_seq(struct eval *e, const struct node *seq, struct buf *b);

static int render_interp(struct eval *e, const struct node *part, struct buf *b)
{
    struct hcl_value v = {0};
    int count = runtime_ref(e, part->a);
    int rc;

    if (count > 0) {
        if (!enter_runtime_ref(e, part->a, count))
            return -1;
        buf_append(b, e->src + part->start, part->end - part->start);
        return 0;
    }
    rc = hcl_eval_expr(e, part->a, &v);
    if (rc != 0)
        return rc;
    if (v.type == HCL_UNKNOWN) {
        const struct node *x = part->a;

        /*
         * Written right here, the reference keeps its own spelling; one
         * that arrived through a local is re-wrapped around its text.
         */
        if (v.u.str.len == x->end - x->start &&
            memcmp(v.u.str.s, e->src + x->start, v.u.str.len) == 0)
            buf_append(b, e->src + part->start, part->end - part->start);
        else
            buf_printf(b, "${%s}", v.u.str.s);
    } else if (!hcl_append_str(b, &v)) {
        hcl_eerr(e, part->a->pos,
                 "Invalid template interpolation value; cannot include a %s "
                 "value in a string template: string required",
                 hcl_kind_name(&v));
        rc = -1;
    }
    hcl_val_free(&v);
    return rc;
}

static int render_tfor(struct eval *e, const struct node *part, struct buf *b)
{
    struct hcl_value coll = {0};
    int rc = hcl_eval_expr(e, part->a, &coll);
    size_t n;

    if (rc != 0)
        return rc;
    if (coll.type != HCL_LIST && coll.type != HCL_OBJECT) {
        hcl_eerr(
            e, part->a->pos,
            "Invalid template for directive; a list or object is required, "
            "not %s",
            hcl_kind_name(&coll));
        hcl_val_free(&coll);
        return -1;
    }
    n = coll.type == HCL_LIST ? coll.u.list.n : coll.u.obj.n;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct hcl_value key = {0};
        struct scope ks, vs;
        const struct scope *saved = e->scope;

        if (coll.type == HCL_LIST) {
            hcl_val_number(&key, (double)i);
            vs.val = &coll.u.list.items[i];
        } else {
            hcl_val_string(&key, coll.u.obj.items[i].key,
                           strlen(coll.u.obj.items[i].key));
            vs.val = &coll.u.obj.items[i].value;
        }
        ks.name = part->name;
        ks.val = &key;
        ks.up = e->scope;
        vs.name = part->name2;
        vs.up = part->name != NULL ? &ks : e->scope;
        e->scope = &vs;
        if (hcl_charge(e, part->pos, 1))
            rc = render_seq(e, part->b, b);
        else
            rc = -1;
        e->scope = saved;
        hcl_val_free(&key);
    }
    hcl_val_free(&coll);
    return rc;
}

static int render_seq(struct eval *e, const struct node *seq, struct buf *b)
{
    if (seq->kind == N_LIT)
        return hcl_append_str(b, &seq->lit) ? 0 : -1;
    for (size_t i = 0; i < seq->nkids; i++) {
        const struct node *part = seq->kids[i];
        int rc = 0;

        switch (part->kind) {
        case N_LIT:
            buf_append(b, part->lit.u.str.s, part->lit.u.str.len);
            break;
        case N_INTERP:
            rc = render_interp(e, part, b);
            break;
        case N_TIF: {
            struct hcl_value c = {0};
            bool yes = false;

            rc = hcl_eval_expr(e, part->a, &c);
            if (rc == 0 && !hcl_to_bool(&c, &yes)) {
                hcl_eerr(e, part->a->pos,
                         "Invalid template if condition; a bool is required, "
                         "not %s",
                         hcl_kind_name(&c));
                rc = -1;
            }
            hcl_val_free(&c);
            if (rc == 0 && yes)
                rc = render_seq(e, part->b, b);
            else if (rc == 0 && part->c != NULL)
                rc = render_seq(e, part->c, b);
            break;
        }
        case N_TFOR:
            rc = render_tfor(e, part, b);
            break;
        default:
            break;
        }
        if (rc != 0)
            return rc;
        if (!hcl_charge(e, part->pos, 1 + (unsigned long)(b->len / 64)))
            return -1;
    }
    return 0;
}

static int eval_template(struct eval *e,
                         const struct node *n,
                         struct hcl_value *out)
{
    struct buf b = BUF_INIT;
    int rc;

    /* "${x}" alone yields x itself, not its string form. */
    if (n->nkids == 1 && n->kids[0]->kind == N_INTERP) {
        const struct node *part = n->kids[0];
        int count = runtime_ref(e, part->a);

        if (count > 0) {
            /* Evaluated once to find it unknown, then once to render it. */
            if (!enter_runtime_ref(e, part->a, count) ||
                !enter_runtime_ref(e, part->a, count))
                return -1;
            hcl_val_string(out, e->src + part->start, part->end - part->start);
            return 0;
        }
        rc = hcl_eval_expr(e, part->a, out);
        if (rc == 0 && out->type == HCL_UNKNOWN) {
            hcl_val_free(out);
            rc = render_interp(e, part, &b);
            if (rc == 0)
                hcl_val_string(out, buf_str(&b), b.len);
            buf_release(&b);
        }
        return rc;
    }
    rc = render_seq(e, n, &b);
    if (rc == 0) {
        size_t len = b.len;

        hcl_val_string_take(out, b.data ? buf_detach(&b) : xstrdup(""), len);
    }
    buf_release(&b);
    return rc;
}

/* ---- operators ---- */

static int eval_binary(struct eval *e,
                       const struct node *n,
                       struct hcl_value *out)
{
    struct hcl_value a = {0}, b = {0};
    double x, y, r = 0;
    bool p, q;
    int rc = hcl_eval_expr(e, n->a, &a);

    if (rc == 0)
        rc = hcl_eval_expr(e, n->b, &b);
    if (rc != 0)
        goto done;
    if (a.type == HCL_UNKNOWN || b.type == HCL_UNKNOWN) {
        mk_unknown(e, n, out);
        goto done;
    }
    switch (n->op) {
    case OP_EQ:
    case OP_NE: {
        bool eq = hcl_val_equal(&a, &b);

        hcl_val_bool(out, n->op == OP_EQ ? eq : !eq);
        goto done;
    }
    case OP_AND:
    case OP_OR:
        if (!hcl_to_bool(&a, &p) || !hcl_to_bool(&b, &q)) {
            hcl_eerr(e, hcl_to_bool(&a, &p) ? n->b->pos : n->a->pos,
                     "Invalid operand; unsuitable value for %s operand: a bool "
                     "is required",
                     hcl_to_bool(&a, &p) ? "right" : "left");
            rc = -1;
            goto done;
        }
        hcl_val_bool(out, n->op == OP_AND ? p && q : p || q);
        goto done;
    default:
        break;
    }
    if (!hcl_to_number(&a, &x) || !hcl_to_number(&b, &y)) {
        bool left = !hcl_to_number(&a, &x);

        hcl_eerr(
            e, left ? n->a->pos : n->b->pos,
            "Invalid operand; unsuitable value for %s operand: a number is "
            "required, not %s",
            left ? "left" : "right", hcl_kind_name(left ? &a : &b));
        rc = -1;
        goto done;
    }
    switch (n->op) {
    case OP_LT:
        hcl_val_bool(out, x < y);
        goto done;
    case OP_GT:
        hcl_val_bool(out, x > y);
        goto done;
    case OP_LE:
        hcl_val_bool(out, x <= y);
        goto done;
    case OP_GE:
        hcl_val_bool(out, x >= y);
        goto done;
    case OP_ADD:
        r = x + y;
        break;
    case OP_SUB:
        r = x - y;
        break;
    case OP_MUL:
        r = x * y;
        break;
    case OP_DIV:
    case OP_MOD:
        if (y == 0) {
            hcl_eerr(e, n->b->pos,
                     "Division by zero; the right operand of %s "
                     "is zero",
                     n->op == OP_DIV ? "\"/\"" : "\"%\"");
            rc = -1;
            goto done;
        }
        r = n->op == OP_DIV ? x / y : fmod(x, y);
        break;
    default:
        break;
    }
    if (!isfinite(r)) {
        hcl_eerr(e, n->pos, "Arithmetic overflow; the result is out of range");
        rc = -1;
        goto done;
    }
    hcl_val_number(out, r == 0 ? 0 : r);
done:
    hcl_val_free(&a);
    hcl_val_free(&b);
    return rc;
}

static int eval_unary(struct eval *e,
                      const struct node *n,
                      struct hcl_value *out)
{
    struct hcl_value a = {0};
    int rc = hcl_eval_expr(e, n->a, &a);
    double d;
    bool b;

    if (rc != 0)
        return rc;
    if (a.type == HCL_UNKNOWN) {
        mk_unknown(e, n, out);
    } else if (n->op == '-' && hcl_to_number(&a, &d)) {
        hcl_val_number(out, d == 0 ? 0 : -d);
    } else if (n->op == '!' && hcl_to_bool(&a, &b)) {
        hcl_val_bool(out, !b);
    } else {
        hcl_eerr(e, n->a->pos,
                 "Invalid operand; unsuitable value for unary "
                 "operand: a %s is required, not %s",
                 n->op == '-' ? "number" : "bool", hcl_kind_name(&a));
        rc = -1;
    }
    hcl_val_free(&a);
    return rc;
}

static int eval_cond(struct eval *e,
                     const struct node *n,
                     struct hcl_value *out)
{
    struct hcl_value c = {0};
    int rc = hcl_eval_expr(e, n->a, &c);
    bool yes;

    if (rc != 0)
        return rc;
    if (c.type == HCL_UNKNOWN) {
        hcl_val_free(&c);
        mk_unknown(e, n, out);
        return 0;
    }
    if (!hcl_to_bool(&c, &yes)) {
        hcl_eerr(e, n->a->pos,
                 "Incorrect condition type; the condition must "
                 "be a bool, not %s",
                 hcl_kind_name(&c));
        hcl_val_free(&c);
        return -1;
    }
    hcl_val_free(&c);
    return hcl_eval_expr(e, yes ? n->b : n->c, out);
}

/* ---- collections ---- */

static int eval_list(struct eval *e,
                     const struct node *n,
                     struct hcl_value *out)
{
    memset(out, 0, sizeof(*out));
    out->type = HCL_LIST;
    for (size_t i = 0; i < n->nkids; i++) {
        struct hcl_value item = {0};

        if (hcl_eval_expr(e, n->kids[i], &item) != 0) {
            hcl_val_free(out);
            return -1;
        }
        hcl_list_push(out, &item);
    }
    return 0;
}

/* Evaluates an object key: a string, or a number or bool made one. */
static char *eval_key(struct eval *e, const struct node *kn)
{
    struct hcl_value k = {0};
    struct buf b = BUF_INIT;

    if (hcl_eval_expr(e, kn, &k) != 0)
        return NULL;
    if (!hcl_append_str(&b, &k)) {
        hcl_eerr(e, kn->pos, "Invalid object key; a string is required, not %s",
                 hcl_kind_name(&k));
        hcl_val_free(&k);
        buf_release(&b);
        return NULL;
    }
    hcl_val_free(&k);
    if (b.data == NULL)
        return xstrdup("");
    if (strlen(b.data) != b.len) {
        hcl_eerr(e, kn->pos,
                 "Invalid object key; keys may not contain NUL "
                 "characters");
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b);
}

static int eval_object(struct eval *e,
                       const struct node *n,
                       struct hcl_value *out)
{
    memset(out, 0, sizeof(*out));
    out->type = HCL_OBJECT;
    for (size_t i = 0; i + 1 < n->nkids; i += 2) {
        struct hcl_value v = {0};
        char *key = eval_key(e, n->kids[i]);

        if (key == NULL)
            goto fail;
        if (hcl_obj_get(out, key, strlen(key)) != NULL) {
            hcl_eerr(e, n->kids[i]->pos,
                     "Duplicate object attribute; \"%s\" "
                     "was already defined in this object",
                     key);
            free(key);
            goto fail;
        }
        if (hcl_eval_expr(e, n->kids[i + 1], &v) != 0) {
            free(key);
            goto fail;
        }
        hcl_obj_push(out, key, n->kids[i]->pos, &v);
    }
    return 0;
fail:
    hcl_val_free(out);
    return -1;
}

static int eval_for(struct eval *e, const struct node *n, struct hcl_value *out)
{
    struct hcl_value coll = {0};
    const struct scope *saved = e->scope;
    size_t count;
    int rc = hcl_eval_expr(e, n->a, &coll);

    if (rc != 0)
        return rc;
    if (coll.type == HCL_UNKNOWN) {
        hcl_val_free(&coll);
        mk_unknown(e, n, out);
        return 0;
    }
    if (coll.type != HCL_LIST && coll.type != HCL_OBJECT) {
        hcl_eerr(e, n->a->pos,
                 "Iteration over non-iterable value; a list or "
                 "object is required, not %s",
                 hcl_kind_name(&coll));
        hcl_val_free(&coll);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->type = n->is_object ? HCL_OBJECT : HCL_LIST;
    count = coll.type == HCL_LIST ? coll.u.list.n : coll.u.obj.n;
    for (size_t i = 0; i < count && rc == 0; i++) {
        struct hcl_value key = {0}, v = {0}, c = {0};
        struct scope ks, vs;
        bool keep = true;

        if (coll.type == HCL_LIST) {
            hcl_val_number(&key, (double)i);
            vs.val = &coll.u.list.items[i];
        } else {
            hcl_val_string(&key, coll.u.obj.items[i].key,
                           strlen(coll.u.obj.items[i].key));
            vs.val = &coll.u.obj.items[i].value;
        }
        ks.name = n->name;
        ks.val = &key;
        ks.up = saved;
        vs.name = n->name2;
        vs.up = n->name != NULL ? &ks : saved;
        e->scope = &vs;
        if (!hcl_charge(e, n->pos, 1))
            rc = -1;
        if (rc == 0 && n->d != NULL) {
            rc = hcl_eval_expr(e, n->d, &c);
            if (rc == 0 && !hcl_to_bool(&c, &keep)) {
                hcl_eerr(e, n->d->pos,
                         "Invalid for condition; a bool is "
                         "required, not %s",
                         hcl_kind_name(&c));
                rc = -1;
            }
            hcl_val_free(&c);
        }
        if (rc == 0 && keep) {
            if (n->is_object) {
                char *k = eval_key(e, n->b);
                struct hcl_value *prev;

                if (k == NULL) {
                    rc = -1;
                } else if ((rc = hcl_eval_expr(e, n->c, &v)) != 0) {
                    free(k);
                } else if ((prev = hcl_obj_get(out, k, strlen(k))) != NULL) {
                    if (n->group) {
                        hcl_list_push(prev, &v);
                        free(k);
                    } else {
                        hcl_eerr(e, n->b->pos,
                                 "Duplicate object key; two elements produced "
                                 "the key \"%s\" (use \"...\" to group them)",
                                 k);
                        free(k);
                        rc = -1;
                    }
                } else if (n->group) {
                    struct hcl_value g = {0};

                    g.type = HCL_LIST;
                    g.pos = n->c->pos;
                    hcl_list_push(&g, &v);
                    hcl_obj_push(out, k, n->b->pos, &g);
                } else {
                    hcl_obj_push(out, k, n->b->pos, &v);
                }
            } else {
                rc = hcl_eval_expr(e, n->c, &v);
                if (rc == 0)
                    hcl_list_push(out, &v);
            }
        }
        hcl_val_free(&v);
        hcl_val_free(&key);
        e->scope = saved;
    }
    hcl_val_free(&coll);
    if (rc != 0)
        hcl_val_free(out);
    return rc;
}

static int eval_call(struct eval *e,
                     const struct node *n,
                     struct hcl_value *out)
{
    struct hcl_value *args = NULL;
    size_t nargs = 0, cap = 0;
    struct err ferr = ERR_INIT;
    bool unknown = false;
    int rc = 0;

    if (!hcl_func_known(n->name)) {
        hcl_eerr(e, n->pos,
                 "Call to unknown function; there is no function named "
                 "\"%s\"",
                 n->name);
        return -1;
    }
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        struct hcl_value v = {0};

        rc = hcl_eval_expr(e, n->kids[i], &v);
        if (rc != 0)
            break;
        if (hcl_val_has_unknown(&v))
            unknown = true;
        if (n->expand && i + 1 == n->nkids && v.type != HCL_UNKNOWN) {
            if (v.type != HCL_LIST) {
                hcl_eerr(e, n->kids[i]->pos,
                         "Invalid expanding argument value; the expanding "
                         "argument (indicated by ...) must be a list, not %s",
                         hcl_kind_name(&v));
                hcl_val_free(&v);
                rc = -1;
                break;
            }
            for (size_t j = 0; j < v.u.list.n; j++) {
                XGROW(args, cap, nargs + 1);
                args[nargs++] = v.u.list.items[j];
                memset(&v.u.list.items[j], 0, sizeof(v.u.list.items[j]));
            }
            hcl_val_free(&v);
            continue;
        }
        XGROW(args, cap, nargs + 1);
        args[nargs++] = v;
    }
    if (rc == 0 && unknown) {
        mk_unknown(e, n, out);
    } else if (rc == 0) {
        rc = hcl_func_call(&e->fx, n->name, args, nargs, out, &ferr);
        if (rc == 1) {
            hcl_eerr(e, n->pos,
                     "Call to unknown function; there is no function "
                     "named \"%s\"",
                     n->name);
            rc = -1;
        } else if (rc != 0) {
            hcl_eerr(e, n->pos,
                     "Error in function call; call to function "
                     "\"%s\" failed: %s",
                     n->name, ferr.msg);
            rc = -1;
        } else if (!hcl_charge(e, n->pos, hcl_val_cost(out, e->budget + 1))) {
            hcl_val_free(out);
            rc = -1;
        }
    }
    for (size_t i = 0; i < nargs; i++)
        hcl_val_free(&args[i]);
    free(args);
    return rc;
}

int hcl_eval_expr(struct eval *e, const struct node *n, struct hcl_value *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (!eval_enter(e, n))
        return -1;
    switch (n->kind) {
    case N_LIT:
        hcl_val_copy(out, &n->lit);
        rc = 0;
        break;
    case N_TEMPLATE:
        rc = eval_template(e, n, out);
        break;
    case N_LIST:
        rc = eval_list(e, n, out);
        break;
    case N_OBJECT:
        rc = eval_object(e, n, out);
        break;
    case N_ROOT:
        rc = eval_root(e, n, out);
        break;
    case N_GETATTR:
        rc = eval_getattr(e, n, out);
        break;
    case N_INDEX:
        rc = eval_index(e, n, out);
        break;
    case N_SPLAT:
        rc = eval_splat(e, n, out);
        break;
    case N_SPLATVAL:
        rc =
            e->splat != NULL && hcl_copy_val(e, n->pos, out, e->splat) ? 0 : -1;
        break;
    case N_CALL:
        rc = eval_call(e, n, out);
        break;
    case N_UNARY:
        rc = eval_unary(e, n, out);
        break;
    case N_BINARY:
        rc = eval_binary(e, n, out);
        break;
    case N_COND:
        rc = eval_cond(e, n, out);
        break;
    case N_FOR:
        rc = eval_for(e, n, out);
        break;
    case N_PAREN:
        rc = hcl_eval_expr(e, n->a, out);
        break;
    default:
        hcl_eerr(e, n->pos, "Invalid expression");
        rc = -1;
        break;
    }
    e->depth--;
    if (rc != 0) {
        hcl_val_free(out);
        if (!e->failed)
            hcl_eerr(e, n->pos, "Invalid expression");
        return -1;
    }
    out->pos = n->pos;
    return 0;
}

/* hcl_eval_doc_value() of a template: rendered straight into the arena. */
static int doc_template(struct eval *e,
                        const struct node *n,
                        struct hcl_value *out)
{
    struct buf *b = &e->scratch;
    int rc = 0;

    if (n->nkids == 1 && n->kids[0]->kind == N_INTERP) {
        const struct node *part = n->kids[0];
        int count = runtime_ref(e, part->a);
        struct hcl_value v;

        if (count == 0) {
            /* "${x}" alone is x, of any type: the long way. */
            if (hcl_eval_expr(e, n, &v) != 0)
                return -1;
            hcl_finalize(&v);
            hcl_val_to_arena(e->arena, out, &v);
            hcl_val_free(&v);
            return 0;
        }
        /* As eval_template(): once to find it unknown, once to render. */
        if (!eval_enter(e, n))
            return -1;
        if (!enter_runtime_ref(e, part->a, count) ||
            !enter_runtime_ref(e, part->a, count)) {
            e->depth--;
            return -1;
        }
        e->depth--;
        out->type = HCL_STRING;
        out->u.str.len = part->end - part->start;
        out->u.str.s =
            hcl_arena_strndup(e->arena, e->src + part->start, out->u.str.len);
        out->pos = n->pos;
        return 0;
    }
    if (!eval_enter(e, n))
        return -1;
    buf_reset(b);
    rc = render_seq(e, n, b);
    e->depth--;
    if (rc != 0) {
        buf_reset(b);
        if (!e->failed)
            hcl_eerr(e, n->pos, "Invalid expression");
        return -1;
    }
    out->type = HCL_STRING;
    out->u.str.len = b->len;
    out->u.str.s = hcl_arena_strndup(e->arena, buf_str(b), b->len);
    out->pos = n->pos;
    buf_reset(b);
    return 0;
}

int hcl_eval_doc_value(struct eval *e,
                       const struct node *n,
                       struct hcl_value *out)
{
    struct hcl_value v;

    memset(out, 0, sizeof(*out));
    if (n->kind == N_LIT) {
        if (!eval_enter(e, n))
            return -1;
        e->depth--;
        *out = n->lit;
        out->pos = n->pos;
        return 0;
    }
    if (n->kind == N_LIST) {
        if (!eval_enter(e, n))
            return -1;
        out->type = HCL_LIST;
        if (n->nkids > 0)
            out->u.list.items = hcl_arena_alloc(
                e->arena, n->nkids * sizeof(*out->u.list.items));
        for (size_t i = 0; i < n->nkids; i++) {
            if (hcl_eval_doc_value(e, n->kids[i], &out->u.list.items[i]) != 0) {
                e->depth--;
                memset(out, 0, sizeof(*out));
                if (!e->failed)
                    hcl_eerr(e, n->pos, "Invalid expression");
                return -1;
            }
            out->u.list.n = i + 1;
        }
        e->depth--;
        out->pos = n->pos;
        return 0;
    }
    if (n->kind == N_TEMPLATE)
        return doc_template(e, n, out);
    if (hcl_eval_expr(e, n, &v) != 0)
        return -1;
    hcl_finalize(&v);
    hcl_val_to_arena(e->arena, out, &v);
    hcl_val_free(&v);
    return 0;
}
