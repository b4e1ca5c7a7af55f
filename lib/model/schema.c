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
#include "lib/assert.h"
#include "lib/err.h"
#include "lib/json.h"
#include "lib/model/codec_mp.h"
#include "lib/model/job.h"
#include "lib/model/types.h"
#include "lib/time.h"

#define AT(obj, off, type) ((type *)((char *)(obj) + (off)))
#define CAT(obj, off, type) ((const type *)((const char *)(obj) + (off)))

/* ------------------------------------------------------------------- init */

/* Builds the unset image of s by walking its fields. */
static void init_slow(const struct schema *s, void *obj)
{
    memset(obj, 0, s->size);
    for (size_t i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];

        if (f->kind == F_I64)
            *AT(obj, f->off, int64_t) = MODEL_UNSET;
        else if (f->kind == F_EMBED)
            init_slow(f->sub, AT(obj, f->off, char));
    }
}

void schema_init(const struct schema *s, void *obj)
{
    /* Decoding inits thousands of structs a second: copy a prebuilt image. */
    if (s->image != NULL && *s->image != NULL)
        memcpy(obj, *s->image, s->size);
    else
        init_slow(s, obj);
}

void schema_build_image(const struct schema *s)
{
    unsigned char *img;

    if (s->image == NULL || *s->image != NULL || s->size == 0)
        return;
    img = xmalloc(s->size);
    init_slow(s, img);
    *s->image = img;
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
        case F_TIME:
        case F_TRI:
        case F_BOOL:
            break;
        }
    }
}

