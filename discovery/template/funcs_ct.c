/*
 * consul-template's functions as Nomad templates see them: the data
 * lookups (nomadService, nomadServices, env) through the render's
 * tmpl_source, the string and number helpers, and clear errors for the
 * lookups Caravan has no backend for (Consul KV, Vault, variables).
 *
 * Argument order is consul-template's: the subject comes last, so that
 * `{{ .Name | replaceAll "-" "_" }}` reads as a pipeline.
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

/* ------------------------------------------------------------------ records */

static const char *const service_fields[] = {
    "ID",         "Name", "Node",  "Address", "Port",
    "Datacenter", "Tags", "JobID", "AllocID", "Namespace",
};
static const struct tv_shape service_shape = {"*dependency.NomadService", 10,
                                              service_fields};

static const char *const name_fields[] = {"Name", "Tags"};
static const struct tv_shape name_shape = {"*dependency.NomadServicesSnippet",
                                           2, name_fields};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct tv *sorted_tags(const char *const *tags, size_t n)
{
    const char **copy = xmalloc((n ? n : 1) * sizeof(*copy));
    struct tv *l = tv_list_new(n);

    memcpy(copy, tags, n * sizeof(*copy));
    qsort(copy, n, sizeof(*copy), cmp_str);
    for (size_t i = 0; i < n; i++)
        tv_list_push(l, tv_str(copy[i]));
    free(copy);
    return l;
}

struct tv *tmpl_service_record(const struct tmpl_service *s)
{
    struct tv *rec = tv_record_new(&service_shape);

    tv_record_set(rec, 0, tv_str(s->id));
    tv_record_set(rec, 1, tv_str(s->name));
    tv_record_set(rec, 2, tv_str(s->node));
    tv_record_set(rec, 3, tv_str(s->address));
    tv_record_set(rec, 4, tv_int(s->port));
    tv_record_set(rec, 5, tv_str(s->datacenter));
    tv_record_set(rec, 6, sorted_tags(s->tags, s->n_tags));
    tv_record_set(rec, 7, tv_str(s->job_id));
    tv_record_set(rec, 8, tv_str(s->alloc_id));
    tv_record_set(rec, 9, tv_str(s->namespace_));
    return rec;
}

struct tv *tmpl_service_name_record(const char *name,
                                    const char *const *tags,
                                    size_t n_tags)
{
    struct tv *rec = tv_record_new(&name_shape);

    tv_record_set(rec, 0, tv_str(name));
    tv_record_set(rec, 1, sorted_tags(tags, n_tags));
    return rec;
}

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

/* ------------------------------------------------------------------ env */

static const char *env_get(struct render *r, const char *name)
{
    const struct tmpl_source *src = tmpl__source(r);
    const char *v;

    tmpl__dep_add(r, TMPL_DEP_ENV, name, NULL);
    v = src->env ? src->env(src->ctx, name) : NULL;
    return v;
}

static int fn_env(struct render *r,
                  struct tv **argv,
                  size_t argc,
                  struct tv **out)
{
    const char *name, *v;
    int rc = want_str(r, argv[0], &name, NULL);

    (void)argc;
    if (rc != 0)
        return rc;
    v = env_get(r, name);
    *out = tv_str(v ? v : "");
    return 0;
}

static int fn_env_or_default(struct render *r,
                             struct tv **argv,
                             size_t argc,
                             struct tv **out)
{
    const char *name, *def, *v;
    int rc = want_str(r, argv[0], &name, NULL);

    (void)argc;
    if (rc == 0)
        rc = want_str(r, argv[1], &def, NULL);
    if (rc != 0)
        return rc;
    v = env_get(r, name);
    *out = tv_str(v && *v ? v : def);
    return 0;
}

static int fn_must_env(struct render *r,
                       struct tv **argv,
                       size_t argc,
                       struct tv **out)
{
    const char *name, *v;
    int rc = want_str(r, argv[0], &name, NULL);

    (void)argc;
    if (rc != 0)
        return rc;
    v = env_get(r, name);
    if (v == NULL)
        return tmpl__fail(r, "required environment variable %s is missing",
                          name);
    *out = tv_str(v);
    return 0;
}

/* ------------------------------------------------------------------ services
 */

