/* Generic walkers over the model schemas (see schema.h). */
#include "lib/model/schema.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/codec_mp.h"
#include "lib/model/job.h"
#include "lib/model/types.h"

#define AT(obj, off, type) ((type *)((char *)(obj) + (off)))
#define CAT(obj, off, type) ((const type *)((const char *)(obj) + (off)))

/* ------------------------------------------------------------------- init */

void schema_init(const struct schema *s, void *obj)
{
    memset(obj, 0, s->size);
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];

        if (f->kind == F_I64)
            *AT(obj, f->off, int64_t) = MODEL_UNSET;
        else if (f->kind == F_EMBED)
            schema_init(f->sub, AT(obj, f->off, char));
    }
}

static void release_fields(const struct schema *s, void *obj)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        void *p = AT(obj, f->off, char);

        switch (f->kind) {
        case F_STR:
            free(*(char **)p);
            break;
        case F_STRLIST:
            strlist_release(p);
            break;
        case F_STRMAP:
        case F_INTMAP:
            strmap_release(p);
            break;
        case F_JSON:
            json_decref(*(json_t **)p);
            break;
        case F_PTR:
            if (*(void **)p != NULL) {
                release_fields(f->sub, *(void **)p);
                free(*(void **)p);
            }
            break;
        case F_ARR:
        case F_ARRMAP: {
            char *items = *(char **)p;
            size_t n = *AT(obj, f->aux, size_t);

            for (size_t k = 0; k < n; k++)
                release_fields(f->sub, items + k * f->sub->size);
            free(items);
            break;
        }
        case F_HEADERS: {
            struct check_header *h = *(struct check_header **)p;
            size_t n = *AT(obj, f->aux, size_t);

            for (size_t k = 0; k < n; k++) {
                free(h[k].name);
                strlist_release(&h[k].values);
            }
            free(h);
            break;
        }
        case F_EMBED:
            release_fields(f->sub, p);
            break;
        case F_I64:
        case F_INT:
        case F_TRI:
        case F_BOOL:
            break;
        }
    }
}

/* Empties an F_ARR, F_ARRMAP or F_HEADERS field of obj. */
static void arr_reset(const struct field *f, void *obj)
{
    struct schema one = {"", 0, f, 1};

    release_fields(&one, obj);
    *AT(obj, f->off, void *) = NULL;
    *AT(obj, f->aux, size_t) = 0;
}

void schema_release(const struct schema *s, void *obj)
{
    release_fields(s, obj);
    schema_init(s, obj);
}

/* ------------------------------------------------------------------- copy */

/* dst already holds a shallow copy of src; replace what src owns. */
static void deepen(const struct schema *s, void *dst, const void *src)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        void *d = AT(dst, f->off, char);
        const void *x = CAT(src, f->off, char);

        switch (f->kind) {
        case F_STR:
            if (*(char *const *)x != NULL)
                *(char **)d = xstrdup(*(char *const *)x);
            break;
        case F_STRLIST:
            strlist_copy(d, x);
            break;
        case F_STRMAP:
        case F_INTMAP:
            strmap_copy(d, x);
            break;
        case F_JSON:
            if (*(json_t *const *)x != NULL)
                *(json_t **)d = json_deep_copy(*(json_t *const *)x);
            break;
        case F_PTR:
            if (*(void *const *)x != NULL) {
                void *c = xmalloc(f->sub->size);

                memcpy(c, *(void *const *)x, f->sub->size);
                deepen(f->sub, c, *(void *const *)x);
                *(void **)d = c;
            }
            break;
        case F_ARR:
        case F_ARRMAP: {
            size_t n = *CAT(src, f->aux, size_t);
            const char *from = *(char *const *)x;
            char *to = NULL;

            if (n > 0) {
                to = xmalloc(n * f->sub->size);
                memcpy(to, from, n * f->sub->size);
                for (size_t k = 0; k < n; k++)
                    deepen(f->sub, to + k * f->sub->size,
                           from + k * f->sub->size);
            }
            *(char **)d = to;
            break;
        }
        case F_HEADERS: {
            size_t n = *CAT(src, f->aux, size_t);
            const struct check_header *from =
                *(struct check_header *const *)x;
            struct check_header *to = NULL;

            if (n > 0) {
                to = xcalloc(n, sizeof(*to));
                for (size_t k = 0; k < n; k++) {
                    to[k].name = xstrdup(from[k].name);
                    strlist_copy(&to[k].values, &from[k].values);
                }
            }
            *(struct check_header **)d = to;
            break;
        }
        case F_EMBED:
            deepen(f->sub, d, x);
            break;
        case F_I64:
        case F_INT:
        case F_TRI:
        case F_BOOL:
            break;
        }
    }
}

