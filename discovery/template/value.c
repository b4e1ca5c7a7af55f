/* Template values: construction, lookup, truth and Go's type names. */
#include "discovery/template/value.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

static struct tv nil_value = {.refs = -1, .kind = TV_NIL};
static struct tv true_value = {.refs = -1, .kind = TV_BOOL, .u.b = true};
static struct tv false_value = {.refs = -1, .kind = TV_BOOL, .u.b = false};

static bool is_static(const struct tv *v)
{
    return v == &nil_value || v == &true_value || v == &false_value;
}

static struct tv *tv_new(enum tv_kind kind)
{
    struct tv *v = xcalloc(1, sizeof(*v));

    v->refs = 1;
    v->kind = kind;
    return v;
}

struct tv *tv_nil(void)
{
    return &nil_value;
}

struct tv *tv_bool(bool b)
{
    return b ? &true_value : &false_value;
}

struct tv *tv_int(int64_t i)
{
    struct tv *v = tv_new(TV_INT);

    v->u.i = i;
    return v;
}

struct tv *tv_float(double f)
{
    struct tv *v = tv_new(TV_FLOAT);

    v->u.f = f;
    return v;
}

struct tv *tv_str_take(char *s, size_t len)
{
    struct tv *v = tv_new(TV_STRING);

    v->u.str.s = s;
    v->u.str.len = len;
    return v;
}

struct tv *tv_strn(const char *s, size_t len)
{
    char *copy = xmalloc(len + 1);

    memcpy(copy, s, len);
    copy[len] = '\0';
    return tv_str_take(copy, len);
}

struct tv *tv_str(const char *s)
{
    return tv_strn(s ? s : "", s ? strlen(s) : 0);
}

struct tv *tv_list_new(size_t cap)
{
    struct tv *v = tv_new(TV_LIST);

    if (cap > 0) {
        v->u.list.items = xmalloc(cap * sizeof(*v->u.list.items));
        v->u.list.cap = cap;
    }
    return v;
}

void tv_list_push(struct tv *list, struct tv *item)
{
    XGROW(list->u.list.items, list->u.list.cap, list->u.list.n + 1);
    list->u.list.items[list->u.list.n++] = item;
}

struct tv *tv_map_new(void)
{
    return tv_new(TV_MAP);
}

/* Position of key in the sorted keys, or where it would go. */
static size_t map_find(const struct tv *map, const char *key, bool *found)
{
    size_t lo = 0, hi = map->u.map.n;

    *found = false;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(map->u.map.keys[mid], key);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tv_map_set(struct tv *map, const char *key, struct tv *val)
{
    bool found;
    size_t at = map_find(map, key, &found), n = map->u.map.n;

    if (found) {
        tv_unref(map->u.map.vals[at]);
        map->u.map.vals[at] = val;
        return;
    }
    map->u.map.keys = xrealloc(map->u.map.keys, (n + 1) * sizeof(char *));
    map->u.map.vals = xrealloc(map->u.map.vals, (n + 1) * sizeof(struct tv *));
    memmove(map->u.map.keys + at + 1, map->u.map.keys + at,
            (n - at) * sizeof(char *));
    memmove(map->u.map.vals + at + 1, map->u.map.vals + at,
            (n - at) * sizeof(struct tv *));
    map->u.map.keys[at] = xstrdup(key);
    map->u.map.vals[at] = val;
    map->u.map.n = n + 1;
}

struct tv *tv_record_new(const struct tv_shape *shape)
{
    struct tv *v = tv_new(TV_RECORD);

    v->u.map.shape = shape;
    v->u.map.n = shape->n_fields;
    v->u.map.keys = (char **)shape->fields;
    v->u.map.vals = xmalloc(shape->n_fields * sizeof(struct tv *));
    for (size_t i = 0; i < shape->n_fields; i++)
        v->u.map.vals[i] = tv_nil();
    return v;
}

void tv_record_set(struct tv *rec, size_t field, struct tv *val)
{
    tv_unref(rec->u.map.vals[field]);
    rec->u.map.vals[field] = val;
}

void tv_free_(struct tv *v)
{
    if (is_static(v))
        return;
    switch (v->kind) {
    case TV_STRING:
        free(v->u.str.s);
        break;
    case TV_LIST:
        for (size_t i = 0; i < v->u.list.n; i++)
            tv_unref(v->u.list.items[i]);
        free(v->u.list.items);
        break;
    case TV_MAP:
    case TV_RECORD:
        for (size_t i = 0; i < v->u.map.n; i++) {
            if (v->kind == TV_MAP)
                free(v->u.map.keys[i]);
            tv_unref(v->u.map.vals[i]);
        }
        if (v->kind == TV_MAP)
            free(v->u.map.keys);
        free(v->u.map.vals);
        break;
    default:
        break;
    }
    free(v);
}

struct tv *tv_map_get(const struct tv *map, const char *key)
{
    bool found;
    size_t at;

    if (map->kind == TV_RECORD) {
        int f = tv_shape_field(map->u.map.shape, key);

        return f < 0 ? NULL : map->u.map.vals[f];
    }
    at = map_find(map, key, &found);
    return found ? map->u.map.vals[at] : NULL;
}

int tv_shape_field(const struct tv_shape *shape, const char *name)
{
    for (size_t i = 0; i < shape->n_fields; i++) {
        if (strcmp(shape->fields[i], name) == 0)
            return (int)i;
    }
    return -1;
}

bool tv_truth(const struct tv *v)
{
    if (v == NULL)
        return false;
    switch (v->kind) {
    case TV_NIL:
        return false;
    case TV_BOOL:
        return v->u.b;
    case TV_INT:
        return v->u.i != 0;
    case TV_FLOAT:
        return v->u.f != 0;
    case TV_STRING:
        return v->u.str.len > 0;
    case TV_LIST:
        return v->u.list.n > 0;
    case TV_MAP:
        return v->u.map.n > 0;
    case TV_RECORD:
        return true;
    }
    return false;
}

const char *tv_type_name(const struct tv *v)
{
    if (v == NULL)
        return "<no value>";
    switch (v->kind) {
    case TV_NIL:
        return "nil";
    case TV_BOOL:
        return "bool";
    case TV_INT:
        return "int";
    case TV_FLOAT:
        return "float64";
    case TV_STRING:
        return "string";
    case TV_LIST:
        return "[]interface {}";
    case TV_MAP:
        return "map[string]interface {}";
    case TV_RECORD:
        return v->u.map.shape->type_name;
    }
    return "?";
}

struct tv *tv_from_json(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        struct tv *m = tv_map_new();
        const char *k;
        json_t *e;

        json_object_foreach((json_t *)j, k, e)
            tv_map_set(m, k, tv_from_json(e));
        return m;
    }
    case JSON_ARRAY: {
        struct tv *l = tv_list_new(json_array_size(j));

        for (size_t i = 0; i < json_array_size(j); i++)
            tv_list_push(l, tv_from_json(json_array_get(j, i)));
        return l;
    }
    case JSON_STRING:
        return tv_strn(json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return tv_int((int64_t)json_integer_value(j));
    case JSON_REAL:
        return tv_float(json_real_value(j));
    case JSON_TRUE:
        return tv_bool(true);
    case JSON_FALSE:
        return tv_bool(false);
    default:
        return tv_nil();
    }
}