static bool tag_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '=' || c == ':' ||
           c == '.' || c == '-';
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int parse_health(const char *s, unsigned *mask)
{
    *mask = 0;
    while (*s) {
        size_t n = strcspn(s, ",");

        if (n == 7 && strncmp(s, "passing", 7) == 0)
            *mask |= TMPL_HEALTH_PASSING;
        else if (n == 7 && strncmp(s, "warning", 7) == 0)
            *mask |= TMPL_HEALTH_WARNING;
        else if (n == 8 && strncmp(s, "critical", 8) == 0)
            *mask |= TMPL_HEALTH_CRITICAL;
        else if (n == 3 && strncmp(s, "any", 3) == 0)
            *mask |= TMPL_HEALTH_PASSING | TMPL_HEALTH_WARNING |
                     TMPL_HEALTH_CRITICAL;
        else
            return -1;
        s += n;
        if (*s == ',')
            s++;
    }
    return *mask == 0 ? -1 : 0;
}

/*
 * "((tag)\.)?name(@region)?(|health)?" into q; the strings point into
 * the copy *buf (freed by the caller). The tag is greedy: "a.b.web" is
 * tag "a.b", name "web".
 */
static int parse_service_query(const char *text,
                               char **buf,
                               struct tmpl_service_query *q)
{
    char *s = xstrdup(text), *bar, *at, *dot;

    *buf = s;
    memset(q, 0, sizeof(*q));
    bar = strchr(s, '|');
    if (bar != NULL) {
        *bar = '\0';
        if (parse_health(bar + 1, &q->health) != 0)
            return -1;
    }
    at = strchr(s, '@');
    if (at != NULL) {
        *at = '\0';
        q->region = at + 1;
        if (*q->region == '\0')
            return -1;
        for (const char *p = q->region; *p; p++) {
            if (!name_char(*p) && *p != '.')
                return -1;
        }
    }
    dot = strrchr(s, '.');
    q->name = dot ? dot + 1 : s;
    if (dot != NULL) {
        *dot = '\0';
        q->tag = s;
        if (*q->tag == '\0')
            return -1;
        for (const char *p = q->tag; *p; p++) {
            if (!tag_char(*p))
                return -1;
        }
    }
    if (*q->name == '\0')
        return -1;
    for (const char *p = q->name; *p; p++) {
        if (!name_char(*p))
            return -1;
    }
    return 0;
}

static int fn_nomad_service(struct render *r,
                            struct tv **argv,
                            size_t argc,
                            struct tv **out)
{
    const struct tmpl_source *src = tmpl__source(r);
    struct tmpl_service_query q;
    const char *text, *key = NULL;
    char *copy = NULL, *dep_key;
    int64_t n = 0;
    int rc;

    if (argc != 1 && argc != 3)
        return tmpl__fail(r,
                          "nomadService: expected arguments <service> or "
                          "<count> <key> <service>");
    if (argc == 3) {
        if (argv[0] == NULL || argv[0]->kind != TV_INT || argv[0]->u.i < 1)
            return tmpl__fail(r,
                              "nomadService: count must be a positive "
                              "integer, got %s",
                              tv_type_name(argv[0]));
        n = argv[0]->u.i;
        rc = want_str(r, argv[1], &key, NULL);
        if (rc == 0 && *key == '\0')
            rc = tmpl__fail(r, "nomadService: the key must not be empty");
        if (rc != 0)
            return rc;
    }
    rc = want_str(r, argv[argc - 1], &text, NULL);
    if (rc != 0)
        return rc;
    if (parse_service_query(text, &copy, &q) != 0) {
        free(copy);
        return tmpl__fail(r, "nomad.service: invalid format: \"%s\"", text);
    }
    q.choose_n = n;
    q.choose_key = key;
    dep_key = n > 0 ? xasprintf("%s?choose=%lld|%s", text, (long long)n, key)
                    : xstrdup(text);
    tmpl__dep_add(r, TMPL_DEP_SERVICE, dep_key, &q);
    free(dep_key);
    if (src->service == NULL) {
        free(copy);
        return tmpl__fail(r, "nomadService: no service catalogue here");
    }
    rc = src->service(src->ctx, &q, out, tmpl__err(r));
    free(copy);
    if (rc != 0) {
        char msg[512];

        snprintf(msg, sizeof(msg), "%.400s", tmpl__err(r)->msg);
        return tmpl__fail(r, "nomadService \"%s\": %s", text, msg);
    }
    return 0;
}