void schema_copy(const struct schema *s, void *dst, const void *src)
{
    memcpy(dst, src, s->size);
    deepen(s, dst, src);
}

/* ------------------------------------------------------------------ equal */

static bool str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

bool schema_equal(const struct schema *s, const void *a, const void *b)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        const void *x = CAT(a, f->off, char);
        const void *y = CAT(b, f->off, char);

        switch (f->kind) {
        case F_STR:
            if (!str_eq(*(char *const *)x, *(char *const *)y))
                return false;
            break;
        case F_I64:
        case F_INT:
            if (*(const int64_t *)x != *(const int64_t *)y)
                return false;
            break;
        case F_TRI:
            if (*(const enum tri *)x != *(const enum tri *)y)
                return false;
            break;
        case F_BOOL:
            if (*(const bool *)x != *(const bool *)y)
                return false;
            break;
        case F_STRLIST:
            if (!strlist_equal(x, y))
                return false;
            break;
        case F_STRMAP:
        case F_INTMAP:
            if (!strmap_equal(x, y))
                return false;
            break;
        case F_JSON: {
            json_t *jx = *(json_t *const *)x, *jy = *(json_t *const *)y;

            if (jx == NULL || jy == NULL) {
                if (jx != jy)
                    return false;
            } else if (!json_equal(jx, jy)) {
                return false;
            }
            break;
        }
        case F_PTR: {
            const void *px = *(void *const *)x, *py = *(void *const *)y;

            if (px == NULL || py == NULL) {
                if (px != py)
                    return false;
            } else if (!schema_equal(f->sub, px, py)) {
                return false;
            }
            break;
        }
        case F_ARR:
        case F_ARRMAP: {
            size_t n = *CAT(a, f->aux, size_t);
            const char *ix = *(char *const *)x, *iy = *(char *const *)y;

            if (n != *CAT(b, f->aux, size_t))
                return false;
            for (size_t k = 0; k < n; k++) {
                if (!schema_equal(f->sub, ix + k * f->sub->size,
                                  iy + k * f->sub->size))
                    return false;
            }
            break;
        }
        case F_HEADERS: {
            size_t n = *CAT(a, f->aux, size_t);
            const struct check_header *hx = *(struct check_header *const *)x;
            const struct check_header *hy = *(struct check_header *const *)y;

            if (n != *CAT(b, f->aux, size_t) ||
                *CAT(a, f->aux2, bool) != *CAT(b, f->aux2, bool))
                return false;
            for (size_t k = 0; k < n; k++) {
                if (!str_eq(hx[k].name, hy[k].name) ||
                    !strlist_equal(&hx[k].values, &hy[k].values))
                    return false;
            }
            break;
        }
        case F_EMBED:
            if (!schema_equal(f->sub, x, y))
                return false;
            break;
        }
    }
    return true;
}

/* ------------------------------------------------------------- JSON out */

