/*
 * HCL jobspec → struct job (see jobspec.h): the block tree of
 * reference/jobspec.md §2 with the names of §3. Every problem is collected
 * with its position so the user fixes them in one pass.
 */
#include "lib/model/jobspec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/hcl.h"
#include "lib/model/job.h"
#include "lib/time.h"

/*
 * For a body with many blocks, the index of the first block of each
 * block's type, so once() need not scan the body for every block.
 */
struct firsts
{
    const struct hcl_body *body;
    size_t *first;
};

/* Bodies being decoded at once nest only a few levels deep. */
#define NFIRSTS 8

/* Problems are collected here, one "file:line:col: text" per line. */
struct dec
{
    const char *file;
    struct buf errs;
    int n;
    struct firsts firsts[NFIRSTS];
    unsigned next_firsts; /* the entry to replace next */
};

static void problem(struct dec *d, struct hcl_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct dec *d, struct hcl_pos pos, const char *fmt, ...)
{
    va_list ap;

    if (d->n > 0)
        buf_putc(&d->errs, '\n');
    buf_printf(&d->errs, "%s:%d:%d: ", d->file, pos.line, pos.col);
    va_start(ap, fmt);
    buf_vprintf(&d->errs, fmt, ap);
    va_end(ap);
    d->n++;
}

static void unsupported_attr(struct dec *d, const struct hcl_attr *a)
{
    problem(d, a->pos,
            "Unsupported argument; An argument named \"%s\" is not expected "
            "here.",
            a->name);
}

static void unsupported_block(struct dec *d, const struct hcl_block *b)
{
    problem(d, b->pos,
            "Unsupported block type; Blocks of type \"%s\" are not expected "
            "here.",
            b->type);
}

static void type_problem(struct dec *d,
                         const struct hcl_attr *a,
                         const char *want)
{
    problem(d, a->value.pos,
            "Incorrect attribute value type; Inappropriate value for "
            "attribute \"%s\": %s required, got %s.",
            a->name, want, hcl_type_name(a->value.type));
}

/* ------------------------------------------------------- value readers */

static void get_str(struct dec *d, const struct hcl_attr *a, char **out)
{
    char *s;

    if (a->value.type == HCL_NULL)
        return;
    s = hcl_value_to_string(&a->value);
    if (s == NULL) {
        type_problem(d, a, "string");
        return;
    }
    free(*out);
    *out = s;
}

static bool value_int(const struct hcl_value *v, int64_t *out)
{
    if (v->type == HCL_NUMBER)
        return hcl_value_to_int64(v, out) == 0;
    if (v->type == HCL_STRING) {
        char *end;
        long long x;

        errno = 0;
        x = strtoll(v->u.str.s, &end, 10);
        if (errno == 0 && end != v->u.str.s && *end == '\0') {
            *out = x;
            return true;
        }
    }
    return false;
}

static void get_int(struct dec *d, const struct hcl_attr *a, int64_t *out)
{
    if (a->value.type == HCL_NULL)
        return;
    if (!value_int(&a->value, out))
        type_problem(d, a, "a whole number");
}

static bool value_bool(const struct hcl_value *v, bool *out)
{
    if (v->type == HCL_BOOL) {
        *out = v->u.b;
        return true;
    }
    if (v->type == HCL_STRING &&
        (strcmp(v->u.str.s, "true") == 0 || strcmp(v->u.str.s, "false") == 0)) {
        *out = v->u.str.s[0] == 't';
        return true;
    }
    return false;
}

static void get_tri(struct dec *d, const struct hcl_attr *a, enum tri *out)
{
    bool b;

    if (a->value.type == HCL_NULL)
        return;
    if (!value_bool(&a->value, &b))
        type_problem(d, a, "bool");
    else
        *out = tri_from_bool(b);
}

static void get_bool(struct dec *d, const struct hcl_attr *a, bool *out)
{
    if (a->value.type == HCL_NULL)
        return;
    if (!value_bool(&a->value, out))
        type_problem(d, a, "bool");
}

/* Durations are Go duration strings; a bare number is nanoseconds. */
static void get_dur(struct dec *d, const struct hcl_attr *a, int64_t *out)
{
    /* As ERR_INIT, without clearing all of msg for each duration. */
    struct err e;

    e.code = 0;
    e.msg[0] = '\0';

    if (a->value.type == HCL_NULL)
        return;
    if (a->value.type == HCL_NUMBER) {
        if (hcl_value_to_int64(&a->value, out) != 0)
            type_problem(d, a, "duration");
        return;
    }
    if (a->value.type != HCL_STRING) {
        type_problem(d, a, "duration");
        return;
    }
    if (duration_parse(a->value.u.str.s, out, &e) != 0)
        problem(d, a->value.pos, "Invalid duration; Attribute \"%s\": %s",
                a->name, e.msg);
}

static void get_strlist(struct dec *d,
                        const struct hcl_attr *a,
                        struct strlist *out)
{
    if (a->value.type == HCL_NULL)
        return;
    if (a->value.type != HCL_LIST) {
        type_problem(d, a, "list of string");
        return;
    }
    strlist_release(out);
    out->set = true;
    /* As strlist_push() would, without growing the array per element. */
    if (a->value.u.list.n > 0)
        out->items = xmalloc(a->value.u.list.n * sizeof(*out->items));
    for (size_t i = 0; i < a->value.u.list.n; i++) {
        const struct hcl_value *v = &a->value.u.list.items[i];
        char *s = v->type == HCL_STRING ? xstrdup(v->u.str.s)
                                        : hcl_value_to_string(v);

        if (s == NULL) {
            problem(d, v->pos,
                    "Incorrect attribute value type; Inappropriate value for "
                    "attribute \"%s\": element %zu: string required.",
                    a->name, i);
            continue;
        }
        out->items[out->n++] = s;
    }
}

/*
 * The string form of a primitive value, as hcl_value_to_string() gives
 * it, or NULL. Strings are lent rather than copied; anything else is
 * formatted into *tmp, which the caller frees.
 */