/* Empties an F_ARR, F_ARRMAP or F_HEADERS field of obj. */
static void arr_reset(const struct field *f, void *obj)
{
    struct schema one = {"", 0, f, 1, NULL};

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
        case F_TIME:
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
        case F_TIME:
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

static void write_strlist(struct jw *w, const struct strlist *l)
{
    if (!l->set && l->n == 0) {
        jw_null(w);
        return;
    }
    jw_arr_begin(w);
    for (size_t i = 0; i < l->n; i++)
        jw_str(w, l->items[i]);
    jw_arr_end(w);
}

static int entry_ptr_cmp(const void *a, const void *b)
{
    const struct strmap_entry *const *x = a, *const *y = b;

    return strcmp((*x)->key, (*y)->key);
}

/* Go's encoding/json writes map keys sorted; so do we. */
static void write_strmap(struct jw *w, const struct strmap *m, bool ints)
{
    const struct strmap_entry *few[16], **sorted = few;

    if (!m->set && m->n == 0) {
        jw_null(w);
        return;
    }
    if (m->n > 16)
        sorted = xmalloc(m->n * sizeof(*sorted));
    for (size_t i = 0; i < m->n; i++)
        sorted[i] = &m->items[i];
    if (m->n > 1)
        qsort(sorted, m->n, sizeof(*sorted), entry_ptr_cmp);
    jw_obj_begin(w);
    for (size_t i = 0; i < m->n; i++) {
        jw_key(w, sorted[i]->key);
        if (ints)
            jw_int(w, strtoll(sorted[i]->value, NULL, 10));
        else
            jw_str(w, sorted[i]->value);
    }
    jw_obj_end(w);
    if (sorted != few)
        free(sorted);
}

static void write_fields(struct jw *w,
                         const struct schema *s,
                         const void *obj,
                         size_t first);

static void write_struct(struct jw *w, const struct schema *s, const void *obj)
{
    jw_obj_begin(w);
    write_fields(w, s, obj, 0);
    jw_obj_end(w);
}

static void write_fields(struct jw *w,
                         const struct schema *s,
                         const void *obj,
                         size_t first)
{
    for (size_t i = first; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        const void *x = CAT(obj, f->off, char);

        if (f->kind == F_EMBED && f->name[0] == '\0') {
            write_fields(w, f->sub, x, 0);
            continue;
        }
        jw_key(w, f->name);
        switch (f->kind) {
        case F_STR:
            jw_str(w, *(char *const *)x);
            break;
        case F_I64:
            if (*(const int64_t *)x == MODEL_UNSET)
                jw_null(w);
            else
                jw_int(w, *(const int64_t *)x);
            break;
        case F_INT:
            jw_int(w, *(const int64_t *)x);
            break;
        case F_TIME: {
            char t[40];

            time_format_rfc3339_nano(*(const int64_t *)x, t, sizeof(t));
            jw_str(w, t);
            break;
        }
        case F_TRI:
            if (*(const enum tri *)x == TRI_UNSET)
                jw_null(w);
            else
                jw_bool(w, *(const enum tri *)x == TRI_TRUE);
            break;
        case F_BOOL:
            jw_bool(w, *(const bool *)x);
            break;
        case F_STRLIST:
            write_strlist(w, x);
            break;
        case F_STRMAP:
            write_strmap(w, x, false);
            break;
        case F_INTMAP:
            write_strmap(w, x, true);
            break;
        case F_JSON:
            if (*(json_t *const *)x == NULL)
                jw_null(w);
            else
                jw_json(w, *(json_t *const *)x);
            break;
        case F_PTR:
            if (*(void *const *)x == NULL)
                jw_null(w);
            else
                write_struct(w, f->sub, *(void *const *)x);
            break;
        case F_ARR: {
            size_t n = *CAT(obj, f->aux, size_t);
            const char *items = *(char *const *)x;

            if (n == 0) {
                jw_null(w);
                break;
            }
            jw_arr_begin(w);
            for (size_t k = 0; k < n; k++)
                write_struct(w, f->sub, items + k * f->sub->size);
            jw_arr_end(w);
            break;
        }
        case F_ARRMAP: {
            size_t n = *CAT(obj, f->aux, size_t);
            const char *items = *(char *const *)x;

            if (n == 0) {
                jw_null(w);
                break;
            }
            jw_obj_begin(w);
            for (size_t k = 0; k < n; k++) {
                const void *e = items + k * f->sub->size;

                jw_key(w, model_str(*CAT(e, f->sub->fields[0].off, char *)));
                jw_obj_begin(w);
                write_fields(w, f->sub, e, 1);
                jw_obj_end(w);
            }
            jw_obj_end(w);
            break;
        }
        case F_HEADERS: {
            size_t n = *CAT(obj, f->aux, size_t);
            const struct check_header *h = *(struct check_header *const *)x;

            if (!*CAT(obj, f->aux2, bool)) {
                jw_null(w);
                break;
            }
            jw_obj_begin(w);
            for (size_t k = 0; k < n; k++) {
                jw_key(w, h[k].name);
                write_strlist(w, &h[k].values);
            }
            jw_obj_end(w);
            break;
        }
        case F_EMBED:
            write_struct(w, f->sub, x);
            break;
        }
    }
}

void schema_write_json(const struct schema *s, const void *obj, struct jw *w)
{
    write_struct(w, s, obj);
}

json_t *schema_to_json(const struct schema *s, const void *obj)
{
    struct buf b = BUF_INIT;
    struct jw w;
    json_t *j;

    jw_init(&w, &b, 0);
    write_struct(&w, s, obj);
    j = json_loadb(b.data, b.len, 0, NULL);
    BUG_ON(j == NULL);
    buf_release(&b);
    return j;
}

/* -------------------------------------------------------------- JSON in */

/* Where a value sits, formatted only when there is an error to report. */
struct jpath
{
    const struct jpath *up;
    const char *name; /* field name, map key, or NULL for an index */
    size_t index;
};

static void path_format(const struct jpath *p, struct buf *b)
{
    if (p->up != NULL)
        path_format(p->up, b);
    if (p->name == NULL)
        buf_printf(b, "[%zu]", p->index);
    else if (p->up == NULL)
        buf_puts(b, p->name);
    else if (p->index == 1) /* a map key */
        buf_printf(b, "[%s]", p->name);
    else
        buf_printf(b, ".%s", p->name);
}

static const char *jr_kind(enum jr_type t)
{
    switch (t) {
    case JR_OBJECT:
        return "an object";
    case JR_ARRAY:
        return "an array";
    case JR_STRING:
        return "a string";
    case JR_NUMBER:
        return "a number";
    case JR_TRUE:
    case JR_FALSE:
        return "a bool";
    case JR_NULL:
        return "null";
    case JR_INVALID:
    default:
        return "an invalid value";
    }
}

static int type_error(struct jr *r,
                      const struct jpath *p,
                      const char *want,
                      enum jr_type got)
{
    struct buf b = BUF_INIT;

    if (got == JR_INVALID)
        return jr_syntax(r, "expected a value");
    path_format(p, &b);
    err_set(r->err, ERR_INVALID, "%s: expected %s, got %s", buf_str(&b), want,
            jr_kind(got));
    buf_release(&b);
    return ERR_INVALID;
}

static int read_strlist(struct jr *r, struct strlist *l, const struct jpath *p)
{
    enum jr_type t = jr_peek(r);
    size_t i = 0;
    bool more;

    if (t != JR_ARRAY)
        return type_error(r, p, "a list of strings", t);
    strlist_release(l);
    l->set = true;
    if (jr_arr_begin(r) != 0)
        return r->err->code;
    for (;;) {
        struct jpath ip = {p, NULL, i++};
        const char *s;
        size_t len;

        if (jr_arr_next(r, &more) != 0)
            return ERR_MALFORMED;
        if (!more)
            return 0;
        t = jr_peek(r);
        if (t != JR_STRING)
            return type_error(r, &ip, "a string", t);
        if (jr_str(r, &s, &len) != 0)
            return ERR_MALFORMED;
        strlist_push(l, s);
    }
}

static int read_object(struct jr *r,
                       const struct schema *s,
                       void *obj,
                       const struct jpath *p,
                       size_t first);

/* Finds the field named key (exactly, else ignoring case as Go does) among
 * s's fields from first on, looking inside unnamed embeds; *base is moved
 * to the struct that holds it. */
static const struct field *find_field(const struct schema *s,
                                      size_t first,
                                      const char *key,
                                      bool fold,
                                      void **base,
                                      size_t *index)
{
    for (size_t i = first; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];

        if (f->kind == F_EMBED && f->name[0] == '\0') {
            void *inner = AT(*base, f->off, char);
            size_t unused;
            const struct field *g =
                find_field(f->sub, 0, key, fold, &inner, &unused);

            if (g != NULL) {
                *base = inner;
                *index = i;
                return g;
            }
            continue;
        }
        if (fold ? strcasecmp(f->name, key) == 0 : strcmp(f->name, key) == 0) {
            *index = i;
            return f;
        }
    }
    return NULL;
}

