/*
 * consul-template's JSON, encoding and arithmetic helpers: toJSON,
 * toJSONPretty (as Go's encoding/json prints), base64Encode/Decode,
 * sha256Hex, add, subtract, multiply, divide, modulo, minimum, maximum.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template_int.h"
#include "lib/alloc.h"
#include "lib/err.h"

/* ------------------------------------------------------------------ args */

static int want_str(struct render *r,
                    const struct tv *v,
                    const char **s,
                    size_t *len)
{
    if (v == NULL || v->kind != TV_STRING)
        return tmpl__fail(r, "wrong type for value; expected string; got %s",
                          tv_type_name(v));
    *s = v->u.str.s;
    if (len != NULL)
        *len = v->u.str.len;
    return 0;
}

static struct tv *str_result(struct buf *b)
{
    return b->data ? tv_str_take(b->data, b->len) : tv_str("");
}

/* ------------------------------------------------------------------ JSON */

/* Go's encoding/json string: <, >, & and U+2028/9 escaped too. */
static void json_str(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c == '\n') {
            buf_append(b, "\\n", 2);
        } else if (c == '\r') {
            buf_append(b, "\\r", 2);
        } else if (c == '\t') {
            buf_append(b, "\\t", 2);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            buf_append(b, "\\u00", 4);
            buf_putc(b, hex[c >> 4]);
            buf_putc(b, hex[c & 15]);
        } else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xa8 ||
                    (unsigned char)s[i + 2] == 0xa9)) {
            buf_puts(b,
                     (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
            i += 2;
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

static void newline(struct buf *b, int indent, int depth)
{
    if (indent == 0)
        return;
    buf_putc(b, '\n');
    for (int i = 0; i < indent * depth; i++)
        buf_putc(b, ' ');
}

static int json_value(struct render *r,
                      struct buf *b,
                      const struct tv *v,
                      int indent,
                      int depth)
{
    if (depth > 64)
        return tmpl__fail(r, "value nested too deeply for JSON");
    if (v == NULL || v->kind == TV_NIL) {
        buf_append(b, "null", 4);
        return 0;
    }
    switch (v->kind) {
    case TV_BOOL:
        buf_puts(b, v->u.b ? "true" : "false");
        return 0;
    case TV_INT:
        buf_printf(b, "%lld", (long long)v->u.i);
        return 0;
    case TV_FLOAT:
        if (!isfinite(v->u.f))
            return tmpl__fail(r, "json: unsupported value: %g", v->u.f);
        if (fabs(v->u.f) < 1e21 && (fabs(v->u.f) >= 1e-6 || v->u.f == 0) &&
            v->u.f == floor(v->u.f)) {
            buf_printf(b, "%.0f", v->u.f);
        } else {
            tmpl__fmt_float(b, v->u.f, 'v', -1);
        }
        return 0;
    case TV_STRING:
        json_str(b, v->u.str.s, v->u.str.len);
        return 0;
    case TV_LIST:
        if (v->u.list.n == 0) {
            buf_append(b, "[]", 2);
            return 0;
        }
        buf_putc(b, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            int rc;

            if (i > 0)
                buf_putc(b, ',');
            newline(b, indent, depth + 1);
            rc = json_value(r, b, v->u.list.items[i], indent, depth + 1);
            if (rc != 0)
                return rc;
        }
        newline(b, indent, depth);
        buf_putc(b, ']');
        return 0;
    default:
        if (v->u.map.n == 0) {
            buf_append(b, "{}", 2);
            return 0;
        }
        buf_putc(b, '{');
        for (size_t i = 0; i < v->u.map.n; i++) {
            int rc;

            if (i > 0)
                buf_putc(b, ',');
            newline(b, indent, depth + 1);
            json_str(b, v->u.map.keys[i], strlen(v->u.map.keys[i]));
            buf_puts(b, indent ? ": " : ":");
            rc = json_value(r, b, v->u.map.vals[i], indent, depth + 1);
            if (rc != 0)
                return rc;
        }
        newline(b, indent, depth);
        buf_putc(b, '}');
        return 0;
    }
}

static int fn_to_json(struct render *r,
                      struct tv **argv,
                      size_t argc,
                      struct tv **out)
{
    struct buf b = BUF_INIT;
    int rc = json_value(r, &b, argv[0], 0, 0);

    (void)argc;
    if (rc != 0) {
        buf_release(&b);
        return rc;
    }
    *out = str_result(&b);
    return 0;
}

static int fn_to_json_pretty(struct render *r,
                             struct tv **argv,
                             size_t argc,
                             struct tv **out)
{
    struct buf b = BUF_INIT;
    int rc = json_value(r, &b, argv[0], 2, 0);

    (void)argc;
    if (rc != 0) {
        buf_release(&b);
        return rc;
    }
    *out = str_result(&b);
    return 0;
}

/* ------------------------------------------------------------------ bytes */

static int fn_base64_encode(struct render *r,
                            struct tv **argv,
                            size_t argc,
                            struct tv **out)
{
    const char *s;
    size_t n, cap;
    char *o;
    int rc = want_str(r, argv[0], &s, &n);

    (void)argc;
    if (rc != 0)
        return rc;
    cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    o = xmalloc(cap);
    sodium_bin2base64(o, cap, (const unsigned char *)s, n,
                      sodium_base64_VARIANT_ORIGINAL);
    *out = tv_str_take(o, strlen(o));
    return 0;
}

static int fn_base64_decode(struct render *r,
                            struct tv **argv,
                            size_t argc,
                            struct tv **out)
{
    const char *s;
    size_t n, got = 0;
    unsigned char *o;
    int rc = want_str(r, argv[0], &s, &n);

    (void)argc;
    if (rc != 0)
        return rc;
    o = xmalloc(n + 1);
    if (sodium_base642bin(o, n + 1, s, n, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(o);
        return tmpl__fail(r, "base64Decode: illegal base64 data");
    }
    o[got] = '\0';
    *out = tv_str_take((char *)o, got);
    return 0;
}

static int fn_sha256_hex(struct render *r,
                         struct tv **argv,
                         size_t argc,
                         struct tv **out)
{
    const char *s;
    size_t n;
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    int rc = want_str(r, argv[0], &s, &n);

    (void)argc;
    if (rc != 0)
        return rc;
    crypto_hash_sha256(h, (const unsigned char *)s, n);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    *out = tv_str(hex);
    return 0;
}

/* ------------------------------------------------------------------ math */

enum op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_MIN, OP_MAX };

static bool num(const struct tv *v)
{
    return v != NULL && (v->kind == TV_INT || v->kind == TV_FLOAT);
}

/* consul-template's math: `{{ 10 | subtract 3 }}` is 10 - 3. */
static int math(struct render *r, struct tv **argv, struct tv **out, enum op op)
{
    const struct tv *b = argv[0], *a = argv[1];

    if (!num(a) || !num(b))
        return tmpl__fail(r, "%s and %s are not numbers", tv_type_name(a),
                          tv_type_name(b));
    if (op == OP_MIN || op == OP_MAX) {
        a = argv[0];
        b = argv[1];
    }
    if (a->kind == TV_INT && b->kind == TV_INT) {
        int64_t x = a->u.i, y = b->u.i, z = 0;

        if ((op == OP_DIV || op == OP_MOD) && y == 0)
            return tmpl__fail(r, "division by zero");
        switch (op) {
        case OP_ADD:
            z = (int64_t)((uint64_t)x + (uint64_t)y);
            break;
        case OP_SUB:
            z = (int64_t)((uint64_t)x - (uint64_t)y);
            break;
        case OP_MUL:
            z = (int64_t)((uint64_t)x * (uint64_t)y);
            break;
        case OP_DIV:
            z = (x == INT64_MIN && y == -1) ? x : x / y;
            break;
        case OP_MOD:
            z = (y == -1) ? 0 : x % y;
            break;
        case OP_MIN:
            z = x < y ? x : y;
            break;
        case OP_MAX:
            z = x > y ? x : y;
            break;
        }
        *out = tv_int(z);
        return 0;
    }
    {
        double x = a->kind == TV_INT ? (double)a->u.i : a->u.f;
        double y = b->kind == TV_INT ? (double)b->u.i : b->u.f, z = 0;

        switch (op) {
        case OP_ADD:
            z = x + y;
            break;
        case OP_SUB:
            z = x - y;
            break;
        case OP_MUL:
            z = x * y;
            break;
        case OP_DIV:
            if (y == 0)
                return tmpl__fail(r, "division by zero");
            z = x / y;
            break;
        case OP_MOD:
            return tmpl__fail(r, "modulo needs integers");
        case OP_MIN:
            z = x < y ? x : y;
            break;
        case OP_MAX:
            z = x > y ? x : y;
            break;
        }
        *out = tv_float(z);
        return 0;
    }
}

#define MATH_FN(fname, op)                                            \
    static int fname(struct render *r, struct tv **argv, size_t argc, \
                     struct tv **out)                                 \
    {                                                                 \
        (void)argc;                                                   \
        return math(r, argv, out, op);                                \
    }
MATH_FN(fn_add, OP_ADD)
MATH_FN(fn_subtract, OP_SUB)
MATH_FN(fn_multiply, OP_MUL)
MATH_FN(fn_divide, OP_DIV)
MATH_FN(fn_modulo, OP_MOD)
MATH_FN(fn_minimum, OP_MIN)
MATH_FN(fn_maximum, OP_MAX)

/* ------------------------------------------------------------------ table */

static const struct func_def num_funcs[] = {
    {"toJSON", fn_to_json, 1, 1, false},
    {"toJSONPretty", fn_to_json_pretty, 1, 1, false},
    {"base64Encode", fn_base64_encode, 1, 1, false},
    {"base64Decode", fn_base64_decode, 1, 1, false},
    {"sha256Hex", fn_sha256_hex, 1, 1, false},
    {"add", fn_add, 2, 2, false},
    {"subtract", fn_subtract, 2, 2, false},
    {"multiply", fn_multiply, 2, 2, false},
    {"divide", fn_divide, 2, 2, false},
    {"modulo", fn_modulo, 2, 2, false},
    {"minimum", fn_minimum, 2, 2, false},
    {"maximum", fn_maximum, 2, 2, false},
};

const struct func_def *tmpl__num_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(num_funcs) / sizeof(num_funcs[0]); i++) {
        if (strcmp(num_funcs[i].name, name) == 0)
            return &num_funcs[i];
    }
    return tmpl__match_lookup(name);
}