static const char *value_cstr(const struct hcl_value *v, char **tmp)
{
    *tmp = NULL;
    if (v->type == HCL_STRING)
        return v->u.str.s;
    *tmp = hcl_value_to_string(v);
    return *tmp;
}

static void map_from_value(struct dec *d,
                           const char *name,
                           const struct hcl_value *v,
                           struct strmap *out)
{
    out->set = true;
    for (size_t i = 0; i < v->u.obj.n; i++) {
        const struct hcl_item *it = &v->u.obj.items[i];
        char *tmp;
        const char *s = value_cstr(&it->value, &tmp);

        if (s == NULL) {
            problem(d, it->value.pos,
                    "Incorrect attribute value type; Inappropriate value for "
                    "attribute \"%s\": element \"%s\": string required.",
                    name, it->key);
            continue;
        }
        strmap_set(out, it->key, s);
        free(tmp);
    }
}

static void get_strmap(struct dec *d,
                       const struct hcl_attr *a,
                       struct strmap *out)
{
    if (a->value.type == HCL_NULL)
        return;
    if (a->value.type != HCL_OBJECT) {
        type_problem(d, a, "map of string");
        return;
    }
    map_from_value(d, a->name, &a->value, out);
}

/* meta { k = v } and env { K = v }: every attribute is an entry. */
static void strmap_block(struct dec *d,
                         const struct hcl_block *b,
                         struct strmap *out)
{
    /*
     * The names of one body all differ, so into an empty map they go as
     * strmap_set() would put them, without looking each up or growing the
     * array each time.
     */
    bool fresh = out->n == 0;

    out->set = true;
    if (fresh && b->body->nattrs > 0)
        out->items =
            xrealloc(out->items, b->body->nattrs * sizeof(*out->items));
    for (size_t i = 0; i < b->body->nattrs; i++) {
        const struct hcl_attr *a = &b->body->attrs[i];
        char *tmp;
        const char *s = value_cstr(&a->value, &tmp);

        if (s == NULL) {
            type_problem(d, a, "string");
            continue;
        }
        if (fresh) {
            out->items[out->n].key = xstrdup(a->name);
            out->items[out->n].value = xstrdup(s);
            out->n++;
        } else {
            strmap_set(out, a->name, s);
        }
        free(tmp);
    }
    for (size_t i = 0; i < b->body->nblocks; i++)
        unsupported_block(d, &b->body->blocks[i]);
}

static json_t *value_json(const struct hcl_value *v)
{
    json_t *j;

    switch (v->type) {
    case HCL_BOOL:
        return json_boolean(v->u.b);
    case HCL_NUMBER:
        if (v->u.num == floor(v->u.num) && fabs(v->u.num) < 9e15)
            return json_integer((json_int_t)v->u.num);
        return json_real(v->u.num);
    case HCL_STRING:
        return json_stringn_nocheck(v->u.str.s, v->u.str.len);
    case HCL_LIST:
        j = json_array();
        for (size_t i = 0; i < v->u.list.n; i++)
            json_array_append_new(j, value_json(&v->u.list.items[i]));
        return j;
    case HCL_OBJECT:
        j = json_object();
        for (size_t i = 0; i < v->u.obj.n; i++)
            json_object_set_new_nocheck(j, v->u.obj.items[i].key,
                                        value_json(&v->u.obj.items[i].value));
        return j;
    case HCL_NULL:
    default:
        return json_null();
    }
}

/* A driver config body: attributes as values, nested blocks as lists of
 * objects (docker's mount {}, logging {} ...), as Nomad hands them over. */
static json_t *body_json(const struct hcl_body *body)
{
    json_t *o = json_object();

    for (size_t i = 0; i < body->nattrs; i++)
        json_object_set_new_nocheck(o, body->attrs[i].name,
                                    value_json(&body->attrs[i].value));
    for (size_t i = 0; i < body->nblocks; i++) {
        const struct hcl_block *b = &body->blocks[i];
        json_t *list = json_object_get(o, b->type);

        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new_nocheck(o, b->type, list);
        }
        json_array_append_new(list, body_json(b->body));
    }
    return o;
}

/* ------------------------------------------------------ block plumbing */

/*
 * Names are compared with long chains of these; most differ in the first
 * two bytes, which are checked before a call to strcmp().
 */
static inline bool name_is(const char *name, const char *s)
{
    if (name[0] != s[0])
        return false;
    if (s[0] == '\0')
        return true;
    if (name[1] != s[1])
        return false;
    return s[1] == '\0' || strcmp(name + 2, s + 2) == 0;
}

static bool labels_ok(struct dec *d, const struct hcl_block *b, size_t want)
{
    if (b->nlabels < want) {
        problem(d, b->pos,
                "Missing name for %s; All %s blocks must have %zu labels "
                "(name).",
                b->type, b->type, want);
        return false;
    }
    if (b->nlabels > want) {
        if (want == 0)
            problem(d, b->pos,
                    "Extraneous label for %s; No labels are expected for %s "
                    "blocks.",
                    b->type, b->type);
        else
            problem(d, b->pos,
                    "Extraneous label for %s; Only %zu labels (name) are "
                    "expected for %s blocks.",
                    b->type, want, b->type);
        return false;
    }
    return true;
}

/* Bodies with more blocks than this get a struct firsts. */
#define ONCE_SCAN_MAX 16

