/* Tests of the base containers: list, heap, map, PRNG and UUIDs. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/heap.h"
#include "lib/id.h"
#include "lib/list.h"
#include "lib/map.h"
#include "lib/rand.h"
#include "tests/harness/test.h"

struct item
{
    int v;
    size_t idx;
    struct list_node node;
};

/* ---------------------------------------------------------------- list */

static void check_list_values(struct list_node *head, const int *want, int n)
{
    struct item *pos;
    int i = 0;

    list_for_each_entry(pos, head, struct item, node)
    {
        ck_assert_int_lt(i, n);
        ck_assert_int_eq(pos->v, want[i]);
        i++;
    }
    ck_assert_int_eq(i, n);
    ck_assert_uint_eq(list_length(head), (size_t)n);
}

START_TEST(list_init_forms_agree)
{
    struct list_node a = LIST_INIT(a), b;

    list_init(&b);
    ck_assert(list_empty(&a));
    ck_assert(list_empty(&b));
    ck_assert_ptr_eq(a.next, &a);
    ck_assert_ptr_eq(a.prev, &a);
    ck_assert_ptr_eq(b.next, &b);
    ck_assert_ptr_eq(b.prev, &b);
    ck_assert_uint_eq(list_length(&a), 0);
}
END_TEST

START_TEST(list_add_tail_and_head_order)
{
    struct list_node head = LIST_INIT(head);
    struct item items[6];
    static const int want[] = {2, 1, 0, 3, 4, 5};

    for (int i = 0; i < 6; i++)
        items[i].v = i;
    for (int i = 3; i < 6; i++)
        list_add_tail(&head, &items[i].node);
    for (int i = 0; i < 3; i++)
        list_add_head(&head, &items[i].node);
    check_list_values(&head, want, 6);
    ck_assert_int_eq(list_entry(head.next, struct item, node)->v, 2);
    ck_assert_int_eq(container_of(head.prev, struct item, node)->v, 5);
}
END_TEST

START_TEST(list_safe_delete_during_iteration)
{
    struct list_node head = LIST_INIT(head);
    struct item items[10], *pos, *tmp;
    static const int evens[] = {0, 2, 4, 6, 8};

    for (int i = 0; i < 10; i++) {
        items[i].v = i;
        list_add_tail(&head, &items[i].node);
    }
    list_for_each_entry_safe(pos, tmp, &head, struct item, node)
    {
        if (pos->v % 2)
            list_del(&pos->node);
    }
    check_list_values(&head, evens, 5);
    /* Now drop everything, including the last element the loop sees. */
    list_for_each_entry_safe(pos, tmp, &head, struct item, node)
    {
        list_del(&pos->node);
    }
    ck_assert(list_empty(&head));
    ck_assert_ptr_eq(head.prev, &head);
}
END_TEST

START_TEST(list_del_reinits_and_moves_between_lists)
{
    struct list_node a = LIST_INIT(a), b = LIST_INIT(b);
    struct item items[4], *pos, *tmp;
    static const int want_a[] = {0, 2};
    static const int want_b[] = {1, 3};

    for (int i = 0; i < 4; i++) {
        items[i].v = i;
        list_add_tail(&a, &items[i].node);
    }
    list_for_each_entry_safe(pos, tmp, &a, struct item, node)
    {
        if (pos->v % 2) {
            list_del(&pos->node);
            list_add_tail(&b, &pos->node);
        }
    }
    check_list_values(&a, want_a, 2);
    check_list_values(&b, want_b, 2);
    list_del(&items[0].node);
    ck_assert_ptr_eq(items[0].node.next, &items[0].node);
    ck_assert_ptr_eq(items[0].node.prev, &items[0].node);
    /* A second unlink of a self-linked node changes nothing. */
    list_del(&items[0].node);
    ck_assert_uint_eq(list_length(&a), 1);
    ck_assert_int_eq(list_entry(a.next, struct item, node)->v, 2);
}
END_TEST

/* ---------------------------------------------------------------- heap */

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;

    return (x->v > y->v) - (x->v < y->v);
}

