/*
 * HCL functions on collections, numbers, type conversions, encodings and
 * files. See func.c for the conventions.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/func.h"
#include "lib/hcl/hcl_int.h"

/* Bounds on what one call may build, so hostile input cannot eat memory. */
#define MAX_RANGE 1000000

/* ---- collections ---- */

static int f_length(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    (void)fx;
    (void)n;
    switch (a[0].type) {
    case HCL_LIST:
        hcl_val_number(out, (double)a[0].u.list.n);
        return 0;
    case HCL_OBJECT:
        hcl_val_number(out, (double)a[0].u.obj.n);
        return 0;
    case HCL_STRING:
        hcl_val_number(out,
                       (double)hcl_f_utf8_len(a[0].u.str.s, a[0].u.str.len));
        return 0;
    default:
        return hcl_f_ferr(err, "argument must be a string, list or map, not %s",
                          hcl_type_name(a[0].type));
    }
}

static int f_concat(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    (void)fx;
    for (size_t i = 0; i < n; i++)
        if (hcl_f_want_list(a, i, err) != 0)
            return ERR_INVALID;
    hcl_f_new_list(out);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < a[i].u.list.n; j++) {
            hcl_list_push(out, &a[i].u.list.items[j]);
        }
        a[i].u.list.n = 0;
    }
    return 0;
}

static int f_merge(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    (void)fx;
    hcl_f_new_object(out);
    for (size_t i = 0; i < n; i++) {
        if (a[i].type == HCL_NULL)
            continue;
        if (hcl_f_want_obj(a, i, err) != 0) {
            hcl_val_free(out);
            return ERR_INVALID;
        }
        for (size_t j = 0; j < a[i].u.obj.n; j++) {
            struct hcl_item *it = &a[i].u.obj.items[j];
            struct hcl_value *prev = hcl_obj_get(out, it->key, strlen(it->key));

            if (prev != NULL) {
                hcl_val_free(prev);
                *prev = it->value;
                memset(&it->value, 0, sizeof(it->value));
            } else {
                hcl_obj_push(out, xstrdup(it->key), it->pos, &it->value);
            }
        }
    }
    return 0;
}

static int cmp_items(const void *x, const void *y)
{
    const struct hcl_item *a = x, *b = y;

    return strcmp(a->key, b->key);
}

/* keys() and values() follow map order, which is lexical in HCL. */
static int f_keys_values(struct hcl_value *a,
                         struct hcl_value *out,
                         struct err *err,
                         bool keys)
{
    if (hcl_f_want_obj(a, 0, err) != 0)
        return ERR_INVALID;
    if (a[0].u.obj.n > 1)
        qsort(a[0].u.obj.items, a[0].u.obj.n, sizeof(*a[0].u.obj.items),
              cmp_items);
    hcl_f_new_list(out);
    for (size_t i = 0; i < a[0].u.obj.n; i++) {
        struct hcl_item *it = &a[0].u.obj.items[i];
        struct hcl_value v = {0};

        if (keys)
            hcl_val_string(&v, it->key, strlen(it->key));
        else {
            v = it->value;
            memset(&it->value, 0, sizeof(it->value));
        }
        hcl_list_push(out, &v);
    }
    return 0;
}

static int f_keys(const struct hcl_fctx *fx,
                  struct hcl_value *a,
                  size_t n,
                  struct hcl_value *out,
                  struct err *err)
{
    (void)fx;
    (void)n;
    return f_keys_values(a, out, err, true);
}

static int f_values(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    (void)fx;
    (void)n;
    return f_keys_values(a, out, err, false);
}

static int f_lookup(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    struct hcl_value *v;

    (void)fx;
    if (hcl_f_want_obj(a, 0, err) != 0 || hcl_f_want_str(a, 1, err) != 0)
        return ERR_INVALID;
    v = hcl_obj_get(&a[0], a[1].u.str.s, a[1].u.str.len);
    if (v != NULL) {
        *out = *v;
        memset(v, 0, sizeof(*v));
        return 0;
    }
    if (n < 3)
        return hcl_f_ferr(err,
                          "the given key \"%s\" is not in the map and no "
                          "default was given",
                          a[1].u.str.s);
    hcl_f_take(a, 2, out);
    return 0;
}