static size_t type_hash(const char *s)
{
    size_t h = 2166136261u;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The struct firsts of body, made with a hash of the types if need be. */
static const size_t *firsts_of(struct dec *d, const struct hcl_body *body)
{
    struct firsts *f;
    size_t cap = 16, *slots;

    for (unsigned i = 0; i < NFIRSTS; i++)
        if (d->firsts[i].body == body)
            return d->firsts[i].first;
    f = &d->firsts[d->next_firsts++ % NFIRSTS];
    free(f->first);
    f->body = body;
    f->first = xmalloc(body->nblocks * sizeof(*f->first));
    while (cap < 2 * body->nblocks)
        cap *= 2;
    slots = xcalloc(cap, sizeof(*slots)); /* index + 1, 0 when free */
    for (size_t i = 0; i < body->nblocks; i++) {
        const char *type = body->blocks[i].type;
        size_t h = type_hash(type) & (cap - 1);

        while (slots[h] != 0 &&
               strcmp(body->blocks[slots[h] - 1].type, type) != 0)
            h = (h + 1) & (cap - 1);
        if (slots[h] == 0)
            slots[h] = i + 1;
        f->first[i] = slots[h] - 1;
    }
    free(slots);
    return f->first;
}

/* A block that may appear once; returns false (and says so) for a repeat. */
static bool once(struct dec *d,
                 const struct hcl_block *b,
                 const struct hcl_body *body)
{
    const struct hcl_block *o = NULL;

    if (body->nblocks > ONCE_SCAN_MAX) {
        o = &body->blocks[firsts_of(d, body)[b - body->blocks]];
    } else {
        /* The first block of b's type: b itself, or one before it. */
        for (size_t i = 0; o == NULL && i < body->nblocks; i++)
            if (&body->blocks[i] == b || name_is(body->blocks[i].type, b->type))
                o = &body->blocks[i];
    }
    if (o == NULL || o == b)
        return true;
    problem(d, b->pos,
            "Duplicate %s block; Only one %s block is allowed. "
            "Another was defined at %s:%d:%d.",
            b->type, b->type, d->file, o->pos.line, o->pos.col);
    return false;
}

/* meta = {...} and meta {...} together are an error, as in Nomad. */
static void attr_and_block(struct dec *d,
                           const struct hcl_body *body,
                           const char *name)
{
    const struct hcl_attr *a = hcl_body_attr(body, name);

    if (a == NULL)
        return;
    for (size_t i = 0; i < body->nblocks; i++) {
        if (strcmp(body->blocks[i].type, name) == 0) {
            problem(d, body->blocks[i].pos,
                    "Duplicate %s; The %s was already set as an argument at "
                    "%s:%d:%d.",
                    name, name, d->file, a->pos.line, a->pos.col);
            return;
        }
    }
}

/*
 * Makes room for element n of arr, all of whose elements were added here:
 * the array holds the next power of two from n, so that a body with many
 * blocks of one type does not copy it for each.
 */
#define GROW(arr, n)                                                           \
    ((n) == 0 || ((n) & ((n)-1)) == 0                                          \
         ? (void)((arr) = xrealloc((arr),                                      \
                                   ((n) == 0 ? 1 : 2 * (n)) * sizeof(*(arr)))) \
         : (void)0)

/* Index loops: an empty body may hold NULL arrays. */
#define FOR_ATTRS(body, a)                                                \
    for (size_t a##_i = 0; a##_i < (body)->nattrs; a##_i++)               \
        for (const struct hcl_attr *a = &(body)->attrs[a##_i]; a != NULL; \
             a = NULL)
#define FOR_BLOCKS(body, b)                                                 \
    for (size_t b##_i = 0; b##_i < (body)->nblocks; b##_i++)                \
        for (const struct hcl_block *b = &(body)->blocks[b##_i]; b != NULL; \
             b = NULL)
#define IS(a, s) name_is((a)->name, s)
#define BT(b, s) name_is((b)->type, s)

/* A body with only attributes of the given kinds. */
static void no_blocks(struct dec *d, const struct hcl_body *body)
{
    FOR_BLOCKS(body, b)
    unsupported_block(d, b);
}

/* ------------------------------------------------------------- blocks */

static void decode_constraint(struct dec *d,
                              const struct hcl_block *b,
                              struct constraint *c)
{
    static const char *const shorthand[] = {
        "regexp",           "version",          "semver", "set_contains",
        "set_contains_any", "set_contains_all", NULL};

    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        bool found = false;

        if (IS(a, "attribute")) {
            get_str(d, a, &c->ltarget);
        } else if (IS(a, "operator")) {
            get_str(d, a, &c->operand);
        } else if (IS(a, "value")) {
            get_str(d, a, &c->rtarget);
        } else if (IS(a, "distinct_hosts")) {
            bool on = false;

            get_bool(d, a, &on);
            if (on)
                model_set_str(&c->operand, "distinct_hosts");
        } else if (IS(a, "distinct_property")) {
            get_str(d, a, &c->ltarget);
            model_set_str(&c->operand, "distinct_property");
        } else {
            for (const char *const *s = shorthand; *s; s++) {
                if (IS(a, *s)) {
                    get_str(d, a, &c->rtarget);
                    model_set_str(&c->operand, *s);
                    found = true;
                }
            }
            if (!found)
                unsupported_attr(d, a);
        }
    }
    no_blocks(d, b->body);
}

static void decode_affinity(struct dec *d,
                            const struct hcl_block *b,
                            struct affinity *x)
{
    static const char *const shorthand[] = {
        "regexp",           "version",      "semver", "set_contains_any",
        "set_contains_all", "set_contains", NULL};

    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        bool found = false;

        if (IS(a, "attribute")) {
            get_str(d, a, &x->ltarget);
        } else if (IS(a, "operator")) {
            get_str(d, a, &x->operand);
        } else if (IS(a, "value")) {
            get_str(d, a, &x->rtarget);
        } else if (IS(a, "weight")) {
            get_int(d, a, &x->weight);
        } else {
            for (const char *const *s = shorthand; *s; s++) {
                if (IS(a, *s)) {
                    get_str(d, a, &x->rtarget);
                    model_set_str(&x->operand, *s);
                    found = true;
                }
            }
            if (!found)
                unsupported_attr(d, a);
        }
    }
    no_blocks(d, b->body);
}

static void decode_spread(struct dec *d,
                          const struct hcl_block *b,
                          struct spread *s)
{
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "attribute"))
            get_str(d, a, &s->attribute);
        else if (IS(a, "weight"))
            get_int(d, a, &s->weight);
        else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, t)
    {
        struct spread_target *st;

        if (!BT(t, "target")) {
            unsupported_block(d, t);
            continue;
        }
        if (!labels_ok(d, t, 1))
            continue;
        GROW(s->targets, s->ntargets);
        st = &s->targets[s->ntargets++];
        st->value = xstrdup(t->labels[0]);
        st->percent = MODEL_UNSET;
        FOR_ATTRS(t->body, a)
        {
            if (IS(a, "value"))
                get_str(d, a, &st->value);
            else if (IS(a, "percent"))
                get_int(d, a, &st->percent);
            else
                unsupported_attr(d, a);
        }
        no_blocks(d, t->body);
    }
}

