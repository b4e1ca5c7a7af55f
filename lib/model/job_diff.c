/* Job diffs over the model schemas (see job_diff.h). */
#include "lib/model/job_diff.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/model/job.h"
#include "lib/model/schema.h"
#include "lib/model/types.h"

#define CAT(obj, off, type) ((const type *)((const char *)(obj) + (off)))

static const char T_ADDED[] = "Added";
static const char T_DELETED[] = "Deleted";
static const char T_EDITED[] = "Edited";
static const char T_NONE[] = "None";

/* Server bookkeeping and secrets are never part of a diff. */
static const char *const job_skip[] = {
    "ID",          "Status",      "StatusDescription",
    "Version",     "Stable",      "SubmitTime",
    "CreateIndex", "ModifyIndex", "JobModifyIndex",
    "TaskGroups",  "ConsulToken", "VaultToken",
    NULL};
static const char *const group_skip[] = {"Name", "Tasks", NULL};
static const char *const task_skip[] = {"Name", NULL};

static bool skipped(const char *const *skip, const char *name)
{
    for (; skip != NULL && *skip != NULL; skip++) {
        if (strcmp(*skip, name) == 0)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------- lists */

static json_t *list_or_null(json_t *a)
{
    if (json_array_size(a) > 0)
        return a;
    json_decref(a);
    return json_null();
}

static int by_name(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    int c = strcmp(json_string_value(json_object_get(a, "Name")),
                   json_string_value(json_object_get(b, "Name")));

    /* Same name (a replaced list element): a fixed order all the same. */
    return c != 0 ? c
                  : strcmp(json_string_value(json_object_get(a, "Type")),
                           json_string_value(json_object_get(b, "Type")));
}

/* Nomad sorts fields, objects, groups and tasks by name. */
static void sort_by_name(json_t *a)
{
    size_t n = json_array_size(a);
    json_t **v;

    if (n < 2)
        return;
    v = xcalloc(n, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(a, i));
    qsort(v, n, sizeof(*v), by_name);
    json_array_clear(a);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, v[i]);
    free(v);
}

/* ------------------------------------------------------------ fields */

static json_t *field_diff(const char *name,
                          const char *old,
                          const char *new,
                          bool contextual)
{
    const char *type;

    if (strcmp(old, new) == 0) {
        if (!contextual || old[0] == '\0')
            return NULL;
        type = T_NONE;
    } else if (old[0] == '\0') {
        type = T_ADDED;
    } else if (new[0] == '\0') {
        type = T_DELETED;
    } else {
        type = T_EDITED;
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:n}", "Type", type, "Name", name, "Old",
                     old, "New", new, "Annotations");
}

/* A primitive field as Nomad's flatmap prints it; "" when unset. */
static char *prim_value(const struct field *f, const void *obj)
{
    if (obj == NULL)
        return xstrdup("");
    switch (f->kind) {
    case F_STR: {
        const char *s = *CAT(obj, f->off, char *);

        return xstrdup(s ? s : "");
    }
    case F_I64: {
        int64_t v = *CAT(obj, f->off, int64_t);

        return v == MODEL_UNSET ? xstrdup("") : xasprintf("%" PRId64, v);
    }
    case F_INT:
        return xasprintf("%" PRId64, *CAT(obj, f->off, int64_t));
    case F_TRI: {
        enum tri t = *CAT(obj, f->off, enum tri);

        return xstrdup(t == TRI_UNSET ? "" : t == TRI_TRUE ? "true" : "false");
    }
    case F_BOOL:
        return xstrdup(*CAT(obj, f->off, bool) ? "true" : "false");
    default:
        return xstrdup("");
    }
}

static bool is_prim(enum field_kind k)
{
    return k == F_STR || k == F_I64 || k == F_INT || k == F_TRI || k == F_BOOL;
}

/* ------------------------------------------------ flattened key/values */

/* An ordered set of name -> value, for maps, lists and driver config. */
struct flat
{
    struct strmap m;
};