static void moved(void *e, size_t i)
{
    ((struct item *)e)->idx = i;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* Heap order holds and every element knows where it sits. */
static void check_heap(const struct heap *h)
{
    for (size_t i = 0; i < h->n; i++) {
        const struct item *it = h->items[i];

        ck_assert_uint_eq(it->idx, i);
        if (i > 0) {
            const struct item *parent = h->items[(i - 1) / 2];

            ck_assert_int_le(parent->v, it->v);
        }
    }
}

START_TEST(heap_sorts_like_qsort)
{
    enum { N = 10000 };
    struct rng r;
    struct heap h;
    struct item *items = xcalloc(N, sizeof(*items));
    int *sorted = xcalloc(N, sizeof(*sorted));

    rng_seed(&r, test_seed());
    heap_init(&h, cmp_item, moved);
    for (int i = 0; i < N; i++) {
        items[i].v = sorted[i] = (int)rng_below(&r, 1000000);
        heap_push(&h, &items[i]);
    }
    ck_assert_uint_eq(heap_size(&h), N);
    check_heap(&h);
    qsort(sorted, N, sizeof(*sorted), cmp_int);
    for (int i = 0; i < N; i++) {
        struct item *peek = heap_peek(&h);
        struct item *it = heap_pop(&h);

        ck_assert_ptr_eq(peek, it);
        ck_assert_int_eq(it->v, sorted[i]);
        ck_assert_uint_eq(it->idx, HEAP_NONE);
    }
    ck_assert_uint_eq(heap_size(&h), 0);
    heap_release(&h);
    free(items);
    free(sorted);
}
END_TEST

START_TEST(heap_empty_peek_and_pop_are_null)
{
    struct heap h;
    struct item it = {7, 0, {NULL, NULL}};

    heap_init(&h, cmp_item, NULL);
    ck_assert_ptr_null(heap_peek(&h));
    ck_assert_ptr_null(heap_pop(&h));
    ck_assert_uint_eq(heap_size(&h), 0);
    heap_push(&h, &it);
    ck_assert_ptr_eq(heap_pop(&h), &it);
    ck_assert_ptr_null(heap_pop(&h));
    heap_release(&h);
    /* Released heaps are empty and reusable. */
    ck_assert_uint_eq(heap_size(&h), 0);
    heap_push(&h, &it);
    ck_assert_ptr_eq(heap_peek(&h), &it);
    heap_release(&h);
}
END_TEST

START_TEST(heap_remove_by_index_keeps_heap_valid)
{
    enum { N = 2000 };
    struct rng r;
    struct heap h;
    struct item *items = xcalloc(N, sizeof(*items));
    int last = -1;
    size_t left = 0;

    rng_seed(&r, test_seed());
    heap_init(&h, cmp_item, moved);
    for (int i = 0; i < N; i++) {
        items[i].v = (int)rng_below(&r, 100000);
        heap_push(&h, &items[i]);
    }
    for (int i = 0; i < N; i += 3) { /* cancel a third, from anywhere */
        ck_assert_ptr_eq(heap_remove(&h, items[i].idx), &items[i]);
        ck_assert_uint_eq(items[i].idx, HEAP_NONE);
        if (i % 64 == 0)
            check_heap(&h);
    }
    check_heap(&h);
    for (int i = 0; i < N; i++)
        left += i % 3 != 0;
    ck_assert_uint_eq(heap_size(&h), left);
    while (heap_size(&h) > 0) {
        struct item *it = heap_pop(&h);

        ck_assert_int_ge(it->v, last);
        ck_assert_int_ne((it - items) % 3, 0); /* not a cancelled one */
        last = it->v;
    }
    heap_release(&h);
    free(items);
}
END_TEST

START_TEST(heap_remove_root_last_and_sift_up_case)
{
    struct heap h;
    struct item items[7];
    void *last;
    /*
     * Removing index 4 (value 100) moves the last element (value 3) into a
     * subtree under a bigger parent (50): it has to sift up, not down.
     */
    static const int vals[] = {1, 50, 2, 60, 100, 4, 3};

    heap_init(&h, cmp_item, moved);
    for (int i = 0; i < 7; i++) {
        items[i].v = vals[i];
        heap_push(&h, &items[i]);
    }
    check_heap(&h);
    ck_assert_ptr_eq(heap_remove(&h, items[4].idx), &items[4]);
    check_heap(&h);
    last = h.items[h.n - 1];
    ck_assert_ptr_eq(heap_remove(&h, h.n - 1), last);
    check_heap(&h);
    ck_assert_ptr_eq(heap_remove(&h, 0), &items[0]);
    check_heap(&h);
    ck_assert_int_eq(((struct item *)heap_peek(&h))->v, 2);
    heap_release(&h);
}
END_TEST

START_TEST(heap_interleaved_push_pop_matches_reference)
{
    enum { V = 200, STEPS = 20000 };
    struct rng r;
    struct heap h;
    struct item *items = xcalloc(STEPS, sizeof(*items));
    int count[V] = {0};
    size_t n = 0;

    rng_seed(&r, test_seed());
    heap_init(&h, cmp_item, moved);
    for (int s = 0; s < STEPS; s++) {
        if (n == 0 || rng_below(&r, 3) != 0) {
            items[s].v = (int)rng_below(&r, V);
            count[items[s].v]++;
            heap_push(&h, &items[s]);
            n++;
        } else {
            struct item *it = heap_pop(&h);
            int min = 0;

            while (count[min] == 0)
                min++;
            ck_assert_int_eq(it->v, min);
            count[min]--;
            n--;
        }
        ck_assert_uint_eq(heap_size(&h), n);
    }
    check_heap(&h);
    heap_release(&h);
    free(items);
}
END_TEST

/* ---------------------------------------------------------------- map */

START_TEST(map_put_get_del_overwrite)
{
    struct map m;
    int a = 1, b = 2;

    map_init(&m);
    ck_assert_ptr_null(map_get(&m, "x"));
    ck_assert_ptr_null(map_del(&m, "x"));
    ck_assert(!map_has(&m, "x"));
    ck_assert_ptr_null(map_put(&m, "x", &a));
    ck_assert_ptr_eq(map_put(&m, "x", &b), &a);
    ck_assert_ptr_eq(map_get(&m, "x"), &b);
    ck_assert(map_has(&m, "x"));
    ck_assert_uint_eq(map_size(&m), 1);
    ck_assert_ptr_null(map_put(&m, "y", NULL));
    ck_assert(map_has(&m, "y")); /* a NULL value is still an entry */
    ck_assert_uint_eq(map_size(&m), 2);
    ck_assert_ptr_eq(map_del(&m, "x"), &b);
    ck_assert_ptr_null(map_del(&m, "x"));
    ck_assert(!map_has(&m, "x"));
    ck_assert_uint_eq(map_size(&m), 1);
    map_release(&m, NULL);
}
END_TEST

START_TEST(map_copies_keys)
{
    struct map m;
    char key[] = "alpha";
    struct map_iter it;
    const char *k;
    void *v;
    int a = 1;

    map_init(&m);
    map_put(&m, key, &a);
    key[0] = 'X';
    ck_assert_ptr_eq(map_get(&m, "alpha"), &a);
    ck_assert_ptr_null(map_get(&m, "Xlpha"));
    map_iter_init(&it, &m);
    ck_assert(map_next(&it, &k, &v));
    ck_assert_ptr_ne(k, key);
    ck_assert_str_eq(k, "alpha");
    ck_assert(!map_next(&it, &k, &v));
    map_release(&m, NULL);
}
END_TEST

START_TEST(map_awkward_keys_are_distinct)
{
    struct map m;
    char *long_key = xmalloc(10001);
    static const char *keys[] = {"", "a", "ab", "abc", "abd", "b", "a b",
                                 "job/web", "job/web/", "\xc3\xa9t\xc3\xa9"};
    enum { K = sizeof(keys) / sizeof(keys[0]) };
    int vals[K];

    memset(long_key, 'z', 10000);
    long_key[10000] = '\0';
    map_init(&m);
    for (int i = 0; i < K; i++)
        ck_assert_ptr_null(map_put(&m, keys[i], &vals[i]));
    ck_assert_ptr_null(map_put(&m, long_key, long_key));
    ck_assert_uint_eq(map_size(&m), K + 1);
    for (int i = 0; i < K; i++)
        ck_assert_ptr_eq(map_get(&m, keys[i]), &vals[i]);
    ck_assert_ptr_eq(map_get(&m, long_key), long_key);
    long_key[9999] = 'y';
    ck_assert_ptr_null(map_get(&m, long_key));
    ck_assert_ptr_eq(map_del(&m, ""), &vals[0]);
    ck_assert_ptr_eq(map_get(&m, "a"), &vals[1]);
    map_release(&m, NULL);
    free(long_key);
}
END_TEST

START_TEST(map_grows_and_iterates_each_key_once)
{
    enum { N = 100000 };
    struct map m;
    struct map_iter it;
    const char *key;
    void *value;
    char *seen = xcalloc(N, 1);
    size_t count = 0;

    map_init(&m);
    for (long i = 0; i < N; i++) {
        char k[32];

        snprintf(k, sizeof(k), "job-%ld", i);
        ck_assert_ptr_null(map_put(&m, k, (void *)(i + 1)));
        ck_assert_uint_le(m.used * 4, m.cap * 3);
    }
    ck_assert_uint_eq(map_size(&m), N);
    for (long i = 0; i < N; i += 997) {
        char k[32];

        snprintf(k, sizeof(k), "job-%ld", i);
        ck_assert_ptr_eq(map_get(&m, k), (void *)(i + 1));
    }
    map_iter_init(&it, &m);
    while (map_next(&it, &key, &value)) {
        long i = (long)value - 1;
        char k[32];

        ck_assert(i >= 0 && i < N);
        snprintf(k, sizeof(k), "job-%ld", i);
        ck_assert_str_eq(key, k);
        ck_assert_int_eq(seen[i], 0);
        seen[i] = 1;
        count++;
    }
    ck_assert_uint_eq(count, N);
    map_release(&m, NULL);
    free(seen);
}
END_TEST

START_TEST(map_survives_churn)
{
    enum { K = 512 };
    struct map m;
    struct rng r;
    char present[K] = {0};
    size_t n = 0;

    rng_seed(&r, test_seed());
    map_init(&m);
    for (int step = 0; step < 50000; step++) {
        int k = (int)rng_below(&r, K);
        char key[16];

        snprintf(key, sizeof(key), "k%d", k);
        if (rng_below(&r, 2)) {
            if (!present[k])
                n++;
            present[k] = 1;
            free(map_put(&m, key, xstrdup(key)));
        } else if (present[k]) {
            char *v = map_del(&m, key);

            ck_assert_str_eq(v, key);
            free(v);
            present[k] = 0;
            n--;
        } else {
            ck_assert_ptr_null(map_del(&m, key));
        }
        ck_assert_uint_eq(map_size(&m), n);
        /* Tombstones count against the load factor too. */
        ck_assert_uint_le(m.used * 4, m.cap * 3);
    }
    for (int k = 0; k < K; k++) {
        char key[16];

        snprintf(key, sizeof(key), "k%d", k);
        ck_assert_int_eq(map_has(&m, key), present[k]);
        if (present[k])
            ck_assert_str_eq(map_get(&m, key), key);
    }
    map_release(&m, free);
}
END_TEST

START_TEST(map_delete_and_overwrite_during_iteration)
{
    enum { N = 1000 };
    struct map m;
    struct map_iter it;
    const char *key;
    void *value;
    int vals[N], bumped[N];
    char *seen = xcalloc(N, 1);
    size_t visits = 0;

    map_init(&m);
    for (int i = 0; i < N; i++) {
        char k[16];

        vals[i] = i;
        snprintf(k, sizeof(k), "n%d", i);
        map_put(&m, k, &vals[i]);
    }
    map_iter_init(&it, &m);
    while (map_next(&it, &key, &value)) {
        int i = *(int *)value;
        char k[16];

        ck_assert_int_eq(seen[i], 0);
        seen[i] = 1;
        visits++;
        snprintf(k, sizeof(k), "%s", key);
        if (i % 2 == 0) {
            ck_assert_ptr_eq(map_del(&m, k), &vals[i]);
        } else {
            bumped[i] = -i;
            ck_assert_ptr_eq(map_put(&m, k, &bumped[i]), &vals[i]);
        }
    }
    ck_assert_uint_eq(visits, N);
    ck_assert_uint_eq(map_size(&m), N / 2);
    for (int i = 0; i < N; i++) {
        char k[16];

        snprintf(k, sizeof(k), "n%d", i);
        if (i % 2 == 0)
            ck_assert(!map_has(&m, k));
        else
            ck_assert_ptr_eq(map_get(&m, k), &bumped[i]);
    }
    map_release(&m, NULL);
    free(seen);
}
END_TEST

static int freed;

static void count_free(void *p)
{
    freed++;
    free(p);
}

START_TEST(map_release_frees_values_and_map_is_reusable)
{
    struct map m;
    struct map_iter it;
    const char *key;
    void *value;

    map_init(&m);
    map_iter_init(&it, &m);
    ck_assert(!map_next(&it, &key, &value)); /* empty, never allocated */
    for (int i = 0; i < 100; i++) {
        char k[16];

        snprintf(k, sizeof(k), "v%d", i);
        map_put(&m, k, xstrdup(k));
    }
    free(map_put(&m, "v0", xstrdup("again")));
    free(map_del(&m, "v1"));
    freed = 0;
    map_release(&m, count_free);
    ck_assert_int_eq(freed, 99);
    ck_assert_uint_eq(map_size(&m), 0);
    ck_assert_ptr_null(map_get(&m, "v0"));
    map_put(&m, "again", &freed);
    ck_assert_ptr_eq(map_get(&m, "again"), &freed);
    map_release(&m, NULL);
}
END_TEST

/* The keys in iteration order, joined, so two orders compare as strings. */
static char *iteration_order(const struct map *m)
{
    struct map_iter it;
    const char *key;
    void *value;
    char *out = xcalloc(1, 1);
    size_t len = 0;

    map_iter_init(&it, m);
    while (map_next(&it, &key, &value)) {
        size_t k = strlen(key);

        out = xrealloc(out, len + k + 2);
        memcpy(out + len, key, k);
        out[len + k] = ',';
        len += k + 1;
        out[len] = '\0';
    }
    return out;
}

static void fill(struct map *m, int n)
{
    for (int i = 0; i < n; i++) {
        char k[16];

        snprintf(k, sizeof(k), "node-%d", i);
        map_put(m, k, NULL);
    }
}

START_TEST(map_order_keyed_per_map_and_seeded_replays)
{
    struct map a, b, s1, s2, s3;
    char *oa, *ob, *o1, *o2, *o3;

    map_init(&a);
    map_init(&b);
    map_init_seeded(&s1, 7);
    map_init_seeded(&s2, 7);
    map_init_seeded(&s3, 8);
    fill(&a, 1000);
    fill(&b, 1000);
    fill(&s1, 1000);
    fill(&s2, 1000);
    fill(&s3, 1000);
    oa = iteration_order(&a);
    ob = iteration_order(&b);
    o1 = iteration_order(&s1);
    o2 = iteration_order(&s2);
    o3 = iteration_order(&s3);
    /* Random keys: the same keys land in different places per map. */
    ck_assert_str_ne(oa, ob);
    ck_assert_str_eq(o1, o2);
    ck_assert_str_ne(o1, o3);
    ck_assert_uint_eq(strlen(oa), strlen(o1));
    free(oa);
    free(ob);
    free(o1);
    free(o2);
    free(o3);
    map_release(&a, NULL);
    map_release(&b, NULL);
    map_release(&s1, NULL);
    map_release(&s2, NULL);
    map_release(&s3, NULL);
}
END_TEST

/* ---------------------------------------------------------------- rng */

START_TEST(rng_matches_reference_xoshiro256starstar)
{
    /*
     * From an independent implementation of splitmix64 seeding (4 outputs)
     * and xoshiro256**. Seeded simulations replay only while these hold.
     */
    static const uint64_t want0[] = {
        UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a),
        UINT64_C(0x1a5f849d4933e6e0), UINT64_C(0x6aa594f1262d2d2c)};
    static const uint64_t want42[] = {
        UINT64_C(0x15780b2e0c2ec716), UINT64_C(0x6104d9866d113a7e),
        UINT64_C(0xae17533239e499a1), UINT64_C(0xecb8ad4703b360a1)};
    struct rng r;

    rng_seed(&r, 0);
    ck_assert_uint_eq(r.s[0], UINT64_C(0xe220a8397b1dcdaf)); /* splitmix64 */
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(rng_u64(&r), want0[i]);
    rng_seed(&r, 42);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(rng_u64(&r), want42[i]);
}
END_TEST