static void decode_restart(struct dec *d,
                           const struct hcl_block *b,
                           struct restart_policy **out)
{
    struct restart_policy *r = xmalloc(sizeof(*r));

    restart_policy_init(r);
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "attempts"))
            get_int(d, a, &r->attempts);
        else if (IS(a, "interval"))
            get_dur(d, a, &r->interval_ns);
        else if (IS(a, "delay"))
            get_dur(d, a, &r->delay_ns);
        else if (IS(a, "mode"))
            get_str(d, a, &r->mode);
        else if (IS(a, "render_templates"))
            get_tri(d, a, &r->render_templates);
        else
            unsupported_attr(d, a);
    }
    no_blocks(d, b->body);
    *out = r;
}

static void decode_reschedule(struct dec *d,
                              const struct hcl_block *b,
                              struct reschedule_policy **out)
{
    struct reschedule_policy *r = xmalloc(sizeof(*r));

    reschedule_policy_init(r);
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "attempts"))
            get_int(d, a, &r->attempts);
        else if (IS(a, "interval"))
            get_dur(d, a, &r->interval_ns);
        else if (IS(a, "delay"))
            get_dur(d, a, &r->delay_ns);
        else if (IS(a, "delay_function"))
            get_str(d, a, &r->delay_function);
        else if (IS(a, "max_delay"))
            get_dur(d, a, &r->max_delay_ns);
        else if (IS(a, "unlimited"))
            get_tri(d, a, &r->unlimited);
        else
            unsupported_attr(d, a);
    }
    no_blocks(d, b->body);
    *out = r;
}

static void decode_update(struct dec *d,
                          const struct hcl_block *b,
                          struct update_strategy **out)
{
    struct update_strategy *u = xmalloc(sizeof(*u));

    update_strategy_init(u);
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "stagger"))
            get_dur(d, a, &u->stagger_ns);
        else if (IS(a, "max_parallel"))
            get_int(d, a, &u->max_parallel);
        else if (IS(a, "health_check"))
            get_str(d, a, &u->health_check);
        else if (IS(a, "min_healthy_time"))
            get_dur(d, a, &u->min_healthy_time_ns);
        else if (IS(a, "healthy_deadline"))
            get_dur(d, a, &u->healthy_deadline_ns);
        else if (IS(a, "progress_deadline"))
            get_dur(d, a, &u->progress_deadline_ns);
        else if (IS(a, "canary"))
            get_int(d, a, &u->canary);
        else if (IS(a, "auto_revert"))
            get_tri(d, a, &u->auto_revert);
        else if (IS(a, "auto_promote"))
            get_tri(d, a, &u->auto_promote);
        else
            unsupported_attr(d, a);
    }
    no_blocks(d, b->body);
    *out = u;
}

static void decode_migrate(struct dec *d,
                           const struct hcl_block *b,
                           struct migrate_strategy **out)
{
    struct migrate_strategy *m = xmalloc(sizeof(*m));

    migrate_strategy_init(m);
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "max_parallel"))
            get_int(d, a, &m->max_parallel);
        else if (IS(a, "health_check"))
            get_str(d, a, &m->health_check);
        else if (IS(a, "min_healthy_time"))
            get_dur(d, a, &m->min_healthy_time_ns);
        else if (IS(a, "healthy_deadline"))
            get_dur(d, a, &m->healthy_deadline_ns);
        else
            unsupported_attr(d, a);
    }
    no_blocks(d, b->body);
    *out = m;
}

static void decode_port(struct dec *d,
                        const struct hcl_block *b,
                        struct network *n)
{
    struct port p;
    int64_t stat = 0;

    if (!labels_ok(d, b, 1))
        return;
    port_init(&p);
    p.label = xstrdup(b->labels[0]);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "static"))
            get_int(d, a, &stat);
        else if (IS(a, "to"))
            get_int(d, a, &p.to);
        else if (IS(a, "host_network"))
            get_str(d, a, &p.host_network);
        else if (IS(a, "ignore_collision"))
            get_bool(d, a, &p.ignore_collision);
        else
            unsupported_attr(d, a);
    }
    no_blocks(d, b->body);
    /* A static port is reserved; every other port is picked by us. */
    p.value = stat;
    if (stat > 0) {
        GROW(n->reserved_ports, n->nreserved_ports);
        n->reserved_ports[n->nreserved_ports++] = p;
    } else {
        GROW(n->dynamic_ports, n->ndynamic_ports);
        n->dynamic_ports[n->ndynamic_ports++] = p;
    }
}

static void decode_network(struct dec *d,
                           const struct hcl_block *b,
                           struct network *n)
{
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "mode"))
            get_str(d, a, &n->mode);
        else if (IS(a, "hostname"))
            get_str(d, a, &n->hostname);
        else if (IS(a, "mbits"))
            get_int(d, a, &n->mbits);
        else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, c)
    {
        if (BT(c, "port")) {
            decode_port(d, c, n);
        } else if (BT(c, "dns")) {
            if (!once(d, c, b->body) || !labels_ok(d, c, 0))
                continue;
            n->dns = xcalloc(1, sizeof(*n->dns));
            FOR_ATTRS(c->body, a)
            {
                if (IS(a, "servers"))
                    get_strlist(d, a, &n->dns->servers);
                else if (IS(a, "searches"))
                    get_strlist(d, a, &n->dns->searches);
                else if (IS(a, "options"))
                    get_strlist(d, a, &n->dns->options);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, c->body);
        } else {
            unsupported_block(d, c);
        }
    }
}