static int f_contains(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err)
{
    bool found = false;

    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    for (size_t i = 0; i < a[0].u.list.n && !found; i++)
        found = hcl_val_equal(&a[0].u.list.items[i], &a[1]);
    hcl_val_bool(out, found);
    return 0;
}

static int f_index(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    for (size_t i = 0; i < a[0].u.list.n; i++) {
        if (hcl_val_equal(&a[0].u.list.items[i], &a[1])) {
            hcl_val_number(out, (double)i);
            return 0;
        }
    }
    return hcl_f_ferr(err, "the given value is not in the list");
}

static int f_element(const struct hcl_fctx *fx,
                     struct hcl_value *a,
                     size_t n,
                     struct hcl_value *out,
                     struct err *err)
{
    long long i;

    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0 || hcl_f_want_int(a, 1, &i, err) != 0)
        return ERR_INVALID;
    if (a[0].u.list.n == 0)
        return hcl_f_ferr(err,
                          "cannot use element function with an empty list");
    if (i < 0)
        return hcl_f_ferr(err,
                          "cannot use element function with a negative index");
    hcl_val_copy(out, &a[0].u.list.items[(size_t)i % a[0].u.list.n]);
    return 0;
}

static int f_coalesce(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err)
{
    (void)fx;
    for (size_t i = 0; i < n; i++) {
        if (a[i].type == HCL_NULL ||
            (a[i].type == HCL_STRING && a[i].u.str.len == 0))
            continue;
        hcl_f_take(a, i, out);
        return 0;
    }
    return hcl_f_ferr(err, "no non-null, non-empty-string arguments");
}

static int f_coalescelist(const struct hcl_fctx *fx,
                          struct hcl_value *a,
                          size_t n,
                          struct hcl_value *out,
                          struct err *err)
{
    (void)fx;
    for (size_t i = 0; i < n; i++) {
        if (hcl_f_want_list(a, i, err) != 0)
            return ERR_INVALID;
        if (a[i].u.list.n > 0) {
            hcl_f_take(a, i, out);
            return 0;
        }
    }
    hcl_f_new_list(out);
    return 0;
}

static int f_compact(const struct hcl_fctx *fx,
                     struct hcl_value *a,
                     size_t n,
                     struct hcl_value *out,
                     struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    hcl_f_new_list(out);
    for (size_t i = 0; i < a[0].u.list.n; i++) {
        struct hcl_value *v = &a[0].u.list.items[i];

        if (v->type == HCL_NULL || (v->type == HCL_STRING && v->u.str.len == 0))
            continue;
        hcl_list_push(out, v);
    }
    return 0;
}

static int f_distinct(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    hcl_f_new_list(out);
    for (size_t i = 0; i < a[0].u.list.n; i++) {
        bool dup = false;

        for (size_t j = 0; j < out->u.list.n && !dup; j++)
            dup = hcl_val_equal(&out->u.list.items[j], &a[0].u.list.items[i]);
        if (!dup)
            hcl_list_push(out, &a[0].u.list.items[i]);
    }
    return 0;
}

static void flatten_into(struct hcl_value *out, struct hcl_value *list)
{
    for (size_t i = 0; i < list->u.list.n; i++) {
        struct hcl_value *v = &list->u.list.items[i];

        if (v->type == HCL_LIST)
            flatten_into(out, v);
        else
            hcl_list_push(out, v);
    }
}

static int f_flatten(const struct hcl_fctx *fx,
                     struct hcl_value *a,
                     size_t n,
                     struct hcl_value *out,
                     struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    hcl_f_new_list(out);
    flatten_into(out, &a[0]);
    return 0;
}

static int f_reverse(const struct hcl_fctx *fx,
                     struct hcl_value *a,
                     size_t n,
                     struct hcl_value *out,
                     struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    hcl_f_new_list(out);
    for (size_t i = a[0].u.list.n; i > 0; i--)
        hcl_list_push(out, &a[0].u.list.items[i - 1]);
    return 0;
}

