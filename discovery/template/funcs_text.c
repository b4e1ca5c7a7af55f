/*
 * consul-template's helpers over strings, lists, numbers and JSON:
 * toLower, split, join, contains, parseInt, toJSON, add, ... Argument
 * order is consul-template's, the subject last, for pipelines.
 */
#include <errno.h>
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

/* ------------------------------------------------------------------ strings */

static int fn_case(struct render *r,
                   struct tv **argv,
                   struct tv **out,
                   int mode)
{
    const char *s;
    size_t len;
    char *o;
    bool start = true;
    int rc = want_str(r, argv[0], &s, &len);

    if (rc != 0)
        return rc;
    o = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (mode == 0 && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if ((mode == 1 || (mode == 2 && start)) && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        start = c == ' ' || c == '\t' || c == '\n' || c == '-' || c == '_';
        o[i] = c;
    }
    o[len] = '\0';
    *out = tv_str_take(o, len);
    return 0;
}

static int fn_to_lower(struct render *r,
                       struct tv **argv,
                       size_t argc,
                       struct tv **out)
{
    (void)argc;
    return fn_case(r, argv, out, 0);
}

static int fn_to_upper(struct render *r,
                       struct tv **argv,
                       size_t argc,
                       struct tv **out)
{
    (void)argc;
    return fn_case(r, argv, out, 1);
}

static int fn_to_title(struct render *r,
                       struct tv **argv,
                       size_t argc,
                       struct tv **out)
{
    (void)argc;
    return fn_case(r, argv, out, 2);
}

static bool in_set(char c, const char *set, size_t n)
{
    return memchr(set, c, n) != NULL;
}

static int trim_with(struct render *r,
                     const struct tv *v,
                     const char *set,
                     size_t set_len,
                     struct tv **out)
{
    const char *s;
    size_t len, a = 0;
    int rc = want_str(r, v, &s, &len);

    if (rc != 0)
        return rc;
    while (a < len && in_set(s[a], set, set_len))
        a++;
    while (len > a && in_set(s[len - 1], set, set_len))
        len--;
    *out = tv_strn(s + a, len - a);
    return 0;
}

static int fn_trim_space(struct render *r,
                         struct tv **argv,
                         size_t argc,
                         struct tv **out)
{
    (void)argc;
    return trim_with(r, argv[0], " \t\n\r\v\f", 6, out);
}

static int fn_trim(struct render *r,
                   struct tv **argv,
                   size_t argc,
                   struct tv **out)
{
    const char *set;
    size_t n;
    int rc = want_str(r, argv[0], &set, &n);

    (void)argc;
    if (rc != 0)
        return rc;
    return trim_with(r, argv[1], set, n, out);
}

static int fn_trim_fix(struct render *r,
                       struct tv **argv,
                       struct tv **out,
                       bool prefix)
{
    const char *fix, *s;
    size_t fn, n;
    int rc = want_str(r, argv[0], &fix, &fn);

    if (rc == 0)
        rc = want_str(r, argv[1], &s, &n);
    if (rc != 0)
        return rc;
    if (fn <= n && prefix && memcmp(s, fix, fn) == 0)
        *out = tv_strn(s + fn, n - fn);
    else if (fn <= n && !prefix && memcmp(s + n - fn, fix, fn) == 0)
        *out = tv_strn(s, n - fn);
    else
        *out = tv_ref(argv[1]);
    return 0;
}

static int fn_trim_prefix(struct render *r,
                          struct tv **argv,
                          size_t argc,
                          struct tv **out)
{
    (void)argc;
    return fn_trim_fix(r, argv, out, true);
}

static int fn_trim_suffix(struct render *r,
                          struct tv **argv,
                          size_t argc,
                          struct tv **out)
{
    (void)argc;
    return fn_trim_fix(r, argv, out, false);
}

static const char *find(const char *s, size_t n, const char *pat, size_t pn)
{
    if (pn == 0)
        return s;
    for (size_t i = 0; i + pn <= n; i++) {
        if (s[i] == pat[0] && memcmp(s + i, pat, pn) == 0)
            return s + i;
    }
    return NULL;
}

/* replaceAll OLD NEW S; Go's strings.ReplaceAll, empty OLD included. */
static int fn_replace_all(struct render *r,
                          struct tv **argv,
                          size_t argc,
                          struct tv **out)
{
    const char *from, *to, *s;
    size_t fl, tl, n;
    struct buf b = BUF_INIT;
    int rc = want_str(r, argv[0], &from, &fl);

    (void)argc;
    if (rc == 0)
        rc = want_str(r, argv[1], &to, &tl);
    if (rc == 0)
        rc = want_str(r, argv[2], &s, &n);
    if (rc != 0)
        return rc;
    if (fl == 0) {
        buf_append(&b, to, tl);
        for (size_t i = 0; i < n; i++) {
            buf_putc(&b, s[i]);
            buf_append(&b, to, tl);
        }
    } else {
        const char *p = s, *end = s + n, *q;

        while ((q = find(p, (size_t)(end - p), from, fl)) != NULL) {
            buf_append(&b, p, (size_t)(q - p));
            buf_append(&b, to, tl);
            p = q + fl;
        }
        buf_append(&b, p, (size_t)(end - p));
    }
    *out = str_result(&b);
    return 0;
}

/* split SEP S; an empty S gives an empty list, as consul-template. */
static int fn_split(struct render *r,
                    struct tv **argv,
                    size_t argc,
                    struct tv **out)
{
    const char *sep, *s, *q, *end;
    size_t sl, n;
    int rc = want_str(r, argv[0], &sep, &sl);

    (void)argc;
    if (rc == 0)
        rc = want_str(r, argv[1], &s, &n);
    if (rc != 0)
        return rc;
    *out = tv_list_new(0);
    if (n == 0)
        return 0;
    end = s + n;
    if (sl == 0) {
        for (size_t i = 0; i < n; i++)
            tv_list_push(*out, tv_strn(s + i, 1));
        return 0;
    }
    while ((q = find(s, (size_t)(end - s), sep, sl)) != NULL) {
        tv_list_push(*out, tv_strn(s, (size_t)(q - s)));
        s = q + sl;
    }
    tv_list_push(*out, tv_strn(s, (size_t)(end - s)));
    return 0;
}

static int fn_join(struct render *r,
                   struct tv **argv,
                   size_t argc,
                   struct tv **out)
{
    const char *sep;
    size_t sl;
    struct buf b = BUF_INIT;
    const struct tv *l = argv[1];
    int rc = want_str(r, argv[0], &sep, &sl);

    (void)argc;
    if (rc != 0)
        return rc;
    if (l == NULL || l->kind != TV_LIST)
        return tmpl__fail(r, "join: expected a list, got %s", tv_type_name(l));
    for (size_t i = 0; i < l->u.list.n; i++) {
        if (i > 0)
            buf_append(&b, sep, sl);
        tmpl__fmt_value(&b, l->u.list.items[i]);
    }
    *out = str_result(&b);
    return 0;
}

static int fn_indent(struct render *r,
                     struct tv **argv,
                     size_t argc,
                     struct tv **out)
{
    const char *s;
    size_t n;
    struct buf b = BUF_INIT;
    int rc;

    (void)argc;
    if (argv[0] == NULL || argv[0]->kind != TV_INT || argv[0]->u.i < 0 ||
        argv[0]->u.i > 1024)
        return tmpl__fail(r, "indent value must be a number from 0 to 1024");
    rc = want_str(r, argv[1], &s, &n);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || s[i - 1] == '\n') {
            for (int64_t k = 0; k < argv[0]->u.i; k++)
                buf_putc(&b, ' ');
        }
        buf_putc(&b, s[i]);
    }
    *out = str_result(&b);
    return 0;
}