START_TEST(rng_is_deterministic_per_seed)
{
    struct rng a, b, c;
    int same = 0;
    uint64_t seed = test_seed();

    rng_seed(&a, seed);
    rng_seed(&b, seed);
    rng_seed(&c, seed + 1);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a);

        ck_assert_uint_eq(x, rng_u64(&b));
        same += x == rng_u64(&c);
    }
    ck_assert_int_eq(same, 0);
    /* Reseeding restarts the stream. */
    rng_seed(&b, seed);
    rng_seed(&a, seed);
    ck_assert_uint_eq(rng_u64(&a), rng_u64(&b));
}
END_TEST

static double chi_square(const long *counts, int k, long n)
{
    double expect = (double)n / k, chi = 0;

    for (int i = 0; i < k; i++) {
        double d = (double)counts[i] - expect;

        chi += d * d / expect;
    }
    return chi;
}

START_TEST(rng_below_is_bounded_and_uniform)
{
    enum { K = 10, K2 = 7, N = 100000 };
    struct rng r;
    long counts[K] = {0}, counts2[K2] = {0};
    double chi;

    rng_seed(&r, test_seed());
    for (int i = 0; i < N; i++) {
        uint64_t x = rng_below(&r, K), y = rng_below(&r, K2);

        ck_assert_uint_lt(x, K);
        ck_assert_uint_lt(y, K2);
        counts[x]++;
        counts2[y]++;
    }
    /* 9 degrees of freedom: p(chi > 40) is about 1e-5. */
    chi = chi_square(counts, K, N);
    ck_assert_msg(chi < 40, "chi-square %f over %d buckets", chi, K);
    /* 6 degrees of freedom: p(chi > 35) is about 4e-6. */
    chi = chi_square(counts2, K2, N);
    ck_assert_msg(chi < 35, "chi-square %f over %d buckets", chi, K2);
}
END_TEST

