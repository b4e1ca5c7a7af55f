/*
 * HCL values: construction, copying, comparison, formatting, and the
 * public helpers of hcl.h that deal with values and documents.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/hcl_int.h"

void hcl_val_free(struct hcl_value *v)
{
    if (v == NULL)
        return;
    switch ((int)v->type) {
    case HCL_STRING:
    case HCL_UNKNOWN:
        free(v->u.str.s);
        break;
    case HCL_LIST:
        for (size_t i = 0; i < v->u.list.n; i++)
            hcl_val_free(&v->u.list.items[i]);
        free(v->u.list.items);
        break;
    case HCL_OBJECT:
        for (size_t i = 0; i < v->u.obj.n; i++) {
            free(v->u.obj.items[i].key);
            hcl_val_free(&v->u.obj.items[i].value);
        }
        free(v->u.obj.items);
        break;
    default:
        break;
    }
    v->type = HCL_NULL;
    memset(&v->u, 0, sizeof(v->u));
}

/*
 * Lists and objects grow one item at a time; the capacity is implied by
 * the count (next power of two) so the public structs need no extra field.
 */
static size_t implied_cap(size_t n)
{
    size_t cap = 4;

    while (cap < n)
        cap *= 2;
    return cap;
}

void hcl_val_copy(struct hcl_value *dst, const struct hcl_value *src)
{
    *dst = *src;
    switch ((int)src->type) {
    case HCL_STRING:
    case HCL_UNKNOWN:
        dst->u.str.s = xmalloc(src->u.str.len + 1);
        memcpy(dst->u.str.s, src->u.str.s, src->u.str.len);
        dst->u.str.s[src->u.str.len] = '\0';
        break;
    case HCL_LIST:
        dst->u.list.items = NULL;
        if (src->u.list.n > 0) {
            dst->u.list.items =
                xcalloc(implied_cap(src->u.list.n), sizeof(*dst->u.list.items));
            for (size_t i = 0; i < src->u.list.n; i++)
                hcl_val_copy(&dst->u.list.items[i], &src->u.list.items[i]);
        }
        break;
    case HCL_OBJECT:
        dst->u.obj.items = NULL;
        if (src->u.obj.n > 0) {
            dst->u.obj.items =
                xcalloc(implied_cap(src->u.obj.n), sizeof(*dst->u.obj.items));
            for (size_t i = 0; i < src->u.obj.n; i++) {
                dst->u.obj.items[i].key = xstrdup(src->u.obj.items[i].key);
                dst->u.obj.items[i].pos = src->u.obj.items[i].pos;
                hcl_val_copy(&dst->u.obj.items[i].value,
                             &src->u.obj.items[i].value);
            }
        }
        break;
    default:
        break;
    }
}

void hcl_val_string(struct hcl_value *v, const char *s, size_t len)
{
    char *copy = xmalloc(len + 1);

    if (len > 0)
        memcpy(copy, s, len);
    copy[len] = '\0';
    hcl_val_string_take(v, copy, len);
}

void hcl_val_string_take(struct hcl_value *v, char *s, size_t len)
{
    v->type = HCL_STRING;
    v->u.str.s = s;
    v->u.str.len = len;
}

void hcl_val_number(struct hcl_value *v, double d)
{
    v->type = HCL_NUMBER;
    v->u.num = d;
}

void hcl_val_bool(struct hcl_value *v, bool b)
{
    v->type = HCL_BOOL;
    v->u.b = b;
}

void hcl_list_push(struct hcl_value *list, struct hcl_value *item)
{
    size_t n = list->u.list.n;

    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
        list->u.list.items =
            xrealloc(list->u.list.items,
                     implied_cap(n + 1) * sizeof(*list->u.list.items));
    list->u.list.items[n] = *item;
    list->u.list.n = n + 1;
    memset(item, 0, sizeof(*item));
}

void hcl_obj_push(struct hcl_value *obj,
                  char *key,
                  struct hcl_pos pos,
                  struct hcl_value *val)
{
    size_t n = obj->u.obj.n;

    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
        obj->u.obj.items = xrealloc(
            obj->u.obj.items, implied_cap(n + 1) * sizeof(*obj->u.obj.items));
    obj->u.obj.items[n].key = key;
    obj->u.obj.items[n].pos = pos;
    obj->u.obj.items[n].value = *val;
    obj->u.obj.n = n + 1;
    memset(val, 0, sizeof(*val));
}

