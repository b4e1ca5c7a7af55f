/*
 * consul-template's functions as Nomad templates see them: the data
 * lookups (nomadService, nomadServices, env) through the render's
 * tmpl_source, the string and number helpers, and clear errors for the
 * lookups Caravan has no backend for (Consul KV, Vault, variables).
 *
 * Argument order is consul-template's: the subject comes last, so that
 * `{{ .Name | replaceAll "-" "_" }}` reads as a pipeline.
 */
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
};

const struct func_def *tmpl__ct_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(ct_funcs) / sizeof(ct_funcs[0]); i++) {
        if (strcmp(ct_funcs[i].name, name) == 0)
            return &ct_funcs[i];
    }
    return tmpl__text_lookup(name);
}