static int f_slice(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    long long s, e;

    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0 || hcl_f_want_int(a, 1, &s, err) != 0 ||
        hcl_f_want_int(a, 2, &e, err) != 0)
        return ERR_INVALID;
    if (s < 0 || e < s || (unsigned long long)e > a[0].u.list.n)
        return hcl_f_ferr(err,
                          "invalid slice indices %lld..%lld for a list of %zu",
                          s, e, a[0].u.list.n);
    hcl_f_new_list(out);
    for (long long i = s; i < e; i++)
        hcl_list_push(out, &a[0].u.list.items[i]);
    return 0;
}

static int cmp_vals(const void *x, const void *y)
{
    const struct hcl_value *a = x, *b = y;
    size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
    int c = memcmp(a->u.str.s, b->u.str.s, n);

    if (c != 0)
        return c;
    return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
}

static int f_sort(const struct hcl_fctx *fx,
                  struct hcl_value *a,
                  size_t n,
                  struct hcl_value *out,
                  struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    for (size_t i = 0; i < a[0].u.list.n; i++)
        if (hcl_f_want_str(a[0].u.list.items, i, err) != 0)
            return ERR_INVALID;
    if (a[0].u.list.n > 1)
        qsort(a[0].u.list.items, a[0].u.list.n, sizeof(struct hcl_value),
              cmp_vals);
    hcl_f_take(a, 0, out);
    return 0;
}

static int f_zipmap(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0 || hcl_f_want_list(a, 1, err) != 0)
        return ERR_INVALID;
    if (a[0].u.list.n != a[1].u.list.n)
        return hcl_f_ferr(err,
                          "the keys and values lists must have the same "
                          "length");
    for (size_t i = 0; i < a[0].u.list.n; i++)
        if (hcl_f_want_str(a[0].u.list.items, i, err) != 0)
            return ERR_INVALID;
    hcl_f_new_object(out);
    for (size_t i = 0; i < a[0].u.list.n; i++) {
        const char *k = a[0].u.list.items[i].u.str.s;
        struct hcl_value *prev = hcl_obj_get(out, k, strlen(k));

        if (prev != NULL) {
            hcl_val_free(prev);
            *prev = a[1].u.list.items[i];
            memset(&a[1].u.list.items[i], 0, sizeof(*prev));
        } else {
            hcl_obj_push(out, xstrdup(k), a[0].u.list.items[i].pos,
                         &a[1].u.list.items[i]);
        }
    }
    return 0;
}

static int f_range(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    double start = 0, limit, step = 1, count;

    (void)fx;
    if (n == 1) {
        if (hcl_f_want_num(a, 0, &limit, err) != 0)
            return ERR_INVALID;
    } else {
        if (hcl_f_want_num(a, 0, &start, err) != 0 ||
            hcl_f_want_num(a, 1, &limit, err) != 0 ||
            (n == 3 && hcl_f_want_num(a, 2, &step, err) != 0))
            return ERR_INVALID;
    }
    if (step == 0)
        return hcl_f_ferr(err, "step must not be zero");
    if ((step > 0 && limit < start) || (step < 0 && limit > start))
        return hcl_f_ferr(err, "the limit is %s the start, for a %s step",
                          step > 0 ? "less than" : "greater than",
                          step > 0 ? "positive" : "negative");
    count = ceil((limit - start) / step);
    if (!(count <= MAX_RANGE))
        return hcl_f_ferr(err, "more than %d numbers requested", MAX_RANGE);
    hcl_f_new_list(out);
    for (double i = 0; i < count; i++) {
        struct hcl_value v = {0};

        hcl_val_number(&v, start + i * step);
        hcl_list_push(out, &v);
    }
    return 0;
}

/* ---- numbers ---- */

static int f_minmax(struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err,
                    bool max)
{
    double best = 0, d;

    for (size_t i = 0; i < n; i++) {
        if (hcl_f_want_num(a, i, &d, err) != 0)
            return ERR_INVALID;
        if (i == 0 || (max ? d > best : d < best))
            best = d;
    }
    hcl_val_number(out, best);
    return 0;
}