struct hcl_value *hcl_obj_get(const struct hcl_value *obj,
                              const char *key,
                              size_t keylen)
{
    if (obj->type != HCL_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->u.obj.n; i++) {
        const char *k = obj->u.obj.items[i].key;

        if (strlen(k) == keylen && memcmp(k, key, keylen) == 0)
            return &obj->u.obj.items[i].value;
    }
    return NULL;
}

bool hcl_val_equal(const struct hcl_value *a, const struct hcl_value *b)
{
    if (a->type != b->type)
        return false;
    switch ((int)a->type) {
    case HCL_NULL:
        return true;
    case HCL_BOOL:
        return a->u.b == b->u.b;
    case HCL_NUMBER:
        return a->u.num == b->u.num;
    case HCL_STRING:
        return a->u.str.len == b->u.str.len &&
               memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case HCL_LIST:
        if (a->u.list.n != b->u.list.n)
            return false;
        for (size_t i = 0; i < a->u.list.n; i++)
            if (!hcl_val_equal(&a->u.list.items[i], &b->u.list.items[i]))
                return false;
        return true;
    case HCL_OBJECT:
        if (a->u.obj.n != b->u.obj.n)
            return false;
        for (size_t i = 0; i < a->u.obj.n; i++) {
            const char *k = a->u.obj.items[i].key;
            const struct hcl_value *bv = hcl_obj_get(b, k, strlen(k));

            if (bv == NULL || !hcl_val_equal(&a->u.obj.items[i].value, bv))
                return false;
        }
        return true;
    default:
        return false;
    }
}

bool hcl_val_has_unknown(const struct hcl_value *v)
{
    switch ((int)v->type) {
    case HCL_UNKNOWN:
        return true;
    case HCL_LIST:
        for (size_t i = 0; i < v->u.list.n; i++)
            if (hcl_val_has_unknown(&v->u.list.items[i]))
                return true;
        return false;
    case HCL_OBJECT:
        for (size_t i = 0; i < v->u.obj.n; i++)
            if (hcl_val_has_unknown(&v->u.obj.items[i].value))
                return true;
        return false;
    default:
        return false;
    }
}