static int read_value(struct jr *r,
                      const struct field *f,
                      void *obj,
                      const struct jpath *p)
{
    void *x = AT(obj, f->off, char);
    enum jr_type t = jr_peek(r);
    const char *s, *key;
    size_t len;
    int64_t n;
    bool ok, more, b;

    if (t == JR_NULL) {
        (void)jr_null(r);
        return 0;
    }
    switch (f->kind) {
    case F_STR:
        if (t != JR_STRING)
            return type_error(r, p, "a string", t);
        if (jr_str(r, &s, &len) != 0)
            return ERR_MALFORMED;
        free(*(char **)x);
        *(char **)x = xstrndup(s, len);
        return 0;
    case F_TIME:
        if (t == JR_STRING) {
            if (jr_str(r, &s, &len) != 0)
                return ERR_MALFORMED;
            if (time_parse_rfc3339(s, len, &n) != 0)
                return type_error(r, p, "an RFC 3339 time", t);
            *(int64_t *)x = n;
            return 0;
        }
        /* Caravan wrote unix nanoseconds before. */
        /* fall through */
    case F_I64:
    case F_INT:
        if (t != JR_NUMBER)
            return type_error(r, p, "an integer", t);
        if (jr_int(r, &n, &ok) != 0)
            return ERR_MALFORMED;
        if (!ok)
            return type_error(r, p, "an integer", JR_NUMBER);
        if (f->kind == F_I64 && n == MODEL_UNSET)
            n++;
        *(int64_t *)x = n;
        return 0;
    case F_TRI:
    case F_BOOL:
        if (t != JR_TRUE && t != JR_FALSE)
            return type_error(r, p, "a bool", t);
        if (jr_bool(r, &b) != 0)
            return ERR_MALFORMED;
        if (f->kind == F_TRI)
            *(enum tri *)x = tri_from_bool(b);
        else
            *(bool *)x = b;
        return 0;
    case F_STRLIST:
        return read_strlist(r, x, p);
    case F_STRMAP:
    case F_INTMAP:
        if (t != JR_OBJECT)
            return type_error(r, p, "an object", t);
        strmap_release(x);
        ((struct strmap *)x)->set = true;
        if (jr_obj_begin(r) != 0)
            return r->err->code;
        for (;;) {
            char *k;
            struct jpath kp;

            if (jr_obj_next(r, &key, &len) != 0)
                return ERR_MALFORMED;
            if (key == NULL)
                return 0;
            k = xstrndup(key, len);
            kp = (struct jpath){p, k, 1};
            t = jr_peek(r);
            if (f->kind == F_STRMAP && t == JR_STRING) {
                if (jr_str(r, &s, &len) != 0) {
                    free(k);
                    return ERR_MALFORMED;
                }
                strmap_set(x, k, s);
            } else if (f->kind == F_INTMAP && t == JR_NUMBER &&
                       jr_int(r, &n, &ok) == 0 && ok) {
                char num[24];

                snprintf(num, sizeof(num), "%" PRId64, n);
                strmap_set(x, k, num);
            } else {
                int rc = r->err->code ? r->err->code
                                      : type_error(r, &kp,
                                                   f->kind == F_STRMAP
                                                       ? "a string"
                                                       : "an integer",
                                                   t);

                free(k);
                return rc;
            }
            free(k);
        }
    case F_JSON:
        if (t != JR_OBJECT)
            return type_error(r, p, "an object", t);
        json_decref(*(json_t **)x);
        *(json_t **)x = NULL;
        return jr_json(r, (json_t **)x);
    case F_PTR:
        if (t != JR_OBJECT)
            return type_error(r, p, "an object", t);
        if (*(void **)x == NULL) {
            *(void **)x = xmalloc(f->sub->size);
            schema_init(f->sub, *(void **)x);
        }
        return read_object(r, f->sub, *(void **)x, p, 0);
    case F_EMBED:
        if (t != JR_OBJECT)
            return type_error(r, p, "an object", t);
        return read_object(r, f->sub, x, p, 0);
    case F_ARR: {
        size_t *cnt = AT(obj, f->aux, size_t), cap = 0;
        char *items = NULL;

        if (t != JR_ARRAY)
            return type_error(r, p, "a list", t);
        arr_reset(f, obj);
        if (jr_arr_begin(r) != 0)
            return r->err->code;
        for (;;) {
            struct jpath ip = {p, NULL, *cnt};
            void *el;

            if (jr_arr_next(r, &more) != 0)
                return ERR_MALFORMED;
            if (!more)
                return 0;
            t = jr_peek(r);
            if (t != JR_OBJECT)
                return type_error(r, &ip, "an object", t);
            if (*cnt == cap) {
                cap = cap ? 2 * cap : 4;
                items = xrealloc(items, cap * f->sub->size);
                *(char **)x = items;
            }
            el = items + *cnt * f->sub->size;
            schema_init(f->sub, el);
            (*cnt)++;
            if (read_object(r, f->sub, el, &ip, 0) != 0)
                return r->err->code;
        }
    }
    case F_ARRMAP: {
        size_t *cnt = AT(obj, f->aux, size_t), cap = 0;
        char *items = NULL;

        if (t != JR_OBJECT)
            return type_error(r, p, "an object", t);
        arr_reset(f, obj);
        if (jr_obj_begin(r) != 0)
            return r->err->code;
        for (;;) {
            struct jpath kp;
            void *el;
            char *k;
            int rc;

            if (jr_obj_next(r, &key, &len) != 0)
                return ERR_MALFORMED;
            if (key == NULL)
                return 0;
            k = xstrndup(key, len);
            kp = (struct jpath){p, k, 1};
            t = jr_peek(r);
            if (t != JR_OBJECT) {
                rc = type_error(r, &kp, "an object", t);
                free(k);
                return rc;
            }
            if (*cnt == cap) {
                cap = cap ? 2 * cap : 4;
                items = xrealloc(items, cap * f->sub->size);
                *(char **)x = items;
            }
            el = items + *cnt * f->sub->size;
            schema_init(f->sub, el);
            (*cnt)++;
            *AT(el, f->sub->fields[0].off, char *) = k;
            if (read_object(r, f->sub, el, &kp, 1) != 0)
                return r->err->code;
        }
    }
    case F_HEADERS: {
        size_t *cnt = AT(obj, f->aux, size_t), cap = 0;
        struct check_header *h = NULL;

        if (t != JR_OBJECT)
            return type_error(r, p, "an object", t);
        arr_reset(f, obj);
        *AT(obj, f->aux2, bool) = true;
        if (jr_obj_begin(r) != 0)
            return r->err->code;
        for (;;) {
            struct check_header *c;
            struct jpath kp;

            if (jr_obj_next(r, &key, &len) != 0)
                return ERR_MALFORMED;
            if (key == NULL)
                return 0;
            if (*cnt == cap) {
                cap = cap ? 2 * cap : 4;
                h = xrealloc(h, cap * sizeof(*h));
                *(struct check_header **)x = h;
            }
            c = &h[(*cnt)++];
            c->name = xstrndup(key, len);
            strlist_init(&c->values);
            kp = (struct jpath){p, c->name, 1};
            if (read_strlist(r, &c->values, &kp) != 0)
                return r->err->code;
        }
    }
    }
    return jr_skip(r);
}