static void decode_check(struct dec *d,
                         const struct hcl_block *b,
                         struct service_check *c)
{
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "name"))
            get_str(d, a, &c->name);
        else if (IS(a, "type"))
            get_str(d, a, &c->type);
        else if (IS(a, "command"))
            get_str(d, a, &c->command);
        else if (IS(a, "args"))
            get_strlist(d, a, &c->args);
        else if (IS(a, "path"))
            get_str(d, a, &c->path);
        else if (IS(a, "protocol"))
            get_str(d, a, &c->protocol);
        else if (IS(a, "port"))
            get_str(d, a, &c->port_label);
        else if (IS(a, "address_mode"))
            get_str(d, a, &c->address_mode);
        else if (IS(a, "interval"))
            get_dur(d, a, &c->interval_ns);
        else if (IS(a, "timeout"))
            get_dur(d, a, &c->timeout_ns);
        else if (IS(a, "initial_status"))
            get_str(d, a, &c->initial_status);
        else if (IS(a, "method"))
            get_str(d, a, &c->method);
        else if (IS(a, "body"))
            get_str(d, a, &c->body);
        else if (IS(a, "task"))
            get_str(d, a, &c->task_name);
        else if (IS(a, "success_before_passing"))
            get_int(d, a, &c->success_before_passing);
        else if (IS(a, "failures_before_critical"))
            get_int(d, a, &c->failures_before_critical);
        else if (IS(a, "failures_before_warning"))
            get_int(d, a, &c->failures_before_warning);
        else if (IS(a, "on_update"))
            get_str(d, a, &c->on_update);
        else if (IS(a, "tls_skip_verify"))
            get_bool(d, a, &c->tls_skip_verify);
        else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, x)
    {
        if (BT(x, "header")) {
            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            c->headers_set = true;
            FOR_ATTRS(x->body, a)
            {
                struct check_header *h;

                GROW(c->headers, c->nheaders);
                h = &c->headers[c->nheaders++];
                h->name = xstrdup(a->name);
                strlist_init(&h->values);
                get_strlist(d, a, &h->values);
            }
            no_blocks(d, x->body);
        } else if (BT(x, "check_restart")) {
            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            c->check_restart = xcalloc(1, sizeof(*c->check_restart));
            c->check_restart->grace_ns = MODEL_UNSET;
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "limit"))
                    get_int(d, a, &c->check_restart->limit);
                else if (IS(a, "grace"))
                    get_dur(d, a, &c->check_restart->grace_ns);
                else if (IS(a, "ignore_warnings"))
                    get_bool(d, a, &c->check_restart->ignore_warnings);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else {
            unsupported_block(d, x);
        }
    }
}

static void decode_service(struct dec *d,
                           const struct hcl_block *b,
                           struct service *s)
{
    labels_ok(d, b, 0);
    attr_and_block(d, b->body, "meta");
    attr_and_block(d, b->body, "canary_meta");
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "name"))
            get_str(d, a, &s->name);
        else if (IS(a, "port"))
            get_str(d, a, &s->port_label);
        else if (IS(a, "tags"))
            get_strlist(d, a, &s->tags);
        else if (IS(a, "canary_tags"))
            get_strlist(d, a, &s->canary_tags);
        else if (IS(a, "address"))
            get_str(d, a, &s->address);
        else if (IS(a, "address_mode"))
            get_str(d, a, &s->address_mode);
        else if (IS(a, "provider"))
            get_str(d, a, &s->provider);
        else if (IS(a, "task"))
            get_str(d, a, &s->task_name);
        else if (IS(a, "on_update"))
            get_str(d, a, &s->on_update);
        else if (IS(a, "enable_tag_override"))
            get_bool(d, a, &s->enable_tag_override);
        else if (IS(a, "meta"))
            get_strmap(d, a, &s->meta);
        else if (IS(a, "canary_meta"))
            get_strmap(d, a, &s->canary_meta);
        else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, x)
    {
        if (BT(x, "check")) {
            GROW(s->checks, s->nchecks);
            service_check_init(&s->checks[s->nchecks]);
            decode_check(d, x, &s->checks[s->nchecks++]);
        } else if (BT(x, "meta") && once(d, x, b->body)) {
            strmap_block(d, x, &s->meta);
        } else if (BT(x, "canary_meta") && once(d, x, b->body)) {
            strmap_block(d, x, &s->canary_meta);
        } else if (!BT(x, "meta") && !BT(x, "canary_meta")) {
            unsupported_block(d, x);
        }
    }
}

static void add_service(struct dec *d,
                        const struct hcl_block *b,
                        struct service **arr,
                        size_t *n)
{
    GROW(*arr, *n);
    service_init(&(*arr)[*n]);
    decode_service(d, b, &(*arr)[(*n)++]);
}

static void decode_template(struct dec *d,
                            const struct hcl_block *b,
                            struct task_template *t)
{
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "source"))
            get_str(d, a, &t->source_path);
        else if (IS(a, "destination"))
            get_str(d, a, &t->dest_path);
        else if (IS(a, "data"))
            get_str(d, a, &t->embedded_tmpl);
        else if (IS(a, "change_mode"))
            get_str(d, a, &t->change_mode);
        else if (IS(a, "change_signal"))
            get_str(d, a, &t->change_signal);
        else if (IS(a, "splay"))
            get_dur(d, a, &t->splay_ns);
        else if (IS(a, "perms"))
            get_str(d, a, &t->perms);
        else if (IS(a, "uid"))
            get_int(d, a, &t->uid);
        else if (IS(a, "gid"))
            get_int(d, a, &t->gid);
        else if (IS(a, "left_delimiter"))
            get_str(d, a, &t->left_delim);
        else if (IS(a, "right_delimiter"))
            get_str(d, a, &t->right_delim);
        else if (IS(a, "env"))
            get_tri(d, a, &t->envvars);
        else if (IS(a, "vault_grace"))
            get_dur(d, a, &t->vault_grace_ns);
        else if (IS(a, "error_on_missing_key"))
            get_tri(d, a, &t->err_missing_key);
        else if (IS(a, "once"))
            get_tri(d, a, &t->once);
        else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, x)
    {
        if (!once(d, x, b->body) || !labels_ok(d, x, 0))
            continue;
        if (BT(x, "wait")) {
            t->wait = xmalloc(sizeof(*t->wait));
            t->wait->min_ns = t->wait->max_ns = MODEL_UNSET;
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "min"))
                    get_dur(d, a, &t->wait->min_ns);
                else if (IS(a, "max"))
                    get_dur(d, a, &t->wait->max_ns);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else if (BT(x, "change_script")) {
            struct change_script *cs = xcalloc(1, sizeof(*cs));

            cs->timeout_ns = MODEL_UNSET;
            t->change_script = cs;
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "command"))
                    get_str(d, a, &cs->command);
                else if (IS(a, "args"))
                    get_strlist(d, a, &cs->args);
                else if (IS(a, "timeout"))
                    get_dur(d, a, &cs->timeout_ns);
                else if (IS(a, "fail_on_error"))
                    get_tri(d, a, &cs->fail_on_error);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else {
            unsupported_block(d, x);
        }
    }
}