static int f_min(const struct hcl_fctx *fx,
                 struct hcl_value *a,
                 size_t n,
                 struct hcl_value *out,
                 struct err *err)
{
    (void)fx;
    return f_minmax(a, n, out, err, false);
}

static int f_max(const struct hcl_fctx *fx,
                 struct hcl_value *a,
                 size_t n,
                 struct hcl_value *out,
                 struct err *err)
{
    (void)fx;
    return f_minmax(a, n, out, err, true);
}

static int f_math(struct hcl_value *a,
                  struct hcl_value *out,
                  struct err *err,
                  double (*op)(double))
{
    double d;

    if (hcl_f_want_num(a, 0, &d, err) != 0)
        return ERR_INVALID;
    d = op(d);
    hcl_val_number(out, d == 0 ? 0 : d);
    return 0;
}

static double signum(double d)
{
    return d > 0 ? 1 : d < 0 ? -1 : 0;
}

static int f_abs(const struct hcl_fctx *fx,
                 struct hcl_value *a,
                 size_t n,
                 struct hcl_value *out,
                 struct err *err)
{
    (void)fx;
    (void)n;
    return f_math(a, out, err, fabs);
}

static int f_ceil(const struct hcl_fctx *fx,
                  struct hcl_value *a,
                  size_t n,
                  struct hcl_value *out,
                  struct err *err)
{
    (void)fx;
    (void)n;
    return f_math(a, out, err, ceil);
}

static int f_floor(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    (void)fx;
    (void)n;
    return f_math(a, out, err, floor);
}

static int f_signum(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    (void)fx;
    (void)n;
    return f_math(a, out, err, signum);
}

static int f_pow(const struct hcl_fctx *fx,
                 struct hcl_value *a,
                 size_t n,
                 struct hcl_value *out,
                 struct err *err)
{
    double x, y, r;

    (void)fx;
    (void)n;
    if (hcl_f_want_num(a, 0, &x, err) != 0 ||
        hcl_f_want_num(a, 1, &y, err) != 0)
        return ERR_INVALID;
    r = pow(x, y);
    if (!isfinite(r))
        return hcl_f_ferr(err, "result out of range");
    hcl_val_number(out, r);
    return 0;
}

static int f_parseint(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err)
{
    long long base;
    const char *s;
    char *end;
    long long v;

    (void)fx;
    (void)n;
    if (hcl_f_want_str(a, 0, err) != 0 || hcl_f_want_int(a, 1, &base, err) != 0)
        return ERR_INVALID;
    if (base < 2 || base > 36)
        return hcl_f_ferr(err, "base must be between 2 and 36");
    s = a[0].u.str.s;
    if (a[0].u.str.len == 0 || strlen(s) != a[0].u.str.len ||
        hcl_f_is_space(*s))
        return hcl_f_ferr(err, "cannot parse \"%s\" as a base %lld integer", s,
                          base);
    errno = 0;
    v = strtoll(s, &end, (int)base);
    if (*end != '\0' || errno != 0)
        return hcl_f_ferr(err, "cannot parse \"%s\" as a base %lld integer", s,
                          base);
    hcl_val_number(out, (double)v);
    return 0;
}

/* ---- conversions ---- */

static int f_tostring(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err)
{
    (void)fx;
    (void)n;
    if (a[0].type == HCL_NULL) {
        hcl_f_take(a, 0, out);
        return 0;
    }
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    hcl_f_take(a, 0, out);
    return 0;
}

static int f_tonumber(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err)
{
    double d;

    (void)fx;
    (void)n;
    if (a[0].type == HCL_NULL) {
        hcl_f_take(a, 0, out);
        return 0;
    }
    if (hcl_f_want_num(a, 0, &d, err) != 0)
        return ERR_INVALID;
    hcl_val_number(out, d);
    return 0;
}

