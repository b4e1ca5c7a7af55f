/*
 * consul-template's matching helpers: regexMatch and regexReplaceAll
 * (POSIX extended expressions standing in for Go's RE2: the common
 * subset, character classes, anchors, groups and $1 references, reads
 * the same) and byTag, which groups service instances by tag.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template_int.h"
#include "lib/alloc.h"

/* Expressions and subjects come from users: bound what regcomp sees. */
#define MAX_PATTERN_BYTES 1024

static int want_str(struct render *r,
                    const struct tv *v,
                    const char **s,
                    size_t *len)
{
    if (v == NULL || v->kind != TV_STRING)
        return tmpl__fail(r, "wrong type for value; expected string; got %s",
                          tv_type_name(v));
    *s = v->u.str.s;
    *len = v->u.str.len;
    return 0;
}

static int compile(struct render *r, const struct tv *v, regex_t *re)
{
    const char *p;
    size_t n;
    int rc = want_str(r, v, &p, &n);

    if (rc != 0)
        return rc;
    if (n > MAX_PATTERN_BYTES || strlen(p) != n)
        return tmpl__fail(r,
                          "regular expression longer than %d bytes or "
                          "holding a NUL",
                          MAX_PATTERN_BYTES);
    rc = regcomp(re, p, REG_EXTENDED);
    if (rc != 0) {
        char msg[128];

        regerror(rc, re, msg, sizeof(msg));
        return tmpl__fail(r, "error parsing regexp: %s: `%s`", msg, p);
    }
    return 0;
}

/* regexMatch RE S */
static int fn_regex_match(struct render *r,
                          struct tv **argv,
                          size_t argc,
                          struct tv **out)
{
    regex_t re;
    const char *s;
    size_t n;
    int rc = want_str(r, argv[1], &s, &n);

    (void)argc;
    if (rc == 0)
        rc = compile(r, argv[0], &re);
    if (rc != 0)
        return rc;
    *out = tv_bool(regexec(&re, s, 0, NULL, 0) == 0);
    regfree(&re);
    return 0;
}

/* Appends repl with $1 / ${1} replaced by the groups of m. */
static void expand(struct buf *b,
                   const char *repl,
                   size_t rl,
                   const char *s,
                   const regmatch_t *m)
{
    for (size_t i = 0; i < rl; i++) {
        size_t j = i + 1, g = 0;
        bool braced = j < rl && repl[j] == '{';

        if (repl[i] != '$' || j >= rl) {
            buf_putc(b, repl[i]);
            continue;
        }
        if (braced)
            j++;
        if (j >= rl || repl[j] < '0' || repl[j] > '9') {
            buf_putc(b, repl[i]);
            continue;
        }
        g = (size_t)(repl[j] - '0');
        j++;
        if (braced) {
            if (j >= rl || repl[j] != '}') {
                buf_putc(b, repl[i]);
                continue;
            }
            j++;
        }
        if (m[g].rm_so >= 0)
            buf_append(b, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
        i = j - 1;
    }
}

/* regexReplaceAll RE REPL S */
static int fn_regex_replace_all(struct render *r,
                                struct tv **argv,
                                size_t argc,
                                struct tv **out)
{
    regex_t re;
    regmatch_t m[10];
    const char *s, *repl, *p;
    size_t n, rl;
    struct buf b = BUF_INIT;
    int rc = want_str(r, argv[2], &s, &n);
    int flags = 0;

    (void)argc;
    if (rc == 0)
        rc = want_str(r, argv[1], &repl, &rl);
    if (rc == 0)
        rc = compile(r, argv[0], &re);
    if (rc != 0)
        return rc;
    p = s;
    while (p <= s + n && regexec(&re, p, 10, m, flags) == 0) {
        buf_append(&b, p, (size_t)m[0].rm_so);
        expand(&b, repl, rl, p, m);
        if (m[0].rm_eo == m[0].rm_so) {
            /* an empty match: keep one byte and move on */
            if (p + m[0].rm_eo >= s + n)
                break;
            buf_putc(&b, p[m[0].rm_eo]);
            p += m[0].rm_eo + 1;
        } else {
            p += m[0].rm_eo;
        }
        flags = REG_NOTBOL;
    }
    if (p < s + n)
        buf_append(&b, p, (size_t)(s + n - p));
    regfree(&re);
    *out = b.data ? tv_str_take(b.data, b.len) : tv_str("");
    return 0;
}

/* byTag LIST: tag -> instances carrying it (a map, keys sorted). */
static int fn_by_tag(struct render *r,
                     struct tv **argv,
                     size_t argc,
                     struct tv **out)
{
    const struct tv *l = argv[0];
    struct tv *m;

    (void)argc;
    if (l == NULL || l->kind != TV_LIST)
        return tmpl__fail(r, "byTag: expected a list of services, got %s",
                          tv_type_name(l));
    m = tv_map_new();
    for (size_t i = 0; i < l->u.list.n; i++) {
        struct tv *e = l->u.list.items[i], *tags;

        if (e == NULL || (e->kind != TV_RECORD && e->kind != TV_MAP) ||
            (tags = tv_map_get(e, "Tags")) == NULL || tags->kind != TV_LIST) {
            tv_unref(m);
            return tmpl__fail(r, "byTag: element %zu has no Tags", i);
        }
        for (size_t t = 0; t < tags->u.list.n; t++) {
            const struct tv *tag = tags->u.list.items[t];
            struct tv *group;

            if (tag == NULL || tag->kind != TV_STRING)
                continue;
            group = tv_map_get(m, tag->u.str.s);
            if (group == NULL) {
                group = tv_list_new(1);
                tv_map_set(m, tag->u.str.s, group);
            }
            tv_list_push(group, tv_ref(e));
        }
    }
    *out = m;
    return 0;
}

static const struct func_def match_funcs[] = {
    {"regexMatch", fn_regex_match, 2, 2, false},
    {"regexReplaceAll", fn_regex_replace_all, 3, 3, false},
    {"byTag", fn_by_tag, 1, 1, false},
};

const struct func_def *tmpl__match_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(match_funcs) / sizeof(match_funcs[0]); i++) {
        if (strcmp(match_funcs[i].name, name) == 0)
            return &match_funcs[i];
    }
    return NULL;
}