/* Reads the value of key into the field of s it names (or skips it). */
static int read_key(struct jr *r,
                    const struct schema *s,
                    void *obj,
                    const struct jpath *p,
                    size_t first,
                    const char *key,
                    size_t len,
                    size_t *hint)
{
    const struct field *f = NULL;
    void *base = obj;
    char name[64];
    size_t at;

    if (len >= sizeof(name)) /* no field is that long */
        return jr_skip(r);
    /* Writers (ours, Nomad's) emit fields in struct order: try the field
     * after the last one matched before searching. */
    if (*hint < s->nfields && s->fields[*hint].name[0] != '\0' &&
        strncmp(s->fields[*hint].name, key, len) == 0 &&
        s->fields[*hint].name[len] == '\0') {
        f = &s->fields[(*hint)++];
        goto found;
    }
    memcpy(name, key, len);
    name[len] = '\0';
    f = find_field(s, first, name, false, &base, &at);
    if (f == NULL) {
        base = obj;
        f = find_field(s, first, name, true, &base, &at);
    }
    if (f != NULL)
        *hint = at + 1;
    if (f == NULL)
        return jr_skip(r); /* unknown keys are ignored, as Nomad does */
found:
    {
        struct jpath fp = {p, f->name, 0};

        return read_value(r, f, base, &fp);
    }
}