static int fn_nomad_services(struct render *r,
                             struct tv **argv,
                             size_t argc,
                             struct tv **out)
{
    const struct tmpl_source *src = tmpl__source(r);
    const char *region = NULL;
    int rc;

    if (argc == 1) {
        rc = want_str(r, argv[0], &region, NULL);
        if (rc != 0)
            return rc;
        if (region[0] != '@' || region[1] == '\0')
            return tmpl__fail(r, "nomad.services: invalid format: \"%s\"",
                              region);
        region++;
    }
    tmpl__dep_add(r, TMPL_DEP_SERVICES, region ? region : "", NULL);
    if (src->services == NULL)
        return tmpl__fail(r, "nomadServices: no service catalogue here");
    rc = src->services(src->ctx, region, out, tmpl__err(r));
    if (rc != 0) {
        char msg[512];

        snprintf(msg, sizeof(msg), "%.400s", tmpl__err(r)->msg);
        return tmpl__fail(r, "nomadServices: %s", msg);
    }
    return 0;
}

/* Consul, Vault and Nomad variables have no backend in Caravan. */
static int fn_consul(struct render *r,
                     struct tv **argv,
                     size_t argc,
                     struct tv **out)
{
    (void)argv;
    (void)argc;
    (void)out;
    return tmpl__fail(r,
                      "Consul is not available: Caravan runs without "
                      "Consul (no KV store, no Consul catalogue); use "
                      "nomadService, nomadServices or env");
}

static int fn_vault(struct render *r,
                    struct tv **argv,
                    size_t argc,
                    struct tv **out)
{
    (void)argv;
    (void)argc;
    (void)out;
    return tmpl__fail(r,
                      "Vault is not available: Caravan has no Vault "
                      "integration");
}

static int fn_nomad_var(struct render *r,
                        struct tv **argv,
                        size_t argc,
                        struct tv **out)
{
    (void)argv;
    (void)argc;
    (void)out;
    return tmpl__fail(r, "Nomad variables are not supported by Caravan yet");
}

static int fn_file(struct render *r,
                   struct tv **argv,
                   size_t argc,
                   struct tv **out)
{
    (void)argv;
    (void)argc;
    (void)out;
    return tmpl__fail(r, "file is not supported by Caravan's templates");
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

static const struct func_def ct_funcs[] = {
    {"env", fn_env, 1, 1, false},
    {"envOrDefault", fn_env_or_default, 2, 2, false},
    {"mustEnv", fn_must_env, 1, 1, false},
    {"nomadService", fn_nomad_service, 1, -1, false},
    {"nomadServices", fn_nomad_services, 0, 1, false},
    {"key", fn_consul, 0, -1, false},
    {"keyOrDefault", fn_consul, 0, -1, false},
    {"keyExists", fn_consul, 0, -1, false},
    {"ls", fn_consul, 0, -1, false},
    {"safeLs", fn_consul, 0, -1, false},
    {"tree", fn_consul, 0, -1, false},
    {"safeTree", fn_consul, 0, -1, false},
    {"service", fn_consul, 0, -1, false},
    {"services", fn_consul, 0, -1, false},
    {"connect", fn_consul, 0, -1, false},
    {"node", fn_consul, 0, -1, false},
    {"nodes", fn_consul, 0, -1, false},
    {"secret", fn_vault, 0, -1, false},
    {"secrets", fn_vault, 0, -1, false},
    {"nomadVar", fn_nomad_var, 0, -1, false},
    {"nomadVarExists", fn_nomad_var, 0, -1, false},
    {"nomadVarList", fn_nomad_var, 0, -1, false},
    {"nomadVarListSafe", fn_nomad_var, 0, -1, false},
    {"file", fn_file, 0, -1, false},
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

const struct func_def *tmpl__ct_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(ct_funcs) / sizeof(ct_funcs[0]); i++) {
        if (strcmp(ct_funcs[i].name, name) == 0)
            return &ct_funcs[i];
    }
    return NULL;
}