/* ------------------------------------------------------------------ in */

static int in_list(struct render *r,
                   const struct tv *l,
                   const struct tv *v,
                   bool *found)
{
    *found = false;
    if (l == NULL || l->kind == TV_NIL)
        return 0;
    if (l->kind == TV_STRING) {
        const char *s;
        size_t n;
        int rc = want_str(r, v, &s, &n);

        if (rc != 0)
            return rc;
        *found = find(l->u.str.s, l->u.str.len, s, n) != NULL;
        return 0;
    }
    if (l->kind != TV_LIST)
        return tmpl__fail(r, "cannot search in %s", tv_type_name(l));
    for (size_t i = 0; i < l->u.list.n && !*found; i++) {
        const struct tv *e = l->u.list.items[i];

        if (e == NULL || v == NULL)
            *found = e == v;
        else if (e->kind == TV_STRING && v->kind == TV_STRING)
            *found = e->u.str.len == v->u.str.len &&
                     memcmp(e->u.str.s, v->u.str.s, e->u.str.len) == 0;
        else if (e->kind == TV_INT && v->kind == TV_INT)
            *found = e->u.i == v->u.i;
        else if (e->kind == TV_BOOL && v->kind == TV_BOOL)
            *found = e->u.b == v->u.b;
        else if (e->kind == TV_FLOAT && v->kind == TV_FLOAT)
            *found = e->u.f == v->u.f;
    }
    return 0;
}