static void decode_artifact(struct dec *d,
                            const struct hcl_block *b,
                            struct artifact *x)
{
    labels_ok(d, b, 0);
    attr_and_block(d, b->body, "options");
    attr_and_block(d, b->body, "headers");
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "source"))
            get_str(d, a, &x->getter_source);
        else if (IS(a, "destination"))
            get_str(d, a, &x->relative_dest);
        else if (IS(a, "mode"))
            get_str(d, a, &x->getter_mode);
        else if (IS(a, "chown"))
            get_str(d, a, &x->chown);
        else if (IS(a, "options"))
            get_strmap(d, a, &x->getter_options);
        else if (IS(a, "headers"))
            get_strmap(d, a, &x->getter_headers);
        else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, c)
    {
        if (BT(c, "options") && once(d, c, b->body))
            strmap_block(d, c, &x->getter_options);
        else if (BT(c, "headers") && once(d, c, b->body))
            strmap_block(d, c, &x->getter_headers);
        else if (!BT(c, "options") && !BT(c, "headers"))
            unsupported_block(d, c);
    }
}

static void decode_resources(struct dec *d,
                             const struct hcl_block *b,
                             struct task *t)
{
    struct resources *r = xmalloc(sizeof(*r));

    resources_init(r);
    t->resources = r;
    labels_ok(d, b, 0);
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "cpu"))
            get_int(d, a, &r->cpu);
        else if (IS(a, "cores"))
            get_int(d, a, &r->cores);
        else if (IS(a, "memory"))
            get_int(d, a, &r->memory_mb);
        else if (IS(a, "memory_max"))
            get_int(d, a, &r->memory_max_mb);
        else if (IS(a, "disk"))
            get_int(d, a, &r->disk_mb);
        else
            unsupported_attr(d, a);
    }
    no_blocks(d, b->body);
}

static void decode_task(struct dec *d,
                        const struct hcl_block *b,
                        struct task *t)
{
    t->name = xstrdup(b->labels[0]);
    attr_and_block(d, b->body, "meta");
    attr_and_block(d, b->body, "env");
    attr_and_block(d, b->body, "config");
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "driver"))
            get_str(d, a, &t->driver);
        else if (IS(a, "user"))
            get_str(d, a, &t->user);
        else if (IS(a, "kill_timeout"))
            get_dur(d, a, &t->kill_timeout_ns);
        else if (IS(a, "kill_signal"))
            get_str(d, a, &t->kill_signal);
        else if (IS(a, "shutdown_delay"))
            get_dur(d, a, &t->shutdown_delay_ns);
        else if (IS(a, "leader"))
            get_tri(d, a, &t->leader);
        else if (IS(a, "kind"))
            get_str(d, a, &t->kind);
        else if (IS(a, "meta"))
            get_strmap(d, a, &t->meta);
        else if (IS(a, "env"))
            get_strmap(d, a, &t->env);
        else if (IS(a, "config")) {
            if (a->value.type != HCL_OBJECT) {
                type_problem(d, a, "object");
            } else {
                json_decref(t->config);
                t->config = value_json(&a->value);
            }
        } else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, x)
    {
        if (BT(x, "config")) {
            if (once(d, x, b->body) && labels_ok(d, x, 0)) {
                json_decref(t->config);
                t->config = body_json(x->body);
            }
        } else if (BT(x, "env")) {
            if (once(d, x, b->body) && labels_ok(d, x, 0))
                strmap_block(d, x, &t->env);
        } else if (BT(x, "meta")) {
            if (once(d, x, b->body) && labels_ok(d, x, 0))
                strmap_block(d, x, &t->meta);
        } else if (BT(x, "resources")) {
            if (once(d, x, b->body))
                decode_resources(d, x, t);
        } else if (BT(x, "restart")) {
            if (once(d, x, b->body))
                decode_restart(d, x, &t->restart_policy);
        } else if (BT(x, "service")) {
            add_service(d, x, &t->services, &t->nservices);
        } else if (BT(x, "constraint")) {
            GROW(t->constraints, t->nconstraints);
            constraint_init(&t->constraints[t->nconstraints]);
            decode_constraint(d, x, &t->constraints[t->nconstraints++]);
        } else if (BT(x, "affinity")) {
            GROW(t->affinities, t->naffinities);
            affinity_init(&t->affinities[t->naffinities]);
            decode_affinity(d, x, &t->affinities[t->naffinities++]);
        } else if (BT(x, "template")) {
            GROW(t->templates, t->ntemplates);
            task_template_init(&t->templates[t->ntemplates]);
            decode_template(d, x, &t->templates[t->ntemplates++]);
        } else if (BT(x, "artifact")) {
            GROW(t->artifacts, t->nartifacts);
            artifact_init(&t->artifacts[t->nartifacts]);
            decode_artifact(d, x, &t->artifacts[t->nartifacts++]);
        } else if (BT(x, "logs")) {
            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            t->log_config = xmalloc(sizeof(*t->log_config));
            log_config_init(t->log_config);
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "max_files"))
                    get_int(d, a, &t->log_config->max_files);
                else if (IS(a, "max_file_size"))
                    get_int(d, a, &t->log_config->max_file_size_mb);
                else if (IS(a, "disabled"))
                    get_tri(d, a, &t->log_config->disabled);
                else if (IS(a, "enabled")) {
                    enum tri on = TRI_UNSET;

                    get_tri(d, a, &on);
                    if (on != TRI_UNSET)
                        t->log_config->disabled =
                            tri_from_bool(on == TRI_FALSE);
                } else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else if (BT(x, "lifecycle")) {
            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            t->lifecycle = xcalloc(1, sizeof(*t->lifecycle));
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "hook"))
                    get_str(d, a, &t->lifecycle->hook);
                else if (IS(a, "sidecar"))
                    get_bool(d, a, &t->lifecycle->sidecar);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else if (BT(x, "dispatch_payload")) {
            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            t->dispatch_payload = xcalloc(1, sizeof(*t->dispatch_payload));
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "file"))
                    get_str(d, a, &t->dispatch_payload->file);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else {
            unsupported_block(d, x);
        }
    }
}