static json_t *strlist_json(const struct strlist *l)
{
    json_t *a;

    if (!l->set && l->n == 0)
        return json_null();
    a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

static int entry_ptr_cmp(const void *a, const void *b)
{
    const struct strmap_entry *const *x = a, *const *y = b;

    return strcmp((*x)->key, (*y)->key);
}

/* Go's encoding/json writes map keys sorted; so do we. */
static json_t *strmap_json(const struct strmap *m, bool ints)
{
    const struct strmap_entry **sorted;
    json_t *o;

    if (!m->set && m->n == 0)
        return json_null();
    o = json_object();
    if (m->n == 0)
        return o;
    sorted = xmalloc(m->n * sizeof(*sorted));
    for (size_t i = 0; i < m->n; i++)
        sorted[i] = &m->items[i];
    qsort(sorted, m->n, sizeof(*sorted), entry_ptr_cmp);
    for (size_t i = 0; i < m->n; i++) {
        json_t *v = ints ? json_integer(strtoll(sorted[i]->value, NULL, 10))
                         : json_string(sorted[i]->value);

        json_object_set_new(o, sorted[i]->key, v);
    }
    free(sorted);
    return o;
}

static void fields_to_json(const struct schema *s,
                           const void *obj,
                           json_t *o,
                           size_t first);

static json_t *struct_json(const struct schema *s, const void *obj)
{
    json_t *o = json_object();

    fields_to_json(s, obj, o, 0);
    return o;
}

static void fields_to_json(const struct schema *s,
                           const void *obj,
                           json_t *o,
                           size_t first)
{
    for (size_t i = first; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        const void *x = CAT(obj, f->off, char);
        json_t *v = NULL;

        switch (f->kind) {
        case F_STR:
            v = *(char *const *)x ? json_string(*(char *const *)x)
                                  : json_null();
            break;
        case F_I64:
            v = *(const int64_t *)x == MODEL_UNSET
                    ? json_null()
                    : json_integer(*(const int64_t *)x);
            break;
        case F_INT:
            v = json_integer(*(const int64_t *)x);
            break;
        case F_TRI:
            v = *(const enum tri *)x == TRI_UNSET
                    ? json_null()
                    : json_boolean(*(const enum tri *)x == TRI_TRUE);
            break;
        case F_BOOL:
            v = json_boolean(*(const bool *)x);
            break;
        case F_STRLIST:
            v = strlist_json(x);
            break;
        case F_STRMAP:
            v = strmap_json(x, false);
            break;
        case F_INTMAP:
            v = strmap_json(x, true);
            break;
        case F_JSON:
            v = *(json_t *const *)x ? json_deep_copy(*(json_t *const *)x)
                                    : json_null();
            break;
        case F_PTR:
            v = *(void *const *)x ? struct_json(f->sub, *(void *const *)x)
                                  : json_null();
            break;
        case F_ARR: {
            size_t n = *CAT(obj, f->aux, size_t);
            const char *items = *(char *const *)x;

            if (n == 0) {
                v = json_null();
                break;
            }
            v = json_array();
            for (size_t k = 0; k < n; k++)
                json_array_append_new(
                    v, struct_json(f->sub, items + k * f->sub->size));
            break;
        }
        case F_ARRMAP: {
            size_t n = *CAT(obj, f->aux, size_t);
            const char *items = *(char *const *)x;

            if (n == 0) {
                v = json_null();
                break;
            }
            v = json_object();
            for (size_t k = 0; k < n; k++) {
                const void *e = items + k * f->sub->size;
                json_t *eo = json_object();

                fields_to_json(f->sub, e, eo, 1);
                json_object_set_new(
                    v, model_str(*CAT(e, f->sub->fields[0].off, char *)), eo);
            }
            break;
        }
        case F_HEADERS: {
            size_t n = *CAT(obj, f->aux, size_t);
            const struct check_header *h = *(struct check_header *const *)x;

            if (!*CAT(obj, f->aux2, bool)) {
                v = json_null();
                break;
            }
            v = json_object();
            for (size_t k = 0; k < n; k++)
                json_object_set_new(v, h[k].name, strlist_json(&h[k].values));
            break;
        }
        case F_EMBED:
            if (f->name[0] == '\0') {
                fields_to_json(f->sub, x, o, 0);
                continue;
            }
            v = struct_json(f->sub, x);
            break;
        }
        json_object_set_new(o, f->name, v);
    }
}

json_t *schema_to_json(const struct schema *s, const void *obj)
{
    return struct_json(s, obj);
}

/* -------------------------------------------------------------- JSON in */

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a bool";
    case JSON_NULL:
    default:
        return "null";
    }
}