static int fn_in(struct render *r,
                 struct tv **argv,
                 size_t argc,
                 struct tv **out)
{
    bool found;
    int rc = in_list(r, argv[0], argv[1], &found);

    (void)argc;
    if (rc != 0)
        return rc;
    *out = tv_bool(found);
    return 0;
}

static int fn_contains(struct render *r,
                       struct tv **argv,
                       size_t argc,
                       struct tv **out)
{
    bool found;
    int rc = in_list(r, argv[1], argv[0], &found);

    (void)argc;
    if (rc != 0)
        return rc;
    *out = tv_bool(found);
    return 0;
}

/* containsAll/Any/None/NotAll VALUES LIST. */
static int contains_many(struct render *r,
                         struct tv **argv,
                         struct tv **out,
                         bool want_all,
                         bool negate)
{
    const struct tv *vals = argv[0];
    size_t hits = 0;

    if (vals == NULL || vals->kind != TV_LIST)
        return tmpl__fail(r, "expected a list of values, got %s",
                          tv_type_name(vals));
    for (size_t i = 0; i < vals->u.list.n; i++) {
        bool found;
        int rc = in_list(r, argv[1], vals->u.list.items[i], &found);

        if (rc != 0)
            return rc;
        hits += found;
    }
    {
        bool res = want_all ? hits == vals->u.list.n : hits > 0;

        *out = tv_bool(negate ? !res : res);
    }
    return 0;
}

static int fn_contains_all(struct render *r,
                           struct tv **argv,
                           size_t argc,
                           struct tv **out)
{
    (void)argc;
    return contains_many(r, argv, out, true, false);
}

static int fn_contains_any(struct render *r,
                           struct tv **argv,
                           size_t argc,
                           struct tv **out)
{
    (void)argc;
    return contains_many(r, argv, out, false, false);
}

static int fn_contains_none(struct render *r,
                            struct tv **argv,
                            size_t argc,
                            struct tv **out)
{
    (void)argc;
    return contains_many(r, argv, out, false, true);
}

static int fn_contains_not_all(struct render *r,
                               struct tv **argv,
                               size_t argc,
                               struct tv **out)
{
    (void)argc;
    return contains_many(r, argv, out, true, true);
}

/* ------------------------------------------------------------------ parse */

static int fn_parse_bool(struct render *r,
                         struct tv **argv,
                         size_t argc,
                         struct tv **out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    const char *s;
    int rc = want_str(r, argv[0], &s, NULL);

    (void)argc;
    if (rc != 0)
        return rc;
    if (*s == '\0') {
        *out = tv_bool(false); /* consul-template: "" is false */
        return 0;
    }
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
            *out = tv_bool(strcmp(s, yes[i]) == 0);
            return 0;
        }
    }
    return tmpl__fail(r,
                      "parseBool: strconv.ParseBool: parsing \"%s\": "
                      "invalid syntax",
                      s);
}