void hcl_fmt_number(struct buf *b, double d)
{
    char tmp[64];

    if (d == 0) {
        buf_putc(b, '0');
        return;
    }
    if (!isfinite(d)) {
        buf_puts(b, isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (d == trunc(d) && fabs(d) < 1e21) {
        buf_printf(b, "%.0f", d);
        return;
    }
    /* The shortest form that reads back as the same double. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    buf_puts(b, tmp);
}

bool hcl_parse_number(const char *s, size_t len, double *out)
{
    size_t i = 0;
    char *copy;
    double d;

    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (i >= len)
        return false;
    {
        size_t j = i, digits = 0;

        if (s[j] == '-' || s[j] == '+')
            j++;
        while (j < len && s[j] >= '0' && s[j] <= '9') {
            j++;
            digits++;
        }
        if (j < len && s[j] == '.') {
            j++;
            while (j < len && s[j] >= '0' && s[j] <= '9') {
                j++;
                digits++;
            }
        }
        if (digits == 0)
            return false;
        if (j < len && (s[j] == 'e' || s[j] == 'E')) {
            size_t edig = 0;

            j++;
            if (j < len && (s[j] == '-' || s[j] == '+'))
                j++;
            while (j < len && s[j] >= '0' && s[j] <= '9') {
                j++;
                edig++;
            }
            if (edig == 0)
                return false;
        }
        if (j != len)
            return false;
    }
    {
        /*
         * Whole numbers of up to 15 digits are exact in a double, so
         * strtod() would give the same; they are most of the numbers.
         */
        size_t j = i + (s[i] == '-' || s[i] == '+');
        double v = 0;

        if (len - j <= 15) {
            while (j < len && s[j] >= '0' && s[j] <= '9')
                v = v * 10 + (s[j++] - '0');
            if (j == len) {
                d = s[i] == '-' ? -v : v;
                *out = d == 0 ? 0 : d;
                return true;
            }
        }
    }
    copy = xstrndup(s + i, len - i);
    errno = 0;
    d = strtod(copy, NULL);
    free(copy);
    if (!isfinite(d))
        return false;
    *out = d == 0 ? 0 : d;
    return true;
}

static void json_string(struct buf *b, const char *s, size_t len)
{
    buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        switch (c) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        case '<':
            buf_puts(b, "\\u003c");
            break;
        case '>':
            buf_puts(b, "\\u003e");
            break;
        case '&':
            buf_puts(b, "\\u0026");
            break;
        default:
            if (c < 0x20)
                buf_printf(b, "\\u%04x", c);
            else
                buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

void hcl_json_encode(struct buf *b, const struct hcl_value *v)
{
    switch ((int)v->type) {
    case HCL_BOOL:
        buf_puts(b, v->u.b ? "true" : "false");
        break;
    case HCL_NUMBER:
        hcl_fmt_number(b, v->u.num);
        break;
    case HCL_STRING:
    case HCL_UNKNOWN:
        json_string(b, v->u.str.s, v->u.str.len);
        break;
    case HCL_LIST:
        buf_putc(b, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i > 0)
                buf_putc(b, ',');
            hcl_json_encode(b, &v->u.list.items[i]);
        }
        buf_putc(b, ']');
        break;
    case HCL_OBJECT:
        buf_putc(b, '{');
        for (size_t i = 0; i < v->u.obj.n; i++) {
            if (i > 0)
                buf_putc(b, ',');
            json_string(b, v->u.obj.items[i].key,
                        strlen(v->u.obj.items[i].key));
            buf_putc(b, ':');
            hcl_json_encode(b, &v->u.obj.items[i].value);
        }
        buf_putc(b, '}');
        break;
    default:
        buf_puts(b, "null");
        break;
    }
}

void hcl_val_to_arena(struct hcl_arena *a,
                      struct hcl_value *dst,
                      const struct hcl_value *src)
{
    *dst = *src;
    switch ((int)src->type) {
    case HCL_STRING:
    case HCL_UNKNOWN:
        dst->u.str.s = hcl_arena_strndup(a, src->u.str.s, src->u.str.len);
        break;
    case HCL_LIST:
        dst->u.list.items = NULL;
        if (src->u.list.n > 0) {
            dst->u.list.items =
                hcl_arena_alloc(a, src->u.list.n * sizeof(*dst->u.list.items));
            for (size_t i = 0; i < src->u.list.n; i++)
                hcl_val_to_arena(a, &dst->u.list.items[i],
                                 &src->u.list.items[i]);
        }
        break;
    case HCL_OBJECT:
        dst->u.obj.items = NULL;
        if (src->u.obj.n > 0) {
            dst->u.obj.items =
                hcl_arena_alloc(a, src->u.obj.n * sizeof(*dst->u.obj.items));
            for (size_t i = 0; i < src->u.obj.n; i++) {
                const struct hcl_item *it = &src->u.obj.items[i];

                dst->u.obj.items[i].key =
                    hcl_arena_strndup(a, it->key, strlen(it->key));
                dst->u.obj.items[i].pos = it->pos;
                hcl_val_to_arena(a, &dst->u.obj.items[i].value, &it->value);
            }
        }
        break;
    default:
        break;
    }
}

void hcl_doc_free(struct hcl_doc *doc)
{
    if (doc != NULL)
        hcl_arena_free(((struct hcl_doc_impl *)doc)->arena);
}

const struct hcl_attr *hcl_body_attr(const struct hcl_body *body,
                                     const char *name)
{
    if (body == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < body->nattrs; i++)
        if (body->attrs[i].name[0] == name[0] &&
            strcmp(body->attrs[i].name, name) == 0)
            return &body->attrs[i];
    return NULL;
}

const char *hcl_type_name(enum hcl_type type)
{
    switch (type) {
    case HCL_NULL:
        return "null";
    case HCL_BOOL:
        return "bool";
    case HCL_NUMBER:
        return "number";
    case HCL_STRING:
        return "string";
    case HCL_LIST:
        return "list";
    case HCL_OBJECT:
        return "object";
    default:
        return "unknown";
    }
}

char *hcl_value_to_string(const struct hcl_value *v)
{
    struct buf b = BUF_INIT;

    if (v == NULL)
        return NULL;
    switch ((int)v->type) {
    case HCL_STRING:
        return xstrndup(v->u.str.s, v->u.str.len);
    case HCL_BOOL:
        return xstrdup(v->u.b ? "true" : "false");
    case HCL_NUMBER:
        hcl_fmt_number(&b, v->u.num);
        return buf_detach(&b);
    default:
        return NULL;
    }
}

int hcl_value_to_int64(const struct hcl_value *v, int64_t *out)
{
    if (v == NULL || v->type != HCL_NUMBER)
        return err_set(NULL, ERR_INVALID, "not a number");
    /* 2^63 is exactly representable; anything at or above it is not. */
    if (!isfinite(v->u.num) || v->u.num != trunc(v->u.num) ||
        v->u.num < -9223372036854775808.0 || v->u.num >= 9223372036854775808.0)
        return err_set(NULL, ERR_INVALID, "not a whole number in range");
    *out = (int64_t)v->u.num;
    return 0;
}