static int type_error(struct err *err,
                      const char *path,
                      const char *name,
                      const char *want,
                      const json_t *got)
{
    return err_set(err, ERR_INVALID, "%s%s%s: expected %s, got %s", path,
                   name[0] ? "." : "", name, want, json_kind(got));
}

/* Go's encoding/json matches keys case-insensitively when no exact one. */
static json_t *lookup(const json_t *o, const char *name)
{
    const char *key;
    json_t *v = json_object_get(o, name);

    if (v != NULL)
        return v;
    json_object_foreach((json_t *)o, key, v)
    {
        if (strcasecmp(key, name) == 0)
            return v;
    }
    return NULL;
}

static int json_int(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);

        if (d == floor(d) && d >= -9.2e18 && d <= 9.2e18) {
            *out = (int64_t)d;
            return 0;
        }
    }
    return -1;
}

static int strlist_from_json(const json_t *v,
                             struct strlist *l,
                             const char *path,
                             const char *name,
                             struct err *err)
{
    size_t i;
    json_t *e;

    if (!json_is_array(v))
        return type_error(err, path, name, "a list of strings", v);
    strlist_release(l);
    l->set = true;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e)) {
            char sub[64];

            snprintf(sub, sizeof(sub), "%s[%zu]", name, i);
            return type_error(err, path, sub, "a string", e);
        }
        strlist_push(l, json_string_value(e));
    }
    return 0;
}

static int fields_from_json(const struct schema *s,
                            const json_t *o,
                            void *obj,
                            const char *path,
                            size_t first,
                            struct err *err);

static int struct_from_json(const struct schema *s,
                            const json_t *v,
                            void *obj,
                            const char *path,
                            struct err *err)
{
    if (!json_is_object(v))
        return type_error(err, path, "", "an object", v);
    return fields_from_json(s, v, obj, path, 0, err);
}

static int field_from_json(const struct field *f,
                           const json_t *v,
                           void *obj,
                           const char *path,
                           struct err *err)
{
    void *x = AT(obj, f->off, char);
    char sub[512];
    int64_t n;