START_TEST(rng_below_edge_bounds)
{
    struct rng r;
    const uint64_t half = UINT64_C(1) << 63;
    long high = 0;

    rng_seed(&r, test_seed());
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(rng_below(&r, 1), 0);
    for (int i = 0; i < 10000; i++) {
        /* Just over half the range: rejection throws away ~half the draws. */
        uint64_t x = rng_below(&r, half + 1);

        ck_assert_uint_le(x, half);
        high += x >= half / 2;
        ck_assert_uint_lt(rng_below(&r, UINT64_MAX), UINT64_MAX);
        ck_assert_uint_lt(rng_below(&r, 2), 2);
    }
    /* Unbiased means about half land in the upper half: 10 sigma slack. */
    ck_assert_msg(labs(high - 5000) < 500, "upper half %ld of 10000", high);
}
END_TEST

START_TEST(rng_double_in_unit_interval)
{
    enum { N = 100000 };
    struct rng r;
    double sum = 0, lo = 1, hi = 0;

    rng_seed(&r, test_seed());
    for (int i = 0; i < N; i++) {
        double d = rng_double(&r);

        ck_assert(d >= 0.0 && d < 1.0);
        sum += d;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* The mean's standard error is ~0.0009. */
    ck_assert_msg(fabs(sum / N - 0.5) < 0.01, "mean %f", sum / N);
    ck_assert(lo < 0.001);
    ck_assert(hi > 0.999);
}
END_TEST

START_TEST(rng_shuffle_is_a_permutation)
{
    struct rng r, r2;
    int v[100], w[100], seen[100] = {0}, moved_count = 0;
    int one = 5;

    rng_seed(&r, test_seed());
    rng_seed(&r2, test_seed());
    for (int i = 0; i < 100; i++)
        v[i] = w[i] = i;
    rng_shuffle(&r, v, 100, sizeof(v[0]));
    rng_shuffle(&r2, w, 100, sizeof(w[0]));
    for (int i = 0; i < 100; i++) {
        seen[v[i]]++;
        moved_count += v[i] != i;
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved_count, 50);
    ck_assert(memcmp(v, w, sizeof(v)) == 0); /* same seed, same order */
    rng_shuffle(&r, NULL, 0, sizeof(int));
    rng_shuffle(&r, &one, 1, sizeof(one));
    ck_assert_int_eq(one, 5);
}
END_TEST

START_TEST(rng_shuffle_large_elements_intact)
{
    struct big
    {
        int id;
        unsigned char pad[300];
        int check;
    };
    enum { N = 50 };
    struct rng r;
    struct big *b = xcalloc(N, sizeof(*b));
    int seen[N] = {0};

    for (int i = 0; i < N; i++) {
        b[i].id = i;
        memset(b[i].pad, i, sizeof(b[i].pad));
        b[i].check = ~i;
    }
    rng_seed(&r, test_seed());
    rng_shuffle(&r, b, N, sizeof(*b));
    for (int i = 0; i < N; i++) {
        int id = b[i].id;

        ck_assert(id >= 0 && id < N);
        seen[id]++;
        ck_assert_int_eq(b[i].check, ~id);
        for (size_t j = 0; j < sizeof(b[i].pad); j++)
            ck_assert_uint_eq(b[i].pad[j], (unsigned)id);
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(seen[i], 1);
    free(b);
}
END_TEST

START_TEST(rng_shuffle_is_unbiased_over_permutations)
{
    enum { PERMS = 24, ROUNDS = 48000 };
    struct rng r;
    long counts[PERMS] = {0};
    double chi;

    rng_seed(&r, test_seed());
    for (int round = 0; round < ROUNDS; round++) {
        int v[4] = {0, 1, 2, 3};
        int code = 0, used = 0;

        rng_shuffle(&r, v, 4, sizeof(v[0]));
        /* Lehmer code: a permutation of 4 as a number in [0, 24). */
        for (int i = 0; i < 4; i++) {
            int smaller = 0;

            for (int j = 0; j < v[i]; j++)
                smaller += !(used & (1 << j));
            used |= 1 << v[i];
            code = code * (4 - i) + smaller;
        }
        counts[code]++;
    }
    /* 23 degrees of freedom: p(chi > 70) is about 1e-6. */
    chi = chi_square(counts, PERMS, ROUNDS);
    ck_assert_msg(chi < 70, "chi-square %f over 24 permutations", chi);
}
END_TEST

/* ---------------------------------------------------------------- id */

START_TEST(uuid_form_and_uniqueness)
{
    enum { N = 10000 };
    struct map m;
    char id[ID_UUID_LEN + 1];

    map_init(&m);
    for (int i = 0; i < N; i++) {
        id_uuid(id);
        ck_assert_uint_eq(strlen(id), ID_UUID_LEN);
        ck_assert(id_is_uuid(id));
        for (int j = 0; j < ID_UUID_LEN; j++)
            ck_assert(!isupper((unsigned char)id[j]));
        ck_assert_int_eq(id[14], '4');                /* version 4 */
        ck_assert(strchr("89ab", id[19]) != NULL);    /* RFC 4122 variant */
        ck_assert_ptr_null(map_put(&m, id, NULL));
    }
    ck_assert_uint_eq(map_size(&m), N);
    map_release(&m, NULL);
}
END_TEST

START_TEST(uuid_rejects_bad_forms)
{
    static const char *bad[] = {
        "",
        "0123abcd-0000-4000-8000-00000000000",   /* short */
        "0123abcd-0000-4000-8000-0000000000000", /* long */
        "0123abcd00000-4000-8000-000000000000",  /* dash moved */
        "0123abcd-0000-4000-8000_000000000000",  /* not a dash */
        "0123abcg-0000-4000-8000-000000000000",  /* not hex */
        "0123abcd-0000-4000-8000-00000000000 ",  /* trailing space */
        " 0123abc-0000-4000-8000-000000000000",  /* leading space */
        "{123abcd-0000-4000-8000-00000000000}",
        "0123abcd0000400080000000000000000000",  /* no dashes */
        "0123abcd-0000-4000-8000-+00000000000",
    };

    ck_assert(!id_is_uuid(NULL));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!id_is_uuid(bad[i]), "accepted \"%s\"", bad[i]);
    ck_assert(id_is_uuid("0123abcd-0000-4000-8000-000000000000"));
    /* Nomad matches case-insensitively and does not insist on v4. */
    ck_assert(id_is_uuid("0123ABCD-0000-1000-C000-FFFFFFFFFFFF"));
}
END_TEST

START_TEST(uuid_short_form)
{
    char id[ID_UUID_LEN + 1], s[ID_SHORT_LEN + 1];

    id_short("0123abcd-0000-4000-8000-000000000000", s);
    ck_assert_str_eq(s, "0123abcd");
    id_short("abc", s);
    ck_assert_str_eq(s, "abc");
    id_short("", s);
    ck_assert_str_eq(s, "");
    id_uuid(id);
    id_short(id, s);
    ck_assert_uint_eq(strlen(s), ID_SHORT_LEN);
    ck_assert(strncmp(s, id, ID_SHORT_LEN) == 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("containers");
    TCase *tc_list = test_tcase("list");
    TCase *tc_heap = test_tcase("heap");
    TCase *tc_map = test_tcase("map");
    TCase *tc_rng = test_tcase("rng");
    TCase *tc_id = test_tcase("id");

    tcase_add_test(tc_list, list_init_forms_agree);
    tcase_add_test(tc_list, list_add_tail_and_head_order);
    tcase_add_test(tc_list, list_safe_delete_during_iteration);
    tcase_add_test(tc_list, list_del_reinits_and_moves_between_lists);
    suite_add_tcase(s, tc_list);

    tcase_add_test(tc_heap, heap_sorts_like_qsort);
    tcase_add_test(tc_heap, heap_empty_peek_and_pop_are_null);
    tcase_add_test(tc_heap, heap_remove_by_index_keeps_heap_valid);
    tcase_add_test(tc_heap, heap_remove_root_last_and_sift_up_case);
    tcase_add_test(tc_heap, heap_interleaved_push_pop_matches_reference);
    suite_add_tcase(s, tc_heap);

    tcase_add_test(tc_map, map_put_get_del_overwrite);
    tcase_add_test(tc_map, map_copies_keys);
    tcase_add_test(tc_map, map_awkward_keys_are_distinct);
    tcase_add_test(tc_map, map_grows_and_iterates_each_key_once);
    tcase_add_test(tc_map, map_survives_churn);
    tcase_add_test(tc_map, map_delete_and_overwrite_during_iteration);
    tcase_add_test(tc_map, map_release_frees_values_and_map_is_reusable);
    tcase_add_test(tc_map, map_order_keyed_per_map_and_seeded_replays);
    suite_add_tcase(s, tc_map);

    tcase_add_test(tc_rng, rng_matches_reference_xoshiro256starstar);
    tcase_add_test(tc_rng, rng_is_deterministic_per_seed);
    tcase_add_test(tc_rng, rng_below_is_bounded_and_uniform);
    tcase_add_test(tc_rng, rng_below_edge_bounds);
    tcase_add_test(tc_rng, rng_double_in_unit_interval);
    tcase_add_test(tc_rng, rng_shuffle_is_a_permutation);
    tcase_add_test(tc_rng, rng_shuffle_large_elements_intact);
    tcase_add_test(tc_rng, rng_shuffle_is_unbiased_over_permutations);
    suite_add_tcase(s, tc_rng);

    tcase_add_test(tc_id, uuid_form_and_uniqueness);
    tcase_add_test(tc_id, uuid_rejects_bad_forms);
    tcase_add_test(tc_id, uuid_short_form);
    suite_add_tcase(s, tc_id);
    return s;
}

TEST_MAIN(suite)