/*
 * job_add_group() and task_group_add_task() grow their arrays by one
 * element, copying all groups of a large job each time; decode_job() and
 * decode_group() make room for every block that may add one beforehand.
 */
static struct task_group *add_group(struct job *j)
{
    task_group_init(&j->groups[j->ngroups]);
    return &j->groups[j->ngroups++];
}

static struct task *add_task(struct task_group *g)
{
    task_init(&g->tasks[g->ntasks]);
    return &g->tasks[g->ntasks++];
}

static void decode_group(struct dec *d,
                         const struct hcl_block *b,
                         struct task_group *g)
{
    size_t ntasks = 0;

    g->name = xstrdup(b->labels[0]);
    FOR_BLOCKS(b->body, x)
    {
        if (BT(x, "task"))
            ntasks++;
    }
    if (ntasks > 0)
        g->tasks = xrealloc(g->tasks, (g->ntasks + ntasks) * sizeof(*g->tasks));
    attr_and_block(d, b->body, "meta");
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "count"))
            get_int(d, a, &g->count);
        else if (IS(a, "shutdown_delay"))
            get_dur(d, a, &g->shutdown_delay_ns);
        else if (IS(a, "stop_after_client_disconnect"))
            get_dur(d, a, &g->stop_after_client_disconnect_ns);
        else if (IS(a, "meta"))
            get_strmap(d, a, &g->meta);
        else
            unsupported_attr(d, a);
    }
    FOR_BLOCKS(b->body, x)
    {
        if (BT(x, "task")) {
            if (labels_ok(d, x, 1))
                decode_task(d, x, add_task(g));
        } else if (BT(x, "meta")) {
            if (once(d, x, b->body) && labels_ok(d, x, 0))
                strmap_block(d, x, &g->meta);
        } else if (BT(x, "constraint")) {
            GROW(g->constraints, g->nconstraints);
            constraint_init(&g->constraints[g->nconstraints]);
            decode_constraint(d, x, &g->constraints[g->nconstraints++]);
        } else if (BT(x, "affinity")) {
            GROW(g->affinities, g->naffinities);
            affinity_init(&g->affinities[g->naffinities]);
            decode_affinity(d, x, &g->affinities[g->naffinities++]);
        } else if (BT(x, "spread")) {
            GROW(g->spreads, g->nspreads);
            spread_init(&g->spreads[g->nspreads]);
            decode_spread(d, x, &g->spreads[g->nspreads++]);
        } else if (BT(x, "restart")) {
            if (once(d, x, b->body))
                decode_restart(d, x, &g->restart_policy);
        } else if (BT(x, "reschedule")) {
            if (once(d, x, b->body))
                decode_reschedule(d, x, &g->reschedule_policy);
        } else if (BT(x, "update")) {
            if (once(d, x, b->body))
                decode_update(d, x, &g->update);
        } else if (BT(x, "migrate")) {
            if (once(d, x, b->body))
                decode_migrate(d, x, &g->migrate);
        } else if (BT(x, "ephemeral_disk")) {
            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            g->ephemeral_disk = xmalloc(sizeof(*g->ephemeral_disk));
            ephemeral_disk_init(g->ephemeral_disk);
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "size"))
                    get_int(d, a, &g->ephemeral_disk->size_mb);
                else if (IS(a, "sticky"))
                    get_tri(d, a, &g->ephemeral_disk->sticky);
                else if (IS(a, "migrate"))
                    get_tri(d, a, &g->ephemeral_disk->migrate);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else if (BT(x, "network")) {
            GROW(g->networks, g->nnetworks);
            network_init(&g->networks[g->nnetworks]);
            decode_network(d, x, &g->networks[g->nnetworks++]);
        } else if (BT(x, "service")) {
            add_service(d, x, &g->services, &g->nservices);
        } else {
            unsupported_block(d, x);
        }
    }
}