    switch (f->kind) {
    case F_STR:
        if (!json_is_string(v))
            return type_error(err, path, f->name, "a string", v);
        model_set_str(x, json_string_value(v));
        return 0;
    case F_I64:
    case F_INT:
        if (json_int(v, &n) != 0)
            return type_error(err, path, f->name, "an integer", v);
        if (f->kind == F_I64 && n == MODEL_UNSET)
            n++;
        *(int64_t *)x = n;
        return 0;
    case F_TRI:
        if (!json_is_boolean(v))
            return type_error(err, path, f->name, "a bool", v);
        *(enum tri *)x = tri_from_bool(json_is_true(v));
        return 0;
    case F_BOOL:
        if (!json_is_boolean(v))
            return type_error(err, path, f->name, "a bool", v);
        *(bool *)x = json_is_true(v);
        return 0;
    case F_STRLIST:
        return strlist_from_json(v, x, path, f->name, err);
    case F_STRMAP:
    case F_INTMAP: {
        const char *key;
        json_t *e;

        if (!json_is_object(v))
            return type_error(err, path, f->name, "an object", v);
        strmap_release(x);
        ((struct strmap *)x)->set = true;
        json_object_foreach((json_t *)v, key, e)
        {
            if (f->kind == F_STRMAP && json_is_string(e)) {
                strmap_set(x, key, json_string_value(e));
            } else if (f->kind == F_INTMAP && json_int(e, &n) == 0) {
                char num[32];

                snprintf(num, sizeof(num), "%" PRId64, n);
                strmap_set(x, key, num);
            } else {
                snprintf(sub, sizeof(sub), "%s[%s]", f->name, key);
                return type_error(err, path, sub,
                                  f->kind == F_STRMAP ? "a string"
                                                      : "an integer",
                                  e);
            }
        }
        return 0;
    }
    case F_JSON:
        if (!json_is_object(v))
            return type_error(err, path, f->name, "an object", v);
        json_decref(*(json_t **)x);
        *(json_t **)x = json_deep_copy(v);
        return 0;
    case F_PTR: {
        void *p = *(void **)x;

        if (!json_is_object(v))
            return type_error(err, path, f->name, "an object", v);
        if (p == NULL) {
            p = xmalloc(f->sub->size);
            schema_init(f->sub, p);
            *(void **)x = p;
        }
        snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
        return fields_from_json(f->sub, v, p, sub, 0, err);
    }
    case F_ARR:
    case F_ARRMAP: {
        size_t *cnt = AT(obj, f->aux, size_t);
        size_t total, i = 0;
        const char *key;
        char *items;
        json_t *e;

        if (f->kind == F_ARR && !json_is_array(v))
            return type_error(err, path, f->name, "a list", v);
        if (f->kind == F_ARRMAP && !json_is_object(v))
            return type_error(err, path, f->name, "an object", v);
        arr_reset(f, obj);
        total = f->kind == F_ARR ? json_array_size(v) : json_object_size(v);
        if (total == 0)
            return 0;
        items = xcalloc(total, f->sub->size);
        *(char **)x = items;
        if (f->kind == F_ARR) {
            json_array_foreach(v, i, e)
            {
                void *el = items + i * f->sub->size;

                schema_init(f->sub, el);
                *cnt = i + 1;
                snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, f->name, i);
                if (struct_from_json(f->sub, e, el, sub, err) != 0)
                    return err->code;
            }
            return 0;
        }
        json_object_foreach((json_t *)v, key, e)
        {
            void *el = items + i * f->sub->size;

            schema_init(f->sub, el);
            *cnt = ++i;
            model_set_str(AT(el, f->sub->fields[0].off, char *), key);
            snprintf(sub, sizeof(sub), "%s.%s[%s]", path, f->name, key);
            if (!json_is_object(e))
                return type_error(err, sub, "", "an object", e);
            if (fields_from_json(f->sub, e, el, sub, 1, err) != 0)
                return err->code;
        }
        return 0;
    }
    case F_HEADERS: {
        size_t *cnt = AT(obj, f->aux, size_t);
        struct check_header *h;
        const char *key;
        json_t *e;

        if (!json_is_object(v))
            return type_error(err, path, f->name, "an object", v);
        arr_reset(f, obj);
        *AT(obj, f->aux2, bool) = true;
        if (json_object_size(v) == 0)
            return 0;
        h = xcalloc(json_object_size(v), sizeof(*h));
        *(struct check_header **)x = h;
        json_object_foreach((json_t *)v, key, e)
        {
            struct check_header *c = &h[(*cnt)++];

            c->name = xstrdup(key);
            snprintf(sub, sizeof(sub), "%s[%s]", f->name, key);
            if (strlist_from_json(e, &c->values, path, sub, err) != 0)
                return err->code;
        }
        return 0;
    }
    case F_EMBED:
        if (f->name[0] == '\0')
            return fields_from_json(f->sub, v, x, path, 0, err);
        snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
        return struct_from_json(f->sub, v, x, sub, err);
    }
    return 0;
}