static int fn_parse_int(struct render *r,
                        struct tv **argv,
                        size_t argc,
                        struct tv **out)
{
    const char *s;
    char *end;
    long long v;
    int rc = want_str(r, argv[0], &s, NULL);

    (void)argc;
    if (rc != 0)
        return rc;
    if (*s == '\0') {
        *out = tv_int(0);
        return 0;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || end == s || s[0] == ' ' || s[0] == '\t')
        return tmpl__fail(r,
                          "parseInt: strconv.ParseInt: parsing \"%s\": "
                          "invalid syntax",
                          s);
    if (errno == ERANGE)
        return tmpl__fail(r,
                          "parseInt: strconv.ParseInt: parsing \"%s\": "
                          "value out of range",
                          s);
    *out = tv_int(v);
    return 0;
}

static int fn_parse_float(struct render *r,
                          struct tv **argv,
                          size_t argc,
                          struct tv **out)
{
    const char *s;
    char *end;
    double v;
    int rc = want_str(r, argv[0], &s, NULL);

    (void)argc;
    if (rc != 0)
        return rc;
    if (*s == '\0') {
        *out = tv_float(0);
        return 0;
    }
    v = strtod(s, &end);
    if (*end != '\0' || end == s || s[0] == ' ')
        return tmpl__fail(r,
                          "parseFloat: strconv.ParseFloat: parsing "
                          "\"%s\": invalid syntax",
                          s);
    *out = tv_float(v);
    return 0;
}

static int fn_parse_json(struct render *r,
                         struct tv **argv,
                         size_t argc,
                         struct tv **out)
{
    const char *s;
    size_t n;
    json_error_t je;
    json_t *j;
    int rc = want_str(r, argv[0], &s, &n);

    (void)argc;
    if (rc != 0)
        return rc;
    if (n == 0) {
        *out = tv_map_new();
        return 0;
    }
    j = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return tmpl__fail(r, "parseJSON: %d:%d: %s", je.line, je.column,
                          je.text);
    *out = tv_from_json(j);
    json_decref(j);
    return 0;
}

/* ------------------------------------------------------------------ table */

static const struct func_def text_funcs[] = {
    {"toLower", fn_to_lower, 1, 1, false},
    {"toUpper", fn_to_upper, 1, 1, false},
    {"toTitle", fn_to_title, 1, 1, false},
    {"trim", fn_trim, 2, 2, false},
    {"trimPrefix", fn_trim_prefix, 2, 2, false},
    {"trimSuffix", fn_trim_suffix, 2, 2, false},
    {"trimSpace", fn_trim_space, 1, 1, false},
    {"replaceAll", fn_replace_all, 3, 3, false},
    {"split", fn_split, 2, 2, false},
    {"join", fn_join, 2, 2, false},
    {"indent", fn_indent, 2, 2, false},
    {"contains", fn_contains, 2, 2, false},
    {"containsAll", fn_contains_all, 2, 2, false},
    {"containsAny", fn_contains_any, 2, 2, false},
    {"containsNone", fn_contains_none, 2, 2, false},
    {"containsNotAll", fn_contains_not_all, 2, 2, false},
    {"in", fn_in, 2, 2, false},
    {"parseBool", fn_parse_bool, 1, 1, false},
    {"parseInt", fn_parse_int, 1, 1, false},
    {"parseFloat", fn_parse_float, 1, 1, false},
    {"parseJSON", fn_parse_json, 1, 1, false},
};

const struct func_def *tmpl__text_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(text_funcs) / sizeof(text_funcs[0]); i++) {
        if (strcmp(text_funcs[i].name, name) == 0)
            return &text_funcs[i];
    }
    return tmpl__num_lookup(name);
}
