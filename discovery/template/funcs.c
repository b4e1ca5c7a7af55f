/*
 * Go's text/template builtins (and, or, not, eq..., len, index, slice,
 * print...) and the function table the parser resolves names against.
 * consul-template's functions live in funcs_ct.c.
 */
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template_int.h"
#include "lib/alloc.h"

/* ------------------------------------------------------------------ logic */

static int fn_and(struct render *r,
                  struct tv **argv,
                  size_t argc,
                  struct tv **out)
{
    struct tv *v = NULL;

    (void)argv;
    for (size_t i = 0; i < argc; i++) {
        int rc;

        tv_unref(v);
        rc = tmpl__eval_arg(r, i, &v);
        if (rc != 0)
            return rc;
        if (!tv_truth(v))
            break;
    }
    *out = v;
    return 0;
}

static int fn_or(struct render *r,
                 struct tv **argv,
                 size_t argc,
                 struct tv **out)
{
    struct tv *v = NULL;

    (void)argv;
    for (size_t i = 0; i < argc; i++) {
        int rc;

        tv_unref(v);
        rc = tmpl__eval_arg(r, i, &v);
        if (rc != 0)
            return rc;
        if (tv_truth(v))
            break;
    }
    *out = v;
    return 0;
}

static int fn_not(struct render *r,
                  struct tv **argv,
                  size_t argc,
                  struct tv **out)
{
    (void)r;
    (void)argc;
    *out = tv_bool(!tv_truth(argv[0]));
    return 0;
}

/* ------------------------------------------------------------------ compare */

enum basic { B_INVALID, B_BOOL, B_INT, B_FLOAT, B_STRING, B_NIL, B_OTHER };

static enum basic basic_kind(const struct tv *v)
{
    if (v == NULL)
        return B_INVALID;
    switch (v->kind) {
    case TV_BOOL:
        return B_BOOL;
    case TV_INT:
        return B_INT;
    case TV_FLOAT:
        return B_FLOAT;
    case TV_STRING:
        return B_STRING;
    case TV_NIL:
        return B_NIL;
    default:
        return B_OTHER;
    }
}

/* Go's eq on two values: 1 equal, 0 not, <0 failed. */
static int eq2(struct render *r, const struct tv *a, const struct tv *b)
{
    enum basic ka = basic_kind(a), kb = basic_kind(b);

    if (ka != kb) {
        /* Nil and "no value" compare unequal to anything else. */
        if (ka == B_INVALID || kb == B_INVALID || ka == B_NIL || kb == B_NIL)
            return 0;
        return tmpl__fail(r, "incompatible types for comparison");
    }
    switch (ka) {
    case B_INVALID:
    case B_NIL:
        return 1;
    case B_BOOL:
        return a->u.b == b->u.b;
    case B_INT:
        return a->u.i == b->u.i;
    case B_FLOAT:
        return a->u.f == b->u.f;
    case B_STRING:
        return a->u.str.len == b->u.str.len &&
               memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    default:
        return tmpl__fail(r, "non-comparable type %s", tv_type_name(b));
    }
}

static int fn_eq(struct render *r,
                 struct tv **argv,
                 size_t argc,
                 struct tv **out)
{
    for (size_t i = 1; i < argc; i++) {
        int rc = eq2(r, argv[0], argv[i]);

        if (rc < 0)
            return rc;
        if (rc == 1) {
            *out = tv_bool(true);
            return 0;
        }
    }
    *out = tv_bool(false);
    return 0;
}

static int fn_ne(struct render *r,
                 struct tv **argv,
                 size_t argc,
                 struct tv **out)
{
    int rc = eq2(r, argv[0], argv[1]);

    (void)argc;
    if (rc < 0)
        return rc;
    *out = tv_bool(rc == 0);
    return 0;
}

/* Go's lt: -1/0/1 in *cmp, or a failure. */
static int order(struct render *r,
                 const struct tv *a,
                 const struct tv *b,
                 int *cmp)
{
    enum basic ka = basic_kind(a), kb = basic_kind(b);

    if (ka == B_INVALID || kb == B_INVALID || ka == B_NIL || kb == B_NIL ||
        ka == B_BOOL || ka == B_OTHER || kb == B_OTHER || kb == B_BOOL) {
        if (ka != kb && ka != B_BOOL && kb != B_BOOL && ka != B_OTHER &&
            kb != B_OTHER && ka != B_INVALID && kb != B_INVALID &&
            ka != B_NIL && kb != B_NIL)
            return tmpl__fail(r, "incompatible types for comparison");
        return tmpl__fail(r, "invalid type for comparison");
    }
    if (ka != kb)
        return tmpl__fail(r, "incompatible types for comparison");
    switch (ka) {
    case B_INT:
        *cmp = (a->u.i > b->u.i) - (a->u.i < b->u.i);
        return 0;
    case B_FLOAT:
        *cmp = (a->u.f > b->u.f) - (a->u.f < b->u.f);
        return 0;
    default: {
        size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
        int c = memcmp(a->u.str.s, b->u.str.s, n);

        if (c == 0)
            c = (a->u.str.len > b->u.str.len) - (a->u.str.len < b->u.str.len);
        *cmp = (c > 0) - (c < 0);
        return 0;
    }
    }
}