static void flat_json(struct flat *fl, const char *path, const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    char *sub, *text;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, k, x)
        {
            sub = path[0] ? xasprintf("%s[%s]", path, k) : xstrdup(k);
            flat_json(fl, sub, x);
            free(sub);
        }
        return;
    case JSON_ARRAY:
        json_array_foreach(v, i, x)
        {
            sub = xasprintf("%s[%zu]", path, i);
            flat_json(fl, sub, x);
            free(sub);
        }
        return;
    case JSON_STRING:
        strmap_set(&fl->m, path, json_string_value(v));
        return;
    case JSON_NULL:
        return;
    default:
        text = json_dumps(v, JSON_ENCODE_ANY);
        strmap_set(&fl->m, path, text ? text : "");
        free(text);
        return;
    }
}

/* The flattened form of a map, list, header or config field. */
static void flatten(const struct field *f, const void *obj, struct flat *fl)
{
    strmap_init(&fl->m);
    if (obj == NULL)
        return;
    switch (f->kind) {
    case F_STRLIST: {
        const struct strlist *l = CAT(obj, f->off, struct strlist);

        for (size_t i = 0; i < l->n; i++)
            strmap_set(&fl->m, l->items[i], l->items[i]);
        break;
    }
    case F_STRMAP:
    case F_INTMAP:
        strmap_copy(&fl->m, CAT(obj, f->off, struct strmap));
        break;
    case F_JSON: {
        const json_t *j = *CAT(obj, f->off, json_t *);

        if (j != NULL)
            flat_json(fl, "", j);
        break;
    }
    case F_HEADERS: {
        const struct check_header *h = *CAT(obj, f->off, struct check_header *);
        size_t n = *CAT(obj, f->aux, size_t);

        for (size_t i = 0; i < n; i++) {
            struct buf b = BUF_INIT;

            for (size_t k = 0; k < h[i].values.n; k++)
                buf_printf(&b, "%s%s", k ? "," : "", h[i].values.items[k]);
            strmap_set(&fl->m, model_str(h[i].name), buf_str(&b));
            buf_release(&b);
        }
        break;
    }
    default:
        break;
    }
}

static const char *type_of(bool had, bool has, bool changed)
{
    if (!had && has)
        return T_ADDED;
    if (had && !has)
        return T_DELETED;
    return changed ? T_EDITED : T_NONE;
}

static json_t *object_json(const char *type,
                           const char *name,
                           json_t *fields,
                           json_t *objects)
{
    sort_by_name(fields);
    sort_by_name(objects);
    return json_pack("{s:s,s:s,s:o,s:o}", "Type", type, "Name", name, "Fields",
                     list_or_null(fields), "Objects", list_or_null(objects));
}

/*
 * A map-like field as an object of one field per key. String sets
 * (Datacenters) name every field after the set, as Nomad's stringSetDiff.
 */
static json_t *flat_diff(const struct field *f, const void *a, const void *b)
{
    struct flat fa, fb;
    json_t *fields = json_array();
    bool changed = false, set = f->kind == F_STRLIST;
    const char *type;

    flatten(f, a, &fa);
    flatten(f, b, &fb);
    for (size_t i = 0; i < fa.m.n; i++) {
        const char *k = fa.m.items[i].key, *nv = strmap_get(&fb.m, k);
        json_t *d = field_diff(set ? f->name : k, fa.m.items[i].value,
                               nv ? nv : "", true);

        if (d != NULL) {
            changed |= strcmp(json_string_value(json_object_get(d, "Type")),
                              T_NONE) != 0;
            json_array_append_new(fields, d);
        }
    }
    for (size_t i = 0; i < fb.m.n; i++) {
        const char *k = fb.m.items[i].key;

        if (strmap_get(&fa.m, k) != NULL)
            continue;
        changed = true;
        json_array_append_new(fields, field_diff(set ? f->name : k, "",
                                                 fb.m.items[i].value, true));
    }
    type = type_of(fa.m.n > 0, fb.m.n > 0, true);
    strmap_release(&fa.m);
    strmap_release(&fb.m);
    if (!changed) {
        json_decref(fields);
        return NULL;
    }
    return object_json(type, f->name, fields, json_array());
}

/* ------------------------------------------------------------ objects */

static void diff_fields(const struct schema *s,
                        const void *a,
                        const void *b,
                        bool contextual,
                        const char *const *skip,
                        json_t *fields,
                        json_t *objects);