static int read_object(struct jr *r,
                       const struct schema *s,
                       void *obj,
                       const struct jpath *p,
                       size_t first)
{
    const char *key;
    size_t len, hint = first;

    if (jr_obj_begin(r) != 0)
        return r->err->code;
    for (;;) {
        if (jr_obj_next(r, &key, &len) != 0)
            return ERR_MALFORMED;
        if (key == NULL)
            return 0;
        if (read_key(r, s, obj, p, first, key, len, &hint) != 0)
            return r->err->code;
    }
}

int schema_read_json_field(const struct schema *s,
                           struct jr *r,
                           void *obj,
                           const char *key,
                           size_t key_len,
                           const char *path)
{
    struct jpath root = {NULL, path, 0};
    size_t hint = s->nfields;

    return read_key(r, s, obj, &root, 0, key, key_len, &hint);
}

int schema_read_json(const struct schema *s,
                     struct jr *r,
                     void *obj,
                     const char *path)
{
    struct jpath root = {NULL, path, 0};
    enum jr_type t = jr_peek(r);

    if (t != JR_OBJECT)
        return type_error(r, &root, "an object", t);
    return read_object(r, s, obj, &root, 0);
}

int schema_from_json(const struct schema *s,
                     const json_t *j,
                     void *obj,
                     const char *path,
                     struct err *err)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    struct jr r;
    int rc;

    if (text == NULL)
        return err_set(err, ERR_INVALID, "%s: not encodable", path);
    jr_init(&r, text, strlen(text), err);
    rc = schema_read_json(s, &r, obj, path);
    jr_release(&r);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------- msgpack */