#define ORDER_FN(fname, test)                                         \
    static int fname(struct render *r, struct tv **argv, size_t argc, \
                     struct tv **out)                                 \
    {                                                                 \
        int cmp = 0;                                                  \
        int rc = order(r, argv[0], argv[1], &cmp);                    \
                                                                      \
        (void)argc;                                                   \
        if (rc != 0)                                                  \
            return rc;                                                \
        *out = tv_bool(test);                                         \
        return 0;                                                     \
    }
ORDER_FN(fn_lt, cmp < 0)
ORDER_FN(fn_le, cmp <= 0)
ORDER_FN(fn_gt, cmp > 0)
ORDER_FN(fn_ge, cmp >= 0)

/* ------------------------------------------------------------------
 * collections */

static int fn_len(struct render *r,
                  struct tv **argv,
                  size_t argc,
                  struct tv **out)
{
    const struct tv *v = argv[0];

    (void)argc;
    if (v == NULL || v->kind == TV_NIL)
        return tmpl__fail(r, "len of nil pointer");
    switch (v->kind) {
    case TV_STRING:
        *out = tv_int((int64_t)v->u.str.len);
        return 0;
    case TV_LIST:
        *out = tv_int((int64_t)v->u.list.n);
        return 0;
    case TV_MAP:
        *out = tv_int((int64_t)v->u.map.n);
        return 0;
    default:
        return tmpl__fail(r, "len of type %s", tv_type_name(v));
    }
}

static int int_arg(struct render *r, const struct tv *v, int64_t *out)
{
    if (v == NULL || v->kind != TV_INT)
        return tmpl__fail(r, "cannot index slice/array with type %s",
                          tv_type_name(v));
    *out = v->u.i;
    return 0;
}

static int fn_index(struct render *r,
                    struct tv **argv,
                    size_t argc,
                    struct tv **out)
{
    struct tv *item = tv_ref(argv[0]);

    for (size_t i = 1; i < argc; i++) {
        struct tv *next = NULL;
        int64_t x;
        int rc;

        if (item == NULL || item->kind == TV_NIL) {
            tv_unref(item);
            return tmpl__fail(r, "index of untyped nil");
        }
        switch (item->kind) {
        case TV_LIST:
        case TV_STRING: {
            size_t n = item->kind == TV_LIST ? item->u.list.n : item->u.str.len;

            rc = int_arg(r, argv[i], &x);
            if (rc == 0 && (x < 0 || (uint64_t)x >= n))
                rc = tmpl__fail(r, "index out of range: %lld", (long long)x);
            if (rc != 0) {
                tv_unref(item);
                return rc;
            }
            next = item->kind == TV_LIST
                       ? tv_ref(item->u.list.items[x])
                       : tv_int((unsigned char)item->u.str.s[x]);
            break;
        }
        case TV_MAP:
        case TV_RECORD:
            if (argv[i] == NULL || argv[i]->kind != TV_STRING) {
                tv_unref(item);
                return tmpl__fail(r, "value has type %s; should be string",
                                  tv_type_name(argv[i]));
            }
            next = tv_ref(tv_map_get(item, argv[i]->u.str.s));
            break;
        default:
            rc = tmpl__fail(r, "can't index item of type %s",
                            tv_type_name(item));
            tv_unref(item);
            return rc;
        }
        tv_unref(item);
        item = next;
    }
    *out = item;
    return 0;
}

static int fn_slice(struct render *r,
                    struct tv **argv,
                    size_t argc,
                    struct tv **out)
{
    const struct tv *item = argv[0];
    int64_t idx[3] = {0, 0, 0};
    size_t n;