static int fields_from_json(const struct schema *s,
                            const json_t *o,
                            void *obj,
                            const char *path,
                            size_t first,
                            struct err *err)
{
    for (size_t i = first; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        const json_t *v;

        if (f->kind == F_EMBED && f->name[0] == '\0') {
            if (fields_from_json(f->sub, o, AT(obj, f->off, char), path, 0,
                                 err) != 0)
                return err->code;
            continue;
        }
        v = lookup(o, f->name);
        if (v == NULL || json_is_null(v))
            continue;
        if (field_from_json(f, v, obj, path, err) != 0)
            return err->code;
    }
    return 0;
}

int schema_from_json(const struct schema *s,
                     const json_t *j,
                     void *obj,
                     const char *path,
                     struct err *err)
{
    return struct_from_json(s, j, obj, path, err);
}

/* ---------------------------------------------------------------- msgpack */

static void pack_strlist(msgpack_packer *pk, const struct strlist *l)
{
    if (!l->set && l->n == 0) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_array(pk, l->n);
    for (size_t i = 0; i < l->n; i++)
        mp_pack_str(pk, l->items[i]);
}

static void pack_struct(msgpack_packer *pk,
                        const struct schema *s,
                        const void *obj);

static void pack_field(msgpack_packer *pk,
                       const struct field *f,
                       const void *obj)
{
    const void *x = CAT(obj, f->off, char);

    switch (f->kind) {
    case F_STR:
        mp_pack_str(pk, *(char *const *)x);
        break;
    case F_I64:
        if (*(const int64_t *)x == MODEL_UNSET)
            msgpack_pack_nil(pk);
        else
            msgpack_pack_int64(pk, *(const int64_t *)x);
        break;
    case F_INT:
        msgpack_pack_int64(pk, *(const int64_t *)x);
        break;
    case F_TRI:
        if (*(const enum tri *)x == TRI_UNSET)
            msgpack_pack_nil(pk);
        else if (*(const enum tri *)x == TRI_TRUE)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        break;
    case F_BOOL:
        if (*(const bool *)x)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        break;
    case F_STRLIST:
        pack_strlist(pk, x);
        break;
    case F_STRMAP:
    case F_INTMAP: {
        const struct strmap *m = x;

        if (!m->set && m->n == 0) {
            msgpack_pack_nil(pk);
            break;
        }
        msgpack_pack_map(pk, m->n);
        for (size_t i = 0; i < m->n; i++) {
            mp_pack_str(pk, m->items[i].key);
            mp_pack_str(pk, m->items[i].value);
        }
        break;
    }
    case F_JSON: {
        json_t *j = *(json_t *const *)x;
        char *text;

        if (j == NULL) {
            msgpack_pack_nil(pk);
            break;
        }
        text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        mp_pack_str(pk, text);
        free(text);
        break;
    }
    case F_PTR:
        if (*(void *const *)x == NULL)
            msgpack_pack_nil(pk);
        else
            pack_struct(pk, f->sub, *(void *const *)x);
        break;
    case F_ARR:
    case F_ARRMAP: {
        size_t n = *CAT(obj, f->aux, size_t);
        const char *items = *(char *const *)x;

        msgpack_pack_array(pk, n);
        for (size_t k = 0; k < n; k++)
            pack_struct(pk, f->sub, items + k * f->sub->size);
        break;
    }
    case F_HEADERS: {
        size_t n = *CAT(obj, f->aux, size_t);
        const struct check_header *h = *(struct check_header *const *)x;

        if (!*CAT(obj, f->aux2, bool)) {
            msgpack_pack_nil(pk);
            break;
        }
        msgpack_pack_array(pk, n);
        for (size_t k = 0; k < n; k++) {
            msgpack_pack_array(pk, 2);
            mp_pack_str(pk, h[k].name);
            pack_strlist(pk, &h[k].values);
        }
        break;
    }
    case F_EMBED:
        pack_struct(pk, f->sub, x);
        break;
    }
}

static void pack_struct(msgpack_packer *pk,
                        const struct schema *s,
                        const void *obj)
{
    msgpack_pack_array(pk, s->nfields);
    for (size_t i = 0; i < s->nfields; i++)
        pack_field(pk, &s->fields[i], obj);
}