static int f_tobool(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    (void)fx;
    (void)n;
    if (a[0].type == HCL_NULL || a[0].type == HCL_BOOL) {
        hcl_f_take(a, 0, out);
        return 0;
    }
    if (a[0].type == HCL_STRING && (strcmp(a[0].u.str.s, "true") == 0 ||
                                    strcmp(a[0].u.str.s, "false") == 0)) {
        hcl_val_bool(out, a[0].u.str.s[0] == 't');
        return 0;
    }
    return hcl_f_ferr(err, "cannot convert %s to bool",
                      hcl_type_name(a[0].type));
}

static int f_tolist(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_list(a, 0, err) != 0)
        return ERR_INVALID;
    hcl_f_take(a, 0, out);
    return 0;
}

static int f_toset(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    return f_distinct(fx, a, n, out, err);
}

static int f_tomap(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    (void)fx;
    (void)n;
    if (hcl_f_want_obj(a, 0, err) != 0)
        return ERR_INVALID;
    hcl_f_take(a, 0, out);
    return 0;
}

static int f_jsonencode(const struct hcl_fctx *fx,
                        struct hcl_value *a,
                        size_t n,
                        struct hcl_value *out,
                        struct err *err)
{
    struct buf b = BUF_INIT;

    (void)fx;
    (void)n;
    (void)err;
    hcl_json_encode(&b, &a[0]);
    hcl_f_set_str(out, &b);
    return 0;
}