    if (item == NULL || item->kind == TV_NIL)
        return tmpl__fail(r, "slice of untyped nil");
    if (item->kind != TV_STRING && item->kind != TV_LIST)
        return tmpl__fail(r, "can't slice item of type %s", tv_type_name(item));
    if (argc > 4)
        return tmpl__fail(r, "too many slice indexes: %zu", argc - 1);
    if (argc == 4 && item->kind == TV_STRING)
        return tmpl__fail(r, "cannot 3-index slice a string");
    n = item->kind == TV_STRING ? item->u.str.len : item->u.list.n;
    idx[1] = idx[2] = (int64_t)n;
    for (size_t i = 1; i < argc; i++) {
        int rc = int_arg(r, argv[i], &idx[i - 1]);

        if (rc != 0)
            return rc;
        if (idx[i - 1] < 0 || (uint64_t)idx[i - 1] > n)
            return tmpl__fail(r, "index out of range: %lld",
                              (long long)idx[i - 1]);
    }
    if (idx[0] > idx[1])
        return tmpl__fail(r, "invalid slice index: %lld > %lld",
                          (long long)idx[0], (long long)idx[1]);
    if (argc == 4 && idx[1] > idx[2])
        return tmpl__fail(r, "invalid slice index: %lld > %lld",
                          (long long)idx[1], (long long)idx[2]);
    if (item->kind == TV_STRING) {
        *out = tv_strn(item->u.str.s + idx[0], (size_t)(idx[1] - idx[0]));
        return 0;
    }
    *out = tv_list_new((size_t)(idx[1] - idx[0]));
    for (int64_t i = idx[0]; i < idx[1]; i++)
        tv_list_push(*out, tv_ref(item->u.list.items[i]));
    return 0;
}

/* ------------------------------------------------------------------ print */

static int fn_print(struct render *r,
                    struct tv **argv,
                    size_t argc,
                    struct tv **out)
{
    struct buf b = BUF_INIT;

    (void)r;
    tmpl__sprint(&b, argv, argc, false);
    *out = b.data ? tv_str_take(b.data, b.len) : tv_str("");
    return 0;
}

static int fn_println(struct render *r,
                      struct tv **argv,
                      size_t argc,
                      struct tv **out)
{
    struct buf b = BUF_INIT;

    (void)r;
    tmpl__sprint(&b, argv, argc, true);
    *out = tv_str_take(b.data, b.len);
    return 0;
}

static int fn_printf(struct render *r,
                     struct tv **argv,
                     size_t argc,
                     struct tv **out)
{
    struct buf b = BUF_INIT;

    if (argv[0] == NULL || argv[0]->kind != TV_STRING)
        return tmpl__fail(r, "wrong type for value; expected string; got %s",
                          tv_type_name(argv[0]));
    tmpl__sprintf(&b, argv[0]->u.str.s, argv[0]->u.str.len, argv + 1, argc - 1);
    *out = b.data ? tv_str_take(b.data, b.len) : tv_str("");
    return 0;
}

/* Go's html builtin: the five characters HTML cares about. */
static int fn_html(struct render *r,
                   struct tv **argv,
                   size_t argc,
                   struct tv **out)
{
    struct buf s = BUF_INIT, b = BUF_INIT;

    (void)r;
    tmpl__sprint(&s, argv, argc, false);
    for (size_t i = 0; i < s.len; i++) {
        switch (s.data[i]) {
        case '<':
            buf_puts(&b, "&lt;");
            break;
        case '>':
            buf_puts(&b, "&gt;");
            break;
        case '&':
            buf_puts(&b, "&amp;");
            break;
        case '\'':
            buf_puts(&b, "&#39;");
            break;
        case '"':
            buf_puts(&b, "&#34;");
            break;
        default:
            buf_putc(&b, s.data[i]);
            break;
        }
    }
    buf_release(&s);
    *out = b.data ? tv_str_take(b.data, b.len) : tv_str("");
    return 0;
}

static int fn_urlquery(struct render *r,
                       struct tv **argv,
                       size_t argc,
                       struct tv **out)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf s = BUF_INIT, b = BUF_INIT;

    (void)r;
    tmpl__sprint(&s, argv, argc, false);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            buf_putc(&b, (char)c);
        } else if (c == ' ') {
            buf_putc(&b, '+');
        } else {
            buf_putc(&b, '%');
            buf_putc(&b, hex[c >> 4]);
            buf_putc(&b, hex[c & 15]);
        }
    }
    buf_release(&s);
    *out = b.data ? tv_str_take(b.data, b.len) : tv_str("");
    return 0;
}

/* ------------------------------------------------------------------ table */

static const struct func_def builtins[] = {
    {"and", fn_and, 1, -1, true},
    {"or", fn_or, 1, -1, true},
    {"not", fn_not, 1, 1, false},
    {"eq", fn_eq, 2, -1, false},
    {"ne", fn_ne, 2, 2, false},
    {"lt", fn_lt, 2, 2, false},
    {"le", fn_le, 2, 2, false},
    {"gt", fn_gt, 2, 2, false},
    {"ge", fn_ge, 2, 2, false},
    {"len", fn_len, 1, 1, false},
    {"index", fn_index, 1, -1, false},
    {"slice", fn_slice, 1, -1, false},
    {"print", fn_print, 0, -1, false},
    {"println", fn_println, 0, -1, false},
    {"printf", fn_printf, 1, -1, false},
    {"html", fn_html, 0, -1, false},
    {"urlquery", fn_urlquery, 0, -1, false},
};

const struct func_def *tmpl__func_lookup(const char *name)
{
    const struct func_def *f;

    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    }
    f = tmpl__ct_lookup(name);
    return f;
}
