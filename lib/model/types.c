/* String lists and maps of the model (see types.h). */
#include "lib/model/types.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

void strlist_init(struct strlist *l)
{
    l->items = NULL;
    l->n = 0;
    l->set = false;
}

void strlist_release(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    strlist_init(l);
}

void strlist_push(struct strlist *l, const char *s)
{
    l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
    l->items[l->n++] = xstrdup(s);
    l->set = true;
}

void strlist_copy(struct strlist *dst, const struct strlist *src)
{
    strlist_init(dst);
    for (size_t i = 0; i < src->n; i++)
        strlist_push(dst, src->items[i]);
    dst->set = src->set;
}

bool strlist_contains(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i], s) == 0)
            return true;
    }
    return false;
}

bool strlist_equal(const struct strlist *a, const struct strlist *b)
{
    if (a->n != b->n || a->set != b->set)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->items[i], b->items[i]) != 0)
            return false;
    }
    return true;
}

void strmap_init(struct strmap *m)
{
    m->items = NULL;
    m->n = 0;
    m->set = false;
}

void strmap_release(struct strmap *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].key);
        free(m->items[i].value);
    }
    free(m->items);
    strmap_init(m);
}

void strmap_set(struct strmap *m, const char *key, const char *value)
{
    m->set = true;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            free(m->items[i].value);
            m->items[i].value = xstrdup(value);
            return;
        }
    }
    m->items = xrealloc(m->items, (m->n + 1) * sizeof(*m->items));
    m->items[m->n].key = xstrdup(key);
    m->items[m->n].value = xstrdup(value);
    m->n++;
}

const char *strmap_get(const struct strmap *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->items[i].key, key) == 0)
            return m->items[i].value;
    }
    return NULL;
}

void strmap_copy(struct strmap *dst, const struct strmap *src)
{
    strmap_init(dst);
    for (size_t i = 0; i < src->n; i++)
        strmap_set(dst, src->items[i].key, src->items[i].value);
    dst->set = src->set;
}

void strmap_merge_missing(struct strmap *dst, const struct strmap *src)
{
    for (size_t i = 0; i < src->n; i++) {
        if (strmap_get(dst, src->items[i].key) == NULL)
            strmap_set(dst, src->items[i].key, src->items[i].value);
    }
}

static int entry_cmp(const void *a, const void *b)
{
    const struct strmap_entry *x = a, *y = b;

    return strcmp(x->key, y->key);
}

void strmap_sort(struct strmap *m)
{
    if (m->n > 1)
        qsort(m->items, m->n, sizeof(*m->items), entry_cmp);
}

bool strmap_equal(const struct strmap *a, const struct strmap *b)
{
    if (a->n != b->n || a->set != b->set)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const char *v = strmap_get(b, a->items[i].key);

        if (v == NULL || strcmp(v, a->items[i].value) != 0)
            return false;
    }
    return true;
}

void model_set_str(char **p, const char *s)
{
    free(*p);
    *p = s ? xstrdup(s) : NULL;
}