/* ---- encoding and paths ---- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int f_base64encode(const struct hcl_fctx *fx,
                          struct hcl_value *a,
                          size_t n,
                          struct hcl_value *out,
                          struct err *err)
{
    struct buf b = BUF_INIT;
    const unsigned char *s;
    size_t len;

    (void)fx;
    (void)n;
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    s = (const unsigned char *)a[0].u.str.s;
    len = a[0].u.str.len;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;

        if (i + 1 < len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        buf_putc(&b, b64[(v >> 18) & 63]);
        buf_putc(&b, b64[(v >> 12) & 63]);
        buf_putc(&b, i + 1 < len ? b64[(v >> 6) & 63] : '=');
        buf_putc(&b, i + 2 < len ? b64[v & 63] : '=');
    }
    hcl_f_set_str(out, &b);
    return 0;
}

static int f_base64decode(const struct hcl_fctx *fx,
                          struct hcl_value *a,
                          size_t n,
                          struct hcl_value *out,
                          struct err *err)
{
    struct buf b = BUF_INIT;
    unsigned v = 0;
    int bits = 0;

    (void)fx;
    (void)n;
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    for (size_t i = 0; i < a[0].u.str.len; i++) {
        char c = a[0].u.str.s[i];
        const char *p;

        if (c == '=')
            break;
        p = c != '\0' ? strchr(b64, c) : NULL;
        if (p == NULL) {
            buf_release(&b);
            return hcl_f_ferr(err, "invalid base64 data");
        }
        v = (v << 6) | (unsigned)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf_putc(&b, (char)((v >> bits) & 0xff));
        }
    }
    hcl_f_set_str(out, &b);
    return 0;
}

static int f_urlencode(const struct hcl_fctx *fx,
                       struct hcl_value *a,
                       size_t n,
                       struct hcl_value *out,
                       struct err *err)
{
    struct buf b = BUF_INIT;

    (void)fx;
    (void)n;
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    for (size_t i = 0; i < a[0].u.str.len; i++) {
        unsigned char c = (unsigned char)a[0].u.str.s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~')
            buf_putc(&b, (char)c);
        else if (c == ' ')
            buf_putc(&b, '+');
        else
            buf_printf(&b, "%%%02X", c);
    }
    hcl_f_set_str(out, &b);
    return 0;
}

static int f_basename(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err)
{
    const char *s, *slash;
    size_t len;

    (void)fx;
    (void)n;
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    s = a[0].u.str.s;
    len = strlen(s);
    while (len > 1 && s[len - 1] == '/')
        len--;
    slash = len > 1 ? memrchr(s, '/', len - 1) : NULL;
    if (slash != NULL)
        hcl_val_string(out, slash + 1, len - (size_t)(slash + 1 - s));
    else
        hcl_val_string(out, len ? s : ".", len ? len : 1);
    return 0;
}

static int f_dirname(const struct hcl_fctx *fx,
                     struct hcl_value *a,
                     size_t n,
                     struct hcl_value *out,
                     struct err *err)
{
    const char *s, *slash;
    size_t len;

    (void)fx;
    (void)n;
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    s = a[0].u.str.s;
    len = strlen(s);
    slash = len ? memrchr(s, '/', len) : NULL;
    if (slash == NULL)
        hcl_val_string(out, ".", 1);
    else if (slash == s)
        hcl_val_string(out, "/", 1);
    else
        hcl_val_string(out, s, (size_t)(slash - s));
    return 0;
}

static int f_file(const struct hcl_fctx *fx,
                  struct hcl_value *a,
                  size_t n,
                  struct hcl_value *out,
                  struct err *err)
{
    struct buf b = BUF_INIT;
    struct err ferr2 = ERR_INIT;

    (void)n;
    if (!fx->allow_file)
        return hcl_f_ferr(err, "file functions are not allowed here");
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    if (strlen(a[0].u.str.s) != a[0].u.str.len)
        return hcl_f_ferr(err, "invalid path");
    if (buf_read_file(&b, a[0].u.str.s, &ferr2) != 0) {
        buf_release(&b);
        return hcl_f_ferr(err, "%s", ferr2.msg);
    }
    hcl_f_set_str(out, &b);
    return 0;
}

static int f_fileexists(const struct hcl_fctx *fx,
                        struct hcl_value *a,
                        size_t n,
                        struct hcl_value *out,
                        struct err *err)
{
    struct stat st;

    (void)n;
    if (!fx->allow_file)
        return hcl_f_ferr(err, "file functions are not allowed here");
    if (hcl_f_want_str(a, 0, err) != 0)
        return ERR_INVALID;
    if (strlen(a[0].u.str.s) != a[0].u.str.len)
        return hcl_f_ferr(err, "invalid path");
    hcl_val_bool(out, stat(a[0].u.str.s, &st) == 0 && S_ISREG(st.st_mode));
    return 0;
}

const struct hcl_fn_def hcl_coll_fns[] = {
    {"abs", f_abs, 1, 1},
    {"base64decode", f_base64decode, 1, 1},
    {"base64encode", f_base64encode, 1, 1},
    {"basename", f_basename, 1, 1},
    {"ceil", f_ceil, 1, 1},
    {"coalesce", f_coalesce, 1, -1},
    {"coalescelist", f_coalescelist, 1, -1},
    {"compact", f_compact, 1, 1},
    {"concat", f_concat, 0, -1},
    {"contains", f_contains, 2, 2},
    {"dirname", f_dirname, 1, 1},
    {"distinct", f_distinct, 1, 1},
    {"element", f_element, 2, 2},
    {"file", f_file, 1, 1},
    {"fileexists", f_fileexists, 1, 1},
    {"flatten", f_flatten, 1, 1},
    {"floor", f_floor, 1, 1},
    {"index", f_index, 2, 2},
    {"jsonencode", f_jsonencode, 1, 1},
    {"keys", f_keys, 1, 1},
    {"length", f_length, 1, 1},
    {"lookup", f_lookup, 2, 3},
    {"max", f_max, 1, -1},
    {"merge", f_merge, 0, -1},
    {"min", f_min, 1, -1},
    {"parseint", f_parseint, 2, 2},
    {"pow", f_pow, 2, 2},
    {"range", f_range, 1, 3},
    {"reverse", f_reverse, 1, 1},
    {"signum", f_signum, 1, 1},
    {"slice", f_slice, 3, 3},
    {"sort", f_sort, 1, 1},
    {"tobool", f_tobool, 1, 1},
    {"tolist", f_tolist, 1, 1},
    {"tomap", f_tomap, 1, 1},
    {"tonumber", f_tonumber, 1, 1},
    {"toset", f_toset, 1, 1},
    {"tostring", f_tostring, 1, 1},
    {"urlencode", f_urlencode, 1, 1},
    {"values", f_values, 1, 1},
    {"zipmap", f_zipmap, 2, 2},
};

const size_t hcl_ncoll_fns = sizeof(hcl_coll_fns) / sizeof(hcl_coll_fns[0]);
