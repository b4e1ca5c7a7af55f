/*
 * One member's records: keys with opaque values, merged per key by
 * version. The owner gives every change the next value of its own counter,
 * so for one key the higher version is always the later change, whatever
 * path (broadcast, push/pull) it took. A delete is a tombstone, a version
 * without a value, kept for a while so that a push/pull with a member that
 * missed the delete cannot bring the old value back.
 *
 * The mesh does not know what the records mean (the catalogue puts a
 * node's service set in one).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "mesh/swim_int.h"

static int keycmp(const char *a, const char *b, size_t blen)
{
    size_t alen = strlen(a);
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Index of key, or where it would go; *found says which. */
static size_t search(const struct records *r,
                     const char *key,
                     size_t key_len,
                     bool *found)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = keycmp(r->items[mid].key, key, key_len);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

struct record *swim__records_find(const struct records *r,
                                  const char *key,
                                  size_t key_len)
{
    bool found;
    size_t i = search(r, key, key_len, &found);

    return found ? &r->items[i] : NULL;
}

void swim__records_release(struct records *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].key);
        free(r->items[i].value);
    }
    free(r->items);
    free(r->view);
    memset(r, 0, sizeof(*r));
}

int swim__records_apply(struct records *r,
                        const char *key,
                        size_t key_len,
                        uint64_t version,
                        const void *value,
                        size_t len,
                        uint64_t now_ms)
{
    bool found;
    size_t i = search(r, key, key_len, &found);
    struct record *rec;
    size_t old_len = 0;

    if (found && r->items[i].version >= version)
        return 0;
    if (found)
        old_len = r->items[i].len;
    if (!found && r->n >= SWIM_RECORDS_MAX)
        return ERR_TOO_BIG;
    if (r->bytes - old_len + len > SWIM_RECORDS_BYTES_MAX)
        return ERR_TOO_BIG;
    if (!found) {
        XGROW(r->items, r->cap, r->n + 1);
        memmove(&r->items[i + 1], &r->items[i], (r->n - i) * sizeof(*r->items));
        r->n++;
        memset(&r->items[i], 0, sizeof(r->items[i]));
        r->items[i].key = xstrndup(key, key_len);
    }
    rec = &r->items[i];
    free(rec->value);
    rec->value = NULL;
    rec->len = 0;
    if (value != NULL) {
        rec->value = xmalloc(len > 0 ? len : 1);
        if (len > 0)
            memcpy(rec->value, value, len);
        rec->len = len;
    }
    r->bytes = r->bytes - old_len + len;
    rec->version = version;
    rec->changed_ms = now_ms;
    if (version > r->version)
        r->version = version;
    return 1;
}

bool swim__records_gc(struct records *r, uint64_t now_ms, uint64_t ttl_ms)
{
    size_t j = 0;
    bool any = false;

    for (size_t i = 0; i < r->n; i++) {
        struct record *rec = &r->items[i];

        if (rec->value == NULL && now_ms >= rec->changed_ms + ttl_ms) {
            free(rec->key);
            any = true;
            continue;
        }
        r->items[j++] = *rec;
    }
    r->n = j;
    return any;
}

size_t swim__records_live(const struct records *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].value != NULL;
    return n;
}