void schema_encode_mp(const struct schema *s, const void *obj, struct buf *out)
{
    msgpack_packer pk;

    mp_writer_init(&pk, out);
    msgpack_pack_array(&pk, s->nfields + 1);
    msgpack_pack_int(&pk, MODEL_MP_VERSION);
    for (size_t i = 0; i < s->nfields; i++)
        pack_field(&pk, &s->fields[i], obj);
}

static int read_owned_str(struct mp_reader *r, char **out)
{
    const char *s;
    uint32_t len;

    if (mp_read_str(r, &s, &len) != 0)
        return ERR_MALFORMED;
    free(*out);
    *out = xstrndup(s, len);
    return 0;
}

static int unpack_strlist(struct mp_reader *r, struct strlist *l)
{
    uint32_t n;

    if (mp_try_nil(r))
        return 0;
    if (mp_read_array(r, &n) != 0)
        return ERR_MALFORMED;
    strlist_release(l);
    l->set = true;
    if (n > 0)
        l->items = xcalloc(n, sizeof(*l->items));
    for (uint32_t i = 0; i < n; i++) {
        if (read_owned_str(r, &l->items[i]) != 0)
            return ERR_MALFORMED;
        l->n = i + 1;
    }
    return 0;
}

static int unpack_fields(struct mp_reader *r,
                         const struct schema *s,
                         void *obj,
                         uint32_t n,
                         int depth);

static int unpack_struct(struct mp_reader *r,
                         const struct schema *s,
                         void *obj,
                         int depth)
{
    uint32_t n;

    if (depth > MP_MAX_DEPTH || mp_read_array(r, &n) != 0)
        return ERR_MALFORMED;
    return unpack_fields(r, s, obj, n, depth);
}