static void pack_strlist(struct buf *pk, const struct strlist *l)
{
    if (!l->set && l->n == 0) {
        mp_put_nil(pk);
        return;
    }
    mp_put_array(pk, (uint32_t)l->n);
    for (size_t i = 0; i < l->n; i++)
        mp_put_str(pk, l->items[i]);
}

/* A driver config as native msgpack (maps keep their order). */
static void pack_json(struct buf *pk, const json_t *v)
{
    const char *key;
    json_t *e;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        mp_put_map(pk, (uint32_t)json_object_size(v));
        json_object_foreach((json_t *)v, key, e)
        {
            mp_put_str(pk, key);
            pack_json(pk, e);
        }
        break;
    case JSON_ARRAY:
        mp_put_array(pk, (uint32_t)json_array_size(v));
        json_array_foreach(v, i, e)
        pack_json(pk, e);
        break;
    case JSON_STRING:
        mp_put_strn(pk, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        mp_put_int(pk, json_integer_value(v));
        break;
    case JSON_REAL:
        mp_put_float(pk, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        mp_put_bool(pk, json_is_true(v));
        break;
    case JSON_NULL:
    default:
        mp_put_nil(pk);
        break;
    }
}

static void pack_struct(struct buf *pk,
                        const struct schema *s,
                        const void *obj);

static void pack_field(struct buf *pk,
                       const struct field *f,
                       const void *obj)
{
    const void *x = CAT(obj, f->off, char);

    switch (f->kind) {
    case F_STR:
        mp_put_str(pk, *(char *const *)x);
        break;
    case F_I64:
        if (*(const int64_t *)x == MODEL_UNSET)
            mp_put_nil(pk);
        else
            mp_put_int(pk, *(const int64_t *)x);
        break;
    case F_INT:
    case F_TIME:
        mp_put_int(pk, *(const int64_t *)x);
        break;
    case F_TRI:
        if (*(const enum tri *)x == TRI_UNSET)
            mp_put_nil(pk);
        else if (*(const enum tri *)x == TRI_TRUE)
            mp_put_bool(pk, true);
        else
            mp_put_bool(pk, false);
        break;
    case F_BOOL:
        if (*(const bool *)x)
            mp_put_bool(pk, true);
        else
            mp_put_bool(pk, false);
        break;
    case F_STRLIST:
        pack_strlist(pk, x);
        break;
    case F_STRMAP:
    case F_INTMAP: {
        const struct strmap *m = x;

        if (!m->set && m->n == 0) {
            mp_put_nil(pk);
            break;
        }
        mp_put_map(pk, (uint32_t)m->n);
        for (size_t i = 0; i < m->n; i++) {
            mp_put_str(pk, m->items[i].key);
            mp_put_str(pk, m->items[i].value);
        }
        break;
    }
    case F_JSON:
        if (*(json_t *const *)x == NULL)
            mp_put_nil(pk);
        else
            pack_json(pk, *(json_t *const *)x);
        break;
    case F_PTR:
        if (*(void *const *)x == NULL)
            mp_put_nil(pk);
        else
            pack_struct(pk, f->sub, *(void *const *)x);
        break;
    case F_ARR:
    case F_ARRMAP: {
        size_t n = *CAT(obj, f->aux, size_t);
        const char *items = *(char *const *)x;

        mp_put_array(pk, (uint32_t)n);
        for (size_t k = 0; k < n; k++)
            pack_struct(pk, f->sub, items + k * f->sub->size);
        break;
    }
    case F_HEADERS: {
        size_t n = *CAT(obj, f->aux, size_t);
        const struct check_header *h = *(struct check_header *const *)x;

        if (!*CAT(obj, f->aux2, bool)) {
            mp_put_nil(pk);
            break;
        }
        mp_put_array(pk, (uint32_t)n);
        for (size_t k = 0; k < n; k++) {
            mp_put_array(pk, (uint32_t)2);
            mp_put_str(pk, h[k].name);
            pack_strlist(pk, &h[k].values);
        }
        break;
    }
    case F_EMBED:
        pack_struct(pk, f->sub, x);
        break;
    }
}

static void pack_struct(struct buf *pk,
                        const struct schema *s,
                        const void *obj)
{
    mp_put_array(pk, (uint32_t)s->nfields);
    for (size_t i = 0; i < s->nfields; i++)
        pack_field(pk, &s->fields[i], obj);
}

void schema_encode_mp(const struct schema *s, const void *obj, struct buf *out)
{
    mp_put_array(out, (uint32_t)s->nfields + 1);
    mp_put_int(out, MODEL_MP_VERSION);
    for (size_t i = 0; i < s->nfields; i++)
        pack_field(out, &s->fields[i], obj);
}

static int read_owned_str(struct mp_reader *r, char **out)
{
    const char *s;
    uint32_t len;

    if (mp_read_str(r, &s, &len) != 0)
        return ERR_MALFORMED;
    free(*out);
    *out = xmalloc((size_t)len + 1);
    memcpy(*out, s, len);
    (*out)[len] = '\0';
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

static int unpack_json(struct mp_reader *r, json_t **out, int depth)
{
    const char *s;
    uint32_t n, len;
    int64_t i;
    double d;
    bool b;

    if (depth > MP_MAX_DEPTH)
        return ERR_MALFORMED;
    switch (mp_peek(r)) {
    case MP_NIL:
        r->p++;
        *out = json_null();
        return 0;
    case MP_BOOL:
        if (mp_read_bool(r, &b) != 0)
            return ERR_MALFORMED;
        *out = json_boolean(b);
        return 0;
    case MP_INT:
        if (mp_read_int(r, &i) != 0)
            return ERR_MALFORMED;
        *out = json_integer(i);
        return 0;
    case MP_FLOAT:
        if (mp_read_float(r, &d) != 0)
            return ERR_MALFORMED;
        *out = json_real(d);
        return 0;
    case MP_STR:
        if (mp_read_str(r, &s, &len) != 0)
            return ERR_MALFORMED;
        *out = json_stringn_nocheck(s, len);
        return 0;
    case MP_ARRAY:
        if (mp_read_array(r, &n) != 0)
            return ERR_MALFORMED;
        *out = json_array();
        for (uint32_t k = 0; k < n; k++) {
            json_t *e = NULL;

            if (unpack_json(r, &e, depth + 1) != 0) {
                json_decref(e);
                return ERR_MALFORMED;
            }
            json_array_append_new(*out, e);
        }
        return 0;
    case MP_MAP:
        if (mp_read_map(r, &n) != 0)
            return ERR_MALFORMED;
        *out = json_object();
        for (uint32_t k = 0; k < n; k++) {
            json_t *e = NULL;
            char *key;

            if (mp_read_str(r, &s, &len) != 0)
                return ERR_MALFORMED;
            key = xstrndup(s, len);
            if (unpack_json(r, &e, depth + 1) != 0) {
                free(key);
                json_decref(e);
                return ERR_MALFORMED;
            }
            json_object_set_new_nocheck(*out, key, e);
            free(key);
        }
        return 0;
    case MP_BIN:
    case MP_EXT:
    case MP_INVALID:
    default:
        return ERR_MALFORMED;
    }
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
    case F_TIME:
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
    case F_JSON:
        if (mp_try_nil(r))
            return 0;
        json_decref(*(json_t **)x);
        *(json_t **)x = NULL;
        return unpack_json(r, (json_t **)x, depth + 1);
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