static bool any_change(const json_t *list)
{
    size_t i;
    json_t *d;

    json_array_foreach(list, i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "Type")), T_NONE) != 0)
            return true;
    }
    return false;
}

/* One block (a or b may be NULL); NULL when nothing changed. */
static json_t *object_diff(const struct schema *s,
                           const char *name,
                           const void *a,
                           const void *b)
{
    json_t *fields = json_array(), *objects = json_array();
    bool changed;

    if (a == NULL && b == NULL) {
        json_decref(fields);
        json_decref(objects);
        return NULL;
    }
    diff_fields(s, a, b, true, NULL, fields, objects);
    changed = a == NULL || b == NULL || any_change(fields) ||
              json_array_size(objects) > 0;
    if (!changed) {
        json_decref(fields);
        json_decref(objects);
        return NULL;
    }
    return object_json(type_of(a != NULL, b != NULL, true), name, fields,
                       objects);
}

/* "Constraints" -> "Constraint", "Affinities" -> "Affinity". */
static char *singular(const char *name)
{
    size_t n = strlen(name);

    if (n > 3 && strcmp(name + n - 3, "ies") == 0)
        return xasprintf("%.*sy", (int)(n - 3), name);
    if (n > 1 && name[n - 1] == 's')
        return xstrndup(name, n - 1);
    return xstrdup(name);
}

/* The Name or Label of a list element, which pairs edited elements. */
static const char *elem_key(const struct schema *s, const void *x)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];

        if (f->kind == F_STR &&
            (strcmp(f->name, "Name") == 0 || strcmp(f->name, "Label") == 0))
            return *CAT(x, f->off, char *);
    }
    return NULL;
}

static void list_diff(const struct field *f,
                      const void *a,
                      const void *b,
                      json_t *objects)
{
    const struct schema *s = f->sub;
    const char *ia = a ? *CAT(a, f->off, char *) : NULL;
    const char *ib = b ? *CAT(b, f->off, char *) : NULL;
    size_t na = a ? *CAT(a, f->aux, size_t) : 0;
    size_t nb = b ? *CAT(b, f->aux, size_t) : 0;
    bool *used_a = xcalloc(na + 1, 1), *used_b = xcalloc(nb + 1, 1);
    char *name = singular(f->name);

    /* Equal elements are the same element, wherever they moved. */
    for (size_t i = 0; i < na; i++) {
        for (size_t k = 0; k < nb; k++) {
            if (!used_b[k] &&
                schema_equal(s, ia + i * s->size, ib + k * s->size)) {
                used_a[i] = used_b[k] = true;
                break;
            }
        }
    }
    for (size_t i = 0; i < na; i++) {
        const char *ka = used_a[i] ? NULL : elem_key(s, ia + i * s->size);

        for (size_t k = 0; ka != NULL && k < nb; k++) {
            const char *kb = elem_key(s, ib + k * s->size);

            if (used_b[k] || kb == NULL || strcmp(ka, kb) != 0)
                continue;
            used_a[i] = used_b[k] = true;
            json_t *d =
                object_diff(s, name, ia + i * s->size, ib + k * s->size);
            if (d != NULL)
                json_array_append_new(objects, d);
            break;
        }
    }
    for (size_t i = 0; i < na; i++) {
        if (!used_a[i])
            json_array_append_new(objects,
                                  object_diff(s, name, ia + i * s->size, NULL));
    }
    for (size_t k = 0; k < nb; k++) {
        if (!used_b[k])
            json_array_append_new(objects,
                                  object_diff(s, name, NULL, ib + k * s->size));
    }
    free(name);
    free(used_a);
    free(used_b);
}