static int unpack_field(struct mp_reader *r,
                        const struct field *f,
                        void *obj,
                        int depth)
{
    void *x = AT(obj, f->off, char);
    uint32_t n;
    int64_t i;
    bool b;

    switch (f->kind) {
    case F_STR:
        if (mp_try_nil(r))
            return 0;
        return read_owned_str(r, x);
    case F_I64:
    case F_INT:
        if (f->kind == F_I64 && mp_try_nil(r))
            return 0;
        if (mp_read_int(r, &i) != 0)
            return ERR_MALFORMED;
        *(int64_t *)x = i;
        return 0;
    case F_TRI:
        if (mp_try_nil(r))
            return 0;
        if (mp_read_bool(r, &b) != 0)
            return ERR_MALFORMED;
        *(enum tri *)x = tri_from_bool(b);
        return 0;
    case F_BOOL:
        if (mp_read_bool(r, &b) != 0)
            return ERR_MALFORMED;
        *(bool *)x = b;
        return 0;
    case F_STRLIST:
        return unpack_strlist(r, x);
    case F_STRMAP:
    case F_INTMAP: {
        struct strmap *m = x;

        if (mp_try_nil(r))
            return 0;
        if (mp_read_map(r, &n) != 0)
            return ERR_MALFORMED;
        strmap_release(m);
        m->set = true;
        if (n > 0)
            m->items = xcalloc(n, sizeof(*m->items));
        for (uint32_t k = 0; k < n; k++) {
            struct strmap_entry *e = &m->items[k];

            m->n = k + 1;
            if (read_owned_str(r, &e->key) != 0 ||
                read_owned_str(r, &e->value) != 0)
                return ERR_MALFORMED;
            for (uint32_t q = 0; q < k; q++) {
                if (strcmp(m->items[q].key, e->key) == 0)
                    return ERR_MALFORMED;
            }
        }
        return 0;
    }
    case F_JSON: {
        const char *s;
        uint32_t len;
        json_t *j;

        if (mp_try_nil(r))
            return 0;
        if (mp_read_str(r, &s, &len) != 0)
            return ERR_MALFORMED;
        j = json_loadb(s, len, JSON_DECODE_ANY, NULL);
        if (j == NULL)
            return ERR_MALFORMED;
        json_decref(*(json_t **)x);
        *(json_t **)x = j;
        return 0;
    }
    case F_PTR: {
        void *p;

        if (mp_try_nil(r))
            return 0;
        if (*(void **)x == NULL) {
            p = xmalloc(f->sub->size);
            schema_init(f->sub, p);
            *(void **)x = p;
        }
        return unpack_struct(r, f->sub, *(void **)x, depth + 1);
    }
    case F_ARR:
    case F_ARRMAP: {
        size_t *cnt = AT(obj, f->aux, size_t);
        char *items;

        if (mp_read_array(r, &n) != 0)
            return ERR_MALFORMED;
        arr_reset(f, obj);
        if (n == 0)
            return 0;
        items = xcalloc(n, f->sub->size);
        *(char **)x = items;
        for (uint32_t k = 0; k < n; k++) {
            schema_init(f->sub, items + k * f->sub->size);
            *cnt = k + 1;
            if (unpack_struct(r, f->sub, items + k * f->sub->size,
                              depth + 1) != 0)
                return ERR_MALFORMED;
        }
        return 0;
    }
    case F_HEADERS: {
        size_t *cnt = AT(obj, f->aux, size_t);
        struct check_header *h;
        uint32_t two;

        if (mp_try_nil(r))
            return 0;
        if (mp_read_array(r, &n) != 0)
            return ERR_MALFORMED;
        arr_reset(f, obj);
        *AT(obj, f->aux2, bool) = true;
        if (n == 0)
            return 0;
        h = xcalloc(n, sizeof(*h));
        *(struct check_header **)x = h;
        for (uint32_t k = 0; k < n; k++) {
            *cnt = k + 1;
            if (mp_read_array(r, &two) != 0 || two != 2 ||
                read_owned_str(r, &h[k].name) != 0 ||
                unpack_strlist(r, &h[k].values) != 0)
                return ERR_MALFORMED;
        }
        return 0;
    }
    case F_EMBED:
        return unpack_struct(r, f->sub, x, depth + 1);
    }
    return ERR_MALFORMED;
}

/* Fewer fields than the schema: an older writer. More: a newer one. */
static int unpack_fields(struct mp_reader *r,
                         const struct schema *s,
                         void *obj,
                         uint32_t n,
                         int depth)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i >= s->nfields) {
            if (mp_skip(r) != 0)
                return ERR_MALFORMED;
        } else if (unpack_field(r, &s->fields[i], obj, depth) != 0) {
            return ERR_MALFORMED;
        }
    }
    return 0;
}

int schema_decode_mp(const struct schema *s,
                     const void *data,
                     size_t len,
                     void *obj,
                     struct err *err)
{
    struct mp_reader r;
    int64_t version;
    uint32_t n;

    mp_reader_init(&r, data, len);
    if (mp_read_array(&r, &n) != 0 || n < 1 || mp_read_int(&r, &version) != 0)
        return err_set(err, ERR_MALFORMED, "%s record: not a record",
                       s->name);
    if (version > MODEL_MP_VERSION)
        return err_set(err, ERR_VERSION,
                       "%s record: version %" PRId64
                       " is newer than this agent reads (%d)",
                       s->name, version, MODEL_MP_VERSION);
    if (version < 1)
        return err_set(err, ERR_MALFORMED, "%s record: bad version %" PRId64,
                       s->name, version);
    if (unpack_fields(&r, s, obj, n - 1, 0) != 0)
        return err_set(err, ERR_MALFORMED, "%s record: malformed at byte %zu",
                       s->name, len - mp_remaining(&r));
    if (mp_remaining(&r) != 0)
        return err_set(err, ERR_MALFORMED,
                       "%s record: %zu trailing bytes", s->name,
                       mp_remaining(&r));
    return 0;
}