static void decode_job(struct dec *d, const struct hcl_block *b, struct job *j)
{
    size_t ngroups = 0;

    j->id = xstrdup(b->labels[0]);
    FOR_BLOCKS(b->body, x)
    {
        if (BT(x, "task") || BT(x, "group"))
            ngroups++;
    }
    if (ngroups > 0)
        j->groups =
            xrealloc(j->groups, (j->ngroups + ngroups) * sizeof(*j->groups));
    attr_and_block(d, b->body, "meta");
    FOR_ATTRS(b->body, a)
    {
        if (IS(a, "region"))
            get_str(d, a, &j->region);
        else if (IS(a, "namespace"))
            get_str(d, a, &j->namespace);
        else if (IS(a, "name"))
            get_str(d, a, &j->name);
        else if (IS(a, "type"))
            get_str(d, a, &j->type);
        else if (IS(a, "priority"))
            get_int(d, a, &j->priority);
        else if (IS(a, "all_at_once"))
            get_tri(d, a, &j->all_at_once);
        else if (IS(a, "datacenters"))
            get_strlist(d, a, &j->datacenters);
        else if (IS(a, "node_pool"))
            get_str(d, a, &j->node_pool);
        else if (IS(a, "meta"))
            get_strmap(d, a, &j->meta);
        else if (IS(a, "consul_token"))
            get_str(d, a, &j->consul_token);
        else if (IS(a, "vault_token"))
            get_str(d, a, &j->vault_token);
        else
            unsupported_attr(d, a);
    }
    /* A task written directly in the job gets a group of its own, named
     * after it and placed before the written groups, as jobspec2 does. */
    FOR_BLOCKS(b->body, x)
    {
        struct task_group *g;

        if (!BT(x, "task") || !labels_ok(d, x, 1))
            continue;
        g = add_group(j);
        g->name = xstrdup(x->labels[0]);
        decode_task(d, x, task_group_add_task(g));
    }
    FOR_BLOCKS(b->body, x)
    {
        if (BT(x, "task")) {
            continue;
        } else if (BT(x, "group")) {
            if (labels_ok(d, x, 1))
                decode_group(d, x, add_group(j));
        } else if (BT(x, "meta")) {
            if (once(d, x, b->body) && labels_ok(d, x, 0))
                strmap_block(d, x, &j->meta);
        } else if (BT(x, "constraint")) {
            GROW(j->constraints, j->nconstraints);
            constraint_init(&j->constraints[j->nconstraints]);
            decode_constraint(d, x, &j->constraints[j->nconstraints++]);
        } else if (BT(x, "affinity")) {
            GROW(j->affinities, j->naffinities);
            affinity_init(&j->affinities[j->naffinities]);
            decode_affinity(d, x, &j->affinities[j->naffinities++]);
        } else if (BT(x, "spread")) {
            GROW(j->spreads, j->nspreads);
            spread_init(&j->spreads[j->nspreads]);
            decode_spread(d, x, &j->spreads[j->nspreads++]);
        } else if (BT(x, "update")) {
            if (once(d, x, b->body))
                decode_update(d, x, &j->update);
        } else if (BT(x, "reschedule")) {
            if (once(d, x, b->body))
                decode_reschedule(d, x, &j->reschedule);
        } else if (BT(x, "migrate")) {
            if (once(d, x, b->body))
                decode_migrate(d, x, &j->migrate);
        } else if (BT(x, "periodic")) {
            struct periodic_config *p;

            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            p = j->periodic = xmalloc(sizeof(*p));
            periodic_config_init(p);
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "cron"))
                    get_str(d, a, &p->spec);
                else if (IS(a, "crons"))
                    get_strlist(d, a, &p->specs);
                else if (IS(a, "prohibit_overlap"))
                    get_tri(d, a, &p->prohibit_overlap);
                else if (IS(a, "time_zone"))
                    get_str(d, a, &p->time_zone);
                else if (IS(a, "enabled"))
                    get_tri(d, a, &p->enabled);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else if (BT(x, "parameterized")) {
            struct parameterized_config *p;

            if (!once(d, x, b->body) || !labels_ok(d, x, 0))
                continue;
            p = j->parameterized = xmalloc(sizeof(*p));
            parameterized_config_init(p);
            FOR_ATTRS(x->body, a)
            {
                if (IS(a, "payload"))
                    get_str(d, a, &p->payload);
                else if (IS(a, "meta_required"))
                    get_strlist(d, a, &p->meta_required);
                else if (IS(a, "meta_optional"))
                    get_strlist(d, a, &p->meta_optional);
                else
                    unsupported_attr(d, a);
            }
            no_blocks(d, x->body);
        } else {
            unsupported_block(d, x);
        }
    }
    if (j->name == NULL)
        j->name = xstrdup(j->id);
}

int jobspec_from_hcl(const struct hcl_doc *doc,
                     struct job **out,
                     struct err *err)
{
    struct dec d = {doc->filename ? doc->filename : "<input>",
                    BUF_INIT,
                    0,
                    {{NULL, NULL}},
                    0};
    const struct hcl_block *jb = NULL;
    struct job *job = NULL;

    *out = NULL;
    FOR_ATTRS(&doc->body, a)
    unsupported_attr(&d, a);
    FOR_BLOCKS(&doc->body, b)
    {
        if (!BT(b, "job")) {
            unsupported_block(&d, b);
        } else if (jb != NULL) {
            problem(&d, b->pos,
                    "Duplicate job block; Only one job block is allowed. "
                    "Another was defined at %s:%d:%d.",
                    d.file, jb->pos.line, jb->pos.col);
        } else if (labels_ok(&d, b, 1)) {
            jb = b;
        } else {
            jb = b; /* counted, even without its name */
        }
    }
    if (jb == NULL && d.n == 0)
        problem(&d, (struct hcl_pos){1, 1},
                "Missing job block; A job block is required.");
    if (jb != NULL && jb->nlabels == 1) {
        job = job_new();
        decode_job(&d, jb, job);
    }
    for (unsigned i = 0; i < NFIRSTS; i++)
        free(d.firsts[i].first);
    if (d.n > 0) {
        err_set(err, ERR_INVALID, "%s", buf_str(&d.errs));
        buf_release(&d.errs);
        job_free(job);
        return ERR_INVALID;
    }
    buf_release(&d.errs);
    *out = job;
    return 0;
}

int jobspec_parse(const char *src,
                  size_t len,
                  const char *filename,
                  const struct hcl_options *opts,
                  struct job **out,
                  struct err *err)
{
    struct hcl_doc *doc = NULL;
    int rc;

    *out = NULL;
    rc = hcl_parse(src, len, filename, opts, &doc, err);
    if (rc != 0)
        return rc;
    rc = jobspec_from_hcl(doc, out, err);
    hcl_doc_free(doc);
    return rc;
}

int jobspec_parse_file(const char *path,
                       const struct hcl_options *opts,
                       struct job **out,
                       struct err *err)
{
    struct hcl_doc *doc = NULL;
    int rc;

    *out = NULL;
    rc = hcl_parse_file(path, opts, &doc, err);
    if (rc != 0)
        return rc;
    rc = jobspec_from_hcl(doc, out, err);
    hcl_doc_free(doc);
    return rc;
}