static void diff_fields(const struct schema *s,
                        const void *a,
                        const void *b,
                        bool contextual,
                        const char *const *skip,
                        json_t *fields,
                        json_t *objects)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        json_t *d = NULL;

        if (skipped(skip, f->name))
            continue;
        if (is_prim(f->kind)) {
            char *va = prim_value(f, a), *vb = prim_value(f, b);

            d = field_diff(f->name, va, vb, contextual);
            free(va);
            free(vb);
            if (d != NULL)
                json_array_append_new(fields, d);
            continue;
        }
        switch (f->kind) {
        case F_STRLIST:
        case F_STRMAP:
        case F_INTMAP:
        case F_JSON:
        case F_HEADERS:
            d = flat_diff(f, a, b);
            break;
        case F_PTR:
            d = object_diff(f->sub, f->name, a ? *CAT(a, f->off, void *) : NULL,
                            b ? *CAT(b, f->off, void *) : NULL);
            break;
        case F_EMBED:
            if (f->name[0] == '\0')
                diff_fields(f->sub, a ? CAT(a, f->off, char) : NULL,
                            b ? CAT(b, f->off, char) : NULL, contextual, NULL,
                            fields, objects);
            else
                d = object_diff(f->sub, f->name,
                                a ? CAT(a, f->off, char) : NULL,
                                b ? CAT(b, f->off, char) : NULL);
            break;
        case F_ARR:
        case F_ARRMAP:
            list_diff(f, a, b, objects);
            break;
        default:
            break;
        }
        if (d != NULL)
            json_array_append_new(objects, d);
    }
}

/* ------------------------------------------------------ groups, tasks */

static json_t *task_diff(const struct task *a, const struct task *b)
{
    json_t *fields = json_array(), *objects = json_array();
    bool changed;

    diff_fields(&schema_task, a, b, false, task_skip, fields, objects);
    changed = json_array_size(fields) > 0 || json_array_size(objects) > 0;
    sort_by_name(fields);
    sort_by_name(objects);
    return json_pack(
        "{s:s,s:s,s:o,s:o,s:n}", "Type", type_of(a != NULL, b != NULL, changed),
        "Name", model_str(a ? a->name : b->name), "Fields",
        list_or_null(fields), "Objects", list_or_null(objects), "Annotations");
}

static const struct task *find_task(const struct task_group *g,
                                    const char *name)
{
    for (size_t i = 0; g != NULL && i < g->ntasks; i++) {
        if (strcmp(model_str(g->tasks[i].name), model_str(name)) == 0)
            return &g->tasks[i];
    }
    return NULL;
}

static json_t *group_diff(const struct task_group *a,
                          const struct task_group *b)
{
    json_t *fields = json_array(), *objects = json_array();
    json_t *tasks = json_array();
    bool changed;
    size_t i;

    diff_fields(&schema_task_group, a, b, false, group_skip, fields, objects);
    for (i = 0; a != NULL && i < a->ntasks; i++)
        json_array_append_new(
            tasks, task_diff(&a->tasks[i], find_task(b, a->tasks[i].name)));
    for (i = 0; b != NULL && i < b->ntasks; i++) {
        if (find_task(a, b->tasks[i].name) == NULL)
            json_array_append_new(tasks, task_diff(NULL, &b->tasks[i]));
    }
    sort_by_name(fields);
    sort_by_name(objects);
    sort_by_name(tasks);
    changed = json_array_size(fields) > 0 || json_array_size(objects) > 0 ||
              any_change(tasks);
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:n}", "Type",
                     type_of(a != NULL, b != NULL, changed), "Name",
                     model_str(a ? a->name : b->name), "Fields",
                     list_or_null(fields), "Objects", list_or_null(objects),
                     "Tasks", list_or_null(tasks), "Updates");
}

static const struct task_group *find_group(const struct job *j,
                                           const char *name)
{
    for (size_t i = 0; j != NULL && i < j->ngroups; i++) {
        if (strcmp(model_str(j->groups[i].name), model_str(name)) == 0)
            return &j->groups[i];
    }
    return NULL;
}

json_t *job_diff(const struct job *old, const struct job *new)
{
    json_t *fields = json_array(), *objects = json_array();
    json_t *groups = json_array();
    const struct job *any = old ? old : new;
    bool changed;
    size_t i;

    if (any == NULL)
        return json_pack("{s:s,s:s,s:n,s:n,s:n}", "Type", T_NONE, "ID", "",
                         "Fields", "Objects", "TaskGroups");
    diff_fields(&schema_job, old, new, false, job_skip, fields, objects);
    for (i = 0; old != NULL && i < old->ngroups; i++)
        json_array_append_new(
            groups,
            group_diff(&old->groups[i], find_group(new, old->groups[i].name)));
    for (i = 0; new != NULL &&i < new->ngroups; i++) {
        if (find_group(old, new->groups[i].name) == NULL)
            json_array_append_new(groups, group_diff(NULL, &new->groups[i]));
    }
    sort_by_name(fields);
    sort_by_name(objects);
    sort_by_name(groups);
    changed = json_array_size(fields) > 0 || json_array_size(objects) > 0 ||
              any_change(groups);
    return json_pack("{s:s,s:s,s:o,s:o,s:o}", "Type",
                     type_of(old != NULL, new != NULL, changed), "ID",
                     any->id ? any->id : "", "Fields", list_or_null(fields),
                     "Objects", list_or_null(objects), "TaskGroups",
                     list_or_null(groups));
}

/* ---------------------------------------------------------- annotate */

/* What our scheduler (scheduler/diff.c) cannot change in place. */
static const char *const destructive_fields[] = {"Driver", "User", "Leader",
                                                 "Kind", NULL};
static const char *const destructive_objects[] = {
    "Config",   "Env",       "Meta",      "Resources",       "Template",
    "Artifact", "Lifecycle", "LogConfig", "DispatchPayload", NULL};

static void add_annotation(json_t *d, const char *text)
{
    json_t *a = json_object_get(d, "Annotations");

    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(d, "Annotations", a);
    }
    json_array_append_new(a, json_string(text));
}

static bool names_in(const json_t *list, const char *const *names)
{
    size_t i;
    json_t *d;

    json_array_foreach(list, i, d)
    {
        if (skipped(names, json_string_value(json_object_get(d, "Name"))))
            return true;
    }
    return false;
}

static void annotate_task(json_t *task, const char *group_type)
{
    const char *type = json_string_value(json_object_get(task, "Type"));

    if (strcmp(type, T_NONE) == 0)
        return;
    if (strcmp(group_type, T_ADDED) == 0 ||
        strcmp(group_type, T_DELETED) == 0) {
        if (strcmp(type, T_ADDED) == 0) {
            add_annotation(task, "forces create");
            return;
        }
        if (strcmp(type, T_DELETED) == 0) {
            add_annotation(task, "forces destroy");
            return;
        }
    }
    if (strcmp(type, T_EDITED) != 0 ||
        names_in(json_object_get(task, "Fields"), destructive_fields) ||
        names_in(json_object_get(task, "Objects"), destructive_objects))
        add_annotation(task, "forces create/destroy update");
    else
        add_annotation(task, "forces in-place update");
}

static void annotate_count(json_t *group)
{
    size_t i;
    json_t *d;

    json_array_foreach(json_object_get(group, "Fields"), i, d)
    {
        long long o, n;

        if (strcmp(json_string_value(json_object_get(d, "Name")), "Count") != 0)
            continue;
        o = strtoll(json_string_value(json_object_get(d, "Old")), NULL, 10);
        n = strtoll(json_string_value(json_object_get(d, "New")), NULL, 10);
        if (o < n)
            add_annotation(d, "forces create");
        else if (n < o)
            add_annotation(d, "forces destroy");
    }
}

static void set_update(json_t *updates,
                       const json_t *tg,
                       const char *key,
                       const char *name)
{
    json_int_t v = json_integer_value(json_object_get(tg, key));

    if (v != 0)
        json_object_set_new(updates, name, json_integer(v));
}

void job_diff_annotate(json_t *diff, const json_t *desired)
{
    size_t i, k;
    json_t *g, *t;

    json_array_foreach(json_object_get(diff, "TaskGroups"), i, g)
    {
        const char *name = json_string_value(json_object_get(g, "Name"));
        const json_t *tg = desired ? json_object_get(desired, name) : NULL;

        if (tg != NULL) {
            json_t *u = json_object();

            set_update(u, tg, "Ignore", "ignore");
            set_update(u, tg, "Place", "create");
            set_update(u, tg, "Migrate", "migrate");
            set_update(u, tg, "Stop", "destroy");
            set_update(u, tg, "Canary", "canary");
            set_update(u, tg, "InPlaceUpdate", "in-place update");
            set_update(u, tg, "DestructiveUpdate", "create/destroy update");
            json_object_set_new(g, "Updates", u);
        }
        annotate_count(g);
        json_array_foreach(json_object_get(g, "Tasks"), k, t)
            annotate_task(t, json_string_value(json_object_get(g, "Type")));
    }
}
